//! Customers starting to behave like the core, and customers close to the next tier up.
//!
//! Rising customers: outside the core tiers, those whose revenue in the last [`WINDOW_DAYS`] days
//! (rows dated after the as-of date less 180 days: the side sink's trailing window) is at least
//! the core tiers' median of it and whose `recency_days` is at most the core tiers' median
//! `recency_days` (medians as `percentile(..., 0.5)`). A policy's `rising: { when: ... }`
//! replaces that rule (the engine evaluates it); core customers are never rising.
//!
//! Graduation candidates: for each tier but the first, its customers whose distance to the rule
//! of the tier above (the one `powerbase explain` shows, [`crate::engine::explain::needs`]) is
//! within the `graduation_reach` param, a share of each threshold (default 0.2).

use serde::Serialize;

use super::migration::name_columns;
use crate::engine::explain::{need_text, needs};
use crate::engine::Evaluation;
use crate::error::Diagnostic;
use crate::metrics::{population, Column, CustomerTable, Origin, Sidecar, EMPTY_INT};
use crate::workspace::{Param, ParamValue, Policy};

/// The trailing window of `revenue_180d`, in days.
pub const WINDOW_DAYS: i32 = 180;

/// The share of a threshold within which a customer is a graduation candidate, when the policy
/// declares no `graduation_reach` param.
pub const GRADUATION_REACH: f64 = 0.2;

/// The most graduation candidates named per tier.
const NAMED_CANDIDATES: usize = 5;

/// Rising customers and graduation candidates.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outlook {
    /// The rising customers; `None` when the policy has no tier outside the core, or the window
    /// was not aggregated.
    pub rising: Option<Rising>,
    /// One per tier but the first, in policy order.
    pub graduation: Vec<Graduation>,
}

/// How the rising customers were chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// The built-in rule, with the core tiers' medians; `None` where the core tiers have no value
    /// (no core customers, none with a purchase), and then nobody is rising.
    Builtin {
        /// The core tiers' median `revenue_180d`, in currency units.
        revenue_180d: Option<f64>,
        /// The core tiers' median `recency_days`.
        recency_days: Option<f64>,
    },
    /// The policy's `rising: { when: ... }`, as written.
    Policy(String),
}

/// Customers outside the core tiers who behave like the core.
#[derive(Debug, Clone, PartialEq)]
pub struct Rising {
    /// The rule applied.
    pub rule: Rule,
    /// The window of `revenue_180d`, in days.
    pub window_days: i32,
    /// Customers outside the core tiers.
    pub outside_core: usize,
    /// The rising customers (table rows), largest `revenue_180d` first, ties by id.
    pub customers: Vec<u32>,
    /// Their revenue in the window, in cents.
    pub revenue_180d: i64,
    /// Their revenue, in cents.
    pub revenue: i64,
    /// Per tier outside the core, in policy order.
    pub by_tier: Vec<Count>,
    /// Per persona with rising customers, in policy order.
    pub by_persona: Vec<Count>,
    /// The attribute columns naming a customer ([`name_columns`]).
    pub name_columns: Vec<String>,
    /// The other attribute columns, in table order.
    pub attribute_columns: Vec<String>,
    /// The largest rising customers (at most `report.top_customers`).
    pub top: Vec<RisingCustomer>,
}

/// Rising customers of one tier or persona.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The tier or persona.
    pub name: String,
    /// How many rising customers.
    pub customers: usize,
    /// Their revenue in the window, in cents.
    #[serde(serialize_with = "crate::analysis::migration::cents")]
    pub revenue_180d: i64,
}

/// A rising customer, named.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RisingCustomer {
    /// The customer id.
    pub id: String,
    /// The values of the name columns, in their order.
    pub names: Vec<Option<String>>,
    /// Its tier.
    pub tier: String,
    /// Revenue in the window, in cents.
    #[serde(serialize_with = "crate::analysis::migration::cents")]
    pub revenue_180d: i64,
    /// Revenue, in cents.
    #[serde(serialize_with = "crate::analysis::migration::cents")]
    pub revenue: i64,
    /// Days since the last purchase; `None` without one.
    pub recency_days: Option<i64>,
    /// The personas it belongs to, in policy order.
    pub personas: Vec<String>,
    /// The values of the other attribute columns, as `customers.csv` writes them.
    pub attributes: Vec<String>,
}

/// The customers of one tier within reach of the tier above.
#[derive(Debug, Clone, PartialEq)]
pub struct Graduation {
    /// The tier.
    pub from: String,
    /// The tier above.
    pub to: String,
    /// The rule of the tier above, as written.
    pub rule: Option<String>,
    /// Customers in `from`.
    pub customers: usize,
    /// Candidates: customers of `from` within reach of the rule of `to`.
    pub candidates: usize,
    /// Their revenue, in cents.
    pub revenue: i64,
    /// The reach applied (a share of each threshold).
    pub reach: f64,
    /// The largest candidates by revenue (ties by id), with what each needs.
    pub largest: Vec<Candidate>,
    /// Why no distance can be computed to the rule of `to`; then there are no candidates.
    pub not_computable: Option<String>,
}

