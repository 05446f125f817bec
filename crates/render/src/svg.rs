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

/// Font size of the labels of bands and rules, and the space around their text.
const LABEL_SIZE: f64 = 11.0;
const LABEL_PAD: f64 = 2.0;
/// Half the width of a point mark.
const MARK_RADIUS: f64 = 5.0;
/// The shade of a band.
const BAND_FILL: &str = "#efefef";

/// Series that get a check box and a hover rule in the page's style; more are drawn but not toggled.
pub const MAX_SERIES: usize = 16;

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
        let unplaced = self.labels(&mut s, &frame);
        self.legend(&mut s, &unplaced);
        s.raw("</svg>");
        s
    }

    /// Check boxes under the chart, one per series, to hide a line or (hovered) emphasise it; the page's
    /// style does the rest, so no script runs. Empty for a chart of one series.
    pub fn controls(&self) -> Html {
        let mut h = Html::new();
        if self.series.len() < 2 {
            return h;
        }
        h.raw(r#"<div class="toggles">show:"#);
        for (i, series) in self.series.iter().enumerate().take(MAX_SERIES) {
            put!(
                h,
                r#" <label class="pick" data-i="{0}"><input type="checkbox" data-i="{0}" checked> <span style="color:{1}">{2}</span></label>"#,
                i,
                series.color,
                series.name
            );
        }
        h.raw("</div>");
        h
    }

    /// Shaded bands, under the grid; their labels come with [`Chart::labels`].
    fn bands(&self, s: &mut Html, f: &Frame) {
        for b in &self.bands {
            let clamp = |v: f64| v.clamp(LEFT, RIGHT);
            let (a, z) = (clamp(f.px(b.x0)), clamp(f.px(b.x1)));
            if z > a {
                put!(
                    s,
                    r##"<g class="band"><rect x="{:.1}" y="{}" width="{:.1}" height="{}" fill="{}"/></g>"##,
                    a,
                    TOP,
                    z - a,
                    BOTTOM - TOP,
                    BAND_FILL
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

    /// Horizontal reference lines; their labels come with [`Chart::labels`].
    fn rules(&self, s: &mut Html, f: &Frame) {
        for r in self.rules.iter().filter(|r| f.y.accepts(r.y)) {
            put!(
                s,
                r#"<g class="rule"><line x1="{0}" y1="{1:.1}" x2="{2}" y2="{1:.1}" stroke="{3}" stroke-width="1.5" stroke-dasharray="2 3"/></g>"#,
                LEFT,
                f.py(r.y),
                RIGHT,
                r.color,
            );
        }
    }

    /// What a label must not touch: every drawn segment of every series, every mark, every rule.
    fn obstacles(&self, f: &Frame) -> Obstacles {
        let mut o = Obstacles::default();
        for series in &self.series {
            let runs = runs(f, series);
            if series.line {
                for run in &runs {
                    o.segments.extend(run.windows(2).map(|w| (w[0], w[1])));
                }
            }
            if series.marker != Marker::None {
                let m = MARK_RADIUS + 1.0;
                o.boxes.extend(runs.iter().flatten().map(|&(x, y)| Rect {
                    x0: x - m,
                    y0: y - m,
                    x1: x + m,
                    y1: y + m,
                }));
            }
        }
        for r in self.rules.iter().filter(|r| f.y.accepts(r.y)) {
            let y = f.py(r.y);
            o.segments.push(((LEFT, y), (RIGHT, y)));
        }
        o
    }

    /// The labels of bands and rules, each on a background that hides the grid, where no series, mark,
    /// rule, other label or the plot's border crosses it. A label with no such place inside the plot is
    /// returned, for the legend.
    fn labels(&self, s: &mut Html, f: &Frame) -> Vec<Unplaced> {
        let mut o = self.obstacles(f);
        let mut unplaced = Vec::new();
        for b in &self.bands {
            let clamp = |v: f64| v.clamp(LEFT, RIGHT);
            let (a, z) = (clamp(f.px(b.x0)), clamp(f.px(b.x1)));
            if z <= a {
                continue;
            }
            let w = text_width(&b.label, LABEL_SIZE);
            // Inside the band when it is wide enough, else wherever in the plot, nearest its middle.
            let (lo, hi) = if z - a >= w + 2.0 * LABEL_PAD + 4.0 { (a, z) } else { (LEFT, RIGHT) };
            let middle = (a + z) / 2.0 - w / 2.0;
            let xs = spread(middle, lo + LABEL_PAD + 3.0, hi - LABEL_PAD - 3.0 - w);
            let tops = (0..).map(|k| TOP + 4.0 + 4.0 * k as f64).take_while(|t| *t < BOTTOM);
            let spot = tops.flat_map(|t| xs.iter().map(move |&x| (x, t))).find_map(|(x, t)| o.fits(x, t, w));
            match spot {
                Some(r) => label(s, &mut o, r, &b.label, "band", BAND_FILL, "#555"),
                None => unplaced.push(Unplaced { label: b.label.clone(), color: "#777", band: true }),
            }
        }
        for r in self.rules.iter().filter(|r| f.y.accepts(r.y)) {
            let y = f.py(r.y);
            let w = text_width(&r.label, LABEL_SIZE);
            let h = LABEL_SIZE * 1.2 + 2.0 * LABEL_PAD;
            let xs = spread(RIGHT - 5.0 - w, LEFT + 5.0, RIGHT - 5.0 - w);
            // Just above the line, else just below it, from the right.
            let tops = [y - 3.0 - h + LABEL_PAD, y + 3.0 + LABEL_PAD];
            let spot = xs.iter().flat_map(|&x| tops.iter().map(move |&t| (x, t))).find_map(|(x, t)| o.fits(x, t, w));
            match spot {
                Some(b) => label(s, &mut o, b, &r.label, "rule", "#ffffff", r.color),
                None => unplaced.push(Unplaced { label: r.label.clone(), color: r.color, band: false }),
            }
        }
        unplaced
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
        for (i, series) in self.series.iter().enumerate().rev() {
            if series.line {
                line(s, f, series, i);
            }
            if series.marker != Marker::None {
                marks(s, f, series, i);
            }
        }
        s.raw("</g>");
    }

    /// The legend, right of the plot: one entry per series (hovering one emphasises its line), then the
    /// labels that found no place in the plot.
    fn legend(&self, s: &mut Html, unplaced: &[Unplaced]) {
        s.raw(r##"<g class="legend" font-size="12" fill="#222">"##);
        let entries = self.series.len() + unplaced.len();
        let step = (20.0f64).min((BOTTOM - TOP - 8.0) / entries.max(1) as f64);
        let (x0, x1) = (RIGHT + 14.0, RIGHT + 40.0);
        for (i, series) in self.series.iter().enumerate() {
            let ly = TOP + 8.0 + step * i as f64;
            // A transparent box makes the whole entry, gaps included, answer to the pointer.
            put!(
                s,
                r##"<g class="entry pick" data-i="{}"><rect x="{}" y="{:.1}" width="{}" height="{:.1}" fill="#ffffff" fill-opacity="0"/>"##,
                i,
                x0 - 4.0,
                ly - step / 2.0,
                WIDTH - x0,
                step
            );
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
            put!(s, r#"<text x="{}" y="{:.1}">{}</text></g>"#, x1 + 6.0, ly + 4.0, series.name);
        }
        for (k, u) in unplaced.iter().enumerate() {
            let ly = TOP + 8.0 + step * (self.series.len() + k) as f64;
            if u.band {
                put!(
                    s,
                    r##"<g class="entry label"><rect x="{}" y="{:.1}" width="{}" height="10" fill="{}" stroke="#bbb"/>"##,
                    x0,
                    ly - 5.0,
                    x1 - x0,
                    BAND_FILL
                );
            } else {
                put!(
                    s,
                    r#"<g class="entry label"><line x1="{}" y1="{:.1}" x2="{}" y2="{:.1}" stroke="{}" stroke-width="1.5" stroke-dasharray="2 3"/>"#,
                    x0,
                    ly,
                    x1,
                    ly,
                    u.color
                );
            }
            put!(s, r#"<text x="{}" y="{:.1}">{}</text></g>"#, x1 + 6.0, ly + 4.0, u.label);
        }
        s.raw("</g>");
    }
}

/// A label that found no free place in the plot, shown in the legend instead.
struct Unplaced {
    label: String,
    color: &'static str,
    /// A band's label (else a rule's).
    band: bool,
}

/// An axis-aligned box in the SVG's coordinates, `y` downwards.
#[derive(Debug, Clone, Copy)]
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    /// Whether the segment from `a` to `b` passes through the box (Liang & Barsky 1984 clipping).
    fn hit_by(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (p, q) in [(-dx, a.0 - self.x0), (dx, self.x1 - a.0), (-dy, a.1 - self.y0), (dy, self.y1 - a.1)] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
        t0 <= t1
    }
}

/// What labels must keep clear of.
#[derive(Default)]
struct Obstacles {
    segments: Vec<((f64, f64), (f64, f64))>,
    boxes: Vec<Rect>,
}

impl Obstacles {
    /// The box of a label `w` wide whose box's top-left is (`x`, `top`), if it lies inside the plot,
    /// clear of its border, and touches nothing.
    fn fits(&self, x: f64, top: f64, w: f64) -> Option<Rect> {
        let r = Rect {
            x0: x - LABEL_PAD,
            y0: top - LABEL_PAD,
            x1: x + w + LABEL_PAD,
            y1: top + LABEL_SIZE * 1.2 + LABEL_PAD,
        };
        let inside = r.x0 >= LEFT + 2.0 && r.x1 <= RIGHT - 2.0 && r.y0 >= TOP + 2.0 && r.y1 <= BOTTOM - 2.0;
        let clear = || {
            let grown = Rect { x0: r.x0 - 1.0, y0: r.y0 - 1.0, x1: r.x1 + 1.0, y1: r.y1 + 1.0 };
            !self.boxes.iter().any(|b| b.overlaps(&grown)) && !self.segments.iter().any(|&(a, b)| grown.hit_by(a, b))
        };
        (inside && clear()).then_some(r)
    }
}

/// Candidate left edges: `first` (clamped to [`lo`, `hi`]), then others every 6 units either side of it.
fn spread(first: f64, lo: f64, hi: f64) -> Vec<f64> {
    if hi < lo {
        return Vec::new();
    }
    let first = first.clamp(lo, hi);
    let mut xs = vec![first];
    for k in 1.. {
        let (l, r) = (first - 6.0 * k as f64, first + 6.0 * k as f64);
        if l < lo && r > hi {
            break;
        }
        xs.extend([r, l].into_iter().filter(|v| (lo..=hi).contains(v)));
    }
    xs
}

/// An upper bound on the width of `text` at font size `size`: wide sans-serif glyphs (DejaVu Sans's
/// digits are 0.64 em, its `m` 0.97 em) average under 0.66 em.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.66
}

/// Draws a label in its box `r` (background `fill`, text `color`) and makes the box an obstacle.
fn label(s: &mut Html, o: &mut Obstacles, r: Rect, text: &str, kind: &'static str, fill: &'static str, color: &str) {
    put!(
        s,
        r#"<g class="label" data-for="{}"><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="{}" fill="{}">{}</text></g>"#,
        kind,
        r.x0,
        r.y0,
        r.x1 - r.x0,
        r.y1 - r.y0,
        fill,
        r.x0 + LABEL_PAD,
        r.y0 + LABEL_PAD + LABEL_SIZE * 0.95,
        LABEL_SIZE,
        color,
        text
    );
    o.boxes.push(r);
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

/// A series' drawable points in the SVG's coordinates, in runs broken where a point cannot be drawn.
fn runs(f: &Frame, series: &Series) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for &(vx, vy) in &series.points {
        if f.x.accepts(vx) && f.y.accepts(vy) {
            runs.last_mut().expect("a run").push((f.px(vx), f.py(vy)));
        } else if !runs.last().expect("a run").is_empty() {
            runs.push(Vec::new());
        }
    }
    runs
}

/// A series' line (the `i`th series): runs of drawable points; a run of one point is left to its marker
/// (a path through a single point has no extent).
fn line(s: &mut Html, f: &Frame, series: &Series, i: usize) {
    let runs = runs(f, series);
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
            r#"<path class="series" data-series="{}" d="{}" data-i="{}" fill="none" stroke="{}" stroke-width="2"{} stroke-linejoin="round"/>"#,
            series.name,
            d,
            i,
            series.color,
            dash(series)
        );
    }
}

/// A series' point marks, each with a tooltip.
fn marks(s: &mut Html, f: &Frame, series: &Series, i: usize) {
    put!(s, r#"<g class="marks" data-series="{}" data-i="{}" fill="{}">"#, series.name, i, series.color);
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
        let svg = chart(vec![series], vec![], vec![]).to_svg().into_string();
        assert_eq!(svg.matches("</path>").count(), 2, "{svg}");
        assert!(!svg.contains(">\"<"), "{svg}");
    }

    fn chart(series: Vec<Series>, rules: Vec<Rule>, bands: Vec<Band>) -> Chart {
        Chart {
            id: "l".into(),
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            integer_x: true,
            series,
            rules,
            bands,
        }
    }

    /// The label boxes a chart drew: (data-for, box).
    fn label_boxes(svg: &str) -> Vec<(String, Rect)> {
        let attr = |t: &str, name: &str| -> f64 {
            t.split(&format!(" {name}=\"")).nth(1).unwrap().split('"').next().unwrap().parse().unwrap()
        };
        svg.split(r#"<g class="label" data-for=""#)
            .skip(1)
            .map(|t| {
                let (x, y) = (attr(t, "x"), attr(t, "y"));
                let kind = t.split('"').next().unwrap().to_string();
                (kind, Rect { x0: x, y0: y, x1: x + attr(t, "width"), y1: y + attr(t, "height") })
            })
            .collect()
    }

    /// Regression (issue 14 item 2): a rule's label was always drawn above the line's right end, on the
    /// data when a series converged to the rule from above there.
    #[test]
    fn a_rule_label_leaves_the_series_it_sat_on() {
        let data = vec![(1.0, 40.0), (2.0, 20.0), (3.0, 14.2), (4.0, 14.0), (5.0, 14.0)];
        let c = chart(
            vec![Series::new("mkn", data, PALETTE[0])],
            vec![Rule { y: 13.84, label: "2^(true rate) = 13.84".into(), color: "#444444" }],
            vec![],
        );
        let f = Frame {
            x: Axis::new(Scale::Linear, [1.0, 5.0].into_iter(), true),
            y: Axis::new(Scale::Linear, [13.84, 40.0].into_iter(), false),
        };
        let svg = c.to_svg().into_string();
        let labels = label_boxes(&svg);
        assert_eq!(labels.len(), 1, "{svg}");
        let (_, r) = labels[0];
        for w in runs(&f, &c.series[0])[0].windows(2) {
            assert!(!r.hit_by(w[0], w[1]), "label {r:?} on segment {w:?}");
        }
        assert!(r.x0 > LEFT && r.x1 < RIGHT && r.y0 > TOP && r.y1 < BOTTOM, "{r:?}");
        assert!(svg.contains(">2^(true rate) = 13.84</text>"));
    }

    /// A band too full of lines for its label: the label goes to the legend, not onto a line.
    #[test]
    fn a_label_with_no_room_goes_to_the_legend() {
        let series = (0..40)
            .map(|k| Series::new(format!("s{k}"), vec![(1.0, k as f64), (9.0, k as f64 + 0.5)], PALETTE[k % 7]))
            .collect();
        let band = Band { x0: 4.5, x1: 9.5, label: "coverage < 0.9".into() };
        let svg = chart(series, vec![], vec![band]).to_svg().into_string();
        assert!(label_boxes(&svg).is_empty(), "{svg}");
        assert!(svg.contains(r#"<g class="entry label">"#) && svg.contains(">coverage &lt; 0.9</text></g>"), "{svg}");
    }

    #[test]
    fn segments_hit_boxes_they_cross_only() {
        let r = Rect { x0: 0.0, y0: 0.0, x1: 10.0, y1: 10.0 };
        assert!(r.hit_by((-5.0, 5.0), (15.0, 5.0)));
        assert!(r.hit_by((5.0, 5.0), (6.0, 6.0)));
        assert!(r.hit_by((-5.0, -5.0), (15.0, 15.0)));
        assert!(!r.hit_by((-5.0, 11.0), (15.0, 11.0)));
        assert!(!r.hit_by((11.0, -5.0), (30.0, 4.0)));
        assert!(!r.hit_by((-1.0, 5.0), (-3.0, 5.0)));
    }
}
