//! The exact shape of a date cell under a strftime-style `date_format`.
//!
//! jiff's parser is lenient where an export must not be: `%m` and `%d` take one digit as well as
//! two (so with `%Y%m%d`, `2024115` reads as 2024-11-05), `%Y` takes a sign and fewer than four
//! digits (`01.02.24` with `%d.%m.%Y` is the year 24), and spaces before a number are skipped.
//! [`Shape`] checks a cell against the format first, exactly:
//! - a number has the width of its directive: `%Y` 4 digits, `%m %d %H %M %S %y` 2, `%j` 3; the
//!   `-` flag (`%-d`) means no padding (1 or 2 digits, no leading zero), `_` (or `%e %k %l`) pads
//!   with spaces, an explicit width (`%03d`) pads to that width; never a sign;
//! - `%f` and `%.f` take 1 to 9 digits, or exactly the precision given (`%3f`, `%.3f`, `%N`);
//! - other text of the format must appear as is;
//! - names, time zones and the like (`%b`, `%A`, `%p`, `%z`, ...) are matched by jiff;
//! - nothing may follow.
//!
//! jiff then reads the value from a cell whose shape is right.

use jiff::fmt::strtime::BrokenDownTime;

/// One piece of a date format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// A byte that must appear as is.
    Literal(u8),
    /// A number of at most `max` digits, padded to `width` with `pad` (`b'0'` or `b' '`); width 1
    /// means no padding.
    Number { width: u8, max: u8, pad: u8 },
    /// Fractional seconds: after a dot that may be absent (`%.f`) or without one (`%f`); exactly
    /// `precision` digits when given, else 1 to 9.
    Fraction { dot: bool, precision: Option<u8> },
    /// A directive jiff matches (month and weekday names, AM/PM, time zones, timestamps, ...).
    Jiff(String),
}

/// Why a cell does not have the format's shape, for the error message.
pub(crate) mod why {
    /// A number is shorter than its field.
    pub const SHORT: &str = "a number has fewer digits than the date format's field: %Y takes 4 \
         digits, %m, %d, %H, %M, %S and %y take 2 (05); %-m and %-d take 1 or 2 (5)";
    /// A number is padded other than its field says.
    pub const PADDED: &str = "a number is padded other than the date format's field says (%d: a \
         leading zero as in 05; %-d: no padding; %e and %_d: a leading space)";
    /// A sign before a number.
    pub const SIGN: &str = "a sign (+ or -) is not part of the date format";
    /// Text after the date.
    pub const TRAILING: &str = "there is more text after the date than the date format has";
    /// Anything else.
    pub const MISMATCH: &str = "the text does not follow the date format";
    /// Fractional seconds with the wrong number of digits.
    pub const FRACTION: &str = "the fractional seconds have another number of digits than the \
         date format's precision";
}

/// The shape of a date format: its pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape(Vec<Piece>);

/// Default width, maximum digits and padding of the numeric directives.
fn number(directive: u8) -> Option<(u8, u8, u8)> {
    Some(match directive {
        b'Y' | b'G' => (4, 4, b'0'),
        b'm' | b'd' | b'H' | b'I' | b'M' | b'S' | b'y' | b'g' | b'U' | b'V' | b'W' => (2, 2, b'0'),
        b'e' | b'k' | b'l' => (2, 2, b' '),
        b'j' => (3, 3, b'0'),
        b'u' | b'w' => (1, 1, b'0'),
        _ => return None,
    })
}

/// The directives that stand for several: `%D`, `%F`, `%T`, `%R`.
fn composite(directive: u8) -> Option<&'static str> {
    Some(match directive {
        b'D' => "%m/%d/%y",
        b'F' => "%Y-%m-%d",
        b'T' => "%H:%M:%S",
        b'R' => "%H:%M",
        _ => return None,
    })
}

/// The flag, width and colons after a `%` at `f[at..]`; returns them and where the directive is.
fn extension(f: &[u8], mut at: usize) -> (Option<u8>, Option<u8>, usize) {
    let flag = match f.get(at) {
        Some(&c @ (b'-' | b'_' | b'0' | b'^' | b'#')) => {
            at += 1;
            Some(c)
        }
        _ => None,
    };
    let digits = f[at..].iter().take_while(|c| c.is_ascii_digit()).count();
    let width = std::str::from_utf8(&f[at..at + digits])
        .ok()
        .and_then(|d| d.parse::<u8>().ok());
    (flag, width, at + digits)
}

impl Shape {
    /// The shape of `format`. Directives it does not know are left to jiff (a format jiff cannot
    /// parse with is rejected when the format is checked, see `DateFormat::new`).
    pub(crate) fn new(format: &str) -> Shape {
        let mut pieces = Vec::new();
        Shape::push(format.as_bytes(), &mut pieces);
        Shape(pieces)
    }

