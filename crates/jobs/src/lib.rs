//! Jobs: every shannon command as a library call — the one place where the stages are joined.
//!
//! **In:** one configuration per job ([`compare::CompareConfig`], [`build::BuildConfig`],
//! [`score::ScoreConfig`], [`entropy::EntropyConfig`], [`kl::KlConfig`], [`batch::BatchConfig`],
//! [`sample::SampleJob`], [`prune::PruneConfig`], [`generate::GenerateConfig`], [`build::ConvertConfig`],
//! [`index::IndexConfig`], [`code::CodeConfig`]),
//! made with its defaults by `new` and checked by its `validate`, the only place where a limit or a
//! default of that job is written. The command line's flags and a batch plan's entries both become these
//! configurations, so both give the same errors.
//! **Out:** a typed report (`shannon_report`), or for `build`, `convert` and `prune` a model file written
//! atomically. Nothing here prints, reads the environment or exits: progress, warnings and details reach
//! the caller through [`Progress`], and failures are [`Error`]s that name the file, setting or value.
//!
//! The binary (`shannon`), the benchmarks and, later, the Python package and cluster workers call these
//! functions; each runs on the caller's rayon pool, and its results are identical for any thread count.

pub mod batch;
pub mod build;
pub mod cleanup;
pub mod code;
pub mod compare;
pub mod default_corpus;
pub mod direct;
pub mod documents;
pub mod entropy;
mod error;
mod fallbacks;
pub mod filter;
pub mod generate;
pub mod index;
pub mod kl;
pub mod memory;
pub mod model_file;
pub mod output;
pub mod progress;
pub mod prune;
pub mod sample;
pub mod score;
pub mod text;

pub use error::{ConfigError, Error, Result};
pub use progress::{Progress, Silent, Unit};
pub use shannon_corpus::documents::Options as DocumentOptions;
pub use text::{Inputs, Method, TextConfig};

/// The tool's name and version, as every report records them.
pub fn tool() -> shannon_report::Tool {
    shannon_report::Tool { name: "shannon".into(), version: env!("CARGO_PKG_VERSION").into() }
}
