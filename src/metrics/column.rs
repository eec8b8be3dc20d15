//! The customer table: one row per customer, sorted by id, with typed columns.

use crate::data::Day;

use super::Kind;

/// Marks an empty integer cell.
pub const EMPTY_INT: i64 = i64::MIN;
/// Marks an empty money cell: `cost` and `margin` when no cost column is mapped. No exact total
/// reaches it (totals stay within ±92,233,720,368,547,758.07).
pub const EMPTY_MONEY: i64 = i64::MIN;
/// Marks an empty date cell.
pub const EMPTY_DATE: i32 = i32::MIN;

/// A typed column. Empty cells: [`EMPTY_INT`] for integers, [`EMPTY_MONEY`] for money (only
/// `cost` and `margin` without a cost column), NaN for floats, [`EMPTY_DATE`] for dates, `None`
/// for text.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Counts and day numbers.
    Int(Vec<i64>),
    /// Money in cents.
    Money(Vec<i64>),
    /// Ratios, shares, averages, derived values.
    Float(Vec<f64>),
    /// Days since 1970-01-01.
    Date(Vec<i32>),
    /// Text.
    Text(Vec<Option<String>>),
    /// Flags: 0 false, 1 true, [`EMPTY_BOOL`] empty.
    Bool(Vec<u8>),
}

/// Marks an empty flag cell.
pub const EMPTY_BOOL: u8 = 2;

/// One cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// No value (e.g. `margin_pct` of a customer without revenue).
    Empty,
    /// An integer.
    Int(i64),
    /// Money in cents.
    Money(i64),
    /// A float.
    Float(f64),
    /// A date.
    Date(Day),
    /// Text.
    Text(&'a str),
    /// A flag.
    Bool(bool),
}

impl Value<'_> {
    /// The value as a number, if it is one (money in currency units).
    pub fn number(&self) -> Option<f64> {
        match *self {
            Value::Int(v) => Some(v as f64),
            Value::Money(c) => Some(c as f64 / 100.0),
            Value::Float(v) if !v.is_nan() => Some(v),
            _ => None,
        }
    }

    /// The value as `customers.csv` writes it: money with two decimals, floats in shortest
    /// round-trip form, dates ISO, empty as nothing (unquoted; see [`Value::write_csv`]).
    pub fn to_csv(&self) -> String {
        let mut out = Vec::new();
        self.write_raw(&mut out);
        String::from_utf8(out).expect("values are UTF-8")
    }

    /// Appends the value as a CSV field, quoted when it holds a comma, quote or line break.
    pub fn write_csv(&self, out: &mut Vec<u8>) {
        match *self {
            Value::Text(t) if t.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) => {
                out.push(b'"');
                for b in t.bytes() {
                    if b == b'"' {
                        out.push(b'"');
                    }
                    out.push(b);
                }
                out.push(b'"');
            }
            _ => self.write_raw(out),
        }
    }

    fn write_raw(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        match *self {
            Value::Empty => {}
            Value::Int(v) => write!(out, "{v}").expect("writing to memory"),
            Value::Money(c) => {
                let abs = c.unsigned_abs();
                let sign = if c < 0 { "-" } else { "" };
                write!(out, "{sign}{}.{:02}", abs / 100, abs % 100).expect("writing to memory")
            }
            Value::Float(v) if v.is_nan() => {}
            Value::Float(v) => write!(out, "{v}").expect("writing to memory"),
            Value::Date(d) => write!(out, "{d}").expect("writing to memory"),
            Value::Text(t) => out.extend_from_slice(t.as_bytes()),
            Value::Bool(b) => write!(out, "{b}").expect("writing to memory"),
        }
    }
}

impl Column {
    /// The cell of row `i`.
    pub fn get(&self, i: usize) -> Value<'_> {
        match self {
            Column::Int(v) if v[i] == EMPTY_INT => Value::Empty,
            Column::Int(v) => Value::Int(v[i]),
            Column::Money(v) if v[i] == EMPTY_MONEY => Value::Empty,
            Column::Money(v) => Value::Money(v[i]),
            Column::Float(v) if v[i].is_nan() => Value::Empty,
            Column::Float(v) => Value::Float(v[i]),
            Column::Date(v) if v[i] == EMPTY_DATE => Value::Empty,
            Column::Date(v) => Value::Date(Day(v[i])),
            Column::Text(v) => v[i].as_deref().map_or(Value::Empty, Value::Text),
            Column::Bool(v) if v[i] == EMPTY_BOOL => Value::Empty,
            Column::Bool(v) => Value::Bool(v[i] == 1),
        }
    }

    /// The number in row `i` (money in currency units), `None` when empty or not numeric.
    pub fn number(&self, i: usize) -> Option<f64> {
        self.get(i).number()
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Int(v) | Column::Money(v) => v.len(),
            Column::Float(v) => v.len(),
            Column::Date(v) => v.len(),
            Column::Text(v) => v.len(),
            Column::Bool(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The kind of values it holds.
    pub fn kind(&self) -> Kind {
        match self {
            Column::Int(_) => Kind::Int,
            Column::Money(_) => Kind::Money,
            Column::Float(_) => Kind::Float,
            Column::Date(_) => Kind::Date,
            Column::Text(_) => Kind::Text,
            Column::Bool(_) => Kind::Bool,
        }
    }
}

/// Where a column comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A built-in metric.
    Builtin,
    /// The customer attribute table.
    Attribute,
    /// A derived metric of the policy.
    Derived,
}

/// A named column.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedColumn {
    /// Its name in expressions and in `customers.csv`.
    pub name: String,
    /// Where it comes from.
    pub origin: Origin,
    /// The values, one per customer.
    pub column: Column,
}

/// All customers with their metrics, sorted by customer id.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerTable {
    /// The as-of date the metrics are computed at.
    pub as_of: Day,
    /// Customer ids, sorted ascending (byte order).
    pub ids: Vec<String>,
    /// Columns: built-ins first, then attributes, then derived metrics in policy order.
    pub columns: Vec<NamedColumn>,
}

impl CustomerTable {
    /// The number of customers.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no customers.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The column of that name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.column)
    }

    /// The position of the column of that name.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Adds a column at the end.
    pub fn push(&mut self, name: impl Into<String>, origin: Origin, column: Column) {
        debug_assert_eq!(column.len(), self.ids.len());
        self.columns.push(NamedColumn {
            name: name.into(),
            origin,
            column,
        });
    }

    /// A built-in money column in cents (`revenue`, `revenue_12m`, ...). Panics if it is missing,
    /// which would be a bug: built-ins are always there. `cost` and `margin` hold
    /// [`EMPTY_MONEY`] when no cost column is mapped: read them with [`CustomerTable::known_money`].
    pub fn money(&self, name: &str) -> &[i64] {
        match self.column(name) {
            Some(Column::Money(v)) => v,
            _ => panic!("built-in money column `{name}` missing"),
        }
    }

    /// A money column in cents when every cell is known; `None` when it is missing or undefined
    /// (`cost` and `margin` without a cost column).
    pub fn known_money(&self, name: &str) -> Option<&[i64]> {
        match self.column(name) {
            Some(Column::Money(v)) if !v.contains(&EMPTY_MONEY) => Some(v),
            _ => None,
        }
    }
}
