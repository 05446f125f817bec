//! Line charts as hand-written SVG, for the HTML pages of this crate.
//!
//! **In:** a [`Chart`]: series of (x, y) points, linear or logarithmic axes, reference lines.
//! **Out:** one `<svg>` element as a string, with a `viewBox` so the page can scale it, no scripts, no
//! external fonts or styles: the page stays self-contained and renders the same offline.
//!
//! Invariants: series are drawn last to first, so the first is on top; a point whose x or y is not finite
//! (or not positive on a log axis) is left out and breaks its series' line, so an infinite perplexity never
//! drags an axis to infinity; output is deterministic (numbers are printed with fixed precision); every
//! drawn series is a `<path class="series">` and every chart an `<svg class="chart" data-chart="…">`, which
//! the browser test looks for.

use std::fmt::Write as _;

/// How an axis maps values to positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Evenly spaced values.
    Linear,
    /// Evenly spaced powers of ten; only positive values are drawn.
    Log,
}

/// How a series marks its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// No marks (a long curve).
    None,
    /// A filled circle.
    Circle,
    /// A filled square.
    Square,
    /// An open diamond.
    Diamond,
}

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points in data units, drawn in the order given.
    pub points: Vec<(f64, f64)>,
    /// CSS colour.
    pub color: &'static str,
    /// SVG `stroke-dasharray`, for a dashed line.
    pub dash: Option<&'static str>,
    /// Point marks.
    pub marker: Marker,
    /// Whether the points are joined by a line.
    pub line: bool,
}

impl Series {
    /// A solid line with circles.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>, color: &'static str) -> Series {
        Series { name: name.into(), points, color, dash: None, marker: Marker::Circle, line: true }
    }
}

/// A horizontal reference line across the plot (a true entropy rate, a published figure).
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its value on the y axis.
    pub y: f64,
    /// Label, drawn above the line at the right.
    pub label: String,
    /// CSS colour.
    pub color: &'static str,
}

/// A shaded vertical band, from `x0` to `x1` (a range of orders the data do not support).
#[derive(Debug, Clone)]
pub struct Band {
    /// Left edge, data units.
    pub x0: f64,
    /// Right edge, data units.
    pub x1: f64,
    /// Label, drawn at the band's top.
    pub label: String,
}

/// A line chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Identifies the chart in the page (`data-chart`).
    pub id: String,
    /// Title above the plot.
    pub title: String,
    /// Label under the x axis, with units.
    pub x_label: String,
    /// Label beside the y axis, with units.
    pub y_label: String,
    /// Scale of the x axis.
    pub x_scale: Scale,
    /// Scale of the y axis.
    pub y_scale: Scale,
    /// Ticks on the x axis only at whole numbers (orders).
    pub integer_x: bool,
    /// The lines.
    pub series: Vec<Series>,
    /// Horizontal reference lines.
    pub rules: Vec<Rule>,
    /// Shaded vertical bands, drawn under everything else.
    pub bands: Vec<Band>,
}

/// Colour-blind-safe colours (Okabe & Ito 2008), darkest first; yellow left out for contrast on white.
pub const PALETTE: [&str; 7] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 400.0;
const LEFT: f64 = 68.0;
const RIGHT: f64 = 460.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 340.0;
const PAD: f64 = 10.0;

/// An axis: a scale, a domain in data units and its ticks.
struct Axis {
    scale: Scale,
    lo: f64,
    hi: f64,
    ticks: Vec<(f64, String)>,
}

