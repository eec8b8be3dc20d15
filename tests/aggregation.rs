//! The open aggregation on the real CDNOW data: side sinks (quarters, trailing windows) against a
//! plain loop over the raw rows, several as-of dates in one pass against separate loads, and
//! margin left undefined (not equal to revenue) without a cost column, in customers.csv,
//! summary.json and the rules.

mod support;

use std::collections::BTreeMap;

use powerbase::data::Day;
use powerbase::metrics::{CustomerTable, SideSpec};
use powerbase::pipeline::{self, Timings};
use support::*;

fn day(s: &str) -> Day {
    Day::parse_iso(s).unwrap()
}

/// A raw CDNOW row: customer, date as YYYYMMDD, cents.
fn raw_rows() -> Vec<(String, String, i64)> {
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let (whole, cents) = f[3].split_once('.').unwrap();
            let c: i64 = whole.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap();
            (f[0].to_string(), f[1].to_string(), c)
        })
        .collect()
}

/// Every cell of a table as customers.csv writes it, with the ids.
fn cells(t: &CustomerTable) -> Vec<Vec<String>> {
    (0..t.len())
        .map(|i| {
            std::iter::once(t.ids[i].clone())
                .chain(t.columns.iter().map(|c| c.column.get(i).to_csv()))
                .collect()
        })
        .collect()
}

#[test]
fn quarters_and_windows_match_the_raw_rows() {
    let prepared = pipeline::prepare(&repo().join("examples/cdnow")).unwrap();
    let spec = SideSpec {
        quarters: true,
        windows: vec![3, 24],
        ..SideSpec::default()
    };
    let as_of = day("1998-06-30");
    let loaded = prepared
        .load_at(&[as_of], &spec, None, &mut Timings::default())
        .unwrap()
        .pop()
        .unwrap();
    let (table, side) = (&loaded.table, &loaded.sidecar);
    let quarters = side.quarters().expect("quarters were asked for");

    // Plain loop: revenue per customer per "YYYY-Qn", and in the last 91 and 730 days.
    // 1998-06-30 - 91 days = 1998-03-31; - 730 days = 1996-06-30.
    let mut by_quarter: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut last_91: BTreeMap<String, i64> = BTreeMap::new();
    let mut last_730: BTreeMap<String, i64> = BTreeMap::new();
    for (id, date, cents) in raw_rows() {
        let month: u32 = date[4..6].parse().unwrap();
        let q = format!("{}-Q{}", &date[..4], (month - 1) / 3 + 1);
        *by_quarter.entry((id.clone(), q)).or_default() += cents;
        if date.as_str() > "19980331" {
            *last_91.entry(id.clone()).or_default() += cents;
        }
        if date.as_str() > "19960630" {
            *last_730.entry(id).or_default() += cents;
        }
    }
    let revenue = table.money("revenue");
    let mut got: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (row, id) in table.ids.iter().enumerate() {
        let sums: Vec<_> = quarters.of(row).collect();
        let total: i64 = sums.iter().map(|s| s.revenue).sum();
        assert_eq!(
            total, revenue[row],
            "quarters of {id} add up to its revenue"
        );
        for s in sums {
            assert_eq!(s.margin, None, "no cost column: no margin");
            let q = quarters.quarters[s.quarter as usize].to_string();
            got.insert((id.clone(), q), s.revenue);
        }
    }
    assert_eq!(got, by_quarter);
    // CDNOW runs from 1997-Q1 to 1998-Q2.
    let names: Vec<String> = quarters.quarters.iter().map(|q| q.to_string()).collect();
    assert_eq!(
        names,
        ["1997-Q1", "1997-Q2", "1997-Q3", "1997-Q4", "1998-Q1", "1998-Q2"]
    );

    for (months, expected) in [(3, &last_91), (24, &last_730)] {
        let window = side.window(months).expect("asked for");
        for (row, id) in table.ids.iter().enumerate() {
            let want = expected.get(id).copied().unwrap_or(0);
            assert_eq!(window[row], want, "{months}-month revenue of {id}");
        }
    }
    assert!(side.window(6).is_none(), "not asked for");
}

