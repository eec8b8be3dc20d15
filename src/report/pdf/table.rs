//! Table helpers: which cells are numbers, and how wide each column gets.

/// Whether a table cell reads as a number: `1,234`, `-5.5`, `$1,234`, `-$5.00`, `€12`, `12 €`,
/// `(1,200)`, `42%`, `+3.1 pp`, `$1.2M`, `2.5x`, `CHF 900`, `SEK 1,000`.
pub fn is_numeric(cell: &str) -> bool {
    let mut s = cell.trim();
    if s.is_empty() {
        return false;
    }
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        s = inner.trim();
    }
    s = strip_sign(s);
    s = strip_currency_prefix(s);
    s = strip_sign(s);
    let rest = match strip_number(s) {
        Some(rest) => rest,
        None => return false,
    };
    let rest = rest.trim_start();
    let rest = ["%", "pp", "bn", "k", "K", "M", "B", "x", "×"]
        .iter()
        .find_map(|suffix| rest.strip_prefix(suffix))
        .unwrap_or(rest)
        .trim_start();
    let rest = ["$", "€", "£", "¥", "₹"]
        .iter()
        .find_map(|c| rest.strip_prefix(c))
        .unwrap_or(rest);
    rest.trim().is_empty()
}

/// A cell that stands in for a number in a numeric column: a dash or "n/a".
pub fn is_placeholder(cell: &str) -> bool {
    matches!(cell.trim(), "-" | "–" | "—" | "n/a" | "N/A" | "n.a." | "")
}

fn strip_sign(s: &str) -> &str {
    for sign in ["-", "+", "−", "±"] {
        if let Some(rest) = s.strip_prefix(sign) {
            return rest.trim_start();
        }
    }
    s
}

fn strip_currency_prefix(s: &str) -> &str {
    for symbol in ["$", "€", "£", "¥", "₹"] {
        if let Some(rest) = s.strip_prefix(symbol) {
            return rest.trim_start();
        }
    }
    // An ISO code such as "CHF 900" or "USD 1,000".
    let bytes = s.as_bytes();
    if bytes.len() > 4 && bytes[..3].iter().all(u8::is_ascii_uppercase) && bytes[3] == b' ' {
        return s[4..].trim_start();
    }
    s
}

/// Strips a decimal number with optional thousands separators; returns what follows it.
fn strip_number(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut digits = 0;
    let mut group = 0; // digits since the last comma, when a comma was seen
    let mut seen_comma = false;
    while i < bytes.len() {
        match bytes[i] {
            b'0'..=b'9' => {
                digits += 1;
                group += 1;
            }
            b',' if digits > 0 && i + 1 < bytes.len() && bytes[i + 1].is_ascii_digit() => {
                if seen_comma && group != 3 {
                    return None;
                }
                if !seen_comma && group > 3 {
                    return None;
                }
                seen_comma = true;
                group = 0;
            }
            _ => break,
        }
        i += 1;
    }
    if seen_comma && group != 3 {
        return None;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        let start = i + 1;
        let mut j = start;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        if j > start {
            digits += j - start;
            i = j;
        }
    }
    if digits == 0 {
        return None;
    }
    Some(&s[i..])
}

