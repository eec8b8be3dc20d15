//! The template functions `customers()` and `breakdown()`: their rows checked against
//! `customers.csv` with plain loops, and `check` catching a misspelt argument.

mod support;

use std::collections::BTreeMap;

use support::*;

const POLICY: &str = r#"client: T
currency: USD
as_of: 2024-06-30
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: id, date: date, amount: amount }
  customers:
    path: data/customers.csv
    columns: { customer_id: id, company: Company, region: Region }
checks:
  - name: small
    when: revenue < 50
    message: Small customers.
tiers:
  - name: First
    when: revenue >= 100
  - name: Rest
"#;

const CSV: &str = "id,date,amount\na,2024-01-05,150.00\nb,2024-02-01,20.00\nc,2024-03-01,-5.00\nd,2024-03-02,300.00\ne,2024-04-01,120.00\nf,2024-04-02,40.00\n";
const ATTRS: &str =
    "id,Company,Region\na,\"Acme, Inc.\",North\nb,Beta,South\nd,Delta,North\ne,Echo,South\nf,Fox,\n";

/// A template printing the rows of `customers(ARGS)` and the groups of `breakdown(by="region")`.
fn template(args: &str) -> String {
    format!(
        "---\ntitle: T\nclient: T\nas_of: 2024-06-30\n---\nROWS\n{{% for c in customers({args}) %}}{{{{ c.customer_id }}}};{{{{ c.company }}}};{{{{ c.tier }}}};{{{{ c.revenue }}}};{{{{ c.check_small }}}}\n{{% endfor %}}GROUPS\n{{% for g in breakdown(by=\"region\") %}}{{{{ g.value }}}}={{{{ g.customers }}}}/{{{{ g.revenue }}}}{{% for t in g.tiers %}} {{{{ t.tier }}}}:{{{{ t.customers }}}}{{% endfor %}}\n{{% endfor %}}"
    )
}

fn run(args: &str) -> (Vec<BTreeMap<String, String>>, String) {
    let ws = workspace(
        POLICY,
        Some(CSV),
        &[
            ("data/customers.csv", ATTRS),
            ("templates/report.md", &template(args)),
        ],
    );
    run_ok(ws.path(), &["--quiet", "--no-provenance"]);
    let report = std::fs::read_to_string(ws.path().join("out/report.md")).unwrap();
    let body = report.split_once("ROWS\n").unwrap().1.to_string();
    (customers(ws.path()), body)
}

#[test]
fn customers_filters_sorts_and_limits_like_the_csv() {
    let (rows, report) = run("tier=\"First\", sort=\"-revenue\", limit=2");
    let mut first: Vec<&BTreeMap<String, String>> =
        rows.iter().filter(|r| r["tier"] == "First").collect();
    first.sort_by(|a, b| cents(&b["revenue"]).cmp(&cents(&a["revenue"])));
    let listed: Vec<&str> = report.split("GROUPS\n").next().unwrap().lines().collect();
    assert_eq!(listed.len(), 2, "{report}");
    for (line, want) in listed.iter().zip(&first) {
        let fields: Vec<&str> = line.split(';').collect();
        assert_eq!(fields[0], want["customer_id"]);
        assert_eq!(fields[1], want["company"], "attribute columns are there");
        assert_eq!(fields[2], "First");
        assert_eq!(cents(fields[3]), cents(&want["revenue"]));
        assert_eq!(fields[4], want["check_small"]);
    }
}

#[test]
fn customers_by_check_lists_every_flagged_customer_in_id_order() {
    let (rows, report) = run("check=\"small\", limit=100");
    let want: Vec<&str> = rows
        .iter()
        .filter(|r| r["check_small"] == "true")
        .map(|r| r["customer_id"].as_str())
        .collect();
    let listed: Vec<&str> = report
        .split("GROUPS\n")
        .next()
        .unwrap()
        .lines()
        .map(|l| l.split(';').next().unwrap())
        .collect();
    assert_eq!(listed, want);
}

#[test]
fn breakdown_sums_by_value_and_tier() {
    let (rows, report) = run("limit=1");
    let groups = report.split("GROUPS\n").nth(1).unwrap();
    for line in groups.lines() {
        let (value, rest) = line.split_once('=').unwrap();
        let mut parts = rest.split(' ');
        let (n, revenue) = parts.next().unwrap().split_once('/').unwrap();
        let members: Vec<&BTreeMap<String, String>> =
            rows.iter().filter(|r| r["region"] == value).collect();
        assert_eq!(n.parse::<usize>().unwrap(), members.len(), "{line}");
        let sum: i64 = members.iter().map(|r| cents(&r["revenue"])).sum();
        assert_eq!(cents(revenue), sum, "{line}");
        for part in parts {
            let (tier, count) = part.split_once(':').unwrap();
            let want = members.iter().filter(|r| r["tier"] == tier).count();
            assert_eq!(count.parse::<usize>().unwrap(), want, "{line}");
        }
    }
    assert!(groups.starts_with("North="), "values sorted: {groups}");
}

#[test]
fn check_reports_a_misspelt_argument_with_a_suggestion() {
    let ws = workspace(
        POLICY,
        Some(CSV),
        &[
            ("data/customers.csv", ATTRS),
            (
                "templates/report.md",
                "ok\n{{ customers(tiers=\"First\") | length }}\n",
            ),
        ],
    );
    let out = powerbase().arg("check").arg(ws.path()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("no argument `tiers`; did you mean `tier`?"),
        "{err}"
    );
    assert!(err.contains("report.md:2"), "{err}");
}

#[test]
fn personas_are_not_declared_yet() {
    let ws = workspace(
        POLICY,
        Some(CSV),
        &[
            ("data/customers.csv", ATTRS),
            (
                "templates/report.md",
                "{{ customers(persona=\"x\") | length }}\n",
            ),
        ],
    );
    let out = powerbase().arg("check").arg(ws.path()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no personas are declared"), "{err}");
}
