//! Reports: the last stage of shannon's data path.
//!
//! **In:** what the other stages measured. **Out:** versioned JSON reports, written atomically.
//!
//! # Wire format: `shannon.compare/1`
//!
//! A [`CompareReport`] serializes as one JSON object with, in this order:
//! - `schema`: `"shannon.compare/1"`; `tool`: name and version of the program that wrote it;
//! - `corpus`: its name, each input's `path`, `bytes` and `sha256`, and how train and test were split;
//! - `tokenizer`: `kind`, `lowercase`, `sentences`, and `skip_symbols: true` when `<s>`, `</s>` and `<unk>`
//!   were read as whitespace (absent otherwise);
//! - `train`, `test`: text statistics (`bytes`, `chars`, `sentences`, `tokens`, `vocabulary`, and
//!   `replaced_invalid_utf8` with `--lossy`);
//! - `true_entropy_rate`: for a generated corpus, the exact entropy rate of its source (else `null`);
//! - `models`: one entry per (order, smoothing), orders ascending, methods in the order asked for, each with
//!   `order`, `smoothing`, `ngrams` (per order), `discounts`, `vocabulary` (|V|, the support), and `test`:
//!   `tokens`, `sentences`, `oov`, `oov_rate`, `zero_probability_tokens`, `cross_entropy_bits`,
//!   `perplexity`, `perplexity_excluding_oov`, `bits_per_char`, `bits_per_byte` and `infinite` (why a
//!   figure is `null`, when one is);
//! - `best`: the model with the lowest finite perplexity;
//! - `warnings`: things a reader must know (discount fallbacks, replaced bytes);
//! - `timings`: everything that depends on the machine — seconds per stage and thread count. Apart from
//!   this block and each model's `build_seconds`, a report is identical for any thread count.
//!
//! Units are in the key names: `_bits` are bits per token, `bits_per_char` bits per Unicode scalar value
//! of the test text (line ends included), `bits_per_byte` per byte of it.

pub mod batch;
pub mod code;
pub mod entropy;
pub mod filter;
pub mod kl;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use shannon_eval::Score;
use shannon_model::Discounts;
use shannon_tokens::Tokenizer;

/// The schema tag of comparison reports.
pub const COMPARE_SCHEMA: &str = "shannon.compare/1";

/// The schema tag of score reports.
pub const SCORE_SCHEMA: &str = "shannon.score/1";

/// Errors writing a report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The report could not be written.
    // The cause follows through `source` (the binary prints the chain), so the message does not repeat it.
    #[error("cannot write {}", path.display())]
    Write {
        /// The destination.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// The program that wrote a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// Always `shannon`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    /// Path as given (or the default corpus's name).
    pub path: String,
    /// Size.
    pub bytes: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// How a file of documents (JSON Lines) was read; absent for plain text. `bytes` and `sha256` are then
    /// those of the file as stored (decompressed), not of the texts read from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<DocumentsRead>,
}

/// How a file of documents was read: its format, the field its texts came from and how many there were.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentsRead {
    /// `jsonl`.
    pub format: String,
    /// Whether the format was recognised by content (`false`: given by `--input-format`).
    pub detected: bool,
    /// The field holding each document's text (dots for nested objects).
    pub text_field: String,
    /// Documents read.
    pub documents: u64,
    /// Bytes of the documents' texts, as the rest of the report counts them (each ended by a line end).
    pub text_bytes: u64,
    /// Bad records skipped (`--skip-bad-records`).
    pub skipped_bad_records: u64,
}

/// What was trained and tested on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorpusInfo {
    /// A short name (file stem or `default`).
    pub name: String,
    /// Training inputs (with `--holdout`, the whole corpus).
    pub train_inputs: Vec<Input>,
    /// Separate test inputs (`--test`), if any.
    pub test_inputs: Vec<Input>,
    /// `holdout` or `files`.
    pub split: String,
    /// The held-out fraction of lines, with `holdout`.
    pub holdout: Option<f64>,
    /// Lines of the whole corpus, with `holdout`.
    pub lines: Option<u64>,
    /// Lines that went to training, with `holdout`: floor(lines × (1 − holdout)).
    pub train_lines: Option<u64>,
}

