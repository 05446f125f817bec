//! Scratch: bits per byte of files under a model.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kind = shannon_coding::ModelKind::from_name(&args[1]).unwrap();
    for path in &args[2..] {
        let data = std::fs::read(path).unwrap();
        let t = std::time::Instant::now();
        let c = shannon_coding::encode(&data, kind, &mut |_| {});
        let e = t.elapsed().as_secs_f64();
        let bpc = c.code_bytes as f64 * 8.0 / data.len() as f64;
        let t = std::time::Instant::now();
        let ok = if std::env::var("NODEC").is_ok() {
            true
        } else {
            shannon_coding::decode(&c.file, &mut |_| {}).unwrap().data == data
        };
        println!(
            "{path}: {bpc:.4} bpc ideal {:.4} enc {e:.2}s dec {:.2}s ok {ok}",
            c.ideal_bits / data.len() as f64,
            t.elapsed().as_secs_f64()
        );
    }
}
