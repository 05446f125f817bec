//! Counting benchmark: n-grams of orders 1–5 over a ≥ 100 MB corpus built from the shared classic corpora,
//! on 1 and 2 threads (and more if asked), with peak memory.
//!
//! Usage: `cargo run --release -p shannon-bench --bin count-bench -- [--mb 100] [--order 5] [--threads 1,2]`
//! with `SHANNON_CORPORA` pointing at `../shared/corpora` (`--help` lists the flags; unknown flags are errors). The corpus is the shared corpora's files,
//! concatenated in MANIFEST order and repeated until it reaches the size asked for, written to a temporary
//! file and memory-mapped like any input.
//!
//! Every timed run's result is checked: the counts must equal the first run's exactly (parallel ==
//! serial), and the unigram total must equal the number of tokens — so a fast wrong answer cannot win.
//! Peak RSS is the kernel's high-water mark (VmHWM), reset before each run by writing 5 to
//! /proc/self/clear_refs.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use shannon_corpus::Corpus;
use shannon_tokens::stream;
use shannon_tokens::{Sentences, TokenKind, Tokenizer};

/// Counting benchmark: n-grams of orders 1..=N over the shared corpora (SHANNON_CORPORA) repeated to a size,
/// per thread count, with peak RSS.
#[derive(Parser)]
#[command(name = "count-bench")]
struct Args {
    /// Corpus size in MiB: the shared corpora concatenated and repeated until they reach it.
    #[arg(long, value_name = "MIB", default_value_t = 100)]
    mb: u64,
    /// Count orders 1..=N.
    #[arg(long, value_name = "N", default_value_t = 5)]
    order: usize,
    /// Thread counts to time, comma-separated; counts must be identical for every one.
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
}

/// Peak resident memory since the last reset, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A digest of everything in the counts (SipHash with fixed keys: the same counts give the same value).
fn fingerprint(c: &shannon_counts::Counts) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    c.tokens.hash(&mut h);
    for o in &c.orders {
        (&o.first, &o.suffix, &o.history, &o.count).hash(&mut h);
    }
    h.finish()
}

fn main() -> Result<()> {
    let Args { mb, order, threads } = Args::parse();
    let corpora = PathBuf::from(std::env::var("SHANNON_CORPORA").context("set SHANNON_CORPORA to ../shared/corpora")?);
    let manifest = std::fs::read_to_string(corpora.join("MANIFEST.tsv")).context("MANIFEST.tsv")?;
    let files: Vec<PathBuf> =
        manifest.lines().skip(1).filter_map(|l| l.split('\t').next()).map(|p| corpora.join(p)).collect();
    if files.is_empty() {
        bail!("no corpora listed in MANIFEST.tsv");
    }

    // Build the corpus file.
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench-corpus.txt");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut written = 0u64;
    'fill: loop {
        for f in &files {
            let bytes = std::fs::read(f).with_context(|| f.display().to_string())?;
            out.write_all(&bytes)?;
            if bytes.last() != Some(&b'\n') {
                out.write_all(b"\n")?;
            }
            written += bytes.len() as u64;
            if written >= mb << 20 {
                break 'fill;
            }
        }
    }
    out.flush()?;
    drop(out);

    let corpus = Corpus::open(&[&path])?;
    let spans = corpus.whole();
    let tokenizer =
        Tokenizer { kind: TokenKind::Words, lowercase: false, sentences: Sentences::Lines, skip_symbols: false };
    let t = Instant::now();
    let (vocab, stream) = stream::tokenize_train(&corpus, &spans, &tokenizer, true, &stream::no_progress)?;
    let tokenize_seconds = t.elapsed().as_secs_f64();
    let positions = stream.ids.len() as u64;
    println!(
        "corpus: {} files repeated to {:.1} MB; {} tokens ({} positions with markers), vocabulary {}; tokenized (words, all threads) in {:.2} s",
        files.len(),
        corpus.bytes() as f64 / 1e6,
        stream.tokens,
        positions,
        vocab.len(),
        tokenize_seconds
    );

    let mut first: Option<u64> = None;
    let mut distinct = Vec::new();
    let mut baseline = None;
    let mut results = Vec::new();
    for &n in &threads {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(n).build()?;
        reset_peak();
        let before = peak_rss().unwrap_or(0);
        let t = Instant::now();
        let counts = pool.install(|| shannon_counts::count(&stream.ids, vocab.len(), order));
        let secs = t.elapsed().as_secs_f64();
        let peak = peak_rss().unwrap_or(0);
        // Check the result inside the timed loop's iteration.
        let predicted = stream.ids.iter().filter(|&&t| t != shannon_tokens::BOS).count() as u64;
        if counts.tokens != predicted {
            bail!("unigram total {} != predicted tokens {predicted}", counts.tokens);
        }
        // Keep a fingerprint, not the counts, so the next run's peak memory is its own.
        let print = fingerprint(&counts);
        if *first.get_or_insert(print) != print {
            bail!("counts with {n} threads differ from the first run");
        }
        distinct = (1..=order).map(|n| counts.order(n).seen()).collect();
        drop(counts);
        let rate = stream.tokens as f64 / secs;
        let speedup = baseline.map_or(1.0, |b: f64| b / secs);
        baseline.get_or_insert(secs);
        println!(
            "threads {n}: count orders 1..={order} in {secs:.2} s = {:.2} M tokens/s ({:.1} MB/s), speed-up {speedup:.2}x, peak RSS {:.0} MiB (before counting {:.0} MiB)",
            rate / 1e6,
            corpus.bytes() as f64 / secs / 1e6,
            peak as f64 / (1 << 20) as f64,
            before as f64 / (1 << 20) as f64,
        );
        results.push(serde_json::json!({
            "threads": n, "seconds": secs, "tokens_per_second": rate, "speedup": speedup, "peak_rss_bytes": peak,
        }));
    }
    println!("distinct n-grams per order: {distinct:?}");
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "bench": "count", "bytes": corpus.bytes(), "tokens": stream.tokens, "order": order,
            "distinct_ngrams": distinct, "runs": results,
        }))?
    );
    Ok(())
}
