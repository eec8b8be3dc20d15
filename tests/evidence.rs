//! The report argues from evidence: the RFM summary (customers per score, the tie that empties a
//! score, the customers to keep and to win back, recent buyers), the RFM segments' average order
//! and the method appendix, checked on CDNOW against a plain loop over the raw rows.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use support::*;

/// Days since 1970-01-01 of a `YYYYMMDD` date.
fn day(date: &str) -> i64 {
    days_from_civil(
        date[..4].parse().unwrap(),
        date[4..6].parse().unwrap(),
        date[6..].parse().unwrap(),
    )
}

/// Per customer: revenue (cents), orders, purchase days, recency in days at 1998-06-30.
struct Customer {
    revenue: i64,
    orders: i64,
    days: usize,
    recency: i64,
}

fn raw() -> BTreeMap<String, Customer> {
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    let mut acc: BTreeMap<String, (i64, i64, BTreeSet<String>)> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let c = cents(f[3]);
        let e = acc.entry(f[0].to_string()).or_default();
        e.0 += c;
        e.1 += 1; // CDNOW has no refunds: every row is an order
        e.2.insert(f[1].to_string());
    }
    let as_of = day("19980630");
    acc.into_iter()
        .map(|(id, (revenue, orders, days))| {
            let last = days.iter().next_back().unwrap();
            let c = Customer {
                revenue,
                orders,
                days: days.len(),
                recency: as_of - day(last),
            };
            (id, c)
        })
        .collect()
}

/// The 20/40/60/80th percentiles of `values` (linear interpolation between order statistics).
fn cuts(values: impl Iterator<Item = f64>) -> [f64; 4] {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    std::array::from_fn(|k| {
        let h = (v.len() - 1) as f64 * [0.2, 0.4, 0.6, 0.8][k];
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(v.len() - 1);
        v[lo] + (h - lo as f64) * (v[hi] - v[lo])
    })
}

#[test]
fn the_rfm_summary_and_segments_match_a_plain_loop_over_the_rows() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/cdnow"), tmp.path());
    run_ok(tmp.path(), &["--quiet", "--no-provenance"]);
    let s = summary(tmp.path());
    let customers = raw();

    let f_cuts = cuts(customers.values().map(|c| c.days as f64));
    let r_cuts = cuts(customers.values().map(|c| c.recency as f64));
    let mut f_counts = [0u64; 5];
    let mut r_counts = [0u64; 5];
    let (mut keep, mut keep_rev, mut back, mut back_rev, mut recent) = (0u64, 0, 0u64, 0, 0);
    let mut days_count: BTreeMap<usize, usize> = BTreeMap::new();
    for c in customers.values() {
        let f = 1 + f_cuts.iter().filter(|&&k| c.days as f64 > k).count();
        let r = 1 + r_cuts.iter().filter(|&&k| (c.recency as f64) < k).count();
        f_counts[f - 1] += 1;
        r_counts[r - 1] += 1;
        if r >= 4 && f >= 4 {
            keep += 1;
            keep_rev += c.revenue;
        }
        if r <= 2 && f >= 4 {
            back += 1;
            back_rev += c.revenue;
        }
        recent += usize::from(c.recency <= 180);
        *days_count.entry(c.days).or_default() += 1;
    }
    let (tie_days, tie_customers) = days_count.iter().max_by_key(|(_, n)| **n).unwrap();

    let rs = &s["rfm_summary"];
    assert_eq!(rs["frequency"]["customers"], serde_json::json!(f_counts));
    assert_eq!(rs["recency"]["customers"], serde_json::json!(r_counts));
    let empty: Vec<usize> = (1..=5).filter(|k| f_counts[k - 1] == 0).collect();
    assert!(
        !empty.is_empty(),
        "CDNOW's one-day buyers empty a frequency score"
    );
    assert_eq!(rs["frequency"]["empty"], serde_json::json!(empty));
    assert_eq!(rs["frequency"]["largest_tie"], *tie_days as i64);
    assert_eq!(rs["frequency"]["largest_tie_customers"], *tie_customers);
    assert_eq!(rs["frequency"]["tie_breaks_fifths"], true);
    assert_eq!(rs["keep"]["customers"], keep);
    assert_eq!(json_cents(&rs["keep"]["revenue"]), keep_rev);
    assert_eq!(rs["win_back"]["customers"], back);
    assert_eq!(json_cents(&rs["win_back"]["revenue"]), back_rev);
    assert_eq!(rs["recent_customers"], recent);

    // Segments (as the policy assigns them in customers.csv): orders and average order.
    let mut seg: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for row in support::customers(tmp.path()) {
        let c = &customers[&row["customer_id"]];
        let e = seg.entry(row["rfm_segment"].clone()).or_default();
        e.0 += c.revenue;
        e.1 += c.orders;
    }
    let groups = s["rfm_segments"].as_array().unwrap();
    assert_eq!(groups.len(), seg.len());
    for g in groups {
        let (revenue, orders) = seg[g["value"].as_str().unwrap()];
        assert_eq!(g["orders"], orders);
        let avg = revenue as f64 / 100.0 / orders as f64;
        assert!((g["avg_order"].as_f64().unwrap() - avg).abs() < 1e-9);
    }

    // The report says what the grid shows, with these figures.
    let md = report(tmp.path());
    assert!(
        md.contains(&format!(
            "## {} customers buy often and recently",
            thousands(keep)
        )),
        "{md}"
    );
    assert!(md.contains(&format!(
        "{} customers ({:.1}%) have purchase\\_days = {tie_days}",
        thousands(*tie_customers as u64),
        *tie_customers as f64 * 100.0 / customers.len() as f64
    )));
    assert!(!md.contains("splitting the base into fifths"));
}

#[test]
fn the_appendix_gives_each_rule_with_its_params_and_the_metrics_it_reads() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/cdnow"), tmp.path());
    run_ok(tmp.path(), &["--quiet", "--no-provenance"]);
    let m = &summary(tmp.path())["method"];
    // examples/cdnow/rules/tiers.yaml with first_class_min = 300, business_min_days = 3.
    assert_eq!(
        m["rules"][0]["applied"],
        "revenue >= 300 && purchase_days >= 3"
    );
    assert_eq!(
        m["rules"][1]["applied"],
        "purchase_days >= 3 || revenue >= 300 / 2"
    );
    assert_eq!(m["rules"][2]["written"], serde_json::Value::Null);
    let names: Vec<&str> = m["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..2], ["revenue", "purchase_days"]);
    assert!(
        !names.contains(&"first_class_min"),
        "params are not metrics"
    );
}
