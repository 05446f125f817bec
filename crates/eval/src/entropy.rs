//! Shannon-style block entropies: H_n of the n-blocks of a text and F_n = H_n − H_(n−1), with every
//! estimator of `shannon-info` side by side.
//!
//! **In:** a token-id stream — a whole text as one stream, or sentences wrapped in `<s>` … `</s>` (the
//! markers break blocks and are never part of one) — the longest block length N, the alphabet size |A|
//! and [`BlockOptions`].
//! **Out:** [`BlockEntropies`]: for every n = 1..=N the count profile of the n-blocks (all overlapping
//! n-grams that contain no marker), the estimators plug-in, Miller–Madow, Chao–Shen, Grassberger, NSB and
//! the Zahl jackknife of H_n and of F_n, a delete-one-block jackknife standard error for each, the number
//! of distinct blocks, singletons, the coverage 1 − f₁/N, and whether the data support the estimate.
//!
//! Definitions (Shannon 1951 eq. 1; PUBLISHED.md §1a): H_n = −Σ_b p(b) log₂ p(b) over n-blocks b,
//! H_0 = 0, F_0 = log₂ |A|, F_n = H_n − H_(n−1) — the entropy of a symbol given the n − 1 before it. For a
//! stationary source F_n decreases to the entropy rate; for a Markov chain of order k it equals the rate
//! for every n > k. Every estimator of F_n is the difference of that estimator's H_n and H_(n−1).
//!
//! Standard errors: the text is cut into G contiguous groups of block start positions and each group is
//! deleted in turn (the block jackknife of Künsch 1989, Ann. Statist. 17:1217–1241, which stays valid for
//! dependent data where the leave-one-observation-out jackknife of overlapping blocks does not):
//! SE² = (G − 1)/G · Σ_g (θ̂_(−g) − θ̄)². The F_n error deletes the same group at both orders.
//!
//! Support: an order is *unsupported* when the Good–Turing coverage Ĉ = 1 − f₁/N of its blocks is below
//! [`BlockOptions::min_coverage`] (default [`DEFAULT_MIN_COVERAGE`]): 1 − Ĉ estimates the probability
//! that the next block is one never seen (Good 1953), and the entropy carried by that unseen mass is
//! exactly what no estimator can read off the sample (Paninski 2003: in that regime even bias-corrected
//! estimators can be badly biased). F_n is unsupported when H_n is.
//!
//! Cost ([`BlockCounter`]): by default one radix sort of L 64-bit keys for a text of L tokens gives every
//! order and every deleted group at once, where N symbols fit a key; otherwise O(L) hash lookups per order,
//! one order in memory at a time, so any N up to [`MAX_BLOCK`] is practical, and the jackknife adds O(L)
//! per order. The estimators cost O(distinct count values) per profile — NSB, a quadrature over β, most.

use hashbrown::HashMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use shannon_info::estimate::{self, CountProfile};
use shannon_tokens::{BOS, EOS};

/// Longest block length supported.
pub const MAX_BLOCK: usize = 255;
/// Default coverage below which an order is flagged as unsupported.
pub const DEFAULT_MIN_COVERAGE: f64 = 0.9;
/// Default number of jackknife groups.
pub const DEFAULT_GROUPS: usize = 20;
/// Largest alphabet size K = |A|^n handed to NSB (the estimator is validated up to 1e30).
pub const NSB_MAX_ALPHABET: f64 = 1e30;
/// Id of "no block starts here".
const NONE: u32 = u32::MAX;

/// Shannon's (1951) published N-gram entropies, bits per letter (Table in §3 of the paper;
/// PUBLISHED.md §1a): `(F_0, F_1, F_2, F_3, F_word)` for the 26- and 27-letter alphabets. F_word is his
/// Zipf-law word entropy 11.82 bits/word divided by 4.5 (26) or 5.5 (27) letters per word.
pub const SHANNON_1951_F_26: [f64; 5] = [4.70, 4.14, 3.56, 3.3, 2.62];
/// See [`SHANNON_1951_F_26`]; the 27-letter (with space) row.
pub const SHANNON_1951_F_27: [f64; 5] = [4.76, 4.03, 3.32, 3.1, 2.14];

/// The estimators, in the order reports list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    /// Maximum likelihood.
    Plugin,
    /// Miller 1955.
    MillerMadow,
    /// Chao & Shen 2003.
    ChaoShen,
    /// Grassberger 2003 (ψ(N) in place of ln N).
    Grassberger,
    /// Nemenman, Shafee & Bialek 2002.
    Nsb,
    /// Zahl 1977 jackknife of the plug-in estimate.
    Jackknife,
}

