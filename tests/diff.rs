//! `powerbase diff` on the real CDNOW data: two revisions of a policy in git (read without a
//! checkout), two folders, and `--set`, with the migration matrix checked against tiers worked out
//! independently from the raw rows.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use support::*;

fn policy(first_min: i64) -> String {
    format!(
        r#"client: CDNOW
currency: USD
as_of: 1998-06-30
data:
  transactions:
    path: data/transactions.csv
    columns: {{ customer_id: customer_id, date: date, amount: dollar_value, quantity: number_of_cds }}
    date_format: "%Y%m%d"
params:
  first_min: {first_min}
tiers:
  - name: First
    when: revenue >= first_min && purchase_days >= 3
  - name: Business
    when: purchase_days >= 3 || revenue >= 150
  - name: Economy
"#
    )
}

/// The tier of a customer under `policy(first_min)`, worked out here.
fn tier(revenue: i64, days: usize, first_min: i64) -> &'static str {
    if revenue >= first_min * 100 && days >= 3 {
        "First"
    } else if days >= 3 || revenue >= 15_000 {
        "Business"
    } else {
        "Economy"
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A workspace in a git repository with two commits: first_min 300, then 500.
fn repo_with_two_revisions() -> tempfile::TempDir {
    let ws = workspace(&policy(300), None, &[]);
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "."]);
    git(ws.path(), &["commit", "-q", "-m", "first_min 300"]);
    std::fs::write(ws.path().join("powerbase.yaml"), policy(500)).unwrap();
    git(ws.path(), &["commit", "-q", "-am", "first_min 500"]);
    ws
}

fn diff_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = command_ok("diff", dir, &[args, &["--format", "json"]].concat());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The matrix an independent count gives: (from, to) -> (customers, revenue in cents).
fn expected_matrix(before: i64, after: i64) -> BTreeMap<(String, String), (u64, i64)> {
    let mut m = BTreeMap::new();
    for (revenue, days) in raw_cdnow_until("99999999").into_values() {
        let cell = m
            .entry((
                tier(revenue, days, before).to_string(),
                tier(revenue, days, after).to_string(),
            ))
            .or_insert((0, 0));
        cell.0 += 1;
        cell.1 += revenue;
    }
    m
}

fn matrix_of(json: &serde_json::Value) -> BTreeMap<(String, String), (u64, i64)> {
    json["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let cents = (c["revenue"].as_f64().unwrap() * 100.0).round() as i64;
            (
                (
                    c["from"].as_str().unwrap().to_string(),
                    c["to"].as_str().unwrap().to_string(),
                ),
                (c["customers"].as_u64().unwrap(), cents),
            )
        })
        .collect()
}

