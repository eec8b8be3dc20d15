//! Why one customer is in its tier: the customer's metrics, every tier rule in order with the
//! values it read, the population figures it used and whether it matched, what the customer needs
//! to reach the tier above, and the checks that fired. Built from an evaluated customer table and
//! the evaluation, so it says what the run decided without running anything again: rules are
//! re-read with the expression tree ([`super::tree`]) only to show values and, where the tree can
//! evaluate them, whether later rules would also hold.
//!
//! Whether a rule matched comes from the tier the run placed the customer in (first match wins):
//! every rule before it did not hold, its own did, and the rules after it were not reached.

use rayon::prelude::*;

use super::tree::{
    self, CmpOp, Condition, Distance, Figures, NameTable, Number, TableFigures, Test, Val,
};
use super::{CheckResult, Evaluation};
use crate::error::Error;
use crate::metrics::{CustomerTable, Kind, NamedColumn, Origin, Value};
use crate::report::format;
use crate::workspace::{ParamValue, Policy, Tier};

/// Why one customer is in its tier.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation<'a> {
    /// The customer id, as in `customers.csv`.
    pub customer_id: &'a str,
    /// The tier the customer is in.
    pub tier: &'a str,
    /// The `reason` column of `customers.csv`: the tier whose rule placed the customer, or
    /// `(last tier)`.
    pub reason: String,
    /// Every metric of the customer, in `customers.csv` order.
    pub metrics: Vec<MetricValue<'a>>,
    /// Every tier in policy order.
    pub rules: Vec<RuleExplanation<'a>>,
    /// What it takes to reach the tier above; `None` in the top tier.
    pub distance: Option<DistanceExplanation>,
    /// The checks that fired for the customer, in policy order.
    pub checks: Vec<&'a CheckResult>,
}

/// One metric of the customer.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricValue<'a> {
    /// Its name.
    pub name: &'a str,
    /// Built-in, attribute or derived.
    pub origin: Origin,
    /// The customer's value.
    pub value: Value<'a>,
}

/// One tier rule for the customer.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleExplanation<'a> {
    /// The tier.
    pub tier: &'a str,
    /// Its rule as written; `None` for the last tier, which takes everyone left.
    pub rule: Option<&'a str>,
    /// `Some(true)`: it placed the customer; `Some(false)`: it was tried and did not hold;
    /// `None`: not reached (a rule before it placed the customer).
    pub matched: Option<bool>,
    /// Whether its condition holds for the customer: as `matched` for the rules that were tried;
    /// for rules not reached, the expression tree's answer where it can evaluate the rule alone
    /// (`None` otherwise).
    pub holds: Option<bool>,
    /// The metrics, attributes and params it reads, with the customer's values, in order of
    /// first appearance.
    pub reads: Vec<(String, Value<'a>)>,
    /// The population figures it asks for.
    pub populations: Vec<PopulationFigure>,
}

/// A population figure a rule uses.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationFigure {
    /// The call as written, e.g. `percentile("revenue", 0.95)`.
    pub call: String,
    /// Its value over all customers (money in currency units); `None` when it depends on the
    /// customer (a share computed by the rule) or cannot be computed.
    pub value: Option<f64>,
    /// Whether the metric is money.
    pub money: bool,
}

/// What it takes to reach the tier above.
#[derive(Debug, Clone, PartialEq)]
pub struct DistanceExplanation {
    /// The tier above.
    pub to: String,
    /// In words: `needs 2 more purchase days, or $61.00 more revenue`, or `not computable: ...`.
    pub text: String,
    /// The structure behind the text; `None` when not computable.
    pub need: Option<Need>,
}

/// What a customer needs to meet a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Need {
    /// Nothing: the condition holds.
    Met,
    /// One metric must change.
    Change(NeedChange),
    /// All of these.
    All(Vec<Need>),
    /// Any one of these.
    Any(Vec<Need>),
}

