//! Tokens: the second stage of shannon's data path.
//!
//! **In:** UTF-8 text (one chunk of a corpus at a time) and a [`Tokenizer`] configuration.
//! **Out:** a stream of `u32` token ids, with [`BOS`]/[`EOS`] markers around every sentence when sentences
//! are lines, and the [`Vocab`] that maps ids back to strings.
//!
//! Strings are interned once, here; every later stage counts integers. Ids are stable: [`UNK`] = 0,
//! [`BOS`] = 1, [`EOS`] = 2, then words in order of first occurrence in the training text, which makes ids
//! independent of how many threads tokenized it (chunks are merged in corpus order).
//!
//! [`stream`] tokenizes a whole corpus (`shannon-corpus`) in parallel into one [`Stream`].
//!
//! A literal `<unk>` in the text (as in PTB or WikiText) is the unknown word. Literal `<s>` and `</s>` are
//! ordinary words that happen to print like the markers; they never become the markers.

pub mod stream;

pub use stream::Stream;

use hashbrown::HashTable;
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

/// The unknown word: out-of-vocabulary tokens at test time, and literal `<unk>` in text.
pub const UNK: u32 = 0;
/// Sentence start marker: context only, never predicted.
pub const BOS: u32 = 1;
/// Sentence end marker: predicted like a word.
pub const EOS: u32 = 2;
/// Number of reserved ids.
pub const RESERVED: u32 = 3;

/// How text becomes tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// Split on exactly the bytes KenLM splits on: space, tab, CR, LF and NUL.
    Whitespace,
    /// Unicode word segmentation (UAX#29); every segment that is not whitespace is a token, so
    /// punctuation marks are tokens too.
    Words,
    /// Unicode scalar values; the space is a symbol like any other.
    Chars,
    /// Bytes of the UTF-8 encoding.
    Bytes,
    /// Shannon's 27-symbol alphabet: ASCII letters folded to a–z, every maximal run of other characters one
    /// space, leading and trailing space dropped.
    Letters,
    /// Shannon's 26 letters: as `Letters` without the spaces.
    Letters26,
}

impl TokenKind {
    /// All kinds, for help texts and errors.
    pub const ALL: [TokenKind; 6] = [
        TokenKind::Whitespace,
        TokenKind::Words,
        TokenKind::Chars,
        TokenKind::Bytes,
        TokenKind::Letters,
        TokenKind::Letters26,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            TokenKind::Whitespace => "whitespace",
            TokenKind::Words => "words",
            TokenKind::Chars => "chars",
            TokenKind::Bytes => "bytes",
            TokenKind::Letters => "letters",
            TokenKind::Letters26 => "letters26",
        }
    }

    /// Parses a name; `None` for an unknown one.
    pub fn from_name(name: &str) -> Option<TokenKind> {
        TokenKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether the kind has a fixed, small alphabet (letters, bytes), as opposed to an open vocabulary.
    pub fn alphabet_size(self) -> Option<usize> {
        match self {
            TokenKind::Letters => Some(27),
            TokenKind::Letters26 => Some(26),
            TokenKind::Bytes => Some(256),
            _ => None,
        }
    }
}

/// What a sentence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sentences {
    /// Every line is a sentence wrapped in `<s> … </s>`, empty lines included, as KenLM does. A line's
    /// `\n` and a `\r` before it are the line end, not text.
    Lines,
    /// One continuous stream with no markers; line ends are text like any other character.
    None,
}

/// A tokenizer configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokenizer {
    /// How text becomes tokens.
    pub kind: TokenKind,
    /// Fold to lower case (words, whitespace and chars; letters are always folded).
    pub lowercase: bool,
    /// What a sentence is.
    pub sentences: Sentences,
}

impl Tokenizer {
    /// Tokenizes one chunk of text, calling `id` to turn each token string into an id and appending ids
    /// (with sentence markers) to `out`. Returns the number of sentences (lines) seen.
    ///
    /// In [`Sentences::None`] mode, chunks are pieces of one stream: [`join_streams`] glues their outputs.
    pub fn tokenize(&self, text: &str, id: &mut impl FnMut(&str) -> u32, out: &mut Vec<u32>) -> u64 {
        match self.sentences {
            Sentences::Lines if self.kind == TokenKind::Whitespace => self.whitespace_lines(text, id, out),
            Sentences::Lines => {
                let mut lines = 0;
                for line in text.split_inclusive('\n') {
                    let line = line.strip_suffix('\n').unwrap_or(line);
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    out.push(BOS);
                    self.tokens(line, id, out);
                    out.push(EOS);
                    lines += 1;
                }
                lines
            }
            Sentences::None => {
                self.tokens(text, id, out);
                0
            }
        }
    }

