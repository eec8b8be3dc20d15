//! The values a report template sees: the report model ([`super::model::Report`]) serialised, plus
//! the names templates used before the model existed (documented in the README; every name here
//! is part of the template contract, so add rather than rename). A share that is not meaningful
//! is NaN in the model and `none` here; the `pct` and `num` filters print it as a dash.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};
use tera::Context;

use super::model::Report;

/// The template context of a run.
pub fn context(model: &Report) -> Context {
    let mut value = serde_json::to_value(model).expect("the report model serialises");
    if let Value::Object(map) = &mut value {
        add_template_names(map, model);
    }
    Context::from_serialize(&ForTera(&value)).expect("the report context serialises")
}

/// Any serialisable value as Tera sees it, money (exact JSON numbers) included.
pub(crate) fn tera_value<T: Serialize>(value: &T) -> tera::Value {
    let json = serde_json::to_value(value).expect("plain values serialise");
    tera::Value::from_serializable(&ForTera(&json))
}

/// The names templates read that the model holds under other names or in another shape.
fn add_template_names(map: &mut Map<String, Value>, model: &Report) {
    let t = &model.transactions;
    let currency = model.currency.clone();
    map.insert("powerbase_version".into(), json!(env!("CARGO_PKG_VERSION")));
    let doc = &model.document;
    map.insert("issued".into(), json!(doc.issued.to_string()));
    map.insert("status".into(), json!(doc.status_text()));
    map.insert(
        "draft".into(),
        json!(doc.status == crate::workspace::DocStatus::Draft),
    );
    map.insert("classification".into(), json!(doc.classification));
    map.insert("contents".into(), json!(doc.contents.name()));
    map.insert(
        "brand".into(),
        json!(doc.brand.map(|b| json!({
            "primary": b.primary.hex(),
            "accent": b.accent.map(|a| a.hex()),
        }))),
    );
    map.insert(
        "quality".into(),
        json!({
            "file": model.data_file,
            "rows_read": t.read,
            "rows_used": t.used,
            "excluded_after_as_of": t.excluded_after_as_of,
            "rejected": t.rejected,
            "rejected_note": t.rejected_sentence(&model.currency),
            "zero_amount_rows": t.zero_amount,
            "refund_rows": t.refunds,
            "customers_net_nonpositive": model.customers_net_nonpositive,
            "first_date": t.first_date,
            "last_date": t.last_date,
            "attribute_rows_without_transactions": model.attribute_rows_without_transactions,
        }),
    );
    if let Some(Value::Array(findings)) = map.get_mut("findings") {
        for (f, model) in findings.iter_mut().zip(&model.findings) {
            if let Value::Object(f) = f {
                let largest = model.largest.as_ref();
                f.insert("largest_id".into(), json!(largest.map(|l| &l.customer_id)));
                f.insert("largest_revenue".into(), json!(largest.map(|l| l.revenue)));
            }
        }
    }
    if let Some(Value::Array(rules)) = map.get_mut("coverage") {
        for (r, model) in rules.iter_mut().zip(&model.coverage) {
            for (key, list) in [
                ("near_threshold", &model.near_threshold),
                ("reachable", &model.reachable),
            ] {
                let Some(Value::Array(near)) = r.get_mut(key) else {
                    continue;
                };
                for (n, model) in near.iter_mut().zip(list) {
                    if let Value::Object(n) = n {
                        n.insert("threshold_text".into(), json!(model.text(&currency)));
                    }
                }
            }
        }
    }
    if let Some(p) = &model.provenance {
        map.insert(
            "provenance".into(),
            json!({
                "powerbase": p.powerbase,
                "policy": p.policy.describe(),
                "overrides": p.overrides,
                "data_files": p.data_files.iter().map(|f| json!({
                    "path": f.path,
                    "sha256": f.sha256,
                    "sha256_short": &f.sha256[..f.sha256.len().min(16)],
                })).collect::<Vec<_>>(),
            }),
        );
    }
}

/// A JSON value as Tera should see it: numbers as integers when they are whole numbers written
/// without a decimal point, floats otherwise (exact JSON numbers, such as money, are not numbers
/// to Tera's own serialiser).
struct ForTera<'a>(&'a Value);

impl Serialize for ForTera<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => s.serialize_none(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => s.serialize_i64(i),
                (None, Some(u)) => s.serialize_u64(u),
                _ => s.serialize_f64(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(text) => s.serialize_str(text),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&ForTera(item))?;
                }
                seq.end()
            }
            Value::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, &ForTera(v))?;
                }
                map.end()
            }
        }
    }
}
