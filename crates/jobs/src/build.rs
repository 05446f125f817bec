//! `shannon build`: one model trained on a whole corpus, written as ARPA or in shannon's binary format;
//! `shannon convert`: any model file shannon reads, written in either format.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shannon_model::{Model, Smoothing, Summary};
use shannon_tokens::{Sentences, Tokenizer, Vocab};

use crate::direct::Direct;
pub use crate::memory::CountMemory;
use crate::progress::{stage, Progress, Unit};
use crate::text::{check_order, describe, open, tokenize_whole};
use crate::{cleanup, ConfigError, DocumentOptions, Error, Result, TextConfig};

/// How a model file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// ARPA text: what KenLM, SRILM and most decoders read.
    Arpa,
    /// shannon's binary format: memory-mapped and queried in place, so it loads at once (see
    /// `shannon_model::binary`).
    Binary,
    /// The binary format with each value rounded to `f32`, as KenLM stores them: about two thirds of the
    /// file, scores within a relative 1e-7 or so of the model's.
    BinaryF32,
}

/// A size as `--memory` takes it: bytes, or with a K, M or G suffix (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let (digits, mult) = match s.char_indices().last() {
        Some((i, 'K' | 'k')) => (&s[..i], 1u64 << 10),
        Some((i, 'M' | 'm')) => (&s[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("expected a size like 400M, got '{s}'"))
}

/// The order built when none is given.
pub const DEFAULT_ORDER: usize = 5;

/// A `build` configuration: [`BuildConfig::new`] gives the defaults, [`BuildConfig::validate`] checks
/// every setting, and [`run`] runs only a valid one.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildConfig {
    /// Training files and directories (all of it is used).
    pub corpus: Vec<PathBuf>,
    /// Tokenizer and UTF-8 policy.
    pub text: TextConfig,
    /// Model order.
    pub order: usize,
    /// Smoothing: one with an exact backoff form (mkn, kn, wb).
    pub smoothing: Smoothing,
    /// File format.
    pub format: Format,
    /// Where the model goes.
    pub output: PathBuf,
    /// Memory for counting and estimating (an ARPA model's), and where sorted runs spill past it.
    pub memory: CountMemory,
    /// How files of documents (JSON Lines) are read: format, text and id fields, bad records.
    pub documents: DocumentOptions,
}

impl BuildConfig {
    /// The defaults: order 5, mkn, ARPA, unbounded counting memory in the system's temporary directory.
    pub fn new(corpus: Vec<PathBuf>, text: TextConfig, output: PathBuf) -> BuildConfig {
        BuildConfig {
            corpus,
            text,
            order: DEFAULT_ORDER,
            smoothing: Smoothing::Mkn,
            format: Format::Arpa,
            output,
            memory: CountMemory::default(),
            documents: DocumentOptions::default(),
        }
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_order("order", self.order)?;
        if matches!(self.smoothing, Smoothing::Mle | Smoothing::AddK { .. }) {
            return Err(ConfigError::new(
                "smoothing",
                format!("{}: this method has no exact ARPA (backoff) form; use mkn, kn or wb", self.smoothing),
            ));
        }
        Ok(())
    }
}

/// The bytes of `model` in `format`, recording `tokenizer` (how its training text became tokens) when
/// known.
pub fn encode(model: &Model, vocab: &Vocab, tokenizer: Option<&Tokenizer>, format: Format) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    write_model(model, vocab, tokenizer, format, &mut buf)?;
    Ok(buf)
}

/// Writes `model` in `format` to `out`: ARPA with its tokenizer in a `# shannon-tokenizer` comment before
/// `\data\`, binary with it in the header's flags.
fn write_model(
    model: &Model,
    vocab: &Vocab,
    tokenizer: Option<&Tokenizer>,
    format: Format,
    out: &mut (impl std::io::Write + Send),
) -> Result<()> {
    match format {
        Format::Arpa => {
            let (preamble, vocab) = crate::model_file::arpa_preamble(tokenizer, vocab)?;
            out.write_all(preamble.as_bytes()).map_err(|e| Error::io("writing the model", e))?;
            shannon_model::arpa::write(model, &vocab, out)?
        }
        Format::Binary => shannon_model::binary::write_tokenized(model, vocab, tokenizer, out)?,
        Format::BinaryF32 => {
            shannon_model::binary::write_with(model, vocab, tokenizer, shannon_model::binary::Precision::F32, out)?
        }
    }
    Ok(())
}

/// Writes `model` to `output` through a buffered temporary file beside it, renamed into place when complete
/// (the file is never held in memory whole; on error or Ctrl-C the temporary file is removed).
fn write_streaming(
    output: &Path,
    model: &Model,
    vocab: &Vocab,
    tokenizer: &Tokenizer,
    format: Format,
    progress: &dyn Progress,
) -> Result<()> {
    write_with(output, progress, |out| write_model(model, vocab, Some(tokenizer), format, out))
}

