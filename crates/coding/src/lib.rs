//! Prequential code length: a text coded left to right by an adaptive model and a real arithmetic coder.
//!
//! **In:** bytes (the caller decides what they are: a file's bytes, or its letters mapped to bytes) and a
//! [`ModelKind`]. **Out:** the code ([`encode`]), which [`decode`] turns back into the same bytes, and its
//! length. Each bit is predicted only from the bits before it (the model learns as it goes and is never
//! fitted ahead), so the length is an achieved upper bound on the text's information content under the
//! model — not an estimate: the decoder proves it by reproducing the text.
//!
//! # The `.code` format (version 1)
//!
//! A 49-byte header, then the arithmetic code:
//! - bytes 0..8: the magic `SHNCODE` and the version byte 1;
//! - byte 8: the model ([`ModelKind`]'s tag: `0xC0` for `cm`, `n` for `order<n>`);
//! - bytes 9..17: the length of the text in bytes, little-endian u64;
//! - bytes 17..49: the SHA-256 of the text, checked after decoding.
//!
//! Decoding never panics on any input: a damaged code is an [`Error`], at worst after decoding as many
//! bytes as the header claims, which is bounded by what the code's length can hold.

pub mod coder;
pub mod logistic;
pub mod model;

pub use model::{Model, ModelKind};
use sha2::{Digest, Sha256};

/// The magic bytes and version of a `.code` file.
pub const MAGIC: &[u8; 8] = b"SHNCODE\x01";
/// Bytes before the arithmetic code.
pub const HEADER_BYTES: usize = 49;

/// Why a `.code` file cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Too short for the header, or another file.
    #[error("not a shannon code file (no SHNCODE header)")]
    NotACode,
    /// A later version.
    #[error("code file version {0} is not supported (this shannon reads version 1)")]
    Version(u8),
    /// A model this version does not know.
    #[error("unknown model tag {0:#04x} in the code file header")]
    UnknownModel(u8),
    /// The header claims more text than the code can hold.
    #[error("the header claims {claimed} bytes of text, more than a {code} byte code can hold (damaged file?)")]
    Length {
        /// Bytes claimed.
        claimed: u64,
        /// Bytes of arithmetic code.
        code: u64,
    },
    /// The code ran out, or decoded to other bytes than were coded.
    #[error("the code is damaged: {0}")]
    Damaged(&'static str),
}

/// A coded text.
#[derive(Debug, Clone)]
pub struct Coded {
    /// The whole `.code` file: header and arithmetic code.
    pub file: Vec<u8>,
    /// Bytes of arithmetic code alone (the file less [`HEADER_BYTES`]), flushed byte included.
    pub code_bytes: u64,
    /// Σ −log2 p over every coded bit: what an ideal coder would need with the same model.
    pub ideal_bits: f64,
    /// Bytes of memory the model used.
    pub model_bytes: u64,
}

/// How many bytes between calls of a progress callback.
pub const PROGRESS_EVERY: usize = 1 << 16;

/// Codes `data` with a fresh model of `kind`; `progress` hears the number of bytes done every
/// [`PROGRESS_EVERY`] bytes.
pub fn encode(data: &[u8], kind: ModelKind, progress: &mut dyn FnMut(u64)) -> Coded {
    let mut model = Model::new(kind, data.len() as u64);
    let model_bytes = model.memory_bytes();
    let mut enc = coder::Encoder::new();
    let mut ideal = 0.0f64;
    for (i, &byte) in data.iter().enumerate() {
        for k in (0..8).rev() {
            let bit = (byte >> k) & 1 == 1;
            let p1 = model.p1();
            let p = if bit { p1 } else { 65536 - p1 };
            ideal -= (p as f64 / 65536.0).log2();
            enc.encode(bit, p1);
            model.update(bit);
        }
        if (i + 1) % PROGRESS_EVERY == 0 {
            progress(PROGRESS_EVERY as u64);
        }
    }
    progress((data.len() % PROGRESS_EVERY) as u64);
    let code = enc.finish();
    let mut file = Vec::with_capacity(HEADER_BYTES + code.len());
    file.extend_from_slice(MAGIC);
    file.push(kind.tag());
    file.extend_from_slice(&(data.len() as u64).to_le_bytes());
    file.extend_from_slice(&Sha256::digest(data));
    let code_bytes = code.len() as u64;
    file.extend_from_slice(&code);
    Coded { file, code_bytes, ideal_bits: ideal, model_bytes }
}

