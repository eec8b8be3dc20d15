//! Every reading option of issue 11 ("Reading the formats clients export"), end to end through
//! the binary: the first 4,000 real CDNOW rows rewritten here in each format, and the revenue of
//! customers.csv compared with the sums worked out here from the plain rows.
//!
//! Options covered elsewhere, end to end, and not repeated here:
//! - `number_format` by locale (`de-DE`), currency marks matching (`€`, `EUR`, with and without a
//!   space), trailing minus: tests/formats.rs `german_amounts_equal_the_same_amounts_written_plainly`;
//! - a currency mark that does not match (the error names the row), a US amount under a German
//!   format, a trailing minus the format does not allow:
//!   tests/formats.rs `another_currency_is_an_error_naming_file_line_column_and_value`;
//! - `date_format` as a list with `excel` serial days, and computed columns
//!   (`amount: "=Menge * Einzelpreis"`) exact in cents with half-even rounding of .5-cent ties:
//!   tests/formats.rs `computed_columns_give_the_product_rounded_half_even` and
//!   `computed_column_errors`;
//! - `id_normalise` with `prefix` and `strip_leading_zeros` (counts and examples of the join):
//!   tests/joins.rs `with_the_rule_every_attribute_joins_and_merged_ids_are_stated`.
//!
//! Here: sniffed delimiters, encodings, invalid UTF-8, a spelled-out `number_format` with
//! parentheses, unknown locales, title/footer/totals lines in CSV and XLSX, `sheet` by name and
//! by index (transactions and customer master), globs and lists of files (delimited text and
//! workbooks), `id_normalise` with `trim` and `case: upper`, and numeric attributes under
//! `number_format`.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use support::*;

/// One plain CDNOW row.
struct Tx {
    id: String,
    /// `YYYYMMDD`.
    date: String,
    qty: String,
    /// The amount in cents, parsed here.
    cents: i64,
}

/// Cents of a plain amount (`11.77`, `-3`), parsed here, not by powerbase.
fn cents_of(s: &str) -> i64 {
    let neg = s.starts_with('-');
    let (whole, frac) = s.trim_start_matches('-').split_once('.').unwrap_or((s, ""));
    let c = whole.parse::<i64>().unwrap() * 100 + format!("{frac:0<2}").parse::<i64>().unwrap();
    if neg {
        -c
    } else {
        c
    }
}

/// The first 4,000 CDNOW rows (January 1997 to June 1998).
fn sample() -> Vec<Tx> {
    let raw = std::fs::read_to_string(cdnow_csv()).unwrap();
    raw.lines()
        .skip(1)
        .take(4000)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Tx {
                id: f[0].to_string(),
                date: f[1].to_string(),
                qty: f[2].to_string(),
                cents: cents_of(f[3]),
            }
        })
        .collect()
}

/// Revenue in cents per customer id, summed here; `id` rewrites the id.
fn expected(rows: &[Tx], id: impl Fn(&str) -> String) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for r in rows {
        *out.entry(id(&r.id)).or_default() += r.cents;
    }
    out
}

/// `revenue` of customers.csv in cents, by customer id.
fn revenue(dir: &Path) -> BTreeMap<String, i64> {
    customers(dir)
        .iter()
        .map(|r| (r["customer_id"].clone(), cents_of(&r["revenue"])))
        .collect()
}

/// `cents` written plainly (`11.77`, `-0.05`).
fn plain(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// A policy whose transactions section holds `tx` (indented by 4), plus `rest` (other sections,
/// e.g. `  customers:` lines).
fn policy(tx: &str, rest: &str) -> String {
    format!(
        "client: Test\ncurrency: EUR\nas_of: 1998-06-30\ndata:\n  transactions:\n{tx}{rest}tiers:\n  - name: Top\n    when: revenue >= 100\n  - name: Rest\n"
    )
}

/// The transaction section for `path` with German headers, dates `%Y%m%d`, plus `extra` lines.
fn tx_section(path: &str, extra: &str) -> String {
    format!(
        "    path: {path}\n    columns: {{ customer_id: Kunde, date: Datum, amount: Betrag, quantity: Menge }}\n    date_format: \"%Y%m%d\"\n{extra}"
    )
}

/// The rows as delimited text with delimiter `d`, amounts written by `amount`.
fn delimited(rows: &[Tx], d: &str, amount: impl Fn(i64) -> String) -> String {
    let mut out = ["Kunde", "Datum", "Menge", "Betrag"].join(d) + "\n";
    for r in rows {
        out.push_str(&[r.id.as_str(), &r.date, &r.qty, &amount(r.cents)].join(d));
        out.push('\n');
    }
    out
}

/// A workspace with the policy and the given data files (path, bytes).
fn workspace_with(policy: &str, files: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("powerbase.yaml"), policy).unwrap();
    for (path, bytes) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    dir
}

