//! SVG painter: a self-contained SVG document for the Markdown report.

use std::fmt::Write;

use super::drawing::{num, Anchor, Drawing, Shape, Stroke, Weight};
use super::{layout, Chart};

/// The chart as a standalone SVG document (viewBox in chart units).
pub fn to_svg(chart: &Chart) -> String {
    drawing_to_svg(&layout(chart), chart.title())
}

/// Paints any drawing as SVG; `title` becomes the accessible `<title>`.
pub fn drawing_to_svg(d: &Drawing, title: &str) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
         font-family=\"DejaVu Sans, sans-serif\" role=\"img\">\n<title>{t}</title>\n\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n",
        w = num(d.width),
        h = num(d.height),
        t = escape(title)
    );
    for shape in &d.shapes {
        match shape {
            Shape::Line { from, to, stroke } => {
                let _ = writeln!(
                    out,
                    "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"{}/>",
                    num(from.0),
                    num(from.1),
                    num(to.0),
                    num(to.1),
                    stroke_attrs(stroke)
                );
            }
            Shape::Polyline { points, stroke } => {
                let _ = writeln!(
                    out,
                    "<polyline points=\"{}\" fill=\"none\" stroke-linejoin=\"round\"{}/>",
                    points_attr(points),
                    stroke_attrs(stroke)
                );
            }
            Shape::Polygon {
                points,
                fill,
                stroke,
            } => {
                let _ = writeln!(
                    out,
                    "<polygon points=\"{}\" fill=\"{}\"{}/>",
                    points_attr(points),
                    fill.hex(),
                    stroke.as_ref().map(stroke_attrs).unwrap_or_default()
                );
            }
            Shape::Rect {
                x,
                y,
                w,
                h,
                fill,
                stroke,
            } => {
                let fill = fill.map(|f| f.hex()).unwrap_or_else(|| "none".to_string());
                let _ = writeln!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"{}/>",
                    num(*x),
                    num(*y),
                    num(*w),
                    num(*h),
                    fill,
                    stroke.as_ref().map(stroke_attrs).unwrap_or_default()
                );
            }
            Shape::Text {
                x,
                y,
                text,
                size,
                anchor,
                weight,
                color,
            } => {
                let anchor = match anchor {
                    Anchor::Start => "",
                    Anchor::Middle => " text-anchor=\"middle\"",
                    Anchor::End => " text-anchor=\"end\"",
                };
                let weight = match weight {
                    Weight::Normal => "",
                    Weight::Bold => " font-weight=\"bold\"",
                };
                let _ = writeln!(
                    out,
                    "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{}\"{}{}>{}</text>",
                    num(*x),
                    num(*y),
                    num(*size),
                    color.hex(),
                    anchor,
                    weight,
                    escape(text)
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

fn stroke_attrs(s: &Stroke) -> String {
    let mut a = format!(
        " stroke=\"{}\" stroke-width=\"{}\"",
        s.color.hex(),
        num(s.width)
    );
    if let Some((dash, gap)) = s.dash {
        let _ = write!(a, " stroke-dasharray=\"{} {}\"", num(dash), num(gap));
    }
    a
}

fn points_attr(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Escapes text for XML character data and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::layout::tests::{sample_pareto, sample_rfm, sample_tiers};
    use crate::report::charts::TierBars;

    /// A minimal well-formedness check: every tag closes in order, attributes are quoted, and
    /// no raw `&` or `<` appears in text.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let text = &rest[..start];
            assert!(!text.contains('>'), "stray > in text: {text}");
            for (i, _) in text.match_indices('&') {
                let tail = &text[i..];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                        .iter()
                        .any(|e| tail.starts_with(e)),
                    "raw & in text"
                );
            }
            let end = rest[start..].find('>').expect("unclosed tag") + start;
            let tag = &rest[start + 1..end];
            assert_eq!(
                tag.matches('"').count() % 2,
                0,
                "unbalanced quotes in <{tag}>"
            );
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            } else if !tag.ends_with('/') {
                let name = tag
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                stack.push(name);
            }
            rest = &rest[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        assert!(rest.trim().is_empty());
    }

    #[test]
    fn svgs_are_well_formed_and_labelled() {
        for (chart, labels) in [
            (
                sample_pareto(),
                vec![
                    "Revenue concentration",
                    "Top 20% of customers",
                    "80% of revenue",
                    "Cumulative share of revenue",
                ],
            ),
            (
                sample_tiers(),
                vec![
                    "First class",
                    "Economy class",
                    "Customers",
                    "Margin",
                    "Share of total:",
                ],
            ),
            (
                sample_rfm(),
                vec![
                    "R5",
                    "F5",
                    "Recency score",
                    "Frequency score",
                    "Share of revenue:",
                    "10% or more",
                ],
            ),
        ] {
            let svg = to_svg(&chart);
            assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 450 "));
            assert!(svg.contains("font-family=\"DejaVu Sans, sans-serif\""));
            assert_well_formed(&svg);
            for label in labels {
                assert!(
                    svg.contains(label),
                    "{label} missing from {}",
                    chart.title()
                );
            }
            assert_eq!(svg, to_svg(&chart), "deterministic");
        }
    }

    #[test]
    fn user_text_is_escaped() {
        let mut chart = sample_tiers();
        if let Chart::Tiers(TierBars { tiers, .. }) = &mut chart {
            tiers[0].name = "A&B <VIP>".into();
        }
        let svg = to_svg(&chart);
        assert!(svg.contains("A&amp;B"));
        assert_well_formed(&svg);
    }
}
