//! The report's method appendix as data: the tier rules as written and as applied (params
//! replaced by their values), the definition of every metric the policy reads, and whether the
//! rounded shares add up.

use serde::Serialize;

use crate::analysis::Attribute;
use crate::engine::{names_read, substitute};
use crate::metrics::builtin;
use crate::workspace::strategy::{
    COMPONENT_PREFIX, COST_TO_SERVE, PROFIT, PROFIT_BEFORE_ACQUISITION,
};
use crate::workspace::{ParamValue, Policy};

/// How the report was made.
#[derive(Debug, Clone, Serialize)]
pub struct Method {
    /// One per tier, in policy order.
    pub rules: Vec<RuleText>,
    /// Every metric the tier rules, checks and personas read, directly or through derived
    /// metrics, in order of first use.
    pub metrics: Vec<Definition>,
    /// Why shares may not add to 100%, when the rounded tier shares do not; `None` when they do.
    pub rounding_note: Option<String>,
}

/// A tier's rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleText {
    /// The tier.
    pub tier: String,
    /// The rule as written; `None` for the last tier (everyone left).
    pub written: Option<String>,
    /// The rule with each param replaced by its value; `None` when it reads no param.
    pub applied: Option<String>,
}

/// A metric's definition.
#[derive(Debug, Clone, Serialize)]
pub struct Definition {
    /// Its name.
    pub name: String,
    /// `built-in`, `derived`, `profit` or `attribute`.
    pub kind: &'static str,
    /// What it is (built-in), or the expression that computes it.
    pub definition: String,
}

/// The method appendix of `policy`, whose data has `attributes`; `shares` are the tiers' customer
/// and revenue shares.
pub fn method(policy: &Policy, attributes: &[Attribute], shares: &[Vec<f64>]) -> Method {
    let value = |name: &str| {
        policy
            .params
            .iter()
            .find(|p| p.name == name)
            .map(|p| param_text(&p.value))
    };
    let rules = policy
        .tiers
        .iter()
        .map(|t| {
            let written = t.when.as_ref().map(|w| w.text.trim().to_string());
            let applied = written
                .as_ref()
                .map(|w| substitute(w, value))
                .filter(|a| Some(a) != written.as_ref());
            RuleText {
                tier: t.name.clone(),
                written,
                applied,
            }
        })
        .collect();
    let adds_up = shares
        .iter()
        .all(|s| s.is_empty() || crate::report::format::rounded_percents_add_up(s, 1));
    Method {
        rules,
        metrics: definitions(policy, attributes),
        rounding_note: (!adds_up).then(|| {
            "Each share is rounded on its own, so the shares of a table may not add to 100%."
                .to_string()
        }),
    }
}

/// A param's value as it would be written in a rule.
fn param_text(v: &ParamValue) -> String {
    match v {
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Float(f) => crate::engine::explain::plain(*f),
        ParamValue::Bool(b) => b.to_string(),
        ParamValue::Text(t) => format!("{t:?}"),
    }
}

/// The definitions of the metrics the policy's rules read, following derived metrics and profit
/// components to what they read.
fn definitions(policy: &Policy, attributes: &[Attribute]) -> Vec<Definition> {
    let mut queue: Vec<String> = Vec::new();
    let texts = policy
        .tiers
        .iter()
        .filter_map(|t| t.when.as_ref())
        .chain(policy.checks.iter().map(|c| &c.when))
        .chain(policy.personas.iter().map(|p| &p.when));
    for expr in texts {
        queue.extend(names_read(&expr.text).into_iter().map(str::to_string));
    }
    let mut out: Vec<Definition> = Vec::new();
    let mut i = 0;
    while i < queue.len() {
        let name = queue[i].clone();
        i += 1;
        if out.iter().any(|d| d.name == name) {
            continue;
        }
        if let Some((definition, reads)) = define(policy, attributes, &name) {
            queue.extend(reads);
            out.push(definition);
        }
    }
    out
}

/// The definition of `name` and the names its definition reads; `None` for params and names
/// that are not metrics (`tier`, local variables).
fn define(
    policy: &Policy,
    attributes: &[Attribute],
    name: &str,
) -> Option<(Definition, Vec<String>)> {
    let def = |kind, definition: String| Definition {
        name: name.to_string(),
        kind,
        definition,
    };
    let reads = |text: &str| names_read(text).into_iter().map(str::to_string).collect();
    if let Some(b) = builtin(name) {
        return Some((def("built-in", b.meaning.to_string()), Vec::new()));
    }
    if let Some(m) = policy.metrics.iter().find(|m| m.name == name) {
        let text = m.expr.text.trim().to_string();
        let r = reads(&text);
        return Some((def("derived", text), r));
    }
    if let Some(p) = &policy.profit {
        let basis = p.basis.metric();
        let components: Vec<String> = p
            .components
            .iter()
            .map(|c| format!("{COMPONENT_PREFIX}{}", c.name))
            .collect();
        if let Some(c) = p
            .components
            .iter()
            .find(|c| name.strip_prefix(COMPONENT_PREFIX) == Some(c.name.as_str()))
        {
            let text = c.expr.text.trim().to_string();
            let r = reads(&text);
            return Some((def("profit", text), r));
        }
        let (text, r): (String, Vec<String>) = match name {
            COST_TO_SERVE if components.is_empty() => {
                ("0 (no cost to serve declared)".into(), vec![])
            }
            COST_TO_SERVE => (components.join(" + "), components.clone()),
            PROFIT_BEFORE_ACQUISITION => (
                format!("{basis} - cost_to_serve"),
                vec![basis.to_string(), COST_TO_SERVE.to_string()],
            ),
            PROFIT => {
                let acquisition = p
                    .acquisition
                    .as_ref()
                    .map_or("0".into(), |a| a.text.trim().to_string());
                let mut r = vec![PROFIT_BEFORE_ACQUISITION.to_string()];
                r.extend(reads(&acquisition));
                (format!("{PROFIT_BEFORE_ACQUISITION} - ({acquisition})"), r)
            }
            _ => return attribute(policy, attributes, name).map(|d| (d, Vec::new())),
        };
        return Some((def("profit", text), r));
    }
    attribute(policy, attributes, name).map(|d| (d, Vec::new()))
}

/// An attribute column's definition, when `name` is one.
fn attribute(policy: &Policy, attributes: &[Attribute], name: &str) -> Option<Definition> {
    let source = policy.customers.as_ref()?;
    attributes
        .iter()
        .find(|a| a.name == name)
        .map(|a| Definition {
            name: name.to_string(),
            kind: "attribute",
            definition: format!("{} column of {}", a.kind, source.path.display()),
        })
}
