//! Running policy test cases: every case checked against the workspace first (names, values, rows;
//! all problems reported together as diagnostics), then evaluated. One compiled program per
//! distinct `params:` set; the real data loaded at most once and evaluated at most once per
//! program, shared by every case that needs it.

use std::collections::BTreeMap;

use crate::data::{format_cents, parse_cents, Day};
use crate::engine::explain::{explain, near_ids, Explanation};
use crate::engine::Evaluation;
use crate::error::{Diagnostic, Error, Origin, Result};
use crate::metrics::{CustomerTable, Value, BUILTINS};
use crate::pipeline::{Prepared, Timings};
use crate::workspace::overrides::Override;

use super::{table, Case, Expect, Input};

/// How a failing customer's explanation is shown: from the explanation, the as-of date and the
/// currency (the command line passes `powerbase explain`'s text).
pub type Explainer<'e> = &'e dyn Fn(&Explanation<'_>, Day, &str) -> String;

/// What running the cases gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// One result per case run, in file order.
    pub results: Vec<CaseResult>,
    /// How many cases `--filter` left out.
    pub filtered_out: usize,
}

impl Outcome {
    /// How many cases passed.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed()).count()
    }

    /// How many cases failed.
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    /// The file the case is in.
    pub file: String,
    /// The case's name.
    pub name: String,
    /// Every expectation that did not hold, in the order written.
    pub failures: Vec<Failure>,
    /// For each customer with a failure: its id and its explanation (as the [`Explainer`] shows
    /// it).
    pub explanations: Vec<(String, String)>,
}

impl CaseResult {
    /// `file::name`.
    pub fn id(&self) -> String {
        format!("{}::{}", self.file, self.name)
    }

    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The customer id.
    pub customer: String,
    /// What was compared: `tier`, `reason`, `checks`, `metrics.NAME`, `customer` or `rules`.
    pub what: String,
    /// The expected value, as written.
    pub expected: String,
    /// What the evaluation gave.
    pub actual: String,
}

impl std::fmt::Display for Failure {
    /// `customer ID: WHAT: expected X, found Y` (without the customer when there is none).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.customer.is_empty() {
            write!(f, "customer {}: ", self.customer)?;
        }
        write!(
            f,
            "{}: expected {}, found {}",
            self.what, self.expected, self.actual
        )
    }
}

/// The `params:` of a case as the key of its compiled program (sorted; empty for the policy as it
/// is).
type Params = Vec<(String, String)>;

fn params_key(case: &Case) -> Params {
    let mut key: Params = case
        .params
        .iter()
        .map(|(k, v, _)| (k.clone(), v.clone()))
        .collect();
    key.sort();
    key
}

/// Runs the cases whose `file::name` contains `filter` (all without one) against the workspace
/// `prepared`. A case that names something the workspace does not have, or gives a value or row
/// that does not read, is a diagnostic ([`Error::Workspace`]); failing expectations are results.
pub fn run(
    prepared: &Prepared,
    cases: &[Case],
    filter: Option<&str>,
    explainer: Explainer<'_>,
) -> Result<Outcome> {
    let selected: Vec<&Case> = cases
        .iter()
        .filter(|c| filter.is_none_or(|f| c.id().contains(f)))
        .collect();
    let mut problems = Vec::new();
    let programs = compile(prepared, &selected, &mut problems);
    let mut tables = Vec::new();
    for case in &selected {
        problems.extend(check_names(prepared, case));
        tables.push(case_table(prepared, case).unwrap_or_else(|p| {
            problems.extend(p);
            None
        }));
    }
    if !problems.is_empty() {
        return Err(Error::Workspace(problems));
    }
    let mut real = Real::default();
    let mut results = Vec::new();
    for (case, table) in selected.iter().zip(tables) {
        let key = params_key(case);
        let p = programs.get(&key).unwrap_or(prepared);
        let mut failures = Vec::new();
        let mut explanations = Vec::new();
        let evaluated = match table {
            None => real.evaluated(prepared, p, &key)?,
            Some(table) => {
                let seed = if case.population_from_data {
                    Some(&real.evaluated(prepared, p, &key)?.1.populations)
                } else {
                    None
                };
                match p.program.evaluate_with(&table, seed) {
                    Ok(e) => real.keep(with_derived(table, e)),
                    Err(e) => {
                        failures.push(Failure {
                            customer: String::new(),
                            what: "rules".to_string(),
                            expected: "the rules evaluate".to_string(),
                            actual: e.to_string(),
                        });
                        results.push(result(case, failures, explanations));
                        continue;
                    }
                }
            }
        };
        let (table, evaluation) = evaluated;
        for x in &case.expect {
            let before = failures.len();
            expect(p, table, evaluation, x, &mut failures);
            if failures.len() > before {
                if let Ok(e) = explain(&p.workspace.policy, table, evaluation, &x.customer) {
                    let text = explainer(&e, table.as_of, &p.workspace.policy.currency);
                    explanations.push((x.customer.clone(), text));
                }
            }
        }
        results.push(result(case, failures, explanations));
    }
    Ok(Outcome {
        results,
        filtered_out: cases.len() - selected.len(),
    })
}

