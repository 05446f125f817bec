//! HTML rendering of reports: `shannon render REPORT.json`.
//!
//! **In:** the bytes of a report file. **Out:** one self-contained HTML page — inline CSS and inline SVG
//! charts ([`svg`]), no scripts, no fonts, images or styles fetched from anywhere — that reads the same
//! offline, in a mail attachment or from a CI artifact.
//!
//! What each kind of report becomes:
//! - `shannon.compare/1`: held-out perplexity (log scale), cross-entropy (bits per token) and bits per
//!   character against model order, one line per smoothing method, with the source's exact entropy rate as
//!   a reference line when the corpus was generated; then every model in a table.
//! - `shannon.entropy/1`: Shannon's F_N against N for every estimator, with the guessing-game bounds, the
//!   model cross-entropies and Shannon's 1951 values; the rank–frequency plot (log–log) with the fitted
//!   Zipf–Mandelbrot law and Shannon's p_n = 0.1/n; the tables behind them.
//! - `shannon.score/1`: the figures in a table (one model on one text has nothing to plot).
//!
//! Anything else is an [`Error`]: bytes that are not JSON, JSON without a `shannon.` schema tag, a schema
//! this version does not know, or a known schema whose fields do not parse. Output is deterministic: the
//! same report gives the same page, byte for byte.

use std::fmt::Write as _;

use shannon_eval::entropy::{ByEstimator, Estimator};

use shannon_report::entropy::{EntropyReport, ENTROPY_SCHEMA};
use shannon_report::{CompareReport, ScoreReport, COMPARE_SCHEMA, SCORE_SCHEMA};
use svg::{escape, Band, Chart, Marker, Rule, Scale, Series, PALETTE};

pub mod svg;

/// Why a report cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file given as a report is not JSON.
    #[error("not JSON: {source}")]
    NotJson {
        /// What the parser said (with line and column).
        source: serde_json::Error,
    },
    /// JSON that is not a shannon report.
    #[error("not a shannon report: {reason} (shannon reports have \"schema\": \"shannon.compare/1\" and the like)")]
    NotAReport {
        /// Why not.
        reason: String,
    },
    /// A shannon report of a kind this version cannot render.
    #[error("cannot render a {schema} report (this version renders {})", RENDERED_SCHEMAS.join(", "))]
    UnknownSchema {
        /// Its schema tag.
        schema: String,
    },
    /// A report whose schema tag is known but whose fields do not match it.
    #[error("not a valid {schema} report: {source}")]
    Malformed {
        /// Its schema tag.
        schema: String,
        /// What the parser said.
        source: serde_json::Error,
    },
}

/// Renders a report (the bytes of a report file) as an HTML page. `source` names the file in the page's
/// footer.
pub fn render_html(json: &[u8], source: &str) -> Result<String, Error> {
    let value: serde_json::Value = serde_json::from_slice(json).map_err(|e| Error::NotJson { source: e })?;
    let schema = match value.get("schema").and_then(|s| s.as_str()) {
        Some(s) if s.starts_with("shannon.") => s.to_string(),
        Some(s) => {
            return Err(Error::NotAReport { reason: format!("its schema is '{}', not a shannon.* schema", clip(s)) })
        }
        None if value.is_object() => {
            return Err(Error::NotAReport { reason: "it has no \"schema\" field".into() });
        }
        None => return Err(Error::NotAReport { reason: "it is not a JSON object".into() }),
    };
    let malformed = |e: serde_json::Error| Error::Malformed { schema: schema.clone(), source: e };
    let page = match schema.as_str() {
        COMPARE_SCHEMA => compare_page(&serde_json::from_value(value).map_err(malformed)?),
        SCORE_SCHEMA => score_page(&serde_json::from_value(value).map_err(malformed)?),
        ENTROPY_SCHEMA => {
            let ranks = rank_frequency(&value["zipf"]["rank_frequency"]);
            entropy_page(&serde_json::from_value(value).map_err(malformed)?, &ranks)
        }
        _ => return Err(Error::UnknownSchema { schema }),
    };
    Ok(page.finish(source))
}

/// The schema tags [`render_html`] knows.
pub const RENDERED_SCHEMAS: [&str; 3] = [COMPARE_SCHEMA, ENTROPY_SCHEMA, SCORE_SCHEMA];

