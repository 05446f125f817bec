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

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use shannon_tokens::{Sentences, TokenKind, Tokenizer};

use crate::compare::{self, CompareConfig};
use crate::entropy::{self, EntropyConfig};
use crate::progress::Progress;
use crate::{Inputs, Method, TextConfig};

/// The schema tag of batch summaries.
pub const BATCH_SCHEMA: &str = "shannon.batch/1";

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

/// One expanded job.
#[derive(Debug, Clone)]
struct Job {
    id: String,
    corpus: String,
    kind: &'static str,
    tokens: String,
    inputs: Vec<PathBuf>,
    test: Vec<PathBuf>,
    holdout: f64,
    settings: serde_json::Value,
    report: PathBuf,
    state: PathBuf,
    spec: JobSpec,
}

/// What a job's state file records.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    key: String,
    status: String,
    error: Option<String>,
    seconds: f64,
}

/// One job's line in the summary.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// Batch options.
#[derive(Debug, Clone)]
pub struct BatchConfig {
    /// The plan file.
    pub plan: PathBuf,
    /// Jobs at once.
    pub jobs: usize,
    /// Threads in all.
    pub threads: usize,
    /// Where `reports/` is.
    pub reports: PathBuf,
}

fn kind_of(name: &str) -> Result<TokenKind> {
    TokenKind::from_name(name).with_context(|| format!("unknown tokenizer '{name}'"))
}

/// Reads and expands a plan.
fn expand(config: &BatchConfig) -> Result<(Plan, Vec<Job>)> {
    let text =
        std::fs::read_to_string(&config.plan).with_context(|| format!("cannot read {}", config.plan.display()))?;
    let plan: Plan = toml::from_str(&text).with_context(|| format!("{}: not a valid plan", config.plan.display()))?;
    if plan.name.is_empty() || plan.name.contains(['/', '\\']) || plan.name.starts_with('.') {
        bail!("{}: plan name '{}' must be a plain directory name", config.plan.display(), plan.name);
    }
    let base = config.plan.parent().unwrap_or(Path::new("."));
    let resolve = |p: &str| if Path::new(p).is_absolute() { PathBuf::from(p) } else { base.join(p) };
    let mut corpora: Vec<(String, Vec<PathBuf>, Vec<PathBuf>, f64)> = Vec::new();
    for c in &plan.corpora {
        let holdout = c.holdout.unwrap_or(0.1);
        if !(holdout > 0.0 && holdout < 1.0) {
            bail!("{}: corpus {:?}: holdout must be strictly between 0 and 1", config.plan.display(), c.name);
        }
        let test: Vec<PathBuf> = c.test.iter().map(|p| resolve(p)).collect();
        match (&c.glob, c.paths.is_empty()) {
            (Some(pattern), true) => {
                let full = resolve(pattern);
                let mut matches: Vec<PathBuf> = glob::glob(&full.to_string_lossy())
                    .with_context(|| format!("{}: bad glob '{pattern}'", config.plan.display()))?
                    .filter_map(|m| m.ok())
                    .filter(|p| p.is_file())
                    .collect();
                matches.sort();
                if matches.is_empty() {
                    bail!("{}: glob '{pattern}' matches no files", config.plan.display());
                }
                for m in matches {
                    let stem = m.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                    let name = c.name.as_ref().map_or(stem.clone(), |n| format!("{n}-{stem}"));
                    corpora.push((name, vec![m], test.clone(), holdout));
                }
            }
            (None, false) => {
                let name = c
                    .name
                    .clone()
                    .with_context(|| format!("{}: a corpus with paths needs a name", config.plan.display()))?;
                corpora.push((name, c.paths.iter().map(|p| resolve(p)).collect(), test, holdout));
            }
            _ => bail!("{}: each corpus needs either paths or glob", config.plan.display()),
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (name, ..) in &corpora {
        if !seen.insert(name.clone()) {
            bail!("{}: two corpora are named '{name}'", config.plan.display());
        }
    }
    let root = config.reports.join(&plan.name);
    let mut jobs = Vec::new();
    for (corpus, inputs, test, holdout) in &corpora {
        for spec in &plan.jobs {
            let (kind, tokens, settings) = match spec {
                JobSpec::Compare { tokens, order, smoothing, lowercase, sentences } => (
                    "compare",
                    tokens.clone().map_or(vec!["words".into()], |t| t.values()),
                    serde_json::json!({
                        "order": order.unwrap_or(5),
                        "smoothing": smoothing.clone().unwrap_or_else(|| vec!["mkn".into()]),
                        "lowercase": lowercase,
                        "sentences": sentences.clone().unwrap_or_else(|| "lines".into()),
                    }),
                ),
                JobSpec::Entropy { tokens, max_order, lowercase } => (
                    "entropy",
                    tokens.clone().map_or(vec!["letters".into()], |t| t.values()),
                    serde_json::json!({ "max_order": max_order, "lowercase": lowercase }),
                ),
            };
            for t in tokens {
                kind_of(&t).with_context(|| format!("{}: job {kind}", config.plan.display()))?;
                let stem = format!("{kind}-{t}");
                let mut settings = settings.clone();
                settings["tokens"] = t.clone().into();
                settings["holdout"] = (*holdout).into();
                jobs.push(Job {
                    id: format!("{corpus}/{stem}"),
                    corpus: corpus.clone(),
                    kind,
                    tokens: t,
                    inputs: inputs.clone(),
                    test: test.clone(),
                    holdout: *holdout,
                    settings,
                    report: root.join(corpus).join(format!("{stem}.json")),
                    state: root.join(".state").join(format!("{corpus}--{stem}.json")),
                    spec: spec.clone(),
                });
            }
        }
    }
    Ok((plan, jobs))
}

/// The job's key: tool version, settings, and every input file's SHA-256.
fn key(job: &Job) -> Result<String> {
    let mut files = Vec::new();
    for p in job.inputs.iter().chain(&job.test) {
        collect_files(p, &mut files)?;
    }
    let mut material = format!("{}\n{}\n", env!("CARGO_PKG_VERSION"), job.settings);
    for f in files {
        let bytes = std::fs::read(&f).with_context(|| format!("cannot read {}", f.display()))?;
        let _ = writeln!(material, "{}\t{}", f.display(), shannon_corpus::sha256_hex(&bytes));
    }
    Ok(shannon_corpus::sha256_hex(material.as_bytes()))
}

fn collect_files(p: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(p).with_context(|| format!("cannot read {}", p.display()))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for e in entries {
            if !e.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                collect_files(&e, out)?;
            }
        }
    } else {
        out.push(p.to_path_buf());
    }
    Ok(())
}

