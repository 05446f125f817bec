//! `shannon entropy`: Shannon's (1951) estimates of the entropy of a text, and how far the text supports
//! them — block entropies H_N and F_N with every estimator and standard errors, his Zipf-law word entropy
//! recomputed, a Zipf–Mandelbrot fit, the guessing game played by an order-N modified Kneser–Ney model,
//! and an extrapolation to N → ∞ — written as a `shannon.entropy/1` report, with a table shaped like
//! Shannon's on stdout.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Result};
use shannon_corpus::{Corpus, Span};
use shannon_eval::entropy::{self as blocks, BlockOptions, ByEstimator, Estimator};
use shannon_eval::guessing;
use shannon_info::estimate::CountProfile;
use shannon_info::extrapolate::{fit_power_law, fit_stretched_exponential};
use shannon_info::zipf;
use shannon_model::Smoothing;
use shannon_report::entropy::{
    Alphabet, BitsPerLetter, CrossEntropyFits, EntropyCorpus, EntropyReport, EntropySettings, EntropyTimings,
    Extrapolation, FitEntry, GuessEntry, Methods, NsbInfo, OrderEntry, PerLetter, PublishedBounds, Shannon1951,
    ZipfSection, ENTROPY_SCHEMA,
};
use shannon_report::{TextStats, Tool};
use shannon_tokens::{Sentences, TokenKind, Tokenizer, Vocab, BOS, EOS, UNK};

use crate::pipeline::{self, Stream};
use crate::progress::Progress;
use crate::{check_output, corpus_name, describe, open, TextConfig};

/// Shannon's divisors from bits per word to bits per letter: 4.5 letters per word, 5.5 with the space.
const SHANNON_WORD_LENGTH: [f64; 2] = [4.5, 5.5];

/// A validated `entropy` configuration.
#[derive(Debug, Clone)]
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
    /// Held-out symbols guessed at most (0: all).
    pub guess_limit: u64,
    /// Held-out fraction of lines for the guessing game.
    pub holdout: f64,
    /// Report name.
    pub name: Option<String>,
    /// Report path.
    pub output: Option<PathBuf>,
    /// Worker threads (for the timings block).
    pub threads: usize,
}

/// Whether a token kind is a letter-like unit (a small alphabet), as opposed to words.
pub fn letter_like(kind: TokenKind) -> bool {
    !matches!(kind, TokenKind::Words | TokenKind::Whitespace)
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

/// Parses `--groups`: an integer ≥ 2.
pub fn parse_groups(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(g) if (2..=10_000).contains(&g) => Ok(g),
        _ => Err(format!("the jackknife needs an integer from 2 to 10000 groups, got '{s}'")),
    }
}

/// Parses `--min-coverage`: a number in [0, 1].
pub fn parse_coverage(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(c) if (0.0..=1.0).contains(&c) => Ok(c),
        _ => Err(format!("coverage must be a number from 0 to 1, got '{s}'")),
    }
}

/// Parses `--guess-order`: 0 (skip) to the highest model order.
pub fn parse_guess_order(s: &str) -> Result<usize, String> {
    let max = shannon_counts::MAX_ORDER;
    match s.parse::<usize>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(format!("guess order must be an integer from 0 (skip the game) to {max}, got '{s}'")),
    }
}

/// The alphabet |A| and how it was chosen.
fn alphabet(kind: TokenKind, stream: &Stream, vocab: &Vocab) -> Alphabet {
    match kind {
        TokenKind::Letters => Alphabet { size: 27.0, rule: "Shannon's 27 symbols: a–z and the space".into() },
        TokenKind::Letters26 => Alphabet { size: 26.0, rule: "Shannon's 26 letters a–z".into() },
        TokenKind::Bytes => Alphabet { size: 256.0, rule: "the 256 byte values".into() },
        _ => {
            let mut seen = vec![false; vocab.len()];
            for &t in &stream.ids {
                if t != BOS && t != EOS {
                    seen[t as usize] = true;
                }
            }
            let size = seen.iter().filter(|&&s| s).count() as f64;
            let unit = if kind == TokenKind::Chars { "characters" } else { "words" };
            Alphabet {
                size,
                rule: format!(
                    "the {unit} that occur in the text ({} has no fixed alphabet; NSB barely depends on K beyond it \
                     except at n = 1)",
                    kind.name()
                ),
            }
        }
    }
}

