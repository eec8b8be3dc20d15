//! End to end on the real CDNOW data: metrics worked out by hand, the tier partition, the summary.

mod support;

use std::collections::{BTreeMap, HashMap};

use support::*;

/// Customer revenue in cents straight from the raw file, parsed independently of powerbase.
fn raw_revenue() -> BTreeMap<String, i64> {
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    let mut by_customer = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (whole, cents) = f[3].split_once('.').unwrap();
        let c: i64 = whole.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap();
        *by_customer.entry(f[0].to_string()).or_insert(0) += c;
    }
    by_customer
}

#[test]
fn minimal_policy_metrics_tiers_and_summary() {
    let ws = workspace(MINIMAL, None, &[]);
    run_ok(ws.path(), &["--quiet"]);
    let rows = customers(ws.path());
    assert_eq!(rows.len(), 23_570);
    let by_id: HashMap<&str, &BTreeMap<String, String>> = rows
        .iter()
        .map(|r| (r["customer_id"].as_str(), r))
        .collect();

    // Worked out by hand from the raw rows (as of 1998-06-30; 12 months = after 1997-06-30).
    // 00002: two rows on 1997-01-12, $12.00 + $77.00, 1 + 5 CDs.
    let c = by_id["00002"];
    assert_eq!(c["orders"], "2");
    assert_eq!(c["purchase_days"], "1");
    assert_eq!(c["frequency"], "0");
    assert_eq!(c["revenue"], "89.00");
    assert_eq!(c["revenue_12m"], "0.00");
    assert_eq!(c["quantity"], "6");
    assert_eq!(c["first_purchase"], "1997-01-12");
    assert_eq!(c["recency_days"], "534");
    assert_eq!(c["avg_order_value"], "44.5");
    assert_eq!(c["value"], "178");
    assert_eq!(c["tier"], "Economy");
    // 00003: six purchase days from 1997-01-02 to 1998-05-28, $156.46 in all, $95.40 in the last year.
    let c = by_id["00003"];
    assert_eq!(c["orders"], "6");
    assert_eq!(c["purchase_days"], "6");
    assert_eq!(c["frequency"], "5");
    assert_eq!(c["revenue"], "156.46");
    assert_eq!(c["revenue_12m"], "95.40");
    assert_eq!(c["quantity"], "16");
    assert_eq!(c["recency_days"], "33");
    assert_eq!(c["tenure_days"], "544");
    assert_eq!(c["tier"], "Business");
    // 07592, the largest customer: 201 rows on 146 days, $13,990.93.
    let c = by_id["07592"];
    assert_eq!(c["orders"], "201");
    assert_eq!(c["purchase_days"], "146");
    assert_eq!(c["revenue"], "13990.93");
    assert_eq!(c["revenue_12m"], "6967.76");
    assert_eq!(c["quantity"], "917");
    assert_eq!(c["first_purchase"], "1997-01-29");
    assert_eq!(c["last_purchase"], "1998-06-29");
    assert_eq!(c["recency_days"], "1");
    assert_eq!(c["tenure_days"], "517");
    assert_eq!(c["m_score"], "5");
    assert_eq!(c["r_score"], "5");
    assert_eq!(c["tier"], "First");
    // 00455: a single zero-value purchase: an order, but no revenue and no margin ratio.
    let c = by_id["00455"];
    assert_eq!(c["orders"], "1");
    assert_eq!(c["revenue"], "0.00");
    assert_eq!(c["margin_pct"], "");

    // The partition: every customer in exactly one tier, the first whose rule holds.
    let raw = raw_revenue();
    assert_eq!(raw.len(), rows.len());
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        let revenue = raw[&r["customer_id"]];
        assert_eq!(
            r["revenue"],
            format!("{}.{:02}", revenue / 100, revenue % 100)
        );
        let orders: i64 = r["orders"].parse().unwrap();
        let expected = if revenue >= 50_000 {
            // $500 in cents
            "First"
        } else if revenue >= 10_000 || orders >= 5 {
            "Business"
        } else {
            "Economy"
        };
        assert_eq!(r["tier"], expected, "customer {}", r["customer_id"]);
        *counts.entry(expected).or_default() += 1;
    }

    // The summary agrees with the rows and with the raw file.
    let s = summary(ws.path());
    assert_eq!(s["customers"], 23_570);
    assert_eq!(s["transactions"]["used"], 69_659);
    assert_eq!(s["transactions"]["excluded_after_as_of"], 0);
    let total: i64 = raw.values().sum();
    assert_eq!(
        s["total_revenue"].to_string(),
        format!("{}.{:02}", total / 100, total % 100)
    );
    let tiers = s["tiers"].as_array().unwrap();
    assert_eq!(tiers.len(), 3);
    for t in tiers {
        assert_eq!(t["customers"], counts[t["name"].as_str().unwrap()]);
    }
    // top20_share: the top ceil(0.2 N) customers by revenue, computed here from the raw file.
    let mut desc: Vec<i64> = raw.values().copied().collect();
    desc.sort_unstable_by(|a, b| b.cmp(a));
    let top: i64 = desc[..(desc.len() * 2).div_ceil(10)].iter().sum();
    let top20 = s["concentration"]["top20_share"].as_f64().unwrap();
    assert!((top20 - top as f64 / total as f64).abs() < 1e-12);
    let gini = s["concentration"]["gini"].as_f64().unwrap();
    assert!(
        (0.6..0.7).contains(&gini),
        "CDNOW revenue is concentrated: gini {gini}"
    );
}

