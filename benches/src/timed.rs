//! Running a program under GNU time (`/usr/bin/time`): its wall seconds, peak resident memory and output,
//! for the benches that compare whole processes (shannon's binary, KenLM's tools).

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// What one run took and said.
pub struct Timed {
    /// Wall-clock seconds.
    pub wall: f64,
    /// Peak resident set size in bytes (GNU time's `%M`).
    pub rss: u64,
    /// Its standard output (not every bench reads it).
    #[allow(dead_code)]
    pub stdout: String,
    /// Its standard error, GNU time's line removed.
    pub stderr: String,
}

/// Runs `program args` (standard input from `stdin` when given) under GNU time; fails naming `what`, with
/// the program's last line of error.
pub fn timed(
    program: &Path,
    args: impl IntoIterator<Item = OsString>,
    stdin: Option<&Path>,
    what: &str,
) -> Result<Timed> {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "BENCH %e %M"]).arg(program).args(args);
    if let Some(p) = stdin {
        cmd.stdin(std::fs::File::open(p).with_context(|| p.display().to_string())?);
    }
    let output = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("running /usr/bin/time {} (is GNU time installed?)", program.display()))?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let own = || stderr.lines().filter(|l| !l.starts_with("BENCH ") && !l.starts_with("Command exited with"));
    if !output.status.success() {
        bail!("{what} failed: {}", own().next_back().unwrap_or(""));
    }
    let line = stderr.lines().find_map(|l| l.strip_prefix("BENCH ")).context("no timing from /usr/bin/time")?;
    let mut f = line.split_whitespace();
    let wall = f.next().context("wall")?.parse()?;
    let rss = f.next().context("rss")?.parse::<u64>()? * 1024;
    Ok(Timed {
        wall,
        rss,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: own().collect::<Vec<_>>().join("\n"),
    })
}