/// The files of the transactions source in summary.json's `sources`.
fn source_files(dir: &Path) -> Vec<serde_json::Value> {
    let s = summary(dir);
    let sources = s["sources"].as_array().expect("summary.json has `sources`");
    let tx = sources
        .iter()
        .find(|s| s["role"] == "transactions")
        .expect("the transactions source");
    tx["files"].as_array().unwrap().clone()
}

#[test]
fn a_sniffed_delimiter_is_stated_in_the_output_and_summary() {
    let rows = sample();
    let want = expected(&rows, str::to_string);
    for (d, name) in [(",", ","), (";", ";"), ("\t", "tab"), ("|", "|")] {
        let csv = delimited(&rows, d, plain);
        let p = policy(&tx_section("data/sales.csv", ""), "");
        let ws = workspace_with(&p, &[("data/sales.csv", csv.into_bytes())]);
        let out = run_ok(ws.path(), &[]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!(
                "transactions data/sales.csv: delimiter {name} (sniffed)"
            )),
            "{name}: {stdout}"
        );
        assert_eq!(revenue(ws.path()), want, "{name}");
        let files = source_files(ws.path());
        assert_eq!(files[0]["delimiter"], name);
        assert_eq!(files[0]["delimiter_sniffed"], true);
        assert_eq!(files[0]["rows_read"], rows.len());
    }
}

/// `text` in UTF-16 little-endian with a byte-order mark.
fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

#[test]
fn each_encoding_reads_non_ascii_ids_and_headers() {
    let rows = sample();
    let id = |id: &str| format!("Kö-{id}");
    let want = expected(&rows, id);
    let mut text = String::from("Kundenschlüssel;Datum;Menge;Betrag\r\n");
    for r in &rows {
        let line = format!("{};{};{};{}\r\n", id(&r.id), r.date, r.qty, plain(r.cents));
        text.push_str(&line);
    }
    let latin = encoding_rs::WINDOWS_1252.encode(&text).0.into_owned();
    assert!(
        !latin.is_empty() && latin.len() < text.len(),
        "one byte per ö"
    );
    let cases: [(&str, Vec<u8>); 4] = [
        ("utf-8", format!("\u{feff}{text}").into_bytes()),
        ("windows-1252", latin.clone()),
        ("iso-8859-1", latin),
        ("utf-16", utf16le(&text)),
    ];
    for (encoding, bytes) in cases {
        let section = tx_section("data/sales.csv", &format!("    encoding: {encoding}\n"))
            .replace("customer_id: Kunde,", "customer_id: Kundenschlüssel,");
        let ws = workspace_with(&policy(&section, ""), &[("data/sales.csv", bytes)]);
        run_ok(ws.path(), &["--quiet"]);
        assert_eq!(revenue(ws.path()), want, "{encoding}");
        assert_eq!(source_files(ws.path())[0]["encoding"], encoding);
    }
}

