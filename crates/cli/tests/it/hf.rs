//! LLM tokens (issue 19): `--tokens tokenizer:PATH` with a Hugging Face `tokenizer.json` trained here with the
//! `tokenizers` crate's own BPE trainer (nothing is downloaded). compare, build and score work with it; a
//! model records the tokenizer's name and SHA-256 and refuses to score with another file; a bad file is one
//! line naming it.

use std::path::{Path, PathBuf};

use crate::manners::{assert_valid, fails_in, genesis, shannon, validator};

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// Trains a byte-level BPE tokenizer on `text` with `merges` merges at most and saves it as `path`.
pub(crate) fn train_bpe(text: &Path, merges: usize, path: &Path) {
    use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
    use tokenizers::models::TrainerWrapper;
    use tokenizers::pre_tokenizers::byte_level::ByteLevel;
    let mut tokenizer = tokenizers::Tokenizer::new(BPE::default());
    tokenizer.with_pre_tokenizer(Some(ByteLevel::default()));
    let alphabet = ByteLevel::alphabet();
    let mut trainer: TrainerWrapper = BpeTrainerBuilder::new()
        .vocab_size(alphabet.len() + merges)
        .min_frequency(2)
        .show_progress(false)
        .initial_alphabet(alphabet.into_iter().collect())
        .build()
        .into();
    tokenizer.train_from_files(&mut trainer, vec![s(text).to_string()]).unwrap();
    tokenizer.save(path, false).unwrap();
}

/// The number of merges a saved BPE tokenizer holds.
pub(crate) fn merges(path: &Path) -> usize {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["model"]["merges"].as_array().map_or(0, Vec::len)
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("genesis.txt");
    std::fs::copy(genesis(), &text).unwrap();
    let tok = dir.path().join("bpe.json");
    train_bpe(&text, 500, &tok);
    (dir, text, tok)
}

