//! `shannon score`: held-out figures of a model file on some text, as a `shannon.score/1` report, or
//! per-sentence log-probabilities.

use std::path::PathBuf;

use shannon_corpus::{Corpus, Span};
use shannon_eval::SentenceScore;
use shannon_report::{DocumentScores, ModelFile, ScoreReport, TestScore, TextStats, SCORE_SCHEMA};
use shannon_tokens::stream;
use shannon_tokens::{Lookup, Sentences};

use crate::compare::check_temperature;
use crate::documents::{self, DocumentScore};
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
    /// Score document by document and keep every document's figures ([`Scored::documents`]).
    pub per_document: bool,
    /// Per-document perplexity thresholds to add to the report at these percentiles (0 to 100); scores
    /// document by document.
    pub percentiles: Vec<f64>,
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
            per_document: false,
            percentiles: Vec::new(),
            documents: DocumentOptions::default(),
        }
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_temperature("temperature", self.temperature)?;
        documents::check_percentiles("percentiles", &self.percentiles)?;
        if self.by_document() && self.per_sentence {
            return Err(ConfigError::new("per_sentence", "cannot be combined with per_document or percentiles"));
        }
        if self.by_document() && self.temperature != 1.0 {
            return Err(ConfigError::new(
                "temperature",
                "must be 1 when scoring document by document (per_document, percentiles)",
            ));
        }
        Ok(())
    }

    /// Whether the text is scored document by document.
    pub fn by_document(&self) -> bool {
        self.per_document || !self.percentiles.is_empty()
    }
}

/// What scoring gives: the report, and every sentence's score when asked for.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The `shannon.score/1` report.
    pub report: ScoreReport,
    /// Per sentence, in text order (empty unless `per_sentence`).
    pub sentences: Vec<SentenceScore>,
    /// Per document, in input order (empty unless `per_document`; [`run_documents`] hands them on instead).
    pub documents: Vec<DocumentScore>,
}

/// Scores the text with the model through the configured temperature.
pub fn run(config: &ScoreConfig, progress: &dyn Progress) -> Result<Scored> {
    config.validate()?;
    if config.by_document() {
        let mut kept = Vec::new();
        let mut scored = run_documents(config, progress, &mut |d| {
            if config.per_document {
                kept.push(d.clone());
            }
            Ok(())
        })?;
        scored.documents = kept;
        return Ok(scored);
    }
    let (loaded, _) = stage(progress, "load model", None, Unit::Steps, || model_file::load(&config.model))?;
    let loaded = loaded?;
    let (tokenizer, notice) = config.tokens.resolve(loaded.tokenizer(), &config.model)?;
    if let Some(n) = &notice {
        progress.message(&format!("note: {n}"));
    }
    let text = TextConfig { tokenizer, lossy: config.lossy };
    let file = loaded.file(&config.model);
    let tau = config.temperature;
    if tau != 1.0 {
        // The partition function needs the model's stored n-grams: read a binary model into memory.
        let (vocab, model) = loaded.into_model()?;
        return score_with(config, &text, file, &vocab, progress, |ids| {
            shannon_eval::log2_probs_tempered(&model, ids, tau)
        });
    }
    match &loaded {
        Loaded::Arpa { vocab, model, .. } => {
            score_with(config, &text, file, vocab, progress, |ids| shannon_eval::log2_probs(model, ids))
        }
        Loaded::Binary(m) => {
            let words = m.words().map_err(|e| Error::from(e).context(m.backing().path().display().to_string()))?;
            score_with(config, &text, file, &words, progress, |ids| shannon_eval::log2_probs(m, ids))
        }
    }
}

/// Bytes of text tokenized and scored at a time where lines are sentences: memory holds one part's tokens
/// and values (about 12 bytes a token), not the whole text's.
const PART_BYTES: usize = if cfg!(test) { 100 } else { 32 << 20 };

fn score_with(
    config: &ScoreConfig,
    text: &TextConfig,
    model: ModelFile,
    vocab: &impl Lookup,
    progress: &dyn Progress,
    log2_of: impl Fn(&[u32]) -> Vec<f64>,
) -> Result<Scored> {
    let corpus = open(&config.text_paths, (&config.documents, text.lossy), progress)?;
    let spans = corpus.whole();
    // Where every line is a sentence, the text is tokenized and scored a part at a time (the same values,
    // summed in the same order); one stream (`--sentences none`) is tokenized whole.
    let parts: Vec<Vec<Span>> = match text.tokenizer.sentences {
        Sentences::Lines => corpus.chunks_of(&spans, PART_BYTES).into_iter().map(|c| vec![c]).collect(),
        Sentences::None => vec![spans.clone()],
    };
    let mut running = shannon_eval::Running::new(config.per_sentence);
    let mut test = stream::Stream::default();
    let (scored, _) = stage(progress, "tokenize and score", Some(Corpus::span_bytes(&spans)), Unit::Bytes, || {
        for part in &parts {
            let s = stream::tokenize_test(&corpus, part, &text.tokenizer, text.lossy, vocab, &|n| progress.advance(n))?;
            running.add(&s.ids, &log2_of(&s.ids));
            test.bytes += s.bytes;
            test.chars += s.chars;
            test.sentences += s.sentences;
            test.tokens += s.tokens;
            test.replaced += s.replaced;
            crate::progress::checkpoint(progress)?;
        }
        Ok::<(), Error>(())
    })?;
    scored?;
    if test.tokens == 0 {
        return Err(Error::Input(format!(
            "{}: the test set has no {} tokens",
            describe(&config.text_paths),
            text.tokenizer.kind.name()
        )));
    }
    let mut score = running.finish();
    let sentences = std::mem::take(&mut score.per_sentence);
    let report = ScoreReport {
        schema: SCORE_SCHEMA.into(),
        tool: crate::tool(),
        model,
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
        documents: None,
    };
    Ok(Scored { report, sentences, documents: Vec::new() })
}

