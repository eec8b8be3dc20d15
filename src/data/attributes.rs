//! The optional customer attribute table (`data.customers`): one row per customer, any number of
//! attribute columns whose type is inferred.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use calamine::Data;
use csv::ByteRecord;
use rustc_hash::FxHashMap;

use super::config::{CustomerSource, FileKind, Layout, SheetLayout};
use super::csv_source::{
    count_lines, file_read, open, scan, text_after_quote, text_after_quote_error, CsvOptions,
    LineTracker,
};
use super::decode::not_utf8_hint;
use super::error::{shown, CellError, DataError, Location};
use super::excel_source::{id_cell, number_text, open_sheet, shown_cell};
use super::headers::find_column;
use super::ids::IdNormalise;
use super::number::NumberParser;
use super::rejects::{BadRows, Rejected, Rejects, BAD_ROW};
use super::sources::{FileRead, SourceRead};

/// Customer attributes, one row per customer, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeTable {
    /// The file, as configured.
    pub path: PathBuf,
    /// The attribute columns, in file order (the id column excluded).
    pub columns: Vec<AttributeColumn>,
    /// Customer ids, in row order.
    pub ids: Vec<String>,
    index: FxHashMap<Box<str>, usize>,
    /// How the file was read; `None` for a table not read from a file (an account roll-up).
    pub source: Option<SourceRead>,
}

/// One attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeColumn {
    /// The attribute's name as used in rules: a valid identifier (see [`identifier`]).
    pub name: String,
    /// The header as written in the file.
    pub header: String,
    /// One value per row of the table.
    pub values: AttributeValues,
}

/// An attribute's values, one per row; `None` for an empty cell.
///
/// The type is inferred per column: all non-empty cells whole numbers -> `Int`; all numbers ->
/// `Float`; anything else (or no values at all) -> `Text`. Numbers are written plainly (`-12`,
/// `3.5`), or as the source's `number_format` says (`12.500,00` is 12500 under `de-DE`); a
/// number with a leading zero (`007`, a ZIP code) counts as text so the zero is kept. A value
/// written like a number that does not read as one (`12,500.00` under `de-DE`, `1,000` without
/// `number_format`) is an error in a column whose other values are numbers, and text in a column
/// that holds other text (a word, a code such as `K-12`).
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValues {
    /// Whole numbers.
    Int(Vec<Option<i64>>),
    /// Numbers.
    Float(Vec<Option<f64>>),
    /// Text, trimmed of surrounding whitespace.
    Text(Vec<Option<String>>),
}

impl AttributeValues {
    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            AttributeValues::Int(v) => v.len(),
            AttributeValues::Float(v) => v.len(),
            AttributeValues::Text(v) => v.len(),
        }
    }

    /// True when the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `"integer"`, `"number"` or `"text"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValues::Int(_) => "integer",
            AttributeValues::Float(_) => "number",
            AttributeValues::Text(_) => "text",
        }
    }
}

impl AttributeTable {
    /// Builds a table from its parts; errors on a repeated id or a column of the wrong length.
    pub fn from_parts(
        path: PathBuf,
        columns: Vec<AttributeColumn>,
        ids: Vec<String>,
    ) -> Result<AttributeTable, String> {
        let mut index = FxHashMap::default();
        index.reserve(ids.len());
        for (row, id) in ids.iter().enumerate() {
            if index.insert(id.as_str().into(), row).is_some() {
                return Err(format!("customer {id:?} appears twice"));
            }
        }
        if let Some(c) = columns.iter().find(|c| c.values.len() != ids.len()) {
            return Err(format!(
                "column {:?} has {} values for {} customers",
                c.name,
                c.values.len(),
                ids.len()
            ));
        }
        Ok(AttributeTable {
            path,
            columns,
            ids,
            index,
            source: None,
        })
    }

    /// The row of a customer, if the table has it.
    pub fn row_of(&self, customer_id: &str) -> Option<usize> {
        self.index.get(customer_id).copied()
    }

