//! Personas and the representation of attribute values, on the real CDNOW transactions with an
//! attribute file written here (region, age, visits and a company name derived from the id; every
//! tenth customer left out). Every figure of `representation`, `profile` and `personas` in
//! summary.json is checked against a plain loop over the CSV rows.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use support::*;

const POLICY: &str = r#"client: CDNOW
currency: USD
as_of: 1998-06-30
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: customer_id, date: date, amount: dollar_value, quantity: number_of_cds }
    date_format: "%Y%m%d"
  customers:
    path: data/customers.csv
    columns: { customer_id: id }
attributes:
  age: { bands: [25, 35, 50] }
  purchase_days: { bands: [2, 5] }
cost_to_serve:
  handling: orders * 2
tiers:
  - name: First
    when: revenue >= 300 && purchase_days >= 3
  - name: Business
    when: purchase_days >= 3 || revenue >= 150
  - name: Economy
personas:
  - name: Northern regulars
    description: Repeat buyers in the north.
    when: region == "North" && purchase_days >= 2
  - name: Young big spenders
    description: Under 30, at least $100 spent.
    when: age < 30 && revenue >= 100
"#;

const REGIONS: [&str; 4] = ["North", "South", "East", "West"];

/// One customer, from the raw rows and the id.
struct Customer {
    revenue: i64,
    orders: i64,
    days: usize,
    aov: Option<f64>,
    tier: usize,
    /// region, age, visits; `None` for every tenth customer (no attribute row).
    attrs: Option<(&'static str, i64, i64)>,
}

fn attrs_of(id: &str) -> Option<(&'static str, i64, i64)> {
    let n: i64 = id.parse().unwrap();
    (n % 10 != 0).then(|| {
        (
            REGIONS[(n % 4) as usize],
            18 + (n * 7) % 60,
            // Many ties: a third of customers have 0 visits.
            if n % 3 == 0 { 0 } else { n % 11 },
        )
    })
}

/// The attribute file: region, age and visits from the id, a company name, and `club`, which
/// follows buying (`member` from 5 purchase days), so that it sets the core apart.
fn attribute_file(all: &BTreeMap<String, Customer>) -> String {
    let mut out = String::from("id,region,age,visits,company,club\n");
    for (id, c) in all {
        if let Some((region, age, visits)) = c.attrs {
            let club = club(c);
            out.push_str(&format!(
                "{id},{region},{age},{visits},Company {id},{club}\n"
            ));
        }
    }
    out
}

fn club(c: &Customer) -> &'static str {
    if c.days >= 5 {
        "member"
    } else {
        "none"
    }
}

/// Every customer from a plain loop over the CSV rows.
fn customers() -> BTreeMap<String, Customer> {
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    let mut acc: BTreeMap<String, (i64, i64, BTreeSet<String>)> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (whole, cents) = f[3].split_once('.').unwrap();
        let sign = if whole.starts_with('-') { -1 } else { 1 };
        let c = whole.parse::<i64>().unwrap() * 100 + sign * cents.parse::<i64>().unwrap();
        let e = acc.entry(f[0].to_string()).or_default();
        e.0 += c;
        if c >= 0 {
            e.1 += 1;
            e.2.insert(f[1].to_string());
        }
    }
    acc.into_iter()
        .map(|(id, (revenue, orders, days))| {
            let days = days.len();
            let tier = if revenue >= 30_000 && days >= 3 {
                0
            } else if days >= 3 || revenue >= 15_000 {
                1
            } else {
                2
            };
            let aov = (orders > 0).then(|| revenue as f64 / 100.0 / orders as f64);
            let attrs = attrs_of(&id);
            let c = Customer {
                revenue,
                orders,
                days,
                aov,
                tier,
                attrs,
            };
            (id, c)
        })
        .collect()
}

