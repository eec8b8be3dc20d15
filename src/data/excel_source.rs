//! Spreadsheets (.xlsx, .xlsm, .xlsb, .xls, .ods) through calamine.
//!
//! A sheet is read whole, but only its non-empty cells are kept ([`Sheet`]): a stray cell far
//! from the data (XFD1048576) costs one cell, not the rectangle up to it. .xlsx and .xlsb sheets
//! are streamed cell by cell; .xls and .ods sheets come from calamine as a rectangle (their
//! formats bound it). The first row with a value is the header, below the title rows that
//! `header_row` / `skip_rows` skip; the leftmost column with a value from the header down is the
//! first field. The last `skip_footer` rows with a value are left out, and so is a totals row
//! ("Summe", "Total", ...) at the end, by the rule the reader of delimited text uses
//! ([`super::sniff::is_totals_with`]). Rows are reported by the spreadsheet's own row numbers.
//! Completely empty rows are skipped. Cells are converted strictly:
//! - customer id: text as is (trimmed), whole numbers without `.0` (`1234.0` -> `1234`);
//! - date: date cells, ISO date text (.ods), text in `date_format`; numbers as Excel serial date
//!   numbers, unless `date_format` writes dates with digits only (`%Y%m%d`): then a number is a
//!   date in that format (`19970101`), with the leading zeros a number cannot hold (`5072024`
//!   with `%d%m%Y` is 05072024);
//! - money: numbers within 1e-6 of a whole cent (rounded to it), or text as in CSV files;
//! - quantity: whole numbers, or text as in CSV files.

use std::borrow::Cow;
use std::path::Path;

use calamine::{Data, DataRef, Reader, Sheets};

use super::compute::{Computed, Operand};
use super::config::{SheetLayout, SheetRef, TransactionSource};
use super::day::{checked_day, parse_iso_bytes, Day};
use super::error::{shown, DataError, Location};
use super::headers::{clean_header, ColumnPlan};
use super::number::{NumberParser, Numbers};
use super::overflow::Tracker;
use super::parse::{excel_serial_to_day, float_to_cents, float_to_whole, DateFormat, DateParser};
use super::rejects::{kind_of, Rejected, Rejects};
use super::sniff::is_totals_with;
use super::sources::{FileRead, TotalsLine};
use super::{
    date_format, transaction_numbers, CellProblem, Expected, LoadStats, Progress, Row, RowSink,
};

/// The number parser of a sheet: `None` for plain numbers (matched per cell: sheets are small).
type SheetNumbers = Option<NumberParser>;

/// The value of a cell that holds nothing.
static EMPTY: Data = Data::Empty;

/// One worksheet's non-empty cells, with its header row and where its data rows end.
pub(crate) struct Sheet {
    /// The sheet's name.
    pub name: String,
    /// Non-empty cells as (row, column, value), 0-based sheet positions, sorted by row and
    /// column, one per position.
    cells: Vec<(u32, u32, Data)>,
    /// The leftmost column with a value from the header down: field 0.
    first_col: u32,
    /// Each row with a non-blank cell: its row and the range of its cells in `cells`.
    rows: Vec<(u32, usize, usize)>,
    /// The header's index in `rows`: the first row with a value after the title rows; `None`
    /// when there is none.
    header: Option<usize>,
    /// Where the data rows end in `rows` (the footer and a totals row after it).
    end: usize,
    /// What was left out: title rows, footer rows, a totals row.
    tail: SheetTail,
}

/// What was left out of a sheet around its data rows.
#[derive(Debug, Clone, Default)]
struct SheetTail {
    /// Rows skipped above the header (`skip_rows`, `header_row`).
    skip_rows: u64,
    /// Rows with a value dropped at the end (`skip_footer`).
    footer_rows: u64,
    /// The totals row left out: its 1-based row and its cells' text.
    totals: Option<(u64, String)>,
}

/// The cells of one row, by field.
#[derive(Clone, Copy)]
pub(crate) struct Cells<'a> {
    cells: &'a [(u32, u32, Data)],
    first_col: u32,
}