    /// The column with this attribute name.
    pub fn column(&self, name: &str) -> Option<&AttributeColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Whether a name can be used in rules (see [`crate::ident`]).
fn valid_name(name: &str) -> bool {
    crate::ident::check(name).is_ok()
}

fn suggest(id: &str) -> String {
    if crate::ident::is_reserved(id) {
        return format!("{id}_value");
    }
    let trimmed = id.trim_matches('_');
    let split = trimmed
        .find(|c: char| c.is_ascii_lowercase())
        .unwrap_or(trimmed.len());
    let (lead, rest) = trimmed.split_at(split);
    let lead = lead.trim_matches('_');
    match (lead.is_empty(), rest.is_empty()) {
        (_, false) if lead.is_empty() => rest.to_string(),
        (_, false) => format!("{rest}_{lead}"),
        (false, true) => format!("col_{lead}"),
        (true, true) => "my_attribute".to_string(),
    }
}

/// The attribute name made from a column header: trimmed, lower case, and every character other
/// than `a-z`, `0-9` and `_` replaced by `_` (`"Region Name"` -> `region_name`).
///
/// Errors, with a message suggesting a `columns:` mapping (e.g.
/// `columns: { segment_2019: "2019 Segment" }`), when the result is empty, does not start with a
/// letter (Rhai also rejects `_1`), or is a Rhai keyword or reserved word (`if`, `in`, `type_of`,
/// `var`, ...).
pub fn identifier(header: &str) -> Result<String, String> {
    let id: String = header
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if valid_name(&id) {
        return Ok(id);
    }
    let why = if id.is_empty() {
        "an empty name".to_string()
    } else if crate::ident::is_reserved(&id) {
        format!("{id:?}, a reserved word in rules")
    } else {
        format!("{id:?}, which does not start with a letter")
    };
    Err(format!(
        "the column {header:?} would be named {why}; name it in `columns:`, e.g. columns: {{ {}: {header:?} }}",
        suggest(&id)
    ))
}

/// How a non-empty value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Int,
    Float,
    Text,
    /// Written like a number but not readable as one in the source's format (`12,500.00`
    /// under `de-DE`, `1,000` without `number_format`): text in a text column, an error in a
    /// column of numbers.
    Unread,
}

fn classify(s: &str) -> Class {
    let b = s.as_bytes();
    let unsigned = match b.first() {
        Some(b'-' | b'+') => &b[1..],
        _ => b,
    };
    let digits_before = unsigned.iter().take_while(|c| c.is_ascii_digit()).count();
    let rest = &unsigned[digits_before..];
    // A leading zero (other than "0" itself or "0.x") keeps the text.
    if digits_before > 1 && unsigned[0] == b'0' {
        return Class::Text;
    }
    if rest.is_empty() {
        if digits_before == 0 {
            return Class::Text;
        }
        return if s.parse::<i64>().is_ok() {
            Class::Int
        } else {
            Class::Text
        };
    }
    if rest[0] == b'.' && rest[1..].iter().all(u8::is_ascii_digit) && digits_before + rest.len() > 1
    {
        return match s.parse::<f64>() {
            Ok(f) if f.is_finite() => Class::Float,
            _ => Class::Text,
        };
    }
    Class::Text
}

/// How a non-empty text value reads: plainly, or with the source's `number_format`, where a
/// number such as `1.234,50 €` becomes `1234.50` (a leading zero keeps the text: `0042`). A
/// value written like a number that does not read as one in the format is [`Class::Unread`].
fn value(t: &str, numbers: Option<&NumberParser>) -> (String, Class) {
    let unsigned = t.trim_start_matches(['-', '+']).as_bytes();
    let leading_zero = unsigned.len() > 1 && unsigned[0] == b'0' && unsigned[1].is_ascii_digit();
    let unread = |p: &NumberParser| match !leading_zero && p.looks_like_number(t) {
        true => Class::Unread,
        false => Class::Text,
    };
    let Some(p) = numbers else {
        return match classify(t) {
            Class::Text => (t.to_string(), unread(&NumberParser::plain())),
            class => (t.to_string(), class),
        };
    };
    match p.parse(t.as_bytes()) {
        Ok(d) if !leading_zero => {
            let plain = d.plain();
            let class = classify(&plain);
            (plain, class)
        }
        _ => (t.to_string(), unread(p)),
    }
}

