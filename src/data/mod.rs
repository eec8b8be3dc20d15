//! The data loading stage: reads a client's transaction export (delimited text or a spreadsheet)
//! and an optional customer attribute table, validates every cell, and streams rows into
//! per-thread [`RowSink`]s.
//!
//! The product standard: bad input never passes silently. Every bad row is found in one pass and
//! named with the file, the line (or sheet and row), the column, the value and what was expected;
//! by default they stop the run together ([`DataError::BadRows`], the earliest by file and line
//! first, the same on every run whatever the thread count), or, with `on_bad_rows: quarantine`,
//! they are set aside ([`LoadStats::rejected`], the `rejects` module) within `max_rejected`. A per-customer sum that leaves the range a sink adds exactly
//! ([`RowSink::overflows`]) is traced back to the row where it leaves it (the `overflow` module).
//!
//! Delimited text is read by one thread in large blocks cut at record boundaries (quote-aware)
//! and parsed by as many worker threads as rayon's pool has (`RAYON_NUM_THREADS`), each into its
//! own sink; memory stays flat however long the file is. Spreadsheets are read whole by calamine
//! (they hold at most about a million rows) and parsed on one thread.

mod accounts;
mod attributes;
mod compute;
mod config;
mod csv_source;
mod date_shape;
mod day;
mod decode;
mod error;
mod excel_source;
mod headers;
mod ids;
mod join;
mod number;
pub(crate) use number::LOCALES;
mod overflow;
mod parse;
mod rejects;
mod sniff;
mod sources;

use std::path::{Path, PathBuf};

pub use accounts::{Accounts, ACCOUNT_CUSTOMERS, PARENT_ID};
pub use attributes::{
    identifier, read_customers, AttributeColumn, AttributeTable, AttributeValues,
};
pub use config::{
    CustomerSource, DataPath, DateFormats, Encoding, Negative, NumberFormat, NumberFormatSpec,
    Share, ShareText, SheetRef, TransactionColumns, TransactionSource,
};
pub use day::Day;
pub use error::{CellError, DataError, Location, SumOverflow};
pub use ids::{Case, IdNormalise, Merged, Normalised};
pub use join::{Join, MergedIds, Unmatched};
pub use overflow::{Overflow, Sum};
pub use parse::{format_cents, parse_cents};
pub use rejects::{
    percent as rejects_percent, BadRowPolicy, BadRows, OnBadRows, Rejected, Rejects,
    DEFAULT_MAX_REJECTED, KEEP, QUARANTINE, SHOWN,
};
pub use sources::{FileRead, SourceRead, TotalsLine};

use config::FileKind;

/// One parsed transaction row, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row<'a> {
    /// The customer id, trimmed of surrounding ASCII whitespace; never empty.
    pub customer_id: &'a str,
    /// The transaction day.
    pub day: Day,
    /// The amount in cents; negative for a refund.
    pub amount: i64,
    /// The cost in cents; 0 when the cost column is not mapped.
    pub cost: i64,
    /// The quantity; 0 when the quantity column is not mapped.
    pub quantity: i64,
    /// The order id, if mapped and not empty.
    pub order_id: Option<&'a str>,
    /// The product, if mapped and not empty.
    pub product: Option<&'a str>,
    /// The channel, if mapped and not empty.
    pub channel: Option<&'a str>,
}

/// Receives rows. One sink per worker thread; sinks are merged at the end, in no particular
/// order, so merging must give the same result whatever the order (sums, counts, min/max, ...).
pub trait RowSink: Send {
    /// Takes one row that passed validation and is not after the as-of date.
    fn push(&mut self, row: &Row<'_>);
    /// Absorbs another thread's sink.
    fn merge(&mut self, other: Self)
    where
        Self: Sized;
    /// Called once after the last row and merge: every per-customer sum that left the range the
    /// sink adds exactly. The loader then finds the row where each one leaves the range and
    /// reports the earliest as a [`DataError::SumOverflow`]. The default keeps no sums.
    fn overflows(&mut self) -> Vec<Overflow> {
        Vec::new()
    }
}

/// What the loader saw, for the report's data-quality section.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LoadStats {
    /// Data rows in the file (blank lines and the header not counted).
    pub rows_read: u64,
    /// Rows pushed into the sinks.
    pub rows_used: u64,
    /// Valid rows dated after the as-of date, left out.
    pub excluded_after_as_of: u64,
    /// Used rows whose amount is zero.
    pub zero_amount_rows: u64,
    /// Used rows whose amount is negative.
    pub refund_rows: u64,
    /// The earliest day over used rows.
    pub first_day: Option<Day>,
    /// The latest day over used rows.
    pub last_day: Option<Day>,
    /// Rows that could not be read and were set aside (`on_bad_rows: quarantine`, see
    /// [`BadRowPolicy`]); `rows_read` is `rows_used + excluded_after_as_of + rejected.total`.
    #[serde(skip)]
    pub rejected: Rejects,
    /// How each source was read, file by file (summed stats above cover them all); filled by
    /// [`read_transactions`] (and, for the customer table, by the pipeline).
    #[serde(skip)]
    pub sources: Vec<SourceRead>,
}

