//! The headings a reader navigates by (levels 1 and 2): found on the laid-out body pages, listed on
//! a contents page after the title page (each entry a link to its heading) and given to the PDF's
//! bookmarks.
//!
//! The contents page is laid out before its page numbers are known: an entry's text wraps in a
//! width that leaves room for the number, so the number of contents pages, and with it every body
//! page's number, is fixed before a single number is drawn.

use std::collections::BTreeSet;

use printpdf::{
    Actions, BorderArray, ColorArray, Destination, LinkAnnotation, Op, Pt, Rect as PdfRect,
};

use super::frontmatter::FrontMatter;
use super::furniture::running_header_footer;
use super::layout::{emit, line_cmds, Cmd, Geometry, Placed};
use super::paint;
use super::text::{break_lines, Span, TextSpec};
use crate::report::style::fonts::Face;
use crate::report::style::palette::{INK, MUTED, NAVY};
use crate::workspace::Contents;

/// The deepest heading level listed and bookmarked.
const LISTED_LEVELS: u8 = 2;
/// A body longer than this many pages gets a contents page under `contents: auto`.
const AUTO_MIN_PAGES: usize = 4;
/// Width kept free for the page numbers at the right.
const NUMBER_COLUMN: f64 = 40.0;
/// How far a level-2 entry is indented.
const INDENT: f64 = 14.0;
const TITLE_SIZE: f64 = 19.0;
const TITLE_LEADING: f64 = 24.0;
/// Space from the top of the first contents page to the first entry.
const TITLE_BLOCK: f64 = TITLE_LEADING + 5.0 + 16.0;

/// A heading of level 1 or 2 in the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    /// 1 or 2.
    pub level: u8,
    /// Its text, as printed.
    pub title: String,
    /// The body page it starts on, 0-based.
    pub body_page: usize,
    /// Its top, down from the top of the content area, in points.
    pub top: f64,
}

/// The headings of levels 1 and 2 on the laid-out body pages, in reading order.
pub fn headings(pages: &[Vec<Placed<'_>>]) -> Vec<Heading> {
    let mut found = Vec::new();
    for (body_page, placed) in pages.iter().enumerate() {
        for p in placed {
            if let Some((level, title)) = &p.piece.heading {
                if *level <= LISTED_LEVELS && !title.is_empty() {
                    found.push(Heading {
                        level: *level,
                        title: title.clone(),
                        body_page,
                        top: p.top,
                    });
                }
            }
        }
    }
    found
}

/// Whether the document gets a contents page: always with `true`, never with `false`, and with
/// `auto` when the body has more than [`AUTO_MIN_PAGES`] pages; never without headings to list.
pub fn wanted(mode: Contents, body_pages: usize, headings: usize) -> bool {
    headings > 0
        && match mode {
            Contents::Always => true,
            Contents::Never => false,
            Contents::Auto => body_pages > AUTO_MIN_PAGES,
        }
}

/// One entry: the heading's text in lines, without its page number.
struct Entry {
    height: f64,
    space_before: f64,
    /// Text commands, relative to the entry's top-left corner.
    cmds: Vec<Cmd>,
    /// Baseline and text end of its last line, where the leader dots start.
    last_baseline: f64,
    last_end: f64,
    face: Face,
    size: f64,
}

/// The contents, laid out and split into pages.
pub struct ContentsPages {
    entries: Vec<Entry>,
    /// Per page: the index of each entry on it and its top.
    pages: Vec<Vec<(usize, f64)>>,
}

impl ContentsPages {
    /// Lays out one entry per heading in the page geometry.
    pub fn layout(
        headings: &[Heading],
        geo: &Geometry,
        missing: &mut BTreeSet<char>,
    ) -> ContentsPages {
        let entries: Vec<Entry> = headings
            .iter()
            .enumerate()
            .map(|(i, h)| entry(h, i == 0, geo.text_width(), missing))
            .collect();
        let pages = paginate(&entries, geo.content_height());
        ContentsPages { entries, pages }
    }

    /// How many pages the contents take.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The operations of each contents page, the first of them page `first_page_no` of
    /// `page_count`. `targets[i]` is the page number heading `i` is on and the PDF y of its top,
    /// where its entry links to (as the bookmarks do).
    pub fn page_ops(
        &self,
        geo: &Geometry,
        fm: &FrontMatter,
        (first_page_no, page_count): (usize, usize),
        targets: &[(usize, f64)],
        missing: &mut BTreeSet<char>,
    ) -> Vec<Vec<Op>> {
        let tw = geo.text_width();
        let mut all = Vec::with_capacity(self.pages.len());
        for (n, page) in self.pages.iter().enumerate() {
            let mut ops = Vec::new();
            if n == 0 {
                emit(
                    &mut ops,
                    &title_cmds(tw, missing),
                    geo.left,
                    geo.top,
                    geo.page_h,
                    missing,
                );
            }
            for &(i, top) in page {
                let e = &self.entries[i];
                let (page_no, y) = targets[i];
                let top = geo.top + top;
                emit(&mut ops, &e.cmds, geo.left, top, geo.page_h, missing);
                let number = page_no.to_string();
                let base = geo.page_h - (top + e.last_baseline);
                let w = paint::resolved_width(e.face, e.size, &number);
                paint::text(
                    &mut ops,
                    geo.left + tw - w,
                    base,
                    e.face,
                    e.size,
                    INK,
                    &number,
                );
                leader(
                    &mut ops,
                    geo.left + e.last_end + 6.0,
                    geo.left + tw - w - 4.0,
                    base,
                    e.size,
                );
                ops.push(link(
                    (geo.left, geo.page_h - top - e.height, tw, e.height),
                    page_no,
                    y,
                ));
            }
            running_header_footer(&mut ops, geo, fm, first_page_no + n, page_count, missing);
            all.push(ops);
        }
        all
    }
}

/// The page's heading, "Contents", in the style of a level-1 heading.
fn title_cmds(tw: f64, missing: &mut BTreeSet<char>) -> Vec<Cmd> {
    let spec = TextSpec {
        bold: true,
        ..TextSpec::new(TITLE_SIZE)
    };
    let mut cmds = Vec::new();
    if let Some(line) = break_lines(&[Span::plain("Contents")], &spec, tw, missing).first() {
        cmds.extend(line_cmds(
            line,
            0.0,
            (TITLE_LEADING + TITLE_SIZE * 0.72) / 2.0,
            NAVY,
        ));
    }
    cmds.push(Cmd::Line {
        x1: 0.0,
        y1: TITLE_LEADING + 3.0,
        x2: tw,
        y2: TITLE_LEADING + 3.0,
        color: NAVY,
        width: 0.9,
    });
    cmds
}

/// A heading's entry: level 1 in bold, level 2 indented; the text wraps short of the number.
fn entry(h: &Heading, first: bool, tw: f64, missing: &mut BTreeSet<char>) -> Entry {
    let (size, leading, gap, indent, bold) = if h.level == 1 {
        (10.5, 14.5, 11.0, 0.0, true)
    } else {
        (9.5, 13.0, 4.5, INDENT, false)
    };
    let spec = TextSpec {
        bold,
        ..TextSpec::new(size)
    };
    let width = tw - indent - NUMBER_COLUMN;
    let lines = break_lines(&[Span::plain(h.title.clone())], &spec, width, missing);
    let baseline = (leading + size * 0.72) / 2.0;
    let mut cmds = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        cmds.extend(line_cmds(line, indent, baseline + k as f64 * leading, INK));
    }
    let n = lines.len().max(1);
    Entry {
        height: n as f64 * leading,
        space_before: if first { 0.0 } else { gap },
        cmds,
        last_baseline: baseline + (n - 1) as f64 * leading,
        last_end: indent + lines.last().map_or(0.0, |l| l.width),
        face: if bold { Face::Bold } else { Face::Regular },
        size,
    }
}

