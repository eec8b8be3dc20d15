//! The example workspaces (`examples/cdnow`, `examples/cdnow-de`, `examples/insurance-agency`,
//! `examples/b2b-services`): each passes `check` and `run` without a warning; the generated data
//! shipped with the last two is exactly what the seeded generator gives; and their figures
//! (revenue per customer, tiers, cost to serve, profit, personas, totals) match a plain loop over
//! their CSV rows in this file, which reads the policy's params as written in the examples.
//! `examples/cdnow-de` (CDNOW's rows as a German ERP export) must give CDNOW's figures; the rest
//! of its checks (every figure, sources, the join, its data against make-data.py) are in
//! tests/european.rs.

mod support;

// The generator behind `cargo run --example gen-transactions -- --scenario NAME`, compiled into
// this test so that regenerating the data takes a second, not a release build.
#[allow(dead_code)]
#[path = "../benches/datagen/mod.rs"]
mod datagen;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use support::*;

type Row = BTreeMap<String, String>;

/// A persona's name and, in this file, who belongs to it (from the attribute row).
type Persona<'a> = (&'a str, &'a dyn Fn(&Row) -> bool);

/// A tier's customers, revenue, profit and profit before acquisition (cents), added up here.
type Tally = (usize, i64, i64, i64);

/// Per customer, straight from the transaction rows.
#[derive(Default)]
struct Raw {
    revenue: i64,
    revenue_12m: i64,
    cost: i64,
    /// Rows with an amount of zero or more.
    orders: i64,
    /// First and last day (days since 1970-01-01) of those rows.
    first: Option<i64>,
    last: Option<i64>,
}

/// Cents of `12.34` / `-0.50` / `7`: a decimal point has exactly two digits after it.
fn money(text: &str) -> i64 {
    assert!(
        text.split_once('.').is_none_or(|(_, frac)| frac.len() == 2),
        "two decimals in {text}"
    );
    cents(text)
}

/// Per customer id: the sums and dates of their transaction rows up to `as_of`.
fn raw_customers(rows: &[Row], as_of: &str) -> BTreeMap<String, Raw> {
    let (as_of, mut out) = (iso_day(as_of), BTreeMap::<String, Raw>::new());
    for r in rows {
        let d = iso_day(&r["date"]);
        if d > as_of {
            continue;
        }
        let c = out.entry(r["customer_id"].clone()).or_default();
        let amount = money(&r["amount"]);
        c.revenue += amount;
        if d > as_of - 365 {
            c.revenue_12m += amount;
        }
        c.cost += r.get("cost").map_or(0, |x| money(x));
        if amount >= 0 {
            c.orders += 1;
            c.first = Some(c.first.map_or(d, |f| f.min(d)));
            c.last = Some(c.last.map_or(d, |l| l.max(d)));
        }
    }
    out
}

fn example(name: &str) -> PathBuf {
    repo().join("examples").join(name)
}

/// `powerbase check` and `powerbase run --no-provenance` on an example, both without a word on
/// standard error; returns the temporary folder holding `out/`.
fn check_and_run(name: &str) -> tempfile::TempDir {
    let check = powerbase()
        .arg("check")
        .arg(example(name))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(
        check.status.success() && stderr.is_empty(),
        "{name}: {stderr}"
    );
    let dir = tempfile::tempdir().unwrap();
    let run = powerbase()
        .arg("run")
        .arg(example(name))
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--no-provenance")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success() && stderr.is_empty(),
        "{name}: {stderr}"
    );
    dir
}

/// An example checked and run: its output folder, its raw transactions per customer (up to
/// 2024-12-31), its attribute file by id and its customers.csv by id.
struct Ran {
    dir: tempfile::TempDir,
    raw: BTreeMap<String, Raw>,
    attributes: BTreeMap<String, Row>,
    out: BTreeMap<String, Row>,
}

