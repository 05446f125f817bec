//! Measures English generation speed: `cargo run --release --example english_speed -- [MB] [threads]`.
use std::io::{sink, BufWriter};
use std::time::Instant;

use shannon_source::English;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mb: u64 = args.next().map_or(500, |s| s.parse().expect("MB"));
    let threads: usize = args.next().map_or(1, |s| s.parse().expect("threads"));
    let e = English::new(English::DEFAULT_SEED);
    let n = mb * 1_000_000;
    let t = Instant::now();
    if threads == 1 {
        e.write(n, BufWriter::new(sink()))?;
    } else {
        e.write_parallel(n, threads, BufWriter::new(sink()))?;
    }
    let s = t.elapsed().as_secs_f64();
    println!("{mb} MB in {s:.3} s: {:.1} MB/s on {threads} thread(s)", mb as f64 / s);
    Ok(())
}