/// Column widths for a table `avail` wide, from each column's narrowest possible width (widest
/// word) and natural width (all on one line), both already including cell padding.
///
/// - Everything fits on one line: natural widths, the spare width shared in proportion.
/// - Otherwise, if the minimums fit: every column starts at its minimum and the spare width goes
///   first to the columns that need the least to reach their natural width (so as few columns
///   as possible wrap); what is left when a column can't be satisfied is shared among the rest
///   in proportion to what they still want.
/// - Otherwise: minimums scaled down to fit (long words then break between characters).
///
/// The widths always sum to `avail` (for non-empty input).
pub fn column_widths(min: &[f64], max: &[f64], avail: f64) -> Vec<f64> {
    let n = min.len();
    if n == 0 {
        return Vec::new();
    }
    let max: Vec<f64> = max.iter().zip(min).map(|(a, b)| a.max(*b)).collect();
    let sum_min: f64 = min.iter().sum();
    let sum_max: f64 = max.iter().sum();
    if sum_max <= avail {
        let extra = avail - sum_max;
        if sum_max <= 0.0 {
            return vec![avail / n as f64; n];
        }
        return max.iter().map(|m| m + extra * m / sum_max).collect();
    }
    if sum_min <= avail {
        let mut widths = min.to_vec();
        let mut spare = avail - sum_min;
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| {
            (max[a] - min[a])
                .total_cmp(&(max[b] - min[b]))
                .then(a.cmp(&b))
        });
        for (k, &i) in order.iter().enumerate() {
            let deficit = max[i] - min[i];
            if deficit <= spare {
                widths[i] = max[i];
                spare -= deficit;
                continue;
            }
            let rest = &order[k..];
            let want: f64 = rest.iter().map(|&j| max[j] - min[j]).sum();
            for &j in rest {
                widths[j] = min[j]
                    + if want > 0.0 {
                        spare * (max[j] - min[j]) / want
                    } else {
                        0.0
                    };
            }
            break;
        }
        return widths;
    }
    min.iter().map(|m| m * avail / sum_min).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_money_and_percentages_are_numeric() {
        for s in [
            "0",
            "1234",
            "1,234",
            "1,234,567.89",
            "-5",
            "+3.25",
            "$1,234",
            "-$5.00",
            "$-5.00",
            "€12",
            "12 €",
            "£0.99",
            "42%",
            "-3.1%",
            "+2.5 pp",
            "$1.2M",
            "350k",
            "2.5x",
            "(1,200)",
            "CHF 900",
            "SEK 1,000",
            ".5",
            "−7",
        ] {
            assert!(is_numeric(s), "{s} should be numeric");
        }
    }

    #[test]
    fn words_and_dates_are_not_numeric() {
        for s in [
            "",
            "First class",
            "Q3",
            "2026-06-30",
            "v1.2.3",
            "1,23",
            "12,34,567",
            "$",
            "%",
            "n/a",
            "abc 12",
            "12 customers",
            "1.2.3",
            "-",
            "1234,5",
        ] {
            assert!(!is_numeric(s), "{s} should not be numeric");
        }
        assert!(is_placeholder("—") && is_placeholder("n/a") && !is_placeholder("x"));
    }

    #[test]
    fn widths_natural_when_they_fit() {
        let w = column_widths(&[20.0, 30.0], &[50.0, 50.0], 200.0);
        assert_eq!(w, vec![100.0, 100.0]);
    }

    #[test]
    fn widths_shrink_between_min_and_max() {
        let w = column_widths(
            &[20.0, 30.0, 10.0, 40.0],
            &[200.0, 30.0, 25.0, 150.0],
            200.0,
        );
        assert!((w.iter().sum::<f64>() - 200.0).abs() < 1e-9);
        assert_eq!(w[1], 30.0); // wanted nothing beyond its minimum
        assert_eq!(w[2], 25.0); // a short column gets its natural width first
        assert!(w[0] > 20.0 && w[3] > 40.0 && w[0] < 200.0 && w[3] < 150.0);
        for (wi, (lo, hi)) in w.iter().zip(
            [20.0, 30.0, 10.0, 40.0]
                .iter()
                .zip([200.0, 30.0, 25.0, 150.0]),
        ) {
            assert!(*wi >= *lo - 1e-9 && *wi <= hi + 1e-9);
        }
    }

    #[test]
    fn widths_scale_below_minimums() {
        let w = column_widths(&[100.0, 300.0], &[500.0, 900.0], 200.0);
        assert!((w.iter().sum::<f64>() - 200.0).abs() < 1e-9);
        assert!((w[0] - 50.0).abs() < 1e-9);
    }
}
