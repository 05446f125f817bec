//! `shannon batch`: plans, skipping, reruns on change, kill-and-resume.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn shannon() -> Command {
    let mut c = Command::cargo_bin("shannon").unwrap();
    c.arg("--quiet");
    c
}

fn fixture() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpora/fixtures/genesis.txt")).to_path_buf()
}

/// Lines printed per job: `<status> <id> (…)`.
fn statuses(stderr: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some((it.next()?.to_string(), it.next()?.to_string()))
        })
        .filter(|(s, _)| matches!(s.as_str(), "done" | "skipped" | "failed"))
        .collect()
}

fn run_batch(plan: &Path, reports: &Path) -> (bool, Vec<(String, String)>, String) {
    let out =
        Command::cargo_bin("shannon").unwrap().arg("batch").arg(plan).arg("--reports").arg(reports).output().unwrap();
    (out.status.success(), statuses(&out.stderr), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A plan over small corpora made from the fixture.
fn small_plan(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture()).unwrap();
    std::fs::create_dir(dir.join("texts")).unwrap();
    for (i, chunk) in ["a", "b", "c"].iter().enumerate() {
        // Each corpus: the fixture rotated, so they differ.
        let lines: Vec<&str> = text.lines().collect();
        let k = i * 5;
        let rotated = [&lines[k..], &lines[..k]].concat().join("\n") + "\n";
        std::fs::write(dir.join("texts").join(format!("{chunk}.txt")), rotated.repeat(3)).unwrap();
    }
    let plan = dir.join("plan.toml");
    std::fs::write(
        &plan,
        r#"name = "small"
[[corpus]]
glob = "texts/*.txt"

[[job]]
kind = "compare"
tokens = ["words", "whitespace"]
order = 3
smoothing = ["mkn", "wb"]

[[job]]
kind = "entropy"
tokens = "letters"
max_order = 4
"#,
    )
    .unwrap();
    plan
}

#[test]
fn second_run_skips_and_a_changed_corpus_reruns_only_its_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let plan = small_plan(dir.path());
    let reports = dir.path().join("reports");
    let (ok, first, table) = run_batch(&plan, &reports);
    assert!(ok, "{table}");
    assert_eq!(first.len(), 9);
    assert!(first.iter().all(|(s, _)| s == "done"), "{first:?}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("small/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["schema"], "shannon.batch/1");
    assert_eq!(summary["corpora"].as_array().unwrap().len(), 3);
    assert!(summary["corpora"][0]["best"]["bits_per_char"].as_f64().unwrap() > 0.0);
    assert_eq!(summary["corpora"][0]["letters_f_plugin"].as_array().unwrap().len(), 4);
    assert!(table.contains("| a |"), "{table}");

    let (ok, second, _) = run_batch(&plan, &reports);
    assert!(ok);
    assert!(second.iter().all(|(s, _)| s == "skipped"), "{second:?}");

    // Change one corpus: only its three jobs run again.
    let b = dir.path().join("texts/b.txt");
    let mut text = std::fs::read_to_string(&b).unwrap();
    text.push_str("And God saw every thing that he had made.\n");
    std::fs::write(&b, text).unwrap();
    let (ok, third, _) = run_batch(&plan, &reports);
    assert!(ok);
    for (status, id) in &third {
        assert_eq!(status, if id.starts_with("b/") { "done" } else { "skipped" }, "{id}");
    }
    // A changed setting reruns every job of that kind.
    let p = std::fs::read_to_string(&plan).unwrap().replace("max_order = 4", "max_order = 3");
    std::fs::write(&plan, p).unwrap();
    let (_, fourth, _) = run_batch(&plan, &reports);
    for (status, id) in &fourth {
        assert_eq!(status, if id.ends_with("entropy-letters") { "done" } else { "skipped" }, "{id}");
    }
}

#[test]
fn a_failing_job_is_recorded_and_the_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let plan = small_plan(dir.path());
    std::fs::write(dir.path().join("texts/empty.txt"), "\n\n").unwrap();
    let reports = dir.path().join("reports");
    let out = shannon().arg("batch").arg(&plan).arg("--reports").arg(&reports).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("small/summary.json")).unwrap()).unwrap();
    let jobs = summary["jobs"].as_array().unwrap();
    let failed: Vec<&serde_json::Value> = jobs.iter().filter(|j| j["status"] == "failed").collect();
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().all(|j| j["corpus"] == "empty" && j["error"].as_str().unwrap().contains("empty.txt")));
    assert_eq!(jobs.iter().filter(|j| j["status"] == "done").count(), 9);
}