impl<'a> Cells<'a> {
    /// The cell of field `i` (empty when the row has none there).
    pub(crate) fn get(&self, i: usize) -> &'a Data {
        let col = u64::from(self.first_col) + i as u64;
        match self
            .cells
            .binary_search_by_key(&col, |&(_, c, _)| u64::from(c))
        {
            Ok(k) => &self.cells[k].2,
            Err(_) => &EMPTY,
        }
    }

    /// The first non-blank cell at field `n` or beyond: its field and value.
    pub(crate) fn beyond(&self, n: usize) -> Option<(usize, &'a Data)> {
        self.cells
            .iter()
            .filter(|(_, c, _)| *c >= self.first_col)
            .map(|(_, c, d)| ((c - self.first_col) as usize, d))
            .find(|(f, d)| *f >= n && !is_blank(d))
    }

    /// The row's non-blank cells as text, joined by ` | ` (for a totals row in messages).
    fn text(&self) -> String {
        self.cells
            .iter()
            .filter(|(_, _, d)| !is_blank(d))
            .map(|(_, _, d)| number_text(d).trim().to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    }
}

impl Sheet {
    /// A sheet from its non-empty cells, in any order (a repeated position keeps the last): the
    /// header is the first row with a value below the `layout.skip_rows` title rows, and the
    /// last `layout.skip_footer` rows with a value are left out. `Err` holds the message when
    /// the layout does not fit the sheet.
    fn new(
        name: String,
        mut cells: Vec<(u32, u32, Data)>,
        layout: &SheetLayout,
    ) -> Result<Sheet, String> {
        if !cells.is_sorted_by_key(|&(r, c, _)| (r, c)) {
            cells.sort_by_key(|&(r, c, _)| (r, c)); // stable: repeats keep their order
        }
        let mut kept: Vec<(u32, u32, Data)> = Vec::with_capacity(cells.len());
        for cell in cells {
            match kept.last_mut() {
                Some(last) if (last.0, last.1) == (cell.0, cell.1) => *last = cell,
                _ => kept.push(cell),
            }
        }
        let mut rows = Vec::new();
        let mut start = 0;
        while start < kept.len() {
            let r = kept[start].0;
            let end = start + kept[start..].partition_point(|&(row, _, _)| row == r);
            if kept[start..end].iter().any(|(_, _, d)| !is_blank(d)) {
                rows.push((r, start, end));
            }
            start = end;
        }
        let header = rows
            .iter()
            .position(|&(r, _, _)| u64::from(r) >= layout.skip_rows);
        if header.is_none() && layout.skip_rows > 0 && !rows.is_empty() {
            return Err(format!(
                "`header_row`/`skip_rows` skip {} title rows, but the last row with a value in sheet {name:?} is row {}",
                layout.skip_rows,
                rows.last().map_or(0, |&(r, _, _)| r + 1)
            ));
        }
        let first_data = header.map_or(rows.len(), |h| h + 1);
        let data_rows = (rows.len() - first_data) as u64;
        if layout.skip_footer > data_rows {
            return Err(format!(
                "`skip_footer: {}` drops more than the {data_rows} data rows of sheet {name:?}; check how many footer rows the sheet has",
                layout.skip_footer
            ));
        }
        let end = rows.len() - layout.skip_footer as usize;
        let first_col = header
            .map(|h| &rows[h..end])
            .unwrap_or_default()
            .iter()
            .flat_map(|&(_, s, e)| kept[s..e].iter().map(|&(_, c, _)| c))
            .min()
            .unwrap_or(0);
        Ok(Sheet {
            name,
            cells: kept,
            first_col,
            rows,
            header,
            end,
            tail: SheetTail {
                skip_rows: layout.skip_rows,
                footer_rows: layout.skip_footer,
                totals: None,
            },
        })
    }

