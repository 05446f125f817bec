//! What counting produces: the n-grams of one order ([`Order`]), all orders ([`Counts`]), and the
//! statistics estimators take from them ([`count_of_counts`], [`Followers`]).
//!
//! Kept apart from the counting algorithms so that the layout every later stage reads — each n-gram a left
//! extension `(suffix id, first word)` with its history id — is documented in one place.

use hashbrown::HashMap;

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
    /// index ([`crate::Limits::index`]), whose ids are in key order and are found by binary search.
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
