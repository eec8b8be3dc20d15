//! Table helpers: which cells are numbers, and how wide each column gets and in what size.

use super::text::{measure_words, plain_text, Span, TextSpec};

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

/// A table's font size steps down by this much at a time when its columns do not fit.
pub const SIZE_STEP: f64 = 0.5;
/// The smallest font size a table is ever set in.
pub const FLOOR_SIZE: f64 = 7.0;
/// Words up to this many characters are never broken in a table cell.
pub const WORD_CHARS: usize = 18;
/// When a table does not fit even at [`FLOOR_SIZE`], words longer than this are hyphenated.
pub const SHORT_WORD_CHARS: usize = 11;
/// Cell padding (each side) of a table too wide for the normal padding.
pub const TIGHT_PAD: f64 = 2.5;
/// In the last resort, words of up to this many characters stay whole.
const LAST_WORD_CHARS: usize = 5;

/// How a table is set: its font size, cell padding, the width of each column and how far it
/// reaches into the margins.
#[derive(Debug, Clone, PartialEq)]
pub struct TablePlan {
    /// Font size of the header and body.
    pub size: f64,
    /// Padding on either side of each cell's text.
    pub pad: f64,
    /// Column widths (padding included); they sum to the width available plus twice `spill`.
    pub widths: Vec<f64>,
    /// How far the table reaches into each side margin (0 unless it cannot fit otherwise).
    pub spill: f64,
}

/// How far words may be broken, from none to every text word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Breaks {
    /// Words up to [`WORD_CHARS`] whole; header words whole.
    Words,
    /// Body words over [`SHORT_WORD_CHARS`] hyphenated; header words whole.
    ShortWords,
    /// Header words over [`SHORT_WORD_CHARS`] hyphenated too.
    Headers,
    /// The last resort: words over [`LAST_WORD_CHARS`] hyphenated (never a number).
    Anywhere,
}

/// The levels of [`Breaks`], in order.
const LEVELS: [Breaks; 4] = [
    Breaks::Words,
    Breaks::ShortWords,
    Breaks::Headers,
    Breaks::Anywhere,
];

/// One column's widths at the base size, without padding.
#[derive(Debug, Clone, Copy, Default)]
struct Column {
    /// Widest unbreakable token at each level of [`Breaks`], in order.
    min: [f64; 4],
    /// Longest line of a body cell.
    body: f64,
    /// Longest line of any cell, the header included.
    full: f64,
}

impl Column {
    fn min(&self, breaks: Breaks) -> f64 {
        self.min[breaks as usize]
    }

    /// Widens the column to hold a cell: its minimum at each level and its natural width.
    fn hold(&mut self, min: [f64; 4], natural: f64, header: bool) {
        for (m, v) in self.min.iter_mut().zip(min) {
            *m = m.max(v);
        }
        if !header {
            self.body = self.body.max(natural);
        }
        self.full = self.full.max(natural);
    }
}

/// Measures a cell: its minimum at each level of [`Breaks`] and its natural width. A cell that
/// reads as a number ([`is_numeric`]) never wraps.
fn measure_cell(cell: &[Span], spec: &TextSpec, header: bool) -> ([f64; 4], f64) {
    let (last, natural) = measure_words(cell, spec, LAST_WORD_CHARS);
    if !header && is_numeric(plain_text(cell).trim()) {
        return ([natural; 4], natural);
    }
    let (words, _) = measure_words(cell, spec, if header { usize::MAX } else { WORD_CHARS });
    let (short, _) = measure_words(cell, spec, SHORT_WORD_CHARS);
    let min = if header {
        [words, words, short, last]
    } else {
        [words, short, short, last]
    };
    (min, natural)
}

/// How many columns a table has: its widest row, the header included.
pub fn column_count<C>(head: &[C], rows: &[Vec<C>]) -> usize {
    rows.iter()
        .map(Vec::len)
        .chain(std::iter::once(head.len()))
        .max()
        .unwrap_or(0)
}

