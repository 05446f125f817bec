//! KL both ways, temperature, MLE vs MAP and pruning, through the binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn shannon() -> Command {
    let mut c = Command::cargo_bin("shannon").unwrap();
    c.arg("--quiet");
    c
}

fn fixture() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpora/fixtures/genesis.txt")).to_path_buf()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Two halves of the fixture: related text, different words.
fn halves(dir: &Path) -> (PathBuf, PathBuf) {
    let text = std::fs::read_to_string(fixture()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (a, b) = (dir.join("a.txt"), dir.join("b.txt"));
    std::fs::write(&a, lines[..10].join("\n") + "\n").unwrap();
    std::fs::write(&b, lines[10..].join("\n") + "\n").unwrap();
    (a, b)
}

#[test]
fn kl_both_ways_with_identities() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = halves(dir.path());
    for order in ["1", "2"] {
        let out = dir.path().join(format!("kl{order}.json"));
        shannon().args(["kl", "--order", order, "--output"]).arg(&out).arg(&a).arg(&b).assert().success();
        let r = json(&out);
        assert_eq!(r["schema"], "shannon.kl/1");
        let (pq, qp, js) =
            (r["kl_pq_bits"].as_f64().unwrap(), r["kl_qp_bits"].as_f64().unwrap(), r["js_bits"].as_f64().unwrap());
        assert!(pq > 0.0 && qp > 0.0 && (0.0..=1.0).contains(&js), "{pq} {qp} {js}");
        // KL = H(P,Q) − H(P), both ways.
        let h = |k: &str| r[k].as_f64().unwrap();
        assert!((pq - (h("cross_entropy_pq_bits") - h("entropy_p_bits"))).abs() < 1e-9);
        assert!((qp - (h("cross_entropy_qp_bits") - h("entropy_q_bits"))).abs() < 1e-9);
        // The listed contributions are the largest terms of the sum.
        let top: Vec<f64> = r["top_pq"].as_array().unwrap().iter().map(|c| c["bits"].as_f64().unwrap()).collect();
        assert!(!top.is_empty() && top.windows(2).all(|w| w[0] >= w[1]));
        assert!(top[0] <= pq + 1e-12);
    }
    // KL(P‖P) = 0 and JS(P,P) = 0.
    let out = dir.path().join("same.json");
    shannon().args(["kl", "--output"]).arg(&out).arg(&a).arg(&a).assert().success();
    let r = json(&out);
    assert!(r["kl_pq_bits"].as_f64().unwrap().abs() < 1e-12);
    assert!(r["js_bits"].as_f64().unwrap().abs() < 1e-12);
}

#[test]
fn mle_kl_is_infinite_and_names_the_words() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = halves(dir.path());
    let out = dir.path().join("kl.json");
    shannon().args(["kl", "--smoothing", "mle", "--output"]).arg(&out).arg(&a).arg(&b).assert().success();
    let r = json(&out);
    assert!(r["kl_pq_bits"].is_null() && r["cross_entropy_pq_bits"].is_null());
    let words: Vec<&str> = r["infinite_pq"]["words"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    // "beginning" is in the first ten verses only.
    assert!(words.contains(&"beginning"), "{words:?}");
    let b_text = std::fs::read_to_string(&b).unwrap();
    assert!(words
        .iter()
        .all(|w| !b_text.split_whitespace().any(|t| t == *w) || w.chars().any(|c| !c.is_alphanumeric())));
}

