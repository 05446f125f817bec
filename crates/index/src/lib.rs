//! Index: a suffix array over a corpus's token ids, answering counts of n-grams of any length and the
//! ∞-gram distribution (Liu et al. 2024, "Infini-gram: Scaling unbounded n-gram language models to a
//! trillion tokens").
//!
//! **In (build):** a token-id stream from `shannon-tokens`, its [`Vocab`] and the [`Tokenizer`] that made it.
//! **Out:** the bytes of an index file ([`write`]): the vocabulary, the ids, and the suffix array — the
//! start positions of all suffixes of the stream in lexicographic order of their ids — built by libsais
//! (SA-IS, linear time) over the ids narrowed to 1, 2 or 4 bytes.
//! **In (query):** those bytes as anything `AsRef<[u8]>` — a memory map in production, a `Vec<u8>` in tests.
//! **Out:** [`Index`]: [`Index::count`] of any n-gram (two binary searches per token of the n-gram,
//! O(m log L) for an m-gram over L tokens); [`Index::infinigram`], the distribution of the next token given
//! the longest suffix of a context that occurs (with a following token) in the text.
//!
//! Every suffix sharing a prefix p is in one contiguous range of the suffix array, and inside it the
//! suffixes are ordered by the token after p: so the count of p is the length of its range, and the counts
//! of p's followers are the lengths of the runs inside the range. A suffix that is p itself (p at the very
//! end of the text) has no follower and sorts first in the range; the distribution leaves it out, so every
//! distribution sums to exactly 1.
//!
//! The stream is indexed as it is: with sentence markers, n-grams across `</s> <s>` are in the text too,
//! but callers take contexts from `shannon_tokens::history`, which never reaches before a `<s>`.
//!
//! # Wire format, version 1
//!
//! All integers little-endian; every section starts at a multiple of 8 bytes from the start of the file.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `89 53 48 4E 49 58 0D 0A` (`\x89SHNIX\r\n`) |
//! | 8 | 4 | format version, `u32` = 1 |
//! | 12 | 4 | bytes per stored id W, `u32`: 1 (vocabulary ≤ 256), 2 (≤ 65 536) or 4 |
//! | 16 | 8 | tokens L, `u64` (at most [`MAX_TOKENS`]) |
//! | 24 | 8 | vocabulary size V, `u64` (ids 0..V; 0 = `<unk>`, 1 = `<s>`, 2 = `</s>`) |
//! | 32 | 8 | length of the whole file in bytes, `u64` (a truncated copy is refused) |
//! | 40 | 80 | section table: 5 entries of (offset `u64`, length in bytes `u64`) |
//!
//! Sections: 0. the tokenizer that made the ids, as JSON (`shannon_tokens::Tokenizer`; empty: not
//! recorded); 1. word offsets, V + 1 `u64` (word i is bytes `[o[i], o[i+1])` of section 2); 2. the words'
//! UTF-8 bytes; 3. the ids, L × W bytes; 4. the suffix array, L `u32`.
//!
//! An index is 4 + W bytes per token plus its vocabulary. Opening checks the header and section sizes,
//! every id against V and that the suffix array is a permutation of 0..L (O(L), so that no corrupt file can
//! make a query index out of bounds); it does not check the order of the suffixes.

use std::cmp::Ordering;
use std::io::{self, Write};
use std::ops::Range;

use shannon_tokens::{Tokenizer, Vocab};

/// The first 8 bytes of every index file.
pub const MAGIC: [u8; 8] = *b"\x89SHNIX\r\n";
/// The format version this code writes and reads.
pub const VERSION: u32 = 1;
/// The most tokens an index holds: libsais's 32-bit suffix arrays address at most 2³¹ − 1 positions.
pub const MAX_TOKENS: usize = i32::MAX as usize;

const HEADER: usize = 40 + 16 * SECTIONS;
const SECTIONS: usize = 5;
/// Runs of followers shorter than this are walked row by row rather than binary-searched.
const SCAN: usize = 32;

