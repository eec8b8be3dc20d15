//! Blocks -> pieces -> pages. A piece is an unbreakable horizontal slice of the body (a line of
//! text, a table row, a figure) with drawing commands relative to its top-left corner; pages are
//! filled with pieces greedily, honouring keep-with-next (headings, orphans and widows, table
//! headers) and repeating table headers after a page break.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use printpdf::{Actions, BorderArray, ColorArray, LinkAnnotation, Op, Pt, Rect};

use super::blocks::{Align, Block};
use super::figure::{Figure, CAPTION_SIZE};
use super::frontmatter::FrontMatter;
use super::paint;
use super::table::{self, is_numeric, is_placeholder};
use super::text::{break_lines, plain_text, Line, Span, Style, TextSpec};
use crate::report::charts::drawing::Drawing;
use crate::report::charts::Chart;
use crate::report::style::fonts::{fonts, Face};
use crate::report::style::palette::{AXIS, GRID, INK, LIGHT, MID, MUTED, NAVY, WHITE};
use crate::report::style::Rgb;

const LINK: Rgb = Rgb(0x1d, 0x5a, 0x9e);
const CODE_BG: Rgb = Rgb(0xf2, 0xf4, 0xf7);
const QUOTE_BG: Rgb = Rgb(0xf5, 0xf7, 0xfa);
const QUOTE_INK: Rgb = Rgb(0x33, 0x3f, 0x50);
const ZEBRA: Rgb = Rgb(0xf4, 0xf6, 0xf9);
const H4_INK: Rgb = Rgb(0x3d, 0x4a, 0x5c);

const BODY_SIZE: f64 = 9.5;
const BODY_LEADING: f64 = 14.25;
const PARA_GAP: f64 = 7.5;
const TABLE_SIZE: f64 = 8.5;
const TABLE_LEADING: f64 = 11.4;
const CELL_PAD_X: f64 = 5.0;
const CELL_PAD_Y: f64 = 3.6;
const CODE_SIZE: f64 = 8.2;
const CODE_LEADING: f64 = 11.4;

/// Page size and margins, in points.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    pub page_w: f64,
    pub page_h: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Geometry {
    /// The report's fixed margins on a page of the given size.
    pub fn new(page_w: f64, page_h: f64) -> Geometry {
        Geometry {
            page_w,
            page_h,
            left: 70.87,
            right: 70.87,
            top: 72.0,
            bottom: 64.0,
        }
    }

    /// Width between the left and right margins.
    pub fn text_width(&self) -> f64 {
        self.page_w - self.left - self.right
    }

    /// Height between the top and bottom margins.
    pub fn content_height(&self) -> f64 {
        self.page_h - self.top - self.bottom
    }
}

/// A drawing command; x from the left margin, y down from the top of the piece.
#[derive(Debug, Clone)]
pub enum Cmd {
    /// `text` must already be drawable in `face` (see `Fonts::resolve`).
    Text {
        x: f64,
        y: f64,
        face: Face,
        size: f64,
        color: Rgb,
        text: String,
    },
    Rect {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, f64)>,
    },
    Line {
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
        color: Rgb,
        width: f64,
    },
    Link {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        url: String,
    },
    Chart {
        x: f64,
        y: f64,
        w: f64,
        drawing: Rc<Drawing>,
    },
}

/// A background or rule drawn behind a piece, across the gap above it when `extend_up`
/// (so a quote's or code block's shading is continuous).
#[derive(Debug, Clone)]
pub(super) struct Decor {
    x: f64,
    w: f64,
    fill: Option<Rgb>,
    bar: Option<(f64, Rgb)>,
    extend_up: bool,
}

/// An unbreakable slice of the body: a text line, a table row, a figure.
#[derive(Debug, Clone, Default)]
pub struct Piece {
    /// Height of the slice itself.
    pub height: f64,
    /// Gap above it, dropped at the top of a page.
    pub space_before: f64,
    /// What to draw, relative to the piece's top-left corner.
    pub cmds: Vec<Cmd>,
    /// Whether it must share a page with the next piece (headings, orphan lines).
    pub keep_with_next: bool,
    pub(super) decor: Vec<Decor>,
    /// Table header to repeat when this row starts a page.
    pub(super) header: Option<Rc<Piece>>,
    /// Baseline of the first text line, for list markers.
    pub(super) first_baseline: Option<f64>,
    /// Left out when it would start a page (a horizontal rule).
    pub(super) skip_at_top: bool,
    /// The figure this piece draws, which can be laid out smaller to fit a page.
    pub figure: Option<Rc<Figure>>,
    /// The level and text of the heading this piece starts (for the contents and bookmarks).
    pub heading: Option<(u8, String)>,
}

impl Piece {
    /// The least height the piece can be laid out at: a figure's smallest legible size, else
    /// its height.
    pub fn min_height(&self) -> f64 {
        self.figure
            .as_ref()
            .map_or(self.height, |f| f.min.min(self.height))
    }

