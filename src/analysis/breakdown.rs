//! Customers, revenue and (when it is known) profit by the values of one column x tier: what a
//! template's `breakdown(by=, tiers=)` returns and what the RFM segments of the model are.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::metrics::{Column, CustomerTable, Value};
use crate::workspace::strategy::PROFIT;

/// The most distinct values a breakdown may have: a column with more (an id, an amount) is not
/// something to break a report table down by.
pub const MAX_GROUPS: usize = 1000;

/// One value of the column, with its totals over the chosen tiers and per tier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The value as `customers.csv` writes it; `None` for customers without one.
    pub value: Option<String>,
    /// Customers with this value in the chosen tiers.
    pub customers: usize,
    /// Their revenue, in cents.
    pub revenue: i64,
    /// Their orders (purchases).
    pub orders: i64,
    /// Their profit, in cents: `None` when profit is not known (the table has no `profit`).
    pub profit: Option<i64>,
    /// The same per tier, in policy order (only the chosen tiers).
    pub tiers: Vec<TierCell>,
}

/// One tier's part of a [`Group`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierCell {
    /// The tier's name.
    pub tier: String,
    /// Customers of the tier with the group's value.
    pub customers: usize,
    /// Their revenue, in cents.
    pub revenue: i64,
    /// Their orders (purchases).
    pub orders: i64,
    /// Their profit, in cents: `None` when profit is not known.
    pub profit: Option<i64>,
}

/// One cell's running sums.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    customers: usize,
    revenue: i64,
    orders: i64,
    profit: i64,
}

/// Why a breakdown cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakdownError {
    /// No column of that name.
    UnknownColumn,
    /// More than [`MAX_GROUPS`] distinct values.
    TooManyValues,
}

