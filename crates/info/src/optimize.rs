//! One-dimensional minimization shared by the estimators (NSB's MAP β), the extrapolation fits (the
//! exponent) and callers elsewhere (add-k's pseudo-count).

/// Where a golden-section search ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Golden {
    /// The final bracket's lower end.
    pub lo: f64,
    /// The final bracket's upper end.
    pub hi: f64,
    /// The better of the two interior points evaluated last.
    pub x: f64,
    /// f(x).
    pub fx: f64,
}

/// Golden-section search for a minimum of a unimodal `f` on [a, b] (Kiefer 1953): the bracket shrinks by
/// the golden ratio per step, one evaluation each, until it is narrower than `tol` or `max_iter` steps have
/// been taken. To maximize, minimize −f.
pub fn golden_section_min(mut f: impl FnMut(f64) -> f64, a: f64, b: f64, tol: f64, max_iter: usize) -> Golden {
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut a, mut b) = (a, b);
    let mut x1 = b - g * (b - a);
    let mut x2 = a + g * (b - a);
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..max_iter {
        if (b - a).abs() < tol {
            break;
        }
        if f1 <= f2 {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            f1 = f(x1);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            f2 = f(x2);
        }
    }
    let (x, fx) = if f1 <= f2 { (x1, f1) } else { (x2, f2) };
    Golden { lo: a, hi: b, x, fx }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_a_parabola() {
        let g = golden_section_min(|x| (x - 0.3).powi(2) + 1.0, -2.0, 5.0, 1e-12, 200);
        // A flat minimum is located only to about √ε.
        assert!((g.x - 0.3).abs() < 1e-6 && (g.fx - 1.0).abs() < 1e-10, "{g:?}");
        assert!(g.hi - g.lo < 1e-6);
    }
}
