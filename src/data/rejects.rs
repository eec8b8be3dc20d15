//! Bad rows: every row that cannot be read is found in one pass and set aside here with where it
//! is, which column, what was wrong and the raw record, instead of stopping the reader.
//!
//! The readers collect per worker ([`Rejects::add`]) and merge at the end ([`Rejects::merge`]);
//! [`decide`] then applies a [`BadRowPolicy`]: by default any bad row fails the run with
//! [`DataError::BadRows`] listing them; with `quarantine` the reader goes on without them, and
//! [`LoadStats`] carries them for `rejects.csv` and the data-quality figures, unless their share
//! passes `max_rejected`.
//!
//! Memory is bounded: at most a cap of rejected rows ([`KEEP`] unless the reader asks for more)
//! are kept with their text (the first by file and line, whatever the thread split), each record
//! cut to [`RECORD_MAX`] characters; the rest are counted, and their amounts and problem kinds
//! summed. A worker receives its blocks in file order, so once it holds the cap none of its later
//! rows can be among the first ones: it only counts them, without formatting a message. When
//! quarantined rows are more than [`KEEP`] (yet within `max_rejected`), the loader reads the
//! files again keeping every one, so `rejects.csv` lists them all.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::error::{DataError, Location};
use super::{CellProblem, Expected, LoadStats};

/// Rejected rows kept with their text; the rest are counted.
pub const KEEP: usize = 10_000;

/// The longest raw record kept, in characters (longer ones are cut and end in `…`).
pub const RECORD_MAX: usize = 1_000;

/// The default `max_rejected`: with quarantine, more than 1% of the rows rejected fails the
/// run anyway.
pub const DEFAULT_MAX_REJECTED: f64 = 0.01;

/// Rows shown on the terminal when a run fails on bad rows.
pub const SHOWN: usize = 20;

/// What to do with rows that cannot be read.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum OnBadRows {
    /// Fail the run, listing every bad row (the default).
    #[default]
    Fail,
    /// Leave the bad rows out, list them in `rejects.csv` and count them in the data-quality
    /// section and summary.json.
    Quarantine,
}

impl std::str::FromStr for OnBadRows {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fail" => Ok(OnBadRows::Fail),
            "quarantine" => Ok(OnBadRows::Quarantine),
            other => Err(format!("expected fail or quarantine, found {other:?}")),
        }
    }
}

/// One row set aside: where, which column, what was wrong and the raw record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The file the row is in, as configured.
    pub file: PathBuf,
    /// Its line, or sheet and row.
    pub location: Location,
    /// The header of the bad cell's column; `None` when the whole record is wrong (its number of
    /// fields).
    pub column: Option<String>,
    /// What is wrong: what was expected and the value found.
    pub problem: String,
    /// The raw record as read (without its line terminator), cut at 1,000 characters.
    pub record: String,
    /// The diagnostic code of the problem (`data/bad-cell`, `data/field-count`, ...).
    pub code: &'static str,
    /// The 1-based character column of the bad cell in the record's first line, where a caret
    /// can point; 0 when unknown (a spreadsheet, a cell on a later line of a quoted field).
    pub at: u32,
}

impl Rejected {
    /// The row of a row-level error (a bad cell, a wrong number of fields, text after a closing
    /// quote) with its raw record.
    pub(crate) fn new(error: DataError, record: &[u8]) -> Rejected {
        let file = error.path().map(Path::to_path_buf).unwrap_or_default();
        let (location, column, problem, code) = match error {
            DataError::Cell(c) => (
                c.location,
                Some(c.column),
                format!(
                    "expected {}, found {:?}{}",
                    c.expected,
                    c.found,
                    c.note.map(|n| format!(" ({n})")).unwrap_or_default()
                ),
                "data/bad-cell",
            ),
            DataError::FieldCount {
                location,
                expected,
                found,
                ..
            } => (
                location,
                None,
                format!(
                    "expected {expected} fields like the header, found {found}{}",
                    if found > expected {
                        " (an unquoted delimiter inside a value?)"
                    } else {
                        ""
                    }
                ),
                "data/field-count",
            ),
            other => (
                other.location().cloned().unwrap_or(Location::Line(0)),
                None,
                other.to_string(),
                "data/bad-file",
            ),
        };
        Rejected {
            file,
            location,
            column,
            problem,
            record: cut(record),
            code,
            at: 0,
        }
    }

    /// The same row with its caret at the start of field `field` (0-based) of the record, a CSV
    /// record separated by `delim`.
    pub(crate) fn in_field(mut self, field: usize, delim: u8) -> Rejected {
        self.at = field_column(&self.record, field, char::from(delim)).unwrap_or(0);
        self
    }

