//! What a reader of the pages trips over (issue 14 item 14): labels struck through by a border or lying on
//! a line, lines that cannot be told apart, an OOV rate whose denominator is not shown. Geometry is read
//! from the SVG coordinates the renderer wrote; the browser test in the shannon binary checks it as drawn.

use crate::golden;

/// An axis-aligned box, `y` downwards.
#[derive(Debug, Clone, Copy)]
struct Box2 {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    Some(tag.split(&format!(" {name}=\"")).nth(1)?.split('"').next()?.to_string())
}

fn num(tag: &str, name: &str) -> f64 {
    attr(tag, name).unwrap_or_else(|| panic!("no {name} in {tag}")).parse().unwrap()
}

/// Each chart of a page: (id, its SVG).
fn charts(page: &str) -> Vec<(String, String)> {
    page.split(r#"<svg class="chart" data-chart=""#)
        .skip(1)
        .map(|c| (c.split('"').next().unwrap().to_string(), c.split("</svg>").next().unwrap().to_string()))
        .collect()
}

/// The points of every `M`/`L` path of a chart's series, as polylines.
fn polylines(svg: &str) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    for tag in svg.split(r#"<path class="series""#).skip(1) {
        let d = attr(tag, "d").unwrap();
        for run in d.split('M').filter(|r| !r.trim().is_empty()) {
            let nums: Vec<f64> = run.replace('L', " ").split_whitespace().map(|v| v.parse().unwrap()).collect();
            out.push(nums.chunks(2).map(|p| (p[0], p[1])).collect());
        }
    }
    out
}

/// Whether the segment a–b passes through `r`, by sampling it every tenth of a unit.
fn crosses(r: &Box2, a: (f64, f64), b: (f64, f64)) -> bool {
    let steps = ((b.0 - a.0).hypot(b.1 - a.1) * 10.0).ceil().max(1.0) as usize;
    (0..=steps).any(|k| {
        let t = k as f64 / steps as f64;
        let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1
    })
}

