//! Seeding and sampling helpers with fully specified, portable behaviour.
//!
//! All randomness comes from `ChaCha8Rng` (whose output stream is specified
//! and portable).  Seeds are expanded to the 32-byte ChaCha key with
//! SplitMix64 here rather than by any library default, and uniform draws are
//! done with the explicit formulas below, so the bytes generated never depend
//! on a library's choice of algorithm.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// SplitMix64 finaliser: a fast bijective 64-bit mixer.
#[inline]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A ChaCha8 generator for `(seed, domain)`: different domains give
/// independent streams from the same user seed.
pub(crate) fn chacha(seed: u64, domain: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    let mut s = mix64(seed ^ mix64(domain));
    for chunk in key.chunks_mut(8) {
        s = mix64(s);
        chunk.copy_from_slice(&s.to_le_bytes());
    }
    ChaCha8Rng::from_seed(key)
}

/// Uniform in [0, 1) with 53 random bits.
#[inline]
pub(crate) fn unit_f64(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform in (0, 1): never exactly 0 (for logarithms).
#[inline]
pub(crate) fn open_unit_f64(rng: &mut impl RngCore) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// Index in `0..n` by multiply-shift (bias < n / 2^64, negligible).
#[inline]
pub(crate) fn below(rng: &mut impl RngCore, n: u64) -> u64 {
    ((rng.next_u64() as u128 * n as u128) >> 64) as u64
}

/// Cumulative sums of `p` (sequential, so portable), last entry forced to 1.
pub(crate) fn cdf_of(p: &[f64]) -> Vec<f64> {
    let mut acc = 0.0;
    let mut c: Vec<f64> = p
        .iter()
        .map(|&x| {
            acc += x;
            acc
        })
        .collect();
    if let Some(last) = c.last_mut() {
        *last = 1.0;
    }
    c
}

/// Index `i` with `cdf[i-1] <= u < cdf[i]`.
#[inline]
pub(crate) fn sample_cdf(cdf: &[f64], u: f64) -> usize {
    cdf.partition_point(|&c| c <= u).min(cdf.len() - 1)
}

/// Walker/Vose alias table with 32-bit thresholds; one `u64` per draw.
#[derive(Clone, Debug)]
pub(crate) struct Alias {
    /// Per column: acceptance threshold (compared against 32 random bits) and
    /// alias.  Columns that always accept are their own alias.
    cols: Vec<(u32, u32)>,
}

impl Alias {
    /// Builds from non-negative weights (at least one positive).
    pub(crate) fn new(weights: &[f64]) -> Alias {
        let n = weights.len();
        assert!(n > 0 && n < u32::MAX as usize);
        let total: f64 = weights.iter().sum();
        assert!(total > 0.0 && total.is_finite());
        let mut prob: Vec<f64> = weights.iter().map(|&w| w * n as f64 / total).collect();
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let mut small: Vec<usize> = Vec::new();
        let mut large: Vec<usize> = Vec::new();
        for (i, &p) in prob.iter().enumerate() {
            if p < 1.0 {
                small.push(i);
            } else {
                large.push(i);
            }
        }
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            alias[s] = l as u32;
            prob[l] = (prob[l] + prob[s]) - 1.0;
            if prob[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        for &i in large.iter().chain(small.iter()) {
            prob[i] = 1.0;
            alias[i] = i as u32;
        }
        let cols = prob
            .iter()
            .zip(alias)
            .map(|(&p, a)| {
                let t = (p * 4_294_967_296.0).round();
                if t >= 4_294_967_295.0 {
                    (u32::MAX, a)
                } else {
                    (t as u32, a)
                }
            })
            .collect();
        Alias { cols }
    }

    /// Draws an index from 64 random bits: the high 32 choose the column, the
    /// low 32 decide between the column and its alias.
    #[inline]
    pub(crate) fn sample(&self, u: u64) -> usize {
        let col = (((u >> 32) * self.cols.len() as u64) >> 32) as usize;
        let (t, a) = self.cols[col];
        if (u as u32) < t {
            col
        } else {
            a as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_frequencies() {
        let w = [1.0, 2.0, 3.0, 0.0, 4.0];
        let a = Alias::new(&w);
        let mut rng = chacha(1, 2);
        let mut counts = [0u64; 5];
        let n = 200_000;
        for _ in 0..n {
            counts[a.sample(rng.next_u64())] += 1;
        }
        assert_eq!(counts[3], 0);
        for i in [0, 1, 2, 4] {
            let f = counts[i] as f64 / n as f64;
            assert!((f - w[i] / 10.0).abs() < 0.005, "{i}: {f}");
        }
    }
}
