//! Made-up customers for `powerbase check`: every rule and template is evaluated once on them, so
//! a policy that passes `check` does not fail on `run` because of its shape (a template naming an
//! unknown value, a condition that does not give true or false, a population call with a bad
//! argument). They cover the values that are undefined for real customers too: only a refund (no
//! purchase dates, no average order), zero revenue (no margin share), a single day, many days.

use crate::data::{Day, Row, RowSink};

use super::{Accumulator, CustomerTable};

/// (customer id, days before the as-of date, amount in cents, cost in cents, quantity).
const ROWS: &[(&str, i32, i64, i64, i64)] = &[
    // A loyal big spender: many days, recent.
    ("check-loyal", 400, 120_000, 80_000, 4),
    ("check-loyal", 200, 95_050, 60_000, 3),
    ("check-loyal", 30, 210_000, 150_000, 6),
    ("check-loyal", 2, 45_000, 30_000, 1),
    // Two purchases on one day, long ago.
    ("check-once", 500, 1_200, 900, 1),
    ("check-once", 500, 7_700, 5_000, 5),
    // A recent first purchase.
    ("check-new", 10, 3_999, 2_500, 2),
    // Only a refund: no purchase dates, recency or average order.
    ("check-refund-only", 60, -2_500, 0, 0),
    // A zero-value order: revenue 0, so no margin share.
    ("check-zero", 90, 0, 0, 1),
    // Bought, then returned all of it: net revenue 0 over two days.
    ("check-returned", 300, 5_000, 3_000, 1),
    ("check-returned", 290, -5_000, -3_000, -1),
];

/// The made-up customers' table as of `as_of`, with every built-in metric; `cost`, `margin`
/// and `margin_pct` are empty unless `has_cost` (a cost column is mapped), as on real data.
pub fn table(as_of: Day, has_cost: bool) -> CustomerTable {
    let acc = Accumulator::new(as_of);
    let mut acc = if has_cost { acc } else { acc.without_cost() };
    for &(id, before, amount, cost, quantity) in ROWS {
        acc.push(&Row {
            customer_id: id,
            day: Day(as_of.0 - before),
            amount,
            cost,
            quantity,
            order_id: None,
            product: None,
            channel: None,
        });
    }
    acc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Value;

    #[test]
    fn covers_defined_and_undefined_values() {
        let t = table(Day::parse_iso("2024-06-30").unwrap(), true);
        assert_eq!(t.len(), 6);
        let row = |id: &str| t.ids.iter().position(|x| x == id).unwrap();
        let last = t.column("last_purchase").unwrap();
        assert_eq!(last.get(row("check-refund-only")), Value::Empty);
        assert_ne!(last.get(row("check-loyal")), Value::Empty);
        let pct = t.column("margin_pct").unwrap();
        assert_eq!(pct.get(row("check-zero")), Value::Empty);
        assert_eq!(
            t.column("purchase_days").unwrap().get(row("check-loyal")),
            Value::Int(4)
        );
        let without = table(Day::parse_iso("2024-06-30").unwrap(), false);
        for name in ["cost", "margin", "margin_pct"] {
            let c = without.column(name).unwrap();
            assert!(
                (0..without.len()).all(|i| c.get(i) == Value::Empty),
                "{name}"
            );
        }
    }
}
