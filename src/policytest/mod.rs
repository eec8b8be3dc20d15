//! Policy tests (`powerbase test`): a workspace's `tests/**/*.yaml` files, each a YAML list of named
//! cases that pin customers to tiers, reasons, checks and metric values.
//!
//! ```yaml
//! - name: a big repeat buyer is First
//!   params: { first_class_min: 250 }          # optional overrides, as `--set`
//!   transactions:                             # rows with the workspace's own column names
//!     - { customer_id: A, date: "19970105", dollar_value: "200.00", number_of_cds: 2 }
//!   expect:
//!     A: { tier: First, reason: First, checks: [], metrics: { revenue: 200.00 } }
//! - name: boundary
//!   customers:                                # metric values per customer instead of rows
//!     B: { revenue: 299.99, purchase_days: 3 }
//!   expect: { B: { tier: Business } }
//! - name: a real customer stays First
//!   population_from: data                     # percentiles and means over the real data
//!   expect: { "10167": { tier: First } }      # neither rows nor customers: the real data
//! ```
//!
//! This module reads the files into [`Case`]s (a malformed file is a diagnostic with file, line and
//! column); [`run`] evaluates them into results; [`junit`] writes those as JUnit XML.

pub mod junit;
mod run;
mod table;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::data::Day;
use crate::error::{Diagnostic, Origin};
use crate::workspace::{yaml, SourceFile};

pub use run::{run, CaseResult, Explainer, Failure, Outcome};

/// One test case of a test file.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The file it is in (`tests/tiers.yaml`).
    pub file: String,
    /// Its name (`name:`).
    pub name: String,
    /// Where it starts.
    pub origin: Origin,
    /// `as_of:`, for cases on rows or customers given in the case.
    pub as_of: Option<Day>,
    /// The customers it runs on.
    pub input: Input,
    /// `params:` overrides, as (param, value as written, where).
    pub params: Vec<(String, String, Origin)>,
    /// `population_from: data`: population figures over the real data, not the case's customers.
    pub population_from_data: bool,
    /// What is expected, per customer, in file order.
    pub expect: Vec<Expect>,
}

impl Case {
    /// `file::name`, as `powerbase test` prints it and `--filter` matches it.
    pub fn id(&self) -> String {
        format!("{}::{}", self.file, self.name)
    }

    /// Whether the case needs the workspace's real data (its customers or its population).
    pub fn needs_data(&self) -> bool {
        self.population_from_data || matches!(self.input, Input::Data)
    }
}

/// One value given in a test file: the text as written (a YAML scalar) and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Given {
    /// The key it is given under (a column, metric or param name).
    pub key: String,
    /// The scalar's text, as written.
    pub text: String,
    /// Where the value is.
    pub origin: Origin,
    /// Where the key is.
    pub key_origin: Origin,
}

/// The customers a case runs on.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Neither rows nor customers: the workspace's real data.
    Data,
    /// `transactions:` rows, each cell by the client's column name.
    Transactions(Vec<Vec<Given>>, Origin),
    /// `customers:` metric values per customer id.
    Customers(Vec<(String, Origin, Vec<Given>)>),
}

/// What a case expects of one customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    /// The customer id.
    pub customer: String,
    /// Where the customer's entry is.
    pub origin: Origin,
    /// The tier, if given.
    pub tier: Option<(String, Origin)>,
    /// The reason, if given.
    pub reason: Option<(String, Origin)>,
    /// The checks that fire (exactly these), if given.
    pub checks: Option<Vec<(String, Origin)>>,
    /// Metric values.
    pub metrics: Vec<Given>,
}

/// Values by name, as written (a row of `transactions:`, a customer of `customers:`, `metrics:`).
type Values = IndexMap<Spanned<String>, Spanned<String>>;

/// A case as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseEntry {
    name: Spanned<String>,
    #[serde(default)]
    as_of: Option<Spanned<String>>,
    #[serde(default)]
    transactions: Option<Spanned<Vec<Values>>>,
    #[serde(default)]
    customers: Option<IndexMap<Spanned<String>, Values>>,
    #[serde(default)]
    params: IndexMap<String, Spanned<String>>,
    #[serde(default)]
    population_from: Option<Spanned<String>>,
    expect: IndexMap<Spanned<String>, ExpectEntry>,
}

/// One customer's expectations as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectEntry {
    #[serde(default)]
    tier: Option<Spanned<String>>,
    #[serde(default)]
    reason: Option<Spanned<String>>,
    #[serde(default)]
    checks: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    metrics: Values,
}

fn at<T>(file: &str, spanned: &Spanned<T>) -> Origin {
    Origin::new(
        file,
        spanned.referenced.line() as u32,
        spanned.referenced.column() as u32,
    )
}

fn given(file: &str, values: Values) -> Vec<Given> {
    values
        .into_iter()
        .map(|(key, v)| Given {
            key_origin: at(file, &key),
            key: key.value,
            origin: at(file, &v),
            text: v.value,
        })
        .collect()
}

/// Reads every test file into its cases, in file order. Every problem of every file is reported
/// together, each at its file, line and column.
pub fn load(files: &[SourceFile]) -> Result<Vec<Case>, Vec<Diagnostic>> {
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        match parse(&file.name, &file.text) {
            Ok(c) => cases.extend(c),
            Err(p) => problems.extend(p),
        }
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}

