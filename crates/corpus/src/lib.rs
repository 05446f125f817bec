//! Corpus input: the first stage of shannon's data path.
//!
//! **In:** paths to files and directories, `-` for standard input, a list of paths in a file
//! ([`read_file_list`], for `--files-from`), or bytes held in memory (the built-in default corpus).
//! **Out:** a [`Corpus`] — an ordered list of [`Source`]s whose bytes are memory-mapped, never read whole into a
//! `String` — plus [`Span`]s (byte ranges cut at line ends) and [`Chunk`]s of about [`CHUNK_BYTES`] that workers
//! tokenize in parallel, and [`Corpus::text`] / [`Corpus::decode`], which check a chunk's UTF-8 and reject
//! binary data; [`Corpus::locate`] turns an offset in a chunk's text back into file, line and byte, for the
//! errors later stages find in the text.
//!
//! Invariants:
//! - Directories are walked recursively; entries are sorted by path and hidden entries (a name starting with
//!   `.`) are skipped, so the same tree always yields the same corpus.
//! - gzip, zstd, xz and bzip2 files are recognised by their magic bytes, whatever their names, and
//!   decompressed on the fly into an owned buffer (see [`decompress`]); standard input is read whole into
//!   an owned buffer (and may be compressed too). Everything else is memory-mapped, with a fallback to
//!   ordinary reads. A source's bytes, line count and sha256 are those of the decompressed text.
//! - A *line* is the bytes up to and including a `\n`, or a final run of bytes with no `\n` after it. The
//!   line count of a source is therefore its number of `\n` bytes, plus one when it does not end in `\n`.
//! - Chunks never cross a source or a line end, so UTF-8 sequences and lines are never split, and chunk
//!   boundaries depend only on the data and [`CHUNK_BYTES`] — never on the thread count. A single line longer
//!   than [`CHUNK_BYTES`] is one chunk.
//! - Text is UTF-8. A source whose first 64 KiB are at least 10% NUL bytes is binary ([`binary_offset`]), an
//!   error naming the file and the offset of its first NUL unless the caller allows it ([`Decode::allow_nul`],
//!   for byte tokens); a few NULs in text are control characters like any other. Offsets count bytes of the (decompressed)
//!   source from its start.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub mod decompress;
pub mod documents;
pub mod parquet;

pub use decompress::Compression;

/// The display name of standard input (given as `-`).
pub const STDIN_NAME: &str = "<stdin>";

/// Target size of one chunk of work. Chunks end at the first line end at or after this many bytes.
pub const CHUNK_BYTES: usize = 1 << 20;

/// Errors while opening or decoding a corpus. Each names the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The path does not exist or cannot be read.
    #[error("{path}")]
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
    /// A NUL byte: the file is binary, not text.
    #[error("{path}: binary file: NUL byte at byte offset {offset} (not text; use --tokens bytes to model raw bytes)")]
    Binary {
        /// The file.
        path: PathBuf,
        /// Offset of the NUL byte from the start of the (decompressed) file.
        offset: usize,
    },
    /// A compressed file that cannot be decompressed to its end.
    #[error("{path}: truncated or corrupt {} file", format.name())]
    Decompress {
        /// The file.
        path: PathBuf,
        /// Its format, recognised from its first bytes.
        format: Compression,
        /// What the decoder said.
        source: std::io::Error,
    },
    /// Standard input (`-`) named more than once: it can be read only once.
    #[error("- (standard input) is given more than once; it can be read only once")]
    StdinTwice,
    /// A line of a file list (`--files-from`) names a path that cannot be used.
    #[error("{list} line {line}: {path}")]
    Listed {
        /// The list file.
        list: PathBuf,
        /// Line number, from 1.
        line: usize,
        /// The path on that line.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A document record that cannot be read (JSON Lines), without `--skip-bad-records`.
    #[error("{path}: line {line}: {problem} (--skip-bad-records skips such records)")]
    BadRecord {
        /// The file.
        path: PathBuf,
        /// Line number in the (decompressed) file, from 1.
        line: u64,
        /// What is wrong.
        problem: String,
    },
    /// A Parquet row that cannot be read (a null text), without `--skip-bad-records`.
    #[error("{path}: row group {row_group}, row {row}: {problem} (--skip-bad-records skips such rows)")]
    BadRow {
        /// The file.
        path: PathBuf,
        /// Row group, from 1.
        row_group: usize,
        /// Row within the group, from 1.
        row: u64,
        /// What is wrong.
        problem: String,
    },
    /// A Parquet file that cannot be read as documents: no such column, not strings, a damaged file.
    #[error("{path}: {problem}")]
    BadParquet {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A file list (`--files-from`) that names no files.
    #[error(
        "{list}: the file list names no files (one path per line; empty lines and lines starting with # are skipped)"
    )]
    EmptyList {
        /// The list file.
        list: PathBuf,
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
    compression: Compression,
    documents: Option<Documents>,
}