    /// `whitespace` with lines as sentences in one pass over the bytes: a line's `\r` is a separator anyway,
    /// so only `\n` needs looking at, and the per-line split of [`Tokenizer::tokenize`] (a second pass) is
    /// not needed. Same output as that path.
    fn whitespace_lines(&self, text: &str, id: &mut impl FnMut(&str) -> u32, out: &mut Vec<u32>) -> u64 {
        let b = text.as_bytes();
        let n = b.len();
        if n == 0 {
            return 0;
        }
        let mut buf = String::new();
        let mut lines = 0;
        out.push(BOS);
        let mut i = 0;
        loop {
            while i < n && is_kenlm_space(b[i]) {
                if b[i] == b'\n' {
                    out.push(EOS);
                    lines += 1;
                    if i + 1 < n {
                        out.push(BOS);
                    }
                }
                i += 1;
            }
            if i == n {
                break;
            }
            let start = i;
            i = next_kenlm_space(b, i);
            self.emit(&text[start..i], id, &mut buf, out);
        }
        if b[n - 1] != b'\n' {
            out.push(EOS);
            lines += 1;
        }
        lines
    }

    /// Appends the id of `tok`, lower-cased into `buf` first if asked and needed. Inlined into the token
    /// loops, with lower-casing out of line, as this runs once per token.
    #[inline]
    fn emit(&self, tok: &str, id: &mut impl FnMut(&str) -> u32, buf: &mut String, out: &mut Vec<u32>) {
        if self.lowercase && tok.chars().any(char::is_uppercase) {
            out.push(lowercase_id(tok, id, buf));
        } else {
            out.push(id(tok));
        }
    }

    fn tokens(&self, text: &str, id: &mut impl FnMut(&str) -> u32, out: &mut Vec<u32>) {
        let mut buf = String::new();
        let mut emit = |tok: &str, out: &mut Vec<u32>| self.emit(tok, id, &mut buf, out);
        match self.kind {
            TokenKind::Whitespace => whitespace_tokens(text, |tok| emit(tok, out)),
            TokenKind::Words => word_tokens(text, |tok| emit(tok, out)),
            TokenKind::Chars => {
                let mut s = [0u8; 4];
                for c in text.chars() {
                    emit(c.encode_utf8(&mut s), out);
                }
            }
            TokenKind::Bytes => {
                for &b in text.as_bytes() {
                    out.push(id(byte_name(b)));
                }
            }
            TokenKind::Letters | TokenKind::Letters26 => {
                let spaces = self.kind == TokenKind::Letters;
                // In a stream, a chunk keeps its leading and trailing runs as spaces: the neighbouring chunk
                // may continue with a letter. `join_streams` merges and trims them.
                let stream = self.sentences == Sentences::None;
                let (mut pending, mut any) = (false, false);
                for &b in text.as_bytes() {
                    if b.is_ascii_alphabetic() {
                        if pending && (any || stream) {
                            out.push(id(" "));
                        }
                        pending = false;
                        any = true;
                        out.push(id(LETTERS[(b.to_ascii_lowercase() - b'a') as usize]));
                    } else if spaces {
                        pending = true;
                    }
                }
                if pending && stream {
                    out.push(id(" "));
                }
            }
        }
    }
}

/// The id of `tok` lower-cased into `buf`.
#[cold]
fn lowercase_id(tok: &str, id: &mut impl FnMut(&str) -> u32, buf: &mut String) -> u32 {
    buf.clear();
    buf.extend(tok.chars().flat_map(char::to_lowercase));
    id(buf)
}

/// KenLM's separators: space, tab, CR, LF, NUL. All ASCII, so splitting bytes splits characters.
fn is_kenlm_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\0')
}

/// The position of the first KenLM separator in `b` at or after `i`, or `b.len()`.
///
/// Looks at 8 bytes at a time: a token is a few bytes long, so one word usually holds its end, and the
/// loop branches once per token instead of once per byte. `w - 0x21…21 & !w & 0x80…80` sets the high bit of
/// the lowest byte below 0x21 exactly (higher bytes may be wrong, from the borrow); all separators are below
/// 0x21, and the few other bytes that are (control characters) are stepped over.
fn next_kenlm_space(b: &[u8], mut i: usize) -> usize {
    const LOW: u64 = 0x2121_2121_2121_2121;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = b.get(i..i + 8) {
        let w = u64::from_le_bytes([word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7]]);
        let below = w.wrapping_sub(LOW) & !w & HIGH;
        if below == 0 {
            i += 8;
            continue;
        }
        let j = i + (below.trailing_zeros() / 8) as usize;
        if is_kenlm_space(b[j]) {
            return j;
        }
        i = j + 1;
    }
    while i < b.len() && !is_kenlm_space(b[i]) {
        i += 1;
    }
    i
}

