//! Bounded memory: `shannon build --memory` spills sorted runs to `--temp-dir`, merges them, and writes the
//! same model byte for byte; its spill files are gone afterwards, on success and on error.

use std::path::Path;

use assert_cmd::Command;

fn shannon() -> Command {
    let mut c = Command::cargo_bin("shannon").unwrap();
    c.arg("--quiet");
    c
}

fn genesis() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpora/fixtures/genesis.txt"))
}

fn build(out: &Path, extra: &[&str]) -> Vec<u8> {
    shannon()
        .args(["build", "--order", "5", "--smoothing", "mkn", "--tokens", "whitespace", "--output"])
        .arg(out)
        .args(extra)
        .arg(genesis())
        .assert()
        .success();
    std::fs::read(out).unwrap()
}

#[test]
fn a_tiny_memory_limit_spills_and_gives_the_same_model_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let spill = tempfile::tempdir().unwrap();
    let unbounded = build(&dir.path().join("a.arpa"), &[]);
    // 4 KiB of sorting memory: sections of 128 positions, dozens of spilled runs per order.
    let spill_arg = spill.path().to_str().unwrap();
    for threads in ["1", "2"] {
        let bounded = build(
            &dir.path().join(format!("b{threads}.arpa")),
            &["--memory", "4K", "--temp-dir", spill_arg, "--threads", threads],
        );
        assert!(bounded == unbounded, "ARPA with --memory 4K (threads {threads}) differs from the unbounded run");
        let binary = build(&dir.path().join(format!("c{threads}.bin")), &["--memory", "4K", "--format", "binary"]);
        let reference = build(&dir.path().join("c.bin"), &["--format", "binary"]);
        assert!(binary == reference, "binary model with --memory 4K differs");
    }
    assert_eq!(std::fs::read_dir(spill.path()).unwrap().count(), 0, "spill directory left behind");
}

#[test]
fn an_unwritable_temp_dir_is_one_line_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.arpa");
    shannon()
        .args(["build", "--memory", "4K", "--temp-dir", "/nonexistent/spill", "--output"])
        .arg(&out)
        .arg(genesis())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--temp-dir"));
    assert!(!out.exists());
}