    /// The row as one line of a message: `line 5, column "date": expected ..., found ...`.
    pub fn describe(&self) -> String {
        match &self.column {
            Some(c) => format!("{}, column {c:?}: {}", self.location, self.problem),
            None => format!("{}: {}", self.location, self.problem),
        }
    }
}

/// The record as text (bytes that are not UTF-8 as `<HH>`), line terminator removed, cut at 1,000 characters.
fn cut(record: &[u8]) -> String {
    let mut end = record.len();
    while end > 0 && matches!(record[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    let text = crate::diagnostic::escaped(&record[..end]);
    if text.chars().count() <= RECORD_MAX {
        return text.into_owned();
    }
    let mut short: String = text.chars().take(RECORD_MAX).collect();
    short.push('…');
    short
}

/// The 1-based character column where field `field` of a CSV record starts, if it starts on the
/// record's first line: delimiters inside quotes do not count.
fn field_column(record: &str, field: usize, delim: char) -> Option<u32> {
    let (mut seen, mut in_quotes) = (0, false);
    if field == 0 {
        return Some(1);
    }
    for (i, c) in record.chars().enumerate() {
        match c {
            '"' => in_quotes = !in_quotes,
            '\n' | '\r' => return None,
            c if c == delim && !in_quotes => {
                seen += 1;
                if seen == field {
                    return u32::try_from(i + 2).ok();
                }
            }
            _ => {}
        }
    }
    None
}

/// The kind of a problem, for counting without formatting a message: the column's field index
/// (`None` for the whole record) and a short label.
pub(crate) type Kind = (Option<usize>, &'static str);

/// The kind of a bad cell.
pub(crate) fn kind_of(p: &CellProblem) -> Kind {
    let label = match p.expected {
        Expected::CustomerId => "an empty customer id",
        Expected::Utf8 => "text that is not UTF-8",
        Expected::Text => "a spreadsheet error instead of text",
        Expected::Date => "a bad date",
        Expected::Amount | Expected::FormattedAmount => "a bad amount",
        Expected::Whole => "a bad whole number",
        Expected::Number => "a bad number for a computed column",
        Expected::Computed => "a computed amount out of range",
        Expected::InRange { .. } => "a sum out of range",
    };
    (Some(p.field), label)
}

/// The kind of a bad row of the customer master (only listed, never counted by kind).
pub(crate) const BAD_ROW: Kind = (None, "a bad row");

/// The kind of a record with the wrong number of fields.
pub(crate) const FIELD_COUNT: Kind = (None, "the wrong number of fields");

/// The kind of a record whose quoted field has text after its closing quote.
pub(crate) fn after_quote(field: usize) -> Kind {
    (Some(field), "text after a closing quote")
}

/// The rows set aside by a reader: the first ones (up to a cap, [`KEEP`] by default) with their
/// text, and counts of all.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejects {
    /// The first rejected rows by file and line, at most the cap.
    pub rows: Vec<Rejected>,
    /// Every rejected row.
    pub total: u64,
    /// The sum of the amounts of the rejected rows whose amount could be read (in cents): rows
    /// rejected for another column. A row with a bad amount, or with the wrong number of fields
    /// (its cells cannot be told apart), adds nothing.
    pub amount: i128,
    /// Rejected rows that never reached the row parser (a wrong number of fields, text after a
    /// closing quote): the parser did not count them as read.
    pub(crate) unparsed: u64,
    /// Rejected rows per column (by header; `""` for the whole record) and problem.
    pub by_problem: BTreeMap<(String, &'static str), u64>,
    /// The same by field index, while reading (the headers are attached by [`Rejects::named`]).
    kinds: BTreeMap<Kind, u64>,
    /// How many rows are kept with their text.
    cap: usize,
}

impl Default for Rejects {
    /// None yet, keeping the first [`KEEP`].
    fn default() -> Self {
        Rejects::with_cap(KEEP)
    }
}

impl Rejects {
    /// None yet, keeping the first `cap` rows with their text.
    pub(crate) fn with_cap(cap: usize) -> Rejects {
        Rejects {
            rows: Vec::new(),
            total: 0,
            amount: 0,
            unparsed: 0,
            by_problem: BTreeMap::new(),
            kinds: BTreeMap::new(),
            cap,
        }
    }

    /// Whether every rejected row is kept with its text.
    pub fn complete(&self) -> bool {
        self.rows.len() as u64 == self.total
    }

    /// Counts one rejected row of `kind` with the amount read from it; `row` makes its text, and
    /// is called only while fewer rows than the cap are kept.
    #[cold]
    pub(crate) fn add(&mut self, kind: Kind, amount: Option<i64>, row: impl FnOnce() -> Rejected) {
        self.total += 1;
        self.amount += i128::from(amount.unwrap_or(0));
        *self.kinds.entry(kind).or_insert(0) += 1;
        if self.rows.len() < self.cap {
            self.rows.push(row());
        }
    }

    /// Absorbs another worker's rejects of the same file; the kept rows stay the first by line.
    pub(crate) fn merge(&mut self, other: Rejects) {
        self.add_counts(&other);
        self.rows.extend(other.rows);
        self.rows.sort_by(|a, b| a.location.cmp(&b.location));
        self.rows.truncate(self.cap);
    }

    /// Appends the rejects of the next file read (files are read in order): the kept rows stay
    /// the first by file and line.
    pub(crate) fn then(&mut self, other: Rejects) {
        self.add_counts(&other);
        let room = self.cap.saturating_sub(self.rows.len());
        self.rows.extend(other.rows.into_iter().take(room));
    }

    fn add_counts(&mut self, other: &Rejects) {
        self.total += other.total;
        self.amount += other.amount;
        self.unparsed += other.unparsed;
        for (k, n) in &other.kinds {
            *self.kinds.entry(*k).or_insert(0) += n;
        }
        for (k, n) in &other.by_problem {
            *self.by_problem.entry(k.clone()).or_insert(0) += n;
        }
    }

    /// Attaches the column headers to the problem counts (after the last merge).
    pub(crate) fn named(mut self, headers: &[String]) -> Rejects {
        for ((field, label), n) in std::mem::take(&mut self.kinds) {
            let column = field
                .and_then(|f| headers.get(f).cloned())
                .unwrap_or_default();
            *self.by_problem.entry((column, label)).or_insert(0) += n;
        }
        self
    }

    /// Every problem with its column and how many rows have it, commonest first (then by column
    /// and problem).
    pub fn problems(&self) -> Vec<(String, &'static str, u64)> {
        let mut out: Vec<_> = self
            .by_problem
            .iter()
            .map(|((c, l), &n)| (c.clone(), *l, n))
            .collect();
        out.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, a.1).cmp(&(&b.0, b.1))));
        out
    }

    /// The first [`SHOWN`] rows, one per line (each starting with a line break and two spaces,
    /// the file named when it is not `source`), then "... and N more" for the rest.
    pub fn listing(&self, source: &Path) -> String {
        let mut out = String::new();
        for row in self.rows.iter().take(SHOWN) {
            out.push_str("\n  ");
            out.push_str(&row_line(row, source));
        }
        let rest = self.total.saturating_sub(SHOWN.min(self.rows.len()) as u64);
        if rest > 0 {
            out.push_str(&format!("\n  ... and {rest} more"));
        }
        out
    }

    /// Per column, its commonest problem and how many rows have it, commonest first.
    pub fn commonest(&self) -> Vec<(String, &'static str, u64)> {
        let mut best: BTreeMap<&str, (&'static str, u64)> = BTreeMap::new();
        for ((column, label), &n) in &self.by_problem {
            let e = best.entry(column.as_str()).or_insert((label, n));
            if n > e.1 {
                *e = (label, n);
            }
        }
        let mut out: Vec<_> = best
            .into_iter()
            .map(|(c, (label, n))| (c.to_string(), label, n))
            .collect();
        out.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        out
    }
}

/// How a reader treats bad rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BadRowPolicy {
    /// Fail or quarantine.
    pub on_bad_rows: OnBadRows,
    /// With quarantine, the largest share of rows read that may be rejected.
    pub max_rejected: f64,
}

