//! The template functions that read the customers themselves, beyond the report model:
//! `customers(tier=, check=, persona=, sort=, limit=)` (rows with every column of
//! `customers.csv`) and `breakdown(by=, tiers=)` (customers and revenue by a column's values x
//! tier). Both are bounded: at most [`MAX_ROWS`] rows and [`crate::analysis::breakdown::MAX_GROUPS`]
//! groups, in time O(customers x log) per call, inside the template's time budget.

use std::cmp::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::json;
use tera::{Function, Kwargs, State, TeraResult, Value};

use super::context::tera_value;
use super::model::{Group, Money};
use super::rows::Columns;
use crate::analysis::{breakdown, BreakdownError};
use crate::engine::Evaluation;
use crate::ident::closest;
use crate::metrics::{CustomerTable, Value as Cell};
use crate::workspace::Policy;

/// The most rows `customers()` returns.
pub const MAX_ROWS: usize = 1000;
/// The rows `customers()` returns without `limit`.
pub const DEFAULT_ROWS: usize = 10;

/// The customers a rendering reads: the evaluated table and what `customers.csv` adds to it.
pub struct TemplateData {
    /// Customers with every metric column.
    pub table: Arc<CustomerTable>,
    /// Their tiers and checks.
    pub evaluation: Arc<Evaluation>,
    /// The columns of `customers.csv`.
    pub columns: Columns,
    /// Total revenue in cents, for shares.
    pub total_revenue: i64,
}

impl TemplateData {
    /// The data of a run.
    pub fn new(
        policy: &Policy,
        table: Arc<CustomerTable>,
        evaluation: Arc<Evaluation>,
    ) -> TemplateData {
        TemplateData {
            columns: Columns::new(policy, &table, &evaluation),
            total_revenue: table.money("revenue").iter().sum(),
            table,
            evaluation,
        }
    }
}

/// Where a rendering puts its data for the functions to read (empty outside a rendering).
pub type Slot = Arc<Mutex<Option<Arc<TemplateData>>>>;

fn data(slot: &Slot, function: &str) -> TeraResult<Arc<TemplateData>> {
    slot.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .ok_or_else(|| {
            tera::Error::message(format!("{function}(): no customer data in this rendering"))
        })
}

/// An error for a name that is not one of `known`, with the nearest one.
fn unknown(function: &str, what: &str, name: &str, known: &[String]) -> tera::Error {
    let hint = match closest(known, name) {
        Some(k) => format!("; did you mean `{k}`?"),
        None => String::new(),
    };
    tera::Error::message(format!(
        "{function}(): no {what} `{name}`{hint} ({what}s: {})",
        known.join(", ")
    ))
}

/// Refuses keyword arguments the function does not take.
fn check_arguments(function: &str, kwargs: &Kwargs, allowed: &[&str]) -> TeraResult<()> {
    let known: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
    for (key, _) in kwargs.iter() {
        let name = key.as_str().unwrap_or_default();
        if !allowed.contains(&name) {
            return Err(unknown(function, "argument", name, &known));
        }
    }
    Ok(())
}

/// `customers(tier=, check=, persona=, sort=, limit=)`.
pub struct Customers(pub Slot);

