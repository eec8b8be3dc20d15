//! Markdown in, board-ready PDF out.
//!
//! The report Markdown (front matter + body) is parsed with pulldown-cmark into blocks, laid out
//! into pieces with the embedded fonts' real glyph advances, paginated (keep-with-next, repeated
//! table headers) and drawn with printpdf operations. Charts referenced as `charts/NAME.svg`
//! are drawn as vectors from the same description as the SVG files. A contents page (when the
//! body is long, or `contents: true`) and the bookmarks list the level-1 and level-2 headings;
//! `brand:` recolours the palette. Output is byte-identical for
//! identical input: fixed font resource names and subset tags, fixed dates, and a document ID
//! derived from the content.

mod blocks;
mod chart;
mod contents;
mod figure;
mod frontmatter;
mod furniture;
mod layout;
mod outline;
pub(crate) mod paint;
mod table;
mod text;

use std::collections::{BTreeMap, BTreeSet};

use printpdf::{Color, Mm, OffsetDateTime, Op, PdfDocument, PdfFont, PdfPage, PdfSaveOptions, Pt};

use self::contents::ContentsPages;
use crate::report::charts::Chart;
use crate::report::style::fonts::{self, fonts, Face};
use crate::report::style::{Brand, Rgb};

/// A rendered PDF.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The PDF file, byte-identical for identical input.
    pub bytes: Vec<u8>,
    /// Number of pages, title page included.
    pub pages: usize,
    /// Things the reader should know about: missing glyphs, images that are not charts, HTML
    /// that was skipped. Sorted and without duplicates.
    pub warnings: Vec<String>,
}

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    /// The YAML front matter block is missing, malformed or lacks a required key. `line` is
    /// 1-based in the Markdown file.
    #[error("front matter, line {line}: {message}")]
    FrontMatter {
        /// 1-based line in the Markdown file.
        line: usize,
        /// What is wrong, for the reader.
        message: String,
    },
}

/// Renders the report Markdown (with its front matter) to PDF. `charts` maps chart names to
/// charts: `![alt](charts/NAME.svg)` draws `charts["NAME"]`.
pub fn render(markdown: &str, charts: &BTreeMap<String, Chart>) -> Result<Rendered, PdfError> {
    let (fm, body) = frontmatter::split(markdown)?;
    let (w, h) = fm.page_size.dimensions();
    let geo = layout::Geometry::new(w, h);
    let mut missing: BTreeSet<char> = BTreeSet::new();

    let (blocks, mut warnings) = blocks::parse(body);
    let (pieces, layout_warnings) = layout::layout_body(&blocks, &geo, charts, &mut missing);
    warnings.extend(layout_warnings);
    let body_pages = if pieces.is_empty() {
        Vec::new()
    } else {
        layout::paginate(&pieces, geo.content_height())
    };
    let headings = contents::headings(&body_pages);
    let toc = contents::wanted(fm.contents, body_pages.len(), headings.len())
        .then(|| ContentsPages::layout(&headings, &geo, &mut missing));
    let first_body = 2 + toc.as_ref().map_or(0, ContentsPages::page_count);
    let page_count = first_body - 1 + body_pages.len();
    // Where each heading is: its page number and the top of its line, a little above it.
    let targets: Vec<(usize, f64)> = headings
        .iter()
        .map(|hd| (first_body + hd.body_page, h - geo.top - hd.top + 4.0))
        .collect();

    let mut page_ops = vec![furniture::title_page_ops(&geo, &fm, &mut missing)];
    if let Some(toc) = &toc {
        page_ops.extend(toc.page_ops(&geo, &fm, (2, page_count), &targets, &mut missing));
    }
    for (i, placed) in body_pages.iter().enumerate() {
        page_ops.push(layout::body_page_ops(
            placed,
            &geo,
            &fm,
            first_body + i,
            page_count,
            &mut missing,
        ));
    }
    if let Some(brand) = &fm.brand {
        page_ops.iter_mut().for_each(|ops| recolour(ops, brand));
    }
    warnings.extend(fonts::missing_glyph_warnings(&missing));
    let pages = page_ops
        .into_iter()
        .map(|ops| PdfPage::new(Mm::from(Pt(w as f32)), Mm::from(Pt(h as f32)), ops))
        .collect();
    let (mut bytes, save_warnings) = save(&fm, pages);
    warnings.extend(save_warnings);
    let marks: Vec<outline::Mark> = headings
        .iter()
        .zip(&targets)
        .map(|(hd, &(page, y))| outline::Mark {
            level: hd.level,
            title: hd.title.clone(),
            page,
            y,
        })
        .collect();
    outline::append(&mut bytes, &marks);
    let warnings: Vec<String> = warnings
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(Rendered {
        bytes,
        pages: page_count,
        warnings,
    })
}

