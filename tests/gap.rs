//! The investment gap (`needs:`, `products:`, `personas[].needs`): the figures of
//! `examples/b2b-services` against a computation from its raw CSV files in this file; product
//! codes with patterns; the sort order; what the report says when the gap cannot be computed;
//! and the policy problems (weights that do not sum to 1, an undeclared need).

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;
use support::*;

/// Needs with weights or coverages.
type Weights = &'static [(&'static str, f64)];

/// The gap rows of summary.json by (persona, need).
fn rows(summary: &Json) -> BTreeMap<(String, String), Json> {
    summary["investment_gap"]
        .as_array()
        .expect("investment_gap is a list")
        .iter()
        .map(|r| {
            let key = (
                r["persona"].as_str().unwrap().to_string(),
                r["need"].as_str().unwrap().to_string(),
            );
            (key, r.clone())
        })
        .collect()
}

/// The list is sorted by product gap + outreach gap descending, ties by persona then need.
fn assert_sorted(summary: &Json) {
    let list = summary["investment_gap"].as_array().unwrap();
    let key = |r: &Json| {
        (
            -(json_cents(&r["product_gap"]) + json_cents(&r["outreach_gap"])),
            r["persona"].as_str().unwrap().to_string(),
            r["need"].as_str().unwrap().to_string(),
        )
    };
    for w in list.windows(2) {
        assert!(key(&w[0]) <= key(&w[1]), "{} before {}", w[0], w[1]);
    }
}

