//! `shannon batch PLAN`: many corpora × settings from one plan file, resumable, with a summary across
//! corpora.
//!
//! A plan (TOML; example in `corpora/batch-example.toml`) names corpora — `paths` (one corpus made of these
//! files and directories) or `glob` (one corpus per matching file, named by its file stem) — and jobs
//! (`compare` and `entropy` runs with their settings; `tokens` may be a list, which multiplies the jobs).
//! Paths are relative to the plan file. The plan expands to corpora × jobs × tokenizers.
//!
//! Every job writes its report atomically to `reports/<plan>/<corpus>/<kind>-<tokens>.json` and then a
//! state file `reports/<plan>/.state/<corpus>--<kind>-<tokens>.json` holding the job's key: a SHA-256 of
//! the tool version, the job's settings and every input file's SHA-256. On the next run a job whose state
//! says done with the same key and whose report exists is skipped; anything else reruns. A run killed at
//! any moment therefore loses no finished job and leaves no half-written report (a job killed between its
//! report and its state file simply runs again). A failing job records its error in its state file; the
//! others go on, and the exit code says that something failed.
//!
//! `--jobs N` runs N jobs at once, each on its own rayon pool of threads/N workers.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use shannon_report::batch::{BatchSummary, BestModel, CorpusSummary, JobSummary, BATCH_SCHEMA};
use shannon_report::entropy::EntropyReport;
use shannon_report::CompareReport;
use shannon_tokens::{Sentences, TokenKind, Tokenizer};

use crate::compare::{self, CompareConfig, DEFAULT_ORDER};
use crate::entropy::{self, EntropyConfig};
use crate::memory::CountMemory;
use crate::progress::{Progress, Silent, Unit};
use crate::text::DEFAULT_HOLDOUT;
use crate::{ConfigError, Error, Inputs, Method, Result, TextConfig};

/// A plan file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Name: reports go to `reports/<name>/`.
    pub name: String,
    /// Corpora.
    #[serde(rename = "corpus")]
    pub corpora: Vec<CorpusSpec>,
    /// Jobs, applied to every corpus.
    #[serde(rename = "job")]
    pub jobs: Vec<JobSpec>,
}

/// One or several corpora.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusSpec {
    /// Name (required with `paths`; a prefix `name-` for `glob` matches).
    pub name: Option<String>,
    /// Files and directories forming one corpus.
    #[serde(default)]
    pub paths: Vec<String>,
    /// A glob: one corpus per matching file.
    pub glob: Option<String>,
    /// Held-out fraction of lines (default 0.1).
    pub holdout: Option<f64>,
    /// Separate test files (instead of a holdout).
    #[serde(default)]
    pub test: Vec<String>,
    /// A glob that matches nothing skips this corpus with a note instead of failing its jobs (for corpora
    /// that only some machines have, such as `../shared`).
    #[serde(default)]
    pub optional: bool,
}

/// One value or a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One.
    One(String),
    /// Several: the job is repeated for each.
    Many(Vec<String>),
}

impl OneOrMany {
    fn values(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// A job applied to every corpus.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum JobSpec {
    /// `shannon compare`.
    Compare {
        /// Tokenizers (default words).
        tokens: Option<OneOrMany>,
        /// Highest order (default 5).
        order: Option<usize>,
        /// Methods (default mkn).
        smoothing: Option<Vec<String>>,
        /// Fold case.
        #[serde(default)]
        lowercase: bool,
        /// `lines` (default) or `none`.
        sentences: Option<String>,
        /// Treat `<s>`, `</s>` and `<unk>` as whitespace (`--skip-symbols`).
        #[serde(default)]
        skip_symbols: bool,
    },
    /// `shannon entropy`.
    Entropy {
        /// Tokenizers (default letters).
        tokens: Option<OneOrMany>,
        /// Longest block (default by tokenizer).
        max_order: Option<usize>,
        /// Fold case.
        #[serde(default)]
        lowercase: bool,
    },
}

/// What an expanded job runs: a configuration made by the same constructor as the command line's.
#[derive(Debug, Clone)]
enum Work {
    Compare(CompareConfig),
    Entropy(EntropyConfig),
}

/// One expanded job.
#[derive(Debug, Clone)]
struct Job {
    id: String,
    corpus: String,
    kind: &'static str,
    tokens: String,
    inputs: Vec<PathBuf>,
    test: Vec<PathBuf>,
    settings: serde_json::Value,
    report: PathBuf,
    state: PathBuf,
    work: Work,
}

/// What a job's state file records.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    key: String,
    status: String,
    error: Option<String>,
    seconds: f64,
}

