//! Seeded text sources whose entropy rate is known exactly, plus a fast
//! English-like generator for GB-scale benchmarks.
//!
//! Every source is deterministic: the same parameters and seed give
//! byte-identical output on any machine and for any number of threads.  All
//! randomness comes from ChaCha8 streams keyed from `u64` seeds (expanded with
//! SplitMix64), uniform draws use explicit formulas, and every number that
//! shapes the output is computed with IEEE basic operations only (see the
//! private `detmath` module), never with the platform's libm.
//!
//! # Sources
//!
//! | source | in | out | entropy rate |
//! |---|---|---|---|
//! | [`Iid`] | symbols and probabilities | `n` symbols, UTF-8, no separators, no added newlines | H(p) = −Σ pᵢ log₂ pᵢ bits/symbol |
//! | [`Markov`] | alphabet, order, seed, Dirichlet concentration | `n` symbols, UTF-8, no separators, no added newlines | Σ_c π(c) H(P(·\|c)) bits/symbol |
//! | [`Sentences`] | vocabulary size, seed | one sentence per line: words of a–z joined by single spaces, `'\n'` after each sentence | Σ_s π(s) H(next\|s) bits/token; bits/char by renewal-reward |
//! | [`English`] | seed (and tunables) | capitalised sentences with commas and `. ? !`, one per line | not exact (only measured) |
//!
//! **Markov chains.**  A chain of order m over k symbols is a first-order chain
//! on the kᵐ contexts.  Its entropy rate is `H = Σ_c π(c) H(P(·|c))`
//! (Cover & Thomas, *Elements of Information Theory*, 2nd ed., ch. 4,
//! Thm 4.2.4), with π the stationary distribution over contexts, computed by
//! power iteration until successive iterates differ by less than 1e-13 in L1.
//! Random chains mix every row with a little of the uniform distribution so
//! all transition probabilities are positive, which makes the context chain
//! irreducible and aperiodic and the iteration convergent.  Streams start from
//! a context drawn from π, so the text is stationary from its first symbol.
//!
//! **Sentences.**  A first-order chain over the states `<s>` and the words,
//! emitting words and the end token `</s>` (which returns to `<s>`).  Each
//! state visited predicts exactly one token, so with `v(s)` the expected
//! number of visits to `s` per line (`v(<s>) = 1`), the stationary
//! distribution over predicting states is `π(s) = v(s) / Σ v`, and
//! * bits/token = Σ_s v(s) H(next|s) / Σ_s v(s),
//! * bits/char = Σ_s v(s) H(next|s) / E[bytes per line], where a line of `n`
//!   words has Σ len(word) + (n−1) spaces + 1 newline bytes.  The text ↔
//!   token mapping is a bijection, so this is the exact entropy rate of the
//!   byte stream (renewal-reward over lines).
//!
//! **Output conventions.**  [`TextSource::write_tokens`] writes the first
//! `n` tokens of the stream for a given stream seed.  `Iid` and `Markov` text
//! is written as-is with no newlines at all, unless `'\n'` is itself a symbol
//! of the alphabet.  See each type for its token definition.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

mod detmath;
mod english;
mod iid;
mod markov;
mod rng;
mod sentences;

pub use english::{English, EnglishParams};
pub use iid::Iid;
pub use markov::{Markov, MarkovStream, MAX_POWER_ITERATIONS, MAX_TABLE_ENTRIES, MIX_EPSILON, STATIONARY_TOLERANCE};
pub use sentences::{SentenceTokens, Sentences, Token};

/// Errors from building a source.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SourceError {
    /// The alphabet is empty.
    #[error("alphabet is empty")]
    EmptyAlphabet,
    /// A symbol occurs twice in the alphabet.
    #[error("duplicate symbol {0:?} in alphabet")]
    DuplicateSymbol(char),
    /// Probabilities are negative, non-finite, of the wrong count, or do not sum to 1.
    #[error("invalid probabilities: {0}")]
    InvalidProbabilities(String),
    /// A parameter is out of range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// Power iteration for the stationary distribution did not converge.
    #[error("stationary distribution did not converge in {0} iterations")]
    NotConverged(usize),
}

/// A seeded text source.
pub trait TextSource {
    /// Writes the first `n` tokens of the stream with stream seed `seed`.
    fn write_tokens(&self, n: u64, seed: u64, w: &mut dyn Write) -> io::Result<()>;

    /// Exact entropy rate in bits per token, where known.
    fn entropy_rate_bits_per_token(&self) -> Option<f64>;

