//! Counts on disk: each order's columns in their own files, read back in blocks.
//!
//! A model of order 5 over a few hundred megabytes of text has hundreds of millions of n-grams; holding all
//! of them in memory (20 bytes each in an [`Order`]) is what bounded a build's size by the machine's RAM.
//! [`Store`] keeps every order counted so far on disk instead — written once, as soon as the order is
//! counted ([`crate::count_to_store`]) — and the estimator streams through them, so a build holds only the
//! per-history arrays it is working on.
//!
//! Files, little-endian, one per column and order, in a directory the caller owns:
//! `order{n}.ngrams` (`first`, `suffix` as `u32` pairs: the key, in id order), `order{n}.history` (`u32`),
//! `order{n}.count` (`u32` when no count can reach 2³² — fewer positions counted than that, see
//! [`Store::bound_counts`] — else `u64`). Ids are positions in these files, exactly as in [`Order`].
//!
//! Every byte written here is written and read back once per build, and on a small machine copying pages
//! through the page cache costs more than the arithmetic around it: counts are narrowed to 4 bytes
//! whenever they fit, so an n-gram costs 16 bytes on disk rather than 20.
//!
//! Portability: [`Reader::get`] reads at an offset without moving the reader's cursor — `pread` on Unix,
//! otherwise (and with the `portable` feature, which tests that path on Unix) a seek and a read on a second
//! handle of the reader's own, or `seek_read` on Windows.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::Order;

/// A column of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `(first, suffix)` pairs.
    Ngrams,
    /// History ids.
    History,
    /// Raw counts.
    Count,
}

impl Column {
    fn file(self, n: usize) -> String {
        match self {
            Column::Ngrams => format!("order{n}.ngrams"),
            Column::History => format!("order{n}.history"),
            Column::Count => format!("order{n}.count"),
        }
    }
}

/// Orders written to a directory, with their sizes.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    /// `lens[n - 1]`: number of n-grams of order n.
    lens: Vec<usize>,
    /// Whether readers may remove columns they are done with ([`Store::done_with`]).
    transient: bool,
    /// Bytes per stored count: 4 or 8.
    count_size: usize,
    /// Where the bytes of its files are tallied.
    disk: crate::DiskUse,
}

/// A value stored in a column.
pub trait Value: Copy + Default + Send {
    /// Bytes per value.
    const SIZE: usize;
    /// Decodes one value from its stored bytes: exactly [`Value::SIZE`] of them, or for a `u64`, 4 of them
    /// when it is a narrowed count.
    fn decode(bytes: &[u8]) -> Self;
}

impl Value for u32 {
    const SIZE: usize = 4;
    fn decode(b: &[u8]) -> u32 {
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }
}

impl Value for u64 {
    const SIZE: usize = 8;
    #[inline]
    fn decode(b: &[u8]) -> u64 {
        match b.len() {
            4 => u64::from(u32::decode(b)),
            _ => u64::from_le_bytes(b.try_into().expect("8 bytes")),
        }
    }
}

impl Value for f64 {
    const SIZE: usize = 8;
    fn decode(b: &[u8]) -> f64 {
        f64::from_le_bytes(b.try_into().expect("8 bytes"))
    }
}

/// A key as stored: `(first, suffix)`.
impl Value for (u32, u32) {
    const SIZE: usize = 8;
    fn decode(b: &[u8]) -> (u32, u32) {
        (u32::decode(&b[..4]), u32::decode(&b[4..]))
    }
}

impl Store {
    /// An empty store writing into `dir` (which must exist).
    pub fn new(dir: &Path) -> Store {
        Store { dir: dir.to_path_buf(), lens: Vec::new(), transient: false, count_size: 8, disk: Default::default() }
    }

    /// Tallies the store's files in `disk` (with the spilled runs of the same job, say).
    pub fn tally_in(&mut self, disk: &crate::DiskUse) {
        self.disk = disk.clone();
    }

    /// Bytes per value of `column`.
    fn width(&self, column: Column) -> usize {
        match column {
            Column::Ngrams => 8,
            Column::History => 4,
            Column::Count => self.count_size,
        }
    }

