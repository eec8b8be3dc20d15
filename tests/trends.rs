//! Segment trends (`summary.json` `trends`): quarterly revenue and margin per tier, persona
//! and attribute segment of the b2b-services example against a plain loop over its CSV rows
//! and the tiers and personas in `customers.csv`; year-on-year growth and the market comparison
//! from those sums; complete quarters only; policy problems with `market_growth:` and the
//! params.

mod support;

use std::collections::BTreeMap;

use serde_json::Value as Json;
use support::*;

/// `2024-05-17` -> `2024Q2`.
fn quarter(iso: &str) -> String {
    let month: u32 = iso[5..7].parse().unwrap();
    format!("{}Q{}", &iso[..4], (month - 1) / 3 + 1)
}

/// A segment's quarters from summary.json: quarter -> (revenue, margin) in cents.
fn quarters_of(t: &Json) -> BTreeMap<String, (i64, Option<i64>)> {
    t["quarters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["quarter"].as_str().unwrap().to_string(),
                (
                    cents(&q["revenue"].to_string()),
                    (!q["margin"].is_null()).then(|| cents(&q["margin"].to_string())),
                ),
            )
        })
        .collect()
}

fn segment<'a>(summary: &'a Json, name: &str) -> &'a Json {
    summary["trends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["segment"] == name)
        .unwrap_or_else(|| panic!("no trend for {name}"))
}

/// Last four quarters against the four before, less 1.
fn yoy(revenue: &[i64]) -> f64 {
    let n = revenue.len();
    let last: i64 = revenue[n - 4..].iter().sum();
    let before: i64 = revenue[n - 8..n - 4].iter().sum();
    last as f64 / before as f64 - 1.0
}

#[test]
fn b2b_quarterly_revenue_per_tier_matches_the_raw_rows() {
    let src = repo().join("examples/b2b-services");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&src, dir.path());
    run_ok(dir.path(), &["--quiet"]);
    let summary = summary(dir.path());
    let out = customers(dir.path());
    // The example runs at `level: account`: customers.csv has a row per account.
    let (account_of, account_rows) = roll_up(&src.join("data/customers.csv"));
    let tier_of: BTreeMap<String, String> = out
        .iter()
        .map(|r| (r["account_id"].clone(), r["tier"].clone()))
        .collect();
    let personas_of: BTreeMap<String, Vec<String>> = out
        .iter()
        .map(|r| {
            let names = r["personas"]
                .split(';')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            (r["account_id"].clone(), names)
        })
        .collect();
    let region_of: BTreeMap<String, String> = account_rows
        .into_iter()
        .map(|(id, r)| (id, r["region"].clone()))
        .collect();
    // (segment, quarter) -> (revenue, margin), from every row up to the as-of date 2024-12-31.
    let mut want: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for r in read_csv(&src.join("data/transactions.csv")) {
        if r["date"].as_str() > "2024-12-31" {
            continue;
        }
        let (amount, cost) = (cents(&r["amount"]), cents(&r["cost"]));
        let q = quarter(&r["date"]);
        let id = account_of
            .get(&r["customer_id"])
            .unwrap_or(&r["customer_id"]);
        let mut segments = vec![tier_of[id].clone()];
        segments.extend(personas_of[id].iter().cloned());
        if region_of.get(id).map(String::as_str) == Some("Scotland") {
            segments.push("region=Scotland".into());
        }
        for s in segments {
            let e = want.entry((s, q.clone())).or_default();
            e.0 += amount;
            e.1 += amount - cost;
        }
    }
    let quarters: Vec<String> = (2022..=2024)
        .flat_map(|y| (1..=4).map(move |q| format!("{y}Q{q}")))
        .collect();
    for (name, kind, market) in [
        ("First", "tier", Some(0.06)),
        ("Business", "tier", Some(0.07)),
        ("Economy", "tier", None),
        ("Large accounts", "persona", Some(0.08)),
        ("Recent wins", "persona", None),
        ("region=Scotland", "attribute", Some(0.03)),
    ] {
        let t = segment(&summary, name);
        assert_eq!(t["kind"], kind);
        let got = quarters_of(t);
        assert_eq!(got.keys().cloned().collect::<Vec<_>>(), quarters, "{name}");
        let mut revenue = Vec::new();
        for q in &quarters {
            let (r, m) = want[&(name.to_string(), q.clone())];
            assert_eq!(got[q], (r, Some(m)), "{name} {q}");
            revenue.push(r);
        }
        let growth = yoy(&revenue);
        let reported = t["yoy_revenue_growth"].as_f64().unwrap();
        assert!(
            (reported - growth).abs() < 1e-9,
            "{name}: {reported} vs {growth}"
        );
        match market {
            Some(m) => {
                assert_eq!(t["market_growth"].as_f64(), Some(m), "{name}");
                // Flagged exactly when we trail the market by more than 5 points.
                assert_eq!(t["lagging"], m - growth > 0.05, "{name}: {m} vs {growth}");
            }
            None => assert!(t["market_growth"].is_null()),
        }
        // Margin fell in each of the last two quarters, or revenue fell by more than 10%.
        let margins: Vec<i64> = quarters
            .iter()
            .map(|q| want[&(name.to_string(), q.clone())].1)
            .collect();
        let n = margins.len();
        let down =
            (margins[n - 1] < margins[n - 2] && margins[n - 2] < margins[n - 3]) || growth < -0.10;
        assert_eq!(t["downturn"], down, "{name}");
    }
    // The Business tier trails its market (7%), and the report says so with our own growth as
    // computed here (one decimal below 10%, none from there on).
    assert_eq!(segment(&summary, "Business")["lagging"], true);
    let business: Vec<i64> = quarters
        .iter()
        .map(|q| want[&("Business".to_string(), q.clone())].0)
        .collect();
    let g = yoy(&business);
    let pct = if (g * 100.0).abs() < 9.95 {
        format!("{:.1}%", (g * 100.0).abs())
    } else {
        format!("{:.0}%", (g * 100.0).abs())
    };
    let verb = if g < 0.0 { "shrink" } else { "grow" };
    let report = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    let sentence = format!("The market grows 7%, we {verb} {pct}: we are losing share.");
    assert!(report.contains(&sentence), "{sentence}\n{report}");
    assert!(dir.path().join("out/charts/trends.svg").exists());
    // Personas follow the tiers, in policy order.
    let kinds: Vec<&str> = summary["trends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "tier",
            "tier",
            "tier",
            "persona",
            "persona",
            "persona",
            "attribute"
        ]
    );
}

