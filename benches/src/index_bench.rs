//! Index benchmark: the suffix-array index of the shared corpora together (every file of the MANIFEST,
//! ≈ 10.9 MB), as letters and as words: build speed, bytes per token, and the latency of count queries
//! and of ∞-gram distributions through the memory-mapped file. Writes `reports/bench-index-<date>.json`.
//!
//! Usage: `cargo run --release -p shannon-bench --bin index-bench -- [--runs 3] [--queries 20000]` with
//! `SHANNON_CORPORA` pointing at `../shared/corpora`.
//!
//! - **Build**: `shannon_jobs::index::run` (what `shannon index` does) `--runs` times; tokenizing, the
//!   suffix array (libsais, one thread) and writing are timed apart; MB/s is text bytes over seconds.
//! - **Open**: `shannon_jobs::index::load` (map the file, check the header, every id and that the suffix
//!   array is a permutation: O(L)), median of `--runs`.
//! - **Count**: n-grams cut from random positions of the text, of lengths 1, 2, 3, 5, 10, 20, 50 and 100,
//!   counted in the mapped index, one thread; latency per query (median and 99th percentile). Every
//!   answer is checked: the n-gram occurs where it was cut, so its count is at least 1, and the rows just
//!   outside its range do not start with it while the first and last rows inside do.
//! - **Blocks**: the count profiles of the n-blocks for n = 1..=100 (letters), from the suffix array and its
//!   LCP array (Kasai), and their Good–Turing coverage 1 − f₁/N.
//! - **∞-gram**: the distribution after a context of 100 tokens cut from the text (so the whole context
//!   occurs: the longest suffix is found by binary search over lengths, then its followers); checked to
//!   sum to its total.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use rand::{Rng, SeedableRng};
use serde_json::json;
use shannon_jobs::index::{self, IndexConfig};
use shannon_jobs::{Silent, TextConfig};
use shannon_tokens::{Sentences, TokenKind, Tokenizer};

/// Index benchmark over the shared corpora (SHANNON_CORPORA).
#[derive(Parser)]
#[command(name = "index-bench")]
struct Args {
    /// Builds of each index (the median is reported).
    #[arg(long, value_name = "N", default_value_t = 3)]
    runs: usize,
    /// Count queries of each length.
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    queries: usize,
    /// Where to write the JSON report [default: reports/bench-index-<date>.json].
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
}

