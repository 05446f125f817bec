//! The page of a `shannon.entropy/1` report: facts, F_N against N and the rank–frequency plot, then the
//! tables behind them: N-gram entropies, the guessing game, Zipf's law, the extrapolation to N → ∞.

use shannon_eval::entropy::{ByEstimator, Estimator};
use shannon_report::entropy::{EntropyReport, GuessEntry};
use shannon_tokens::TokenKind;

use crate::html::{markup, put, Html};
use crate::page::{count, inputs, join, num, tokenizer, warnings, Page};
use crate::svg::{Band, Chart, Marker, Scale, Series};

pub(crate) fn page(r: &EntropyReport) -> Page {
    let max_n = max_order(r);
    let subtitle = markup!(
        "Shannon's N-gram entropies F<sub>0</sub>…F<sub>{}</sub> of <code>{}</code> symbols (|A| = {}), \
         the guessing game and Zipf's law.",
        max_n,
        r.tokenizer.kind.name(),
        r.alphabet.size
    );
    let mut page = Page::new(format!("shannon entropy · {}", r.corpus.name), subtitle, &r.schema, &r.tool.version);
    page.facts(&facts(r));
    page.h2("Entropy against order, and Zipf's law");
    page.charts(&[f_n_chart(r), rank_chart(r)]);
    page.h2("N-gram entropies F_N (bits per symbol; ± block-jackknife standard error)");
    page.push(&orders_table(r));
    if !r.guessing.is_empty() {
        page.h2("The guessing game (bits per symbol)");
        page.push(&guessing_table(r));
    }
    page.h2("Zipf's law and word entropy (bits per word)");
    page.facts(&zipf_facts(r));
    let x = &r.extrapolation;
    if !x.f.is_empty() || x.cross_entropy.is_some() {
        page.h2("Entropy rate: extrapolation to N → ∞");
        page.facts(&extrapolation_facts(r));
    }
    page
}

fn letters(r: &EntropyReport) -> bool {
    matches!(r.tokenizer.kind, TokenKind::Letters | TokenKind::Letters26)
}