    fn push(f: &[u8], pieces: &mut Vec<Piece>) {
        let mut i = 0;
        while i < f.len() {
            if f[i] != b'%' {
                pieces.push(Piece::Literal(f[i]));
                i += 1;
                continue;
            }
            let (flag, width, mut at) = extension(f, i + 1);
            let colons = f[at..].iter().take_while(|&&c| c == b':').count();
            at += colons;
            let dot = f.get(at) == Some(&b'.');
            let (precision, end) = if dot {
                let (_, p, after) = extension(f, at + 1);
                (p, after)
            } else {
                (width, at)
            };
            let Some(&d) = f.get(end) else {
                pieces.push(Piece::Jiff(String::from_utf8_lossy(&f[i..]).into_owned()));
                return;
            };
            let next = end + 1;
            match (d, dot) {
                (b'f', _) => pieces.push(Piece::Fraction { dot, precision }),
                (b'N', false) => pieces.push(Piece::Fraction {
                    dot: false,
                    precision: Some(9),
                }),
                (b'%', false) => pieces.push(Piece::Literal(b'%')),
                (c, false) if composite(c).is_some() => {
                    Shape::push(composite(c).unwrap_or_default().as_bytes(), pieces)
                }
                (c, false) if colons == 0 && number(c).is_some() => {
                    let (default, max, pad) = number(c).unwrap_or((2, 2, b'0'));
                    let piece = match flag {
                        Some(b'-') => Piece::Number {
                            width: 1,
                            max,
                            pad: b'0',
                        },
                        Some(b'_') => Piece::Number {
                            width: width.unwrap_or(default),
                            max,
                            pad: b' ',
                        },
                        Some(b'0') => Piece::Number {
                            width: width.unwrap_or(default),
                            max: max.max(width.unwrap_or(0)),
                            pad: b'0',
                        },
                        _ => Piece::Number {
                            width: width.unwrap_or(default),
                            max: if pad == b'0' {
                                max.max(width.unwrap_or(0))
                            } else {
                                max
                            },
                            pad,
                        },
                    };
                    pieces.push(piece);
                }
                _ => pieces.push(Piece::Jiff(
                    String::from_utf8_lossy(&f[i..next]).into_owned(),
                )),
            }
            i = next;
        }
    }

    /// Checks that `input` (trimmed) has exactly this shape; why not otherwise.
    pub(crate) fn check(&self, input: &[u8]) -> Result<(), &'static str> {
        let mut i = 0;
        for piece in &self.0 {
            let rest = &input[i..];
            i += match piece {
                Piece::Literal(b) if rest.first() == Some(b) => 1,
                Piece::Literal(_) => return Err(why::MISMATCH),
                &Piece::Number { width, max, pad } => number_len(rest, width, max, pad, i == 0)?,
                &Piece::Fraction { dot, precision } => fraction_len(rest, dot, precision)?,
                Piece::Jiff(spec) => match BrokenDownTime::parse_prefix(spec, rest) {
                    Ok((_, n)) => n,
                    Err(_) => return Err(why::MISMATCH),
                },
            };
        }
        if i < input.len() {
            return Err(why::TRAILING);
        }
        Ok(())
    }
}

/// The reason for text at `rest` that is not the digits of a number.
fn not_digits(rest: &[u8]) -> &'static str {
    match rest.first() {
        Some(b'+' | b'-') if rest.get(1).is_some_and(u8::is_ascii_digit) => why::SIGN,
        _ => why::MISMATCH,
    }
}

/// The length of a number field at the start of `rest`. `at_start`: the cell was trimmed, so
/// space padding before it may be gone.
fn number_len(
    rest: &[u8],
    width: u8,
    max: u8,
    pad: u8,
    at_start: bool,
) -> Result<usize, &'static str> {
    let spaces = if pad == b' ' {
        rest.iter().take_while(|&&c| c == b' ').count()
    } else {
        0
    };
    let digits = rest[spaces..]
        .iter()
        .take(usize::from(max))
        .take_while(|c| c.is_ascii_digit())
        .count();
    let (width, len) = (usize::from(width), spaces + digits);
    if digits == 0 {
        return Err(not_digits(&rest[spaces..]));
    }
    if len < width && !(pad == b' ' && at_start && spaces == 0) {
        return Err(why::SHORT);
    }
    let leading_zero = digits > 1 && rest[spaces] == b'0';
    if (len > width && (spaces > 0 || leading_zero)) || (pad == b' ' && leading_zero) {
        return Err(why::PADDED);
    }
    Ok(len)
}

