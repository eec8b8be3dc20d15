//! Number formatting for people: money with the currency symbol and thousands separators,
//! percentages that add up to 100%, dates, all in the report's locale (`report.locale`, through
//! ICU4X: see [`Locale`]). Shared by the Tera filters, the charts, the PDF and the terminal
//! summary, which all format in the locale [`with_locale`] sets for the thread.
//! A figure that is not meaningful (a share of a total that is zero or negative, carried as NaN)
//! prints as [`NOT_MEANINGFUL`], never as `NaN`.

mod locale;

use std::cell::RefCell;
use std::rc::Rc;

use icu_decimal::input::Decimal;

pub use locale::{Locale, DEFAULT_LOCALE};

/// What a figure that is not meaningful prints as: an en dash.
pub const NOT_MEANINGFUL: &str = "\u{2013}";

// The locale every function here formats in on this thread: `Locale::new(None)` (en-US numbers,
// ISO dates) unless `with_locale` says otherwise.
thread_local! {
    static CURRENT: RefCell<Rc<Locale>> =
        RefCell::new(Rc::new(Locale::new(None).expect("en-US data is compiled in")));
}

/// Runs `f` with every function of this module formatting in `locale` (on this thread), then
/// restores the previous locale, even if `f` panics. The one place a report's locale is chosen,
/// so the template filters, the charts, the PDF and the terminal summary need not pass it along.
/// Work handed to other threads (rayon) formats in en-US unless it calls this there too; nothing
/// that formats for readers does so today.
pub fn with_locale<R>(locale: &Rc<Locale>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Rc<Locale>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(previous) = self.0.take() {
                CURRENT.with(|c| *c.borrow_mut() = previous);
            }
        }
    }
    let _restore = Restore(Some(CURRENT.with(|c| c.replace(locale.clone()))));
    f()
}

/// The locale functions here format in now.
pub fn current() -> Rc<Locale> {
    CURRENT.with(|c| c.borrow().clone())
}

/// `value` rounded to `decimals` decimals as an exact decimal, and whether it is below zero once
/// rounded (`-0.001` to 2 decimals is `0.00`, not negative).
fn rounded(value: f64, decimals: usize) -> (Decimal, bool) {
    let text = format!("{:.*}", decimals, value.abs());
    let negative = value < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b));
    let signed = if negative { format!("-{text}") } else { text };
    let d: Decimal = signed.parse().expect("a formatted float is a decimal");
    (d, negative)
}

/// The symbol a reader expects for an ISO 4217 currency code in the current locale (CLDR),
/// without spacing; unknown codes print as the code.
pub fn currency_symbol(code: &str) -> String {
    current()
        .place_currency("", false, code)
        .replace(['\u{a0}', '\u{202f}'], " ")
        .trim()
        .to_string()
}

/// An integer with the locale's grouping: `-1234567` -> `-1,234,567` (en-US), `-1.234.567`
/// (de-DE).
pub fn thousands(n: i64) -> String {
    current().number(&Decimal::from(n), true)
}

/// A number with `decimals` decimals and the locale's separators: `1234.5` -> `1,234.50`.
pub fn number(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return NOT_MEANINGFUL.to_string();
    }
    current().number(&rounded(value, decimals).0, true)
}

/// Money for a reader, the symbol where the locale puts it: `$1,234,567` (`decimals` = 0) or
/// `$1,234.56` in en-US, `1.234.567 €` in de-DE; negatives as `-$12.00`.
pub fn money(value: f64, currency: &str, decimals: usize) -> String {
    if !value.is_finite() {
        return NOT_MEANINGFUL.to_string();
    }
    let (amount, _) = rounded(value.abs(), decimals);
    let negative = rounded(value, decimals).1;
    let locale = current();
    let body = locale.number(&amount, true);
    locale.place_currency(&body, negative, currency)
}