    /// The cells of the `k`-th row with a value.
    fn row(&self, k: usize) -> Cells<'_> {
        let (_, start, end) = self.rows[k];
        Cells {
            cells: &self.cells[start..end],
            first_col: self.first_col,
        }
    }

    /// The cleaned header cells, up to the last non-blank one; empty when the sheet has no
    /// header row.
    pub(crate) fn headers(&self) -> Vec<String> {
        let Some(h) = self.header else {
            return Vec::new();
        };
        let header = self.row(h);
        let width = header
            .cells
            .iter()
            .filter(|(_, c, d)| *c >= self.first_col && !is_blank(d))
            .map(|&(_, c, _)| (c - self.first_col) as usize + 1)
            .max()
            .unwrap_or(0);
        (0..width)
            .map(|i| clean_header(&number_text(header.get(i))))
            .collect()
    }

    /// The 1-based row of the header (1 when the sheet has none).
    fn header_row(&self) -> u64 {
        self.header.map_or(1, |h| u64::from(self.rows[h].0) + 1)
    }

    /// Leaves out the last data row when it is a totals row ("Summe", "Total", ... in the
    /// customer id's field `id_field`, or in the first field while that is empty), as the
    /// reader of delimited text does.
    pub(crate) fn cut_totals(&mut self, id_field: usize) {
        let Some(h) = self.header else { return };
        if self.end <= h + 1 {
            return;
        }
        let last = self.row(self.end - 1);
        let word = |i: usize| match last.get(i) {
            Data::String(s) => Some(s.as_bytes()),
            Data::Empty => Some(&b""[..]),
            _ => None,
        };
        if is_totals_with(word, id_field) {
            let text = last.text();
            self.end -= 1;
            self.tail.totals = Some((u64::from(self.rows[self.end].0) + 1, text));
        }
    }

    /// Data rows with their 1-based sheet row numbers (rows without a value are not rows).
    pub(crate) fn data_rows(&self) -> impl Iterator<Item = (u64, Cells<'_>)> + '_ {
        let first = self.header.map_or(self.end, |h| h + 1);
        (first..self.end).map(move |k| (u64::from(self.rows[k].0) + 1, self.row(k)))
    }

    /// The number of data rows (for progress totals).
    pub(crate) fn height(&self) -> u64 {
        let first = self.header.map_or(self.end, |h| h + 1);
        self.end.saturating_sub(first) as u64
    }

    pub(crate) fn location(&self, row: u64) -> Location {
        Location::Row {
            sheet: self.name.clone(),
            row,
        }
    }

    /// How the sheet of `file` was read, with `rows_read` data rows: for the run's output and
    /// summary.json.
    pub(crate) fn file_read(&self, file: &Path, rows_read: u64) -> FileRead {
        FileRead {
            sheet: Some(self.name.clone()),
            skip_rows: self.tail.skip_rows,
            header_row: self.header_row(),
            footer_lines: self.tail.footer_rows,
            totals_line: self
                .tail
                .totals
                .clone()
                .map(|(line, text)| TotalsLine { line, text }),
            ..FileRead::sheet(file, None, rows_read)
        }
    }

    /// The spreadsheet's name of field `i`'s column (`A`, `XFD`).
    pub(crate) fn column_name(&self, i: usize) -> String {
        let mut n = u64::from(self.first_col) + i as u64 + 1;
        let mut name = Vec::new();
        while n > 0 {
            name.push(b'A' + ((n - 1) % 26) as u8);
            n = (n - 1) / 26;
        }
        name.reverse();
        String::from_utf8(name).unwrap_or_default()
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

/// Collects a sheet's non-empty cells from a streaming cell reader.
fn stream_cells<'a, E: std::fmt::Display>(
    mut next: impl FnMut() -> Result<Option<calamine::Cell<DataRef<'a>>>, E>,
) -> Result<Vec<(u32, u32, Data)>, String> {
    let mut cells = Vec::new();
    while let Some(cell) = next().map_err(|e| e.to_string())? {
        if *cell.get_value() != DataRef::Empty {
            let (r, c) = cell.get_position();
            cells.push((r, c, Data::from(cell.get_value().clone())));
        }
    }
    Ok(cells)
}

/// The non-empty cells of the sheet `name`.
fn read_cells<RS: std::io::Read + std::io::Seek>(
    workbook: &mut Sheets<RS>,
    name: &str,
) -> Result<Vec<(u32, u32, Data)>, String> {
    match workbook {
        Sheets::Xlsx(x) => {
            let mut reader = x.worksheet_cells_reader(name).map_err(|e| e.to_string())?;
            stream_cells(|| reader.next_cell())
        }
        Sheets::Xlsb(x) => {
            let mut reader = x.worksheet_cells_reader(name).map_err(|e| e.to_string())?;
            stream_cells(|| reader.next_cell())
        }
        other => {
            let range = other.worksheet_range(name).map_err(|e| e.to_string())?;
            let (r0, c0) = range.start().unwrap_or((0, 0));
            Ok(range
                .used_cells()
                .map(|(r, c, d)| (r0 + r as u32, c0 + c as u32, d.clone()))
                .collect())
        }
    }
}

/// The name of the sheet `wanted` among the workbook's `names` (the first when `None`); `Err`
/// holds the error, naming the sheets there are.
fn sheet_name(
    path: &Path,
    names: &[String],
    wanted: Option<&SheetRef>,
) -> Result<String, DataError> {
    let config = |message: String| DataError::Config {
        path: path.to_path_buf(),
        message,
    };
    let listed = || {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{} {n:?}", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match wanted {
        None => names
            .first()
            .cloned()
            .ok_or_else(|| excel_error(path, "the workbook has no sheets".to_string())),
        Some(SheetRef::Name(wanted)) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .or_else(|| names.iter().find(|n| n.trim() == wanted.trim()))
            .cloned()
            .ok_or_else(|| DataError::SheetNotFound {
                path: path.to_path_buf(),
                sheet: wanted.to_string(),
                available: names.to_vec(),
            }),
        Some(SheetRef::Index(0)) => Err(config(format!(
            "`sheet: 0`: sheets are counted from 1 (the first sheet is `sheet: 1`); the workbook's sheets are: {}",
            listed()
        ))),
        Some(SheetRef::Index(i)) => match usize::try_from(*i - 1).ok().and_then(|k| names.get(k)) {
            Some(name) => Ok(name.clone()),
            None => {
                let named = names.iter().any(|n| n.trim() == i.to_string());
                let hint = if named {
                    format!("; to read the sheet named \"{i}\", quote it: `sheet: \"{i}\"`")
                } else {
                    "; give a position from 1 or the sheet's name".to_string()
                };
                Err(config(format!(
                    "`sheet: {i}` asks for sheet number {i}, but the workbook has {} sheet(s): {}{hint}",
                    names.len(),
                    listed()
                )))
            }
        },
    }
}

/// An error of the workbook itself (unreadable, no sheets).
fn excel_error(path: &Path, message: String) -> DataError {
    DataError::Excel {
        path: path.to_path_buf(),
        message,
    }
}

/// Opens the workbook and reads the configured sheet (or the first), its title and footer
/// rows set apart as `layout` says.
pub(crate) fn open_sheet(
    path: &Path,
    workspace: &Path,
    sheet: Option<&SheetRef>,
    layout: &SheetLayout,
) -> Result<Sheet, DataError> {
    let full = workspace.join(path);
    // Open once ourselves for a plain "file not found" style message.
    std::fs::File::open(&full).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let excel = |message: String| excel_error(path, message);
    let mut workbook = calamine::open_workbook_auto(&full).map_err(|e| excel(e.to_string()))?;
    let name = sheet_name(path, &workbook.sheet_names(), sheet)?;
    let cells =
        read_cells(&mut workbook, &name).map_err(|e| excel(format!("sheet {name:?}: {e}")))?;
    Sheet::new(name, cells, layout).map_err(|message| DataError::Config {
        path: path.to_path_buf(),
        message,
    })
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
            match dates.format().digits_only() {
                // A whole number written in the configured format (19970101 with %Y%m%d), with
                // the leading zeros a number cannot hold put back if need be.
                Some(width) => {
                    let w = float_to_whole(v)?;
                    dates
                        .parse(w.to_string().as_bytes())
                        .or_else(|| dates.parse(format!("{w:0width$}").as_bytes()))
                }
                // An Excel serial date number.
                None => excel_serial_to_day(v),
            }
        }
        _ => None,
    }
}

