//! Code-length benchmark: `shannon code`'s coder (the context-mixing model and the arithmetic coder) on one
//! text, by default calgary/book1 (768,771 bytes), encoding and decoding, beside xz -9e, bzip2 -9 and zstd
//! --ultra -22 run in the same process on the same bytes — quote the coder's speed as a ratio to theirs.
//!
//! Usage: `cargo run --release -p shannon-bench --bin code-bench -- [PATH] [--model cm] [--repeat 3]` with
//! `SHANNON_CORPORA` pointing at `../shared/corpora` when no PATH is given.
//! Throughput is file bytes per second (MB = 10^6 bytes).
//!
//! Every timed run's result is checked, so a fast wrong answer cannot win: each decode must give the file
//! back byte for byte, and every encode must give the same code as the first.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use shannon_jobs::code::{compressors, ModelKind};

/// Code-length benchmark: encode and decode a text, beside xz, bzip2 and zstd in the same process.
#[derive(Parser)]
#[command(name = "code-bench")]
struct Args {
    /// Text to code [default: $SHANNON_CORPORA/calgary/book1].
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
    /// Model: cm or order0 … order8.
    #[arg(long, default_value = "cm")]
    model: String,
    /// Timed runs (best and median reported).
    #[arg(long, value_name = "N", default_value_t = 3)]
    repeat: usize,
}

fn best_median(mut secs: Vec<f64>) -> (f64, f64) {
    secs.sort_by(f64::total_cmp);
    (secs[0], secs[secs.len() / 2])
}

fn main() -> Result<()> {
    let Args { path, model, repeat } = Args::parse();
    let kind = ModelKind::from_name(&model).with_context(|| format!("unknown model {model}"))?;
    let path = match path {
        Some(p) => p,
        None => PathBuf::from(std::env::var("SHANNON_CORPORA").context("give a PATH or set SHANNON_CORPORA")?)
            .join("calgary/book1"),
    };
    let data = std::fs::read(&path).with_context(|| path.display().to_string())?;
    let mb = data.len() as f64 / 1e6;
    println!("{}: {} bytes, model {model}, {repeat} runs each", path.display(), data.len());
    let (mut enc, mut dec, mut first) = (Vec::new(), Vec::new(), None::<Vec<u8>>);
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let coded = shannon_coding::encode(&data, kind, &mut |_| {});
        enc.push(start.elapsed().as_secs_f64());
        let start = Instant::now();
        let back = shannon_coding::decode(&coded.file, &mut |_| {})?;
        dec.push(start.elapsed().as_secs_f64());
        if back.data != data {
            bail!("the code did not decode to the file");
        }
        match &first {
            Some(f) if *f != coded.file => bail!("the code differs from the first run's"),
            Some(_) => {}
            None => {
                println!(
                    "code {} bytes = {:.4} bits/byte (ideal {:.4})",
                    coded.code_bytes,
                    8.0 * coded.code_bytes as f64 / data.len() as f64,
                    coded.ideal_bits / data.len() as f64
                );
                first = Some(coded.file);
            }
        }
    }
    let mut comp = Vec::new();
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let c = compressors(&data, data.len() as u64)?;
        comp.push(start.elapsed().as_secs_f64());
        if c.iter().any(|c| c.bytes == 0) {
            bail!("a compressor wrote nothing");
        }
    }
    println!("{:<34} {:>9} {:>9} {:>8}", "stage", "best s", "median s", "MB/s");
    for (name, secs) in [("encode", enc), ("decode", dec), ("xz + bzip2 + zstd (in parallel)", comp)] {
        let (best, median) = best_median(secs);
        println!("{name:<34} {best:>9.3} {median:>9.3} {:>8.3}", mb / best);
    }
    Ok(())
}