/// Batch options.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchConfig {
    /// The plan file.
    pub plan: PathBuf,
    /// Jobs at once.
    pub jobs: usize,
    /// Threads in all.
    pub threads: usize,
    /// Where `reports/` is.
    pub reports: PathBuf,
    /// The sorting budget, shared by the jobs that run at once, and where compare jobs keep their counts.
    pub memory: CountMemory,
}

impl BatchConfig {
    /// One job at a time on every thread of the current pool, reports under `reports/`.
    pub fn new(plan: PathBuf) -> BatchConfig {
        BatchConfig {
            plan,
            jobs: 1,
            threads: rayon::current_num_threads(),
            reports: PathBuf::from("reports"),
            memory: CountMemory::default(),
        }
    }

    /// Checks every setting (the plan's own settings are checked when it is read).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.jobs == 0 {
            return Err(ConfigError::new("jobs", "must be at least 1"));
        }
        if self.threads == 0 {
            return Err(ConfigError::new("threads", "must be at least 1"));
        }
        Ok(())
    }
}

/// The sentence rule a plan names.
fn sentences(name: &str) -> Result<Sentences, ConfigError> {
    match name {
        "lines" => Ok(Sentences::Lines),
        "none" => Ok(Sentences::None),
        other => Err(ConfigError::new("sentences", format!("must be lines or none, got '{other}'"))),
    }
}

/// The configuration of one job spec for one corpus and tokenizer, through the same constructors and
/// checks as the command line.
fn work(
    spec: &JobSpec,
    kind: TokenKind,
    corpus: &str,
    inputs: &[PathBuf],
    test: &[PathBuf],
    holdout: f64,
) -> Result<Work> {
    match spec {
        JobSpec::Compare { order, smoothing, lowercase, sentences: rule, skip_symbols, .. } => {
            let tokenizer = Tokenizer {
                kind,
                lowercase: *lowercase,
                sentences: sentences(rule.as_deref().unwrap_or("lines"))?,
                skip_symbols: *skip_symbols,
            };
            let inputs = if test.is_empty() {
                Inputs::Holdout { corpus: inputs.to_vec(), holdout }
            } else {
                Inputs::Files { train: inputs.to_vec(), test: test.to_vec() }
            };
            let mut config = CompareConfig::new(inputs, TextConfig { tokenizer, lossy: false });
            if let Some(order) = order {
                config.order = *order;
            }
            if let Some(methods) = smoothing {
                config.smoothing = methods.iter().map(|s| Method::parse(s)).collect::<Result<_, _>>()?;
            }
            config.name = Some(corpus.to_string());
            config.validate()?;
            Ok(Work::Compare(config))
        }
        JobSpec::Entropy { max_order, lowercase, .. } => {
            let tokenizer = Tokenizer { kind, lowercase: *lowercase, sentences: Sentences::None, skip_symbols: false };
            let mut config = EntropyConfig::new(inputs.to_vec(), TextConfig { tokenizer, lossy: false })
                .with_orders(*max_order, None);
            config.holdout = holdout;
            config.name = Some(corpus.to_string());
            config.validate()?;
            Ok(Work::Entropy(config))
        }
    }
}

/// Reads and expands a plan; every job's configuration is checked before anything runs.
/// A job spec's kind and its tokenizers (a list multiplies the job).
fn kind_and_tokens(spec: &JobSpec) -> (&'static str, Vec<String>) {
    match spec {
        JobSpec::Compare { tokens, .. } => ("compare", tokens.clone().map_or(vec!["words".into()], |t| t.values())),
        JobSpec::Entropy { tokens, .. } => ("entropy", tokens.clone().map_or(vec!["letters".into()], |t| t.values())),
    }
}

