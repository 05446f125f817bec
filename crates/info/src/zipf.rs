//! Zipf-law word entropy: Shannon's 1951 model and a maximum-likelihood
//! Zipf–Mandelbrot fit (bits per word).
//!
//! Shannon (1951, eq. 6–7) takes p_n = 0.1/n for word ranks n ≤ 8727 and
//! prints −Σ p_n log₂ p_n = 11.82 bits/word (2.62 bits/letter at 4.5
//! letters/word). Recomputing the stated model (PUBLISHED.md §1b) gives
//! 9.135 bits/word with total mass 0.9651, 9.414 when renormalized, and
//! 9.716 when cut where the mass reaches 1 (rank 12,367).
//!
//! Zipf–Mandelbrot: p(r) = (r + q)^(−s) / Z(s, q), r = 1..=R (Mandelbrot
//! 1953), fitted by maximum likelihood to rank frequencies.

use std::f64::consts::LN_2;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Shannon's printed word entropy, bits/word (1951, eq. 7). It does **not**
/// follow from the stated model p_n = 0.1/n, n ≤ 8727: that sum gives
/// 9.135 bits/word with Σ p_n = 0.9651 (not 1), and no variant of the cut
/// (renormalized: 9.414; cut at unit mass, rank 12,367: 9.716) comes near
/// 11.82. Pierce's repetition of "Σ P(r) > 1 at r = 8727" is flagged as
/// wrong by MathWorld; Grignetti (1964) reports ≈ 9.8 bits/word (secondary).
/// Kept as quoted history only.
pub const SHANNON_PUBLISHED_BITS_PER_WORD: f64 = 11.82;
/// Shannon's printed per-letter figure 11.82 / 4.5 = 2.62 bits/letter.
pub const SHANNON_PUBLISHED_BITS_PER_LETTER: f64 = 2.62;
/// Shannon's critical rank for p_n = 0.1/n.
pub const SHANNON_CRITICAL_RANK: usize = 8727;

/// Recomputed Shannon (1951) Zipf word-entropy model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShannonZipf {
    /// 8727.
    pub critical_rank: usize,
    /// −Σ_{n ≤ 8727} (0.1/n) log₂(0.1/n) ≈ 9.135 bits/word (unnormalized, as printed).
    pub bits_per_word: f64,
    /// Σ_{n ≤ 8727} 0.1/n ≈ 0.9651.
    pub mass: f64,
    /// Entropy of p_n renormalized over n ≤ 8727, ≈ 9.414 bits/word.
    pub renormalized_bits_per_word: f64,
    /// Smallest rank R with Σ_{n ≤ R} 0.1/n ≥ 1 (12,367; the mass at 12,366 is 0.99999).
    pub unit_mass_rank: usize,
    /// −Σ_{n ≤ R} (0.1/n) log₂(0.1/n) at that rank, ≈ 9.716 bits/word.
    pub unit_mass_bits_per_word: f64,
    /// The printed 11.82 (see [`SHANNON_PUBLISHED_BITS_PER_WORD`]).
    pub published_bits_per_word: f64,
}

/// Recomputes Shannon's p_n = 0.1/n word model (PUBLISHED.md §1b).
pub fn shannon_model() -> ShannonZipf {
    let (mut mass, mut h) = (0.0f64, 0.0f64);
    let (mut mass_c, mut h_c) = (0.0, 0.0);
    let mut n = 0usize;
    let mut unit_rank = 0usize;
    while unit_rank == 0 {
        n += 1;
        let p = 0.1 / n as f64;
        mass += p;
        h -= p * p.log2();
        if n == SHANNON_CRITICAL_RANK {
            mass_c = mass;
            h_c = h;
        }
        if mass >= 1.0 && n >= SHANNON_CRITICAL_RANK {
            unit_rank = n;
        }
    }
    ShannonZipf {
        critical_rank: SHANNON_CRITICAL_RANK,
        bits_per_word: h_c,
        mass: mass_c,
        // −Σ (p/M) log₂(p/M) = H/M + log₂ M
        renormalized_bits_per_word: h_c / mass_c + mass_c.log2(),
        unit_mass_rank: unit_rank,
        unit_mass_bits_per_word: h,
        published_bits_per_word: SHANNON_PUBLISHED_BITS_PER_WORD,
    }
}

