//! Streaming aggregation of transaction rows into per-customer built-in metrics. Memory grows with
//! customers and their distinct purchase days, not with rows.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::data::{Day, Row, RowSink};

use super::column::{Column, CustomerTable, Origin, EMPTY_DATE, EMPTY_INT};
use super::population;

/// One customer's running totals.
#[derive(Debug, Clone)]
struct Totals {
    revenue: i64,
    revenue_12m: i64,
    cost: i64,
    quantity: i64,
    purchase_rows: i64,
    first: i32,
    last: i32,
    /// Purchase days; adjacent repeats skipped while reading, sorted and deduplicated at the end.
    days: Vec<i32>,
    /// Distinct order ids of purchase rows, when `order_id` is mapped.
    orders: Option<FxHashSet<Box<str>>>,
}

impl Totals {
    fn new() -> Self {
        Totals {
            revenue: 0,
            revenue_12m: 0,
            cost: 0,
            quantity: 0,
            purchase_rows: 0,
            first: i32::MAX,
            last: i32::MIN,
            days: Vec::new(),
            orders: None,
        }
    }

    fn merge(&mut self, other: Totals) {
        self.revenue += other.revenue;
        self.revenue_12m += other.revenue_12m;
        self.cost += other.cost;
        self.quantity += other.quantity;
        self.purchase_rows += other.purchase_rows;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.days.extend(other.days);
        match (&mut self.orders, other.orders) {
            (Some(mine), Some(theirs)) => mine.extend(theirs),
            (mine @ None, theirs) => *mine = theirs,
            (Some(_), None) => {}
        }
    }
}

/// Aggregates rows, as of a date, into per-customer totals. One per loader thread; merged at the
/// end, with the same result whatever the order of rows or threads.
#[derive(Debug)]
pub struct Accumulator {
    as_of: Day,
    by_customer: FxHashMap<Box<str>, Totals>,
}

impl Accumulator {
    /// An empty accumulator for metrics as of `as_of`.
    pub fn new(as_of: Day) -> Self {
        Accumulator {
            as_of,
            by_customer: FxHashMap::default(),
        }
    }

    /// The number of customers seen so far.
    pub fn customers(&self) -> usize {
        self.by_customer.len()
    }

