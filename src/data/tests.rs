//! Tests across the module: files on disk, block boundaries, threads, spreadsheets, real data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};

use super::config::Layout;
use super::csv_source::{self, CsvOptions};
use super::*;

/// Owned copy of a row, for exact comparisons.
type OwnedRow = (
    String,
    Day,
    i64,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Keeps every row (sorted at the end) and per-customer totals.
#[derive(Default, Debug, PartialEq)]
struct Collect {
    rows: Vec<OwnedRow>,
    totals: BTreeMap<String, (i64, u32)>,
}

impl RowSink for Collect {
    fn push(&mut self, r: &Row<'_>) {
        self.rows.push((
            r.customer_id.to_string(),
            r.day,
            r.amount,
            r.cost,
            r.quantity,
            r.order_id.map(str::to_string),
            r.product.map(str::to_string),
            r.channel.map(str::to_string),
        ));
        let t = self.totals.entry(r.customer_id.to_string()).or_default();
        t.0 += r.amount;
        t.1 += 1;
    }
    fn merge(&mut self, other: Self) {
        self.rows.extend(other.rows);
        for (k, (a, n)) in other.totals {
            let t = self.totals.entry(k).or_default();
            t.0 += a;
            t.1 += n;
        }
    }
}

impl Collect {
    fn sorted(mut self) -> Self {
        self.rows.sort();
        self
    }
}

fn day(s: &str) -> Day {
    Day::parse_iso(s).unwrap()
}

fn far_future() -> Day {
    day("9999-12-31")
}

fn columns(id: &str, date: &str, amount: &str) -> TransactionColumns {
    TransactionColumns {
        customer_id: id.into(),
        date: date.into(),
        amount: amount.into(),
        cost: None,
        quantity: None,
        order_id: None,
        product: None,
        channel: None,
    }
}

fn source(path: &str, columns: TransactionColumns) -> TransactionSource {
    TransactionSource {
        path: PathBuf::from(path).into(),
        columns,
        date_format: None,
        sheet: None,
        delimiter: None,
        number_format: None,
        currency: None,
        encoding: Default::default(),
        header_row: None,
        skip_rows: None,
        skip_footer: 0,
        on_bad_rows: Default::default(),
        max_rejected: None,
    }
}

/// A customer table at `path` with the given column mapping and every other option at its
/// default.
fn customer_source(path: &str, columns: BTreeMap<String, String>) -> CustomerSource {
    CustomerSource {
        path: PathBuf::from(path).into(),
        columns,
        sheet: None,
        delimiter: None,
        number_format: None,
        currency: None,
        encoding: Default::default(),
        header_row: None,
        skip_rows: None,
        skip_footer: 0,
        id_normalise: None,
    }
}

/// A customer table's column mapping with only `customer_id`, read from the header `id`.
fn id_columns(id: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("customer_id".to_string(), id.to_string())])
}

/// A delimited layout with delimiter `d` and nothing else set.
fn layout(d: u8) -> Layout {
    Layout {
        delimiter: Some(d),
        ..Layout::default()
    }
}

/// The standard test columns: id, date, amount, cost, quantity, product.
fn full_columns() -> TransactionColumns {
    TransactionColumns {
        cost: Some("cost".into()),
        quantity: Some("qty".into()),
        product: Some("product".into()),
        ..columns("id", "date", "amount")
    }
}

fn write(dir: &Path, name: &str, content: &[u8]) {
    std::fs::write(dir.join(name), content).unwrap();
}

fn opts(block_size: usize, workers: usize) -> CsvOptions {
    CsvOptions {
        block_size,
        workers,
        max_record: 1 << 20,
        keep_rejects: super::KEEP,
    }
}

/// Reads `src` as one delimited file with the default bad-row policy (every bad row fails).
fn read_with(
    src: &TransactionSource,
    ws: &Path,
    as_of: Day,
    o: &CsvOptions,
) -> Result<(Collect, LoadStats), DataError> {
    let file = src.path.shown();
    let read = csv_source::read_transactions(
        src,
        &file,
        ws,
        &layout(b','),
        as_of,
        Collect::default,
        None,
        o,
    )?;
    let (c, mut s, _, rejects) = read;
    super::rejects::decide(&file, Default::default(), &mut s, rejects)?;
    Ok((c.sorted(), s))
}

/// Block sizes and worker counts that exercise boundaries (1 byte blocks: every byte a cut).
const SHAPES: &[(usize, usize)] = &[
    (1, 1),
    (1, 3),
    (2, 2),
    (3, 2),
    (5, 1),
    (7, 3),
    (13, 2),
    (64, 2),
    (1 << 20, 1),
    (1 << 20, 4),
];

#[test]
fn quoted_fields_across_block_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "id,date,amount,cost,qty,product\n\
               A1,2024-01-01,10.00,4.00,1,plain\n\
               \"B,2\",2024-01-02,\"1.50\",0.5,2,\"multi\nline, with \"\"quotes\"\"\"\n\
               A1,2024-01-03,-2.25,-1,1,\"\"\n\
               \r\n\
               \"C\"\"3\",2024-01-04,0,0,3,\"x\r\ny\"\r\n\
               A1,2024-01-05,7.10,3.55,-1,\"5\"\" disk\"\n\
               D4,2024-01-06,99.99,50,1,5\" disk";
    write(dir.path(), "t.csv", csv.as_bytes());
    let src = source("t.csv", full_columns());
    let mut expected = Collect::default();
    for (id, d, amount, cost, qty, product) in [
        ("A1", "2024-01-01", 1000, 400, 1, Some("plain")),
        (
            "B,2",
            "2024-01-02",
            150,
            50,
            2,
            Some("multi\nline, with \"quotes\""),
        ),
        ("A1", "2024-01-03", -225, -100, 1, None),
        ("C\"3", "2024-01-04", 0, 0, 3, Some("x\r\ny")),
        ("A1", "2024-01-05", 710, 355, -1, Some("5\" disk")),
        ("D4", "2024-01-06", 9999, 5000, 1, Some("5\" disk")),
    ] {
        expected.push(&Row {
            customer_id: id,
            day: day(d),
            amount,
            cost,
            quantity: qty,
            order_id: None,
            product,
            channel: None,
        });
    }
    let expected = expected.sorted();
    for &(bs, w) in SHAPES {
        let (got, stats) = read_with(&src, dir.path(), far_future(), &opts(bs, w)).unwrap();
        assert_eq!(got, expected, "block {bs}, workers {w}");
        assert_eq!(stats.rows_read, 6);
        assert_eq!(stats.rows_used, 6);
        assert_eq!(stats.refund_rows, 1);
        assert_eq!(stats.zero_amount_rows, 1);
        assert_eq!(stats.first_day, Some(day("2024-01-01")));
        assert_eq!(stats.last_day, Some(day("2024-01-06")));
    }
}

/// A file whose line 9 has a bad amount, after a quoted field spanning lines 3-5, CRLF endings
/// and a blank line.
fn file_with_bad_line() -> String {
    let mut s = String::from("id,date,amount,cost,qty,product\r\n"); // 1
    s.push_str("A,2024-01-01,1.00,0,1,p\r\n"); // 2
    s.push_str("B,2024-01-01,1.00,0,1,\"three\r\nline\nfield\"\r\n"); // 3-5
    s.push_str("\r\n"); // 6 (blank)
    s.push_str("C,2024-01-01,1.00,0,1,\"q\"\r\n"); // 7
    s.push_str("D,2024-01-01,2.00,0,1,p\r\n"); // 8
    s.push_str("E,2024-01-02,12,50,0,1,p\r\n"); // 9: a decimal comma splits the field
    s.push_str("F,2024-01-02,1.00,0,1,p\r\n"); // 10
    s
}

