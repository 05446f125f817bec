//! Text generated from a model through a softmax temperature (`shannon sample`). τ = 0 is greedy argmax
//! (deterministic, lowest id on ties); τ > 0 samples from p_τ(w | h) = p(w | h)^(1/τ) / Z_τ(h), computed over
//! the whole vocabulary at every step; the seed makes the output reproducible.

use crate::tempered::Tempered;
use crate::Model;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shannon_tokens::{Vocab, BOS, EOS};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleConfig {
    /// τ ≥ 0.
    pub temperature: f64,
    /// Seed of the sampler.
    pub seed: u64,
    /// Sentences to write (models with `</s>`).
    pub sentences: u64,
    /// Most tokens per sentence, or tokens in all for models without `</s>`.
    pub max_tokens: u64,
}

/// Generates text: one sentence per line, tokens joined by `separator`.
pub fn sample(model: &Model, vocab: &Vocab, config: &SampleConfig, separator: &str) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut tempered = (config.temperature > 0.0).then(|| Tempered::new(model, config.temperature));
    let words: Vec<u32> = (0..model.vocab_size() as u32).filter(|&w| model.is_predictable(w)).collect();
    let has_eos = model.is_predictable(EOS);
    let mut out = String::new();
    let mut logp = vec![0.0; words.len()];
    let sentences = if has_eos { config.sentences } else { 1 };
    for _ in 0..sentences {
        let mut history = if has_eos { vec![BOS] } else { Vec::new() };
        let mut first = true;
        for _ in 0..config.max_tokens {
            let context = &history[history.len().saturating_sub(model.order() - 1)..];
            for (slot, &w) in logp.iter_mut().zip(&words) {
                *slot = match tempered.as_mut() {
                    Some(t) => t.log_prob(context, w),
                    None => model.log_prob(context, w),
                };
            }
            let pick = if tempered.is_none() {
                // Greedy: the first maximum.
                (0..words.len()).fold(0, |best, i| if logp[i] > logp[best] { i } else { best })
            } else {
                let u: f64 = rng.random();
                let mut acc = 0.0;
                let mut chosen = words.len() - 1;
                for (i, lp) in logp.iter().enumerate() {
                    acc += lp.exp();
                    if u < acc {
                        chosen = i;
                        break;
                    }
                }
                chosen
            };
            let w = words[pick];
            if w == EOS {
                break;
            }
            if !first {
                out.push_str(separator);
            }
            first = false;
            out.push_str(vocab.string(w));
            history.push(w);
        }
        out.push('\n');
    }
    out
}