/// The transaction rows of example `name`; when its policy says `level: account`, each row's
/// `customer_id` replaced by its account: the `parent_id` of its row in `data/customers.csv` when
/// set, else itself.
fn example_rows(name: &str) -> Vec<Row> {
    let data = example(name).join("data");
    let mut rows = read_csv(&data.join("transactions.csv"));
    let policy = std::fs::read_to_string(example(name).join("powerbase.yaml")).unwrap();
    if !policy.contains("\nlevel: account") {
        return rows;
    }
    let parents: BTreeMap<String, String> = read_csv(&data.join("customers.csv"))
        .into_iter()
        .filter(|r| !r["parent_id"].is_empty())
        .map(|r| (r["customer_id"].clone(), r["parent_id"].clone()))
        .collect();
    for r in &mut rows {
        if let Some(p) = parents.get(&r["customer_id"]) {
            r.insert("customer_id".into(), p.clone());
        }
    }
    rows
}

/// The id of a row of customers.csv: `customer_id`, or `account_id` at account level.
fn id_of(r: &Row) -> &str {
    r.get("customer_id").unwrap_or_else(|| &r["account_id"])
}

/// Checks and runs example `name` and reads it back; customers.csv must list exactly the raw
/// customers (accounts, at account level).
fn run_and_read(name: &str) -> Ran {
    let dir = check_and_run(name);
    let data = example(name).join("data");
    let raw = raw_customers(&example_rows(name), "2024-12-31");
    let attributes = by_id(read_csv(&data.join("customers.csv")));
    let out = by_id(customers(dir.path()));
    assert_eq!(
        out.keys().collect::<Vec<_>>(),
        raw.keys().collect::<Vec<_>>()
    );
    Ran {
        dir,
        raw,
        attributes,
        out,
    }
}

/// The outputs' customers by id, and the attribute file's rows by id.
fn by_id(rows: Vec<Row>) -> BTreeMap<String, Row> {
    rows.into_iter()
        .map(|r| (id_of(&r).to_string(), r))
        .collect()
}

/// Per tier, in policy order: customers, revenue and profit, from the expected tier and profit of
/// every customer; checked against summary.json's `tiers`, whose profit keys are checked when the
/// summary has them.
fn check_tiers(summary: &Json, tiers: &[&str], expected: &BTreeMap<String, Tally>) {
    let got = summary["tiers"].as_array().unwrap();
    assert_eq!(got.len(), tiers.len());
    let total_profit: i64 = expected.values().map(|e| e.2).sum();
    for (t, name) in got.iter().zip(tiers) {
        assert_eq!(t["name"], *name);
        let (n, revenue, profit, _) = expected.get(*name).copied().unwrap_or_default();
        assert_eq!(t["customers"].as_u64().unwrap() as usize, n, "{name}");
        assert_eq!(json_cents(&t["revenue"]), revenue, "{name}");
        if let Some(p) = t.get("profit").filter(|p| !p.is_null()) {
            assert_eq!(json_cents(p), profit, "{name} profit");
            let share = t["profit_share"].as_f64().unwrap();
            assert!(
                (share - profit as f64 / total_profit as f64).abs() < 1e-9,
                "{name}"
            );
            let avg = t["avg_profit"].as_f64().unwrap();
            assert!(
                (avg - profit as f64 / 100.0 / n as f64).abs() < 0.006,
                "{name}"
            );
        }
    }
}

