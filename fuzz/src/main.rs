//! `shannon-fuzz`: coverage-guided fuzzing of every reader of outside input, with AFL++ on the stable
//! toolchain (cargo-afl), for a bounded time.
//!
//! **In:** a target name (`arpa`, `binary`, `index`, `tokens`, `decompress`, `plan`, `render`, `code`; see [`targets`]), its
//! seeds (`fuzz/seeds/<target>/`) and a time limit. **Out:** one line of figures (executions, time, corpus
//! size, coverage, crashes, hangs), every failing input copied to `fuzz/crashes/<target>/`, and exit code 1
//! when there was any (0 when none, 2 when the fuzzer could not run).
//!
//! ```text
//! cargo afl build --release -p shannon-fuzz --features afl --target-dir target/afl
//! target/afl/release/shannon-fuzz arpa --seconds 600       # fuzz (runs `cargo afl fuzz` on itself)
//! target/afl/release/shannon-fuzz arpa --replay fuzz/crashes/arpa   # rerun saved inputs, any build
//! cargo run -p shannon-fuzz -- seeds fuzz/seeds               # write the generated seeds again
//! ```
//!
//! A failure is a panic (the target's own checks included), an abort (a failed allocation: the target runs
//! under a memory limit, `--memory`, so a reader that allocates what a header claims fails here), or a hang.

mod seeds;
mod targets;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use clap::Parser;

/// The system allocator with a limit on the bytes held at once (none until [`LIMIT`] is set): past it an
/// allocation fails, which `try_reserve` reports and anything else turns into an abort, that AFL++ records
/// as a crash. A reader that reserves what a header claims fails here, whatever the machine's memory.
/// (AFL++'s own `-m`, an address-space limit, stops the instrumented binary from starting at all.)
struct Limited;

/// Bytes an input may hold at once.
static LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);
/// Bytes held now.
static HELD: AtomicUsize = AtomicUsize::new(0);

impl Limited {
    /// Counts `size` more bytes held, unless that passes the limit.
    fn take(size: usize) -> bool {
        let before = HELD.fetch_add(size, Relaxed);
        if before.saturating_add(size) > LIMIT.load(Relaxed) {
            HELD.fetch_sub(size, Relaxed);
            return false;
        }
        true
    }
}

