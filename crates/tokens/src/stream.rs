//! Token-id streams: a whole corpus tokenized in parallel ([`tokenize_train`], [`tokenize_test`]), and
//! what is done to id streams afterwards — gluing the streams of consecutive chunks ([`join_streams`]) and
//! the history of a position within its sentence ([`history`]).
//!
//! Tokenizing a corpus: line-aligned chunks of a [`Corpus`] are decoded and tokenized on every thread,
//! then merged in corpus order, so ids and streams do not depend on the thread count.
//! **In:** a corpus, the spans of it to read, a [`Tokenizer`] and whether invalid UTF-8 is replaced.
//! **Out:** a [`Stream`] (ids with sentence markers, and the counts reports give of the text), and for
//! training text the [`Vocab`] it built. Progress is reported as bytes read through a callback, so that
//! callers choose how to show it. Errors ([`Error`]: the text cannot be read, or holds a literal `<s>` or
//! `</s>`) are the first in corpus order, whichever thread met one first.

use rayon::prelude::*;
use shannon_corpus::{Chunk, Corpus, Decode, Span};

use crate::error::Error;
use crate::segment::{Sentences, TokenKind, TokenizeError, Tokenizer};
use crate::vocab::{LocalTokens, Lookup, Vocab, BOS, EOS, UNK};

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

/// Glues the token streams of consecutive chunks of one continuous text
/// ([`Sentences::None`](crate::Sentences::None)): for `letters`, a run of non-letters that spans a chunk
/// boundary becomes one space, and the stream neither starts nor ends with a space.
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

/// A tokenized text: ids plus what reports say about it.
#[derive(Debug, Default, Clone)]
pub struct Stream {
    /// Token ids with sentence markers.
    pub ids: Vec<u32>,
    /// Sentences (lines).
    pub sentences: u64,
    /// Tokens that are not markers.
    pub tokens: u64,
    /// Unicode scalar values of the text (line ends included).
    pub chars: u64,
    /// Bytes of the text.
    pub bytes: u64,
    /// Invalid UTF-8 sequences replaced (with `--lossy`).
    pub replaced: u64,
}

/// Called with the number of bytes of each chunk once it is tokenized, from any thread.
pub type BytesDone<'a> = &'a (dyn Fn(u64) + Sync);

/// A callback that ignores progress.
pub fn no_progress(_: u64) {}

fn finish(tokenizer: &Tokenizer, vocab: &impl Lookup, parts: Vec<Vec<u32>>, mut stream: Stream) -> Stream {
    stream.ids = match tokenizer.sentences {
        // Each part freed once copied: the parts and the stream are never both held whole.
        Sentences::Lines => {
            let mut ids = Vec::with_capacity(parts.iter().map(Vec::len).sum());
            parts.into_iter().for_each(|p| ids.extend_from_slice(&p));
            ids
        }
        Sentences::None => join_streams(tokenizer.kind, vocab.id(" "), parts),
    };
    stream.tokens = stream.ids.iter().filter(|&&t| t != BOS && t != EOS).count() as u64;
    stream
}

/// Tokenizes training text, building the vocabulary. Chunks are tokenized in parallel and merged in
/// corpus order, so ids do not depend on the thread count.
pub fn tokenize_train(
    corpus: &Corpus,
    spans: &[Span],
    tokenizer: &Tokenizer,
    lossy: bool,
    progress: BytesDone,
) -> Result<(Vocab, Stream), Error> {
    let mut vocab = Vocab::new();
    let stream = tokenize_extend(corpus, spans, tokenizer, lossy, &mut vocab, progress)?;
    Ok((vocab, stream))
}

/// The error for a literal marker met in `chunk`'s text, located in its file, or for a tokenizer that failed
/// on it.
fn literal(corpus: &Corpus, chunk: &Chunk, e: TokenizeError) -> Error {
    match e {
        TokenizeError::Literal(m) => {
            let at = corpus.locate(chunk, m.offset);
            Error::LiteralMarker { path: at.path, line: at.line, offset: at.offset, marker: m.marker }
        }
        TokenizeError::Tokenizer(problem) => Error::Tokenizer { path: corpus.locate(chunk, 0).path, problem },
    }
}

