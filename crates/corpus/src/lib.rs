//! Corpus input: the first stage of shannon's data path.
//!
//! **In:** paths to files and directories (or bytes held in memory, for the built-in default corpus).
//! **Out:** a [`Corpus`] — an ordered list of [`Source`]s whose bytes are memory-mapped, never read whole into a
//! `String` — plus [`Span`]s (byte ranges cut at line ends) and [`Chunk`]s of about [`CHUNK_BYTES`] that workers
//! tokenize in parallel, and [`Corpus::text`], which checks a chunk's UTF-8.
//!
//! Invariants:
//! - Directories are walked recursively; entries are sorted by path and hidden entries (a name starting with
//!   `.`) are skipped, so the same tree always yields the same corpus.
//! - A *line* is the bytes up to and including a `\n`, or a final run of bytes with no `\n` after it. The
//!   line count of a source is therefore its number of `\n` bytes, plus one when it does not end in `\n`.
//! - Chunks never cross a source or a line end, so UTF-8 sequences and lines are never split, and chunk
//!   boundaries depend only on the data and [`CHUNK_BYTES`] — never on the thread count.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Target size of one chunk of work. Chunks end at the first line end at or after this many bytes.
pub const CHUNK_BYTES: usize = 1 << 20;

/// Errors while opening or decoding a corpus. Each names the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The path does not exist or cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A directory held no (non-hidden) files.
    #[error("{path}: directory contains no files")]
    EmptyDirectory {
        /// The directory.
        path: PathBuf,
    },
    /// Bytes that are not UTF-8.
    #[error("{path}: invalid UTF-8 at byte offset {offset} (use --lossy to replace invalid bytes)")]
    InvalidUtf8 {
        /// The file.
        path: PathBuf,
        /// Offset of the first invalid byte from the start of the file.
        offset: usize,
    },
}

/// Where a source's bytes live: a read-only memory map, or owned bytes (empty files, files that cannot be
/// mapped, and text generated in memory).
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

/// One input file (or in-memory text) of a corpus.
pub struct Source {
    name: PathBuf,
    bytes: Bytes,
}

impl Source {
    /// Opens a file, memory-mapping it when possible.
    pub fn open(path: &Path) -> Result<Source, Error> {
        let io = |source| Error::Io { path: path.to_path_buf(), source };
        let mut file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let bytes = if len == 0 {
            // Mapping an empty file fails on some systems; there is nothing to map anyway. Files that
            // report length 0 but have content (pipes, /proc) are read.
            let mut buf = Vec::new();
            file.read_to_end(&mut buf).map_err(io)?;
            Bytes::Owned(buf)
        } else {
            map(&file)
                .map(Bytes::Mapped)
                .or_else(|_| {
                    let mut buf = Vec::with_capacity(len as usize);
                    file.read_to_end(&mut buf).map(|_| Bytes::Owned(buf))
                })
                .map_err(io)?
        };
        Ok(Source { name: path.to_path_buf(), bytes })
    }

    /// Text held in memory under a display name (the built-in default corpus).
    pub fn from_bytes(name: impl Into<PathBuf>, bytes: Vec<u8>) -> Source {
        Source { name: name.into(), bytes: Bytes::Owned(bytes) }
    }

    /// The path (or display name) of this source.
    pub fn path(&self) -> &Path {
        &self.name
    }

    /// SHA-256 of the whole source, lower-case hex.
    pub fn sha256(&self) -> String {
        sha256_hex(self.as_ref())
    }

    /// Number of lines (see the crate doc for what a line is).
    pub fn lines(&self) -> u64 {
        line_count(self.as_ref())
    }
}