impl LoadStats {
    /// Counts one used row.
    #[inline]
    pub(crate) fn count_used(&mut self, row: &Row<'_>) {
        self.rows_used += 1;
        self.zero_amount_rows += u64::from(row.amount == 0);
        self.refund_rows += u64::from(row.amount < 0);
        self.first_day = Some(self.first_day.map_or(row.day, |d| d.min(row.day)));
        self.last_day = Some(self.last_day.map_or(row.day, |d| d.max(row.day)));
    }

    /// Adds another part's counts (order-independent).
    pub fn merge(&mut self, other: &LoadStats) {
        self.rows_read += other.rows_read;
        self.rows_used += other.rows_used;
        self.excluded_after_as_of += other.excluded_after_as_of;
        self.zero_amount_rows += other.zero_amount_rows;
        self.refund_rows += other.refund_rows;
        self.first_day = match (self.first_day, other.first_day) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_day = match (self.last_day, other.last_day) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.sources.extend(other.sources.iter().cloned());
        if other.rejected.total > 0 {
            self.rejected.then(other.rejected.clone());
        }
    }
}

/// Progress callback: bytes (or rows, for spreadsheets) done out of total. Called from one
/// thread at a time, with `done` never decreasing.
pub trait Progress: Sync {
    /// Reports progress.
    fn advance(&self, done: u64, total: u64);
}

/// The source's date format, parsed (a bad `date_format` is a configuration error).
pub(crate) fn date_format(src: &TransactionSource) -> Result<parse::DateFormat, DataError> {
    let formats = src.date_format.as_ref().map(config::DateFormats::list);
    let checked = match &formats {
        Some(list) => parse::DateFormat::list(list),
        None => parse::DateFormat::new(None),
    };
    checked.map_err(|message| DataError::Config {
        path: src.path.shown(),
        message,
    })
}

/// The files of the transaction source, each with its kind (a glob matching nothing, or a file
/// whose kind does not fit the options, is an error).
fn transaction_files(
    src: &TransactionSource,
    workspace: &Path,
) -> Result<Vec<(PathBuf, FileKind)>, DataError> {
    src.path
        .files(workspace)?
        .into_iter()
        .map(|file| {
            let kind = FileKind::of(
                &file,
                src.sheet.as_ref(),
                src.delimiter,
                src.layout_options(),
            )?;
            Ok((file, kind))
        })
        .collect()
}

/// The number parser of a source with this `number_format` (`None`: plain numbers, the fast
/// path); a bad `number_format` is a configuration error.
pub(crate) fn number_parser(
    path: &Path,
    format: Option<&NumberFormat>,
    currency: Option<&str>,
) -> Result<Option<number::NumberParser>, DataError> {
    format
        .map(|f| number::NumberParser::new(f, currency))
        .transpose()
        .map_err(|message| DataError::Config {
            path: path.to_path_buf(),
            message,
        })
}

/// [`number_parser`] of a transaction source.
pub(crate) fn transaction_numbers(
    src: &TransactionSource,
) -> Result<Option<number::NumberParser>, DataError> {
    number_parser(
        &src.path.shown(),
        src.number_format.as_ref(),
        src.currency.as_deref(),
    )
}

/// Progress over several files: each file's progress shifted by the sizes of the files before
/// it, out of the sizes of all.
struct Shifted<'a> {
    inner: &'a dyn Progress,
    before: u64,
    after: u64,
}

impl Progress for Shifted<'_> {
    fn advance(&self, done: u64, total: u64) {
        self.inner
            .advance(self.before + done, self.before + total + self.after);
    }
}