/// The tokens of `whitespace`: maximal runs of bytes that are not KenLM separators.
fn whitespace_tokens<'t>(text: &'t str, mut emit: impl FnMut(&'t str)) {
    let b = text.as_bytes();
    let n = b.len();
    let mut i = 0;
    loop {
        while i < n && is_kenlm_space(b[i]) {
            i += 1;
        }
        if i == n {
            return;
        }
        let start = i;
        i = next_kenlm_space(b, i);
        emit(&text[start..i]);
    }
}

/// ASCII whitespace as UAX#29 and `char::is_whitespace` see it: space, tab, LF, VT, FF, CR.
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// The tokens of `words`: UAX#29 word segments that are not all whitespace, exactly as
/// `split_word_bounds` gives them, with a fast path for ASCII.
///
/// The text is cut before every piece (maximal run without ASCII whitespace) that begins with an ASCII
/// character: UAX#29 always breaks between ASCII whitespace and a following ASCII character (only Extend,
/// Format and ZWJ, none of them ASCII, attach to a preceding space), and no rule looks across whitespace,
/// so the segments on either side do not change. Pieces that are all ASCII are segmented by
/// [`ascii_words`]; stretches with non-ASCII, with the whitespace around them, by `unicode-segmentation`.
fn word_tokens<'t>(text: &'t str, mut emit: impl FnMut(&'t str)) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let full = |from: usize, to: usize, emit: &mut dyn FnMut(&'t str)| {
        for tok in text[from..to].split_word_bounds() {
            if !tok.chars().all(char::is_whitespace) {
                emit(tok);
            }
        }
    };
    // Start of a stretch that needs full UAX#29, if one is open.
    let mut slow: Option<usize> = None;
    let mut i = 0;
    while i < n {
        let ws = i;
        while i < n && is_ascii_space(bytes[i]) {
            i += 1;
        }
        let start = i;
        let mut ascii = true;
        while i < n && !is_ascii_space(bytes[i]) {
            ascii &= bytes[i].is_ascii();
            i += 1;
        }
        if start == i {
            break;
        }
        let cut = bytes[start].is_ascii();
        if cut {
            if let Some(s) = slow.take() {
                full(s, start, &mut emit);
            }
            if ascii {
                ascii_words(&text[start..i], &mut emit);
            } else {
                slow = Some(start);
            }
        } else if slow.is_none() {
            // Take the whitespace before along: an Extend after a space joins it.
            slow = Some(ws);
        }
    }
    if let Some(s) = slow {
        full(s, n, &mut emit);
    }
}

/// Word-break classes of ASCII characters (UAX#29 table 3; Hebrew, Katakana, Regional Indicators, Extend,
/// Format and ZWJ have no ASCII members).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wb {
    Letter,
    Numeric,
    ExtendNumLet,
    MidLetter,
    /// MidNumLet and Single_Quote (MidNumLetQ).
    MidNumLetQ,
    MidNum,
    Other,
}

fn wb(b: u8) -> Wb {
    match b {
        b'A'..=b'Z' | b'a'..=b'z' => Wb::Letter,
        b'0'..=b'9' => Wb::Numeric,
        b'_' => Wb::ExtendNumLet,
        b':' => Wb::MidLetter,
        b'.' | b'\'' => Wb::MidNumLetQ,
        b',' | b';' => Wb::MidNum,
        _ => Wb::Other,
    }
}

