//! Progress on stderr: bars only when stderr is a terminal and `--quiet` was not given; messages unless
//! `--quiet`; per-stage timings and details with `-v`. Results never go to stderr.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use shannon_jobs::{Progress, Unit};

/// What to show on stderr, and the bar of the stage running now.
#[derive(Debug)]
pub struct Terminal {
    bars: bool,
    info: bool,
    verbose: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Terminal {
    /// `enabled` is false with `--quiet`; `verbose` with `-v`.
    pub fn new(enabled: bool, verbose: bool) -> Terminal {
        Terminal {
            bars: enabled && std::io::stderr().is_terminal(),
            info: enabled,
            verbose: verbose && enabled,
            bar: Mutex::new(None),
        }
    }

    /// An informational line of the binary's own ("report written to …").
    pub fn info(&self, message: &str) {
        self.message(message);
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
        // A bar is only drawing state: a panic elsewhere leaves nothing to protect.
        self.bar.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn style(template: &str) -> ProgressStyle {
    // The templates are constants of this file; a bad one would show on the first run of any test.
    ProgressStyle::with_template(template).expect("valid template").progress_chars("=> ")
}

impl Progress for Terminal {
    fn begin(&self, stage: &str, total: Option<u64>, unit: Unit) {
        if !self.bars {
            return;
        }
        let bar = match (total, unit) {
            (Some(n), Unit::Bytes) => ProgressBar::new(n)
                .with_style(style("{msg:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}")),
            (Some(n), Unit::Steps) => {
                ProgressBar::new(n).with_style(style("{msg:>12} [{bar:30}] {pos}/{len} ETA {eta}"))
            }
            (None, _) => {
                let bar = ProgressBar::new_spinner();
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                bar
            }
        };
        bar.set_message(stage.to_string());
        if let Some(old) = self.current().replace(bar) {
            old.finish_and_clear();
        }
    }

    fn advance(&self, amount: u64) {
        if let Some(bar) = self.current().as_ref() {
            bar.inc(amount);
        }
    }

    fn end(&self, stage: &str, seconds: f64) {
        if let Some(bar) = self.current().take() {
            bar.finish_and_clear();
        }
        if self.verbose {
            eprintln!("{stage}: {seconds:.3} s");
        }
    }

    fn message(&self, text: &str) {
        if !self.info {
            return;
        }
        match self.current().as_ref() {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    fn detail(&self, text: &str) {
        if self.verbose {
            eprintln!("{text}");
        }
    }
}
