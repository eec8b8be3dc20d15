//! The whale curve's layout: cumulative share of profit against the share of customers ranked by
//! profit, the 100% line, and the peak marked and labelled.

use super::super::drawing::{Drawing, Shape, Stroke, TextStyle};
use super::super::Whale;
use super::{circle, header, nice_range, text_width, wrap_label, MIN_TEXT, WIDTH};
use crate::report::format::{money, percent, percent_compact, thousands};
use crate::report::style::palette::{AREA, AXIS, GRID_ON_AREA, INK, LIGHT, MUTED, NAVY, WHITE};

/// The whale curve, or the reason there is none; the plot area at `squeeze` of its natural
/// height.
pub(super) fn whale(title: &str, w: &Whale, squeeze: f64) -> Drawing {
    let h = 100.0 + 200.0 * squeeze;
    // The plot area: left, right, top, bottom.
    let plot = (40.0, WIDTH - 14.0, 62.0, h - 38.0);
    let mut d = Drawing::new(WIDTH, h);
    if let Some(missing) = &w.missing {
        header(
            &mut d,
            title,
            &format!("{} customers", thousands(w.customers as i64)),
        );
        let mut y = 70.0;
        for line in wrap_label(missing, 9.0, false, WIDTH - 20.0, 4) {
            d.text(0.0, y, line, TextStyle::new(9.0, INK));
            y += 13.0;
        }
        d.height = y + 10.0;
        return d;
    }
    let subtitle = format!(
        "{} customers, {} profit; customers ranked by profit, most profitable first",
        thousands(w.customers as i64),
        money(w.total_profit, &w.currency, 0)
    );
    header(&mut d, title, &subtitle);
    let (l, r, t, b) = plot;
    let lo = w.points.iter().map(|p| p.1).fold(0.0, f64::min);
    let hi = w.points.iter().map(|p| p.1).fold(1.0, f64::max);
    let (vmin, vmax, step) = nice_range(lo, hi * 1.05);
    let px = |x: f64| l + x.clamp(0.0, 1.0) * (r - l);
    let py = |y: f64| b - (y - vmin) / (vmax - vmin) * (b - t);
    let small = TextStyle::new(8.0, MUTED);

    let pts: Vec<(f64, f64)> = w.points.iter().map(|&(x, y)| (px(x), py(y))).collect();
    if let (Some(first), Some(last)) = (pts.first().copied(), pts.last().copied()) {
        let mut area = pts.clone();
        area.push((last.0, py(0.0)));
        area.push((first.0, py(0.0)));
        d.shapes.push(Shape::Polygon {
            points: area,
            fill: AREA,
            stroke: None,
        });
    }
    d.text(0.0, t - 12.0, "Cumulative share of profit", small);
    let steps = ((vmax - vmin) / step).round() as i64;
    for i in 0..=steps {
        let v = vmin + i as f64 * step;
        if v.abs() > 1e-9 {
            d.line((l, py(v)), (r, py(v)), Stroke::solid(GRID_ON_AREA, 0.6));
        }
        d.text(l - 5.0, py(v) + 2.8, percent(v, 0), small.end());
    }
    for i in 0..=5 {
        let v = f64::from(i) * 0.2;
        if i > 0 {
            d.line((px(v), t), (px(v), b), Stroke::solid(GRID_ON_AREA, 0.6));
        }
        d.text(px(v), b + 12.0, percent(v, 0), small.middle());
    }
    d.text(
        l + (r - l) / 2.0,
        h - 8.0,
        "Share of customers, ranked by profit (most profitable first)",
        small.middle(),
    );
    // Total profit: where the curve ends once every customer is counted.
    d.line(
        (px(0.0), py(1.0)),
        (px(1.0), py(1.0)),
        Stroke::dashed(AXIS, 0.8, 4.0, 3.0),
    );
    // Under the line at its right end: the curve comes down to it from above there.
    d.text(
        px(1.0) - 4.0,
        py(1.0) + 9.0,
        "100% of profit",
        TextStyle::new(MIN_TEXT, MUTED).end(),
    );
    d.line((l, t), (l, b), Stroke::solid(AXIS, 0.8));
    d.line((l, py(0.0)), (r, py(0.0)), Stroke::solid(AXIS, 0.8));
    if pts.len() >= 2 {
        d.shapes.push(Shape::Polyline {
            points: pts,
            stroke: Stroke::solid(NAVY, 1.8),
        });
    }
    peak(&mut d, w, plot, (&px, &py));
    d
}

