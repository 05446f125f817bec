//! Walk benchmark: how fast a model scores whole sentences — the backoff walk that `shannon score`, the
//! per-document scores and the Python module's `Model` all run — without Python around it.
//!
//! Model: KenLM's lmplz 5-gram of the bible's training split (`reference/kenlm/bible.o5.arpa.xz`), read as
//! `shannon.Model` reads it (ARPA → shannon's binary layout in memory). Sentences: the bible's lines
//! (`corpora/canterbury/bible.txt`), cycled to `--sentences`, with `<s>` and `</s>`, as the Python benchmark
//! (`python/bench/score_batch.py`) scores them. One thread.
//!
//! Timed, best of `--repeat` (wall and the thread's CPU time, Linux schedstat), each way scoring all the
//! sentences as one stream, as `score_batch` walks a chunk (every sentence starts afresh from its `<s>`):
//! - `lookup`: splitting the lines and looking their words up in the vocabulary built from the file's words
//!   (what `score_batch` does before scoring), and the same in the file's own word table;
//! - `serial`: the walk one word after another (each word's probes wait on the one before);
//! - `windowed`: the walk as shipped, 48 words at a time with their probes prefetched a turn ahead.
//!
//! The ways' totals are checked bit for bit against each other before anything is timed.
//!
//! Usage: `SHANNON_CORPORA=../shared/corpora cargo run --release -p shannon-bench --bin walk-bench --
//! [--sentences 100000] [--repeat 5] [--output reports/bench-walk-<date>.json]`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use shannon_jobs::model_file::{self, Loaded};
use shannon_model::binary::Mapped;
use shannon_model::LanguageModel;
use shannon_tokens::{BOS, EOS};

/// Walk benchmark: CPU time per token of the backoff walk, windowed and one word after another.
#[derive(Parser)]
#[command(name = "walk-bench")]
struct Args {
    /// Sentences scored per timed run (bible lines, cycled).
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    sentences: usize,
    /// Timed runs of each way; the fastest counts.
    #[arg(long, value_name = "N", default_value_t = 5)]
    repeat: usize,
    /// Report path (default: reports/bench-walk-<date>.json).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Another ARPA model to walk (a small one shows the walk's own work, its tables in the nearer caches).
    #[arg(long, value_name = "FILE")]
    arpa: Option<PathBuf>,
}

/// A way to walk a sentence: its tokens, and where each predicted position's (index, ln p, n-gram length) goes.
type Walk<'a> = dyn Fn(&[u32], &mut dyn FnMut(usize, f64, usize)) + 'a;

/// The calling thread's CPU time in seconds (schedstat's run time; wall time where it cannot be read).
fn thread_cpu() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

