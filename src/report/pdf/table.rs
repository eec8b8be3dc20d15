//! Table helpers: which cells are numbers, how wide each column gets and in what size, and how
//! a table too wide for the page even in the smallest type splits into groups of columns.

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
/// Words of more than this many characters are "very long": the only words a table may
/// hyphenate, and only when it does not fit otherwise.
pub const LONG_WORD_CHARS: usize = 12;
/// A body cell of up to this many characters (a name, a label) is kept on one line by smaller
/// type before it wraps; a longer one (a sentence) wraps at word boundaries.
pub const SHORT_CELL_CHARS: usize = 30;
/// Cell padding (each side) of a table too wide for the normal padding.
pub const TIGHT_PAD: f64 = 2.5;

/// How a table is set: its font size, cell padding and the width of each column.
#[derive(Debug, Clone, PartialEq)]
pub struct TablePlan {
    /// Font size of the header and body.
    pub size: f64,
    /// Padding on either side of each cell's text.
    pub pad: f64,
    /// Column widths (padding included); they sum to the width available.
    pub widths: Vec<f64>,
}

/// One column's widths at the base size, without padding.
#[derive(Debug, Clone, Copy, Default)]
struct Column {
    /// Widest unbreakable token with every word whole.
    whole: f64,
    /// Widest unbreakable token when words over [`LONG_WORD_CHARS`] may be hyphenated.
    long: f64,
    /// Longest line of a short body cell (up to [`SHORT_CELL_CHARS`]) or a number.
    short: f64,
    /// Width of the header on at most two lines.
    head2: f64,
    /// Width of the header on at most three lines.
    head3: f64,
    /// Longest line of a body cell.
    body: f64,
    /// Longest line of any cell, the header included.
    full: f64,
}

