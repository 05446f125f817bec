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
pub mod infinigram;
mod packed;
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
    /// Of those, tokens that were `<unk>` (excluded, with the other OOVs, from the perplexity excluding
    /// OOVs: an unsmoothed model gives every OOV probability 0, and that perplexity is still finite).
    #[serde(default)]
    pub zero_prob_oov: u64,
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

    /// Perplexity over in-vocabulary tokens only; `None` when an in-vocabulary token had probability 0
    /// or there are none.
    pub fn perplexity_excluding_oov(&self) -> Option<f64> {
        let n = self.tokens - self.oov;
        (self.zero_prob == self.zero_prob_oov && n > 0).then(|| (-self.log2_sum_in_vocab / n as f64).exp2())
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
    summarize(tokens, &log2_probs_tempered(model, tokens, tau), per_sentence)
}

/// log2 p of every position of `tokens` through temperature τ (0 at `<s>`): what [`score_tempered`] sums.
pub fn log2_probs_tempered(model: &Model, tokens: &[u32], tau: f64) -> Vec<f64> {
    if tau == 1.0 {
        return log2_probs(model, tokens);
    }
    let mut t = shannon_model::tempered::Tempered::new(model, tau);
    let context = model.order() - 1;
    (0..tokens.len())
        .map(|i| {
            if tokens[i] == BOS {
                0.0
            } else {
                t.log_prob(history(tokens, i, context), tokens[i]) * std::f64::consts::LOG2_E
            }
        })
        .collect()
}

/// Scores a stream. With `per_sentence`, also keeps each sentence's total (sentences are the `<s>`…`</s>`
/// spans; a stream without markers is one sentence).
///
/// The stream is scored in pieces of [`PIECE`] positions in parallel, each by the model's
/// [`stream_log_probs`](shannon_model::LanguageModel::stream_log_probs) (which carries the n-grams found at a
/// word to the next, and overlaps their cache misses) from M − 1 positions before the piece, so that every
/// position sees its whole history: the same values as `log_prob` at each position, for any thread count.
pub fn score<M: shannon_model::LanguageModel + ?Sized>(model: &M, tokens: &[u32], per_sentence: bool) -> Score {
    summarize(tokens, &log2_probs(model, tokens), per_sentence)
}

/// log2 p of every position of `tokens` (0 at `<s>`), computed as [`score`] computes them: what it sums.
pub fn log2_probs<M: shannon_model::LanguageModel + ?Sized>(model: &M, tokens: &[u32]) -> Vec<f64> {
    let context = model.order() - 1;
    let mut log2 = vec![0.0; tokens.len()];
    log2.par_chunks_mut(PIECE).enumerate().for_each(|(k, out)| {
        let start = k * PIECE;
        let from = start.saturating_sub(context);
        model.stream_log_probs(&tokens[from..start + out.len()], &mut |i, ln, _| {
            if let Some(at) = (from + i).checked_sub(start) {
                out[at] = ln * std::f64::consts::LOG2_E;
            }
        });
    });
    log2
}

/// Positions per piece of work in [`score`]: enough that the M − 1 positions walked again before each are
/// noise, few enough that all threads get many.
const PIECE: usize = 4096;

impl Score {
    /// Adds another stream's totals (per-sentence scores are not kept).
    pub fn add(&mut self, other: &Score) {
        self.tokens += other.tokens;
        self.sentences += other.sentences;
        self.oov += other.oov;
        self.zero_prob += other.zero_prob;
        self.zero_prob_oov += other.zero_prob_oov;
        self.log2_sum += other.log2_sum;
        self.log2_sum_in_vocab += other.log2_sum_in_vocab;
    }
}

/// One predicted token's score, as KenLM's `full_scores` gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenScore {
    /// log10 p(token | history) (`-inf` for probability 0).
    pub log10_prob: f64,
    /// Length of the longest stored n-gram ending in the token that its history matched (KenLM's
    /// `ngram_length`).
    pub ngram_length: usize,
    /// Whether the token is `<unk>`.
    pub oov: bool,
}

/// Every predicted token of a short stream, serially, in order: the per-token view of [`score`] (the same
/// histories and probabilities; `<s>` is context only). For one sentence at a time — a stream that does not
/// start with `<s>` starts from the empty history, as KenLM's null context, and one without `</s>` does not
/// predict it.
pub fn token_scores<M: shannon_model::LanguageModel + ?Sized>(model: &M, tokens: &[u32]) -> Vec<TokenScore> {
    let mut out = Vec::with_capacity(tokens.len());
    model.stream_log_probs(tokens, &mut |i, ln, ngram_length| {
        out.push(TokenScore { log10_prob: ln * std::f64::consts::LOG10_E, ngram_length, oov: tokens[i] == UNK })
    });
    out
}

