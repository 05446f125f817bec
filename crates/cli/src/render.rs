//! `shannon render`: a report file becomes one self-contained HTML page (inline CSS and SVG, no network);
//! the page itself is made by `shannon_render`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::output;

/// Where the page goes: a file (written atomically) or standard output (`-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A file.
    File(PathBuf),
    /// Standard output.
    Stdout,
}

/// Chooses the destination: `--output` as given (`-` is standard output), or else the report's path with
/// the extension `.html`.
pub fn destination(report: &Path, output: Option<&Path>) -> Result<Destination> {
    match output {
        Some(p) if p == Path::new("-") => Ok(Destination::Stdout),
        Some(p) => Ok(Destination::File(p.to_path_buf())),
        None if report == Path::new("-") => {
            bail!("--output is needed when the report comes from standard input (use --output - for standard output)")
        }
        None => Ok(Destination::File(report.with_extension("html"))),
    }
}

/// Renders the report at `report` (`-`: standard input) to `to`. Nothing is written unless the page is
/// complete.
pub fn run(report: &Path, to: &Destination) -> Result<()> {
    if let Destination::File(out) = to {
        if out == report {
            bail!("--output {}: the page would overwrite the report it is made from", out.display());
        }
        output::check(out)?;
    }
    let name = if report == Path::new("-") { "<stdin>".to_string() } else { report.display().to_string() };
    let mut bytes = Vec::new();
    let read = if report == Path::new("-") {
        std::io::stdin().lock().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(report).map(|b| bytes = b)
    };
    read.with_context(|| format!("cannot read report {name}"))?;
    let html = shannon_render::render_html(&bytes, &name).with_context(|| name.clone())?;
    match to {
        Destination::File(out) => shannon_report::write_atomic(out, html.as_bytes())?,
        Destination::Stdout => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(html.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(())
}
