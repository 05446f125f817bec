//! The built-in default corpus: text generated in memory from a seeded word-level Markov source whose
//! entropy rate is known exactly (`shannon_source::Sentences`; see `corpora/README.md`). Running
//! `shannon compare` on it prints held-out cross-entropies beside the true rate, so the default run
//! demonstrates that the estimates converge on the right answer — and by how much each order and method
//! overshoots it.

use shannon_source::{Sentences, TextSource};

/// Seed of the text stream (the source's own tables use `Sentences::DEFAULT_SEED`).
pub const SEED: u64 = 1951;
/// Lines (sentences) in the default corpus: about 400,000 tokens, 2.6 MB.
pub const LINES: u64 = 25_000;

/// The exact entropy rate of a source.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    /// Bits per token (`</s>` counted, `<s>` not).
    pub bits_per_token: f64,
    /// Bits per character of text (letters, spaces and line ends).
    pub bits_per_char: f64,
}

/// A description of the source for reports.
pub fn describe(seed: u64) -> String {
    format!(
        "shannon-source Sentences: first-order Markov chain over {} pseudo-words and </s>, tables seeded {:#x}, text seeded {seed}",
        Sentences::DEFAULT_VOCAB,
        Sentences::DEFAULT_SEED
    )
}

/// Generates `lines` sentences of the default source with text seed `seed`.
pub fn generate(seed: u64, lines: u64) -> (Vec<u8>, Rate) {
    let source = Sentences::default();
    let mut text = Vec::with_capacity((lines as f64 * source.mean_bytes_per_line() * 1.1) as usize);
    source.write_lines(lines, seed, &mut text).expect("writing to memory cannot fail");
    let rate = Rate {
        bits_per_token: source.entropy_rate_bits_per_token(),
        bits_per_char: source.entropy_rate_bits_per_byte().unwrap_or(f64::NAN),
    };
    (text, rate)
}
