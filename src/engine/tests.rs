//! The engine on small workspaces written to temporary folders: plugin errors and clashes,
//! type-mismatched comparisons, early stops, the time budget and captured output.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::*;
use crate::data::Day;
use crate::metrics::Column;

const POLICY: &str = "client: Test
currency: EUR
as_of: 2024-12-31
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: id, date: day, amount: amount }
tiers:
  - name: Top
    when: revenue >= 100
  - name: Rest
";

/// A workspace in a temporary folder: the policy above with `extra` appended, plus files.
pub(crate) fn workspace(extra: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, Workspace) {
    workspace_with(&format!("{POLICY}{extra}"), files)
}

/// A workspace in a temporary folder with this policy and these files.
fn workspace_with(policy: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("powerbase.yaml"), policy).unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let ws = crate::workspace::load(dir.path()).unwrap();
    (dir, ws)
}

/// Customers c0000, c0001, ... with `revenue` = i (in units) and a text attribute `segment`
/// that is "7" for odd customers and empty for even ones.
fn table(n: usize) -> CustomerTable {
    let mut t = CustomerTable {
        as_of: Day(0),
        ids: (0..n).map(|i| format!("c{i:04}")).collect(),
        columns: Vec::new(),
    };
    t.push(
        "revenue",
        ColumnOrigin::Builtin,
        Column::Money((0..n as i64).map(|i| i * 100).collect()),
    );
    t.push(
        "segment",
        ColumnOrigin::Attribute,
        Column::Text(
            (0..n)
                .map(|i| (i % 2 == 1).then(|| "7".to_string()))
                .collect(),
        ),
    );
    t
}

fn program(extra: &str, files: &[(&str, &str)]) -> Program {
    let (_dir, ws) = workspace(extra, files);
    compile(&ws, &["segment".to_string()]).unwrap_or_else(|p| panic!("{p:#?}"))
}

fn problems(extra: &str, files: &[(&str, &str)]) -> String {
    let (_dir, ws) = workspace(extra, files);
    match compile(&ws, &["segment".to_string()]) {
        Ok(_) => panic!("should not compile"),
        Err(p) => p.iter().map(|d| format!("{d}\n")).collect(),
    }
}

fn evaluate(p: &Program, n: usize) -> Result<Evaluation, Error> {
    p.evaluate(&table(n))
}

