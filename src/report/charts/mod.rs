//! Charts: one description built from plain data ([`Chart`]), one layout step that turns it into
//! a neutral vector drawing, and two painters over that drawing ([`svg::to_svg`] for the Markdown
//! report, the PDF renderer's for `report.pdf`), so both outputs always show the same thing.

pub(crate) mod drawing;
pub(crate) mod layout;
pub(crate) mod representation;
pub mod svg;

pub(crate) use layout::layout;

use std::collections::BTreeMap;

use super::model::Report;
use crate::analysis::migration::Cell;

/// A chart a template can place with `chart(name=...)`, drawn into `charts/NAME.svg` and into the
/// PDF. Adding a chart is one entry here and its layout.
pub struct ChartEntry {
    /// The name in `chart(name=...)` and in `charts/NAME.svg`.
    pub name: &'static str,
    /// The default caption of its Markdown image.
    pub caption: &'static str,
    /// The caption when no cost column is mapped (margin is not drawn).
    pub caption_without_cost: &'static str,
    /// Builds the chart from the report model; `None` when the run has nothing to draw in it
    /// (no earlier date for `migration`): then there is no `charts/NAME.svg`.
    pub build: fn(&Report) -> Option<Chart>,
}

impl ChartEntry {
    /// The default caption for a run with or without a cost column.
    pub fn caption(&self, has_cost: bool) -> &'static str {
        if has_cost {
            self.caption
        } else {
            self.caption_without_cost
        }
    }
}

/// Every chart, by name.
pub const CHARTS: &[ChartEntry] = &[
    ChartEntry {
        name: "pareto",
        caption: "Revenue concentration: cumulative share of revenue by share of customers",
        caption_without_cost:
            "Revenue concentration: cumulative share of revenue by share of customers",
        build: pareto,
    },
    ChartEntry {
        name: "tiers",
        caption: "Customers, revenue and margin by tier",
        caption_without_cost: "Customers and revenue by tier",
        build: tiers,
    },
    ChartEntry {
        name: "rfm",
        caption: "Customers by recency and frequency score, shaded by share of revenue",
        caption_without_cost:
            "Customers by recency and frequency score, shaded by share of revenue",
        build: rfm,
    },
    ChartEntry {
        name: "representation",
        caption: "What sets the core customers apart: representation index of each attribute value",
        caption_without_cost:
            "What sets the core customers apart: representation index of each attribute value",
        build: representation_bars,
    },
    ChartEntry {
        name: "whale",
        caption:
            "Whale curve: cumulative share of profit by share of customers, most profitable first",
        caption_without_cost:
            "Whale curve: cumulative share of profit by share of customers, most profitable first",
        build: whale,
    },
    ChartEntry {
        name: "migration",
        caption: "How customers moved between tiers: customers and revenue from each tier at the earlier date to each tier now",
        caption_without_cost: "How customers moved between tiers: customers and revenue from each tier at the earlier date to each tier now",
        build: migration,
    },
    ChartEntry {
        name: "trends",
        caption: "Revenue and margin by complete quarter, per segment",
        caption_without_cost: "Revenue by complete quarter, per segment",
        build: trends,
    },
    ChartEntry {
        name: "investment_gap",
        caption: "The investment gap: each persona's needs, shaded by the gap in currency, with the best product's coverage",
        caption_without_cost: "The investment gap: each persona's needs, shaded by the gap in currency, with the best product's coverage",
        build: layout::investment_gap::chart,
    },
];

/// The chart named `name`.
pub fn chart_entry(name: &str) -> Option<&'static ChartEntry> {
    CHARTS.iter().find(|c| c.name == name)
}

/// The names of all charts, for error messages.
pub fn chart_names() -> Vec<&'static str> {
    CHARTS.iter().map(|c| c.name).collect()
}

/// Every chart of a report, by name.
pub fn charts_of(report: &Report) -> BTreeMap<String, Chart> {
    CHARTS
        .iter()
        .filter_map(|c| Some((c.name.to_string(), (c.build)(report)?)))
        .collect()
}

/// A share for a chart: one that is not meaningful (NaN) is drawn as 0.
fn drawn(share: f64) -> f64 {
    if share.is_nan() {
        0.0
    } else {
        share
    }
}

fn pareto(report: &Report) -> Option<Chart> {
    Some(Chart::Pareto(Pareto {
        points: report.curve.clone(),
        top20_share: drawn(report.concentration.top20_share),
        x_at_80: drawn(report.concentration.customer_share_for_80),
        customers: report.customers as u64,
        total_revenue: report.total_revenue.units(),
        currency: report.currency.clone(),
    }))
}

