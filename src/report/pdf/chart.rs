//! PDF painter: draws a chart's [`Drawing`] as printpdf vector operations, text in the embedded
//! fonts.

use std::collections::BTreeSet;

use printpdf::Op;

use super::paint;
use crate::report::charts::drawing::{Anchor, Drawing, Shape, Weight};
use crate::report::style::fonts::Face;

/// Draws a chart's drawing (from [`crate::report::charts::layout`]) scaled to `width` points, keeping its aspect
/// ratio, with its top-left corner at (`x0`, `top`) in PDF page coordinates (origin bottom-left).
/// Characters the fonts lack are added to `missing`. Returns the drawn height.
pub fn draw(
    d: &Drawing,
    x0: f64,
    top: f64,
    width: f64,
    ops: &mut Vec<Op>,
    missing: &mut BTreeSet<char>,
) -> f64 {
    let s = width / d.width;
    let tx = |x: f64| x0 + x * s;
    let ty = |y: f64| top - y * s;
    let map = |pts: &[(f64, f64)]| pts.iter().map(|&(x, y)| (tx(x), ty(y))).collect::<Vec<_>>();
    ops.push(Op::SaveGraphicsState);
    for shape in &d.shapes {
        match shape {
            Shape::Line { from, to, stroke } => {
                paint::stroke_style(
                    ops,
                    stroke.color,
                    stroke.width * s,
                    stroke.dash.map(|(a, b)| (a * s, b * s)),
                );
                paint::polyline(ops, &map(&[*from, *to]));
            }
            Shape::Polyline { points, stroke } => {
                ops.push(Op::SetLineJoinStyle {
                    join: printpdf::LineJoinStyle::Round,
                });
                paint::stroke_style(
                    ops,
                    stroke.color,
                    stroke.width * s,
                    stroke.dash.map(|(a, b)| (a * s, b * s)),
                );
                paint::polyline(ops, &map(points));
                ops.push(Op::SetLineJoinStyle {
                    join: printpdf::LineJoinStyle::Miter,
                });
            }
            Shape::Polygon {
                points,
                fill,
                stroke,
            } => {
                paint::polygon(
                    ops,
                    &map(points),
                    *fill,
                    stroke.map(|st| (st.color, st.width * s)),
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
                paint::rect(
                    ops,
                    tx(*x),
                    ty(*y + *h),
                    *w * s,
                    *h * s,
                    *fill,
                    stroke.map(|st| (st.color, st.width * s)),
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
                let face = match weight {
                    Weight::Normal => Face::Regular,
                    Weight::Bold => Face::Bold,
                };
                let size = size * s;
                let width = paint::resolved_width(face, size, text);
                let start = match anchor {
                    Anchor::Start => tx(*x),
                    Anchor::Middle => tx(*x) - width / 2.0,
                    Anchor::End => tx(*x) - width,
                };
                paint::text_resolved(ops, start, ty(*y), face, size, *color, text, missing);
            }
        }
    }
    ops.push(Op::RestoreGraphicsState);
    d.height * s
}
