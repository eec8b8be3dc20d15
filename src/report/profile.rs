//! The report model's part for "what makes core customers different": `representation` (every
//! attribute value's share per tier against the base), `profile` (how the core tiers buy against
//! the base, with the finding stated from those numbers) and `personas` (one card each). Built
//! from [`crate::analysis::profile`]; shares are raw fractions, the index and the behaviour
//! figures are rounded here.
//!
//! The finding compares the core tiers with the whole base on two measures: mean purchase days
//! (how often) and median average order value (how much per order; the median, as a few very
//! large orders would move a mean). Core customers are *frequent* when they buy on at least
//! [`FREQUENT`] times as many days, *less frequent* at most 1/[`FREQUENT`] times; *premium* when
//! their median order is at least [`PREMIUM`] times the base's, *smaller orders* at most
//! 1/[`PREMIUM`] times; in between they are "about the same".

use indexmap::IndexMap;
use serde::Serialize;

use super::format::{money, number, percent, share_of};
use super::model::Money;
use crate::analysis::profile::{self as analysis, Stat};
use crate::analysis::representation::{self, Grouping, NotProfiled};
use crate::analysis::Analysis;
use crate::workspace::Policy;

/// Core customers are frequent when they buy on this many times as many days as the base.
pub const FREQUENT: f64 = 1.5;
/// Core customers are premium when their median order is this many times the base's.
pub const PREMIUM: f64 = 1.2;

/// One row of `representation`: a value of an attribute in one tier.
#[derive(Debug, Clone, Serialize)]
pub struct RepresentationRow {
    /// The attribute.
    pub attribute: String,
    /// The value (or band) label.
    pub value: String,
    /// The tier.
    pub tier: String,
    /// The tier's customers with this value.
    pub customers: usize,
    /// Their share of the tier's customers with a value of the attribute (null when none has one).
    pub share: f64,
    /// The value's share of all customers with a value of the attribute.
    pub base_share: f64,
    /// `share / base_share x 100`, one decimal (null when `share` is).
    pub index: f64,
}

/// An over-represented value of a group.
#[derive(Debug, Clone, Serialize)]
pub struct Value {
    /// The attribute.
    pub attribute: String,
    /// The value label.
    pub value: String,
    /// The group's customers with it.
    pub customers: usize,
    /// Their share of the group's customers with a value.
    pub share: f64,
    /// The value's share of the base.
    pub base_share: f64,
    /// The representation index, one decimal.
    pub index: f64,
}

/// Mean and median of a behaviour metric over a group, two decimals.
#[derive(Debug, Clone, Serialize)]
pub struct Measure {
    /// Customers with a value.
    pub customers: usize,
    /// Mean (null without values).
    pub mean: f64,
    /// Median (null without values).
    pub median: f64,
}

/// How a group buys.
#[derive(Debug, Clone, Serialize)]
pub struct Behaviour {
    /// Distinct purchase days.
    pub purchase_days: Measure,
    /// Revenue per order, in currency units.
    pub avg_order_value: Measure,
    /// Days since the first purchase.
    pub tenure_days: Measure,
    /// Days since the last purchase.
    pub recency_days: Measure,
    /// The product and channel mix, for each of the two columns that is mapped (empty when
    /// neither is).
    pub mix: Vec<Mix>,
}

/// How many values of a mix the model keeps; the rest is `other_share`.
pub const MIX_TOP: usize = 5;

/// A group's revenue by the values of `product` or `channel`.
#[derive(Debug, Clone, Serialize)]
pub struct Mix {
    /// `product` or `channel`.
    pub column: &'static str,
    /// The largest values by revenue share, at most [`MIX_TOP`].
    pub values: Vec<MixValue>,
    /// The share of the values left out (0 when none is).
    pub other_share: f64,
}

/// One value of a [`Mix`].
#[derive(Debug, Clone, Serialize)]
pub struct MixValue {
    /// The value as the transactions write it.
    pub value: String,
    /// Its share of the group's revenue (NaN, `null`, when that revenue is not positive).
    pub share: f64,
}

/// A tier's behaviour.
#[derive(Debug, Clone, Serialize)]
pub struct TierBehaviour {
    /// The tier.
    pub tier: String,
    /// Its customers.
    pub customers: usize,
    /// How they buy.
    pub behaviour: Behaviour,
}

