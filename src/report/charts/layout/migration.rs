//! The migration chart's layout (`charts/migration.svg`): a heat map with one row per tier at the
//! earlier evaluation and one column per tier at the later one, each cell shaded by its share of
//! the customers and labelled with their count and revenue. Cells where the tier stayed the same
//! are outlined. Serves `run --compare-as-of` and any other pair of evaluations (two policies).

use super::super::drawing::{Drawing, Stroke, TextStyle};
use super::super::{FlowCell, MigrationGrid};
use super::{header, lines_fit, text_width, wrap_label, wrap_words, MIN_TEXT, WIDTH};
use crate::report::format::{money_short, percent_compact, thousands};
use crate::report::style::palette::{INK, MUTED, RFM_CLASSES, WHITE};

/// Lower bounds (share of all customers) of the shading classes 1 to 4; class 0 is below.
const BOUNDS: [f64; 4] = [0.01, 0.05, 0.15, 0.40];
/// The labels of the five classes, for the legend.
const LABELS: [&str; 5] = ["under 1%", "1–5%", "5–15%", "15–40%", "40% or more"];

/// The shading class (0 to 4) of a cell holding `share` of the customers.
fn class(share: f64) -> usize {
    BOUNDS.iter().filter(|&&b| share >= b).count()
}

/// Size of the tier names.
const LABEL_SIZE: f64 = 8.5;
/// Height of a row of cells.
const CH: f64 = 40.0;

/// Lays out the heat map.
pub(super) fn migration(title: &str, g: &MigrationGrid) -> Drawing {
    let total: u64 = g.cells.iter().flatten().map(|c| c.customers).sum();
    let mut d = Drawing::new(WIDTH, 100.0);
    header(&mut d, title, &g.subtitle);
    let widest = g
        .rows
        .iter()
        .map(|r| text_width(r, LABEL_SIZE, true))
        .fold(40.0, f64::max);
    let gl = (widest + 12.0).min(130.0);
    let columns = g.columns.len().max(1) as f64;
    let cw = ((WIDTH - gl) / columns).min(110.0);
    let (gt, numbered) = column_heads(&mut d, g, gl, cw);
    for (r, name) in g.rows.iter().enumerate() {
        let y = gt + CH * r as f64;
        // Up to three lines fit a row; an ellipsis only past that.
        let lines = wrap_label(name, LABEL_SIZE, true, gl - 10.0, 3);
        let first = y + CH / 2.0 + 3.0 - 5.0 * (lines.len() - 1) as f64;
        for (k, line) in lines.into_iter().enumerate() {
            d.text(
                gl - 8.0,
                first + 10.0 * k as f64,
                line,
                TextStyle::new(LABEL_SIZE, INK).bold().end(),
            );
        }
        for (c, cell) in g.cells[r].iter().enumerate() {
            let share = if total > 0 {
                cell.customers as f64 / total as f64
            } else {
                0.0
            };
            let same = g.columns.get(c) == Some(name);
            draw_cell(
                &mut d,
                cell,
                share,
                same,
                (gl + cw * c as f64, y, cw),
                &g.currency,
            );
        }
    }
    let gb = gt + CH * g.rows.len() as f64;
    let ly = gb + 22.0;
    super::shading_legend(&mut d, 0.0, ly, "Share of customers:", &LABELS);
    d.text(
        0.0,
        ly + 16.0,
        "Outlined: the same tier before and after; left of the outline, moved up; right of it, moved down.",
        TextStyle::new(MIN_TEXT, MUTED),
    );
    d.height = ly + 26.0;
    if numbered {
        let key: Vec<String> = g
            .columns
            .iter()
            .enumerate()
            .map(|(c, n)| format!("{} {n}", c + 1))
            .collect();
        column_key(&mut d, &key);
    }
    d
}

/// The axis note and the column headings over columns `cw` wide from `gl`: names on one or two
/// lines, or numbers (keyed under the chart) when a name would not fit on two. Returns the top
/// of the grid and whether the columns are numbered.
fn column_heads(d: &mut Drawing, g: &MigrationGrid, gl: f64, cw: f64) -> (f64, bool) {
    let heads: Vec<Vec<String>> = g
        .columns
        .iter()
        .map(|n| wrap_words(n, LABEL_SIZE, true, cw - 6.0))
        .collect();
    let numbered = !heads
        .iter()
        .all(|l| lines_fit(l, LABEL_SIZE, true, cw - 6.0, 2));
    let head_lines = if numbered {
        1
    } else {
        heads.iter().map(Vec::len).max().unwrap_or(1)
    };
    let gt = 68.0 + 10.0 * head_lines as f64;
    d.text(
        0.0,
        gt - 14.0 - 10.0 * head_lines as f64,
        format!("Rows: {}. Columns: {}.", g.row_axis, g.column_axis),
        TextStyle::new(8.0, MUTED),
    );
    for (c, lines) in heads.iter().enumerate() {
        let numbers = [format!("{}", c + 1)];
        let lines = if numbered { &numbers[..] } else { &lines[..] };
        let first = gt - 8.0 - 10.0 * (lines.len() - 1) as f64;
        for (k, line) in lines.iter().enumerate() {
            d.text(
                gl + cw * (c as f64 + 0.5),
                first + 10.0 * k as f64,
                line.as_str(),
                TextStyle::new(LABEL_SIZE, INK).bold().middle(),
            );
        }
    }
    (gt, numbered)
}