/// Best wall and CPU seconds of `repeat` runs of `f`, and its last result.
fn best<T>(repeat: usize, mut f: impl FnMut() -> T) -> (f64, f64, T) {
    let (mut wall, mut cpu, mut out) = (f64::INFINITY, f64::INFINITY, None);
    for _ in 0..repeat.max(1) {
        let (c0, t0) = (thread_cpu(), Instant::now());
        let r = f();
        let w = t0.elapsed().as_secs_f64();
        let c = match (c0, thread_cpu()) {
            (Some(a), Some(b)) => b - a,
            _ => w,
        };
        wall = wall.min(w);
        cpu = cpu.min(c);
        out = Some(r);
    }
    (wall, cpu, out.expect("at least one run"))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let corpora =
        PathBuf::from(std::env::var_os("SHANNON_CORPORA").context("set SHANNON_CORPORA to ../shared/corpora")?);
    let shared = corpora.parent().context("SHANNON_CORPORA has no parent")?.to_path_buf();
    let arpa = args.arpa.clone().unwrap_or_else(|| shared.join("reference/kenlm/bible.o5.arpa.xz"));
    let text = std::fs::read_to_string(corpora.join("canterbury/bible.txt")).context("bible.txt")?;

    let mapped = match model_file::load(&arpa)? {
        Loaded::Arpa { vocab, model, tokenizer } => {
            let mut bytes = Vec::new();
            shannon_model::binary::write_tokenized(&model, &vocab, tokenizer.as_ref(), &mut bytes)?;
            Mapped::new(bytes)?
        }
        Loaded::Binary(_) => bail!("{} is not ARPA", arpa.display()),
    };

    let lines: Vec<&str> = text.lines().collect();
    let sentences: Vec<&str> = (0..args.sentences).map(|i| lines[i % lines.len()]).collect();
    // Splitting the lines and looking their words up, in the vocabulary built from the file's words (what
    // `score`, per-document scoring and `score_batch` do), and in the file's own word table.
    let words = mapped.words()?;
    let lookup = |find: &dyn Fn(&str) -> u32| -> (Vec<u32>, Vec<usize>) {
        let mut ids = Vec::new();
        let mut cuts = vec![0];
        for s in &sentences {
            ids.push(BOS);
            ids.extend(s.split_ascii_whitespace().map(find));
            ids.push(EOS);
            cuts.push(ids.len());
        }
        (ids, cuts)
    };
    let (lookup_wall, lookup_cpu, (ids, cuts)) = best(args.repeat, || lookup(&|w| words.get(w)));
    let (table_wall, table_cpu, (table_ids, _)) = best(args.repeat, || lookup(&|w| mapped.get(w)));
    if table_ids != ids {
        bail!("the file's word table and the vocabulary built from it disagree");
    }
    let tokens = ids.len() - sentences.len(); // predicted: all but <s>

    // Every sentence starts from `<s>`, where a walk starts afresh: the whole stream is walked at once, as
    // `score_batch` walks a chunk, each value added to its sentence's total in position order.
    let total = |walk: &Walk| -> Vec<f64> {
        let mut totals = vec![-0.0; sentences.len()];
        let mut k = 0;
        walk(&ids, &mut |i, lp, _| {
            while i >= cuts[k + 1] {
                k += 1;
            }
            totals[k] += lp * std::f64::consts::LOG10_E;
        });
        totals
    };
    let windowed = || total(&|s, out| mapped.stream_log_probs(s, out));
    let serial = || total(&|s, out| mapped.stream_log_probs_serial(s, out));

    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    if bits(&windowed()) != bits(&serial()) {
        bail!("the windowed walk disagrees with the serial one");
    }

    let (serial_wall, serial_cpu, _) = best(args.repeat, serial);
    let (windowed_wall, windowed_cpu, _) = best(args.repeat, windowed);

    let ns = |s: f64| s * 1e9 / tokens as f64;
    let row = |name: &str, wall: f64, cpu: f64| {
        eprintln!("{name:>9}: {wall:.3} s wall, {cpu:.3} s CPU, {:.1} ns/token CPU", ns(cpu));
        serde_json::json!({"way": name, "wall_s": wall, "cpu_s": cpu, "ns_per_token_cpu": ns(cpu),
            "serial_over_this_cpu": serial_cpu / cpu})
    };
    eprintln!("{} sentences, {tokens} predicted tokens", sentences.len());
    let rows = vec![
        row("lookup", lookup_wall, lookup_cpu),
        row("lookup in the file's table", table_wall, table_cpu),
        row("serial", serial_wall, serial_cpu),
        row("windowed", windowed_wall, windowed_cpu),
    ];
    let date = std::process::Command::new("date").arg("+%Y-%m-%d").output()?;
    let date = String::from_utf8_lossy(&date.stdout).trim().to_string();
    let report = serde_json::json!({
        "benchmark": "walk",
        "date": date,
        "model": arpa.display().to_string(),
        "sentences": sentences.len(),
        "tokens": tokens,
        "repeat": args.repeat,
        "ways": rows,
    });
    let out = args.output.unwrap_or_else(|| PathBuf::from(format!("reports/bench-walk-{date}.json")));
    std::fs::write(&out, serde_json::to_string_pretty(&report)? + "\n").with_context(|| out.display().to_string())?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
