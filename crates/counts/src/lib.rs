//! Counts: the third stage of shannon's data path.
//!
//! **In:** a token-id stream from `shannon-tokens` (with `<s>`/`</s>` markers when sentences are lines),
//! the vocabulary size and a maximum order N (any N up to [`MAX_ORDER`]).
//! **Out:** [`Counts`]: for every order 1..=N the distinct n-grams with their counts, each n-gram stored as
//! a left extension of its suffix — `(id of w2..wn, w1)` — together with the id of its history
//! `w1..w(n-1)`. That one layout answers everything the estimators ask with array indexing:
//! the lower-order n-gram to interpolate with is the suffix, continuation counts (distinct left
//! extensions) are the number of n-grams sharing a suffix, and follower statistics group by history.
//!
//! N-grams never cross a sentence boundary and never end in `<s>`; they may start with it.
//!
//! Invariants: n-gram ids of order n ≥ 2 are the ranks of their keys in sorted order, so counts are
//! identical — bit for bit — for any number of threads. Counting is map-then-merge (a hash map per block
//! of positions, merged, then sorted); [`count_serial`] is the oracle the tests compare against.

use hashbrown::HashMap;
use rayon::prelude::*;
use shannon_tokens::BOS;

/// Highest supported order. Spans are tracked in a byte per position.
pub const MAX_ORDER: usize = 255;
/// The id of "no n-gram" in position arrays and of the empty history.
pub const NONE: u32 = u32::MAX;
/// Positions per unit of parallel work.
const BLOCK: usize = 1 << 16;

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
    /// Key `(suffix << 32) | first` → id, for n ≥ 2. Empty for n = 1.
    pub index: HashMap<u64, u32>,
}

/// Packs a left-extension key.
#[inline]
pub fn key(suffix: u32, first: u32) -> u64 {
    (u64::from(suffix) << 32) | u64::from(first)
}