#[test]
fn as_of_flag_excludes_later_transactions_and_counts_them() {
    let ws = workspace(MINIMAL, None, &[]);
    run_ok(ws.path(), &["--quiet", "--as-of", "1997-12-31"]);
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    let later = text
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(1).unwrap() > "19971231")
        .count();
    let s = summary(ws.path());
    assert_eq!(s["as_of"], "1997-12-31");
    assert_eq!(s["transactions"]["excluded_after_as_of"], later as u64);
    assert_eq!(s["transactions"]["used"], 69_659 - later as u64);
    assert_eq!(s["transactions"]["last_date"], "1997-12-31");
    // 07592 as of the end of 1997: revenue from 1997 rows only.
    let rows = customers(ws.path());
    let c = rows.iter().find(|r| r["customer_id"] == "07592").unwrap();
    let mut cents = 0i64;
    for l in text.lines().skip(1).filter(|l| l.starts_with("07592,")) {
        let f: Vec<&str> = l.split(',').collect();
        if f[1] <= "19971231" {
            let (w, c) = f[3].split_once('.').unwrap();
            cents += w.parse::<i64>().unwrap() * 100 + c.parse::<i64>().unwrap();
        }
    }
    assert_eq!(c["revenue"], format!("{}.{:02}", cents / 100, cents % 100));
}

#[test]
fn example_workspace_runs_and_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("cdnow");
    copy_dir(&repo().join("examples/cdnow"), &ws);
    run_ok(&ws, &["--quiet"]);
    let first: Vec<(String, Vec<u8>)> = read_tree(&ws.join("out"));
    run_ok(&ws, &["--quiet"]);
    let second = read_tree(&ws.join("out"));
    // Eleven outputs (six charts, `trends` among them; customers.xlsx) and the
    // .powerbase-output marker.
    assert_eq!(
        first.len(),
        12,
        "{:?}",
        first.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a.0, b.0);
        assert!(a.1 == b.1, "{} differs between two runs", a.0);
    }
    // Derived metrics, plugin functions and built-in rule files all reach customers.csv.
    let header = std::fs::read_to_string(ws.join("out/customers.csv")).unwrap();
    let header = header.lines().next().unwrap();
    assert!(
        header.ends_with(
            "cum_revenue_share,price_per_cd,yearly_value,top_yearly,rfm_code,rfm_segment,\
             check_lapsed_first_class_spenders,check_one_and_done,check_net_negative_customers,\
             check_refunds_only"
        ),
        "{header}"
    );
    assert!(
        header.starts_with("customer_id,tier,reason,orders,"),
        "{header}"
    );
}

