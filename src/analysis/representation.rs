//! What sets a group of customers apart: for every attribute column (and every metric with declared
//! `bands:`), each value's share among the group's customers against its share in the whole base,
//! and the representation index = share in the group / share in the base x 100 (100: as common
//! as in the base; 200: twice as common).
//!
//! How values are grouped ([`Grouping`]):
//! - text: each distinct value (byte order); an attribute with more than [`MAX_VALUES`] distinct
//!   values (a company name, an id) is not profiled and is listed in [`NotProfiled`];
//! - numbers with declared bands `[25, 35, 50]`: `< 25`, `25–35`, `35–50`, `50+`; a band includes
//!   its lower bound and excludes its upper one (35 is in `35–50`);
//! - numbers without bands: quintiles of the whole base. The cut points are the 20th, 40th, 60th
//!   and 80th percentiles (the same ones as the 1-5 scores); a value belongs to band 1 + the number
//!   of cut points it is strictly above, so equal values always share a band. Ties can leave a
//!   band empty (when more than a fifth of customers have the same value): empty bands are dropped,
//!   so an attribute may have fewer than five. Each band is labelled by the smallest and largest
//!   value in it (`3–7`, or `1` when they are equal).
//!
//! Bands with no customer in the base are dropped. Customers without a value are left out of both
//! shares: a share is of the customers whose value is known (`with_value`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::explain::plain;
use crate::metrics::{population, Column, CustomerTable, Origin};
use crate::workspace::strategy::Bands;

/// The most distinct values a text attribute may have to be profiled.
pub const MAX_VALUES: usize = 100;

/// A value is among a group's most over-represented only when at least this many of the group's
/// customers have it ...
pub const MIN_SUPPORT: usize = 10;
/// ... and at least this share of the group's customers with a value of that attribute: an index
/// over a handful of customers is noise.
pub const MIN_SUPPORT_SHARE: f64 = 0.05;

/// ... and an index of at least this: a value 5% more common than in the base is not what sets
/// a group apart.
pub const MIN_INDEX: f64 = 110.0;

/// Marks a customer without a value.
const NONE: u32 = u32::MAX;

/// How an attribute's values are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// Each distinct text value.
    Values,
    /// The bands declared in the policy.
    Bands,
    /// Quintiles of the whole base.
    Quintiles,
}

/// An attribute with its customers sorted into values.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    /// The attribute column (or metric).
    pub attribute: String,
    /// How its values are grouped.
    pub grouping: Grouping,
    /// The value labels, in order.
    pub labels: Vec<String>,
    /// Per customer (table order): the index of its label, or [`NONE`].
    codes: Vec<u32>,
    /// Customers of the whole base with each label.
    pub base: Vec<usize>,
}

impl Dimension {
    /// Customers of the whole base with a value.
    pub fn with_value(&self) -> usize {
        self.base.iter().sum()
    }

    /// The label index of customer `i`, if it has a value.
    pub fn code(&self, i: usize) -> Option<usize> {
        let c = self.codes[i];
        (c != NONE).then_some(c as usize)
    }

    /// Customers per label among the customers `rows`.
    pub fn count(&self, rows: impl Iterator<Item = usize>) -> Vec<usize> {
        let mut counts = vec![0; self.labels.len()];
        for i in rows {
            if let Some(c) = self.code(i) {
                counts[c] += 1;
            }
        }
        counts
    }
}

/// An attribute that is not profiled, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotProfiled {
    /// The attribute.
    pub attribute: String,
    /// Why (for the report).
    pub reason: String,
}

/// One value's representation in one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Represented {
    /// The attribute.
    pub attribute: String,
    /// The value's label.
    pub value: String,
    /// The group's customers with this value.
    pub customers: usize,
    /// Their share of the group's customers with a value (NaN when none has one).
    pub share: f64,
    /// The value's share of all customers with a value.
    pub base_share: f64,
    /// `share / base_share x 100` (NaN when `share` is).
    pub index: f64,
}

