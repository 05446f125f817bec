//! The `shannon.entropy/1` report: Shannon-style estimates of the entropy of a text.
//!
//! # Wire format: `shannon.entropy/1`
//!
//! An [`EntropyReport`] serializes as one JSON object with, in this order:
//! - `schema`: `"shannon.entropy/1"`; `tool`: name and version;
//! - `corpus`: `name`, `inputs` (`path`, `bytes`, `sha256`), and the split the guessing game used
//!   (`holdout`, `lines`, `train_lines`);
//! - `tokenizer`: `kind`, `lowercase`, `sentences` (`none`: the whole text is one stream), `skip_symbols: true`
//!   when set;
//! - `text`: statistics of the whole text (`bytes`, `chars`, `sentences`, `tokens`, `vocabulary`,
//!   `replaced_invalid_utf8`); `true_entropy_rate` for generated text with an exact rate (absent otherwise);
//! - `alphabet`: `size` |A| and how it was chosen (`rule`);
//! - `settings`: `max_order`, `jackknife_groups`, `min_coverage`, `nsb_jackknife`, `guess_order`,
//!   `guess_limit`, `holdout`;
//! - `methods`: one sentence per method — the estimators (with Grassberger's ψ(N)), NSB's alphabet, the
//!   standard errors and the support rule with its threshold;
//! - `orders`: one entry per block length n = 0..=N: `n`, `blocks` (sample size), `distinct`,
//!   `singletons`, `doubletons`, `coverage` (1 − f₁/N), `supported`, `H` and `F` (objects keyed by
//!   estimator: `plugin`, `miller_madow`, `chao_shen`, `grassberger`, `nsb`, `jackknife`; bits per block and
//!   bits per symbol), `H_se` and `F_se` (block-jackknife standard errors, same keys), `nsb` (`alphabet` K
//!   and `posterior_std_bits`), `shannon_1951` (his published F_n for this alphabet, where he gave one) and,
//!   for word units, `F_per_letter` (`without_space`, `with_space`). Entry n = 0 is the empty block:
//!   H_0 = 0 and F_0 = log₂ |A|;
//! - `bits_per_letter`: for word units, the mean word length used to convert (`null` otherwise);
//! - `zipf`: `shannon_model_bits_per_word` (9.135), the whole recomputed `shannon_model`,
//!   `published_bits_per_word` (11.82) and `why_not_published`, then the corpus's words (`words` says what
//!   a word is, `tokens`, `types`, `mean_word_length`, `rank_frequency` as `[rank, count]` pairs thinned
//!   to about 50 per decade past rank 100), the maximum-likelihood Zipf–Mandelbrot `fit` with
//!   the entropy of the fitted law, and `empirical`: the word entropy by every estimator;
//! - `guessing`: one entry per predictor order n: `n`, `symbols` guessed, `upper`, `lower`,
//!   `cross_entropy_bits` (on `cross_entropy_symbols` held-out symbols), `rank_counts`, and Shannon's
//!   `shannon_upper` / `shannon_lower` for the same n where his Table has it;
//! - `shannon_1951`: his published tables (N-gram entropies for 26 and 27 letters, guessing bounds
//!   N = 1..15 and 100), for comparison;
//! - `extrapolation`: the ansatz and, per estimator, a fit of F_n over the supported n ≥ 1; and fits of the
//!   held-out cross-entropy curve;
//! - `warnings`; `timings` (machine-dependent; everything else is identical for any thread count).
//!
//! Units: `H` in bits per n-block, `F`, `upper`, `lower`, `cross_entropy_bits` in bits per symbol (token),
//! `zipf` in bits per word, `F_per_letter` in bits per letter.

use serde::{Deserialize, Serialize};
use shannon_eval::entropy::ByEstimator;
use shannon_info::zipf::{ShannonZipf, ZipfMandelbrotFit};
use shannon_tokens::Tokenizer;

pub use shannon_eval::extrapolation::{CrossEntropyFits, Extrapolation, FitEntry};
pub use shannon_eval::words::Alphabet;

use crate::{Input, MemoryUse, TextStats, Tool, TrueRate};

/// The schema tag of entropy reports.
pub const ENTROPY_SCHEMA: &str = "shannon.entropy/1";

/// What was measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntropyCorpus {
    /// A short name (file stem).
    pub name: String,
    /// The files.
    pub inputs: Vec<Input>,
    /// Fraction of lines held out for the guessing game (the last ones).
    pub holdout: f64,
    /// Lines in the corpus.
    pub lines: u64,
    /// Lines the guessing game's predictor was trained on: floor(lines × (1 − holdout)).
    pub train_lines: u64,
}

