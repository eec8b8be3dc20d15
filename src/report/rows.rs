//! The columns of `customers.csv`, one place for the file and for the template function
//! `customers()`: id, tier, the reason (the rule that placed the customer), the table's columns
//! (built-ins, attributes, derived metrics), then one `check_<name>` flag per check.

use crate::engine::Evaluation;
use crate::metrics::{CustomerTable, Value};
use crate::workspace::Policy;

/// What the rows need beside the table and the evaluation: names, reasons and which checks fired
/// for which customer.
#[derive(Debug, Clone)]
pub struct Columns {
    /// Tier names, in policy order.
    pub tiers: Vec<String>,
    /// The `reason` text of each tier, in policy order.
    reasons: Vec<String>,
    /// Check names, in policy order.
    pub checks: Vec<String>,
    /// Per check, per customer: whether it fired.
    fired: Vec<Vec<bool>>,
}

/// The first three columns, before the table's.
const LEADING: [&str; 3] = ["customer_id", "tier", "reason"];

impl Columns {
    /// The columns of a run.
    pub fn new(policy: &Policy, table: &CustomerTable, evaluation: &Evaluation) -> Columns {
        Columns {
            tiers: policy.tiers.iter().map(|t| t.name.clone()).collect(),
            reasons: policy.tiers.iter().map(|t| t.reason()).collect(),
            checks: evaluation.checks.iter().map(|c| c.name.clone()).collect(),
            fired: evaluation
                .checks
                .iter()
                .map(|c| {
                    let mut f = vec![false; table.len()];
                    for &i in &c.customers {
                        f[i as usize] = true;
                    }
                    f
                })
                .collect(),
        }
    }

    /// Every column name, in file order.
    pub fn headers(&self, table: &CustomerTable) -> Vec<String> {
        LEADING
            .iter()
            .map(|h| h.to_string())
            .chain(table.columns.iter().map(|c| c.name.clone()))
            .chain(self.checks.iter().map(|c| format!("check_{c}")))
            .collect()
    }

    /// Whether check `check` (policy order) fired for customer `row`.
    pub fn fired(&self, check: usize, row: usize) -> bool {
        self.fired[check][row]
    }

    /// The value of column `column` (an index into [`Columns::headers`]) for customer `row`.
    pub fn cell<'a>(
        &'a self,
        table: &'a CustomerTable,
        evaluation: &Evaluation,
        row: usize,
        column: usize,
    ) -> Value<'a> {
        let tier = evaluation.tiers[row] as usize;
        match column {
            0 => Value::Text(&table.ids[row]),
            1 => Value::Text(&self.tiers[tier]),
            2 => Value::Text(&self.reasons[tier]),
            c if c < LEADING.len() + table.columns.len() => {
                table.columns[c - LEADING.len()].column.get(row)
            }
            c => Value::Bool(self.fired(c - LEADING.len() - table.columns.len(), row)),
        }
    }

    /// How many columns there are.
    pub fn count(&self, table: &CustomerTable) -> usize {
        LEADING.len() + table.columns.len() + self.checks.len()
    }
}
