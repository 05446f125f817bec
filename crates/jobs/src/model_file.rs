//! Opening every model file shannon reads: shannon's binary format (memory-mapped, queried in place) or
//! ARPA text from shannon, KenLM or SRILM — plain, or compressed with gzip, xz, zstd or bzip2 — recognised
//! by its first bytes, not its name.

use std::borrow::Cow;
use std::path::Path;

use shannon_corpus::Source;
use shannon_model::binary::{self, Mapped};
use shannon_model::{arpa, LanguageModel, Model};
use shannon_tokens::{Tokenizer, Vocab};

use crate::{Error, Result};

/// A model file, opened.
pub enum Loaded {
    /// ARPA text (plain or compressed), read into memory.
    Arpa {
        /// Its vocabulary.
        vocab: Vocab,
        /// The model, in backoff form.
        model: Model,
        /// How its training text was tokenized, when the file says (a `# shannon-tokenizer` line).
        tokenizer: Option<Tokenizer>,
    },
    /// shannon's binary format, memory-mapped and queried in place.
    Binary(Mapped<Source>),
}

impl Loaded {
    /// The model order.
    pub fn order(&self) -> usize {
        match self {
            Loaded::Arpa { model, .. } => model.order(),
            Loaded::Binary(m) => m.order(),
        }
    }

    /// How the model's training text was tokenized, when the file records it (every file shannon writes
    /// does; KenLM's and SRILM's do not).
    pub fn tokenizer(&self) -> Option<Tokenizer> {
        match self {
            Loaded::Arpa { tokenizer, .. } => *tokenizer,
            Loaded::Binary(m) => m.tokenizer(),
        }
    }

    /// N-grams stored per order.
    pub fn ngrams(&self) -> Vec<u64> {
        match self {
            Loaded::Arpa { model, .. } => model.summary().ngrams.clone(),
            Loaded::Binary(m) => m.ngrams().to_vec(),
        }
    }

    /// What a report says of the model read from `path`: its order, n-grams per order and format.
    pub fn file(&self, path: &Path) -> shannon_report::ModelFile {
        let format = match self {
            Loaded::Arpa { .. } => "arpa",
            Loaded::Binary(m) => match m.precision() {
                shannon_model::binary::Precision::F64 => "binary",
                shannon_model::binary::Precision::F32 => "binary-f32",
            },
        };
        shannon_report::ModelFile {
            path: path.display().to_string(),
            order: self.order(),
            ngrams: self.ngrams(),
            format: format.into(),
        }
    }

    /// The model in memory: an ARPA model as it is, a binary one thawed (for writing, pruning, sampling).
    pub fn into_model(self) -> Result<(Vocab, Model)> {
        match self {
            Loaded::Arpa { vocab, model, .. } => Ok((vocab, model)),
            Loaded::Binary(m) => Ok(m.thaw()?),
        }
    }
}

/// Opens a model file, recognised by its first bytes: shannon's binary format (memory-mapped; opening it
/// costs the same for any model size), or ARPA text — plain, or compressed with gzip, xz, zstd or bzip2.
pub fn load(path: &Path) -> Result<Loaded> {
    let source = Source::open(path).map_err(|e| Error::from(e).context("cannot open model"))?;
    if binary::is_binary(source.as_ref()) {
        let mapped = Mapped::new(source)
            .map_err(|e| Error::ModelFile { file: path.display().to_string(), source: Box::new(e.into()) })?;
        return Ok(Loaded::Binary(mapped));
    }
    if !looks_like_arpa(source.as_ref()) {
        return Err(Error::Input(format!(
            "{}: not a model file: neither shannon's binary format nor ARPA text (no \\data\\ line in its first \
             {} KiB)",
            path.display(),
            ARPA_HEADER_WITHIN >> 10
        )));
    }
    let (vocab, model) = arpa::parse(source.as_ref()).map_err(|e| {
        let file = match source.compression() {
            shannon_corpus::Compression::None => path.display().to_string(),
            how => format!("{} (decompressed {})", path.display(), how.name()),
        };
        Error::ModelFile { file, source: Box::new(e.into()) }
    })?;
    let tokenizer = recorded_tokenizer(source.as_ref());
    let vocab = if records_escapes(source.as_ref()) {
        unescape_vocab(&vocab).map_err(|e| Error::Input(format!("{}: {e}", path.display())))?
    } else {
        vocab
    };
    Ok(Loaded::Arpa { vocab, model, tokenizer })
}

