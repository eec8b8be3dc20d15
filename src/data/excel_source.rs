//! Spreadsheets (.xlsx, .xlsm, .xlsb, .xls, .ods) through calamine.
//!
//! The sheet's used range is read whole (spreadsheets hold at most about a million rows); its
//! first row is the header. Rows are reported by the spreadsheet's own row numbers. Completely
//! empty rows are skipped. Cells are converted strictly:
//! - customer id: text as is (trimmed), whole numbers without `.0` (`1234.0` -> `1234`);
//! - date: date cells, ISO date text (.ods), text in `date_format`, whole numbers in
//!   `date_format` (`19970101` with `%Y%m%d`), otherwise numbers as Excel serial dates;
//! - money: numbers within 1e-6 of a whole cent (rounded to it), or text as in CSV files;
//! - quantity: whole numbers, or text as in CSV files.

use std::borrow::Cow;
use std::path::Path;

use calamine::{Data, Range, Reader};

use super::config::TransactionSource;
use super::day::{checked_day, parse_iso_bytes, Day};
use super::error::{shown, CellError, DataError, Location};
use super::headers::{clean_header, ColumnPlan};
use super::parse::{
    excel_serial_to_day, float_to_cents, float_to_whole, parse_cents_bytes, parse_whole_bytes,
    DateFormat, DateParser,
};
use super::{date_format, CellProblem, Expected, LoadStats, Progress, Row, RowSink};

/// One worksheet's used range.
pub(crate) struct Sheet {
    /// The sheet's name.
    pub name: String,
    /// Its cells.
    pub range: Range<Data>,
}

impl Sheet {
    /// The cleaned header cells (the range's first row).
    pub(crate) fn headers(&self) -> Vec<String> {
        self.range
            .rows()
            .next()
            .map(|r| r.iter().map(|c| clean_header(&number_text(c))).collect())
            .unwrap_or_default()
    }

    /// Data rows with their 1-based sheet row numbers, empty rows skipped.
    pub(crate) fn data_rows(&self) -> impl Iterator<Item = (u64, &[Data])> + '_ {
        let first = u64::from(self.range.start().map_or(0, |(r, _)| r)) + 1;
        self.range
            .rows()
            .enumerate()
            .skip(1)
            .map(move |(i, cells)| (first + i as u64, cells))
            .filter(|(_, cells)| !cells.iter().all(is_blank))
    }

    /// Data rows, blank ones included (for progress totals).
    pub(crate) fn height(&self) -> u64 {
        self.range.height().saturating_sub(1) as u64
    }

    pub(crate) fn location(&self, row: u64) -> Location {
        Location::Row {
            sheet: self.name.clone(),
            row,
        }
    }
}

