//! The investment gap chart (`charts/investment_gap.svg`): one row per persona with needs, one
//! column per need, each cell shaded by its gap (product gap plus outreach gap) against the
//! largest gap and labelled with the amount and the best product's coverage. A need the persona
//! does not weigh is a dash. Built only when the gap could be computed.

use super::super::drawing::{Drawing, Stroke, TextStyle};
use super::super::Chart;
use super::{header, text_width, wrap_label, MIN_TEXT, WIDTH};
use crate::report::format::{money_short, percent_compact};
use crate::report::model::Report;
use crate::report::style::palette::{AXIS, INK, MUTED, RFM_CLASSES, WHITE};

/// Lower bounds (share of the largest gap) of the shading classes 1 to 4; class 0 is below.
const BOUNDS: [f64; 4] = [0.05, 0.2, 0.45, 0.7];
/// The labels of the five classes, for the legend.
const LABELS: [&str; 5] = ["under 5%", "5–20%", "20–45%", "45–70%", "70% or more"];

/// One persona x need cell.
#[derive(Debug, Clone, PartialEq)]
pub struct GapGridCell {
    /// Product gap plus outreach gap, in currency units.
    pub gap: f64,
    /// The best product's coverage of the need (0 when none serves it).
    pub coverage: f64,
    /// `product` or `outreach`.
    pub kind: &'static str,
}

/// The persona x need matrix of the investment gap.
#[derive(Debug, Clone, PartialEq)]
pub struct GapGrid {
    /// The line under the heading.
    pub subtitle: String,
    /// The personas, top to bottom.
    pub personas: Vec<String>,
    /// The needs, left to right.
    pub needs: Vec<String>,
    /// `cells[persona][need]`; `None` when the persona does not weigh the need.
    pub cells: Vec<Vec<Option<GapGridCell>>>,
    /// ISO currency code used to format money.
    pub currency: String,
}

/// The chart from the report model; `None` when the gap could not be computed.
pub fn chart(report: &Report) -> Option<Chart> {
    let g = &report.gap;
    if !g.missing.is_empty() || report.investment_gap.is_empty() {
        return None;
    }
    let cells = g
        .personas
        .iter()
        .map(|p| {
            g.needs
                .iter()
                .map(|n| {
                    let i = report
                        .investment_gap
                        .iter()
                        .position(|r| &r.persona == p && &r.need == n)?;
                    let (row, ranked) = (&report.investment_gap[i], &g.ranked[i]);
                    Some(GapGridCell {
                        gap: ranked.total.units(),
                        coverage: row.coverage,
                        kind: ranked.kind,
                    })
                })
                .collect()
        })
        .collect();
    Some(Chart::InvestmentGap(GapGrid {
        subtitle: format!(
            "{} of gaps in all: {} call for products, {} for outreach",
            money_short(g.total.units(), &report.currency),
            money_short(g.product_total.units(), &report.currency),
            money_short(g.outreach_total.units(), &report.currency)
        ),
        personas: g.personas.clone(),
        needs: g.needs.clone(),
        cells,
        currency: report.currency.clone(),
    }))
}

/// The shading class (0 to 4) of a cell whose gap is `share` of the largest.
fn class(share: f64) -> usize {
    BOUNDS.iter().filter(|&&b| share >= b).count()
}

