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
    /// Customers placed in a lower tier who fail this comparison by at most [`NEAR_SHARE`] of
    /// the threshold: the ones a push would bring to it.
    pub within_reach: usize,
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
        columns: &table.columns,
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
    within_reach: Vec<usize>,
}

impl Tally {
    fn new(tests: usize) -> Tally {
        Tally {
            holds_earlier: 0,
            undecided: 0,
            revenue: 0,
            largest: None,
            near: vec![0; tests],
            within_reach: vec![0; tests],
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
            .zip(tally.near.into_iter().zip(tally.within_reach))
            .map(|(t, (customers, reach))| near(t, text, customers, reach))
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
                        match bound.eval(&table.columns, row) {
                            Some(Val::Bool(true)) => {
                                t.holds_earlier += 1;
                                t.revenue += self.revenue[row];
                                t.largest = self.larger(t.largest, Some(row));
                            }
                            Some(Val::Bool(false)) => {}
                            _ => t.undecided += 1,
                        }
                    }
                    let lower = (self.tiers[row] as usize) > k;
                    for (i, test) in tests.iter().enumerate() {
                        if test.near(&table.columns, row, NEAR_SHARE) == Some(true) {
                            t.near[i] += 1;
                            if lower && test.holds(&table.columns, row) == Some(false) {
                                t.within_reach[i] += 1;
                            }
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
                    for (x, y) in a.within_reach.iter_mut().zip(b.within_reach) {
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

fn near(test: &Test, text: &str, customers: usize, within_reach: usize) -> NearThreshold {
    NearThreshold {
        metric: test.metric.clone(),
        op: test.op.symbol(),
        threshold: test.threshold.value,
        money: test.kind == Kind::Money,
        source: test.threshold.describe(text),
        customers,
        within_reach,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Day;
    use crate::metrics::{Column, Origin};

    fn policy(tiers: &[(&str, &str)]) -> Policy {
        let mut yaml = String::from(
            "client: T\ndata:\n  transactions:\n    path: t.csv\n    columns: { customer_id: c, date: d, amount: a }\nparams:\n  big: 100\ntiers:\n",
        );
        for (name, when) in tiers {
            yaml.push_str(&format!("  - name: {name}\n    when: \"{when}\"\n"));
        }
        yaml.push_str("  - name: Rest\n");
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("powerbase.yaml"), yaml).unwrap();
        crate::workspace::load(tmp.path()).unwrap().policy
    }

    /// Six customers: revenue in cents, purchase days, margin share (two empty).
    fn table() -> CustomerTable {
        let mut t = CustomerTable {
            as_of: Day(0),
            ids: (0..6).map(|i| format!("c{i}")).collect(),
            columns: Vec::new(),
        };
        let revenue = vec![20_000, 20_000, 6_000, 9_600, 1_000, 0];
        t.push("revenue", Origin::Builtin, Column::Money(revenue));
        t.push(
            "purchase_days",
            Origin::Builtin,
            Column::Int(vec![3, 1, 2, 1, 1, 0]),
        );
        let margin = vec![f64::NAN, 0.6, 0.1, 0.9, 0.2, f64::NAN];
        t.push("margin_pct", Origin::Builtin, Column::Float(margin));
        t
    }

    #[test]
    fn placed_holds_shadowed_undecided_and_near() {
        let p = policy(&[
            ("A", "revenue >= big"),
            ("Shadowed", "revenue >= 150"),
            ("Nobody", "revenue >= big * 10"),
            ("B", "revenue >= 50 && purchase_days >= 2"),
            ("C", "margin_pct >= 0.5"),
            ("Opaque", "revenue.floor() > 0"),
        ]);
        let t = table();
        // As the engine placed them (first match wins).
        let tiers = [0, 0, 3, 4, 5, 6];
        let revenue = t.money("revenue").to_vec();
        let c = coverage(&p, &t, &tiers, &revenue);
        assert_eq!(c.len(), 6, "the last tier has no rule");
        let summary: Vec<(&str, usize, Option<usize>, usize, bool)> = c
            .iter()
            .map(|r| (r.tier.as_str(), r.placed, r.holds, r.undecided, r.shadowed))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("A", 2, Some(2), 0, false),
                ("Shadowed", 0, Some(2), 0, true),
                ("Nobody", 0, Some(0), 0, false),
                ("B", 1, Some(2), 0, false),
                // c0's margin is empty: only Rhai could decide it.
                ("C", 1, Some(2), 1, false),
                ("Opaque", 1, None, 0, false),
            ]
        );
        assert!(c[4].note.as_deref().unwrap().contains("for 1 customers"));
        assert!(c[5].note.as_deref().unwrap().contains("script engine"));
        assert_eq!(c[0].note, None);
        // The customers the shadowed rule would take: c0 and c1, tied on revenue: c0 is named.
        assert_eq!((c[1].taken_revenue, c[1].taken_largest), (40_000, Some(0)));
        assert_eq!((c[3].taken_revenue, c[3].taken_largest), (20_000, Some(0)));
        // $96 is within 5% of $100; 2 purchase days of 2.
        fn near(r: &RuleCoverage) -> Vec<(String, &str, usize)> {
            r.near_threshold
                .iter()
                .map(|n| (n.metric.clone(), n.source.as_str(), n.customers))
                .collect()
        }
        assert_eq!(near(&c[0]), vec![("revenue".into(), "param big", 1)]);
        assert_eq!(
            near(&c[2]),
            vec![("revenue".into(), "expression big * 10", 0)]
        );
        assert_eq!(
            near(&c[3]),
            vec![
                ("revenue".into(), "literal", 0),
                ("purchase_days".into(), "literal", 1)
            ]
        );
        // c3 ($96, placed in B) falls short of A's $100 by 4%; c2, near B's 2 purchase days,
        // is in B itself, not below it.
        assert_eq!(c[0].near_threshold[0].within_reach, 1);
        assert_eq!(c[3].near_threshold[1].within_reach, 0);
        assert_eq!(c[2].near_threshold[0].threshold, Number::Int(1000));
        assert!(c[0].near_threshold[0].money);
        assert!(near(&c[5]).is_empty());

        let f = findings(&c, &t.ids, &revenue, revenue.iter().sum());
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].name, "rule_Shadowed_shadowed");
        assert_eq!((f[0].customers, f[0].revenue), (2, 40_000));
        assert_eq!(f[0].largest.as_ref().unwrap().id, "c0");
        assert!(
            f[0].message.contains("matched 0 of the 2 customers"),
            "{}",
            f[0].message
        );
        assert_eq!(f[1].name, "rule_Nobody_matches_nobody");
        assert_eq!((f[1].customers, f[1].revenue), (0, 0));
        assert!(f[1].message.contains("holds for none"), "{}", f[1].message);
    }

    #[test]
    fn an_opaque_first_rule_was_tried_on_everyone() {
        let p = policy(&[
            ("A", "revenue.floor() >= 100"),
            ("B", "revenue.floor() > 0"),
        ]);
        let t = table();
        let revenue = t.money("revenue").to_vec();
        let c = coverage(&p, &t, &[0, 0, 1, 1, 1, 2], &revenue);
        assert_eq!(
            (c[0].placed, c[0].holds, c[0].note.is_none()),
            (2, Some(2), true)
        );
        assert_eq!((c[1].placed, c[1].holds), (3, None));
        let nobody = coverage(&p, &t, &[1, 1, 1, 1, 1, 2], &revenue);
        assert_eq!((nobody[0].placed, nobody[0].holds), (0, Some(0)));
        let f = findings(&nobody, &t.ids, &revenue, 1);
        assert!(f[0].message.contains("holds for none"), "{}", f[0].message);
    }
}