impl BadRowPolicy {
    /// A policy; a `max_rejected` that is not a share from 0 to 1 is a configuration error of
    /// the source `path`.
    pub fn new(
        path: &Path,
        on_bad_rows: OnBadRows,
        max_rejected: f64,
    ) -> Result<BadRowPolicy, DataError> {
        if !(0.0..=1.0).contains(&max_rejected) {
            return Err(DataError::Config {
                path: path.to_path_buf(),
                message: format!(
                    "`max_rejected: {max_rejected}` must be a share of the rows from 0 to 1, \
                     such as 0.01 for 1%"
                ),
            });
        }
        Ok(BadRowPolicy {
            on_bad_rows,
            max_rejected,
        })
    }
}

impl Default for BadRowPolicy {
    /// Fail on any bad row; with quarantine, at most 1% rejected.
    fn default() -> Self {
        BadRowPolicy {
            on_bad_rows: OnBadRows::Fail,
            max_rejected: DEFAULT_MAX_REJECTED,
        }
    }
}

/// Applies a bad-row policy to what a reader of the source `path` found (`stats.rows_read`
/// counts the rejected rows too): `Ok` with the rejects in `stats` when there are none or they
/// are quarantined within `max_rejected`, otherwise [`DataError::BadRows`].
pub(crate) fn decide(
    path: &Path,
    policy: BadRowPolicy,
    stats: &mut LoadStats,
    rejects: Rejects,
) -> Result<(), DataError> {
    if rejects.total == 0 {
        return Ok(());
    }
    let share = rejects.total as f64 / stats.rows_read.max(1) as f64;
    let over = share > policy.max_rejected;
    if policy.on_bad_rows == OnBadRows::Quarantine && !over {
        stats.rejected = rejects;
        return Ok(());
    }
    Err(DataError::BadRows(Box::new(BadRows {
        path: path.to_path_buf(),
        read: stats.rows_read,
        limit: (policy.on_bad_rows == OnBadRows::Quarantine).then_some(policy.max_rejected),
        rejects,
        can_quarantine: true,
    })))
}

