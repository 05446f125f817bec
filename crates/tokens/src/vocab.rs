//! The vocabulary: the reserved marker ids, [`Vocab`] (string ↔ id), the [`Lookup`] trait that a model
//! file's vocabulary also implements, and [`LocalTokens`], a chunk tokenized against its own table and
//! merged into the global vocabulary in corpus order.

use crate::intern::Strings;
use crate::segment::{TokenizeError, Tokenizer};

/// The unknown word: out-of-vocabulary tokens at test time, and literal `<unk>` in text.
pub const UNK: u32 = 0;
/// Sentence start marker: context only, never predicted.
pub const BOS: u32 = 1;
/// Sentence end marker: predicted like a word.
pub const EOS: u32 = 2;
/// Number of reserved ids.
pub const RESERVED: u32 = 3;

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

    /// Bytes of memory the vocabulary holds (for budgets: it is held while counting).
    pub fn heap_bytes(&self) -> usize {
        self.strings.heap_bytes()
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
    /// Tokenizes a chunk into local ids; a literal `<s>` or `</s>` or a failing tokenizer is an error (see
    /// [`Tokenizer::tokenize`]).
    pub fn new(tokenizer: &Tokenizer, text: &str) -> Result<LocalTokens, TokenizeError> {
        // Guesses from English text (a new word every 50 or so bytes of 4 MiB), to skip most regrowth.
        let mut strings = Strings::with_capacity(text.len() / 64, text.len() / 8);
        let mut ids = Vec::with_capacity(text.len() / 4);
        let sentences = tokenizer.tokenize(
            text,
            &mut |s| if s == "<unk>" { UNK } else { RESERVED + strings.intern(s) },
            &mut ids,
        )?;
        Ok(LocalTokens { strings, ids, sentences })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sentences;
    use crate::TokenKind;

    #[test]
    fn local_tokens_merge_in_first_occurrence_order() {
        let tok = Tokenizer {
            kind: TokenKind::Whitespace,
            lowercase: false,
            sentences: Sentences::None,
            skip_symbols: false,
        };
        let local = LocalTokens::new(&tok, "b a <unk> b c a </S>").unwrap();
        assert_eq!(local.strings().collect::<Vec<_>>(), ["b", "a", "c", "</S>"]);
        assert_eq!(local.ids, [3, 4, UNK, 3, 5, 4, 6]);
        let mut vocab = Vocab::new();
        vocab.intern("c");
        let (ids, _) = local.merge_into(&mut vocab);
        assert_eq!(ids, [4, 5, UNK, 4, 3, 5, 6]);
        assert_eq!(vocab.strings().collect::<Vec<_>>(), ["<unk>", "<s>", "</s>", "c", "b", "a", "</S>"]);
        assert_eq!((vocab.get("<unk>"), vocab.lookup("<s>"), vocab.get("zzz")), (UNK, None, UNK));
    }
}
