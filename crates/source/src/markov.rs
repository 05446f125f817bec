//! Finite-order Markov chains over characters with random transition tables.

use std::io::{self, Write};

use rand::RngCore;

use crate::detmath;
use crate::rng::{cdf_of, chacha, open_unit_f64, sample_cdf, unit_f64};
use crate::{entropy_bits, parse_alphabet, ByteSink, SourceError, TextSource};

const DOMAIN_TABLE: u64 = 0x3a7c_0001;
const DOMAIN_STREAM: u64 = 0x3a7c_0002;

/// Weight of the uniform distribution mixed into every random transition
/// distribution, so that every probability is at least `MIX_EPSILON / k`.
pub const MIX_EPSILON: f64 = 1e-4;
/// Power iteration stops when successive iterates differ by less than this in L1.
pub const STATIONARY_TOLERANCE: f64 = 1e-13;
/// Power iteration gives up (with [`SourceError::NotConverged`]) after this many steps.
pub const MAX_POWER_ITERATIONS: usize = 100_000;
/// Largest transition table accepted (contexts × alphabet size).
pub const MAX_TABLE_ENTRIES: usize = 1 << 26;

/// A Markov chain of order `order` over `alphabet`: the next symbol depends
/// on the previous `order` symbols (its *context*).
///
/// Entropy rate (Cover & Thomas, Elements of Information Theory, 2nd ed.,
/// Thm 4.2.4, applied to the first-order chain on contexts):
/// `H = Σ_c π(c) H(P(·|c))`, where `π` is the stationary distribution of the
/// chain on contexts, computed by power iteration.
#[derive(Clone, Debug)]
pub struct Markov {
    alphabet: Vec<char>,
    order: usize,
    /// Row-major `n_contexts × k` transition probabilities.
    probs: Vec<f64>,
    cdf: Vec<f64>,
    stationary: Vec<f64>,
    rate: f64,
    iterations: usize,
}

impl Markov {
    /// A random chain: for every context, the transition distribution is a
    /// Dirichlet(`concentration`, …) draw, mixed with weight [`MIX_EPSILON`]
    /// with the uniform distribution so that every probability is positive
    /// (which makes the chain on contexts irreducible and aperiodic).
    ///
    /// Dirichlet draws are normalised Gamma(`concentration`) variates.  Gamma
    /// variates use Marsaglia & Tsang (2000) for shape ≥ 1 with normal
    /// variates from the Marsaglia polar method; for shape a < 1 they use
    /// Gamma(a) = Gamma(a+1)·U^(1/a), computed in the log domain so that tiny
    /// shapes do not underflow.  Small concentrations (≪ 1) give sparse,
    /// low-entropy rows; large ones give nearly uniform rows.
    ///
    /// Orders up to 3 over alphabets of ~64 symbols are practical
    /// (64³ contexts × 64 = 16.8M probabilities).
    pub fn random(alphabet: &str, order: usize, seed: u64, concentration: f64) -> Result<Markov, SourceError> {
        if !(concentration > 0.0 && concentration.is_finite()) {
            return Err(SourceError::InvalidParameter(format!(
                "concentration must be positive and finite, got {concentration}"
            )));
        }
        let symbols = parse_alphabet(alphabet)?;
        let k = symbols.len();
        let n_ctx = n_contexts(k, order)?;
        let mut rng = chacha(seed, DOMAIN_TABLE);
        let mut probs = Vec::with_capacity(n_ctx * k);
        let mut logs = vec![0.0; k];
        for _ in 0..n_ctx {
            for l in logs.iter_mut() {
                *l = ln_gamma_variate(&mut rng, concentration);
            }
            let max = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let g: Vec<f64> = logs.iter().map(|&l| detmath::exp(l - max)).collect();
            let sum: f64 = g.iter().sum();
            probs.extend(g.iter().map(|&x| (1.0 - MIX_EPSILON) * (x / sum) + MIX_EPSILON / k as f64));
        }
        Self::build(symbols, order, probs)
    }

