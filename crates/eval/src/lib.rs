//! Evaluation: the fifth stage of shannon's data path.
//!
//! **In:** a frozen [`Model`] and a held-out token-id stream (ids from the model's vocabulary, unknown
//! words already mapped to `<unk>`).
//! **Out:** a [`Score`]: cross-entropy, perplexity with and without OOVs, OOV counts, zero-probability
//! tokens, and per-sentence log-probabilities.
//!
//! Conventions follow KenLM's `query`: every token after `<s>` is predicted, `</s>` included and `<s>`
//! never; an OOV token is scored as `<unk>` (its probability is part of "perplexity including OOVs") and
//! excluded, with its count, from "perplexity excluding OOVs". A model that gives some token probability 0
//! (mle) has infinite cross-entropy: [`Score::cross_entropy_bits`] is then `None`, never a made-up number.
//!
//! Positions are scored in parallel and summed in position order, so scores are identical for any thread
//! count.
//!
//! Shannon-style estimation lives beside scoring: [`entropy`] (block entropies H_N and F_N with every
//! estimator of `shannon-info`), [`words`] (alphabets, Shannon's words, rank–frequency), [`guessing`]
//! (Shannon's guessing game played by a model) and [`extrapolation`] (the entropy rate from F_N and from
//! cross-entropies). So do the other statistics that score models against text or each other:
//! [`divergence`] (KL both ways, JS, the words behind them) and [`tune`] (add-k's pseudo-count chosen by
//! held-out likelihood; it lives here, not in `shannon-model`, because choosing k means scoring).

pub mod divergence;
pub mod entropy;
pub mod extrapolation;
pub mod guessing;
pub mod tune;
pub mod words;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use shannon_model::Model;
use shannon_tokens::{BOS, UNK};

/// Log-probabilities of every predicted position of a test stream.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Score {
    /// Predicted tokens (words and `</s>`; not `<s>`).
    pub tokens: u64,
    /// Sentences (`<s>` markers) in the stream.
    pub sentences: u64,
    /// Tokens that were `<unk>`.
    pub oov: u64,
    /// Tokens given probability 0.
    pub zero_prob: u64,
    /// Σ log2 p over tokens with p > 0.
    pub log2_sum: f64,
    /// Σ log2 p over non-OOV tokens with p > 0.
    pub log2_sum_in_vocab: f64,
    /// Per-sentence totals (log10, as KenLM prints them) and OOVs, when asked for.
    pub per_sentence: Vec<SentenceScore>,
}

/// One sentence's score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SentenceScore {
    /// Σ log10 p over the sentence's predicted tokens (`-inf` if one had probability 0).
    pub log10_prob: f64,
    /// Predicted tokens, `</s>` included.
    pub tokens: u64,
    /// OOV tokens.
    pub oov: u64,
}

impl Score {
    /// Cross-entropy in bits per token; `None` when some token had probability 0.
    pub fn cross_entropy_bits(&self) -> Option<f64> {
        (self.zero_prob == 0 && self.tokens > 0).then(|| -self.log2_sum / self.tokens as f64)
    }

    /// Perplexity 2^H; `None` when infinite.
    pub fn perplexity(&self) -> Option<f64> {
        self.cross_entropy_bits().map(f64::exp2)
    }

    /// Perplexity over in-vocabulary tokens only; `None` when infinite or there are none.
    pub fn perplexity_excluding_oov(&self) -> Option<f64> {
        let n = self.tokens - self.oov;
        (self.zero_prob == 0 && n > 0).then(|| (-self.log2_sum_in_vocab / n as f64).exp2())
    }

    /// Fraction of tokens that were OOV.
    pub fn oov_rate(&self) -> f64 {
        if self.tokens == 0 {
            0.0
        } else {
            self.oov as f64 / self.tokens as f64
        }
    }

    /// Total bits of the stream divided by `units` (characters or bytes of the held-out text); `None`
    /// when infinite.
    pub fn bits_per(&self, units: u64) -> Option<f64> {
        (self.zero_prob == 0 && units > 0).then(|| -self.log2_sum / units as f64)
    }
}

pub use shannon_tokens::history;

/// Scores a stream through a softmax temperature τ > 0 (see `shannon_model::tempered`). The partition
/// function is cached per context, so this runs serially; it is exactly [`score`] at τ = 1.
pub fn score_tempered(model: &Model, tokens: &[u32], tau: f64, per_sentence: bool) -> Score {
    if tau == 1.0 {
        return score(model, tokens, per_sentence);
    }
    let mut t = shannon_model::tempered::Tempered::new(model, tau);
    let context = model.order() - 1;
    let log2: Vec<f64> = (0..tokens.len())
        .map(|i| {
            if tokens[i] == BOS {
                0.0
            } else {
                t.log_prob(history(tokens, i, context), tokens[i]) * std::f64::consts::LOG2_E
            }
        })
        .collect();
    summarize(tokens, &log2, per_sentence)
}

/// Scores a stream. With `per_sentence`, also keeps each sentence's total (sentences are the `<s>`…`</s>`
/// spans; a stream without markers is one sentence).
pub fn score<M: shannon_model::LanguageModel + ?Sized>(model: &M, tokens: &[u32], per_sentence: bool) -> Score {
    let context = model.order() - 1;
    let log2: Vec<f64> = (0..tokens.len())
        .into_par_iter()
        .with_min_len(4096)
        .map(|i| {
            if tokens[i] == BOS {
                0.0
            } else {
                model.log_prob(history(tokens, i, context), tokens[i]) * std::f64::consts::LOG2_E
            }
        })
        .collect();
    summarize(tokens, &log2, per_sentence)
}

/// Sums per-position log2 probabilities in position order.
fn summarize(tokens: &[u32], log2: &[f64], per_sentence: bool) -> Score {
    let mut s = Score::default();
    let mut current: Option<SentenceScore> = None;
    for (i, (&t, &lp)) in tokens.iter().zip(log2).enumerate() {
        if t == BOS {
            s.sentences += 1;
            if let Some(done) = current.take() {
                s.per_sentence.push(done);
            }
            current = Some(SentenceScore { log10_prob: 0.0, tokens: 0, oov: 0 });
            continue;
        }
        if i == 0 {
            current = Some(SentenceScore { log10_prob: 0.0, tokens: 0, oov: 0 });
        }
        s.tokens += 1;
        let oov = t == UNK;
        s.oov += u64::from(oov);
        if lp == f64::NEG_INFINITY {
            s.zero_prob += 1;
        } else {
            s.log2_sum += lp;
            if !oov {
                s.log2_sum_in_vocab += lp;
            }
        }
        if let Some(c) = current.as_mut() {
            c.log10_prob += lp * std::f64::consts::LOG10_2;
            c.tokens += 1;
            c.oov += u64::from(oov);
        }
    }
    if let Some(done) = current {
        s.per_sentence.push(done);
    }
    if !per_sentence {
        s.per_sentence = Vec::new();
    }
    s
}