/// Runs `each` over every file of the source in name order, with its kind and a progress that
/// counts across files.
fn each_file<T>(
    files: &[(PathBuf, FileKind)],
    workspace: &Path,
    progress: Option<&dyn Progress>,
    mut each: impl FnMut(&Path, FileKind, Option<&dyn Progress>) -> Result<T, DataError>,
) -> Result<Vec<T>, DataError> {
    let sizes: Vec<u64> = files
        .iter()
        .map(|(f, _)| std::fs::metadata(workspace.join(f)).map_or(0, |m| m.len()))
        .collect();
    let all: u64 = sizes.iter().sum();
    let mut before = 0;
    let mut out = Vec::with_capacity(files.len());
    for ((file, kind), size) in files.iter().zip(&sizes) {
        let shifted = progress.map(|inner| Shifted {
            inner,
            before,
            after: all.saturating_sub(before + size),
        });
        let progress = match (&shifted, files.len()) {
            (Some(s), n) if n > 1 => Some(s as &dyn Progress),
            _ => progress,
        };
        out.push(each(file, *kind, progress)?);
        before += size;
    }
    Ok(out)
}

/// Checks a transaction source without reading its rows: every file opens, every mapped column
/// exists in each, and the date format is valid. For `powerbase check`.
pub fn check_source(src: &TransactionSource, workspace: &Path) -> Result<(), DataError> {
    date_format(src)?;
    src.bad_rows()?;
    transaction_numbers(src)?;
    for (file, kind) in transaction_files(src, workspace)? {
        let headers = match kind {
            FileKind::Delimited(layout) => {
                let opts = csv_source::CsvOptions::default();
                csv_source::open(&file, workspace, &layout, &opts)?.headers
            }
            FileKind::Spreadsheet(layout) => {
                excel_source::open_sheet(&file, workspace, src.sheet.as_ref(), &layout)?.headers()
            }
        };
        headers::ColumnPlan::new(&file, headers, &src.columns)?;
    }
    Ok(())
}

/// Pass 1 when no as-of date is known: the latest transaction date over every file, `None` when
/// they have no rows. Only the date column (and each record's field count) is validated here,
/// and rows that fail are left out of the latest date: full validation, which finds every bad
/// row, happens in [`read_transactions`]. Only when no row has a good date are the bad ones an
/// error here.
pub fn latest_day(
    src: &TransactionSource,
    workspace: &Path,
    progress: Option<&dyn Progress>,
) -> Result<Option<Day>, DataError> {
    let files = transaction_files(src, workspace)?;
    let opts = csv_source::CsvOptions::default();
    let parts = each_file(
        &files,
        workspace,
        progress,
        |file, kind, progress| match kind {
            FileKind::Delimited(layout) => {
                csv_source::latest_day(src, file, workspace, &layout, progress, &opts)
            }
            FileKind::Spreadsheet(layout) => {
                excel_source::latest_day(src, (file, workspace, &layout), progress)
            }
        },
    )?;
    let mut latest = None;
    let mut rejects = Rejects::default();
    for (day, part) in parts {
        latest = latest.max(day);
        rejects.then(part);
    }
    if latest.is_some() || rejects.total == 0 {
        return Ok(latest);
    }
    // Every row has a bad date: they are all there is to report.
    Err(DataError::BadRows(Box::new(BadRows {
        path: src.path.shown(),
        read: rejects.total,
        limit: None,
        rejects,
        can_quarantine: true,
    })))
}