#[test]
fn invalid_utf8_is_an_error_naming_the_line_and_suggesting_an_encoding() {
    let rows = sample();
    let mut text = String::from("Kunde;Datum;Menge;Betrag\n");
    for (i, r) in rows.iter().take(100).enumerate() {
        // Row 37 (line 38) carries the only non-ASCII character.
        let id = if i == 36 {
            format!("Kö-{}", r.id)
        } else {
            r.id.clone()
        };
        text.push_str(&format!("{id};{};{};{}\n", r.date, r.qty, plain(r.cents)));
    }
    let bytes = encoding_rs::WINDOWS_1252.encode(&text).0.into_owned();
    let ws = workspace_with(
        &policy(&tx_section("data/sales.csv", ""), ""),
        &[("data/sales.csv", bytes)],
    );
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(err.contains("data/sales.csv"), "{err}");
    assert!(err.contains("line 38"), "{err}");
    assert!(err.contains("windows-1252"), "{err}");
    assert!(err.contains("`encoding: windows-1252`"), "{err}");
    assert!(
        !ws.path().join("out").exists(),
        "a failed run writes nothing"
    );
}

#[test]
fn a_spelled_out_number_format_reads_grouping_and_parentheses() {
    let mut rows = sample();
    // Every 25th row a refund, so parentheses are exercised; every 40th a thousand times larger,
    // so the thousands separator is.
    for r in rows.iter_mut().step_by(25) {
        r.cents = -r.cents;
    }
    for r in rows.iter_mut().step_by(40) {
        r.cents *= 1000;
    }
    let want = expected(&rows, str::to_string);
    let grouped = |cents: i64| {
        let abs = cents.abs();
        let whole = abs / 100;
        let w = if whole >= 1000 {
            format!("{},{:03}", whole / 1000, whole % 1000)
        } else {
            whole.to_string()
        };
        let n = format!("EUR {w}.{:02}", abs % 100);
        if cents < 0 {
            format!("({n})")
        } else {
            n
        }
    };
    assert!(
        rows.iter().any(|r| r.cents.abs() >= 100_000),
        "some grouping"
    );
    let csv = delimited(&rows, ";", grouped);
    let section = tx_section(
        "data/sales.csv",
        "    number_format: { decimal: \".\", thousands: \",\", negative: parentheses }\n",
    );
    let ws = workspace_with(
        &policy(&section, ""),
        &[("data/sales.csv", csv.into_bytes())],
    );
    run_ok(ws.path(), &["--quiet"]);
    assert_eq!(revenue(ws.path()), want);
}

#[test]
fn an_unknown_locale_is_an_error_at_its_line_listing_the_locales() {
    let csv = delimited(&sample()[..50], ";", plain);
    for (tag, hint) in [("de_DE", "did you mean \"de-DE\"?"), ("xx-YY", "fr-CH")] {
        let section = tx_section("data/sales.csv", &format!("    number_format: {tag}\n"));
        let p = policy(&section, "");
        let line = 1 + p.lines().position(|l| l.contains("number_format")).unwrap();
        let ws = workspace_with(&p, &[("data/sales.csv", csv.clone().into_bytes())]);
        for cmd in ["check", "run"] {
            let out = powerbase().arg(cmd).arg(ws.path()).output().unwrap();
            assert!(!out.status.success(), "{cmd} {tag}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(&format!("{tag:?} is not a locale")), "{err}");
            assert!(err.contains(hint), "{err}");
            assert!(err.contains("de-DE, de-LI"), "the list: {err}");
            assert!(err.contains("data/bad-number-format"), "{err}");
            assert!(
                err.contains(&format!("powerbase.yaml:{line}")),
                "line {line}: {err}"
            );
        }
    }
}

/// The CSV rows under two title lines and a blank line, followed by a totals line and a footer.
fn titled_csv(rows: &[Tx]) -> (String, u64) {
    let body = delimited(rows, ";", plain);
    let total: i64 = rows.iter().map(|r| r.cents).sum();
    let text = format!(
        "Umsatzliste 1997/98\nMandant 001;;;\n\n{body}Summe;;;{}\nErstellt mit ERP 4.2\n",
        plain(total)
    );
    // The totals line: 3 title lines, the header, the rows.
    (text, 3 + 1 + rows.len() as u64 + 1)
}

#[test]
fn csv_title_footer_and_totals_lines_are_left_out_and_stated() {
    let rows = sample();
    let want = expected(&rows, str::to_string);
    let (csv, totals_line) = titled_csv(&rows);
    for layout in ["    header_row: 4\n", "    skip_rows: 3\n"] {
        let section = tx_section("data/sales.csv", &format!("{layout}    skip_footer: 1\n"));
        let ws = workspace_with(
            &policy(&section, ""),
            &[("data/sales.csv", csv.clone().into_bytes())],
        );
        let out = run_ok(ws.path(), &[]);
        assert_eq!(revenue(ws.path()), want, "{layout}");
        let f = &source_files(ws.path())[0];
        assert_eq!(f["header_row"], 4);
        assert_eq!(f["skip_rows"], 3);
        assert_eq!(f["footer_lines"], 1);
        assert_eq!(f["totals_line"]["line"], totals_line);
        assert_eq!(f["rows_read"], rows.len());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("totals line {totals_line} left out")),
            "{stdout}"
        );
    }
}

