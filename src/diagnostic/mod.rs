//! Diagnostics as data: every problem a user can cause is a [`Diagnostic`] with a stable `code`,
//! a severity, a primary location and secondary labels ("defined here, and again here") and help.
//! Renderers turn them into text for people (the source line with a caret, as rustc and ruff
//! print it) or JSON for editors and CI ([`render`]).

pub mod render;

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// Bytes as text for a message: valid UTF-8 as it is, each byte that is not part of valid UTF-8
/// written as `<HH>` as `less` shows it (`K<E4>-00009`), so a message shows what the file holds
/// instead of a replacement character that hides it.
pub fn escaped(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("<{b:02X}>"));
        }
    }
    std::borrow::Cow::Owned(out)
}

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

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Stops `check` and `run`.
    #[default]
    Error,
    /// Worth fixing; does not stop a run.
    Warning,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Error => "error",
            Level::Warning => "warning",
        })
    }
}

/// A secondary place a diagnostic points at, with what it is ("first defined here").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub origin: Origin,
    /// What is there.
    pub message: String,
}

/// The code of a diagnostic that was not given one. Every diagnostic a user can meet gets a
/// specific code; this one only marks a place still to be classified.
pub const UNCLASSIFIED: &str = "powerbase/error";

/// One problem, with where it is and, when we can tell, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// A stable identifier, `area/kind` (`policy/unknown-key`, `expr/unknown-name`,
    /// `data/bad-cell`, `report/bad-page-size`), for scripts and documentation.
    pub code: &'static str,
    /// How serious it is.
    pub level: Level,
    /// What is wrong, in a sentence.
    pub message: String,
    /// Where it is (the primary location).
    pub origin: Option<Origin>,
    /// Other places that explain it.
    pub labels: Vec<Label>,
    /// A hint: what was expected or how to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A problem at a place.
    pub fn at(origin: Origin, message: impl Into<String>) -> Self {
        Diagnostic {
            code: UNCLASSIFIED,
            level: Level::Error,
            message: message.into(),
            origin: Some(origin),
            labels: Vec::new(),
            help: None,
        }
    }

    /// A problem with no particular place.
    pub fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            origin: None,
            ..Diagnostic::at(Origin::file(""), message)
        }
    }

    /// Sets the stable code.
    pub fn code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    /// Makes it a warning.
    pub fn warning(mut self) -> Self {
        self.level = Level::Warning;
        self
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary place.
    pub fn with_label(mut self, origin: Origin, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            origin,
            message: message.into(),
        });
        self
    }
}

impl fmt::Display for Diagnostic {
    /// The plain form without source lines: message, location, labels, help.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(origin) = &self.origin {
            write!(f, "\n  --> {origin}")?;
        }
        for label in &self.labels {
            write!(f, "\n  ::: {}: {}", label.origin, label.message)?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}
