//! A PDF read back with poppler's `pdftotext -bbox`: every word with its box, by page, and
//! names read back whole across wrapped lines.

use std::path::Path;
use std::process::Command;

/// A word of `pdftotext -bbox`: its box (points, y down from the top of the page) and text.
#[derive(Debug, Clone)]
pub struct Word {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
    pub text: String,
}

/// A page: its height and its words in reading order of the PDF.
#[derive(Debug, Clone)]
pub struct BoxPage {
    pub height: f64,
    pub words: Vec<Word>,
}

fn attr(tag: &str, name: &str) -> f64 {
    let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    let end = start + tag[start..].find('"').unwrap();
    tag[start..end].parse().unwrap()
}

/// Text of HTML with its five entities replaced.
pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&apos;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The pages of a PDF as `pdftotext -bbox` reads them.
pub fn bbox_pages(pdf: &Path) -> Vec<BoxPage> {
    let out = Command::new("pdftotext")
        .arg("-bbox")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (install poppler-utils)");
    assert!(out.status.success(), "pdftotext failed");
    let html = String::from_utf8(out.stdout).unwrap();
    html.split("<page ")
        .skip(1)
        .map(|page| BoxPage {
            height: attr(&page[..page.find('>').unwrap()], "height"),
            words: page
                .split("<word ")
                .skip(1)
                .map(|w| {
                    let tag_end = w.find('>').unwrap();
                    let text_end = w.find("</word>").unwrap();
                    let tag = &w[..tag_end];
                    Word {
                        x0: attr(tag, "xMin"),
                        y0: attr(tag, "yMin"),
                        x1: attr(tag, "xMax"),
                        y1: attr(tag, "yMax"),
                        text: unescape(&w[tag_end + 1..text_end]),
                    }
                })
                .collect(),
        })
        .collect()
}

/// Whether `next` follows `prev` in a line of text: on the same baseline, a word space or so to
/// its right.
fn same_line(prev: &Word, next: &Word) -> bool {
    (next.y0 - prev.y0).abs() < 1.5 && next.x0 >= prev.x1 - 0.5 && next.x0 - prev.x1 <= 8.0
}

/// Whether `next` starts the line under a line spanning `x0..x1` whose last word is `prev`
/// (left-aligned, centred or right-aligned, the two lines overlap).
fn next_line(prev: &Word, (x0, x1): (f64, f64), next: &Word) -> bool {
    let h = prev.y1 - prev.y0;
    next.y0 > prev.y0 + 0.5 * h && next.y0 - prev.y0 <= 1.8 * h && next.x0 < x1 && next.x1 > x0
}

/// Whether `name` reads back whole from `words`: its words in order, each on the same line as
/// the one before or starting the next line under it (a label wrapped onto two or three lines).
pub fn reads_whole(words: &[Word], name: &str) -> bool {
    name.split_whitespace().next().is_none() || find_whole(words, name).is_some()
}

/// The first word of the first place where `name` reads back whole (see [`reads_whole`]).
pub fn find_whole<'w>(words: &'w [Word], name: &str) -> Option<&'w Word> {
    let tokens: Vec<&str> = name.split_whitespace().collect();
    let (first, rest) = tokens.split_first()?;
    words.iter().filter(|w| w.text == *first).find(|start| {
        let mut prev: &Word = start;
        let mut span = (start.x0, start.x1);
        rest.iter().all(|token| {
            let found = words
                .iter()
                .find(|w| w.text == *token && (same_line(prev, w) || next_line(prev, span, w)));
            match found {
                Some(w) => {
                    span = if same_line(prev, w) {
                        (span.0, w.x1)
                    } else {
                        (w.x0, w.x1)
                    };
                    prev = w;
                    true
                }
                None => false,
            }
        })
    })
}

/// The texts of an SVG's `<text>` elements, in drawing order.
pub fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|s| {
            let s = &s[s.find('>')? + 1..];
            Some(unescape(&s[..s.find("</text>")?]))
        })
        .collect()
}