/// Empty, or text that is only whitespace.
pub(crate) fn is_blank(c: &Data) -> bool {
    match c {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Text of a cell for messages and headers; whole floats without `.0`.
pub(crate) fn number_text(c: &Data) -> String {
    match c {
        Data::Float(f) => match float_to_whole(*f) {
            Some(w) => w.to_string(),
            None => f.to_string(),
        },
        Data::DateTime(dt) => match datetime_day(dt) {
            Some(d) => d.to_string(),
            None => dt.as_f64().to_string(),
        },
        other => other.to_string(),
    }
}

/// Opens the workbook and reads the configured sheet (or the first).
pub(crate) fn open_sheet(
    path: &Path,
    workspace: &Path,
    sheet: Option<&str>,
) -> Result<Sheet, DataError> {
    let full = workspace.join(path);
    // Open once ourselves for a plain "file not found" style message.
    std::fs::File::open(&full).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let excel = |message: String| DataError::Excel {
        path: path.to_path_buf(),
        message,
    };
    let mut workbook = calamine::open_workbook_auto(&full).map_err(|e| excel(e.to_string()))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .or_else(|| names.iter().find(|n| n.trim() == wanted.trim()))
            .cloned()
            .ok_or_else(|| DataError::SheetNotFound {
                path: path.to_path_buf(),
                sheet: wanted.to_string(),
                available: names.clone(),
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| excel("the workbook has no sheets".to_string()))?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| excel(format!("sheet {name:?}: {e}")))?;
    Ok(Sheet { name, range })
}

/// The day of a date cell (time dropped); `None` for durations and out-of-range serials.
pub(crate) fn datetime_day(dt: &calamine::ExcelDateTime) -> Option<Day> {
    if !dt.is_datetime() || !(1.0..2_958_466.0).contains(&dt.as_f64()) {
        return None;
    }
    let (y, m, d, ..) = dt.to_ymd_hms_milli();
    checked_day(i32::from(y), u32::from(m), u32::from(d))
}

/// The customer id of a cell; `Ok(None)` when empty.
pub(crate) fn id_cell(c: &Data) -> Result<Option<Cow<'_, str>>, ()> {
    match c {
        Data::String(s) => {
            let t = s.trim();
            Ok((!t.is_empty()).then_some(Cow::Borrowed(t)))
        }
        Data::Int(i) => Ok(Some(Cow::Owned(i.to_string()))),
        Data::Float(f) => float_to_whole(*f)
            .map(|w| Some(Cow::Owned(w.to_string())))
            .ok_or(()),
        Data::Empty => Ok(None),
        _ => Err(()),
    }
}

fn day_cell(c: &Data, dates: &mut DateParser<'_>) -> Option<Day> {
    match c {
        Data::DateTime(dt) => datetime_day(dt),
        Data::DateTimeIso(s) => {
            let b = s.trim().as_bytes();
            let date_part = b.get(..10)?;
            (b.len() == 10 || matches!(b[10], b'T' | b' '))
                .then(|| parse_iso_bytes(date_part))
                .flatten()
        }
        Data::String(s) => dates.parse(s.as_bytes()),
        Data::Int(_) | Data::Float(_) => {
            let v = match c {
                Data::Int(i) => *i as f64,
                Data::Float(f) => *f,
                _ => unreachable!(),
            };
            // A whole number written in the configured format (19970101 with %Y%m%d) ...
            if !matches!(dates.format(), DateFormat::Iso) {
                if let Some(w) = float_to_whole(v) {
                    if let Some(d) = dates.parse(w.to_string().as_bytes()) {
                        return Some(d);
                    }
                }
            }
            // ... or an Excel serial date number.
            excel_serial_to_day(v)
        }
        _ => None,
    }
}

fn cents_cell(c: &Data, field: usize) -> Result<i64, CellProblem> {
    match c {
        Data::Float(f) => float_to_cents(*f).ok_or(CellProblem {
            field,
            expected: Expected::Amount,
            note: Some("the number is not a whole number of cents"),
        }),
        Data::Int(i) => i
            .checked_mul(100)
            .ok_or_else(|| CellProblem::amount(field, "too large")),
        Data::String(s) => {
            parse_cents_bytes(s.as_bytes()).map_err(|why| CellProblem::amount(field, why))
        }
        Data::Empty => Err(CellProblem::amount(field, "empty")),
        _ => Err(CellProblem::amount(field, "not a number")),
    }
}

fn whole_cell(c: &Data, field: usize) -> Result<i64, CellProblem> {
    match c {
        Data::Int(i) => Some(*i),
        Data::Float(f) => float_to_whole(*f),
        Data::String(s) => parse_whole_bytes(s.as_bytes()),
        _ => None,
    }
    .ok_or_else(|| CellProblem::new(field, Expected::Whole))
}

fn text_cell(c: &Data) -> Result<Option<Cow<'_, str>>, ()> {
    match c {
        Data::Empty => Ok(None),
        Data::String(s) => {
            let t = s.trim();
            Ok((!t.is_empty()).then_some(Cow::Borrowed(t)))
        }
        Data::Error(_) => Err(()),
        other => Ok(Some(Cow::Owned(number_text(other)))),
    }
}

fn cell_error(
    path: &Path,
    sheet: &Sheet,
    row: u64,
    headers: &[String],
    cells: &[Data],
    p: CellProblem,
    date_expected: &str,
) -> DataError {
    let found = cells.get(p.field).map(|c| match c {
        Data::Empty => String::new(),
        Data::DateTime(dt) => format!("{} (a date-time cell)", number_text(&Data::DateTime(*dt))),
        other => shown(number_text(other).as_bytes()),
    });
    CellError {
        path: path.to_path_buf(),
        location: sheet.location(row),
        column: headers.get(p.field).cloned().unwrap_or_default(),
        expected: p.expected.describe(date_expected),
        found: found.unwrap_or_default(),
        note: p.note,
    }
    .into()
}