/// A glob that matched no files: the corpus it names runs no job.
#[derive(Debug, Clone)]
struct Unmatched {
    /// The corpus's name (its `name`, else the pattern).
    corpus: String,
    /// The pattern as the plan gives it.
    pattern: String,
    /// Skipped with a note rather than failed.
    optional: bool,
}

/// A plan expanded: its jobs, and the globs that matched nothing.
struct Expanded {
    plan: Plan,
    jobs: Vec<Job>,
    unmatched: Vec<Unmatched>,
}

fn expand(config: &BatchConfig) -> Result<Expanded> {
    let plan_path = &config.plan;
    let bad = |what: String| Error::Plan { plan: plan_path.clone(), what };
    let text =
        std::fs::read_to_string(plan_path).map_err(|e| Error::io(format!("cannot read {}", plan_path.display()), e))?;
    let plan: Plan = toml::from_str(&text).map_err(|e| {
        let line = e.span().map_or(String::new(), |r| format!("line {}: ", text[..r.start].lines().count().max(1)));
        bad(format!("not a valid plan: {line}{}", e.message().trim_end()))
    })?;
    // Names become directories and file names under reports/: nothing that leaves them or hides in them.
    let plain = |name: &str| !(name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.'));
    if !plain(&plan.name) {
        return Err(bad(format!("plan name '{}' must be a plain directory name", plan.name)));
    }
    let base = plan_path.parent().unwrap_or(Path::new("."));
    let resolve = |p: &str| if Path::new(p).is_absolute() { PathBuf::from(p) } else { base.join(p) };
    let mut corpora: Vec<(String, Vec<PathBuf>, Vec<PathBuf>, f64)> = Vec::new();
    let mut unmatched = Vec::new();
    for c in &plan.corpora {
        if let Some(name) = c.name.as_deref().filter(|n| !plain(n)) {
            return Err(bad(format!("corpus name '{name}' must be a plain directory name")));
        }
        let holdout = c.holdout.unwrap_or(DEFAULT_HOLDOUT);
        crate::text::check_holdout(holdout).map_err(|e| bad(format!("corpus {:?}: {e}", c.name)))?;
        let test: Vec<PathBuf> = c.test.iter().map(|p| resolve(p)).collect();
        match (&c.glob, c.paths.is_empty()) {
            (Some(pattern), true) => {
                let full = resolve(pattern);
                let mut matches: Vec<PathBuf> = glob::glob(&full.to_string_lossy())
                    .map_err(|e| bad(format!("bad glob '{pattern}': {e}")))?
                    .filter_map(|m| m.ok())
                    .filter(|p| p.is_file())
                    .collect();
                matches.sort();
                if matches.is_empty() {
                    // That corpus fails (or, optional, is skipped); the rest of the plan runs.
                    let corpus = c.name.clone().unwrap_or_else(|| pattern.clone());
                    unmatched.push(Unmatched { corpus, pattern: pattern.clone(), optional: c.optional });
                    continue;
                }
                for m in matches {
                    let stem = m.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                    let name = c.name.as_ref().map_or(stem.clone(), |n| format!("{n}-{stem}"));
                    corpora.push((name, vec![m], test.clone(), holdout));
                }
            }
            (None, false) => {
                let name = c.name.clone().ok_or_else(|| bad("a corpus with paths needs a name".into()))?;
                corpora.push((name, c.paths.iter().map(|p| resolve(p)).collect(), test, holdout));
            }
            _ => return Err(bad("each corpus needs either paths or glob".into())),
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (name, ..) in &corpora {
        if !seen.insert(name.clone()) {
            return Err(bad(format!("two corpora are named '{name}'")));
        }
    }
    let root = config.reports.join(&plan.name);
    let mut jobs = Vec::new();
    for (corpus, inputs, test, holdout) in &corpora {
        for (number, spec) in plan.jobs.iter().enumerate() {
            let (kind, tokens) = kind_and_tokens(spec);
            let settings = match spec {
                JobSpec::Compare { order, smoothing, lowercase, sentences, skip_symbols, .. } => {
                    let mut settings = serde_json::json!({
                        "order": order.unwrap_or(DEFAULT_ORDER),
                        "smoothing": smoothing.clone().unwrap_or_else(|| vec![compare::DEFAULT_SMOOTHING.to_string()]),
                        "lowercase": lowercase,
                        "sentences": sentences.clone().unwrap_or_else(|| "lines".into()),
                    });
                    // Only when set, so that the keys of plans written before it do not change.
                    if *skip_symbols {
                        settings["skip_symbols"] = true.into();
                    }
                    settings
                }
                JobSpec::Entropy { max_order, lowercase, .. } => {
                    serde_json::json!({ "max_order": max_order, "lowercase": lowercase })
                }
            };
            let job_error = |e: ConfigError| bad(format!("job {} ({kind}): {e}", number + 1));
            for t in tokens {
                let token_kind = match t.strip_prefix("tokenizer:") {
                    // A Hugging Face tokenizer.json, relative to the plan like the corpora; its SHA-256 is part
                    // of the job's key, so that another file with the same name reruns the job.
                    Some(path) => shannon_tokens::TokenizerFile::load(&resolve(path))
                        .map(TokenKind::Tokenizer)
                        .map_err(|e| job_error(ConfigError::new("tokens", format!("has a bad tokenizer file: {e}"))))?,
                    None => TokenKind::from_name(&t).ok_or_else(|| {
                        job_error(ConfigError::new("tokens", format!("has an unknown tokenizer '{t}'")))
                    })?,
                };
                let work = work(spec, token_kind, corpus, inputs, test, *holdout).map_err(|e| match e {
                    Error::Config(c) => job_error(c),
                    other => other,
                })?;
                let stem = format!("{kind}-{}", crate::text::name_part(&t));
                let mut settings = settings.clone();
                settings["tokens"] = t.clone().into();
                if let TokenKind::Tokenizer(file) = token_kind {
                    settings["tokenizer_sha256"] = file.sha256_hex().into();
                }
                settings["holdout"] = (*holdout).into();
                jobs.push(Job {
                    id: format!("{corpus}/{stem}"),
                    corpus: corpus.clone(),
                    kind,
                    tokens: t,
                    inputs: inputs.clone(),
                    test: test.clone(),
                    settings,
                    report: root.join(corpus).join(format!("{stem}.json")),
                    state: root.join(".state").join(format!("{corpus}--{stem}.json")),
                    work,
                });
            }
        }
    }
    Ok(Expanded { plan, jobs, unmatched })
}

/// Reads and expands a plan without running anything: the ids (`<corpus>/<kind>-<tokens>`) of the jobs it
/// would run, in order. The same checks as [`run`] makes before its first job, so a plan that passes here
/// fails only for what its jobs meet while running (unreadable or empty inputs).
pub fn check(config: &BatchConfig) -> Result<Vec<String>> {
    config.validate()?;
    let Expanded { jobs, .. } = expand(config)?;
    Ok(jobs.into_iter().map(|j| j.id).collect())
}

/// The job's key: tool version, settings, and every input file's SHA-256.
fn key(job: &Job) -> Result<String> {
    let files = shannon_corpus::files(&[job.inputs.as_slice(), job.test.as_slice()].concat())?;
    let mut material = format!("{}\n{}\n", env!("CARGO_PKG_VERSION"), job.settings);
    for f in files {
        let bytes = std::fs::read(&f).map_err(|e| Error::io(format!("cannot read {}", f.display()), e))?;
        let _ = writeln!(material, "{}\t{}", f.display(), shannon_corpus::sha256_hex(&bytes));
    }
    Ok(shannon_corpus::sha256_hex(material.as_bytes()))
}

fn read_state(path: &Path) -> Option<State> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Runs one job on its own pool of `threads`, within `memory` where it keeps counts on disk, and writes its
/// report.
fn run_job(job: &Job, threads: usize, memory: &CountMemory) -> Result<()> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::io("cannot start worker threads", std::io::Error::other(e)))?;
    let dir = job.report.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    let report = pool.install(|| -> Result<Vec<u8>> {
        Ok(match &job.work {
            Work::Compare(config) => {
                let memory = if config.counts_on_disk() { memory.clone() } else { config.memory.clone() };
                shannon_report::to_json(&compare::run(&CompareConfig { threads, memory, ..config.clone() }, &Silent)?)
            }
            Work::Entropy(config) => {
                let memory = memory.clone();
                shannon_report::to_json(&entropy::run(&EntropyConfig { threads, memory, ..config.clone() }, &Silent)?)
            }
        })
    })?;
    Ok(shannon_report::write_atomic(&job.report, &report)?)
}

/// Removes temporary files a killed run may have left (ours only: `.shannon-*.tmp`).
fn clean_temp(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            clean_temp(&p);
        } else if name.starts_with(".shannon-") && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Runs one job unless its state says it is done with the same key; returns its status and error.
fn run_or_skip(job: &Job, threads: usize, memory: &CountMemory, start: Instant) -> (&'static str, Option<String>) {
    let k = match key(job) {
        Ok(k) => k,
        Err(e) => return ("failed", Some(chain(&e))),
    };
    if read_state(&job.state).is_some_and(|s| s.status == "done" && s.key == k) && job.report.is_file() {
        return ("skipped", None);
    }
    let (status, error) = match run_job(job, threads, memory) {
        Ok(()) => ("done", None),
        Err(e) => ("failed", Some(chain(&e))),
    };
    let state = State { key: k, status: status.into(), error: error.clone(), seconds: start.elapsed().as_secs_f64() };
    match shannon_report::write_atomic(&job.state, &shannon_report::to_json(&state)) {
        Ok(()) => (status, error),
        Err(e) => ("failed", Some(chain(&Error::from(e)))),
    }
}

/// An error with its sources, as one line: `context: cause: cause`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let _ = write!(s, ": {cause}");
        source = cause.source();
    }
    s
}

