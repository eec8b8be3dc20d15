//! Bad rows end to end on damaged real CDNOW data: a copy of examples/cdnow with a known set of
//! rows broken (a bad date, a bad amount, an extra field, an empty customer id, a bad quantity).
//! By default the run fails listing every one and writes nothing; quarantined, it goes on
//! without them, lists exactly them in rejects.csv and reconciles the counts and amounts, all
//! checked against figures worked out here from the raw rows.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use support::*;

/// One broken row: its physical line (the header is line 1), the original text and the text
/// written instead.
struct Broken {
    line: usize,
    original: String,
    damaged: String,
    /// Whether the damaged row's amount cell still holds the original amount.
    amount_readable: bool,
}

/// The raw amount cell as cents, parsed here independently of powerbase.
fn cents(cell: &str) -> i64 {
    let (whole, frac) = cell.split_once('.').unwrap();
    whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap()
}

/// 30 rows broken, spread over the file, five kinds in turn.
fn damage(lines: &mut [String]) -> Vec<Broken> {
    let mut broken = Vec::new();
    for k in 0..30usize {
        let line = 100 + k * 2300; // physical line numbers, all within the 69,660 lines
        let original = lines[line - 1].clone();
        let f: Vec<&str> = original.split(',').collect();
        let (damaged, amount_readable) = match k % 5 {
            0 => (format!("{},1997-01-01,{},{}", f[0], f[2], f[3]), true), // not %Y%m%d
            1 => (format!("{},{},{},{}x", f[0], f[1], f[2], f[3]), false), // bad amount
            2 => (format!("{original},extra"), false),                     // five fields
            3 => (format!(",{},{},{}", f[1], f[2], f[3]), true),           // empty id
            _ => (format!("{},{},two,{}", f[0], f[1], f[3]), true),        // bad quantity
        };
        lines[line - 1] = damaged.clone();
        broken.push(Broken {
            line,
            original,
            damaged,
            amount_readable,
        });
    }
    broken
}

/// A folder holding a copy of examples/cdnow in `ws/` (outputs go beside it, outside the
/// workspace).
fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/cdnow"), &dir.path().join("ws"));
    dir
}

/// The workspace of [`example_copy`].
fn ws(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("ws")
}

