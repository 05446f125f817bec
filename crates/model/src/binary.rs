//! shannon's binary model files: a versioned layout that is memory-mapped and queried in place.
//!
//! **In (write):** a backoff-form [`Model`] (mkn, kn, wb, or one read from ARPA) and its [`Vocab`].
//! **Out:** the bytes of a model file ([`write()`]).
//! **In (read):** those bytes as anything `AsRef<[u8]>` — a memory map in production, a `Vec<u8>` in tests.
//! **Out:** [`Mapped`], which answers ln p(w | h) ([`LanguageModel`]) and word lookups ([`Lookup`]) straight
//! from the bytes. Opening checks the magic, the version, the file length and that every section lies inside
//! the file and has the size the header implies: O(M) work for a model of order M, whatever its size. Nothing
//! is rebuilt; the pages a query touches are read in on demand. [`Mapped::thaw`] turns a file back into an
//! in-memory [`Vocab`] and [`Model`] (for ARPA writing, pruning, sampling).
//!
//! Scores are exactly those of the model written: values are stored as the model's `f64` ln values, and
//! the query walks the same n-gram chains as [`Model::log_prob`]. Or, asked for ([`Precision::F32`]),
//! rounded to `f32` as KenLM stores them: a file a third smaller whose scores differ by a relative 1e-7
//! or so.
//!
//! # Wire format, version 1
//!
//! All integers are little-endian; floats are IEEE-754 `f64` (little-endian), ln values (`-inf` = probability
//! 0). Every section starts at a multiple of 8 bytes from the start of the file.
//!
//! Header, at offset 0:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `89 53 48 4E 4C 4D 0D 0A` (`\x89SHNLM\r\n`: not text, and line-ending conversion breaks it) |
//! | 8 | 4 | format version, `u32` = 1, or 2 when the values are `f32` (flag bit 19) |
//! | 12 | 4 | order M, `u32`, 1..=255 |
//! | 16 | 8 | vocabulary size V, `u64` (ids 0..V; 0 = `<unk>`, 1 = `<s>`, 2 = `</s>`) |
//! | 24 | 8 | flags, `u64`: bit 0 set when `</s>` is predicted (sentences were lines); bit 1 set when the file records how its text was tokenized, in bits 8–15 (the token kind: 1 whitespace, 2 words, 3 chars, 4 bytes, 5 letters, 6 letters26, 7 a Hugging Face tokenizer file, recorded in one more section after the others), bit 16 (lowercase), bit 17 (sentences were lines) and bit 18 (`<s>`, `</s>`, `<unk>` skipped); bit 19 (set in version 2 files, and only there) when every ln p and ln backoff below is an `f32`, not an `f64` (sections 3, 4 and each order's ln p and ln backoff take 4 bytes a value); other bits 0 |
//! | 32 | 8 | length of the whole file in bytes, `u64` (a truncated copy is refused) |
//! | 40 | 8·M | n-grams stored per order 1..=M, `u64` each (order 1: V) |
//! | 40 + 8M | 16·S | section table: S = 5 + 3(M − 1) entries (one more for token kind 7) of (offset `u64`, length in bytes `u64`) |
//!
//! Sections, in table order:
//!
//! 0. **word offsets**: V + 1 `u64`; word i is bytes `[o[i], o[i+1])` of section 1.
//! 1. **word strings**: the words' UTF-8 bytes, concatenated.
//! 2. **word table**: T `u32` slots (T > number of words in it), each a word id or `0xFFFF_FFFF` (empty).
//!    A word s is at or after slot `fastrange(fnv1a64(s), T)`, linear probing with wrap-around. `<s>` and
//!    `</s>` (ids 1, 2) are not in it: a literal `<s>` in text is an ordinary (here unknown) word.
//! 3. **unigram ln p**: V `f64`, indexed by word id (`<s>`: `-inf`).
//! 4. **unigram ln backoff**: V `f64`, indexed by word id.
//! 5. then for each order n = 2..=M, three sections:
//!    - **keys**: S_n `u64` slots. The n-gram w1…wn has key `(id(w2…wn) << 32) | w1` and sits at or after
//!      slot `fastrange(fmix64(key), S_n)`, linear probing with wrap-around; `u64::MAX` marks an empty
//!      slot. The *id* of an n-gram of order n ≥ 2 is its slot; the id of a unigram is its word id. So
//!      p(w | …) is found by extending w to the left one word at a time, one probe sequence per order.
//!    - **ln p**: S_n `f64`, at the same slot as the key.
//!    - **ln backoff**: S_n `f64` at the same slot for n < M; empty (length 0) for n = M.
//! 6. only when the token kind in the flags is 7 (a Hugging Face `tokenizer.json`), one more entry in the
//!    section table: the SHA-256 of the tokenizer file's bytes (32 bytes), then its file name (UTF-8, at most
//!    255 bytes). A reader of an older version refuses kind 7 as an unknown token kind.
//!
//! Hash functions: `fnv1a64` is FNV-1a 64 (offset basis `0xcbf29ce484222325`, prime `0x100000001b3`) over
//! the word's bytes; `fmix64` is MurmurHash3's 64-bit finalizer; `fastrange(h, S) = (h · S) >> 64` in 128-bit
//! arithmetic. Tables have S = count + count/2 + 1 slots (load at most 2/3; at least one empty slot).
//!
//! Queries follow [`Model::log_prob`]: the longest stored n-gram ending in w gives ln p, plus the ln backoff
//! of every stored context of the history at least as long as that n-gram's context.

use std::io::{self, Write};

use shannon_counts::{key, Order, NONE};
use shannon_tokens::{Lookup, Sentences, TokenKind, Tokenizer, TokenizerFile, Vocab, BOS, EOS, UNK};

use crate::{Form, LanguageModel, Model};

