//! Per-document scoring benchmark (issue 19): N generated documents as `.jsonl.zst`, scored with a 5-gram
//! binary model by `shannon_jobs::score::run_documents` (what `shannon score --per-document` runs) on
//! `--threads` threads, against the loop data teams write: Python reading the same file line by line,
//! `json.loads`, and KenLM's Python module scoring each line of the text (`kenlm.Model.score`), on the same
//! file in the same run.
//!
//! Usage: `cargo run --release -p shannon-bench --bin documents-bench -- [--documents 1000000] [--threads 2]`
//! (`--help` lists the flags). Needs `python3` with the `kenlm` module and the `zstd` program (Python's
//! standard library cannot read zstd; `zstd -dc` decompresses into its pipe on a core of its own).
//!
//! - **Text**: one stream of English-like text (`shannon_source::English`, seeded): the first
//!   `--train-bytes` train the model (5-gram mkn, whitespace tokens, written as shannon's binary format for
//!   shannon and as ARPA for KenLM, which cannot read shannon's); the lines after them make the documents,
//!   1 to 5 lines each, as `{"id": …, "url": …, "text": …}` records.
//! - **Timed**: shannon from opening the model and the `.jsonl.zst` to the last document's line written
//!   (to a sink, as is Python's output): decompression, JSON parsing, tokenizing, scoring and formatting.
//!   Python from its first line read to its last document scored; its ARPA load is timed apart and not
//!   counted. Documents per second and MB/s of the decompressed JSON Lines, best of `--repeat` runs each.
//! - **Checked**: both sides' per-document log10 sums agree within 1e-4 relative on every document (Python
//!   prints them; the bench compares), so a fast wrong answer cannot win.
//!
//! Writes `reports/bench-documents-<date>.json` (or `--output`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::json;
use shannon_jobs::text::TokenizerChoice;
use shannon_jobs::{build, score, Silent, TextConfig};
use shannon_source::English;
use shannon_tokens::{Sentences, TokenKind, Tokenizer};

/// Per-document scoring: shannon against a Python json.loads + kenlm.Model.score loop on the same file.
#[derive(Parser)]
#[command(name = "documents-bench")]
struct Args {
    /// Documents to generate.
    #[arg(long, default_value_t = 1_000_000)]
    documents: u64,
    /// Threads for shannon (Python's loop has one).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Bytes of English-like text the model is trained on.
    #[arg(long, default_value_t = 10 << 20)]
    train_bytes: u64,
    /// Model order.
    #[arg(long, default_value_t = 5)]
    order: usize,
    /// Timed runs of each side (the best is reported).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Directory for the generated files (default: a temporary one, removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The report (default: reports/bench-documents-<date>.json).
    #[arg(long)]
    output: Option<PathBuf>,
}

const TOKENIZER: Tokenizer =
    Tokenizer { kind: TokenKind::Whitespace, lowercase: false, sentences: Sentences::Lines, skip_symbols: false };

/// Python's side: prints the seconds of its loop, then one line per document: id and Σ log10 p.
const PYTHON: &str = r#"
import json, subprocess, sys, time
import kenlm
t0 = time.perf_counter()
model = kenlm.Model(sys.argv[1])
load = time.perf_counter() - t0
out = []
zstd = subprocess.Popen(["zstd", "-dc", sys.argv[2]], stdout=subprocess.PIPE, bufsize=1 << 20)
t0 = time.perf_counter()
n = 0
for line in zstd.stdout:
    doc = json.loads(line)
    total = 0.0
    words = 0
    for sentence in doc["text"].split("\n"):
        total += model.score(sentence, bos=True, eos=True)
        words += len(sentence.split()) + 1
    ppl = 10.0 ** (-total / words)
    out.append((doc["id"], total))
    n += 1
loop = time.perf_counter() - t0
zstd.wait()
print(load, loop, n)
w = sys.stdout.write
for i, t in out:
    w(f"{i} {t!r}\n")
"#;

