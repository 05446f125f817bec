//! Progress on stderr: bars only when stderr is a terminal and `--quiet` was not given; informational
//! lines unless `--quiet`; per-stage timings with `-v`. Results never go to stderr.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

/// What to show on stderr.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    bars: bool,
    info: bool,
    verbose: bool,
}

impl Progress {
    /// `enabled` is false with `--quiet`; `verbose` with `-v`.
    pub fn new(enabled: bool, verbose: bool) -> Progress {
        Progress { bars: enabled && std::io::stderr().is_terminal(), info: enabled, verbose: verbose && enabled }
    }

    /// Nothing at all (tests, benches).
    pub fn silent() -> Progress {
        Progress { bars: false, info: false, verbose: false }
    }

    /// A bar over `bytes` bytes, with throughput and ETA.
    pub fn bytes(&self, bytes: u64, message: &str) -> ProgressBar {
        if !self.bars {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(bytes).with_message(message.to_string());
        bar.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar
    }

    /// A bar over `n` steps.
    pub fn steps(&self, n: u64, message: &str) -> ProgressBar {
        if !self.bars {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(n).with_message(message.to_string());
        bar.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} ETA {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar
    }

    /// A spinner for a stage of unknown length.
    pub fn spinner(&self, message: &str) -> ProgressBar {
        if !self.bars {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new_spinner().with_message(message.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    }

    /// An informational line.
    pub fn info(&self, message: &str) {
        if self.info {
            eprintln!("{message}");
        }
    }

    /// Prints a detail with `-v` only (sizes a benchmark reads; not worth a line otherwise).
    pub fn verbose(&self, message: &str) {
        if self.verbose {
            eprintln!("{message}");
        }
    }

    /// Runs `f` as a stage, printing its time with `-v`.
    pub fn stage<T>(&self, name: &str, f: impl FnOnce() -> T) -> (T, f64) {
        let start = Instant::now();
        let out = f();
        let secs = start.elapsed().as_secs_f64();
        if self.verbose {
            eprintln!("{name}: {secs:.3} s");
        }
        (out, secs)
    }
}
