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
//! A literal `<unk>` in the text (as in PTB or WikiText) is the unknown word. Literal `<s>` and `</s>` are
//! ordinary words that happen to print like the markers; they never become the markers.

use hashbrown::HashMap;
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

    fn tokens(&self, text: &str, id: &mut impl FnMut(&str) -> u32, out: &mut Vec<u32>) {
        let mut buf = String::new();
        let mut emit = |tok: &str, out: &mut Vec<u32>| {
            if self.lowercase && tok.chars().any(char::is_uppercase) {
                buf.clear();
                buf.extend(tok.chars().flat_map(char::to_lowercase));
                out.push(id(&buf));
            } else {
                out.push(id(tok));
            }
        };
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

/// KenLM's separators: space, tab, CR, LF, NUL. All ASCII, so splitting bytes splits characters.
fn is_kenlm_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\0')
}

/// The tokens of `whitespace`: maximal runs of bytes that are not KenLM separators.
fn whitespace_tokens<'t>(text: &'t str, mut emit: impl FnMut(&'t str)) {
    let bytes = text.as_bytes();
    let mut start = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (is_kenlm_space(b), start) {
            (true, Some(s)) => {
                emit(&text[s..i]);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        emit(&text[s..]);
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

/// The string ↔ id map. Ids below [`RESERVED`] are the markers.
#[derive(Debug, Clone)]
pub struct Vocab {
    strings: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
}

impl Default for Vocab {
    fn default() -> Self {
        Vocab::new()
    }
}

impl Vocab {
    /// A vocabulary holding only the markers.
    pub fn new() -> Vocab {
        let mut ids = HashMap::new();
        ids.insert("<unk>".into(), UNK);
        Vocab { strings: vec!["<unk>".into(), "<s>".into(), "</s>".into()], ids }
    }

    /// The id of `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.strings.len() as u32;
        self.strings.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    /// The id of `s`, or [`UNK`] if it is not in the vocabulary.
    pub fn get(&self, s: &str) -> u32 {
        self.ids.get(s).copied().unwrap_or(UNK)
    }

    /// The id of `s` if it is in the vocabulary.
    pub fn lookup(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    /// The string of an id.
    pub fn string(&self, id: u32) -> &str {
        &self.strings[id as usize]
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
        self.strings.iter().map(|s| &**s)
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
    pub strings: Vec<Box<str>>,
    /// Token ids, local.
    pub ids: Vec<u32>,
    /// Sentences seen.
    pub sentences: u64,
}

impl LocalTokens {
    /// Tokenizes a chunk into local ids.
    pub fn new(tokenizer: &Tokenizer, text: &str) -> LocalTokens {
        let mut map: HashMap<Box<str>, u32> = HashMap::new();
        let mut strings: Vec<Box<str>> = Vec::new();
        let mut ids = Vec::with_capacity(text.len() / 4);
        let sentences = tokenizer.tokenize(
            text,
            &mut |s| {
                if s == "<unk>" {
                    return UNK;
                }
                if let Some(&id) = map.get(s) {
                    return id;
                }
                let id = RESERVED + strings.len() as u32;
                strings.push(s.into());
                map.insert(s.into(), id);
                id
            },
            &mut ids,
        );
        LocalTokens { strings, ids, sentences }
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