#[test]
fn error_lines_are_physical_lines() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.csv", file_with_bad_line().as_bytes());
    let src = source("t.csv", full_columns());
    for &(bs, w) in SHAPES {
        let e = read_with(&src, dir.path(), far_future(), &opts(bs, w)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv, line 9: expected 6 fields like the header, found 7 (an unquoted delimiter inside a value?)",
            "block {bs}, workers {w}"
        );
        assert_eq!(e.location(), Some(&Location::Line(9)));
    }
    // The same line with a bad amount instead.
    let text = file_with_bad_line().replace("12,50,0,1,p", "\"12,50\",0,1,p");
    write(dir.path(), "t.csv", text.as_bytes());
    for &(bs, w) in SHAPES {
        let e = read_with(&src, dir.path(), far_future(), &opts(bs, w)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv, line 9, column \"amount\": expected an amount such as 12.34 (at most 2 decimals), \
             found \"12,50\" (thousands separators and decimal commas are not accepted)",
            "block {bs}, workers {w}"
        );
    }
}

#[test]
fn the_earliest_error_wins_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from("id,date,amount\n");
    for i in 0..5000 {
        let amount = match i {
            3000 => "bad".to_string(),
            4000 => "1.234".to_string(),
            _ => format!("{i}.5"),
        };
        s.push_str(&format!("C{i},2024-02-03,{amount}\n"));
    }
    write(dir.path(), "t.csv", s.as_bytes());
    let src = source("t.csv", columns("id", "date", "amount"));
    for &(bs, w) in &[(100, 2), (1000, 3), (64, 4), (1 << 20, 2)] {
        for _ in 0..3 {
            let e = read_with(&src, dir.path(), far_future(), &opts(bs, w)).unwrap_err();
            assert_eq!(
                e.location(),
                Some(&Location::Line(3002)),
                "block {bs}, workers {w}"
            );
            assert!(e.to_string().contains("found \"bad\""), "{e}");
        }
    }
}

#[test]
fn cell_errors_name_line_column_value_and_expectation() {
    let dir = tempfile::tempdir().unwrap();
    let header = "id,date,amount,cost,qty,product\n";
    let cases: &[(&str, &str)] = &[
        (
            ",2024-01-01,1,1,1,p",
            "line 2, column \"id\": expected a customer id (it must not be empty), found \"\"",
        ),
        (
            "A,2024-02-30,1,1,1,p",
            "line 2, column \"date\": expected a date written exactly like \"2024-07-15\" (date_format \"%Y-%m-%d\"), found \"2024-02-30\" (there is no such date (a month from 1 to 12, a day that exists in it, a year from 1 to 9999))",
        ),
        (
            "A,2024-01-01,,1,1,p",
            "line 2, column \"amount\": expected an amount such as 12.34 (at most 2 decimals), found \"\" (the cell is empty)",
        ),
        (
            "A,2024-01-01,1,,1,p",
            "line 2, column \"cost\": expected an amount such as 12.34 (at most 2 decimals), found \"\" (the cell is empty)",
        ),
        (
            "A,2024-01-01,1,1e3,1,p",
            "line 2, column \"cost\": expected an amount such as 12.34 (at most 2 decimals), found \"1e3\" (exponents are not accepted)",
        ),
        (
            "A,2024-01-01,1,1,1.5,p",
            "line 2, column \"qty\": expected a whole number such as 3, found \"1.5\"",
        ),
        (
            "A,2024-01-01,1,1,,p",
            "line 2, column \"qty\": expected a whole number such as 3, found \"\"",
        ),
        (
            "A,2024-01-01,1,1,1",
            "line 2: expected 6 fields like the header, found 5",
        ),
        (
            "A,2024-01-01,1,1,1,\"never closed\nB,2024-01-01,1,1,1,p\n",
            "line 2: a quoted field starting on this line is never closed (a stray quote character?)",
        ),
    ];
    let src = source("t.csv", full_columns());
    for (row, message) in cases {
        write(dir.path(), "t.csv", format!("{header}{row}").as_bytes());
        for &(bs, w) in &[(1, 2), (1 << 20, 1)] {
            let e = read_with(&src, dir.path(), far_future(), &opts(bs, w)).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("t.csv, {message}"),
                "block {bs}, workers {w}"
            );
        }
    }
    // Invalid UTF-8 in an id.
    write(
        dir.path(),
        "t.csv",
        b"id,date,amount,cost,qty,product\nA\xff,2024-01-01,1,1,1,p\n",
    );
    let e = read_with(&src, dir.path(), far_future(), &opts(1 << 20, 1)).unwrap_err();
    assert!(
        e.to_string()
            .contains("line 2, column \"id\": expected UTF-8 text"),
        "{e}"
    );
    // A non-ISO date format appears in the message with an example.
    let mut src = source("t.csv", columns("id", "date", "amount"));
    src.date_format = Some("%d/%m/%Y".into());
    write(
        dir.path(),
        "t.csv",
        b"id,date,amount\nA,15/07/2024,1\nA,2024-07-15,1\n",
    );
    let e = read_with(&src, dir.path(), far_future(), &opts(1 << 20, 1)).unwrap_err();
    assert!(
        e.to_string().ends_with(
            "line 3, column \"date\": expected a date written exactly like \"15/07/2024\" (date_format \"%d/%m/%Y\"), found \"2024-07-15\" (the text does not follow the date format)"
        ),
        "{e}"
    );
}

#[test]
fn missing_header_error_text() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.csv",
        "\u{feff}customer_id , date,Dollar Value\nA,2024-01-01,1\n".as_bytes(),
    );
    let src = source("t.csv", columns("customer_id", "date", "dollar_value"));
    let e = read_with(&src, dir.path(), far_future(), &CsvOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv: there is no column \"dollar_value\" (mapped as `amount` in `columns:`); \
         did you mean \"Dollar Value\"?; the file's columns are: \"customer_id\", \"date\", \"Dollar Value\""
    );
    // The BOM and spaces around headers do not matter.
    let src = source("t.csv", columns("customer_id", "date", "Dollar Value"));
    let (c, _) = read_with(&src, dir.path(), far_future(), &CsvOptions::default()).unwrap();
    assert_eq!(c.totals["A"], (100, 1));
}

#[test]
fn rows_after_as_of_are_counted_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "id,date,amount\nA,2024-01-01,1\nA,2024-06-30,2\nB,2024-07-01,4\nB,2025-01-01,-8\nC,2024-03-01,0\n";
    write(dir.path(), "t.csv", csv.as_bytes());
    let src = source("t.csv", columns("id", "date", "amount"));
    for &(bs, w) in &[(3, 2), (1 << 20, 1)] {
        let (c, stats) = read_with(&src, dir.path(), day("2024-06-30"), &opts(bs, w)).unwrap();
        assert_eq!(
            stats,
            LoadStats {
                rows_read: 5,
                rows_used: 3,
                excluded_after_as_of: 2,
                zero_amount_rows: 1,
                refund_rows: 0,
                first_day: Some(day("2024-01-01")),
                last_day: Some(day("2024-06-30")),
                sources: Vec::new(),
                rejected: Default::default(),
            }
        );
        assert_eq!(c.totals.len(), 2);
        assert_eq!(c.totals["A"], (300, 2));
    }
    // Rows after the as-of date are still validated.
    write(
        dir.path(),
        "t.csv",
        b"id,date,amount\nA,2024-01-01,1\nA,2030-01-01,x\n",
    );
    assert!(read_with(&src, dir.path(), day("2024-06-30"), &opts(1 << 20, 1)).is_err());
    // latest_day sees every row.
    write(dir.path(), "t.csv", csv.as_bytes());
    let latest = csv_source::latest_day(
        &src,
        Path::new("t.csv"),
        dir.path(),
        &layout(b','),
        None,
        &opts(4, 2),
    )
    .unwrap()
    .0;
    assert_eq!(latest, Some(day("2025-01-01")));
    assert_eq!(
        latest_day(&src, dir.path(), None).unwrap(),
        Some(day("2025-01-01"))
    );
}

