//! # Wire format: `shannon.batch/1`
//!
//! A batch run's `summary.json`: `schema`, `plan` (its name), `version` (of the tool), `jobs` — every job
//! of the plan in plan order with its `id` (`<corpus>/<kind>-<tokens>`), `corpus`, `kind`, `tokens`,
//! `status` (`done`, `skipped` or `failed`), `error`, `report` (relative to the reports directory) and
//! `seconds` — then `corpora`: one line per corpus comparing them (the best compare model by held-out bits
//! per character, letter-level F_n by plug-in and NSB, the extrapolated entropy rate), and `failed`.

use serde::{Deserialize, Serialize};

/// The schema tag of batch summaries.
pub const BATCH_SCHEMA: &str = "shannon.batch/1";

/// One job's line in the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSummary {
    /// `<corpus>/<kind>-<tokens>`.
    pub id: String,
    /// Corpus name.
    pub corpus: String,
    /// `compare` or `entropy`.
    pub kind: String,
    /// Tokenizer.
    pub tokens: String,
    /// `done` (ran now), `skipped` (unchanged since a finished run) or `failed`.
    pub status: String,
    /// The error of a failed job.
    pub error: Option<String>,
    /// The report, relative to the reports directory.
    pub report: String,
    /// Seconds this run spent on it.
    pub seconds: f64,
}

/// One corpus's line of the comparison table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CorpusSummary {
    /// Corpus name.
    pub corpus: String,
    /// The compare model with the lowest held-out bits per character (comparable across tokenizers).
    pub best: Option<BestModel>,
    /// Letter-level (`letters`) F_n, n = 1.., plug-in.
    pub letters_f_plugin: Vec<f64>,
    /// Letter-level F_n by the NSB estimator.
    pub letters_f_nsb: Vec<f64>,
    /// The entropy-rate extrapolation h (bits per letter) and how it was fitted.
    pub entropy_rate: Option<f64>,
    /// Which curve the entropy rate was extrapolated from.
    pub entropy_rate_from: Option<String>,
}

/// The best model of a corpus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestModel {
    /// Tokenizer.
    pub tokens: String,
    /// Order.
    pub order: usize,
    /// Smoothing.
    pub smoothing: String,
    /// Held-out perplexity (per token of that tokenizer).
    pub perplexity: f64,
    /// Held-out bits per character.
    pub bits_per_char: f64,
}

/// `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSummary {
    /// Always [`BATCH_SCHEMA`].
    pub schema: String,
    /// Plan name.
    pub plan: String,
    /// Tool version.
    pub version: String,
    /// Every job, in plan order.
    pub jobs: Vec<JobSummary>,
    /// One line per corpus.
    pub corpora: Vec<CorpusSummary>,
    /// Jobs that failed.
    pub failed: usize,
}
