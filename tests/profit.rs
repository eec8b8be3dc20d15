//! Who is profitable and how unequal the tiers are, on the real CDNOW data with a cost column and
//! a cost to serve added by the test: every figure of `summary.json` against a plain loop over the
//! CSV rows written here. Then the runs where profit is not known, or is negative.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;
use support::*;

/// The cost of goods of data row `i` (0-based) as a share of its amount, in percent: 60 to 104,
/// so some rows sell at a loss.
fn cost_pct(i: usize) -> i64 {
    60 + (i as i64 * 37) % 45
}

/// `cents` as the CSV writes money.
fn money_text(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// One customer's totals from the rows, in cents.
#[derive(Default)]
struct Raw {
    revenue: i64,
    cost: i64,
    orders: i64,
    days: BTreeSet<String>,
}

/// The CDNOW file with a `cost` column, and each customer's totals from its rows.
fn cdnow_with_cost() -> (String, BTreeMap<String, Raw>) {
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    let mut out = String::from("customer_id,date,number_of_cds,dollar_value,cost\n");
    let mut raw: BTreeMap<String, Raw> = BTreeMap::new();
    for (i, line) in text.lines().skip(1).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let (whole, frac) = f[3].split_once('.').unwrap();
        let amount = whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap();
        assert!(amount >= 0, "CDNOW has no refunds");
        let cost = amount * cost_pct(i) / 100;
        out.push_str(&format!("{line},{}\n", money_text(cost)));
        let c = raw.entry(f[0].to_string()).or_default();
        c.revenue += amount;
        c.cost += cost;
        c.orders += 1;
        c.days.insert(f[1].to_string());
    }
    (out, raw)
}

const POLICY: &str = r#"client: CDNOW
currency: USD
as_of: 1998-06-30
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: customer_id, date: date, amount: dollar_value, quantity: number_of_cds, cost: cost }
    date_format: "%Y%m%d"
cost_to_serve:
  handling: orders * 2.5
acquisition_cost: "if purchase_days >= 3 { 4.0 } else { 1.5 }"
tiers:
  - name: First
    when: revenue >= 500
  - name: Business
    when: revenue >= 100 || orders >= 5
  - name: Economy
"#;

/// The tier of a customer by the policy's rules, worked out here.
fn tier(c: &Raw) -> usize {
    if c.revenue >= 50_000 {
        0
    } else if c.revenue >= 10_000 || c.orders >= 5 {
        1
    } else {
        2
    }
}

/// (profit before acquisition, profit) in cents, worked out here.
fn profit(c: &Raw) -> (i64, i64) {
    let before = c.revenue - c.cost - c.orders * 250;
    let acquisition = if c.days.len() >= 3 { 400 } else { 150 };
    (before, before - acquisition)
}

fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or_else(|| panic!("not a number: {a}"));
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} != {b}");
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join("out").join(file)).unwrap()
}

/// Per tier: customers, cost to serve, profit before acquisition, profit, losing customers, loss.
#[derive(Default, Clone, Copy)]
struct TierSums {
    customers: i64,
    cts: i64,
    before: i64,
    profit: i64,
    losing: i64,
    loss: i64,
}

