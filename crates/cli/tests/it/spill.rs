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

/// compare keeps its counts on disk within any budget, says so in the report, and leaves nothing behind; what
/// needs every count in memory takes no budget.
#[test]
fn compare_counts_on_disk_within_a_budget_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let spill = tempfile::tempdir().unwrap();
    let report = |name: &str, extra: &[&str]| -> serde_json::Value {
        let out = dir.path().join(name);
        shannon()
            .args(["compare", "--order", "4", "--smoothing", "mkn,wb", "--tokens", "whitespace", "--output"])
            .arg(&out)
            .args(["--temp-dir", spill.path().to_str().unwrap()])
            .args(extra)
            .arg(genesis())
            .assert()
            .success();
        let mut r: serde_json::Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
        let memory = r["timings"]["memory"].take();
        r["timings"] = serde_json::Value::Null;
        for m in r["models"].as_array_mut().unwrap() {
            m["build_seconds"] = serde_json::Value::Null;
        }
        serde_json::json!({"figures": r, "memory": memory})
    };
    let default = report("a.json", &[]);
    let tiny = report("b.json", &["--memory", "4K", "--threads", "1"]);
    assert_eq!(default["figures"], tiny["figures"]);
    assert!(default["memory"]["budget"].as_str().unwrap().contains("memory available"), "{}", default["memory"]);
    assert_eq!(tiny["memory"]["budget"], "--memory");
    assert_eq!(tiny["memory"]["budget_bytes"], 4096);
    // The peak temporary disk is the stored counts, and with 4 KiB the spilled runs besides.
    assert_eq!(default["memory"]["spilled_runs"], 0);
    assert!(tiny["memory"]["spilled_runs"].as_u64().unwrap() > 0, "{}", tiny["memory"]);
    let peak = |r: &serde_json::Value| r["memory"]["temp_disk_peak_bytes"].as_u64().unwrap();
    assert!(peak(&default) > 0 && peak(&tiny) > peak(&default), "{default} {tiny}");
    assert_eq!(std::fs::read_dir(spill.path()).unwrap().count(), 0, "counts left behind");
    let out = shannon()
        .args(["compare", "--memory", "1G", "--smoothing", "add-k", "--output"])
        .arg(dir.path().join("c.json"))
        .arg(genesis())
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--memory") && stderr.contains("add-k"), "{stderr}");
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

/// A directory on a file system of its own of a few hundred KiB (a tmpfs), unmounted when dropped.
struct SmallDir(tempfile::TempDir);

impl SmallDir {
    /// Mounts a tmpfs of `kib` KiB, or says why it cannot (mounting needs root, as in CI).
    fn new(kib: u32) -> Result<SmallDir, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
        let size = format!("size={kib}k");
        let mount = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &size, "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if !mount.status.success() {
            return Err(format!("mount -t tmpfs: {}", String::from_utf8_lossy(&mount.stderr).trim()));
        }
        Ok(SmallDir(dir))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    /// Files in it, but for `keep`.
    fn entries(&self, keep: &str) -> Vec<String> {
        let names = std::fs::read_dir(self.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into());
        names.filter(|n: &String| n != keep).collect()
    }

    /// Fills it: a file named `fill` written until the disk is full.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.path().join("fill")).unwrap();
        let block = [0u8; 4096];
        while f.write_all(&block).is_ok() {}
    }
}

impl Drop for SmallDir {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(self.path()).status();
    }
}

/// About 250 KB of text, 1,500 distinct words: its counts and models are megabytes.
fn text_of_some_size(dir: &Path) -> std::path::PathBuf {
    let mut x = 12345u64;
    let mut text = String::new();
    for _ in 0..4000 {
        for k in 0..12 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            text.push_str(&format!("{}w{}", if k == 0 { "" } else { " " }, (x >> 40) % 1500));
        }
        text.push('\n');
    }
    let path = dir.join("corpus.txt");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs shannon, expects exit 2 and one line on stderr that contains every needle; returns the line.
fn fails_with(args: &[&std::ffi::OsStr], needles: &[&str]) -> String {
    let out = shannon().args(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: not one line: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: {n:?} not in {stderr}");
    }
    stderr
}

#[test]
fn a_full_disk_is_one_line_naming_the_directory_or_file_and_leaves_nothing_behind() {
    let small = match SmallDir::new(256) {
        Ok(d) => d,
        Err(why) => {
            eprintln!("skipped: no size-limited directory can be made here ({why}); CI runs this as root");
            return;
        }
    };
    let work = tempfile::tempdir().unwrap();
    let corpus = text_of_some_size(work.path());
    let full = "No space left on device";
    let small_s = small.path().to_str().unwrap();
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    // Spilling: sorted runs past --memory, and the counts stored on disk for the ARPA writer.
    let out = work.path().join("m.arpa");
    for memory in [&["--memory", "1M"][..], &[]] {
        let mut args: Vec<&std::ffi::OsStr> = vec![os("build"), os("--order"), os("5"), os("--temp-dir")];
        args.extend([small.path().as_os_str()]);
        args.extend(memory.iter().map(|&m| os(m)));
        args.extend([os("--output"), out.as_os_str(), corpus.as_os_str()]);
        fails_with(&args, &[small_s, full, "--temp-dir", "of temporary files; counting may need up to"]);
        assert!(!out.exists(), "a model was written");
        assert_eq!(small.entries(""), Vec::<String>::new(), "spill files left behind ({memory:?})");
    }
    // The model file, in either format.
    for name in ["m.arpa", "m.bin"] {
        let target = small.path().join(name);
        let format = if name.ends_with("bin") { "binary" } else { "arpa" };
        let args = [os("build"), os("--order"), os("5"), os("--format"), os(format), os("--output")];
        let args: Vec<&std::ffi::OsStr> = args.into_iter().chain([target.as_os_str(), corpus.as_os_str()]).collect();
        let line = fails_with(&args, &[target.to_str().unwrap(), full]);
        assert!(!line.contains(".shannon-"), "names the temporary file: {line}");
        assert_eq!(small.entries(""), Vec::<String>::new(), "a half-written model is left ({name})");
    }
    // compare's counts on disk, within a budget or the default one.
    let report = work.path().join("r.json");
    for memory in [&["--memory", "1M"][..], &[]] {
        let mut args: Vec<&std::ffi::OsStr> = vec![os("compare"), os("--order"), os("5"), os("--temp-dir")];
        args.extend([small.path().as_os_str()]);
        args.extend(memory.iter().map(|&m| os(m)));
        args.extend([os("--output"), report.as_os_str(), corpus.as_os_str()]);
        fails_with(&args, &[small_s, full, "--temp-dir", "of temporary files; counting may need up to"]);
        assert!(!report.exists(), "a report was written");
        assert_eq!(small.entries(""), Vec::<String>::new(), "counts left behind ({memory:?})");
    }
    // A report, on a disk already full.
    small.fill();
    let report = small.path().join("r.json");
    let args = [os("compare"), os("--order"), os("2"), os("--output"), report.as_os_str(), corpus.as_os_str()];
    let line = fails_with(&args, &[&format!("cannot write {}", report.display()), full]);
    assert!(!line.contains(".shannon-"), "names the temporary file: {line}");
    assert_eq!(small.entries("fill"), Vec::<String>::new(), "a half-written report is left");
}