/// The type-7 quantile of ascending values.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The label of each customer's value of `attribute` (`None` without one), as the module
/// documentation defines them, worked out here.
fn labels(all: &BTreeMap<String, Customer>, attribute: &str) -> Vec<Option<String>> {
    let band = |v: i64, bounds: &[i64], names: &[&str]| {
        names[bounds.iter().filter(|&&b| v >= b).count()].to_string()
    };
    match attribute {
        "club" => all
            .values()
            .map(|c| c.attrs.map(|_| club(c).to_string()))
            .collect(),
        "region" => all
            .values()
            .map(|c| c.attrs.map(|a| a.0.to_string()))
            .collect(),
        "age" => all
            .values()
            .map(|c| {
                c.attrs
                    .map(|a| band(a.1, &[25, 35, 50], &["< 25", "25–35", "35–50", "50+"]))
            })
            .collect(),
        "purchase_days" => all
            .values()
            .map(|c| Some(band(c.days as i64, &[2, 5], &["< 2", "2–5", "5+"])))
            .collect(),
        "visits" => {
            let mut sorted: Vec<f64> = all
                .values()
                .filter_map(|c| c.attrs.map(|a| a.2 as f64))
                .collect();
            sorted.sort_by(f64::total_cmp);
            let cuts: Vec<f64> = [0.2, 0.4, 0.6, 0.8]
                .iter()
                .map(|&p| quantile(&sorted, p))
                .collect();
            let quintile = |v: f64| cuts.iter().filter(|&&c| v > c).count();
            let mut range = [(i64::MAX, i64::MIN); 5];
            for &v in &sorted {
                let r = &mut range[quintile(v)];
                *r = (r.0.min(v as i64), r.1.max(v as i64));
            }
            all.values()
                .map(|c| {
                    c.attrs.map(|a| {
                        let (lo, hi) = range[quintile(a.2 as f64)];
                        if lo == hi {
                            lo.to_string()
                        } else {
                            format!("{lo}–{hi}")
                        }
                    })
                })
                .collect()
        }
        _ => unreachable!(),
    }
}

fn run() -> (tempfile::TempDir, BTreeMap<String, Customer>, Value) {
    let all = customers();
    let ws = workspace(
        POLICY,
        None,
        &[("data/customers.csv", &attribute_file(&all))],
    );
    run_ok(ws.path(), &["--quiet", "--no-provenance"]);
    let summary = summary(ws.path());
    (ws, all, summary)
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number: {v}"))
}

const TIERS: [&str; 3] = ["First", "Business", "Economy"];

fn check_representation(all: &BTreeMap<String, Customer>, summary: &Value) {
    let rows = summary["representation"].as_array().unwrap();
    let mut seen = 0;
    for attribute in ["region", "age", "visits", "purchase_days", "club"] {
        let labels = labels(all, attribute);
        // value -> per tier customers; per tier customers with a value.
        let mut counts: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
        let mut with_value = [0usize; 3];
        for (c, label) in all.values().zip(&labels) {
            if let Some(l) = label {
                counts.entry(l.as_str()).or_default()[c.tier] += 1;
                with_value[c.tier] += 1;
            }
        }
        let base_total: usize = with_value.iter().sum();
        for (value, per_tier) in &counts {
            let base_share = per_tier.iter().sum::<usize>() as f64 / base_total as f64;
            for t in 0..3 {
                let row = rows
                    .iter()
                    .find(|r| {
                        r["attribute"] == attribute && r["value"] == *value && r["tier"] == TIERS[t]
                    })
                    .unwrap_or_else(|| panic!("no row {attribute} {value} {}", TIERS[t]));
                let share = per_tier[t] as f64 / with_value[t] as f64;
                assert_eq!(
                    row["customers"], per_tier[t],
                    "{attribute} {value} {}",
                    TIERS[t]
                );
                assert!((f(&row["share"]) - share).abs() < 1e-12);
                assert!((f(&row["base_share"]) - base_share).abs() < 1e-12);
                let index = share / base_share * 100.0;
                assert!((f(&row["index"]) - index).abs() <= 0.05 + 1e-9, "{row}");
                seen += 1;
            }
        }
    }
    assert_eq!(seen, rows.len(), "no other rows");
    let skipped = summary["profile"]["not_profiled"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["attribute"], "company");
}

/// A persona's rule, worked out in the test.
type Rule = dyn Fn(&Customer) -> bool;

