//! Segmentation: how text becomes token strings. The closed set of [`TokenKind`]s, what a sentence is
//! ([`Sentences`]), and the [`Tokenizer`] that combines them, with the fast paths that reproduce UAX#29
//! and KenLM's whitespace splitting byte for byte.
//!
//! A tokenizer never owns a vocabulary: it hands each token string to an `id` callback, so the same code
//! feeds a chunk-local table ([`crate::LocalTokens`]) or a fixed one.
//!
//! ## Special words, as lmplz
//! Of the kinds, only `whitespace` can cut `<s>`, `</s>` or `<unk>` out of text as a token (`words` splits
//! `<s>` into `<`, `s`, `>`; `chars`, `bytes` and the letters give one symbol at a time, and byte names are
//! `<0xNN>`). A literal `<s>` or `</s>` there would be a word printed like a marker — two `<s>` lines in an
//! ARPA file — so, as lmplz does, it is an error ([`LiteralMarker`]), unless
//! [`Tokenizer::skip_symbols`] treats `<s>`, `</s>` and `<unk>` as whitespace (lmplz's `--skip_symbols`).
//! Without it a literal `<unk>` is handed on like any word: callers map it to the unknown word.
//! The check costs one byte comparison per token: only tokens that start with `<` and are short enough to
//! be a marker are looked at further, out of line.

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use crate::hf::TokenizerFile;
use crate::vocab::{BOS, EOS};

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
    /// A Hugging Face `tokenizer.json` (`--tokens tokenizer:PATH`): the tokens an LLM sees, one line at a
    /// time (see [`crate::hf`]). Serialized as `{"tokenizer": {"file": NAME, "sha256": HEX}}`.
    Tokenizer(TokenizerFile),
}

impl TokenKind {
    /// The built-in kinds (all but [`TokenKind::Tokenizer`], which needs a file), for help texts and errors.
    pub const ALL: [TokenKind; 6] = [
        TokenKind::Whitespace,
        TokenKind::Words,
        TokenKind::Chars,
        TokenKind::Bytes,
        TokenKind::Letters,
        TokenKind::Letters26,
    ];

    /// The name used on the command line and in reports: `tokenizer:NAME` for a tokenizer file (its file
    /// name, not its path).
    pub fn name(self) -> &'static str {
        match self {
            TokenKind::Whitespace => "whitespace",
            TokenKind::Words => "words",
            TokenKind::Chars => "chars",
            TokenKind::Bytes => "bytes",
            TokenKind::Letters => "letters",
            TokenKind::Letters26 => "letters26",
            TokenKind::Tokenizer(file) => file.label(),
        }
    }

    /// How messages and tables name it: the kind's name, or `tokenizer:NAME (sha256 0123456789ab…)`.
    pub fn label(self) -> String {
        match self {
            TokenKind::Tokenizer(file) => file.describe(),
            _ => self.name().to_string(),
        }
    }

    /// Parses the name of a built-in kind; `None` for an unknown one (`tokenizer:PATH` needs its file loaded:
    /// [`TokenizerFile::load`]).
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
    /// Treat literal `<s>`, `</s>` and `<unk>` tokens as whitespace, as lmplz's `--skip_symbols` does;
    /// without it a literal `<s>` or `</s>` is an error (see the module doc). Serialized only when set, so
    /// reports written without it keep their bytes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_symbols: bool,
}

/// A sentence marker: what a literal one in the text would be mistaken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// `<s>`.
    Start,
    /// `</s>`.
    End,
}

impl Marker {
    /// The marker as text: `<s>` or `</s>`.
    pub fn text(self) -> &'static str {
        match self {
            Marker::Start => "<s>",
            Marker::End => "</s>",
        }
    }

    /// What it is, for messages: "sentence-start marker".
    pub fn role(self) -> &'static str {
        match self {
            Marker::Start => "sentence-start marker",
            Marker::End => "sentence-end marker",
        }
    }
}

/// A literal `<s>` or `</s>` token met by [`Tokenizer::tokenize`] without [`Tokenizer::skip_symbols`]: the
/// first one of the text, and where it starts in the text that was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiteralMarker {
    /// Which marker.
    pub marker: Marker,
    /// Byte offset of the token in the text given to [`Tokenizer::tokenize`].
    pub offset: usize,
}