/// Statistics of a tokenized text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextStats {
    /// Bytes.
    pub bytes: u64,
    /// Unicode scalar values.
    pub chars: u64,
    /// Sentences (lines; 0 without sentences).
    pub sentences: u64,
    /// Tokens, not counting markers.
    pub tokens: u64,
    /// Vocabulary ids including `<unk>`, `<s>`, `</s>` (training text only).
    pub vocabulary: Option<u64>,
    /// Invalid UTF-8 sequences replaced by U+FFFD (`--lossy`).
    pub replaced_invalid_utf8: u64,
}

/// The exact entropy rate of a generated corpus's source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrueRate {
    /// What the source is.
    pub source: String,
    /// Bits per token, `</s>` counted as a token.
    pub bits_per_token: f64,
    /// Bits per character of text.
    pub bits_per_char: f64,
}

/// Held-out figures of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestScore {
    /// Predicted tokens (words and `</s>`).
    pub tokens: u64,
    /// Sentences.
    pub sentences: u64,
    /// Out-of-vocabulary tokens (scored as `<unk>`).
    pub oov: u64,
    /// oov / tokens.
    pub oov_rate: f64,
    /// Tokens the model gave probability 0.
    pub zero_probability_tokens: u64,
    /// Bits per token; `null` when infinite.
    pub cross_entropy_bits: Option<f64>,
    /// 2^cross_entropy_bits; `null` when infinite.
    pub perplexity: Option<f64>,
    /// Perplexity over in-vocabulary tokens only.
    pub perplexity_excluding_oov: Option<f64>,
    /// Total bits / characters of the test text.
    pub bits_per_char: Option<f64>,
    /// Total bits / bytes of the test text.
    pub bits_per_byte: Option<f64>,
    /// Why figures are `null`, when they are.
    pub infinite: Option<String>,
}

impl TestScore {
    /// Figures from a score of a text with `chars` characters and `bytes` bytes.
    pub fn new(score: &Score, chars: u64, bytes: u64) -> TestScore {
        TestScore {
            tokens: score.tokens,
            sentences: score.sentences,
            oov: score.oov,
            oov_rate: score.oov_rate(),
            zero_probability_tokens: score.zero_prob,
            cross_entropy_bits: score.cross_entropy_bits(),
            perplexity: score.perplexity(),
            perplexity_excluding_oov: score.perplexity_excluding_oov(),
            bits_per_char: score.bits_per(chars),
            bits_per_byte: score.bits_per(bytes),
            infinite: (score.zero_prob > 0).then(|| {
                let excluding = if score.zero_prob == score.zero_prob_oov {
                    "; all of them are OOVs, so the perplexity excluding OOVs is finite"
                } else {
                    ""
                };
                format!(
                    "{} of {} test tokens have probability 0 under this model, so cross-entropy and perplexity are \
                     infinite{excluding}",
                    score.zero_prob, score.tokens
                )
            }),
        }
    }
}

/// One model of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    /// Model order.
    pub order: usize,
    /// Smoothing method, as named on the command line.
    pub smoothing: String,
    /// N-grams per order (order 1: the whole vocabulary).
    pub ngrams: Vec<u64>,
    /// Discounts per order (kn, mkn).
    pub discounts: Vec<Discounts>,
    /// Size of the support |V|.
    pub vocabulary: u64,
    /// Seconds to estimate the model from counts (machine-dependent).
    pub build_seconds: f64,
    /// Held-out figures.
    pub test: TestScore,
    /// add-k:auto: the pseudo-count chosen on a development split of the training text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuned_k: Option<f64>,
    /// add-k:auto: every pseudo-count tried, with its development-set cross-entropy, ascending in k.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tuning: Vec<TuningPoint>,
    /// `--temperatures`: held-out cross-entropy of the model seen through each softmax temperature.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub temperatures: Vec<TemperaturePoint>,
    /// `--temperatures`: the temperature with the lowest held-out cross-entropy (near 1 for a calibrated model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_temperature: Option<f64>,
    /// `--prune`: the model after entropy-based pruning at each threshold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pruning: Vec<PrunePoint>,
}

