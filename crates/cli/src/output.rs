//! Where results go: a report's default path, and the check, before any work, that an output can be
//! written at all (so that a long job never fails at its last step).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Where a report goes: `output` if given, else `reports/<stem>.json` (creating `reports/`).
pub fn report_path(output: Option<&Path>, stem: &str) -> Result<PathBuf> {
    match output {
        Some(p) => Ok(p.to_path_buf()),
        None => {
            std::fs::create_dir_all("reports").context("cannot create directory reports")?;
            Ok(PathBuf::from(format!("reports/{stem}.json")))
        }
    }
}

/// Checks, before any work, that a file can be created at `path`: its directory must exist and be
/// writable, and `path` must not be a directory.
pub fn check(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if path.is_dir() {
        bail!("cannot write {}: it is a directory (give a file name)", path.display());
    }
    if !dir.is_dir() {
        if dir.exists() {
            bail!("cannot write {}: {} is not a directory", path.display(), dir.display());
        }
        bail!("cannot write {}: directory {} does not exist", path.display(), dir.display());
    }
    let probe = tempfile::Builder::new().prefix(".shannon-probe-").tempfile_in(dir);
    probe.with_context(|| format!("cannot write {}: directory {} is not writable", path.display(), dir.display()))?;
    Ok(())
}

/// Says on stderr when `path` held a report made with other settings (`before`) than the one replacing it
/// (`now`): the page rendered from the old one, or a comparison with it, no longer matches.
pub fn say_if_replacing(path: &Path, before: Option<String>, now: &str, progress: &crate::progress::Terminal) {
    if let Some(before) = before.filter(|b| b != now) {
        progress
            .info(&format!("warning: replacing {}, made with other settings ({before}; now {now})", path.display()));
    }
}