/// Checks summary.json's `profitability` (when the summary has it) against the profits of all
/// customers: total, the unprofitable customers and their loss, and the whale curve's peak
/// (customers by profit, largest first, ties by id).
fn check_profitability(summary: &Json, profits: &BTreeMap<String, i64>) {
    let p = &summary["profitability"];
    if p.is_null() {
        return;
    }
    let total: i64 = profits.values().sum();
    let losers: Vec<i64> = profits.values().copied().filter(|&x| x < 0).collect();
    assert_eq!(json_cents(&p["profit"]), total);
    assert_eq!(
        p["customers_unprofitable"].as_u64().unwrap() as usize,
        losers.len()
    );
    let share = losers.len() as f64 / profits.len() as f64;
    assert!((p["unprofitable_share"].as_f64().unwrap() - share).abs() < 1e-9);
    assert_eq!(
        json_cents(&p["unprofitable_loss"]),
        losers.iter().sum::<i64>()
    );
    let mut ranked: Vec<(i64, &String)> = profits.iter().map(|(id, &x)| (x, id)).collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let (mut cumulative, mut peak, mut at) = (0i64, i64::MIN, 0usize);
    for (i, (x, _)) in ranked.iter().enumerate() {
        cumulative += x;
        if cumulative > peak {
            (peak, at) = (cumulative, i + 1);
        }
    }
    let peak_share = peak as f64 / total as f64;
    assert!((p["whale_peak_share"].as_f64().unwrap() - peak_share).abs() < 1e-9);
    assert_eq!(p["whale_peak_customers"].as_u64().unwrap() as usize, at);
}

/// Checks summary.json's `inequality` entry of the top against the bottom tier (when the summary
/// has it): the ratio of their average profits, with and without the acquisition cost, null when
/// the bottom tier's average is zero or negative. `tiers` holds the tallies of the tiers, top
/// first.
fn check_inequality(summary: &Json, names: &[&str], tiers: &[Tally]) {
    let Some(entries) = summary["inequality"].as_array() else {
        return;
    };
    let (top, bottom) = (names[0], names[names.len() - 1]);
    let e = entries
        .iter()
        .find(|e| e["higher"] == top && e["lower"] == bottom)
        .expect("an entry for the top against the bottom tier");
    let (high, low) = (tiers[0], tiers[tiers.len() - 1]);
    for (key, h, l) in [
        ("ratio", high.2, low.2),
        ("ratio_before_acquisition", high.3, low.3),
    ] {
        let (h, l) = (h as f64 / high.0 as f64, l as f64 / low.0 as f64);
        match e[key].as_f64() {
            _ if l <= 0.0 => assert!(e[key].is_null(), "{key}: {e}"),
            Some(r) => assert!(
                (r - h / l).abs() < 1e-9 * (h / l),
                "{key}: {r} vs {}",
                h / l
            ),
            None => panic!("{key} missing: {e}"),
        }
    }
}

/// Checks customers.csv's `personas` column and, when the summary has them, the persona counts.
fn check_personas(
    summary: &Json,
    out: &BTreeMap<String, Row>,
    personas: &[Persona],
    attributes: &BTreeMap<String, Row>,
) {
    let mut counts = vec![0usize; personas.len()];
    for (id, row) in out {
        let names: Vec<&str> = personas
            .iter()
            .enumerate()
            .filter(|(_, (_, when))| when(&attributes[id]))
            .map(|(i, (name, _))| {
                counts[i] += 1;
                *name
            })
            .collect();
        assert_eq!(row["personas"], names.join(";"), "{id}");
    }
    assert!(counts.iter().all(|&n| n > 0), "every persona has members");
    if let Some(got) = summary["personas"].as_array() {
        for (p, ((name, _), n)) in got.iter().zip(personas.iter().zip(&counts)) {
            assert_eq!(p["name"], *name);
            assert_eq!(p["customers"].as_u64().unwrap() as usize, *n, "{name}");
        }
    }
}

#[test]
fn the_shipped_data_is_what_the_generator_gives() {
    for name in datagen::SCENARIOS {
        let data = datagen::scenario(name, datagen::DEFAULT_SEED).unwrap();
        for (file, bytes) in [
            ("transactions.csv", &data.transactions),
            ("customers.csv", &data.customers),
        ] {
            let path = example(name).join("data").join(file);
            let shipped = std::fs::read(&path).unwrap();
            assert!(
                &shipped == bytes,
                "{} differs from the generator's output; regenerate it with the command in examples/{name}/README.md",
                path.display()
            );
        }
    }
}

