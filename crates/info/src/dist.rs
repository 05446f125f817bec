//! Information measures of explicit probability vectors (bits).
//!
//! Inputs are probability vectors (non-negative, summing to 1; this is not
//! checked). Terms with p_i = 0 contribute 0 (the convention 0·log 0 = 0).
//! Definitions follow Cover & Thomas, *Elements of Information Theory*
//! (2nd ed., 2006): entropy eq. 2.1, relative entropy eq. 2.26, cross-entropy
//! H(p, q) = H(p) + D(p‖q); Jensen–Shannon divergence from Lin, "Divergence
//! measures based on the Shannon entropy", IEEE Trans. IT 37(1), 1991.
//!
//! Functions that take two vectors panic if their lengths differ.

/// Shannon entropy H(p) = −Σ p_i log₂ p_i in bits, with 0·log 0 = 0.
///
/// Source: Shannon 1948 / Cover & Thomas eq. 2.1.
pub fn entropy(p: &[f64]) -> f64 {
    let h: f64 = p.iter().filter(|&&x| x > 0.0).map(|&x| -x * x.log2()).sum();
    h.max(0.0)
}

/// Cross-entropy H(p, q) = −Σ p_i log₂ q_i in bits.
///
/// Returns `f64::INFINITY` when some p_i > 0 has q_i = 0.
/// Source: Cover & Thomas §2.3 (H(p, q) = H(p) + D(p‖q)).
pub fn cross_entropy(p: &[f64], q: &[f64]) -> f64 {
    assert_eq!(p.len(), q.len(), "cross_entropy: length mismatch");
    let mut h = 0.0;
    for (&pi, &qi) in p.iter().zip(q) {
        if pi > 0.0 {
            if qi <= 0.0 {
                return f64::INFINITY;
            }
            h -= pi * qi.log2();
        }
    }
    h
}

/// Kullback–Leibler divergence D(p‖q) = Σ p_i log₂(p_i/q_i) = H(p, q) − H(p),
/// in bits.
///
/// Returns `f64::INFINITY` when some p_i > 0 has q_i = 0. Clamped at 0 to
/// absorb rounding (D ≥ 0 by Gibbs' inequality for normalized inputs).
/// Source: Cover & Thomas eq. 2.26.
pub fn kl(p: &[f64], q: &[f64]) -> f64 {
    assert_eq!(p.len(), q.len(), "kl: length mismatch");
    let mut d = 0.0;
    for (&pi, &qi) in p.iter().zip(q) {
        if pi > 0.0 {
            if qi <= 0.0 {
                return f64::INFINITY;
            }
            d += pi * (pi / qi).log2();
        }
    }
    d.max(0.0)
}

/// Jensen–Shannon divergence JS(p, q) = ½D(p‖m) + ½D(q‖m), m = (p+q)/2, in
/// bits. Symmetric, finite, and in [0, 1].
///
/// Source: Lin 1991, eq. 4.1 (with equal weights).
pub fn js(p: &[f64], q: &[f64]) -> f64 {
    assert_eq!(p.len(), q.len(), "js: length mismatch");
    let mut d = 0.0;
    for (&pi, &qi) in p.iter().zip(q) {
        let m = 0.5 * (pi + qi);
        if pi > 0.0 {
            d += 0.5 * pi * (pi / m).log2();
        }
        if qi > 0.0 {
            d += 0.5 * qi * (qi / m).log2();
        }
    }
    d.clamp(0.0, 1.0)
}

/// ln Σ exp(x_i), computed stably by factoring out the maximum.
///
/// Empty input or all −∞ gives −∞; any +∞ gives +∞; NaN propagates.
pub fn log_sum_exp(xs: &[f64]) -> f64 {
    let mut max = f64::NEG_INFINITY;
    for &x in xs {
        if x.is_nan() {
            return f64::NAN;
        }
        if x > max {
            max = x;
        }
    }
    if max.is_infinite() {
        return max;
    }
    let s: f64 = xs.iter().map(|&x| (x - max).exp()).sum();
    max + s.ln()
}