impl Order {
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
        } else {
            self.index.get(&key(suffix, first)).copied()
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

/// Tokens since the last `<s>`, inclusive, capped at 255: an n-gram of order n may end at position i iff
/// `span[i] >= n` and token i is not `<s>`.
fn spans(tokens: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut s: u8 = 0;
    for &t in tokens {
        s = if t == BOS { 1 } else { s.saturating_add(1) };
        out.push(s);
    }
    out
}

/// Counts n-grams of orders 1..=`max_order` in parallel on the current rayon pool.
///
/// `vocab_size` bounds the token ids. Panics if `max_order` is 0 or above [`MAX_ORDER`].
pub fn count(tokens: &[u32], vocab_size: usize, max_order: usize) -> Counts {
    count_with(tokens, vocab_size, max_order, true)
}

/// The serial oracle: the same result as [`count`] computed on one thread with one map.
pub fn count_serial(tokens: &[u32], vocab_size: usize, max_order: usize) -> Counts {
    count_with(tokens, vocab_size, max_order, false)
}

fn count_with(tokens: &[u32], vocab_size: usize, max_order: usize, parallel: bool) -> Counts {
    assert!((1..=MAX_ORDER).contains(&max_order), "order {max_order} out of range");
    let span = spans(tokens);
    let block = if parallel { BLOCK } else { tokens.len().max(1) };

    // Unigrams: the id is the word.
    let unigram_block = |ts: &[u32]| {
        let mut c = vec![0u64; vocab_size];
        for &t in ts {
            if t != BOS {
                c[t as usize] += 1;
            }
        }
        c
    };
    let add = |mut a: Vec<u64>, b: Vec<u64>| {
        a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
        a
    };
    let unigram_counts = if parallel {
        tokens.par_chunks(block.max(1 << 20)).map(unigram_block).reduce(|| vec![0; vocab_size], add)
    } else {
        unigram_block(tokens)
    };
    let tokens_counted = unigram_counts.iter().sum();
    let mut orders = vec![Order {
        n: 1,
        first: (0..vocab_size as u32).collect(),
        suffix: vec![NONE; vocab_size],
        history: vec![0; vocab_size],
        count: unigram_counts,
        index: HashMap::new(),
    }];

    // prev[i]: id of the (n−1)-gram ending at position i, or NONE.
    let mut prev: Vec<u32> = tokens.to_vec();
    for n in 2..=max_order {
        let count_block = |start: usize| {
            let end = (start + block).min(tokens.len());
            let mut map: HashMap<u64, (u64, u32)> = HashMap::new();
            for i in start..end {
                if tokens[i] == BOS || (span[i] as usize) < n {
                    continue;
                }
                let k = key(prev[i], tokens[i + 1 - n]);
                map.entry(k).or_insert((0, prev[i - 1])).0 += 1;
            }
            map
        };
        let merge = |mut a: HashMap<u64, (u64, u32)>, mut b: HashMap<u64, (u64, u32)>| {
            if a.len() < b.len() {
                std::mem::swap(&mut a, &mut b);
            }
            for (k, (c, h)) in b {
                a.entry(k).or_insert((0, h)).0 += c;
            }
            a
        };
        let starts = (0..tokens.len()).step_by(block);
        let map = if parallel {
            starts.collect::<Vec<_>>().into_par_iter().map(count_block).reduce(HashMap::new, merge)
        } else {
            starts.map(count_block).fold(HashMap::new(), merge)
        };
        if map.is_empty() {
            // No n-gram of this order fits in any sentence; higher orders are empty too.
            orders.push(empty_order(n));
            prev.iter_mut().for_each(|p| *p = NONE);
            continue;
        }
        let mut entries: Vec<(u64, u64, u32)> = map.into_iter().map(|(k, (c, h))| (k, c, h)).collect();
        if parallel {
            entries.par_sort_unstable_by_key(|e| e.0);
        } else {
            entries.sort_unstable_by_key(|e| e.0);
        }
        let mut index = HashMap::with_capacity(entries.len());
        for (id, e) in entries.iter().enumerate() {
            index.insert(e.0, id as u32);
        }
        let order = Order {
            n,
            first: entries.iter().map(|e| e.0 as u32).collect(),
            suffix: entries.iter().map(|e| (e.0 >> 32) as u32).collect(),
            history: entries.iter().map(|e| e.2).collect(),
            count: entries.iter().map(|e| e.1).collect(),
            index,
        };
        drop(entries);
        if n < max_order {
            let ids = |i: usize| {
                if tokens[i] == BOS || (span[i] as usize) < n {
                    NONE
                } else {
                    order.index[&key(prev[i], tokens[i + 1 - n])]
                }
            };
            let next: Vec<u32> = if parallel {
                (0..tokens.len()).into_par_iter().with_min_len(BLOCK).map(ids).collect()
            } else {
                (0..tokens.len()).map(ids).collect()
            };
            prev = next;
        }
        orders.push(order);
    }
    Counts { orders, tokens: tokens_counted }
}

fn empty_order(n: usize) -> Order {
    Order { n, first: vec![], suffix: vec![], history: vec![], count: vec![], index: HashMap::new() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use shannon_tokens::EOS;
    use std::collections::BTreeMap;

    /// Brute force: every n-gram as a word vector.
    fn naive(tokens: &[u32], max_order: usize) -> BTreeMap<Vec<u32>, u64> {
        let mut out = BTreeMap::new();
        let span = spans(tokens);
        for i in 0..tokens.len() {
            for n in 1..=max_order {
                if tokens[i] != BOS && span[i] as usize >= n {
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
            let parallel = pool.install(|| count_with(&t, 11, order, true));
            prop_assert_eq!(&serial, &parallel);
            prop_assert_eq!(as_map(&serial), naive(&t, order));
        }
    }

    #[test]
    fn blocks_smaller_than_input_merge_correctly() {
        // More than one BLOCK of positions in a stream without markers.
        let t: Vec<u32> = (0..(3 * BLOCK as u32 + 17)).map(|i| 3 + (i * 7 + i / 5) % 13).collect();
        let serial = count_serial(&t, 16, 4);
        let parallel = count(&t, 16, 4);
        assert_eq!(serial, parallel);
        assert_eq!(as_map(&serial), naive(&t, 4));
    }
}
