//! Portable elementary functions built only from IEEE-754 basic operations.
//!
//! `f64::ln`, `f64::exp` and `f64::powf` call the platform's libm, whose last
//! bit may differ between systems.  Every number that influences *generated
//! bytes* (random transition tables, Zipf weights, Gamma draws) is therefore
//! computed with the functions below, which use only `+ - * /`, `sqrt`,
//! `round` and bit manipulation — all exactly specified by IEEE-754, and Rust
//! never contracts them into FMAs — so they return the same bits everywhere.
//! Accuracy is a few ulp, which is all the generators need.
//!
//! Entropies that are merely *reported* use the std functions.

use std::f64::consts::{LN_2, SQRT_2};

/// Natural logarithm, portable.  `ln(x)` for `x <= 0` or NaN is NaN / -inf as std.
pub(crate) fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    let mut x = x;
    let mut e: i64 = 0;
    if x < f64::MIN_POSITIVE {
        // Subnormal: scale into the normal range (exact).
        x *= (1u64 << 54) as f64;
        e -= 54;
    }
    let bits = x.to_bits();
    e += ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2 atanh(f), f = (m-1)/(m+1), |f| <= 0.1716, f^2 <= 0.0295.
    let f = (m - 1.0) / (m + 1.0);
    let f2 = f * f;
    let mut sum = 0.0;
    // Horner over 1/(2k+1), k = 13..0; 0.0295^14 < 1e-21.
    let mut k = 13i32;
    while k >= 0 {
        sum = sum * f2 + 1.0 / (2 * k + 1) as f64;
        k -= 1;
    }
    e as f64 * LN_2 + 2.0 * f * sum
}

/// Exponential, portable.
pub(crate) fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x > 709.78 {
        return f64::INFINITY;
    }
    if x < -745.2 {
        return 0.0;
    }
    // Cody–Waite reduction: x = k ln2 + r, |r| <= ln2/2.
    // fdlibm's split of ln 2: LN2_HI has its low 32 bits clear, so k·LN2_HI is exact.
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    let k = (x / LN_2).round();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Taylor to degree 18: 0.347^19 / 19! < 1e-25.
    let mut p = 1.0;
    let mut n = 18;
    while n >= 1 {
        p = 1.0 + p * r / n as f64;
        n -= 1;
    }
    scale_pow2(p, k as i64)
}

fn scale_pow2(mut v: f64, mut k: i64) -> f64 {
    while k > 1000 {
        v *= f64::from_bits(((1000 + 1023) as u64) << 52);
        k -= 1000;
    }
    while k < -1000 {
        v *= f64::from_bits(((-1000 + 1023) as u64) << 52);
        k += 1000;
    }
    v * f64::from_bits(((k + 1023) as u64) << 52)
}

/// `x^y` for `x > 0`, portable.
pub(crate) fn powf(x: f64, y: f64) -> f64 {
    if x == 1.0 || y == 0.0 {
        return 1.0;
    }
    exp(y * ln(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_std_closely() {
        let xs = [1e-300, 1e-310, 0.001, 0.3, 0.5, 0.9999, 1.0, 1.0001, 2.0, 3.7, 1e10, 1e300];
        for &x in &xs {
            let a = ln(x);
            let b = x.ln();
            assert!((a - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(1.0), "ln {x}");
        }
        for &x in &[-700.0, -20.0, -1.0, -1e-9, 0.0, 1e-9, 0.5, 1.0, 10.0, 300.0, 709.0] {
            let a = exp(x);
            let b = f64::exp(x);
            assert!((a - b).abs() <= 4.0 * f64::EPSILON * b, "exp {x}: {a} vs {b}");
        }
        for &(x, y) in &[(2.0, 10.0), (7.0, -1.1), (1000.0, -1.07), (0.3, 0.25)] {
            let a = powf(x, y);
            let b = f64::powf(x, y);
            assert!((a - b).abs() <= 64.0 * f64::EPSILON * b, "pow {x} {y}");
        }
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert_eq!(exp(-800.0), 0.0);
    }
}
