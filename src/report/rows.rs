//! The columns of `customers.csv`, one place for the file and for the template function
//! `customers()`: id, tier, the reason (the rule that placed the customer), the table's columns
//! (built-ins, attributes, derived metrics), one `check_<name>` flag per check, then, when the
//! policy declares personas, `personas`: the customer's personas joined by `;`.

use crate::engine::Evaluation;
use crate::metrics::{CustomerTable, Value};
use crate::workspace::{Level, Policy};

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
    /// Per customer, its personas joined by `;`, when the policy declares personas.
    personas: Option<Vec<String>>,
    /// The id column's name: `customer_id`, or `account_id` at `level: account`.
    id: &'static str,
}

/// The first three columns, before the table's (the first is `account_id` at `level: account`).
const LEADING: [&str; 3] = ["customer_id", "tier", "reason"];

impl Columns {
    /// The columns of a run.
    pub fn new(policy: &Policy, table: &CustomerTable, evaluation: &Evaluation) -> Columns {
        Columns {
            tiers: policy.tier_names(),
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
            personas: persona_labels(evaluation, table.len()),
            id: match policy.level {
                Level::Customer => LEADING[0],
                Level::Account => "account_id",
            },
        }
    }

    /// Every column name, in file order.
    pub fn headers(&self, table: &CustomerTable) -> Vec<String> {
        std::iter::once(self.id)
            .chain(LEADING[1..].iter().copied())
            .map(|h| h.to_string())
            .chain(table.columns.iter().map(|c| c.name.clone()))
            .chain(self.checks.iter().map(|c| format!("check_{c}")))
            .chain(self.personas.as_ref().map(|_| "personas".to_string()))
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
            c => match c - LEADING.len() - table.columns.len() {
                check if check < self.checks.len() => Value::Bool(self.fired(check, row)),
                _ => Value::Text(self.personas.as_ref().map_or("", |p| &p[row])),
            },
        }
    }

    /// How many columns there are.
    pub fn count(&self, table: &CustomerTable) -> usize {
        LEADING.len()
            + table.columns.len()
            + self.checks.len()
            + usize::from(self.personas.is_some())
    }
}

/// Each customer's personas joined by `;` in policy order, when the policy declares any.
fn persona_labels(evaluation: &Evaluation, customers: usize) -> Option<Vec<String>> {
    if evaluation.personas.is_empty() {
        return None;
    }
    let mut labels = vec![String::new(); customers];
    for (name, members) in &evaluation.personas {
        for &i in members {
            let label = &mut labels[i as usize];
            if !label.is_empty() {
                label.push(';');
            }
            label.push_str(name);
        }
    }
    Some(labels)
}