#[allow(unsafe_code)]
// SAFETY: every call is forwarded unchanged to `System`, with the caller's guarantees; a refused request
// returns null, which the `GlobalAlloc` contract allows.
unsafe impl GlobalAlloc for Limited {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !Limited::take(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            HELD.fetch_sub(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !Limited::take(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            HELD.fetch_sub(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size > old && !Limited::take(new_size - old) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        match (p.is_null(), new_size > old) {
            (true, true) => HELD.fetch_sub(new_size - old, Relaxed),
            (false, false) => HELD.fetch_sub(old - new_size, Relaxed),
            _ => 0,
        };
        p
    }
}

#[global_allocator]
static ALLOCATOR: Limited = Limited;

#[derive(Parser)]
#[command(name = "shannon-fuzz", about = "Fuzz shannon's readers for a bounded time (AFL++), or replay inputs")]
struct Args {
    /// A target (arpa, binary, index, tokens, decompress, plan, render), or `seeds` to write the generated seeds.
    target: String,
    /// For `seeds`: where to write them (default: this package's seeds/).
    dir: Option<PathBuf>,
    /// How long to fuzz.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// The seed corpus (default: this package's seeds/<target>/).
    #[arg(long)]
    seeds: Option<PathBuf>,
    /// AFL++'s working directory (default: target/fuzz/<target>); emptied first.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Where failing inputs are copied (default: this package's crashes/<target>/).
    #[arg(long)]
    crashes: Option<PathBuf>,
    /// Memory an input may use, in MiB (an allocation beyond it fails: an abort, counted as a crash).
    #[arg(long, default_value_t = 1024)]
    memory: u64,
    /// Run these files (or every file in these directories) through the target instead of fuzzing.
    #[arg(long, num_args = 1..)]
    replay: Vec<PathBuf>,
    /// Internal: the process AFL++ runs (persistent mode, inputs from AFL++).
    #[arg(long, hide = true)]
    afl_worker: bool,
}

fn package_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.target == "seeds" {
        let dir = args.dir.clone().unwrap_or_else(|| package_dir().join("seeds"));
        return match seeds::write(&dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!("cannot write seeds under {}: {e}", dir.display())),
        };
    }
    let Some(target) = targets::by_name(&args.target) else {
        let names: Vec<&str> = targets::TARGETS.iter().map(|t| t.0).collect();
        return fail(&format!("unknown target '{}'; expected one of {} or seeds", args.target, names.join(", ")));
    };
    if args.afl_worker {
        LIMIT.store(usize::try_from(args.memory << 20).unwrap_or(usize::MAX), Relaxed);
        return worker(target);
    }
    if !args.replay.is_empty() {
        return replay(&args.target, target, &args.replay);
    }
    fuzz(&args)
}

fn fail(message: &str) -> ExitCode {
    eprintln!("shannon-fuzz: {message}");
    ExitCode::from(2)
}

#[cfg(feature = "afl")]
fn worker(target: fn(&[u8])) -> ExitCode {
    afl::fuzz!(|data: &[u8]| target(data));
    ExitCode::SUCCESS
}

#[cfg(not(feature = "afl"))]
fn worker(_: fn(&[u8])) -> ExitCode {
    fail("built without AFL++; build with `cargo afl build --release -p shannon-fuzz --features afl`")
}

/// Every file named, directories expanded (one level, AFL++'s README.txt left out), sorted.
fn inputs(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            for e in std::fs::read_dir(p)? {
                let e = e?.path();
                if e.is_file() && e.file_name().is_some_and(|n| n != "README.txt") {
                    out.push(e);
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    Ok(out)
}

fn replay(name: &str, target: fn(&[u8]), paths: &[PathBuf]) -> ExitCode {
    let files = match inputs(paths) {
        Ok(f) => f,
        Err(e) => return fail(&format!("cannot list inputs: {e}")),
    };
    let mut failed = 0;
    for f in &files {
        let data = match std::fs::read(f) {
            Ok(d) => d,
            Err(e) => return fail(&format!("cannot read {}: {e}", f.display())),
        };
        if std::panic::catch_unwind(|| target(&data)).is_err() {
            eprintln!("FAILED {name} {}", f.display());
            failed += 1;
        }
    }
    println!("{name}: replayed {} inputs, {failed} failed", files.len());
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `key : value` lines of AFL++'s `fuzzer_stats`.
fn stats(path: &Path) -> Option<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect(),
    )
}

fn fuzz(args: &Args) -> ExitCode {
    if !cfg!(feature = "afl") {
        return worker(|_| ());
    }
    let name = args.target.as_str();
    let seeds = args.seeds.clone().unwrap_or_else(|| package_dir().join("seeds").join(name));
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("target/fuzz").join(name));
    let crashes = args.crashes.clone().unwrap_or_else(|| package_dir().join("crashes").join(name));
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return fail(&format!("cannot find this executable: {e}")),
    };
    if out.exists() {
        if let Err(e) = std::fs::remove_dir_all(&out) {
            return fail(&format!("cannot empty {}: {e}", out.display()));
        }
    }
    if let Err(e) = std::fs::create_dir_all(&out) {
        return fail(&format!("cannot create {}: {e}", out.display()));
    }
    let log = out.join("afl.log");
    let Ok(log_file) = std::fs::File::create(&log) else {
        return fail(&format!("cannot create {}", log.display()));
    };
    let Ok(log_err) = log_file.try_clone() else { return fail("cannot duplicate a file handle") };
    let mut afl = Command::new("cargo");
    // The AFL++ runtime linked into this (uninstrumented-run) process turns its own instrumentation off
    // through the environment; the fuzzed copy must not inherit that.
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(|k| k == "AFL_DISABLE_LLVM_INSTRUMENTATION" || k.starts_with("__AFL")) {
            afl.env_remove(key);
        }
    }
    let status = afl
        .args(["afl", "fuzz", "-i"])
        .arg(&seeds)
        .arg("-o")
        .arg(&out)
        .args(["-V", &args.seconds.to_string(), "-t", "10000", "-m", "none", "--"])
        .arg(&exe)
        .args([name, "--afl-worker", "--memory", &args.memory.to_string()])
        // A container: no CPU frequency governor to read, cores possibly shared, no core-dump helper.
        .env("AFL_SKIP_CPUFREQ", "1")
        .env("AFL_NO_AFFINITY", "1")
        .env("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "1")
        .env("AFL_NO_UI", "1")
        .env("AFL_FAST_CAL", "1")
        .stdout(log_file)
        .stderr(log_err)
        .status();
    let log_tail = || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    };
    let status = match status {
        Ok(s) => s,
        Err(e) => return fail(&format!("cannot run `cargo afl fuzz` (install it: cargo install cargo-afl): {e}")),
    };
    let Some(stats) = stats(&out.join("default/fuzzer_stats")) else {
        return fail(&format!(
            "afl-fuzz stopped before fuzzing ({status}); its log {} ends:\n{}",
            log.display(),
            log_tail()
        ));
    };
    let get = |k: &str| stats.iter().find(|(key, _)| key == k).map_or("?", |(_, v)| v.as_str()).to_string();
    let mut failures = Vec::new();
    for kind in ["crashes", "hangs"] {
        let found = inputs(&[out.join("default").join(kind)]).unwrap_or_default();
        if !found.is_empty() {
            let _ = std::fs::create_dir_all(&crashes);
        }
        for f in found {
            let to = crashes
                .join(format!("{kind}-{}", f.file_name().unwrap_or_default().to_string_lossy().replace(':', "_")));
            let _ = std::fs::copy(&f, &to);
            failures.push(to);
        }
    }
    println!(
        "{name}: {} executions in {} s ({}/s), corpus {}, coverage {}, stability {}, crashes {}, hangs {}",
        get("execs_done"),
        get("run_time"),
        get("execs_per_sec"),
        get("corpus_count"),
        get("bitmap_cvg"),
        get("stability"),
        get("saved_crashes"),
        get("saved_hangs"),
    );
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            eprintln!("FAILED {name}: {} (replay: shannon-fuzz {name} --replay {})", f.display(), f.display());
        }
        ExitCode::FAILURE
    }
}
