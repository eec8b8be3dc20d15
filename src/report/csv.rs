//! `customers.csv`: one row per customer, sorted by id: id, tier, built-ins, attributes, derived.

use crate::engine::Evaluation;
use crate::metrics::CustomerTable;
use crate::workspace::Policy;

/// The customer table as CSV bytes.
pub fn customers_csv(policy: &Policy, table: &CustomerTable, evaluation: &Evaluation) -> Vec<u8> {
    let mut w = ::csv::WriterBuilder::new().from_writer(Vec::with_capacity(table.len() * 160));
    let mut header = vec!["customer_id", "tier"];
    header.extend(table.columns.iter().map(|c| c.name.as_str()));
    w.write_record(&header).expect("writing to memory");
    let mut record: Vec<String> = Vec::with_capacity(header.len());
    for i in 0..table.len() {
        record.clear();
        record.push(table.ids[i].clone());
        record.push(policy.tiers[evaluation.tiers[i] as usize].name.clone());
        record.extend(table.columns.iter().map(|c| c.column.get(i).to_csv()));
        w.write_record(&record).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}