/// How text is checked: NUL bytes mark a binary file, an error, except for byte tokens, which model any data,
/// and whitespace tokens, which split on NUL as KenLM does (calgary/book1 has one; lmplz reads it).
pub fn decode_policy(tokenizer: &Tokenizer, lossy: bool) -> Decode {
    Decode { lossy, allow_nul: matches!(tokenizer.kind, TokenKind::Bytes | TokenKind::Whitespace) }
}

/// Tokenizes text, adding its new words to `vocab` (in corpus order).
pub fn tokenize_extend(
    corpus: &Corpus,
    spans: &[Span],
    tokenizer: &Tokenizer,
    lossy: bool,
    vocab: &mut Vocab,
    progress: BytesDone,
) -> Result<Stream, Error> {
    let mut parts = Vec::new();
    let stream = merge_chunks(corpus, spans, tokenizer, lossy, vocab, progress, &mut |ids, _| parts.push(ids))?;
    Ok(finish(tokenizer, vocab, parts, stream))
}

/// [`tokenize_extend`] handing the ids on instead of keeping them: `sink` gets the stream piece by piece in
/// corpus order, as each chunk is merged (glued as [`join_streams`] glues them where sentences are not
/// lines), so the stream is never held whole. The [`Stream`] returned has every count but no ids.
pub fn tokenize_extend_into(
    corpus: &Corpus,
    spans: &[Span],
    tokenizer: &Tokenizer,
    lossy: bool,
    vocab: &mut Vocab,
    progress: BytesDone,
    sink: &mut dyn FnMut(&[u32]),
) -> Result<Stream, Error> {
    let mut join = Joiner { letters: joins_letters(tokenizer), held: None, started: false };
    let mut tokens = 0u64;
    let mut out = |ids: &[u32]| {
        tokens += ids.iter().filter(|&&t| t != BOS && t != EOS).count() as u64;
        sink(ids);
    };
    let mut stream = merge_chunks(corpus, spans, tokenizer, lossy, vocab, progress, &mut |ids, vocab| {
        join.push(&ids, vocab.id(" "), &mut out)
    })?;
    join.finish(vocab.id(" "), &mut out);
    stream.tokens = tokens;
    Ok(stream)
}

/// Whether [`join_streams`] glues a tokenizer's chunks (letters of one continuous text) rather than
/// concatenating them.
fn joins_letters(tokenizer: &Tokenizer) -> bool {
    tokenizer.sentences == Sentences::None && tokenizer.kind == TokenKind::Letters
}

/// [`join_streams`] of letters a part at a time: the last id is held back until more follows, so that a
/// space at the very end can be dropped. `space` is the id of `" "` once a part has held one (ids never
/// change, and before that no part holds it).
struct Joiner {
    letters: bool,
    held: Option<u32>,
    started: bool,
}

impl Joiner {
    fn push(&mut self, part: &[u32], space: Option<u32>, out: &mut dyn FnMut(&[u32])) {
        if !self.letters {
            return out(part);
        }
        let mut part = part;
        if let Some(sp) = space {
            // A run of non-letters across the boundary is one space; the stream starts with none.
            if (self.held == Some(sp) || !self.started) && part.first() == Some(&sp) {
                part = &part[1..];
            }
        }
        let Some((&last, rest)) = part.split_last() else { return };
        if let Some(held) = self.held.take() {
            out(&[held]);
        }
        out(rest);
        self.held = Some(last);
        self.started = true;
    }

    /// The held id, unless it is a space at the end of letters.
    fn finish(self, space: Option<u32>, out: &mut dyn FnMut(&[u32])) {
        if let Some(held) = self.held {
            if !(self.letters && Some(held) == space) {
                out(&[held]);
            }
        }
    }
}

