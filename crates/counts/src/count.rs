//! The entry points ([`count`], [`count_within`], [`count_to_store`]), the [`Limits`] they run under, and
//! the driver that counts order after order.
//!
//! Each order n ≥ 2 is a [`Level`]: the ids of order n − 1 at every position, turned into this order's
//! n-grams and ids. A level sorts its positions in one section in memory (`crate::sort`) or, past the
//! memory limit, in sections spilled to disk and merged (`crate::spill`); either way the result goes to a
//! [`Dest`], memory or a [`store::Store`].

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use hashbrown::HashMap;
use rayon::prelude::*;
use shannon_tokens::BOS;

use crate::error::Error;
use crate::paged::Paged;
use crate::store;
use crate::types::{key, Counts, Order, MAX_ORDER, NONE};

/// Most token positions (tokens and sentence markers) counting handles. Positions, n-gram ids and the
/// counts of a spilled run are 32-bit, and `u32::MAX` is [`NONE`]: a stream of at most this many positions
/// numbers every position (below it), every id (below the positions, so never [`NONE`]) and every count
/// exactly. A longer stream is [`Error::TooManyPositions`], never a silent wrap.
pub const MAX_POSITIONS: u64 = u32::MAX as u64;

/// Checks that a stream of `positions` positions can be counted exactly: at most `limit` of them
/// ([`MAX_POSITIONS`]; smaller in tests).
pub(crate) fn check_positions(positions: usize, limit: u64) -> Result<(), Error> {
    let positions = positions as u64;
    if positions > limit {
        return Err(Error::TooManyPositions { positions, limit });
    }
    Ok(())
}

/// Limits on counting: how much working memory it may use, where it spills, and what it builds.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes of working memory for sorting n-grams. The token stream and one per-position id array (4 bytes
    /// a position each: each order's ids are written over the order below's) and the resulting [`Counts`]
    /// come on top; callers with a budget for all of it subtract them first (`shannon_jobs::memory::sorting`).
    /// `None`: no limit, every order is sorted in one section in memory.
    pub memory: Option<u64>,
    /// Directory for sorted runs when the limit is reached. The caller owns it (and removes it on
    /// interruption); counting removes its own files from it as soon as an order is merged.
    pub temp_dir: PathBuf,
    /// Build each order's hash [`Order::index`] for fast queries. Without it, [`Order::get`] answers by
    /// binary search, which is enough for estimation and writing (they never query).
    pub index: bool,
    /// Where the temporary files written (spilled runs, and a store's orders) are tallied.
    pub disk: crate::DiskUse,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { memory: None, temp_dir: std::env::temp_dir(), index: true, disk: Default::default() }
    }
}

/// Working-set bytes per position of a section: its scattered entry (the key within its bucket and the
/// position: 8 bytes, 12 when the key needs more than 32 bits) and its share of the run of distinct
/// n-grams (first word, suffix, history and a u32 count: 16 bytes per n-gram, at most one per position).
/// Merging needs less: a section's local → global id table, 4 bytes per n-gram of the run.
const BYTES_PER_POSITION: u64 = 28;

/// Resident bytes per position of a section whose token stream and ids are [`Paged`]: its pages of both.
const PAGED_BYTES_PER_POSITION: u64 = 8;

impl Limits {
    /// A spill error for `path` while counting order `order`, with the temporary disk held now.
    pub(crate) fn spill_error(&self, order: usize, path: std::path::PathBuf, source: std::io::Error) -> Error {
        Error::Spill { order, path, source, held: self.disk.bytes(), bound: 0 }
    }

    /// Positions per section under this limit (`usize::MAX` without one); `paged`: the token stream and
    /// the ids are in files ([`Paged`]), and each section's pages of them count against the limit too.
    fn section(&self, paged: bool) -> usize {
        let per = BYTES_PER_POSITION + if paged { PAGED_BYTES_PER_POSITION } else { 0 };
        match self.memory {
            None => usize::MAX,
            Some(m) => ((m / per) as usize).max(64),
        }
    }
}