#[test]
fn compare_build_and_score_with_a_trained_bpe() {
    let (dir, text, tok) = setup();
    let spec = format!("tokenizer:{}", s(&tok));
    // compare: the report names the tokenizer file and its digest; bits per character are finite.
    let report = dir.path().join("r.json");
    let out = shannon()
        .args(["compare", s(&text), "--order", "3", "--tokens", &spec, "--quiet", "--output", s(&report)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = json(&std::fs::read(&report).unwrap());
    assert_valid(&validator("compare"), &r, "compare report with a tokenizer file");
    let kind = &r["tokenizer"]["kind"]["tokenizer"];
    assert_eq!(kind["file"], "bpe.json");
    assert_eq!(kind["sha256"].as_str().unwrap().len(), 64);
    let bpc = r["models"][0]["test"]["bits_per_char"].as_f64();
    assert!(bpc.is_some_and(f64::is_finite), "{r}");

    // build, in both formats; score with the model's own tokenizer (given again) agrees across formats.
    let mut scores = Vec::new();
    for (format, name) in [("arpa", "m.arpa"), ("binary", "m.bin")] {
        let model = dir.path().join(name);
        let out = shannon()
            .args([
                "build",
                s(&text),
                "--order",
                "3",
                "--tokens",
                &spec,
                "--format",
                format,
                "--output",
                s(&model),
                "--quiet",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        if format == "arpa" {
            let arpa = std::fs::read_to_string(&model).unwrap();
            assert!(arpa.contains("\"tokenizer\":{\"file\":\"bpe.json\""), "{}", &arpa[..300.min(arpa.len())]);
        }
        let out =
            shannon().args(["score", "--model", s(&model), "--tokens", &spec, s(&text), "--quiet"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let r = json(&out.stdout);
        assert_valid(&validator("score"), &r, "score report with a tokenizer file");
        assert_eq!(r["tokenizer"]["kind"]["tokenizer"]["file"], "bpe.json");
        scores.push(r["score"]["cross_entropy_bits"].as_f64());
    }
    assert!(scores[0].is_some(), "{scores:?}");
    let (a, b) = (scores[0].unwrap(), scores[1].unwrap());
    assert!((a - b).abs() <= 1e-6 * a.abs(), "ARPA {a} vs binary {b}");
}

#[test]
fn a_model_refuses_another_tokenizer_file_and_asks_for_its_own() {
    let (dir, text, tok) = setup();
    let spec = format!("tokenizer:{}", s(&tok));
    for name in ["m.arpa", "m.bin"] {
        let model = dir.path().join(name);
        let format = if name.ends_with("bin") { "binary" } else { "arpa" };
        let out = shannon()
            .args([
                "build",
                s(&text),
                "--order",
                "2",
                "--tokens",
                &spec,
                "--format",
                format,
                "--output",
                s(&model),
                "--quiet",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    // Another tokenizer (fewer merges) under another name.
    let other = dir.path().join("other.json");
    train_bpe(&text, 20, &other);
    assert_ne!(std::fs::read(&other).unwrap(), std::fs::read(&tok).unwrap());
    let other_spec = format!("tokenizer:{}", s(&other));
    for name in ["m.arpa", "m.bin"] {
        let e = fails_in(
            dir.path(),
            &["score", "--model", name, "--tokens", &other_spec, "genesis.txt"],
            &["tokenizer:other.json", "contradicts", "tokenizer:bpe.json", "--force-tokens"],
        );
        assert!(e.contains(name), "{e}");
        // Without --tokens, the model's tokenizer file is asked for: the model holds its name, not its contents.
        fails_in(dir.path(), &["score", "--model", name, "genesis.txt"], &["bpe.json", "--tokens tokenizer:PATH"]);
    }
    // The same bytes under another name are the same tokenizer.
    let copy = dir.path().join("copy.json");
    std::fs::copy(&tok, &copy).unwrap();
    let out = shannon()
        .current_dir(dir.path())
        .args(["score", "--model", "m.bin", "--tokens", "tokenizer:copy.json", "genesis.txt", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn entropy_kl_and_index_take_a_tokenizer_file() {
    let (dir, text, tok) = setup();
    let spec = format!("tokenizer:{}", s(&tok));
    let run = |args: &[&str]| {
        let out = shannon().current_dir(dir.path()).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["entropy", s(&text), "--tokens", &spec, "--max-order", "3", "--guess-order", "0", "--output", "e.json"]);
    let e = json(&std::fs::read(dir.path().join("e.json")).unwrap());
    assert_valid(&validator("entropy"), &e, "entropy report with a tokenizer file");
    run(&["kl", s(&text), s(&text), "--tokens", &spec, "--output", "kl.json"]);
    assert_valid(&validator("kl"), &json(&std::fs::read(dir.path().join("kl.json")).unwrap()), "kl report");
    run(&["index", s(&text), "--tokens", &spec, "--output", "g.idx"]);
    // Querying needs the tokenizer file again; another kind is refused.
    let counted = run(&["index", "g.idx", "--count", "God", "--tokens", &spec]);
    assert!(counted.lines().next().is_some_and(|l| !l.ends_with("\t0")), "{counted}");
    fails_in(dir.path(), &["index", "g.idx", "--count", "God"], &["bpe.json", "--tokens tokenizer:PATH"]);
    fails_in(dir.path(), &["index", "g.idx", "--count", "God", "--tokens", "words"], &["contradicts", "bpe.json"]);
}

#[test]
fn bad_tokenizer_files_are_one_line_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(genesis(), dir.path().join("genesis.txt")).unwrap();
    std::fs::write(dir.path().join("bad.json"), b"{\"model\": {\"type\": \"BPE\", \"vocab\": 3}}").unwrap();
    std::fs::write(dir.path().join("cut.json"), b"{\"version\": \"1.0\", \"model\": {").unwrap();
    for (file, needle) in [("bad.json", "bad.json"), ("cut.json", "cut.json"), ("missing.json", "missing.json")] {
        let spec = format!("tokenizer:{file}");
        fails_in(dir.path(), &["compare", "genesis.txt", "--tokens", &spec], &[needle, "tokenizer"]);
        fails_in(dir.path(), &["build", "genesis.txt", "--tokens", &spec, "--output", "m.arpa"], &[needle]);
    }
    fails_in(dir.path(), &["compare", "genesis.txt", "--tokens", "tokenizer:"], &["tokenizer:PATH"]);
}

/// The figure: a BPE of 8 k merges trained on bible.txt, `compare --tokens tokenizer:PATH` on
/// bible.txt, beside the word and character models of the same text.
#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn bible_bpe_bits_per_char_beside_words_and_chars() {
    let corpora = PathBuf::from(std::env::var("SHANNON_CORPORA").expect("set SHANNON_CORPORA to ../shared/corpora"));
    let bible = corpora.join("canterbury/bible.txt");
    let dir = tempfile::tempdir().unwrap();
    let tok = dir.path().join("bible-bpe.json");
    train_bpe(&bible, 8000, &tok);
    let merged = merges(&tok);
    let bpc = |tokens: &str| -> f64 {
        let report = dir.path().join("r.json");
        let out = shannon()
            .args(["compare", s(&bible), "--order", "5", "--smoothing", "mkn", "--tokens", tokens, "--quiet"])
            .args(["--output", s(&report)])
            .output()
            .unwrap();
        assert!(out.status.success(), "{tokens}: {}", String::from_utf8_lossy(&out.stderr));
        let r = json(&std::fs::read(&report).unwrap());
        // compare reports every order up to --order: the 5-gram's figure.
        let five = r["models"].as_array().unwrap().iter().find(|m| m["order"] == 5).cloned().unwrap_or_default();
        let b = five["test"]["bits_per_char"].as_f64();
        b.unwrap_or_else(|| panic!("{tokens}: no bits per character in {r}"))
    };
    let bpe = bpc(&format!("tokenizer:{}", s(&tok)));
    let words = bpc("words");
    let chars = bpc("chars");
    println!("bible.txt, 5-gram MKN, 10% held out: words {words:.4}, BPE ({merged} merges) {bpe:.4}, chars {chars:.4} bits/char");
    assert!(merged > 7000 && merged <= 8000, "{merged} merges");
    for b in [bpe, words, chars] {
        assert!(b.is_finite() && b > 0.5 && b < 4.0, "{b}");
    }
    // Between the word and the character models.
    assert!(bpe > words.min(chars) && bpe < words.max(chars), "BPE {bpe} not between words {words} and chars {chars}");
}
