//! The built-in default corpus: text generated in memory from a seeded word-level Markov source whose
//! entropy rate is known exactly (see `corpora/README.md`). Running `shannon compare` on it shows held-out
//! cross-entropies beside the true rate, so the default run demonstrates that the estimates are right.

/// The default seed.
pub const SEED: u64 = 1951;
/// Tokens (words and sentence ends) in the default corpus.
pub const TOKENS: u64 = 400_000;

/// The exact entropy rate of the source.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    /// Bits per token (`</s>` counted).
    pub bits_per_token: f64,
    /// Bits per character of text (letters, spaces and line ends).
    pub bits_per_char: f64,
}

/// A description of the source for reports.
pub fn describe(seed: u64) -> String {
    format!("shannon-source Sentences: first-order word Markov chain, 1000 pseudo-words, seed {seed}")
}

/// Generates `tokens` tokens of the default source with `seed`.
pub fn generate(seed: u64, tokens: u64) -> (Vec<u8>, Rate) {
    todo!("{seed} {tokens}")
}