const LENGTHS: [usize; 8] = [1, 2, 3, 5, 10, 20, 50, 100];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn main() -> Result<()> {
    let args = Args::parse();
    let corpora = PathBuf::from(std::env::var("SHANNON_CORPORA").context("set SHANNON_CORPORA to ../shared/corpora")?);
    let manifest = std::fs::read_to_string(corpora.join("MANIFEST.tsv")).context("MANIFEST.tsv")?;
    let files: Vec<PathBuf> =
        manifest.lines().skip(1).filter_map(|l| l.split('\t').next()).map(|p| corpora.join(p)).collect();
    let text_bytes: u64 = files.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum();
    let dir = tempfile::tempdir()?;
    let mut results = Vec::new();
    for (name, kind, sentences) in
        [("letters", TokenKind::Letters, Sentences::None), ("words", TokenKind::Words, Sentences::Lines)]
    {
        let tokenizer = Tokenizer { kind, lowercase: false, sentences, skip_symbols: false };
        let output = dir.path().join(format!("{name}.idx"));
        let config = IndexConfig::new(files.clone(), TextConfig { tokenizer, lossy: true }, output.clone());
        let mut builds = Vec::new();
        for _ in 0..args.runs {
            let t = Instant::now();
            let s = index::run(&config, &Silent)?;
            builds.push((s, t.elapsed().as_secs_f64()));
        }
        let summary = builds[0].0.clone();
        let wall = median(builds.iter().map(|b| b.1).collect());
        let sa = median(builds.iter().map(|b| b.0.suffix_array_seconds).collect());
        let tok = median(builds.iter().map(|b| b.0.tokenize_seconds).collect());
        let write = median(builds.iter().map(|b| b.0.write_seconds).collect());
        let mut loads = Vec::new();
        for _ in 0..args.runs {
            let t = Instant::now();
            drop(index::load(&output)?);
            loads.push(t.elapsed().as_secs_f64());
        }
        let ix = index::load(&output)?;
        let n = ix.len();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20);
        let mut counts = Vec::new();
        for &m in &LENGTHS {
            let mut lat = Vec::with_capacity(args.queries);
            let mut occurrences = 0u64;
            for _ in 0..args.queries {
                let p = rng.random_range(0..n - m);
                let pattern: Vec<u32> = (p..p + m).map(|i| ix.token(i)).collect();
                let t = Instant::now();
                let rows = ix.range(&pattern);
                lat.push(t.elapsed().as_secs_f64());
                let ok = !rows.is_empty()
                    && ix.compare(rows.start, &pattern).is_eq()
                    && ix.compare(rows.end - 1, &pattern).is_eq()
                    && (rows.start == 0 || !ix.compare(rows.start - 1, &pattern).is_eq())
                    && (rows.end == n || !ix.compare(rows.end, &pattern).is_eq());
                if !ok {
                    bail!("wrong range {rows:?} for {pattern:?} cut at {p}");
                }
                occurrences += rows.len() as u64;
            }
            counts.push(json!({
                "length": m, "queries": args.queries,
                "median_us": median(lat.clone()) * 1e6, "p99_us": percentile(lat, 0.99) * 1e6,
                "mean_count": occurrences as f64 / args.queries as f64,
            }));
        }
        let mut lat = Vec::new();
        let mut context_len = 0usize;
        for _ in 0..args.queries / 10 {
            let p = rng.random_range(100..n);
            let context: Vec<u32> = (p - 100..p).map(|i| ix.token(i)).collect();
            let t = Instant::now();
            let d = ix.infinigram(&context);
            lat.push(t.elapsed().as_secs_f64());
            if d.followers.iter().map(|f| f.1).sum::<u64>() != d.total || d.total == 0 {
                bail!("∞-gram distribution does not sum to its total");
            }
            context_len += d.context;
        }
        // Block count profiles N = 1..=100 from the suffix array and its LCP array (letters only: words'
        // 100-blocks are all distinct long before).
        let blocks = (name == "letters").then(|| {
            let t = Instant::now();
            let profiles = ix.block_profiles(100, |t| t == shannon_tokens::BOS || t == shannon_tokens::EOS);
            let seconds = t.elapsed().as_secs_f64();
            let coverage: Vec<f64> = profiles.iter().map(|p| 1.0 - p.seen(1) as f64 / p.blocks.max(1) as f64).collect();
            json!({ "max_n": 100, "seconds": seconds, "good_turing_coverage_by_n": coverage })
        });
        let r = json!({
            "tokens": name, "sentences": if sentences == Sentences::Lines { "lines" } else { "none" },
            "indexed_tokens": summary.tokens, "vocabulary": summary.vocabulary, "file_bytes": summary.file_bytes,
            "bytes_per_token": summary.bytes_per_token(), "id_width": summary.id_width,
            "build": { "runs": args.runs, "median_wall_seconds": wall, "tokenize_seconds": tok,
                       "suffix_array_seconds": sa, "write_seconds": write,
                       "mb_per_second": text_bytes as f64 / 1e6 / wall,
                       "suffix_array_mb_per_second": text_bytes as f64 / 1e6 / sa,
                       "suffix_array_tokens_per_second": summary.tokens as f64 / sa },
            "open_seconds": median(loads),
            "block_profiles": blocks,
            "count_queries": counts,
            "infinigram_100": { "queries": lat.len(), "median_us": median(lat.clone()) * 1e6,
                                "p99_us": percentile(lat.clone(), 0.99) * 1e6,
                                "mean_suffix_used": context_len as f64 / lat.len() as f64 },
        });
        println!("{}", serde_json::to_string_pretty(&r)?);
        results.push(r);
    }
    let date = Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())?;
    let machine =
        Command::new("uname").arg("-srm").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())?;
    let report = json!({
        "schema": "shannon.bench/1",
        "command": "shannon index (shannon_jobs::index::run), queries on the memory-mapped file",
        "corpus": { "files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(), "bytes": text_bytes },
        "machine": { "uname": machine, "threads": rayon::current_num_threads() },
        "indexes": results,
        "units": { "seconds": "wall-clock", "us": "microseconds per query, one thread, file in the page cache" },
    });
    let path = args.out.clone().unwrap_or_else(|| PathBuf::from(format!("reports/bench-index-{date}.json")));
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n").with_context(|| path.display().to_string())?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
