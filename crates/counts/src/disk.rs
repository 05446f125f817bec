//! How much temporary disk counting holds: its spilled runs and stored orders, now and at the most.
//!
//! Temporary disk is the wall after memory (lmplz users report 400 GB of it for a 51 GB corpus), so jobs
//! report their peak. Files are counted when they are complete and until they are removed; as a file is only
//! removed after what is made from it is complete, the largest total seen is the peak.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A tally of temporary files, shared by everything one job writes (cloning shares it).
#[derive(Debug, Clone, Default)]
pub struct DiskUse(Arc<Tally>);

#[derive(Debug, Default)]
struct Tally {
    now: AtomicU64,
    peak: AtomicU64,
    runs: AtomicU64,
}

impl DiskUse {
    /// A new tally, at zero.
    pub fn new() -> DiskUse {
        DiskUse::default()
    }

    /// A complete file of `bytes` bytes now exists.
    pub(crate) fn add(&self, bytes: u64) {
        let now = self.0.now.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.0.peak.fetch_max(now, Ordering::Relaxed);
    }

    /// A file of `bytes` bytes was removed.
    pub(crate) fn remove(&self, bytes: u64) {
        let _ = self.0.now.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| Some(n.saturating_sub(bytes)));
    }

    /// One more sorted run was spilled (memory was full).
    pub(crate) fn spilled_run(&self) {
        self.0.runs.fetch_add(1, Ordering::Relaxed);
    }

    /// The most bytes of temporary files held at once so far.
    pub fn peak_bytes(&self) -> u64 {
        self.0.peak.load(Ordering::Relaxed)
    }

    /// Bytes of temporary files held now.
    pub fn bytes(&self) -> u64 {
        self.0.now.load(Ordering::Relaxed)
    }

    /// Sorted runs spilled to disk so far: none when every order was sorted within the memory budget.
    pub fn spilled_runs(&self) -> u64 {
        self.0.runs.load(Ordering::Relaxed)
    }
}

/// The most temporary disk that counting `positions` positions to `max_order` can take: a store holds at
/// most one n-gram per position and order, 16 bytes each (an 8-byte key, a 4-byte history id and a 4-byte
/// count), and while an order is merged its sorted runs (16 bytes a record, at most one a position) and id
/// maps (4 bytes a position) lie beside it; a token stream kept in a file ([`crate::paged`]) and its ids take 8
/// bytes a position more. Written text repeats itself, so a store is often half this or less; this is what a
/// full disk's error says may be needed.
pub fn bound(positions: usize, max_order: usize) -> u64 {
    positions as u64 * (16 * max_order as u64 + 28)
}

/// `bytes` for a message: in GiB with one decimal from 1 GiB up, else in MiB (KiB below 1 MiB).
pub fn size(bytes: u64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    if bytes as f64 >= GIB {
        format!("{:.1} GiB", bytes as f64 / GIB)
    } else if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes.div_ceil(1 << 10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_is_the_largest_total_held_at_once() {
        let d = DiskUse::new();
        let shared = d.clone();
        d.add(10);
        shared.add(5);
        d.remove(10);
        d.add(7);
        assert_eq!((d.bytes(), d.peak_bytes()), (12, 15));
        d.remove(100);
        assert_eq!((d.bytes(), shared.peak_bytes(), d.spilled_runs()), (0, 15, 0));
        shared.spilled_run();
        assert_eq!(d.spilled_runs(), 1);
    }
}
