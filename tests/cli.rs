//! The command line on small workspaces: errors that name file and line, check, init, refunds,
//! attributes, Excel, the sandbox and the all-or-nothing output folder.

mod support;

use support::*;

const POLICY: &str = r#"client: Test
currency: EUR
as_of: 2024-12-31
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: id, date: day, amount: amount, cost: cost }
params:
  big: 100
report:
  prepared_by: Test team
tiers:
  - name: Top
    when: revenue >= big
  - name: Rest
"#;

const CSV: &str = "id,day,amount,cost\n\
a,2024-01-05,80.00,40.00\n\
a,2024-02-01,-30.00,0\n\
a,2024-03-01,60.50,30.25\n\
b,2024-03-01,10,5\n\
b,2025-01-02,999.99,1\n\
c,2024-06-30,0,0\n";

#[test]
fn refunds_lower_revenue_and_later_rows_are_left_out() {
    let ws = workspace(POLICY, Some(CSV), &[]);
    run_ok(ws.path(), &["--quiet"]);
    let rows = customers(ws.path());
    let a = &rows[0];
    assert_eq!(a["customer_id"], "a");
    assert_eq!(a["revenue"], "110.50", "80 - 30 + 60.50");
    assert_eq!(a["orders"], "2", "the refund is not an order");
    assert_eq!(a["purchase_days"], "2");
    assert_eq!(
        a["last_purchase"], "2024-03-01",
        "the refund does not move the last purchase"
    );
    assert_eq!(a["margin"], "40.25");
    assert_eq!(a["tier"], "Top");
    let b = &rows[1];
    assert_eq!(b["revenue"], "10.00", "the 2025 row is after as_of");
    assert_eq!(b["tier"], "Rest");
    let c = &rows[2];
    assert_eq!(c["orders"], "1", "a zero amount is an order");
    assert_eq!(c["margin_pct"], "");
    let s = summary(ws.path());
    assert_eq!(s["transactions"]["excluded_after_as_of"], 1);
    assert_eq!(s["transactions"]["refunds"], 1);
    assert_eq!(s["transactions"]["zero_amount"], 1);
    assert_eq!(s["customers_net_nonpositive"], 1);
    assert_eq!(s["total_revenue"].to_string(), "120.50");
    let report = std::fs::read_to_string(ws.path().join("out/report.md")).unwrap();
    assert!(report.contains("€120"), "money in the workspace currency");
}

#[test]
fn a_bad_amount_names_file_line_and_column_and_keeps_old_outputs() {
    let ws = workspace(POLICY, Some(CSV), &[]);
    run_ok(ws.path(), &["--quiet"]);
    let before = std::fs::read(ws.path().join("out/customers.csv")).unwrap();
    std::fs::write(
        ws.path().join("data/transactions.csv"),
        format!("{CSV}d,2024-07-01,12;50,1\n"),
    )
    .unwrap();
    let err = run_err(ws.path(), &["--quiet"]);
    assert!(err.contains("transactions.csv"), "{err}");
    assert!(err.contains("line 8"), "{err}");
    assert!(err.contains("amount"), "{err}");
    assert!(err.contains("12;50"), "{err}");
    assert_eq!(
        std::fs::read(ws.path().join("out/customers.csv")).unwrap(),
        before,
        "the failed run left the outputs alone"
    );
    let names: Vec<_> = std::fs::read_dir(ws.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "no staging folder left: {names:?}");
}

#[test]
fn a_bad_date_is_an_error_too() {
    let ws = workspace(POLICY, Some("id,day,amount,cost\na,2024-02-30,1,0\n"), &[]);
    let err = run_err(ws.path(), &[]);
    assert!(
        err.contains("line 2") && err.contains("day") && err.contains("2024-02-30"),
        "{err}"
    );
}

#[test]
fn check_lists_every_problem_with_file_and_line() {
    let policy = r#"client: Bad
as_of: 2024-12-31
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: id, date: day, amount: amount }
params:
  min: 10
metrics:
  a: b + 1
  b: a * 2
  c: revenu * 2
tiers:
  - name: Top
    when: revenue >= percentile("revnue", 0.9)
  - name: Rest
    when: true