/// Why [`Tokenizer::tokenize`] stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenizeError {
    /// A literal `<s>` or `</s>` token without [`Tokenizer::skip_symbols`].
    Literal(LiteralMarker),
    /// A Hugging Face tokenizer that is not loaded, or failed on the text: the message, in one line.
    Tokenizer(String),
}

impl From<LiteralMarker> for TokenizeError {
    fn from(m: LiteralMarker) -> TokenizeError {
        TokenizeError::Literal(m)
    }
}

/// The longest token that can lower-case to a marker or `<unk>`: `<un` + KELVIN SIGN (3 bytes, lower case
/// `k`) + `>`. Without lower-casing a marker is at most 5 bytes.
const MAX_MARKER_BYTES: usize = 7;

impl Tokenizer {
    /// Tokenizes one chunk of text, calling `id` to turn each token string into an id and appending ids
    /// (with sentence markers) to `out`. Returns the number of sentences (lines) seen, or the first literal
    /// `<s>` or `</s>` token when [`Tokenizer::skip_symbols`] is off (with `out` left part-way).
    ///
    /// In [`Sentences::None`] mode, chunks are pieces of one stream: [`crate::join_streams`] glues their
    /// outputs.
    pub fn tokenize(
        &self,
        text: &str,
        id: &mut impl FnMut(&str) -> u32,
        out: &mut Vec<u32>,
    ) -> Result<u64, TokenizeError> {
        match self.sentences {
            Sentences::Lines if self.kind == TokenKind::Whitespace => Ok(self.whitespace_lines(text, id, out)?),
            Sentences::Lines => {
                let (mut lines, mut start) = (0, 0);
                for whole in text.split_inclusive('\n') {
                    let line = whole.strip_suffix('\n').unwrap_or(whole);
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    out.push(BOS);
                    self.tokens(line, id, out).map_err(|e| match e {
                        TokenizeError::Literal(m) => {
                            TokenizeError::Literal(LiteralMarker { offset: start + m.offset, ..m })
                        }
                        other => other,
                    })?;
                    out.push(EOS);
                    lines += 1;
                    start += whole.len();
                }
                Ok(lines)
            }
            Sentences::None => {
                self.tokens(text, id, out)?;
                Ok(0)
            }
        }
    }

    /// `whitespace` with lines as sentences in one pass over the bytes: a line's `\r` is a separator anyway,
    /// so only `\n` needs looking at, and the per-line split of [`Tokenizer::tokenize`] (a second pass) is
    /// not needed. Same output as that path.
    fn whitespace_lines(
        &self,
        text: &str,
        id: &mut impl FnMut(&str) -> u32,
        out: &mut Vec<u32>,
    ) -> Result<u64, LiteralMarker> {
        let b = text.as_bytes();
        let n = b.len();
        if n == 0 {
            return Ok(0);
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
            self.emit_word(&text[start..i], start, id, &mut buf, out)?;
        }
        if b[n - 1] != b'\n' {
            out.push(EOS);
            lines += 1;
        }
        Ok(lines)
    }

    /// [`Tokenizer::emit`] for a `whitespace` token that starts at byte `at` of the text: a token that may be
    /// a marker or `<unk>` (it starts with `<` and is short) goes to [`Tokenizer::angle`].
    #[inline]
    fn emit_word(
        &self,
        tok: &str,
        at: usize,
        id: &mut impl FnMut(&str) -> u32,
        buf: &mut String,
        out: &mut Vec<u32>,
    ) -> Result<(), LiteralMarker> {
        if tok.as_bytes()[0] == b'<' && tok.len() <= MAX_MARKER_BYTES {
            return self.angle(tok, at, id, buf, out);
        }
        self.emit(tok, id, buf, out);
        Ok(())
    }

    /// A short token starting with `<`, lower-cased first if asked: `<s>` and `</s>` are an error, or with
    /// [`Tokenizer::skip_symbols`] whitespace, as `<unk>` is then; anything else is a word.
    #[cold]
    #[inline(never)]
    fn angle(
        &self,
        tok: &str,
        at: usize,
        id: &mut impl FnMut(&str) -> u32,
        buf: &mut String,
        out: &mut Vec<u32>,
    ) -> Result<(), LiteralMarker> {
        let word = if self.lowercase && tok.chars().any(folds) {
            buf.clear();
            buf.extend(tok.chars().flat_map(char::to_lowercase));
            buf.as_str()
        } else {
            tok
        };
        let marker = match word {
            "<s>" => Marker::Start,
            "</s>" => Marker::End,
            "<unk>" if self.skip_symbols => return Ok(()),
            _ => {
                out.push(id(word));
                return Ok(());
            }
        };
        if self.skip_symbols {
            Ok(())
        } else {
            Err(LiteralMarker { marker, offset: at })
        }
    }