#[test]
fn profitability_and_inequality_match_a_plain_loop_over_the_rows() {
    let (csv, raw) = cdnow_with_cost();
    let ws = workspace(POLICY, Some(&csv), &[]);
    run_ok(ws.path(), &["--quiet"]);
    let s = summary(ws.path());

    let mut tiers = [TierSums::default(); 3];
    let mut ranked: Vec<(i64, &str)> = Vec::new();
    for (id, c) in &raw {
        let (before, p) = profit(c);
        let t = &mut tiers[tier(c)];
        t.customers += 1;
        t.cts += c.orders * 250;
        t.before += before;
        t.profit += p;
        if p < 0 {
            t.losing += 1;
            t.loss += p;
        }
        ranked.push((p, id));
    }
    let n = raw.len() as i64;
    let total: i64 = tiers.iter().map(|t| t.profit).sum();
    let losing: i64 = tiers.iter().map(|t| t.losing).sum();
    let loss: i64 = tiers.iter().map(|t| t.loss).sum();
    assert!(
        total > 0 && losing > 1000,
        "the test data should show a whale"
    );

    let p = &s["profitability"];
    assert_eq!(json_cents(&p["profit"]), total);
    assert_eq!(p["customers_unprofitable"], losing);
    close(&p["unprofitable_share"], losing as f64 / n as f64);
    assert_eq!(json_cents(&p["unprofitable_loss"]), loss);
    assert_eq!(
        json_cents(&p["cost_to_serve"]),
        tiers.iter().map(|t| t.cts).sum::<i64>()
    );
    assert_eq!(
        json_cents(&p["acquisition_cost"]),
        tiers.iter().map(|t| t.before - t.profit).sum::<i64>()
    );
    assert_eq!(p["basis"], "margin");
    let handling = &p["cost_to_serve_components"][0];
    assert_eq!(handling["name"], "handling");
    assert_eq!(
        json_cents(&handling["total"]),
        raw.values().map(|c| c.orders * 250).sum::<i64>()
    );

    // The whale curve: largest profit first, ties by id; the peak and the fewest customers at it.
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let (mut running, mut best, mut best_k) = (0i64, 0i64, 0usize);
    for (k, (p, _)) in ranked.iter().enumerate() {
        running += p;
        if running > best {
            best = running;
            best_k = k + 1;
        }
    }
    close(&p["whale_peak_share"], best as f64 / total as f64);
    assert_eq!(p["whale_peak_customers"], best_k);
    assert!(p["whale_peak_share"].as_f64().unwrap() > 1.0);

    // Per tier, and the tier that loses most.
    let names = ["First", "Business", "Economy"];
    for (k, t) in tiers.iter().enumerate() {
        let tier = &s["tiers"][k];
        assert_eq!(tier["name"], names[k]);
        assert_eq!(tier["customers"], t.customers);
        assert_eq!(json_cents(&tier["cost_to_serve"]), t.cts);
        assert_eq!(json_cents(&tier["profit"]), t.profit);
        close(&tier["profit_share"], t.profit as f64 / total as f64);
        close(
            &tier["avg_profit"],
            t.profit as f64 / 100.0 / t.customers as f64,
        );
        assert_eq!(tier["customers_unprofitable"], t.losing);
        assert_eq!(json_cents(&tier["unprofitable_loss"]), t.loss);
    }
    let worst = (0..3).min_by_key(|&k| (tiers[k].loss, k)).unwrap();
    assert_eq!(p["largest_loss"]["tier"], names[worst]);
    close(
        &p["largest_loss"]["loss_share"],
        tiers[worst].loss as f64 / loss as f64,
    );

    // Inequality: adjacent tiers, then the top against the bottom.
    let avg = |t: &TierSums, v: i64| v as f64 / 100.0 / t.customers as f64;
    let pairs = [(0, 1), (1, 2), (0, 2)];
    let inequality = s["inequality"].as_array().unwrap();
    assert_eq!(inequality.len(), pairs.len());
    for (r, &(h, l)) in inequality.iter().zip(&pairs) {
        assert_eq!(
            (&r["higher"], &r["lower"]),
            (&names[h].into(), &names[l].into())
        );
        assert_eq!(r["basis"], "profit");
        let (th, tl) = (&tiers[h], &tiers[l]);
        close(&r["higher_avg"], avg(th, th.profit));
        close(&r["lower_avg"], avg(tl, tl.profit));
        if tl.profit > 0 {
            close(&r["ratio"], avg(th, th.profit) / avg(tl, tl.profit));
        } else {
            assert!(r["ratio"].is_null());
        }
        close(
            &r["ratio_before_acquisition"],
            avg(th, th.before) / avg(tl, tl.before),
        );
    }

    // The report states the same figures, and draws the whale curve.
    let md = read(ws.path(), "report.md");
    let title = format!(
        "## {:.1}% of customers lose money: ${} in total",
        losing as f64 * 100.0 / n as f64,
        thousands((-loss as f64 / 100.0).round() as i64)
    );
    assert!(md.contains(&title), "{title}\n{md}");
    assert!(md.contains(&format!("in {}", names[worst])), "{md}");
    let whale = format!(
        "the most profitable {:.0}% of customers ({}) earn {:.0}% of profit",
        best_k as f64 * 100.0 / n as f64,
        thousands(best_k as i64),
        best as f64 * 100.0 / total as f64
    );
    assert!(md.contains(&whale), "{whale}\n{md}");
    assert!(md.contains("![Whale curve"), "{md}");
    assert!(
        md.contains(&format!(
            "*Source: data/transactions.csv, 1997-01-01 to 1998-06-30, {} customers as of 1998-06-30; customers ranked by profit = margin less cost to serve less acquisition cost, most profitable first.*",
            thousands(n)
        )),
        "{md}"
    );
    let ratio = avg(&tiers[0], tiers[0].profit) / avg(&tiers[2], tiers[2].profit);
    let heading = format!(
        "## Each First customer earns as much profit as {} Economy customers",
        if ratio < 10.0 {
            format!("{ratio:.1}")
        } else {
            format!("{ratio:.0}")
        }
    );
    assert!(md.contains(&heading), "{heading}\n{md}");
    let svg = read(ws.path(), "charts/whale.svg");
    assert!(
        svg.contains(&format!(
            "The most profitable {:.0}% of customers earn {:.0}% of profit",
            best_k as f64 * 100.0 / n as f64,
            best as f64 * 100.0 / total as f64
        )),
        "{svg}"
    );
    assert!(svg.contains("100% of profit"));
    // The PDF draws the same chart as vectors: its label is text there.
    let pdf = std::process::Command::new("pdftotext")
        .arg(ws.path().join("out/report.pdf"))
        .arg("-")
        .output()
        .expect("poppler-utils is installed");
    let pdf = String::from_utf8(pdf.stdout).unwrap();
    assert!(
        pdf.contains("Who earns the profit: the whale curve"),
        "{pdf}"
    );
    assert!(pdf.contains("100% of profit"), "{pdf}");
}

