//! Tables and chart labels that never break numbers or names: the CDNOW example with eight long
//! tier names, a cost column (so money columns appear) and an 11-column table, rendered at A4
//! and Letter through the binary and read back with poppler's `pdftotext`. Every number, money
//! amount, percentage and date of report.md must read back unbroken from the PDF, every tier
//! name whole (in the tier chart, as a line of the PDF and a text of charts/tiers.svg), and no
//! word of 12 letters or fewer may be split. With `--compare-as-of` the report adds the movement
//! matrix, a 10-column table too wide for the page: it too must keep every figure whole (each
//! occurrence), and no word outside the charts may reach into the side margins (read from the
//! word boxes of `pdftotext -bbox`). Needs poppler-utils on PATH.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use support::pdf::{bbox_pages, find_whole, reads_whole, svg_texts, BoxPage, Word};
use support::*;

/// Eight tiers with long names, in the order they are tried; the last takes everyone else.
const TIERS: [(&str, &str); 8] = [
    ("Strategic Platinum Accounts", "revenue >= 1000"),
    ("Key Account Development", "revenue >= 500"),
    ("Gelegenheitskunden Nord", "revenue >= 300"),
    ("Wachstumskunden Süd", "revenue >= 200"),
    ("Regular Repeat Buyers", "purchase_days >= 3"),
    ("Occasional Bargain Hunters", "revenue >= 100"),
    ("Dormant Former Customers", "recency_days >= 365"),
    ("Einmalkäufer ohne Wiederkauf", ""),
];

/// A section with an 11-column table: long headers over money, counts and signed percentages.
const TEMPLATE: &str = r#"{% extends "builtin/report.md" %}
{% block next -%}
## Tier economics in detail

| Tier | Customers | Share of all customers | Revenue | Cumulative share of revenue | Margin | Share of margin | Revenue per customer | Orders | Orders per customer | Change versus plan |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{% for t in tiers %}| {{ t.name }} | {{ t.customers | num }} | {{ t.customer_pct }} | {{ t.revenue | money(decimals=2) }} | {{ t.revenue_pct }} | {{ t.margin | money }} | {{ t.margin_pct }} | {{ t.avg_revenue | money(decimals=2) }} | {{ t.orders | num }} | {% if t.customers > 0 %}{{ (t.orders / t.customers) | num(decimals=2) }}{% else %}–{% endif %} | +{{ t.customer_pct }} |
{% endfor %}| **Total** | **{{ customers | num }}** | **100%** | **{{ total_revenue | money(decimals=2) }}** | **100%** | **{{ total_margin | money }}** | **100%** | – | – | – | **+50%** |
{%- endblock next %}
"#;

/// The CDNOW example in a temporary folder with the tiers, costs, template and page size above.
fn workspace(page_size: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/cdnow"), dir.path());
    let mut tiers = String::from("tiers:\n");
    for (name, when) in TIERS {
        tiers.push_str(&format!("  - name: {name}\n"));
        tiers.push_str(&format!("    description: The {name} tier.\n"));
        if !when.is_empty() {
            tiers.push_str(&format!("    when: {when}\n"));
        }
    }
    std::fs::write(dir.path().join("rules/tiers.yaml"), tiers).unwrap();
    // The policy tests name the example's own tiers.
    std::fs::remove_dir_all(dir.path().join("tests")).unwrap();
    let policy = std::fs::read_to_string(dir.path().join("powerbase.yaml")).unwrap();
    let policy = policy
        .replace(
            "quantity: number_of_cds }",
            "quantity: number_of_cds, cost: \"=dollar_value * 0.62\" }",
        )
        .replace(
            "  top_customers: 10",
            &format!("  top_customers: 10\n  page_size: {page_size}"),
        );
    assert!(policy.contains("cost:") && policy.contains("page_size:"));
    std::fs::write(dir.path().join("powerbase.yaml"), policy).unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(dir.path().join("templates/report.md"), TEMPLATE).unwrap();
    dir
}

fn pdftotext(pdf: &Path, layout: bool) -> String {
    let mut cmd = Command::new("pdftotext");
    if layout {
        cmd.arg("-layout");
    }
    let out = cmd
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (install poppler-utils)");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).unwrap()
}

/// A token without the punctuation and Markdown emphasis around it.
fn trim(token: &str) -> &str {
    token
        .trim_start_matches(['(', '*', '_', '`', '['])
        .trim_end_matches([')', '*', '_', '`', ']', '.', ',', ';', ':'])
}

/// Numbers, money amounts, percentages and dates: tokens that start with a digit, sign or
/// currency symbol, hold a digit and nothing but digits, separators, signs and units.
fn figures(text: &str) -> BTreeSet<String> {
    figure_counts(text).into_keys().collect()
}

