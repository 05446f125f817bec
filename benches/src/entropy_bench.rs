//! Entropy benchmark: Shannon's letters (27 symbols, the whole text as one stream), block entropies
//! F_1..F_N with every estimator (plug-in, Miller–Madow, Chao–Shen, Grassberger, NSB, jackknife) and
//! block-jackknife standard errors — the `shannon entropy` block stage — on one text, by default
//! canterbury/bible.txt (4 MB).
//!
//! Usage: `cargo run --release -p shannon-bench --bin entropy-bench -- [PATH] [--max-order 10]
//! [--repeat 3] [--threads 1,N] [--counters sort,hash] [--output reports/bench-entropy-<date>.json]` with
//! `SHANNON_CORPORA` pointing at `../shared/corpora` when no PATH is given (`--help` lists the flags;
//! unknown flags are errors). Each configuration — threads × block counter (`--block-counts`: sorting
//! packed keys, the default, or hashing one order at a time) × NSB on the jackknife samples or not — is
//! timed from the memory-mapped file to the finished estimates (tokenizing included); with NSB off the
//! stage is mostly counting. Throughput is file bytes per second (MB = 10^6 bytes); `hash_over_this` in
//! the report is the hashed counter's best time over this configuration's, same threads and NSB setting.
//!
//! Every timed run's result is checked, so a fast wrong answer cannot win: the estimates must equal the
//! first run's exactly (any thread count, any counter), every order must have an NSB estimate, the block
//! counts must be symbols − n + 1, and plug-in F_1 must equal the letter entropy computed here directly
//! from the bytes.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use shannon_corpus::Corpus;
use shannon_eval::entropy::{block_entropies, BlockCounter, BlockEntropies, BlockOptions};
use shannon_tokens::{Sentences, TokenKind, Tokenizer};

/// Entropy benchmark: letter block entropies F_1..F_N with every estimator and jackknife errors, timed
/// with and without NSB on the jackknife samples.
#[derive(Parser)]
#[command(name = "entropy-bench")]
struct Args {
    /// Text to measure [default: $SHANNON_CORPORA/canterbury/bible.txt].
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
    /// Longest block length N.
    #[arg(long, value_name = "N", default_value_t = 10)]
    max_order: usize,
    /// Timed runs of each configuration (best and median reported).
    #[arg(long, value_name = "N", default_value_t = 3)]
    repeat: usize,
    /// Thread counts to time, comma-separated; estimates must be identical for every one [default: 1,<cores>,
    /// or 1 on one core].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    threads: Option<Vec<usize>>,
    /// Block counters to time, comma-separated: sort, hash, suffix-array.
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_value = "sort,hash")]
    counters: Vec<String>,
    /// Report path (default: reports/bench-entropy-<date>.json).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

fn counter(name: &str) -> Result<BlockCounter> {
    Ok(match name {
        "sort" => BlockCounter::Sort,
        "hash" => BlockCounter::Hash,
        "suffix-array" => BlockCounter::SuffixArray,
        other => bail!("unknown counter {other:?} (sort, hash, suffix-array)"),
    })
}

/// Letter entropy of the 27-symbol reading of `bytes`, computed without the tokenizer.
fn direct_f1(bytes: &[u8]) -> f64 {
    let mut counts = [0u64; 27];
    let (mut pending, mut any) = (false, false);
    for &b in bytes {
        if b.is_ascii_alphabetic() {
            if pending && any {
                counts[26] += 1;
            }
            pending = false;
            any = true;
            counts[(b.to_ascii_lowercase() - b'a') as usize] += 1;
        } else {
            pending = true;
        }
    }
    let n: u64 = counts.iter().sum();
    counts.iter().filter(|&&c| c > 0).map(|&c| -(c as f64 / n as f64) * (c as f64 / n as f64).log2()).sum()
}

fn run(corpus: &Corpus, options: &BlockOptions) -> Result<BlockEntropies> {
    let tok = Tokenizer { kind: TokenKind::Letters, lowercase: false, sentences: Sentences::None, skip_symbols: false };
    let (_, stream) = shannon_tokens::stream::tokenize_train(
        corpus,
        &corpus.whole(),
        &tok,
        false,
        &shannon_tokens::stream::no_progress,
    )?;
    Ok(block_entropies(&stream.ids, options))
}

fn check(r: &BlockEntropies, first: Option<&BlockEntropies>, f1: f64) -> Result<()> {
    if let Some(first) = first {
        if r != first {
            bail!("result differs from the first run");
        }
    }
    for o in &r.orders {
        if o.blocks != r.symbols + 1 - o.n as u64 {
            bail!("order {}: {} blocks, expected {}", o.n, o.blocks, r.symbols + 1 - o.n as u64);
        }
        if o.f.nsb.is_none() {
            bail!("order {}: NSB missing", o.n);
        }
    }
    if (r.orders[0].f.plugin - f1).abs() > 1e-9 {
        bail!("plug-in F_1 {} differs from the direct count {f1}", r.orders[0].f.plugin);
    }
    Ok(())
}

