//! Where must the client invest? The investment gap between today's products and the needs of
//! the personas. For persona P and need n, with P's worth W (the sum of its `worth` metric over
//! its customers), n's weight w, the best coverage c any product gives n (0 when none does) and
//! the adoption a of that product (the share of P's customers who bought it in the 12 months of
//! `revenue_12m`, from the `product` column):
//!
//! - product gap = W × w × (1 − c): what no product serves calls for product investment;
//! - outreach gap = W × w × c × (1 − a): what a product serves but the persona does not buy calls
//!   for outreach (marketing and sales messaging aimed at the persona).
//!
//! A customer bought a product when its net revenue from the product's codes in those 12 months
//! is positive (a purchase refunded in full is no purchase).

use serde::Serialize;

use crate::engine::Evaluation;
use crate::metrics::{Column, CustomerTable, Mix, Sidecar, EMPTY_INT, EMPTY_MONEY};
use crate::workspace::investment::Product;
use crate::workspace::Policy;

/// One persona x need cell of the gap; serialised with exactly the keys of the issue's
/// `summary.json` rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapCell {
    /// The persona.
    pub persona: String,
    /// The need.
    pub need: String,
    /// Its weight for the persona.
    pub weight: f64,
    /// The best coverage any product gives the need (0 when none does).
    pub coverage: f64,
    /// The product giving it (the first in policy order on a tie); `None` when none serves it.
    pub product: Option<String>,
    /// The share of the persona's customers who bought that product in the last 12 months;
    /// `None` when no product serves the need.
    pub adoption: Option<f64>,
    /// The persona's worth, in cents (serialised in currency units with two decimals).
    #[serde(serialize_with = "crate::analysis::migration::cents")]
    pub worth: i64,
    /// W × w × (1 − c), in cents (serialised in currency units with two decimals).
    #[serde(serialize_with = "crate::analysis::migration::cents")]
    pub product_gap: i64,
    /// W × w × c × (1 − a), in cents (serialised in currency units with two decimals).
    #[serde(serialize_with = "crate::analysis::migration::cents")]
    pub outreach_gap: i64,
}

impl GapCell {
    /// Product gap plus outreach gap, in cents.
    pub fn total(&self) -> i64 {
        self.product_gap + self.outreach_gap
    }

    /// The kind of investment the larger part of the gap calls for: `product` or `outreach`.
    pub fn kind(&self) -> &'static str {
        if self.outreach_gap > self.product_gap {
            "outreach"
        } else {
            "product"
        }
    }
}

/// What keeps the gap from being computed, so the report can say which data or policy would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// No persona declares `needs:`.
    Needs,
    /// No `products:` are declared.
    Products,
    /// No `product` column is mapped.
    ProductColumn,
}

/// The investment gap of the workspace.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InvestmentGap {
    /// Every persona x need cell, by total gap descending, ties by persona then need; empty
    /// when something is [`Missing`].
    pub cells: Vec<GapCell>,
    /// What is missing to compute it.
    pub missing: Vec<Missing>,
    /// The personas with needs, in policy order.
    pub personas: Vec<String>,
    /// The needs, in policy order.
    pub needs: Vec<String>,
    /// Values of the `product` column in the last 12 months no product's codes match, sorted.
    pub unmatched_codes: Vec<String>,
    /// Personas whose `worth` metric is not a numeric column: (persona, metric); their worth is
    /// counted as 0.
    pub unknown_worth: Vec<(String, String)>,
}

/// Each customer's worth in cents from the metric `name`; `None` when it is not numeric.
/// Empty cells count 0; a number that is not money is in currency units.
fn worth_cents(table: &CustomerTable, name: &str) -> Option<Vec<i64>> {
    Some(match table.column(name)? {
        Column::Money(v) => v
            .iter()
            .map(|&c| if c == EMPTY_MONEY { 0 } else { c })
            .collect(),
        Column::Int(v) => v
            .iter()
            .map(|&c| {
                if c == EMPTY_INT {
                    0
                } else {
                    c.saturating_mul(100)
                }
            })
            .collect(),
        Column::Float(v) => v
            .iter()
            .map(|&x| {
                if x.is_finite() {
                    (x * 100.0).round() as i64
                } else {
                    0
                }
            })
            .collect(),
        _ => return None,
    })
}

