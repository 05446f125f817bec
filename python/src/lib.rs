//! The Python package `shannon`: shannon's jobs as functions that return their reports as dicts, and a
//! model API that answers as KenLM's `kenlm.Model` does.
//!
//! **In:** Python arguments named as the command line's flags (`-` → `_`). **Out:** the reports' JSON
//! shapes as `dict`s, scores as floats and numpy arrays, errors as Python exceptions carrying the command
//! line's one-line messages. Glue only: every figure comes from `shannon_jobs`, `shannon_eval` and
//! `shannon_model`.
//!
//! Long work runs with the GIL released on a thread of its own, while the calling thread wakes every
//! 50 ms to let Python handle signals: Ctrl-C asks the job to stop ([`shannon_jobs::Progress::cancelled`])
//! and raises `KeyboardInterrupt` once it has (jobs put no output file in place after a stop).

// PyO3's `#[pymodule]`, `#[pyclass]` and `#[pymethods]` expand to `extern "C"` entry points and raw
// CPython calls, which are `unsafe`; this crate writes no unsafe code of its own.
#![allow(unsafe_code)]

mod errors;
mod jobs;
mod model;
mod run;

use pyo3::prelude::*;

pub use errors::Error;

/// The module `shannon`.
#[pymodule]
#[pyo3(name = "shannon")]
fn shannon_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("Error", m.py().get_type::<Error>())?;
    m.add_class::<model::Model>()?;
    m.add_function(wrap_pyfunction!(jobs::compare, m)?)?;
    m.add_function(wrap_pyfunction!(jobs::build, m)?)?;
    m.add_function(wrap_pyfunction!(jobs::score, m)?)?;
    m.add_function(wrap_pyfunction!(jobs::entropy, m)?)?;
    m.add_function(wrap_pyfunction!(jobs::kl, m)?)?;
    Ok(())
}
