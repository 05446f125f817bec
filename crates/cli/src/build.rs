//! `shannon build`: one model trained on a whole corpus, written as ARPA.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use shannon_corpus::Corpus;
use shannon_model::Smoothing;

use crate::progress::Progress;
use crate::{check_output, describe, open, pipeline, TextConfig};

/// Builds a model of `order` with `smoothing` from `paths` and writes it to `output` as ARPA.
pub fn run(
    paths: &[PathBuf],
    text: &TextConfig,
    order: usize,
    smoothing: Smoothing,
    output: &Path,
    progress: &Progress,
) -> Result<()> {
    if matches!(smoothing, Smoothing::Mle | Smoothing::AddK { .. }) {
        bail!("--smoothing {smoothing}: this method has no exact ARPA (backoff) form; use mkn, kn or wb");
    }
    check_output(output)?;
    let corpus = open(paths)?;
    let spans = corpus.whole();
    let bar = progress.bytes(Corpus::span_bytes(&spans), "tokenize");
    let (tokenized, _) =
        progress.stage("tokenize", || pipeline::tokenize_train(&corpus, &spans, &text.tokenizer, text.lossy, &bar));
    let (vocab, train) = tokenized?;
    bar.finish_and_clear();
    if train.tokens == 0 {
        bail!("{}: empty corpus: no {} tokens", describe(paths), text.tokenizer.kind.name());
    }
    let (counts, _) = progress.stage("count", || pipeline::count(&train, &vocab, order));
    let (model, _) = progress.stage("estimate", || pipeline::estimate(&counts, order, smoothing, &text.tokenizer));
    let model = model?;
    for d in &model.summary().discounts {
        if let Some(why) = &d.fallback {
            progress.info(&format!("warning: {why}"));
        }
    }
    let mut buf = Vec::new();
    shannon_model::arpa::write(&model, &vocab, &mut buf)?;
    shannon_report::write_atomic(output, &buf).with_context(|| format!("writing the model for {}", describe(paths)))?;
    progress.info(&format!(
        "wrote {} ({} n-grams of orders 1..={order})",
        output.display(),
        model.summary().ngrams.iter().sum::<u64>()
    ));
    Ok(())
}