/// Counts n-grams of orders 1..=`max_order` in parallel on the current rayon pool, in memory.
///
/// `vocab_size` bounds the token ids. Panics if `max_order` is 0 or above [`MAX_ORDER`], or if `tokens`
/// has more than [`MAX_POSITIONS`] positions: [`count_within`] returns that as an error.
pub fn count(tokens: &[u32], vocab_size: usize, max_order: usize) -> Counts {
    count_within(tokens, vocab_size, max_order, &Limits::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// Counts like [`count`], within `limits`: past the memory limit, sorted runs spill to
/// `limits.temp_dir` and are merged. The result is identical for any limit and thread count. A stream of
/// more than [`MAX_POSITIONS`] positions is an error.
pub fn count_within(tokens: &[u32], vocab_size: usize, max_order: usize, limits: &Limits) -> Result<Counts, Error> {
    let mut orders = Vec::with_capacity(max_order);
    let dest = &mut Dest::Memory(&mut orders);
    let tokens = count_orders(tokens, None, vocab_size, max_order, limits, dest, MAX_POSITIONS)?;
    // The indexes, once every order is counted: all orders at once, in parallel (one order's map is built on
    // one thread, and building them was a third of counting 400 MB to order 5 when each waited its turn).
    if limits.index {
        orders = orders.into_par_iter().map(|o| with_index(o, true)).collect();
    }
    Ok(Counts { orders, tokens })
}

/// Counts like [`count_within`] into `store`, on disk: each order is written as soon as it is counted and
/// none is kept, so memory holds one order at a time — and, past the memory limit, not even that: spilled
/// runs are merged straight into the store's files. Returns the number of tokens counted as unigrams. A
/// stream of more than [`MAX_POSITIONS`] positions is an error, before anything is stored.
pub fn count_to_store(
    tokens: &[u32],
    vocab_size: usize,
    max_order: usize,
    limits: &Limits,
    store: &mut store::Store,
) -> Result<u64, Error> {
    // No n-gram occurs more often than there are positions.
    store.bound_counts(tokens.len() as u64);
    count_orders(tokens, None, vocab_size, max_order, limits, &mut Dest::Store(store), MAX_POSITIONS)
}

/// [`count_to_store`] of a token stream kept in a file: the ids counting writes over it go to a file in
/// `limits.temp_dir` too, and both are read one section of positions at a time, each section's pages handed
/// back once done, so resident memory stays within `limits.memory` (the stream's length aside). The same
/// counts, bit for bit.
pub fn count_paged_to_store(
    tokens: &Paged,
    vocab_size: usize,
    max_order: usize,
    limits: &Limits,
    store: &mut store::Store,
) -> Result<u64, Error> {
    store.bound_counts(tokens.len() as u64);
    count_orders(tokens.values(), Some(tokens), vocab_size, max_order, limits, &mut Dest::Store(store), MAX_POSITIONS)
}

/// Where counted orders go.
pub(crate) enum Dest<'a> {
    Memory(&'a mut Vec<Order>),
    Store(&'a mut store::Store),
}

impl Dest<'_> {
    fn push(&mut self, order: Order, limits: &Limits) -> Result<(), Error> {
        match self {
            Dest::Memory(orders) => {
                orders.push(order);
                Ok(())
            }
            Dest::Store(store) => {
                let n = order.n;
                store.push(&order).map_err(|(path, source)| limits.spill_error(n, path, source))
            }
        }
    }
}

/// Counts every order into `dest`, refusing a stream of more than `max_positions` positions (the public
/// entry points pass [`MAX_POSITIONS`]). `paged`: `tokens` are that file's values, and the ids go to a file
/// too.
fn count_orders(
    tokens: &[u32],
    paged: Option<&Paged>,
    vocab_size: usize,
    max_order: usize,
    limits: &Limits,
    dest: &mut Dest,
    max_positions: u64,
) -> Result<u64, Error> {
    assert!((1..=MAX_ORDER).contains(&max_order), "order {max_order} out of range");
    // Token ids are u32 below `vocab_size`, and `NONE` is no id (`Order::unigrams` numbers them as u32).
    assert!(vocab_size <= NONE as usize, "a vocabulary of {vocab_size} ids: ids are u32 below {NONE}");
    check_positions(tokens.len(), max_positions)?;
    const CHUNK: usize = 1 << 20;
    let unigram_counts = tokens
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(k, ts)| {
            let mut c = vec![0u64; vocab_size];
            ts.iter().filter(|&&t| t != BOS).for_each(|&t| c[t as usize] += 1);
            if let Some(p) = paged {
                p.release(k * CHUNK..(k + 1) * CHUNK);
            }
            c
        })
        .reduce(
            || vec![0; vocab_size],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let tokens_counted = unigram_counts.iter().sum();
    dest.push(Order::unigrams(unigram_counts), limits).map_err(|e| e.bounded(tokens.len(), max_order))?;
    if max_order == 1 {
        return Ok(tokens_counted);
    }
    // ids[i]: id of the (n−1)-gram ending at position i, or NONE; counting order n writes each position's
    // n-gram id over it (in place: one array of ids, not two, 4 bytes a position less at counting's peak).
    let ids = match paged {
        None => Ids::Memory(tokens.par_iter().map(|&t| AtomicU32::new(t)).collect()),
        Some(p) => {
            let path = limits.temp_dir.join("positions-ids.bin");
            let copy = p.copy(&path, &limits.disk).map_err(|e| limits.spill_error(2, path, e));
            Ids::Paged(copy.map_err(|e| e.bounded(tokens.len(), max_order))?)
        }
    };
    let pages = match (&ids, paged) {
        (Ids::Paged(ids), Some(tokens)) => Some(Pages { tokens, ids }),
        _ => None,
    };
    let mut lower = vocab_size;
    for n in 2..=max_order {
        let last = n == max_order;
        let level = Level { tokens, prev: ids.atomics(), n, lower, pages };
        lower = level.count(limits, !last, dest).map_err(|e| e.bounded(tokens.len(), max_order))?;
    }
    Ok(tokens_counted)
}

/// Each position's id of the order below: in memory, or in a file beside a [`Paged`] token stream.
enum Ids {
    Memory(Vec<AtomicU32>),
    Paged(Paged),
}

impl Ids {
    fn atomics(&self) -> &[AtomicU32] {
        match self {
            Ids::Memory(v) => v,
            Ids::Paged(p) => p.atomics(),
        }
    }
}

/// A token stream and its ids kept in files: the pages of positions counted are handed back.
#[derive(Clone, Copy)]
pub(crate) struct Pages<'a> {
    tokens: &'a Paged,
    ids: &'a Paged,
}

/// One order being counted from the ids of the order below.
pub(crate) struct Level<'a> {
    pub(crate) tokens: &'a [u32],
    /// `prev[i]`: the id of the (n−1)-gram ending at position `i`, or `NONE`. Counting may write the order's
    /// own ids over them ([`Edge`] says how a section still reads the one before it).
    pub(crate) prev: &'a [AtomicU32],
    pub(crate) n: usize,
    /// Number of ids of order n − 1 (the range of suffix ids).
    pub(crate) lower: usize,
    /// Where the stream and the ids are files, whose pages are handed back section by section.
    pub(crate) pages: Option<Pages<'a>>,
}

