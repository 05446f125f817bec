//! End-to-end benchmark of `shannon build`: wall time, per-stage time and peak RSS on a generated corpus,
//! written to `reports/bench-<date>.json`.
//!
//! Usage (from the workspace root, after `cargo build --release -p shannon`):
//! `cargo run --release -p shannon-bench --bin build-bench -- [--bytes 400M] [--orders 5,3] [--runs 3]
//! [--threads N] [--tokens whitespace] [--spill 0.25 | --memory SIZE] [--corpus FILE] [--temp DIR] [--shannon PATH]
//! [--drop-caches]`
//!
//! Without `--corpus` it writes `shannon generate --source english --bytes SIZE` into a temporary
//! directory (nothing is kept). Each configuration runs `--runs` times under `/usr/bin/time` (peak RSS
//! of the process) with `-v` (stage timings); the median run is reported. Every run's model must equal the
//! first run's byte for byte, and so must the spill run's (`--memory` = `--spill` × the unbounded median
//! peak RSS, or `--memory SIZE` as given; order = the first of `--orders`) — a fast wrong answer cannot win.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

/// One `shannon build` run: wall seconds, peak RSS bytes, stage seconds, token positions counted.
struct Run {
    wall: f64,
    rss: u64,
    stages: Vec<(String, f64)>,
    positions: u64,
}

fn build(shannon: &Path, corpus: &Path, out: &Path, order: usize, extra: &[String]) -> Result<Run> {
    let output = Command::new("/usr/bin/time")
        .args(["-f", "BENCH %e %M"])
        .arg(shannon)
        .args(["build", "-v", "--order", &order.to_string(), "--smoothing", "mkn", "--output"])
        .arg(out)
        .args(extra)
        .arg(corpus)
        .output()
        .context("running /usr/bin/time shannon build (is GNU time installed?)")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("shannon build failed: {stderr}");
    }
    let mut run = Run { wall: 0.0, rss: 0, stages: Vec::new(), positions: 0 };
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("BENCH ") {
            let mut f = rest.split_whitespace();
            run.wall = f.next().context("wall")?.parse()?;
            run.rss = f.next().context("rss")?.parse::<u64>()? * 1024;
        } else if let Some(rest) = line.strip_prefix("positions: ") {
            run.positions = rest.split_whitespace().next().context("positions")?.parse()?;
        } else if let Some((stage, secs)) = line.split_once(": ") {
            if let Some(s) = secs.strip_suffix(" s").and_then(|s| s.parse::<f64>().ok()) {
                run.stages.push((stage.to_string(), s));
            }
        }
    }
    Ok(run)
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
    let args: Vec<String> = std::env::args().collect();
    let drop_caches = args.iter().any(|a| a == "--drop-caches");
    let shannon = PathBuf::from(arg(&args, "--shannon").unwrap_or_else(|| "target/release/shannon".into()));
    let bytes = arg(&args, "--bytes").unwrap_or_else(|| "400M".into());
    let orders: Vec<usize> = arg(&args, "--orders")
        .unwrap_or_else(|| "5,3".into())
        .split(',')
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    let runs: usize = arg(&args, "--runs").map_or(Ok(3), |s| s.parse())?;
    let tokens = arg(&args, "--tokens").unwrap_or_else(|| "whitespace".into());
    let spill: f64 = arg(&args, "--spill").map_or(Ok(0.25), |s| s.parse())?;
    let mut common = vec!["--tokens".to_string(), tokens.clone()];
    if let Some(t) = arg(&args, "--threads") {
        common.extend(["--threads".to_string(), t]);
    }
    let temp = match arg(&args, "--temp") {
        Some(t) => tempfile::tempdir_in(t)?,
        None => tempfile::tempdir()?,
    };
    let machine = machine();
    let corpus = match arg(&args, "--corpus") {
        Some(c) => PathBuf::from(c),
        None => {
            let path = temp.path().join("english.txt");
            let status = Command::new(&shannon)
                .args(["generate", "--quiet", "--source", "english", "--bytes", &bytes, "--jobs", "2", "--output"])
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
        for r in 0..runs {
            let out = if r == 0 { reference.clone() } else { temp.path().join("model.arpa") };
            settle(drop_caches);
            let run = build(&shannon, &corpus, &out, order, &common)?;
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
        results.push(
            json!({ "order": order, "runs": runs, "ngrams": ngrams, "median": run_json(&m, size, Some(ngrams)) }),
        );
        if k == 0 {
            spill_reference = Some((order, reference, peak, ngrams));
        } else {
            std::fs::remove_file(&reference)?;
        }
    }
    let mut spill_json = Value::Null;
    if let Some((order, reference, peak, ngrams)) = spill_reference {
        if spill > 0.0 || arg(&args, "--memory").is_some() {
            let memory = match arg(&args, "--memory") {
                Some(m) => m,
                None => ((peak as f64 * spill) as u64).to_string(),
            };
            let spill_dir = temp.path().join("spill");
            std::fs::create_dir_all(&spill_dir)?;
            let mut extra = common.clone();
            extra.extend(["--memory".into(), memory.clone(), "--temp-dir".into(), spill_dir.display().to_string()]);
            let out = temp.path().join("spilled.arpa");
            settle(drop_caches);
            let run = build(&shannon, &corpus, &out, order, &extra)?;
            eprintln!("order {order} --memory {memory}: {:.1} s, peak RSS {:.2} GB", run.wall, run.rss as f64 / 1e9);
            let identical = same_file(&out, &reference)?;
            if !identical {
                bail!("the spilled model differs from the unbounded one");
            }
            let left = std::fs::read_dir(&spill_dir)?.count();
            // The stated overhead on top of the sorting budget (README, Performance): counting holds the
            // token stream and two id arrays (12 bytes per position); estimation holds, for two adjacent
            // orders, ln p (8 bytes per n-gram), per-history statistics (24) and continuation counts (4),
            // at most 44 bytes per n-gram of the largest order; 256 MiB for the vocabulary, code and buffers.
            let budget = shannon::parse_size(&memory).map_err(anyhow::Error::msg)?;
            let largest = ngram_counts(&out)?.into_iter().max().unwrap_or(0);
            let bound = (budget + 12 * run.positions).max(44 * largest) + (256 << 20);
            std::fs::remove_file(&out)?;
            if run.rss > bound {
                bail!("peak RSS {} exceeds the stated bound {bound} with --memory {memory}", run.rss);
            }
            spill_json = json!({
                "order": order, "memory": memory, "fraction_of_unbounded_peak": arg(&args, "--memory").is_none().then_some(spill),
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
        "corpus": { "path": corpus.display().to_string(), "bytes": size, "generated": arg(&args, "--corpus").is_none(),
                    "source": "shannon generate --source english", "tokens": tokens },
        "machine": machine,
        "page_cache_dropped_before_each_run": drop_caches,
        "builds": results,
        "spill": spill_json,
        "units": { "seconds": "wall-clock", "peak_rss_bytes": "VmHWM of the shannon process (GNU time %M)" },
    });
    let path = PathBuf::from(arg(&args, "--out").unwrap_or_else(|| format!("reports/bench-{date}.json")));
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
