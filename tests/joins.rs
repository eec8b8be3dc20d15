//! The join of the customer master with the transactions: on the real CDNOW rows with a master
//! written here whose ids carry a `K-` prefix (some also without their leading zeros, some
//! customers missing, some extra rows) and a few transaction rows written `K-00123` too. Without
//! `id_normalise` the run warns and suggests the prefix; with it every attribute joins. Every count
//! and example is computed here from the raw CSV rows. Also: arithmetic on an attribute a customer
//! does not have is an error naming the rule's file and line at `check`.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use support::*;

const POLICY: &str = r#"client: Joins
currency: USD
as_of: 1998-06-30
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: customer_id, date: date, amount: dollar_value }
    date_format: "%Y%m%d"
  customers:
    path: data/customers.csv
    columns: { customer_id: Kundennummer }
tiers:
  - { name: Big, when: revenue >= 300 }
  - { name: Rest }
"#;

/// The CDNOW rows (customer id, the rest of the line), some ids rewritten `K-<id>`: every second
/// row of every 97th customer (by first appearance), so those customers come under two raw ids.
fn transactions() -> (String, Vec<(String, String)>) {
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    // Per customer: its index by first appearance and the rows seen so far.
    let mut seen: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let rows = lines
        .map(|l| {
            let (id, rest) = l.split_once(',').unwrap();
            let n = seen.len();
            let (k, count) = seen.entry(id.to_string()).or_insert((n, 0));
            *count += 1;
            let id = if *k % 97 == 5 && *count % 2 == 0 {
                format!("K-{id}")
            } else {
                id.to_string()
            };
            (id, rest.to_string())
        })
        .collect();
    (header, rows)
}

fn csv(header: &str, rows: &[(String, String)]) -> String {
    let mut out = format!("{header}\n");
    for (id, rest) in rows {
        out.push_str(&format!("{id},{rest}\n"));
    }
    out
}

/// The master: every customer but each 10th, as `K-<id>` (each 7th without its leading zeros),
/// plus 12 customers who never bought; `segment` is the customer's index modulo 3.
fn master(ids: &[String]) -> (String, BTreeMap<String, i64>) {
    let mut text = String::from("Kundennummer;segment\n");
    let mut segments = BTreeMap::new();
    for (k, id) in ids.iter().enumerate() {
        if k % 10 == 3 {
            continue;
        }
        let written = if k % 7 == 2 {
            format!("K-{}", id.trim_start_matches('0'))
        } else {
            format!("K-{id}")
        };
        text.push_str(&format!("{written};{}\n", k % 3));
        segments.insert(written, (k % 3) as i64);
    }
    for extra in 0..12 {
        let written = format!("K-9{extra:04}");
        text.push_str(&format!("{written};1\n"));
        segments.insert(written, 1);
    }
    (text.replace(';', ","), segments)
}

/// The test's own id rule: `K-` removed, then leading zeros (at least one digit kept).
fn normalised(id: &str, strip_zeros: bool) -> String {
    let id = id
        .strip_prefix("K-")
        .filter(|r| !r.is_empty())
        .unwrap_or(id);
    if !strip_zeros {
        return id.to_string();
    }
    let t = id.trim_start_matches('0');
    if t.is_empty() {
        "0".to_string()
    } else {
        t.to_string()
    }
}

