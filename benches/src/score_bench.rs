//! Scoring benchmark against KenLM: `shannon score` and KenLM's `query`, side by side in one run, on the same
//! model and text, each as the user runs it (a process that reads the text, tokenizes it and scores it).
//!
//! Model: lmplz's 5-gram of the bible's training split (`reference/kenlm/bible.o5.arpa.xz`), written out by
//! `shannon convert` as an ARPA file, then built into KenLM's probing binary by `build_binary probing` and
//! into shannon's binary by `shannon convert` (and `--format binary-f32`: values rounded to f32 as KenLM's) —
//! all from the same ARPA. Text: canterbury/bible.txt repeated
//! `--copies` times, `<s>`/`</s>` per line, one thread each (`query` has one; `shannon score --threads 1`).
//!
//! Timed, `--repeat` times alternating: the children's user + system CPU seconds (from `/proc/self/stat`,
//! 10 ms ticks) and wall seconds; the best of each counts. Tokens per CPU-second are compared as a ratio.
//! The perplexities must agree to 1e-6 relative, or the bench fails. Also reported: both files' sizes and
//! `query`'s own peak RSS line.
//!
//! Usage (KenLM's tools built from the PyPI sdist with CMake): `SHANNON_CORPORA=../shared/corpora cargo run
//! --release -p shannon-bench --bin score-bench -- --query PATH --build-binary PATH [--copies 8] [--repeat 3]
//! [--output reports/bench-score-<date>.json]`. `shannon` is the release binary beside this one (build it
//! with `cargo build --release -p shannon`) unless `--shannon` names another.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use clap::Parser;

/// Scoring benchmark: `shannon score` against KenLM's `query` on the same model and text.
#[derive(Parser)]
#[command(name = "score-bench")]
struct Args {
    /// KenLM's `query` binary.
    #[arg(long, value_name = "PATH")]
    query: PathBuf,
    /// KenLM's `build_binary`.
    #[arg(long, value_name = "PATH")]
    build_binary: PathBuf,
    /// The `shannon` binary [default: the one beside this benchmark].
    #[arg(long, value_name = "PATH")]
    shannon: Option<PathBuf>,
    /// Copies of bible.txt scored.
    #[arg(long, value_name = "N", default_value_t = 8)]
    copies: usize,
    /// Timed runs of each (alternating); the best counts.
    #[arg(long, value_name = "N", default_value_t = 3)]
    repeat: usize,
    /// Report path (default: reports/bench-score-<date>.json).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// User + system CPU seconds of this process's waited-for children so far (`/proc/self/stat`).
fn children_cpu() -> Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name (which may hold spaces) start at field 3; cutime and cstime are 16, 17.
    let rest = stat.rsplit_once(')').context("/proc/self/stat")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[13].parse::<f64>()? + f[14].parse::<f64>()?;
    Ok(ticks / 100.0)
}

/// Runs `cmd` to completion (stdin from `input` when given): its wall and CPU seconds and its stdout.
fn timed(cmd: &mut Command, input: Option<&Path>) -> Result<(f64, f64, String)> {
    if let Some(p) = input {
        cmd.stdin(std::fs::File::open(p).with_context(|| p.display().to_string())?);
    }
    let (c0, t0) = (children_cpu()?, Instant::now());
    let out = cmd.stderr(Stdio::piped()).stdout(Stdio::piped()).output().with_context(|| format!("{cmd:?}"))?;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = children_cpu()? - c0;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((wall, cpu, text))
}

