//! Runaway rules, plugins and templates on the real CDNOW example (23,570 customers) stop with an
//! error naming the rule, its file and line, and the customer; plugin errors name their own
//! file and line; a number compared with a text is an error, not a silent `false`.
//!
//! These tests assert what the error says, never how long it took (that is measured by hand).

mod support;

use std::path::Path;

use support::*;

/// The example workspace in a temporary folder, with `edit` applied to its files.
fn cdnow(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/cdnow"), tmp.path());
    edit(tmp.path());
    tmp
}

/// Adds derived metrics at the top of `rules/value.yaml` (line 3 onwards).
fn with_metrics(dir: &Path, metrics: &str) {
    let path = dir.join("rules/value.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replacen("metrics:\n", &format!("metrics:\n{metrics}"), 1);
    std::fs::write(path, text).unwrap();
}

fn append(dir: &Path, file: &str, text: &str) {
    let path = dir.join(file);
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("{old}{text}")).unwrap();
}

/// Runs and returns (exit code, stderr).
fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = powerbase().arg("run").arg(dir).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_has(err: &str, parts: &[&str]) {
    for part in parts {
        assert!(err.contains(part), "missing {part:?} in:\n{err}");
    }
}

#[test]
fn an_endless_loop_in_a_metric_stops_at_the_first_customer() {
    let ws = cdnow(|d| with_metrics(d, "  spin: loop { }\n"));
    let (code, err) = run(ws.path(), &["--quiet"]);
    assert_eq!(code, Some(1));
    assert_has(
        &err,
        &[
            "metric `spin` failed for customer 00001: too many operations",
            "--> rules/value.yaml:3:14",
            "at most 1,000,000 operations per customer",
        ],
    );
    assert!(
        !ws.path().join("out").exists(),
        "a failed run writes nothing"
    );
}

#[test]
fn an_endless_loop_in_a_plugin_stops_naming_the_rule_that_called_it() {
    let ws = cdnow(|d| {
        append(
            d,
            "scripts/value.rhai",
            "\nfn spin(x) {\n    let n = 0;\n    loop { n += 1; }\n}\n",
        );
        with_metrics(d, "  spun: spin(revenue)\n");
    });
    let (code, err) = run(ws.path(), &["--quiet"]);
    assert_eq!(code, Some(1));
    assert_has(
        &err,
        &[
            "metric `spun` failed for customer 00001: too many operations",
            "--> rules/value.yaml:3:9",
        ],
    );
}

#[test]
fn a_growing_map_stops_at_the_first_customer() {
    let ws = cdnow(|d| {
        with_metrics(
            d,
            "  grow: |\n    { let m = #{}; for i in 0..20000 { m[`k${i}`] = i; } m.len() }\n",
        )
    });
    let (code, err) = run(ws.path(), &["--quiet"]);
    assert_eq!(code, Some(1));
    assert_has(
        &err,
        &[
            "metric `grow` failed for customer 00001: Size of object map too large",
            "--> rules/value.yaml:4:",
            "an array or map 10,000 elements",
        ],
    );
}

#[test]
fn a_million_prints_per_customer_stop_at_the_first_customer() {
    let ws = cdnow(|d| {
        with_metrics(
            d,
            "  chatty: |\n    { for i in 0..1000000 { print(i); } revenue }\n",
        )
    });
    let (code, err) = run(ws.path(), &[]);
    assert_eq!(code, Some(1));
    assert_has(
        &err,
        &[
            "metric `chatty` failed for customer 00001: too many operations",
            "--> rules/value.yaml:4",
        ],
    );
}

#[test]
fn printed_output_is_capped_with_a_note_of_what_was_dropped() {
    let ws = cdnow(|d| with_metrics(d, "  noisy: |\n    { print(revenue); revenue }\n"));
    let (code, err) = run(ws.path(), &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err.matches("script: ").count(), 201, "{err}");
    assert_has(
        &err,
        &["script: ... and 23,370 more lines not kept (scripts printed 23,570 lines; the first 200 are shown)"],
    );
}