    /// A chain with given transition probabilities: `probs[c * k + a]` is
    /// `P(next = alphabet()[a] | context c)`, where context `c` encodes the last
    /// `order` symbols in base k, oldest symbol most significant.  Every
    /// probability must be > 0 and each row must sum to 1 (within 1e-9).
    pub fn from_transitions(alphabet: &str, order: usize, probs: Vec<f64>) -> Result<Markov, SourceError> {
        let symbols = parse_alphabet(alphabet)?;
        let k = symbols.len();
        let n_ctx = n_contexts(k, order)?;
        if probs.len() != n_ctx * k {
            return Err(SourceError::InvalidProbabilities(format!(
                "expected {} probabilities, got {}",
                n_ctx * k,
                probs.len()
            )));
        }
        for (c, row) in probs.chunks(k).enumerate() {
            let sum: f64 = row.iter().sum();
            if row.iter().any(|p| !(*p > 0.0 && p.is_finite())) || (sum - 1.0).abs() > 1e-9 {
                return Err(SourceError::InvalidProbabilities(format!(
                    "row {c}: probabilities must be > 0 and sum to 1 (sum = {sum})"
                )));
            }
        }
        Self::build(symbols, order, probs)
    }

    fn build(alphabet: Vec<char>, order: usize, probs: Vec<f64>) -> Result<Markov, SourceError> {
        let k = alphabet.len();
        let n_ctx = probs.len() / k;
        let (stationary, iterations) = stationary(&probs, k, n_ctx)?;
        let rate = probs.chunks(k).zip(&stationary).map(|(row, &pi)| pi * entropy_bits(row)).sum();
        let cdf = probs.chunks(k).flat_map(cdf_of).collect();
        Ok(Markov { alphabet, order, probs, cdf, stationary, rate, iterations })
    }

    /// The symbols, in index order.
    pub fn alphabet(&self) -> &[char] {
        &self.alphabet
    }

    /// The order (context length).
    pub fn order(&self) -> usize {
        self.order
    }

    /// Number of contexts, `k^order`.
    pub fn n_contexts(&self) -> usize {
        self.stationary.len()
    }

    /// `P(next = alphabet()[a] | context c)`, with the context encoding of
    /// [`Markov::from_transitions`].
    pub fn transition(&self, c: usize, a: usize) -> f64 {
        self.probs[c * self.alphabet.len() + a]
    }

    /// Stationary distribution over contexts.
    pub fn stationary(&self) -> &[f64] {
        &self.stationary
    }

    /// Power-iteration steps used to compute [`Markov::stationary`].
    pub fn power_iterations(&self) -> usize {
        self.iterations
    }

    /// Exact entropy rate Σ_c π(c) H(P(·|c)) in bits per symbol.
    pub fn entropy_rate_bits(&self) -> f64 {
        self.rate
    }

    /// Expected UTF-8 bytes per symbol under stationarity.
    pub fn mean_bytes_per_symbol(&self) -> f64 {
        let k = self.alphabet.len();
        self.probs
            .chunks(k)
            .zip(&self.stationary)
            .map(|(row, &pi)| pi * row.iter().zip(&self.alphabet).map(|(p, c)| p * c.len_utf8() as f64).sum::<f64>())
            .sum()
    }

    /// Iterator over symbol indices of the stationary stream with `seed`:
    /// the initial context is drawn from π, then each symbol from P(·|context).
    pub fn symbol_indices(&self, seed: u64) -> MarkovStream<'_> {
        let mut rng = chacha(seed, DOMAIN_STREAM);
        let ctx = sample_cdf(&cdf_of(&self.stationary), unit_f64(&mut rng));
        let k = self.alphabet.len();
        MarkovStream { chain: self, rng, ctx, k, shift_mod: self.n_contexts() / k.pow(self.order.min(1) as u32) }
    }
}

/// Iterator returned by [`Markov::symbol_indices`].
pub struct MarkovStream<'a> {
    chain: &'a Markov,
    rng: rand_chacha::ChaCha8Rng,
    ctx: usize,
    k: usize,
    /// k^(order-1) (1 for order 0, where the context never changes).
    shift_mod: usize,
}

impl Iterator for MarkovStream<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        let row = &self.chain.cdf[self.ctx * self.k..(self.ctx + 1) * self.k];
        let a = sample_cdf(row, unit_f64(&mut self.rng));
        if self.chain.order > 0 {
            self.ctx = (self.ctx % self.shift_mod) * self.k + a;
        }
        Some(a)
    }
}

impl TextSource for Markov {
    /// Writes `n` symbols as UTF-8 with no separators and no added newlines
    /// (a newline appears only if it is a symbol of the alphabet).
    fn write_tokens(&self, n: u64, seed: u64, w: &mut dyn Write) -> io::Result<()> {
        let enc = crate::encode_symbols(&self.alphabet);
        let mut sink = ByteSink::new(w);
        let mut it = self.symbol_indices(seed);
        for _ in 0..n {
            let a = it.next().expect("infinite iterator");
            sink.put(&enc[a])?;
        }
        sink.finish()
    }