#[test]
fn without_cost_data_profit_is_null_and_the_report_names_the_missing_data() {
    let ws = workspace(MINIMAL, None, &[]);
    run_ok(ws.path(), &["--quiet"]);
    let s = summary(ws.path());
    assert!(s["profitability"].is_null(), "{}", s["profitability"]);
    for t in s["tiers"].as_array().unwrap() {
        for key in ["cost_to_serve", "profit", "profit_share", "avg_profit"] {
            assert!(t[key].is_null(), "{key}: {}", t[key]);
        }
    }
    // Tiers compared on revenue: revenue per customer from the raw rows.
    let raw = raw_cdnow_until("19980630");
    let mut sums = [(0i64, 0i64); 3];
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    let mut orders: BTreeMap<&str, i64> = BTreeMap::new();
    for line in text.lines().skip(1) {
        *orders.entry(line.split(',').next().unwrap()).or_default() += 1;
    }
    for (id, (revenue, _)) in &raw {
        let t = if *revenue >= 50_000 {
            0
        } else if *revenue >= 10_000 || orders[id.as_str()] >= 5 {
            1
        } else {
            2
        };
        sums[t].0 += 1;
        sums[t].1 += revenue;
    }
    let avg = |k: usize| sums[k].1 as f64 / 100.0 / sums[k].0 as f64;
    let top_bottom = &s["inequality"][2];
    assert_eq!(top_bottom["basis"], "revenue");
    assert_eq!(
        (&top_bottom["higher"], &top_bottom["lower"]),
        (&"First".into(), &"Economy".into())
    );
    close(&top_bottom["ratio"], avg(0) / avg(2));
    assert!(top_bottom["ratio_before_acquisition"].is_null());

    let md = read(ws.path(), "report.md");
    assert!(md.contains("but no cost"), "{md}");
    assert!(
        md.contains("A `cost` column in `data.transactions.columns`"),
        "{md}"
    );
    assert!(md.contains("`cost_to_serve` in the policy"), "{md}");
    assert!(!md.contains("lose money"), "{md}");
    assert!(!md.contains("![Whale curve"), "{md}");
    assert!(
        md.contains("Profit is not known, so the tiers are compared on revenue per customer"),
        "{md}"
    );
    let ratio = avg(0) / avg(2);
    assert!(
        md.contains(&format!(
            "## Each First customer brings as much revenue as {ratio:.0} Economy customers"
        )),
        "{md}"
    );
    assert!(read(ws.path(), "charts/whale.svg").contains("Profit is not known"));
}

/// Three customers; the cost to serve makes the lower tier lose money on average.
const SMALL: &str =
    "customer_id,date,amount\na,2024-01-05,100.00\nb,2024-02-01,20.00\nc,2024-03-01,10.00\n";

fn small_policy(cost: &str) -> String {
    format!(
        r#"client: Small
currency: USD
as_of: 2024-06-30
data:
  transactions:
    path: data/transactions.csv
    columns: {{ customer_id: customer_id, date: date, amount: amount }}
cost_to_serve:
  service: {cost}
tiers:
  - name: Top
    when: revenue >= 50
  - name: Rest
"#
    )
}