impl Estimator {
    /// All estimators, in report order.
    pub const ALL: [Estimator; 6] = [
        Estimator::Plugin,
        Estimator::MillerMadow,
        Estimator::ChaoShen,
        Estimator::Grassberger,
        Estimator::Nsb,
        Estimator::Jackknife,
    ];

    /// The key used in reports.
    pub fn key(self) -> &'static str {
        match self {
            Estimator::Plugin => "plugin",
            Estimator::MillerMadow => "miller_madow",
            Estimator::ChaoShen => "chao_shen",
            Estimator::Grassberger => "grassberger",
            Estimator::Nsb => "nsb",
            Estimator::Jackknife => "jackknife",
        }
    }

    /// A short column heading.
    pub fn label(self) -> &'static str {
        match self {
            Estimator::Plugin => "plug-in",
            Estimator::MillerMadow => "M-Madow",
            Estimator::ChaoShen => "Chao-Shen",
            Estimator::Grassberger => "Grassb.",
            Estimator::Nsb => "NSB",
            Estimator::Jackknife => "jackknife",
        }
    }
}

/// One value per estimator, in bits. `nsb` is `None` when NSB was not computed or did not converge.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ByEstimator {
    /// Plug-in (maximum likelihood).
    pub plugin: f64,
    /// Miller–Madow.
    pub miller_madow: f64,
    /// Chao–Shen.
    pub chao_shen: f64,
    /// Grassberger 2003.
    pub grassberger: f64,
    /// NSB posterior mean.
    pub nsb: Option<f64>,
    /// Zahl jackknife.
    pub jackknife: f64,
}

impl ByEstimator {
    /// The same value for every estimator.
    pub fn all(v: f64) -> ByEstimator {
        ByEstimator { plugin: v, miller_madow: v, chao_shen: v, grassberger: v, nsb: Some(v), jackknife: v }
    }

    /// The value of one estimator.
    pub fn get(&self, e: Estimator) -> Option<f64> {
        match e {
            Estimator::Plugin => Some(self.plugin),
            Estimator::MillerMadow => Some(self.miller_madow),
            Estimator::ChaoShen => Some(self.chao_shen),
            Estimator::Grassberger => Some(self.grassberger),
            Estimator::Nsb => self.nsb,
            Estimator::Jackknife => Some(self.jackknife),
        }
    }

    /// Applies `f` estimator by estimator.
    pub fn map2(&self, other: &ByEstimator, f: impl Fn(f64, f64) -> f64) -> ByEstimator {
        ByEstimator {
            plugin: f(self.plugin, other.plugin),
            miller_madow: f(self.miller_madow, other.miller_madow),
            chao_shen: f(self.chao_shen, other.chao_shen),
            grassberger: f(self.grassberger, other.grassberger),
            nsb: self.nsb.zip(other.nsb).map(|(a, b)| f(a, b)),
            jackknife: f(self.jackknife, other.jackknife),
        }
    }

    /// Divides every value by `d`.
    pub fn scaled(&self, d: f64) -> ByEstimator {
        self.map2(self, |a, _| a / d)
    }
}

/// Settings of [`block_entropies`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockOptions {
    /// Longest block length N (1..=[`MAX_BLOCK`]).
    pub max_order: usize,
    /// Alphabet size |A|: F_0 = log₂ |A| and NSB's K = min(|A|^n, [`NSB_MAX_ALPHABET`]).
    pub alphabet: f64,
    /// Jackknife groups G (≥ 2).
    pub groups: usize,
    /// Coverage below which an order is unsupported.
    pub min_coverage: f64,
    /// Also compute NSB for every deleted group (its standard error); otherwise NSB's error is its
    /// posterior standard deviation only.
    pub nsb_jackknife: bool,
    /// How the blocks are counted; every counter gives the same profiles, so the same estimates.
    pub counter: BlockCounter,
    /// Bytes the sorted keys of [`BlockCounter::Sort`] may take (8 a key; the tokens come on top): past it,
    /// the keys are made and sorted in ranges of about that size, one pass over the text each. `None`: one
    /// range, 8 bytes a position. The profiles are the same either way.
    pub memory: Option<u64>,
}