fn max_order(r: &EntropyReport) -> usize {
    r.orders.iter().map(|o| o.n).max().unwrap_or(0)
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

/// What was measured and how.
fn facts(r: &EntropyReport) -> Vec<(&'static str, Html)> {
    let mut facts = vec![
        ("corpus", markup!("<strong>{}</strong>", r.corpus.name)),
        ("inputs", inputs(&r.corpus.inputs)),
        ("tokenizer", tokenizer(&r.tokenizer)),
        (
            "text",
            markup!("{} symbols, {} lines, {} bytes", count(r.text.tokens), count(r.corpus.lines), count(r.text.bytes)),
        ),
        ("alphabet", markup!("|A| = {} ({})", r.alphabet.size, r.alphabet.rule)),
        ("estimators", markup!("{}", r.methods.estimators)),
        ("support", markup!("{}", r.methods.unsupported)),
    ];
    if !r.guessing.is_empty() {
        facts.push(("guessing game", markup!("{}", r.methods.guessing)));
    }
    if !r.warnings.is_empty() {
        facts.push(("warnings", warnings(&r.warnings)));
    }
    facts.push(("time", markup!("{:.2} s on {} threads", r.timings.total_seconds, r.timings.threads)));
    facts
}

/// F_N against N: every estimator, the guessing game, Shannon's 1951 values; orders the data do not
/// support shaded.
fn f_n_chart(r: &EntropyReport) -> (Chart, Html) {
    let letters = letters(r);
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
        let g = |f: &dyn Fn(&GuessEntry) -> Option<f64>| -> Vec<(f64, f64)> {
            r.guessing
                .iter()
                .filter(|e| e.predictor.is_none())
                .map(|e| (e.n as f64, f(e).unwrap_or(f64::NAN)))
                .collect()
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
        let mixed: Vec<&GuessEntry> =
            r.guessing.iter().filter(|e| e.predictor.as_deref() == Some("infinigram+mkn")).collect();
        if !mixed.is_empty() {
            let pts = |f: &dyn Fn(&GuessEntry) -> f64| mixed.iter().map(|e| (e.n as f64, f(e))).collect();
            let mut upper = Series::new("∞-gram+mkn guessing: upper", pts(&|e| e.upper), "#1f4e9c");
            upper.dash = Some("7 4");
            let mut lower = Series::new("∞-gram+mkn guessing: lower", pts(&|e| e.lower), "#1f4e9c");
            lower.dash = Some("2 3");
            series.extend([upper, lower]);
        }
    }
    let published: Vec<(f64, f64)> = r.orders.iter().filter_map(|o| Some((o.n as f64, o.shannon_1951?))).collect();
    if !published.is_empty() {
        let mut p = Series::new("Shannon 1951 F_N", published, "#8B0000");
        p.line = false;
        p.marker = Marker::Diamond;
        series.push(p);
    }
    if letters && !r.shannon_1951.guessing.is_empty() {
        let shown = max_order(r).max(r.guessing.iter().map(|g| g.n).max().unwrap_or(0)).max(15);
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
    let chart = Chart {
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
    let mut caption = Html::new();
    caption.raw(
        "F<sub>N</sub> = H<sub>N</sub> − H<sub>N−1</sub> by every estimator (F<sub>0</sub> = log<sub>2</sub> |A|)",
    );
    if !r.guessing.is_empty() {
        caption.raw(
            "; the guessing game's bounds (Shannon 1951 eq. 17) and the predictor's held-out cross-entropy, against \
             the predictor's order N",
        );
    }
    if letters {
        caption.raw("; Shannon's published F<sub>N</sub> and guessing bounds (1951) in dark red");
    }
    put!(
        caption,
        ". The shaded orders are not supported by the data (Good–Turing coverage below {}).",
        r.settings.min_coverage
    );
    (chart, caption)
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

/// The most ranks the fitted law is normalized over on a page (a vocabulary of ten million words).
const MAX_DRAWN_RANKS: u64 = 10_000_000;

/// Rank against frequency, log–log: the corpus's words, the fitted Zipf–Mandelbrot law and Shannon's
/// p_n = 0.1/n.
fn rank_chart(r: &EntropyReport) -> (Chart, Html) {
    let z = &r.zipf;
    let ranks: Vec<(f64, f64)> = z
        .rank_frequency
        .iter()
        .map(|&(rank, n)| (rank as f64, n as f64))
        .filter(|&(rank, n)| rank >= 1.0 && n > 0.0)
        .collect();
    // The laws first (drawn on top), then the data under them.
    let mut series = Vec::new();
    if let Some(fit) = &z.fit {
        // The law is drawn over the ranks the corpus has; a report's numbers are not trusted to bound the
        // work (a fuzzed report with 5·10^8 ranks made this sum run for minutes).
        let ranks = fit.ranks.min(z.types.min(MAX_DRAWN_RANKS) as usize);
        let rs = log_ranks(ranks, 40.0);
        let norm: f64 = (1..=ranks).map(|r| (r as f64 + fit.q).powf(-fit.s)).sum();
        let points = rs.iter().map(|&r| (r as f64, fit.n as f64 * (r as f64 + fit.q).powf(-fit.s) / norm)).collect();
        let mut s = Series::new("Zipf–Mandelbrot fit", points, "#D55E00");
        s.marker = Marker::None;
        s.dash = Some("7 4");
        series.push(s);
    }
    if z.tokens > 0 {
        let top = z.shannon_model.critical_rank.min(z.types.max(1) as usize);
        let points = log_ranks(top, 20.0).iter().map(|&r| (r as f64, z.tokens as f64 * 0.1 / r as f64)).collect();
        let mut s = Series::new("Shannon: p_n = 0.1/n", points, "#8B0000");
        s.marker = Marker::None;
        s.dash = Some("2 3");
        series.push(s);
    }
    if !ranks.is_empty() {
        let mut data = Series::new("corpus", ranks.clone(), "#0072B2");
        data.marker = Marker::None;
        series.push(data);
    }
    let chart = Chart {
        id: "rank-frequency".into(),
        title: "Rank–frequency of words (log–log)".into(),
        x_label: "rank r".into(),
        y_label: "frequency (occurrences)".into(),
        x_scale: Scale::Log,
        y_scale: Scale::Log,
        integer_x: false,
        series,
        rules: vec![],
        bands: vec![],
    };
    let mut caption = Html::new();
    caption.raw(if ranks.is_empty() {
        "This report carries no rank–frequency data (<code>zipf.rank_frequency</code>); only the laws are drawn."
    } else {
        "Each word's number of occurrences against its rank."
    });
    put!(caption, " Words are {}: {} tokens, {} types.", z.words, count(z.tokens), count(z.types));
    if let Some(f) = &z.fit {
        put!(
            caption,
            " Maximum-likelihood Zipf–Mandelbrot law p(r) ∝ (r {} {:.3})<sup>−{:.3}</sup> over {} ranks: {:.3} bits/word.",
            if f.q < 0.0 { "−" } else { "+" },
            f.q.abs(),
            f.s,
            count(f.ranks as u64),
            f.entropy_bits
        );
    }
    put!(
        caption,
        " Shannon's p<sub>n</sub> = 0.1/n (to rank {}) scaled to the corpus.",
        count(z.shannon_model.critical_rank as u64)
    );
    (chart, caption)
}

/// One cell per estimator: the value, with its standard error when there is one.
fn by_estimator_cells(v: &ByEstimator, se: Option<&ByEstimator>) -> Html {
    let mut cells = Html::new();
    for &e in Estimator::ALL.iter() {
        match (v.get(e), se.and_then(|s| s.get(e))) {
            (Some(x), Some(err)) if err > 0.0 && err.is_finite() => {
                put!(cells, "<td>{:.3}<span class=\"se\"> ±{:.3}</span></td>", x, err)
            }
            (Some(x), _) => put!(cells, "<td>{:.3}</td>", x),
            (None, _) => {
                cells.raw("<td>—</td>");
            }
        }
    }
    cells
}

/// F_N per order and estimator, with the counts behind them; unsupported orders greyed.
fn orders_table(r: &EntropyReport) -> Html {
    let mut t = Html::new();
    t.raw(r#"<table class="num"><tr><th>N</th><th>blocks</th><th>distinct</th><th>singletons</th><th>coverage</th>"#);
    for e in Estimator::ALL {
        put!(t, "<th>{}</th>", estimator_name(e));
    }
    t.raw("<th>Shannon 1951</th></tr>");
    for o in &r.orders {
        t.raw(if o.supported { "<tr>" } else { r#"<tr class="unsupported">"# });
        put!(
            t,
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.4}</td>{}<td>{}</td></tr>",
            o.n,
            count(o.blocks),
            count(o.distinct),
            count(o.singletons),
            o.coverage,
            by_estimator_cells(&o.f, Some(&o.f_se)),
            o.shannon_1951.map(|v| format!("{v:.2}")).unwrap_or_else(|| "—".into()),
        );
    }
    t.raw("</table>");
    t
}

/// The guessing game's bounds per order, beside Shannon's.
fn guessing_table(r: &EntropyReport) -> Html {
    let mut t = Html::new();
    t.raw(
        r#"<table class="num"><tr><th>N</th><th>symbols</th><th>lower</th><th>upper</th><th>model cross-entropy</th><th>Shannon 1951 lower</th><th>Shannon 1951 upper</th></tr>"#,
    );
    for g in r.guessing.iter().filter(|g| g.predictor.is_none()) {
        put!(
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
    t.raw("</table>");
    let pure: Vec<&GuessEntry> = r.guessing.iter().filter(|g| g.predictor.as_deref() == Some("infinigram")).collect();
    if !pure.is_empty() {
        let mixed: Vec<&GuessEntry> =
            r.guessing.iter().filter(|g| g.predictor.as_deref() == Some("infinigram+mkn")).collect();
        t.raw(
            r#"<p>The ∞-gram of a suffix-array index of the training part, and its interpolation with mkn:</p><table class="num"><tr><th>N</th><th>mean context</th><th>∞-gram lower</th><th>∞-gram upper</th><th>+mkn lower</th><th>+mkn upper</th><th>+mkn cross-entropy</th><th>Shannon 1951 lower</th><th>Shannon 1951 upper</th></tr>"#,
        );
        for (i, g) in pure.iter().enumerate() {
            let m = mixed.get(i);
            put!(
                t,
                "<tr><td>{}</td><td>{:.2}</td><td>{:.3}</td><td>{:.3}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                g.n,
                g.mean_context.unwrap_or(0.0),
                g.lower,
                g.upper,
                num(m.map(|m| m.lower), 3),
                num(m.map(|m| m.upper), 3),
                num(m.and_then(|m| m.cross_entropy_bits), 3),
                g.shannon_lower.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into()),
                g.shannon_upper.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into()),
            );
        }
        t.raw("</table>");
    }
    t
}

/// Shannon's Zipf model of word entropy, the corpus's words and the fitted law.
fn zipf_facts(r: &EntropyReport) -> Vec<(&'static str, Html)> {
    let z = &r.zipf;
    let m = &z.shannon_model;
    vec![
        (
            "Shannon's model",
            markup!(
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
        ("why not 11.82", markup!("{}", z.why_not_published)),
        (
            "the corpus's words",
            markup!(
                "{}: {} tokens, {} types, mean length {:.2} characters, coverage {:.4}",
                z.words,
                count(z.tokens),
                count(z.types),
                z.mean_word_length,
                z.empirical_coverage
            ),
        ),
        (
            "empirical word entropy",
            join(
                Estimator::ALL.iter().filter_map(|&e| Some(markup!("{} {:.3}", estimator_name(e), z.empirical.get(e)?))),
                " · ",
            ),
        ),
        (
            "Zipf–Mandelbrot fit",
            match (&z.fit, &z.fit_error) {
                (Some(f), _) => markup!(
                    "s = {:.4}, q = {:.3}, {} ranks, N = {}: entropy of the fitted law <strong>{:.3}</strong> bits/word",
                    f.s,
                    f.q,
                    count(f.ranks as u64),
                    count(f.n),
                    f.entropy_bits
                ),
                (None, Some(e)) => markup!("no fit: {}", e),
                (None, None) => markup!("no fit"),
            },
        ),
    ]
}

/// The fits of F_N and of the cross-entropies against N, extrapolated to N → ∞.
fn extrapolation_facts(r: &EntropyReport) -> Vec<(&'static str, Html)> {
    let x = &r.extrapolation;
    let mut rows = vec![("ansatz", markup!("{}", x.ansatz))];
    let fits: Vec<Html> =
        x.f.iter()
            .map(|f| match (&f.power_law, &f.error) {
                (Some(p), _) => markup!(
                    "{}: h = <strong>{:.3}</strong> (A = {:.3}, α = {:.3}, rms {:.4}, {} points)",
                    f.estimator,
                    p.h,
                    p.a,
                    p.alpha,
                    p.rms,
                    p.points
                ),
                (None, e) => markup!("{}: no fit ({})", f.estimator, e.as_deref().unwrap_or("—")),
            })
            .collect();
    if !fits.is_empty() {
        rows.push(("F_N fits", join(fits, "<br>")));
    }
    if let Some(c) = &x.cross_entropy {
        let mut parts = Vec::new();
        if let Some(p) = &c.power_law {
            parts.push(markup!("power law: h = <strong>{:.3}</strong> (α = {:.3}, rms {:.4})", p.h, p.alpha, p.rms));
        }
        if let Some(p) = &c.stretched_exponential {
            parts.push(markup!(
                "stretched exponential: h = <strong>{:.3}</strong> (β = {:.3}, rms {:.4})",
                p.h,
                p.beta,
                p.rms
            ));
        }
        parts.extend(c.errors.iter().map(|e| markup!("{}", e)));
        rows.push(("cross-entropy fits", join(parts, "<br>")));
    }
    rows
}
