//! # shannon-info
//!
//! Information measures and entropy estimators for the shannon workspace.
//! Everything is in **bits** unless a name says nats.
//!
//! - [`dist`]: entropy, cross-entropy, KL and Jensen–Shannon divergences of
//!   probability vectors (`&[f64]`), temperature softmax and log-sum-exp
//!   (Cover & Thomas 2006; Lin 1991).
//! - [`estimate`]: a [`estimate::CountProfile`] (sorted (count,
//!   multiplicity) pairs built from per-type counts) and entropy
//!   estimators over it, all O(distinct counts): plug-in, Miller–Madow
//!   (Miller 1955), Chao–Shen (Chao & Shen 2003), Grassberger (2003, with
//!   ψ(N) for ln N), NSB (Nemenman, Shafee & Bialek 2002; posterior mean and
//!   standard deviation for an alphabet of size K, K up to 1e30) and the
//!   Zahl (1977) jackknife with its standard error.
//! - [`zipf`]: Shannon's (1951) p_n = 0.1/n word-entropy model recomputed
//!   (9.135 / 0.9651 / 9.414 / 9.716 bits/word; the printed 11.82 is kept as
//!   a constant and explained), and a maximum-likelihood Zipf–Mandelbrot fit
//!   p(r) ∝ (r+q)^(−s) (Mandelbrot 1953) with the entropy of the fitted law.
//! - [`guessing`]: Shannon 1951 eq. 17 upper/lower bounds from guess-rank
//!   frequencies q_i.
//! - [`extrapolate`]: least-squares fits of F(N) = h + A·N^(−α) and of the
//!   stretched exponential f(n) = exp(A·n^(β−1) + h′) of Takahira,
//!   Tanaka-Ishii & Dębowski 2016.
//! - [`special`]: lnΓ, ψ, ψ₁ (Abramowitz & Stegun 6.1.40, 6.3.18, 6.4.12).
//!
//! Formulas and the published figures the tests check against are those
//! collected in the project's reference notes (PUBLISHED.md §1, §3).
//! Result types derive `serde::Serialize`/`Deserialize` for JSON reports.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod dist;
pub mod estimate;
pub mod extrapolate;
pub mod guessing;
pub mod optimize;
pub mod special;
pub mod zipf;

/// Errors from fits and estimators that can fail.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Not enough data points / types for the requested fit.
    #[error("need at least {needed} points, got {got}")]
    TooFewPoints {
        /// Minimum required.
        needed: usize,
        /// Number supplied.
        got: usize,
    },
    /// Input outside the domain of the method.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// An optimisation or quadrature did not converge.
    #[error("did not converge: {0}")]
    NoConvergence(String),
}