/// Sums per-position log2 probabilities in position order.
fn summarize(tokens: &[u32], log2: &[f64], per_sentence: bool) -> Score {
    let mut running = Running::new(per_sentence);
    running.add(tokens, log2);
    running.finish()
}

/// The totals of a stream scored in consecutive parts — a long text tokenized and scored a piece at a time
/// — summed in position order, so that they are bit for bit those of the whole stream scored at once.
#[derive(Debug, Clone, Default)]
pub struct Running {
    score: Score,
    /// The sentence being summed.
    current: Option<SentenceScore>,
    per_sentence: bool,
    /// Positions added so far.
    positions: u64,
}

impl Running {
    /// Nothing scored yet; `per_sentence` keeps each sentence's total.
    pub fn new(per_sentence: bool) -> Running {
        Running { per_sentence, ..Running::default() }
    }

    /// Adds the next part: its tokens and their log2 p ([`log2_probs`]; 0 at `<s>`).
    pub fn add(&mut self, tokens: &[u32], log2: &[f64]) {
        let s = &mut self.score;
        for (&t, &lp) in tokens.iter().zip(log2) {
            let first = self.positions == 0;
            self.positions += 1;
            if t == BOS {
                s.sentences += 1;
                if let Some(done) = self.current.take().filter(|_| self.per_sentence) {
                    s.per_sentence.push(done);
                }
                self.current = Some(SentenceScore { log10_prob: 0.0, tokens: 0, oov: 0 });
                continue;
            }
            if first {
                // A stream without markers is one sentence.
                self.current = Some(SentenceScore { log10_prob: 0.0, tokens: 0, oov: 0 });
            }
            s.tokens += 1;
            let oov = t == UNK;
            s.oov += u64::from(oov);
            if lp == f64::NEG_INFINITY {
                s.zero_prob += 1;
                s.zero_prob_oov += u64::from(oov);
            } else {
                s.log2_sum += lp;
                if !oov {
                    s.log2_sum_in_vocab += lp;
                }
            }
            if let Some(c) = self.current.as_mut() {
                c.log10_prob += lp * std::f64::consts::LOG10_2;
                c.tokens += 1;
                c.oov += u64::from(oov);
            }
        }
    }

