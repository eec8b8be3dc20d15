//! Errors as types: every problem a user can cause names the file, the line and what was expected.

use std::path::PathBuf;

use crate::data::DataError;
pub use crate::diagnostic::{Diagnostic, Origin};

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
        _ => "data/bad-file",
    };
    let mut d = Diagnostic::new(e.to_string()).code(code);
    if let Some(path) = e.path() {
        let line = match e.location() {
            Some(Location::Line(n)) => u32::try_from(*n).unwrap_or(0),
            _ => 0,
        };
        d.origin = Some(Origin::new(path, line, 0));
    }
    d
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