/// The peak: guides to both axes, a dot, and a callout saying what it means.
fn peak(
    d: &mut Drawing,
    w: &Whale,
    plot: (f64, f64, f64, f64),
    (px, py): (&dyn Fn(f64) -> f64, &dyn Fn(f64) -> f64),
) {
    let (l, r, t, b) = plot;
    let at = (px(w.peak_customer_share), py(w.peak_share));
    let guide = Stroke::dashed(NAVY, 0.7, 2.5, 2.0);
    d.line((at.0, b), at, guide);
    d.line((l, at.1), at, guide);
    let text = format!(
        "The most profitable {} of customers earn {} of profit",
        percent_compact(w.peak_customer_share),
        percent_compact(w.peak_share)
    );
    let size = 8.0;
    let (box_w, box_h) = (text_width(&text, size, false) + 12.0, 15.0);
    // Right of the peak (or right-aligned when it does not fit there), under the lowest point
    // of the curve over the box's width (after the peak the curve falls only to 100%, so the
    // box sits under the "100% of profit" label at worst); above the plot when there is no room.
    let x = (at.0 + 10.0).min(r - box_w - 2.0).max(l + 4.0);
    let lowest = w
        .points
        .iter()
        .filter(|p| px(p.0) >= x - 4.0 && px(p.0) <= x + box_w + 4.0)
        .map(|p| py(p.1))
        .fold(at.1, f64::max);
    // Clear of the "100% of profit" label at the right end of the 100% line.
    let label_x0 = r - 4.0 - text_width("100% of profit", MIN_TEXT, false);
    let lowest = if x + box_w > label_x0 {
        lowest.max(py(1.0) + 9.0)
    } else {
        lowest
    };
    let below = lowest + 12.0;
    let y = if below + box_h <= py(0.0).min(b) - 14.0 {
        below
    } else {
        t - box_h - 2.0
    };
    d.line(
        at,
        ((at.0).clamp(x + 6.0, x + box_w - 6.0), y),
        Stroke::solid(MUTED, 0.6),
    );
    d.rect(
        x,
        y,
        box_w,
        box_h,
        Some(WHITE),
        Some(Stroke::solid(LIGHT, 0.8)),
    );
    d.text(x + 6.0, y + 10.5, text, TextStyle::new(size, INK));
    d.shapes.push(Shape::Polygon {
        points: circle(at.0, at.1, 3.2),
        fill: NAVY,
        stroke: Some(Stroke::solid(WHITE, 1.0)),
    });
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::layout;
    use super::*;
    use crate::report::charts::Chart;

    /// A whale curve shaped like a real base: 60% of customers earn money, the rest lose it.
    pub fn sample_whale() -> Chart {
        let points: Vec<(f64, f64)> = (0..=100)
            .map(|i| {
                let x = f64::from(i) / 100.0;
                let y = if x <= 0.6 {
                    1.4 * (1.0 - (1.0 - x / 0.6).powi(3))
                } else {
                    1.4 - 0.4 * ((x - 0.6) / 0.4).powi(2)
                };
                (x, y)
            })
            .collect();
        Chart::Whale(Whale {
            points,
            peak_share: 1.4,
            peak_customer_share: 0.6,
            customers: 23_570,
            total_profit: 275_963.71,
            currency: "USD".into(),
            missing: None,
        })
    }

    #[test]
    fn the_peak_is_labelled_and_the_100_percent_line_drawn() {
        let d = layout(&sample_whale());
        let texts = d.texts().join("\n");
        assert!(
            texts.contains("The most profitable 60% of customers earn 140% of profit"),
            "{texts}"
        );
        assert!(texts.contains("100% of profit"), "{texts}");
        assert!(
            texts.contains("23,570 customers, $275,964 profit"),
            "{texts}"
        );
        // The y axis reaches above the peak.
        assert!(texts.contains("150%"), "{texts}");
    }

    #[test]
    fn without_a_curve_the_chart_says_why() {
        let chart = Chart::Whale(Whale {
            points: Vec::new(),
            peak_share: 0.0,
            peak_customer_share: 0.0,
            customers: 10,
            total_profit: 0.0,
            currency: "USD".into(),
            missing: Some("Profit is not known: map a cost column.".into()),
        });
        let d = layout(&chart);
        let texts = d.texts().join("\n");
        assert!(texts.contains("Profit is not known"), "{texts}");
        assert!(!texts.contains('%'), "{texts}");
    }
}
