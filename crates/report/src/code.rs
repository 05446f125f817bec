//! # Wire format: `shannon.code/1`
//!
//! A text's prequential code length: the text coded left to right by an adaptive model and an arithmetic
//! coder, decoded back and compared byte for byte (`roundtrip: true`; a run whose decoding differs fails
//! instead of writing a report). Fields, in this order:
//! - `schema`, `tool`; `inputs` (path, bytes, SHA-256 of each file, concatenated in this order);
//! - `tokens`: what a symbol is — `bytes` (the file's bytes), `chars` (Unicode scalar values; the text is
//!   coded as its UTF-8 bytes and the bits divided by characters) or `letters` (Shannon's 27 letters: ASCII
//!   letters lower-cased, every run of anything else one space, trimmed at both ends; coded as those bytes);
//! - `text`: `bytes` of the inputs, `coded_bytes` handed to the coder, `symbols` (the denominator of
//!   `bits_per_char`);
//! - `model`: `name` (`cm`, `order0` … `order8`), `description`, `memory_bytes`;
//! - `code_bytes`: bytes of arithmetic code, its final flushed byte included (the `.code` file's header,
//!   `header_bytes`, is not counted, as a compressor's format overhead would be: it is 49 bytes);
//!   `bits` = 8 × `code_bytes`; `bits_per_char` = `bits` / `text.symbols`; `ideal_bits`: Σ −log2 p of
//!   the model's probabilities over every coded bit, what an ideal coder would need (the coder's overhead
//!   is `bits` − `ideal_bits`); `roundtrip`;
//! - `code_file`: where the `.code` file was written, if it was;
//! - `compressors`: general-purpose compressors at their strongest settings run in the same process on the
//!   same coded bytes (`name`, `setting`, `library`, `bytes`, `bits_per_char` over the same `symbols`);
//! - `published`: figures for the same file from `../shared/reference/PUBLISHED.md` (recognised by
//!   SHA-256; `compressor`, `bits_per_char`, `bytes` where given, `source` citing the section), only with
//!   `tokens` = `bytes`;
//! - `entropy_rates`: entropy-rate extrapolations copied from `shannon.entropy/1` reports given with
//!   `--entropy-report` (`report`, `tokens`, `what`, `bits_per_symbol` in that report's symbols, `same_text`);
//! - `warnings`; `timings` (`encode_seconds`, `decode_seconds`, `compress_seconds`: machine-dependent).

use serde::{Deserialize, Serialize};

use crate::{Input, Tool};

/// The schema tag of code-length reports.
pub const CODE_SCHEMA: &str = "shannon.code/1";

/// What was coded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodedText {
    /// Bytes of the inputs.
    pub bytes: u64,
    /// Bytes handed to the coder (the inputs' bytes, or their letters).
    pub coded_bytes: u64,
    /// Symbols (bytes, characters or letters): the denominator of `bits_per_char`.
    pub symbols: u64,
}

/// The adaptive model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeModel {
    /// `cm`, `order0` … `order8`.
    pub name: String,
    /// What it is, in words.
    pub description: String,
    /// Memory its tables took.
    pub memory_bytes: u64,
}

/// A compressor run on the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compressed {
    /// `xz`, `bzip2`, `zstd`.
    pub name: String,
    /// Its setting, as its command line says it (`-9e`).
    pub setting: String,
    /// The library that ran it.
    pub library: String,
    /// Compressed size, headers included.
    pub bytes: u64,
    /// 8 × bytes / symbols.
    pub bits_per_char: f64,
}

/// A published figure for the same file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Published {
    /// The program and setting.
    pub compressor: String,
    /// Bits per byte of the file, as published.
    pub bits_per_char: f64,
    /// Compressed size, where the source gives it.
    pub bytes: Option<u64>,
    /// Where the figure is from.
    pub source: String,
}

/// An entropy-rate extrapolation from a `shannon.entropy/1` report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntropyRate {
    /// The report's path.
    pub report: String,
    /// Its tokenizer kind (the symbols of `bits_per_symbol`).
    pub tokens: String,
    /// Which fit: estimator and ansatz.
    pub what: String,
    /// The extrapolated rate, bits per symbol of that report.
    pub bits_per_symbol: f64,
    /// Whether that report's inputs are this report's (same SHA-256s) and its symbols this report's.
    pub same_text: bool,
}

/// Machine-dependent figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeTimings {
    /// Coding.
    pub encode_seconds: f64,
    /// Decoding and comparing.
    pub decode_seconds: f64,
    /// The compressors together.
    pub compress_seconds: f64,
}

/// A `shannon code` report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeReport {
    /// Always [`CODE_SCHEMA`].
    pub schema: String,
    /// Who wrote it.
    pub tool: Tool,
    /// The files, in the order coded.
    pub inputs: Vec<Input>,
    /// `bytes`, `chars` or `letters`.
    pub tokens: String,
    /// Sizes.
    pub text: CodedText,
    /// The model.
    pub model: CodeModel,
    /// Bytes of arithmetic code.
    pub code_bytes: u64,
    /// Bytes of `.code` header, not counted in `bits`.
    pub header_bytes: u64,
    /// 8 × `code_bytes`.
    pub bits: u64,
    /// `bits` / `text.symbols`.
    pub bits_per_char: f64,
    /// Σ −log2 p over the coded bits.
    pub ideal_bits: f64,
    /// The code decoded to the same bytes.
    pub roundtrip: bool,
    /// Where the `.code` file went.
    pub code_file: Option<String>,
    /// Compressors on the same bytes.
    pub compressors: Vec<Compressed>,
    /// Published figures for the same file.
    pub published: Vec<Published>,
    /// Entropy-rate extrapolations.
    pub entropy_rates: Vec<EntropyRate>,
    /// Things a reader must know.
    pub warnings: Vec<String>,
    /// Machine-dependent figures.
    pub timings: CodeTimings,
}
