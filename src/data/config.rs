//! The `data:` part of `powerbase.yaml`: where the transactions and customer attributes are and
//! how their columns are called.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::DataError;

/// Where the transactions come from: deserialised straight from the user's `powerbase.yaml`.
///
/// ```yaml
/// path: data/transactions.csv
/// columns: { customer_id: customer_id, date: date, amount: dollar_value, quantity: number_of_cds }
/// date_format: "%Y%m%d"
/// ```
///
/// The file kind follows the extension: `.xlsx`, `.xlsm`, `.xlsb`, `.xls` and `.ods` are read as
/// spreadsheets, anything else as delimited text (`.tsv` and `.tab` default to tab-delimited).
#[derive(Debug, Clone, serde::Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransactionSource {
    /// The file, relative to the workspace folder (or absolute); or a glob
    /// (`data/sales-2024-*.csv`), or a list of files and globs: the files are read as one source,
    /// in name order.
    pub path: DataPath,
    /// Our column names mapped to the client's headers.
    pub columns: TransactionColumns,
    /// strftime-style date format (`%d/%m/%Y`, `%Y%m%d`, `%Y-%m-%d %H:%M:%S`, ...); default ISO
    /// `%Y-%m-%d`. A format with a time part takes the date and drops the time. A cell must be
    /// written exactly in the format: `%Y` is 4 digits, `%m` and `%d` are 2 (`%-m`, `%-d`: 1 or
    /// 2 without a leading zero), no sign, nothing after the date. `excel` reads Excel serial day
    /// numbers written as text (`45123`; a time fraction such as `45123.5` is dropped). A list
    /// (`["%d.%m.%Y", "%Y-%m-%d"]`) accepts a date in any of its formats, tried in order, each
    /// exactly.
    #[serde(default)]
    pub date_format: Option<DateFormats>,
    /// How amounts (and quantities) are written, when not plain `1234.56`: a locale such as
    /// `de-DE`, or `{ decimal: ",", thousands: ".", negative: trailing_minus }`. With it, a
    /// currency sign or code of the workspace `currency:` around an amount (`12,50 €`,
    /// `EUR 12,50`) is accepted; another currency is an error.
    #[serde(default)]
    pub number_format: Option<NumberFormat>,
    /// Spreadsheet only: the sheet to read, by name (`sheet: Sales`) or by 1-based position
    /// (`sheet: 2`, a YAML integer; quote a name made of digits: `sheet: "2024"`); default the
    /// first sheet.
    #[serde(default)]
    pub sheet: Option<SheetRef>,
    /// Delimited text only: the field delimiter, an ASCII character. When absent it is sniffed
    /// from the header and the first records among `,` `;` tab `|` (tab for `.tsv` and `.tab`),
    /// and the choice is stated in the run's output and in summary.json (`sources`).
    #[serde(default)]
    pub delimiter: Option<char>,
    /// Delimited text only: the file's character encoding; default `utf-8`.
    #[serde(default)]
    pub encoding: Encoding,
    /// The 1-based line of the header (for a spreadsheet, the sheet's row number); the lines
    /// above it are title lines and are skipped (blank lines after them too). Default: the first
    /// non-blank line (row).
    #[serde(default)]
    pub header_row: Option<u64>,
    /// Lines (spreadsheet rows) to skip before the header (title lines); default 0.
    #[serde(default)]
    pub skip_rows: Option<u64>,
    /// Lines to drop at the end of each file (a footer); default 0. Blank lines at the very end
    /// do not count; in a spreadsheet, the last rows with a value are dropped.
    #[serde(default)]
    pub skip_footer: u64,
    /// What to do with rows that cannot be read (a bad date, amount or quantity, an empty
    /// customer id, the wrong number of fields, ...): `fail` (the default) stops the run listing
    /// every one; `quarantine` goes on without them, lists them in `rejects.csv` and counts them
    /// in the report and summary.json (`transactions.rejected`). The run's `--on-bad-rows`
    /// overrides it.
    #[serde(default)]
    pub on_bad_rows: super::OnBadRows,
    /// With `on_bad_rows: quarantine`, the largest share of the rows read that may be set aside:
    /// a number from 0 to 1 (`0.01`) or a percentage (`"1%"`, `"0.5%"`); default 1%. Beyond it
    /// the run fails anyway: so many bad rows mean a systematic problem (a wrong
    /// `number_format`, `date_format` or `encoding`), not a few bad rows. The run's
    /// `--max-rejected` overrides it.
    #[serde(default)]
    pub max_rejected: Option<Share>,
    /// The workspace currency (`currency:` of `powerbase.yaml`), filled when the workspace is
    /// merged: the only currency an amount may be marked with under `number_format`.
    #[serde(skip)]
    #[schemars(skip)]
    pub currency: Option<String>,
}

