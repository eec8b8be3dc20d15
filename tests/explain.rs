//! `powerbase explain` and rule coverage on the real CDNOW data, checked against figures worked
//! out here from the raw rows (or from customers.csv with a plain loop), not through powerbase.

mod support;

use std::collections::BTreeMap;

use support::*;

/// Per CDNOW customer: revenue in cents and purchase days, from all the raw rows.
fn raw() -> BTreeMap<String, (i64, usize)> {
    raw_cdnow_until("99999999")
}

/// Cents as the report prints money: `$1,234.50`.
fn dollars(cents: i64) -> String {
    format!("${}.{:02}", thousands(cents / 100), cents % 100)
}

/// The example's tiers and params, with a check.
const POLICY: &str = r#"client: CDNOW
currency: USD
as_of: 1998-06-30
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: customer_id, date: date, amount: dollar_value, quantity: number_of_cds }
    date_format: "%Y%m%d"
params:
  first_class_min: 300
  business_min_days: 3
metrics:
  price_per_cd: if quantity > 0 { revenue / quantity } else { () }
tiers:
  - name: First
    when: revenue >= first_class_min && purchase_days >= business_min_days
  - name: Business
    when: purchase_days >= business_min_days || revenue >= first_class_min / 2
  - name: Economy
checks:
  - name: one_and_done
    when: purchase_days == 1
    severity: info
    message: Bought on a single day.
"#;

fn explain_text(dir: &std::path::Path, args: &[&str]) -> String {
    String::from_utf8(command_ok("explain", dir, args).stdout).unwrap()
}

fn explain_json(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    serde_json::from_str(&explain_text(dir, &all)).unwrap()
}

/// What an Economy customer needs for Business (`purchase_days >= 3 || revenue >= 300 / 2`),
/// worked out from the raw figures.
fn to_business(revenue: i64, days: usize) -> String {
    let days_needed = 3 - days;
    format!(
        "needs {} more purchase day{}, or {} more revenue",
        days_needed,
        if days_needed == 1 { "" } else { "s" },
        dollars(15_000 - revenue)
    )
}

#[test]
fn explains_an_economy_a_business_and_a_first_class_customer() {
    let ws = workspace(POLICY, None, &[]);
    let raw = raw();

    // 00002: $89.00 on one day, so Economy; Business needs 2 more days or $61.00 more.
    let (revenue, days) = raw["00002"];
    assert_eq!((revenue, days), (8_900, 1));
    let text = explain_text(ws.path(), &["00002"]);
    assert!(
        text.starts_with("Customer 00002 is in Economy (reason: (last tier)), as of 1998-06-30."),
        "{text}"
    );
    let expected = to_business(revenue, days);
    assert_eq!(
        expected,
        "needs 2 more purchase days, or $61.00 more revenue"
    );
    assert!(
        text.contains(&format!("To reach Business: {expected}.")),
        "{text}"
    );
    assert!(text.contains("  1. First: does not hold\n"), "{text}");
    assert!(text.contains("  2. Business: does not hold\n"), "{text}");
    assert!(text.contains("  3. Economy: placed here"), "{text}");
    assert!(
        text.contains(&format!(
        "reads: purchase_days = {days}, business_min_days = 3, revenue = {}, first_class_min = 300",
        dollars(revenue)
    )),
        "{text}"
    );
    assert!(
        text.contains("one_and_done (info): Bought on a single day."),
        "{text}"
    );

    // Every Economy customer with one or two purchase days: the same sentence from the raw rows.
    let economy: Vec<(&String, &(i64, usize))> = raw
        .iter()
        .filter(|(_, (r, d))| *d < 3 && *r < 15_000 && *d > 0 && *r > 0)
        .take(3)
        .collect();
    for (id, (r, d)) in economy {
        let text = explain_text(ws.path(), &[id]);
        assert!(
            text.contains(&format!("To reach Business: {}.", to_business(*r, *d))),
            "{id}: {text}"
        );
    }

    // 00003: six days, $156.46: Business; First needs the rest of $300.
    let (revenue, days) = raw["00003"];
    assert!(days >= 3 && revenue < 30_000);
    let text = explain_text(ws.path(), &["00003"]);
    assert!(
        text.starts_with("Customer 00003 is in Business (reason: Business)"),
        "{text}"
    );
    assert!(
        text.contains("  2. Business: holds: placed here\n"),
        "{text}"
    );
    assert!(text.contains("  3. Economy: not reached\n"), "{text}");
    assert!(
        text.contains(&format!(
            "To reach First: needs {} more revenue.",
            dollars(30_000 - revenue)
        )),
        "{text}"
    );
    assert!(text.contains("No check fired for this customer."), "{text}");

    // 07592, the largest customer: First, the top tier; Business would hold too.
    let text = explain_text(ws.path(), &["07592"]);
    assert!(
        text.starts_with("Customer 07592 is in First (reason: First)"),
        "{text}"
    );
    assert!(
        text.contains("  2. Business: not reached (would also hold)\n"),
        "{text}"
    );
    assert!(text.contains("This is the top tier."), "{text}");
    assert!(
        text.contains(&format!("  revenue            {}", dollars(raw["07592"].0))),
        "{text}"
    );
    // Nothing is written.
    assert!(!ws.path().join("out").exists());
}

