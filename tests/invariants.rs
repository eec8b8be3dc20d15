//! Invariants of a whole run, on random small transaction sets (proptest): nothing lost, nothing
//! counted twice, nothing that depends on the order of the rows.
//!
//! Each case generates transactions (a few recurring customers, some with ids that need CSV
//! quoting or Markdown escaping; dates on both sides of the as-of date; amounts in cents written
//! in several ways, with refunds, zeros and repeated round amounts that make ties) and a policy
//! with three tiers (a percentile cut through a derived metric, a param, and the rest). The
//! workspace is run through the library, and the outputs are checked against figures computed
//! here from the generated rows, in integer cents:
//!
//! - every customer with a row on or before the as-of date is in `customers.csv` exactly once,
//!   nobody else is, and each has exactly one of the policy's tiers, the one its rules give;
//! - per customer, per tier and in total, revenue and margin in `customers.csv` and
//!   `summary.json` equal the sums of the generated amounts to the cent; the tiers add up to the
//!   totals; the row counts add up; profit (margin, as no cost to serve is declared) and the
//!   loss-making customers per tier and in total;
//! - the same rows in another order give byte-identical outputs (`customers.csv`,
//!   `summary.json`, `report.md`, `report.pdf`, the charts).
//!
//! 32 cases by default; `PROPTEST_CASES=500 cargo test --test invariants` runs more.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};

/// The as-of date of every generated policy; rows after it must be left out.
const AS_OF: Date = (2024, 6, 30);

/// The tiers of every generated policy, highest first.
const TIERS: [&str; 3] = ["First", "Business", "Economy"];

/// Customer ids the rows draw from: plain ones, and ones that need quoting in CSV, escaping in
/// Markdown, or glyphs beyond ASCII.
const IDS: [&str; 12] = [
    "C001",
    "C002",
    "C003",
    "c001",
    "C010",
    "a,b",
    "say \"hi\"",
    "x|y*z",
    "[link](u)",
    "#7",
    "Zoë",
    "東京",
];

/// (year, month, day); days up to 28 keep every date valid.
type Date = (u16, u8, u8);

/// One generated transaction.
#[derive(Debug, Clone)]
struct Txn {
    customer: &'static str,
    date: Date,
    /// Amount in cents; negative for a refund.
    cents: i64,
    /// Cost in cents.
    cost: i64,
    /// How the amount is written (see [`amount_text`]).
    style: u8,
}

/// The policy's two knobs.
#[derive(Debug, Clone)]
struct Knobs {
    /// `First` is `revenue >= percentile("revenue", p)`.
    p: f64,
    /// `Business` is `orders >= min_orders`.
    min_orders: u32,
}

fn txn() -> impl Strategy<Value = Txn> {
    let cents = prop_oneof![
        8 => 1i64..50_000,
        2 => -20_000i64..0,
        1 => Just(0i64),
        // Round amounts repeat, so customers tie on revenue.
        2 => prop::sample::select(vec![1_000i64, 2_500, -1_000]),
    ];
    (
        prop::sample::select(IDS.to_vec()),
        (2023u16..=2024, 1u8..=12, 1u8..=28),
        cents,
        0i64..30_000,
        0u8..3,
    )
        .prop_map(|(customer, date, cents, cost, style)| Txn {
            customer,
            date,
            cents,
            cost,
            style,
        })
}

fn knobs() -> impl Strategy<Value = Knobs> {
    (prop::sample::select(vec![0.5, 0.75, 0.9]), 1u32..=4)
        .prop_map(|(p, min_orders)| Knobs { p, min_orders })
}

/// Rows and a policy.
fn case() -> impl Strategy<Value = (Vec<Txn>, Knobs)> {
    (prop::collection::vec(txn(), 1..40), knobs())
}

/// Rows, the same rows in another order, and a policy.
fn shuffled_case() -> impl Strategy<Value = (Vec<Txn>, Vec<Txn>, Knobs)> {
    case().prop_flat_map(|(rows, knobs)| {
        let shuffled = Just(rows.clone()).prop_shuffle();
        (Just(rows), shuffled, Just(knobs))
    })
}