/// How one metric must change.
#[derive(Debug, Clone, PartialEq)]
pub struct NeedChange {
    /// The metric.
    pub metric: String,
    /// Its type (`Int`, `Money` or `Float`).
    pub kind: Kind,
    /// The customer's value now (money in currency units).
    pub value: Number,
    /// The test, metric on the left.
    pub op: CmpOp,
    /// The threshold's value.
    pub threshold: Number,
    /// Where the threshold comes from (`param first_class_min`, `literal`, ...).
    pub source: String,
    /// The change needed: positive to rise, negative to fall (whole counts, cents for money).
    pub change: f64,
    /// Whether the metric must go strictly beyond `value + change` (`>`/`<` on a float).
    pub strict: bool,
}

/// What the tree needs to look names up: the params as (name, value) and figures over the table.
struct Lookup<'a> {
    table: &'a CustomerTable,
    params: Vec<(String, ParamValue)>,
    figures: TableFigures<'a>,
}

impl<'a> Lookup<'a> {
    fn new(policy: &Policy, table: &'a CustomerTable, evaluation: &Evaluation) -> Lookup<'a> {
        Lookup {
            table,
            params: policy
                .params
                .iter()
                .map(|p| (p.name.clone(), p.value.clone()))
                .collect(),
            // The figures the evaluation used (they may come from another population).
            figures: TableFigures::seeded(table, &evaluation.populations),
        }
    }

    fn names(&self) -> NameTable<'_> {
        NameTable {
            columns: &self.table.columns,
            params: &self.params,
            figures: &self.figures,
        }
    }
}

/// Explains why customer `id` (matched exactly as in `customers.csv`) is in its tier, from an
/// evaluated `table` and its `evaluation`. An unknown id is an error that lists near ids.
pub fn explain<'a>(
    policy: &'a Policy,
    table: &'a CustomerTable,
    evaluation: &'a Evaluation,
    id: &str,
) -> Result<Explanation<'a>, Error> {
    let row = table
        .ids
        .binary_search_by(|probe| probe.as_str().cmp(id))
        .map_err(|_| unknown_customer(table, id))?;
    let placed = evaluation.tiers[row] as usize;
    let lookup = Lookup::new(policy, table, evaluation);
    let rules = policy
        .tiers
        .iter()
        .enumerate()
        .map(|(k, tier)| explain_rule(policy, &lookup, tier, k, placed, row))
        .collect();
    let distance = placed
        .checked_sub(1)
        .map(|above| distance(&lookup, &policy.tiers[above], &policy.currency, row));
    Ok(Explanation {
        customer_id: &table.ids[row],
        tier: &policy.tiers[placed].name,
        reason: policy.tiers[placed].reason(),
        metrics: table
            .columns
            .iter()
            .map(|c| MetricValue {
                name: &c.name,
                origin: c.origin,
                value: c.column.get(row),
            })
            .collect(),
        rules,
        distance,
        checks: evaluation
            .checks
            .iter()
            .filter(|c| c.customers.binary_search(&(row as u32)).is_ok())
            .collect(),
    })
}

/// Tier `k`'s rule for the customer in `row`, who was placed by tier `placed`.
fn explain_rule<'a>(
    policy: &'a Policy,
    lookup: &Lookup<'a>,
    tier: &'a Tier,
    k: usize,
    placed: usize,
    row: usize,
) -> RuleExplanation<'a> {
    let matched = match k.cmp(&placed) {
        std::cmp::Ordering::Less => Some(false),
        std::cmp::Ordering::Equal => Some(true),
        std::cmp::Ordering::Greater => None,
    };
    let Some(when) = &tier.when else {
        return RuleExplanation {
            tier: &tier.name,
            rule: None,
            matched,
            holds: matched.map(|_| true),
            reads: Vec::new(),
            populations: Vec::new(),
        };
    };
    let text = when.text.as_str();
    let parsed = tree::parse(text);
    let holds = matched.or_else(|| {
        let bound = tree::bind(parsed.tree.as_ref()?, &lookup.names())?;
        match bound.eval(&lookup.table.columns, row)? {
            Val::Bool(b) => Some(b),
            _ => None,
        }
    });
    let reads = parsed
        .names
        .into_iter()
        .filter_map(|n| {
            let value = read(policy, lookup.table, &n.name, row)?;
            Some((n.name, value))
        })
        .collect();
    RuleExplanation {
        tier: &tier.name,
        rule: Some(text),
        matched,
        holds,
        reads,
        populations: figures(lookup, text),
    }
}

