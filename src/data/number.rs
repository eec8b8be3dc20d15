//! Numbers as clients' systems write them (`number_format`): a decimal comma, thousands
//! separators in groups of 3, a currency sign or code around an amount, a trailing minus or
//! parentheses for negatives. Parsed exactly into a decimal mantissa and scale ([`Dec`]), never
//! through a float.
//!
//! The parser is chosen once per file ([`Numbers`]): without `number_format` the hand-written
//! fast path of [`super::parse`] runs exactly as before ([`Plain`]); with it, a [`NumberParser`].

use super::config::{Negative, NumberFormat, NumberFormatSpec};
use super::parse::{parse_cents_bytes, parse_whole_bytes};
use super::Expected;

/// An exact decimal number: `m × 10^-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dec {
    /// The digits, with the sign.
    pub m: i128,
    /// How many of them are decimals.
    pub scale: u32,
}

/// The largest scale (and the most digits) a parsed number may have: i128 holds 38 digits.
const MAX_DIGITS: u32 = 36;

/// `10^n` (`n` at most 38).
pub(crate) fn pow10(n: u32) -> i128 {
    10i128.pow(n)
}

impl Dec {
    /// The exact number of cents: at most 2 significant decimals, within `i64`.
    pub(crate) fn to_cents(self) -> Result<i64, &'static str> {
        let cents = if self.scale <= 2 {
            self.m.checked_mul(pow10(2 - self.scale)).ok_or(TOO_LARGE)?
        } else {
            let div = pow10(self.scale - 2);
            if self.m % div != 0 {
                return Err("more than 2 decimals");
            }
            self.m / div
        };
        i64::try_from(cents).map_err(|_| TOO_LARGE)
    }

    /// The number when it is whole (decimals only zeros) and fits `i64`.
    pub(crate) fn to_whole(self) -> Option<i64> {
        let div = pow10(self.scale);
        (self.m % div == 0)
            .then(|| i64::try_from(self.m / div).ok())
            .flatten()
    }

    /// The number written plainly (`-1234.5`), as Rust and YAML read numbers.
    pub(crate) fn plain(self) -> String {
        let abs = self.m.unsigned_abs();
        let div = 10u128.pow(self.scale);
        let sign = if self.m < 0 { "-" } else { "" };
        if self.scale == 0 {
            format!("{sign}{abs}")
        } else {
            let w = self.scale as usize;
            format!("{sign}{}.{:0w$}", abs / div, abs % div)
        }
    }
}

const TOO_LARGE: &str = "too large";

/// Why a cell is not an amount: the currency mark is not the workspace currency's.
pub(crate) const OTHER_CURRENCY: &str =
    "the amount is marked with a currency other than the workspace `currency:`";

/// Parsing numbers of one file: chosen once, when the file is opened.
pub(crate) trait Numbers: Sync {
    /// An amount in exact cents (at most 2 significant decimals).
    fn cents(&self, b: &[u8]) -> Result<i64, &'static str>;
    /// A whole number (a quantity); decimals must be zeros.
    fn whole(&self, b: &[u8]) -> Option<i64>;
    /// Any exact decimal (an operand of a computed column).
    fn decimal(&self, b: &[u8]) -> Result<Dec, &'static str>;
    /// What a bad amount cell should have held.
    fn amount_expected(&self) -> Expected {
        Expected::Amount
    }
}

/// The default: plain numbers (`-1234.56`), through the hand-written fast path.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Plain;

impl Numbers for Plain {
    #[inline]
    fn cents(&self, b: &[u8]) -> Result<i64, &'static str> {
        parse_cents_bytes(b)
    }

    #[inline]
    fn whole(&self, b: &[u8]) -> Option<i64> {
        parse_whole_bytes(b)
    }

    fn decimal(&self, b: &[u8]) -> Result<Dec, &'static str> {
        NumberParser::plain().decimal(b)
    }
}

/// The thousands separator, as matched in a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    None,
    /// One character (its UTF-8 bytes).
    Char(char),
    /// A space: also a no-break space or a narrow no-break space.
    Space,
    /// An apostrophe: `'` or `’`.
    Apostrophe,
}

/// A `number_format` resolved against the workspace currency.
#[derive(Debug, Clone)]
pub(crate) struct NumberParser {
    decimal: u8,
    group: Group,
    negative: Negative,
    /// The currency marks accepted around an amount, longest first.
    marks: Vec<&'static str>,
    /// The workspace currency code, also accepted as a mark.
    code: Option<String>,
}