#[test]
fn b2b_services_gap_matches_the_raw_rows() {
    let example = repo().join("examples/b2b-services");
    let out = run_elsewhere(&example);
    let summary = summary(out.path());

    // The example runs at `level: account`: rows are rolled up to accounts.
    let (account_of, account_rows) = roll_up(&example.join("data/customers.csv"));
    // Per account: revenue in the 365 days to 2024-12-31, and net revenue per product code there.
    let as_of = iso_day("2024-12-31");
    let mut revenue_12m: BTreeMap<String, i64> = BTreeMap::new();
    let mut bought: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut customers: BTreeSet<String> = BTreeSet::new();
    for r in read_csv(&example.join("data/transactions.csv")) {
        let d = iso_day(&r["date"]);
        if d > as_of {
            continue;
        }
        let id = account_of
            .get(&r["customer_id"])
            .cloned()
            .unwrap_or_else(|| r["customer_id"].clone());
        customers.insert(id.clone());
        if d > as_of - 365 {
            let amount = cents(&r["amount"]);
            *revenue_12m.entry(id.clone()).or_default() += amount;
            *bought.entry((id, r["product"].clone())).or_default() += amount;
        }
    }
    // The personas of rules/value.yaml, from each account's attributes, over accounts with rows.
    let attributes: Vec<BTreeMap<String, String>> = account_rows.into_values().collect();
    type Rule = fn(&BTreeMap<String, String>) -> bool;
    let personas: [(&str, Rule, Weights); 3] = [
        (
            "Large accounts",
            |a| a["size_band"] == "large" || a["size_band"] == "enterprise",
            &[
                ("reliable_operations", 0.4),
                ("security", 0.3),
                ("integration", 0.2),
                ("expert_advice", 0.1),
            ],
        ),
        (
            "High-touch small clients",
            |a| {
                a["size_band"] == "small"
                    && a["support_tickets_per_year"].parse::<f64>().unwrap() >= 15.0
            },
            &[
                ("staff_skills", 0.5),
                ("expert_advice", 0.3),
                ("reliable_operations", 0.2),
            ],
        ),
        (
            "Recent wins",
            |a| a["client_since"].parse::<i64>().unwrap() >= 2022,
            &[
                ("expert_advice", 0.4),
                ("integration", 0.3),
                ("staff_skills", 0.3),
            ],
        ),
    ];
    // The products of rules/investment.yaml: (name, code test, serves).
    type Code = fn(&str) -> bool;
    let products: [(&str, Code, Weights); 4] = [
        (
            "Managed services",
            |c| c.starts_with("managed_"),
            &[("reliable_operations", 0.9), ("security", 0.3)],
        ),
        (
            "Security audit",
            |c| c == "security_audit",
            &[("security", 0.7)],
        ),
        (
            "Consulting",
            |c| c == "consulting",
            &[("expert_advice", 0.8), ("integration", 0.3)],
        ),
        (
            "Training",
            |c| c == "training",
            &[("staff_skills", 0.6), ("expert_advice", 0.2)],
        ),
    ];
    let got = rows(&summary);
    let mut expected_cells = 0;
    for (persona, rule, needs) in personas {
        let members: Vec<&String> = attributes
            .iter()
            .filter(|a| customers.contains(&a["customer_id"]) && rule(a))
            .map(|a| &a["customer_id"])
            .collect();
        assert!(!members.is_empty(), "{persona} has customers");
        let worth: i64 = members
            .iter()
            .map(|id| revenue_12m.get(*id).copied().unwrap_or(0))
            .sum();
        for &(need, weight) in needs {
            expected_cells += 1;
            let (product, coverage, code) = products
                .iter()
                .filter_map(|(name, code, serves)| {
                    let c = serves.iter().find(|s| s.0 == need)?.1;
                    Some((*name, c, *code))
                })
                .fold(None, |best: Option<(&str, f64, Code)>, p| match best {
                    Some(b) if b.1 >= p.1 => Some(b),
                    _ => Some(p),
                })
                .expect("every need of the example is served by some product");
            let buyers = members
                .iter()
                .filter(|id| {
                    bought
                        .iter()
                        .filter(|((c, p), _)| c == **id && code(p))
                        .map(|(_, v)| *v)
                        .sum::<i64>()
                        > 0
                })
                .count();
            let adoption = buyers as f64 / members.len() as f64;
            let row = &got[&(persona.to_string(), need.to_string())];
            assert_eq!(row["product"], product, "{persona} / {need}");
            assert_eq!(row["weight"].as_f64().unwrap(), weight);
            assert_eq!(row["coverage"].as_f64().unwrap(), coverage);
            assert!((row["adoption"].as_f64().unwrap() - adoption).abs() < 1e-12);
            assert_eq!(json_cents(&row["worth"]), worth, "{persona}");
            let product_gap = worth as f64 * weight * (1.0 - coverage);
            let outreach_gap = worth as f64 * weight * coverage * (1.0 - adoption);
            assert!(
                (json_cents(&row["product_gap"]) as f64 - product_gap).abs() <= 1.0,
                "{persona} / {need}: product gap {} against {product_gap}",
                row["product_gap"]
            );
            assert!(
                (json_cents(&row["outreach_gap"]) as f64 - outreach_gap).abs() <= 1.0,
                "{persona} / {need}: outreach gap {} against {outreach_gap}",
                row["outreach_gap"]
            );
        }
    }
    assert_eq!(got.len(), expected_cells);
    assert_sorted(&summary);
    // The keys and their order, as the issue names them.
    let first = summary["investment_gap"][0].as_object().unwrap();
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        [
            "persona",
            "need",
            "weight",
            "coverage",
            "product",
            "adoption",
            "worth",
            "product_gap",
            "outreach_gap"
        ]
    );
    let report = std::fs::read_to_string(out.path().join("out/report.md")).unwrap();
    let top = &summary["investment_gap"][0];
    assert!(
        report.contains(&format!(
            "## The largest investment gap is {} for {}",
            top["need"].as_str().unwrap().replace('_', " "),
            top["persona"].as_str().unwrap()
        )),
        "{report}"
    );
    assert!(out.path().join("out/charts/investment_gap.svg").exists());
    // The example's summary check (rules/investment.yaml) holds when the largest gap exceeds a
    // tenth of First-class revenue over 12 months, and names it.
    let total = json_cents(&top["product_gap"]) + json_cents(&top["outreach_gap"]);
    let first_12m = json_cents(&summary["tiers"][0]["revenue_12m"]);
    let finding = summary["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "gap_beyond_a_tenth_of_first_class");
    assert_eq!(finding.is_some(), total * 10 > first_12m);
    if let Some(f) = finding {
        let m = f["message"].as_str().unwrap();
        assert!(
            m.contains(&format!(
                "{} for {}",
                top["need"].as_str().unwrap(),
                top["persona"].as_str().unwrap()
            )),
            "{m}"
        );
    }
}

