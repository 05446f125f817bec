//! What a newcomer trips over (issue 14): messages that say things once and suggest the right word,
//! warnings said once, infinite figures with their reason beside them, files that git leaves alone.

use std::path::Path;

use crate::manners::{genesis, shannon, workspace};

/// Runs shannon (not quiet) in a fresh directory; returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::new(crate::manners::bin()).current_dir(dir.path()).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn one_line_error(args: &[&str]) -> String {
    let (code, _, stderr) = run(args);
    assert_eq!(code, Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    stderr
}

#[test]
fn typos_get_a_suggestion() {
    assert!(one_line_error(&["comapre"]).contains("'compare'"));
    let g = genesis();
    assert!(one_line_error(&["compare", g.to_str().unwrap(), "--oder", "3"]).contains("'--order'"));
}

#[test]
fn a_missing_file_is_said_once() {
    let e = one_line_error(&["compare", "no-such-file.txt"]);
    assert_eq!(e.matches("No such file or directory").count(), 1, "{e}");
    assert!(e.contains("no-such-file.txt"), "{e}");
}

#[test]
fn a_text_file_given_as_a_model_is_not_a_model() {
    let g = genesis();
    let e = one_line_error(&["score", "--model", g.to_str().unwrap(), g.to_str().unwrap()]);
    assert!(e.contains("not a model file") && e.contains("genesis.txt"), "{e}");
}

#[test]
fn a_discount_fallback_is_said_once_with_the_orders() {
    let g = genesis();
    let (code, _, stderr) = run(&["compare", g.to_str().unwrap(), "--tokens", "chars", "--order", "8", "-o", "r.json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.starts_with("warning:")).collect();
    assert!(!warnings.is_empty(), "{stderr}");
    let mut unique = warnings.clone();
    unique.dedup();
    assert_eq!(unique.len(), warnings.len(), "{stderr}");
    assert!(warnings.iter().any(|w| w.contains("models of orders 2–8")), "{stderr}");
    assert!(!stderr.contains("artificial?"), "a guess instead of what happened: {stderr}");
}

#[test]
fn an_infinite_divergence_says_why_on_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let (p, q) = (dir.path().join("p.txt"), dir.path().join("q.txt"));
    std::fs::write(&p, "the cat sat\nthe dog sat\n").unwrap();
    std::fs::write(&q, "the cat sat\n").unwrap();
    let out = shannon()
        .arg("kl")
        .arg(&p)
        .arg(&q)
        .args(["--smoothing", "mle", "--output"])
        .arg(dir.path().join("kl.json"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with("KL(P‖Q)")).unwrap();
    assert!(line.contains("inf") && line.contains("probability 0 under Q") && line.contains("dog"), "{line}");
}

/// Pages and batch directories that shannon writes under reports/ stay out of `git status`.
#[test]
fn written_reports_are_ignored_by_git() {
    let root = workspace();
    if !root.join(".git").exists() || std::process::Command::new("git").arg("--version").output().is_err() {
        eprintln!("skipped: not a git checkout");
        return;
    }
    for path in ["reports/compare-book1.html", "reports/compare-book1.json", "reports/plan/book1/compare-words.json"] {
        let ignored = std::process::Command::new("git")
            .current_dir(&root)
            .args(["check-ignore", "-q", path])
            .status()
            .unwrap()
            .success();
        assert!(ignored, "{path} is not ignored");
    }
    assert!(Path::new(&root.join("reports/schema/compare.json")).exists());
    let tracked = std::process::Command::new("git")
        .current_dir(&root)
        .args(["check-ignore", "-q", "reports/schema/compare.json"])
        .status()
        .unwrap()
        .success();
    assert!(!tracked, "schemas must stay tracked");
}

/// Runs with other settings write other reports; replacing one made with other settings says so.
#[test]
fn reports_of_other_settings_do_not_overwrite_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let g = genesis();
    let g = g.to_str().unwrap();
    let run_in = |args: &[&str]| {
        let out = assert_cmd::Command::new(crate::manners::bin()).current_dir(dir.path()).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    run_in(&["compare", g, "--order", "2"]);
    run_in(&["compare", g, "--order", "2", "--smoothing", "wb"]);
    run_in(&["compare", g]);
    run_in(&["entropy", g, "--max-order", "3"]);
    run_in(&["entropy", g, "--tokens", "words", "--lowercase"]);
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "compare-genesis-o2-wb.json",
            "compare-genesis-o2.json",
            "compare-genesis.json",
            "entropy-genesis-n3.json",
            "entropy-genesis-words-lower.json"
        ]
    );
    // The same file with other settings: written, and said.
    let stderr =
        run_in(&["compare", g, "--order", "2", "--smoothing", "kn", "--output", "reports/compare-genesis-o2.json"]);
    assert!(
        stderr.contains("warning: replacing reports/compare-genesis-o2.json, made with other settings"),
        "{stderr}"
    );
    assert!(stderr.contains("mkn") && stderr.contains("kn"), "{stderr}");
    // The same settings again: nothing to say.
    let stderr =
        run_in(&["compare", g, "--order", "2", "--smoothing", "kn", "--output", "reports/compare-genesis-o2.json"]);
    assert!(!stderr.contains("replacing"), "{stderr}");
}

