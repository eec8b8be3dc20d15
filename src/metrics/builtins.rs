//! The built-in metrics, declared once: name, type, unit, meaning, definition and how each is
//! computed from a customer's [`Totals`] (or over the population, for scores and shares). The
//! column list, the column order of `customers.csv` and the README's metric table all come from
//! [`BUILTINS`]; adding a built-in metric is one entry here (and a field of [`Totals`] when it
//! needs a new running total).

use crate::data::Day;

use super::column::{EMPTY_DATE, EMPTY_INT, EMPTY_MONEY};
use super::Kind;

/// What a metric measures, for formatting and for choosing how to profile it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Money in the workspace currency.
    Money,
    /// A count of things (orders, days with a purchase, units).
    Count,
    /// A number of days between two dates.
    Days,
    /// A calendar date.
    Date,
    /// A ratio or share (0.25 is 25%).
    Ratio,
    /// A 1-5 score.
    Score,
}

/// One customer's totals after every row is aggregated: what the per-customer built-ins are
/// computed from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Purchases: purchase rows, or distinct order ids among them when `order_id` is mapped.
    pub orders: i64,
    /// Distinct days with a purchase row.
    pub purchase_days: i64,
    /// The first purchase day ([`EMPTY_DATE`] without one).
    pub first: i32,
    /// The last purchase day ([`EMPTY_DATE`] without one).
    pub last: i32,
    /// Sum of amounts in cents, refunds included.
    pub revenue: i64,
    /// Sum of amounts in cents over the 365 days up to the as-of date.
    pub revenue_12m: i64,
    /// Sum of quantities.
    pub quantity: i64,
    /// Sum of costs in cents (0 when no cost column is mapped).
    pub cost: i64,
}

/// What every customer's metrics share: the as-of date and whether costs are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Basis {
    /// The as-of date.
    pub as_of: Day,
    /// Whether a cost column is mapped; without one, `cost`, `margin` and `margin_pct` are
    /// undefined (empty), not zero cost.
    pub has_cost: bool,
}

/// How a built-in metric's column is computed.
#[derive(Debug, Clone, Copy)]
pub enum Compute {
    /// A count or number of days from the customer's totals ([`EMPTY_INT`] for empty).
    Int(fn(&Totals, &Basis) -> i64),
    /// Money in cents from the customer's totals ([`EMPTY_MONEY`] for empty).
    Money(fn(&Totals, &Basis) -> i64),
    /// A ratio or average from the customer's totals (NaN for empty).
    Float(fn(&Totals, &Basis) -> f64),
    /// A day from the customer's totals ([`EMPTY_DATE`] for empty).
    Date(fn(&Totals, &Basis) -> i32),
    /// A 1-5 score over the population of another built-in column.
    Score {
        /// The column scored.
        of: &'static str,
        /// Whether larger values score higher.
        higher_is_better: bool,
    },
    /// Customers by this money column descending, ties by id: the share of its total held by
    /// the customer and all above it.
    CumulativeShare {
        /// The money column.
        of: &'static str,
    },
}

impl Compute {
    /// The type of the values it computes.
    pub fn kind(&self) -> Kind {
        match self {
            Compute::Int(_) | Compute::Score { .. } => Kind::Int,
            Compute::Money(_) => Kind::Money,
            Compute::Float(_) | Compute::CumulativeShare { .. } => Kind::Float,
            Compute::Date(_) => Kind::Date,
        }
    }
}

/// A built-in metric: its name, type and meaning, and how it is computed.
#[derive(Debug)]
pub struct Builtin {
    /// Name in expressions and in `customers.csv`.
    pub name: &'static str,
    /// Type of its values.
    pub kind: Kind,
    /// What it measures.
    pub unit: Unit,
    /// What it means in a few words, for help texts and reports.
    pub meaning: &'static str,
    /// Its exact definition (Markdown; `A` is the as-of date), for the README and the report's
    /// method appendix.
    pub definition: &'static str,
    /// How it is computed.
    pub compute: Compute,
}