/// Errors building, writing or opening an index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// I/O failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The stream is longer than a 32-bit suffix array addresses.
    #[error("{tokens} tokens are more than an index holds ({MAX_TOKENS}); index a part of the corpus")]
    TooLong {
        /// Tokens in the stream.
        tokens: usize,
    },
    /// An id is not below the vocabulary size.
    #[error("token id {id} at position {position} is not below the vocabulary size {vocab}")]
    IdOutOfRange {
        /// The id.
        id: u32,
        /// Its position.
        position: usize,
        /// The vocabulary size.
        vocab: usize,
    },
    /// libsais refused the input or ran out of memory.
    #[error("suffix array construction failed: {0}")]
    Construction(String),
    /// The bytes are not a valid index file.
    #[error("not a valid shannon index: {0}")]
    Format(String),
}

/// Bytes per stored id for a vocabulary of `vocab` ids.
pub fn id_width(vocab: usize) -> usize {
    if vocab <= 1 << 8 {
        1
    } else if vocab <= 1 << 16 {
        2
    } else {
        4
    }
}

/// Memory the construction needs beyond the token stream: the suffix array (4 bytes per token), the ids
/// narrowed for libsais (W per token), and the file's bytes when it is built in memory.
pub fn build_memory(tokens: usize, vocab: usize) -> u64 {
    let w = id_width(vocab) as u64;
    tokens as u64 * (4 + w + 4 + w)
}

