//! Errors as types: every problem a user can cause names the file, the line and what was expected.

use std::path::PathBuf;

use crate::data::DataError;
pub use crate::diagnostic::{Diagnostic, Origin};
use crate::workspace::Spans;

/// Everything that can stop powerbase.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The workspace (powerbase.yaml, rules, scripts, templates) has problems; all found in one pass.
    #[error("{}", list(.0))]
    Workspace(Vec<Diagnostic>),
    /// A data file could not be read or has a bad row.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A rule or script failed while it was evaluated for a customer.
    #[error("{0}")]
    Evaluation(Diagnostic),
    /// A report template failed to render.
    #[error("{0}")]
    Render(Diagnostic),
    /// An output could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Output {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The output folder may not be used (it holds files powerbase did not write, is a file, is
    /// the workspace or lies inside it, or cannot be replaced); nothing was changed.
    #[error("{0}")]
    OutputFolder(Diagnostic),
    /// A command-line value was wrong.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// The source lines this error knows as they were decoded (the first bad row of a data
    /// file in any `encoding:`), for the renderer to show before it reads files from disk.
    pub fn known_lines(&self) -> crate::diagnostic::render::Lines {
        use crate::data::Location;
        let mut lines = crate::diagnostic::render::Lines::default();
        if let Error::Data(e) = self {
            if let Some(row) = first_row(e) {
                if let Location::Line(n) = row.location {
                    let first = row.record.split(['\n', '\r']).next().unwrap_or_default();
                    lines.insert(&row.file, u32::try_from(n).unwrap_or(0), first);
                }
            }
        }
        lines
    }

    /// The error as diagnostics, for the renderers: a workspace error is every problem found;
    /// any other error is one diagnostic with a stable code and, for a data error, the file and
    /// line of the bad row.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            Error::Workspace(list) => list.clone(),
            Error::Evaluation(d) | Error::Render(d) | Error::OutputFolder(d) => vec![d.clone()],
            Error::Data(e) => vec![data_diagnostic(e)],
            Error::Output { path, source } => {
                vec![
                    Diagnostic::new(format!("cannot write {}: {source}", path.display()))
                        .code("output/write"),
                ]
            }
            Error::Usage(message) => vec![Diagnostic::new(message.clone()).code("usage")],
        }
    }
}

/// A data error as a diagnostic pointing at the file and line it names.
fn data_diagnostic(e: &DataError) -> Diagnostic {
    use crate::data::Location;
    let code = match e {
        DataError::Io { .. } => "data/unreadable",
        DataError::Config { .. } => "data/bad-config",
        DataError::MissingColumn { .. } => "data/missing-column",
        DataError::DuplicateColumn { .. } => "data/duplicate-column",
        DataError::Cell(_) => "data/bad-cell",
        DataError::FieldCount { .. } => "data/field-count",
        DataError::SheetNotFound { .. } => "data/no-such-sheet",
        DataError::DuplicateCustomer { .. } => "data/duplicate-customer",
        DataError::AttributeName { .. } => "data/bad-attribute-name",
        DataError::SumOverflow(_) => "data/sum-out-of-range",
        DataError::BadRows(b) if b.limit.is_some() => "data/too-many-rejected",
        // One bad row keeps the code of its problem (`data/bad-cell`, `data/field-count`, ...).
        DataError::BadRows(b) if b.rejects.total == 1 && b.rejects.rows.len() == 1 => {
            b.rejects.rows[0].code
        }
        DataError::BadRows(_) => "data/bad-rows",
        _ => "data/bad-file",
    };
    let mut d = Diagnostic::new(e.to_string()).code(code);
    if let DataError::BadRows(b) = e {
        if b.limit.is_none() && b.can_quarantine {
            d = d.with_help(crate::data::QUARANTINE);
        }
    }
    let line = match e.location() {
        Some(Location::Line(n)) => u32::try_from(*n).unwrap_or(0),
        _ => 0,
    };
    if let Some(row) = first_row(e) {
        // The row's own file (a glob's member) and the bad cell's column.
        d.origin = Some(Origin::new(&row.file, line, row.at));
    } else if let Some(path) = e.path() {
        d.origin = Some(Origin::new(path, line, 0));
    }
    d
}