#[test]
fn killed_runs_lose_nothing_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let plan = small_plan(dir.path());
    let reports = dir.path().join("reports");
    let state = reports.join("small/.state");
    let bin = assert_cmd::cargo::cargo_bin("shannon");
    // Kill the run at a few different moments: right after the first job finishes, and later.
    for finished_before_kill in [1usize, 4] {
        let mut child = std::process::Command::new(&bin)
            .arg("--quiet")
            .arg("batch")
            .arg(&plan)
            .arg("--reports")
            .arg(&reports)
            .spawn()
            .unwrap();
        let start = Instant::now();
        loop {
            let done = std::fs::read_dir(&state).map(|d| d.count()).unwrap_or(0);
            if done >= finished_before_kill || start.elapsed() > Duration::from_secs(120) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Every report present is whole.
        for entry in walk(&reports.join("small")) {
            let name = entry.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".json") && !name.starts_with('.') {
                let bytes = std::fs::read(&entry).unwrap();
                assert!(
                    serde_json::from_slice::<serde_json::Value>(&bytes).is_ok(),
                    "{} is not whole",
                    entry.display()
                );
            }
        }
    }
    let finished: Vec<String> =
        std::fs::read_dir(&state).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    let (ok, resumed, _) = run_batch(&plan, &reports);
    assert!(ok);
    assert_eq!(resumed.len(), 9);
    for (status, id) in &resumed {
        let key = id.replace('/', "--") + ".json";
        let had = finished.contains(&key);
        // Jobs finished before a kill are skipped; the rest run now.
        if had {
            assert_eq!(status, "skipped", "{id}");
        } else {
            assert_eq!(status, "done", "{id}");
        }
    }
    // No temporary file is left behind.
    assert!(walk(&reports).iter().all(|p| !p.to_string_lossy().ends_with(".tmp")));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// The plan over the shared Calgary and Canterbury texts (compare orders 1–5 with mkn and wb, entropy on
/// letters): runs end to end, a second run skips everything, and changing one corpus reruns only its jobs.
#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn classic_plan_over_the_shared_corpora() {
    let corpora = PathBuf::from(std::env::var("SHANNON_CORPORA").expect("SHANNON_CORPORA"));
    let dir = tempfile::tempdir().unwrap();
    // One corpus is a copy, so that the test can change it.
    std::fs::copy(corpora.join("canterbury/alice29.txt"), dir.path().join("alice-copy.txt")).unwrap();
    let plan = dir.path().join("classic.toml");
    std::fs::write(
        &plan,
        format!(
            r#"name = "classic"
[[corpus]]
glob = "{calgary}/*"
[[corpus]]
glob = "{canterbury}/*.txt"
[[corpus]]
name = "alice-copy"
paths = ["alice-copy.txt"]

[[job]]
kind = "compare"
tokens = "words"
order = 5
smoothing = ["mkn", "wb"]

[[job]]
kind = "entropy"
tokens = "letters"
max_order = 10
"#,
            calgary = corpora.join("calgary").display(),
            canterbury = corpora.join("canterbury").display()
        ),
    )
    .unwrap();
    let reports = dir.path().join("reports");
    let t = Instant::now();
    let (ok, first, table) = run_batch(&plan, &reports);
    eprintln!("first run: {:.1} s\n{table}", t.elapsed().as_secs_f64());
    let failed: Vec<_> = first.iter().filter(|(s, _)| s == "failed").collect();
    assert!(ok, "failed jobs: {failed:?}");
    assert_eq!(first.len(), 2 * (8 + 6 + 1));
    let (ok, second, _) = run_batch(&plan, &reports);
    assert!(ok && second.iter().all(|(s, _)| s == "skipped"), "{second:?}");
    let copy = dir.path().join("alice-copy.txt");
    let mut text = std::fs::read(&copy).unwrap();
    text.extend_from_slice(b"\r\nTHE END\r\n");
    std::fs::write(&copy, text).unwrap();
    let (ok, third, _) = run_batch(&plan, &reports);
    assert!(ok);
    for (status, id) in &third {
        assert_eq!(status, if id.starts_with("alice-copy/") { "done" } else { "skipped" }, "{id}");
    }
    std::fs::copy(reports.join("classic/summary.md"), std::env::temp_dir().join("shannon-classic-summary.md")).ok();
}