struct ColumnBuilder {
    field: usize,
    name: Option<String>,
    header: String,
    cells: Vec<Option<String>>,
    all_int: bool,
    all_num: bool,
    any: bool,
    /// Whether a value is a number, and whether one is text that does not look like a number.
    any_number: bool,
    any_text: bool,
    /// The first value written like a number that does not read as one: its row's index.
    first_unread: Option<usize>,
}

impl ColumnBuilder {
    fn new(field: usize, name: Option<String>, header: String) -> Self {
        ColumnBuilder {
            field,
            name,
            header,
            cells: Vec::new(),
            all_int: true,
            all_num: true,
            any: false,
            any_number: false,
            any_text: false,
            first_unread: None,
        }
    }

    fn push(&mut self, value: Option<(String, Class)>) {
        match value {
            None => self.cells.push(None),
            Some((text, class)) => {
                self.any = true;
                self.all_int &= class == Class::Int;
                self.all_num &= matches!(class, Class::Int | Class::Float);
                self.any_number |= matches!(class, Class::Int | Class::Float);
                self.any_text |= class == Class::Text;
                if class == Class::Unread && self.first_unread.is_none() {
                    self.first_unread = Some(self.cells.len());
                }
                self.cells.push(Some(text));
            }
        }
    }

    /// The row index of a value that makes this column of numbers unreadable: written like a
    /// number, not readable as one, in a column whose other values are numbers (none is text).
    fn unread_number(&self) -> Option<usize> {
        self.first_unread
            .filter(|_| self.any_number && !self.any_text)
    }

    fn finish(self, name: String) -> AttributeColumn {
        let values = if self.any && self.all_int {
            AttributeValues::Int(
                self.cells
                    .iter()
                    .map(|c| c.as_ref().and_then(|t| t.parse().ok()))
                    .collect(),
            )
        } else if self.any && self.all_num {
            AttributeValues::Float(
                self.cells
                    .iter()
                    .map(|c| c.as_ref().and_then(|t| t.parse().ok()))
                    .collect(),
            )
        } else {
            AttributeValues::Text(self.cells)
        };
        AttributeColumn {
            name,
            header: self.header,
            values,
        }
    }
}

/// Collects rows and checks ids.
struct TableBuilder {
    path: PathBuf,
    id_field: usize,
    columns: Vec<ColumnBuilder>,
    ids: Vec<String>,
    index: FxHashMap<Box<str>, usize>,
    rows: Vec<u64>,
    /// The id rule (`id_normalise`), applied to every id before it is checked and kept.
    rule: Option<IdNormalise>,
}

impl TableBuilder {
    /// Resolves `columns:` against the headers and names every other column.
    fn new(
        path: &Path,
        headers: &[String],
        map: &std::collections::BTreeMap<String, String>,
        rule: Option<&IdNormalise>,
    ) -> Result<TableBuilder, DataError> {
        let id_header = map.get("customer_id").ok_or_else(|| DataError::Config {
            path: path.to_path_buf(),
            message: "`columns:` must map customer_id to the header of the customer id column, \
                      e.g. columns: { customer_id: \"Cust ID\" }"
                .to_string(),
        })?;
        let id_field = find_column(path, headers, "customer_id", id_header)?;
        let mut names: Vec<Option<String>> = vec![None; headers.len()];
        for (name, header) in map.iter().filter(|(n, _)| n.as_str() != "customer_id") {
            if !valid_name(name) {
                return Err(DataError::Config {
                    path: path.to_path_buf(),
                    message: format!(
                        "`columns:` entry {name:?} is not a valid attribute name (lower case letters, \
                         digits and _, starting with a letter, not a reserved word); try {:?}",
                        identifier(name).unwrap_or_else(|_| suggest(name))
                    ),
                });
            }
            let field = find_column(path, headers, name, header)?;
            if field == id_field {
                return Err(DataError::Config {
                    path: path.to_path_buf(),
                    message: format!("`columns:` maps both customer_id and {name} to {header:?}"),
                });
            }
            if let Some(other) = &names[field] {
                return Err(DataError::Config {
                    path: path.to_path_buf(),
                    message: format!("`columns:` maps both {other} and {name} to {header:?}"),
                });
            }
            names[field] = Some(name.clone());
        }
        let mut columns = Vec::new();
        for (field, header) in headers.iter().enumerate() {
            if field == id_field {
                continue;
            }
            let name = match names[field].take() {
                Some(n) => Some(n),
                None if header.is_empty() => None, // decided once the data is read
                None => Some(
                    identifier(header).map_err(|message| DataError::AttributeName {
                        path: path.to_path_buf(),
                        header: header.clone(),
                        message,
                    })?,
                ),
            };
            columns.push(ColumnBuilder::new(field, name, header.clone()));
        }
        // Two columns with one name.
        for (i, a) in columns.iter().enumerate() {
            let Some(name) = &a.name else { continue };
            if name == "customer_id" {
                return Err(DataError::AttributeName {
                    path: path.to_path_buf(),
                    header: a.header.clone(),
                    message: format!(
                        "the column {:?} would be named customer_id, which is the id column's role; \
                         name it in `columns:`, e.g. columns: {{ other_customer_id: {:?} }}",
                        a.header, a.header
                    ),
                });
            }
            if let Some(b) = columns[i + 1..]
                .iter()
                .find(|b| b.name.as_ref() == Some(name))
            {
                return Err(DataError::AttributeName {
                    path: path.to_path_buf(),
                    header: b.header.clone(),
                    message: format!(
                        "the columns {:?} and {:?} would both be named {name}; name one in `columns:`, \
                         e.g. columns: {{ {name}_2: {:?} }}",
                        a.header, b.header, b.header
                    ),
                });
            }
        }
        Ok(TableBuilder {
            path: path.to_path_buf(),
            id_field,
            columns,
            ids: Vec::new(),
            index: FxHashMap::default(),
            rows: Vec::new(),
            rule: rule.filter(|r| !r.is_identity()).cloned(),
        })
    }

