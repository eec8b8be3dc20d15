//! `powerbase schema` describes exactly the keys the policy files may hold: every key of the
//! bundled example and the scaffold is in it, unknown keys are refused by it as by powerbase, and
//! `init` writes the schema its files point to.

mod support;

use serde_json::Value;
use support::*;

fn schema() -> Value {
    let out = powerbase().arg("schema").output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The object schema behind `s`: follows `$ref` and picks the non-null branch of `anyOf`.
fn resolve<'a>(root: &'a Value, s: &'a Value) -> &'a Value {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        return resolve(root, &root["$defs"][name]);
    }
    if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
        if let Some(x) = any
            .iter()
            .find(|x| x.get("type") != Some(&Value::from("null")))
        {
            return resolve(root, x);
        }
    }
    s
}

/// Every key of `doc` must be a property of its schema (maps of free names are `additionalProperties`).
fn keys_are_known(
    root: &Value,
    schema: &Value,
    doc: &Value,
    path: &str,
    unknown: &mut Vec<String>,
) {
    let schema = resolve(root, schema);
    match doc {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            for (k, v) in map {
                let here = format!("{path}.{k}");
                match props.and_then(|p| p.get(k)) {
                    Some(s) => keys_are_known(root, s, v, &here, unknown),
                    None => match schema.get("additionalProperties") {
                        Some(Value::Bool(false)) | None => unknown.push(here),
                        Some(s) => keys_are_known(root, s, v, &here, unknown),
                    },
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    keys_are_known(root, item, v, &format!("{path}[{i}]"), unknown);
                }
            }
        }
        _ => {}
    }
}

fn yaml(path: &std::path::Path) -> Value {
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_key_of_the_bundled_policies_is_in_the_schema() {
    let root = schema();
    let files = [
        "examples/cdnow/powerbase.yaml",
        "examples/cdnow/rules/tiers.yaml",
        "examples/cdnow/rules/value.yaml",
        "src/cmd/scaffold/powerbase.yaml",
        "rules/rfm.yaml",
        "rules/data-quality.yaml",
    ];
    for f in files {
        let mut unknown = Vec::new();
        keys_are_known(&root, &root, &yaml(&repo().join(f)), "", &mut unknown);
        assert!(
            unknown.is_empty(),
            "{f}: keys missing from the schema: {unknown:?}"
        );
    }
    // A misspelt key is outside the schema, as powerbase itself refuses it.
    let doc: Value = serde_saphyr::from_str("tiers:\n  - name: A\n    wen: revenue > 1\n").unwrap();
    let mut unknown = Vec::new();
    keys_are_known(&root, &root, &doc, "", &mut unknown);
    assert_eq!(unknown, vec![".tiers[0].wen".to_string()]);
}

#[test]
fn init_writes_the_schema_its_files_point_to() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ws");
    powerbase().arg("init").arg(&dir).assert().success();
    let policy = std::fs::read_to_string(dir.join("powerbase.yaml")).unwrap();
    assert!(policy.starts_with("# yaml-language-server: $schema=./powerbase.schema.json\n"));
    let written: Value =
        serde_json::from_slice(&std::fs::read(dir.join("powerbase.schema.json")).unwrap()).unwrap();
    assert_eq!(written, schema());
    powerbase().arg("check").arg(&dir).assert().success();
}

#[test]
fn the_bad_row_keys_are_described() {
    let root = schema();
    let src = resolve(&root, &root["$defs"]["TransactionSource"]);
    let props = &src["properties"];
    let on = resolve(&root, &props["on_bad_rows"]);
    let values: Vec<&str> = on["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["const"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["fail", "quarantine"]);
    assert_eq!(props["on_bad_rows"]["default"], "fail");
    // max_rejected: a number or a percentage text.
    // (`resolve` would pick the first branch of the share's own `anyOf`.)
    assert_eq!(props["max_rejected"]["anyOf"][0]["$ref"], "#/$defs/Share");
    let share = &root["$defs"]["Share"];
    let kinds: Vec<&str> = share["anyOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["number", "string"]);
}