/// Lays out the matrix.
pub(super) fn layout(title: &str, g: &GapGrid) -> Drawing {
    let largest = g
        .cells
        .iter()
        .flatten()
        .flatten()
        .map(|c| c.gap)
        .fold(0.0, f64::max);
    let mut d = Drawing::new(WIDTH, 100.0);
    header(&mut d, title, &g.subtitle);
    let label_size = 8.5;
    let widest = g
        .personas
        .iter()
        .map(|r| text_width(r, label_size, true))
        .fold(40.0, f64::max);
    let gl = (widest + 12.0).min(120.0);
    let cw = ((WIDTH - gl) / g.needs.len().max(1) as f64).min(100.0);
    let ch = 40.0;
    let gt = 74.0;
    for (c, need) in g.needs.iter().enumerate() {
        // Up to three lines under the subtitle; an ellipsis only past that.
        let lines = wrap_label(&need.replace('_', " "), 8.0, true, cw - 4.0, 3);
        let n = lines.len() as f64;
        for (k, line) in lines.into_iter().enumerate() {
            d.text(
                gl + cw * (c as f64 + 0.5),
                gt - 6.0 - 10.0 * (n - 1.0 - k as f64),
                line,
                TextStyle::new(8.0, INK).bold().middle(),
            );
        }
    }
    for (r, persona) in g.personas.iter().enumerate() {
        let y = gt + ch * r as f64;
        let lines = wrap_label(persona, label_size, true, gl - 10.0, 3);
        let n = lines.len() as f64;
        for (k, line) in lines.into_iter().enumerate() {
            d.text(
                gl - 8.0,
                y + ch / 2.0 + 3.0 - 5.0 * (n - 1.0) + 10.0 * k as f64,
                line,
                TextStyle::new(label_size, INK).bold().end(),
            );
        }
        for (c, cell) in g.cells[r].iter().enumerate() {
            let x = gl + cw * c as f64;
            let cx = x + cw / 2.0;
            let Some(cell) = cell else {
                d.rect(x, y, cw, ch, None, Some(Stroke::solid(AXIS, 0.5)));
                d.text(cx, y + 23.0, "–", TextStyle::new(9.5, MUTED).middle());
                continue;
            };
            let share = if largest > 0.0 {
                cell.gap / largest
            } else {
                0.0
            };
            let k = class(share);
            d.rect(
                x,
                y,
                cw,
                ch,
                Some(RFM_CLASSES[k]),
                Some(Stroke::solid(WHITE, 2.0)),
            );
            let (ink, sub) = if k >= 3 { (WHITE, WHITE) } else { (INK, MUTED) };
            d.text(
                cx,
                y + 18.0,
                money_short(cell.gap, &g.currency),
                TextStyle::new(9.5, ink).bold().middle(),
            );
            let what = if cell.kind == "product" { "P" } else { "O" };
            d.text(
                cx,
                y + 30.0,
                format!("cov. {} · {what}", percent_compact(cell.coverage)),
                TextStyle::new(MIN_TEXT, sub).middle(),
            );
        }
    }
    let gb = gt + ch * g.personas.len() as f64;
    let ly = gb + 22.0;
    super::shading_legend(&mut d, 0.0, ly, "Gap against the largest:", &LABELS);
    d.text(
        0.0,
        ly + 16.0,
        "Each cell: the gap, the best product's coverage of the need, and what most of it calls for (P: product, O: outreach).",
        TextStyle::new(MIN_TEXT, MUTED),
    );
    d.height = ly + 26.0;
    d
}

#[cfg(test)]
mod tests {
    use super::super::layout;
    use super::*;

    #[test]
    fn cells_carry_amount_and_coverage_and_a_dash_where_no_need_is_weighed() {
        let cell = |gap, coverage, kind| {
            Some(GapGridCell {
                gap,
                coverage,
                kind,
            })
        };
        let g = GapGrid {
            subtitle: "£1.2M of gaps".into(),
            personas: vec!["Growing platforms".into(), "Small shops".into()],
            needs: vec!["fast_delivery".into(), "integration".into()],
            cells: vec![
                vec![
                    cell(1_000_000.0, 0.9, "outreach"),
                    cell(200_000.0, 0.6, "product"),
                ],
                vec![None, cell(20_000.0, 0.0, "product")],
            ],
            currency: "GBP".into(),
        };
        let d = layout(&Chart::InvestmentGap(g));
        let texts = d.texts().join("\n");
        for expected in [
            "Growing platforms",
            "fast delivery",
            "cov. 90% · O",
            "cov. 60% · P",
            "cov. 0% · P",
            "–",
            "70% or more",
        ] {
            assert!(texts.contains(expected), "{expected} missing in {texts}");
        }
        assert!(d.min_text_size() >= MIN_TEXT);
        assert_eq!(class(1.0), 4);
        assert_eq!(class(0.2), 2);
        assert_eq!(class(0.02), 0);
    }
}