/// Sizes a table `avail` wide from its content: each column at least as wide as its longest
/// unbreakable token (a number, money amount, percentage or date is never broken, nor a word of
/// up to [`WORD_CHARS`] characters, nor a header word), the spare width given first to the body
/// cells' longest lines and then to the headers' ([`content_widths`]).
///
/// When the minimums do not fit, in this order: the font steps down from `base` to
/// [`FLOOR_SIZE`]; the padding narrows from `pad` to [`TIGHT_PAD`]; the table reaches up to
/// `spill` into each side margin; body words over [`SHORT_WORD_CHARS`] may be hyphenated, then
/// header words over [`SHORT_WORD_CHARS`]; as the last resort, within the text width again,
/// words over [`LAST_WORD_CHARS`].
/// A number, date or money amount is never broken. `bold_row(i)` says whether body row `i` is
/// set bold (a totals row).
pub fn plan(
    head: &[Vec<Span>],
    rows: &[Vec<Vec<Span>>],
    bold_row: &dyn Fn(usize) -> bool,
    base: f64,
    pad: f64,
    avail: f64,
    spill: f64,
) -> TablePlan {
    let ncols = column_count(head, rows);
    let body_spec = TextSpec::new(base);
    let bold_spec = TextSpec {
        bold: true,
        ..body_spec
    };
    let mut cols = vec![Column::default(); ncols];
    for (c, col) in cols.iter_mut().enumerate() {
        if let Some(cell) = head.get(c) {
            let (min, natural) = measure_cell(cell, &bold_spec, true);
            col.hold(min, natural, true);
        }
        for (i, row) in rows.iter().enumerate() {
            if let Some(cell) = row.get(c) {
                let spec = if bold_row(i) { &bold_spec } else { &body_spec };
                let (min, natural) = measure_cell(cell, spec, false);
                col.hold(min, natural, false);
            }
        }
    }
    let scaled = |size: f64, pad: f64, pick: &dyn Fn(&Column) -> f64| -> Vec<f64> {
        cols.iter()
            .map(|col| pick(col) * size / base + 2.0 * pad)
            .collect()
    };
    let mut attempts: Vec<(f64, f64, f64, Breaks)> = Vec::new();
    let mut size = base;
    while size >= FLOOR_SIZE - 1e-9 {
        attempts.push((size, pad, 0.0, Breaks::Words));
        size -= SIZE_STEP;
    }
    let floor = base.min(FLOOR_SIZE);
    let tight = pad.min(TIGHT_PAD);
    attempts.push((floor, tight, 0.0, Breaks::Words));
    for breaks in [Breaks::Words, Breaks::ShortWords, Breaks::Headers] {
        attempts.push((floor, tight, spill, breaks));
    }
    for (size, pad, spill, breaks) in attempts {
        let min = scaled(size, pad, &|c| c.min(breaks));
        let width = avail + 2.0 * spill;
        if min.iter().sum::<f64>() <= width + 1e-9 {
            // The spare width first keeps whole the words this level lets break, then goes to
            // the body lines and the headers.
            let mut targets: Vec<Vec<f64>> = LEVELS[..breaks as usize]
                .iter()
                .rev()
                .map(|&b| scaled(size, pad, &|c| c.min(b)))
                .collect();
            targets.push(scaled(size, pad, &|c| c.body));
            targets.push(scaled(size, pad, &|c| c.full));
            let widths = fill(&min, &targets, width);
            return TablePlan {
                size,
                pad,
                widths,
                spill,
            };
        }
    }
    // Words over a few characters may break; numbers keep their width, and as few words as
    // can be break.
    let mut targets: Vec<Vec<f64>> = LEVELS[..Breaks::Anywhere as usize]
        .iter()
        .rev()
        .map(|&b| scaled(floor, tight, &|c| c.min(b)))
        .collect();
    targets.push(scaled(floor, tight, &|c| c.body));
    targets.push(scaled(floor, tight, &|c| c.full));
    let min = scaled(floor, tight, &|c| c.min(Breaks::Anywhere));
    // A table that must break words anyway stays inside the text width.
    TablePlan {
        size: floor,
        pad: tight,
        widths: fill(&min, &targets, avail),
        spill: 0.0,
    }
}

