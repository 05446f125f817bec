//! End-to-end benchmark of `shannon build`: wall time, per-stage time and peak RSS on a generated corpus,
//! written to `reports/bench-<date>.json`.
//!
//! Usage (from the workspace root, after `cargo build --release -p shannon`):
//! `cargo run --release -p shannon-bench --bin build-bench -- [--bytes 400M] [--orders 5,3] [--runs 3]
//! [--threads N] [--tokens whitespace] [--spill 0.25 | --memory SIZE] [--corpus FILE] [--temp DIR] [--shannon PATH]
//! [--out FILE] [--drop-caches] [--lmplz PATH]` (`--help` lists them; unknown flags are errors).
//!
//! Without `--corpus` it writes `shannon generate --source english --bytes SIZE` into a temporary
//! directory (nothing is kept). Each configuration runs `--runs` times under `/usr/bin/time` (peak RSS
//! of the process) with `-v` (stage timings); the median run is reported. Every run's model must equal the
//! first run's byte for byte, and so must the spill run's (`--memory` = `--spill` × the unbounded median
//! peak RSS, or `--memory SIZE` as given; order = the first of `--orders`) — a fast wrong answer cannot win.

use std::path::{Path, PathBuf};
use std::process::Command;

mod timed;

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::{json, Value};

/// End-to-end benchmark of `shannon build`: median wall time, stage times and peak RSS, written as JSON.
#[derive(Parser)]
#[command(name = "build-bench")]
struct Args {
    /// The shannon binary to run (build it first: `cargo build --release -p shannon`).
    #[arg(long, value_name = "PATH", default_value = "target/release/shannon")]
    shannon: PathBuf,
    /// Size of the generated corpus (`shannon generate --source english --bytes`); unused with --corpus.
    #[arg(long, value_name = "SIZE", default_value = "400M", value_parser = size)]
    bytes: String,
    /// Model orders to build, comma-separated; the first is also the spill run's order.
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_value = "5,3")]
    orders: Vec<usize>,
    /// Runs per order: the median by wall time is reported, and every run's model must equal the first's.
    #[arg(long, value_name = "N", default_value_t = 3)]
    runs: usize,
    /// Tokenizer for every build (`shannon build --tokens`).
    #[arg(long, value_name = "KIND", default_value = "whitespace")]
    tokens: String,
    /// Spill run's --memory as this fraction of the unbounded median peak RSS; 0 skips the spill run.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.25, allow_negative_numbers = true)]
    spill: f64,
    /// Spill run's --memory as a size (e.g. 1G) instead of --spill's fraction; runs it even with --spill 0.
    #[arg(long, value_name = "SIZE", value_parser = size)]
    memory: Option<String>,
    /// Threads for every build (`shannon build --threads`; default: shannon's, all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Where to make the working directory of generated corpus, models and spill files (many GB) [default: the
    /// system's temporary directory].
    #[arg(long, value_name = "DIR")]
    temp: Option<PathBuf>,
    /// Benchmark this file instead of generating a corpus.
    #[arg(long, value_name = "FILE")]
    corpus: Option<PathBuf>,
    /// Where to write the JSON report [default: reports/bench-<date>.json].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Empty the page cache before each run (root only), so that no run inherits the last one's written model.
    #[arg(long)]
    drop_caches: bool,
    /// KenLM's lmplz: run `lmplz -o N -S 1G` (its fastest setting) once per order, between shannon's first
    /// and second runs so that both see the same machine, check it gives the same n-gram counts, and
    /// report shannon's median as a fraction of its time.
    #[arg(long, value_name = "PATH")]
    lmplz: Option<PathBuf>,
}

/// A size as `shannon` reads it (e.g. 400M, 1G), checked before anything runs; kept as given, to pass on.
fn size(s: &str) -> Result<String, String> {
    shannon_jobs::build::parse_size(s).map(|_| s.to_string())
}