const POLICY: &str = "client: T\ncurrency: EUR\nas_of: 2024-12-31\ndata:\n  transactions:\n    path: data/transactions.csv\n    columns: { customer_id: id, date: date, amount: amount, product: product }\n\
tiers:\n  - name: Top\n    when: revenue >= 100\n  - name: Rest\n";

/// Four customers; `a` and `b` bought express codes in the last 12 months, `c` only before, `d`
/// bought API and refunded it in full.
const CSV: &str = "id,date,amount,product\n\
a,2024-06-01,300.00,EXP-1\n\
b,2024-07-01,100.00,EXP-22\n\
b,2024-07-02,100.00,API\n\
c,2023-06-01,500.00,EXP-1\n\
c,2024-02-01,100.00,OTHER\n\
d,2024-03-01,50.00,API\n\
d,2024-03-02,-50.00,API\n\
d,2024-03-03,150.00,OTHER\n";

#[test]
fn patterns_adoption_and_the_formulas_on_a_small_workspace() {
    let policy = format!(
        "{POLICY}needs: [fast_delivery, integration, advice]\nproducts:\n  - name: Express\n    codes: [EXP-*]\n    serves: {{ fast_delivery: 0.9 }}\n  - name: Connect\n    codes: [API]\n    serves: {{ integration: 0.6, advice: 0.2 }}\n\
personas:\n  - name: Everyone\n    when: revenue > 0\n    needs: {{ integration: 0.5, fast_delivery: 0.3, advice: 0.2 }}\n  - name: Big\n    when: revenue >= 200\n    worth: revenue\n    needs: {{ fast_delivery: 1 }}\n"
    );
    let dir = workspace(&policy, Some(CSV), &[]);
    run_ok(dir.path(), &[]);
    let summary = summary(dir.path());
    let got = rows(&summary);
    // Everyone: revenue_12m a 300, b 200, c 100, d 150 = 750.00; Express bought by a, b (2 of
    // 4); Connect bought by b only (d's was refunded).
    let everyone = |need: &str| &got[&("Everyone".to_string(), need.to_string())];
    let w = 75_000.0;
    for (need, weight, coverage, product, adoption) in [
        ("integration", 0.5, 0.6, "Connect", 0.25),
        ("fast_delivery", 0.3, 0.9, "Express", 0.5),
        ("advice", 0.2, 0.2, "Connect", 0.25),
    ] {
        let r = everyone(need);
        assert_eq!(r["product"], product);
        assert_eq!(r["coverage"].as_f64().unwrap(), coverage);
        assert_eq!(r["adoption"].as_f64().unwrap(), adoption);
        assert_eq!(json_cents(&r["worth"]), 75_000);
        assert_eq!(
            json_cents(&r["product_gap"]),
            (w * weight * (1.0 - coverage)).round() as i64
        );
        assert_eq!(
            json_cents(&r["outreach_gap"]),
            (w * weight * coverage * (1.0 - adoption)).round() as i64
        );
    }
    // Big: a (300), b (200), c (600), d (150) by all-time revenue >= 200: a, b, c; worth is their
    // revenue, 1,100.00; Express bought in the last 12 months by a and b.
    let big = &got[&("Big".to_string(), "fast_delivery".to_string())];
    assert_eq!(json_cents(&big["worth"]), 110_000);
    assert_eq!(big["adoption"].as_f64().unwrap(), 2.0 / 3.0);
    assert_eq!(json_cents(&big["product_gap"]), 11_000);
    assert_eq!(
        json_cents(&big["outreach_gap"]),
        (110_000.0 * 0.9 * (1.0 / 3.0f64)).round() as i64
    );
    assert_sorted(&summary);
    assert_eq!(
        summary["gap"]["unmatched_codes"],
        serde_json::json!(["OTHER"])
    );
}

