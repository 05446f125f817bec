//! `shannon index` and `entropy --guess-max-order`: the suffix-array index's counts against counts made
//! here from the text itself and against the n-gram counter, bad input, and the ∞-gram guessing game.
//!
//! Tests marked `#[ignore = "needs SHANNON_CORPORA"]` read the shared corpora.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use shannon_corpus::Corpus;
use shannon_source::English;
use shannon_tokens::{stream, Sentences, TokenKind, Tokenizer};

use crate::manners::{assert_valid, validator};

fn shannon() -> Command {
    let mut c = Command::cargo_bin("shannon").unwrap();
    c.arg("--quiet");
    c
}

fn english(dir: &Path, bytes: u64) -> (PathBuf, String) {
    let path = dir.join("english.txt");
    let mut text = Vec::new();
    English::new(English::DEFAULT_SEED).write(bytes, &mut text).unwrap();
    std::fs::write(&path, &text).unwrap();
    (path, String::from_utf8(text).unwrap())
}

/// The text as Shannon's 27 letters, written out here: ASCII letters lower-cased, every other run one space.
fn letters27(text: &str) -> String {
    let mut out = String::new();
    let mut pending = false;
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            if pending && !out.is_empty() {
                out.push(' ');
            }
            pending = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending = true;
        }
    }
    out
}

/// Overlapping occurrences of `needle` in `hay`.
fn occurrences(hay: &str, needle: &str) -> usize {
    (0..=hay.len().saturating_sub(needle.len())).filter(|&i| hay[i..].starts_with(needle)).count()
}

