//! `shannon code`: the prequential code length of a text, achieved by an arithmetic coder and proven by
//! decoding, beside general-purpose compressors run on the same bytes, published figures for the same
//! file, and entropy-rate extrapolations, as a `shannon.code/1` report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use shannon_coding::ModelKind;
use shannon_report::code::{
    CodeModel, CodeReport, CodeTimings, CodedText, Compressed, EntropyRate, Published, CODE_SCHEMA,
};
use shannon_report::entropy::EntropyReport;

use crate::progress::{stage, Progress, Unit};
use crate::text::{describe, inputs, open};
use crate::{ConfigError, Error, Result};

/// What a symbol is: the denominator of bits per character, and which bytes are coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbols {
    /// The file's bytes, coded as they are; a character is a byte (as compression benchmarks count).
    Bytes,
    /// Unicode scalar values: the text (valid UTF-8) is coded as its bytes, the bits divided by characters.
    Chars,
    /// Shannon's 27 letters: ASCII letters lower-cased, every run of anything else one space, none at either
    /// end; those bytes are coded.
    Letters,
}

impl Symbols {
    /// `bytes`, `chars`, `letters`.
    pub fn name(self) -> &'static str {
        match self {
            Symbols::Bytes => "bytes",
            Symbols::Chars => "chars",
            Symbols::Letters => "letters",
        }
    }

    /// Parses [`Symbols::name`]'s output.
    pub fn from_name(name: &str) -> Option<Symbols> {
        [Symbols::Bytes, Symbols::Chars, Symbols::Letters].into_iter().find(|s| s.name() == name)
    }
}

/// A `code` configuration: [`CodeConfig::new`] gives the defaults, [`CodeConfig::validate`] checks them.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeConfig {
    /// The text: files or directories, coded as one text in the order given.
    pub paths: Vec<PathBuf>,
    /// What a symbol is.
    pub symbols: Symbols,
    /// The adaptive model.
    pub model: ModelKind,
    /// Run xz, bzip2 and zstd on the same bytes.
    pub compressors: bool,
    /// `shannon.entropy/1` reports whose extrapolated entropy rates go beside the code length.
    pub entropy_reports: Vec<PathBuf>,
    /// Where to write the `.code` file, if anywhere.
    pub write: Option<PathBuf>,
}

/// The models `--model` accepts, for messages.
pub const MODELS: &str = "cm, order0 … order8";

impl CodeConfig {
    /// The defaults: bytes, the context-mixing model, the compressors run, nothing written but the report.
    pub fn new(paths: Vec<PathBuf>) -> CodeConfig {
        CodeConfig {
            paths,
            symbols: Symbols::Bytes,
            model: ModelKind::Cm,
            compressors: true,
            entropy_reports: Vec::new(),
            write: None,
        }
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.paths.is_empty() {
            return Err(ConfigError::new("text", "needs at least one file"));
        }
        Ok(())
    }

    /// The report's default file stem: `code-<text>[-<tokens>][-<model>]`.
    pub fn report_stem(&self) -> String {
        let mut stem = format!("code-{}", crate::text::corpus_name(&self.paths));
        if self.symbols != Symbols::Bytes {
            stem.push_str(&format!("-{}", self.symbols.name()));
        }
        if self.model != ModelKind::Cm {
            stem.push_str(&format!("-{}", self.model.name()));
        }
        stem
    }
}

