//! The frame every page shares — head, style, header, footer — and the small pieces the pages are made
//! of: tables of facts, chart figures, numbers as tables print them.

use shannon_report::Input;
use shannon_tokens::Tokenizer;

use crate::html::{markup, put, Html};
use crate::svg::{Chart, MAX_SERIES};

/// A page under construction.
pub(crate) struct Page {
    title: String,
    subtitle: Html,
    body: Html,
    tool_version: String,
    schema: String,
}

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 40px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d1d1f; background: #f6f6f4; }
header h1 { margin: 0 0 2px; font-size: 22px; font-weight: 650; }
header p { margin: 0 0 16px; color: #555; }
h2 { font-size: 16px; margin: 28px 0 10px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; }
figure { margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { color: #555; font-size: 12.5px; padding: 4px 6px 2px; }
table { border-collapse: collapse; background: #fff; border: 1px solid #ddd; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { background: #f0f0ec; font-weight: 600; }
table.num td { text-align: right; font-variant-numeric: tabular-nums; }
table.num td.text { text-align: left; }
tr.best td { background: #eef6ee; font-weight: 600; }
tr.unsupported td { color: #888; }
span.se { color: #888; font-size: 11.5px; }
table.facts th { width: 14em; background: #fafaf8; }
code { font: 12.5px ui-monospace, "DejaVu Sans Mono", monospace; }
ul.warnings { margin: 0; padding-left: 18px; color: #8a4b00; }
footer { margin-top: 32px; color: #777; font-size: 12px; }
.toggles { font-size: 12px; color: #555; padding: 2px 6px; }
.toggles label { white-space: nowrap; margin-right: 6px; cursor: pointer; }
.pick { cursor: pointer; }
figure:has(.pick:hover) :is(path.series, g.marks) { opacity: 0.15; }
"#;

/// Per series `i` (the `data-i` of its line, marks, legend entry and check box): hovering its legend
/// entry or check box brings its line forward and thickens it, and unticking the box hides it. CSS only:
/// the page runs no script.
fn series_style(h: &mut Html) {
    for i in 0..MAX_SERIES {
        put!(
            h,
            "figure:has(.pick[data-i=\"{0}\"]:hover) :is(path.series, g.marks)[data-i=\"{0}\"] {{ opacity: 1; stroke-width: 3.5; }}\n\
             figure:has(input[data-i=\"{0}\"]:not(:checked)) :is(path.series, g.marks)[data-i=\"{0}\"] {{ display: none; }}\n\
             figure:has(input[data-i=\"{0}\"]:not(:checked)) g.entry[data-i=\"{0}\"] {{ opacity: 0.35; }}\n",
            i
        );
    }
}

impl Page {
    /// A page titled `title` (text) over `subtitle`, for a report of `schema` written by `tool_version`.
    pub(crate) fn new(title: String, subtitle: Html, schema: &str, tool_version: &str) -> Page {
        Page { title, subtitle, body: Html::new(), tool_version: tool_version.into(), schema: schema.into() }
    }

    /// A section heading.
    pub(crate) fn h2(&mut self, text: &str) {
        self.body.raw("<h2>").text(text).raw("</h2>");
    }

    /// A table of (label, value) rows.
    pub(crate) fn facts(&mut self, rows: &[(&str, Html)]) {
        self.body.raw(r#"<table class="facts">"#);
        for (k, v) in rows {
            put!(self.body, "<tr><th>{}</th><td>{}</td></tr>", k, v);
        }
        self.body.raw("</table>");
    }

    /// Charts side by side, each with its check boxes (hide a line, hover to emphasise it) and caption.
    pub(crate) fn charts(&mut self, charts: &[(Chart, Html)]) {
        self.body.raw(r#"<section class="charts">"#);
        for (chart, caption) in charts {
            put!(
                self.body,
                "<figure>{}{}<figcaption>{}</figcaption></figure>",
                chart.to_svg(),
                chart.controls(),
                caption
            );
        }
        self.body.raw("</section>");
    }

    /// Any other markup: a table.
    pub(crate) fn push(&mut self, fragment: &Html) {
        self.body.append(fragment);
    }

    /// The whole page; `source` names the report in the footer.
    pub(crate) fn finish(self, source: &str) -> String {
        let mut h = Html::new();
        put!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>",
            self.title
        );
        h.raw(STYLE);
        series_style(&mut h);
        put!(
            h,
            "</style>\n</head>\n<body>\n\
             <header><h1>{}</h1><p>{}</p></header>\n{}\n\
             <footer>Rendered by shannon {} from <code>{}</code> ({}, written by shannon {}).</footer>\n\
             </body>\n</html>\n",
            self.title,
            self.subtitle,
            self.body,
            env!("CARGO_PKG_VERSION"),
            source,
            self.schema,
            self.tool_version,
        );
        h.into_string()
    }
}

/// Fragments joined by `separator` (markup such as `<br>`).
pub(crate) fn join(items: impl IntoIterator<Item = Html>, separator: &'static str) -> Html {
    let mut out = Html::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.raw(separator);
        }
        out.append(&item);
    }
    out
}

/// Warnings as a list.
pub(crate) fn warnings(warnings: &[String]) -> Html {
    let mut items = Html::new();
    for w in warnings {
        put!(items, "<li>{}</li>", w);
    }
    markup!("<ul class=\"warnings\">{}</ul>", items)
}

/// A number for a table cell: `∞` for `None`.
pub(crate) fn num(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.digits$}"),
        Some(_) | None => "∞".into(),
    }
}

/// An integer with thin-space thousands separators.
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut groups = Vec::new();
    let mut rest = digits.as_str();
    while rest.len() > 3 {
        // ASCII digits: every byte index is a character boundary.
        let (head, tail) = rest.split_at(rest.len() - 3);
        groups.push(tail);
        rest = head;
    }
    groups.push(rest);
    groups.reverse();
    groups.join("\u{2009}")
}

/// Input files: path, size and the start of the sha256 (the whole of it on hover).
pub(crate) fn inputs(inputs: &[Input]) -> Html {
    if inputs.is_empty() {
        return markup!("—");
    }
    join(
        inputs.iter().map(|i| {
            // The first 12 characters, not bytes: the field is hex when shannon wrote it, but a report is
            // any JSON.
            let short: String = i.sha256.chars().take(12).collect();
            markup!(
                "<code>{}</code> · {} bytes · sha256 <code title=\"{}\">{}…</code>",
                i.path,
                count(i.bytes),
                i.sha256,
                short
            )
        }),
        "<br>",
    )
}

/// How text became tokens.
pub(crate) fn tokenizer(t: &Tokenizer) -> Html {
    let sentences = serde_json::to_value(t.sentences).ok().and_then(|v| v.as_str().map(str::to_string));
    markup!(
        "<code>{}</code>{}, sentences: {}{}",
        t.kind.name(),
        if t.lowercase { ", lower-cased" } else { "" },
        sentences.unwrap_or_default(),
        if t.skip_symbols { ", <s>, </s> and <unk> read as whitespace" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1234567), "1\u{2009}234\u{2009}567");
    }

    #[test]
    fn a_sha256_of_any_text_is_cut_at_a_character() {
        let input =
            Input { path: "<a>".into(), bytes: 1, sha256: "aéééééééééééééé".into(), documents: None };
        let html = inputs(&[input]).into_string();
        assert!(html.contains("aééééééééééé…"), "{html}");
        assert!(html.contains("<code>&lt;a&gt;</code>"), "{html}");
    }
}
