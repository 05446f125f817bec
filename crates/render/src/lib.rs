//! HTML pages of reports: what `shannon render REPORT.json` writes.
//!
//! **In:** a typed report from `shannon-report` — a [`CompareReport`] ([`render_compare`]), an
//! [`EntropyReport`] ([`render_entropy`]), a [`ScoreReport`] ([`render_score`]) or a [`CodeReport`]
//! ([`render_code`]) — or the bytes of a
//! report file, whose `schema` field says which ([`render_html`]).
//! **Out:** one self-contained HTML page — inline CSS and inline SVG charts, no scripts, no fonts, images or
//! styles fetched from anywhere — that reads the same offline, in a mail attachment or from a CI artifact.
//!
//! What each kind of report becomes:
//! - `shannon.compare/1`: held-out perplexity (log scale), cross-entropy (bits per token) and bits per
//!   character against model order, one line per smoothing method, with the source's exact entropy rate as
//!   a reference line when the corpus was generated; then every model in a table.
//! - `shannon.entropy/1`: Shannon's F_N against N for every estimator, with the guessing-game bounds, the
//!   model cross-entropies and Shannon's 1951 values; the rank–frequency plot (log–log) with the fitted
//!   Zipf–Mandelbrot law and Shannon's p_n = 0.1/n; the tables behind them.
//! - `shannon.score/1`: the figures in a table (one model on one text has nothing to plot).
//! - `shannon.code/1`: the code length beside the compressors, published figures and entropy rates, one
//!   table of bits per symbol with a bar each, shortest first; then the facts.
//!
//! Invariants:
//! - **Escaped by construction.** Markup is written only through [`html::Html`]: literal markup from
//!   `&'static str`, every value escaped (`& < > " '`) unless it is a fragment that was escaped when it was
//!   built. Whatever a report's strings hold, they reach the page as text.
//! - **Never panics on a report.** Anything that is not a report it can render is an [`Error`] with a
//!   one-line message; no string is sliced by byte index.
//! - **Deterministic.** The same report gives the same page, byte for byte.
//! - **Readable.** A band's or a rule's label sits inside the plot where no series, mark, rule or border
//!   crosses it, else in the legend; every line has a check box (unticked, the line is hidden) and a legend
//!   entry (hovered, the line is brought forward), both CSS only.

mod code;
mod compare;
mod entropy;
mod html;
mod page;
mod score;
mod svg;

use serde::Deserialize;
use shannon_report::code::{CodeReport, CODE_SCHEMA};
use shannon_report::entropy::{EntropyReport, ENTROPY_SCHEMA};
use shannon_report::{CompareReport, ScoreReport, COMPARE_SCHEMA, SCORE_SCHEMA};

/// Why a report cannot be rendered. Every message is one line (control characters escaped, a report's own
/// text clipped) and names what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file given as a report is not JSON.
    #[error("not JSON: {}", one_line(.error))]
    NotJson {
        /// What the parser said (with line and column).
        error: serde_json::Error,
    },
    /// JSON that is not a shannon report.
    #[error("not a shannon report: {reason} (shannon reports have \"schema\": \"shannon.compare/1\" and the like)")]
    NotAReport {
        /// Why not.
        reason: String,
    },
    /// A shannon report of a kind this version cannot render.
    #[error("cannot render a {} report (this version renders {})", clip(.schema), RENDERED_SCHEMAS.join(", "))]
    UnknownSchema {
        /// Its schema tag.
        schema: String,
    },
    /// A report whose schema tag is known but whose fields do not match it.
    #[error("not a valid {schema} report: {}", one_line(.error))]
    Malformed {
        /// Its schema tag (one of [`RENDERED_SCHEMAS`]).
        schema: &'static str,
        /// What the parser said (with line and column).
        error: serde_json::Error,
    },
}

/// The schema tags [`render_html`] knows.
pub const RENDERED_SCHEMAS: [&str; 4] = [COMPARE_SCHEMA, ENTROPY_SCHEMA, SCORE_SCHEMA, CODE_SCHEMA];

