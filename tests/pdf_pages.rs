//! Pages that are full and never end on a heading: the bundled examples rendered at A4 and
//! Letter through the binary, each page read back with poppler's `pdftotext -bbox`. The free
//! space of a page is the distance from its lowest body text (a figure's caption is its lowest
//! text) to the foot of the text area. No page but the last may be more than 25% empty unless
//! the next page opens with an exhibit that cannot fit into that space at its smallest size.
//! No body text (chart labels included) is set under 7 pt. Needs poppler-utils on PATH.

mod support;

use std::path::Path;

use support::pdf::{bbox_pages, svg_texts, Word};
use support::*;

/// The text area of a body page: the report's top and bottom margins, in points.
const TOP_MARGIN: f64 = 72.0;
const BOTTOM_MARGIN: f64 = 64.0;
/// The most a page but the last may be empty.
const MAX_EMPTY: f64 = 0.25;
/// No chart shrinks under this share of its natural height: its plot area at half height
/// (`MIN_SQUEEZE`) and the whole drawing at no less than its smallest text at 7 pt leave the
/// Pareto and whale curves, the most squeezable charts, at 62%, the tier bars at 66% and the RFM
/// grid, whose cells hold two lines of text, at 84% (a unit test in src/report/charts/layout.rs
/// holds the layout to these shares).
const MIN_CHART_SHARE: f64 = 0.62;

/// The least share of its natural height the chart titled `title` can be drawn at.
fn min_chart_share(title: &str) -> f64 {
    match title {
        "Customers, revenue and margin by tier" => 0.66,
        "Customers by recency and frequency" => 0.84,
        _ => MIN_CHART_SHARE,
    }
}
/// Word boxes at least this high are set in a level-1 or level-2 heading (14.5 pt and more);
/// body text (9.5 pt) and chart titles (11 pt) are lower.
const HEADING_BOX: f64 = 15.0;
/// The height of a word's box per point of font size (the embedded sans's ascent plus
/// descent): no body text, chart labels included, is set under 7 pt.
const BOX_PER_PT: f64 = 1.164;
const MIN_TEXT_PT: f64 = 7.0;
/// Caption text sits this far under its chart (the layout's caption gap).
const CAPTION_GAP: f64 = 8.0;

/// A line of body text: its words' top, bottom and joined text.
#[derive(Debug, Clone)]
struct TextLine {
    top: f64,
    bottom: f64,
    text: String,
    /// The lowest word box of the line.
    smallest: f64,
}

/// A page: its height and its body lines (inside the text area, running header and footer
/// left out), top to bottom.
struct Page {
    height: f64,
    lines: Vec<TextLine>,
}

impl Page {
    fn area_top(&self) -> f64 {
        TOP_MARGIN
    }

    fn area_bottom(&self) -> f64 {
        self.height - BOTTOM_MARGIN
    }

    /// Share of the text area under the lowest body text.
    fn empty_share(&self) -> f64 {
        let lowest = self
            .lines
            .iter()
            .map(|l| l.bottom)
            .fold(self.area_top(), f64::max);
        (self.area_bottom() - lowest) / (self.area_bottom() - self.area_top())
    }

    fn free_space(&self) -> f64 {
        self.empty_share() * (self.area_bottom() - self.area_top())
    }
}

/// The pages of a PDF, their body lines inside the text area.
fn pages(pdf: &Path) -> Vec<Page> {
    bbox_pages(pdf)
        .into_iter()
        .map(|page| {
            let height = page.height;
            let mut words: Vec<Word> = page
                .words
                .into_iter()
                .filter(|w| w.y0 >= TOP_MARGIN - 2.0 && w.y1 <= height - BOTTOM_MARGIN + 2.0)
                .collect();
            words.sort_by(|a, b| a.y0.total_cmp(&b.y0).then(a.x0.total_cmp(&b.x0)));
            Page {
                height,
                lines: lines(&words),
            }
        })
        .collect()
}

/// Words on the same baseline (tops within 1 pt) as lines.
fn lines(words: &[Word]) -> Vec<TextLine> {
    let mut lines: Vec<(Word, Vec<Word>)> = Vec::new();
    for w in words {
        match lines.last_mut() {
            Some((first, ws)) if (w.y0 - first.y0).abs() < 1.0 => ws.push(w.clone()),
            _ => lines.push((w.clone(), vec![w.clone()])),
        }
    }
    lines
        .into_iter()
        .map(|(_, mut ws)| {
            ws.sort_by(|a, b| a.x0.total_cmp(&b.x0));
            TextLine {
                top: ws.iter().map(|w| w.y0).fold(f64::INFINITY, f64::min),
                bottom: ws.iter().map(|w| w.y1).fold(0.0, f64::max),
                smallest: ws.iter().map(|w| w.y1 - w.y0).fold(f64::INFINITY, f64::min),
                text: ws
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            }
        })
        .collect()
}