#[test]
fn cdnow_and_its_german_export_check_and_run_without_warnings() {
    let raw = raw_cdnow_until("19980630");
    let total: i64 = raw.values().map(|r| r.0).sum();
    for name in ["cdnow", "cdnow-de"] {
        let dir = check_and_run(name);
        let out = by_id(customers(dir.path()));
        assert_eq!(out.len(), raw.len(), "{name}");
        for (id, (revenue, days)) in &raw {
            assert_eq!(money(&out[id]["revenue"]), *revenue, "{name} {id}");
            assert_eq!(out[id]["purchase_days"], days.to_string(), "{name} {id}");
        }
        assert_eq!(json_cents(&summary(dir.path())["total_revenue"]), total);
    }
}

/// The insurance agency's profile, from `rules/tiers.yaml` with the params of powerbase.yaml
/// (icp_commission 400, established_commission 200, icp_years 3, established_years 2).
fn insurance_tier(raw: &Raw, as_of: i64) -> &'static str {
    let years = raw.first.map(|f| (as_of - f) as f64 / 365.25);
    let r12 = raw.revenue_12m;
    let at_least = |y: f64| years.is_some_and(|x| x >= y);
    if r12 >= 400 * 100 && at_least(3.0) {
        "Ideal client"
    } else if r12 >= 200 * 100 && at_least(2.0) {
        "Established"
    } else if r12 >= 200 * 100 {
        "Rising"
    } else if r12 > 0 && at_least(3.0) {
        "Loyal basic"
    } else {
        "Minimum coverage"
    }
}

#[test]
fn insurance_agency_figures_match_the_rows() {
    const TIERS: [&str; 5] = [
        "Ideal client",
        "Established",
        "Rising",
        "Loyal basic",
        "Minimum coverage",
    ];
    let Ran {
        dir,
        raw,
        attributes,
        out,
    } = run_and_read("insurance-agency");
    let as_of = iso_day("2024-12-31");
    let (mut tiers, mut profits) = (BTreeMap::new(), BTreeMap::new());
    for (id, r) in &raw {
        let row = &out[id];
        assert_eq!(money(&row["revenue"]), r.revenue, "{id}");
        assert_eq!(money(&row["revenue_12m"]), r.revenue_12m, "{id}");
        // cost_to_serve: €2.50 per commission payment; acquisition cost from the client file.
        let cts = r.orders * 250;
        let acquisition = money(&attributes[id]["acquisition_cost"]);
        assert_eq!(money(&row["cost_to_serve"]), cts, "{id}");
        assert_eq!(
            money(&row["profit_before_acquisition"]),
            r.revenue - cts,
            "{id}"
        );
        let profit = r.revenue - cts - acquisition;
        assert_eq!(money(&row["profit"]), profit, "{id}");
        let tier = insurance_tier(r, as_of);
        assert_eq!(row["tier"], tier, "{id}");
        let t = tiers.entry(tier.to_string()).or_insert((0, 0, 0, 0));
        let before = r.revenue - cts;
        (t.0, t.1, t.2, t.3) = (t.0 + 1, t.1 + r.revenue, t.2 + profit, t.3 + before);
        profits.insert(id.clone(), profit);
    }
    let summary = summary(dir.path());
    let total: i64 = raw.values().map(|r| r.revenue).sum();
    assert_eq!(json_cents(&summary["total_revenue"]), total);
    check_inequality(&summary, &TIERS, &TIERS.map(|t| tiers[t]));
    assert_eq!(summary["customers"].as_u64().unwrap() as usize, raw.len());
    check_tiers(&summary, &TIERS, &tiers);
    assert!(
        TIERS.iter().all(|t| tiers[*t].0 > 0),
        "every profile holds clients"
    );
    check_profitability(&summary, &profits);
    let age = |r: &Row| r["age"].parse::<i64>().unwrap();
    check_personas(
        &summary,
        &out,
        &[
            ("Young families", &|r: &Row| {
                r["household"] == "family" && age(r) < 40
            }),
            ("Business owners", &|r: &Row| {
                r["household"] == "business_owner"
            }),
            ("Retirees", &|r: &Row| r["household"] == "retired"),
        ],
        &attributes,
    );
}