fn check_personas(all: &BTreeMap<String, Customer>, summary: &Value) {
    let northern = |c: &Customer| c.attrs.is_some_and(|a| a.0 == "North") && c.days >= 2;
    let young = |c: &Customer| c.attrs.is_some_and(|a| a.1 < 30) && c.revenue >= 10_000;
    let total_revenue: i64 = all.values().map(|c| c.revenue).sum();
    let total_profit: i64 = all.values().map(|c| c.revenue - 200 * c.orders).sum();
    let personas = summary["personas"].as_array().unwrap();
    assert_eq!(personas.len(), 2);
    let rules: [(&str, &Rule); 2] = [
        ("Northern regulars", &northern),
        ("Young big spenders", &young),
    ];
    for (k, (name, rule)) in rules.iter().enumerate() {
        let p = &personas[k];
        let members: Vec<&Customer> = all.values().filter(|c| rule(c)).collect();
        let revenue: i64 = members.iter().map(|c| c.revenue).sum();
        let profit: i64 = members.iter().map(|c| c.revenue - 200 * c.orders).sum();
        assert_eq!(p["name"], *name);
        assert_eq!(p["customers"], members.len());
        assert!((f(&p["customer_share"]) - members.len() as f64 / all.len() as f64).abs() < 1e-12);
        assert_eq!((f(&p["revenue"]) * 100.0).round() as i64, revenue, "{name}");
        assert!((f(&p["revenue_share"]) - revenue as f64 / total_revenue as f64).abs() < 1e-12);
        assert_eq!((f(&p["profit"]) * 100.0).round() as i64, profit, "{name}");
        assert!((f(&p["profit_share"]) - profit as f64 / total_profit as f64).abs() < 1e-12);
        let (other, other_rule) = rules[1 - k];
        let both = all.values().filter(|c| rule(c) && other_rule(c)).count();
        assert_eq!(p["overlaps"].as_object().unwrap().len(), 1);
        assert_eq!(p["overlaps"][other], both, "{name} and {other}");
        let mut days: Vec<f64> = members.iter().map(|c| c.days as f64).collect();
        let mean = days.iter().sum::<f64>() / days.len() as f64;
        days.sort_by(f64::total_cmp);
        let b = &p["behaviour"]["purchase_days"];
        assert!((f(&b["mean"]) - mean).abs() <= 0.005 + 1e-9);
        assert_eq!(f(&b["median"]), quantile(&days, 0.5));
    }
    // Northern regulars: all from the north, so region North is over-represented (index 400).
    let top = personas[0]["over_represented"].as_array().unwrap();
    assert!(top.len() <= 3 && !top.is_empty());
    assert_eq!(top[0]["attribute"], "region");
    assert_eq!(top[0]["value"], "North");
    let indexes: Vec<f64> = top.iter().map(|v| f(&v["index"])).collect();
    assert!(indexes.windows(2).all(|w| w[0] >= w[1]), "{indexes:?}");
    assert!(indexes.iter().all(|&i| i > 100.0));
}

