//! Reports are byte-identical to the golden files in `tests/golden/`, timings aside.
//!
//! The golden files were written by the code as it stood before the jobs moved into a library
//! (`SHANNON_BLESS=1` rewrites them); every later change to what shannon computes must show up here as a
//! deliberate change of a golden file. Each case runs the binary on the shared corpora and compares the
//! report's bytes after two substitutions that do not depend on the computation: the value of every
//! `…seconds` and `threads` field becomes 0, and the corpora's and the temporary directory's absolute paths
//! become `$CORPORA` and `$TMP`. Model files are compared by SHA-256.
//!
//! Needs `SHANNON_CORPORA`; ignored by default.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn shannon() -> Command {
    let mut c = Command::cargo_bin("shannon").unwrap();
    c.arg("--quiet");
    c
}

fn corpora() -> PathBuf {
    PathBuf::from(std::env::var("SHANNON_CORPORA").expect("set SHANNON_CORPORA to ../shared/corpora"))
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The report's text with timings zeroed and machine-specific paths replaced.
fn normalize(text: &str, tmp: &Path) -> String {
    let corpora = corpora().display().to_string();
    let tmp = tmp.display().to_string();
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let key = trimmed.strip_prefix('"').and_then(|rest| rest.split_once("\": "));
        let line = match key {
            // Machine-dependent: times, threads, the memory budget chosen from the memory available and what
            // counting spilled or kept in files within it.
            Some((k, v))
                if k.ends_with("seconds")
                    || k == "threads"
                    || k == "budget_bytes"
                    || k == "budget"
                    || k == "spilled_runs"
                    || k == "temp_disk_peak_bytes"
                    || k == "positions" =>
            {
                let indent = &line[..line.len() - trimmed.len()];
                let comma = if v.trim_end().ends_with(',') { "," } else { "" };
                let nl = if line.ends_with('\n') { "\n" } else { "" };
                let value = match k {
                    "budget" => "\"$BUDGET\"",
                    "positions" => "\"$POSITIONS\"",
                    _ => "0",
                };
                format!("{indent}\"{k}\": {value}{comma}{nl}")
            }
            _ => line.to_string(),
        };
        out.push_str(&line.replace(&tmp, "$TMP").replace(&corpora, "$CORPORA"));
    }
    out
}

/// Compares `actual` (already normalized) with the golden file `name`, or writes it with `SHANNON_BLESS=1`.
fn check(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var_os("SHANNON_BLESS").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if expected != actual {
        let line = expected.lines().zip(actual.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{name} differs from its golden file at line {}:\n  golden: {}\n  now:    {}",
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>")
        );
    }
}

/// Runs shannon with `args`, `--output` a file in `tmp`, and checks the file against the golden `name`.
fn report(tmp: &Path, name: &str, args: &[&str]) {
    let out = tmp.join(name);
    shannon().args(args).arg("--output").arg(&out).assert().success();
    let text = std::fs::read_to_string(&out).unwrap();
    check(name, &normalize(&text, tmp));
}

fn sha256(path: &Path) -> String {
    shannon_corpus::sha256_hex(&std::fs::read(path).unwrap())
}

fn c(rel: &str) -> String {
    corpora().join(rel).display().to_string()
}

#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn compare_reports_are_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let paper1 = c("calgary/paper1");
    report(
        t,
        "compare-paper1.json",
        &[
            "compare",
            &paper1,
            "--order",
            "3",
            "--smoothing",
            "mkn,kn,wb,add-k:0.5,add-k:auto,mle",
            "--temperatures",
            "0.8,1.25",
            "--prune",
            "1e-6",
        ],
    );
    let (alice, asyoulik) = (c("canterbury/alice29.txt"), c("canterbury/asyoulik.txt"));
    report(
        t,
        "compare-chars.json",
        &[
            "compare",
            "--train",
            &alice,
            "--test",
            &asyoulik,
            "--tokens",
            "chars",
            "--sentences",
            "none",
            "--order",
            "4",
            "--smoothing",
            "mkn,wb",
            "--lowercase",
        ],
    );
    report(t, "compare-default.json", &["compare", "--order", "3", "--smoothing", "mkn,add-k:0.01"]);
}

#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn entropy_reports_are_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    report(t, "entropy-paper1.json", &["entropy", &c("calgary/paper1"), "--max-order", "6", "--groups", "10"]);
    report(
        t,
        "entropy-alice-words.json",
        &["entropy", &c("canterbury/alice29.txt"), "--tokens", "words", "--lowercase"],
    );
}

