//! Opening every model file shannon reads: shannon's binary format (memory-mapped, queried in place) or
//! ARPA text from shannon, KenLM or SRILM — plain, or compressed with gzip, xz, zstd or bzip2 — recognised
//! by its first bytes, not its name.

use std::path::Path;

use shannon_corpus::Source;
use shannon_model::binary::{self, Mapped};
use shannon_model::{arpa, LanguageModel, Model};
use shannon_tokens::Vocab;

use crate::{Error, Result};

/// A model file, opened.
pub enum Loaded {
    /// ARPA text (plain or compressed), read into memory.
    Arpa {
        /// Its vocabulary.
        vocab: Vocab,
        /// The model, in backoff form.
        model: Model,
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
            Loaded::Arpa { vocab, model } => Ok((vocab, model)),
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
    Ok(Loaded::Arpa { vocab, model })
}

/// How far into a file an ARPA header (`\data\` at the start of a line) is looked for before the file is
/// called something else: ARPA files open with it, after at most a few blank or comment lines.
const ARPA_HEADER_WITHIN: usize = 64 << 10;

/// Whether `bytes` have a `\data\` line within [`ARPA_HEADER_WITHIN`] bytes, as ARPA text does.
fn looks_like_arpa(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(ARPA_HEADER_WITHIN)];
    head.split(|&b| b == b'\n').any(|line| line.trim_ascii() == b"\\data\\")
}

/// Loads a model file into memory (a binary one thawed), for the jobs that need the whole model.
pub fn load_model(path: &Path) -> Result<(Vocab, Model)> {
    load(path)?.into_model().map_err(|e| e.context(path.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
