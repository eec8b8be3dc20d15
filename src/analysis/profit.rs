//! Who is actually profitable: profit after the cost to serve (and the acquisition cost) in total,
//! per tier and for the loss-making customers, and the whale curve (customers ranked by profit
//! against cumulative profit as a share of total profit). Then how unequal the tiers are: the
//! average profit of a higher tier against a lower one (revenue when profit is not known).
//!
//! Profit is known when the policy computes it ([`crate::workspace::Profit`]: a cost column is
//! mapped, or `cost_to_serve:` or `acquisition_cost:` is declared); the customer table then holds
//! the `cost_to_serve`, `profit_before_acquisition` and `profit` columns, in cents.

use crate::metrics::{Column, CustomerTable};
use crate::workspace::strategy::{
    COMPONENT_PREFIX, COST_TO_SERVE, PROFIT, PROFIT_BEFORE_ACQUISITION,
};
use crate::workspace::{Policy, ProfitBasis};

use super::TierSummary;

/// How many points of the whale curve the chart gets (the peak is always one of them).
const CURVE_POINTS: usize = 200;

/// Profit in total, per tier, and the whale curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Profitability {
    /// What profit starts from: margin (a cost column is mapped) or revenue.
    pub basis: ProfitBasis,
    /// Whether the policy declares an acquisition cost.
    pub has_acquisition_cost: bool,
    /// Total profit, in cents.
    pub profit: i64,
    /// Total profit before the acquisition cost, in cents.
    pub profit_before_acquisition: i64,
    /// Total cost to serve, in cents.
    pub cost_to_serve: i64,
    /// Each cost-to-serve component (name without `cts_`, its total in cents), in policy order.
    pub components: Vec<(String, i64)>,
    /// Customers with profit < 0.
    pub customers_unprofitable: usize,
    /// Their share of all customers (0 without customers).
    pub unprofitable_share: f64,
    /// The sum of their profit, in cents: zero or negative.
    pub unprofitable_loss: i64,
    /// The peak of the whale curve; `None` when total profit is zero or negative.
    pub whale: Option<WhalePeak>,
    /// The whale curve: (share of customers ranked by profit, largest first; cumulative profit /
    /// total profit), from (0, 0) to (1, 1), at most about 200 points, the peak among them.
    /// Empty when total profit is zero or negative.
    pub curve: Vec<(f64, f64)>,
    /// One per tier, in policy order.
    pub tiers: Vec<TierProfit>,
}

/// The highest point of the whale curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WhalePeak {
    /// Cumulative profit at the peak / total profit (usually above 1).
    pub share: f64,
    /// The smallest number of customers (most profitable first) at which the peak is reached.
    pub customers: usize,
    /// That number as a share of all customers.
    pub customer_share: f64,
}

/// One tier's profit.
#[derive(Debug, Clone, PartialEq)]
pub struct TierProfit {
    /// Customers in the tier.
    pub customers: usize,
    /// Their cost to serve, in cents.
    pub cost_to_serve: i64,
    /// Their profit, in cents.
    pub profit: i64,
    /// Their profit before the acquisition cost, in cents.
    pub profit_before_acquisition: i64,
    /// Share of total profit (0 when total profit is not positive; negative for a losing tier).
    pub profit_share: f64,
    /// Mean profit per customer, in currency units; `None` for an empty tier.
    pub avg_profit: Option<f64>,
    /// Mean profit before acquisition cost per customer, in currency units; `None` when empty.
    pub avg_profit_before_acquisition: Option<f64>,
    /// Its customers with profit < 0.
    pub customers_unprofitable: usize,
    /// The sum of their profit, in cents: zero or negative.
    pub unprofitable_loss: i64,
}

/// The profitability of the customers, when the policy computes profit.
pub fn profitability(
    policy: &Policy,
    table: &CustomerTable,
    tier_of: &[u16],
) -> Option<Profitability> {
    let profit_rules = policy.profit.as_ref()?;
    let profit = money(table, PROFIT)?;
    let before = money(table, PROFIT_BEFORE_ACQUISITION)?;
    let cts = money(table, COST_TO_SERVE)?;
    let tiers = tier_profits(policy.tiers.len(), tier_of, profit, before, cts);
    let total: i64 = tiers.iter().map(|t| t.profit).sum();
    let customers_unprofitable = tiers.iter().map(|t| t.customers_unprofitable).sum();
    let n = table.len();
    let (whale, curve) = whale_curve(&table.ids, profit, total);
    Some(Profitability {
        basis: profit_rules.basis,
        has_acquisition_cost: profit_rules.acquisition.is_some(),
        profit: total,
        profit_before_acquisition: tiers.iter().map(|t| t.profit_before_acquisition).sum(),
        cost_to_serve: tiers.iter().map(|t| t.cost_to_serve).sum(),
        components: profit_rules
            .components
            .iter()
            .map(|c| {
                let column = format!("{COMPONENT_PREFIX}{}", c.name);
                let total = money(table, &column).map_or(0, |v| v.iter().sum());
                (c.name.clone(), total)
            })
            .collect(),
        customers_unprofitable,
        unprofitable_share: fraction(customers_unprofitable, n),
        unprofitable_loss: tiers.iter().map(|t| t.unprofitable_loss).sum(),
        whale,
        curve,
        tiers: tiers
            .into_iter()
            .map(|t| TierProfit {
                profit_share: if total > 0 {
                    t.profit as f64 / total as f64
                } else {
                    0.0
                },
                ..t
            })
            .collect(),
    })
}

