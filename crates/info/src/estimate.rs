//! Entropy estimators over a count profile (all results in bits).
//!
//! Input: a [`CountProfile`], the multiset of per-type counts n_i stored as
//! sorted (count, multiplicity) pairs, so every estimator is
//! O(number of distinct count values), not O(N). Notation: N = Σ n_i,
//! K_obs = number of types with n_i > 0, f₁ / f₂ = number of singletons /
//! doubletons. Formulas are written in nats in the sources and converted to
//! bits by dividing by ln 2.
//!
//! Sources (see each function):
//! - plug-in / maximum likelihood; Miller 1955 (Miller–Madow correction);
//! - Chao & Shen 2003, Environ. Ecol. Stat. 10:429–443;
//! - Grassberger 2003, arXiv:physics/0307138;
//! - Nemenman, Shafee & Bialek 2002, NIPS 14, arXiv:physics/0108025;
//!   second moment of S under a Dirichlet from Wolpert & Wolf 1995,
//!   Phys. Rev. E 52:6841 (as used by Hutter 2002 and the `ndd` package);
//! - Zahl 1977, Ecology 58:907–913 (jackknife).

use std::collections::BTreeMap;
use std::f64::consts::LN_2;

use serde::{Deserialize, Serialize};

use crate::special::{digamma, ln_gamma_ratio, trigamma};
use crate::Error;

/// The multiset of counts of a sample: sorted (count, multiplicity) pairs,
/// counts > 0 only, ascending by count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ProfileRepr", into = "ProfileRepr")]
pub struct CountProfile {
    pairs: Vec<(u64, u64)>,
    n: u64,
    distinct: u64,
}

/// Serialized form of a [`CountProfile`]: just the pairs (re-validated on load).
#[derive(Serialize, Deserialize)]
struct ProfileRepr {
    pairs: Vec<(u64, u64)>,
}

impl From<ProfileRepr> for CountProfile {
    fn from(r: ProfileRepr) -> Self {
        CountProfile::from_pairs(r.pairs)
    }
}

impl From<CountProfile> for ProfileRepr {
    fn from(p: CountProfile) -> Self {
        ProfileRepr { pairs: p.pairs }
    }
}

impl CountProfile {
    /// Builds a profile from per-type counts; zero counts are ignored.
    pub fn from_counts<I: IntoIterator<Item = u64>>(counts: I) -> Self {
        Self::from_pairs(counts.into_iter().map(|c| (c, 1)))
    }

    /// Builds a profile from (count, multiplicity) pairs in any order;
    /// duplicates are merged, zero counts and zero multiplicities dropped.
    pub fn from_pairs<I: IntoIterator<Item = (u64, u64)>>(pairs: I) -> Self {
        let mut map: BTreeMap<u64, u64> = BTreeMap::new();
        for (c, m) in pairs {
            if c > 0 && m > 0 {
                *map.entry(c).or_insert(0) += m;
            }
        }
        let pairs: Vec<(u64, u64)> = map.into_iter().collect();
        let n = pairs.iter().map(|&(c, m)| c * m).sum();
        let distinct = pairs.iter().map(|&(_, m)| m).sum();
        CountProfile { pairs, n, distinct }
    }

    /// The sorted (count, multiplicity) pairs.
    pub fn pairs(&self) -> &[(u64, u64)] {
        &self.pairs
    }

    /// Sample size N = Σ count · multiplicity.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Number of observed types K_obs.
    pub fn distinct(&self) -> u64 {
        self.distinct
    }

    /// Number of types seen exactly `count` times.
    pub fn multiplicity(&self, count: u64) -> u64 {
        self.pairs.binary_search_by_key(&count, |&(c, _)| c).map(|i| self.pairs[i].1).unwrap_or(0)
    }

    /// f₁: number of types seen once.
    pub fn singletons(&self) -> u64 {
        self.multiplicity(1)
    }

    /// f₂: number of types seen twice.
    pub fn doubletons(&self) -> u64 {
        self.multiplicity(2)
    }

    /// Good–Turing sample coverage Ĉ = 1 − f₁/N (0 for an empty sample).
    pub fn coverage(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            1.0 - self.singletons() as f64 / self.n as f64
        }
    }

    /// True when N = 0.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    fn groups(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.pairs.iter().map(|&(c, m)| (c as f64, m as f64))
    }
}

/// Plug-in (maximum-likelihood) entropy −Σ p̂_i log₂ p̂_i, p̂_i = n_i/N, in
/// bits; computed as ln N − (1/N) Σ n_i ln n_i. 0 for an empty sample.
///
/// Source: PUBLISHED.md §3a (Ĥ_ML); negatively biased (Miller 1955, Paninski 2003).
pub fn plugin(profile: &CountProfile) -> f64 {
    if profile.is_empty() {
        return 0.0;
    }
    let n = profile.n as f64;
    let s: f64 = profile.groups().map(|(c, m)| m * c * c.ln()).sum();
    ((n.ln() - s / n) / LN_2).max(0.0)
}