/// Words as Shannon counted them: maximal runs of ASCII letters, folded to lower case — the 27-letter
/// stream cut at its spaces. Returns per-type counts and the number of letters.
fn letter_words(ids: &[u32], space: Option<u32>) -> (Vec<u64>, u64) {
    let mut map: HashMap<&[u32], u64> = HashMap::new();
    let mut letters = 0u64;
    for word in ids.split(|&t| Some(t) == space || t == BOS || t == EOS).filter(|w| !w.is_empty()) {
        letters += word.len() as u64;
        *map.entry(word).or_insert(0) += 1;
    }
    let mut counts: Vec<u64> = map.into_values().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    (counts, letters)
}

/// `[rank, count]` for counts sorted in decreasing order: every rank up to 100, then about 50 ranks per
/// decade, and the last rank — enough to draw the rank–frequency curve without listing every type.
fn rank_frequency(sorted: &[u64]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut r = 1usize;
    while r <= sorted.len() {
        out.push((r as u64, sorted[r - 1]));
        r = if r < 100 { r + 1 } else { ((r as f64 * 10f64.powf(1.0 / 50.0)) as usize).max(r + 1) };
    }
    if let Some(&last) = sorted.last() {
        if out.last().map(|p| p.0) != Some(sorted.len() as u64) {
            out.push((sorted.len() as u64, last));
        }
    }
    out
}

/// Per-id counts of a stream (markers excluded).
fn unigram_counts(ids: &[u32], vocab_len: usize) -> Vec<u64> {
    let mut c = vec![0u64; vocab_len];
    for &t in ids {
        if t != BOS && t != EOS {
            c[t as usize] += 1;
        }
    }
    c
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
    Methods {
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
        guessing: "Shannon's guessing game (1951 §5, eq. 17) with an order-n interpolated modified Kneser–Ney model \
                   trained on the first lines as the predictor: for each held-out symbol, the rank of the true \
                   symbol in the model's ordering of the alphabet (ties by id); from the rank frequencies q_i, \
                   upper = −Σ q_i log2 q_i, lower = Σ i (q_i − q_(i+1)) log2 i. cross_entropy_bits is the model's \
                   held-out cross-entropy, an upper bound on the entropy rate (Brown et al. 1992)."
            .into(),
    }
}

/// Runs the estimates and writes the report; returns the report and where it was written.
pub fn run(config: &EntropyConfig, progress: &Progress) -> Result<(EntropyReport, PathBuf)> {
    let start = Instant::now();
    let name = config.name.clone().unwrap_or_else(|| corpus_name(&config.corpus));
    let output = crate::report_path(config.output.as_deref(), &format!("entropy-{name}"))?;
    check_output(&output)?;
    let corpus = open(&config.corpus)?;
    let tok = config.text.tokenizer;
    let lossy = config.text.lossy;
    let paths = describe(&config.corpus);

    // Tokenize the whole text.
    let (tokenized, tokenize_seconds) = progress.stage("tokenize", || -> Result<_> {
        let whole = corpus.whole();
        let bar = progress.bytes(Corpus::span_bytes(&whole), "tokenize");
        let out = pipeline::tokenize_train(&corpus, &whole, &tok, lossy, &bar)?;
        bar.finish_and_clear();
        Ok(out)
    });
    let (vocab, stream) = tokenized?;
    if stream.tokens == 0 {
        bail!("{paths}: empty corpus: the text has no {} tokens", tok.kind.name());
    }
    let alphabet = alphabet(tok.kind, &stream, &vocab);
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
    };
    let (result, blocks_seconds) = progress.stage("blocks", || {
        let spinner = progress.spinner(&format!("block entropies of lengths 1..={}", config.max_order));
        let r = blocks::block_entropies(&stream.ids, &options);
        spinner.finish_and_clear();
        r
    });
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
        let (section, per_letter) = words_and_zipf(&corpus, &tok, lossy, &vocab, &stream)?;
        (section, per_letter, t.elapsed().as_secs_f64())
    };

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
    let (game, guessing_seconds) =
        progress.stage("guessing", || guessing_game(config, &corpus, progress, &mut warnings));
    let (game, split) = game?;

    let extrapolation = extrapolate(&orders, &game);
    let report = EntropyReport {
        schema: ENTROPY_SCHEMA.into(),
        tool: Tool { name: "shannon".into(), version: env!("CARGO_PKG_VERSION").into() },
        corpus: EntropyCorpus {
            name,
            inputs: crate::inputs(&corpus),
            holdout: config.holdout,
            lines: split.0,
            train_lines: split.1,
        },
        tokenizer: tok,
        text: TextStats {
            bytes: stream.bytes,
            chars: stream.chars,
            sentences: stream.sentences,
            tokens: stream.tokens,
            vocabulary: Some(vocab.len() as u64),
            replaced_invalid_utf8: stream.replaced,
        },
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
        },
    };
    shannon_report::write_atomic(&output, &shannon_report::to_json(&report))?;
    Ok((report, output))
}

