//! Errors of the data loading stage.
//!
//! Every error names the file as it was written in `powerbase.yaml`, and a bad cell also names its
//! line (or sheet and row), its column header, the value found and what was expected, so the user
//! can fix the input without guessing.

use std::fmt;
use std::path::PathBuf;

/// Where in a file a problem is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Location {
    /// A 1-based physical line of a text file; the header is line 1. A record that spans several
    /// lines (a quoted field with a line break) is reported at its first line.
    Line(u64),
    /// A 1-based row of a spreadsheet, as the spreadsheet program numbers it, on a named sheet.
    Row {
        /// The sheet's name.
        sheet: String,
        /// The row number.
        row: u64,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(line) => write!(f, "line {line}"),
            Location::Row { sheet, row } => write!(f, "sheet {sheet:?}, row {row}"),
        }
    }
}

/// Everything that can go wrong while loading data. The run stops at the first one, except for
/// bad rows, which are all found and reported together ([`DataError::BadRows`]).
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{}: cannot read the file: {source}", path.display())]
    Io {
        /// The file, as configured.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The configuration in `powerbase.yaml` cannot work with this file (bad delimiter, bad
    /// `date_format`, a `sheet` for a CSV file, ...).
    #[error("{}: {message}", path.display())]
    Config {
        /// The file, as configured.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A mapped column header is not in the file.
    #[error("{}: there is no column {header:?} (mapped as `{role}` in `columns:`){}; the file's columns are: {}",
        path.display(),
        suggestion.as_ref().map(|s| format!("; did you mean {s:?}?")).unwrap_or_default(),
        list_headers(available))]
    MissingColumn {
        /// The file, as configured.
        path: PathBuf,
        /// Our name for the column (`amount`, `customer_id`, an attribute name, ...).
        role: String,
        /// The header the configuration asked for.
        header: String,
        /// The headers the file has.
        available: Vec<String>,
        /// The closest existing header, if one is close.
        suggestion: Option<String>,
    },

    /// A mapped column header occurs more than once in the file.
    #[error("{}: the column {header:?} (mapped as `{role}`) occurs {count} times in the header; rename the duplicates in the file", path.display())]
    DuplicateColumn {
        /// The file, as configured.
        path: PathBuf,
        /// Our name for the column.
        role: String,
        /// The repeated header.
        header: String,
        /// How often it occurs.
        count: usize,
    },

    /// A cell holds a value that is not what its column needs.
    #[error("{0}")]
    Cell(Box<CellError>),

    /// A record has a different number of fields than the header.
    #[error("{}, {location}: expected {expected} fields like the header, found {found}{}",
        path.display(),
        if *found > *expected { " (an unquoted delimiter inside a value?)" } else { "" })]
    FieldCount {
        /// The file, as configured.
        path: PathBuf,
        /// The record's first line.
        location: Location,
        /// How many fields the header has.
        expected: usize,
        /// How many this record has.
        found: usize,
    },

    /// The file's structure is broken: no header, an unclosed quote, a line that never ends, text
    /// that is not UTF-8 in a header.
    #[error("{}{}: {message}", path.display(), location.as_ref().map(|l| format!(", {l}")).unwrap_or_default())]
    Format {
        /// The file, as configured.
        path: PathBuf,
        /// Where, when known.
        location: Option<Location>,
        /// What is wrong.
        message: String,
    },

    /// The configured sheet is not in the workbook.
    #[error("{}: there is no sheet {sheet:?}; the workbook's sheets are: {}", path.display(), list_headers(available))]
    SheetNotFound {
        /// The file, as configured.
        path: PathBuf,
        /// The sheet asked for.
        sheet: String,
        /// The sheets that exist.
        available: Vec<String>,
    },

    /// The spreadsheet library could not read the workbook.
    #[error("{}: cannot read the workbook: {message}", path.display())]
    Excel {
        /// The file, as configured.
        path: PathBuf,
        /// The library's message.
        message: String,
    },

    /// A customer's sum leaves the range powerbase adds exactly.
    #[error("{0}")]
    SumOverflow(Box<SumOverflow>),

    /// Rows that cannot be read, all found in one pass: the run stops on them by default, or
    /// they were to be quarantined but are more than `max_rejected` of the rows.
    #[error("{0}")]
    BadRows(Box<super::BadRows>),

    /// The customer attribute table lists a customer twice.
    #[error("{}, {again}: customer {id:?} already appeared at {first}; each customer must appear once", path.display())]
    DuplicateCustomer {
        /// The file, as configured.
        path: PathBuf,
        /// The repeated id.
        id: String,
        /// Where it first appeared.
        first: Location,
        /// Where it appeared again.
        again: Location,
    },

    /// A column of the attribute table cannot be used as an attribute name.
    #[error("{}: {message}", path.display())]
    AttributeName {
        /// The file, as configured.
        path: PathBuf,
        /// The header as written in the file.
        header: String,
        /// Why, with the `columns:` mapping that fixes it.
        message: String,
    },
}