fn first5(set: &BTreeSet<String>) -> Vec<String> {
    set.iter().take(5).cloned().collect()
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// The expected join of `tx` ids with `master` ids, both normalised by `norm`.
struct Expected {
    customers: BTreeSet<String>,
    matched: usize,
    without_master: BTreeSet<String>,
    without_tx: BTreeSet<String>,
}

fn expected(
    tx: &[(String, String)],
    master: &BTreeMap<String, i64>,
    norm: impl Fn(&str) -> String,
) -> Expected {
    let customers: BTreeSet<String> = tx.iter().map(|(id, _)| norm(id)).collect();
    let masters: BTreeSet<String> = master.keys().map(|id| norm(id)).collect();
    Expected {
        matched: customers.intersection(&masters).count(),
        without_master: customers.difference(&masters).cloned().collect(),
        without_tx: masters.difference(&customers).cloned().collect(),
        customers,
    }
}

fn check_join(s: &serde_json::Value, e: &Expected) {
    let j = &s["customer_join"];
    assert_eq!(j["master_file"], "data/customers.csv");
    assert_eq!(j["customers"], e.customers.len());
    assert_eq!(s["customers"], e.customers.len());
    assert_eq!(j["matched"], e.matched);
    assert_eq!(
        j["transactions_without_master"]["count"],
        e.without_master.len()
    );
    assert_eq!(
        strings(&j["transactions_without_master"]["examples"]),
        first5(&e.without_master)
    );
    assert_eq!(
        j["master_without_transactions"]["count"],
        e.without_tx.len()
    );
    assert_eq!(
        strings(&j["master_without_transactions"]["examples"]),
        first5(&e.without_tx)
    );
    assert_eq!(s["attribute_rows_without_transactions"], e.without_tx.len());
}

fn setup() -> (
    tempfile::TempDir,
    Vec<(String, String)>,
    BTreeMap<String, i64>,
) {
    let (header, rows) = transactions();
    let mut ids: Vec<String> = rows
        .iter()
        .map(|(id, _)| normalised(id, false))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    ids.sort();
    let (master_csv, segments) = master(&ids);
    let dir = workspace(
        POLICY,
        Some(&csv(&header, &rows)),
        &[("data/customers.csv", &master_csv)],
    );
    (dir, rows, segments)
}

fn set_rule(dir: &std::path::Path, rule: &str) {
    let policy = POLICY.replace(
        "    columns: { customer_id: Kundennummer }\n",
        &format!("    columns: {{ customer_id: Kundennummer }}\n    id_normalise: {rule}\n"),
    );
    std::fs::write(dir.join("powerbase.yaml"), policy).unwrap();
}

#[test]
fn without_normalisation_the_run_warns_and_suggests_the_prefix() {
    let (dir, rows, master) = setup();
    let out = run_ok(
        dir.path(),
        &["--out", &out_arg(dir.path()), "--no-provenance"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let e = expected(&rows, &master, |id| id.to_string());
    let s = summary(dir.path());
    check_join(&s, &e);
    // The rows written `K-00123` match the master's `K-00123` as written: a handful only.
    assert!(e.matched > 0 && e.matched * 2 < e.customers.len());
    let j = &s["customer_join"];
    assert_eq!(j["id_normalise"], serde_json::Value::Null);
    assert_eq!(j["merged_ids"]["count"], 0);
    // What the suggested rule would match, computed here.
    let fixed = expected(&rows, &master, |id| normalised(id, true));
    let w = j["warning"].as_str().unwrap();
    assert!(
        w.contains("`id_normalise: { prefix: \"K-\", strip_leading_zeros: true }`"),
        "{w}"
    );
    assert!(
        w.contains(&format!(
            "{} of the {} customers would match",
            fixed.matched,
            fixed.customers.len()
        )),
        "{w}"
    );
    assert!(w.contains("a prefix") && w.contains("leading zeros"), "{w}");
    assert!(
        w.contains(&format!("{:?}", first5(&e.without_tx)[0])),
        "{w}"
    );
    assert!(stderr.contains(&format!("warning: {w}")), "{stderr}");
    assert!(
        stdout.contains(&format!(
            "{} customers without a master row (e.g. {})",
            thousands(e.without_master.len()),
            first5(&e.without_master).join(", ")
        )),
        "{stdout}"
    );
    let report = report(dir.path());
    assert!(report.contains("**Warning:** only"), "{report}");
}

#[test]
fn with_the_rule_every_attribute_joins_and_merged_ids_are_stated() {
    let (dir, rows, master) = setup();
    set_rule(dir.path(), "{ prefix: \"K-\", strip_leading_zeros: true }");
    check_ok(dir.path());
    let out = run_ok(
        dir.path(),
        &["--out", &out_arg(dir.path()), "--no-provenance"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
    let e = expected(&rows, &master, |id| normalised(id, true));
    let s = summary(dir.path());
    check_join(&s, &e);
    let j = &s["customer_join"];
    assert_eq!(j["warning"], serde_json::Value::Null);
    assert_eq!(
        j["id_normalise"],
        "prefix \"K-\" removed, leading zeros removed"
    );
    // Every master row of a customer who bought joined: only the skipped customers lack one.
    assert_eq!(e.matched, master.len() - 12);
    // Customers whose rows came under two raw ids, computed here.
    let mut raw: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (id, _) in &rows {
        raw.entry(normalised(id, true)).or_default().insert(id);
    }
    let merged: Vec<(&String, &BTreeSet<&str>)> = raw.iter().filter(|(_, r)| r.len() > 1).collect();
    assert!(!merged.is_empty());
    assert_eq!(j["merged_ids"]["count"], merged.len());
    let examples: Vec<String> = merged
        .iter()
        .take(5)
        .map(|(id, r)| {
            let r: Vec<String> = r.iter().take(2).map(|x| format!("{x:?}")).collect();
            format!("{id} (from {})", r.join(", "))
        })
        .collect();
    assert_eq!(strings(&j["merged_ids"]["examples"]), examples);
    // customers.csv: normalised ids, each with its master row's segment, and the merged
    // customers' revenue from the rows of both raw ids.
    let by_norm: BTreeMap<String, i64> = master
        .iter()
        .map(|(id, seg)| (normalised(id, true), *seg))
        .collect();
    let mut revenue: BTreeMap<String, i64> = BTreeMap::new();
    for (id, rest) in &rows {
        let amount = rest.rsplit(',').next().unwrap();
        *revenue.entry(normalised(id, true)).or_default() += cents(amount);
    }
    let table = customers(dir.path());
    assert_eq!(table.len(), e.customers.len());
    for c in &table {
        let id = &c["customer_id"];
        let want = by_norm.get(id).map_or(String::new(), |s| s.to_string());
        assert_eq!(c["segment"], want, "customer {id}");
        let cents = format!("{:.2}", revenue[id] as f64 / 100.0);
        assert_eq!(c["revenue"], cents, "customer {id}");
    }
    let report = report(dir.path());
    assert!(
        report.contains(
            "ids on both sides normalised (prefix \"K-\" removed, leading zeros removed)"
        ),
        "{report}"
    );
}

#[test]
fn arithmetic_on_a_missing_attribute_is_a_check_error_at_its_line() {
    let (dir, _, _) = setup();
    let policy = POLICY.replace(
        "tiers:\n",
        "metrics:\n  next_segment: segment + 1\ntiers:\n",
    );
    let policy = policy.replace(
        "    columns: { customer_id: Kundennummer }\n",
        "    columns: { customer_id: Kundennummer }\n    id_normalise: { prefix: \"K-\", strip_leading_zeros: true }\n",
    );
    std::fs::write(dir.path().join("powerbase.yaml"), &policy).unwrap();
    let line = policy
        .lines()
        .position(|l| l.contains("segment + 1"))
        .unwrap()
        + 1;
    let err = check_err(dir.path());
    assert!(err.contains(&format!("powerbase.yaml:{line}")), "{err}");
    assert!(err.contains("expr/undefined-value"), "{err}");
    assert!(err.contains("`segment` is undefined"), "{err}");
    assert!(err.contains("(segment ?? 0)"), "{err}");
    assert!(!err.contains("Function not found: - (i64, ())\n"), "{err}");
    // Guarded, it passes, and the run gives the customers without a master row 0 + 1.
    std::fs::write(
        dir.path().join("powerbase.yaml"),
        policy.replace("segment + 1", "(segment ?? 0) + 1"),
    )
    .unwrap();
    check_ok(dir.path());
    // At run time the error names the first customer without the attribute.
    std::fs::write(dir.path().join("powerbase.yaml"), &policy).unwrap();
    let err = run_err(
        dir.path(),
        &["--out", &out_arg(dir.path()), "--no-provenance"],
    );
    assert!(
        err.contains("`segment` is undefined for this customer"),
        "{err}"
    );
    assert!(err.contains("failed for customer "), "{err}");
}

#[test]
fn b2b_services_checks_and_runs_without_join_warnings() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/b2b-services"), dir.path());
    check_ok(dir.path());
    let out = run_ok(
        dir.path(),
        &["--out", &out_arg(dir.path()), "--no-provenance"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
    let s = summary(dir.path());
    assert_eq!(s["customer_join"]["warning"], serde_json::Value::Null);
    assert_eq!(s["customer_join"]["customers"], s["customers"]);
}
