//! The profitability and inequality parts of the report model (see [`crate::analysis::profit`]).
//! Shares of a total profit that is zero or negative are NaN (`null` in JSON, a dash in the
//! report); figures that need profit are `None` when profit is not known.

use serde::Serialize;

use super::Money;
use crate::analysis::{self, TierSummary};
use crate::report::format::{percents_of_total, share_of};

/// Who is actually profitable. The first six keys are those the issue's `summary.json` names.
#[derive(Debug, Clone, Serialize)]
pub struct Profitability {
    /// Total profit.
    pub profit: Money,
    /// Customers with profit < 0.
    pub customers_unprofitable: usize,
    /// Their share of all customers.
    pub unprofitable_share: f64,
    /// The sum of their profit: zero or negative.
    pub unprofitable_loss: Money,
    /// Cumulative profit at the whale curve's peak / total profit; `None` when total profit is
    /// zero or negative.
    pub whale_peak_share: Option<f64>,
    /// The smallest number of customers (most profitable first) at which the peak is reached;
    /// `None` when total profit is zero or negative.
    pub whale_peak_customers: Option<usize>,
    /// That number as a share of all customers.
    pub whale_peak_customer_share: Option<f64>,
    /// What profit starts from: `margin` (a cost column is mapped) or `revenue`.
    pub basis: &'static str,
    /// Whether the policy declares an acquisition cost.
    pub has_acquisition_cost: bool,
    /// Total cost to serve.
    pub cost_to_serve: Money,
    /// The total of each cost-to-serve component, in policy order.
    pub cost_to_serve_components: Vec<CostComponent>,
    /// Total profit before the acquisition cost.
    pub profit_before_acquisition: Money,
    /// Total acquisition cost.
    pub acquisition_cost: Money,
    /// The tier with the largest loss from its loss-making customers; `None` when no customer
    /// loses money.
    pub largest_loss: Option<TierLoss>,
    /// The whale curve (share of customers, cumulative share of profit), for the chart.
    #[serde(skip)]
    pub curve: Vec<(f64, f64)>,
}

/// One cost-to-serve component over all customers.
#[derive(Debug, Clone, Serialize)]
pub struct CostComponent {
    /// Its name in the policy (the metric is `cts_<name>`).
    pub name: String,
    /// Its total.
    pub total: Money,
}

/// A tier's loss-making customers.
#[derive(Debug, Clone, Serialize)]
pub struct TierLoss {
    /// The tier.
    pub tier: String,
    /// Its customers with profit < 0.
    pub customers: usize,
    /// The sum of their profit: negative.
    pub loss: Money,
    /// Its share of the loss of all loss-making customers.
    pub loss_share: f64,
}

/// A tier's profit figures (flattened into the tier's object); each `None` when profit is not
/// known.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TierProfit {
    /// Its cost to serve.
    pub cost_to_serve: Option<Money>,
    /// Its profit.
    pub profit: Option<Money>,
    /// Share of total profit (NaN, `null`, when total profit is zero or negative).
    pub profit_share: Option<f64>,
    /// Mean profit per customer, in currency units (`None` for an empty tier).
    pub avg_profit: Option<f64>,
    /// Share of profit as a percentage (a dash when not meaningful).
    pub profit_pct: Option<String>,
    /// Its customers with profit < 0.
    pub customers_unprofitable: Option<usize>,
    /// The sum of their profit: zero or negative.
    pub unprofitable_loss: Option<Money>,
}

impl TierProfit {
    /// Tier `i`'s profit figures, when profit is known.
    pub fn of(p: Option<&analysis::Profitability>, i: usize) -> TierProfit {
        let Some(p) = p else {
            return TierProfit::default();
        };
        let t = &p.tiers[i];
        let shares: Vec<f64> = p.tiers.iter().map(|t| t.profit_share).collect();
        TierProfit {
            cost_to_serve: Some(Money(t.cost_to_serve)),
            profit: Some(Money(t.profit)),
            profit_share: Some(share_of(t.profit_share, p.profit)),
            avg_profit: t.avg_profit,
            profit_pct: percents_of_total(&shares, p.profit, 1).into_iter().nth(i),
            customers_unprofitable: Some(t.customers_unprofitable),
            unprofitable_loss: Some(Money(t.unprofitable_loss)),
        }
    }
}

/// The model's profitability of a run.
pub(super) fn profitability(p: &analysis::Profitability, tiers: &[TierSummary]) -> Profitability {
    let whale = p.whale.as_ref();
    Profitability {
        profit: Money(p.profit),
        customers_unprofitable: p.customers_unprofitable,
        unprofitable_share: p.unprofitable_share,
        unprofitable_loss: Money(p.unprofitable_loss),
        whale_peak_share: whale.map(|w| w.share),
        whale_peak_customers: whale.map(|w| w.customers),
        whale_peak_customer_share: whale.map(|w| w.customer_share),
        basis: p.basis.metric(),
        has_acquisition_cost: p.has_acquisition_cost,
        cost_to_serve: Money(p.cost_to_serve),
        cost_to_serve_components: p
            .components
            .iter()
            .map(|(name, total)| CostComponent {
                name: name.clone(),
                total: Money(*total),
            })
            .collect(),
        profit_before_acquisition: Money(p.profit_before_acquisition),
        acquisition_cost: Money(p.profit_before_acquisition - p.profit),
        largest_loss: largest_loss(p, tiers),
        curve: p.curve.clone(),
    }
}

/// The tier whose loss-making customers lose the most (ties: the earlier tier).
fn largest_loss(p: &analysis::Profitability, tiers: &[TierSummary]) -> Option<TierLoss> {
    let (i, t) = p
        .tiers
        .iter()
        .enumerate()
        .filter(|(_, t)| t.unprofitable_loss < 0)
        .min_by_key(|(i, t)| (t.unprofitable_loss, *i))?;
    Some(TierLoss {
        tier: tiers[i].name.clone(),
        customers: t.customers_unprofitable,
        loss: Money(t.unprofitable_loss),
        loss_share: t.unprofitable_loss as f64 / p.unprofitable_loss as f64,
    })
}