/// A model pruned at one threshold (Stolcke 1998).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrunePoint {
    /// θ, in nats of relative entropy per n-gram (SRILM's `-prune` convention).
    pub threshold: f64,
    /// N-grams per order after pruning.
    pub ngrams: Vec<u64>,
    /// N-grams removed per order.
    pub removed: Vec<u64>,
    /// Held-out cross-entropy, bits per token.
    pub cross_entropy_bits: Option<f64>,
    /// Held-out perplexity.
    pub perplexity: Option<f64>,
    /// Σ of the removed n-grams' scores: Stolcke's estimate of KL(original ‖ pruned), bits.
    pub predicted_kl_bits: f64,
    /// KL(original ‖ pruned) on the training distribution: E_{h∼training text} KL(p(·|h) ‖ p′(·|h)), each
    /// conditional summed exactly over the vocabulary, bits per token.
    pub training_kl_bits: f64,
    /// KL(original ‖ pruned) under the model's own history weights p(h) (those of the scores), bits.
    pub model_kl_bits: f64,
    /// The rise in cross-entropy on the training text itself, bits per token: how much of what the
    /// training text's own n-grams said was lost (large for Kneser–Ney models, whose discounted
    /// probabilities understate seen n-grams — Chelba et al. 2010).
    pub training_cross_entropy_increase_bits: Option<f64>,
}

/// One point of add-k's pseudo-count search (computed by `shannon_eval::tune`).
pub use shannon_eval::tune::TuningPoint;

/// Held-out cross-entropy at one softmax temperature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemperaturePoint {
    /// τ.
    pub tau: f64,
    /// Bits per token; `null` when infinite.
    pub cross_entropy_bits: Option<f64>,
    /// 2^cross_entropy_bits.
    pub perplexity: Option<f64>,
}

/// The lowest-perplexity model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Best {
    /// Its order.
    pub order: usize,
    /// Its smoothing.
    pub smoothing: String,
    /// Its perplexity.
    pub perplexity: f64,
    /// Its cross-entropy in bits per token.
    pub cross_entropy_bits: f64,
}

/// Machine-dependent facts: seconds per stage and threads.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Timings {
    /// Worker threads.
    pub threads: usize,
    /// Reading and tokenizing.
    pub tokenize_seconds: f64,
    /// Counting n-grams.
    pub count_seconds: f64,
    /// Estimating and scoring all models.
    pub models_seconds: f64,
    /// Everything.
    pub total_seconds: f64,
    /// With a memory budget (`--memory`): the budget, and that the counts were kept on disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryUse>,
}

/// How `compare` kept within a memory budget: the training counts on disk, each model estimated from there
/// keeping only the n-grams that scoring the test text asks for. The models' figures are the same as
/// without a budget; this says what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryUse {
    /// The budget for sorting n-grams while counting, in bytes.
    pub budget_bytes: u64,
    /// Where it came from: `--memory`, or the default and how it was chosen.
    pub budget: String,
    /// Where the training counts were kept: `disk`.
    pub counts: String,
    /// Per order, the test text's n-grams that the training counts hold: what every model kept of itself.
    pub kept_ngrams: Vec<u64>,
    /// Sorted runs written to disk because the budget was full while counting: 0 when every order was
    /// sorted within it.
    #[serde(default)]
    pub spilled_runs: u64,
    /// The most bytes of temporary files (the stored counts, and spilled runs) held at once.
    #[serde(default)]
    pub temp_disk_peak_bytes: u64,
    /// Where the training text's token stream and counting's per-position ids were kept while counting:
    /// `memory`, or `disk` (files read a section of positions at a time) where they would have taken more
    /// than a quarter of the budget. Reports before it was recorded held them in memory.
    #[serde(default = "in_memory")]
    pub positions: String,
}

fn in_memory() -> String {
    "memory".into()
}

/// A `shannon compare` report. See the crate doc for the wire format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareReport {
    /// Always [`COMPARE_SCHEMA`].
    pub schema: String,
    /// Who wrote it.
    pub tool: Tool,
    /// What was measured.
    pub corpus: CorpusInfo,
    /// How text became tokens.
    pub tokenizer: Tokenizer,
    /// Training text.
    pub train: TextStats,
    /// Test text.
    pub test: TextStats,
    /// Exact entropy rate of a generated corpus.
    pub true_entropy_rate: Option<TrueRate>,
    /// One entry per (order, smoothing).
    pub models: Vec<ModelEntry>,
    /// The lowest-perplexity model.
    pub best: Option<Best>,
    /// Things a reader must know.
    pub warnings: Vec<String>,
    /// Machine-dependent figures.
    pub timings: Timings,
}

