//! Small helpers that emit printpdf operations. Coordinates here are PDF page coordinates in
//! points (origin bottom-left).

use std::collections::BTreeSet;

use printpdf::{
    Color, Line, LineDashPattern, LinePoint, Op, PaintMode, PdfFontHandle, Point, Polygon,
    PolygonRing, Pt, Rect, TextItem, TextMatrix, WindingOrder,
};

use crate::report::style::fonts::{fonts, Face};
use crate::report::style::Rgb;

/// A chart colour as a printpdf colour.
pub fn color(c: Rgb) -> Color {
    Color::Rgb(printpdf::Rgb::new(
        f32::from(c.0) / 255.0,
        f32::from(c.1) / 255.0,
        f32::from(c.2) / 255.0,
        None,
    ))
}

fn pt(x: f64, y: f64) -> LinePoint {
    LinePoint {
        p: Point {
            x: Pt(x as f32),
            y: Pt(y as f32),
        },
        bezier: false,
    }
}

/// Sets the stroke colour, width and dash (solid when `dash` is `None`).
pub fn stroke_style(ops: &mut Vec<Op>, c: Rgb, width: f64, dash: Option<(f64, f64)>) {
    ops.push(Op::SetOutlineColor { col: color(c) });
    ops.push(Op::SetOutlineThickness {
        pt: Pt(width as f32),
    });
    ops.push(Op::SetLineDashPattern {
        dash: match dash {
            Some((d, g)) => LineDashPattern::new(0.0, &[d as f32, g as f32]),
            None => LineDashPattern::solid(),
        },
    });
}

/// A rectangle with its lower-left corner at (x, y).
pub fn rect(
    ops: &mut Vec<Op>,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    fill: Option<Rgb>,
    stroke: Option<(Rgb, f64)>,
) {
    let mode = match (fill, stroke) {
        (Some(_), Some(_)) => PaintMode::FillStroke,
        (Some(_), None) => PaintMode::Fill,
        (None, Some(_)) => PaintMode::Stroke,
        (None, None) => return,
    };
    if let Some(f) = fill {
        ops.push(Op::SetFillColor { col: color(f) });
    }
    if let Some((c, width)) = stroke {
        stroke_style(ops, c, width, None);
    }
    let mut r = Rect::from_xywh(Pt(x as f32), Pt(y as f32), Pt(w as f32), Pt(h as f32));
    r.mode = Some(mode);
    r.winding_order = Some(WindingOrder::NonZero);
    ops.push(Op::DrawRectangle { rectangle: r });
}

/// A stroked open path (style set beforehand with [`stroke_style`]).
pub fn polyline(ops: &mut Vec<Op>, points: &[(f64, f64)]) {
    if points.len() < 2 {
        return;
    }
    ops.push(Op::DrawLine {
        line: Line {
            points: points.iter().map(|&(x, y)| pt(x, y)).collect(),
            is_closed: false,
        },
    });
}

/// A straight stroked line.
pub fn line(ops: &mut Vec<Op>, x1: f64, y1: f64, x2: f64, y2: f64, c: Rgb, width: f64) {
    stroke_style(ops, c, width, None);
    polyline(ops, &[(x1, y1), (x2, y2)]);
}

/// A filled (and optionally stroked) closed polygon.
pub fn polygon(ops: &mut Vec<Op>, points: &[(f64, f64)], fill: Rgb, stroke: Option<(Rgb, f64)>) {
    ops.push(Op::SetFillColor { col: color(fill) });
    if let Some((c, w)) = stroke {
        stroke_style(ops, c, w, None);
    }
    ops.push(Op::DrawPolygon {
        polygon: Polygon {
            rings: vec![PolygonRing {
                points: points.iter().map(|&(x, y)| pt(x, y)).collect(),
            }],
            mode: if stroke.is_some() {
                PaintMode::FillStroke
            } else {
                PaintMode::Fill
            },
            winding_order: WindingOrder::NonZero,
        },
    });
}

/// Shows `text` (already resolved: every character present in `face`) with its baseline
/// starting at (x, y).
pub fn text(ops: &mut Vec<Op>, x: f64, y: f64, face: Face, size: f64, c: Rgb, text: &str) {
    if text.is_empty() {
        return;
    }
    ops.push(Op::SetFillColor { col: color(c) });
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFont {
        font: PdfFontHandle::External(face.font_id()),
        size: Pt(size as f32),
    });
    ops.push(Op::SetTextMatrix {
        matrix: TextMatrix::Translate(Pt(x as f32), Pt(y as f32)),
    });
    ops.push(Op::ShowText {
        items: vec![TextItem::Text(text.to_string())],
    });
    ops.push(Op::EndTextSection);
}

/// Shows arbitrary text starting at (x, y), substituting characters the fonts lack (recorded
/// in `missing`). Returns the advance width.
#[allow(clippy::too_many_arguments)]
pub fn text_resolved(
    ops: &mut Vec<Op>,
    x: f64,
    y: f64,
    face: Face,
    size: f64,
    c: Rgb,
    s: &str,
    missing: &mut BTreeSet<char>,
) -> f64 {
    let f = fonts();
    let mut cx = x;
    for (run_face, run) in f.resolve(face, s, missing) {
        text(ops, cx, y, run_face, size, c, &run);
        cx += f.width(run_face, &run, size);
    }
    cx - x
}

/// Width of arbitrary text as [`text_resolved`] would draw it.
pub fn resolved_width(face: Face, size: f64, s: &str) -> f64 {
    let f = fonts();
    let mut ignored = BTreeSet::new();
    f.resolve(face, s, &mut ignored)
        .iter()
        .map(|(rf, r)| f.width(*rf, r, size))
        .sum()
}