/// The problem with a date cell that [`day_cell`] rejected.
#[cold]
fn date_problem(c: &Data, dates: &DateParser<'_>, field: usize) -> CellProblem {
    match c {
        Data::String(s) => dates.problem(field, s.as_bytes()),
        Data::Empty => dates.problem(field, b""),
        _ => CellProblem::new(field, Expected::Date),
    }
}

/// A cell as an operand of a computed column.
fn operand(c: &Data) -> Operand<'_> {
    match c {
        Data::Float(f) => Operand::Number(*f),
        Data::Int(i) => Operand::Whole(*i),
        Data::String(s) => Operand::Text(s.as_bytes()),
        Data::Empty => Operand::Text(b""),
        _ => Operand::Other,
    }
}

/// The cents of an amount or cost: the cell of `field`, or the expression over the row.
fn money(
    cells: Cells<'_>,
    field: usize,
    expr: Option<&Computed>,
    numbers: &SheetNumbers,
) -> Result<i64, CellProblem> {
    match expr {
        None => cents_cell(cells.get(field), field, numbers),
        Some(e) => e.cents(numbers, &|i| operand(cells.get(i))),
    }
}

fn cents_cell(c: &Data, field: usize, numbers: &SheetNumbers) -> Result<i64, CellProblem> {
    match c {
        Data::Float(f) => float_to_cents(*f).ok_or(CellProblem {
            field,
            expected: Expected::Amount,
            note: Some("the number is not a whole number of cents"),
        }),
        Data::Int(i) => i
            .checked_mul(100)
            .ok_or_else(|| CellProblem::amount(field, "too large")),
        Data::String(s) => numbers.cents(s.as_bytes()).map_err(|why| CellProblem {
            expected: numbers.amount_expected(),
            ..CellProblem::amount(field, why)
        }),
        Data::Empty => Err(CellProblem::amount(field, "empty")),
        _ => Err(CellProblem::amount(field, "not a number")),
    }
}

