//! Chart -> Drawing. All positions are in chart units on a canvas [`WIDTH`] wide; the PDF scales
//! the drawing to the text width (>= WIDTH on A4 and Letter), so a size here is a minimum size
//! in points on paper. No text is smaller than [`MIN_TEXT`].

pub(crate) mod investment_gap;
mod migration;
mod tier_rows;
mod trends;
mod whale;

use super::drawing::{Anchor, Drawing, Shape, Stroke, TextStyle};
use super::{Chart, Pareto, RfmGrid, TierBars};
use crate::report::format::{money, money_short, percent, percent_compact, thousands};
use crate::report::style::fonts::{fonts, Face};
use crate::report::style::palette::*;
use crate::report::style::Rgb;

/// Nominal chart width in chart units.
pub const WIDTH: f64 = 450.0;
/// Smallest text size used in any chart.
pub const MIN_TEXT: f64 = 7.5;

/// How far a chart's plot area may be squeezed to fit the space left on a page: to this share
/// of its natural height. Text keeps its size; charts made of rows of text do not squeeze.
pub const MIN_SQUEEZE: f64 = 0.5;

/// Turns a chart into its drawing, at its natural height.
pub fn layout(chart: &Chart) -> Drawing {
    layout_squeezed(chart, 1.0)
}

/// Turns a chart into its drawing with its plot area at `squeeze` (clamped to
/// [`MIN_SQUEEZE`]..=1) of its natural height.
pub fn layout_squeezed(chart: &Chart, squeeze: f64) -> Drawing {
    let s = squeeze.clamp(MIN_SQUEEZE, 1.0);
    match chart {
        Chart::Pareto(p) => pareto(chart.title(), p, s),
        Chart::Tiers(t) => tiers(chart.title(), t, s),
        Chart::Rfm(g) => rfm(chart.title(), g, s),
        Chart::Representation(r) => super::representation::layout(chart.title(), r, s),
        Chart::Whale(w) => whale::whale(chart.title(), w, s),
        Chart::Migration(m) => migration::migration(chart.title(), m),
        Chart::Trends(t) => trends::trends(chart.title(), t, s),
        Chart::InvestmentGap(g) => investment_gap::layout(chart.title(), g),
    }
}

/// The tallest drawing of `chart` no taller than `max_height` chart units: its natural layout
/// when that fits, else the least squeezed one that does, else the most squeezed one.
pub fn fit(chart: &Chart, max_height: f64) -> Drawing {
    let natural = layout(chart);
    if natural.height <= max_height {
        return natural;
    }
    let mut best = layout_squeezed(chart, MIN_SQUEEZE);
    if best.height >= max_height || best.height >= natural.height {
        return best;
    }
    // The height grows with the squeeze: bisect for the largest squeeze that fits.
    let (mut lo, mut hi) = (MIN_SQUEEZE, 1.0);
    for _ in 0..12 {
        let mid = (lo + hi) / 2.0;
        let d = layout_squeezed(chart, mid);
        if d.height <= max_height {
            lo = mid;
            best = d;
        } else {
            hi = mid;
        }
    }
    best
}

fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    fonts().width(if bold { Face::Bold } else { Face::Regular }, text, size)
}

fn header(d: &mut Drawing, title: &str, subtitle: &str) {
    d.text(0.0, 13.0, title, TextStyle::new(11.0, INK).bold());
    d.text(0.0, 28.0, subtitle, TextStyle::new(8.5, MUTED));
}