/// The comment line by which an ARPA file records its tokenizer, before `\data\` (KenLM's reader skips
/// lines that start with `#` there, as ours skips everything before it).
const TOKENIZER_COMMENT: &str = "# shannon-tokenizer ";

/// The line that records `tokenizer` in an ARPA file: `# shannon-tokenizer {"kind":…}` and a newline.
pub fn arpa_comment(tokenizer: &Tokenizer) -> String {
    // A `Tokenizer` of enums and booleans always serializes.
    format!("{TOKENIZER_COMMENT}{}\n", serde_json::to_string(tokenizer).unwrap_or_default())
}

/// The comment line by which an ARPA file says that its tokens were written with every whitespace character
/// as `<U+XXXX>` (its code point in hex). ARPA separates fields by whitespace, so a character
/// model's space token cannot be written as itself; KenLM and SRILM read the escaped form as a word like
/// any other.
const ESCAPES_COMMENT: &str = "# shannon-escapes <U+XXXX>";

/// Whether an ARPA file must spell `c` escaped: whitespace separates its fields and lines (other control
/// characters, such as the Ctrl-Z at the end of Canterbury's alice29.txt, are written as they are).
fn needs_escape(c: char) -> bool {
    c.is_whitespace()
}

/// What an ARPA file written for `vocab` starts with — its tokenizer's comment line (when known) and, when a
/// token holds whitespace, the escapes line — and the vocabulary as the file spells
/// it. A vocabulary that needs escapes and also holds a literal `<U+` could not be read back as written:
/// that is an error (the binary format stores any token).
pub fn arpa_preamble<'v>(tokenizer: Option<&Tokenizer>, vocab: &'v Vocab) -> Result<(String, Cow<'v, Vocab>)> {
    let mut preamble = tokenizer.map(arpa_comment).unwrap_or_default();
    if !vocab.strings().any(|s| s.chars().any(needs_escape)) {
        return Ok((preamble, Cow::Borrowed(vocab)));
    }
    if let Some(s) = vocab.strings().find(|s| s.contains("<U+")) {
        return Err(Error::Input(format!(
            "the vocabulary has tokens with whitespace, which ARPA text writes as <U+XXXX>, and also the token              {s:?}, which would read back as an escape: write this model with --format binary"
        )));
    }
    let mut escaped = Vocab::new();
    for s in vocab.strings().skip(shannon_tokens::RESERVED as usize) {
        let mut e = String::with_capacity(s.len());
        for c in s.chars() {
            if needs_escape(c) {
                e.push_str(&format!("<U+{:04X}>", c as u32));
            } else {
                e.push(c);
            }
        }
        escaped.intern(&e);
    }
    preamble.push_str(ESCAPES_COMMENT);
    preamble.push('\n');
    Ok((preamble, Cow::Owned(escaped)))
}

/// Whether an ARPA file says, before `\data\`, that its tokens are escaped ([`arpa_preamble`]).
fn records_escapes(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(ARPA_HEADER_WITHIN)];
    head.split(|&b| b == b'\n')
        .take_while(|line| line.trim_ascii() != b"\\data\\")
        .any(|line| line.trim_ascii() == ESCAPES_COMMENT.as_bytes())
}

/// `vocab` with every `<U+XXXX>` escape turned back into its character, ids kept.
fn unescape_vocab(vocab: &Vocab) -> std::result::Result<Vocab, String> {
    let mut plain = Vocab::new();
    for (id, s) in vocab.strings().enumerate().skip(shannon_tokens::RESERVED as usize) {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(at) = rest.find("<U+") {
            out.push_str(&rest[..at]);
            let tail = &rest[at + 3..];
            let c = tail
                .split_once('>')
                .and_then(|(hex, _)| u32::from_str_radix(hex, 16).ok().filter(|_| (1..=6).contains(&hex.len())))
                .and_then(char::from_u32)
                .ok_or_else(|| {
                    format!("token {s:?} has a malformed <U+XXXX> escape (the file says its tokens are escaped)")
                })?;
            out.push(c);
            rest = &tail[tail.find('>').expect("found above") + 1..];
        }
        out.push_str(rest);
        if plain.intern(&out) as usize != id {
            return Err(format!("tokens {out:?} and another read back as the same token after unescaping"));
        }
    }
    Ok(plain)
}