#[test]
fn reason_and_check_columns_follow_the_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("cdnow");
    copy_dir(&repo().join("examples/cdnow"), &ws);
    run_ok(&ws, &["--quiet", "--no-provenance"]);
    let rows = customers(&ws);
    // Independent: purchase days per customer from the raw rows (refunds are not purchases).
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    let mut days: HashMap<String, std::collections::BTreeSet<String>> = HashMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let e = days.entry(f[0].to_string()).or_default();
        if !f[3].starts_with('-') {
            e.insert(f[1].to_string());
        }
    }
    let raw = raw_revenue();
    let (mut one_and_done, mut at_stake) = (0, 0i64);
    for r in &rows {
        let single = days[&r["customer_id"]].len() == 1;
        if single {
            at_stake += raw[&r["customer_id"]];
        }
        assert_eq!(
            r["check_one_and_done"],
            single.to_string(),
            "{}",
            r["customer_id"]
        );
        one_and_done += usize::from(single);
        let expected_reason = if r["tier"] == "Economy" {
            "(last tier)"
        } else {
            r["tier"].as_str()
        };
        assert_eq!(r["reason"], expected_reason);
    }
    let s = summary(&ws);
    let finding = s["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "one_and_done")
        .unwrap();
    assert_eq!(
        finding["customers"].as_u64().unwrap() as usize,
        one_and_done
    );
    assert_eq!(
        finding["revenue"].to_string(),
        format!("{}.{:02}", at_stake / 100, at_stake % 100)
    );
    let total = s["total_revenue"].as_f64().unwrap();
    let share = finding["revenue_share"].as_f64().unwrap();
    assert!((share - at_stake as f64 / 100.0 / total).abs() < 1e-12);
}

fn read_tree(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            out.push((
                e.path().strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            ));
        }
    }
    out
}

#[test]
fn report_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("cdnow");
    copy_dir(&repo().join("examples/cdnow"), &ws);
    // A fixed date of issue: otherwise the front matter would carry today's.
    run_ok(
        &ws,
        &["--quiet", "--no-provenance", "--issued", "1998-07-15"],
    );
    let report = std::fs::read_to_string(ws.join("out/report.md")).unwrap();
    insta::assert_snapshot!("cdnow_report_md", report);
}

#[test]
fn the_pdf_says_what_the_markdown_says() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("cdnow");
    copy_dir(&repo().join("examples/cdnow"), &ws);
    run_ok(&ws, &["--quiet"]);
    let pdf = ws.join("out/report.pdf");
    let text = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("poppler-utils is installed");
    let text = String::from_utf8(text.stdout).unwrap();
    let md = std::fs::read_to_string(ws.join("out/report.md")).unwrap();
    // Headline figures appear in both, in the order the Markdown has them.
    let mut at = 0;
    for needle in [
        "In brief",
        "$1,087,015",
        "Customers are sorted into 3 tiers",
        "Ranked by revenue (Exhibit 2), the top 20%",
        "largest customers bring",
        "07592",
        "findings that need a decision",
        "Data quality",
        "69,659",
    ] {
        assert!(md.contains(needle), "{needle} in report.md");
        let pos = text[at..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} missing or out of order in report.pdf"));
        at += pos;
    }
    // Charts are drawn as vectors: their labels are text in the PDF.
    assert!(
        text.contains("Top 20% of customers: 68% of revenue"),
        "pareto label"
    );
    let fonts = std::process::Command::new("pdffonts")
        .arg(&pdf)
        .output()
        .unwrap();
    let fonts = String::from_utf8(fonts.stdout).unwrap();
    assert!(
        fonts.lines().skip(2).all(|l| l.contains(" yes yes yes ")),
        "every font embedded, subset, with a Unicode map:\n{fonts}"
    );
}

#[test]
fn provenance_names_the_policy_state_and_the_data_files_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("cdnow");
    copy_dir(&repo().join("examples/cdnow"), &ws);
    run_ok(&ws, &["--quiet", "--set", "first_class_min=250"]);
    let s = summary(&ws);
    let p = &s["provenance"];
    assert_eq!(p["powerbase"], env!("CARGO_PKG_VERSION"));
    assert_eq!(p["policy"]["state"], "not_in_git");
    assert_eq!(p["overrides"][0], "first_class_min=250");
    // The hash as coreutils computes it.
    let out = std::process::Command::new("sha256sum")
        .arg(ws.join("data/transactions.csv"))
        .output()
        .unwrap();
    let expected = String::from_utf8(out.stdout).unwrap();
    assert_eq!(p["data_files"][0]["path"], "data/transactions.csv");
    assert_eq!(
        p["data_files"][0]["sha256"].as_str().unwrap(),
        expected.split_whitespace().next().unwrap()
    );
    let md = std::fs::read_to_string(ws.join("out/report.md")).unwrap();
    assert!(md.contains("Policy not in git"), "{md}");
    assert!(
        md.contains("first\\_class\\_min=250"),
        "overrides in the method section"
    );

    // --no-provenance leaves the stamp out entirely.
    run_ok(&ws, &["--quiet", "--no-provenance"]);
    let s = summary(&ws);
    assert!(s.get("provenance").is_none());
    let md = std::fs::read_to_string(ws.join("out/report.md")).unwrap();
    assert!(!md.contains("SHA-256"));
}
