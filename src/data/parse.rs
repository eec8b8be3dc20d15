//! Hand-written parsers for the hot path: money as exact integer cents, whole numbers, dates.

use rustc_hash::FxHashMap;

use super::date_shape::Shape;
use super::day::{checked_day, digits, parse_compact_bytes, parse_iso_bytes, Day};
use super::{CellProblem, Expected};

/// Parses a money amount into exact integer cents.
///
/// Accepted: an optional sign, digits, and an optional decimal point followed by digits: `12`,
/// `12.3`, `12.30`, `-0.50`, `+3`, `.5`, `7.`. At most 2 significant decimals: further decimals must
/// be zeros (`1.500` is 150 cents, `1.505` is rejected, never rounded). Surrounding ASCII whitespace
/// is ignored. Rejected, with the reason: empty text, exponents (`1e2`), thousands separators or
/// decimal commas (`1,000`, `12,50`), currency signs and anything else, and amounts whose cents do
/// not fit an `i64`.
pub fn parse_cents(s: &str) -> Result<i64, &'static str> {
    parse_cents_bytes(s.as_bytes())
}

/// [`parse_cents`] over bytes.
#[inline]
pub(crate) fn parse_cents_bytes(b: &[u8]) -> Result<i64, &'static str> {
    let b = b.trim_ascii();
    let (neg, b) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        Some(_) => (false, b),
        None => return Err("empty"),
    };
    let mut i = 0;
    let mut whole: i64 = 0;
    while i < b.len() {
        let d = b[i].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        whole = whole
            .checked_mul(10)
            .and_then(|w| w.checked_add(i64::from(d)))
            .ok_or(TOO_LARGE)?;
        i += 1;
    }
    let int_digits = i;
    let mut frac: i64 = 0;
    let mut frac_digits = 0usize;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() {
            let d = b[i].wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            if frac_digits < 2 {
                frac = frac * 10 + i64::from(d);
            } else if d != 0 {
                return Err("more than 2 decimals");
            }
            frac_digits += 1;
            i += 1;
        }
    }
    if i < b.len() {
        return Err(match b[i] {
            b',' => "thousands separators and decimal commas are not accepted",
            b'e' | b'E' => "exponents are not accepted",
            b'.' => "more than one decimal point",
            _ => "not a number",
        });
    }
    if int_digits + frac_digits == 0 {
        return Err("not a number");
    }
    if frac_digits == 1 {
        frac *= 10;
    }
    let cents = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac))
        .ok_or(TOO_LARGE)?;
    Ok(if neg { -cents } else { cents })
}

const TOO_LARGE: &str = "too large";

/// Formats cents as a plain decimal with 2 decimals and no separators: `-0.50`, `12.00`,
/// `1234567.89`.
pub fn format_cents(cents: i64) -> String {
    let abs = cents.unsigned_abs();
    format!(
        "{}{}.{:02}",
        if cents < 0 { "-" } else { "" },
        abs / 100,
        abs % 100
    )
}

/// Parses a whole number (a quantity): optional sign, digits, and optionally a decimal point
/// followed only by zeros (`3`, `-1`, `2.0`). Surrounding ASCII whitespace is ignored.
#[inline]
pub(crate) fn parse_whole_bytes(b: &[u8]) -> Option<i64> {
    let b = b.trim_ascii();
    let (neg, b) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    let mut i = 0;
    let mut v: i64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        v = v.checked_mul(10)?.checked_add(i64::from(b[i] - b'0'))?;
        i += 1;
    }
    if i == 0 {
        return None;
    }
    if i < b.len() && (b[i] != b'.' || !b[i + 1..].iter().all(|&c| c == b'0')) {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// Converts a spreadsheet number (a float) to cents when it is within 1e-6 of a whole cent.
pub(crate) fn float_to_cents(x: f64) -> Option<i64> {
    if !x.is_finite() {
        return None;
    }
    let scaled = x * 100.0;
    let rounded = scaled.round();
    if (scaled - rounded).abs() > 1e-4 || rounded.abs() >= 9.0e18 {
        return None;
    }
    Some(rounded as i64)
}

/// Converts a spreadsheet number to a whole number when it is one.
pub(crate) fn float_to_whole(x: f64) -> Option<i64> {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 {
        Some(x as i64)
    } else {
        None
    }
}

/// Converts an Excel serial date number (1900 date system, Lotus leap-year bug included) to a day.
/// The time part is dropped. Serial 60 (the non-existent 1900-02-29) and values outside Excel's
/// range are rejected.
pub(crate) fn excel_serial_to_day(serial: f64) -> Option<Day> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let whole = serial.floor() as i32;
    // 1899-12-31 is serial 0 for serials below 60; from serial 61 on, serial 0 is 1899-12-30.
    let base = checked_day(1900, 1, 1)?.0 - 1;
    match whole {
        60 => None,
        w if w < 60 => Some(Day(base + w)),
        w => Some(Day(base - 1 + w)),
    }
}