/// The value of each label of `dim` in a group with `counts` customers per label.
pub fn represented(dim: &Dimension, counts: &[usize]) -> Vec<Represented> {
    let with_value: usize = counts.iter().sum();
    let base_total = dim.with_value();
    dim.labels
        .iter()
        .zip(counts)
        .zip(&dim.base)
        .map(|((label, &n), &b)| {
            let share = if with_value > 0 {
                n as f64 / with_value as f64
            } else {
                f64::NAN
            };
            let base_share = b as f64 / base_total as f64;
            Represented {
                attribute: dim.attribute.clone(),
                value: label.clone(),
                customers: n,
                share,
                base_share,
                index: share / base_share * 100.0,
            }
        })
        .collect()
}

/// The values most over-represented in a group (`counts[d]`: its customers per label of
/// dimension `d`): index at least [`MIN_INDEX`] with enough support ([`MIN_SUPPORT`],
/// [`MIN_SUPPORT_SHARE`]), highest index first (ties: more customers, then attribute and value
/// order), at most `limit`. Attributes for which `skip` holds are left out.
pub fn most_over_represented(
    dims: &[Dimension],
    counts: &[Vec<usize>],
    limit: usize,
    skip: impl Fn(&str) -> bool,
) -> Vec<Represented> {
    let mut found: Vec<Represented> = Vec::new();
    for (dim, counts) in dims.iter().zip(counts) {
        if skip(&dim.attribute) {
            continue;
        }
        let with_value: usize = counts.iter().sum();
        let needed = MIN_SUPPORT.max((with_value as f64 * MIN_SUPPORT_SHARE).ceil() as usize);
        found.extend(
            represented(dim, counts)
                .into_iter()
                .filter(|r| r.customers >= needed && r.index >= MIN_INDEX),
        );
    }
    // A stable sort keeps attribute and value order among equals.
    found.sort_by(|a, b| {
        b.index
            .total_cmp(&a.index)
            .then(b.customers.cmp(&a.customers))
    });
    found.truncate(limit);
    found
}

/// The attribute columns of the table (and the metrics with declared bands), each sorted into
/// values, in table order; and those that cannot be profiled.
pub fn dimensions(table: &CustomerTable, bands: &[Bands]) -> (Vec<Dimension>, Vec<NotProfiled>) {
    let mut dims = Vec::new();
    let mut skipped = Vec::new();
    let banded = |name: &str| bands.iter().find(|b| b.attribute == name);
    for col in &table.columns {
        let declared = banded(&col.name);
        if col.origin != Origin::Attribute && declared.is_none() {
            continue;
        }
        match dimension(&col.name, &col.column, declared) {
            Ok(d) => dims.push(d),
            Err(reason) => skipped.push(NotProfiled {
                attribute: col.name.clone(),
                reason,
            }),
        }
    }
    (dims, skipped)
}

fn dimension(name: &str, column: &Column, bands: Option<&Bands>) -> Result<Dimension, String> {
    let (grouping, labels, codes) = match column {
        Column::Text(values) => {
            let (labels, codes) = text_values(values)?;
            (Grouping::Values, labels, codes)
        }
        Column::Int(_) | Column::Float(_) | Column::Money(_) => match bands {
            Some(b) => {
                let (labels, codes) = declared_bands(column, &b.bounds);
                (Grouping::Bands, labels, codes)
            }
            None => {
                let (labels, codes) = quintiles(column);
                (Grouping::Quintiles, labels, codes)
            }
        },
        Column::Date(_) | Column::Bool(_) => {
            return Err("dates and flags are not profiled".to_string())
        }
    };
    Ok(compact(name, grouping, labels, codes))
}