/// `date_format`: one format or a list tried in order.
#[derive(Debug, Clone, serde::Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(untagged)]
pub enum DateFormats {
    /// One strftime-style format, or `excel`.
    One(String),
    /// Formats tried in order; the first that reads the cell exactly wins.
    Many(Vec<String>),
}

impl DateFormats {
    /// The formats, in order.
    pub fn list(&self) -> Vec<&str> {
        match self {
            DateFormats::One(f) => vec![f.as_str()],
            DateFormats::Many(fs) => fs.iter().map(String::as_str).collect(),
        }
    }
}

impl From<&str> for DateFormats {
    fn from(f: &str) -> Self {
        DateFormats::One(f.to_string())
    }
}

/// `number_format`: how a client's export writes numbers.
///
/// ```yaml
/// number_format: de-DE
/// number_format: { decimal: ",", thousands: ".", negative: trailing_minus }
/// number_format: { locale: de-CH, negative: parentheses }
/// ```
#[derive(Debug, Clone, serde::Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(untagged)]
pub enum NumberFormat {
    /// A locale (`de-DE`, `fr-FR`, `de-CH`, `en-US`, ...): its decimal and thousands separators,
    /// negatives with a leading minus.
    Locale(String),
    /// The separators and the way negatives are written.
    Spec(NumberFormatSpec),
}

/// `number_format` spelled out.
#[derive(Debug, Clone, Default, serde::Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberFormatSpec {
    /// A locale whose separators are the starting point; `decimal` and `thousands` override them.
    #[serde(default)]
    pub locale: Option<String>,
    /// The decimal separator: `.` or `,`; default `.` (or the locale's).
    #[serde(default)]
    pub decimal: Option<char>,
    /// The thousands separator (`.`, `,`, `'`, a space), or none (the default, unless the
    /// locale has one). Digits must be grouped by 3 where it is used (`1.234.567,89`). A space
    /// also accepts a no-break or narrow no-break space; `'` also accepts `’`.
    #[serde(default)]
    pub thousands: Option<char>,
    /// How a negative amount is written: `leading_minus` (the default: `-12,50`),
    /// `trailing_minus` (`12,50-`) or `parentheses` (`(12,50)`). A leading minus is always
    /// accepted.
    #[serde(default)]
    pub negative: Negative,
}

/// How a negative number is written (`number_format.negative`).
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Negative {
    /// `-12.50`.
    #[default]
    LeadingMinus,
    /// `12.50-` (SAP and other ERP exports); `-12.50` is accepted too.
    TrailingMinus,
    /// `(12.50)` (accounting); `-12.50` is accepted too.
    Parentheses,
}

/// Which header of the client's file holds each of our columns.
///
/// `customer_id`, `date` and `amount` are required. The others are optional; when mapped, every
/// row must have a value (an empty cost or quantity cell is an error, not a silent zero: map the
/// column only when the export fills it, or fix the export).
#[derive(Debug, Clone, serde::Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransactionColumns {
    /// The customer identifier (kept as text, leading zeros included).
    pub customer_id: String,
    /// The transaction date.
    pub date: String,
    /// The amount paid, in the currency's main unit (`12.34`). Negative for refunds.
    pub amount: String,
    /// The cost of the goods sold, same unit as `amount`.
    #[serde(default)]
    pub cost: Option<String>,
    /// The number of units: a whole number (`3`, `-1` for a return; `2.0` is accepted).
    #[serde(default)]
    pub quantity: Option<String>,
    /// The order or invoice id.
    #[serde(default)]
    pub order_id: Option<String>,
    /// The product or product category.
    #[serde(default)]
    pub product: Option<String>,
    /// The sales channel.
    #[serde(default)]
    pub channel: Option<String>,
}