/// What a `.code` file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text.
    pub data: Vec<u8>,
    /// The model it was coded with.
    pub kind: ModelKind,
}

/// The most text a byte of code can hold, with room to spare: every model here gives each bit a probability
/// of at most 1 − 2⁻¹² (65,520 / 65,536), so a byte of text costs at least 8 · log2(4096/4095) ≈ 0.0028 bits,
/// and a byte of code holds at most 2,857 bytes of text.
const MAX_BYTES_PER_CODE_BYTE: u64 = 1 << 12;

/// Decodes a `.code` file, checking its length and SHA-256. Decoding takes time in proportion to the length
/// the header claims, which is at most 4,096 bytes per byte of code.
pub fn decode(file: &[u8], progress: &mut dyn FnMut(u64)) -> Result<Decoded, Error> {
    if file.len() < HEADER_BYTES || file[..7] != MAGIC[..7] {
        return Err(Error::NotACode);
    }
    if file[7] != MAGIC[7] {
        return Err(Error::Version(file[7]));
    }
    let kind = ModelKind::from_tag(file[8]).ok_or(Error::UnknownModel(file[8]))?;
    let len = u64::from_le_bytes(file[9..17].try_into().expect("8 bytes"));
    let code = &file[HEADER_BYTES..];
    // The coder writes within a few bytes of the ideal length, so a genuine header never claims more.
    let bound = (code.len() as u64 + 4).saturating_mul(MAX_BYTES_PER_CODE_BYTE);
    if len > bound {
        return Err(Error::Length { claimed: len, code: code.len() as u64 });
    }
    let mut model = Model::new(kind, len);
    let mut dec = coder::Decoder::new(code);
    let mut data = Vec::with_capacity(len.min(1 << 26) as usize);
    for i in 0..len {
        let mut byte = 0u8;
        for _ in 0..8 {
            let bit = dec.decode(model.p1());
            model.update(bit);
            byte = (byte << 1) | u8::from(bit);
        }
        data.push(byte);
        if dec.overrun() {
            return Err(Error::Damaged("it ends before the text does"));
        }
        if (i + 1) % PROGRESS_EVERY as u64 == 0 {
            progress(PROGRESS_EVERY as u64);
        }
    }
    progress(len % PROGRESS_EVERY as u64);
    if Sha256::digest(&data)[..] != file[17..49] {
        return Err(Error::Damaged("the decoded text's SHA-256 differs from the header's"));
    }
    Ok(Decoded { data, kind })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn none(_: u64) {}

    fn roundtrip(data: &[u8], kind: ModelKind) -> Coded {
        let coded = encode(data, kind, &mut none);
        let back = decode(&coded.file, &mut none).unwrap();
        assert_eq!(back.data, data);
        assert_eq!(back.kind, kind);
        assert_eq!(coded.file.len(), HEADER_BYTES + coded.code_bytes as usize);
        coded
    }

    const TEXT: &str = "It was the best of times, it was the worst of times, it was the age of wisdom, it was the \
        age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, \
        it was the season of Darkness, it was the spring of hope, it was the winter of despair.\n";

    #[test]
    fn small_texts_round_trip() {
        for kind in [ModelKind::Cm, ModelKind::Order(0), ModelKind::Order(2), ModelKind::Order(8)] {
            roundtrip(b"", kind);
            roundtrip(b"a", kind);
            roundtrip(TEXT.as_bytes(), kind);
            roundtrip(&TEXT.repeat(20).into_bytes(), kind);
        }
    }

    #[test]
    fn the_code_is_as_long_as_the_model_says() {
        // The arithmetic coder adds at most a few bytes to the ideal code length of its model.
        for kind in [ModelKind::Cm, ModelKind::Order(1)] {
            let c = roundtrip(&TEXT.repeat(10).into_bytes(), kind);
            let actual = c.code_bytes as f64 * 8.0;
            assert!(actual >= c.ideal_bits - 32.0 && actual <= c.ideal_bits + 40.0, "{actual} vs {}", c.ideal_bits);
        }
    }

    #[test]
    fn order0_costs_what_the_counters_predict() {
        // 1,000 zero bytes under order 0: each of the 8 bit-positions' counter (8 of them, in the tree of the
        // byte's bits) sees only zeros, and after n zeros predicts 1 with probability
        // (1/2)·∏ (1 − 1/(k + 1.5)) over k < n. Summing −log2 of 1 − that gives the ideal length by hand.
        let mut ideal = 0.0;
        let mut p = 0.5f64;
        for n in 0..1000u32 {
            ideal += 8.0 * -(1.0 - p).log2();
            p -= p / (n.min(255) as f64 + 1.5);
        }
        let c = roundtrip(&[0u8; 1000], ModelKind::Order(0));
        // The counters hold 16 bits and round down, so a long run of zeros costs a little less than the exact
        // recursion says once p is a few units of 2^-16.
        assert!(c.ideal_bits <= ideal + 0.5 && c.ideal_bits >= 0.8 * ideal, "{} vs {ideal}", c.ideal_bits);
    }

    #[test]
    fn the_longest_runs_still_fit_the_length_bound() {
        // The cheapest text there is: one byte repeated, coded at the models' highest confidence.
        for kind in [ModelKind::Cm, ModelKind::Order(0)] {
            let c = roundtrip(&vec![b'e'; 200_000], kind);
            assert!(200_000 < (c.code_bytes + 4) * MAX_BYTES_PER_CODE_BYTE, "{kind:?}: {} bytes", c.code_bytes);
            assert!(c.code_bytes < 1_000, "{kind:?}: {} bytes for a run that should cost almost nothing", c.code_bytes);
        }
    }

    #[test]
    fn repetition_is_nearly_free() {
        let once = roundtrip(TEXT.as_bytes(), ModelKind::Cm).code_bytes;
        let many = roundtrip(&TEXT.repeat(50).into_bytes(), ModelKind::Cm).code_bytes;
        assert!(many < once + once / 2, "{once} once, {many} for 50 copies");
    }

    #[test]
    fn damaged_files_are_errors() {
        let coded = encode(TEXT.as_bytes(), ModelKind::Cm, &mut none);
        assert_eq!(decode(b"", &mut none), Err(Error::NotACode));
        assert_eq!(decode(&coded.file[..HEADER_BYTES - 1], &mut none), Err(Error::NotACode));
        let mut v = coded.file.clone();
        v[7] = 2;
        assert_eq!(decode(&v, &mut none), Err(Error::Version(2)));
        let mut m = coded.file.clone();
        m[8] = 0x77;
        assert_eq!(decode(&m, &mut none), Err(Error::UnknownModel(0x77)));
        let mut l = coded.file.clone();
        l[9..17].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(decode(&l, &mut none), Err(Error::Length { .. })));
        let mut flipped = coded.file.clone();
        let mid = HEADER_BYTES + 10;
        flipped[mid] ^= 0x10;
        assert!(matches!(decode(&flipped, &mut none), Err(Error::Damaged(_))));
        assert!(matches!(decode(&coded.file[..coded.file.len() - 20], &mut none), Err(Error::Damaged(_))));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn random_bytes_round_trip(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
            roundtrip(&data, ModelKind::Cm);
        }

        #[test]
        fn random_words_round_trip(words in proptest::collection::vec("[a-e]{1,6}[ ,.\n]", 0..400)) {
            roundtrip(words.concat().as_bytes(), ModelKind::Cm);
            roundtrip(words.concat().as_bytes(), ModelKind::Order(3));
        }

        #[test]
        fn any_file_decodes_or_errs(mut header in proptest::collection::vec(any::<u8>(), HEADER_BYTES..HEADER_BYTES + 80), tag in prop_oneof![Just(0xC0u8), 0u8..9], len in 0u64..5000) {
            header[..8].copy_from_slice(MAGIC);
            header[8] = tag;
            header[9..17].copy_from_slice(&len.to_le_bytes());
            let _ = decode(&header, &mut none);
        }
    }
}