/// Drops labels no customer has and counts the base.
fn compact(name: &str, grouping: Grouping, labels: Vec<String>, codes: Vec<u32>) -> Dimension {
    let mut base = vec![0usize; labels.len()];
    for &c in &codes {
        if c != NONE {
            base[c as usize] += 1;
        }
    }
    let mut renumber = vec![NONE; labels.len()];
    let mut kept = Vec::new();
    for (k, label) in labels.into_iter().enumerate() {
        if base[k] > 0 {
            renumber[k] = kept.len() as u32;
            kept.push(label);
        }
    }
    Dimension {
        attribute: name.to_string(),
        grouping,
        labels: kept,
        codes: codes
            .into_iter()
            .map(|c| {
                if c == NONE {
                    NONE
                } else {
                    renumber[c as usize]
                }
            })
            .collect(),
        base: base.into_iter().filter(|&n| n > 0).collect(),
    }
}

fn text_values(values: &[Option<String>]) -> Result<(Vec<String>, Vec<u32>), String> {
    let mut distinct: BTreeMap<&str, u32> = BTreeMap::new();
    for v in values.iter().flatten() {
        distinct.insert(v, 0);
        if distinct.len() > MAX_VALUES {
            return Err(format!(
                "more than {MAX_VALUES} distinct values: a name or an id, not a profile"
            ));
        }
    }
    for (k, code) in distinct.values_mut().enumerate() {
        *code = k as u32;
    }
    let codes = values
        .iter()
        .map(|v| v.as_deref().map_or(NONE, |v| distinct[v]))
        .collect();
    let labels = distinct.keys().map(|k| k.to_string()).collect();
    Ok((labels, codes))
}

/// The labels of declared bands: `< 25`, `25–35`, ..., `50+`.
pub fn band_labels(bounds: &[f64]) -> Vec<String> {
    let mut labels = Vec::with_capacity(bounds.len() + 1);
    if let Some(first) = bounds.first() {
        labels.push(format!("< {}", plain(*first)));
    }
    for w in bounds.windows(2) {
        labels.push(format!("{}–{}", plain(w[0]), plain(w[1])));
    }
    if let Some(last) = bounds.last() {
        labels.push(format!("{}+", plain(*last)));
    }
    labels
}

fn declared_bands(column: &Column, bounds: &[f64]) -> (Vec<String>, Vec<u32>) {
    let codes = (0..column.len())
        .map(|i| match column.number(i) {
            Some(v) => bounds.iter().filter(|&&b| v >= b).count() as u32,
            None => NONE,
        })
        .collect();
    (band_labels(bounds), codes)
}

fn quintiles(column: &Column) -> (Vec<String>, Vec<u32>) {
    let sorted = population::sorted_numbers(column);
    let Some(cuts) = population::quintile_cuts(&sorted) else {
        return (Vec::new(), vec![NONE; column.len()]);
    };
    let band = |v: f64| cuts.iter().filter(|&&c| v > c).count();
    let mut range = [(f64::INFINITY, f64::NEG_INFINITY); 5];
    for &v in &sorted {
        let r = &mut range[band(v)];
        *r = (r.0.min(v), r.1.max(v));
    }
    let labels = range
        .iter()
        .map(|&(lo, hi)| match (lo.is_finite(), lo == hi) {
            (false, _) => String::new(),
            (true, true) => plain(lo),
            (true, false) => format!("{}–{}", plain(lo), plain(hi)),
        })
        .collect();
    let codes = (0..column.len())
        .map(|i| column.number(i).map_or(NONE, |v| band(v) as u32))
        .collect();
    (labels, codes)
}