fn policy(k: &Knobs) -> String {
    format!(
        r#"client: Invariants
currency: USD
as_of: {y:04}-{m:02}-{d:02}
data:
  transactions:
    path: data/transactions.csv
    columns: {{ customer_id: Customer, date: Date, amount: Amount, cost: Cost }}
include: [builtin/data-quality]
params:
  min_orders: {min_orders}
metrics:
  top_cut: percentile("revenue", {p})
tiers:
  - name: {first}
    when: revenue >= top_cut
  - name: {business}
    when: orders >= min_orders
  - name: {economy}
"#,
        y = AS_OF.0,
        m = AS_OF.1,
        d = AS_OF.2,
        min_orders = k.min_orders,
        p = k.p,
        first = TIERS[0],
        business = TIERS[1],
        economy = TIERS[2],
    )
}

/// An amount in cents as a client's export might write it: `12.50`, `12.5` / `12`, or with
/// spaces around it.
fn amount_text(cents: i64, style: u8) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let (whole, frac) = (cents.abs() / 100, cents.abs() % 100);
    match style {
        0 => format!("{sign}{whole}.{frac:02}"),
        1 if frac == 0 => format!("{sign}{whole}"),
        1 if frac % 10 == 0 => format!("{sign}{whole}.{}", frac / 10),
        1 => format!("{sign}{whole}.{frac:02}"),
        _ => format!("  {sign}{whole}.{frac:02} "),
    }
}

/// A CSV field, quoted when it holds a delimiter, a quote or surrounding spaces.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(rows: &[Txn]) -> String {
    let mut out = String::from("Customer,Date,Amount,Cost\n");
    for t in rows {
        let (y, m, d) = t.date;
        out.push_str(&format!(
            "{},{y:04}-{m:02}-{d:02},{},{}\n",
            field(t.customer),
            field(&amount_text(t.cents, t.style)),
            amount_text(t.cost, 0),
        ));
    }
    out
}

/// Parses money as written in the outputs (`-12.34`) into cents.
fn cents(text: &str) -> i64 {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = digits
        .split_once('.')
        .unwrap_or_else(|| panic!("money with two decimals, got `{text}`"));
    assert_eq!(frac.len(), 2, "money with two decimals, got `{text}`");
    let value = whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap();
    if neg {
        -value
    } else {
        value
    }
}

/// What the generated rows say about one customer, as of [`AS_OF`].
#[derive(Debug, Default, Clone, PartialEq)]
struct Expected {
    revenue: i64,
    cost: i64,
    orders: u32,
}

/// Per customer, from the rows on or before the as-of date.
fn expected(rows: &[Txn]) -> BTreeMap<&'static str, Expected> {
    let mut by_customer: BTreeMap<&'static str, Expected> = BTreeMap::new();
    for t in rows.iter().filter(|t| t.date <= AS_OF) {
        let e = by_customer.entry(t.customer).or_default();
        e.revenue += t.cents;
        e.cost += t.cost;
        e.orders += u32::from(t.cents >= 0);
    }
    by_customer
}

/// Writes the workspace into `dir`, runs it through the library and returns every output file
/// by its path below the output folder.
fn run(dir: &Path, rows: &[Txn], knobs: &Knobs) -> BTreeMap<String, Vec<u8>> {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("powerbase.yaml"), policy(knobs)).unwrap();
    std::fs::write(dir.join("data/transactions.csv"), csv(rows)).unwrap();
    let out = dir.join("out");
    let options = powerbase::pipeline::RunOptions {
        out: Some(out.clone()),
        no_provenance: true,
        ..Default::default()
    };
    let summary = powerbase::pipeline::run(dir, &options, None)
        .unwrap_or_else(|e| panic!("the run failed: {e}"));
    summary
        .files
        .iter()
        .map(|f| (f.clone(), std::fs::read(out.join(f)).unwrap()))
        .collect()
}

/// One row of `customers.csv`.
struct Row {
    id: String,
    tier: String,
    revenue: i64,
    margin: i64,
    orders: u32,
}

