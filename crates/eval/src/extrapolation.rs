//! The entropy rate h = lim F_n, extrapolated from finitely many orders: a power law
//! F_n = h + A·n^(−α) fitted to every estimator's F_n (finite-size scaling, Schürmann & Grassberger
//! 1996), and the power law and the stretched exponential exp(A·n^(β−1) + h′) of Takahira, Tanaka-Ishii &
//! Dębowski (2016) fitted to a predictor's held-out cross-entropy over its order.
//!
//! **In:** F_n per estimator for the supported orders, and the guessing predictor's cross-entropy per
//! order. **Out:** an [`Extrapolation`]: per curve, the fit or why there is none.

use serde::{Deserialize, Serialize};
use shannon_info::extrapolate::{fit_power_law, fit_stretched_exponential, PowerLawFit, StretchedExpFit};

use crate::entropy::{ByEstimator, Estimator};

/// Fits start at this n: F_1 and F_2 are the letter and digram frequencies, not yet the slowly decaying
/// tail the ansatz describes (on bible.txt, including them drives α → 0.06 and h to −8 bits).
pub const FIT_FROM: usize = 3;
/// Fewest points a three-parameter fit is made from (three would always fit exactly).
pub const FIT_MIN_POINTS: usize = 4;

/// A power-law fit of one estimator's F_n.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitEntry {
    /// Estimator key.
    pub estimator: String,
    /// The n used.
    pub orders: Vec<usize>,
    /// The fit.
    pub power_law: Option<PowerLawFit>,
    /// Why there is no fit.
    pub error: Option<String>,
}

/// Fits of the held-out cross-entropy curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossEntropyFits {
    /// Predictor orders used.
    pub orders: Vec<usize>,
    /// h + A·n^(−α).
    pub power_law: Option<PowerLawFit>,
    /// exp(A·n^(β−1) + h′).
    pub stretched_exponential: Option<StretchedExpFit>,
    /// Why a fit is missing.
    pub errors: Vec<String>,
}

/// Entropy-rate extrapolation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extrapolation {
    /// The ansätze and which points they were fitted to.
    pub ansatz: String,
    /// Per estimator, F_n over the supported n ≥ 1.
    #[serde(rename = "F")]
    pub f: Vec<FitEntry>,
    /// The guessing predictor's held-out cross-entropy over n.
    pub cross_entropy: Option<CrossEntropyFits>,
}

/// A power-law fit of (n, value) points, or why there is none.
fn power_law(points: &[(f64, f64)]) -> (Option<PowerLawFit>, Option<String>) {
    let ns: Vec<usize> = points.iter().map(|p| p.0 as usize).collect();
    if points.len() < FIT_MIN_POINTS {
        return (None, Some(format!("too few points to fit (n = {ns:?}; need {FIT_MIN_POINTS})")));
    }
    match fit_power_law(points) {
        Ok(fit) if fit.h < 0.0 => (
            None,
            Some(format!(
                "the best fit over n = {ns:?} has h = {:.3} < 0, which is no entropy rate: the curve is not yet in \
                 the power-law regime",
                fit.h
            )),
        ),
        Ok(fit) => (Some(fit), None),
        Err(shannon_info::Error::NoConvergence(_)) => (
            None,
            Some(format!(
                "no decaying power law fits n = {ns:?}: the best exponent runs to the edge of the search (α → 0); \
                 the curve still falls without levelling off, so these data do not determine h"
            )),
        ),
        Err(err) => (None, Some(err.to_string())),
    }
}

/// One block length's F_n as the fits read it.
#[derive(Debug, Clone, Copy)]
pub struct OrderPoint {
    /// n.
    pub n: usize,
    /// Whether the data support the estimate (unsupported orders are left out of the fits).
    pub supported: bool,
    /// F_n by every estimator.
    pub f: ByEstimator,
}

