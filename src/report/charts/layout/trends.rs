//! The trends' layout: small multiples, one panel per segment, revenue (and margin when known)
//! by quarter on the panel's own scale, with its year-on-year growth or downturn in the heading.

use super::super::drawing::{Drawing, Shape, Stroke, TextStyle};
use super::super::{TrendPanel, TrendPanels};
use super::{header, text_width, MIN_TEXT, WIDTH};
use crate::report::format::{money_short, percent_compact};
use crate::report::style::palette::{AXIS, GRID, INK, MID, MUTED, NAVY};

/// Height of one panel, heading and quarter labels included.
const PANEL_H: f64 = 96.0;
/// Space between panels.
const GAP: f64 = 16.0;
/// Where the panels start, under the header and the legend.
const TOP: f64 = 56.0;

/// The panels, two or three to a row; their plots at `squeeze` of their natural height.
pub(super) fn trends(title: &str, t: &TrendPanels, squeeze: f64) -> Drawing {
    let cols = match t.panels.len() {
        0 | 1 => 1,
        2..=4 => 2,
        _ => 3,
    };
    let w = (WIDTH - GAP * (cols as f64 - 1.0)) / cols as f64;
    // A segment name too long for one line takes two, in every panel's heading.
    let name_lines = t
        .panels
        .iter()
        .map(|p| {
            let (name, _, note_at) = heading(p, w);
            name.len().max(note_at + 1)
        })
        .max()
        .unwrap_or(1)
        .max(1);
    let extra = 10.0 * (name_lines - 1) as f64;
    // A panel's heading and quarter labels take 34 units; its plot the rest.
    let panel_h = 34.0 + extra + (PANEL_H - 34.0) * squeeze;
    let rows = t.panels.len().div_ceil(cols).max(1);
    let mut d = Drawing::new(WIDTH, TOP + rows as f64 * (panel_h + GAP));
    let span = match (t.quarters.first(), t.quarters.last()) {
        (Some(a), Some(b)) if a != b => format!("{a} to {b}"),
        (Some(a), _) => a.clone(),
        _ => String::new(),
    };
    header(
        &mut d,
        title,
        &format!(
            "{} complete quarters, {span}; each panel on its own scale",
            t.quarters.len()
        ),
    );
    let has_margin = t.panels.iter().any(|p| p.margin.is_some());
    legend(&mut d, has_margin);
    for (i, p) in t.panels.iter().enumerate() {
        let x = (i % cols) as f64 * (w + GAP);
        let y = TOP + (i / cols) as f64 * (panel_h + GAP);
        panel(
            &mut d,
            p,
            &t.quarters,
            &t.currency,
            (x, y, w, panel_h),
            extra,
        );
    }
    d
}

/// What the two lines are.
fn legend(d: &mut Drawing, has_margin: bool) {
    let small = TextStyle::new(MIN_TEXT, MUTED);
    d.line((0.0, 42.0), (16.0, 42.0), Stroke::solid(MID, 1.8));
    d.text(20.0, 44.5, "Revenue", small);
    if has_margin {
        let x = 28.0 + text_width("Revenue", MIN_TEXT, false);
        d.line(
            (x, 42.0),
            (x + 16.0, 42.0),
            Stroke::dashed(NAVY, 1.4, 3.0, 2.0),
        );
        d.text(x + 20.0, 44.5, "Margin", small);
    }
}

/// A panel's heading for a panel `w` wide: the segment's name on one or two lines (an ellipsis
/// only past two), its note (downturn or year-on-year growth) and the line the note goes on.
fn heading(p: &TrendPanel, w: f64) -> (Vec<String>, String, usize) {
    let note = match (p.downturn, p.yoy) {
        (true, _) => "downturn".to_string(),
        (false, Some(g)) => format!(
            "{}{} YoY",
            if g < 0.0 { "-" } else { "+" },
            percent_compact(g.abs())
        ),
        (false, None) => String::new(),
    };
    let note_w = text_width(&note, MIN_TEXT, true) + 4.0;
    let beside = super::wrap_words(&p.segment, 8.5, true, w - note_w);
    if super::lines_fit(&beside, 8.5, true, w - note_w, 2) {
        return (beside, note, 0);
    }
    // Too long beside the note: the name takes the panel's width, the note the line under it.
    let name = super::wrap_label(&p.segment, 8.5, true, w, 2);
    let at = if note.is_empty() { 0 } else { name.len() };
    (name, note, at)
}

