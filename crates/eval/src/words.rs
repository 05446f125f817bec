//! What Shannon-style estimation needs to know of a text's symbols and words: the alphabet |A| its
//! estimators assume, Shannon's words (runs of letters), unigram counts, and the rank–frequency curve that
//! Zipf's law is fitted to.

use serde::{Deserialize, Serialize};
use shannon_tokens::{TokenKind, BOS, EOS};

/// The alphabet |A| of an estimate, and how it was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alphabet {
    /// |A|.
    pub size: f64,
    /// How it was chosen.
    pub rule: String,
}

/// Whether a token kind is a letter-like unit (a small alphabet), as opposed to words.
pub fn letter_like(kind: TokenKind) -> bool {
    !matches!(kind, TokenKind::Words | TokenKind::Whitespace)
}

/// The alphabet of a stream of `kind` tokens over a vocabulary of `vocab_len` ids: fixed for Shannon's
/// letters and for bytes; for units without a fixed alphabet, the number of distinct symbols that occur
/// (`release` is called with each range of positions read, as [`unigram_counts_releasing`] does).
pub fn alphabet(kind: TokenKind, ids: &[u32], vocab_len: usize, release: &dyn Fn(std::ops::Range<usize>)) -> Alphabet {
    match kind {
        TokenKind::Letters => Alphabet { size: 27.0, rule: "Shannon's 27 symbols: a–z and the space".into() },
        TokenKind::Letters26 => Alphabet { size: 26.0, rule: "Shannon's 26 letters a–z".into() },
        TokenKind::Bytes => Alphabet { size: 256.0, rule: "the 256 byte values".into() },
        _ => {
            let size = unigram_counts_releasing(ids, vocab_len, release).iter().filter(|&&c| c > 0).count() as f64;
            let unit = if kind == TokenKind::Chars { "characters" } else { "words" };
            Alphabet {
                size,
                rule: format!(
                    "the {unit} that occur in the text ({} has no fixed alphabet; NSB barely depends on K beyond it \
                     except at n = 1)",
                    kind.name()
                ),
            }
        }
    }
}

/// Words as Shannon counted them: maximal runs of ASCII letters, folded to lower case — the 27-letter
/// stream cut at its spaces (`space` is the id of the space; markers cut words too). Returns per-type
/// counts in decreasing order and the number of letters.
///
/// A word of at most 12 letters whose ids are below 31 (Shannon's letters always are) is counted under one
/// u64 — its ids + 1 in 5 bits each — rather than hashed as a slice: most words, at a fraction of the cost.
pub fn letter_words(ids: &[u32], space: Option<u32>) -> (Vec<u64>, u64) {
    letter_words_releasing(ids, space, &|_| {})
}

/// Positions between two calls of a `release` callback in a scan of a stream.
const RELEASE_EVERY: usize = 1 << 20;

/// [`letter_words`] of ids in a file's map, calling `release` with each range of positions read (about a
/// million at a time, in order) so that the caller can hand its pages back.
pub fn letter_words_releasing(
    ids: &[u32],
    space: Option<u32>,
    release: &dyn Fn(std::ops::Range<usize>),
) -> (Vec<u64>, u64) {
    let mut packed: hashbrown::HashMap<u64, u64> = hashbrown::HashMap::new();
    let mut long: hashbrown::HashMap<&[u32], u64> = hashbrown::HashMap::new();
    let mut letters = 0u64;
    let mut released = 0;
    for word in ids.split(|&t| Some(t) == space || t == BOS || t == EOS).filter(|w| !w.is_empty()) {
        // Where the word starts (in ids, not bytes); what lies before it has been read.
        let at = (word.as_ptr() as usize - ids.as_ptr() as usize) / std::mem::size_of::<u32>();
        if at >= released + RELEASE_EVERY {
            release(released..at);
            released = at;
        }
        letters += word.len() as u64;
        if word.len() <= 12 && word.iter().all(|&t| t < 31) {
            let key = word.iter().fold(0u64, |k, &t| (k << 5) | u64::from(t + 1));
            *packed.entry(key).or_insert(0) += 1;
        } else {
            *long.entry(word).or_insert(0) += 1;
        }
    }
    release(released..ids.len());
    let mut counts: Vec<u64> = packed.into_values().chain(long.into_values()).collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    (counts, letters)
}

