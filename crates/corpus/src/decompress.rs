//! Compressed inputs: gzip, zstd, xz and bzip2, recognised by their magic bytes (never by the file name) and
//! decompressed whole into memory.
//!
//! Decompression streams from the compressed bytes (a memory map or a buffer) into one owned buffer: the
//! rest of the pipeline wants random access to line-aligned spans, which a decoder cannot give. The cost is
//! memory for the decompressed text, the same as a plain file's map once its pages are touched. Multi-member
//! gzip (pigz, bgzip), multi-frame zstd, multi-stream xz and multi-stream bzip2 (pbzip2) files are read to
//! the end. A truncated or corrupt file is an error; what was decoded before the damage is discarded, never
//! used as if it were the whole text.

use std::io::Read;

/// How a source was stored: plain, or one of the compressed formats shannon reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed (or not recognised as compressed).
    None,
    /// gzip (RFC 1952): `1f 8b 08`.
    Gzip,
    /// Zstandard (RFC 8878): `28 b5 2f fd`.
    Zstd,
    /// xz: `fd 37 7a 58 5a 00`.
    Xz,
    /// bzip2: `BZh` and a block size `1`–`9`, followed by the magic of a block or of the end of the stream.
    Bzip2,
}

impl Compression {
    /// Recognises a format from the first bytes of a file. Text that merely starts like one (a line
    /// beginning `BZh9`) is not mistaken for it: every check covers at least four bytes that UTF-8 text
    /// cannot contain or, for bzip2, ten.
    pub fn detect(head: &[u8]) -> Compression {
        const BZ_BLOCK: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]; // BCD of pi
        const BZ_END: [u8; 6] = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]; // BCD of sqrt(pi)
        if head.starts_with(&[0x1f, 0x8b, 0x08]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if head.starts_with(&[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) {
            Compression::Xz
        } else if head.len() >= 10
            && head.starts_with(b"BZh")
            && (b'1'..=b'9').contains(&head[3])
            && (head[4..10] == BZ_BLOCK || head[4..10] == BZ_END)
        {
            Compression::Bzip2
        } else {
            Compression::None
        }
    }

    /// The format's usual name, for messages: `gzip`, `zstd`, `xz`, `bzip2` (`plain` when not compressed).
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Xz => "xz",
            Compression::Bzip2 => "bzip2",
        }
    }
}

/// Decompresses all of `compressed` (in `format`) into a new buffer.
pub(crate) fn decompress(format: Compression, compressed: &[u8]) -> std::io::Result<Vec<u8>> {
    // The hint comes from the file (gzip's trailer): reserve it only if the allocator agrees, so a file that
    // claims a size the machine cannot hold fails in the decoder's own growth (an error), never aborts here.
    let mut out = Vec::new();
    let _ = out.try_reserve_exact(size_hint(format, compressed));
    let result = match format {
        Compression::None => {
            out.extend_from_slice(compressed);
            Ok(out.len())
        }
        Compression::Gzip => flate2::read::MultiGzDecoder::new(compressed).read_to_end(&mut out),
        Compression::Zstd => zstd::stream::read::Decoder::with_buffer(compressed)?.read_to_end(&mut out),
        Compression::Xz => liblzma::read::XzDecoder::new_multi_decoder(compressed).read_to_end(&mut out),
        Compression::Bzip2 => bzip2::read::MultiBzDecoder::new(compressed).read_to_end(&mut out),
    };
    result.map(|_| out)
}

/// A capacity to reserve for the decompressed bytes: gzip's trailer holds the size of its (last) member
/// modulo 2^32; otherwise a small multiple of the input. Only a hint: the buffer grows as needed.
fn size_hint(format: Compression, compressed: &[u8]) -> usize {
    let n = compressed.len();
    match format {
        Compression::None => n,
        Compression::Gzip if n >= 18 => {
            let isize = u32::from_le_bytes(compressed[n - 4..].try_into().expect("4 bytes")) as usize;
            // Plausible only if not smaller than the input nor larger than deflate's maximum ratio allows.
            if isize >= n && isize / 1032 <= n {
                isize
            } else {
                n.saturating_mul(3)
            }
        }
        _ => n.saturating_mul(3),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use super::*;

    pub(crate) fn compress(format: Compression, text: &[u8]) -> Vec<u8> {
        match format {
            Compression::None => text.to_vec(),
            Compression::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(text).unwrap();
                e.finish().unwrap()
            }
            Compression::Zstd => zstd::stream::encode_all(text, 3).unwrap(),
            Compression::Xz => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
                e.write_all(text).unwrap();
                e.finish().unwrap()
            }
            Compression::Bzip2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
                e.write_all(text).unwrap();
                e.finish().unwrap()
            }
        }
    }

    const FORMATS: [Compression; 4] = [Compression::Gzip, Compression::Zstd, Compression::Xz, Compression::Bzip2];

    fn sample() -> Vec<u8> {
        (0..2000).flat_map(|i| format!("line {i} of some text, {}\n", i * 7919 % 1000).into_bytes()).collect()
    }

    #[test]
    fn every_format_round_trips_and_is_detected() {
        let text = sample();
        for format in FORMATS {
            let packed = compress(format, &text);
            assert_eq!(Compression::detect(&packed), format, "{}", format.name());
            assert_eq!(decompress(format, &packed).unwrap(), text, "{}", format.name());
            // An empty text compresses to a valid, non-empty file.
            let empty = compress(format, b"");
            assert_eq!(Compression::detect(&empty), format, "{}", format.name());
            assert!(decompress(format, &empty).unwrap().is_empty());
        }
        assert_eq!(Compression::detect(&text), Compression::None);
        assert_eq!(Compression::detect(b""), Compression::None);
    }

    #[test]
    fn concatenated_members_are_all_read() {
        // `cat a.gz b.gz > ab.gz` (and the same for the others) is the whole of both texts.
        for format in FORMATS {
            let mut packed = compress(format, b"first part\n");
            packed.extend(compress(format, b"second part\n"));
            assert_eq!(decompress(format, &packed).unwrap(), b"first part\nsecond part\n", "{}", format.name());
        }
    }

    #[test]
    fn truncated_and_corrupt_files_are_errors() {
        let text = sample();
        for format in FORMATS {
            let packed = compress(format, &text);
            for cut in [packed.len() - 1, packed.len() - 5, packed.len() / 2, 12] {
                assert!(
                    decompress(format, &packed[..cut]).is_err(),
                    "{} cut at {cut} of {}",
                    format.name(),
                    packed.len()
                );
            }
            let mut corrupt = packed.clone();
            let mid = corrupt.len() / 2;
            for b in &mut corrupt[mid..mid + 8] {
                *b ^= 0x5a;
            }
            assert!(decompress(format, &corrupt).is_err(), "{} corrupt", format.name());
        }
    }

    #[test]
    fn text_that_starts_like_bzip2_is_text() {
        assert_eq!(Compression::detect(b"BZh9 is not a header\n"), Compression::None);
        assert_eq!(Compression::detect(b"BZh1"), Compression::None);
    }
}
