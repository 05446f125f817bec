//! Outputs written as they are made — per-document scores, filtered documents — yet never seen half-written:
//! a hidden temporary file beside the destination, compressed as the destination's name says (`.gz`, `.zst`,
//! `.xz`, `.bz2`), renamed over it only when complete, and removed on error or interruption.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use shannon_corpus::Compression;

use crate::cleanup::{self, Registered};
use crate::{Error, Result};

/// The compression an output's name asks for: by its extension, `None` for any other name.
pub fn compression_for(path: &Path) -> Compression {
    match path.extension().and_then(|e| e.to_str()) {
        Some("gz") => Compression::Gzip,
        Some("zst") => Compression::Zstd,
        Some("xz") => Compression::Xz,
        Some("bz2") => Compression::Bzip2,
        _ => Compression::None,
    }
}

enum Encoder {
    Plain(BufWriter<File>),
    Gzip(flate2::write::GzEncoder<BufWriter<File>>),
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<File>>),
    Xz(liblzma::write::XzEncoder<BufWriter<File>>),
    Bzip2(bzip2::write::BzEncoder<BufWriter<File>>),
}

impl Encoder {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Encoder::Plain(w) => w,
            Encoder::Gzip(w) => w,
            Encoder::Zstd(w) => w,
            Encoder::Xz(w) => w,
            Encoder::Bzip2(w) => w,
        }
    }

    fn finish(self) -> std::io::Result<BufWriter<File>> {
        match self {
            Encoder::Plain(w) => Ok(w),
            Encoder::Gzip(w) => w.finish(),
            Encoder::Zstd(w) => w.finish(),
            Encoder::Xz(w) => w.finish(),
            Encoder::Bzip2(w) => w.finish(),
        }
    }
}

/// A file being written: see the module doc.
pub struct Output {
    path: PathBuf,
    tmp: tempfile::NamedTempFile,
    encoder: Encoder,
    _registered: Registered,
}

impl Output {
    /// Starts writing `path`, compressed as its extension says.
    pub fn create(path: &Path) -> Result<Output> {
        let err = |e| Error::io(format!("cannot write {}", path.display()), e);
        let tmp = shannon_report::temp_beside(path).map_err(err)?;
        let registered = cleanup::register(tmp.path());
        let file = BufWriter::with_capacity(1 << 20, tmp.as_file().try_clone().map_err(err)?);
        let encoder = match compression_for(path) {
            Compression::None => Encoder::Plain(file),
            Compression::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(file, flate2::Compression::default())),
            Compression::Zstd => Encoder::Zstd(zstd::stream::write::Encoder::new(file, 3).map_err(err)?),
            Compression::Xz => Encoder::Xz(liblzma::write::XzEncoder::new(file, 6)),
            Compression::Bzip2 => Encoder::Bzip2(bzip2::write::BzEncoder::new(file, bzip2::Compression::default())),
        };
        Ok(Output { path: path.to_path_buf(), tmp, encoder, _registered: registered })
    }

    /// Appends bytes.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        let path = &self.path;
        self.encoder.writer().write_all(bytes).map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
    }

    /// Ends the compressed stream, flushes, and renames the file over the destination.
    pub fn finish(self) -> Result<()> {
        let Output { path, tmp, encoder, _registered } = self;
        let err = |e| Error::io(format!("cannot write {}", path.display()), e);
        let mut file = encoder.finish().map_err(err)?;
        file.flush().map_err(err)?;
        tmp.as_file().sync_all().map_err(err)?;
        tmp.persist(&path).map_err(|e| err(e.error))?;
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.encoder.writer().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.encoder.writer().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_compressed_as_named_and_appear_only_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"one line\nanother line\n".repeat(100);
        for name in ["o.txt", "o.jsonl.gz", "o.zst", "o.xz", "o.bz2"] {
            let path = dir.path().join(name);
            let mut out = Output::create(&path).unwrap();
            out.write_all(&text).unwrap();
            assert!(!path.exists(), "{name} appeared before it was finished");
            out.finish().unwrap();
            let source = shannon_corpus::Source::open(&path).unwrap();
            assert_eq!(source.compression(), compression_for(&path), "{name}");
            assert_eq!(source.as_ref(), &text[..], "{name}");
        }
        let path = dir.path().join("dropped.txt");
        let mut out = Output::create(&path).unwrap();
        out.write_all(b"half").unwrap();
        drop(out);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 5, "no temporary file left, nothing written");
    }
}