/// Fills pages with whole entries; the first page starts below the title.
fn paginate(entries: &[Entry], content_h: f64) -> Vec<Vec<(usize, f64)>> {
    let mut pages = vec![Vec::new()];
    let mut y = TITLE_BLOCK;
    for (i, e) in entries.iter().enumerate() {
        let at_top = pages.last().is_some_and(Vec::is_empty);
        let gap = if at_top { 0.0 } else { e.space_before };
        if !at_top && y + gap + e.height > content_h {
            pages.push(Vec::new());
            y = 0.0;
            pages.last_mut().expect("page").push((i, y));
            y += e.height;
            continue;
        }
        pages.last_mut().expect("page").push((i, y + gap));
        y += gap + e.height;
    }
    pages
}

/// Dots from `from` to `to` on the baseline, right-aligned so every entry's dots end in line.
fn leader(ops: &mut Vec<Op>, from: f64, to: f64, baseline: f64, size: f64) {
    let unit = paint::resolved_width(Face::Regular, size, ". ");
    if unit <= 0.0 || to - from < 2.0 * unit {
        return;
    }
    let count = ((to - from) / unit).floor() as usize;
    let dots = ". ".repeat(count);
    let dots = dots.trim_end();
    let w = paint::resolved_width(Face::Regular, size, dots);
    paint::text(ops, to - w, baseline, Face::Regular, size, MUTED, dots);
}

/// A link over the rectangle (`x`, `y`, `w`, `h`; PDF coordinates, lower-left corner) to the
/// point `y_to` of page `page_no`.
fn link((x, y, w, h): (f64, f64, f64, f64), page_no: usize, y_to: f64) -> Op {
    Op::LinkAnnotation {
        link: LinkAnnotation::new(
            PdfRect::from_xywh(Pt(x as f32), Pt(y as f32), Pt(w as f32), Pt(h as f32)),
            Actions::Goto(Destination::Xyz {
                page: page_no,
                left: None,
                top: Some(y_to as f32),
                zoom: None,
            }),
            Some(BorderArray::Solid([0.0, 0.0, 0.0])),
            Some(ColorArray::Transparent),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heading(level: u8, title: &str) -> Heading {
        Heading {
            level,
            title: title.to_string(),
            body_page: 0,
            top: 0.0,
        }
    }

    #[test]
    fn auto_wants_a_contents_page_for_a_long_body_only() {
        assert!(!wanted(Contents::Auto, 4, 10));
        assert!(wanted(Contents::Auto, 5, 10));
        assert!(wanted(Contents::Always, 1, 1));
        assert!(!wanted(Contents::Always, 9, 0));
        assert!(!wanted(Contents::Never, 40, 10));
    }

    #[test]
    fn many_entries_run_onto_a_second_page_and_none_is_split() {
        let geo = Geometry::new(595.28, 841.89);
        let mut missing = BTreeSet::new();
        let long = "A level-two heading that states a finding with its number, long enough to wrap onto a second line of the contents";
        let hs: Vec<Heading> = (0..60)
            .map(|i| heading(if i % 10 == 0 { 1 } else { 2 }, long))
            .collect();
        let toc = ContentsPages::layout(&hs, &geo, &mut missing);
        assert!(toc.page_count() >= 2);
        let mut seen = 0;
        for page in &toc.pages {
            for &(i, top) in page {
                assert_eq!(i, seen, "entries in order");
                seen += 1;
                assert!(top + toc.entries[i].height <= geo.content_height() + 1e-6);
                assert!(toc.entries[i].height > 14.0, "the long title wraps");
            }
        }
        assert_eq!(seen, 60);
    }
}