impl TransactionColumns {
    /// Every mapped column as (our name, client header), required ones first.
    pub fn mapped(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![
            ("customer_id", self.customer_id.as_str()),
            ("date", self.date.as_str()),
            ("amount", self.amount.as_str()),
        ];
        let optional = [
            ("cost", &self.cost),
            ("quantity", &self.quantity),
            ("order_id", &self.order_id),
            ("product", &self.product),
            ("channel", &self.channel),
        ];
        for (role, header) in optional {
            if let Some(h) = header {
                out.push((role, h.as_str()));
            }
        }
        out
    }
}

/// An optional customer attribute table (`data.customers` in `powerbase.yaml`):
///
/// ```yaml
/// path: data/customers.xlsx
/// sheet: Customers
/// columns: { customer_id: "Cust ID", segment: "2019 Segment" }
/// ```
///
/// `columns` must map `customer_id` to the id column's header. Every other column of the file
/// becomes an attribute named by [`identifier`](super::identifier) of its header; an entry
/// `name: "Header"` in `columns` names that column's attribute explicitly (needed when the header
/// does not make a valid name, such as `2019 Segment`).
#[derive(Debug, Clone, serde::Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerSource {
    /// The file, relative to the workspace folder (or absolute); or a glob, or a list of files
    /// and globs, read as one table in name order.
    pub path: DataPath,
    /// `customer_id` and attribute names mapped to the file's headers.
    pub columns: BTreeMap<String, String>,
    /// Spreadsheet only: the sheet to read, by name or 1-based position (see
    /// [`TransactionSource::sheet`]); default the first sheet.
    #[serde(default)]
    pub sheet: Option<SheetRef>,
    /// Delimited text only: the field delimiter; sniffed when absent (tab for `.tsv`), as for
    /// the transactions.
    #[serde(default)]
    pub delimiter: Option<char>,
    /// Delimited text only: the file's character encoding; default `utf-8`.
    #[serde(default)]
    pub encoding: Encoding,
    /// The 1-based line (sheet row) of the header (title lines above it are skipped).
    #[serde(default)]
    pub header_row: Option<u64>,
    /// Lines (sheet rows) to skip before the header; default 0.
    #[serde(default)]
    pub skip_rows: Option<u64>,
    /// Lines (sheet rows with a value) to drop at the end of each file; default 0.
    #[serde(default)]
    pub skip_footer: u64,
    /// How numeric attributes are written (see [`TransactionSource::number_format`]); the
    /// customer id column is never read as a number.
    #[serde(default)]
    pub number_format: Option<NumberFormat>,
    /// The workspace currency, filled when the workspace is merged (see
    /// [`TransactionSource::currency`]).
    #[serde(skip)]
    #[schemars(skip)]
    pub currency: Option<String>,
    /// How customer ids are normalised on both sides of the join (this file's ids and the
    /// transactions' ids), e.g. `{ prefix: "K-" }`; default: ids are joined as written.
    #[serde(default)]
    pub id_normalise: Option<super::IdNormalise>,
}

/// `sheet`: a sheet of a workbook, by name or by 1-based position.
///
/// ```yaml
/// sheet: Umsätze
/// sheet: 2
/// ```
#[derive(Debug, Clone, serde::Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(untagged)]
pub enum SheetRef {
    /// The sheet's position in the workbook, from 1 (a YAML integer).
    Index(u64),
    /// The sheet's name (surrounding spaces ignored when no sheet has the exact name).
    Name(String),
}

