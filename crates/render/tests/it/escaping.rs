//! Escaped by construction: whatever a report's strings hold, the page shows them as text. Every string
//! of a real report is replaced by arbitrary text — any Unicode, markup, quotes, entities — and the page
//! must come out (or the report be refused with a one-line error), with none of that text left raw.

use proptest::prelude::*;
use serde_json::Value;

use crate::{golden, GOLDEN};

/// One step of the way from a report's root to one of its strings.
#[derive(Debug, Clone)]
enum Step {
    Field(String),
    Index(usize),
}

/// The path of every string in `v`.
fn strings(v: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::String(_) => out.push(at.clone()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(Step::Index(i));
                strings(item, at, out);
                at.pop();
            }
        }
        Value::Object(fields) => {
            for (k, item) in fields {
                at.push(Step::Field(k.clone()));
                strings(item, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn set(v: &mut Value, path: &[Step], text: String) {
    let mut v = v;
    for step in path {
        v = match step {
            Step::Field(k) => &mut v[k.as_str()],
            Step::Index(i) => &mut v[*i],
        };
    }
    *v = Value::String(text);
}

/// Marks injected text: a private-use character that no page holds otherwise, so finding an injected
/// string in the page cannot be a coincidence with the page's own markup.
const MARK: char = '\u{E000}';

/// `text` as HTML shows it, escaped independently of the crate under test.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// Strings a report field might be made to hold, each starting with [`MARK`] (and holding no other).
fn hostile() -> impl Strategy<Value = String> {
    let payloads = prop::sample::select(vec![
        "<script>alert(1)</script>",
        "\"><script>alert('x')</script>",
        "' onmouseover='alert(1)",
        "</code></td></tr></table><script>",
        "</title></svg><img src=x>",
        "&amp; &lt; &#39; &",
        "aéééééé",
        "é",
        "",
    ]);
    prop_oneof![
        any::<String>(),
        payloads.clone().prop_map(str::to_string),
        (any::<String>(), payloads, any::<String>()).prop_map(|(a, p, b)| format!("{a}{p}{b}")),
    ]
    .prop_map(|s| format!("{MARK}{}", s.replace(MARK, "")))
}

/// A golden report, and which of its strings may hold any text (free) and which may not (a schema tag,
/// an enum such as the tokenizer's kind): replacing a free string still gives a report that renders.
fn report(name: &str) -> (Value, Vec<Vec<Step>>, Vec<Vec<Step>>) {
    let value = golden(name);
    let mut paths = Vec::new();
    strings(&value, &mut Vec::new(), &mut paths);
    let (free, fixed) = paths.into_iter().partition(|path| {
        let mut v = value.clone();
        set(&mut v, path, format!("{MARK}<b>"));
        shannon_render::render_html(&serde_json::to_vec(&v).unwrap(), name).is_ok()
    });
    (value, free, fixed)
}

/// Replaces every free string of `name` with `texts[i]` (and fixed strings where `break_fixed` says so),
/// renders it, and checks the page.
fn check(name: &str, texts: &[String], break_fixed: &[bool]) -> Result<(), TestCaseError> {
    let (mut value, free, fixed) = report(name);
    let mut injected = Vec::new();
    for (path, text) in free.iter().zip(texts.iter().cycle()) {
        set(&mut value, path, text.clone());
        injected.push(text.clone());
    }
    for ((path, text), _) in fixed.iter().zip(texts.iter().rev().cycle()).zip(break_fixed).filter(|(_, b)| **b) {
        set(&mut value, path, text.clone());
        injected.push(text.clone());
    }
    let source = texts.first().cloned().unwrap_or_default();
    match shannon_render::render_html(&serde_json::to_vec(&value).unwrap(), &source) {
        Ok(page) => {
            prop_assert!(!page.contains("<script"), "{name}: a script got into the page");
            prop_assert!(!page.contains("<img"), "{name}: an image got into the page");
            injected.push(source);
            // Every marked text in the page is one injected string, escaped (or its first 12 characters,
            // escaped, for a sha256): nothing of it was written as markup.
            for (at, _) in page.match_indices(MARK) {
                let shown = &page[at..];
                let ok = injected.iter().any(|text| {
                    let start: String = text.chars().take(12).collect();
                    shown.starts_with(&escape(text)) || shown.starts_with(&escape(&start))
                });
                let context: String = shown.chars().take(80).collect();
                prop_assert!(ok, "{name}: injected text shown unescaped: {context:?}");
            }
        }
        Err(e) => {
            let message = e.to_string();
            prop_assert!(!break_fixed.iter().all(|b| !b), "{name}: only free strings changed, yet: {message}");
            prop_assert!(!message.contains('\n'), "{name}: a message of more than one line: {message}");
        }
    }
    Ok(())
}

fn texts() -> impl Strategy<Value = (Vec<String>, Vec<bool>)> {
    (prop::collection::vec(hostile(), 1..24), prop::collection::vec(prop::bool::weighted(0.05), 16))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn compare_pages_show_any_text_as_text((texts, broken) in texts()) {
        check("compare-paper1.json", &texts, &broken)?;
    }

    #[test]
    fn entropy_pages_show_any_text_as_text((texts, broken) in texts()) {
        check("entropy-paper1.json", &texts, &broken)?;
    }

    #[test]
    fn score_pages_show_any_text_as_text((texts, broken) in texts()) {
        check("score-paper1.json", &texts, &broken)?;
    }

    #[test]
    fn code_pages_show_any_text_as_text((texts, broken) in texts()) {
        check("code-alice29.json", &texts, &broken)?;
    }
}

#[test]
fn every_golden_report_has_free_strings_and_refuses_broken_ones() {
    for name in GOLDEN {
        let (value, free, fixed) = report(name);
        assert!(free.len() >= 5, "{name}: only {} free strings", free.len());
        // The fixed strings (schema tag, enums) do make the report unrenderable, with a one-line error.
        for path in &fixed {
            let mut v = value.clone();
            set(&mut v, path, format!("{MARK}<b>\n"));
            let e = shannon_render::render_html(&serde_json::to_vec(&v).unwrap(), name).unwrap_err().to_string();
            assert_eq!(e.lines().count(), 1, "{name}: {e}");
        }
    }
}

/// Regression: a sha256 field holding non-ASCII text made rendering panic, slicing the string 12 bytes in.
#[test]
fn a_non_ascii_sha256_renders() {
    for name in GOLDEN {
        let mut v = golden(name);
        let mut paths = Vec::new();
        strings(&v, &mut Vec::new(), &mut paths);
        let sha: Vec<_> = paths.iter().filter(|p| matches!(p.last(), Some(Step::Field(k)) if k == "sha256")).collect();
        assert!(!sha.is_empty(), "{name}: no sha256 field");
        for path in sha {
            set(&mut v, path, "aéééééé<>".into());
        }
        let page = shannon_render::render_html(&serde_json::to_vec(&v).unwrap(), name).unwrap();
        assert!(page.contains(r#"title="aéééééé&lt;&gt;">aéééééé&lt;&gt;…</code>"#), "{name}");
    }
}
