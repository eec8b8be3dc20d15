//! Rule coverage on the real data: per tier rule, how many customers it placed, for how many its
//! condition holds (those placed by an earlier tier included), whether it is shadowed (it placed
//! nobody although its condition holds for some: earlier tiers take them all), and, per comparison
//! of a metric with a threshold, how many customers sit within 5% of the threshold, where a small
//! change of the threshold would move them.
//!
//! The rules are read again with the expression tree and evaluated natively over the evaluated
//! customer table: one parallel pass per rule the tree can evaluate. A rule only the script
//! engine can evaluate gets its placed count and no more (who else it holds for is not known).

use rayon::prelude::*;

use super::{Finding, FindingCustomer};
use crate::engine::tree::{self, NameTable, Number, TableFigures, Test, Val};
use crate::metrics::{CustomerTable, Kind};
use crate::workspace::{ParamValue, Policy, Severity};

/// Within this share of a threshold, a customer counts as near it.
pub const NEAR_SHARE: f64 = 0.05;

/// Customers per rayon task.
const MIN_LEN: usize = 1 << 12;

/// How one tier rule covers the customers.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleCoverage {
    /// The tier.
    pub tier: String,
    /// Its rule as written.
    pub rule: String,
    /// Customers it placed in its tier.
    pub placed: usize,
    /// Customers for whom its condition holds, placed here or by an earlier tier; `None` when only
    /// the script engine can evaluate the rule. Customers it could not be decided for
    /// ([`RuleCoverage::undecided`]) are not counted.
    pub holds: Option<usize>,
    /// Customers placed by an earlier tier for whom the condition could not be decided without
    /// the script engine (an empty value it reads).
    pub undecided: usize,
    /// It placed nobody although its condition holds for some customers: earlier tiers take every
    /// customer it would take.
    pub shadowed: bool,
    /// Revenue, in cents, of the customers placed by an earlier tier for whom it holds.
    pub taken_revenue: i64,
    /// The largest of them by revenue (ties: lowest id), as a table row.
    pub taken_largest: Option<usize>,
    /// Why `holds` is missing or incomplete, for a reader.
    pub note: Option<String>,
    /// Per comparison of a metric with a threshold, left to right.
    pub near_threshold: Vec<NearThreshold>,
}

/// Customers near one threshold of a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct NearThreshold {
    /// The metric compared.
    pub metric: String,
    /// The comparison, metric on the left (`>=`).
    pub op: &'static str,
    /// The threshold's value (money in currency units).
    pub threshold: Number,
    /// Whether the metric is money.
    pub money: bool,
    /// Where the threshold comes from: `literal`, `param first_class_min`, `population
    /// percentile("revenue", 0.95)`, `expression first_class_min / 2`.
    pub source: String,
    /// Customers whose value is within [`NEAR_SHARE`] of the threshold, on either side.
    pub customers: usize,
}

/// The coverage of every tier rule (every tier but the last, which has none), in policy order.
/// `tiers` is each customer's tier index, `revenue` each customer's revenue in cents.
pub fn coverage(
    policy: &Policy,
    table: &CustomerTable,
    tiers: &[u16],
    revenue: &[i64],
) -> Vec<RuleCoverage> {
    let mut placed = vec![0usize; policy.tiers.len()];
    for &t in tiers {
        placed[t as usize] += 1;
    }
    let params: Vec<(String, ParamValue)> = policy
        .params
        .iter()
        .map(|p| (p.name.clone(), p.value.clone()))
        .collect();
    let figures = TableFigures::new(table);
    let names = NameTable {
        table,
        params: &params,
        figures: &figures,
    };
    let pass = Pass {
        table,
        tiers,
        revenue,
    };
    policy
        .tiers
        .iter()
        .enumerate()
        .filter_map(|(k, tier)| {
            let text = &tier.when.as_ref()?.text;
            Some(pass.rule(k, &tier.name, text, placed[k], &names))
        })
        .collect()
}

/// What one pass over the customers reads.
struct Pass<'a> {
    table: &'a CustomerTable,
    tiers: &'a [u16],
    revenue: &'a [i64],
}

/// What one pass over the customers counts for one rule.
#[derive(Debug, Clone)]
struct Tally {
    holds_earlier: usize,
    undecided: usize,
    revenue: i64,
    largest: Option<usize>,
    near: Vec<usize>,
}

impl Tally {
    fn new(tests: usize) -> Tally {
        Tally {
            holds_earlier: 0,
            undecided: 0,
            revenue: 0,
            largest: None,
            near: vec![0; tests],
        }
    }
}

