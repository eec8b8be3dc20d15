//! What makes core customers different: how each tier, the core tiers together and each persona
//! buy (purchase days, average order value, tenure, recency) against the whole base, which
//! attribute values they over-represent ([`super::representation`]), and the personas' size,
//! revenue, profit and overlaps.
//!
//! How they buy includes the product and channel mix when those columns are mapped: each
//! value's share of the group's revenue, from the aggregation's side sinks ([`Sidecar`]).

use serde::Serialize;

use super::representation::{self, Dimension, NotProfiled, Represented};
use crate::engine::Evaluation;
use crate::metrics::{population, CustomerTable, MixKind, Sidecar};
use crate::workspace::strategy::PROFIT;
use crate::workspace::Policy;

/// How many over-represented values a persona card lists.
pub const PERSONA_TOP: usize = 3;
/// How many over-represented values the core profile lists.
pub const CORE_TOP: usize = 8;

/// The behaviour metrics profiled, in report order.
pub const BEHAVIOUR_METRICS: [&str; 4] = [
    "purchase_days",
    "avg_order_value",
    "tenure_days",
    "recency_days",
];

/// Mean and median of one metric over a group's customers with a value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stat {
    /// Customers with a value.
    pub customers: usize,
    /// Their mean (NaN without any).
    pub mean: f64,
    /// Their median (NaN without any).
    pub median: f64,
}

/// How a group buys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Behaviour {
    /// Distinct days with a purchase.
    pub purchase_days: Stat,
    /// Revenue per order, in currency units.
    pub avg_order_value: Stat,
    /// Days from the first purchase to the as-of date.
    pub tenure_days: Stat,
    /// Days from the last purchase to the as-of date.
    pub recency_days: Stat,
    /// The product and channel mix, for each of the two columns that is mapped.
    pub mix: Vec<MixShares>,
}

/// A group's revenue by the values of one column (`product` or `channel`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MixShares {
    /// `product` or `channel`.
    pub column: &'static str,
    /// Each value's share of the group's revenue, largest first (ties by name); NaN shares when
    /// that revenue is not positive.
    pub shares: Vec<(String, f64)>,
}

/// A group of customers (a tier, the core tiers, a persona) profiled against the base.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Its name.
    pub name: String,
    /// Its customers.
    pub customers: usize,
    /// Per dimension: its customers per value label.
    pub counts: Vec<Vec<usize>>,
    /// How it buys.
    pub behaviour: Behaviour,
}

/// A persona's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Persona {
    /// Who they are (from the policy).
    pub description: Option<String>,
    /// Their revenue, in cents.
    pub revenue: i64,
    /// Their profit, in cents, when profit is known.
    pub profit: Option<i64>,
    /// Customers shared with each other persona, in policy order.
    pub overlaps: Vec<(String, usize)>,
    /// The group (name, customers, values, behaviour).
    pub group: Group,
    /// Its most over-represented attribute values.
    pub top: Vec<Represented>,
}

/// The profiles of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Profiles {
    /// The profiled attributes.
    pub dimensions: Vec<Dimension>,
    /// The attributes that are not profiled.
    pub not_profiled: Vec<NotProfiled>,
    /// The whole base.
    pub base: Behaviour,
    /// One per tier, in policy order.
    pub tiers: Vec<Group>,
    /// The core tiers, in policy order.
    pub core_tiers: Vec<String>,
    /// The core tiers together.
    pub core: Group,
    /// The core's most over-represented attribute values, leaving out those the core tiers' rules
    /// read.
    pub core_top: Vec<Represented>,
    /// Behaviour metrics the core tiers' rules read: a difference in them is by definition.
    pub core_rule_reads: Vec<String>,
    /// Profiled attributes the core tiers' rules read (left out of [`Profiles::core_top`]).
    pub core_rule_attributes: Vec<String>,
    /// One per persona, in policy order.
    pub personas: Vec<Persona>,
    /// Total profit of all customers, in cents, when profit is known.
    pub total_profit: Option<i64>,
}

