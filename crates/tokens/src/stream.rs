//! Token-id streams after tokenization: gluing the streams of consecutive chunks ([`join_streams`]) and
//! the history of a position within its sentence ([`history`]).

use crate::segment::TokenKind;
use crate::vocab::BOS;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sentences, Tokenizer, Vocab};

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