/// Money in a short form for chart labels: `$1.2M`, `$350k`, `$900` (en-US), `1,2M €` (de-DE).
pub fn money_short(value: f64, currency: &str) -> String {
    let v = value.abs();
    let (scaled, suffix) = if v >= 1e9 {
        (v / 1e9, "B")
    } else if v >= 1e6 {
        (v / 1e6, "M")
    } else if v >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    // One decimal for the scaled forms, dropped when it is zero; none below a thousand.
    let decimals = usize::from(!suffix.is_empty() && !format!("{scaled:.1}").ends_with(".0"));
    let locale = current();
    let body = format!(
        "{}{suffix}",
        locale.number(&rounded(scaled, decimals).0, false)
    );
    locale.place_currency(&body, value < 0.0, currency)
}

/// A share (0..1) as a percentage with the locale's sign and spacing: `0.1234` -> `12.3%`
/// (en-US), `12,3 %` (de-DE) with one decimal.
pub fn percent(share: f64, decimals: usize) -> String {
    if !share.is_finite() {
        return NOT_MEANINGFUL.to_string();
    }
    current().percent(&rounded(share * 100.0, decimals).0)
}

/// An ISO date (`1998-06-30`) as the report's locale writes it in full (`30. Juni 1998` in
/// de-DE, `June 30, 1998` in en-US); unchanged when the policy names no locale, and for text that
/// is not such a date.
pub fn date(iso: &str) -> String {
    current().date(iso)
}

/// `share` of a total, or NaN (printed as [`NOT_MEANINGFUL`]) when the total is zero or negative:
/// a share of nothing, or of a loss, means nothing.
pub fn share_of(share: f64, total: i64) -> f64 {
    if total > 0 {
        share
    } else {
        f64::NAN
    }
}

/// Shares of a total as percentages, each rounded on its own (so they may not add up to 100%:
/// the report says so rather than change a figure); all [`NOT_MEANINGFUL`] when the total is zero
/// or negative.
pub fn percents_of_total(shares: &[f64], total: i64, decimals: usize) -> Vec<String> {
    if total > 0 {
        shares.iter().map(|s| percent(*s, decimals)).collect()
    } else {
        vec![NOT_MEANINGFUL.to_string(); shares.len()]
    }
}

/// Whether `shares`, each rounded to a percentage with `decimals` decimals, add up to exactly
/// 100%.
pub fn rounded_percents_add_up(shares: &[f64], decimals: usize) -> bool {
    let scale = 100.0 * 10f64.powi(decimals as i32);
    let units: f64 = shares.iter().map(|s| (s * scale).round()).sum();
    units == scale
}