fn cents_margin(t: &Totals, b: &Basis) -> Option<i64> {
    // The loader reports a margin out of range before the table is built.
    b.has_cost.then(|| {
        (t.revenue.checked_sub(t.cost)).expect("a margin out of range: RowSink::overflows")
    })
}

fn bought(t: &Totals) -> bool {
    t.purchase_days > 0
}

fn days_since(day: i32, t: &Totals, b: &Basis) -> i64 {
    if bought(t) {
        i64::from(b.as_of.0) - i64::from(day)
    } else {
        EMPTY_INT
    }
}

/// The built-in metrics, in the column order of `customers.csv`.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "orders",
        kind: Kind::Int,
        unit: Unit::Count,
        meaning: "purchases (non-refund rows, or distinct order ids when mapped)",
        definition: "non-refund rows; distinct `order_id` among them when that column is mapped",
        compute: Compute::Int(|t, _| t.orders),
    },
    Builtin {
        name: "purchase_days",
        kind: Kind::Int,
        unit: Unit::Count,
        meaning: "distinct days with a purchase",
        definition: "distinct dates of non-refund rows",
        compute: Compute::Int(|t, _| t.purchase_days),
    },
    Builtin {
        name: "frequency",
        kind: Kind::Int,
        unit: Unit::Count,
        meaning: "repeat purchase days (purchase_days - 1)",
        definition: "`purchase_days - 1` (repeat purchase days); empty without a purchase",
        compute: Compute::Int(|t, _| {
            if bought(t) {
                t.purchase_days - 1
            } else {
                EMPTY_INT
            }
        }),
    },
    Builtin {
        name: "revenue",
        kind: Kind::Money,
        unit: Unit::Money,
        meaning: "net revenue, refunds included",
        definition: "sum of amount, refunds included",
        compute: Compute::Money(|t, _| t.revenue),
    },
    Builtin {
        name: "revenue_12m",
        kind: Kind::Money,
        unit: Unit::Money,
        meaning: "net revenue in the 365 days up to the as-of date",
        definition: "sum of amount with date > A - 365 days",
        compute: Compute::Money(|t, _| t.revenue_12m),
    },
    Builtin {
        name: "quantity",
        kind: Kind::Int,
        unit: Unit::Count,
        meaning: "units bought",
        definition: "sum of quantity (0 when not mapped)",
        compute: Compute::Int(|t, _| t.quantity),
    },
    Builtin {
        name: "cost",
        kind: Kind::Money,
        unit: Unit::Money,
        meaning: "cost of what was sold",
        definition: "sum of cost; empty when no cost column is mapped",
        compute: Compute::Money(|t, b| if b.has_cost { t.cost } else { EMPTY_MONEY }),
    },
    Builtin {
        name: "margin",
        kind: Kind::Money,
        unit: Unit::Money,
        meaning: "revenue - cost",
        definition: "`revenue - cost`; empty when no cost column is mapped",
        compute: Compute::Money(|t, b| cents_margin(t, b).unwrap_or(EMPTY_MONEY)),
    },
    Builtin {
        name: "margin_pct",
        kind: Kind::Float,
        unit: Unit::Ratio,
        meaning: "margin / revenue",
        definition: "`margin / revenue`; empty when revenue is 0 or no cost column is mapped",
        compute: Compute::Float(|t, b| match cents_margin(t, b) {
            Some(m) if t.revenue != 0 => m as f64 / t.revenue as f64,
            _ => f64::NAN,
        }),
    },
    Builtin {
        name: "first_purchase",
        kind: Kind::Date,
        unit: Unit::Date,
        meaning: "date of the first purchase",
        definition: "date of the first non-refund row",
        compute: Compute::Date(|t, _| if bought(t) { t.first } else { EMPTY_DATE }),
    },
    Builtin {
        name: "last_purchase",
        kind: Kind::Date,
        unit: Unit::Date,
        meaning: "date of the last purchase",
        definition: "date of the last non-refund row",
        compute: Compute::Date(|t, _| if bought(t) { t.last } else { EMPTY_DATE }),
    },
    Builtin {
        name: "recency_days",
        kind: Kind::Int,
        unit: Unit::Days,
        meaning: "days from the last purchase to the as-of date",
        definition: "`A - last_purchase`",
        compute: Compute::Int(|t, b| days_since(t.last, t, b)),
    },
    Builtin {
        name: "tenure_days",
        kind: Kind::Int,
        unit: Unit::Days,
        meaning: "days from the first purchase to the as-of date",
        definition: "`A - first_purchase`",
        compute: Compute::Int(|t, b| days_since(t.first, t, b)),
    },
    Builtin {
        name: "avg_order_value",
        kind: Kind::Float,
        unit: Unit::Money,
        meaning: "revenue / orders",
        definition: "`revenue / orders`; empty without an order",
        compute: Compute::Float(|t, _| {
            if t.orders == 0 {
                f64::NAN
            } else {
                t.revenue as f64 / 100.0 / t.orders as f64
            }
        }),
    },
    Builtin {
        name: "r_score",
        kind: Kind::Int,
        unit: Unit::Score,
        meaning: "recency score 1-5 (5 = most recent fifth)",
        definition: "1-5 from `recency_days` (lower is better): 1 + the number of the 20/40/60/80th percentiles the value beats strictly; equal values get equal scores",
        compute: Compute::Score {
            of: "recency_days",
            higher_is_better: false,
        },
    },
    Builtin {
        name: "f_score",
        kind: Kind::Int,
        unit: Unit::Score,
        meaning: "frequency score 1-5 from purchase_days",
        definition: "1-5 from `purchase_days`, the same way",
        compute: Compute::Score {
            of: "purchase_days",
            higher_is_better: true,
        },
    },
    Builtin {
        name: "m_score",
        kind: Kind::Int,
        unit: Unit::Score,
        meaning: "monetary score 1-5 from revenue",
        definition: "1-5 from `revenue`, the same way",
        compute: Compute::Score {
            of: "revenue",
            higher_is_better: true,
        },
    },
    Builtin {
        name: "cum_revenue_share",
        kind: Kind::Float,
        unit: Unit::Ratio,
        meaning: "share of total revenue held by this customer and all larger ones",
        definition: "customers by revenue descending, ties by id: the share of total revenue held by this customer and all above it",
        compute: Compute::CumulativeShare { of: "revenue" },
    },
];

