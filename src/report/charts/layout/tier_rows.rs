//! The tier chart as rows (`charts/tiers.svg` with many tiers or long tier names): one row per
//! tier, its whole name on the left (wrapped at spaces, up to three lines), its customers and
//! revenue under the name, and one horizontal bar per series, each labelled with its value.
//! Used when the names do not fit under columns on two lines, so no name is ever cut.

use super::super::drawing::{Drawing, Stroke, TextStyle};
use super::super::TierBars;
use super::{nice_range, text_width, tier_values, tiers_heading, wrap_label, MIN_TEXT, WIDTH};
use crate::report::format::{money_short, percent, percent_compact, thousands};
use crate::report::style::palette::{AXIS, GRID, INK, MUTED, NAVY};

/// Size of the tier names.
const NAME_SIZE: f64 = 8.5;
/// Widest the name column gets, in chart units (names wrap within it).
const NAME_MAX: f64 = 170.0;
/// Height of one bar and the gap between the bars of a tier.
const BAR_H: f64 = 9.0;
const BAR_GAP: f64 = 1.5;

/// Lays out the chart with one row per tier.
pub(super) fn tier_rows(title: &str, t: &TierBars) -> Drawing {
    let widest = t
        .tiers
        .iter()
        .map(|x| text_width(&x.name, NAME_SIZE, true))
        .fold(60.0, f64::max);
    let name_w = widest.min(NAME_MAX);
    let names: Vec<Vec<String>> = t
        .tiers
        .iter()
        .map(|x| wrap_label(&x.name, NAME_SIZE, true, name_w, 3))
        .collect();
    let details: Vec<String> = t.tiers.iter().map(|x| detail(t, x, name_w)).collect();
    let top = 62.0;
    // Each row is as tall as its bars or its name and detail line, whichever is taller.
    let mut d = Drawing::new(WIDTH, 100.0);
    let series = tiers_heading(&mut d, title, t);
    let bars_h = series.len() as f64 * (BAR_H + BAR_GAP) - BAR_GAP;
    let heights: Vec<f64> = names
        .iter()
        .map(|lines| (bars_h + 10.0).max(lines.len() as f64 * 10.0 + 9.5 + 6.0))
        .collect();
    let b = top + heights.iter().sum::<f64>();
    d.height = b + 26.0;

    let values = tier_values(t, series.len());
    let hi = values.iter().flatten().copied().fold(0.0, f64::max);
    let lo = values.iter().flatten().copied().fold(0.0, f64::min);
    let (vmin, vmax, step) = nice_range(lo, hi);
    let (l, r) = (name_w + 14.0, WIDTH - 30.0);
    let px = |v: f64| l + (v - vmin) / (vmax - vmin) * (r - l);
    let small = TextStyle::new(8.0, MUTED);
    let steps = ((vmax - vmin) / step).round() as i64;
    for i in 0..=steps {
        let v = vmin + i as f64 * step;
        if v.abs() > 1e-9 {
            d.line((px(v), top), (px(v), b), Stroke::solid(GRID, 0.6));
        }
        let label = percent(v, if step < 0.05 { 1 } else { 0 });
        d.text(px(v), b + 12.0, label, small.middle());
    }

    let zero = px(0.0);
    let mut y = top;
    for (i, vals) in values.iter().enumerate() {
        let row_h = heights[i];
        if i > 0 {
            d.line((0.0, y), (r, y), Stroke::solid(GRID, 0.4));
        }
        let mut ly = y + 5.0 + NAME_SIZE;
        for line in &names[i] {
            d.text(
                l - 8.0,
                ly,
                line.as_str(),
                TextStyle::new(NAME_SIZE, INK).bold().end(),
            );
            ly += 10.0;
        }
        d.text(
            l - 8.0,
            ly + 0.5,
            details[i].as_str(),
            TextStyle::new(MIN_TEXT, MUTED).end(),
        );
        let y0 = y + (row_h - bars_h) / 2.0;
        for (k, (&v, &(_, color))) in vals.iter().zip(series).enumerate() {
            let by = y0 + k as f64 * (BAR_H + BAR_GAP);
            let x = px(v);
            let (rx, rw) = if v >= 0.0 {
                (zero, x - zero)
            } else {
                (x, zero - x)
            };
            d.rect(
                rx,
                by,
                rw.max(0.0),
                BAR_H,
                Some(color),
                Some(Stroke::solid(NAVY, 0.6)),
            );
            let style = TextStyle::new(MIN_TEXT, INK);
            let (lx, style) = if v >= 0.0 {
                (x + 3.0, style)
            } else {
                (x - 3.0, style.end())
            };
            d.text(lx, by + BAR_H - 1.5, percent_compact(v), style);
        }
        y += row_h;
    }
    d.line((zero, top), (zero, b), Stroke::solid(AXIS, 0.8));
    d.line((l, b), (r, b), Stroke::solid(AXIS, 0.8));
    d
}

/// The tier's customers and revenue, as long as fits `width`.
fn detail(t: &TierBars, tier: &super::super::TierBar, width: f64) -> String {
    let count = thousands(tier.customers as i64);
    let money = money_short(tier.revenue, &t.currency);
    [
        format!("{count} customers, {money} revenue"),
        format!("{count} cust., {money} rev."),
        format!("{count} / {money}"),
    ]
    .into_iter()
    .find(|c| text_width(c, MIN_TEXT, false) <= width)
    .unwrap_or_else(|| format!("{count} / {money}"))
}