/// The value of a name for customer `row`: a column of the table, else a param; `None` for other
/// names (locals and functions of opaque code).
fn read<'a>(
    policy: &'a Policy,
    table: &'a CustomerTable,
    name: &str,
    row: usize,
) -> Option<Value<'a>> {
    if let Some(c) = table.column(name) {
        return Some(c.get(row));
    }
    let p = policy.params.iter().find(|p| p.name == name)?;
    Some(match &p.value {
        ParamValue::Int(i) => Value::Int(*i),
        ParamValue::Float(f) => Value::Float(*f),
        ParamValue::Bool(b) => Value::Bool(*b),
        ParamValue::Text(t) => Value::Text(t),
    })
}

/// The population figures an expression asks for, with their values.
fn figures(lookup: &Lookup<'_>, text: &str) -> Vec<PopulationFigure> {
    tree::population_calls(text)
        .into_iter()
        .map(|call| PopulationFigure {
            value: call
                .fixed
                .then(|| lookup.figures.sorted(&call.metric))
                .flatten()
                .and_then(|sorted| tree::figure(call.function, call.arg, &sorted)),
            money: lookup
                .table
                .column(&call.metric)
                .is_some_and(|c| c.kind() == Kind::Money),
            call: call.span.text(text).to_string(),
        })
        .collect()
}

/// What customer `row` needs to meet the rule of `above`.
fn distance(lookup: &Lookup<'_>, above: &Tier, currency: &str, row: usize) -> DistanceExplanation {
    let not = |why: &str| DistanceExplanation {
        to: above.name.clone(),
        text: format!("not computable: {why}"),
        need: None,
    };
    let (condition, text) = match bind_rule(lookup, above) {
        Ok(bound) => bound,
        Err(why) => return not(why),
    };
    match condition.distance(&lookup.table.columns, row) {
        Some(d) => {
            let need = need(&d, text);
            DistanceExplanation {
                to: above.name.clone(),
                text: need_text(&need, currency),
                need: Some(need),
            }
        }
        None => not(&why_not(&condition, &lookup.table.columns, row)),
    }
}

/// The rule of `tier` as a threshold condition bound to the table, with its text; why not when
/// no distance to it can be computed.
fn bind_rule<'t>(
    lookup: &Lookup<'_>,
    tier: &'t Tier,
) -> Result<(Condition<Test>, &'t str), &'static str> {
    let Some(when) = &tier.when else {
        return Err("the tier above has no rule");
    };
    let text = when.text.as_str();
    let parsed = tree::parse(text);
    let Some(node) = parsed.tree.as_ref() else {
        return Err("only the script engine evaluates its rule, which is not a comparison of metrics with thresholds");
    };
    match tree::comparisons(node).and_then(|c| c.bind(&lookup.names())) {
        Some(condition) => Ok((condition, text)),
        None => Err("its rule is not a comparison of metrics with constants, params or population figures joined by && and ||"),
    }
}

/// What each customer of `rows` needs to meet the rule of tier `to` (an index into the policy's
/// tiers), measured as [`explain`] measures the distance to the tier above, with the population
/// figures of `evaluation`: `None` for a customer whose distance cannot be computed (an empty
/// value); `Err` with the reason when the rule gives no distance at all (no rule, script-only
/// code, not a comparison of metrics with thresholds).
pub fn needs(
    policy: &Policy,
    table: &CustomerTable,
    evaluation: &Evaluation,
    to: usize,
    rows: &[usize],
) -> Result<Vec<Option<Need>>, &'static str> {
    let lookup = Lookup::new(policy, table, evaluation);
    let (condition, text) = bind_rule(&lookup, &policy.tiers[to])?;
    Ok(rows
        .iter()
        .map(|&row| {
            condition
                .distance(&table.columns, row)
                .map(|d| need(&d, text))
        })
        .collect())
}