/// A copy of examples/cdnow with its transactions damaged.
fn damaged_workspace() -> (tempfile::TempDir, Vec<Broken>) {
    let dir = example_copy();
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let broken = damage(&mut lines);
    let mut out = lines.join("\n");
    out.push('\n');
    std::fs::write(ws(&dir).join("data/transactions.csv"), out).unwrap();
    (dir, broken)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn run(ws: &Path, out: &Path, args: &[&str]) -> std::process::Output {
    powerbase()
        .arg("run")
        .arg(ws)
        .arg("--out")
        .arg(out)
        .arg("--no-provenance")
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn by_default_the_run_fails_listing_every_bad_row_and_writes_nothing() {
    let (dir, broken) = damaged_workspace();
    let out = dir.path().join("report-out");
    let result = run(&ws(&dir), &out, &[]);
    assert_eq!(result.status.code(), Some(1));
    let err = stderr(&result);
    assert!(err.contains("error[data/bad-rows]"), "{err}");
    assert!(
        err.contains("data/transactions.csv: 30 rows cannot be read:"),
        "{err}"
    );
    // The first 20 by line, each with line, column and value; then a count of the rest.
    for b in &broken[..20] {
        assert!(
            err.contains(&format!("  line {}", b.line)),
            "{}\n{err}",
            b.line
        );
    }
    for b in &broken[20..] {
        assert!(!err.contains(&format!("  line {}:", b.line)), "{err}");
        assert!(!err.contains(&format!("  line {},", b.line)), "{err}");
    }
    assert!(err.contains("... and 10 more"), "{err}");
    assert!(err.contains(&format!("line {}, column \"date\"", broken[0].line)));
    assert!(err.contains(&format!("line {}, column \"dollar_value\"", broken[1].line)));
    assert!(err.contains(&format!("line {}: expected 4 fields", broken[2].line)));
    assert!(err.contains(&format!("line {}, column \"customer_id\"", broken[3].line)));
    assert!(err.contains(&format!(
        "line {}, column \"number_of_cds\"",
        broken[4].line
    )));
    assert!(err.contains("--on-bad-rows quarantine"), "{err}");
    assert!(err.contains("on_bad_rows: quarantine"), "{err}");
    assert!(!out.exists(), "a failed run writes nothing");
}

#[test]
fn one_bad_row_keeps_its_own_code() {
    let dir = example_copy();
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    let text = text.replacen(
        "\n00002,19970112,1,12.00\n",
        "\n00002,19970112,1,12.0x\n",
        1,
    );
    std::fs::write(ws(&dir).join("data/transactions.csv"), text).unwrap();
    let result = run(&ws(&dir), &dir.path().join("o"), &[]);
    let err = stderr(&result);
    assert!(err.contains("error[data/bad-cell]"), "{err}");
    assert!(err.contains("line 3, column \"dollar_value\""), "{err}");
    assert!(err.contains("--on-bad-rows quarantine"), "{err}");
}

/// Per customer, the revenue in cents of the raw rows, leaving out the lines `skip`.
fn revenue_without(skip: &[usize]) -> BTreeMap<String, i64> {
    let text = std::fs::read_to_string(cdnow_csv()).unwrap();
    let mut by = BTreeMap::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if skip.contains(&(i + 1)) {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        *by.entry(f[0].to_string()).or_insert(0) += cents(f[3]);
    }
    by
}

#[test]
fn quarantined_rows_are_listed_and_the_figures_reconcile() {
    let (dir, broken) = damaged_workspace();
    let out = dir.path().join("q");
    let result = run(&ws(&dir), &out, &["--on-bad-rows", "quarantine"]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert_eq!(stderr(&result), "");

    // rejects.csv holds exactly the damaged lines, in order, with their text as read.
    let rejects = read_csv(&out.join("rejects.csv"));
    let lines: Vec<usize> = rejects.iter().map(|r| r["line"].parse().unwrap()).collect();
    let expected: Vec<usize> = broken.iter().map(|b| b.line).collect();
    assert_eq!(lines, expected);
    for (r, b) in rejects.iter().zip(&broken) {
        assert_eq!(r["record"], b.damaged);
        assert_eq!(r["file"], "data/transactions.csv");
        assert!(!r["problem"].is_empty());
    }
    let columns: Vec<&str> = rejects
        .iter()
        .take(5)
        .map(|r| r["column"].as_str())
        .collect();
    assert_eq!(
        columns,
        ["date", "dollar_value", "", "customer_id", "number_of_cds"]
    );

    // summary.json: the identity, and the amount of the rows whose amount could be read.
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let t = &s["transactions"];
    let raw_rows = std::fs::read_to_string(cdnow_csv())
        .unwrap()
        .lines()
        .count() as u64
        - 1;
    assert_eq!(t["read"], raw_rows);
    assert_eq!(t["rejected"], 30);
    assert_eq!(
        t["read"].as_u64().unwrap(),
        t["used"].as_u64().unwrap()
            + t["excluded_after_as_of"].as_u64().unwrap()
            + t["rejected"].as_u64().unwrap()
    );
    let amount: i64 = broken
        .iter()
        .filter(|b| b.amount_readable)
        .map(|b| cents(b.original.split(',').nth(3).unwrap()))
        .sum();
    let reported = (t["rejected_amount"].as_f64().unwrap() * 100.0).round() as i64;
    assert_eq!(reported, amount);

    // Per customer: the raw rows minus the rejected ones.
    let skip: Vec<usize> = broken.iter().map(|b| b.line).collect();
    let expected = revenue_without(&skip);
    let rows = read_csv(&out.join("customers.csv"));
    let got: BTreeMap<String, i64> = rows
        .iter()
        .map(|r| {
            (
                r["customer_id"].clone(),
                cents(&r["revenue"].replace('-', ""))
                    * if r["revenue"].starts_with('-') { -1 } else { 1 },
            )
        })
        .collect();
    assert_eq!(got, expected);

    // The report says it with the figures.
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("**Rows set aside.** 30 rows (0.04%) could not be read and were set aside"),
        "{report}"
    );
    // Six of each kind: ties in column order, the whole row first.
    assert!(
        report.contains(
            "they are listed in rejects.csv: 6 with the wrong number of fields, 6 with an empty \
             customer id in \"customer\\_id\", 6 with a bad date in \"date\", 6 with a bad amount \
             in \"dollar\\_value\", 6 with a bad whole number in \"number\\_of\\_cds\"."
        ),
        "{report}"
    );
}

#[test]
fn the_policy_key_and_a_clean_file_write_a_header_only_rejects_csv() {
    let dir = example_copy();
    let yaml = std::fs::read_to_string(ws(&dir).join("powerbase.yaml")).unwrap();
    let yaml = yaml.replace(
        "    date_format: \"%Y%m%d\"\n",
        "    date_format: \"%Y%m%d\"\n    on_bad_rows: quarantine\n    max_rejected: \"0.5%\"\n",
    );
    std::fs::write(ws(&dir).join("powerbase.yaml"), yaml).unwrap();
    let out = dir.path().join("o");
    let result = run(&ws(&dir), &out, &[]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert_eq!(
        std::fs::read_to_string(out.join("rejects.csv")).unwrap(),
        "file,line,column,problem,record\n"
    );
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["transactions"]["rejected"], 0);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(!report.contains("set aside"));
    // Without quarantine there is no rejects.csv.
    let plain = example_copy();
    let out = plain.path().join("o");
    assert!(run(&ws(&plain), &out, &[]).status.success());
    assert!(!out.join("rejects.csv").exists());
}

#[test]
fn beyond_max_rejected_the_run_fails_anyway() {
    let (dir, _) = damaged_workspace();
    let out = dir.path().join("q");
    // 30 of 69,659 rows is 0.043%: more than 0.01%.
    let result = run(
        &ws(&dir),
        &out,
        &["--on-bad-rows", "quarantine", "--max-rejected", "0.01%"],
    );
    assert_eq!(result.status.code(), Some(1));
    let err = stderr(&result);
    assert!(err.contains("error[data/too-many-rejected]"), "{err}");
    assert!(err.contains("30 of the 69659 rows read (0.04%)"), "{err}");
    assert!(err.contains("systematic problem"), "{err}");
    assert!(
        err.contains("column \"dollar_value\": a bad amount in 6 rows"),
        "{err}"
    );
    assert!(!out.exists());
    // A share out of range is refused by the command line.
    let bad = run(&ws(&dir), &out, &["--max-rejected", "150%"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn check_data_lists_every_bad_row_and_writes_nothing() {
    let (dir, broken) = damaged_workspace();
    let ws = ws(&dir);
    let before: Vec<PathBuf> = walk(dir.path());
    let result = powerbase()
        .args(["check", "--data"])
        .arg(&ws)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1));
    let err = stderr(&result);
    assert!(err.contains("30 rows cannot be read"), "{err}");
    assert!(err.contains(&format!("line {}", broken[0].line)), "{err}");
    // As JSON, on standard output.
    let json = powerbase()
        .args(["check", "--data", "--format", "json"])
        .arg(&ws)
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let d: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(d[0]["code"], "data/bad-rows");
    // Quarantined within max_rejected: a warning, exit 0.
    let lenient = powerbase()
        .args([
            "check",
            "--data",
            "--on-bad-rows",
            "quarantine",
            "--format",
            "json",
        ])
        .arg(&ws)
        .output()
        .unwrap();
    assert_eq!(lenient.status.code(), Some(0));
    let d: serde_json::Value = serde_json::from_slice(&lenient.stdout).unwrap();
    assert_eq!(d[0]["code"], "data/rows-set-aside");
    assert_eq!(d[0]["severity"], "warning");
    // Plain check does not read the rows.
    assert!(powerbase()
        .arg("check")
        .arg(&ws)
        .output()
        .unwrap()
        .status
        .success());
    assert_eq!(walk(dir.path()), before, "check writes nothing");
}

/// Every file below `dir`, sorted.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn quarantine_runs_are_byte_identical_whatever_the_threads() {
    let (dir, _) = damaged_workspace();
    let mut outputs = Vec::new();
    for threads in [None, Some("1"), None] {
        let out = dir.path().join(format!("o{}", outputs.len()));
        let mut cmd = powerbase();
        cmd.arg("run").arg(ws(&dir)).arg("--out").arg(&out).args([
            "--no-provenance",
            "--quiet",
            "--on-bad-rows",
            "quarantine",
        ]);
        if let Some(n) = threads {
            cmd.env("RAYON_NUM_THREADS", n);
        }
        assert!(cmd.output().unwrap().status.success());
        let files: BTreeMap<PathBuf, Vec<u8>> = walk(&out)
            .into_iter()
            .map(|p| {
                (
                    p.strip_prefix(&out).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        outputs.push(files);
    }
    assert!(outputs[0].contains_key(Path::new("rejects.csv")));
    assert_eq!(outputs[0], outputs[1], "RAYON_NUM_THREADS=1 vs default");
    assert_eq!(outputs[0], outputs[2], "two runs");
}
