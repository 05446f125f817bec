//! Counts: the third stage of shannon's data path.
//!
//! **In:** a token-id stream from `shannon-tokens` (with `<s>`/`</s>` markers when sentences are lines),
//! the vocabulary size and a maximum order N (any N up to [`MAX_ORDER`]); optionally [`Limits`] on the
//! memory counting may use and a directory to spill sorted runs to.
//! **Out:** [`Counts`]: for every order 1..=N the distinct n-grams with their counts, each n-gram stored as
//! a left extension of its suffix — `(id of w2..wn, w1)` — together with the id of its history
//! `w1..w(n-1)`. That one layout answers everything the estimators ask with array indexing:
//! the lower-order n-gram to interpolate with is the suffix, continuation counts (distinct left
//! extensions) are the number of n-grams sharing a suffix, and follower statistics group by history.
//!
//! N-grams never cross a sentence boundary and never end in `<s>`; they may start with it.
//!
//! Invariants: n-gram ids of order n ≥ 2 are the ranks of their keys in sorted order, so counts are
//! identical — bit for bit — for any number of threads and any memory limit. [`count_serial`] (one hash map,
//! then a sort) is the oracle the tests compare against.
//!
//! ## How counting works (see [`count_within`])
//! Order n is counted from the ids of order n − 1 at every position: the key of the n-gram ending at
//! position i is `(id of the (n−1)-gram ending at i) << 32 | w(i−n+1)`. Because suffix ids are ranks of
//! sorted keys, splitting positions into buckets by *ranges* of suffix id splits the key space into
//! ranges too: each bucket is sorted on its own (small, cache-resident radix sorts, in parallel) and the
//! buckets' distinct keys, concatenated in bucket order, are globally sorted — no merge. The buckets are
//! consecutive in a few large arrays of 8-byte entries (key within the bucket, position), each part of
//! the stream writing straight into its own pieces of them. Walking the sorted buckets writes the order's
//! columns and each position's new id, the input of order n + 1, and frees each array once walked. For
//! an order of T positions and D distinct n-grams the working set is therefore about the larger of
//! 8 bytes × T (entries) and 20 × D (columns), besides the stream and the two per-position id arrays.
//!
//! With a memory limit, positions are taken in sections that fit it; each section's sorted distinct
//! n-grams (a *run*) is written to a temporary file, and the runs are merged (external sort), which also
//! gives each section's local → global id map. Spill files live in a directory the caller owns and are
//! removed as soon as an order is merged, on success and on error.

pub mod store;

use std::io::{self, BufWriter, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use hashbrown::HashMap;
use rayon::prelude::*;
use shannon_tokens::BOS;

/// Highest supported order. Spans are tracked in a byte per position.
pub const MAX_ORDER: usize = 255;
/// The id of "no n-gram" in position arrays and of the empty history.
pub const NONE: u32 = u32::MAX;

/// The n-grams of one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The order n.
    pub n: usize,
    /// First word w1 of each n-gram. For n = 1 the id is the word itself.
    pub first: Vec<u32>,
    /// Id (in order n − 1) of the suffix w2..wn; for n = 1, [`NONE`].
    pub suffix: Vec<u32>,
    /// Id (in order n − 1) of the history w1..w(n−1); for n = 1, 0 — the one empty history.
    pub history: Vec<u32>,
    /// Raw counts.
    pub count: Vec<u64>,
    /// Key `(suffix << 32) | first` → id, for n ≥ 2. Empty for n = 1, and for orders counted without an
    /// index ([`Limits::index`]), whose ids are in key order and are found by binary search.
    pub index: HashMap<u64, u32>,
}

/// Packs a left-extension key.
#[inline]
pub fn key(suffix: u32, first: u32) -> u64 {
    (u64::from(suffix) << 32) | u64::from(first)
}

impl Order {
    /// The unigrams of a vocabulary of `count.len()` ids: every id is its own unigram, with its count (0 for
    /// ids never counted), no suffix, and the empty history 0.
    pub fn unigrams(count: Vec<u64>) -> Order {
        let v = count.len();
        Order {
            n: 1,
            first: (0..v as u32).collect(),
            suffix: vec![NONE; v],
            history: vec![0; v],
            count,
            index: HashMap::new(),
        }
    }

    /// Number of n-grams (for n = 1: the vocabulary size, including unseen ids).
    pub fn len(&self) -> usize {
        self.count.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count.is_empty()
    }

    /// Id of the n-gram that extends `suffix` (an id of order n − 1) to the left by `first`.
    #[inline]
    pub fn get(&self, suffix: u32, first: u32) -> Option<u32> {
        if self.n == 1 {
            Some(first).filter(|&w| (w as usize) < self.count.len())
        } else if !self.index.is_empty() || self.count.is_empty() {
            self.index.get(&key(suffix, first)).copied()
        } else {
            // Counted without an index: ids are ranks of sorted keys.
            let lo = self.suffix.partition_point(|&s| s < suffix);
            let hi = lo + self.suffix[lo..].partition_point(|&s| s == suffix);
            let at = self.first[lo..hi].binary_search(&first).ok()?;
            Some((lo + at) as u32)
        }
    }

    /// Number of n-grams with a nonzero count.
    pub fn seen(&self) -> usize {
        self.count.iter().filter(|&&c| c > 0).count()
    }
}

/// N-gram counts for orders 1..=N.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// `orders[n - 1]` holds the n-grams of order n.
    pub orders: Vec<Order>,
    /// Tokens counted as unigrams (every token but `<s>`).
    pub tokens: u64,
}

impl Counts {
    /// The maximum order N.
    pub fn max_order(&self) -> usize {
        self.orders.len()
    }

    /// The n-grams of order `n` (1-based).
    pub fn order(&self, n: usize) -> &Order {
        &self.orders[n - 1]
    }

