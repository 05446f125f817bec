//! Independent, identically distributed symbols.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::rng::{cdf_of, chacha, sample_cdf, unit_f64};
use crate::{entropy_bits, parse_alphabet, ByteSink, SourceError, TextSource};

/// Domain separator for the symbol stream of [`Iid`].
const DOMAIN_STREAM: u64 = 0x11d0_0001;

/// An i.i.d. source: each symbol is `symbols[i]` with probability `probs[i]`.
///
/// Entropy rate H = −Σ pᵢ log₂ pᵢ bits per symbol (Cover & Thomas, ch. 2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Iid {
    /// Distinct symbols.
    pub symbols: Vec<char>,
    /// Their probabilities (non-negative, summing to 1 within 1e-9).
    pub probs: Vec<f64>,
}

impl Iid {
    /// Validated constructor.
    pub fn new(symbols: Vec<char>, probs: Vec<f64>) -> Result<Iid, SourceError> {
        let iid = Iid { symbols, probs };
        iid.validate()?;
        Ok(iid)
    }

    /// The uniform distribution over the (distinct) characters of `alphabet`.
    pub fn uniform(alphabet: &str) -> Result<Iid, SourceError> {
        let symbols = parse_alphabet(alphabet)?;
        let p = 1.0 / symbols.len() as f64;
        let probs = vec![p; symbols.len()];
        Ok(Iid { symbols, probs })
    }

    /// Checks the invariants of the public fields.
    pub fn validate(&self) -> Result<(), SourceError> {
        parse_alphabet(&self.symbols.iter().collect::<String>())?;
        if self.probs.len() != self.symbols.len() {
            return Err(SourceError::InvalidProbabilities(format!(
                "{} probabilities for {} symbols",
                self.probs.len(),
                self.symbols.len()
            )));
        }
        let sum: f64 = self.probs.iter().sum();
        if self.probs.iter().any(|p| !p.is_finite() || *p < 0.0) || (sum - 1.0).abs() > 1e-9 {
            return Err(SourceError::InvalidProbabilities(format!(
                "probabilities must be non-negative and sum to 1 (sum = {sum})"
            )));
        }
        Ok(())
    }

    /// H(p) in bits per symbol (exactly `log2(k)` when all k probabilities
    /// are equal).
    pub fn entropy_rate_bits(&self) -> f64 {
        match self.probs.first() {
            Some(&p0) if self.probs.iter().all(|&p| p == p0) => (self.probs.len() as f64).log2(),
            _ => entropy_bits(&self.probs),
        }
    }

    /// Expected UTF-8 bytes per symbol.
    pub fn mean_bytes_per_symbol(&self) -> f64 {
        self.symbols.iter().zip(&self.probs).map(|(c, p)| p * c.len_utf8() as f64).sum()
    }

    /// Iterator over symbol indices of the stream with `seed`.
    pub fn symbol_indices(&self, seed: u64) -> impl Iterator<Item = usize> {
        let cdf = cdf_of(&self.probs);
        let mut rng = chacha(seed, DOMAIN_STREAM);
        std::iter::repeat_with(move || sample_cdf(&cdf, unit_f64(&mut rng)))
    }
}

impl TextSource for Iid {
    /// Writes `n` symbols as UTF-8 with no separators and no added newlines.
    fn write_tokens(&self, n: u64, seed: u64, w: &mut dyn Write) -> io::Result<()> {
        self.validate().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let enc = crate::encode_symbols(&self.symbols);
        let mut sink = ByteSink::new(w);
        let mut it = self.symbol_indices(seed);
        for _ in 0..n {
            let i = it.next().expect("infinite iterator");
            sink.put(&enc[i])?;
        }
        sink.finish()
    }

    fn entropy_rate_bits_per_token(&self) -> Option<f64> {
        Some(self.entropy_rate_bits())
    }

    fn entropy_rate_bits_per_byte(&self) -> Option<f64> {
        Some(self.entropy_rate_bits() / self.mean_bytes_per_symbol())
    }
}