#[test]
fn header_only_empty_and_odd_files() {
    let dir = tempfile::tempdir().unwrap();
    let src = source("t.csv", columns("id", "date", "amount"));
    write(dir.path(), "t.csv", b"id,date,amount");
    let (c, stats) = read_with(&src, dir.path(), far_future(), &opts(2, 2)).unwrap();
    assert!(c.rows.is_empty());
    assert_eq!(stats, LoadStats::default());
    assert_eq!(latest_day(&src, dir.path(), None).unwrap(), None);

    write(dir.path(), "t.csv", b"");
    let e = read_with(&src, dir.path(), far_future(), &opts(2, 2)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv: the file is empty: expected a header line naming the columns"
    );

    // Blank lines before the header and between rows; no final newline; semicolons.
    write(
        dir.path(),
        "t.csv",
        b"\n\nid;date;amount\nA;2024-01-01;1\n\n\nB;2024-01-01;x",
    );
    let (_, _, _, rejects) = csv_source::read_transactions(
        &src,
        Path::new("t.csv"),
        dir.path(),
        &layout(b';'),
        far_future(),
        Collect::default,
        None,
        &opts(3, 2),
    )
    .unwrap();
    assert_eq!(rejects.total, 1);
    assert_eq!(rejects.rows[0].location, Location::Line(7));

    let e = read_with(
        &source("nope.csv", columns("a", "b", "c")),
        dir.path(),
        far_future(),
        &opts(2, 2),
    )
    .unwrap_err();
    assert!(
        e.to_string().starts_with("nope.csv: cannot read the file"),
        "{e}"
    );

    // Configuration mistakes.
    let mut bad = src.clone();
    bad.date_format = Some("%Y-%m".into());
    let e = read_transactions(&bad, dir.path(), far_future(), Collect::default, None).unwrap_err();
    assert!(
        e.to_string().contains("does not describe a full date"),
        "{e}"
    );
    let mut bad = src.clone();
    bad.sheet = Some("Sheet1".into());
    assert!(read_transactions(&bad, dir.path(), far_future(), Collect::default, None).is_err());
}

#[test]
fn a_never_closed_quote_does_not_swallow_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from("id,date,amount\nA,2024-01-01,\"1\n");
    for _ in 0..2000 {
        s.push_str("B,2024-01-01,1\n");
    }
    write(dir.path(), "t.csv", s.as_bytes());
    let src = source("t.csv", columns("id", "date", "amount"));
    let o = CsvOptions {
        block_size: 1000,
        workers: 2,
        max_record: 8000,
        keep_rejects: super::KEEP,
    };
    let e = read_with(&src, dir.path(), far_future(), &o).unwrap_err();
    assert_eq!(e.location(), Some(&Location::Line(2)));
    assert!(e.to_string().contains("not closed within"), "{e}");
}

/// Random rows (seeded) with quotes, embedded delimiters and newlines in some fields.
fn random_file(n: usize, seed: u64) -> (String, Collect) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut s = String::from("id,date,amount,cost,qty,product\n");
    let mut expected = Collect::default();
    for _ in 0..n {
        let c = rng.next_u32() % 300;
        let id = if c % 7 == 0 {
            format!("C,{c}")
        } else {
            format!("{c:05}")
        };
        let d = Day(19_000 + (rng.next_u32() % 700) as i32);
        let amount = i64::from(rng.next_u32() % 100_000) - 2_000;
        let cost = amount / 2;
        let qty = i64::from(rng.next_u32() % 5) + 1;
        let product = match rng.next_u32() % 4 {
            0 => None,
            1 => Some("line\nbreak".to_string()),
            2 => Some("say \"hi\"".to_string()),
            _ => Some(format!("p{}", rng.next_u32() % 10)),
        };
        let quote = |t: &str| {
            if t.contains([',', '"', '\n']) {
                format!("\"{}\"", t.replace('"', "\"\""))
            } else {
                t.to_string()
            }
        };
        s.push_str(&format!(
            "{},{d},{},{},{qty},{}\n",
            quote(&id),
            format_cents(amount),
            format_cents(cost),
            quote(product.as_deref().unwrap_or(""))
        ));
        expected.push(&Row {
            customer_id: &id,
            day: d,
            amount,
            cost,
            quantity: qty,
            order_id: None,
            product: product.as_deref(),
            channel: None,
        });
    }
    (s, expected.sorted())
}

#[test]
fn parallel_equals_sequential() {
    let dir = tempfile::tempdir().unwrap();
    let (text, expected) = random_file(20_000, 7);
    write(dir.path(), "t.csv", text.as_bytes());
    let src = source("t.csv", full_columns());
    let (seq, seq_stats) =
        read_with(&src, dir.path(), day("2023-01-01"), &opts(1 << 30, 1)).unwrap();
    for &(bs, w) in &[(97, 2), (4096, 3), (65_536, 2), (1 << 20, 4)] {
        let (par, par_stats) =
            read_with(&src, dir.path(), day("2023-01-01"), &opts(bs, w)).unwrap();
        assert_eq!(par.totals, seq.totals, "block {bs}, workers {w}");
        assert_eq!(par.rows, seq.rows, "block {bs}, workers {w}");
        assert_eq!(par_stats, seq_stats, "block {bs}, workers {w}");
    }
    assert!(seq_stats.excluded_after_as_of > 0 && seq_stats.rows_used > 0);
    let (all, stats) = read_with(&src, dir.path(), far_future(), &opts(4096, 2)).unwrap();
    assert_eq!(all, expected);
    assert_eq!(stats.rows_used, 20_000);
}

#[test]
fn progress_reaches_the_total() {
    struct P(std::sync::Mutex<Vec<(u64, u64)>>);
    impl Progress for P {
        fn advance(&self, done: u64, total: u64) {
            self.0.lock().unwrap().push((done, total));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (text, _) = random_file(2000, 1);
    write(dir.path(), "t.csv", text.as_bytes());
    let src = source("t.csv", full_columns());
    let p = P(Default::default());
    csv_source::read_transactions(
        &src,
        Path::new("t.csv"),
        dir.path(),
        &layout(b','),
        far_future(),
        Collect::default,
        Some(&p),
        &opts(4096, 2),
    )
    .unwrap();
    let calls = p.0.into_inner().unwrap();
    assert!(calls.len() > 5);
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0));
    let last = calls.last().unwrap();
    assert_eq!(last.0, last.1);
    assert_eq!(last.1, text.len() as u64);
}

// ---------------------------------------------------------------------------------------------
// Spreadsheets

fn write_workbook(path: &Path) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    let notes = wb.add_worksheet();
    notes.set_name("Notes").unwrap();
    notes.write_string(0, 0, "Read me").unwrap();

    let sales = wb.add_worksheet();
    sales.set_name("Sales").unwrap();
    for (c, h) in ["Cust ID", "Order Date", "Net", "Units", "Channel"]
        .iter()
        .enumerate()
    {
        sales.write_string(0, c as u16, *h).unwrap();
    }
    // Row 2: numeric id, date cell, float amount.
    sales.write_number(1, 0, 1234.0).unwrap();
    let d = ExcelDateTime::from_ymd(2024, 1, 15).unwrap();
    sales
        .write_datetime_with_format(1, 1, &d, &date_fmt)
        .unwrap();
    sales.write_number(1, 2, 12.34).unwrap();
    sales.write_number(1, 3, 2.0).unwrap();
    sales.write_string(1, 4, "web").unwrap();
    // Row 3: text id with leading zeros, date with a time, text amount.
    sales.write_string(2, 0, "00042").unwrap();
    let dt = ExcelDateTime::from_ymd(2024, 2, 29)
        .unwrap()
        .and_hms(23, 59, 0)
        .unwrap();
    sales
        .write_datetime_with_format(2, 1, &dt, &date_fmt)
        .unwrap();
    sales.write_string(2, 2, "-0.50").unwrap();
    sales.write_number(2, 3, -1.0).unwrap();
    // Row 4 is empty (skipped). Row 5: a plain serial number as date, text date further down.
    sales.write_number(4, 0, 7.0).unwrap();
    sales.write_number(4, 1, 45_306.0).unwrap(); // 2024-01-15
    sales.write_number(4, 2, 0.29).unwrap();
    sales.write_number(4, 3, 1.0).unwrap();
    sales.write_number(4, 4, 3.0).unwrap();
    sales.write_string(5, 0, "X9").unwrap();
    sales.write_string(5, 1, "2024-03-01").unwrap();
    sales.write_number(5, 2, 1e6).unwrap();
    sales.write_number(5, 3, 1.0).unwrap();

    let bad = wb.add_worksheet();
    bad.set_name("Bad").unwrap();
    for (c, h) in ["Cust ID", "Order Date", "Net", "Units", "Channel"]
        .iter()
        .enumerate()
    {
        bad.write_string(0, c as u16, *h).unwrap();
    }
    bad.write_string(1, 0, "A").unwrap();
    bad.write_string(1, 1, "2024-01-01").unwrap();
    bad.write_number(1, 2, 12.345).unwrap();
    bad.write_number(1, 3, 1.0).unwrap();

    let customers = wb.add_worksheet();
    customers.set_name("Customers").unwrap();
    for (c, h) in [
        "Cust ID",
        "2019 Segment",
        "Region Name",
        "Score",
        "Visits",
        "Zip",
        "",
    ]
    .iter()
    .enumerate()
    {
        customers.write_string(0, c as u16, *h).unwrap();
    }
    let rows: [(f64, &str, &str, f64, f64, &str); 3] = [
        (1234.0, "Gold", "North", 1.5, 3.0, "02134"),
        (42.0, "Silver", "South", 2.0, 10.0, "10001"),
        (7.0, "", "East", -0.25, 0.0, "94103"),
    ];
    for (r, (id, seg, region, score, visits, zip)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        customers.write_number(r, 0, *id).unwrap();
        if !seg.is_empty() {
            customers.write_string(r, 1, *seg).unwrap();
        }
        customers.write_string(r, 2, *region).unwrap();
        customers.write_number(r, 3, *score).unwrap();
        customers.write_number(r, 4, *visits).unwrap();
        customers.write_string(r, 5, *zip).unwrap();
    }
    wb.save(path).unwrap();
}

