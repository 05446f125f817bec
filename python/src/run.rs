//! Running long work with the GIL released: on a thread of its own (in a rayon pool of `threads` workers
//! when asked), while the calling thread waits in short slices and lets Python handle signals between
//! them. Ctrl-C sets the job's cancel flag; the thread waits for the job to stop (at its next stage
//! boundary, between models, or before it would put an output file in place) and raises
//! `KeyboardInterrupt`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use shannon_jobs::{Progress, Unit};

use crate::errors;

/// How often the waiting thread takes the GIL back to check for signals.
const SLICE: Duration = Duration::from_millis(50);

/// A job's progress as the Python caller asked for it: stage lines on stderr only with `progress=True`;
/// messages (warnings, the choices a job made) kept to be said after it — on stderr unless `quiet`.
pub struct PyProgress {
    show: bool,
    cancel: AtomicBool,
    messages: Mutex<Vec<String>>,
}

impl PyProgress {
    fn new(show: bool) -> PyProgress {
        PyProgress { show, cancel: AtomicBool::new(false), messages: Mutex::new(Vec::new()) }
    }
}

impl Progress for PyProgress {
    fn begin(&self, stage: &str, _total: Option<u64>, _unit: Unit) {
        if self.show {
            eprintln!("shannon: {stage} …");
        }
    }

    fn end(&self, stage: &str, seconds: f64) {
        if self.show {
            eprintln!("shannon: {stage} done in {seconds:.2} s");
        }
    }

    fn message(&self, text: &str) {
        self.messages.lock().unwrap_or_else(|e| e.into_inner()).push(text.to_string());
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// How a job is run: `threads` workers (`None`: rayon's global pool, all cores), stage lines on stderr
/// (`progress`), messages silenced (`quiet`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub threads: Option<usize>,
    pub progress: bool,
    pub quiet: bool,
}

/// Runs `job` with the GIL released, on a thread of its own in a pool of `options.threads` workers;
/// Ctrl-C stops it (see the module doc). Its messages go to stderr afterwards unless `quiet`.
pub fn run<T: Send>(
    py: Python<'_>,
    options: Options,
    job: impl FnOnce(&dyn Progress) -> shannon_jobs::Result<T> + Send,
) -> PyResult<T> {
    let pool = pool(options.threads)?;
    let progress = PyProgress::new(options.progress);
    let outcome = interruptible(py, &progress.cancel, || match &pool {
        Some(pool) => pool.install(|| job(&progress)),
        None => job(&progress),
    })?;
    if !options.quiet {
        for m in progress.messages.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            eprintln!("shannon: {m}");
        }
    }
    outcome.map_err(errors::to_py)
}

/// A pool of `threads` workers, or `None` for the global pool.
pub fn pool(threads: Option<usize>) -> PyResult<Option<rayon::ThreadPool>> {
    match threads {
        None => Ok(None),
        Some(0) => Err(errors::value("threads", "must be at least 1")),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map(Some)
            .map_err(|e| errors::Error::new_err(format!("cannot start worker threads: {e}"))),
    }
}

/// Runs `work` on a thread of its own with the GIL released, checking for signals every [`SLICE`]. On a
/// signal whose handler raises (Ctrl-C: `KeyboardInterrupt`), sets `cancel`, waits for `work` to return
/// and raises that exception. A panic in `work` becomes `shannon.Error`.
pub fn interruptible<T: Send>(py: Python<'_>, cancel: &AtomicBool, work: impl FnOnce() -> T + Send) -> PyResult<T> {
    let (tx, rx) = mpsc::channel();
    // The receiver is used from this thread only, but inside `detach`, which asks for `Send` closures.
    let rx = Mutex::new(rx);
    let recv = |timeout: Option<Duration>| {
        let rx = rx.lock().unwrap_or_else(|e| e.into_inner());
        match timeout {
            Some(t) => rx.recv_timeout(t),
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        }
    };
    std::thread::scope(|s| {
        s.spawn(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = tx.send(out);
        });
        let finished = |out: std::thread::Result<T>| {
            out.map_err(|p| {
                let what = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                errors::Error::new_err(format!("internal error (please report): {what}"))
            })
        };
        loop {
            match py.detach(|| recv(Some(SLICE))) {
                Ok(out) => return finished(out),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Err(signal) = py.check_signals() {
                        cancel.store(true, Ordering::SeqCst);
                        // The work stops at its next check; its result (an error, or output already
                        // complete) gives way to the signal's exception.
                        let _ = py.detach(|| recv(None));
                        return Err(signal);
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(errors::Error::new_err("internal error (please report): a job thread vanished"))
                }
            }
        }
    })
}
