//! The jobs as Python functions: `compare`, `build`, `score`, `entropy`, `kl`. Keyword arguments are the
//! command line's flags with `_` for `-`, with the same defaults (taken from `shannon_jobs`, where they are
//! written once) and the same checks (`validate`); each returns the report the command writes, as a `dict`
//! of the JSON schema's shape. A report is written to a file only when `output` is given (atomically, as
//! the binary writes it).

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};
use serde::Serialize;
use shannon_jobs::text::{self, TokenizerChoice};
use shannon_jobs::{build as build_job, compare as compare_job, entropy as entropy_job, kl as kl_job};
use shannon_jobs::{score as score_job, Inputs, Method, TextConfig};
use shannon_model::Smoothing;
use shannon_tokens::{Sentences, TokenKind, Tokenizer};

use crate::errors::{self, to_py};
use crate::run::{run, Options};

/// One path (`str` or `os.PathLike`) or a list of them.
fn paths(obj: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    if let Ok(one) = obj.extract::<PathBuf>() {
        return Ok(vec![one]);
    }
    let mut out = Vec::new();
    for item in obj.try_iter()? {
        out.push(item?.extract::<PathBuf>()?);
    }
    Ok(out)
}

fn optional_paths(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<PathBuf>> {
    obj.map_or(Ok(Vec::new()), paths)
}

/// `--tokens KIND`.
fn token_kind(name: &str) -> PyResult<TokenKind> {
    TokenKind::from_name(name).ok_or_else(|| {
        let names: Vec<_> = TokenKind::ALL.iter().map(|k| k.name()).collect();
        errors::value("tokens", format!("got unknown tokenizer '{name}' (expected one of: {})", names.join(", ")))
    })
}

/// `--sentences lines|none`.
fn sentences(name: &str) -> PyResult<Sentences> {
    match name {
        "lines" => Ok(Sentences::Lines),
        "none" => Ok(Sentences::None),
        other => Err(errors::value("sentences", format!("got '{other}' (expected lines or none)"))),
    }
}

/// `--smoothing` of compare: `"mkn,wb"` or `["mkn", "wb"]`.
fn methods(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Method>> {
    let names: Vec<String> = match obj.extract::<String>() {
        Ok(s) => s.split(',').map(str::to_string).collect(),
        Err(_) => obj.extract()?,
    };
    names.iter().map(|n| Method::parse(n.trim()).map_err(|e| errors::value("smoothing", e.problem))).collect()
}

/// `--smoothing` of build and kl: one method.
fn smoothing(name: &str) -> PyResult<Smoothing> {
    Smoothing::parse(name).map_err(|e| errors::value("smoothing", e))
}

/// The text settings every job shares, with the defaults of jobs that train (`text::DEFAULT_TOKENIZER`).
fn text_config(
    tokens: Option<&str>,
    lowercase: bool,
    sentences_: Option<&str>,
    skip_symbols: bool,
    lossy: bool,
    default: Tokenizer,
) -> PyResult<TextConfig> {
    Ok(TextConfig {
        tokenizer: Tokenizer {
            kind: tokens.map(token_kind).transpose()?.unwrap_or(default.kind),
            lowercase,
            sentences: sentences_.map(sentences).transpose()?.unwrap_or(default.sentences),
            skip_symbols,
        },
        lossy,
    })
}

/// A report as a `dict`: its JSON, as the command line writes it, read back by Python's `json` module (so
/// the dict is exactly the file's content, non-finite numbers as `None` included).
fn to_dict<'py>(py: Python<'py>, report: &impl Serialize) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_string(report)
        .map_err(|e| errors::Error::new_err(format!("internal error: a report does not serialize: {e}")))?;
    py.import("json")?.call_method1("loads", (PyString::new(py, &json),))
}

/// Writes `report` to `output` atomically, when given.
fn write(output: Option<&PathBuf>, report: &impl Serialize) -> PyResult<()> {
    if let Some(path) = output {
        shannon_report::write_atomic(path, &shannon_report::to_json(report))
            .map_err(|e| to_py(shannon_jobs::Error::from(e)))?;
    }
    Ok(())
}