impl DataError {
    /// The line, or sheet and row, the error is about, when it is about one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            DataError::Cell(c) => Some(&c.location),
            DataError::FieldCount { location, .. } => Some(location),
            DataError::Format { location, .. } => location.as_ref(),
            DataError::DuplicateCustomer { again, .. } => Some(again),
            DataError::SumOverflow(o) => o.at.as_ref().map(|(l, _, _)| l),
            DataError::BadRows(b) => b.rejects.rows.first().map(|r| &r.location),
            _ => None,
        }
    }

    /// The file the error is about, as configured.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            DataError::Cell(c) => Some(&c.path),
            DataError::SumOverflow(o) => Some(&o.path),
            DataError::BadRows(b) => Some(&b.path),
            DataError::Io { path, .. }
            | DataError::Config { path, .. }
            | DataError::MissingColumn { path, .. }
            | DataError::DuplicateColumn { path, .. }
            | DataError::FieldCount { path, .. }
            | DataError::Format { path, .. }
            | DataError::SheetNotFound { path, .. }
            | DataError::Excel { path, .. }
            | DataError::DuplicateCustomer { path, .. }
            | DataError::AttributeName { path, .. } => Some(path),
        }
    }
}

/// A bad cell: where, which column, what was found and what was expected.
#[derive(Debug, thiserror::Error)]
#[error("{}, {location}, column {column:?}: expected {expected}, found {found:?}{}",
    path.display(), note.map(|n| format!(" ({n})")).unwrap_or_default())]
pub struct CellError {
    /// The file, as configured.
    pub path: PathBuf,
    /// The line, or sheet and row.
    pub location: Location,
    /// The column's header as written in the file.
    pub column: String,
    /// What the column needs, e.g. `an amount such as 12.34 (at most 2 decimals)`.
    pub expected: String,
    /// The value found (cut short when very long).
    pub found: String,
    /// A more precise reason, when there is one.
    pub note: Option<&'static str>,
}

/// A customer's sum (of amounts, costs, quantities, ...) that leaves the range powerbase adds
/// exactly: the row where it leaves it, the customer and the sum.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {}the sum of customer {customer:?}'s {} {} the range powerbase adds exactly ({}); \
         check {}the customer's other rows for a misplaced decimal point or a wrong column",
    path.display(),
    at.as_ref().map(|(l, c, _)| format!(", {l}, column {c:?}")).unwrap_or_default(),
    at.as_ref().map(|(_, _, v)| format!("the value {v} makes ")).unwrap_or_default(),
    sum.describe(),
    if at.is_some() { "leave" } else { "leaves" },
    sum.range(),
    if at.is_some() { "this value and " } else { "" })]
pub struct SumOverflow {
    /// The file, as configured.
    pub path: PathBuf,
    /// The row where the sum leaves the range, its column header and the value found there;
    /// `None` when the row could not be found again (the file changed while it was read).
    pub at: Option<(Location, String, String)>,
    /// The customer id.
    pub customer: String,
    /// Which sum.
    pub sum: super::Sum,
}

impl From<CellError> for DataError {
    fn from(c: CellError) -> Self {
        DataError::Cell(Box::new(c))
    }
}

fn list_headers(headers: &[String]) -> String {
    const MAX: usize = 40;
    let mut out = headers
        .iter()
        .take(MAX)
        .map(|h| format!("{h:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    if headers.len() > MAX {
        out.push_str(&format!(", ... ({} in all)", headers.len()));
    }
    if headers.is_empty() {
        out.push_str("(none)");
    }
    out
}

/// Shortens a found value for an error message: at most 80 characters, bytes that
/// are not UTF-8 as `<HH>`.
pub(crate) fn shown(bytes: &[u8]) -> String {
    const MAX: usize = 80;
    let text = crate::diagnostic::escaped(bytes);
    if text.chars().count() <= MAX {
        text.into_owned()
    } else {
        let mut cut: String = text.chars().take(MAX).collect();
        cut.push('…');
        cut
    }
}