    /// The totals (and each sentence's, when asked for).
    pub fn finish(mut self) -> Score {
        if let Some(done) = self.current.take().filter(|_| self.per_sentence) {
            self.score.per_sentence.push(done);
        }
        self.score
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shannon_model::{LanguageModel, Smoothing};
    use shannon_tokens::{Vocab, EOS};
    use std::sync::Arc;

    /// Lines wrapped in `<s>`…`</s>`, words looked up with `id` (interning for training text, `<unk>` for
    /// unknown words in test text).
    fn lines(text: &str, mut id: impl FnMut(&str) -> u32) -> Vec<u32> {
        let mut out = Vec::new();
        for line in text.lines() {
            out.push(BOS);
            out.extend(line.split_whitespace().map(&mut id));
            out.push(EOS);
        }
        out
    }

    /// A bigram model trained on "a b" and "a a": a = 3, b = 4; the predictable vocabulary is
    /// {<unk>, </s>, a, b}, |V| = 4. Counts: a 3, b 1, </s> 2 (N = 6); <s> a 2, a b 1, a a 1, a </s> 1,
    /// b </s> 1. Followers: c(<s> •) = 2, c(a •) = 3, c(b •) = 1.
    fn toy(smoothing: Smoothing) -> (Vocab, Model) {
        let mut vocab = Vocab::new();
        let ids = lines("a b\na a\n", |w| vocab.intern(w));
        let counts = Arc::new(shannon_counts::count(&ids, vocab.len(), 2));
        let model = Model::estimate(counts, 2, smoothing, true).unwrap();
        (vocab, model)
    }

    fn close(x: f64, y: f64) {
        assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{x} != {y}");
    }

    #[test]
    fn add_one_scores_by_hand() {
        // Test text "a b" and "b x a", x unknown: <s> a b </s> <s> b <unk> a </s>.
        let text = "a b\nb x a\n";
        let (vocab, model) = toy(Smoothing::AddK { k: 1.0 });
        let tokens = lines(text, |w| vocab.get(w));
        assert_eq!(tokens, [BOS, 3, 4, EOS, BOS, 4, UNK, 3, EOS]);
        // Add-one: p(w | h) = (c(h w) + 1) / (c(h •) + 4), h the longest suffix seen as a context (<unk>
        // never was: its words are scored by the unigrams, (c(w) + 1) / (6 + 4)).
        //   p(a | <s>)     = (2 + 1) / (2 + 4) = 1/2
        //   p(b | a)       = (1 + 1) / (3 + 4) = 2/7
        //   p(</s> | b)    = (1 + 1) / (1 + 4) = 2/5
        //   p(b | <s>)     = (0 + 1) / (2 + 4) = 1/6
        //   p(<unk> | b)   = (0 + 1) / (1 + 4) = 1/5     (the OOV x, scored as <unk>)
        //   p(a | <unk>)   = (3 + 1) / (6 + 4) = 2/5
        //   p(</s> | a)    = (1 + 1) / (3 + 4) = 2/7
        // Seven predicted tokens: both </s> count, neither <s> does. Their product is
        // (1·2·2·1·1·2·2) / (2·7·5·6·5·5·7) = 16/73500; without the OOV's 1/5, 16/14700 over six tokens.
        let s = score(&model, &tokens, true);
        assert_eq!((s.tokens, s.sentences, s.oov, s.zero_prob), (7, 2, 1, 0));
        close(s.log2_sum, (16.0f64 / 73500.0).log2());
        close(s.log2_sum_in_vocab, (16.0f64 / 14700.0).log2());
        // H = −Σ log2 p / 7 bits per token; perplexity 2^H = (73500/16)^(1/7) ≈ 3.34.
        let h = -(16.0f64 / 73500.0).log2() / 7.0;
        close(s.cross_entropy_bits().unwrap(), h);
        close(s.perplexity().unwrap(), h.exp2());
        close(s.perplexity().unwrap(), (73500.0f64 / 16.0).powf(1.0 / 7.0));
        // Excluding the OOV: (14700/16)^(1/6) ≈ 3.11.
        close(s.perplexity_excluding_oov().unwrap(), (14700.0f64 / 16.0).powf(1.0 / 6.0));
        close(s.oov_rate(), 1.0 / 7.0);
        // The text's 10 characters: total bits / 10.
        close(s.bits_per(10).unwrap(), -(16.0f64 / 73500.0).log2() / 10.0);
        // Per sentence, log10 as KenLM prints it: 1/2 · 2/7 · 2/5 = 2/35; 1/6 · 1/5 · 2/5 · 2/7 = 2/525.
        assert_eq!(s.per_sentence.len(), 2);
        close(s.per_sentence[0].log10_prob, (2.0f64 / 35.0).log10());
        close(s.per_sentence[1].log10_prob, (2.0f64 / 525.0).log10());
        assert_eq!((s.per_sentence[0].tokens, s.per_sentence[0].oov), (3, 0));
        assert_eq!((s.per_sentence[1].tokens, s.per_sentence[1].oov), (4, 1));
        // Without per_sentence, the same figures and no sentence list.
        let t = score(&model, &tokens, false);
        assert!(t.per_sentence.is_empty());
        assert_eq!((t.tokens, t.log2_sum.to_bits()), (s.tokens, s.log2_sum.to_bits()));
    }

    #[test]
    fn token_scores_are_score_per_token_with_the_matched_ngram_length() {
        // Bigram Kneser–Ney on "a b", "a a"; test "b x a" (x unknown), in four KenLM framings.
        let (vocab, model) = toy(Smoothing::Kn);
        let tokens = lines("b x a\n", |w| vocab.get(w));
        assert_eq!(tokens, [BOS, 4, UNK, 3, EOS]);
        let t = token_scores(&model, &tokens);
        // Bigrams seen: <s> b no (1), b <unk> no (1), <unk> a no (1), a </s> yes (2).
        let lengths: Vec<usize> = t.iter().map(|s| s.ngram_length).collect();
        assert_eq!(lengths, [1, 1, 1, 2]);
        assert_eq!(t.iter().map(|s| s.oov).collect::<Vec<_>>(), [false, true, false, false]);
        let sum: f64 = t.iter().map(|s| s.log10_prob).sum();
        close(sum, score(&model, &tokens, true).per_sentence[0].log10_prob);
        // Each token is log10 of Model::log_prob after its history.
        close(t[3].log10_prob, model.log_prob(&[BOS, 4, UNK, 3], EOS) / std::f64::consts::LN_10);
        // Without <s>: the first word from the empty history (its unigram); without </s>: three tokens.
        let t = token_scores(&model, &tokens[1..tokens.len() - 1]);
        assert_eq!(t.len(), 3);
        close(t[0].log10_prob, model.log_prob(&[], 4) / std::f64::consts::LN_10);
        assert_eq!(t[0].ngram_length, 1);
        // `a a` is a seen bigram: length 2.
        let t = token_scores(&model, &[BOS, 3, 3]);
        assert_eq!(t.iter().map(|s| s.ngram_length).collect::<Vec<_>>(), [2, 2]);
    }

    #[test]
    fn zero_probability_tokens_make_cross_entropy_infinite() {
        // mle, test text "a b" and "b a": <s> a b </s> <s> b a </s>.
        //   p(a | <s>) = 2/2, p(b | a) = 1/3, p(</s> | b) = 1/1,
        //   p(b | <s>) = 0/2 and p(a | b) = 0/1 (seen contexts, unseen words: mle gives 0),
        //   p(</s> | a) = 1/3.
        let (vocab, model) = toy(Smoothing::Mle);
        let tokens = lines("a b\nb a\n", |w| vocab.get(w));
        let s = score(&model, &tokens, true);
        assert_eq!((s.tokens, s.sentences, s.oov, s.zero_prob), (6, 2, 0, 2));
        // The sums skip the zeros (1 · 1/3 · 1 · 1/3 = 1/9) ...
        close(s.log2_sum, (1.0f64 / 9.0).log2());
        close(s.log2_sum_in_vocab, (1.0f64 / 9.0).log2());
        // ... but no figure is made up from them: cross-entropy and both perplexities are infinite.
        assert_eq!(s.cross_entropy_bits(), None);
        assert_eq!(s.perplexity(), None);
        assert_eq!(s.perplexity_excluding_oov(), None);
        assert_eq!(s.bits_per(8), None);
        // The first sentence is finite (1 · 1/3 · 1), the second −inf.
        close(s.per_sentence[0].log10_prob, (1.0f64 / 3.0).log10());
        assert_eq!(s.per_sentence[1].log10_prob, f64::NEG_INFINITY);
        assert_eq!((s.per_sentence[1].tokens, s.per_sentence[1].oov), (3, 0));
    }

    #[test]
    fn perplexity_excluding_oovs_is_finite_when_only_oovs_have_probability_0() {
        // mle, test text "a x" with x unknown: <s> a <unk> </s>. p(a | <s>) = 2/2, p(<unk> | a) = 0 (an OOV),
        // p(</s> | <unk>): <unk> was never a context, so the unigram p(</s>) = 2/6 (the training text
        // predicts a b </s> a a </s>). Only the OOV has probability 0.
        let (vocab, model) = toy(Smoothing::Mle);
        let tokens = lines("a x\n", |w| vocab.get(w));
        let s = score(&model, &tokens, false);
        assert_eq!((s.tokens, s.oov, s.zero_prob, s.zero_prob_oov), (3, 1, 1, 1));
        assert_eq!(s.cross_entropy_bits(), None);
        // In-vocabulary tokens: a (p = 1) and </s> (p = 1/3): perplexity (1 · 1/3)^(−1/2) = √3.
        let ppl = s.perplexity_excluding_oov().expect("finite without the OOV");
        close(ppl, 3f64.sqrt());
    }

    /// p(w | h) = 1/4 for every word and history.
    struct Uniform;

    impl LanguageModel for Uniform {
        fn order(&self) -> usize {
            1
        }

        fn log_prob(&self, _: &[u32], _: u32) -> f64 {
            0.25f64.ln()
        }
    }

    #[test]
    fn a_stream_without_markers_is_one_sentence() {
        // a b <unk> a, no markers: 4 tokens, each 2 bits; perplexity 4 with or without the OOV.
        let s = score(&Uniform, &[3, 4, UNK, 3], true);
        assert_eq!((s.tokens, s.sentences, s.oov, s.zero_prob), (4, 0, 1, 0));
        close(s.cross_entropy_bits().unwrap(), 2.0);
        close(s.perplexity().unwrap(), 4.0);
        close(s.perplexity_excluding_oov().unwrap(), 4.0);
        assert_eq!(s.per_sentence.len(), 1);
        close(s.per_sentence[0].log10_prob, 4.0 * 0.25f64.log10());
        assert_eq!((s.per_sentence[0].tokens, s.per_sentence[0].oov), (4, 1));
        // Nothing to predict: no cross-entropy, an OOV rate of 0.
        let empty = score(&Uniform, &[BOS], true);
        assert_eq!((empty.tokens, empty.sentences), (0, 1));
        assert_eq!(empty.cross_entropy_bits(), None);
        assert_eq!(empty.oov_rate(), 0.0);
    }
}