    /// Says that no count stored will exceed `max` (the number of positions counted bounds every count), so
    /// counts are stored in 4 bytes when `max` fits. Must come before the first order.
    pub fn bound_counts(&mut self, max: u64) {
        assert!(self.lens.is_empty(), "the count width is set before any order is stored");
        self.count_size = if max <= u64::from(u32::MAX) { 4 } else { 8 };
    }

    /// An empty store whose columns are read once, in order: [`Store::done_with`] removes them. A column
    /// removed soon after it is written is never written back to the disk at all — the page cache drops it —
    /// and it stops competing for memory with what is still needed.
    pub fn transient(dir: &Path) -> Store {
        Store { transient: true, ..Store::new(dir) }
    }

    /// Says that `column` of order `n` will not be read again; a [transient](Store::transient) store removes
    /// its file.
    pub fn done_with(&self, n: usize, column: Column) -> io::Result<()> {
        if self.transient {
            std::fs::remove_file(self.path(n, column))?;
            self.disk.remove((self.len(n) * self.width(column)) as u64);
        }
        Ok(())
    }

    /// Appends the next order (orders must come 1, 2, 3, …). Errors name the file.
    pub fn push(&mut self, order: &Order) -> Result<(), (PathBuf, io::Error)> {
        assert_eq!(order.n, self.lens.len() + 1, "orders are stored in sequence");
        let n = order.n;
        let size = self.count_size;
        if size < 8 {
            order.count.iter().try_for_each(|&c| fits(c, size)).map_err(|e| (self.path(n, Column::Count), e))?;
        }
        // Keys are encoded straight from the two columns: a zipped copy would cost 8 bytes per n-gram at the
        // moment counting's memory peaks. Copying into the page cache is most of the cost, and files are
        // written one writer at a time, so the keys (8 bytes an n-gram) go on one thread while histories and
        // counts (4 + 4) go on another.
        let (keys, rest) = rayon::join(
            || {
                self.write(n, Column::Ngrams, order.len(), 8, |i, out| {
                    out[..4].copy_from_slice(&order.first[i].to_le_bytes());
                    out[4..].copy_from_slice(&order.suffix[i].to_le_bytes());
                })
            },
            || {
                self.write(n, Column::History, order.len(), 4, |i, out| {
                    out.copy_from_slice(&order.history[i].to_le_bytes())
                })?;
                self.write(n, Column::Count, order.len(), size, |i, out| {
                    out.copy_from_slice(&order.count[i].to_le_bytes()[..size])
                })
            },
        );
        keys?;
        rest?;
        self.lens.push(order.len());
        Ok(())
    }

    /// Writes `len` values of `size` bytes, value `i` encoded by `encode(i, bytes)`.
    fn write(
        &self,
        n: usize,
        column: Column,
        len: usize,
        size: usize,
        encode: impl Fn(usize, &mut [u8]) + Sync,
    ) -> Result<(), (PathBuf, io::Error)> {
        const BLOCK: usize = 1 << 14;
        let path = self.path(n, column);
        let mut out = File::create(&path).map_err(|e| (path.clone(), e))?;
        let mut buf = vec![0u8; size * BLOCK];
        for start in (0..len).step_by(BLOCK) {
            let end = (start + BLOCK).min(len);
            for (i, b) in (start..end).zip(buf.chunks_exact_mut(size)) {
                encode(i, b);
            }
            out.write_all(&buf[..(end - start) * size]).map_err(|e| (path.clone(), e))?;
        }
        self.disk.add((len * size) as u64);
        Ok(())
    }