    fn entropy_rate_bits_per_token(&self) -> Option<f64> {
        Some(self.rate)
    }

    fn entropy_rate_bits_per_byte(&self) -> Option<f64> {
        Some(self.rate / self.mean_bytes_per_symbol())
    }
}

fn n_contexts(k: usize, order: usize) -> Result<usize, SourceError> {
    let too_large = || {
        SourceError::InvalidParameter(format!("{k} symbols at order {order} exceed {MAX_TABLE_ENTRIES} table entries"))
    };
    let n = u32::try_from(order).ok().and_then(|o| k.checked_pow(o)).ok_or_else(too_large)?;
    if n.checked_mul(k).is_none_or(|t| t > MAX_TABLE_ENTRIES) {
        return Err(too_large());
    }
    Ok(n)
}

/// Stationary distribution of the chain on contexts by power iteration
/// π ← πP from the uniform distribution.  Context c moves to
/// `(c mod k^(order-1))·k + a` with probability P(a|c).  Stops when
/// ‖π_{t+1} − π_t‖₁ < [`STATIONARY_TOLERANCE`].  With all P > 0 the chain is
/// irreducible and aperiodic, so the iteration converges geometrically; if the
/// contraction rate per step is ρ, the remaining error is at most
/// ρ/(1−ρ) times the last step.
fn stationary(probs: &[f64], k: usize, n_ctx: usize) -> Result<(Vec<f64>, usize), SourceError> {
    if n_ctx == 1 {
        return Ok((vec![1.0], 0));
    }
    let shift_mod = n_ctx / k;
    let mut pi = vec![1.0 / n_ctx as f64; n_ctx];
    let mut next = vec![0.0; n_ctx];
    for it in 1..=MAX_POWER_ITERATIONS {
        next.iter_mut().for_each(|x| *x = 0.0);
        for (c, row) in probs.chunks(k).enumerate() {
            let base = (c % shift_mod) * k;
            let m = pi[c];
            for (dst, &p) in next[base..base + k].iter_mut().zip(row) {
                *dst += m * p;
            }
        }
        let sum: f64 = next.iter().sum();
        let mut diff = 0.0;
        for (n, p) in next.iter_mut().zip(&pi) {
            *n /= sum;
            diff += (*n - p).abs();
        }
        std::mem::swap(&mut pi, &mut next);
        if diff < STATIONARY_TOLERANCE {
            return Ok((pi, it));
        }
    }
    Err(SourceError::NotConverged(MAX_POWER_ITERATIONS))
}

/// ln of a Gamma(shape, 1) variate.
fn ln_gamma_variate(rng: &mut impl RngCore, shape: f64) -> f64 {
    if shape < 1.0 {
        // Gamma(a) = Gamma(a+1) · U^(1/a)
        let u = open_unit_f64(rng);
        return ln_gamma_variate(rng, shape + 1.0) + detmath::ln(u) / shape;
    }
    // Marsaglia & Tsang (2000), "A simple method for generating gamma variables".
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let z = standard_normal(rng);
        let t = 1.0 + c * z;
        if t <= 0.0 {
            continue;
        }
        let v = t * t * t;
        let u = open_unit_f64(rng);
        let z2 = z * z;
        if u < 1.0 - 0.0331 * z2 * z2 || detmath::ln(u) < 0.5 * z2 + d * (1.0 - v + detmath::ln(v)) {
            return detmath::ln(d * v);
        }
    }
}

