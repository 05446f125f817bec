//! The binary as a user meets it: exit codes, one-line errors that name the file or flag, no partial
//! output, and reports that do not depend on the thread count.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn shannon() -> Command {
    let mut c = Command::cargo_bin("shannon").unwrap();
    c.arg("--quiet");
    c
}

fn genesis() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpora/fixtures/genesis.txt"))
}

/// Runs a failing command in a fresh directory and checks: exit code 2, one line on stderr containing every
/// `needle`, and no file left behind in the directory.
fn fails(args: &[&str], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let assert = shannon().current_dir(dir.path()).args(args).arg("--output").arg(&out).assert().failure().code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "no error message for {args:?}");
    let message = stderr.replace('\n', " ");
    for n in needles {
        assert!(message.contains(n), "error for {args:?} lacks '{n}': {stderr}");
    }
    assert_eq!(lines.len(), 1, "more than one line for {args:?}: {stderr}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "{args:?} left files behind: {left:?}");
}

#[test]
fn missing_file() {
    fails(&["compare", "no-such-file.txt"], &["no-such-file.txt", "No such file"]);
}

#[test]
fn empty_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "  \n\n").unwrap();
    fails(&["compare", empty.to_str().unwrap()], &["empty.txt", "empty corpus"]);
    let none = tempfile::tempdir().unwrap();
    fails(&["compare", none.path().to_str().unwrap()], &["contains no files"]);
}

#[test]
fn invalid_utf8_names_the_byte_offset() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, b"good line\nbad \xff byte\n".repeat(5)).unwrap();
    fails(&["compare", bad.to_str().unwrap()], &["bad.txt", "invalid UTF-8 at byte offset 14"]);
}

#[test]
fn lossy_replaces_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, b"good line here\nbad \xff byte\n".repeat(10)).unwrap();
    let out = dir.path().join("r.json");
    shannon().args(["compare", "--lossy", "--order", "2"]).arg(&bad).arg("--output").arg(&out).assert().success();
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(
        r["train"]["replaced_invalid_utf8"].as_u64().unwrap() + r["test"]["replaced_invalid_utf8"].as_u64().unwrap(),
        10
    );
}

#[test]
fn bad_flags() {
    let g = genesis().to_str().unwrap();
    fails(&["compare", g, "--order", "0"], &["--order must be an integer from 1 to 255, got 0"]);
    fails(&["compare", g, "--order", "300"], &["--order", "300"]);
    fails(
        &["compare", g, "--smoothing", "mkn,katz"],
        &["--smoothing", "'katz' is not a smoothing method", "add-k:auto"],
    );
    fails(&["compare", g, "--holdout", "1"], &["--holdout", "strictly between 0 and 1"]);
    fails(&["compare", g, "--holdout", "0"], &["--holdout"]);
    fails(&["compare", g, "--tokens", "syllables"], &["--tokens", "unknown tokenizer 'syllables'"]);
}

#[test]
fn output_directory_must_exist() {
    let g = genesis().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("missing/r.json");
    shannon()
        .args(["compare", g, "--output"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not exist").and(predicate::str::contains("missing")));
}

#[test]
fn test_set_without_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let test = dir.path().join("blank.txt");
    std::fs::write(&test, "\n\n").unwrap();
    fails(
        &["compare", genesis().to_str().unwrap(), "--test", test.to_str().unwrap()],
        &["blank.txt", "no words tokens"],
    );
}

fn without_timings(mut v: serde_json::Value) -> serde_json::Value {
    v.as_object_mut().unwrap().remove("timings");
    for m in v["models"].as_array_mut().unwrap() {
        m.as_object_mut().unwrap().remove("build_seconds");
    }
    v
}

#[test]
fn reports_are_identical_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut reports = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("r{threads}.json"));
        shannon()
            .args(["--threads", threads, "compare", "--smoothing", "mle,add-k:0.5,wb,kn,mkn", "--output"])
            .arg(&out)
            .arg(genesis())
            .assert()
            .success();
        reports.push(without_timings(serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()));
    }
    assert_eq!(reports[0], reports[1]);
    assert_eq!(reports[0]["models"].as_array().unwrap().len(), 25);
}