/// The hand-written fast paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fast {
    /// `%Y-%m-%d`.
    Iso,
    /// `%Y%m%d`.
    Compact,
    /// Day, month and year separated by punctuation (`%d.%m.%Y`, `%m/%d/%Y`).
    Fixed(Fixed),
    /// None: jiff, after the exact shape check.
    No,
}

/// A date format of `%d`, `%m` and `%Y` in some order with one punctuation character between
/// them (`%d.%m.%Y`, `%d/%m/%Y`, `%m/%d/%Y`, `%Y/%m/%d`): every date it writes is 10 bytes
/// with the numbers and separators at fixed offsets, so a cell is read in place. Exactly the
/// cells the general path accepts (its shape check wants 2, 2 and 4 digits and the separators
/// as they are), with the same days (a test compares both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fixed {
    /// Offsets of the year, month and day.
    ymd: [usize; 3],
    /// The separators: offset and byte.
    seps: [(usize, u8); 2],
}

impl Fixed {
    /// The layout of `format`, when it is such a format.
    fn of(format: &str) -> Option<Fixed> {
        let f = format.as_bytes();
        if f.len() != 8 || f[0] != b'%' || f[3] != b'%' || f[6] != b'%' {
            return None;
        }
        let sep = |c: u8| c.is_ascii_punctuation() && c != b'%';
        if !sep(f[2]) || !sep(f[5]) {
            return None;
        }
        let (mut ymd, mut seps) = ([usize::MAX; 3], [(0, 0); 2]);
        let mut at = 0;
        for (k, directive) in [f[1], f[4], f[7]].into_iter().enumerate() {
            let (slot, width) = match directive {
                b'Y' => (0, 4),
                b'm' => (1, 2),
                b'd' => (2, 2),
                _ => return None,
            };
            if ymd[slot] != usize::MAX {
                return None;
            }
            ymd[slot] = at;
            at += width;
            if k < 2 {
                seps[k] = (at, f[2 + 3 * k]);
                at += 1;
            }
        }
        Some(Fixed { ymd, seps })
    }

    /// Reads a cell written exactly in the format (no surrounding whitespace).
    #[inline]
    fn parse(self, b: &[u8]) -> Option<Day> {
        if b.len() != 10 || self.seps.iter().any(|&(at, c)| b[at] != c) {
            return None;
        }
        let [y, m, d] = self.ymd;
        let y = digits::<4>(&b[y..])?;
        checked_day(y as i32, digits::<2>(&b[m..])?, digits::<2>(&b[d..])?)
    }
}

/// One strftime-style format of `date_format`.
#[derive(Debug, Clone)]
struct Pattern {
    /// The format text.
    text: String,
    shape: Shape,
    /// The width of a written date when it is all digits (`%Y%m%d`: 8).
    digits_only: Option<usize>,
}

/// One accepted way of writing a date.
#[derive(Debug, Clone)]
enum Entry {
    /// A strftime-style format.
    Pattern(Pattern),
    /// `excel`: an Excel serial day number written as text (`45123`, or `45123.5` whose time
    /// fraction is dropped).
    Excel,
}

/// The `date_format` entry that reads Excel serial day numbers.
const EXCEL: &str = "excel";

/// The sample date of messages and checks.
fn sample() -> jiff::civil::DateTime {
    jiff::civil::date(2024, 7, 15).at(13, 45, 30, 0)
}