impl Axis {
    fn new(scale: Scale, values: impl Iterator<Item = f64> + Clone, integer: bool) -> Axis {
        let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        if !lo.is_finite() {
            // Nothing to draw: a unit domain keeps the axes sensible.
            (lo, hi) = if scale == Scale::Log { (1.0, 10.0) } else { (0.0, 1.0) };
        }
        match scale {
            Scale::Linear => {
                if hi - lo < 1e-12 * hi.abs().max(1.0) {
                    let d = if integer { 1.0 } else { (lo.abs() * 0.1).max(0.5) };
                    lo -= d;
                    hi += d;
                }
                let mut step = nice_step((hi - lo) / 5.0);
                if integer {
                    step = step.max(1.0).round();
                }
                let (lo, hi) = if integer { (lo, hi) } else { ((lo / step).floor() * step, (hi / step).ceil() * step) };
                let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
                let first = (lo / step).ceil() as i64;
                let last = (hi / step + 1e-9).floor() as i64;
                let ticks = (first..=last).map(|k| k as f64 * step).map(|v| (v, format!("{v:.decimals$}"))).collect();
                Axis { scale, lo, hi, ticks }
            }
            Scale::Log => {
                let (mut a, mut b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
                if a == b {
                    a -= 1;
                    b += 1;
                }
                let mut ticks: Vec<(f64, String)> = (a..=b).map(|e| (10f64.powi(e), pow10_label(e))).collect();
                if b - a <= 2 {
                    for e in a..b {
                        for m in [2.0, 5.0] {
                            let v = m * 10f64.powi(e);
                            ticks.push((v, plain_number(v)));
                        }
                    }
                    ticks.sort_by(|x, y| x.0.total_cmp(&y.0));
                }
                Axis { scale, lo: 10f64.powi(a), hi: 10f64.powi(b), ticks }
            }
        }
    }

    /// Position of `v` in [0, 1] of the axis.
    fn frac(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Linear => (v - self.lo) / (self.hi - self.lo),
            Scale::Log => (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10()),
        }
    }