impl SheetRef {
    /// How the sheet was asked for, for messages: the name, or `2` for an index.
    pub fn shown(&self) -> String {
        match self {
            SheetRef::Index(i) => i.to_string(),
            SheetRef::Name(n) => format!("{n:?}"),
        }
    }
}

impl From<&str> for SheetRef {
    fn from(name: &str) -> Self {
        SheetRef::Name(name.to_string())
    }
}

/// Where a source's data is: one path, a glob, or a list of paths and globs (relative to the
/// workspace folder, or absolute).
///
/// ```yaml
/// path: data/transactions.csv
/// path: data/sales-2024-*.csv
/// path: [data/2024.csv, data/2025-*.csv]
/// ```
///
/// A path with `*`, `?` or `[` is a glob; a glob that matches no file is a configuration error.
/// The files are read in name order (byte-wise), each once.
#[derive(Debug, Clone, serde::Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(untagged)]
pub enum DataPath {
    /// One file or glob.
    One(PathBuf),
    /// Several files or globs.
    Many(Vec<PathBuf>),
}

impl DataPath {
    /// The entries as written.
    pub fn entries(&self) -> &[PathBuf] {
        match self {
            DataPath::One(p) => std::slice::from_ref(p),
            DataPath::Many(v) => v,
        }
    }

    /// The path as written, for messages: the single entry, or the entries joined by `, `.
    pub fn shown(&self) -> PathBuf {
        match self {
            DataPath::One(p) => p.clone(),
            DataPath::Many(v) => PathBuf::from(
                v.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        }
    }

    /// The path for display (`{}`), as [`std::path::Path::display`] is for one path.
    pub fn display(&self) -> &Self {
        self
    }

    /// Whether an entry is a glob pattern.
    pub fn is_glob(entry: &Path) -> bool {
        entry.to_str().is_some_and(|s| s.contains(['*', '?', '[']))
    }

    /// The files to read, as paths relative to `root` when the entry is relative: plain entries
    /// as written, globs expanded; sorted byte-wise, each once. A glob matching no file, or an
    /// empty list, is a configuration error; a plain path is not checked here (opening it names
    /// a missing file).
    pub fn files(&self, root: &Path) -> Result<Vec<PathBuf>, DataError> {
        let config = |message: String| DataError::Config {
            path: self.shown(),
            message,
        };
        let mut out = Vec::new();
        for entry in self.entries() {
            if !DataPath::is_glob(entry) {
                out.push(entry.clone());
                continue;
            }
            let pattern = root.join(entry);
            let pattern = pattern
                .to_str()
                .ok_or_else(|| config(format!("the glob {} is not UTF-8 text", entry.display())))?;
            let found = glob::glob(pattern)
                .map_err(|e| config(format!("{} is not a valid glob: {e}", entry.display())))?;
            let before = out.len();
            for hit in found {
                let hit = hit.map_err(|e| DataError::Io {
                    path: e.path().to_path_buf(),
                    source: e.into(),
                })?;
                if hit.is_file() {
                    let rel = match entry.is_relative() {
                        true => hit.strip_prefix(root).map(Path::to_path_buf).unwrap_or(hit),
                        false => hit,
                    };
                    out.push(rel);
                }
            }
            if out.len() == before {
                return Err(config(format!(
                    "the glob {} matches no file (relative to the workspace folder); check the folder and the pattern",
                    entry.display()
                )));
            }
        }
        if out.is_empty() {
            return Err(config("`path:` lists no file".to_string()));
        }
        out.sort_by(|a, b| {
            a.as_os_str()
                .as_encoded_bytes()
                .cmp(b.as_os_str().as_encoded_bytes())
        });
        out.dedup();
        Ok(out)
    }
}

impl From<PathBuf> for DataPath {
    fn from(p: PathBuf) -> Self {
        DataPath::One(p)
    }
}

impl From<&str> for DataPath {
    fn from(p: &str) -> Self {
        DataPath::One(PathBuf::from(p))
    }
}

impl std::fmt::Display for DataPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.shown().display())
    }
}