fn clip(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// A page under construction.
struct Page {
    title: String,
    subtitle: String,
    body: String,
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
"#;

impl Page {
    fn new(title: String, subtitle: String, schema: &str, tool_version: &str) -> Page {
        Page { title, subtitle, body: String::new(), tool_version: tool_version.into(), schema: schema.into() }
    }

    fn h2(&mut self, text: &str) {
        let _ = write!(self.body, "<h2>{}</h2>", escape(text));
    }

    /// A table of (label, HTML value) rows. Values are HTML: callers escape.
    fn facts(&mut self, rows: &[(&str, String)]) {
        self.body.push_str(r#"<table class="facts">"#);
        for (k, v) in rows {
            let _ = write!(self.body, "<tr><th>{}</th><td>{v}</td></tr>", escape(k));
        }
        self.body.push_str("</table>");
    }

    fn charts(&mut self, charts: &[(Chart, String)]) {
        self.body.push_str(r#"<section class="charts">"#);
        for (chart, caption) in charts {
            let _ = write!(self.body, "<figure>{}<figcaption>{caption}</figcaption></figure>", chart.to_svg());
        }
        self.body.push_str("</section>");
    }

    fn finish(self, source: &str) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
             <header><h1>{title}</h1><p>{subtitle}</p></header>\n{body}\n\
             <footer>Rendered by shannon {version} from <code>{source}</code> ({schema}, written by shannon {tool}).</footer>\n\
             </body>\n</html>\n",
            title = escape(&self.title),
            subtitle = self.subtitle,
            body = self.body,
            version = env!("CARGO_PKG_VERSION"),
            source = escape(source),
            schema = escape(&self.schema),
            tool = escape(&self.tool_version),
        )
    }
}

/// A number for a table cell: `∞` for `None`.
fn num(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.digits$}"),
        Some(_) | None => "∞".into(),
    }
}

/// An integer with thin-space thousands separators.
fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut groups = Vec::new();
    let mut rest = digits.as_str();
    while rest.len() > 3 {
        let (head, tail) = rest.split_at(rest.len() - 3);
        groups.push(tail);
        rest = head;
    }
    groups.push(rest);
    groups.reverse();
    groups.join("\u{2009}")
}