    /// Adds a row; `location` makes the location of a row number.
    fn push(
        &mut self,
        row: u64,
        id: String,
        values: impl FnMut(usize) -> Result<Option<(String, Class)>, DataError>,
        location: &dyn Fn(u64) -> Location,
    ) -> Result<(), DataError> {
        let mut values = values;
        let id = match &self.rule {
            Some(rule) => rule.apply(Cow::Owned(id)).into_owned(),
            None => id,
        };
        let n = self.ids.len();
        if let Some(&first) = self.index.get(id.as_str()) {
            return Err(DataError::DuplicateCustomer {
                path: self.path.clone(),
                id,
                first: location(self.rows[first]),
                again: location(row),
            });
        }
        for c in &mut self.columns {
            let v = values(c.field)?;
            c.push(v);
        }
        self.index.insert(id.as_str().into(), n);
        self.ids.push(id);
        self.rows.push(row);
        Ok(())
    }

    /// The table; `location` makes the location of a row number, `numbers` is the source's
    /// number format (`None`: plain), named when a column of numbers holds a value that does
    /// not read as one.
    fn finish(
        self,
        location: &dyn Fn(u64) -> Location,
        numbers: Option<&NumberParser>,
    ) -> Result<AttributeTable, DataError> {
        if let Some((c, k)) = self
            .columns
            .iter()
            .find_map(|c| Some((c, c.unread_number()?)))
        {
            let expected = match numbers {
                Some(p) => format!(
                    "a number written as the source's `number_format` says (such as {})",
                    p.example()
                ),
                None => {
                    "a plain number such as 1234.56 (the source has no `number_format`)".to_string()
                }
            };
            return Err(CellError {
                path: self.path.clone(),
                location: location(self.rows[k]),
                column: c.header.clone(),
                expected,
                found: shown(c.cells[k].as_deref().unwrap_or("").as_bytes()),
                note: Some(
                    "the column's other values are numbers; fix this value, or set `number_format` to the way the export writes numbers",
                ),
            }
            .into());
        }
        let mut columns = Vec::new();
        for c in self.columns {
            match c.name.clone() {
                Some(name) => columns.push(c.finish(name)),
                None if !c.any => {} // an empty column without a header: ignored
                None => {
                    return Err(DataError::Format {
                        path: self.path.clone(),
                        location: None,
                        message: format!(
                            "column {} has values but no header; give it a header",
                            c.field + 1
                        ),
                    })
                }
            }
        }
        Ok(AttributeTable {
            path: self.path,
            columns,
            ids: self.ids,
            index: self.index,
            source: None,
        })
    }
}

