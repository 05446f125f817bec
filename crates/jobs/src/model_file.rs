//! Opening every model file shannon reads: shannon's binary format (memory-mapped, queried in place) or
//! ARPA text from shannon, KenLM or SRILM — plain, or compressed with gzip, xz, zstd or bzip2 — recognised
//! by its first bytes, not its name.

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