/// The suffix array of `ids` (every id below `vocab`): suffix start positions in lexicographic order of
/// the ids from there on, a proper prefix before its extensions.
pub fn suffix_array(ids: &[u32], vocab: usize) -> Result<Vec<u32>, Error> {
    if ids.len() > MAX_TOKENS {
        return Err(Error::TooLong { tokens: ids.len() });
    }
    if let Some((position, &id)) = ids.iter().enumerate().find(|(_, &id)| id as usize >= vocab) {
        return Err(Error::IdOutOfRange { id, position, vocab });
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let fail = |e: libsais::LibsaisError| Error::Construction(format!("{e:?}"));
    let sa: Vec<i32> = match id_width(vocab) {
        1 => {
            let text: Vec<u8> = ids.iter().map(|&i| i as u8).collect();
            libsais::SuffixArrayConstruction::for_text(&text[..])
                .in_owned_buffer32()
                .single_threaded()
                .run()
                .map_err(fail)?
                .into_vec()
        }
        2 => {
            let text: Vec<u16> = ids.iter().map(|&i| i as u16).collect();
            libsais::SuffixArrayConstruction::for_text(&text[..])
                .in_owned_buffer32()
                .single_threaded()
                .run()
                .map_err(fail)?
                .into_vec()
        }
        _ => {
            // Ids below a vocabulary of at most 2³² fit i32 only below 2³¹; no vocabulary is that large.
            let mut text: Vec<i32> = Vec::with_capacity(ids.len());
            for &i in ids {
                text.push(i32::try_from(i).map_err(|_| Error::Construction(format!("id {i} exceeds i32")))?);
            }
            libsais::SuffixArrayConstruction::for_text_mut(&mut text[..])
                .in_owned_buffer32()
                .single_threaded()
                .run()
                .map_err(fail)?
                .into_vec()
        }
    };
    Ok(sa.into_iter().map(|p| p as u32).collect())
}

/// Builds the suffix array of `ids` and writes the index file to `out`.
pub fn build(out: &mut impl Write, ids: &[u32], vocab: &Vocab, tokenizer: Option<&Tokenizer>) -> Result<(), Error> {
    let sa = suffix_array(ids, vocab.len())?;
    write(out, ids, &sa, vocab, tokenizer)
}

/// Builds an index in memory (for a job that queries it at once, and for tests).
pub fn build_in_memory(ids: &[u32], vocab: &Vocab, tokenizer: Option<&Tokenizer>) -> Result<Index<Vec<u8>>, Error> {
    let mut bytes = Vec::new();
    build(&mut bytes, ids, vocab, tokenizer)?;
    Index::open(bytes)
}

fn pad(len: usize) -> usize {
    len.div_ceil(8) * 8
}

/// Writes an index file: `sa` must be [`suffix_array`]`(ids, vocab.len())`.
pub fn write(
    out: &mut impl Write,
    ids: &[u32],
    sa: &[u32],
    vocab: &Vocab,
    tokenizer: Option<&Tokenizer>,
) -> Result<(), Error> {
    if ids.len() > MAX_TOKENS {
        return Err(Error::TooLong { tokens: ids.len() });
    }
    let v = vocab.len();
    let w = id_width(v);
    let json = match tokenizer {
        Some(t) => serde_json::to_vec(t).map_err(|e| Error::Format(e.to_string()))?,
        None => Vec::new(),
    };
    let mut offsets = Vec::with_capacity(v + 1);
    let mut strings = Vec::new();
    offsets.push(0u64);
    for s in vocab.strings() {
        strings.extend_from_slice(s.as_bytes());
        offsets.push(strings.len() as u64);
    }
    let lengths = [json.len(), 8 * (v + 1), strings.len(), w * ids.len(), 4 * sa.len()];
    let mut table = [(0u64, 0u64); SECTIONS];
    let mut at = HEADER;
    for (slot, &len) in table.iter_mut().zip(&lengths) {
        *slot = (at as u64, len as u64);
        at += pad(len);
    }
    let total = at;
    let mut head = Vec::with_capacity(HEADER);
    head.extend_from_slice(&MAGIC);
    head.extend_from_slice(&VERSION.to_le_bytes());
    head.extend_from_slice(&(w as u32).to_le_bytes());
    head.extend_from_slice(&(ids.len() as u64).to_le_bytes());
    head.extend_from_slice(&(v as u64).to_le_bytes());
    head.extend_from_slice(&(total as u64).to_le_bytes());
    for (o, l) in table {
        head.extend_from_slice(&o.to_le_bytes());
        head.extend_from_slice(&l.to_le_bytes());
    }
    out.write_all(&head)?;
    let zeros = [0u8; 8];
    let section = |out: &mut dyn Write, bytes: &[u8]| -> io::Result<()> {
        out.write_all(bytes)?;
        out.write_all(&zeros[..pad(bytes.len()) - bytes.len()])
    };
    section(out, &json)?;
    let offsets: Vec<u8> = offsets.iter().flat_map(|o| o.to_le_bytes()).collect();
    section(out, &offsets)?;
    section(out, &strings)?;
    // Large sections in blocks, so the file is never held twice.
    let mut block = Vec::with_capacity(1 << 20);
    for part in ids.chunks(1 << 18) {
        block.clear();
        for &id in part {
            block.extend_from_slice(&id.to_le_bytes()[..w]);
        }
        out.write_all(&block)?;
    }
    out.write_all(&zeros[..pad(w * ids.len()) - w * ids.len()])?;
    for part in sa.chunks(1 << 18) {
        block.clear();
        for &p in part {
            block.extend_from_slice(&p.to_le_bytes());
        }
        out.write_all(&block)?;
    }
    out.write_all(&zeros[..pad(4 * sa.len()) - 4 * sa.len()])?;
    Ok(())
}

/// The longest-common-prefix array of `ids` and their suffix array `sa` (see [`Index::lcp`]).
pub fn lcp_array(ids: &[u32], sa: &[u32]) -> Vec<u32> {
    kasai(ids.len(), |r| sa[r] as usize, |p| ids[p])
}

/// Kasai, Lee, Arimura, Arikawa & Park (2001): walking the text in order, the prefix a suffix shares with
/// the one before it in the suffix array shrinks by at most one from one position to the next, so the whole
/// array takes O(L).
fn kasai(n: usize, position: impl Fn(usize) -> usize, token: impl Fn(usize) -> u32) -> Vec<u32> {
    let mut rank = vec![0u32; n];
    for r in 0..n {
        rank[position(r)] = r as u32;
    }
    let mut lcp = vec![0u32; n];
    let mut h = 0usize;
    for (p, &r) in rank.iter().enumerate() {
        let r = r as usize;
        if r == 0 {
            h = 0;
            continue;
        }
        let q = position(r - 1);
        while p + h < n && q + h < n && token(p + h) == token(q + h) {
            h += 1;
        }
        lcp[r] = h as u32;
        h = h.saturating_sub(1);
    }
    lcp
}

/// Whether `bytes` start like an index file.
pub fn is_index(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// An opened index: queries read the bytes in place.
#[derive(Debug)]
pub struct Index<B: AsRef<[u8]>> {
    bytes: B,
    tokens: usize,
    vocab: usize,
    width: usize,
    sections: [Range<usize>; SECTIONS],
}

/// The ∞-gram distribution of the next token: p(w | h') = c(h' w) / Σ_v c(h' v), where h' is the longest
/// suffix of the context that occurs in the text followed by some token (Liu et al. 2024, §2).
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    /// Length of the suffix h' used (0: no token of the context; the unigram distribution).
    pub context: usize,
    /// Σ_v c(h' v): occurrences of h' followed by a token.
    pub total: u64,
    /// The tokens seen after h', ascending by id, with their counts c(h' w).
    pub followers: Vec<(u32, u64)>,
}

/// The n-blocks of a text: how many, how many distinct, and how many blocks occur c times for each c.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockProfile {
    /// Block length n.
    pub n: usize,
    /// Blocks (start positions).
    pub blocks: u64,
    /// Distinct blocks.
    pub distinct: u64,
    /// (c, number of distinct blocks seen c times), ascending by c.
    pub count_of_counts: Vec<(u64, u64)>,
}