/// UAX#29 word segmentation of ASCII text without whitespace (rules WB5–WB13b; everything else breaks).
fn ascii_words<'t>(piece: &'t str, emit: &mut impl FnMut(&'t str)) {
    let b = piece.as_bytes();
    let class = |i: usize| if i < b.len() { wb(b[i]) } else { Wb::Other };
    let mut start = 0;
    for i in 1..b.len() {
        let (prev, cur) = (wb(b[i - 1]), wb(b[i]));
        let before = if i >= 2 { wb(b[i - 2]) } else { Wb::Other };
        let join = match (prev, cur) {
            (Wb::Letter, Wb::Letter) => true,                                           // WB5
            (Wb::Letter, Wb::MidLetter | Wb::MidNumLetQ) => class(i + 1) == Wb::Letter, // WB6
            (Wb::MidLetter | Wb::MidNumLetQ, Wb::Letter) => before == Wb::Letter,       // WB7
            (Wb::Numeric, Wb::Numeric) | (Wb::Letter, Wb::Numeric) | (Wb::Numeric, Wb::Letter) => true, // WB8-10
            (Wb::MidNum | Wb::MidNumLetQ, Wb::Numeric) => before == Wb::Numeric,        // WB11
            (Wb::Numeric, Wb::MidNum | Wb::MidNumLetQ) => class(i + 1) == Wb::Numeric,  // WB12
            (Wb::Letter | Wb::Numeric | Wb::ExtendNumLet, Wb::ExtendNumLet) => true,    // WB13a
            (Wb::ExtendNumLet, Wb::Letter | Wb::Numeric) => true,                       // WB13b
            _ => false,
        };
        if !join {
            emit(&piece[start..i]);
            start = i;
        }
    }
    if start < b.len() {
        emit(&piece[start..]);
    }
}

const LETTERS: [&str; 26] = [
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w",
    "x", "y", "z",
];

/// The token string of a byte: the character itself for printable ASCII other than space, `<0xNN>`
/// otherwise (the convention of SentencePiece's byte fallback).
pub fn byte_name(b: u8) -> &'static str {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        (0..=255u8)
            .map(|b| if b.is_ascii_graphic() { (b as char).to_string() } else { format!("<0x{b:02X}>") })
            .collect()
    });
    &names[b as usize]
}

/// Interned strings, each stored once: the bytes of all of them back to back in one `String`, and an index
/// table whose entries hold each string's first 8 bytes.
///
/// This is the hot path of [`LocalTokens::new`] (one lookup per token), so it avoids what a
/// `HashMap<Box<str>, u32>` costs there: a `get` then an `insert` hashing a new word twice, two heap
/// allocations per new word (key and string list) and as many frees when the map is dropped, and a pointer
/// chase to a scattered heap string for every comparison. Here a word is hashed once, a new word is appended
/// to one buffer, and a word of at most 8 bytes (most tokens) is compared inside its table entry without
/// touching the strings; the table's size, not the strings', decides how much of it stays in cache.
#[derive(Clone, Debug, Default)]
struct Strings {
    /// All strings, concatenated in index order.
    bytes: String,
    /// `ends[i]` is where string `i` ends in `bytes`; it starts where string `i - 1` ends (or at 0).
    ends: Vec<usize>,
    /// The strings that can be found, keyed by [`hash`].
    table: HashTable<Entry>,
}

/// An interned string as the table holds it.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// [`head`] of the string: the whole string when it has at most 8 bytes.
    head: u64,
    len: u32,
    index: u32,
}

/// The first 8 bytes of `b`, or for a shorter `b` its bytes packed into a `u64` so that two strings of the
/// same length get the same value only if they are equal (short reads overlap instead of padding).
fn head(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 8 {
        u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
    } else if n >= 4 {
        let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let hi = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]);
        u64::from(lo) | u64::from(hi) << 32
    } else if n > 0 {
        u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16
    } else {
        0
    }
}