/// Reads the attribute table (delimited text or a spreadsheet), its ids normalised by
/// `id_normalise` when set. Errors on a missing or empty customer id, a repeated customer id
/// (after normalising), a record with the wrong number of fields, a spreadsheet
/// error cell (`#N/A`), and on columns that cannot be named.
///
/// The table is one file: a glob or list in `path` must name exactly one. How it was read
/// (delimiter, encoding, title, footer and totals lines) is in [`AttributeTable::source`].
pub fn read_customers(src: &CustomerSource, workspace: &Path) -> Result<AttributeTable, DataError> {
    let files = src.path.files(workspace)?;
    let [file] = files.as_slice() else {
        return Err(DataError::Config {
            path: src.path.shown(),
            message: format!(
                "the customer table is read from one file, but `path:` names {} ({}); combine them into one file or name one",
                files.len(),
                files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
            ),
        });
    };
    let kind = FileKind::of(
        file,
        src.sheet.as_ref(),
        src.delimiter,
        src.layout_options(),
    )?;
    let (mut table, read) = match kind {
        FileKind::Delimited(layout) => read_delimited(src, file, workspace, &layout)?,
        FileKind::Spreadsheet(layout) => read_spreadsheet(src, file, workspace, &layout)?,
    };
    table.source = Some(SourceRead {
        role: "customers".to_string(),
        path: src.path.to_string(),
        files: vec![read],
    });
    Ok(table)
}

fn read_delimited(
    src: &CustomerSource,
    path: &Path,
    workspace: &Path,
    layout: &Layout,
) -> Result<(AttributeTable, FileRead), DataError> {
    let mut op = open(path, workspace, layout, &CsvOptions::default())?;
    op.read_rest()?;
    let (delim, nl) = (op.delimiter(), op.terminator());
    let headers = op.headers.clone();
    let mut table = TableBuilder::new(path, &headers, &src.columns, src.id_normalise.as_ref())?;
    op.totals_field = Some(table.id_field);
    let (end, tail) = op.tail()?;
    let body = &op.rest[..end];
    let format = |line: Option<u64>, message: String| DataError::Format {
        path: path.to_path_buf(),
        location: line.map(Location::Line),
        message,
    };
    if let Some(q) = scan(body, delim, nl).open_quote {
        let line = op.rest_line + count_lines(&body[..q], nl);
        return Err(format(
            Some(line),
            "a quoted field starting on this line is never closed".into(),
        ));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(body);
    let mut record = ByteRecord::new();
    let mut lines = LineTracker::new(op.rest_line, nl);
    let start = |record: &ByteRecord| record.position().map_or(0, |p| p.byte()) as usize;
    let after = |from: usize| text_after_quote(&body[from..], delim).map(|at| at + from);
    let mut stray = after(0);
    let numbers = customer_numbers(src)?;
    let location = |line: u64| Location::Line(line);
    let mut rows = 0u64;
    // Every bad row is found in one pass and reported together (one alone keeps its message).
    let mut rejects = Rejects::default();
    loop {
        let more = rdr
            .read_byte_record(&mut record)
            .map_err(|e| format(None, e.to_string()))?;
        if !more {
            break;
        }
        rows += 1;
        let begin = start(&record);
        let end = (rdr.position().byte() as usize).min(body.len());
        let line = lines.line_at(body, begin as u64);
        let row = (|| {
            if let Some(at) = stray.filter(|&at| at < end) {
                stray = after(end);
                let bytes = (body, begin, at);
                return Err(text_after_quote_error(path, &headers, bytes, line, delim));
            }
            if record.len() != headers.len() {
                return Err(DataError::FieldCount {
                    path: path.to_path_buf(),
                    location: Location::Line(line),
                    expected: headers.len(),
                    found: record.len(),
                });
            }
            let cell_error = |field: usize, expected: &str| -> DataError {
                CellError {
                    path: path.to_path_buf(),
                    location: Location::Line(line),
                    column: headers[field].clone(),
                    expected: expected.to_string(),
                    found: shown(record.get(field).unwrap_or(b"")),
                    note: None,
                }
                .into()
            };
            let text = |field: usize| -> Result<&str, DataError> {
                let raw = record.get(field).unwrap_or(b"").trim_ascii();
                std::str::from_utf8(raw).map_err(|e| {
                    let hint = not_utf8_hint(&raw[e.valid_up_to()..]);
                    cell_error(field, &format!("UTF-8 text ({hint})"))
                })
            };
            let id = text(table.id_field)?;
            if id.is_empty() {
                return Err(cell_error(
                    table.id_field,
                    "a customer id (it must not be empty)",
                ));
            }
            table.push(
                line,
                id.to_string(),
                |field| {
                    let t = text(field)?;
                    Ok((!t.is_empty()).then(|| value(t, numbers.as_ref())))
                },
                &location,
            )
        })();
        match row {
            Ok(()) => {}
            Err(e @ (DataError::Cell(_) | DataError::FieldCount { .. })) => {
                let field = match &e {
                    DataError::Cell(c) => headers.iter().position(|h| *h == c.column),
                    _ => None,
                };
                rejects.add(BAD_ROW, None, || {
                    let row = Rejected::new(e, &body[begin..end]);
                    match field {
                        Some(field) => row.in_field(field, delim),
                        None => row,
                    }
                });
            }
            Err(e) => return Err(e),
        }
    }
    if rejects.total > 0 {
        return Err(DataError::BadRows(Box::new(BadRows {
            path: src.path.shown(),
            read: rows,
            limit: None,
            rejects,
            can_quarantine: false,
        })));
    }
    let mut read = file_read(&op, layout, tail);
    read.rows_read = rows;
    Ok((table.finish(&location, numbers.as_ref())?, read))
}

/// The number parser of the customer source (`None`: plain numbers).
fn customer_numbers(src: &CustomerSource) -> Result<Option<NumberParser>, DataError> {
    super::number_parser(
        &src.path.shown(),
        src.number_format.as_ref(),
        src.currency.as_deref(),
    )
}

fn excel_value(c: &Data, numbers: Option<&NumberParser>) -> Result<Option<(String, Class)>, ()> {
    Ok(match c {
        Data::Empty => None,
        Data::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| value(t, numbers))
        }
        Data::Int(i) => Some((i.to_string(), Class::Int)),
        Data::Float(f) => match super::parse::float_to_whole(*f) {
            Some(w) => Some((w.to_string(), Class::Int)),
            None if f.is_finite() => Some((f.to_string(), Class::Float)),
            None => Some((f.to_string(), Class::Text)),
        },
        Data::Bool(b) => Some((if *b { "TRUE" } else { "FALSE" }.to_string(), Class::Text)),
        Data::DateTime(_) | Data::DateTimeIso(_) | Data::DurationIso(_) => {
            Some((number_text(c), Class::Text))
        }
        Data::Error(_) => return Err(()),
    })
}

