//! The European client example (`examples/cdnow-de`, issue "Real client exports"): CDNOW's real
//! purchases as a German ERP writes them (18 monthly Windows-1252 files, `;`, decimal comma, title
//! and "Summe" lines) with a CRM customer master (UTF-8 with a BOM, `K-` ids, a quoted remark with
//! `;` and a line break). Every customer's figures must equal sums computed here from the plain
//! rows of `examples/cdnow/data/transactions.csv`, and the figures of the `examples/cdnow` run; the
//! run must say how it read each file and how the master joined.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value as Json;
use support::*;

type Row = BTreeMap<String, String>;

/// As of the examples' `as_of`, as CDNOW writes dates.
const AS_OF: &str = "19980630";

fn example(name: &str) -> PathBuf {
    repo().join("examples").join(name)
}

/// `powerbase ARGS`, asserting success and an empty standard error; returns standard output.
fn quiet(args: &[&std::ffi::OsStr]) -> String {
    let out = powerbase().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "powerbase {args:?}: {stderr}"
    );
    String::from_utf8(out.stdout).unwrap()
}

/// An example run into a temporary folder (`out/`), with what the run printed.
struct Ran {
    dir: tempfile::TempDir,
    stdout: String,
}

/// `check`, `test` and `run` on an example, each without a word on standard error.
fn check_test_run(name: &str) -> Ran {
    let ws = example(name);
    quiet(&["check".as_ref(), ws.as_ref()]);
    quiet(&["test".as_ref(), ws.as_ref()]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let stdout = quiet(&[
        "run".as_ref(),
        ws.as_ref(),
        "--out".as_ref(),
        out.as_ref(),
        "--no-provenance".as_ref(),
    ]);
    Ran { dir, stdout }
}

fn german() -> &'static Ran {
    static RAN: OnceLock<Ran> = OnceLock::new();
    RAN.get_or_init(|| check_test_run("cdnow-de"))
}

fn plain() -> &'static Ran {
    static RAN: OnceLock<Ran> = OnceLock::new();
    RAN.get_or_init(|| check_test_run("cdnow"))
}

/// One customer, summed here from the plain CDNOW rows.
#[derive(Default, Debug)]
struct Expected {
    revenue: i64,
    orders: u64,
    quantity: i64,
    days: std::collections::BTreeSet<String>,
}

/// The plain rows (`customer_id,date,number_of_cds,dollar_value`) up to the as-of date.
fn plain_rows() -> Vec<[String; 4]> {
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("customer_id,date,number_of_cds,dollar_value")
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4, "{l}");
            [f[0], f[1], f[2], f[3]].map(str::to_string)
        })
        .filter(|f| f[1].as_str() <= AS_OF)
        .collect()
}

/// Cents of `12.34`, `0.5` or `7`.
fn cents(text: &str) -> i64 {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(d) => (-1, d),
        None => (1, text),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    assert!(frac.len() <= 2, "{text}");
    let frac: i64 = format!("{frac:0<2}").parse().unwrap();
    sign * (whole.parse::<i64>().unwrap() * 100 + frac)
}

/// `19970101` as `1997-01-01`.
fn iso(d: &str) -> String {
    format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..])
}

/// Per customer id: the sums of their plain rows (an order is a row of zero or more).
fn expected() -> BTreeMap<String, Expected> {
    let mut out: BTreeMap<String, Expected> = BTreeMap::new();
    for [id, date, qty, amount] in plain_rows() {
        let e = out.entry(id).or_default();
        let c = cents(&amount);
        e.revenue += c;
        e.quantity += qty.parse::<i64>().unwrap();
        if c >= 0 {
            e.orders += 1;
            e.days.insert(date);
        }
    }
    out
}

/// `builtin/airline-classes` by revenue, computed here in exact cents: customers by revenue,
/// largest first, ties by id; First while the running total is at most half the total revenue,
/// Business while at most 80%, then Economy.
fn airline_tiers(expected: &BTreeMap<String, Expected>) -> BTreeMap<String, &'static str> {
    let total: i64 = expected.values().map(|e| e.revenue).sum();
    let mut ranked: Vec<(&String, i64)> = expected.iter().map(|(id, e)| (id, e.revenue)).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut running = 0i64;
    ranked
        .into_iter()
        .map(|(id, revenue)| {
            running += revenue;
            let tier = if running * 2 <= total {
                "First"
            } else if running * 10 <= total * 8 {
                "Business"
            } else {
                "Economy"
            };
            (id.clone(), tier)
        })
        .collect()
}