/// Maximum-likelihood Zipf–Mandelbrot fit p(r) ∝ (r + q)^(−s), r = 1..=R.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ZipfMandelbrotFit {
    /// Exponent s (> 0).
    pub s: f64,
    /// Shift q (> −1).
    pub q: f64,
    /// Number of ranks R (observed types).
    pub ranks: usize,
    /// Sample size N = Σ f_r.
    pub n: u64,
    /// Maximized log-likelihood Σ f_r ln p(r), nats.
    pub log_likelihood: f64,
    /// Entropy of the fitted law over r = 1..=R, bits.
    pub entropy_bits: f64,
    /// Newton iterations used.
    pub iterations: usize,
}

/// Log-likelihood with gradient and Hessian in (s, q).
struct ZmEval {
    ll: f64,
    grad: [f64; 2],
    hess: [[f64; 2]; 2],
    entropy_nats: f64,
}

/// Evaluates L(s,q) = −s Σ f_r ln(r+q) − N ln Z and its derivatives, with
/// ℓ = ln(r+q), u = 1/(r+q), ⟨·⟩ the model average:
/// L_s = −Σ f ℓ + N⟨ℓ⟩, L_q = −s Σ f u + N s⟨u⟩,
/// L_ss = −N Var(ℓ), L_sq = −Σ f u + N⟨u⟩ − N s Cov(ℓ, u),
/// L_qq = s Σ f u² − N s⟨u²⟩ − N s² Var(u).
fn zm_eval(freqs: &[f64], n: f64, s: f64, q: f64) -> ZmEval {
    let shift = -s * (1.0 + q).ln(); // largest exponent (r = 1)
    let (mut z, mut el, mut el2, mut eu, mut eu2, mut elu) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut fl, mut fu, mut fu2) = (0.0, 0.0, 0.0);
    for (i, &f) in freqs.iter().enumerate() {
        let x = i as f64 + 1.0 + q;
        let l = x.ln();
        let u = 1.0 / x;
        let w = (-s * l - shift).exp();
        z += w;
        el += w * l;
        el2 += w * l * l;
        eu += w * u;
        eu2 += w * u * u;
        elu += w * l * u;
        fl += f * l;
        fu += f * u;
        fu2 += f * u * u;
    }
    let (el, el2, eu, eu2, elu) = (el / z, el2 / z, eu / z, eu2 / z, elu / z);
    let ln_z = shift + z.ln();
    let var_l = (el2 - el * el).max(0.0);
    let var_u = (eu2 - eu * eu).max(0.0);
    let cov = elu - el * eu;
    ZmEval {
        ll: -s * fl - n * ln_z,
        grad: [-fl + n * el, -s * fu + n * s * eu],
        hess: [
            [-n * var_l, -fu + n * eu - n * s * cov],
            [-fu + n * eu - n * s * cov, s * fu2 - n * s * eu2 - n * s * s * var_u],
        ],
        entropy_nats: s * el + ln_z,
    }
}

