//! Shannon's guessing game played by the ∞-gram predictor of a suffix-array index, alone and interpolated
//! with modified Kneser–Ney, for every order N = 1..=N_max in one pass over the held-out text.
//!
//! **In:** an [`Index`] of the training text, optionally the mkn models of orders 1..=K trained on the same
//! text, the held-out token stream, the alphabet (candidate symbols) and N_max.
//! **Out:** per predictor and N, a [`Guessing`] (rank frequencies and Shannon's bounds, as
//! [`crate::guessing::play`] gives for one model), the cross-entropy of the guessed symbols and the mean
//! length of the context the ∞-gram used.
//!
//! The order-N ∞-gram sees the N − 1 symbols before the guessed one (never reaching before a `<s>`) and
//! predicts from the longest suffix h' of them that occurs in the training text followed by a symbol:
//! p_∞(w) = c(h' w) / c(h' •) (Liu et al. 2024). Counts only shrink as a suffix grows, so if ℓ* is the
//! longest such suffix of the whole N_max − 1 context, order N uses the suffix of length min(N − 1, ℓ*): one
//! search per position serves every N. Unseen symbols have p_∞ = 0 and are ranked by id after the seen ones,
//! so the pure ∞-gram's cross-entropy is infinite as soon as a guessed symbol never followed its h'.
//!
//! The interpolated predictor extends mkn beyond its order K with the index's longer contexts: it starts
//! from p_mkn of order k = min(N, K) (which already covers contexts of up to k − 1 symbols) and
//! interpolates in every longer suffix h_L of the context, L = k, k + 1, …, min(N − 1, ℓ*), shortest first:
//! q_L(w) = (c(h_L w) − D(c(h_L w))) / c(h_L •) + γ(h_L) q_(L−1)(w), with γ(h_L) the mass the discounts took
//! — modified Kneser–Ney's recursion at its highest order (Chen & Goodman 1998 eq. 26, raw counts), the
//! counts from the index, the discounts D1, D2, D3+ those mkn estimated for its order K from count-of-counts
//! (no tuning on held-out text). An earlier version weighted each level by Witten and Bell's
//! λ = c / (c + u); on bible.txt it made the cross-entropy worse than mkn's own beyond K. For
//! N ≤ K it is mkn of order N; every q_L sums to 1 where p_mkn does. Ties in probability are broken by id as in [`crate::guessing::play`].

use rayon::prelude::*;
use shannon_index::{Distribution, Index};
use shannon_model::Model;
use shannon_tokens::{history, BOS};

use crate::guessing::Guessing;

/// Which predictor played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Predictor {
    /// p_∞ alone.
    InfiniGram,
    /// λ p_∞ + (1 − λ) p_mkn.
    Interpolated,
}

impl Predictor {
    /// The name reports use.
    pub fn name(self) -> &'static str {
        match self {
            Predictor::InfiniGram => "infinigram",
            Predictor::Interpolated => "infinigram+mkn",
        }
    }
}

/// One predictor's game at one order.
#[derive(Debug, Clone, PartialEq)]
pub struct InfiniGame {
    /// The predictor.
    pub predictor: Predictor,
    /// Ranks and bounds.
    pub game: Guessing,
    /// Cross-entropy of the guessed symbols, bits per symbol (`None`: infinite, some symbol had p = 0).
    pub cross_entropy_bits: Option<f64>,
    /// Mean length of the context suffix the ∞-gram used.
    pub mean_context: f64,
}

/// Per-order tallies of one predictor.
#[derive(Clone)]
struct Tally {
    ranks: Vec<Vec<u64>>,
    bits: Vec<f64>,
    context: Vec<u64>,
}

impl Tally {
    fn new(orders: usize, m: usize) -> Tally {
        Tally { ranks: vec![vec![0; m + 1]; orders], bits: vec![0.0; orders], context: vec![0; orders] }
    }