/// The built-in metric of that name.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// The built-in metrics that are undefined without a cost column.
pub const NEED_COST: [&str; 3] = ["cost", "margin", "margin_pct"];

/// The README's table of built-in metrics (`| metric | definition |`, one row per metric, in
/// [`BUILTINS`] order); a test keeps the README equal to it.
pub fn markdown_table() -> String {
    let mut out = String::from("| metric | definition |\n| --- | --- |\n");
    for b in BUILTINS {
        out.push_str(&format!("| `{}` | {} |\n", b.name, b.definition));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_agree_with_how_they_are_computed() {
        for b in BUILTINS {
            assert_eq!(b.kind, b.compute.kind(), "{}", b.name);
            if let Compute::Score { of, .. } | Compute::CumulativeShare { of } = b.compute {
                let at = BUILTINS.iter().position(|x| x.name == of);
                let me = BUILTINS.iter().position(|x| x.name == b.name);
                assert!(at < me, "{} reads {of}, declared after it", b.name);
            }
        }
        let mut names: Vec<_> = BUILTINS.iter().map(|b| b.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), BUILTINS.len(), "a name declared twice");
    }

    /// The README's table lists exactly the built-ins, in order, with their definitions.
    #[test]
    fn the_readme_table_is_the_declared_one() {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("### Built-in metrics")
            .expect("README has a built-in metrics section");
        let section = &readme[start..];
        let table: String = section
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .map(|l| format!("{l}\n"))
            .collect();
        let names: Vec<&str> = table
            .lines()
            .skip(2)
            .filter_map(|l| l.split('`').nth(1))
            .collect();
        let declared: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
        assert_eq!(names, declared, "README metric names and order");
        assert_eq!(
            table,
            markdown_table(),
            "README's built-in metric table differs; paste this table:\n{}",
            markdown_table()
        );
    }
}
