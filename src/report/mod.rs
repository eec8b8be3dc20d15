//! Stage 6: what the client reads. The template context, Markdown through Tera, the customer table
//! as CSV and as an Excel workbook, the summary as JSON, and the output folder written all at once.

pub mod charts;
mod context;
mod csv;
pub mod diff;
pub mod document;
pub mod exhibits;
pub mod format;
pub mod functions;
mod json;
pub mod markdown;
pub mod model;
pub mod output;
pub mod outputs;
pub mod pdf;
mod plugins;
pub mod profile;
pub mod rejects;
pub mod rows;
pub mod style;
pub mod xlsx;

pub use charts::{chart_entry, charts_of, ChartEntry, CHARTS};
pub use context::context;
pub use csv::customers_csv;
pub use functions::TemplateData;
pub use json::summary_json;
pub use markdown::Templates;
pub use model::Report;
pub use output::{write_atomically, OutputFile};
pub use outputs::{Inputs, OUTPUTS};