/// A profiled attribute.
#[derive(Debug, Clone, Serialize)]
pub struct ProfiledAttribute {
    /// Its name.
    pub attribute: String,
    /// `values`, `bands` or `quintiles`.
    pub grouping: Grouping,
    /// Its value labels, in order.
    pub values: Vec<String>,
    /// Customers with a value.
    pub customers_with_value: usize,
}

/// How the core tiers differ from the whole base.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// The core tiers' names joined (`First`, `First and Business`).
    pub core: String,
    /// The core tiers, in policy order.
    pub core_tiers: Vec<String>,
    /// Core customers.
    pub customers: usize,
    /// Their share of all customers.
    pub customer_share: f64,
    /// How core customers buy.
    pub behaviour: Behaviour,
    /// How all customers buy.
    pub base: Behaviour,
    /// Each tier, in policy order.
    pub tiers: Vec<TierBehaviour>,
    /// Mean purchase days of the core over the base's (null when not meaningful).
    pub frequency_ratio: f64,
    /// Median order of the core over the base's (null when not meaningful).
    pub order_ratio: f64,
    /// `more`, `same` or `less` (null when not meaningful).
    pub frequency: Option<&'static str>,
    /// `higher`, `same` or `lower` (null when not meaningful).
    pub order: Option<&'static str>,
    /// The finding in a few words (`frequent, not premium`).
    pub verdict: Option<String>,
    /// The finding as a sentence, from the numbers.
    pub finding: Option<String>,
    /// Behaviour metrics the core tiers' rules read: a difference in them holds by definition.
    pub by_definition: Vec<String>,
    /// The core's most over-represented attribute values.
    pub over_represented: Vec<Value>,
    /// Profiled attributes the core tiers' rules read, left out of `over_represented`.
    pub read_by_rule: Vec<String>,
    /// The profiled attributes.
    pub attributes: Vec<ProfiledAttribute>,
    /// Attributes not profiled, and why.
    pub not_profiled: Vec<NotProfiled>,
    /// The mapped `product` and `channel` columns (whose mix would show how groups buy).
    pub mix_columns: Vec<String>,
    /// The personas in one sentence (how many, the largest by revenue and its shares); null
    /// without personas.
    pub personas_finding: Option<String>,
    /// Every value's representation in the core, for the chart.
    #[serde(skip)]
    pub core_values: Vec<Value>,
}

/// A persona's card.
#[derive(Debug, Clone, Serialize)]
pub struct Persona {
    /// Its name.
    pub name: String,
    /// Its customers.
    pub customers: usize,
    /// Their share of all customers.
    pub customer_share: f64,
    /// Their revenue.
    pub revenue: Money,
    /// Its share of total revenue (null when total revenue is not positive).
    pub revenue_share: f64,
    /// Their profit; null when profit is not known.
    pub profit: Option<Money>,
    /// Customers shared with each other persona, in policy order.
    pub overlaps: IndexMap<String, usize>,
    /// Who they are (from the policy).
    pub description: Option<String>,
    /// Its share of total profit (null when profit is unknown or total profit not positive).
    pub profit_share: Option<f64>,
    /// How they buy.
    pub behaviour: Behaviour,
    /// Their most over-represented attribute values.
    pub over_represented: Vec<Value>,
    /// `overlaps` as a list in policy order (iterating a map in a template has no fixed order).
    pub overlap_list: Vec<Overlap>,
}

/// Customers a persona shares with another.
#[derive(Debug, Clone, Serialize)]
pub struct Overlap {
    /// The other persona.
    pub name: String,
    /// Customers in both.
    pub customers: usize,
}

fn round(v: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (v * scale).round() / scale
}

fn value(r: &representation::Represented) -> Value {
    Value {
        attribute: r.attribute.clone(),
        value: r.value.clone(),
        customers: r.customers,
        share: r.share,
        base_share: r.base_share,
        index: round(r.index, 1),
    }
}

fn measure(s: &Stat) -> Measure {
    Measure {
        customers: s.customers,
        mean: round(s.mean, 2),
        median: round(s.median, 2),
    }
}

