//! `shannon entropy`: Shannon's (1951) estimates of the entropy of a text, and how far the text supports
//! them — block entropies H_N and F_N with every estimator and standard errors, his Zipf-law word entropy
//! recomputed, a Zipf–Mandelbrot fit, the guessing game played by an order-N modified Kneser–Ney model,
//! and an extrapolation to N → ∞ — as a `shannon.entropy/1` report.
//!
//! The statistics are computed where their data live (`shannon_eval::entropy`, `words`, `guessing`,
//! `extrapolation`; `shannon_info::zipf`); this job joins them and says in the report how each was made.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use shannon_corpus::{Corpus, Span};
use shannon_counts::paged::Paged;
use shannon_counts::DiskUse;
use shannon_eval::entropy::{self as blocks, BlockCounter, BlockOptions, ByEstimator};
use shannon_eval::extrapolation::{extrapolate, OrderPoint};
use shannon_eval::guessing;
use shannon_eval::words::{
    alphabet, letter_like, letter_words, letter_words_releasing, rank_frequency, unigram_counts_releasing, Alphabet,
};
use shannon_info::estimate::CountProfile;
use shannon_info::zipf;
use shannon_model::filtered;
use shannon_model::{Model, Smoothing};
use shannon_report::entropy::{
    BitsPerLetter, EntropyCorpus, EntropyReport, EntropySettings, EntropyTimings, GuessEntry, Methods, NsbInfo,
    OrderEntry, PerLetter, PublishedBounds, Shannon1951, ZipfSection, ENTROPY_SCHEMA,
};
use shannon_report::{MemoryUse, TextStats, TrueRate};
use shannon_tokens::stream::{self, Stream};
use shannon_tokens::{Sentences, TokenKind, Tokenizer, Vocab, BOS, UNK};

use crate::memory::{CountMemory, OnDisk, Train};
use crate::progress::{stage, Progress, Unit};
use crate::text::{check_holdout, check_order, corpus_name, describe, inputs, open, stem, text_parts, DEFAULT_HOLDOUT};
use crate::{ConfigError, DocumentOptions, Error, Result, TextConfig};

/// Shannon's divisors from bits per word to bits per letter: 4.5 letters per word, 5.5 with the space.
const SHANNON_WORD_LENGTH: [f64; 2] = [4.5, 5.5];

/// Held-out symbols the guessing game guesses at most when no limit is given.
pub const DEFAULT_GUESS_LIMIT: u64 = 50_000;
/// Most tokens of histories and candidates the guessing game asks counts on disk for (guessed positions ×
/// vocabulary × order; 256 MB of ids): Shannon's 27 letters to order 10 ask for 15 M at the default limit.
/// Past it (all of a long held-out part guessed, or words for symbols), whole models in memory answer.
const ASKED_LIMIT: u64 = 1 << 26;
/// The highest `--guess-max-order`: each guessed symbol costs O(N · |A|) for N orders.
pub const MAX_GUESS_MAX_ORDER: usize = 10_000;
/// Highest mkn order interpolated with the ∞-gram when the mkn game is not played (`guess_order` 0).
pub const DEFAULT_MIX_ORDER: usize = 10;
/// The most block-jackknife groups (each group is deleted in turn: cost grows with the count).
pub const MAX_GROUPS: usize = 10_000;

/// An `entropy` configuration: [`EntropyConfig::new`] gives the defaults, [`EntropyConfig::validate`]
/// checks every setting, and [`run`] runs only a valid one.
#[derive(Debug, Clone, PartialEq)]
pub struct EntropyConfig {
    /// Corpus files and directories.
    pub corpus: Vec<PathBuf>,
    /// Tokenizer and UTF-8 policy.
    pub text: TextConfig,
    /// Longest block length N.
    pub max_order: usize,
    /// Block-jackknife groups.
    pub groups: usize,
    /// Coverage below which an order is unsupported.
    pub min_coverage: f64,
    /// NSB on every jackknife sample too.
    pub nsb_jackknife: bool,
    /// Highest predictor order of the guessing game (0: skip).
    pub guess_order: usize,
    /// How block counts are made: sorting packed keys (the default), hashing, or a suffix array; the
    /// estimates are the same.
    pub block_counter: BlockCounter,
    /// Highest order of the guessing game played by the ∞-gram predictor of a suffix-array index of the
    /// training part, and by its interpolation with mkn (0: not played).
    pub guess_max_order: usize,
    /// Held-out symbols guessed at most (0: all).
    pub guess_limit: u64,
    /// Held-out fraction of lines for the guessing game.
    pub holdout: f64,
    /// Report name (default: the corpus's file name).
    pub name: Option<String>,
    /// Worker threads (for the timings block).
    pub threads: usize,
    /// The exact rate of the source that generated the text, shown beside the estimates (see
    /// [`true_rate_beside`]).
    pub true_rate: Option<TrueRate>,
    /// How files of documents (JSON Lines) are read: format, text and id fields, bad records.
    pub documents: DocumentOptions,
    /// The memory budget (`--memory`; default: a share of the memory available) and where the guessing
    /// game's counts go (`--temp-dir`). The block counts sort their keys within it too.
    pub memory: CountMemory,
}

/// The exact rate recorded beside a generated text (`<file>.source.json`, written by `shannon generate
/// --output file`), when the corpus is that one file and the record is there and readable.
pub fn true_rate_beside(paths: &[PathBuf]) -> Option<TrueRate> {
    let [path] = paths else { return None };
    let record: crate::generate::SourceRecord = crate::text::read_report(&crate::generate::record_path(path))?;
    (record.schema == crate::generate::SOURCE_SCHEMA).then(|| TrueRate {
        source: format!("{} (recorded in {})", record.source, crate::generate::record_path(path).display()),
        bits_per_token: record.bits_per_unit,
        bits_per_char: record.bits_per_byte,
    })
}