/// Standard normal by the Marsaglia polar method (one of the pair is used).
fn standard_normal(rng: &mut impl RngCore) -> f64 {
    loop {
        let u = 2.0 * unit_f64(rng) - 1.0;
        let v = 2.0 * unit_f64(rng) - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            return u * (-2.0 * detmath::ln(s) / s).sqrt();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn h2(p: f64) -> f64 {
        -(p * p.log2() + (1.0 - p) * (1.0 - p).log2())
    }

    #[test]
    fn two_state_chain_by_hand() {
        // States a, b.  P(a→b) = α = 0.3, P(b→a) = β = 0.1.
        // Balance π(a)·α = π(b)·β gives π(a) = β/(α+β) = 0.25, π(b) = 0.75.
        // Rate = 0.25·H(0.3) + 0.75·H(0.1)
        //      = 0.25·0.8812908992306927 + 0.75·0.4689955935892812.
        let m = Markov::from_transitions("ab", 1, vec![0.7, 0.3, 0.1, 0.9]).unwrap();
        assert!((m.stationary()[0] - 0.25).abs() < 1e-12);
        let expect = 0.25 * h2(0.3) + 0.75 * h2(0.1);
        assert!((m.entropy_rate_bits() - expect).abs() < 1e-12);
        assert!((expect - (0.25 * 0.8812908992306927 + 0.75 * 0.4689955935892812)).abs() < 1e-15);
    }

    #[test]
    fn order_zero_is_iid() {
        let m = Markov::from_transitions("xyz", 0, vec![0.5, 0.25, 0.25]).unwrap();
        assert_eq!(m.stationary(), &[1.0]);
        assert!((m.entropy_rate_bits() - 1.5).abs() < 1e-15);
        let mut out = Vec::new();
        m.write_tokens(1000, 1, &mut out).unwrap();
        assert_eq!(out.len(), 1000);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(Markov::random("", 1, 0, 1.0).is_err());
        assert!(Markov::random("aa", 1, 0, 1.0).is_err());
        assert!(Markov::random("ab", 1, 0, 0.0).is_err());
        assert!(Markov::random("ab", 64, 0, 1.0).is_err());
        assert!(Markov::from_transitions("ab", 1, vec![1.0, 0.0, 0.5, 0.5]).is_err());
    }

    #[test]
    fn stationary_is_fixed_point() {
        let m = Markov::random("abcde", 2, 9, 0.5).unwrap();
        let k = 5;
        let pi = m.stationary();
        let mut next = [0.0; 25];
        for c in 0..25 {
            for a in 0..k {
                next[(c % 5) * 5 + a] += pi[c] * m.transition(c, a);
            }
        }
        let diff: f64 = next.iter().zip(pi).map(|(a, b)| (a - b).abs()).sum();
        assert!(diff < 1e-13, "{diff}");
        assert!((pi.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn empirical_conditional_entropy_matches() {
        // F_2 = H(pairs) − H(singles) from 10^6 symbols of an order-1 chain.
        let alphabet = "abcdefghijklmnopqrstuvwxyz ";
        let m = Markov::random(alphabet, 1, 42, 1.0).unwrap();
        let n = 1_000_000usize;
        let xs: Vec<usize> = m.symbol_indices(7).take(n).collect();
        let mut singles = vec![0u64; 27];
        let mut pairs = vec![0u64; 27 * 27];
        for w in xs.windows(2) {
            singles[w[0]] += 1;
            pairs[w[0] * 27 + w[1]] += 1;
        }
        let plug = |c: &[u64]| {
            let t: u64 = c.iter().sum();
            let p: Vec<f64> = c.iter().map(|&x| x as f64 / t as f64).collect();
            entropy_bits(&p)
        };
        let f2 = plug(&pairs) - plug(&singles);
        let exact = m.entropy_rate_bits();
        assert!((f2 - exact).abs() / exact < 0.005, "F2 {f2} vs exact {exact}");
    }

    #[test]
    fn order_three_is_practical() {
        let m = Markov::random("abcdefghijklmnopqrstuvwxyz ", 3, 3, 0.3).unwrap();
        assert_eq!(m.n_contexts(), 27 * 27 * 27);
        let r = m.entropy_rate_bits();
        assert!(r > 0.0 && r < 27f64.log2(), "{r}");
        // Context statistics of generated text follow π.
        let xs: Vec<usize> = m.symbol_indices(1).take(200_000).collect();
        let mut counts: HashMap<usize, u64> = HashMap::new();
        for w in xs.windows(3) {
            *counts.entry(w[0] * 729 + w[1] * 27 + w[2]).or_default() += 1;
        }
        let (&top, &cnt) = counts.iter().max_by_key(|(_, &v)| v).unwrap();
        let f = cnt as f64 / (xs.len() - 2) as f64;
        assert!((f - m.stationary()[top]).abs() < 0.25 * m.stationary()[top] + 1e-3);
    }

    #[test]
    fn deterministic_streams() {
        let m = Markov::random("abc", 2, 5, 0.7).unwrap();
        let m2 = Markov::random("abc", 2, 5, 0.7).unwrap();
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        m.write_tokens(10_000, 1, &mut a).unwrap();
        m2.write_tokens(10_000, 1, &mut b).unwrap();
        m.write_tokens(10_000, 2, &mut c).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(!a.contains(&b'\n'));
    }
}