/// Where a section of positions starts, and the id of order n − 1 ending just before it as it was before
/// the section before wrote its own ids over it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Edge {
    pub(crate) start: usize,
    pub(crate) before: u32,
}

impl Edge {
    /// No section boundary: every id of the order below is read where it is.
    pub(crate) const NONE: Edge = Edge { start: usize::MAX, before: NONE };
}

impl Level<'_> {
    /// The id of the (n−1)-gram ending at `i`.
    #[inline]
    pub(crate) fn prev(&self, i: usize) -> u32 {
        self.prev[i].load(Ordering::Relaxed)
    }

    /// The id of the (n−1)-gram ending at `i − 1` (`i` ≥ 1), in a section starting at `edge`.
    #[inline]
    pub(crate) fn below(&self, i: usize, edge: Edge) -> u32 {
        if i == edge.start {
            edge.before
        } else {
            self.prev(i - 1)
        }
    }

    /// Whether an n-gram ends at position `i` (it ends in neither `<s>` nor crosses one).
    #[inline]
    pub(crate) fn valid(&self, i: usize) -> bool {
        self.valid_at(i, Edge::NONE)
    }

    /// [`Level::valid`] in a section starting at `edge`.
    #[inline]
    pub(crate) fn valid_at(&self, i: usize, edge: Edge) -> bool {
        i + 1 >= self.n && self.tokens[i] != BOS && self.prev(i) != NONE && self.below(i, edge) != NONE
    }

    #[inline]
    pub(crate) fn key(&self, i: usize) -> u64 {
        key(self.prev(i), self.tokens[i + 1 - self.n])
    }

    /// Hands back the resident pages of the stream and the ids that counting the positions of `range` read
    /// (where they are files).
    pub(crate) fn release(&self, range: &std::ops::Range<usize>) {
        if let Some(Pages { tokens, ids }) = self.pages {
            tokens.release(range.start.saturating_sub(self.n)..range.end);
            ids.release(range.start.saturating_sub(1)..range.end);
        }
    }

    /// Counts the order into `dest`; returns its number of n-grams. With `want_ids`, each position's id of
    /// this order (or `NONE`) replaces the one of the order below in `prev`.
    fn count(&self, limits: &Limits, want_ids: bool, dest: &mut Dest) -> Result<usize, Error> {
        let len = self.tokens.len();
        let ids = if want_ids { Some(self.prev) } else { None };
        let section = limits.section(self.pages.is_some());
        let order = if len <= section {
            // One section: bucket order is key order, local ranks are the ids.
            let run = self.sort_section(0..len, ids, Edge::NONE);
            self.release(&(0..len));
            Some(run.into_order(self.n))
        } else {
            self.count_sections(section, limits, ids, dest)?
        };
        let size = match order {
            Some(order) => {
                let size = order.len();
                dest.push(order, limits)?;
                size
            }
            // Merged straight into the store.
            None => match dest {
                Dest::Store(store) => store.len(self.n),
                Dest::Memory(_) => unreachable!("orders counted into memory are returned"),
            },
        };
        Ok(size)
    }
}

