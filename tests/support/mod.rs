//! Helpers for the integration tests: workspaces in temporary folders, the binary and its
//! commands, the outputs read back, and figures worked out independently of powerbase (money in
//! cents, day numbers, thousands separators). `charts` holds the sample report data of the PDF
//! tests.

#![allow(dead_code)]

pub mod charts;
pub mod pdf;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The real CDNOW transactions shipped with the example workspace.
pub fn cdnow_csv() -> PathBuf {
    repo().join("examples/cdnow/data/transactions.csv")
}

/// The `powerbase` binary.
pub fn powerbase() -> Command {
    let mut cmd = Command::cargo_bin("powerbase").expect("the binary is built");
    cmd.env_remove("RAYON_NUM_THREADS");
    cmd
}

/// Copies a folder recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "out" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A temporary workspace: `powerbase.yaml` with the given text, `data/transactions.csv` with the
/// given CSV (or the real CDNOW data when `None`), plus extra files (path, text).
pub fn workspace(policy: &str, csv: Option<&str>, extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("powerbase.yaml"), policy).unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    match csv {
        Some(text) => std::fs::write(dir.path().join("data/transactions.csv"), text).unwrap(),
        None => {
            std::fs::copy(cdnow_csv(), dir.path().join("data/transactions.csv")).unwrap();
        }
    }
    for (path, text) in extra {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// Runs `powerbase COMMAND DIR ARGS...` and returns its output, whatever the exit status.
pub fn command(command: &str, dir: &Path, args: &[&str]) -> Output {
    powerbase()
        .arg(command)
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

/// Runs `powerbase COMMAND DIR ARGS...` and returns the output, asserting success.
pub fn command_ok(command_name: &str, dir: &Path, args: &[&str]) -> Output {
    let out = command(command_name, dir, args);
    assert!(
        out.status.success(),
        "powerbase {command_name} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `powerbase COMMAND DIR ARGS...` expecting failure; returns stderr.
pub fn command_err(command_name: &str, dir: &Path, args: &[&str]) -> String {
    let out = command(command_name, dir, args);
    assert!(
        !out.status.success(),
        "powerbase {command_name} should have failed"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `powerbase run DIR` and returns the output, asserting success.
pub fn run_ok(dir: &Path, args: &[&str]) -> Output {
    command_ok("run", dir, args)
}

/// Runs `powerbase run DIR` expecting failure; returns stderr.
pub fn run_err(dir: &Path, args: &[&str]) -> String {
    command_err("run", dir, args)
}

/// Runs `powerbase check DIR` and returns the output, asserting success.
pub fn check_ok(dir: &Path) -> Output {
    command_ok("check", dir, &[])
}

/// Runs `powerbase check DIR` expecting failure; returns stderr.
pub fn check_err(dir: &Path) -> String {
    command_err("check", dir, &[])
}

/// Runs `powerbase run DIR --out T/out --no-provenance` for a new temporary folder T, asserting
/// success, and returns T: the workspace (an example of the repository, say) is not written to,
/// and [`customers`], [`summary`] and [`report`] read T's outputs.
pub fn run_elsewhere(dir: &Path) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    run_ok(dir, &["--out", &out_arg(out.path()), "--no-provenance"]);
    out
}

/// `DIR/out` as an argument of `--out`.
pub fn out_arg(dir: &Path) -> String {
    dir.join("out").display().to_string()
}

/// The rows of `out/customers.csv` as maps from header to value.
pub fn customers(dir: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    read_csv(&dir.join("out/customers.csv"))
}

/// The names in a folder, sorted, hidden ones included.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The rows of a CSV file as maps from header to value.
pub fn read_csv(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    rows_of(&std::fs::read(path).unwrap(), b',')
}

/// The rows of CSV text separated by `delimiter` as maps from header to value.
pub fn rows_of(text: &[u8], delimiter: u8) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(text);
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// `out/summary.json`.
pub fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("out/summary.json")).unwrap()).unwrap()
}

/// `out/report.md`.
pub fn report(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("out/report.md")).unwrap()
}

/// Cents of money written plainly, as the outputs and the CDNOW rows write it: `12.34`, `-0.50`,
/// `7` or `0.5` (at most two decimals), parsed here, not by powerbase.
pub fn cents(text: &str) -> i64 {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(d) => (-1, d),
        None => (1, text),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    assert!(frac.len() <= 2, "at most two decimals in {text}");
    sign * (whole.parse::<i64>().unwrap() * 100 + format!("{frac:0<2}").parse::<i64>().unwrap())
}

/// Money in `summary.json` in cents, exact: serde_json keeps the number's text.
pub fn json_cents(v: &serde_json::Value) -> i64 {
    match v {
        serde_json::Value::Number(n) => cents(&n.to_string()),
        other => panic!("money as a JSON number, got {other}"),
    }
}

/// The digits of `n` in groups of three joined by `separator` (`1,234,567` with `,`), after the
/// sign of a negative number.
pub fn grouped(n: impl std::fmt::Display, separator: char) -> String {
    let text = n.to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", text.as_str()),
    };
    let mut out = String::from(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// A whole number as the report writes counts: `23,570`.
pub fn thousands(n: impl std::fmt::Display) -> String {
    grouped(n, ',')
}

/// Days since 1970-01-01 of a calendar date (the civil-from-days inverse, Howard Hinnant's
/// algorithm), worked out here, not by powerbase.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// Days since 1970-01-01 of an ISO date (`2024-12-31`).
pub fn iso_day(iso: &str) -> i64 {
    let p: Vec<i64> = iso.split('-').map(|x| x.parse().unwrap()).collect();
    days_from_civil(p[0], p[1], p[2])
}

/// Per CDNOW customer: (revenue in cents, purchase days) straight from the raw rows dated up to
/// `until` (YYYYMMDD, inclusive), parsed independently of powerbase. Refunds lower revenue but are
/// not purchase days.
pub fn raw_cdnow_until(until: &str) -> std::collections::BTreeMap<String, (i64, usize)> {
    use std::collections::{BTreeMap, BTreeSet};
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    let mut acc: BTreeMap<String, (i64, BTreeSet<String>)> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[1] > until {
            continue;
        }
        let c = cents(f[3]);
        let e = acc.entry(f[0].to_string()).or_default();
        e.0 += c;
        if c >= 0 {
            e.1.insert(f[1].to_string());
        }
    }
    acc.into_iter()
        .map(|(id, (r, d))| (id, (r, d.len())))
        .collect()
}

/// The minimal policy from the spine issue, exactly as written there.
pub const MINIMAL: &str = r#"client: CDNOW
currency: USD
as_of: 1998-06-30
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: customer_id, date: date, amount: dollar_value, quantity: number_of_cds }
    date_format: "%Y%m%d"