/// Scores the text document by document (see [`crate::documents`]), handing each document's figures to
/// `each` in input order as soon as its window is done, so that memory stays bounded by the model and a
/// window of documents; the report has the totals and the percentiles asked for.
pub fn run_documents(
    config: &ScoreConfig,
    progress: &dyn Progress,
    each: &mut dyn FnMut(&DocumentScore) -> Result<()>,
) -> Result<Scored> {
    config.validate()?;
    let (loaded, _) = stage(progress, "load model", None, Unit::Steps, || model_file::load(&config.model))?;
    let loaded = loaded?;
    let (tokenizer, notice) = config.tokens.resolve(loaded.tokenizer(), &config.model)?;
    if let Some(n) = &notice {
        progress.message(&format!("note: {n}"));
    }
    let (corpus, _) = stage(progress, "read", None, Unit::Steps, || Corpus::open(&config.text_paths))?;
    let corpus = corpus?;
    let formats = documents::formats(&corpus, &config.documents, progress);
    let mut perplexities = Vec::new();
    let keep = !config.percentiles.is_empty();
    let mut each_doc = |_: &documents::Place, d: &DocumentScore| {
        if keep && d.tokens > 0 {
            perplexities.push(d.perplexity.unwrap_or(f64::INFINITY));
        }
        each(d)
    };
    let (totals, _) = stage(progress, "score", Some(corpus.bytes()), Unit::Bytes, || {
        documents::score_loaded(
            &loaded,
            &config.documents,
            tokenizer,
            config.lossy,
            &corpus,
            &formats,
            progress,
            &mut each_doc,
        )
    })?;
    let totals = totals?;
    if totals.tokens == 0 && totals.score.tokens == 0 {
        return Err(Error::Input(format!(
            "{}: the test set has no {} tokens",
            describe(&config.text_paths),
            tokenizer.kind.name()
        )));
    }
    let report = ScoreReport {
        schema: SCORE_SCHEMA.into(),
        tool: crate::tool(),
        model: loaded.file(&config.model),
        temperature: config.temperature,
        inputs: documents::inputs(&corpus, &formats, &config.documents, &totals),
        tokenizer,
        test: TextStats {
            bytes: totals.bytes,
            chars: totals.chars,
            sentences: totals.sentences,
            tokens: totals.tokens,
            vocabulary: None,
            replaced_invalid_utf8: 0,
        },
        score: TestScore::new(&totals.score, totals.chars, totals.bytes),
        documents: Some(DocumentScores {
            documents: totals.documents,
            empty: totals.empty,
            infinite: totals.infinite,
            skipped_bad_records: totals.skipped,
            percentiles: documents::percentiles(&mut perplexities, &config.percentiles),
        }),
    };
    Ok(Scored { report, sentences: Vec::new(), documents: Vec::new() })
}

/// One document's figures as a line of JSON, its line end included.
pub fn document_line(d: &DocumentScore) -> Vec<u8> {
    // Strings, numbers and null always serialize.
    let mut line = serde_json::to_vec(d).unwrap_or_default();
    line.push(b'\n');
    line
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::{self, BuildConfig};
    use shannon_tokens::{TokenKind, Tokenizer};

    fn genesis() -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpora/fixtures/genesis.txt"))
    }

    /// Scored a part of 100 bytes at a time (in tests), the figures are those of the whole text scored at once,
    /// bit for bit: at τ = 1 and through a temperature, with each sentence's total.
    #[test]
    fn a_text_scored_in_parts_gives_the_whole_texts_figures() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("m.arpa");
        let tokenizer = Tokenizer {
            kind: TokenKind::Whitespace,
            lowercase: false,
            sentences: Sentences::Lines,
            skip_symbols: false,
        };
        let text = TextConfig { tokenizer, lossy: false };
        let mut b = BuildConfig::new(vec![genesis()], text, model.clone());
        b.order = 3;
        build::run(&b, &crate::Silent).unwrap();
        let Loaded::Arpa { vocab, model: m, .. } = model_file::load(&model).unwrap() else { panic!("ARPA") };
        let corpus = Corpus::open(&[genesis()]).unwrap();
        let spans = corpus.whole();
        let whole = stream::tokenize_test(&corpus, &spans, &tokenizer, false, &vocab, &|_| {}).unwrap();
        assert!(corpus.chunks_of(&spans, PART_BYTES).len() > 10, "scored in many parts");
        for tau in [1.0, 0.8] {
            let want = shannon_eval::score_tempered(&m, &whole.ids, tau, true);
            let mut config = ScoreConfig::new(model.clone(), vec![genesis()], TokenizerChoice::default());
            config.per_sentence = true;
            config.temperature = tau;
            let got = run(&config, &crate::Silent).unwrap();
            assert_eq!(got.report.score, TestScore::new(&want, whole.chars, whole.bytes), "τ = {tau}");
            assert_eq!(got.sentences, want.per_sentence, "τ = {tau}");
            let t = &got.report.test;
            assert_eq!(
                (t.bytes, t.chars, t.sentences, t.tokens),
                (whole.bytes, whole.chars, whole.sentences, whole.tokens)
            );
        }
    }
}