/// Runs a plan. Returns the summary (also written to `reports/<plan>/summary.json` and `summary.md`).
/// Each finished job is said through `progress` as one line: `<status> <id> (<seconds> s)[: <error>]`.
pub fn run(config: &BatchConfig, progress: &dyn Progress) -> Result<BatchSummary> {
    config.validate()?;
    let Expanded { plan, jobs, unmatched } = expand(config)?;
    let root = config.reports.join(&plan.name);
    let state_dir = root.join(".state");
    std::fs::create_dir_all(&state_dir).map_err(|e| Error::io(format!("cannot create {}", root.display()), e))?;
    clean_temp(&root);
    let workers = config.jobs.clamp(1, jobs.len().max(1));
    let threads = (config.threads / workers).max(1);
    // One budget for the jobs that run at once: each gets its share.
    let (budget, why) = config.memory.budget();
    let shared = if workers > 1 { format!("{why}, shared by {workers} jobs at once") } else { why };
    let memory = CountMemory {
        memory: Some(budget / workers as u64),
        temp_dir: config.memory.temp_dir.clone(),
        why: Some(shared),
    };
    progress.begin("jobs", Some(jobs.len() as u64), Unit::Steps);
    let started = Instant::now();
    let queue: Mutex<VecDeque<usize>> = Mutex::new((0..jobs.len()).collect());
    let results: Mutex<BTreeMap<usize, JobSummary>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                // A poisoned lock means another worker panicked; its job is lost either way.
                let Some(i) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front() else { break };
                let job = &jobs[i];
                let start = Instant::now();
                let (status, error) = run_or_skip(job, threads, &memory, start);
                let seconds = start.elapsed().as_secs_f64();
                progress.message(&match &error {
                    Some(e) => format!("{:<8} {} ({seconds:.1} s): {e}", status, job.id),
                    None => format!("{:<8} {} ({seconds:.1} s)", status, job.id),
                });
                progress.advance(1);
                results.lock().unwrap_or_else(|e| e.into_inner()).insert(
                    i,
                    JobSummary {
                        id: job.id.clone(),
                        corpus: job.corpus.clone(),
                        kind: job.kind.into(),
                        tokens: job.tokens.clone(),
                        status: status.into(),
                        error,
                        report: job.report.strip_prefix(&config.reports).unwrap_or(&job.report).display().to_string(),
                        seconds,
                    },
                );
            });
        }
    });
    progress.end("jobs", started.elapsed().as_secs_f64());
    let mut jobs_summary: Vec<JobSummary> =
        results.into_inner().unwrap_or_else(|e| e.into_inner()).into_values().collect();
    let mut corpora = summarize(&jobs, &jobs_summary);
    for u in &unmatched {
        let why = format!("glob '{}' matches no files", u.pattern);
        if u.optional {
            progress.message(&format!("{:<8} {} ({why}; the corpus is optional)", "skipped", u.corpus));
            continue;
        }
        for spec in &plan.jobs {
            let (kind, tokens) = kind_and_tokens(spec);
            for t in tokens {
                let id = format!("{}/{kind}-{}", u.corpus, crate::text::name_part(&t));
                progress.message(&format!("{:<8} {id} (0.0 s): {why}", "failed"));
                jobs_summary.push(JobSummary {
                    id,
                    corpus: u.corpus.clone(),
                    kind: kind.into(),
                    tokens: t,
                    status: "failed".into(),
                    error: Some(why.clone()),
                    report: String::new(),
                    seconds: 0.0,
                });
            }
        }
        corpora.push(CorpusSummary { corpus: u.corpus.clone(), ..Default::default() });
    }
    let failed = jobs_summary.iter().filter(|j| j.status == "failed").count();
    let summary = BatchSummary {
        schema: BATCH_SCHEMA.into(),
        plan: plan.name.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        jobs: jobs_summary,
        corpora,
        failed,
    };
    shannon_report::write_atomic(&root.join("summary.json"), &shannon_report::to_json(&summary))?;
    shannon_report::write_atomic(&root.join("summary.md"), markdown(&summary).as_bytes())?;
    Ok(summary)
}