/// The value of row `i` of a column as a label would show it (for tests and explanations).
pub fn label_of(dim: &Dimension, i: usize) -> Option<&str> {
    dim.code(i).map(|c| dim.labels[c].as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Day;
    use crate::error::Origin as SourceOrigin;

    fn table(columns: Vec<(&str, Column)>) -> CustomerTable {
        let n = columns[0].1.len();
        let mut t = CustomerTable {
            as_of: Day(0),
            ids: (0..n).map(|i| format!("{i:03}")).collect(),
            columns: Vec::new(),
        };
        for (name, c) in columns {
            t.push(name, Origin::Attribute, c);
        }
        t
    }

    #[test]
    fn declared_bands_include_their_lower_bound() {
        let ages = vec![18, 25, 34, 35, 49, 50, 80, crate::metrics::EMPTY_INT];
        let t = table(vec![("age", Column::Int(ages))]);
        let bands = [Bands {
            attribute: "age".into(),
            bounds: vec![25.0, 35.0, 50.0],
            origin: SourceOrigin::file("powerbase.yaml"),
        }];
        let (dims, skipped) = dimensions(&t, &bands);
        assert!(skipped.is_empty());
        let d = &dims[0];
        assert_eq!(d.grouping, Grouping::Bands);
        assert_eq!(d.labels, ["< 25", "25–35", "35–50", "50+"]);
        let got: Vec<Option<&str>> = (0..8).map(|i| label_of(d, i)).collect();
        assert_eq!(
            got,
            [
                Some("< 25"),
                Some("25–35"),
                Some("25–35"),
                Some("35–50"),
                Some("35–50"),
                Some("50+"),
                Some("50+"),
                None
            ]
        );
        assert_eq!(d.base, [1, 2, 2, 2]);
    }

    #[test]
    fn quintiles_keep_ties_together_and_drop_empty_bands() {
        // Half the customers have 0: the first cut points coincide.
        let values: Vec<i64> = (0..20).map(|i| if i < 10 { 0 } else { i }).collect();
        let t = table(vec![("visits", Column::Int(values.clone()))]);
        let (dims, _) = dimensions(&t, &[]);
        let d = &dims[0];
        assert_eq!(d.grouping, Grouping::Quintiles);
        assert!(d.labels.len() < 5, "{:?}", d.labels);
        assert_eq!(d.labels[0], "0");
        assert_eq!(d.base[0], 10, "every 0 in one band");
        assert_eq!(d.with_value(), 20);
        // Bands are ordered and do not overlap.
        for i in 0..20 {
            for j in 0..20 {
                if values[i] < values[j] {
                    assert!(d.code(i) <= d.code(j));
                }
                if values[i] == values[j] {
                    assert_eq!(d.code(i), d.code(j));
                }
            }
        }
    }

    #[test]
    fn text_values_index_and_support() {
        let region: Vec<Option<String>> = (0..100)
            .map(|i| Some(if i < 60 { "North" } else { "South" }.to_string()))
            .collect();
        let t = table(vec![("region", Column::Text(region))]);
        let (dims, _) = dimensions(&t, &[]);
        // A group of 40: 30 North (75% against 60%), 10 South.
        let rows = (0..30).chain(60..70);
        let counts = dims[0].count(rows);
        assert_eq!(counts, [30, 10]);
        let r = represented(&dims[0], &counts);
        assert!((r[0].index - 125.0).abs() < 1e-9);
        assert!((r[1].index - 62.5).abs() < 1e-9);
        let top = most_over_represented(&dims, std::slice::from_ref(&counts), 3, |_| false);
        assert!(most_over_represented(&dims, &[counts], 3, |a| a == "region").is_empty());
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].value, "North");
        // Too few customers: no value qualifies.
        let few = dims[0].count(0..5);
        assert!(most_over_represented(&dims, &[few], 3, |_| false).is_empty());
    }

    #[test]
    fn names_are_not_profiled() {
        let names: Vec<Option<String>> = (0..=MAX_VALUES).map(|i| Some(format!("n{i}"))).collect();
        let t = table(vec![("company", Column::Text(names))]);
        let (dims, skipped) = dimensions(&t, &[]);
        assert!(dims.is_empty());
        assert_eq!(skipped[0].attribute, "company");
    }
}