    /// Number of ids in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.orders[0].len()
    }

    /// The words of n-gram `id` of order `n`, first to last.
    pub fn words(&self, n: usize, id: u32) -> Vec<u32> {
        let mut out = Vec::with_capacity(n);
        let (mut n, mut id) = (n, id);
        while n >= 1 {
            let o = self.order(n);
            out.push(o.first[id as usize]);
            id = o.suffix[id as usize];
            n -= 1;
        }
        out
    }

    /// The id of the n-gram `words` (of order `words.len()`), if it was seen.
    pub fn find(&self, words: &[u32]) -> Option<u32> {
        let mut id = NONE;
        for (k, &w) in words.iter().rev().enumerate() {
            id = self.order(k + 1).get(id, w)?;
        }
        Some(id)
    }

    /// Distinct left extensions of each n-gram of order `n` < N: how many n-grams of order n + 1 have
    /// it as their suffix — Kneser–Ney's continuation count N1+(• w).
    pub fn continuation(&self, n: usize) -> Vec<u64> {
        let mut out = vec![0u64; self.order(n).len()];
        for &s in &self.order(n + 1).suffix {
            out[s as usize] += 1;
        }
        out
    }
}

/// Count-of-counts: `result[k]` is the number of entries of `values` equal to k, for k < `len`
/// (`result[0]` counts zeros).
pub fn count_of_counts(values: &[u64], len: usize) -> Vec<u64> {
    let mut out = vec![0u64; len];
    for &v in values {
        if (v as usize) < len {
            out[v as usize] += 1;
        }
    }
    out
}

/// Per-history statistics of the n-grams of one order under some count (raw or adjusted).
#[derive(Debug, Clone, Default)]
pub struct Followers {
    /// Σ of the counts of the history's followers.
    pub total: Vec<u64>,
    /// Followers with count exactly 1, 2, and ≥ 3 (index 0, 1, 2).
    pub by_count: Vec<[u64; 3]>,
    /// Followers with a nonzero count, N1+(h •).
    pub distinct: Vec<u64>,
}

impl Followers {
    /// Groups `values` (one per n-gram of `order`) by history. `histories` is the number of ids of order
    /// n − 1 (1 for unigrams: the empty history).
    pub fn new(order: &Order, values: &[u64], histories: usize) -> Followers {
        let mut f =
            Followers { total: vec![0; histories], by_count: vec![[0; 3]; histories], distinct: vec![0; histories] };
        for (&h, &v) in order.history.iter().zip(values) {
            let h = h as usize;
            f.total[h] += v;
            if v > 0 {
                f.distinct[h] += 1;
                f.by_count[h][(v.min(3) - 1) as usize] += 1;
            }
        }
        f
    }
}

/// Limits on counting: how much working memory it may use, where it spills, and what it builds.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes of working memory for sorting n-grams (the token stream, the per-position id arrays and the
    /// resulting [`Counts`] come on top: see [`Limits::overhead`]). `None`: no limit, every order is
    /// sorted in one section in memory.
    pub memory: Option<u64>,
    /// Directory for sorted runs when the limit is reached. The caller owns it (and removes it on
    /// interruption); counting removes its own files from it as soon as an order is merged.
    pub temp_dir: PathBuf,
    /// Build each order's hash [`Order::index`] for fast queries. Without it, [`Order::get`] answers by
    /// binary search, which is enough for estimation and writing (they never query).
    pub index: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { memory: None, temp_dir: std::env::temp_dir(), index: true }
    }
}

/// Working-set bytes per position of a section: its scattered entry (the key within its bucket and the
/// position: 8 bytes, 12 when the key needs more than 32 bits) and its share of the run of distinct
/// n-grams (first word, suffix, history and a u32 count: 16 bytes per n-gram, at most one per position).
/// Merging needs less: a section's local → global id table, 4 bytes per n-gram of the run.
const BYTES_PER_POSITION: u64 = 28;

impl Limits {
    /// Memory counting needs besides [`Limits::memory`], in bytes, for `positions` token positions: the
    /// stream itself and two per-position id arrays (4 bytes each), plus the counts it returns (20 bytes
    /// per n-gram, and about 32 more per n-gram of order ≥ 2 with the index).
    pub fn overhead(&self, positions: u64, ngrams: u64) -> u64 {
        12 * positions + ngrams * if self.index { 52 } else { 20 }
    }

    /// Positions per section under this limit (`usize::MAX` without one).
    fn section(&self) -> usize {
        match self.memory {
            None => usize::MAX,
            Some(m) => ((m / BYTES_PER_POSITION) as usize).max(64),
        }
    }
}