/// One segment's panel at (x, y), `w` wide and `h` high; its plot `extra` lower for a heading
/// on two lines.
fn panel(
    d: &mut Drawing,
    p: &TrendPanel,
    quarters: &[String],
    currency: &str,
    at: (f64, f64, f64, f64),
    extra: f64,
) {
    let (x, y, w, h) = at;
    let small = TextStyle::new(MIN_TEXT, MUTED);
    let (name, note, note_at) = heading(p, w);
    for (k, line) in name.into_iter().enumerate() {
        d.text(
            x,
            y + 9.0 + 10.0 * k as f64,
            line,
            TextStyle::new(8.5, INK).bold(),
        );
    }
    if !note.is_empty() {
        let style = TextStyle::new(MIN_TEXT, if p.downturn { INK } else { MUTED }).end();
        d.text(
            x + w,
            y + 9.0 + 10.0 * note_at as f64,
            note,
            if p.downturn { style.bold() } else { style },
        );
    }
    let (l, r, t, b) = (x + 30.0, x + w - 4.0, y + 20.0 + extra, y + h - 14.0);
    let margin = p.margin.as_deref().unwrap_or(&[]);
    let all = p.revenue.iter().chain(margin);
    let hi = all.clone().fold(0.0f64, |a, &v| a.max(v));
    let lo = all.fold(0.0f64, |a, &v| a.min(v));
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    let py = |v: f64| b - (v - lo) / span * (b - t);
    let n = p.revenue.len();
    let px = |i: usize| {
        if n <= 1 {
            (l + r) / 2.0
        } else {
            l + i as f64 / (n - 1) as f64 * (r - l)
        }
    };
    d.line((l, py(hi)), (r, py(hi)), Stroke::solid(GRID, 0.6));
    d.text(
        l - 3.0,
        py(hi) + 2.6,
        money_short(hi, currency),
        small.end(),
    );
    d.line((l, py(0.0)), (r, py(0.0)), Stroke::solid(AXIS, 0.7));
    d.text(
        l - 3.0,
        py(0.0) + 2.6,
        money_short(0.0, currency),
        small.end(),
    );
    if lo < 0.0 {
        d.text(
            l - 3.0,
            py(lo) + 2.6,
            money_short(lo, currency),
            small.end(),
        );
    }
    if let (Some(first), Some(last)) = (quarters.first(), quarters.last()) {
        d.text(l, b + 10.0, first.clone(), small);
        if n > 1 {
            d.text(r, b + 10.0, last.clone(), small.end());
        }
    }
    let line = |values: &[f64], stroke: Stroke, d: &mut Drawing| {
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| (px(i), py(v)))
            .collect();
        if points.len() >= 2 {
            d.shapes.push(Shape::Polyline { points, stroke });
        } else if let Some(&(cx, cy)) = points.first() {
            d.shapes.push(Shape::Polygon {
                points: super::circle(cx, cy, 2.0),
                fill: stroke.color,
                stroke: None,
            });
        }
    };
    line(&p.revenue, Stroke::solid(MID, 1.8), d);
    if !margin.is_empty() {
        line(margin, Stroke::dashed(NAVY, 1.4, 3.0, 2.0), d);
    }
}

#[cfg(test)]
mod tests {
    use super::super::layout;
    use super::*;
    use crate::report::charts::Chart;

    fn panels(n: usize, margin: bool) -> Chart {
        Chart::Trends(TrendPanels {
            quarters: vec!["1997Q1".into(), "1997Q2".into(), "1997Q3".into()],
            panels: (0..n)
                .map(|i| TrendPanel {
                    segment: format!("Segment {i}"),
                    revenue: vec![1_000.0, 2_000.0, 1_500.0],
                    margin: margin.then(|| vec![300.0, 200.0, -100.0]),
                    yoy: (i == 1).then_some(0.04),
                    downturn: i == 0,
                })
                .collect(),
            currency: "USD".into(),
        })
    }

    #[test]
    fn one_panel_per_segment_with_its_scale_and_its_flag() {
        let d = layout(&panels(5, true));
        let texts = d.texts().join("\n");
        for i in 0..5 {
            assert!(texts.contains(&format!("Segment {i}")), "{texts}");
        }
        assert!(
            texts.contains("downturn") && texts.contains("+4.0% YoY"),
            "{texts}"
        );
        assert!(texts.contains("$2k") && texts.contains("-$100"), "{texts}");
        assert!(
            texts.contains("1997Q1") && texts.contains("1997Q3"),
            "{texts}"
        );
        assert!(texts.contains("Margin"), "{texts}");
        assert!(d.min_text_size() >= MIN_TEXT);
        // Three to a row: two rows.
        assert_eq!(d.height, TOP + 2.0 * (PANEL_H + GAP));
        let lines = d
            .shapes
            .iter()
            .filter(|s| matches!(s, Shape::Polyline { .. }))
            .count();
        assert_eq!(lines, 10, "revenue and margin per panel");
    }

    #[test]
    fn without_margin_only_revenue_is_drawn() {
        let d = layout(&panels(2, false));
        let texts = d.texts().join("\n");
        assert!(!texts.contains("Margin"), "{texts}");
        assert!(texts.starts_with("Revenue by quarter"), "{texts}");
    }
}
