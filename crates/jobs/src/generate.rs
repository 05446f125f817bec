//! `shannon generate`: text from a seeded source whose entropy rate is known exactly (or, for the
//! English-like benchmark text, from a seeded model of English).

use shannon_source::{English, Iid, Markov, Sentences, TextSource};

use crate::{default_corpus, Result};

/// Which source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// The default corpus's word-level Markov chain, one sentence per line.
    Sentences,
    /// I.i.d. uniform symbols over an alphabet.
    Uniform,
    /// A random order-k Markov chain over an alphabet.
    Markov,
    /// English-like benchmark text (its rate is not exact).
    English,
}

/// A `generate` configuration; `None` fields take each source's own default.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateConfig {
    /// The source.
    pub source: SourceKind,
    /// Lines for sentences, symbols for uniform and markov, words for english.
    pub count: Option<u64>,
    /// Bytes (english only; instead of `count`).
    pub bytes: Option<u64>,
    /// Seed of the text stream.
    pub seed: u64,
    /// Seed of the source's tables.
    pub model_seed: Option<u64>,
    /// Alphabet of uniform and markov sources.
    pub alphabet: String,
    /// Context length of a markov source.
    pub order: usize,
    /// Dirichlet concentration of a markov source's rows.
    pub concentration: f64,
    /// Vocabulary of the sentences source.
    pub vocab: usize,
    /// Worker threads for english (the text is identical for any value).
    pub jobs: usize,
}

/// Symbols written by the uniform and markov sources, and words by the english one, when no count is given.
pub const DEFAULT_SYMBOLS: u64 = 1_000_000;

/// The exact entropy rate of generated text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Bits per unit.
    pub per_unit: f64,
    /// Bits per byte.
    pub per_byte: f64,
    /// The unit: `token` or `symbol`.
    pub unit: &'static str,
}

/// Generates the text; returns it and, for sources with an exact rate, the rate.
pub fn run(config: &GenerateConfig) -> Result<(Vec<u8>, Option<Rate>)> {
    let mut text = Vec::new();
    let io = |e| crate::Error::io("generating text", e);
    let rate = match config.source {
        SourceKind::Sentences => {
            let s = Sentences::new(config.vocab, config.model_seed.unwrap_or(Sentences::DEFAULT_SEED))?;
            s.write_lines(config.count.unwrap_or(default_corpus::LINES), config.seed, &mut text).map_err(io)?;
            Some(Rate {
                per_unit: s.entropy_rate_bits_per_token(),
                per_byte: s.entropy_rate_bits_per_byte().unwrap_or(f64::NAN),
                unit: "token",
            })
        }
        SourceKind::Uniform => {
            let s = Iid::uniform(&config.alphabet)?;
            s.write_tokens(config.count.unwrap_or(DEFAULT_SYMBOLS), config.seed, &mut text).map_err(io)?;
            Some(Rate {
                per_unit: s.entropy_rate_bits(),
                per_byte: s.entropy_rate_bits() / s.mean_bytes_per_symbol(),
                unit: "symbol",
            })
        }
        SourceKind::Markov => {
            let s =
                Markov::random(&config.alphabet, config.order, config.model_seed.unwrap_or(1), config.concentration)?;
            s.write_tokens(config.count.unwrap_or(DEFAULT_SYMBOLS), config.seed, &mut text).map_err(io)?;
            Some(Rate {
                per_unit: s.entropy_rate_bits(),
                per_byte: s.entropy_rate_bits() / s.mean_bytes_per_symbol(),
                unit: "symbol",
            })
        }
        SourceKind::English => {
            let e = English::new(config.model_seed.unwrap_or(English::DEFAULT_SEED));
            match (config.bytes, config.count) {
                (Some(bytes), _) => e.write_parallel(bytes, config.jobs.max(1), &mut text).map_err(io)?,
                (None, n) => e.write_tokens(n.unwrap_or(DEFAULT_SYMBOLS), config.seed, &mut text).map_err(io)?,
            }
            None
        }
    };
    Ok((text, rate))
}
