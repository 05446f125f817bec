//! `shannon compare` against KenLM's way to the same table (issue 17's goal 4, issue 15's bounded compare):
//! models of every order 1..=N (mkn) trained on one file and scored on another, against `lmplz -o n` and
//! `query` for n = 2..=N on the same files, each process under GNU time (wall seconds, peak RSS), in one run.
//!
//! Usage (from the workspace root, after `cargo build --release -p shannon`):
//! `cargo run --release -p shannon-bench --bin compare-bench -- --train FILE --test FILE [--order 5]
//! [--memory 1G] [--in-memory] [--lmplz PATH --query PATH] [--output FILE]`.
//!
//! - **shannon** `compare --tokens whitespace` as a user runs it (the counts on disk within the default budget),
//!   and with `--memory SIZE` when given. `--in-memory` also times every count held in memory (the library's
//!   `CompareConfig::in_memory`, run by this bench in a child process of its own so that its peak is its own).
//!   Every run's figures must equal the first's (timings aside).
//! - **KenLM**: `lmplz -o n -S 1G` into an ARPA file, then `query` of the test file against it, for each n; each
//!   order's perplexity must equal shannon's mkn model of that order (1e-5 relative), so a fast wrong answer
//!   cannot win. lmplz has no unigram models; shannon's order 1 is in its time and not in KenLM's.
//!
//! Writes `reports/bench-compare-<date>.json` (or `--output`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use clap::Parser;
use serde_json::{json, Value};
use shannon_jobs::compare::CompareConfig;
use shannon_jobs::{Inputs, TextConfig};
use shannon_tokens::{Sentences, TokenKind, Tokenizer};

mod timed;

use timed::timed;

/// shannon compare against lmplz + query for every order.
#[derive(Parser)]
#[command(name = "compare-bench")]
struct Args {
    /// Training text.
    #[arg(long, value_name = "FILE")]
    train: PathBuf,
    /// Test text.
    #[arg(long, value_name = "FILE")]
    test: PathBuf,
    /// Highest order.
    #[arg(long, value_name = "N", default_value_t = 5)]
    order: usize,
    /// Also run `compare --memory SIZE`.
    #[arg(long, value_name = "SIZE")]
    memory: Option<String>,
    /// Also time every count held in memory.
    #[arg(long)]
    in_memory: bool,
    /// The shannon binary.
    #[arg(long, value_name = "PATH", default_value = "target/release/shannon")]
    shannon: PathBuf,
    /// KenLM's lmplz (with --query: run KenLM's way).
    #[arg(long, value_name = "PATH", requires = "query")]
    lmplz: Option<PathBuf>,
    /// KenLM's query.
    #[arg(long, value_name = "PATH", requires = "lmplz")]
    query: Option<PathBuf>,
    /// Report path (default: reports/bench-compare-<date>.json).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Run the in-memory compare here and write its report to this file (how the bench times it).
    #[arg(long, value_name = "FILE", hide = true)]
    child_in_memory: Option<PathBuf>,
}

fn config(args: &Args) -> CompareConfig {
    let tokenizer =
        Tokenizer { kind: TokenKind::Whitespace, lowercase: false, sentences: Sentences::Lines, skip_symbols: false };
    let inputs = Inputs::Files { train: vec![args.train.clone()], test: vec![args.test.clone()] };
    let mut c = CompareConfig::new(inputs, TextConfig { tokenizer, lossy: false });
    c.order = args.order;
    c
}

/// A report's figures: without timings, which differ from run to run and by where counts were kept.
fn figures(report: &Value) -> Value {
    let mut r = report.clone();
    r["timings"] = Value::Null;
    r["tool"] = Value::Null;
    for m in r["models"].as_array_mut().into_iter().flatten() {
        m["build_seconds"] = Value::Null;
    }
    r
}

fn read(path: &Path) -> Result<Value> {
    serde_json::from_slice(&std::fs::read(path).with_context(|| path.display().to_string())?)
        .with_context(|| path.display().to_string())
}