/// Miller–Madow: plug-in + (K_obs − 1)/(2N) nats, converted to bits.
///
/// Source: Miller 1955; R `entropy::entropy.MillerMadow` (PUBLISHED.md §3b).
pub fn miller_madow(profile: &CountProfile) -> f64 {
    if profile.is_empty() {
        return 0.0;
    }
    let k = profile.distinct as f64;
    plugin(profile) + (k - 1.0) / (2.0 * profile.n as f64) / LN_2
}

/// Chao–Shen coverage-adjusted Horvitz–Thompson estimator, in bits:
/// Ĉ = 1 − f₁/N (with f₁ = N replaced by N − 1), p̃_i = Ĉ p̂_i,
/// Ĥ = −Σ p̃_i ln p̃_i / (1 − (1 − p̃_i)^N).
///
/// Source: Chao & Shen 2003; R `entropy::entropy.ChaoShen` (PUBLISHED.md §3d).
/// The inclusion probability 1 − (1 − p̃)^N is computed as
/// −expm1(N·ln1p(−p̃)) to stay accurate for small p̃ and large N.
pub fn chao_shen(profile: &CountProfile) -> f64 {
    if profile.is_empty() {
        return 0.0;
    }
    let n = profile.n as f64;
    let mut f1 = profile.singletons() as f64;
    if f1 == n {
        f1 = n - 1.0;
    }
    let cov = 1.0 - f1 / n;
    let h: f64 = profile
        .groups()
        .map(|(c, m)| {
            let pt = cov * c / n;
            let incl = -(n * (-pt).ln_1p()).exp_m1();
            m * (-pt * pt.ln()) / incl
        })
        .sum();
    (h / LN_2).max(0.0)
}

/// Grassberger's G(n) = ψ(n) + ½(−1)ⁿ [ψ((n+1)/2) − ψ(n/2)] (Grassberger 2003, eq. 35).
fn grassberger_g(n: f64, odd: bool) -> f64 {
    let sign = if odd { -1.0 } else { 1.0 };
    digamma(n) + 0.5 * sign * (digamma(0.5 * (n + 1.0)) - digamma(0.5 * n))
}

/// Grassberger (2003) estimator Ĥ = ψ(N) − (1/N) Σ n_i G(n_i), in bits.
///
/// Source: Grassberger 2003, arXiv:physics/0307138 (PUBLISHED.md §3c).
/// Uses ψ(N) in place of the paper's ln N (as ChaoEntropy `GrassEstFun`
/// does; the two differ by O(1/N)). The raw value can be slightly negative
/// for tiny degenerate samples (one type seen an even number of times, e.g.
/// N = 2: −(1 − ln 2) nats); the result is clamped at 0.
pub fn grassberger(profile: &CountProfile) -> f64 {
    if profile.is_empty() {
        return 0.0;
    }
    let n = profile.n as f64;
    let s: f64 = profile.pairs.iter().map(|&(c, m)| m as f64 * c as f64 * grassberger_g(c as f64, c % 2 == 1)).sum();
    ((digamma(n) - s / n) / LN_2).max(0.0)
}

/// Zahl (1977) jackknife of the plug-in estimator: returns
/// `(estimate_bits, standard_error_bits)`.
///
/// Ĥ_JK = N Ĥ − ((N−1)/N) Σ_j Ĥ^(−j); deleting one observation from a type
/// with count c changes Σ n ln n by δ_c = (c−1) ln(c−1) − c ln c, which gives
/// the closed form Ĥ_JK = N ln N − (N−1) ln(N−1) + δ̄, δ̄ = (1/N) Σ_i n_i δ_{n_i}
/// (nats), and SE² = ((N−1)/N) Σ_j (Ĥ^(−j) − H̄)² with
/// Ĥ^(−j) − H̄ = −(δ_j − δ̄)/(N−1). Source: Zahl 1977; ChaoEntropy
/// `ZahlJackEstFun` (PUBLISHED.md §3f). N < 2 gives (plug-in, 0).
pub fn jackknife(profile: &CountProfile) -> (f64, f64) {
    if profile.n < 2 {
        return (plugin(profile), 0.0);
    }
    let n = profile.n as f64;
    let delta = |c: f64| {
        if c <= 1.0 {
            0.0
        } else {
            -c.ln() + (c - 1.0) * (-1.0 / c).ln_1p()
        }
    };
    let dbar: f64 = profile.groups().map(|(c, m)| m * c * delta(c)).sum::<f64>() / n;
    // N ln N − (N−1) ln(N−1) = ln N − (N−1) ln(1 − 1/N).
    let est = n.ln() - (n - 1.0) * (-1.0 / n).ln_1p() + dbar;
    let ss: f64 = profile
        .groups()
        .map(|(c, m)| {
            let d = (delta(c) - dbar) / (n - 1.0);
            m * c * d * d
        })
        .sum();
    let se = ((n - 1.0) / n * ss).sqrt();
    ((est / LN_2).max(0.0), se / LN_2)
}

