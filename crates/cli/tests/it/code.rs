//! `shannon code`: the code decodes to the text (the report says so only after checking), the report
//! matches its schema, the compressors run on the same bytes, and bad input is one line with no output.
//! The ignored tests code book1 and alice29.txt and hold the code length under bzip2's published figures.

use std::path::{Path, PathBuf};

use crate::manners::{assert_valid, fails_in, genesis, shannon, validator};

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn code_reports_round_trip_and_match_their_schema() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let g = genesis();
    let schema = validator("code");
    for tokens in ["bytes", "chars", "letters"] {
        let out = d.join(format!("code-{tokens}.json"));
        let code = d.join(format!("g-{tokens}.code"));
        shannon()
            .args(["code", s(&g), "--tokens", tokens, "--write", s(&code), "--output", s(&out)])
            .assert()
            .success();
        let r = json(&out);
        assert_valid(&schema, &r, &format!("code report ({tokens})"));
        assert_eq!(r["roundtrip"], true);
        assert_eq!(r["tokens"], tokens);
        let bits = r["bits"].as_u64().unwrap();
        assert_eq!(bits, 8 * r["code_bytes"].as_u64().unwrap());
        let bpc = r["bits_per_char"].as_f64().unwrap();
        assert!((bpc - bits as f64 / r["text"]["symbols"].as_f64().unwrap()).abs() < 1e-12);
        // The code is shorter than every compressor's output on the same bytes (a small English text).
        let compressors = r["compressors"].as_array().unwrap();
        assert_eq!(compressors.len(), 3);
        for c in compressors {
            assert!(c["bytes"].as_u64().unwrap() > r["code_bytes"].as_u64().unwrap(), "{c}");
        }
        assert_eq!(std::fs::metadata(&code).unwrap().len(), r["code_bytes"].as_u64().unwrap() + 49);
        // The .code file decodes to the coded bytes.
        let back = d.join(format!("back-{tokens}.txt"));
        shannon().args(["code", "--decode", s(&code), "--output", s(&back)]).assert().success();
        let text = std::fs::read(&g).unwrap();
        let decoded = std::fs::read(&back).unwrap();
        if tokens == "letters" {
            assert_eq!(decoded, shannon_jobs::code::letters(&text));
        } else {
            assert_eq!(decoded, text);
        }
    }
    let chars = json(&d.join("code-chars.json"));
    let bytes = json(&d.join("code-bytes.json"));
    assert_eq!(chars["code_bytes"], bytes["code_bytes"], "chars are coded as their UTF-8 bytes");
    assert!(!schema.is_valid(
        &json(&d.join("code-bytes.json"))
            .as_object()
            .map(|o| {
                let mut o = o.clone();
                o.remove("bits_per_char");
                serde_json::Value::Object(o)
            })
            .unwrap()
    ));
}

#[test]
fn an_order0_baseline_costs_more_than_context_mixing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let g = genesis();
    let (cm, o0) = (d.join("cm.json"), d.join("o0.json"));
    shannon().args(["code", s(&g), "--no-compressors", "--output", s(&cm)]).assert().success();
    shannon().args(["code", s(&g), "--model", "order0", "--no-compressors", "--output", s(&o0)]).assert().success();
    let (cm, o0) = (json(&cm), json(&o0));
    assert_eq!(o0["model"]["name"], "order0");
    assert!(o0["compressors"].as_array().unwrap().is_empty());
    let (a, b) = (cm["bits_per_char"].as_f64().unwrap(), o0["bits_per_char"].as_f64().unwrap());
    // Order 0 of English is about 4.5 bits per byte; context mixing far below.
    assert!(b > 4.0 && b < 5.0 && a < 3.0, "cm {a}, order0 {b}");
}

/// The golden entropy report of paper1 (letters), whose cross-entropy curve has two fits.
fn golden_entropy() -> PathBuf {
    crate::manners::workspace().join("crates/cli/tests/golden/entropy-paper1.json")
}

#[test]
fn entropy_rates_of_other_text_are_marked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("code.json");
    let (g, e) = (genesis(), golden_entropy());
    shannon()
        .args(["code", s(&g), "--tokens", "letters", "--entropy-report", s(&e), "--output", s(&out)])
        .assert()
        .success();
    let r = json(&out);
    assert_valid(&validator("code"), &r, "code report with entropy rates");
    let rates = r["entropy_rates"].as_array().unwrap();
    assert_eq!(rates.len(), 2, "{r}");
    assert_eq!(rates[0]["bits_per_symbol"], 1.5224853056258834);
    assert!(rates.iter().all(|e| e["same_text"] == false && e["tokens"] == "letters"));
    assert!(r["warnings"][0].as_str().unwrap().contains("not comparable"), "{r}");
}

#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn entropy_rates_of_the_same_text_go_beside_the_code_length() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("code.json");
    let (paper1, e) = (corpora().join("calgary/paper1"), golden_entropy());
    shannon()
        .args(["code", s(&paper1), "--tokens", "letters", "--entropy-report", s(&e), "--output", s(&out)])
        .assert()
        .success();
    let r = json(&out);
    let rates = r["entropy_rates"].as_array().unwrap();
    assert!(rates.len() == 2 && rates.iter().all(|e| e["same_text"] == true), "{r}");
    assert!(r["warnings"].as_array().unwrap().is_empty());
}