/// The length of fractional seconds at the start of `rest`.
fn fraction_len(rest: &[u8], dot: bool, precision: Option<u8>) -> Result<usize, &'static str> {
    let skip = usize::from(dot);
    if dot && rest.first() != Some(&b'.') {
        // `%.f` may be empty, but not with a precision (it always writes that many digits).
        return match precision {
            None => Ok(0),
            Some(_) => Err(why::FRACTION),
        };
    }
    let digits = rest[skip..]
        .iter()
        .take(9)
        .take_while(|c| c.is_ascii_digit())
        .count();
    match precision {
        Some(p) if digits != usize::from(p) => Err(why::FRACTION),
        _ if digits == 0 => Err(why::FRACTION),
        _ => Ok(skip + digits),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(format: &str, input: &str) -> bool {
        Shape::new(format).check(input.as_bytes()).is_ok()
    }

    fn why(format: &str, input: &str) -> &'static str {
        Shape::new(format).check(input.as_bytes()).unwrap_err()
    }

    #[test]
    fn numbers_have_the_width_of_their_field() {
        assert!(ok("%Y%m%d", "20241105"));
        assert_eq!(why("%Y%m%d", "2024115"), why::SHORT);
        assert_eq!(why("%Y%m%d", "2024015"), why::SHORT);
        assert_eq!(why("%Y%m%d", "+2024015"), why::SIGN);
        assert_eq!(why("%Y%m%d", "202411050"), why::TRAILING);
        assert!(ok("%d.%m.%Y", "01.02.2024"));
        assert_eq!(why("%d.%m.%Y", "01.02.24"), why::SHORT);
        assert_eq!(why("%d.%m.%Y", "1.02.2024"), why::SHORT);
        assert!(ok("%d.%m.%y", "01.02.24"));
        assert_eq!(why("%d.%m.%y", "01.02.2024"), why::TRAILING);
        assert_eq!(why("%Y-%m-%d", "-2024-01-05"), why::SIGN);
        assert_eq!(why("%Y-%m-%d", "2024- 1-05"), why::MISMATCH);
        assert!(ok("%j/%Y", "005/2024"));
        assert_eq!(why("%j/%Y", "5/2024"), why::SHORT);
    }

    #[test]
    fn flags_say_how_numbers_are_padded() {
        // No padding: 1 or 2 digits, no leading zero.
        assert!(ok("%-m/%-d/%Y", "7/5/2024"));
        assert!(ok("%-m/%-d/%Y", "12/25/2024"));
        assert_eq!(why("%-m/%-d/%Y", "07/05/2024"), why::PADDED);
        // Space padding; at the start of the (trimmed) cell the spaces may be gone.
        assert!(ok("%e.%m.%Y", "5.07.2024"));
        assert!(ok("%m/%e/%Y", "07/ 5/2024"));
        assert!(ok("%m/%e/%Y", "07/15/2024"));
        assert_eq!(why("%m/%e/%Y", "07/5/2024"), why::SHORT);
        assert_eq!(why("%m/%_d/%Y", "07/05/2024"), why::PADDED);
        // Explicit widths.
        assert!(ok("%03d %Y", "005 2024"));
        assert_eq!(why("%03d %Y", "05 2024"), why::SHORT);
        // Composites.
        assert!(ok("%F %T", "2024-07-05 13:04:05"));
        assert_eq!(why("%F %T", "2024-07-05 13:4:05"), why::SHORT);
        assert!(ok("%D", "07/05/24"));
    }

    #[test]
    fn fractions_names_and_the_rest_go_through_jiff() {
        assert!(ok("%Y-%m-%d %H:%M:%S%.f", "2024-07-05 13:04:05"));
        assert!(ok("%Y-%m-%d %H:%M:%S%.f", "2024-07-05 13:04:05.120"));
        assert!(ok("%Y-%m-%d %H:%M:%S%.3f", "2024-07-05 13:04:05.120"));
        assert_eq!(
            why("%Y-%m-%d %H:%M:%S%.3f", "2024-07-05 13:04:05.12"),
            why::FRACTION
        );
        assert_eq!(
            why("%Y-%m-%d %H:%M:%S%.3f", "2024-07-05 13:04:05"),
            why::FRACTION
        );
        assert!(ok("%d-%b-%Y", "05-JUL-2024"));
        assert!(ok("%d %B %Y", "05 July 2024"));
        assert_eq!(why("%d %B %Y", "05 Juli 2024"), why::MISMATCH);
        assert!(ok("%I:%M %p %Y-%m-%d", "01:30 PM 2024-07-05"));
        assert!(ok("%Y-%m-%dT%H:%M:%S%z", "2024-07-05T13:04:05+0200"));
        assert_eq!(why("%Y-%m-%d", "2024-07-05x"), why::TRAILING);
        assert_eq!(why("%Y/%m/%d", "2024-07-05"), why::MISMATCH);
        assert_eq!(why("%Y-%m-%d", ""), why::MISMATCH);
        assert!(ok("100%% %Y-%m-%d", "100% 2024-07-05"));
    }
}