#[test]
fn a_losing_lower_tier_has_no_ratio_and_its_average_is_shown() {
    // Profit: a 100 - 30 = 70, b 20 - 30 = -10, c 10 - 30 = -20 (revenue basis, no cost column).
    let ws = workspace(&small_policy("30"), Some(SMALL), &[]);
    let out = String::from_utf8(run_ok(ws.path(), &[]).stdout).unwrap();
    assert!(
        out.contains("profit $40; 2 customers (66.7%) lose money, -$30 in all"),
        "{out}"
    );
    let s = summary(ws.path());
    let p = &s["profitability"];
    assert_eq!(p["basis"], "revenue");
    assert_eq!(json_cents(&p["profit"]), 4_000);
    assert_eq!(p["customers_unprofitable"], 2);
    assert_eq!(json_cents(&p["unprofitable_loss"]), -3_000);
    close(&p["whale_peak_share"], 7_000.0 / 4_000.0);
    assert_eq!(p["whale_peak_customers"], 1);
    let r = &s["inequality"][0];
    assert!(r["ratio"].is_null());
    close(&r["lower_avg"], -15.0);
    let md = read(ws.path(), "report.md");
    assert!(
        md.contains("## An average Rest customer loses $15.00: no number of them adds up to one Top customer"),
        "{md}"
    );
    assert!(md.contains("revenue (no cost of goods is mapped)"), "{md}");
}

#[test]
fn a_negative_total_profit_has_no_whale_curve() {
    // Profit: 100 - 60 = 40, 20 - 60 = -40, 10 - 60 = -50: -50 in all.
    let ws = workspace(&small_policy("60"), Some(SMALL), &[]);
    run_ok(ws.path(), &["--quiet"]);
    let s = summary(ws.path());
    let p = &s["profitability"];
    assert_eq!(json_cents(&p["profit"]), -5_000);
    assert!(p["whale_peak_share"].is_null() && p["whale_peak_customers"].is_null());
    assert!(s["tiers"][0]["profit_share"].is_null());
    let md = read(ws.path(), "report.md");
    assert!(
        md.contains("Total profit is -$50, zero or negative"),
        "{md}"
    );
    assert!(!md.contains("![Whale curve"), "{md}");
    assert!(read(ws.path(), "charts/whale.svg").contains("Total profit is -$50"));
}

#[test]
fn no_customer_losing_money_and_an_empty_tier_are_said_as_such() {
    // Profit: a 99, b 19, c 9 (revenue less 1 each); Middle places nobody.
    let policy = small_policy("1").replace(
        "  - name: Rest\n",
        "  - name: Middle\n    when: revenue >= 1000\n  - name: Rest\n",
    );
    let ws = workspace(&policy, Some(SMALL), &[]);
    run_ok(ws.path(), &["--quiet"]);
    let s = summary(ws.path());
    let p = &s["profitability"];
    assert_eq!(p["customers_unprofitable"], 0);
    assert_eq!(p["whale_peak_customers"], 3);
    assert!(p["largest_loss"].is_null());
    let r = s["inequality"].as_array().unwrap();
    assert_eq!(r.len(), 3);
    assert!(r[0]["ratio"].is_null() && r[0]["lower_avg"].is_null());
    close(&r[2]["ratio"], 99.0 / 14.0);
    assert!(s["tiers"][1]["avg_profit"].is_null());
    let md = read(ws.path(), "report.md");
    let top = format!("{:.1}%", 99.0 * 100.0 / 127.0);
    assert!(
        md.contains(&format!(
            "## No customer loses money: Top earns {top} of the $127 profit"
        )),
        "{md}"
    );
    assert!(
        md.contains("Every one of the 3 customers adds to profit"),
        "{md}"
    );
    assert!(
        md.contains("## Each Top customer earns as much profit as 7.1 Rest customers"),
        "{md}"
    );
    assert!(
        md.contains("Middle has no customers to weigh against Top"),
        "{md}"
    );
}

#[test]
fn an_empty_bottom_tier_cannot_be_compared() {
    let policy = small_policy("1").replace("revenue >= 50", "revenue >= 5");
    let ws = workspace(&policy, Some(SMALL), &[]);
    run_ok(ws.path(), &["--quiet"]);
    let s = summary(ws.path());
    let r = &s["inequality"][0];
    assert!(r["ratio"].is_null() && r["lower_avg"].is_null());
    close(&r["higher_avg"], (99.0 + 19.0 + 9.0) / 3.0);
    let md = read(ws.path(), "report.md");
    assert!(
        md.contains("## Rest has no customers, so Top and Rest cannot be compared"),
        "{md}"
    );
    assert!(!md.contains("An average Rest customer"), "{md}");
}
