//! The crate's one error type.
//!
//! Counting in memory cannot fail; only spilling sorted runs to disk (a memory limit) or writing a
//! [`crate::store::Store`] can, and each error names the order and the file.

use std::io;
use std::path::PathBuf;

/// Errors counting with a memory limit: only spilling to disk can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Writing or reading a spill file failed.
    #[error("spilling n-grams of order {order} to {path}: {source} (is --temp-dir writable and large enough?)")]
    Spill {
        /// The order being counted.
        order: usize,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}