/// Result of the NSB estimator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Nsb {
    /// Posterior mean of the entropy, bits.
    pub entropy_bits: f64,
    /// Posterior standard deviation of the entropy, bits.
    pub std_bits: f64,
    /// Maximum of the posterior over β (the mode of dξ/dβ·ρ(β|n) in ln β).
    pub beta_map: f64,
    /// Alphabet size K used.
    pub k_alphabet: f64,
    /// Number of evaluations of the log-posterior (grid + refinement + quadrature).
    pub evaluations: usize,
}

/// Per-β quantities of the NSB mixture for one profile and alphabet size.
struct NsbModel<'a> {
    profile: &'a CountProfile,
    k: f64,
    n: f64,
    /// Number of unobserved bins K − K_obs (each with n = 0).
    unobserved: f64,
}

impl NsbModel<'_> {
    /// dξ/dβ = K ψ₁(Kβ+1) − ψ₁(β+1) (NSB 2002, eq. 9 / PUBLISHED.md §3e).
    ///
    /// For β ≥ 10 the difference is taken analytically from the asymptotic
    /// series of ψ₁ (A&S 6.4.12) with the recurrence ψ₁(z+1) = ψ₁(z) − 1/z²:
    /// dξ/dβ = (1 − 1/K)/(2β²) + Σₖ B₂ₖ (K^(−2k) − 1)/β^(2k+1),
    /// which avoids the cancellation of two ≈ 1/β terms.
    fn d_xi(&self, beta: f64) -> f64 {
        let k = self.k;
        if beta >= 10.0 {
            let ik2 = 1.0 / (k * k);
            let ib = 1.0 / beta;
            let ib2 = ib * ib;
            // B₂ … B₁₂
            const B: [f64; 6] = [1.0 / 6.0, -1.0 / 30.0, 1.0 / 42.0, -1.0 / 30.0, 5.0 / 66.0, -691.0 / 2730.0];
            let mut sum = 0.5 * (1.0 - 1.0 / k) * ib2;
            let mut kp = ik2;
            let mut bp = ib2 * ib;
            for b in B {
                sum += b * (kp - 1.0) * bp;
                kp *= ik2;
                bp *= ib2;
            }
            sum
        } else {
            k * trigamma(k * beta + 1.0) - trigamma(beta + 1.0)
        }
    }

    /// ln of the unnormalized posterior density in u = ln β:
    /// ln(dξ/dβ) + ln β + ln ρ(β|n), with
    /// ln ρ = lnΓ(Kβ) − lnΓ(N+Kβ) + Σ_i [lnΓ(n_i+β) − lnΓ(β)] (NSB eq. 8).
    fn log_post(&self, u: f64) -> f64 {
        let beta = u.exp();
        let dxi = self.d_xi(beta);
        if dxi.is_nan() || dxi <= 0.0 || dxi.is_infinite() {
            return f64::NEG_INFINITY;
        }
        let mut lr = -ln_gamma_ratio(self.k * beta, self.n);
        for (c, m) in self.profile.groups() {
            lr += m * ln_gamma_ratio(beta, c);
        }
        let v = dxi.ln() + u + lr;
        if v.is_nan() {
            f64::NEG_INFINITY
        } else {
            v
        }
    }

    /// Posterior mean and second moment of S (nats) under Dirichlet(n + β):
    /// E[S] = ψ(A+1) − Σ π_i ψ(a_i+1), a_i = n_i + β, A = N + Kβ, π_i = a_i/A
    /// (NSB eq. 10); E[S²] from Wolpert & Wolf 1995:
    /// A/(A+1) Σ_{i≠j} π_i π_j [d_i d_j − ψ₁(A+2)]
    /// plus Σ_i π_i (a_i+1)/(A+1) [(ψ(a_i+2) − ψ(A+2))² + ψ₁(a_i+2) − ψ₁(A+2)],
    /// d_i = ψ(a_i+1) − ψ(A+2). Unobserved bins enter as one group with a = β.
    fn moments(&self, beta: f64) -> (f64, f64) {
        let a_tot = self.n + self.k * beta;
        let psi_a2 = digamma(a_tot + 2.0);
        let tri_a2 = trigamma(a_tot + 2.0);
        let mut mean = digamma(a_tot + 1.0);
        let (mut s1, mut s2, mut sp2, mut diag) = (0.0, 0.0, 0.0, 0.0);
        let mut add = |a: f64, m: f64| {
            if m == 0.0 {
                return;
            }
            let pi = a / a_tot;
            let psi1 = digamma(a + 1.0);
            mean -= m * pi * psi1;
            let d = psi1 - psi_a2;
            s1 += m * pi * d;
            s2 += m * pi * pi * d * d;
            sp2 += m * pi * pi;
            let e = digamma(a + 2.0) - psi_a2;
            diag += m * pi * (a + 1.0) / (a_tot + 1.0) * (e * e + trigamma(a + 2.0) - tri_a2);
        };
        for (c, m) in self.profile.groups() {
            add(c + beta, m);
        }
        add(beta, self.unobserved);
        let second = a_tot / (a_tot + 1.0) * (s1 * s1 - s2 - tri_a2 * (1.0 - sp2)) + diag;
        (mean, second)
    }
}