"#;
    let rule = "params:\n  min: 3\nchecks:\n  - name: x\n    when: orders >= (\n    message: hi\n";
    let ws = workspace(
        policy,
        Some(CSV),
        &[
            ("rules/extra.yaml", rule),
            ("scripts/bad.rhai", "fn broken( {\n"),
        ],
    );
    let out = powerbase().arg("check").arg(ws.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "param `min` is defined twice",
        "rules/extra.yaml:2:8",
        "scripts/bad.rhai:1",
        "metric `c`: Undefined variable: revenu",
        "powerbase.yaml:12:6",
        "did you mean `revenue`?",
        "percentile(\"revnue\") names no metric",
        "check `x`",
        "rules/extra.yaml:5",
        "cycle: `a` -> `b` -> `a`",
        "the last tier `Rest` has a `when`",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}

#[test]
fn check_reports_a_yaml_structure_error_with_its_line() {
    let policy = POLICY.replace("  - name: Rest\n", "  - name: Rest\n    whn: x\n");
    let ws = workspace(
        &policy,
        Some(CSV),
        &[("rules/other.yaml", "checks: [ {name: x}\n")],
    );
    let out = powerbase().arg("check").arg(ws.path()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("unknown field `whn`") && err.contains("powerbase.yaml:16"),
        "{err}"
    );
    assert!(
        err.contains("rules/other.yaml"),
        "each file's first YAML error: {err}"
    );
}

#[test]
fn check_opens_the_data_to_find_a_wrong_column() {
    let policy = POLICY.replace("amount: amount,", "amount: amout,");
    let ws = workspace(&policy, Some(CSV), &[]);
    let out = powerbase().arg("check").arg(ws.path()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("\"amout\"") && err.contains("did you mean \"amount\""),
        "{err}"
    );
}

#[test]
fn check_passes_on_the_example() {
    powerbase()
        .arg("check")
        .arg(repo().join("examples/cdnow"))
        .assert()
        .success();
}

#[test]
fn a_runaway_script_is_stopped_with_a_clear_error() {
    let policy = POLICY.replace(
        "  - name: Rest\n",
        "  - name: Rest\nmetrics:\n  spin: forever()\n",
    );
    let ws = workspace(
        &policy,
        Some(CSV),
        &[("scripts/spin.rhai", "fn forever() { loop { } }\n")],
    );
    let err = run_err(ws.path(), &[]);
    assert!(
        err.contains("metric `spin`") && err.contains("too many operations"),
        "{err}"
    );
}

#[test]
fn scripts_cannot_reach_files_or_eval() {
    let policy = POLICY.replace(
        "  - name: Rest\n",
        "  - name: Rest\nmetrics:\n  x: peek()\n",
    );
    let ws = workspace(
        &policy,
        Some(CSV),
        &[(
            "scripts/peek.rhai",
            "fn peek() { import \"secrets\" as s; 1 }\n",
        )],
    );
    let err = run_err(ws.path(), &[]);
    assert!(
        err.contains("metric `x`") && err.contains("secrets"),
        "{err}"
    );
    let policy = POLICY.replace(
        "  - name: Rest\n",
        "  - name: Rest\nmetrics:\n  x: eval(\"1\")\n",
    );
    let ws = workspace(&policy, Some(CSV), &[]);
    let out = powerbase().arg("check").arg(ws.path()).output().unwrap();
    assert!(!out.status.success(), "eval is disabled");
}

#[test]
fn attributes_join_by_customer_and_work_in_rules() {
    let policy = POLICY
        .replace("    columns: { customer_id: id, date: day, amount: amount, cost: cost }\n", "    columns: { customer_id: id, date: day, amount: amount, cost: cost }\n  customers:\n    path: data/customers.csv\n    columns: { customer_id: Customer, region: \"Sales Region\" }\n")
        .replace("    when: revenue >= big\n", "    when: revenue >= big || region == \"North\"\n");
    let attrs = "Customer,Sales Region,Employees\na,South,12\nb,North,3\nz,East,7\n";
    let ws = workspace(&policy, Some(CSV), &[("data/customers.csv", attrs)]);
    run_ok(ws.path(), &["--quiet"]);
    let rows = customers(ws.path());
    assert_eq!(rows[1]["region"], "North");
    assert_eq!(rows[1]["employees"], "3");
    assert_eq!(rows[1]["tier"], "Top", "b is in the North");
    assert_eq!(rows[2]["region"], "", "c has no attribute row");
    let report = std::fs::read_to_string(ws.path().join("out/report.md")).unwrap();
    assert!(
        report.contains("Master rows without transactions | 1"),
        "z is counted, not dropped"
    );
}