/// `text` as Shannon's 27 letters: ASCII letters lower-cased, each run of other bytes between two letters
/// one space (the letters tokenizer's rule, `shannon_tokens::TokenKind::Letters`).
pub fn letters(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut gap = false;
    for &b in text {
        if b.is_ascii_alphabetic() {
            if gap && !out.is_empty() {
                out.push(b' ');
            }
            gap = false;
            out.push(b.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// The bytes to code and the number of symbols they hold.
fn coded_bytes(config: &CodeConfig, corpus: &shannon_corpus::Corpus) -> Result<(Vec<u8>, u64)> {
    let mut all = Vec::with_capacity(corpus.bytes() as usize);
    for span in corpus.whole() {
        all.extend_from_slice(corpus.bytes_of(&span));
    }
    match config.symbols {
        Symbols::Bytes => {
            let n = all.len() as u64;
            Ok((all, n))
        }
        Symbols::Chars => {
            let mut chars = 0;
            for source in corpus.sources() {
                let text = std::str::from_utf8(source.as_ref()).map_err(|e| {
                    Error::Input(format!(
                        "{}: invalid UTF-8 at byte offset {}; --tokens chars needs UTF-8 text (--tokens bytes codes any bytes)",
                        source.path().display(),
                        e.valid_up_to()
                    ))
                })?;
                chars += text.chars().count() as u64;
            }
            Ok((all, chars))
        }
        Symbols::Letters => {
            let l = letters(&all);
            let n = l.len() as u64;
            Ok((l, n))
        }
    }
}

/// Codes the text, decodes it, checks the round trip, runs the compressors, gathers the published
/// figures and the entropy rates.
pub fn run(config: &CodeConfig, progress: &dyn Progress) -> Result<CodeReport> {
    config.validate()?;
    // The bytes as stored (after decompression): a file of JSON Lines is coded as it is, not as its texts.
    let raw = shannon_corpus::documents::Options {
        format: Some(shannon_corpus::documents::Format::Text),
        ..Default::default()
    };
    let corpus = open(&config.paths, (&raw, false), progress)?;
    let (data, symbols) = coded_bytes(config, &corpus)?;
    let what = describe(&config.paths);
    if symbols == 0 {
        return Err(Error::Input(format!("{what}: no {} to code", config.symbols.name())));
    }
    let mut warnings = Vec::new();
    let (coded, encode_seconds) = stage(progress, "encode", Some(data.len() as u64), Unit::Bytes, || {
        shannon_coding::encode(&data, config.model, &mut |n| progress.advance(n))
    })?;
    let (decoded, decode_seconds) = stage(progress, "decode", Some(data.len() as u64), Unit::Bytes, || {
        shannon_coding::decode(&coded.file, &mut |n| progress.advance(n))
    })?;
    let decoded = decoded.map_err(|e| Error::Input(format!("{what}: the code did not decode: {e}")))?;
    if decoded.data != data {
        return Err(Error::Input(format!("{what}: the code decoded to different bytes (a bug in shannon-coding)")));
    }
    if let Some(path) = &config.write {
        shannon_report::write_atomic(path, &coded.file)?;
    }
    let start = Instant::now();
    let compressors = if config.compressors {
        stage(progress, "compressors", None, Unit::Steps, || compressors(&data, symbols))?.0?
    } else {
        Vec::new()
    };
    let compress_seconds = start.elapsed().as_secs_f64();
    let inputs = inputs(&corpus);
    let published =
        if config.symbols == Symbols::Bytes && inputs.len() == 1 { published(&inputs[0].sha256) } else { Vec::new() };
    let mut entropy_rates = Vec::new();
    for path in &config.entropy_reports {
        let bytes = std::fs::read(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        let report: EntropyReport = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Input(format!("{}: not a shannon.entropy/1 report: {e}", path.display())))?;
        let rates = entropy_rates_of(path, &report, &inputs, config.symbols);
        if rates.is_empty() {
            warnings.push(format!("{}: the entropy report has no extrapolated rate", path.display()));
        }
        if rates.first().is_some_and(|r| !r.same_text) {
            warnings.push(format!(
                "{}: the entropy report is of other text or other symbols ({}); its rates are not comparable",
                path.display(),
                report.tokenizer.kind.name()
            ));
        }
        entropy_rates.extend(rates);
    }
    for w in &warnings {
        progress.message(&format!("warning: {w}"));
    }
    let bits = coded.code_bytes * 8;
    Ok(CodeReport {
        schema: CODE_SCHEMA.into(),
        tool: crate::tool(),
        inputs,
        tokens: config.symbols.name().into(),
        text: CodedText { bytes: corpus.bytes(), coded_bytes: data.len() as u64, symbols },
        model: CodeModel {
            name: config.model.name(),
            description: config.model.describe(),
            memory_bytes: coded.model_bytes,
        },
        code_bytes: coded.code_bytes,
        header_bytes: shannon_coding::HEADER_BYTES as u64,
        bits,
        bits_per_char: bits as f64 / symbols as f64,
        ideal_bits: coded.ideal_bits,
        roundtrip: true,
        code_file: config.write.as_ref().map(|p| p.display().to_string()),
        compressors,
        published,
        entropy_rates,
        warnings,
        timings: CodeTimings { encode_seconds, decode_seconds, compress_seconds },
    })
}

/// Decodes the `.code` file `code` (its SHA-256 checked) and writes the text to `output` atomically;
/// returns the number of bytes written.
pub fn decode_file(code: &Path, output: &Path, progress: &dyn Progress) -> Result<u64> {
    let file = std::fs::read(code).map_err(|e| Error::io(format!("cannot read {}", code.display()), e))?;
    let (decoded, _) =
        stage(progress, "decode", None, Unit::Bytes, || shannon_coding::decode(&file, &mut |n| progress.advance(n)))?;
    let decoded = decoded.map_err(|e| Error::Input(format!("{}: {e}", code.display())))?;
    shannon_report::write_atomic(output, &decoded.data)?;
    Ok(decoded.data.len() as u64)
}

/// xz -9e, bzip2 -9 and zstd --ultra -22 on `data`, each as its command-line tool would write it (xz with
/// a CRC64 check, zstd with its checksum and the content size), in parallel.
pub fn compressors(data: &[u8], symbols: u64) -> Result<Vec<Compressed>> {
    let fail = |name: &str, e: std::io::Error| Error::io(format!("compressing with {name}"), e);
    let ((xz, bz), zs) = rayon::join(
        || {
            rayon::join(
                || -> std::io::Result<usize> {
                    let stream = liblzma::stream::Stream::new_easy_encoder(
                        9 | liblzma::stream::PRESET_EXTREME,
                        liblzma::stream::Check::Crc64,
                    )?;
                    let mut e = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
                    e.write_all(data)?;
                    Ok(e.finish()?.len())
                },
                || -> std::io::Result<usize> {
                    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
                    e.write_all(data)?;
                    Ok(e.finish()?.len())
                },
            )
        },
        || -> std::io::Result<usize> {
            let mut c = zstd::bulk::Compressor::new(22)?;
            c.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))?;
            Ok(c.compress(data)?.len())
        },
    );
    let entry = |name: &str, setting: &str, library: &str, bytes: usize| Compressed {
        name: name.into(),
        setting: setting.into(),
        library: library.into(),
        bytes: bytes as u64,
        bits_per_char: 8.0 * bytes as f64 / symbols as f64,
    };
    Ok(vec![
        entry(
            "xz",
            "-9e",
            "liblzma (crate liblzma 0.4, XZ Utils' liblzma built from source), CRC64 check",
            xz.map_err(|e| fail("xz", e))?,
        ),
        entry(
            "bzip2",
            "-9",
            "crate bzip2 0.6 (libbz2-rs-sys, a port of libbzip2 1.0.8)",
            bz.map_err(|e| fail("bzip2", e))?,
        ),
        entry(
            "zstd",
            "--ultra -22",
            "crate zstd 0.14 (libzstd built from source), checksum on as the zstd tool writes",
            zs.map_err(|e| fail("zstd", e))?,
        ),
    ])
}

/// Figures from `../shared/reference/PUBLISHED.md` §8 for the files it gives them for, recognised by
/// SHA-256 (the corpora's MANIFEST.tsv); bits per byte recomputed there from byte counts.
const PUBLISHED: &[(&str, &str, f64, Option<u64>, &str)] = &[
    (
        "9ffa47cd93bccd732f20e0c304203cfbc1b8a91bedac536e2d8f6051003d9951",
        "zpaq 1.0x max.cfg (context mixing)",
        2.064,
        Some(198_364),
        "PUBLISHED.md §8b (Calgary book1), from the zpaq readme",
    ),
    (
        "9ffa47cd93bccd732f20e0c304203cfbc1b8a91bedac536e2d8f6051003d9951",
        "bzip2 -9",
        2.42,
        None,
        "PUBLISHED.md §8b, LIPT paper table",
    ),
    (
        "9ffa47cd93bccd732f20e0c304203cfbc1b8a91bedac536e2d8f6051003d9951",
        "xz",
        2.717,
        Some(261_116),
        "PUBLISHED.md §8b, bellard.org/ts_zip",
    ),
    (
        "9ffa47cd93bccd732f20e0c304203cfbc1b8a91bedac536e2d8f6051003d9951",
        "ts_zip (RWKV language model + arithmetic coder)",
        1.431,
        Some(137_477),
        "PUBLISHED.md §8b, bellard.org/ts_zip",
    ),
    (
        "7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0",
        "cmix v21",
        1.63,
        None,
        "PUBLISHED.md §8a (Canterbury alice29.txt), Nacrith paper arXiv 2602.19626 (their run)",
    ),
    (
        "7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0",
        "bzip2 -9 (1.0.8)",
        2.272,
        Some(43_202),
        "PUBLISHED.md §8a, measured",
    ),
    (
        "7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0",
        "xz -9e (XZ Utils 5.4.1)",
        2.553,
        Some(48_528),
        "PUBLISHED.md §8a, measured",
    ),
    (
        "7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0",
        "zstd --ultra -22 (1.5.4)",
        2.589,
        Some(49_215),
        "PUBLISHED.md §8a, measured",
    ),
    (
        "7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0",
        "gzip -9 (1.12)",
        2.850,
        Some(54_191),
        "PUBLISHED.md §8a, measured",
    ),
    (
        "7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0",
        "ts_zip (RWKV-169M language model + arithmetic coder)",
        1.142,
        Some(21_713),
        "PUBLISHED.md §8a, bellard.org/ts_zip",
    ),
    (
        "4e0a7e8dff7d9c82dbded57305c0ca3cdd3c4ca014db27121782fe9710f4723f",
        "bzip2 -9",
        1.67,
        None,
        "PUBLISHED.md §8c (Canterbury bible.txt), LIPT paper table",
    ),
];

/// The published figures for the file with this SHA-256.
pub fn published(sha256: &str) -> Vec<Published> {
    PUBLISHED
        .iter()
        .filter(|p| p.0 == sha256)
        .map(|&(_, compressor, bpc, bytes, source)| Published {
            compressor: compressor.into(),
            bits_per_char: bpc,
            bytes,
            source: source.into(),
        })
        .collect()
}

/// Every finite extrapolated rate of an entropy report: per estimator the power-law fit of F_N, and the
/// fits of the held-out cross-entropy curve.
fn entropy_rates_of(
    path: &Path,
    report: &EntropyReport,
    inputs: &[shannon_report::Input],
    symbols: Symbols,
) -> Vec<EntropyRate> {
    let same_inputs = report.corpus.inputs.len() == inputs.len()
        && report.corpus.inputs.iter().zip(inputs).all(|(a, b)| a.sha256 == b.sha256);
    let kind = report.tokenizer.kind.name();
    let same = same_inputs && kind == symbols.name();
    let mut out = Vec::new();
    let mut push = |what: String, h: f64| {
        if h.is_finite() {
            out.push(EntropyRate {
                report: path.display().to_string(),
                tokens: kind.into(),
                what,
                bits_per_symbol: h,
                same_text: same,
            });
        }
    };
    // The ansatz itself is in the entropy report (`extrapolation.ansatz`); a name is enough here.
    let x = &report.extrapolation;
    for f in &x.f {
        if let Some(p) = &f.power_law {
            push(format!("F_N, {} estimator, power law", f.estimator), p.h);
        }
    }
    if let Some(c) = &x.cross_entropy {
        if let Some(p) = &c.power_law {
            push("held-out cross-entropy, power law".into(), p.h);
        }
        if let Some(s) = &c.stretched_exponential {
            push("held-out cross-entropy, stretched exponential".into(), s.h);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_follow_the_tokenizer() {
        assert_eq!(letters(b"  Ab, c!\n\nD-e  "), b"ab c d e");
        assert_eq!(letters(b"123"), b"");
        assert_eq!(letters("é a".as_bytes()), b"a");
    }

    #[test]
    fn names_round_trip() {
        for s in [Symbols::Bytes, Symbols::Chars, Symbols::Letters] {
            assert_eq!(Symbols::from_name(s.name()), Some(s));
        }
        assert_eq!(Symbols::from_name("words"), None);
    }

    #[test]
    fn published_figures_are_found_by_hash() {
        let book1 = published("9ffa47cd93bccd732f20e0c304203cfbc1b8a91bedac536e2d8f6051003d9951");
        assert!(book1.iter().any(|p| p.compressor.starts_with("zpaq") && p.bits_per_char == 2.064));
        // bpc = 8 · bytes / 768,771, as PUBLISHED.md recomputed it.
        for p in &book1 {
            if let Some(b) = p.bytes {
                assert!((8.0 * b as f64 / 768_771.0 - p.bits_per_char).abs() < 5e-4, "{p:?}");
            }
        }
        for p in published("7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0") {
            if let Some(b) = p.bytes {
                assert!((8.0 * b as f64 / 152_089.0 - p.bits_per_char).abs() < 5e-4, "{p:?}");
            }
        }
        assert!(published("00").is_empty());
    }

    #[test]
    fn compressors_shrink_text_and_say_their_settings() {
        let text = "the quick brown fox jumps over the lazy dog\n".repeat(200);
        let c = compressors(text.as_bytes(), text.len() as u64).unwrap();
        assert_eq!(c.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["xz", "bzip2", "zstd"]);
        for c in &c {
            assert!(c.bytes > 20 && c.bytes < 400, "{c:?}");
            assert!((c.bits_per_char - 8.0 * c.bytes as f64 / text.len() as f64).abs() < 1e-12);
        }
    }

    #[test]
    fn a_text_codes_and_decodes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        std::fs::write(&path, "It was the best of times, it was the worst of times.\n".repeat(30)).unwrap();
        let mut config = CodeConfig::new(vec![path.clone()]);
        config.write = Some(dir.path().join("t.code"));
        let r = run(&config, &crate::Silent).unwrap();
        assert!(r.roundtrip && r.bits == 8 * r.code_bytes);
        assert_eq!(r.text.symbols, r.text.bytes);
        assert!(r.bits_per_char < 1.0, "{}", r.bits_per_char);
        let file = std::fs::read(dir.path().join("t.code")).unwrap();
        assert_eq!(file.len() as u64, r.code_bytes + r.header_bytes);
        let back = dir.path().join("back.txt");
        assert_eq!(decode_file(&dir.path().join("t.code"), &back, &crate::Silent).unwrap(), r.text.bytes);
        assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&path).unwrap());
        std::fs::write(dir.path().join("bad.code"), &file[..file.len() - 4]).unwrap();
        let e = decode_file(&dir.path().join("bad.code"), &back, &crate::Silent).unwrap_err().to_string();
        assert!(e.contains("bad.code") && e.contains("damaged"), "{e}");
        config.symbols = Symbols::Letters;
        config.write = None;
        let l = run(&config, &crate::Silent).unwrap();
        assert_eq!(l.tokens, "letters");
        assert!(l.text.symbols < r.text.symbols);
    }
}
