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
//! A literal `<unk>` in the text (as in PTB or WikiText) is the unknown word. A literal `<s>` or `</s>` is an
//! error naming the file, line and byte of the first one ([`Error::LiteralMarker`]), as lmplz refuses them;
//! with [`Tokenizer::skip_symbols`] all three are whitespace, as with lmplz's `--skip_symbols`. They never
//! become the markers.
//!
//! ## Modules
//! [`hf`]: Hugging Face `tokenizer.json` files ([`TokenKind::Tokenizer`]), loaded once and named by digest;
//! `segment`: the [`Tokenizer`] configuration and how each [`TokenKind`] cuts text into token strings (and
//! where literal markers are caught); `error`: the crate's [`Error`];
//! `intern`: the string table behind every vocabulary, built for the one lookup per token;
//! `vocab`: the markers, [`Vocab`], [`Lookup`] and a chunk's [`LocalTokens`]; [`stream`]: a corpus
//! tokenized in parallel into a [`Stream`], and what is done to id streams afterwards ([`join_streams`],
//! [`history`]). Everything else public is re-exported here.

mod error;
pub mod hf;
mod intern;
mod segment;
pub mod stream;
mod vocab;

pub use error::Error;
pub use hf::TokenizerFile;
pub use segment::{byte_name, LiteralMarker, Marker, Sentences, TokenKind, TokenizeError, Tokenizer};
pub use stream::{history, join_streams, Stream};
pub use vocab::{LocalTokens, Lookup, Vocab, BOS, EOS, RESERVED, UNK};