/// `[rank, count]` for counts sorted in decreasing order: every rank up to 100, then about 50 ranks per
/// decade, and the last rank — enough to draw the rank–frequency curve without listing every type.
pub fn rank_frequency(sorted: &[u64]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut r = 1usize;
    while r <= sorted.len() {
        out.push((r as u64, sorted[r - 1]));
        r = if r < 100 { r + 1 } else { ((r as f64 * 10f64.powf(1.0 / 50.0)) as usize).max(r + 1) };
    }
    if let Some(&last) = sorted.last() {
        if out.last().map(|p| p.0) != Some(sorted.len() as u64) {
            out.push((sorted.len() as u64, last));
        }
    }
    out
}

/// Per-id counts of a stream over `vocab_len` ids (markers excluded).
pub fn unigram_counts(ids: &[u32], vocab_len: usize) -> Vec<u64> {
    unigram_counts_releasing(ids, vocab_len, &|_| {})
}

/// [`unigram_counts`] of ids in a file's map, calling `release` with each range of positions read.
pub fn unigram_counts_releasing(ids: &[u32], vocab_len: usize, release: &dyn Fn(std::ops::Range<usize>)) -> Vec<u64> {
    let mut c = vec![0u64; vocab_len];
    for (k, part) in ids.chunks(RELEASE_EVERY).enumerate() {
        for &t in part {
            if t != BOS && t != EOS {
                c[t as usize] += 1;
            }
        }
        release(k * RELEASE_EVERY..k * RELEASE_EVERY + part.len());
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn shannon_words_are_runs_between_spaces_and_markers() {
        // "ab ab c" with space = 9, then a sentence "c": words ab ×2, c ×2; 6 letters.
        let ids = [3, 4, 9, 3, 4, 9, 5, EOS, BOS, 5, EOS];
        assert_eq!(letter_words(&ids, Some(9)), (vec![2, 2], 6));
    }

    #[test]
    fn packed_and_long_words_count_as_one_map_would() {
        // Words of 1..=20 letters over ids 3..40 (some past the packed range), space = 2 … here 41.
        let mut ids = Vec::new();
        let mut x = 7u32;
        for i in 0..5000u32 {
            let len = 1 + (i * 7 + i / 13) % 20;
            for _ in 0..len {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                ids.push(3 + (x >> 16) % if i % 3 == 0 { 38 } else { 4 });
            }
            ids.push(41);
        }
        let mut map: HashMap<&[u32], u64> = HashMap::new();
        for w in ids.split(|&t| t == 41).filter(|w| !w.is_empty()) {
            *map.entry(w).or_insert(0) += 1;
        }
        let mut want: Vec<u64> = map.into_values().collect();
        want.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(letter_words(&ids, Some(41)), (want, ids.len() as u64 - 5000));
    }

    #[test]
    fn rank_frequency_keeps_every_rank_to_100_then_thins_and_ends_at_the_last() {
        let counts: Vec<u64> = (1..=1000).rev().collect();
        let rf = rank_frequency(&counts);
        assert_eq!(&rf[..3], &[(1, 1000), (2, 999), (3, 998)]);
        assert_eq!(rf[99], (100, 901));
        assert_eq!(*rf.last().unwrap(), (1000, 1));
        // About 50 per decade from 100 to 1000.
        assert!((140..=160).contains(&rf.len()), "{}", rf.len());
    }

    #[test]
    fn alphabets() {
        assert_eq!(alphabet(TokenKind::Letters, &[], 0, &|_| {}).size, 27.0);
        assert_eq!(alphabet(TokenKind::Chars, &[BOS, 3, 4, 3, EOS], 6, &|_| {}).size, 2.0);
        assert_eq!(unigram_counts(&[BOS, 3, 4, 3, EOS], 5), vec![0, 0, 0, 2, 1]);
    }
}
