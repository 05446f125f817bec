//! The crate's one error type.
//!
//! Counting in memory fails only on a token stream longer than 32-bit positions can count
//! ([`crate::MAX_POSITIONS`]); otherwise only spilling sorted runs to disk (a memory limit) or writing a
//! [`crate::store::Store`] can fail, and each error names the order and the file.

use std::io;
use std::path::PathBuf;

impl Error {
    /// The error with the bound of what counting `positions` positions to `max_order` may need on disk.
    pub(crate) fn bounded(self, positions: usize, max_order: usize) -> Error {
        match self {
            Error::Spill { order, path, source, held, .. } => {
                Error::Spill { order, path, source, held, bound: crate::disk::bound(positions, max_order) }
            }
            e => e,
        }
    }
}

/// Errors counting: a stream too long to count exactly, or spilling to disk.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The token stream has more positions than counting numbers exactly (positions and n-gram ids are 32
    /// bits): counting it would wrap them.
    #[error(
        "the token stream has {positions} positions (tokens and sentence markers), more than the {limit} \
         that counting handles; count a smaller corpus or a part of it"
    )]
    TooManyPositions {
        /// Positions in the stream.
        positions: u64,
        /// The most that can be counted: [`crate::MAX_POSITIONS`].
        limit: u64,
    },
    /// Writing or reading a spill file failed.
    // The cause follows through `source` (the binary prints the chain), so the message does not repeat it.
    #[error(
        "spilling n-grams of order {order} to {} after {} of temporary files; counting may need up to {} \
         there (is --temp-dir writable and large enough?)",
        path.display(),
        crate::disk::size(*held),
        crate::disk::size(*bound)
    )]
    Spill {
        /// The order being counted.
        order: usize,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
        /// Bytes of complete temporary files held when it failed ([`crate::Limits::disk`]).
        held: u64,
        /// The most temporary disk counting the stream can take ([`crate::disk::bound`]).
        bound: u64,
    },
}