/// Reads one test file, named `name`, holding `text`.
pub fn parse(name: &str, text: &str) -> Result<Vec<Case>, Vec<Diagnostic>> {
    // An empty file (or one with only comments) holds no cases.
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Ok(Vec::new());
    }
    let entries: Vec<CaseEntry> = yaml::parse(name, text).map_err(|d| vec![d])?;
    let mut problems = Vec::new();
    let mut cases: Vec<Case> = Vec::new();
    for entry in entries {
        match case(name, entry) {
            Ok(c) => {
                if let Some(first) = cases.iter().find(|o| o.name == c.name) {
                    problems.push(
                        Diagnostic::at(
                            c.origin.clone(),
                            format!("a test case named `{}` is already in {name}", c.name),
                        )
                        .with_label(first.origin.clone(), "first defined here")
                        .with_help("give each case of a file its own name")
                        .code("test/duplicate-case"),
                    );
                } else {
                    cases.push(c);
                }
            }
            Err(p) => problems.extend(p),
        }
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}

/// One case from its entry, or its problems.
fn case(file: &str, e: CaseEntry) -> Result<Case, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let origin = at(file, &e.name);
    let as_of = e.as_of.as_ref().and_then(|v| {
        let day = Day::parse_iso(v.value.trim());
        if day.is_none() {
            problems.push(
                Diagnostic::at(
                    at(file, v),
                    format!(
                        "as_of: expected a date like 1998-06-30, found `{}`",
                        v.value
                    ),
                )
                .code("test/bad-value"),
            );
        }
        day
    });
    let population_from_data = match &e.population_from {
        None => false,
        Some(v) if v.value == "data" => true,
        Some(v) if v.value == "case" => false,
        Some(v) => {
            problems.push(
                Diagnostic::at(
                    at(file, v),
                    format!(
                        "population_from: expected `data` or `case`, found `{}`",
                        v.value
                    ),
                )
                .with_help("`data` computes percentiles and means over the workspace's real data; `case` (the default) over the case's own customers")
                .code("test/bad-value"),
            );
            false
        }
    };
    let input = match (e.transactions, e.customers) {
        (Some(_), Some(_)) => {
            problems.push(
                Diagnostic::at(
                    origin.clone(),
                    "a case gives either `transactions:` or `customers:`, not both",
                )
                .with_help("split it into two cases")
                .code("test/bad-case"),
            );
            Input::Data
        }
        (Some(rows), None) => {
            let where_ = at(file, &rows);
            let rows = rows.value.into_iter().map(|r| given(file, r)).collect();
            Input::Transactions(rows, where_)
        }
        (None, Some(customers)) => Input::Customers(
            customers
                .into_iter()
                .map(|(id, values)| (id.value.clone(), at(file, &id), given(file, values)))
                .collect(),
        ),
        (None, None) => Input::Data,
    };
    let expect = e
        .expect
        .into_iter()
        .map(|(id, x)| Expect {
            customer: id.value.clone(),
            origin: at(file, &id),
            tier: x.tier.map(|t| (t.value.clone(), at(file, &t))),
            reason: x.reason.map(|t| (t.value.clone(), at(file, &t))),
            checks: x.checks.map(|list| {
                list.into_iter()
                    .map(|c| (c.value.clone(), at(file, &c)))
                    .collect()
            }),
            metrics: given(file, x.metrics),
        })
        .collect::<Vec<_>>();
    if expect.is_empty() {
        problems.push(
            Diagnostic::at(origin.clone(), "this case expects nothing")
                .with_help("add `expect:` with at least one customer id and its `tier:`")
                .code("test/bad-case"),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Case {
        file: file.to_string(),
        name: e.name.value,
        origin,
        as_of,
        input,
        params: e
            .params
            .into_iter()
            .map(|(k, v)| (k, v.value.clone(), at(file, &v)))
            .collect(),
        population_from_data,
        expect,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_kinds_of_case() {
        let text = "\
- name: rows
  as_of: 1997-06-30
  transactions:
    - { customer_id: '007', date: '19970105', amount: 12.30 }
  expect:
    '007': { tier: First, checks: [one], metrics: { revenue: 12.30 } }
- name: made up
  customers:
    A: { revenue: 10 }
  params: { first_class_min: 5 }
  expect: { A: { tier: Economy } }
- name: real
  population_from: data
  expect: { 10167: { reason: First } }
";
        let cases = parse("tests/t.yaml", text).unwrap();
        assert_eq!(cases.len(), 3);
        assert_eq!(cases[0].id(), "tests/t.yaml::rows");
        let Input::Transactions(rows, _) = &cases[0].input else {
            panic!("rows")
        };
        assert_eq!(rows[0][0].text, "007");
        assert_eq!(rows[0][2].text, "12.30", "the number as written");
        assert_eq!(cases[0].expect[0].customer, "007");
        assert_eq!(cases[0].expect[0].metrics[0].text, "12.30");
        assert_eq!(cases[0].as_of, Day::parse_iso("1997-06-30"));
        assert!(matches!(cases[1].input, Input::Customers(_)));
        assert_eq!(cases[1].params[0].1, "5");
        assert!(cases[2].needs_data() && cases[2].population_from_data);
        assert_eq!(cases[2].expect[0].customer, "10167");
    }

    #[test]
    fn a_malformed_file_is_a_diagnostic_at_its_line() {
        let text = "- name: a\n  expect: { A: { tier: First } }\n- name: b\n  expct: {}\n";
        let problems = parse("tests/t.yaml", text).unwrap_err();
        let o = problems[0].origin.as_ref().unwrap();
        assert_eq!(o.line, 4, "{problems:?}");
        let dup =
            "- name: a\n  expect: { A: { tier: X } }\n- name: a\n  expect: { A: { tier: X } }\n";
        let problems = parse("tests/t.yaml", dup).unwrap_err();
        assert_eq!(problems[0].code, "test/duplicate-case");
        let bad = "- name: a\n  population_from: everyone\n  expect: { A: { tier: X } }\n";
        let problems = parse("tests/t.yaml", bad).unwrap_err();
        assert_eq!(problems[0].origin.as_ref().unwrap().line, 2);
    }
}