/// Currency signs by ISO code: the marks accepted besides the code itself. Symbols, not a
/// locale's formatting rules; an amount marked with a sign of another currency is an error.
const SIGNS: &[(&str, &[&str])] = &[
    ("USD", &["US$", "$"]),
    ("EUR", &["€"]),
    ("GBP", &["£"]),
    ("CHF", &["SFr.", "Fr.", "fr."]),
    ("JPY", &["¥", "円"]),
    ("CNY", &["¥", "元"]),
    ("INR", &["₹"]),
    ("CAD", &["CA$", "C$", "$"]),
    ("AUD", &["AU$", "A$", "$"]),
    ("NZD", &["NZ$", "$"]),
    ("SEK", &["kr"]),
    ("NOK", &["kr"]),
    ("DKK", &["kr."]),
    ("PLN", &["zł"]),
    ("CZK", &["Kč"]),
    ("BRL", &["R$"]),
    ("KRW", &["₩"]),
    ("TRY", &["₺"]),
    ("RUB", &["₽"]),
];

/// Characters that mark some currency (so an unknown mark made of them is "another currency").
const CURRENCY_CHARS: &str = "$€£¥₹₩₺₽₪฿₫₴₦₱₲₵₡₭₮₸円元";

/// Whitespace around and inside a formatted amount: ASCII, no-break and narrow no-break spaces.
fn space_len(b: &[u8]) -> usize {
    match b {
        [c, ..] if c.is_ascii_whitespace() => 1,
        [0xC2, 0xA0, ..] => 2,
        [0xE2, 0x80, 0xAF, ..] => 3,
        _ => 0,
    }
}

fn trim_start_space(mut b: &[u8]) -> &[u8] {
    loop {
        match space_len(b) {
            0 => return b,
            n => b = &b[n..],
        }
    }
}

fn trim_end_space(mut b: &[u8]) -> &[u8] {
    loop {
        let n = match b {
            [.., c] if c.is_ascii_whitespace() => 1,
            [.., 0xC2, 0xA0] => 2,
            [.., 0xE2, 0x80, 0xAF] => 3,
            _ => return b,
        };
        b = &b[..b.len() - n];
    }
}

fn trim_space(b: &[u8]) -> &[u8] {
    trim_end_space(trim_start_space(b))
}

/// The locales `number_format` accepts by name (their separators come from CLDR through ICU4X;
/// this is the list of names, not of formats): the language alone (`de`) is accepted for each
/// language listed. Others are an error listing these; spell their separators out instead.
pub(crate) const LOCALES: &[&str] = &[
    "bg-BG", "cs-CZ", "da-DK", "de-AT", "de-CH", "de-DE", "de-LI", "de-LU", "el-GR", "en-AU",
    "en-CA", "en-GB", "en-IE", "en-NZ", "en-US", "en-ZA", "es-AR", "es-ES", "es-MX", "et-EE",
    "fi-FI", "fr-BE", "fr-CA", "fr-CH", "fr-FR", "fr-LU", "hr-HR", "hu-HU", "it-CH", "it-IT",
    "ja-JP", "ko-KR", "lt-LT", "lv-LV", "nb-NO", "nl-BE", "nl-NL", "pl-PL", "pt-BR", "pt-PT",
    "ro-RO", "sk-SK", "sl-SI", "sv-SE", "tr-TR", "zh-CN",
];

/// The listed locale `tag` names (exactly, or a listed locale's language alone), or the error
/// listing the locales and suggesting the closest.
fn known_locale(tag: &str) -> Result<&str, String> {
    let language = |l: &str| l.split('-').next().unwrap_or(l).to_string();
    if LOCALES.contains(&tag) || LOCALES.iter().any(|l| language(l) == tag) {
        return Ok(tag);
    }
    let names: Vec<String> = LOCALES.iter().map(|l| l.to_string()).collect();
    let hint = match crate::ident::closest(&names, tag) {
        Some(c) => format!("did you mean {c:?}? "),
        None => String::new(),
    };
    Err(format!(
        "number_format: {tag:?} is not a locale powerbase knows; {hint}the locales are: {} \
         (or a language alone, such as \"de\"); for another, spell out the separators, e.g. \
         {{ decimal: \",\", thousands: \".\" }}",
        LOCALES.join(", ")
    ))
}