impl BlockProfile {
    /// Distinct blocks seen exactly `c` times.
    pub fn seen(&self, c: u64) -> u64 {
        self.count_of_counts.iter().find(|x| x.0 == c).map_or(0, |x| x.1)
    }
}

impl Distribution {
    /// c(h' w).
    pub fn count(&self, w: u32) -> u64 {
        self.followers.binary_search_by_key(&w, |f| f.0).map_or(0, |i| self.followers[i].1)
    }

    /// p(w | h').
    pub fn prob(&self, w: u32) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.count(w) as f64 / self.total as f64
        }
    }

    /// The discount subtracted from a count c ≥ 1: D1, D2 or D3+ of `d`, never more than c.
    fn discount(c: u64, d: &[f64; 3]) -> f64 {
        if c == 0 {
            0.0
        } else {
            d[(c.min(3) - 1) as usize].clamp(0.0, c as f64)
        }
    }

    /// The mass the discounts `d` (D1, D2, D3+) take from the counts after h', as a fraction of
    /// c(h' •): the weight γ that [`discounted`](Self::discounted) gives the distribution below.
    pub fn backoff_weight(&self, d: &[f64; 3]) -> f64 {
        if self.total == 0 {
            return 1.0;
        }
        self.followers.iter().map(|&(_, c)| Self::discount(c, d)).sum::<f64>() / self.total as f64
    }

    /// p(w) = (c(h' w) − D(c)) / c(h' •) + γ · `below`, with γ = [`backoff_weight`](Self::backoff_weight):
    /// interpolated modified Kneser–Ney's form at its highest order (Chen & Goodman 1998 eq. 26), counts
    /// from the index. If `below` sums to 1 over the vocabulary, so does this.
    pub fn discounted(&self, w: u32, below: f64, d: &[f64; 3], gamma: f64) -> f64 {
        if self.total == 0 {
            return below;
        }
        let c = self.count(w);
        (c as f64 - Self::discount(c, d)) / self.total as f64 + gamma * below
    }
}

