//! `shannon build`: one model trained on a whole corpus, written as ARPA or in shannon's binary format;
//! `shannon convert`: any model file shannon reads, written in either format.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use shannon_corpus::Corpus;
use shannon_model::{Model, Smoothing};
use shannon_tokens::Vocab;

use crate::progress::Progress;
use crate::{check_output, describe, open, pipeline, TextConfig};

/// How a model file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// ARPA text: what KenLM, SRILM and most decoders read.
    Arpa,
    /// shannon's binary format: memory-mapped and queried in place, so it loads at once (see
    /// `shannon_model::binary`).
    Binary,
}

/// The bytes of `model` in `format`.
pub fn encode(model: &Model, vocab: &Vocab, format: Format) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    match format {
        Format::Arpa => shannon_model::arpa::write(model, vocab, &mut buf)?,
        Format::Binary => shannon_model::binary::write(model, vocab, &mut buf)?,
    }
    Ok(buf)
}

/// Builds a model of `order` with `smoothing` from `paths` and writes it to `output` in `format`.
pub fn run(
    paths: &[PathBuf],
    text: &TextConfig,
    order: usize,
    smoothing: Smoothing,
    format: Format,
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
    let buf = encode(&model, &vocab, format)?;
    shannon_report::write_atomic(output, &buf).with_context(|| format!("writing the model for {}", describe(paths)))?;
    progress.info(&format!(
        "wrote {} ({} n-grams of orders 1..={order})",
        output.display(),
        model.summary().ngrams.iter().sum::<u64>()
    ));
    Ok(())
}

/// Reads the model file `input` (ARPA, plain or compressed, or binary) and writes it to `output` in `format`.
/// Probabilities are kept exactly: an ARPA file converted to binary scores like the ARPA file, and back.
pub fn convert(input: &Path, output: &Path, format: Format, progress: &Progress) -> Result<()> {
    check_output(output)?;
    let (loaded, _) = progress.stage("load model", || crate::score::load(input));
    let (vocab, model) = loaded?.into_model().with_context(|| input.display().to_string())?;
    let (buf, _) = progress.stage("write", || encode(&model, &vocab, format));
    shannon_report::write_atomic(output, &buf?).with_context(|| format!("writing {}", output.display()))?;
    progress.info(&format!(
        "wrote {} ({} n-grams of orders 1..={})",
        output.display(),
        model.summary().ngrams.iter().sum::<u64>(),
        model.order()
    ));
    Ok(())
}
