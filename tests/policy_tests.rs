//! `powerbase test`: policy tests through the binary (summary, exit codes, --filter, --junit,
//! diagnostics) and through the library (the built-in rule files' own tests). Expected figures
//! are worked out here from the rows given.

mod support;

use std::path::Path;

use powerbase::policytest;
use powerbase::workspace::builtin;
use support::*;

/// Columns customer_id, date, amount; First by a percentile of revenue, Business by a param.
const POLICY: &str = r#"client: Test
currency: USD
as_of: 2024-12-31
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: customer_id, date: date, amount: amount }
params:
  repeat_days: 2
tiers:
  - name: First
    when: revenue >= percentile("revenue", 0.9)
  - name: Business
    when: purchase_days >= repeat_days
  - name: Economy
checks:
  - name: big_refund
    when: revenue < 0
    severity: warning
    message: Refunds larger than purchases.
"#;

/// Ten customers C0..C9: C{i} spent (i + 1) * 10.00 on one day; C9 on two days.
fn data() -> String {
    let mut csv = String::from("customer_id,date,amount\n");
    for i in 0..10 {
        csv.push_str(&format!("C{i},2024-06-01,{}.00\n", (i + 1) * 10));
    }
    csv.push_str("C9,2024-07-01,0.00\n");
    csv
}

const PASSING: &str = r#"
- name: rows are read as data rows
  transactions:
    - { customer_id: X, date: 2024-01-02, amount: "12.34" }
    - { customer_id: X, date: 2024-02-03, amount: "0.66" }
    - { customer_id: Y, date: 2024-02-03, amount: "5.00" }
  expect:
    X: { tier: First, reason: First, checks: [], metrics: { revenue: 13.00, purchase_days: 2, last_purchase: 2024-02-03 } }
    Y: { tier: Economy, reason: (last tier) }
- name: a real customer
  expect:
    C9: { tier: First, metrics: { revenue: 100.00 } }
    C3: { tier: Economy }
- name: params change the program
  params: { repeat_days: 1 }
  expect:
    C3: { tier: Business }
"#;

