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

use crate::html::{markup, put, Html};

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

/// More ticks than an axis ever has (about five, up to a dozen on an axis of orders).
const MAX_TICKS: usize = 64;

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
                // Values near ±f64::MAX (a report can hold any finite number): the width of the domain
                // overflows, and so may rounding its ends outwards; the data's own ends are then kept. Either
                // way a handful of ticks, never one per unit of an infinite domain.
                let fifth = if (hi - lo).is_finite() { (hi - lo) / 5.0 } else { hi / 5.0 - lo / 5.0 };
                let mut step = nice_step(fifth);
                if integer {
                    step = step.max(1.0).round();
                }
                let rounded = ((lo / step).floor() * step, (hi / step).ceil() * step);
                let (lo, hi) = if integer || !(rounded.1 - rounded.0).is_finite() { (lo, hi) } else { rounded };
                let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
                let first = (lo / step).ceil() as i64;
                let last = (hi / step + 1e-9).floor() as i64;
                let ticks = (first..=last)
                    .take(MAX_TICKS)
                    .map(|k| k as f64 * step)
                    .map(|v| (v, format!("{v:.decimals$}")))
                    .collect();
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

impl Chart {
    /// The chart as one `<svg>` element.
    pub fn to_svg(&self) -> Html {
        let xs = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
        let ys = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).chain(self.rules.iter().map(|r| r.y));
        let x_ok = |v: &f64| v.is_finite() && (self.x_scale == Scale::Linear || *v > 0.0);
        let y_ok = |v: &f64| v.is_finite() && (self.y_scale == Scale::Linear || *v > 0.0);
        let x = Axis::new(self.x_scale, xs.filter(x_ok), self.integer_x);
        let y = Axis::new(self.y_scale, ys.filter(y_ok), false);
        let frame = Frame { x, y };