impl EntropyConfig {
    /// The defaults for `corpus` read as `text`: block lengths and guessing orders by
    /// [`default_max_order`] and [`default_guess_order`], `shannon_eval`'s jackknife groups and coverage
    /// threshold, NSB on every jackknife sample, [`DEFAULT_GUESS_LIMIT`] guessed symbols, the default holdout.
    pub fn new(corpus: Vec<PathBuf>, text: TextConfig) -> EntropyConfig {
        let max_order = default_max_order(text.tokenizer.kind);
        EntropyConfig {
            corpus,
            text,
            max_order,
            groups: blocks::DEFAULT_GROUPS,
            min_coverage: blocks::DEFAULT_MIN_COVERAGE,
            nsb_jackknife: true,
            guess_order: default_guess_order(text.tokenizer.kind, max_order),
            guess_max_order: 0,
            block_counter: BlockCounter::Sort,
            guess_limit: DEFAULT_GUESS_LIMIT,
            holdout: DEFAULT_HOLDOUT,
            name: None,
            threads: rayon::current_num_threads(),
            true_rate: None,
            documents: DocumentOptions::default(),
            memory: CountMemory::default(),
        }
    }

    /// Sets the longest block length and, unless `guess_order` is given, the guessing order that goes
    /// with it.
    pub fn with_orders(mut self, max_order: Option<usize>, guess_order: Option<usize>) -> EntropyConfig {
        if let Some(n) = max_order {
            self.max_order = n;
        }
        self.guess_order = guess_order.unwrap_or_else(|| default_guess_order(self.text.tokenizer.kind, self.max_order));
        self
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_order("max_order", self.max_order)?;
        if !(2..=MAX_GROUPS).contains(&self.groups) {
            return Err(ConfigError::new(
                "groups",
                format!(
                    "must be an integer from 2 to {MAX_GROUPS} (the jackknife deletes each in turn), got {}",
                    self.groups
                ),
            ));
        }
        if !(0.0..=1.0).contains(&self.min_coverage) {
            return Err(ConfigError::new(
                "min_coverage",
                format!("must be a number from 0 to 1 (coverage is a probability), got {}", self.min_coverage),
            ));
        }
        let max = shannon_counts::MAX_ORDER;
        if self.guess_order > max {
            return Err(ConfigError::new(
                "guess_order",
                format!("must be an integer from 0 (skip the game) to {max}, got {}", self.guess_order),
            ));
        }
        if self.guess_max_order > MAX_GUESS_MAX_ORDER {
            return Err(ConfigError::new(
                "guess_max_order",
                format!(
                    "must be an integer from 0 (not played) to {MAX_GUESS_MAX_ORDER}, got {}",
                    self.guess_max_order
                ),
            ));
        }
        check_holdout(self.holdout)
    }

    /// The report's default file stem: `entropy-<name>`, followed by every setting that differs from the
    /// defaults, so that runs with other settings do not overwrite each other's reports.
    pub fn report_stem(&self) -> String {
        let kind = self.text.tokenizer.kind;
        let mut parts = text_parts(&self.text, TokenKind::Letters, Sentences::None);
        if self.max_order != default_max_order(kind) {
            parts.push(format!("n{}", self.max_order));
        }
        if self.guess_order != default_guess_order(kind, self.max_order) {
            parts.push(format!("guess{}", self.guess_order));
        }
        if self.guess_max_order != 0 {
            parts.push(format!("inf{}", self.guess_max_order));
        }
        if self.guess_limit != DEFAULT_GUESS_LIMIT {
            parts.push(format!("limit{}", self.guess_limit));
        }
        if self.groups != blocks::DEFAULT_GROUPS {
            parts.push(format!("groups{}", self.groups));
        }
        if self.min_coverage != blocks::DEFAULT_MIN_COVERAGE {
            parts.push(format!("coverage{}", self.min_coverage));
        }
        if !self.nsb_jackknife {
            parts.push("no-nsb-jackknife".into());
        }
        if self.holdout != DEFAULT_HOLDOUT {
            parts.push(format!("h{}", self.holdout));
        }
        stem("entropy", &self.name(), &parts)
    }

    /// The report's name: as given, or the corpus's file name.
    pub fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| corpus_name(&self.corpus))
    }
}

/// The settings an entropy report was made with, in one line: what a report replaced by another run is
/// compared by.
pub fn settings(r: &EntropyReport) -> String {
    let (t, s) = (&r.tokenizer, &r.settings);
    format!(
        "tokens {}{}{}, blocks to {}, guessing to {} ({} symbols), {} jackknife groups, coverage {}{}, holdout {}",
        t.kind.name(),
        if t.lowercase { " lowercased" } else { "" },
        if t.sentences == Sentences::Lines { " within lines" } else { "" },
        s.max_order,
        s.guess_order,
        s.guess_limit,
        s.jackknife_groups,
        s.min_coverage,
        if s.nsb_jackknife { "" } else { ", no NSB jackknife" },
        s.holdout
    )
}

/// Default longest block length: 10 for letter-like units, 4 for words.
pub fn default_max_order(kind: TokenKind) -> usize {
    if letter_like(kind) {
        10
    } else {
        4
    }
}

/// Default guessing-game order: the block length for letter-like units; 0 (skipped) for words, whose
/// alphabet (the vocabulary) would cost |V| model queries per guessed word.
pub fn default_guess_order(kind: TokenKind, max_order: usize) -> usize {
    if letter_like(kind) {
        max_order
    } else {
        0
    }
}

fn why_not_published(m: &zipf::ShannonZipf) -> String {
    format!(
        "Shannon's stated model p_n = 0.1/n for ranks n ≤ {} does not give his printed {:.2} bits/word: its mass is \
         Σ 0.1/n = {:.4} (not 1) and −Σ p_n log2 p_n = {:.3} bits/word; renormalized over the same ranks it is {:.3}, \
         and cut where the mass reaches 1 (rank {}) it is {:.3}. No reading of the model comes near {:.2}, so the \
         printed figure (and the 2.62 bits/letter derived from it) does not follow from the model as stated.",
        m.critical_rank,
        m.published_bits_per_word,
        m.mass,
        m.bits_per_word,
        m.renormalized_bits_per_word,
        m.unit_mass_rank,
        m.unit_mass_bits_per_word,
        m.published_bits_per_word
    )
}

