//! `shannon generate`: text from a seeded source whose entropy rate is known exactly (or, for the
//! English-like benchmark text, from a seeded model of English).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use shannon_source::{English, Iid, Markov, Sentences, TextSource};

use crate::{default_corpus, Result};

/// The schema tag of the record `generate` writes beside a file.
pub const SOURCE_SCHEMA: &str = "shannon.source/1";

/// What `generate --output FILE` records beside the text, in `FILE.source.json`: the source and its exact
/// entropy rate, so that `shannon entropy FILE` can show the true rate beside its estimates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRecord {
    /// Always [`SOURCE_SCHEMA`].
    pub schema: String,
    /// The source and its parameters.
    pub source: String,
    /// What a unit is: `token` (a word or `</s>`) or `symbol` (a character).
    pub unit: String,
    /// Exact entropy rate, bits per unit.
    pub bits_per_unit: f64,
    /// Exact entropy rate, bits per byte of text (per character: the sources write ASCII).
    pub bits_per_byte: f64,
}

/// Where the record of a generated text is kept: beside it, `<text>.source.json`.
pub fn record_path(text: &Path) -> PathBuf {
    let mut name = text.as_os_str().to_owned();
    name.push(".source.json");
    PathBuf::from(name)
}

/// The record of text generated with `config` at `rate`.
pub fn record(config: &GenerateConfig, rate: &Rate) -> SourceRecord {
    let source = match config.source {
        SourceKind::Sentences => format!(
            "shannon-source Sentences: first-order Markov chain over {} pseudo-words and </s>, tables seeded {:#x}, \
             text seeded {}",
            config.vocab,
            config.model_seed.unwrap_or(Sentences::DEFAULT_SEED),
            config.seed
        ),
        SourceKind::Uniform => {
            format!("shannon-source uniform i.i.d. symbols over {:?}, text seeded {}", config.alphabet, config.seed)
        }
        SourceKind::Markov => format!(
            "shannon-source Markov chain of order {} over {:?}, concentration {}, tables seeded {}, text seeded {}",
            config.order,
            config.alphabet,
            config.concentration,
            config.model_seed.unwrap_or(1),
            config.seed
        ),
        SourceKind::English => "shannon-source English (no exact rate)".into(),
    };
    SourceRecord {
        schema: SOURCE_SCHEMA.into(),
        source,
        unit: rate.unit.into(),
        bits_per_unit: rate.per_unit,
        bits_per_byte: rate.per_byte,
    }
}

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