#[test]
fn two_as_of_dates_in_one_pass_equal_two_separate_loads() {
    let prepared = pipeline::prepare(&repo().join("examples/cdnow")).unwrap();
    let spec = SideSpec {
        quarters: true,
        windows: vec![6],
        ..SideSpec::default()
    };
    let (early, late) = (day("1997-09-30"), day("1998-06-30"));
    let mut timings = Timings::default();
    let both = prepared
        .load_at(&[late, early], &spec, None, &mut timings)
        .unwrap();
    assert_eq!(both.len(), 2);
    for (one_pass, date) in both.iter().zip([late, early]) {
        let alone = prepared
            .load_at(&[date], &spec, None, &mut timings)
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(one_pass.table.as_of, date);
        assert_eq!(cells(&one_pass.table), cells(&alone.table), "as of {date}");
        assert_eq!(one_pass.sidecar, alone.sidecar, "as of {date}");
        assert_eq!(one_pass.stats, alone.stats, "as of {date}");
    }
    // And the early table against the raw rows up to that date.
    let raw = raw_cdnow_until("19970930");
    let early_table = &both[1].table;
    assert_eq!(early_table.len(), raw.len());
    let revenue = early_table.money("revenue");
    for (row, id) in early_table.ids.iter().enumerate() {
        assert_eq!(revenue[row], raw[id].0, "revenue of {id} as of {early}");
    }
    let used = raw_rows()
        .iter()
        .filter(|(_, d, _)| d.as_str() <= "19970930")
        .count();
    assert_eq!(both[1].stats.rows_used, used as u64);
    assert_eq!(both[1].stats.rows_read, 69_659);
    assert_eq!(
        both[1].stats.excluded_after_as_of,
        69_659 - used as u64,
        "rows after the early date are left out and counted"
    );
    // The plain single-date load is the same as the one-date set.
    let plain = prepared.load(early, None, &mut timings).unwrap();
    assert_eq!(cells(&plain.table), cells(early_table));
}

#[test]
fn without_a_cost_column_margin_is_empty_not_revenue() {
    let ws = workspace(MINIMAL, None, &[]);
    run_ok(ws.path(), &["--quiet"]);
    let rows = customers(ws.path());
    assert_eq!(rows.len(), 23_570);
    for r in &rows {
        for name in ["cost", "margin", "margin_pct"] {
            assert_eq!(r[name], "", "{name} of {}", r["customer_id"]);
        }
        assert_ne!(r["revenue"], "", "revenue is always there");
    }
    let s = summary(ws.path());
    assert!(s["total_margin"].is_null(), "{}", s["total_margin"]);
    for t in s["tiers"].as_array().unwrap() {
        assert!(t["margin"].is_null(), "tier margin: {}", t["margin"]);
    }
}

#[test]
fn rules_reading_margin_without_a_cost_column_are_refused_at_check() {
    let policy = format!(
        "{MINIMAL}checks:\n  - name: thin\n    when: margin_pct < 0.2 || total(\"cost\") > 0\n    severity: info\n    message: Thin margin.\n"
    );
    let ws = workspace(&policy, None, &[]);
    let out = powerbase()
        .arg("check")
        .arg(ws.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let problems: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<(&str, &str)> = problems
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["code"].as_str().unwrap(), p["message"].as_str().unwrap()))
        .collect();
    assert_eq!(codes.len(), 2, "{codes:?}");
    assert!(
        codes.iter().all(|(c, _)| *c == "expr/needs-cost"),
        "{codes:?}"
    );
    assert!(codes[0].1.contains("`margin_pct` is unknown"), "{codes:?}");
    assert!(codes[1].1.contains("`cost` is unknown"), "{codes:?}");
    // With the cost column mapped, the same rule is fine.
    let with_cost = policy.replace(
        "quantity: number_of_cds",
        "quantity: number_of_cds, cost: dollar_value",
    );
    let ws = workspace(&with_cost, None, &[]);
    let out = powerbase().arg("check").arg(ws.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