fn main() -> Result<()> {
    let args = Args::parse();
    if args.documents == 0 || args.threads == 0 || args.repeat == 0 {
        bail!("--documents, --threads and --repeat must be at least 1");
    }
    let temp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;

    // The text: training bytes, then document lines.
    let started = Instant::now();
    let english = English::new(English::DEFAULT_SEED);
    let doc_bytes = args.documents * 460;
    let mut text = Vec::new();
    english.write_parallel(args.train_bytes + doc_bytes, args.threads, &mut text)?;
    let cut = memchr_after(&text, args.train_bytes as usize);
    let train = dir.join("train.txt");
    std::fs::write(&train, &text[..cut])?;
    let mut lines = text[cut..].split(|&b| b == b'\n').filter(|l| !l.is_empty());
    let mut jsonl = Vec::with_capacity(doc_bytes as usize * 11 / 10);
    let mut made = 0u64;
    while made < args.documents {
        let k = 1 + (made * 7 % 5) as usize;
        let doc: Vec<&str> =
            lines.by_ref().take(k).map(|l| std::str::from_utf8(l).expect("generated text is UTF-8")).collect();
        if doc.is_empty() {
            bail!("generated text ran out at {made} documents");
        }
        let record = json!({"id": made, "url": format!("https://example.org/{made}"), "text": doc.join("\n")});
        serde_json::to_writer(&mut jsonl, &record)?;
        jsonl.push(b'\n');
        made += 1;
    }
    drop(text);
    let jsonl_bytes = jsonl.len() as u64;
    let docs = dir.join("docs.jsonl.zst");
    std::fs::write(&docs, zstd::stream::encode_all(&jsonl[..], 3)?)?;
    drop(jsonl);
    let zst_bytes = std::fs::metadata(&docs)?.len();
    eprintln!(
        "generated {} documents: {:.1} MB of JSON Lines, {:.1} MB as .jsonl.zst ({:.1} s)",
        args.documents,
        jsonl_bytes as f64 / 1e6,
        zst_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    // The model, in both formats.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(args.threads).build()?;
    let bin = dir.join("model.bin");
    let arpa = dir.join("model.arpa");
    for (path, format) in [(&bin, build::Format::Binary), (&arpa, build::Format::Arpa)] {
        let mut config = build::BuildConfig::new(
            vec![train.clone()],
            TextConfig { tokenizer: TOKENIZER, lossy: false },
            path.clone(),
        );
        config.order = args.order;
        config.format = format;
        pool.install(|| build::run(&config, &Silent)).with_context(|| format!("building {}", path.display()))?;
    }
    eprintln!("built the {}-gram model ({:.1} MB binary)", args.order, std::fs::metadata(&bin)?.len() as f64 / 1e6);

    // shannon.
    let mut config = score::ScoreConfig::new(bin.clone(), vec![docs.clone()], TokenizerChoice::given(TOKENIZER));
    config.per_document = true;
    config.documents.id_field = Some("id".into());
    let mut best = f64::INFINITY;
    let mut ours = Vec::new();
    for _ in 0..args.repeat {
        ours.clear();
        let mut sink = std::io::sink();
        let t0 = Instant::now();
        pool.install(|| {
            score::run_documents(&config, &Silent, &mut |d| {
                sink.write_all(&score::document_line(d)).map_err(|e| shannon_jobs::Error::io("sink", e))?;
                ours.push(d.log10_prob.unwrap_or(f64::NEG_INFINITY));
                Ok(())
            })
        })?;
        best = best.min(t0.elapsed().as_secs_f64());
    }
    let shannon_seconds = best;
    eprintln!("shannon: {shannon_seconds:.2} s on {} threads", args.threads);

    // Python.
    let mut python_best = f64::INFINITY;
    let mut python_load = 0.0;
    let mut theirs: Vec<f64> = Vec::new();
    for _ in 0..args.repeat {
        let out =
            Command::new("python3").arg("-c").arg(PYTHON).arg(&arpa).arg(&docs).output().context("running python3")?;
        if !out.status.success() {
            bail!("the Python loop failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let stdout = String::from_utf8(out.stdout)?;
        let mut lines = stdout.lines();
        let head: Vec<f64> = lines.next().unwrap_or("").split(' ').filter_map(|x| x.parse().ok()).collect();
        if head.len() != 3 || head[2] as u64 != args.documents {
            bail!("the Python loop said {head:?}");
        }
        python_load = head[0];
        python_best = python_best.min(head[1]);
        theirs = lines.map(|l| l.split(' ').nth(1).and_then(|x| x.parse().ok()).unwrap_or(f64::NAN)).collect();
    }
    eprintln!("python: {python_best:.2} s (ARPA load {python_load:.1} s, not counted)");

    // Checked: the same figures.
    if ours.len() != theirs.len() {
        bail!("shannon scored {} documents, Python {}", ours.len(), theirs.len());
    }
    let mut worst = 0.0f64;
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        let rel = ((a - b) / b).abs();
        if rel.is_nan() || rel > 1e-4 {
            bail!("document {i}: shannon {a}, KenLM {b}");
        }
        worst = worst.max(rel);
    }

    let per = |seconds: f64| {
        json!({
            "seconds": seconds,
            "documents_per_second": args.documents as f64 / seconds,
            "jsonl_mb_per_second": jsonl_bytes as f64 / 1e6 / seconds,
        })
    };
    let date =
        Command::new("date").arg("+%F").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())?;
    let rev = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())?;
    let report = json!({
        "bench": "documents",
        "date": date,
        "commit": rev,
        "documents": args.documents,
        "jsonl_bytes": jsonl_bytes,
        "zst_bytes": zst_bytes,
        "model": {"order": args.order, "train_bytes": args.train_bytes, "binary_bytes": std::fs::metadata(&bin)?.len()},
        "shannon": {"threads": args.threads, "command": "shannon score --per-document --id-field id (jobs::score::run_documents)", "best": per(shannon_seconds)},
        "python": {"command": "python3: zstd -dc | json.loads + kenlm.Model.score per line", "arpa_load_seconds": python_load, "best": per(python_best)},
        "speedup": python_best / shannon_seconds,
        "max_relative_difference": worst,
        "repeat": args.repeat,
    });
    let output = args.output.clone().unwrap_or_else(|| PathBuf::from(format!("reports/bench-documents-{date}.json")));
    write(&output, &report)?;
    println!(
        "{} documents ({:.0} MB JSON Lines, {:.0} MB zst): shannon {:.0} docs/s, {:.1} MB/s on {} threads; Python {:.0} docs/s, {:.1} MB/s; {:.1}x; figures agree within {worst:.1e}",
        args.documents,
        jsonl_bytes as f64 / 1e6,
        zst_bytes as f64 / 1e6,
        args.documents as f64 / shannon_seconds,
        jsonl_bytes as f64 / 1e6 / shannon_seconds,
        args.threads,
        args.documents as f64 / python_best,
        jsonl_bytes as f64 / 1e6 / python_best,
        python_best / shannon_seconds
    );
    Ok(())
}

/// The offset just after the first line end at or after `at`.
fn memchr_after(text: &[u8], at: usize) -> usize {
    let at = at.min(text.len());
    text[at..].iter().position(|&b| b == b'\n').map_or(text.len(), |i| at + i + 1)
}

fn write(path: &Path, value: &serde_json::Value) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