        let mut s = Html::new();
        put!(
            s,
            r#"<svg class="chart" data-chart="{0}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {1} {2}" role="img" aria-label="{3}">"#,
            self.id,
            WIDTH,
            HEIGHT,
            self.title,
        );
        put!(s, r#"<title>{}</title>"#, self.title);
        put!(s, r##"<rect x="0" y="0" width="{0}" height="{1}" fill="#ffffff"/>"##, WIDTH, HEIGHT);
        put!(s, r##"<text x="{:.1}" y="24" font-size="15" font-weight="600" fill="#222">{}</text>"##, LEFT, self.title);
        self.bands(&mut s, &frame);
        self.axes(&mut s, &frame);
        self.rules(&mut s, &frame);
        self.lines(&mut s, &frame);
        self.legend(&mut s);
        s.raw("</svg>");
        s
    }

    /// Shaded bands, under the grid.
    fn bands(&self, s: &mut Html, f: &Frame) {
        for b in &self.bands {
            let clamp = |v: f64| v.clamp(LEFT, RIGHT);
            let (a, z) = (clamp(f.px(b.x0)), clamp(f.px(b.x1)));
            if z > a {
                put!(
                    s,
                    r##"<g class="band"><rect x="{:.1}" y="{}" width="{:.1}" height="{}" fill="#efefef"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#777">{}</text></g>"##,
                    a,
                    TOP,
                    z - a,
                    BOTTOM - TOP,
                    (a + z) / 2.0,
                    TOP + 14.0,
                    b.label
                );
            }
        }
    }

    /// Grid, frame, tick labels and axis labels.
    fn axes(&self, s: &mut Html, f: &Frame) {
        s.raw(r##"<g class="grid" stroke="#e4e4e4" stroke-width="1">"##);
        for (v, _) in &f.x.ticks {
            put!(s, r#"<line x1="{0:.1}" y1="{1}" x2="{0:.1}" y2="{2}"/>"#, f.px(*v), TOP, BOTTOM);
        }
        for (v, _) in &f.y.ticks {
            put!(s, r#"<line x1="{1}" y1="{0:.1}" x2="{2}" y2="{0:.1}"/>"#, f.py(*v), LEFT, RIGHT);
        }
        s.raw("</g>");
        put!(
            s,
            r##"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#444" stroke-width="1"/>"##,
            LEFT,
            TOP,
            RIGHT - LEFT,
            BOTTOM - TOP
        );
        s.raw(r##"<g class="ticks" font-size="11" fill="#333">"##);
        for (v, label) in &f.x.ticks {
            put!(s, r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#, f.px(*v), BOTTOM + 16.0, label);
        }
        for (v, label) in &f.y.ticks {
            put!(s, r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#, LEFT - 6.0, f.py(*v) + 4.0, label);
        }
        s.raw("</g>");
        put!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#222">{}</text>"##,
            (LEFT + RIGHT) / 2.0,
            BOTTOM + 36.0,
            self.x_label
        );
        put!(
            s,
            r##"<text transform="translate(18 {:.1}) rotate(-90)" font-size="12" text-anchor="middle" fill="#222">{}</text>"##,
            (TOP + BOTTOM) / 2.0,
            self.y_label
        );
    }

    /// Horizontal reference lines with their labels.
    fn rules(&self, s: &mut Html, f: &Frame) {
        for r in self.rules.iter().filter(|r| f.y.accepts(r.y)) {
            let yy = f.py(r.y);
            put!(
                s,
                r#"<g class="rule"><line x1="{0}" y1="{1:.1}" x2="{2}" y2="{1:.1}" stroke="{3}" stroke-width="1.5" stroke-dasharray="2 3"/><text x="{4:.1}" y="{5:.1}" font-size="11" text-anchor="end" fill="{3}">{6}</text></g>"#,
                LEFT,
                yy,
                RIGHT,
                r.color,
                RIGHT - 4.0,
                yy - 4.0,
                r.label,
            );
        }
    }

    /// The series, clipped to the plot: last first, so the first (the one a reader looks for) is on top.
    fn lines(&self, s: &mut Html, f: &Frame) {
        put!(
            s,
            r#"<clipPath id="clip-{0}"><rect x="{1}" y="{2}" width="{3}" height="{4}"/></clipPath><g clip-path="url(#clip-{0})">"#,
            self.id,
            LEFT,
            TOP,
            RIGHT - LEFT,
            BOTTOM - TOP,
        );
        for series in self.series.iter().rev() {
            if series.line {
                line(s, f, series);
            }
            if series.marker != Marker::None {
                marks(s, f, series);
            }
        }
        s.raw("</g>");
    }

    /// The legend, right of the plot.
    fn legend(&self, s: &mut Html) {
        s.raw(r##"<g class="legend" font-size="12" fill="#222">"##);
        for (i, series) in self.series.iter().enumerate() {
            let step = (20.0f64).min((BOTTOM - TOP - 8.0) / self.series.len().max(1) as f64);
            let ly = TOP + 8.0 + step * i as f64;
            let (x0, x1) = (RIGHT + 14.0, RIGHT + 40.0);
            if series.line {
                put!(
                    s,
                    r#"<line x1="{}" y1="{:.1}" x2="{}" y2="{:.1}" stroke="{}" stroke-width="2"{}/>"#,
                    x0,
                    ly,
                    x1,
                    ly,
                    series.color,
                    dash(series)
                );
            }
            let mx = (x0 + x1) / 2.0;
            let c = series.color;
            match series.marker {
                Marker::Circle => put!(s, r#"<circle cx="{}" cy="{:.1}" r="3.5" fill="{}"/>"#, mx, ly, c),
                Marker::Square => {
                    put!(s, r#"<rect x="{}" y="{:.1}" width="7" height="7" fill="{}"/>"#, mx - 3.5, ly - 3.5, c)
                }
                Marker::Diamond => put!(
                    s,
                    r##"<path d="M{0} {1:.1} L{2} {3:.1} L{0} {4:.1} L{5} {3:.1} Z" fill="#ffffff" stroke="{6}" stroke-width="1.5"/>"##,
                    mx,
                    ly - 5.0,
                    mx + 5.0,
                    ly,
                    ly + 5.0,
                    mx - 5.0,
                    c
                ),
                Marker::None => {}
            }
            put!(s, r#"<text x="{}" y="{:.1}">{}</text>"#, x1 + 6.0, ly + 4.0, series.name);
        }
        s.raw("</g>");
    }
}

/// The two axes of a chart, and where data lands in the SVG's coordinates.
struct Frame {
    x: Axis,
    y: Axis,
}

impl Frame {
    fn px(&self, v: f64) -> f64 {
        LEFT + PAD + self.x.frac(v) * (RIGHT - LEFT - 2.0 * PAD)
    }

    fn py(&self, v: f64) -> f64 {
        BOTTOM - PAD - self.y.frac(v) * (BOTTOM - TOP - 2.0 * PAD)
    }
}

/// ` stroke-dasharray="…"` for a dashed series, else nothing.
fn dash(series: &Series) -> Html {
    series.dash.map(|d| markup!(r#" stroke-dasharray="{}""#, d)).unwrap_or_default()
}

/// A series' line: runs of drawable points; a run of one point is left to its marker (a path through a
/// single point has no extent).
fn line(s: &mut Html, f: &Frame, series: &Series) {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for &(vx, vy) in &series.points {
        if f.x.accepts(vx) && f.y.accepts(vy) {
            runs.last_mut().expect("a run").push((f.px(vx), f.py(vy)));
        } else if !runs.last().expect("a run").is_empty() {
            runs.push(Vec::new());
        }
    }
    let mut d = Html::new();
    for run in runs.iter().filter(|r| r.len() >= 2) {
        for (i, (qx, qy)) in run.iter().enumerate() {
            if i == 0 && d.is_empty() {
                put!(d, "M{:.2} {:.2}", qx, qy);
            } else {
                put!(d, " {}{:.2} {:.2}", if i == 0 { "M" } else { "L" }, qx, qy);
            }
        }
    }
    if !d.is_empty() {
        put!(
            s,
            r#"<path class="series" data-series="{}" d="{}" fill="none" stroke="{}" stroke-width="2"{} stroke-linejoin="round"/>"#,
            series.name,
            d,
            series.color,
            dash(series)
        );
    }
}

/// A series' point marks, each with a tooltip.
fn marks(s: &mut Html, f: &Frame, series: &Series) {
    put!(s, r#"<g class="marks" data-series="{}" fill="{}">"#, series.name, series.color);
    for &(vx, vy) in series.points.iter().filter(|p| f.x.accepts(p.0) && f.y.accepts(p.1)) {
        let (cx, cy) = (f.px(vx), f.py(vy));
        let tip = markup!("<title>{}: {} → {}</title>", series.name, plain_number(vx), short(vy));
        match series.marker {
            Marker::Circle => put!(s, r#"<circle cx="{:.2}" cy="{:.2}" r="3.5">{}</circle>"#, cx, cy, tip),
            Marker::Square => {
                put!(s, r#"<rect x="{:.2}" y="{:.2}" width="7" height="7">{}</rect>"#, cx - 3.5, cy - 3.5, tip)
            }
            Marker::Diamond => put!(
                s,
                r##"<path d="M{0:.2} {1:.2} L{2:.2} {3:.2} L{0:.2} {4:.2} L{5:.2} {3:.2} Z" fill="#ffffff" stroke="{6}" stroke-width="1.5">{7}</path>"##,
                cx,
                cy - 5.0,
                cx + 5.0,
                cy,
                cy + 5.0,
                cx - 5.0,
                series.color,
                tip
            ),
            Marker::None => {}
        }
    }
    s.raw("</g>");
}

/// A value with four significant digits.
fn short(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-3) {
        format!("{v:.3e}")
    } else {
        // Zero has no magnitude: log10 is -inf, which as i32 is i32::MIN, and 3 − i32::MIN overflows.
        let digits = if v == 0.0 { 0 } else { (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize };
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

    /// Found reading the renderer for its fuzz target: a point at y = 0 has a tooltip value whose digit
    /// count came from 3 − (log10 0 as i32) = 3 − i32::MIN, an overflow (a panic in debug builds).
    #[test]
    fn zero_has_a_short_form() {
        assert_eq!(short(0.0), "0");
        assert_eq!(short(-0.0), "-0");
        assert_eq!(short(1.5), "1.500");
    }

    /// Found reading the renderer for fuzzing: a report whose values span more than f64's range (±1e308)
    /// made the domain's width infinite, the step 1 and the ticks every integer from i64::MIN to i64::MAX.
    #[test]
    fn extreme_values_give_a_few_ticks() {
        for values in [[-1e308, 1e308], [-f64::MAX, f64::MAX], [0.0, f64::MAX], [1.7e308, f64::MAX]] {
            for integer in [false, true] {
                let a = Axis::new(Scale::Linear, values.into_iter(), integer);
                assert!(!a.ticks.is_empty() && a.ticks.len() <= 12, "{values:?}: {} ticks", a.ticks.len());
                assert!(a.lo.is_finite() && a.hi.is_finite() && a.lo <= values[0] && a.hi >= values[1]);
            }
        }
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
        let svg = chart.to_svg().into_string();
        assert!(svg.contains("a &lt;b&gt; &amp; c"));
        let d = svg.split(r#"class="series" data-series="mkn" d=""#).nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(d.matches('M').count(), 1, "{d}");
        assert_eq!(d.matches('L').count(), 1, "{d}");
        assert_eq!(svg.matches("<circle").count(), 3 + 1, "three points and the legend's mark");
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    /// Regression: every diamond mark was followed by a stray `"` in the SVG's text.
    #[test]
    fn marks_leave_no_stray_text() {
        let mut series = Series::new("s", vec![(1.0, 1.0), (2.0, 2.0)], PALETTE[0]);
        series.marker = Marker::Diamond;
        let chart = Chart {
            id: "d".into(),
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            integer_x: true,
            series: vec![series],
            rules: vec![],
            bands: vec![],
        };
        let svg = chart.to_svg().into_string();
        assert_eq!(svg.matches("</path>").count(), 2, "{svg}");
        assert!(!svg.contains(">\"<"), "{svg}");
    }
}
