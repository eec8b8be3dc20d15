//! The command line on data that is not quite what it seems (issue "Nothing lost, nothing
//! hangs"): old Mac line ends are read, not taken for an empty file; dates that do not match the
//! format exactly, text after a closing quote and sums beyond the exact range stop the run with
//! the file, line and column, and write nothing.

mod support;

use support::*;

const POLICY: &str = r#"client: Test
currency: USD
as_of: 2024-12-31
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: id, date: day, amount: amount }
    date_format: "%Y%m%d"
tiers:
  - name: Top
    when: revenue >= 100
  - name: Rest
"#;

#[test]
fn a_file_with_cr_line_ends_is_read_whole() {
    let csv = "id,day,amount\ra,20240105,80.00\rb,20240106,10\ra,20240107,30\r";
    let ws = workspace(POLICY, Some(csv), &[]);
    check_ok(ws.path());
    run_ok(ws.path(), &["--quiet"]);
    let rows = customers(ws.path());
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["revenue"], "110.00");
    assert_eq!(rows[0]["tier"], "Top");
    assert_eq!(summary(ws.path())["transactions"]["used"], 3);
}

/// Runs a workspace whose data is bad; the error text, after checking nothing was written.
fn fails(csv: &str) -> String {
    let ws = workspace(POLICY, Some(csv), &[]);
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(
        !ws.path().join("out").exists(),
        "a failed run writes nothing"
    );
    err
}

#[test]
fn a_date_not_written_exactly_in_the_format_is_an_error() {
    let err = fails("id,day,amount\na,20240105,1\nb,2024115,1\n");
    assert!(
        err.contains(
            "data/transactions.csv, line 3, column \"day\": expected a date written exactly like \
             \"20240715\" (date_format \"%Y%m%d\"), found \"2024115\""
        ),
        "{err}"
    );
}

#[test]
fn text_after_a_closing_quote_is_an_error() {
    let err = fails("id,day,amount\n\"c1\",20240105,1\n\"c2\"x,20240105,1\n");
    assert!(
        err.contains("data/transactions.csv, line 3, column \"id\": expected a value that ends at its closing quote"),
        "{err}"
    );
}

#[test]
fn a_sum_beyond_the_exact_range_is_an_error_not_a_wrapped_number() {
    let err = fails(
        "id,day,amount\n\
         x,20240105,50000000000000000.00\n\
         x,20240106,50000000000000000.00\n",
    );
    assert!(
        err.contains(
            "data/transactions.csv, line 3, column \"amount\": the value 50000000000000000.00 \
             makes the sum of customer \"x\"'s amounts leave the range powerbase adds exactly \
             (±92,233,720,368,547,758.07)"
        ),
        "{err}"
    );
}

#[test]
fn totals_over_customers_that_leave_the_range_stop_the_run() {
    // Each customer's revenue is in range; together they are not.
    let csv = "id,day,amount\na,20240105,50000000000000000.00\nb,20240106,50000000000000000.00\n";
    let ws = workspace(POLICY, Some(csv), &[]);
    let err = run_err(ws.path(), &[]);
    assert!(
        err.contains("the customers' revenue adds up to more than powerbase can total exactly"),
        "{err}"
    );
    assert!(err.contains("data/transactions.csv"), "{err}");
    assert!(!ws.path().join("out").exists());
    // One of them alone runs, with the exact figure.
    let csv = "id,day,amount\na,20240105,50000000000000000.00\n";
    let ws = workspace(POLICY, Some(csv), &[]);
    run_ok(ws.path(), &["--quiet"]);
    assert_eq!(customers(ws.path())[0]["revenue"], "50000000000000000.00");
}