fn tiers(report: &Report) -> Option<Chart> {
    Some(Chart::Tiers(TierBars {
        tiers: report
            .tiers
            .iter()
            .map(|t| TierBar {
                name: t.name.clone(),
                customers: t.customers as u64,
                revenue: t.revenue.units(),
                margin: t.margin.map_or(0.0, |m| m.units()),
                customer_share: t.customer_share,
                revenue_share: drawn(t.revenue_share),
                margin_share: t.margin_share.map_or(0.0, drawn),
            })
            .collect(),
        currency: report.currency.clone(),
        has_margin: report.has_cost,
    }))
}

fn rfm(report: &Report) -> Option<Chart> {
    let mut cells = [[RfmCell::default(); 5]; 5];
    for (r, row) in report.rfm.iter().enumerate().take(5) {
        for (f, cell) in row.iter().enumerate().take(5) {
            cells[r][f] = RfmCell {
                customers: cell.customers,
                revenue: cell.revenue.units(),
                revenue_share: drawn(cell.revenue_share),
            };
        }
    }
    Some(Chart::Rfm(RfmGrid {
        cells,
        currency: report.currency.clone(),
    }))
}

/// The core's representation index per attribute value: at most
/// [`representation::MAX_BARS`] bars, those furthest from 100 on a ratio scale, in attribute and
/// value order.
fn representation_bars(report: &Report) -> Option<Chart> {
    let p = &report.profile;
    let mut bars: Vec<(usize, IndexBar)> = p
        .core_values
        .iter()
        .filter(|v| v.index.is_finite())
        .map(|v| IndexBar {
            attribute: v.attribute.clone(),
            value: v.value.clone(),
            index: v.index,
            customers: v.customers as u64,
        })
        .enumerate()
        .collect();
    if bars.len() > representation::MAX_BARS {
        let distance = |b: &IndexBar| (b.index.max(0.1) / 100.0).ln().abs();
        bars.sort_by(|a, b| {
            distance(&b.1)
                .total_cmp(&distance(&a.1))
                .then(a.0.cmp(&b.0))
        });
        bars.truncate(representation::MAX_BARS);
        bars.sort_by_key(|b| b.0);
    }
    Some(Chart::Representation(IndexBars {
        title: format!("What sets {} customers apart", p.core),
        customers: p.customers as u64,
        bars: bars.into_iter().map(|b| b.1).collect(),
    }))
}

fn whale(report: &Report) -> Option<Chart> {
    let p = report.profitability.as_ref();
    let missing = match p {
        None => Some(
            "Profit is not known: map a cost column (data.transactions.columns.cost) or declare \
             cost_to_serve in the policy to draw the whale curve."
                .to_string(),
        ),
        Some(p) if p.whale_peak_share.is_none() => Some(format!(
            "Total profit is {}: a share of it is not meaningful, so there is no whale curve.",
            super::format::money(p.profit.units(), &report.currency, 0)
        )),
        Some(_) => None,
    };
    Some(Chart::Whale(Whale {
        points: p.map(|p| p.curve.clone()).unwrap_or_default(),
        peak_share: p.and_then(|p| p.whale_peak_share).unwrap_or(0.0),
        peak_customer_share: p.and_then(|p| p.whale_peak_customer_share).unwrap_or(0.0),
        customers: report.customers as u64,
        total_profit: p.map_or(0.0, |p| p.profit.units()),
        currency: report.currency.clone(),
        missing,
    }))
}

/// The migration heat map of a run compared with an earlier as-of date.
fn migration(report: &Report) -> Option<Chart> {
    let m = report.migration.as_ref()?;
    let rows: Vec<String> = m.rows.iter().map(|r| r.from.clone()).collect();
    Some(migration_grid(
        &m.matrix,
        &rows,
        &m.tiers,
        MigrationTitles {
            title: "How customers moved between tiers".into(),
            subtitle: format!(
                "{} customers; each cell: customers, their revenue to {} and share of customers",
                super::format::thousands(report.customers as i64),
                report.as_of
            ),
            rows: format!("tier on {}", m.from_as_of),
            columns: format!("tier on {}", report.as_of),
        },
        &report.currency,
    ))
}

/// Revenue and margin by quarter, one small panel per segment; `None` without a complete
/// quarter.
fn trends(report: &Report) -> Option<Chart> {
    let o = &report.trends_overview;
    if o.quarters == 0 || report.trends.is_empty() {
        return None;
    }
    Some(Chart::Trends(TrendPanels {
        quarters: report.trends[0]
            .quarters
            .iter()
            .map(|q| q.quarter.clone())
            .collect(),
        panels: report
            .trends
            .iter()
            .map(|t| TrendPanel {
                segment: t.segment.clone(),
                revenue: t.quarters.iter().map(|q| q.revenue.units()).collect(),
                margin: t
                    .quarters
                    .iter()
                    .map(|q| q.margin.map(|m| m.units()))
                    .collect::<Option<Vec<f64>>>()
                    .filter(|_| report.has_cost),
                yoy: t.yoy_revenue_growth,
                downturn: t.downturn,
            })
            .collect(),
        currency: report.currency.clone(),
    }))
}

