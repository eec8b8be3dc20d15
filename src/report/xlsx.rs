//! `customers.xlsx`: what `customers.csv` holds, as a workbook a consultant can filter without
//! importing anything. Three sheets:
//!
//! - `customers`: the columns of `customers.csv` in the same order, from the same definition
//!   ([`super::rows::Columns`]), with typed cells: money as numbers with two decimals in the
//!   workspace currency, counts and ratios as numbers, dates as Excel dates, ids and all other
//!   text as text (so `00042` keeps its zeros), flags as booleans; the header row frozen and an
//!   autofilter over the table.
//! - `tiers`: the figures of the report's tier table, one row per tier and a total.
//! - `findings`: each finding (name, level, message, customers, revenue at stake), then its call
//!   list: the customers a check flagged, largest revenue first, with their tier, revenue and the
//!   columns the check reads.
//!
//! Column widths come from the longest value written in each column. The document properties
//! are fixed (the creation date is the date of issue, as in `report.pdf`), so the same inputs and
//! date of issue give the same bytes. A table Excel cannot hold (more rows than a sheet has, a text longer than a
//! cell takes) leaves the file out with a warning: `customers.csv` holds every customer.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::format::{currency_symbol, NOT_MEANINGFUL};
use super::model::{Finding, Report};
use super::outputs::{Built, Inputs};
use super::rows::Columns;
use super::OutputFile;
use crate::engine::tree;
use crate::error::{Diagnostic, Error};
use crate::metrics::Value;
use crate::workspace::Severity;

/// The file's name in the output folder.
pub const FILE: &str = crate::workspace::OutputFormat::Xlsx.file();

/// Rows of an Excel sheet, the header included.
const MAX_ROWS: usize = 1_048_576;
/// Columns of an Excel sheet.
const MAX_COLUMNS: usize = 16_384;
/// Characters of an Excel cell.
const MAX_TEXT: usize = 32_767;
/// Column widths, in characters.
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 60;

/// Builds `customers.xlsx`, or leaves it out with a warning when Excel cannot hold the table.
pub fn build(i: &Inputs) -> Result<Built, Error> {
    let columns = Columns::new(i.policy, i.table, i.evaluation);
    let lists: Vec<Option<CallList>> = i.model.findings.iter().map(|f| call_list(i, f)).collect();
    // Per finding: its row, a call list's header and rows (or the note why there is none), a
    // blank row.
    let findings_rows = 1 + lists
        .iter()
        .map(|l| 3 + l.as_ref().map_or(0, |l| l.rows.len()))
        .sum::<usize>();
    let limit = if i.table.len() + 1 > MAX_ROWS {
        Some(format!(
            "{} customers and a header row are more than the {MAX_ROWS} rows of an Excel sheet",
            i.table.len()
        ))
    } else if findings_rows > MAX_ROWS {
        Some(format!(
            "the call lists of the findings take {findings_rows} rows, more than the {MAX_ROWS} rows of an Excel sheet"
        ))
    } else if columns.count(i.table) > MAX_COLUMNS {
        Some(format!(
            "{} columns are more than the {MAX_COLUMNS} columns of an Excel sheet",
            columns.count(i.table)
        ))
    } else {
        None
    };
    let bytes = match limit {
        Some(why) => Err(Problem::Limit(why)),
        None => workbook(i, &columns, &lists),
    };
    match bytes {
        Ok(bytes) => Ok(Built {
            files: vec![OutputFile {
                path: FILE.into(),
                bytes,
            }],
            warnings: Vec::new(),
        }),
        Err(Problem::Limit(why)) => Ok(Built {
            files: Vec::new(),
            warnings: vec![format!(
                "{FILE} was not written: {why}; customers.csv holds every customer"
            )],
        }),
        Err(Problem::Xlsx(e)) => Err(Error::Render(
            Diagnostic::new(format!("{FILE} could not be written: {e}")).code("report/xlsx"),
        )),
    }
}

/// Why the workbook was not made.
enum Problem {
    /// Excel cannot hold a value or the table: a warning, the other outputs are written.
    Limit(String),
    /// The writer failed.
    Xlsx(XlsxError),
}

impl From<XlsxError> for Problem {
    fn from(e: XlsxError) -> Problem {
        Problem::Xlsx(e)
    }
}