impl<B: AsRef<[u8]>> Index<B> {
    /// Opens an index file's bytes, checking everything a query relies on (see the module doc).
    pub fn open(bytes: B) -> Result<Index<B>, Error> {
        let b = bytes.as_ref();
        let bad = |s: String| Err(Error::Format(s));
        if b.len() < HEADER || !is_index(b) {
            return bad("the file does not start with the index magic bytes, or is shorter than a header".into());
        }
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        let version = u32_at(8);
        if version != VERSION {
            return bad(format!("format version {version}; this shannon reads version {VERSION}"));
        }
        let width = u32_at(12) as usize;
        if ![1, 2, 4].contains(&width) {
            return bad(format!("{width} bytes per id (must be 1, 2 or 4)"));
        }
        let (tokens, vocab, length) = (u64_at(16), u64_at(24), u64_at(32));
        if length != b.len() as u64 {
            return bad(format!("the header says {length} bytes but the file has {} (truncated?)", b.len()));
        }
        if tokens > MAX_TOKENS as u64 || !(3..=u32::MAX as u64).contains(&vocab) {
            return bad(format!("{tokens} tokens over a vocabulary of {vocab} ids is out of range"));
        }
        let (tokens, vocab) = (tokens as usize, vocab as usize);
        if id_width(vocab) != width {
            return bad(format!("{width} bytes per id do not fit a vocabulary of {vocab}"));
        }
        let expected = [None, Some(8 * (vocab + 1)), None, Some(width * tokens), Some(4 * tokens)];
        let mut sections: [Range<usize>; SECTIONS] = Default::default();
        for (i, slot) in sections.iter_mut().enumerate() {
            let (o, l) = (u64_at(40 + 16 * i), u64_at(48 + 16 * i));
            if o % 8 != 0 || o < HEADER as u64 || o.checked_add(l).is_none_or(|end| end > b.len() as u64) {
                return bad(format!("section {i} (offset {o}, {l} bytes) lies outside the file"));
            }
            if expected[i].is_some_and(|e| e as u64 != l) {
                return bad(format!("section {i} has {l} bytes, not {}", expected[i].unwrap_or(0)));
            }
            *slot = o as usize..(o + l) as usize;
        }
        let index = Index { bytes, tokens, vocab, width, sections };
        index.check()?;
        Ok(index)
    }

    /// The O(L) checks: word offsets, ids below V, the suffix array a permutation.
    fn check(&self) -> Result<(), Error> {
        let strings = self.sections[2].len() as u64;
        let mut last = 0;
        for i in 0..=self.vocab {
            let o = self.word_offset(i);
            if o < last || o > strings {
                return Err(Error::Format(format!("word offset {i} ({o}) is out of order or past the words")));
            }
            last = o;
        }
        for i in 0..self.vocab {
            if std::str::from_utf8(self.word_bytes(i)).is_err() {
                return Err(Error::Format(format!("word {i} is not UTF-8")));
            }
        }
        for p in 0..self.tokens {
            let id = self.token(p);
            if id as usize >= self.vocab {
                return Err(Error::IdOutOfRange { id, position: p, vocab: self.vocab });
            }
        }
        let mut seen = vec![0u64; self.tokens.div_ceil(64)];
        for r in 0..self.tokens {
            let p = self.position(r);
            if p >= self.tokens || seen[p / 64] >> (p % 64) & 1 == 1 {
                return Err(Error::Format(format!("suffix array entry {r} ({p}) is out of range or repeated")));
            }
            seen[p / 64] |= 1 << (p % 64);
        }
        Ok(())
    }

    fn word_offset(&self, i: usize) -> u64 {
        let o = self.sections[1].start + 8 * i;
        u64::from_le_bytes(self.bytes.as_ref()[o..o + 8].try_into().expect("8 bytes"))
    }

    fn word_bytes(&self, i: usize) -> &[u8] {
        let s = &self.bytes.as_ref()[self.sections[2].clone()];
        &s[self.word_offset(i) as usize..self.word_offset(i + 1) as usize]
    }

    /// Tokens indexed.
    pub fn len(&self) -> usize {
        self.tokens
    }

    /// Whether the index holds no tokens.
    pub fn is_empty(&self) -> bool {
        self.tokens == 0
    }

    /// Vocabulary size V.
    pub fn vocab_size(&self) -> usize {
        self.vocab
    }

    /// Bytes per stored id.
    pub fn id_width(&self) -> usize {
        self.width
    }

    /// Size of the file in bytes.
    pub fn file_bytes(&self) -> usize {
        self.bytes.as_ref().len()
    }

    /// The tokenizer recorded in the file, if any (`Err` if the record does not parse).
    pub fn tokenizer(&self) -> Result<Option<Tokenizer>, Error> {
        let json = &self.bytes.as_ref()[self.sections[0].clone()];
        if json.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(json).map(Some).map_err(|e| Error::Format(format!("tokenizer record: {e}")))
    }