/// The settings a run used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntropySettings {
    /// Longest block length N.
    pub max_order: usize,
    /// Groups of the block jackknife.
    pub jackknife_groups: usize,
    /// Coverage below which an order is unsupported.
    pub min_coverage: f64,
    /// Whether NSB's standard error is a block jackknife too (else only its posterior deviation).
    pub nsb_jackknife: bool,
    /// Highest predictor order of the guessing game (0: not played).
    pub guess_order: usize,
    /// Held-out symbols guessed at most (0: all).
    pub guess_limit: u64,
    /// Held-out fraction of lines for the guessing game.
    pub holdout: f64,
    /// Highest order of the guessing game played by the ∞-gram predictor of a suffix-array index and by its
    /// interpolation with mkn (`--guess-max-order`); absent when not played.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guess_max_order: Option<usize>,
    /// How block counts were made when not by sorting packed keys (`--block-counts`): `hash` or
    /// `suffix-array`; absent for the default. The counts, so the estimates, are the same any way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_counts: Option<String>,
}

/// One sentence per method, so a report explains itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Methods {
    /// The estimators.
    pub estimators: String,
    /// How NSB's alphabet size K was set.
    pub nsb: String,
    /// How standard errors were computed.
    pub standard_errors: String,
    /// When an order is flagged unsupported, and why.
    pub unsupported: String,
    /// The guessing game.
    pub guessing: String,
}

/// NSB's settings and posterior spread at one order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NsbInfo {
    /// Alphabet size K = min(|A|^n, 1e30).
    pub alphabet: f64,
    /// Posterior standard deviation of H_n, bits.
    pub posterior_std_bits: Option<f64>,
}

/// F_n converted to bits per letter (word units).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PerLetter {
    /// F_n / mean word length.
    pub without_space: ByEstimator,
    /// F_n / (mean word length + 1): one space per word.
    pub with_space: ByEstimator,
}

/// One block length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderEntry {
    /// Block length n.
    pub n: usize,
    /// n-blocks in the text (the sample size).
    pub blocks: u64,
    /// Distinct n-blocks.
    pub distinct: u64,
    /// n-blocks seen once.
    pub singletons: u64,
    /// n-blocks seen twice.
    pub doubletons: u64,
    /// 1 − singletons / blocks.
    pub coverage: f64,
    /// Whether coverage reaches the threshold.
    pub supported: bool,
    /// H_n by estimator, bits per block.
    #[serde(rename = "H")]
    pub h: ByEstimator,
    /// Standard error of H_n.
    #[serde(rename = "H_se")]
    pub h_se: ByEstimator,
    /// F_n by estimator, bits per symbol.
    #[serde(rename = "F")]
    pub f: ByEstimator,
    /// Standard error of F_n.
    #[serde(rename = "F_se")]
    pub f_se: ByEstimator,
    /// NSB details (`null` at n = 0).
    pub nsb: Option<NsbInfo>,
    /// Shannon's published F_n for this alphabet (letters: n ≤ 3; letters26 likewise).
    pub shannon_1951: Option<f64>,
    /// For word units: F_n in bits per letter.
    #[serde(rename = "F_per_letter", skip_serializing_if = "Option::is_none", default)]
    pub f_per_letter: Option<PerLetter>,
}

/// How word entropies became bits per letter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BitsPerLetter {
    /// Mean length of a word token in characters (Σ count × length / Σ count).
    pub mean_word_length: f64,
    /// Shannon's divisors for comparison: 4.5 (without space) and 5.5 (with).
    pub shannon_word_length: [f64; 2],
}

/// Shannon's Zipf-law word entropy and the corpus's word distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZipfSection {
    /// −Σ_{n ≤ 8727} (0.1/n) log₂(0.1/n): what Shannon's stated model gives.
    pub shannon_model_bits_per_word: f64,
    /// The model recomputed: mass, renormalized and cut-at-unit-mass variants.
    pub shannon_model: ShannonZipf,
    /// The figure Shannon printed, 11.82.
    pub published_bits_per_word: f64,
    /// Why 11.82 does not follow from the model.
    pub why_not_published: String,
    /// What a word is here.
    pub words: String,
    /// Word tokens.
    pub tokens: u64,
    /// Distinct words.
    pub types: u64,
    /// Mean word length in characters.
    pub mean_word_length: f64,
    /// `[rank, count]` of the words by frequency: every rank up to 100, then about 50 ranks per decade,
    /// and the last rank.
    #[serde(default)]
    pub rank_frequency: Vec<(u64, u64)>,
    /// Maximum-likelihood Zipf–Mandelbrot fit p(r) ∝ (r + q)^(−s) over the observed ranks.
    pub fit: Option<ZipfMandelbrotFit>,
    /// Why there is no fit, if there is none.
    pub fit_error: Option<String>,
    /// Entropy of the empirical word distribution by every estimator, bits per word.
    pub empirical: ByEstimator,
    /// Its coverage 1 − f₁/N.
    pub empirical_coverage: f64,
}

