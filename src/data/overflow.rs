//! Sums that leave the range of exact integer arithmetic.
//!
//! Sinks add money as `i64` cents (and quantities as `i64`): exact, and about ±92 million billion
//! in the currency's units. A sink that finds a customer's sum out of that range reports it
//! ([`super::RowSink::overflows`]); the loader then reads the file again, in file order, with a
//! [`Tracker`] that adds the reported sums exactly (in `i128`) and stops at the first row where one
//! of them leaves the range, so the error names that row, its column and its value.

use rustc_hash::FxHashMap;

use super::day::Day;
use super::headers::ColumnPlan;
use super::{CellProblem, Expected, Row};

/// A per-customer sum that a [`super::RowSink`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sum {
    /// The sum of `amount`.
    Amount,
    /// The sum of `amount` over rows dated on or after this day.
    AmountSince(Day),
    /// The sum of `cost`.
    Cost,
    /// The sum of `quantity`.
    Quantity,
    /// The sum of `amount - cost` (the margin).
    Margin,
}

impl Sum {
    /// What is summed, as in "the sum of customer X's ...".
    pub fn describe(&self) -> String {
        match self {
            Sum::Amount => "amounts".to_string(),
            Sum::AmountSince(day) => format!("amounts dated {day} or later"),
            Sum::Cost => "costs".to_string(),
            Sum::Quantity => "quantities".to_string(),
            Sum::Margin => "amounts minus costs (margin)".to_string(),
        }
    }

    /// The range the sum must stay in, as text.
    pub fn range(&self) -> &'static str {
        match self {
            Sum::Quantity => "±9,223,372,036,854,775,807",
            _ => "±92,233,720,368,547,758.07",
        }
    }

    /// This row's part of the sum.
    fn of(&self, row: &Row<'_>) -> i128 {
        match *self {
            Sum::Amount => row.amount.into(),
            Sum::AmountSince(day) if row.day >= day => row.amount.into(),
            Sum::AmountSince(_) => 0,
            Sum::Cost => row.cost.into(),
            Sum::Quantity => row.quantity.into(),
            Sum::Margin => i128::from(row.amount) - i128::from(row.cost),
        }
    }

    /// The field to name in the error: the amount, cost or quantity column (for the margin, the
    /// larger of amount and cost).
    fn field(&self, plan: &ColumnPlan, row: &Row<'_>) -> usize {
        let cost = plan.cost.unwrap_or(plan.amount);
        match self {
            Sum::Amount | Sum::AmountSince(_) => plan.amount,
            Sum::Cost => cost,
            Sum::Quantity => plan.quantity.unwrap_or(plan.amount),
            Sum::Margin if row.cost.unsigned_abs() > row.amount.unsigned_abs() => cost,
            Sum::Margin => plan.amount,
        }
    }
}

/// A customer's sum that left the range a sink adds exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overflow {
    /// The customer id.
    pub customer_id: String,
    /// Which of the customer's sums.
    pub sum: Sum,
}

/// Adds the reported sums row by row, in file order, to find where one leaves the range.
#[derive(Debug, Clone)]
pub(crate) struct Tracker {
    /// Each reported customer's sums and their running totals.
    by_id: FxHashMap<String, Vec<(Sum, i128)>>,
}

/// Whether an exact total is in the range of `i64`.
fn fits(total: i128) -> bool {
    i64::try_from(total).is_ok()
}

impl Tracker {
    /// Tracks these sums.
    pub(crate) fn new(overflows: &[Overflow]) -> Self {
        let mut by_id: FxHashMap<String, Vec<(Sum, i128)>> = FxHashMap::default();
        for o in overflows {
            by_id
                .entry(o.customer_id.clone())
                .or_default()
                .push((o.sum, 0));
        }
        Tracker { by_id }
    }

    /// Adds a row that was used (not after the as-of date); the problem to report when it makes
    /// one of its customer's tracked sums leave the range.
    pub(crate) fn add(&mut self, plan: &ColumnPlan, row: &Row<'_>) -> Result<(), CellProblem> {
        let Some(sums) = self.by_id.get_mut(row.customer_id) else {
            return Ok(());
        };
        for (sum, total) in sums {
            let before = *total;
            *total += sum.of(row);
            if fits(before) && !fits(*total) {
                return Err(CellProblem {
                    field: sum.field(plan, row),
                    expected: Expected::InRange {
                        sum: *sum,
                        id_field: plan.customer_id,
                    },
                    note: None,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> ColumnPlan {
        ColumnPlan {
            customer_id: 0,
            date: 1,
            amount: 2,
            cost: Some(3),
            amount_expr: None,
            cost_expr: None,
            quantity: Some(4),
            order_id: None,
            product: None,
            channel: None,
            headers: Vec::new(),
        }
    }

    fn row(id: &str, day: i32, amount: i64, cost: i64) -> Row<'_> {
        Row {
            customer_id: id,
            day: Day(day),
            amount,
            cost,
            quantity: 1,
            order_id: None,
            product: None,
            channel: None,
        }
    }

    #[test]
    fn stops_at_the_row_where_the_sum_leaves_the_range() {
        let plan = plan();
        let mut t = Tracker::new(&[Overflow {
            customer_id: "a".into(),
            sum: Sum::Amount,
        }]);
        let half = i64::MAX / 2 + 1;
        assert!(t.add(&plan, &row("a", 0, half, 0)).is_ok());
        assert!(t.add(&plan, &row("b", 0, i64::MAX, 0)).is_ok()); // not tracked
        let p = t.add(&plan, &row("a", 0, half, 0)).unwrap_err();
        assert_eq!(p.field, 2);
        assert!(matches!(
            p.expected,
            Expected::InRange {
                sum: Sum::Amount,
                id_field: 0
            }
        ));
    }

    #[test]
    fn each_sum_counts_its_own_rows_and_columns() {
        let plan = plan();
        let since = Sum::AmountSince(Day(10));
        let mut t = Tracker::new(&[
            Overflow {
                customer_id: "a".into(),
                sum: since,
            },
            Overflow {
                customer_id: "m".into(),
                sum: Sum::Margin,
            },
        ]);
        // Rows before the day do not count towards the recent sum.
        for _ in 0..3 {
            assert!(t.add(&plan, &row("a", 9, i64::MAX, 0)).is_ok());
        }
        assert!(t.add(&plan, &row("a", 10, i64::MAX, 0)).is_ok());
        assert_eq!(t.add(&plan, &row("a", 11, 1, 0)).unwrap_err().field, 2);
        // The margin: a large negative cost is to blame, in the cost column.
        assert!(t.add(&plan, &row("m", 0, i64::MAX, 0)).is_ok());
        assert_eq!(t.add(&plan, &row("m", 0, 1, -5)).unwrap_err().field, 3);
    }

    #[test]
    fn ranges_and_words() {
        assert_eq!(Sum::Quantity.range(), "±9,223,372,036,854,775,807");
        assert_eq!(
            Sum::Amount.range(),
            format!("±{}", "92,233,720,368,547,758.07")
        );
        assert_eq!(
            Sum::AmountSince(Day(0)).describe(),
            "amounts dated 1970-01-01 or later"
        );
    }
}
