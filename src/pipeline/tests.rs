//! The pipeline stage on small workspaces written to a temporary folder: each step is a value in
//! and a value out, so evaluating twice, with overrides or on other data gives what a fresh start
//! gives, and nothing of one evaluation leaks into the next.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::metrics::Column;

/// Six customers over two days; C6 has only a refund. Attributes for C1..C3 and one id without
/// transactions (X9).
const TRANSACTIONS: &str = "customer,date,amount\n\
C1,2024-01-05,900.00\nC1,2024-03-01,300.00\n\
C2,2024-02-10,450.50\n\
C3,2024-02-11,120.00\nC3,2024-02-12,80.00\n\
C4,2024-03-01,60.00\n\
C5,2024-03-02,15.25\n\
C6,2024-03-03,-20.00\n";

const ATTRIBUTES: &str = "customer,region\nC1,North\nC2,South\nC3,North\nX9,East\n";

fn policy(as_of: &str) -> String {
    let policy = r#"client: Test
currency: USD
AS_OF
data:
  transactions:
    path: data/tx.csv
    columns: { customer_id: customer, date: date, amount: amount }
  customers:
    path: data/customers.csv
    columns: { customer_id: customer }
params:
  first_min: 500
tiers:
  - name: First
    when: revenue >= first_min
  - name: Business
    when: revenue >= median("revenue")
  - name: Economy
"#;
    policy.replace("AS_OF\n", as_of)
}

fn workspace(as_of: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("powerbase.yaml"), policy(as_of)).unwrap();
    std::fs::write(dir.path().join("data/tx.csv"), TRANSACTIONS).unwrap();
    std::fs::write(dir.path().join("data/customers.csv"), ATTRIBUTES).unwrap();
    dir
}

fn day(iso: &str) -> Day {
    Day::parse_iso(iso).unwrap()
}

/// Tier names by customer id.
fn tiers(prepared: &Prepared, outcome: &Outcome) -> BTreeMap<String, String> {
    let names: Vec<&str> = prepared
        .workspace
        .policy
        .tiers
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    outcome
        .table
        .ids
        .iter()
        .zip(&outcome.evaluation.tiers)
        .map(|(id, &t)| (id.clone(), names[t as usize].to_string()))
        .collect()
}

/// The median of the revenue in cents, computed here: the mean of the two middle values of six.
fn median_revenue(table: &CustomerTable) -> f64 {
    let mut v: Vec<i64> = table.money("revenue").to_vec();
    v.sort_unstable();
    (v[2] + v[3]) as f64 / 200.0
}

#[test]
fn evaluating_twice_gives_the_same_outcome() {
    let dir = workspace("as_of: 2024-03-31\n");
    let prepared = prepare(dir.path()).unwrap();
    let as_of = prepared.as_of(None, None).unwrap();
    let loaded = prepared.load(as_of, None, &mut Timings::default()).unwrap();
    let first = prepared.decide(loaded.clone(), Timings::default()).unwrap();
    let second = prepared.decide(loaded, Timings::default()).unwrap();
    assert_eq!(first.evaluation, second.evaluation);
    assert_eq!(first.table.ids, second.table.ids);

    // Checked against the thresholds computed here.
    let median = median_revenue(&first.table);
    let revenue = first.table.money("revenue");
    for (i, id) in first.table.ids.iter().enumerate() {
        let r = revenue[i] as f64 / 100.0;
        let expected = if r >= 500.0 {
            "First"
        } else if r >= median {
            "Business"
        } else {
            "Economy"
        };
        assert_eq!(tiers(&prepared, &first)[id], expected, "{id}: {r}");
    }
}

#[test]
fn population_figures_come_from_the_table_evaluated_not_an_earlier_one() {
    let dir = workspace("as_of: 2024-03-31\n");
    let prepared = prepare(dir.path()).unwrap();
    let loaded = prepared
        .load(day("2024-03-31"), None, &mut Timings::default())
        .unwrap();
    // The same customers with ten times the revenue: the median moves with them.
    let mut richer = loaded.clone();
    let Some(column) = richer
        .table
        .columns
        .iter_mut()
        .find(|c| c.name == "revenue")
    else {
        panic!("a revenue column")
    };
    let Column::Money(cents) = &mut column.column else {
        panic!("revenue is money")
    };
    cents.iter_mut().for_each(|c| *c *= 10);
    let _ = prepared.decide(loaded, Timings::default()).unwrap();
    let after = prepared.decide(richer.clone(), Timings::default()).unwrap();
    let fresh = prepare(dir.path())
        .unwrap()
        .decide(richer, Timings::default())
        .unwrap();
    assert_eq!(after.evaluation.tiers, fresh.evaluation.tiers);
    assert_eq!(after.evaluation.populations, fresh.evaluation.populations);
}