/// Runs `write` on a buffered temporary file beside `output` and renames it into place when `write`
/// succeeds; on error or Ctrl-C the temporary file is removed. Model files can be many gigabytes, so they
/// are written past the page cache where the file system allows ([`crate::direct`]).
///
/// Errors name `output` (a full disk: "… m.arpa: No space left on device"), never the hidden temporary file.
/// A job cancelled while writing ([`Progress::cancelled`]) removes the temporary file instead of renaming it.
fn write_with<T>(
    output: &Path,
    progress: &dyn Progress,
    write: impl FnOnce(&mut Direct<&std::fs::File>) -> Result<T>,
) -> Result<T> {
    let tmp = shannon_report::temp_beside(output)
        .map_err(|e| Error::io(format!("creating a temporary file beside {}", output.display()), e))?;
    let _registered = cleanup::register(tmp.path());
    let io = |e| Error::io(output.display().to_string(), e);
    // Through the file itself: the temporary file's own writer adds its hidden name to every error.
    let mut out = Direct::new(tmp.as_file());
    let value =
        write(&mut out).map_err(|e| if caused_by_io(&e) { e.context(output.display().to_string()) } else { e })?;
    out.finish().map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    crate::progress::checkpoint(progress)?;
    tmp.persist(output).map_err(|e| io(e.error))?;
    Ok(value)
}

/// Whether an I/O error is among the causes of `e` (a write failed, rather than estimation).
fn caused_by_io(e: &Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<std::io::Error>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// Builds the model and writes it; returns its summary (n-grams per order, discounts). A discount that
/// had to fall back is said through `progress` and recorded in the summary.
pub fn run(config: &BuildConfig, progress: &dyn Progress) -> Result<Summary> {
    config.validate()?;
    let BuildConfig { corpus: paths, text, order, smoothing, format, output, memory, documents } = config;
    let (order, smoothing, format) = (*order, *smoothing, *format);
    let corpus = open(paths, (documents, text.lossy), progress)?;
    let (tokenized, _) = tokenize_whole(&corpus, text, progress);
    let (vocab, mut train) = tokenized?;
    // The mapped text has been read; its pages would otherwise stay resident through counting and estimation.
    drop(corpus);
    progress.detail(&format!("positions: {} ({} tokens, vocabulary {})", train.ids.len(), train.tokens, vocab.len()));
    if train.tokens == 0 {
        return Err(Error::Input(format!(
            "{}: empty corpus: no {} tokens",
            describe(paths),
            text.tokenizer.kind.name()
        )));
    }
    let sentences = text.tokenizer.sentences == Sentences::Lines;
    // Estimation and writing never query, so the counts need no hash index.
    let spill = memory.spill_dir()?;
    let (budget, why) = memory.budget();
    if memory.memory.is_none() {
        progress.message(&format!("note: n-grams sorted within {} ({why})", crate::memory::size(budget)));
    }
    // The token positions' arrays are held while counting, unless an ARPA build keeps them in files: sorting
    // takes what they leave of the budget.
    let paged = format == Format::Arpa && crate::memory::page_positions(budget, train.ids.len(), progress);
    let held = if paged { 0 } else { train.ids.len() };
    let sorting = crate::memory::sort_within(budget, held, &vocab, progress);
    let limits = shannon_counts::Limits {
        memory: Some(sorting),
        temp_dir: spill.path().to_path_buf(),
        index: false,
        disk: shannon_counts::DiskUse::new(),
    };
    let writing = || format!("writing the model for {}", describe(paths));
    let summary = if format == Format::Arpa {
        // Counts go to disk order by order and the model is estimated and written from there, one order
        // at a time: memory holds the token stream while counting, then only per-order arrays.
        let store_dir = spill.path().join("counts");
        std::fs::create_dir(&store_dir).map_err(|e| Error::io(format!("creating {}", store_dir.display()), e))?;
        let mut store = shannon_counts::store::Store::transient(&store_dir);
        store.tally_in(&limits.disk);
        let ids = std::mem::take(&mut train.ids);
        let (counted, _) = stage(progress, "count", None, Unit::Steps, || {
            crate::memory::count_store(crate::memory::Train::Ids(ids), paged, vocab.len(), order, &limits, &mut store)
        })?;
        counted?;
        drop(train);
        // Estimation's arrays within what the vocabulary leaves of the budget.
        let estimating = budget.saturating_sub(vocab.heap_bytes() as u64);
        let (written, _) = stage(progress, "estimate and write", None, Unit::Steps, || {
            let (preamble, vocab) = crate::model_file::arpa_preamble(Some(&text.tokenizer), &vocab)?;
            write_with(output, progress, |out| {
                std::io::Write::write_all(out, preamble.as_bytes()).map_err(|e| Error::io("writing the model", e))?;
                Ok(shannon_model::streamed::write_arpa(&store, &vocab, smoothing, sentences, Some(estimating), out)?)
            })
        })?;
        written.map_err(|e| e.context(writing()))?
    } else {
        let (counts, _) = stage(progress, "count", None, Unit::Steps, || {
            shannon_counts::count_within(&train.ids, vocab.len(), order, &limits)
        })?;
        let counts = Arc::new(counts?);
        drop((spill, train));
        let (model, _) =
            stage(progress, "estimate", None, Unit::Steps, || Model::estimate(counts, order, smoothing, sentences))?;
        let model = model?;
        let (written, _) = stage(progress, "write", None, Unit::Steps, || {
            write_streaming(output, &model, &vocab, &text.tokenizer, format, progress)
        })?;
        written.map_err(|e| e.context(writing()))?;
        model.summary().clone()
    };
    progress.detail(&crate::memory::disk_note(&limits.disk));
    for d in &summary.discounts {
        if let Some(why) = &d.fallback {
            progress.message(&format!("warning: {why}"));
        }
    }
    Ok(summary)
}

/// A `convert` configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertConfig {
    /// The model file to read (ARPA, plain or compressed, or binary).
    pub input: PathBuf,
    /// The file to write.
    pub output: PathBuf,
    /// Its format.
    pub format: Format,
}

