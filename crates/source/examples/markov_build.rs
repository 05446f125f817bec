//! Times building random Markov chains: `cargo run --release --example markov_build -- K ORDER [CONC]`.
use std::time::Instant;

use shannon_source::Markov;

fn main() {
    let mut args = std::env::args().skip(1);
    let k: usize = args.next().map_or(27, |s| s.parse().expect("K"));
    let order: usize = args.next().map_or(3, |s| s.parse().expect("order"));
    let conc: f64 = args.next().map_or(1.0, |s| s.parse().expect("concentration"));
    let alphabet: String = (0..k as u32).map(|i| char::from_u32(0x21 + i).unwrap()).collect();
    let t = Instant::now();
    let m = Markov::random(&alphabet, order, 1, conc).expect("build");
    println!(
        "k={k} order={order} concentration={conc}: rate {:.9} bits/symbol, {} power iterations, {:.2} s",
        m.entropy_rate_bits(),
        m.power_iterations(),
        t.elapsed().as_secs_f64()
    );
}