fn money<'t>(table: &'t CustomerTable, name: &str) -> Option<&'t [i64]> {
    match table.column(name) {
        Some(Column::Money(v)) => Some(v),
        _ => None,
    }
}

fn fraction(part: usize, whole: usize) -> f64 {
    if whole > 0 {
        part as f64 / whole as f64
    } else {
        0.0
    }
}

/// Mean of `cents` over `customers`, in currency units; `None` for no customers.
fn mean_units(cents: i64, customers: usize) -> Option<f64> {
    (customers > 0).then(|| cents as f64 / 100.0 / customers as f64)
}

/// Per tier sums (shares left at 0).
fn tier_profits(
    n_tiers: usize,
    tier_of: &[u16],
    profit: &[i64],
    before: &[i64],
    cts: &[i64],
) -> Vec<TierProfit> {
    let mut tiers = vec![
        TierProfit {
            customers: 0,
            cost_to_serve: 0,
            profit: 0,
            profit_before_acquisition: 0,
            profit_share: 0.0,
            avg_profit: None,
            avg_profit_before_acquisition: None,
            customers_unprofitable: 0,
            unprofitable_loss: 0,
        };
        n_tiers
    ];
    for (i, &t) in tier_of.iter().enumerate() {
        let s = &mut tiers[t as usize];
        s.customers += 1;
        s.cost_to_serve += cts[i];
        s.profit += profit[i];
        s.profit_before_acquisition += before[i];
        if profit[i] < 0 {
            s.customers_unprofitable += 1;
            s.unprofitable_loss += profit[i];
        }
    }
    for s in &mut tiers {
        s.avg_profit = mean_units(s.profit, s.customers);
        s.avg_profit_before_acquisition = mean_units(s.profit_before_acquisition, s.customers);
    }
    tiers
}

/// The whale curve's peak and points: customers ranked by profit (largest first, ties by id).
fn whale_curve(ids: &[String], profit: &[i64], total: i64) -> (Option<WhalePeak>, Vec<(f64, f64)>) {
    let n = profit.len();
    if total <= 0 || n == 0 {
        return (None, Vec::new());
    }
    let mut rank: Vec<usize> = (0..n).collect();
    rank.sort_by(|&a, &b| profit[b].cmp(&profit[a]).then_with(|| ids[a].cmp(&ids[b])));
    let mut running = 0i128;
    let (mut best, mut best_k) = (0i128, 0usize);
    let cumulative: Vec<i128> = rank
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            running += i128::from(profit[i]);
            if running > best {
                (best, best_k) = (running, k + 1);
            }
            running
        })
        .collect();
    let total = total as f64;
    let step = (n / CURVE_POINTS).max(1);
    let mut curve = vec![(0.0, 0.0)];
    for (k, &c) in cumulative.iter().enumerate() {
        let count = k + 1;
        if count % step == 0 || count == n || count == best_k {
            curve.push((count as f64 / n as f64, c as f64 / total));
        }
    }
    let peak = WhalePeak {
        share: best as f64 / total,
        customers: best_k,
        customer_share: best_k as f64 / n as f64,
    };
    (Some(peak), curve)
}

/// How much more a customer of a higher tier is worth than one of a lower tier (the report model
/// serialises it as it is: `inequality` in summary.json).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TierRatio {
    /// The higher tier.
    pub higher: String,
    /// The lower tier.
    pub lower: String,
    /// `profit`, or `revenue` when profit is not known.
    pub basis: &'static str,
    /// Average of the higher tier / average of the lower; `None` when the lower average is zero
    /// or negative, or a tier is empty.
    pub ratio: Option<f64>,
    /// The same before acquisition cost; `None` on the revenue basis.
    pub ratio_before_acquisition: Option<f64>,
    /// The higher tier's average per customer, in currency units; `None` when it is empty.
    pub higher_avg: Option<f64>,
    /// The lower tier's average per customer, in currency units; `None` when it is empty.
    pub lower_avg: Option<f64>,
    /// The lower tier's average before acquisition cost; `None` on the revenue basis.
    pub lower_avg_before_acquisition: Option<f64>,
}

