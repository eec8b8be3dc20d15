//! `summary.json`: the headline figures, for other tools and for comparing runs.

use std::str::FromStr;

use serde::Serialize;
use serde_json::{json, Number, Value};

use crate::analysis::{Analysis, RuleCoverage};
use crate::data::format_cents;
use crate::engine::tree::Number as TreeNumber;
use crate::provenance::Provenance;
use crate::workspace::Policy;

/// Money as a JSON number with exactly two decimals (the exact value).
fn money(cents: i64) -> Value {
    Value::Number(Number::from_str(&format_cents(cents)).expect("a decimal number"))
}

fn float(v: f64) -> Value {
    Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// A threshold: integers as integers, money with two decimals.
fn threshold(n: TreeNumber, is_money: bool) -> Value {
    match n {
        TreeNumber::Int(i) => Value::from(i),
        TreeNumber::Float(f) if is_money && f.is_finite() => {
            Value::Number(Number::from_str(&format!("{f:.2}")).expect("a decimal number"))
        }
        TreeNumber::Float(f) => float(f),
    }
}

/// One tier rule's coverage.
fn coverage_json(c: &RuleCoverage) -> Value {
    json!({
        "tier": c.tier,
        "rule": c.rule,
        "placed": c.placed,
        "holds": c.holds,
        "undecided": c.undecided,
        "shadowed": c.shadowed,
        "note": c.note,
        "near_threshold": c.near_threshold.iter().map(|n| json!({
            "metric": n.metric,
            "op": n.op,
            "threshold": threshold(n.threshold, n.money),
            "source": n.source,
            "customers": n.customers,
        })).collect::<Vec<_>>(),
    })
}

/// The summary as pretty-printed JSON bytes, keys in a fixed order.
pub fn summary_json(
    policy: &Policy,
    analysis: &Analysis,
    provenance: Option<&Provenance>,
) -> Vec<u8> {
    let q = &analysis.quality;
    let tiers: Vec<Value> = analysis
        .tiers
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "customers": t.customers,
                "customer_share": float(t.customer_share),
                "revenue": money(t.revenue),
                "revenue_share": float(t.revenue_share),
                "margin": money(t.margin),
                "margin_share": float(t.margin_share),
                "avg_revenue": float(t.avg_revenue),
                "orders": t.orders,
            })
        })
        .collect();
    let findings: Vec<Value> = analysis
        .findings
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "severity": f.severity,
                "message": f.message,
                "customers": f.customers,
                "revenue": money(f.revenue),
                "revenue_share": float(f.revenue_share),
                "largest": f.largest.as_ref().map(|c| json!({ "customer_id": c.id, "revenue": money(c.revenue) })),
            })
        })
        .collect();
    let coverage: Vec<Value> = analysis.coverage.iter().map(coverage_json).collect();
    let c = &analysis.concentration;
    let mut summary = json!({
        "client": policy.client,
        "currency": policy.currency,
        "as_of": analysis.as_of.to_string(),
        "transactions": {
            "read": q.rows_read,
            "used": q.rows_used,
            "excluded_after_as_of": q.excluded_after_as_of,
            "zero_amount": q.zero_amount_rows,
            "refunds": q.refund_rows,
            "first_date": q.first_day.map(|d| d.to_string()),
            "last_date": q.last_day.map(|d| d.to_string()),
        },
        "customers": analysis.customers,
        "customers_net_nonpositive": q.customers_net_nonpositive,
        "attribute_rows_without_transactions": q.attribute_rows_without_transactions,
        "total_revenue": money(analysis.total_revenue),
        "total_margin": money(analysis.total_margin),
        "concentration": {
            "top20_share": float(c.top20_share),
            "top20_customers": c.top20_customers,
            "customers_for_80": c.customers_for_80,
            "customer_share_for_80": float(c.customer_share_for_80),
            "gini": float(c.gini),
        },
        "tiers": tiers,
        "findings": findings,
        "coverage": coverage,
    });
    if let (Some(p), Value::Object(map)) = (provenance, &mut summary) {
        map.insert(
            "provenance".into(),
            serde_json::to_value(p).expect("plain values"),
        );
    }
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b"  "),
    );
    summary.serialize(&mut ser).expect("writing to memory");
    out.push(b'\n');
    out
}