/// Errors counting with a memory limit: only spilling to disk can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Writing or reading a spill file failed.
    #[error("spilling n-grams of order {order} to {path}: {source} (is --temp-dir writable and large enough?)")]
    Spill {
        /// The order being counted.
        order: usize,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// Counts n-grams of orders 1..=`max_order` in parallel on the current rayon pool, in memory.
///
/// `vocab_size` bounds the token ids. Panics if `max_order` is 0 or above [`MAX_ORDER`].
pub fn count(tokens: &[u32], vocab_size: usize, max_order: usize) -> Counts {
    count_within(tokens, vocab_size, max_order, &Limits::default()).expect("no limit, no spill, no I/O")
}

/// Counts like [`count`], within `limits`: past the memory limit, sorted runs spill to
/// `limits.temp_dir` and are merged. The result is identical for any limit and thread count.
pub fn count_within(tokens: &[u32], vocab_size: usize, max_order: usize, limits: &Limits) -> Result<Counts, Error> {
    let mut orders = Vec::with_capacity(max_order);
    let tokens = count_orders(tokens, vocab_size, max_order, limits, &mut Dest::Memory(&mut orders))?;
    Ok(Counts { orders, tokens })
}

/// Counts like [`count_within`] into `store`, on disk: each order is written as soon as it is counted and
/// none is kept, so memory holds one order at a time — and, past the memory limit, not even that: spilled
/// runs are merged straight into the store's files. Returns the number of tokens counted as unigrams.
pub fn count_to_store(
    tokens: &[u32],
    vocab_size: usize,
    max_order: usize,
    limits: &Limits,
    store: &mut store::Store,
) -> Result<u64, Error> {
    // No n-gram occurs more often than there are positions.
    store.bound_counts(tokens.len() as u64);
    count_orders(tokens, vocab_size, max_order, limits, &mut Dest::Store(store))
}

/// Where counted orders go.
enum Dest<'a> {
    Memory(&'a mut Vec<Order>),
    Store(&'a mut store::Store),
}

impl Dest<'_> {
    fn push(&mut self, order: Order) -> Result<(), Error> {
        match self {
            Dest::Memory(orders) => {
                orders.push(order);
                Ok(())
            }
            Dest::Store(store) => {
                let n = order.n;
                store.push(&order).map_err(|(path, source)| Error::Spill { order: n, path, source })
            }
        }
    }
}

fn count_orders(
    tokens: &[u32],
    vocab_size: usize,
    max_order: usize,
    limits: &Limits,
    dest: &mut Dest,
) -> Result<u64, Error> {
    assert!((1..=MAX_ORDER).contains(&max_order), "order {max_order} out of range");
    let unigram_counts = tokens
        .par_chunks(1 << 20)
        .map(|ts| {
            let mut c = vec![0u64; vocab_size];
            ts.iter().filter(|&&t| t != BOS).for_each(|&t| c[t as usize] += 1);
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
    dest.push(Order::unigrams(unigram_counts))?;
    // prev[i]: id of the (n−1)-gram ending at position i, or NONE.
    let mut prev: Vec<u32> = tokens.to_vec();
    let mut lower = vocab_size;
    for n in 2..=max_order {
        let last = n == max_order;
        let level = Level { tokens, prev: &prev, n, lower };
        let (len, next) = level.count(limits, !last, dest)?;
        lower = len;
        if let Some(next) = next {
            prev = next;
        }
    }
    Ok(tokens_counted)
}

/// One order being counted from the ids of the order below.
struct Level<'a> {
    tokens: &'a [u32],
    prev: &'a [u32],
    n: usize,
    /// Number of ids of order n − 1 (the range of suffix ids).
    lower: usize,
}

/// Sorted distinct n-grams of one section, in key order: the columns of an [`Order`], with counts of type
/// `C` — u64 for an order counted in one section, u32 for a run that spills (a section's counts fit).
struct Run<C> {
    first: Vec<u32>,
    suffix: Vec<u32>,
    history: Vec<u32>,
    count: Vec<C>,
}

impl Run<u64> {
    fn into_order(self, n: usize) -> Order {
        Order {
            n,
            first: self.first,
            suffix: self.suffix,
            history: self.history,
            count: self.count,
            index: HashMap::new(),
        }
    }
}

impl Level<'_> {
    /// Whether an n-gram ends at position `i` (it ends in neither `<s>` nor crosses one).
    #[inline]
    fn valid(&self, i: usize) -> bool {
        i + 1 >= self.n && self.tokens[i] != BOS && self.prev[i] != NONE && self.prev[i - 1] != NONE
    }

    #[inline]
    fn key(&self, i: usize) -> u64 {
        key(self.prev[i], self.tokens[i + 1 - self.n])
    }

    /// Counts the order into `dest`; returns its number of n-grams and, with `want_ids`, each position's id.
    fn count(&self, limits: &Limits, want_ids: bool, dest: &mut Dest) -> Result<(usize, Option<Vec<u32>>), Error> {
        let len = self.tokens.len();
        let next: Vec<AtomicU32> =
            if want_ids { (0..len).into_par_iter().map(|_| AtomicU32::new(NONE)).collect() } else { Vec::new() };
        let ids = if want_ids { Some(&next[..]) } else { None };
        let section = limits.section();
        let order = if len <= section {
            // One section: bucket order is key order, local ranks are the ids.
            Some(self.sort_section(0..len, ids).into_order(self.n))
        } else {
            self.count_sections(section, limits, ids, dest)?
        };
        let size = match order {
            Some(order) => {
                let size = order.len();
                dest.push(with_index(order, limits.index))?;
                size
            }
            // Merged straight into the store.
            None => match dest {
                Dest::Store(store) => store.len(self.n),
                Dest::Memory(_) => unreachable!("orders counted into memory are returned"),
            },
        };
        let next = want_ids.then(|| next.into_iter().map(AtomicU32::into_inner).collect());
        Ok((size, next))
    }

    /// External sort: sections of `section` positions, each sorted into a run spilled to disk, then merged.
    /// Returns the order, or `None` when `dest` is a store and the runs were merged into it.
    fn count_sections(
        &self,
        section: usize,
        limits: &Limits,
        ids: Option<&[AtomicU32]>,
        dest: &mut Dest,
    ) -> Result<Option<Order>, Error> {
        let spill = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Spill { order: self.n, path: path.clone(), source }
        };
        let ranges: Vec<Range<usize>> =
            (0..self.tokens.len()).step_by(section).map(|s| s..(s + section).min(self.tokens.len())).collect();
        let mut runs = Vec::with_capacity(ranges.len());
        for (r, range) in ranges.iter().enumerate() {
            let run = self.sort_section::<u32>(range.clone(), ids);
            let path = limits.temp_dir.join(format!("order{}-run{r}.bin", self.n));
            let result = write_run(&path, &run).map_err(spill(&path));
            runs.push(SpillFile(path));
            result?;
        }
        let mut maps = Vec::new();
        for (r, _) in ranges.iter().enumerate() {
            maps.push(SpillFile(limits.temp_dir.join(format!("order{}-map{r}.bin", self.n))));
        }
        let maps_used = ids.map(|_| &maps[..]);
        let order = match dest {
            Dest::Memory(_) => Some(merge_runs(self.n, &runs, maps_used)),
            Dest::Store(store) => {
                let mut writer =
                    store.writer(self.n).map_err(|(path, e)| Error::Spill { order: self.n, path, source: e })?;
                merge_with(&runs, maps_used, |k, c, h| writer.push(k as u32, (k >> 32) as u32, h, c))
                    .map_err(|(path, source)| Error::Spill { order: self.n, path, source })?;
                writer.finish().map_err(|(path, source)| Error::Spill { order: self.n, path, source })?;
                None
            }
        };
        let order = order.transpose().map_err(|(path, source)| Error::Spill { order: self.n, path, source })?;
        drop(runs);
        if let Some(ids) = ids {
            // Local ranks → global ids, one section at a time.
            for (range, map) in ranges.iter().zip(&maps) {
                let table = read_u32s(&map.0).map_err(spill(&map.0))?;
                ids[range.clone()].par_iter().with_min_len(1 << 14).for_each(|id| {
                    let local = id.load(Ordering::Relaxed);
                    if local != NONE {
                        id.store(table[local as usize], Ordering::Relaxed);
                    }
                });
            }
        }
        Ok(order)
    }

    /// Sorts the n-grams ending at `range`: positions are scattered into buckets by suffix-id range (which
    /// are key ranges), each bucket is sorted on its own, and the distinct keys of the buckets in order
    /// form the run. Each position's rank in the run goes to `ids[i]`.
    ///
    /// No per-part vectors, no concatenation: a first pass sizes every (bucket, part) piece of the scatter
    /// arrays ([`groups`] of whole buckets), and each part writes its entries straight into its pieces. An
    /// entry is the n-gram's key within its bucket and its position — 8 bytes when that key fits 32 bits
    /// (as it does unless the vocabulary or the buckets are huge), 12 otherwise. Buckets are sorted in
    /// place, then walked into the run's columns, sized by their distinct counts; each scatter array is
    /// freed as soon as it is walked.
    fn sort_section<C: Tally>(&self, range: Range<usize>, ids: Option<&[AtomicU32]>) -> Run<C> {
        // The first word of the n-gram ending at i is at i + 1 − n.
        let words = range.start.saturating_sub(self.n - 1)..range.end;
        let max_first = self.tokens[words].par_iter().copied().max().unwrap_or(0);
        let layout = Layout::new(range.len(), self.lower, max_first);
        if layout.shift + layout.first_bits <= 32 {
            self.sort_entries::<u64, C>(range, layout, ids)
        } else {
            self.sort_entries::<[u32; 3], C>(range, layout, ids)
        }
    }

    fn sort_entries<E: Entry, C: Tally>(
        &self,
        range: Range<usize>,
        layout: Layout,
        ids: Option<&[AtomicU32]>,
    ) -> Run<C> {
        let Layout { shift, first_bits, buckets } = layout;
        let offset_mask = (1u64 << shift) - 1;
        let first_mask = (1u64 << first_bits) - 1;
        let positions = range.len();
        let parts = (positions / (1 << 16)).clamp(1, rayon::current_num_threads() * 4);
        let step = positions.div_ceil(parts).max(1);
        let parts: Vec<Range<usize>> = range.clone().step_by(step).map(|s| s..(s + step).min(range.end)).collect();
        // Sizes of every (part, bucket) piece.
        let sizes: Vec<Vec<u32>> = parts
            .par_iter()
            .map(|part| {
                let mut sizes = vec![0u32; buckets];
                for i in part.clone() {
                    if self.valid(i) {
                        sizes[(self.prev[i] >> shift) as usize] += 1;
                    }
                }
                sizes
            })
            .collect();
        let totals: Vec<usize> = (0..buckets).map(|b| sizes.iter().map(|s| s[b] as usize).sum()).collect();
        // The scatter: bucket after bucket, each bucket's pieces in part order, held in a few allocations
        // (groups of whole buckets) that the walk below frees one by one as it fills the columns.
        let groups = groups(&totals, std::mem::size_of::<E>());
        let mut scatter: Vec<Vec<E>> = groups.iter().map(|g| vec![E::ZERO; totals[g.clone()].iter().sum()]).collect();
        let mut pieces: Vec<Vec<&mut [E]>> = parts.iter().map(|_| Vec::with_capacity(buckets)).collect();
        for (group, g) in scatter.iter_mut().zip(&groups) {
            let mut rest = &mut group[..];
            for b in g.clone() {
                for (p, sizes) in sizes.iter().enumerate() {
                    let (piece, tail) = rest.split_at_mut(sizes[b] as usize);
                    pieces[p].push(piece);
                    rest = tail;
                }
            }
        }
        drop(sizes);
        parts.into_par_iter().zip(pieces).for_each(|(part, mut pieces)| {
            for i in part {
                if self.valid(i) {
                    let suffix = u64::from(self.prev[i]);
                    let key = (suffix & offset_mask) << first_bits | u64::from(self.tokens[i + 1 - self.n]);
                    let piece = &mut pieces[(suffix >> shift) as usize];
                    let (slot, tail) = std::mem::take(piece).split_first_mut().expect("sized by the first pass");
                    *slot = E::new(key, i as u32);
                    *piece = tail;
                }
            }
        });
        // Sort each bucket in place and count its distinct keys.
        let sorted: Vec<&mut [E]> =
            scatter.iter_mut().zip(&groups).flat_map(|(group, g)| split_mut(group, &totals[g.clone()])).collect();
        let distinct: Vec<usize> = sorted
            .into_par_iter()
            .map_init(Vec::new, |scratch, v| {
                E::sort(v, shift + first_bits, scratch);
                v.windows(2).filter(|w| w[0].key() != w[1].key()).count() + usize::from(!v.is_empty())
            })
            .collect();
        // Walk the sorted buckets into the run's columns (zeroed, so their pages are only made resident as
        // the walk writes them), one group at a time, freeing each group once walked.
        let total: usize = distinct.iter().sum();
        let mut run = Run {
            first: vec![0; total],
            suffix: vec![0; total],
            history: vec![0; total],
            count: vec![C::default(); total],
        };
        let mut base = 0u32;
        let bases: Vec<u32> = distinct
            .iter()
            .map(|&d| {
                let b = base;
                base += d as u32;
                b
            })
            .collect();
        let mut columns = split_mut(&mut run.first, &distinct)
            .into_iter()
            .zip(split_mut(&mut run.suffix, &distinct))
            .zip(split_mut(&mut run.history, &distinct))
            .zip(split_mut(&mut run.count, &distinct))
            .zip(bases)
            .enumerate();
        for (mut group, g) in scatter.into_iter().zip(&groups) {
            let work: Vec<_> =
                split_mut(&mut group, &totals[g.clone()]).into_iter().zip(columns.by_ref().take(g.len())).collect();
            work.into_par_iter().for_each(|(v, (b, ((((first, suffix), history), count), base)))| {
                let low = (b as u64) << shift;
                let mut r = usize::MAX;
                let mut last = None;
                for &e in v.iter() {
                    let (k, pos) = (e.key(), e.pos() as usize);
                    if last != Some(k) {
                        r = r.wrapping_add(1);
                        last = Some(k);
                        first[r] = (k & first_mask) as u32;
                        suffix[r] = (low + (k >> first_bits)) as u32;
                        // Where the history is, for now: its loads are gathered below.
                        history[r] = (pos - 1) as u32;
                    }
                    count[r] += C::from(1);
                    if let Some(ids) = ids {
                        ids[pos].store(base + r as u32, Ordering::Relaxed);
                    }
                }
                // One random load per n-gram, each independent of the others, so the processor keeps many
                // in flight; inside the walk above they waited behind its branches.
                for h in history.iter_mut() {
                    *h = self.prev[*h as usize];
                }
            });
        }
        run
    }
}

