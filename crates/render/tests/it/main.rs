//! shannon-render's integration tests: pages of real reports (the shannon binary's golden reports), and
//! what a hostile report can and cannot do to a page.

mod escaping;
mod reader;

use std::path::PathBuf;

/// A golden report of the shannon binary (`crates/cli/tests/golden/NAME`), as JSON.
pub fn golden(name: &str) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/golden").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read golden report {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The golden reports of every kind shannon-render draws.
pub const GOLDEN: [&str; 6] = [
    "compare-paper1.json",
    "compare-chars.json",
    "entropy-paper1.json",
    "entropy-alice-words.json",
    "score-paper1.json",
    "code-alice29.json",
];

#[test]
fn golden_reports_render_with_their_charts() {
    for name in GOLDEN {
        let bytes = serde_json::to_vec(&golden(name)).unwrap();
        let page = shannon_render::render_html(&bytes, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let charts: Vec<&str> =
            page.split(r#"<svg class="chart" data-chart=""#).skip(1).map(|r| r.split('"').next().unwrap()).collect();
        let expected: &[&str] = match name.split('-').next().unwrap() {
            "compare" => &["perplexity", "cross-entropy", "bits-per-char"],
            "entropy" => &["f-n", "rank-frequency"],
            _ => &[],
        };
        assert_eq!(charts, expected, "{name}");
        assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"), "{name}");
        assert!(page.contains(&format!("from <code>{name}</code>")), "{name}: the footer names the source");
    }
}

#[test]
fn typed_reports_render_as_their_bytes_do() {
    let compare = golden("compare-paper1.json");
    let bytes = serde_json::to_vec(&compare).unwrap();
    let typed = shannon_render::render_compare(&serde_json::from_value(compare).unwrap(), "c.json");
    assert_eq!(typed, shannon_render::render_html(&bytes, "c.json").unwrap());
    let entropy = golden("entropy-paper1.json");
    let bytes = serde_json::to_vec(&entropy).unwrap();
    let typed = shannon_render::render_entropy(&serde_json::from_value(entropy).unwrap(), "e.json");
    assert_eq!(typed, shannon_render::render_html(&bytes, "e.json").unwrap());
    let score = golden("score-paper1.json");
    let bytes = serde_json::to_vec(&score).unwrap();
    let typed = shannon_render::render_score(&serde_json::from_value(score).unwrap(), "s.json");
    assert_eq!(typed, shannon_render::render_html(&bytes, "s.json").unwrap());
}