fn excel_source(sheet: Option<&str>) -> TransactionSource {
    TransactionSource {
        sheet: sheet.map(SheetRef::from),
        ..source(
            "book.xlsx",
            TransactionColumns {
                quantity: Some("Units".into()),
                channel: Some("Channel".into()),
                ..columns("Cust ID", "Order Date", "Net")
            },
        )
    }
}

#[test]
fn excel_transactions() {
    let dir = tempfile::tempdir().unwrap();
    write_workbook(&dir.path().join("book.xlsx"));
    let src = excel_source(Some("Sales"));
    let (c, stats) =
        read_transactions(&src, dir.path(), far_future(), Collect::default, None).unwrap();
    let c = c.sorted();
    let got: Vec<(&str, String, i64, i64, Option<&str>)> = c
        .rows
        .iter()
        .map(|r| (r.0.as_str(), r.1.to_string(), r.2, r.4, r.7.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("00042", "2024-02-29".to_string(), -50, -1, None),
            ("1234", "2024-01-15".to_string(), 1234, 2, Some("web")),
            ("7", "2024-01-15".to_string(), 29, 1, Some("3")),
            ("X9", "2024-03-01".to_string(), 100_000_000, 1, None),
        ]
    );
    assert_eq!(stats.rows_read, 4);
    assert_eq!(stats.refund_rows, 1);
    assert_eq!(
        latest_day(&src, dir.path(), None).unwrap(),
        Some(day("2024-03-01"))
    );

    // As-of exclusion works the same way.
    let (_, stats) =
        read_transactions(&src, dir.path(), day("2024-02-01"), Collect::default, None).unwrap();
    assert_eq!((stats.rows_used, stats.excluded_after_as_of), (2, 2));

    // The first sheet is the default: "Notes" has no such columns.
    let e = read_transactions(
        &excel_source(None),
        dir.path(),
        far_future(),
        Collect::default,
        None,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("there is no column \"Cust ID\""),
        "{e}"
    );
    assert!(e.to_string().contains("\"Read me\""), "{e}");

    // A sheet that does not exist lists the sheets.
    let e = read_transactions(
        &excel_source(Some("Sale")),
        dir.path(),
        far_future(),
        Collect::default,
        None,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "book.xlsx: there is no sheet \"Sale\"; the workbook's sheets are: \"Notes\", \"Sales\", \"Bad\", \"Customers\""
    );

    // A float that is not a whole number of cents.
    let e = read_transactions(
        &excel_source(Some("Bad")),
        dir.path(),
        far_future(),
        Collect::default,
        None,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "book.xlsx, sheet \"Bad\", row 2, column \"Net\": expected an amount such as 12.34 (at most 2 decimals), \
         found \"12.345\" (the number is not a whole number of cents)"
    );
}

#[test]
fn excel_customers() {
    let dir = tempfile::tempdir().unwrap();
    write_workbook(&dir.path().join("book.xlsx"));
    let mut map = id_columns("Cust ID");
    map.insert("segment_2019".to_string(), "2019 Segment".to_string());
    let src = CustomerSource {
        sheet: Some("Customers".into()),
        ..customer_source("book.xlsx", map.clone())
    };
    let t = read_customers(&src, dir.path()).unwrap();
    assert_eq!(t.ids, vec!["1234", "42", "7"]);
    assert_eq!(t.row_of("42"), Some(1));
    assert_eq!(t.row_of("42.0"), None);
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["segment_2019", "region_name", "score", "visits", "zip"]
    );
    assert_eq!(
        t.column("segment_2019").unwrap().values,
        AttributeValues::Text(vec![Some("Gold".into()), Some("Silver".into()), None])
    );
    assert_eq!(t.column("segment_2019").unwrap().header, "2019 Segment");
    assert_eq!(
        t.column("score").unwrap().values,
        AttributeValues::Float(vec![Some(1.5), Some(2.0), Some(-0.25)])
    );
    assert_eq!(
        t.column("visits").unwrap().values,
        AttributeValues::Int(vec![Some(3), Some(10), Some(0)])
    );
    assert_eq!(t.column("zip").unwrap().values.type_name(), "text");

    // Without the mapping, "2019 Segment" cannot be named.
    map.remove("segment_2019");
    let e = read_customers(
        &CustomerSource {
            columns: map,
            ..src
        },
        dir.path(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("e.g. columns: { segment_2019: \"2019 Segment\" }"),
        "{e}"
    );
}