    fn add(mut self, other: &Tally) -> Tally {
        for (a, b) in self.ranks.iter_mut().zip(&other.ranks) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        self.bits.iter_mut().zip(&other.bits).for_each(|(x, y)| *x += y);
        self.context.iter_mut().zip(&other.context).for_each(|(x, y)| *x += y);
        self
    }
}

/// Rank (0-based) of `t` among `alphabet` by descending score, ties by id; `m` if `t` is not in it.
fn rank_by(alphabet: &[u32], score: &[f64], t: u32) -> usize {
    match alphabet.binary_search(&t) {
        Ok(k) => {
            let s = score[k];
            alphabet.iter().zip(score).filter(|&(&c, &p)| p > s || (p == s && c < t)).count()
        }
        Err(_) => alphabet.len(),
    }
}

/// One level of the interpolation over `candidates`: q ← (c(h' w) − D) / c(h' •) + γ q.
fn interpolate(d: &Distribution, discounts: &[f64; 3], candidates: &[u32], q: &mut [f64]) -> f64 {
    let gamma = d.backoff_weight(discounts);
    for (j, &c) in candidates.iter().enumerate() {
        q[j] = d.discounted(c, q[j], discounts, gamma);
    }
    gamma
}

/// D1, D2, D3+ of the highest order of an mkn model (fallbacks: 0.5, 1, 1.5, as lmplz's).
fn top_discounts(model: &Model) -> [f64; 3] {
    model.summary().discounts.last().map_or([0.5, 1.0, 1.5], |d| d.d)
}

/// The interpolated predictor's probabilities of `candidates` at position `i` of `tokens` for order `n`
/// (see the module doc): mkn of order k = min(n, K) over `models` (orders 1..=K), then each suffix of
/// length k..=min(n − 1, ℓ*) of the history interpolated in, shortest first.
///
/// Panics if `n` is 0 or `models` is empty.
pub fn interpolated<B: AsRef<[u8]>>(
    index: &Index<B>,
    models: &[Model],
    tokens: &[u32],
    i: usize,
    n: usize,
    candidates: &[u32],
) -> Vec<f64> {
    let k = n.min(models.len());
    let h = history(tokens, i, n - 1);
    let (longest, _) = index.longest_suffix(h);
    let hk = history(tokens, i, k - 1);
    let mut q: Vec<f64> = candidates.iter().map(|&c| models[k - 1].log_prob(hk, c).exp()).collect();
    let discounts = top_discounts(&models[models.len() - 1]);
    for len in k..=(n - 1).min(longest) {
        interpolate(&index.distribution(h, len), &discounts, candidates, &mut q);
    }
    q
}

