//! `shannon compare`: models of every order 1..=N and each smoothing method, trained on one text and
//! scored on another, as a `shannon.compare/1` report.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use shannon_corpus::{Corpus, Source, Span};
use shannon_counts::Counts;
use shannon_eval::tune::DevSplit;
use shannon_model::filtered;
use shannon_model::{Model, Smoothing};
use shannon_report::{
    CompareReport, CorpusInfo, ModelEntry, PrunePoint, TemperaturePoint, TestScore, TextStats, Timings, TrueRate,
    COMPARE_SCHEMA,
};
use shannon_tokens::stream::{self, Stream};
use shannon_tokens::{Sentences, TokenKind};

use crate::memory::{CountMemory, OnDisk, Train};
use crate::progress::{stage, Progress, Unit};
use crate::text::{
    check_holdout, check_order, corpus_name, describe, inputs, name_part, open, stem, text_parts, DEFAULT_HOLDOUT,
};
use crate::{default_corpus, ConfigError, DocumentOptions, Error, Inputs, Method, Result, TextConfig};

/// The highest order compared when none is given.
pub const DEFAULT_ORDER: usize = 5;
/// The smoothing compared when none is given.
pub const DEFAULT_SMOOTHING: Method = Method::Fixed(Smoothing::Mkn);

/// A `compare` configuration: [`CompareConfig::new`] gives the defaults, [`CompareConfig::validate`]
/// checks every setting, and [`run`] runs only a valid one.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareConfig {
    /// Where text comes from.
    pub inputs: Inputs,
    /// Tokenizer and UTF-8 policy.
    pub text: TextConfig,
    /// Highest order.
    pub order: usize,
    /// Methods, in the order asked for.
    pub smoothing: Vec<Method>,
    /// Softmax temperatures to score every model at (`--temperatures`).
    pub temperatures: Vec<f64>,
    /// Entropy-pruning thresholds to apply to every backoff-form model (`--prune`).
    pub prune: Vec<f64>,
    /// Report name (default: the corpus's file name, or `default`).
    pub name: Option<String>,
    /// How files of documents (JSON Lines) are read: format, text and id fields, bad records.
    pub documents: DocumentOptions,
    /// Worker threads (for the timings block).
    pub threads: usize,
    /// The training counts go to disk under `temp_dir`, sorted within the budget (`--memory`; by default
    /// [`crate::memory::default_budget`]), and each model is estimated from there keeping only what scoring
    /// the test text needs — where every method allows it (mkn, kn, wb; no temperatures or pruning). The
    /// figures are the same as with every count in memory.
    pub memory: CountMemory,
    /// Hold every count in memory even where the methods allow disk: the other way to the same figures
    /// (tests compare the two). Not with a budget.
    pub in_memory: bool,
}