/// How n-blocks are counted ([`block_entropies`]). Every counter gives identical count profiles, hence
/// identical estimates (tests check it, to N = 100 for the suffix array); they differ in cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlockCounter {
    /// Every start position as one 64-bit key — its N symbols packed, then its jackknife group — and the
    /// keys radix-sorted once: every order's blocks are the runs of the sorted keys (`crate::packed`).
    /// Where N symbols and a group do not fit 64 bits (27 letters past N = 11, bytes past N = 6, most word
    /// vocabularies past N = 2 or 3) the blocks are hashed instead ([`BlockCounter::Hash`]).
    #[default]
    Sort,
    /// Each n-block as (id of its (n−1)-block, last symbol), numbered through hash partitions: one pass
    /// over the text per order, for any alphabet and N.
    Hash,
    /// From the text's suffix array and LCP array (`shannon_index`): the n-blocks are the runs of
    /// suffixes that share n symbols, one pass over the rows per order. Built once, so cheaper per order
    /// for long blocks (N up to 100 and beyond).
    SuffixArray,
}

impl BlockCounter {
    /// The name `--block-counts` and reports use.
    pub fn name(self) -> &'static str {
        match self {
            BlockCounter::Sort => "sort",
            BlockCounter::Hash => "hash",
            BlockCounter::SuffixArray => "suffix-array",
        }
    }
}

impl BlockOptions {
    /// Defaults for a given N and alphabet.
    pub fn new(max_order: usize, alphabet: f64) -> BlockOptions {
        BlockOptions {
            max_order,
            alphabet,
            groups: DEFAULT_GROUPS,
            min_coverage: DEFAULT_MIN_COVERAGE,
            nsb_jackknife: true,
            counter: BlockCounter::Sort,
            memory: None,
        }
    }

    /// NSB's alphabet size for blocks of length n.
    pub fn nsb_alphabet(&self, n: usize) -> f64 {
        self.alphabet.powi(n as i32).min(NSB_MAX_ALPHABET)
    }
}

/// The estimates for one block length n ≥ 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockOrder {
    /// Block length n.
    pub n: usize,
    /// Number of n-blocks in the text (the sample size).
    pub blocks: u64,
    /// Distinct n-blocks.
    pub distinct: u64,
    /// Blocks seen once, f₁.
    pub singletons: u64,
    /// Blocks seen twice, f₂.
    pub doubletons: u64,
    /// Good–Turing coverage 1 − f₁/N.
    pub coverage: f64,
    /// Whether coverage ≥ the threshold.
    pub supported: bool,
    /// K given to NSB.
    pub nsb_alphabet: f64,
    /// NSB posterior standard deviation of H_n, bits.
    pub nsb_posterior_std: Option<f64>,
    /// Block entropy H_n per estimator, bits per block.
    pub h: ByEstimator,
    /// Block-jackknife standard error of H_n.
    pub h_se: ByEstimator,
    /// F_n = H_n − H_(n−1) per estimator, bits per symbol.
    pub f: ByEstimator,
    /// Block-jackknife standard error of F_n.
    pub f_se: ByEstimator,
}

/// Block entropies of every order 1..=N.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockEntropies {
    /// Symbols in the text (markers excluded).
    pub symbols: u64,
    /// Alphabet size |A|.
    pub alphabet: f64,
    /// F_0 = log₂ |A|.
    pub f0: f64,
    /// Jackknife groups.
    pub groups: usize,
    /// Coverage threshold.
    pub min_coverage: f64,
    /// Orders 1..=N.
    pub orders: Vec<BlockOrder>,
    /// Estimators that failed (NSB not converging), one line each.
    pub warnings: Vec<String>,
}

/// For every position, how many consecutive non-marker tokens start there (capped at `cap`).
fn runs(tokens: &[u32], cap: usize) -> Vec<u8> {
    let cap = cap.min(MAX_BLOCK) as u8;
    let mut out = vec![0u8; tokens.len()];
    let mut r: u8 = 0;
    for i in (0..tokens.len()).rev() {
        r = if tokens[i] == BOS || tokens[i] == EOS { 0 } else { r.saturating_add(1).min(cap) };
        out[i] = r;
    }
    out
}