/// A count column's type: u64 in an [`Order`], u32 in a run that spills.
trait Tally: Copy + Default + Send + Sync + std::ops::AddAssign + From<u8> {}

impl<C: Copy + Default + Send + Sync + std::ops::AddAssign + From<u8>> Tally for C {}

/// How a section's positions are bucketed and keyed: bucket b holds the n-grams whose suffix id is in
/// `b << shift .. (b + 1) << shift`, and an n-gram's key within its bucket is
/// `(suffix − (b << shift)) << first_bits | first`, which sorts like its full key.
#[derive(Clone, Copy)]
struct Layout {
    shift: u32,
    first_bits: u32,
    buckets: usize,
}

impl Layout {
    /// Most buckets taken to make keys fit 32 bits.
    const MAX_BUCKETS: u64 = 1 << 16;
    /// Log2 of the positions a bucket aims at (few in tests, so that they sort and walk many buckets).
    const POSITIONS_LOG2: u32 = if cfg!(test) { 5 } else { 15 };

    /// About 32 Ki positions a bucket (a cache-resident sort), at most 16 Ki buckets — or more, up to
    /// [`Layout::MAX_BUCKETS`], if narrower buckets make keys fit 32 bits.
    fn new(positions: usize, lower: usize, max_first: u32) -> Layout {
        let lower = lower.max(1) as u64;
        let first_bits = u32::BITS - max_first.leading_zeros();
        let target = (positions >> Layout::POSITIONS_LOG2).next_power_of_two().clamp(1, 1 << 14) as u64;
        let width = lower.div_ceil(target);
        // The least shift with 1 << shift ≥ width.
        let shift = u64::BITS - (width - 1).leading_zeros();
        let narrow = shift.min(32 - first_bits);
        let shift = if lower.div_ceil(1 << narrow) <= Layout::MAX_BUCKETS { narrow } else { shift };
        Layout { shift, first_bits, buckets: lower.div_ceil(1 << shift) as usize }
    }
}