/// Reads every row, validates it, skips (and counts) rows dated after `as_of`, and pushes the
/// rest into sinks made by `make_sink` (one per worker thread), merged into one at the end.
///
/// Validation: the customer id must not be empty; the date must match `date_format` exactly;
/// amount and cost must be amounts with at most 2 decimals ([`parse_cents`]); quantity must be a
/// whole number; mapped cost and quantity cells must not be empty; every record must have as many
/// fields as the header; a quoted field must end at its closing quote. Optional text columns
/// (`order_id`, `product`, `channel`) may be empty. Surrounding ASCII whitespace is trimmed from
/// every value. Every bad row is found in one pass; then the source's [`BadRowPolicy`]
/// (`on_bad_rows`, `max_rejected`) decides: by default they fail the run together
/// ([`DataError::BadRows`], the earliest by file and line first); quarantined, the run goes on
/// without them and [`LoadStats::rejected`] holds every one. When the sink reports sums out of
/// range ([`RowSink::overflows`]), the files are read again to name the row where the first one
/// leaves the range ([`DataError::SumOverflow`]).
///
/// The files of `path` are read in name order, as one source; the stats are summed over the
/// files, and [`LoadStats::sources`] says how each file was read (delimiter, encoding, title,
/// footer and totals lines, rows).
pub fn read_transactions<S: RowSink>(
    src: &TransactionSource,
    workspace: &Path,
    as_of: Day,
    make_sink: impl Fn() -> S + Sync,
    progress: Option<&dyn Progress>,
) -> Result<(S, LoadStats), DataError> {
    let policy = src.bad_rows()?;
    let files = transaction_files(src, workspace)?;
    let opts = csv_source::CsvOptions::default();
    let (sink, mut stats, rejects) =
        read_files(src, (workspace, &files), as_of, &make_sink, progress, &opts)?;
    rejects::decide(&src.path.shown(), policy, &mut stats, rejects)?;
    if !stats.rejected.complete() {
        // Quarantined, and more than were kept: read again, keeping every one for rejects.csv.
        let all = csv_source::CsvOptions {
            keep_rejects: usize::MAX,
            ..opts.clone()
        };
        let (_, _, rejects) = read_files(src, (workspace, &files), as_of, &make_sink, None, &all)?;
        stats.rejected = rejects;
    }
    let mut sink = sink;
    let overflows = sink.overflows();
    if overflows.is_empty() {
        return Ok((sink, stats));
    }
    Err(locate_overflow(
        src, workspace, &files, as_of, &overflows, &opts,
    ))
}

/// Reads every file of the source in order into sinks made by `make_sink`: the merged sink, the
/// summed counts (with how each file was read) and the bad rows set aside, not yet judged.
fn read_files<S: RowSink>(
    src: &TransactionSource,
    (workspace, files): (&Path, &[(PathBuf, FileKind)]),
    as_of: Day,
    make_sink: &(impl Fn() -> S + Sync),
    progress: Option<&dyn Progress>,
    opts: &csv_source::CsvOptions,
) -> Result<(S, LoadStats, Rejects), DataError> {
    let parts = each_file(
        files,
        workspace,
        progress,
        |file, kind, progress| match kind {
            FileKind::Delimited(layout) => csv_source::read_transactions(
                src, file, workspace, &layout, as_of, make_sink, progress, opts,
            ),
            FileKind::Spreadsheet(layout) => excel_source::read_transactions(
                src,
                (file, workspace, &layout, opts.keep_rejects),
                as_of,
                make_sink,
                progress,
            ),
        },
    )?;
    let mut sink: Option<S> = None;
    let mut stats = LoadStats::default();
    let mut rejects = Rejects::with_cap(opts.keep_rejects);
    let mut read = SourceRead {
        role: "transactions".to_string(),
        path: src.path.to_string(),
        files: Vec::with_capacity(parts.len()),
    };
    for (part, part_stats, file, part_rejects) in parts {
        match &mut sink {
            Some(s) => s.merge(part),
            None => sink = Some(part),
        }
        stats.merge(&part_stats);
        rejects.then(part_rejects);
        read.files.push(file);
    }
    stats.sources.push(read);
    let sink = sink.expect("a source has at least one file");
    Ok((sink, stats, rejects))
}

/// Rows that do not come from a file (a policy test's `transactions:`), read as a file's rows
/// are: each row holds the cells of the client's columns `headers` (in that order), mapped,
/// parsed and validated exactly as [`read_transactions`] does (date format, amounts in cents,
/// whole quantities, non-empty ids); rows after `as_of` are left out and counted. A bad cell
/// comes back with the index of its row (`Location::Line` counts rows from 1).
pub fn read_rows<S: RowSink>(
    src: &TransactionSource,
    headers: &[String],
    rows: &[Vec<String>],
    as_of: Day,
    sink: &mut S,
) -> Result<LoadStats, (usize, DataError)> {
    let stats = csv_source::read_records(src, headers, rows, as_of, sink)?;
    match sink.overflows().first() {
        None => Ok(stats),
        Some(o) => Err((
            rows.len().saturating_sub(1),
            DataError::SumOverflow(Box::new(SumOverflow {
                path: src.path.shown(),
                at: None,
                customer: o.customer_id.clone(),
                sum: o.sum,
            })),
        )),
    }
}