fn main() -> Result<()> {
    let Args { path, max_order, repeat, threads, counters, output } = Args::parse();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = threads.unwrap_or_else(|| if cores > 1 { vec![1, cores] } else { vec![1] });
    let counters: Vec<BlockCounter> = counters.iter().map(|c| counter(c)).collect::<Result<_>>()?;
    let path = match path {
        Some(p) => p,
        None => PathBuf::from(std::env::var("SHANNON_CORPORA").context("give a PATH or set SHANNON_CORPORA")?)
            .join("canterbury/bible.txt"),
    };
    let corpus = Corpus::open(&[&path]).with_context(|| path.display().to_string())?;
    let bytes = corpus.bytes();
    let f1 = direct_f1(corpus.sources()[0].as_ref());
    println!("{}: {} bytes, letters, F_1..F_{max_order}, all estimators, {repeat} runs each", path.display(), bytes);
    println!(
        "{:>8} {:>13} {:>14} {:>9} {:>9} {:>8}",
        "threads", "counter", "nsb-jackknife", "best s", "median s", "MB/s"
    );
    let mut first: Option<BlockEntropies> = None;
    let mut rows = Vec::new();
    for &t in &threads {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build()?;
        for &counter in &counters {
            for nsb_jackknife in [true, false] {
                let options = BlockOptions { nsb_jackknife, counter, ..BlockOptions::new(max_order, 27.0) };
                let mut secs = Vec::with_capacity(repeat);
                for _ in 0..repeat {
                    let start = Instant::now();
                    let r = pool.install(|| run(&corpus, &options))?;
                    secs.push(start.elapsed().as_secs_f64());
                    if nsb_jackknife {
                        check(&r, first.as_ref(), f1)?;
                        first.get_or_insert(r);
                    } else {
                        // Without NSB on the deleted samples only NSB's standard errors change.
                        let mut expect = first.clone().context("the NSB run comes first")?;
                        for o in &mut expect.orders {
                            o.h_se.nsb = None;
                            o.f_se.nsb = None;
                        }
                        check(&r, Some(&expect), f1)?;
                    }
                }
                secs.sort_by(f64::total_cmp);
                let best = secs[0];
                let median = secs[secs.len() / 2];
                let name = counter.name();
                println!(
                    "{t:>8} {name:>13} {nsb_jackknife:>14} {best:>9.3} {median:>9.3} {:>8.2}",
                    bytes as f64 / 1e6 / best
                );
                rows.push(serde_json::json!({"threads": t, "counter": name, "nsb_jackknife": nsb_jackknife,
                    "best_s": best, "median_s": median, "seconds": secs, "mb_per_s": bytes as f64 / 1e6 / best}));
            }
        }
    }
    // Each configuration's speed against the hashed counter's, same threads and NSB setting.
    for i in 0..rows.len() {
        let base = rows.iter().find(|b| {
            b["counter"] == "hash"
                && b["threads"] == rows[i]["threads"]
                && b["nsb_jackknife"] == rows[i]["nsb_jackknife"]
        });
        if let Some(speedup) = base.and_then(|b| Some(b["best_s"].as_f64()? / rows[i]["best_s"].as_f64()?)) {
            rows[i]["hash_over_this"] = speedup.into();
        }
    }
    if let Some(r) = &first {
        println!("F_n (plug-in / NSB):");
        for o in &r.orders {
            println!(
                "  F_{:<2} {:.4} / {:.4}  coverage {:.4}{}",
                o.n,
                o.f.plugin,
                o.f.nsb.unwrap_or(f64::NAN),
                o.coverage,
                if o.supported { "" } else { "  (unsupported)" }
            );
        }
    }
    let date = std::process::Command::new("date").arg("+%Y-%m-%d").output()?;
    let date = String::from_utf8_lossy(&date.stdout).trim().to_string();
    let report = serde_json::json!({
        "benchmark": "entropy",
        "date": date,
        "text": path.display().to_string(),
        "bytes": bytes,
        "max_order": max_order,
        "tokens": "letters",
        "repeat": repeat,
        "cores": cores,
        "runs": rows,
    });
    let out = output.unwrap_or_else(|| PathBuf::from(format!("reports/bench-entropy-{date}.json")));
    std::fs::write(&out, serde_json::to_string_pretty(&report)? + "\n").with_context(|| out.display().to_string())?;
    println!("wrote {}", out.display());
    Ok(())
}
