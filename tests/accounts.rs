//! `level: account`: customers rolled up to accounts by their `parent_id` attribute. The account
//! metrics of `examples/b2b-services` (revenue, orders, purchase days, first and last purchase) are
//! checked against a plain loop over its CSV files in this file; the data-quality counts of
//! `summary.json` likewise; a small workspace checks that customers of one account buying on the
//! same day make one purchase day, and the problems a policy can have at account level.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use support::*;

type Row = BTreeMap<String, String>;

/// Per account, straight from the rows.
#[derive(Default, Debug)]
struct Account {
    revenue: i64,
    /// Rows with an amount of zero or more (no order id is mapped).
    orders: usize,
    /// Distinct dates of those rows.
    days: BTreeSet<String>,
    /// Their customers.
    customers: BTreeSet<String>,
}

#[test]
fn b2b_services_account_metrics_match_the_rows() {
    let example = repo().join("examples/b2b-services");
    let crm = read_csv(&example.join("data/customers.csv"));
    let parent: BTreeMap<&str, &str> = crm
        .iter()
        .filter(|r| !r["parent_id"].is_empty())
        .map(|r| (r["customer_id"].as_str(), r["parent_id"].as_str()))
        .collect();
    let account_of = |c: &str| parent.get(c).copied().unwrap_or(c).to_string();
    let mut accounts: BTreeMap<String, Account> = BTreeMap::new();
    for r in read_csv(&example.join("data/transactions.csv")) {
        // as_of 2024-12-31 is the last day of the data.
        assert!(r["date"].as_str() <= "2024-12-31");
        let a = accounts.entry(account_of(&r["customer_id"])).or_default();
        let amount = cents(&r["amount"]);
        a.revenue += amount;
        if amount >= 0 {
            a.orders += 1;
            a.days.insert(r["date"].clone());
        }
        a.customers.insert(r["customer_id"].clone());
    }
    check_ok(&example);
    let dir = run_elsewhere(&example);
    let out: BTreeMap<String, Row> = customers(dir.path())
        .into_iter()
        .map(|r| (r["account_id"].clone(), r))
        .collect();
    assert_eq!(
        out.keys().collect::<Vec<_>>(),
        accounts.keys().collect::<Vec<_>>(),
        "one row per account"
    );
    let mut shared_days = 0;
    for (id, a) in &accounts {
        let row = &out[id];
        assert_eq!(cents(&row["revenue"]), a.revenue, "{id}");
        assert_eq!(row["orders"].parse::<usize>().unwrap(), a.orders, "{id}");
        assert_eq!(
            row["purchase_days"].parse::<usize>().unwrap(),
            a.days.len(),
            "{id}"
        );
        assert_eq!(row["first_purchase"], *a.days.first().unwrap(), "{id}");
        assert_eq!(row["last_purchase"], *a.days.last().unwrap(), "{id}");
        // The account's attributes are its parent's own CRM row; account_customers counts the
        // CRM rows of the account.
        let own = crm.iter().find(|r| r["customer_id"] == *id).unwrap();
        assert_eq!(row["company"], own["company"], "{id}");
        let members = crm
            .iter()
            .filter(|r| r["customer_id"] == *id || r["parent_id"] == *id)
            .count();
        assert_eq!(row["account_customers"], members.to_string(), "{id}");
        shared_days += a.orders - a.days.len();
    }
    // Some accounts' customers bought on the same day: those days count once.
    assert!(
        shared_days > 0,
        "the data has days shared within an account"
    );
    let groups = accounts.values().filter(|a| a.customers.len() > 1).count();
    assert!(groups > 10, "{groups} accounts hold several customers");

    let summary = summary(dir.path());
    assert_eq!(summary["level"], "account");
    assert_eq!(summary["customers"], accounts.len());
    let rollup = &summary["accounts"];
    let parents: BTreeSet<&str> = parent.values().copied().collect();
    let customers: usize = accounts.values().map(|a| a.customers.len()).sum();
    let alone = accounts
        .keys()
        .filter(|id| !parents.contains(id.as_str()))
        .count();
    assert_eq!(rollup["accounts"], accounts.len());
    assert_eq!(rollup["customers"], customers);
    assert_eq!(rollup["customers_without_parent"], alone);
    assert_eq!(rollup["parent_accounts"], accounts.len() - alone);
    assert_eq!(rollup["customers_rolled_up"], customers - alone);
    let report = report(dir.path());
    let line = format!(
        "the {} customers with transactions are evaluated as {} accounts",
        thousands(customers),
        thousands(accounts.len())
    );
    assert!(report.contains(&line), "{line}");
}

const POLICY: &str = "client: T\nas_of: 2024-12-31\nlevel: account\ndata:\n  transactions:\n    path: data/transactions.csv\n    columns: { customer_id: id, date: date, amount: amount }\n  customers:\n    path: data/customers.csv\n    columns: { customer_id: id, parent_id: Parent }\ntiers:\n  - name: Big\n    when: revenue >= 100\n  - name: Small\n";

