//! The output files of a run, by name: each entry builds its files from the rendered inputs, so
//! adding an output is one entry here. An entry of an optional format (`report.formats`) is built
//! only when the policy asks for it.

use super::charts::{self, svg};
use super::model::Report;
use super::{pdf, OutputFile};
use crate::engine::Evaluation;
use crate::error::{Diagnostic, Error};
use crate::metrics::CustomerTable;
use crate::workspace::{OutputFormat, Policy};

/// What every output is built from.
pub struct Inputs<'a> {
    /// The policy.
    pub policy: &'a Policy,
    /// The report model, figures formatted in the report's locale.
    pub model: &'a Report,
    /// The report model as `summary.json` states it: figures formatted in en-US whatever the
    /// report's locale, so scripts read the same file everywhere.
    pub summary: &'a Report,
    /// The rendered report Markdown.
    pub markdown: &'a str,
    /// The customers with every column.
    pub table: &'a CustomerTable,
    /// Their tiers and checks.
    pub evaluation: &'a Evaluation,
    /// The rows set aside as unreadable, when bad rows are quarantined (`None`: they fail the
    /// run, and there is no rejects.csv).
    pub rejects: Option<&'a [crate::data::Rejected]>,
}

/// What an output builder returns: its files and what the reader should know about them.
#[derive(Debug, Default)]
pub struct Built {
    /// The files, paths relative to the output folder.
    pub files: Vec<OutputFile>,
    /// Warnings (missing glyphs, unknown images in the PDF), each naming its file.
    pub warnings: Vec<String>,
}

/// An output of a run.
pub struct OutputEntry {
    /// Its file (or folder, `charts/`) in the output folder.
    pub name: &'static str,
    /// The `report.formats` entry that asks for it; `None`: written on every run.
    pub format: Option<OutputFormat>,
    /// Builds it.
    pub build: fn(&Inputs) -> Result<Built, Error>,
}

/// Every output of a run.
pub const OUTPUTS: &[OutputEntry] = &[
    OutputEntry {
        name: "customers.csv",
        format: None,
        build: customers_csv,
    },
    OutputEntry {
        name: OutputFormat::Xlsx.file(),
        format: Some(OutputFormat::Xlsx),
        build: super::xlsx::build,
    },
    OutputEntry {
        name: "summary.json",
        format: None,
        build: summary_json,
    },
    OutputEntry {
        name: "report.md",
        format: None,
        build: report_md,
    },
    OutputEntry {
        name: OutputFormat::Pdf.file(),
        format: Some(OutputFormat::Pdf),
        build: report_pdf,
    },
    OutputEntry {
        name: "rejects.csv",
        format: None,
        build: rejects_csv,
    },
    OutputEntry {
        name: "charts/",
        format: None,
        build: chart_svgs,
    },
];

fn one(path: &str, bytes: Vec<u8>) -> Result<Built, Error> {
    Ok(Built {
        files: vec![OutputFile {
            path: path.into(),
            bytes,
        }],
        warnings: Vec::new(),
    })
}

fn customers_csv(i: &Inputs) -> Result<Built, Error> {
    one(
        "customers.csv",
        super::customers_csv(i.policy, i.table, i.evaluation),
    )
}

fn summary_json(i: &Inputs) -> Result<Built, Error> {
    one("summary.json", super::summary_json(i.summary))
}

/// Written in quarantine mode only, and then always (only its header when no row was set
/// aside): whoever asked for quarantine finds the list where they look for it, empty or not.
fn rejects_csv(i: &Inputs) -> Result<Built, Error> {
    match i.rejects {
        Some(rows) => one("rejects.csv", super::rejects::rejects_csv(rows)),
        None => Ok(Built::default()),
    }
}

fn report_md(i: &Inputs) -> Result<Built, Error> {
    one("report.md", i.markdown.as_bytes().to_vec())
}

fn report_pdf(i: &Inputs) -> Result<Built, Error> {
    let rendered = pdf::render(i.markdown, &charts::charts_of(i.model)).map_err(|e| {
        Error::Render(Diagnostic::new(format!("report.pdf from report.md: {e}")).code("report/pdf"))
    })?;
    Ok(Built {
        files: vec![OutputFile {
            path: "report.pdf".into(),
            bytes: rendered.bytes,
        }],
        warnings: rendered
            .warnings
            .into_iter()
            .map(|w| format!("report.pdf: {w}"))
            .collect(),
    })
}

fn chart_svgs(i: &Inputs) -> Result<Built, Error> {
    Ok(Built {
        files: charts::charts_of(i.model)
            .iter()
            .map(|(name, chart)| OutputFile {
                path: format!("charts/{name}.svg"),
                bytes: branded_svg(chart, i.policy.report.brand.as_ref()).into_bytes(),
            })
            .collect(),
        warnings: Vec::new(),
    })
}

/// A chart's SVG in the client's colours (`report.brand`), as the PDF draws it.
fn branded_svg(chart: &charts::Chart, brand: Option<&crate::report::style::Brand>) -> String {
    match brand {
        None => svg::to_svg(chart),
        Some(b) => {
            let drawing = charts::layout(chart).recoloured(|c| b.recolour(c));
            svg::drawing_to_svg(&drawing, chart.title())
        }
    }
}

/// Whether a run of `policy` writes `entry`: always, or when `report.formats` names its format.
pub fn wanted(entry: &OutputEntry, policy: &Policy) -> bool {
    entry
        .format
        .is_none_or(|f| policy.report.formats.contains(&f))
}

/// Every output file the policy asks for, sorted by path, with the builders' warnings in registry
/// order.
pub fn build_all(inputs: &Inputs) -> Result<(Vec<OutputFile>, Vec<String>), Error> {
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    for entry in OUTPUTS.iter().filter(|e| wanted(e, inputs.policy)) {
        let built = (entry.build)(inputs)?;
        files.extend(built.files);
        warnings.extend(built.warnings);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, warnings))
}