/// Customers and revenue by the values of column `by` (groups sorted by value, customers without
/// a value last) and tier. `tier_names` are all tiers in policy order, `tiers[i]` the tier of
/// customer `i`; `chosen[t]` says whether tier `t` is counted.
pub fn breakdown(
    table: &CustomerTable,
    tiers: &[u16],
    tier_names: &[String],
    chosen: &[bool],
    by: &str,
) -> Result<Vec<Group>, BreakdownError> {
    let column = table.column(by).ok_or(BreakdownError::UnknownColumn)?;
    let revenue = table.money("revenue");
    let orders = match table.column("orders") {
        Some(Column::Int(v)) => v.as_slice(),
        _ => &[],
    };
    let profit = match table.column(PROFIT) {
        Some(Column::Money(v)) => Some(v.as_slice()),
        _ => None,
    };
    // value -> per tier sums
    let mut cells: BTreeMap<Option<String>, Vec<Sums>> = BTreeMap::new();
    for (i, &t) in tiers.iter().enumerate() {
        let t = t as usize;
        if !chosen.get(t).copied().unwrap_or(false) {
            continue;
        }
        let value = match column.get(i) {
            Value::Empty => None,
            v => Some(v.to_csv()),
        };
        if !cells.contains_key(&value) && cells.len() == MAX_GROUPS {
            return Err(BreakdownError::TooManyValues);
        }
        let row = cells
            .entry(value)
            .or_insert_with(|| vec![Sums::default(); tier_names.len()]);
        let cell = &mut row[t];
        cell.customers += 1;
        cell.revenue += revenue[i];
        cell.orders += orders.get(i).copied().unwrap_or(0);
        cell.profit += profit.map_or(0, |p| p[i]);
    }
    let mut groups: Vec<Group> = cells
        .into_iter()
        .map(|(value, per_tier)| {
            let tiers: Vec<TierCell> = per_tier
                .iter()
                .enumerate()
                .filter(|(t, _)| chosen[*t])
                .map(|(t, sums)| TierCell {
                    tier: tier_names[t].clone(),
                    customers: sums.customers,
                    revenue: sums.revenue,
                    orders: sums.orders,
                    profit: profit.map(|_| sums.profit),
                })
                .collect();
            Group {
                value,
                customers: tiers.iter().map(|c| c.customers).sum(),
                revenue: tiers.iter().map(|c| c.revenue).sum(),
                orders: tiers.iter().map(|c| c.orders).sum(),
                profit: profit.map(|_| tiers.iter().filter_map(|c| c.profit).sum()),
                tiers,
            }
        })
        .collect();
    // `None` sorts first in a BTreeMap; customers without a value go last.
    groups.sort_by_key(|g| g.value.is_none());
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Day;
    use crate::metrics::{Column, Origin};

    fn empty(ids: Vec<String>) -> CustomerTable {
        CustomerTable {
            as_of: Day(0),
            ids,
            columns: Vec::new(),
        }
    }

    fn table() -> CustomerTable {
        let mut t = empty((0..6).map(|i| format!("c{i}")).collect());
        t.push(
            "revenue",
            Origin::Builtin,
            Column::Money(vec![100, 250, 300, 5, 40, 7]),
        );
        let region = ["north", "south", "north", "", "south", "north"];
        t.push(
            "region",
            Origin::Attribute,
            Column::Text(
                region
                    .iter()
                    .map(|r| (!r.is_empty()).then(|| r.to_string()))
                    .collect(),
            ),
        );
        t
    }

    #[test]
    fn sums_by_value_and_tier_against_a_plain_loop() {
        let t = table();
        let tiers = [0u16, 1, 1, 0, 0, 1];
        let names = vec!["A".to_string(), "B".to_string()];
        let groups = breakdown(&t, &tiers, &names, &[true, true], "region").unwrap();
        let values: Vec<Option<&str>> = groups.iter().map(|g| g.value.as_deref()).collect();
        assert_eq!(values, [Some("north"), Some("south"), None]);
        let region = ["north", "south", "north", "", "south", "north"];
        let revenue = t.money("revenue");
        for g in &groups {
            let want = g.value.as_deref().unwrap_or("");
            for (k, cell) in g.tiers.iter().enumerate() {
                let (mut n, mut r) = (0, 0);
                for i in 0..6 {
                    if region[i] == want && tiers[i] as usize == k {
                        n += 1;
                        r += revenue[i];
                    }
                }
                assert_eq!((cell.customers, cell.revenue), (n, r), "{want} {k}");
            }
            assert_eq!(g.profit, None);
        }
        let only_b = breakdown(&t, &tiers, &names, &[false, true], "region").unwrap();
        assert!(only_b
            .iter()
            .all(|g| g.tiers.len() == 1 && g.tiers[0].tier == "B"));
        assert_eq!(only_b.iter().map(|g| g.customers).sum::<usize>(), 3);
        assert_eq!(
            breakdown(&t, &tiers, &names, &[true, true], "regio"),
            Err(BreakdownError::UnknownColumn)
        );
    }

    #[test]
    fn profit_is_summed_when_the_table_has_it() {
        let mut t = table();
        let profit = [10i64, -40, 25, 3, -7, 1];
        t.push("profit", Origin::Derived, Column::Money(profit.to_vec()));
        let tiers = [0u16, 1, 1, 0, 0, 1];
        let names = vec!["A".to_string(), "B".to_string()];
        let groups = breakdown(&t, &tiers, &names, &[true, true], "region").unwrap();
        let region = ["north", "south", "north", "", "south", "north"];
        for g in &groups {
            let want = g.value.as_deref().unwrap_or("");
            let mut total = 0;
            for (k, cell) in g.tiers.iter().enumerate() {
                let sum: i64 = (0..6)
                    .filter(|&i| region[i] == want && tiers[i] as usize == k)
                    .map(|i| profit[i])
                    .sum();
                assert_eq!(cell.profit, Some(sum), "{want} {k}");
                total += sum;
            }
            assert_eq!(g.profit, Some(total), "{want}");
        }
    }

    #[test]
    fn too_many_values_is_an_error() {
        let n = MAX_GROUPS + 1;
        let mut t = empty((0..n).map(|i| i.to_string()).collect());
        t.push("revenue", Origin::Builtin, Column::Money(vec![1; n]));
        t.push(
            "orders",
            Origin::Builtin,
            Column::Int((0..n as i64).collect()),
        );
        let names = vec!["A".to_string()];
        assert_eq!(
            breakdown(&t, &vec![0; n], &names, &[true], "orders"),
            Err(BreakdownError::TooManyValues)
        );
    }
}