/// The separators a locale writes `1234567.5` with.
fn locale_separators(tag: &str) -> Result<(char, Option<char>), String> {
    let tag = known_locale(tag)?;
    let locale = icu_locale_core::Locale::try_from_str(tag).map_err(|e| {
        format!("number_format: {tag:?} is not a locale ({e}); write it like \"de-DE\", or spell out {{ decimal: \",\", thousands: \".\" }}")
    })?;
    let formatter = icu_decimal::DecimalFormatter::try_new((&locale).into(), Default::default())
        .map_err(|e| format!("number_format: no number data for {tag:?} ({e})"))?;
    let sample: icu_decimal::input::Decimal = "1234567.5".parse().expect("a decimal");
    let written = formatter.format(&sample).to_string();
    let seps: Vec<char> = written.chars().filter(|c| !c.is_ascii_digit()).collect();
    match seps.as_slice() {
        [g1, g2, d] if g1 == g2 && written.starts_with('1') => Ok((*d, Some(*g1))),
        [d] => Ok((*d, None)),
        _ => Err(format!(
            "number_format: the locale {tag:?} writes numbers like {written:?}, which powerbase \
             does not read; spell out {{ decimal: \",\", thousands: \".\" }}"
        )),
    }
}

impl NumberParser {
    /// Plain numbers: `.` decimals, no thousands separators, no currency marks.
    pub(crate) fn plain() -> NumberParser {
        NumberParser {
            decimal: b'.',
            group: Group::None,
            negative: Negative::LeadingMinus,
            marks: Vec::new(),
            code: None,
        }
    }

    /// Resolves a `number_format` (a locale through CLDR data) for a workspace whose amounts are
    /// in `currency` (an ISO code). The error says what is wrong and how to write it.
    pub(crate) fn new(format: &NumberFormat, currency: Option<&str>) -> Result<Self, String> {
        let spec = match format {
            NumberFormat::Locale(tag) => NumberFormatSpec {
                locale: Some(tag.clone()),
                ..NumberFormatSpec::default()
            },
            NumberFormat::Spec(spec) => spec.clone(),
        };
        let (mut decimal, mut group) = ('.', None);
        if let Some(tag) = &spec.locale {
            (decimal, group) = locale_separators(tag)?;
        }
        decimal = spec.decimal.unwrap_or(decimal);
        if spec.thousands.is_some() {
            group = spec.thousands;
        }
        if decimal != '.' && decimal != ',' {
            return Err(format!(
                "number_format: the decimal separator must be \".\" or \",\", not {decimal:?}"
            ));
        }
        let group = match group {
            None => Group::None,
            Some(g) if g == decimal => {
                return Err(format!(
                    "number_format: the thousands separator {g:?} is also the decimal separator; \
                     set them apart, e.g. {{ decimal: \",\", thousands: \".\" }}"
                ))
            }
            Some(' ' | '\u{a0}' | '\u{202f}') => Group::Space,
            Some('\'' | '’') => Group::Apostrophe,
            Some(g @ ('.' | ',' | '_')) => Group::Char(g),
            Some(g) => {
                return Err(format!(
                    "number_format: the thousands separator must be \".\", \",\", \"'\", \"_\" or a space, not {g:?}"
                ))
            }
        };
        let code = currency.map(|c| c.trim().to_ascii_uppercase());
        let mut marks: Vec<&'static str> = SIGNS
            .iter()
            .filter(|(c, _)| Some(*c) == code.as_deref())
            .flat_map(|(_, signs)| signs.iter().copied())
            .collect();
        marks.sort_by_key(|m| std::cmp::Reverse(m.len()));
        Ok(NumberParser {
            decimal: decimal as u8,
            group,
            negative: spec.negative,
            marks,
            code,
        })
    }

    /// `1234567.89` written in this format (`1.234.567,89`), for messages.
    pub(crate) fn example(&self) -> String {
        let group = match self.group {
            Group::None => String::new(),
            Group::Char(c) => c.to_string(),
            Group::Space => " ".to_string(),
            Group::Apostrophe => "'".to_string(),
        };
        format!("1{group}234{group}567{}89", self.decimal as char)
    }

