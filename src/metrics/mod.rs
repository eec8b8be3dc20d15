//! Stage 3: per-customer metrics. The built-ins are aggregated straight from the rows
//! ([`Accumulator`]); population figures (percentiles, scores, cumulative shares) are computed over
//! whole columns ([`population`]), built-in or derived alike.

mod accumulate;
mod column;
mod days;
mod key;
pub mod population;
pub mod synthetic;

pub use accumulate::Accumulator;
pub use column::{
    Column, CustomerTable, NamedColumn, Origin, Value, EMPTY_BOOL, EMPTY_DATE, EMPTY_INT,
};

/// The type of a metric's values, as expressions see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A count or a number of days (a Rhai integer).
    Int,
    /// Money, summed exactly in cents (a Rhai float in the currency's units).
    Money,
    /// A ratio, share or average (a Rhai float).
    Float,
    /// A calendar date (an ISO `YYYY-MM-DD` string in expressions).
    Date,
    /// Text (attribute columns).
    Text,
    /// A flag (derived metrics that are conditions).
    Bool,
}

/// A built-in metric: its name, type and meaning.
#[derive(Debug)]
pub struct Builtin {
    /// Name in expressions and in `customers.csv`.
    pub name: &'static str,
    /// Type of its values.
    pub kind: Kind,
    /// What it means, for help texts and reports.
    pub meaning: &'static str,
}

/// The built-in metrics, in the column order of `customers.csv`.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "orders",
        kind: Kind::Int,
        meaning: "purchases (non-refund rows, or distinct order ids when mapped)",
    },
    Builtin {
        name: "purchase_days",
        kind: Kind::Int,
        meaning: "distinct days with a purchase",
    },
    Builtin {
        name: "frequency",
        kind: Kind::Int,
        meaning: "repeat purchase days (purchase_days - 1)",
    },
    Builtin {
        name: "revenue",
        kind: Kind::Money,
        meaning: "net revenue, refunds included",
    },
    Builtin {
        name: "revenue_12m",
        kind: Kind::Money,
        meaning: "net revenue in the 365 days up to the as-of date",
    },
    Builtin {
        name: "quantity",
        kind: Kind::Int,
        meaning: "units bought",
    },
    Builtin {
        name: "cost",
        kind: Kind::Money,
        meaning: "cost of what was sold",
    },
    Builtin {
        name: "margin",
        kind: Kind::Money,
        meaning: "revenue - cost",
    },
    Builtin {
        name: "margin_pct",
        kind: Kind::Float,
        meaning: "margin / revenue",
    },
    Builtin {
        name: "first_purchase",
        kind: Kind::Date,
        meaning: "date of the first purchase",
    },
    Builtin {
        name: "last_purchase",
        kind: Kind::Date,
        meaning: "date of the last purchase",
    },
    Builtin {
        name: "recency_days",
        kind: Kind::Int,
        meaning: "days from the last purchase to the as-of date",
    },
    Builtin {
        name: "tenure_days",
        kind: Kind::Int,
        meaning: "days from the first purchase to the as-of date",
    },
    Builtin {
        name: "avg_order_value",
        kind: Kind::Float,
        meaning: "revenue / orders",
    },
    Builtin {
        name: "r_score",
        kind: Kind::Int,
        meaning: "recency score 1-5 (5 = most recent fifth)",
    },
    Builtin {
        name: "f_score",
        kind: Kind::Int,
        meaning: "frequency score 1-5 from purchase_days",
    },
    Builtin {
        name: "m_score",
        kind: Kind::Int,
        meaning: "monetary score 1-5 from revenue",
    },
    Builtin {
        name: "cum_revenue_share",
        kind: Kind::Float,
        meaning: "share of total revenue held by this customer and all larger ones",
    },
];

/// The built-in metric of that name.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}