/// Walks the block lengths 1..=`max_order`, handing `visit` the block id at each start position
/// ([`NONE`] where no block of that length starts) and the count of each id. The result depends only on
/// the text, never on the thread count.
///
/// An n-block is identified by the pair (id of the (n−1)-block at the same start, its last symbol). The
/// pairs are spread over [`PARTS`] partitions by a fixed hash; each partition numbers its pairs in order
/// of first occurrence with a small map of its own (map, in parallel), and ids are the partitions'
/// numbers offset by the sizes of the partitions before them (merge). Small per-partition maps keep the
/// lookups in cache, which matters more than the parallelism.
fn walk_orders(tokens: &[u32], max_order: usize, mut visit: impl FnMut(usize, &[u32], &[u64])) {
    assert!((1..=MAX_BLOCK).contains(&max_order), "block length {max_order} out of range");
    assert!(tokens.len() < NONE as usize, "more than 2^32 − 1 tokens");
    let run = runs(tokens, max_order);
    // Symbols as dense ids, in order of first occurrence.
    let mut dense: HashMap<u32, u32> = HashMap::new();
    let sym: Vec<u32> = tokens
        .iter()
        .zip(&run)
        .map(|(&t, &r)| {
            if r == 0 {
                NONE
            } else {
                let next = dense.len() as u32;
                *dense.entry(t).or_insert(next)
            }
        })
        .collect();
    let mut counts = vec![0u64; dense.len()];
    for &s in &sym {
        if s != NONE {
            counts[s as usize] += 1;
        }
    }
    visit(1, &sym, &counts);
    let mut prev = sym.clone();
    for n in 2..=max_order {
        let (next, next_counts) = extend(&sym, &prev, &run, n);
        visit(n, &next, &next_counts);
        prev = next;
        counts = next_counts;
    }
    drop(counts);
}

/// [`walk_orders`] with the numbering of `counter`: the suffix array's runs instead of hashing. Where the
/// suffix array cannot be built (more than 2³¹ − 1 tokens), blocks are hashed.
fn walk(tokens: &[u32], max_order: usize, counter: BlockCounter, mut visit: impl FnMut(usize, &[u32], &[u64])) {
    let vocab = tokens.iter().max().map_or(0, |&m| m as usize + 1);
    let sa = match counter {
        BlockCounter::Sort | BlockCounter::Hash => None,
        BlockCounter::SuffixArray => shannon_index::suffix_array(tokens, vocab).ok(),
    };
    let Some(sa) = sa else { return walk_orders(tokens, max_order, visit) };
    assert!((1..=MAX_BLOCK).contains(&max_order), "block length {max_order} out of range");
    let lcp = shannon_index::lcp_array(tokens, &sa);
    let run = runs(tokens, max_order);
    // Runs by row, so that each order is one sequential pass but for the ids it writes.
    let run: Vec<u8> = sa.iter().map(|&p| run[p as usize]).collect();
    let mut ids = vec![NONE; tokens.len()];
    for n in 1..=max_order {
        let mut counts: Vec<u64> = Vec::new();
        let mut previous = false;
        for (r, &p) in sa.iter().enumerate() {
            if (run[r] as usize) < n {
                ids[p as usize] = NONE;
                previous = false;
                continue;
            }
            if !(previous && lcp[r] as usize >= n) {
                counts.push(0);
            }
            let id = counts.len() - 1;
            counts[id] += 1;
            ids[p as usize] = id as u32;
            previous = true;
        }
        visit(n, &ids, &counts);
    }
}

/// Partitions of the block-id assignment (fixed, so ids do not depend on the thread count).
const PARTS: usize = 256;
/// Start positions per unit of parallel work.
const CHUNK: usize = 1 << 16;

#[inline]
fn part_of(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize
}

/// Ids and counts of the n-blocks from the ids of the (n−1)-blocks (see [`walk_orders`]).
fn extend(sym: &[u32], prev: &[u32], run: &[u8], n: usize) -> (Vec<u32>, Vec<u64>) {
    let starts = sym.len().saturating_sub(n - 1);
    let key_at = |i: usize| (run[i] as usize >= n).then(|| (u64::from(prev[i]) << 32) | u64::from(sym[i + n - 1]));
    // Map: each chunk of start positions sorts its keys into partitions, in text order.
    let chunks: Vec<Vec<Vec<u64>>> = (0..starts)
        .step_by(CHUNK)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|lo| {
            let hi = (lo + CHUNK).min(starts);
            let mut parts: Vec<Vec<u64>> = (0..PARTS).map(|_| Vec::with_capacity(2 * (hi - lo) / PARTS)).collect();
            for key in (lo..hi).filter_map(key_at) {
                parts[part_of(key)].push(key);
            }
            parts
        })
        .collect();
    // Each partition numbers its keys in order of first occurrence (chunks are visited in text order).
    let numbered: Vec<(Vec<u32>, Vec<u64>)> = (0..PARTS)
        .into_par_iter()
        .map(|p| {
            let size: usize = chunks.iter().map(|c| c[p].len()).sum();
            let mut map: HashMap<u64, u32> = HashMap::with_capacity(size / 2);
            let mut counts: Vec<u64> = Vec::new();
            let mut ids = Vec::with_capacity(size);
            for &key in chunks.iter().flat_map(|c| &c[p]) {
                let id = *map.entry(key).or_insert_with(|| {
                    counts.push(0);
                    (counts.len() - 1) as u32
                });
                counts[id as usize] += 1;
                ids.push(id);
            }
            (ids, counts)
        })
        .collect();
    drop(chunks);
    // Merge: ids are the partitions' numbers offset by the sizes of the partitions before them. Each
    // partition's ids are in text order, so one pass over the positions reads them off in sequence.
    let mut base = Vec::with_capacity(PARTS);
    let mut counts = Vec::with_capacity(numbered.iter().map(|(_, c)| c.len()).sum());
    for (_, part_counts) in &numbered {
        base.push(counts.len() as u32);
        counts.extend_from_slice(part_counts);
    }
    let mut cursor = vec![0usize; PARTS];
    let next = (0..sym.len())
        .map(|i| match (i < starts).then(|| key_at(i)).flatten() {
            Some(key) => {
                let p = part_of(key);
                let id = numbered[p].0[cursor[p]];
                cursor[p] += 1;
                base[p] + id
            }
            None => NONE,
        })
        .collect();
    (next, counts)
}