const POLICY: &str = "client: T\ndata:\n  transactions:\n    path: data/transactions.csv\n    columns: { customer_id: id, date: date, amount: amount }\ntiers:\n  - name: Big\n    when: revenue >= 100\n  - name: Small\n";

#[test]
fn only_complete_quarters_count_and_short_data_says_what_yoy_needs() {
    let csv = "id,date,amount\na,2023-01-15,100\na,2023-05-01,50\nb,2023-05-02,10\nb,2023-08-20,7\na,2023-09-30,30\n";
    let dir = workspace(POLICY, Some(csv), &[]);
    // As of 2023-09-29 the third quarter is not complete; as of 2023-09-30 it is.
    run_ok(dir.path(), &["--quiet", "--as-of", "2023-09-29"]);
    let s = summary(dir.path());
    let big = quarters_of(segment(&s, "Big"));
    assert_eq!(
        big.into_iter().collect::<Vec<_>>(),
        [
            ("2023Q1".to_string(), (10_000, None)),
            ("2023Q2".to_string(), (5_000, None))
        ]
    );
    assert_eq!(s["trends_overview"]["left_out"], "2023Q3");
    assert!(segment(&s, "Big")["yoy_revenue_growth"].is_null());
    let report = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(
        report
            .contains("The data covers 2 complete quarters, 2023Q1 to 2023Q2; 2023Q3 is left out"),
        "{report}"
    );
    assert!(report.contains("6 more would show it"), "{report}");

    let dir = workspace(POLICY, Some(csv), &[]);
    run_ok(dir.path(), &["--quiet", "--as-of", "2023-09-30"]);
    let s = summary(dir.path());
    let small = quarters_of(segment(&s, "Small"));
    // b's quarters: nothing in Q1, 10 in Q2, 7 in Q3.
    assert_eq!(
        small.values().map(|v| v.0).collect::<Vec<_>>(),
        [0, 1_000, 700]
    );
    assert!(s["trends_overview"]["left_out"].is_null());
}

#[test]
fn market_growth_must_name_a_segment_and_params_must_be_shares() {
    let csv = "id,date,amount\na,2023-01-15,100\n";
    let policy = format!("{POLICY}market_growth:\n  Bigg: 0.1\nparams:\n  downturn_yoy: 5\n");
    let dir = workspace(&policy, Some(csv), &[]);
    let err = run_err(dir.path(), &[]);
    assert!(err.contains("policy/unknown-segment"), "{err}");
    assert!(err.contains("did you mean `Big`?"), "{err}");
    assert!(err.contains("param `downturn_yoy`"), "{err}");
    let policy = format!("{POLICY}market_growth:\n  region=North: 0.1\n");
    let dir = workspace(&policy, Some(csv), &[]);
    let err = run_err(dir.path(), &[]);
    assert!(
        err.contains("no attribute column is called `region`"),
        "{err}"
    );
}