/// A graduation candidate, named.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// The customer id.
    pub id: String,
    /// The values of the name columns, in their order.
    pub names: Vec<Option<String>>,
    /// Revenue, in cents.
    #[serde(serialize_with = "crate::analysis::migration::cents")]
    pub revenue: i64,
    /// What it needs, in words (`needs $420.00 more revenue`).
    pub needs: String,
}

/// The `graduation_reach` param when the policy declares it (a share above 0 and at most 1),
/// else [`GRADUATION_REACH`]; a problem at the param when it is something else.
pub fn graduation_reach(params: &[Param]) -> Result<f64, Diagnostic> {
    let Some(p) = params.iter().find(|p| p.name == "graduation_reach") else {
        return Ok(GRADUATION_REACH);
    };
    let value = match p.value {
        ParamValue::Int(i) => i as f64,
        ParamValue::Float(f) => f,
        _ => f64::NAN,
    };
    if value > 0.0 && value <= 1.0 {
        return Ok(value);
    }
    Err(Diagnostic::at(
        p.origin.clone(),
        "param `graduation_reach`: the report reads it as the share of a tier's threshold within which a customer is a graduation candidate, but it is not a number above 0 and at most 1",
    )
    .code("policy/bad-value")
    .with_help("write a share such as `graduation_reach: 0.2` (revenue of 4,000 against `revenue >= 5000`), or leave the param out for 0.2"))
}

/// The rising customers and graduation candidates of an evaluated table.
pub fn outlook(
    policy: &Policy,
    table: &CustomerTable,
    sidecar: &Sidecar,
    evaluation: &Evaluation,
) -> Outlook {
    let reach = graduation_reach(&policy.params).unwrap_or(GRADUATION_REACH);
    Outlook {
        rising: sidecar
            .window_of_days(WINDOW_DAYS)
            .and_then(|window| rising(policy, table, window, evaluation)),
        graduation: (1..policy.tiers.len())
            .map(|k| graduation(policy, table, evaluation, k, reach))
            .collect(),
    }
}

/// The median of some customers' values of a column (empty values left out).
fn median(column: &Column, rows: &[usize]) -> Option<f64> {
    let mut values: Vec<f64> = rows
        .iter()
        .filter_map(|&i| column.get(i).number())
        .collect();
    values.sort_unstable_by(f64::total_cmp);
    population::percentile(&values, 0.5)
}

/// The rising customers; `None` when every tier is core.
fn rising(
    policy: &Policy,
    table: &CustomerTable,
    window: &[i64],
    evaluation: &Evaluation,
) -> Option<Rising> {
    let core = |i: usize| policy.tiers[evaluation.tiers[i] as usize].core;
    if policy.tiers.iter().all(|t| t.core) {
        return None;
    }
    let outside: Vec<usize> = (0..table.len()).filter(|&i| !core(i)).collect();
    let recency = match table.column("recency_days") {
        Some(Column::Int(v)) => v.as_slice(),
        _ => &[],
    };
    let (rule, mut rows): (Rule, Vec<usize>) = match (&policy.rising, &evaluation.rising) {
        (Some(r), Some(holders)) => (
            Rule::Policy(r.when.text.trim().to_string()),
            holders
                .iter()
                .map(|&i| i as usize)
                .filter(|&i| !core(i))
                .collect(),
        ),
        _ => {
            let core_rows: Vec<usize> = (0..table.len()).filter(|&i| core(i)).collect();
            let revenue_180d = median(&Column::Money(window.to_vec()), &core_rows);
            let recency_days = table
                .column("recency_days")
                .and_then(|c| median(c, &core_rows));
            let rows = match (revenue_180d, recency_days) {
                (Some(money), Some(days)) => outside
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let r = recency.get(i).copied().unwrap_or(EMPTY_INT);
                        window[i] as f64 / 100.0 >= money && r != EMPTY_INT && r as f64 <= days
                    })
                    .collect(),
                _ => Vec::new(),
            };
            (
                Rule::Builtin {
                    revenue_180d,
                    recency_days,
                },
                rows,
            )
        }
    };
    rows.sort_by(|&a, &b| window[b].cmp(&window[a]).then(a.cmp(&b)));
    Some(describe(
        policy,
        table,
        window,
        evaluation,
        recency,
        rule,
        outside.len(),
        rows,
    ))
}