fn behaviour(b: &analysis::Behaviour) -> Behaviour {
    Behaviour {
        purchase_days: measure(&b.purchase_days),
        avg_order_value: measure(&b.avg_order_value),
        tenure_days: measure(&b.tenure_days),
        recency_days: measure(&b.recency_days),
        mix: b.mix.iter().map(mix).collect(),
    }
}

fn mix(m: &analysis::MixShares) -> Mix {
    let values: Vec<MixValue> = m
        .shares
        .iter()
        .take(MIX_TOP)
        .map(|(value, share)| MixValue {
            value: value.clone(),
            share: *share,
        })
        .collect();
    Mix {
        column: m.column,
        other_share: m
            .shares
            .iter()
            .skip(MIX_TOP)
            .fold(0.0, |sum, (_, s)| sum + s),
        values,
    }
}

/// The `representation` rows: attribute (table order), value (label order), tier (policy order).
pub fn representation(analysis: &Analysis) -> Vec<RepresentationRow> {
    let p = &analysis.profiles;
    let mut rows = Vec::new();
    for (d, dim) in p.dimensions.iter().enumerate() {
        let per_tier: Vec<Vec<representation::Represented>> = p
            .tiers
            .iter()
            .map(|t| representation::represented(dim, &t.counts[d]))
            .collect();
        for k in 0..dim.labels.len() {
            for (tier, values) in p.tiers.iter().zip(&per_tier) {
                let r = &values[k];
                rows.push(RepresentationRow {
                    attribute: r.attribute.clone(),
                    value: r.value.clone(),
                    tier: tier.name.clone(),
                    customers: r.customers,
                    share: r.share,
                    base_share: r.base_share,
                    index: round(r.index, 1),
                });
            }
        }
    }
    rows
}

/// The persona cards, in policy order.
pub fn personas(analysis: &Analysis) -> Vec<Persona> {
    let p = &analysis.profiles;
    let customers = analysis.customers;
    let total_revenue = analysis.total_revenue;
    p.personas
        .iter()
        .map(|persona| Persona {
            name: persona.group.name.clone(),
            customers: persona.group.customers,
            customer_share: fraction(persona.group.customers as f64, customers as f64),
            revenue: Money(persona.revenue),
            revenue_share: share_of(
                fraction(persona.revenue as f64, total_revenue as f64),
                total_revenue,
            ),
            profit: persona.profit.map(Money),
            overlaps: persona.overlaps.iter().cloned().collect(),
            description: persona.description.clone(),
            profit_share: persona.profit.map(|profit| {
                let total = p.total_profit.unwrap_or(0);
                share_of(fraction(profit as f64, total as f64), total)
            }),
            behaviour: behaviour(&persona.group.behaviour),
            over_represented: persona.top.iter().map(value).collect(),
            overlap_list: persona
                .overlaps
                .iter()
                .map(|(name, customers)| Overlap {
                    name: name.clone(),
                    customers: *customers,
                })
                .collect(),
        })
        .collect()
}

fn fraction(part: f64, total: f64) -> f64 {
    if total > 0.0 {
        part / total
    } else {
        f64::NAN
    }
}

/// Where a ratio of a core figure to the base's falls: 1 above `threshold`, -1 below its
/// inverse, 0 in between; `None` when the ratio is not meaningful.
fn direction(ratio: f64, threshold: f64) -> Option<i8> {
    if !ratio.is_finite() || ratio <= 0.0 {
        None
    } else if ratio >= threshold {
        Some(1)
    } else if ratio <= 1.0 / threshold {
        Some(-1)
    } else {
        Some(0)
    }
}

/// The finding in a few words, from the two directions.
fn verdict(frequency: i8, order: i8) -> &'static str {
    match (frequency, order) {
        (1, 1) => "frequent and premium",
        (1, 0) => "frequent, not premium",
        (1, _) => "frequent, with smaller orders",
        (0, 1) => "premium, not more frequent",
        (0, 0) => "neither more frequent nor premium",
        (0, _) => "buyers of smaller orders, not more frequent",
        (_, 1) => "occasional but premium",
        (_, 0) => "less frequent, at about the same order",
        _ => "less frequent, with smaller orders",
    }
}