impl Function<TeraResult<Value>> for Customers {
    fn call(&self, kwargs: Kwargs, _: &State) -> TeraResult<Value> {
        const F: &str = "customers";
        check_arguments(F, &kwargs, &["tier", "check", "persona", "sort", "limit"])?;
        let data = data(&self.0, F)?;
        let (table, columns) = (&*data.table, &data.columns);
        let persona: Option<Vec<bool>> = match kwargs.get::<&str>("persona")? {
            Some(_) if data.evaluation.personas.is_empty() => {
                return Err(tera::Error::message(format!(
                    "{F}(persona=...): no personas are declared in this workspace"
                )))
            }
            Some(name) => {
                let names: Vec<String> = data
                    .evaluation
                    .personas
                    .iter()
                    .map(|(n, _)| n.clone())
                    .collect();
                let (_, members) = data
                    .evaluation
                    .personas
                    .iter()
                    .find(|(n, _)| n == name)
                    .ok_or_else(|| unknown(F, "persona", name, &names))?;
                let mut is = vec![false; table.len()];
                members.iter().for_each(|&i| is[i as usize] = true);
                Some(is)
            }
            None => None,
        };
        let tier = match kwargs.get::<&str>("tier")? {
            Some(name) => Some(
                columns
                    .tiers
                    .iter()
                    .position(|t| t == name)
                    .ok_or_else(|| unknown(F, "tier", name, &columns.tiers))?,
            ),
            None => None,
        };
        let check = match kwargs.get::<&str>("check")? {
            Some(name) => Some(
                columns
                    .checks
                    .iter()
                    .position(|c| c == name)
                    .ok_or_else(|| unknown(F, "check", name, &columns.checks))?,
            ),
            None => None,
        };
        let headers = columns.headers(table);
        let sort = match kwargs.get::<&str>("sort")? {
            Some(s) => {
                let (descending, name) = match s.strip_prefix('-') {
                    Some(name) => (true, name),
                    None => (false, s),
                };
                let column = headers
                    .iter()
                    .position(|h| h == name)
                    .ok_or_else(|| unknown(F, "column", name, &headers))?;
                Some((column, descending))
            }
            None => None,
        };
        let limit = match kwargs.get::<i64>("limit")? {
            Some(l) if (1..=MAX_ROWS as i64).contains(&l) => l as usize,
            Some(l) => {
                return Err(tera::Error::message(format!(
                    "{F}(limit={l}): the limit must be 1 to {MAX_ROWS}"
                )))
            }
            None => DEFAULT_ROWS,
        };
        let evaluation = &*data.evaluation;
        let mut rows: Vec<usize> = (0..table.len())
            .filter(|&i| tier.is_none_or(|t| evaluation.tiers[i] as usize == t))
            .filter(|&i| check.is_none_or(|c| columns.fired(c, i)))
            .filter(|&i| persona.as_ref().is_none_or(|p| p[i]))
            .collect();
        if let Some((column, descending)) = sort {
            let order = |&a: &usize, &b: &usize| {
                let (x, y) = (
                    columns.cell(table, evaluation, a, column),
                    columns.cell(table, evaluation, b, column),
                );
                compare(x, y, descending).then(a.cmp(&b))
            };
            if rows.len() > limit {
                rows.select_nth_unstable_by(limit - 1, order);
                rows.truncate(limit);
            }
            rows.sort_by(order);
        }
        rows.truncate(limit);
        let out: Vec<serde_json::Value> =
            rows.iter()
                .map(|&i| {
                    let fields = headers.iter().enumerate().map(|(c, h)| {
                        (h.clone(), cell_json(columns.cell(table, evaluation, i, c)))
                    });
                    serde_json::Value::Object(fields.collect())
                })
                .collect();
        Ok(tera_value(&out))
    }
}

/// Sort order of two cells: numbers by value, other values by their text; empty cells last in
/// either direction.
fn compare(x: Cell, y: Cell, descending: bool) -> Ordering {
    let key = |c: Cell| match c {
        Cell::Empty => None,
        Cell::Text(t) => Some((f64::NAN, t.to_string())),
        Cell::Date(d) => Some((f64::from(d.0), String::new())),
        Cell::Bool(b) => Some((f64::from(u8::from(b)), String::new())),
        c => Some((c.number().unwrap_or(f64::NAN), String::new())),
    };
    match (key(x), key(y)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => {
            let o = a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1));
            if descending {
                o.reverse()
            } else {
                o
            }
        }
    }
}

/// A cell as the template sees it: money in currency units, dates ISO, empty as `none`.
fn cell_json(c: Cell) -> serde_json::Value {
    match c {
        Cell::Empty => serde_json::Value::Null,
        Cell::Int(i) => json!(i),
        Cell::Money(m) => json!(Money(m)),
        Cell::Float(f) => json!(f),
        Cell::Date(d) => json!(d.to_string()),
        Cell::Text(t) => json!(t),
        Cell::Bool(b) => json!(b),
    }
}

/// `breakdown(by=, tiers=)`.
pub struct Breakdown(pub Slot);

impl Function<TeraResult<Value>> for Breakdown {
    fn call(&self, kwargs: Kwargs, _: &State) -> TeraResult<Value> {
        const F: &str = "breakdown";
        check_arguments(F, &kwargs, &["by", "tiers"])?;
        let by: &str = kwargs.must_get("by")?;
        let data = data(&self.0, F)?;
        let names = &data.columns.tiers;
        let chosen = match kwargs.get::<&[Value]>("tiers")? {
            Some(list) => {
                let mut chosen = vec![false; names.len()];
                for v in list {
                    let name = v.as_str().ok_or_else(|| {
                        tera::Error::message(format!(
                            "{F}(tiers=...): expected a list of tier names, found {v}"
                        ))
                    })?;
                    let t = names
                        .iter()
                        .position(|n| n == name)
                        .ok_or_else(|| unknown(F, "tier", name, names))?;
                    chosen[t] = true;
                }
                chosen
            }
            None => vec![true; names.len()],
        };
        let table = &*data.table;
        match breakdown(table, &data.evaluation.tiers, names, &chosen, by) {
            Ok(groups) => {
                let groups: Vec<Group> = groups
                    .iter()
                    .map(|g| Group::of(g, data.total_revenue))
                    .collect();
                Ok(tera_value(&groups))
            }
            Err(BreakdownError::UnknownColumn) => {
                let known: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
                Err(unknown(F, "column", by, &known))
            }
            Err(BreakdownError::TooManyValues) => Err(tera::Error::message(format!(
                "{F}(by=\"{by}\"): more than {} distinct values; break down by a column with fewer (a derived metric can group the values)",
                crate::analysis::breakdown::MAX_GROUPS
            ))),
        }
    }
}