    /// Exact entropy rate in bits per byte of output, where known.
    fn entropy_rate_bits_per_byte(&self) -> Option<f64>;
}

/// A source described by its parameters (e.g. in a configuration file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceSpec {
    /// [`Iid::uniform`] over the characters of `alphabet`.
    Uniform {
        /// Distinct symbols.
        alphabet: String,
    },
    /// [`Markov::random`].
    Markov {
        /// Distinct symbols.
        alphabet: String,
        /// Context length.
        order: usize,
        /// Seed of the transition table.
        seed: u64,
        /// Dirichlet concentration.
        concentration: f64,
    },
    /// [`Sentences::new`].
    Sentences {
        /// Number of words.
        vocab_size: usize,
        /// Seed of the vocabulary and transitions.
        seed: u64,
    },
    /// [`English::with_params`].
    English(EnglishParams),
}

impl SourceSpec {
    /// Builds the source.
    pub fn build(&self) -> Result<Box<dyn TextSource + Send + Sync>, SourceError> {
        Ok(match self {
            SourceSpec::Uniform { alphabet } => Box::new(Iid::uniform(alphabet)?),
            SourceSpec::Markov { alphabet, order, seed, concentration } => {
                Box::new(Markov::random(alphabet, *order, *seed, *concentration)?)
            }
            SourceSpec::Sentences { vocab_size, seed } => Box::new(Sentences::new(*vocab_size, *seed)?),
            SourceSpec::English(p) => Box::new(English::with_params(p.clone())?),
        })
    }
}

/// Shannon entropy in bits of a probability vector (zeros contribute 0).
pub fn entropy_bits(p: &[f64]) -> f64 {
    -p.iter().filter(|&&x| x > 0.0).map(|&x| x * x.log2()).sum::<f64>()
}

fn parse_alphabet(alphabet: &str) -> Result<Vec<char>, SourceError> {
    let symbols: Vec<char> = alphabet.chars().collect();
    if symbols.is_empty() {
        return Err(SourceError::EmptyAlphabet);
    }
    let mut seen = std::collections::HashSet::new();
    for &c in &symbols {
        if !seen.insert(c) {
            return Err(SourceError::DuplicateSymbol(c));
        }
    }
    Ok(symbols)
}

fn encode_symbols(symbols: &[char]) -> Vec<Vec<u8>> {
    symbols.iter().map(|c| c.to_string().into_bytes()).collect()
}

/// Output buffer flushed to the writer in large chunks.
struct ByteSink<'a> {
    buf: Vec<u8>,
    w: &'a mut dyn Write,
}

const SINK_CAPACITY: usize = 1 << 16;

impl<'a> ByteSink<'a> {
    fn new(w: &'a mut dyn Write) -> Self {
        ByteSink { buf: Vec::with_capacity(SINK_CAPACITY + 64), w }
    }

    #[inline]
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= SINK_CAPACITY {
            self.w.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        self.w.write_all(&self.buf)?;
        self.buf.clear();
        self.w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_27_is_log2_27() {
        let iid = Iid::uniform("abcdefghijklmnopqrstuvwxyz ").unwrap();
        assert_eq!(iid.entropy_rate_bits(), 27f64.log2());
        assert!(Iid::uniform("").is_err());
        assert!(Iid::uniform("abca").is_err());
    }

    #[test]
    fn iid_output_and_determinism() {
        let iid = Iid::new(vec!['x', 'é', '\n'], vec![0.5, 0.25, 0.25]).unwrap();
        assert_eq!(iid.entropy_rate_bits(), 1.5);
        assert_eq!(iid.mean_bytes_per_symbol(), 1.25);
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        iid.write_tokens(5000, 3, &mut a).unwrap();
        iid.write_tokens(5000, 3, &mut b).unwrap();
        iid.write_tokens(5000, 4, &mut c).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let s = String::from_utf8(a).unwrap();
        assert_eq!(s.chars().count(), 5000);
        let bad = Iid { symbols: vec!['a'], probs: vec![0.5] };
        assert!(bad.write_tokens(1, 0, &mut Vec::new()).is_err());
    }

    #[test]
    fn spec_round_trip_builds() {
        let spec = SourceSpec::Markov { alphabet: "ab".into(), order: 2, seed: 1, concentration: 1.0 };
        let src = spec.build().unwrap();
        let mut out = Vec::new();
        src.write_tokens(100, 0, &mut out).unwrap();
        assert_eq!(out.len(), 100);
        assert!(src.entropy_rate_bits_per_token().unwrap() <= 1.0);
    }
}