/// The character encoding of a delimited text file.
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
pub enum Encoding {
    /// UTF-8 (the default); a byte-order mark at the start is skipped.
    #[default]
    #[serde(rename = "utf-8", alias = "utf8", alias = "UTF-8")]
    Utf8,
    /// Windows-1252 (Western European Windows and older Excel "CSV" exports).
    #[serde(rename = "windows-1252", alias = "cp1252", alias = "Windows-1252")]
    Windows1252,
    /// ISO-8859-1 (Latin-1), read as its superset Windows-1252 (as browsers and encoding_rs
    /// do: the two differ only in bytes 0x80-0x9F, control characters in ISO-8859-1).
    #[serde(rename = "iso-8859-1", alias = "latin1", alias = "ISO-8859-1")]
    Iso8859_1,
    /// UTF-16 with a byte-order mark (little- or big-endian, as the mark says); Excel's
    /// "Unicode Text" export.
    #[serde(rename = "utf-16", alias = "utf16", alias = "UTF-16")]
    Utf16,
}

impl Encoding {
    /// The name as written in `powerbase.yaml`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Windows1252 => "windows-1252",
            Encoding::Iso8859_1 => "iso-8859-1",
            Encoding::Utf16 => "utf-16",
        }
    }
}

/// How a delimited text file is laid out, from a source's options: checked, with the title lines
/// to skip resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// The delimiter; `None` to sniff it.
    pub delimiter: Option<u8>,
    /// The encoding.
    pub encoding: Encoding,
    /// Lines to skip before the header.
    pub skip_rows: u64,
    /// The line the header must be on, when `header_row` is set.
    pub header_row: Option<u64>,
    /// Lines to drop at the end.
    pub skip_footer: u64,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            delimiter: Some(b','),
            encoding: Encoding::Utf8,
            skip_rows: 0,
            header_row: None,
            skip_footer: 0,
        }
    }
}

/// The layout options as written, before they are checked against a file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayoutOptions {
    pub encoding: Encoding,
    pub header_row: Option<u64>,
    pub skip_rows: Option<u64>,
    pub skip_footer: u64,
}

/// A share of the rows: a number from 0 to 1 (`0.01`) or a percentage (`"1%"`).
#[derive(Debug, Clone, Copy, serde::Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(try_from = "ShareText")]
#[schemars(with = "ShareText")]
pub struct Share(pub f64);

/// `max_rejected` as written.
#[derive(Debug, Clone, serde::Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(untagged)]
pub enum ShareText {
    /// A share from 0 to 1, such as `0.01`.
    Number(f64),
    /// A percentage such as `"1%"` or `"0.5%"`.
    Percent(String),
}

impl TryFrom<ShareText> for Share {
    type Error = String;

    fn try_from(t: ShareText) -> Result<Share, String> {
        let share = match &t {
            ShareText::Number(n) => *n,
            ShareText::Percent(text) => text.parse::<Share>()?.0,
        };
        if (0.0..=1.0).contains(&share) {
            Ok(Share(share))
        } else {
            Err(format!(
                "`max_rejected` must be a share of the rows from 0 to 1 (such as 0.01) or a \
                 percentage from 0% to 100% (such as \"1%\"), found {}",
                match t {
                    ShareText::Number(n) => n.to_string(),
                    ShareText::Percent(s) => format!("{s:?}"),
                }
            ))
        }
    }
}

impl std::str::FromStr for Share {
    type Err = String;

    /// `0.01` or `1%` (`0.5 %` too); the range is checked by the caller.
    fn from_str(s: &str) -> Result<Share, String> {
        let text = s.trim();
        let (number, scale) = match text.strip_suffix('%') {
            Some(n) => (n.trim_end(), 100.0),
            None => (text, 1.0),
        };
        number
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(|n| Share(n / scale))
            .ok_or_else(|| {
                format!("expected a share such as 0.01 or a percentage such as 1%, found {s:?}")
            })
    }
}