/// Tokenizes the chunks of `spans` in parallel and merges each into `vocab` in corpus order, handing its ids
/// to `each` (with the vocabulary as it is after the merge); returns the text's counts, without ids or tokens.
fn merge_chunks(
    corpus: &Corpus,
    spans: &[Span],
    tokenizer: &Tokenizer,
    lossy: bool,
    vocab: &mut Vocab,
    progress: BytesDone,
    each: &mut dyn FnMut(Vec<u32>, &Vocab),
) -> Result<Stream, Error> {
    let chunks = corpus.chunks(spans);
    let mut stream = Stream { bytes: Corpus::span_bytes(spans), ..Stream::default() };
    // A window of chunks at a time, merged into the vocabulary before the next is tokenized: each chunk's
    // own vocabulary is held only until it is merged (all of them at once took as much memory as the ids).
    for window in chunks.chunks(rayon::current_num_threads() * 8) {
        let locals: Vec<(LocalTokens, u64, u64)> = window
            .par_iter()
            .map(|chunk| {
                let (text, replaced) = corpus.decode(chunk, decode_policy(tokenizer, lossy))?;
                let local = LocalTokens::new(tokenizer, &text).map_err(|m| literal(corpus, chunk, m))?;
                let chars = text.chars().count() as u64;
                drop(text);
                corpus.release(chunk);
                progress((chunk.end - chunk.start) as u64);
                Ok((local, chars, replaced))
            })
            .collect::<Vec<Result<_, Error>>>()
            .into_iter()
            // The first error in corpus order, whichever thread met it first.
            .collect::<Result<_, _>>()?;
        for (local, chars, replaced) in locals {
            let (mut ids, sentences) = local.merge_into(vocab);
            ids.shrink_to_fit();
            each(ids, vocab);
            stream.sentences += sentences;
            stream.chars += chars;
            stream.replaced += replaced;
        }
    }
    Ok(stream)
}