impl Pattern {
    /// Checks a format by formatting a sample date-time with it and parsing it back.
    fn new(text: &str) -> Result<Pattern, String> {
        let sample = sample();
        let written = jiff::fmt::strtime::format(text, sample).map_err(|e| {
            format!("date_format {text:?} is not a usable strftime format ({e}); write it like \"%d/%m/%Y\" (or \"excel\" for serial day numbers)")
        })?;
        let pattern = Pattern {
            text: text.to_string(),
            shape: Shape::new(text),
            digits_only: (!written.is_empty() && written.bytes().all(|c| c.is_ascii_digit()))
                .then_some(written.len()),
        };
        match pattern.parse(written.as_bytes()) {
            Some(d) if d == Day::from_date(sample.date()) => Ok(pattern),
            _ => Err(format!(
                "date_format {text:?} does not describe a full date (year, month and day): \
                 2024-07-15 would be written {written:?} and could not be read back; \
                 write it like \"%d/%m/%Y\""
            )),
        }
    }

    /// Parses a trimmed cell: exact shape, then jiff.
    fn parse(&self, b: &[u8]) -> Option<Day> {
        self.shape.check(b).ok()?;
        let tm = jiff::fmt::strtime::parse(&self.text, b).ok()?;
        let date = tm.to_date().ok()?;
        // Keep to the years the fast paths accept.
        checked_day(
            i32::from(date.year()),
            date.month() as u32,
            date.day() as u32,
        )
    }

    /// The sample date written in this format.
    fn example(&self) -> String {
        jiff::fmt::strtime::format(&self.text, sample()).unwrap_or_else(|_| "2024-07-15".into())
    }
}

