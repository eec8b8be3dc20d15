//! Reads rendered PDFs back with poppler (pdftotext, pdfinfo, pdffonts): text order, page
//! count, embedded fonts with ToUnicode maps, repeated table headers, Greek and Cyrillic,
//! missing glyphs, margins, determinism. Needs poppler-utils on PATH.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use powerbase::report::pdf::{render, PdfError, Rendered};
use support::charts as fixtures;

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name} ({e}); install poppler-utils"));
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Writes the PDF to a file unique to the test and returns its path.
fn write(rendered: &Rendered, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("powerbase-pdf-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, &rendered.bytes).expect("write pdf");
    path
}

fn text(path: &Path, extra: &[&str]) -> String {
    let mut args: Vec<&str> = extra.to_vec();
    args.push(path.to_str().expect("path"));
    args.push("-");
    tool("pdftotext", &args)
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Renders the fixture report into a file named for the calling test (tests run in parallel).
fn fixture(test: &str) -> (Rendered, PathBuf) {
    let rendered = render(fixtures::FIXTURE, &fixtures::sample_charts()).expect("fixture renders");
    let path = write(&rendered, test);
    (rendered, path)
}

fn doc(body: &str) -> String {
    format!("---\ntitle: Test report\nclient: Test client\nas_of: 2026-06-30\nprepared_by: Tester\n---\n\n{body}")
}

#[test]
fn text_reads_in_order() {
    let (_, path) = fixture("text_reads_in_order");
    let all = squash(&text(&path, &[]));
    let in_order = [
        "HALVORSEN MARINE SUPPLY",
        "Customer tiering review",
        "Who drives the business, and where to focus in the year ahead",
        "PREPARED BY",
        "Northbridge Strategy Partners",
        "Executive summary",
        "Halvorsen Marine Supply served 12,480 customers in the twelve months to 30 June 2026 and booked $8,423,112 of revenue.",
        "Revenue is concentrated in few customers",
        "Top 20% of customers: 63% of revenue",
        "Exhibit 1. Revenue concentration: customers ranked by revenue, largest first",
        "Three tiers, three different businesses",
        "Exhibit 2.",
        "What makes a First class customer",
        "Recency and frequency",
        "Exhibit 3.",
        "The sixty largest customers",
        "Aegean Yacht Services",
        "Gunwale Goods",
        "Recommendations",
        "We always treated every order the same.",
        "revenue_12m >= 2500 and orders_12m >= 12",
        "powerbase documentation",
        "Appendix: definitions",
        "Image not available",
    ];
    let mut from = 0;
    for needle in in_order {
        match all[from..].find(needle) {
            Some(i) => from += i + needle.len(),
            None => panic!(
                "`{needle}` not found after position {from}:\n{}",
                &all[from.saturating_sub(200)..]
            ),
        }
    }
}

#[test]
fn table_rows_read_across_in_layout_mode() {
    let (_, path) = fixture("table_rows_read_across_in_layout_mode");
    let layout = text(&path, &["-layout"]);
    let rows: Vec<String> = layout.lines().map(squash).collect();
    for expected in [
        "First class 1,060 8.5% $4,950,000 58.8% $1,480,000 29.9%",
        "Total 12,480 100.0% $8,423,112 100.0% $2,100,000 24.9%",
        "1 Aegean Yacht Services North 59 $28,463 $8,061 28.3% -14.4%",
        "49 Αθηναϊκή Ναυτιλιακή Α.Ε. Export 25 $12,936 $3,587 27.7% +27.0%",
    ] {
        assert!(
            rows.iter().any(|r| r == expected),
            "row `{expected}` not found in -layout output"
        );
    }
}

#[test]
fn page_count_matches_pdfinfo() {
    let (rendered, path) = fixture("page_count_matches_pdfinfo");
    let info = tool("pdfinfo", &[path.to_str().unwrap()]);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .map(|v| v.trim().parse().unwrap())
        .expect("Pages line");
    assert_eq!(pages, rendered.pages);
    assert!(pages >= 5, "{pages}");
    assert!(info.contains("595.28 x 841.89"), "A4: {info}");
    let last = text(&path, &["-f", &pages.to_string(), "-l", &pages.to_string()]);
    assert!(
        last.contains(&format!("Page {pages} of {pages}")),
        "footer on last page"
    );
    let first = text(&path, &["-f", "1", "-l", "1"]);
    assert!(!first.contains("Page 1 of"), "no footer on the title page");
}

#[test]
fn fonts_are_embedded_subset_with_tounicode() {
    let (_, path) = fixture("fonts_are_embedded_subset_with_tounicode");
    let out = tool("pdffonts", &[path.to_str().unwrap()]);
    let rows: Vec<&str> = out
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(rows.len() >= 4, "regular, bold, italic and mono: {out}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type... encoding emb sub uni objectID gen
        let n = cols.len();
        assert_eq!(
            &cols[n - 5..n - 2],
            &["yes", "yes", "yes"],
            "emb sub uni: {row}"
        );
        assert!(cols[0].contains("DejaVu"), "{row}");
    }
}

#[test]
fn long_table_repeats_its_header() {
    let (rendered, path) = fixture("long_table_repeats_its_header");
    let page_of = |needle: &str| -> usize {
        (1..=rendered.pages)
            .find(|p| text(&path, &["-f", &p.to_string(), "-l", &p.to_string()]).contains(needle))
            .unwrap_or_else(|| panic!("{needle} not found"))
    };
    let first = page_of("Aegean Yacht Services");
    let last = page_of("Gunwale Goods");
    assert!(
        last > first,
        "the 60-row table spans pages ({first}..{last})"
    );
    for p in first..=last {
        let t = text(&path, &["-f", &p.to_string(), "-l", &p.to_string()]);
        for header in ["Rank", "Customer", "Region", "Margin %", "vs. 2025"] {
            assert!(t.contains(header), "header `{header}` on page {p}");
        }
    }
}

#[test]
fn greek_and_cyrillic_extract_intact() {
    let (_, path) = fixture("greek_and_cyrillic_extract_intact");
    let all = text(&path, &[]);
    assert!(all.contains("Αθηναϊκή Ναυτιλιακή Α.Ε."), "Greek");
    assert!(all.contains("ООО «Северный Флот»"), "Cyrillic");
    assert!(
        !all.contains('\u{FFFD}'),
        "no replacement characters in the fixture"
    );
}

#[test]
fn missing_glyphs_are_visible_and_reported() {
    let rendered = render(&doc("Revenue in 中国 grew."), &BTreeMap::new()).unwrap();
    assert!(
        rendered
            .warnings
            .iter()
            .any(|w| w.contains("U+4E2D") && w.contains('中')),
        "{:?}",
        rendered.warnings
    );
    assert!(rendered.warnings.iter().any(|w| w.contains("U+56FD")));
    let path = write(&rendered, "missing");
    let t = text(&path, &[]);
    assert!(t.contains("Revenue in \u{FFFD}\u{FFFD} grew."), "{t}");
}

#[test]
fn unknown_images_become_placeholders_with_warnings() {
    let (rendered, _) = fixture("unknown_images_become_placeholders_with_warnings");
    assert_eq!(rendered.warnings.len(), 2, "{:?}", rendered.warnings);
    assert!(rendered
        .warnings
        .iter()
        .any(|w| w.contains("charts/monthly.svg")));
    assert!(rendered
        .warnings
        .iter()
        .any(|w| w.contains("images/workshop.jpg")));
}

#[test]
fn output_is_byte_identical() {
    let charts = fixtures::sample_charts();
    let a = render(fixtures::FIXTURE, &charts).unwrap();
    let b = render(fixtures::FIXTURE, &charts).unwrap();
    assert!(a.bytes == b.bytes);
    assert_eq!(a.warnings, b.warnings);
}

#[test]
fn tier_chart_without_cost_data_has_no_margin_series() {
    let md = doc("# Tiers\n\n![Tiers](charts/tiers.svg)\n");
    let read = |charts, name| {
        let rendered = render(&md, &charts).expect("renders");
        assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
        squash(&text(&write(&rendered, name), &[]))
    };
    let with = read(fixtures::sample_charts(), "tiers_with_margin");
    assert!(
        with.contains("Customers, revenue and margin by tier"),
        "{with}"
    );
    assert!(with.contains("Margin") && with.contains("70%"), "{with}");

    let without = read(
        fixtures::sample_charts_without_margin(),
        "tiers_without_margin",
    );
    assert!(
        without.contains("Customers and revenue by tier"),
        "{without}"
    );
    assert!(
        without.contains("Revenue") && without.contains("8.5%"),
        "{without}"
    );
    assert!(!without.to_lowercase().contains("margin"), "{without}");
    assert!(!without.contains("70%"), "margin label drawn: {without}");
}

#[test]
fn links_are_clickable() {
    let (rendered, _) = fixture("links_are_clickable");
    let raw = String::from_utf8_lossy(&rendered.bytes);
    assert!(raw.contains("/URI"), "link annotation");
    assert!(raw.contains("https://example.com/powerbase/method"));
}

/// Word boxes from `pdftotext -bbox`: (page, xmin, xmax, word).
fn word_boxes(path: &Path) -> Vec<(usize, f64, f64, String)> {
    let html = text(path, &["-bbox"]);
    let mut page = 0;
    let mut words = Vec::new();
    for line in html.lines() {
        let line = line.trim();
        if line.starts_with("<page") {
            page += 1;
        }
        if let Some(rest) = line.strip_prefix("<word ") {
            let attr = |name: &str| -> f64 {
                let key = format!("{name}=\"");
                let start = rest.find(&key).unwrap() + key.len();
                let end = rest[start..].find('"').unwrap() + start;
                rest[start..end].parse().unwrap()
            };
            let word =
                rest[rest.find('>').unwrap() + 1..rest.rfind("</word>").unwrap()].to_string();
            words.push((page, attr("xMin"), attr("xMax"), word));
        }
    }
    words
}

fn assert_inside_margins(path: &Path, page_width: f64) {
    let margin = 70.87;
    let words = word_boxes(path);
    assert!(!words.is_empty());
    for (page, x0, x1, word) in words {
        assert!(
            x0 >= margin - 1.0 && x1 <= page_width - margin + 1.0,
            "`{word}` on page {page} runs outside the text area: {x0:.1}..{x1:.1}"
        );
    }
}

#[test]
fn fixture_text_stays_inside_the_margins() {
    let (_, path) = fixture("fixture_text_stays_inside_the_margins");
    assert_inside_margins(&path, 595.28);
}

#[test]
fn long_words_and_wide_tables_never_overflow() {
    let long = "x".repeat(300);
    let header: String = (1..=14)
        .map(|i| format!("| Column heading number {i} "))
        .collect::<String>()
        + "|\n";
    let rule: String = (1..=14).map(|_| "|---").collect::<String>() + "|\n";
    let row: String = (1..=14)
        .map(|i| format!("| value{i}-{long} "))
        .collect::<String>()
        + "|\n";
    let body = format!(
        "A long token: {long} and a URL https://example.com/{long}.\n\n- nested\n  - deeper\n    - {long}\n\n> quoted {long}\n\n```\n{long}\n```\n\n{header}{rule}{row}{row}\n"
    );
    let rendered = render(&doc(&body), &BTreeMap::new()).unwrap();
    let path = write(&rendered, "overflow");
    assert_inside_margins(&path, 595.28);
    let all: String = text(&path, &[]).split_whitespace().collect();
    assert!(
        all.matches(&long[..50]).count() >= 5,
        "long words are broken, not lost"
    );
}

#[test]
fn letter_page_size() {
    let md = doc("Hello.").replace(
        "prepared_by: Tester",
        "prepared_by: Tester\npage_size: Letter",
    );
    let rendered = render(&md, &BTreeMap::new()).unwrap();
    let path = write(&rendered, "letter");
    let info = tool("pdfinfo", &[path.to_str().unwrap()]);
    assert!(info.contains("612 x 792"), "{info}");
    assert_inside_margins(&path, 612.0);
}

#[test]
fn malformed_front_matter_is_an_error_with_a_line() {
    let md = "---\ntitle: T\nclient: C\nas_of: [2026\nprepared_by: P\n---\nbody\n";
    match render(md, &BTreeMap::new()) {
        Err(PdfError::FrontMatter { line, message }) => {
            assert!((4..=6).contains(&line), "line {line}: {message}");
        }
        other => panic!("expected a front matter error, got {other:?}"),
    }
}

#[test]
fn edge_cases_stay_inside_the_margins() {
    let rendered = render(fixtures::EDGE, &fixtures::edge_charts()).unwrap();
    let path = write(&rendered, "edge");
    assert_inside_margins(&path, 612.0);
    let all = squash(&text(&path, &[]));
    for needle in [
        "Heading four",
        "Nested quote inside the outer quote",
        "deepest bullet",
        "longer cell text",
        "Exhibit 3. Rfm empty",
    ] {
        assert!(all.contains(needle), "{needle}");
    }
    assert_eq!(rendered.warnings.len(), 2, "{:?}", rendered.warnings); // 日 and 本
}