/// Temperature-scaled distribution p_i^(1/τ) / Z from log-probabilities
/// `logp` (natural log; any additive constant cancels), computed in log
/// space as exp((logp_i − max)/τ − ln Z).
///
/// - τ = 0: one-hot on the arg-max (lowest index on ties);
/// - τ = +∞: uniform over the support (entries with finite `logp`), the limit
///   of p^(1/τ) as τ → ∞ (0^(1/τ) stays 0);
/// - all entries −∞: uniform (no information); empty input: empty output.
///
/// Panics if τ is negative or NaN, or if `logp` contains NaN or +∞.
pub fn softmax_temperature(logp: &[f64], tau: f64) -> Vec<f64> {
    assert!(tau >= 0.0, "softmax_temperature: tau must be >= 0, got {tau}");
    assert!(
        logp.iter().all(|x| !x.is_nan() && *x != f64::INFINITY),
        "softmax_temperature: logp must not contain NaN or +inf"
    );
    let n = logp.len();
    if n == 0 {
        return Vec::new();
    }
    let max = logp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return vec![1.0 / n as f64; n];
    }
    if tau == 0.0 {
        let idx = logp.iter().position(|&x| x == max).unwrap_or(0);
        let mut out = vec![0.0; n];
        out[idx] = 1.0;
        return out;
    }
    if tau.is_infinite() {
        let support = logp.iter().filter(|x| x.is_finite()).count() as f64;
        return logp.iter().map(|x| if x.is_finite() { 1.0 / support } else { 0.0 }).collect();
    }
    let scaled: Vec<f64> = logp.iter().map(|&x| (x - max) / tau).collect();
    let lz = log_sum_exp(&scaled);
    scaled.iter().map(|&x| (x - lz).exp()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_cases() {
        // H(½,¼,¼) = ½·1 + ¼·2 + ¼·2 = 1.5 bits.
        assert!((entropy(&[0.5, 0.25, 0.25]) - 1.5).abs() < 1e-15);
        assert_eq!(entropy(&[1.0, 0.0]), 0.0);
        // H(p,q) with p=(½,½), q=(¼,¾): −½log₂¼ − ½log₂¾ = 1 + ½·0.415037… = 1.2075187…
        let h = cross_entropy(&[0.5, 0.5], &[0.25, 0.75]);
        assert!((h - (1.0 - 0.5 * 0.75f64.log2())).abs() < 1e-15);
        assert!((kl(&[0.5, 0.5], &[0.25, 0.75]) - (h - 1.0)).abs() < 1e-15);
        assert_eq!(cross_entropy(&[0.5, 0.5], &[1.0, 0.0]), f64::INFINITY);
        assert_eq!(kl(&[0.5, 0.5], &[1.0, 0.0]), f64::INFINITY);
        // q_i = 0 where p_i = 0 is fine.
        assert!((kl(&[1.0, 0.0], &[0.5, 0.5]) - 1.0).abs() < 1e-15);
        // Disjoint supports: JS = 1 bit exactly.
        assert!((js(&[1.0, 0.0], &[0.0, 1.0]) - 1.0).abs() < 1e-15);
        assert_eq!(js(&[0.3, 0.7], &[0.3, 0.7]), 0.0);
    }

    #[test]
    fn log_sum_exp_cases() {
        assert!((log_sum_exp(&[0.0, 0.0]) - 2f64.ln()).abs() < 1e-15);
        assert!((log_sum_exp(&[1000.0, 1000.0]) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(log_sum_exp(&[]), f64::NEG_INFINITY);
        assert_eq!(log_sum_exp(&[f64::NEG_INFINITY]), f64::NEG_INFINITY);
        assert_eq!(log_sum_exp(&[0.0, f64::INFINITY]), f64::INFINITY);
    }

    #[test]
    fn softmax_limits() {
        let lp = [0.1f64.ln(), 0.6f64.ln(), 0.3f64.ln(), 0.6f64.ln()];
        assert_eq!(softmax_temperature(&lp, 0.0), vec![0.0, 1.0, 0.0, 0.0]);
        assert_eq!(softmax_temperature(&lp, f64::INFINITY), vec![0.25; 4]);
        let with_zero = [0.0, f64::NEG_INFINITY];
        assert_eq!(softmax_temperature(&with_zero, f64::INFINITY), vec![1.0, 0.0]);
        // τ = ½ squares: (0.1², 0.6², 0.3², 0.6²)/Z.
        let sq = softmax_temperature(&lp, 0.5);
        let z = 0.01 + 0.36 + 0.09 + 0.36;
        for (a, b) in sq.iter().zip([0.01 / z, 0.36 / z, 0.09 / z, 0.36 / z]) {
            assert!((a - b).abs() < 1e-15);
        }
        // Tiny τ does not produce NaN.
        let t = softmax_temperature(&[-1.0, -2.0], 1e-310);
        assert_eq!(t, vec![1.0, 0.0]);
    }

    fn prob_vec(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(0.0f64..1.0, 1..max_len).prop_filter_map("nonzero sum", |v| {
            let s: f64 = v.iter().sum();
            (s > 1e-9).then(|| v.iter().map(|x| x / s).collect())
        })
    }

    fn prob_pair(max_len: usize) -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
        (1..max_len).prop_flat_map(|n| {
            let v = || {
                prop::collection::vec(1e-6f64..1.0, n).prop_map(|v| {
                    let s: f64 = v.iter().sum();
                    v.iter().map(|x| x / s).collect::<Vec<f64>>()
                })
            };
            (v(), v())
        })
    }

    proptest! {
        #[test]
        fn entropy_bounded(p in prob_vec(40)) {
            let h = entropy(&p);
            prop_assert!(h >= 0.0);
            prop_assert!(h <= (p.len() as f64).log2() + 1e-12);
        }

        #[test]
        fn kl_properties((p, q) in prob_pair(30)) {
            let d = kl(&p, &q);
            prop_assert!(d >= 0.0);
            prop_assert!(kl(&p, &p).abs() < 1e-12);
            prop_assert!((d - (cross_entropy(&p, &q) - entropy(&p))).abs() < 1e-9);
        }

        #[test]
        fn js_symmetric_bounded((p, q) in prob_pair(30)) {
            let a = js(&p, &q);
            let b = js(&q, &p);
            prop_assert!((a - b).abs() < 1e-12);
            prop_assert!((0.0..=1.0).contains(&a));
        }

        #[test]
        fn softmax_normalized(p in prob_vec(30), tau in 0.01f64..20.0) {
            let lp: Vec<f64> = p.iter().map(|x| x.ln()).collect();
            let s: f64 = softmax_temperature(&lp, tau).iter().sum();
            prop_assert!((s - 1.0).abs() < 1e-9);
            let one = softmax_temperature(&lp, 1.0);
            for (a, b) in one.iter().zip(&p) {
                prop_assert!((a - b).abs() < 1e-12);
            }
        }
    }
}