/// One `shannon build` run: wall seconds, peak RSS bytes, stage seconds, token positions counted.
struct Run {
    wall: f64,
    rss: u64,
    stages: Vec<(String, f64)>,
    positions: u64,
}

/// Runs `program args` under GNU time: its wall seconds, peak RSS bytes and stderr; fails naming `what`.
fn timed(program: &Path, args: impl IntoIterator<Item = std::ffi::OsString>, what: &str) -> Result<(f64, u64, String)> {
    let t = timed::timed(program, args, None, what)?;
    Ok((t.wall, t.rss, t.stderr))
}

fn build(shannon: &Path, corpus: &Path, out: &Path, order: usize, extra: &[String]) -> Result<Run> {
    let order = order.to_string();
    let args = ["build", "-v", "--order", &order, "--smoothing", "mkn", "--output"].map(Into::into);
    let args = args.into_iter().chain([out.into()]).chain(extra.iter().map(Into::into)).chain([corpus.into()]);
    let (wall, rss, stderr) = timed(shannon, args, "shannon build")?;
    let mut run = Run { wall, rss, stages: Vec::new(), positions: 0 };
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("positions: ") {
            run.positions = rest.split_whitespace().next().context("positions")?.parse()?;
        } else if let Some((stage, secs)) = line.split_once(": ") {
            if let Some(s) = secs.strip_suffix(" s").and_then(|s| s.parse::<f64>().ok()) {
                run.stages.push((stage.to_string(), s));
            }
        }
    }
    Ok(run)
}

/// One `lmplz -o order -S 1G` run into `out`: wall seconds and peak RSS bytes.
fn lmplz(lmplz: &Path, corpus: &Path, out: &Path, order: usize, temp: &Path) -> Result<(f64, u64)> {
    let order = order.to_string();
    let args = ["-o", &order, "-S", "1G", "-T"].map(Into::into).into_iter();
    let args = args.chain([temp.into(), "--text".into(), corpus.into(), "--arpa".into(), out.into()]);
    let (wall, rss, _) = timed(lmplz, args, "lmplz")?;
    Ok((wall, rss))
}

/// Before a run: flush dirty pages and, with `--drop-caches` (root only), empty the page cache, so that
/// every run starts from the same state instead of inheriting the last run's gigabytes of written model.
fn settle(drop_caches: bool) {
    let _ = Command::new("sync").status();
    if drop_caches {
        if let Err(e) = std::fs::write("/proc/sys/vm/drop_caches", "1") {
            eprintln!("--drop-caches: {e} (runs start with whatever the page cache holds)");
        }
    }
}

/// Whether two files have the same bytes (streamed: models can be many GB).
fn same_file(a: &Path, b: &Path) -> Result<bool> {
    use std::io::Read;
    let (mut x, mut y) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    if x.metadata()?.len() != y.metadata()?.len() {
        return Ok(false);
    }
    let (mut bx, mut by) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = x.read(&mut bx)?;
        if n == 0 {
            return Ok(true);
        }
        y.read_exact(&mut by[..n])?;
        if bx[..n] != by[..n] {
            return Ok(false);
        }
    }
}

fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by(|a, b| a.wall.total_cmp(&b.wall));
    runs.swap_remove(runs.len() / 2)
}

fn run_json(r: &Run, bytes: u64, ngrams: Option<u64>) -> Value {
    let stages: serde_json::Map<String, Value> = r
        .stages
        .iter()
        .map(|(name, s)| {
            let mut v = json!({ "seconds": s });
            match name.as_str() {
                "tokenize" => v["mb_per_second"] = json!(bytes as f64 / s / 1e6),
                "estimate" | "write" | "estimate and write" => {
                    if let Some(n) = ngrams {
                        v["ngrams_per_second"] = json!(n as f64 / s);
                    }
                }
                _ => {}
            }
            (name.clone(), v)
        })
        .collect();
    json!({ "wall_seconds": r.wall, "peak_rss_bytes": r.rss, "stages": stages })
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(str::trim);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem = meminfo.lines().find(|l| l.starts_with("MemTotal")).map(|l| l.split_whitespace().nth(1));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let uname = Command::new("uname").arg("-r").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let rev = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "cpu": cpu, "mem_total_kib": mem.flatten().and_then(|m| m.parse::<u64>().ok()),
        "kernel": uname.ok(), "load_average_at_start": load.trim(), "git_head": rev.ok(),
    })
}