#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn code_reports_are_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    report(tmp.path(), "code-alice29.json", &["code", &c("canterbury/alice29.txt")]);
}

#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn kl_reports_are_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (alice, asyoulik) = (c("canterbury/alice29.txt"), c("canterbury/asyoulik.txt"));
    report(t, "kl-order2.json", &["kl", &alice, &asyoulik, "--lowercase", "--order", "2"]);
    report(t, "kl-mle.json", &["kl", &alice, &asyoulik, "--smoothing", "mle", "--top", "5"]);
    // Two models: unigram distributions over the union vocabulary.
    let (p, q) = (t.join("p.arpa"), t.join("q.arpa"));
    for (text, model) in [(&alice, &p), (&asyoulik, &q)] {
        shannon().args(["build", text, "--order", "2", "--output"]).arg(model).assert().success();
    }
    report(t, "kl-models.json", &["kl", &p.display().to_string(), &q.display().to_string(), "--top", "5"]);
}

#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn models_scores_and_samples_are_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (arpa, bin) = (t.join("m.arpa"), t.join("m.bin"));
    let paper2 = c("calgary/paper2");
    shannon()
        .args(["build", &paper2, "--order", "3", "--tokens", "whitespace", "--output"])
        .arg(&arpa)
        .assert()
        .success();
    shannon()
        .args(["build", &paper2, "--order", "3", "--tokens", "whitespace", "--format", "binary", "--output"])
        .arg(&bin)
        .assert()
        .success();
    let wb = t.join("wb.arpa");
    shannon().args(["build", &paper2, "--order", "2", "--smoothing", "wb", "--output"]).arg(&wb).assert().success();
    let converted = t.join("converted.arpa");
    shannon().arg("convert").arg(&bin).arg(&converted).args(["--format", "arpa"]).assert().success();
    let pruned = t.join("pruned.arpa");
    shannon()
        .args(["prune", "--threshold", "1e-6", "--model"])
        .arg(&arpa)
        .arg("--output")
        .arg(&pruned)
        .assert()
        .success();
    let hashes: String = [&arpa, &bin, &wb, &converted, &pruned]
        .iter()
        .map(|p| format!("{}  {}\n", sha256(p), p.file_name().unwrap().to_string_lossy()))
        .collect();
    check("models.sha256", &hashes);

    let model = arpa.display().to_string();
    let paper1 = c("calgary/paper1");
    report(t, "score-paper1.json", &["score", "--model", &model, "--tokens", "whitespace", &paper1]);
    report(
        t,
        "score-binary.json",
        &["score", "--model", &bin.display().to_string(), "--tokens", "whitespace", &paper1],
    );
    report(
        t,
        "score-tempered.json",
        &["score", "--model", &model, "--tokens", "whitespace", "--temperature", "0.9", &paper1],
    );
    report(
        t,
        "score-sentences.jsonl",
        &["score", "--model", &model, "--tokens", "whitespace", "--per-sentence", &paper1],
    );

    for (name, temperature) in [("sample-greedy.txt", "0"), ("sample-0.8.txt", "0.8")] {
        let out = shannon()
            .args(["sample", "--model", &model, "--seed", "7", "--count", "4", "--temperature", temperature])
            .output()
            .unwrap();
        assert!(out.status.success());
        check(name, &String::from_utf8(out.stdout).unwrap());
    }
}

#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn batch_reports_are_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let plan = t.join("plan.toml");
    std::fs::write(
        &plan,
        format!(
            r#"name = "golden"
[[corpus]]
glob = "{}/calgary/paper*"

[[corpus]]
name = "progc"
paths = ["{}"]
holdout = 0.2

[[job]]
kind = "compare"
tokens = ["words", "whitespace"]
order = 3
smoothing = ["mkn", "wb"]

[[job]]
kind = "entropy"
tokens = "letters"
max_order = 5
"#,
            corpora().display(),
            c("calgary/progc")
        ),
    )
    .unwrap();
    let reports = t.join("reports");
    shannon().arg("batch").arg(&plan).arg("--reports").arg(&reports).assert().success();
    let dir = reports.join("golden");
    for rel in [
        "summary.json",
        "summary.md",
        "paper1/compare-words.json",
        "paper2/compare-whitespace.json",
        "progc/compare-words.json",
        "progc/entropy-letters.json",
    ] {
        let text = std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        check(&format!("batch-{}", rel.replace('/', "-")), &normalize(&text, t));
    }
}
