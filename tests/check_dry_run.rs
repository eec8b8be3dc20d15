//! `powerbase check` evaluates every rule and renders every template once on made-up customers, so
//! what `check` passes, `run` does not fail on: one test per case that used to pass `check` and
//! fail `run`.

mod support;

use support::*;

const POLICY: &str = r#"client: T
currency: USD
as_of: 2024-06-30
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: id, date: date, amount: amount }
include: [builtin/rfm]
params:
  first_min: 100
tiers:
  - name: First
    when: WHEN
  - name: Rest
"#;

const CSV: &str = "id,date,amount\na,2024-01-05,150.00\nb,2024-02-01,20.00\nc,2024-03-01,-5.00\n";

fn check(when: &str, extra: &[(&str, &str)]) -> (bool, String) {
    let ws = workspace(&POLICY.replace("WHEN", when), Some(CSV), extra);
    let out = powerbase().arg("check").arg(ws.path()).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_valid_policy_passes_and_runs() {
    let (ok, err) = check("revenue >= first_min", &[]);
    assert!(ok, "{err}");
    // A customer with only a refund (c) and the built-in RFM file: run does not fail either.
    let ws = workspace(
        &POLICY.replace("WHEN", "revenue >= first_min"),
        Some(CSV),
        &[],
    );
    run_ok(ws.path(), &["--quiet"]);
    let rows = customers(ws.path());
    let c = rows.iter().find(|r| r["customer_id"] == "c").unwrap();
    assert_eq!(c["rfm_code"], "", "no recency score, no RFM code");
    assert_eq!(c["rfm_segment"], "");
}

#[test]
fn population_call_without_quotes() {
    let (ok, err) = check("revenue >= percentile(revenue, 0.75)", &[]);
    assert!(!ok);
    assert!(err.contains("tier `First`"), "{err}");
    assert!(err.contains("percentile"), "{err}");
    assert!(err.contains("powerbase.yaml:13:"), "{err}");
}

#[test]
fn percentile_share_out_of_range() {
    let (ok, err) = check("revenue >= percentile(\"revenue\", 75)", &[]);
    assert!(!ok);
    assert!(err.contains("the share must be between 0 and 1"), "{err}");
}

#[test]
fn a_condition_that_is_not_true_or_false() {
    let (ok, err) = check("revenue + 1", &[]);
    assert!(!ok);
    assert!(err.contains("a condition must give true or false"), "{err}");
}

#[test]
fn a_template_naming_an_unknown_field() {
    let template = "{% extends \"builtin/report.md\" %}\n{% block next %}{{ tiers[0].nme }}{% endblock next %}\n";
    let (ok, err) = check("revenue >= first_min", &[("templates/report.md", template)]);
    assert!(!ok);
    assert!(err.contains("undefined"), "{err}");
    assert!(err.contains("report.md:2"), "{err}");
}

#[test]
fn a_template_naming_an_unknown_chart() {
    let template = "{% extends \"builtin/report.md\" %}\n{% block next %}{{ chart(name=\"bubble\") }}{% endblock next %}\n";
    let (ok, err) = check("revenue >= first_min", &[("templates/report.md", template)]);
    assert!(!ok);
    assert!(err.contains("no chart named `bubble`"), "{err}");
}

#[test]
fn check_writes_nothing() {
    let ws = workspace(
        &POLICY.replace("WHEN", "revenue >= first_min"),
        Some(CSV),
        &[],
    );
    powerbase().arg("check").arg(ws.path()).assert().success();
    assert!(!ws.path().join("out").exists());
}
