//! What-if overrides on the real CDNOW data: `whatif` and `run --set`, checked against tiers
//! worked out independently from the raw rows.

mod support;

use std::collections::BTreeMap;

use support::*;

/// Per customer: (revenue in cents, purchase days), straight from the raw file.
fn raw() -> BTreeMap<String, (i64, usize)> {
    raw_cdnow_until("99999999")
}

const POLICY: &str = r#"client: CDNOW
currency: USD
as_of: 1998-06-30
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: customer_id, date: date, amount: dollar_value, quantity: number_of_cds }
    date_format: "%Y%m%d"
params:
  first_min: 300
tiers:
  - name: First
    when: revenue >= first_min && purchase_days >= 3
  - name: Business
    when: purchase_days >= 3 || revenue >= 150
  - name: Economy
"#;

fn tier(
    revenue: i64,
    days: usize,
    first_min: i64,
    business: &dyn Fn(i64, usize) -> bool,
) -> &'static str {
    if revenue >= first_min * 100 && days >= 3 {
        "First"
    } else if business(revenue, days) {
        "Business"
    } else {
        "Economy"
    }
}

#[test]
fn whatif_counts_the_moves_between_tiers() {
    let ws = workspace(POLICY, None, &[]);
    let out = command_ok(
        "whatif",
        ws.path(),
        &[
            "--set",
            "first_min=250",
            "--set",
            "tiers.Business.when=purchase_days >= 4 || revenue >= 200",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    // Independent: both policies applied to the raw rows.
    let old_business = |r: i64, d: usize| d >= 3 || r >= 15_000;
    let new_business = |r: i64, d: usize| d >= 4 || r >= 20_000;
    let mut expected: BTreeMap<(String, String), (u64, i64)> = BTreeMap::new();
    for (r, d) in raw().values() {
        let before = tier(*r, *d, 300, &old_business);
        let after = tier(*r, *d, 250, &new_business);
        let e = expected
            .entry((before.to_string(), after.to_string()))
            .or_default();
        e.0 += 1;
        e.1 += r;
    }
    let matrix = v["matrix"].as_array().unwrap();
    assert_eq!(matrix.len(), expected.len());
    for cell in matrix {
        let key = (
            cell["from"].as_str().unwrap().to_string(),
            cell["to"].as_str().unwrap().to_string(),
        );
        let (n, cents) = expected[&key];
        assert_eq!(cell["customers"].as_u64().unwrap(), n, "{key:?}");
        let revenue = format!("{}.{:02}", cents / 100, cents % 100);
        assert_eq!(cell["revenue"].to_string(), revenue, "{key:?}");
    }
    let moved: u64 = expected
        .iter()
        .filter(|((a, b), _)| a != b)
        .map(|(_, (n, _))| n)
        .sum();
    assert_eq!(v["moved"].as_u64().unwrap(), moved);
    assert!(moved > 0, "the overrides move customers");
    // whatif writes nothing.
    assert!(!ws.path().join("out").exists());
}

#[test]
fn run_set_overrides_a_param_for_one_run() {
    let ws = workspace(POLICY, None, &[]);
    run_ok(ws.path(), &["--quiet", "--set", "params.first_min=250"]);
    let rows = customers(ws.path());
    let raw = raw();
    let business = |r: i64, d: usize| d >= 3 || r >= 15_000;
    for row in &rows {
        let (r, d) = raw[&row["customer_id"]];
        assert_eq!(
            row["tier"],
            tier(r, d, 250, &business),
            "{}",
            row["customer_id"]
        );
    }
}

#[test]
fn unknown_override_keys_suggest_a_name_and_change_nothing() {
    let ws = workspace(POLICY, None, &[]);
    let err = run_err(ws.path(), &["--set", "frist_min=1"]);
    assert!(err.contains("no param `frist_min`"), "{err}");
    assert!(err.contains("did you mean `first_min`?"), "{err}");
    let err = run_err(ws.path(), &["--set", "tiers.Busines.when=true"]);
    assert!(err.contains("did you mean `Business`?"), "{err}");
    let err = run_err(ws.path(), &["--set", "first_min=many"]);
    assert!(err.contains("is a number"), "{err}");
    assert!(!ws.path().join("out").exists());
}
