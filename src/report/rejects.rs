//! `rejects.csv`: the rows set aside under `on_bad_rows: quarantine`, one per line in file and
//! line order, with where each is, what was wrong and its raw record as read (decoded).

use crate::data::{Location, Rejected};

/// The header of `rejects.csv`.
pub const HEADER: [&str; 5] = ["file", "line", "column", "problem", "record"];

/// `rows` as CSV bytes: `file` (as found), `line` (the line of a text file, the row of a
/// spreadsheet), `column` (the header of the bad cell, empty when the whole row is wrong),
/// `problem` (what was expected and what was found) and `record` (the raw record as read,
/// decoded, without its line break). Only the header when there are none.
pub fn rejects_csv(rows: &[Rejected]) -> Vec<u8> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::with_capacity(128 * (rows.len() + 1)));
    // Writing to memory cannot fail.
    let _ = out.write_record(HEADER);
    for r in rows {
        let line = match &r.location {
            Location::Line(n) => n.to_string(),
            Location::Row { row, .. } => row.to_string(),
        };
        let file = r.file.display().to_string();
        let column = r.column.as_deref().unwrap_or("");
        let _ = out.write_record([file.as_str(), &line, column, &r.problem, &r.record]);
    }
    out.into_inner().unwrap_or_default()
}