    /// Whether `t` is written like a number, whether or not it reads as one in this format:
    /// digits with `.` `,` `'` separators (a space too when this format groups with one), signs
    /// and parentheses, currency signs, and a 3-letter code at the start or end (`EUR`). Text
    /// such as a date with dots (`15.03.2024`) looks like a number too; a word does not.
    pub(crate) fn looks_like_number(&self, t: &str) -> bool {
        let t = t.trim().trim_matches(|c| CURRENCY_CHARS.contains(c)).trim();
        let code = |s: &str| s.len() >= 3 && s.chars().take(3).all(|c| c.is_ascii_uppercase());
        let t = if code(t) { t[3..].trim_start() } else { t };
        let t = match t.len().checked_sub(3) {
            Some(i) if t.is_char_boundary(i) && code(&t[i..]) => t[..i].trim_end(),
            _ => t,
        };
        let spaced = self.group == Group::Space;
        t.chars().any(|c| c.is_ascii_digit())
            && t.chars().all(|c| {
                c.is_ascii_digit()
                    || matches!(c, '.' | ',' | '\'' | '’' | '+' | '-' | '(' | ')')
                    || CURRENCY_CHARS.contains(c)
                    || (spaced && matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
            })
    }

    /// The length of a thousands separator at the start of `b`, 0 when there is none.
    fn group_len(&self, b: &[u8]) -> usize {
        match self.group {
            Group::None => 0,
            Group::Char(c) => usize::from(b.first() == Some(&(c as u8))),
            Group::Space => space_len(b),
            Group::Apostrophe => match b {
                [b'\'', ..] => 1,
                [0xE2, 0x80, 0x99, ..] => 3,
                _ => 0,
            },
        }
    }

    /// Whether `c` may start a currency mark (not part of the number itself).
    fn mark_char(&self, c: char) -> bool {
        !(c.is_ascii_digit()
            || matches!(c, '-' | '+' | '(' | ')')
            || c.is_whitespace()
            || c == self.decimal as char
            || (c.len_utf8() == 1 && self.group_len(&[c as u8]) == 1))
    }

    /// A currency mark at the start (`prefix`) or end of `b`: `Ok(Some(rest))` when it is the
    /// workspace currency's, `Ok(None)` when there is no mark.
    fn strip_mark<'b>(&self, b: &'b [u8], prefix: bool) -> Result<Option<&'b [u8]>, &'static str> {
        let Ok(s) = std::str::from_utf8(b) else {
            return Err("not a number");
        };
        let known = self.marks.iter().copied().chain(self.code.as_deref());
        for mark in known {
            let rest = if prefix {
                s.strip_prefix(mark)
            } else {
                s.strip_suffix(mark)
            };
            if let Some(rest) = rest {
                let rest = rest.as_bytes();
                return Ok(Some(if prefix {
                    trim_start_space(rest)
                } else {
                    trim_end_space(rest)
                }));
            }
        }
        let mark: String = if prefix {
            s.chars().take_while(|&c| self.mark_char(c)).collect()
        } else {
            let mut m: Vec<char> = s.chars().rev().take_while(|&c| self.mark_char(c)).collect();
            m.reverse();
            m.into_iter().collect()
        };
        if mark.is_empty() {
            return Ok(None);
        }
        let code_like = mark.len() == 3 && mark.bytes().all(|c| c.is_ascii_uppercase());
        if code_like || mark.chars().any(|c| CURRENCY_CHARS.contains(c)) {
            Err(OTHER_CURRENCY)
        } else if mark.starts_with(['e', 'E']) && !prefix {
            Err("exponents are not accepted")
        } else {
            Err("not a number")
        }
    }