fn inputs_html(inputs: &[shannon_report::Input]) -> String {
    if inputs.is_empty() {
        return "—".into();
    }
    inputs
        .iter()
        .map(|i| {
            format!(
                "<code>{}</code> · {} bytes · sha256 <code title=\"{sha}\">{}…</code>",
                escape(&i.path),
                count(i.bytes),
                &i.sha256[..i.sha256.len().min(12)],
                sha = escape(&i.sha256)
            )
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

fn tokenizer_html(t: &shannon_tokens::Tokenizer) -> String {
    let sentences = serde_json::to_value(t.sentences).ok().and_then(|v| v.as_str().map(str::to_string));
    format!(
        "<code>{}</code>{}, sentences: {}",
        t.kind.name(),
        if t.lowercase { ", lower-cased" } else { "" },
        escape(&sentences.unwrap_or_default())
    )
}

/// Methods in the order they first appear.
fn methods(r: &CompareReport) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in &r.models {
        if !out.contains(&m.smoothing) {
            out.push(m.smoothing.clone());
        }
    }
    out
}

fn compare_page(r: &CompareReport) -> Page {
    let mut page = Page::new(
        format!("shannon compare · {}", r.corpus.name),
        format!(
            "Held-out cross-entropy of n-gram models of orders 1–{} ({}), tokens = <code>{}</code>.",
            r.models.iter().map(|m| m.order).max().unwrap_or(0),
            escape(&methods(r).join(", ")),
            r.tokenizer.kind.name()
        ),
        &r.schema,
        &r.tool.version,
    );
    let split = match (r.corpus.split.as_str(), r.corpus.holdout) {
        ("holdout", Some(h)) => format!(
            "last {h} of {} lines held out; training on the first {}",
            r.corpus.lines.map(count).unwrap_or_default(),
            r.corpus.train_lines.map(count).unwrap_or_default()
        ),
        (s, _) => escape(s),
    };
    let mut facts = vec![
        ("corpus", format!("<strong>{}</strong> ({split})", escape(&r.corpus.name))),
        ("training inputs", inputs_html(&r.corpus.train_inputs)),
    ];
    if !r.corpus.test_inputs.is_empty() {
        facts.push(("test inputs", inputs_html(&r.corpus.test_inputs)));
    }
    facts.push(("tokenizer", tokenizer_html(&r.tokenizer)));
    facts.push((
        "training text",
        format!(
            "{} tokens, {} sentences, {} bytes, vocabulary {}",
            count(r.train.tokens),
            count(r.train.sentences),
            count(r.train.bytes),
            r.train.vocabulary.map(count).unwrap_or_else(|| "—".into())
        ),
    ));
    facts.push((
        "test text",
        format!(
            "{} tokens, {} sentences, {} bytes",
            count(r.test.tokens),
            count(r.test.sentences),
            count(r.test.bytes)
        ),
    ));
    if let Some(t) = &r.true_entropy_rate {
        facts.push((
            "true entropy rate",
            format!(
                "<strong>{:.4}</strong> bits/token, {:.4} bits/char (exact) — {}",
                t.bits_per_token,
                t.bits_per_char,
                escape(&t.source)
            ),
        ));
    }
    facts.push((
        "best model",
        match &r.best {
            Some(b) => format!(
                "<strong>order {} {}</strong>: perplexity {:.3}, {:.4} bits/token",
                b.order,
                escape(&b.smoothing),
                b.perplexity,
                b.cross_entropy_bits
            ),
            None => "none: every model gives some test token probability 0".into(),
        },
    ));
    if !r.warnings.is_empty() {
        let items: String = r.warnings.iter().map(|w| format!("<li>{}</li>", escape(w))).collect();
        facts.push(("warnings", format!("<ul class=\"warnings\">{items}</ul>")));
    }
    facts.push((
        "time",
        format!(
            "{:.2} s on {} threads (tokenize {:.2} s, count {:.2} s, models {:.2} s)",
            r.timings.total_seconds,
            r.timings.threads,
            r.timings.tokenize_seconds,
            r.timings.count_seconds,
            r.timings.models_seconds
        ),
    ));
    page.facts(&facts);

    // Charts: one series per smoothing method, ordered by model order.
    let methods = methods(r);
    let series = |f: &dyn Fn(&shannon_report::ModelEntry) -> Option<f64>| -> Vec<Series> {
        methods
            .iter()
            .enumerate()
            .map(|(i, method)| {
                let mut points: Vec<(f64, f64)> = r
                    .models
                    .iter()
                    .filter(|m| &m.smoothing == method)
                    .map(|m| (m.order as f64, f(m).unwrap_or(f64::INFINITY)))
                    .collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                let drawable = points.iter().any(|p| p.1.is_finite());
                let name = if drawable { method.clone() } else { format!("{method} (∞, not drawn)") };
                let mut s = Series::new(name, points, PALETTE[i % PALETTE.len()]);
                s.marker = [Marker::Circle, Marker::Square, Marker::Diamond][i % 3];
                s
            })
            .collect()
    };
    let infinite: Vec<String> = methods
        .iter()
        .filter_map(|method| {
            let orders: Vec<String> = r
                .models
                .iter()
                .filter(|m| &m.smoothing == method && m.test.perplexity.is_none())
                .map(|m| m.order.to_string())
                .collect();
            (!orders.is_empty()).then(|| format!("{} at order {}", escape(method), orders.join(", ")))
        })
        .collect();
    let not_drawn = if infinite.is_empty() {
        String::new()
    } else {
        format!(
            " Not drawn, because some test token has probability 0 and the figure is infinite: {}.",
            infinite.join("; ")
        )
    };
    let chart = |id: &str, title: &str, y_label: &str, y_scale: Scale, series: Vec<Series>, rules: Vec<Rule>| Chart {
        id: id.into(),
        title: title.into(),
        x_label: "model order n (tokens of context + 1)".into(),
        y_label: y_label.into(),
        x_scale: Scale::Linear,
        y_scale,
        integer_x: true,
        series,
        rules,
        bands: vec![],
    };
    let true_rule = |value: Option<f64>| -> Vec<Rule> {
        value.map(|v| Rule { y: v, label: format!("true entropy rate {v:.4}"), color: "#444444" }).into_iter().collect()
    };
    let tok = r.tokenizer.kind.name();
    let charts = vec![
        (
            chart(
                "perplexity",
                "Held-out perplexity by order",
                "perplexity (log scale)",
                Scale::Log,
                series(&|m| m.test.perplexity),
                r.true_entropy_rate.as_ref().map(|t| t.bits_per_token.exp2()).map_or_else(Vec::new, |v| {
                    vec![Rule { y: v, label: format!("2^(true rate) = {v:.2}"), color: "#444444" }]
                }),
            ),
            format!("Perplexity 2<sup>H</sup> of the test text, per token (<code>{tok}</code>; <code>&lt;/s&gt;</code> counted).{not_drawn}"),
        ),
        (
            chart(
                "cross-entropy",
                "Held-out cross-entropy by order",
                "bits per token",
                Scale::Linear,
                series(&|m| m.test.cross_entropy_bits),
                true_rule(r.true_entropy_rate.as_ref().map(|t| t.bits_per_token)),
            ),
            format!(
                "Cross-entropy H in bits per token (<code>{tok}</code>). Every held-out cross-entropy is an upper bound on the \
                 source's entropy rate.{not_drawn}"
            ),
        ),
        (
            chart(
                "bits-per-char",
                "Held-out bits per character by order",
                "bits per character",
                Scale::Linear,
                series(&|m| m.test.bits_per_char),
                true_rule(r.true_entropy_rate.as_ref().map(|t| t.bits_per_char)),
            ),
            "Total bits over the characters of the test text (line ends included): comparable across tokenizers."
                .to_string(),
        ),
    ];
    page.h2("Models against order");
    page.charts(&charts);

    page.h2("Every model");
    let mut t = String::from(
        r#"<table class="num"><tr><th>order</th><th>smoothing</th><th>n-grams (top order)</th><th>bits/token</th><th>perplexity</th><th>ppl excl. OOV</th><th>OOV %</th><th>bits/char</th><th>bits/byte</th></tr>"#,
    );
    for m in &r.models {
        let best = r.best.as_ref().is_some_and(|b| b.order == m.order && b.smoothing == m.smoothing);
        let _ = write!(
            t,
            r#"<tr{}><td>{}</td><td class="text">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3}</td><td>{}</td><td>{}</td></tr>"#,
            if best { r#" class="best""# } else { "" },
            m.order,
            escape(&m.smoothing),
            count(m.ngrams.last().copied().unwrap_or(0)),
            num(m.test.cross_entropy_bits, 4),
            num(m.test.perplexity, 3),
            num(m.test.perplexity_excluding_oov, 3),
            100.0 * m.test.oov_rate,
            num(m.test.bits_per_char, 4),
            num(m.test.bits_per_byte, 4),
        );
    }
    t.push_str("</table>");
    page.body.push_str(&t);
    page
}

/// `zipf.rank_frequency` of an entropy report, if it has one: `[[rank, count], …]` (ranks ascending, any
/// subset) or `[count, …]` for ranks 1, 2, ….
fn rank_frequency(v: &serde_json::Value) -> Vec<(f64, f64)> {
    let Some(items) = v.as_array() else { return Vec::new() };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| match item {
            serde_json::Value::Array(pair) if pair.len() == 2 => Some((pair[0].as_f64()?, pair[1].as_f64()?)),
            serde_json::Value::Number(n) => Some(((i + 1) as f64, n.as_f64()?)),
            _ => None,
        })
        .filter(|&(r, c)| r >= 1.0 && c > 0.0)
        .collect()
}

/// Ranks 1..=`max` thinned to about `per_decade` per decade (every rank up to `per_decade`).
fn log_ranks(max: usize, per_decade: f64) -> Vec<usize> {
    let mut out = Vec::new();
    let mut r = 1usize;
    while r <= max {
        out.push(r);
        let next = ((r as f64) * 10f64.powf(1.0 / per_decade)).floor() as usize;
        r = next.max(r + 1);
    }
    if out.last() != Some(&max) && max > 0 {
        out.push(max);
    }
    out
}

const ESTIMATOR_COLOURS: [&str; 6] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];

fn estimator_name(e: Estimator) -> &'static str {
    match e {
        Estimator::Plugin => "plug-in",
        Estimator::MillerMadow => "Miller–Madow",
        Estimator::ChaoShen => "Chao–Shen",
        Estimator::Grassberger => "Grassberger",
        Estimator::Nsb => "NSB",
        Estimator::Jackknife => "jackknife",
    }
}