fn read_spreadsheet(
    src: &CustomerSource,
    path: &Path,
    workspace: &Path,
    layout: &SheetLayout,
) -> Result<(AttributeTable, FileRead), DataError> {
    let mut sheet = open_sheet(path, workspace, src.sheet.as_ref(), layout)?;
    let headers = sheet.headers();
    if headers.is_empty() {
        return Err(DataError::Format {
            path: path.to_path_buf(),
            location: None,
            message: format!(
                "sheet {:?} is empty: expected a header row naming the columns",
                sheet.name
            ),
        });
    }
    let mut table = TableBuilder::new(path, &headers, &src.columns, src.id_normalise.as_ref())?;
    sheet.cut_totals(table.id_field);
    let numbers = customer_numbers(src)?;
    let location = |row: u64| sheet.location(row);
    for (row, cells) in sheet.data_rows() {
        let cell = |field: usize| cells.get(field);
        if let Some((field, value)) = cells.beyond(headers.len()) {
            return Err(DataError::Format {
                path: path.to_path_buf(),
                location: Some(sheet.location(row)),
                message: format!(
                    "column {} holds {:?} but has no header; give it a header",
                    sheet.column_name(field),
                    shown_cell(value)
                ),
            });
        }
        let cell_error = |field: usize, expected: &str| -> DataError {
            CellError {
                path: path.to_path_buf(),
                location: sheet.location(row),
                column: headers[field].clone(),
                expected: expected.to_string(),
                found: shown(number_text(cell(field)).as_bytes()),
                note: None,
            }
            .into()
        };
        let id: Cow<'_, str> = match id_cell(cell(table.id_field)) {
            Ok(Some(id)) => id,
            _ => {
                return Err(cell_error(
                    table.id_field,
                    "a customer id (it must not be empty)",
                ))
            }
        };
        table.push(
            row,
            id.into_owned(),
            |field| {
                excel_value(cell(field), numbers.as_ref()).map_err(|_| {
                    cell_error(field, "a value (not a spreadsheet error such as #N/A)")
                })
            },
            &location,
        )?;
    }
    let read = sheet.file_read(path, table.ids.len() as u64);
    Ok((table.finish(&location, numbers.as_ref())?, read))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(identifier("Region Name").unwrap(), "region_name");
        assert_eq!(identifier(" segment ").unwrap(), "segment");
        assert_eq!(identifier("Spend ($)").unwrap(), "spend____");
        assert_eq!(identifier("Größe").unwrap(), "gr__e");
        assert_eq!(identifier("_private_flag").unwrap(), "_private_flag");
        assert_eq!(identifier("segment_2019").unwrap(), "segment_2019");
        let e = identifier("2019 Segment").unwrap_err();
        assert!(
            e.contains("columns: { segment_2019: \"2019 Segment\" }"),
            "{e}"
        );
        assert!(e.contains("does not start with a letter"), "{e}");
        let e = identifier("If").unwrap_err();
        assert!(
            e.contains("reserved word") && e.contains("if_value: \"If\""),
            "{e}"
        );
        for kw in ["in", "type_of", "this", "var", "null", "global"] {
            assert!(identifier(kw).is_err(), "{kw}");
        }
        assert!(identifier("").unwrap_err().contains("an empty name"));
        assert!(identifier("$$").unwrap_err().contains("my_attribute"));
        assert!(identifier("_1").is_err());
        assert!(identifier("2019").unwrap_err().contains("col_2019"));
    }

    #[test]
    fn classes() {
        assert_eq!(classify("12"), Class::Int);
        assert_eq!(classify("-12"), Class::Int);
        assert_eq!(classify("0"), Class::Int);
        assert_eq!(classify("007"), Class::Text);
        assert_eq!(classify("0.5"), Class::Float);
        assert_eq!(classify("-3.25"), Class::Float);
        assert_eq!(classify("3."), Class::Float);
        assert_eq!(classify(".5"), Class::Float);
        assert_eq!(classify("1e5"), Class::Text);
        assert_eq!(classify("1,000"), Class::Text);
        assert_eq!(classify("inf"), Class::Text);
        assert_eq!(classify("-"), Class::Text);
        assert_eq!(classify("."), Class::Text);
        assert_eq!(classify("99999999999999999999"), Class::Text);
        assert_eq!(classify("Gold"), Class::Text);
    }

    #[test]
    fn values_under_a_number_format() {
        let de =
            NumberParser::new(&crate::data::NumberFormat::Locale("de-DE".into()), None).unwrap();
        let v = |t: &str| value(t, Some(&de));
        assert_eq!(v("12.500,00"), ("12500.00".to_string(), Class::Float));
        assert_eq!(v("12.500"), ("12500".to_string(), Class::Int));
        assert_eq!(v("12,500.00").1, Class::Unread);
        assert_eq!(v("15.03.2024").1, Class::Unread);
        assert_eq!(v("0042").1, Class::Text);
        assert_eq!(v("Gold").1, Class::Text);
        let plain = |t: &str| value(t, None).1;
        assert_eq!(plain("1,000"), Class::Unread);
        assert_eq!(plain("1000"), Class::Int);
        assert_eq!(plain("K-12"), Class::Text);
        // A column of numbers with one unreadable value names it; one with other text does not.
        let mut c = ColumnBuilder::new(1, Some("target".into()), "Target".into());
        for t in ["12.500,00", "12,500.00", "3"] {
            c.push(Some(v(t)));
        }
        assert_eq!(c.unread_number(), Some(1));
        c.push(Some(v("n/a")));
        assert_eq!(c.unread_number(), None);
        let mut dates = ColumnBuilder::new(1, None, "Since".into());
        dates.push(Some(v("15.03.2024")));
        assert_eq!(dates.unread_number(), None, "no value is a number");
    }
}
