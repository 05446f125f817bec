//! Documents: corpora as they ship — JSON Lines with the text in a field (Wikipedia dumps, C4, Dolma,
//! FineWeb, The Pile) — read as records of (id, text), and as text for every stage after this one.
//!
//! **In:** a source's (decompressed) bytes and [`Options`]: the format (`text` or `jsonl`, or recognised by
//! content), the text field (a dotted path for nested objects), the id field, and whether bad records are
//! skipped. **Out:** [`Record`]s in input order, each with its id, its text and the bytes of the record as
//! stored (what `shannon filter` writes back unchanged); or ([`to_text`]) the documents' texts as one plain
//! text, each ended by a line end, which every command that reads text then reads as it reads a plain file —
//! so a `.jsonl` holding the same texts as a plain file gives the same tokens, models and figures.
//!
//! Rules:
//! - A JSON Lines record is one line; lines holding only whitespace are not records (a trailing blank line
//!   is common). Line numbers count every line of the (decompressed) file from 1.
//! - A record that is not JSON, is not an object, lacks the text field or holds a non-string there is a
//!   [`BadRecord`] naming the line and the problem; with [`Options::skip_bad_records`] it is counted and
//!   skipped instead.
//! - In `text` format every line is a document (its id the line number), its text the line with its line
//!   end: what `score --per-document` and `filter` take as a document of a plain file.
//! - JSON Lines are recognised by content when the first non-blank line is a JSON object — text whose first
//!   line is a whole JSON object is rare enough; `--input-format text` says otherwise.

use std::borrow::Cow;
use std::ops::Range;

use rayon::prelude::*;
use serde_json::Value;

/// How a file holds its documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain text: for commands that read text, the text itself; for per-document work, one document per line.
    Text,
    /// JSON Lines: one JSON object per line, the text in a field.
    Jsonl,
    /// Parquet: one row per document, the text in a string column.
    Parquet,
}

impl Format {
    /// The name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
        }
    }

    /// Parses a name; `None` for an unknown one.
    pub fn from_name(name: &str) -> Option<Format> {
        [Format::Text, Format::Jsonl, Format::Parquet].into_iter().find(|f| f.name() == name)
    }
}

/// The text field's name when none is given.
pub const DEFAULT_TEXT_FIELD: &str = "text";

/// How documents are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The format; `None`: recognised by content ([`detect`]).
    pub format: Option<Format>,
    /// The field holding a record's text; dots separate the keys of nested objects (`meta.body`).
    pub text_field: String,
    /// The field holding a record's id (dotted like the text field); `None`: records are numbered by line.
    pub id_field: Option<String>,
    /// Count and skip records that cannot be read instead of stopping at the first.
    pub skip_bad_records: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { format: None, text_field: DEFAULT_TEXT_FIELD.into(), id_field: None, skip_bad_records: false }
    }
}

/// A record that cannot be read: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    /// Line number in the (decompressed) file, from 1 (for Parquet, the row within its group).
    pub line: u64,
    /// For Parquet, the row group (from 1; 0: the file as a whole).
    pub row_group: Option<usize>,
    /// What is wrong, in words: `not JSON (expected value at column 1)`, `no field "text"`.
    pub problem: String,
}

/// One document: its id, its text and the record's bytes as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<'a> {
    /// Line number in the (decompressed) file, from 1.
    pub line: u64,
    /// The id field's value (a string as it is, any other JSON value as JSON); `None` without an id field or
    /// where the record lacks it.
    pub id: Option<String>,
    /// The document's text.
    pub text: Cow<'a, str>,
    /// The record's line, its line end included (where the file has one).
    pub raw: Range<usize>,
}