/// Nemenman–Shafee–Bialek (2002) estimator for an alphabet of `k_alphabet`
/// bins (bits): posterior mean and standard deviation of the entropy under
/// a mixture of symmetric Dirichlet(β) priors weighted by dξ/dβ (flat prior
/// on the expected entropy ξ(β) = ψ(Kβ+1) − ψ(β+1)).
///
/// Source: Nemenman, Shafee & Bialek 2002 (PUBLISHED.md §3e); variance via
/// the Dirichlet second moment of Wolpert & Wolf 1995.
///
/// Numerics: the integral over β is done in u = ln β (density
/// dξ/dβ·β·ρ(β|n)), entirely in log space relative to the maximum. The MAP
/// is located on a grid of step 0.25 over u ∈ [−ln K − 30, ln(N+1) + 30]
/// and refined by golden-section search; the posterior width σ_u comes
/// from the curvature at the MAP; the window extends outward in steps of
/// σ_u/2 until the log-density is 45 below its maximum (relative weight
/// < 3e-20); the integral over that window uses the trapezoidal rule with
/// repeated halving (reusing points) until the mean and second moment agree
/// to 1e-11 relative. Special functions use cancellation-free forms for
/// huge Kβ (see [`crate::special::ln_gamma_ratio`]), so K up to 1e30 is fine.
///
/// Errors: `k_alphabet` not finite, < 1, or smaller than the number of
/// observed types; quadrature not converging.
pub fn nsb(profile: &CountProfile, k_alphabet: f64) -> Result<Nsb, Error> {
    let k = k_alphabet;
    if !k.is_finite() || k < 1.0 {
        return Err(Error::InvalidInput(format!("NSB alphabet size must be finite and >= 1, got {k}")));
    }
    if k < profile.distinct as f64 {
        return Err(Error::InvalidInput(format!(
            "NSB alphabet size {k} is smaller than the {} observed types",
            profile.distinct
        )));
    }
    if k == 1.0 {
        return Ok(Nsb { entropy_bits: 0.0, std_bits: 0.0, beta_map: f64::NAN, k_alphabet: k, evaluations: 0 });
    }
    let model = NsbModel { profile, k, n: profile.n as f64, unobserved: k - profile.distinct as f64 };
    let mut evals = 0usize;
    let mut f = |u: f64| {
        evals += 1;
        model.log_post(u)
    };

    // 1. Grid search for the MAP in u = ln β.
    let u_lo = -k.ln() - 30.0;
    let u_hi = (model.n + 1.0).ln() + 30.0;
    let step = 0.25;
    let n_grid = ((u_hi - u_lo) / step).ceil() as usize;
    let mut best = (f64::NEG_INFINITY, u_lo);
    for i in 0..=n_grid {
        let u = u_lo + i as f64 * step;
        let v = f(u);
        if v > best.0 {
            best = (v, u);
        }
    }
    if !best.0.is_finite() {
        return Err(Error::NoConvergence("NSB: posterior is zero on the whole search grid".into()));
    }
    // 2. Golden-section refinement on [u* − step, u* + step].
    let peak = crate::optimize::golden_section_min(|u| -f(u), best.1 - step, best.1 + step, 1e-12, 100);
    let (mut u_map, mut l_max) = (peak.x, -peak.fx);
    if best.0 > l_max {
        u_map = best.1;
        l_max = best.0;
    }

    // 3. Width from the curvature at the MAP.
    let mut h = 1e-2;
    let mut sigma = 1.0;
    for _ in 0..4 {
        let c = -(f(u_map + h) - 2.0 * l_max + f(u_map - h)) / (h * h);
        if c.is_finite() && c > 0.0 {
            sigma = 1.0 / c.sqrt();
            if sigma >= 10.0 * h {
                break;
            }
            h = sigma / 10.0;
        } else {
            break;
        }
    }
    let sigma = sigma.clamp(1e-8, 1.0);

    // 4. Integration window: until the log-density is 45 below the maximum.
    let drop = 45.0;
    let wstep = 0.5 * sigma;
    let hard_lo = u_lo - 100.0;
    let hard_hi = u_hi + 100.0;
    let mut lo = u_map;
    while lo > hard_lo {
        lo -= wstep;
        if f(lo) < l_max - drop {
            break;
        }
    }
    let mut hi = u_map;
    while hi < hard_hi {
        hi += wstep;
        if f(hi) < l_max - drop {
            break;
        }
    }

    // 5. Trapezoid with halving; weights exp(log_post − l_max) ≤ ~1.
    let mut sums = [0.0f64; 3];
    let add_point = |u: f64, weight: f64, sums: &mut [f64; 3], evals: &mut usize| {
        *evals += 1;
        let lp = model.log_post(u);
        let w = weight * (lp - l_max).exp();
        if w > 0.0 {
            let (m1, m2) = model.moments(u.exp());
            sums[0] += w;
            sums[1] += w * m1;
            sums[2] += w * m2;
        }
    };
    let mut n_int = (((hi - lo) / wstep).ceil() as usize).max(64);
    let mut dh = (hi - lo) / n_int as f64;
    for i in 0..=n_int {
        let wt = if i == 0 || i == n_int { 0.5 } else { 1.0 };
        add_point(lo + i as f64 * dh, wt, &mut sums, &mut evals);
    }
    let moments_of = |s: &[f64; 3]| (s[1] / s[0], s[2] / s[0]);
    let mut prev = moments_of(&sums);
    let mut converged = false;
    for _level in 0..12 {
        // Add midpoints: the new rule with step dh/2 has sum = old sum + midpoints.
        for i in 0..n_int {
            add_point(lo + (i as f64 + 0.5) * dh, 1.0, &mut sums, &mut evals);
        }
        n_int *= 2;
        dh *= 0.5;
        let cur = moments_of(&sums);
        let ok_mean = (cur.0 - prev.0).abs() <= 1e-11 * (1.0 + cur.0.abs());
        let ok_second = (cur.1 - prev.1).abs() <= 1e-11 * (1.0 + cur.1.abs());
        prev = cur;
        if ok_mean && ok_second {
            converged = true;
            break;
        }
    }
    let (mean, second) = prev;
    if !converged || !mean.is_finite() || !second.is_finite() {
        return Err(Error::NoConvergence("NSB: quadrature over beta did not converge".into()));
    }
    let var = (second - mean * mean).max(0.0);
    Ok(Nsb {
        entropy_bits: (mean / LN_2).max(0.0),
        std_bits: var.sqrt() / LN_2,
        beta_map: u_map.exp(),
        k_alphabet: k,
        evaluations: evals,
    })
}