/// A scattered occurrence of an n-gram: its key within its bucket and its position.
trait Entry: Copy + Send + Sync {
    const ZERO: Self;
    fn new(key: u64, pos: u32) -> Self;
    fn key(self) -> u64;
    fn pos(self) -> u32;
    /// Sorts by key (ties in any order: they are the same n-gram), keys being below `1 << key_bits`;
    /// `scratch` is a buffer to reuse between calls.
    fn sort(v: &mut [Self], key_bits: u32, scratch: &mut Vec<Self>);
}

/// A key of at most 32 bits above the position: 8 bytes, sorted as plain integers.
impl Entry for u64 {
    const ZERO: Self = 0;
    #[inline]
    fn new(key: u64, pos: u32) -> Self {
        key << 32 | u64::from(pos)
    }
    #[inline]
    fn key(self) -> u64 {
        self >> 32
    }
    #[inline]
    fn pos(self) -> u32 {
        self as u32
    }
    /// LSD radix sort on the key, in digits of up to 12 bits (a histogram that fits L1).
    fn sort(v: &mut [Self], key_bits: u32, scratch: &mut Vec<Self>) {
        if v.len() < 1 << 10 || key_bits == 0 {
            if key_bits > 0 {
                v.sort_unstable();
            }
            return;
        }
        let passes = key_bits.div_ceil(12);
        let bits = key_bits.div_ceil(passes);
        let (radix, mask) = (1usize << bits, (1u64 << bits) - 1);
        let digit = |e: u64, p: u32| ((e >> (32 + p * bits)) & mask) as usize;
        let mut counts = vec![0usize; radix * passes as usize];
        for &e in v.iter() {
            for (p, c) in counts.chunks_exact_mut(radix).enumerate() {
                c[digit(e, p as u32)] += 1;
            }
        }
        scratch.clear();
        scratch.resize(v.len(), 0);
        let (mut src, mut dst) = (&mut *v, &mut scratch[..]);
        let mut moved = false;
        for (p, c) in counts.chunks_exact_mut(radix).enumerate() {
            if c.contains(&src.len()) {
                continue; // One digit: nothing to move.
            }
            let mut at = 0;
            for n in c.iter_mut() {
                (*n, at) = (at, at + *n);
            }
            for &e in src.iter() {
                let d = &mut c[digit(e, p as u32)];
                dst[*d] = e;
                *d += 1;
            }
            std::mem::swap(&mut src, &mut dst);
            moved = !moved;
        }
        if moved {
            v.copy_from_slice(scratch);
        }
    }
}