#[test]
fn temperatures_and_tuned_add_k_in_compare() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    shannon()
        .args([
            "compare",
            "--order",
            "2",
            "--smoothing",
            "mle,add-k,add-k:auto,mkn",
            "--temperatures",
            "0.5,1,2",
            "--output",
        ])
        .arg(&out)
        .assert()
        .success();
    let r = json(&out);
    for m in r["models"].as_array().unwrap() {
        let temps = m["temperatures"].as_array().unwrap();
        assert_eq!(temps.len(), 3);
        if m["smoothing"] != "mle" {
            // τ = 1 is the model itself.
            assert_eq!(temps[1]["cross_entropy_bits"], m["test"]["cross_entropy_bits"]);
        }
        if m["smoothing"] == "mkn" {
            assert_eq!(m["best_temperature"].as_f64(), Some(1.0), "a well-smoothed model is calibrated");
        }
        if m["smoothing"] == "add-k:auto" {
            let k = m["tuned_k"].as_f64().unwrap();
            let curve = m["tuning"].as_array().unwrap();
            assert!(curve.len() > 10);
            let best = curve.iter().min_by(|a, b| {
                a["dev_cross_entropy_bits"].as_f64().unwrap().total_cmp(&b["dev_cross_entropy_bits"].as_f64().unwrap())
            });
            assert_eq!(best.unwrap()["k"].as_f64(), Some(k));
        }
    }
}

#[test]
fn sample_is_deterministic_and_greedy_at_zero() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.arpa");
    shannon()
        .args(["build", "--order", "3", "--tokens", "whitespace", "--output"])
        .arg(&model)
        .arg(fixture())
        .assert()
        .success();
    let run = |tau: &str, seed: &str| {
        let out = shannon()
            .args(["sample", "--count", "3", "--temperature", tau, "--seed", seed, "--model"])
            .arg(&model)
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    assert_eq!(run("0.8", "7"), run("0.8", "7"));
    assert_ne!(run("1", "7"), run("1", "8"));
    let greedy = run("0", "1");
    assert_eq!(greedy, run("0", "2"), "τ = 0 ignores the seed");
    // The fixture's most frequent opening is "And"; greedy decoding starts every sentence with it.
    assert!(greedy.lines().all(|l| l.starts_with("And ")), "{greedy}");
}

#[test]
fn prune_command_and_compare_prune() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.arpa");
    let pruned = dir.path().join("p.arpa");
    shannon().args(["build", "--order", "3", "--output"]).arg(&model).arg(fixture()).assert().success();
    shannon()
        .args(["prune", "--threshold", "1e-3", "--model"])
        .arg(&model)
        .arg("--output")
        .arg(&pruned)
        .assert()
        .success();
    let count = |p: &Path| std::fs::read_to_string(p).unwrap().lines().filter(|l| l.contains('\t')).count();
    assert!(count(&pruned) < count(&model));
    let out = dir.path().join("r.json");
    shannon()
        .args(["compare", "--order", "3", "--prune", "1e-4,1e-3", "--output"])
        .arg(&out)
        .arg(fixture())
        .assert()
        .success();
    let r = json(&out);
    let top = &r["models"][2];
    let points = top["pruning"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    let total =
        |p: &serde_json::Value| p["ngrams"].as_array().unwrap().iter().map(|n| n.as_u64().unwrap()).sum::<u64>();
    assert!(total(&points[1]) <= total(&points[0]));
    for p in points {
        let (pred, exact) = (p["predicted_kl_bits"].as_f64().unwrap(), p["model_kl_bits"].as_f64().unwrap());
        assert!(pred >= 0.0 && exact >= 0.0);
    }
}

#[test]
fn score_through_a_temperature() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.arpa");
    shannon().args(["build", "--order", "2", "--output"]).arg(&model).arg(fixture()).assert().success();
    let h = |tau: &str| {
        let out =
            shannon().args(["score", "--temperature", tau, "--model"]).arg(&model).arg(fixture()).assert().success();
        let r: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!(r["temperature"].as_f64().unwrap(), tau.parse::<f64>().unwrap());
        r["score"]["cross_entropy_bits"].as_f64().unwrap()
    };
    let (cold, one, hot) = (h("0.5"), h("1"), h("3"));
    // Scored on its own training text, a sharper distribution does better and a flatter one worse.
    assert!(cold < one && one < hot, "{cold} {one} {hot}");
    shannon().args(["score", "--temperature", "0", "--model"]).arg(&model).arg(fixture()).assert().code(2);
}