/// The cell formats of the workbook.
struct Styles {
    header: Format,
    money: Format,
    date: Format,
    share: Format,
    wrap: Format,
    note: Format,
    /// Characters the currency symbol adds to a money cell.
    symbol: usize,
}

impl Styles {
    fn new(currency: &str) -> Styles {
        Styles {
            header: Format::new().set_bold(),
            money: Format::new().set_num_format(money_format(currency)),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            share: Format::new().set_num_format("0.0%"),
            wrap: Format::new().set_text_wrap(),
            note: Format::new().set_italic(),
            symbol: currency_symbol(currency).chars().count(),
        }
    }
}

/// The number format of money in `currency`: its symbol as the report writes it, then two
/// decimals with thousands separators (`[$$]#,##0.00`, `[$€]#,##0.00`, `[$CHF] #,##0.00`).
pub fn money_format(currency: &str) -> String {
    let symbol = currency_symbol(currency);
    if symbol.is_empty() {
        "#,##0.00".to_string()
    } else if symbol.chars().all(|c| c.is_ascii_alphabetic()) {
        // A code such as CHF is set apart from the figure by a space; a sign such as € is not.
        format!("[${symbol}] #,##0.00")
    } else {
        format!("[${symbol}]#,##0.00")
    }
}

/// A worksheet being written, with the widest value of each column so far.
struct Sheet<'w> {
    ws: &'w mut Worksheet,
    widths: Vec<usize>,
}

