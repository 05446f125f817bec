//! # Wire format: `shannon.filter/1`
//!
//! What `shannon filter` kept: the model and its tokenizer, the inputs, the rule (`max_perplexity`, or `keep`
//! with `percentiles` and the perplexity `thresholds` found there), the output, and the documents read, kept
//! and dropped — by why: perplexity outside the rule, no token to predict (no perplexity), or a bad record
//! skipped.

use serde::{Deserialize, Serialize};
use shannon_tokens::Tokenizer;

use crate::{Input, ModelFile, Percentile, Tool};

/// The schema tag of filter reports.
pub const FILTER_SCHEMA: &str = "shannon.filter/1";

/// What was kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterReport {
    /// Always [`FILTER_SCHEMA`].
    pub schema: String,
    /// Who wrote it.
    pub tool: Tool,
    /// The model documents were scored with.
    pub model: ModelFile,
    /// The documents read.
    pub inputs: Vec<Input>,
    /// How text became tokens.
    pub tokenizer: Tokenizer,
    /// `jsonl` or `text` (one document per line): the format read and written.
    pub format: String,
    /// The rule.
    pub rule: Rule,
    /// Where the kept documents went.
    pub output: String,
    /// Counts.
    pub documents: FilterCounts,
}

/// Which documents are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Keep documents with perplexity at most this (`--max-perplexity`).
    pub max_perplexity: Option<f64>,
    /// `head` (perplexity ≤ the first threshold), `middle` (above the first, at most the second) or `tail`
    /// (above the last threshold) of the per-document perplexity distribution (`--keep`).
    pub keep: Option<String>,
    /// The percentiles the thresholds are taken at.
    pub percentiles: Vec<f64>,
    /// The per-document perplexity at each percentile (`null`: infinite).
    pub thresholds: Vec<Percentile>,
}

/// Documents read, kept and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FilterCounts {
    /// Documents read (bad records skipped not included).
    pub read: u64,
    /// Written to the output.
    pub kept: u64,
    /// Dropped for their perplexity (infinite ones included).
    pub dropped_perplexity: u64,
    /// Dropped for having no token to predict.
    pub dropped_empty: u64,
    /// Bad records skipped (`--skip-bad-records`), not written.
    pub skipped_bad_records: u64,
}
