//! A binary arithmetic coder: 32-bit, carry-less, with 16-bit probabilities.
//!
//! The interval `[low, high]` is split at `low + range · p₁ / 2¹⁶`; a 1 keeps the lower part, a 0 the
//! upper. When the top bytes of `low` and `high` agree, that byte is settled and written (Witten, Neal and
//! Cleary 1987, in the carry-less form in which the interval is narrowed so that a carry can never reach a
//! written byte). Flushing writes one byte of `low`; the decoder reads missing bytes past the end as
//! 0xFF, which lands inside the final interval. The cost of a bit is `−log2 p` up to the rounding of the
//! split, under 10⁻⁴ bits per bit at 32 bits of range, plus the one flushed byte.

/// The probability scale: probabilities of a 1 are in `1..PROB_ONE`.
pub const PROB_BITS: u32 = 16;
const PROB_ONE: u32 = 1 << PROB_BITS;

#[inline]
fn split(low: u32, high: u32, p1: u32) -> u32 {
    debug_assert!(p1 > 0 && p1 < PROB_ONE);
    low + (((high - low) as u64 * p1 as u64) >> PROB_BITS) as u32
}

/// Writes bits into bytes.
#[derive(Debug, Clone)]
pub struct Encoder {
    low: u32,
    high: u32,
    out: Vec<u8>,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder::new()
    }
}

impl Encoder {
    /// An empty code.
    pub fn new() -> Encoder {
        Encoder { low: 0, high: u32::MAX, out: Vec::new() }
    }

    /// Codes `bit` (true: 1) whose probability of being 1 was `p1` / 2¹⁶ (clamped to `1..2¹⁶−1`).
    #[inline]
    pub fn encode(&mut self, bit: bool, p1: u32) {
        let mid = split(self.low, self.high, p1.clamp(1, PROB_ONE - 1));
        if bit {
            self.high = mid;
        } else {
            self.low = mid + 1;
        }
        while (self.low ^ self.high) & 0xFF00_0000 == 0 {
            self.out.push((self.high >> 24) as u8);
            self.low <<= 8;
            self.high = (self.high << 8) | 0xFF;
        }
    }

    /// Bytes written so far (the settled part of the code).
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// Ends the code: one more byte, enough for the decoder to land inside the final interval.
    pub fn finish(mut self) -> Vec<u8> {
        self.out.push((self.low >> 24) as u8);
        self.out
    }
}

/// Reads bits back from a code made by [`Encoder`], given the same probabilities in the same order.
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    low: u32,
    high: u32,
    x: u32,
    code: &'a [u8],
    at: usize,
}

impl<'a> Decoder<'a> {
    /// Starts reading `code`.
    pub fn new(code: &'a [u8]) -> Decoder<'a> {
        let mut d = Decoder { low: 0, high: u32::MAX, x: 0, code, at: 0 };
        for _ in 0..4 {
            d.x = (d.x << 8) | d.next_byte() as u32;
        }
        d
    }

    #[inline]
    fn next_byte(&mut self) -> u8 {
        let b = self.code.get(self.at).copied().unwrap_or(0xFF);
        self.at += 1;
        b
    }

    /// Decodes one bit whose probability of being 1 is `p1` / 2¹⁶ (clamped as in [`Encoder::encode`]).
    #[inline]
    pub fn decode(&mut self, p1: u32) -> bool {
        let mid = split(self.low, self.high, p1.clamp(1, PROB_ONE - 1));
        let bit = self.x <= mid;
        if bit {
            self.high = mid;
        } else {
            self.low = mid + 1;
        }
        while (self.low ^ self.high) & 0xFF00_0000 == 0 {
            self.low <<= 8;
            self.high = (self.high << 8) | 0xFF;
            self.x = (self.x << 8) | self.next_byte() as u32;
        }
        bit
    }

    /// Whether decoding has read more than a code of this length can hold: the encoder writes one byte per
    /// settled byte plus one, and the decoder reads three ahead, so a well-formed code is never overrun.
    pub fn overrun(&self) -> bool {
        self.at > self.code.len() + 3
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn roundtrip(bits: &[(bool, u32)]) {
        let mut e = Encoder::new();
        for &(b, p) in bits {
            e.encode(b, p);
        }
        let code = e.finish();
        let mut d = Decoder::new(&code);
        for (i, &(b, p)) in bits.iter().enumerate() {
            assert_eq!(d.decode(p), b, "bit {i}");
        }
        assert!(!d.overrun());
    }

    #[test]
    fn empty_code_is_one_byte() {
        assert_eq!(Encoder::new().finish().len(), 1);
    }

    #[test]
    fn code_length_is_the_information_content() {
        // 80,000 bits, each 1 with probability 1/4 and coded at p = 1/4: about 80,000 · H(1/4) = 64,902 bits.
        let mut e = Encoder::new();
        let mut ideal = 0.0;
        let mut state = 12345u64;
        for _ in 0..80_000 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let bit = (state >> 33).is_multiple_of(4);
            ideal += if bit { 2.0 } else { -(0.75f64).log2() };
            e.encode(bit, PROB_ONE / 4);
        }
        let bytes = e.finish().len() as f64;
        assert!(
            bytes * 8.0 >= ideal - 16.0 && bytes * 8.0 <= ideal + 8.0 * 2.0 + 80_000.0 * 1e-4,
            "{bytes} vs {ideal}"
        );
    }

    proptest! {
        #[test]
        fn decodes_what_was_encoded(bits in proptest::collection::vec((any::<bool>(), 0u32..=70_000), 0..2000)) {
            roundtrip(&bits);
        }

        #[test]
        fn confident_wrong_guesses_still_round_trip(bits in proptest::collection::vec(any::<bool>(), 0..3000)) {
            let bits: Vec<_> = bits.into_iter().map(|b| (b, if b { 1 } else { PROB_ONE - 1 })).collect();
            roundtrip(&bits);
        }

        #[test]
        fn any_bytes_decode_without_panicking(code in proptest::collection::vec(any::<u8>(), 0..64), ps in proptest::collection::vec(0u32..70_000, 0..500)) {
            let mut d = Decoder::new(&code);
            for p in ps {
                d.decode(p);
            }
        }
    }
}