fn main() -> Result<()> {
    let args = Args::parse();
    let Args { ref shannon, ref bytes, ref orders, runs, ref tokens, spill, drop_caches, .. } = args;
    let mut common = vec!["--tokens".to_string(), tokens.clone()];
    if let Some(t) = args.threads {
        common.extend(["--threads".to_string(), t.to_string()]);
    }
    let temp = match &args.temp {
        Some(t) => tempfile::tempdir_in(t)?,
        None => tempfile::tempdir()?,
    };
    let machine = machine();
    let corpus = match &args.corpus {
        Some(c) => c.clone(),
        None => {
            let path = temp.path().join("english.txt");
            let status = Command::new(shannon)
                .args(["generate", "--quiet", "--source", "english", "--bytes", bytes, "--jobs", "2", "--output"])
                .arg(&path)
                .status()?;
            if !status.success() {
                bail!("shannon generate failed");
            }
            path
        }
    };
    let size = std::fs::metadata(&corpus)?.len();
    eprintln!("corpus {} ({:.1} MB)", corpus.display(), size as f64 / 1e6);
    let mut results = Vec::new();
    let mut spill_reference = None;
    for (k, &order) in orders.iter().enumerate() {
        let reference = temp.path().join(format!("reference-{order}.arpa"));
        let mut all = Vec::new();
        let mut baseline = Value::Null;
        for r in 0..runs {
            if r == 1.min(runs - 1) {
                if let Some(path) = &args.lmplz {
                    let out = temp.path().join("lmplz.arpa");
                    let lm_temp = temp.path().join("lmplz-temp");
                    std::fs::create_dir_all(&lm_temp)?;
                    settle(drop_caches);
                    let (wall, rss) = lmplz(path, &corpus, &out, order, &lm_temp)?;
                    eprintln!("order {order} lmplz: {wall:.1} s, peak RSS {:.2} GB", rss as f64 / 1e9);
                    let counts = ngram_counts(&out)?;
                    std::fs::remove_file(&out)?;
                    baseline = json!({ "command": format!("lmplz -o {order} -S 1G"), "wall_seconds": wall,
                                       "peak_rss_bytes": rss, "ngrams_by_order": counts });
                }
            }
            let out = if r == 0 { reference.clone() } else { temp.path().join("model.arpa") };
            settle(drop_caches);
            let run = build(shannon, &corpus, &out, order, &common)?;
            eprintln!("order {order} run {r}: {:.1} s, peak RSS {:.2} GB", run.wall, run.rss as f64 / 1e9);
            if r > 0 {
                if !same_file(&out, &reference)? {
                    bail!("order {order}: run {r}'s model differs from run 0's");
                }
                std::fs::remove_file(&out)?;
            }
            all.push(run);
        }
        let ngrams = ngram_total(&reference)?;
        let m = median(all);
        let peak = m.rss;
        if let Some(lm) = baseline.get("ngrams_by_order") {
            if *lm != json!(ngram_counts(&reference)?) {
                bail!("order {order}: lmplz counted different n-grams: {lm} against {:?}", ngram_counts(&reference)?);
            }
            let ratio = m.wall / baseline["wall_seconds"].as_f64().unwrap_or(f64::NAN);
            eprintln!("order {order}: shannon's median is {ratio:.3} of lmplz's time");
            baseline["shannon_median_over_lmplz"] = json!(ratio);
        }
        let median = run_json(&m, size, Some(ngrams));
        results.push(json!({ "order": order, "runs": runs, "ngrams": ngrams, "median": median, "lmplz": baseline }));
        if k == 0 {
            spill_reference = Some((order, reference, peak, ngrams));
        } else {
            std::fs::remove_file(&reference)?;
        }
    }
    let mut spill_json = Value::Null;
    if let Some((order, reference, peak, ngrams)) = spill_reference {
        if spill > 0.0 || args.memory.is_some() {
            let memory = match &args.memory {
                Some(m) => m.clone(),
                None => ((peak as f64 * spill) as u64).to_string(),
            };
            let spill_dir = temp.path().join("spill");
            std::fs::create_dir_all(&spill_dir)?;
            let mut extra = common.clone();
            extra.extend(["--memory".into(), memory.clone(), "--temp-dir".into(), spill_dir.display().to_string()]);
            let out = temp.path().join("spilled.arpa");
            settle(drop_caches);
            let run = build(shannon, &corpus, &out, order, &extra)?;
            eprintln!("order {order} --memory {memory}: {:.1} s, peak RSS {:.2} GB", run.wall, run.rss as f64 / 1e9);
            let identical = same_file(&out, &reference)?;
            if !identical {
                bail!("the spilled model differs from the unbounded one");
            }
            let left = std::fs::read_dir(&spill_dir)?.count();
            // The stated bound (README, Performance): counting's sorting takes what the token stream and its
            // id array (8 bytes per position) leave of the budget, at least 64 MiB; estimation's arrays keep
            // within it (an order whose arrays do not fit goes a range of histories at a time); 256 MiB for
            // the vocabulary, code and buffers.
            let budget = shannon_jobs::build::parse_size(&memory).map_err(anyhow::Error::msg)?;
            let bound = budget.max(8 * run.positions + (64 << 20)) + (256 << 20);
            let largest = ngram_counts(&out)?.into_iter().max().unwrap_or(0);
            std::fs::remove_file(&out)?;
            if run.rss > bound {
                bail!("peak RSS {} exceeds the stated bound {bound} with --memory {memory}", run.rss);
            }
            spill_json = json!({
                "order": order, "memory": memory, "fraction_of_unbounded_peak": args.memory.is_none().then_some(spill),
                "identical_to_unbounded": identical, "spill_entries_left": left,
                "positions": run.positions, "largest_order_ngrams": largest, "stated_bound_bytes": bound,
                "within_stated_bound": run.rss <= bound,
                "run": run_json(&run, size, Some(ngrams)),
            });
        }
    }
    let date = Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())?;
    let report = json!({
        "schema": "shannon.bench/1",
        "command": "shannon build --smoothing mkn",
        "corpus": { "path": corpus.display().to_string(), "bytes": size, "generated": args.corpus.is_none(),
                    "source": "shannon generate --source english", "tokens": tokens },
        "machine": machine,
        "page_cache_dropped_before_each_run": drop_caches,
        "builds": results,
        "spill": spill_json,
        "units": { "seconds": "wall-clock", "peak_rss_bytes": "VmHWM of the shannon process (GNU time %M)" },
    });
    let path = args.out.clone().unwrap_or_else(|| PathBuf::from(format!("reports/bench-{date}.json")));
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n").with_context(|| path.display().to_string())?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Σ of the `ngram N=COUNT` lines of an ARPA header.
fn ngram_total(arpa: &Path) -> Result<u64> {
    Ok(ngram_counts(arpa)?.iter().sum())
}

/// The `ngram N=COUNT` counts of an ARPA header, by order.
fn ngram_counts(arpa: &Path) -> Result<Vec<u64>> {
    use std::io::BufRead;
    let mut counts = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(arpa)?).lines() {
        let line = line?;
        if let Some(c) = line.strip_prefix("ngram ").and_then(|l| l.split_once('=')) {
            counts.push(c.1.trim().parse::<u64>()?);
        } else if line.starts_with("\\1-grams") {
            break;
        }
    }
    Ok(counts)
}