metrics:
  value: revenue * 2
tiers:
  - name: First
    when: revenue >= 500
  - name: Business
    when: revenue >= 100 || orders >= 5
  - name: Economy
"#;

/// The roll-up of a customer table to accounts, worked out independently of powerbase: a customer
/// whose `parent_id` names another row of the table belongs to that account, every other customer
/// is its own account; an account's attributes are the parent's own row (else its first
/// customer's, in file order), with `customer_id` set to the account id. Returns (customer id ->
/// account id, account id -> attribute row).
#[allow(clippy::type_complexity)]
pub fn roll_up(
    customers_csv: &Path,
) -> (
    std::collections::BTreeMap<String, String>,
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
) {
    use std::collections::{BTreeMap, BTreeSet};
    let rows = read_csv(customers_csv);
    let known: BTreeSet<&str> = rows.iter().map(|a| a["customer_id"].as_str()).collect();
    let mut account_of = BTreeMap::new();
    for a in &rows {
        let id = &a["customer_id"];
        let parent = a.get("parent_id").map(String::as_str).unwrap_or("");
        let account = if !parent.is_empty() && parent != id && known.contains(parent) {
            parent.to_string()
        } else {
            id.clone()
        };
        account_of.insert(id.clone(), account);
    }
    let mut attributes: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for a in &rows {
        let account = account_of[&a["customer_id"]].clone();
        let own = a["customer_id"] == account;
        if own || !attributes.contains_key(&account) {
            let mut row = a.clone();
            row.insert("customer_id".into(), account.clone());
            attributes.insert(account, row);
        }
    }
    (account_of, attributes)
}