/// The value after `label` on a line of `text` (KenLM's `Label:\tvalue`).
fn field(text: &str, label: &str) -> Result<f64> {
    let line = text.lines().find(|l| l.starts_with(label)).with_context(|| format!("no {label:?} in {text}"))?;
    Ok(line[label.len()..].trim().parse()?)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let corpora =
        PathBuf::from(std::env::var_os("SHANNON_CORPORA").context("set SHANNON_CORPORA to ../shared/corpora")?);
    let shared = corpora.parent().context("SHANNON_CORPORA has no parent")?.to_path_buf();
    let shannon = match args.shannon {
        Some(p) => p,
        None => std::env::current_exe()?.parent().context("no directory")?.join("shannon"),
    };
    ensure!(shannon.exists(), "{} not found: cargo build --release -p shannon", shannon.display());
    let dir = tempfile::tempdir()?;
    let arpa = dir.path().join("model.arpa");
    let kenlm = dir.path().join("model.kenlm");
    let bin = dir.path().join("model.bin");
    let source = shared.join("reference/kenlm/bible.o5.arpa.xz");
    timed(Command::new(&shannon).arg("convert").arg(&source).arg(&arpa).args(["--format", "arpa", "-q"]), None)?;
    timed(Command::new(&args.build_binary).arg("probing").arg(&arpa).arg(&kenlm), None)?;
    timed(Command::new(&shannon).arg("convert").arg(&arpa).arg(&bin).arg("-q"), None)?;
    let bin32 = dir.path().join("model-f32.bin");
    timed(Command::new(&shannon).arg("convert").arg(&arpa).arg(&bin32).args(["--format", "binary-f32", "-q"]), None)?;
    let bible = std::fs::read(corpora.join("canterbury/bible.txt")).context("bible.txt")?;
    let text = dir.path().join("text.txt");
    std::fs::write(&text, bible.repeat(args.copies))?;
    let report = dir.path().join("score.json");

    let mut kenlm_best = (f64::INFINITY, f64::INFINITY);
    let (mut shannon_best, mut f32_best) = (kenlm_best, kenlm_best);
    let (mut kenlm_out, mut shannon_report, mut f32_report) =
        (String::new(), serde_json::Value::Null, serde_json::Value::Null);
    let score = |model: &Path| -> Result<(f64, f64, serde_json::Value)> {
        let (wall, cpu, _) = timed(
            Command::new(&shannon)
                .arg("score")
                .arg(&text)
                .arg("--model")
                .arg(model)
                .args(["--tokens", "whitespace", "--threads", "1", "-q", "--output"])
                .arg(&report),
            None,
        )?;
        Ok((wall, cpu, serde_json::from_slice(&std::fs::read(&report)?)?))
    };
    for _ in 0..args.repeat.max(1) {
        let (wall, cpu, out) = timed(Command::new(&args.query).args(["-v", "summary"]).arg(&kenlm), Some(&text))?;
        kenlm_best = (kenlm_best.0.min(wall), kenlm_best.1.min(cpu));
        kenlm_out = out;
        let (wall, cpu, r) = score(&bin)?;
        shannon_best = (shannon_best.0.min(wall), shannon_best.1.min(cpu));
        shannon_report = r;
        let (wall, cpu, r) = score(&bin32)?;
        f32_best = (f32_best.0.min(wall), f32_best.1.min(cpu));
        f32_report = r;
    }
    let kenlm_ppl = field(&kenlm_out, "Perplexity including OOVs:")?;
    let tokens = field(&kenlm_out, "Tokens:")?;
    let ppl = |r: &serde_json::Value| r["score"]["perplexity"].as_f64().context("no perplexity in shannon's report");
    let (shannon_ppl, f32_ppl) = (ppl(&shannon_report)?, ppl(&f32_report)?);
    for (what, p) in [("binary", shannon_ppl), ("binary-f32", f32_ppl)] {
        ensure!(
            (kenlm_ppl - p).abs() <= 1e-6 * kenlm_ppl,
            "perplexities differ: KenLM {kenlm_ppl}, shannon {what} {p}"
        );
    }
    let rss = kenlm_out.lines().find(|l| l.starts_with("Name:query")).unwrap_or("").to_string();
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len());
    let (kenlm_bytes, shannon_bytes, f32_bytes) = (size(&kenlm)?, size(&bin)?, size(&bin32)?);
    let ratio = kenlm_best.1 / shannon_best.1;
    let f32_ratio = kenlm_best.1 / f32_best.1;
    println!("{} copies of bible.txt: {tokens} tokens, perplexity {kenlm_ppl} (both)", args.copies);
    println!("KenLM query:   {:.3} s wall, {:.2} s CPU; probing file {kenlm_bytes} bytes", kenlm_best.0, kenlm_best.1);
    println!(
        "shannon score: {:.3} s wall, {:.2} s CPU; binary file {shannon_bytes} bytes",
        shannon_best.0, shannon_best.1
    );
    println!(
        "shannon score (binary-f32): {:.3} s wall, {:.2} s CPU; file {f32_bytes} bytes, perplexity {f32_ppl}",
        f32_best.0, f32_best.1
    );
    println!(
        "shannon's tokens per CPU-second / KenLM's: {ratio:.2} (f32: {f32_ratio:.2}); file size ratio {:.3} (f32: {:.3})",
        shannon_bytes as f64 / kenlm_bytes as f64,
        f32_bytes as f64 / kenlm_bytes as f64
    );
    let date = Command::new("date").arg("+%Y-%m-%d").output()?;
    let date = String::from_utf8_lossy(&date.stdout).trim().to_string();
    let json = serde_json::json!({
        "benchmark": "score",
        "date": date,
        "model": source.display().to_string(),
        "text": format!("canterbury/bible.txt x {}", args.copies),
        "tokens": tokens,
        "perplexity": {"kenlm": kenlm_ppl, "shannon": shannon_ppl, "shannon_f32": f32_ppl},
        "repeat": args.repeat,
        "kenlm_query": {"wall_s": kenlm_best.0, "cpu_s": kenlm_best.1, "file_bytes": kenlm_bytes, "resources": rss},
        "shannon_score": {"wall_s": shannon_best.0, "cpu_s": shannon_best.1, "file_bytes": shannon_bytes},
        "shannon_tokens_per_cpu_over_kenlm": ratio,
        "file_bytes_shannon_over_kenlm": shannon_bytes as f64 / kenlm_bytes as f64,
        "shannon_score_f32": {"wall_s": f32_best.0, "cpu_s": f32_best.1, "file_bytes": f32_bytes},
        "shannon_f32_tokens_per_cpu_over_kenlm": f32_ratio,
        "file_bytes_shannon_f32_over_kenlm": f32_bytes as f64 / kenlm_bytes as f64,
    });
    let out = args.output.unwrap_or_else(|| PathBuf::from(format!("reports/bench-score-{date}.json")));
    std::fs::write(&out, serde_json::to_string_pretty(&json)? + "\n").with_context(|| out.display().to_string())?;
    println!("wrote {}", out.display());
    Ok(())
}