/// Rows that cannot be read, found in one pass: the run stops on them (the default), or they
/// were quarantined but are more than `max_rejected` of the rows.
#[derive(Debug)]
pub struct BadRows {
    /// The source, as configured.
    pub path: PathBuf,
    /// Data rows read.
    pub read: u64,
    /// `Some(max_rejected)` when the rows were to be quarantined but are too many.
    pub limit: Option<f64>,
    /// The rows.
    pub rejects: Rejects,
    /// Whether the source can set bad rows aside (`on_bad_rows: quarantine`): the transactions
    /// can; the customer master cannot (a customer without its attributes would be misjudged).
    pub can_quarantine: bool,
}

impl fmt::Display for BadRows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.rejects;
        let path = self.path.display();
        if let Some(max) = self.limit {
            writeln!(
                f,
                "{path}: {} of the {} rows read ({}) cannot be read, more than max_rejected ({}) \
                 allows: a systematic problem is likely (a wrong number_format, date_format, \
                 encoding, delimiter or column mapping, or a changed export), not a few bad rows. \
                 The commonest problem per column:",
                r.total,
                self.read,
                percent(r.total as f64 / self.read.max(1) as f64),
                percent(max)
            )?;
            for (column, label, n) in r.commonest() {
                let column = if column.is_empty() {
                    "the whole row".to_string()
                } else {
                    format!("column {column:?}")
                };
                let rows = if n == 1 { "row" } else { "rows" };
                writeln!(f, "  {column}: {label} in {n} {rows}")?;
            }
            write!(f, "The first bad rows:")?;
        } else if r.total == 1 && r.rows.len() == 1 {
            // One bad row: the message is the row's own.
            let row = &r.rows[0];
            return write!(f, "{}, {}", row.file.display(), row.describe());
        } else {
            write!(f, "{path}: {} rows cannot be read:", r.total)?;
        }
        write!(f, "{}", r.listing(&self.path))?;
        write!(
            f,
            "\n{}",
            if self.limit.is_some() { FIX_LIMIT } else { FIX }
        )
    }
}

/// A row in a list under its source's name: the file named only when it is another one.
fn row_line(row: &Rejected, source: &Path) -> String {
    if row.file == source {
        row.describe()
    } else {
        format!("{}, {}", row.file.display(), row.describe())
    }
}

/// A share as a percentage with two decimals, more (up to six) for a small share that is not
/// 0, so 3 rows of 69,659 read 0.004%, not 0.00%.
pub fn percent(share: f64) -> String {
    let mut decimals = 2;
    while decimals < 6 && share > 0.0 && share * 100.0 < 0.5 * 10f64.powi(-(decimals as i32)) {
        decimals += 1;
    }
    format!("{:.*}%", decimals, share * 100.0)
}

/// How to see every bad row, or go on without them.
const FIX: &str = "Fix these rows in the export (each is named by its line, column, value and \
     what was expected) and run again.";

/// How to go on without the bad rows: the help of a run that fails on them by default.
pub const QUARANTINE: &str = "To set the bad rows aside and go on without them, set `on_bad_rows: \
     quarantine` under data.transactions or run with `--on-bad-rows quarantine`: they are then \
     listed in rejects.csv and counted in the report, as long as they are at most max_rejected \
     of the rows (default 1%).";

/// How to go on when too many rows are rejected.
const FIX_LIMIT: &str = "Check the configuration against the file, or raise max_rejected if \
     these rows are really to be left out (`max_rejected` under data.transactions or \
     `--max-rejected`).";

#[cfg(test)]
mod tests {
    use super::field_column;

    #[test]
    fn a_field_starts_after_its_delimiters_outside_quotes() {
        assert_eq!(field_column("a;b;c", 0, ';'), Some(1));
        assert_eq!(field_column("a;bb;c", 2, ';'), Some(6));
        // A quoted delimiter does not count; columns count characters, not bytes.
        assert_eq!(field_column("\"x;y\";ä;z", 2, ';'), Some(9));
        // A field on a later line of a quoted line break has no caret on the first line.
        assert_eq!(field_column("\"x\ny\";z", 1, ';'), None);
        assert_eq!(field_column("a;b", 5, ';'), None);
    }
}
