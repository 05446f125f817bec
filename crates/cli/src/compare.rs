//! `shannon compare`: models of every order 1..=N and each smoothing method, trained on one text and
//! scored on another, written as a `shannon.compare/1` report.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Result};
use shannon_corpus::{Corpus, Source, Span};
use shannon_model::Smoothing;
use shannon_report::{
    CompareReport, CorpusInfo, ModelEntry, PrunePoint, TemperaturePoint, TestScore, TextStats, Timings, Tool, TrueRate,
    COMPARE_SCHEMA,
};
use shannon_tokens::Sentences;

use crate::pipeline::{self, Stream};
use crate::progress::Progress;
use crate::tune::DevSplit;
use crate::{check_output, corpus_name, default_corpus, describe, open, Inputs, Method, TextConfig};

/// A validated `compare` configuration.
#[derive(Debug, Clone)]
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
    /// Report name.
    pub name: Option<String>,
    /// Report path.
    pub output: Option<PathBuf>,
    /// Worker threads (for the timings block).
    pub threads: usize,
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

/// Runs a comparison and writes its report; returns the report and where it was written.
pub fn run(config: &CompareConfig, progress: &Progress) -> Result<(CompareReport, PathBuf)> {
    let start = Instant::now();
    let name = config.name.clone().unwrap_or_else(|| match &config.inputs {
        Inputs::Default => "default".into(),
        Inputs::Holdout { corpus, .. } => corpus_name(corpus),
        Inputs::Files { train, .. } => corpus_name(train),
    });
    let output = crate::report_path(config.output.as_deref(), &format!("compare-{name}"))?;
    check_output(&output)?;

    // Open the text.
    let mut true_rate = None;
    let (train_corpus, test_corpus, info) = match &config.inputs {
        Inputs::Default => {
            let (text, rate) = default_corpus::generate(default_corpus::SEED, default_corpus::LINES);
            true_rate = Some(TrueRate {
                source: default_corpus::describe(default_corpus::SEED),
                bits_per_token: rate.bits_per_token,
                bits_per_char: rate.bits_per_char,
            });
            let corpus = Corpus::from_sources(vec![Source::from_bytes("default", text)]);
            (corpus, None, holdout_info(0.1))
        }
        Inputs::Holdout { corpus, holdout } => (open(corpus)?, None, holdout_info(*holdout)),
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
            (open(train)?, Some(open(test)?), info)
        }
    };
    let mut info = CorpusInfo { name: name.clone(), train_inputs: crate::inputs(&train_corpus), ..info };
    let (train_spans, test_spans): (Vec<Span>, Vec<Span>) = match &test_corpus {
        Some(t) => {
            info.test_inputs = crate::inputs(t);
            (train_corpus.whole(), t.whole())
        }
        None => {
            let holdout = info.holdout.expect("holdout split");
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
        bail!(
            "{}: --holdout {holdout} of {lines} line(s) leaves no line for training (the split is by lines); \
             give --train and --test, or a corpus with more lines",
            describe(&train_paths())
        );
    }

    // Tokenize.
    let tok = &config.text.tokenizer;
    let (tokenized, tokenize_seconds) = progress.stage("tokenize", || -> Result<_> {
        let bar = progress.bytes(Corpus::span_bytes(&train_spans) + Corpus::span_bytes(&test_spans), "tokenize");
        let (vocab, train) = pipeline::tokenize_train(&train_corpus, &train_spans, tok, config.text.lossy, &bar)?;
        let test = pipeline::tokenize_test(test_source, &test_spans, tok, config.text.lossy, &vocab, &bar)?;
        bar.finish_and_clear();
        Ok(((vocab, train), test))
    });
    let (train, test) = tokenized?;
    let (vocab, train) = train;
    if train.tokens == 0 {
        bail!("{}: empty corpus: the training text has no {} tokens", describe(&train_paths()), tok.kind.name());
    }
    if test.tokens == 0 {
        let what = match &test_corpus {
            Some(_) => describe(&info.test_inputs.iter().map(|i| PathBuf::from(&i.path)).collect::<Vec<_>>()),
            None => format!("the held-out {} of {}", info.holdout.unwrap_or(0.0), describe(&train_paths())),
        };
        bail!(
            "{what}: the test set has no {} tokens (use a larger --holdout or a longer --test text)",
            tok.kind.name()
        );
    }

    // Count.
    let (counts, count_seconds) = progress.stage("count", || {
        let spinner = progress.spinner(&format!("counting n-grams of orders 1..={}", config.order));
        let counts = pipeline::count(&train, &vocab, config.order);
        spinner.finish_and_clear();
        counts
    });

    // Estimate and score.
    let mut warnings = Vec::new();
    if train.replaced + test.replaced > 0 {
        warnings.push(format!(
            "{} invalid UTF-8 sequences were replaced by U+FFFD (--lossy)",
            train.replaced + test.replaced
        ));
    }
    let (models, models_seconds) = progress.stage("models", || -> Result<Vec<ModelEntry>> {
        let bar = progress.steps((config.order * config.smoothing.len()) as u64, "models");
        let mut models = Vec::new();
        let sentences = tok.sentences == Sentences::Lines;
        let dev =
            config.smoothing.contains(&Method::AddKAuto).then(|| DevSplit::new(&train.ids, vocab.len(), config.order));
        for order in 1..=config.order {
            for &method in &config.smoothing {
                let t = Instant::now();
                let (smoothing, tuned_k, tuning) = match method {
                    Method::Fixed(s) => (s, None, Vec::new()),
                    Method::AddKAuto => {
                        let (k, curve) = dev.as_ref().expect("dev split").tune(order, sentences);
                        (Smoothing::AddK { k }, Some(k), curve)
                    }
                };
                let model = pipeline::estimate(&counts, order, smoothing, tok)?;
                let build_seconds = t.elapsed().as_secs_f64();
                let score = pipeline::score(&model, &test, false);
                let summary = model.summary();
                for d in &summary.discounts {
                    if let Some(why) = &d.fallback {
                        let w = format!("{smoothing} order {order}: {why}");
                        progress.info(&format!("warning: {w}"));
                        warnings.push(w);
                    }
                }
                let temperatures: Vec<TemperaturePoint> = config
                    .temperatures
                    .iter()
                    .map(|&tau| {
                        let s = shannon_eval::score_tempered(&model, &test.ids, tau, false);
                        TemperaturePoint { tau, cross_entropy_bits: s.cross_entropy_bits(), perplexity: s.perplexity() }
                    })
                    .collect();
                let best_temperature = temperatures
                    .iter()
                    .filter_map(|p| Some((p.tau, p.cross_entropy_bits?)))
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|p| p.0);
                let train_score = (!config.prune.is_empty() && model.stored_log_prob(1, 0).is_some())
                    .then(|| pipeline::score(&model, &train, false));
                let pruning: Vec<PrunePoint> = config
                    .prune
                    .iter()
                    .filter_map(|&theta| {
                        let p = shannon_model::prune::prune(&model, theta)?;
                        let s = pipeline::score(&p.model, &test, false);
                        let t = pipeline::score(&p.model, &train, false);
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
                            model_kl_bits: shannon_model::prune::divergence(&model, &p.model) / std::f64::consts::LN_2,
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
                bar.inc(1);
            }
        }
        bar.finish_and_clear();
        Ok(models)
    });
    let models = models?;
    let best = CompareReport::choose_best(&models);
    let report = CompareReport {
        schema: COMPARE_SCHEMA.into(),
        tool: Tool { name: "shannon".into(), version: env!("CARGO_PKG_VERSION").into() },
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
    shannon_report::write_atomic(&output, &shannon_report::to_json(&report))?;
    Ok((report, output))
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

fn fmt_opt(x: Option<f64>, width: usize, digits: usize) -> String {
    match x {
        Some(v) => format!("{v:>width$.digits$}"),
        None => format!("{:>width$}", "inf"),
    }
}

/// The human table printed on stdout.
pub fn table(r: &CompareReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "corpus {}: {} training tokens, {} test tokens, vocabulary {}, tokens = {}",
        r.corpus.name,
        r.train.tokens,
        r.test.tokens,
        r.train.vocabulary.unwrap_or(0),
        r.tokenizer.kind.name()
    );
    if let Some(t) = &r.true_entropy_rate {
        let _ = writeln!(
            s,
            "true entropy rate of the source: {:.4} bits/token, {:.4} bits/char (exact)",
            t.bits_per_token, t.bits_per_char
        );
    }
    let _ = writeln!(
        s,
        "{:>5}  {:<10} {:>10} {:>10} {:>12} {:>12} {:>7} {:>10}",
        "order", "smoothing", "n-grams", "bits/tok", "perplexity", "ppl-no-oov", "oov%", "bits/char"
    );
    for m in &r.models {
        let _ = writeln!(
            s,
            "{:>5}  {:<10} {:>10} {} {} {} {:>7.3} {}",
            m.order,
            m.smoothing,
            m.ngrams.last().copied().unwrap_or(0),
            fmt_opt(m.test.cross_entropy_bits, 10, 4),
            fmt_opt(m.test.perplexity, 12, 3),
            fmt_opt(m.test.perplexity_excluding_oov, 12, 3),
            100.0 * m.test.oov_rate,
            fmt_opt(m.test.bits_per_char, 10, 4),
        );
        if let Some(k) = m.tuned_k {
            let _ = writeln!(s, "{:>7}  (k = {k:.5}, chosen on a development split of the training text)", "");
        }
        if !m.temperatures.is_empty() {
            let cells: Vec<String> = m
                .temperatures
                .iter()
                .map(|p| format!("τ={}: {}", p.tau, p.cross_entropy_bits.map_or("inf".into(), |h| format!("{h:.4}"))))
                .collect();
            let best = m.best_temperature.map_or("none".into(), |t| t.to_string());
            let _ = writeln!(s, "{:>7}  bits/token by temperature: {} (best τ = {best})", "", cells.join(", "));
        }
        for p in &m.pruning {
            let _ = writeln!(
                s,
                "{:>7}  pruned at θ={:e}: {} n-grams, perplexity {}; KL(original‖pruned): Σ scores {:.3e}, exact {:.3e}, on training histories {:.3e} bits",
                "",
                p.threshold,
                p.ngrams.iter().sum::<u64>(),
                fmt_opt(p.perplexity, 0, 3),
                p.predicted_kl_bits,
                p.model_kl_bits,
                p.training_kl_bits,
            );
        }
        if m.test.zero_probability_tokens > 0 {
            let _ = writeln!(s, "{:>7}  ({} test tokens have probability 0)", "", m.test.zero_probability_tokens);
        }
    }
    match &r.best {
        Some(b) => {
            let _ = writeln!(
                s,
                "best: order {} {}, perplexity {:.3} ({:.4} bits/token)",
                b.order, b.smoothing, b.perplexity, b.cross_entropy_bits
            );
        }
        None => {
            let _ = writeln!(s, "best: none (every model gives some test token probability 0)");
        }
    }
    s
}