    /// This piece (a figure) laid out again at most `room` points high.
    fn shrunk_to(&self, room: f64) -> Piece {
        let Some(figure) = &self.figure else {
            return self.clone();
        };
        let smaller = figure.piece_at(room);
        Piece {
            height: smaller.height,
            cmds: smaller.cmds,
            ..self.clone()
        }
    }
}

/// Space and least height of the pieces piece `i` must share a page with (its keep-with-next
/// chain).
fn kept_after(pieces: &[Piece], i: usize) -> f64 {
    let mut need = 0.0;
    let mut j = i;
    while pieces[j].keep_with_next && j + 1 < pieces.len() {
        j += 1;
        need += pieces[j].space_before + pieces[j].min_height();
    }
    need
}

struct Ctx<'a> {
    x: f64,
    width: f64,
    content_h: f64,
    decor: Vec<(Decor, bool)>,
    italic: bool,
    color: Rgb,
    pieces: Vec<Piece>,
    gap: Option<f64>,
    list_depth: usize,
    charts: &'a BTreeMap<String, Chart>,
    warnings: Vec<String>,
    missing: &'a mut BTreeSet<char>,
    figures: usize,
}

pub(super) fn line_cmds(line: &Line, x: f64, baseline: f64, color: Rgb) -> Vec<Cmd> {
    let mut cmds = Vec::with_capacity(line.frags.len() + 2);
    for f in &line.frags {
        let fx = x + f.x;
        if f.style.code {
            cmds.push(Cmd::Rect {
                x: fx - 1.2,
                y: baseline - f.size * 0.82,
                w: f.width + 2.4,
                h: f.size * 1.12,
                fill: Some(CODE_BG),
                stroke: None,
            });
        }
        let ink = if f.style.link.is_some() { LINK } else { color };
        cmds.push(Cmd::Text {
            x: fx,
            y: baseline,
            face: f.face,
            size: f.size,
            color: ink,
            text: f.text.clone(),
        });
        if let Some(url) = &f.style.link {
            cmds.push(Cmd::Line {
                x1: fx,
                y1: baseline + 1.4,
                x2: fx + f.width,
                y2: baseline + 1.4,
                color: LINK,
                width: 0.5,
            });
            cmds.push(Cmd::Link {
                x: fx,
                y: baseline - f.size * 0.85,
                w: f.width,
                h: f.size * 1.15,
                url: url.clone(),
            });
        }
        if f.style.strike {
            let y = baseline - f.size * 0.3;
            cmds.push(Cmd::Line {
                x1: fx,
                y1: y,
                x2: fx + f.width,
                y2: y,
                color,
                width: 0.6,
            });
        }
    }
    cmds
}

pub(super) fn baseline_in(line_h: f64, size: f64) -> f64 {
    (line_h + size * 0.72) / 2.0
}

impl<'a> Ctx<'a> {
    fn block_gap(&mut self, default: f64) -> f64 {
        self.gap.take().unwrap_or(default)
    }

    fn push(&mut self, mut piece: Piece) {
        for (d, started) in self.decor.iter_mut() {
            let mut d = d.clone();
            d.extend_up = *started;
            *started = true;
            piece.decor.push(d);
        }
        self.pieces.push(piece);
    }

    /// Keeps the pieces from `first` on together on one page when they take at most a third of
    /// a page (short quotes and code blocks are not split).
    /// Starts a framed block (quote, code) with its top padding, kept with what follows; returns
    /// the index of its first piece for [`Ctx::close_framed`].
    fn open_framed(&mut self, gap: f64) -> usize {
        let first = self.pieces.len();
        self.push(Piece {
            height: 6.0,
            space_before: gap,
            keep_with_next: true,
            ..Piece::default()
        });
        first
    }

    /// Ends a framed block (quote, code) that started at piece `first`: its last line keeps with
    /// the closing padding, and a short block is kept on one page.
    fn close_framed(&mut self, first: usize) {
        if let Some(last) = self.pieces.last_mut() {
            last.keep_with_next = true;
        }
        self.push(Piece {
            height: 6.0,
            ..Piece::default()
        });
        self.keep_together(first);
    }

    fn keep_together(&mut self, first: usize) {
        let pieces = &mut self.pieces[first..];
        let height: f64 = pieces.iter().map(|p| p.space_before + p.height).sum();
        if height <= self.content_h / 3.0 {
            let n = pieces.len();
            for p in pieces.iter_mut().take(n.saturating_sub(1)) {
                p.keep_with_next = true;
            }
        }
    }

    /// Lines of text as pieces, with orphan and widow control.
    fn text_block(
        &mut self,
        spans: &[Span],
        spec: TextSpec,
        color: Rgb,
        line_h: f64,
        gap: f64,
        keep_all: bool,
    ) -> usize {
        let lines = break_lines(spans, &spec, self.width, self.missing);
        let n = lines.len();
        let baseline = baseline_in(line_h, spec.size);
        for (i, line) in lines.iter().enumerate() {
            let keep = keep_all || (n >= 2 && (i == 0 || i + 2 == n));
            self.push(Piece {
                height: line_h,
                space_before: if i == 0 { gap } else { 0.0 },
                cmds: line_cmds(line, self.x, baseline, color),
                keep_with_next: keep,
                first_baseline: Some(baseline),
                ..Piece::default()
            });
        }
        n
    }

