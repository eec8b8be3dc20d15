//! Number formatting for people: money with the currency symbol and thousands separators,
//! percentages that add up to 100%. Shared by the Tera filters, the charts and the PDF.
//! A figure that is not meaningful (a share of a total that is zero or negative, carried as NaN)
//! prints as [`NOT_MEANINGFUL`], never as `NaN`.

/// What a figure that is not meaningful prints as: an en dash.
pub const NOT_MEANINGFUL: &str = "\u{2013}";

/// The symbol a reader expects for an ISO 4217 currency code; unknown codes print as `CODE `.
pub fn currency_symbol(code: &str) -> String {
    match code.to_ascii_uppercase().as_str() {
        "USD" | "CAD" | "AUD" | "NZD" | "SGD" | "HKD" | "MXN" => "$".to_string(),
        "EUR" => "€".to_string(),
        "GBP" => "£".to_string(),
        "JPY" | "CNY" => "¥".to_string(),
        "INR" => "₹".to_string(),
        "CHF" => "CHF ".to_string(),
        "" => String::new(),
        other => format!("{other} "),
    }
}

/// Groups the digits of a non-negative integer written in decimal: `1234567` -> `1,234,567`.
fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An integer with thousands separators: `-1234567` -> `-1,234,567`.
pub fn thousands(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group_digits(&n.unsigned_abs().to_string()))
}

/// A number with `decimals` decimals and thousands separators: `1234.5` -> `1,234.50`.
pub fn number(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return NOT_MEANINGFUL.to_string();
    }
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text.as_str(), None),
    };
    let negative = value < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b));
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&group_digits(whole));
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Money for a reader: `$1,234,567` (`decimals` = 0) or `$1,234.56`; negatives as `-$12.00`.
pub fn money(value: f64, currency: &str, decimals: usize) -> String {
    if !value.is_finite() {
        return NOT_MEANINGFUL.to_string();
    }
    let body = number(value.abs(), decimals);
    let sign = if value < 0.0 && body.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        "-"
    } else {
        ""
    };
    format!("{sign}{}{body}", currency_symbol(currency))
}

/// Money in a short form for chart labels: `$1.2M`, `$350k`, `$900`.
pub fn money_short(value: f64, currency: &str) -> String {
    let symbol = currency_symbol(currency);
    let sign = if value < 0.0 { "-" } else { "" };
    let v = value.abs();
    let body = if v >= 1e9 {
        format!("{}B", trim_zeros(format!("{:.1}", v / 1e9)))
    } else if v >= 1e6 {
        format!("{}M", trim_zeros(format!("{:.1}", v / 1e6)))
    } else if v >= 1e3 {
        format!("{}k", trim_zeros(format!("{:.1}", v / 1e3)))
    } else {
        format!("{v:.0}")
    };
    format!("{sign}{symbol}{body}")
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A share (0..1) as a percentage: `0.1234` -> `12.3%` with one decimal.
pub fn percent(share: f64, decimals: usize) -> String {
    if !share.is_finite() {
        return NOT_MEANINGFUL.to_string();
    }
    format!("{}%", number(share * 100.0, decimals))
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
        "0%".to_string()
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
        assert_eq!(money(999.0, "SEK", 0), "SEK 999");
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
