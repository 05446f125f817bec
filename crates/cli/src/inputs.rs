//! Input paths as users give them: positional paths, `--files-from LIST`, and `-` for standard input.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The paths given as arguments followed by those listed in `list` (`--files-from`; see
/// `shannon_corpus::read_file_list` for the format).
pub fn with_list(mut paths: Vec<PathBuf>, list: Option<&Path>) -> Result<Vec<PathBuf>> {
    if let Some(list) = list {
        let listed = shannon_corpus::read_file_list(list).context("--files-from")?;
        paths.extend(listed);
    }
    Ok(paths)
}

/// Fails unless standard input is used at most once across all inputs of a command: as `-` among the
/// paths, or as the list of `--files-from -`.
pub fn stdin_at_most_once(groups: &[&[PathBuf]], list: Option<&Path>) -> Result<()> {
    let dash = Path::new("-");
    let uses =
        groups.iter().flat_map(|g| g.iter()).filter(|p| p.as_path() == dash).count() + usize::from(list == Some(dash));
    if uses > 1 {
        bail!("- (standard input) is used {uses} times; it can be read only once");
    }
    Ok(())
}
