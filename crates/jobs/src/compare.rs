//! `shannon compare`: models of every order 1..=N and each smoothing method, trained on one text and
//! scored on another, as a `shannon.compare/1` report.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use shannon_corpus::{Corpus, Source, Span};
use shannon_eval::tune::DevSplit;
use shannon_model::{Model, Smoothing};
use shannon_report::{
    CompareReport, CorpusInfo, ModelEntry, PrunePoint, TemperaturePoint, TestScore, TextStats, Timings, TrueRate,
    COMPARE_SCHEMA,
};
use shannon_tokens::stream::{self, Stream};
use shannon_tokens::{Sentences, TokenKind};

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
        Ok(())
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
    let (vocab, train) = train;
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
    let (counts, count_seconds) = stage(progress, "count", None, Unit::Steps, || {
        shannon_counts::count_within(&train.ids, vocab.len(), config.order, &Default::default())
    })?;
    let counts = Arc::new(counts?);

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
                    let model = Model::estimate(Arc::clone(&counts), order, smoothing, sentences)?;
                    let build_seconds = t.elapsed().as_secs_f64();
                    let score = shannon_eval::score(&model, &test.ids, false);
                    let summary = model.summary();
                    for d in &summary.discounts {
                        if let Some(why) = &d.fallback {
                            fallbacks.note(&format!("{smoothing} models"), why, order);
                        }
                    }
                    let temperatures: Vec<TemperaturePoint> = config
                        .temperatures
                        .iter()
                        .map(|&tau| {
                            let s = shannon_eval::score_tempered(&model, &test.ids, tau, false);
                            TemperaturePoint {
                                tau,
                                cross_entropy_bits: s.cross_entropy_bits(),
                                perplexity: s.perplexity(),
                            }
                        })
                        .collect();
                    let best_temperature = temperatures
                        .iter()
                        .filter_map(|p| Some((p.tau, p.cross_entropy_bits?)))
                        .min_by(|a, b| a.1.total_cmp(&b.1))
                        .map(|p| p.0);
                    let train_score = (!config.prune.is_empty() && model.stored_log_prob(1, 0).is_some())
                        .then(|| shannon_eval::score(&model, &train.ids, false));
                    let pruning: Vec<PrunePoint> = config
                        .prune
                        .iter()
                        .filter_map(|&theta| {
                            let p = shannon_model::prune::prune(&model, theta)?;
                            let s = shannon_eval::score(&p.model, &test.ids, false);
                            let t = shannon_eval::score(&p.model, &train.ids, false);
                            let base = train_score.as_ref()?;
                            Some(PrunePoint {
                                threshold: theta,
                                ngrams: p.model.summary().ngrams.clone(),
                                removed: p.removed,
                                cross_entropy_bits: s.cross_entropy_bits(),
                                perplexity: s.perplexity(),
                                predicted_kl_bits: p.predicted_kl_nats / std::f64::consts::LN_2,
                                training_kl_bits: shannon_model::prune::divergence_on(&model, &p.model, &train.ids)
                                    / std::f64::consts::LN_2,
                                model_kl_bits: shannon_model::prune::divergence(&model, &p.model)
                                    / std::f64::consts::LN_2,
                                training_cross_entropy_increase_bits: t
                                    .cross_entropy_bits()
                                    .zip(base.cross_entropy_bits())
                                    .map(|(after, before)| after - before),
                            })
                        })
                        .collect();
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
        },
    };
    Ok(report)
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

    #[test]
    fn an_invalid_config_never_runs() {
        let mut c = config();
        c.order = 0;
        assert!(matches!(run(&c, &crate::Silent), Err(Error::Config(_))));
    }
}