#[test]
fn several_jobs_at_once_give_the_same_reports() {
    let dir = tempfile::tempdir().unwrap();
    let plan = small_plan(dir.path());
    let mut summaries = Vec::new();
    for jobs in ["1", "3"] {
        let reports = dir.path().join(format!("reports-{jobs}"));
        shannon()
            .args(["--threads", "2", "batch", "--jobs", jobs, "--memory", "6M"])
            .arg(&plan)
            .arg("--reports")
            .arg(&reports)
            .assert()
            .success();
        let s: serde_json::Value =
            serde_json::from_slice(&std::fs::read(reports.join("small/summary.json")).unwrap()).unwrap();
        summaries.push(s["corpora"].clone());
        // Each job's report, timings aside, is the same whatever ran beside it.
        let mut r: serde_json::Value =
            serde_json::from_slice(&std::fs::read(reports.join("small/b/compare-words.json")).unwrap()).unwrap();
        // The budget is shared by the jobs that ran at once.
        let memory = &r["timings"]["memory"];
        let why = memory["budget"].as_str().unwrap();
        let at_once: u64 = match why.split_once("shared by ") {
            Some((_, rest)) => rest.split_whitespace().next().unwrap().parse().unwrap(),
            None => 1,
        };
        assert_eq!(at_once > 1, jobs == "3", "{why}");
        assert!(why.starts_with("--memory"), "{why}");
        assert_eq!(memory["budget_bytes"].as_u64(), Some((6 << 20) / at_once));
        r.as_object_mut().unwrap().remove("timings");
        for m in r["models"].as_array_mut().unwrap() {
            m.as_object_mut().unwrap().remove("build_seconds");
        }
        summaries.push(r);
    }
    assert_eq!(summaries[0], summaries[2]);
    assert_eq!(summaries[1], summaries[3]);
}

/// Runs `shannon` with `args` in `dir`; expects exit 2, one line on stderr containing every needle, and no
/// report written.
fn one_line_error(dir: &Path, args: &[&str], needles: &[&str]) {
    let out = Command::cargo_bin("shannon").unwrap().current_dir(dir).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: '{n}' missing from {stderr}");
    }
    assert!(!dir.join("reports").exists(), "{args:?} wrote reports");
}

/// A plan's settings pass through the same checks as the command line's flags: the same limits give the
/// same message, the plan's naming the plan file and the job, before any job runs.
#[test]
fn out_of_range_settings_fail_the_same_way_in_plans_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = fixture();
    let corpus = corpus.to_str().unwrap();
    for (job, flag_args, message) in [
        (
            "kind = \"compare\"\norder = 0",
            vec!["compare", corpus, "--order", "0"],
            "order must be an integer from 1 to 255, got 0",
        ),
        (
            "kind = \"compare\"\norder = 256",
            vec!["compare", corpus, "--order", "256"],
            "order must be an integer from 1 to 255, got 256",
        ),
        (
            "kind = \"entropy\"\nmax_order = 0",
            vec!["entropy", corpus, "--max-order", "0"],
            "max_order must be an integer from 1 to 255, got 0",
        ),
    ] {
        let plan = dir.path().join("plan.toml");
        std::fs::write(
            &plan,
            format!("name = \"p\"\n[[corpus]]\nname = \"g\"\npaths = [\"{corpus}\"]\n\n[[job]]\n{job}\n"),
        )
        .unwrap();
        let kind = if job.contains("entropy") { "entropy" } else { "compare" };
        one_line_error(dir.path(), &["batch", "plan.toml"], &["plan.toml", &format!("job 1 ({kind})"), message]);
        // The flag's message is the same sentence with the flag's name.
        let flag = format!("--{}", message.replacen('_', "-", 1));
        one_line_error(dir.path(), &flag_args, &[&flag]);
    }
}

/// A glob that matches nothing fails that corpus's jobs, not the plan: the other corpora run, the summary
/// lists the failure, and the exit code says something failed. Marked optional, it is skipped with a note.
#[test]
fn a_glob_that_matches_nothing_fails_only_its_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let g = fixture();
    for (optional, code) in [(false, 2), (true, 0)] {
        let plan = dir.path().join("plan.toml");
        std::fs::write(
            &plan,
            format!(
                "name = \"p{optional}\"\n[[corpus]]\nglob = \"missing/*.txt\"\noptional = {optional}\n\n[[corpus]]\nname = \"g\"\npaths = [\"{}\"]\n\n[[job]]\nkind = \"compare\"\norder = 2\n",
                g.display()
            ),
        )
        .unwrap();
        let out = Command::cargo_bin("shannon")
            .unwrap()
            .arg("batch")
            .arg(&plan)
            .arg("--reports")
            .arg(dir.path().join("reports"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        let s = statuses(&out.stderr);
        assert!(s.contains(&("done".into(), "g/compare-words".into())), "{stderr}");
        let missing = if optional { "skipped" } else { "failed" };
        assert!(stderr.lines().any(|l| l.starts_with(missing) && l.contains("missing/*.txt")), "{stderr}");
        let summary: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join(format!("reports/p{optional}/summary.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(summary["failed"], if optional { 0 } else { 1 });
    }
}
