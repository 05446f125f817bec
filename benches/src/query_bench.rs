//! Query benchmark: a 5-gram mkn model of the bible training split scores the bible test split, loaded from
//! ARPA text and from shannon's binary format. Reports load times and tokens per second.
//!
//! Usage: `cargo run --release -p shannon-bench --bin query-bench -- [--order 5] [--repeat 20]` with
//! `SHANNON_CORPORA` pointing at `../shared/corpora` (`--help` lists the flags; unknown flags are errors).
//!
//! - **Load**: `shannon_jobs::model_file::load` on each file (what `shannon score` does): for ARPA, map the file and
//!   parse it into hash tables; for binary, map the file and check its header. Files are in the page cache
//!   (each is read once before timing), so the figures exclude disk reads. lmplz's own `.arpa.xz` of the same
//!   model is loaded too (xz decompression plus parsing).
//! - **Query**: one thread walks the test stream and sums ln p(w | h) over every predicted token (words and
//!   `</s>`), as `shannon score` does per position; tokens per second is predicted tokens / time, best and
//!   median of `--repeat` runs of 10 passes each, in wall time and per CPU-second of the thread (Linux's
//!   schedstat: time spent waiting for a core on a shared machine does not count). Then the same through
//!   `shannon_eval::score` on all cores. The first binary pass after loading is reported separately: it
//!   includes the page faults that bring the file in.
//!
//! Every timed pass is checked: its sum must equal the in-memory model's within 1e-9 relative (ARPA rounds
//! to shortest decimals), so a fast wrong answer cannot win.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use shannon_corpus::Corpus;
use shannon_jobs::model_file::{self, Loaded};
use shannon_model::{LanguageModel, Model, Smoothing};
use shannon_tokens::stream::{self, Stream};
use shannon_tokens::{history, Sentences, TokenKind, Tokenizer, BOS};

/// Query benchmark: load times (ARPA, binary) and tokens per second of an mkn model of the bible training
/// split (from SHANNON_CORPORA) scoring its test split.
#[derive(Parser)]
#[command(name = "query-bench")]
struct Args {
    /// Model order.
    #[arg(long, value_name = "N", default_value_t = 5)]
    order: usize,
    /// Timed runs of each query measurement (10 passes each) and of the binary load; ARPA loads at most 5.
    #[arg(long, value_name = "N", default_value_t = 20)]
    repeat: usize,
}

const TOKENIZER: Tokenizer =
    Tokenizer { kind: TokenKind::Whitespace, lowercase: false, sentences: Sentences::Lines, skip_symbols: false };

/// Σ ln p over the predicted positions of `ids`, and how many there were.
fn sum_log_prob(model: &impl LanguageModel, ids: &[u32]) -> (f64, u64) {
    let context = model.order() - 1;
    let (mut sum, mut n) = (0.0, 0);
    for i in 0..ids.len() {
        if ids[i] != BOS {
            sum += model.log_prob(history(ids, i, context), ids[i]);
            n += 1;
        }
    }
    (sum, n)
}

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// CPU time this thread has run (Linux's schedstat, in ns): unlike wall time, it does not count time the
/// thread waited for a core, so it stays meaningful on a shared machine.
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// Wall and CPU time of one run.
#[derive(Clone, Copy)]
struct Timed {
    wall: Duration,
    cpu: Duration,
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Timed) {
    let (w, c) = (Instant::now(), thread_cpu());
    let out = f();
    (out, Timed { wall: w.elapsed(), cpu: thread_cpu().saturating_sub(c) })
}

/// Best and median wall time, and best CPU time, of several runs.
fn summarize(runs: &[Timed]) -> (Duration, Duration, Duration) {
    let wall: Vec<Duration> = runs.iter().map(|t| t.wall).collect();
    let best_cpu = runs.iter().map(|t| t.cpu).min().unwrap();
    (*wall.iter().min().unwrap(), median(wall), best_cpu)
}