impl CompareReport {
    /// Picks the model with the lowest finite perplexity (the first on ties).
    pub fn choose_best(models: &[ModelEntry]) -> Option<Best> {
        models
            .iter()
            .filter_map(|m| Some((m, m.test.perplexity?, m.test.cross_entropy_bits?)))
            .fold(None, |best: Option<(&ModelEntry, f64, f64)>, cur| match best {
                Some(b) if b.1 <= cur.1 => Some(b),
                _ => Some(cur),
            })
            .map(|(m, perplexity, cross_entropy_bits)| Best {
                order: m.order,
                smoothing: m.smoothing.clone(),
                perplexity,
                cross_entropy_bits,
            })
    }
}

/// The model a score report used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Path of the ARPA file.
    pub path: String,
    /// Its order.
    pub order: usize,
    /// N-grams per order.
    pub ngrams: Vec<u64>,
    /// The file's format, named as `--format` names it: `arpa`, `binary`, or `binary-f32` (values rounded
    /// to f32). Absent in reports written before it was recorded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub format: String,
}

/// A `shannon score` report: one model's figures on some text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreReport {
    /// Always [`SCORE_SCHEMA`].
    pub schema: String,
    /// Who wrote it.
    pub tool: Tool,
    /// The model.
    pub model: ModelFile,
    /// Softmax temperature the model was scored through (1: the model itself).
    #[serde(default = "one")]
    pub temperature: f64,
    /// The scored text.
    pub inputs: Vec<Input>,
    /// How text became tokens.
    pub tokenizer: Tokenizer,
    /// Statistics of the scored text.
    pub test: TextStats,
    /// The figures.
    pub score: TestScore,
    /// When the text was scored document by document (`--per-document`, `--percentiles`): how many, and
    /// the perplexity thresholds at the percentiles asked for. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<DocumentScores>,
}

/// What scoring document by document adds to a score report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentScores {
    /// Documents scored.
    pub documents: u64,
    /// Of those, documents without a token to predict (no perplexity), left out of the percentiles.
    pub empty: u64,
    /// Of those, documents with a token of probability 0 (infinite perplexity), ranked above every finite one.
    pub infinite: u64,
    /// Bad records skipped (`--skip-bad-records`).
    pub skipped_bad_records: u64,
    /// The per-document perplexity at each percentile asked for, in the order asked.
    pub percentiles: Vec<Percentile>,
}

/// A percentile of per-document perplexities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Percentile {
    /// The percentile, 0 to 100.
    pub percentile: f64,
    /// The perplexity there: linear interpolation between the two nearest ranks of the sorted
    /// perplexities (numpy's default); `null` when it falls on or next to an infinite one.
    pub perplexity: Option<f64>,
}

fn one() -> f64 {
    1.0
}

/// The directory a file at `path` lives in (`.` for a bare file name).
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// A hidden temporary file (`.shannon-*.tmp`) in the directory of `path`, to be renamed over it when complete
/// (`persist`). It is deleted if dropped first.
pub fn temp_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = directory_of(path);
    let mut builder = tempfile::Builder::new();
    builder.prefix(".shannon-").suffix(".tmp");
    // Temporary files are private (0600); a report is an ordinary file: 0666 less the umask, as `>` makes.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder.tempfile_in(dir)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed, then renamed over
/// the destination. A reader sees the old file or the new one, never part of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let err = |source| Error::Write { path: path.to_path_buf(), source };
    let mut tmp = temp_beside(path).map_err(err)?;
    // Through the file itself: the temporary file's own writer adds its hidden name to every error.
    tmp.as_file_mut().write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    // Make the rename itself durable (best effort: not every system can sync a directory).
    if let Ok(d) = std::fs::File::open(directory_of(path)) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Serializes a report as pretty JSON with a trailing newline.
pub fn to_json<T: Serialize>(report: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(report).expect("reports serialize");
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let missing = dir.path().join("no/such/dir/r.json");
        let e = write_atomic(&missing, b"x").unwrap_err().to_string();
        assert!(e.starts_with(&format!("cannot write {}", missing.display())), "{e}");
    }
}