/// `score` prints a summary table for a person and keeps the JSON in the report file; piped without
/// `--output` (as scripts use it), standard output is the JSON, as before.
#[test]
fn score_prints_a_table_and_keeps_the_json_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let g = genesis();
    let model = dir.path().join("m.arpa");
    shannon().arg("build").arg(&g).args(["--order", "2", "--output"]).arg(&model).assert().success();
    let report = dir.path().join("s.json");
    let out = shannon().arg("score").arg("--model").arg(&model).arg(&g).arg("--output").arg(&report).output().unwrap();
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("perplexity") && table.contains("ppl-no-oov") && !table.contains('{'), "{table}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["schema"], "shannon.score/1");
    let piped = shannon().arg("score").arg("--model").arg(&model).arg(&g).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&piped.stdout).unwrap();
    assert_eq!(json["schema"], "shannon.score/1");
}

#[test]
fn help_says_what_each_command_reads_and_keeps_global_flags_apart() {
    let help = |args: &[&str]| String::from_utf8(shannon().args(args).output().unwrap().stdout).unwrap();
    let score = help(&["score", "--help"]);
    assert!(score.contains("zstd") && score.contains("bzip2"), "{score}");
    assert!(score.contains("Global options:"), "{score}");
    let options = &score[..score.find("Global options:").unwrap()];
    assert!(!options.contains("--threads"), "global flags among the command's own: {score}");
    // --sentences means a segmentation everywhere; sample's count of lines is --count.
    let sample = help(&["sample", "--help"]);
    assert!(sample.contains("--count") && !sample.contains("--sentences"), "{sample}");
}

/// The n-gram counts of a model and of its pruned versions mean the same thing (all orders), in the table
/// and on the page, so a pruned model never looks bigger than the one it was pruned from.
#[test]
fn pruned_and_unpruned_sizes_count_the_same_n_grams() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("c.json");
    let out = shannon()
        .arg("compare")
        .arg(genesis())
        .args(["--order", "2", "--prune", "1e-3", "--output"])
        .arg(&report)
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("all n-grams"), "{table}");
    let row = table.lines().find(|l| l.trim_start().starts_with("2  mkn")).unwrap();
    let all: u64 = row.split_whitespace().nth(2).unwrap().parse().unwrap();
    let pruned_line = table.lines().skip_while(|l| !l.trim_start().starts_with("2  mkn")).nth(1).unwrap();
    let pruned: u64 = pruned_line.split(": ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!(pruned < all, "{table}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let ngrams: u64 = json["models"][1]["ngrams"].as_array().unwrap().iter().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(ngrams, all);
    let page = dir.path().join("c.html");
    shannon().arg("render").arg(&report).arg("--output").arg(&page).assert().success();
    assert!(std::fs::read_to_string(&page).unwrap().contains("n-grams (all orders)"));
}

/// Text from `generate` carries its exact rate into `entropy`, which plays the guessing game on it even
/// though it is one long line.
#[test]
fn a_generated_text_shows_its_true_rate_beside_the_estimates() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("m.txt");
    let out = shannon()
        .args(["generate", "--source", "markov", "--order", "2", "--count", "100000", "--output"])
        .arg(&text)
        .output()
        .unwrap();
    assert!(out.status.success());
    let report = dir.path().join("e.json");
    let out = shannon()
        .arg("entropy")
        .arg(&text)
        .args(["--tokens", "chars", "--max-order", "4", "--guess-limit", "2000", "--output"])
        .arg(&report)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("true entropy rate of the source"), "{table}");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let rate = r["true_entropy_rate"]["bits_per_token"].as_f64().unwrap();
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("m.txt.source.json")).unwrap()).unwrap();
    assert_eq!(rate, record["bits_per_unit"].as_f64().unwrap());
    assert_eq!(r["guessing"].as_array().unwrap().len(), 4, "the game is played on a one-line text");
    // An order-2 chain: F_3 is its rate, up to estimation error.
    let f3 = r["orders"][3]["F"]["nsb"].as_f64().unwrap();
    assert!((f3 - rate).abs() < 0.05, "F_3 {f3} vs rate {rate}");
}