/// A, B and C belong to P (which buys itself too); S stands alone; X has no CRM row.
const ROWS: &str = "id,date,amount\nA,2024-03-01,30.00\nB,2024-03-01,20.00\nC,2024-05-01,10.00\nP,2024-06-01,5.00\nA,2024-07-01,-4.00\nS,2024-03-01,7.00\nX,2024-02-01,1.00\n";
const CRM: &str = "id,Parent,size\nA,P,1\nB,P,2\nC,P,3\nP,,4\nS,,5\nQ,,6\n";

#[test]
fn customers_of_an_account_buying_on_one_day_make_one_purchase_day() {
    let dir = workspace(POLICY, Some(ROWS), &[("data/customers.csv", CRM)]);
    run_ok(dir.path(), &["--no-provenance"]);
    let out: BTreeMap<String, Row> = customers(dir.path())
        .into_iter()
        .map(|r| (r["account_id"].clone(), r))
        .collect();
    assert_eq!(out.keys().collect::<Vec<_>>(), ["P", "S", "X"]);
    let p = &out["P"];
    assert_eq!(p["revenue"], "61.00");
    // 2024-03-01 (A and B), 2024-05-01, 2024-06-01; the refund is no purchase.
    assert_eq!(p["purchase_days"], "3");
    assert_eq!(p["orders"], "4");
    assert_eq!(p["first_purchase"], "2024-03-01");
    assert_eq!(p["last_purchase"], "2024-06-01");
    assert_eq!(p["size"], "4", "the parent's own row");
    assert_eq!(p["account_customers"], "4");
    assert_eq!(p["tier"], "Small");
    assert_eq!(out["X"]["size"], "", "no CRM row");
    let s = summary(dir.path());
    assert_eq!(s["level"], "account");
    assert_eq!(s["customers"], 3);
    let r = &s["accounts"];
    assert_eq!(
        (
            &r["accounts"],
            &r["customers"],
            &r["customers_rolled_up"],
            &r["parent_accounts"],
            &r["customers_without_parent"]
        ),
        (&3.into(), &6.into(), &4.into(), &1.into(), &2.into())
    );
    // Q has a CRM row but no transactions.
    assert_eq!(s["attribute_rows_without_transactions"], 1);
}

#[test]
fn customer_level_summaries_say_so() {
    let policy = POLICY.replace("level: account\n", "");
    let dir = workspace(&policy, Some(ROWS), &[("data/customers.csv", CRM)]);
    run_ok(dir.path(), &["--no-provenance"]);
    let s = summary(dir.path());
    assert_eq!(s["level"], "customer");
    assert!(s.get("accounts").is_none(), "{s}");
    assert_eq!(s["customers"], 6);
    assert!(customers(dir.path())[0].contains_key("customer_id"));
}

#[test]
fn account_level_needs_a_parent_column_and_one_level_of_parents() {
    let no_column = POLICY.replace(", parent_id: Parent", "");
    let crm = CRM.replace("Parent", "Group");
    let dir = workspace(&no_column, Some(ROWS), &[("data/customers.csv", &crm)]);
    let err = run_err(dir.path(), &[]);
    assert!(
        err.contains("policy/account-level-without-parents") && err.contains("parent_id"),
        "{err}"
    );
    assert!(
        err.contains("powerbase.yaml:3"),
        "points at `level:`: {err}"
    );

    let no_table = "client: T\nlevel: account\ndata:\n  transactions:\n    path: data/transactions.csv\n    columns: { customer_id: id, date: date, amount: amount }\ntiers:\n  - name: All\n";
    let dir = workspace(no_table, Some(ROWS), &[]);
    let err = run_err(dir.path(), &[]);
    assert!(
        err.contains("policy/account-level-without-parents"),
        "{err}"
    );

    let nested = CRM.replace("P,,4", "P,S,4");
    let dir = workspace(POLICY, Some(ROWS), &[("data/customers.csv", &nested)]);
    let err = run_err(dir.path(), &[]);
    assert!(
        err.contains("data/nested-parent") && err.contains("\"P\"") && err.contains("\"S\""),
        "{err}"
    );
}

#[test]
fn diff_compares_two_account_level_policies_on_one_roll_up() {
    let policy = POLICY
        .replace("tiers:\n", "params:\n  big: 100\ntiers:\n")
        .replace("revenue >= 100", "revenue >= big");
    let dir = workspace(&policy, Some(ROWS), &[("data/customers.csv", CRM)]);
    let out = command_ok("diff", dir.path(), &["--set", "big=50", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // P (61.00) is Small under 100 and Big under 50; both sides count the 3 accounts.
    for (side, big) in [("base", 0), ("head", 1)] {
        let tiers = json[side]["tiers"].as_array().unwrap();
        let total: u64 = tiers.iter().map(|t| t["customers"].as_u64().unwrap()).sum();
        assert_eq!(total, 3, "{side}: {json}");
        assert_eq!(tiers[0]["customers"], big, "{side}");
    }
}