    fn blocks(&mut self, blocks: &[Block]) {
        for block in blocks {
            self.block(block);
        }
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Heading { level, spans } => self.heading(*level, spans),
            Block::Paragraph(spans) => {
                self.keep_note_with_figure(spans);
                let gap = self.block_gap(PARA_GAP);
                let spec = TextSpec {
                    italic: self.italic,
                    ..TextSpec::new(BODY_SIZE)
                };
                self.text_block(spans, spec, self.color, BODY_LEADING, gap, false);
            }
            Block::Quote(inner) => self.quote(inner),
            Block::Code(code) => self.code(code),
            Block::List { start, items } => self.list(*start, items),
            Block::Table { aligns, head, rows } => self.table(aligns, head, rows),
            Block::Image { url, alt } => self.image(url, alt),
            Block::Rule => {
                let gap = self.block_gap(6.0);
                self.push(Piece {
                    height: 14.0,
                    space_before: gap,
                    cmds: vec![Cmd::Line {
                        x1: self.x,
                        y1: 7.0,
                        x2: self.x + self.width,
                        y2: 7.0,
                        color: LIGHT,
                        width: 0.8,
                    }],
                    skip_at_top: true,
                    ..Piece::default()
                });
            }
        }
    }

    /// A note in italics right under a figure (its source) stays on the figure's page.
    fn keep_note_with_figure(&mut self, spans: &[Span]) {
        let note = spans
            .iter()
            .all(|s| s.style.italic || s.text.trim().is_empty());
        if let Some(last) = self.pieces.last_mut() {
            if note && last.figure.is_some() && !spans.is_empty() {
                last.keep_with_next = true;
            }
        }
    }

    fn heading(&mut self, level: u8, spans: &[Span]) {
        let (size, leading, before, after, color) = match level {
            1 => (19.0, 24.0, 22.0, 9.0, NAVY),
            2 => (14.5, 19.0, 18.0, 5.0, NAVY),
            3 => (11.5, 15.5, 13.0, 4.0, INK),
            _ => (10.0, 14.0, 10.0, 3.0, H4_INK),
        };
        let gap = self.block_gap(before);
        let spec = TextSpec {
            bold: true,
            italic: level >= 4,
            ..TextSpec::new(size)
        };
        let first = self.pieces.len();
        let n = self.text_block(spans, spec, color, leading, gap, true);
        if let Some(p) = self.pieces.get_mut(first) {
            p.heading = Some((level, plain_text(spans).trim().to_string()));
        }
        if level == 1 && n > 0 {
            let x = self.x;
            let w = self.width;
            if let Some(last) = self.pieces.last_mut() {
                last.cmds.push(Cmd::Line {
                    x1: x,
                    y1: leading + 3.0,
                    x2: x + w,
                    y2: leading + 3.0,
                    color: NAVY,
                    width: 0.9,
                });
                last.height += 5.0;
            }
        }
        self.gap = Some(after);
    }

    fn list(&mut self, start: Option<u64>, items: &[Vec<Block>]) {
        let gap = self.block_gap(if self.list_depth == 0 { PARA_GAP } else { 3.0 });
        let marker_w = if start.is_some() {
            let last = start.unwrap_or(1) + items.len().saturating_sub(1) as u64;
            fonts().width(Face::Regular, &format!("{last}."), BODY_SIZE)
        } else {
            fonts().width(Face::Regular, "•", BODY_SIZE)
        };
        let indent = (marker_w + 9.0).max(16.0);
        for (i, item) in items.iter().enumerate() {
            self.gap = Some(if i == 0 { gap } else { 3.5 });
            let first = self.pieces.len();
            self.x += indent;
            self.width -= indent;
            self.list_depth += 1;
            if item.is_empty() {
                self.block(&Block::Paragraph(vec![Span::plain(" ")]));
            }
            self.blocks(item);
            self.list_depth -= 1;
            self.x -= indent;
            self.width += indent;
            let (marker, color) = match start {
                Some(n) => (format!("{}.", n + i as u64), INK),
                None => (["•", "–", "◦"][self.list_depth % 3].to_string(), MID),
            };
            let face = Face::Regular;
            let w = fonts().width(face, &marker, BODY_SIZE);
            let x = self.x + indent - 6.0 - w;
            if let Some(p) = self.pieces.get_mut(first) {
                let y = p.first_baseline.unwrap_or(10.0);
                p.cmds.push(Cmd::Text {
                    x,
                    y,
                    face,
                    size: BODY_SIZE,
                    color,
                    text: marker,
                });
            }
        }
    }

    fn quote(&mut self, inner: &[Block]) {
        let gap = self.block_gap(9.0);
        self.decor.push((
            Decor {
                x: self.x,
                w: self.width,
                fill: Some(QUOTE_BG),
                bar: Some((3.0, MID)),
                extend_up: false,
            },
            false,
        ));
        let saved = (self.x, self.width, self.italic, self.color);
        self.x += 16.0;
        self.width -= 16.0 + 10.0;
        self.italic = true;
        self.color = QUOTE_INK;
        let first = self.open_framed(gap);
        self.gap = Some(0.0);
        self.blocks(inner);
        self.close_framed(first);
        (self.x, self.width, self.italic, self.color) = saved;
        self.decor.pop();
    }

    fn code(&mut self, code: &str) {
        let gap = self.block_gap(9.0);
        self.decor.push((
            Decor {
                x: self.x,
                w: self.width,
                fill: Some(CODE_BG),
                bar: None,
                extend_up: false,
            },
            false,
        ));
        let first = self.open_framed(gap);
        let f = fonts();
        let avail = self.width - 20.0;
        let baseline = baseline_in(CODE_LEADING, CODE_SIZE);
        let mut lines: Vec<Vec<(Face, String)>> = Vec::new();
        for src in code.split('\n') {
            let expanded = src.replace('\t', "    ");
            let mut line: Vec<(Face, String)> = Vec::new();
            let mut w = 0.0;
            for (face, run) in f.resolve(Face::Mono, &expanded, self.missing) {
                for c in run.chars() {
                    let cw = f.char_width(face, c, CODE_SIZE);
                    if w + cw > avail && w > 0.0 {
                        lines.push(std::mem::take(&mut line));
                        w = 0.0;
                    }
                    match line.last_mut() {
                        Some((lf, s)) if *lf == face => s.push(c),
                        _ => line.push((face, c.to_string())),
                    }
                    w += cw;
                }
            }
            lines.push(line);
        }
        let n = lines.len();
        for (i, runs) in lines.into_iter().enumerate() {
            let mut x = self.x + 10.0;
            let mut cmds = Vec::new();
            for (face, text) in runs {
                let w = f.width(face, &text, CODE_SIZE);
                cmds.push(Cmd::Text {
                    x,
                    y: baseline,
                    face,
                    size: CODE_SIZE,
                    color: INK,
                    text,
                });
                x += w;
            }
            self.push(Piece {
                height: CODE_LEADING,
                cmds,
                keep_with_next: n >= 2 && (i == 0 || i + 2 == n),
                first_baseline: Some(baseline),
                ..Piece::default()
            });
        }
        self.close_framed(first);
        self.decor.pop();
    }

    fn table(&mut self, aligns: &[Align], head: &[Vec<Span>], rows: &[Vec<Vec<Span>>]) {
        self.table_at(aligns, head, rows, TABLE_SIZE);
    }

    /// A table too wide even in the smallest type, as one table per group of columns, all in
    /// the same type size ([`table::split`]); false, and nothing drawn, for a table that fits.
    fn table_parts(
        &mut self,
        aligns: &[Align],
        head: &[Vec<Span>],
        rows: &[Vec<Vec<Span>>],
        bold_row: &dyn Fn(usize) -> bool,
        base: f64,
    ) -> bool {
        let split = table::split(head, rows, bold_row, base, CELL_PAD_X, self.width);
        if split.groups.len() < 2 {
            return false;
        }
        for cols in &split.groups {
            let part_rows: Vec<_> = rows.iter().map(|r| table::pick_columns(r, cols)).collect();
            let part_aligns: Vec<Align> = cols
                .iter()
                .map(|&c| aligns.get(c).copied().unwrap_or(Align::Auto))
                .collect();
            let part_head = table::pick_columns(head, cols);
            self.table_at(&part_aligns, &part_head, &part_rows, split.size);
        }
        true
    }

    /// A table whose type starts at `base` points and steps down as far as it must.
    fn table_at(
        &mut self,
        aligns: &[Align],
        head: &[Vec<Span>],
        rows: &[Vec<Vec<Span>>],
        base: f64,
    ) {
        let ncols = table::column_count(head, rows);
        if ncols == 0 {
            return;
        }
        let empty: Vec<Span> = Vec::new();
        let cell = |row: &'_ [Vec<Span>], c: usize| -> Vec<Span> {
            row.get(c).cloned().unwrap_or_else(|| empty.clone())
        };
        let is_total = |r: &[Vec<Span>]| {
            plain_text(&cell(r, 0))
                .trim()
                .to_lowercase()
                .starts_with("total")
        };
        let bold_row = |i: usize| is_total(&rows[i]);
        if self.table_parts(aligns, head, rows, &bold_row, base) {
            return;
        }
        let gap = self.block_gap(10.0);
        let plan = table::plan(head, rows, &bold_row, base, CELL_PAD_X, self.width);
        let body_spec = TextSpec::new(plan.size);
        let head_spec = TextSpec {
            bold: true,
            ..body_spec
        };
        let numeric_col: Vec<bool> = (0..ncols)
            .map(|c| {
                let texts: Vec<String> = rows.iter().map(|r| plain_text(&cell(r, c))).collect();
                texts.iter().any(|t| is_numeric(t))
                    && texts.iter().all(|t| is_numeric(t) || is_placeholder(t))
            })
            .collect();
        let align_of = |c: usize, text: &str, header: bool| -> Align {
            match aligns.get(c).copied().unwrap_or(Align::Auto) {
                Align::Auto => {
                    let right = if header {
                        numeric_col[c]
                    } else {
                        is_numeric(text) || (numeric_col[c] && is_placeholder(text))
                    };
                    if right {
                        Align::Right
                    } else {
                        Align::Left
                    }
                }
                a => a,
            }
        };
        let header_cells: Vec<Vec<Span>> = (0..ncols).map(|c| cell(head, c)).collect();
        let header = Rc::new(self.row_piece(
            &header_cells,
            &plan,
            &|c, t| align_of(c, t, true),
            head_spec,
            WHITE,
            Some(NAVY),
            None,
            None,
            true,
        ));
        let mut hp = (*header).clone();
        hp.space_before = gap;
        hp.keep_with_next = true;
        self.push(hp);
        let n = rows.len();
        for (i, r) in rows.iter().enumerate() {
            let total = is_total(r);
            let cells: Vec<Vec<Span>> = (0..ncols).map(|c| cell(r, c)).collect();
            let bg = if !total && i % 2 == 1 {
                Some(ZEBRA)
            } else {
                None
            };
            let top_rule = if total { Some((NAVY, 0.8)) } else { None };
            let bottom_rule = if i + 1 == n { (NAVY, 0.8) } else { (GRID, 0.5) };
            let spec = if total { head_spec } else { body_spec };
            let mut piece = self.row_piece(
                &cells,
                &plan,
                &|c, t| align_of(c, t, false),
                spec,
                INK,
                bg,
                top_rule,
                Some(bottom_rule),
                false,
            );
            piece.header = Some(Rc::clone(&header));
            // Keep the first two and the last two rows together, so a page never holds a
            // lone row of a table.
            piece.keep_with_next = n >= 3 && (i == 0 || i + 2 == n);
            self.push(piece);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn row_piece(
        &mut self,
        cells: &[Vec<Span>],
        plan: &table::TablePlan,
        align: &dyn Fn(usize, &str) -> Align,
        spec: TextSpec,
        color: Rgb,
        bg: Option<Rgb>,
        top_rule: Option<(Rgb, f64)>,
        bottom_rule: Option<(Rgb, f64)>,
        bottom_align: bool,
    ) -> Piece {
        let widths = &plan.widths;
        let x0 = self.x;
        let laid: Vec<Vec<Line>> = cells
            .iter()
            .zip(widths)
            .map(|(spans, w)| break_lines(spans, &spec, w - 2.0 * plan.pad, self.missing))
            .collect();
        let max_lines = laid.iter().map(Vec::len).max().unwrap_or(1).max(1);
        // The leading follows the table's size (smaller in a table too wide for TABLE_SIZE).
        let leading = TABLE_LEADING * (spec.size / TABLE_SIZE);
        let height = max_lines as f64 * leading + 2.0 * CELL_PAD_Y;
        let total_w: f64 = widths.iter().sum();
        let mut cmds = Vec::new();
        if let Some(fill) = bg {
            cmds.push(Cmd::Rect {
                x: x0,
                y: 0.0,
                w: total_w,
                h: height,
                fill: Some(fill),
                stroke: None,
            });
        }
        let mut x = x0;
        let baseline0 = CELL_PAD_Y + baseline_in(leading, spec.size);
        for (c, lines) in laid.iter().enumerate() {
            let w = widths[c];
            let text = plain_text(&cells[c]);
            let a = align(c, text.trim());
            // Header cells sit on the bottom of the row, body cells at the top.
            let shift = if bottom_align {
                (max_lines - lines.len()) as f64 * leading
            } else {
                0.0
            };
            for (i, line) in lines.iter().enumerate() {
                let inner = w - 2.0 * plan.pad;
                let dx = match a {
                    Align::Right => inner - line.width,
                    Align::Center => (inner - line.width) / 2.0,
                    _ => 0.0,
                };
                cmds.extend(line_cmds(
                    line,
                    x + plan.pad + dx.max(0.0),
                    baseline0 + shift + i as f64 * leading,
                    color,
                ));
            }
            x += w;
        }
        if let Some((c, lw)) = top_rule {
            cmds.push(Cmd::Line {
                x1: x0,
                y1: 0.0,
                x2: x0 + total_w,
                y2: 0.0,
                color: c,
                width: lw,
            });
        }
        if let Some((c, lw)) = bottom_rule {
            cmds.push(Cmd::Line {
                x1: x0,
                y1: height,
                x2: x0 + total_w,
                y2: height,
                color: c,
                width: lw,
            });
        }
        Piece {
            height,
            cmds,
            first_baseline: Some(baseline0),
            ..Piece::default()
        }
    }

    fn image(&mut self, url: &str, alt: &str) {
        let gap = self.block_gap(12.0);
        let chart_name = url
            .strip_prefix("charts/")
            .and_then(|n| n.strip_suffix(".svg"));
        let chart = chart_name.and_then(|n| self.charts.get(n));
        let Some(chart) = chart else {
            self.warnings.push(match chart_name {
                Some(name) => format!(
                    "image `{url}`: no chart named `{name}` was provided; drawn as a placeholder"
                ),
                None => format!(
                    "image `{url}` is not a chart (charts/NAME.svg); drawn as a placeholder"
                ),
            });
            self.placeholder(url, alt, gap);
            return;
        };
        self.figures += 1;
        let caption_text = if alt.is_empty() {
            chart.title().to_string()
        } else {
            alt.to_string()
        };
        let caption = vec![
            Span {
                text: format!("Exhibit {}. ", self.figures),
                style: Style {
                    bold: true,
                    ..Style::default()
                },
            },
            Span::plain(caption_text),
        ];
        let lines = break_lines(
            &caption,
            &TextSpec::new(CAPTION_SIZE),
            self.width,
            self.missing,
        );
        let figure = Rc::new(Figure::new(
            chart,
            lines,
            self.x,
            self.width,
            self.content_h,
        ));
        self.push(Piece {
            space_before: gap,
            ..figure.natural_piece()
        });
    }

    fn placeholder(&mut self, url: &str, alt: &str, gap: f64) {
        let h = 64.0;
        let mut cmds = vec![Cmd::Rect {
            x: self.x,
            y: 0.0,
            w: self.width,
            h,
            fill: Some(Rgb(0xf6, 0xf7, 0xf9)),
            stroke: Some((AXIS, 0.8)),
        }];
        let center =
            |text: &str, face: Face, size: f64, y: f64, ctx: &mut Ctx<'_>, cmds: &mut Vec<Cmd>| {
                let spans = vec![Span::plain(text)];
                let spec = TextSpec {
                    bold: face == Face::Bold,
                    italic: face == Face::Italic,
                    mono: face == Face::Mono,
                    ..TextSpec::new(size)
                };
                let lines = break_lines(&spans, &spec, ctx.width - 20.0, ctx.missing);
                if let Some(line) = lines.first() {
                    let x = ctx.x + (ctx.width - line.width) / 2.0;
                    cmds.extend(line_cmds(line, x, y, MUTED));
                }
            };
        center(
            "Image not available",
            Face::Bold,
            9.0,
            20.0,
            self,
            &mut cmds,
        );
        center(
            if alt.is_empty() {
                "(no description)"
            } else {
                alt
            },
            Face::Italic,
            9.0,
            35.0,
            self,
            &mut cmds,
        );
        center(url, Face::Mono, 7.5, 50.0, self, &mut cmds);
        self.push(Piece {
            height: h,
            space_before: gap,
            cmds,
            ..Piece::default()
        });
    }
}