    fn accepts(&self, v: f64) -> bool {
        v.is_finite() && (self.scale == Scale::Linear || v > 0.0)
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw.is_nan() || raw <= 0.0 || raw.is_infinite() {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * p).find(|&s| s >= raw * (1.0 - 1e-9)).unwrap_or(10.0 * p)
}

fn pow10_label(e: i32) -> String {
    if (0..=4).contains(&e) {
        return format!("{}", 10u64.pow(e as u32));
    }
    if (-2..0).contains(&e) {
        return plain_number(10f64.powi(e));
    }
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut s = String::from("10");
    if e < 0 {
        s.push('⁻');
    }
    for d in e.unsigned_abs().to_string().bytes() {
        s.push(SUP[(d - b'0') as usize]);
    }
    s
}

fn plain_number(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Escapes text for XML and HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

impl Chart {
    /// The chart as one `<svg>` element.
    pub fn to_svg(&self) -> String {
        let xs = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
        let ys = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).chain(self.rules.iter().map(|r| r.y));
        let x_ok = |v: &f64| v.is_finite() && (self.x_scale == Scale::Linear || *v > 0.0);
        let y_ok = |v: &f64| v.is_finite() && (self.y_scale == Scale::Linear || *v > 0.0);
        let x = Axis::new(self.x_scale, xs.filter(x_ok), self.integer_x);
        let y = Axis::new(self.y_scale, ys.filter(y_ok), false);
        let px = |v: f64| LEFT + PAD + x.frac(v) * (RIGHT - LEFT - 2.0 * PAD);
        let py = |v: f64| BOTTOM - PAD - y.frac(v) * (BOTTOM - TOP - 2.0 * PAD);

        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg class="chart" data-chart="{id}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{title}">"#,
            id = escape(&self.id),
            title = escape(&self.title),
        );
        let _ = write!(s, r#"<title>{}</title>"#, escape(&self.title));
        let _ = write!(s, r##"<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>"##);
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="24" font-size="15" font-weight="600" fill="#222">{}</text>"##,
            LEFT,
            escape(&self.title)
        );
        // Bands, under the grid.
        for b in &self.bands {
            let clamp = |v: f64| v.clamp(LEFT, RIGHT);
            let (a, z) = (clamp(px(b.x0)), clamp(px(b.x1)));
            if z > a {
                let _ = write!(
                    s,
                    r##"<g class="band"><rect x="{a:.1}" y="{TOP}" width="{:.1}" height="{}" fill="#efefef"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#777">{}</text></g>"##,
                    z - a,
                    BOTTOM - TOP,
                    (a + z) / 2.0,
                    TOP + 14.0,
                    escape(&b.label)
                );
            }
        }
        // Grid and ticks.
        s.push_str(r##"<g class="grid" stroke="#e4e4e4" stroke-width="1">"##);
        for (v, _) in &x.ticks {
            let _ = write!(s, r#"<line x1="{0:.1}" y1="{TOP}" x2="{0:.1}" y2="{BOTTOM}"/>"#, px(*v));
        }
        for (v, _) in &y.ticks {
            let _ = write!(s, r#"<line x1="{LEFT}" y1="{0:.1}" x2="{RIGHT}" y2="{0:.1}"/>"#, py(*v));
        }
        s.push_str("</g>");
        let _ = write!(
            s,
            r##"<rect x="{LEFT}" y="{TOP}" width="{}" height="{}" fill="none" stroke="#444" stroke-width="1"/>"##,
            RIGHT - LEFT,
            BOTTOM - TOP
        );
        s.push_str(r##"<g class="ticks" font-size="11" fill="#333">"##);
        for (v, label) in &x.ticks {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                px(*v),
                BOTTOM + 16.0,
                escape(label)
            );
        }
        for (v, label) in &y.ticks {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                LEFT - 6.0,
                py(*v) + 4.0,
                escape(label)
            );
        }
        s.push_str("</g>");
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#222">{}</text>"##,
            (LEFT + RIGHT) / 2.0,
            BOTTOM + 36.0,
            escape(&self.x_label)
        );
        let _ = write!(
            s,
            r##"<text transform="translate(18 {:.1}) rotate(-90)" font-size="12" text-anchor="middle" fill="#222">{}</text>"##,
            (TOP + BOTTOM) / 2.0,
            escape(&self.y_label)
        );
        // Reference lines.
        for r in self.rules.iter().filter(|r| y.accepts(r.y)) {
            let yy = py(r.y);
            let _ = write!(
                s,
                r#"<g class="rule"><line x1="{LEFT}" y1="{yy:.1}" x2="{RIGHT}" y2="{yy:.1}" stroke="{c}" stroke-width="1.5" stroke-dasharray="2 3"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="{c}">{}</text></g>"#,
                RIGHT - 4.0,
                yy - 4.0,
                escape(&r.label),
                c = r.color
            );
        }
        // Series, clipped to the plot.
        let _ = write!(
            s,
            r#"<clipPath id="clip-{id}"><rect x="{LEFT}" y="{TOP}" width="{}" height="{}"/></clipPath><g clip-path="url(#clip-{id})">"#,
            RIGHT - LEFT,
            BOTTOM - TOP,
            id = escape(&self.id)
        );
        // Last series first, so the first (the one a reader looks for) is drawn on top.
        for series in self.series.iter().rev() {
            let dash = series.dash.map(|d| format!(r#" stroke-dasharray="{d}""#)).unwrap_or_default();
            if series.line {
                // Runs of drawable points; a run of one point is left to its marker (a path through a single
                // point has no extent).
                let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
                for &(vx, vy) in &series.points {
                    if x.accepts(vx) && y.accepts(vy) {
                        runs.last_mut().expect("a run").push((px(vx), py(vy)));
                    } else if !runs.last().expect("a run").is_empty() {
                        runs.push(Vec::new());
                    }
                }
                let mut d = String::new();
                for run in runs.iter().filter(|r| r.len() >= 2) {
                    for (i, (qx, qy)) in run.iter().enumerate() {
                        let _ = write!(d, "{}{qx:.2} {qy:.2}", if i == 0 { " M" } else { " L" });
                    }
                }
                if !d.is_empty() {
                    let _ = write!(
                        s,
                        r#"<path class="series" data-series="{}" d="{}" fill="none" stroke="{}" stroke-width="2"{dash} stroke-linejoin="round"/>"#,
                        escape(&series.name),
                        d.trim_start(),
                        series.color
                    );
                }
            }
            if series.marker != Marker::None {
                let _ =
                    write!(s, r#"<g class="marks" data-series="{}" fill="{}">"#, escape(&series.name), series.color);
                for &(vx, vy) in series.points.iter().filter(|p| x.accepts(p.0) && y.accepts(p.1)) {
                    let (cx, cy) = (px(vx), py(vy));
                    let tip = format!("<title>{}: {} → {}</title>", escape(&series.name), plain_number(vx), short(vy));
                    let _ = match series.marker {
                        Marker::Circle => write!(s, r#"<circle cx="{cx:.2}" cy="{cy:.2}" r="3.5">{tip}</circle>"#),
                        Marker::Square => write!(
                            s,
                            r#"<rect x="{:.2}" y="{:.2}" width="7" height="7">{tip}</rect>"#,
                            cx - 3.5,
                            cy - 3.5
                        ),
                        Marker::Diamond => write!(
                            s,
                            r##"<path d="M{cx:.2} {:.2} L{:.2} {cy:.2} L{cx:.2} {:.2} L{:.2} {cy:.2} Z" fill="#ffffff" stroke="{}" stroke-width="1.5">{tip}</path>""##,
                            cy - 5.0,
                            cx + 5.0,
                            cy + 5.0,
                            cx - 5.0,
                            series.color
                        ),
                        Marker::None => Ok(()),
                    };
                }
                s.push_str("</g>");
            }
        }
        s.push_str("</g>");
        // Legend, right of the plot.
        s.push_str(r##"<g class="legend" font-size="12" fill="#222">"##);
        for (i, series) in self.series.iter().enumerate() {
            let step = (20.0f64).min((BOTTOM - TOP - 8.0) / self.series.len().max(1) as f64);
            let ly = TOP + 8.0 + step * i as f64;
            let dash = series.dash.map(|d| format!(r#" stroke-dasharray="{d}""#)).unwrap_or_default();
            let (x0, x1) = (RIGHT + 14.0, RIGHT + 40.0);
            if series.line {
                let _ = write!(
                    s,
                    r#"<line x1="{x0}" y1="{ly:.1}" x2="{x1}" y2="{ly:.1}" stroke="{}" stroke-width="2"{dash}/>"#,
                    series.color
                );
            }
            let mx = (x0 + x1) / 2.0;
            let _ = match series.marker {
                Marker::Circle => write!(s, r#"<circle cx="{mx}" cy="{ly:.1}" r="3.5" fill="{}"/>"#, series.color),
                Marker::Square => {
                    write!(
                        s,
                        r#"<rect x="{}" y="{:.1}" width="7" height="7" fill="{}"/>"#,
                        mx - 3.5,
                        ly - 3.5,
                        series.color
                    )
                }
                Marker::Diamond => write!(
                    s,
                    r##"<path d="M{mx} {:.1} L{} {ly:.1} L{mx} {:.1} L{} {ly:.1} Z" fill="#ffffff" stroke="{}" stroke-width="1.5"/>"##,
                    ly - 5.0,
                    mx + 5.0,
                    ly + 5.0,
                    mx - 5.0,
                    series.color
                ),
                Marker::None => Ok(()),
            };
            let _ = write!(s, r#"<text x="{}" y="{:.1}">{}</text>"#, x1 + 6.0, ly + 4.0, escape(&series.name));
        }
        s.push_str("</g></svg>");
        s
    }
}

/// A value with four significant digits.
fn short(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-3) {
        format!("{v:.3e}")
    } else {
        let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
        format!("{v:.digits$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_five() {
        assert_eq!(nice_step(0.3), 0.5);
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(nice_step(1.1), 2.0);
        assert_eq!(nice_step(37.0), 50.0);
        assert_eq!(nice_step(0.0), 1.0);
    }

    #[test]
    fn axes_cover_the_data_with_round_ticks() {
        let a = Axis::new(Scale::Linear, [3.21, 7.9].into_iter(), false);
        assert_eq!((a.lo, a.hi), (3.0, 8.0));
        assert_eq!(a.ticks.first().unwrap().1, "3");
        let o = Axis::new(Scale::Linear, [1.0, 5.0].into_iter(), true);
        assert_eq!(o.ticks.iter().map(|t| t.1.as_str()).collect::<Vec<_>>(), ["1", "2", "3", "4", "5"]);
        let l = Axis::new(Scale::Log, [15.0, 153.6].into_iter(), false);
        assert_eq!((l.lo, l.hi), (10.0, 1000.0));
        assert!(l.ticks.iter().any(|t| t.1 == "20"));
        let big = Axis::new(Scale::Log, [1.0, 2e6].into_iter(), false);
        assert_eq!(big.ticks.last().unwrap().1, "10⁷");
        // A single value still gives an axis with extent.
        let one = Axis::new(Scale::Linear, [4.0].into_iter(), false);
        assert!(one.lo < 4.0 && one.hi > 4.0);
    }

    #[test]
    fn infinite_points_break_the_line_and_are_not_drawn() {
        let chart = Chart {
            id: "t".into(),
            title: "a <b> & c".into(),
            x_label: "order".into(),
            y_label: "bits".into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Log,
            integer_x: true,
            series: vec![Series::new(
                "mkn",
                vec![(1.0, 150.0), (2.0, f64::INFINITY), (3.0, 15.0), (4.0, 14.0)],
                PALETTE[0],
            )],
            rules: vec![Rule { y: 13.0, label: "true".into(), color: PALETTE[6] }],
            bands: vec![],
        };
        let svg = chart.to_svg();
        assert!(svg.contains("a &lt;b&gt; &amp; c"));
        let d = svg.split(r#"class="series" data-series="mkn" d=""#).nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(d.matches('M').count(), 1, "{d}");
        assert_eq!(d.matches('L').count(), 1, "{d}");
        assert_eq!(svg.matches("<circle").count(), 3 + 1, "three points and the legend's mark");
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }
}
