//! The customer table of a case that brings its own customers: `transactions:` rows read exactly
//! as a data file's rows are ([`crate::data::read_rows`]), or `customers:` metric values typed as
//! the columns they fill. Either way every attribute the workspace declares is a column (empty
//! unless given), so rules read the same names as on the real data.

use crate::data::{self, parse_cents, AttributeValues, DataError, Day, Row, RowSink};
use crate::error::{Diagnostic, Origin};
use crate::metrics::{
    Accumulator, Column, CustomerTable, Kind, Origin as ColumnOrigin, BUILTINS, EMPTY_DATE,
    EMPTY_INT, EMPTY_MONEY,
};
use crate::pipeline::Prepared;

use super::Given;

/// A sink that keeps nothing: reading the rows once just for their latest date.
struct Nothing;

impl RowSink for Nothing {
    fn push(&mut self, _: &Row<'_>) {}
    fn merge(&mut self, _: Self) {}
}

/// The attribute columns the workspace declares, with the kind of their values.
fn attributes(prepared: &Prepared) -> Vec<(String, Kind)> {
    prepared
        .attributes
        .iter()
        .flat_map(|t| &t.columns)
        .map(|c| {
            let kind = match c.values {
                AttributeValues::Int(_) => Kind::Int,
                AttributeValues::Float(_) => Kind::Float,
                AttributeValues::Text(_) => Kind::Text,
            };
            (c.name.clone(), kind)
        })
        .collect()
}

/// "did you mean `x`?" among `known`, or the list of them.
fn suggest(known: &[String], name: &str) -> String {
    match crate::ident::closest(known, name) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!("expected one of: {}", known.join(", ")),
    }
}