    /// A writer appending the next order n-gram by n-gram, in id order (for orders merged from spilled runs,
    /// which are never in memory whole).
    pub fn writer(&mut self, n: usize) -> Result<OrderWriter<'_>, (PathBuf, io::Error)> {
        assert_eq!(n, self.lens.len() + 1, "orders are stored in sequence");
        let open = |column: Column| {
            let path = self.path(n, column);
            File::create(&path).map(|f| (BufWriter::with_capacity(1 << 16, f), path.clone())).map_err(|e| (path, e))
        };
        let (ngrams, history, count) = (open(Column::Ngrams)?, open(Column::History)?, open(Column::Count)?);
        let count_size = self.count_size;
        Ok(OrderWriter { store: self, ngrams, history, count, count_size, len: 0 })
    }

    /// The file of `column` of order `n`.
    pub fn path(&self, n: usize, column: Column) -> PathBuf {
        self.dir.join(column.file(n))
    }

    /// The highest order stored.
    pub fn max_order(&self) -> usize {
        self.lens.len()
    }

    /// Number of n-grams of order `n`.
    pub fn len(&self, n: usize) -> usize {
        self.lens[n - 1]
    }

    /// A reader of `column` of order `n` starting at id `from`.
    pub fn reader<T: Value>(&self, n: usize, column: Column, from: usize) -> io::Result<Reader<T>> {
        let size = if column == Column::Count { self.count_size } else { T::SIZE };
        assert!(size <= T::SIZE, "{column:?} is read as values of {size} bytes or more");
        Reader::open(&self.path(n, column), from, size)
    }

    /// A writer of a scratch file `name` beside the columns: values an estimation computes per id and
    /// cannot hold in memory. Tallied with the store's files; removed when the [`Scratch`] is dropped.
    pub fn scratch(&self, name: &str) -> io::Result<ScratchWriter> {
        let path = self.dir.join(name);
        let file = File::create(&path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        Ok(ScratchWriter { out: BufWriter::with_capacity(1 << 16, file), path, len: 0, disk: self.disk.clone() })
    }

    /// The whole column, in memory.
    pub fn load<T: Value>(&self, n: usize, column: Column) -> io::Result<Vec<T>> {
        let mut r = self.reader::<T>(n, column, 0)?;
        let mut out = Vec::with_capacity(self.len(n));
        while let Some(block) = r.block(1 << 16)? {
            out.extend_from_slice(block);
        }
        Ok(out)
    }
}

/// Appends one order to a [`Store`] n-gram by n-gram; [`OrderWriter::finish`] makes it part of the store.
#[derive(Debug)]
pub struct OrderWriter<'s> {
    store: &'s mut Store,
    ngrams: (BufWriter<File>, PathBuf),
    history: (BufWriter<File>, PathBuf),
    count: (BufWriter<File>, PathBuf),
    count_size: usize,
    len: usize,
}

impl OrderWriter<'_> {
    /// Appends the next n-gram (ids are given in order).
    pub fn push(&mut self, first: u32, suffix: u32, history: u32, count: u64) -> Result<(), (PathBuf, io::Error)> {
        let mut key = [0u8; 8];
        key[..4].copy_from_slice(&first.to_le_bytes());
        key[4..].copy_from_slice(&suffix.to_le_bytes());
        put(&mut self.ngrams, &key)?;
        put(&mut self.history, &history.to_le_bytes())?;
        fits(count, self.count_size).map_err(|e| (self.count.1.clone(), e))?;
        put(&mut self.count, &count.to_le_bytes()[..self.count_size])?;
        self.len += 1;
        Ok(())
    }

    /// Flushes the files and adds the order to the store.
    pub fn finish(mut self) -> Result<(), (PathBuf, io::Error)> {
        for (w, path) in [&mut self.ngrams, &mut self.history, &mut self.count] {
            w.flush().map_err(|e| (path.clone(), e))?;
        }
        self.store.lens.push(self.len);
        self.store.disk.add((self.len * (8 + 4 + self.count_size)) as u64);
        Ok(())
    }
}

/// Appends `f64` values to a scratch file ([`Store::scratch`]).
#[derive(Debug)]
pub struct ScratchWriter {
    out: BufWriter<File>,
    path: PathBuf,
    len: usize,
    disk: crate::DiskUse,
}

impl ScratchWriter {
    /// Appends `values`.
    pub fn push(&mut self, values: &[f64]) -> io::Result<()> {
        let mut bytes = [0u8; 8 * 512];
        for chunk in values.chunks(512) {
            for (b, v) in bytes.chunks_exact_mut(8).zip(chunk) {
                b.copy_from_slice(&v.to_le_bytes());
            }
            self.out.write_all(&bytes[..8 * chunk.len()]).map_err(|e| named(&self.path, e))?;
        }
        self.len += values.len();
        Ok(())
    }