fn methods(config: &EntropyConfig, alphabet: &Alphabet) -> Methods {
    let mut guessing: String =
        "Shannon's guessing game (1951 §5, eq. 17) with an order-n interpolated modified Kneser–Ney model \
                   trained on the first lines as the predictor: for each held-out symbol, the rank of the true \
                   symbol in the model's ordering of the alphabet (ties by id); from the rank frequencies q_i, \
                   upper = −Σ q_i log2 q_i, lower = Σ i (q_i − q_(i+1)) log2 i. cross_entropy_bits is the model's \
                   held-out cross-entropy, an upper bound on the entropy rate (Brown et al. 1992)."
            .into();
    if config.guess_max_order > 0 {
        guessing.push_str(&format!(
            " Entries with predictor infinigram (n = 1..={}): the ∞-gram of a suffix-array index of the training part \
             (Liu et al. 2024): p(w) = c(h' w) / c(h' •) for h' the longest suffix of the n − 1 symbols before (not \
             reaching before <s>) that occurs in the training text followed by a symbol; symbols never seen after h' \
             rank after the seen ones by id, and its cross-entropy is null (infinite) when a guessed symbol never \
             followed its h'. mean_context is the mean length of h'. Entries with predictor infinigram+mkn: \
             mkn of order k = min(n, {}) extended by the index's longer contexts — each suffix h_L of length L = k … \
             min(n − 1, |h'|) interpolated in, shortest first, as mkn's highest order is: q_L = (c(h_L w) − D) / \
             c(h_L •) + γ(h_L) q_(L−1), with D = D1, D2, D3+ that mkn estimated for its order {} from \
             count-of-counts (Chen & Goodman eq. 26; no tuning on held-out text) and γ(h_L) the mass the discounts \
             took; for n ≤ {} it is mkn of order n. Their \
             cross_entropy_bits is over the guessed symbols only.",
            config.guess_max_order,
            mix_order(config),
            mix_order(config),
            mix_order(config)
        ));
    }
    let mut block_counts_note = String::new();
    match config.block_counter {
        BlockCounter::Sort => {}
        BlockCounter::Hash => block_counts_note.push_str(
            " Block counts by hashing each n-block as its (n − 1)-block and last symbol, one pass over the text \
             per order, identical to the sorted counts.",
        ),
        BlockCounter::SuffixArray => block_counts_note.push_str(
            " Block counts from the text's suffix array and LCP array (runs of suffixes sharing n symbols), \
             identical to the sorted counts.",
        ),
    }
    let mut methods = Methods {
        estimators: "plugin: maximum likelihood; miller_madow: + (K_obs − 1)/(2N) nats (Miller 1955); chao_shen: \
                     coverage-adjusted Horvitz–Thompson (Chao & Shen 2003); grassberger: Grassberger 2003 with ψ(N) \
                     in place of ln N; nsb: posterior mean under the Nemenman–Shafee–Bialek (2002) mixture of \
                     Dirichlet priors, numerical quadrature over β; jackknife: Zahl (1977) leave-one-out jackknife \
                     of plug-in. F_n of an estimator is its H_n minus its H_(n−1)."
            .into(),
        nsb: format!("K = min(|A|^n, 1e30) bins for n-blocks, |A| = {} ({})", alphabet.size, alphabet.rule),
        standard_errors: format!(
            "delete-one-group block jackknife (Künsch 1989): the block start positions are cut into {} contiguous \
             groups, each deleted in turn; SE² = (G−1)/G Σ (θ_(−g) − θ̄)². F_n deletes the same group at both \
             orders. {}",
            config.groups,
            if config.nsb_jackknife {
                "NSB included."
            } else {
                "NSB skipped (--no-nsb-jackknife): its spread is the posterior standard deviation only, which \
                 ignores the dependence between overlapping blocks."
            }
        ),
        unsupported: format!(
            "an order is unsupported when the Good–Turing coverage 1 − f1/N of its blocks is below {}: then more \
             than {:.0}% of the probability is estimated to sit on blocks never seen, whose entropy no estimator \
             can read off the sample (Paninski 2003). Calibrated on known sources (10^6 symbols, 27 letters): at \
             coverage ≈ 0.9 plug-in F_n is 5–8% low, Miller–Madow 2–3%, Grassberger ≈ 1%, NSB < 0.5%.",
            config.min_coverage,
            100.0 * (1.0 - config.min_coverage)
        ),
        guessing,
    };
    methods.estimators.push_str(&block_counts_note);
    methods
}

/// The highest mkn order interpolated with the ∞-gram: the mkn game's order when it is played, else
/// [`DEFAULT_MIX_ORDER`]; never above the ∞-gram's.
fn mix_order(config: &EntropyConfig) -> usize {
    let k = if config.guess_order > 0 { config.guess_order } else { DEFAULT_MIX_ORDER };
    k.min(config.guess_max_order).max(1)
}