/// A model remembers how its text was tokenized: scoring uses that by default, a contradicting flag is an
/// error unless forced, and a model that does not say (KenLM's, SRILM's) gets a notice naming the tokenizer.
#[test]
fn models_remember_their_tokenizer() {
    let dir = tempfile::tempdir().unwrap();
    let g = genesis();
    let text = std::fs::read_to_string(&g).unwrap().replace(',', " ,");
    let corpus = dir.path().join("c.txt");
    std::fs::write(&corpus, &text).unwrap();
    let report = |args: &[&str]| -> (bool, serde_json::Value, String) {
        let out = assert_cmd::Command::new(crate::manners::bin()).args(args).output().unwrap();
        let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        (out.status.success(), json, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let c = corpus.to_str().unwrap();
    for format in ["arpa", "binary"] {
        let model = dir.path().join(format!("m.{format}"));
        let m = model.to_str().unwrap();
        let (ok, _, err) = report(&["build", c, "--order", "2", "--tokens", "whitespace", "--format", format, "-o", m]);
        assert!(ok, "{err}");
        let (ok, json, err) = report(&["score", "--model", m, c]);
        assert!(ok && err.is_empty(), "{err}");
        assert_eq!(json["tokenizer"]["kind"], "whitespace", "{format}: the model's own tokenizer by default");
        let (ok, _, err) = report(&["score", "--model", m, "--tokens", "words", c]);
        assert!(!ok && err.contains("--tokens words contradicts") && err.contains("--force-tokens"), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        let (ok, json, err) = report(&["score", "--model", m, "--tokens", "words", "--force-tokens", c]);
        assert!(ok && err.contains("--force-tokens"), "{err}");
        assert_eq!(json["tokenizer"]["kind"], "words");
    }
    // An ARPA file without the record, as KenLM writes them: today's default, with a notice.
    let arpa = std::fs::read_to_string(dir.path().join("m.arpa")).unwrap();
    assert!(arpa.starts_with("# shannon-tokenizer "), "{}", &arpa[..80]);
    let foreign = dir.path().join("foreign.arpa");
    std::fs::write(&foreign, arpa.lines().skip(1).collect::<Vec<_>>().join("\n") + "\n").unwrap();
    let (ok, json, err) = report(&["score", "--model", foreign.to_str().unwrap(), c]);
    assert!(ok && err.contains("does not record") && err.contains("words tokens"), "{err}");
    assert_eq!(json["tokenizer"]["kind"], "words");
    // Converting keeps the record.
    let converted = dir.path().join("m2.bin");
    let (ok, _, err) = report(&["convert", dir.path().join("m.arpa").to_str().unwrap(), converted.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (_, json, _) = report(&["score", "--model", converted.to_str().unwrap(), c]);
    assert_eq!(json["tokenizer"]["kind"], "whitespace");
}

/// Every stage of every command goes through progress (a bar or spinner on a terminal, its time with -v):
/// reading (where compressed inputs are decompressed), tokenizing, counting, estimating and writing.
#[test]
fn every_stage_reports_progress() {
    let dir = tempfile::tempdir().unwrap();
    let g = genesis();
    let g = g.to_str().unwrap();
    let model = dir.path().join("m.arpa");
    let m = model.to_str().unwrap();
    let out_json = dir.path().join("r.json");
    let r = out_json.to_str().unwrap();
    for (args, stages) in [
        (vec!["build", g, "--order", "2", "-o", m], vec!["read", "tokenize", "count", "estimate and write"]),
        (vec!["score", "--model", m, g, "-o", r], vec!["load model", "read", "tokenize and score"]),
        (vec!["compare", g, "--order", "2", "-o", r], vec!["read", "tokenize", "count", "models"]),
        (vec!["entropy", g, "--max-order", "2", "-o", r], vec!["read", "tokenize", "blocks", "guessing"]),
        (vec!["kl", g, g, "-o", r], vec!["read", "tokenize", "divergences"]),
    ] {
        let out = assert_cmd::Command::new(crate::manners::bin()).arg("-v").args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for stage in stages {
            assert!(
                stderr.lines().any(|l| l.starts_with(&format!("{stage}: ")) && l.ends_with(" s")),
                "{args:?}: no {stage}: {stderr}"
            );
        }
    }
}
