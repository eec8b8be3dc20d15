//! Charts: one description built from plain data ([`Chart`]), one layout step that turns it into
//! a neutral vector drawing, and two painters over that drawing ([`svg::to_svg`] for the Markdown
//! report, the PDF renderer's for `report.pdf`), so both outputs always show the same thing.

pub(crate) mod drawing;
pub(crate) mod layout;
pub(crate) mod pdf;
pub mod svg;

pub(crate) use layout::layout;

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
        }
    }
}