/// The first 8 bytes of every binary model file.
pub const MAGIC: [u8; 8] = *b"\x89SHNLM\r\n";
/// The format version this code writes for `f64` values, and reads.
pub const VERSION: u32 = 1;
/// The version of files whose values are `f32` (flag bit 19): a reader of version 1 refuses them.
const VERSION_F32: u32 = 2;
/// Flag: values are `f32`.
const F32_VALUES: u64 = 1 << 19;

/// How a binary file stores each ln p and ln backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// The model's `f64` values, exactly: the same scores as the model written, bit for bit.
    #[default]
    F64,
    /// Rounded to `f32`, as KenLM stores them: values take half the bytes (the file about two thirds), and
    /// scores differ from the model's by a relative 1e-7 or so (half an `f32` ulp per value).
    F32,
}

pub(crate) const EMPTY_KEY: u64 = u64::MAX;
const EMPTY_WORD: u32 = u32::MAX;
const HEADER: usize = 40;

/// Errors writing or opening binary model files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// I/O failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The model has no backoff form.
    #[error("{0} models have no backoff form to store; use mkn, kn or wb")]
    NotBackoff(String),
    /// The model is too large for the format's 32-bit ids.
    #[error("{0}: too large for the binary format (32-bit ids)")]
    TooLarge(String),
    /// Not a binary model file.
    #[error("not a shannon binary model (its first bytes are not the magic '\\x89SHNLM\\r\\n')")]
    BadMagic,
    /// A version this code cannot read.
    #[error("binary model format version {found}, but this shannon reads versions {VERSION} and {VERSION_F32}; convert the ARPA file again with this version (shannon convert)")]
    Version {
        /// The version in the file.
        found: u32,
    },
    /// The file is shorter than its header says.
    #[error("truncated: the header says the file has {declared} bytes, but it has {actual} (copy it again)")]
    Truncated {
        /// Length in the header.
        declared: u64,
        /// Actual length.
        actual: u64,
    },
    /// The header or section table is inconsistent.
    #[error("corrupt binary model: {0}")]
    Corrupt(String),
}

/// FNV-1a, 64 bits.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// MurmurHash3's 64-bit finalizer.
#[inline]
pub(crate) fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// Maps a hash onto 0..size without division (Lemire's fastrange).
#[inline]
pub(crate) fn fastrange(h: u64, size: usize) -> usize {
    ((u128::from(h) * size as u128) >> 64) as usize
}

fn table_size(count: usize) -> usize {
    count + count / 2 + 1
}

fn sections(order: usize) -> usize {
    5 + 3 * (order - 1)
}

/// Bit 1 of the flags: the file records its tokenizer in bits 8–18.
const TOKENIZED: u64 = 1 << 1;

/// The flag bits that record `tokenizer` (see the wire format).
fn tokenizer_flags(tokenizer: &Tokenizer) -> u64 {
    let kind = match tokenizer.kind {
        TokenKind::Tokenizer(_) => TOKENIZER_FILE_KIND,
        k => TokenKind::ALL.iter().position(|&b| b == k).map_or(0, |i| i as u64 + 1),
    };
    TOKENIZED
        | kind << 8
        | u64::from(tokenizer.lowercase) << 16
        | u64::from(tokenizer.sentences == Sentences::Lines) << 17
        | u64::from(tokenizer.skip_symbols) << 18
}

/// The token-kind code of a Hugging Face tokenizer file, which the extra last section names.
const TOKENIZER_FILE_KIND: u64 = 7;

/// The tokenizer recorded in `flags`, if any (`Err` when the bits name no token kind); `file` is the
/// tokenizer file the extra section records, for kind 7.
fn tokenizer_of(flags: u64, file: Option<TokenizerFile>) -> Result<Option<Tokenizer>, Error> {
    if flags & TOKENIZED == 0 {
        return Ok(None);
    }
    let code = (flags >> 8 & 0xFF) as usize;
    let kind = if code as u64 == TOKENIZER_FILE_KIND {
        file.map(TokenKind::Tokenizer)
    } else {
        code.checked_sub(1).and_then(|i| TokenKind::ALL.get(i)).copied()
    };
    let kind = kind.ok_or_else(|| Error::Corrupt(format!("unknown token kind {code} in the flags")))?;
    Ok(Some(Tokenizer {
        kind,
        lowercase: flags >> 16 & 1 == 1,
        sentences: if flags >> 17 & 1 == 1 { Sentences::Lines } else { Sentences::None },
        skip_symbols: flags >> 18 & 1 == 1,
    }))
}

/// Every flag bit the format defines.
const KNOWN_FLAGS: u64 = 1 | TOKENIZED | 0xFF << 8 | 1 << 16 | 1 << 17 | 1 << 18;

/// Writes `model` (backoff form) and its vocabulary in the binary format, recording no tokenizer.
pub fn write(model: &Model, vocab: &Vocab, out: &mut impl Write) -> Result<(), Error> {
    write_tokenized(model, vocab, None, out)
}

/// Writes `model` (backoff form) and its vocabulary in the binary format, recording `tokenizer` (how the
/// text it was trained on became tokens) so that whoever scores with it tokenizes the same way.
pub fn write_tokenized(
    model: &Model,
    vocab: &Vocab,
    tokenizer: Option<&Tokenizer>,
    out: &mut impl Write,
) -> Result<(), Error> {
    write_with(model, vocab, tokenizer, Precision::F64, out)
}

