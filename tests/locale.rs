//! `report.locale`: the CDNOW example run in de-DE, fr-FR and en-US. The expected figures are
//! worked out here from the raw rows and written by hand in each locale's style (CLDR's: `.`
//! grouping and `1.234 $` in de-DE, a narrow no-break space grouping in fr-FR); the outputs for
//! scripts (customers.csv, summary.json) must not change with the locale.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use support::*;

/// U+00A0, which CLDR puts between an amount and its currency symbol or percent sign in de and fr.
const NBSP: char = '\u{a0}';
/// U+202F, CLDR's digit grouping in fr.
const NNBSP: char = '\u{202f}';

/// The CDNOW example copied to a temporary folder, with `report.locale: LOCALE` when given.
fn cdnow(locale: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("cdnow");
    copy_dir(&repo().join("examples/cdnow"), &ws);
    if let Some(tag) = locale {
        set_locale(&ws, tag);
    }
    (tmp, ws)
}

/// Writes `locale: TAG` as the first key of the `report:` section; returns its line (1-based).
fn set_locale(ws: &Path, tag: &str) -> usize {
    let path = ws.join("powerbase.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text
        .find("\nreport:\n")
        .expect("the example has a report section")
        + 9;
    let line = text[..at].lines().count() + 1;
    std::fs::write(
        &path,
        format!("{}  locale: {tag}\n{}", &text[..at], &text[at..]),
    )
    .unwrap();
    line
}

/// Runs the workspace with a fixed date of issue and no provenance; returns standard output.
fn run(ws: &Path) -> String {
    let out = run_ok(ws, &["--no-provenance", "--issued", "1998-07-15"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("glyph") && !stderr.contains("ICU4X"),
        "no missing glyphs, no ICU4X noise: {stderr}"
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The text of `out/report.pdf`, through poppler's pdftotext.
fn pdf_text(ws: &Path) -> String {
    let text = std::process::Command::new("pdftotext")
        .arg(ws.join("out/report.pdf"))
        .arg("-")
        .output()
        .expect("poppler-utils is installed");
    String::from_utf8(text.stdout).unwrap()
}

/// Total revenue of the raw CDNOW rows in whole dollars, rounded half up, and the number of
/// customers: read here, not by powerbase.
fn raw_totals() -> (i64, usize) {
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    let mut cents_total = 0;
    let mut ids = BTreeSet::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        cents_total += cents(f[3]);
        ids.insert(f[0].to_string());
    }
    assert!(cents_total > 0);
    ((cents_total + 50) / 100, ids.len())
}

#[test]
fn german_figures_and_dates_in_the_report_the_pdf_and_the_terminal() {
    let (_tmp, ws) = cdnow(Some("de-DE"));
    let stdout = run(&ws);
    let (dollars, customers) = raw_totals();
    // 2.500.316 $: `.` groups, the symbol after the amount, a no-break space between.
    let revenue = format!("{}{NBSP}$", grouped(dollars, '.'));
    let count = grouped(customers, '.');
    let report = report(&ws);
    assert!(report.contains(&format!("**{revenue}**")), "total revenue");
    assert!(report.contains(&format!("**{count}**")), "total customers");
    assert!(report.contains(&format!("**100{NBSP}%**")), "percent sign");
    assert!(report.contains("30. Juni 1998"), "a German date");
    assert!(!report.contains(&format!("${}", thousands(dollars))));

    // The PDF shows the same figures (its text may turn the no-break space into a space) and
    // dates the title page in German.
    let pdf = pdf_text(&ws).replace(NBSP, " ");
    assert!(
        pdf.contains(&revenue.replace(NBSP, " ")),
        "revenue in the PDF"
    );
    assert!(pdf.contains("30. Juni 1998"), "as-of date in the PDF");
    assert!(pdf.contains("15. Juli 1998"), "date of issue in the PDF");
    assert!(!pdf.contains('\u{fffd}'), "every character printed");

    // The terminal summary writes them as the report does.
    assert!(stdout.contains(&format!(
        "{count} customers as of 30. Juni 1998, {revenue} revenue"
    )));
}

#[test]
fn french_groups_digits_with_a_narrow_no_break_space() {
    let (_tmp, ws) = cdnow(Some("fr-FR"));
    run(&ws);
    let (dollars, customers) = raw_totals();
    let report = report(&ws);
    // CLDR fr: `2 500 316 $US`, U+202F between groups, U+00A0 before the symbol.
    let revenue = format!("{}{NBSP}$US", grouped(dollars, NNBSP));
    assert!(report.contains(&format!("**{revenue}**")), "total revenue");
    assert!(report.contains(&format!("**{}**", grouped(customers, NNBSP))));
    assert!(report.contains("30 juin 1998"));
    let pdf = pdf_text(&ws);
    assert!(!pdf.contains('\u{fffd}'), "the font has U+202F");
    let digits: String = pdf
        .chars()
        .map(|c| if c == NNBSP || c == NBSP { ' ' } else { c })
        .collect();
    assert!(
        digits.contains(&grouped(dollars, ' ')),
        "revenue in the PDF"
    );
}

#[test]
fn outputs_for_scripts_are_the_same_in_every_locale() {
    let (_a, us) = cdnow(Some("en-US"));
    let (_b, de) = cdnow(Some("de-DE"));
    run(&us);
    run(&de);
    for file in ["out/customers.csv", "out/summary.json"] {
        let (x, y) = (
            std::fs::read(us.join(file)).unwrap(),
            std::fs::read(de.join(file)).unwrap(),
        );
        assert!(x == y, "{file} differs between en-US and de-DE");
    }
    // Named explicitly, en-US writes dates in full; its figures are those of the default.
    let report = report(&us);
    assert!(report.contains("June 30, 1998"));
    assert!(report.contains(&format!("**${}**", thousands(raw_totals().0))));
}

#[test]
fn an_unknown_locale_is_a_check_error_at_its_line_with_the_nearest() {
    let (_tmp, ws) = cdnow(None);
    let line = set_locale(&ws, "de_DE");
    let err = check_err(&ws);
    assert!(err.contains("report/bad-locale"), "{err}");
    assert!(err.contains(&format!("powerbase.yaml:{line}:")), "{err}");
    assert!(err.contains("did you mean `de-DE`?"), "{err}");
}