fn by_estimator_cells(v: &ByEstimator, se: Option<&ByEstimator>) -> String {
    Estimator::ALL
        .iter()
        .map(|&e| match (v.get(e), se.and_then(|s| s.get(e))) {
            (Some(x), Some(err)) if err > 0.0 && err.is_finite() => {
                format!("<td>{x:.3}<span class=\"se\"> ±{err:.3}</span></td>")
            }
            (Some(x), _) => format!("<td>{x:.3}</td>"),
            (None, _) => "<td>—</td>".into(),
        })
        .collect()
}

fn entropy_page(r: &EntropyReport, ranks: &[(f64, f64)]) -> Page {
    let kind = r.tokenizer.kind;
    let letters = matches!(kind, shannon_tokens::TokenKind::Letters | shannon_tokens::TokenKind::Letters26);
    let max_n = r.orders.iter().map(|o| o.n).max().unwrap_or(0);
    let mut page = Page::new(
        format!("shannon entropy · {}", r.corpus.name),
        format!(
            "Shannon's N-gram entropies F<sub>0</sub>…F<sub>{max_n}</sub> of <code>{}</code> symbols (|A| = {}), \
             the guessing game and Zipf's law.",
            kind.name(),
            r.alphabet.size
        ),
        &r.schema,
        &r.tool.version,
    );
    let mut facts = vec![
        ("corpus", format!("<strong>{}</strong>", escape(&r.corpus.name))),
        ("inputs", inputs_html(&r.corpus.inputs)),
        ("tokenizer", tokenizer_html(&r.tokenizer)),
        (
            "text",
            format!("{} symbols, {} lines, {} bytes", count(r.text.tokens), count(r.corpus.lines), count(r.text.bytes)),
        ),
        ("alphabet", format!("|A| = {} ({})", r.alphabet.size, escape(&r.alphabet.rule))),
        ("estimators", escape(&r.methods.estimators)),
        ("support", escape(&r.methods.unsupported)),
    ];
    if !r.guessing.is_empty() {
        facts.push(("guessing game", escape(&r.methods.guessing)));
    }
    if !r.warnings.is_empty() {
        let items: String = r.warnings.iter().map(|w| format!("<li>{}</li>", escape(w))).collect();
        facts.push(("warnings", format!("<ul class=\"warnings\">{items}</ul>")));
    }
    facts.push(("time", format!("{:.2} s on {} threads", r.timings.total_seconds, r.timings.threads)));
    page.facts(&facts);

    // F_N against N: every estimator, the guessing game, Shannon's 1951 values.
    let mut series: Vec<Series> = Estimator::ALL
        .iter()
        .enumerate()
        .map(|(i, &e)| {
            let points = r.orders.iter().map(|o| (o.n as f64, o.f.get(e).unwrap_or(f64::NAN))).collect();
            let mut s = Series::new(estimator_name(e), points, ESTIMATOR_COLOURS[i]);
            s.marker = if i == 0 { Marker::Circle } else { Marker::None };
            s
        })
        .collect();
    if !r.guessing.is_empty() {
        let g = |f: &dyn Fn(&shannon_report::entropy::GuessEntry) -> Option<f64>| -> Vec<(f64, f64)> {
            r.guessing.iter().map(|e| (e.n as f64, f(e).unwrap_or(f64::NAN))).collect()
        };
        let mut upper = Series::new("guessing: upper", g(&|e| Some(e.upper)), "#000000");
        upper.dash = Some("7 4");
        upper.marker = Marker::Square;
        let mut lower = Series::new("guessing: lower", g(&|e| Some(e.lower)), "#000000");
        lower.dash = Some("2 3");
        lower.marker = Marker::Square;
        let mut ce = Series::new("model cross-entropy", g(&|e| e.cross_entropy_bits), "#777777");
        ce.dash = Some("9 3 2 3");
        series.extend([upper, lower, ce]);
    }
    let published: Vec<(f64, f64)> = r.orders.iter().filter_map(|o| Some((o.n as f64, o.shannon_1951?))).collect();
    if !published.is_empty() {
        let mut p = Series::new("Shannon 1951 F_N", published, "#8B0000");
        p.line = false;
        p.marker = Marker::Diamond;
        series.push(p);
    }
    if letters && !r.shannon_1951.guessing.is_empty() {
        let shown = max_n.max(r.guessing.iter().map(|g| g.n).max().unwrap_or(0)).max(15);
        let table: Vec<_> = r.shannon_1951.guessing.iter().filter(|b| b.n <= shown).collect();
        let mut up =
            Series::new("Shannon 1951 upper", table.iter().map(|b| (b.n as f64, b.upper)).collect(), "#8B0000");
        up.dash = Some("7 4");
        up.marker = Marker::Diamond;
        let mut lo =
            Series::new("Shannon 1951 lower", table.iter().map(|b| (b.n as f64, b.lower)).collect(), "#8B0000");
        lo.dash = Some("2 3");
        lo.marker = Marker::Diamond;
        series.extend([up, lo]);
    }
    let first_unsupported = r.orders.iter().filter(|o| !o.supported && o.n > 0).map(|o| o.n).min();
    let x_max = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).fold(0.0, f64::max);
    let bands = first_unsupported
        .map(|n| Band { x0: n as f64 - 0.5, x1: x_max + 0.5, label: format!("coverage < {}", r.settings.min_coverage) })
        .into_iter()
        .collect();
    let unit = if letters { "letter" } else { "symbol" };
    let f_chart = Chart {
        id: "f-n".into(),
        title: "Shannon's F_N: entropy of a symbol given the N − 1 before it".into(),
        x_label: "N (block length)".into(),
        y_label: format!("bits per {unit}"),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        integer_x: true,
        series,
        rules: vec![],
        bands,
    };
    let f_caption = format!(
        "F<sub>N</sub> = H<sub>N</sub> − H<sub>N−1</sub> by every estimator (F<sub>0</sub> = log<sub>2</sub> |A|){}{}{} \
         The shaded orders are not supported by the data (Good–Turing coverage below {}).",
        if r.guessing.is_empty() {
            String::new()
        } else {
            "; the guessing game's bounds (Shannon 1951 eq. 17) and the predictor's held-out cross-entropy, against \
             the predictor's order N"
                .to_string()
        },
        if letters { "; Shannon's published F<sub>N</sub> and guessing bounds (1951) in dark red" } else { "" },
        ".",
        r.settings.min_coverage
    );

    // Rank against frequency, log–log.
    let z = &r.zipf;
    // The laws first (drawn on top), then the data under them.
    let mut rank_series = Vec::new();
    if let Some(fit) = &z.fit {
        let rs = log_ranks(fit.ranks, 40.0);
        let norm: f64 = (1..=fit.ranks).map(|r| (r as f64 + fit.q).powf(-fit.s)).sum();
        let points = rs.iter().map(|&r| (r as f64, fit.n as f64 * (r as f64 + fit.q).powf(-fit.s) / norm)).collect();
        let mut s = Series::new("Zipf–Mandelbrot fit", points, "#D55E00");
        s.marker = Marker::None;
        s.dash = Some("7 4");
        rank_series.push(s);
    }
    if z.tokens > 0 {
        let top = z.shannon_model.critical_rank.min(z.types.max(1) as usize);
        let points = log_ranks(top, 20.0).iter().map(|&r| (r as f64, z.tokens as f64 * 0.1 / r as f64)).collect();
        let mut s = Series::new("Shannon: p_n = 0.1/n", points, "#8B0000");
        s.marker = Marker::None;
        s.dash = Some("2 3");
        rank_series.push(s);
    }
    if !ranks.is_empty() {
        let mut data = Series::new("corpus", ranks.to_vec(), "#0072B2");
        data.marker = Marker::None;
        rank_series.push(data);
    }
    let rank_chart = Chart {
        id: "rank-frequency".into(),
        title: "Rank–frequency of words (log–log)".into(),
        x_label: "rank r".into(),
        y_label: "frequency (occurrences)".into(),
        x_scale: Scale::Log,
        y_scale: Scale::Log,
        integer_x: false,
        series: rank_series,
        rules: vec![],
        bands: vec![],
    };
    let rank_caption = format!(
        "{} Words are {}: {} tokens, {} types.{} Shannon's p<sub>n</sub> = 0.1/n (to rank {}) scaled to the corpus.",
        if ranks.is_empty() {
            "This report carries no rank–frequency data (<code>zipf.rank_frequency</code>); only the laws are drawn."
        } else {
            "Each word's number of occurrences against its rank."
        },
        escape(&z.words),
        count(z.tokens),
        count(z.types),
        z.fit
            .as_ref()
            .map(|f| format!(
                " Maximum-likelihood Zipf–Mandelbrot law p(r) ∝ (r + {:.3})<sup>−{:.3}</sup> over {} ranks: {:.3} bits/word.",
                f.q, f.s, count(f.ranks as u64), f.entropy_bits
            ))
            .unwrap_or_default(),
        count(z.shannon_model.critical_rank as u64),
    );
    page.h2("Entropy against order, and Zipf's law");
    page.charts(&[(f_chart, f_caption), (rank_chart, rank_caption)]);

    // Tables.
    page.h2("N-gram entropies F_N (bits per symbol; ± block-jackknife standard error)");
    let mut t = String::from(
        r#"<table class="num"><tr><th>N</th><th>blocks</th><th>distinct</th><th>singletons</th><th>coverage</th>"#,
    );
    for e in Estimator::ALL {
        let _ = write!(t, "<th>{}</th>", estimator_name(e));
    }
    t.push_str("<th>Shannon 1951</th></tr>");
    for o in &r.orders {
        let _ = write!(
            t,
            r#"<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.4}</td>{}<td>{}</td></tr>"#,
            if o.supported { "" } else { r#" class="unsupported""# },
            o.n,
            count(o.blocks),
            count(o.distinct),
            count(o.singletons),
            o.coverage,
            by_estimator_cells(&o.f, Some(&o.f_se)),
            o.shannon_1951.map(|v| format!("{v:.2}")).unwrap_or_else(|| "—".into()),
        );
    }
    t.push_str("</table>");
    page.body.push_str(&t);

    if !r.guessing.is_empty() {
        page.h2("The guessing game (bits per symbol)");
        let mut t = String::from(
            r#"<table class="num"><tr><th>N</th><th>symbols</th><th>lower</th><th>upper</th><th>model cross-entropy</th><th>Shannon 1951 lower</th><th>Shannon 1951 upper</th></tr>"#,
        );
        for g in &r.guessing {
            let _ = write!(
                t,
                "<tr><td>{}</td><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                g.n,
                count(g.symbols),
                g.lower,
                g.upper,
                num(g.cross_entropy_bits, 3),
                g.shannon_lower.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into()),
                g.shannon_upper.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into()),
            );
        }
        t.push_str("</table>");
        page.body.push_str(&t);
    }

    page.h2("Zipf's law and word entropy (bits per word)");
    let m = &z.shannon_model;
    let mut rows = vec![
        (
            "Shannon's model",
            format!(
                "p<sub>n</sub> = 0.1/n for n ≤ {}: <strong>{:.3}</strong> bits/word (mass {:.4}); renormalized {:.3}; \
                 cut where the mass reaches 1 (rank {}) {:.3}; Shannon printed {:.2}",
                count(m.critical_rank as u64),
                z.shannon_model_bits_per_word,
                m.mass,
                m.renormalized_bits_per_word,
                count(m.unit_mass_rank as u64),
                m.unit_mass_bits_per_word,
                z.published_bits_per_word
            ),
        ),
        ("why not 11.82", escape(&z.why_not_published)),
        (
            "the corpus's words",
            format!(
                "{}: {} tokens, {} types, mean length {:.2} characters, coverage {:.4}",
                escape(&z.words),
                count(z.tokens),
                count(z.types),
                z.mean_word_length,
                z.empirical_coverage
            ),
        ),
        (
            "empirical word entropy",
            Estimator::ALL
                .iter()
                .filter_map(|&e| Some(format!("{} {:.3}", estimator_name(e), z.empirical.get(e)?)))
                .collect::<Vec<_>>()
                .join(" · "),
        ),
    ];
    rows.push((
        "Zipf–Mandelbrot fit",
        match (&z.fit, &z.fit_error) {
            (Some(f), _) => format!(
                "s = {:.4}, q = {:.3}, {} ranks, N = {}: entropy of the fitted law <strong>{:.3}</strong> bits/word",
                f.s,
                f.q,
                count(f.ranks as u64),
                count(f.n),
                f.entropy_bits
            ),
            (None, Some(e)) => format!("no fit: {}", escape(e)),
            (None, None) => "no fit".into(),
        },
    ));
    page.facts(&rows);

    let x = &r.extrapolation;
    if !x.f.is_empty() || x.cross_entropy.is_some() {
        page.h2("Entropy rate: extrapolation to N → ∞");
        let mut rows: Vec<(&str, String)> = vec![("ansatz", escape(&x.ansatz))];
        let fits: Vec<String> =
            x.f.iter()
                .map(|f| match (&f.power_law, &f.error) {
                    (Some(p), _) => format!(
                        "{}: h = <strong>{:.3}</strong> (A = {:.3}, α = {:.3}, rms {:.4}, {} points)",
                        escape(&f.estimator),
                        p.h,
                        p.a,
                        p.alpha,
                        p.rms,
                        p.points
                    ),
                    (None, e) => format!("{}: no fit ({})", escape(&f.estimator), escape(e.as_deref().unwrap_or("—"))),
                })
                .collect();
        if !fits.is_empty() {
            rows.push(("F_N fits", fits.join("<br>")));
        }
        if let Some(c) = &x.cross_entropy {
            let mut parts = Vec::new();
            if let Some(p) = &c.power_law {
                parts
                    .push(format!("power law: h = <strong>{:.3}</strong> (α = {:.3}, rms {:.4})", p.h, p.alpha, p.rms));
            }
            if let Some(p) = &c.stretched_exponential {
                parts.push(format!(
                    "stretched exponential: h = <strong>{:.3}</strong> (β = {:.3}, rms {:.4})",
                    p.h, p.beta, p.rms
                ));
            }
            parts.extend(c.errors.iter().map(|e| escape(e)));
            rows.push(("cross-entropy fits", parts.join("<br>")));
        }
        page.facts(&rows);
    }
    page
}