#[test]
fn a_need_no_product_serves_is_all_product_gap() {
    let policy = format!(
        "{POLICY}products:\n  - name: Express\n    codes: [EXP-*]\n    serves: {{ fast_delivery: 0.9 }}\n\
personas:\n  - name: Everyone\n    when: revenue > 0\n    needs: {{ training: 0.5, fast_delivery: 0.5 }}\n"
    );
    let dir = workspace(&policy, Some(CSV), &[]);
    run_ok(dir.path(), &[]);
    let summary = summary(dir.path());
    let r = &rows(&summary)[&("Everyone".to_string(), "training".to_string())];
    assert_eq!(r["product"], Json::Null);
    assert_eq!(r["adoption"], Json::Null);
    assert_eq!(r["coverage"].as_f64().unwrap(), 0.0);
    assert_eq!(json_cents(&r["product_gap"]), 37_500);
    assert_eq!(json_cents(&r["outreach_gap"]), 0);
    let report = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(
        report.contains("| Everyone | training (50%) | none |"),
        "{report}"
    );
}

#[test]
fn without_needs_or_a_product_column_the_report_says_what_would_answer() {
    // No needs: CDNOW-like data with no personas.
    let dir = workspace(POLICY, Some(CSV), &[]);
    run_ok(dir.path(), &[]);
    let summary = summary(dir.path());
    assert_eq!(summary["investment_gap"], serde_json::json!([]));
    assert_eq!(
        summary["gap"]["missing"],
        serde_json::json!(["needs", "products"])
    );
    let report = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(
        report.contains("cannot be told yet: no persona declares its needs"),
        "{report}"
    );
    assert!(report.contains("`products:` in the policy"), "{report}");
    assert!(!dir.path().join("out/charts/investment_gap.svg").exists());

    // Needs and products, but no product column.
    let policy = POLICY.replace(", product: product", "")
        + "products:\n  - name: Express\n    codes: [EXP-*]\n    serves: { fast: 1 }\npersonas:\n  - name: All\n    when: revenue > 0\n    needs: { fast: 1 }\n";
    let dir = workspace(&policy, Some(CSV), &[]);
    run_ok(dir.path(), &[]);
    let summary = support::summary(dir.path());
    assert_eq!(summary["investment_gap"], serde_json::json!([]));
    assert_eq!(
        summary["gap"]["missing"],
        serde_json::json!(["product_column"])
    );
    let report = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(
        report.contains("the data has no product column"),
        "{report}"
    );
    assert!(report.contains("A `product` column in `data.transactions.columns`"));
}

#[test]
fn weights_that_do_not_sum_to_one_and_undeclared_needs_are_problems() {
    let policy = format!(
        "{POLICY}needs: [integration, advice]\nproducts:\n  - name: Connect\n    codes: [API]\n    serves: {{ integraton: 0.6 }}\n\
personas:\n  - name: Everyone\n    when: revenue > 0\n    needs: {{ integration: 0.5, advice: 0.4 }}\n  - name: Odd\n    when: revenue > 0\n    needs: {{ advise: 1.5 }}\n"
    );
    let dir = workspace(&policy, Some(CSV), &[]);
    let err = run_err(dir.path(), &[]);
    assert!(err.contains("policy/need-weights"), "{err}");
    assert!(
        err.contains("persona `Everyone`: its need weights sum to 0.9"),
        "{err}"
    );
    assert!(
        err.contains("powerbase.yaml:20:"),
        "at the persona's needs: {err}"
    );
    assert!(err.contains("policy/unknown-need"), "{err}");
    assert!(err.contains("need `integraton` is not declared"), "{err}");
    assert!(err.contains("did you mean `integration`?"), "{err}");
    assert!(err.contains("need `advise` is not declared"), "{err}");
    assert!(err.contains("did you mean `advice`?"), "{err}");
    assert!(err.contains("policy/bad-weight"), "{err}");
    // `check` reports the same.
    let check = powerbase().arg("check").arg(dir.path()).output().unwrap();
    assert!(!check.status.success());
    assert!(String::from_utf8_lossy(&check.stderr).contains("policy/need-weights"));

    // A worth that names no metric.
    let policy = format!(
        "{POLICY}personas:\n  - name: Everyone\n    when: revenue > 0\n    worth: revenue_13m\n    needs: {{ advice: 1 }}\n"
    );
    let dir = workspace(&policy, Some(CSV), &[]);
    let err = run_err(dir.path(), &[]);
    assert!(
        err.contains("persona `Everyone`: worth `revenue_13m` names no metric"),
        "{err}"
    );
    assert!(
        err.contains("revenue_12m"),
        "the nearest metric is suggested: {err}"
    );
}