/// Lays out the body blocks into pieces. Returns pieces and warnings.
pub fn layout_body(
    blocks: &[Block],
    geo: &Geometry,
    charts: &BTreeMap<String, Chart>,
    missing: &mut BTreeSet<char>,
) -> (Vec<Piece>, Vec<String>) {
    let mut ctx = Ctx {
        x: 0.0,
        width: geo.text_width(),
        content_h: geo.content_height(),
        decor: Vec::new(),
        italic: false,
        color: INK,
        pieces: Vec::new(),
        gap: Some(0.0),
        list_depth: 0,
        charts,
        warnings: Vec::new(),
        missing,
        figures: 0,
    };
    ctx.blocks(blocks);
    (ctx.pieces, ctx.warnings)
}

/// A piece placed on a page: its top (from the top of the content area) and how much of the
/// gap above it belongs to it (for continuous backgrounds). A figure shrunk to fit the page is
/// a new piece.
pub struct Placed<'p> {
    pub piece: Cow<'p, Piece>,
    pub top: f64,
    pub extend: f64,
}

/// Fills pages with pieces. A figure that does not fit the space left on a page shrinks into
/// it when it can stay legible, else it moves to the next page with what is kept with it.
pub fn paginate<'p>(pieces: &'p [Piece], content_h: f64) -> Vec<Vec<Placed<'p>>> {
    let mut pages: Vec<Vec<Placed<'p>>> = vec![Vec::new()];
    let mut y = 0.0;
    let mut i = 0;
    while i < pieces.len() {
        let p = &pieces[i];
        let at_top = pages.last().is_some_and(Vec::is_empty);
        if at_top && p.skip_at_top {
            i += 1;
            continue;
        }
        let header_h = if at_top {
            p.header.as_ref().map_or(0.0, |h| h.height)
        } else {
            0.0
        };
        let gap = if at_top { 0.0 } else { p.space_before };
        let own = header_h + p.min_height();
        let kept = kept_after(pieces, i);
        let fits_alone = y + gap + own <= content_h + 1e-6;
        let fits_group = y + gap + own + kept <= content_h + 1e-6;
        // Break when the piece (with what it must keep) doesn't fit, unless the page is empty;
        // a keep group taller than a whole page is placed piece by piece.
        if !at_top && (!fits_alone || (!fits_group && own + kept <= content_h)) {
            pages.push(Vec::new());
            y = 0.0;
            continue;
        }
        if let (true, Some(h)) = (at_top, p.header.as_ref()) {
            pages.last_mut().expect("page").push(Placed {
                piece: Cow::Borrowed(h.as_ref()),
                top: 0.0,
                extend: 0.0,
            });
            y += h.height;
        }
        let top = y + gap;
        let room = content_h - top - if fits_group { kept } else { 0.0 };
        let piece = if p.figure.is_some() && p.height > room + 1e-6 {
            Cow::Owned(p.shrunk_to(room))
        } else {
            Cow::Borrowed(p)
        };
        y = top + piece.height;
        pages.last_mut().expect("page").push(Placed {
            piece,
            top,
            extend: gap,
        });
        i += 1;
    }
    if pages.last().is_some_and(Vec::is_empty) && pages.len() > 1 {
        pages.pop();
    }
    pages
}

