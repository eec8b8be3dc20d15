//! `customers.xlsx` (issue #10, "Slides and Excel"): read back with calamine and the zip crate,
//! and checked against `customers.csv` and `summary.json` of the same run and against figures
//! worked out here from `customers.csv`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use calamine::{Data, Range, Reader, Xlsx};
use support::*;

/// The sheets of `out/customers.xlsx`, by name, in workbook order.
fn sheets(ws: &Path) -> Vec<(String, Range<Data>)> {
    let mut book: Xlsx<_> = calamine::open_workbook(ws.join("out/customers.xlsx")).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            (name, range)
        })
        .collect()
}

/// A part of the workbook's zip container as text.
fn part(ws: &Path, name: &str) -> String {
    let file = std::fs::File::open(ws.join("out/customers.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The rows of `out/customers.csv`: header, then the records as written.
fn csv_rows(ws: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(ws.join("out/customers.csv")).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// An Excel serial day as an ISO date, worked out here (days after 1900-03-01: serial 25569 is
/// 1970-01-01).
fn serial_date(serial: f64) -> String {
    assert_eq!(serial.fract(), 0.0, "a date without a time of day");
    assert!(serial >= 61.0, "after Excel's 1900 leap-year quirk");
    let day = jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().days(serial as i64 - 25_569))
        .unwrap();
    day.to_string()
}

/// Whether a cell holds what `customers.csv` writes as `text`: numbers as numbers, dates as
/// dates, flags as booleans, text as the same text, nothing for an empty field.
fn same(cell: &Data, text: &str) -> bool {
    match cell {
        Data::Empty => text.is_empty(),
        Data::String(s) => s == text,
        Data::Float(f) => text.parse::<f64>() == Ok(*f),
        Data::Int(i) => text.parse::<i64>() == Ok(*i),
        Data::Bool(b) => text == b.to_string(),
        Data::DateTime(dt) => dt.is_datetime() && serial_date(dt.as_f64()) == text,
        _ => false,
    }
}

/// Cents of an amount as `customers.csv` writes it (`-12.05`), parsed here.
fn cents(text: &str) -> i64 {
    let (whole, frac) = text.split_once('.').unwrap();
    let c =
        whole.trim_start_matches('-').parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap();
    if text.starts_with('-') {
        -c
    } else {
        c
    }
}

/// A money cell in cents.
fn cell_cents(cell: &Data) -> i64 {
    match cell {
        Data::Float(f) => (f * 100.0).round() as i64,
        other => panic!("expected a money cell, found {other:?}"),
    }
}

fn number(cell: &Data) -> f64 {
    match cell {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("expected a number, found {other:?}"),
    }
}

fn text(cell: &Data) -> &str {
    match cell {
        Data::String(s) => s,
        Data::Empty => "",
        other => panic!("expected text, found {other:?}"),
    }
}

/// The column letters of a 1-based column number (1 -> A, 27 -> AA).
fn column_letters(mut n: usize) -> String {
    let mut out = Vec::new();
    while n > 0 {
        out.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

/// Runs the CDNOW example in a temporary copy.
fn cdnow() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("cdnow");
    copy_dir(&repo().join("examples/cdnow"), &ws);
    run_ok(&ws, &["--quiet", "--issued", "2026-12-03"]);
    (tmp, ws)
}

#[test]
fn cdnow_workbook_holds_the_csv_the_tiers_and_the_call_lists() {
    let (_tmp, ws) = cdnow();
    let sheets = sheets(&ws);
    let names: Vec<&str> = sheets.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, ["customers", "tiers", "findings"]);
    let (header, rows) = csv_rows(&ws);
    customers_sheet_is_the_csv(&sheets[0].1, &header, &rows);
    tiers_sheet_sums_the_csv(&sheets[1].1, &header, &rows);
    findings_name_the_flagged_customers(&sheets[2].1, &header, &rows, &summary(&ws));
    header_frozen_and_filtered(&ws, header.len(), rows.len());
}

fn customers_sheet_is_the_csv(sheet: &Range<Data>, header: &[String], rows: &[Vec<String>]) {
    let cells: Vec<&[Data]> = sheet.rows().collect();
    let got: Vec<&str> = cells[0].iter().map(text).collect();
    assert_eq!(got, header, "the header of customers.csv");
    assert_eq!(cells.len(), rows.len() + 1, "one row per customer");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (r, row) in rows.iter().enumerate() {
        let sheet_row = cells[r + 1];
        assert_eq!(sheet_row.len(), header.len());
        for (c, field) in row.iter().enumerate() {
            assert!(
                same(&sheet_row[c], field),
                "row {} column {}: the sheet has {:?}, customers.csv `{field}`",
                r + 2,
                header[c],
                sheet_row[c]
            );
        }
        // Typed as the column is: ids and other text stay text (`00001`), money and counts are
        // numbers, dates are dates, checks are flags.
        assert!(matches!(sheet_row[col("customer_id")], Data::String(_)));
        assert!(matches!(sheet_row[col("rfm_segment")], Data::String(_)));
        assert!(matches!(sheet_row[col("revenue")], Data::Float(_)));
        assert!(matches!(sheet_row[col("orders")], Data::Float(_)));
        assert!(matches!(
            sheet_row[col("first_purchase")],
            Data::DateTime(_)
        ));
        assert!(matches!(
            sheet_row[col("check_one_and_done")],
            Data::Bool(_)
        ));
    }
    assert_eq!(text(&cells[1][0]), "00001", "leading zeros survive");
}

fn tiers_sheet_sums_the_csv(sheet: &Range<Data>, header: &[String], rows: &[Vec<String>]) {
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    // Per tier, in order of first appearance is not policy order: keep a map, compare by name.
    let mut sums: BTreeMap<&str, (usize, i64, i64, i64)> = BTreeMap::new();
    for row in rows {
        let s = sums.entry(row[col("tier")].as_str()).or_default();
        s.0 += 1;
        s.1 += cents(&row[col("revenue")]);
        s.2 += row[col("orders")].parse::<i64>().unwrap();
        s.3 += cents(&row[col("revenue_12m")]);
    }
    let total = sums.values().fold((0, 0, 0, 0), |a, s| {
        (a.0 + s.0, a.1 + s.1, a.2 + s.2, a.3 + s.3)
    });
    let cells: Vec<&[Data]> = sheet.rows().collect();
    let heads: Vec<&str> = cells[0].iter().map(text).collect();
    assert_eq!(
        heads,
        [
            "Tier",
            "Customers",
            "Share of customers",
            "Revenue",
            "Share of revenue",
            "Revenue per customer",
            "Orders",
            "Revenue, last 12 months"
        ],
        "no cost column in CDNOW: no margin columns"
    );
    assert_eq!(
        cells.len(),
        1 + sums.len() + 1,
        "a row per tier and the total"
    );
    for row in &cells[1..] {
        let name = text(&row[0]);
        let (customers, revenue, orders, revenue_12m) =
            if name == "Total" { total } else { sums[name] };
        assert_eq!(number(&row[1]) as usize, customers, "{name}: customers");
        let share = customers as f64 / total.0 as f64;
        assert!(
            (number(&row[2]) - share).abs() < 1e-12,
            "{name}: share of customers"
        );
        assert_eq!(cell_cents(&row[3]), revenue, "{name}: revenue");
        let share = revenue as f64 / total.1 as f64;
        assert!(
            (number(&row[4]) - share).abs() < 1e-12,
            "{name}: share of revenue"
        );
        let avg = revenue as f64 / 100.0 / customers as f64;
        assert!(
            (number(&row[5]) - avg).abs() < 1e-9,
            "{name}: revenue per customer"
        );
        assert_eq!(number(&row[6]) as i64, orders, "{name}: orders");
        assert_eq!(
            cell_cents(&row[7]),
            revenue_12m,
            "{name}: revenue, last 12 months"
        );
    }
}

/// A finding of the sheet: its row and its call list (ids and rows), if it has one.
struct SheetFinding<'a> {
    name: &'a str,
    row: &'a [Data],
    list: Option<(Vec<&'a str>, Vec<&'a [Data]>)>,
}

fn sheet_findings(sheet: &Range<Data>) -> Vec<SheetFinding<'_>> {
    let cells: Vec<&[Data]> = sheet.rows().collect();
    let mut out = Vec::new();
    let mut r = 1;
    while r < cells.len() {
        let row = cells[r];
        assert!(
            ["info", "warning", "error"].contains(&text(&row[1])),
            "row {}: a finding",
            r + 1
        );
        let mut finding = SheetFinding {
            name: text(&row[0]),
            row,
            list: None,
        };
        r += 1;
        if text(&cells[r][0]) == "customer_id" {
            let heads = cells[r]
                .iter()
                .map(text)
                .take_while(|h| !h.is_empty())
                .collect();
            r += 1;
            let start = r;
            while r < cells.len() && !text(&cells[r][0]).is_empty() {
                r += 1;
            }
            finding.list = Some((heads, cells[start..r].to_vec()));
        } else {
            assert!(text(&cells[r][0]).starts_with("No call list: "));
            r += 1;
        }
        out.push(finding);
        // The blank row between findings.
        r += 1;
    }
    out
}

fn findings_name_the_flagged_customers(
    sheet: &Range<Data>,
    header: &[String],
    rows: &[Vec<String>],
    summary: &serde_json::Value,
) {
    let col = |name: &str| header.iter().position(|h| h == name);
    let found = sheet_findings(sheet);
    let expected = summary["findings"].as_array().unwrap();
    assert_eq!(
        found.iter().map(|f| f.name).collect::<Vec<_>>(),
        expected
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect::<Vec<_>>()
    );
    let mut lists = 0;
    for (f, e) in found.iter().zip(expected) {
        assert_eq!(text(&f.row[1]), e["severity"].as_str().unwrap());
        assert_eq!(text(&f.row[2]), e["message"].as_str().unwrap());
        assert_eq!(number(&f.row[3]) as u64, e["customers"].as_u64().unwrap());
        assert_eq!(
            cell_cents(&f.row[4]),
            cents(&e["revenue"].to_string()),
            "{}: revenue at stake",
            f.name
        );
        let Some(check) = col(&format!("check_{}", f.name)) else {
            assert!(f.list.is_none(), "{}: not a check, no call list", f.name);
            continue;
        };
        lists += 1;
        let (heads, list) = f.list.as_ref().expect("a check that fired has a call list");
        assert_eq!(heads[..3], ["customer_id", "tier", "revenue"]);
        let flagged: BTreeMap<&str, &Vec<String>> = rows
            .iter()
            .filter(|r| r[check] == "true")
            .map(|r| (r[0].as_str(), r))
            .collect();
        let ids: BTreeSet<&str> = list.iter().map(|r| text(&r[0])).collect();
        assert_eq!(ids.len(), list.len(), "{}: each customer once", f.name);
        assert_eq!(
            ids,
            flagged.keys().copied().collect(),
            "{}: the customers check_{} flags in customers.csv",
            f.name,
            f.name
        );
        assert_eq!(list.len() as u64, e["customers"].as_u64().unwrap());
        // Largest first, as summary.json names the largest.
        assert_eq!(
            text(&list[0][0]),
            e["largest"]["customer_id"].as_str().unwrap()
        );
        let revenue: Vec<i64> = list.iter().map(|r| cell_cents(&r[2])).collect();
        assert!(
            revenue.windows(2).all(|w| w[0] >= w[1]),
            "{}: by revenue",
            f.name
        );
        assert_eq!(
            revenue.iter().sum::<i64>(),
            cents(&e["revenue"].to_string()),
            "{}: the list's revenue is the revenue at stake",
            f.name
        );
        // Every figure of the list is the customer's value in customers.csv.
        for r in list {
            let csv = flagged[text(&r[0])];
            for (c, head) in heads.iter().enumerate().skip(1) {
                let field = &csv[col(head).unwrap()];
                assert!(same(&r[c], field), "{}: {head} of {}", f.name, csv[0]);
            }
        }
        if f.name == "lapsed_first_class_spenders" {
            assert_eq!(heads[3..], ["recency_days"], "the figures its rule reads");
        }
    }
    assert!(lists >= 2, "CDNOW's checks fire");
}

fn header_frozen_and_filtered(ws: &Path, columns: usize, customers: usize) {
    let sheet = part(ws, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(
            r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
        ),
        "the header row is frozen"
    );
    let range = format!("A1:{}{}", column_letters(columns), customers + 1);
    assert!(
        sheet.contains(&format!(r#"<autoFilter ref="{range}"/>"#)),
        "an autofilter over {range}"
    );
    let styles = part(ws, "xl/styles.xml");
    assert!(
        styles.contains(r##"formatCode="[$$]#,##0.00""##),
        "money in dollars"
    );
    assert!(
        styles.contains(r#"formatCode="yyyy-mm-dd""#),
        "dates as dates"
    );
    let core = part(ws, "docProps/core.xml");
    assert!(
        core.contains(
            "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2026-12-03T00:00:00Z</dcterms:created>"
        ),
        "created on the date of issue, as report.pdf: {core}"
    );
    assert!(core.contains("<dc:creator>powerbase example workspace</dc:creator>"));
}

const POLICY: &str = r#"client: Test
currency: EUR
as_of: 2024-12-31
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: id, date: date, amount: amount }
tiers:
  - name: Top
    when: revenue >= 100
  - name: Rest
checks:
  - name: big
    when: revenue >= 100
    message: Big buyers.
"#;

const ROWS: &str = "id,date,amount\n\
00042,2024-01-05,80.50\n\
00042,2024-03-01,40.00\n\
7,2024-02-01,12.34\n\
0100,2024-06-30,250.00\n\
0100,2024-07-01,-0.50\n";

#[test]
fn same_inputs_same_bytes_with_ids_kept_as_written() {
    // Two workspaces in different folders, run at different times on the same date of issue.
    let ws = workspace(POLICY, Some(ROWS), &[]);
    let other = workspace(POLICY, Some(ROWS), &[]);
    let issued = ["--quiet", "--issued", "2026-12-03"];
    run_ok(ws.path(), &issued);
    let first = std::fs::read(ws.path().join("out/customers.xlsx")).unwrap();
    run_ok(other.path(), &issued);
    let second = std::fs::read(other.path().join("out/customers.xlsx")).unwrap();
    assert!(first == second, "the same inputs give the same bytes");
    // The date of issue is the one thing outside the data that reaches the file.
    run_ok(other.path(), &["--quiet", "--issued", "2026-12-04"]);
    let later = std::fs::read(other.path().join("out/customers.xlsx")).unwrap();
    assert!(
        first != later,
        "another date of issue, another creation date"
    );

    let sheets = sheets(ws.path());
    let rows: Vec<&[Data]> = sheets[0].1.rows().collect();
    let ids: Vec<&str> = rows[1..].iter().map(|r| text(&r[0])).collect();
    assert_eq!(ids, ["00042", "0100", "7"]);
    let (header, csv) = csv_rows(ws.path());
    let revenue = header.iter().position(|h| h == "revenue").unwrap();
    for (row, fields) in rows[1..].iter().zip(&csv) {
        assert_eq!(cell_cents(&row[revenue]), cents(&fields[revenue]));
    }
    // 80.50 + 40.00 and 250.00 - 0.50 are at least 100: both are big buyers.
    let found = sheet_findings(&sheets[2].1);
    let (_, list) = found[0].list.as_ref().unwrap();
    let listed: Vec<&str> = list.iter().map(|r| text(&r[0])).collect();
    assert_eq!(listed, ["0100", "00042"], "largest revenue first");
    assert_eq!(cell_cents(&list[0][2]), 24_950);
    let styles = part(ws.path(), "xl/styles.xml");
    assert!(
        styles.contains(r#"formatCode="[$€]#,##0.00""#),
        "money in euros"
    );
}

/// [`POLICY`] with `report.formats` set to `formats` (YAML).
fn with_formats(formats: &str) -> String {
    format!("{POLICY}report:\n  formats: {formats}\n")
}

#[test]
fn report_formats_choose_the_optional_files() {
    let always = ["charts", "customers.csv", "report.md", "summary.json"];
    let written = |formats: Option<&str>| {
        let policy = formats.map_or(POLICY.to_string(), with_formats);
        let ws = workspace(&policy, Some(ROWS), &[]);
        run_ok(ws.path(), &["--quiet"]);
        let mut names = entries(&ws.path().join("out"));
        names.retain(|n| !always.contains(&n.as_str()) && n != ".powerbase-output");
        names
    };
    assert_eq!(
        written(None),
        ["customers.xlsx", "report.pdf"],
        "both by default"
    );
    assert_eq!(written(Some("[pdf]")), ["report.pdf"]);
    assert_eq!(written(Some("[xlsx]")), ["customers.xlsx"]);
    assert_eq!(
        written(Some("[XLSX, pdf, xlsx]")),
        ["customers.xlsx", "report.pdf"]
    );
    assert!(
        written(Some("[]")).is_empty(),
        "only the files always written"
    );
}

#[test]
fn a_format_left_out_leaves_no_old_file_behind() {
    let ws = workspace(POLICY, Some(ROWS), &[]);
    run_ok(ws.path(), &["--quiet"]);
    let out = ws.path().join("out");
    assert!(out.join("customers.xlsx").is_file());
    // The folder is powerbase's (it carries the marker) and is replaced as a whole: the workbook
    // of the earlier run goes with it, so no stale file is mistaken for this run's.
    std::fs::write(ws.path().join("powerbase.yaml"), with_formats("[pdf]")).unwrap();
    run_ok(ws.path(), &["--quiet"]);
    assert_eq!(
        entries(&out),
        [
            ".powerbase-output",
            "charts",
            "customers.csv",
            "report.md",
            "report.pdf",
            "summary.json"
        ]
    );
    // A folder holding a workbook powerbase did not write (no marker) is refused, and the
    // workbook is left as it was.
    let elsewhere = tempfile::tempdir().unwrap();
    let foreign = elsewhere.path().join("deliverables");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("customers.xlsx"), b"the client's own").unwrap();
    let err = run_err(
        ws.path(),
        &["--quiet", "--out", &foreign.display().to_string()],
    );
    assert!(err.contains("output/not-ours"), "{err}");
    assert_eq!(
        std::fs::read(foreign.join("customers.xlsx")).unwrap(),
        b"the client's own"
    );
}

/// `check --format json` of `dir`: the problems.
fn problems(dir: &Path) -> Vec<serde_json::Value> {
    let out = command("check", dir, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "check fails");
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    value.as_array().unwrap().clone()
}

#[test]
fn an_unknown_format_or_slides_fails_check_at_its_line() {
    let policy = format!("{POLICY}report:\n  formats:\n    - pdf\n    - xls\n    - slides\n");
    let ws = workspace(&policy, Some(ROWS), &[]);
    let list = problems(ws.path());
    let codes: Vec<&str> = list.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        ["report/unknown-format", "report/slides-not-available"]
    );
    let (unknown, slides) = (&list[0], &list[1]);
    // After POLICY's lines: `report:`, `formats:`, `- pdf`, then `- xls`.
    let xls_line = POLICY.lines().count() as u64 + 4;
    assert_eq!(unknown["line"].as_u64(), Some(xls_line));
    assert_eq!(
        unknown["column"].as_u64(),
        Some(7),
        "at the name, after `    - `"
    );
    assert_eq!(unknown["message"], "report.formats: unknown format `xls`");
    let help = unknown["help"].as_str().unwrap();
    assert!(help.starts_with("did you mean `xlsx`?"), "{help}");
    assert!(
        help.contains("`pdf` (report.pdf), `xlsx` (customers.xlsx)"),
        "names the known formats: {help}"
    );
    assert_eq!(slides["line"].as_u64(), Some(xls_line + 1));
    assert!(
        slides["message"]
            .as_str()
            .unwrap()
            .contains("not available yet"),
        "{slides}"
    );
    // `run` refuses the policy as `check` does, before writing anything.
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(err.contains("report/unknown-format"), "{err}");
    assert!(!ws.path().join("out").exists());
}
