//! Rising customers and graduation candidates on the example workspaces, against counts worked
//! out in this file from the raw transaction rows and the examples' rules as written (not from
//! powerbase's outputs): CDNOW (rising customers, graduation between its three classes) and the
//! insurance agency (graduation between its five client profiles).

// Cents are written as dollars_cents (300_00).
#![allow(clippy::inconsistent_digit_grouping)]

mod support;

use std::collections::BTreeMap;

use serde_json::Value as Json;
use support::*;

/// Per customer, from the raw rows up to the as-of date.
#[derive(Default, Clone)]
struct Raw {
    revenue: i64,
    revenue_12m: i64,
    revenue_180d: i64,
    /// Distinct days of rows with an amount of zero or more.
    days: std::collections::BTreeSet<i64>,
}

impl Raw {
    fn first(&self) -> Option<i64> {
        self.days.first().copied()
    }
    fn last(&self) -> Option<i64> {
        self.days.last().copied()
    }
}

/// Reads `path` (header first): customer id, day and cents from the given columns, rows dated
/// after `as_of` left out.
fn raw(
    path: &std::path::Path,
    as_of: i64,
    parse_day: impl Fn(&str) -> i64,
    (id, date, amount): (usize, usize, usize),
) -> BTreeMap<String, Raw> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out: BTreeMap<String, Raw> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let d = parse_day(f[date]);
        if d > as_of {
            continue;
        }
        let c = cents(f[amount]);
        let r = out.entry(f[id].to_string()).or_default();
        r.revenue += c;
        if d > as_of - 365 {
            r.revenue_12m += c;
        }
        if d > as_of - 180 {
            r.revenue_180d += c;
        }
        if c >= 0 {
            r.days.insert(d);
        }
    }
    out
}

/// The median of some values, interpolating linearly between the two middle ones.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * 0.5;
    let lo = h.floor() as usize;
    v[lo] + (h - lo as f64) * (v[(lo + 1).min(v.len() - 1)] - v[lo])
}

fn run_example(name: &str) -> (tempfile::TempDir, Json) {
    let dir = run_elsewhere(&repo().join("examples").join(name));
    let s = summary(dir.path());
    (dir, s)
}

/// The graduation entry from `from` to `to`: (candidates, revenue in cents).
fn graduation(summary: &Json, from: &str, to: &str) -> (usize, i64) {
    let g = summary["graduation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["from"] == from && g["to"] == to)
        .unwrap_or_else(|| panic!("no graduation from {from} to {to}"));
    (
        g["candidates"].as_u64().unwrap() as usize,
        json_cents(&g["revenue"]),
    )
}

/// Which customers of a tier are candidates, in a test.
type Pick<'a> = &'a dyn Fn(&Raw) -> bool;

/// Count and revenue of the customers `pick` selects.
fn tally<'a>(raw: impl Iterator<Item = &'a Raw>, pick: impl Fn(&Raw) -> bool) -> (usize, i64) {
    raw.filter(|r| pick(r))
        .fold((0, 0), |(n, s), r| (n + 1, s + r.revenue))
}