impl Need {
    /// Whether every change it asks for is within `reach`, a share of the threshold of the
    /// test it concerns (0.2: at least 4,000 revenue against `revenue >= 5000`; 160 recency days
    /// against `recency_days <= 200`). An `&&` needs all its parts within reach, an `||` one;
    /// a met condition is within any reach.
    pub fn within(&self, reach: f64) -> bool {
        match self {
            Need::Met => true,
            Need::Change(c) => c.change.abs() <= reach * c.threshold.as_f64().abs(),
            Need::All(parts) => parts.iter().all(|p| p.within(reach)),
            Need::Any(parts) => parts.iter().any(|p| p.within(reach)),
        }
    }
}

/// Why a threshold condition gives no distance for customer `row`.
fn why_not(condition: &Condition<Test>, columns: &[NamedColumn], row: usize) -> String {
    let empty: Vec<&str> = condition
        .tests()
        .into_iter()
        .filter(|t| t.value(columns, row).is_none())
        .map(|t| t.metric.as_str())
        .collect();
    if empty.is_empty() {
        "a test it fails cannot be met by changing one metric (`!=`, or a threshold the metric's values cannot take)".to_string()
    } else {
        let mut unique = empty;
        unique.dedup();
        format!("the customer has no value of {}", unique.join(", "))
    }
}

/// A tree distance as an owned [`Need`].
fn need(d: &Distance<'_>, text: &str) -> Need {
    match d {
        Distance::Met => Need::Met,
        Distance::Change(c) => Need::Change(NeedChange {
            metric: c.test.metric.clone(),
            kind: c.test.kind,
            value: c.value,
            op: c.test.op,
            threshold: c.test.threshold.value,
            source: c.test.threshold.describe(text),
            change: c.by,
            strict: c.strict,
        }),
        Distance::All(parts) => Need::All(parts.iter().map(|p| need(p, text)).collect()),
        Distance::Any(parts) => Need::Any(parts.iter().map(|p| need(p, text)).collect()),
    }
}

/// A need in words, for a consultant: `needs 2 more purchase days, or $61.00 more revenue`.
pub fn need_text(need: &Need, currency: &str) -> String {
    match need {
        Need::Met => "meets its rule already".to_string(),
        other => format!("needs {}", phrase(other, currency, false)),
    }
}

fn phrase(need: &Need, currency: &str, inside_all: bool) -> String {
    match need {
        Need::Met => "nothing more".to_string(),
        Need::Change(c) => change_phrase(c, currency),
        Need::All(parts) => parts
            .iter()
            .map(|p| phrase(p, currency, true))
            .collect::<Vec<_>>()
            .join(" and "),
        Need::Any(parts) => {
            let joined = parts
                .iter()
                .map(|p| phrase(p, currency, false))
                .collect::<Vec<_>>()
                .join(", or ");
            if inside_all {
                format!("({joined})")
            } else {
                joined
            }
        }
    }
}

/// One change in words: money and counts as amounts (`$61.00 more revenue`, `2 more purchase
/// days`, `30 fewer recency days`), other numbers as the value to reach.
fn change_phrase(c: &NeedChange, currency: &str) -> String {
    let up = c.change > 0.0;
    match c.kind {
        Kind::Money => format!(
            "{} {} {}",
            format::money(c.change.abs(), currency, 2),
            if up { "more" } else { "less" },
            c.metric
        ),
        Kind::Int => {
            let n = c.change.abs().round() as i64;
            format!(
                "{} {} {}",
                format::thousands(n),
                if up { "more" } else { "fewer" },
                count_words(&c.metric, n)
            )
        }
        _ => {
            let target = plain(c.value.as_f64() + c.change);
            let bound = match (c.op, c.strict) {
                (CmpOp::Gt, _) => format!("above {target}"),
                (CmpOp::Lt, _) => format!("below {target}"),
                (CmpOp::Ge, _) => format!("of at least {target}"),
                (CmpOp::Le, _) => format!("of at most {target}"),
                _ => format!("of {target}"),
            };
            format!("{} {bound} (now {})", c.metric, plain(c.value.as_f64()))
        }
    }
}