#[test]
fn overrides_make_a_new_program_and_leave_the_original_alone() {
    let dir = workspace("as_of: 2024-03-31\n");
    let prepared = prepare(dir.path()).unwrap();
    let loaded = prepared
        .load(day("2024-03-31"), None, &mut Timings::default())
        .unwrap();
    let set: Override = "first_min=400".parse().unwrap();
    let changed = prepared.with_overrides(&[set]).unwrap();
    let before = prepared.decide(loaded.clone(), Timings::default()).unwrap();
    let after = changed.decide(loaded.clone(), Timings::default()).unwrap();
    // C2 (450.50) moves up to First only under the override.
    assert_eq!(tiers(&prepared, &before)["C2"], "Business");
    assert_eq!(tiers(&changed, &after)["C2"], "First");
    let again = prepared.decide(loaded, Timings::default()).unwrap();
    assert_eq!(again.evaluation, before.evaluation);

    let unknown: Override = "frist_min=1".parse().unwrap();
    let Err(Error::Workspace(problems)) = prepared.with_overrides(&[unknown]) else {
        panic!("an unknown param is an error")
    };
    assert_eq!(problems[0].code, "override/unknown-param");
}

#[test]
fn attributes_join_by_id_and_rows_without_customers_are_counted() {
    let dir = workspace("as_of: 2024-03-31\n");
    let prepared = prepare(dir.path()).unwrap();
    let loaded = prepared
        .load(day("2024-03-31"), None, &mut Timings::default())
        .unwrap();
    let join = loaded.join.as_ref().expect("a customer master");
    assert_eq!(
        join.master_without_transactions.count, 1,
        "X9 has no transactions"
    );
    assert_eq!(join.master_without_transactions.examples, vec!["X9"]);
    let Some(Column::Text(region)) = loaded.table.column("region") else {
        panic!("region is a text column")
    };
    let by_id: BTreeMap<&str, Option<&str>> = loaded
        .table
        .ids
        .iter()
        .map(String::as_str)
        .zip(region.iter().map(Option::as_deref))
        .collect();
    assert_eq!(by_id["C1"], Some("North"));
    assert_eq!(by_id["C2"], Some("South"));
    assert_eq!(by_id["C4"], None, "no attribute row: empty, not dropped");
    assert_eq!(loaded.table.len(), 6);
}

#[test]
fn the_as_of_date_is_the_override_then_the_policy_then_the_latest_transaction() {
    let with = workspace("as_of: 2024-03-31\n");
    let prepared = prepare(with.path()).unwrap();
    assert_eq!(prepared.as_of(None, None).unwrap(), day("2024-03-31"));
    assert_eq!(
        prepared.as_of(Some(day("2024-02-15")), None).unwrap(),
        day("2024-02-15")
    );
    let without = workspace("");
    let prepared = prepare(without.path()).unwrap();
    assert_eq!(prepared.as_of(None, None).unwrap(), day("2024-03-03"));
}

#[test]
fn an_earlier_as_of_date_leaves_later_rows_out() {
    let dir = workspace("");
    let prepared = prepare(dir.path()).unwrap();
    let loaded = prepared
        .load(day("2024-02-10"), None, &mut Timings::default())
        .unwrap();
    // Customers with a row on or before 2024-02-10: C1 (900.00) and C2 (450.50).
    assert_eq!(loaded.table.ids, vec!["C1", "C2"]);
    assert_eq!(loaded.table.money("revenue"), &[90_000, 45_050]);
}

#[test]
fn totals_that_cannot_be_added_exactly_stop_before_anything_adds_them() {
    let mut table = CustomerTable {
        as_of: day("2024-01-01"),
        ids: vec!["A".into(), "B".into()],
        columns: Vec::new(),
    };
    table.push(
        "revenue",
        ColumnOrigin::Builtin,
        Column::Money(vec![i64::MAX / 2 + 1, i64::MAX / 2 + 1]),
    );
    let e = totals_fit(&table, Path::new("data/tx.csv")).unwrap_err();
    assert!(e.to_string().contains("revenue"), "{e}");
    table.columns.clear();
    table.push(
        "revenue",
        ColumnOrigin::Builtin,
        Column::Money(vec![i64::MAX / 2, -5]),
    );
    assert!(totals_fit(&table, Path::new("data/tx.csv")).is_ok());
}