/// The headings of report.md, as plain text.
fn headings(md: &str) -> Vec<String> {
    md.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| {
            l.trim_start_matches('#')
                .replace(['*', '`'], "")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Whether `line` is (the last line of) a heading of report.md: a whole heading, or the end
/// of one set in heading type.
fn is_heading(line: &TextLine, headings: &[String]) -> bool {
    let tall = line.bottom - line.top >= HEADING_BOX;
    headings
        .iter()
        .any(|h| *h == line.text || (tall && h.ends_with(&line.text)))
}

/// The charts' titles (each drawing's first text) of a run's output.
fn chart_titles(out: &Path) -> Vec<String> {
    std::fs::read_dir(out.join("charts"))
        .unwrap()
        .filter_map(|e| {
            let svg = std::fs::read_to_string(e.unwrap().path()).ok()?;
            svg_texts(&svg).into_iter().next()
        })
        .collect()
}

/// The source notes of report.md: the paragraph in italics right under a chart, as plain
/// text (the layout keeps it on the chart's page).
fn notes(md: &str) -> Vec<String> {
    let lines: Vec<&str> = md.lines().collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("![") && l.contains("(charts/"))
        .filter_map(|(i, _)| {
            let next = lines[i + 1..].iter().find(|l| !l.trim().is_empty())?;
            next.starts_with('*').then(|| {
                next.replace('*', "")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        })
        .collect()
}

/// The least height the block opening `page` can take, when it is an exhibit (the headings
/// kept with it, the chart, its caption and its source note): all but the chart as drawn, the
/// chart at [`MIN_CHART_SHARE`] of its drawn height. `None` when the page opens with anything
/// else.
fn opening_exhibit_min(page: &Page, md: &str, titles: &[String]) -> Option<f64> {
    let headings = headings(md);
    let title_at = page.lines.iter().position(|l| titles.contains(&l.text))?;
    if !page.lines[..title_at]
        .iter()
        .all(|l| is_heading(l, &headings))
    {
        return None;
    }
    let chart_top = page.lines[title_at].top;
    let caption_at = title_at
        + page.lines[title_at..]
            .iter()
            .position(|l| l.text.starts_with("Exhibit "))?;
    let caption = &page.lines[caption_at];
    let notes = notes(md);
    // The note's last line, among the few lines after the caption.
    let end = page.lines[caption_at..]
        .iter()
        .take(8)
        .find(|l| notes.iter().any(|n| n.ends_with(&l.text)))
        .unwrap_or(caption);
    let chart_h = caption.top - CAPTION_GAP - chart_top;
    Some(
        (chart_top - page.area_top())
            + min_chart_share(&page.lines[title_at].text) * chart_h
            + (end.bottom - caption.top + CAPTION_GAP),
    )
}

/// An example workspace copied to a temporary folder with `report.page_size` set.
fn example_at(example: &str, page_size: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples").join(example), dir.path());
    let path = dir.path().join("powerbase.yaml");
    let policy = std::fs::read_to_string(&path).unwrap();
    assert!(
        policy.contains("\nreport:\n"),
        "{example} has a report section"
    );
    let policy = policy.replacen(
        "\nreport:\n",
        &format!("\nreport:\n  page_size: {page_size}\n"),
        1,
    );
    std::fs::write(&path, policy).unwrap();
    dir
}

fn check(example: &str, page_size: &str) {
    let ws = example_at(example, page_size);
    let out = run_elsewhere(ws.path());
    let out = out.path().join("out");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let headings = headings(&md);
    let titles = chart_titles(&out);
    let pages = pages(&out.join("report.pdf"));
    assert!(
        pages.len() > 3,
        "{example} {page_size}: {} pages",
        pages.len()
    );
    // The body starts after the title page and the contents page(s), lists that end where
    // they end.
    let contents = pages[1..]
        .iter()
        .take_while(|p| p.lines.first().is_some_and(|l| l.text.trim() == "Contents"))
        .count();
    let body = &pages[1 + contents..];
    let mut report = Vec::new();
    for (i, page) in body.iter().enumerate() {
        let no = i + 2 + contents;
        let last = page.lines.last().expect("a body page has text");
        assert!(
            !is_heading(last, &headings),
            "{example} {page_size}: page {no} ends with the heading `{}`",
            last.text
        );
        for line in &page.lines {
            assert!(
                line.smallest >= MIN_TEXT_PT * BOX_PER_PT - 0.05,
                "{example} {page_size}: `{}` on page {no} is set under {MIN_TEXT_PT} pt",
                line.text
            );
        }
        let empty = page.empty_share();
        report.push(format!("{no}: {:.0}%", empty * 100.0));
        if i + 1 == body.len() || empty <= MAX_EMPTY {
            continue;
        }
        let next = &body[i + 1];
        let min = opening_exhibit_min(next, &md, &titles);
        assert!(
            min.is_some_and(|m| m > page.free_space()),
            "{example} {page_size}: page {no} is {:.0}% empty ({:.0} pt) and page {} opens with \
             {} (least height {min:?}); pages {report:?}",
            empty * 100.0,
            page.free_space(),
            no + 1,
            next.lines.first().map_or("", |l| l.text.as_str()),
        );
    }
}

#[test]
fn cdnow_pages_are_full_at_a4_and_letter() {
    check("cdnow", "A4");
    check("cdnow", "Letter");
}

#[test]
fn cdnow_de_pages_are_full_at_a4_and_letter() {
    check("cdnow-de", "A4");
    check("cdnow-de", "Letter");
}

#[test]
fn b2b_services_pages_are_full_at_a4_and_letter() {
    check("b2b-services", "A4");
    check("b2b-services", "Letter");
}

#[test]
fn insurance_agency_pages_are_full_at_a4_and_letter() {
    check("insurance-agency", "A4");
    check("insurance-agency", "Letter");
}

#[test]
fn a_page_ending_on_a_heading_is_seen() {
    let page = Page {
        height: 842.0,
        lines: vec![TextLine {
            top: 700.0,
            bottom: 717.0,
            text: "of revenue".into(),
            smallest: 17.0,
        }],
    };
    let headings = vec!["The top 20% of customers bring 67.8% of revenue".to_string()];
    assert!(is_heading(&page.lines[0], &headings));
    let body = TextLine {
        bottom: 711.0,
        ..page.lines[0].clone()
    };
    assert!(!is_heading(&body, &headings), "body text ending alike");
    assert!((page.free_space() - (842.0 - 64.0 - 717.0)).abs() < 1e-9);
}
