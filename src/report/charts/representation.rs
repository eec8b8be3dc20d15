//! The representation chart (`charts/representation.svg`): for the core tiers, one bar per
//! attribute value from the 100 line (as common as in the whole base) to the value's
//! representation index, grouped by attribute. Over-represented values are dark, under-represented
//! light; each bar is labelled with its index.

use super::drawing::{Drawing, Stroke, TextStyle};
use super::layout::{wrap_label, MIN_TEXT, WIDTH};
use super::{IndexBar, IndexBars};
use crate::report::format::thousands;
use crate::report::style::fonts::{fonts, Face};
use crate::report::style::palette::{AXIS, GRID, INK, LIGHT, MUTED, NAVY};

/// The most bars drawn; with more values, those furthest from 100 (on a ratio scale) are kept.
pub const MAX_BARS: usize = 24;
/// The highest index the axis reaches; longer bars are cut there (their label keeps the value).
const AXIS_CAP: f64 = 400.0;

fn width(text: &str, size: f64, bold: bool) -> f64 {
    fonts().width(if bold { Face::Bold } else { Face::Regular }, text, size)
}

/// `text` cut with an ellipsis to fit `max` chart units.
fn fit(text: &str, size: f64, bold: bool, max: f64) -> String {
    if width(text, size, bold) <= max {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut: String = chars.iter().collect::<String>() + "…";
        if width(&cut, size, bold) <= max {
            return cut;
        }
    }
    "…".to_string()
}

/// Lays out the chart, its rows at `squeeze` of their natural height (never under 10.5 units).
pub fn layout(title: &str, c: &IndexBars, squeeze: f64) -> Drawing {
    // Rows keep room for their 8 pt label when squeezed.
    let row = (14.0 * squeeze).max(10.5);
    let text_dy = row / 2.0 + 3.0;
    let headings = c
        .bars
        .windows(2)
        .filter(|w| w[0].attribute != w[1].attribute)
        .count()
        + usize::from(!c.bars.is_empty());
    let top = 62.0;
    let (l, r) = (150.0, WIDTH - 28.0);
    let labels: Vec<Vec<String>> = c
        .bars
        .iter()
        .map(|b| wrap_label(&b.value, LABEL_SIZE, false, l - 18.0, 2))
        .collect();
    // A label on two lines makes its row a line taller.
    let wrapped = labels.iter().filter(|l| l.len() > 1).count() as f64;
    let rows = (c.bars.len() + headings) as f64;
    let b = top + rows.max(1.0) * row + wrapped * LABEL_LINE + 4.0;
    let h = b + 30.0;
    let mut d = Drawing::new(WIDTH, h);
    d.text(0.0, 13.0, title, TextStyle::new(11.0, INK).bold());
    let subtitle = format!(
        "{} customers; index = their share with a value / all customers' share x 100",
        thousands(c.customers as i64)
    );
    d.text(
        0.0,
        28.0,
        fit(&subtitle, 8.5, false, WIDTH),
        TextStyle::new(8.5, MUTED),
    );
    if c.bars.is_empty() {
        d.text(
            0.0,
            top + 10.0,
            "No attribute values to compare: add attribute columns (data.customers).",
            TextStyle::new(8.5, INK),
        );
        return d;
    }
    let max = c
        .bars
        .iter()
        .map(|b| b.index)
        .fold(150.0, f64::max)
        .min(AXIS_CAP);
    let step = if max > 200.0 { 100.0 } else { 50.0 };
    let xmax = (max / step).ceil() * step;
    let px = |v: f64| l + v.clamp(0.0, xmax) / xmax * (r - l);
    let small = TextStyle::new(8.0, MUTED);
    let mut tick = 0.0;
    while tick <= xmax + 1e-9 {
        d.line(
            (px(tick), top - 4.0),
            (px(tick), b),
            Stroke::solid(GRID, 0.6),
        );
        d.text(px(tick), b + 11.0, format!("{tick:.0}"), small.middle());
        tick += step;
    }
    d.text(
        l + (r - l) / 2.0,
        h - 5.0,
        "Representation index (100 = as common as among all customers)",
        small.middle(),
    );
    let mut y = top;
    let mut last: Option<&str> = None;
    for (bar, label) in c.bars.iter().zip(&labels) {
        if last != Some(bar.attribute.as_str()) {
            d.text(
                0.0,
                y + text_dy,
                fit(&bar.attribute, 8.5, true, l - 8.0),
                TextStyle::new(8.5, INK).bold(),
            );
            y += row;
            last = Some(&bar.attribute);
        }
        y += bar_row(&mut d, bar, label, (y, row), (l, &px));
    }
    d.line(
        (px(100.0), top - 4.0),
        (px(100.0), b),
        Stroke::solid(AXIS, 1.2),
    );
    d
}

