//! Workspace plugin functions as Tera filters and functions (`plugins:` in powerbase.yaml): the
//! value before `|`, or the map of keyword arguments, is handed to the Rhai function as a plain
//! value (numbers, texts, flags, lists and maps of them) and what it gives back is shown.

use rhai::{Array, Dynamic, Map as RhaiMap};
use tera::{Filter, Function, Kwargs, State, Tera, TeraResult, Value};

use crate::engine::{CallKind, TemplateCalls};

/// Registers every plugin filter and function of `calls` in `tera`.
pub fn register(tera: &mut Tera, calls: &TemplateCalls) {
    for name in calls.names(CallKind::Filter) {
        tera.register_filter(name.to_string(), PluginFilter(Call::new(calls, name)));
    }
    for name in calls.names(CallKind::Function) {
        tera.register_function(name.to_string(), PluginFunction(Call::new(calls, name)));
    }
}

/// One plugin function.
struct Call {
    calls: TemplateCalls,
    name: String,
}

impl Call {
    fn new(calls: &TemplateCalls, name: &str) -> Call {
        Call {
            calls: calls.clone(),
            name: name.to_string(),
        }
    }

    fn run(&self, kind: CallKind, argument: Dynamic) -> TeraResult<Value> {
        let out = self
            .calls
            .call(kind, &self.name, argument)
            .map_err(tera::Error::message)?;
        to_value(&out).ok_or_else(|| {
            tera::Error::message(format!(
                "plugin function `{}` gave {} ({}); a template shows numbers, texts, true/false and lists or maps of them",
                self.name,
                out,
                out.type_name()
            ))
        })
    }
}

struct PluginFilter(Call);

impl Filter<&Value, TeraResult<Value>> for PluginFilter {
    fn call(&self, value: &Value, kwargs: Kwargs, _: &State) -> TeraResult<Value> {
        if let Some((key, _)) = kwargs.iter().next() {
            return Err(tera::Error::message(format!(
                "the plugin filter `{}` takes no arguments, found `{}`",
                self.0.name,
                key.as_str().unwrap_or_default()
            )));
        }
        self.0.run(CallKind::Filter, to_dynamic(value))
    }
}

struct PluginFunction(Call);

impl Function<TeraResult<Value>> for PluginFunction {
    fn call(&self, kwargs: Kwargs, _: &State) -> TeraResult<Value> {
        let mut map = RhaiMap::new();
        for (key, value) in kwargs.iter() {
            let key = key.as_str().unwrap_or_default();
            map.insert(key.into(), to_dynamic(value));
        }
        self.0.run(CallKind::Function, Dynamic::from_map(map))
    }
}

/// A template value as a Rhai value: nothing for none or undefined.
fn to_dynamic(value: &Value) -> Dynamic {
    if value.is_none() || value.is_undefined() {
        Dynamic::UNIT
    } else if let Some(b) = value.as_bool() {
        Dynamic::from_bool(b)
    } else if let (true, Some(i)) = (value.is_i64(), value.as_i64()) {
        Dynamic::from_int(i)
    } else if let Some(f) = value.as_f64().filter(|_| value.is_number()) {
        Dynamic::from_float(f)
    } else if let Some(s) = value.as_str() {
        Dynamic::from(s.to_string())
    } else if let Some(items) = value.as_array() {
        Dynamic::from_array(items.iter().map(to_dynamic).collect::<Array>())
    } else if let Some(map) = value.as_map() {
        let mut out = RhaiMap::new();
        for (k, v) in map {
            out.insert(k.to_string().into(), to_dynamic(v));
        }
        Dynamic::from_map(out)
    } else {
        Dynamic::from(value.to_string())
    }
}

/// A Rhai value as a template value; `None` for values a template cannot show (functions,
/// custom types).
fn to_value(value: &Dynamic) -> Option<Value> {
    Some(if value.is_unit() {
        Value::none()
    } else if let Ok(b) = value.as_bool() {
        Value::from(b)
    } else if let Ok(i) = value.as_int() {
        Value::from(i)
    } else if let Ok(f) = value.as_float() {
        Value::from(f)
    } else if let Ok(c) = value.as_char() {
        Value::from(c)
    } else if value.is_string() {
        Value::from(value.clone().into_string().ok()?)
    } else if value.is_array() {
        let items = value.clone().into_array().ok()?;
        Value::from(items.iter().map(to_value).collect::<Option<Vec<_>>>()?)
    } else if value.is_map() {
        let map = value.clone().cast::<RhaiMap>();
        let mut out = std::collections::BTreeMap::new();
        for (k, v) in &map {
            out.insert(k.to_string(), to_value(v)?);
        }
        Value::from(out)
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_go_both_ways() {
        let v = crate::report::context::tera_value(&serde_json::json!({
            "n": 3, "x": 2.5, "s": "North", "b": true, "list": [1, "a"], "none": null
        }));
        let d = to_dynamic(&v);
        let map = d.clone().cast::<RhaiMap>();
        assert_eq!(map["n"].as_int(), Ok(3));
        assert_eq!(map["x"].as_float(), Ok(2.5));
        assert_eq!(map["s"].clone().into_string().unwrap(), "North");
        assert_eq!(map["b"].as_bool(), Ok(true));
        assert!(map["none"].is_unit());
        let back = to_value(&d).unwrap();
        let json = serde_json::to_value(&back).unwrap();
        assert_eq!(json["n"], 3);
        assert_eq!(json["x"], 2.5);
        assert_eq!(json["s"], "North");
        assert_eq!(json["list"][1], "a");
        assert!(json["none"].is_null());
        assert!(to_value(&Dynamic::from(std::time::Duration::ZERO)).is_none());
    }
}