/// One cell at (x, y), `cw` wide: shaded by its `share` of the customers, outlined when the tier
/// stayed the `same`, labelled with its count, revenue and share (on two lines in a narrow cell).
fn draw_cell(
    d: &mut Drawing,
    cell: &FlowCell,
    share: f64,
    same: bool,
    (x, y, cw): (f64, f64, f64),
    currency: &str,
) {
    let k = class(share);
    d.rect(
        x,
        y,
        cw,
        CH,
        Some(RFM_CLASSES[k]),
        Some(Stroke::solid(WHITE, 2.0)),
    );
    if same {
        d.rect(
            x + 1.5,
            y + 1.5,
            cw - 3.0,
            CH - 3.0,
            None,
            Some(Stroke::solid(INK, 1.0)),
        );
    }
    let (ink, sub) = if k >= 3 { (WHITE, WHITE) } else { (INK, MUTED) };
    let cx = x + cw / 2.0;
    if cell.customers == 0 {
        d.text(cx, y + 23.0, "–", TextStyle::new(9.5, MUTED).middle());
        return;
    }
    let money = money_short(cell.revenue, currency);
    let share = percent_compact(share);
    let detail = format!("{money} · {share}");
    let details = if text_width(&detail, MIN_TEXT, false) <= cw - 4.0 {
        vec![detail]
    } else {
        vec![money, share]
    };
    let count_y = y + 18.0 - 2.0 * (details.len() - 1) as f64;
    d.text(
        cx,
        count_y,
        thousands(cell.customers as i64),
        TextStyle::new(9.5, ink).bold().middle(),
    );
    for (k, line) in details.into_iter().enumerate() {
        d.text(
            cx,
            count_y + 12.0 + 8.5 * k as f64,
            line,
            TextStyle::new(MIN_TEXT, sub).middle(),
        );
    }
}

/// The key of numbered columns under the chart: "Columns: 1 Name · 2 Name ...", broken between
/// entries (an entry wider than the chart between its words).
fn column_key(d: &mut Drawing, entries: &[String]) {
    let style = TextStyle::new(8.0, INK);
    let mut line = String::from("Columns:");
    let mut y = d.height + 4.0;
    let mut flush = |line: &mut String, d: &mut Drawing| {
        d.text(0.0, y, std::mem::take(line), style);
        y += 11.0;
    };
    for entry in entries {
        let candidate = format!("{line} · {entry}").replacen(": · ", ": ", 1);
        if text_width(&candidate, 8.0, false) <= WIDTH {
            line = candidate;
            continue;
        }
        flush(&mut line, d);
        for part in wrap_words(entry, 8.0, false, WIDTH) {
            if !line.is_empty() {
                flush(&mut line, d);
            }
            line = part;
        }
    }
    flush(&mut line, d);
    d.height = y - 3.0;
}

#[cfg(test)]
mod tests {
    use super::super::layout;
    use super::*;
    use crate::report::charts::{Chart, FlowCell};

    fn grid() -> MigrationGrid {
        let cell = |customers, revenue| FlowCell { customers, revenue };
        MigrationGrid {
            title: "How customers moved between tiers".into(),
            subtitle: "23,570 customers".into(),
            row_axis: "tier on 1997-12-31".into(),
            column_axis: "tier on 1998-06-30".into(),
            rows: vec!["First".into(), "Business".into(), "(new)".into()],
            columns: vec!["First".into(), "Business".into()],
            cells: vec![
                vec![cell(60, 9_000.0), cell(5, 300.0)],
                vec![cell(20, 2_500.0), cell(900, 40_000.0)],
                vec![cell(0, 0.0), cell(15, 700.0)],
            ],
            currency: "USD".into(),
        }
    }

    #[test]
    fn every_cell_is_labelled_and_shaded_by_its_share_of_customers() {
        let d = layout(&Chart::Migration(grid()));
        let texts = d.texts().join("\n");
        for expected in [
            "First",
            "Business",
            "(new)",
            "900",
            "Rows: tier on 1997-12-31. Columns: tier on 1998-06-30.",
            "–",
        ] {
            assert!(texts.contains(expected), "{expected} missing in {texts}");
        }
        assert!(texts.contains("left of the outline, moved up"), "{texts}");
        assert!(d.min_text_size() >= MIN_TEXT);
        // 900 of 1,000 customers: the darkest class; 5 of 1,000: the lightest.
        assert_eq!(class(0.9), 4);
        assert_eq!(class(0.005), 0);
        assert_eq!(class(0.02), 1);
    }

    #[test]
    fn long_tier_names_are_wrapped_or_numbered_never_cut() {
        let names: Vec<String> = crate::report::charts::layout::tests::LONG_TIER_NAMES
            .map(String::from)
            .to_vec();
        let cell = FlowCell {
            customers: 1_234,
            revenue: 123_456.0,
        };
        let g = MigrationGrid {
            rows: names.clone(),
            columns: names.clone(),
            cells: vec![vec![cell; 8]; 8],
            ..grid()
        };
        let d = layout(&Chart::Migration(g));
        let texts = d.texts();
        assert!(!texts.iter().any(|t| t.contains('…')), "{texts:?}");
        let joined = texts.join(" ");
        for (i, name) in names.iter().enumerate() {
            // The row label, its lines joined, and the column's number in the key.
            assert!(joined.contains(name.as_str()), "{name} in {texts:?}");
            assert!(
                joined.contains(&format!("{} {name}", i + 1)),
                "{name} keyed"
            );
        }
        assert!(texts.iter().any(|t| t.starts_with("Columns: 1 Strategic")));
        // Revenue and share on two lines in a narrow cell.
        assert!(
            texts.contains(&"$123.5k") && texts.contains(&"1.6%"),
            "{texts:?}"
        );
        // Short names keep their column headings.
        let short = layout(&Chart::Migration(grid()));
        assert!(!short.texts().iter().any(|t| t.starts_with("Columns:")));
    }
}
