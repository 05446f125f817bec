//! Paths to remove if the process is interrupted: spill directories and half-written outputs.
//!
//! Destructors remove them on success and on error; an interruption (Ctrl-C, SIGTERM, SIGHUP) ends the
//! process without running destructors, so `main` installs a handler that calls [`remove_all`] and exits.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static PATHS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A registered path; dropping it unregisters it (removing the path stays its owner's job).
#[derive(Debug)]
pub struct Registered(PathBuf);

/// Registers `path` (a file or a directory) for removal on interruption.
pub fn register(path: &Path) -> Registered {
    PATHS.lock().unwrap_or_else(|e| e.into_inner()).push(path.to_path_buf());
    Registered(path.to_path_buf())
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut paths = PATHS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = paths.iter().rposition(|p| *p == self.0) {
            paths.remove(i);
        }
    }
}

/// Removes every registered path (best effort). Called from the interruption handler.
pub fn remove_all() {
    let paths = PATHS.lock().unwrap_or_else(|e| e.into_inner());
    for p in paths.iter() {
        if p.is_dir() {
            let _ = std::fs::remove_dir_all(p);
        } else {
            let _ = std::fs::remove_file(p);
        }
    }
}