    /// A tokenizer file's token as it is (lower-casing, if asked, was done to the text: a byte-level token's
    /// `Ġ` must not fold), with the marker rules of [`Tokenizer::angle`].
    fn emit_exact(
        &self,
        tok: &str,
        at: usize,
        id: &mut impl FnMut(&str) -> u32,
        out: &mut Vec<u32>,
    ) -> Result<(), LiteralMarker> {
        let marker = match tok {
            "<s>" => Marker::Start,
            "</s>" => Marker::End,
            "<unk>" if self.skip_symbols => return Ok(()),
            _ => {
                out.push(id(tok));
                return Ok(());
            }
        };
        if self.skip_symbols {
            Ok(())
        } else {
            Err(LiteralMarker { marker, offset: at })
        }
    }

    /// Appends the id of `tok`, lower-cased into `buf` first if asked and needed. Inlined into the token
    /// loops, with lower-casing out of line, as this runs once per token.
    #[inline]
    fn emit(&self, tok: &str, id: &mut impl FnMut(&str) -> u32, buf: &mut String, out: &mut Vec<u32>) {
        if self.lowercase && tok.chars().any(folds) {
            out.push(lowercase_id(tok, id, buf));
        } else {
            out.push(id(tok));
        }
    }

    /// The tokens of `text`, which holds no sentence markers; a literal marker is reported at its offset in
    /// `text`.
    fn tokens(&self, text: &str, id: &mut impl FnMut(&str) -> u32, out: &mut Vec<u32>) -> Result<(), TokenizeError> {
        let mut buf = String::new();
        let mut emit = |tok: &str, out: &mut Vec<u32>| self.emit(tok, id, &mut buf, out);
        match self.kind {
            // The kinds that can cut a marker out of text.
            TokenKind::Whitespace => {
                return Ok(whitespace_tokens(text, |at, tok| self.emit_word(tok, at, id, &mut buf, out))?);
            }
            TokenKind::Tokenizer(file) => {
                // One line at a time, with its line end, also in a stream: chunks are cut at line ends, so
                // tokens do not depend on the chunking. Lower-casing folds the text before it is encoded.
                let mut start = 0;
                for piece in text.split_inclusive('\n') {
                    let folded;
                    let piece_text = if self.lowercase && piece.chars().any(folds) {
                        folded = piece.to_lowercase();
                        folded.as_str()
                    } else {
                        piece
                    };
                    file.segment(piece_text, |at, tok| {
                        if tok.is_empty() {
                            // Text the tokenizer dropped: the unknown word.
                            out.push(id("<unk>"));
                            return Ok(());
                        }
                        self.emit_exact(tok, start + at, id, out)
                    })
                    .map_err(TokenizeError::Tokenizer)??;
                    start += piece.len();
                }
            }
            TokenKind::Words => word_tokens(text, |tok| emit(tok, out)),
            TokenKind::Chars => {
                let mut s = [0u8; 4];
                for c in text.chars() {
                    emit(c.encode_utf8(&mut s), out);
                }
            }
            // Byte and letter ids are asked of `id` once each (it only maps strings to ids), then remembered:
            // interning a string per byte was most of the time these take.
            TokenKind::Bytes => {
                let mut known = [None; 256];
                for &b in text.as_bytes() {
                    out.push(*known[b as usize].get_or_insert_with(|| id(byte_name(b))));
                }
            }
            TokenKind::Letters | TokenKind::Letters26 => {
                let spaces = self.kind == TokenKind::Letters;
                // In a stream, a chunk keeps its leading and trailing runs as spaces: the neighbouring chunk
                // may continue with a letter. `join_streams` merges and trims them.
                let stream = self.sentences == Sentences::None;
                let (mut pending, mut any) = (false, false);
                // Ids of a–z, then of the space.
                let mut known = [None; 27];
                for &b in text.as_bytes() {
                    if b.is_ascii_alphabetic() {
                        if pending && (any || stream) {
                            out.push(*known[26].get_or_insert_with(|| id(" ")));
                        }
                        pending = false;
                        any = true;
                        let k = (b.to_ascii_lowercase() - b'a') as usize;
                        out.push(*known[k].get_or_insert_with(|| id(LETTERS[k])));
                    } else if spaces {
                        pending = true;
                    }
                }
                if pending && stream {
                    out.push(*known[26].get_or_insert_with(|| id(" ")));
                }
            }
        }
        Ok(())
    }
}

