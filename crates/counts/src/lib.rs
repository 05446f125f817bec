//! Counts: the third stage of shannon's data path.
//!
//! **In:** a token-id stream from `shannon-tokens` (with `<s>`/`</s>` markers when sentences are lines),
//! the vocabulary size and a maximum order N (any N up to [`MAX_ORDER`]); optionally [`Limits`] on the
//! memory counting may use and a directory to spill sorted runs to.
//! **Out:** [`Counts`]: for every order 1..=N the distinct n-grams with their counts, each n-gram stored as
//! a left extension of its suffix — `(id of w2..wn, w1)` — together with the id of its history
//! `w1..w(n-1)`. That one layout answers everything the estimators ask with array indexing:
//! the lower-order n-gram to interpolate with is the suffix, continuation counts (distinct left
//! extensions) are the number of n-grams sharing a suffix, and follower statistics group by history.
//!
//! N-grams never cross a sentence boundary and never end in `<s>`; they may start with it.
//!
//! Invariants: n-gram ids of order n ≥ 2 are the ranks of their keys in sorted order, so counts are
//! identical — bit for bit — for any number of threads and any memory limit. [`count_serial`] (one hash map,
//! then a sort) is the oracle the tests compare against.
//!
//! ## How counting works (see [`count_within`])
//! Order n is counted from the ids of order n − 1 at every position: the key of the n-gram ending at
//! position i is `(id of the (n−1)-gram ending at i) << 32 | w(i−n+1)`. Because suffix ids are ranks of
//! sorted keys, splitting positions into buckets by *ranges* of suffix id splits the key space into
//! ranges too: each bucket is sorted on its own (small, cache-resident radix sorts, in parallel) and the
//! buckets' distinct keys, concatenated in bucket order, are globally sorted — no merge. The buckets are
//! consecutive in a few large arrays of 8-byte entries (key within the bucket, position), each part of
//! the stream writing straight into its own pieces of them. Walking the sorted buckets writes the order's
//! columns and frees each array once walked; where order n + 1 follows, each position's new id, its input,
//! is written once every history has been read, over the id of the order below (one per-position array,
//! not two: 4 bytes a position less). For an order of T positions and D distinct n-grams the working set
//! is therefore at most 8 bytes × T (entries) and 20 × D (columns), besides the stream and the
//! per-position ids.
//!
//! With a memory limit, positions are taken in sections that fit it; each section's sorted distinct
//! n-grams (a *run*) is written to a temporary file, and the runs are merged (external sort), which also
//! gives each section's local → global id map. Spill files live in a directory the caller owns and are
//! removed as soon as an order is merged, on success and on error. A stream too long to hold beside the
//! sorting memory can be counted from a file ([`count_paged_to_store`], [`paged::Paged`]): its ids go to a
//! file too, and each section's pages of both are handed back once the section is counted.
//!
//! ## Modules
//! `types`: what counting produces ([`Order`], [`Counts`], [`Followers`], [`count_of_counts`]);
//! `count`: the entry points, [`Limits`] and the driver that counts order after order; `sort`: the
//! in-memory bucket and radix sort of one section; `spill`: runs written past the memory limit and their
//! k-way merge; [`paged`]: per-position arrays in files; [`radix`]: the LSD radix sort (`shannon-eval` sorts its packed block keys with it too);
//! `serial`: the oracle; `error`: [`Error`]; [`store`]: counts on disk. Everything else public is
//! re-exported here, so callers name `shannon_counts::count`, never a module.

mod count;
pub mod disk;
mod error;
pub mod paged;
pub mod radix;
mod serial;
mod sort;
mod spill;
pub mod store;
mod types;

pub use count::{count, count_paged_to_store, count_to_store, count_within, Limits, MAX_POSITIONS};
pub use disk::DiskUse;
pub use error::Error;
pub use serial::count_serial;
pub use types::{count_of_counts, key, Counts, Followers, Order, MAX_ORDER, NONE};