fn score_page(r: &ScoreReport) -> Page {
    let mut page = Page::new(
        format!("shannon score · {}", r.model.path),
        format!(
            "An order-{} model on held-out text, tokens = <code>{}</code>.",
            r.model.order,
            r.tokenizer.kind.name()
        ),
        &r.schema,
        &r.tool.version,
    );
    let s = &r.score;
    let mut facts = vec![
        (
            "model",
            format!(
                "<code>{}</code>, order {}, n-grams per order {}",
                escape(&r.model.path),
                r.model.order,
                r.model.ngrams.iter().map(|&n| count(n)).collect::<Vec<_>>().join(" / ")
            ),
        ),
        ("text", inputs_html(&r.inputs)),
        ("tokenizer", tokenizer_html(&r.tokenizer)),
        (
            "test text",
            format!(
                "{} tokens, {} sentences, {} bytes",
                count(r.test.tokens),
                count(r.test.sentences),
                count(r.test.bytes)
            ),
        ),
        ("cross-entropy", format!("<strong>{}</strong> bits/token", num(s.cross_entropy_bits, 4))),
        (
            "perplexity",
            format!(
                "<strong>{}</strong> (excluding OOVs: {})",
                num(s.perplexity, 3),
                num(s.perplexity_excluding_oov, 3)
            ),
        ),
        ("OOV", format!("{} tokens ({:.3} %)", count(s.oov), 100.0 * s.oov_rate)),
        ("bits per character", num(s.bits_per_char, 4)),
        ("bits per byte", num(s.bits_per_byte, 4)),
    ];
    if let Some(why) = &s.infinite {
        facts.push(("infinite", escape(why)));
    }
    page.facts(&facts);
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_report_is_said_plainly() {
        let e = |b: &[u8]| render_html(b, "x.json").unwrap_err().to_string();
        assert!(e(b"{ not json").starts_with("not JSON: "), "{}", e(b"{ not json"));
        assert!(e(br#"{"name": "x"}"#).contains("no \"schema\" field"));
        assert!(e(br#"[1, 2]"#).contains("not a JSON object"));
        assert!(e(br#"{"schema": "https://json-schema.org/draft/2020-12/schema"}"#).contains("not a shannon.* schema"));
        assert!(e(br#"{"schema": "shannon.nothing/9"}"#).contains("shannon.nothing/9"));
        let m = e(br#"{"schema": "shannon.compare/1", "tool": {}}"#);
        assert!(m.contains("shannon.compare/1") && m.contains("missing field"), "{m}");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1234567), "1\u{2009}234\u{2009}567");
    }
}