#[test]
fn index_counts_match_the_text_and_bad_input_fails_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = english(dir.path(), 60_000);
    let idx = dir.path().join("e.idx");
    shannon().args(["index", "--tokens", "letters"]).arg(&path).arg("--output").arg(&idx).assert().success();
    let letters = letters27(&text);
    // 27 letters + 3 markers: 1 byte per id, 4 per suffix-array entry.
    let size = std::fs::metadata(&idx).unwrap().len() as f64;
    assert!((size / letters.len() as f64 - 5.0).abs() < 0.05, "{size} bytes for {} letters", letters.len());
    for q in ["the", "e t", "tion", "q", "and the"] {
        let out = shannon().arg("index").arg(&idx).args(["--count", q]).assert().success();
        let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let count: usize = stdout.lines().next().unwrap().rsplit('\t').next().unwrap().parse().unwrap();
        assert_eq!(count, occurrences(&letters, q), "count of {q:?}");
    }
    // A truncated index, a limit too small, an empty corpus: one line naming the file, no output left.
    let bytes = std::fs::read(&idx).unwrap();
    let cut = dir.path().join("cut.idx");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    shannon()
        .arg("index")
        .arg(&cut)
        .args(["--count", "the"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cut.idx").and(predicate::str::contains("truncated")));
    let small = dir.path().join("small.idx");
    shannon()
        .args(["index", "--tokens", "letters", "--memory", "1K"])
        .arg(&path)
        .arg("--output")
        .arg(&small)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--memory"));
    assert!(!small.exists());
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    shannon()
        .args(["index", "--tokens", "letters"])
        .arg(&empty)
        .arg("--output")
        .arg(&small)
        .assert()
        .failure()
        .stderr(predicate::str::contains("empty corpus"));
    assert!(!small.exists());
}

#[test]
fn guess_max_order_plays_the_infinigram_to_n() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = english(dir.path(), 100_000);
    let out = dir.path().join("r.json");
    shannon()
        .arg("entropy")
        .arg(&path)
        .args(["--max-order", "3", "--guess-order", "3", "--guess-max-order", "25", "--guess-limit", "0"])
        .args(["--no-nsb-jackknife", "--groups", "4", "--output"])
        .arg(&out)
        .assert()
        .success();
    let r: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_valid(&validator("entropy"), &r, "entropy report with --guess-max-order");
    assert_eq!(r["settings"]["guess_max_order"], 25);
    let games = r["guessing"].as_array().unwrap();
    let by = |p: Option<&str>| -> Vec<&Value> { games.iter().filter(|g| g["predictor"].as_str() == p).collect() };
    let (mkn, pure, mixed) = (by(None), by(Some("infinigram")), by(Some("infinigram+mkn")));
    assert_eq!((mkn.len(), pure.len(), mixed.len()), (3, 25, 25));
    let mut last_context = 0.0;
    for (n, (p, m)) in pure.iter().zip(&mixed).enumerate() {
        let n = n + 1;
        assert_eq!(p["n"], n);
        for g in [p, m] {
            assert!(g["lower"].as_f64() <= g["upper"].as_f64(), "N = {n}");
        }
        let context = p["mean_context"].as_f64().unwrap();
        assert!(context <= (n - 1) as f64 && context >= last_context, "N = {n}: mean context {context}");
        last_context = context;
        assert!(m["cross_entropy_bits"].as_f64().is_some_and(|c| c > 0.0 && c < 5.0), "N = {n}");
    }
    // With no context the ranking is fixed: the upper bound is the held-out letters' plug-in F_1, computed
    // here from the text.
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let held = letters27(&lines[(lines.len() as f64 * 0.9).floor() as usize..].concat());
    let mut c = [0u64; 128];
    held.bytes().for_each(|b| c[b as usize] += 1);
    let n = held.len() as f64;
    let f1: f64 = c.iter().filter(|&&x| x > 0).map(|&x| -(x as f64 / n) * (x as f64 / n).log2()).sum();
    assert!((pure[0]["upper"].as_f64().unwrap() - f1).abs() < 1e-9);
    // Shannon's columns sit beside N = 1..15 (and would beside 100).
    assert_eq!(pure[14]["shannon_upper"].as_f64(), Some(2.1));
    assert!(pure[15]["shannon_upper"].is_null());
    // Block counts from the suffix array: the same orders, bit for bit, and the report says how they were made.
    let sa = dir.path().join("sa.json");
    shannon()
        .arg("entropy")
        .arg(&path)
        .args(["--max-order", "3", "--guess-order", "3", "--guess-max-order", "25", "--guess-limit", "0"])
        .args(["--no-nsb-jackknife", "--groups", "4", "--block-counts", "suffix-array", "--output"])
        .arg(&sa)
        .assert()
        .success();
    let s: Value = serde_json::from_slice(&std::fs::read(&sa).unwrap()).unwrap();
    assert_valid(&validator("entropy"), &s, "entropy report with --block-counts suffix-array");
    assert_eq!(s["orders"], r["orders"]);
    assert_eq!(s["settings"]["block_counts"], "suffix-array");
    assert!(r["settings"].get("block_counts").is_none());
    // And hashed, one pass over the text per order: the same again.
    let hashed = dir.path().join("hash.json");
    shannon()
        .arg("entropy")
        .arg(&path)
        .args(["--max-order", "3", "--guess-order", "0", "--no-nsb-jackknife", "--groups", "4"])
        .args(["--block-counts", "hash", "--output"])
        .arg(&hashed)
        .assert()
        .success();
    let h: Value = serde_json::from_slice(&std::fs::read(&hashed).unwrap()).unwrap();
    assert_valid(&validator("entropy"), &h, "entropy report with --block-counts hash");
    assert_eq!(h["orders"], r["orders"]);
    assert_eq!(h["settings"]["block_counts"], "hash");
    // The page shows the ∞-gram table.
    let page = dir.path().join("r.html");
    shannon().arg("render").arg(&out).arg("--output").arg(&page).assert().success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("∞-gram upper") && html.contains("+mkn cross-entropy"));
    // Bad values fail in one line.
    shannon()
        .arg("entropy")
        .arg(&path)
        .args(["--guess-max-order", "100000"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--guess-max-order must be"));
}

/// The index's count of every n-gram the n-gram counter finds, N ≤ 10, on the shared corpora as letters
/// (every n-gram of the smaller files; a spread sample of each order of the larger).
#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn index_counts_equal_the_ngram_counter_on_the_shared_corpora() {
    let corpora = PathBuf::from(std::env::var("SHANNON_CORPORA").expect("set SHANNON_CORPORA"));
    let tok = Tokenizer { kind: TokenKind::Letters, lowercase: true, sentences: Sentences::None, skip_symbols: false };
    for file in ["canterbury/alice29.txt", "calgary/paper1", "calgary/book1", "canterbury/bible.txt"] {
        let corpus = Corpus::open(&[corpora.join(file)]).unwrap();
        let (vocab, s) = stream::tokenize_train(&corpus, &corpus.whole(), &tok, false, &stream::no_progress).unwrap();
        let index = shannon_index::build_in_memory(&s.ids, &vocab, Some(&tok)).unwrap();
        let counts = shannon_counts::count(&s.ids, vocab.len(), 10);
        for n in 1..=10 {
            let order = counts.order(n);
            let total: u64 = order.count.iter().sum();
            assert_eq!(total, (s.ids.len() - n + 1) as u64, "{file}: order {n}");
            let step = (order.len() / 20_000).max(1);
            for id in (0..order.len()).step_by(step) {
                let words = counts.words(n, id as u32);
                assert_eq!(index.count(&words), order.count[id], "{file}: {words:?}");
            }
        }
    }
}

