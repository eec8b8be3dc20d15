//! Stage 6: what the client reads. The template context, Markdown through Tera, the customer table
//! as CSV, the summary as JSON, and the output folder written all at once.

pub mod charts;
mod context;
mod csv;
pub mod format;
mod json;
pub mod markdown;
pub mod output;
pub mod pdf;

use std::collections::BTreeMap;

use charts::{Chart, Pareto, RfmCell, RfmGrid, TierBar, TierBars};

use crate::analysis::Analysis;
use crate::error::{Diagnostic, Error};
use crate::workspace::Policy;

pub use context::context;
pub use csv::customers_csv;
pub use json::summary_json;
pub use markdown::Templates;
pub use output::{write_atomically, OutputFile};

/// The charts a template can place with `chart(name=...)`: name and caption.
pub const CHARTS: &[(&str, &str)] = &[
    (
        "pareto",
        "Revenue concentration: cumulative share of revenue by share of customers",
    ),
    ("tiers", "Customers, revenue and margin by tier"),
    (
        "rfm",
        "Customers by recency and frequency score, shaded by share of revenue",
    ),
];

/// The charts of an analysis, by name (the names of [`CHARTS`]).
pub fn charts_of(analysis: &Analysis, currency: &str, has_margin: bool) -> BTreeMap<String, Chart> {
    let units = |cents: i64| cents as f64 / 100.0;
    let c = &analysis.concentration;
    let pareto = Chart::Pareto(Pareto {
        points: analysis.curve.clone(),
        top20_share: c.top20_share,
        x_at_80: c.customer_share_for_80,
        customers: analysis.customers as u64,
        total_revenue: units(analysis.total_revenue),
        currency: currency.to_string(),
    });
    let tiers = Chart::Tiers(TierBars {
        tiers: analysis
            .tiers
            .iter()
            .map(|t| TierBar {
                name: t.name.clone(),
                customers: t.customers as u64,
                revenue: units(t.revenue),
                margin: units(t.margin),
                customer_share: t.customer_share,
                revenue_share: t.revenue_share,
                margin_share: t.margin_share,
            })
            .collect(),
        currency: currency.to_string(),
        has_margin,
    });
    let total = analysis.total_revenue;
    let rfm = Chart::Rfm(RfmGrid {
        cells: analysis.rfm.map(|row| {
            row.map(|cell| RfmCell {
                customers: cell.customers,
                revenue: units(cell.revenue),
                revenue_share: if total > 0 {
                    cell.revenue as f64 / total as f64
                } else {
                    0.0
                },
            })
        }),
        currency: currency.to_string(),
    });
    BTreeMap::from([
        ("pareto".to_string(), pareto),
        ("tiers".to_string(), tiers),
        ("rfm".to_string(), rfm),
    ])
}

/// The chart SVGs (`charts/NAME.svg`) and `report.pdf` rendered from the report's Markdown, with
/// the PDF renderer's warnings (missing glyphs, unknown images).
pub fn charts_and_pdf(
    markdown: &str,
    analysis: &Analysis,
    policy: &Policy,
) -> Result<(Vec<OutputFile>, Vec<String>), Error> {
    let charts = charts_of(
        analysis,
        &policy.currency,
        policy.transactions.columns.cost.is_some(),
    );
    let mut files: Vec<OutputFile> = charts
        .iter()
        .map(|(name, chart)| OutputFile {
            path: format!("charts/{name}.svg"),
            bytes: charts::svg::to_svg(chart).into_bytes(),
        })
        .collect();
    let rendered = pdf::render(markdown, &charts).map_err(|e| {
        Error::Render(Diagnostic::new(format!("report.pdf from report.md: {e}")).code("report/pdf"))
    })?;
    files.push(OutputFile {
        path: "report.pdf".into(),
        bytes: rendered.bytes,
    });
    Ok((files, rendered.warnings))
}