/// Whether lower-casing changes `c`: upper case letters, but also the titlecase digraphs (`ǅ`, `ǈ`, `ǋ`,
/// `ǲ`) and Greek capitals with prosgegrammeni (`ᾈ`), which `char::is_uppercase` does not count.
#[inline]
fn folds(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_uppercase()
    } else {
        c.to_lowercase().ne([c])
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

/// The tokens of `whitespace`: maximal runs of bytes that are not KenLM separators, each with its offset;
/// stops at the first error `emit` returns.
fn whitespace_tokens<'t, E>(text: &'t str, mut emit: impl FnMut(usize, &'t str) -> Result<(), E>) -> Result<(), E> {
    let b = text.as_bytes();
    let n = b.len();
    let mut i = 0;
    loop {
        while i < n && is_kenlm_space(b[i]) {
            i += 1;
        }
        if i == n {
            return Ok(());
        }
        let start = i;
        i = next_kenlm_space(b, i);
        emit(start, &text[start..i])?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LocalTokens, Vocab, RESERVED, UNK};
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
        whitespace_tokens(text, |_, t| {
            out.push(t);
            Ok::<(), ()>(())
        })
        .unwrap();
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
        let tok =
            Tokenizer { kind: TokenKind::Whitespace, lowercase, sentences: Sentences::Lines, skip_symbols: false };
        let mut vocab = Vocab::new();
        let mut fast = Vec::new();
        let n = tok.tokenize(text, &mut |s| vocab.intern(s), &mut fast).unwrap();
        let (mut general, mut lines) = (Vec::new(), 0);
        for line in text.split_inclusive('\n') {
            let line = line.strip_suffix('\n').unwrap_or(line);
            let line = line.strip_suffix('\r').unwrap_or(line);
            general.push(BOS);
            tok.tokens(line, &mut |s| vocab.intern(s), &mut general).unwrap();
            general.push(EOS);
            lines += 1;
        }
        ((fast, n), (general, lines))
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

    }

    /// Found by fuzzing (`shannon-fuzz tokens`): `--lowercase` left titlecase letters as they were, as
    /// `char::is_uppercase` is false for them.
    #[test]
    fn lowercase_folds_titlecase_letters() {
        for kind in [TokenKind::Whitespace, TokenKind::Words, TokenKind::Chars] {
            let folded = tokens(kind, true, Sentences::None, "ǅungla ǈ ᾈ");
            assert!(folded.iter().all(|t| !t.contains(['ǅ', 'ǈ', 'ᾈ'])), "{kind:?}: {folded:?}");
        }
        assert_eq!(tokens(TokenKind::Whitespace, true, Sentences::None, "ǅungla Σ"), ["ǆungla", "σ"]);
        // A short token starting with `<` takes the marker check's path, which folds the same way (found by
        // the tokens fuzz target in CI: `</ǈ` kept its titlecase letter).
        assert_eq!(tokens(TokenKind::Whitespace, true, Sentences::None, "</ǈ <Ǆ"), ["</ǉ", "<ǆ"]);
    }

    #[test]
    fn whitespace_lines_by_hand() {
        assert_eq!(lines_both_ways("a b\r\n\n c\n", false).0, (vec![BOS, 3, 4, EOS, BOS, EOS, BOS, 5, EOS], 3));
        assert_eq!(lines_both_ways("", false).0, (vec![], 0));
        assert_eq!(lines_both_ways("x", false).0, (vec![BOS, 3, EOS], 1));
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
        let tok = Tokenizer { kind, lowercase, sentences, skip_symbols: false };
        let mut vocab = Vocab::new();
        let mut ids = Vec::new();
        tok.tokenize(text, &mut |s| vocab.intern(s), &mut ids).unwrap();
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
        // A literal <unk> is the unknown word.
        let tok = Tokenizer { kind: TokenKind::Whitespace, lowercase: false, sentences: Stream, skip_symbols: false };
        let local = LocalTokens::new(&tok, "<unk> x <unk>").unwrap();
        assert_eq!(local.ids, [UNK, RESERVED, UNK]);
        // No other kind cuts a marker out of text, so none refuses one.
        for kind in [TokenKind::Words, TokenKind::Chars, TokenKind::Bytes, TokenKind::Letters] {
            let cut = tokens(kind, true, Stream, "<s> </s> <unk>\n");
            assert!(!cut.iter().any(|t| ["<s>", "</s>", "<unk>"].contains(&t.as_str())), "{kind:?}: {cut:?}");
        }
    }

    /// The tokens of `text` as strings, or the first literal marker.
    fn special(text: &str, lowercase: bool, sentences: Sentences, skip: bool) -> Result<Vec<String>, TokenizeError> {
        let tok = Tokenizer { kind: TokenKind::Whitespace, lowercase, sentences, skip_symbols: skip };
        let mut vocab = Vocab::new();
        let mut ids = Vec::new();
        tok.tokenize(text, &mut |s| vocab.intern(s), &mut ids)?;
        Ok(ids.iter().map(|&i| vocab.string(i).to_string()).collect())
    }

    #[test]
    fn literal_markers_are_refused_at_their_offset_or_skipped() {
        use Sentences::{Lines, None as Stream};
        let at = |marker, offset| Err(TokenizeError::Literal(LiteralMarker { marker, offset }));
        let text = "a <b>\nc <s> d </s>\n";
        assert_eq!(special(text, false, Lines, false), at(Marker::Start, 8));
        assert_eq!(special(text, false, Stream, false), at(Marker::Start, 8));
        assert_eq!(special("x\t</s>", false, Lines, false), at(Marker::End, 2));
        assert_eq!(special(text, false, Lines, true).unwrap(), ["<s>", "a", "<b>", "</s>", "<s>", "c", "d", "</s>"]);
        // <unk> is the unknown word unless skipped; tokens that only look like markers are words.
        let text = "<unk> <s/> <S> </S> < <s>> <unk>s\n";
        assert_eq!(special(text, false, Lines, false).unwrap()[1..3], ["<unk>", "<s/>"]);
        assert_eq!(
            special(text, false, Lines, true).unwrap()[1..],
            ["<s/>", "<S>", "</S>", "<", "<s>>", "<unk>s", "</s>"]
        );
        // Lower-casing happens first: <S> becomes <s>, and <UNK> (or <un> with a KELVIN SIGN) becomes <unk>.
        assert_eq!(special("<UNK> </S>", true, Stream, false), at(Marker::End, 6));
        assert_eq!(special("a <UNK> </S> <un\u{212a}> <S> b", true, Stream, true).unwrap(), ["a", "b"]);
        assert_eq!(special("<UNK>", true, Stream, false).unwrap(), ["<unk>"]);
    }

    /// Pieces that make marker-like tokens and every way to separate them.
    fn marker_text() -> impl Strategy<Value = String> {
        const PIECES: &[&str] =
            &["<s>", "</s>", "<unk>", "<S>", "<UNK>", "<", ">", "/", "s", "a", " ", "\n", "\t", "\r\n", "\0"];
        proptest::collection::vec(proptest::sample::select(PIECES), 0..30).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// With `skip_symbols` the tokens are KenLM's split without the three words; without it, the text is
        /// refused at its first `<s>` or `</s>`, or tokenized as before.
        #[test]
        fn markers_are_whitespace_or_refused_at_the_first(text in marker_text(), lowercase in any::<bool>()) {
            let fold = |t: &str| if lowercase { t.to_lowercase() } else { t.to_string() };
            let words: Vec<String> = reference_whitespace(&text).into_iter().map(fold).collect();
            let skipped = special(&text, lowercase, Sentences::None, true).unwrap();
            let kept: Vec<&String> = words.iter().filter(|w| !["<s>", "</s>", "<unk>"].contains(&w.as_str())).collect();
            prop_assert_eq!(skipped.iter().collect::<Vec<_>>(), kept);
            let first = words.iter().position(|w| w == "<s>" || w == "</s>");
            for sentences in [Sentences::None, Sentences::Lines] {
                match (special(&text, lowercase, sentences, false), first) {
                    (Err(TokenizeError::Literal(m)), Some(i)) => {
                        let offset = whitespace(&text)[i].as_ptr() as usize - text.as_ptr() as usize;
                        prop_assert_eq!(m.offset, offset);
                        prop_assert_eq!(m.marker.text(), words[i].as_str());
                    }
                    (Ok(_), None) => {}
                    (got, want) => prop_assert!(false, "{:?} for the marker at {:?}", got, want),
                }
            }
        }
    }
}
