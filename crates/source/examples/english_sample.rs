//! Writes English-like text to stdout: `cargo run --release --example english_sample -- [bytes] [seed]`.
use shannon_source::English;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map_or(2000, |s| s.parse().expect("bytes"));
    let seed: u64 = args.next().map_or(English::DEFAULT_SEED, |s| s.parse().expect("seed"));
    English::new(seed).write(n, std::io::BufWriter::new(std::io::stdout().lock()))
}
