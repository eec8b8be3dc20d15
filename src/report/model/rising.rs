//! The `rising`, `graduation` and `graduation_candidates` keys of the report model: customers outside the core tiers who
//! behave like the core, and each tier's customers within reach of the tier above, in the shape
//! of `summary.json` (the keys first, the others after them).

use serde::Serialize;

use super::Money;
use crate::analysis::rising::{self as analysis, Candidate, Count, RisingCustomer, Rule};
use crate::report::format::{self, share_of};

/// Both keys, flattened into the report (`rising` is left out when the policy has no tier
/// outside the core).
#[derive(Debug, Clone, Serialize)]
pub struct Upward {
    /// Rising customers; `None` when every tier is core.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rising: Option<Rising>,
    /// One per tier but the first, in policy order.
    pub graduation: Vec<Graduation>,
    /// The candidates of every tier together.
    pub graduation_candidates: usize,
}

/// Customers outside the core tiers who behave like the core.
#[derive(Debug, Clone, Serialize)]
pub struct Rising {
    /// How many.
    pub customers: usize,
    /// Their revenue in the last `window_days` days.
    pub revenue_180d: Money,
    /// Their revenue to date.
    pub revenue: Money,
    /// The window, in days (rows dated after the as-of date less this many days).
    pub window_days: i32,
    /// Customers outside the core tiers.
    pub outside_core: usize,
    /// The rising customers' share of them (NaN when there are none).
    pub share_of_outside_core: f64,
    /// `builtin` or `policy`.
    pub rule: &'static str,
    /// The policy's rule as written; `None` with the built-in rule.
    pub when: Option<String>,
    /// The built-in rule's threshold: the core tiers' median `revenue_180d`; `None` with the
    /// policy's rule or when the core tiers have no customers.
    pub median_revenue_180d: Option<Money>,
    /// The built-in rule's threshold: the core tiers' median `recency_days`.
    pub median_recency_days: Option<f64>,
    /// Per tier outside the core, in policy order.
    pub by_tier: Vec<Count>,
    /// Per persona holding rising customers, in policy order.
    pub by_persona: Vec<Count>,
    /// The attribute columns naming a customer.
    pub name_columns: Vec<String>,
    /// The other attribute columns, whose values `top` lists.
    pub attribute_columns: Vec<String>,
    /// The largest rising customers by `revenue_180d` (at most `report.top_customers`).
    pub top: Vec<RisingCustomer>,
}

/// One tier's customers within reach of the tier above.
#[derive(Debug, Clone, Serialize)]
pub struct Graduation {
    /// The tier.
    pub from: String,
    /// The tier above.
    pub to: String,
    /// Customers of `from` within reach of the rule of `to`.
    pub candidates: usize,
    /// Their revenue.
    pub revenue: Money,
    /// Customers in `from`.
    pub customers: usize,
    /// Candidates as a share of `customers` (NaN for an empty tier).
    pub candidate_share: f64,
    /// The reach: a share of each threshold of the rule of `to` (`graduation_reach`).
    pub reach: f64,
    /// The reach as a percentage.
    pub reach_pct: String,
    /// The rule of `to` as written.
    pub rule: Option<String>,
    /// The largest candidates by revenue, with what each needs.
    pub largest: Vec<Candidate>,
    /// Why no distance to the rule of `to` can be computed (then there are no candidates).
    pub not_computable: Option<String>,
}

/// The model's form of the analysis.
pub fn upward(o: &analysis::Outlook) -> Upward {
    Upward {
        rising: o.rising.as_ref().map(rising),
        graduation: o.graduation.iter().map(graduation).collect(),
        graduation_candidates: o.graduation.iter().map(|g| g.candidates).sum(),
    }
}

fn rising(r: &analysis::Rising) -> Rising {
    let (rule, when, money, days) = match &r.rule {
        Rule::Builtin {
            revenue_180d,
            recency_days,
        } => (
            "builtin",
            None,
            revenue_180d.map(|m| Money((m * 100.0).round() as i64)),
            *recency_days,
        ),
        Rule::Policy(text) => ("policy", Some(text.clone()), None, None),
    };
    let n = r.customers.len();
    Rising {
        customers: n,
        revenue_180d: Money(r.revenue_180d),
        revenue: Money(r.revenue),
        window_days: r.window_days,
        outside_core: r.outside_core,
        share_of_outside_core: share_of(
            n as f64 / r.outside_core.max(1) as f64,
            r.outside_core as i64,
        ),
        rule,
        when,
        median_revenue_180d: money,
        median_recency_days: days,
        by_tier: r.by_tier.clone(),
        by_persona: r.by_persona.clone(),
        name_columns: r.name_columns.clone(),
        attribute_columns: r.attribute_columns.clone(),
        top: r.top.clone(),
    }
}

fn graduation(g: &analysis::Graduation) -> Graduation {
    Graduation {
        from: g.from.clone(),
        to: g.to.clone(),
        candidates: g.candidates,
        revenue: Money(g.revenue),
        customers: g.customers,
        candidate_share: share_of(
            g.candidates as f64 / g.customers.max(1) as f64,
            g.customers as i64,
        ),
        reach: g.reach,
        reach_pct: format::percent(g.reach, 0),
        rule: g.rule.clone(),
        largest: g.largest.clone(),
        not_computable: g.not_computable.clone(),
    }
}