impl CompareConfig {
    /// The defaults for `inputs` and `text`: orders 1..=5, mkn, nothing pruned or tempered.
    pub fn new(inputs: Inputs, text: TextConfig) -> CompareConfig {
        CompareConfig {
            inputs,
            text,
            order: DEFAULT_ORDER,
            smoothing: vec![DEFAULT_SMOOTHING],
            temperatures: Vec::new(),
            prune: Vec::new(),
            name: None,
            documents: DocumentOptions::default(),
            threads: rayon::current_num_threads(),
            memory: CountMemory::default(),
            in_memory: false,
        }
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_order("order", self.order)?;
        if let Inputs::Holdout { holdout, .. } = self.inputs {
            check_holdout(holdout)?;
        }
        if self.smoothing.is_empty() {
            return Err(ConfigError::new("smoothing", "needs at least one method"));
        }
        for &t in &self.temperatures {
            check_temperature("temperatures", t)?;
        }
        for &theta in &self.prune {
            check_threshold("prune", theta)?;
        }
        if self.memory.memory.is_some() {
            if self.in_memory {
                return Err(ConfigError::new("memory", "keeps the counts on disk, not in memory (in_memory)"));
            }
            if let Some(why) = self.needs_memory() {
                return Err(ConfigError::new(
                    "memory",
                    format!(
                        "keeps the counts on disk, where only mkn, kn and wb models without temperatures or pruning \
                         are estimated; {why} (drop --memory, or run that apart)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// What needs every count or each whole model in memory, if anything: a method without a backoff form
    /// (its probabilities are computed from counts when asked), temperatures (a softmax over the whole
    /// vocabulary at every position) or pruning (the whole model).
    fn needs_memory(&self) -> Option<String> {
        if let Some(m) = self.smoothing.iter().find(|m| !on_disk(m)) {
            Some(format!("{m} needs every count in memory"))
        } else if !self.temperatures.is_empty() {
            Some("--temperatures needs each whole model in memory".into())
        } else if !self.prune.is_empty() {
            Some("--prune needs each whole model in memory".into())
        } else {
            None
        }
    }

    /// Whether the training counts are kept on disk: unless something needs them in memory or they are asked
    /// to be there.
    pub fn counts_on_disk(&self) -> bool {
        !self.in_memory && self.needs_memory().is_none()
    }

    /// Where the training counts are kept: on disk with the budget and where it came from, or in memory with
    /// why (`None`: asked for).
    fn plan(&self) -> Plan {
        if self.in_memory {
            Plan::Memory(None)
        } else if let Some(why) = self.needs_memory() {
            Plan::Memory(Some(why))
        } else {
            let (budget, why) = self.memory.budget();
            Plan::Disk { budget, why }
        }
    }

    /// The report's default file stem: `compare-<name>`, followed by every setting that differs from the
    /// defaults (tokenizer, case, sentences, order, methods, holdout, temperatures, pruning), so that runs
    /// with other settings do not overwrite each other's reports.
    pub fn report_stem(&self) -> String {
        let mut parts = text_parts(&self.text, TokenKind::Words, Sentences::Lines);
        if self.order != DEFAULT_ORDER {
            parts.push(format!("o{}", self.order));
        }
        if self.smoothing != [DEFAULT_SMOOTHING] {
            parts.push(name_part(&self.smoothing.iter().map(Method::to_string).collect::<Vec<_>>().join("+")));
        }
        if let Inputs::Holdout { holdout, .. } = self.inputs {
            if holdout != DEFAULT_HOLDOUT {
                parts.push(format!("h{holdout}"));
            }
        }
        if !self.temperatures.is_empty() {
            parts.push("tau".into());
        }
        if !self.prune.is_empty() {
            parts.push("pruned".into());
        }
        stem("compare", &self.name(), &parts)
    }

    /// The report's name: as given, or the training corpus's file name, or `default`.
    pub fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| match &self.inputs {
            Inputs::Default => "default".into(),
            Inputs::Holdout { corpus, .. } => corpus_name(corpus),
            Inputs::Files { train, .. } => corpus_name(train),
        })
    }
}

/// The settings a compare report was made with, in one line: what a report replaced by another run is
/// compared by.
pub fn settings(r: &CompareReport) -> String {
    let mut methods: Vec<&str> = Vec::new();
    for m in &r.models {
        if !methods.contains(&m.smoothing.as_str()) {
            methods.push(&m.smoothing);
        }
    }
    let order = r.models.iter().map(|m| m.order).max().unwrap_or(0);
    let t = &r.tokenizer;
    let split = match r.corpus.holdout {
        Some(h) => format!("holdout {h}"),
        None => r.corpus.split.clone(),
    };
    let extras =
        match (r.models.iter().any(|m| !m.temperatures.is_empty()), r.models.iter().any(|m| !m.pruning.is_empty())) {
            (true, true) => ", temperatures, pruning",
            (true, false) => ", temperatures",
            (false, true) => ", pruning",
            (false, false) => "",
        };
    format!(
        "tokens {}{}{}, orders 1..={order}, {}, {split}{extras}",
        t.kind.name(),
        if t.lowercase { " lowercased" } else { "" },
        if t.sentences == Sentences::None { " as one stream" } else { "" },
        methods.join(",")
    )
}

/// Checks a softmax temperature for scoring: a finite number above 0.
pub fn check_temperature(setting: &'static str, tau: f64) -> Result<(), ConfigError> {
    if tau > 0.0 && tau.is_finite() {
        Ok(())
    } else {
        Err(ConfigError::new(setting, format!("must be positive numbers, got {tau}")))
    }
}

/// Checks an entropy-pruning threshold: a finite number ≥ 0.
pub fn check_threshold(setting: &'static str, theta: f64) -> Result<(), ConfigError> {
    if theta >= 0.0 && theta.is_finite() {
        Ok(())
    } else {
        Err(ConfigError::new(setting, format!("thresholds must be numbers ≥ 0, got {theta}")))
    }
}

fn stats(s: &Stream, vocabulary: Option<u64>) -> TextStats {
    TextStats {
        bytes: s.bytes,
        chars: s.chars,
        sentences: s.sentences,
        tokens: s.tokens,
        vocabulary,
        replaced_invalid_utf8: s.replaced,
    }
}

/// Runs a comparison.
pub fn run(config: &CompareConfig, progress: &dyn Progress) -> Result<CompareReport> {
    config.validate()?;
    let start = Instant::now();
    let name = config.name();

    // Open the text.
    let mut true_rate = None;
    let docs = (&config.documents, config.text.lossy);
    let (train_corpus, test_corpus, info) = match &config.inputs {
        Inputs::Default => {
            let (text, rate) = default_corpus::generate(default_corpus::SEED, default_corpus::LINES);
            true_rate = Some(TrueRate {
                source: default_corpus::describe(default_corpus::SEED),
                bits_per_token: rate.bits_per_token,
                bits_per_char: rate.bits_per_char,
            });
            let corpus = Corpus::from_sources(vec![Source::from_bytes("default", text)]);
            (corpus, None, holdout_info(DEFAULT_HOLDOUT))
        }
        Inputs::Holdout { corpus, holdout } => (open(corpus, docs, progress)?, None, holdout_info(*holdout)),
        Inputs::Files { train, test } => {
            let info = CorpusInfo {
                name: String::new(),
                train_inputs: vec![],
                test_inputs: vec![],
                split: "files".into(),
                holdout: None,
                lines: None,
                train_lines: None,
            };
            (open(train, docs, progress)?, Some(open(test, docs, progress)?), info)
        }
    };
    let mut info = CorpusInfo { name, train_inputs: inputs(&train_corpus), ..info };
    let (train_spans, test_spans): (Vec<Span>, Vec<Span>) = match &test_corpus {
        Some(t) => {
            info.test_inputs = inputs(t);
            (train_corpus.whole(), t.whole())
        }
        None => {
            // Without test files the split is a holdout (see `holdout_info`).
            let holdout = info.holdout.unwrap_or(DEFAULT_HOLDOUT);
            let (train, test) = train_corpus.split_holdout(holdout);
            let lines: u64 = train_corpus.sources().iter().map(Source::lines).sum();
            info.lines = Some(lines);
            info.train_lines = Some((lines as f64 * (1.0 - holdout)).floor() as u64);
            (train, test)
        }
    };
    let test_source = test_corpus.as_ref().unwrap_or(&train_corpus);
    let train_paths = || info.train_inputs.iter().map(|i| PathBuf::from(&i.path)).collect::<Vec<_>>();
    // Before tokenizing: a corpus of a few long lines can leave training nothing.
    if let (Some(lines @ 1..), Some(0), Some(holdout)) = (info.lines, info.train_lines, info.holdout) {
        return Err(Error::Input(format!(
            "{}: --holdout {holdout} of {lines} line(s) leaves no line for training (the split is by lines); \
             give --train and --test, or a corpus with more lines",
            describe(&train_paths())
        )));
    }

    // Tokenize.
    let tok = &config.text.tokenizer;
    let bytes = Corpus::span_bytes(&train_spans) + Corpus::span_bytes(&test_spans);
    let (tokenized, tokenize_seconds) = stage(progress, "tokenize", Some(bytes), Unit::Bytes, || -> Result<_> {
        let advance = |n| progress.advance(n);
        let (vocab, train) = stream::tokenize_train(&train_corpus, &train_spans, tok, config.text.lossy, &advance)?;
        let test = stream::tokenize_test(test_source, &test_spans, tok, config.text.lossy, &vocab, &advance)?;
        Ok(((vocab, train), test))
    })?;
    let (train, test) = tokenized?;
    let (vocab, mut train) = train;
    if train.tokens == 0 {
        return Err(Error::Input(format!(
            "{}: empty corpus: the training text has no {} tokens",
            describe(&train_paths()),
            tok.kind.name()
        )));
    }
    if test.tokens == 0 {
        let what = match &test_corpus {
            Some(_) => describe(&info.test_inputs.iter().map(|i| PathBuf::from(&i.path)).collect::<Vec<_>>()),
            None => format!("the held-out {} of {}", info.holdout.unwrap_or(0.0), describe(&train_paths())),
        };
        return Err(Error::Input(format!(
            "{what}: the test set has no {} tokens (use a larger --holdout or a longer --test text)",
            tok.kind.name()
        )));
    }

    // Count.
    let plan = config.plan();
    match &plan {
        Plan::Memory(Some(why)) => progress.message(&format!("note: counts held in memory: {why}")),
        Plan::Memory(None) => {}
        Plan::Disk { budget, why } => progress.message(&format!(
            "note: counts on disk in {}, sorted within {} ({why})",
            config.memory.parent().display(),
            crate::memory::size(*budget)
        )),
    }
    let (counted, count_seconds) = stage(progress, "count", None, Unit::Steps, || match &plan {
        Plan::Memory(_) => Ok(Counted::Memory(Arc::new(shannon_counts::count_within(
            &train.ids,
            vocab.len(),
            config.order,
            &Default::default(),
        )?))),
        Plan::Disk { budget, .. } => OnDisk::count(
            &config.memory,
            *budget,
            Train::Ids(std::mem::take(&mut train.ids)),
            &test.ids,
            &vocab,
            config.order,
            progress,
        )
        .map(Counted::Disk),
    })?;
    let counted = counted?;
    if matches!(counted, Counted::Disk { .. }) {
        // Counted, and nothing later reads the training tokens (`validate` refused what would).
        train.ids = Vec::new();
    }
    let memory = match &counted {
        Counted::Memory(_) => None,
        Counted::Disk(on_disk) => {
            let Plan::Disk { budget, why } = &plan else { unreachable!("counts on disk are planned so") };
            Some(on_disk.memory_use(*budget, why, progress))
        }
    };

    // Estimate and score.
    let mut warnings = Vec::new();
    if train.replaced + test.replaced > 0 {
        warnings.push(format!(
            "{} invalid UTF-8 sequences were replaced by U+FFFD (--lossy)",
            train.replaced + test.replaced
        ));
    }
    let steps = (config.order * config.smoothing.len()) as u64;
    let mut fallbacks = crate::fallbacks::Fallbacks::default();
    let (models, models_seconds) =
        stage(progress, "models", Some(steps), Unit::Steps, || -> Result<Vec<ModelEntry>> {
            let mut models = Vec::new();
            let sentences = tok.sentences == Sentences::Lines;
            let dev = config
                .smoothing
                .contains(&Method::AddKAuto)
                .then(|| DevSplit::new(&train.ids, vocab.len(), config.order));
            // Counting is done: each estimation's arrays take what the vocabulary, the wanted n-grams and the
            // test text leave of the budget.
            let estimation = match (&counted, &plan) {
                (Counted::Disk(on_disk), Plan::Disk { budget, .. }) => {
                    Some(on_disk.estimation_budget(*budget, &vocab, test.ids.len()))
                }
                _ => None,
            };
            for order in 1..=config.order {
                for &method in &config.smoothing {
                    let t = Instant::now();
                    let (smoothing, tuned_k, tuning) = match method {
                        Method::Fixed(s) => (s, None, Vec::new()),
                        Method::AddKAuto => {
                            // `dev` exists whenever add-k:auto was asked for.
                            let (k, curve) = dev.as_ref().expect("dev split").tune(order, sentences);
                            (Smoothing::AddK { k }, Some(k), curve)
                        }
                    };
                    let (model, score, summary) = match &counted {
                        Counted::Memory(counts) => {
                            let model = Model::estimate(Arc::clone(counts), order, smoothing, sentences)?;
                            let score = shannon_eval::score(&model, &test.ids, false);
                            let summary = model.summary().clone();
                            (Some(model), score, summary)
                        }
                        Counted::Disk(OnDisk { store, wanted, .. }) => {
                            let model = filtered::estimate(store, wanted, order, smoothing, sentences, estimation)?;
                            let score = shannon_eval::score(&model, &test.ids, false);
                            (None, score, model.summary().clone())
                        }
                    };
                    let build_seconds = t.elapsed().as_secs_f64();
                    for d in &summary.discounts {
                        if let Some(why) = &d.fallback {
                            fallbacks.note(&format!("{smoothing} models"), why, order);
                        }
                    }
                    // Temperatures and pruning need the whole model (`validate` refuses them with --memory).
                    let (temperatures, best_temperature, pruning) = match &model {
                        Some(model) => tempered_and_pruned(config, model, &test.ids, &train.ids),
                        None => (Vec::new(), None, Vec::new()),
                    };
                    models.push(ModelEntry {
                        order,
                        smoothing: method.to_string(),
                        ngrams: summary.ngrams.clone(),
                        discounts: summary.discounts.clone(),
                        vocabulary: summary.vocab,
                        build_seconds,
                        test: TestScore::new(&score, test.chars, test.bytes),
                        tuned_k,
                        tuning,
                        temperatures,
                        best_temperature,
                        pruning,
                    });
                    progress.advance(1);
                    crate::progress::checkpoint(progress)?;
                }
            }
            Ok(models)
        })?;
    let models = models?;
    for w in fallbacks.warnings() {
        progress.message(&format!("warning: {w}"));
        warnings.push(w);
    }
    let best = CompareReport::choose_best(&models);
    let report = CompareReport {
        schema: COMPARE_SCHEMA.into(),
        tool: crate::tool(),
        corpus: info,
        tokenizer: *tok,
        train: stats(&train, Some(vocab.len() as u64)),
        test: stats(&test, None),
        true_entropy_rate: true_rate,
        models,
        best,
        warnings,
        timings: Timings {
            threads: config.threads,
            tokenize_seconds,
            count_seconds,
            models_seconds,
            total_seconds: start.elapsed().as_secs_f64(),
            memory,
        },
    };
    Ok(report)
}

/// The model scored through `config.temperatures` (with the best τ) and pruned at `config.prune`.
fn tempered_and_pruned(
    config: &CompareConfig,
    model: &Model,
    test: &[u32],
    train: &[u32],
) -> (Vec<TemperaturePoint>, Option<f64>, Vec<PrunePoint>) {
    let temperatures: Vec<TemperaturePoint> = config
        .temperatures
        .iter()
        .map(|&tau| {
            let s = shannon_eval::score_tempered(model, test, tau, false);
            TemperaturePoint { tau, cross_entropy_bits: s.cross_entropy_bits(), perplexity: s.perplexity() }
        })
        .collect();
    let best_temperature = temperatures
        .iter()
        .filter_map(|p| Some((p.tau, p.cross_entropy_bits?)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|p| p.0);
    let train_score = (!config.prune.is_empty() && model.stored_log_prob(1, 0).is_some())
        .then(|| shannon_eval::score(model, train, false));
    let pruning: Vec<PrunePoint> = config
        .prune
        .iter()
        .filter_map(|&theta| {
            let p = shannon_model::prune::prune(model, theta)?;
            let s = shannon_eval::score(&p.model, test, false);
            let t = shannon_eval::score(&p.model, train, false);
            let base = train_score.as_ref()?;
            Some(PrunePoint {
                threshold: theta,
                ngrams: p.model.summary().ngrams.clone(),
                removed: p.removed,
                cross_entropy_bits: s.cross_entropy_bits(),
                perplexity: s.perplexity(),
                predicted_kl_bits: p.predicted_kl_nats / std::f64::consts::LN_2,
                training_kl_bits: shannon_model::prune::divergence_on(model, &p.model, train) / std::f64::consts::LN_2,
                model_kl_bits: shannon_model::prune::divergence(model, &p.model) / std::f64::consts::LN_2,
                training_cross_entropy_increase_bits: t
                    .cross_entropy_bits()
                    .zip(base.cross_entropy_bits())
                    .map(|(after, before)| after - before),
            })
        })
        .collect();
    (temperatures, best_temperature, pruning)
}

/// Whether a method's models can be estimated from counts on disk (the backoff-form ones).
fn on_disk(m: &Method) -> bool {
    matches!(m, Method::Fixed(Smoothing::Mkn | Smoothing::Kn | Smoothing::Wb))
}

/// Where compare keeps the training counts ([`CompareConfig::plan`]).
enum Plan {
    /// In memory, and why when not asked for.
    Memory(Option<String>),
    /// On disk, sorted within `budget` bytes; `why` says where the budget came from.
    Disk { budget: u64, why: String },
}

/// The training counts, in memory or on disk.
enum Counted {
    /// Every order's counts, in memory.
    Memory(Arc<Counts>),
    /// On disk (`--memory`), with the test text's n-grams that they hold.
    Disk(OnDisk),
}

fn holdout_info(holdout: f64) -> CorpusInfo {
    CorpusInfo {
        name: String::new(),
        train_inputs: vec![],
        test_inputs: vec![],
        split: "holdout".into(),
        holdout: Some(holdout),
        lines: None,
        train_lines: None,
    }
}

#[cfg(test)]
mod tests {
    use shannon_tokens::{TokenKind, Tokenizer};

    use super::*;

    fn config() -> CompareConfig {
        let tokenizer =
            Tokenizer { kind: TokenKind::Words, lowercase: false, sentences: Sentences::Lines, skip_symbols: false };
        CompareConfig::new(Inputs::Default, TextConfig { tokenizer, lossy: false })
    }

    #[test]
    fn defaults_are_valid_and_every_limit_is_checked() {
        assert_eq!(config().validate(), Ok(()));
        assert_eq!((config().order, config().smoothing.clone()), (DEFAULT_ORDER, vec![DEFAULT_SMOOTHING]));
        for (change, setting) in [
            (&(|c: &mut CompareConfig| c.order = 0) as &dyn Fn(&mut CompareConfig), "order"),
            (&|c| c.order = shannon_counts::MAX_ORDER + 1, "order"),
            (&|c| c.smoothing.clear(), "smoothing"),
            (&|c| c.temperatures = vec![1.0, 0.0], "temperatures"),
            (&|c| c.temperatures = vec![f64::NAN], "temperatures"),
            (&|c| c.prune = vec![-1e-7], "prune"),
            (&|c| c.inputs = Inputs::Holdout { corpus: vec![], holdout: 1.0 }, "holdout"),
        ] {
            let mut c = config();
            change(&mut c);
            assert_eq!(c.validate().map_err(|e| e.setting), Err(setting));
        }
    }

    /// The report without what differs from run to run or by where the counts were kept: timings.
    fn figures(mut r: CompareReport) -> CompareReport {
        r.timings = Timings::default();
        r.models.iter_mut().for_each(|m| m.build_seconds = 0.0);
        r
    }

    fn on(corpus: PathBuf, order: usize, smoothing: &[Smoothing]) -> CompareConfig {
        let tokenizer = Tokenizer {
            kind: TokenKind::Whitespace,
            lowercase: false,
            sentences: Sentences::Lines,
            skip_symbols: false,
        };
        let mut c = CompareConfig::new(
            Inputs::Holdout { corpus: vec![corpus], holdout: 0.2 },
            TextConfig { tokenizer, lossy: false },
        );
        c.order = order;
        c.smoothing = smoothing.iter().map(|&s| Method::Fixed(s)).collect();
        c
    }

    /// Every way to keep the counts gives the same figures: in memory, on disk within the default budget, and
    /// on disk within a budget so small that every order spills.
    fn same_figures_every_way(corpus: PathBuf, order: usize) {
        let methods = [Smoothing::Mkn, Smoothing::Kn, Smoothing::Wb];
        let mut memory = on(corpus.clone(), order, &methods);
        memory.in_memory = true;
        let want = run(&memory, &crate::Silent).unwrap();
        assert_eq!(want.timings.memory, None);
        let spill = tempfile::tempdir().unwrap();
        for budget in [None, Some(4 << 10)] {
            let mut disk = on(corpus.clone(), order, &methods);
            disk.memory = CountMemory { memory: budget, temp_dir: Some(spill.path().to_path_buf()), why: None };
            let got = run(&disk, &crate::Silent).unwrap();
            let used = got.timings.memory.clone().expect("counts on disk say so");
            assert_eq!(used.kept_ngrams.len(), order);
            assert!(used.kept_ngrams[1..].iter().zip(&got.models.last().unwrap().ngrams[1..]).all(|(k, n)| k < n));
            assert_eq!(figures(got), figures(want.clone()), "budget {budget:?}");
            assert_eq!(std::fs::read_dir(spill.path()).unwrap().count(), 0, "the counts are left on disk");
        }
    }

    #[test]
    fn counts_on_disk_give_the_in_memory_figures() {
        same_figures_every_way(
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpora/fixtures/genesis.txt")),
            4,
        );
    }

    /// The classic corpora (SHANNON_CORPORA): bible and book1 to order 5.
    #[test]
    #[ignore = "needs SHANNON_CORPORA (../shared/corpora)"]
    fn counts_on_disk_give_the_in_memory_figures_on_the_shared_corpora() {
        let corpora = PathBuf::from(std::env::var_os("SHANNON_CORPORA").expect("SHANNON_CORPORA"));
        for name in ["canterbury/bible.txt", "calgary/book1"] {
            same_figures_every_way(corpora.join(name), 5);
        }
    }

    #[test]
    fn what_needs_whole_models_keeps_the_counts_in_memory_or_refuses_a_budget() {
        let genesis = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpora/fixtures/genesis.txt"));
        // Without a budget: in memory, and the report says nothing of disk.
        let mut c = on(genesis.clone(), 2, &[Smoothing::Mkn]);
        c.smoothing.push(Method::AddKAuto);
        assert_eq!(run(&c, &crate::Silent).unwrap().timings.memory, None);
        // With one: refused, naming what needs memory.
        c.memory.memory = Some(1 << 20);
        let e = c.validate().unwrap_err();
        assert_eq!(e.setting, "memory");
        assert!(e.problem.contains("add-k:auto"), "{e}");
        for extra in [|c: &mut CompareConfig| c.temperatures = vec![0.5], |c: &mut CompareConfig| c.prune = vec![1e-7]]
        {
            let mut c = on(genesis.clone(), 2, &[Smoothing::Mkn]);
            c.memory.memory = Some(1 << 20);
            extra(&mut c);
            assert_eq!(c.validate().map_err(|e| e.setting), Err("memory"));
        }
    }

    #[test]
    fn an_invalid_config_never_runs() {
        let mut c = config();
        c.order = 0;
        assert!(matches!(run(&c, &crate::Silent), Err(Error::Config(_))));
    }
}