/// The error for sums out of range: the first row (in file order, over the files in order)
/// where one of them leaves the range, or, should no row do so any more (the files changed), the
/// first sum without a row.
#[cold]
fn locate_overflow(
    src: &TransactionSource,
    workspace: &Path,
    files: &[(PathBuf, FileKind)],
    as_of: Day,
    overflows: &[Overflow],
    opts: &csv_source::CsvOptions,
) -> DataError {
    let mut tracker = overflow::Tracker::new(overflows);
    for (file, kind) in files {
        let found = match kind {
            FileKind::Delimited(layout) => {
                csv_source::locate_overflow(src, file, workspace, layout, as_of, &mut tracker, opts)
            }
            FileKind::Spreadsheet(layout) => {
                excel_source::locate_overflow(src, (file, workspace, layout), as_of, &mut tracker)
            }
        };
        if let Err(e) = found {
            return e;
        }
    }
    DataError::SumOverflow(Box::new(SumOverflow {
        path: src.path.shown(),
        at: None,
        customer: overflows[0].customer_id.clone(),
        sum: overflows[0].sum,
    }))
}

/// What a cell should have held, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected {
    CustomerId,
    Utf8,
    Text,
    Date,
    Amount,
    /// An amount in the source's `number_format`.
    FormattedAmount,
    Whole,
    /// A number (an operand of a computed column).
    Number,
    /// An amount a computed column's expression can give (no division by zero, in range).
    Computed,
    /// A value that keeps a customer's sum in range; `id_field` is the customer id's field.
    InRange {
        sum: Sum,
        id_field: usize,
    },
}

impl Expected {
    /// The text after "expected"; `date` describes the date format.
    pub(crate) fn describe(self, date: &str) -> String {
        match self {
            Expected::CustomerId => "a customer id (it must not be empty)".to_string(),
            Expected::Utf8 => format!("UTF-8 text ({})", decode::not_utf8_hint(b"")),
            Expected::Text => "text (not a spreadsheet error such as #N/A)".to_string(),
            Expected::Date => date.to_string(),
            Expected::Amount => "an amount such as 12.34 (at most 2 decimals)".to_string(),
            Expected::FormattedAmount => {
                "an amount written in the source's number_format (at most 2 decimals)".to_string()
            }
            Expected::Whole => "a whole number such as 3".to_string(),
            Expected::Number => "a number for the computed column's expression".to_string(),
            Expected::Computed => {
                "a computed amount (no division by zero, within range)".to_string()
            }
            Expected::InRange { sum, .. } => {
                format!("a value that keeps the sum within {}", sum.range())
            }
        }
    }
}

/// A bad cell found by a row parser, before the location is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CellProblem {
    /// The field (column) index.
    pub field: usize,
    /// What was expected.
    pub expected: Expected,
    /// A precise reason, if any.
    pub note: Option<&'static str>,
}

impl CellProblem {
    #[cold]
    pub(crate) fn new(field: usize, expected: Expected) -> Self {
        CellProblem {
            field,
            expected,
            note: None,
        }
    }

    /// The error for this problem in the record at `location`; `text` gives a field's text (cut
    /// short) and `date_expected` describes the date format.
    #[cold]
    pub(crate) fn into_error(
        self,
        path: &Path,
        location: Location,
        headers: &[String],
        text: &dyn Fn(usize) -> String,
        date_expected: &str,
    ) -> DataError {
        let column = headers.get(self.field).cloned().unwrap_or_default();
        if let Expected::InRange { sum, id_field } = self.expected {
            return DataError::SumOverflow(Box::new(SumOverflow {
                path: path.to_path_buf(),
                at: Some((location, column, text(self.field))),
                customer: text(id_field).trim().to_string(),
                sum,
            }));
        }
        CellError {
            path: path.to_path_buf(),
            location,
            column,
            expected: self.expected.describe(date_expected),
            found: text(self.field),
            note: self.note,
        }
        .into()
    }

    /// A bad amount (as the plain parser describes it), with the parser's reason when it says
    /// more than "not a number".
    #[cold]
    pub(crate) fn amount(field: usize, why: &'static str) -> Self {
        CellProblem {
            field,
            expected: Expected::Amount,
            note: match why {
                "not a number" => None,
                "empty" => Some("the cell is empty"),
                other => Some(other),
            },
        }
    }
}

#[cfg(test)]
mod tests;
