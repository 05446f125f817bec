//! `shannon code`: arguments into a [`shannon_jobs::code::CodeConfig`], the report to a file, a table on
//! stdout; `--decode` turns a `.code` file back into its text.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;

use shannon_jobs::code::{self, CodeConfig, ModelKind, Symbols};

use crate::progress::Terminal;
use crate::{checked, output, print, tables, Outcome};

#[derive(Args)]
pub struct CodeArgs {
    /// The text: files or directories, coded as one text in the order given.
    #[arg(value_name = "FILE", required_unless_present = "decode")]
    text: Vec<PathBuf>,
    /// What a symbol is: bytes (the file's bytes), chars (Unicode characters; coded as UTF-8 bytes, bits
    /// divided by characters) or letters (Shannon's 27: a-z and space).
    #[arg(long = "tokens", value_name = "KIND", default_value = "bytes", value_parser = parse_symbols)]
    symbols: Symbols,
    /// The adaptive model: cm (context mixing), or order0 … order8 (one adaptive context, a baseline).
    #[arg(long, value_name = "MODEL", default_value = "cm", value_parser = parse_model)]
    model: ModelKind,
    /// Skip running xz -9e, bzip2 -9 and zstd --ultra -22 on the same bytes.
    #[arg(long)]
    no_compressors: bool,
    /// A shannon.entropy/1 report whose entropy-rate extrapolations go beside the code length (repeatable).
    #[arg(long, value_name = "R.json")]
    entropy_report: Vec<PathBuf>,
    /// Also write the code itself (a .code file: 49-byte header, then the arithmetic code).
    #[arg(long, value_name = "X.code", conflicts_with = "decode")]
    write: Option<PathBuf>,
    /// Decode this .code file instead (its SHA-256 is checked) and write the text to --output.
    #[arg(long, value_name = "X.code", conflicts_with_all = ["text", "entropy_report", "no_compressors"])]
    decode: Option<PathBuf>,
    /// Report path (default: reports/code-<text>[-<tokens>][-<model>].json); with --decode, the text's path.
    #[arg(long, short, value_name = "PATH")]
    output: Option<PathBuf>,
}

fn parse_symbols(s: &str) -> Result<Symbols, String> {
    Symbols::from_name(s).ok_or_else(|| format!("'{s}' is not one of bytes, chars, letters"))
}

fn parse_model(s: &str) -> Result<ModelKind, String> {
    ModelKind::from_name(s).ok_or_else(|| format!("'{s}' is not a model ({})", code::MODELS))
}

pub fn run(a: CodeArgs, progress: &Terminal) -> Result<Outcome> {
    if let Some(file) = &a.decode {
        let Some(to) = &a.output else { bail!("--decode needs --output (where the text goes)") };
        output::check(to)?;
        let n = code::decode_file(file, to, progress)?;
        progress.info(&format!("decoded {} bytes into {} (SHA-256 checked)", n, to.display()));
        return Ok(Outcome::Done);
    }
    let mut config = CodeConfig::new(a.text);
    config.symbols = a.symbols;
    config.model = a.model;
    config.compressors = !a.no_compressors;
    config.entropy_reports = a.entropy_report;
    config.write = a.write;
    checked(config.validate())?;
    let report_path = output::report_path(a.output.as_deref(), &config.report_stem())?;
    output::check(&report_path)?;
    if let Some(w) = &config.write {
        output::check(w)?;
    }
    let report = code::run(&config, progress)?;
    shannon_report::write_atomic(&report_path, &shannon_report::to_json(&report))?;
    print(tables::code(&report).as_bytes())?;
    if let Some(w) = &config.write {
        progress.info(&format!("code written to {}", w.display()));
    }
    progress.info(&format!("report written to {}", report_path.display()));
    Ok(Outcome::Done)
}