#[test]
fn slow_rules_stop_at_the_time_budget_naming_rule_file_and_customer() {
    let ws = cdnow(|d| {
        with_metrics(
            d,
            "  slow: |\n    { let x = 0; for i in 0..100000 { x += i; } x }\n",
        )
    });
    let (code, err) = run(ws.path(), &["--quiet", "--rule-timeout", "1s"]);
    assert_eq!(code, Some(1));
    assert_has(
        &err,
        &[
            "rules took longer than the 1 s budget (--rule-timeout); stopped at metric `slow` for customer ",
            "--> rules/value.yaml:4:5",
            "allow more time with --rule-timeout",
        ],
    );
}

#[test]
fn the_rule_timeout_takes_a_duration_with_a_unit() {
    let ws = cdnow(|_| {});
    for (value, expected) in [
        (
            "10",
            "expected a duration like 10s, 500ms or 2m, found `10`",
        ),
        ("0s", "the timeout must be more than 0"),
        ("fast", "expected a duration like 10s"),
    ] {
        let (code, err) = run(ws.path(), &["--rule-timeout", value]);
        assert_eq!(code, Some(2), "{value}");
        assert_has(&err, &[expected]);
    }
}

#[test]
fn nested_template_loops_stop_at_the_iteration_limit_naming_the_loop() {
    let template = "{% extends \"builtin/report.md\" %}\n{% block next %}\n## Extra\n{% for i in range(end=100000) %}{% for j in range(end=100000) %}{% endfor %}{% endfor %}\n{% endblock next %}\n";
    let ws = cdnow(|d| append(d, "templates/report.md", template));
    let (code, err) = run(ws.path(), &["--quiet"]);
    assert_eq!(code, Some(1));
    assert_has(
        &err,
        &[
            "report template `report.md` stopped: its loops ran more than 1,000,000 times",
            "--> templates/report.md:4:33",
        ],
    );
}

#[test]
fn a_plugin_error_names_its_own_file_and_line() {
    let aaa = "// helpers\n\nfn check_value(v) {\n    if v > 0 {\n        return v;\n    }\n    throw `no revenue: ${v}`;\n}\n";
    let ws = cdnow(|d| {
        append(d, "scripts/aaa.rhai", aaa);
        with_metrics(d, "  checked: check_value(revenue - 1000000)\n");
    });
    let (code, err) = run(ws.path(), &["--quiet"]);
    assert_eq!(code, Some(1));
    assert_has(
        &err,
        &[
            "metric `checked` failed for customer 00001: in function `check_value` (scripts/aaa.rhai:7): no revenue: -",
            "--> rules/value.yaml:3:12",
        ],
    );
    assert!(!err.contains("value.rhai"), "{err}");
}

#[test]
fn a_plugin_that_replaces_a_builtin_function_is_an_error() {
    let ws = cdnow(|d| {
        append(
            d,
            "scripts/value.rhai",
            "\nfn percentile(name, q) {\n    0.0\n}\n",
        )
    });
    let out = powerbase().arg("check").arg(ws.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_has(
        &err,
        &[
            "plugin function `percentile` with 2 arguments has the name of a built-in function",
            "--> scripts/value.rhai:11:4",
        ],
    );
}

#[test]
fn a_quoted_number_param_is_caught_by_check() {
    let ws = cdnow(|d| {
        let path = d.join("powerbase.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("lapse_days: 180 ", "lapse_days: '180'")).unwrap();
    });
    let out = powerbase().arg("check").arg(ws.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_has(
        &err,
        &[
            "check `lapsed_first_class_spenders`: `recency_days > lapse_days` compares a number with param `lapse_days`, the text \"180\", which is never true",
            "--> rules/value.yaml:",
            "write `lapse_days: 180` without quotes",
        ],
    );
    let (code, _) = run(ws.path(), &["--quiet"]);
    assert_eq!(code, Some(1), "run refuses it too");
}

#[test]
fn rules_and_plugins_cannot_read_the_clock() {
    // The same inputs must give the same outputs: `timestamp()` would make a rule depend on when
    // it ran, so the engine is built without it.
    let ws = cdnow(|d| with_metrics(d, "  now: timestamp()\n"));
    let out = powerbase().arg("check").arg(ws.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_has(&err, &["timestamp", "rules/value.yaml:3"]);
}
