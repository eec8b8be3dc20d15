//! Charts: one description built from plain data ([`Chart`]), one layout step that turns it into
//! a neutral [`Drawing`], and two painters over that drawing ([`svg::to_svg`] for the Markdown
//! report, [`pdf::draw`] for the PDF), so both outputs always show the same thing.

pub mod drawing;
pub mod layout;
pub mod pdf;
pub mod svg;

pub use drawing::Drawing;
pub use layout::layout;

/// A chart the report can show.
// The RFM grid is stored inline (25 cells) as specified; charts are few, so the size is moot.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Pareto(Pareto),
    Tiers(TierBars),
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
    pub customers: u64,
    pub total_revenue: f64,
    pub currency: String,
}

/// Customers, revenue and margin by tier, as shares of each total.
#[derive(Debug, Clone, PartialEq)]
pub struct TierBars {
    /// In display order (best tier first).
    pub tiers: Vec<TierBar>,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TierBar {
    pub name: String,
    pub customers: u64,
    pub revenue: f64,
    pub margin: f64,
    pub customer_share: f64,
    pub revenue_share: f64,
    pub margin_share: f64,
}

/// Recency x frequency score grid. `cells[r-1][f-1]`: customers with r_score = r and
/// f_score = f.
#[derive(Debug, Clone, PartialEq)]
pub struct RfmGrid {
    pub cells: [[RfmCell; 5]; 5],
    pub currency: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RfmCell {
    pub customers: u64,
    pub revenue: f64,
    pub revenue_share: f64,
}

impl Chart {
    /// The chart's heading, drawn at its top.
    pub fn title(&self) -> &str {
        match self {
            Chart::Pareto(_) => "Revenue concentration",
            Chart::Tiers(_) => "Customers, revenue and margin by tier",
            Chart::Rfm(_) => "Customers by recency and frequency",
        }
    }
}