impl AsRef<[u8]> for Source {
    fn as_ref(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// Maps a file read-only.
#[allow(unsafe_code)]
fn map(file: &File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the map is read-only and private to this process. If another process truncates or rewrites
    // the file while we hold the map, reads may see changed bytes or fault — the same contract as every
    // mmap-based reader (ripgrep, fst). shannon never writes to its inputs.
    unsafe { memmap2::Mmap::map(file) }
}

/// SHA-256 of bytes, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Number of lines in `bytes`: `\n` bytes, plus one for an unterminated final line.
pub fn line_count(bytes: &[u8]) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', bytes).count() as u64;
    newlines + u64::from(!bytes.is_empty() && bytes.last() != Some(&b'\n'))
}

/// A byte range `start..end` of source `source`, starting at a line start and ending at a line end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Index of the source in the corpus.
    pub source: usize,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// A unit of parallel work: a span of at most about [`CHUNK_BYTES`] bytes.
pub type Chunk = Span;

/// An ordered list of sources.
pub struct Corpus {
    sources: Vec<Source>,
}

impl Corpus {
    /// Opens files and directories, in the order given; directories are expanded recursively, sorted by
    /// path, hidden entries skipped.
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> Result<Corpus, Error> {
        let mut files = Vec::new();
        for path in paths {
            let path = path.as_ref();
            let meta = std::fs::metadata(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
            if meta.is_dir() {
                let before = files.len();
                walk(path, &mut files)?;
                if files.len() == before {
                    return Err(Error::EmptyDirectory { path: path.to_path_buf() });
                }
            } else {
                files.push(path.to_path_buf());
            }
        }
        let sources = files.iter().map(|f| Source::open(f)).collect::<Result<_, _>>()?;
        Ok(Corpus { sources })
    }

    /// A corpus of the given sources.
    pub fn from_sources(sources: Vec<Source>) -> Corpus {
        Corpus { sources }
    }

    /// The sources, in order.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// Total bytes over all sources.
    pub fn bytes(&self) -> u64 {
        self.sources.iter().map(|s| s.as_ref().len() as u64).sum()
    }

    /// One span per source, covering everything.
    pub fn whole(&self) -> Vec<Span> {
        self.sources
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.as_ref().is_empty())
            .map(|(i, s)| Span { source: i, start: 0, end: s.as_ref().len() })
            .collect()
    }

    /// Splits the corpus by lines: of `L` lines in all, the first `floor(L × (1 − holdout))` go to training
    /// and the rest to test — KenLM's reference split (`../shared/reference/kenlm/README.md`). Lines are
    /// counted across sources in order.
    pub fn split_holdout(&self, holdout: f64) -> (Vec<Span>, Vec<Span>) {
        let total: u64 = self.sources.iter().map(Source::lines).sum();
        let train_lines = (total as f64 * (1.0 - holdout)).floor() as u64;
        let (mut train, mut test) = (Vec::new(), Vec::new());
        let mut remaining = train_lines;
        for (i, source) in self.sources.iter().enumerate() {
            let bytes = source.as_ref();
            if bytes.is_empty() {
                continue;
            }
            let cut = if remaining == 0 { 0 } else { offset_after_lines(bytes, &mut remaining) };
            if cut > 0 {
                train.push(Span { source: i, start: 0, end: cut });
            }
            if cut < bytes.len() {
                test.push(Span { source: i, start: cut, end: bytes.len() });
            }
        }
        (train, test)
    }

    /// Cuts spans into line-aligned chunks of about [`CHUNK_BYTES`].
    pub fn chunks(&self, spans: &[Span]) -> Vec<Chunk> {
        self.chunks_of(spans, CHUNK_BYTES)
    }

    /// Cuts spans into line-aligned chunks of about `target` bytes.
    pub fn chunks_of(&self, spans: &[Span], target: usize) -> Vec<Chunk> {
        let mut out = Vec::new();
        for span in spans {
            let bytes = self.sources[span.source].as_ref();
            let mut start = span.start;
            while start < span.end {
                let want = start.saturating_add(target.max(1)).min(span.end);
                let end = if want >= span.end {
                    span.end
                } else {
                    match memchr::memchr(b'\n', &bytes[want - 1..span.end]) {
                        Some(i) => want + i,
                        None => span.end,
                    }
                };
                out.push(Span { source: span.source, start, end });
                start = end;
            }
        }
        out
    }

    /// The raw bytes of a span.
    pub fn bytes_of(&self, span: &Span) -> &[u8] {
        &self.sources[span.source].as_ref()[span.start..span.end]
    }

    /// The text of a span. Invalid UTF-8 is an error naming the file and byte offset, unless `lossy`, in
    /// which case each maximal invalid sequence becomes U+FFFD and the second value counts them.
    pub fn text(&self, span: &Span, lossy: bool) -> Result<(Cow<'_, str>, u64), Error> {
        let bytes = self.bytes_of(span);
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok((Cow::Borrowed(s), 0)),
            Err(e) if !lossy => Err(Error::InvalidUtf8 {
                path: self.sources[span.source].path().to_path_buf(),
                offset: span.start + e.valid_up_to(),
            }),
            Err(_) => {
                let replaced = bytes.utf8_chunks().filter(|c| !c.invalid().is_empty()).count() as u64;
                Ok((String::from_utf8_lossy(bytes), replaced))
            }
        }
    }