/// [`write_tokenized`], storing values at `precision`.
pub fn write_with(
    model: &Model,
    vocab: &Vocab,
    tokenizer: Option<&Tokenizer>,
    precision: Precision,
    out: &mut impl Write,
) -> Result<(), Error> {
    let values = |v: &[f64]| -> Vec<u8> {
        match precision {
            Precision::F64 => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Precision::F32 => v.iter().flat_map(|&x| (x as f32).to_le_bytes()).collect(),
        }
    };
    let Form::Backoff { log_prob, log_backoff } = &model.form else {
        return Err(Error::NotBackoff(model.smoothing().map_or("these".into(), |s| s.to_string())));
    };
    let counts = model.counts();
    let m = model.order();
    let v = counts.vocab_size();
    if vocab.len() < v {
        return Err(Error::Corrupt(format!("the vocabulary has {} words but the model {v}", vocab.len())));
    }
    if table_size(v) >= EMPTY_WORD as usize {
        return Err(Error::TooLarge(format!("a vocabulary of {v} words")));
    }
    let mut secs: Vec<Vec<u8>> = Vec::with_capacity(sections(m));
    // Words.
    let mut offsets = Vec::with_capacity(8 * (v + 1));
    let mut strings = Vec::new();
    offsets.extend_from_slice(&0u64.to_le_bytes());
    for id in 0..v as u32 {
        strings.extend_from_slice(vocab.string(id).as_bytes());
        offsets.extend_from_slice(&(strings.len() as u64).to_le_bytes());
    }
    let t = table_size(v);
    let mut table = vec![EMPTY_WORD; t];
    for id in (0..v as u32).filter(|&id| id != BOS && id != EOS) {
        let mut i = fastrange(fnv1a64(vocab.string(id).as_bytes()), t);
        while table[i] != EMPTY_WORD {
            i = if i + 1 == t { 0 } else { i + 1 };
        }
        table[i] = id;
    }
    secs.push(offsets);
    secs.push(strings);
    secs.push(table.iter().flat_map(|x| x.to_le_bytes()).collect());
    secs.push(values(&log_prob[0]));
    secs.push(values(&log_backoff[0]));
    // N-grams: ids become slots, order by order.
    let mut slot_of: Vec<u32> = (0..v as u32).collect();
    for n in 2..=m {
        let o = counts.order(n);
        let size = table_size(o.len());
        if size >= u32::MAX as usize {
            return Err(Error::TooLarge(format!("{} n-grams of order {n}", o.len())));
        }
        let mut keys = vec![EMPTY_KEY; size];
        let mut prob = vec![0.0; size];
        let mut backoff = vec![0.0; if n < m { size } else { 0 }];
        let mut slots = vec![0u32; o.len()];
        for id in 0..o.len() {
            let suffix = o.suffix[id];
            if suffix == NONE {
                return Err(Error::Corrupt(format!("an n-gram of order {n} has no suffix")));
            }
            let k = key(slot_of[suffix as usize], o.first[id]);
            let mut i = fastrange(fmix64(k), size);
            while keys[i] != EMPTY_KEY {
                i = if i + 1 == size { 0 } else { i + 1 };
            }
            keys[i] = k;
            prob[i] = log_prob[n - 1][id];
            if n < m {
                backoff[i] = log_backoff[n - 1][id];
            }
            slots[id] = i as u32;
        }
        secs.push(keys.iter().flat_map(|x| x.to_le_bytes()).collect());
        secs.push(values(&prob));
        secs.push(values(&backoff));
        slot_of = slots;
    }
    // A Hugging Face tokenizer file: its SHA-256 and file name, in one more section.
    if let Some(TokenKind::Tokenizer(file)) = tokenizer.map(|t| t.kind) {
        let mut record = file.sha256().to_vec();
        record.extend_from_slice(file.name().as_bytes());
        secs.push(record);
    }
    // Layout.
    let table_at = HEADER + 8 * m;
    let mut at = table_at + 16 * secs.len();
    let mut placed = Vec::with_capacity(secs.len());
    for s in &secs {
        at = at.next_multiple_of(8);
        placed.push((at as u64, s.len() as u64));
        at += s.len();
    }
    let total = at as u64;
    let mut head = Vec::with_capacity(table_at + 16 * secs.len());
    head.extend_from_slice(&MAGIC);
    let (version, width_flag) = match precision {
        Precision::F64 => (VERSION, 0),
        Precision::F32 => (VERSION_F32, F32_VALUES),
    };
    head.extend_from_slice(&version.to_le_bytes());
    head.extend_from_slice(&(m as u32).to_le_bytes());
    head.extend_from_slice(&(v as u64).to_le_bytes());
    let flags = u64::from(model.is_predictable(EOS)) | tokenizer.map_or(0, tokenizer_flags) | width_flag;
    head.extend_from_slice(&flags.to_le_bytes());
    head.extend_from_slice(&total.to_le_bytes());
    for n in 1..=m {
        head.extend_from_slice(&(counts.order(n).len() as u64).to_le_bytes());
    }
    for &(off, len) in &placed {
        head.extend_from_slice(&off.to_le_bytes());
        head.extend_from_slice(&len.to_le_bytes());
    }
    out.write_all(&head)?;
    let mut written = head.len();
    for (s, &(off, _)) in secs.iter().zip(&placed) {
        out.write_all(&vec![0u8; off as usize - written])?;
        out.write_all(s)?;
        written = off as usize + s.len();
    }
    Ok(())
}

/// Whether `bytes` start like a binary model file.
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// Where one order's hash table lies (byte offsets into the file).
#[derive(Debug, Clone, Copy)]
struct Table {
    keys: usize,
    prob: usize,
    backoff: usize,
    slots: usize,
}

/// A binary model file, queried in place.
#[derive(Debug)]
pub struct Mapped<B> {
    bytes: B,
    order: usize,
    vocab: usize,
    eos: bool,
    /// How the training text was tokenized, when the file records it.
    tokenizer: Option<Tokenizer>,
    ngrams: Vec<u64>,
    word_offsets: usize,
    strings: (usize, usize),
    words: (usize, usize), // (offset, slots) of the word table
    unigram_prob: usize,
    unigram_backoff: usize,
    tables: Vec<Table>,
    /// Bytes per value: 8 (`f64`) or 4 (`f32`).
    width: usize,
}

#[inline]
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

#[inline]
fn f64_at(b: &[u8], at: usize) -> f64 {
    f64::from_bits(u64_at(b, at))
}

