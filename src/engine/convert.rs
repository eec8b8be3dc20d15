//! Between metric values and Rhai values.

use rhai::{Dynamic, FLOAT, INT};

use crate::error::Diagnostic;
use crate::metrics::{Column, Value, EMPTY_BOOL, EMPTY_INT};
use crate::workspace::ParamValue;

/// A param as a Rhai value.
pub fn param(v: &ParamValue) -> Dynamic {
    match v {
        ParamValue::Int(i) => Dynamic::from_int(*i as INT),
        ParamValue::Float(f) => Dynamic::from_float(*f as FLOAT),
        ParamValue::Bool(b) => Dynamic::from_bool(*b),
        ParamValue::Text(t) => Dynamic::from(t.clone()),
    }
}

/// A cell as a Rhai value: counts are integers, money and ratios floats, dates ISO strings, empty
/// cells `()` (which compares false with everything).
pub fn dynamic(v: Value<'_>) -> Dynamic {
    match v {
        Value::Empty => Dynamic::UNIT,
        Value::Int(i) => Dynamic::from_int(i as INT),
        Value::Money(c) => Dynamic::from_float(c as FLOAT / 100.0),
        Value::Float(f) => Dynamic::from_float(f as FLOAT),
        Value::Date(d) => Dynamic::from(d.to_string()),
        Value::Text(t) => Dynamic::from(t.to_string()),
        Value::Bool(b) => Dynamic::from_bool(b),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    Unit,
    Int,
    Float,
    Bool,
    Text,
}

fn shape(v: &Dynamic) -> Option<Shape> {
    if v.is_unit() {
        Some(Shape::Unit)
    } else if v.is_int() {
        Some(Shape::Int)
    } else if v.is_float() {
        Some(Shape::Float)
    } else if v.is_bool() {
        Some(Shape::Bool)
    } else if v.is_string() || v.is_char() {
        Some(Shape::Text)
    } else {
        None
    }
}

/// A derived metric's values as a typed column: integers stay integers, integers mixed with floats
/// become floats; flags and texts keep their type. Anything else is an error naming the customers.
pub fn column(name: &str, ids: &[String], values: Vec<Dynamic>) -> Result<Column, Diagnostic> {
    let mut kind = Shape::Unit;
    let mut witness: Option<(Shape, usize)> = None;
    for (i, v) in values.iter().enumerate() {
        let s = shape(v).ok_or_else(|| {
            Diagnostic::new(format!(
                "metric `{name}` gave {} ({}) for customer {}; a metric must be a number, true/false or a text",
                v,
                v.type_name(),
                ids[i]
            ))
            .code("expr/bad-metric-value")
        })?;
        let merged = match (kind, s) {
            (k, Shape::Unit) => k,
            (Shape::Unit, s) => s,
            (Shape::Int, Shape::Float) | (Shape::Float, Shape::Int) => Shape::Float,
            (k, s) if k == s => k,
            (k, s) => {
                let (_, first) = witness.expect("a typed value was seen");
                return Err(Diagnostic::new(format!(
                    "metric `{name}` gives {} for customer {} but {} for customer {}; a metric has one type",
                    describe(k),
                    ids[first],
                    describe(s),
                    ids[i]
                ))
                .code("expr/mixed-types"));
            }
        };
        if witness.is_none() && s != Shape::Unit {
            witness = Some((s, i));
        }
        kind = merged;
    }
    Ok(match kind {
        Shape::Unit | Shape::Float => Column::Float(
            values
                .iter()
                .map(|v| {
                    v.as_float()
                        .or_else(|_| v.as_int().map(|i| i as FLOAT))
                        .unwrap_or(f64::NAN)
                })
                .collect(),
        ),
        Shape::Int => Column::Int(
            values
                .iter()
                .map(|v| v.as_int().unwrap_or(EMPTY_INT))
                .collect(),
        ),
        Shape::Bool => Column::Bool(
            values
                .iter()
                .map(|v| v.as_bool().map(u8::from).unwrap_or(EMPTY_BOOL))
                .collect(),
        ),
        Shape::Text => Column::Text(
            values
                .into_iter()
                .map(|v| {
                    if v.is_unit() {
                        None
                    } else {
                        Some(v.to_string())
                    }
                })
                .collect(),
        ),
    })
}

/// Amounts of money as cents, rounded to the nearest cent (halves away from zero). A value that is
/// not a finite number within range is an error: the row and what was found.
pub fn cents(values: &[Dynamic]) -> Result<Vec<i64>, (usize, String)> {
    /// Beyond this many currency units, cents no longer fit exactly.
    const LIMIT: f64 = 90_000_000_000_000_000.0 / 100.0;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let found = || {
                if v.is_unit() {
                    "nothing (an empty value)".to_string()
                } else {
                    format!("{v} ({})", v.type_name())
                }
            };
            if let Ok(n) = v.as_int() {
                return n.checked_mul(100).ok_or_else(|| (i, found()));
            }
            match v.as_float() {
                Ok(f) if f.is_finite() && f.abs() < LIMIT => Ok((f * 100.0).round() as i64),
                _ => Err((i, found())),
            }
        })
        .collect()
}

fn describe(s: Shape) -> &'static str {
    match s {
        Shape::Unit => "nothing",
        Shape::Int | Shape::Float => "a number",
        Shape::Bool => "true/false",
        Shape::Text => "a text",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("c{i}")).collect()
    }

    #[test]
    fn integers_and_floats_mix_into_floats() {
        let c = column(
            "x",
            &ids(3),
            vec![
                Dynamic::from_int(2),
                Dynamic::from_float(0.5),
                Dynamic::UNIT,
            ],
        )
        .unwrap();
        match c {
            Column::Float(v) => {
                assert_eq!(v[..2], [2.0, 0.5]);
                assert!(v[2].is_nan());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            column("x", &ids(1), vec![Dynamic::from_int(7)]).unwrap(),
            Column::Int(vec![7])
        );
    }

    #[test]
    fn mixed_types_name_both_customers() {
        let e = column(
            "seg",
            &ids(3),
            vec![
                Dynamic::UNIT,
                Dynamic::from_int(1),
                Dynamic::from("gold".to_string()),
            ],
        )
        .unwrap_err();
        assert!(
            e.message.contains("c1") && e.message.contains("c2"),
            "{}",
            e.message
        );
    }
}
