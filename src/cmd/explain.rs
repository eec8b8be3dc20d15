//! `powerbase explain WORKSPACE CUSTOMER_ID`: why one customer is in its tier, as text or JSON.
//! Runs the pipeline as `run` does (prepare, as-of date, evaluate) without writing anything, then
//! prints [`powerbase::engine::explain::explain`]'s answer.
//!
//! The JSON shape (stable; keys in this order):
//!
//! ```text
//! { "customer_id": "00002", "as_of": "1998-06-30", "tier": "Economy", "reason": "(last tier)",
//!   "metrics": [ { "name": "revenue", "kind": "builtin" | "attribute" | "derived", "value": 89.00 } ],
//!   "rules": [ { "tier": "First", "rule": "revenue >= ..." | null, "matched": true | false | null,
//!                "holds": true | false | null, "reads": { "revenue": 89.00, ... },
//!                "populations": [ { "call": "percentile(\"revenue\", 0.95)", "value": 812.4 | null } ] } ],
//!   "distance": null | { "to": "Business", "text": "needs ...", "computable": true | false,
//!                        "need": null | NEED },
//!   "checks": [ { "name": "one_and_done", "severity": "info", "message": "..." } ] }
//! NEED = { "all": [NEED, ...] } | { "any": [NEED, ...] } | { "met": true }
//!      | { "metric": "revenue", "value": 89.0, "op": ">=", "threshold": 150, "source": "expression
//!          first_class_min / 2", "change": 61.0, "strict": false }
//! ```
//!
//! Values are JSON numbers (money with two decimals), strings (text, ISO dates), booleans, or
//! null when empty. `matched` is null for rules after the one that placed the customer (not
//! reached); `holds` then tells whether the rule would hold, where powerbase can evaluate it on its
//! own.

use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use powerbase::data::{format_cents, Day};
use powerbase::engine::explain::{self, Explanation, Need, RuleExplanation};
use powerbase::engine::tree::Number as TreeNumber;
use powerbase::metrics::{Kind, Origin, Value};
use powerbase::pipeline;
use powerbase::report::format;
use powerbase::workspace::overrides::Override;
use serde_json::{json, Map, Number};

use super::progress::Bar;
use super::OutputFormat;

/// Evaluates the workspace (with `overrides`) and prints why `customer_id` is in its tier.
pub fn explain(
    workspace: &Path,
    customer_id: &str,
    as_of: Option<Day>,
    overrides: &[Override],
    format: OutputFormat,
) -> powerbase::Result<()> {
    let prepared = pipeline::prepare_with(workspace, overrides)?;
    let as_of = prepared.as_of(as_of, None)?;
    let bar = Bar::new(format == OutputFormat::Json);
    let outcome = prepared.evaluate(as_of, Some(&bar));
    bar.finish();
    let outcome = outcome?;
    let policy = &prepared.workspace.policy;
    let e = explain::explain(policy, &outcome.table, &outcome.evaluation, customer_id)?;
    let text = match format {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&to_json(&e, as_of)).expect("plain values") + "\n"
        }
        OutputFormat::Human => human(&e, as_of, &policy.currency),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(super::stdout_error)
}

/// A value as JSON: money as a number with two decimals, dates as ISO text, empty as null.
fn json_value(v: &Value<'_>) -> serde_json::Value {
    match *v {
        Value::Empty => serde_json::Value::Null,
        Value::Int(i) => json!(i),
        Value::Money(c) => {
            serde_json::Value::Number(Number::from_str(&format_cents(c)).expect("a decimal"))
        }
        Value::Float(f) => Number::from_f64(f).map_or(serde_json::Value::Null, Into::into),
        Value::Date(d) => json!(d.to_string()),
        Value::Text(t) => json!(t),
        Value::Bool(b) => json!(b),
    }
}

fn origin_name(o: Origin) -> &'static str {
    match o {
        Origin::Builtin => "builtin",
        Origin::Attribute => "attribute",
        Origin::Derived => "derived",
    }
}

fn float(v: f64) -> serde_json::Value {
    Number::from_f64(v).map_or(serde_json::Value::Null, Into::into)
}

/// A number as JSON: integers as integers, money with two decimals.
fn number(n: TreeNumber, money: bool) -> serde_json::Value {
    match n {
        TreeNumber::Int(i) => json!(i),
        TreeNumber::Float(f) if money && f.is_finite() => {
            serde_json::Value::Number(Number::from_str(&format!("{f:.2}")).expect("a decimal"))
        }
        TreeNumber::Float(f) => float(f),
    }
}

fn need_json(need: &Need) -> serde_json::Value {
    match need {
        Need::Met => json!({ "met": true }),
        Need::All(parts) => json!({ "all": parts.iter().map(need_json).collect::<Vec<_>>() }),
        Need::Any(parts) => json!({ "any": parts.iter().map(need_json).collect::<Vec<_>>() }),
        Need::Change(c) => {
            let money = c.kind == Kind::Money;
            json!({
                "metric": c.metric,
                "value": number(c.value, money),
                "op": c.op.symbol(),
                "threshold": number(c.threshold, false),
                "source": c.source,
                "change": match c.kind {
                    Kind::Int => json!(c.change.round() as i64),
                    Kind::Money => number(TreeNumber::Float(c.change), true),
                    _ => float(c.change),
                },
                "strict": c.strict,
            })
        }
    }
}