fn check_profile(all: &BTreeMap<String, Customer>, summary: &Value) {
    let p = &summary["profile"];
    assert_eq!(p["core"], "First");
    let core: Vec<&Customer> = all.values().filter(|c| c.tier == 0).collect();
    assert_eq!(p["customers"], core.len());
    let mean_days =
        |cs: &[&Customer]| cs.iter().map(|c| c.days as f64).sum::<f64>() / cs.len() as f64;
    let everyone: Vec<&Customer> = all.values().collect();
    let (core_days, base_days) = (mean_days(&core), mean_days(&everyone));
    assert!((f(&p["behaviour"]["purchase_days"]["mean"]) - core_days).abs() <= 0.005 + 1e-9);
    assert!((f(&p["base"]["purchase_days"]["mean"]) - base_days).abs() <= 0.005 + 1e-9);
    let median_aov = |cs: &[&Customer]| {
        let mut v: Vec<f64> = cs.iter().filter_map(|c| c.aov).collect();
        v.sort_by(f64::total_cmp);
        quantile(&v, 0.5)
    };
    let (core_aov, base_aov) = (median_aov(&core), median_aov(&everyone));
    assert!((f(&p["behaviour"]["avg_order_value"]["median"]) - core_aov).abs() <= 0.005 + 1e-9);
    // The verdict follows from the two ratios and the documented thresholds (1.5 and 1.2).
    let word = |ratio: f64, t: f64, words: [&'static str; 3]| -> &'static str {
        if ratio >= t {
            words[2]
        } else if ratio <= 1.0 / t {
            words[0]
        } else {
            words[1]
        }
    };
    assert_eq!(
        p["frequency"],
        word(core_days / base_days, 1.5, ["less", "same", "more"])
    );
    assert_eq!(
        p["order"],
        word(core_aov / base_aov, 1.2, ["lower", "same", "higher"])
    );
    let finding = p["finding"].as_str().unwrap();
    assert!(
        finding.contains(&format!("{core_days:.1} days")),
        "{finding}"
    );
    assert!(
        finding.contains(&format!("against {base_days:.1}")),
        "{finding}"
    );
    assert_eq!(p["by_definition"], serde_json::json!(["purchase_days"]));
    // Region, age and visits do not follow buying; club does, and the banded purchase days are
    // what the First rule reads, so club member is the one value that stands out.
    let top = p["over_represented"].as_array().unwrap();
    assert_eq!(top.len(), 1, "{top:?}");
    assert_eq!(
        (&top[0]["attribute"], &top[0]["value"]),
        (&"club".into(), &"member".into())
    );
    assert_eq!(p["read_by_rule"], serde_json::json!(["purchase_days"]));
    let known: Vec<&&Customer> = core.iter().filter(|c| c.attrs.is_some()).collect();
    let members = known.iter().filter(|c| club(c) == "member").count();
    let base_known = all.values().filter(|c| c.attrs.is_some()).count();
    let base_members = all
        .values()
        .filter(|c| c.attrs.is_some() && club(c) == "member")
        .count();
    let index = (members as f64 / known.len() as f64) / (base_members as f64 / base_known as f64);
    assert_eq!(top[0]["customers"], members);
    assert!((f(&top[0]["index"]) - index * 100.0).abs() <= 0.05 + 1e-9);
}

/// The heading of the core table states the top value and how many times as common it is.
fn check_core_heading(all: &BTreeMap<String, Customer>, summary: &Value, report: &str) {
    let index = f(&summary["profile"]["over_represented"][0]["index"]);
    assert!(index > 300.0, "{index}: club follows buying");
    let heading = format!(
        "### club member is {:.1} times as common among First customers as among all",
        index / 100.0
    );
    assert!(report.contains(&heading), "{heading}");
    assert!(report.contains("leaving out purchase\\_days, which the First rule reads"));
    assert!(all.len() > 20_000);
}

#[test]
fn representation_profile_and_personas_match_a_plain_loop() {
    let (ws, all, summary) = run();
    check_representation(&all, &summary);
    check_personas(&all, &summary);
    check_profile(&all, &summary);
    let report = std::fs::read_to_string(ws.path().join("out/report.md")).unwrap();
    check_core_heading(&all, &summary, &report);
    for text in [
        "### Northern regulars: ",
        "### Young big spenders: ",
        "Repeat buyers in the north.",
        "![What sets the core customers apart",
        "Not profiled: company",
    ] {
        assert!(report.contains(text), "`{text}` missing from the report");
    }
    assert!(!report.contains("No personas are declared"));
    let svg = std::fs::read_to_string(ws.path().join("out/charts/representation.svg")).unwrap();
    assert!(svg.contains("What sets First customers apart") && svg.contains("North"));
}

#[test]
fn without_attributes_and_personas_the_report_names_the_missing_data() {
    let ws = workspace(MINIMAL, None, &[]);
    run_ok(ws.path(), &["--quiet", "--no-provenance"]);
    let summary = summary(ws.path());
    assert_eq!(summary["representation"], serde_json::json!([]));
    assert_eq!(summary["personas"], serde_json::json!([]));
    let report = std::fs::read_to_string(ws.path().join("out/report.md")).unwrap();
    assert!(report.contains("it has no customer attributes"), "{report}");
    assert!(report.contains("data.customers"));
    assert!(report.contains("No personas are declared"));
}

#[test]
fn two_core_tiers_an_empty_persona_and_no_revenue() {
    let policy = r#"client: T
currency: EUR
as_of: 2024-06-30
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: id, date: date, amount: amount }
tiers:
  - name: A
    core: true
    when: revenue > 0
  - name: B
    core: true
    when: purchase_days >= 2
  - name: C
personas:
  - name: Nobody
    when: revenue > 1000000
  - name: Everyone
    when: true
"#;
    let csv = "id,date,amount\na,2024-01-05,10.00\na,2024-01-06,-10.00\nb,2024-02-01,-5.00\nc,2024-03-01,0.00\nc,2024-03-02,0.00\n";
    let ws = workspace(policy, Some(csv), &[]);
    run_ok(ws.path(), &["--quiet", "--no-provenance"]);
    let s = summary(ws.path());
    let p = &s["profile"];
    assert_eq!(p["core"], "A and B");
    assert_eq!(p["core_tiers"], serde_json::json!(["A", "B"]));
    // Only c is core (a nets to zero; b has only a refund): one customer, in B.
    assert_eq!(p["customers"], 1);
    let personas = s["personas"].as_array().unwrap();
    assert_eq!(personas[0]["customers"], 0);
    assert!(personas[0]["behaviour"]["purchase_days"]["mean"].is_null());
    assert_eq!(personas[0]["overlaps"]["Everyone"], 0);
    assert_eq!(personas[1]["customers"], 3);
    assert_eq!(personas[1]["overlaps"]["Nobody"], 0);
    // Total revenue is negative: shares of it are not meaningful.
    assert!(personas[1]["revenue_share"].is_null());
    assert!(personas[1]["profit"].is_null() && personas[1]["profit_share"].is_null());
    let report = std::fs::read_to_string(ws.path().join("out/report.md")).unwrap();
    assert!(report.contains("### Nobody: 0 customers"), "{report}");
    assert!(report.contains("Profit per persona needs a cost column"));
}