/// One predictor order of the guessing game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuessEntry {
    /// Predictor order n (it sees the n − 1 symbols before).
    pub n: usize,
    /// Held-out symbols guessed.
    pub symbols: u64,
    /// −Σ q_i log₂ q_i.
    pub upper: f64,
    /// Σ i (q_i − q_(i+1)) log₂ i.
    pub lower: f64,
    /// The predictor's held-out cross-entropy, bits per symbol (`null` if infinite).
    pub cross_entropy_bits: Option<f64>,
    /// Held-out symbols the cross-entropy is over.
    pub cross_entropy_symbols: u64,
    /// Times the true symbol was guess i = 1..=|A|, then symbols outside the alphabet.
    pub rank_counts: Vec<u64>,
    /// Shannon's upper bound for this n (his Table I), if he gave one.
    pub shannon_upper: Option<f64>,
    /// Shannon's lower bound for this n.
    pub shannon_lower: Option<f64>,
    /// The predictor when it is not the order-n mkn model: `infinigram` (p(w | the longest suffix of the
    /// n − 1 symbols that occurs in the training text), Liu et al. 2024) or `infinigram+mkn` (its
    /// Witten–Bell interpolation with mkn); absent for mkn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictor: Option<String>,
    /// For the ∞-gram predictors: the mean length of the context suffix used, symbols.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_context: Option<f64>,
}

/// One column of Shannon's guessing table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PublishedBounds {
    /// N.
    pub n: usize,
    /// Upper bound, bits per letter.
    pub upper: f64,
    /// Lower bound.
    pub lower: f64,
}

/// Shannon's published figures (1951).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shannon1951 {
    /// Citation.
    pub source: String,
    /// F_0, F_1, F_2, F_3, F_word for 26 letters.
    pub f_26_letters: [f64; 5],
    /// The same for 27 letters.
    pub f_27_letters: [f64; 5],
    /// Table I bounds, N = 1..15 and 100.
    pub guessing: Vec<PublishedBounds>,
}

/// Machine-dependent figures.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EntropyTimings {
    /// Worker threads.
    pub threads: usize,
    /// Reading and tokenizing.
    pub tokenize_seconds: f64,
    /// Block entropies with all estimators and standard errors.
    pub blocks_seconds: f64,
    /// Words and the Zipf fit.
    pub zipf_seconds: f64,
    /// Counting, estimating and playing the guessing game.
    pub guessing_seconds: f64,
    /// Everything.
    pub total_seconds: f64,
    /// How the guessing game kept within the memory budget: its training counts on disk, each predictor
    /// estimated from there keeping only the n-grams the game and the held-out text ask for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryUse>,
}

/// A `shannon entropy` report. See the module doc for the wire format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntropyReport {
    /// Always [`ENTROPY_SCHEMA`].
    pub schema: String,
    /// Who wrote it.
    pub tool: Tool,
    /// The text.
    pub corpus: EntropyCorpus,
    /// How text became symbols.
    pub tokenizer: Tokenizer,
    /// Statistics of the whole text.
    pub text: TextStats,
    /// For text written by `shannon generate` from a source with an exact rate (recorded beside the text
    /// in `<file>.source.json`): that rate, per symbol (`bits_per_token`) and per character. Absent
    /// otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub true_entropy_rate: Option<TrueRate>,
    /// |A|.
    pub alphabet: Alphabet,
    /// Settings.
    pub settings: EntropySettings,
    /// What each method is.
    pub methods: Methods,
    /// n = 0..=N.
    pub orders: Vec<OrderEntry>,
    /// Word units: the conversion to bits per letter.
    pub bits_per_letter: Option<BitsPerLetter>,
    /// Zipf.
    pub zipf: ZipfSection,
    /// The guessing game, n = 1..=guess order.
    pub guessing: Vec<GuessEntry>,
    /// Shannon's published tables.
    pub shannon_1951: Shannon1951,
    /// Extrapolation to n → ∞.
    pub extrapolation: Extrapolation,
    /// Things a reader must know.
    pub warnings: Vec<String>,
    /// Machine-dependent figures.
    pub timings: EntropyTimings,
}