/// Recognises a format from a file's (decompressed) bytes: Parquet by its magic bytes at both ends, JSON
/// Lines when the first non-blank line is a JSON object, text otherwise.
pub fn detect(bytes: &[u8]) -> Format {
    if crate::parquet::is_parquet(bytes) {
        return Format::Parquet;
    }
    let mut rest = bytes;
    while !rest.is_empty() {
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let line = rest[..end].trim_ascii();
        rest = &rest[end..];
        if line.is_empty() {
            continue;
        }
        return match line.first() {
            Some(b'{') if matches!(serde_json::from_slice::<Value>(line), Ok(Value::Object(_))) => Format::Jsonl,
            _ => Format::Text,
        };
    }
    Format::Text
}

/// The format of `bytes` under `options`: the one given, or the one recognised.
pub fn format_of(bytes: &[u8], options: &Options) -> Format {
    options.format.unwrap_or_else(|| detect(bytes))
}

/// Follows a dotted path into a JSON object.
fn field<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    if let Some(v) = value.get(path) {
        // A key that itself holds dots wins over the nested reading.
        return Some(v);
    }
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// What a JSON value is, for messages: `a number`, `null`.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads one line of a file in `format`: `Ok(None)` for a blank JSON Lines line.
fn read_line<'a>(
    format: Format,
    bytes: &'a [u8],
    raw: Range<usize>,
    line: u64,
    options: &Options,
    lossy: bool,
) -> Result<Option<Record<'a>>, BadRecord> {
    let body = &bytes[raw.clone()];
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    let bad = |problem: String| BadRecord { line, row_group: None, problem };
    match format {
        Format::Parquet => Err(bad("a Parquet file is read by rows, not by lines".into())),
        Format::Text => {
            // The whole line, its line end included: the document is the line as it stands in the file.
            let line_bytes = &bytes[raw.clone()];
            let text = match std::str::from_utf8(line_bytes) {
                Ok(t) => Cow::Borrowed(t),
                Err(_) if lossy => String::from_utf8_lossy(line_bytes),
                Err(e) => return Err(bad(format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()))),
            };
            Ok(Some(Record { line, id: None, text, raw }))
        }
        Format::Jsonl => {
            if body.trim_ascii().is_empty() {
                return Ok(None);
            }
            let value: Value = match serde_json::from_slice(body) {
                Ok(v) => v,
                // serde_json rejects invalid UTF-8 in strings; with lossy, replace and try again.
                Err(_) if lossy && std::str::from_utf8(body).is_err() => {
                    serde_json::from_str(&String::from_utf8_lossy(body)).map_err(|e| bad(format!("not JSON ({e})")))?
                }
                Err(e) => return Err(bad(format!("not JSON ({e})"))),
            };
            if !value.is_object() {
                return Err(bad(format!("not a JSON object but {}", kind(&value))));
            }
            let text = match field(&value, &options.text_field) {
                Some(Value::String(s)) => s.clone(),
                Some(other) => {
                    return Err(bad(format!("field \"{}\" holds {}, not a string", options.text_field, kind(other))))
                }
                None => return Err(bad(format!("no field \"{}\"", options.text_field))),
            };
            let id = options.id_field.as_deref().and_then(|f| field(&value, f)).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            Ok(Some(Record { line, id, text: Cow::Owned(text), raw }))
        }
    }
}

/// The documents of one span of whole lines, `bytes[start..end]`, whose first line is line `first_line`;
/// with `skip_bad_records` the bad ones are counted (and the first kept) instead of ending the read.
#[derive(Debug, Default)]
pub struct Batch<'a> {
    /// The records, in order.
    pub records: Vec<Record<'a>>,
    /// Bad records skipped.
    pub skipped: u64,
    /// The first bad record met (skipped, or the error when not skipping).
    pub first_bad: Option<BadRecord>,
}