/// How often each figure (see [`figures`]) occurs in `text`.
fn figure_counts(text: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for t in text
        .split(|c: char| c.is_whitespace() || c == '|')
        .map(trim)
    {
        if t.chars().any(|c| c.is_ascii_digit())
            && t.starts_with(|c: char| c.is_ascii_digit() || "+-−$€£".contains(c))
            && t.chars()
                .all(|c| c.is_ascii_digit() || ",.+-−$€£%".contains(c))
        {
            *counts.entry(t.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

/// Words of letters only, from text split at whitespace and punctuation other than a hyphen at
/// the end (the mark of a hyphenated word).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphabetic() || c == '-'))
        .flat_map(|t| t.split_inclusive('-'))
        .filter(|t| t.chars().any(char::is_alphabetic))
        .map(str::to_string)
        .collect()
}

/// The words of the chart titled `title` in the PDF: from its title down to its caption.
fn chart_words(pages: &[BoxPage], title: &str) -> Vec<Word> {
    for page in pages {
        let Some(top) = find_whole(&page.words, title) else {
            continue;
        };
        let caption = page
            .words
            .iter()
            .filter(|w| w.text == "Exhibit" && w.y0 > top.y0)
            .map(|w| w.y0)
            .fold(f64::INFINITY, f64::min);
        return page
            .words
            .iter()
            .filter(|w| w.y0 >= top.y0 - 1.0 && w.y1 <= caption)
            .cloned()
            .collect();
    }
    panic!("no chart titled {title} in the PDF");
}

/// Page width in points and the text area's left and right edges (the report's margins).
fn text_area(page_size: &str) -> (f64, f64) {
    let width = match page_size {
        "A4" => 595.28,
        "Letter" => 612.0,
        other => panic!("no width for {other}"),
    };
    (70.87, width - 70.87)
}

/// The vertical extent of each chart on a page: from its title (the first text of an SVG in
/// `charts`) down to the next "Figure" caption.
fn chart_bands(page: &BoxPage, charts: &Path) -> Vec<(f64, f64)> {
    let mut bands = Vec::new();
    for entry in std::fs::read_dir(charts).unwrap() {
        let texts = svg_texts(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
        let Some(top) = texts.first().and_then(|t| find_whole(&page.words, t)) else {
            continue;
        };
        let caption = page
            .words
            .iter()
            .filter(|w| w.text == "Figure" && w.y0 > top.y0)
            .map(|w| w.y1)
            .fold(f64::INFINITY, f64::min);
        bands.push((top.y0 - 1.0, caption));
    }
    bands
}

/// Every word of every page outside the charts (the tables, the text, the running header and
/// footer) lies within the text area's x range: no table reaches into the side margins.
fn check_inside_text_area(pdf: &Path, charts: &Path, page_size: &str) {
    let (left, right) = text_area(page_size);
    let mut table_words = 0;
    for (p, page) in bbox_pages(pdf).iter().enumerate() {
        let bands = chart_bands(page, charts);
        let outside_charts = page
            .words
            .iter()
            .filter(|w| !bands.iter().any(|&(y0, y1)| w.y0 >= y0 && w.y1 <= y1));
        for w in outside_charts {
            table_words += usize::from(w.text == "Total");
            assert!(
                w.x0 >= left - 0.5 && w.x1 <= right + 0.5,
                "{page_size}: `{}` on page {} at x {:.1}..{:.1}, outside {left:.1}..{right:.1}",
                w.text,
                p + 1,
                w.x0,
                w.x1
            );
        }
    }
    assert!(
        table_words >= 2,
        "{page_size}: the tables' Total rows are checked"
    );
}

/// Runs the workspace at `page_size` with `args` and reads the PDF back: every figure whole,
/// every tier name on one line, no word of 12 letters or fewer split or hyphenated, every word
/// inside the text area.
fn check_page_size(page_size: &str, args: &[&str]) {
    let ws = workspace(page_size);
    let mut all_args = vec!["--quiet"];
    all_args.extend_from_slice(args);
    run_ok(ws.path(), &all_args);
    let out = ws.path().join("out");
    // To look at the pages: PDF_LAYOUT_KEEP=/some/folder cargo test --test pdf_layout
    if let Some(keep) = std::env::var_os("PDF_LAYOUT_KEEP") {
        let name = format!("{page_size}{}", args.join("_"));
        copy_dir(&out, &Path::new(&keep).join(&name));
        copy_dir(ws.path(), &Path::new(&keep).join(&name).join("workspace"));
    }
    check_inside_text_area(&out.join("report.pdf"), &out.join("charts"), page_size);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let pdf = out.join("report.pdf");
    let layout = pdftotext(&pdf, true);
    let raw = pdftotext(&pdf, false);
    assert!(
        md.contains("Cumulative share of revenue") && md.contains("| Gelegenheitskunden Nord |"),
        "the 11-column table is in report.md"
    );

    // Every figure of the Markdown reads back whole: as a word of the PDF text.
    let pdf_words: BTreeSet<&str> = layout
        .split_whitespace()
        .chain(raw.split_whitespace())
        .map(trim)
        .collect();
    let figures = figures(&md);
    assert!(figures.len() > 100, "{} figures", figures.len());
    assert!(figures.iter().any(|f| f.starts_with('$') && f.len() >= 10));
    assert!(figures.contains("+50%"));
    let broken: Vec<&String> = figures
        .iter()
        .filter(|f| !pdf_words.contains(f.as_str()))
        .collect();
    assert!(
        broken.is_empty(),
        "{page_size}: figures not read back whole: {broken:?}"
    );
    // Every occurrence too: a figure broken in one table but whole in another reads back fewer
    // times than the Markdown has it.
    let pdf_counts = figure_counts(&raw);
    let fewer: Vec<(String, usize, usize)> = figure_counts(&md)
        .into_iter()
        .map(|(f, n)| {
            let read = pdf_counts.get(&f).copied().unwrap_or(0);
            (f, n, read)
        })
        .filter(|&(_, n, read)| read < n)
        .collect();
    assert!(
        fewer.is_empty(),
        "{page_size}: figures read back fewer times than written (figure, written, read): {fewer:?}"
    );

    // Every tier name reads back whole, on one line of the PDF and in the tier chart's SVG.
    let svg = std::fs::read_to_string(out.join("charts/tiers.svg")).unwrap();
    let chart_texts = svg_texts(&svg);
    let lines: Vec<String> = layout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    for (name, _) in TIERS {
        assert!(
            chart_texts.iter().any(|t| t == name),
            "{name} not whole in tiers.svg: {chart_texts:?}"
        );
        assert!(
            lines.iter().any(|l| l.contains(name)),
            "{page_size}: {name} not on one line of the PDF"
        );
        assert!(!chart_texts.iter().any(|t| t.contains('…')), "no ellipsis");
    }

    // No word of 12 letters or fewer is split: every word of the PDF that is not a word of the
    // Markdown or the charts is no piece of a short one.
    let mut vocabulary: BTreeSet<String> = words(&md).into_iter().collect();
    for entry in std::fs::read_dir(out.join("charts")).unwrap() {
        let svg = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        vocabulary.extend(svg_texts(&svg).iter().flat_map(|t| words(t)));
    }
    let short: Vec<&String> = vocabulary
        .iter()
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() <= 12)
        .collect();
    let known = |w: &str| {
        vocabulary.contains(w)
            || vocabulary.contains(&w.to_lowercase())
            || vocabulary
                .iter()
                .any(|v| v.to_uppercase() == w || v.to_lowercase() == w.to_lowercase())
    };
    for text in [&layout, &raw] {
        for w in words(text) {
            if known(&w) {
                continue;
            }
            let piece = w.trim_end_matches('-');
            let whole = short
                .iter()
                .find(|s| s.as_str() != piece && (s.starts_with(piece) || s.ends_with(piece)));
            assert!(
                whole.is_none(),
                "{page_size}: `{w}` looks like a piece of `{}`",
                whole.unwrap()
            );
        }
    }
    for piece in [
        "Revenu",
        "Gelegenheitskun",
        "Strategic Platinu",
        "Occasio",
        "Einmalkäu",
    ] {
        assert!(
            !layout.lines().any(|l| l.trim_end().ends_with(piece)),
            "{page_size}: `{piece}` ends a line"
        );
    }
}

/// Every chart that names the tiers (the tier bars, the migration heat map of an earlier date,
/// the quarterly trends) shows every one of the eight long names whole, read back from the PDF
/// between the chart's title and its caption with wrapped lines joined, and abbreviates none.
fn check_chart_names(page_size: &str) {
    let ws = workspace(page_size);
    // An earlier date adds the migration chart: eight tiers as rows and as columns.
    run_ok(ws.path(), &["--quiet", "--compare-as-of", "1997-12-31"]);
    let out = ws.path().join("out");
    let pdf = out.join("report.pdf");
    let pages = bbox_pages(&pdf);
    for chart in ["tiers", "migration", "trends"] {
        let svg = std::fs::read_to_string(out.join(format!("charts/{chart}.svg"))).unwrap();
        let texts = svg_texts(&svg);
        assert!(!texts.iter().any(|t| t.contains('…')), "{chart}: {texts:?}");
        let words = chart_words(&pages, &texts[0]);
        for (name, _) in TIERS {
            assert!(
                reads_whole(&words, name),
                "{page_size}: {name} not whole in the {chart} chart of the PDF"
            );
        }
    }
}

#[test]
fn a4_charts_name_every_tier_whole() {
    check_chart_names("A4");
}

#[test]
fn letter_charts_name_every_tier_whole() {
    check_chart_names("Letter");
}

#[test]
fn a4_reads_back_whole_numbers_and_names() {
    check_page_size("A4", &[]);
}

#[test]
fn letter_reads_back_whole_numbers_and_names() {
    check_page_size("Letter", &[]);
}

/// With an earlier date the report adds the movement matrix: a 10-column table of counts and
/// money under eight long tier names, too wide for the page even in the smallest type.
#[test]
fn a4_movement_matrix_keeps_numbers_and_short_words_whole_inside_the_text_area() {
    check_page_size("A4", &["--compare-as-of", "1997-12-31"]);
}

#[test]
fn letter_movement_matrix_keeps_numbers_and_short_words_whole_inside_the_text_area() {
    check_page_size("Letter", &["--compare-as-of", "1997-12-31"]);
}