    /// Total bytes in spans.
    pub fn span_bytes(spans: &[Span]) -> u64 {
        spans.iter().map(|s| (s.end - s.start) as u64).sum()
    }
}

/// Advances over up to `*remaining` lines of `bytes`, returning the offset after them and decrementing
/// `remaining` by the lines consumed.
fn offset_after_lines(bytes: &[u8], remaining: &mut u64) -> usize {
    for (n, pos) in memchr::memchr_iter(b'\n', bytes).enumerate() {
        if n as u64 + 1 == *remaining {
            *remaining = 0;
            return pos + 1;
        }
    }
    // Fewer lines here than still wanted: take the whole source.
    *remaining -= line_count(bytes);
    bytes.len()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let io = |source| Error::Io { path: dir.to_path_buf(), source };
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).map_err(io)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>().map_err(io)?;
    entries.sort();
    for path in entries {
        if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')) {
            continue;
        }
        let meta = std::fs::metadata(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
        if meta.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(texts: &[&str]) -> Corpus {
        Corpus::from_sources(
            texts.iter().enumerate().map(|(i, t)| Source::from_bytes(format!("t{i}"), t.as_bytes().to_vec())).collect(),
        )
    }

    #[test]
    fn line_counts_include_unterminated_tail() {
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"a\n"), 1);
        assert_eq!(line_count(b"a\nb"), 2);
        assert_eq!(line_count(b"\n\n"), 2);
    }

    #[test]
    fn holdout_takes_floor_of_lines_across_sources() {
        // 10 lines in all: 3 in the first source, 7 in the second; holdout 0.25 → train floor(7.5) = 7.
        let c = corpus(&["a\nb\nc\n", "d\ne\nf\ng\nh\ni\nj\n"]);
        let (train, test) = c.split_holdout(0.25);
        let train_text: Vec<u8> = train.iter().flat_map(|s| c.bytes_of(s).to_vec()).collect();
        let test_text: Vec<u8> = test.iter().flat_map(|s| c.bytes_of(s).to_vec()).collect();
        assert_eq!(train_text, b"a\nb\nc\nd\ne\nf\ng\n");
        assert_eq!(test_text, b"h\ni\nj\n");
    }

    #[test]
    fn chunks_end_at_line_ends_and_cover_everything() {
        let text = "one two\nthree\nfour five six\n\nseven";
        let c = corpus(&[text]);
        let chunks = c.chunks_of(&c.whole(), 5);
        let joined: Vec<u8> = chunks.iter().flat_map(|s| c.bytes_of(s).to_vec()).collect();
        assert_eq!(joined, text.as_bytes());
        for ch in &chunks[..chunks.len() - 1] {
            assert_eq!(c.bytes_of(ch).last(), Some(&b'\n'));
        }
    }

    #[test]
    fn invalid_utf8_names_offset_or_is_replaced() {
        let c = Corpus::from_sources(vec![Source::from_bytes("bad.txt", b"ok\nab\xffcd\xfe\n".to_vec())]);
        let span = c.whole()[0];
        let err = c.text(&span, false).unwrap_err().to_string();
        assert_eq!(err, "bad.txt: invalid UTF-8 at byte offset 5 (use --lossy to replace invalid bytes)");
        let (text, replaced) = c.text(&span, true).unwrap();
        assert_eq!(text, "ok\nab\u{fffd}cd\u{fffd}\n");
        assert_eq!(replaced, 2);
    }

    #[test]
    fn directories_are_sorted_and_skip_hidden() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("b.txt"), "b\n").unwrap();
        std::fs::write(dir.path().join("a.txt"), "a\n").unwrap();
        std::fs::write(dir.path().join("sub/c.txt"), "c\n").unwrap();
        std::fs::write(dir.path().join(".hidden"), "h\n").unwrap();
        std::fs::write(dir.path().join("empty.txt"), "").unwrap();
        let c = Corpus::open(&[dir.path()]).unwrap();
        let names: Vec<_> =
            c.sources().iter().map(|s| s.path().strip_prefix(dir.path()).unwrap().to_path_buf()).collect();
        assert_eq!(names, ["a.txt", "b.txt", "empty.txt", "sub/c.txt"].map(PathBuf::from));
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(Corpus::open(&[empty.path()]), Err(Error::EmptyDirectory { .. })));
        assert!(matches!(Corpus::open(&[dir.path().join("missing")]), Err(Error::Io { .. })));
    }
}
