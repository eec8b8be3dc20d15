//! The formats of one locale (`report.locale`), all from CLDR through ICU4X: digits and their
//! separators (`icu_decimal`), the percent sign and its spacing and the currency symbol and its
//! place (`icu_experimental`'s percent and currency formatters), and long dates (`icu_datetime`).
//! No table of separators, symbols or month names is written here.

use std::cell::RefCell;

use icu_datetime::fieldsets::YMD;
use icu_datetime::input::Date;
use icu_datetime::DateTimeFormatter;
use icu_decimal::input::Decimal;
use icu_decimal::options::{DecimalFormatterOptions, GroupingStrategy};
use icu_decimal::DecimalFormatter;
use icu_experimental::dimension::currency::formatter::CurrencyFormatter;
use icu_experimental::dimension::currency::CurrencyType;
use icu_experimental::dimension::percent::formatter::PercentFormatter;

/// The locale a report is formatted in when the policy names none.
pub const DEFAULT_LOCALE: &str = "en-US";

/// The formatters of one locale. Built once per run; cheap to read from.
#[derive(Debug)]
pub struct Locale {
    tag: String,
    decimal: DecimalFormatter,
    ungrouped: DecimalFormatter,
    percent: PercentFormatter<DecimalFormatter>,
    /// Long dates; `None` when no locale was named, so dates stay ISO 8601 (`1998-06-30`).
    dates: Option<DateTimeFormatter<YMD>>,
    /// How each currency met so far wraps a number: `(code, positive, negative)`, each with
    /// [`NUMBER`] where the number goes.
    money: RefCell<Vec<(String, Option<MoneyPatterns>)>>,
}

/// How a locale writes money in one currency: the positive and the negative pattern, each with
/// [`NUMBER`] where the amount goes (`{}\u{a0}€`, `-{}\u{a0}€`).
type MoneyPatterns = (String, String);

/// Where the number goes in a money pattern.
const NUMBER: &str = "{}";

impl Locale {
    /// The formats of `tag` (a BCP 47 tag such as `de-DE`), or of [`DEFAULT_LOCALE`] with ISO
    /// dates when `tag` is `None`. The error says why the tag cannot be used.
    pub fn new(tag: Option<&str>) -> Result<Locale, String> {
        let name = tag.unwrap_or(DEFAULT_LOCALE);
        let id = icu_locale_core::Locale::try_from_str(name)
            .map_err(|e| format!("{name:?} is not a locale tag ({e}); write it like \"de-DE\""))?;
        let no_data = |what: &str, e: &dyn std::fmt::Display| {
            format!("no {what} data for the locale {name:?} ({e})")
        };
        let decimal = DecimalFormatter::try_new((&id).into(), Default::default())
            .map_err(|e| no_data("number", &e))?;
        let mut options = DecimalFormatterOptions::default();
        options.grouping_strategy = Some(GroupingStrategy::Never);
        let ungrouped =
            DecimalFormatter::try_new((&id).into(), options).map_err(|e| no_data("number", &e))?;
        let percent = PercentFormatter::try_new((&id).into(), Default::default())
            .map_err(|e| no_data("percent", &e))?;
        let dates = match tag {
            Some(_) => Some(
                DateTimeFormatter::try_new((&id).into(), YMD::long())
                    .map_err(|e| no_data("date", &e))?,
            ),
            None => None,
        };
        Ok(Locale {
            tag: name.to_string(),
            decimal,
            ungrouped,
            percent,
            dates,
            money: RefCell::new(Vec::new()),
        })
    }

    /// The locale's tag (`en-US` by default).
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// `value` with the locale's digits, decimal separator and grouping (none when `grouped` is
    /// false).
    pub(super) fn number(&self, value: &Decimal, grouped: bool) -> String {
        let formatter = if grouped {
            &self.decimal
        } else {
            &self.ungrouped
        };
        formatter.format(value).to_string()
    }

    /// `value` (already in percent: `12.5` for 12.5%) with the locale's percent sign and spacing.
    pub(super) fn percent(&self, value: &Decimal) -> String {
        self.percent.format(value).to_string()
    }

    /// An ISO date (`YYYY-MM-DD`) in the locale's long form (`30. Juni 1998`); the text as it is
    /// when it is not such a date or no locale was named.
    pub(super) fn date(&self, iso: &str) -> String {
        let Some(formatter) = &self.dates else {
            return iso.to_string();
        };
        let parts: Vec<&str> = iso.split('-').collect();
        let parsed = match parts.as_slice() {
            [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
                match (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) {
                    (Ok(y), Ok(m), Ok(d)) => Date::try_new_iso(y, m, d).ok(),
                    _ => None,
                }
            }
            _ => None,
        };
        match parsed {
            Some(date) => formatter.format(&date).to_string(),
            None => iso.to_string(),
        }
    }

    /// `body` (a formatted amount without sign) as money in `currency`: the symbol where the
    /// locale puts it, with its spacing; a currency ICU4X does not know by its code.
    pub(super) fn place_currency(&self, body: &str, negative: bool, currency: &str) -> String {
        let code = currency.trim().to_ascii_uppercase();
        if code.is_empty() {
            return if negative {
                format!("-{body}")
            } else {
                body.to_string()
            };
        }
        let mut cache = self.money.borrow_mut();
        let patterns = match cache.iter().find(|(c, _)| *c == code) {
            Some((_, p)) => p.clone(),
            None => {
                let p = self.money_patterns(&code);
                cache.push((code.clone(), p.clone()));
                p
            }
        };
        match patterns {
            Some((positive, negative_pattern)) => {
                let pattern = if negative { negative_pattern } else { positive };
                pattern.replacen(NUMBER, body, 1)
            }
            None if negative => format!("-{code} {body}"),
            None => format!("{code} {body}"),
        }
    }

    /// The patterns the locale writes money in `code` with: a sample amount formatted by
    /// ICU4X's currency formatter, its digits replaced by [`NUMBER`].
    fn money_patterns(&self, code: &str) -> Option<MoneyPatterns> {
        let currency = CurrencyType::try_from_str(code).ok()?;
        let id = icu_locale_core::Locale::try_from_str(&self.tag).ok()?;
        let formatter =
            CurrencyFormatter::try_new_symbol((&id).into(), currency, Default::default()).ok()?;
        let pattern = |sample: &str| {
            let value: Decimal = sample.parse().ok()?;
            let written = formatter.format_fixed_decimal(&value).to_string();
            let digits = written.find(|c: char| c.is_ascii_digit())?;
            let end = written.rfind(|c: char| c.is_ascii_digit())? + 1;
            Some(format!("{}{NUMBER}{}", &written[..digits], &written[end..]))
        };
        Some((pattern("7")?, pattern("-7")?))
    }
}