    /// Flushes the file: its values can be read.
    pub fn finish(mut self) -> io::Result<Scratch> {
        self.out.flush().map_err(|e| named(&self.path, e))?;
        let bytes = (self.len * 8) as u64;
        self.disk.add(bytes);
        Ok(Scratch { path: std::mem::take(&mut self.path), len: self.len, bytes, disk: self.disk.clone() })
    }
}

/// A complete scratch file of `f64` values, removed when dropped.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
    len: usize,
    bytes: u64,
    disk: crate::DiskUse,
}

impl Scratch {
    /// Number of values.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no value.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A reader starting at value `from`.
    pub fn reader(&self, from: usize) -> io::Result<Reader<f64>> {
        Reader::open(&self.path, from, 8).map_err(|e| named(&self.path, e))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::fs::remove_file(&self.path).is_ok() {
            self.disk.remove(self.bytes);
        }
    }
}

/// `e` with the file's path in its message.
fn named(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Checks that `count` fits in `size` bytes.
fn fits(count: u64, size: usize) -> io::Result<()> {
    if size == 8 || count <= u64::from(u32::MAX) {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::InvalidData, format!("count {count} exceeds the bound the store was given")))
    }
}

fn put((w, path): &mut (BufWriter<File>, PathBuf), bytes: &[u8]) -> Result<(), (PathBuf, io::Error)> {
    w.write_all(bytes).map_err(|e| (path.clone(), e))
}

/// Sequential reader of one column, in blocks, that can jump ahead. Reads the file in chunks of
/// [`READ_BYTES`], whatever the blocks asked for, so small blocks cost no system call each.
#[derive(Debug)]
pub struct Reader<T> {
    file: File,
    path: PathBuf,
    /// The id of the next value to read.
    at: usize,
    /// Bytes per stored value.
    size: usize,
    /// Bytes read from the file and not yet decoded: `bytes[used..]`.
    bytes: Vec<u8>,
    used: usize,
    values: Vec<T>,
    /// Reads at an offset for [`Reader::get`].
    at_offset: positioned::Positioned,
}

/// Bytes a [`Reader`] reads from its file at a time.
const READ_BYTES: usize = 1 << 16;

impl<T: Value> Reader<T> {
    fn open(path: &Path, from: usize, size: usize) -> io::Result<Reader<T>> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start((from * size) as u64))?;
        Ok(Reader {
            file,
            path: path.to_path_buf(),
            at: from,
            size,
            bytes: Vec::new(),
            used: 0,
            values: Vec::new(),
            at_offset: positioned::Positioned::new(),
        })
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The id of the next value.
    pub fn position(&self) -> usize {
        self.at
    }

    /// Moves to id `to` (forward or back).
    pub fn seek(&mut self, to: usize) -> io::Result<()> {
        self.file.seek(SeekFrom::Start((to * self.size) as u64))?;
        self.bytes.clear();
        self.used = 0;
        self.at = to;
        Ok(())
    }

    /// The value of id `id`, read on its own (for searches; the reader's position does not move).
    pub fn get(&self, id: usize) -> io::Result<T> {
        let mut bytes = [0u8; 8];
        let bytes = &mut bytes[..self.size];
        self.at_offset.read_exact_at(&self.file, &self.path, bytes, (id * self.size) as u64)?;
        Ok(T::decode(bytes))
    }

    /// The next values, at most `max`; `None` at the end of the column.
    pub fn block(&mut self, max: usize) -> io::Result<Option<&[T]>> {
        let want = max * self.size;
        if self.bytes.len() - self.used < want {
            // Keep the undecoded tail and read at least a chunk more.
            self.bytes.drain(..self.used);
            self.used = 0;
            let more = (want - self.bytes.len()).max(READ_BYTES);
            (&mut self.file).take(more as u64).read_to_end(&mut self.bytes)?;
        }
        let available = (self.bytes.len() - self.used).min(want);
        if available == 0 {
            return Ok(None);
        }
        if !available.is_multiple_of(self.size) {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("{}: truncated", self.path.display())));
        }
        self.values.clear();
        self.values.extend(self.bytes[self.used..self.used + available].chunks_exact(self.size).map(T::decode));
        self.used += available;
        self.at += self.values.len();
        Ok(Some(&self.values))
    }

    /// Exactly the next `len` values (fewer only at the end of the column).
    pub fn take(&mut self, len: usize) -> io::Result<&[T]> {
        Ok(self.block(len)?.unwrap_or(&[]))
    }
}