/// Value `i` of the section at `at`, stored in `width` bytes (8: `f64`, 4: `f32`, widened exactly).
#[inline]
fn value_at(b: &[u8], at: usize, i: usize, width: usize) -> f64 {
    if width == 8 {
        f64_at(b, at + 8 * i)
    } else {
        f64::from(f32::from_bits(u32_at(b, at + 4 * i)))
    }
}

#[inline]
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

impl<B: AsRef<[u8]>> Mapped<B> {
    /// Opens a model file's bytes: checks the magic, the version, the length and the section table. O(M).
    pub fn new(bytes: B) -> Result<Mapped<B>, Error> {
        let b = bytes.as_ref();
        let actual = b.len() as u64;
        if !is_binary(b) {
            return Err(Error::BadMagic);
        }
        if b.len() < HEADER {
            return Err(Error::Truncated { declared: HEADER as u64, actual });
        }
        let version = u32_at(b, 8);
        if version != VERSION && version != VERSION_F32 {
            return Err(Error::Version { found: version });
        }
        let order = u32_at(b, 12) as usize;
        if !(1..=shannon_counts::MAX_ORDER).contains(&order) {
            return Err(Error::Corrupt(format!("order {order}")));
        }
        let declared = u64_at(b, 32);
        if declared != actual {
            return Err(Error::Truncated { declared, actual });
        }
        let v = u64_at(b, 16);
        if !(3..u64::from(u32::MAX)).contains(&v) {
            return Err(Error::Corrupt(format!("vocabulary size {v}")));
        }
        let v = v as usize;
        let flags = u64_at(b, 24);
        let known = if version == VERSION_F32 { KNOWN_FLAGS | F32_VALUES } else { KNOWN_FLAGS };
        if flags & !known != 0 {
            return Err(Error::Corrupt(format!("unknown flags {flags:#x}")));
        }
        // Bytes per value: version 2 files are the f32 ones, and say so by their flag too.
        if (version == VERSION_F32) != (flags & F32_VALUES != 0) {
            return Err(Error::Corrupt(format!("version {version} with flags {flags:#x}")));
        }
        let width = if flags & F32_VALUES != 0 { 4 } else { 8 };
        let file_record = flags & TOKENIZED != 0 && flags >> 8 & 0xFF == TOKENIZER_FILE_KIND;
        let table_at = HEADER + 8 * order;
        let s = sections(order) + usize::from(file_record);
        if b.len() < table_at + 16 * s {
            return Err(Error::Corrupt("the section table runs past the end of the file".into()));
        }
        let ngrams: Vec<u64> = (0..order).map(|n| u64_at(b, HEADER + 8 * n)).collect();
        let mut secs = Vec::with_capacity(s);
        for i in 0..s {
            let (off, len) = (u64_at(b, table_at + 16 * i), u64_at(b, table_at + 16 * i + 8));
            if off % 8 != 0 || !matches!(off.checked_add(len), Some(end) if end <= actual) {
                return Err(Error::Corrupt(format!("section {i} ({len} bytes at {off}) is misplaced")));
            }
            secs.push((off as usize, len as usize));
        }
        let expect = |i: usize, len: usize| -> Result<(), Error> {
            if secs[i].1 == len {
                Ok(())
            } else {
                Err(Error::Corrupt(format!("section {i} has {} bytes, expected {len}", secs[i].1)))
            }
        };
        expect(0, 8 * (v + 1))?;
        expect(3, width * v)?;
        expect(4, width * v)?;
        if secs[2].1 % 4 != 0 || secs[2].1 / 4 < v - 1 {
            return Err(Error::Corrupt(format!("the word table has {} bytes", secs[2].1)));
        }
        // The n-gram counts are only reported (summed for messages), but they come from the file: each must
        // fit its table, so that no sum of them can overflow.
        if ngrams[0] != v as u64 {
            return Err(Error::Corrupt(format!("{} unigrams in a vocabulary of {v} words", ngrams[0])));
        }
        let file = if file_record {
            let (at, len) = secs[s - 1];
            let record = &b[at..at + len];
            let name = record.get(32..).and_then(|n| std::str::from_utf8(n).ok());
            match name {
                Some(name) if name.len() <= shannon_tokens::hf::MAX_NAME_BYTES => {
                    let sha256: [u8; 32] = record[..32].try_into().expect("32 bytes");
                    Some(TokenizerFile::recorded(name, sha256))
                }
                _ => return Err(Error::Corrupt("the tokenizer file record is malformed".into())),
            }
        } else {
            None
        };
        let tokenizer = tokenizer_of(flags, file)?;
        let mut tables = Vec::with_capacity(order - 1);
        for n in 2..=order {
            let i = 5 + 3 * (n - 2);
            let (keys, len) = secs[i];
            if len % 8 != 0 || len == 0 || len / 8 >= u32::MAX as usize {
                return Err(Error::Corrupt(format!("the keys of order {n} have {len} bytes")));
            }
            if ngrams[n - 1] >= (len / 8) as u64 {
                return Err(Error::Corrupt(format!(
                    "{} n-grams of order {n} in a table of {} slots",
                    ngrams[n - 1],
                    len / 8
                )));
            }
            expect(i + 1, len / 8 * width)?;
            expect(i + 2, if n < order { len / 8 * width } else { 0 })?;
            tables.push(Table { keys, prob: secs[i + 1].0, backoff: secs[i + 2].0, slots: len / 8 });
        }
        Ok(Mapped {
            order,
            vocab: v,
            eos: flags & 1 == 1,
            tokenizer,
            ngrams,
            word_offsets: secs[0].0,
            strings: secs[1],
            words: (secs[2].0, secs[2].1 / 4),
            unigram_prob: secs[3].0,
            unigram_backoff: secs[4].0,
            tables,
            width,
            bytes,
        })
    }

    /// Number of word ids, markers included.
    pub fn vocab_size(&self) -> usize {
        self.vocab
    }

