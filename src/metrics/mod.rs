//! Stage 3: per-customer metrics. The built-ins are declared once ([`BUILTINS`]) and aggregated
//! straight from the rows ([`Accumulator`]); population figures (percentiles, scores, cumulative shares) are computed over
//! whole columns ([`population`]), built-in or derived alike. Extra per-customer aggregates
//! (product and channel mix, quarters, trailing windows) are side sinks kept only when asked for
//! ([`SideSpec`], [`Sidecar`]); [`AsOfSet`] serves several as-of dates from one pass.

mod accounts;
mod accumulate;
mod as_of;
pub mod builtins;
mod cells;
mod column;
mod days;
mod key;
pub mod population;
mod quarters;
mod sides;
pub mod synthetic;

pub use accounts::ByAccount;
pub use accumulate::Accumulator;
pub use as_of::{AsOfSet, AsOfTable};
pub use builtins::{builtin, Builtin, Unit, BUILTINS};
pub use column::{
    Column, CustomerTable, NamedColumn, Origin, Value, EMPTY_BOOL, EMPTY_DATE, EMPTY_INT,
    EMPTY_MONEY,
};
pub use quarters::{Quarter, QuarterSums, Quarters};
pub use sides::{window_days, Mix, MixKind, SideSpec, Sidecar, Window};

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
