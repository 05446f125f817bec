//! `shannon score`: held-out figures of a model file on some text, as a `shannon.score/1` report or as
//! JSON Lines of per-sentence log-probabilities; and [`load`], which opens every model file shannon reads.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use shannon_corpus::{Corpus, Source};
use shannon_model::binary::{self, Mapped};
use shannon_model::{arpa, LanguageModel, Model};
use shannon_report::{ModelFile, ScoreReport, TestScore, TextStats, Tool, SCORE_SCHEMA};
use shannon_tokens::{Lookup, Vocab};

use crate::progress::Progress;
use crate::{describe, open, pipeline, TextConfig};

/// A model file, opened.
pub enum Loaded {
    /// ARPA text (plain or compressed), read into memory.
    Arpa {
        /// Its vocabulary.
        vocab: Vocab,
        /// The model, in backoff form.
        model: Model,
    },
    /// shannon's binary format, memory-mapped and queried in place.
    Binary(Mapped<Source>),
}

impl Loaded {
    /// The model order.
    pub fn order(&self) -> usize {
        match self {
            Loaded::Arpa { model, .. } => model.order(),
            Loaded::Binary(m) => m.order(),
        }
    }

    /// N-grams stored per order.
    pub fn ngrams(&self) -> Vec<u64> {
        match self {
            Loaded::Arpa { model, .. } => model.summary().ngrams.clone(),
            Loaded::Binary(m) => m.ngrams().to_vec(),
        }
    }

    /// The model in memory: an ARPA model as it is, a binary one thawed (for writing, pruning, sampling).
    pub fn into_model(self) -> Result<(Vocab, Model)> {
        match self {
            Loaded::Arpa { vocab, model } => Ok((vocab, model)),
            Loaded::Binary(m) => Ok(m.thaw()?),
        }
    }
}

/// Opens a model file, recognised by its first bytes: shannon's binary format (memory-mapped; opening it
/// costs the same for any model size), or ARPA text — plain, or compressed with gzip, xz, zstd or bzip2.
pub fn load(path: &Path) -> Result<Loaded> {
    let source = Source::open(path).context("cannot open model")?;
    if binary::is_binary(source.as_ref()) {
        return Ok(Loaded::Binary(Mapped::new(source).with_context(|| path.display().to_string())?));
    }
    let (vocab, model) = arpa::parse(source.as_ref()).with_context(|| {
        let how = source.compression();
        match how {
            shannon_corpus::Compression::None => path.display().to_string(),
            _ => format!("{} (decompressed {})", path.display(), how.name()),
        }
    })?;
    Ok(Loaded::Arpa { vocab, model })
}

/// Scores `paths` with the model at `model_path` through softmax temperature `temperature` (1: the model
/// itself); returns the bytes to write.
pub fn run(
    model_path: &Path,
    paths: &[PathBuf],
    text: &TextConfig,
    per_sentence: bool,
    temperature: f64,
    progress: &Progress,
) -> Result<Vec<u8>> {
    let (loaded, _) = progress.stage("load model", || load(model_path));
    let loaded = loaded?;
    let ngrams = loaded.ngrams();
    let job = Job { ngrams, model_path, paths, text, per_sentence, temperature, progress };
    if temperature != 1.0 {
        // The partition function needs the model's stored n-grams: read a binary model into memory.
        let (vocab, model) = loaded.into_model()?;
        return job.run(model.order(), &vocab, |ids, ps| shannon_eval::score_tempered(&model, ids, temperature, ps));
    }
    match &loaded {
        Loaded::Arpa { vocab, model } => job.run(model.order(), vocab, |ids, ps| shannon_eval::score(model, ids, ps)),
        Loaded::Binary(m) => job.run(m.order(), m, |ids, ps| shannon_eval::score(m, ids, ps)),
    }
}

/// What to score and how to report it.
struct Job<'a> {
    ngrams: Vec<u64>,
    model_path: &'a Path,
    paths: &'a [PathBuf],
    text: &'a TextConfig,
    per_sentence: bool,
    temperature: f64,
    progress: &'a Progress,
}

impl Job<'_> {
    fn run(
        self,
        order: usize,
        vocab: &impl Lookup,
        score_ids: impl Fn(&[u32], bool) -> shannon_eval::Score,
    ) -> Result<Vec<u8>> {
        let Job { ngrams, model_path, paths, text, per_sentence, temperature, progress } = self;
        let corpus = open(paths)?;
        let spans = corpus.whole();
        let bar = progress.bytes(Corpus::span_bytes(&spans), "tokenize");
        let test = pipeline::tokenize_test(&corpus, &spans, &text.tokenizer, text.lossy, vocab, &bar)?;
        bar.finish_and_clear();
        if test.tokens == 0 {
            anyhow::bail!("{}: the test set has no {} tokens", describe(paths), text.tokenizer.kind.name());
        }
        let score = score_ids(&test.ids, per_sentence);
        if per_sentence {
            let mut out = Vec::new();
            for (i, s) in score.per_sentence.iter().enumerate() {
                let line = serde_json::json!({
                    "sentence": i + 1,
                    "log10_prob": if s.log10_prob.is_finite() { Some(s.log10_prob) } else { None },
                    "tokens": s.tokens,
                    "oov": s.oov,
                });
                serde_json::to_writer(&mut out, &line)?;
                out.push(b'\n');
            }
            return Ok(out);
        }
        let report = ScoreReport {
            schema: SCORE_SCHEMA.into(),
            tool: Tool { name: "shannon".into(), version: env!("CARGO_PKG_VERSION").into() },
            model: ModelFile { path: model_path.display().to_string(), order, ngrams },
            temperature,
            inputs: crate::inputs(&corpus),
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
        Ok(shannon_report::to_json(&report))
    }
}