/// A count metric's name as words, singular for one: `purchase_days` -> `purchase days`, `1
/// purchase day`.
fn count_words(metric: &str, n: i64) -> String {
    let words = metric.replace('_', " ");
    match words.strip_suffix('s') {
        Some(one) if n == 1 && !one.is_empty() => one.to_string(),
        _ => words,
    }
}

/// A number for reading: at most four decimals, trailing zeros dropped (`0.3`, `14.8333`, `3`).
pub fn plain(v: f64) -> String {
    let s = format::number(v, 4);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Most ids suggested for an unknown one.
const SUGGESTIONS: usize = 5;

/// The error for an id no customer has, with near ids.
fn unknown_customer(table: &CustomerTable, id: &str) -> Error {
    let near = near_ids(&table.ids, id);
    let hint = if near.is_empty() {
        String::new()
    } else {
        format!("; near ids: {}", near.join(", "))
    };
    Error::Usage(format!(
        "no customer has the id `{id}` in the data as of {} ({} customers; ids are matched exactly as in customers.csv){hint}",
        table.as_of,
        format::thousands(table.len() as i64)
    ))
}

/// Up to five ids near `wanted` among sorted `ids`: the same ignoring case, spaces and
/// leading zeros first, then ids starting with it, then ids within a small edit distance (one
/// edit per three characters, at least one). One pass over the ids, in parallel.
pub fn near_ids<'i>(ids: &'i [String], wanted: &str) -> Vec<&'i str> {
    let key = |s: &str| -> String {
        s.trim()
            .trim_start_matches('0')
            .chars()
            .flat_map(char::to_lowercase)
            .collect()
    };
    let wanted_key = key(wanted);
    let limit = (wanted.chars().count() / 3).max(1);
    // (rank, distance, index): rank 0 same key, 1 extends `wanted`, 2 within `limit` edits.
    let mut found: Vec<(u8, usize, usize)> = ids
        .par_iter()
        .enumerate()
        .filter_map(|(i, id)| {
            if !wanted_key.is_empty() && key(id) == wanted_key {
                Some((0, 0, i))
            } else if !wanted.is_empty() && id.starts_with(wanted) {
                Some((1, id.len() - wanted.len(), i))
            } else {
                bounded_distance(id, wanted, limit).map(|d| (2, d, i))
            }
        })
        .collect();
    found.sort_unstable();
    found
        .into_iter()
        .take(SUGGESTIONS)
        .map(|(_, _, i)| ids[i].as_str())
        .collect()
}