/// Reads the records of the whole lines in `bytes[range]`, the first of which is line `first_line`.
pub fn read_span<'a>(
    format: Format,
    bytes: &'a [u8],
    range: Range<usize>,
    first_line: u64,
    options: &Options,
    lossy: bool,
) -> Result<Batch<'a>, BadRecord> {
    let mut batch = Batch::default();
    let mut start = range.start;
    let mut line = first_line;
    while start < range.end {
        let end = memchr::memchr(b'\n', &bytes[start..range.end]).map_or(range.end, |i| start + i + 1);
        match read_line(format, bytes, start..end, line, options, lossy) {
            Ok(Some(r)) => batch.records.push(r),
            Ok(None) => {}
            Err(bad) if options.skip_bad_records => {
                batch.skipped += 1;
                batch.first_bad.get_or_insert(bad);
            }
            Err(bad) => return Err(bad),
        }
        start = end;
        line += 1;
    }
    Ok(batch)
}

/// Line-aligned pieces of `bytes` of about `target` bytes, with the line number each starts at.
pub fn pieces(bytes: &[u8], target: usize) -> Vec<(Range<usize>, u64)> {
    let mut out = Vec::new();
    let (mut start, mut line) = (0usize, 1u64);
    while start < bytes.len() {
        let want = start.saturating_add(target.max(1)).min(bytes.len());
        let end = if want >= bytes.len() {
            bytes.len()
        } else {
            memchr::memchr(b'\n', &bytes[want - 1..]).map_or(bytes.len(), |i| want + i)
        };
        out.push((start..end, line));
        line += memchr::memchr_iter(b'\n', &bytes[start..end]).count() as u64;
        start = end;
    }
    out
}

/// A file's documents as one plain text, and what was read.
#[derive(Debug)]
pub struct Text {
    /// Every document's text in order, each followed by a `\n` unless it ends with one.
    pub text: Vec<u8>,
    /// Documents read.
    pub records: u64,
    /// Bad records skipped.
    pub skipped: u64,
    /// The first bad record skipped.
    pub first_bad: Option<BadRecord>,
}

impl BadRecord {
    /// Where it is, in words: `line 7`, `row group 2, row 17`, or nothing for a whole Parquet file.
    pub fn place(&self) -> String {
        match self.row_group {
            None => format!("line {}", self.line),
            Some(0) => String::new(),
            Some(g) => format!("row group {g}, row {}", self.line),
        }
    }
}

impl From<crate::parquet::BadRow> for BadRecord {
    fn from(b: crate::parquet::BadRow) -> BadRecord {
        BadRecord { line: b.row, row_group: Some(b.row_group), problem: b.problem }
    }
}

/// The documents of a Parquet file as one plain text, as [`to_text`] makes of JSON Lines.
pub fn parquet_to_text(bytes: &[u8], options: &Options) -> Result<Text, BadRecord> {
    let rows = crate::parquet::read(bytes, options)?;
    let mut text = Vec::new();
    for r in &rows.records {
        text.extend_from_slice(r.text.as_bytes());
        if !r.text.ends_with('\n') {
            text.push(b'\n');
        }
    }
    Ok(Text {
        text,
        records: rows.records.len() as u64,
        skipped: rows.skipped,
        first_bad: rows.first_bad.map(Into::into),
    })
}