/// Column widths for a table `avail` wide, from each column's narrowest possible width (widest
/// word) and natural width (all on one line), both already including cell padding.
/// As [`content_widths`] with no difference between body and header lines.
pub fn column_widths(min: &[f64], max: &[f64], avail: f64) -> Vec<f64> {
    content_widths(min, max, max, avail)
}

/// Column widths for a table `avail` wide, from each column's minimum (widest unbreakable
/// token), the natural width of its body cells (`body`) and of all its cells (`full`, the header
/// included), all including cell padding.
///
/// - Everything fits on one line: natural widths, the spare width shared in proportion.
/// - Otherwise, if the minimums fit: every column starts at its minimum and the spare width goes
///   towards the body widths, first to the columns that need the least to reach theirs (so as
///   few columns as possible wrap); what is left when a column can't be satisfied is shared
///   among the rest in proportion to what they still want. Then the same towards the full
///   widths, so a long header wraps before the body does.
/// - Otherwise: minimums scaled down to fit (long words then break between characters).
///
/// The widths always sum to `avail` (for non-empty input).
pub fn content_widths(min: &[f64], body: &[f64], full: &[f64], avail: f64) -> Vec<f64> {
    fill(min, &[body.to_vec(), full.to_vec()], avail)
}

/// Widths from `min` grown towards each of `targets` in turn (see [`content_widths`]).
fn fill(min: &[f64], targets: &[Vec<f64>], avail: f64) -> Vec<f64> {
    let n = min.len();
    if n == 0 {
        return Vec::new();
    }
    // Each target at least the one before it.
    let mut floor = min.to_vec();
    let targets: Vec<Vec<f64>> = targets
        .iter()
        .map(|t| {
            floor = t.iter().zip(&floor).map(|(a, b)| a.max(*b)).collect();
            floor.clone()
        })
        .collect();
    let full = targets.last().map_or(min, Vec::as_slice);
    let sum_min: f64 = min.iter().sum();
    let sum_full: f64 = full.iter().sum();
    if sum_full <= avail {
        let extra = avail - sum_full;
        if sum_full <= 0.0 {
            return vec![avail / n as f64; n];
        }
        return full.iter().map(|m| m + extra * m / sum_full).collect();
    }
    if sum_min <= avail {
        let mut widths = min.to_vec();
        let mut spare = avail - sum_min;
        for target in &targets {
            spare = grow(&mut widths, target, spare);
        }
        return widths;
    }
    min.iter().map(|m| m * avail / sum_min).collect()
}