#[test]
fn the_matrix_between_two_revisions_matches_an_independent_count() {
    let ws = repo_with_two_revisions();
    let status_before = git(ws.path(), &["status", "--porcelain"]);
    let json = diff_json(ws.path(), &["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(matrix_of(&json), expected_matrix(300, 500));
    assert_eq!(json["base"]["label"], "HEAD~1");
    assert_eq!(json["head"]["label"], "HEAD");
    // Every moved customer is a First -> Business or First -> Economy move, largest first.
    let moved = json["moved"].as_array().unwrap();
    let expected_moves: u64 = expected_matrix(300, 500)
        .iter()
        .filter(|((f, t), _)| f != t)
        .map(|(_, (n, _))| n)
        .sum();
    assert_eq!(moved.len() as u64, expected_moves);
    let revenues: Vec<f64> = moved
        .iter()
        .map(|m| m["revenue"].as_f64().unwrap())
        .collect();
    assert!(revenues.windows(2).all(|w| w[0] >= w[1]));
    assert!(moved
        .iter()
        .all(|m| m["from"] == "First" && m["up"] == false));
    // The policy change is named, old text and new.
    let changes = json["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["kind"], "param");
    assert_eq!(changes[0]["name"], "first_min");
    assert_eq!(changes[0]["before"], "300");
    assert_eq!(changes[0]["after"], "500");
    // Nothing in the working tree or the index changed.
    assert_eq!(git(ws.path(), &["status", "--porcelain"]), status_before);
}

#[test]
fn the_head_defaults_to_the_working_tree_and_set_stands_in_for_a_revision() {
    let ws = repo_with_two_revisions();
    // Uncommitted: first_min 400 in the working tree.
    std::fs::write(ws.path().join("powerbase.yaml"), policy(400)).unwrap();
    let json = diff_json(ws.path(), &["--base", "HEAD"]);
    assert_eq!(matrix_of(&json), expected_matrix(500, 400));
    assert_eq!(json["head"]["label"], "working tree");
    // --set against the policy as it is, without git.
    let json = diff_json(ws.path(), &["--set", "first_min=250"]);
    assert_eq!(matrix_of(&json), expected_matrix(400, 250));
}

#[test]
fn two_folders_compare_without_git() {
    let base = workspace(&policy(300), None, &[]);
    let head = workspace(&policy(600), None, &[]);
    let json = diff_json(head.path(), &["--base-dir", base.path().to_str().unwrap()]);
    assert_eq!(matrix_of(&json), expected_matrix(300, 600));
    // Tier tables before and after add up to every customer.
    for side in ["base", "head"] {
        let total: u64 = json[side]["tiers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["customers"].as_u64().unwrap())
            .sum();
        assert_eq!(total, 23_570);
    }
}

#[test]
fn a_problem_in_a_revision_is_named_with_it() {
    let ws = repo_with_two_revisions();
    let broken = policy(500).replace(
        "when: purchase_days >= 3 || revenue >= 150",
        "when: purchase_days >= 3 || revenu >= 150",
    );
    std::fs::write(ws.path().join("powerbase.yaml"), broken).unwrap();
    git(ws.path(), &["commit", "-q", "-am", "typo"]);
    std::fs::write(ws.path().join("powerbase.yaml"), policy(500)).unwrap();
    let out = powerbase()
        .arg("diff")
        .arg(ws.path())
        .args(["--base", "HEAD"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    // `revenu` is on line 15 of powerbase.yaml, column 33.
    assert!(err.contains("HEAD:powerbase.yaml:15:33"), "{err}");
    assert!(err.contains("revenu"), "{err}");
    // The source line is shown from the revision.
    assert!(err.contains("purchase_days >= 3 || revenu >= 150"), "{err}");
    // A revision that does not exist is a usage error naming it.
    let out = powerbase()
        .arg("diff")
        .arg(ws.path())
        .args(["--base", "no-such-branch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-branch"));
}

#[test]
fn out_writes_markdown_pdf_and_json_and_refuses_a_folder_it_did_not_write() {
    let ws = repo_with_two_revisions();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("diff");
    let status = powerbase()
        .arg("diff")
        .arg(ws.path())
        .args(["--base", "HEAD~1", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let md = std::fs::read_to_string(out.join("diff.md")).unwrap();
    assert!(md.contains("## Migration matrix"));
    assert!(md.contains("| param | first\\_min | 300 | 500 |"), "{md}");
    assert!(std::fs::read(out.join("diff.pdf"))
        .unwrap()
        .starts_with(b"%PDF"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("diff.json")).unwrap()).unwrap();
    assert_eq!(matrix_of(&json), expected_matrix(300, 500));
    // Byte-identical when run again.
    let again = out_dir.path().join("again");
    powerbase()
        .arg("diff")
        .arg(ws.path())
        .args(["--base", "HEAD~1", "--out"])
        .arg(&again)
        .output()
        .unwrap();
    for f in ["diff.md", "diff.pdf", "diff.json", "charts/migration.svg"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f}"
        );
    }
    // A folder holding someone else's file is left alone.
    let theirs = out_dir.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(theirs.join("notes.txt"), "keep me").unwrap();
    let status = powerbase()
        .arg("diff")
        .arg(ws.path())
        .args(["--base", "HEAD~1", "--out"])
        .arg(&theirs)
        .output()
        .unwrap();
    assert!(!status.status.success());
    assert_eq!(
        std::fs::read_to_string(theirs.join("notes.txt")).unwrap(),
        "keep me"
    );
    assert!(!theirs.join("diff.md").exists());
}

#[test]
fn data_from_base_reads_the_committed_data() {
    let ws = repo_with_two_revisions();
    // The working tree's data now holds only the header and one row: the head's data would give
    // one customer, the base's all of them.
    let text = std::fs::read_to_string(ws.path().join("data/transactions.csv")).unwrap();
    let short: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(ws.path().join("data/transactions.csv"), short).unwrap();
    let json = diff_json(ws.path(), &["--base", "HEAD~1", "--data-from", "base"]);
    assert_eq!(json["customers"], 23_570);
    assert_eq!(json["data_from"], "base");
    let json = diff_json(ws.path(), &["--base", "HEAD~1"]);
    assert_eq!(json["customers"], 1);
    // The working tree was not touched.
    assert_eq!(
        std::fs::read_to_string(ws.path().join("data/transactions.csv"))
            .unwrap()
            .lines()
            .count(),
        2
    );
}