#[test]
fn render_gives_every_output_once_sorted_by_path() {
    let dir = workspace("as_of: 2024-03-31\n");
    let prepared = prepare(dir.path()).unwrap();
    let outcome = prepared.evaluate(day("2024-03-31"), None).unwrap();
    let files = prepared.render(&outcome, None).unwrap().files;
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(paths, sorted);
    for wanted in ["customers.csv", "summary.json", "report.md", "report.pdf"] {
        assert!(paths.contains(&wanted), "{wanted} in {paths:?}");
    }
    // customers.csv has one line per customer and a header.
    let csv = &files
        .iter()
        .find(|f| f.path == "customers.csv")
        .unwrap()
        .bytes;
    assert_eq!(csv.iter().filter(|&&b| b == b'\n').count(), 7);
}

#[test]
fn a_template_error_is_a_workspace_problem_in_the_dry_run() {
    let dir = workspace("as_of: 2024-03-31\n");
    std::fs::create_dir(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("templates/report.md"),
        "# {{ client }}\n\n{{ no_such_value }}\n",
    )
    .unwrap();
    let mut text = std::fs::read_to_string(dir.path().join("powerbase.yaml")).unwrap();
    text.push_str("report:\n  template: report.md\n");
    std::fs::write(dir.path().join("powerbase.yaml"), text).unwrap();
    let Err(Error::Workspace(problems)) = check(dir.path()) else {
        panic!("check must fail on the unknown variable")
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].code, "report/template-error");
    let origin = problems[0].origin.as_ref().expect("a place");
    assert_eq!(origin.file, Path::new("templates/report.md"));
    assert_eq!(origin.line, 3);
}

/// The policy of [`workspace`] as files in memory, with `first_min` changed.
fn in_memory(first_min: &str) -> Arc<dyn workspace::FileSource> {
    Arc::new(workspace::Memory::new().with(
        "powerbase.yaml",
        policy("as_of: 2024-03-31\n").replace("first_min: 500", &format!("first_min: {first_min}")),
    ))
}

#[test]
fn a_policy_in_memory_runs_on_the_data_of_a_folder() {
    let dir = workspace("as_of: 2024-03-31\n");
    let on_disk = prepare(dir.path()).unwrap();
    let in_memory = Prepare {
        source: in_memory("500"),
        ..Prepare::folder(dir.path())
    }
    .prepare()
    .unwrap();
    let at = day("2024-03-31");
    let a = on_disk.evaluate(at, None).unwrap();
    let b = in_memory.evaluate(at, None).unwrap();
    assert_eq!(tiers(&on_disk, &a), tiers(&in_memory, &b));
}

#[test]
fn two_policies_reading_the_data_alike_share_one_load_and_the_attribute_table() {
    let dir = workspace("as_of: 2024-03-31\n");
    let head = Prepare {
        source: in_memory("1000"),
        ..Prepare::folder(dir.path())
    }
    .prepare()
    .unwrap();
    // The base reuses the head's attribute table: removing the file proves it is not read again.
    std::fs::remove_file(dir.path().join("data/customers.csv")).unwrap();
    let base = Prepare {
        source: in_memory("500"),
        reuse: Some(&head),
        ..Prepare::folder(dir.path())
    }
    .prepare()
    .unwrap();
    let c = compare::compare(&base, &head, compare::DataFrom::Head, None, None).unwrap();
    assert!(c.read_once);
    // C1 has 1,200.00: First under both; C2 (450.50) and nothing else changes with first_min
    // 500 -> 1000 except customers between 500 and 1000 (none): only the matrix diagonal.
    let moved: Vec<&str> = c.migration.moved.iter().map(|m| m.id.as_str()).collect();
    assert!(moved.is_empty(), "{moved:?}");
    let head_tiers = tiers(&head, &c.head);
    let base_tiers = tiers(&base, &c.base);
    assert_eq!(head_tiers, base_tiers);
    assert_eq!(base_tiers["C1"], "First");
    // A threshold under C2's revenue moves C2 up, and only C2.
    let low = Prepare {
        source: in_memory("400"),
        reuse: Some(&head),
        ..Prepare::folder(dir.path())
    }
    .prepare()
    .unwrap();
    let c = compare::compare(&head, &low, compare::DataFrom::Head, None, None).unwrap();
    let moved: Vec<(&str, &str, &str, bool)> = c
        .migration
        .moved
        .iter()
        .map(|m| (m.id.as_str(), m.from.as_str(), m.to.as_str(), m.up))
        .collect();
    assert_eq!(moved, vec![("C2", "Business", "First", true)]);
    assert_eq!(c.placed_by, vec![(1, 0)]);
}
