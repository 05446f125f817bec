//! The jobs' errors: one enum whose variants carry the file, setting or value concerned. The binary
//! prints an error with its sources (`{:#}` through anyhow), so each variant's own message is only its
//! context and the cause follows it once.

use std::path::PathBuf;

/// A setting outside what a job accepts: `setting` is its name as in a batch plan (`max_order`), which is
/// the command-line flag with `_` for `-`; `problem` completes the sentence ("must be an integer from 1 to
/// 255, got 0").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting} {problem}")]
pub struct ConfigError {
    /// The setting's name in a plan.
    pub setting: &'static str,
    /// What is wrong with its value.
    pub problem: String,
}

impl ConfigError {
    /// An error for `setting`.
    pub fn new(setting: &'static str, problem: impl Into<String>) -> ConfigError {
        ConfigError { setting, problem: problem.into() }
    }

    /// The setting's command-line flag: `--max-order`.
    pub fn flag(&self) -> String {
        format!("--{}", self.setting.replace('_', "-"))
    }

    /// The message as the command line says it: `--max-order must be …`.
    pub fn as_flag(&self) -> String {
        format!("{} {}", self.flag(), self.problem)
    }
}

/// Why a job failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting outside what the job accepts.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Reading a corpus (missing file, invalid UTF-8, binary data, a broken compressed stream, …).
    #[error(transparent)]
    Corpus(#[from] shannon_corpus::Error),
    /// Tokenizing text: reading it, or a literal `<s>` or `</s>` in it (the file, line and byte).
    #[error(transparent)]
    Tokens(#[from] shannon_tokens::Error),
    /// Counting (a spill file that cannot be written or read back).
    #[error(transparent)]
    Counts(#[from] shannon_counts::Error),
    /// Estimating a model.
    #[error(transparent)]
    Model(#[from] shannon_model::Error),
    /// Reading or writing ARPA text.
    #[error(transparent)]
    Arpa(#[from] shannon_model::arpa::Error),
    /// Reading or writing shannon's binary model format.
    #[error(transparent)]
    Binary(#[from] shannon_model::binary::Error),
    /// Building, writing or opening a suffix-array index.
    #[error(transparent)]
    Index(#[from] shannon_index::Error),
    /// Writing a report or another output atomically.
    #[error(transparent)]
    Report(#[from] shannon_report::Error),
    /// A generated source's parameters.
    #[error(transparent)]
    Source(#[from] shannon_source::SourceError),
    /// A model file that could not be read: the path, and how it was decompressed.
    #[error("{file}")]
    ModelFile {
        /// `path` or `path (decompressed xz)`.
        file: String,
        /// Why.
        #[source]
        source: Box<Error>,
    },
    /// A file system operation: what was being done, with the path.
    #[error("{what}")]
    Io {
        /// What was being done: "cannot read X", "creating a spill directory in X".
        what: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The input cannot give what the job needs: an empty corpus, a test set without tokens, two
    /// inputs of different kinds. The message names the files.
    #[error("{0}")]
    Input(String),
    /// A batch plan that cannot run: the plan file and what is wrong.
    #[error("{}: {what}", plan.display())]
    Plan {
        /// The plan file.
        plan: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// The caller asked for the job to stop ([`crate::Progress::cancelled`]); nothing was written.
    #[error("cancelled")]
    Cancelled,
    /// A failure with what was being done when it happened.
    #[error("{context}")]
    Context {
        /// What was being done ("writing the model for corpus.txt").
        context: String,
        /// The failure.
        #[source]
        source: Box<Error>,
    },
}

/// A job's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// This error with what was being done in front of it. A stop the caller asked for stays
    /// [`Error::Cancelled`], so that the caller can tell it from a failure.
    pub fn context(self, context: impl Into<String>) -> Error {
        match self {
            Error::Cancelled => Error::Cancelled,
            other => Error::Context { context: context.into(), source: Box::new(other) },
        }
    }

    /// An I/O error with what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io { what: what.into(), source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_reads_the_same_as_a_flag_and_as_a_plan_key() {
        let e = ConfigError::new("max_order", "must be an integer from 1 to 255, got 0");
        assert_eq!(e.to_string(), "max_order must be an integer from 1 to 255, got 0");
        assert_eq!(e.as_flag(), "--max-order must be an integer from 1 to 255, got 0");
    }

    #[test]
    fn context_comes_before_its_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = Error::io("cannot read a.txt", io).context("writing the model for a.txt");
        assert_eq!(e.to_string(), "writing the model for a.txt");
        let cause = std::error::Error::source(&e).unwrap();
        assert_eq!(cause.to_string(), "cannot read a.txt");
        assert_eq!(cause.source().unwrap().to_string(), "gone");
    }
}