/// The figures and names of the rising customers `rows` (sorted).
#[allow(clippy::too_many_arguments)]
fn describe(
    policy: &Policy,
    table: &CustomerTable,
    window: &[i64],
    evaluation: &Evaluation,
    recency: &[i64],
    rule: Rule,
    outside_core: usize,
    rows: Vec<usize>,
) -> Rising {
    let revenue = table.money("revenue");
    let tier_of = |i: usize| evaluation.tiers[i] as usize;
    let by_tier = policy
        .tiers
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.core)
        .map(|(k, t)| count(&t.name, rows.iter().filter(|&&i| tier_of(i) == k), window))
        .collect();
    let by_persona = evaluation
        .personas
        .iter()
        .map(|(name, members)| {
            let inside = rows
                .iter()
                .filter(|&&i| members.binary_search(&(i as u32)).is_ok());
            count(name, inside, window)
        })
        .filter(|c| c.customers > 0)
        .collect();
    let names = name_columns(table);
    let others: Vec<usize> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(c, col)| col.origin == Origin::Attribute && !names.contains(c))
        .map(|(c, _)| c)
        .collect();
    let top = rows
        .iter()
        .take(policy.report.top_customers)
        .map(|&i| RisingCustomer {
            id: table.ids[i].clone(),
            names: text_values(table, &names, i),
            tier: policy.tiers[tier_of(i)].name.clone(),
            revenue_180d: window[i],
            revenue: revenue[i],
            recency_days: recency.get(i).copied().filter(|&r| r != EMPTY_INT),
            personas: evaluation
                .personas
                .iter()
                .filter(|(_, m)| m.binary_search(&(i as u32)).is_ok())
                .map(|(n, _)| n.clone())
                .collect(),
            attributes: others
                .iter()
                .map(|&c| table.columns[c].column.get(i).to_csv())
                .collect(),
        })
        .collect();
    let column_names = |cols: &[usize]| -> Vec<String> {
        cols.iter()
            .map(|&c| table.columns[c].name.clone())
            .collect()
    };
    Rising {
        rule,
        window_days: WINDOW_DAYS,
        outside_core,
        revenue_180d: rows.iter().map(|&i| window[i]).sum(),
        revenue: rows.iter().map(|&i| revenue[i]).sum(),
        customers: rows.iter().map(|&i| i as u32).collect(),
        by_tier,
        by_persona,
        name_columns: column_names(&names),
        attribute_columns: column_names(&others),
        top,
    }
}

/// How many of `rows` and their window revenue.
fn count<'r>(name: &str, rows: impl Iterator<Item = &'r usize>, window: &[i64]) -> Count {
    let (customers, revenue_180d) = rows.fold((0, 0), |(n, r), &i| (n + 1, r + window[i]));
    Count {
        name: name.to_string(),
        customers,
        revenue_180d,
    }
}

/// The values of text columns `columns` for customer `row`.
fn text_values(table: &CustomerTable, columns: &[usize], row: usize) -> Vec<Option<String>> {
    columns
        .iter()
        .map(|&c| match &table.columns[c].column {
            Column::Text(v) => v[row].clone(),
            _ => None,
        })
        .collect()
}

/// Tier `k`'s customers within `reach` of the rule of tier `k - 1`.
fn graduation(
    policy: &Policy,
    table: &CustomerTable,
    evaluation: &Evaluation,
    k: usize,
    reach: f64,
) -> Graduation {
    let revenue = table.money("revenue");
    let members: Vec<usize> = (0..table.len())
        .filter(|&i| evaluation.tiers[i] as usize == k)
        .collect();
    let mut g = Graduation {
        from: policy.tiers[k].name.clone(),
        to: policy.tiers[k - 1].name.clone(),
        rule: policy.tiers[k - 1]
            .when
            .as_ref()
            .map(|w| w.text.trim().to_string()),
        customers: members.len(),
        candidates: 0,
        revenue: 0,
        reach,
        largest: Vec::new(),
        not_computable: None,
    };
    let found = match needs(policy, table, evaluation, k - 1, &members) {
        Ok(found) => found,
        Err(why) => {
            g.not_computable = Some(why.to_string());
            return g;
        }
    };
    let mut candidates: Vec<(usize, String)> = members
        .iter()
        .zip(found)
        .filter_map(|(&i, need)| {
            let need = need.filter(|n| n.within(reach))?;
            Some((i, need_text(&need, &policy.currency)))
        })
        .collect();
    g.candidates = candidates.len();
    g.revenue = candidates.iter().map(|(i, _)| revenue[*i]).sum();
    candidates.sort_by(|a, b| revenue[b.0].cmp(&revenue[a.0]).then(a.0.cmp(&b.0)));
    let names = name_columns(table);
    g.largest = candidates
        .into_iter()
        .take(NAMED_CANDIDATES)
        .map(|(i, needs)| Candidate {
            id: table.ids[i].clone(),
            names: text_values(table, &names, i),
            revenue: revenue[i],
            needs,
        })
        .collect();
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Origin;

    #[test]
    fn graduation_reach_is_the_param_when_declared_and_a_share() {
        let param = |value| Param {
            name: "graduation_reach".into(),
            value,
            origin: Origin::file("powerbase.yaml"),
        };
        assert_eq!(graduation_reach(&[]), Ok(GRADUATION_REACH));
        assert_eq!(
            graduation_reach(&[param(ParamValue::Float(0.35))]),
            Ok(0.35)
        );
        assert_eq!(graduation_reach(&[param(ParamValue::Int(1))]), Ok(1.0));
        for bad in [
            ParamValue::Int(0),
            ParamValue::Float(1.5),
            ParamValue::Float(-0.1),
            ParamValue::Text("0.2".into()),
        ] {
            let d = graduation_reach(&[param(bad)]).unwrap_err();
            assert_eq!(d.code, "policy/bad-value");
        }
    }
}
