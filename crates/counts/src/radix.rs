//! LSD radix sort of 64-bit values on a range of their bits — the sort behind counting's buckets and
//! behind the packed block keys of `shannon-eval`'s entropy (one implementation for both).

use std::ops::Range;

/// Values below this many are sorted by comparison: a radix pass costs a histogram of its own.
const SMALL: usize = 1 << 10;
/// Widest digit: a histogram of 2^12 counters fits L1.
const DIGIT_BITS: u32 = 12;

/// Sorts `v` by the bits `bits` of each value, `(v >> bits.start) & mask` — bits outside the range decide
/// nothing but ties: values equal on it keep their order in a radix pass, and are ordered by their whole
/// value when `v` is short enough to be sorted by comparison. Digits of up to 12 bits, as few passes as that
/// allows; a pass whose digit is the same in every value moves nothing. `scratch` is reused between calls.
pub fn sort_bits(v: &mut [u64], bits: Range<u32>, scratch: &mut Vec<u64>) {
    let key_bits = bits.end.saturating_sub(bits.start);
    if key_bits == 0 || v.len() < 2 {
        return;
    }
    assert!(bits.end <= 64, "bit range {bits:?} beyond 64 bits");
    if v.len() < SMALL {
        let mask = if key_bits == 64 { u64::MAX } else { (1u64 << key_bits) - 1 };
        v.sort_unstable_by_key(|&e| ((e >> bits.start) & mask, e));
        return;
    }
    let passes = key_bits.div_ceil(DIGIT_BITS);
    let width = key_bits.div_ceil(passes);
    let (radix, mask) = (1usize << width, (1u64 << width) - 1);
    let digit = |e: u64, p: u32| ((e >> (bits.start + p * width)) & mask) as usize;
    let mut counts = vec![0usize; radix * passes as usize];
    for &e in v.iter() {
        for (p, c) in counts.chunks_exact_mut(radix).enumerate() {
            c[digit(e, p as u32)] += 1;
        }
    }
    scratch.clear();
    scratch.resize(v.len(), 0);
    let (mut src, mut dst) = (&mut *v, &mut scratch[..]);
    let mut moved = false;
    for (p, c) in counts.chunks_exact_mut(radix).enumerate() {
        if c.contains(&src.len()) {
            continue; // One digit: nothing to move.
        }
        let mut at = 0;
        for n in c.iter_mut() {
            (*n, at) = (at, at + *n);
        }
        for &e in src.iter() {
            let d = &mut c[digit(e, p as u32)];
            dst[*d] = e;
            *d += 1;
        }
        std::mem::swap(&mut src, &mut dst);
        moved = !moved;
    }
    if moved {
        v.copy_from_slice(scratch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_the_range_only() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut scratch = Vec::new();
        // (values, bit range): 1, 2 and 3 digit passes, ranges at the bottom, middle and top, a range whose
        // top digit is constant, and a slice below the radix threshold.
        let cases = [(5000, 0..24), (5000, 32..62), (3000, 32..64), (4000, 5..55), (100, 20..40), (5000, 0..64)];
        for (len, bits) in cases {
            let v: Vec<u64> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    // Keep the range's top 6 bits constant in half the cases.
                    if len % 2 == 0 {
                        x & !(0x3f << (bits.end - 6))
                    } else {
                        x
                    }
                })
                .collect();
            let key = |e: u64| {
                let k = e >> bits.start;
                if bits.end - bits.start == 64 {
                    k
                } else {
                    k & ((1 << (bits.end - bits.start)) - 1)
                }
            };
            let mut sorted = v.clone();
            sort_bits(&mut sorted, bits.clone(), &mut scratch);
            assert!(sorted.windows(2).all(|w| key(w[0]) <= key(w[1])), "{len} {bits:?}");
            let (mut a, mut b) = (v, sorted);
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "a permutation");
        }
    }
}