/// The count profile of the n-blocks of `tokens` for every n = 1..=`max_order` (index n − 1). Blocks
/// never contain `<s>` or `</s>`.
pub fn block_profiles(tokens: &[u32], max_order: usize) -> Vec<CountProfile> {
    let mut out = Vec::with_capacity(max_order);
    walk_orders(tokens, max_order, |_, _, counts| out.push(CountProfile::from_counts(counts.iter().copied())));
    out
}

/// The profile left when the blocks listed in `touched`, each `delta[id]` times, are taken out of a
/// sample with per-id `counts` and profile `full`.
fn profile_without(full: &CountProfile, counts: &[u64], touched: &[u32], delta: &[u32]) -> CountProfile {
    let mut change: HashMap<u64, i64> = HashMap::new();
    for &id in touched {
        let c = counts[id as usize];
        let d = u64::from(delta[id as usize]);
        *change.entry(c).or_insert(0) -= 1;
        if c > d {
            *change.entry(c - d).or_insert(0) += 1;
        }
    }
    let mut pairs: Vec<(u64, u64)> = Vec::with_capacity(full.pairs().len() + change.len());
    for &(c, m) in full.pairs() {
        let m = m as i64 + change.remove(&c).unwrap_or(0);
        debug_assert!(m >= 0);
        pairs.push((c, m.max(0) as u64));
    }
    pairs.extend(change.into_iter().map(|(c, m)| (c, m.max(0) as u64)));
    CountProfile::from_pairs(pairs)
}

/// Every estimator on one profile, in bits; NSB (for an alphabet of `k` bins) only when `k` is given. An
/// NSB failure becomes `nsb: None` and its message.
pub fn estimate_all(profile: &CountProfile, k: Option<f64>) -> (ByEstimator, Option<estimate::Nsb>, Option<String>) {
    let (jk, _) = estimate::jackknife(profile);
    let mut v = ByEstimator {
        plugin: estimate::plugin(profile),
        miller_madow: estimate::miller_madow(profile),
        chao_shen: estimate::chao_shen(profile),
        grassberger: estimate::grassberger(profile),
        nsb: None,
        jackknife: jk,
    };
    let (mut nsb, mut err) = (None, None);
    if let Some(k) = k {
        match estimate::nsb(profile, k) {
            Ok(r) => {
                v.nsb = Some(r.entropy_bits);
                nsb = Some(r);
            }
            Err(e) => err = Some(e.to_string()),
        }
    }
    (v, nsb, err)
}

/// Delete-a-group jackknife standard error: √((G−1)/G · Σ (θ_g − θ̄)²).
fn jackknife_se(values: &[f64]) -> f64 {
    let g = values.len() as f64;
    if values.len() < 2 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / g;
    ((g - 1.0) / g * values.iter().map(|v| (v - mean).powi(2)).sum::<f64>()).sqrt()
}

fn se_by_estimator(groups: &[ByEstimator]) -> ByEstimator {
    let col = |f: &dyn Fn(&ByEstimator) -> f64| jackknife_se(&groups.iter().map(f).collect::<Vec<_>>());
    let nsb: Option<Vec<f64>> = groups.iter().map(|g| g.nsb).collect();
    ByEstimator {
        plugin: col(&|g| g.plugin),
        miller_madow: col(&|g| g.miller_madow),
        chao_shen: col(&|g| g.chao_shen),
        grassberger: col(&|g| g.grassberger),
        nsb: nsb.map(|v| jackknife_se(&v)),
        jackknife: col(&|g| g.jackknife),
    }
}