#[test]
fn cdnow_rising_customers_and_graduation_match_the_rows() {
    let as_of = days_from_civil(1998, 6, 30);
    let ymd = |s: &str| {
        days_from_civil(
            s[..4].parse().unwrap(),
            s[4..6].parse().unwrap(),
            s[6..].parse().unwrap(),
        )
    };
    let raw = raw(&cdnow_csv(), as_of, ymd, (0, 1, 3));
    // rules/tiers.yaml with first_class_min 300 and business_min_days 3.
    let tier = |r: &Raw| {
        let pd = r.days.len();
        if r.revenue >= 300_00 && pd >= 3 {
            "First"
        } else if pd >= 3 || r.revenue >= 150_00 {
            "Business"
        } else {
            "Economy"
        }
    };
    let (_dir, summary) = run_example("cdnow");

    // Rising: outside First, revenue_180d at least First's median and recency at most its median.
    let first: Vec<&Raw> = raw.values().filter(|r| tier(r) == "First").collect();
    let med_rev = median(
        first
            .iter()
            .map(|r| r.revenue_180d as f64 / 100.0)
            .collect(),
    );
    let med_rec = median(
        first
            .iter()
            .filter_map(|r| r.last())
            .map(|l| (as_of - l) as f64)
            .collect(),
    );
    let rising: Vec<(&String, &Raw)> = raw
        .iter()
        .filter(|(_, r)| {
            tier(r) != "First"
                && r.revenue_180d as f64 / 100.0 >= med_rev
                && r.last().is_some_and(|l| (as_of - l) as f64 <= med_rec)
        })
        .collect();
    let s = &summary["rising"];
    assert!(
        rising.len() > 50,
        "CDNOW has rising customers: {}",
        rising.len()
    );
    assert_eq!(s["customers"].as_u64().unwrap() as usize, rising.len());
    assert_eq!(
        json_cents(&s["revenue_180d"]),
        rising.iter().map(|(_, r)| r.revenue_180d).sum::<i64>()
    );
    assert_eq!(
        json_cents(&s["revenue"]),
        rising.iter().map(|(_, r)| r.revenue).sum::<i64>()
    );
    assert_eq!(s["median_recency_days"].as_f64().unwrap(), med_rec);
    assert_eq!(
        json_cents(&s["median_revenue_180d"]),
        (med_rev * 100.0).round() as i64
    );
    for t in s["by_tier"].as_array().unwrap() {
        let n = rising.iter().filter(|(_, r)| tier(r) == t["name"]).count();
        assert_eq!(t["customers"].as_u64().unwrap() as usize, n, "{t}");
    }
    // The top list: the largest revenue_180d first, ties by id.
    let mut order = rising.clone();
    order.sort_by(|a, b| b.1.revenue_180d.cmp(&a.1.revenue_180d).then(a.0.cmp(b.0)));
    let top: Vec<&str> = s["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = order.iter().take(10).map(|(id, _)| id.as_str()).collect();
    assert_eq!(top, want);

    // Graduation within 20%: Business -> First needs revenue >= 300 and 3 purchase days, each
    // missing part within 20% of its threshold (60 dollars, 0.6 days: so the days must be met);
    // Economy -> Business needs 3 purchase days or revenue >= 150 (within 30 dollars).
    let business = tally(raw.values(), |r| {
        tier(r) == "Business" && r.days.len() >= 3 && r.revenue >= 240_00
    });
    let economy = tally(raw.values(), |r| {
        tier(r) == "Economy" && r.revenue >= 120_00
    });
    assert!(business.0 > 0 && economy.0 > 0);
    assert_eq!(graduation(&summary, "Business", "First"), business);
    assert_eq!(graduation(&summary, "Economy", "Business"), economy);
    assert_eq!(
        summary["graduation_candidates"].as_u64().unwrap() as usize,
        business.0 + economy.0
    );
}

#[test]
fn insurance_agency_graduation_between_profiles_matches_the_rows() {
    let as_of = days_from_civil(2024, 12, 31);
    let iso = |s: &str| {
        days_from_civil(
            s[..4].parse().unwrap(),
            s[5..7].parse().unwrap(),
            s[8..].parse().unwrap(),
        )
    };
    let path = repo().join("examples/insurance-agency/data/transactions.csv");
    let raw = raw(&path, as_of, iso, (0, 1, 2));
    let years = |r: &Raw| r.first().map(|f| (as_of - f) as f64 / 365.25);
    // rules/tiers.yaml with icp_commission 400, established_commission 200, icp_years 3,
    // established_years 2.
    let tier = |r: &Raw| {
        let (r12, y) = (r.revenue_12m, years(r));
        let at_least = |n: f64| y.is_some_and(|y| y >= n);
        if r12 >= 400_00 && at_least(3.0) {
            "Ideal client"
        } else if r12 >= 200_00 && at_least(2.0) {
            "Established"
        } else if r12 >= 200_00 {
            "Rising"
        } else if r12 > 0 && at_least(3.0) {
            "Loyal basic"
        } else {
            "Minimum coverage"
        }
    };
    // Within 20% of each threshold still missed: 80 euros of 400, 40 of 200, 0.6 of 3 years,
    // 0.4 of 2 years; `revenue_12m > 0` has a threshold of 0, so it must already hold.
    let within = |y: Option<f64>, years: f64| y.is_some_and(|y| years - y <= 0.2 * years);
    let (_dir, summary) = run_example("insurance-agency");
    let cases: [(&str, &str, Pick); 4] = [
        ("Established", "Ideal client", &|r| {
            r.revenue_12m >= 320_00 && within(years(r), 3.0)
        }),
        ("Rising", "Established", &|r| within(years(r), 2.0)),
        ("Loyal basic", "Rising", &|r| r.revenue_12m >= 160_00),
        ("Minimum coverage", "Loyal basic", &|r| {
            r.revenue_12m > 0 && within(years(r), 3.0)
        }),
    ];
    for (from, to, pick) in cases {
        let want = tally(raw.values(), |r| tier(r) == from && pick(r));
        assert!(want.0 > 0, "{from} has candidates");
        assert_eq!(graduation(&summary, from, to), want, "{from} -> {to}");
    }
    // The largest candidate of each tier is named with what it needs.
    let g = &summary["graduation"][0];
    assert!(g["largest"][0]["needs"]
        .as_str()
        .unwrap()
        .starts_with("needs "));
    assert_eq!(g["reach"].as_f64().unwrap(), 0.2);
}

#[test]
fn the_policy_replaces_the_rule_and_a_bad_reach_is_a_problem() {
    let policy = |extra: &str| {
        format!(
            "{MINIMAL}params:\n  graduation_reach: {extra}\nrising:\n  when: purchase_days >= 2 && tier_rank == 3\n"
        )
    };
    // Everyone in Economy with two purchase days (core is the first tier).
    let ws = workspace(&policy("0.5"), None, &[]);
    run_ok(ws.path(), &["--quiet"]);
    let s = summary(ws.path());
    let rows = customers(ws.path());
    let want = rows
        .iter()
        .filter(|r| r["tier"] == "Economy" && r["purchase_days"].parse::<i64>().unwrap() >= 2)
        .count();
    assert_eq!(s["rising"]["customers"].as_u64().unwrap() as usize, want);
    assert_eq!(s["rising"]["rule"], "policy");
    assert_eq!(s["graduation"][0]["reach"].as_f64().unwrap(), 0.5);

    // `powerbase diff` names the rule as a change.
    let base = workspace(MINIMAL, None, &[]);
    let out = powerbase()
        .arg("diff")
        .arg(ws.path())
        .args([
            "--base-dir",
            base.path().to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let json: Json = serde_json::from_slice(&out.stdout).unwrap();
    let text = json.to_string();
    assert!(
        text.contains(r#""kind":"rising rule""#)
            && text.contains("when: purchase_days >= 2 && tier_rank == 3"),
        "{text}"
    );

    let ws = workspace(&policy("1.5"), None, &[]);
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(err.contains("graduation_reach"), "{err}");
    let ws = workspace(
        &format!("{MINIMAL}rising:\n  when: nonsense_metric > 1\n"),
        None,
        &[],
    );
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(err.contains("nonsense_metric"), "{err}");
}