    /// The vocabulary, rebuilt (ids as in the file).
    pub fn vocab(&self) -> Result<Vocab, Error> {
        let mut vocab = Vocab::new();
        for i in 0..self.vocab {
            let s = std::str::from_utf8(self.word_bytes(i)).map_err(|_| Error::Format(format!("word {i}")))?;
            let id = if i < shannon_tokens::RESERVED as usize {
                vocab.string(i as u32) == s
            } else {
                vocab.intern(s) as usize == i
            };
            if !id {
                return Err(Error::Format(format!("word {i} ({s:?}) is a marker out of place or repeated")));
            }
        }
        Ok(vocab)
    }

    /// The token at position `p` of the text.
    pub fn token(&self, p: usize) -> u32 {
        let o = self.sections[3].start + self.width * p;
        let b = &self.bytes.as_ref()[o..o + self.width];
        match self.width {
            1 => u32::from(b[0]),
            2 => u32::from(u16::from_le_bytes([b[0], b[1]])),
            _ => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        }
    }

    /// The text position of the suffix at row `r` of the suffix array.
    pub fn position(&self, r: usize) -> usize {
        let o = self.sections[4].start + 4 * r;
        u32::from_le_bytes(self.bytes.as_ref()[o..o + 4].try_into().expect("4 bytes")) as usize
    }

    /// The token `depth` places into the suffix at row `r`, or −1 when the suffix is shorter.
    fn key(&self, r: usize, depth: usize) -> i64 {
        let p = self.position(r) + depth;
        if p < self.tokens {
            i64::from(self.token(p))
        } else {
            -1
        }
    }

    /// The first row in `rows` whose key at `depth` is not below `key` (or not above it, `after`).
    fn search(&self, rows: Range<usize>, depth: usize, key: i64, after: bool) -> usize {
        let (mut lo, mut hi) = (rows.start, rows.end);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let k = self.key(mid, depth);
            let left = if after { k <= key } else { k < key };
            if left {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Of `rows` (suffixes sharing their first `depth` tokens), those whose next token is `token`.
    pub fn refine(&self, rows: Range<usize>, depth: usize, token: u32) -> Range<usize> {
        let lo = self.search(rows.clone(), depth, i64::from(token), false);
        let hi = self.search(lo..rows.end, depth, i64::from(token), true);
        lo..hi
    }

    /// The rows of the suffixes that start with `pattern`.
    pub fn range(&self, pattern: &[u32]) -> Range<usize> {
        let mut rows = 0..self.tokens;
        for (depth, &t) in pattern.iter().enumerate() {
            if rows.is_empty() {
                break;
            }
            rows = self.refine(rows, depth, t);
        }
        rows
    }

    /// Occurrences of `pattern` in the text (the empty pattern: L).
    pub fn count(&self, pattern: &[u32]) -> u64 {
        self.range(pattern).len() as u64
    }

    /// Occurrences of the `depth` tokens the rows share that are followed by a token: the rows less the
    /// one suffix (if any) that ends right there.
    fn followed(&self, rows: &Range<usize>, depth: usize) -> u64 {
        if rows.is_empty() {
            0
        } else {
            rows.len() as u64 - u64::from(self.key(rows.start, depth) < 0)
        }
    }

    /// The tokens following the `depth` tokens that `rows` share, with counts, ascending by id.
    pub fn followers(&self, rows: Range<usize>, depth: usize) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        let mut r = rows.start;
        while r < rows.end {
            let k = self.key(r, depth);
            let end = if rows.end - r <= SCAN {
                (r + 1..rows.end).find(|&s| self.key(s, depth) != k).unwrap_or(rows.end)
            } else {
                self.search(r..rows.end, depth, k, true)
            };
            if k >= 0 {
                out.push((k as u32, (end - r) as u64));
            }
            r = end;
        }
        out
    }

    /// The length of the longest suffix of `context` that occurs followed by a token, with its rows.
    /// Counts shrink as a suffix grows, so the length is found by binary search over lengths.
    pub fn longest_suffix(&self, context: &[u32]) -> (usize, Range<usize>) {
        let m = context.len();
        let (mut lo, mut hi) = (0usize, m);
        let mut best = 0..self.tokens;
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            let rows = self.range(&context[m - mid..]);
            if self.followed(&rows, mid) > 0 {
                lo = mid;
                best = rows;
            } else {
                hi = mid - 1;
            }
        }
        if lo == 0 {
            best = 0..self.tokens;
        }
        (lo, best)
    }