fn circle(cx: f64, cy: f64, r: f64) -> Vec<(f64, f64)> {
    (0..20)
        .map(|i| {
            let a = i as f64 * std::f64::consts::TAU / 20.0;
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect()
}

fn pareto(title: &str, p: &Pareto, squeeze: f64) -> Drawing {
    let (w, h) = (WIDTH, 100.0 + 200.0 * squeeze);
    let mut d = Drawing::new(w, h);
    let subtitle = format!(
        "{} customers, {} revenue; customers ranked by revenue, largest first",
        thousands(p.customers as i64),
        money(p.total_revenue, &p.currency, 0)
    );
    header(&mut d, title, &subtitle);
    let (l, r, t, b) = (40.0, w - 14.0, 62.0, h - 38.0);
    let px = |x: f64| l + x.clamp(0.0, 1.0) * (r - l);
    let py = |y: f64| b - y.clamp(0.0, 1.0) * (b - t);
    let small = TextStyle::new(8.0, MUTED);

    // Area under the curve first, so grid lines stay visible over it.
    let pts: Vec<(f64, f64)> = p.points.iter().map(|&(x, y)| (px(x), py(y))).collect();
    if let (Some(first), Some(last)) = (pts.first().copied(), pts.last().copied()) {
        let mut area = pts.clone();
        area.push((last.0, b));
        area.push((first.0, b));
        d.shapes.push(Shape::Polygon {
            points: area,
            fill: AREA,
            stroke: None,
        });
    }
    d.text(0.0, t - 12.0, "Cumulative share of revenue", small);
    for i in 0..=5 {
        let v = f64::from(i) * 0.2;
        if i > 0 {
            d.line((l, py(v)), (r, py(v)), Stroke::solid(GRID_ON_AREA, 0.6));
            d.line((px(v), t), (px(v), b), Stroke::solid(GRID_ON_AREA, 0.6));
        }
        let label = percent(v, 0);
        d.text(l - 5.0, py(v) + 2.8, label.clone(), small.end());
        d.text(px(v), b + 12.0, label, small.middle());
    }
    d.text(
        l + (r - l) / 2.0,
        h - 8.0,
        "Share of customers, ranked by revenue (largest first)",
        small.middle(),
    );

    d.line(
        (px(0.0), py(0.0)),
        (px(1.0), py(1.0)),
        Stroke::dashed(AXIS, 0.8, 4.0, 3.0),
    );
    d.line((l, t), (l, b), Stroke::solid(AXIS, 0.8));
    d.line((l, b), (r, b), Stroke::solid(AXIS, 0.8));
    if pts.len() >= 2 {
        d.shapes.push(Shape::Polyline {
            points: pts,
            stroke: Stroke::solid(NAVY, 1.8),
        });
    }

    // The two readings: y at x = 20% and x where y reaches 80%.
    let p20 = (px(0.2), py(p.top20_share));
    let p80 = (px(p.x_at_80), py(0.8));
    let guide = Stroke::dashed(NAVY, 0.7, 2.5, 2.0);
    for &(x, y) in &[p20, p80] {
        d.line((x, b), (x, y), guide);
        d.line((l, y), (x, y), guide);
    }
    let text20 = format!(
        "Top 20% of customers: {} of revenue",
        percent_compact(p.top20_share)
    );
    let text80 = format!(
        "80% of revenue: top {} of customers",
        percent_compact(p.x_at_80)
    );
    let size = 8.0;
    let box_h = 15.0;
    let box_w = text_width(&text20, size, false).max(text_width(&text80, size, false)) + 12.0;
    // Each callout sits right of and below its point, inside the area under the (concave)
    // curve; when the two would overlap, the lower one moves down (or both move up at the foot
    // of the plot).
    let (upper, lower) = if p20.1 <= p80.1 {
        ((p20, &text20), (p80, &text80))
    } else {
        ((p80, &text80), (p20, &text20))
    };
    let place_x = |px: f64| (px + 16.0).min(r - box_w - 2.0).max(l + 4.0);
    let (xa, xb) = (place_x(upper.0 .0), place_x(lower.0 .0));
    let mut ya = upper.0 .1 + 10.0;
    let mut yb = lower.0 .1 + 10.0;
    let overlap_x = xa < xb + box_w && xb < xa + box_w;
    if overlap_x && yb < ya + box_h + 6.0 {
        yb = ya + box_h + 6.0;
    }
    if yb + box_h > b - 4.0 {
        yb = b - 4.0 - box_h;
        if overlap_x {
            ya = ya.min(yb - box_h - 6.0);
        }
    }
    let lx = [xa, xb];
    let boxes = [(xa, ya), (xb, yb)].map(|(x, y)| (x, y, box_w, box_h));
    even_spread_label(&mut d, &boxes, r, (&px, &py));
    for (k, (pt, y)) in [(upper.0, ya), (lower.0, yb)].into_iter().enumerate() {
        d.line(pt, (lx[k], y + box_h / 2.0), Stroke::solid(MUTED, 0.6));
    }
    for (k, (text, y)) in [(upper.1, ya), (lower.1, yb)].into_iter().enumerate() {
        d.rect(
            lx[k],
            y,
            box_w,
            box_h,
            Some(WHITE),
            Some(Stroke::solid(LIGHT, 0.8)),
        );
        d.text(
            lx[k] + 6.0,
            y + 10.5,
            text.as_str(),
            TextStyle::new(size, INK),
        );
    }
    for &(x, y) in &[p20, p80] {
        d.shapes.push(Shape::Polygon {
            points: circle(x, y, 3.2),
            fill: NAVY,
            stroke: Some(Stroke::solid(WHITE, 1.0)),
        });
    }
    d
}

/// Labels the diagonal (what an even spread of revenue over customers would look like) along
/// it, clear of the callout `boxes` (x, y, w, h) and left of `r`: a squeezed plot brings them
/// close.
fn even_spread_label(
    d: &mut Drawing,
    boxes: &[(f64, f64, f64, f64)],
    r: f64,
    (px, py): (&dyn Fn(f64) -> f64, &dyn Fn(f64) -> f64),
) {
    let label = "Even spread (reference)";
    let label_w = text_width(label, MIN_TEXT, false);
    let clear = |at: f64| {
        let (x, y) = (px(at), py(1.0 - at));
        boxes.iter().all(|&(bx, by, bw, bh)| {
            x > bx + bw || x + label_w < bx || y < by - 1.0 || y - MIN_TEXT > by + bh
        })
    };
    let at = [0.56, 0.66, 0.46, 0.76, 0.36]
        .into_iter()
        .find(|&a| clear(a) && px(a) + label_w <= r)
        .unwrap_or(0.56);
    d.text(px(at), py(1.0 - at), label, TextStyle::new(MIN_TEXT, MUTED));
}

/// A tick step and the axis range covering `lo..hi` with at most six steps.
fn nice_range(lo: f64, hi: f64) -> (f64, f64, f64) {
    let range = (hi - lo).max(0.01);
    let step = [0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0]
        .into_iter()
        .find(|s| range / s <= 6.0)
        .unwrap_or(10.0);
    let top = (hi / step - 1e-9).ceil() * step;
    let bottom = (lo / step + 1e-9).floor() * step;
    (bottom.min(0.0), top.max(step), step)
}

/// Breaks `text` into lines no wider than `width` at spaces (a word wider than `width` stays
/// whole on its own line).
pub(crate) fn wrap_words(text: &str, size: f64, bold: bool, width: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if current.is_empty() || text_width(&candidate, size, bold) <= width {
            current = candidate;
        } else {
            lines.push(std::mem::take(&mut current));
            current = word.to_string();
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Whether `lines` (from [`wrap_words`]) are at most `max_lines` lines no wider than `width`.
pub(super) fn lines_fit(
    lines: &[String],
    size: f64,
    bold: bool,
    width: f64,
    max_lines: usize,
) -> bool {
    lines.len() <= max_lines && lines.iter().all(|l| text_width(l, size, bold) <= width)
}

/// Breaks `text` into at most `max_lines` lines no wider than `width`; the last line gets an
/// ellipsis when text is left over.
pub(super) fn wrap_label(
    text: &str,
    size: f64,
    bold: bool,
    width: f64,
    max_lines: usize,
) -> Vec<String> {
    let mut lines = wrap_words(text, size, bold, width);
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        let last = lines.last_mut().expect("max_lines > 0");
        last.push('…');
    }
    for line in &mut lines {
        while text_width(line, size, bold) > width && line.chars().count() > 2 {
            let mut chars: Vec<char> = line.chars().collect();
            chars.pop();
            if chars.last() == Some(&'…') {
                chars.pop();
            }
            chars.pop();
            chars.push('…');
            *line = chars.into_iter().collect();
        }
    }
    lines
}

/// Most tiers drawn as columns; more are drawn as rows ([`tier_rows`]).
const MAX_TIER_COLUMNS: usize = 6;

/// The series a tier chart shows: customers, revenue and (with a cost column) margin.
const TIER_SERIES: [(&str, Rgb); 3] = [("Customers", LIGHT), ("Revenue", MID), ("Margin", NAVY)];

/// A tier chart's title, totals and series legend; returns the series drawn. Without a cost
/// column margin would just repeat revenue: the series is left out entirely.
fn tiers_heading(d: &mut Drawing, title: &str, t: &TierBars) -> &'static [(&'static str, Rgb)] {
    let customers: u64 = t.tiers.iter().map(|x| x.customers).sum();
    let revenue: f64 = t.tiers.iter().map(|x| x.revenue).sum();
    let totals = if t.has_margin {
        let margin: f64 = t.tiers.iter().map(|x| x.margin).sum();
        format!(
            "{} customers, {} revenue, {} margin",
            thousands(customers as i64),
            money_short(revenue, &t.currency),
            money_short(margin, &t.currency)
        )
    } else {
        format!(
            "{} customers, {} revenue",
            thousands(customers as i64),
            money_short(revenue, &t.currency)
        )
    };
    let subtitle = format!("{totals}; bars show each tier's share of the total");
    header(d, title, &subtitle);
    let series = &TIER_SERIES[..if t.has_margin { 3 } else { 2 }];
    let legend = TextStyle::new(8.0, INK);
    let mut x = 0.0;
    d.text(x, 47.0, "Share of total:", TextStyle::new(8.0, MUTED));
    x += text_width("Share of total:", 8.0, false) + 10.0;
    for &(name, color) in series {
        d.rect(
            x,
            39.0,
            10.0,
            10.0,
            Some(color),
            Some(Stroke::solid(NAVY, 0.6)),
        );
        d.text(x + 14.0, 47.0, name, legend);
        x += 14.0 + text_width(name, 8.0, false) + 14.0;
    }
    series
}

/// Each tier's values for the series drawn: customer, revenue and margin share.
fn tier_values(t: &TierBars, series: usize) -> Vec<Vec<f64>> {
    t.tiers
        .iter()
        .map(|x| [x.customer_share, x.revenue_share, x.margin_share][..series].to_vec())
        .collect()
}

fn tiers(title: &str, t: &TierBars, squeeze: f64) -> Drawing {
    let w = WIDTH;
    let (l, r, top) = (40.0, w - 4.0, 70.0);
    let b = top + 150.0 * squeeze;
    let group = (r - l) / t.tiers.len().max(1) as f64;
    let names: Vec<Vec<String>> = t
        .tiers
        .iter()
        .map(|x| wrap_words(&x.name, 8.5, true, group - 4.0))
        .collect();
    // Names that do not fit under their column on two lines, or many tiers: one row per tier.
    if t.tiers.len() > MAX_TIER_COLUMNS
        || !names
            .iter()
            .all(|lines| lines_fit(lines, 8.5, true, group - 4.0, 2))
    {
        return tier_rows::tier_rows(title, t);
    }
    let name_lines = names.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let h = b + 40.0 + 10.0 * (name_lines - 1) as f64;
    let mut d = Drawing::new(w, h);
    let series = tiers_heading(&mut d, title, t);
    let n_series = series.len() as f64;

    let values = tier_values(t, series.len());
    let hi = values.iter().flatten().copied().fold(0.0, f64::max);
    let lo = values.iter().flatten().copied().fold(0.0, f64::min);
    let (vmin, vmax, step) = nice_range(lo, hi);
    let py = |v: f64| b - (v - vmin) / (vmax - vmin) * (b - top);
    let small = TextStyle::new(8.0, MUTED);
    let steps = ((vmax - vmin) / step).round() as i64;
    for i in 0..=steps {
        let v = vmin + i as f64 * step;
        if v.abs() > 1e-9 {
            d.line((l, py(v)), (r, py(v)), Stroke::solid(GRID, 0.6));
        }
        d.text(
            l - 5.0,
            py(v) + 2.8,
            percent(v, if step < 0.05 { 1 } else { 0 }),
            small.end(),
        );
    }

    let bar_w = (group * 0.78 / n_series).min(24.0);
    let gap = 2.0;
    let zero = py(0.0);
    // Value labels already placed: (x0, x1, top, bottom); a label that would overlap one moves
    // further away from its bar.
    let mut placed: Vec<(f64, f64, f64, f64)> = Vec::new();
    for (i, (tier, vals)) in t.tiers.iter().zip(&values).enumerate() {
        let cx = l + group * (i as f64 + 0.5);
        let x0 = cx - (n_series * bar_w + (n_series - 1.0) * gap) / 2.0;
        for (k, (&v, &(_, color))) in vals.iter().zip(series).enumerate() {
            let x = x0 + k as f64 * (bar_w + gap);
            let y = py(v);
            let (ry, rh) = if v >= 0.0 {
                (y, zero - y)
            } else {
                (zero, y - zero)
            };
            d.rect(
                x,
                ry,
                bar_w,
                rh.max(0.0),
                Some(color),
                Some(Stroke::solid(NAVY, 0.6)),
            );
            let label = percent_compact(v);
            let lw = text_width(&label, MIN_TEXT, false);
            let (x0, x1) = (
                x + bar_w / 2.0 - lw / 2.0 - 0.5,
                x + bar_w / 2.0 + lw / 2.0 + 0.5,
            );
            let mut ly = if v >= 0.0 { y - 3.0 } else { y + 9.0 };
            loop {
                let (top, bottom) = (ly - MIN_TEXT * 0.8, ly + 1.5);
                match placed
                    .iter()
                    .find(|p| x0 < p.1 && p.0 < x1 && top < p.3 && p.2 < bottom)
                {
                    Some(p) if v >= 0.0 => ly = p.2 - 1.5 - 0.5,
                    Some(p) => ly = p.3 + MIN_TEXT * 0.8 + 0.5,
                    None => break,
                }
            }
            placed.push((x0, x1, ly - MIN_TEXT * 0.8, ly + 1.5));
            d.text(
                x + bar_w / 2.0,
                ly,
                label,
                TextStyle::new(MIN_TEXT, INK).middle(),
            );
        }
        let mut ly = b + 13.0;
        for line in &names[i] {
            d.text(
                cx,
                ly,
                line.as_str(),
                TextStyle::new(8.5, INK).bold().middle(),
            );
            ly += 10.0;
        }
        ly += 1.0;
        let detail = TextStyle::new(MIN_TEXT, MUTED).middle();
        let count = thousands(tier.customers as i64);
        let money = money_short(tier.revenue, &t.currency);
        for choices in [
            [
                format!("{count} customers"),
                format!("{count} cust."),
                count.clone(),
            ],
            [
                format!("{money} revenue"),
                format!("{money} rev."),
                money.clone(),
            ],
        ] {
            let fitting = choices
                .iter()
                .find(|c| text_width(c, MIN_TEXT, false) <= group - 2.0);
            let line = fitting.cloned().unwrap_or_else(|| choices[2].clone());
            d.text(cx, ly, line, detail);
            ly += 9.5;
        }
    }
    d.line((l, zero), (r, zero), Stroke::solid(AXIS, 0.8));
    d.line((l, top), (l, b), Stroke::solid(AXIS, 0.8));
    d
}

/// The shading class of a revenue share (0 = lightest).
pub fn rfm_class(share: f64) -> usize {
    RFM_BOUNDS.iter().filter(|&&bound| share >= bound).count()
}

fn rfm(title: &str, g: &RfmGrid, squeeze: f64) -> Drawing {
    // Cells keep room for their two lines of text.
    let (cw, ch) = (70.0, (40.0 * squeeze).max(34.0));
    let (gl, gt) = (64.0, 64.0);
    let gb = gt + 5.0 * ch;
    let (w, h) = (WIDTH, gb + 58.0);
    let mut d = Drawing::new(w, h);
    let customers: u64 = g.cells.iter().flatten().map(|c| c.customers).sum();
    let revenue: f64 = g.cells.iter().flatten().map(|c| c.revenue).sum();
    let subtitle = format!(
        "{} customers, {} revenue; each cell: customers and share of revenue",
        thousands(customers as i64),
        money(revenue, &g.currency, 0)
    );
    header(&mut d, title, &subtitle);
    let small = TextStyle::new(8.0, MUTED);
    d.text(
        0.0,
        gt - 10.0,
        "Recency score (R): 5 = bought most recently",
        small,
    );
    for row in 0..5 {
        let r_score = 5 - row; // top row is R = 5
        let cy = gt + ch * row as f64;
        d.text(
            gl - 8.0,
            cy + ch / 2.0 + 3.0,
            format!("R{r_score}"),
            TextStyle::new(8.5, INK).bold().end(),
        );
        for f in 0..5 {
            let cell = g.cells[r_score - 1][f];
            let class = rfm_class(cell.revenue_share);
            let x = gl + cw * f as f64;
            d.rect(
                x,
                cy,
                cw,
                ch,
                Some(RFM_CLASSES[class]),
                Some(Stroke::solid(WHITE, 2.0)),
            );
            let (ink, sub) = match class {
                3 | 4 => (WHITE, WHITE),
                2 => (INK, INK),
                _ => (INK, MUTED),
            };
            let cx = x + cw / 2.0;
            d.text(
                cx,
                cy + ch / 2.0 - 2.0,
                thousands(cell.customers as i64),
                TextStyle::new(9.5, ink).bold().middle(),
            );
            let share = if cell.customers == 0 && cell.revenue == 0.0 {
                "no revenue".to_string()
            } else {
                format!("{} of rev.", percent_compact(cell.revenue_share))
            };
            d.text(
                cx,
                cy + ch / 2.0 + 10.0,
                share,
                TextStyle::new(MIN_TEXT, sub).middle(),
            );
        }
    }
    for f in 0..5 {
        d.text(
            gl + cw * (f as f64 + 0.5),
            gb + 12.0,
            format!("F{}", f + 1),
            TextStyle::new(8.5, INK).bold().middle(),
        );
    }
    d.text(
        gl + 2.5 * cw,
        gb + 26.0,
        "Frequency score (F): 5 = buys most often",
        small.middle(),
    );

    // Legend: the five shading classes.
    let labels = ["under 1%", "1–2%", "2–5%", "5–10%", "10% or more"];
    shading_legend(&mut d, gl, gb + 50.0, "Share of revenue:", &labels);
    debug_assert!(d
        .shapes
        .iter()
        .all(|s| !matches!(s, Shape::Text { anchor: Anchor::Start, x, .. } if *x > w)));
    d
}

/// A legend of the five shading classes of a grid chart ([`RFM_CLASSES`]): `lead` then a swatch
/// and label per class, on the baseline `y` from `x`.
pub(super) fn shading_legend(d: &mut Drawing, x: f64, y: f64, lead: &str, labels: &[&str]) {
    let mut x = x;
    d.text(x, y, lead, TextStyle::new(8.0, MUTED));
    x += text_width(lead, 8.0, false) + 8.0;
    for (color, label) in RFM_CLASSES.iter().zip(labels) {
        d.rect(
            x,
            y - 8.0,
            14.0,
            10.0,
            Some(*color),
            Some(Stroke::solid(AXIS, 0.5)),
        );
        d.text(x + 17.0, y, *label, TextStyle::new(8.0, INK));
        x += 17.0 + text_width(label, 8.0, false) + 10.0;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::charts::{RfmCell, TierBar};
    use crate::report::style::Rgb;

    /// A Pareto chart shaped like a real customer base.
    pub fn sample_pareto() -> Chart {
        let points: Vec<(f64, f64)> = (0..=100)
            .map(|i| {
                let x = f64::from(i) / 100.0;
                (x, 1.0 - (1.0 - x).powf(4.5))
            })
            .collect();
        Chart::Pareto(Pareto {
            points,
            top20_share: 1.0 - 0.8f64.powf(4.5),
            x_at_80: 1.0 - 0.2f64.powf(1.0 / 4.5),
            customers: 12_480,
            total_revenue: 8_423_112.0,
            currency: "USD".into(),
        })
    }

    /// Three tiers with margin.
    pub fn sample_tiers() -> Chart {
        let tier = |name: &str, c: u64, rev: f64, m: f64| TierBar {
            name: name.into(),
            customers: c,
            revenue: rev,
            margin: m,
            customer_share: c as f64 / 12_480.0,
            revenue_share: rev / 8_423_112.0,
            margin_share: m / 2_100_000.0,
        };
        Chart::Tiers(TierBars {
            tiers: vec![
                tier("First class", 1_060, 4_950_000.0, 1_480_000.0),
                tier("Business class", 3_120, 2_400_000.0, 590_000.0),
                tier("Economy class", 8_300, 1_073_112.0, 30_000.0),
            ],
            currency: "USD".into(),
            has_margin: true,
        })
    }

    /// [`sample_tiers`] as for data without a cost column.
    pub fn sample_tiers_without_margin() -> Chart {
        let mut chart = sample_tiers();
        if let Chart::Tiers(t) = &mut chart {
            t.has_margin = false;
        }
        chart
    }

    /// Eight long tier names, English and German.
    pub const LONG_TIER_NAMES: [&str; 8] = [
        "Strategic Platinum Accounts",
        "Key Account Development",
        "Gelegenheitskunden Nord",
        "Wachstumskunden Süd",
        "Regular Repeat Buyers",
        "Occasional Bargain Hunters",
        "Dormant Former Customers",
        "Einmalkäufer ohne Wiederkauf",
    ];

    /// Eight tiers with long names (drawn as rows).
    pub fn sample_long_tiers() -> Chart {
        let names = LONG_TIER_NAMES;
        let tiers = names
            .iter()
            .enumerate()
            .map(|(i, name)| TierBar {
                name: name.to_string(),
                customers: 100 * (i as u64 + 1),
                revenue: 1_000_000.0 / (i as f64 + 1.0),
                margin: 300_000.0 / (i as f64 + 1.0) - 50_000.0,
                customer_share: (i as f64 + 1.0) / 36.0,
                revenue_share: 0.25 / (i as f64 + 1.0),
                margin_share: 0.3 / (i as f64 + 1.0) - 0.05,
            })
            .collect();
        Chart::Tiers(TierBars {
            tiers,
            currency: "EUR".into(),
            has_margin: true,
        })
    }

    #[test]
    fn long_tier_names_stay_whole() {
        let d = layout(&sample_long_tiers());
        let texts = d.texts();
        if let Chart::Tiers(t) = sample_long_tiers() {
            for tier in &t.tiers {
                assert!(
                    texts.contains(&tier.name.as_str()),
                    "{} in {texts:?}",
                    tier.name
                );
            }
        }
        assert!(!texts.iter().any(|t| t.contains('…')), "{texts:?}");
        // Three bars per tier plus the legend swatches.
        assert_eq!(filled_with(&d, NAVY), 1 + 8);
        // The short CDNOW-like names keep the column layout.
        let columns = layout(&sample_tiers());
        assert!(columns.texts().contains(&"First class"));
        assert_eq!(columns.height, 70.0 + 150.0 + 40.0);
    }

    /// An RFM grid with revenue rising towards R5/F5.
    #[allow(clippy::needless_range_loop)]
    pub fn sample_rfm() -> Chart {
        let mut cells = [[RfmCell::default(); 5]; 5];
        let total = 8_423_112.0;
        for r in 0..5 {
            for f in 0..5 {
                let customers = 120 + (r * 5 + f) as u64 * 37;
                let revenue = total * ((r + 1) * (f + 1)) as f64 / 225.0;
                cells[r][f] = RfmCell {
                    customers,
                    revenue,
                    revenue_share: revenue / total,
                };
            }
        }
        Chart::Rfm(RfmGrid {
            cells,
            currency: "USD".into(),
        })
    }

    #[test]
    fn text_stays_readable_on_a4() {
        // A4 text width with the PDF margins is at least WIDTH, so chart units are >= points.
        let a4_text_width = 595.28 - 2.0 * 70.87;
        assert!(a4_text_width >= WIDTH);
        for chart in [
            sample_pareto(),
            sample_tiers(),
            sample_tiers_without_margin(),
            sample_long_tiers(),
            sample_rfm(),
            super::whale::tests::sample_whale(),
        ] {
            let d = layout(&chart);
            assert!(
                d.min_text_size() * a4_text_width / d.width >= 7.0,
                "{}",
                chart.title()
            );
        }
    }

    #[test]
    fn text_stays_inside_the_canvas() {
        for chart in [
            sample_pareto(),
            sample_tiers(),
            sample_tiers_without_margin(),
            sample_long_tiers(),
            sample_rfm(),
            super::whale::tests::sample_whale(),
        ] {
            let d = layout(&chart);
            for shape in &d.shapes {
                if let Shape::Text {
                    x,
                    y,
                    text,
                    size,
                    anchor,
                    weight,
                    ..
                } = shape
                {
                    let w = text_width(text, *size, *weight == super::super::drawing::Weight::Bold);
                    let x0 = match anchor {
                        Anchor::Start => *x,
                        Anchor::Middle => x - w / 2.0,
                        Anchor::End => x - w,
                    };
                    assert!(
                        x0 >= -0.01 && x0 + w <= d.width + 0.01,
                        "`{text}` spans {x0}..{} in {}",
                        x0 + w,
                        chart.title()
                    );
                    assert!(
                        *y - size >= -0.01 && *y <= d.height + 0.01,
                        "`{text}` at y {y}"
                    );
                }
            }
        }
    }

    #[test]
    fn pareto_labels_both_readings() {
        let d = layout(&sample_pareto());
        let texts = d.texts().join("\n");
        assert!(
            texts.contains("Top 20% of customers: 63% of revenue"),
            "{texts}"
        );
        assert!(
            texts.contains("80% of revenue: top 30% of customers"),
            "{texts}"
        );
        assert!(texts.contains("100%"));
    }

    #[test]
    fn tiers_keep_order_and_label_values() {
        let d = layout(&sample_tiers());
        let texts = d.texts();
        let pos = |s: &str| {
            texts
                .iter()
                .position(|t| *t == s)
                .unwrap_or_else(|| panic!("{s} missing"))
        };
        assert!(pos("First class") < pos("Business class"));
        assert!(pos("Business class") < pos("Economy class"));
        assert!(texts.contains(&"8.5%")); // First class customer share
        assert!(texts.contains(&"$4.9M revenue") || texts.contains(&"$5M revenue"));
    }

    /// Bars (and legend swatches) filled with a series colour.
    fn filled_with(d: &Drawing, color: Rgb) -> usize {
        d.shapes
            .iter()
            .filter(|s| matches!(s, Shape::Rect { fill: Some(f), .. } if *f == color))
            .count()
    }

    #[test]
    fn tiers_without_margin_leave_the_margin_series_out() {
        let with = layout(&sample_tiers());
        let texts = with.texts();
        assert!(texts.contains(&"Margin"));
        assert!(texts.contains(&"70%") && texts.contains(&"1.4%")); // margin-only labels
        assert!(texts.iter().any(|t| t.contains("margin;")));
        // One legend swatch and one bar per tier for each series.
        assert_eq!(filled_with(&with, NAVY), 1 + 3);
        assert_eq!(filled_with(&with, MID), 1 + 3);

        let chart = sample_tiers_without_margin();
        assert_eq!(chart.title(), "Customers and revenue by tier");
        let without = layout(&chart);
        let texts = without.texts();
        assert!(
            !texts.iter().any(|t| t.to_lowercase().contains("margin")),
            "{texts:?}"
        );
        for margin_label in ["70%", "1.4%"] {
            assert!(
                !texts.contains(&margin_label),
                "{margin_label} in {texts:?}"
            );
        }
        assert_eq!(filled_with(&without, NAVY), 0, "no margin bars or swatch");
        assert_eq!(filled_with(&without, MID), 1 + 3);
        assert_eq!(filled_with(&without, LIGHT), 1 + 3);
        assert!(texts.contains(&"8.5%") && texts.contains(&"Revenue"));
        // Bars stay centred on their tier: two bars per group, symmetric around its centre.
        let bars: Vec<(f64, f64)> = without
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Rect {
                    x,
                    w,
                    fill: Some(f),
                    ..
                } if *f == LIGHT || *f == MID => Some((*x, *w)),
                _ => None,
            })
            .skip(2) // legend swatches
            .collect();
        let group = (WIDTH - 4.0 - 40.0) / 3.0;
        for (i, pair) in bars.chunks(2).enumerate() {
            let centre = (pair[0].0 + pair[1].0 + pair[1].1) / 2.0;
            assert!((centre - (40.0 + group * (i as f64 + 0.5))).abs() < 1e-6);
        }
    }

    #[test]
    fn rfm_classes_are_distinct_in_greyscale() {
        for pair in RFM_CLASSES.windows(2) {
            assert!(pair[0].grey_level() - pair[1].grey_level() > 0.1);
        }
        let series = [LIGHT, MID, NAVY];
        for pair in series.windows(2) {
            assert!(pair[0].grey_level() - pair[1].grey_level() > 0.2);
        }
        assert_eq!(rfm_class(0.0), 0);
        assert_eq!(rfm_class(0.015), 1);
        assert_eq!(rfm_class(0.2), 4);
    }

    #[test]
    fn charts_squeeze_to_fit_but_keep_their_text() {
        for chart in [
            sample_pareto(),
            sample_tiers(),
            sample_rfm(),
            super::whale::tests::sample_whale(),
        ] {
            let natural = layout(&chart);
            let squeezed = layout_squeezed(&chart, MIN_SQUEEZE);
            assert!(squeezed.height < natural.height, "{}", chart.title());
            assert_eq!(squeezed.min_text_size(), natural.min_text_size());
            assert_eq!(squeezed.texts(), natural.texts(), "{}", chart.title());
            // tests/pdf_pages.rs relies on these least shares of a chart's natural height (its
            // plot squeezed, its smallest text at 7 pt): 62% for the Pareto and whale curves, 66%
            // for the tier bars, 84% for the RFM grid, whose cells hold two lines of text.
            let smallest = squeezed.height * 7.0 / squeezed.min_text_size();
            let least = match chart.title() {
                "Customers, revenue and margin by tier" => 0.66,
                "Customers by recency and frequency" => 0.84,
                _ => 0.62,
            };
            assert!(smallest >= least * natural.height, "{}", chart.title());
            // Fitting finds the tallest layout under the limit.
            let limit = (natural.height + squeezed.height) / 2.0;
            let fitted = fit(&chart, limit);
            assert!(fitted.height <= limit && fitted.height > limit - 3.0);
            assert_eq!(fit(&chart, 1e9), natural);
            assert_eq!(fit(&chart, 1.0), squeezed);
        }
    }

    #[test]
    fn nice_ranges() {
        let (lo, hi, step) = nice_range(0.0, 0.58);
        assert!(lo == 0.0 && (hi - 0.6).abs() < 1e-9 && step == 0.1);
        let (lo, hi, step) = nice_range(-0.05, 0.7);
        assert!(lo < 0.0 && hi >= 0.7 && step == 0.2);
    }
}