#[test]
fn summary_checks_read_the_analysis_and_show_figures() {
    let policy = format!(
        "{POLICY}products:\n  - name: Express\n    codes: [EXP-*]\n    serves: {{ fast_delivery: 0.9 }}\n\
personas:\n  - name: Everyone\n    when: revenue > 0\n    needs: {{ training: 0.5, fast_delivery: 0.5 }}\n\
params:\n  gap_share: 0.1\n\
checks:\n  - name: big_gap\n    level: summary\n    when: investment_gap.len() > 0 && investment_gap[0].product_gap > gap_share * tiers[0].revenue\n    message: \"{{{{ investment_gap[0].need }}}} for {{{{ investment_gap[0].persona }}}}: {{{{ investment_gap[0].product_gap }}}} against {{{{ tiers[0].revenue }}}} in {{{{ tiers.len() }}}} tiers\"\n  - name: never\n    level: summary\n    severity: error\n    when: profitability != ()\n    message: no profit is known here\n"
    );
    let dir = workspace(&policy, Some(CSV), &[]);
    let out = run_ok(dir.path(), &[]);
    let summary = support::summary(dir.path());
    let findings = summary["findings"].as_array().unwrap();
    let names: Vec<&str> = findings
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"big_gap") && !names.contains(&"never"),
        "{names:?}"
    );
    let big = findings.iter().find(|f| f["name"] == "big_gap").unwrap();
    // Top tier: revenue >= 100: a 300, b 200, c 600, d 150 = 1,250.00; training gap = 750.00 x
    // 0.5 = 375.00.
    assert_eq!(
        big["message"],
        "training for Everyone: 375.00 against 1,250 in 2 tiers"
    );
    assert_eq!(big["customers"], 0);
    let report = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(
        report.contains("- **big\\_gap** (warning): training for Everyone"),
        "{report}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("big_gap"));
}

#[test]
fn summary_checks_are_compiled_and_dry_run_by_check() {
    let bad_name = format!(
        "{POLICY}checks:\n  - name: typo\n    level: summary\n    when: investment_gaps.len() > 0\n    message: x\n"
    );
    let dir = workspace(&bad_name, Some(CSV), &[]);
    let check = powerbase().arg("check").arg(dir.path()).output().unwrap();
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(!check.status.success());
    assert!(
        err.contains("expr/unknown-name") && err.contains("investment_gaps"),
        "{err}"
    );

    // Reading the first gap without testing the list: the dry run of `check` finds it.
    let unguarded = format!(
        "{POLICY}checks:\n  - name: first\n    level: summary\n    when: investment_gap[0].product_gap > 0\n    message: x\n"
    );
    let dir = workspace(&unguarded, Some(CSV), &[]);
    let check = powerbase().arg("check").arg(dir.path()).output().unwrap();
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(!check.status.success());
    assert!(
        err.contains("expr/summary-check") && err.contains("check `first`"),
        "{err}"
    );

    let bad_level = format!(
        "{POLICY}checks:\n  - name: odd\n    level: account\n    when: revenue > 0\n    message: x\n"
    );
    let dir = workspace(&bad_level, Some(CSV), &[]);
    let err = run_err(dir.path(), &[]);
    assert!(
        err.contains("level `account`, expected `customer` or `summary`"),
        "{err}"
    );
}