#[test]
fn csv_customers() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "c.csv",
        b"Segment,id,Spend,Since,Zip,Note\nGold,001,12.5,3,02134,\"multi\nline\"\nSilver,002,7,4,10001,\n,003,,-2,,x\n",
    );
    let mut map = id_columns("id");
    let src = customer_source("c.csv", map.clone());
    let t = read_customers(&src, dir.path()).unwrap();
    assert_eq!(t.ids, vec!["001", "002", "003"]);
    assert_eq!(t.row_of("003"), Some(2));
    assert_eq!(t.row_of("3"), None);
    let col = |n: &str| &t.column(n).unwrap().values;
    assert_eq!(
        col("segment"),
        &AttributeValues::Text(vec![Some("Gold".into()), Some("Silver".into()), None])
    );
    assert_eq!(
        col("spend"),
        &AttributeValues::Float(vec![Some(12.5), Some(7.0), None])
    );
    assert_eq!(
        col("since"),
        &AttributeValues::Int(vec![Some(3), Some(4), Some(-2)])
    );
    assert_eq!(
        col("zip"),
        &AttributeValues::Text(vec![Some("02134".into()), Some("10001".into()), None])
    );
    assert_eq!(
        col("note"),
        &AttributeValues::Text(vec![Some("multi\nline".into()), None, Some("x".into())])
    );

    // A repeated id names both lines (line 4 comes after a two-line record).
    write(dir.path(), "c.csv", b"id,Note\n1,\"a\nb\"\n2,c\n1,d\n");
    let e = read_customers(&src, dir.path()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "c.csv, line 5: customer \"1\" already appeared at line 2; each customer must appear once"
    );
    // An empty id.
    write(dir.path(), "c.csv", b"id,Note\r\n1,a\r\n,b\r\n");
    let e = read_customers(&src, dir.path()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "c.csv, line 3, column \"id\": expected a customer id (it must not be empty), found \"\""
    );
    // Two headers that make one name.
    write(dir.path(), "c.csv", b"id,Region,region \n1,a,b\n");
    let e = read_customers(&src, dir.path()).unwrap_err();
    assert!(e.to_string().contains("would both be named region"), "{e}");
    // A mapped header that is missing.
    map.insert("tier".to_string(), "Tier".to_string());
    write(dir.path(), "c.csv", b"id,tiers\n1,a\n");
    let e = read_customers(
        &CustomerSource {
            columns: map.clone(),
            ..src.clone()
        },
        dir.path(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("no column \"Tier\" (mapped as `tier`"),
        "{e}"
    );
    assert!(e.to_string().contains("did you mean \"tiers\"?"), "{e}");
    // A mapping name that is not an identifier.
    map.remove("tier");
    map.insert("in".to_string(), "tiers".to_string());
    let e = read_customers(
        &CustomerSource {
            columns: map.clone(),
            ..src.clone()
        },
        dir.path(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("\"in\" is not a valid attribute name"),
        "{e}"
    );
    // No customer_id mapping.
    let e = read_customers(
        &CustomerSource {
            columns: BTreeMap::new(),
            ..src
        },
        dir.path(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("must map customer_id"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Real data

/// CDNOW: 69,659 rows, 23,570 customers, 1997-01-01..1998-06-30. The revenue is checked against
/// an independent naive parse (split on commas, f64, rounded to cents).
#[test]
fn cdnow_real_data() {
    let path = std::env::var("POWERBASE_CDNOW")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/work/shared/data/cdnow/transactions.csv"));
    if !path.exists() {
        eprintln!("skipping cdnow_real_data: {} not found", path.display());
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let mut naive_revenue = 0i64;
    let mut naive_customers = std::collections::HashSet::new();
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        naive_revenue += (f[3].parse::<f64>().unwrap() * 100.0).round() as i64;
        naive_customers.insert(f[0].to_string());
    }
    let src = TransactionSource {
        date_format: Some("%Y%m%d".into()),
        ..source(
            path.to_str().unwrap(),
            TransactionColumns {
                quantity: Some("number_of_cds".into()),
                ..columns("customer_id", "date", "dollar_value")
            },
        )
    };
    let ws = Path::new("/");
    for o in [opts(64 << 10, 2), CsvOptions::default(), opts(1 << 30, 1)] {
        let (c, stats, _, _) = csv_source::read_transactions(
            &src,
            &path,
            ws,
            &layout(b','),
            far_future(),
            Collect::default,
            None,
            &o,
        )
        .unwrap();
        assert_eq!(stats.rows_read, 69_659);
        assert_eq!(stats.rows_used, 69_659);
        assert_eq!(stats.zero_amount_rows, 80);
        assert_eq!(stats.refund_rows, 0);
        assert_eq!(c.totals.len(), 23_570);
        assert_eq!(c.totals.len(), naive_customers.len());
        assert!(c.totals.contains_key("00001"));
        let revenue: i64 = c.totals.values().map(|t| t.0).sum();
        assert_eq!(revenue, naive_revenue);
        assert_eq!(stats.first_day, Some(day("1997-01-01")));
        assert_eq!(stats.last_day, Some(day("1998-06-30")));
    }
    assert_eq!(latest_day(&src, ws, None).unwrap(), Some(day("1998-06-30")));
}

/// Differential test: random files with quotes in odd places give the same rows, or the same
/// error, whether read as one block on one thread (plain csv parsing) or cut into tiny blocks;
/// with LF and with CR (old Mac) line ends.
#[test]
fn block_cutting_never_changes_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let src = source("t.csv", full_columns());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let alphabet = b"ab ,\"\"\n\r";
    for round in 0..400 {
        let term = if round % 2 == 0 { "\n" } else { "\r" };
        let mut s = format!("id,date,amount,cost,qty,product{term}");
        for i in 0..(rng.next_u32() % 12) {
            let len = rng.next_u32() % 8;
            let product: String = (0..len)
                .map(|_| alphabet[(rng.next_u32() % alphabet.len() as u32) as usize] as char)
                .collect();
            let product = match rng.next_u32() % 3 {
                0 => format!("\"{}\"", product.replace('"', "\"\"")),
                _ => product,
            };
            s.push_str(&format!(
                "C{i},2024-01-0{},1.{i}0,0,1,{product}{term}",
                1 + i % 9
            ));
        }
        write(dir.path(), "t.csv", s.as_bytes());
        let reference =
            read_with(&src, dir.path(), far_future(), &opts(1 << 30, 1)).map_err(|e| e.to_string());
        for &(bs, w) in &[(1, 2), (3, 3), (16, 2), (64, 1)] {
            let got =
                read_with(&src, dir.path(), far_future(), &opts(bs, w)).map_err(|e| e.to_string());
            assert_eq!(
                got, reference,
                "round {round}, block {bs}, workers {w}: {s:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Strict input: accept exactly what the format says

#[test]
fn cr_only_line_endings_are_read_with_their_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let src = source("t.csv", full_columns());
    let lf = "id,date,amount,cost,qty,product\n\
              A,2024-01-01,1.00,0,1,\"two\nlines\"\n\
              \n\
              B,2024-01-02,2.00,1,1,p\n\
              A,2024-01-03,3.00,1,2,\n";
    write(dir.path(), "t.csv", lf.as_bytes());
    let (mut expected, expected_stats) =
        read_with(&src, dir.path(), far_future(), &opts(1 << 20, 1)).unwrap();
    assert_eq!(expected_stats.rows_read, 3);
    // The quoted line break is kept as it is written.
    for r in &mut expected.rows {
        r.6 = r.6.take().map(|p| p.replace('\n', "\r"));
    }
    // "CSV (Macintosh)": every line ends with CR alone (the quoted line break too).
    let cr = lf.replace('\n', "\r");
    write(dir.path(), "t.csv", cr.as_bytes());
    for &(bs, w) in SHAPES {
        let (got, stats) = read_with(&src, dir.path(), far_future(), &opts(bs, w)).unwrap();
        assert_eq!(got, expected, "block {bs}, workers {w}");
        assert_eq!(stats, expected_stats, "block {bs}, workers {w}");
    }
    assert_eq!(
        latest_day(&src, dir.path(), None).unwrap(),
        Some(day("2024-01-03"))
    );
    check_source(&src, dir.path()).unwrap();
    // Errors name the physical line.
    write(dir.path(), "t.csv", cr.replace("3.00", "3,00").as_bytes());
    for &(bs, w) in SHAPES {
        let e = read_with(&src, dir.path(), far_future(), &opts(bs, w)).unwrap_err();
        assert_eq!(e.location(), Some(&Location::Line(6)), "{e}");
    }
    // The attribute table too.
    write(dir.path(), "c.csv", b"id,Note\r1,\"a\rb\"\r2,c\r1,d\r");
    let customers = customer_source("c.csv", id_columns("id"));
    let e = read_customers(&customers, dir.path()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "c.csv, line 5: customer \"1\" already appeared at line 2; each customer must appear once"
    );
}

#[test]
fn text_after_a_closing_quote_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let src = source("t.csv", columns("id", "date", "amount"));
    write(
        dir.path(),
        "t.csv",
        b"id,date,amount\n\"c1\",2024-01-01,1\n\"c2\"x,2024-01-01,1\n",
    );
    for &(bs, w) in SHAPES {
        let e = read_with(&src, dir.path(), far_future(), &opts(bs, w)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv, line 3, column \"id\": expected a value that ends at its closing quote, \
             found \"\\\"c2\\\"x\" (a quoted value must end at its closing quote: put the whole value \
             in quotes and double every quote inside it (\"5\"\" disk\"))",
            "block {bs}, workers {w}"
        );
    }
    // The first pass leaves the bad row out of the latest day (the full read reports it).
    assert_eq!(
        latest_day(&src, dir.path(), None).unwrap(),
        Some(day("2024-01-01"))
    );
    // An earlier bad cell still wins.
    write(
        dir.path(),
        "t.csv",
        b"id,date,amount\nc0,2024-01-01,x\nc1,2024-01-01,\"1\" \n",
    );
    let e = read_with(&src, dir.path(), far_future(), &opts(1 << 20, 2)).unwrap_err();
    assert_eq!(e.location(), Some(&Location::Line(2)));
    write(
        dir.path(),
        "t.csv",
        b"id,date,amount\nc0,2024-01-01,1\nc1,2024-01-01,\"1\" \n",
    );
    let e = read_with(&src, dir.path(), far_future(), &opts(1 << 20, 2)).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("t.csv, line 3, column \"amount\": expected a value that ends"),
        "{e}"
    );
    // In the header.
    write(
        dir.path(),
        "t.csv",
        b"\"id\"x,date,amount\nc1,2024-01-01,1\n",
    );
    let e = check_source(&src, dir.path()).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "t.csv, line 1: header 1 \"\\\"id\\\"x\" has text after its closing quote"
        ),
        "{e}"
    );
    // In the attribute table.
    write(dir.path(), "c.csv", b"id,Note\n1,\"a\"b\n");
    let customers = customer_source("c.csv", id_columns("id"));
    let e = read_customers(&customers, dir.path()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("c.csv, line 2, column \"Note\": expected a value that ends"),
        "{e}"
    );
}

#[test]
fn dates_must_match_the_format_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = source("t.csv", columns("id", "date", "amount"));
    src.date_format = Some("%Y%m%d".into());
    for (bad, why) in [
        (
            "2024115",
            "a number has fewer digits than the date format's field",
        ),
        (
            "2024015",
            "a number has fewer digits than the date format's field",
        ),
        ("+2024015", "a sign (+ or -) is not part of the date format"),
        ("20241105x", "there is more text after the date"),
    ] {
        let text = format!("id,date,amount\nc1,20241105,1\nc2,{bad},1\n");
        write(dir.path(), "t.csv", text.as_bytes());
        // The first pass leaves the bad row out of the latest day; alone, it is the error.
        let latest = latest_day(&src, dir.path(), None).unwrap();
        assert_eq!(latest.map(|d| d.to_string()), Some("2024-11-05".into()));
        let alone = text.replace("c1,20241105,1\n", "\n");
        write(dir.path(), "a.csv", alone.as_bytes());
        let only_bad = TransactionSource {
            path: PathBuf::from("a.csv").into(),
            ..src.clone()
        };
        for message in [
            read_with(&src, dir.path(), far_future(), &opts(1 << 20, 2))
                .unwrap_err()
                .to_string(),
            latest_day(&only_bad, dir.path(), None)
                .unwrap_err()
                .to_string()
                .replace("a.csv", "t.csv"),
        ] {
            assert!(
                message.starts_with(&format!(
                    "t.csv, line 3, column \"date\": expected a date written exactly like \
                     \"20240715\" (date_format \"%Y%m%d\"), found \"{bad}\" ({why}"
                )),
                "{message}"
            );
        }
    }
    src.date_format = Some("%d.%m.%Y".into());
    write(dir.path(), "t.csv", b"id,date,amount\nc1,01.02.24,1\n");
    let e = read_with(&src, dir.path(), far_future(), &opts(1 << 20, 1)).unwrap_err();
    assert!(
        e.to_string()
            .contains("found \"01.02.24\" (a number has fewer digits"),
        "{e}"
    );
    // What the flags say is accepted.
    src.date_format = Some("%-d.%-m.%Y".into());
    write(dir.path(), "t.csv", b"id,date,amount\nc1,1.2.2024,1\n");
    let (c, _) = read_with(&src, dir.path(), far_future(), &opts(1 << 20, 1)).unwrap();
    assert_eq!(c.rows[0].1, day("2024-02-01"));
}

/// A workbook whose transaction and customer sheets have one value far away, at XFD1048576.
fn write_sparse_workbook(path: &Path) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sales = wb.add_worksheet();
    sales.set_name("Sales").unwrap();
    for (c, h) in ["id", "date", "amount"].iter().enumerate() {
        sales.write_string(0, c as u16, *h).unwrap();
    }
    sales.write_string(1, 0, "c1").unwrap();
    sales.write_string(1, 1, "2024-01-05").unwrap();
    sales.write_number(1, 2, 12.5).unwrap();
    sales.write_string(1_048_575, 16_383, "far").unwrap();
    let customers = wb.add_worksheet();
    customers.set_name("Customers").unwrap();
    customers.write_string(0, 0, "id").unwrap();
    customers.write_string(0, 1, "Segment").unwrap();
    customers.write_string(1, 0, "c1").unwrap();
    customers.write_string(1, 1, "Gold").unwrap();
    customers.write_number(1_048_575, 16_383, 7.0).unwrap();
    wb.save(path).unwrap();
}

#[test]
fn a_far_away_cell_costs_one_cell_not_the_sheet() {
    let dir = tempfile::tempdir().unwrap();
    write_sparse_workbook(&dir.path().join("sparse.xlsx"));
    let src = TransactionSource {
        sheet: Some("Sales".into()),
        ..source("sparse.xlsx", columns("id", "date", "amount"))
    };
    check_source(&src, dir.path()).unwrap();
    // The far cell makes row 1048576 a row without a customer id.
    let e = read_transactions(&src, dir.path(), far_future(), Collect::default, None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "sparse.xlsx, sheet \"Sales\", row 1048576, column \"id\": expected a customer id \
         (it must not be empty), found \"\""
    );
    let customers = CustomerSource {
        sheet: Some("Customers".into()),
        ..customer_source("sparse.xlsx", id_columns("id"))
    };
    let e = read_customers(&customers, dir.path()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "sparse.xlsx, sheet \"Customers\", row 1048576: column XFD holds \"7\" but has no \
         header; give it a header"
    );
}

#[test]
fn a_sum_out_of_range_names_the_row_where_it_leaves_it() {
    use crate::metrics::Accumulator;
    let dir = tempfile::tempdir().unwrap();
    let src = source("t.csv", columns("customer_id", "date", "dollar_value"));
    let as_of = day("2024-12-31");
    // The issue's case: two rows of 50,000,000,000,000,000.00 for one customer.
    write(
        dir.path(),
        "t.csv",
        b"customer_id,date,dollar_value\n\
          c1,2024-01-05,50000000000000000.00\n\
          c2,2024-01-05,1.00\n\
          c1,2024-01-06,50000000000000000.00\n\
          c1,2024-01-07,-1.00\n",
    );
    let e = read_transactions(&src, dir.path(), as_of, || Accumulator::new(as_of), None)
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        "t.csv, line 4, column \"dollar_value\": the value 50000000000000000.00 makes the sum of \
         customer \"c1\"'s amounts leave the range powerbase adds exactly \
         (±92,233,720,368,547,758.07); check this value and the customer's other rows for a \
         misplaced decimal point or a wrong column"
    );
    assert_eq!(e.location(), Some(&Location::Line(4)));
    // A sum that leaves the range and comes back is exact and fine.
    write(
        dir.path(),
        "t.csv",
        b"customer_id,date,dollar_value\n\
          c1,2024-01-05,50000000000000000.00\n\
          c1,2024-01-06,50000000000000000.00\n\
          c1,2024-01-07,-50000000000000000.00\n\
          c1,2024-01-07,-49999999999999999.99\n",
    );
    let (acc, _) =
        read_transactions(&src, dir.path(), as_of, || Accumulator::new(as_of), None).unwrap();
    assert_eq!(acc.finish().money("revenue"), [1]);
    // Quantities, in a spreadsheet.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    for (c, h) in ["id", "date", "amount", "units"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=3u32 {
        sheet.write_string(r, 0, "c1").unwrap();
        sheet.write_string(r, 1, "2024-01-05").unwrap();
        sheet.write_number(r, 2, 1.0).unwrap();
        sheet.write_string(r, 3, "5000000000000000000").unwrap();
    }
    wb.save(dir.path().join("q.xlsx")).unwrap();
    let src = source(
        "q.xlsx",
        TransactionColumns {
            quantity: Some("units".into()),
            ..columns("id", "date", "amount")
        },
    );
    let e = read_transactions(&src, dir.path(), as_of, || Accumulator::new(as_of), None)
        .err()
        .unwrap();
    assert!(
        e.to_string().starts_with(
            "q.xlsx, sheet \"Sheet1\", row 3, column \"units\": the value 5000000000000000000 \
             makes the sum of customer \"c1\"'s quantities leave the range powerbase adds exactly \
             (±9,223,372,036,854,775,807)"
        ),
        "{e}"
    );
}

