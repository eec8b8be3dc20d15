//! The investment gap in the report model (see [`crate::analysis::gap`]): `investment_gap`, the
//! list `summary.json` names, and `gap`, what the report's block and chart say around it.

use serde::Serialize;

use super::Money;
use crate::analysis::gap::{GapCell, InvestmentGap, Missing};
use crate::workspace::Policy;

/// A cell as the report ranks it.
#[derive(Debug, Clone, Serialize)]
pub struct Ranked {
    /// 1 for the largest gap.
    pub rank: usize,
    /// The persona.
    pub persona: String,
    /// The need.
    pub need: String,
    /// The product serving the need best, if any.
    pub product: Option<String>,
    /// Product gap plus outreach gap.
    pub total: Money,
    /// `product` or `outreach`: what the larger part of the gap calls for.
    pub kind: &'static str,
    /// The gap as a share of the persona's worth (NaN when the worth is not positive).
    pub worth_share: f64,
}

/// What the report says around the gap.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// What keeps the gap from being computed: `needs` (no persona weighs needs), `products`
    /// (none declared), `product_column` (no `product` column mapped); empty when it is.
    pub missing: Vec<Missing>,
    /// The personas with needs, in policy order (the chart's rows).
    pub personas: Vec<String>,
    /// The needs, in policy order (the chart's columns).
    pub needs: Vec<String>,
    /// The declared products, in policy order.
    pub products: Vec<String>,
    /// Every cell, largest gap first.
    pub ranked: Vec<Ranked>,
    /// All gaps together.
    pub total: Money,
    /// All product gaps together.
    pub product_total: Money,
    /// All outreach gaps together.
    pub outreach_total: Money,
    /// The metric each persona's worth is summed from, when all personas with needs use the
    /// same one; `None` when they differ.
    pub worth_metric: Option<String>,
    /// Values of the `product` column in the last 12 months no product's codes match.
    pub unmatched_codes: Vec<String>,
    /// Personas whose `worth` metric is not a numeric column, as "persona (metric)".
    pub unknown_worth: Vec<String>,
}

fn ranked(i: usize, c: &GapCell) -> Ranked {
    Ranked {
        rank: i + 1,
        persona: c.persona.clone(),
        need: c.need.clone(),
        product: c.product.clone(),
        total: Money(c.total()),
        kind: c.kind(),
        worth_share: if c.worth > 0 {
            c.total() as f64 / c.worth as f64
        } else {
            f64::NAN
        },
    }
}

/// What the report says around the gap.
pub fn gap(policy: &Policy, gap: &InvestmentGap) -> Gap {
    let mut worth: Vec<&str> = policy
        .personas
        .iter()
        .filter(|p| !p.needs.is_empty())
        .map(|p| p.worth.as_str())
        .collect();
    worth.sort_unstable();
    worth.dedup();
    let sum = |f: fn(&GapCell) -> i64| Money(gap.cells.iter().map(f).sum());
    Gap {
        missing: gap.missing.clone(),
        personas: gap.personas.clone(),
        needs: gap.needs.clone(),
        products: policy
            .investment
            .products
            .iter()
            .map(|p| p.name.clone())
            .collect(),
        ranked: gap
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| ranked(i, c))
            .collect(),
        total: sum(GapCell::total),
        product_total: sum(|c| c.product_gap),
        outreach_total: sum(|c| c.outreach_gap),
        worth_metric: (worth.len() == 1).then(|| worth[0].to_string()),
        unmatched_codes: gap.unmatched_codes.clone(),
        unknown_worth: gap
            .unknown_worth
            .iter()
            .map(|(p, m)| format!("{p} ({m})"))
            .collect(),
    }
}
