//! shannon's errors as Python exceptions, with the command line's one-line messages: a missing file is
//! `FileNotFoundError`, a setting out of range `ValueError` (said as the flag: `--order must be …`, as the
//! binary says it), a stopped job `KeyboardInterrupt`, anything else `shannon.Error`.

use pyo3::exceptions::{PyException, PyFileNotFoundError, PyKeyboardInterrupt, PyValueError};
use pyo3::PyErr;

pyo3::create_exception!(
    shannon,
    Error,
    PyException,
    "A shannon job or model file failed: unreadable or malformed input, a corpus too small for the \
     settings, a file that cannot be written. The message is the command line's."
);

/// The message as the binary prints it: the error, then each cause after `: ` (anyhow's `{:#}`).
pub fn message(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !text.ends_with(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        cause = c.source();
    }
    text
}

/// Whether a missing file is among the causes of `e`.
fn not_found(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) {
            return true;
        }
        cause = c.source();
    }
    false
}

/// A job's error as the Python exception that fits it.
pub fn to_py(e: shannon_jobs::Error) -> PyErr {
    match &e {
        shannon_jobs::Error::Config(c) => PyValueError::new_err(c.as_flag()),
        shannon_jobs::Error::Cancelled => PyKeyboardInterrupt::new_err("cancelled"),
        _ if not_found(&e) => PyFileNotFoundError::new_err(message(&e)),
        _ => Error::new_err(message(&e)),
    }
}

/// A setting given wrongly from Python, said as the flag it stands for: `--tokens …`.
pub fn value(setting: &str, problem: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("--{} {problem}", setting.replace('_', "-")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_follow_the_error_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory (os error 2)");
        let e = shannon_jobs::Error::io("cannot read a.txt", io).context("reading the corpus");
        assert_eq!(message(&e), "reading the corpus: cannot read a.txt: No such file or directory (os error 2)");
        assert!(not_found(&e));
    }
}