fn customer_rows(bytes: &[u8]) -> Vec<Row> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, tier, revenue, margin, orders) = (
        col("customer_id"),
        col("tier"),
        col("revenue"),
        col("margin"),
        col("orders"),
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            Row {
                id: r[id].to_string(),
                tier: r[tier].to_string(),
                revenue: cents(&r[revenue]),
                margin: cents(&r[margin]),
                orders: r[orders].parse().unwrap(),
            }
        })
        .collect()
}

/// Money in `summary.json` (exact: serde_json keeps the number's text).
fn json_cents(v: &serde_json::Value) -> i64 {
    match v {
        serde_json::Value::Number(n) => cents(&n.to_string()),
        other => panic!("money as a JSON number, got {other}"),
    }
}

/// Every customer once, with one tier of the policy: the one its rules give.
fn check_one_tier_each(
    rows: &[Row],
    want: &BTreeMap<&'static str, Expected>,
    knobs: &Knobs,
) -> Result<(), TestCaseError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    prop_assert_eq!(
        unique.len(),
        ids.len(),
        "a customer listed twice: {:?}",
        ids
    );
    let want_ids: BTreeSet<&str> = want.keys().copied().collect();
    prop_assert_eq!(
        unique,
        want_ids,
        "customers.csv lists other customers than the data"
    );
    for r in rows {
        let e = &want[r.id.as_str()];
        prop_assert!(TIERS.contains(&r.tier.as_str()), "unknown tier {}", r.tier);
        prop_assert_eq!(r.orders, e.orders, "orders of {}", r.id);
        if r.tier != TIERS[0] {
            let business = e.orders >= knobs.min_orders;
            prop_assert_eq!(r.tier == TIERS[1], business, "tier of {}", r.id);
        }
    }
    // `First` is a revenue cut: everyone in it out-earns everyone outside it, and the top
    // earner (at or above any percentile) is always in it.
    let first = rows.iter().filter(|r| r.tier == TIERS[0]);
    let rest = rows.iter().filter(|r| r.tier != TIERS[0]);
    let lowest_first = first.map(|r| r.revenue).min();
    let highest_rest = rest.map(|r| r.revenue).max();
    prop_assert!(
        lowest_first.is_some() || rows.is_empty(),
        "nobody in {} although the top earner always is",
        TIERS[0]
    );
    if let (Some(lo), Some(hi)) = (lowest_first, highest_rest) {
        prop_assert!(lo > hi, "{} is not a revenue cut: {lo} <= {hi}", TIERS[0]);
    }
    Ok(())
}

/// Each customer's revenue and margin in `customers.csv`, to the cent.
fn check_customer_money(
    rows: &[Row],
    want: &BTreeMap<&'static str, Expected>,
) -> Result<(), TestCaseError> {
    for r in rows {
        let e = &want[r.id.as_str()];
        prop_assert_eq!(r.revenue, e.revenue, "revenue of {}", r.id);
        prop_assert_eq!(r.margin, e.revenue - e.cost, "margin of {}", r.id);
    }
    Ok(())
}

