//! Writing large outputs past the page cache.
//!
//! A built ARPA file can be many gigabytes. Written through the page cache, every page of it is allocated,
//! filled by a copy in the kernel and written back later: on a 2-core machine that is about 1.5 s of CPU
//! per GB, a third of a core through the whole estimate-and-write stage, and it evicts whatever else the
//! user had cached. Written with `O_DIRECT` in large aligned blocks, the device takes the bytes straight
//! from this writer's buffer. Where a file system refuses `O_DIRECT` (tmpfs, some network file systems) the
//! writer falls back to ordinary writes, so the file is the same either way.
//!
//! Portability: `O_DIRECT` is a Linux (and Android) flag. Elsewhere — and on Linux with the `portable`
//! feature, which is how CI tests that path — the writer never asks for it and writes the same blocks
//! through the page cache ([`Handle`] then asks nothing of the file but [`Write`]).

use std::io::{self, Write};

pub use os::Handle;

/// Bytes handed to the device per write: large enough that each write is one long transfer.
const BLOCK: usize = if cfg!(test) { 3 * ALIGN } else { 8 << 20 };
/// Alignment `O_DIRECT` asks of buffers, offsets and lengths: the largest logical block size in use.
const ALIGN: usize = 4096;

/// A buffered writer that writes whole aligned blocks with `O_DIRECT` where the file system allows it.
/// [`Direct::finish`] writes the last partial block (through the page cache) and returns the file.
pub struct Direct<F: Handle + Write> {
    file: F,
    /// `BLOCK + ALIGN` bytes, of which `start..start + BLOCK` are aligned.
    buf: Vec<u8>,
    start: usize,
    /// Bytes buffered at `buf[start..]`.
    len: usize,
    direct: bool,
}

impl<F: Handle + Write> Direct<F> {
    /// Wraps `file`, positioned at offset 0 (or any multiple of 4096), and turns on `O_DIRECT` if it can.
    pub fn new(file: F) -> Direct<F> {
        let direct = os::set_direct(&file, true).is_ok();
        let buf = vec![0u8; BLOCK + ALIGN];
        let start = buf.as_ptr().align_offset(ALIGN);
        Direct { file, buf, start, len: 0, direct }
    }

    /// Writes the first `len` buffered bytes, a multiple of [`ALIGN`], and keeps the rest at the front.
    fn drain(&mut self, len: usize) -> io::Result<()> {
        let mut done = 0;
        while done < len {
            match self.file.write(&self.buf[self.start + done..self.start + len]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(k) => done += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Refused after all (an unusual block size, or a short write left the offset unaligned): go on
                // through the page cache from where the writes stopped.
                Err(e) if self.direct && os::refused(&e) => {
                    self.direct = false;
                    os::set_direct(&self.file, false)?;
                }
                Err(e) => return Err(e),
            }
        }
        self.buf.copy_within(self.start + len..self.start + self.len, self.start);
        self.len -= len;
        Ok(())
    }

    /// Writes what is buffered and returns the file.
    pub fn finish(mut self) -> io::Result<F> {
        let whole = self.len / ALIGN * ALIGN;
        self.drain(whole)?;
        if self.direct {
            self.direct = false;
            os::set_direct(&self.file, false)?;
        }
        let len = self.len;
        self.drain(len)?;
        self.file.flush()?;
        Ok(self.file)
    }
}

/// `O_DIRECT` through rustix's `fcntl`.
#[cfg(all(any(target_os = "linux", target_os = "android"), not(feature = "portable")))]
mod os {
    use std::io;
    use std::os::fd::AsFd;

    /// What [`super::Direct`] needs of its file besides [`io::Write`]: here, a file descriptor to set
    /// `O_DIRECT` on.
    pub trait Handle: AsFd {}

    impl<F: AsFd> Handle for F {}

    /// Turns `O_DIRECT` on or off for `file`.
    pub(super) fn set_direct(file: &impl AsFd, on: bool) -> io::Result<()> {
        use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};
        let flags = fcntl_getfl(file)?;
        let flags = if on { flags | OFlags::DIRECT } else { flags - OFlags::DIRECT };
        Ok(fcntl_setfl(file, flags)?)
    }

    /// Whether a write failed because the file system refused a direct write (`EINVAL`).
    pub(super) fn refused(e: &io::Error) -> bool {
        e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error())
    }
}

/// No `O_DIRECT`: every block goes through the page cache.
#[cfg(not(all(any(target_os = "linux", target_os = "android"), not(feature = "portable"))))]
mod os {
    use std::io;

    /// What [`super::Direct`] needs of its file besides [`io::Write`]: here, nothing.
    pub trait Handle {}

    impl<F> Handle for F {}

    /// Direct writes are never turned on.
    pub(super) fn set_direct<F>(_: &F, on: bool) -> io::Result<()> {
        if on {
            Err(io::ErrorKind::Unsupported.into())
        } else {
            Ok(())
        }
    }

    /// No write is ever direct, so none is refused as one.
    pub(super) fn refused(_: &io::Error) -> bool {
        false
    }
}

impl<F: Handle + Write> Write for Direct<F> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(BLOCK - self.len);
        let at = self.start + self.len;
        self.buf[at..at + n].copy_from_slice(&data[..n]);
        self.len += n;
        if self.len == BLOCK {
            self.drain(BLOCK)?;
        }
        Ok(n)
    }

    /// Writes every whole aligned block buffered; the last partial one waits for [`Direct::finish`], since
    /// a direct write must be a whole number of blocks.
    fn flush(&mut self) -> io::Result<()> {
        self.drain(self.len / ALIGN * ALIGN)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use proptest::prelude::*;

    use super::*;

    fn written(pieces: &[Vec<u8>], flush_after: Option<usize>) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut w = Direct::new(std::fs::File::create(&path).unwrap());
        for (i, p) in pieces.iter().enumerate() {
            w.write_all(p).unwrap();
            if flush_after == Some(i) {
                w.flush().unwrap();
            }
        }
        drop(w.finish().unwrap());
        let mut got = Vec::new();
        std::fs::File::open(&path).unwrap().read_to_end(&mut got).unwrap();
        got
    }

    proptest! {
        /// Whatever the sizes of the writes and wherever a flush falls, the file holds exactly the bytes
        /// written, across block boundaries and with a partial last block.
        #[test]
        fn the_file_holds_every_byte_written(
            pieces in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..5 * ALIGN), 0..8),
            flush_after in prop::option::of(0usize..8),
        ) {
            let expected: Vec<u8> = pieces.concat();
            prop_assert!(written(&pieces, flush_after) == expected);
        }
    }

    /// The portable path (macOS, Windows; `--features portable` on Linux) never asks for `O_DIRECT`.
    #[cfg(feature = "portable")]
    #[test]
    fn the_portable_writer_writes_through_the_page_cache() {
        let file = tempfile::tempfile().unwrap();
        assert!(!Direct::new(&file).direct);
        assert_eq!(written(&[vec![7; 2 * BLOCK + 5]], Some(0)), vec![7; 2 * BLOCK + 5]);
    }

    #[test]
    fn an_empty_output_is_an_empty_file() {
        assert!(written(&[], None).is_empty());
    }
}