    /// N-grams stored per order (index n − 1).
    pub fn ngrams(&self) -> &[u64] {
        &self.ngrams
    }

    /// Whether `w` is in the support of the model's distributions.
    pub fn is_predictable(&self, w: u32) -> bool {
        (w as usize) < self.vocab && w != BOS && (w != EOS || self.eos)
    }

    /// The string of word `id`; `None` for an id out of range or a corrupt entry.
    pub fn string(&self, id: u32) -> Option<&str> {
        std::str::from_utf8(self.string_bytes(id)?).ok()
    }

    /// The bytes of word `id`'s string, unchecked as UTF-8 (for comparing with a string, which is).
    fn string_bytes(&self, id: u32) -> Option<&[u8]> {
        let b = self.bytes.as_ref();
        if id as usize >= self.vocab {
            return None;
        }
        let at = self.word_offsets + 8 * id as usize;
        let (start, end) = (u64_at(b, at) as usize, u64_at(b, at + 8) as usize);
        if start > end || end > self.strings.1 {
            return None;
        }
        Some(&b[self.strings.0 + start..self.strings.0 + end])
    }

    /// Slot of the n-gram of order `n` ≥ 2 that extends `suffix` (an id of order n − 1) by `first`.
    #[inline]
    fn find(&self, b: &[u8], n: usize, suffix: u32, first: u32) -> Option<u32> {
        let k = key(suffix, first);
        self.find_from(b, n, k, fastrange(fmix64(k), self.tables[n - 2].slots))
    }

    /// The slot of key `k` of order `n`, its search starting at slot `i` (its hash's).
    #[inline]
    fn find_from(&self, b: &[u8], n: usize, k: u64, mut i: usize) -> Option<u32> {
        let t = self.tables[n - 2];
        for _ in 0..t.slots {
            let got = u64_at(b, t.keys + 8 * i);
            if got == k {
                return Some(i as u32);
            }
            if got == EMPTY_KEY {
                return None;
            }
            i = if i + 1 == t.slots { 0 } else { i + 1 };
        }
        None
    }

    /// [`LanguageModel::stream_log_probs`] one word after another, without overlapping the words' cache
    /// misses: the same values, slower; for benchmarks (`walk-bench`).
    #[doc(hidden)]
    pub fn stream_log_probs_serial(&self, tokens: &[u32], out: &mut dyn FnMut(usize, f64, usize))
    where
        B: Sync,
    {
        crate::walk::stream_serial(self, tokens, out)
    }

    /// How the text the model was trained on became tokens, when the file records it (files written by
    /// shannon since the tokenizer was recorded; `None` for older ones).
    pub fn tokenizer(&self) -> Option<Tokenizer> {
        self.tokenizer
    }

    /// How the file stores its values.
    pub fn precision(&self) -> Precision {
        if self.width == 4 {
            Precision::F32
        } else {
            Precision::F64
        }
    }

    /// What the model was opened from (a mapped file, say: its name for messages).
    pub fn backing(&self) -> &B {
        &self.bytes
    }

    /// The file's words as a [`Vocab`] with the file's ids, for tokenizing text to score: the tokenizer's own
    /// table (a word of up to 8 bytes compared inside its entry) finds a word in about half the time of the
    /// file's word table, whose hash the format fixes and which compares the strings at every slot it probes
    /// (0.040 s against 0.068–0.079 s for the 2.6 M words of `walk-bench`). As in any `Vocab`, `<unk>` is
    /// found and `<s>` and `</s>` are not.
    pub fn words(&self) -> Result<Vocab, Error> {
        let mut vocab = Vocab::new();
        for id in shannon_tokens::RESERVED..self.vocab as u32 {
            let s = self.string(id).ok_or_else(|| Error::Corrupt(format!("word {id}")))?;
            if vocab.intern(s) != id {
                return Err(Error::Corrupt(format!("word '{s}' appears twice")));
            }
        }
        Ok(vocab)
    }

    /// Converts the file back into an in-memory vocabulary and backoff-form model (ids: word ids for
    /// unigrams, slot order for higher orders).
    pub fn thaw(&self) -> Result<(Vocab, Model), Error> {
        let b = self.bytes.as_ref();
        let v = self.vocab;
        let vocab = self.words()?;
        let w = self.width;
        let f64s = |at: usize, len: usize| -> Vec<f64> { (0..len).map(|i| value_at(b, at, i, w)).collect() };
        let mut orders = vec![Order::unigrams(vec![0; v])];
        let mut log_prob = vec![f64s(self.unigram_prob, v)];
        let mut log_backoff = vec![f64s(self.unigram_backoff, v)];
        let mut dense_of: Vec<u32> = (0..v as u32).collect(); // slot (or word) of order n − 1 → id
        for n in 2..=self.order {
            let t = self.tables[n - 2];
            let mut o = Order {
                n,
                first: Vec::new(),
                suffix: Vec::new(),
                history: Vec::new(),
                count: Vec::new(),
                index: Default::default(),
            };
            let (mut p, mut bo) = (Vec::new(), Vec::new());
            let mut dense = vec![NONE; t.slots];
            for (slot, dense_id) in dense.iter_mut().enumerate() {
                let k = u64_at(b, t.keys + 8 * slot);
                if k == EMPTY_KEY {
                    continue;
                }
                let (suffix_slot, first) = ((k >> 32) as usize, k as u32);
                let suffix = dense_of.get(suffix_slot).copied().unwrap_or(NONE);
                if suffix == NONE || first as usize >= v {
                    return Err(Error::Corrupt(format!("n-gram at slot {slot} of order {n}")));
                }
                let id = o.first.len() as u32;
                *dense_id = id;
                // The history w1…w(n−1) extends the suffix's history w2…w(n−1) by w1.
                let lower = &orders[n - 2];
                let history = if n == 2 {
                    first
                } else {
                    match lower.history[suffix as usize] {
                        NONE => NONE,
                        h => lower.index.get(&key(h, first)).copied().unwrap_or(NONE),
                    }
                };
                o.first.push(first);
                o.suffix.push(suffix);
                o.history.push(history);
                o.count.push(0);
                o.index.insert(key(suffix, first), id);
                p.push(value_at(b, t.prob, slot, w));
                bo.push(if n < self.order { value_at(b, t.backoff, slot, w) } else { 0.0 });
            }
            orders.push(o);
            log_prob.push(p);
            log_backoff.push(bo);
            dense_of = dense;
        }
        Ok((vocab, crate::arpa::backoff_model(orders, log_prob, log_backoff, Some(self.eos))))
    }
}