/// A b2b-services company's cost-to-serve components in cents, as `rules/value.yaml` and the
/// params of powerbase.yaml (ticket_cost 90, am_hour_rate 130) define them: the CRM's yearly
/// tickets and hours times the years served (first to last invoice plus 30 days, over 365).
fn b2b_cost_to_serve(raw: &Raw, company: &Row) -> (i64, i64) {
    let years = match (raw.first, raw.last) {
        (Some(f), Some(l)) => (l - f + 30) as f64 / 365.0,
        _ => 0.0,
    };
    let tickets = company["support_tickets_per_year"].parse::<i64>().unwrap() as f64 * years;
    let hours = company["am_hours_per_year"].parse::<f64>().unwrap() * years;
    let cents = |x: f64| (x * 100.0).round() as i64;
    (cents(tickets * 90.0), cents(hours * 130.0))
}

#[test]
fn b2b_services_figures_match_the_rows() {
    let Ran {
        dir,
        raw,
        attributes,
        out,
    } = run_and_read("b2b-services");
    let (mut tiers, mut profits) = (BTreeMap::new(), BTreeMap::new());
    for (id, r) in &raw {
        let row = &out[id];
        assert_eq!(money(&row["revenue"]), r.revenue, "{id}");
        assert_eq!(money(&row["margin"]), r.revenue - r.cost, "{id}");
        let (support, am) = b2b_cost_to_serve(r, &attributes[id]);
        assert_eq!(money(&row["cts_support"]), support, "{id}");
        assert_eq!(money(&row["cts_account_management"]), am, "{id}");
        assert_eq!(money(&row["cost_to_serve"]), support + am, "{id}");
        let profit = r.revenue - r.cost - support - am;
        assert_eq!(money(&row["profit"]), profit, "{id}");
        // rules/tiers.yaml: first_class_profit 40000, first_class_revenue_12m 60000,
        // business_profit 8000.
        let tier = if profit >= 40_000 * 100 && r.revenue_12m >= 60_000 * 100 {
            "First"
        } else if profit >= 8_000 * 100 {
            "Business"
        } else {
            "Economy"
        };
        assert_eq!(row["tier"], tier, "{id}");
        let t = tiers.entry(tier.to_string()).or_insert((0, 0, 0, 0));
        (t.0, t.1, t.2, t.3) = (t.0 + 1, t.1 + r.revenue, t.2 + profit, t.3 + profit);
        profits.insert(id.clone(), profit);
    }
    let summary = summary(dir.path());
    let total: i64 = raw.values().map(|r| r.revenue).sum();
    assert_eq!(json_cents(&summary["total_revenue"]), total);
    let margin: i64 = raw.values().map(|r| r.revenue - r.cost).sum();
    assert_eq!(json_cents(&summary["total_margin"]), margin);
    const TIERS: [&str; 3] = ["First", "Business", "Economy"];
    check_tiers(&summary, &TIERS, &tiers);
    check_inequality(&summary, &TIERS, &TIERS.map(|t| tiers[t]));
    check_profitability(&summary, &profits);
    let losers = profits.values().filter(|&&p| p < 0).count();
    assert!(
        losers * 10 > raw.len(),
        "some companies are served at a loss"
    );
    check_personas(
        &summary,
        &out,
        &[
            ("Large accounts", &|r: &Row| {
                r["size_band"] == "large" || r["size_band"] == "enterprise"
            }),
            ("High-touch small clients", &|r: &Row| {
                r["size_band"] == "small"
                    && r["support_tickets_per_year"].parse::<i64>().unwrap() >= 15
            }),
            ("Recent wins", &|r: &Row| {
                r["client_since"].parse::<i64>().unwrap() >= 2022
            }),
        ],
        &attributes,
    );
    check_plugin_section(dir.path(), &out);
}