/// Validates one spreadsheet row and pushes it.
fn process_row<S: RowSink>(
    plan: &ColumnPlan,
    cells: &[Data],
    as_of: Day,
    dates: &mut DateParser<'_>,
    stats: &mut LoadStats,
    sink: &mut S,
) -> Result<(), CellProblem> {
    let cell = |i: usize| cells.get(i).unwrap_or(&Data::Empty);
    stats.rows_read += 1;
    let customer_id = id_cell(cell(plan.customer_id))
        .ok()
        .flatten()
        .ok_or_else(|| CellProblem::new(plan.customer_id, Expected::CustomerId))?;
    let day = day_cell(cell(plan.date), dates)
        .ok_or_else(|| CellProblem::new(plan.date, Expected::Date))?;
    let amount = cents_cell(cell(plan.amount), plan.amount)?;
    let cost = plan
        .cost
        .map(|i| cents_cell(cell(i), i))
        .transpose()?
        .unwrap_or(0);
    let quantity = plan
        .quantity
        .map(|i| whole_cell(cell(i), i))
        .transpose()?
        .unwrap_or(0);
    let text = |f: Option<usize>| -> Result<Option<Cow<'_, str>>, CellProblem> {
        match f {
            Some(i) => text_cell(cell(i)).map_err(|_| CellProblem::new(i, Expected::Text)),
            None => Ok(None),
        }
    };
    let order_id = text(plan.order_id)?;
    let product = text(plan.product)?;
    let channel = text(plan.channel)?;
    if day > as_of {
        stats.excluded_after_as_of += 1;
        return Ok(());
    }
    let row = Row {
        customer_id: &customer_id,
        day,
        amount,
        cost,
        quantity,
        order_id: order_id.as_deref(),
        product: product.as_deref(),
        channel: channel.as_deref(),
    };
    stats.count_used(&row);
    sink.push(&row);
    Ok(())
}

/// The transaction sheet, its column plan and date format: what both passes start from.
fn open_transactions(
    src: &TransactionSource,
    workspace: &Path,
) -> Result<(Sheet, ColumnPlan, DateFormat), DataError> {
    let format = date_format(src)?;
    let sheet = open_sheet(&src.path, workspace, src.sheet.as_deref())?;
    let plan = ColumnPlan::new(&src.path, sheet.headers(), &src.columns)?;
    Ok((sheet, plan, format))
}

/// [`super::read_transactions`] for spreadsheets (one thread, one sink).
pub(crate) fn read_transactions<S: RowSink>(
    src: &TransactionSource,
    workspace: &Path,
    as_of: Day,
    make_sink: impl Fn() -> S + Sync,
    progress: Option<&dyn Progress>,
) -> Result<(S, LoadStats), DataError> {
    let (sheet, plan, format) = open_transactions(src, workspace)?;
    let date_expected = format.expected();
    let mut dates = DateParser::new(&format);
    let mut sink = make_sink();
    let mut stats = LoadStats::default();
    let total = sheet.height();
    for (n, (row, cells)) in sheet.data_rows().enumerate() {
        process_row(&plan, cells, as_of, &mut dates, &mut stats, &mut sink).map_err(|p| {
            cell_error(
                &src.path,
                &sheet,
                row,
                &plan.headers,
                cells,
                p,
                &date_expected,
            )
        })?;
        if let Some(p) = progress {
            if n % 8192 == 0 {
                p.advance(n as u64, total);
            }
        }
    }
    if let Some(p) = progress {
        p.advance(total, total);
    }
    Ok((sink, stats))
}

/// [`super::latest_day`] for spreadsheets.
pub(crate) fn latest_day(
    src: &TransactionSource,
    workspace: &Path,
    progress: Option<&dyn Progress>,
) -> Result<Option<Day>, DataError> {
    let (sheet, plan, format) = open_transactions(src, workspace)?;
    let date_expected = format.expected();
    let mut dates = DateParser::new(&format);
    let mut latest = None;
    for (row, cells) in sheet.data_rows() {
        let day = day_cell(cells.get(plan.date).unwrap_or(&Data::Empty), &mut dates).ok_or_else(
            || {
                let p = CellProblem::new(plan.date, Expected::Date);
                cell_error(
                    &src.path,
                    &sheet,
                    row,
                    &plan.headers,
                    cells,
                    p,
                    &date_expected,
                )
            },
        )?;
        if latest.is_none_or(|l| day > l) {
            latest = Some(day);
        }
    }
    if let Some(p) = progress {
        p.advance(sheet.height(), sheet.height());
    }
    Ok(latest)
}