/// Plays the game for orders 1..=`max_n` with the ∞-gram of `index` and, when `mkn` is given (models of
/// orders 1..=K, K ≥ 1), with its interpolation. `alphabet` must be sorted ascending and distinct. Nothing is
/// played for `max_n` = 0 or an empty `mkn`.
pub fn play<B: AsRef<[u8]> + Sync>(
    index: &Index<B>,
    mkn: Option<&[Model]>,
    tokens: &[u32],
    alphabet: &[u32],
    max_n: usize,
) -> Vec<InfiniGame> {
    debug_assert!(alphabet.windows(2).all(|w| w[0] < w[1]));
    if max_n == 0 || mkn.is_some_and(<[Model]>::is_empty) {
        return Vec::new();
    }
    let m = alphabet.len();
    let unigram = index.distribution(&[], 0);
    let discounts = mkn.and_then(<[Model]>::last).map_or([0.5, 1.0, 1.5], top_discounts);
    let empty = || (Tally::new(max_n, m), Tally::new(max_n, m), 0u64);
    let (pure, mixed, symbols) = (0..tokens.len())
        .into_par_iter()
        .with_min_len(256)
        .fold(empty, |(mut pure, mut mixed, mut symbols), i| {
            let t = tokens[i];
            if t == BOS {
                return (pure, mixed, symbols);
            }
            symbols += 1;
            let h = history(tokens, i, max_n - 1);
            let (longest, _) = index.longest_suffix(h);
            // Distributions by suffix length, computed as needed.
            let mut by_len: Vec<Option<Distribution>> = vec![None; longest + 1];
            let mut get = |len: usize| -> Distribution {
                if len == 0 {
                    return unigram.clone();
                }
                by_len[len].get_or_insert_with(|| index.distribution(h, len)).clone()
            };
            // mkn probabilities of the alphabet and of t, by model order.
            let mut mkn_probs: Vec<Option<(Vec<f64>, f64)>> = vec![None; mkn.map_or(0, <[Model]>::len) + 1];
            let mut score = vec![0f64; m];
            // The interpolated predictor's (rank, p(t)) for the last (mkn order, top suffix length).
            let (mut last_key, mut last): (Option<(usize, usize)>, (usize, f64)) = (None, (0, 0.0));
            // The pure ∞-gram's (suffix length, rank, p(t)): orders past ℓ* + 1 repeat the last.
            let mut last_pure: Option<(usize, usize, f64)> = None;
            for n in 1..=max_n {
                let len = (n - 1).min(longest);
                let o = n - 1;
                pure.context[o] += len as u64;
                mixed.context[o] += len as u64;
                // Pure ∞-gram: counts, ties by id.
                let (rank, p) = match last_pure {
                    Some((l, rank, p)) if l == len => (rank, p),
                    _ => {
                        let d = get(len);
                        for (k, &c) in alphabet.iter().enumerate() {
                            score[k] = d.count(c) as f64;
                        }
                        let rank = rank_by(alphabet, &score, t);
                        last_pure = Some((len, rank, d.prob(t)));
                        (rank, d.prob(t))
                    }
                };
                pure.ranks[o][rank] += 1;
                pure.bits[o] += if p > 0.0 { -p.log2() } else { f64::INFINITY };
                if let Some(models) = mkn {
                    let k = n.min(models.len());
                    let top = (n - 1).min(longest);
                    if last_key != Some((k, top)) {
                        let (probs, pt) = mkn_probs[k].get_or_insert_with(|| {
                            let model = &models[k - 1];
                            let hk = history(tokens, i, k - 1);
                            let probs = alphabet.iter().map(|&c| model.log_prob(hk, c).exp()).collect();
                            (probs, model.log_prob(hk, t).exp())
                        });
                        let (mut q, mut qt) = (probs.clone(), *pt);
                        for len in k..=top {
                            let d = get(len);
                            let gamma = interpolate(&d, &discounts, alphabet, &mut q);
                            qt = d.discounted(t, qt, &discounts, gamma);
                        }
                        last = (rank_by(alphabet, &q, t), qt);
                        last_key = Some((k, top));
                    }
                    mixed.ranks[o][last.0] += 1;
                    mixed.bits[o] += if last.1 > 0.0 { -last.1.log2() } else { f64::INFINITY };
                }
            }
            (pure, mixed, symbols)
        })
        .reduce(empty, |a, b| (a.0.add(&b.0), a.1.add(&b.1), a.2 + b.2));
    let mut out = Vec::new();
    let mut emit = |predictor: Predictor, tally: &Tally| {
        for o in 0..max_n {
            let q: Vec<f64> = tally.ranks[o].iter().map(|&c| c as f64).collect();
            let (upper, lower) = shannon_info::guessing::bounds(&q);
            let bits = tally.bits[o] / symbols.max(1) as f64;
            out.push(InfiniGame {
                predictor,
                game: Guessing { n: o + 1, symbols, alphabet: m, rank_counts: tally.ranks[o].clone(), upper, lower },
                cross_entropy_bits: (symbols > 0 && bits.is_finite()).then_some(bits),
                mean_context: tally.context[o] as f64 / symbols.max(1) as f64,
            });
        }
    };
    emit(Predictor::InfiniGram, &pure);
    if mkn.is_some() {
        emit(Predictor::Interpolated, &mixed);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use shannon_model::Smoothing;
    use shannon_tokens::Vocab;

    fn vocab() -> Vocab {
        let mut v = Vocab::new();
        for s in ["a", "b", "c"] {
            v.intern(s);
        }
        v
    }

    #[test]
    fn infinigram_game_by_hand() {
        // Training "a b a b a b a c" (a = 3, b = 4, c = 5); test "a b a c".
        let train = [3, 4, 3, 4, 3, 4, 3, 5];
        let index = shannon_index::build_in_memory(&train, &vocab(), None).unwrap();
        let games = play(&index, None, &[3, 4, 3, 5], &[3, 4, 5], 3);
        assert_eq!(games.len(), 3);
        // N = 1: unigram counts a 4, b 3, c 1 → ranks of a, b, a, c: 1, 2, 1, 3.
        assert_eq!(games[0].game.rank_counts, vec![2, 1, 1, 0]);
        // N = 2: position 0 has no history (unigram: a first) → 1; b | a: a is followed by b 3×, c 1× → 1;
        // a | b: b always followed by a → 1; c | a → 2.
        assert_eq!(games[1].game.rank_counts, vec![3, 1, 0, 0]);
        assert!((games[1].mean_context - 0.75).abs() < 1e-15);
        // Cross-entropy at N = 2: p = 4/8, 3/4, 3/3, 1/4 → (1 + log2(4/3) + 0 + 2)/4.
        let expected = (1.0 + (4f64 / 3.0).log2() + 2.0) / 4.0;
        assert!((games[1].cross_entropy_bits.unwrap() - expected).abs() < 1e-12);
        // N = 3: c | b a: "b a" is followed by b 2×, c 1× → rank 2, p = 1/3.
        assert_eq!(games[2].game.rank_counts, vec![3, 1, 0, 0]);
    }

    #[test]
    fn interpolation_is_finite_where_the_infinigram_is_not() {
        let train = [3, 4, 3, 4, 3, 4, 3, 4];
        let index = shannon_index::build_in_memory(&train, &vocab(), None).unwrap();
        let counts = Arc::new(shannon_counts::count(&train, 6, 2));
        let models: Vec<Model> =
            (1..=2).map(|n| Model::estimate(Arc::clone(&counts), n, Smoothing::Mkn, false).unwrap()).collect();
        // c never occurs in training: the ∞-gram gives it 0, the mixture does not.
        let games = play(&index, Some(&models), &[3, 5, 4], &[3, 4, 5], 4);
        assert_eq!(games.len(), 8);
        assert!(games[..4].iter().all(|g| g.cross_entropy_bits.is_none()));
        assert!(games[4..].iter().all(|g| g.cross_entropy_bits.is_some_and(f64::is_finite)));
        assert!(games[4..].iter().all(|g| g.predictor == Predictor::Interpolated));
        // N ≤ K: mkn alone — the same ranks as the mkn game.
        let mkn2 = crate::guessing::play(&models[1], &[3, 5, 4], &[3, 4, 5]);
        assert_eq!(games[5].game.rank_counts, mkn2.rank_counts);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..Default::default() })]

        /// The interpolated distribution sums to 1 over every predictable word, at every order and position.
        #[test]
        fn interpolated_distributions_sum_to_one(
            train in proptest::collection::vec(3u32..6, 1..200),
            test in proptest::collection::vec(3u32..6, 1..30),
            n in 1usize..12,
        ) {
            let index = shannon_index::build_in_memory(&train, &vocab(), None).unwrap();
            let counts = Arc::new(shannon_counts::count(&train, 6, 3));
            let models: Vec<Model> =
                (1..=3).map(|k| Model::estimate(Arc::clone(&counts), k, Smoothing::Mkn, false).unwrap()).collect();
            let candidates: Vec<u32> = (0..6).filter(|&w| models[0].is_predictable(w)).collect();
            for i in 0..test.len() {
                let q = interpolated(&index, &models, &test, i, n, &candidates);
                let sum: f64 = q.iter().sum();
                proptest::prop_assert!((sum - 1.0).abs() < 1e-9, "sum {} at position {} order {}", sum, i, n);
            }
        }
    }
}