fn result(case: &Case, failures: Vec<Failure>, explanations: Vec<(String, String)>) -> CaseResult {
    CaseResult {
        file: case.file.clone(),
        name: case.name.clone(),
        failures,
        explanations,
    }
}

/// The table with the evaluation's derived columns moved onto it, beside the evaluation.
fn with_derived(mut table: CustomerTable, mut e: Evaluation) -> (CustomerTable, Evaluation) {
    table.columns.append(&mut e.derived);
    (table, e)
}

/// The real data, loaded once, and its evaluation by each program that needed it.
#[derive(Default)]
struct Real {
    loaded: Option<CustomerTable>,
    evaluated: BTreeMap<Params, (CustomerTable, Evaluation)>,
    /// The latest case's own evaluated table.
    last: Option<(CustomerTable, Evaluation)>,
}

impl Real {
    /// The real data evaluated by `p` (the program of `key`), loading and evaluating it on first
    /// use.
    fn evaluated(
        &mut self,
        base: &Prepared,
        p: &Prepared,
        key: &Params,
    ) -> Result<&(CustomerTable, Evaluation)> {
        if !self.evaluated.contains_key(key) {
            if self.loaded.is_none() {
                let as_of = base.as_of(None, None)?;
                let loaded = base.load(as_of, None, &mut Timings::default())?;
                self.loaded = Some(loaded.table);
            }
            let table = self.loaded.clone().expect("loaded above");
            let evaluation = p.program.evaluate(&table)?;
            self.evaluated
                .insert(key.clone(), with_derived(table, evaluation));
        }
        Ok(&self.evaluated[key])
    }

    /// Keeps a case's own evaluated table while its expectations are checked.
    fn keep(&mut self, evaluated: (CustomerTable, Evaluation)) -> &(CustomerTable, Evaluation) {
        self.last.insert(evaluated)
    }
}

/// One compiled program per distinct `params:` set other than none; problems with the params (an
/// unknown param, a value of the wrong kind) at their place in the test file.
fn compile(
    prepared: &Prepared,
    cases: &[&Case],
    problems: &mut Vec<Diagnostic>,
) -> BTreeMap<Params, Prepared> {
    let mut programs = BTreeMap::new();
    let mut failed = std::collections::BTreeSet::new();
    for case in cases {
        let key = params_key(case);
        if key.is_empty() || programs.contains_key(&key) || failed.contains(&key) {
            continue;
        }
        let overrides: Vec<Override> = key
            .iter()
            .map(|(k, v)| Override {
                key: k.clone(),
                value: v.clone(),
            })
            .collect();
        match prepared.with_overrides(&overrides) {
            Ok(p) => {
                programs.insert(key, p);
            }
            Err(e) => {
                for d in e.diagnostics() {
                    // `--set NAME` is where an override's problem is: show it at the param.
                    let at = d
                        .origin
                        .as_ref()
                        .and_then(|o| o.file.to_str())
                        .and_then(|f| f.strip_prefix("--set "))
                        .and_then(|name| case.params.iter().find(|(k, _, _)| k == name))
                        .map(|(_, _, o)| o.clone());
                    problems.push(match at {
                        Some(o) => Diagnostic {
                            origin: Some(o),
                            message: d.message.replacen("--set", "params", 1),
                            ..d
                        },
                        None => d,
                    });
                }
                failed.insert(key);
            }
        }
    }
    programs
}