/// Block counts to N = 100 from the index (suffix array and LCP) equal the hashed block counts of
/// `shannon_eval::entropy` — blocks, distinct blocks, singletons and doubletons — on shared corpora.
#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn index_block_counts_equal_the_hashed_block_counts_to_n_100() {
    let corpora = PathBuf::from(std::env::var("SHANNON_CORPORA").expect("set SHANNON_CORPORA"));
    let tok = Tokenizer { kind: TokenKind::Letters, lowercase: true, sentences: Sentences::None, skip_symbols: false };
    for file in ["canterbury/alice29.txt", "calgary/book1"] {
        let corpus = Corpus::open(&[corpora.join(file)]).unwrap();
        let (vocab, s) = stream::tokenize_train(&corpus, &corpus.whole(), &tok, false, &stream::no_progress).unwrap();
        let index = shannon_index::build_in_memory(&s.ids, &vocab, Some(&tok)).unwrap();
        let profiles = index.block_profiles(100, |t| t == shannon_tokens::BOS || t == shannon_tokens::EOS);
        let mut options = shannon_eval::entropy::BlockOptions::new(100, 27.0);
        options.groups = 2;
        options.nsb_jackknife = false;
        let hashed = shannon_eval::entropy::block_entropies(&s.ids, &options);
        for (p, o) in profiles.iter().zip(&hashed.orders) {
            assert_eq!(
                (p.n, p.blocks, p.distinct, p.seen(1), p.seen(2)),
                (o.n, o.blocks, o.distinct, o.singletons, o.doubletons),
                "{file}"
            );
        }
        assert_eq!(profiles.len(), 100);
    }
}

/// The default block counter (packed keys, sorted once) gives the hashed counter's estimates bit for bit on
/// shared corpora: letters to N = 10 in one stream, bytes to N = 6 with lines as sentences, and words to
/// N = 2 — every field of every order, the jackknife errors included.
#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn sorted_block_counts_equal_the_hashed_ones_on_the_shared_corpora() {
    use shannon_eval::entropy::{block_entropies, BlockCounter, BlockOptions};
    let corpora = PathBuf::from(std::env::var("SHANNON_CORPORA").expect("set SHANNON_CORPORA"));
    let cases = [
        ("canterbury/bible.txt", TokenKind::Letters, Sentences::None, 10),
        ("calgary/book1", TokenKind::Letters, Sentences::None, 10),
        ("calgary/paper1", TokenKind::Bytes, Sentences::Lines, 6),
        ("canterbury/alice29.txt", TokenKind::Words, Sentences::Lines, 2),
    ];
    for (file, kind, sentences, n) in cases {
        let tok = Tokenizer { kind, lowercase: kind == TokenKind::Letters, sentences, skip_symbols: false };
        let corpus = Corpus::open(&[corpora.join(file)]).unwrap();
        let (vocab, s) = stream::tokenize_train(&corpus, &corpus.whole(), &tok, false, &stream::no_progress).unwrap();
        let mut options = BlockOptions::new(n, vocab.len() as f64);
        options.nsb_jackknife = false;
        let sorted = block_entropies(&s.ids, &options);
        options.counter = BlockCounter::Hash;
        assert_eq!(sorted, block_entropies(&s.ids, &options), "{file}");
    }
}