    /// Turns the totals into the customer table of built-in metrics, sorted by customer id.
    pub fn finish(self) -> CustomerTable {
        let as_of = self.as_of.0;
        let mut entries: Vec<(Box<str>, Totals)> = self.by_customer.into_iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let n = entries.len();
        let mut ids = Vec::with_capacity(n);
        let mut orders = Vec::with_capacity(n);
        let mut purchase_days = Vec::with_capacity(n);
        let mut frequency = Vec::with_capacity(n);
        let mut revenue = Vec::with_capacity(n);
        let mut revenue_12m = Vec::with_capacity(n);
        let mut quantity = Vec::with_capacity(n);
        let mut cost = Vec::with_capacity(n);
        let mut margin = Vec::with_capacity(n);
        let mut margin_pct = Vec::with_capacity(n);
        let mut first = Vec::with_capacity(n);
        let mut last = Vec::with_capacity(n);
        let mut recency = Vec::with_capacity(n);
        let mut tenure = Vec::with_capacity(n);
        let mut aov = Vec::with_capacity(n);
        for (id, mut t) in entries {
            t.days.sort_unstable();
            t.days.dedup();
            let days = t.days.len() as i64;
            let order_count = match &t.orders {
                Some(set) => set.len() as i64,
                None => t.purchase_rows,
            };
            let bought = t.first <= t.last;
            ids.push(id.into_string());
            orders.push(order_count);
            purchase_days.push(days);
            frequency.push(if days > 0 { days - 1 } else { EMPTY_INT });
            revenue.push(t.revenue);
            revenue_12m.push(t.revenue_12m);
            quantity.push(t.quantity);
            cost.push(t.cost);
            let m = t.revenue - t.cost;
            margin.push(m);
            margin_pct.push(if t.revenue == 0 {
                f64::NAN
            } else {
                m as f64 / t.revenue as f64
            });
            first.push(if bought { t.first } else { EMPTY_DATE });
            last.push(if bought { t.last } else { EMPTY_DATE });
            recency.push(if bought {
                (as_of - t.last) as i64
            } else {
                EMPTY_INT
            });
            tenure.push(if bought {
                (as_of - t.first) as i64
            } else {
                EMPTY_INT
            });
            aov.push(if order_count == 0 {
                f64::NAN
            } else {
                t.revenue as f64 / 100.0 / order_count as f64
            });
        }
        let mut table = CustomerTable {
            as_of: self.as_of,
            ids,
            columns: Vec::new(),
        };
        let r_score = population::scores(&Column::Int(recency.clone()), false);
        let f_score = population::scores(&Column::Int(purchase_days.clone()), true);
        let m_score = population::scores(&Column::Money(revenue.clone()), true);
        let cum_share = population::cumulative_share(&table.ids, &revenue);
        let b = Origin::Builtin;
        table.push("orders", b, Column::Int(orders));
        table.push("purchase_days", b, Column::Int(purchase_days));
        table.push("frequency", b, Column::Int(frequency));
        table.push("revenue", b, Column::Money(revenue));
        table.push("revenue_12m", b, Column::Money(revenue_12m));
        table.push("quantity", b, Column::Int(quantity));
        table.push("cost", b, Column::Money(cost));
        table.push("margin", b, Column::Money(margin));
        table.push("margin_pct", b, Column::Float(margin_pct));
        table.push("first_purchase", b, Column::Date(first));
        table.push("last_purchase", b, Column::Date(last));
        table.push("recency_days", b, Column::Int(recency));
        table.push("tenure_days", b, Column::Int(tenure));
        table.push("avg_order_value", b, Column::Float(aov));
        table.push("r_score", b, Column::Int(r_score));
        table.push("f_score", b, Column::Int(f_score));
        table.push("m_score", b, Column::Int(m_score));
        table.push("cum_revenue_share", b, Column::Float(cum_share));
        debug_assert!(table
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .eq(super::BUILTINS.iter().map(|b| b.name)));
        table
    }
}

impl RowSink for Accumulator {
    fn push(&mut self, row: &Row<'_>) {
        let t = match self.by_customer.get_mut(row.customer_id) {
            Some(t) => t,
            None => self
                .by_customer
                .entry(row.customer_id.into())
                .or_insert_with(Totals::new),
        };
        let day = row.day.0;
        t.revenue += row.amount;
        if day > self.as_of.0 - 365 {
            t.revenue_12m += row.amount;
        }
        t.cost += row.cost;
        t.quantity += row.quantity;
        if row.amount >= 0 {
            t.purchase_rows += 1;
            t.first = t.first.min(day);
            t.last = t.last.max(day);
            if t.days.last() != Some(&day) {
                t.days.push(day);
            }
            if let Some(order) = row.order_id {
                let set = t.orders.get_or_insert_with(FxHashSet::default);
                if !set.contains(order) {
                    set.insert(order.into());
                }
            }
        }
    }

    fn merge(&mut self, other: Self) {
        if self.by_customer.len() < other.by_customer.len() {
            let mine = std::mem::replace(&mut self.by_customer, other.by_customer);
            self.absorb(mine);
        } else {
            self.absorb(other.by_customer);
        }
    }
}