/// Tokenizes test text against a fixed vocabulary: unknown tokens become `<unk>`.
pub fn tokenize_test(
    corpus: &Corpus,
    spans: &[Span],
    tokenizer: &Tokenizer,
    lossy: bool,
    vocab: &impl Lookup,
    progress: BytesDone,
) -> Result<Stream, Error> {
    let chunks = corpus.chunks(spans);
    let parts: Vec<(Vec<u32>, u64, u64, u64)> = chunks
        .par_iter()
        .map(|chunk| {
            let (text, replaced) = corpus.decode(chunk, decode_policy(tokenizer, lossy))?;
            let mut ids = Vec::new();
            let sentences = tokenizer
                .tokenize(&text, &mut |s| vocab.id(s).unwrap_or(UNK), &mut ids)
                .map_err(|m| literal(corpus, chunk, m))?;
            let chars = text.chars().count() as u64;
            drop(text);
            corpus.release(chunk);
            progress((chunk.end - chunk.start) as u64);
            Ok((ids, sentences, chars, replaced))
        })
        .collect::<Vec<Result<_, Error>>>()
        .into_iter()
        .collect::<Result<_, _>>()?;
    let mut stream = Stream { bytes: Corpus::span_bytes(spans), ..Stream::default() };
    let mut ids = Vec::with_capacity(parts.len());
    for (part, sentences, chars, replaced) in parts {
        ids.push(part);
        stream.sentences += sentences;
        stream.chars += chars;
        stream.replaced += replaced;
    }
    Ok(finish(tokenizer, vocab, ids, stream))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sentences, Tokenizer, Vocab};
    use shannon_corpus::Source;

    #[test]
    fn letter_streams_join_across_chunks() {
        let tok =
            Tokenizer { kind: TokenKind::Letters, lowercase: false, sentences: Sentences::None, skip_symbols: false };
        let mut vocab = Vocab::new();
        let parts: Vec<Vec<u32>> = ["  ab, ", "\n, ", "cd!  "]
            .iter()
            .map(|chunk| {
                let mut ids = Vec::new();
                tok.tokenize(chunk, &mut |s| vocab.intern(s), &mut ids).unwrap();
                ids
            })
            .collect();
        let joined = join_streams(TokenKind::Letters, vocab.lookup(" "), parts);
        let text: String = joined.iter().map(|&i| vocab.string(i)).collect();
        assert_eq!(text, "ab cd", "one space between runs, none at the ends");
    }

    fn corpus(files: &[(&str, &[u8])]) -> Corpus {
        Corpus::from_sources(files.iter().map(|&(name, text)| Source::from_bytes(name, text.to_vec())).collect())
    }

    const WHITESPACE: Tokenizer =
        Tokenizer { kind: TokenKind::Whitespace, lowercase: false, sentences: Sentences::Lines, skip_symbols: false };

    #[test]
    fn the_first_literal_marker_in_corpus_order_names_file_line_and_byte() {
        // Many chunks on many threads; the first marker is in the second file, after a later one in the
        // third and an invalid byte (replaced) before it.
        let filler = b"a line of words\n".repeat(200_000);
        let mut second = filler.clone();
        second.extend_from_slice(b"x \xff y\nlast </s> <s>\n");
        let mut third = filler.clone();
        third.extend_from_slice(b"<s>\n");
        let c = corpus(&[("one.txt", &filler), ("two.txt", &second), ("three.txt", &third)]);
        assert!(c.chunks(&c.whole()).len() > 6);
        let e = tokenize_train(&c, &c.whole(), &WHITESPACE, true, &no_progress).unwrap_err();
        let offset = filler.len() + 6 + 5;
        assert_eq!(
            e.to_string(),
            format!(
                "two.txt: line 200002, byte {offset}: literal </s> is not allowed in the text (it is the \
                 sentence-end marker); pass --skip-symbols to treat <s>, </s> and <unk> as whitespace, as \
                 lmplz's --skip_symbols does"
            )
        );
        let (vocab, _) = tokenize_train(&c, &c.whole()[..1], &WHITESPACE, true, &no_progress).unwrap();
        let e = tokenize_test(&c, &c.whole()[2..], &WHITESPACE, false, &vocab, &no_progress).unwrap_err();
        assert!(matches!(e, Error::LiteralMarker { line: 200_001, marker: crate::Marker::Start, .. }), "{e}");
        // Decoding errors keep their own message.
        let e = tokenize_train(&c, &c.whole(), &WHITESPACE, false, &no_progress).unwrap_err();
        assert!(e.to_string().starts_with("two.txt: invalid UTF-8 at byte offset"), "{e}");
    }

    #[test]
    fn streams_handed_on_piece_by_piece_are_the_streams_kept_whole() {
        // Chunks are about 1 MiB: runs of non-letters, spaces and line ends fall on their boundaries.
        let mut text = String::from("  ,, ");
        for i in 0..120_000 {
            text.push_str(["ab, ", "\n, ", "cd!  ", "e\n", " \n f"][i % 5]);
        }
        text.push_str(" ..\n  ");
        let c = corpus(&[("a.txt", text.as_bytes()), ("b.txt", b"  x y  \n"), ("c.txt", b"\n\n")]);
        assert!(c.chunks(&c.whole()).len() > 1);
        let letters =
            Tokenizer { kind: TokenKind::Letters, lowercase: false, sentences: Sentences::None, skip_symbols: false };
        for tok in [letters, Tokenizer { sentences: Sentences::Lines, ..letters }, WHITESPACE] {
            let (vocab, whole) = tokenize_train(&c, &c.whole(), &tok, false, &no_progress).unwrap();
            let mut pieces = Vec::new();
            let mut v = Vocab::new();
            let counts =
                tokenize_extend_into(&c, &c.whole(), &tok, false, &mut v, &no_progress, &mut |ids: &[u32]| {
                    pieces.extend_from_slice(ids)
                })
                .unwrap();
            assert_eq!(pieces, whole.ids, "{tok:?}");
            assert_eq!(v.len(), vocab.len());
            assert!(whole.ids.len() > 100_000 && counts.ids.is_empty());
            assert_eq!(
                (counts.tokens, counts.sentences, counts.chars, counts.bytes),
                (whole.tokens, whole.sentences, whole.chars, whole.bytes)
            );
        }
    }

    #[test]
    fn skipped_symbols_are_whitespace_in_training_and_test_text() {
        let c = corpus(&[("t.txt", b"<s> a <unk> b </s>\n<s>\n")]);
        let skip = Tokenizer { skip_symbols: true, ..WHITESPACE };
        let (vocab, train) = tokenize_train(&c, &c.whole(), &skip, false, &no_progress).unwrap();
        let (a, b) = (vocab.get("a"), vocab.get("b"));
        assert_eq!(train.ids, [BOS, a, b, EOS, BOS, EOS]);
        assert_eq!((train.tokens, train.sentences, vocab.len()), (2, 2, 5));
        let test = tokenize_test(&c, &c.whole(), &skip, false, &vocab, &no_progress).unwrap();
        assert_eq!(test.ids, train.ids);
    }
}