/// The edit distance between `a` and `b` if it is at most `limit`.
fn bounded_distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        if cur.iter().min().is_some_and(|&m| m > limit) {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|&d| d <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(metric: &str, kind: Kind, value: Number, op: CmpOp, change: f64) -> Need {
        Need::Change(NeedChange {
            metric: metric.to_string(),
            kind,
            value,
            op,
            threshold: Number::Int(0),
            source: "literal".to_string(),
            change,
            strict: false,
        })
    }

    #[test]
    fn needs_in_words() {
        let days = change("purchase_days", Kind::Int, Number::Int(1), CmpOp::Ge, 2.0);
        let revenue = change("revenue", Kind::Money, Number::Float(89.0), CmpOp::Ge, 61.0);
        let one = change("orders", Kind::Int, Number::Int(4), CmpOp::Ge, 1.0);
        let fall = change(
            "recency_days",
            Kind::Int,
            Number::Int(200),
            CmpOp::Le,
            -20.0,
        );
        let less = change("cost", Kind::Money, Number::Float(10.0), CmpOp::Lt, -1234.5);
        let ratio = change(
            "margin_pct",
            Kind::Float,
            Number::Float(0.25),
            CmpOp::Gt,
            0.05,
        );
        let text = |n: &Need| need_text(n, "USD");
        assert_eq!(
            text(&Need::Any(vec![days.clone(), revenue.clone()])),
            "needs 2 more purchase days, or $61.00 more revenue"
        );
        assert_eq!(text(&one), "needs 1 more order");
        assert_eq!(text(&fall), "needs 20 fewer recency days");
        assert_eq!(text(&less), "needs $1,234.50 less cost");
        assert_eq!(text(&ratio), "needs margin_pct above 0.3 (now 0.25)");
        assert_eq!(
            text(&Need::All(vec![
                revenue.clone(),
                Need::Any(vec![days.clone(), one.clone()])
            ])),
            "needs $61.00 more revenue and (2 more purchase days, or 1 more order)"
        );
        assert_eq!(
            text(&Need::Any(vec![Need::All(vec![revenue, days]), one])),
            "needs $61.00 more revenue and 2 more purchase days, or 1 more order"
        );
        assert_eq!(need_text(&Need::Met, "EUR"), "meets its rule already");
    }

    #[test]
    fn within_reach_is_a_share_of_each_threshold() {
        let revenue = |by: f64| {
            Need::Change(NeedChange {
                threshold: Number::Int(5000),
                ..match change("revenue", Kind::Money, Number::Float(0.0), CmpOp::Ge, by) {
                    Need::Change(c) => c,
                    _ => unreachable!(),
                }
            })
        };
        let days = |by: f64| {
            Need::Change(NeedChange {
                threshold: Number::Int(3),
                ..match change("purchase_days", Kind::Int, Number::Int(1), CmpOp::Ge, by) {
                    Need::Change(c) => c,
                    _ => unreachable!(),
                }
            })
        };
        // 4,000 against revenue >= 5000 is within 20%; 3,999.99 is not.
        assert!(revenue(1000.0).within(0.2));
        assert!(!revenue(1000.01).within(0.2));
        assert!(Need::Met.within(0.0));
        // && needs every part within reach, || one.
        let all = Need::All(vec![revenue(500.0), days(2.0)]);
        let any = Need::Any(vec![revenue(500.0), days(2.0)]);
        assert!(!all.within(0.2) && any.within(0.2));
        assert!(all.within(0.7));
        // A threshold of 0 leaves no room.
        let zero = Need::Change(NeedChange {
            threshold: Number::Int(0),
            ..match revenue(0.01) {
                Need::Change(c) => c,
                _ => unreachable!(),
            }
        });
        assert!(!zero.within(1.0));
    }

    #[test]
    fn plain_numbers() {
        assert_eq!(plain(3.0), "3");
        assert_eq!(plain(0.30000000000000004), "0.3");
        assert_eq!(plain(89.0 / 6.0), "14.8333");
        assert_eq!(plain(-1234.5), "-1,234.5");
    }

    #[test]
    fn near_ids_same_key_then_longer_then_close() {
        let ids: Vec<String> = [
            "00002", "00759", "07590", "07591", "07592", "17592", "ABC-1",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(near_ids(&ids, "2"), vec!["00002"]);
        assert_eq!(near_ids(&ids, "7592"), vec!["07592", "17592"]);
        assert_eq!(
            near_ids(&ids, "0759"),
            vec!["00759", "07590", "07591", "07592"],
            "17592 is two edits away"
        );
        assert_eq!(near_ids(&ids, "abc-1"), vec!["ABC-1"]);
        assert_eq!(near_ids(&ids, "zzzzzzzz"), Vec::<&str>::new());
        assert_eq!(bounded_distance("07592", "07529", 2), Some(2));
        assert_eq!(bounded_distance("07592", "99999", 2), None);
        assert_eq!(
            bounded_distance("a", "abcd", 2),
            None,
            "too different in length"
        );
    }
}