/// The client-specific section of templates/report.md, written with the plugins: the largest
/// First-class accounts by revenue (ties by id), in order, with their company, industry and
/// service load.
fn check_plugin_section(dir: &Path, out: &BTreeMap<String, Row>) {
    let report = std::fs::read_to_string(dir.join("out/report.md")).unwrap();
    let section = report
        .split("## Where the service goes")
        .nth(1)
        .expect("the plugin section is in the report");
    let mut first: Vec<&Row> = out.values().filter(|r| r["tier"] == "First").collect();
    first.sort_by(|a, b| money(&b["revenue"]).cmp(&money(&a["revenue"])));
    let rows: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("| ") && l.ends_with("%) |"))
        .take(8)
        .collect();
    assert_eq!(rows.len(), 8, "{section}");
    for (line, c) in rows.iter().zip(&first) {
        let industry = c["industry"].replace('_', "\\_");
        let start = format!("| {} | {} | £", c["company"], industry);
        assert!(line.starts_with(&start), "{line} should start with {start}");
    }
}

/// Each value's share of `members`' revenue by `column` (`product` or `channel`), from the raw
/// rows, largest first then by name.
fn mix_of(
    rows: &[Row],
    members: &std::collections::BTreeSet<&str>,
    column: &str,
) -> Vec<(String, f64)> {
    let mut by_value: BTreeMap<String, i64> = BTreeMap::new();
    for row in rows
        .iter()
        .filter(|r| members.contains(r["customer_id"].as_str()))
    {
        *by_value.entry(row[column].clone()).or_default() += money(&row["amount"]);
    }
    let total: i64 = by_value.values().sum();
    let mut shares: Vec<(String, f64)> = by_value
        .into_iter()
        .map(|(v, c)| (v, c as f64 / total as f64))
        .collect();
    shares.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    shares
}

/// The values and shares of one column's mix in summary.json.
fn json_mix(mix: &Json, column: &str) -> Vec<(String, f64)> {
    let m = mix
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["column"] == column)
        .unwrap_or_else(|| panic!("no {column} mix in {mix}"));
    m["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["value"].as_str().unwrap().to_string(),
                v["share"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn b2b_services_product_and_channel_mix_match_the_rows() {
    let dir = check_and_run("b2b-services");
    let rows = example_rows("b2b-services");
    let out = customers(dir.path());
    let summary = summary(dir.path());
    let close = |a: &[(String, f64)], b: &[(String, f64)]| {
        assert_eq!(a.len(), b.len(), "{a:?} against {b:?}");
        for ((va, sa), (vb, sb)) in a.iter().zip(b) {
            assert_eq!(va, vb);
            assert!((sa - sb).abs() < 1e-12, "{va}: {sa} against {sb}");
        }
    };
    // Each persona, its members as customers.csv lists them.
    for p in summary["personas"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let members: std::collections::BTreeSet<&str> = out
            .iter()
            .filter(|r| r["personas"].split(';').any(|n| n == name))
            .map(id_of)
            .collect();
        for column in ["product", "channel"] {
            let expected: Vec<_> = mix_of(&rows, &members, column)
                .into_iter()
                .take(5)
                .collect();
            close(&json_mix(&p["behaviour"]["mix"], column), &expected);
        }
    }
    // The core tier against all customers.
    let core = summary["tiers"][0]["name"].as_str().unwrap();
    let core_members: std::collections::BTreeSet<&str> = out
        .iter()
        .filter(|r| r["tier"] == core)
        .map(id_of)
        .collect();
    let all: std::collections::BTreeSet<&str> = out.iter().map(id_of).collect();
    let profile = &summary["profile"];
    close(
        &json_mix(&profile["behaviour"]["mix"], "product"),
        &mix_of(&rows, &core_members, "product"),
    );
    close(
        &json_mix(&profile["base"]["mix"], "channel"),
        &mix_of(&rows, &all, "channel"),
    );
    let md = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(md.contains("| Revenue by product |"), "{md}");
}