/// The documents of a JSON Lines file as one plain text (see the module doc), read in parallel pieces and
/// joined in order; the first bad record in file order is the error unless skipped.
pub fn to_text(bytes: &[u8], options: &Options, lossy: bool) -> Result<Text, BadRecord> {
    let parts: Vec<Result<Text, BadRecord>> = pieces(bytes, 1 << 20)
        .into_par_iter()
        .map(|(range, line)| {
            let batch = read_span(Format::Jsonl, bytes, range.clone(), line, options, lossy)?;
            let mut text = Vec::with_capacity(range.len());
            for r in &batch.records {
                text.extend_from_slice(r.text.as_bytes());
                if !r.text.ends_with('\n') {
                    text.push(b'\n');
                }
            }
            Ok(Text { text, records: batch.records.len() as u64, skipped: batch.skipped, first_bad: batch.first_bad })
        })
        .collect();
    let mut out = Text { text: Vec::new(), records: 0, skipped: 0, first_bad: None };
    for part in parts {
        let part = part?;
        out.text.extend_from_slice(&part.text);
        out.records += part.records;
        out.skipped += part.skipped;
        if out.first_bad.is_none() {
            out.first_bad = part.first_bad;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Options {
        Options::default()
    }

    #[test]
    fn json_lines_are_recognised_by_their_first_record() {
        assert_eq!(detect(b"\n  \n{\"text\": \"a\"}\n"), Format::Jsonl);
        assert_eq!(detect(b"{not json}\n"), Format::Text);
        assert_eq!(detect(b"[1, 2]\n"), Format::Text);
        assert_eq!(detect(b"It was the best of times.\n"), Format::Text);
        assert_eq!(detect(b""), Format::Text);
    }

    #[test]
    fn texts_are_joined_one_document_a_line_end() {
        let jsonl = b"{\"text\": \"a b\"}\n\n{\"text\": \"c\\nd\\n\", \"id\": 7}\r\n{\"text\": \"\"}";
        let t = to_text(jsonl, &opts(), false).unwrap();
        assert_eq!(t.text, b"a b\nc\nd\n\n");
        assert_eq!((t.records, t.skipped), (3, 0));
    }

    #[test]
    fn nested_fields_and_ids_are_read_by_dotted_paths() {
        let jsonl = b"{\"meta\": {\"id\": 3, \"body\": {\"text\": \"x\"}}}\n{\"a.b\": \"dotted key\", \"meta\": {\"id\": \"s\"}}\n";
        let o = Options { text_field: "meta.body.text".into(), id_field: Some("meta.id".into()), ..opts() };
        let b = read_span(Format::Jsonl, jsonl, 0..jsonl.len(), 1, &Options { skip_bad_records: true, ..o }, false)
            .unwrap();
        assert_eq!(b.records.len(), 1);
        assert_eq!((b.records[0].id.as_deref(), b.records[0].text.as_ref()), (Some("3"), "x"));
        assert_eq!(
            b.first_bad,
            Some(BadRecord { line: 2, row_group: None, problem: "no field \"meta.body.text\"".into() })
        );
        let o = Options { text_field: "a.b".into(), ..opts() };
        let b = read_span(Format::Jsonl, jsonl, 0..jsonl.len(), 1, &o, false).unwrap_err();
        assert_eq!(b.line, 1);
    }

    #[test]
    fn bad_records_name_their_line_and_problem_or_are_counted() {
        let cases: [(&[u8], &str); 4] = [
            (b"{\"text\": \"ok\"}\n{\"text\": 5}\n", "field \"text\" holds a number, not a string"),
            (b"{\"text\": \"ok\"}\n{\"body\": \"x\"}\n", "no field \"text\""),
            (b"{\"text\": \"ok\"}\n[\"x\"]\n", "not a JSON object but an array"),
            (b"{\"text\": \"ok\"}\n{\"text\": \"x\"\n", "not JSON (EOF while parsing an object at line 1 column 12)"),
        ];
        for (bytes, problem) in cases {
            let e = to_text(bytes, &opts(), false).unwrap_err();
            assert_eq!(e, BadRecord { line: 2, row_group: None, problem: problem.into() });
            let t = to_text(bytes, &Options { skip_bad_records: true, ..opts() }, false).unwrap();
            assert_eq!((t.text.as_slice(), t.records, t.skipped), (&b"ok\n"[..], 1, 1));
        }
    }

    #[test]
    fn pieces_cover_the_bytes_at_line_ends_with_their_line_numbers() {
        let bytes = b"a\nbb\nccc\ndddd\ne";
        let p = pieces(bytes, 3);
        assert_eq!(p, vec![(0..5, 1), (5..9, 3), (9..14, 4), (14..15, 5)]);
        let text = b"one\r\ntwo\n";
        let b = read_span(Format::Text, text, 0..text.len(), 1, &opts(), false).unwrap();
        let texts: Vec<_> = b.records.iter().map(|r| (r.line, r.text.as_ref(), r.raw.clone())).collect();
        assert_eq!(texts, vec![(1, "one\r\n", 0..5), (2, "two\n", 5..9)]);
    }
}