/// Rows given in memory ([`read_rows`]) are read as the same rows in a file are: the same rows
/// pushed, the same counts, the same errors.
#[test]
fn rows_in_memory_read_as_a_file_does() {
    let dir = tempfile::tempdir().unwrap();
    let text = "id,date,amount,cost,qty,product\n A ,2024-01-02,12.30,5,2,x\nB,2024-02-03,-1.5,0,-1,\nA,2024-09-01,1.00,0,1,y\n";
    write(dir.path(), "t.csv", text.as_bytes());
    let src = source("t.csv", full_columns());
    let as_of = day("2024-06-30");
    let (from_file, file_stats) = read_with(&src, dir.path(), as_of, &opts(1 << 20, 1)).unwrap();
    let headers: Vec<String> = ["id", "date", "amount", "cost", "qty", "product"]
        .map(String::from)
        .to_vec();
    let rows: Vec<Vec<String>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let mut sink = Collect::default();
    let stats = read_rows(&src, &headers, &rows, as_of, &mut sink).unwrap();
    assert_eq!(sink.sorted(), from_file);
    assert_eq!(stats, file_stats);
    assert_eq!(stats.excluded_after_as_of, 1);

    let mut bad = rows.clone();
    bad[1][2] = "1.234".to_string();
    let (row, e) = read_rows(&src, &headers, &bad, as_of, &mut Collect::default()).unwrap_err();
    assert_eq!(row, 1);
    let DataError::Cell(c) = e else {
        panic!("a cell error")
    };
    assert_eq!((c.column.as_str(), c.found.as_str()), ("amount", "1.234"));
    assert!(c.expected.contains("at most 2 decimals"), "{}", c.expected);
}