/// What a source read as documents (JSON Lines) was, before its texts became its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Documents {
    /// The format read.
    pub format: documents::Format,
    /// Whether the format was recognised by content rather than given.
    pub detected: bool,
    /// The text field read.
    pub text_field: String,
    /// Size of the file as stored (decompressed).
    pub stored_bytes: u64,
    /// SHA-256 of the file as stored (decompressed), lower-case hex.
    pub stored_sha256: String,
    /// Documents read.
    pub records: u64,
    /// Bad records skipped (`--skip-bad-records`).
    pub skipped: u64,
    /// The first bad record skipped.
    pub first_bad: Option<documents::BadRecord>,
}

impl Source {
    /// Opens a file: a compressed one (recognised by its first bytes) is decompressed into memory, any
    /// other is memory-mapped when possible. `-` is standard input ([`Source::stdin`]).
    pub fn open(path: &Path) -> Result<Source, Error> {
        if path == Path::new("-") {
            return Source::stdin();
        }
        let bytes = Source::raw(path)?;
        Source::with_bytes(path.to_path_buf(), bytes)
    }

    /// Reads all of standard input (decompressing it if it is compressed), named [`STDIN_NAME`].
    pub fn stdin() -> Result<Source, Error> {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|source| Error::Io { path: PathBuf::from(STDIN_NAME), source })?;
        Source::with_bytes(PathBuf::from(STDIN_NAME), Bytes::Owned(buf))
    }

    /// Decompresses `bytes` if they are compressed.
    fn with_bytes(name: PathBuf, bytes: Bytes) -> Result<Source, Error> {
        let raw: &[u8] = match &bytes {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        };
        let compression = Compression::detect(&raw[..raw.len().min(16)]);
        if compression == Compression::None {
            return Ok(Source { name, bytes, compression, documents: None });
        }
        match decompress::decompress(compression, raw) {
            Ok(text) => Ok(Source { name, bytes: Bytes::Owned(text), compression, documents: None }),
            Err(source) => Err(Error::Decompress { path: name, format: compression, source }),
        }
    }

    /// The bytes of a file as stored: mapped, or read when it cannot be mapped.
    fn raw(path: &Path) -> Result<Bytes, Error> {
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
                    // The length is only a hint (a file can shrink, /proc and /sys report sizes that
                    // are not theirs): reserve it if possible, never fail or abort for it.
                    let mut buf = Vec::new();
                    let _ = buf.try_reserve_exact(usize::try_from(len).unwrap_or(usize::MAX));
                    file.read_to_end(&mut buf).map(|_| Bytes::Owned(buf))
                })
                .map_err(io)?
        };
        Ok(bytes)
    }

    /// The bytes of a file as it was stored (read by the caller), under a display name: decompressed when
    /// they are gzip, zstd, xz or bzip2, exactly as [`Source::open`] treats a file with these bytes.
    pub fn from_stored(name: impl Into<PathBuf>, bytes: Vec<u8>) -> Result<Source, Error> {
        Source::with_bytes(name.into(), Bytes::Owned(bytes))
    }

    /// Text held in memory under a display name (the built-in default corpus). Taken as it is: never
    /// decompressed.
    pub fn from_bytes(name: impl Into<PathBuf>, bytes: Vec<u8>) -> Source {
        Source { name: name.into(), bytes: Bytes::Owned(bytes), compression: Compression::None, documents: None }
    }

    /// Reads the source as documents when it holds them (JSON Lines, given or recognised by content): its
    /// bytes become the documents' texts, one after another, each ended by a line end (see [`documents`]);
    /// a plain text source is returned as it is. The first bad record is an error naming the file and line,
    /// unless `options` skip them.
    pub fn into_documents(self, options: &documents::Options, lossy: bool) -> Result<Source, Error> {
        let format = documents::format_of(self.as_ref(), options);
        let read = match format {
            documents::Format::Text => return Ok(self),
            documents::Format::Jsonl => documents::to_text(self.as_ref(), options, lossy),
            documents::Format::Parquet => documents::parquet_to_text(self.as_ref(), options),
        };
        let read = read.map_err(|bad| bad_record(&self.name, bad))?;
        let documents = Documents {
            format,
            detected: options.format.is_none(),
            text_field: options.text_field.clone(),
            stored_bytes: self.as_ref().len() as u64,
            stored_sha256: self.sha256(),
            records: read.records,
            skipped: read.skipped,
            first_bad: read.first_bad,
        };
        Ok(Source {
            name: self.name,
            bytes: Bytes::Owned(read.text),
            compression: self.compression,
            documents: Some(documents),
        })
    }

    /// What the source was before its documents' texts became its bytes; `None` for plain text.
    pub fn documents(&self) -> Option<&Documents> {
        self.documents.as_ref()
    }

    /// How the source was stored; its bytes are always the decompressed text.
    pub fn compression(&self) -> Compression {
        self.compression
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

/// The error for a bad record of the file at `path`.
pub fn bad_record(path: &Path, bad: documents::BadRecord) -> Error {
    let path = path.to_path_buf();
    match bad.row_group {
        None => Error::BadRecord { path, line: bad.line, problem: bad.problem },
        Some(0) => Error::BadParquet { path, problem: bad.problem },
        Some(row_group) => Error::BadRow { path, row_group, row: bad.line, problem: bad.problem },
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

/// Drops the whole pages of `range` of a read-only file map from resident memory.
#[cfg(unix)]
#[allow(unsafe_code)]
fn release_pages(map: &memmap2::Mmap, range: std::ops::Range<usize>) {
    const PAGE: usize = 4096;
    let base = map.as_ptr() as usize;
    // Whole pages only: the pages at either end may hold a neighbouring span being read.
    let start = (base + range.start).next_multiple_of(PAGE) - base;
    let end = ((base + range.end) / PAGE * PAGE).saturating_sub(base);
    if end > start {
        // SAFETY: the map is a read-only shared map of a file, so dropping its pages loses nothing: a later
        // read faults them back in from the file. No reference into the range is invalidated. A failure
        // (pages larger than 4 KiB, say) only leaves the pages resident.
        let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start) };
    }
}

#[cfg(not(unix))]
fn release_pages(_: &memmap2::Mmap, _: std::ops::Range<usize>) {}

/// Bytes examined to tell a binary file from text.
pub const BINARY_PROBE_BYTES: usize = 64 << 10;

/// Where a binary file's first NUL byte is, if the file is binary: NUL bytes make up at least 10% of its
/// first [`BINARY_PROBE_BYTES`] — as in UTF-16 text, executables, images and archives. A few NULs in text
/// (Calgary's book1 has one; its terminal transcript `trans` has 4%) are control characters like any other:
/// KenLM treats them as whitespace, and so does the `whitespace` tokenizer.
pub fn binary_offset(bytes: &[u8]) -> Option<usize> {
    let probe = &bytes[..bytes.len().min(BINARY_PROBE_BYTES)];
    let nul = memchr::memchr_iter(0, probe).count();
    (nul > 0 && nul * 10 >= probe.len()).then(|| memchr::memchr(0, probe).expect("a NUL was counted"))
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
    /// path, hidden entries skipped; `-` is standard input (at most once). Files are opened (and
    /// decompressed) in parallel; when several fail, the error is that of the first in order.
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> Result<Corpus, Error> {
        use rayon::prelude::*;
        let files = files(paths)?;
        let opened: Vec<Result<Source, Error>> = files.par_iter().map(|f| Source::open(f)).collect();
        let sources = opened.into_iter().collect::<Result<_, _>>()?;
        Ok(Corpus { sources })
    }

    /// Opens files and directories as [`Corpus::open`] does, reading each file that holds documents (JSON
    /// Lines, given by `options` or recognised by content) as its documents' texts
    /// ([`Source::into_documents`]).
    pub fn open_documents<P: AsRef<Path>>(
        paths: &[P],
        options: &documents::Options,
        lossy: bool,
    ) -> Result<Corpus, Error> {
        use rayon::prelude::*;
        let files = files(paths)?;
        let opened: Vec<Result<Source, Error>> =
            files.par_iter().map(|f| Source::open(f).and_then(|s| s.into_documents(options, lossy))).collect();
        let sources = opened.into_iter().collect::<Result<_, _>>()?;
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

    /// Says that a span has been read: the pages of a memory-mapped source that lie wholly within it leave
    /// this process's resident memory (they stay in the page cache, and reading them again reads them back).
    /// A corpus larger than memory is then never resident whole while it is tokenized. Owned bytes stay.
    pub fn release(&self, span: &Span) {
        if let Bytes::Mapped(map) = &self.sources[span.source].bytes {
            release_pages(map, span.start..span.end);
        }
    }

    /// The raw bytes of a span.
    pub fn bytes_of(&self, span: &Span) -> &[u8] {
        &self.sources[span.source].as_ref()[span.start..span.end]
    }

    /// The text of a span. A binary source ([`binary_offset`]) is an error naming the file and byte offset. Invalid
    /// UTF-8 is an error naming the file and byte offset, unless `lossy`, in which case each maximal invalid
    /// sequence becomes U+FFFD and the second value counts them. [`Corpus::decode`] with
    /// [`Decode::allow_nul`] accepts NUL bytes.
    pub fn text(&self, span: &Span, lossy: bool) -> Result<(Cow<'_, str>, u64), Error> {
        self.decode(span, Decode { lossy, allow_nul: false })
    }

    /// The text of a span, checked as `policy` says (see [`Corpus::text`]). A binary source is reported even
    /// where invalid UTF-8 comes before its first NUL: a binary file is named as such.
    pub fn decode(&self, span: &Span, policy: Decode) -> Result<(Cow<'_, str>, u64), Error> {
        let bytes = self.bytes_of(span);
        if !policy.allow_nul {
            if let Some(offset) = binary_offset(self.sources[span.source].as_ref()) {
                return Err(Error::Binary { path: self.sources[span.source].path().to_path_buf(), offset });
            }
        }
        let lossy = policy.lossy;
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

    /// Where byte `at` of a span's text (as [`Corpus::decode`] gave it) lies in its source: the file, the
    /// line (from 1) and the byte offset from the start of the file. Where invalid UTF-8 was replaced, each
    /// U+FFFD of the text stands for the bytes it replaced. For messages about the text (errors found by later
    /// stages), so it may read the source up to `at`.
    pub fn locate(&self, span: &Span, at: usize) -> Position {
        let source = &self.sources[span.source];
        let offset = span.start + source_offset(self.bytes_of(span), at);
        let line = memchr::memchr_iter(b'\n', &source.as_ref()[..offset]).count() as u64 + 1;
        Position { path: source.path().to_path_buf(), line, offset }
    }

    /// Total bytes in spans.
    pub fn span_bytes(spans: &[Span]) -> u64 {
        spans.iter().map(|s| (s.end - s.start) as u64).sum()
    }
}

/// A place in a corpus, for messages: see [`Corpus::locate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The file (or display name).
    pub path: PathBuf,
    /// Line number, from 1.
    pub line: u64,
    /// Byte offset from the start of the (decompressed) file.
    pub offset: usize,
}

/// The offset in `bytes` of byte `at` of their decoded text: the same where `bytes` are UTF-8; otherwise each
/// maximal invalid sequence is one U+FFFD (3 bytes) in the text, as `String::from_utf8_lossy` writes it.
fn source_offset(bytes: &[u8], at: usize) -> usize {
    const REPLACEMENT: usize = '\u{fffd}'.len_utf8();
    let (mut raw, mut text) = (0, 0);
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid().len();
        if at < text + valid {
            return raw + (at - text);
        }
        (raw, text) = (raw + valid, text + valid);
        if !chunk.invalid().is_empty() {
            if at < text + REPLACEMENT {
                return raw;
            }
            (raw, text) = (raw + chunk.invalid().len(), text + REPLACEMENT);
        }
    }
    raw + (at - text)
}

/// How [`Corpus::decode`] checks text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Decode {
    /// Replace invalid UTF-8 by U+FFFD (and count the replacements) instead of failing.
    pub lossy: bool,
    /// Accept binary sources (byte-level tokens model any data); otherwise a binary source is an error.
    pub allow_nul: bool,
}

