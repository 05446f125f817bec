//! The `shannon` binary's library half: validated configuration and the stages joined together.
//!
//! Only this crate (and the benches) join stages. `main.rs` parses arguments into the configurations
//! here, prints and exits; everything here returns values and `anyhow` errors with context that names
//! the file or flag concerned.

pub mod batch;
pub mod build;
pub mod cleanup;
pub mod compare;
pub mod default_corpus;
pub mod direct;
pub mod entropy;
pub mod inputs;
pub mod kl;
pub mod pipeline;
pub mod progress;
pub mod render;
pub mod sample;
pub mod score;
pub mod tune;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use shannon_corpus::Corpus;
use shannon_tokens::Tokenizer;

/// A smoothing method as asked for on the command line: a fixed method, or add-k with its pseudo-count
/// tuned on held-out data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// A method with all parameters given.
    Fixed(shannon_model::Smoothing),
    /// `add-k:auto`: additive smoothing with k chosen by [`tune`].
    AddKAuto,
}

impl Method {
    /// Parses `add-k:auto` or any name [`shannon_model::Smoothing::parse`] accepts.
    pub fn parse(s: &str) -> Result<Method, shannon_model::Error> {
        if s == "add-k:auto" {
            Ok(Method::AddKAuto)
        } else {
            shannon_model::Smoothing::parse(s).map(Method::Fixed)
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Method::Fixed(s) => write!(f, "{s}"),
            Method::AddKAuto => write!(f, "add-k:auto"),
        }
    }
}

/// How text becomes tokens, and what to do with invalid UTF-8.
#[derive(Debug, Clone, Copy)]
pub struct TextConfig {
    /// The tokenizer.
    pub tokenizer: Tokenizer,
    /// Replace invalid UTF-8 instead of stopping.
    pub lossy: bool,
}

/// Where training and test text come from.
#[derive(Debug, Clone)]
pub enum Inputs {
    /// The built-in generated corpus, with the default holdout.
    Default,
    /// One corpus; the last `holdout` fraction of its lines is the test set.
    Holdout {
        /// Files and directories.
        corpus: Vec<PathBuf>,
        /// Fraction in (0, 1).
        holdout: f64,
    },
    /// Separate training and test files.
    Files {
        /// Training files and directories.
        train: Vec<PathBuf>,
        /// Test files and directories.
        test: Vec<PathBuf>,
    },
}

/// The provenance of a corpus for reports: each source's path, size and SHA-256.
pub fn inputs(corpus: &Corpus) -> Vec<shannon_report::Input> {
    corpus
        .sources()
        .iter()
        .map(|s| shannon_report::Input {
            path: s.path().display().to_string(),
            bytes: s.as_ref().len() as u64,
            sha256: s.sha256(),
        })
        .collect()
}

/// Opens files and directories as one corpus.
pub fn open(paths: &[PathBuf]) -> Result<Corpus> {
    Ok(Corpus::open(paths)?)
}

/// Where a report goes: `output` if given, else `reports/<stem>.json` (creating `reports/`).
pub fn report_path(output: Option<&Path>, stem: &str) -> Result<PathBuf> {
    match output {
        Some(p) => Ok(p.to_path_buf()),
        None => {
            std::fs::create_dir_all("reports").context("cannot create directory reports")?;
            Ok(PathBuf::from(format!("reports/{stem}.json")))
        }
    }
}

/// Checks, before any work, that a file can be created at `path`: its directory must exist.
pub fn check_output(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if path.is_dir() {
        bail!("cannot write {}: it is a directory (give a file name)", path.display());
    }
    if !dir.is_dir() {
        if dir.exists() {
            bail!("cannot write {}: {} is not a directory", path.display(), dir.display());
        }
        bail!("cannot write {}: directory {} does not exist", path.display(), dir.display());
    }
    let probe = tempfile::Builder::new().prefix(".shannon-probe-").tempfile_in(dir);
    probe.with_context(|| format!("cannot write {}: directory {} is not writable", path.display(), dir.display()))?;
    Ok(())
}

/// A short name for a corpus: the file stem of its first path.
pub fn corpus_name(paths: &[PathBuf]) -> String {
    paths
        .first()
        .map(|p| if p.as_os_str() == "-" { Path::new("stdin") } else { p.as_path() })
        .and_then(|p| p.file_stem().or_else(|| p.file_name()))
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "corpus".into())
}

/// Describes paths for messages: `a.txt` or `a.txt, b.txt`.
pub fn describe(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// A size as `--memory` and `--bytes` take it: bytes, or with a K, M or G suffix (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let (digits, mult) = match s.char_indices().last() {
        Some((i, 'K' | 'k')) => (&s[..i], 1u64 << 10),
        Some((i, 'M' | 'm')) => (&s[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    digits.parse::<u64>().map(|n| n * mult).map_err(|_| format!("expected a size like 400M, got '{s}'"))
}