/// The profiles of [`crate::packed::profiles`] (whole sample, then each group of start positions
/// `starts[g]..starts[g + 1]` deleted) by walking the orders one by one with `counter`'s block ids.
fn walked_profiles(
    tokens: &[u32],
    max_order: usize,
    counter: BlockCounter,
    starts: &[usize],
) -> Vec<Vec<CountProfile>> {
    let mut profiles: Vec<Vec<CountProfile>> = Vec::with_capacity(max_order);
    walk(tokens, max_order, counter, |_, ids, counts| {
        let full = CountProfile::from_counts(counts.iter().copied());
        let deleted: Vec<CountProfile> = starts
            .par_windows(2)
            .map_init(
                || (vec![0u32; counts.len()], Vec::new()),
                |(delta, touched), lo_hi| {
                    for &id in &ids[lo_hi[0]..lo_hi[1]] {
                        if id != NONE {
                            if delta[id as usize] == 0 {
                                touched.push(id);
                            }
                            delta[id as usize] += 1;
                        }
                    }
                    let p = profile_without(&full, counts, touched, delta);
                    for &id in touched.iter() {
                        delta[id as usize] = 0;
                    }
                    touched.clear();
                    p
                },
            )
            .collect();
        let mut all = Vec::with_capacity(starts.len());
        all.push(full);
        all.extend(deleted);
        profiles.push(all);
    });
    profiles
}

/// The hashed counter's profiles (the oracle of `crate::packed`'s tests).
#[cfg(test)]
pub(crate) fn hashed_profiles(tokens: &[u32], max_order: usize, starts: &[usize]) -> Vec<Vec<CountProfile>> {
    walked_profiles(tokens, max_order, BlockCounter::Hash, starts)
}

/// Block entropies H_n and F_n for n = 1..=`options.max_order`, every estimator, with block-jackknife
/// standard errors. Deterministic for any thread count.
///
/// Two phases: walking the orders gives, per order, the profile of the whole sample and of the sample
/// with each group deleted; then every estimator runs on all of those profiles in parallel.
///
/// Panics if `max_order` is 0 or above [`MAX_BLOCK`], or `groups` < 2.
pub fn block_entropies(tokens: &[u32], options: &BlockOptions) -> BlockEntropies {
    block_entropies_releasing(tokens, options, &|_| {})
}

/// [`block_entropies`] of tokens in a file's map, calling `release` with each range of positions whose keys
/// are made (from any thread), so that the caller can hand its pages back: the sorting counter reads the
/// text once per range of keys, and holds only the pages being read.
pub fn block_entropies_releasing(
    tokens: &[u32],
    options: &BlockOptions,
    release: &(dyn Fn(std::ops::Range<usize>) + Sync),
) -> BlockEntropies {
    assert!(options.groups >= 2, "the block jackknife needs at least 2 groups");
    let len = tokens.len();
    let g = options.groups;
    let starts: Vec<usize> = (0..=g).map(|j| j * len / g).collect();

    // Phase 1: profiles. profiles[n − 1] = [whole sample, without group 0, …, without group G − 1].
    let packed = match options.counter {
        BlockCounter::Sort => {
            let keys = options.memory.map_or(usize::MAX, |bytes| usize::try_from(bytes / 8).unwrap_or(usize::MAX));
            crate::packed::profiles(tokens, options.max_order, &starts, keys, release)
        }
        BlockCounter::Hash | BlockCounter::SuffixArray => None,
    };
    let profiles = packed.unwrap_or_else(|| walked_profiles(tokens, options.max_order, options.counter, &starts));

    // Phase 2: estimators on every profile. NSB on the deleted samples only when asked.
    let tasks: Vec<(usize, usize)> = (0..profiles.len()).flat_map(|o| (0..=g).map(move |j| (o, j))).collect();
    let results: Vec<(ByEstimator, Option<estimate::Nsb>, Option<String>)> = tasks
        .par_iter()
        .map(|&(o, j)| {
            let k = (j == 0 || options.nsb_jackknife).then(|| options.nsb_alphabet(o + 1));
            estimate_all(&profiles[o][j], k)
        })
        .collect();

    // Assemble.
    let mut orders: Vec<BlockOrder> = Vec::with_capacity(profiles.len());
    let mut warnings = Vec::new();
    let mut prev_h = ByEstimator::all(0.0);
    let mut prev_groups = vec![ByEstimator::all(0.0); g];
    for (o, row) in results.chunks(g + 1).enumerate() {
        let n = o + 1;
        let full = &profiles[o][0];
        let (h, nsb, err) = &row[0];
        if let Some(e) = err {
            warnings.push(format!("NSB at block length {n}: {e}"));
        }
        let group_h: Vec<ByEstimator> = row[1..].iter().map(|r| r.0).collect();
        let group_f: Vec<ByEstimator> =
            group_h.iter().zip(&prev_groups).map(|(a, b)| a.map2(b, |x, y| x - y)).collect();
        let mut h_se = se_by_estimator(&group_h);
        let mut f_se = se_by_estimator(&group_f);
        if !options.nsb_jackknife || h.nsb.is_none() {
            h_se.nsb = None;
            f_se.nsb = None;
        }
        let coverage = full.coverage();
        orders.push(BlockOrder {
            n,
            blocks: full.n(),
            distinct: full.distinct(),
            singletons: full.singletons(),
            doubletons: full.doubletons(),
            coverage,
            supported: full.n() > 0 && coverage >= options.min_coverage,
            nsb_alphabet: options.nsb_alphabet(n),
            nsb_posterior_std: nsb.map(|r| r.std_bits),
            h: *h,
            h_se,
            f: h.map2(&prev_h, |a, b| a - b),
            f_se,
        });
        prev_h = *h;
        prev_groups = group_h;
    }
    BlockEntropies {
        symbols: profiles.first().map_or(0, |p| p[0].n()),
        alphabet: options.alphabet,
        f0: options.alphabet.log2(),
        groups: g,
        min_coverage: options.min_coverage,
        orders,
        warnings,
    }
}