/// The document with its metadata, written: title, author (`prepared_by`), subject (client and
/// as-of date), dated by its issue (a Markdown file without `issued:` by its as-of date), with a
/// content-derived ID and without the empty PDF/X and identifier entries printpdf adds. Returns
/// the bytes and the writer's errors.
fn save(fm: &frontmatter::FrontMatter, pages: Vec<PdfPage>) -> (Vec<u8>, Vec<String>) {
    let mut doc = PdfDocument::new(&fm.title);
    for face in Face::ALL {
        doc.resources.fonts.map.insert(
            face.font_id(),
            PdfFont::new(fonts().face(face).parsed.clone()),
        );
    }
    let date = as_of_date(fm.issued.as_deref().unwrap_or(&fm.as_of));
    let info = &mut doc.metadata.info;
    info.author = fm.prepared_by.clone();
    info.subject = format!("{} - {}", fm.client, fm.as_of);
    info.creator = "powerbase".to_string();
    info.producer = "powerbase (printpdf 0.12.8)".to_string();
    info.creation_date = date;
    info.modification_date = date;
    info.metadata_date = date;
    doc.with_pages(pages);
    let opts = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: true,
        image_optimization: None,
    };
    let mut save_warnings = Vec::new();
    let mut bytes = doc.save(&opts, &mut save_warnings);
    blank_info_entry(&mut bytes, b"/GTS_PDFXVersion");
    blank_info_entry(&mut bytes, b"/Identifier");
    set_document_id(&mut bytes);
    // The writer's own errors would mean a layout bug (e.g. text outside a text section):
    // report them rather than hide them.
    let warnings = save_warnings
        .into_iter()
        .filter(|w| w.severity == printpdf::PdfParseErrorSeverity::Error)
        .map(|w| format!("PDF writer: {}", w.msg))
        .collect();
    (bytes, warnings)
}

/// Paints the brand's colours where the default palette's are (see [`Brand::recolour`]).
fn recolour(ops: &mut [Op], brand: &Brand) {
    for op in ops {
        if let Op::SetFillColor { col } | Op::SetOutlineColor { col } = op {
            if let Color::Rgb(c) = col {
                let byte = |v: f32| (v * 255.0).round().clamp(0.0, 255.0) as u8;
                let was = Rgb(byte(c.r), byte(c.g), byte(c.b));
                *col = paint::color(brand.recolour(was));
            }
        }
    }
}

/// The as-of date (`YYYY-MM-DD...`) as the document's date, or the Unix epoch when it is not a
/// date: never the clock, so output stays reproducible.
fn as_of_date(as_of: &str) -> OffsetDateTime {
    let epoch = OffsetDateTime::from_unix_timestamp(0).expect("epoch");
    let parts: Vec<&str> = as_of.get(..10).unwrap_or("").split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return epoch;
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i64>(), m.parse::<i64>(), d.parse::<i64>()) else {
        return epoch;
    };
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return epoch;
    }
    // Days from civil date (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    OffsetDateTime::from_unix_timestamp(days * 86_400).unwrap_or(epoch)
}

