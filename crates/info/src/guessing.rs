//! Shannon's (1951) guessing-game bounds on the N-gram entropy F_N (bits).
//!
//! Input: q_i, the frequency with which the predictor's i-th guess is the
//! correct next symbol, i = 1..=M, as probabilities or raw counts (they are
//! normalized here). Output: Shannon 1951, eq. 17,
//!
//!   Σ_{i=1}^{M} i (q_i − q_{i+1}) log₂ i  ≤  F_N  ≤  −Σ_{i=1}^{M} q_i log₂ q_i,
//!
//! with q_{M+1} = 0 (PUBLISHED.md §1c). The upper bound holds for any
//! predictor; the lower bound assumes the ideal predictor, whose q is
//! non-increasing in i (it is computed as given, without sorting).

/// Returns `(upper, lower)` bounds in bits per symbol (Shannon 1951, eq. 17).
///
/// Frequencies are normalized by their sum; negative entries are treated as
/// 0. Empty input or zero total gives `(0.0, 0.0)`.
pub fn bounds(rank_freqs: &[f64]) -> (f64, f64) {
    let total: f64 = rank_freqs.iter().map(|&x| x.max(0.0)).sum();
    if total.is_nan() || total <= 0.0 || !total.is_finite() {
        return (0.0, 0.0);
    }
    let q: Vec<f64> = rank_freqs.iter().map(|&x| x.max(0.0) / total).collect();
    let upper: f64 = q.iter().filter(|&&x| x > 0.0).map(|&x| -x * x.log2()).sum();
    let lower: f64 = (0..q.len())
        .map(|k| {
            let i = (k + 1) as f64;
            let next = q.get(k + 1).copied().unwrap_or(0.0);
            i * (q[k] - next) * i.log2()
        })
        .sum();
    (upper.max(0.0), lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_case() {
        // q = (½, ¼, ¼): upper = ½·1 + ¼·2 + ¼·2 = 1.5;
        // lower = 1·(½−¼)·0 + 2·(¼−¼)·1 + 3·(¼−0)·log₂3 = ¾ log₂ 3 = 1.1887219.
        let (u, l) = bounds(&[0.5, 0.25, 0.25]);
        assert!((u - 1.5).abs() < 1e-15);
        assert!((l - 0.75 * 3f64.log2()).abs() < 1e-15);
        assert!(l <= u);
        // Counts are normalized: (2, 1, 1) ≡ (½, ¼, ¼).
        assert_eq!(bounds(&[2.0, 1.0, 1.0]), (u, l));
    }

    #[test]
    fn one_hot_and_uniform() {
        // Always right on the first guess: both bounds are 0.
        assert_eq!(bounds(&[1.0, 0.0, 0.0]), (0.0, 0.0));
        assert_eq!(bounds(&[7.0]).0, 0.0);
        // Uniform over M guesses is a single rectangle: both bounds = log₂ M.
        let (u, l) = bounds(&[1.0; 27]);
        assert!((u - 27f64.log2()).abs() < 1e-12 && (l - 27f64.log2()).abs() < 1e-12);
        assert_eq!(bounds(&[]), (0.0, 0.0));
    }

    #[test]
    fn monotone_q_lower_below_upper() {
        // Shannon's second reduced-text experiment, first five ranks
        // (79, 8, 3, 2, 2 out of the 94 that needed ≤ 5 guesses).
        let (u, l) = bounds(&[79.0, 8.0, 3.0, 2.0, 2.0]);
        assert!(l > 0.0 && l < u);
    }
}