/// Reads at an offset that leave a reader's sequential cursor where it is.
#[cfg(all(unix, not(feature = "portable")))]
mod positioned {
    use std::fs::File;
    use std::io;
    use std::path::Path;

    /// `pread` on the reader's own file: nothing to keep.
    #[derive(Debug)]
    pub(super) struct Positioned;

    impl Positioned {
        pub(super) fn new() -> Positioned {
            Positioned
        }

        /// Fills `buf` from `offset` of `file`.
        pub(super) fn read_exact_at(&self, file: &File, _: &Path, buf: &mut [u8], offset: u64) -> io::Result<()> {
            std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
        }
    }
}

/// Reads at an offset that leave a reader's sequential cursor where it is: where there is no `pread` (or
/// the `portable` feature asks for this path), through a second handle of the file, opened on first use,
/// whose cursor only these reads move.
#[cfg(not(all(unix, not(feature = "portable"))))]
mod positioned {
    use std::fs::File;
    use std::io;
    use std::path::Path;
    use std::sync::Mutex;

    /// The reader's second handle, once opened.
    #[derive(Debug)]
    pub(super) struct Positioned(Mutex<Option<File>>);

    impl Positioned {
        pub(super) fn new() -> Positioned {
            Positioned(Mutex::new(None))
        }

        /// Fills `buf` from `offset` of the file at `path` (`file` is the reader's, whose cursor must not
        /// move).
        pub(super) fn read_exact_at(&self, _: &File, path: &Path, buf: &mut [u8], offset: u64) -> io::Result<()> {
            let mut own = self.0.lock().unwrap_or_else(|e| e.into_inner());
            let own = match &mut *own {
                Some(f) => f,
                none => none.insert(File::open(path)?),
            };
            read_at(own, buf, offset)
        }
    }