/// `memory=`: bytes, or a size such as `"1G"` as `--memory` takes it.
fn size(memory: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
    let Some(m) = memory else { return Ok(None) };
    match m.extract::<u64>() {
        Ok(bytes) => Ok(Some(bytes)),
        Err(_) => Ok(Some(build_job::parse_size(&m.extract::<String>()?).map_err(|e| errors::value("memory", e))?)),
    }
}

fn threads_of(options: &Options) -> usize {
    options.threads.unwrap_or_else(rayon::current_num_threads)
}

/// Train models of every order 1..=`order` with one or more smoothing methods and compare them on held-out
/// text; returns the `shannon.compare/1` report as a dict.
///
/// `corpus`: a path or a list of paths (the last `holdout` fraction of lines is the test set), or None for
/// the built-in default corpus; or `train=` and `test=` instead. `smoothing`: `"mkn,wb"` or a list.
/// Other keywords are the command line's flags (`shannon compare --help`). Writes the report to `output`
/// only when given. Progress on stderr only with `progress=True`; warnings and the choices made go to
/// stderr unless `quiet=True` (the report records them too).
#[pyfunction]
#[pyo3(signature = (corpus=None, *, train=None, test=None, holdout=text::DEFAULT_HOLDOUT,
    order=compare_job::DEFAULT_ORDER, smoothing=None, prune=Vec::new(), temperatures=Vec::new(), tokens=None,
    lowercase=false, sentences=None, skip_symbols=false, lossy=false, name=None, output=None, memory=None,
    temp_dir=None, threads=None, progress=false, quiet=false))]
#[allow(clippy::too_many_arguments)]
pub fn compare<'py>(
    py: Python<'py>,
    corpus: Option<&Bound<'py, PyAny>>,
    train: Option<&Bound<'py, PyAny>>,
    test: Option<&Bound<'py, PyAny>>,
    holdout: f64,
    order: usize,
    smoothing: Option<&Bound<'py, PyAny>>,
    prune: Vec<f64>,
    temperatures: Vec<f64>,
    tokens: Option<&str>,
    lowercase: bool,
    sentences: Option<&str>,
    skip_symbols: bool,
    lossy: bool,
    name: Option<String>,
    output: Option<PathBuf>,
    memory: Option<&Bound<'py, PyAny>>,
    temp_dir: Option<PathBuf>,
    threads: Option<usize>,
    progress: bool,
    quiet: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let options = Options { threads, progress, quiet };
    let (corpus, train, test) = (optional_paths(corpus)?, optional_paths(train)?, optional_paths(test)?);
    let inputs = match (corpus.is_empty(), train.is_empty(), test.is_empty()) {
        (true, false, false) => Inputs::Files { train, test },
        (_, false, true) => return Err(errors::value("train", "needs --test (or give the corpus and use --holdout)")),
        (false, false, _) => return Err(errors::value("train", "cannot be used with a corpus")),
        (false, true, true) => Inputs::Holdout { corpus, holdout },
        (false, true, false) => Inputs::Files { train: corpus, test },
        (true, true, false) => return Err(errors::value("test", "needs a training corpus (corpus or train=)")),
        (true, true, true) => Inputs::Default,
    };
    let text = text_config(tokens, lowercase, sentences, skip_symbols, lossy, text::DEFAULT_TOKENIZER)?;
    let mut config = compare_job::CompareConfig::new(inputs, text);
    config.order = order;
    if let Some(s) = smoothing {
        config.smoothing = methods(s)?;
    }
    config.temperatures = temperatures;
    config.prune = prune;
    config.name = name;
    config.memory = build_job::CountMemory { memory: size(memory)?, temp_dir, why: None };
    config.threads = threads_of(&options);
    // Checked even where it is not used, as on the command line.
    text::check_holdout(holdout).map_err(|e| to_py(e.into()))?;
    config.validate().map_err(|e| to_py(e.into()))?;
    let report = run(py, options, |p| compare_job::run(&config, p))?;
    write(output.as_ref(), &report)?;
    to_dict(py, &report)
}

/// Train one model on a whole corpus and write it to `output` as ARPA (`format="arpa"`) or in shannon's
/// binary format (`format="binary"`, or `"binary-f32"` with values rounded to f32); returns the model's summary (`ngrams` per order, `discounts`,
/// `vocab`) as a dict. `memory` (bytes, or a size such as `"1G"`) bounds counting and, for ARPA, estimating.
#[pyfunction]
#[pyo3(signature = (corpus, *, output, order=build_job::DEFAULT_ORDER, smoothing="mkn", tokens=None,
    lowercase=false, sentences=None, skip_symbols=false, lossy=false, format="arpa", memory=None, temp_dir=None,
    threads=None, progress=false, quiet=false))]
