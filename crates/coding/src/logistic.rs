//! The logistic domain in integers: `squash(x) = 4096 / (1 + e^(−x/256))` and its inverse `stretch`.
//!
//! Mixing happens on `stretch(p) = ln(p / (1 − p))`, where evidence adds (the inputs of a logistic
//! mixer). Both are integer tables, so that the encoder and a decoder built anywhere compute the same
//! probabilities bit for bit: floating-point `exp` may round differently between platforms.

/// `4096 / (1 + e^(−x/256))` at x = −2048, −1920, …, 2048, rounded (computed once, with f64).
const KNOTS: [i32; 33] = [
    1, 2, 4, 6, 10, 17, 27, 45, 74, 120, 194, 311, 488, 747, 1102, 1546, 2048, 2550, 2994, 3349, 3608, 3785, 3902,
    3976, 4022, 4051, 4069, 4079, 4086, 4090, 4092, 4094, 4095,
];

/// 12-bit probability of `x` in the stretched domain (units of 1/256), by linear interpolation between
/// knots; saturates outside ±2047.
#[inline]
pub fn squash(x: i32) -> i32 {
    if x > 2047 {
        return 4095;
    }
    if x < -2047 {
        return 1;
    }
    let w = x & 127;
    let i = ((x >> 7) + 16) as usize;
    (KNOTS[i] * (128 - w) + KNOTS[i + 1] * w + 64) >> 7
}

/// The inverse of [`squash`] on 12-bit probabilities.
#[derive(Debug, Clone)]
pub struct Stretch {
    table: Vec<i16>,
}

impl Default for Stretch {
    fn default() -> Self {
        Stretch::new()
    }
}

impl Stretch {
    /// Builds the table: for each p, the x at which `squash` first reaches it (middle of a flat run).
    pub fn new() -> Stretch {
        let mut table = vec![0i16; 4096];
        let mut pi = 0usize;
        for x in -2047..=2047 {
            let v = squash(x) as usize;
            table[pi..=v].fill(x as i16);
            pi = v + 1;
        }
        table[pi..].fill(2047);
        Stretch { table }
    }

    /// `ln(p / (1 − p))` × 256 for a 12-bit probability `p`.
    #[inline]
    pub fn get(&self, p: u32) -> i32 {
        self.table[(p & 4095) as usize] as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squash_is_the_logistic_function() {
        for x in (-2047..=2047).step_by(7) {
            let exact = 4096.0 / (1.0 + (-(x as f64) / 256.0).exp());
            assert!(
                (squash(x) as f64 - exact).abs() <= 2.0 + 0.03 * exact.min(4096.0 - exact),
                "{x}: {} vs {exact}",
                squash(x)
            );
        }
        assert_eq!(squash(0), 2048);
        assert_eq!(squash(5000), 4095);
        assert_eq!(squash(-5000), 1);
    }

    #[test]
    fn stretch_inverts_squash() {
        let s = Stretch::new();
        for p in 1..4095u32 {
            let back = squash(s.get(p));
            assert!((back - p as i32).abs() <= 1 + p as i32 / 40, "{p} -> {} -> {back}", s.get(p));
        }
        assert!(s.get(2048).abs() < 4);
        for p in 1..4096u32 {
            assert!(s.get(p) >= s.get(p - 1), "monotone at {p}");
        }
    }
}
