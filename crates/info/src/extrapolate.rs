//! Extrapolation of finite-N entropy estimates to N → ∞.
//!
//! Input: points (N, F_N) (e.g. block length or text length and the
//! bits/symbol measured there). Output: fitted parameters and residuals.
//!
//! - Power law: F(N) = h + A·N^(−α) (the common finite-size ansatz, e.g.
//!   Schürmann & Grassberger 1996, Chaos 6:414), least squares in F.
//! - Stretched exponential of Takahira, Tanaka-Ishii & Dębowski 2016
//!   (Entropy 18:364): f(n) = exp(A·n^(β−1) + h′), entropy rate h = exp(h′);
//!   least squares on ln f (PUBLISHED.md §2e).
//!
//! Both are solved by variable projection: for a fixed exponent the model
//! is linear in the other two parameters (closed-form least squares), so
//! only the exponent is searched — a log-spaced grid over [1e-3, 10]
//! followed by golden-section refinement. No initial guess is needed, so
//! the fit cannot start in the wrong basin; an optimum on the edge of the
//! exponent range is reported as `NoConvergence`.

use serde::{Deserialize, Serialize};

use crate::Error;

/// Fit of F(N) = h + A·N^(−α).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PowerLawFit {
    /// Asymptote h = lim F(N).
    pub h: f64,
    /// Amplitude A.
    pub a: f64,
    /// Exponent α > 0.
    pub alpha: f64,
    /// Root-mean-square residual in the units of F.
    pub rms: f64,
    /// Number of points used.
    pub points: usize,
}

/// Fit of f(n) = exp(A·n^(β−1) + h′) (Takahira et al. 2016).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StretchedExpFit {
    /// Entropy-rate estimate h = exp(h′), in the units of f.
    pub h: f64,
    /// h′ = ln h.
    pub h_prime: f64,
    /// Amplitude A.
    pub a: f64,
    /// Exponent β (< 1).
    pub beta: f64,
    /// RMS residual of ln f (the quantity minimized).
    pub rms_log: f64,
    /// RMS residual of f itself, in the units of f.
    pub rms: f64,
    /// Number of points used.
    pub points: usize,
}

const EXP_MIN: f64 = 1e-3;
const EXP_MAX: f64 = 10.0;
const GRID: usize = 400;

/// Closed-form least squares of y on (1, z) for z_i = (x_i/x_min)^(−α):
/// returns (h, A_scaled, rss).
fn linear_given_exponent(xs: &[f64], ys: &[f64], x_min: f64, alpha: f64) -> (f64, f64, f64) {
    let n = xs.len() as f64;
    let z: Vec<f64> = xs.iter().map(|&x| (x / x_min).powf(-alpha)).collect();
    let zm = z.iter().sum::<f64>() / n;
    let ym = ys.iter().sum::<f64>() / n;
    let (mut szz, mut szy) = (0.0, 0.0);
    for (zi, yi) in z.iter().zip(ys) {
        szz += (zi - zm) * (zi - zm);
        szy += (zi - zm) * (yi - ym);
    }
    let a = if szz > 0.0 { szy / szz } else { 0.0 };
    let h = ym - a * zm;
    let rss = z.iter().zip(ys).map(|(zi, yi)| (yi - h - a * zi).powi(2)).sum();
    (h, a, rss)
}

/// Variable-projection fit of y = h + A·x^(−α); returns (h, A, α, rss).
fn vp_fit(xs: &[f64], ys: &[f64]) -> Result<(f64, f64, f64, f64), Error> {
    let x_min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let x_max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if x_max <= x_min || x_max.is_nan() || x_min.is_nan() {
        return Err(Error::InvalidInput("extrapolation needs at least two distinct N".into()));
    }
    let rss_at = |la: f64| linear_given_exponent(xs, ys, x_min, la.exp()).2;
    let (l0, l1) = (EXP_MIN.ln(), EXP_MAX.ln());
    let step = (l1 - l0) / GRID as f64;
    let mut best = (f64::INFINITY, 0usize);
    for i in 0..=GRID {
        let r = rss_at(l0 + i as f64 * step);
        if r < best.0 {
            best = (r, i);
        }
    }
    if !best.0.is_finite() {
        return Err(Error::NoConvergence("extrapolation: non-finite residuals".into()));
    }
    if best.1 == 0 || best.1 == GRID {
        return Err(Error::NoConvergence(format!(
            "extrapolation: best exponent at the search boundary ({:.3e})",
            (l0 + best.1 as f64 * step).exp()
        )));
    }
    // Golden-section refinement on the bracketing grid cells.
    let (a, b) = (l0 + (best.1 - 1) as f64 * step, l0 + (best.1 + 1) as f64 * step);
    let end = crate::optimize::golden_section_min(rss_at, a, b, 1e-14, 200);
    let la = 0.5 * (end.lo + end.hi);
    let alpha = la.exp();
    let (h, a_scaled, rss) = linear_given_exponent(xs, ys, x_min, alpha);
    // A·(x/x_min)^(−α) = (A·x_min^α)·x^(−α)
    let amp = a_scaled * x_min.powf(alpha);
    if !(h.is_finite() && amp.is_finite() && rss.is_finite()) {
        return Err(Error::NoConvergence("extrapolation: non-finite fit".into()));
    }
    Ok((h, amp, alpha, rss))
}

fn check_points(points: &[(f64, f64)], needed: usize) -> Result<(), Error> {
    if points.len() < needed {
        return Err(Error::TooFewPoints { needed, got: points.len() });
    }
    if points.iter().any(|&(x, y)| x.is_nan() || x <= 0.0 || !x.is_finite() || !y.is_finite()) {
        return Err(Error::InvalidInput("extrapolation needs finite points with N > 0".into()));
    }
    Ok(())
}