/// The summary's tiers and totals against the sums of the generated rows.
fn check_summary(
    summary: &serde_json::Value,
    rows: &[Row],
    generated: &[Txn],
    want: &BTreeMap<&'static str, Expected>,
) -> Result<(), TestCaseError> {
    let total: i64 = want.values().map(|e| e.revenue).sum();
    let total_margin: i64 = want.values().map(|e| e.revenue - e.cost).sum();
    prop_assert_eq!(json_cents(&summary["total_revenue"]), total);
    prop_assert_eq!(json_cents(&summary["total_margin"]), total_margin);
    prop_assert_eq!(&summary["customers"], &serde_json::json!(want.len()));
    let tiers = summary["tiers"].as_array().unwrap();
    let names: Vec<&str> = tiers.iter().map(|t| t["name"].as_str().unwrap()).collect();
    prop_assert_eq!(names, TIERS.to_vec());
    let (mut revenue_sum, mut margin_sum, mut customer_sum) = (0, 0, 0);
    for t in tiers {
        let name = t["name"].as_str().unwrap();
        let members: Vec<&Expected> = rows
            .iter()
            .filter(|r| r.tier == name)
            .map(|r| &want[r.id.as_str()])
            .collect();
        let revenue: i64 = members.iter().map(|e| e.revenue).sum();
        let margin: i64 = members.iter().map(|e| e.revenue - e.cost).sum();
        prop_assert_eq!(
            json_cents(&t["revenue"]),
            revenue,
            "revenue of tier {}",
            name
        );
        prop_assert_eq!(json_cents(&t["margin"]), margin, "margin of tier {}", name);
        // With a cost column and no cost to serve, profit is margin; the losing customers too.
        prop_assert_eq!(json_cents(&t["profit"]), margin, "profit of tier {}", name);
        let losing: Vec<i64> = members
            .iter()
            .map(|e| e.revenue - e.cost)
            .filter(|m| *m < 0)
            .collect();
        prop_assert_eq!(
            &t["customers_unprofitable"],
            &serde_json::json!(losing.len())
        );
        prop_assert_eq!(
            json_cents(&t["unprofitable_loss"]),
            losing.iter().sum::<i64>()
        );
        prop_assert_eq!(&t["customers"], &serde_json::json!(members.len()));
        revenue_sum += json_cents(&t["revenue"]);
        margin_sum += json_cents(&t["margin"]);
        customer_sum += t["customers"].as_u64().unwrap();
    }
    prop_assert_eq!(
        revenue_sum,
        total,
        "the tiers' revenue does not add up to the total"
    );
    prop_assert_eq!(
        margin_sum,
        total_margin,
        "the tiers' margin does not add up"
    );
    prop_assert_eq!(customer_sum, want.len() as u64);
    prop_assert_eq!(
        json_cents(&summary["profitability"]["profit"]),
        total_margin
    );
    let used = generated.iter().filter(|t| t.date <= AS_OF).count();
    let tx = &summary["transactions"];
    prop_assert_eq!(&tx["read"], &serde_json::json!(generated.len()));
    prop_assert_eq!(&tx["used"], &serde_json::json!(used));
    prop_assert_eq!(
        &tx["excluded_after_as_of"],
        &serde_json::json!(generated.len() - used)
    );
    Ok(())
}

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    Config {
        cases,
        // Each case is two whole runs: keep shrinking affordable.
        max_shrink_iters: 256,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Every customer with a row on or before the as-of date is listed once, nobody else is, and
    /// each has exactly one tier of the policy: the one its rules give. (Rows all after the as-of
    /// date make a run with no customers, checked like any other.)
    #[test]
    fn every_customer_in_exactly_one_tier((rows, knobs) in case()) {
        let want = expected(&rows);
        let dir = tempfile::tempdir().unwrap();
        let outputs = run(dir.path(), &rows, &knobs);
        let table = customer_rows(&outputs["customers.csv"]);
        check_one_tier_each(&table, &want, &knobs)?;
    }

    /// Revenue and margin per customer, per tier and in total equal the sums of the generated
    /// amounts to the cent, the tiers add up to the totals, and the row counts add up.
    #[test]
    fn tier_sums_equal_totals_to_the_cent((rows, knobs) in case()) {
        let want = expected(&rows);
        let dir = tempfile::tempdir().unwrap();
        let outputs = run(dir.path(), &rows, &knobs);
        let table = customer_rows(&outputs["customers.csv"]);
        check_customer_money(&table, &want)?;
        let summary: serde_json::Value = serde_json::from_slice(&outputs["summary.json"]).unwrap();
        check_summary(&summary, &table, &rows, &want)?;
    }

    /// The same rows in another order give byte-identical outputs: `customers.csv`,
    /// `summary.json`, `report.md`, `report.pdf` and the charts.
    #[test]
    fn shuffled_rows_give_identical_outputs((rows, shuffled, knobs) in shuffled_case()) {
        let dir = tempfile::tempdir().unwrap();
        let given = run(&dir.path().join("given"), &rows, &knobs);
        let reordered = run(&dir.path().join("shuffled"), &shuffled, &knobs);
        prop_assert_eq!(given.keys().collect::<Vec<_>>(), reordered.keys().collect::<Vec<_>>());
        for (path, bytes) in &given {
            prop_assert!(
                *bytes == reordered[path],
                "{} differs when the same rows come in another order",
                path
            );
        }
    }
}