/// Adds a compare report's models to its corpus's line: the lowest held-out bits per character wins.
fn add_compare(entry: &mut CorpusSummary, tokens: &str, report: &CompareReport) {
    for m in &report.models {
        let (Some(bpc), Some(ppl)) = (m.test.bits_per_char, m.test.perplexity) else { continue };
        if entry.best.as_ref().is_none_or(|b| bpc < b.bits_per_char) {
            entry.best = Some(BestModel {
                tokens: tokens.to_string(),
                order: m.order,
                smoothing: m.smoothing.clone(),
                perplexity: ppl,
                bits_per_char: bpc,
            });
        }
    }
}

/// Adds a letters entropy report to its corpus's line: F_n for n ≥ 1 by plug-in and NSB, and the entropy
/// rate — from the guessing predictor's cross-entropy where that was fitted, else from NSB's F_n.
fn add_letters(entry: &mut CorpusSummary, report: &EntropyReport) {
    let orders = report.orders.iter().filter(|o| o.n >= 1);
    entry.letters_f_plugin = orders.clone().map(|o| o.f.plugin).collect();
    entry.letters_f_nsb = orders.filter_map(|o| o.f.nsb).collect();
    let from_cross_entropy = report.extrapolation.cross_entropy.as_ref().and_then(|c| c.power_law.as_ref());
    if let Some(fit) = from_cross_entropy {
        entry.entropy_rate = Some(fit.h);
        entry.entropy_rate_from = Some("held-out cross-entropy of the guessing predictor, h + A·n^(−α)".into());
    } else if let Some(fit) =
        report.extrapolation.f.iter().find(|e| e.estimator == "nsb").and_then(|e| e.power_law.as_ref())
    {
        entry.entropy_rate = Some(fit.h);
        entry.entropy_rate_from = Some("NSB F_n, h + A·n^(−α)".into());
    }
}

