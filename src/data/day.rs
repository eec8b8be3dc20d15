//! [`Day`]: a calendar day as a plain integer, cheap to compare, hash and subtract.

use std::fmt;

/// A calendar day as days since 1970-01-01 (negative before it).
///
/// Displays and (de)serialises as ISO `YYYY-MM-DD`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    /// The day of a civil date.
    pub fn from_date(d: jiff::civil::Date) -> Day {
        Day(days_from_civil(
            i32::from(d.year()),
            d.month() as u32,
            d.day() as u32,
        ))
    }

    /// The civil date of this day.
    ///
    /// # Panics
    /// If the day is outside jiff's range (years -9999..=9999). Days made by this module never are.
    pub fn to_date(self) -> jiff::civil::Date {
        let (y, m, d) = civil_from_days(self.0);
        let year = i16::try_from(y).expect("Day outside the years -9999..=9999");
        jiff::civil::Date::new(year, m as i8, d as i8).expect("Day outside the years -9999..=9999")
    }

    /// Parses a strict ISO `YYYY-MM-DD` date (4-digit year, 2-digit month and day, a real day of
    /// the month). Surrounding whitespace is not allowed.
    pub fn parse_iso(s: &str) -> Option<Day> {
        parse_iso_bytes(s.as_bytes())
    }

    /// Year, month (1-12) and day of month (1-31).
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.0);
        if y < 0 {
            write!(f, "-{:04}-{m:02}-{d:02}", -y)
        } else {
            write!(f, "{y:04}-{m:02}-{d:02}")
        }
    }
}

impl serde::Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Day::parse_iso(text.trim()).ok_or_else(|| {
            serde::de::Error::custom(format!("expected a date like 2024-12-31, found {text:?}"))
        })
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (no validation).
/// Howard Hinnant's `days_from_civil`.
#[inline]
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32; // 0..=399
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + d - 1; // 0..=365
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // 0..=146096
    era * 146_097 + doe as i32 - 719_468
}

/// The inverse of [`days_from_civil`].
#[inline]
pub(crate) fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = i64::from(z) + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32; // 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe as i64 + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

/// Days in a month of a year (Gregorian).
#[inline]
pub(crate) fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

/// A validated day from year, month and day numbers (years 1..=9999).
#[inline]
pub(crate) fn checked_day(y: i32, m: u32, d: u32) -> Option<Day> {
    if !(1..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(Day(days_from_civil(y, m, d)))
}

/// The `N` ASCII digits at the start of `b` as a number; `None` when one is not a digit.
#[inline]
pub(crate) fn digits<const N: usize>(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in &b[..N] {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u32::from(d);
    }
    Some(v)
}

/// Strict `YYYY-MM-DD`.
#[inline]
pub(crate) fn parse_iso_bytes(b: &[u8]) -> Option<Day> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits::<4>(b)?;
    let m = digits::<2>(&b[5..])?;
    let d = digits::<2>(&b[8..])?;
    checked_day(y as i32, m, d)
}

/// Strict `YYYYMMDD`.
#[inline]
pub(crate) fn parse_compact_bytes(b: &[u8]) -> Option<Day> {
    if b.len() != 8 {
        return None;
    }
    let y = digits::<4>(b)?;
    let m = digits::<2>(&b[4..])?;
    let d = digits::<2>(&b[6..])?;
    checked_day(y as i32, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn epoch_and_known_days() {
        assert_eq!(Day::from_date(date(1970, 1, 1)), Day(0));
        assert_eq!(Day::from_date(date(1969, 12, 31)), Day(-1));
        assert_eq!(Day::from_date(date(2000, 3, 1)), Day(11_017));
        assert_eq!(Day(0).to_string(), "1970-01-01");
        assert_eq!(Day(11_017).to_string(), "2000-03-01");
    }

    #[test]
    fn round_trips_over_a_wide_range() {
        // Every day from 1600 to 2400 against jiff, both directions.
        let mut d = date(1600, 1, 1);
        let end = date(2400, 12, 31);
        let mut expected = Day::from_date(d).0;
        while d <= end {
            let day = Day::from_date(d);
            assert_eq!(day.0, expected, "{d}");
            assert_eq!(day.to_date(), d);
            assert_eq!(day.to_string(), d.to_string());
            assert_eq!(Day::parse_iso(&d.to_string()), Some(day));
            expected += 1;
            d = d.tomorrow().unwrap();
        }
        assert_eq!(
            Day::from_date(date(-9999, 1, 1)).to_date(),
            date(-9999, 1, 1)
        );
        assert_eq!(
            Day::from_date(date(9999, 12, 31)).to_date(),
            date(9999, 12, 31)
        );
    }

    #[test]
    fn parse_iso_is_strict() {
        assert_eq!(
            Day::parse_iso("2024-02-29"),
            Some(Day::from_date(date(2024, 2, 29)))
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "2024-01-00",
            "2024-1-05",
            "24-01-05",
            " 2024-01-05",
            "2024/01/05",
            "2024-01-05T00:00",
            "",
            "0000-01-01",
        ] {
            assert_eq!(Day::parse_iso(bad), None, "{bad}");
        }
        assert_eq!(
            parse_compact_bytes(b"19970101"),
            Day::parse_iso("1997-01-01")
        );
        assert_eq!(parse_compact_bytes(b"19970230"), None);
        assert_eq!(parse_compact_bytes(b"1997011"), None);
    }

    #[test]
    fn serde_as_iso_text() {
        #[derive(serde::Deserialize)]
        struct W {
            d: Day,
        }
        let w: W = serde_saphyr::from_str("d: 2024-12-31").unwrap();
        assert_eq!(w.d.to_string(), "2024-12-31");
        assert!(serde_saphyr::from_str::<W>("d: 2024-12-32").is_err());
    }
}