impl<B: AsRef<[u8]> + Sync> LanguageModel for Mapped<B> {
    fn order(&self) -> usize {
        self.order
    }

    fn log_prob(&self, history: &[u32], word: u32) -> f64 {
        self.log_prob_matched(history, word).0
    }

    fn log_prob_matched(&self, history: &[u32], word: u32) -> (f64, usize) {
        crate::walk::log_prob_matched(self, history, word)
    }

    /// One probe per order and word, the previous word's slots as contexts (KenLM's state); equal to
    /// `log_prob_matched` at every position (tested).
    fn stream_log_probs(&self, tokens: &[u32], out: &mut dyn FnMut(usize, f64, usize)) {
        crate::walk::stream_log_probs(self, tokens, out)
    }
}

impl<B: AsRef<[u8]>> crate::walk::Slots for Mapped<B> {
    fn order(&self) -> usize {
        self.order
    }

    fn vocab_len(&self) -> usize {
        self.vocab
    }

    fn is_predictable(&self, w: u32) -> bool {
        Mapped::is_predictable(self, w)
    }

    #[inline]
    fn find(&self, n: usize, suffix: u32, first: u32) -> Option<u32> {
        Mapped::find(self, self.bytes.as_ref(), n, suffix, first)
    }

    #[inline]
    fn prob(&self, n: usize, slot: u32) -> f64 {
        match n {
            1 => value_at(self.bytes.as_ref(), self.unigram_prob, slot as usize, self.width),
            n => value_at(self.bytes.as_ref(), self.tables[n - 2].prob, slot as usize, self.width),
        }
    }

    #[inline]
    fn backoff(&self, n: usize, slot: u32) -> f64 {
        match n {
            1 => value_at(self.bytes.as_ref(), self.unigram_backoff, slot as usize, self.width),
            n => value_at(self.bytes.as_ref(), self.tables[n - 2].backoff, slot as usize, self.width),
        }
    }

    #[inline]
    fn probe(&self, n: usize, suffix: u32, first: u32) -> crate::walk::Probe {
        let t = self.tables[n - 2];
        let k = key(suffix, first);
        let i = fastrange(fmix64(k), t.slots);
        if let Some(line) = self.bytes.as_ref().get(t.keys + 8 * i..) {
            crate::walk::prefetch(line);
        }
        crate::walk::Probe { key: k, at: i }
    }

    #[inline]
    fn find_probe(&self, n: usize, probe: crate::walk::Probe) -> Option<u32> {
        self.find_from(self.bytes.as_ref(), n, probe.key, probe.at)
    }

    #[inline]
    fn prefetch_prob(&self, n: usize, slot: u32) {
        if let Some(line) = self.bytes.as_ref().get(self.tables[n - 2].prob + self.width * slot as usize..) {
            crate::walk::prefetch(line);
        }
    }

    #[inline]
    fn prefetch_backoff(&self, n: usize, slot: u32) {
        if let Some(line) = self.bytes.as_ref().get(self.tables[n - 2].backoff + self.width * slot as usize..) {
            crate::walk::prefetch(line);
        }
    }
}

impl<B: AsRef<[u8]> + Sync> Lookup for Mapped<B> {
    fn id(&self, s: &str) -> Option<u32> {
        let b = self.bytes.as_ref();
        let (at, t) = self.words;
        let mut i = fastrange(fnv1a64(s.as_bytes()), t);
        for _ in 0..t {
            match u32_at(b, at + 4 * i) {
                EMPTY_WORD => return None,
                // Bytes against bytes: equal bytes are `s`'s, valid UTF-8 (no check needed on the hot path).
                id if self.string_bytes(id) == Some(s.as_bytes()) => return Some(id),
                _ => i = if i + 1 == t { 0 } else { i + 1 },
            }
        }
        None
    }
}