/// One shannon run: its row of the report and its report.
fn shannon(what: &str, program: &Path, argv: Vec<OsString>, out: &Path) -> Result<(Value, Value)> {
    let t = timed(program, argv, None, what)?;
    let report = read(out)?;
    eprintln!("{what}: {:.1} s, peak {:.2} GB", t.wall, t.rss as f64 / 1e9);
    let row = json!({"way": what, "wall_seconds": t.wall, "peak_rss_bytes": t.rss, "timings": report["timings"]});
    Ok((row, report))
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(out) = &args.child_in_memory {
        let mut c = config(&args);
        c.in_memory = true;
        let report = shannon_jobs::compare::run(&c, &shannon_jobs::Silent)?;
        shannon_report::write_atomic(out, &shannon_report::to_json(&report))?;
        return Ok(());
    }
    ensure!(args.shannon.exists(), "{} not found: cargo build --release -p shannon", args.shannon.display());
    let dir = tempfile::tempdir()?;
    let order = args.order.to_string();
    let cli = |out: &Path, extra: &[&str]| -> Vec<OsString> {
        let mut v: Vec<OsString> =
            ["compare", "-q", "--tokens", "whitespace", "--order", &order, "--train"].map(Into::into).to_vec();
        v.extend([args.train.clone().into(), "--test".into(), args.test.clone().into(), "--output".into()]);
        v.push(out.into());
        v.extend(extra.iter().map(Into::into));
        v
    };
    let mut rows = Vec::new();
    let first = dir.path().join("default.json");
    let (row, reference) = shannon("shannon compare", &args.shannon, cli(&first, &[]), &first)?;
    rows.push(row);
    if let Some(m) = &args.memory {
        let out = dir.path().join("memory.json");
        let (row, report) =
            shannon(&format!("shannon compare --memory {m}"), &args.shannon, cli(&out, &["--memory", m]), &out)?;
        ensure!(figures(&report) == figures(&reference), "--memory {m} gave other figures");
        rows.push(row);
    }
    if args.in_memory {
        let out = dir.path().join("in-memory.json");
        let mut argv: Vec<OsString> = std::env::args_os().skip(1).collect();
        argv.extend(["--child-in-memory".into(), out.clone().into_os_string()]);
        let me = std::env::current_exe()?;
        let (row, report) = shannon("shannon compare, every count in memory (library)", &me, argv, &out)?;
        ensure!(figures(&report) == figures(&reference), "every count in memory gave other figures");
        rows.push(row);
    }
    let shannon_wall = rows[0]["wall_seconds"].as_f64().unwrap_or(0.0);

    let mut kenlm = Value::Null;
    if let (Some(lmplz), Some(query)) = (&args.lmplz, &args.query) {
        let (mut total, mut orders) = (0.0, Vec::new());
        for n in 2..=args.order {
            let arpa = dir.path().join(format!("o{n}.arpa"));
            let temp = dir.path().join("lmplz-temp");
            std::fs::create_dir_all(&temp)?;
            let argv = ["-o", &n.to_string(), "-S", "1G", "-T"].map(OsString::from).into_iter();
            let argv = argv.chain([temp.into(), "--text".into(), args.train.clone().into(), "--arpa".into()]);
            let built = timed(lmplz, argv.chain([arpa.clone().into()]), None, "lmplz")?;
            let scored =
                timed(query, [OsString::from("-v"), "summary".into(), arpa.clone().into()], Some(&args.test), "query")?;
            std::fs::remove_file(&arpa)?;
            let text = format!("{}\n{}", scored.stdout, scored.stderr);
            let label = "Perplexity including OOVs:";
            let line = text.lines().find(|l| l.starts_with(label)).with_context(|| format!("no {label} from query"))?;
            let theirs: f64 = line[label.len()..].trim().parse()?;
            let ours = reference["models"]
                .as_array()
                .and_then(|m| m.iter().find(|m| m["order"] == n && m["smoothing"] == "mkn"))
                .and_then(|m| m["test"]["perplexity"].as_f64())
                .with_context(|| format!("no mkn order {n} in shannon's report"))?;
            ensure!((theirs - ours).abs() <= 1e-5 * theirs, "order {n}: KenLM's perplexity {theirs}, shannon's {ours}");
            eprintln!(
                "order {n}: lmplz {:.1} s ({:.2} GB), query {:.1} s ({:.2} GB); perplexity {theirs} (both)",
                built.wall,
                built.rss as f64 / 1e9,
                scored.wall,
                scored.rss as f64 / 1e9
            );
            total += built.wall + scored.wall;
            orders.push(json!({"order": n, "perplexity": theirs,
                "lmplz": {"wall_seconds": built.wall, "peak_rss_bytes": built.rss},
                "query": {"wall_seconds": scored.wall, "peak_rss_bytes": scored.rss}}));
        }
        eprintln!("KenLM's way: {total:.1} s; shannon compare {shannon_wall:.1} s: {:.3}", shannon_wall / total);
        kenlm = json!({"commands": "lmplz -o n -S 1G --text TRAIN --arpa A; query -v summary A < TEST",
            "orders": orders, "wall_seconds": total, "shannon_compare_over_kenlm": shannon_wall / total});
    }
    let date = std::process::Command::new("date").arg("+%Y-%m-%d").output()?;
    let date = String::from_utf8_lossy(&date.stdout).trim().to_string();
    let commit = std::process::Command::new("git").args(["rev-parse", "--short", "HEAD"]).output()?;
    let dirty = std::process::Command::new("git").args(["status", "--porcelain", "--untracked-files=no"]).output()?;
    let commit = format!(
        "{}{}",
        String::from_utf8_lossy(&commit.stdout).trim(),
        if dirty.stdout.is_empty() { "" } else { " with uncommitted changes" }
    );
    let report = json!({
        "benchmark": "compare",
        "date": date,
        "commit": commit,
        "train": args.train.display().to_string(),
        "test": args.test.display().to_string(),
        "order": args.order,
        "load_average": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
        "shannon": rows,
        "kenlm": kenlm,
        "units": {"wall_seconds": "wall-clock", "peak_rss_bytes": "GNU time %M of the process"},
    });
    let out = args.output.clone().unwrap_or_else(|| PathBuf::from(format!("reports/bench-compare-{date}.json")));
    std::fs::write(&out, serde_json::to_string_pretty(&report)? + "\n").with_context(|| out.display().to_string())?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
