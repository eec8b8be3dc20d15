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