/// A workbook: a first sheet `Info`, then `Umsätze` with two title rows, the header on row 3,
/// the rows (ids as text, dates and amounts as numbers), a `Summe` row and a footer row.
/// Returns the bytes and the sheet row of the totals row. `bad` writes text into one amount.
fn workbook(rows: &[Tx], bad: Option<(usize, &str)>) -> (Vec<u8>, u32) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let info = book.add_worksheet();
    info.set_name("Info").unwrap();
    info.write_string(0, 0, "Export vom 01.07.1998").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("Umsätze").unwrap();
    sheet.write_string(0, 1, "Umsatzliste 1997/98").unwrap();
    for (c, h) in ["Kunde", "Datum", "Menge", "Betrag"].iter().enumerate() {
        sheet.write_string(2, c as u16 + 1, *h).unwrap();
    }
    for (i, r) in rows.iter().enumerate() {
        let row = 3 + i as u32;
        sheet.write_string(row, 1, &r.id).unwrap();
        sheet
            .write_number(row, 2, r.date.parse::<f64>().unwrap())
            .unwrap();
        sheet
            .write_number(row, 3, r.qty.parse::<f64>().unwrap())
            .unwrap();
        match bad {
            Some((k, text)) if k == i => sheet.write_string(row, 4, text).unwrap(),
            _ => sheet.write_number(row, 4, r.cents as f64 / 100.0).unwrap(),
        };
    }
    let totals = 3 + rows.len() as u32;
    let sum: i64 = rows.iter().map(|r| r.cents).sum();
    sheet.write_string(totals, 1, "Summe").unwrap();
    sheet.write_number(totals, 4, sum as f64 / 100.0).unwrap();
    sheet
        .write_string(totals + 1, 1, "Erstellt mit ERP 4.2")
        .unwrap();
    (book.save_to_buffer().unwrap(), totals)
}

#[test]
fn xlsx_title_footer_totals_and_sheet_by_name_or_index() {
    let rows = sample();
    let want = expected(&rows, str::to_string);
    let (xlsx, totals) = workbook(&rows, None);
    for sheet in ["2", "Umsätze", "\"Umsätze\""] {
        let extra = format!("    sheet: {sheet}\n    header_row: 3\n    skip_footer: 1\n");
        let section = tx_section("data/sales.xlsx", &extra);
        let ws = workspace_with(&policy(&section, ""), &[("data/sales.xlsx", xlsx.clone())]);
        run_ok(ws.path(), &["--quiet"]);
        assert_eq!(revenue(ws.path()), want, "sheet: {sheet}");
        let f = &source_files(ws.path())[0];
        assert_eq!(f["sheet"], "Umsätze");
        assert_eq!(f["header_row"], 3);
        assert_eq!(f["skip_rows"], 2);
        assert_eq!(f["footer_lines"], 1);
        assert_eq!(f["totals_line"]["line"], totals + 1, "the sheet's own row");
        assert_eq!(f["rows_read"], rows.len());
    }
    // Without skip_footer the totals row is not the last one, so it is read as a customer: an
    // error at the sheet's own row, never a silent customer "Summe".
    let section = tx_section("data/sales.xlsx", "    sheet: 2\n    skip_rows: 2\n");
    let ws = workspace_with(&policy(&section, ""), &[("data/sales.xlsx", xlsx.clone())]);
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(
        err.contains(&format!(
            "sheet \"Umsätze\", row {}, column \"Datum\"",
            totals + 1
        )),
        "{err}"
    );
    // A sheet position beyond the workbook names the sheets there are.
    let section = tx_section("data/sales.xlsx", "    sheet: 3\n");
    let ws = workspace_with(&policy(&section, ""), &[("data/sales.xlsx", xlsx)]);
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(err.contains("`sheet: 3`"), "{err}");
    assert!(err.contains("1 \"Info\", 2 \"Umsätze\""), "{err}");
    // A bad cell is reported at the sheet's own row.
    let (xlsx, _) = workbook(&rows, Some((10, "zwölf")));
    let section = tx_section(
        "data/sales.xlsx",
        "    sheet: 2\n    header_row: 3\n    skip_footer: 1\n",
    );
    let ws = workspace_with(&policy(&section, ""), &[("data/sales.xlsx", xlsx)]);
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(
        err.contains("sheet \"Umsätze\", row 14, column \"Betrag\""),
        "{err}"
    );
    assert!(err.contains("zwölf"), "{err}");
}