/// Width of `text` on at most `lines` lines broken between words, in `spec`: the narrowest
/// width at which it takes no more lines.
fn lines_width(text: &str, spec: &TextSpec, lines: usize) -> f64 {
    let words: Vec<&str> = text.split_whitespace().collect();
    let width = |ws: &[&str]| measure_words(&[Span::plain(ws.join(" "))], spec, usize::MAX).1;
    // best[i]: the narrowest width for the first i words on the lines so far.
    let n = words.len();
    let mut best: Vec<f64> = (0..=n).map(|i| width(&words[..i])).collect();
    for _ in 1..lines {
        best = (0..=n)
            .map(|i| {
                (0..=i)
                    .map(|k| best[k].max(width(&words[k..i])))
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
    }
    best[n]
}

/// Measures every column of a table at `base` size; `bold_row(i)` says whether body row `i` is
/// set bold (a totals row). A cell that reads as a number ([`is_numeric`]) never wraps; numbers,
/// money amounts and dates inside text are never broken ([`measure_words`]).
fn measure_columns(
    head: &[Vec<Span>],
    rows: &[Vec<Vec<Span>>],
    bold_row: &dyn Fn(usize) -> bool,
    base: f64,
) -> Vec<Column> {
    let body_spec = TextSpec::new(base);
    let bold_spec = TextSpec {
        bold: true,
        ..body_spec
    };
    let hold = |col: &mut Column, cell: &[Span], spec: &TextSpec| -> f64 {
        let text = plain_text(cell);
        let (whole, natural) = measure_words(cell, spec, usize::MAX);
        let (whole, long) = if is_numeric(text.trim()) {
            (natural, natural)
        } else {
            (whole, measure_words(cell, spec, LONG_WORD_CHARS).0)
        };
        col.whole = col.whole.max(whole);
        col.long = col.long.max(long);
        col.full = col.full.max(natural);
        natural
    };
    let mut cols = vec![Column::default(); column_count(head, rows)];
    for (c, col) in cols.iter_mut().enumerate() {
        if let Some(cell) = head.get(c) {
            hold(col, cell, &bold_spec);
            col.head2 = lines_width(&plain_text(cell), &bold_spec, 2);
            col.head3 = lines_width(&plain_text(cell), &bold_spec, 3);
        }
        for (i, row) in rows.iter().enumerate() {
            if let Some(cell) = row.get(c) {
                let spec = if bold_row(i) { &bold_spec } else { &body_spec };
                let natural = hold(col, cell, spec);
                col.body = col.body.max(natural);
                let text = plain_text(cell);
                if text.trim().chars().count() <= SHORT_CELL_CHARS || is_numeric(text.trim()) {
                    col.short = col.short.max(natural);
                }
            }
        }
    }
    cols
}

/// How many columns a table has: its widest row, the header included.
pub fn column_count<C>(head: &[C], rows: &[Vec<C>]) -> usize {
    rows.iter()
        .map(Vec::len)
        .chain(std::iter::once(head.len()))
        .max()
        .unwrap_or(0)
}

/// The widths of `cols` at `size` with `pad` on each side, from `pick` (measured at `base`).
fn scaled(cols: &[Column], base: f64, size: f64, pad: f64, pick: fn(&Column) -> f64) -> Vec<f64> {
    cols.iter()
        .map(|col| pick(col) * size / base + 2.0 * pad)
        .collect()
}

fn fits(widths: &[f64], avail: f64) -> bool {
    widths.iter().sum::<f64>() <= avail + 1e-9
}

/// The short lines of a column with every word whole: what a table keeps on one line.
fn one_line(c: &Column) -> f64 {
    c.whole.max(c.short)
}

/// Sizes a table `avail` wide from its content, never wider than `avail`: a number, money
/// amount, percentage or date is never broken, nor a word of up to [`LONG_WORD_CHARS`]
/// characters.
///
/// In this order, as far as needed: the font steps down from `base` to [`FLOOR_SIZE`], and then
/// the padding narrows from `pad` to [`TIGHT_PAD`], to keep the words whole, the short cells
/// (names, numbers: [`SHORT_CELL_CHARS`]) on one line and the headers on two, or failing that
/// the short cells on one line; short cells wrap between words; words over
/// [`LONG_WORD_CHARS`] characters are hyphenated. The spare width goes first to short cells,
/// then to the headers (on three lines, then on two), then to long text cells, then to
/// one-line headers, so headers wrap before names and long text wraps before headers take a
/// third line.
/// A table whose numbers and short words cannot fit even so is split ([`column_groups`]); if
/// it is not, its columns shrink in proportion (the last resort, which may break a number).
/// `bold_row(i)` says whether body row `i` is set bold (a totals row).
pub fn plan(
    head: &[Vec<Span>],
    rows: &[Vec<Vec<Span>>],
    bold_row: &dyn Fn(usize) -> bool,
    base: f64,
    pad: f64,
    avail: f64,
) -> TablePlan {
    let cols = measure_columns(head, rows, bold_row, base);
    let targets: [fn(&Column) -> f64; 5] =
        [one_line, |c| c.head3, |c| c.head2, |c| c.body, |c| c.full];
    let finish = |size: f64, pad: f64, min: fn(&Column) -> f64, first: &[fn(&Column) -> f64]| {
        let wants: Vec<Vec<f64>> = first
            .iter()
            .chain(&targets)
            .map(|&t| scaled(&cols, base, size, pad, t))
            .collect();
        TablePlan {
            size,
            pad,
            widths: fill(&scaled(&cols, base, size, pad, min), &wants, avail),
        }
    };
    let floor = base.min(FLOOR_SIZE);
    let tight = pad.min(TIGHT_PAD);
    let mut settings = Vec::new();
    let mut size = base;
    while size >= FLOOR_SIZE - 1e-9 {
        settings.push((size, pad));
        size -= SIZE_STEP;
    }
    settings.push((floor, tight));
    // Short cells on one line and headers on two if the type can shrink so far, else short
    // cells on one line.
    let neat: fn(&Column) -> f64 = |c| one_line(c).max(c.head2);
    for want in [neat, one_line] {
        if let Some(&(size, pad)) = settings
            .iter()
            .find(|&&(size, pad)| fits(&scaled(&cols, base, size, pad, want), avail))
        {
            return finish(size, pad, |c| c.whole, &[]);
        }
    }
    if fits(&scaled(&cols, base, floor, tight, |c| c.whole), avail) {
        return finish(floor, tight, |c| c.whole, &[]);
    }
    finish(floor, tight, |c| c.long, &[|c| c.whole])
}

/// How to split a table too wide for `avail` even at [`FLOOR_SIZE`] with every word over
/// [`LONG_WORD_CHARS`] hyphenated: groups of columns, each led by the first (label) column,
/// in order, as few groups as keep every word whole (or, failing that, every word of up to
/// [`LONG_WORD_CHARS`] characters), of about as many columns each. A table that fits (see [`plan`]) is one group of all its
/// columns, and so is one of at most two columns.
pub fn column_groups(
    head: &[Vec<Span>],
    rows: &[Vec<Vec<Span>>],
    bold_row: &dyn Fn(usize) -> bool,
    base: f64,
    pad: f64,
    avail: f64,
) -> Vec<Vec<usize>> {
    let cols = measure_columns(head, rows, bold_row, base);
    let n = cols.len();
    let (floor, tight) = (base.min(FLOOR_SIZE), pad.min(TIGHT_PAD));
    if n <= 2 || fits(&scaled(&cols, base, floor, tight, |c| c.long), avail) {
        return vec![(0..n).collect()];
    }
    for pick in [|c: &Column| c.whole, |c: &Column| c.long] {
        let widths = scaled(&cols, base, floor, tight, pick);
        for parts in 2..n {
            let groups = balanced(n - 1, parts);
            let fit = groups
                .iter()
                .all(|g| widths[0] + g.clone().map(|c| widths[c + 1]).sum::<f64>() <= avail + 1e-9);
            if fit {
                return groups
                    .into_iter()
                    .map(|g| std::iter::once(0).chain(g.map(|c| c + 1)).collect())
                    .collect();
            }
        }
    }
    vec![(0..n).collect()]
}

/// A table cut into groups of columns ([`column_groups`]) and the type size they share.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The columns of each part, in order; one group of every column for a table that fits.
    pub groups: Vec<Vec<usize>>,
    /// The size every part starts from: the smallest any part needs (`base` for one group).
    pub size: f64,
}

/// Splits a table too wide for `avail` into groups of columns ([`column_groups`]), set in the
/// same type size so the parts read as one table.
pub fn split(
    head: &[Vec<Span>],
    rows: &[Vec<Vec<Span>>],
    bold_row: &dyn Fn(usize) -> bool,
    base: f64,
    pad: f64,
    avail: f64,
) -> Split {
    let groups = column_groups(head, rows, bold_row, base, pad, avail);
    let size = if groups.len() < 2 {
        base
    } else {
        groups
            .iter()
            .map(|cols| {
                let part: Vec<_> = rows.iter().map(|r| pick_columns(r, cols)).collect();
                plan(&pick_columns(head, cols), &part, bold_row, base, pad, avail).size
            })
            .fold(base, f64::min)
    };
    Split { groups, size }
}

/// The cells of `row` in the columns `cols`, an empty cell where the row is short.
pub fn pick_columns(row: &[Vec<Span>], cols: &[usize]) -> Vec<Vec<Span>> {
    cols.iter()
        .map(|&c| row.get(c).cloned().unwrap_or_default())
        .collect()
}

/// `n` items in `parts` runs of consecutive indices, the first runs one longer when `n` does
/// not divide evenly.
fn balanced(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let (each, extra) = (n / parts, n % parts);
    let mut start = 0;
    (0..parts)
        .map(|p| {
            let len = each + usize::from(p < extra);
            let range = start..start + len;
            start += len;
            range
        })
        .collect()
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
    use crate::report::pdf::text::is_atomic;

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

    /// Asserts that every number and every word of up to [`LONG_WORD_CHARS`] characters of a
    /// table fits its column in `plan`, and that the table is exactly `avail` wide.
    fn assert_whole(head: &[Vec<Span>], rows: &[Vec<Vec<Span>>], plan: &TablePlan, avail: f64) {
        let total: f64 = plan.widths.iter().sum();
        assert!((total - avail).abs() < 1e-6, "{plan:?}");
        assert!(plan.size >= FLOOR_SIZE && plan.size <= 8.5);
        let cells = rows
            .iter()
            .flat_map(|r| r.iter().enumerate().map(|(c, cell)| (c, cell, false)))
            .chain(head.iter().enumerate().map(|(c, cell)| (c, cell, true)));
        for (c, cell, bold) in cells {
            for word in plain_text(cell).split(' ') {
                if word.chars().count() > LONG_WORD_CHARS && !is_atomic(word) {
                    continue;
                }
                let w = width_of(word, plan.size, bold) + 2.0 * plan.pad;
                assert!(w <= plan.widths[c] + 1e-6, "{word} in {plan:?} at {avail}");
            }
        }
    }

    #[test]
    fn a_wide_table_steps_down_and_keeps_numbers_whole() {
        let (head, rows) = wide_table();
        for avail in [300.0, 453.54, 470.0, 520.0, 700.0, 1000.0] {
            let groups = column_groups(&head, &rows, &|_| false, 8.5, 5.0, avail);
            assert_eq!(groups.len() > 1, avail < 500.0, "{groups:?} at {avail}");
            for cols in groups {
                assert_eq!(cols[0], 0);
                let head = pick_columns(&head, &cols);
                let rows: Vec<_> = rows.iter().map(|r| pick_columns(r, &cols)).collect();
                let plan = plan(&head, &rows, &|_| false, 8.5, 5.0, avail);
                assert_whole(&head, &rows, &plan, avail);
            }
        }
        // Wide enough: the base size and normal padding.
        let roomy = plan(&head, &rows, &|_| false, 8.5, 5.0, 1000.0);
        assert_eq!((roomy.size, roomy.pad), (8.5, 5.0));
        // A4: smaller type first, then tighter padding, inside the text width.
        let a4 = plan(&head, &rows, &|_| false, 8.5, 5.0, 453.54);
        assert_eq!(a4.size, FLOOR_SIZE);
        // The tier names' words are whole, and the long header does not crowd the names.
        assert!(a4.widths[0] >= a4.widths[4], "{a4:?}");
    }

    #[test]
    fn a_too_wide_table_splits_into_balanced_groups_led_by_the_label() {
        let (head, rows) = wide_table();
        let groups = column_groups(&head, &rows, &|_| false, 8.5, 5.0, 300.0);
        let all: Vec<usize> = groups.iter().flat_map(|g| g[1..].to_vec()).collect();
        assert_eq!(all, (1..11).collect::<Vec<_>>());
        let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
        assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        assert_eq!(balanced(7, 3), vec![0..3, 3..5, 5..7]);
        // The parts share one size: the smallest any of them needs.
        let s = split(&head, &rows, &|_| false, 8.5, 5.0, 453.54);
        assert_eq!(s.groups.len(), 2);
        let sizes: Vec<f64> = s
            .groups
            .iter()
            .map(|cols| {
                let part: Vec<_> = rows.iter().map(|r| pick_columns(r, cols)).collect();
                plan(
                    &pick_columns(&head, cols),
                    &part,
                    &|_| false,
                    s.size,
                    5.0,
                    453.54,
                )
                .size
            })
            .collect();
        assert!(sizes.iter().all(|&z| z == s.size), "{sizes:?} {s:?}");
        assert!(s.size < 8.5);
        // Two columns are never split.
        let two = column_groups(
            &head[..2],
            &[rows[0][..2].to_vec()],
            &|_| false,
            8.5,
            5.0,
            10.0,
        );
        assert_eq!(two, vec![vec![0, 1]]);
    }

    #[test]
    fn short_cells_keep_one_line_by_smaller_type_and_long_text_wraps() {
        let head = cells(&["Tier", "Rule holds for", "Near a threshold (within 5%)"]);
        let long = "revenue >= $300 (param first_class_min): 275; purchase_days >= 3 (param business_min_days): 2,205";
        let rows = vec![cells(&["Business", "7,860", long])];
        let p = plan(&head, &rows, &|_| false, 8.5, 5.0, 453.54);
        // A sentence wraps at the base size; it does not shrink the type.
        assert_eq!(p.size, 8.5);
        // The headers get two lines before the sentence widens.
        let w = |t: &str| width_of(t, 8.5, true);
        let two = w("Rule holds").min(w("holds for")) + 10.0;
        assert!(p.widths[1] >= two - 1e-6, "{p:?}");
        // A name of up to 30 characters stays on one line by smaller type.
        let head = cells(&["Tier", "A", "B"]);
        let name = "Einmalkäufer ohne Wiederkauf";
        let rows = vec![cells(&[name, "$2,500,316.00", "$2,500,316.00"])];
        let avail = width_of(name, 8.0, false) + 2.0 * width_of("$2,500,316.00", 8.0, false) + 30.0;
        let p = plan(&head, &rows, &|_| false, 8.5, 5.0, avail + 0.01);
        assert_eq!(p.size, 8.0);
        assert!(p.widths[0] >= width_of(name, 8.0, false) + 10.0 - 1e-6);
    }

    #[test]
    fn header_widths_on_a_number_of_lines() {
        let spec = TextSpec {
            bold: true,
            ..TextSpec::new(8.5)
        };
        let text = "Occasional Bargain Hunters on 1998-06-30";
        let w = |t: &str| width_of(t, 8.5, true);
        assert!((lines_width(text, &spec, 1) - w(text)).abs() < 1e-6);
        let two = w("Occasional Bargain").max(w("Hunters on 1998-06-30"));
        assert!((lines_width(text, &spec, 2) - two).abs() < 1e-6);
        let three = lines_width(text, &spec, 3);
        assert!(three < two && three >= w("Hunters on").max(w("1998-06-30")) - 1e-6);
        let widest = w("Occasional").max(w("1998-06-30"));
        assert!((lines_width(text, &spec, 9) - widest).abs() < 1e-6);
        assert_eq!(lines_width("", &spec, 2), 0.0);
    }

    #[test]
    fn headers_wrap_before_body_lines() {
        // One long header over short numbers, one long name: the name gets its line first.
        let head = cells(&["Tier", "Cumulative share of revenue"]);
        let rows = vec![cells(&["Strategic Platinum Accounts", "14.5%"])];
        let name = width_of("Strategic Platinum Accounts", 8.5, false) + 10.0;
        let header = width_of("Cumulative share of revenue", 8.5, true) + 10.0;
        let avail = name + header - 20.0;
        let p = plan(&head, &rows, &|_| false, 8.5, 5.0, avail);
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