/// Builds `order`'s hash [`Order::index`] if `index` is set (order 1 needs none: its ids are the words).
pub(crate) fn with_index(mut order: Order, index: bool) -> Order {
    if index && order.n > 1 {
        let mut map = HashMap::with_capacity(order.len());
        for (id, (&s, &f)) in order.suffix.iter().zip(&order.first).enumerate() {
            map.insert(key(s, f), id as u32);
        }
        order.index = map;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use shannon_tokens::EOS;

    #[test]
    fn toy_counts_by_hand() {
        // <s> a b </s> <s> a a </s>: ids a=3, b=4.
        let t = [BOS, 3, 4, EOS, BOS, 3, 3, EOS];
        let c = count(&t, 5, 3);
        assert_eq!(c.order(1).count, vec![0, 0, 2, 3, 1]);
        assert_eq!(c.tokens, 6);
        assert_eq!(c.find(&[BOS, 3]).map(|id| c.order(2).count[id as usize]), Some(2));
        assert_eq!(c.find(&[3, 3, EOS]).map(|id| c.order(3).count[id as usize]), Some(1));
        assert_eq!(c.find(&[EOS, BOS]), None, "n-grams never end in <s>");
        assert_eq!(c.find(&[4, EOS, BOS]), None);
        // Continuation of unigram a: left extensions "<s> a" and "a a" → 2.
        assert_eq!(c.continuation(1)[3], 2);
        // History of "a a </s>" is "a a".
        let id = c.find(&[3, 3, EOS]).unwrap();
        assert_eq!(c.words(2, c.order(3).history[id as usize]), vec![3, 3]);
    }

    #[test]
    fn streams_longer_than_the_position_limit_are_an_error_not_a_wrap() {
        // The real limit is 2³² − 1 positions; the same path with a limit of 8.
        let t = [BOS, 3, 4, EOS, BOS, 3, 3, EOS];
        let mut orders = Vec::new();
        let fits = count_orders(&t, None, 5, 3, &Limits::default(), &mut Dest::Memory(&mut orders), 8);
        assert_eq!(fits.unwrap(), 6);
        // Orders go to memory without their indexes (`count_within` builds them once all are counted).
        let unindexed = Limits { index: false, ..Limits::default() };
        assert_eq!(orders, count_within(&t, 5, 3, &unindexed).unwrap().orders);
        let dir = tempfile::tempdir().unwrap();
        let mut store = store::Store::new(dir.path());
        let err = count_orders(&t, None, 5, 3, &Limits::default(), &mut Dest::Store(&mut store), 7).unwrap_err();
        assert!(matches!(err, Error::TooManyPositions { positions: 8, limit: 7 }), "{err:?}");
        assert_eq!(store.max_order(), 0, "nothing stored");
        let message = err.to_string();
        assert!(message.contains("8 positions") && message.contains("the 7 that"), "{message}");
        // The limit itself: 2³² − 1 positions are counted exactly, one more are not.
        assert!(check_positions(u32::MAX as usize, MAX_POSITIONS).is_ok());
        let over = check_positions(u32::MAX as usize + 1, MAX_POSITIONS).unwrap_err().to_string();
        assert!(over.contains("4294967296 positions") && over.contains("4294967295"), "{over}");
    }

    #[test]
    fn orders_longer_than_any_sentence_are_empty() {
        let t = [BOS, 3, EOS];
        let c = count(&t, 4, 5);
        assert_eq!(c.order(3).len(), 1, "<s> a </s>");
        assert_eq!(c.order(4).len(), 0);
        assert_eq!(c.order(5).len(), 0);
    }

    #[test]
    fn orders_without_an_index_answer_queries_by_binary_search() {
        let t: Vec<u32> = [BOS, 3, 4, 5, EOS, BOS, 4, 5, 3, EOS, BOS, 3, 3, EOS].to_vec();
        let with = count(&t, 6, 3);
        let limits = Limits { index: false, ..Limits::default() };
        let without = count_within(&t, 6, 3, &limits).unwrap();
        assert!(without.order(2).index.is_empty());
        for n in 1..=3 {
            let o = with.order(n);
            assert_eq!((&o.first, &o.suffix, &o.history, &o.count), {
                let p = without.order(n);
                (&p.first, &p.suffix, &p.history, &p.count)
            });
            for s in 0..=o.len() as u32 {
                for w in 0..7 {
                    let s = if n == 1 { NONE } else { s };
                    assert_eq!(o.get(s, w), without.order(n).get(s, w), "order {n} suffix {s} word {w}");
                }
            }
        }
    }
}