/// Maximum-likelihood fit of p(r) ∝ (r + q)^(−s) over ranks 1..=R, where
/// R is the number of nonzero entries of `freqs_by_rank` (the input is
/// sorted into non-increasing order first), and the entropy of the fitted
/// law in bits.
///
/// Method: Newton–Raphson on the exact log-likelihood with analytic
/// gradient and Hessian (see `zm_eval`), backtracking line search, gradient
/// ascent when the Hessian is not negative definite, and the constraints
/// s ∈ [1e-6, 50], q ∈ (−1, 1e7]. Start: s from a least-squares slope of
/// ln f against ln r with q = 0 (clamped to [0.2, 4]).
///
/// Errors: fewer than 2 observed types (`TooFewPoints`); no convergence in
/// 500 iterations or the optimum on a constraint boundary (`NoConvergence`).
pub fn fit_zipf_mandelbrot(freqs_by_rank: &[u64]) -> Result<ZipfMandelbrotFit, Error> {
    let mut sorted: Vec<u64> = freqs_by_rank.iter().copied().filter(|&f| f > 0).collect();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    if sorted.len() < 2 {
        return Err(Error::TooFewPoints { needed: 2, got: sorted.len() });
    }
    let freqs: Vec<f64> = sorted.iter().map(|&f| f as f64).collect();
    let n_tot: u64 = sorted.iter().sum();
    let n = n_tot as f64;

    // Initial s: OLS slope of ln f vs ln r.
    let r = freqs.len() as f64;
    let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
    for (i, f) in freqs.iter().enumerate() {
        let x = (i as f64 + 1.0).ln();
        let y = f.ln();
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    let denom = r * sxx - sx * sx;
    let slope = if denom > 0.0 { (r * sxy - sx * sy) / denom } else { -1.0 };
    let mut s = (-slope).clamp(0.2, 4.0);
    let mut q = 0.0f64;

    const S_MIN: f64 = 1e-6;
    const S_MAX: f64 = 50.0;
    const Q_MIN: f64 = -1.0 + 1e-9;
    const Q_MAX: f64 = 1e7;
    let clamp = |s: f64, q: f64| (s.clamp(S_MIN, S_MAX), q.clamp(Q_MIN, Q_MAX));

    let mut cur = zm_eval(&freqs, n, s, q);
    for it in 1..=500 {
        let [gs, gq] = cur.grad;
        let [[hss, hsq], [_, hqq]] = cur.hess;
        let det = hss * hqq - hsq * hsq;
        // Newton direction if H is negative definite, else scaled gradient.
        let (mut ds, mut dq) = if hss < 0.0 && det > 0.0 {
            (-(hqq * gs - hsq * gq) / det, -(-hsq * gs + hss * gq) / det)
        } else {
            let scale = 1.0 / (1.0 + (gs * gs + gq * gq).sqrt());
            (gs * scale, gq * scale * (1.0 + q.abs()))
        };
        // Keep q + 1 positive: never step more than 90% of the way to −1.
        if q + dq < Q_MIN {
            dq = -0.9 * (q - Q_MIN);
        }
        if s + ds < S_MIN {
            ds = -0.9 * (s - S_MIN);
        }
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..60 {
            let (ns, nq) = clamp(s + t * ds, q + t * dq);
            let cand = zm_eval(&freqs, n, ns, nq);
            if cand.ll.is_finite() && cand.ll >= cur.ll - 1e-12 * cur.ll.abs() {
                let moved = ((ns - s).abs() + (nq - q).abs() / (1.0 + q.abs())) / (1.0 + s);
                s = ns;
                q = nq;
                let gain = cand.ll - cur.ll;
                cur = cand;
                accepted = true;
                let gnorm = cur.grad[0].abs() + cur.grad[1].abs() / (1.0 + q.abs());
                if moved < 1e-12 || (gnorm < 1e-8 * n.max(1.0) && gain.abs() < 1e-10 * cur.ll.abs()) {
                    return finish(s, q, &cur, &freqs, n_tot, it, Q_MAX, S_MAX);
                }
                break;
            }
            t *= 0.5;
        }
        if !accepted {
            // No ascent possible along the direction: at a (numerical) optimum.
            return finish(s, q, &cur, &freqs, n_tot, it, Q_MAX, S_MAX);
        }
    }
    Err(Error::NoConvergence("Zipf–Mandelbrot fit: Newton did not converge in 500 iterations".into()))
}

#[allow(clippy::too_many_arguments)]
fn finish(
    s: f64,
    q: f64,
    ev: &ZmEval,
    freqs: &[f64],
    n: u64,
    iterations: usize,
    q_max: f64,
    s_max: f64,
) -> Result<ZipfMandelbrotFit, Error> {
    if q >= q_max * 0.999 || s >= s_max * 0.999 {
        return Err(Error::NoConvergence(format!(
            "Zipf–Mandelbrot fit ran to the parameter boundary (s = {s}, q = {q})"
        )));
    }
    Ok(ZipfMandelbrotFit {
        s,
        q,
        ranks: freqs.len(),
        n,
        log_likelihood: ev.ll,
        entropy_bits: ev.entropy_nats / LN_2,
        iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::entropy;

    #[test]
    fn shannon_recomputed_numbers() {
        let m = shannon_model();
        assert_eq!(m.critical_rank, 8727);
        assert!((m.bits_per_word - 9.135).abs() < 1e-3, "{}", m.bits_per_word);
        assert!((m.mass - 0.9651).abs() < 1e-3, "{}", m.mass);
        assert!((m.renormalized_bits_per_word - 9.414).abs() < 1e-3);
        assert!((m.unit_mass_bits_per_word - 9.716).abs() < 1e-3);
        assert!((12_366..=12_367).contains(&m.unit_mass_rank));
        assert_eq!(m.published_bits_per_word, 11.82);
        // The published figure is not reproduced by any variant.
        assert!((m.bits_per_word - SHANNON_PUBLISHED_BITS_PER_WORD).abs() > 2.0);
        // 11.82 / 4.5 = 2.6267 → the printed 2.62 per letter.
        assert!((SHANNON_PUBLISHED_BITS_PER_WORD / 4.5 - SHANNON_PUBLISHED_BITS_PER_LETTER).abs() < 0.01);
    }

    fn zm_probs(s: f64, q: f64, r: usize) -> Vec<f64> {
        let w: Vec<f64> = (1..=r).map(|i| (i as f64 + q).powf(-s)).collect();
        let z: f64 = w.iter().sum();
        w.iter().map(|x| x / z).collect()
    }

    #[test]
    fn recovers_zipf_mandelbrot_parameters() {
        // Expected frequencies N·p(r) (rounded) of a known law: the MLE equals the
        // truth up to rounding of the counts.
        for &(s, q) in &[(1.1, 2.5), (0.9, 0.0), (1.5, 10.0)] {
            let p = zm_probs(s, q, 3000);
            let f: Vec<u64> = p.iter().map(|x| (x * 1e10).round() as u64).collect();
            let fit = fit_zipf_mandelbrot(&f).unwrap();
            assert!((fit.s - s).abs() < 1e-4, "s {} vs {s}", fit.s);
            assert!((fit.q - q).abs() < 1e-3, "q {} vs {q}", fit.q);
            assert!((fit.entropy_bits - entropy(&p)).abs() < 1e-6);
            assert_eq!(fit.ranks, 3000);
        }
    }

    #[test]
    fn fit_is_a_local_maximum() {
        // Pure Zipf-like counts with noise from a deterministic pattern.
        let f: Vec<u64> = (1..=500u64).map(|r| 100_000 / r + (r * 7919 % 13)).collect();
        let fit = fit_zipf_mandelbrot(&f).unwrap();
        let freqs: Vec<f64> = {
            let mut v = f.clone();
            v.sort_unstable_by(|a, b| b.cmp(a));
            v.iter().map(|&x| x as f64).collect()
        };
        let n = freqs.iter().sum::<f64>();
        for (ds, dq) in [(1e-3, 0.0), (-1e-3, 0.0), (0.0, 1e-2), (0.0, -1e-2)] {
            let other = zm_eval(&freqs, n, fit.s + ds, fit.q + dq);
            assert!(other.ll <= fit.log_likelihood + 1e-9);
        }
    }

    #[test]
    fn too_few_types() {
        assert!(matches!(fit_zipf_mandelbrot(&[5, 0]), Err(Error::TooFewPoints { .. })));
    }
}
