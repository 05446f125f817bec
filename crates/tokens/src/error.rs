//! The crate's one error type: what can go wrong while a corpus becomes tokens.

use std::path::PathBuf;

use crate::segment::Marker;

/// Why a corpus could not be tokenized.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the text: a missing file, invalid UTF-8, binary data, a broken compressed stream.
    #[error(transparent)]
    Corpus(#[from] shannon_corpus::Error),
    /// A literal `<s>` or `</s>` token in the text (lmplz refuses these too); the first in corpus order.
    #[error(
        "{}: line {line}, byte {offset}: literal {} is not allowed in the text (it is the {}); pass \
         --skip-symbols to treat <s>, </s> and <unk> as whitespace, as lmplz's --skip_symbols does",
        path.display(),
        marker.text(),
        marker.role()
    )]
    LiteralMarker {
        /// The file.
        path: PathBuf,
        /// Line number, from 1.
        line: u64,
        /// Byte offset of the token from the start of the (decompressed) file.
        offset: usize,
        /// Which marker.
        marker: Marker,
    },
    /// A Hugging Face tokenizer that is not loaded, or failed on the text of this file.
    #[error("{}: {problem}", path.display())]
    Tokenizer {
        /// The file being tokenized.
        path: PathBuf,
        /// What went wrong, in one line.
        problem: String,
    },
}