impl TransactionSource {
    /// How this source treats bad rows (`on_bad_rows`, `max_rejected`, default 1%).
    pub fn bad_rows(&self) -> Result<super::BadRowPolicy, DataError> {
        super::BadRowPolicy::new(
            &self.path.shown(),
            self.on_bad_rows,
            self.max_rejected
                .map_or(super::DEFAULT_MAX_REJECTED, |s| s.0),
        )
    }

    /// The layout options of this source.
    pub(crate) fn layout_options(&self) -> LayoutOptions {
        LayoutOptions {
            encoding: self.encoding,
            header_row: self.header_row,
            skip_rows: self.skip_rows,
            skip_footer: self.skip_footer,
        }
    }
}

impl CustomerSource {
    /// The layout options of this source.
    pub(crate) fn layout_options(&self) -> LayoutOptions {
        LayoutOptions {
            encoding: self.encoding,
            header_row: self.header_row,
            skip_rows: self.skip_rows,
            skip_footer: self.skip_footer,
        }
    }
}

impl LayoutOptions {
    /// The lines to skip before the header; `header_row` and `skip_rows` must agree when both
    /// are set.
    fn skip(&self) -> Result<u64, String> {
        match (self.header_row, self.skip_rows) {
            (Some(0), _) => Err("`header_row` counts lines from 1; the first line is `header_row: 1`".to_string()),
            (Some(h), Some(s)) if s + 1 != h => Err(format!(
                "`header_row: {h}` and `skip_rows: {s}` disagree (the header after {s} skipped lines is line {}); keep one of them",
                s + 1
            )),
            (Some(h), _) => Ok(h - 1),
            (None, s) => Ok(s.unwrap_or(0)),
        }
    }
}

/// How a sheet is laid out: the title rows above the header and the footer rows at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SheetLayout {
    /// Rows to skip before the header (`header_row` - 1, or `skip_rows`).
    pub skip_rows: u64,
    /// Rows with a value to drop at the end (`skip_footer`).
    pub skip_footer: u64,
}

/// The two kinds of input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// Delimited text, with its layout (delimiter, encoding, title and footer lines).
    Delimited(Layout),
    /// A workbook read with calamine, with its title and footer rows.
    Spreadsheet(SheetLayout),
}