/// A share as a compact percentage for chart labels: one decimal below 10% (`4.2%`), none from
/// there on (`42%`), exactly zero as `0%`, so small values keep their meaning and large ones stay
/// short.
pub fn percent_compact(share: f64) -> String {
    if share == 0.0 {
        percent(0.0, 0)
    } else if (share * 100.0).abs() < 9.95 {
        percent(share, 1)
    } else {
        percent(share, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_symbol_and_separators() {
        assert_eq!(money(2_500_315.456, "USD", 0), "$2,500,315");
        assert_eq!(money(1234.5, "USD", 2), "$1,234.50");
        assert_eq!(money(-12.0, "EUR", 2), "-€12.00");
        assert_eq!(money(-0.001, "USD", 2), "$0.00");
        // A currency without an en-US symbol prints as its code, spaced as CLDR says.
        assert_eq!(money(999.0, "SEK", 0), "SEK\u{a0}999");
        assert_eq!(money(999.0, "", 0), "999");
    }

    fn in_locale<R>(tag: &str, f: impl FnOnce() -> R) -> R {
        with_locale(&Rc::new(Locale::new(Some(tag)).unwrap()), f)
    }

    #[test]
    fn german_figures_and_dates() {
        in_locale("de-DE", || {
            assert_eq!(money(4_044_989.4, "EUR", 0), "4.044.989\u{a0}€");
            assert_eq!(money(-12.0, "EUR", 2), "-12,00\u{a0}€");
            assert_eq!(money(2_500_316.0, "USD", 0), "2.500.316\u{a0}$");
            assert_eq!(thousands(-1_234_567), "-1.234.567");
            assert_eq!(number(1234.5, 2), "1.234,50");
            assert_eq!(percent(0.125, 1), "12,5\u{a0}%");
            assert_eq!(percent_compact(0.0), "0\u{a0}%");
            assert_eq!(money_short(1_250_000.0, "EUR"), "1,2M\u{a0}€");
            assert_eq!(money_short(-350_000.0, "EUR"), "-350k\u{a0}€");
            assert_eq!(date("1998-06-30"), "30. Juni 1998");
            assert_eq!(date("1998Q2"), "1998Q2");
            assert_eq!(currency_symbol("EUR"), "€");
        });
        // The locale is restored afterwards.
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(date("1998-06-30"), "1998-06-30");
    }

    #[test]
    fn french_british_and_american_figures() {
        in_locale("fr-FR", || {
            assert_eq!(thousands(2_500_316), "2\u{202f}500\u{202f}316");
            assert_eq!(percent(0.125, 1), "12,5\u{a0}%");
            assert_eq!(money(1234.5, "EUR", 2), "1\u{202f}234,50\u{a0}€");
            assert_eq!(date("1998-06-30"), "30 juin 1998");
        });
        in_locale("en-GB", || {
            assert_eq!(money(1234.0, "GBP", 0), "£1,234");
            assert_eq!(date("1998-06-30"), "30 June 1998");
        });
        in_locale("en-US", || {
            assert_eq!(money(2_500_316.0, "USD", 0), "$2,500,316");
            assert_eq!(date("1998-06-30"), "June 30, 1998");
        });
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(-1234567), "-1,234,567");
    }

    #[test]
    fn short_money() {
        assert_eq!(money_short(1_250_000.0, "USD"), "$1.2M");
        assert_eq!(money_short(350_000.0, "USD"), "$350k");
        assert_eq!(money_short(2_000.0, "GBP"), "£2k");
        assert_eq!(money_short(900.0, "USD"), "$900");
    }

    #[test]
    fn compact_percent() {
        assert_eq!(percent_compact(0.042), "4.2%");
        assert_eq!(percent_compact(0.0996), "10%");
        assert_eq!(percent_compact(0.4237), "42%");
        assert_eq!(percent_compact(-0.031), "-3.1%");
        assert_eq!(percent_compact(0.0), "0%");
    }

    #[test]
    fn figures_that_are_not_meaningful_print_as_a_dash() {
        assert_eq!(percent(f64::NAN, 1), "–");
        assert_eq!(percent(f64::INFINITY, 0), "–");
        assert_eq!(percent_compact(f64::NAN), "–");
        assert_eq!(number(f64::NAN, 2), "–");
        assert_eq!(money(f64::NAN, "USD", 0), "–");
        assert_eq!(percents_of_total(&[0.0, 0.0], 0, 1), vec!["–", "–"]);
        assert_eq!(percents_of_total(&[0.25, 0.75], 400, 0), vec!["25%", "75%"]);
        assert!(share_of(0.5, -10).is_nan());
        assert_eq!(share_of(0.5, 10), 0.5);
    }

    #[test]
    fn percents_are_rounded_one_by_one_and_the_sum_is_checked() {
        let third = 1.0 / 3.0;
        assert_eq!(
            percents_of_total(&[third, third, third], 3, 1),
            vec!["33.3%", "33.3%", "33.3%"]
        );
        assert!(!rounded_percents_add_up(&[third, third, third], 1));
        assert!(rounded_percents_add_up(&[0.25, 0.75], 1));
        assert!(!rounded_percents_add_up(&[0.125, 0.125, 0.75], 0)); // 13 + 13 + 75
    }
}