/// customers.csv of a run, by customer id.
fn by_id(ran: &Ran) -> BTreeMap<String, Row> {
    customers(ran.dir.path())
        .into_iter()
        .map(|r| (r["customer_id"].clone(), r))
        .collect()
}

/// The customer master `kunden.csv` as a plain CSV reader reads it: BOM removed, `;`, quoted
/// fields whole (line breaks included).
fn master() -> Vec<Row> {
    let bytes = std::fs::read(example("cdnow-de").join("data/kunden.csv")).unwrap();
    let text = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("kunden.csv starts with a UTF-8 byte-order mark");
    rows_of(text, b';')
}

#[test]
fn every_customer_has_the_figures_of_the_plain_rows_and_of_the_plain_run() {
    let expected = expected();
    let tiers = airline_tiers(&expected);
    let de = by_id(german());
    let plain_out = by_id(plain());
    assert_eq!(
        de.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    let as_of = iso(AS_OF);
    for (id, e) in &expected {
        let row = &de[id];
        assert_eq!(cents(&row["revenue"]), e.revenue, "{id} revenue");
        assert_eq!(row["orders"], e.orders.to_string(), "{id} orders");
        assert_eq!(row["quantity"], e.quantity.to_string(), "{id} quantity");
        assert_eq!(row["purchase_days"], e.days.len().to_string(), "{id}");
        assert_eq!(row["frequency"], (e.days.len() - 1).to_string(), "{id}");
        assert_eq!(row["first_purchase"], iso(e.days.first().unwrap()), "{id}");
        assert_eq!(row["last_purchase"], iso(e.days.last().unwrap()), "{id}");
        assert!(row["last_purchase"] <= as_of, "{id}");
        assert_eq!(row["tier"], tiers[id], "{id} tier");
        // The same figures as the run on the plain file (whose tiers follow its own rules).
        for column in [
            "orders",
            "purchase_days",
            "frequency",
            "revenue",
            "revenue_12m",
            "quantity",
            "first_purchase",
            "last_purchase",
            "recency_days",
            "tenure_days",
            "avg_order_value",
            "r_score",
            "f_score",
            "m_score",
            "cum_revenue_share",
            "rfm_segment",
        ] {
            assert_eq!(row[column], plain_out[id][column], "{id} {column}");
        }
    }
    assert!(
        ["First", "Business", "Economy"]
            .iter()
            .all(|t| tiers.values().any(|x| x == t)),
        "every tier holds customers"
    );
    let total: i64 = expected.values().map(|e| e.revenue).sum();
    let summary = summary(german().dir.path());
    let json_cents = |v: &Json| (v.as_f64().unwrap() * 100.0).round() as i64;
    assert_eq!(json_cents(&summary["total_revenue"]), total);
    assert_eq!(
        summary["total_revenue"],
        support::summary(plain().dir.path())["total_revenue"]
    );
    assert_eq!(summary["transactions"]["read"], plain_rows().len());
    assert_eq!(summary["transactions"]["used"], plain_rows().len());
}

/// The monthly files in `examples/cdnow-de/data`, in name order, as the run names them.
fn monthly_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(example("cdnow-de").join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("umsatz-"))
        .map(|n| format!("data/{n}"))
        .collect();
    names.sort();
    names
}

