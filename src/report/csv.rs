//! `customers.csv`: one row per customer, sorted by id, with the columns of [`super::rows`].

use rayon::prelude::*;

use super::rows::Columns;
use crate::engine::Evaluation;
use crate::metrics::{CustomerTable, Value};
use crate::workspace::Policy;

/// Rows formatted per parallel chunk; chunks are joined in order, so the bytes do not depend on
/// the number of threads.
const CHUNK: usize = 16 * 1024;

/// The customer table as CSV bytes.
pub fn customers_csv(policy: &Policy, table: &CustomerTable, evaluation: &Evaluation) -> Vec<u8> {
    let columns = Columns::new(policy, table, evaluation);
    let mut out = Vec::with_capacity(table.len() * 160 + 1024);
    for (i, name) in columns.headers(table).iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        Value::Text(name).write_csv(&mut out);
    }
    out.push(b'\n');
    let count = columns.count(table);
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
                    for c in 0..count {
                        if c > 0 {
                            buf.push(b',');
                        }
                        columns.cell(table, evaluation, i, c).write_csv(&mut buf);
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