/// Any key: its high and low halves, then the position — 12 bytes.
impl Entry for [u32; 3] {
    const ZERO: Self = [0; 3];
    #[inline]
    fn new(key: u64, pos: u32) -> Self {
        [(key >> 32) as u32, key as u32, pos]
    }
    #[inline]
    fn key(self) -> u64 {
        u64::from(self[0]) << 32 | u64::from(self[1])
    }
    #[inline]
    fn pos(self) -> u32 {
        self[2]
    }
    fn sort(v: &mut [Self], _: u32, _: &mut Vec<Self>) {
        v.sort_unstable_by_key(|e| e.key());
    }
}

/// Bytes of scatter entries an allocation of [`groups`] holds at least: with glibc, allocations this large
/// are mapped on their own, so freeing one gives its memory back to the system at once.
/// (Tiny in tests, so that they walk many groups.)
const GROUP_BYTES: usize = if cfg!(test) { 256 } else { 32 << 20 };

/// Splits buckets of `totals` entries of `entry` bytes into consecutive ranges of at least [`GROUP_BYTES`]
/// and about a 32nd of all the entries (the last range aside).
fn groups(totals: &[usize], entry: usize) -> Vec<Range<usize>> {
    let target = (totals.iter().sum::<usize>() * entry / 32).max(GROUP_BYTES);
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (b, &t) in totals.iter().enumerate() {
        bytes += t * entry;
        if bytes >= target {
            out.push(start..b + 1);
            (start, bytes) = (b + 1, 0);
        }
    }
    if start < totals.len() {
        out.push(start..totals.len());
    }
    out
}

/// Splits `v` into consecutive mutable pieces of the given sizes.
fn split_mut<'a, T>(mut v: &'a mut [T], sizes: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(sizes.len());
    for &s in sizes {
        let (head, tail) = v.split_at_mut(s);
        out.push(head);
        v = tail;
    }
    out
}

fn order_of(n: usize, keys: Vec<u64>, count: Vec<u64>, history: Vec<u32>) -> Order {
    Order {
        n,
        first: keys.par_iter().map(|&k| k as u32).collect(),
        suffix: keys.par_iter().map(|&k| (k >> 32) as u32).collect(),
        history,
        count,
        index: HashMap::new(),
    }
}

fn with_index(mut order: Order, index: bool) -> Order {
    if index {
        let mut map = HashMap::with_capacity(order.len());
        for (id, (&s, &f)) in order.suffix.iter().zip(&order.first).enumerate() {
            map.insert(key(s, f), id as u32);
        }
        order.index = map;
    }
    order
}

/// A spill file, removed when dropped (on success and on error alike).
struct SpillFile(PathBuf);

impl Drop for SpillFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Run records on disk: key `(suffix << 32) | first` (u64), count (u32), history (u32), little-endian.
const RECORD: usize = 16;

fn write_run(path: &Path, run: &Run<u32>) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let columns = run.suffix.iter().zip(&run.first).zip(&run.count).zip(&run.history);
    for (((&s, &f), &c), &h) in columns {
        let mut rec = [0u8; RECORD];
        rec[..8].copy_from_slice(&key(s, f).to_le_bytes());
        rec[8..12].copy_from_slice(&c.to_le_bytes());
        rec[12..].copy_from_slice(&h.to_le_bytes());
        out.write_all(&rec)?;
    }
    out.flush()
}

fn read_u32s(path: &Path) -> io::Result<Vec<u32>> {
    let bytes = std::fs::read(path)?;
    Ok(bytes.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}

/// A run read back in blocks.
struct RunReader {
    input: std::io::BufReader<std::fs::File>,
    buf: Vec<u8>,
    at: usize,
}

impl RunReader {
    fn open(path: &Path) -> io::Result<RunReader> {
        Ok(RunReader {
            input: std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?),
            buf: Vec::new(),
            at: 0,
        })
    }

    fn next(&mut self) -> io::Result<Option<(u64, u32, u32)>> {
        if self.at == self.buf.len() {
            self.buf.clear();
            self.at = 0;
            (&mut self.input).take(RECORD as u64 * 4096).read_to_end(&mut self.buf)?;
            if self.buf.is_empty() {
                return Ok(None);
            }
            if !self.buf.chunks_exact(RECORD).remainder().is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "truncated run"));
            }
        }
        let r = &self.buf[self.at..self.at + RECORD];
        self.at += RECORD;
        let k = u64::from_le_bytes(r[..8].try_into().expect("8 bytes"));
        let c = u32::from_le_bytes(r[8..12].try_into().expect("4 bytes"));
        let h = u32::from_le_bytes(r[12..].try_into().expect("4 bytes"));
        Ok(Some((k, c, h)))
    }
}