/// The first bad row of a data error that lists rows.
fn first_row(e: &DataError) -> Option<&crate::data::Rejected> {
    match e {
        DataError::BadRows(b) => b.rejects.rows.first(),
        _ => None,
    }
}

/// The `data:` section a data file is configured in: `data.transactions` or `data.customers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSection {
    /// `data.transactions`.
    Transactions,
    /// `data.customers`.
    Customers,
}

impl DataSection {
    fn key(self) -> &'static str {
        match self {
            DataSection::Transactions => "data.transactions",
            DataSection::Customers => "data.customers",
        }
    }
}

/// The key of `data.transactions` or `data.customers` whose setting a data error is about, with
/// the error's code, when it is a problem of the configuration rather than of the file's rows: a
/// mapped column the file lacks or holds twice, a bad `date_format`, `delimiter` or `sheet`, a
/// `path` that cannot be read.
fn config_key(e: &DataError) -> Option<(String, &'static str)> {
    Some(match e {
        DataError::Io { .. } => ("path".into(), "data/unreadable"),
        DataError::MissingColumn { role, .. } => (format!("columns.{role}"), "data/missing-column"),
        DataError::DuplicateColumn { role, .. } => {
            (format!("columns.{role}"), "data/duplicate-column")
        }
        DataError::SheetNotFound { .. } => ("sheet".into(), "data/no-such-sheet"),
        DataError::Config { message, .. } => {
            if message.starts_with("`delimiter") || message.starts_with("cannot tell the delimiter")
            {
                ("delimiter".into(), "data/bad-delimiter")
            } else if message.starts_with("`sheet") {
                ("sheet".into(), "data/bad-sheet")
            } else if message.starts_with("number_format") {
                ("number_format".into(), "data/bad-number-format")
            } else if message.contains("`columns:`") {
                ("columns".into(), "data/bad-mapping")
            } else {
                ("date_format".into(), "data/bad-date-format")
            }
        }
        _ => return None,
    })
}

/// A data error of the file configured in `section` as a diagnostic. A problem of the
/// configuration points at the line of `powerbase.yaml` that says it (`spans`), with a label at the
/// data file; a problem of the file's rows at the file and line.
pub fn data_diagnostic_in(e: &DataError, section: DataSection, spans: &Spans) -> Diagnostic {
    let mut d = data_diagnostic(e);
    let Some((key, code)) = config_key(e) else {
        if let DataError::AttributeName { .. } = e {
            let columns = format!("{}.columns", section.key());
            if let Some(at) = spans.nearest(&columns) {
                d = d.with_label(at.clone(), "name the column here");
            }
        }
        return d;
    };
    let Some(at) = spans.nearest(&format!("{}.{key}", section.key())) else {
        return d;
    };
    let file = d.origin.replace(at.clone());
    d.code = code;
    match file {
        Some(file) if !matches!(e, DataError::Io { .. }) => d.with_label(file, "the data file"),
        _ => d,
    }
}

/// A data error of the file configured in `section` as an error: a problem of the configuration
/// is a problem of the workspace, at its line of `powerbase.yaml` (see [`data_diagnostic_in`]).
pub fn data_error(e: DataError, section: DataSection, spans: &Spans) -> Error {
    if config_key(&e).is_some() {
        Error::Workspace(vec![data_diagnostic_in(&e, section, spans)])
    } else {
        Error::Data(e)
    }
}

fn list(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\nerror: ");
        }
        out.push_str(&d.to_string());
    }
    if diagnostics.len() > 1 {
        out.push_str(&format!("\n\n{} problems found", diagnostics.len()));
    }
    out
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