/// Converts commands to printpdf operations for a piece whose top-left corner is at (`left`,
/// `top`) measured from the page's top-left corner.
pub(super) fn emit(
    ops: &mut Vec<Op>,
    cmds: &[Cmd],
    left: f64,
    top: f64,
    page_h: f64,
    missing: &mut BTreeSet<char>,
) {
    let px = |x: f64| left + x;
    let py = |y: f64| page_h - (top + y);
    for cmd in cmds {
        match cmd {
            Cmd::Text {
                x,
                y,
                face,
                size,
                color,
                text,
            } => paint::text(ops, px(*x), py(*y), *face, *size, *color, text),
            Cmd::Rect {
                x,
                y,
                w,
                h,
                fill,
                stroke,
            } => paint::rect(ops, px(*x), py(*y + *h), *w, *h, *fill, *stroke),
            Cmd::Line {
                x1,
                y1,
                x2,
                y2,
                color,
                width,
            } => paint::line(ops, px(*x1), py(*y1), px(*x2), py(*y2), *color, *width),
            Cmd::Link { x, y, w, h, url } => ops.push(Op::LinkAnnotation {
                link: LinkAnnotation::new(
                    Rect::from_xywh(
                        Pt(px(*x) as f32),
                        Pt(py(*y + *h) as f32),
                        Pt(*w as f32),
                        Pt(*h as f32),
                    ),
                    Actions::Uri(url.clone()),
                    Some(BorderArray::Solid([0.0, 0.0, 0.0])),
                    Some(ColorArray::Transparent),
                    None,
                ),
            }),
            Cmd::Chart { x, y, w, drawing } => {
                super::chart::draw(drawing, px(*x), py(*y), *w, ops, missing);
            }
        }
    }
}

