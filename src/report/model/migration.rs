//! The `migration` block of the report model (`run --compare-as-of`): how the customers moved
//! between tiers from an earlier as-of date to the run's, in the shape of `summary.json`.

use serde::Serialize;

use super::{ratio, Money};
use crate::analysis::migration::{self as analysis, Cell, NamedMove, Periods};
use crate::report::format::share_of;

/// How customers moved between tiers since an earlier as-of date. The first six keys are the
/// contract of the issue (`from_as_of`, `matrix`, `graduated`, `slipped`, `new`, `lapsed`); the
/// others are added after them.
#[derive(Debug, Clone, Serialize)]
pub struct Migration {
    /// The earlier as-of date, ISO.
    pub from_as_of: String,
    /// Every (earlier tier, later tier) pair holding customers, earlier tiers in policy order and
    /// `(new)` last, then later tiers in policy order; revenue at the later date.
    pub matrix: Vec<Cell>,
    /// Present at both dates and in a higher tier at the later one.
    pub graduated: Group,
    /// Present at both dates and in a lower tier at the later one.
    pub slipped: Group,
    /// No transaction on or before `from_as_of`.
    pub new: Group,
    /// No purchase in the `lapse_days` days up to the as-of date (any of the groups above, or
    /// `stayed`).
    pub lapsed: Group,
    /// Present at both dates and in the same tier.
    pub stayed: Group,
    /// Lapsed customers who also slipped.
    pub lapsed_and_slipped: Group,
    /// The days without a purchase that make a customer lapsed (the `lapse_days` param, or 365).
    pub lapse_days: i64,
    /// Customers present at both dates (graduated + slipped + stayed).
    pub present: u64,
    /// What all customers spent after `from_as_of` (the four groups' `revenue_since` but lapsed).
    pub revenue_since: Money,
    /// The matrix cell with the most customers moving up (largest revenue on a tie, then matrix
    /// order); `None` when nobody graduated.
    pub largest_up_flow: Option<Cell>,
    /// The same for customers moving down.
    pub largest_down_flow: Option<Cell>,
    /// The later tiers, the matrix's columns, in policy order.
    pub tiers: Vec<String>,
    /// The matrix as a grid: one row per earlier tier (then `(new)` when there are new customers),
    /// one cell per later tier.
    pub rows: Vec<Row>,
    /// The attribute columns that name a customer, shown beside the id in the lists below.
    pub name_columns: Vec<String>,
    /// The graduates with the largest revenue, largest first (at most `report.top_customers`).
    pub largest_graduations: Vec<NamedMove>,
    /// The customers who slipped with the largest revenue, largest first.
    pub largest_slips: Vec<NamedMove>,
}

/// A group of customers.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// How many customers.
    pub customers: u64,
    /// Their revenue at the as-of date (all of it up to that date).
    pub revenue: Money,
    /// What of it they spent after `from_as_of`.
    pub revenue_since: Money,
    /// Their share of all customers at the as-of date.
    pub customer_share: f64,
    /// Their share of total revenue (NaN when that is not positive).
    pub revenue_share: f64,
}

/// One row of the matrix grid.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The tier at the earlier date, or `(new)`.
    pub from: String,
    /// One per later tier, in policy order.
    pub cells: Vec<RowCell>,
    /// Customers in the row.
    pub customers: u64,
    /// Their revenue.
    pub revenue: Money,
}

/// One cell of the grid.
#[derive(Debug, Clone, Serialize)]
pub struct RowCell {
    /// Customers.
    pub customers: u64,
    /// Their revenue at the as-of date.
    pub revenue: Money,
}

/// The model's `migration` block; shares of `customers` and `total_revenue` (cents) at the
/// as-of date.
pub fn migration(p: &Periods, customers: usize, total_revenue: i64) -> Migration {
    let group = |g: &analysis::Group| Group {
        customers: g.customers,
        revenue: Money(g.revenue),
        revenue_since: Money(g.revenue_since),
        customer_share: if customers > 0 {
            g.customers as f64 / customers as f64
        } else {
            0.0
        },
        revenue_share: share_of(ratio(g.revenue, total_revenue), total_revenue),
    };
    Migration {
        from_as_of: p.from_as_of.to_string(),
        matrix: p.migration.matrix.clone(),
        graduated: group(&p.graduated),
        slipped: group(&p.slipped),
        new: group(&p.new),
        lapsed: group(&p.lapsed),
        stayed: group(&p.stayed),
        lapsed_and_slipped: group(&p.lapsed_and_slipped),
        lapse_days: p.lapse_days,
        present: p.graduated.customers + p.slipped.customers + p.stayed.customers,
        revenue_since: Money(
            [&p.graduated, &p.slipped, &p.stayed, &p.new]
                .iter()
                .map(|g| g.revenue_since)
                .sum(),
        ),
        largest_up_flow: largest_flow(&p.migration.matrix, &p.tiers, true),
        largest_down_flow: largest_flow(&p.migration.matrix, &p.tiers, false),
        tiers: p.tiers.clone(),
        rows: rows(&p.migration.matrix, &p.tiers),
        name_columns: p.name_columns.clone(),
        largest_graduations: p.largest_graduations.clone(),
        largest_slips: p.largest_slips.clone(),
    }
}

/// The matrix as a grid: the tiers as rows, then `(new)` when it holds customers.
fn rows(matrix: &[Cell], tiers: &[String]) -> Vec<Row> {
    let has_new = matrix.iter().any(|c| c.from == analysis::NEW);
    tiers
        .iter()
        .map(String::as_str)
        .chain(has_new.then_some(analysis::NEW))
        .map(|from| {
            let cells: Vec<RowCell> = tiers
                .iter()
                .map(|to| {
                    let cell = matrix.iter().find(|c| c.from == from && &c.to == to);
                    RowCell {
                        customers: cell.map_or(0, |c| c.customers),
                        revenue: Money(cell.map_or(0, |c| c.revenue)),
                    }
                })
                .collect();
            Row {
                from: from.to_string(),
                customers: cells.iter().map(|c| c.customers).sum(),
                revenue: Money(cells.iter().map(|c| c.revenue.0).sum()),
                cells,
            }
        })
        .collect()
}

/// The cell of customers present at both dates moving `up` (or down) with the most customers.
fn largest_flow(matrix: &[Cell], tiers: &[String], up: bool) -> Option<Cell> {
    let rank = |name: &str| tiers.iter().position(|t| t == name);
    matrix
        .iter()
        .filter(|c| match (rank(&c.from), rank(&c.to)) {
            (Some(from), Some(to)) => (to < from) == up && to != from,
            _ => false,
        })
        .reduce(|best, c| {
            if (c.customers, c.revenue) > (best.customers, best.revenue) {
                c
            } else {
                best
            }
        })
        .cloned()
}