    /// `seek_read` until `buf` is full (it may read less than asked, like `read`).
    #[cfg(all(windows, not(feature = "portable")))]
    fn read_at(file: &mut File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
        use std::os::windows::fs::FileExt;
        while !buf.is_empty() {
            match file.seek_read(buf, offset) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(k) => {
                    buf = &mut buf[k..];
                    offset += k as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// A seek, then a read: the handle is this module's alone, so nothing else sees its cursor move.
    #[cfg(not(all(windows, not(feature = "portable"))))]
    fn read_at(file: &mut File, buf: &mut [u8], offset: u64) -> io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_read_back_column_by_column() {
        let tokens = [1u32, 3, 4, 5, 3, 4, 2, 1, 3, 4, 5, 2];
        let counts = crate::count(&tokens, 6, 3);
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::new(dir.path());
        for o in &counts.orders[..2] {
            store.push(o).unwrap();
        }
        // The last order n-gram by n-gram, as merges write it.
        let o = &counts.orders[2];
        let mut w = store.writer(3).unwrap();
        for i in 0..o.len() {
            w.push(o.first[i], o.suffix[i], o.history[i], o.count[i]).unwrap();
        }
        w.finish().unwrap();
        for (k, o) in counts.orders.iter().enumerate() {
            let n = k + 1;
            assert_eq!(store.len(n), o.len());
            let keys: Vec<(u32, u32)> = store.load(n, Column::Ngrams).unwrap();
            assert_eq!(keys, o.first.iter().copied().zip(o.suffix.iter().copied()).collect::<Vec<_>>());
            assert_eq!(store.load::<u32>(n, Column::History).unwrap(), o.history);
            assert_eq!(store.load::<u64>(n, Column::Count).unwrap(), o.count);
            // Jumping to an id reads from there; a single value reads on its own.
            let mut r = store.reader::<u64>(n, Column::Count, 0).unwrap();
            assert_eq!(r.get(o.len() / 2).unwrap(), o.count[o.len() / 2]);
            r.seek(o.len() - 1).unwrap();
            assert_eq!(r.take(5).unwrap(), &o.count[o.len() - 1..]);
            assert!(r.block(5).unwrap().is_none());
        }
    }

    #[test]
    fn values_read_on_their_own_leave_the_sequential_reader_where_it_was() {
        // More than one chunk of the reader (`READ_BYTES`), so the sequential reads go back to the file
        // after the single ones: with `pread`, or a handle of the reader's own (the `portable` feature).
        let counts: Vec<u64> = (0..3 * READ_BYTES as u64 / 8).map(|i| i * 7 + 1).collect();
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::new(dir.path());
        store.push(&Order::unigrams(counts.clone())).unwrap();
        let mut r = store.reader::<u64>(1, Column::Count, 0).unwrap();
        let mut read = r.take(10).unwrap().to_vec();
        for id in [counts.len() - 1, 0, counts.len() / 2] {
            assert_eq!(r.get(id).unwrap(), counts[id]);
        }
        while let Some(block) = r.block(1000).unwrap() {
            read.extend_from_slice(block);
            assert_eq!(r.get(3).unwrap(), counts[3]);
        }
        assert_eq!(read, counts);
        assert!(r.get(counts.len()).is_err(), "past the end");
    }

    #[test]
    fn counting_into_a_store_gives_the_counts_in_memory_with_and_without_spilling() {
        // Sentences of 1 to 12 tokens, so that every order has n-grams that cross no `<s>`.
        let mut tokens: Vec<u32> = Vec::new();
        for i in 0..5000u32 {
            if i % 13 == 0 {
                tokens.push(shannon_tokens::BOS);
            }
            tokens.push(3 + (i * i + i / 7) % 41);
        }
        let expected = crate::count(&tokens, 44, 4);
        for (memory, paged) in [(None, false), (Some(2048), false), (None, true), (Some(2048), true)] {
            let dir = tempfile::tempdir().unwrap();
            let spill = tempfile::tempdir().unwrap();
            let limits =
                crate::Limits { memory, temp_dir: spill.path().to_path_buf(), index: false, ..Default::default() };
            let mut store = Store::new(dir.path());
            store.tally_in(&limits.disk);
            let counted = if paged {
                // The stream in a file of its own, tallied apart from counting's files.
                let file = crate::paged::Paged::write(&spill.path().join("tokens"), &tokens, &Default::default());
                crate::count_paged_to_store(&file.unwrap(), 44, 4, &limits, &mut store).unwrap()
            } else {
                crate::count_to_store(&tokens, 44, 4, &limits, &mut store).unwrap()
            };
            assert_eq!(counted, expected.tokens);
            // The tally holds the store's files, every byte of them; the peak held the runs as well (and the
            // ids' file, where the stream was one).
            let files: u64 = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
            assert_eq!(limits.disk.bytes(), files);
            match memory {
                None if !paged => assert_eq!((limits.disk.spilled_runs(), limits.disk.peak_bytes()), (0, files)),
                None => assert!(limits.disk.spilled_runs() == 0 && limits.disk.peak_bytes() > files),
                Some(_) => assert!(limits.disk.spilled_runs() > 0 && limits.disk.peak_bytes() > files),
            }
            for (k, o) in expected.orders.iter().enumerate() {
                let keys: Vec<(u32, u32)> = store.load(k + 1, Column::Ngrams).unwrap();
                assert_eq!(keys, o.first.iter().copied().zip(o.suffix.iter().copied()).collect::<Vec<_>>());
                assert_eq!(store.load::<u32>(k + 1, Column::History).unwrap(), o.history);
                assert_eq!(store.load::<u64>(k + 1, Column::Count).unwrap(), o.count);
            }
            // Spill files are gone; only the store's remain.
            assert_eq!(std::fs::read_dir(spill.path()).unwrap().count(), 0);
        }
    }
}