/// One ratio per pair of adjacent tiers, then the top against the bottom tier (when there are
/// more than two), on profit when it is known, else on revenue.
pub fn inequality(tiers: &[TierSummary], profit: Option<&Profitability>) -> Vec<TierRatio> {
    let n = tiers.len();
    let mut pairs: Vec<(usize, usize)> = (1..n).map(|i| (i - 1, i)).collect();
    if n > 2 {
        pairs.push((0, n - 1));
    }
    let averages: Vec<(Option<f64>, Option<f64>)> = match profit {
        Some(p) => p
            .tiers
            .iter()
            .map(|t| (t.avg_profit, t.avg_profit_before_acquisition))
            .collect(),
        None => tiers
            .iter()
            .map(|t| (mean_units(t.revenue, t.customers), None))
            .collect(),
    };
    pairs
        .into_iter()
        .map(|(h, l)| TierRatio {
            higher: tiers[h].name.clone(),
            lower: tiers[l].name.clone(),
            basis: if profit.is_some() {
                "profit"
            } else {
                "revenue"
            },
            ratio: ratio(averages[h].0, averages[l].0),
            ratio_before_acquisition: ratio(averages[h].1, averages[l].1),
            higher_avg: averages[h].0,
            lower_avg: averages[l].0,
            lower_avg_before_acquisition: averages[l].1,
        })
        .collect()
}

/// `higher / lower`, when both are known and the lower is positive.
fn ratio(higher: Option<f64>, lower: Option<f64>) -> Option<f64> {
    match (higher, lower) {
        (Some(h), Some(l)) if l > 0.0 => Some(h / l),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("c{i}")).collect()
    }

    #[test]
    fn the_whale_curve_peaks_at_the_last_profitable_customer() {
        // Ranked: 600, 400, 0, -200, -300 (total 500): peak 1000 / 500 after 2 customers.
        let profit = [-200, 400, 0, 600, -300];
        let (peak, curve) = whale_curve(&ids(5), &profit, 500);
        let peak = peak.unwrap();
        assert_eq!(peak.customers, 2);
        assert!((peak.share - 2.0).abs() < 1e-12);
        assert!((peak.customer_share - 0.4).abs() < 1e-12);
        assert_eq!(curve.first(), Some(&(0.0, 0.0)));
        assert_eq!(curve[2], (0.4, 2.0));
        assert_eq!(curve.last(), Some(&(1.0, 1.0)));
    }

    #[test]
    fn no_whale_curve_without_positive_profit() {
        let (peak, curve) = whale_curve(&ids(2), &[100, -100], 0);
        assert!(peak.is_none() && curve.is_empty());
    }

    #[test]
    fn the_peak_is_on_the_downsampled_curve() {
        // 1000 customers: 437 earn 3, the rest lose 1; the peak (1311 / 748) after 437.
        let profit: Vec<i64> = (0..1000).map(|i| if i < 437 { 3 } else { -1 }).collect();
        let total: i64 = profit.iter().sum();
        let (peak, curve) = whale_curve(&ids(1000), &profit, total);
        assert_eq!(peak.unwrap().customers, 437);
        assert!(curve.len() <= CURVE_POINTS + 3);
        assert!(curve.contains(&(0.437, 1311.0 / 748.0)));
    }

    fn summary(name: &str, customers: usize, revenue: i64) -> TierSummary {
        TierSummary {
            name: name.into(),
            description: None,
            customers,
            customer_share: 0.0,
            revenue,
            revenue_share: 0.0,
            revenue_12m: 0,
            margin: 0,
            margin_share: 0.0,
            avg_revenue: 0.0,
            orders: 0,
        }
    }

    #[test]
    fn revenue_ratios_for_adjacent_tiers_and_top_against_bottom() {
        let tiers = [
            summary("A", 2, 100_000),
            summary("B", 4, 40_000),
            summary("C", 10, 0),
        ];
        let r = inequality(&tiers, None);
        let pairs: Vec<(&str, &str)> = r
            .iter()
            .map(|r| (r.higher.as_str(), r.lower.as_str()))
            .collect();
        assert_eq!(pairs, [("A", "B"), ("B", "C"), ("A", "C")]);
        assert_eq!(r[0].basis, "revenue");
        // 500.00 a customer against 100.00.
        assert_eq!(r[0].ratio, Some(5.0));
        assert_eq!(r[0].ratio_before_acquisition, None);
        // C earns nothing on average: not meaningful, with its average shown.
        assert_eq!(r[1].ratio, None);
        assert_eq!(r[1].lower_avg, Some(0.0));
    }
}