/// Revenue and margin by quarter per segment, as small multiples.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPanels {
    /// The quarters, oldest first (`1998Q1`).
    pub quarters: Vec<String>,
    /// One per segment, in report order.
    pub panels: Vec<TrendPanel>,
    /// ISO currency code used to format money.
    pub currency: String,
}

/// One segment's panel.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPanel {
    /// The segment's name.
    pub segment: String,
    /// Revenue per quarter in currency units (not cents).
    pub revenue: Vec<f64>,
    /// Margin per quarter in currency units; `None` without a cost column.
    pub margin: Option<Vec<f64>>,
    /// Year-on-year revenue growth, when known.
    pub yoy: Option<f64>,
    /// Whether the segment is in a downturn.
    pub downturn: bool,
}

/// The words around a migration heat map.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationTitles {
    /// The heading.
    pub title: String,
    /// The line under it.
    pub subtitle: String,
    /// What the rows are (`tier on 1997-12-31`, `tier under HEAD~1`), drawn above the grid.
    pub rows: String,
    /// What the columns are.
    pub columns: String,
}

/// A migration heat map from matrix cells in the diff's shape ([`Cell`]: `from`, `to`,
/// customers, revenue in cents): one row per name in `rows`, one column per name in `columns`
/// (an empty cell where the matrix has no pair). Serves `run --compare-as-of` and `diff`.
pub fn migration_grid(
    matrix: &[Cell],
    rows: &[String],
    columns: &[String],
    titles: MigrationTitles,
    currency: &str,
) -> Chart {
    let cells = rows
        .iter()
        .map(|from| {
            columns
                .iter()
                .map(|to| {
                    let cell = matrix.iter().find(|c| &c.from == from && &c.to == to);
                    FlowCell {
                        customers: cell.map_or(0, |c| c.customers),
                        revenue: cell.map_or(0.0, |c| c.revenue as f64 / 100.0),
                    }
                })
                .collect()
        })
        .collect();
    Chart::Migration(MigrationGrid {
        title: titles.title,
        subtitle: titles.subtitle,
        row_axis: titles.rows,
        column_axis: titles.columns,
        rows: rows.to_vec(),
        columns: columns.to_vec(),
        cells,
        currency: currency.to_string(),
    })
}

/// How customers moved between the tiers of two evaluations, as a heat map.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationGrid {
    /// The heading.
    pub title: String,
    /// The line under it.
    pub subtitle: String,
    /// What the rows are, drawn above the row names.
    pub row_axis: String,
    /// What the columns are, drawn above the column names.
    pub column_axis: String,
    /// The row names (the tiers before), top to bottom.
    pub rows: Vec<String>,
    /// The column names (the tiers after), left to right.
    pub columns: Vec<String>,
    /// `cells[row][column]`.
    pub cells: Vec<Vec<FlowCell>>,
    /// ISO currency code used to format money.
    pub currency: String,
}

/// The customers who went from one tier to another.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FlowCell {
    /// How many.
    pub customers: u64,
    /// Their revenue in currency units (not cents).
    pub revenue: f64,
}

/// A chart the report can show.
// The RFM grid is stored inline (25 cells) as specified; charts are few, so the size is moot.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Revenue concentration curve with its 20% and 80% readings.
    Pareto(Pareto),
    /// Grouped bars: each tier's share of customers, revenue and (when known) margin.
    Tiers(TierBars),
    /// Five-by-five recency x frequency grid shaded by share of revenue.
    Rfm(RfmGrid),
    /// Representation index bars of the core tiers' attribute values around the 100 line.
    Representation(IndexBars),
    /// The whale curve: cumulative share of profit by customers ranked by profit.
    Whale(Whale),
    /// How customers moved between the tiers of two evaluations, as a heat map.
    Migration(MigrationGrid),
    /// Revenue and margin by quarter, one small panel per segment.
    Trends(TrendPanels),
    /// The investment gap: persona x need, shaded by the gap.
    InvestmentGap(layout::investment_gap::GapGrid),
}

/// The core tiers' representation index per attribute value.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexBars {
    /// The chart's heading (names the core tiers).
    pub title: String,
    /// Core customers, for the subtitle.
    pub customers: u64,
    /// In attribute order, then value order; empty without attributes.
    pub bars: Vec<IndexBar>,
}

