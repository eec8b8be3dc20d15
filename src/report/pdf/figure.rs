//! Figures: a chart with its caption as one piece that can be laid out at any height between its
//! natural one and the smallest legible one (plot squeezed to [`charts::layout::MIN_SQUEEZE`],
//! no text under [`MIN_TEXT_PT`]), so an exhibit shrinks into the space left on a page instead
//! of leaving a third of the page empty.

use std::rc::Rc;

use super::layout::{baseline_in, line_cmds, Cmd, Piece};
use super::text::Line;
use crate::report::charts::{self, layout::MIN_SQUEEZE, Chart};
use crate::report::style::palette::{LIGHT, MUTED};

/// Size of caption text, in points.
pub const CAPTION_SIZE: f64 = 8.5;
/// Line height of caption text, in points.
pub const CAPTION_LEADING: f64 = 11.5;
/// No chart text is drawn smaller than this, in points.
pub const MIN_TEXT_PT: f64 = 7.0;
/// Space between the chart and its caption's first line (the rule sits in it).
const CAPTION_GAP: f64 = 8.0;

/// A chart and its caption, placed in a column `width` wide starting at `x`.
#[derive(Debug)]
pub struct Figure {
    chart: Chart,
    caption: Vec<Line>,
    x: f64,
    width: f64,
    /// Height of the piece at the chart's natural size (capped to fit an empty page).
    pub natural: f64,
    /// Height of the piece at its smallest legible size.
    pub min: f64,
}

impl Figure {
    /// A figure of `chart` with its caption lines, in a column at `x`, `width` wide, on pages
    /// with `content_h` points between the margins.
    pub fn new(chart: &Chart, caption: Vec<Line>, x: f64, width: f64, content_h: f64) -> Figure {
        let mut f = Figure {
            chart: chart.clone(),
            caption,
            x,
            width,
            natural: 0.0,
            min: 0.0,
        };
        let natural = charts::layout(chart);
        let room = content_h - 2.0 - f.caption_h();
        f.natural = f.caption_h() + (natural.height * f.full_scale(&natural)).min(room);
        let squeezed = charts::layout::layout_squeezed(chart, MIN_SQUEEZE);
        f.min = f.caption_h() + squeezed.height * f.min_scale(&squeezed);
        f.min = f.min.min(f.natural);
        f
    }

    fn caption_h(&self) -> f64 {
        CAPTION_GAP + self.caption.len() as f64 * CAPTION_LEADING
    }

    /// Points per chart unit when the drawing spans the column.
    fn full_scale(&self, d: &charts::drawing::Drawing) -> f64 {
        self.width / d.width
    }

    /// The smallest points per chart unit that keeps every text at least [`MIN_TEXT_PT`].
    fn min_scale(&self, d: &charts::drawing::Drawing) -> f64 {
        let smallest = d.min_text_size();
        let legible = if smallest.is_finite() && smallest > 0.0 {
            MIN_TEXT_PT / smallest
        } else {
            0.0
        };
        legible.min(self.full_scale(d))
    }

    /// The figure at its natural size.
    pub fn natural_piece(self: &Rc<Self>) -> Piece {
        self.piece_at(self.natural)
    }

    /// The tallest layout of the figure no taller than `room` points (its smallest legible one
    /// when none is): first the plot is squeezed at the column's width, then the whole chart is
    /// scaled down, never below a legible size.
    pub fn piece_at(self: &Rc<Self>, room: f64) -> Piece {
        let chart_room = room - self.caption_h();
        let natural = charts::layout(&self.chart);
        let full = self.full_scale(&natural);
        let drawing = charts::layout::fit(&self.chart, chart_room / full);
        let scale = if drawing.height * full <= chart_room + 1e-6 {
            full
        } else {
            (chart_room / drawing.height).max(self.min_scale(&drawing))
        };
        self.piece(drawing, scale)
    }

    fn piece(self: &Rc<Self>, drawing: charts::drawing::Drawing, scale: f64) -> Piece {
        let w = drawing.width * scale;
        let h = drawing.height * scale;
        let mut cmds = vec![Cmd::Chart {
            x: self.x + (self.width - w) / 2.0,
            y: 0.0,
            w,
            drawing: Rc::new(drawing),
        }];
        let base = baseline_in(CAPTION_LEADING, CAPTION_SIZE);
        for (i, line) in self.caption.iter().enumerate() {
            cmds.extend(line_cmds(
                line,
                self.x,
                h + CAPTION_GAP + i as f64 * CAPTION_LEADING + base,
                MUTED,
            ));
        }
        cmds.push(Cmd::Line {
            x1: self.x,
            y1: h + 3.0,
            x2: self.x + self.width,
            y2: h + 3.0,
            color: LIGHT,
            width: 0.6,
        });
        Piece {
            height: h + self.caption_h(),
            cmds,
            figure: Some(Rc::clone(self)),
            ..Piece::default()
        }
    }
}