#[test]
fn compare_report_has_the_contracted_fields() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let assert = shannon()
        .args(["compare", "--order", "3", "--smoothing", "mkn,mle", "--tokens", "whitespace", "--output"])
        .arg(&out)
        .arg(genesis())
        .assert()
        .success();
    let table = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(table.contains("best: order"), "{table}");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(r["schema"], "shannon.compare/1");
    assert_eq!(r["corpus"]["train_inputs"][0]["bytes"].as_u64().unwrap(), std::fs::metadata(genesis()).unwrap().len());
    assert_eq!(r["corpus"]["train_inputs"][0]["sha256"].as_str().unwrap().len(), 64);
    let models = r["models"].as_array().unwrap();
    assert_eq!(models.len(), 6);
    for m in models {
        for key in
            ["cross_entropy_bits", "perplexity", "perplexity_excluding_oov", "oov_rate", "bits_per_char", "tokens"]
        {
            assert!(m["test"].get(key).is_some(), "missing test.{key}");
        }
        if m["smoothing"] == "mle" {
            // Held-out words unseen in training: infinite cross-entropy, said plainly.
            assert!(m["test"]["cross_entropy_bits"].is_null());
            assert!(m["test"]["zero_probability_tokens"].as_u64().unwrap() > 0);
            assert!(m["test"]["infinite"].as_str().unwrap().contains("probability 0"));
        } else {
            let h = m["test"]["cross_entropy_bits"].as_f64().unwrap();
            let ppl = m["test"]["perplexity"].as_f64().unwrap();
            assert!((h.exp2() - ppl).abs() < 1e-9 * ppl, "perplexity = 2^H");
        }
    }
    assert_eq!(r["best"]["smoothing"], "mkn");
}

#[test]
fn build_then_score_matches_compare() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.arpa");
    let g = genesis();
    shannon()
        .args(["build", "--order", "3", "--tokens", "whitespace", "--output"])
        .arg(&model)
        .arg(g)
        .assert()
        .success();
    let assert = shannon().args(["score", "--tokens", "whitespace", "--model"]).arg(&model).arg(g).assert().success();
    let r: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(r["schema"], "shannon.score/1");
    let h = r["score"]["cross_entropy_bits"].as_f64().unwrap();
    // Scoring the training text: far below the uniform log2 |V|.
    assert!(h > 0.0 && h < 6.0, "{h}");
    let lines = shannon()
        .args(["score", "--per-sentence", "--tokens", "whitespace", "--model"])
        .arg(&model)
        .arg(g)
        .assert()
        .success();
    let out = String::from_utf8(lines.get_output().stdout.clone()).unwrap();
    assert_eq!(out.lines().count(), std::fs::read_to_string(g).unwrap().lines().count());
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert!(first["log10_prob"].as_f64().unwrap() < 0.0);

    // What the name says: a model built from a training text and scored on a test text gives the held-out
    // cross-entropy `compare` reports for the same order and method — exactly from the binary file (it keeps
    // the f64 values), and to f32 rounding from the ARPA file and the binary-f32 one, which is smaller.
    let text = std::fs::read_to_string(g).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (train, test) = (dir.path().join("train.txt"), dir.path().join("test.txt"));
    std::fs::write(&train, lines[..15].join("\n") + "\n").unwrap();
    std::fs::write(&test, lines[15..].join("\n") + "\n").unwrap();
    let report = dir.path().join("compare.json");
    shannon()
        .args(["compare", "--order", "3", "--tokens", "whitespace", "--train"])
        .arg(&train)
        .arg("--test")
        .arg(&test)
        .arg("--output")
        .arg(&report)
        .assert()
        .success();
    let compared: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let want = compared["models"][2]["test"]["cross_entropy_bits"].as_f64().unwrap();
    for (format, tolerance) in [("binary", 1e-12), ("arpa", 1e-6), ("binary-f32", 1e-6)] {
        let built = dir.path().join(format!("train.{format}"));
        shannon()
            .args(["build", "--order", "3", "--tokens", "whitespace", "--format", format, "--output"])
            .arg(&built)
            .arg(&train)
            .assert()
            .success();
        let out = shannon().arg("score").arg("--model").arg(&built).arg(&test).output().unwrap();
        let scored: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let got = scored["score"]["cross_entropy_bits"].as_f64().unwrap();
        assert_eq!(scored["model"]["format"], format, "the report names the file's format");
        assert!((got - want).abs() <= tolerance * want, "{format}: score {got} vs compare {want}");
    }
    let size = |format: &str| std::fs::metadata(dir.path().join(format!("train.{format}"))).unwrap().len();
    assert!(size("binary-f32") < size("binary"), "{} vs {}", size("binary-f32"), size("binary"));

    shannon()
        .args(["build", "--smoothing", "add-k", "--output"])
        .arg(dir.path().join("x.arpa"))
        .arg(g)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no exact ARPA"));
    assert!(!dir.path().join("x.arpa").exists());
}

#[test]
fn closed_pipe_exits_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.arpa");
    shannon().args(["build", "--order", "2", "--output"]).arg(&model).arg(genesis()).assert().success();
    // `| head -c 1`: the reader goes away after one byte.
    let script = format!(
        "{} --quiet score --per-sentence --model {} {} {} | head -c 1 >/dev/null; echo ${{PIPESTATUS[0]}}",
        assert_cmd::cargo::cargo_bin("shannon").display(),
        model.display(),
        genesis().display(),
        genesis().display()
    );
    let out = std::process::Command::new("bash").arg("-c").arg(script).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0", "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}