/// The case's own customers, or `None` for a case on the real data.
fn case_table(
    prepared: &Prepared,
    case: &Case,
) -> std::result::Result<Option<CustomerTable>, Vec<Diagnostic>> {
    let derived: Vec<String> = prepared
        .program
        .derived_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    match &case.input {
        Input::Data if case.as_of.is_some() => Err(vec![Diagnostic::at(
            case.origin.clone(),
            "as_of: a case on the real data is evaluated as of the policy's date",
        )
        .with_help("remove `as_of:`, or give the case its own `transactions:` or `customers:`")
        .code("test/bad-case")]),
        Input::Data => Ok(None),
        Input::Transactions(rows, origin) => {
            table::from_rows(prepared, rows, origin, case.as_of).map(Some)
        }
        Input::Customers(customers) => {
            let as_of = case
                .as_of
                .or(prepared.workspace.policy.as_of)
                .ok_or_else(|| {
                    vec![Diagnostic::at(
                        case.origin.clone(),
                        "no as-of date: the policy has no `as_of` and the case gives none",
                    )
                    .with_help("give the case an `as_of: YYYY-MM-DD`")
                    .code("test/no-as-of")]
                })?;
            table::from_values(prepared, customers, &derived, as_of).map(Some)
        }
    }
}

/// A name the case expects that the workspace does not have (tier, check, metric), at its place.
fn check_names(prepared: &Prepared, case: &Case) -> Vec<Diagnostic> {
    let policy = &prepared.workspace.policy;
    let tiers: Vec<String> = policy.tier_names();
    let reasons: Vec<String> = policy.tiers.iter().map(|t| t.reason()).collect();
    let checks: Vec<String> = policy.checks.iter().map(|c| c.name.clone()).collect();
    let mut metrics: Vec<String> = BUILTINS.iter().map(|b| b.name.to_string()).collect();
    metrics.extend(
        prepared
            .attributes
            .iter()
            .flat_map(|t| t.columns.iter().map(|c| c.name.clone())),
    );
    metrics.extend(
        prepared
            .program
            .derived_names()
            .into_iter()
            .map(str::to_string),
    );
    let unknown = |what: &str, name: &str, origin: &Origin, known: &[String]| {
        let help = match crate::ident::closest(known, name) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("expected one of: {}", known.join(", ")),
        };
        Diagnostic::at(
            origin.clone(),
            format!("expect: the policy has no {what} `{name}`"),
        )
        .with_help(help)
        .code("test/unknown-name")
    };
    let mut problems = Vec::new();
    for x in &case.expect {
        if let Some((t, o)) = &x.tier {
            if !tiers.contains(t) {
                problems.push(unknown("tier", t, o, &tiers));
            }
        }
        if let Some((r, o)) = &x.reason {
            if !reasons.contains(r) {
                problems.push(unknown("reason", r, o, &reasons));
            }
        }
        for (c, o) in x.checks.iter().flatten() {
            if !checks.contains(c) {
                problems.push(unknown("check", c, o, &checks));
            }
        }
        for g in &x.metrics {
            if !metrics.contains(&g.key) {
                problems.push(unknown("metric", &g.key, &g.key_origin, &metrics));
            }
        }
    }
    problems
}