/// Fits every estimator's F_n over the supported n ≥ [`FIT_FROM`], and the predictor's cross-entropy
/// `(n, bits)` over n ≥ [`FIT_FROM`] up to the order where it is lowest (past it, longer contexts only
/// measure how sparse the training counts are, not the entropy rate). `cross_entropy` is empty when no
/// predictor was run.
pub fn extrapolate(orders: &[OrderPoint], cross_entropy: &[(usize, Option<f64>)]) -> Extrapolation {
    let used: Vec<&OrderPoint> = orders.iter().filter(|o| o.n >= FIT_FROM && o.supported).collect();
    let f = Estimator::ALL
        .iter()
        .map(|&e| {
            let points: Vec<(f64, f64)> = used.iter().filter_map(|o| o.f.get(e).map(|v| (o.n as f64, v))).collect();
            let (power_law, error) = power_law(&points);
            FitEntry {
                estimator: e.key().into(),
                orders: points.iter().map(|p| p.0 as usize).collect(),
                power_law,
                error,
            }
        })
        .collect();
    let cross_entropy = (!cross_entropy.is_empty()).then(|| {
        let all: Vec<(f64, f64)> =
            cross_entropy.iter().filter(|g| g.0 >= FIT_FROM).filter_map(|g| g.1.map(|c| (g.0 as f64, c))).collect();
        let best = all.iter().enumerate().min_by(|a, b| a.1 .1.total_cmp(&b.1 .1)).map_or(0, |(i, _)| i);
        let points = &all[..(best + 1).min(all.len())];
        let mut errors = Vec::new();
        let (power_law, error) = power_law(points);
        errors.extend(error.map(|e| format!("power law: {e}")));
        let stretched_exponential = if points.len() < FIT_MIN_POINTS {
            None
        } else {
            fit_stretched_exponential(points).map_err(|e| errors.push(format!("stretched exponential: {e}"))).ok()
        };
        CrossEntropyFits {
            orders: points.iter().map(|p| p.0 as usize).collect(),
            power_law,
            stretched_exponential,
            errors,
        }
    });
    Extrapolation {
        ansatz: format!(
            "F_n = h + A·n^(−α) (finite-size scaling, e.g. Schürmann & Grassberger 1996), least squares over the \
             supported n ≥ {FIT_FROM} (F_1 and F_2 are letter and digram frequencies, not the tail), at least \
             {FIT_MIN_POINTS} points; the guessing predictor's held-out cross-entropy over its orders n ≥ {FIT_FROM} \
             up to the order where it is lowest, also with the stretched exponential exp(A·n^(β−1) + h′), \
             h = exp(h′), of Takahira, Tanaka-Ishii & Dębowski 2016 (who fit it over text length; here over \
             context length). h is the extrapolated entropy rate, bits per symbol; rms the residual. A fit with \
             h < 0 is rejected."
        ),
        f,
        cross_entropy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_few_orders_say_so_instead_of_fitting() {
        let orders: Vec<OrderPoint> =
            (1..=4).map(|n| OrderPoint { n, supported: true, f: ByEstimator::all(4.0 / n as f64) }).collect();
        let e = extrapolate(&orders, &[]);
        assert!(e.cross_entropy.is_none());
        assert_eq!(e.f[0].orders, vec![3, 4]);
        assert!(e.f[0].power_law.is_none());
        assert!(e.f[0].error.as_deref().unwrap().starts_with("too few points"));
    }

    #[test]
    fn an_exact_power_law_is_recovered() {
        // F_n = 1.5 + 2 n^(−0.8), n = 1..=10.
        let orders: Vec<OrderPoint> = (1..=10)
            .map(|n| OrderPoint { n, supported: true, f: ByEstimator::all(1.5 + 2.0 * (n as f64).powf(-0.8)) })
            .collect();
        let e = extrapolate(&orders, &[]);
        let fit = e.f[0].power_law.as_ref().expect("a fit");
        assert!((fit.h - 1.5).abs() < 1e-3, "{fit:?}");
    }
}