    /// The ∞-gram distribution after `context` (see [`Distribution`]).
    pub fn infinigram(&self, context: &[u32]) -> Distribution {
        let (len, rows) = self.longest_suffix(context);
        self.distribution_at(context, len, rows)
    }

    /// The distribution after the last `len` tokens of `context` (which must occur followed by a token;
    /// otherwise the distribution is empty, total 0).
    pub fn distribution(&self, context: &[u32], len: usize) -> Distribution {
        let len = len.min(context.len());
        let rows = self.range(&context[context.len() - len..]);
        self.distribution_at(context, len, rows)
    }

    fn distribution_at(&self, _context: &[u32], len: usize, rows: Range<usize>) -> Distribution {
        let followers = self.followers(rows, len);
        let total = followers.iter().map(|f| f.1).sum();
        Distribution { context: len, total, followers }
    }

    /// The longest-common-prefix array: `lcp[r]` is the number of tokens the suffixes at rows r − 1 and r
    /// share (`lcp[0]` = 0), in O(L) by Kasai et al.'s (2001) algorithm: walking the text in order, the
    /// common prefix with the row before shrinks by at most one from one position to the next.
    pub fn lcp(&self) -> Vec<u32> {
        kasai(self.tokens, |r| self.position(r), |p| self.token(p))
    }

    /// Block counts of every length n = 1..=`max_n` (Shannon's n-blocks: the overlapping n-grams that contain
    /// no token for which `breaks` holds, such as sentence markers), from the suffix array and
    /// [`lcp`](Self::lcp): rows whose suffixes share their first n tokens are one run, so each order is one
    /// pass over the rows. Returns, per n, the count-of-counts.
    pub fn block_profiles(&self, max_n: usize, breaks: impl Fn(u32) -> bool) -> Vec<BlockProfile> {
        let n = self.tokens;
        let lcp = self.lcp();
        // Tokens from each position up to the next breaking token or the end (capped at max_n).
        let mut run = vec![0u32; n];
        let mut r = 0u32;
        for p in (0..n).rev() {
            r = if breaks(self.token(p)) { 0 } else { (r + 1).min(max_n as u32) };
            run[p] = r;
        }
        // The same by row, so that each order is one sequential pass.
        let run: Vec<u32> = (0..n).map(|row| run[self.position(row)]).collect();
        (1..=max_n)
            .map(|len| {
                // Counts of counts: small counts in an array, the rare large ones in a map.
                let mut small = vec![0u64; 1024];
                let mut large: std::collections::BTreeMap<u64, u64> = Default::default();
                let mut tally = |c: u64| match small.get_mut(c as usize) {
                    Some(slot) => *slot += 1,
                    None => *large.entry(c).or_default() += 1,
                };
                let mut current = 0u64;
                for row in 0..n {
                    let valid = run[row] as usize >= len;
                    if valid && current > 0 && lcp[row] as usize >= len {
                        current += 1;
                        continue;
                    }
                    if current > 0 {
                        tally(current);
                    }
                    current = u64::from(valid);
                }
                if current > 0 {
                    tally(current);
                }
                let count_of_counts: Vec<(u64, u64)> =
                    (1..small.len() as u64).map(|c| (c, small[c as usize])).filter(|x| x.1 > 0).chain(large).collect();
                BlockProfile {
                    n: len,
                    blocks: count_of_counts.iter().map(|&(c, f)| c * f).sum(),
                    distinct: count_of_counts.iter().map(|&(_, f)| f).sum(),
                    count_of_counts,
                }
            })
            .collect()
    }

    /// Compares the suffix at row `r` with `pattern` on the pattern's length (a shorter suffix that is a
    /// prefix of it is `Less`). For tests and checks of the order.
    pub fn compare(&self, r: usize, pattern: &[u32]) -> Ordering {
        for (d, &t) in pattern.iter().enumerate() {
            match self.key(r, d).cmp(&i64::from(t)) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests;
