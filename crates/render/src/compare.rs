//! The page of a `shannon.compare/1` report: facts, three charts against model order, every model.

use shannon_report::{CompareReport, ModelEntry};

use crate::html::{markup, put, Html};
use crate::page::{count, inputs, join, num, tokenizer, warnings, Page};
use crate::svg::{Chart, Marker, Rule, Scale, Series, PALETTE};

pub(crate) fn page(r: &CompareReport) -> Page {
    let mut page = Page::new(format!("shannon compare · {}", r.corpus.name), subtitle(r), &r.schema, &r.tool.version);
    page.facts(&facts(r));
    page.h2("Models against order");
    page.charts(&charts(r));
    page.h2("Every model");
    page.push(&models_table(r));
    page
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

fn subtitle(r: &CompareReport) -> Html {
    markup!(
        "Held-out cross-entropy of n-gram models of orders 1–{} ({}), tokens = <code>{}</code>.",
        r.models.iter().map(|m| m.order).max().unwrap_or(0),
        methods(r).join(", "),
        r.tokenizer.kind.name()
    )
}

/// What was measured, on what, and the best model.
fn facts(r: &CompareReport) -> Vec<(&'static str, Html)> {
    let split = match (r.corpus.split.as_str(), r.corpus.holdout) {
        ("holdout", Some(h)) => markup!(
            "last {} of {} lines held out; training on the first {}",
            h,
            r.corpus.lines.map(count).unwrap_or_default(),
            r.corpus.train_lines.map(count).unwrap_or_default()
        ),
        (s, _) => markup!("{}", s),
    };
    let mut facts = vec![
        ("corpus", markup!("<strong>{}</strong> ({})", r.corpus.name, split)),
        ("training inputs", inputs(&r.corpus.train_inputs)),
    ];
    if !r.corpus.test_inputs.is_empty() {
        facts.push(("test inputs", inputs(&r.corpus.test_inputs)));
    }
    facts.push(("tokenizer", tokenizer(&r.tokenizer)));
    facts.push((
        "training text",
        markup!(
            "{} tokens, {} sentences, {} bytes, vocabulary {}",
            count(r.train.tokens),
            count(r.train.sentences),
            count(r.train.bytes),
            r.train.vocabulary.map(count).unwrap_or_else(|| "—".into())
        ),
    ));
    facts.push((
        "test text",
        markup!(
            "{} tokens, {} sentences, {} bytes",
            count(r.test.tokens),
            count(r.test.sentences),
            count(r.test.bytes)
        ),
    ));
    if let Some(t) = &r.true_entropy_rate {
        facts.push((
            "true entropy rate",
            markup!(
                "<strong>{:.4}</strong> bits/token, {:.4} bits/char (exact) — {}",
                t.bits_per_token,
                t.bits_per_char,
                t.source
            ),
        ));
    }
    facts.push((
        "best model",
        match &r.best {
            Some(b) => markup!(
                "<strong>order {} {}</strong>: perplexity {:.3}, {:.4} bits/token",
                b.order,
                b.smoothing,
                b.perplexity,
                b.cross_entropy_bits
            ),
            None => markup!("none: every model gives some test token probability 0"),
        },
    ));
    if !r.warnings.is_empty() {
        facts.push(("warnings", warnings(&r.warnings)));
    }
    facts.push((
        "time",
        markup!(
            "{:.2} s on {} threads (tokenize {:.2} s, count {:.2} s, models {:.2} s)",
            r.timings.total_seconds,
            r.timings.threads,
            r.timings.tokenize_seconds,
            r.timings.count_seconds,
            r.timings.models_seconds
        ),
    ));
    facts
}

/// One series per smoothing method, ordered by model order, of the figure `f` (`None`: infinite).
fn series(r: &CompareReport, f: &dyn Fn(&ModelEntry) -> Option<f64>) -> Vec<Series> {
    methods(r)
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
}

/// Which models' figures are infinite and so not drawn, for a caption (empty when none are).
fn not_drawn(r: &CompareReport) -> Html {
    let infinite: Vec<Html> = methods(r)
        .iter()
        .filter_map(|method| {
            let orders: Vec<String> = r
                .models
                .iter()
                .filter(|m| &m.smoothing == method && m.test.perplexity.is_none())
                .map(|m| m.order.to_string())
                .collect();
            (!orders.is_empty()).then(|| markup!("{} at order {}", method, orders.join(", ")))
        })
        .collect();
    if infinite.is_empty() {
        return Html::new();
    }
    markup!(
        " Not drawn, because some test token has probability 0 and the figure is infinite: {}.",
        join(infinite, "; ")
    )
}

fn chart(id: &str, title: &str, y_label: &str, y_scale: Scale, series: Vec<Series>, rules: Vec<Rule>) -> Chart {
    Chart {
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
    }
}

/// Perplexity, cross-entropy and bits per character against order, with their captions.
fn charts(r: &CompareReport) -> Vec<(Chart, Html)> {
    let true_rule = |value: Option<f64>| -> Vec<Rule> {
        value.map(|v| Rule { y: v, label: format!("true entropy rate {v:.4}"), color: "#444444" }).into_iter().collect()
    };
    let tok = r.tokenizer.kind.name();
    let not_drawn = not_drawn(r);
    let rate = r.true_entropy_rate.as_ref();
    vec![
        (
            chart(
                "perplexity",
                "Held-out perplexity by order",
                "perplexity (log scale)",
                Scale::Log,
                series(r, &|m| m.test.perplexity),
                rate.map(|t| t.bits_per_token.exp2()).map_or_else(Vec::new, |v| {
                    vec![Rule { y: v, label: format!("2^(true rate) = {v:.2}"), color: "#444444" }]
                }),
            ),
            markup!(
                "Perplexity 2<sup>H</sup> of the test text, per token (<code>{}</code>; <code>&lt;/s&gt;</code> counted).{}",
                tok,
                not_drawn
            ),
        ),
        (
            chart(
                "cross-entropy",
                "Held-out cross-entropy by order",
                "bits per token",
                Scale::Linear,
                series(r, &|m| m.test.cross_entropy_bits),
                true_rule(rate.map(|t| t.bits_per_token)),
            ),
            markup!(
                "Cross-entropy H in bits per token (<code>{}</code>). Every held-out cross-entropy is an upper bound on \
                 the source's entropy rate.{}",
                tok,
                not_drawn
            ),
        ),
        (
            chart(
                "bits-per-char",
                "Held-out bits per character by order",
                "bits per character",
                Scale::Linear,
                series(r, &|m| m.test.bits_per_char),
                true_rule(rate.map(|t| t.bits_per_char)),
            ),
            markup!(
                "Total bits over the characters of the test text (line ends included): comparable across tokenizers."
            ),
        ),
    ]
}

/// Every model's figures; the best one's row highlighted.
fn models_table(r: &CompareReport) -> Html {
    let mut t = Html::new();
    t.raw(
        r#"<table class="num"><tr><th>order</th><th>smoothing</th><th>n-grams (all orders)</th><th>bits/token</th><th>perplexity</th><th>ppl excl. OOV</th><th>OOV %</th><th>bits/char</th><th>bits/byte</th></tr>"#,
    );
    for m in &r.models {
        let best = r.best.as_ref().is_some_and(|b| b.order == m.order && b.smoothing == m.smoothing);
        t.raw(if best { r#"<tr class="best">"# } else { "<tr>" });
        put!(
            t,
            r#"<td>{}</td><td class="text">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3}</td><td>{}</td><td>{}</td></tr>"#,
            m.order,
            m.smoothing,
            count(m.ngrams.iter().sum()),
            num(m.test.cross_entropy_bits, 4),
            num(m.test.perplexity, 3),
            num(m.test.perplexity_excluding_oov, 3),
            100.0 * m.test.oov_rate,
            num(m.test.bits_per_char, 4),
            num(m.test.bits_per_byte, 4),
        );
    }
    t.raw("</table>");
    t
}
