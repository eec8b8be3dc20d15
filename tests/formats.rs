//! Cells as European exports write them (issue "Real client exports"): `number_format` with a
//! decimal comma, thousands separators, currency marks and trailing minus; `date_format` lists
//! and Excel serial days; computed columns. Every figure is checked against sums worked out in
//! the test from the raw rows.

mod support;

use std::collections::BTreeMap;

use support::*;

/// `cents` written the German way: `1.234,50`, `-0,07`.
fn german(cents: i64) -> String {
    let abs = cents.unsigned_abs();
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{},{:02}", grouped(abs / 100, '.'), abs % 100)
}

/// `revenue` of customers.csv in cents, by customer id.
fn revenue(dir: &std::path::Path) -> BTreeMap<String, i64> {
    customers(dir)
        .iter()
        .map(|r| (r["customer_id"].clone(), cents(&r["revenue"])))
        .collect()
}

const GERMAN_POLICY: &str = r#"client: Test
currency: EUR
as_of: 1998-06-30
data:
  transactions:
    path: data/transactions.csv
    delimiter: ";"
    columns: { customer_id: Kundennr, date: Datum, amount: Betrag, quantity: Menge }
    date_format: "%d.%m.%Y"
    number_format: { locale: de-DE, negative: trailing_minus }
tiers:
  - name: Top
    when: revenue >= 100
  - name: Rest
"#;

#[test]
fn german_amounts_equal_the_same_amounts_written_plainly() {
    let raw = std::fs::read_to_string(cdnow_csv()).unwrap();
    let mut german_csv = String::from("Kundennr;Datum;Menge;Betrag\r\n");
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    let mut big = 0;
    for (i, line) in raw.lines().skip(1).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let (id, date, qty, amount) = (f[0], f[1], f[2], f[3]);
        let cents = cents(amount);
        *expected.entry(id.to_string()).or_default() += cents;
        big += usize::from(cents.abs() >= 100_000);
        let day = format!("{}.{}.{}", &date[6..8], &date[4..6], &date[..4]);
        // Negatives with a trailing minus; the currency written four ways.
        let text = if cents < 0 {
            format!("{}-", german(-cents))
        } else {
            german(cents)
        };
        let written = match i % 4 {
            0 => format!("{text} €"),
            1 => format!("EUR {text}"),
            2 => format!("{text}€"),
            _ => text,
        };
        german_csv.push_str(&format!("{id};{day};{qty},0;{written}\r\n"));
    }
    assert!(big > 0, "some amounts need a thousands separator");
    let ws = workspace(GERMAN_POLICY, Some(&german_csv), &[]);
    run_ok(ws.path(), &["--quiet"]);
    let got = revenue(ws.path());
    assert_eq!(got.len(), expected.len());
    assert_eq!(got, expected);
    assert_eq!(
        summary(ws.path())["transactions"]["read"],
        raw.lines().count() - 1
    );
}

#[test]
fn another_currency_is_an_error_naming_file_line_column_and_value() {
    let csv = "Kundennr;Datum;Menge;Betrag\n\
               a;01.02.1998;1;12,50 €\n\
               b;02.02.1998;1;12,50 $\n";
    let ws = workspace(GERMAN_POLICY, Some(csv), &[]);
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(
        err.contains(
            "data/transactions.csv, line 3, column \"Betrag\": expected an amount written in \
             the source's number_format (at most 2 decimals), found \"12,50 $\" (the amount is \
             marked with a currency other than the workspace `currency:`)"
        ),
        "{err}"
    );
    assert!(
        !ws.path().join("out").exists(),
        "a failed run writes nothing"
    );
    // A US-style amount under a German format is not misread as 1250 or 12.5.
    let csv = "Kundennr;Datum;Menge;Betrag\na;01.02.1998;1;12.50\n";
    let ws = workspace(GERMAN_POLICY, Some(csv), &[]);
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(err.contains("line 2, column \"Betrag\""), "{err}");
    assert!(err.contains("exactly 3 digits"), "{err}");
    // A trailing minus where the format does not say so.
    let policy = GERMAN_POLICY.replace(", negative: trailing_minus", "");
    let csv = "Kundennr;Datum;Menge;Betrag\na;01.02.1998;1;12,50-\n";
    let ws = workspace(&policy, Some(csv), &[]);
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(err.contains("negative: trailing_minus"), "{err}");
}

const COMPUTED_POLICY: &str = r#"client: Test
currency: EUR
as_of: 2024-12-31
data:
  transactions:
    path: data/transactions.csv
    delimiter: ";"
    columns:
      customer_id: Kunde
      date: Datum
      amount: "=Menge * Einzelpreis"
      cost: "=Menge * [Einstandspreis netto] + 0.5"
      quantity: Menge
    date_format: ["%d.%m.%Y", "%Y-%m-%d", excel]
    number_format: de-DE