fn test_cmd(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = powerbase()
        .arg("test")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_passing_run_prints_the_summary_and_exits_0() {
    let dir = workspace(POLICY, Some(&data()), &[("tests/tiers.yaml", PASSING)]);
    let (code, out, err) = test_cmd(dir.path(), &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out,
        "running 3 tests\n\
         test tests/tiers.yaml::rows are read as data rows ... ok\n\
         test tests/tiers.yaml::a real customer ... ok\n\
         test tests/tiers.yaml::params change the program ... ok\n\
         \ntest result: ok. 3 passed; 0 failed; 0 filtered out\n"
    );
}

#[test]
fn a_failing_case_exits_1_with_expected_actual_and_explain() {
    let failing = r#"
- name: wrong tier
  customers:
    A: { revenue: 10.00, purchase_days: 3 }
    B: { revenue: 20.00, purchase_days: 1 }
  expect:
    A: { tier: First, checks: [big_refund], metrics: { revenue: 10.01, recency_days: 3 } }
    Z: { tier: First }
"#;
    let dir = workspace(
        POLICY,
        Some(&data()),
        &[("tests/a.yaml", failing), ("tests/b.yaml", PASSING)],
    );
    let (code, out, _) = test_cmd(dir.path(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("test tests/a.yaml::wrong tier ... FAILED\n"),
        "{out}"
    );
    // percentile over A and B: 10 + 0.9 * 10 = 19, so A (10.00) is not First; it has two
    // purchase days or more, so Business.
    assert!(
        out.contains("customer A: tier: expected First, found Business"),
        "{out}"
    );
    assert!(
        out.contains("customer A: checks: expected [big_refund], found []"),
        "{out}"
    );
    assert!(
        out.contains("customer A: metrics.revenue: expected 10.01, found 10.00"),
        "{out}"
    );
    assert!(
        out.contains("customer A: metrics.recency_days: expected 3, found empty"),
        "{out}"
    );
    assert!(out.contains("customer Z: customer:"), "{out}");
    assert!(
        out.contains("Customer A is in Business (reason: Business)"),
        "{out}"
    );
    assert!(
        out.contains("figure: percentile(\"revenue\", 0.9) = 19.00\n"),
        "{out}"
    );
    assert!(
        out.ends_with("test result: FAILED. 3 passed; 1 failed; 0 filtered out\n"),
        "{out}"
    );
}

#[test]
fn filter_runs_a_subset_and_junit_writes_valid_xml() {
    let failing = "- name: wrong\n  expect:\n    C0: { tier: First }\n";
    let dir = workspace(
        POLICY,
        Some(&data()),
        &[("tests/a.yaml", failing), ("tests/b.yaml", PASSING)],
    );
    let (code, out, _) = test_cmd(dir.path(), &["--filter", "real"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("running 1 test\n"), "{out}");
    assert!(
        out.ends_with("1 passed; 0 failed; 3 filtered out\n"),
        "{out}"
    );

    let junit = dir.path().join("junit.xml");
    let (code, _, _) = test_cmd(dir.path(), &["--junit", junit.to_str().unwrap()]);
    assert_eq!(code, 1);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures, mut suites) = (0, 0, 0);
    let mut failure_text = String::new();
    let mut in_failure = false;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().0 {
                    "testcase" => cases += 1,
                    "testsuite" => suites += 1,
                    "failure" => {
                        failures += 1;
                        in_failure = true;
                    }
                    _ => {}
                }
            }
            quick_xml::events::Event::Text(t) if in_failure => {
                failure_text.push_str(&t.xml10_content());
            }
            quick_xml::events::Event::End(e) if e.name().as_ref() == "failure" => {
                in_failure = false;
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!((suites, cases, failures), (2, 4, 1), "{xml}");
    assert!(
        failure_text.contains("customer C0: tier: expected First, found Economy"),
        "{xml}"
    );
    // The same results give the same bytes.
    test_cmd(dir.path(), &["--junit", junit.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&junit).unwrap(), xml);
}

#[test]
fn a_malformed_test_file_is_a_diagnostic_with_file_and_line() {
    let bad = "- name: a\n  expect:\n    C0: { tier: First }\n- name: b\n  expect:\n    C0: { tierr: First }\n";
    let dir = workspace(POLICY, Some(&data()), &[("tests/bad.yaml", bad)]);
    let (code, out, err) = test_cmd(dir.path(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("tests/bad.yaml:6:"), "{err}");
    assert!(err.contains("policy/unknown-key"), "{err}");

    let bad_cell = "- name: a\n  transactions:\n    - { customer_id: X, date: 2024-01-02, amount: \"1.234\" }\n  expect:\n    X: { tier: Frist, metrics: { revenu: 1 } }\n";
    let dir = workspace(POLICY, Some(&data()), &[("tests/bad.yaml", bad_cell)]);
    let (code, _, err) = test_cmd(dir.path(), &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error[test/unknown-name]: expect: the policy has no tier `Frist`"),
        "{err}"
    );
    assert!(err.contains("did you mean `First`?"), "{err}");
    assert!(err.contains("error[test/bad-row]"), "{err}");
    assert!(err.contains("tests/bad.yaml:3:"), "{err}");
    // An unknown metric is shown at its name.
    assert!(
        err.contains("the policy has no metric `revenu`\n --> tests/bad.yaml:5:34"),
        "{err}"
    );
    assert!(err.contains("at most 2 decimals"), "{err}");
}

#[test]
fn population_from_data_places_a_customer_against_the_real_population() {
    // Alone with B, A (95.00) is below the 90th percentile (95 + 0.9 * 905 = 909.50) and, with
    // one purchase day, Economy; against the real customers (10.00, 20.00, .., 100.00: the 90th
    // percentile is 90 + 0.1 * 10 = 91.00) it is First. B (1000.00) is First both ways.
    let cases = r#"
- name: own population
  customers:
    A: { revenue: 95.00, purchase_days: 1 }
    B: { revenue: 1000.00, purchase_days: 1 }
  expect:
    A: { tier: Economy }
    B: { tier: First }
- name: real population
  population_from: data
  customers:
    A: { revenue: 95.00, purchase_days: 1 }
    B: { revenue: 1000.00, purchase_days: 1 }
  expect:
    A: { tier: First }
    B: { tier: First }
"#;
    let dir = workspace(POLICY, Some(&data()), &[("tests/p.yaml", cases)]);
    let (code, out, err) = test_cmd(dir.path(), &[]);
    assert_eq!(code, 0, "{out}{err}");

    // A failing case on the real population explains with the real population's figure.
    let failing = "- name: real\n  population_from: data\n  customers:\n    A: { revenue: 90.00, purchase_days: 1 }\n  expect:\n    A: { tier: First }\n";
    let dir = workspace(POLICY, Some(&data()), &[("tests/p.yaml", failing)]);
    let (code, out, _) = test_cmd(dir.path(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("customer A: tier: expected First, found Economy"),
        "{out}"
    );
    assert!(
        out.contains("figure: percentile(\"revenue\", 0.9) = 91.00\n"),
        "{out}"
    );
}

#[test]
fn the_cdnow_example_tests_pass() {
    let (code, out, err) = test_cmd(&repo().join("examples/cdnow"), &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("test result: ok. 8 passed; 0 failed"), "{out}");
}

/// A workspace including the built-in rule file `name` (and tiers of its own when the file has
/// none), with the rule file's tests as its tests.
fn builtin_workspace(name: &str, tests: &str) -> tempfile::TempDir {
    let (_, text) = builtin::rule_file(name).expect("a built-in rule file");
    let tiers = if text.contains("\ntiers:") {
        ""
    } else {
        "tiers:\n  - name: All\n"
    };
    let policy = format!(
        "client: Test\ncurrency: USD\nas_of: 2024-12-31\ndata:\n  transactions:\n    path: data/transactions.csv\n    columns: {{ customer_id: customer_id, date: date, amount: amount }}\ninclude: [{name}]\n{tiers}"
    );
    workspace(&policy, Some(&data()), &[("tests/rule.yaml", tests)])
}

#[test]
fn the_builtin_rule_files_pass_their_own_tests() {
    let all = builtin::rule_tests();
    assert_eq!(
        all.len(),
        builtin::rule_names().len(),
        "every rule file has tests"
    );
    for (name, tests) in all {
        let dir = builtin_workspace(&name, tests);
        let prepared = powerbase::pipeline::prepare(dir.path()).expect("the workspace compiles");
        let cases = policytest::load(&prepared.workspace.tests).expect("the tests parse");
        assert!(!cases.is_empty(), "{name}");
        let outcome = policytest::run(&prepared, &cases, None, &|e, _, _| e.tier.to_string())
            .expect("the tests run");
        for r in &outcome.results {
            assert!(r.passed(), "{name}: {}: {:?}", r.id(), r.failures);
        }
    }
}
