//! `shannon score`: held-out figures of a model file on some text, as a `shannon.score/1` report, or
//! per-sentence log-probabilities.

use std::path::PathBuf;

use shannon_corpus::Corpus;
use shannon_eval::SentenceScore;
use shannon_model::LanguageModel;
use shannon_report::{ModelFile, ScoreReport, TestScore, TextStats, SCORE_SCHEMA};
use shannon_tokens::stream;
use shannon_tokens::Lookup;

use crate::compare::check_temperature;
use crate::model_file::{self, Loaded};
use crate::progress::{stage, Progress, Unit};
use crate::text::TokenizerChoice;
use crate::text::{describe, inputs, open};
use crate::{ConfigError, DocumentOptions, Error, Result, TextConfig};

/// A `score` configuration: [`ScoreConfig::new`] gives the defaults, [`ScoreConfig::validate`] checks
/// every setting, and [`run`] runs only a valid one.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreConfig {
    /// The model file.
    pub model: PathBuf,
    /// The text: files and directories.
    pub text_paths: Vec<PathBuf>,
    /// The tokenizer settings given, resolved against the one the model records.
    pub tokens: TokenizerChoice,
    /// Replace invalid UTF-8 instead of stopping.
    pub lossy: bool,
    /// Keep every sentence's score.
    pub per_sentence: bool,
    /// Softmax temperature τ > 0 (1: the model itself).
    pub temperature: f64,
    /// How files of documents (JSON Lines) are read: format, text and id fields, bad records.
    pub documents: DocumentOptions,
}

impl ScoreConfig {
    /// The defaults: the model's own tokenizer, the summary only, at temperature 1.
    pub fn new(model: PathBuf, text_paths: Vec<PathBuf>, tokens: TokenizerChoice) -> ScoreConfig {
        ScoreConfig {
            model,
            text_paths,
            tokens,
            lossy: false,
            per_sentence: false,
            temperature: 1.0,
            documents: DocumentOptions::default(),
        }
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_temperature("temperature", self.temperature)
    }
}

/// What scoring gives: the report, and every sentence's score when asked for.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The `shannon.score/1` report.
    pub report: ScoreReport,
    /// Per sentence, in text order (empty unless `per_sentence`).
    pub sentences: Vec<SentenceScore>,
}

/// Scores the text with the model through the configured temperature.
pub fn run(config: &ScoreConfig, progress: &dyn Progress) -> Result<Scored> {
    config.validate()?;
    let (loaded, _) = stage(progress, "load model", None, Unit::Steps, || model_file::load(&config.model));
    let loaded = loaded?;
    let (tokenizer, notice) = config.tokens.resolve(loaded.tokenizer(), &config.model)?;
    if let Some(n) = &notice {
        progress.message(&format!("note: {n}"));
    }
    let text = TextConfig { tokenizer, lossy: config.lossy };
    let ngrams = loaded.ngrams();
    let tau = config.temperature;
    let per_sentence = config.per_sentence;
    if tau != 1.0 {
        // The partition function needs the model's stored n-grams: read a binary model into memory.
        let (vocab, model) = loaded.into_model()?;
        return score_with(config, &text, ngrams, model.order(), &vocab, progress, |ids| {
            shannon_eval::score_tempered(&model, ids, tau, per_sentence)
        });
    }
    match &loaded {
        Loaded::Arpa { vocab, model, .. } => score_with(config, &text, ngrams, model.order(), vocab, progress, |ids| {
            shannon_eval::score(model, ids, per_sentence)
        }),
        Loaded::Binary(m) => {
            score_with(config, &text, ngrams, m.order(), m, progress, |ids| shannon_eval::score(m, ids, per_sentence))
        }
    }
}

fn score_with(
    config: &ScoreConfig,
    text: &TextConfig,
    ngrams: Vec<u64>,
    order: usize,
    vocab: &impl Lookup,
    progress: &dyn Progress,
    score_ids: impl Fn(&[u32]) -> shannon_eval::Score,
) -> Result<Scored> {
    let corpus = open(&config.text_paths, (&config.documents, text.lossy), progress)?;
    let spans = corpus.whole();
    let (test, _) = stage(progress, "tokenize", Some(Corpus::span_bytes(&spans)), Unit::Bytes, || {
        stream::tokenize_test(&corpus, &spans, &text.tokenizer, text.lossy, vocab, &|n| progress.advance(n))
    });
    let test = test?;
    if test.tokens == 0 {
        return Err(Error::Input(format!(
            "{}: the test set has no {} tokens",
            describe(&config.text_paths),
            text.tokenizer.kind.name()
        )));
    }
    let mut score = score_ids(&test.ids);
    let sentences = std::mem::take(&mut score.per_sentence);
    let report = ScoreReport {
        schema: SCORE_SCHEMA.into(),
        tool: crate::tool(),
        model: ModelFile { path: config.model.display().to_string(), order, ngrams },
        temperature: config.temperature,
        inputs: inputs(&corpus),
        tokenizer: text.tokenizer,
        test: TextStats {
            bytes: test.bytes,
            chars: test.chars,
            sentences: test.sentences,
            tokens: test.tokens,
            vocabulary: None,
            replaced_invalid_utf8: test.replaced,
        },
        score: TestScore::new(&score, test.chars, test.bytes),
    };
    Ok(Scored { report, sentences })
}

/// Per-sentence scores as JSON Lines: `{"sentence": i, "log10_prob": x, "tokens": n, "oov": k}` per
/// sentence, numbered from 1; `log10_prob` is `null` for a sentence with a zero-probability token.
pub fn sentences_jsonl(sentences: &[SentenceScore]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, s) in sentences.iter().enumerate() {
        let line = serde_json::json!({
            "sentence": i + 1,
            "log10_prob": if s.log10_prob.is_finite() { Some(s.log10_prob) } else { None },
            "tokens": s.tokens,
            "oov": s.oov,
        });
        // A `Value` of numbers and null always serializes.
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}