/// Spreadsheet text cells holding German amounts parse with `number_format`; numeric cells stay
/// numbers; a computed amount mixes both (figures worked out by hand in the comments).
#[test]
fn excel_text_cells_under_number_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    for (c, h) in ["Kunde", "Datum", "Betrag", "Menge", "Einzelpreis"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    // (id, serial date, amount cell, quantity, unit price cell); a `None` amount is a number.
    let rows: [(&str, &str, Option<&str>, f64, &str); 3] = [
        ("a", "45306", Some("1.234,50 €"), 2.0, "2,345"), // 2 × 2,345 = 4,69
        ("b", "45306", Some("12,50-"), 3.0, "EUR 0,125"), // 3 × 0,125 = 0,375 -> 0,38
        ("c", "45306", None, 1.0, "1.000,005"),           // 1.000,005 -> 1.000,00 (half-even)
    ];
    for (r, (id, date, amount, qty, price)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, *id).unwrap();
        sheet.write_string(r, 1, *date).unwrap();
        match amount {
            Some(text) => sheet.write_string(r, 2, *text).unwrap(),
            None => sheet.write_number(r, 2, 7.25).unwrap(),
        };
        sheet.write_number(r, 3, *qty).unwrap();
        sheet.write_string(r, 4, *price).unwrap();
    }
    wb.save(dir.path().join("book.xlsx")).unwrap();
    let mut src = TransactionSource {
        date_format: Some(DateFormats::from("excel")),
        number_format: Some(NumberFormat::Spec(NumberFormatSpec {
            locale: Some("de-DE".into()),
            negative: Negative::TrailingMinus,
            ..NumberFormatSpec::default()
        })),
        currency: Some("EUR".into()),
        ..source(
            "book.xlsx",
            TransactionColumns {
                quantity: Some("Menge".into()),
                ..columns("Kunde", "Datum", "Betrag")
            },
        )
    };
    let read = |src: &TransactionSource| {
        let (c, _) =
            read_transactions(src, dir.path(), far_future(), Collect::default, None).unwrap();
        let c = c.sorted();
        c.rows
            .iter()
            .map(|r| (r.0.clone(), r.1.to_string(), r.2))
            .collect::<Vec<_>>()
    };
    let d = "2024-01-15".to_string();
    assert_eq!(
        read(&src),
        vec![
            ("a".into(), d.clone(), 123_450),
            ("b".into(), d.clone(), -1_250),
            ("c".into(), d.clone(), 725),
        ]
    );
    src.columns.amount = "=Menge * Einzelpreis".into();
    assert_eq!(
        read(&src),
        vec![
            ("a".into(), d.clone(), 469),
            ("b".into(), d.clone(), 38),
            ("c".into(), d, 100_000),
        ]
    );
    // Another currency in a text cell names the row and the cell.
    src.currency = Some("CHF".into());
    let e = read_transactions(&src, dir.path(), far_future(), Collect::default, None).unwrap_err();
    assert!(e.to_string().contains("row 3"), "{e}");
    assert!(e.to_string().contains("\"EUR 0,125\""), "{e}");
}

/// A customer master written the German way: numeric attributes read with `number_format`
/// (separators and currency marks), postcodes with a leading zero stay text.
#[test]
fn csv_customers_under_number_format() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "k.csv",
        "Kundennr;Umsatz;Besuche;PLZ\nK-1;1.234,50 €;1.234;01067\nK-2;7,00;12;10115\nK-3;-0,5;3;80331\n"
            .as_bytes(),
    );
    let src = CustomerSource {
        delimiter: Some(';'),
        number_format: Some(NumberFormat::Locale("de-DE".into())),
        currency: Some("EUR".into()),
        ..customer_source("k.csv", id_columns("Kundennr"))
    };
    let t = read_customers(&src, dir.path()).unwrap();
    let col = |n: &str| t.column(n).unwrap().values.clone();
    assert_eq!(
        col("umsatz"),
        AttributeValues::Float(vec![Some(1234.5), Some(7.0), Some(-0.5)])
    );
    assert_eq!(
        col("besuche"),
        AttributeValues::Int(vec![Some(1234), Some(12), Some(3)])
    );
    assert_eq!(
        col("plz"),
        AttributeValues::Text(vec![
            Some("01067".into()),
            Some("10115".into()),
            Some("80331".into())
        ])
    );
    // Without number_format the same file has no numbers.
    let plain = CustomerSource {
        number_format: None,
        ..src
    };
    let t = read_customers(&plain, dir.path()).unwrap();
    assert!(matches!(
        t.column("umsatz").unwrap().values,
        AttributeValues::Text(_)
    ));
}

/// Every bad row of `text` (a three-column file): read with the block size and workers of `o`,
/// the rejects not yet judged.
fn rejects_of(dir: &Path, o: &CsvOptions) -> (LoadStats, super::Rejects) {
    let src = source("t.csv", columns("id", "date", "amount"));
    let (_, stats, _, rejects) = csv_source::read_transactions(
        &src,
        Path::new("t.csv"),
        dir,
        &layout(b','),
        far_future(),
        Collect::default,
        None,
        o,
    )
    .unwrap();
    (stats, rejects)
}

/// The line of each kept reject.
fn reject_lines(r: &super::Rejects) -> Vec<u64> {
    r.rows.iter().map(reject_lines_of).collect()
}