impl Pass<'_> {
    /// Coverage of tier `k`'s rule `text`.
    fn rule(
        &self,
        k: usize,
        tier: &str,
        text: &str,
        placed: usize,
        names: &NameTable<'_>,
    ) -> RuleCoverage {
        let parsed = tree::parse(text);
        let bound = parsed.tree.as_ref().and_then(|n| tree::bind(n, names));
        let mut out = RuleCoverage {
            tier: tier.to_string(),
            rule: text.to_string(),
            placed,
            holds: None,
            undecided: 0,
            shadowed: false,
            taken_revenue: 0,
            taken_largest: None,
            note: None,
            near_threshold: Vec::new(),
        };
        let (Some(node), Some(bound)) = (parsed.tree.as_ref(), bound) else {
            if !self.tiers.iter().any(|&t| (t as usize) < k) {
                // No customer was placed before it: it was tried on every customer.
                out.holds = Some(placed);
                return out;
            }
            out.note = Some(
                "only the script engine evaluates this rule, so who else it holds for is not known"
                    .to_string(),
            );
            return out;
        };
        let tests = tree::threshold_tests(node, names);
        let tally = self.tally(k, &bound, &tests);
        out.holds = Some(placed + tally.holds_earlier);
        out.undecided = tally.undecided;
        out.shadowed = placed == 0 && tally.holds_earlier > 0;
        out.taken_revenue = tally.revenue;
        out.taken_largest = tally.largest;
        if tally.undecided > 0 {
            out.note = Some(format!(
                "could not be decided without the script engine for {} customers placed by an earlier tier (empty values)",
                tally.undecided
            ));
        }
        out.near_threshold = tests
            .iter()
            .zip(tally.near)
            .map(|(t, customers)| near(t, text, customers))
            .collect();
        out
    }

    /// One parallel pass: for customers placed by an earlier tier, whether the rule holds; for
    /// every customer, whether it sits near each threshold.
    fn tally(&self, k: usize, bound: &tree::Bound, tests: &[Test]) -> Tally {
        let table = self.table;
        (0..table.len())
            .into_par_iter()
            .with_min_len(MIN_LEN)
            .fold(
                || Tally::new(tests.len()),
                |mut t, row| {
                    if (self.tiers[row] as usize) < k {
                        match bound.eval(table, row) {
                            Some(Val::Bool(true)) => {
                                t.holds_earlier += 1;
                                t.revenue += self.revenue[row];
                                t.largest = self.larger(t.largest, Some(row));
                            }
                            Some(Val::Bool(false)) => {}
                            _ => t.undecided += 1,
                        }
                    }
                    for (count, test) in t.near.iter_mut().zip(tests) {
                        if test.near(table, row, NEAR_SHARE) == Some(true) {
                            *count += 1;
                        }
                    }
                    t
                },
            )
            .reduce(
                || Tally::new(tests.len()),
                |mut a, b| {
                    a.holds_earlier += b.holds_earlier;
                    a.undecided += b.undecided;
                    a.revenue += b.revenue;
                    a.largest = self.larger(a.largest, b.largest);
                    for (x, y) in a.near.iter_mut().zip(b.near) {
                        *x += y;
                    }
                    a
                },
            )
    }

    /// The row with more revenue; on a tie the lower row (the lower id).
    fn larger(&self, a: Option<usize>, b: Option<usize>) -> Option<usize> {
        match (a, b) {
            (Some(x), Some(y)) => Some(match self.revenue[x].cmp(&self.revenue[y]) {
                std::cmp::Ordering::Greater => x,
                std::cmp::Ordering::Less => y,
                std::cmp::Ordering::Equal => x.min(y),
            }),
            (x, None) => x,
            (None, y) => y,
        }
    }
}

fn near(test: &Test, text: &str, customers: usize) -> NearThreshold {
    NearThreshold {
        metric: test.metric.clone(),
        op: test.op.symbol(),
        threshold: test.threshold.value,
        money: test.kind == Kind::Money,
        source: test.threshold.describe(text),
        customers,
    }
}

/// The findings coverage makes, as warnings: each shadowed rule (concerning the customers earlier
/// tiers took from it) and each other rule that placed nobody. `ids` and `revenue` (cents) are the
/// table's.
pub fn findings(
    coverage: &[RuleCoverage],
    ids: &[String],
    revenue: &[i64],
    total_revenue: i64,
) -> Vec<Finding> {
    coverage
        .iter()
        .filter(|c| c.placed == 0)
        .map(|c| {
            let taken = c.holds.unwrap_or(0);
            let message = if c.shadowed {
                format!(
                    "The rule of tier {} (`{}`) never places anyone: it matched 0 of the {} customers for whom its condition holds, because earlier tiers take them all. Reorder the tiers or change the rules above it.",
                    c.tier, c.rule, taken
                )
            } else if c.holds == Some(0) && c.undecided == 0 {
                format!(
                    "The rule of tier {} (`{}`) matched no customer: its condition holds for none of them. Check its thresholds against the data.",
                    c.tier, c.rule
                )
            } else {
                format!(
                    "The rule of tier {} (`{}`) matched no customer.",
                    c.tier, c.rule
                )
            };
            Finding {
                name: format!(
                    "rule_{}_{}",
                    c.tier,
                    if c.shadowed { "shadowed" } else { "matches_nobody" }
                ),
                severity: Severity::Warning,
                message,
                customers: if c.shadowed { taken } else { 0 },
                revenue: c.taken_revenue,
                revenue_share: if total_revenue > 0 {
                    c.taken_revenue as f64 / total_revenue as f64
                } else {
                    0.0
                },
                largest: c.taken_largest.map(|row| FindingCustomer {
                    id: ids[row].clone(),
                    revenue: revenue[row],
                }),
            }
        })
        .collect()
}