/// The rows split by month into `data/sales-YYYY-MM.csv` files.
fn monthly_files(rows: &[Tx]) -> BTreeMap<String, Vec<&Tx>> {
    let mut files: BTreeMap<String, Vec<&Tx>> = BTreeMap::new();
    for r in rows {
        let name = format!("data/sales-{}-{}.csv", &r.date[..4], &r.date[4..6]);
        files.entry(name).or_default().push(r);
    }
    files
}

fn monthly_csv(rows: &[&Tx]) -> Vec<u8> {
    let mut out = String::from("Kunde;Datum;Menge;Betrag\n");
    for r in rows {
        out.push_str(&format!(
            "{};{};{};{}\n",
            r.id,
            r.date,
            r.qty,
            plain(r.cents)
        ));
    }
    out.into_bytes()
}

#[test]
fn globs_and_lists_read_every_file_in_name_order() {
    let rows = sample();
    let want = expected(&rows, str::to_string);
    let months = monthly_files(&rows);
    assert_eq!(months.len(), 18);
    let files: Vec<(&str, Vec<u8>)> = months
        .iter()
        .map(|(name, rows)| (name.as_str(), monthly_csv(rows)))
        .collect();
    let names: Vec<&str> = months.keys().map(String::as_str).collect();
    for path in [
        "data/sales-*.csv",
        "[data/sales-1998-*.csv, data/sales-1997-*.csv]",
    ] {
        let ws = workspace_with(&policy(&tx_section(path, ""), ""), &files);
        run_ok(ws.path(), &["--quiet"]);
        assert_eq!(revenue(ws.path()), want, "{path}");
        let read = source_files(ws.path());
        let got: Vec<&str> = read.iter().map(|f| f["path"].as_str().unwrap()).collect();
        assert_eq!(got, names, "name order");
        for (f, (_, rows)) in read.iter().zip(&months) {
            assert_eq!(f["rows_read"], rows.len());
        }
    }
    // A bad cell is named by its own file and line.
    let mut bad = files.clone();
    let feb = &months["data/sales-1997-02.csv"];
    let mut text = String::from_utf8(monthly_csv(feb)).unwrap();
    let target = format!(
        "{};{};{};{}\n",
        feb[3].id,
        feb[3].date,
        feb[3].qty,
        plain(feb[3].cents)
    );
    text = text.replacen(
        &target,
        &format!("{};{};{};zwölf\n", feb[3].id, feb[3].date, feb[3].qty),
        1,
    );
    bad[1].1 = text.into_bytes();
    let ws = workspace_with(&policy(&tx_section("data/sales-*.csv", ""), ""), &bad);
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(
        err.contains("data/sales-1997-02.csv, line 5, column \"Betrag\""),
        "{err}"
    );
    // A column missing from one file names that file.
    let mut missing = files.clone();
    let text = String::from_utf8(missing[4].1.clone()).unwrap();
    missing[4].1 = text.replacen("Betrag", "Summe", 1).into_bytes();
    let ws = workspace_with(&policy(&tx_section("data/sales-*.csv", ""), ""), &missing);
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(err.contains(names[4]), "{err}");
    assert!(err.contains("Betrag"), "{err}");
}