/// The tokenizer an ARPA file records in a comment before `\data\`, if it has one.
fn recorded_tokenizer(bytes: &[u8]) -> Option<Tokenizer> {
    let head = &bytes[..bytes.len().min(ARPA_HEADER_WITHIN)];
    head.split(|&b| b == b'\n')
        .take_while(|line| line.trim_ascii() != b"\\data\\")
        .find_map(|line| line.trim_ascii().strip_prefix(TOKENIZER_COMMENT.trim_end().as_bytes()))
        .and_then(|json| serde_json::from_slice(json.trim_ascii()).ok())
}

/// How far into a file an ARPA header (`\data\` at the start of a line) is looked for before the file is
/// called something else: ARPA files open with it, after at most a few blank or comment lines.
const ARPA_HEADER_WITHIN: usize = 64 << 10;

/// Whether `bytes` have a `\data\` line within [`ARPA_HEADER_WITHIN`] bytes, as ARPA text does.
pub(crate) fn looks_like_arpa(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(ARPA_HEADER_WITHIN)];
    head.split(|&b| b == b'\n').any(|line| line.trim_ascii() == b"\\data\\")
}

/// Loads a model file into memory (a binary one thawed), for the jobs that need the whole model, with the
/// tokenizer it records.
pub fn load_model(path: &Path) -> Result<(Vocab, Model, Option<Tokenizer>)> {
    let loaded = load(path)?;
    let tokenizer = loaded.tokenizer();
    let (vocab, model) = loaded.into_model().map_err(|e| e.context(path.display().to_string()))?;
    Ok((vocab, model, tokenizer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arpa_comment_records_the_tokenizer() {
        let t = Tokenizer {
            kind: shannon_tokens::TokenKind::Whitespace,
            lowercase: true,
            sentences: shannon_tokens::Sentences::Lines,
            skip_symbols: false,
        };
        let text = format!("{}\n\\data\\\nngram 1=3\n", arpa_comment(&t));
        assert_eq!(recorded_tokenizer(text.as_bytes()), Some(t));
        assert_eq!(recorded_tokenizer(b"\n\\data\\\n# shannon-tokenizer {}\n"), None);
    }

    #[test]
    fn escaped_tokens_read_back_as_written() {
        let mut vocab = Vocab::new();
        for w in ["a", " ", "\t", "x y", "\u{3000}", "\u{1}", "é", "\u{85}"] {
            vocab.intern(w);
        }
        let (preamble, escaped) = arpa_preamble(None, &vocab).unwrap();
        assert_eq!(preamble, format!("{ESCAPES_COMMENT}\n"));
        let spelled: Vec<&str> = escaped.strings().collect();
        assert_eq!(spelled[3..], ["a", "<U+0020>", "<U+0009>", "x<U+0020>y", "<U+3000>", "\u{1}", "é", "<U+0085>"]);
        assert!(escaped.strings().all(|s| !s.chars().any(needs_escape)));
        let back = unescape_vocab(&escaped).unwrap();
        assert!(back.strings().eq(vocab.strings()));
        assert!(records_escapes(format!("{preamble}\\data\\\n").as_bytes()));
        assert!(!records_escapes(format!("\\data\\\n{preamble}").as_bytes()));
        // Nothing to escape: nothing changes, no line.
        let mut words = Vocab::new();
        words.intern("<U+0020>");
        let (preamble, same) = arpa_preamble(None, &words).unwrap();
        assert!(preamble.is_empty() && matches!(same, Cow::Borrowed(_)));
        // A literal escape beside tokens that need one could not be read back: refused.
        words.intern(" ");
        let Err(e) = arpa_preamble(None, &words) else { panic!("an ambiguous vocabulary was written") };
        let e = e.to_string();
        assert!(e.contains("--format binary"), "{e}");
        // Broken escapes.
        for bad in ["<U+>", "<U+ZZ>", "<U+1234567>", "<U+D800>", "<U+41"] {
            let mut v = Vocab::new();
            v.intern(bad);
            assert!(unescape_vocab(&v).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_text_file_is_not_a_model() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.txt");
        std::fs::write(&path, "It was the best of times.\nIt was the worst of times.\n").unwrap();
        let e = load(&path).err().expect("not a model");
        assert!(e.to_string().contains("not a model file"), "{e}");
        assert!(looks_like_arpa(b"\n\\data\\\nngram 1=1\n"));
        assert!(looks_like_arpa(b"# shannon\r\n\\data\\\r\n"));
    }
}