/// An Excel serial day number written as text: digits, optionally a time fraction (dropped).
fn parse_excel_text(b: &[u8]) -> Option<Day> {
    let (whole, frac) = match memchr::memchr(b'.', b) {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    if !digits(whole) || whole.len() > 7 || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    let serial = whole
        .iter()
        .fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'));
    excel_serial_to_day(f64::from(serial))
}

/// How date cells are written, parsed from `date_format`: one format or a list tried in order.
/// A cell must match a format exactly (see [`Shape`]); surrounding whitespace is trimmed first.
#[derive(Debug, Clone)]
pub(crate) struct DateFormat {
    entries: Vec<Entry>,
    /// The hand-written fast path, for a single ISO or compact format.
    fast: Fast,
}

impl DateFormat {
    /// Checks one `date_format` (default ISO `%Y-%m-%d`).
    pub(crate) fn new(format: Option<&str>) -> Result<DateFormat, String> {
        DateFormat::list(&[format.unwrap_or("%Y-%m-%d")])
    }

    /// Checks a list of formats (each a strftime-style format or `excel`), tried in order.
    pub(crate) fn list(formats: &[&str]) -> Result<DateFormat, String> {
        if formats.is_empty() {
            return Err(
                "date_format is an empty list; give at least one format such as \"%d.%m.%Y\""
                    .to_string(),
            );
        }
        let entries = formats
            .iter()
            .map(|&f| match f.trim() {
                EXCEL => Ok(Entry::Excel),
                _ => Pattern::new(f).map(Entry::Pattern),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let fast = match formats {
            ["%Y-%m-%d" | "%F"] => Fast::Iso,
            ["%Y%m%d"] => Fast::Compact,
            [one] => Fixed::of(one).map_or(Fast::No, Fast::Fixed),
            _ => Fast::No,
        };
        Ok(DateFormat { entries, fast })
    }

    /// The width of a date written in this format when it is digits only (`%Y%m%d`: 8): then a
    /// number cell in a spreadsheet is such a date, not a serial date number. `None` when the
    /// list has `excel`.
    pub(crate) fn digits_only(&self) -> Option<usize> {
        let mut width = None;
        for entry in &self.entries {
            match entry {
                Entry::Excel => return None,
                Entry::Pattern(p) => width = width.or(p.digits_only),
            }
        }
        width
    }

    /// What an error message says was expected, with an example in each format.
    pub(crate) fn expected(&self) -> String {
        let one = |e: &Entry| match e {
            Entry::Pattern(p) => format!("{:?} (date_format {:?})", p.example(), p.text),
            Entry::Excel => {
                "an Excel serial day number such as \"45488\" (date_format \"excel\")".to_string()
            }
        };
        match self.entries.as_slice() {
            [Entry::Pattern(p)] => format!(
                "a date written exactly like {:?} (date_format {:?})",
                p.example(),
                p.text
            ),
            [Entry::Excel] => one(&Entry::Excel),
            many => format!(
                "a date written exactly in one of the date_format formats: {}",
                many.iter().map(one).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// Parses a trimmed cell: each entry in order (no fast path, no cache).
    fn parse_slow(&self, b: &[u8]) -> Option<Day> {
        self.entries.iter().find_map(|e| match e {
            Entry::Pattern(p) => p.parse(b),
            Entry::Excel => parse_excel_text(b),
        })
    }

    /// Why a cell is not a date in this format, when there is more to say than "expected ...".
    #[cold]
    pub(crate) fn why_not(&self, b: &[u8]) -> Option<&'static str> {
        let b = b.trim_ascii();
        if b.is_empty() {
            return Some("the cell is empty");
        }
        match self.entries.as_slice() {
            [Entry::Pattern(p)] => match p.shape.check(b) {
                Err(why) => Some(why),
                Ok(()) => Some("there is no such date (a month from 1 to 12, a day that exists in it, a year from 1 to 9999)"),
            },
            [Entry::Excel] => Some("a serial day number from 1 (1900-01-01) to 2958465 (9999-12-31), digits only"),
            _ => Some("no format of the list reads it"),
        }
    }
}

/// `parse` of `b` without its surrounding whitespace, when it has some (the rare case, kept off the
/// fast path).
#[cold]
fn trimmed(b: &[u8], parse: impl Fn(&[u8]) -> Option<Day>) -> Option<Day> {
    let t = b.trim_ascii();
    (t.len() < b.len()).then(|| parse(t)).flatten()
}

/// A per-thread date parser: the fast paths, then jiff with a cache (exports repeat the same few
/// thousand date strings millions of times).
pub(crate) struct DateParser<'f> {
    format: &'f DateFormat,
    cache: FxHashMap<Box<[u8]>, Day>,
}

impl<'f> DateParser<'f> {
    /// A parser for one thread.
    pub(crate) fn new(format: &'f DateFormat) -> Self {
        DateParser {
            format,
            cache: FxHashMap::default(),
        }
    }

    /// The format.
    pub(crate) fn format(&self) -> &'f DateFormat {
        self.format
    }

    /// Parses a date cell (surrounding whitespace trimmed); `None` when it is not a valid date
    /// written exactly in the format.
    #[inline]
    pub(crate) fn parse(&mut self, b: &[u8]) -> Option<Day> {
        match self.format.fast {
            Fast::Iso => parse_iso_bytes(b).or_else(|| trimmed(b, parse_iso_bytes)),
            Fast::Compact => parse_compact_bytes(b).or_else(|| trimmed(b, parse_compact_bytes)),
            Fast::Fixed(f) => f.parse(b).or_else(|| trimmed(b, |t| f.parse(t))),
            Fast::No => self.parse_cached(b),
        }
    }

    /// The problem to report for a date cell `b` in `field` that [`DateParser::parse`] rejected.
    #[cold]
    pub(crate) fn problem(&self, field: usize, b: &[u8]) -> CellProblem {
        CellProblem {
            field,
            expected: Expected::Date,
            note: self.format.why_not(b),
        }
    }

    fn parse_cached(&mut self, b: &[u8]) -> Option<Day> {
        if let Some(&d) = self.cache.get(b) {
            return Some(d);
        }
        let d = self.format.parse_slow(b.trim_ascii())?;
        if self.cache.len() >= 1 << 16 {
            self.cache.clear(); // distinct timestamps: keep memory bounded
        }
        self.cache.insert(b.into(), d);
        Some(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn day(y: i16, m: i8, d: i8) -> Day {
        Day::from_date(date(y, m, d))
    }

    #[test]
    fn cents_exact() {
        let ok = [
            ("12", 1200),
            ("12.3", 1230),
            ("12.30", 1230),
            ("12.34", 1234),
            ("-0.50", -50),
            ("-.5", -50),
            ("+3", 300),
            ("0", 0),
            ("-0", 0),
            ("0.00", 0),
            ("1.500", 150),
            ("1.5000000", 150),
            ("7.", 700),
            (".07", 7),
            (" 42.10 ", 4210),
            ("0.29", 29), // 0.29 * 100 is 28.999999999999996 as f64
            ("1234567.89", 123_456_789),
            ("92233720368547758.07", i64::MAX),
            ("-92233720368547758.07", -i64::MAX),
        ];
        for (text, cents) in ok {
            assert_eq!(parse_cents(text), Ok(cents), "{text}");
        }
    }

    #[test]
    fn cents_rejects() {
        let bad = [
            ("", "empty"),
            ("   ", "empty"),
            ("-", "not a number"),
            (".", "not a number"),
            ("1.505", "more than 2 decimals"),
            ("0.001", "more than 2 decimals"),
            ("1e2", "exponents are not accepted"),
            ("1E2", "exponents are not accepted"),
            (
                "1,000",
                "thousands separators and decimal commas are not accepted",
            ),
            (
                "12,50",
                "thousands separators and decimal commas are not accepted",
            ),
            ("1.2.3", "more than one decimal point"),
            ("$12", "not a number"),
            ("12 34", "not a number"),
            ("--1", "not a number"),
            ("abc", "not a number"),
            ("NaN", "not a number"),
            ("92233720368547758.08", "too large"),
            ("99999999999999999999", "too large"),
        ];
        for (text, why) in bad {
            assert_eq!(parse_cents(text), Err(why), "{text}");
        }
    }

    #[test]
    fn cents_format_round_trip() {
        assert_eq!(format_cents(-50), "-0.50");
        assert_eq!(format_cents(1200), "12.00");
        assert_eq!(format_cents(123_456_789), "1234567.89");
        assert_eq!(format_cents(0), "0.00");
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(format_cents(i64::MIN), "-92233720368547758.08");
        for c in [-100_001, -99, -1, 0, 1, 9, 10, 99, 100, 12_345, i64::MAX] {
            assert_eq!(parse_cents(&format_cents(c)), Ok(c));
        }
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(parse_whole_bytes(b"3"), Some(3));
        assert_eq!(parse_whole_bytes(b"-1"), Some(-1));
        assert_eq!(parse_whole_bytes(b" 2.00 "), Some(2));
        assert_eq!(parse_whole_bytes(b"2."), Some(2));
        assert_eq!(parse_whole_bytes(b"2.5"), None);
        assert_eq!(parse_whole_bytes(b""), None);
        assert_eq!(parse_whole_bytes(b".0"), None);
        assert_eq!(parse_whole_bytes(b"1e3"), None);
        assert_eq!(parse_whole_bytes(b"99999999999999999999"), None);
    }

    #[test]
    fn floats_to_cents() {
        assert_eq!(float_to_cents(12.34), Some(1234));
        assert_eq!(float_to_cents(0.29), Some(29));
        assert_eq!(float_to_cents(-0.5), Some(-50));
        assert_eq!(float_to_cents(1.0 / 3.0), None);
        assert_eq!(float_to_cents(12.345), None);
        assert_eq!(float_to_cents(f64::NAN), None);
        assert_eq!(float_to_whole(3.0), Some(3));
        assert_eq!(float_to_whole(3.5), None);
    }

    #[test]
    fn excel_serials() {
        assert_eq!(excel_serial_to_day(1.0), Some(day(1900, 1, 1)));
        assert_eq!(excel_serial_to_day(59.0), Some(day(1900, 2, 28)));
        assert_eq!(excel_serial_to_day(60.0), None);
        assert_eq!(excel_serial_to_day(61.0), Some(day(1900, 3, 1)));
        assert_eq!(excel_serial_to_day(45_306.75), Some(day(2024, 1, 15)));
        assert_eq!(excel_serial_to_day(0.5), None);
        assert_eq!(excel_serial_to_day(20_240_115.0), None);
    }

    #[test]
    fn date_fast_paths_are_exact() {
        let iso = DateFormat::new(None).unwrap();
        let mut p = DateParser::new(&iso);
        assert_eq!(p.parse(b"2024-02-29"), Some(day(2024, 2, 29)));
        assert_eq!(p.parse(b" 2024-07-05 "), Some(day(2024, 7, 5)));
        for bad in [
            &b"2023-02-29"[..],
            b"2024-13-01",
            b"2024-7-5",
            b"+2024-07-05",
            b"2024-07-05 10:00:00",
            b"",
        ] {
            assert_eq!(p.parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(
            p.problem(3, b"2024-7-5").note,
            Some(super::super::date_shape::why::SHORT)
        );
        assert_eq!(p.problem(3, b" ").note, Some("the cell is empty"));
        assert!(p
            .problem(3, b"2023-02-29")
            .note
            .unwrap()
            .contains("no such date"));

        let compact = DateFormat::new(Some("%Y%m%d")).unwrap();
        assert_eq!(compact.fast, Fast::Compact);
        assert_eq!(compact.digits_only(), Some(8));
        assert_eq!(iso.digits_only(), None);
        let mut p = DateParser::new(&compact);
        assert_eq!(p.parse(b"19970101"), Some(day(1997, 1, 1)));
        for bad in [
            &b"19970230"[..],
            b"1997-01-01",
            b"2024115",
            b"2024015",
            b"+2024015",
            b"202411050",
        ] {
            assert_eq!(p.parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(
            p.problem(0, b"+2024015").note,
            Some(super::super::date_shape::why::SIGN)
        );
    }

    #[test]
    fn fixed_layouts_read_what_the_general_path_reads() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let formats = ["%d.%m.%Y", "%m/%d/%Y", "%Y/%m/%d", "%d-%m-%Y", "%m.%Y.%d"];
        let noise = b"0123456789./- +x";
        let mut read = 0;
        for (i, f) in formats.iter().enumerate() {
            let format = DateFormat::new(Some(f)).unwrap();
            assert!(matches!(format.fast, Fast::Fixed(_)), "{f}");
            let mut p = DateParser::new(&format);
            for _ in 0..20_000 {
                let date = jiff::civil::date(1 + (rng.next_u32() % 9999) as i16, 1, 1)
                    .checked_add(jiff::Span::new().days(i64::from(rng.next_u32() % 400)))
                    .unwrap_or(jiff::civil::date(2024, 2, 29));
                let mut cell = jiff::fmt::strtime::format(f, date).unwrap().into_bytes();
                if rng.next_u32() % 2 == 0 {
                    let at = (rng.next_u32() as usize) % (cell.len() + 1);
                    let c = noise[(rng.next_u32() as usize) % noise.len()];
                    match rng.next_u32() % 3 {
                        0 if at < cell.len() => cell[at] = c,
                        1 => cell.insert(at, c),
                        _ if at < cell.len() => {
                            cell.remove(at);
                        }
                        _ => {}
                    }
                }
                let general = format.parse_slow(cell.trim_ascii());
                read += usize::from(general.is_some());
                assert_eq!(
                    p.parse(&cell),
                    general,
                    "{f} {:?}",
                    String::from_utf8_lossy(&cell)
                );
            }
            assert!(read > 10_000 * (i + 1), "{read}");
        }
        for not_fixed in ["%d.%m.%y", "%-d.%m.%Y", "%d %m %Y", "%d.%d.%Y", "%Y%m%d"] {
            let format = DateFormat::new(Some(not_fixed));
            assert!(format.is_err() || !matches!(format.unwrap().fast, Fast::Fixed(_)));
        }
    }

    #[test]
    fn date_strftime() {
        let us = DateFormat::new(Some("%m/%d/%Y")).unwrap();
        let mut p = DateParser::new(&us);
        assert_eq!(p.parse(b"07/15/2024"), Some(day(2024, 7, 15)));
        assert_eq!(p.parse(b"07/15/2024"), Some(day(2024, 7, 15))); // cached
        assert_eq!(p.parse(b" 07/15/2024"), Some(day(2024, 7, 15)));
        assert_eq!(p.parse(b"7/5/2024"), None);
        assert_eq!(p.parse(b"15/07/2024"), None);
        assert_eq!(p.parse(b"02/30/2024"), None);
        let loose = DateFormat::new(Some("%-m/%-d/%Y")).unwrap();
        let mut p = DateParser::new(&loose);
        assert_eq!(p.parse(b"7/5/2024"), Some(day(2024, 7, 5)));
        assert_eq!(p.parse(b"12/25/2024"), Some(day(2024, 12, 25)));
        assert_eq!(p.parse(b"07/05/2024"), None);

        let with_time = DateFormat::new(Some("%Y-%m-%d %H:%M:%S")).unwrap();
        let mut p = DateParser::new(&with_time);
        assert_eq!(p.parse(b"2024-07-15 23:59:59"), Some(day(2024, 7, 15)));
        assert_eq!(p.parse(b"2024-07-15"), None);
        assert_eq!(p.parse(b"2024-07-15 9:59:59"), None);

        let eu = DateFormat::new(Some("%d.%m.%y")).unwrap();
        assert_eq!(
            DateParser::new(&eu).parse(b"15.07.24"),
            Some(day(2024, 7, 15))
        );
        assert!(eu.expected().contains("\"15.07.24\""), "{}", eu.expected());
        // A 4-digit year format does not take a 2-digit year (it would be the year 24).
        let eu4 = DateFormat::new(Some("%d.%m.%Y")).unwrap();
        let mut p = DateParser::new(&eu4);
        assert_eq!(p.parse(b"01.02.24"), None);
        assert_eq!(p.parse(b"01.02.0024"), Some(day(24, 2, 1)));

        let names = DateFormat::new(Some("%d-%b-%Y")).unwrap();
        assert_eq!(
            DateParser::new(&names).parse(b"05-JUL-2024"),
            Some(day(2024, 7, 5))
        );

        assert!(DateFormat::new(Some("%Y-%m")).is_err());
        assert!(DateFormat::new(Some("%Q")).is_err());
        assert!(DateFormat::new(Some("nonsense")).is_err());
    }

    #[test]
    fn date_format_lists_are_tried_in_order() {
        let both = DateFormat::list(&["%d.%m.%Y", "%Y-%m-%d"]).unwrap();
        assert_eq!(both.fast, Fast::No);
        let mut p = DateParser::new(&both);
        assert_eq!(p.parse(b"15.07.2024"), Some(day(2024, 7, 15)));
        assert_eq!(p.parse(b"2024-07-16"), Some(day(2024, 7, 16)));
        assert_eq!(p.parse(b"16/07/2024"), None);
        assert_eq!(p.parse(b"5.7.2024"), None); // each format stays strict
        let expected = both.expected();
        assert!(
            expected.contains("\"15.07.2024\" (date_format \"%d.%m.%Y\")")
                && expected.contains("\"2024-07-15\" (date_format \"%Y-%m-%d\")"),
            "{expected}"
        );
        assert_eq!(
            p.problem(0, b"16/07/2024").note,
            Some("no format of the list reads it")
        );
        // The first format that reads a cell wins: 01/02/2024 is 1 February here.
        let order = DateFormat::list(&["%d/%m/%Y", "%m/%d/%Y"]).unwrap();
        let mut p = DateParser::new(&order);
        assert_eq!(p.parse(b"01/02/2024"), Some(day(2024, 2, 1)));
        assert_eq!(p.parse(b"01/13/2024"), Some(day(2024, 1, 13)));
        assert!(DateFormat::list(&[]).is_err());
        assert!(DateFormat::list(&["%d.%m.%Y", "%Y-%m"]).is_err());
    }

    #[test]
    fn excel_serials_written_as_text() {
        let excel = DateFormat::list(&["excel"]).unwrap();
        assert_eq!(excel.digits_only(), None);
        let mut p = DateParser::new(&excel);
        assert_eq!(p.parse(b"45306"), Some(day(2024, 1, 15)));
        assert_eq!(p.parse(b" 45306.75 "), Some(day(2024, 1, 15)));
        assert_eq!(p.parse(b"61"), Some(day(1900, 3, 1)));
        for bad in [
            &b"60"[..],
            b"0",
            b"45306.",
            b".5",
            b"-45306",
            b"4.5e4",
            b"20240115",
            b"2024-01-15",
            b"",
        ] {
            assert_eq!(p.parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert!(excel.expected().contains("Excel serial day number"));
        assert!(p
            .problem(0, b"x")
            .note
            .unwrap()
            .contains("serial day number"));
        // Mixed with a text format: a spreadsheet number is then a serial, never %Y%m%d.
        let mixed = DateFormat::list(&["%Y%m%d", "excel"]).unwrap();
        assert_eq!(mixed.digits_only(), None);
        let mut p = DateParser::new(&mixed);
        assert_eq!(p.parse(b"20240115"), Some(day(2024, 1, 15)));
        assert_eq!(p.parse(b"45306"), Some(day(2024, 1, 15)));
        assert_eq!(
            DateFormat::list(&["%Y%m%d"]).unwrap().digits_only(),
            Some(8)
        );
    }
}
