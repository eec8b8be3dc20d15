//! Errors as types: every problem a user can cause names the file, the line and what was expected.

use std::fmt;
use std::path::PathBuf;

use crate::data::DataError;

/// Where in the workspace something was written: a file (relative to the workspace when possible),
/// with a 1-based line and column when known.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    /// The file, as the user would name it (`powerbase.yaml`, `rules/tiers.yaml`, `builtin/rfm.yaml`).
    pub file: PathBuf,
    /// 1-based line; 0 when unknown.
    pub line: u32,
    /// 1-based column; 0 when unknown.
    pub column: u32,
}

impl Origin {
    /// An origin with a known line and column.
    pub fn new(file: impl Into<PathBuf>, line: u32, column: u32) -> Self {
        Origin {
            file: file.into(),
            line,
            column,
        }
    }

    /// A whole file, no position.
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Origin::new(file, 0, 0)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        Ok(())
    }
}

/// One problem, with where it is and, when we can tell, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, in a sentence.
    pub message: String,
    /// Where it is.
    pub origin: Option<Origin>,
    /// A hint: what was expected or how to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A problem at a place.
    pub fn at(origin: Origin, message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            origin: Some(origin),
            help: None,
        }
    }

    /// A problem with no particular place.
    pub fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            origin: None,
            help: None,
        }
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(origin) = &self.origin {
            write!(f, "\n  --> {origin}")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

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