/// Gives up to `spare` to the columns below their `target`, the smallest shortfalls first in
/// full, then the rest in proportion to what each still wants; returns what is left.
fn grow(widths: &mut [f64], target: &[f64], spare: f64) -> f64 {
    let mut spare = spare;
    let want = |i: usize, widths: &[f64]| (target[i] - widths[i]).max(0.0);
    let mut order: Vec<usize> = (0..widths.len()).collect();
    order.sort_by(|&a, &b| want(a, widths).total_cmp(&want(b, widths)).then(a.cmp(&b)));
    for (k, &i) in order.iter().enumerate() {
        let deficit = want(i, widths);
        if deficit <= spare {
            widths[i] += deficit;
            spare -= deficit;
            continue;
        }
        let rest = &order[k..];
        let total: f64 = rest.iter().map(|&j| want(j, widths)).sum();
        let shares: Vec<f64> = rest
            .iter()
            .map(|&j| {
                if total > 0.0 {
                    spare * want(j, widths) / total
                } else {
                    0.0
                }
            })
            .collect();
        for (&j, share) in rest.iter().zip(shares) {
            widths[j] += share;
        }
        return 0.0;
    }
    spare
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

    fn cells(texts: &[&str]) -> Vec<Vec<Span>> {
        texts.iter().map(|t| vec![Span::plain(*t)]).collect()
    }

    fn width_of(text: &str, size: f64, bold: bool) -> f64 {
        use crate::report::style::fonts::{fonts, Face};
        let face = if bold { Face::Bold } else { Face::Regular };
        fonts().width(face, text, size)
    }

    /// An 11-column table: a tier name, money with cents, counts, signed percentages.
    fn wide_table() -> (Vec<Vec<Span>>, Vec<Vec<Vec<Span>>>) {
        let head = cells(&[
            "Tier",
            "Customers",
            "Share of all customers",
            "Revenue",
            "Cumulative share of revenue",
            "Margin",
            "Share of margin",
            "Revenue per customer",
            "Orders",
            "Orders per customer",
            "Change versus plan",
        ]);
        let rows = vec![
            cells(&[
                "Gelegenheitskunden Nord",
                "1,013",
                "4.3%",
                "$4,044,989.62",
                "15.4%",
                "$1,000,000",
                "15.4%",
                "$379.30",
                "9,041",
                "8.92",
                "+50%",
            ]),
            cells(&[
                "Strategic Platinum Accounts",
                "200",
                "0.8%",
                "$362,477.33",
                "14.5%",
                "$137,742",
                "14.5%",
                "$1,812.39",
                "5,660",
                "28.30",
                "+0.8%",
            ]),
        ];
        (head, rows)
    }

    #[test]
    fn a_wide_table_steps_down_and_keeps_numbers_whole() {
        let (head, rows) = wide_table();
        for avail in [453.54, 470.0, 520.0, 700.0, 1000.0] {
            let plan = plan(&head, &rows, &|_| false, 8.5, 5.0, avail, 36.0);
            let total: f64 = plan.widths.iter().sum();
            assert!(
                (total - (avail + 2.0 * plan.spill)).abs() < 1e-6,
                "{plan:?}"
            );
            assert!(plan.size >= FLOOR_SIZE && plan.size <= 8.5);
            for row in &rows {
                for (c, cell) in row.iter().enumerate() {
                    let text = plain_text(cell);
                    for word in text.split(' ') {
                        // Every number and every word of up to 18 characters fits its column.
                        let w = width_of(word, plan.size, false) + 2.0 * plan.pad;
                        assert!(w <= plan.widths[c] + 1e-6, "{word} in {plan:?} at {avail}");
                    }
                }
            }
            for (c, cell) in head.iter().enumerate() {
                for word in plain_text(cell).split(' ') {
                    let w = width_of(word, plan.size, true) + 2.0 * plan.pad;
                    assert!(w <= plan.widths[c] + 1e-6, "{word} in {plan:?} at {avail}");
                }
            }
        }
        // Wide enough: the base size, normal padding, no reaching into the margins.
        let roomy = plan(&head, &rows, &|_| false, 8.5, 5.0, 1000.0, 36.0);
        assert_eq!((roomy.size, roomy.pad, roomy.spill), (8.5, 5.0, 0.0));
        // A4: smaller type first, then tighter padding, then the margins.
        let a4 = plan(&head, &rows, &|_| false, 8.5, 5.0, 453.54, 36.0);
        assert_eq!(a4.size, FLOOR_SIZE);
        // The tier names' words are whole, and the long header does not crowd the names.
        assert!(a4.widths[0] >= a4.widths[4], "{a4:?}");
    }

    #[test]
    fn headers_wrap_before_body_lines() {
        // One long header over short numbers, one long name: the name gets its line first.
        let head = cells(&["Tier", "Cumulative share of revenue"]);
        let rows = vec![cells(&["Strategic Platinum Accounts", "14.5%"])];
        let name = width_of("Strategic Platinum Accounts", 8.5, false) + 10.0;
        let header = width_of("Cumulative share of revenue", 8.5, true) + 10.0;
        let avail = name + header - 20.0;
        let p = plan(&head, &rows, &|_| false, 8.5, 5.0, avail, 0.0);
        assert_eq!(p.size, 8.5);
        assert!((p.widths[0] - name).abs() < 1e-6, "{p:?}");
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