/// Size of the value labels, and the line height of one on two lines.
const LABEL_SIZE: f64 = MIN_TEXT + 0.5;
const LABEL_LINE: f64 = 9.0;

/// One bar's row from `y`, at least `row` high: its value label (on `label`'s lines) right-aligned
/// left of the plot at `l`, its bar from the 100 line and its index. Returns the row's height.
fn bar_row(
    d: &mut Drawing,
    bar: &IndexBar,
    label: &[String],
    (y, row): (f64, f64),
    (l, px): (f64, &dyn Fn(f64) -> f64),
) -> f64 {
    let extra = LABEL_LINE * label.len().saturating_sub(1) as f64;
    let h = row + extra;
    let text_dy = h / 2.0 + 3.0;
    for (k, line) in label.iter().enumerate() {
        d.text(
            l - 6.0,
            y + text_dy - extra / 2.0 + LABEL_LINE * k as f64,
            line.as_str(),
            TextStyle::new(LABEL_SIZE, INK).end(),
        );
    }
    let (x0, x1) = (px(bar.index.min(100.0)), px(bar.index.max(100.0)));
    let over = bar.index > 100.0;
    d.rect(
        x0,
        y + (h - row + 5.0) / 2.0,
        (x1 - x0).max(0.8),
        row - 5.0,
        Some(if over { NAVY } else { LIGHT }),
        Some(Stroke::solid(NAVY, 0.5)),
    );
    // Under-represented bars end left of the 100 line: their index sits right of it.
    let at = if over { x1 } else { px(100.0) };
    d.text(
        at + 3.0,
        y + text_dy,
        format!("{:.0}", bar.index),
        TextStyle::new(MIN_TEXT, INK),
    );
    h
}

#[cfg(test)]
mod tests {
    use super::super::drawing::{Anchor, Shape, Weight};
    use super::super::{Chart, IndexBar};
    use super::*;

    fn sample() -> IndexBars {
        let bar = |attribute: &str, value: &str, index: f64| IndexBar {
            attribute: attribute.into(),
            value: value.into(),
            index,
            customers: 120,
        };
        IndexBars {
            title: "What sets First class customers apart".into(),
            customers: 1_060,
            bars: vec![
                bar("region", "North", 162.0),
                bar(
                    "region",
                    "South with a very long name that has to be cut short",
                    41.0,
                ),
                bar("age", "< 25", 12.0),
                bar("age", "50+", 1_250.0),
            ],
        }
    }

    #[test]
    fn bars_start_at_the_100_line_and_text_stays_inside() {
        let chart = Chart::Representation(sample());
        let d = super::super::layout(&chart);
        let texts = d.texts();
        for label in ["region", "age", "North", "162", "41", "1250", "100"] {
            assert!(texts.contains(&label), "{label} in {texts:?}");
        }
        // The bars: one per value, each with an edge on the 100 line.
        let bars: Vec<(f64, f64)> = d
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Rect { x, w, .. } => Some((*x, x + w)),
                _ => None,
            })
            .collect();
        assert_eq!(bars.len(), 4);
        let hundred = bars[0].0;
        assert!(bars
            .iter()
            .all(|b| (b.0 - hundred).abs() < 1e-9 || (b.1 - hundred).abs() < 1e-9));
        for shape in &d.shapes {
            if let Shape::Text {
                x,
                text,
                size,
                anchor,
                weight,
                ..
            } = shape
            {
                let w = width(text, *size, *weight == Weight::Bold);
                let x0 = match anchor {
                    Anchor::Start => *x,
                    Anchor::Middle => x - w / 2.0,
                    Anchor::End => x - w,
                };
                assert!(x0 >= -0.01 && x0 + w <= d.width + 0.01, "`{text}`");
                assert!(*size >= MIN_TEXT);
            }
        }
    }

    #[test]
    fn without_attributes_it_says_what_would_answer() {
        let mut empty = sample();
        empty.bars.clear();
        let d = super::super::layout(&Chart::Representation(empty));
        assert!(d.texts().iter().any(|t| t.contains("data.customers")));
    }

    #[test]
    fn a_long_value_wraps_onto_two_lines_before_it_is_cut() {
        let long = "South with a very long name that has to be cut short";
        let d = layout("t", &sample(), 1.0);
        let texts = d.texts();
        assert!(!texts.iter().any(|t| t.contains('…')), "{texts:?}");
        assert!(!texts.contains(&long), "on two lines: {texts:?}");
        assert!(texts.join(" ").contains(long), "{texts:?}");
        // Its row is a line taller than the others.
        let one_line = IndexBars {
            bars: sample()
                .bars
                .into_iter()
                .filter(|b| b.value != long)
                .collect(),
            ..sample()
        };
        assert!(d.height > layout("t", &one_line, 1.0).height + 14.0);
    }
}
