//! `customers.csv`: one row per customer, sorted by id: id, tier, the reason (the rule that placed
//! the customer), built-ins, attributes, derived metrics, one `check_<name>` column per check, then
//! (when the policy declares personas) `personas`: the customer's personas joined by `;`.

use rayon::prelude::*;

use crate::engine::Evaluation;
use crate::metrics::{CustomerTable, Value};
use crate::workspace::Policy;

/// Rows formatted per parallel chunk; chunks are joined in order, so the bytes do not depend on
/// the number of threads.
const CHUNK: usize = 16 * 1024;

/// The customer table as CSV bytes.
pub fn customers_csv(policy: &Policy, table: &CustomerTable, evaluation: &Evaluation) -> Vec<u8> {
    let mut out = Vec::with_capacity(table.len() * 160 + 1024);
    let check_headers: Vec<String> = evaluation
        .checks
        .iter()
        .map(|c| format!("check_{}", c.name))
        .collect();
    let personas = persona_labels(evaluation, table.len());
    let header = ["customer_id", "tier", "reason"]
        .into_iter()
        .chain(table.columns.iter().map(|c| c.name.as_str()))
        .chain(check_headers.iter().map(String::as_str))
        .chain(personas.as_ref().map(|_| "personas"));
    for (i, name) in header.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        Value::Text(name).write_csv(&mut out);
    }
    let reasons: Vec<String> = policy.tiers.iter().map(|t| t.reason()).collect();
    let fired: Vec<Vec<bool>> = evaluation
        .checks
        .iter()
        .map(|c| {
            let mut f = vec![false; table.len()];
            for &i in &c.customers {
                f[i as usize] = true;
            }
            f
        })
        .collect();
    out.push(b'\n');
    // Format a batch of chunks in parallel, append them in order, then the next batch: the
    // formatted copies never hold more than a batch beside the output.
    let starts: Vec<usize> = (0..table.len()).step_by(CHUNK).collect();
    for batch in starts.chunks(4 * rayon::current_num_threads()) {
        let chunks: Vec<Vec<u8>> = batch
            .par_iter()
            .map(|&start| {
                let end = (start + CHUNK).min(table.len());
                let mut buf = Vec::with_capacity((end - start) * 160);
                for i in start..end {
                    Value::Text(&table.ids[i]).write_csv(&mut buf);
                    buf.push(b',');
                    let t = evaluation.tiers[i] as usize;
                    Value::Text(&policy.tiers[t].name).write_csv(&mut buf);
                    buf.push(b',');
                    Value::Text(&reasons[t]).write_csv(&mut buf);
                    for c in &table.columns {
                        buf.push(b',');
                        c.column.get(i).write_csv(&mut buf);
                    }
                    for f in &fired {
                        buf.push(b',');
                        Value::Bool(f[i]).write_csv(&mut buf);
                    }
                    if let Some(labels) = &personas {
                        buf.push(b',');
                        Value::Text(&labels[i]).write_csv(&mut buf);
                    }
                    buf.push(b'\n');
                }
                buf
            })
            .collect();
        for c in chunks {
            out.extend_from_slice(&c);
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use crate::metrics::Value;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut out = Vec::new();
        Value::Text("plain").write_csv(&mut out);
        out.push(b' ');
        Value::Text("a,b \"c\"").write_csv(&mut out);
        out.push(b' ');
        Value::Money(-5).write_csv(&mut out);
        out.push(b' ');
        Value::Float(0.1).write_csv(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "plain \"a,b \"\"c\"\"\" -0.05 0.1"
        );
    }
}