/// 64-bit FNV-1a.
fn fnv1a(bytes: &[u8], seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// printpdf writes a random `/ID` into the trailer. Replace both halves, in place and with the
/// same length, by a hash of the rest of the file, so identical input gives identical bytes.
fn set_document_id(bytes: &mut [u8]) {
    let Some(trailer) = find_last(bytes, b"trailer") else {
        return;
    };
    let Some(id_rel) = find_last(&bytes[trailer..], b"/ID") else {
        return;
    };
    let id_start = trailer + id_rel;
    let digest = {
        let content = &bytes[..trailer];
        format!("{:016x}{:016x}", fnv1a(content, 1), fnv1a(content, 2))
    };
    let digest = digest.as_bytes();
    let mut i = id_start;
    let mut strings_done = 0;
    while i < bytes.len() && strings_done < 2 {
        if bytes[i] == b'(' {
            let start = i + 1;
            let Some(len) = bytes[start..].iter().position(|&b| b == b')') else {
                return;
            };
            for (k, b) in bytes[start..start + len].iter_mut().enumerate() {
                *b = digest[k % digest.len()];
            }
            strings_done += 1;
            i = start + len + 1;
        } else if bytes[i] == b'>' && bytes.get(i + 1) == Some(&b'>') {
            return;
        } else {
            i += 1;
        }
    }
}

/// printpdf writes `/GTS_PDFXVersion` into the document information even when the document
/// meets no PDF/X standard (it claims an empty one, which readers show as a PDF/X subtype), and
/// an empty `/Identifier`, which is no standard entry (readers report custom metadata). Blank the
/// `key` and its literal string value with spaces, in place, so every byte offset stays valid.
fn blank_info_entry(bytes: &mut [u8], key: &[u8]) {
    let Some(start) = bytes.windows(key.len()).position(|w| w == key) else {
        return;
    };
    let value = start + key.len();
    let Some(open) = bytes[value..].iter().position(|&b| b == b'(') else {
        return;
    };
    // Only a literal string right after the key (whitespace between) is the entry's value.
    if !bytes[value..value + open]
        .iter()
        .all(u8::is_ascii_whitespace)
    {
        return;
    }
    let Some(close) = bytes[value + open..].iter().position(|&b| b == b')') else {
        return;
    };
    bytes[start..value + open + close + 1].fill(b' ');
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MD: &str = "---\ntitle: Tiering review\nclient: Acme\nas_of: 2026-06-30\nprepared_by: North Partners\n---\n\n# Summary\n\nFirst class is 8% of customers and 59% of revenue.\n";

    #[test]
    fn renders_deterministically() {
        let charts = BTreeMap::new();
        let a = render(MD, &charts).unwrap();
        let b = render(MD, &charts).unwrap();
        assert_eq!(a.pages, 2);
        assert!(a.bytes.starts_with(b"%PDF-"));
        assert!(a.bytes == b.bytes, "same input, same bytes");
        let c = render(&MD.replace("59%", "60%"), &charts).unwrap();
        assert!(a.bytes != c.bytes);
        let text = String::from_utf8_lossy(&a.bytes);
        assert!(text.contains("/ID"));
        assert!(text.contains("D:20260630"), "creation date from as_of");
    }

    #[test]
    fn dated_by_the_issue_and_claims_no_pdfx() {
        let md = MD.replace(
            "as_of: 2026-06-30\n",
            "as_of: 2026-06-30\nissued: 2026-12-03\n",
        );
        let pdf = render(&md, &BTreeMap::new()).unwrap();
        let text = String::from_utf8_lossy(&pdf.bytes);
        assert!(text.contains("D:20261203"), "creation date from issued");
        assert!(!text.contains("D:20260630"));
        assert!(!text.contains("GTS_PDFX"), "no PDF/X claim");
        let bad = MD.replace("as_of: 2026-06-30\n", "as_of: 2026-06-30\nissued: soon\n");
        let e = render(&bad, &BTreeMap::new()).unwrap_err().to_string();
        assert!(e.contains("line 5") && e.contains("`soon`"), "{e}");
    }

    #[test]
    fn headings_become_bookmarks_in_an_update_and_a_short_body_has_no_contents() {
        let md = format!("{MD}\n## Detail\n\nMore.\n");
        let pdf = render(&md, &BTreeMap::new()).unwrap();
        assert_eq!(pdf.pages, 2, "no contents page for one body page");
        let text = String::from_utf8_lossy(&pdf.bytes);
        assert!(text.contains("/Type/Outlines") && text.contains("/PageMode/UseOutlines"));
        assert_eq!(text.matches("startxref").count(), 2, "one update");
        assert!(text.ends_with("%%EOF\n"));
        assert!(!text.contains("/Identifier"), "no custom metadata");
        let forced = render(
            &md.replace("---\n\n#", "contents: true\n---\n\n#"),
            &BTreeMap::new(),
        );
        assert_eq!(forced.unwrap().pages, 3);
    }

    #[test]
    fn blanking_keeps_every_offset() {
        let mut b = b"<< /Trapped /False /GTS_PDFXVersion () /Title (x) >>".to_vec();
        let len = b.len();
        blank_info_entry(&mut b, b"/GTS_PDFXVersion");
        assert_eq!(b.len(), len);
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "<< /Trapped /False                     /Title (x) >>"
        );
    }

    #[test]
    fn as_of_dates() {
        assert_eq!(as_of_date("1970-01-02").unix_timestamp(), 86_400);
        assert_eq!(as_of_date("2000-03-01").unix_timestamp(), 951_868_800);
        assert_eq!(as_of_date("June 2026").unix_timestamp(), 0);
    }

    #[test]
    fn front_matter_errors_surface() {
        let e = render("no front matter", &BTreeMap::new()).unwrap_err();
        assert!(e.to_string().starts_with("front matter, line 1:"));
    }
}