/// The folded multiply of foldhash and wyhash: the high and low halves of the 128-bit product, xored.
fn mix(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

/// The hash of a string of at most 8 bytes from its length and [`head`], without the bytes.
fn hash_short(head: u64, len: usize) -> u64 {
    mix(head ^ 0x243f_6a88_85a3_08d3, (len as u64) ^ 0x1319_8a2e_0370_7344)
}

/// The hash of `b`, 8 bytes at a time; for at most 8 bytes it is [`hash_short`].
///
/// Fixed keys, not a random seed: ids do not depend on the hash, and the input is the user's own corpus.
fn hash(b: &[u8]) -> u64 {
    if b.len() <= 8 {
        return hash_short(head(b), b.len());
    }
    let mut h = b.len() as u64;
    let mut rest = b;
    while rest.len() > 8 {
        h = mix(h ^ head(rest) ^ 0xa409_3822_299f_31d0, 0x082e_fa98_ec4e_6c89);
        rest = &rest[8..];
    }
    mix(h ^ head(rest) ^ 0x4528_21e6_38d0_1377, (rest.len() as u64) ^ 0xbe54_66cf_34e9_0c6c)
}

impl Entry {
    /// Whether the entry is `s`, whose [`head`] is `h`; only strings longer than 8 bytes look at `bytes`.
    fn is(&self, s: &[u8], h: u64, bytes: &str, ends: &[usize]) -> bool {
        self.head == h
            && self.len as usize == s.len()
            && (s.len() <= 8 || {
                let end = ends[self.index as usize];
                bytes.as_bytes()[end - s.len() + 8..end] == s[8..]
            })
    }

    /// The hash of the string, as [`hash`] gives it.
    fn hash(&self, bytes: &str, ends: &[usize]) -> u64 {
        let len = self.len as usize;
        if len <= 8 {
            hash_short(self.head, len)
        } else {
            let end = ends[self.index as usize];
            hash(&bytes.as_bytes()[end - len..end])
        }
    }
}

impl Strings {
    /// Room for about `strings` strings of `bytes` bytes in all.
    fn with_capacity(strings: usize, bytes: usize) -> Strings {
        Strings {
            bytes: String::with_capacity(bytes),
            ends: Vec::with_capacity(strings),
            table: HashTable::with_capacity(strings),
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len() as u32).map(|i| self.get(i))
    }

    /// Appends `s` without making it findable (for the markers that no text maps to); returns its index.
    fn push(&mut self, s: &str) -> u32 {
        let i = u32::try_from(self.ends.len()).expect("fewer than 2^32 strings");
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len());
        i
    }

    /// The index of `s`, if it was interned.
    fn find(&self, s: &str) -> Option<u32> {
        let (s, h) = (s.as_bytes(), head(s.as_bytes()));
        self.table.find(hash(s), |e| e.is(s, h, &self.bytes, &self.ends)).map(|e| e.index)
    }

    /// The index of `s`, appending it if new (hashing it once either way).
    fn intern(&mut self, s: &str) -> u32 {
        let Strings { bytes, ends, table } = self;
        let (b, h) = (s.as_bytes(), head(s.as_bytes()));
        match table.entry(hash(b), |e| e.is(b, h, bytes, ends), |e| e.hash(bytes, ends)) {
            hashbrown::hash_table::Entry::Occupied(e) => e.get().index,
            hashbrown::hash_table::Entry::Vacant(v) => {
                let entry = Entry {
                    head: h,
                    len: u32::try_from(s.len()).expect("a token shorter than 4 GiB"),
                    index: u32::try_from(ends.len()).expect("fewer than 2^32 strings"),
                };
                v.insert(entry);
                bytes.push_str(s);
                ends.push(bytes.len());
                entry.index
            }
        }
    }
}

/// The string ↔ id map. Ids below [`RESERVED`] are the markers.
#[derive(Debug, Clone)]
pub struct Vocab {
    /// Strings by id; of the markers only `<unk>` can be found (literal `<s>` and `</s>` are words).
    strings: Strings,
}

impl Default for Vocab {
    fn default() -> Self {
        Vocab::new()
    }
}

impl Vocab {
    /// A vocabulary holding only the markers.
    pub fn new() -> Vocab {
        let mut strings = Strings::default();
        let unk = strings.intern("<unk>");
        debug_assert_eq!(unk, UNK);
        strings.push("<s>");
        strings.push("</s>");
        Vocab { strings }
    }

    /// The id of `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        self.strings.intern(s)
    }

    /// The id of `s`, or [`UNK`] if it is not in the vocabulary.
    pub fn get(&self, s: &str) -> u32 {
        self.strings.find(s).unwrap_or(UNK)
    }

    /// The id of `s` if it is in the vocabulary.
    pub fn lookup(&self, s: &str) -> Option<u32> {
        self.strings.find(s)
    }

    /// The string of an id.
    pub fn string(&self, id: u32) -> &str {
        self.strings.get(id)
    }

    /// Number of ids, markers included.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Whether only the markers are present.
    pub fn is_empty(&self) -> bool {
        self.strings.len() == RESERVED as usize
    }

    /// Strings in id order.
    pub fn strings(&self) -> impl Iterator<Item = &str> {
        self.strings.iter()
    }
}

/// Word → id lookup against a fixed vocabulary: a [`Vocab`], or one stored in a model file (which answers
/// from its bytes without building a map).
pub trait Lookup: Sync {
    /// The id of `s`, if it is in the vocabulary.
    fn id(&self, s: &str) -> Option<u32>;
}

impl Lookup for Vocab {
    fn id(&self, s: &str) -> Option<u32> {
        self.lookup(s)
    }
}

