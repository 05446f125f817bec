//! The page of a `shannon.code/1` report: the code length beside the compressors run on the same bytes,
//! the published figures for the same file and the entropy-rate extrapolations, as one table of bits per
//! symbol with a bar for each (shortest first), then the facts behind it.

use shannon_report::code::CodeReport;

use crate::html::{markup, put, Html};
use crate::page::{count, inputs, warnings, Page};

pub(crate) fn page(r: &CodeReport) -> Page {
    let first = r.inputs.first().map(|i| i.path.as_str()).unwrap_or("");
    let subtitle = markup!(
        "Prequential code length with model <code>{}</code>, symbols = <code>{}</code>: coded by an arithmetic coder, decoded back{}.",
        r.model.name,
        r.tokens,
        if r.roundtrip { " and checked byte for byte" } else { " (not checked)" }
    );
    let mut page = Page::new(format!("shannon code · {first}"), subtitle, &r.schema, &r.tool.version);
    page.h2("Code length beside compressors and entropy-rate estimates");
    page.push(&beside(r));
    page.h2("Details");
    page.facts(&facts(r));
    if !r.warnings.is_empty() {
        page.push(&warnings(&r.warnings));
    }
    page
}

/// One row of the comparison: label, what it is, bits per symbol, bytes if any.
struct Row {
    label: String,
    kind: &'static str,
    note: String,
    bpc: f64,
    bytes: Option<u64>,
}

fn beside(r: &CodeReport) -> Html {
    let mut rows = vec![Row {
        label: format!("shannon code --model {}", r.model.name),
        kind: "this run",
        note: "arithmetic code, round trip checked".into(),
        bpc: r.bits_per_char,
        bytes: Some(r.code_bytes),
    }];
    for c in &r.compressors {
        rows.push(Row {
            label: format!("{} {}", c.name, c.setting),
            kind: "same run",
            note: c.library.clone(),
            bpc: c.bits_per_char,
            bytes: Some(c.bytes),
        });
    }
    for p in &r.published {
        rows.push(Row {
            label: p.compressor.clone(),
            kind: "published",
            note: p.source.clone(),
            bpc: p.bits_per_char,
            bytes: p.bytes,
        });
    }
    for e in &r.entropy_rates {
        rows.push(Row {
            label: e.what.clone(),
            kind: if e.same_text { "entropy rate" } else { "entropy rate, other text or symbols" },
            note: format!("{} (bits per {})", e.report, e.tokens),
            bpc: e.bits_per_symbol,
            bytes: None,
        });
    }
    rows.sort_by(|a, b| a.bpc.total_cmp(&b.bpc));
    let max = rows.iter().map(|r| r.bpc).filter(|x| x.is_finite()).fold(0.0f64, f64::max);
    let mut body = Html::new();
    for row in &rows {
        let width = if max > 0.0 && row.bpc.is_finite() { (100.0 * row.bpc / max).clamp(0.0, 100.0) } else { 0.0 };
        let bytes = row.bytes.map(count).unwrap_or_else(|| "—".into());
        let strong = row.kind == "this run";
        put!(
            body,
            "<tr><td class=\"text\">{}{}{}</td><td class=\"text\">{}</td><td>{:.4}</td><td style=\"white-space: nowrap\">{}</td>\
             <td class=\"text\" style=\"width: 16em\"><span style=\"display: inline-block; height: 0.8em; width: {:.1}%; background: {}\"></span></td>\
             <td class=\"text\">{}</td></tr>",
            if strong { markup!("<strong>") } else { Html::new() },
            row.label,
            if strong { markup!("</strong>") } else { Html::new() },
            row.kind,
            row.bpc,
            bytes,
            width,
            if strong { "#c0392b" } else { "#7f8c8d" },
            row.note
        );
    }
    markup!(
        "<table class=\"num\"><tr><th>coder</th><th>figure</th><th>bits per symbol</th><th>bytes</th><th></th><th>source</th></tr>{}</table>",
        body
    )
}

fn facts(r: &CodeReport) -> Vec<(&'static str, Html)> {
    let overhead = r.bits as f64 - r.ideal_bits;
    vec![
        ("text", inputs(&r.inputs)),
        (
            "symbols",
            markup!(
                "<code>{}</code>: {} symbols, {} bytes coded (of {} bytes of input)",
                r.tokens,
                count(r.text.symbols),
                count(r.text.coded_bytes),
                count(r.text.bytes)
            ),
        ),
        ("model", markup!("<code>{}</code>: {}; {} bytes of tables", r.model.name, r.model.description, count(r.model.memory_bytes))),
        (
            "code length",
            markup!(
                "<strong>{}</strong> bytes = {} bits = <strong>{:.4}</strong> bits per symbol (the .code file adds a {}-byte header)",
                count(r.code_bytes),
                count(r.bits),
                r.bits_per_char,
                r.header_bytes
            ),
        ),
        ("ideal code length", markup!("{:.1} bits under the same model; the coder's overhead is {:.1} bits", r.ideal_bits, overhead)),
        ("round trip", markup!("{}", if r.roundtrip { "decoded to the same bytes" } else { "not checked" })),
        (
            "time",
            markup!(
                "coding {:.2} s, decoding {:.2} s, compressors {:.2} s (this machine)",
                r.timings.encode_seconds,
                r.timings.decode_seconds,
                r.timings.compress_seconds
            ),
        ),
    ]
}
