//! TEMPORARY placeholder for the data stage (replaced by the parallel loader).
#![allow(missing_docs)]
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);
impl Day {
    pub fn from_date(d: jiff::civil::Date) -> Day {
        let epoch = jiff::civil::date(1970, 1, 1);
        Day(days_between(epoch, d))
    }
    pub fn to_date(self) -> jiff::civil::Date {
        jiff::civil::date(1970, 1, 1)
            .checked_add(jiff::Span::new().days(self.0 as i64))
            .unwrap()
    }
    pub fn parse_iso(s: &str) -> Option<Day> {
        s.parse::<jiff::civil::Date>().ok().map(Day::from_date)
    }
}
fn days_between(a: jiff::civil::Date, b: jiff::civil::Date) -> i32 {
    a.until((jiff::Unit::Day, b)).unwrap().get_days()
}
impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_date())
    }
}
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TransactionSource {
    pub path: PathBuf,
    pub columns: TransactionColumns,
    #[serde(default)]
    pub date_format: Option<String>,
    #[serde(default)]
    pub sheet: Option<String>,
    #[serde(default)]
    pub delimiter: Option<char>,
}
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TransactionColumns {
    pub customer_id: String,
    pub date: String,
    pub amount: String,
    #[serde(default)]
    pub cost: Option<String>,
    #[serde(default)]
    pub quantity: Option<String>,
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
}
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CustomerSource {
    pub path: PathBuf,
    pub columns: BTreeMap<String, String>,
    #[serde(default)]
    pub sheet: Option<String>,
    #[serde(default)]
    pub delimiter: Option<char>,
}
pub struct Row<'a> {
    pub customer_id: &'a str,
    pub day: Day,
    pub amount: i64,
    pub cost: i64,
    pub quantity: i64,
    pub order_id: Option<&'a str>,
    pub product: Option<&'a str>,
    pub channel: Option<&'a str>,
}
pub trait RowSink: Send {
    fn push(&mut self, row: &Row<'_>);
    fn merge(&mut self, other: Self)
    where
        Self: Sized;
}
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadStats {
    pub rows_read: u64,
    pub rows_used: u64,
    pub excluded_after_as_of: u64,
    pub zero_amount_rows: u64,
    pub refund_rows: u64,
    pub first_day: Option<Day>,
    pub last_day: Option<Day>,
}
pub trait Progress: Sync {
    fn advance(&self, done: u64, total: u64);
}
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DataError(pub String);

fn parse_day(s: &str, fmt: &Option<String>) -> Option<Day> {
    match fmt.as_deref() {
        None | Some("%Y-%m-%d") => Day::parse_iso(s),
        Some(f) => jiff::civil::Date::strptime(f, s).ok().map(Day::from_date),
    }
}
pub fn parse_cents(s: &str) -> Result<i64, &'static str> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let (w, f) = body.split_once('.').unwrap_or((body, ""));
    if w.is_empty() && f.is_empty() {
        return Err("expected an amount");
    }
    let f = f.trim_end_matches('0');
    if f.len() > 2
        || !w.bytes().all(|b| b.is_ascii_digit())
        || !f.bytes().all(|b| b.is_ascii_digit())
    {
        return Err("expected an amount such as 12.34");
    }
    let whole: i64 = if w.is_empty() {
        0
    } else {
        w.parse().map_err(|_| "too large")?
    };
    let frac: i64 = format!("{f:0<2}").parse().unwrap_or(0);
    let v = whole * 100 + frac;
    Ok(if neg { -v } else { v })
}
pub fn format_cents(c: i64) -> String {
    let sign = if c < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:02}",
        c.unsigned_abs() / 100,
        c.unsigned_abs() % 100
    )
}
fn open(
    src: &TransactionSource,
    ws: &Path,
) -> Result<(csv::Reader<std::fs::File>, Vec<usize>, PathBuf), DataError> {
    let path = ws.join(&src.path);
    let mut r = csv::ReaderBuilder::new()
        .from_path(&path)
        .map_err(|e| DataError(format!("{}: {e}", path.display())))?;
    let h = r.headers().map_err(|e| DataError(e.to_string()))?.clone();
    let c = &src.columns;
    let mut idx = vec![];
    for name in [
        Some(&c.customer_id),
        Some(&c.date),
        Some(&c.amount),
        c.cost.as_ref(),
        c.quantity.as_ref(),
        c.order_id.as_ref(),
    ] {
        idx.push(match name {
            Some(n) => h
                .iter()
                .position(|x| x == n)
                .ok_or_else(|| DataError(format!("{}: no column {n}", path.display())))?,
            None => usize::MAX,
        });
    }
    Ok((r, idx, path))
}
pub fn latest_day(
    src: &TransactionSource,
    ws: &Path,
    _p: Option<&dyn Progress>,
) -> Result<Option<Day>, DataError> {
    let (mut r, idx, path) = open(src, ws)?;
    let mut best = None;
    for rec in r.records() {
        let rec = rec.map_err(|e| DataError(e.to_string()))?;
        let d = parse_day(&rec[idx[1]], &src.date_format)
            .ok_or_else(|| DataError(format!("{}: bad date", path.display())))?;
        best = best.max(Some(d));
    }
    Ok(best)
}
pub fn read_transactions<S: RowSink>(
    src: &TransactionSource,
    ws: &Path,
    as_of: Day,
    make_sink: impl Fn() -> S + Sync,
    _p: Option<&dyn Progress>,
) -> Result<(S, LoadStats), DataError> {
    let (mut r, idx, path) = open(src, ws)?;
    let mut sink = make_sink();
    let mut st = LoadStats::default();
    for rec in r.records() {
        let rec = rec.map_err(|e| DataError(e.to_string()))?;
        st.rows_read += 1;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let bad = |what: &str| DataError(format!("{}, line {line}: {what}", path.display()));
        let day = parse_day(&rec[idx[1]], &src.date_format).ok_or_else(|| bad("bad date"))?;
        let amount = parse_cents(&rec[idx[2]]).map_err(bad)?;
        let cost = if idx[3] == usize::MAX {
            0
        } else {
            parse_cents(&rec[idx[3]]).map_err(bad)?
        };
        let quantity = if idx[4] == usize::MAX {
            0
        } else {
            rec[idx[4]].parse().map_err(|_| bad("bad quantity"))?
        };
        if day > as_of {
            st.excluded_after_as_of += 1;
            continue;
        }
        st.rows_used += 1;
        if amount == 0 {
            st.zero_amount_rows += 1
        }
        if amount < 0 {
            st.refund_rows += 1
        }
        st.first_day = Some(st.first_day.map_or(day, |d| d.min(day)));
        st.last_day = Some(st.last_day.map_or(day, |d| d.max(day)));
        let order_id = if idx[5] == usize::MAX {
            None
        } else {
            Some(&rec[idx[5]])
        };
        sink.push(&Row {
            customer_id: &rec[idx[0]],
            day,
            amount,
            cost,
            quantity,
            order_id,
            product: None,
            channel: None,
        });
    }
    Ok((sink, st))
}
pub struct AttributeTable {
    pub path: PathBuf,
    pub columns: Vec<AttributeColumn>,
    pub ids: Vec<String>,
}
pub struct AttributeColumn {
    pub name: String,
    pub header: String,
    pub values: AttributeValues,
}
pub enum AttributeValues {
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
}
impl AttributeTable {
    pub fn row_of(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|x| x == id)
    }
}
pub fn read_customers(src: &CustomerSource, _ws: &Path) -> Result<AttributeTable, DataError> {
    Err(DataError(format!(
        "{}: attribute tables not yet supported",
        src.path.display()
    )))
}