/// The operations of one body page.
pub fn body_page_ops(
    placed: &[Placed<'_>],
    geo: &Geometry,
    fm: &FrontMatter,
    page_no: usize,
    page_count: usize,
    missing: &mut BTreeSet<char>,
) -> Vec<Op> {
    let mut ops = Vec::new();
    // Decorations first (backgrounds behind everything on the page).
    for p in placed {
        for d in &p.piece.decor {
            let ext = if d.extend_up { p.extend } else { 0.0 };
            let top = geo.top + p.top - ext;
            let h = p.piece.height + ext;
            let y = geo.page_h - top - h;
            if let Some(fill) = d.fill {
                paint::rect(&mut ops, geo.left + d.x, y, d.w, h, Some(fill), None);
            }
            if let Some((bw, color)) = d.bar {
                paint::rect(&mut ops, geo.left + d.x, y, bw, h, Some(color), None);
            }
        }
    }
    for p in placed {
        emit(
            &mut ops,
            &p.piece.cmds,
            geo.left,
            geo.top + p.top,
            geo.page_h,
            missing,
        );
    }
    super::furniture::running_header_footer(&mut ops, geo, fm, page_no, page_count, missing);
    ops
}

pub(super) fn fit_text(text: &str, face: Face, size: f64, width: f64) -> String {
    if paint::resolved_width(face, size, text) <= width {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if paint::resolved_width(face, size, &candidate) <= width {
            return candidate;
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(h: f64, keep: bool) -> Piece {
        Piece {
            height: h,
            space_before: 5.0,
            keep_with_next: keep,
            ..Piece::default()
        }
    }

    #[test]
    fn pages_never_overflow() {
        let pieces: Vec<Piece> = (0..100)
            .map(|i| piece(10.0 + (i % 7) as f64 * 3.0, i % 5 == 0))
            .collect();
        let pages = paginate(&pieces, 200.0);
        let mut count = 0;
        for page in &pages {
            for p in page {
                assert!(p.top + p.piece.height <= 200.0 + 1e-6);
                count += 1;
            }
        }
        assert_eq!(count, 100);
    }

    #[test]
    fn heading_is_kept_with_next() {
        // 9 pieces of 20 fill 180 of 200 (with gaps); a heading (keep) + next can't both fit.
        let mut pieces: Vec<Piece> = (0..7).map(|_| piece(20.0, false)).collect();
        pieces.push(piece(15.0, true));
        pieces.push(piece(40.0, false));
        let pages = paginate(&pieces, 200.0);
        assert_eq!(pages.len(), 2);
        assert_eq!(
            pages[1].len(),
            2,
            "heading moved to the next page with its paragraph"
        );
        assert_eq!(pages[1][0].top, 0.0);
    }

    #[test]
    fn no_page_ends_with_a_heading_or_a_kept_piece() {
        let mut md = String::new();
        for i in 0..40 {
            md.push_str(&format!("## Section {i}\n\n"));
            for _ in 0..(i % 4 + 1) {
                md.push_str("Customers who buy more often also buy at better prices, and they rarely ask for a discount when the service is right. ");
            }
            md.push_str(
                "\n\n### Detail\n\n| A | B |\n|---|---|\n| x | 1 |\n| y | 2 |\n| z | 3 |\n\n",
            );
        }
        let (blocks, _) = crate::report::pdf::blocks::parse(&md);
        let geo = Geometry::new(595.28, 841.89);
        let mut missing = BTreeSet::new();
        let (pieces, _) = layout_body(&blocks, &geo, &BTreeMap::new(), &mut missing);
        let pages = paginate(&pieces, geo.content_height());
        assert!(pages.len() > 5);
        for page in &pages[..pages.len() - 1] {
            let last = page.last().expect("non-empty page");
            assert!(
                !last.piece.keep_with_next,
                "page ends with a piece that must stay with the next"
            );
            for p in page {
                assert!(p.top + p.piece.height <= geo.content_height() + 1e-6);
            }
        }
    }

    /// A heading, a paragraph and a Pareto chart with its source note, laid out on A4.
    fn exhibit_pieces(paragraphs: usize) -> (Vec<Piece>, Geometry) {
        let mut md = String::new();
        for _ in 0..paragraphs {
            md.push_str("Customers who buy more often also buy at better prices, and they rarely ask for a discount when the service is right.\n\n");
        }
        md.push_str(
            "## Concentration\n\n![Pareto](charts/pareto.svg)\n\n*Source: the sample.*\n\nAfter.\n",
        );
        let (blocks, _) = crate::report::pdf::blocks::parse(&md);
        let geo = Geometry::new(595.28, 841.89);
        let charts = BTreeMap::from([(
            "pareto".to_string(),
            crate::report::charts::layout::tests::sample_pareto(),
        )]);
        let mut missing = BTreeSet::new();
        (layout_body(&blocks, &geo, &charts, &mut missing).0, geo)
    }

    #[test]
    fn an_exhibit_shrinks_into_the_page_or_moves_with_its_heading() {
        let (pieces, _) = exhibit_pieces(0);
        let figure = pieces.iter().find(|p| p.figure.is_some()).unwrap();
        assert!(figure.keep_with_next, "kept with its source note");
        let f = figure.figure.as_ref().unwrap();
        assert!(f.min < 0.7 * f.natural && f.natural == figure.height);
        for paragraphs in 0..24 {
            let (pieces, geo) = exhibit_pieces(paragraphs);
            let pages = paginate(&pieces, geo.content_height());
            let (n, page) = pages
                .iter()
                .enumerate()
                .find(|(_, page)| page.iter().any(|p| p.piece.figure.is_some()))
                .unwrap();
            let at = page.iter().position(|p| p.piece.figure.is_some()).unwrap();
            let drawn = &page[at].piece;
            assert!(at > 0, "the heading is on the figure's page");
            assert!(drawn.height >= f.min - 1e-6 && drawn.height <= f.natural + 1e-6);
            // The note follows on the same page, and nothing overflows.
            assert!(
                page.len() > at + 1,
                "{paragraphs}: note on the figure's page"
            );
            for p in page {
                assert!(p.top + p.piece.height <= geo.content_height() + 1e-6);
            }
            // A page before it is left only when the exhibit could not fit there at its least.
            if n > 0 {
                let prev = pages[n - 1].last().unwrap();
                let free = geo.content_height() - prev.top - prev.piece.height;
                assert!(free < f.min + 80.0, "{paragraphs}: {free} pt left empty");
            }
        }
    }

    #[test]
    fn table_header_repeats() {
        let header = Rc::new(piece(12.0, true));
        let mut pieces = vec![(*header).clone()];
        for _ in 0..30 {
            let mut row = piece(12.0, false);
            row.space_before = 0.0;
            row.header = Some(Rc::clone(&header));
            pieces.push(row);
        }
        let pages = paginate(&pieces, 100.0);
        assert!(pages.len() > 2);
        for page in &pages {
            assert!(
                std::ptr::eq(&*page[0].piece, &*header)
                    || std::ptr::eq(&*page[0].piece, &pieces[0])
            );
        }
    }
}