/// One attribute value's bar.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexBar {
    /// The attribute, drawn as a heading above its values.
    pub attribute: String,
    /// The value (or band) label.
    pub value: String,
    /// Share in the core / share in the base x 100.
    pub index: f64,
    /// Core customers with the value.
    pub customers: u64,
}

/// The whale curve: x = share of customers ranked by profit (most profitable first), y =
/// cumulative profit as a share of total profit; it usually peaks well above 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Whale {
    /// From (0, 0) to (1, 1), already downsampled, the peak among them; empty when `missing`.
    pub points: Vec<(f64, f64)>,
    /// y at the peak.
    pub peak_share: f64,
    /// x at the peak (the smallest share of customers that reaches it).
    pub peak_customer_share: f64,
    /// Number of customers, for the subtitle.
    pub customers: u64,
    /// Total profit in currency units (not cents), for the subtitle.
    pub total_profit: f64,
    /// ISO currency code (`USD`, `EUR`, ...) used to format money.
    pub currency: String,
    /// Why there is no curve (profit unknown, or total profit not positive), drawn instead.
    pub missing: Option<String>,
}

/// Lorenz-style concentration: x = share of customers ranked by revenue (largest first),
/// y = cumulative share of revenue.
#[derive(Debug, Clone, PartialEq)]
pub struct Pareto {
    /// From (0,0) to (1,1), already downsampled to <= ~200 points.
    pub points: Vec<(f64, f64)>,
    /// y at x = 0.2.
    pub top20_share: f64,
    /// x where y reaches 0.8.
    pub x_at_80: f64,
    /// Number of customers, for the subtitle.
    pub customers: u64,
    /// Total revenue in currency units (not cents), for the subtitle.
    pub total_revenue: f64,
    /// ISO currency code (`USD`, `EUR`, ...) used to format money.
    pub currency: String,
}

/// Customers, revenue and margin by tier, as shares of each total.
#[derive(Debug, Clone, PartialEq)]
pub struct TierBars {
    /// In display order (best tier first).
    pub tiers: Vec<TierBar>,
    /// ISO currency code (`USD`, `EUR`, ...) used to format money.
    pub currency: String,
    /// Whether margin is known (a cost column is mapped); without it, margin bars are left out.
    pub has_margin: bool,
}

/// One tier's group of bars. Amounts are in currency units (not cents); shares are fractions
/// (0.25 = 25%) of the total over all tiers.
#[derive(Debug, Clone, PartialEq)]
pub struct TierBar {
    /// Tier name, drawn under its bars (wrapped to two lines at most).
    pub name: String,
    /// Customers in the tier.
    pub customers: u64,
    /// The tier's revenue.
    pub revenue: f64,
    /// The tier's margin; ignored when [`TierBars::has_margin`] is false.
    pub margin: f64,
    /// Share of all customers.
    pub customer_share: f64,
    /// Share of total revenue.
    pub revenue_share: f64,
    /// Share of total margin (may be negative); ignored when [`TierBars::has_margin`] is false.
    pub margin_share: f64,
}

/// Recency x frequency score grid. `cells[r-1][f-1]`: customers with r_score = r and
/// f_score = f.
#[derive(Debug, Clone, PartialEq)]
pub struct RfmGrid {
    /// Indexed by recency score, then frequency score, each 1..=5 stored at 0..=4.
    pub cells: [[RfmCell; 5]; 5],
    /// ISO currency code (`USD`, `EUR`, ...) used to format money.
    pub currency: String,
}

/// The customers in one recency/frequency score cell.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RfmCell {
    /// Customers with this pair of scores.
    pub customers: u64,
    /// Their revenue in currency units (not cents).
    pub revenue: f64,
    /// Their share of total revenue (0..1); picks the cell's shading.
    pub revenue_share: f64,
}

impl Chart {
    /// The chart's heading, drawn at its top (and the SVG's accessible `<title>`).
    pub fn title(&self) -> &str {
        match self {
            Chart::Pareto(_) => "Revenue concentration",
            Chart::Tiers(t) if t.has_margin => "Customers, revenue and margin by tier",
            Chart::Tiers(_) => "Customers and revenue by tier",
            Chart::Rfm(_) => "Customers by recency and frequency",
            Chart::Representation(r) => &r.title,
            Chart::Whale(_) => "Who earns the profit: the whale curve",
            Chart::Migration(m) => &m.title,
            Chart::Trends(t) if t.panels.iter().any(|p| p.margin.is_some()) => {
                "Revenue and margin by quarter"
            }
            Chart::Trends(_) => "Revenue by quarter",
            Chart::InvestmentGap(_) => "Where to invest: the gap between needs and products",
        }
    }
}