/// Mean length of the tokens of a text in Unicode scalar values, weighted by their counts:
/// Σ_w c(w)·len(w) / Σ_w c(w) over `(token, count)` pairs.
pub fn mean_length<'a>(tokens: impl IntoIterator<Item = (&'a str, u64)>) -> f64 {
    let (mut chars, mut total) = (0u64, 0u64);
    for (s, c) in tokens {
        chars += c * s.chars().count() as u64;
        total += c;
    }
    if total == 0 {
        0.0
    } else {
        chars as f64 / total as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn hand_worked_blocks() {
        // "abab a" as ids a = 3, b = 4, space = 5: a b a b 5 a.
        // 1-blocks: a ×3, b ×2, ␣ ×1 → N = 6.
        // 2-blocks: ab ×2, ba ×1, b␣ ×1, ␣a ×1 → N = 5, f₁ = 3.
        // 3-blocks: aba, bab, ab␣, b␣a → 4 singletons.
        let t = [3, 4, 3, 4, 5, 3];
        let p = block_profiles(&t, 3);
        assert_eq!(p[0].pairs(), &[(1, 1), (2, 1), (3, 1)]);
        assert_eq!(p[1].pairs(), &[(1, 3), (2, 1)]);
        assert_eq!(p[2].pairs(), &[(1, 4)]);
        let r = block_entropies(&t, &BlockOptions { groups: 2, ..BlockOptions::new(3, 3.0) });
        // H_1 = −(½ log ½ + ⅓ log ⅓ + ⅙ log ⅙) = 1.4591479 bits; H_2 = −(⅖ log ⅖ + 3·⅕ log ⅕) = 1.9219281.
        let h1 = -(0.5f64 * 0.5f64.log2() + (1.0 / 3.0) * (1.0f64 / 3.0).log2() + (1.0 / 6.0) * (1.0f64 / 6.0).log2());
        let h2 = -(0.4f64 * 0.4f64.log2() + 3.0 * 0.2 * 0.2f64.log2());
        assert!(close(r.orders[0].h.plugin, h1, 1e-12));
        assert!(close(r.orders[1].h.plugin, h2, 1e-12));
        assert!(close(r.orders[1].f.plugin, h2 - h1, 1e-12));
        assert!(close(r.orders[2].f.plugin, 2.0 - h2, 1e-12));
        assert_eq!(r.orders[1].singletons, 3);
        assert!(close(r.orders[1].coverage, 1.0 - 3.0 / 5.0, 1e-15));
        assert!(!r.orders[1].supported);
        assert_eq!(r.symbols, 6);
        assert!(close(r.f0, 3f64.log2(), 1e-15));
        // Miller–Madow F_2 = plug-in F_2 + ((4 − 1)/(2·5) − (3 − 1)/(2·6)) / ln 2.
        let mm = h2 - h1 + (0.3 - 1.0 / 6.0) / std::f64::consts::LN_2;
        assert!(close(r.orders[1].f.miller_madow, mm, 1e-12));
    }

    #[test]
    fn markers_break_blocks() {
        // <s> a b </s> <s> b a </s>: 2-blocks are only "ab" and "ba"; no block spans a marker.
        let t = [BOS, 3, 4, EOS, BOS, 4, 3, EOS];
        let p = block_profiles(&t, 3);
        assert_eq!(p[0].n(), 4);
        assert_eq!(p[1].pairs(), &[(1, 2)]);
        assert!(p[2].is_empty());
    }

    #[test]
    fn block_jackknife_by_hand() {
        // a a b b, 2 groups of start positions {0,1} and {2,3}.
        // 1-blocks: deleting group 0 leaves {b, b} (H = 0); deleting group 1 leaves {a, a} (H = 0):
        // mean 0, SE 0. 2-blocks: aa, ab, bb (each once). Deleting group 0 (aa, ab) leaves {bb}: H = 0;
        // deleting group 1 (bb) leaves {aa, ab}: H = 1. SE = √(½·(½² + ½²)) = ½.
        let r = block_entropies(&[3, 3, 4, 4], &BlockOptions { groups: 2, ..BlockOptions::new(2, 2.0) });
        assert!(close(r.orders[0].h_se.plugin, 0.0, 1e-15));
        assert!(close(r.orders[1].h_se.plugin, 0.5, 1e-15));
        // F_2 deletes the same group at both orders: values 0 − 0 and 1 − 0 → SE ½.
        assert!(close(r.orders[1].f_se.plugin, 0.5, 1e-15));
    }

    #[test]
    fn table_and_hash_paths_agree_with_the_counting_stage() {
        // A stream long and varied enough that high orders take the hash path (TABLE_CELLS exceeded
        // needs > 2^24 cells: 2^12 distinct (n−1)-blocks × 2^12 symbols).
        let t: Vec<u32> = (0..60_000u32).map(|i| 3 + (i.wrapping_mul(2_654_435_761) >> 20) % 5000).collect();
        let mine = block_profiles(&t, 4);
        let counts = shannon_counts::count_serial(&t, 5003, 4);
        for n in 1..=4 {
            let oracle = CountProfile::from_counts(counts.order(n).count.iter().copied());
            assert_eq!(mine[n - 1], oracle, "order {n}");
        }
        // And a small alphabet (table path at every order) against the counting stage too.
        let t: Vec<u32> = (0..20_000u32).map(|i| 3 + (i * 7 + i / 3 + (i * i) % 11) % 4).collect();
        let mine = block_profiles(&t, 8);
        let counts = shannon_counts::count(&t, 7, 8);
        for n in 1..=8 {
            assert_eq!(mine[n - 1], CountProfile::from_counts(counts.order(n).count.iter().copied()), "order {n}");
        }
    }

    #[test]
    fn suffix_array_counter_gives_the_hashed_estimates_exactly() {
        // Repetitive text with sentence markers, blocks to N = 30: every field, every estimator, bit for bit.
        let mut t: Vec<u32> = Vec::new();
        for i in 0..3_000u32 {
            if i % 97 == 0 {
                t.extend([2, 1]);
            }
            t.push(3 + (i * 7 + i / 5 + (i * i) % 13) % 6);
        }
        let hash = BlockOptions { groups: 5, nsb_jackknife: false, ..BlockOptions::new(30, 6.0) };
        let sa = BlockOptions { counter: BlockCounter::SuffixArray, ..hash };
        assert_eq!(block_entropies(&t[1..], &hash), block_entropies(&t[1..], &sa));
    }

    #[test]
    fn parallel_equals_serial() {
        let t: Vec<u32> = (0..30_000u32).map(|i| 3 + (i * 31 + i / 7 + (i * i) % 13) % 9).collect();
        let opts = BlockOptions { groups: 7, ..BlockOptions::new(5, 9.0) };
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        assert_eq!(one.install(|| block_entropies(&t, &opts)), two.install(|| block_entropies(&t, &opts)));
    }

    #[test]
    fn mean_length_by_hand() {
        // "the" ×2, "a" ×1: (3·2 + 1)/3.
        assert!(close(mean_length([("the", 2), ("a", 1)]), 7.0 / 3.0, 1e-15));
        assert_eq!(mean_length(std::iter::empty()), 0.0);
    }
}