/// K-way merge of sorted runs into one order; with `maps`, writes each run's local → global id map.
fn merge_runs(n: usize, runs: &[SpillFile], maps: Option<&[SpillFile]>) -> Result<Order, (PathBuf, io::Error)> {
    // At most every record is distinct: reserving that much touches (and makes resident) only the pages
    // used, and shrinking gives the rest back, so the columns are never copied while they grow.
    let mut records = 0;
    for r in runs {
        records += std::fs::metadata(&r.0).map_err(|e| (r.0.clone(), e))?.len() as usize / RECORD;
    }
    let mut order = Order {
        n,
        first: Vec::with_capacity(records),
        suffix: Vec::with_capacity(records),
        history: Vec::with_capacity(records),
        count: Vec::with_capacity(records),
        index: HashMap::new(),
    };
    merge_with(runs, maps, |k, c, h| {
        order.first.push(k as u32);
        order.suffix.push((k >> 32) as u32);
        order.count.push(c);
        order.history.push(h);
        Ok(())
    })?;
    order.first.shrink_to_fit();
    order.suffix.shrink_to_fit();
    order.history.shrink_to_fit();
    order.count.shrink_to_fit();
    Ok(order)
}

/// K-way merge of sorted runs: calls `emit(key, count, history)` for every distinct key in order, its
/// counts summed over the runs; with `maps`, writes each run's local → global id map.
fn merge_with(
    runs: &[SpillFile],
    maps: Option<&[SpillFile]>,
    mut emit: impl FnMut(u64, u64, u32) -> Result<(), (PathBuf, io::Error)>,
) -> Result<(), (PathBuf, io::Error)> {
    let at = |p: &Path| {
        let p = p.to_path_buf();
        move |e| (p.clone(), e)
    };
    let mut readers = Vec::with_capacity(runs.len());
    for r in runs {
        readers.push(RunReader::open(&r.0).map_err(at(&r.0))?);
    }
    let mut sinks = Vec::new();
    for m in maps.unwrap_or(&[]) {
        sinks.push(BufWriter::with_capacity(1 << 16, std::fs::File::create(&m.0).map_err(at(&m.0))?));
    }
    let mut heap = std::collections::BinaryHeap::new();
    let mut current = vec![(0u32, 0u32); runs.len()];
    for (r, reader) in readers.iter_mut().enumerate() {
        if let Some((k, c, h)) = reader.next().map_err(at(&runs[r].0))? {
            current[r] = (c, h);
            heap.push(std::cmp::Reverse((k, r)));
        }
    }
    // The key being summed: (key, count, history), emitted when the next key differs.
    let mut pending: Option<(u64, u64, u32)> = None;
    let mut id: u32 = 0;
    while let Some(std::cmp::Reverse((k, r))) = heap.pop() {
        let (c, h) = current[r];
        match &mut pending {
            Some((key, count, _)) if *key == k => *count += u64::from(c),
            _ => {
                if let Some((key, count, history)) = pending.take() {
                    emit(key, count, history)?;
                    id += 1;
                }
                pending = Some((k, u64::from(c), h));
            }
        }
        if let Some(sink) = sinks.get_mut(r) {
            sink.write_all(&id.to_le_bytes()).map_err(at(&maps.expect("sinks")[r].0))?;
        }
        if let Some((k, c, h)) = readers[r].next().map_err(at(&runs[r].0))? {
            current[r] = (c, h);
            heap.push(std::cmp::Reverse((k, r)));
        }
    }
    if let Some((key, count, history)) = pending {
        emit(key, count, history)?;
    }
    for (r, mut sink) in sinks.into_iter().enumerate() {
        sink.flush().map_err(at(&maps.expect("sinks")[r].0))?;
    }
    Ok(())
}