fn whole_cell(c: &Data, field: usize, numbers: &SheetNumbers) -> Result<i64, CellProblem> {
    match c {
        Data::Int(i) => Some(*i),
        Data::Float(f) => float_to_whole(*f),
        Data::String(s) => numbers.whole(s.as_bytes()),
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

/// A cell's text as an error message shows it.
pub(crate) fn shown_cell(c: &Data) -> String {
    match c {
        Data::Empty => String::new(),
        Data::DateTime(dt) => format!("{} (a date-time cell)", number_text(&Data::DateTime(*dt))),
        other => shown(number_text(other).as_bytes()),
    }
}

/// The error for a problem in the row `row` of `sheet`.
fn cell_error(
    path: &Path,
    sheet: &Sheet,
    row: u64,
    headers: &[String],
    cells: Cells<'_>,
    p: CellProblem,
    date_expected: &str,
) -> DataError {
    let text = |i: usize| shown_cell(cells.get(i));
    p.into_error(path, sheet.location(row), headers, &text, date_expected)
}

/// Validates one spreadsheet row and counts it; a row not after `as_of` goes to `emit`.
fn read_row(
    plan: &ColumnPlan,
    cells: Cells<'_>,
    as_of: Day,
    (dates, stats, numbers): (&mut DateParser<'_>, &mut LoadStats, &SheetNumbers),
    emit: impl FnOnce(&Row<'_>) -> Result<(), CellProblem>,
) -> Result<(), CellProblem> {
    let cell = |i: usize| cells.get(i);
    stats.rows_read += 1;
    let customer_id = id_cell(cell(plan.customer_id))
        .ok()
        .flatten()
        .ok_or_else(|| CellProblem::new(plan.customer_id, Expected::CustomerId))?;
    let day = day_cell(cell(plan.date), dates)
        .ok_or_else(|| date_problem(cell(plan.date), dates, plan.date))?;
    let amount = money(cells, plan.amount, plan.amount_expr.as_ref(), numbers)?;
    let cost = plan
        .cost
        .map(|i| money(cells, i, plan.cost_expr.as_ref(), numbers))
        .transpose()?
        .unwrap_or(0);
    let quantity = plan
        .quantity
        .map(|i| whole_cell(cell(i), i, numbers))
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
    emit(&row)
}

/// The transaction sheet (a totals row at its end left out), its column plan and date format:
/// what both passes start from.
fn open_transactions(
    src: &TransactionSource,
    file: &Path,
    workspace: &Path,
    layout: &SheetLayout,
) -> Result<(Sheet, ColumnPlan, DateFormat), DataError> {
    let format = date_format(src)?;
    let mut sheet = open_sheet(file, workspace, src.sheet.as_ref(), layout)?;
    let plan = ColumnPlan::new(file, sheet.headers(), &src.columns)?;
    sheet.cut_totals(plan.customer_id);
    Ok((sheet, plan, format))
}

/// A row's cells as one line of CSV (the raw record of a rejected row).
fn record_text(cells: Cells<'_>, width: usize) -> Vec<u8> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = out.write_record((0..width).map(|i| number_text(cells.get(i))));
    out.into_inner().unwrap_or_default()
}

/// Reads every data row in order through `read_row`, `emit` getting the used ones; progress by
/// rows. Bad rows are set aside (every one, in one pass, the first `keep` with their text); only
/// a sum out of range stops it. Returns the stats, how the file was read and the rows set aside.
fn each_row(
    src: &TransactionSource,
    (file, workspace, layout, keep): (&Path, &Path, &SheetLayout, usize),
    as_of: Day,
    progress: Option<&dyn Progress>,
    mut emit: impl FnMut(&ColumnPlan, &Row<'_>) -> Result<(), CellProblem>,
) -> Result<(LoadStats, FileRead, Rejects), DataError> {
    let (sheet, plan, format) = open_transactions(src, file, workspace, layout)?;
    let numbers = transaction_numbers(src)?;
    let date_expected = format.expected();
    let mut dates = DateParser::new(&format);
    let mut stats = LoadStats::default();
    let mut rejects = Rejects::with_cap(keep);
    let total = sheet.height();
    for (n, (row, cells)) in sheet.data_rows().enumerate() {
        let state = (&mut dates, &mut stats, &numbers);
        if let Err(p) = read_row(&plan, cells, as_of, state, |r| emit(&plan, r)) {
            let headers = &plan.headers;
            let error = || cell_error(file, &sheet, row, headers, cells, p, &date_expected);
            if let Expected::InRange { .. } = p.expected {
                return Err(error());
            }
            let amount = money(cells, plan.amount, plan.amount_expr.as_ref(), &numbers).ok();
            rejects.add(kind_of(&p), amount, || {
                Rejected::new(error(), &record_text(cells, headers.len()))
            });
        }
        if let Some(p) = progress {
            if n % 8192 == 0 {
                p.advance(n as u64, total);
            }
        }
    }
    if let Some(p) = progress {
        p.advance(total, total);
    }
    let read = sheet.file_read(file, stats.rows_read);
    Ok((stats, read, rejects.named(&plan.headers)))
}

/// [`super::read_transactions`] for spreadsheets (one thread, one sink): the sink, the counts, how
/// the file was read and the bad rows set aside (the first `keep` with their text).
pub(crate) fn read_transactions<S: RowSink>(
    src: &TransactionSource,
    (file, workspace, layout, keep): (&Path, &Path, &SheetLayout, usize),
    as_of: Day,
    make_sink: impl Fn() -> S + Sync,
    progress: Option<&dyn Progress>,
) -> Result<(S, LoadStats, FileRead, Rejects), DataError> {
    let mut sink = make_sink();
    let (stats, read, rejects) = each_row(
        src,
        (file, workspace, layout, keep),
        as_of,
        progress,
        |_, row| {
            sink.push(row);
            Ok(())
        },
    )?;
    Ok((sink, stats, read, rejects))
}

/// Reads the sheet again, adding the sums of `tracker`: the error at the first row where one
/// leaves the range; `Ok` when none does.
pub(crate) fn locate_overflow(
    src: &TransactionSource,
    (file, workspace, layout): (&Path, &Path, &SheetLayout),
    as_of: Day,
    tracker: &mut Tracker,
) -> Result<(), DataError> {
    each_row(
        src,
        (file, workspace, layout, 0),
        as_of,
        None,
        |plan, row| tracker.add(plan, row),
    )
    .map(drop)
}

/// [`super::latest_day`] for spreadsheets: rows with a bad date are left out of the latest day
/// and come back as rejects.
pub(crate) fn latest_day(
    src: &TransactionSource,
    (file, workspace, layout): (&Path, &Path, &SheetLayout),
    progress: Option<&dyn Progress>,
) -> Result<(Option<Day>, Rejects), DataError> {
    let (sheet, plan, format) = open_transactions(src, file, workspace, layout)?;
    let date_expected = format.expected();
    let mut dates = DateParser::new(&format);
    let mut latest = None;
    let mut rejects = Rejects::default();
    for (row, cells) in sheet.data_rows() {
        let cell = cells.get(plan.date);
        let Some(day) = day_cell(cell, &mut dates) else {
            let p = date_problem(cell, &dates, plan.date);
            rejects.add(kind_of(&p), None, || {
                let headers = &plan.headers;
                let e = cell_error(file, &sheet, row, headers, cells, p, &date_expected);
                Rejected::new(e, &record_text(cells, headers.len()))
            });
            continue;
        };
        if latest.is_none_or(|l| day > l) {
            latest = Some(day);
        }
    }
    if let Some(p) = progress {
        p.advance(sheet.height(), sheet.height());
    }
    Ok((latest, rejects.named(&plan.headers)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rows: &[&[&str]]) -> Vec<(u32, u32, Data)> {
        let mut out = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    out.push((r as u32, c as u32 + 1, Data::String(v.to_string())));
                }
            }
        }
        out
    }

    #[test]
    fn title_footer_and_totals_rows() {
        let rows: &[&[&str]] = &[
            &["Umsatzliste"],
            &[],
            &["Kunde", "Betrag"],
            &["K-1", "1"],
            &["K-2", "2"],
            &["Summe", "3"],
            &["Erstellt mit ERP"],
        ];
        let layout = SheetLayout {
            skip_rows: 1,
            skip_footer: 1,
        };
        let mut sheet = Sheet::new("S".into(), cells(rows), &layout).unwrap();
        assert_eq!(sheet.headers(), ["Kunde", "Betrag"]);
        assert_eq!(
            sheet.header_row(),
            3,
            "blank rows after the title are skipped"
        );
        sheet.cut_totals(0);
        let data: Vec<u64> = sheet.data_rows().map(|(r, _)| r).collect();
        assert_eq!(data, [4, 5], "the sheet's own rows");
        assert_eq!(sheet.tail.totals, Some((6, "Summe | 3".to_string())));
        assert_eq!(sheet.height(), 2);
        // Without skip_footer the footer is the last row: no totals row is found.
        let mut plain = Sheet::new("S".into(), cells(rows), &SheetLayout::default()).unwrap();
        assert_eq!(plain.header_row(), 1);
        plain.cut_totals(0);
        assert_eq!(plain.tail.totals, None);
        let e = Sheet::new(
            "S".into(),
            cells(rows),
            &SheetLayout {
                skip_rows: 7,
                skip_footer: 0,
            },
        )
        .err()
        .unwrap();
        assert!(
            e.contains("skip 7 title rows") && e.contains("row 7"),
            "{e}"
        );
        let e = Sheet::new(
            "S".into(),
            cells(rows),
            &SheetLayout {
                skip_rows: 2,
                skip_footer: 5,
            },
        )
        .err()
        .unwrap();
        assert!(
            e.contains("`skip_footer: 5` drops more than the 4 data rows"),
            "{e}"
        );
    }

    #[test]
    fn sheets_by_name_or_position() {
        let p = Path::new("b.xlsx");
        let names = vec![
            "Info".to_string(),
            "Umsätze".to_string(),
            "2024".to_string(),
        ];
        let pick = |s: Option<SheetRef>| sheet_name(p, &names, s.as_ref());
        assert_eq!(pick(None).unwrap(), "Info");
        assert_eq!(pick(Some(SheetRef::Index(2))).unwrap(), "Umsätze");
        assert_eq!(pick(Some(SheetRef::from(" Umsätze "))).unwrap(), "Umsätze");
        let e = pick(Some(SheetRef::Index(4))).unwrap_err().to_string();
        assert!(
            e.contains("1 \"Info\", 2 \"Umsätze\", 3 \"2024\"") && e.contains("sheet number 4"),
            "{e}"
        );
        let e = pick(Some(SheetRef::Index(2024))).unwrap_err().to_string();
        assert!(e.contains("quote it: `sheet: \"2024\"`"), "{e}");
        let e = pick(Some(SheetRef::Index(0))).unwrap_err().to_string();
        assert!(e.contains("counted from 1"), "{e}");
        let e = pick(Some(SheetRef::from("Kunden")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no sheet \"Kunden\""), "{e}");
    }
}