#[test]
fn bad_input_is_one_line_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("empty.txt"), "").unwrap();
    std::fs::write(d.join("digits.txt"), "1234 5678\n").unwrap();
    std::fs::write(d.join("junk.code"), "SHNCODE\x01 not really").unwrap();
    std::fs::write(d.join("other.code"), "hello").unwrap();
    std::fs::write(d.join("not-json.json"), "{").unwrap();
    std::fs::create_dir(d.join("reports")).unwrap();
    fails_in(d, &["code", "missing.txt"], &["missing.txt"]);
    fails_in(d, &["code", "empty.txt"], &["empty.txt", "no bytes"]);
    fails_in(d, &["code", "digits.txt", "--tokens", "letters"], &["digits.txt", "no letters"]);
    std::fs::write(d.join("latin1.txt"), b"caf\xe9\n").unwrap();
    fails_in(
        d,
        &["code", "latin1.txt", "--tokens", "chars"],
        &["latin1.txt", "invalid UTF-8 at byte offset 3", "--tokens bytes"],
    );
    fails_in(d, &["code", "digits.txt", "--model", "ppm"], &["--model", "ppm"]);
    fails_in(d, &["code", "digits.txt", "--model", "order9"], &["order9"]);
    fails_in(d, &["code", "digits.txt", "--tokens", "words"], &["--tokens", "words"]);
    fails_in(d, &["code", "digits.txt", "--entropy-report", "not-json.json"], &["not-json.json", "entropy"]);
    fails_in(d, &["code", "--decode", "junk.code", "--output", "out.txt"], &["junk.code", "not a shannon code"]);
    fails_in(d, &["code", "--decode", "other.code", "--output", "out.txt"], &["other.code"]);
    fails_in(d, &["code", "--decode", "junk.code"], &["--output"]);
    fails_in(d, &["code", "digits.txt", "--write", "no/such/dir/x.code"], &["no/such/dir"]);
    // A damaged code: every byte of the arithmetic code flipped in turn fails (or, rarely, still decodes
    // to the same text), never panics, and never leaves an output file.
    let text = d.join("t.txt");
    std::fs::write(&text, "It was the best of times, it was the worst of times.\n".repeat(4)).unwrap();
    let code = d.join("t.code");
    shannon()
        .current_dir(d)
        .args(["code", s(&text), "--no-compressors", "--write", s(&code), "--output", "reports/r.json"])
        .assert()
        .success();
    let bytes = std::fs::read(&code).unwrap();
    for at in 49..bytes.len() {
        let mut b = bytes.clone();
        b[at] ^= 0x5A;
        std::fs::write(d.join("bad.code"), &b).unwrap();
        let out =
            shannon().current_dir(d).args(["code", "--decode", "bad.code", "--output", "out.txt"]).output().unwrap();
        assert!(out.status.code() == Some(2) || out.status.success(), "byte {at}: {:?}", out.status);
        if !out.status.success() {
            assert!(!d.join("out.txt").exists());
            assert!(String::from_utf8_lossy(&out.stderr).contains("damaged"), "byte {at}");
        } else {
            assert_eq!(std::fs::read(d.join("out.txt")).unwrap(), std::fs::read(&text).unwrap());
            std::fs::remove_file(d.join("out.txt")).unwrap();
        }
    }
}

fn corpora() -> PathBuf {
    PathBuf::from(std::env::var("SHANNON_CORPORA").expect("set SHANNON_CORPORA to ../shared/corpora"))
}

/// Codes a shared corpus file in bytes and returns the report.
fn code_corpus(rel: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let code = dir.path().join("x.code");
    let file = corpora().join(rel);
    shannon().args(["code", s(&file), "--write", s(&code), "--output", s(&out)]).assert().success();
    let back = dir.path().join("back");
    shannon().args(["code", "--decode", s(&code), "--output", s(&back)]).assert().success();
    assert!(std::fs::read(&back).unwrap() == std::fs::read(&file).unwrap(), "{rel}: the code decodes to the file");
    let r = json(&out);
    assert_valid(&validator("code"), &r, rel);
    assert_eq!(r["roundtrip"], true);
    r
}

fn compressor(r: &serde_json::Value, name: &str) -> u64 {
    r["compressors"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["bytes"].as_u64().unwrap()
}

#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn book1_codes_below_bzip2() {
    let r = code_corpus("calgary/book1");
    let bpc = r["bits_per_char"].as_f64().unwrap();
    // bzip2 reaches 2.42 bits/char on book1 (PUBLISHED.md §8b); the code must be shorter, and shorter than
    // what bzip2 -9 and xz -9e achieve in the same run.
    assert!(bpc < 2.42, "book1: {bpc} bits/char");
    assert!(r["code_bytes"].as_u64().unwrap() < compressor(&r, "bzip2"));
    let zpaq =
        r["published"].as_array().unwrap().iter().find(|p| p["compressor"].as_str().unwrap().starts_with("zpaq"));
    assert_eq!(zpaq.unwrap()["bits_per_char"], 2.064);
    // It also beats zpaq at its maximum (2.064, 198,364 bytes); 2.0135 (193,494 bytes) when this was written.
    assert!(r["code_bytes"].as_u64().unwrap() < 198_364, "book1: {bpc} bits/char, not below zpaq max");
}

#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn alice29_codes_below_bzip2_and_the_compressors_match_their_tools() {
    let r = code_corpus("canterbury/alice29.txt");
    let bpc = r["bits_per_char"].as_f64().unwrap();
    assert!(bpc < 2.272, "alice29.txt: {bpc} bits/char");
    // The compressors run in-process give the byte counts the command-line tools gave (PUBLISHED.md §8a:
    // xz -9e 48,528, bzip2 -9 43,202, zstd --ultra -22 49,215).
    assert_eq!(compressor(&r, "xz"), 48_528);
    assert_eq!(compressor(&r, "bzip2"), 43_202);
    assert_eq!(compressor(&r, "zstd"), 49_215);
}