/// Profiles the tiers, the core and the personas.
pub fn profiles(
    policy: &Policy,
    table: &CustomerTable,
    sidecar: &Sidecar,
    evaluation: &Evaluation,
) -> Profiles {
    let (dimensions, not_profiled) = representation::dimensions(table, &policy.bands);
    let group = |name: &str, rows: &[usize]| Group {
        name: name.to_string(),
        customers: rows.len(),
        counts: dimensions
            .iter()
            .map(|d| d.count(rows.iter().copied()))
            .collect(),
        behaviour: behaviour(table, sidecar, rows),
    };
    let mut by_tier: Vec<Vec<usize>> = vec![Vec::new(); policy.tiers.len()];
    for (i, &t) in evaluation.tiers.iter().enumerate() {
        by_tier[t as usize].push(i);
    }
    let tiers: Vec<Group> = policy
        .tiers
        .iter()
        .zip(&by_tier)
        .map(|(t, rows)| group(&t.name, rows))
        .collect();
    let core_idx: Vec<usize> = (0..policy.tiers.len())
        .filter(|&t| policy.tiers[t].core)
        .collect();
    let core_tiers: Vec<String> = core_idx
        .iter()
        .map(|&t| policy.tiers[t].name.clone())
        .collect();
    let mut core_rows: Vec<usize> = core_idx
        .iter()
        .flat_map(|&t| &by_tier[t])
        .copied()
        .collect();
    core_rows.sort_unstable();
    let core = group(&joined(&core_tiers), &core_rows);
    // A core rule's own reads set the core apart by definition: not a finding.
    let read_by_core = |name: &str| {
        core_idx.iter().any(|&t| {
            evaluation
                .tier_reads
                .get(t)
                .is_some_and(|r| r.iter().any(|n| n == name))
        })
    };
    let core_top =
        representation::most_over_represented(&dimensions, &core.counts, CORE_TOP, read_by_core);
    let core_rule_attributes = dimensions
        .iter()
        .filter(|d| read_by_core(&d.attribute))
        .map(|d| d.attribute.clone())
        .collect();
    let core_rule_reads = BEHAVIOUR_METRICS
        .iter()
        .filter(|m| read_by_core(m))
        .map(|m| m.to_string())
        .collect();
    let all: Vec<usize> = (0..table.len()).collect();
    let personas = evaluation
        .personas
        .iter()
        .map(|(name, members)| {
            let rows: Vec<usize> = members.iter().map(|&i| i as usize).collect();
            let g = group(name, &rows);
            persona(policy, table, evaluation, g, &rows, &dimensions)
        })
        .collect();
    Profiles {
        base: behaviour(table, sidecar, &all),
        dimensions,
        not_profiled,
        tiers,
        core_tiers,
        core,
        core_top,
        core_rule_reads,
        core_rule_attributes,
        personas,
        total_profit: profit_column(policy, table).and_then(|p| sum(p.iter().copied())),
    }
}

/// Every customer's profit in cents, when the policy computes profit.
fn profit_column<'t>(policy: &Policy, table: &'t CustomerTable) -> Option<&'t [i64]> {
    policy.profit.as_ref()?;
    table.column(PROFIT)?;
    Some(table.money(PROFIT))
}

/// The exact sum of cents, `None` when it leaves the range of `i64`.
fn sum(values: impl Iterator<Item = i64>) -> Option<i64> {
    i64::try_from(values.map(i128::from).sum::<i128>()).ok()
}

/// Names joined for a reader: `A`, `A and B`, `A, B and C`.
pub fn joined(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn persona(
    policy: &Policy,
    table: &CustomerTable,
    evaluation: &Evaluation,
    group: Group,
    rows: &[usize],
    dimensions: &[Dimension],
) -> Persona {
    let revenue = table.money("revenue");
    let profit = profit_column(policy, table);
    let overlaps = evaluation
        .personas
        .iter()
        .filter(|(other, _)| *other != group.name)
        .map(|(other, members)| {
            let n = members
                .iter()
                .filter(|&&m| rows.binary_search(&(m as usize)).is_ok())
                .count();
            (other.clone(), n)
        })
        .collect();
    Persona {
        description: policy
            .personas
            .iter()
            .find(|p| p.name == group.name)
            .and_then(|p| p.description.clone()),
        revenue: rows.iter().map(|&i| revenue[i]).sum(),
        profit: profit.and_then(|p| sum(rows.iter().map(|&i| p[i]))),
        overlaps,
        top: representation::most_over_represented(dimensions, &group.counts, PERSONA_TOP, |_| {
            false
        }),
        group,
    }
}

/// How the customers `rows` buy.
pub fn behaviour(table: &CustomerTable, sidecar: &Sidecar, rows: &[usize]) -> Behaviour {
    let stat = |name: &str| -> Stat {
        let Some(column) = table.column(name) else {
            return Stat {
                customers: 0,
                mean: f64::NAN,
                median: f64::NAN,
            };
        };
        let mut values: Vec<f64> = rows.iter().filter_map(|&i| column.number(i)).collect();
        values.sort_unstable_by(f64::total_cmp);
        let n = values.len();
        Stat {
            customers: n,
            mean: if n > 0 {
                values.iter().sum::<f64>() / n as f64
            } else {
                f64::NAN
            },
            median: population::percentile(&values, 0.5).unwrap_or(f64::NAN),
        }
    };
    Behaviour {
        purchase_days: stat("purchase_days"),
        avg_order_value: stat("avg_order_value"),
        tenure_days: stat("tenure_days"),
        recency_days: stat("recency_days"),
        mix: mix(sidecar, rows),
    }
}

/// The product and channel mix of the customers `rows`, for each column the sidecar keeps.
fn mix(sidecar: &Sidecar, rows: &[usize]) -> Vec<MixShares> {
    let customers: Vec<u32> = rows.iter().map(|&r| r as u32).collect();
    [(MixKind::Product, "product"), (MixKind::Channel, "channel")]
        .into_iter()
        .filter_map(|(kind, column)| {
            let m = sidecar.mix(kind)?;
            Some(MixShares {
                column,
                shares: m.shares_for(&customers),
            })
        })
        .collect()
}