/// The serial oracle: one hash map over all positions, then a sort — a different algorithm from
/// [`count`], which the tests compare it against.
pub fn count_serial(tokens: &[u32], vocab_size: usize, max_order: usize) -> Counts {
    assert!((1..=MAX_ORDER).contains(&max_order), "order {max_order} out of range");
    let mut unigram = vec![0u64; vocab_size];
    tokens.iter().filter(|&&t| t != BOS).for_each(|&t| unigram[t as usize] += 1);
    let tokens_counted = unigram.iter().sum();
    let mut orders = vec![Order::unigrams(unigram)];
    let mut prev: Vec<u32> = tokens.to_vec();
    for n in 2..=max_order {
        let level = Level { tokens, prev: &prev, n, lower: orders[n - 2].len() };
        let mut map: HashMap<u64, (u64, u32)> = HashMap::new();
        for i in 0..tokens.len() {
            if level.valid(i) {
                map.entry(level.key(i)).or_insert((0, prev[i - 1])).0 += 1;
            }
        }
        let mut entries: Vec<(u64, u64, u32)> = map.into_iter().map(|(k, (c, h))| (k, c, h)).collect();
        entries.sort_unstable_by_key(|e| e.0);
        let order = with_index(
            order_of(
                n,
                entries.iter().map(|e| e.0).collect(),
                entries.iter().map(|e| e.1).collect(),
                entries.iter().map(|e| e.2).collect(),
            ),
            true,
        );
        prev = (0..tokens.len()).map(|i| if level.valid(i) { order.index[&level.key(i)] } else { NONE }).collect();
        orders.push(order);
    }
    Counts { orders, tokens: tokens_counted }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use shannon_tokens::EOS;
    use std::collections::BTreeMap;

    /// Tokens since the last `<s>`, inclusive.
    fn spans(tokens: &[u32]) -> Vec<usize> {
        let mut s = 0;
        tokens
            .iter()
            .map(|&t| {
                s = if t == BOS { 1 } else { s + 1 };
                s
            })
            .collect()
    }

    /// Brute force: every n-gram as a word vector.
    fn naive(tokens: &[u32], max_order: usize) -> BTreeMap<Vec<u32>, u64> {
        let mut out = BTreeMap::new();
        let span = spans(tokens);
        for i in 0..tokens.len() {
            for n in 1..=max_order {
                if tokens[i] != BOS && span[i] >= n {
                    *out.entry(tokens[i + 1 - n..=i].to_vec()).or_insert(0) += 1;
                }
            }
        }
        out
    }

    fn as_map(c: &Counts) -> BTreeMap<Vec<u32>, u64> {
        let mut out = BTreeMap::new();
        for n in 1..=c.max_order() {
            for id in 0..c.order(n).len() as u32 {
                let count = c.order(n).count[id as usize];
                if count > 0 {
                    out.insert(c.words(n, id), count);
                }
            }
        }
        out
    }

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
    fn orders_longer_than_any_sentence_are_empty() {
        let t = [BOS, 3, EOS];
        let c = count(&t, 4, 5);
        assert_eq!(c.order(3).len(), 1, "<s> a </s>");
        assert_eq!(c.order(4).len(), 0);
        assert_eq!(c.order(5).len(), 0);
    }

    proptest! {
        #[test]
        fn parallel_equals_serial_equals_naive(
            words in proptest::collection::vec(0u32..8, 0..400),
            breaks in proptest::collection::vec(any::<bool>(), 400),
            order in 1usize..6,
        ) {
            // Build sentences from the words, breaking where `breaks` says so.
            let mut t = vec![BOS];
            for (i, w) in words.iter().enumerate() {
                t.push(w + 3);
                if breaks[i] && i % 3 == 0 { t.push(EOS); t.push(BOS); }
            }
            t.push(EOS);
            let serial = count_serial(&t, 11, order);
            let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
            let parallel = pool.install(|| count(&t, 11, order));
            prop_assert_eq!(&serial, &parallel);
            prop_assert_eq!(as_map(&serial), naive(&t, order));
            // A memory limit of a few positions per section: every order spills runs and merges them.
            let dir = tempfile::tempdir().unwrap();
            let limits = Limits { memory: Some(1), temp_dir: dir.path().to_path_buf(), index: true };
            let spilled = pool.install(|| count_within(&t, 11, order, &limits)).unwrap();
            prop_assert_eq!(&serial, &spilled);
            prop_assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "spill files removed");
        }
    }

    #[test]
    fn blocks_smaller_than_input_merge_correctly() {
        // Many buckets and parts in a stream without markers.
        let t: Vec<u32> = (0..(3 * (1u32 << 16) + 17)).map(|i| 3 + (i * 7 + i / 5) % 13).collect();
        let serial = count_serial(&t, 16, 4);
        let parallel = count(&t, 16, 4);
        assert_eq!(serial, parallel);
        assert_eq!(as_map(&serial), naive(&t, 4));
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

    #[test]
    fn radix_sort_orders_entries_by_key() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut scratch = Vec::new();
        // 2 and 3 digit passes, a constant top digit (skipped), and a bucket below the radix threshold.
        // (entries, key bits, random low bits, constant high bits)
        let cases =
            [(5000, 24, 24, 0), (5000, 30, 30, 0), (3000, 32, 32, 0), (4000, 30, 20, 7 << 20), (100, 20, 20, 0)];
        for (len, key_bits, low, top) in cases {
            let v: Vec<u64> = (0..len as u32)
                .map(|pos| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    u64::new((x >> 32) & ((1 << low) - 1) | top, pos)
                })
                .collect();
            let mut sorted = v.clone();
            <u64 as Entry>::sort(&mut sorted, key_bits, &mut scratch);
            assert!(sorted.windows(2).all(|w| w[0].key() <= w[1].key()), "{len} {key_bits}");
            let (mut a, mut b) = (v, sorted);
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "a permutation");
        }
    }

    #[test]
    fn wide_entries_count_like_packed_ones() {
        assert!(
            {
                let l = Layout::new(1 << 20, 1 << 24, u32::MAX);
                l.shift + l.first_bits > 32
            },
            "huge ids take 12-byte entries"
        );
        let t: Vec<u32> = (0..200_000u32).map(|i| if i % 37 == 0 { BOS } else { 3 + (i * 7 + i / 5) % 1013 }).collect();
        let (mut prev, mut lower) = (t.clone(), 1016);
        for n in 2..=4 {
            let level = Level { tokens: &t, prev: &prev, n, lower };
            let layout = Layout::new(t.len(), lower, 1015);
            let ids = || (0..t.len()).map(|_| AtomicU32::new(NONE)).collect::<Vec<_>>();
            let (packed_ids, wide_ids) = (ids(), ids());
            let packed = level.sort_entries::<u64, u64>(0..t.len(), layout, Some(&packed_ids)).into_order(n);
            let wide = level.sort_entries::<[u32; 3], u64>(0..t.len(), layout, Some(&wide_ids)).into_order(n);
            assert_eq!(packed, wide, "order {n}");
            let unwrap = |v: Vec<AtomicU32>| v.into_iter().map(AtomicU32::into_inner).collect::<Vec<_>>();
            let next = unwrap(packed_ids);
            assert_eq!(next, unwrap(wide_ids));
            assert_eq!(
                packed,
                count_serial(&t, 1016, n).orders.pop().map(|o| Order { index: HashMap::new(), ..o }).unwrap()
            );
            (prev, lower) = (next, packed.len());
        }
    }

    #[test]
    fn spill_errors_name_the_file() {
        let t: Vec<u32> = (0..1000u32).map(|i| 3 + i % 7).collect();
        let limits = Limits { memory: Some(1), temp_dir: "/nonexistent/shannon-spill".into(), index: true };
        let err = count_within(&t, 10, 3, &limits).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/shannon-spill/order2-run0.bin"), "{err}");
        assert!(err.contains("--temp-dir"), "{err}");
    }
}