/// Times `load` `repeat` times (after one untimed warm-up that brings the file into the page cache).
fn time_load(path: &Path, repeat: usize) -> Result<(Vec<Timed>, Loaded)> {
    model_file::load(path)?;
    let mut runs = Vec::new();
    let mut last = None;
    for _ in 0..repeat {
        let (loaded, t) = timed(|| model_file::load(path));
        runs.push(t);
        last = Some(loaded?);
    }
    Ok((runs, last.unwrap()))
}

fn print_load(name: &str, runs: &[Timed]) {
    let (best, med, cpu) = summarize(runs);
    println!("  {name:<30} {} best, {} median of {}; CPU {}", ms(best), ms(med), runs.len(), ms(cpu));
}

struct Query {
    runs: Vec<Timed>,
    tokens: u64,
}

/// Passes over the test split in one timed run: long enough (a few hundred ms) that the scheduler's
/// accounting granularity does not matter.
const PASSES: usize = 10;

/// Times `repeat` runs of [`PASSES`] serial passes over `ids`, checking every pass against `reference`.
fn time_query(model: &impl LanguageModel, ids: &[u32], reference: f64, repeat: usize) -> Result<Query> {
    let mut runs = Vec::new();
    let mut tokens = 0;
    for _ in 0..repeat {
        let (sums, t) = timed(|| (0..PASSES).map(|_| sum_log_prob(model, ids)).collect::<Vec<_>>());
        runs.push(t);
        for &(sum, _) in &sums {
            if ((sum - reference) / reference).abs() > 1e-9 {
                bail!("wrong answer: Σ ln p = {sum}, expected {reference}");
            }
        }
        tokens = sums.iter().map(|s| s.1).sum();
    }
    Ok(Query { runs, tokens })
}

fn report(name: &str, q: &Query) {
    let per_s = |d: Duration| q.tokens as f64 / d.as_secs_f64();
    let (best, med, cpu) = summarize(&q.runs);
    println!(
        "  {name:<30} {:>10.0} tokens/s best, {:>10.0} median, {:>10.0} per CPU-second (best); {} runs of {} tokens",
        per_s(best),
        per_s(med),
        per_s(cpu),
        q.runs.len(),
        q.tokens
    );
}

/// Times `repeat` runs of the parallel scorer `shannon score` uses, checking each.
fn time_eval(name: &str, model: &impl LanguageModel, test: &Stream, reference: f64, repeat: usize) -> Result<()> {
    let mut times = Vec::new();
    let mut tokens = 0;
    for _ in 0..repeat {
        let t = Instant::now();
        let s = shannon_eval::score(model, &test.ids, false);
        times.push(t.elapsed());
        let want = reference * std::f64::consts::LOG2_E;
        if ((s.log2_sum - want) / want).abs() > 1e-9 {
            bail!("wrong answer from shannon_eval::score ({name}): {} vs {want}", s.log2_sum);
        }
        tokens = s.tokens;
    }
    let best = *times.iter().min().unwrap();
    println!(
        "  {name:<28} {:>12.0} tokens/s best, {:>12.0} median",
        tokens as f64 / best.as_secs_f64(),
        tokens as f64 / median(times).as_secs_f64()
    );
    Ok(())
}