/// Reads a list of input paths, one per line (`--files-from`); `-` reads the list from standard input.
/// Empty lines and lines starting with `#` are skipped; a trailing `\r` is dropped; nothing else is trimmed,
/// so names may contain spaces. Relative paths are taken relative to the current directory, as with
/// `tar --files-from`. Every listed path must exist; the error names the list, the line and the path.
pub fn read_file_list(list: &Path) -> Result<Vec<PathBuf>, Error> {
    let io = |source| Error::Io { path: list.to_path_buf(), source };
    let mut text = Vec::new();
    if list == Path::new("-") {
        std::io::stdin().lock().read_to_end(&mut text).map_err(io)?;
    } else {
        if list.is_dir() {
            return Err(io(std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory, not a file list")));
        }
        File::open(list).and_then(|mut f| f.read_to_end(&mut text)).map_err(io)?;
    }
    let mut paths = Vec::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        let path = path_from_bytes(line);
        if path != Path::new("-") {
            if let Err(source) = std::fs::metadata(&path) {
                return Err(Error::Listed { list: list.to_path_buf(), line: i + 1, path, source });
            }
        }
        paths.push(path);
    }
    if paths.is_empty() {
        return Err(Error::EmptyList { list: list.to_path_buf() });
    }
    Ok(paths)
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
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

/// The files that `paths` name, in the order [`Corpus::open`] reads them: files as given, directories
/// expanded recursively and sorted by path, hidden entries skipped, `-` (standard input, at most once) kept
/// as it is. A directory without files is an error.
pub fn files<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    let mut stdin = false;
    for path in paths {
        let path = path.as_ref();
        if path == Path::new("-") {
            if std::mem::replace(&mut stdin, true) {
                return Err(Error::StdinTwice);
            }
            files.push(path.to_path_buf());
            continue;
        }
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
    Ok(files)
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
    fn offsets_in_decoded_text_locate_the_file_line_and_byte() {
        let c = Corpus::from_sources(vec![
            Source::from_bytes("a.txt", b"zero\none\n".to_vec()),
            Source::from_bytes("b.txt", b"x\n\xff\xfey <s>\nz \xe9 w\n".to_vec()),
        ]);
        let b = Span { source: 1, start: 2, end: 16 };
        let (text, _) = c.text(&b, true).unwrap();
        assert_eq!(text, "\u{fffd}\u{fffd}y <s>\nz \u{fffd} w\n");
        let at = |needle: &str| c.locate(&b, text.find(needle).unwrap());
        let pos = at("<s>");
        assert_eq!((pos.path.as_path(), pos.line, pos.offset), (Path::new("b.txt"), 2, 6));
        assert_eq!((at("w").line, at("w").offset), (3, 14));
        assert_eq!((at("\u{fffd}").line, at("\u{fffd}").offset), (2, 2));
        let whole = c.whole()[0];
        assert_eq!(c.locate(&whole, 5), Position { path: PathBuf::from("a.txt"), line: 2, offset: 5 });
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

    #[test]
    fn compressed_files_are_recognised_by_content_not_name() {
        use crate::decompress::tests::compress;
        let dir = tempfile::tempdir().unwrap();
        let text = b"the first line\nthe second line\n".repeat(50);
        let formats = [Compression::Gzip, Compression::Zstd, Compression::Xz, Compression::Bzip2];
        // Misleading names on purpose: the bytes decide.
        for (i, format) in formats.into_iter().enumerate() {
            let path = dir.path().join(format!("{i}.txt"));
            std::fs::write(&path, compress(format, &text)).unwrap();
        }
        std::fs::write(dir.path().join("4.gz"), &text).unwrap();
        let c = Corpus::open(&[dir.path()]).unwrap();
        let kinds: Vec<_> = c.sources().iter().map(Source::compression).collect();
        assert_eq!(kinds[..4], formats);
        assert_eq!(kinds[4], Compression::None);
        for s in c.sources() {
            assert_eq!(s.as_ref(), &text[..], "{}", s.path().display());
            assert_eq!(s.lines(), 100);
            assert_eq!(s.sha256(), sha256_hex(&text));
        }
    }

    #[test]
    fn truncated_archives_name_the_file_and_format() {
        use crate::decompress::tests::compress;
        let dir = tempfile::tempdir().unwrap();
        let packed = compress(Compression::Zstd, &b"some text\n".repeat(100));
        let path = dir.path().join("cut.zst");
        std::fs::write(&path, &packed[..packed.len() - 3]).unwrap();
        let e = Corpus::open(&[&path]).err().expect("a truncated file is an error");
        assert!(matches!(e, Error::Decompress { format: Compression::Zstd, .. }), "{e}");
        let message = e.to_string();
        assert_eq!(message, format!("{}: truncated or corrupt zstd file", path.display()));
        // The decoder's own words are the source, said once after the context.
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn nul_bytes_are_binary_unless_allowed() {
        let c = Corpus::from_sources(vec![Source::from_bytes("x.bin", b"text\n\xff\x7fELF\0\0\n".to_vec())]);
        let span = c.whole()[0];
        // The NUL is reported although invalid UTF-8 comes first: the file is binary.
        let e = c.text(&span, true).unwrap_err().to_string();
        assert!(e.starts_with("x.bin: binary file: NUL byte at byte offset 10 "), "{e}");
        let tail = Span { source: 0, start: 6, end: span.end };
        assert!(c.text(&tail, false).unwrap_err().to_string().contains("byte offset 10"));
        let allowed = c.decode(&span, Decode { lossy: true, allow_nul: true }).unwrap();
        assert_eq!(allowed.1, 1);
        let e = c.decode(&span, Decode { lossy: false, allow_nul: true }).unwrap_err().to_string();
        assert!(e.contains("invalid UTF-8 at byte offset 5"), "{e}");
    }

    #[test]
    fn file_lists_skip_blanks_and_comments_and_name_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a file.txt");
        std::fs::write(&a, "a\n").unwrap();
        let list = dir.path().join("list");
        std::fs::write(&list, format!("# corpus\n\n{}\r\n{}\n", a.display(), dir.path().display())).unwrap();
        assert_eq!(read_file_list(&list).unwrap(), vec![a.clone(), dir.path().to_path_buf()]);
        std::fs::write(&list, format!("{}\nmissing.txt\n", a.display())).unwrap();
        let e = read_file_list(&list).unwrap_err();
        assert_eq!(e.to_string(), format!("{} line 2: missing.txt", list.display()));
        assert!(std::error::Error::source(&e).is_some());
        std::fs::write(&list, "# nothing\n\n").unwrap();
        assert!(matches!(read_file_list(&list), Err(Error::EmptyList { .. })));
        let e = read_file_list(dir.path()).unwrap_err();
        assert!(std::error::Error::source(&e).unwrap().to_string().contains("not a file list"), "{e}");
    }

    #[test]
    fn stdin_may_be_named_once() {
        assert!(matches!(Corpus::open(&["-", "-"]), Err(Error::StdinTwice)));
    }

    #[test]
    fn a_few_nul_bytes_are_text_and_many_are_binary() {
        // Like Calgary's book1: one NUL in a long text.
        let mut text = b"say to myself, said Gabriel.\n".repeat(100);
        text.push(0);
        text.extend_from_slice(b"<C xxxiv>\n");
        assert_eq!(binary_offset(&text), None);
        // UTF-16: every other byte is NUL.
        let utf16: Vec<u8> = "hello world\n".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(binary_offset(&utf16), Some(1));
        assert_eq!(binary_offset(b""), None);
    }
}