    /// Strips the sign: `(negative, rest)`.
    fn strip_sign<'b>(&self, b: &'b [u8]) -> Result<(bool, &'b [u8]), &'static str> {
        match b {
            [b'-', rest @ ..] => Ok((true, trim_start_space(rest))),
            [b'+', rest @ ..] => Ok((false, trim_start_space(rest))),
            [b'(', rest @ .., b')'] => match self.negative {
                Negative::Parentheses => Ok((true, trim_space(rest))),
                _ => Err("parentheses around a negative amount: set number_format's negative: parentheses"),
            },
            [rest @ .., b'-'] => match self.negative {
                Negative::TrailingMinus => Ok((true, trim_end_space(rest))),
                _ => Err("a trailing minus: set number_format's negative: trailing_minus"),
            },
            _ => Ok((false, b)),
        }
    }

    /// Digits with thousands separators in groups of 3 and one decimal separator.
    fn digits(&self, b: &[u8]) -> Result<Dec, &'static str> {
        const GROUPS: &str = "a thousands separator must be followed by exactly 3 digits \
                              (check number_format's decimal and thousands separators)";
        let (mut m, mut digits, mut scale) = (0i128, 0u32, 0u32);
        let (mut in_group, mut grouped, mut seen_decimal) = (0u32, false, false);
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_digit() {
                digits += 1;
                if digits > MAX_DIGITS {
                    return Err(TOO_LARGE);
                }
                m = m * 10 + i128::from(c - b'0');
                if seen_decimal {
                    scale += 1;
                } else {
                    in_group += 1;
                }
                i += 1;
                continue;
            }
            let g = self.group_len(&b[i..]);
            if g > 0 && !seen_decimal {
                let bad_first = !grouped && !(1..=3).contains(&in_group);
                if bad_first || (grouped && in_group != 3) {
                    return Err(GROUPS);
                }
                (grouped, in_group) = (true, 0);
                i += g;
                continue;
            }
            if c == self.decimal && !seen_decimal {
                if grouped && in_group != 3 {
                    return Err(GROUPS);
                }
                seen_decimal = true;
                i += 1;
                continue;
            }
            return Err(match c {
                b'e' | b'E' => "exponents are not accepted",
                _ if g > 0 => "a thousands separator after the decimal separator",
                _ if c == self.decimal => "more than one decimal separator",
                b'.' | b',' => {
                    "a separator that is neither number_format's decimal nor its thousands separator"
                }
                _ => "not a number",
            });
        }
        if digits == 0 {
            return Err("not a number");
        }
        if grouped && !seen_decimal && in_group != 3 {
            return Err(GROUPS);
        }
        Ok(Dec { m, scale })
    }
}

impl NumberParser {
    /// Parses a number: currency mark, sign, digits (see the module docs).
    #[inline]
    pub(crate) fn parse(&self, b: &[u8]) -> Result<Dec, &'static str> {
        match self.parse_simple(b) {
            Some(d) => Ok(d),
            None => self.parse_full(b),
        }
    }

    /// The common cell of an export, without the general parser's character-by-character mark
    /// search: an optional leading minus, digits and separators, optionally followed by the
    /// workspace currency's mark (`-1.234,50 €`). `None` for anything else, and for any cell the
    /// digits reject, so that [`NumberParser::parse_full`] gives the value or the reason; where
    /// this returns a number it is the one `parse_full` returns (a test checks both on random
    /// cells).
    #[inline]
    fn parse_simple(&self, b: &[u8]) -> Option<Dec> {
        let group = match self.group {
            Group::None => None,
            Group::Char(c) => Some(c as u8),
            Group::Space | Group::Apostrophe => return None,
        };
        let b = trim_space(b);
        let known = self.marks.iter().copied().chain(self.code.as_deref());
        let mut rest = b;
        for mark in known {
            if let Some(r) = b.strip_suffix(mark.as_bytes()) {
                rest = trim_end_space(r);
                break;
            }
        }
        let (neg, digits) = match rest {
            [b'-', d @ ..] => (true, d),
            d => (false, d),
        };
        let simple = |c: &u8| c.is_ascii_digit() || *c == self.decimal || Some(*c) == group;
        if digits.is_empty() || !digits.iter().all(simple) {
            return None;
        }
        let d = self.digits(digits).ok()?;
        Some(if neg { Dec { m: -d.m, ..d } } else { d })
    }

    /// [`NumberParser::parse`] in full: marks before and after the sign, signs, digits, and
    /// the reason a cell is not a number.
    fn parse_full(&self, b: &[u8]) -> Result<Dec, &'static str> {
        let b = trim_space(b);
        if b.is_empty() {
            return Err("empty");
        }
        let before = self.strip_mark(b, true)?;
        let b = before.unwrap_or(b);
        let after = self.strip_mark(b, false)?;
        let b = after.unwrap_or(b);
        let (neg, b) = self.strip_sign(b)?;
        let inner = self.strip_mark(b, true)?;
        let b = inner.unwrap_or(b);
        let inner_end = self.strip_mark(b, false)?;
        let b = inner_end.unwrap_or(b);
        let marks = [before, after, inner, inner_end];
        if marks.iter().filter(|m| m.is_some()).count() > 1 {
            return Err("more than one currency mark");
        }
        let d = self.digits(b)?;
        Ok(if neg { Dec { m: -d.m, ..d } } else { d })
    }
}