#[allow(clippy::too_many_arguments)]
pub fn build<'py>(
    py: Python<'py>,
    corpus: &Bound<'py, PyAny>,
    output: PathBuf,
    order: usize,
    smoothing: &str,
    tokens: Option<&str>,
    lowercase: bool,
    sentences: Option<&str>,
    skip_symbols: bool,
    lossy: bool,
    format: &str,
    memory: Option<&Bound<'py, PyAny>>,
    temp_dir: Option<PathBuf>,
    threads: Option<usize>,
    progress: bool,
    quiet: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let options = Options { threads, progress, quiet };
    let text = text_config(tokens, lowercase, sentences, skip_symbols, lossy, text::DEFAULT_TOKENIZER)?;
    let mut config = build_job::BuildConfig::new(paths(corpus)?, text, output);
    config.order = order;
    config.smoothing = self::smoothing(smoothing)?;
    config.format = match format {
        "arpa" => build_job::Format::Arpa,
        "binary" => build_job::Format::Binary,
        "binary-f32" => build_job::Format::BinaryF32,
        other => return Err(errors::value("format", format!("got '{other}' (expected arpa, binary or binary-f32)"))),
    };
    config.memory = build_job::CountMemory { memory: size(memory)?, temp_dir, why: None };
    config.validate().map_err(|e| to_py(e.into()))?;
    let summary = run(py, options, |p| build_job::run(&config, p))?;
    let out = to_dict(py, &summary)?;
    out.set_item("output", config.output.display().to_string())?;
    out.set_item("order", config.order)?;
    Ok(out)
}

/// Score text with a model file (ARPA — KenLM's, SRILM's or shannon's; plain or compressed — or shannon's
/// binary format); returns the `shannon.score/1` report as a dict, or with `per_sentence=True` a list of
/// one dict per sentence (`sentence`, `log10_prob`, `tokens`, `oov`), as `shannon score --per-sentence`
/// writes them. The tokenizer is the one the model records unless given; one that contradicts it is a
/// `ValueError` unless `force_tokens=True`.
#[pyfunction]
#[pyo3(signature = (model, text, *, tokens=None, lowercase=false, sentences=None, skip_symbols=false,
    lossy=false, per_sentence=false, force_tokens=false, temperature=1.0, output=None, threads=None,
    progress=false, quiet=false))]
#[allow(clippy::too_many_arguments)]
pub fn score<'py>(
    py: Python<'py>,
    model: PathBuf,
    text: &Bound<'py, PyAny>,
    tokens: Option<&str>,
    lowercase: bool,
    sentences: Option<&str>,
    skip_symbols: bool,
    lossy: bool,
    per_sentence: bool,
    force_tokens: bool,
    temperature: f64,
    output: Option<PathBuf>,
    threads: Option<usize>,
    progress: bool,
    quiet: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let options = Options { threads, progress, quiet };
    let choice = TokenizerChoice {
        kind: tokens.map(token_kind).transpose()?,
        lowercase: lowercase.then_some(true),
        sentences: sentences.map(self::sentences).transpose()?,
        skip_symbols: skip_symbols.then_some(true),
        force: force_tokens,
    };
    let mut config = score_job::ScoreConfig::new(model, paths(text)?, choice);
    config.lossy = lossy;
    config.per_sentence = per_sentence;
    config.temperature = temperature;
    config.validate().map_err(|e| to_py(e.into()))?;
    let scored = run(py, options, |p| score_job::run(&config, p))?;
    if per_sentence {
        let lines = score_job::sentences_jsonl(&scored.sentences);
        if let Some(path) = &output {
            shannon_report::write_atomic(path, &lines).map_err(|e| to_py(e.into()))?;
        }
        let list = PyList::empty(py);
        let json = py.import("json")?;
        for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            list.append(json.call_method1("loads", (PyString::new(py, &String::from_utf8_lossy(line)),))?)?;
        }
        return Ok(list.into_any());
    }
    write(output.as_ref(), &scored.report)?;
    to_dict(py, &scored.report)
}

