//! Helpers for the integration tests: workspaces in temporary folders, the binary, outputs.
//! `charts` holds the sample report data of the PDF tests.

#![allow(dead_code)]

pub mod charts;

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

/// Runs `powerbase run DIR` and returns the output, asserting success.
pub fn run_ok(dir: &Path, args: &[&str]) -> Output {
    let out = powerbase().arg("run").arg(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "powerbase run failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `powerbase run DIR` expecting failure; returns stderr.
pub fn run_err(dir: &Path, args: &[&str]) -> String {
    let out = powerbase().arg("run").arg(dir).args(args).output().unwrap();
    assert!(!out.status.success(), "powerbase run should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The rows of `out/customers.csv` as maps from header to value.
pub fn customers(dir: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    read_csv(&dir.join("out/customers.csv"))
}

/// The rows of a CSV file as maps from header to value.
pub fn read_csv(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
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
        let (whole, cents) = f[3].split_once('.').unwrap();
        let c: i64 = whole.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap();
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