impl Numbers for NumberParser {
    fn cents(&self, b: &[u8]) -> Result<i64, &'static str> {
        self.parse(b)?.to_cents()
    }

    fn whole(&self, b: &[u8]) -> Option<i64> {
        self.parse(b).ok()?.to_whole()
    }

    fn decimal(&self, b: &[u8]) -> Result<Dec, &'static str> {
        self.parse(b)
    }

    fn amount_expected(&self) -> Expected {
        Expected::FormattedAmount
    }
}

/// A parser chosen per file but matched per cell: for the paths that are not hot (spreadsheets,
/// a policy test's rows, finding an overflow again). `None` is [`Plain`].
impl Numbers for Option<NumberParser> {
    fn cents(&self, b: &[u8]) -> Result<i64, &'static str> {
        match self {
            None => Plain.cents(b),
            Some(p) => p.cents(b),
        }
    }

    fn whole(&self, b: &[u8]) -> Option<i64> {
        match self {
            None => Plain.whole(b),
            Some(p) => p.whole(b),
        }
    }

    fn decimal(&self, b: &[u8]) -> Result<Dec, &'static str> {
        match self {
            None => Plain.decimal(b),
            Some(p) => p.decimal(b),
        }
    }

    fn amount_expected(&self) -> Expected {
        match self {
            None => Plain.amount_expected(),
            Some(p) => p.amount_expected(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::config::NumberFormatSpec;

    fn spec(decimal: char, thousands: Option<char>, negative: Negative) -> NumberFormat {
        NumberFormat::Spec(NumberFormatSpec {
            locale: None,
            decimal: Some(decimal),
            thousands,
            negative,
        })
    }

    fn de(negative: Negative) -> NumberParser {
        NumberParser::new(&spec(',', Some('.'), negative), Some("EUR")).unwrap()
    }

    #[test]
    fn german_amounts_are_exact_cents() {
        let p = de(Negative::LeadingMinus);
        let ok = [
            ("12,50", 1250),
            ("1.234,50", 123_450),
            ("1.234.567,89", 123_456_789),
            ("1234,5", 123_450),
            ("-0,07", -7),
            ("+3", 300),
            (",5", 50),
            ("12,500", 1250),
            ("1.234", 123_400),
            ("12,50 €", 1250),
            ("12,50€", 1250),
            ("€12,50", 1250),
            ("€ -12,50", -1250),
            ("-12,50 €", -1250),
            ("EUR 1.234,50", 123_450),
            ("1.234,50 EUR", 123_450),
            ("12,50\u{a0}€", 1250),
            (" 7 ", 700),
        ];
        for (text, cents) in ok {
            assert_eq!(p.cents(text.as_bytes()), Ok(cents), "{text}");
        }
    }

    #[test]
    fn german_rejects_with_reasons() {
        let p = de(Negative::LeadingMinus);
        let groups = |t: &str| {
            let e = p.cents(t.as_bytes()).unwrap_err();
            assert!(e.contains("exactly 3 digits"), "{t}: {e}");
        };
        for t in ["12.50", "1.23,4", "1.2345", "1234.567,5", ".123"] {
            groups(t);
        }
        let bad = [
            ("", "empty"),
            ("12,505", "more than 2 decimals"),
            ("12,50 $", OTHER_CURRENCY),
            ("$12,50", OTHER_CURRENCY),
            ("12,50 USD", OTHER_CURRENCY),
            ("CHF 12,50", OTHER_CURRENCY),
            ("£1", OTHER_CURRENCY),
            (
                "12,50-",
                "a trailing minus: set number_format's negative: trailing_minus",
            ),
            (
                "(12,50)",
                "parentheses around a negative amount: set number_format's negative: parentheses",
            ),
            ("1,2,3", "more than one decimal separator"),
            (
                "1,234.5",
                "a thousands separator after the decimal separator",
            ),
            ("1e5", "exponents are not accepted"),
            ("zwölf", "not a number"),
            ("€ 12,50 €", "more than one currency mark"),
            ("--1", "not a number"),
            ("1 234,50", "not a number"),
            ("99999999999999999999999999999999999999", TOO_LARGE),
            ("92233720368547758,08", TOO_LARGE),
        ];
        for (text, why) in bad {
            assert_eq!(p.cents(text.as_bytes()), Err(why), "{text}");
        }
    }

    #[test]
    fn negatives_where_the_format_says_so() {
        let trailing = de(Negative::TrailingMinus);
        assert_eq!(trailing.cents(b"12,50-"), Ok(-1250));
        assert_eq!(trailing.cents(b"1.234,50 -"), Ok(-123_450));
        assert_eq!(trailing.cents(b"12,50- \xE2\x82\xAC"), Ok(-1250));
        assert_eq!(trailing.cents(b"-12,50"), Ok(-1250));
        assert!(trailing.cents(b"(12,50)").is_err());
        let parens =
            NumberParser::new(&spec('.', Some(','), Negative::Parentheses), Some("USD")).unwrap();
        assert_eq!(parens.cents(b"(12.50)"), Ok(-1250));
        assert_eq!(parens.cents(b"($1,234.50)"), Ok(-123_450));
        assert_eq!(parens.cents(b"(1,234.50) USD"), Ok(-123_450));
        assert_eq!(parens.cents(b"US$ 3"), Ok(300));
        assert_eq!(parens.cents(b"-1,000,000"), Ok(-100_000_000));
        assert!(parens.cents(b"12.50-").is_err());
        assert_eq!(parens.cents(b"12,50 \xE2\x82\xAC"), Err(OTHER_CURRENCY));
    }

    #[test]
    fn locale_shorthands_come_from_cldr() {
        let parse = |tag: &str, text: &str| {
            NumberParser::new(&NumberFormat::Locale(tag.into()), Some("CHF"))
                .unwrap()
                .cents(text.as_bytes())
        };
        assert_eq!(parse("de-DE", "1.234,50"), Ok(123_450));
        assert_eq!(parse("en-US", "1,234.50"), Ok(123_450));
        assert_eq!(parse("de-CH", "1'234.50"), Ok(123_450));
        assert_eq!(parse("de-CH", "1’234.50 CHF"), Ok(123_450));
        assert_eq!(parse("de-CH", "Fr. 12.50"), Ok(1250));
        assert_eq!(parse("fr-FR", "1\u{202f}234,50"), Ok(123_450));
        assert_eq!(parse("fr-FR", "1 234,50"), Ok(123_450));
        assert_eq!(parse("fr-FR", "1\u{a0}234,50"), Ok(123_450));
        assert!(parse("de-DE", "1,234.50").is_err());
        // An explicit key overrides the locale's.
        let custom = NumberFormat::Spec(NumberFormatSpec {
            locale: Some("de-DE".into()),
            negative: Negative::TrailingMinus,
            ..Default::default()
        });
        let p = NumberParser::new(&custom, None).unwrap();
        assert_eq!(p.cents(b"1.234,50-"), Ok(-123_450));
        // Without a workspace currency no mark is accepted.
        assert_eq!(p.cents(b"1,00 \xE2\x82\xAC"), Err(OTHER_CURRENCY));
        let e = NumberParser::new(&NumberFormat::Locale("not a locale!".into()), None);
        assert!(e.unwrap_err().contains("is not a locale"));
    }

    #[test]
    fn the_readme_lists_the_locales() {
        let readme = include_str!("../../README.md").replace("\n  ", " ");
        let list = LOCALES.join(", ");
        assert!(readme.contains(&list), "README.md should list: {list}");
    }

    #[test]
    fn what_looks_like_a_number() {
        let de = de(Negative::LeadingMinus);
        let plain = NumberParser::plain();
        for t in [
            "1,234.50",
            "12.500,00",
            "(12)",
            "12,50 €",
            "EUR 1.000",
            "-3",
            "15.03.2024",
        ] {
            assert!(de.looks_like_number(t), "{t}");
            assert!(plain.looks_like_number(t), "{t}");
        }
        for t in [
            "Gold",
            "K-12",
            "12 kg",
            "n/a",
            "1e5",
            "-",
            "EUR",
            "+49 30 1234",
        ] {
            assert!(!de.looks_like_number(t), "{t}");
        }
        let fr = NumberParser::new(&NumberFormat::Locale("fr-FR".into()), None).unwrap();
        assert!(fr.looks_like_number("1 234,5"));
        assert!(!de.looks_like_number("1 234,5"));
        assert_eq!(de.example(), "1.234.567,89");
        assert_eq!(plain.example(), "1234567.89");
    }

    #[test]
    fn unknown_locales_are_errors_listing_the_known_ones() {
        let err = |tag: &str| {
            NumberParser::new(&NumberFormat::Locale(tag.into()), None)
                .map(drop)
                .unwrap_err()
        };
        let e = err("de_DE");
        assert!(e.contains("did you mean \"de-DE\"?"), "{e}");
        assert!(e.contains("fr-CH") && e.contains("en-US"), "{e}");
        let e = err("xx-YY");
        assert!(
            e.contains("\"xx-YY\" is not a locale powerbase knows"),
            "{e}"
        );
        assert!(!e.contains("did you mean"), "{e}");
        assert!(err("DE-de").contains("did you mean \"de-DE\"?"));
        assert!(err("ar-EG").contains("spell out the separators"));
        // Inside a spelled-out format too.
        let spec = NumberFormat::Spec(NumberFormatSpec {
            locale: Some("fr_FR".into()),
            ..Default::default()
        });
        let e = NumberParser::new(&spec, None).map(drop).unwrap_err();
        assert!(e.contains("did you mean \"fr-FR\"?"), "{e}");
        // Every listed locale, and its language alone, resolves through CLDR to separators
        // powerbase reads, with a decimal separator apart from the thousands separator.
        for tag in LOCALES {
            let language = tag.split('-').next().unwrap();
            for t in [*tag, language] {
                let (d, g) = locale_separators(t).unwrap_or_else(|e| panic!("{t}: {e}"));
                assert!(matches!(d, '.' | ','), "{t}: {d:?}");
                assert_ne!(Some(d), g, "{t}");
            }
        }
    }

    #[test]
    fn bad_formats_are_config_errors() {
        let e = NumberParser::new(&spec(',', Some(','), Negative::LeadingMinus), None);
        assert!(e.unwrap_err().contains("also the decimal separator"));
        let e = NumberParser::new(&spec(';', None, Negative::LeadingMinus), None);
        assert!(e.unwrap_err().contains("must be \".\" or \",\""));
        let e = NumberParser::new(&spec(',', Some('x'), Negative::LeadingMinus), None);
        assert!(e.unwrap_err().contains("thousands separator must be"));
    }

    #[test]
    fn the_simple_path_agrees_with_the_full_parser() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let pieces = [
            "1", "0", "5", "9", "12", "345", ",", ".", "-", "+", " ", "\u{a0}", "€", "EUR", "$",
            "US$", "kr.", "(", ")", "e", "'", "x",
        ];
        let parsers = [
            de(Negative::LeadingMinus),
            de(Negative::TrailingMinus),
            NumberParser::new(&spec('.', Some(','), Negative::Parentheses), Some("USD")).unwrap(),
            NumberParser::new(&spec(',', None, Negative::LeadingMinus), Some("DKK")).unwrap(),
            NumberParser::new(&spec('.', Some('\''), Negative::LeadingMinus), Some("CHF")).unwrap(),
            NumberParser::plain(),
        ];
        let mut simple = 0;
        for round in 0..60_000 {
            let n = 1 + (rng.next_u32() % 7) as usize;
            let cell: String = (0..n)
                .map(|_| pieces[(rng.next_u32() as usize) % pieces.len()])
                .collect();
            let p = &parsers[round % parsers.len()];
            let full = p.parse_full(cell.as_bytes());
            if let Some(d) = p.parse_simple(cell.as_bytes()) {
                simple += 1;
                assert_eq!(Ok(d), full, "{cell:?}");
            }
            assert_eq!(p.parse(cell.as_bytes()), full, "{cell:?}");
        }
        assert!(simple > 3_000, "{simple}");
    }

    #[test]
    fn wholes_and_decimals() {
        let p = de(Negative::LeadingMinus);
        assert_eq!(p.whole(b"1.000"), Some(1000));
        assert_eq!(p.whole(b"2,00"), Some(2));
        assert_eq!(p.whole(b"2,5"), None);
        assert_eq!(p.decimal(b"1,125"), Ok(Dec { m: 1125, scale: 3 }));
        assert_eq!(Dec { m: -1125, scale: 3 }.plain(), "-1.125");
        assert_eq!(Dec { m: 7, scale: 0 }.plain(), "7");
        assert_eq!(Dec { m: 5, scale: 2 }.plain(), "0.05");
        assert_eq!(Plain.decimal(b"-3.25"), Ok(Dec { m: -325, scale: 2 }));
        assert_eq!(Plain.cents(b"3.25"), Ok(325));
        // The plain parser agrees with the fast path on amounts.
        for t in ["12", "-0.50", "1.500", "1,000", "$12", "1e2", "1.505"] {
            let via = NumberParser::plain().cents(t.as_bytes()).is_ok();
            assert_eq!(via, parse_cents_bytes(t.as_bytes()).is_ok(), "{t}");
        }
    }
}
