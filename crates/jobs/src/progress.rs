//! How a running job tells its caller what it is doing, without printing: stages with their size and
//! progress, messages (warnings and the choices the job made, which the report records too) and details
//! (sizes a benchmark reads). The binary draws bars on a terminal; tests, batch jobs and the Python
//! package pass [`Silent`].

use std::time::Instant;

/// What a stage's total counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes of text read.
    Bytes,
    /// Steps (models estimated, orders played, jobs run).
    Steps,
}

/// Receives a job's progress. Every method has an empty default, so an implementation picks what it
/// shows. Methods may be called from any thread of the job's pool.
pub trait Progress: Sync {
    /// A stage begins; `total` is its size in `unit`s when known (`None`: a stage of unknown length).
    fn begin(&self, _stage: &str, _total: Option<u64>, _unit: Unit) {}
    /// `amount` more units of the current stage are done.
    fn advance(&self, _amount: u64) {}
    /// The current stage ended after `seconds`.
    fn end(&self, _stage: &str, _seconds: f64) {}
    /// A message for the user: a warning, a fallback taken, a job finished in a batch.
    fn message(&self, _text: &str) {}
    /// A detail worth a line only when asked for (`-v`).
    fn detail(&self, _text: &str) {}
    /// Whether the caller wants the job stopped (the Python package's Ctrl-C, which cannot end the process as
    /// the binary does). Asked at every stage boundary, between models, and before an output file is put in
    /// place; a job that sees `true` stops with [`crate::Error::Cancelled`] and leaves no output.
    fn cancelled(&self) -> bool {
        false
    }
}

/// [`crate::Error::Cancelled`] if `progress` says the job is to stop.
pub(crate) fn checkpoint(progress: &dyn Progress) -> crate::Result<()> {
    match progress.cancelled() {
        true => Err(crate::Error::Cancelled),
        false => Ok(()),
    }
}

/// Shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// Runs `f` as a stage named `name` of `total` `unit`s; returns its value and its seconds, or
/// [`crate::Error::Cancelled`] when the caller asked for a stop before it began. (Not after it ended: a
/// stage may have put an output file in place, and a job that wrote its output has not been stopped.)
pub(crate) fn stage<T>(
    progress: &dyn Progress,
    name: &str,
    total: Option<u64>,
    unit: Unit,
    f: impl FnOnce() -> T,
) -> crate::Result<(T, f64)> {
    checkpoint(progress)?;
    progress.begin(name, total, unit);
    let start = Instant::now();
    let out = f();
    let seconds = start.elapsed().as_secs_f64();
    progress.end(name, seconds);
    Ok((out, seconds))
}