/// Shannon-style entropy of a corpus: block entropies F_0..F_N with every estimator, Zipf, the guessing
/// game, the entropy rate; returns the `shannon.entropy/1` report as a dict. Defaults as
/// `shannon entropy`: Shannon's 27 letters, the text as one stream. `memory` (bytes, or a size such as
/// `"1G"`) bounds the block counts and the guessing game as `--memory` does.
#[pyfunction]
#[pyo3(signature = (corpus, *, tokens="letters", lowercase=false, sentences="none", skip_symbols=false,
    lossy=false, max_order=None, groups=shannon_eval::entropy::DEFAULT_GROUPS,
    min_coverage=shannon_eval::entropy::DEFAULT_MIN_COVERAGE, no_nsb_jackknife=false, guess_order=None,
    guess_limit=entropy_job::DEFAULT_GUESS_LIMIT, holdout=text::DEFAULT_HOLDOUT, memory=None, temp_dir=None,
    name=None, output=None, threads=None, progress=false, quiet=false))]
#[allow(clippy::too_many_arguments)]
pub fn entropy<'py>(
    py: Python<'py>,
    corpus: &Bound<'py, PyAny>,
    tokens: &str,
    lowercase: bool,
    sentences: &str,
    skip_symbols: bool,
    lossy: bool,
    max_order: Option<usize>,
    groups: usize,
    min_coverage: f64,
    no_nsb_jackknife: bool,
    guess_order: Option<usize>,
    guess_limit: u64,
    holdout: f64,
    memory: Option<&Bound<'py, PyAny>>,
    temp_dir: Option<PathBuf>,
    name: Option<String>,
    output: Option<PathBuf>,
    threads: Option<usize>,
    progress: bool,
    quiet: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let options = Options { threads, progress, quiet };
    let tokenizer =
        Tokenizer { kind: token_kind(tokens)?, lowercase, sentences: self::sentences(sentences)?, skip_symbols };
    let corpus = paths(corpus)?;
    let mut config =
        entropy_job::EntropyConfig::new(corpus, TextConfig { tokenizer, lossy }).with_orders(max_order, guess_order);
    config.groups = groups;
    config.min_coverage = min_coverage;
    config.nsb_jackknife = !no_nsb_jackknife;
    config.guess_limit = guess_limit;
    config.holdout = holdout;
    config.memory = build_job::CountMemory { memory: size(memory)?, temp_dir, why: None };
    config.name = name;
    config.threads = threads_of(&options);
    config.true_rate = entropy_job::true_rate_beside(&config.corpus);
    config.validate().map_err(|e| to_py(e.into()))?;
    let report = run(py, options, |p| entropy_job::run(&config, p))?;
    write(output.as_ref(), &report)?;
    to_dict(py, &report)
}

/// Divergence between two texts (or two ARPA models): KL both ways, Jensen–Shannon, cross-entropies and
/// the words behind them; returns the `shannon.kl/1` report as a dict.
#[pyfunction]
#[pyo3(signature = (p, q, *, order=kl_job::DEFAULT_ORDER, smoothing="mkn", tokens=None, lowercase=false,
    sentences=None, skip_symbols=false, lossy=false, top=kl_job::DEFAULT_TOP, output=None, threads=None,
    progress=false, quiet=false))]
#[allow(clippy::too_many_arguments)]
pub fn kl<'py>(
    py: Python<'py>,
    p: PathBuf,
    q: PathBuf,
    order: usize,
    smoothing: &str,
    tokens: Option<&str>,
    lowercase: bool,
    sentences: Option<&str>,
    skip_symbols: bool,
    lossy: bool,
    top: usize,
    output: Option<PathBuf>,
    threads: Option<usize>,
    progress: bool,
    quiet: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let options = Options { threads, progress, quiet };
    let text = text_config(tokens, lowercase, sentences, skip_symbols, lossy, text::DEFAULT_TOKENIZER)?;
    let mut config = kl_job::KlConfig::new(vec![p], vec![q], text);
    (config.order, config.smoothing, config.top) = (order, self::smoothing(smoothing)?, top);
    config.validate().map_err(|e| to_py(e.into()))?;
    let report = run(py, options, |pr| kl_job::run(&config, pr))?;
    write(output.as_ref(), &report)?;
    to_dict(py, &report)
}
