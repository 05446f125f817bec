//! `shannon build`: one model trained on a whole corpus, written as ARPA or in shannon's binary format;
//! `shannon convert`: any model file shannon reads, written in either format.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use shannon_corpus::Corpus;
use shannon_model::{Model, Smoothing};
use shannon_tokens::Vocab;

use crate::direct::Direct;
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

/// How much memory counting may use (`--memory`) and where it spills sorted runs past it (`--temp-dir`).
#[derive(Debug, Clone, Default)]
pub struct CountMemory {
    /// Bytes of sorting memory; `None`: unlimited.
    pub memory: Option<u64>,
    /// Parent of the spill directory; `None`: the system's temporary directory.
    pub temp_dir: Option<PathBuf>,
}

impl CountMemory {
    /// A fresh private spill directory, removed when dropped and, through [`crate::cleanup`], on Ctrl-C.
    fn spill_dir(&self) -> Result<SpillDir> {
        let parent = self.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
        let dir = tempfile::Builder::new()
            .prefix(".shannon-spill-")
            .tempdir_in(&parent)
            .with_context(|| format!("creating a spill directory in {} (--temp-dir)", parent.display()))?;
        let registered = crate::cleanup::register(dir.path());
        Ok(SpillDir { _registered: registered, dir })
    }
}

/// A spill directory: unregistered from interruption cleanup, then removed, when dropped.
struct SpillDir {
    _registered: crate::cleanup::Registered,
    dir: tempfile::TempDir,
}

impl SpillDir {
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Writes `model` to `output` through a buffered temporary file beside it, renamed into place when complete
/// (the file is never held in memory whole; on error or Ctrl-C the temporary file is removed).
fn write_streaming(output: &Path, model: &Model, vocab: &Vocab, format: Format) -> Result<()> {
    write_with(output, |out| {
        match format {
            Format::Arpa => shannon_model::arpa::write(model, vocab, out)?,
            Format::Binary => shannon_model::binary::write(model, vocab, out)?,
        }
        Ok(())
    })
}

/// Runs `write` on a buffered temporary file beside `output` and renames it into place when `write`
/// succeeds; on error or Ctrl-C the temporary file is removed. Model files can be many gigabytes, so they
/// are written past the page cache where the file system allows ([`crate::direct`]).
fn write_with<T>(output: &Path, write: impl FnOnce(&mut Direct<tempfile::NamedTempFile>) -> Result<T>) -> Result<T> {
    let tmp = shannon_report::temp_beside(output)
        .with_context(|| format!("creating a temporary file beside {}", output.display()))?;
    let _registered = crate::cleanup::register(tmp.path());
    let mut out = Direct::new(tmp);
    let value = write(&mut out)?;
    let tmp = out.finish()?;
    tmp.as_file().sync_all()?;
    tmp.persist(output).map_err(|e| e.error).with_context(|| output.display().to_string())?;
    Ok(value)
}

/// Builds a model of `order` with `smoothing` from `paths` and writes it to `output` in `format`.
#[allow(clippy::too_many_arguments)] // one per `shannon build` setting, all validated by main
pub fn run(
    paths: &[PathBuf],
    text: &TextConfig,
    order: usize,
    smoothing: Smoothing,
    format: Format,
    output: &Path,
    memory: &CountMemory,
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
    // The mapped text has been read; its pages would otherwise stay resident through counting and estimation.
    drop((spans, corpus));
    progress.verbose(&format!("positions: {} ({} tokens, vocabulary {})", train.ids.len(), train.tokens, vocab.len()));
    if train.tokens == 0 {
        bail!("{}: empty corpus: no {} tokens", describe(paths), text.tokenizer.kind.name());
    }
    // Estimation and writing never query, so the counts need no hash index.
    let spill = memory.spill_dir()?;
    let limits = shannon_counts::Limits { memory: memory.memory, temp_dir: spill.path().to_path_buf(), index: false };
    let summary = if format == Format::Arpa {
        // Counts go to disk order by order and the model is estimated and written from there, one order
        // at a time: memory holds the token stream while counting, then only per-order arrays.
        let store_dir = spill.path().join("counts");
        std::fs::create_dir(&store_dir).with_context(|| format!("creating {}", store_dir.display()))?;
        let mut store = shannon_counts::store::Store::transient(&store_dir);
        let (counted, _) = progress
            .stage("count", || shannon_counts::count_to_store(&train.ids, vocab.len(), order, &limits, &mut store));
        counted?;
        drop(train);
        let (written, _) = progress.stage("estimate and write", || {
            write_with(output, |out| {
                Ok(shannon_model::streamed::write_arpa(
                    &store,
                    &vocab,
                    smoothing,
                    text.tokenizer.sentences == shannon_tokens::Sentences::Lines,
                    out,
                )?)
            })
        });
        written.with_context(|| format!("writing the model for {}", describe(paths)))?
    } else {
        let (counts, _) = progress.stage("count", || pipeline::count_within(&train, &vocab, order, &limits));
        let counts = counts?;
        drop((spill, train));
        let (model, _) = progress.stage("estimate", || pipeline::estimate(&counts, order, smoothing, &text.tokenizer));
        let model = model?;
        let (written, _) = progress.stage("write", || write_streaming(output, &model, &vocab, format));
        written.with_context(|| format!("writing the model for {}", describe(paths)))?;
        model.summary().clone()
    };
    for d in &summary.discounts {
        if let Some(why) = &d.fallback {
            progress.info(&format!("warning: {why}"));
        }
    }
    progress.info(&format!(
        "wrote {} ({} n-grams of orders 1..={order})",
        output.display(),
        summary.ngrams.iter().sum::<u64>()
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