#[test]
fn ids_are_joined_after_trim_and_upper_case() {
    let rows = sample();
    let want = expected(&rows, str::to_string);
    // The transactions write ids `K-00001`; the master ` k-1 ` (lower case, spaces, no zeros).
    let tx_rows: Vec<Tx> = rows
        .iter()
        .map(|r| Tx {
            id: format!("K-{}", r.id),
            date: r.date.clone(),
            qty: r.qty.clone(),
            cents: r.cents,
        })
        .collect();
    let csv = delimited(&tx_rows, ";", plain);
    let mut master = String::from("Kundennr;Segment\n");
    let mut segment_of = BTreeMap::new();
    for (i, id) in want.keys().enumerate() {
        let seg = ["Gold", "Silber", "Bronze"][i % 3];
        let stripped = id.trim_start_matches('0');
        master.push_str(&format!(" k-{stripped} ;{seg}\n"));
        segment_of.insert(stripped.to_string(), seg);
    }
    let master_section = "  customers:\n    path: data/kunden.csv\n    columns: { customer_id: Kundennr }\n    id_normalise: { trim: true, case: upper, prefix: \"K-\", strip_leading_zeros: true }\n";
    let ws = workspace_with(
        &policy(&tx_section("data/sales.csv", ""), master_section),
        &[
            ("data/sales.csv", csv.into_bytes()),
            ("data/kunden.csv", master.into_bytes()),
        ],
    );
    run_ok(ws.path(), &["--quiet"]);
    let got: BTreeMap<String, (i64, String)> = customers(ws.path())
        .iter()
        .map(|r| {
            let rev = cents_of(&r["revenue"]);
            (r["customer_id"].clone(), (rev, r["segment"].clone()))
        })
        .collect();
    let want: BTreeMap<String, (i64, String)> = want
        .iter()
        .map(|(id, c)| {
            let key = id.trim_start_matches('0').to_string();
            let seg = segment_of[&key].to_string();
            (key, (*c, seg))
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn numeric_attributes_are_read_under_the_number_format() {
    let rows = sample();
    let want = expected(&rows, str::to_string);
    let csv = delimited(&rows, ";", plain);
    // Umsatzziel: a target per customer in cents, written the German way.
    let target = |i: usize| (i as i64 * 12_345) % 2_000_000;
    let german = |cents: i64| {
        let whole = (cents / 100).to_string();
        let mut g = String::new();
        for (k, c) in whole.chars().enumerate() {
            if k > 0 && (whole.len() - k) % 3 == 0 {
                g.push('.');
            }
            g.push(c);
        }
        format!("{g},{:02}", cents % 100)
    };
    let mut master = String::from("Kundennr;Umsatzziel;Region\n");
    for (i, id) in want.keys().enumerate() {
        master.push_str(&format!("{id};{};Nord\n", german(target(i))));
    }
    let master_section = "  customers:\n    path: data/kunden.csv\n    columns: { customer_id: Kundennr }\n    number_format: de-DE\n";
    let p = policy(&tx_section("data/sales.csv", ""), master_section).replace(
        "tiers:",
        "metrics:\n  ziel_cents: umsatzziel * 100.0\ntiers:",
    );
    let files = [
        ("data/sales.csv", csv.into_bytes()),
        ("data/kunden.csv", master.clone().into_bytes()),
    ];
    let ws = workspace_with(&p, &files);
    run_ok(ws.path(), &["--quiet"]);
    let rows_out = customers(ws.path());
    for (i, (id, _)) in want.iter().enumerate() {
        let r = rows_out.iter().find(|r| &r["customer_id"] == id).unwrap();
        let got: f64 = r["ziel_cents"].parse().unwrap();
        assert_eq!(got.round() as i64, target(i), "customer {id}");
    }
    // One target written the English way: an error naming file, line, column and value.
    let bad_line = 7;
    let mut lines: Vec<String> = master.lines().map(str::to_string).collect();
    let id = lines[bad_line - 1].split(';').next().unwrap().to_string();
    lines[bad_line - 1] = format!("{id};12,500.00;Nord");
    let bad = lines.join("\n") + "\n";
    let ws = workspace_with(
        &p,
        &[
            ("data/sales.csv", files[0].1.clone()),
            ("data/kunden.csv", bad.into_bytes()),
        ],
    );
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(
        err.contains(&format!(
            "data/kunden.csv, line {bad_line}, column \"Umsatzziel\""
        )),
        "{err}"
    );
    assert!(
        err.contains("12,500.00") && err.contains("1.234.567,89"),
        "{err}"
    );
}

#[test]
fn a_customer_master_workbook_by_sheet_index_with_title_and_totals_rows() {
    let rows = sample();
    let want = expected(&rows, str::to_string);
    let csv = delimited(&rows, ";", plain);
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().set_name("Deckblatt").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("Kunden").unwrap();
    sheet.write_string(0, 0, "Kundenstamm").unwrap();
    for (c, h) in ["Kundennr", "Umsatzziel", "Region"].iter().enumerate() {
        sheet.write_string(1, c as u16, *h).unwrap();
    }
    // Targets as German text (whole euros, a thousands separator from 1.000 on).
    let target = |i: usize| (i as i64 * 37) % 5000;
    let german = |euros: i64| match euros {
        e if e >= 1000 => format!("{}.{:03},00", e / 1000, e % 1000),
        e => format!("{e},00"),
    };
    for (i, id) in want.keys().enumerate() {
        let row = 2 + i as u32;
        sheet.write_string(row, 0, id).unwrap();
        sheet.write_string(row, 1, german(target(i))).unwrap();
        sheet.write_string(row, 2, "Nord").unwrap();
    }
    let totals = 2 + want.len() as u32;
    sheet.write_string(totals, 0, "Gesamt:").unwrap();
    let xlsx = book.save_to_buffer().unwrap();
    let master = "  customers:\n    path: data/kunden.xlsx\n    sheet: 2\n    skip_rows: 1\n    columns: { customer_id: Kundennr }\n    number_format: de-DE\n";
    let p = policy(&tx_section("data/sales.csv", ""), master)
        .replace("tiers:", "metrics:\n  ziel: umsatzziel + 0.0\ntiers:");
    let ws = workspace_with(
        &p,
        &[
            ("data/sales.csv", csv.into_bytes()),
            ("data/kunden.xlsx", xlsx),
        ],
    );
    run_ok(ws.path(), &["--quiet"]);
    let out = customers(ws.path());
    assert_eq!(out.len(), want.len(), "the totals row is not a customer");
    for (i, id) in want.keys().enumerate() {
        let r = out.iter().find(|r| &r["customer_id"] == id).unwrap();
        assert_eq!(r["ziel"].parse::<f64>().unwrap(), target(i) as f64, "{id}");
    }
    let s = summary(ws.path());
    let master = s["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["role"] == "customers")
        .unwrap()
        .clone();
    let f = &master["files"][0];
    assert_eq!(f["sheet"], "Kunden");
    assert_eq!(f["header_row"], 2);
    assert_eq!(f["totals_line"]["line"], totals + 1);
    assert_eq!(f["rows_read"], want.len());
}

#[test]
fn a_glob_of_workbooks_is_read_as_one_source() {
    let rows = sample();
    let want = expected(&rows, str::to_string);
    let (first, second) = rows.split_at(1700);
    let files = [
        ("data/umsatz-1.xlsx", workbook(first, None).0),
        ("data/umsatz-2.xlsx", workbook(second, None).0),
    ];
    let section = tx_section(
        "data/umsatz-*.xlsx",
        "    sheet: Umsätze\n    header_row: 3\n    skip_footer: 1\n",
    );
    let ws = workspace_with(&policy(&section, ""), &files);
    run_ok(ws.path(), &["--quiet"]);
    assert_eq!(revenue(ws.path()), want);
    let read = source_files(ws.path());
    assert_eq!(read.len(), 2);
    assert_eq!(read[0]["rows_read"], first.len());
    assert_eq!(read[1]["rows_read"], second.len());
}