impl Accumulator {
    fn absorb(&mut self, other: FxHashMap<Box<str>, Totals>) {
        for (id, totals) in other {
            match self.by_customer.get_mut(&id) {
                Some(t) => t.merge(totals),
                None => {
                    self.by_customer.insert(id, totals);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Value;

    fn day(s: &str) -> Day {
        Day::parse_iso(s).unwrap()
    }

    fn row<'a>(id: &'a str, d: &str, cents: i64, order: Option<&'a str>) -> Row<'a> {
        Row {
            customer_id: id,
            day: day(d),
            amount: cents,
            cost: cents / 2,
            quantity: 1,
            order_id: order,
            product: None,
            channel: None,
        }
    }

    /// Every cell as customers.csv writes it (NaN-safe equality).
    fn csv_cells(t: &CustomerTable) -> Vec<Vec<String>> {
        (0..t.len())
            .map(|i| t.columns.iter().map(|c| c.column.get(i).to_csv()).collect())
            .collect()
    }

    fn value(t: &CustomerTable, name: &str, i: usize) -> String {
        t.column(name).unwrap().get(i).to_csv()
    }

    #[test]
    fn refunds_lower_revenue_but_are_not_purchases() {
        let mut acc = Accumulator::new(day("2024-12-31"));
        acc.push(&row("a", "2024-01-10", 10_00, None));
        acc.push(&row("a", "2024-01-10", 5_00, None));
        acc.push(&row("a", "2024-03-01", 0, None));
        acc.push(&row("a", "2024-06-01", -3_00, None));
        acc.push(&row("b", "2023-06-01", -1_00, None));
        let t = acc.finish();
        assert_eq!(t.ids, vec!["a", "b"]);
        assert_eq!(value(&t, "orders", 0), "3");
        assert_eq!(value(&t, "purchase_days", 0), "2");
        assert_eq!(value(&t, "frequency", 0), "1");
        assert_eq!(value(&t, "revenue", 0), "12.00");
        assert_eq!(value(&t, "first_purchase", 0), "2024-01-10");
        assert_eq!(value(&t, "last_purchase", 0), "2024-03-01");
        assert_eq!(value(&t, "recency_days", 0), "305");
        assert_eq!(value(&t, "avg_order_value", 0), "4");
        // b only has a refund: no purchase dates, no frequency, no order value.
        assert_eq!(value(&t, "orders", 1), "0");
        assert_eq!(value(&t, "revenue", 1), "-1.00");
        assert_eq!(value(&t, "first_purchase", 1), "");
        assert_eq!(value(&t, "frequency", 1), "");
        assert_eq!(value(&t, "avg_order_value", 1), "");
        assert_eq!(t.column("margin_pct").unwrap().get(1), Value::Float(0.5));
    }

    #[test]
    fn revenue_12m_takes_the_365_days_up_to_as_of() {
        let mut acc = Accumulator::new(day("2024-12-31"));
        acc.push(&row("a", "2024-01-01", 1_00, None)); // 365 days before: excluded
        acc.push(&row("a", "2024-01-02", 2_00, None));
        acc.push(&row("a", "2024-12-31", 4_00, None));
        let t = acc.finish();
        assert_eq!(value(&t, "revenue_12m", 0), "6.00");
        assert_eq!(value(&t, "revenue", 0), "7.00");
    }

    #[test]
    fn order_ids_count_distinct_purchases() {
        let mut acc = Accumulator::new(day("2024-12-31"));
        acc.push(&row("a", "2024-01-01", 1_00, Some("o1")));
        acc.push(&row("a", "2024-01-01", 2_00, Some("o1")));
        acc.push(&row("a", "2024-01-05", 2_00, Some("o2")));
        acc.push(&row("a", "2024-01-06", -2_00, Some("o3")));
        let t = acc.finish();
        assert_eq!(value(&t, "orders", 0), "2");
    }

    #[test]
    fn merging_in_any_order_gives_the_same_table() {
        let rows = [
            ("x", "2024-02-01", 5_00),
            ("y", "2024-02-01", 7_00),
            ("x", "2024-01-01", 3_33),
            ("x", "2024-02-01", 1_00),
            ("z", "2024-05-01", -2_00),
            ("y", "2024-03-01", 9_99),
        ];
        let mut one = Accumulator::new(day("2024-06-30"));
        for (id, d, c) in rows {
            one.push(&row(id, d, c, None));
        }
        let mut a = Accumulator::new(day("2024-06-30"));
        let mut b = Accumulator::new(day("2024-06-30"));
        for (i, (id, d, c)) in rows.iter().rev().enumerate() {
            let target = if i % 2 == 0 { &mut a } else { &mut b };
            target.push(&row(id, d, *c, None));
        }
        b.merge(a);
        assert_eq!(csv_cells(&one.finish()), csv_cells(&b.finish()));
    }
}