fn summarize(jobs: &[Job], done: &[JobSummary]) -> Vec<CorpusSummary> {
    let mut out: BTreeMap<String, CorpusSummary> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for (job, s) in jobs.iter().zip(done) {
        let entry = out.entry(job.corpus.clone()).or_insert_with(|| {
            order.push(job.corpus.clone());
            CorpusSummary { corpus: job.corpus.clone(), ..Default::default() }
        });
        if s.status == "failed" {
            continue;
        }
        match job.kind {
            "compare" => {
                if let Some(r) = crate::text::read_report::<CompareReport>(&job.report) {
                    add_compare(entry, &job.tokens, &r);
                }
            }
            "entropy" if job.tokens == "letters" => {
                if let Some(r) = crate::text::read_report::<EntropyReport>(&job.report) {
                    add_letters(entry, &r);
                }
            }
            _ => {}
        }
    }
    order.into_iter().filter_map(|c| out.remove(&c)).collect()
}

/// The summary as a Markdown table (`summary.md`).
pub fn markdown(s: &BatchSummary) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "# Plan {}: {} jobs, {} failed\n", s.plan, s.jobs.len(), s.failed);
    let _ = writeln!(t, "| corpus | best model | perplexity | bits/char | letters F1 / F2 / F3 / F4 (plug-in) | F4 (NSB) | entropy rate (bits/letter) |");
    let _ = writeln!(t, "|---|---|---:|---:|---|---:|---:|");
    for c in &s.corpora {
        let (model, ppl, bpc) = match &c.best {
            Some(b) => (
                format!("{} order {} {}", b.tokens, b.order, b.smoothing),
                format!("{:.2}", b.perplexity),
                format!("{:.4}", b.bits_per_char),
            ),
            None => ("—".into(), "—".into(), "—".into()),
        };
        let f: Vec<String> = c.letters_f_plugin.iter().take(4).map(|x| format!("{x:.3}")).collect();
        let f = if f.is_empty() { "—".into() } else { f.join(" / ") };
        let nsb = c.letters_f_nsb.get(3).map_or("—".into(), |x| format!("{x:.3}"));
        let rate = c.entropy_rate.map_or("—".into(), |h| format!("{h:.3}"));
        let _ = writeln!(t, "| {} | {model} | {ppl} | {bpc} | {f} | {nsb} | {rate} |", c.corpus);
    }
    let failed: Vec<&JobSummary> = s.jobs.iter().filter(|j| j.status == "failed").collect();
    if !failed.is_empty() {
        let _ = writeln!(t, "\nFailed jobs:\n");
        for j in failed {
            let _ = writeln!(t, "- {}: {}", j.id, j.error.as_deref().unwrap_or(""));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_plan(plan: &str) -> Result<Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "a line\n").unwrap();
        let path = dir.path().join("plan.toml");
        std::fs::write(&path, plan).unwrap();
        let mut config = BatchConfig::new(path);
        config.reports = dir.path().join("reports");
        check(&config)
    }

    #[test]
    fn a_plan_is_checked_without_running() {
        let plan = "name = \"p\"\n[[corpus]]\nname = \"a\"\npaths = [\"a.txt\"]\n[[job]]\nkind = \"compare\"\ntokens = [\"words\", \"chars\"]\n";
        assert_eq!(check_plan(plan).unwrap(), ["a/compare-words", "a/compare-chars"]);
    }

    /// Found writing the plan fuzz target: a corpus name is a directory under reports/<plan>/, and was taken
    /// as it was, so `name = "../../x"` wrote reports outside it (and `.state` over the state files).
    #[test]
    fn corpus_names_are_plain_directory_names() {
        for name in ["../../x", "a/b", ".state", "", "a\\\\b"] {
            let plan = format!(
                "name = \"p\"\n[[corpus]]\nname = \"{name}\"\npaths = [\"a.txt\"]\n[[job]]\nkind = \"entropy\"\n"
            );
            let e = check_plan(&plan).unwrap_err().to_string();
            assert!(e.contains("must be a plain directory name"), "{name}: {e}");
        }
    }
}