/// Reads the model file and writes it in the configured format; returns the model's order and n-grams per
/// order. Probabilities are kept exactly: an ARPA file converted to binary scores like the ARPA file, and
/// back.
pub fn convert(config: &ConvertConfig, progress: &dyn Progress) -> Result<(usize, Vec<u64>)> {
    let (loaded, _) =
        stage(progress, "load model", None, Unit::Steps, || crate::model_file::load_model(&config.input))?;
    // The tokenizer the input records travels to the output.
    let (vocab, model, tokenizer) = loaded?;
    let (buf, _) =
        stage(progress, "write", None, Unit::Steps, || encode(&model, &vocab, tokenizer.as_ref(), config.format))?;
    let buf = buf?;
    crate::progress::checkpoint(progress)?;
    shannon_report::write_atomic(&config.output, &buf)
        .map_err(|e| Error::from(e).context(format!("writing {}", config.output.display())))?;
    Ok((model.order(), model.summary().ngrams.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;
    use std::sync::Mutex;

    /// Tells another thread each stage as it begins and waits for its go-ahead; cancelled once that
    /// thread says so.
    struct Remote {
        began: Mutex<Option<mpsc::Sender<String>>>,
        go: Mutex<mpsc::Receiver<()>>,
        cancel: AtomicBool,
    }

    impl Progress for Remote {
        fn begin(&self, stage: &str, _total: Option<u64>, _unit: Unit) {
            if let Some(began) = &*self.began.lock().unwrap() {
                let _ = began.send(stage.to_string());
                let _ = self.go.lock().unwrap().recv();
            }
        }
        fn cancelled(&self) -> bool {
            self.cancel.load(Ordering::SeqCst)
        }
    }

    /// Builds a model from a small corpus on another thread, cancelling it from this one when `at` begins.
    fn cancelled_at(at: &str, format: Format) -> (Result<Summary>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("corpus.txt");
        std::fs::write(&corpus, "the cat sat\nthe dog sat\nthe cat ran\n".repeat(20)).unwrap();
        let mut config = BuildConfig::new(
            vec![corpus],
            TextConfig { tokenizer: crate::text::DEFAULT_TOKENIZER, lossy: false },
            dir.path().join("model.out"),
        );
        config.order = 3;
        config.format = format;
        let (began_tx, began) = mpsc::channel();
        let (go, go_rx) = mpsc::channel();
        let remote =
            Remote { began: Mutex::new(Some(began_tx)), go: Mutex::new(go_rx), cancel: AtomicBool::new(false) };
        let result = std::thread::scope(|s| {
            let job = s.spawn(|| {
                let result = run(&config, &remote);
                // Ends the loop below.
                remote.began.lock().unwrap().take();
                result
            });
            for stage in began.iter() {
                if stage == at {
                    remote.cancel.store(true, Ordering::SeqCst);
                }
                go.send(()).unwrap();
            }
            job.join().unwrap()
        });
        (result, dir)
    }

    #[test]
    fn a_build_cancelled_from_another_thread_stops_and_leaves_no_file() {
        for (at, format) in [("count", Format::Arpa), ("estimate and write", Format::Arpa), ("write", Format::Binary)] {
            let (result, dir) = cancelled_at(at, format);
            assert!(matches!(result, Err(Error::Cancelled)), "cancelled during {at}: {:?}", result.map(|_| ()));
            // Neither the model nor a temporary file beside it; only the corpus is left.
            let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(left, ["corpus.txt"], "cancelled during {at}");
        }
        // Never cancelled: the model is written.
        let (result, dir) = cancelled_at("no such stage", Format::Arpa);
        assert!(result.is_ok());
        assert!(dir.path().join("model.out").exists());
    }
}
