//! What the loader read from each source, file by file: for the run's terminal output and
//! summary.json's `sources` (so a sniffed delimiter, skipped title lines or a left-out totals
//! line is stated, never silent).

/// One source (`data.transactions` or `data.customers`) as read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceRead {
    /// `transactions` or `customers`.
    pub role: String,
    /// `path:` as configured.
    pub path: String,
    /// The files read, in reading order.
    pub files: Vec<FileRead>,
}

/// One file of a source as read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileRead {
    /// The file, relative to the workspace (or absolute), as found.
    pub path: String,
    /// The field delimiter (`tab` for a tab); `None` for a spreadsheet.
    pub delimiter: Option<String>,
    /// Whether the delimiter was sniffed from the file (not set in `powerbase.yaml`).
    pub delimiter_sniffed: bool,
    /// The text encoding (`utf-8`, `windows-1252`, ...); `None` for a spreadsheet.
    pub encoding: Option<String>,
    /// The name of the sheet read, for a spreadsheet.
    pub sheet: Option<String>,
    /// Title lines skipped before the header (`skip_rows` / `header_row`).
    pub skip_rows: u64,
    /// The header's line (row, for a spreadsheet).
    pub header_row: u64,
    /// Data rows read from this file (blank lines, the header, footer and totals lines not
    /// counted).
    pub rows_read: u64,
    /// Lines dropped at the end (`skip_footer`).
    pub footer_lines: u64,
    /// A totals line at the end ("Summe", "Total", ...), left out.
    pub totals_line: Option<TotalsLine>,
}

/// A totals line left out at the end of a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TotalsLine {
    /// Its line.
    pub line: u64,
    /// Its text, trimmed.
    pub text: String,
}

impl FileRead {
    /// A spreadsheet file as read: `sheet` as given, header on row 1, nothing left out (the
    /// reader fills in what it did).
    pub(crate) fn sheet(file: &std::path::Path, sheet: Option<&str>, rows_read: u64) -> Self {
        FileRead {
            path: file.display().to_string(),
            delimiter: None,
            delimiter_sniffed: false,
            encoding: None,
            sheet: sheet.map(str::to_string),
            skip_rows: 0,
            header_row: 1,
            rows_read,
            footer_lines: 0,
            totals_line: None,
        }
    }
}

impl SourceRead {
    /// One line per file for the terminal: how it was read, when that is worth saying (a
    /// sniffed delimiter, an encoding, title, footer or totals lines, several files).
    pub fn describe(&self) -> Vec<String> {
        let several = self.files.len() > 1;
        self.files
            .iter()
            .filter_map(|f| {
                let mut parts = Vec::new();
                if let Some(d) = &f.delimiter {
                    if f.delimiter_sniffed {
                        parts.push(format!("delimiter {d} (sniffed)"));
                    }
                }
                if let Some(e) = f.encoding.as_deref().filter(|e| *e != "utf-8") {
                    parts.push(format!("encoding {e}"));
                }
                if f.skip_rows > 0 {
                    parts.push(format!("{} skipped", lines(f.skip_rows, "title")));
                }
                if f.footer_lines > 0 {
                    parts.push(format!("{} dropped", lines(f.footer_lines, "footer")));
                }
                if let Some(t) = &f.totals_line {
                    parts.push(format!("totals line {} left out ({:?})", t.line, t.text));
                }
                if several {
                    parts.push(format!("{} rows", f.rows_read));
                }
                (!parts.is_empty())
                    .then(|| format!("{} {}: {}", self.role, f.path, parts.join(", ")))
            })
            .collect()
    }
}

/// `1 title line`, `2 title lines`.
fn lines(n: u64, kind: &str) -> String {
    match n {
        1 => format!("1 {kind} line"),
        n => format!("{n} {kind} lines"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_counts_lines_in_the_singular_and_plural() {
        let file = |skip_rows, footer_lines| FileRead {
            skip_rows,
            footer_lines,
            ..FileRead::sheet(std::path::Path::new("a.csv"), None, 3)
        };
        let read = SourceRead {
            role: "transactions".to_string(),
            path: "a.csv".to_string(),
            files: vec![file(1, 2), file(2, 1)],
        };
        assert_eq!(
            read.describe(),
            [
                "transactions a.csv: 1 title line skipped, 2 footer lines dropped, 3 rows",
                "transactions a.csv: 2 title lines skipped, 1 footer line dropped, 3 rows",
            ]
        );
    }
}