#[test]
fn the_sources_say_how_each_file_was_read() {
    let summary = summary(german().dir.path());
    let sources = summary["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2, "{sources:?}");
    let (tx, master_src) = (&sources[0], &sources[1]);
    assert_eq!(tx["role"], "transactions");
    assert_eq!(tx["path"], "data/umsatz-*.csv");
    let files = tx["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let expected_files = monthly_files();
    assert_eq!(expected_files.len(), 18);
    assert_eq!(paths, expected_files);
    // Rows per file: the plain rows of that month.
    let mut per_month: BTreeMap<String, u64> = BTreeMap::new();
    for [_, date, ..] in plain_rows() {
        *per_month
            .entry(format!("data/umsatz-{}-{}.csv", &date[..4], &date[4..6]))
            .or_default() += 1;
    }
    for f in files {
        let path = f["path"].as_str().unwrap();
        assert_eq!(f["delimiter"], ";", "{path}");
        assert_eq!(f["delimiter_sniffed"], false, "{path}");
        assert_eq!(f["encoding"], "windows-1252", "{path}");
        assert_eq!((&f["skip_rows"], &f["header_row"]), (&1.into(), &2.into()));
        assert_eq!(f["rows_read"], per_month[path], "{path}");
        // The totals line is the file's last line, left out, and the run says so.
        let text = std::fs::read(example("cdnow-de").join(path)).unwrap();
        let last = text
            .trim_ascii_end()
            .rsplit(|&b| b == b'\n')
            .next()
            .unwrap();
        let last = String::from_utf8(last.trim_ascii().to_vec()).unwrap();
        assert!(last.starts_with("Summe;"), "{path}: {last}");
        let lines = text.trim_ascii_end().split(|&b| b == b'\n').count();
        assert_eq!(f["totals_line"]["line"], lines, "{path}");
        assert_eq!(f["totals_line"]["text"], last.as_str(), "{path}");
        let said = format!(
            "data: transactions {path}: encoding windows-1252, 1 title line skipped, totals line {lines} left out ({last:?}), {} rows",
            per_month[path]
        );
        assert!(
            german().stdout.contains(&said),
            "{said}\n{}",
            german().stdout
        );
    }
    // The master: `;` sniffed, UTF-8 (its byte-order mark skipped).
    assert_eq!(master_src["role"], "customers");
    let m = &master_src["files"][0];
    assert_eq!(m["path"], "data/kunden.csv");
    assert_eq!(
        (&m["delimiter"], &m["delimiter_sniffed"]),
        (&";".into(), &true.into())
    );
    assert_eq!(m["encoding"], "utf-8");
    assert_eq!(m["rows_read"], master().len());
    assert!(german()
        .stdout
        .contains("data: customers data/kunden.csv: delimiter ; (sniffed)\n"));
}

#[test]
fn every_customer_joins_its_master_row_after_the_prefix_is_removed() {
    let master = master();
    let summary = summary(german().dir.path());
    let join = &summary["customer_join"];
    let n = master.len();
    assert_eq!(n, expected().len(), "one master row per customer");
    assert_eq!(join["master_file"], "data/kunden.csv");
    assert_eq!(join["master_rows"], n);
    assert_eq!(join["customers"], n);
    assert_eq!(join["matched"], n);
    assert_eq!(join["master_without_transactions"]["count"], 0);
    assert_eq!(join["transactions_without_master"]["count"], 0);
    assert_eq!(join["merged_ids"]["count"], 0);
    assert_eq!(join["id_normalise"], "prefix \"K-\" removed");
    assert!(join["warning"].is_null(), "{join}");
    // The example's `report.locale: de-DE` groups the terminal's counts with `.`.
    assert!(german().stdout.contains(&format!(
        "customer master data/kunden.csv: {0} of {0} customers matched, ids normalised (prefix \"K-\" removed)",
        grouped(n, '.')
    )));
    // Every master row's attributes reached its customer, the quoted remark whole.
    let out = by_id(german());
    let mut joined = 0;
    let mut remarks = 0;
    for m in &master {
        let id = m["Kundennummer"].strip_prefix("K-").expect("K- ids");
        let row = &out[id];
        assert_eq!(row["kohorte"], m["Kohorte"], "{id}");
        assert_eq!(row["erstkauf"], m["Erstkauf"], "{id}");
        assert_eq!(row["bemerkung"], m["Bemerkung"], "{id}");
        joined += usize::from(!row["kohorte"].is_empty());
        if m["Bemerkung"].contains(';') && m["Bemerkung"].contains('\n') {
            remarks += 1;
            assert_eq!(
                cents(&row["revenue"]),
                0,
                "{id}: the remark is for zero revenue"
            );
        }
    }
    assert_eq!(joined, n);
    assert!(
        remarks > 0,
        "the master has a quoted remark with `;` and a line break"
    );
}

#[test]
fn without_id_normalise_the_run_warns_and_suggests_the_prefix() {
    let (dir, out) = run_changed("powerbase.yaml", |bytes| {
        let policy = String::from_utf8(bytes).unwrap();
        let without: String = policy
            .lines()
            .filter(|l| !l.trim_start().starts_with("id_normalise:"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(without.lines().count() + 1, policy.lines().count());
        without.into_bytes()
    });
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    // Examples from both files: the first ids of each, as the files write them.
    let ids: Vec<String> = expected().keys().take(5).cloned().collect();
    let master_ids: Vec<String> = master()
        .iter()
        .take(5)
        .map(|m| m["Kundennummer"].clone())
        .collect();
    let quoted = |ids: &[String]| {
        ids.iter()
            .map(|i| format!("{i:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let n = expected().len();
    for part in [
        format!("warning: only 0 of the {n} customers with transactions have a row in the customer master data/kunden.csv"),
        format!("ids in the transactions look like {}", quoted(&ids)),
        format!("in the master like {}", quoted(&master_ids)),
        format!("with `id_normalise: {{ prefix: \"K-\" }}` in data.customers, {n} of the {n} customers would match"),
    ] {
        assert!(stderr.contains(&part), "{part}\nnot in\n{stderr}");
    }
    assert!(master_ids.iter().all(|i| i.starts_with("K-")));
    let summary: Json =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/summary.json")).unwrap())
            .unwrap();
    let warning = summary["customer_join"]["warning"].as_str().unwrap();
    assert!(warning.contains("prefix: \"K-\""), "{warning}");
    assert_eq!(summary["customer_join"]["matched"], 0);
}

#[test]
fn the_shipped_data_is_what_make_data_py_writes() {
    let dir = tempfile::tempdir().unwrap();
    let script = example("cdnow-de").join("make-data.py");
    let status = std::process::Command::new("python3")
        .arg(&script)
        .arg(dir.path())
        .status()
        .expect("python3 runs examples/cdnow-de/make-data.py");
    assert!(status.success());
    let listing = |d: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    let shipped = example("cdnow-de").join("data");
    assert_eq!(listing(dir.path()), listing(&shipped));
    for name in listing(&shipped) {
        assert!(
            std::fs::read(dir.path().join(&name)).unwrap()
                == std::fs::read(shipped.join(&name)).unwrap(),
            "examples/cdnow-de/data/{name} differs from make-data.py's output; run python3 examples/cdnow-de/make-data.py"
        );
    }
}

/// `run` on a copy of the German example (in `ws/` of the returned folder, writing `out/`)
/// after `change` rewrote its file `file`.
fn run_changed(
    file: &str,
    change: impl FnOnce(Vec<u8>) -> Vec<u8>,
) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    copy_dir(&example("cdnow-de"), &ws);
    let path = ws.join(file);
    std::fs::write(&path, change(std::fs::read(&path).unwrap())).unwrap();
    let out = powerbase()
        .arg("run")
        .arg(&ws)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    (dir, out)
}

/// A copy of the German example with `file` changed by `damage`; the failed run's standard error.
fn run_damaged(file: &str, damage: impl FnOnce(Vec<u8>) -> Vec<u8>) -> String {
    let (dir, out) = run_changed(file, damage);
    assert!(!out.status.success());
    assert!(
        !dir.path().join("out").exists(),
        "a failed run wrote nothing"
    );
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn a_bad_cell_in_a_windows_1252_file_is_shown_decoded_under_a_caret() {
    // Line 4 of February (title, header, two rows before it): its quantity becomes "1ä", the
    // byte 0xE4 in Windows-1252.
    let stderr = run_damaged("data/umsatz-1997-02.csv", |bytes| {
        let mut lines: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        let mut fields: Vec<Vec<u8>> = lines[3].split(|&b| b == b';').map(<[u8]>::to_vec).collect();
        fields[2] = b"1\xE4".to_vec();
        lines[3] = fields.join(&b';');
        lines.join(&b'\n')
    });
    let original = std::fs::read(example("cdnow-de").join("data/umsatz-1997-02.csv")).unwrap();
    let line4 =
        String::from_utf8(original.split(|&b| b == b'\n').nth(3).unwrap().to_vec()).unwrap();
    let fields: Vec<&str> = line4.trim_end_matches('\r').split(';').collect();
    let shown = format!("{};{};1ä;{}", fields[0], fields[1], fields[3]);
    let column = fields[0].chars().count() + fields[1].chars().count() + 3;
    for part in [
        format!("--> data/umsatz-1997-02.csv:4:{column}\n"),
        format!("4 | {shown}\n"),
        format!("  | {}^^\n", " ".repeat(column - 1)),
        "column \"Stückzahl\"".to_string(),
        "found \"1ä\"".to_string(),
    ] {
        assert!(stderr.contains(&part), "{part:?} not in\n{stderr}");
    }
    assert!(!stderr.contains('\u{FFFD}'), "{stderr}");
}

#[test]
fn bytes_that_are_not_utf8_in_the_master_are_named_not_replaced() {
    let mut line = 0;
    let stderr = run_damaged("data/kunden.csv", |bytes| {
        let at = bytes.windows(7).position(|w| w == b"K-00009").unwrap();
        line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        [&bytes[..at + 1], b"\xE4", &bytes[at + 1..]].concat()
    });
    for part in [
        "found \"K<E4>-00009\"".to_string(),
        "set `encoding: windows-1252`".to_string(),
        format!("--> data/kunden.csv:{line}:1\n"),
        format!("{line} | K<E4>-00009;"),
    ] {
        assert!(stderr.contains(&part), "{part:?} not in\n{stderr}");
    }
    assert!(!stderr.contains('\u{FFFD}'), "{stderr}");
    // The master cannot set rows aside: no advice to quarantine them.
    assert!(!stderr.contains("on_bad_rows"), "{stderr}");
}
