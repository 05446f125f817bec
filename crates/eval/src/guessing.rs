//! Shannon's guessing game played by a language model.
//!
//! **In:** a frozen model (the predictor: any [`LanguageModel`] — an estimated `Model`, or one filtered to
//! the n-grams the game asks for), a held-out token stream and the alphabet — the candidate
//! symbols the predictor orders.
//! **Out:** [`Guessing`]: for every predicted position, the rank of the true symbol in the model's ordering
//! of the alphabet (most probable first), tallied into rank frequencies q_i, and Shannon's bounds on the
//! entropy from them (Shannon 1951 eq. 17; PUBLISHED.md §1c):
//!
//!   Σ_i i (q_i − q_(i+1)) log₂ i  ≤  F_N  ≤  −Σ_i q_i log₂ q_i.
//!
//! The upper bound is the entropy of the "reduced text" (the sequence of ranks) and holds for any
//! predictor; the lower bound is proved for the ideal one. Ties in probability are broken by id, so the
//! ranking is a fixed function of the history: with no history (N = 1) ranks are a bijection of symbols
//! and the upper bound is exactly the plug-in entropy of the held-out symbols. A token outside the
//! alphabet (`<unk>`) gets rank |A| + 1.
//!
//! Positions are ranked in parallel and tallied into integer counts, so results are identical for any
//! thread count. Each position costs one lookup of its history's contexts and |A| of n-grams
//! ([`LanguageModel::log_probs_of`]).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use shannon_model::LanguageModel;
use shannon_tokens::BOS;

use crate::history;

/// Shannon's (1951) Table I bounds for 27-letter English from his human subject, bits per letter, as
/// (N, upper, lower) (PUBLISHED.md §1c). The last column is N = 100.
pub const SHANNON_1951_TABLE: [(usize, f64, f64); 16] = [
    (1, 4.03, 3.19),
    (2, 3.42, 2.50),
    (3, 3.0, 2.1),
    (4, 2.6, 1.7),
    (5, 2.7, 1.7),
    (6, 2.2, 1.3),
    (7, 2.8, 1.8),
    (8, 1.8, 1.0),
    (9, 1.9, 1.0),
    (10, 2.1, 1.0),
    (11, 2.2, 1.3),
    (12, 2.3, 1.3),
    (13, 2.1, 1.2),
    (14, 1.7, 0.9),
    (15, 2.1, 1.2),
    (100, 1.3, 0.6),
];

/// Shannon's published bounds for `n`, if his table has that column.
pub fn shannon_1951(n: usize) -> Option<(f64, f64)> {
    SHANNON_1951_TABLE.iter().find(|r| r.0 == n).map(|r| (r.1, r.2))
}

/// The outcome of one game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guessing {
    /// The predictor's order N (it sees N − 1 symbols).
    pub n: usize,
    /// Positions guessed.
    pub symbols: u64,
    /// Alphabet size |A|.
    pub alphabet: usize,
    /// `rank_counts[i − 1]`: positions where the true symbol was the predictor's i-th guess, for
    /// i = 1..=|A| + 1 (the last entry: symbols outside the alphabet).
    pub rank_counts: Vec<u64>,
    /// Upper bound −Σ q_i log₂ q_i, bits per symbol.
    pub upper: f64,
    /// Lower bound Σ i (q_i − q_(i+1)) log₂ i, bits per symbol.
    pub lower: f64,
}

/// Plays the game: `model` guesses every position of `tokens` after a `<s>` (or every position of a
/// stream without markers) from the history [`history`] gives it, ranking `alphabet` (distinct ids the
/// model can predict).
pub fn play<M: LanguageModel + ?Sized>(model: &M, tokens: &[u32], alphabet: &[u32]) -> Guessing {
    let m = alphabet.len();
    let context = model.order() - 1;
    let rank_counts = (0..tokens.len())
        .into_par_iter()
        .with_min_len(1024)
        .fold(
            || (vec![0u64; m + 1], vec![0f64; m]),
            |(mut acc, mut lp), i| {
                let t = tokens[i];
                if t == BOS {
                    return (acc, lp);
                }
                model.log_probs_of(history(tokens, i, context), alphabet, &mut lp);
                let truth = alphabet.iter().position(|&c| c == t);
                let rank = match truth {
                    // Candidates strictly more probable, or equally probable with a smaller id.
                    Some(k) => {
                        alphabet.iter().zip(lp.iter()).filter(|&(&c, &p)| p > lp[k] || (p == lp[k] && c < t)).count()
                    }
                    None => m,
                };
                acc[rank] += 1;
                (acc, lp)
            },
        )
        .map(|(acc, _)| acc)
        .reduce(
            || vec![0u64; m + 1],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let q: Vec<f64> = rank_counts.iter().map(|&c| c as f64).collect();
    let (upper, lower) = shannon_info::guessing::bounds(&q);
    Guessing { n: model.order(), symbols: rank_counts.iter().sum(), alphabet: m, rank_counts, upper, lower }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use shannon_model::{Model, Smoothing};

    #[test]
    fn published_table_is_monotone_where_shannon_says_and_bounds_ordered() {
        // Transcription checks that need no outside numbers: lower < upper in every column, and the
        // N = 1 and N = 100 columns are the extremes of each row.
        for &(_, u, l) in &SHANNON_1951_TABLE {
            assert!(l < u);
        }
        assert_eq!(shannon_1951(1), Some((4.03, 3.19)));
        assert_eq!(shannon_1951(100), Some((1.3, 0.6)));
        assert_eq!(shannon_1951(16), None);
    }

    /// Counts of the training stream "a b a b a b a c" as a stream (no markers): ids a = 3, b = 4, c = 5.
    fn model(order: usize) -> Model {
        let train = [3, 4, 3, 4, 3, 4, 3, 5];
        let counts = Arc::new(shannon_counts::count(&train, 6, order));
        Model::estimate(counts, order, Smoothing::Mkn, false).unwrap()
    }

    #[test]
    fn unigram_game_by_hand() {
        // Order 1: the ranking is fixed (a > b > c by training frequency). Test "a b c a": ranks 1, 2, 3, 1
        // → q = (½, ¼, ¼, 0) over ranks 1..3 and the <unk> slot; upper = 1.5 bits (the held-out plug-in
        // entropy), lower = 3·¼·log₂ 3 + 2·0·1 = ¾ log₂ 3.
        let g = play(&model(1), &[3, 4, 5, 3], &[3, 4, 5]);
        assert_eq!(g.rank_counts, vec![2, 1, 1, 0]);
        assert!((g.upper - 1.5).abs() < 1e-15);
        assert!((g.lower - 0.75 * 3f64.log2()).abs() < 1e-15);
        assert_eq!(g.symbols, 4);
    }

    #[test]
    fn bigram_game_uses_history_and_unknowns_rank_last() {
        // Order 2: after a, b is the likeliest (seen 3 of 4 times); after b, a (3 of 3).
        // Test "a b a": position 0 has no history (unigram ranking: a first) → 1; "b | a" → 1; "a | b" → 1.
        let g = play(&model(2), &[3, 4, 3], &[3, 4, 5]);
        assert_eq!(g.rank_counts, vec![3, 0, 0, 0]);
        assert_eq!((g.upper, g.lower), (0.0, 0.0));
        // <unk> (id 0) is not in the alphabet: rank |A| + 1.
        let g = play(&model(2), &[3, 0], &[3, 4, 5]);
        assert_eq!(g.rank_counts, vec![1, 0, 0, 1]);
    }
}