fn rule_json(r: &RuleExplanation<'_>) -> serde_json::Value {
    let reads: Map<String, serde_json::Value> = r
        .reads
        .iter()
        .map(|(name, v)| (name.clone(), json_value(v)))
        .collect();
    json!({
        "tier": r.tier,
        "rule": r.rule,
        "matched": r.matched,
        "holds": r.holds,
        "reads": reads,
        "populations": r.populations.iter().map(|p| json!({
            "call": p.call,
            "value": p.value.map(float),
        })).collect::<Vec<_>>(),
    })
}

/// The explanation in the documented JSON shape.
fn to_json(e: &Explanation<'_>, as_of: Day) -> serde_json::Value {
    json!({
        "customer_id": e.customer_id,
        "as_of": as_of.to_string(),
        "tier": e.tier,
        "reason": e.reason,
        "metrics": e.metrics.iter().map(|m| json!({
            "name": m.name,
            "kind": origin_name(m.origin),
            "value": json_value(&m.value),
        })).collect::<Vec<_>>(),
        "rules": e.rules.iter().map(rule_json).collect::<Vec<_>>(),
        "distance": e.distance.as_ref().map(|d| json!({
            "to": d.to,
            "text": d.text,
            "computable": d.need.is_some(),
            "need": d.need.as_ref().map(need_json),
        })),
        "checks": e.checks.iter().map(|c| json!({
            "name": c.name,
            "severity": c.severity,
            "message": c.message,
        })).collect::<Vec<_>>(),
    })
}

/// A value for reading: money in the currency with cents, counts with separators.
fn shown(v: &Value<'_>, currency: &str) -> String {
    match *v {
        Value::Empty => "(empty)".to_string(),
        Value::Int(i) => format::thousands(i),
        Value::Money(c) => format::money(c as f64 / 100.0, currency, 2),
        Value::Float(f) => explain::plain(f),
        Value::Date(d) => d.to_string(),
        Value::Text(t) => format!("\"{t}\""),
        Value::Bool(b) => b.to_string(),
    }
}

/// Whether the rule matched, in words.
fn verdict(r: &RuleExplanation<'_>) -> &'static str {
    match (r.matched, r.holds) {
        (Some(true), _) if r.rule.is_none() => {
            "placed here: the last tier takes every customer no rule above placed"
        }
        (Some(true), _) => "holds: placed here",
        (Some(false), _) => "does not hold",
        (None, Some(true)) => "not reached (would also hold)",
        (None, Some(false)) => "not reached (would not hold)",
        (None, None) => "not reached",
    }
}

/// The explanation as text for a consultant (also shown for a failing policy test's customer).
pub(super) fn human(e: &Explanation<'_>, as_of: Day, currency: &str) -> String {
    let mut out = format!(
        "Customer {} is in {} (reason: {}), as of {as_of}.\n\nMetrics\n",
        e.customer_id, e.tier, e.reason
    );
    let values: Vec<String> = e
        .metrics
        .iter()
        .map(|m| shown(&m.value, currency))
        .collect();
    let width = e.metrics.iter().map(|m| m.name.len()).max().unwrap_or(0);
    let value_width = values.iter().map(|v| v.chars().count()).max().unwrap_or(0);
    for (m, value) in e.metrics.iter().zip(&values) {
        out.push_str(&format!(
            "  {:<width$}  {:<value_width$}  {}\n",
            m.name,
            value,
            origin_name(m.origin)
        ));
    }
    out.push_str("\nTier rules, in order (a customer lands in the first tier whose rule holds)\n");
    for (i, r) in e.rules.iter().enumerate() {
        out.push_str(&format!("  {}. {}: {}\n", i + 1, r.tier, verdict(r)));
        if let Some(rule) = r.rule {
            out.push_str(&format!("     rule: {rule}\n"));
        }
        if !r.reads.is_empty() {
            let reads: Vec<String> = r
                .reads
                .iter()
                .map(|(n, v)| format!("{n} = {}", shown(v, currency)))
                .collect();
            out.push_str(&format!("     reads: {}\n", reads.join(", ")));
        }
        for p in &r.populations {
            let value = match p.value {
                Some(v) if p.money => format::number(v, 2),
                Some(v) => explain::plain(v),
                None => "depends on the customer".to_string(),
            };
            out.push_str(&format!("     figure: {} = {value}\n", p.call));
        }
    }
    match &e.distance {
        Some(d) => out.push_str(&format!("\nTo reach {}: {}.\n", d.to, d.text)),
        None => out.push_str("\nThis is the top tier.\n"),
    }
    if e.checks.is_empty() {
        out.push_str("\nNo check fired for this customer.\n");
    } else {
        out.push_str("\nChecks that fired\n");
        for c in &e.checks {
            out.push_str(&format!(
                "  {} ({}): {}\n",
                c.name,
                format!("{:?}", c.severity).to_lowercase(),
                c.message
            ));
        }
    }
    out
}
