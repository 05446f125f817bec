//! Per-position arrays kept in temporary files instead of memory: the token stream and the ids counting
//! writes over it. Counting reads and writes them one section of positions at a time, so only that
//! section's pages need be resident: each is handed back once the section is done ([`Paged::release`]),
//! and resident memory stays within the budget however long the stream is (a text of 400 MB of letters
//! has 425 M positions, 3.2 GiB for the two arrays).
//!
//! A file is written whole with ordinary writes before it is mapped, so its blocks are allocated then: a
//! full disk is an error of that write, never a fault of a later store through the map (on file systems that
//! overwrite in place; a copy-on-write one, such as btrfs, may still need new blocks for a store). It is mapped
//! shared, so handing pages back loses nothing (they are the file's, and come back from it when read
//! again), and removed when dropped, its size taken off the [`DiskUse`] tally.

#![allow(unsafe_code)]

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU32;

use crate::DiskUse;

/// An array of `u32` in a temporary file, mapped shared.
#[derive(Debug)]
pub struct Paged {
    // Unmapped before the file is removed (fields drop in order).
    map: memmap2::MmapMut,
    len: usize,
    file: Written,
}

impl Paged {
    /// Writes `values` to a new file at `path` and maps it; tallied in `disk` until dropped.
    pub fn write(path: &Path, values: &[u32], disk: &DiskUse) -> io::Result<Paged> {
        let mut out = Writer::create(path, disk)?;
        out.push(values)?;
        out.finish()
    }

    /// A copy of this array in a new file at `path`, tallied in `disk` until dropped.
    pub fn copy(&self, path: &Path, disk: &DiskUse) -> io::Result<Paged> {
        let mut out = Writer::create(path, disk)?;
        // From the file, not the map: the map's pages would all become resident.
        let copied = io::copy(&mut File::open(&self.file.path)?, &mut out.out)?;
        out.grew(copied);
        out.finish()
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the array is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The values.
    pub fn values(&self) -> &[u32] {
        // SAFETY: the map is page-aligned (so aligned for u32) and at least 4 · len bytes long; its bytes are
        // plain data. Writers go through `atomics`, which callers never use together with this view.
        unsafe { std::slice::from_raw_parts(self.map.as_ptr().cast::<u32>(), self.len) }
    }

    /// The values as atomics, for counting to write ids over them from many threads.
    pub(crate) fn atomics(&self) -> &[AtomicU32] {
        // SAFETY: as in `values`; `AtomicU32` has the size and alignment of `u32`, and every access through
        // this view is atomic.
        unsafe { std::slice::from_raw_parts(self.map.as_ptr().cast::<AtomicU32>(), self.len) }
    }

    /// Hands the resident pages wholly inside values `range` back to the system: their contents stay in
    /// the file, and a later read brings them back.
    pub fn release(&self, range: Range<usize>) {
        const PAGE: usize = 4096;
        let (start, end) = (range.start.min(self.len) * 4, range.end.min(self.len) * 4);
        let (start, end) = (start.next_multiple_of(PAGE), end / PAGE * PAGE);
        if end > start && self.len > 0 {
            // SAFETY: the map is a shared map of a file, so dropping its pages loses nothing, written values
            // included (they are the file's page cache): a later access faults them back in. No reference
            // into the range is invalidated. A failure only leaves the pages resident.
            let _ = unsafe { self.map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start) };
        }
    }
}

/// A [`Paged`] array being written, value by value in order (a token stream as it is tokenized): removed
/// if dropped before [`Writer::finish`].
#[derive(Debug)]
pub struct Writer {
    out: BufWriter<File>,
    file: Written,
}

impl Writer {
    /// A new file at `path`, tallied in `disk` as it grows.
    pub fn create(path: &Path, disk: &DiskUse) -> io::Result<Writer> {
        let file = File::options().read(true).write(true).create_new(true).truncate(false).open(path)?;
        // Removed on drop from here on, also when writing fails half way (a full disk).
        let written = Written { path: path.to_path_buf(), disk: disk.clone(), bytes: 0 };
        Ok(Writer { out: BufWriter::with_capacity(1 << 20, file), file: written })
    }

    /// Appends `values` (in this machine's byte order: the file is this process's own).
    pub fn push(&mut self, values: &[u32]) -> io::Result<()> {
        for part in values.chunks(1 << 14) {
            let bytes: Vec<u8> = part.iter().flat_map(|v| v.to_ne_bytes()).collect();
            self.out.write_all(&bytes)?;
        }
        self.grew(4 * values.len() as u64);
        Ok(())
    }

    fn grew(&mut self, bytes: u64) {
        self.file.bytes += bytes;
        self.file.disk.add(bytes);
    }

    /// The array written, mapped.
    pub fn finish(self) -> io::Result<Paged> {
        let Writer { out, file: written } = self;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        let bytes = written.bytes;
        if file.metadata()?.len() != bytes || bytes % 4 != 0 {
            return Err(io::Error::other(format!("{} is not {bytes} bytes long", written.path.display())));
        }
        let len = (bytes / 4) as usize;
        // An empty file cannot be mapped: map one page's worth of nothing instead.
        let map = if len == 0 {
            memmap2::MmapMut::map_anon(4)?
        } else {
            // SAFETY: the file is this process's own temporary file, created by `create` (`create_new`) in a
            // directory its caller owns; nothing else writes or truncates it while it is mapped.
            unsafe { memmap2::MmapOptions::new().len(bytes as usize).map_mut(&file)? }
        };
        Ok(Paged { map, len, file: written })
    }
}

/// A file being written or mapped: removed when dropped, its size taken off the tally.
#[derive(Debug)]
struct Written {
    path: PathBuf,
    disk: DiskUse,
    bytes: u64,
}

impl Drop for Written {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        self.disk.remove(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn values_survive_release_and_files_go_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let disk = DiskUse::new();
        let values: Vec<u32> = (0..100_000).map(|i| i * 7).collect();
        let a = Paged::write(&dir.path().join("a"), &values, &disk).unwrap();
        assert_eq!(a.values(), &values[..]);
        let b = a.copy(&dir.path().join("b"), &disk).unwrap();
        assert_eq!(disk.bytes(), 800_000);
        b.atomics()[5000].store(1, Ordering::Relaxed);
        b.release(0..b.len());
        a.release(10..90_000);
        assert_eq!(b.atomics()[5000].load(Ordering::Relaxed), 1, "a written value outlives its page's release");
        assert_eq!(a.values(), &values[..]);
        drop((a, b));
        assert_eq!((disk.bytes(), disk.peak_bytes()), (0, 800_000));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let empty = Paged::write(&dir.path().join("e"), &[], &disk).unwrap();
        assert!(empty.values().is_empty() && empty.atomics().is_empty());
        empty.release(0..10);
    }
}