/// Least-squares fit of F(N) = h + A·N^(−α) to `(N, F_N)` points (α in
/// [1e-3, 10]). Needs at least 3 points with at least 2 distinct N.
pub fn fit_power_law(points: &[(f64, f64)]) -> Result<PowerLawFit, Error> {
    check_points(points, 3)?;
    let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    let (h, a, alpha, rss) = vp_fit(&xs, &ys)?;
    Ok(PowerLawFit { h, a, alpha, rms: (rss / points.len() as f64).sqrt(), points: points.len() })
}

/// Least-squares fit (on ln f) of Takahira et al.'s (2016) stretched
/// exponential f(n) = exp(A·n^(β−1) + h′) to `(n, f)` points, f > 0;
/// h = exp(h′). 1 − β is searched in [1e-3, 10]. Needs at least 4 points.
pub fn fit_stretched_exponential(points: &[(f64, f64)]) -> Result<StretchedExpFit, Error> {
    check_points(points, 4)?;
    if points.iter().any(|&(_, y)| y.is_nan() || y <= 0.0) {
        return Err(Error::InvalidInput("stretched-exponential fit needs f > 0".into()));
    }
    let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = points.iter().map(|p| p.1.ln()).collect();
    let (h_prime, a, gamma, rss) = vp_fit(&xs, &ys)?;
    let beta = 1.0 - gamma;
    let n = points.len() as f64;
    let rss_f: f64 = points.iter().map(|&(x, y)| (y - (a * x.powf(beta - 1.0) + h_prime).exp()).powi(2)).sum();
    Ok(StretchedExpFit {
        h: h_prime.exp(),
        h_prime,
        a,
        beta,
        rms_log: (rss / n).sqrt(),
        rms: (rss_f / n).sqrt(),
        points: points.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns() -> Vec<f64> {
        (0..12).map(|i| 1e3 * 4f64.powi(i)).collect()
    }

    #[test]
    fn power_law_recovers_exact_parameters() {
        let (h, a, alpha) = (1.2, 3.0, 0.4);
        let pts: Vec<(f64, f64)> = ns().iter().map(|&n| (n, h + a * n.powf(-alpha))).collect();
        let fit = fit_power_law(&pts).unwrap();
        assert!((fit.h - h).abs() < 1e-6, "{fit:?}");
        assert!((fit.a - a).abs() < 1e-4, "{fit:?}");
        assert!((fit.alpha - alpha).abs() < 1e-5, "{fit:?}");
        assert!(fit.rms < 1e-9);
        // Shannon-style F_N over block lengths 1..8 with α = 1.5.
        let pts: Vec<(f64, f64)> = (1..=8).map(|n| (n as f64, 2.0 + 2.5 * (n as f64).powf(-1.5))).collect();
        let fit = fit_power_law(&pts).unwrap();
        assert!((fit.h - 2.0).abs() < 1e-6 && (fit.alpha - 1.5).abs() < 1e-5);
    }

    #[test]
    fn power_law_with_noise() {
        // ±0.2% deterministic alternating perturbation.
        let pts: Vec<(f64, f64)> = ns()
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let f = 1.2 + 3.0 * n.powf(-0.4);
                (n, f * (1.0 + if i % 2 == 0 { 0.002 } else { -0.002 }))
            })
            .collect();
        let fit = fit_power_law(&pts).unwrap();
        assert!((fit.h - 1.2).abs() < 0.05, "{fit:?}");
        assert!((fit.alpha - 0.4).abs() < 0.05, "{fit:?}");
        assert!(fit.rms > 0.0 && fit.rms < 0.01);
    }

    #[test]
    fn stretched_exponential_recovers_parameters() {
        // β = 0.884 (one secondary quote for Takahira et al.), h = 1.2 bits/char.
        let (a, beta, hp) = (1.5f64, 0.884f64, 1.2f64.ln());
        let pts: Vec<(f64, f64)> = ns().iter().map(|&n| (n, (a * n.powf(beta - 1.0) + hp).exp())).collect();
        let fit = fit_stretched_exponential(&pts).unwrap();
        assert!((fit.h - 1.2).abs() < 1e-6, "{fit:?}");
        assert!((fit.beta - beta).abs() < 1e-5, "{fit:?}");
        assert!((fit.a - a).abs() < 1e-4, "{fit:?}");
        assert!(fit.rms < 1e-9 && fit.rms_log < 1e-9);
    }

    #[test]
    fn errors() {
        assert!(matches!(fit_power_law(&[(1.0, 2.0), (2.0, 1.5)]), Err(Error::TooFewPoints { needed: 3, got: 2 })));
        let three = [(1.0, 3.0), (2.0, 2.0), (4.0, 1.5)];
        assert!(fit_power_law(&three).is_ok());
        assert!(matches!(fit_stretched_exponential(&three), Err(Error::TooFewPoints { needed: 4, got: 3 })));
        assert!(matches!(fit_power_law(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]), Err(Error::InvalidInput(_))));
        // Linearly increasing data: no decaying power law fits; exponent runs to the boundary.
        let lin: Vec<(f64, f64)> = (1..=6).map(|i| (i as f64, i as f64)).collect();
        assert!(matches!(fit_power_law(&lin), Err(Error::NoConvergence(_))));
        assert!(fit_stretched_exponential(&[(1.0, 1.0), (2.0, -1.0), (3.0, 1.0), (4.0, 1.0)]).is_err());
    }
}