/// All estimators for one profile, for JSON reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimates {
    /// Sample size N.
    pub n: u64,
    /// Observed types K_obs.
    pub distinct: u64,
    /// Good–Turing coverage 1 − f₁/N.
    pub coverage: f64,
    /// Plug-in, bits.
    pub plugin: f64,
    /// Miller–Madow, bits.
    pub miller_madow: f64,
    /// Chao–Shen, bits.
    pub chao_shen: f64,
    /// Grassberger 2003, bits.
    pub grassberger: f64,
    /// Zahl jackknife estimate, bits.
    pub jackknife: f64,
    /// Zahl jackknife standard error, bits.
    pub jackknife_se: f64,
    /// NSB, when an alphabet size was given and the quadrature succeeded.
    pub nsb: Option<Nsb>,
}

impl Estimates {
    /// Runs every estimator; NSB only when `k_alphabet` is given (its error
    /// is returned rather than swallowed).
    pub fn compute(profile: &CountProfile, k_alphabet: Option<f64>) -> Result<Self, Error> {
        let (jk, jk_se) = jackknife(profile);
        let nsb = k_alphabet.map(|k| nsb(profile, k)).transpose()?;
        Ok(Estimates {
            n: profile.n(),
            distinct: profile.distinct(),
            coverage: profile.coverage(),
            plugin: plugin(profile),
            miller_madow: miller_madow(profile),
            chao_shen: chao_shen(profile),
            grassberger: grassberger(profile),
            jackknife: jk,
            jackknife_se: jk_se,
            nsb,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::entropy;
    use proptest::prelude::*;

    const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Simple 64-bit LCG (Knuth MMIX constants) for reproducible samples.
    struct Lcg(u64);
    impl Lcg {
        fn next_below(&mut self, k: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 33) * k) >> 31
        }
    }

    fn uniform_sample(k: u64, n: usize, seed: u64) -> CountProfile {
        let mut rng = Lcg(seed);
        let mut counts = vec![0u64; k as usize];
        for _ in 0..n {
            counts[rng.next_below(k) as usize] += 1;
        }
        CountProfile::from_counts(counts)
    }

    #[test]
    fn profile_basics() {
        let p = CountProfile::from_counts([3, 1, 0, 1, 2, 3, 3]);
        assert_eq!(p.pairs(), &[(1, 2), (2, 1), (3, 3)]);
        assert_eq!(p.n(), 13);
        assert_eq!(p.distinct(), 6);
        assert_eq!(p.singletons(), 2);
        assert_eq!(p.doubletons(), 1);
        assert!(close(p.coverage(), 1.0 - 2.0 / 13.0, 1e-15));
        assert_eq!(p, CountProfile::from_pairs([(3, 2), (1, 2), (2, 1), (3, 1), (0, 9)]));
        let json = serde_json_roundtrip(&p);
        assert_eq!(json, p);
    }

    fn serde_json_roundtrip(p: &CountProfile) -> CountProfile {
        // No serde_json dependency: round-trip through the repr conversion.
        CountProfile::from(ProfileRepr::from(p.clone()))
    }

    /// Toy sample counts (2, 1, 1): N = 4, K_obs = 3, f₁ = 2, p̂ = (½, ¼, ¼).
    fn toy() -> CountProfile {
        CountProfile::from_counts([2, 1, 1])
    }

    #[test]
    fn toy_plugin_and_miller_madow() {
        // Plug-in: ½·1 + 2·¼·2 = 1.5 bits.
        assert!(close(plugin(&toy()), 1.5, 1e-14));
        // MM: 1.5 + (3 − 1)/(2·4) nats = 1.5 + 0.25/ln 2 = 1.8606738…
        assert!(close(miller_madow(&toy()), 1.860_673_76, 1e-8));
    }

    #[test]
    fn toy_chao_shen() {
        // Ĉ = 1 − 2/4 = ½, p̃ = (¼, ⅛, ⅛).
        // ¼ ln 4 / (1 − (¾)⁴) = 0.3465736/0.6835938 = 0.5069877
        // ⅛ ln 8 / (1 − (⅞)⁴) = 0.2599302/0.4138184 = 0.6281263 (×2)
        // total 1.7632402 nats = 2.5438180 bits.
        let want =
            (0.25 * 4f64.ln() / (1.0 - 0.75f64.powi(4)) + 2.0 * 0.125 * 8f64.ln() / (1.0 - 0.875f64.powi(4))) / LN_2;
        assert!(close(chao_shen(&toy()), want, 1e-13));
        assert!(close(want, 2.543_818, 1e-6));
        // f₁ = N: all singletons, N = 4 → Ĉ = 1 − 3/4, p̃ = 1/16 each:
        // 4 · (1/16) ln 16 / (1 − (15/16)⁴).
        let all1 = CountProfile::from_counts([1, 1, 1, 1]);
        let want1 = 4.0 * (16f64.ln() / 16.0) / (1.0 - (15.0f64 / 16.0).powi(4)) / LN_2;
        assert!(close(chao_shen(&all1), want1, 1e-13));
        // Single type: p̃ = 1, Ĥ = 0.
        assert_eq!(chao_shen(&CountProfile::from_counts([5])), 0.0);
    }

    #[test]
    fn toy_grassberger() {
        // G(1) = ψ(1) − ½[ψ(1) − ψ(½)] = −γ − ln 2
        // G(2) = ψ(2) + ½[ψ(3/2) − ψ(1)] = 1 − γ + ½(2 − 2 ln 2) = 2 − γ − ln 2
        // ψ(4) = 11/6 − γ
        // Ĥ = ψ(4) − ¼[2 G(2) + G(1) + G(1)] = 11/6 − γ − (1 − γ − ln 2) = 5/6 + ln 2 nats.
        let want = (5.0 / 6.0 + LN_2) / LN_2;
        assert!(close(grassberger(&toy()), want, 1e-13));
        // Degenerate N = 2 in one bin: raw ψ(2) − G(2) = −(1 − ln 2) < 0 → clamped to 0.
        assert_eq!(grassberger(&CountProfile::from_counts([2])), 0.0);
        // N = 1: ψ(1) − G(1) = ln 2 nats = 1 bit.
        assert!(close(grassberger(&CountProfile::from_counts([1])), 1.0, 1e-13));
        // The G values themselves.
        assert!(close(grassberger_g(1.0, true), -EULER_GAMMA - LN_2, 1e-14));
        assert!(close(grassberger_g(2.0, false), 2.0 - EULER_GAMMA - LN_2, 1e-14));
    }

    /// Brute-force jackknife: expand the sample, delete each observation.
    fn brute_jackknife(counts: &[u64]) -> (f64, f64) {
        let n: u64 = counts.iter().sum();
        let h = |c: &[u64]| {
            let t: u64 = c.iter().sum();
            let p: Vec<f64> = c.iter().map(|&x| x as f64 / t as f64).collect();
            entropy(&p)
        };
        let full = h(counts);
        let mut loo = Vec::new();
        for i in 0..counts.len() {
            for _ in 0..counts[i] {
                let mut c = counts.to_vec();
                c[i] -= 1;
                loo.push(h(&c));
            }
        }
        let nf = n as f64;
        let mean = loo.iter().sum::<f64>() / nf;
        let est = nf * full - (nf - 1.0) * mean;
        let var = (nf - 1.0) / nf * loo.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
        (est, var.sqrt())
    }

    #[test]
    fn toy_jackknife() {
        // Closed form: Ĥ_JK = 4 ln 4 − 3 ln 3 + δ̄, δ̄ = ¼·2·(0 − 2 ln 2) = −ln 2
        //   = 7 ln 2 − 3 ln 3 = 1.5561934 nats = 2.2451124 bits.
        // Leave-one-out values: (1,1,1) → ln 3 (twice), (2,1) → 0.6365142 (twice);
        // SE = √3 · (ln 3 − mean) = 0.4001885 nats = 0.5773512 bits.
        let (est, se) = jackknife(&toy());
        assert!(close(est, (7.0 * LN_2 - 3.0 * 3f64.ln()) / LN_2, 1e-13));
        let h21 = -(2.0f64 / 3.0) * (2.0f64 / 3.0).ln() - (1.0f64 / 3.0) * (1.0f64 / 3.0).ln();
        let mean = 0.5 * (3f64.ln() + h21);
        assert!(close(se, 3f64.sqrt() * (3f64.ln() - mean) / LN_2, 1e-13));
        let (be, bse) = brute_jackknife(&[2, 1, 1]);
        assert!(close(est, be, 1e-12) && close(se, bse, 1e-12));
        let counts = [7, 1, 1, 3, 2, 2, 9, 1, 4];
        let (e2, s2) = jackknife(&CountProfile::from_counts(counts));
        let (b2, bs2) = brute_jackknife(&counts);
        assert!(close(e2, b2, 1e-11) && close(s2, bs2, 1e-11));
    }

    #[test]
    fn nsb_fixed_beta_moments_match_beta_integral() {
        // K = 2, counts (3, 1), β = ½: posterior Beta(3.5, 1.5). Compare E[S] and
        // E[S²] with Simpson integration of the Beta density (independent path).
        let p = CountProfile::from_counts([3, 1]);
        let model = NsbModel { profile: &p, k: 2.0, n: 4.0, unobserved: 0.0 };
        let (m1, m2) = model.moments(0.5);
        let (a, b) = (3.5f64, 1.5f64);
        let lnb = crate::special::ln_gamma(a) + crate::special::ln_gamma(b) - crate::special::ln_gamma(a + b);
        // Substitute p = sin²θ to remove the (1−p)^{0.5} endpoint singularity.
        let n = 20_000;
        let (mut i1, mut i2) = (0.0, 0.0);
        for j in 0..=n {
            let th = std::f64::consts::FRAC_PI_2 * j as f64 / n as f64;
            let x = th.sin().powi(2);
            let w = if j == 0 || j == n {
                1.0
            } else if j % 2 == 1 {
                4.0
            } else {
                2.0
            };
            if x <= 0.0 || x >= 1.0 {
                continue;
            }
            let dens = ((a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln() - lnb).exp();
            let jac = 2.0 * th.sin() * th.cos();
            let s = -x * x.ln() - (1.0 - x) * (1.0 - x).ln();
            i1 += w * dens * jac * s;
            i2 += w * dens * jac * s * s;
        }
        let hstep = std::f64::consts::FRAC_PI_2 / n as f64 / 3.0;
        assert!(close(m1, i1 * hstep, 1e-9), "{m1} vs {}", i1 * hstep);
        assert!(close(m2, i2 * hstep, 1e-9), "{m2} vs {}", i2 * hstep);
        // Closed form check: counts (1), K = 2, β = 1 → Beta(2,1), E[S] = ½ nat
        // (∫ 2p·S(p) dp = 2/9 + 10/36).
        let p1 = CountProfile::from_counts([1]);
        let m = NsbModel { profile: &p1, k: 2.0, n: 1.0, unobserved: 1.0 };
        assert!(close(m.moments(1.0).0, 0.5, 1e-14));
    }

    #[test]
    fn nsb_d_xi_series_is_continuous() {
        let p = CountProfile::default();
        for &k in &[2.0, 27.0, 1e6] {
            let m = NsbModel { profile: &p, k, n: 0.0, unobserved: k };
            let b = 10.0;
            let direct = k * trigamma(k * b + 1.0) - trigamma(b + 1.0);
            let series = m.d_xi(b);
            assert!((direct - series).abs() <= 1e-9 * series, "k={k}");
        }
    }

    #[test]
    fn nsb_matches_independent_high_precision_quadrature() {
        // Reference values from an independent implementation of the same
        // formulas in Python/mpmath (40–90 significant digits, mpmath.quad over
        // ln β, computed once outside this crate) for counts (3,1,1,2,5,1,1,8).
        let p = CountProfile::from_counts([3, 1, 1, 2, 5, 1, 1, 8]);
        let refs = [
            (10.0, 2.792_402_202_209, 0.239_178_652_893),
            (1000.0, 3.088_696_604_797, 0.430_081_168_127),
            (1e12, 3.091_133_017_918, 0.431_924_150_187),
            (1e30, 3.091_133_017_921, 0.431_924_150_189),
        ];
        for (k, mean, sd) in refs {
            let r = nsb(&p, k).unwrap();
            assert!(close(r.entropy_bits, mean, 1e-9), "k={k}: {}", r.entropy_bits);
            assert!(close(r.std_bits, sd, 1e-9), "k={k}: {}", r.std_bits);
        }
    }

    #[test]
    fn nsb_prior_mean_is_half_log_k() {
        // With no data the posterior is the NSB prior, flat in ξ ∈ [0, ln K]:
        // E[S] = ln K / 2 exactly.
        for &k in &[2.0, 27.0, 1e6, 27f64.powi(10), 1e30] {
            let r = nsb(&CountProfile::default(), k).unwrap();
            assert!(
                close(r.entropy_bits, 0.5 * k.log2(), 1e-6 * k.log2()),
                "k={k}: {} vs {}",
                r.entropy_bits,
                0.5 * k.log2()
            );
            assert!(r.std_bits.is_finite() && r.std_bits > 0.0);
        }
    }

    #[test]
    fn nsb_well_sampled_uniform_k27() {
        let p = uniform_sample(27, 100_000, 12345);
        let r = nsb(&p, 27.0).unwrap();
        assert!((r.entropy_bits - 27f64.log2()).abs() < 0.01, "nsb {} vs {}", r.entropy_bits, 27f64.log2());
        assert!(r.std_bits < 0.01);
    }

    #[test]
    fn nsb_undersampled_uniform_k1000() {
        let p = uniform_sample(1000, 100, 987_654_321);
        let truth = 1000f64.log2();
        let r = nsb(&p, 1000.0).unwrap();
        let pl = plugin(&p);
        let mm = miller_madow(&p);
        assert!((r.entropy_bits - truth).abs() < (pl - truth).abs());
        assert!((r.entropy_bits - truth).abs() < (mm - truth).abs());
        assert!(r.std_bits > 0.0 && r.std_bits < 2.0);
    }

    #[test]
    fn nsb_huge_alphabet_is_sound() {
        let p = uniform_sample(5000, 2000, 7);
        for &k in &[5000.0, 27f64.powi(10), 1e20, 1e30] {
            let r = nsb(&p, k).unwrap();
            assert!(r.entropy_bits.is_finite() && r.entropy_bits > plugin(&p) - 1.0);
            assert!(r.entropy_bits <= k.log2() + 1e-9);
            assert!(r.std_bits.is_finite());
        }
        assert!(nsb(&p, 10.0).is_err());
        assert!(nsb(&p, f64::NAN).is_err());
    }

    proptest! {
        #[test]
        fn estimators_nonnegative(counts in prop::collection::vec(0u64..50, 0..40)) {
            let p = CountProfile::from_counts(counts.clone());
            for v in [plugin(&p), miller_madow(&p), chao_shen(&p), grassberger(&p), jackknife(&p).0] {
                prop_assert!(v >= 0.0 && v.is_finite());
            }
            prop_assert!(jackknife(&p).1 >= 0.0);
            let k = (p.distinct() as f64).max(1.0) * 3.0;
            let r = nsb(&p, k).unwrap();
            prop_assert!(r.entropy_bits >= 0.0 && r.entropy_bits <= k.log2() + 1e-9);
            prop_assert!(r.std_bits >= 0.0);
            // Plug-in from the profile equals the entropy of the normalized counts.
            let n: u64 = counts.iter().sum();
            if n > 0 {
                let q: Vec<f64> = counts.iter().map(|&c| c as f64 / n as f64).collect();
                prop_assert!((plugin(&p) - entropy(&q)).abs() < 1e-10);
            }
        }
    }
}