/// Tokens of one chunk with a chunk-local vocabulary, ready to be merged into a global one.
#[derive(Debug, Default)]
pub struct LocalTokens {
    /// Local strings in local-id order (local id = RESERVED + index).
    strings: Strings,
    /// Token ids, local.
    pub ids: Vec<u32>,
    /// Sentences seen.
    pub sentences: u64,
}

impl LocalTokens {
    /// Tokenizes a chunk into local ids.
    pub fn new(tokenizer: &Tokenizer, text: &str) -> LocalTokens {
        // Guesses from English text (a new word every 50 or so bytes of 4 MiB), to skip most regrowth.
        let mut strings = Strings::with_capacity(text.len() / 64, text.len() / 8);
        let mut ids = Vec::with_capacity(text.len() / 4);
        let sentences =
            tokenizer.tokenize(text, &mut |s| if s == "<unk>" { UNK } else { RESERVED + strings.intern(s) }, &mut ids);
        LocalTokens { strings, ids, sentences }
    }

    /// Local strings in local-id order: the string of local id `RESERVED + i` is the `i`-th.
    pub fn strings(&self) -> impl Iterator<Item = &str> {
        self.strings.iter()
    }

    /// Interns this chunk's strings into `vocab` (in local first-occurrence order) and rewrites the ids.
    pub fn merge_into(mut self, vocab: &mut Vocab) -> (Vec<u32>, u64) {
        let remap: Vec<u32> = self.strings.iter().map(|s| vocab.intern(s)).collect();
        for id in &mut self.ids {
            if *id >= RESERVED {
                *id = remap[(*id - RESERVED) as usize];
            }
        }
        (self.ids, self.sentences)
    }
}

/// The history of position `i` of a token stream: at most `max` tokens before it, not reaching before the
/// sentence's `<s>` (which is included).
pub fn history(tokens: &[u32], i: usize, max: usize) -> &[u32] {
    let mut s = i;
    while s > 0 && i - s < max {
        s -= 1;
        if tokens[s] == BOS {
            break;
        }
    }
    &tokens[s..i]
}

