//! `run --compare-as-of`: how customers moved between tiers, on the real CDNOW data, checked
//! against two separate runs (one per as-of date) joined by customer id in the test.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use support::*;

/// The earlier date: mid-March 1997, so the customers who first bought in the rest of the first
/// quarter are new.
const EARLIER: &str = "1997-03-15";
/// A First tier that reads the last 12 months, so that customers can slip as well as graduate.
const FIRST: &str = "tiers.First.when=revenue_12m >= 100 && purchase_days >= 2";
const TIERS: [&str; 3] = ["First", "Business", "Economy"];
/// The CDNOW example's `lapse_days` param.
const LAPSE_DAYS: i64 = 180;

/// A copy of the CDNOW example workspace.
fn cdnow() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/cdnow"), dir.path());
    dir
}

/// Runs the workspace into `out` with `args` and returns its standard output and error.
fn run_into(ws: &Path, out: &Path, args: &[&str]) -> (String, String) {
    let mut all = vec![
        "--out",
        out.to_str().unwrap(),
        "--no-provenance",
        "--set",
        FIRST,
    ];
    all.extend_from_slice(args);
    let o = run_ok(ws, &all);
    (
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

/// customer id -> (tier, revenue in cents, recency_days) from a run's customers.csv.
fn tiers_of(out: &Path) -> BTreeMap<String, (String, i64, Option<i64>)> {
    read_csv(&out.join("customers.csv"))
        .into_iter()
        .map(|r| {
            (
                r["customer_id"].clone(),
                (
                    r["tier"].clone(),
                    cents(&r["revenue"]),
                    r["recency_days"].parse().ok(),
                ),
            )
        })
        .collect()
}

#[test]
fn the_matrix_and_groups_match_two_separate_runs_joined_by_id() {
    let ws = cdnow();
    let outs = tempfile::tempdir().unwrap();
    let (early, late, both) = (
        outs.path().join("early"),
        outs.path().join("late"),
        outs.path().join("both"),
    );
    run_into(ws.path(), &early, &["--as-of", EARLIER]);
    run_into(ws.path(), &late, &[]);
    let (stdout, _) = run_into(ws.path(), &both, &["--compare-as-of", EARLIER]);
    let before = tiers_of(&early);
    let after = tiers_of(&late);
    assert!(before.len() < after.len() && after.len() == 23_570);

    // The matrix and the groups, worked out here.
    let rank = |t: &str| TIERS.iter().position(|x| *x == t).unwrap();
    let mut cells: BTreeMap<(String, String), (u64, i64)> = BTreeMap::new();
    let mut groups: BTreeMap<&str, (u64, i64)> = BTreeMap::new();
    let mut graduates: Vec<(i64, String)> = Vec::new();
    for (id, (to, revenue, recency)) in &after {
        let from = before.get(id).map(|b| b.0.clone());
        let cell = cells
            .entry((from.clone().unwrap_or("(new)".into()), to.clone()))
            .or_default();
        cell.0 += 1;
        cell.1 += revenue;
        let group = match &from {
            None => "new",
            Some(f) if rank(to) < rank(f) => "graduated",
            Some(f) if rank(to) > rank(f) => "slipped",
            Some(_) => "stayed",
        };
        if group == "graduated" {
            graduates.push((*revenue, id.clone()));
        }
        let g = groups.entry(group).or_default();
        g.0 += 1;
        g.1 += revenue;
        if recency.is_none_or(|d| d >= LAPSE_DAYS) {
            let g = groups.entry("lapsed").or_default();
            g.0 += 1;
            g.1 += revenue;
        }
    }
    // Every group holds customers here, so the test checks something.
    for g in ["new", "graduated", "slipped", "stayed", "lapsed"] {
        assert!(groups.get(g).is_some_and(|g| g.0 > 0), "{g}: {groups:?}");
    }

    let summary = serde_json::from_slice::<serde_json::Value>(
        &std::fs::read(both.join("summary.json")).unwrap(),
    )
    .unwrap();
    let m = &summary["migration"];
    assert_eq!(m["from_as_of"], EARLIER);
    let matrix = m["matrix"].as_array().unwrap();
    assert_eq!(matrix.len(), cells.len());
    for c in matrix {
        let key = (
            c["from"].as_str().unwrap().to_string(),
            c["to"].as_str().unwrap().to_string(),
        );
        let expected = cells[&key];
        assert_eq!(
            (c["customers"].as_u64().unwrap(), json_cents(&c["revenue"])),
            expected,
            "{key:?}"
        );
    }
    // Tiers in policy order, then (new).
    let order = |t: &str| {
        if t == "(new)" {
            3
        } else {
            rank(t)
        }
    };
    let positions: Vec<(usize, usize)> = matrix
        .iter()
        .map(|c| {
            (
                order(c["from"].as_str().unwrap()),
                rank(c["to"].as_str().unwrap()),
            )
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    for g in ["graduated", "slipped", "new", "lapsed", "stayed"] {
        assert_eq!(
            (
                m[g]["customers"].as_u64().unwrap(),
                json_cents(&m[g]["revenue"])
            ),
            groups[g],
            "{g}"
        );
    }
    // The largest graduation is the graduate with the most revenue (ties: lowest id).
    graduates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let largest = &m["largest_graduations"][0];
    assert_eq!(largest["id"], graduates[0].1.as_str());
    assert_eq!(json_cents(&largest["revenue"]), graduates[0].0);
    assert_eq!(m["lapse_days"], LAPSE_DAYS);

    // The later date's outputs are those of the plain run: same customers.csv.
    assert_eq!(
        std::fs::read(late.join("customers.csv")).unwrap(),
        std::fs::read(both.join("customers.csv")).unwrap()
    );
    // The terminal headline and the report show it.
    let (grads, slips) = (groups["graduated"].0, groups["slipped"].0);
    assert!(
        stdout.contains(&format!("since {EARLIER}: {} (", thousands(grads))),
        "{stdout}"
    );
    let report = std::fs::read_to_string(both.join("report.md")).unwrap();
    assert!(
        report.contains(&format!(
            "## {} customers graduated to a higher tier between {EARLIER} and 1998-06-30; {} slipped to a lower one",
            thousands(grads),
            thousands(slips)
        )),
        "{report}"
    );
    assert!(report.contains("![How customers moved between tiers"));
    assert!(both.join("charts/migration.svg").exists());
}

#[test]
fn summary_json_has_the_issue_shape_and_money_as_decimals() {
    let ws = cdnow();
    let out = ws.path().join("out");
    run_into(ws.path(), &out, &["--compare-as-of", "1997-12-31"]);
    let text = std::fs::read_to_string(out.join("summary.json")).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
    let m = summary["migration"].as_object().unwrap();
    let keys: Vec<&str> = m.keys().map(String::as_str).take(6).collect();
    assert_eq!(
        keys,
        [
            "from_as_of",
            "matrix",
            "graduated",
            "slipped",
            "new",
            "lapsed"
        ]
    );
    let cell = m["matrix"][0].as_object().unwrap();
    let cell_keys: Vec<&str> = cell.keys().map(String::as_str).collect();
    assert_eq!(cell_keys, ["from", "to", "customers", "revenue"]);
    // Money is written with two decimals, as every other amount of summary.json.
    let start = text.find("\"migration\"").unwrap();
    let block = &text[start..];
    let graduated = &block[block.find("\"graduated\"").unwrap()..];
    let revenue = graduated.split("\"revenue\": ").nth(1).unwrap();
    let number: String = revenue
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    assert_eq!(number.split_once('.').map(|(_, d)| d.len()), Some(2));
    // No customer first bought after 1997-03-31 in this cohort: nobody is new.
    assert_eq!(m["new"]["customers"], 0);
    // The migration block comes before the provenance stamp (which stays last when present).
    assert!(text.find("\"migration\"").unwrap() > text.find("\"method\"").unwrap());
}

#[test]
fn the_data_is_read_once_for_both_dates() {
    let ws = cdnow();
    let out = ws.path().join("out");
    let (_, stderr) = run_into(
        ws.path(),
        &out,
        &["--compare-as-of", EARLIER, "--timings", "--quiet"],
    );
    let loads = stderr
        .lines()
        .filter(|l| l.contains("load and aggregate transactions"))
        .count();
    assert_eq!(loads, 1, "{stderr}");
    assert!(stderr.contains("rules at the earlier date"), "{stderr}");
}

#[test]
fn two_runs_write_the_same_bytes() {
    let ws = cdnow();
    let outs = tempfile::tempdir().unwrap();
    let (a, b) = (outs.path().join("a"), outs.path().join("b"));
    run_into(ws.path(), &a, &["--compare-as-of", EARLIER]);
    run_into(ws.path(), &b, &["--compare-as-of", EARLIER]);
    let files = |dir: &Path| -> BTreeMap<String, Vec<u8>> {
        let mut all = BTreeMap::new();
        for sub in ["", "charts"] {
            for e in std::fs::read_dir(dir.join(sub)).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_file() {
                    let name = format!("{sub}/{}", e.file_name().to_string_lossy());
                    all.insert(name, std::fs::read(e.path()).unwrap());
                }
            }
        }
        all
    };
    let (fa, fb) = (files(&a), files(&b));
    assert!(fa.contains_key("charts/migration.svg"));
    assert_eq!(fa, fb);
}

#[test]
fn without_the_flag_there_is_no_migration() {
    let ws = cdnow();
    let out = ws.path().join("out");
    run_into(ws.path(), &out, &[]);
    let text = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(!text.contains("\"migration\""));
    assert!(!out.join("charts/migration.svg").exists());
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(!report.contains("graduated"));
}

#[test]
fn a_compare_date_not_before_the_as_of_date_is_an_error() {
    let ws = cdnow();
    for date in ["1998-06-30", "1998-07-01"] {
        let err = run_err(ws.path(), &["--compare-as-of", date]);
        assert!(
            err.contains(&format!(
                "--compare-as-of {date} must be earlier than the as-of date 1998-06-30"
            )),
            "{err}"
        );
    }
    assert!(!ws.path().join("out").exists());
}

#[test]
fn a_lapse_days_param_that_is_not_whole_days_is_a_policy_problem() {
    let ws = cdnow();
    let policy = std::fs::read_to_string(ws.path().join("powerbase.yaml")).unwrap();
    std::fs::write(
        ws.path().join("powerbase.yaml"),
        policy.replace("lapse_days: 180", "lapse_days: 0.5"),
    )
    .unwrap();
    let err = run_err(ws.path(), &["--compare-as-of", EARLIER]);
    assert!(err.contains("param `lapse_days`"), "{err}");
    assert!(err.contains("powerbase.yaml"), "{err}");
}

#[test]
fn check_renders_the_migration_block_of_a_workspace_template() {
    let ws = cdnow();
    std::fs::create_dir_all(ws.path().join("templates")).unwrap();
    std::fs::write(
        ws.path().join("templates/report.md"),
        "{% extends \"builtin/report.md\" %}\n{% block migration %}{{ migration.graduated.nope | num }}{% endblock migration %}\n",
    )
    .unwrap();
    let out = powerbase().arg("check").arg(ws.path()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("templates/report.md:2"), "{err}");
}