/// Compares what `x` expects of its customer with the evaluation, adding what does not hold.
fn expect(
    p: &Prepared,
    table: &CustomerTable,
    e: &Evaluation,
    x: &Expect,
    failures: &mut Vec<Failure>,
) {
    let fail = |what: &str, expected: &str, actual: String| Failure {
        customer: x.customer.clone(),
        what: what.to_string(),
        expected: expected.to_string(),
        actual,
    };
    let Ok(row) = table.ids.binary_search(&x.customer) else {
        let near = near_ids(&table.ids, &x.customer);
        let actual = if near.is_empty() {
            "no such customer".to_string()
        } else {
            format!("no such customer (near ids: {})", near.join(", "))
        };
        failures.push(fail("customer", "a customer of the case", actual));
        return;
    };
    let tiers = &p.workspace.policy.tiers;
    if let Some((tier, _)) = &x.tier {
        let actual = &tiers[e.tiers[row] as usize].name;
        if actual != tier {
            failures.push(fail("tier", tier, actual.clone()));
        }
    }
    if let Some((reason, _)) = &x.reason {
        let actual = tiers[e.reasons[row] as usize].reason();
        if actual != *reason {
            failures.push(fail("reason", reason, actual));
        }
    }
    if let Some(checks) = &x.checks {
        let mut wanted: Vec<&str> = checks.iter().map(|(c, _)| c.as_str()).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut fired: Vec<&str> = e
            .checks
            .iter()
            .filter(|c| c.customers.binary_search(&(row as u32)).is_ok())
            .map(|c| c.name.as_str())
            .collect();
        fired.sort_unstable();
        if wanted != fired {
            let list = |l: &[&str]| format!("[{}]", l.join(", "));
            failures.push(fail("checks", &list(&wanted), list(&fired)));
        }
    }
    for g in &x.metrics {
        let value = table.column(&g.key).map_or(Value::Empty, |c| c.get(row));
        if let Some(actual) = differs(&value, g.text.trim()) {
            failures.push(fail(&format!("metrics.{}", g.key), &g.text, actual));
        }
    }
}

/// `None` when `value` is what `expected` says; else the value as shown: money to the cent,
/// floats to 1e-9 relative, whole numbers, dates, flags and text exactly; an empty value never
/// matches.
fn differs(value: &Value<'_>, expected: &str) -> Option<String> {
    let same = match *value {
        Value::Empty => return Some("empty".to_string()),
        Value::Money(c) => parse_cents(expected).is_ok_and(|x| x == c),
        Value::Int(i) => expected.parse::<i64>().is_ok_and(|x| x == i),
        Value::Float(f) => expected
            .parse::<f64>()
            .is_ok_and(|x| x == f || (x - f).abs() <= 1e-9 * x.abs().max(f.abs())),
        Value::Date(d) => Day::parse_iso(expected) == Some(d),
        Value::Text(t) => t == expected,
        Value::Bool(b) => expected == if b { "true" } else { "false" },
    };
    match (same, value) {
        (true, _) => None,
        (false, Value::Money(c)) => Some(format_cents(*c)),
        (false, v) => Some(v.to_csv()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_compare_by_kind() {
        assert_eq!(differs(&Value::Money(81240), "812.40"), None);
        assert_eq!(differs(&Value::Money(81240), "812.4"), None);
        assert_eq!(
            differs(&Value::Money(81240), "812.41"),
            Some("812.40".to_string())
        );
        assert!(differs(&Value::Money(81240), "812.401").is_some());
        assert_eq!(differs(&Value::Float(0.1 + 0.2), "0.3"), None);
        assert!(differs(&Value::Float(0.3001), "0.3").is_some());
        assert_eq!(differs(&Value::Int(3), "3"), None);
        assert!(differs(&Value::Int(3), "3.0").is_some());
        assert_eq!(differs(&Value::Empty, "0"), Some("empty".to_string()));
        assert_eq!(differs(&Value::Text("a b"), "a b"), None);
        let day = Day::parse_iso("1997-01-05").unwrap();
        assert_eq!(differs(&Value::Date(day), "1997-01-05"), None);
    }
}