#[test]
fn every_bad_row_is_found_in_one_pass() {
    use super::rejects::{decide, BadRowPolicy, OnBadRows};
    let dir = tempfile::tempdir().unwrap();
    // 3,000 rows; every 7th has a bad amount, every 11th a bad date, every 13th an extra field.
    let mut text = String::from("id,date,amount\n");
    let mut bad_lines = Vec::new();
    let (mut readable_amount_of_bad, mut read) = (0i64, 0u64);
    for i in 1..=3000u64 {
        let line = i + 1;
        read += 1;
        let row = if i % 13 == 0 {
            format!("c{i},2024-01-01,1,extra")
        } else if i % 11 == 0 {
            readable_amount_of_bad += 250;
            format!("c{i},2024-02-30,2.50")
        } else if i % 7 == 0 {
            format!("c{i},2024-01-01,1.234")
        } else {
            format!("c{i},2024-01-01,1")
        };
        if i % 13 == 0 || i % 11 == 0 || i % 7 == 0 {
            bad_lines.push(line);
        }
        text.push_str(&row);
        text.push('\n');
    }
    write(dir.path(), "t.csv", text.as_bytes());
    let src = source("t.csv", columns("id", "date", "amount"));
    let path = src.path.shown();
    for &(bs, w) in &[(64, 3), (1000, 2), (1 << 20, 1), (1 << 20, 4), (7, 4)] {
        let e = read_with(&src, dir.path(), far_future(), &opts(bs, w)).unwrap_err();
        let DataError::BadRows(b) = &e else {
            panic!("{e}")
        };
        assert_eq!(
            reject_lines(&b.rejects),
            bad_lines,
            "block {bs}, workers {w}"
        );
        assert_eq!(b.rejects.total, bad_lines.len() as u64);
        assert_eq!(b.rejects.amount, i128::from(readable_amount_of_bad));
        let message = e.to_string();
        assert!(
            message.starts_with(&format!(
                "t.csv: {} rows cannot be read:\n",
                bad_lines.len()
            )),
            "{message}"
        );
        assert_eq!(
            message.lines().filter(|l| l.starts_with("  line ")).count(),
            20
        );
        assert!(message.contains(&format!("... and {} more", bad_lines.len() - 20)));
        // Quarantined within the limit: the identity read = used + after as-of + rejected.
        let (mut stats, rejects) = rejects_of(dir.path(), &opts(bs, w));
        let lenient = BadRowPolicy::new(&path, OnBadRows::Quarantine, 0.5).unwrap();
        decide(&path, lenient, &mut stats, rejects.clone()).unwrap();
        assert_eq!(stats.rows_read, read);
        assert_eq!(
            stats.rows_read,
            stats.rows_used + stats.excluded_after_as_of + stats.rejected.total
        );
        // Beyond max_rejected: the commonest problem per column.
        let strict = BadRowPolicy::new(&path, OnBadRows::Quarantine, 0.01).unwrap();
        let mut stats2 = LoadStats {
            rows_read: read,
            ..LoadStats::default()
        };
        let e = decide(&path, strict, &mut stats2, rejects).unwrap_err();
        let message = e.to_string();
        assert!(message.contains("systematic problem"), "{message}");
        assert!(
            message.contains("column \"amount\": a bad amount in "),
            "{message}"
        );
        let field_count = (1..=3000).filter(|i| i % 13 == 0).count();
        assert!(
            message.contains(&format!(
                "the whole row: the wrong number of fields in {field_count} rows"
            )),
            "{message}"
        );
    }
    assert!(BadRowPolicy::new(&path, OnBadRows::Quarantine, 1.5).is_err());
}

#[test]
fn the_first_ten_thousand_bad_rows_are_kept_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    // 13,000 rows, every row but each 4th with a bad date: 9,750 bad rows in the first 13,000,
    // so the cap of 10,000 falls in the tail; a second part of good and bad rows after it.
    let mut text = String::from("id,date,amount\n");
    let mut bad_lines = Vec::new();
    for i in 1..=14_000u64 {
        if i % 4 == 0 {
            text.push_str(&format!("c{i},2024-01-01,1\n"));
        } else {
            text.push_str(&format!("c{i},2024-13-01,1\n"));
            bad_lines.push(i + 1);
        }
    }
    write(dir.path(), "t.csv", text.as_bytes());
    let expected: Vec<u64> = bad_lines.iter().copied().take(super::KEEP).collect();
    for &(bs, w) in &[(4096, 4), (100_000, 3), (1 << 20, 1), (333, 2)] {
        let (stats, r) = rejects_of(dir.path(), &opts(bs, w));
        assert_eq!(r.total, bad_lines.len() as u64, "block {bs}, workers {w}");
        assert_eq!(r.rows.len(), super::KEEP);
        assert_eq!(reject_lines(&r), expected, "block {bs}, workers {w}");
        assert!(!r.complete());
        assert_eq!(stats.rows_read, 14_000);
        // Every amount of 1.00 was readable.
        assert_eq!(r.amount, 100 * bad_lines.len() as i128);
        // Asking for all keeps all.
        let all = CsvOptions {
            keep_rejects: usize::MAX,
            ..opts(bs, w)
        };
        let (_, r) = rejects_of(dir.path(), &all);
        assert_eq!(reject_lines(&r), bad_lines);
        assert!(r.complete());
    }
}

#[test]
fn rejects_across_files_keep_file_order() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.csv",
        b"id,date,amount\nA,2024-01-01,x\nB,2024-01-01,1\n",
    );
    write(
        dir.path(),
        "b.csv",
        b"id,date,amount\nC,bad,2\nD,2024-01-01,1,9\n",
    );
    let mut src = source("*.csv", columns("id", "date", "amount"));
    src.path = super::DataPath::One("*.csv".into());
    src.on_bad_rows = super::OnBadRows::Quarantine;
    src.max_rejected = Some(super::Share(1.0));
    let (_, stats) =
        super::read_transactions(&src, dir.path(), far_future(), Collect::default, None).unwrap();
    let r = &stats.rejected;
    let found: Vec<(String, u64)> = r
        .rows
        .iter()
        .map(|x| (x.file.display().to_string(), reject_lines_of(x)))
        .collect();
    assert_eq!(
        found,
        [
            ("a.csv".into(), 2),
            ("b.csv".into(), 2),
            ("b.csv".into(), 3)
        ]
    );
    assert_eq!(stats.rows_read, 4);
    assert_eq!(stats.rows_used, 1);
    assert_eq!(r.amount, 200); // C's amount; A's is bad, D's row has the wrong field count
    assert_eq!(r.rows[2].record, "D,2024-01-01,1,9");
}

/// The line of a reject.
fn reject_lines_of(r: &super::Rejected) -> u64 {
    match r.location {
        Location::Line(l) => l,
        _ => 0,
    }
}

#[test]
fn every_bad_row_of_the_customer_master_is_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "c.csv",
        b"id,Segment\n001,Gold\n,Silver\n003,Gold,extra\n004,Bronze\n\"005\"x,Gold\n006,\"a\"b\n",
    );
    let mut map = BTreeMap::new();
    map.insert("customer_id".to_string(), "id".to_string());
    let src = CustomerSource {
        path: PathBuf::from("c.csv").into(),
        columns: map,
        sheet: None,
        delimiter: Some(','),
        number_format: None,
        currency: None,
        encoding: Default::default(),
        header_row: None,
        skip_rows: None,
        skip_footer: 0,
        id_normalise: None,
    };
    let e = read_customers(&src, dir.path()).unwrap_err();
    let DataError::BadRows(b) = &e else {
        panic!("{e}")
    };
    assert_eq!(reject_lines(&b.rejects), [3, 4, 6, 7]);
    assert_eq!(b.rejects.rows[1].record, "003,Gold,extra");
    assert!(e
        .to_string()
        .starts_with("c.csv: 4 rows cannot be read:\n  line 3, column \"id\""));
    // One bad row alone keeps its own message.
    write(dir.path(), "c.csv", b"id,Segment\n001,Gold\n002,Gold,x\n");
    let e = read_customers(&src, dir.path()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "c.csv, line 3: expected 2 fields like the header, found 3 (an unquoted delimiter inside a value?)"
    );
}

#[test]
fn spreadsheet_rows_are_quarantined_with_their_sheet_and_row() {
    let dir = tempfile::tempdir().unwrap();
    write_workbook(&dir.path().join("book.xlsx"));
    let mut src = excel_source(Some("Bad"));
    src.on_bad_rows = super::OnBadRows::Quarantine;
    src.max_rejected = Some(super::Share(1.0));
    let (c, stats) =
        read_transactions(&src, dir.path(), far_future(), Collect::default, None).unwrap();
    assert!(c.rows.is_empty());
    let r = &stats.rejected;
    assert_eq!(r.total, 1);
    assert_eq!(
        r.rows[0].location,
        Location::Row {
            sheet: "Bad".into(),
            row: 2
        }
    );
    assert_eq!(r.rows[0].column.as_deref(), Some("Net"));
    assert!(
        r.rows[0].record.starts_with("A,2024-01-01,"),
        "{}",
        r.rows[0].record
    );
    assert_eq!(r.amount, 0); // the bad cell is the amount
    assert_eq!(
        stats.rows_read,
        stats.rows_used + stats.excluded_after_as_of + r.total
    );
}