/// The profile of the core tiers against the base.
pub fn profile(policy: &Policy, analysis: &Analysis) -> Profile {
    let p = &analysis.profiles;
    let (core, base) = (&p.core.behaviour, &p.base);
    let frequency_ratio = core.purchase_days.mean / base.purchase_days.mean;
    let order_ratio = core.avg_order_value.median / base.avg_order_value.median;
    let f = direction(frequency_ratio, FREQUENT);
    let o = direction(order_ratio, PREMIUM);
    let verdict = f.zip(o).map(|(f, o)| verdict(f, o).to_string());
    let currency = &policy.currency;
    let finding = verdict.as_ref().map(|v| {
        let order = match o {
            Some(1) => "with a higher median order",
            Some(-1) => "with a smaller median order",
            _ => "at about the same median order",
        };
        format!(
            "{} customers buy on {} days on average against {} for all customers, {order} ({} against {}): they are {v}.",
            p.core.name,
            number(core.purchase_days.mean, 1),
            number(base.purchase_days.mean, 1),
            money(core.avg_order_value.median, currency, 2),
            money(base.avg_order_value.median, currency, 2),
        )
    });
    let columns = &policy.transactions.columns;
    let mix_columns = [("product", &columns.product), ("channel", &columns.channel)]
        .iter()
        .filter(|(_, c)| c.is_some())
        .map(|(n, _)| n.to_string())
        .collect();
    let core_values: Vec<Value> = p
        .dimensions
        .iter()
        .zip(&p.core.counts)
        .flat_map(|(d, c)| representation::represented(d, c))
        .map(|r| value(&r))
        .collect();
    Profile {
        core: p.core.name.clone(),
        core_tiers: p.core_tiers.clone(),
        customers: p.core.customers,
        customer_share: fraction(p.core.customers as f64, analysis.customers as f64),
        behaviour: behaviour(core),
        base: behaviour(base),
        tiers: p
            .tiers
            .iter()
            .map(|t| TierBehaviour {
                tier: t.name.clone(),
                customers: t.customers,
                behaviour: behaviour(&t.behaviour),
            })
            .collect(),
        frequency_ratio: round(frequency_ratio, 2),
        order_ratio: round(order_ratio, 2),
        frequency: f.map(|d| ["less", "same", "more"][(d + 1) as usize]),
        order: o.map(|d| ["lower", "same", "higher"][(d + 1) as usize]),
        verdict,
        finding,
        by_definition: p.core_rule_reads.clone(),
        over_represented: p.core_top.iter().map(value).collect(),
        read_by_rule: p.core_rule_attributes.clone(),
        attributes: p
            .dimensions
            .iter()
            .map(|d| ProfiledAttribute {
                attribute: d.attribute.clone(),
                grouping: d.grouping,
                values: d.labels.clone(),
                customers_with_value: d.with_value(),
            })
            .collect(),
        not_profiled: p.not_profiled.clone(),
        mix_columns,
        personas_finding: personas_finding(analysis),
        core_values,
    }
}

/// `3 personas; Northern regulars, the largest by revenue, bring 41.2% of revenue from 8.1% of
/// customers`; when total revenue is not positive, the largest by customers (ties: policy order);
/// `None` without personas.
fn personas_finding(analysis: &Analysis) -> Option<String> {
    let list = &analysis.profiles.personas;
    let count = match list.len() {
        1 => "1 persona".to_string(),
        n => format!("{n} personas"),
    };
    let share = |p: &analysis::Persona| {
        percent(
            fraction(p.group.customers as f64, analysis.customers as f64),
            1,
        )
    };
    if analysis.total_revenue > 0 {
        let largest = list.iter().rev().max_by_key(|p| p.revenue)?;
        let revenue = largest.revenue as f64 / analysis.total_revenue as f64;
        Some(format!(
            "{count}; {}, the largest by revenue, bring {} of revenue from {} of customers",
            largest.group.name,
            percent(revenue, 1),
            share(largest)
        ))
    } else {
        let largest = list.iter().rev().max_by_key(|p| p.group.customers)?;
        Some(format!(
            "{count}; {}, the largest, are {} of customers",
            largest.group.name,
            share(largest)
        ))
    }
}