/// The plot's border: the one unfilled rectangle.
fn border(svg: &str) -> Box2 {
    let tag = svg.split("<rect ").find(|t| t.contains(r##"fill="none" stroke="#444""##)).expect("a plot border");
    let (x, y) = (num(tag, "x"), num(tag, "y"));
    Box2 { x0: x, y0: y, x1: x + num(tag, "width"), y1: y + num(tag, "height") }
}

/// The labels drawn in the plot: (what they label, text, box).
fn labels(svg: &str) -> Vec<(String, String, Box2)> {
    svg.split(r#"<g class="label" data-for=""#)
        .skip(1)
        .map(|t| {
            let (x, y) = (num(t, "x"), num(t, "y"));
            let text = t[t.find("<text").unwrap()..].split('>').nth(1).unwrap().split('<').next().unwrap().to_string();
            (
                t.split('"').next().unwrap().to_string(),
                text,
                Box2 { x0: x, y0: y, x1: x + num(t, "width"), y1: y + num(t, "height") },
            )
        })
        .collect()
}

/// A compare report of a generated corpus (it has `true_entropy_rate`) and the entropy reports.
fn pages() -> Vec<(&'static str, String)> {
    ["compare-default.json", "compare-paper1.json", "entropy-paper1.json", "entropy-alice-words.json"]
        .into_iter()
        .map(|name| {
            let bytes = serde_json::to_vec(&golden(name)).unwrap();
            (name, shannon_render::render_html(&bytes, name).unwrap())
        })
        .collect()
}

/// Items 1 and 2: every band and rule label lies inside the plot, clear of its border, and no series'
/// segment and no other rule passes through it.
#[test]
fn labels_clear_the_border_and_every_line() {
    let mut seen = Vec::new();
    for (name, page) in pages() {
        for (id, svg) in charts(&page) {
            let frame = border(&svg);
            let lines = polylines(&svg);
            let rules: Vec<f64> = svg.split(r#"<g class="rule"><line "#).skip(1).map(|t| num(t, "y1")).collect();
            for (kind, text, r) in labels(&svg) {
                assert!(
                    r.x0 > frame.x0 && r.x1 < frame.x1 && r.y0 > frame.y0 && r.y1 < frame.y1,
                    "{name}/{id}: label {text:?} {r:?} touches the border {frame:?}"
                );
                for line in &lines {
                    for w in line.windows(2) {
                        assert!(!crosses(&r, w[0], w[1]), "{name}/{id}: label {text:?} {r:?} on segment {w:?}");
                    }
                }
                for y in &rules {
                    assert!(!crosses(&r, (frame.x0, *y), (frame.x1, *y)), "{name}/{id}: label {text:?} on a rule");
                }
                seen.push((name, id.clone(), kind, text));
            }
        }
    }
    let found = |n: &str, c: &str, t: &str| seen.iter().any(|s| s.0 == n && s.1 == c && s.3.contains(t));
    assert!(found("compare-default.json", "perplexity", "2^(true rate) = "), "{seen:?}");
    assert!(found("compare-default.json", "cross-entropy", "true entropy rate"), "{seen:?}");
    assert!(seen.iter().any(|s| s.2 == "band" && s.3 == "coverage &lt; 0.9"), "no band label drawn: {seen:?}");
}

/// Item 3: every line of a chart has a check box (unticked, the page's style hides the line) and a legend
/// entry (hovered, it brings the line forward); all of it CSS, so the page still runs no script.
#[test]
fn every_line_can_be_hidden_or_emphasised_without_script() {
    for (name, page) in pages() {
        assert!(!page.contains("<script"), "{name}");
        for (id, svg) in charts(&page) {
            let figure =
                page.split(&format!(r#"data-chart="{id}""#)).nth(1).unwrap().split("</figure>").next().unwrap();
            let drawn: Vec<String> = svg
                .split(r#"<path class="series""#)
                .skip(1)
                .map(|t| attr(t, "data-i").expect("a line without data-i"))
                .collect();
            assert!(!drawn.is_empty(), "{name}/{id}");
            for i in &drawn {
                assert!(
                    figure.contains(&format!(r#"<input type="checkbox" data-i="{i}" checked>"#)),
                    "{name}/{id}: no check box for line {i}"
                );
                assert!(svg.contains(&format!(r#"<g class="entry pick" data-i="{i}">"#)), "{name}/{id}: no entry {i}");
                for rule in [
                    format!(
                        r#"figure:has(input[data-i="{i}"]:not(:checked)) :is(path.series, g.marks)[data-i="{i}"] {{ display: none; }}"#
                    ),
                    format!(
                        r#"figure:has(.pick[data-i="{i}"]:hover) :is(path.series, g.marks)[data-i="{i}"] {{ opacity: 1; stroke-width: 3.5; }}"#
                    ),
                ] {
                    assert!(page.contains(&rule), "{name}: the style lacks {rule}");
                }
            }
        }
    }
    let (_, entropy) = &pages()[2];
    let f_n = entropy.split(r#"data-chart="f-n""#).nth(1).unwrap().split("</figure>").next().unwrap();
    for estimator in ["plug-in", "Miller–Madow", "Chao–Shen", "Grassberger", "NSB", "jackknife"] {
        assert!(f_n.contains(&format!("\">{estimator}</span></label>")), "no check box for {estimator}");
    }
    assert!(entropy.contains("figure:has(.pick:hover) :is(path.series, g.marks) { opacity: 0.15; }"));
}

/// Item 4: the score page shows the predicted tokens, the OOV rate's denominator, beside the OOV count,
/// and says what each count is.
#[test]
fn the_oov_rate_shows_its_denominator() {
    let report = golden("score-paper1.json");
    let (tokens, oov, text_tokens) = (
        report["score"]["tokens"].as_u64().unwrap(),
        report["score"]["oov"].as_u64().unwrap(),
        report["test"]["tokens"].as_u64().unwrap(),
    );
    assert_ne!(tokens, text_tokens, "the golden report no longer shows the difference");
    let page = shannon_render::render_html(&serde_json::to_vec(&report).unwrap(), "s.json").unwrap();
    let thin = |n: u64| {
        let d = n.to_string();
        let mut out = String::new();
        for (i, c) in d.chars().enumerate() {
            if i > 0 && (d.len() - i).is_multiple_of(3) {
                out.push('\u{2009}');
            }
            out.push(c);
        }
        out
    };
    let rate = 100.0 * oov as f64 / tokens as f64;
    let row = format!("<tr><th>OOV</th><td>{} of {} predicted tokens ({rate:.3} %)", thin(oov), thin(tokens));
    assert!(page.contains(&row), "no {row:?} in the page");
    assert!(page.contains(&format!("<tr><th>predicted tokens</th><td><strong>{}</strong>: every token the model predicts, <code>&lt;/s&gt;</code> included and <code>&lt;s&gt;</code>", thin(tokens))));
    assert!(page.contains(&format!(
        "{} tokens of text (<code>&lt;s&gt;</code> and <code>&lt;/s&gt;</code> not counted)",
        thin(text_tokens)
    )));
    assert!(page.contains("the denominator of cross-entropy, perplexity and the OOV rate"));
}

/// A report's numbers do not bound the work of drawing it: a Zipf fit over 10^12 ranks (found by the render
/// fuzz target as a hang) renders at once.
#[test]
fn a_huge_rank_count_renders_at_once() {
    let mut report = golden("entropy-paper1.json");
    report["zipf"]["fit"]["ranks"] = serde_json::json!(1_000_000_000_000u64);
    report["zipf"]["types"] = serde_json::json!(1_000_000_000_000u64);
    let start = std::time::Instant::now();
    let page = shannon_render::render_html(&serde_json::to_vec(&report).unwrap(), "huge").unwrap();
    assert!(page.contains("rank-frequency"));
    assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
}
