//! The recency x frequency grid and what it can and cannot show on this data: how many customers
//! each score holds, and the largest tie of each scored metric (on data where most customers buy
//! on one day, no cut splits them and some frequency scores stay empty).

use std::collections::BTreeMap;

use crate::metrics::{Column, CustomerTable};

/// One cell of the RFM grid.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RfmCell {
    /// Customers in the cell.
    pub customers: u64,
    /// Their revenue in cents.
    pub revenue: i64,
}

/// The largest group of customers sharing one value of a scored metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tie {
    /// The value (days).
    pub value: i64,
    /// Customers with it.
    pub customers: usize,
}

/// The grid and the ties behind its scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Rfm {
    /// Customers and revenue by recency score (rows, 1..5) and frequency score (columns, 1..5).
    pub grid: [[RfmCell; 5]; 5],
    /// The most common `recency_days` (smallest value on a tie); `None` without customers.
    pub recency_tie: Option<Tie>,
    /// The most common `purchase_days`.
    pub frequency_tie: Option<Tie>,
    /// Customers whose last purchase is at most [`RECENT_DAYS`] before the as-of date.
    pub recent_customers: usize,
}

/// What counts as a recent purchase: within about six months of the as-of date.
pub const RECENT_DAYS: i64 = 180;

/// An integer column's values, or none when it is missing.
fn ints<'t>(table: &'t CustomerTable, name: &str) -> &'t [i64] {
    match table.column(name) {
        Some(Column::Int(v)) => v.as_slice(),
        _ => &[],
    }
}

/// The grid and ties of `table`'s scores.
pub fn rfm(table: &CustomerTable) -> Rfm {
    let recency = ints(table, "recency_days");
    Rfm {
        grid: grid(table),
        recency_tie: largest_tie(recency),
        frequency_tie: largest_tie(ints(table, "purchase_days")),
        recent_customers: recency
            .iter()
            .filter(|&&d| (0..=RECENT_DAYS).contains(&d))
            .count(),
    }
}

/// Customers and revenue by recency score (rows) and frequency score (columns).
fn grid(table: &CustomerTable) -> [[RfmCell; 5]; 5] {
    let revenue = table.money("revenue");
    let mut rfm = [[RfmCell::default(); 5]; 5];
    let (r, f) = (ints(table, "r_score"), ints(table, "f_score"));
    for (i, (&r, &f)) in r.iter().zip(f).enumerate() {
        if (1..=5).contains(&r) && (1..=5).contains(&f) {
            let cell = &mut rfm[r as usize - 1][f as usize - 1];
            cell.customers += 1;
            cell.revenue += revenue[i];
        }
    }
    rfm
}

/// The most common value among `values` (empty cells left out); the smallest wins a tie.
fn largest_tie(values: &[i64]) -> Option<Tie> {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for &v in values.iter().filter(|&&v| v != crate::metrics::EMPTY_INT) {
        *counts.entry(v).or_default() += 1;
    }
    counts
        .into_iter()
        .fold(None, |best: Option<Tie>, (value, customers)| match best {
            Some(b) if b.customers >= customers => Some(b),
            _ => Some(Tie { value, customers }),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_tie_is_the_most_common_value_smallest_first() {
        let empty = crate::metrics::EMPTY_INT;
        assert_eq!(
            largest_tie(&[3, 1, 1, 3, 2, empty, empty, empty]),
            Some(Tie {
                value: 1,
                customers: 2
            })
        );
        assert_eq!(largest_tie(&[empty]), None);
        assert_eq!(largest_tie(&[]), None);
    }
}