tiers:
  - name: Top
    when: revenue >= 1000
  - name: Rest
"#;

/// `q × p` for a price in thousandths of a euro, rounded half-even to the cent (worked out here).
fn half_even_cents(q: i64, mills: i64) -> i64 {
    let m = q * mills;
    let (c, r) = (m.div_euclid(10), m.rem_euclid(10));
    match r.cmp(&5) {
        std::cmp::Ordering::Greater => c + 1,
        std::cmp::Ordering::Equal if c % 2 != 0 => c + 1,
        _ => c,
    }
}

#[test]
fn computed_columns_give_the_product_rounded_half_even() {
    let mut csv = String::from("Kunde;Datum;Menge;Einzelpreis;Einstandspreis netto\n");
    let (mut revenue_of, mut cost_of) = (
        BTreeMap::<String, i64>::new(),
        BTreeMap::<String, i64>::new(),
    );
    let mut ties = 0;
    for i in 0..300i64 {
        let id = format!("K-{}", i % 17);
        let q = i % 9 + 1;
        let mills = (i * 7919) % 2_000_000 + 5; // up to 2.000,004 €, three decimals
        let cost_mills = mills / 2;
        let price = format!(
            "{},{:03}",
            german(mills / 1000 * 100).trim_end_matches(",00"),
            mills % 1000
        );
        let cost = format!("{},{:03} €", cost_mills / 1000, cost_mills % 1000);
        // Three ways of writing the date: German, ISO, an Excel serial day (45306 is 2024-01-15).
        let date = match i % 3 {
            0 => "15.01.2024".to_string(),
            1 => "2024-01-15".to_string(),
            _ => "45306".to_string(),
        };
        csv.push_str(&format!("{id};{date};{q};{price};{cost}\n"));
        ties += usize::from((q * mills) % 10 == 5);
        *revenue_of.entry(id.clone()).or_default() += half_even_cents(q, mills);
        *cost_of.entry(id).or_default() += half_even_cents(q, cost_mills) + 50;
    }
    assert!(
        ties > 10,
        "the rows exercise the rounding of halves: {ties}"
    );
    let ws = workspace(COMPUTED_POLICY, Some(&csv), &[]);
    check_ok(ws.path());
    run_ok(ws.path(), &["--quiet"]);
    assert_eq!(revenue(ws.path()), revenue_of);
    let rows = customers(ws.path());
    for r in &rows {
        let id = &r["customer_id"];
        let margin = cents(&r["margin"]);
        assert_eq!(margin, revenue_of[id] - cost_of[id], "customer {id}");
    }
    let days: Vec<_> = rows.iter().map(|r| r["last_purchase"].clone()).collect();
    assert!(days.iter().all(|d| d == "2024-01-15"), "{days:?}");
}

#[test]
fn computed_column_errors() {
    // A header that does not exist: found by `check`, with a suggestion.
    let policy = COMPUTED_POLICY.replace("=Menge * Einzelpreis", "=Menge * Einzelprice");
    let csv = "Kunde;Datum;Menge;Einzelpreis;Einstandspreis netto\nK-1;15.01.2024;1;1,00;0,50\n";
    let ws = workspace(&policy, Some(csv), &[]);
    let err = check_err(ws.path());
    assert!(err.contains("no column \"Einzelprice\""), "{err}");
    assert!(err.contains("did you mean \"Einzelpreis\"?"), "{err}");
    // A division by zero names the row and the divisor's cell.
    let policy = COMPUTED_POLICY.replace("=Menge * Einzelpreis", "=Einzelpreis / (Menge - 1)");
    let csv = "Kunde;Datum;Menge;Einzelpreis;Einstandspreis netto\n\
               K-1;15.01.2024;2;1,00;0,50\n\
               K-2;15.01.2024;1;1,00;0,50\n";
    let ws = workspace(&policy, Some(csv), &[]);
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(
        err.contains("data/transactions.csv, line 3, column \"Menge\""),
        "{err}"
    );
    assert!(err.contains("division by zero"), "{err}");
    // A bad date lists every accepted format.
    let csv = "Kunde;Datum;Menge;Einzelpreis;Einstandspreis netto\nK-1;15/01/2024;1;1,00;0,50\n";
    let ws = workspace(COMPUTED_POLICY, Some(csv), &[]);
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(
        err.contains("line 2, column \"Datum\": expected a date written exactly in one of the date_format formats: \"15.07.2024\" (date_format \"%d.%m.%Y\"), \"2024-07-15\" (date_format \"%Y-%m-%d\"), an Excel serial day number"),
        "{err}"
    );
}