#[test]
fn excel_transactions_give_the_same_result_as_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let xlsx = tmp.path().join("t.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Sales").unwrap();
    for (r, line) in CSV.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            match cell.parse::<f64>() {
                Ok(v) if r > 0 && c >= 2 => sheet.write_number(r as u32, c as u16, v).unwrap(),
                _ => sheet.write_string(r as u32, c as u16, cell).unwrap(),
            };
        }
    }
    book.save(&xlsx).unwrap();
    let policy = POLICY.replace(
        "path: data/transactions.csv",
        "path: data/t.xlsx\n    sheet: Sales",
    );
    let ws = workspace(&policy, Some(""), &[]);
    std::fs::copy(&xlsx, ws.path().join("data/t.xlsx")).unwrap();
    run_ok(ws.path(), &["--quiet"]);
    let from_excel = std::fs::read(ws.path().join("out/customers.csv")).unwrap();
    let csv_ws = workspace(POLICY, Some(CSV), &[]);
    run_ok(csv_ws.path(), &["--quiet"]);
    assert_eq!(
        from_excel,
        std::fs::read(csv_ws.path().join("out/customers.csv")).unwrap()
    );
}

#[test]
fn init_makes_a_workspace_that_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("client");
    powerbase().arg("init").arg(&dir).assert().success();
    powerbase().arg("check").arg(&dir).assert().success();
    // The two example policy tests pass on a fresh workspace.
    let tests = powerbase().arg("test").arg(&dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&tests.stdout);
    assert!(tests.status.success(), "{stdout}");
    assert!(stdout.starts_with("running 2 tests\n"), "{stdout}");
    assert!(
        stdout.contains("test result: ok. 2 passed; 0 failed"),
        "{stdout}"
    );
    run_ok(&dir, &["--quiet"]);
    assert!(dir.join("out/report.pdf").exists());
    let header = std::fs::read_to_string(dir.join("out/customers.csv")).unwrap();
    assert!(header
        .lines()
        .next()
        .unwrap()
        .ends_with("spend_per_visit,yearly_value,check_lapsed_big_spenders"));
    let again = powerbase().arg("init").arg(&dir).output().unwrap();
    assert!(!again.status.success(), "init refuses a non-empty folder");
}

#[test]
fn a_workspace_template_can_extend_the_builtin_one() {
    let template = "{% extends \"builtin/report.md\" %}\n{% block next %}## Our own advice\n\nCall {{ tiers[0].name }} customers first.\n{% endblock next %}\n";
    let ws = workspace(POLICY, Some(CSV), &[("templates/report.md", template)]);
    run_ok(ws.path(), &["--quiet"]);
    let report = std::fs::read_to_string(ws.path().join("out/report.md")).unwrap();
    assert!(report.contains("## Our own advice") && report.contains("Call Top customers first."));
    assert!(
        report.contains("## Data quality"),
        "the rest of the built-in report stays"
    );
    assert!(!report.contains("## What to do with each tier"));
}

#[test]
fn customer_ids_cannot_break_the_markdown() {
    let csv = "id,day,amount,cost\nx|y*z_[1],2024-01-05,500.00,1\n";
    let ws = workspace(POLICY, Some(csv), &[]);
    run_ok(ws.path(), &["--quiet"]);
    let report = std::fs::read_to_string(ws.path().join("out/report.md")).unwrap();
    assert!(report.contains(r"x\|y\*z\_\[1\]"), "{report}");
}

#[test]
fn help_speaks_to_a_consultant() {
    let out = powerbase().arg("run").arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--as-of") && help.contains("output folder"),
        "{help}"
    );
}

#[test]
fn without_as_of_the_latest_transaction_date_is_used() {
    let policy = POLICY.replace("as_of: 2024-12-31\n", "");
    let ws = workspace(&policy, Some(CSV), &[]);
    run_ok(ws.path(), &["--quiet"]);
    let s = summary(ws.path());
    assert_eq!(s["as_of"], "2025-01-02");
    assert_eq!(s["transactions"]["excluded_after_as_of"], 0);
    let rows = customers(ws.path());
    assert_eq!(rows[1]["revenue"], "1009.99", "b's 2025 row now counts");
}
