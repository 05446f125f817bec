//! Criterion micro-benchmarks of the hot path: tokenize, count, estimate (and write ARPA), score. Each iteration checks its
//! result against one computed before timing (token streams, n-gram counts, discounts, the held-out
//! cross-entropy), so a fast wrong answer fails instead of winning.
//!
//! `cargo bench -p shannon-bench --bench micro` (input: 4 MB of `shannon generate --source english`
//! text, made in memory from a fixed seed). Ceilings from issue 5 for comparison, per core: KenLM-style
//! whitespace splitting ≈ 550 MB/s, UAX#29 `unicode_words` ≈ 130 MB/s on ASCII; radix-partitioned
//! counting ≈ 47 M keys/s (a 5-gram model needs 4 keys per token beyond the unigrams).

// criterion_group! and criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use shannon_model::{Model, Smoothing};
use shannon_tokens::{LocalTokens, Sentences, TokenKind, Tokenizer, BOS};
use unicode_segmentation::UnicodeSegmentation;

const BYTES: u64 = 4 << 20;

fn text() -> String {
    let mut out = Vec::new();
    shannon_source::English::new(1951).write(BYTES, &mut out).expect("in memory");
    String::from_utf8(out).expect("generated text is UTF-8")
}

fn tokenizer(kind: TokenKind) -> Tokenizer {
    Tokenizer { kind, lowercase: false, sentences: Sentences::Lines, skip_symbols: false }
}

fn digest(ids: &[u32]) -> u64 {
    ids.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3))
}

fn tokenize(c: &mut Criterion) {
    let text = text();
    let mut g = c.benchmark_group("tokenize");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(10);
    for kind in [TokenKind::Whitespace, TokenKind::Words] {
        let expected = LocalTokens::new(&tokenizer(kind), &text).expect("the text holds no literal markers");
        let (len, hash) = (expected.ids.len(), digest(&expected.ids));
        g.bench_function(BenchmarkId::new("local-tokens", kind.name()), |b| {
            b.iter(|| {
                let t = LocalTokens::new(&tokenizer(kind), black_box(&text)).unwrap();
                assert_eq!((t.ids.len(), digest(&t.ids)), (len, hash));
            })
        });
    }
    // The segmenters alone, without interning: the fast paths against their references.
    let ws = text.split([' ', '\t', '\r', '\n', '\0']).filter(|t| !t.is_empty()).count();
    g.bench_function("split/whitespace-reference", |b| {
        b.iter(|| {
            assert_eq!(black_box(&text).split([' ', '\t', '\r', '\n', '\0']).filter(|t| !t.is_empty()).count(), ws)
        })
    });
    let words = text.split_word_bounds().filter(|t| !t.chars().all(char::is_whitespace)).count();
    g.bench_function("split/uax29-reference", |b| {
        b.iter(|| {
            let n = black_box(&text).split_word_bounds().filter(|t| !t.chars().all(char::is_whitespace)).count();
            assert_eq!(n, words)
        })
    });
    g.finish();
}

fn vocab_and_stream() -> (shannon_tokens::Vocab, Vec<u32>) {
    let text = text();
    let local = LocalTokens::new(&tokenizer(TokenKind::Whitespace), &text).expect("the text holds no literal markers");
    let mut vocab = shannon_tokens::Vocab::new();
    let (ids, _) = local.merge_into(&mut vocab);
    (vocab, ids)
}

fn stream() -> (usize, Vec<u32>) {
    let (vocab, ids) = vocab_and_stream();
    (vocab.len(), ids)
}

fn count(c: &mut Criterion) {
    let (v, ids) = stream();
    let expected = shannon_counts::count_serial(&ids, v, 5);
    let tokens = ids.iter().filter(|&&t| t != BOS).count() as u64;
    let mut g = c.benchmark_group("count");
    g.throughput(Throughput::Elements(tokens));
    g.sample_size(10);
    g.bench_function("orders-1-5/radix-buckets", |b| {
        b.iter(|| assert!(shannon_counts::count(black_box(&ids), v, 5) == expected))
    });
    g.bench_function("orders-1-5/one-hash-map", |b| {
        b.iter(|| assert!(shannon_counts::count_serial(black_box(&ids), v, 5) == expected))
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let limits = shannon_counts::Limits {
        memory: Some(8 << 20),
        temp_dir: dir.path().to_path_buf(),
        index: true,
        ..Default::default()
    };
    g.bench_function("orders-1-5/spill-8MiB", |b| {
        b.iter(|| assert!(shannon_counts::count_within(black_box(&ids), v, 5, &limits).expect("spill") == expected))
    });
    g.finish();
}

fn estimate_and_score(c: &mut Criterion) {
    let (vocab, ids) = vocab_and_stream();
    let v = vocab.len();
    let cut = ids.len() * 9 / 10;
    let cut = cut + ids[cut..].iter().position(|&t| t == BOS).unwrap_or(0);
    let (train, test) = ids.split_at(cut);
    let counts = Arc::new(shannon_counts::count(train, v, 5));
    let model = Model::estimate(Arc::clone(&counts), 5, Smoothing::Mkn, true).expect("mkn");
    let discounts = model.summary().discounts.clone();
    let ngrams: u64 = model.summary().ngrams.iter().sum();
    let mut g = c.benchmark_group("estimate");
    g.throughput(Throughput::Elements(ngrams));
    g.sample_size(10);
    g.bench_function("mkn-order-5", |b| {
        b.iter(|| {
            let m = Model::estimate(Arc::clone(&counts), 5, Smoothing::Mkn, true).expect("mkn");
            assert_eq!(m.summary().discounts, discounts);
        })
    });
    // What `shannon build` does: estimation and ARPA text together, in memory (estimate, then write the
    // model) and streamed from counts on disk, which must give the same bytes.
    let mut arpa = Vec::new();
    shannon_model::arpa::write(&model, &vocab, &mut arpa).expect("in memory");
    g.bench_function("mkn-order-5-and-arpa/in-memory", |b| {
        b.iter(|| {
            let m = Model::estimate(Arc::clone(&counts), 5, Smoothing::Mkn, true).expect("mkn");
            let mut out = Vec::with_capacity(arpa.len());
            shannon_model::arpa::write(&m, &vocab, &mut out).expect("in memory");
            assert!(out == arpa);
        })
    });
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut store = shannon_counts::store::Store::new(dir.path());
    shannon_counts::count_to_store(train, v, 5, &Default::default(), &mut store).expect("counts on disk");
    g.bench_function("mkn-order-5-and-arpa/streamed", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(arpa.len());
            shannon_model::streamed::write_arpa(&store, &vocab, Smoothing::Mkn, true, None, &mut out)
                .expect("streamed");
            assert!(out == arpa);
        })
    });
    g.finish();
    let expected = shannon_eval::score(&model, test, false).log2_sum;
    let mut g = c.benchmark_group("score");
    g.throughput(Throughput::Elements(test.iter().filter(|&&t| t != BOS).count() as u64));
    g.sample_size(10);
    g.bench_function("mkn-order-5", |b| {
        b.iter(|| assert_eq!(shannon_eval::score(&model, black_box(test), false).log2_sum, expected))
    });
    g.finish();
}

criterion_group!(benches, tokenize, count, estimate_and_score);
criterion_main!(benches);