/// Renders a report (the bytes of a report file) as an HTML page: reads its `schema` field, parses the
/// bytes as that kind of report and renders it. `source` names the file in the page's footer.
pub fn render_html(json: &[u8], source: &str) -> Result<String, Error> {
    let value: serde_json::Value = serde_json::from_slice(json).map_err(|error| Error::NotJson { error })?;
    let schema = match &value {
        serde_json::Value::Object(fields) => match fields.get("schema") {
            Some(serde_json::Value::String(s)) if s.starts_with("shannon.") => s.as_str(),
            Some(serde_json::Value::String(s)) => {
                let reason = format!("its schema is '{}', not a shannon.* schema", clip(s));
                return Err(Error::NotAReport { reason });
            }
            Some(_) => return Err(Error::NotAReport { reason: "its \"schema\" field is not a string".into() }),
            None => return Err(Error::NotAReport { reason: "it has no \"schema\" field".into() }),
        },
        _ => return Err(Error::NotAReport { reason: "it is not a JSON object".into() }),
    };
    fn parse<T: for<'de> Deserialize<'de>>(json: &[u8], schema: &'static str) -> Result<T, Error> {
        serde_json::from_slice(json).map_err(|error| Error::Malformed { schema, error })
    }
    let page = match schema {
        COMPARE_SCHEMA => compare::page(&parse(json, COMPARE_SCHEMA)?),
        ENTROPY_SCHEMA => entropy::page(&parse(json, ENTROPY_SCHEMA)?),
        SCORE_SCHEMA => score::page(&parse(json, SCORE_SCHEMA)?),
        CODE_SCHEMA => code::page(&parse(json, CODE_SCHEMA)?),
        other => return Err(Error::UnknownSchema { schema: other.to_string() }),
    };
    Ok(page.finish(source))
}

/// The page of a `shannon compare` report; `source` names it in the footer.
pub fn render_compare(report: &CompareReport, source: &str) -> String {
    compare::page(report).finish(source)
}

/// The page of a `shannon entropy` report; `source` names it in the footer.
pub fn render_entropy(report: &EntropyReport, source: &str) -> String {
    entropy::page(report).finish(source)
}

/// The page of a `shannon score` report; `source` names it in the footer.
pub fn render_score(report: &ScoreReport, source: &str) -> String {
    score::page(report).finish(source)
}

/// The page of a `shannon code` report; `source` names it in the footer.
pub fn render_code(report: &CodeReport, source: &str) -> String {
    code::page(report).finish(source)
}

/// `s` fit for a one-line message: control characters such as line breaks escaped.
fn one_line(s: impl std::fmt::Display) -> String {
    s.to_string().chars().flat_map(|c| c.escape_debug().collect::<Vec<_>>()).collect()
}

/// A report's own text for a one-line message: its first 60 characters (cut at a character, never inside
/// one), [`one_line`].
fn clip(s: &str) -> String {
    let mut out = one_line(s.chars().take(60).collect::<String>());
    if s.chars().nth(60).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_report_is_said_plainly() {
        let e = |b: &[u8]| render_html(b, "x.json").unwrap_err().to_string();
        assert!(e(b"{ not json").starts_with("not JSON: "), "{}", e(b"{ not json"));
        assert!(e(br#"{"name": "x"}"#).contains("no \"schema\" field"));
        assert!(e(br#"{"schema": 7}"#).contains("\"schema\" field is not a string"));
        assert!(e(br#"[1, 2]"#).contains("not a JSON object"));
        assert!(e(br#"{"schema": "https://json-schema.org/draft/2020-12/schema"}"#).contains("not a shannon.* schema"));
        assert!(e(br#"{"schema": "shannon.nothing/9"}"#).contains("shannon.nothing/9"));
        let m = e(br#"{"schema": "shannon.compare/1", "tool": {}}"#);
        assert!(m.contains("shannon.compare/1") && m.contains("missing field"), "{m}");
    }

    #[test]
    fn messages_are_one_line_and_clipped_at_characters() {
        let e = render_html("{\"schema\": \"shannon.a\\nb\"}".as_bytes(), "x").unwrap_err().to_string();
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(e.contains("shannon.a\\nb"), "{e}");
        let long = format!("{{\"schema\": \"shannon.{}\"}}", "é".repeat(100));
        let e = render_html(long.as_bytes(), "x").unwrap_err().to_string();
        assert!(e.contains(&format!("shannon.{}…", "é".repeat(52))), "{e}");
        // The parser's message is not clipped: it ends with where the report went wrong.
        let kind =
            br#"{"schema": "shannon.score/1", "tokenizer": {"kind": "a very long name of no tokenizer at all"}}"#;
        let e = render_html(kind, "x").unwrap_err().to_string();
        assert!(e.contains("unknown variant") && e.contains("line 1 column"), "{e}");
    }
}
