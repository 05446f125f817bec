//! `shannon score`: held-out figures of an ARPA model on some text, as a `shannon.score/1` report or as
//! JSON Lines of per-sentence log-probabilities.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use shannon_corpus::Corpus;
use shannon_report::{Input, ModelFile, ScoreReport, TestScore, TextStats, Tool, SCORE_SCHEMA};

use crate::progress::Progress;
use crate::{describe, open, pipeline, TextConfig};

/// Scores `paths` with the model at `model_path`; returns the bytes to write.
pub fn run(
    model_path: &Path,
    paths: &[PathBuf],
    text: &TextConfig,
    per_sentence: bool,
    progress: &Progress,
) -> Result<Vec<u8>> {
    let file =
        std::fs::File::open(model_path).with_context(|| format!("cannot open model {}", model_path.display()))?;
    let (loaded, _) = progress.stage("load model", || shannon_model::arpa::read(BufReader::new(file)));
    let (vocab, model) = loaded.with_context(|| format!("{}", model_path.display()))?;
    let corpus = open(paths)?;
    let spans = corpus.whole();
    let bar = progress.bytes(Corpus::span_bytes(&spans), "tokenize");
    let test = pipeline::tokenize_test(&corpus, &spans, &text.tokenizer, text.lossy, &vocab, &bar)?;
    bar.finish_and_clear();
    if test.tokens == 0 {
        anyhow::bail!("{}: the test set has no {} tokens", describe(paths), text.tokenizer.kind.name());
    }
    let score = pipeline::score(&model, &test, per_sentence);
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
        model: ModelFile {
            path: model_path.display().to_string(),
            order: model.order(),
            ngrams: model.summary().ngrams.clone(),
        },
        inputs: corpus
            .sources()
            .iter()
            .map(|s| Input { path: s.path().display().to_string(), bytes: s.as_ref().len() as u64, sha256: s.sha256() })
            .collect(),
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