fn main() -> Result<()> {
    let Args { order, repeat } = Args::parse();
    let corpora = PathBuf::from(std::env::var("SHANNON_CORPORA").context("set SHANNON_CORPORA to ../shared/corpora")?);

    // The model: mkn of `order` on the bible training split, as `shannon build` makes it.
    let corpus = Corpus::open(&[corpora.join("canterbury/bible.txt")])?;
    let (train_spans, test_spans) = corpus.split_holdout(0.1);
    let t = Instant::now();
    let (vocab, train) = stream::tokenize_train(&corpus, &train_spans, &TOKENIZER, false, &stream::no_progress)?;
    let counts = std::sync::Arc::new(shannon_counts::count(&train.ids, vocab.len(), order));
    let model = Model::estimate(counts, order, Smoothing::Mkn, true)?;
    println!(
        "bible: {order}-gram mkn, {} n-grams, built in {} ({} threads)",
        model.summary().ngrams.iter().sum::<u64>(),
        ms(t.elapsed()),
        rayon::current_num_threads()
    );
    let dir = tempfile::tempdir()?;
    let arpa_path = dir.path().join("bible.arpa");
    let bin_path = dir.path().join("bible.bin");
    std::fs::write(&arpa_path, shannon_jobs::build::encode(&model, &vocab, None, shannon_jobs::build::Format::Arpa)?)?;
    std::fs::write(&bin_path, shannon_jobs::build::encode(&model, &vocab, None, shannon_jobs::build::Format::Binary)?)?;
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len() as f64 / 1e6).unwrap_or(f64::NAN);
    println!("files: ARPA {:.1} MB, binary {:.1} MB", size(&arpa_path), size(&bin_path));

    // Load.
    let loads = repeat.clamp(1, 5);
    let (arpa_runs, arpa) = time_load(&arpa_path, loads)?;
    let (bin_runs, bin) = time_load(&bin_path, repeat)?;
    println!("load (page cache warm):");
    print_load("ARPA (map + parse)", &arpa_runs);
    print_load("binary (map + header check)", &bin_runs);
    let lmplz = corpora.join(format!("../reference/kenlm/bible.o{order}.arpa.xz"));
    if lmplz.exists() {
        let (runs, _) = time_load(&lmplz, 1)?;
        print_load("lmplz's .arpa.xz (xz + parse)", &runs);
    }

    // Query: the reference sum from the in-memory model, then each loaded model.
    let test = stream::tokenize_test(&corpus, &test_spans, &TOKENIZER, false, &vocab, &stream::no_progress)?;
    let (reference, _) = sum_log_prob(&model, &test.ids);
    let Loaded::Arpa { vocab: arpa_vocab, model: arpa_model, .. } = &arpa else { bail!("ARPA file read as binary") };
    let Loaded::Binary(mapped) = &bin else { bail!("binary file read as ARPA") };
    let arpa_ids =
        stream::tokenize_test(&corpus, &test_spans, &TOKENIZER, false, arpa_vocab, &stream::no_progress)?.ids;
    let bin_ids = stream::tokenize_test(&corpus, &test_spans, &TOKENIZER, false, mapped, &stream::no_progress)?.ids;
    if arpa_ids != test.ids || bin_ids != test.ids {
        bail!("the files' vocabularies tokenize the test split differently from the model's");
    }
    // A fresh map for the binary's first pass, so that it pays its page faults.
    let Loaded::Binary(fresh) = model_file::load(&bin_path)? else { bail!("binary") };
    let ((first_sum, _), first) = timed(|| sum_log_prob(&fresh, &test.ids));
    if ((first_sum - reference) / reference).abs() > 1e-9 {
        bail!("wrong answer from the binary model's first pass");
    }
    println!("query, one thread (bible test split, {} sentences):", test.sentences);
    report("in-memory (estimated)", &time_query(&model, &test.ids, reference, repeat)?);
    report("ARPA-loaded", &time_query(arpa_model, &test.ids, reference, repeat)?);
    let q = time_query(mapped, &test.ids, reference, repeat)?;
    report("binary (mapped)", &q);
    let per_pass = (q.tokens / PASSES as u64) as f64;
    println!(
        "  binary, first pass after a fresh load (page faults included): {:.0} tokens/s",
        per_pass / first.wall.as_secs_f64()
    );
    println!("query through shannon_eval::score, {} threads:", rayon::current_num_threads());
    time_eval("ARPA-loaded", arpa_model, &test, reference, repeat)?;
    time_eval("binary (mapped)", mapped, &test, reference, repeat)?;
    Ok(())
}