fn error(p: &Program, n: usize) -> String {
    match evaluate(p, n) {
        Ok(_) => panic!("the evaluation should fail"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_plugin_error_names_the_file_and_line_of_the_function_that_failed() {
    let aaa = "// helpers\n\nfn boom(x) {\n    let y = x;\n\n    // line 6\n    throw `no value for ${y}`;\n}\n";
    let value = "fn value(r) {\n    boom(r)\n}\n";
    let p = program(
        "metrics:\n  v: value(revenue)\n",
        &[("scripts/aaa.rhai", aaa), ("scripts/value.rhai", value)],
    );
    let e = error(&p, 3);
    assert!(
        e.contains("in function `value` (scripts/value.rhai:2): in function `boom` (scripts/aaa.rhai:7): no value for 0"),
        "{e}"
    );
    assert!(
        e.contains("customer c0000") && e.contains("powerbase.yaml:13:6"),
        "{e}"
    );
}

#[test]
fn a_plugin_function_may_not_replace_a_builtin_or_another_plugin() {
    let stats = "// statistics\n\nfn percentile(name, q) { 1.0 }\nfn abs(x) { x }\nfn abs(x, y) { x }\nprivate fn median(name) { 2 }\nfn share(a, b) { a / b }\n";
    let other = "\nfn share(x, y) { x }\n";
    let e = problems(
        "",
        &[("scripts/stats.rhai", stats), ("scripts/z.rhai", other)],
    );
    assert!(
        e.contains(
            "plugin function `percentile` with 2 arguments has the name of a built-in function"
        ) && e.contains("scripts/stats.rhai:3:4"),
        "{e}"
    );
    assert!(
        e.contains("`abs` with 1 argument") && e.contains("scripts/stats.rhai:4:4"),
        "{e}"
    );
    assert!(
        !e.contains("`abs` with 2"),
        "abs(x, y) replaces nothing: {e}"
    );
    assert!(
        !e.contains("median"),
        "a private function is only seen in its script: {e}"
    );
    assert!(
        e.contains("plugin function `share` with 2 arguments is defined twice; the other one is at scripts/stats.rhai:7:4")
            && e.contains("scripts/z.rhai:2:4"),
        "{e}"
    );
    assert_eq!(
        check_scripts(&[SourceFile {
            name: "scripts/stats.rhai".into(),
            text: stats.into()
        }])
        .len(),
        2
    );
}

#[test]
fn a_quoted_number_param_in_a_comparison_is_a_compile_error() {
    let e = problems(
        "params:\n  lapse_days: '180'\n  vip: yes\nchecks:\n  - name: lapsed\n    when: revenue > lapse_days\n    message: x\n  - name: vips\n    when: revenue == vip\n    message: y\n",
        &[],
    );
    assert!(
        e.contains("check `lapsed`: `revenue > lapse_days` compares a number with param `lapse_days`, the text \"180\"")
            && e.contains("powerbase.yaml:17:19")
            && e.contains("write `lapse_days: 180` without quotes"),
        "{e}"
    );
    assert!(
        e.contains(
            "check `vips`: `revenue == vip` compares a number with param `vip`, the flag true"
        ) && e.contains("YAML reads yes, no, true and false as flags"),
        "{e}"
    );
}

#[test]
fn comparing_a_number_with_a_text_fails_at_run_naming_the_customer() {
    let p = program(
        "checks:\n  - name: seven\n    when: segment > 5\n    message: x\n",
        &[],
    );
    let e = error(&p, 4);
    assert!(
        e.contains("check `seven` failed for customer c0001: `>` compares the text \"7\" with the number 5"),
        "the first customer with a segment (c0000's is empty, which compares false): {e}"
    );
    assert!(
        e.contains("help: if the text holds numbers, convert it first"),
        "{e}"
    );
    // Derived metrics have no known type before the run.
    for (value, compare) in [
        ("'\"3\"'", "revenue < x"),
        ("true", "revenue != x"),
        ("\"'x'\"", "1.5 >= x"),
        ("revenue", "x == segment"),
    ] {
        let p = program(&format!("metrics:\n  x: {value}\n  m: {compare}\n"), &[]);
        let e = error(&p, 4);
        assert!(
            e.contains("a number compares only with a number"),
            "{compare}: {e}"
        );
    }
    let p = program(
        "metrics:\n  same: segment == \"7\" || revenue >= 2 || segment > ()\n",
        &[],
    );
    assert!(
        evaluate(&p, 4).is_ok(),
        "like with like, and () with anything"
    );
}

#[test]
fn the_first_failure_in_table_order_is_reported() {
    // Customers 37, 74, ... fail; whichever thread meets one first, c0037 is named.
    let p = program(
        "metrics:\n  m: if revenue % 37 == 36 { throw \"odd one\" } else { revenue }\n",
        &[],
    );
    for _ in 0..5 {
        assert!(error(&p, 5000).contains("customer c0036"), "deterministic");
    }
}

#[test]
fn one_failure_stops_the_other_customers() {
    let stop = Stop::default();
    let ids: Vec<String> = (0..20_000).map(|i| i.to_string()).collect();
    let calls = AtomicUsize::new(0);
    let pass = rows::Pass {
        what: "metric",
        rule: None,
    };
    let result = rows::each(
        &stop,
        &Limits::default(),
        &ids,
        &pass,
        |_, i| -> Result<(), Fault<'_>> {
            calls.fetch_add(1, Ordering::Relaxed);
            Err(Fault::Failed(Error::Usage(format!("failed at {i}"))))
        },
    );
    assert_eq!(result.unwrap_err().to_string(), "failed at 0");
    let calls = calls.into_inner();
    assert!(
        calls < 1_000,
        "{calls} customers evaluated; without the stop flag all 20,000 are"
    );
}

#[test]
fn the_time_budget_stops_the_rules_naming_rule_and_customer() {
    let mut p = program(
        "metrics:\n  slow: |\n    { let x = 0; for i in 0..100000 { x += i; } x }\n",
        &[],
    );
    p.set_limits(Limits {
        timeout: Duration::from_millis(1),
    });
    let e = error(&p, 500);
    assert!(
        e.starts_with(
            "rules took longer than the 0.001 s budget (--rule-timeout); stopped at metric `slow` for customer c0"
        ),
        "{e}"
    );
    assert!(e.contains("--> powerbase.yaml:14:5"), "{e}");
    p.set_limits(Limits::default());
    let p2 = program("metrics:\n  fast: revenue + 1\n", &[]);
    assert!(evaluate(&p2, 500).is_ok());
}

#[test]
fn printed_lines_are_capped_with_a_note() {
    let p = program(
        "metrics:\n  noisy: |\n    { print(\"a\"); debug(\"b\"); print(\"c\"); revenue }\n",
        &[],
    );
    let printed = evaluate(&p, 100).unwrap().printed;
    assert_eq!(printed.len(), sandbox::MAX_OUTPUT_LINES + 1);
    assert_eq!(
        printed.last().unwrap(),
        "... and 100 more lines not kept (scripts printed 300 lines; the first 200 are shown)"
    );
    let again = evaluate(&p, 10).unwrap().printed;
    assert_eq!(again.len(), 30, "a new evaluation starts a new record");
}

#[test]
fn population_figures_belong_to_one_evaluation() {
    let p = program(
        "metrics:\n  top: revenue >= percentile(\"revenue\", 0.5)\n",
        &[],
    );
    p.evaluate(&table(3)).unwrap();
    let big = p.evaluate(&table(101)).unwrap();
    match &big.derived[0].column {
        Column::Bool(v) => assert_eq!(
            v.iter().filter(|&&b| b == 1).count(),
            51,
            "the median of 0..=100 is 50, not the median of the first table"
        ),
        other => panic!("{other:?}"),
    }
}

/// The policy above with three tiers placed by population figures, and `extra` appended.
fn ranked_policy(extra: &str) -> String {
    let tiers = "tiers:\n  - name: First\n    when: revenue >= percentile(\"revenue\", 0.75)\n  - name: Business\n    when: revenue >= median(\"revenue\")\n  - name: Rest\n";
    let head = &POLICY[..POLICY.find("tiers:").unwrap()];
    format!("{head}{tiers}{extra}")
}

fn ranked_program(extra: &str) -> Program {
    let (_dir, ws) = workspace_with(&ranked_policy(extra), &[]);
    compile(&ws, &["segment".to_string()]).unwrap_or_else(|p| panic!("{p:#?}"))
}

/// Customers c0000, c0001, ... with these revenues (in units) and no attribute.
fn revenues(units: &[i64]) -> CustomerTable {
    let mut t = CustomerTable {
        as_of: Day(0),
        ids: (0..units.len()).map(|i| format!("c{i:04}")).collect(),
        columns: Vec::new(),
    };
    t.push(
        "revenue",
        ColumnOrigin::Builtin,
        Column::Money(units.iter().map(|u| u * 100).collect()),
    );
    t
}

#[test]
fn one_program_on_a_second_table_gives_what_a_fresh_program_gives() {
    let extra = "metrics:\n  above_median: revenue > median(\"revenue\")\n";
    let small = revenues(&[100, 200, 300, 400]);
    let big = revenues(&[1000, 2000, 3000, 4000]);
    let reused = ranked_program(extra);
    reused.evaluate(&small).unwrap();
    let before = big.clone();
    let again = reused.evaluate(&big).unwrap();
    let fresh = ranked_program(extra).evaluate(&big).unwrap();
    assert_eq!(again, fresh);
    assert_ne!(again.tiers, vec![0; 4], "not everyone is First");
    assert_eq!(again.reasons, again.tiers);
    assert_eq!(again.derived.len(), 1);
    assert_eq!(again.derived[0].name, "above_median");
    assert_eq!(
        again.populations["revenue"].as_slice(),
        [1000.0, 2000.0, 3000.0, 4000.0]
    );
    assert_eq!(big, before, "the input table is left as it was");
}

#[test]
fn checks_read_the_customers_tier_and_rank() {
    let p = ranked_program(
        "checks:\n  - name: near_first\n    when: tier == \"Business\" && tier_rank == 2 && revenue >= 250\n    message: close to First\n  - name: ranked\n    when: tier_rank == 1\n    message: top\n",
    );
    let e = p.evaluate(&revenues(&[100, 200, 300, 400])).unwrap();
    let rank: Vec<u16> = e.tiers.iter().map(|t| t + 1).collect();
    assert_eq!(rank[3], 1, "{e:?}");
    let business: Vec<u32> = (0..4)
        .filter(|&i| e.tiers[i] == 1 && 100 * (i as i64 + 1) >= 250)
        .map(|i| i as u32)
        .collect();
    assert!(!business.is_empty(), "{e:?}");
    assert_eq!(e.checks[0].customers, business);
    let first: Vec<u32> = (0..4u32).filter(|&i| e.tiers[i as usize] == 0).collect();
    assert_eq!(e.checks[1].customers, first);
    assert!(
        e.derived.is_empty(),
        "the tier columns are not derived metrics"
    );
}

#[test]
fn only_checks_can_read_the_tier() {
    let (_dir, ws) = workspace_with(&ranked_policy("metrics:\n  ranked: tier_rank * 2\n"), &[]);
    let e = match compile(&ws, &[]) {
        Ok(_) => panic!("should not compile"),
        Err(p) => format!("{}", p[0]),
    };
    assert!(
        e.contains("metric `ranked`: `tier_rank` can be read by checks only"),
        "{e}"
    );
    let (_dir, ws) = workspace_with(&POLICY.replace("revenue >= 100", "tier == \"Top\""), &[]);
    let e = match compile(&ws, &[]) {
        Ok(_) => panic!("should not compile"),
        Err(p) => format!("{}", p[0]),
    };
    assert!(
        e.contains("tier `Top`: `tier` can be read by checks only"),
        "{e}"
    );
}

#[test]
fn a_check_reading_tier_with_an_attribute_named_tier_is_an_error() {
    let (_dir, ws) = workspace(
        "checks:\n  - name: odd\n    when: tier == \"Top\"\n    message: x\n",
        &[],
    );
    let e = match compile(&ws, &["tier".to_string()]) {
        Ok(_) => panic!("should not compile"),
        Err(p) => format!("{}", p[0]),
    };
    assert!(e.contains("check `odd` reads `tier`"), "{e}");
}
