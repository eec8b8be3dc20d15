//! A neutral vector drawing: what a chart looks like, in chart units (1 unit = 1 pt when the
//! chart is drawn at its nominal width), y pointing down, text positioned by its baseline.
//! The SVG and PDF painters both draw exactly this.

pub use crate::report::style::Rgb;

/// How a line or outline is stroked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stroke {
    /// Line colour.
    pub color: Rgb,
    /// Line width in chart units.
    pub width: f64,
    /// Dash and gap lengths; `None` for a solid line.
    pub dash: Option<(f64, f64)>,
}

impl Stroke {
    /// A solid line.
    pub fn solid(color: Rgb, width: f64) -> Stroke {
        Stroke {
            color,
            width,
            dash: None,
        }
    }

    /// A dashed line: `dash` drawn, `gap` left out, repeated.
    pub fn dashed(color: Rgb, width: f64, dash: f64, gap: f64) -> Stroke {
        Stroke {
            color,
            width,
            dash: Some((dash, gap)),
        }
    }
}

/// Which point of a text line its x coordinate gives (as SVG's `text-anchor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// Font weight of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Normal,
    Bold,
}

/// One element of a drawing, in chart units.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Line {
        from: (f64, f64),
        to: (f64, f64),
        stroke: Stroke,
    },
    Polyline {
        points: Vec<(f64, f64)>,
        stroke: Stroke,
    },
    /// A closed, filled polygon.
    Polygon {
        points: Vec<(f64, f64)>,
        fill: Rgb,
        stroke: Option<Stroke>,
    },
    Rect {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    },
    Text {
        x: f64,
        y: f64,
        text: String,
        size: f64,
        anchor: Anchor,
        weight: Weight,
        color: Rgb,
    },
}

/// A chart laid out as shapes on a canvas of `width` x `height` chart units.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawing {
    /// Canvas width in chart units.
    pub width: f64,
    /// Canvas height in chart units.
    pub height: f64,
    /// Painted in order.
    pub shapes: Vec<Shape>,
}

impl Drawing {
    /// An empty canvas.
    pub fn new(width: f64, height: f64) -> Drawing {
        Drawing {
            width,
            height,
            shapes: Vec::new(),
        }
    }

    /// Adds a straight line.
    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), stroke: Stroke) {
        self.shapes.push(Shape::Line { from, to, stroke });
    }

    /// Adds a rectangle; `(x, y)` is its top-left corner.
    pub fn rect(
        &mut self,
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    ) {
        self.shapes.push(Shape::Rect {
            x,
            y,
            w,
            h,
            fill,
            stroke,
        });
    }

    /// Adds a line of text with its baseline at `y`.
    pub fn text(&mut self, x: f64, y: f64, text: impl Into<String>, style: TextStyle) {
        self.shapes.push(Shape::Text {
            x,
            y,
            text: text.into(),
            size: style.size,
            anchor: style.anchor,
            weight: style.weight,
            color: style.color,
        });
    }

    /// The drawing with every colour passed through `f` (a client's brand over the palette).
    pub fn recoloured(mut self, f: impl Fn(Rgb) -> Rgb) -> Drawing {
        let stroke = |s: &mut Stroke| s.color = f(s.color);
        for shape in &mut self.shapes {
            match shape {
                Shape::Line { stroke: s, .. } | Shape::Polyline { stroke: s, .. } => stroke(s),
                Shape::Polygon {
                    fill, stroke: s, ..
                } => {
                    *fill = f(*fill);
                    s.iter_mut().for_each(stroke);
                }
                Shape::Rect {
                    fill, stroke: s, ..
                } => {
                    fill.iter_mut().for_each(|c| *c = f(*c));
                    s.iter_mut().for_each(stroke);
                }
                Shape::Text { color, .. } => *color = f(*color),
            }
        }
        self
    }

    /// The smallest text size used, in chart units.
    pub fn min_text_size(&self) -> f64 {
        self.shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Text { size, .. } => Some(*size),
                _ => None,
            })
            .fold(f64::INFINITY, f64::min)
    }

    /// All text strings, in painting order.
    pub fn texts(&self) -> Vec<&str> {
        self.shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Size, anchor, weight and colour of a text; built with [`TextStyle::new`] and the modifiers.
#[derive(Debug, Clone, Copy)]
pub struct TextStyle {
    pub size: f64,
    pub anchor: Anchor,
    pub weight: Weight,
    pub color: Rgb,
}

impl TextStyle {
    /// Normal weight, anchored at the start.
    pub fn new(size: f64, color: Rgb) -> TextStyle {
        TextStyle {
            size,
            anchor: Anchor::Start,
            weight: Weight::Normal,
            color,
        }
    }

    /// Bold weight.
    pub fn bold(mut self) -> TextStyle {
        self.weight = Weight::Bold;
        self
    }

    /// Centred on its x coordinate.
    pub fn middle(mut self) -> TextStyle {
        self.anchor = Anchor::Middle;
        self
    }

    /// Ending at its x coordinate.
    pub fn end(mut self) -> TextStyle {
        self.anchor = Anchor::End;
        self
    }
}

/// Formats a coordinate with at most two decimals and no trailing zeros, so output is stable
/// and compact (`12`, `12.5`, `12.25`, never `-0`).
pub fn num(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    let r = if r == 0.0 { 0.0 } else { r };
    let s = format!("{r:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compact_and_stable() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.5), "12.5");
        assert_eq!(num(12.256), "12.26");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(-3.1), "-3.1");
    }
}