/// Runs the estimates.
pub fn run(config: &EntropyConfig, progress: &dyn Progress) -> Result<EntropyReport> {
    config.validate()?;
    let start = Instant::now();
    // One budget for every stage (the default is read from the memory available once).
    let budget = config.memory.budget();
    let name = config.name();
    let corpus = open(&config.corpus, (&config.documents, config.text.lossy), progress)?;
    let tok = config.text.tokenizer;
    let lossy = config.text.lossy;
    let paths = describe(&config.corpus);

    // Tokenize the whole text, straight into a file (under --temp-dir): it is read from there, and where it
    // would take more than a quarter of the budget, each stage hands back the pages it has read.
    let spill = config.memory.spill_dir()?;
    let disk = DiskUse::new();
    let whole = corpus.whole();
    let (tokenized, tokenize_seconds) =
        stage(progress, "tokenize", Some(Corpus::span_bytes(&whole)), Unit::Bytes, || {
            let mut vocab = Vocab::new();
            let advance = |n| progress.advance(n);
            write_tokens(spill.path(), "text", &disk, |sink| {
                stream::tokenize_extend_into(&corpus, &whole, &tok, lossy, &mut vocab, &advance, sink)
            })
            .map(|(file, stream)| (vocab, file, stream))
        })?;
    let (vocab, file, stream) = tokenized?;
    crate::memory::release_freed();
    if stream.tokens == 0 {
        return Err(Error::Input(format!("{paths}: empty corpus: the text has no {} tokens", tok.kind.name())));
    }
    let paged = crate::memory::in_files(4 * file.len() as u64, budget.0);
    if paged {
        progress.message(&format!(
            "note: the token stream ({}) is read from a file under --temp-dir a part at a time: it takes more \
             than a quarter of the budget of {}",
            crate::memory::size(4 * file.len() as u64),
            crate::memory::size(budget.0)
        ));
    }
    let release = |range: std::ops::Range<usize>| {
        if paged {
            file.release(range);
        }
    };
    let ids = file.values();
    let alphabet = alphabet(tok.kind, ids, vocab.len(), &release);
    let text = TextStats {
        bytes: stream.bytes,
        chars: stream.chars,
        sentences: stream.sentences,
        tokens: stream.tokens,
        vocabulary: Some(vocab.len() as u64),
        replaced_invalid_utf8: stream.replaced,
    };
    let mut warnings = Vec::new();
    if stream.replaced > 0 {
        warnings.push(format!("{} invalid UTF-8 sequences were replaced by U+FFFD (--lossy)", stream.replaced));
    }

    // Block entropies.
    let options = BlockOptions {
        max_order: config.max_order,
        alphabet: alphabet.size,
        groups: config.groups,
        min_coverage: config.min_coverage,
        nsb_jackknife: config.nsb_jackknife,
        counter: config.block_counter,
        memory: Some(block_keys(budget.0, if paged { 0 } else { ids.len() }, &vocab, progress)),
    };
    let (result, blocks_seconds) =
        stage(progress, "blocks", None, Unit::Steps, || blocks::block_entropies_releasing(ids, &options, &release))?;
    warnings.extend(result.warnings.iter().cloned());
    let unsupported: Vec<String> =
        result.orders.iter().filter(|o| !o.supported).map(|o| format!("{} ({:.3})", o.n, o.coverage)).collect();
    if !unsupported.is_empty() {
        warnings.push(format!(
            "block lengths {} are unsupported: coverage 1 − f1/N below {}; treat their estimates as bounds at best",
            unsupported.join(", "),
            config.min_coverage
        ));
    }

    // Words: Zipf, and the word length that turns bits per word into bits per letter.
    let (zipf_section, bits_per_letter, zipf_seconds) = {
        let t = Instant::now();
        let (section, per_letter) = words_and_zipf(&corpus, &tok, lossy, &vocab, ids, &release)?;
        (section, per_letter, t.elapsed().as_secs_f64())
    };
    // The guessing game tokenizes its own parts: the whole text's tokens are done with.
    drop((file, vocab, spill));
    crate::memory::release_freed();

    let published = |n: usize| match tok.kind {
        TokenKind::Letters if n <= 3 => Some(blocks::SHANNON_1951_F_27[n]),
        TokenKind::Letters26 if n <= 3 => Some(blocks::SHANNON_1951_F_26[n]),
        _ => None,
    };
    let per_letter = |f: &ByEstimator| {
        bits_per_letter.as_ref().map(|b| PerLetter {
            without_space: f.scaled(b.mean_word_length),
            with_space: f.scaled(b.mean_word_length + 1.0),
        })
    };
    let mut orders = vec![OrderEntry {
        n: 0,
        blocks: result.symbols,
        distinct: 1,
        singletons: 0,
        doubletons: 0,
        coverage: 1.0,
        supported: true,
        h: ByEstimator::all(0.0),
        h_se: ByEstimator::all(0.0),
        f: ByEstimator::all(result.f0),
        f_se: ByEstimator::all(0.0),
        nsb: None,
        shannon_1951: published(0),
        f_per_letter: per_letter(&ByEstimator::all(result.f0)),
    }];
    orders.extend(result.orders.iter().map(|o| OrderEntry {
        n: o.n,
        blocks: o.blocks,
        distinct: o.distinct,
        singletons: o.singletons,
        doubletons: o.doubletons,
        coverage: o.coverage,
        supported: o.supported,
        h: o.h,
        h_se: o.h_se,
        f: o.f,
        f_se: o.f_se,
        nsb: Some(NsbInfo { alphabet: o.nsb_alphabet, posterior_std_bits: o.nsb_posterior_std }),
        shannon_1951: published(o.n),
        f_per_letter: per_letter(&o.f),
    }));

    // The guessing game.
    let guesses = config.guess_order as u64 + u64::from(config.guess_max_order > 0);
    let (game, guessing_seconds) = stage(progress, "guessing", Some(guesses), Unit::Steps, || {
        guessing_game(config, &budget, &corpus, progress, &mut warnings)
    })?;
    let Game { entries: game, lines, train_lines, memory } = game?;

    let points: Vec<OrderPoint> =
        orders.iter().map(|o| OrderPoint { n: o.n, supported: o.supported, f: o.f }).collect();
    let cross_entropies: Vec<(usize, Option<f64>)> =
        game.iter().filter(|g| g.predictor.is_none()).map(|g| (g.n, g.cross_entropy_bits)).collect();
    let extrapolation = extrapolate(&points, &cross_entropies);
    let report = EntropyReport {
        schema: ENTROPY_SCHEMA.into(),
        tool: crate::tool(),
        corpus: EntropyCorpus { name, inputs: inputs(&corpus), holdout: config.holdout, lines, train_lines },
        tokenizer: tok,
        text,
        true_entropy_rate: config.true_rate.clone(),
        methods: methods(config, &alphabet),
        alphabet,
        settings: EntropySettings {
            max_order: config.max_order,
            jackknife_groups: config.groups,
            min_coverage: config.min_coverage,
            nsb_jackknife: config.nsb_jackknife,
            guess_order: config.guess_order,
            guess_limit: config.guess_limit,
            holdout: config.holdout,
            guess_max_order: (config.guess_max_order > 0).then_some(config.guess_max_order),
            block_counts: (config.block_counter != BlockCounter::Sort).then(|| config.block_counter.name().to_string()),
        },
        orders,
        bits_per_letter,
        zipf: zipf_section,
        guessing: game,
        shannon_1951: Shannon1951 {
            source: "C. E. Shannon, Prediction and Entropy of Printed English, Bell System Technical Journal \
                     30(1):50–64, 1951"
                .into(),
            f_26_letters: blocks::SHANNON_1951_F_26,
            f_27_letters: blocks::SHANNON_1951_F_27,
            guessing: guessing::SHANNON_1951_TABLE
                .iter()
                .map(|&(n, upper, lower)| PublishedBounds { n, upper, lower })
                .collect(),
        },
        extrapolation,
        warnings,
        timings: EntropyTimings {
            threads: config.threads,
            tokenize_seconds,
            blocks_seconds,
            zipf_seconds,
            guessing_seconds,
            total_seconds: start.elapsed().as_secs_f64(),
            memory,
        },
    };
    Ok(report)
}