impl FileKind {
    /// Decides the kind from the extension and checks that `sheet` / `delimiter` and the text
    /// layout options fit it.
    pub(crate) fn of(
        path: &Path,
        sheet: Option<&SheetRef>,
        delimiter: Option<char>,
        layout: LayoutOptions,
    ) -> Result<FileKind, DataError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let config = |message: String| DataError::Config {
            path: path.to_path_buf(),
            message,
        };
        match ext.as_str() {
            "xlsx" | "xlsm" | "xlsb" | "xls" | "xla" | "xlam" | "ods" => {
                if let Some(d) = delimiter {
                    return Err(config(format!(
                        "`delimiter: {d:?}` applies to delimited text files only, not to a .{ext} workbook; remove it"
                    )));
                }
                if layout.encoding != Encoding::Utf8 {
                    return Err(config(format!(
                        "`encoding` applies to delimited text files only, not to a .{ext} workbook (a workbook says its own encoding); remove it"
                    )));
                }
                Ok(FileKind::Spreadsheet(SheetLayout {
                    skip_rows: layout.skip().map_err(config)?,
                    skip_footer: layout.skip_footer,
                }))
            }
            _ => {
                if let Some(s) = sheet {
                    return Err(config(format!(
                        "`sheet: {}` applies to spreadsheets only (.xlsx, .xls, .ods), not to a delimited text file; remove it",
                        s.shown()
                    )));
                }
                let d = match delimiter {
                    Some(c) => Some(c),
                    None if ext == "tsv" || ext == "tab" => Some('\t'),
                    None => None,
                };
                if let Some(d) = d.filter(|d| !d.is_ascii() || matches!(d, '"' | '\n' | '\r')) {
                    return Err(config(format!(
                        "`delimiter: {d:?}` must be one ASCII character other than a quote or line break, such as ',' ';' or '\\t'"
                    )));
                }
                Ok(FileKind::Delimited(Layout {
                    delimiter: d.map(|d| d as u8),
                    encoding: layout.encoding,
                    skip_rows: layout.skip().map_err(config)?,
                    header_row: layout.header_row,
                    skip_footer: layout.skip_footer,
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_transaction_source() {
        let yaml = r#"
path: data/transactions.csv
columns: { customer_id: customer_id, date: date, amount: dollar_value, quantity: number_of_cds }
date_format: "%Y%m%d"
delimiter: ";"
"#;
        let src: TransactionSource = serde_saphyr::from_str(yaml).unwrap();
        assert_eq!(src.path, DataPath::from("data/transactions.csv"));
        assert_eq!(src.columns.amount, "dollar_value");
        assert_eq!(src.columns.quantity.as_deref(), Some("number_of_cds"));
        assert_eq!(src.columns.cost, None);
        assert_eq!(src.date_format, Some(DateFormats::from("%Y%m%d")));
        assert_eq!(src.delimiter, Some(';'));
        assert_eq!(
            src.columns.mapped(),
            vec![
                ("customer_id", "customer_id"),
                ("date", "date"),
                ("amount", "dollar_value"),
                ("quantity", "number_of_cds")
            ]
        );

        // Typos are caught at both levels.
        let typo = "path: a.csv\ncolumns: { customer_id: a, date: b, amount: c }\ndate_fromat: x\n";
        assert!(serde_saphyr::from_str::<TransactionSource>(typo).is_err());
        let typo = "path: a.csv\ncolumns: { customer_id: a, date: b, amount: c, revnue: d }\n";
        assert!(serde_saphyr::from_str::<TransactionSource>(typo).is_err());
        let missing = "path: a.csv\ncolumns: { customer_id: a, date: b }\n";
        assert!(serde_saphyr::from_str::<TransactionSource>(missing).is_err());
    }

    #[test]
    fn yaml_customer_source() {
        let yaml = r#"
path: data/customers.xlsx
sheet: Customers
columns: { customer_id: "Cust ID", segment_2019: "2019 Segment" }
"#;
        let src: CustomerSource = serde_saphyr::from_str(yaml).unwrap();
        assert_eq!(src.sheet, Some(SheetRef::from("Customers")));
        let by_index: CustomerSource =
            serde_saphyr::from_str("path: c.xlsx\ncolumns: {customer_id: id}\nsheet: 2\n").unwrap();
        assert_eq!(by_index.sheet, Some(SheetRef::Index(2)));
        let quoted: CustomerSource =
            serde_saphyr::from_str("path: c.xlsx\ncolumns: {customer_id: id}\nsheet: \"2024\"\n")
                .unwrap();
        assert_eq!(quoted.sheet, Some(SheetRef::from("2024")));
        assert_eq!(src.columns["customer_id"], "Cust ID");
        assert_eq!(src.columns["segment_2019"], "2019 Segment");
        let tab: CustomerSource =
            serde_saphyr::from_str("path: c.txt\ncolumns: {customer_id: id}\ndelimiter: \"\\t\"\n")
                .unwrap();
        assert_eq!(tab.delimiter, Some('\t'));
    }

    #[test]
    fn file_kinds() {
        let p = Path::new;
        let opts = LayoutOptions {
            encoding: Encoding::Utf8,
            header_row: None,
            skip_rows: None,
            skip_footer: 0,
        };
        let of = |path: &str, sheet: Option<&str>, d: Option<char>| {
            FileKind::of(p(path), sheet.map(SheetRef::from).as_ref(), d, opts)
        };
        let delimited = |d: Option<u8>| {
            FileKind::Delimited(Layout {
                delimiter: d,
                ..Layout::default()
            })
        };
        // No delimiter: sniffed when the file is read (tab for .tsv).
        assert_eq!(of("a.csv", None, None).unwrap(), delimited(None));
        assert_eq!(of("a.TSV", None, None).unwrap(), delimited(Some(b'\t')));
        assert_eq!(of("a.txt", None, Some(';')).unwrap(), delimited(Some(b';')));
        let sheet = FileKind::Spreadsheet(SheetLayout::default());
        assert_eq!(of("a.XLSX", Some("S"), None).unwrap(), sheet);
        assert_eq!(of("a.ods", None, None).unwrap(), sheet);
        let e = of("a.csv", Some("Sheet1"), None).unwrap_err().to_string();
        assert!(e.contains("spreadsheets only"), "{e}");
        let e = of("a.xlsx", None, Some(';')).unwrap_err().to_string();
        assert!(e.contains("delimited text files only"), "{e}");
        assert!(of("a.csv", None, Some('€')).is_err());
        assert!(of("a.csv", None, Some('"')).is_err());
        // Title lines: header_row and skip_rows resolve to the lines skipped, and must agree.
        let with = |header_row, skip_rows| {
            let o = LayoutOptions {
                header_row,
                skip_rows,
                ..opts
            };
            FileKind::of(p("a.csv"), None, None, o).map_err(|e| e.to_string())
        };
        let skipped = |k: Result<FileKind, String>| match k {
            Ok(FileKind::Delimited(l)) => Ok(l.skip_rows),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e),
        };
        assert_eq!(skipped(with(Some(3), None)), Ok(2));
        assert_eq!(skipped(with(None, Some(2))), Ok(2));
        assert_eq!(skipped(with(Some(3), Some(2))), Ok(2));
        let e = skipped(with(Some(3), Some(1))).unwrap_err();
        assert!(e.contains("disagree"), "{e}");
        assert!(skipped(with(Some(0), None)).unwrap_err().contains("from 1"));
        let text_only = LayoutOptions {
            encoding: Encoding::Windows1252,
            ..opts
        };
        let e = FileKind::of(p("a.xlsx"), None, None, text_only)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`encoding`") && e.contains("delimited text files only"),
            "{e}"
        );
        // Title and footer rows apply to sheets as to text files.
        let titled = LayoutOptions {
            header_row: Some(3),
            skip_footer: 2,
            ..opts
        };
        assert_eq!(
            FileKind::of(p("a.xlsx"), None, None, titled).unwrap(),
            FileKind::Spreadsheet(SheetLayout {
                skip_rows: 2,
                skip_footer: 2
            })
        );
    }

    #[test]
    fn yaml_paths_and_encodings() {
        let src: TransactionSource = serde_saphyr::from_str(
            "path: [b.csv, data/a-*.csv]\ncolumns: { customer_id: a, date: b, amount: c }\nencoding: windows-1252\nheader_row: 3\nskip_footer: 1\n",
        )
        .unwrap();
        assert_eq!(
            src.path,
            DataPath::Many(vec![PathBuf::from("b.csv"), PathBuf::from("data/a-*.csv")])
        );
        assert_eq!(src.path.to_string(), "b.csv, data/a-*.csv");
        assert_eq!(src.encoding, Encoding::Windows1252);
        assert_eq!((src.header_row, src.skip_footer), (Some(3), 1));
        let bad =
            "path: a.csv\ncolumns: { customer_id: a, date: b, amount: c }\nencoding: ebcdic\n";
        assert!(serde_saphyr::from_str::<TransactionSource>(bad).is_err());

        // Globs expand in name order, relative to the workspace; plain paths stay as written.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        for f in ["a-2.csv", "a-10.csv", "a-1.csv", "other.txt"] {
            std::fs::write(dir.path().join("data").join(f), "x").unwrap();
        }
        let files = src.path.files(dir.path()).unwrap();
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        assert_eq!(
            names,
            ["b.csv", "data/a-1.csv", "data/a-10.csv", "data/a-2.csv"]
        );
        let none = DataPath::from("data/z-*.csv");
        let e = none.files(dir.path()).unwrap_err().to_string();
        assert!(e.contains("matches no file"), "{e}");
    }
}
