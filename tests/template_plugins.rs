//! Plugin functions serving the report templates (`plugins:` in powerbase.yaml): a filter and a
//! function computed by Rhai scripts, checked on the rendered report; errors name the template
//! line and the script line; `check` catches a plugin the scripts do not define.

mod support;

use support::*;

const POLICY: &str = r#"client: T
currency: USD
as_of: 2024-06-30
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: id, date: date, amount: amount }
plugins:
  filters: [money_k]
  functions: [tier_story]
tiers:
  - name: First
    when: revenue >= 100
  - name: Rest
"#;

const CSV: &str = "id,date,amount\na,2024-01-05,1500.00\nb,2024-02-01,20.00\nc,2024-03-01,250.00\n";

/// `money_k` writes thousands with one decimal; `tier_story` builds a sentence from its
/// keyword arguments.
const SCRIPT: &str = r#"// client-specific formatting
fn money_k(x) {
    let k = x / 1000.0;
    `$${(k * 10.0).round() / 10.0}k`
}

fn tier_story(args) {
    if args.customers == 0 { throw `no customers in ${args.tier}`; }
    `${args.tier}: ${args.customers} customers`
}
"#;

fn template(body: &str) -> String {
    format!("---\ntitle: T\nclient: T\nas_of: 2024-06-30\n---\n{body}\n")
}

#[test]
fn a_filter_and_a_function_from_the_scripts_render_in_the_report() {
    let body = "{% for t in tiers %}{{ t.revenue | money_k }} {{ tier_story(tier=t.name, customers=t.customers) }}\n{% endfor %}";
    let dir = workspace(
        POLICY,
        Some(CSV),
        &[
            ("scripts/format.rhai", SCRIPT),
            ("templates/report.md", &template(body)),
        ],
    );
    run_ok(dir.path(), &["--no-provenance"]);
    let report = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    // Computed here: First = a + c = 1,750.00 -> $1.8k (1.75 rounds to 1.8), 2 customers;
    // Rest = b = 20.00 -> $0.0k, 1 customer.
    assert!(report.contains("$1.8k First: 2 customers"), "{report}");
    assert!(report.contains("$0.0k Rest: 1 customers"), "{report}");
}

#[test]
fn an_error_in_a_plugin_names_the_template_line_and_the_script_line() {
    let body = "Intro\n\n{{ tier_story(tier=\"None\", customers=0) }}\n";
    let dir = workspace(
        POLICY,
        Some(CSV),
        &[
            ("scripts/format.rhai", SCRIPT),
            ("templates/report.md", &template(body)),
        ],
    );
    let out = powerbase().arg("check").arg(dir.path()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("templates/report.md:8"), "{err}");
    assert!(err.contains("scripts/format.rhai:8"), "{err}");
    assert!(err.contains("no customers in None"), "{err}");
}

#[test]
fn check_catches_a_template_plugin_the_scripts_do_not_define() {
    let policy = POLICY.replace("filters: [money_k]", "filters: [money_kk]");
    let dir = workspace(&policy, Some(CSV), &[("scripts/format.rhai", SCRIPT)]);
    let out = powerbase()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &json[0];
    assert_eq!(d["code"], "plugin/unknown-template-function", "{json}");
    assert_eq!(d["file"], "powerbase.yaml");
    assert_eq!(d["line"], 9);
    assert!(d["help"].as_str().unwrap().contains("money_k"), "{json}");
}