#[test]
fn json_has_the_documented_shape() {
    let ws = workspace(POLICY, None, &[]);
    let v = explain_json(ws.path(), &["00002"]);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "customer_id",
            "as_of",
            "tier",
            "reason",
            "metrics",
            "rules",
            "distance",
            "checks"
        ]
    );
    assert_eq!(v["customer_id"], "00002");
    assert_eq!(v["tier"], "Economy");
    assert_eq!(v["reason"], "(last tier)");
    let metric = |name: &str| {
        v["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    assert_eq!(metric("revenue")["kind"], "builtin");
    assert_eq!(metric("revenue")["value"].to_string(), "89.00");
    assert_eq!(metric("purchase_days")["value"], 1);
    assert_eq!(metric("first_purchase")["value"], "1997-01-12");
    assert_eq!(metric("price_per_cd")["kind"], "derived");
    assert_eq!(
        metric("price_per_cd")["value"].as_f64().unwrap(),
        89.0 / 6.0
    );

    let rules = v["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 3);
    let field = |k: &str| rules.iter().map(|r| r[k].clone()).collect::<Vec<_>>();
    assert_eq!(field("tier"), ["First", "Business", "Economy"]);
    assert_eq!(field("matched"), [false, false, true]);
    assert_eq!(rules[2]["rule"], serde_json::Value::Null);
    let rule_keys: Vec<&str> = rules[1]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        rule_keys,
        ["tier", "rule", "matched", "holds", "reads", "populations"]
    );
    assert_eq!(
        rules[1]["reads"].to_string(),
        r#"{"purchase_days":1,"business_min_days":3,"revenue":89.00,"first_class_min":300}"#
    );

    let d = &v["distance"];
    assert_eq!(d["to"], "Business");
    assert_eq!(d["computable"], true);
    assert_eq!(
        d["text"],
        "needs 2 more purchase days, or $61.00 more revenue"
    );
    let any = d["need"]["any"].as_array().unwrap();
    assert_eq!(any.len(), 2);
    assert_eq!(any[0]["metric"], "purchase_days");
    assert_eq!(any[0]["op"], ">=");
    assert_eq!(any[0]["threshold"], 3);
    assert_eq!(any[0]["source"], "param business_min_days");
    assert_eq!(any[0]["change"], 2);
    assert_eq!(any[1]["metric"], "revenue");
    assert_eq!(any[1]["value"].to_string(), "89.00");
    assert_eq!(any[1]["threshold"], 150);
    assert_eq!(any[1]["source"], "expression first_class_min / 2");
    assert_eq!(any[1]["change"].to_string(), "61.00");

    assert_eq!(
        v["checks"],
        serde_json::json!([{ "name": "one_and_done", "severity": "info", "message": "Bought on a single day." }])
    );
    let top = explain_json(ws.path(), &["07592"]);
    assert_eq!(top["distance"], serde_json::Value::Null);
    assert_eq!(top["rules"][1]["matched"], serde_json::Value::Null);
    assert_eq!(top["rules"][1]["holds"], true);
}

/// The `p` quantile ("type 7") of ascending values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[test]
fn population_figures_are_shown_with_their_values() {
    let ws = workspace(POLICY, None, &[]);
    let raw = raw();
    let mut revenues: Vec<f64> = raw.values().map(|(r, _)| *r as f64 / 100.0).collect();
    revenues.sort_by(f64::total_cmp);
    let p95 = percentile(&revenues, 0.95);
    let set = [
        "--set",
        "tiers.First.when=revenue >= percentile(\"revenue\", 0.95)",
    ];
    let mut args = vec!["00003"];
    args.extend(set);
    let v = explain_json(ws.path(), &args);
    let pops = v["rules"][0]["populations"].as_array().unwrap();
    assert_eq!(pops.len(), 1);
    assert_eq!(pops[0]["call"], "percentile(\"revenue\", 0.95)");
    assert!((pops[0]["value"].as_f64().unwrap() - p95).abs() < 1e-9);
    // The distance to First: up to the figure, rounded up to the cent.
    let needed = (p95 * 100.0).ceil() as i64 - raw["00003"].0;
    assert_eq!(
        v["distance"]["text"],
        format!("needs {} more revenue", dollars(needed))
    );
    assert_eq!(
        v["distance"]["need"]["source"],
        "population percentile(\"revenue\", 0.95)"
    );
    let text = explain_text(ws.path(), &args);
    assert!(
        text.contains(&format!(
            "figure: percentile(\"revenue\", 0.95) = {}",
            &dollars((p95 * 100.0).round() as i64)[1..]
        )),
        "{text}"
    );
}

#[test]
fn as_of_and_set_change_the_explanation() {
    let ws = workspace(POLICY, None, &[]);
    // As of 1997-03-31: 00003's revenue and days from the rows up to then.
    let early = raw_cdnow_until("19970331");
    let (revenue, days) = early["00003"];
    let v = explain_json(ws.path(), &["00003", "--as-of", "1997-03-31"]);
    assert_eq!(v["as_of"], "1997-03-31");
    let metric = |name: &str| {
        v["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap()["value"]
            .clone()
    };
    assert_eq!(
        metric("revenue").to_string(),
        format!("{}.{:02}", revenue / 100, revenue % 100)
    );
    assert_eq!(metric("purchase_days"), days);
    // With First from $100, 00003 ($156.46 on six days) is First.
    let v = explain_json(ws.path(), &["00003", "--set", "first_class_min=100"]);
    assert_eq!(v["tier"], "First");
    assert_eq!(v["rules"][0]["reads"]["first_class_min"], 100);
}

#[test]
fn a_distance_that_cannot_be_computed_says_why() {
    let ws = workspace(POLICY, None, &[]);
    for (rule, why) in [
        (
            "revenue_12m * 2 >= 300",
            "not computable: its rule is not a comparison of metrics with constants, params or population figures joined by && and ||",
        ),
        (
            "revenue.floor() >= 150",
            "not computable: only the script engine evaluates its rule, which is not a comparison of metrics with thresholds",
        ),
    ] {
        let set = format!("tiers.Business.when={rule}");
        let v = explain_json(ws.path(), &["00002", "--set", &set]);
        assert_eq!(v["tier"], "Economy", "{rule}");
        assert_eq!(v["distance"]["text"], why, "{rule}");
        assert_eq!(v["distance"]["computable"], false);
        assert_eq!(v["distance"]["need"], serde_json::Value::Null);
    }
    // An opaque rule still lists the values it reads.
    let v = explain_json(
        ws.path(),
        &[
            "00002",
            "--set",
            "tiers.Business.when=revenue.floor() >= 150",
        ],
    );
    assert_eq!(v["rules"][1]["reads"].to_string(), r#"{"revenue":89.00}"#);
}

#[test]
fn an_unknown_id_is_an_error_with_near_ids() {
    let ws = workspace(POLICY, None, &[]);
    for (wanted, near) in [("7592", "07592"), ("0759", "07592"), ("07592 ", "07592")] {
        let out = command("explain", ws.path(), &[wanted]);
        assert_eq!(out.status.code(), Some(2), "{wanted}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("no customer has the id `{wanted}`")),
            "{err}"
        );
        assert!(err.contains("23,570 customers"), "{err}");
        let list = err
            .split("near ids: ")
            .nth(1)
            .unwrap_or_else(|| panic!("{err}"));
        assert!(
            list.split([',', ' ', '\n']).any(|id| id == near),
            "{wanted}: {err}"
        );
    }
}

/// Tiers with a rule earlier tiers shadow and one no customer meets.
const COVERAGE: &str = r#"client: CDNOW
currency: USD
as_of: 1998-06-30
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: customer_id, date: date, amount: dollar_value, quantity: number_of_cds }
    date_format: "%Y%m%d"
params:
  first_class_min: 300
tiers:
  - name: First
    when: revenue >= first_class_min && purchase_days >= 3
  - name: Silver
    when: revenue >= 500 && purchase_days >= 5
  - name: Gold
    when: revenue >= 100000
  - name: Business
    when: purchase_days >= 3 || revenue >= first_class_min / 2
  - name: Economy
"#;

#[test]
fn coverage_matches_an_independent_count() {
    let ws = workspace(COVERAGE, None, &[]);
    run_ok(ws.path(), &["--quiet"]);
    // A plain loop over customers.csv.
    let rows = customers(ws.path());
    // (tier, rule on revenue in cents and purchase days)
    type Rule = (&'static str, fn(i64, i64) -> bool);
    let rules: [Rule; 4] = [
        ("First", |r, d| r >= 30_000 && d >= 3),
        ("Silver", |r, d| r >= 50_000 && d >= 5),
        ("Gold", |r, _| r >= 10_000_000),
        ("Business", |r, d| d >= 3 || r >= 15_000),
    ];
    let mut placed = [0usize; 4];
    let mut holds = [0usize; 4];
    let mut taken_revenue = [0i64; 4];
    let mut near_300 = 0;
    let mut reach_300 = 0;
    let mut near_150 = 0;
    let mut near_3_days = 0;
    for row in &rows {
        let (r, d) = (
            cents(&row["revenue"]),
            row["purchase_days"].parse::<i64>().unwrap(),
        );
        for (k, (name, rule)) in rules.iter().enumerate() {
            if row["tier"] == *name {
                placed[k] += 1;
            }
            if rule(r, d) {
                holds[k] += 1;
                if row["tier"] != *name {
                    taken_revenue[k] += r;
                }
            }
        }
        near_300 += usize::from((r - 30_000).abs() <= 1_500);
        // Below First and short of $300 by at most 5%.
        reach_300 += usize::from(row["tier"] != "First" && (28_500..30_000).contains(&r));
        near_150 += usize::from((r - 15_000).abs() <= 750);
        // Within 5% of 3 days: exactly 3.
        near_3_days += usize::from(d == 3);
    }
    assert_eq!(placed[1], 0, "Silver is shadowed by First");
    assert!(holds[1] > 0);
    assert_eq!((placed[2], holds[2]), (0, 0), "nobody spent $100,000");

    let s = summary(ws.path());
    let coverage = s["coverage"].as_array().unwrap();
    assert_eq!(coverage.len(), 4, "the last tier has no rule");
    for (k, c) in coverage.iter().enumerate() {
        assert_eq!(c["tier"], rules[k].0);
        assert_eq!(c["placed"], placed[k], "{}", rules[k].0);
        assert_eq!(c["holds"], holds[k], "{}", rules[k].0);
        assert_eq!(c["shadowed"], k == 1, "{}", rules[k].0);
    }
    assert_eq!(coverage[1]["rule"], "revenue >= 500 && purchase_days >= 5");
    let near = coverage[0]["near_threshold"].as_array().unwrap();
    assert_eq!(
        near[0],
        serde_json::json!({"metric": "revenue", "op": ">=", "threshold": 300, "source": "param first_class_min", "customers": near_300, "within_reach": reach_300})
    );
    assert_eq!(near[1]["customers"], near_3_days);
    let business = coverage[3]["near_threshold"].as_array().unwrap();
    assert_eq!(business[1]["source"], "expression first_class_min / 2");
    assert_eq!(business[1]["threshold"], 150);
    assert_eq!(business[1]["customers"], near_150);

    // Findings: the shadowed rule with the customers it would take, the rule nobody meets.
    let findings = s["findings"].as_array().unwrap();
    let finding = |name: &str| {
        findings
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {findings:?}"))
            .clone()
    };
    let silver = finding("rule_Silver_shadowed");
    assert_eq!(silver["severity"], "warning");
    assert_eq!(silver["customers"], holds[1]);
    assert_eq!(
        silver["revenue"].to_string(),
        format!("{}.{:02}", taken_revenue[1] / 100, taken_revenue[1] % 100)
    );
    assert_eq!(silver["largest"]["customer_id"], "07592");
    assert!(
        silver["message"].as_str().unwrap().contains(&format!(
            "matched 0 of the {} customers for whom its condition holds",
            holds[1]
        )),
        "{silver}"
    );
    let gold = finding("rule_Gold_matches_nobody");
    assert_eq!(gold["customers"], 0);
    assert!(gold["message"]
        .as_str()
        .unwrap()
        .contains("holds for none of them"));
    assert!(!findings
        .iter()
        .any(|f| f["name"] == "rule_First_shadowed" || f["name"] == "rule_Business_shadowed"));

    // The report says the same.
    let md = report(ws.path());
    assert!(md.contains("## How the tier rules fit the data"), "{md}");
    assert!(
        md.contains(&format!(
            "| Silver | 0 | {} | revenue \\>= $500 (literal): ",
            thousands(holds[1])
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "**Silver** places nobody: earlier tiers take all {} customers its rule holds for.",
            thousands(holds[1])
        )),
        "{md}"
    );
    assert!(
        md.contains("**Gold** places nobody: its rule matched no customer."),
        "{md}"
    );
}
