//! Messages that speak to a consultant: YAML errors in our words with file, line and column,
//! non-UTF-8 files named by byte and place, names that must not be empty, one error per cause,
//! no `NaN%` when revenue is not positive, and no panic when the reader of stdout goes away.

mod support;

use std::process::Stdio;

use support::*;

const HEAD: &str = "client: Test
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: id, date: day, amount: amount }
";

const TIERS: &str = "tiers:\n  - name: Top\n    when: revenue >= 100\n  - name: Rest\n";

const CSV: &str = "id,day,amount\na,2024-01-05,80.00\nb,2024-03-01,10\n";

/// Runs `powerbase check` on a workspace expected to have problems; returns stderr.
fn check_err(policy: &str, extra: &[(&str, &str)]) -> String {
    let ws = workspace(policy, Some(CSV), extra);
    check_err_in(ws.path())
}

fn check_err_in(dir: &std::path::Path) -> String {
    let out = powerbase().arg("check").arg(dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "check should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Library wording a consultant should never see.
fn assert_no_jargon(err: &str) {
    for jargon in [
        "DuplicateKeyPolicy",
        "Options",
        "from_str_multiple",
        "untagged enum",
        "ParamValue",
        "budget breached",
        "ScalarBytes",
        "os error",
        "Option<String>",
        "u64",
    ] {
        assert!(
            !err.contains(jargon),
            "library wording {jargon:?} in:\n{err}"
        );
    }
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// How many diagnostics the human rendering holds: lines starting `error:` or `error[code]:`.
fn errors(rendered: &str) -> usize {
    rendered
        .lines()
        .filter(|l| l.starts_with("error:") || l.starts_with("error["))
        .count()
}

#[test]
fn a_repeated_key_names_both_places() {
    let policy = format!("{HEAD}params:\n  big: 100\n  small: 5\n  big: 200\n{TIERS}");
    let err = check_err(&policy, &[]);
    assert!(
        err.contains("key `big` appears twice in this mapping (first at line 7)"),
        "{err}"
    );
    assert!(err.contains("powerbase.yaml:9:3"), "{err}");
    assert_no_jargon(&err);
}

#[test]
fn several_yaml_documents_ask_to_keep_one() {
    let policy = format!("{HEAD}{TIERS}---\nclient: Other\n");
    let err = check_err(&policy, &[]);
    assert!(
        err.contains("powerbase.yaml holds several YAML documents (`---`); keep one"),
        "{err}"
    );
    assert!(err.contains("powerbase.yaml:11"), "{err}");
    assert_no_jargon(&err);
}

#[test]
fn a_param_that_is_a_list_or_a_mapping_is_named() {
    let policy = format!(
        "{HEAD}params:\n  cuts: [1, 2]\n  table: {{ a: 1 }}\n  ok: 3\n\
         tiers:\n  - name: Top\n    when: revenue >= cuts\n  - name: Rest\n"
    );
    let err = check_err(&policy, &[]);
    assert!(
        err.contains("param `cuts`: expected a number, text, true/false or a date, found a list"),
        "{err}"
    );
    assert!(err.contains("powerbase.yaml:7:9"), "{err}");
    assert!(
        err.contains(
            "param `table`: expected a number, text, true/false or a date, found a mapping"
        ),
        "{err}"
    );
    assert!(err.contains("2 problems found"), "{err}");
    assert_no_jargon(&err);
}

#[test]
fn params_of_every_kind_still_load() {
    let policy = format!(
        "{HEAD}params:\n  n: 5\n  x: 2.5\n  flag: true\n  label: gold\n  since: 2024-01-01\n\
         tiers:\n  - name: Top\n    when: revenue >= n * x && flag\n  - name: Rest\n"
    );
    let ws = workspace(&policy, Some(CSV), &[]);
    powerbase().arg("check").arg(ws.path()).assert().success();
}

#[test]
fn a_deeply_nested_file_is_too_large_for_a_policy_file() {
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let policy = format!("{HEAD}params:\n  deep: {deep}\n{TIERS}");
    let err = check_err(&policy, &[]);
    assert!(
        err.contains("powerbase.yaml is too large or too deeply nested for a policy file"),
        "{err}"
    );
    assert!(err.contains("powerbase.yaml:7:"), "{err}");
    assert_no_jargon(&err);
}

#[test]
fn a_policy_file_that_is_not_utf8_names_the_byte_and_its_place() {
    let ws = workspace("", Some(CSV), &[]);
    let mut bytes = format!("{HEAD}report:\n  title: Caf").into_bytes();
    bytes.push(0xE9);
    bytes.extend_from_slice(format!(" report\n{TIERS}").as_bytes());
    std::fs::write(ws.path().join("powerbase.yaml"), bytes).unwrap();
    let err = check_err_in(ws.path());
    assert!(
        err.contains(
            "powerbase.yaml is not UTF-8 text: byte 0xE9 at line 7, column 13 (byte offset 147)"
        ),
        "{err}"
    );
    assert!(err.contains("powerbase.yaml:7:13"), "{err}");
    assert!(err.contains("save the file as UTF-8"), "{err}");
    assert!(
        !err.contains("powerbase init"),
        "the file exists, it is not a missing workspace: {err}"
    );
}

#[test]
fn rule_files_scripts_and_templates_that_are_not_utf8_are_named() {
    let policy = format!("{HEAD}{TIERS}");
    let ws = workspace(&policy, Some(CSV), &[]);
    for (path, text) in [
        ("rules/extra.yaml", &b"params:\n  x: \xFF\n"[..]),
        ("scripts/value.rhai", &b"fn f() { \"\xE9\" }\n"[..]),
        ("templates/report.md", &b"# Caf\xE9\n"[..]),
    ] {
        let p = ws.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let err = check_err_in(ws.path());
    for expected in [
        "rules/extra.yaml is not UTF-8 text: byte 0xFF at line 2, column 6 (byte offset 13)",
        "scripts/value.rhai is not UTF-8 text: byte 0xE9 at line 1, column 11 (byte offset 10)",
        "templates/report.md is not UTF-8 text: byte 0xE9 at line 1, column 6 (byte offset 5)",
    ] {
        assert_eq!(count(&err, expected), 1, "{expected:?} once in:\n{err}");
    }
    assert!(err.contains("3 problems found"), "{err}");
}

#[test]
fn empty_and_blank_names_are_errors() {
    let policy = format!(
        "{HEAD}params:\n  \"\": 1\nmetrics:\n  \" \": revenue * 2\n\
         checks:\n  - name: \"\"\n    when: orders > 1\n    message: Many orders.\n\
         tiers:\n  - name: \"\"\n    when: revenue >= 100\n  - name: \"  \"\n"
    );
    let err = check_err(&policy, &[]);
    for expected in [
        "a param has an empty name",
        "powerbase.yaml:7:7",
        "a metric has an empty name",
        "a check has an empty name",
        "powerbase.yaml:11:11",
        "tier 1 has an empty name",
        "powerbase.yaml:15:11",
        "tier 2 has an empty name",
        "powerbase.yaml:17:11",
        "5 problems found",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}

#[test]
fn tier_names_may_be_free_text() {
    let policy = format!(
        "{HEAD}tiers:\n  - name: First class (top 5%)\n    when: revenue >= 100\n  - name: Everyone else\n"
    );
    let ws = workspace(&policy, Some(CSV), &[]);
    powerbase().arg("check").arg(ws.path()).assert().success();
}

#[test]
fn an_unknown_key_in_a_rule_file_tier_is_the_only_error() {
    let rule = "tiers:\n  - name: Top\n    whne: revenue >= 100\n  - name: Rest\n";
    let err = check_err(HEAD, &[("rules/tiers.yaml", rule)]);
    assert!(err.contains("unknown field `whne`"), "{err}");
    assert!(err.contains("rules/tiers.yaml:3:5"), "{err}");
    assert!(err.contains("did you mean `when`?"), "{err}");
    assert!(
        !err.contains("no `tiers:` defined"),
        "a bogus second error:\n{err}"
    );
    assert_eq!(errors(&err), 1, "{err}");
}

#[test]
fn a_broken_rule_file_does_not_make_its_params_unknown_elsewhere() {
    // The tier uses a param of the broken file: that is not a second problem.
    let policy = format!("{HEAD}tiers:\n  - name: Top\n    when: revenue >= big\n  - name: Rest\n");
    let err = check_err(
        &policy,
        &[("rules/params.yaml", "params:\n  big: 100\n  big: 5\n")],
    );
    assert!(err.contains("key `big` appears twice"), "{err}");
    assert_eq!(errors(&err), 1, "{err}");
}

#[test]
fn a_script_problem_is_reported_once_when_the_policy_is_broken() {
    let policy = format!("{HEAD}{TIERS}---\n");
    let ws = workspace(&policy, Some(CSV), &[]);
    std::fs::create_dir_all(ws.path().join("scripts")).unwrap();
    std::fs::write(ws.path().join("scripts/bad.rhai"), b"fn f() { \"\xE9\" }\n").unwrap();
    let err = check_err_in(ws.path());
    assert_eq!(count(&err, "scripts/bad.rhai is not UTF-8"), 1, "{err}");
}

#[test]
fn a_rules_path_that_is_a_file_is_an_error() {
    let policy = format!("{HEAD}{TIERS}");
    let err = check_err(&policy, &[("rules", "params: {}\n")]);
    assert!(
        err.contains("`rules` is a file, but powerbase reads rules/ as a folder"),
        "{err}"
    );
}

/// The effective user id, from `id -u`.
fn user_id() -> String {
    let out = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn an_unreadable_rules_folder_is_reported_once() {
    use std::os::unix::fs::PermissionsExt;
    let policy = format!("{HEAD}{TIERS}");
    let ws = workspace(&policy, Some(CSV), &[("rules/sub/a.yaml", "params: {}\n")]);
    let set_mode = |path: &str, mode: u32| {
        std::fs::set_permissions(ws.path().join(path), std::fs::Permissions::from_mode(mode))
            .unwrap();
    };
    set_mode("", 0o755);
    set_mode("rules", 0o000);
    // Root reads any folder: run as an unprivileged user then.
    let mut cmd = if user_id() == "0" {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(assert_cmd::cargo::cargo_bin("powerbase"));
        c
    } else {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("powerbase"))
    };
    let out = cmd.arg("check").arg(ws.path()).output().unwrap();
    set_mode("rules", 0o755);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        count(&err, "cannot list the folder rules: permission denied"),
        1,
        "{err}"
    );
    assert_eq!(errors(&err), 1, "{err}");
    assert_no_jargon(&err);
}

const REFUNDS: &str = "id,day,amount\na,2024-01-05,-10.00\nb,2024-03-01,0\nc,2024-03-02,-5\n";

#[test]
fn zero_or_negative_revenue_shows_a_dash_not_nan() {
    let policy = format!("{HEAD}{TIERS}");
    let ws = workspace(&policy, Some(REFUNDS), &[]);
    let out = run_ok(ws.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let md = std::fs::read_to_string(ws.path().join("out/report.md")).unwrap();
    for text in [&*stdout, &*md] {
        assert!(!text.contains("NaN"), "NaN in:\n{text}");
    }
    assert!(stdout.contains("top 20% hold –"), "{stdout}");
    assert!(
        md.contains("| Rest | 3 | 100.0% | -$15 | – |"),
        "tier share of revenue: {md}"
    );
    assert!(md.contains("| 1 | b | Rest | $0.00 | 1 | – |"), "{md}");
    assert!(
        md.contains("shares of revenue are not meaningful"),
        "the brief says why: {md}"
    );
    assert!(
        !md.contains("hold 0.0% of revenue"),
        "a share of nothing is not 0%: {md}"
    );
}

/// A pipe whose only reader has exited: every write to it fails with a broken pipe.
fn pipe_without_reader() -> std::process::ChildStdin {
    let mut reader = std::process::Command::new("true")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let write_end = reader.stdin.take().unwrap();
    reader.wait().unwrap();
    write_end
}

#[test]
fn a_reader_that_goes_away_ends_the_run_quietly() {
    let policy = format!("{HEAD}{TIERS}");
    let ws = workspace(&policy, Some(CSV), &[]);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("powerbase"))
        .arg("run")
        .arg(ws.path())
        .stdout(Stdio::from(pipe_without_reader()))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "exit {:?}: {err}", out.status);
    assert!(err.is_empty(), "nothing to say about it: {err}");
    assert!(ws.path().join("out/report.md").exists());
}

#[test]
fn a_reader_of_both_outputs_that_goes_away_ends_the_run_quietly() {
    // `powerbase run --timings 2>&1 | head -1`: the timings go to standard error first.
    let policy = format!("{HEAD}{TIERS}");
    let ws = workspace(&policy, Some(CSV), &[]);
    let pipe = std::os::fd::OwnedFd::from(pipe_without_reader());
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("powerbase"))
        .arg("run")
        .arg(ws.path())
        .arg("--timings")
        .stderr(Stdio::from(pipe.try_clone().unwrap()))
        .stdout(Stdio::from(pipe))
        .status()
        .unwrap();
    assert!(out.success(), "a panic exits with 101: {out:?}");
}

#[test]
fn main_only_keys_in_a_rule_file_are_named_where_written() {
    let policy = format!("{HEAD}{TIERS}");
    let rule = "params:\n  x: 1\nclient: Other\nreport:\n  title: T\n";
    let err = check_err(&policy, &[("rules/extra.yaml", rule)]);
    for expected in [
        "`client` belongs in powerbase.yaml, not in a rule file",
        "rules/extra.yaml:3:9",
        "`report` belongs in powerbase.yaml, not in a rule file",
        "rules/extra.yaml:5:3",
        "2 problems found",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}