/// Glues the token streams of consecutive chunks of one continuous text ([`Sentences::None`]): for
/// `letters`, a run of non-letters that spans a chunk boundary becomes one space, and the stream neither
/// starts nor ends with a space.
pub fn join_streams(kind: TokenKind, space: Option<u32>, parts: Vec<Vec<u32>>) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for part in parts {
        let mut part = &part[..];
        if let (TokenKind::Letters, Some(sp)) = (kind, space) {
            if out.last() == Some(&sp) && part.first() == Some(&sp) {
                part = &part[1..];
            }
            if out.is_empty() && part.first() == Some(&sp) {
                part = &part[1..];
            }
        }
        out.extend_from_slice(part);
    }
    if kind == TokenKind::Letters && space.is_some() && out.last() == space.as_ref() {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition the fast paths must reproduce: every UAX#29 segment that is not all whitespace.
    fn reference_words(text: &str) -> Vec<&str> {
        text.split_word_bounds().filter(|t| !t.chars().all(char::is_whitespace)).collect()
    }

    fn reference_whitespace(text: &str) -> Vec<&str> {
        text.split([' ', '\t', '\r', '\n', '\0']).filter(|t| !t.is_empty()).collect()
    }

    fn words(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        word_tokens(text, |t| out.push(t));
        out
    }

    fn whitespace(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        whitespace_tokens(text, |t| out.push(t));
        out
    }

    /// Characters that exercise every ASCII word-break class and the non-ASCII cases next to them:
    /// combining marks and ZWJ after spaces, ideographic and no-break spaces, Hebrew, Katakana, regional
    /// indicators, a non-ASCII MidLetter, emoji, NEL.
    const MIXED: &[&str] = &[
        "a",
        "Z",
        "q",
        "7",
        "0",
        "_",
        ":",
        ".",
        "'",
        ",",
        ";",
        "\"",
        "-",
        "!",
        "?",
        "(",
        "$",
        "/",
        "@",
        " ",
        " ",
        "\t",
        "\n",
        "\r",
        "\u{b}",
        "\u{c}",
        "\0",
        "\u{1f}",
        "\u{7f}",
        "é",
        "\u{301}",
        "\u{200d}",
        "\u{3000}",
        "\u{a0}",
        "א",
        "ア",
        "\u{1f1e6}",
        "\u{1f1e8}",
        "·",
        "😀",
        "\u{85}",
        "字",
        "\u{200b}",
        "\u{ad}",
    ];

    fn mixed() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(MIXED), 0..40).prop_map(|v| v.concat())
    }

    fn ascii() -> impl Strategy<Value = String> {
        proptest::collection::vec(0u8..128, 0..60).prop_map(|v| v.into_iter().map(char::from).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn ascii_fast_path_equals_uax29_on_ascii(text in ascii()) {
            prop_assert_eq!(words(&text), reference_words(&text));
            prop_assert_eq!(whitespace(&text), reference_whitespace(&text));
        }

        #[test]
        fn fast_path_equals_uax29_on_mixed_text(text in mixed()) {
            prop_assert_eq!(words(&text), reference_words(&text));
            prop_assert_eq!(whitespace(&text), reference_whitespace(&text));
        }

        #[test]
        fn fast_path_equals_uax29_on_any_text(text in "\\PC{0,30}") {
            prop_assert_eq!(words(&text), reference_words(&text));
            prop_assert_eq!(whitespace(&text), reference_whitespace(&text));
        }
    }

    /// Ids and sentence count of `text` through [`Tokenizer::tokenize`], and through the general per-line
    /// path that [`Tokenizer::whitespace_lines`] replaces for `whitespace`.
    fn lines_both_ways(text: &str, lowercase: bool) -> ((Vec<u32>, u64), (Vec<u32>, u64)) {
        let tok = Tokenizer { kind: TokenKind::Whitespace, lowercase, sentences: Sentences::Lines };
        let mut vocab = Vocab::new();
        let mut fast = Vec::new();
        let n = tok.tokenize(text, &mut |s| vocab.intern(s), &mut fast);
        let (mut general, mut lines) = (Vec::new(), 0);
        for line in text.split_inclusive('\n') {
            let line = line.strip_suffix('\n').unwrap_or(line);
            let line = line.strip_suffix('\r').unwrap_or(line);
            general.push(BOS);
            tok.tokens(line, &mut |s| vocab.intern(s), &mut general);
            general.push(EOS);
            lines += 1;
        }
        ((fast, n), (general, lines))
    }

    /// Interns `words` into a fresh [`Strings`] (grown from empty) and into a `HashMap` reference that
    /// numbers strings in order of first occurrence; checks every index, then every string and lookup.
    fn strings_agree(words: &[String]) -> Result<(), TestCaseError> {
        let mut strings = Strings::default();
        let mut reference: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        for w in words {
            let next = reference.len() as u32;
            let expected = *reference.entry(w.as_str()).or_insert(next);
            prop_assert_eq!(strings.intern(w), expected, "{:?}", w);
        }
        prop_assert_eq!(strings.len(), reference.len());
        for (&w, &i) in &reference {
            prop_assert_eq!(strings.get(i), w);
            prop_assert_eq!(strings.find(w), Some(i));
        }
        Ok(())
    }

    /// Short strings over a tiny alphabet, so that equal heads with different lengths ("abb" and "ab"),
    /// equal first 8 bytes ("aaaaaaaab", "aaaaaaaa"), and the empty string all come up.
    fn near_words() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec("[ab\u{e9}]{0,20}", 0..200)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn whitespace_lines_equal_the_general_path(text in mixed(), lowercase in any::<bool>()) {
            let (fast, general) = lines_both_ways(&text, lowercase);
            prop_assert_eq!(fast, general);
        }

        #[test]
        fn whitespace_lines_equal_the_general_path_on_any_text(text in "\\PC{0,30}", lowercase in any::<bool>()) {
            let (fast, general) = lines_both_ways(&text, lowercase);
            prop_assert_eq!(fast, general);
        }

        #[test]
        fn strings_number_in_first_occurrence_order(words in near_words()) {
            strings_agree(&words)?;
        }
    }

    #[test]
    fn strings_by_hand() {
        let words: Vec<String> =
            ["", "ab", "abb", "abc", "aaaaaaaa", "aaaaaaaab", "aaaaaaaa", "abb", "", "日本語のテキスト"]
                .map(String::from)
                .to_vec();
        strings_agree(&words).unwrap();
        assert_eq!(lines_both_ways("a b\r\n\n c\n", false).0, (vec![BOS, 3, 4, EOS, BOS, EOS, BOS, 5, EOS], 3));
        assert_eq!(lines_both_ways("", false).0, (vec![], 0));
        assert_eq!(lines_both_ways("x", false).0, (vec![BOS, 3, EOS], 1));
    }

    #[test]
    fn local_tokens_merge_in_first_occurrence_order() {
        let tok = Tokenizer { kind: TokenKind::Whitespace, lowercase: false, sentences: Sentences::None };
        let local = LocalTokens::new(&tok, "b a <unk> b c a </s>");
        assert_eq!(local.strings().collect::<Vec<_>>(), ["b", "a", "c", "</s>"]);
        assert_eq!(local.ids, [3, 4, UNK, 3, 5, 4, 6]);
        let mut vocab = Vocab::new();
        vocab.intern("c");
        let (ids, _) = local.merge_into(&mut vocab);
        assert_eq!(ids, [4, 5, UNK, 4, 3, 5, 6]);
        assert_eq!(vocab.strings().collect::<Vec<_>>(), ["<unk>", "<s>", "</s>", "c", "b", "a", "</s>"]);
        assert_eq!((vocab.get("<unk>"), vocab.lookup("<s>"), vocab.get("zzz")), (UNK, None, UNK));
    }

    #[test]
    fn word_rules_by_hand() {
        assert_eq!(
            words("can't stop, 3.14 e.g. a_b 1,000 x:y \"q\""),
            ["can't", "stop", ",", "3.14", "e.g", ".", "a_b", "1,000", "x:y", "\"", "q", "\""]
        );
        // A combining mark after a space joins the space: the segment " \u{301}" is a token.
        assert_eq!(words("a \u{301}b"), reference_words("a \u{301}b"));
        assert_eq!(whitespace("\0a\tb  c\r\n"), ["a", "b", "c"]);
    }

    /// Tokens of `text` as strings, markers included.
    fn tokens(kind: TokenKind, lowercase: bool, sentences: Sentences, text: &str) -> Vec<String> {
        let tok = Tokenizer { kind, lowercase, sentences };
        let mut vocab = Vocab::new();
        let mut ids = Vec::new();
        tok.tokenize(text, &mut |s| vocab.intern(s), &mut ids);
        ids.iter().map(|&i| vocab.string(i).to_string()).collect()
    }

    #[test]
    fn every_kind_by_hand() {
        use Sentences::{Lines, None as Stream};
        let t = "Hello, World!\r\n\nIt's 42.\n";
        assert_eq!(
            tokens(TokenKind::Letters, false, Lines, t),
            [
                "<s>", "h", "e", "l", "l", "o", " ", "w", "o", "r", "l", "d", "</s>", "<s>", "</s>", "<s>", "i", "t",
                " ", "s", "</s>"
            ]
        );
        assert_eq!(tokens(TokenKind::Letters26, false, Stream, "Ab, c!"), ["a", "b", "c"]);
        assert_eq!(tokens(TokenKind::Whitespace, true, Lines, "A\tB\0c\n"), ["<s>", "a", "b", "c", "</s>"]);
        assert_eq!(tokens(TokenKind::Words, false, Lines, "It's 42.\n"), ["<s>", "It's", "42", ".", "</s>"]);
        assert_eq!(tokens(TokenKind::Chars, true, Lines, "Ab c\r\n"), ["<s>", "a", "b", " ", "c", "</s>"]);
        assert_eq!(tokens(TokenKind::Chars, false, Stream, "a\nb"), ["a", "\n", "b"]);
        assert_eq!(tokens(TokenKind::Bytes, false, Stream, "é a"), ["<0xC3>", "<0xA9>", "<0x20>", "a"]);
        // A literal <unk> is the unknown word; literal markers are ordinary words.
        let tok = Tokenizer { kind: TokenKind::Whitespace, lowercase: false, sentences: Stream };
        let local = LocalTokens::new(&tok, "<unk> <s> x");
        assert_eq!(local.ids[0], UNK);
        assert_ne!(local.ids[1], BOS);
    }

    #[test]
    fn letter_streams_join_across_chunks() {
        let tok = Tokenizer { kind: TokenKind::Letters, lowercase: false, sentences: Sentences::None };
        let mut vocab = Vocab::new();
        let parts: Vec<Vec<u32>> = ["  ab, ", "\n, ", "cd!  "]
            .iter()
            .map(|chunk| {
                let mut ids = Vec::new();
                tok.tokenize(chunk, &mut |s| vocab.intern(s), &mut ids);
                ids
            })
            .collect();
        let joined = join_streams(TokenKind::Letters, vocab.lookup(" "), parts);
        let text: String = joined.iter().map(|&i| vocab.string(i)).collect();
        assert_eq!(text, "ab cd", "one space between runs, none at the ends");
    }
}