impl<B: AsRef<[u8]> + Sync> Mapped<B> {
    /// The id of `s`, or `<unk>` when it is not a word of the model.
    pub fn get(&self, s: &str) -> u32 {
        self.id(s).unwrap_or(UNK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Smoothing;
    use std::sync::Arc;

    fn genesis(order: usize, smoothing: Smoothing, sentences: bool) -> (Vocab, Vec<u32>, Model) {
        let (vocab, ids) = crate::fixture::genesis(sentences);
        let counts = Arc::new(shannon_counts::count(&ids, vocab.len(), order));
        let model = Model::estimate(counts, order, smoothing, sentences).unwrap();
        (vocab, ids, model)
    }

    fn bytes(model: &Model, vocab: &Vocab) -> Vec<u8> {
        let mut out = Vec::new();
        write(model, vocab, &mut out).unwrap();
        out
    }

    /// An `f32` file (version 2, flag bit 19) is smaller, scores every position as the model does to within
    /// the rounding of its values, and thaws to those rounded values; the version and the flag must agree.
    #[test]
    fn f32_files_score_within_rounding() {
        for order in [1, 3, 5] {
            let (vocab, ids, model) = genesis(order, Smoothing::Mkn, true);
            let wide = bytes(&model, &vocab);
            let mut small = Vec::new();
            write_with(&model, &vocab, None, Precision::F32, &mut small).unwrap();
            assert!(small.len() < wide.len(), "{} vs {}", small.len(), wide.len());
            assert_eq!((u32_at(&small, 8), u64_at(&small, 24) & F32_VALUES), (2, F32_VALUES));
            let m = Mapped::new(small.clone()).unwrap();
            for i in 0..ids.len() {
                let h = &ids[i.saturating_sub(order + 1)..i];
                for w in [ids[i], UNK, EOS, 40] {
                    let (a, b) = (model.log_prob(h, w), m.log_prob(h, w));
                    // Each of at most `order` values rounded by half an f32 ulp (2^-24 relative).
                    let close = a == b || (a - b).abs() <= order as f64 * 2f64.powi(-23) * a.abs().max(1.0);
                    assert!(close, "order {order}: {a} vs {b} at {i}");
                }
            }
            // Thawed, the values are the model's rounded to f32, exactly.
            let (_, thawed) = m.thaw().unwrap();
            let Form::Backoff { log_prob, .. } = &model.form else { unreachable!() };
            let Form::Backoff { log_prob: rounded, .. } = &thawed.form else { unreachable!() };
            assert_eq!(rounded[0], log_prob[0].iter().map(|&x| f64::from(x as f32)).collect::<Vec<_>>());
            // The flag without version 2, or version 2 with an unknown flag, is refused.
            let mut old = small.clone();
            old[8..12].copy_from_slice(&1u32.to_le_bytes());
            assert!(matches!(Mapped::new(old), Err(Error::Corrupt(_))));
            let mut odd = small;
            let flags = u64_at(&odd, 24) | 1 << 40;
            odd[24..32].copy_from_slice(&flags.to_le_bytes());
            assert!(matches!(Mapped::new(odd), Err(Error::Corrupt(_))));
        }
    }

    /// `words` gives the file's own ids for every word, `<unk>` included, and none for the markers or a word
    /// the model lacks, as the file's word table does.
    #[test]
    fn words_are_the_files() {
        let (vocab, _, model) = genesis(2, Smoothing::Mkn, true);
        let mapped = Mapped::new(bytes(&model, &vocab)).unwrap();
        let words = mapped.words().unwrap();
        assert_eq!(words.len(), mapped.vocab_size());
        for w in vocab.strings().chain(["<s>", "</s>", "<unk>", "zzz", ""]) {
            assert_eq!(words.lookup(w), mapped.id(w), "{w:?}");
        }
        assert_eq!(words.lookup("<s>"), None);
    }

    #[test]
    fn mapped_models_score_exactly_like_the_model_written() {
        for order in 1..=5 {
            for smoothing in [Smoothing::Mkn, Smoothing::Kn, Smoothing::Wb] {
                for sentences in [true, false] {
                    let (vocab, ids, model) = genesis(order, smoothing, sentences);
                    let mapped = Mapped::new(bytes(&model, &vocab)).unwrap();
                    assert_eq!(mapped.ngrams(), &model.summary().ngrams[..]);
                    for i in 0..ids.len() {
                        let h = &ids[i.saturating_sub(order + 1)..i];
                        for w in [ids[i], UNK, BOS, EOS, 7, 40] {
                            let (a, b) = (model.log_prob(h, w), mapped.log_prob(h, w));
                            assert!(a.to_bits() == b.to_bits(), "{smoothing} order {order}: {a} vs {b} at {i}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn carried_state_gives_every_positions_log_prob_bit_for_bit() {
        for order in 1..=5 {
            for sentences in [true, false] {
                let (vocab, ids, model) = genesis(order, Smoothing::Mkn, sentences);
                let mapped = Mapped::new(bytes(&model, &vocab)).unwrap();
                // The text, then the same with unknown words, stray markers and ids past the vocabulary.
                let mut odd = ids.clone();
                for (i, w) in odd.iter_mut().enumerate() {
                    match i % 13 {
                        3 => *w = UNK,
                        5 => *w = EOS,
                        7 => *w = vocab.len() as u32 + 5,
                        11 => *w = BOS,
                        _ => {}
                    }
                }
                for stream in [&ids, &odd, &ids[3..].to_vec()] {
                    let mut carried = Vec::new();
                    mapped.log_probs(stream, &mut carried);
                    let mut each = Vec::new();
                    for i in 0..stream.len() {
                        each.push(if stream[i] == BOS {
                            0.0
                        } else {
                            mapped.log_prob(shannon_tokens::history(stream, i, order - 1), stream[i])
                        });
                    }
                    assert_eq!(carried.len(), each.len());
                    for (i, (a, b)) in carried.iter().zip(&each).enumerate() {
                        assert!(a.to_bits() == b.to_bits(), "order {order} sentences {sentences} at {i}: {a} vs {b}");
                    }
                }
            }
        }
    }

    #[test]
    fn stream_scores_carry_state_and_equal_word_by_word_queries() {
        for order in 1..=5 {
            for smoothing in [Smoothing::Mkn, Smoothing::Wb] {
                for sentences in [true, false] {
                    let (vocab, ids, model) = genesis(order, smoothing, sentences);
                    let mapped = Mapped::new(bytes(&model, &vocab)).unwrap();
                    // The stream, without its first <s>, with unknown words and a stray marker or id.
                    let mut stream: Vec<u32> = ids[..ids.len().min(3000)].to_vec();
                    for (k, at) in [(UNK, 10), (EOS, 20), (BOS, 30), (u32::MAX, 40), (UNK, 41)] {
                        if at < stream.len() {
                            stream[at] = k;
                        }
                    }
                    for start in [0, 1] {
                        let tokens = &stream[start..];
                        let mut got = Vec::new();
                        mapped.stream_log_probs(tokens, &mut |i, lp, n| got.push((i, lp.to_bits(), n)));
                        let mut want = Vec::new();
                        for (i, &w) in tokens.iter().enumerate() {
                            if w != BOS {
                                let (lp, n) = mapped.log_prob_matched(shannon_tokens::history(tokens, i, order - 1), w);
                                want.push((i, lp.to_bits(), n));
                            }
                        }
                        assert_eq!(got, want, "{smoothing} order {order} sentences {sentences} start {start}");
                    }
                }
            }
        }
    }

    #[test]
    fn words_are_found_by_string_and_markers_are_not() {
        let (vocab, _, model) = genesis(2, Smoothing::Mkn, true);
        let mapped = Mapped::new(bytes(&model, &vocab)).unwrap();
        for (id, s) in vocab.strings().enumerate().skip(shannon_tokens::RESERVED as usize) {
            assert_eq!(mapped.id(s), Some(id as u32));
            assert_eq!(mapped.string(id as u32), Some(s));
        }
        assert_eq!(mapped.id("<unk>"), Some(UNK));
        assert_eq!(mapped.id("<s>"), None);
        assert_eq!(mapped.id("</s>"), None);
        assert_eq!(mapped.get("no-such-word"), UNK);
    }

    #[test]
    fn thawed_models_are_the_model_written() {
        let (vocab, ids, model) = genesis(4, Smoothing::Mkn, true);
        let mapped = Mapped::new(bytes(&model, &vocab)).unwrap();
        let (vocab2, thawed) = mapped.thaw().unwrap();
        assert!(vocab.strings().eq(vocab2.strings()));
        assert_eq!(thawed.summary().ngrams, model.summary().ngrams);
        for i in 1..ids.len() {
            let h = &ids[i.saturating_sub(3)..i];
            assert_eq!(thawed.log_prob(h, ids[i]).to_bits(), model.log_prob(h, ids[i]).to_bits());
        }
        // Histories are rebuilt: each n-gram's history is its first n − 1 words.
        let c = thawed.counts();
        for n in 2..=4 {
            for id in 0..c.order(n).len() as u32 {
                let words = c.words(n, id);
                assert_eq!(c.find(&words[..n - 1]), Some(c.order(n).history[id as usize]));
            }
        }
        // And written again, the bytes are the same (the layout is a function of the model).
        let again = Mapped::new(bytes(&thawed, &vocab2)).unwrap();
        for i in 1..ids.len() {
            let h = &ids[i.saturating_sub(3)..i];
            assert_eq!(again.log_prob(h, ids[i]).to_bits(), model.log_prob(h, ids[i]).to_bits());
        }
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let (vocab, _, model) = genesis(3, Smoothing::Mkn, true);
        let good = bytes(&model, &vocab);
        assert!(Mapped::new(&good[..]).is_ok());
        let err = |b: &[u8]| Mapped::new(b).unwrap_err().to_string();
        assert!(err(b"\\data\\\nngram 1=3\n").contains("not a shannon binary model"));
        let mut v3 = good.clone();
        v3[8] = 3;
        assert!(err(&v3).contains("version 3, but this shannon reads versions 1 and 2"), "{}", err(&v3));
        // Version 2 is the f32 layout: without its flag the file is refused.
        let mut v2 = good.clone();
        v2[8] = 2;
        assert!(err(&v2).contains("corrupt"), "{}", err(&v2));
        assert!(err(&good[..good.len() - 8]).contains("truncated"), "{}", err(&good[..good.len() - 8]));
        assert!(err(&good[..20]).contains("truncated"));
        let mut moved = good.clone();
        let at = HEADER + 8 * 3; // first section's offset
        moved[at..at + 8].copy_from_slice(&(good.len() as u64).to_le_bytes());
        assert!(err(&moved).contains("corrupt"), "{}", err(&moved));
        let mut flags = good.clone();
        flags[31] = 0x80;
        assert!(err(&flags).contains("unknown flags"));
    }

    /// Found by fuzzing (`shannon-fuzz binary`): the n-gram counts of the header were taken as they were,
    /// and `shannon score` sums them for its table (an overflow in a debug build, nonsense in a release one).
    #[test]
    fn header_ngram_counts_must_fit_their_tables() {
        let (vocab, _, model) = genesis(3, Smoothing::Mkn, true);
        let good = bytes(&model, &vocab);
        for (n, value) in [(0, u64::MAX), (0, 3), (1, u64::MAX), (2, 1 << 40)] {
            let mut bad = good.clone();
            bad[HEADER + 8 * n..HEADER + 8 * n + 8].copy_from_slice(&value.to_le_bytes());
            let e = Mapped::new(&bad[..]).unwrap_err().to_string();
            assert!(e.starts_with("corrupt binary model") && e.contains(&value.to_string()), "{e}");
        }
    }

    #[test]
    fn count_form_models_are_refused() {
        let (vocab, _, model) = genesis(2, Smoothing::AddK { k: 1.0 }, true);
        assert!(matches!(write(&model, &vocab, &mut Vec::new()), Err(Error::NotBackoff(_))));
    }

    #[test]
    fn hash_functions_are_the_documented_ones() {
        // FNV-1a 64 test vectors (Fowler, Noll, Vo).
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(fmix64(0), 0);
        assert_eq!(fastrange(u64::MAX, 10), 9);
        assert_eq!(fastrange(0, 10), 0);
    }
}

#[cfg(test)]
mod tokenizer_tests {
    use super::*;

    #[test]
    fn every_tokenizer_survives_the_flags() {
        for kind in TokenKind::ALL {
            for (lowercase, sentences, skip_symbols) in
                [(false, Sentences::Lines, false), (true, Sentences::None, true), (true, Sentences::Lines, false)]
            {
                let t = Tokenizer { kind, lowercase, sentences, skip_symbols };
                let flags = 1 | tokenizer_flags(&t);
                assert_eq!(flags & !KNOWN_FLAGS, 0);
                assert_eq!(tokenizer_of(flags, None).unwrap(), Some(t));
            }
        }
        assert_eq!(tokenizer_of(1, None).unwrap(), None);
        assert!(tokenizer_of(TOKENIZED | 9 << 8, None).is_err());
        assert!(tokenizer_of(TOKENIZED | 7 << 8, None).is_err());
    }
}