/// The table of `transactions:` rows as of `as_of` (else the policy's, else the latest date in
/// the rows); `origin` is where the rows start.
pub(super) fn from_rows(
    prepared: &Prepared,
    rows: &[Vec<Given>],
    origin: &Origin,
    as_of: Option<Day>,
) -> Result<CustomerTable, Vec<Diagnostic>> {
    let src = &prepared.workspace.policy.transactions;
    let mut headers: Vec<String> = Vec::new();
    for (_, header) in src.columns.mapped() {
        if !headers.iter().any(|h| h == header) {
            headers.push(header.to_string());
        }
    }
    let mut problems = Vec::new();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            for g in row.iter().filter(|g| !headers.contains(&g.key)) {
                problems.push(
                    Diagnostic::at(
                        g.key_origin.clone(),
                        format!(
                            "transactions: `{}` is not a column the workspace maps ({})",
                            g.key,
                            src.path.display()
                        ),
                    )
                    .with_help(format!(
                        "rows use the client's column names, as in the data file; {}",
                        suggest(&headers, &g.key)
                    ))
                    .code("test/unknown-name"),
                );
            }
            headers
                .iter()
                .map(|h| {
                    row.iter()
                        .find(|g| g.key == *h)
                        .map(|g| g.text.clone())
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    let bad = |(i, e): (usize, DataError)| vec![cell_diagnostic(rows.get(i), origin, &e)];
    let as_of = match as_of.or(prepared.workspace.policy.as_of) {
        Some(d) => d,
        None => data::read_rows(src, &headers, &cells, Day(i32::MAX), &mut Nothing)
            .map_err(bad)?
            .last_day
            .ok_or_else(|| {
                vec![Diagnostic::at(
                    origin.clone(),
                    "no as-of date: the case has no rows and the policy no `as_of`",
                )
                .with_help("give the case an `as_of: YYYY-MM-DD`")
                .code("test/no-as-of")]
            })?,
    };
    let acc = Accumulator::new(as_of);
    let mut acc = if src.columns.cost.is_some() {
        acc
    } else {
        acc.without_cost()
    };
    data::read_rows(src, &headers, &cells, as_of, &mut acc).map_err(bad)?;
    let mut table = acc.finish();
    let n = table.len();
    for (name, kind) in attributes(prepared) {
        table.push(name, ColumnOrigin::Attribute, empty(kind, n));
    }
    Ok(table)
}

/// A bad cell of row `row` as a diagnostic at the cell's place in the test file.
fn cell_diagnostic(row: Option<&Vec<Given>>, origin: &Origin, e: &DataError) -> Diagnostic {
    let (at, message) = match e {
        DataError::Cell(c) => {
            let at = row
                .and_then(|r| r.iter().find(|g| g.key == c.column))
                .or(row.and_then(|r| r.first()))
                .map(|g| g.origin.clone());
            let note = c.note.map(|n| format!(" ({n})")).unwrap_or_default();
            (
                at,
                format!(
                    "transactions: {}: expected {}, found `{}`{note}",
                    c.column, c.expected, c.found
                ),
            )
        }
        other => (
            row.and_then(|r| r.first()).map(|g| g.origin.clone()),
            other.to_string(),
        ),
    };
    Diagnostic::at(at.unwrap_or_else(|| origin.clone()), message)
        .with_help("a test row is read as a row of the data file is: same columns, date format and amounts")
        .code("test/bad-row")
}

/// An empty column of `kind` for `n` customers.
fn empty(kind: Kind, n: usize) -> Column {
    match kind {
        Kind::Int => Column::Int(vec![EMPTY_INT; n]),
        Kind::Money => Column::Money(vec![EMPTY_MONEY; n]),
        Kind::Float => Column::Float(vec![f64::NAN; n]),
        Kind::Date => Column::Date(vec![EMPTY_DATE; n]),
        Kind::Text | Kind::Bool => Column::Text(vec![None; n]),
    }
}

/// Sets row `i` of `column` to the value written `text`, or says what was expected.
fn set(column: &mut Column, i: usize, text: &str) -> Result<(), &'static str> {
    let t = text.trim();
    match column {
        Column::Int(v) => v[i] = t.parse().map_err(|_| "a whole number such as 3")?,
        Column::Money(v) => {
            v[i] = parse_cents(t).map_err(|_| "an amount such as 12.34 (at most 2 decimals)")?
        }
        Column::Float(v) => {
            v[i] = t
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or("a number such as 0.25")?
        }
        Column::Date(v) => v[i] = Day::parse_iso(t).ok_or("a date like 1998-06-30")?.0,
        Column::Text(v) => v[i] = Some(t.to_string()),
        Column::Bool(v) => {
            v[i] = match t {
                "true" => 1,
                "false" => 0,
                _ => return Err("true or false"),
            }
        }
    }
    Ok(())
}

/// The table of `customers:` metric values as of `as_of`: every built-in metric and attribute a
/// column, a value given filling its cell, every other cell empty. `derived` are the policy's
/// derived metrics (computed by the rules, so not given).
pub(super) fn from_values(
    prepared: &Prepared,
    customers: &[(String, Origin, Vec<Given>)],
    derived: &[String],
    as_of: Day,
) -> Result<CustomerTable, Vec<Diagnostic>> {
    let mut columns: Vec<(String, ColumnOrigin, Kind)> = BUILTINS
        .iter()
        .map(|b| (b.name.to_string(), ColumnOrigin::Builtin, b.kind))
        .collect();
    columns.extend(
        attributes(prepared)
            .into_iter()
            .map(|(n, k)| (n, ColumnOrigin::Attribute, k)),
    );
    let known: Vec<String> = columns.iter().map(|c| c.0.clone()).collect();
    let mut sorted: Vec<&(String, Origin, Vec<Given>)> = customers.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let n = sorted.len();
    let mut cells: Vec<Column> = columns.iter().map(|c| empty(c.2, n)).collect();
    let mut problems = Vec::new();
    for (i, (_, _, values)) in sorted.iter().enumerate() {
        for g in values {
            let Some(c) = known.iter().position(|k| *k == g.key) else {
                let (message, help) = if derived.contains(&g.key) {
                    (
                        format!(
                            "customers: `{}` is a derived metric: the rules compute it",
                            g.key
                        ),
                        "give the built-in metrics and attributes it is computed from".to_string(),
                    )
                } else {
                    (
                        format!(
                            "customers: no built-in metric or attribute is called `{}`",
                            g.key
                        ),
                        suggest(&known, &g.key),
                    )
                };
                problems.push(
                    Diagnostic::at(g.key_origin.clone(), message)
                        .with_help(help)
                        .code("test/unknown-name"),
                );
                continue;
            };
            if let Err(expected) = set(&mut cells[c], i, &g.text) {
                problems.push(
                    Diagnostic::at(
                        g.origin.clone(),
                        format!(
                            "customers: {}: expected {expected}, found `{}`",
                            g.key, g.text
                        ),
                    )
                    .code("test/bad-value"),
                );
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut table = CustomerTable {
        as_of,
        ids: sorted.iter().map(|c| c.0.clone()).collect(),
        columns: Vec::new(),
    };
    for ((name, origin, _), column) in columns.into_iter().zip(cells) {
        table.push(name, origin, column);
    }
    Ok(table)
}