/// The Zipf section, and for word units the mean word length.
fn words_and_zipf(
    corpus: &Corpus,
    tok: &Tokenizer,
    lossy: bool,
    vocab: &Vocab,
    stream: &Stream,
) -> Result<(ZipfSection, Option<BitsPerLetter>)> {
    let (counts, what, mean_word_length, per_letter) = if letter_like(tok.kind) {
        // Shannon's words: the 27-letter stream cut at its spaces.
        let (counts, letters) = if tok.kind == TokenKind::Letters {
            letter_words(&stream.ids, vocab.lookup(" "))
        } else {
            let letters = Tokenizer { kind: TokenKind::Letters, lowercase: true, sentences: Sentences::None };
            let (v, s) =
                pipeline::tokenize_train(corpus, &corpus.whole(), &letters, lossy, &indicatif::ProgressBar::hidden())?;
            letter_words(&s.ids, v.lookup(" "))
        };
        let words: u64 = counts.iter().sum();
        let mean = if words == 0 { 0.0 } else { letters as f64 / words as f64 };
        (counts, "maximal runs of ASCII letters, folded to lower case (Shannon's words)".to_string(), mean, None)
    } else {
        let c = unigram_counts(&stream.ids, vocab.len());
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

/// Plays the guessing game for predictor orders 1..=`guess_order`; returns the entries and the split
/// (lines, training lines).
fn guessing_game(
    config: &EntropyConfig,
    corpus: &Corpus,
    progress: &Progress,
    warnings: &mut Vec<String>,
) -> Result<(Vec<GuessEntry>, (u64, u64))> {
    let lines: u64 = corpus.sources().iter().map(|s| s.lines()).sum();
    let train_lines = (lines as f64 * (1.0 - config.holdout)).floor() as u64;
    if config.guess_order == 0 {
        return Ok((Vec::new(), (lines, train_lines)));
    }
    let tok = config.text.tokenizer;
    let (train_spans, test_spans): (Vec<Span>, Vec<Span>) = corpus.split_holdout(config.holdout);
    let hidden = indicatif::ProgressBar::hidden();
    let (vocab, train) = pipeline::tokenize_train(corpus, &train_spans, &tok, config.text.lossy, &hidden)?;
    let test = pipeline::tokenize_test(corpus, &test_spans, &tok, config.text.lossy, &vocab, &hidden)?;
    if train.tokens == 0 || test.tokens == 0 {
        warnings.push(format!(
            "guessing game skipped: the {} has no {} tokens ({} lines, --holdout {}); use a longer text or --guess-order 0",
            if train.tokens == 0 { "training part" } else { "held-out part" },
            tok.kind.name(),
            lines,
            config.holdout
        ));
        return Ok((Vec::new(), (lines, train_lines)));
    }
    let counts = pipeline::count(&train, &vocab, config.guess_order);
    // The guessed symbols: the first `guess_limit` held-out tokens.
    let guessed = if config.guess_limit == 0 {
        &test.ids[..]
    } else {
        let mut seen = 0u64;
        let end = test
            .ids
            .iter()
            .position(|&t| {
                seen += u64::from(t != BOS);
                seen > config.guess_limit
            })
            .unwrap_or(test.ids.len());
        &test.ids[..end]
    };
    let bar = progress.steps(config.guess_order as u64, "guessing");
    let mut out = Vec::with_capacity(config.guess_order);
    for n in 1..=config.guess_order {
        let model = pipeline::estimate(&counts, n, Smoothing::Mkn, &tok)?;
        for d in &model.summary().discounts {
            if let Some(why) = &d.fallback {
                // Lower orders use the same continuation counts in every model: say it once.
                let w = format!("guessing predictors: {why}");
                if !warnings.contains(&w) {
                    warnings.push(w);
                }
            }
        }
        let candidates: Vec<u32> = (0..vocab.len() as u32).filter(|&w| w != UNK && model.is_predictable(w)).collect();
        let game = guessing::play(&model, guessed, &candidates);
        let score = pipeline::score(&model, &test, false);
        let published = guessing::shannon_1951(n).filter(|_| tok.kind == TokenKind::Letters);
        out.push(GuessEntry {
            n,
            symbols: game.symbols,
            upper: game.upper,
            lower: game.lower,
            cross_entropy_bits: score.cross_entropy_bits(),
            cross_entropy_symbols: score.tokens,
            rank_counts: game.rank_counts,
            shannon_upper: published.map(|p| p.0),
            shannon_lower: published.map(|p| p.1),
        });
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((out, (lines, train_lines)))
}

/// Fits start at this n: F_1 and F_2 are the letter and digram frequencies, not yet the slowly decaying
/// tail the ansatz describes (on bible.txt, including them drives α → 0.06 and h to −8 bits).
pub const FIT_FROM: usize = 3;
/// Fewest points a three-parameter fit is made from (three would always fit exactly).
pub const FIT_MIN_POINTS: usize = 4;

/// A power-law fit of (n, value) points, or why there is none.
fn power_law(points: &[(f64, f64)]) -> (Option<shannon_info::extrapolate::PowerLawFit>, Option<String>) {
    let ns: Vec<usize> = points.iter().map(|p| p.0 as usize).collect();
    if points.len() < FIT_MIN_POINTS {
        return (None, Some(format!("too few points to fit (n = {ns:?}; need {FIT_MIN_POINTS})")));
    }
    match fit_power_law(points) {
        Ok(fit) if fit.h < 0.0 => (
            None,
            Some(format!(
                "the best fit over n = {ns:?} has h = {:.3} < 0, which is no entropy rate: the curve is not yet in \
                 the power-law regime",
                fit.h
            )),
        ),
        Ok(fit) => (Some(fit), None),
        Err(shannon_info::Error::NoConvergence(_)) => (
            None,
            Some(format!(
                "no decaying power law fits n = {ns:?}: the best exponent runs to the edge of the search (α → 0); \
                 the curve still falls without levelling off, so these data do not determine h"
            )),
        ),
        Err(err) => (None, Some(err.to_string())),
    }
}

fn extrapolate(orders: &[OrderEntry], game: &[GuessEntry]) -> Extrapolation {
    let used: Vec<&OrderEntry> = orders.iter().filter(|o| o.n >= FIT_FROM && o.supported).collect();
    let f = Estimator::ALL
        .iter()
        .map(|&e| {
            let points: Vec<(f64, f64)> = used.iter().filter_map(|o| o.f.get(e).map(|v| (o.n as f64, v))).collect();
            let (power_law, error) = power_law(&points);
            FitEntry {
                estimator: e.key().into(),
                orders: points.iter().map(|p| p.0 as usize).collect(),
                power_law,
                error,
            }
        })
        .collect();
    let cross_entropy = (!game.is_empty()).then(|| {
        // From FIT_FROM up to the order with the lowest cross-entropy: past it, longer contexts only measure
        // how sparse the training counts are, not the entropy rate.
        let all: Vec<(f64, f64)> = game
            .iter()
            .filter(|g| g.n >= FIT_FROM)
            .filter_map(|g| g.cross_entropy_bits.map(|c| (g.n as f64, c)))
            .collect();
        let best = all.iter().enumerate().min_by(|a, b| a.1 .1.total_cmp(&b.1 .1)).map_or(0, |(i, _)| i);
        let points = &all[..(best + 1).min(all.len())];
        let mut errors = Vec::new();
        let (power_law, error) = power_law(points);
        errors.extend(error.map(|e| format!("power law: {e}")));
        let stretched_exponential = if points.len() < FIT_MIN_POINTS {
            None
        } else {
            fit_stretched_exponential(points).map_err(|e| errors.push(format!("stretched exponential: {e}"))).ok()
        };
        CrossEntropyFits {
            orders: points.iter().map(|p| p.0 as usize).collect(),
            power_law,
            stretched_exponential,
            errors,
        }
    });
    Extrapolation {
        ansatz: format!(
            "F_n = h + A·n^(−α) (finite-size scaling, e.g. Schürmann & Grassberger 1996), least squares over the \
             supported n ≥ {FIT_FROM} (F_1 and F_2 are letter and digram frequencies, not the tail), at least \
             {FIT_MIN_POINTS} points; the guessing predictor's held-out cross-entropy over its orders n ≥ {FIT_FROM} \
             up to the order where it is lowest, also with the stretched exponential exp(A·n^(β−1) + h′), \
             h = exp(h′), of Takahira, Tanaka-Ishii & Dębowski 2016 (who fit it over text length; here over \
             context length). h is the extrapolated entropy rate, bits per symbol; rms the residual. A fit with \
             h < 0 is rejected."
        ),
        f,
        cross_entropy,
    }
}

fn fmt_opt(x: Option<f64>, width: usize, digits: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:>width$.digits$}"),
        _ => format!("{:>width$}", "—"),
    }
}

/// The human table printed on stdout: rows F_0..F_N, columns estimators, like Shannon's Table.
pub fn table(r: &EntropyReport) -> String {
    let mut s = String::new();
    let unit = if letter_like(r.tokenizer.kind) { "symbol" } else { "word" };
    let stream = match r.tokenizer.sentences {
        Sentences::None => "the whole text as one stream",
        Sentences::Lines => "blocks within lines",
    };
    let _ = writeln!(
        s,
        "{}: {} {} tokens ({}), |A| = {}, {}",
        r.corpus.name,
        r.text.tokens,
        r.tokenizer.kind.name(),
        stream,
        r.alphabet.size,
        r.alphabet.rule
    );
    let _ = writeln!(
        s,
        "F_N = H_N − H_(N−1), bits per {unit}; ±: {}; * unsupported (coverage < {})",
        if r.settings.nsb_jackknife {
            format!("block-jackknife standard error of NSB ({} groups)", r.settings.jackknife_groups)
        } else {
            "NSB's posterior standard deviation (--no-nsb-jackknife; it ignores the dependence of overlapping blocks)"
                .to_string()
        },
        r.settings.min_coverage
    );
    let shannon_col = r.orders.iter().any(|o| o.shannon_1951.is_some());
    let _ = write!(s, "{:>6}", "");
    for e in Estimator::ALL {
        let _ = write!(s, " {:>9}", e.label());
    }
    let _ = write!(s, " {:>8} {:>10} {:>8}", "±", "distinct", "coverage");
    if shannon_col {
        let _ = write!(s, " {:>8}", "Shannon");
    }
    let _ = writeln!(s);
    for o in &r.orders {
        let mark = if o.supported { ' ' } else { '*' };
        let _ = write!(s, "{:>5}{mark}", format!("F_{}", o.n));
        for e in Estimator::ALL {
            let _ = write!(s, " {}", fmt_opt(o.f.get(e), 9, 4));
        }
        let se = if o.n == 0 { None } else { o.f_se.nsb.or(o.nsb.and_then(|n| n.posterior_std_bits)) };
        let _ = write!(s, " {} {:>10} {:>8.4}", fmt_opt(se, 8, 4), o.distinct, o.coverage);
        if shannon_col {
            let _ = write!(s, " {}", fmt_opt(o.shannon_1951, 8, 2));
        }
        let _ = writeln!(s);
    }
    let sh = &r.shannon_1951;
    let _ = writeln!(
        s,
        "Shannon 1951: 27 letters F_0..F_3 {} {} {} {}, F_word {}; 26 letters {} {} {} {}, F_word {}",
        sh.f_27_letters[0],
        sh.f_27_letters[1],
        sh.f_27_letters[2],
        sh.f_27_letters[3],
        sh.f_27_letters[4],
        sh.f_26_letters[0],
        sh.f_26_letters[1],
        sh.f_26_letters[2],
        sh.f_26_letters[3],
        sh.f_26_letters[4]
    );
    if let Some(b) = &r.bits_per_letter {
        let l = b.mean_word_length;
        let _ = writeln!(
            s,
            "bits per letter (mean word length L = {l:.3} characters; Shannon divided by 4.5 and 5.5: F_word = {} and {}):",
            sh.f_26_letters[4], sh.f_27_letters[4]
        );
        let _ =
            writeln!(s, "{:>6} {:>10} {:>10} {:>10} {:>10}", "", "plug-in/L", "NSB/L", "plug-in/(L+1)", "NSB/(L+1)");
        for o in &r.orders {
            if let Some(p) = &o.f_per_letter {
                let _ = writeln!(
                    s,
                    "{:>6} {:>10.4} {} {:>13.4} {}",
                    format!("F_{}", o.n),
                    p.without_space.plugin,
                    fmt_opt(p.without_space.nsb, 10, 4),
                    p.with_space.plugin,
                    fmt_opt(p.with_space.nsb, 10, 4)
                );
            }
        }
    }

    let z = &r.zipf;
    let m = &z.shannon_model;
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Zipf: Shannon's p_n = 0.1/n, n ≤ {}: {:.3} bits/word (mass {:.4}; renormalized {:.3}; cut at mass 1, rank {}: {:.3}).",
        m.critical_rank, z.shannon_model_bits_per_word, m.mass, m.renormalized_bits_per_word, m.unit_mass_rank, m.unit_mass_bits_per_word
    );
    let _ = writeln!(
        s,
        "  He printed {:.2} bits/word (2.62 bits/letter): that does not follow from the model as stated.",
        z.published_bits_per_word
    );
    let _ = writeln!(
        s,
        "  this text: {} words, {} types, {:.3} characters/word ({})",
        z.tokens, z.types, z.mean_word_length, z.words
    );
    match &z.fit {
        Some(f) => {
            let _ = writeln!(
                s,
                "  Zipf–Mandelbrot fit p(r) ∝ (r + {:.3})^(−{:.4}) over {} ranks: {:.3} bits/word",
                f.q, f.s, f.ranks, f.entropy_bits
            );
        }
        None => {
            let _ = writeln!(s, "  Zipf–Mandelbrot fit: none ({})", z.fit_error.as_deref().unwrap_or("?"));
        }
    }
    let e = &z.empirical;
    let _ = writeln!(
        s,
        "  empirical word entropy: plug-in {:.3}, Miller–Madow {:.3}, Chao–Shen {:.3}, Grassberger {:.3}, NSB {}, jackknife {:.3} bits/word (coverage {:.4})",
        e.plugin,
        e.miller_madow,
        e.chao_shen,
        e.grassberger,
        fmt_opt(e.nsb, 0, 3),
        e.jackknife,
        z.empirical_coverage
    );

    if !r.guessing.is_empty() {
        let g0 = &r.guessing[0];
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Guessing game: order-N modified Kneser–Ney predictor trained on the first {} of {} lines; {} held-out symbols guessed, cross-entropy over {}",
            r.corpus.train_lines, r.corpus.lines, g0.symbols, g0.cross_entropy_symbols
        );
        let _ = writeln!(
            s,
            "{:>5} {:>8} {:>8} {:>10}   {:>14} {:>8}",
            "N", "upper", "lower", "cross-ent", "Shannon upper", "lower"
        );
        for g in &r.guessing {
            let _ = writeln!(
                s,
                "{:>5} {:>8.3} {:>8.3} {}   {} {}",
                g.n,
                g.upper,
                g.lower,
                fmt_opt(g.cross_entropy_bits, 10, 3),
                fmt_opt(g.shannon_upper, 14, 2),
                fmt_opt(g.shannon_lower, 8, 2)
            );
        }
        if r.tokenizer.kind == TokenKind::Letters {
            for p in sh.guessing.iter().filter(|p| p.n > r.guessing.len()) {
                let _ = writeln!(s, "{:>5} {:>8} {:>8} {:>10}   {:>14.2} {:>8.2}", p.n, "", "", "", p.upper, p.lower);
            }
        }
    }

    let _ = writeln!(s);
    let _ = writeln!(s, "Entropy rate, F_N = h + A·N^(−α) fitted over the supported N ≥ {FIT_FROM}:");
    let mut failed: Vec<&str> = Vec::new();
    for f in &r.extrapolation.f {
        match &f.power_law {
            Some(p) => {
                let _ = writeln!(
                    s,
                    "  {:<13} h = {:.3} bits/{unit} (A = {:.3}, α = {:.3}, rms {:.4}, N = {:?})",
                    f.estimator, p.h, p.a, p.alpha, p.rms, f.orders
                );
            }
            None => failed.push(&f.estimator),
        }
    }
    if let Some(first) = r.extrapolation.f.iter().find(|f| f.power_law.is_none()) {
        let _ = writeln!(s, "  no fit for {}: {}", failed.join(", "), first.error.as_deref().unwrap_or("?"));
    }
    if let Some(c) = &r.extrapolation.cross_entropy {
        if let Some(p) = &c.power_law {
            let _ = writeln!(
                s,
                "  cross-entropy h + A·N^(−α): h = {:.3} (A = {:.3}, α = {:.3}, rms {:.4}, N = {:?})",
                p.h, p.a, p.alpha, p.rms, c.orders
            );
        }
        if let Some(p) = &c.stretched_exponential {
            let _ = writeln!(
                s,
                "  cross-entropy exp(A·N^(β−1) + h′): h = {:.3} (A = {:.3}, β = {:.3}, rms {:.4})",
                p.h, p.a, p.beta, p.rms
            );
        }
        for e in &c.errors {
            let _ = writeln!(s, "  cross-entropy: no fit: {e}");
        }
    }
    s
}