/// The bytes the block counts' sorted keys take at most: what the tokens held in memory (`positions` of
/// them; none where they are read from a file a part at a time) and the vocabulary leave of the budget
/// ([`crate::memory::beside`]).
fn block_keys(budget: u64, positions: usize, vocab: &Vocab, progress: &dyn Progress) -> u64 {
    let (keys, _) = crate::memory::beside(budget, 4 * positions as u64 + vocab.heap_bytes() as u64);
    progress.detail(&format!(
        "block counts sort their keys within {} of the budget of {}",
        crate::memory::size(keys),
        crate::memory::size(budget)
    ));
    keys
}

/// The Zipf section, and for word units the mean word length.
fn words_and_zipf(
    corpus: &Corpus,
    tok: &Tokenizer,
    lossy: bool,
    vocab: &Vocab,
    ids: &[u32],
    release: &dyn Fn(std::ops::Range<usize>),
) -> Result<(ZipfSection, Option<BitsPerLetter>)> {
    let (counts, what, mean_word_length, per_letter) = if letter_like(tok.kind) {
        // Shannon's words: the 27-letter stream cut at its spaces.
        let (counts, letters) = if tok.kind == TokenKind::Letters {
            letter_words_releasing(ids, vocab.lookup(" "), release)
        } else {
            let letters = Tokenizer {
                kind: TokenKind::Letters,
                lowercase: true,
                sentences: Sentences::None,
                skip_symbols: false,
            };
            let (v, s) = stream::tokenize_train(corpus, &corpus.whole(), &letters, lossy, &stream::no_progress)?;
            letter_words(&s.ids, v.lookup(" "))
        };
        let words: u64 = counts.iter().sum();
        let mean = if words == 0 { 0.0 } else { letters as f64 / words as f64 };
        (counts, "maximal runs of ASCII letters, folded to lower case (Shannon's words)".to_string(), mean, None)
    } else {
        let c = unigram_counts_releasing(ids, vocab.len(), release);
        let mean = blocks::mean_length((0..vocab.len()).map(|i| (vocab.string(i as u32), c[i])));
        let mut counts: Vec<u64> = c.into_iter().filter(|&x| x > 0).collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let what = format!("the tokens of the {} tokenizer (punctuation tokens included)", tok.kind.name());
        let per_letter = BitsPerLetter { mean_word_length: mean, shannon_word_length: SHANNON_WORD_LENGTH };
        (counts, what, mean, Some(per_letter))
    };
    let model = zipf::shannon_model();
    let profile = CountProfile::from_counts(counts.iter().copied());
    let (empirical, _, _) = blocks::estimate_all(&profile, Some((profile.distinct() as f64).max(1.0)));
    let (fit, fit_error) = match zipf::fit_zipf_mandelbrot(&counts) {
        Ok(f) => (Some(f), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let section = ZipfSection {
        shannon_model_bits_per_word: model.bits_per_word,
        shannon_model: model,
        published_bits_per_word: zipf::SHANNON_PUBLISHED_BITS_PER_WORD,
        why_not_published: why_not_published(&model),
        words: what,
        tokens: profile.n(),
        types: profile.distinct(),
        mean_word_length,
        rank_frequency: rank_frequency(&counts),
        fit,
        fit_error,
        empirical,
        empirical_coverage: profile.coverage(),
    };
    Ok((section, per_letter))
}

/// What the guessing game gives the report.
struct Game {
    entries: Vec<GuessEntry>,
    /// Lines of the text, and of its training part.
    lines: u64,
    train_lines: u64,
    /// With counts on disk, what keeping within the budget cost.
    memory: Option<MemoryUse>,
}

/// Plays the guessing game for predictor orders 1..=`guess_order`.
fn guessing_game(
    config: &EntropyConfig,
    budget: &(u64, String),
    corpus: &Corpus,
    progress: &dyn Progress,
    warnings: &mut Vec<String>,
) -> Result<Game> {
    let lines: u64 = corpus.sources().iter().map(|s| s.lines()).sum();
    let train_lines = (lines as f64 * (1.0 - config.holdout)).floor() as u64;
    if config.guess_order == 0 && config.guess_max_order == 0 {
        return Ok(Game { entries: Vec::new(), lines, train_lines, memory: None });
    }
    let tok = config.text.tokenizer;
    let (train_spans, test_spans): (Vec<Span>, Vec<Span>) = corpus.split_holdout(config.holdout);
    let none = &stream::no_progress;
    // The training part is tokenized straight into a file, never held whole (a text of letters has a
    // position for nearly every byte): counting reads it from there, a section at a time where it is long.
    let spill = config.memory.spill_dir()?;
    let disk = DiskUse::new();
    let mut vocab = Vocab::new();
    let (mut train_file, mut train) = write_tokens(spill.path(), "train", &disk, |sink| {
        stream::tokenize_extend_into(corpus, &train_spans, &tok, config.text.lossy, &mut vocab, none, sink)
    })?;
    let mut test = stream::tokenize_test(corpus, &test_spans, &tok, config.text.lossy, &vocab, none)?;
    if (train.tokens == 0 || test.tokens == 0) && tok.sentences == Sentences::None {
        // One stream in too few lines (generated text is one long line): split its symbols instead.
        let (whole_vocab, whole) = stream::tokenize_train(corpus, &corpus.whole(), &tok, config.text.lossy, none)?;
        let cut = (whole.ids.len() as f64 * (1.0 - config.holdout)).floor() as usize;
        if cut > 0 && cut < whole.ids.len() {
            warnings.push(format!(
                "the text has {lines} line(s), too few to hold out the last {} of its lines, so the guessing game \
                 split its symbols instead: the first {cut} for training, the other {} held out (the vocabulary is \
                 the whole text's)",
                config.holdout,
                whole.ids.len() - cut
            ));
            let part = |ids: &[u32]| Stream { ids: ids.to_vec(), tokens: ids.len() as u64, ..Stream::default() };
            train = Stream { tokens: cut as u64, ..Stream::default() };
            (train_file, _) = write_tokens(spill.path(), "train-split", &disk, |sink| {
                sink(&whole.ids[..cut]);
                Ok::<_, Error>(Stream::default())
            })?;
            test = part(&whole.ids[cut..]);
            vocab = whole_vocab;
        }
    }
    if train.tokens == 0 || test.tokens == 0 {
        warnings.push(format!(
            "guessing game skipped: the {} has no {} tokens ({} lines, --holdout {}); use a longer text or --guess-order 0",
            if train.tokens == 0 { "training part" } else { "held-out part" },
            tok.kind.name(),
            lines,
            config.holdout
        ));
        return Ok(Game { entries: Vec::new(), lines, train_lines, memory: None });
    }
    let mix = if config.guess_max_order > 0 { mix_order(config) } else { 0 };
    let counted = config.guess_order.max(mix);
    // The guessed symbols: the first `guess_limit` held-out tokens.
    let guessed = if config.guess_limit == 0 {
        test.ids.len()
    } else {
        let mut seen = 0u64;
        test.ids
            .iter()
            .position(|&t| {
                seen += u64::from(t != BOS);
                seen > config.guess_limit
            })
            .unwrap_or(test.ids.len())
    };
    // Lower orders use the same continuation counts in every predictor: each fallback is said once.
    let mut fallbacks = crate::fallbacks::Fallbacks::default();
    // Every guessed symbol asks for the n-grams of its history with each candidate.
    let asks = guessed as u64 * vocab.len() as u64 * counted as u64;
    let in_memory = if config.guess_max_order > 0 {
        // The ∞-gram predictor interpolates with whole models.
        true
    } else if asks > ASKED_LIMIT {
        progress.message(&format!(
            "note: the guessing game holds its counts in memory: {guessed} guessed positions × {} symbols × order \
             {counted} ask for more n-grams than counts on disk serve well (--guess-limit lowers it)",
            vocab.len()
        ));
        true
    } else {
        false
    };
    let (played, memory) = if in_memory {
        let guessed = &test.ids[..guessed];
        (play_in_memory(config, &vocab, train_file.values(), guessed, &test.ids, mix, &mut fallbacks, progress)?, None)
    } else {
        // Every predictor of the game ranks the same symbols.
        let predictable = shannon_model::predictable(vocab.len(), tok.sentences == Sentences::Lines);
        let symbols = candidates(&vocab, |w| predictable[w as usize]);
        let asked = asked(&test.ids, guessed, &symbols, counted);
        let train = Train::File(train_file, disk);
        play_on_disk(config, budget, &vocab, train, asked, &symbols, &test.ids, guessed, &mut fallbacks, progress)?
    };
    warnings.extend(fallbacks.warnings());
    Ok(Game { entries: played, lines, train_lines, memory })
}

/// The token stream `tokenize` hands its sink, written to a new file `<name>-tokens.bin` in `dir` (tallied
/// in `disk`), with the counts `tokenize` returns.
fn write_tokens<E>(
    dir: &std::path::Path,
    name: &str,
    disk: &DiskUse,
    tokenize: impl FnOnce(&mut dyn FnMut(&[u32])) -> std::result::Result<Stream, E>,
) -> Result<(Paged, Stream)>
where
    Error: From<E>,
{
    let path = dir.join(format!("{name}-tokens.bin"));
    let failed = |e| Error::io(format!("writing the token stream to {} (--temp-dir)", path.display()), e);
    let mut out = shannon_counts::paged::Writer::create(&path, disk).map_err(failed)?;
    let mut first_error = None;
    let stream = tokenize(&mut |ids| {
        if first_error.is_none() {
            first_error = out.push(ids).err();
        }
    })?;
    if let Some(e) = first_error {
        return Err(failed(e));
    }
    Ok((out.finish().map_err(failed)?, stream))
}

/// A row of the guessing table: the game an order-`n` predictor played and its cross-entropy on the whole
/// held-out text.
fn entry(n: usize, game: guessing::Guessing, score: &shannon_eval::Score, kind: TokenKind) -> GuessEntry {
    let published = guessing::shannon_1951(n).filter(|_| kind == TokenKind::Letters);
    GuessEntry {
        n,
        symbols: game.symbols,
        upper: game.upper,
        lower: game.lower,
        cross_entropy_bits: score.cross_entropy_bits(),
        cross_entropy_symbols: score.tokens,
        rank_counts: game.rank_counts,
        shannon_upper: published.map(|p| p.0),
        shannon_lower: published.map(|p| p.1),
        predictor: None,
        mean_context: None,
    }
}

/// The symbols a predictor ranks: every word it can predict but `<unk>`.
fn candidates(vocab: &Vocab, predictable: impl Fn(u32) -> bool) -> Vec<u32> {
    (0..vocab.len() as u32).filter(|&w| w != UNK && predictable(w)).collect()
}

/// The token stream whose n-grams (orders 1..=`order`) are every one the game and the cross-entropy ask a
/// predictor for: the held-out text, then for each guessed position (the first `guessed` of `test`) and each
/// candidate symbol, the position's history followed by that symbol, after a `<s>` that keeps its n-grams
/// apart from the segment before (an n-gram never holds `<s>` but first: the extra ones it makes, of the
/// `<s>` before a history cut short of the order, are asked for and never used).
fn asked(test: &[u32], guessed: usize, symbols: &[u32], order: usize) -> Vec<u32> {
    let mut out = test.to_vec();
    for i in 0..guessed {
        if test[i] == BOS {
            continue;
        }
        let h = shannon_eval::history(test, i, order - 1);
        for &c in symbols {
            if h.first() != Some(&BOS) {
                out.push(BOS);
            }
            out.extend_from_slice(h);
            out.push(c);
        }
    }
    out
}

/// The game and the cross-entropy of every order from counts on disk within the budget: the training counts
/// in a store, each predictor estimated from it keeping only the n-grams of `asked` ([`asked`]) —
/// [`shannon_model::filtered`], whose values are the whole model's, bit for bit — and ranking `symbols`.
#[allow(clippy::too_many_arguments)]
fn play_on_disk(
    config: &EntropyConfig,
    (budget, why): &(u64, String),
    vocab: &Vocab,
    train: Train,
    asked: Vec<u32>,
    symbols: &[u32],
    test: &[u32],
    guessed: usize,
    fallbacks: &mut crate::fallbacks::Fallbacks,
    progress: &dyn Progress,
) -> Result<(Vec<GuessEntry>, Option<MemoryUse>)> {
    let budget = *budget;
    let t = Instant::now();
    let on_disk = OnDisk::count(&config.memory, budget, train, &asked, vocab, config.guess_order, progress)?;
    progress.detail(&format!("guessing game: counted in {:.1} s", t.elapsed().as_secs_f64()));
    drop(asked);
    crate::memory::release_freed();
    let memory = on_disk.memory_use(budget, why, progress);
    let estimation = Some(on_disk.estimation_budget(budget, vocab, test.len()));
    let sentences = config.text.tokenizer.sentences == Sentences::Lines;
    let mut out = Vec::with_capacity(config.guess_order);
    for n in 1..=config.guess_order {
        let t = Instant::now();
        let model = filtered::estimate(&on_disk.store, &on_disk.wanted, n, Smoothing::Mkn, sentences, estimation)?;
        for d in &model.summary().discounts {
            if let Some(why) = &d.fallback {
                fallbacks.note("guessing predictors", why, n);
            }
        }
        let estimated = t.elapsed().as_secs_f64();
        let game = guessing::play(&model, &test[..guessed], symbols);
        let played = t.elapsed().as_secs_f64();
        let score = shannon_eval::score(&model, test, false);
        progress.detail(&format!(
            "guessing game, order {n}: estimated in {estimated:.1} s, played in {:.1} s, held-out text scored in {:.1} s",
            played - estimated,
            t.elapsed().as_secs_f64() - played
        ));
        out.push(entry(n, game, &score, config.text.tokenizer.kind));
        progress.advance(1);
        crate::progress::checkpoint(progress)?;
    }
    Ok((out, Some(memory)))
}

/// The game with whole models estimated from counts in memory, and (with `--guess-max-order`) the ∞-gram
/// predictor of a suffix-array index of `train`, alone and interpolated with the mkn models of orders
/// 1..=`mix`.
#[allow(clippy::too_many_arguments)]
fn play_in_memory(
    config: &EntropyConfig,
    vocab: &Vocab,
    train: &[u32],
    guessed: &[u32],
    test: &[u32],
    mix: usize,
    fallbacks: &mut crate::fallbacks::Fallbacks,
    progress: &dyn Progress,
) -> Result<Vec<GuessEntry>> {
    let tok = config.text.tokenizer;
    let counted = config.guess_order.max(mix);
    let counts = Arc::new(shannon_counts::count_within(train, vocab.len(), counted, &Default::default())?);
    let mut out = Vec::with_capacity(config.guess_order);
    let mut mixed: Vec<Model> = Vec::new();
    for n in 1..=counted {
        let model = Model::estimate(Arc::clone(&counts), n, Smoothing::Mkn, tok.sentences == Sentences::Lines)?;
        for d in &model.summary().discounts {
            if let Some(why) = &d.fallback {
                fallbacks.note("guessing predictors", why, n);
            }
        }
        if n > config.guess_order {
            mixed.push(model);
            continue;
        }
        let game = guessing::play(&model, guessed, &candidates(vocab, |w| model.is_predictable(w)));
        let score = shannon_eval::score(&model, test, false);
        out.push(entry(n, game, &score, tok.kind));
        progress.advance(1);
        crate::progress::checkpoint(progress)?;
        if n <= mix {
            mixed.push(model);
        }
    }
    if config.guess_max_order == 0 {
        return Ok(out);
    }
    let index = shannon_index::build_in_memory(train, vocab, Some(&tok))?;
    let symbols = candidates(vocab, |w| mixed[0].is_predictable(w));
    let games = shannon_eval::infinigram::play(&index, Some(&mixed), guessed, &symbols, config.guess_max_order);
    for g in games {
        let n = g.game.n;
        let published = guessing::shannon_1951(n).filter(|_| tok.kind == TokenKind::Letters);
        out.push(GuessEntry {
            n,
            symbols: g.game.symbols,
            upper: g.game.upper,
            lower: g.game.lower,
            cross_entropy_bits: g.cross_entropy_bits,
            cross_entropy_symbols: g.game.symbols,
            rank_counts: g.game.rank_counts,
            shannon_upper: published.map(|p| p.0),
            shannon_lower: published.map(|p| p.1),
            predictor: Some(g.predictor.name().to_string()),
            mean_context: Some(g.mean_context),
        });
    }
    progress.advance(1);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(kind: TokenKind) -> EntropyConfig {
        let tokenizer = Tokenizer { kind, lowercase: false, sentences: Sentences::None, skip_symbols: false };
        EntropyConfig::new(vec![], TextConfig { tokenizer, lossy: false })
    }

    /// A text of `len` symbols over ids 3..3 + `k` from a fixed generator with some memory, as sentences
    /// (`<s>` … `</s>` every 5 to 40 symbols) or one stream.
    fn text(len: usize, k: u32, seed: u64, sentences: bool) -> Vec<u32> {
        let mut x = seed;
        let mut out = Vec::with_capacity(len + len / 4);
        let mut prev = 3u32;
        let mut left = 0u64;
        for _ in 0..len {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let r = x >> 33;
            if sentences && left == 0 {
                if !out.is_empty() {
                    out.push(shannon_tokens::EOS);
                }
                out.push(BOS);
                left = 5 + r % 36;
            }
            left = left.saturating_sub(1);
            // Mostly the successor of the previous symbol, sometimes any.
            prev = if r % 7 < 4 { 3 + (prev - 3 + 1) % k } else { 3 + (r / 7) as u32 % k };
            out.push(prev);
        }
        if sentences {
            out.push(shannon_tokens::EOS);
        }
        out
    }

    #[test]
    fn the_game_from_counts_on_disk_equals_the_game_of_whole_models() {
        for (sentences, budget) in [(false, None), (true, None), (false, Some(4096)), (true, Some(1 << 16))] {
            let mut vocab = Vocab::new();
            for c in ["a", "b", "c", "d", "e"] {
                vocab.intern(c);
            }
            let train = text(3000, 5, 7, sentences);
            let test = text(400, 5, 11, sentences);
            let mut config = config(TokenKind::Letters);
            config.text.tokenizer.sentences = if sentences { Sentences::Lines } else { Sentences::None };
            config.guess_order = 6;
            config.memory.memory = budget;
            let guessed = 150;
            let quiet = &crate::progress::Silent;
            let mut notes = crate::fallbacks::Fallbacks::default();
            let whole = play_in_memory(&config, &vocab, &train, &test[..guessed], &test, 0, &mut notes, quiet).unwrap();
            let mut notes_on_disk = crate::fallbacks::Fallbacks::default();
            let predictable = shannon_model::predictable(vocab.len(), sentences);
            let symbols = candidates(&vocab, |w| predictable[w as usize]);
            let asked = asked(&test, guessed, &symbols, config.guess_order);
            // The training stream in memory, or in a file as the game tokenizes it (read a section at a time
            // under the small budgets: `page_positions`).
            let dir = tempfile::tempdir().unwrap();
            let train = if sentences {
                Train::Ids(train.clone())
            } else {
                let disk = DiskUse::new();
                Train::File(Paged::write(&dir.path().join("train"), &train, &disk).unwrap(), disk)
            };
            let (on_disk, memory) = play_on_disk(
                &config,
                &config.memory.budget(),
                &vocab,
                train,
                asked,
                &symbols,
                &test,
                guessed,
                &mut notes_on_disk,
                quiet,
            )
            .unwrap();
            assert_eq!(whole.len(), 6);
            assert_eq!(on_disk, whole, "sentences {sentences}, budget {budget:?}");
            assert_eq!(notes_on_disk.warnings(), notes.warnings());
            let memory = memory.expect("counts on disk");
            assert_eq!(memory.counts, "disk");
            assert_eq!(memory.positions, if budget.is_some() { "disk" } else { "memory" }, "budget {budget:?}");
            assert_eq!(memory.kept_ngrams.len(), 6);
            if budget == Some(4096) {
                assert!(memory.spilled_runs > 0, "a budget of 4 KiB spills");
            }
        }
    }

    #[test]
    fn defaults_follow_the_unit_and_every_limit_is_checked() {
        let letters = config(TokenKind::Letters);
        assert_eq!((letters.max_order, letters.guess_order), (10, 10));
        let words = config(TokenKind::Words);
        assert_eq!((words.max_order, words.guess_order), (4, 0));
        assert_eq!(config(TokenKind::Letters).with_orders(Some(6), None).guess_order, 6);
        assert_eq!(config(TokenKind::Letters).with_orders(Some(6), Some(2)).guess_order, 2);
        assert_eq!(letters.validate(), Ok(()));
        for (change, setting) in [
            (&(|c: &mut EntropyConfig| c.max_order = 0) as &dyn Fn(&mut EntropyConfig), "max_order"),
            (&|c| c.groups = 1, "groups"),
            (&|c| c.min_coverage = 1.5, "min_coverage"),
            (&|c| c.guess_order = shannon_counts::MAX_ORDER + 1, "guess_order"),
            (&|c| c.holdout = 0.0, "holdout"),
        ] {
            let mut c = config(TokenKind::Letters);
            change(&mut c);
            assert_eq!(c.validate().map_err(|e| e.setting), Err(setting));
        }
    }
}