/// Cents times a factor, rounded to the nearest cent (halves away from zero).
pub fn scale(cents: i64, factor: f64) -> i64 {
    (cents as f64 * factor).round() as i64
}

/// The share of `customers` whose net revenue from `product`'s codes in `mix` is positive.
fn adoption(mix: &Mix, product: &Product, customers: &[u32]) -> f64 {
    if customers.is_empty() {
        return 0.0;
    }
    let matched: Vec<bool> = mix.values.iter().map(|v| product.matches(v)).collect();
    let bought = customers
        .iter()
        .filter(|&&c| {
            let net: i128 = mix
                .of(c as usize)
                .iter()
                .filter(|(v, _)| matched[*v as usize])
                .map(|&(_, cents)| i128::from(cents))
                .sum();
            net > 0
        })
        .count();
    bought as f64 / customers.len() as f64
}

/// The best product for `need`: the highest coverage, the first in policy order on a tie.
fn best<'p>(products: &'p [Product], need: &str) -> Option<(&'p Product, f64)> {
    products
        .iter()
        .map(|p| (p, p.coverage(need)))
        .filter(|(_, c)| *c > 0.0)
        .fold(None, |acc: Option<(&Product, f64)>, (p, c)| match acc {
            Some((_, bc)) if bc >= c => acc,
            _ => Some((p, c)),
        })
}

/// Computes the investment gap of the evaluated customers.
pub fn investment_gap(
    policy: &Policy,
    table: &CustomerTable,
    sidecar: &Sidecar,
    evaluation: &Evaluation,
) -> InvestmentGap {
    let investment = &policy.investment;
    let mut gap = InvestmentGap {
        personas: policy
            .personas
            .iter()
            .filter(|p| !p.needs.is_empty())
            .map(|p| p.name.clone())
            .collect(),
        needs: investment.needs.clone(),
        ..InvestmentGap::default()
    };
    if gap.personas.is_empty() {
        gap.missing.push(Missing::Needs);
    }
    if investment.products.is_empty() {
        gap.missing.push(Missing::Products);
    }
    let mix = sidecar.product_mix_12m();
    if policy.transactions.columns.product.is_none() {
        gap.missing.push(Missing::ProductColumn);
    }
    let Some(mix) = mix.filter(|_| gap.missing.is_empty()) else {
        return gap;
    };
    gap.unmatched_codes = mix
        .values
        .iter()
        .filter(|v| !investment.products.iter().any(|p| p.matches(v)))
        .cloned()
        .collect();
    for (persona, (_, rows)) in policy.personas.iter().zip(&evaluation.personas) {
        if persona.needs.is_empty() {
            continue;
        }
        let worth = match worth_cents(table, &persona.worth) {
            Some(w) => rows.iter().map(|&r| w[r as usize]).sum(),
            None => {
                gap.unknown_worth
                    .push((persona.name.clone(), persona.worth.clone()));
                0
            }
        };
        for need in &persona.needs {
            let (product, coverage) = match best(&investment.products, &need.need) {
                Some((p, c)) => (Some(p), c),
                None => (None, 0.0),
            };
            let adoption = product.map(|p| adoption(mix, p, rows));
            let a = adoption.unwrap_or(0.0);
            gap.cells.push(GapCell {
                persona: persona.name.clone(),
                need: need.need.clone(),
                weight: need.value,
                coverage,
                product: product.map(|p| p.name.clone()),
                adoption,
                worth,
                product_gap: scale(worth, need.value * (1.0 - coverage)),
                outreach_gap: scale(worth, need.value * coverage * (1.0 - a)),
            });
        }
    }
    gap.cells.sort_by(|a, b| {
        b.total()
            .cmp(&a.total())
            .then_with(|| a.persona.cmp(&b.persona))
            .then_with(|| a.need.cmp(&b.need))
    });
    gap
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_rounds_to_the_cent() {
        assert_eq!(scale(100_000, 0.5 * (1.0 - 0.6)), 20_000);
        assert_eq!(scale(3, 0.5), 2);
        assert_eq!(scale(-3, 0.5), -2);
    }
}