fn read_state(path: &Path) -> Option<State> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn run_job(job: &Job, threads: usize) -> Result<()> {
    let kind = kind_of(&job.tokens)?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let quiet = Progress::silent();
    std::fs::create_dir_all(job.report.parent().expect("report has a directory"))?;
    pool.install(|| -> Result<()> {
        match &job.spec {
            JobSpec::Compare { order, smoothing, lowercase, sentences, .. } => {
                let sentences = match sentences.as_deref().unwrap_or("lines") {
                    "lines" => Sentences::Lines,
                    "none" => Sentences::None,
                    other => bail!("sentences must be lines or none, got '{other}'"),
                };
                let smoothing = smoothing
                    .clone()
                    .unwrap_or_else(|| vec!["mkn".into()])
                    .iter()
                    .map(|s| Method::parse(s))
                    .collect::<Result<Vec<_>, _>>()?;
                let inputs = if job.test.is_empty() {
                    Inputs::Holdout { corpus: job.inputs.clone(), holdout: job.holdout }
                } else {
                    Inputs::Files { train: job.inputs.clone(), test: job.test.clone() }
                };
                let config = CompareConfig {
                    inputs,
                    text: TextConfig { tokenizer: Tokenizer { kind, lowercase: *lowercase, sentences }, lossy: false },
                    order: order.unwrap_or(5),
                    smoothing,
                    temperatures: vec![],
                    prune: vec![],
                    name: Some(job.corpus.clone()),
                    output: Some(job.report.clone()),
                    threads,
                };
                compare::run(&config, &quiet)?;
            }
            JobSpec::Entropy { max_order, lowercase, .. } => {
                let max_order = max_order.unwrap_or_else(|| entropy::default_max_order(kind));
                // The command line's defaults (see `shannon entropy --help`).
                let config = EntropyConfig {
                    corpus: job.inputs.clone(),
                    text: TextConfig {
                        tokenizer: Tokenizer { kind, lowercase: *lowercase, sentences: Sentences::None },
                        lossy: false,
                    },
                    max_order,
                    groups: 20,
                    min_coverage: 0.9,
                    nsb_jackknife: true,
                    guess_order: entropy::default_guess_order(kind, max_order),
                    guess_limit: 50_000,
                    holdout: job.holdout,
                    name: Some(job.corpus.clone()),
                    output: Some(job.report.clone()),
                    threads,
                };
                entropy::run(&config, &quiet)?;
            }
        }
        Ok(())
    })
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

/// Runs a plan. Returns the summary (also written to `reports/<plan>/summary.json` and `summary.md`).
pub fn run(config: &BatchConfig, progress: &Progress) -> Result<BatchSummary> {
    let (plan, jobs) = expand(config)?;
    let root = config.reports.join(&plan.name);
    std::fs::create_dir_all(root.join(".state")).with_context(|| format!("cannot create {}", root.display()))?;
    clean_temp(&root);
    let workers = config.jobs.clamp(1, jobs.len().max(1));
    let threads = (config.threads / workers).max(1);
    let bar = progress.steps(jobs.len() as u64, "jobs");
    let queue: Mutex<VecDeque<usize>> = Mutex::new((0..jobs.len()).collect());
    let results: Mutex<BTreeMap<usize, JobSummary>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let Some(i) = queue.lock().expect("queue").pop_front() else { break };
                let job = &jobs[i];
                bar.set_message(job.id.clone());
                let start = Instant::now();
                let (status, error) = match key(job) {
                    Err(e) => ("failed", Some(format!("{e:#}"))),
                    Ok(k) => {
                        let done = read_state(&job.state).is_some_and(|s| s.status == "done" && s.key == k)
                            && job.report.is_file();
                        if done {
                            ("skipped", None)
                        } else {
                            let outcome = run_job(job, threads);
                            let (status, error) = match outcome {
                                Ok(()) => ("done", None),
                                Err(e) => ("failed", Some(format!("{e:#}"))),
                            };
                            let state = State {
                                key: k,
                                status: status.into(),
                                error: error.clone(),
                                seconds: start.elapsed().as_secs_f64(),
                            };
                            if let Err(e) = shannon_report::write_atomic(&job.state, &shannon_report::to_json(&state)) {
                                ("failed", Some(format!("{e:#}")))
                            } else {
                                (status, error)
                            }
                        }
                    }
                };
                let seconds = start.elapsed().as_secs_f64();
                let line = match &error {
                    Some(e) => format!("{:<8} {} ({seconds:.1} s): {e}", status, job.id),
                    None => format!("{:<8} {} ({seconds:.1} s)", status, job.id),
                };
                if bar.is_hidden() {
                    progress.info(&line);
                } else {
                    bar.println(line);
                }
                bar.inc(1);
                results.lock().expect("results").insert(
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
    bar.finish_and_clear();
    let jobs_summary: Vec<JobSummary> = results.into_inner().expect("results").into_values().collect();
    let corpora = summarize(&jobs, &jobs_summary);
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
    shannon_report::write_atomic(&root.join("summary.md"), table(&summary).as_bytes())?;
    Ok(summary)
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
        let Some(r) =
            std::fs::read(&job.report).ok().and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        else {
            continue;
        };
        match job.kind {
            "compare" => {
                for m in r["models"].as_array().into_iter().flatten() {
                    let (Some(bpc), Some(ppl)) =
                        (m["test"]["bits_per_char"].as_f64(), m["test"]["perplexity"].as_f64())
                    else {
                        continue;
                    };
                    if entry.best.as_ref().is_none_or(|b| bpc < b.bits_per_char) {
                        entry.best = Some(BestModel {
                            tokens: job.tokens.clone(),
                            order: m["order"].as_u64().unwrap_or(0) as usize,
                            smoothing: m["smoothing"].as_str().unwrap_or("").into(),
                            perplexity: ppl,
                            bits_per_char: bpc,
                        });
                    }
                }
            }
            "entropy" if job.tokens == "letters" => {
                let f = |est: &str| -> Vec<f64> {
                    r["orders"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|o| o["n"].as_u64().unwrap_or(0) >= 1)
                        .filter_map(|o| o["F"][est].as_f64())
                        .collect()
                };
                entry.letters_f_plugin = f("plugin");
                entry.letters_f_nsb = f("nsb");
                let ce = &r["extrapolation"]["cross_entropy"]["power_law"]["h"];
                if let Some(h) = ce.as_f64() {
                    entry.entropy_rate = Some(h);
                    entry.entropy_rate_from =
                        Some("held-out cross-entropy of the guessing predictor, h + A·n^(−α)".into());
                } else if let Some(h) = r["extrapolation"]["F"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|e| e["estimator"] == "nsb")
                    .and_then(|e| e["power_law"]["h"].as_f64())
                {
                    entry.entropy_rate = Some(h);
                    entry.entropy_rate_from = Some("NSB F_n, h + A·n^(−α)".into());
                }
            }
            _ => {}
        }
    }
    order.into_iter().filter_map(|c| out.remove(&c)).collect()
}

/// The summary as a Markdown table (also printed on stdout).
pub fn table(s: &BatchSummary) -> String {
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