impl<'w> Sheet<'w> {
    fn new(ws: &'w mut Worksheet, name: &str) -> Result<Sheet<'w>, Problem> {
        ws.set_name(name)?;
        Ok(Sheet {
            ws,
            widths: Vec::new(),
        })
    }

    /// Writes a bold header row at `row`.
    fn header<S: AsRef<str>>(
        &mut self,
        row: usize,
        names: &[S],
        s: &Styles,
    ) -> Result<(), Problem> {
        for (col, name) in names.iter().enumerate() {
            self.text(row, col, name.as_ref(), Some(&s.header))?;
            // Room for the autofilter's arrow.
            self.note_width(col, name.as_ref().chars().count() + 3);
        }
        Ok(())
    }

    /// Writes text, with a format or without.
    fn text(&mut self, row: usize, col: usize, t: &str, f: Option<&Format>) -> Result<(), Problem> {
        let chars = t.chars().count();
        if chars > MAX_TEXT {
            return Err(Problem::Limit(format!(
                "row {} column {} holds {chars} characters, more than the {MAX_TEXT} of an Excel cell",
                row + 1,
                col + 1
            )));
        }
        let (r, c) = at(row, col);
        match f {
            Some(f) => self.ws.write_string_with_format(r, c, t, f)?,
            None => self.ws.write_string(r, c, t)?,
        };
        self.note_width(col, chars);
        Ok(())
    }

    /// Writes a typed value: money with the currency format, dates as dates, text as text.
    fn value(&mut self, row: usize, col: usize, v: Value, s: &Styles) -> Result<(), Problem> {
        let (r, c) = at(row, col);
        match v {
            Value::Empty => {}
            Value::Int(n) => {
                self.ws.write_number(r, c, n as f64)?;
                self.note_width(col, v.to_csv().len());
            }
            Value::Money(cents) => self.money(row, col, cents as f64 / 100.0, s)?,
            Value::Float(x) if x.is_finite() => {
                self.ws.write_number(r, c, x)?;
                // Excel's General format shows at most 11 characters.
                self.note_width(col, v.to_csv().len().min(11));
            }
            // Infinite values: as customers.csv writes them.
            Value::Float(_) => self.text(row, col, &v.to_csv(), None)?,
            Value::Date(d) => match excel_date(d) {
                Some(date) => {
                    self.ws.write_datetime_with_format(r, c, &date, &s.date)?;
                    self.note_width(col, 10);
                }
                // Outside Excel's years 1900 to 9999: ISO text, as in customers.csv.
                None => self.text(row, col, &d.to_string(), None)?,
            },
            Value::Text(t) => self.text(row, col, t, None)?,
            Value::Bool(b) => {
                self.ws.write_boolean(r, c, b)?;
                self.note_width(col, 5);
            }
        }
        Ok(())
    }

    /// Writes an amount in currency units with the currency format.
    fn money(&mut self, row: usize, col: usize, units: f64, s: &Styles) -> Result<(), Problem> {
        let (r, c) = at(row, col);
        self.ws.write_number_with_format(r, c, units, &s.money)?;
        let digits = format!("{:.0}", units.abs().trunc()).len();
        let sign = usize::from(units < 0.0);
        self.note_width(col, sign + s.symbol + digits + (digits - 1) / 3 + 3);
        Ok(())
    }

    /// Writes a share as a percentage, or a dash when it is not meaningful (NaN).
    fn share(&mut self, row: usize, col: usize, share: f64, s: &Styles) -> Result<(), Problem> {
        if share.is_finite() {
            let (r, c) = at(row, col);
            self.ws.write_number_with_format(r, c, share, &s.share)?;
            self.note_width(col, 7);
            Ok(())
        } else {
            self.text(row, col, NOT_MEANINGFUL, None)
        }
    }

    fn note_width(&mut self, col: usize, chars: usize) {
        if self.widths.len() <= col {
            self.widths.resize(col + 1, 0);
        }
        self.widths[col] = self.widths[col].max(chars);
    }

    /// Sets every column's width from its widest value.
    fn finish(self) -> Result<(), Problem> {
        for (col, w) in self.widths.iter().enumerate() {
            let width = (w + 2).clamp(MIN_WIDTH, MAX_WIDTH);
            self.ws.set_column_width(at(0, col).1, width as f64)?;
        }
        Ok(())
    }
}

/// A cell position as the writer takes it; the callers stay inside the limits checked in
/// [`build`].
fn at(row: usize, col: usize) -> (u32, u16) {
    (
        u32::try_from(row).expect("rows checked against Excel's limit"),
        u16::try_from(col).expect("columns checked against Excel's limit"),
    )
}

/// A day as an Excel date; `None` outside the years 1900 to 9999 Excel can show.
fn excel_date(d: crate::data::Day) -> Option<ExcelDateTime> {
    let (y, m, day) = d.ymd();
    let year = u16::try_from(y)
        .ok()
        .filter(|y| (1900..=9999).contains(y))?;
    ExcelDateTime::from_ymd(year, m as u8, day as u8).ok()
}

/// The whole workbook as bytes.
fn workbook(i: &Inputs, columns: &Columns, lists: &[Option<CallList>]) -> Result<Vec<u8>, Problem> {
    let s = Styles::new(&i.model.currency);
    let mut book = Workbook::new();
    book.set_properties(&properties(i.model));
    customers_sheet(book.add_worksheet_with_constant_memory()?, i, columns, &s)?;
    tiers_sheet(book.add_worksheet(), i.model, &s)?;
    findings_sheet(
        book.add_worksheet_with_constant_memory()?,
        i,
        columns,
        lists,
        &s,
    )?;
    Ok(book.save_to_buffer()?)
}

/// Fixed document properties: the creation date is the date of issue, as in report.pdf (set by
/// `run --issued`, `report.issued` or `SOURCE_DATE_EPOCH`, else today), and nothing else in them
/// depends on when or where the run happened.
fn properties(model: &Report) -> DocProperties {
    let created = excel_date(model.document.issued)
        .unwrap_or_else(|| ExcelDateTime::from_ymd(1980, 1, 1).expect("a valid date"));
    DocProperties::new()
        .set_title(&model.title)
        .set_subject(format!("{}: customers as of {}", model.client, model.as_of))
        .set_author(model.prepared_by.as_deref().unwrap_or("powerbase"))
        .set_creation_datetime(&created)
}

/// The `customers` sheet: the rows of `customers.csv`, typed.
fn customers_sheet(
    ws: &mut Worksheet,
    i: &Inputs,
    columns: &Columns,
    s: &Styles,
) -> Result<(), Problem> {
    let mut sheet = Sheet::new(ws, "customers")?;
    let headers = columns.headers(i.table);
    sheet.header(0, &headers, s)?;
    let count = columns.count(i.table);
    for row in 0..i.table.len() {
        for col in 0..count {
            let v = columns.cell(i.table, i.evaluation, row, col);
            sheet.value(row + 1, col, v, s)?;
        }
    }
    let (last_row, last_col) = at(i.table.len(), count.saturating_sub(1));
    sheet.ws.set_freeze_panes(1, 0)?;
    sheet.ws.autofilter(0, 0, last_row, last_col)?;
    sheet.finish()
}

/// The `tiers` sheet: the report's tier table, one row per tier and the total.
fn tiers_sheet(ws: &mut Worksheet, model: &Report, s: &Styles) -> Result<(), Problem> {
    let mut sheet = Sheet::new(ws, "tiers")?;
    let mut headers = vec!["Tier", "Customers", "Share of customers", "Revenue"];
    headers.push("Share of revenue");
    if model.has_cost {
        headers.extend(["Margin", "Share of margin"]);
    }
    headers.extend(["Revenue per customer", "Orders", "Revenue, last 12 months"]);
    sheet.header(0, &headers, s)?;
    for (n, t) in model.tiers.iter().enumerate() {
        let figures = TierRow {
            customers: t.customers,
            customer_share: t.customer_share,
            revenue: t.revenue.units(),
            revenue_share: t.revenue_share,
            margin: t
                .margin
                .map(|m| (m.units(), t.margin_share.unwrap_or(f64::NAN))),
            avg_revenue: t.avg_revenue,
            orders: t.orders,
            revenue_12m: t.revenue_12m.units(),
        };
        tier_row(&mut sheet, n + 1, &t.name, &figures, s)?;
    }
    let total = total_row(model);
    tier_row(&mut sheet, model.tiers.len() + 1, "Total", &total, s)?;
    sheet.ws.set_freeze_panes(1, 0)?;
    sheet.finish()
}

/// The figures of one row of the tier table; money in currency units.
struct TierRow {
    customers: usize,
    customer_share: f64,
    revenue: f64,
    revenue_share: f64,
    /// Margin and its share, when a cost column is mapped.
    margin: Option<(f64, f64)>,
    avg_revenue: f64,
    orders: i64,
    revenue_12m: f64,
}

/// The total row: every customer, the total revenue and margin.
fn total_row(model: &Report) -> TierRow {
    let positive = |total: i64| if total > 0 { 1.0 } else { f64::NAN };
    TierRow {
        customers: model.customers,
        customer_share: positive(model.customers as i64),
        revenue: model.total_revenue.units(),
        revenue_share: positive(model.total_revenue.0),
        margin: model.total_margin.map(|m| (m.units(), positive(m.0))),
        avg_revenue: if model.customers > 0 {
            model.total_revenue.units() / model.customers as f64
        } else {
            f64::NAN
        },
        orders: model.tiers.iter().map(|t| t.orders).sum(),
        revenue_12m: model.tiers.iter().map(|t| t.revenue_12m.0).sum::<i64>() as f64 / 100.0,
    }
}

fn tier_row(
    sheet: &mut Sheet,
    row: usize,
    name: &str,
    t: &TierRow,
    s: &Styles,
) -> Result<(), Problem> {
    sheet.text(row, 0, name, None)?;
    sheet.value(row, 1, Value::Int(t.customers as i64), s)?;
    sheet.share(row, 2, t.customer_share, s)?;
    sheet.money(row, 3, t.revenue, s)?;
    sheet.share(row, 4, t.revenue_share, s)?;
    let mut col = 5;
    if let Some((margin, share)) = t.margin {
        sheet.money(row, 5, margin, s)?;
        sheet.share(row, 6, share, s)?;
        col = 7;
    }
    if t.avg_revenue.is_finite() {
        sheet.money(row, col, t.avg_revenue, s)?;
    } else {
        sheet.text(row, col, NOT_MEANINGFUL, None)?;
    }
    sheet.value(row, col + 1, Value::Int(t.orders), s)?;
    sheet.money(row, col + 2, t.revenue_12m, s)
}

/// The customers a check flagged: table rows, largest revenue first (ties: lowest id), and the
/// table columns its condition reads.
struct CallList {
    rows: Vec<usize>,
    figures: Vec<usize>,
}

/// The call list of a finding: the customers of the check of that name. Findings about tier
/// rules and summary checks have none.
fn call_list(i: &Inputs, finding: &Finding) -> Option<CallList> {
    let check = i
        .evaluation
        .checks
        .iter()
        .find(|c| c.name == finding.name && !c.customers.is_empty())?;
    let revenue = i.table.money("revenue");
    let mut rows: Vec<usize> = check.customers.iter().map(|&r| r as usize).collect();
    rows.sort_by(|&a, &b| revenue[b].cmp(&revenue[a]).then(a.cmp(&b)));
    let figures = i
        .policy
        .checks
        .iter()
        .find(|c| c.name == check.name)
        .map(|c| tree::parse(&c.when.text).names)
        .unwrap_or_default()
        .iter()
        .filter(|n| n.name != "revenue")
        .filter_map(|n| i.table.columns.iter().position(|c| c.name == n.name))
        .collect();
    Some(CallList { rows, figures })
}

/// The `findings` sheet: each finding, then its call list or why it has none.
fn findings_sheet(
    ws: &mut Worksheet,
    i: &Inputs,
    columns: &Columns,
    lists: &[Option<CallList>],
    s: &Styles,
) -> Result<(), Problem> {
    let mut sheet = Sheet::new(ws, "findings")?;
    let headers = [
        "Finding",
        "Level",
        "Message",
        "Customers",
        "Revenue at stake",
        "Share of revenue",
    ];
    sheet.header(0, &headers, s)?;
    let mut row = 1;
    for (f, list) in i.model.findings.iter().zip(lists) {
        sheet.text(row, 0, &f.name, Some(&s.header))?;
        sheet.text(row, 1, severity(f.severity), None)?;
        // Long messages wrap in a column no wider than the widest the sheet allows.
        sheet.text(row, 2, &f.message, Some(&s.wrap))?;
        sheet.value(row, 3, Value::Int(f.customers as i64), s)?;
        sheet.money(row, 4, f.revenue.units(), s)?;
        sheet.share(row, 5, f.revenue_share, s)?;
        row += 1;
        match list {
            Some(list) => row = call_list_rows(&mut sheet, row, i, columns, list, s)?,
            None => {
                sheet.text(row, 0, &no_call_list(f), Some(&s.note))?;
                row += 1;
            }
        }
        // A blank row between findings.
        row += 1;
    }
    sheet.ws.set_freeze_panes(1, 0)?;
    sheet.finish()
}

/// Writes a call list from `row` on: its header, then one row per customer. Returns the next row.
fn call_list_rows(
    sheet: &mut Sheet,
    mut row: usize,
    i: &Inputs,
    columns: &Columns,
    list: &CallList,
    s: &Styles,
) -> Result<usize, Problem> {
    let id = columns.headers(i.table).swap_remove(0);
    let mut names = vec![id.as_str(), "tier", "revenue"];
    names.extend(
        list.figures
            .iter()
            .map(|&c| i.table.columns[c].name.as_str()),
    );
    for (col, name) in names.iter().enumerate() {
        sheet.text(row, col, name, Some(&s.note))?;
    }
    row += 1;
    let revenue = i.table.money("revenue");
    for &r in &list.rows {
        sheet.text(row, 0, &i.table.ids[r], None)?;
        sheet.text(row, 1, &columns.tiers[i.evaluation.tiers[r] as usize], None)?;
        sheet.value(row, 2, Value::Money(revenue[r]), s)?;
        for (n, &c) in list.figures.iter().enumerate() {
            sheet.value(row, 3 + n, i.table.columns[c].column.get(r), s)?;
        }
        row += 1;
    }
    Ok(row)
}

/// Why a finding has no call list.
fn no_call_list(f: &Finding) -> String {
    if f.customers == 0 {
        "No call list: this finding names no customers.".to_string()
    } else {
        format!(
            "No call list: the finding is about a tier rule; the {} customers its condition holds for are placed by earlier tiers.",
            f.customers
        )
    }
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Day;

    #[test]
    fn money_formats_follow_the_report_symbol() {
        assert_eq!(money_format("USD"), "[$$]#,##0.00");
        assert_eq!(money_format("EUR"), "[$€]#,##0.00");
        assert_eq!(money_format("CHF"), "[$CHF] #,##0.00");
        assert_eq!(money_format("SEK"), "[$SEK] #,##0.00");
        assert_eq!(money_format(""), "#,##0.00");
    }

    #[test]
    fn dates_outside_excel_stay_text() {
        let day = |s| Day::parse_iso(s).unwrap();
        assert!(excel_date(day("1899-12-30")).is_none());
        assert!(excel_date(day("1900-01-01")).is_some());
        assert!(excel_date(day("9999-12-31")).is_some());
        // Excel serial 61 is 1900-03-01 (after its 1900 leap-year quirk); 25569 is 1970-01-01.
        let serial = |s| {
            use rust_xlsxwriter::IntoExcelDateTime;
            excel_date(day(s)).unwrap().to_excel_serial_date()
        };
        assert_eq!(serial("1900-03-01"), 61.0);
        assert_eq!(serial("1970-01-01"), 25_569.0);
    }
}
