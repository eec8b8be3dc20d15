//! `powerbase check` through the binary: diagnostics with stable codes, rendered for people (the
//! source line with a caret under the place) or as JSON for editors and CI; report settings checked
//! at load; a wrong column mapping at its line in powerbase.yaml; each problem once. And the list
//! of codes in docs/diagnostics.md against the codes the source uses.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;
use support::*;

const HEAD: &str = "client: Test
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: id, date: day, amount: amount }
";

const TIERS: &str = "tiers:\n  - name: Top\n    when: revenue >= 100\n  - name: Rest\n";

const CSV: &str = "id,day,amount\na,2024-01-05,80.00\nb,2024-03-01,10\n";

/// `check --format json` on `dir`: the exit code, the diagnostics and what went to stderr.
fn check_json(dir: &Path) -> (Option<i32>, Vec<Value>, String) {
    let out = powerbase()
        .args(["check", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let value: Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    let list = value.as_array().expect("a JSON array").clone();
    (
        out.status.code(),
        list,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `check` (for people) on `dir`, expected to fail: its stderr.
fn check_human(dir: &Path) -> String {
    let out = powerbase().arg("check").arg(dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The text the carets (`^`) under source line `line` of the rendering underline.
fn underlined(rendered: &str, line: u32) -> String {
    let lines: Vec<&str> = rendered.lines().collect();
    let prefix = format!("{line} | ");
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with(&prefix))
        .unwrap_or_else(|| panic!("no source line {line} in:\n{rendered}"));
    let source = lines[at];
    let carets = lines[at + 1];
    let start = carets.find('^').expect("a caret line");
    let len = carets[start..].chars().take_while(|&c| c == '^').count();
    source.chars().skip(start).take(len).collect()
}

fn codes(list: &[Value]) -> Vec<&str> {
    list.iter().map(|d| d["code"].as_str().unwrap()).collect()
}

#[test]
fn json_of_a_good_workspace_is_an_empty_array_and_exit_0() {
    let ws = workspace(&format!("{HEAD}{TIERS}"), Some(CSV), &[]);
    let (code, list, stderr) = check_json(ws.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(list.is_empty(), "{list:?}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn json_lists_every_problem_with_its_fields_and_exits_1() {
    let policy =
        format!("{HEAD}report:\n  titel: Board pack\n{TIERS}").replace("revenue >=", "revenu >=");
    let ws = workspace(&policy, Some(CSV), &[]);
    let (code, list, stderr) = check_json(ws.path());
    assert_eq!(code, Some(1));
    assert!(stderr.is_empty(), "JSON mode prints nothing else: {stderr}");
    let unknown = list
        .iter()
        .find(|d| d["code"] == "policy/unknown-key")
        .unwrap_or_else(|| panic!("{list:?}"));
    assert_eq!(unknown["severity"], "error");
    assert_eq!(unknown["file"], "powerbase.yaml");
    assert_eq!(unknown["line"], 7);
    assert_eq!(unknown["column"], 3);
    assert_eq!(unknown["help"], "did you mean `title`?");
    assert!(unknown["message"]
        .as_str()
        .unwrap()
        .starts_with("unknown field `titel`"));
    for d in &list {
        for key in [
            "code", "severity", "message", "file", "line", "column", "help", "labels",
        ] {
            assert!(d.get(key).is_some(), "{key} missing in {d}");
        }
    }
}

#[test]
fn the_caret_is_under_an_unknown_key() {
    let policy = format!("{HEAD}report:\n  title: Board pack\n  page_sise: A4\n{TIERS}");
    let ws = workspace(&policy, Some(CSV), &[]);
    let err = check_human(ws.path());
    assert!(err.contains("error[policy/unknown-key]"), "{err}");
    assert!(err.contains("--> powerbase.yaml:8:3"), "{err}");
    assert_eq!(underlined(&err, 8), "page_sise", "{err}");
    assert!(err.contains("did you mean `page_size`?"), "{err}");
}

#[test]
fn the_caret_is_under_an_unknown_name_in_an_expression() {
    let policy = format!("{HEAD}{TIERS}").replace("revenue >= 100", "orders > 1 && revenu >= 100");
    let ws = workspace(&policy, Some(CSV), &[]);
    let err = check_human(ws.path());
    assert_eq!(underlined(&err, 8), "revenu", "{err}");
    assert!(err.contains("did you mean `revenue`?"), "{err}");
}

#[test]
fn a5_paper_is_found_at_load_with_the_nearest_size() {
    let policy = format!("{HEAD}report:\n  page_size: A5\n{TIERS}");
    let ws = workspace(&policy, Some(CSV), &[]);
    let (code, list, _) = check_json(ws.path());
    assert_eq!(code, Some(1));
    assert_eq!(
        codes(&list),
        ["report/bad-page-size"],
        "one problem: {list:?}"
    );
    assert_eq!(list[0]["line"], 7);
    assert_eq!(list[0]["column"], 14);
    assert!(list[0]["help"]
        .as_str()
        .unwrap()
        .starts_with("did you mean `A4`?"));
    let err = check_human(ws.path());
    assert!(
        err.starts_with(
            "error[report/bad-page-size]: page_size: expected A4 or Letter, found `A5`"
        ),
        "{err}"
    );
    assert_eq!(underlined(&err, 7), "A5", "{err}");
    // What the PDF renderer accepts passes: any case, surrounding spaces.
    for ok in ["letter", "\" A4 \"", "LETTER"] {
        let policy = format!("{HEAD}report:\n  page_size: {ok}\n{TIERS}");
        let ws = workspace(&policy, Some(CSV), &[]);
        powerbase().arg("check").arg(ws.path()).assert().success();
    }
}

#[test]
fn report_settings_that_would_fail_or_mean_nothing_are_found_at_load() {
    let policy = format!(
        "client: \"\"\n{}report:\n  title: \"  \"\n  top_customers: 0\n{TIERS}",
        HEAD.trim_start_matches("client: Test\n")
    );
    let ws = workspace(&policy, Some(CSV), &[]);
    let (code, list, _) = check_json(ws.path());
    assert_eq!(code, Some(1));
    let mut found = codes(&list);
    found.sort();
    assert_eq!(
        found,
        [
            "policy/empty-client",
            "report/bad-top-customers",
            "report/empty-title"
        ],
        "{list:?}"
    );
}

#[test]
fn a_param_defined_in_two_files_is_one_problem_with_both_places() {
    let policy = format!("{HEAD}params:\n  min: 10\n{TIERS}");
    let ws = workspace(
        &policy,
        Some(CSV),
        &[("rules/extra.yaml", "params:\n  other: 1\n  min: 3\n")],
    );
    let (code, list, _) = check_json(ws.path());
    assert_eq!(code, Some(1));
    assert_eq!(codes(&list), ["policy/duplicate-name"], "{list:?}");
    let d = &list[0];
    assert_eq!(d["message"], "param `min` is defined twice");
    assert_eq!(
        (&d["file"], &d["line"], &d["column"]),
        (&"rules/extra.yaml".into(), &3.into(), &8.into())
    );
    let labels = d["labels"].as_array().unwrap();
    assert_eq!(labels.len(), 1);
    assert_eq!(labels[0]["file"], "powerbase.yaml");
    assert_eq!(labels[0]["line"], 7);
    assert_eq!(labels[0]["message"], "first defined here");
    let err = check_human(ws.path());
    assert!(err.contains(" ::: powerbase.yaml:7:8\n"), "{err}");
    assert!(err.contains(" -- first defined here\n"), "{err}");
}

#[test]
fn a_wrong_column_mapping_points_at_its_line_in_powerbase_yaml() {
    let policy = format!("{HEAD}{TIERS}").replace("amount: amount", "amount: amont");
    let ws = workspace(&policy, Some(CSV), &[]);
    let (code, list, _) = check_json(ws.path());
    assert_eq!(code, Some(1));
    assert_eq!(codes(&list), ["data/missing-column"], "{list:?}");
    assert_eq!(list[0]["file"], "powerbase.yaml");
    assert_eq!(list[0]["line"], 5);
    assert_eq!(list[0]["labels"][0]["file"], "data/transactions.csv");
    let err = check_human(ws.path());
    assert_eq!(underlined(&err, 5), "amont", "{err}");
    // `run` finds it while loading and points at the same place.
    let out = powerbase().arg("run").arg(ws.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[data/missing-column]"), "{err}");
    assert!(err.contains("--> powerbase.yaml:5:"), "{err}");
    assert_eq!(underlined(&err, 5), "amont", "{err}");
}

#[test]
fn a_bad_date_format_points_at_its_line() {
    let policy = format!("{HEAD}    date_format: \"%Q\"\n{TIERS}");
    let ws = workspace(&policy, Some(CSV), &[]);
    let (_, list, _) = check_json(ws.path());
    assert_eq!(codes(&list), ["data/bad-date-format"], "{list:?}");
    assert_eq!(list[0]["file"], "powerbase.yaml");
    assert_eq!(list[0]["line"], 6);
}

#[test]
fn a_bad_cell_keeps_its_file_and_line() {
    let csv = format!("{CSV}c,2024-03-05,ten\n");
    let ws = workspace(&format!("{HEAD}{TIERS}"), Some(&csv), &[]);
    let out = powerbase().arg("run").arg(ws.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[data/bad-cell]"), "{err}");
    // The caret is under the bad cell, the third field.
    assert!(err.contains("--> data/transactions.csv:4:14\n"), "{err}");
    assert!(err.contains("4 | c,2024-03-05,ten\n"), "{err}");
    assert_eq!(underlined(&err, 4), "ten", "{err}");
}

#[test]
fn an_attribute_named_like_a_param_is_one_problem_at_both_places() {
    let policy = format!(
        "{HEAD}  customers:\n    path: data/customers.csv\n    columns: {{ customer_id: id, segment: Segment }}\n\
         params:\n  segment: 3\n{TIERS}"
    );
    let ws = workspace(
        &policy,
        Some(CSV),
        &[("data/customers.csv", "id,Segment\na,retail\n")],
    );
    let (code, list, _) = check_json(ws.path());
    assert_eq!(code, Some(1));
    assert_eq!(codes(&list), ["policy/name-clash"], "{list:?}");
    let d = &list[0];
    assert_eq!(
        d["message"],
        "param `segment` has the name of an attribute column"
    );
    assert_eq!(
        (&d["file"], &d["line"]),
        (&"powerbase.yaml".into(), &10.into())
    );
    assert_eq!(
        d["labels"][0]["line"], 8,
        "the mapping that names the column"
    );
}

#[test]
fn an_attribute_named_like_a_built_in_metric_is_a_name_clash() {
    let policy = format!(
        "{HEAD}  customers:\n    path: data/customers.csv\n    columns: {{ customer_id: id }}\n{TIERS}"
    );
    let ws = workspace(
        &policy,
        Some(CSV),
        &[("data/customers.csv", "id,orders\na,3\n")],
    );
    let (_, list, _) = check_json(ws.path());
    assert_eq!(codes(&list), ["policy/name-clash"], "{list:?}");
    assert_eq!(list[0]["file"], "data/customers.csv");
    assert!(list[0]["help"].as_str().unwrap().contains("orders_attr"));
}

/// Every code `src/` gives a diagnostic (`.code("...")`, and `"area/kind"` literals outside test
/// modules) is listed in docs/diagnostics.md, and every code listed there is used.
#[test]
fn every_code_is_documented_and_every_documented_code_is_used() {
    let doc = std::fs::read_to_string(repo().join("docs/diagnostics.md")).unwrap();
    let documented: BTreeSet<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect();
    let areas: BTreeSet<&str> = documented
        .iter()
        .filter_map(|c| c.split_once('/'))
        .map(|(area, _)| area)
        .collect();
    let mut used = BTreeSet::new();
    for entry in walkdir::WalkDir::new(repo().join("src")) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        // Unit tests use made-up codes of their own.
        let code_part = text.split("#[cfg(test)]").next().unwrap();
        for code in code_part.split(".code(\"").skip(1) {
            used.insert(code.split('"').next().unwrap().to_string());
        }
        // Every text between two quotes, so a quote in a character literal cannot hide one.
        for literal in code_part.split('"').skip(1) {
            let is_code = literal.split_once('/').is_some_and(|(area, kind)| {
                areas.contains(area)
                    && !kind.is_empty()
                    && kind
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            });
            if is_code {
                used.insert(literal.to_string());
            }
        }
    }
    let undocumented: Vec<&String> = used.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "codes used in src/ but not listed in docs/diagnostics.md: {undocumented:?}"
    );
    let unused: Vec<&String> = documented.difference(&used).collect();
    assert!(
        unused.is_empty(),
        "codes listed in docs/diagnostics.md that src/ never uses: {unused:?}"
    );
    assert!(used.contains("report/bad-page-size") && used.len() > 40);
}

#[test]
fn a_malformed_policy_test_file_is_a_problem_check_finds() {
    let policy = format!("{HEAD}{TIERS}");
    let ws = workspace(
        &policy,
        Some(CSV),
        &[(
            "tests/tiers.yaml",
            "- name: a case\n  expect:\n    a: { tier: 5, colour: red }\n",
        )],
    );
    let (code, list, _) = check_json(ws.path());
    assert_eq!(code, Some(1), "{list:?}");
    assert!(
        list.iter()
            .any(|d| d["file"] == "tests/tiers.yaml" && d["line"].as_u64() == Some(3)),
        "{list:?}"
    );
    // Once fixed, check passes and counts the test file.
    std::fs::write(
        ws.path().join("tests/tiers.yaml"),
        "- name: a case\n  expect:\n    a: { tier: Rest }\n",
    )
    .unwrap();
    let out = check_ok(ws.path());
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 test files"));
}
