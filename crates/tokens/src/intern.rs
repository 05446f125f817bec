//! Interning: [`Strings`], the table of token strings behind [`crate::Vocab`] and
//! [`crate::LocalTokens`], with its own hash.
//!
//! Split from the vocabulary because it is the tokenizer's hot path (one lookup per token) and its layout
//! and hash are tuned for that alone; the vocabulary only adds the markers on top.

use hashbrown::HashTable;

/// Interned strings, each stored once: the bytes of all of them back to back in one `String`, and an index
/// table whose entries hold each string's first 8 bytes.
///
/// This is the hot path of [`crate::LocalTokens::new`] (one lookup per token), so it avoids what a
/// `HashMap<Box<str>, u32>` costs there: a `get` then an `insert` hashing a new word twice, two heap
/// allocations per new word (key and string list) and as many frees when the map is dropped, and a pointer
/// chase to a scattered heap string for every comparison. Here a word is hashed once, a new word is appended
/// to one buffer, and a word of at most 8 bytes (most tokens) is compared inside its table entry without
/// touching the strings; the table's size, not the strings', decides how much of it stays in cache.
#[derive(Clone, Debug, Default)]
pub(crate) struct Strings {
    /// All strings, concatenated in index order.
    bytes: String,
    /// `ends[i]` is where string `i` ends in `bytes`; it starts where string `i - 1` ends (or at 0).
    ends: Vec<usize>,
    /// The strings that can be found, keyed by [`hash`].
    table: HashTable<Entry>,
}

/// An interned string as the table holds it.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// [`head`] of the string: the whole string when it has at most 8 bytes.
    head: u64,
    len: u32,
    index: u32,
}

/// The first 8 bytes of `b`, or for a shorter `b` its bytes packed into a `u64` so that two strings of the
/// same length get the same value only if they are equal (short reads overlap instead of padding).
fn head(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 8 {
        u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
    } else if n >= 4 {
        let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let hi = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]);
        u64::from(lo) | u64::from(hi) << 32
    } else if n > 0 {
        u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16
    } else {
        0
    }
}

/// The folded multiply of foldhash and wyhash: the high and low halves of the 128-bit product, xored.
fn mix(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

/// The hash of a string of at most 8 bytes from its length and [`head`], without the bytes.
fn hash_short(head: u64, len: usize) -> u64 {
    mix(head ^ 0x243f_6a88_85a3_08d3, (len as u64) ^ 0x1319_8a2e_0370_7344)
}

/// The hash of `b`, 8 bytes at a time; for at most 8 bytes it is [`hash_short`].
///
/// Fixed keys, not a random seed: ids do not depend on the hash, and the input is the user's own corpus.
fn hash(b: &[u8]) -> u64 {
    if b.len() <= 8 {
        return hash_short(head(b), b.len());
    }
    let mut h = b.len() as u64;
    let mut rest = b;
    while rest.len() > 8 {
        h = mix(h ^ head(rest) ^ 0xa409_3822_299f_31d0, 0x082e_fa98_ec4e_6c89);
        rest = &rest[8..];
    }
    mix(h ^ head(rest) ^ 0x4528_21e6_38d0_1377, (rest.len() as u64) ^ 0xbe54_66cf_34e9_0c6c)
}

impl Entry {
    /// Whether the entry is `s`, whose [`head`] is `h`; only strings longer than 8 bytes look at `bytes`.
    fn is(&self, s: &[u8], h: u64, bytes: &str, ends: &[usize]) -> bool {
        self.head == h
            && self.len as usize == s.len()
            && (s.len() <= 8 || {
                let end = ends[self.index as usize];
                bytes.as_bytes()[end - s.len() + 8..end] == s[8..]
            })
    }

    /// The hash of the string, as [`hash`] gives it.
    fn hash(&self, bytes: &str, ends: &[usize]) -> u64 {
        let len = self.len as usize;
        if len <= 8 {
            hash_short(self.head, len)
        } else {
            let end = ends[self.index as usize];
            hash(&bytes.as_bytes()[end - len..end])
        }
    }
}

impl Strings {
    /// Bytes held on the heap: the text, the ends and the table (an entry and a control byte a slot).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 8 + self.table.capacity() * 17
    }

    /// Room for about `strings` strings of `bytes` bytes in all.
    pub(crate) fn with_capacity(strings: usize, bytes: usize) -> Strings {
        Strings {
            bytes: String::with_capacity(bytes),
            ends: Vec::with_capacity(strings),
            table: HashTable::with_capacity(strings),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len() as u32).map(|i| self.get(i))
    }

    /// Appends `s` without making it findable (for the markers that no text maps to); returns its index.
    pub(crate) fn push(&mut self, s: &str) -> u32 {
        let i = u32::try_from(self.ends.len()).expect("fewer than 2^32 strings");
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len());
        i
    }

    /// The index of `s`, if it was interned.
    pub(crate) fn find(&self, s: &str) -> Option<u32> {
        let (s, h) = (s.as_bytes(), head(s.as_bytes()));
        self.table.find(hash(s), |e| e.is(s, h, &self.bytes, &self.ends)).map(|e| e.index)
    }

    /// The index of `s`, appending it if new (hashing it once either way).
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        let Strings { bytes, ends, table } = self;
        let (b, h) = (s.as_bytes(), head(s.as_bytes()));
        match table.entry(hash(b), |e| e.is(b, h, bytes, ends), |e| e.hash(bytes, ends)) {
            hashbrown::hash_table::Entry::Occupied(e) => e.get().index,
            hashbrown::hash_table::Entry::Vacant(v) => {
                let entry = Entry {
                    head: h,
                    len: u32::try_from(s.len()).expect("a token shorter than 4 GiB"),
                    index: u32::try_from(ends.len()).expect("fewer than 2^32 strings"),
                };
                v.insert(entry);
                bytes.push_str(s);
                ends.push(bytes.len());
                entry.index
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Interns `words` into a fresh [`Strings`] (grown from empty) and into a `HashMap` reference that
    /// numbers strings in order of first occurrence; checks every index, then every string and lookup.
    fn strings_agree(words: &[String]) -> Result<(), TestCaseError> {
        let mut strings = Strings::default();
        let mut reference: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        for w in words {
            let next = reference.len() as u32;
            let expected = *reference.entry(w.as_str()).or_insert(next);
            prop_assert_eq!(strings.intern(w), expected, "{:?}", w);
        }
        prop_assert_eq!(strings.len(), reference.len());
        for (&w, &i) in &reference {
            prop_assert_eq!(strings.get(i), w);
            prop_assert_eq!(strings.find(w), Some(i));
        }
        Ok(())
    }

    /// Short strings over a tiny alphabet, so that equal heads with different lengths ("abb" and "ab"),
    /// equal first 8 bytes ("aaaaaaaab", "aaaaaaaa"), and the empty string all come up.
    fn near_words() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec("[ab\u{e9}]{0,20}", 0..200)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn strings_number_in_first_occurrence_order(words in near_words()) {
            strings_agree(&words)?;
        }
    }

    #[test]
    fn strings_by_hand() {
        let words: Vec<String> =
            ["", "ab", "abb", "abc", "aaaaaaaa", "aaaaaaaab", "aaaaaaaa", "abb", "", "日本語のテキスト"]
                .map(String::from)
                .to_vec();
        strings_agree(&words).unwrap();
    }
}
