//! `report.formats`: the optional deliverables a run writes besides customers.csv, summary.json
//! and report.md (`pdf`: report.pdf, `xlsx`: customers.xlsx), checked at the line of each entry.

use serde_saphyr::Spanned;

use super::{at, POLICY_FILE};
use crate::error::{Diagnostic, Origin};

/// An optional deliverable of a run, as `report.formats` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OutputFormat {
    /// `pdf`: report.pdf, the report laid out as a board document.
    Pdf,
    /// `xlsx`: customers.xlsx, the customer table, tiers and call lists as a workbook.
    Xlsx,
}

impl OutputFormat {
    /// Every format powerbase can write, in the order the diagnostics list them.
    pub const ALL: [OutputFormat; 2] = [OutputFormat::Pdf, OutputFormat::Xlsx];

    /// Its name in `report.formats`.
    pub const fn name(self) -> &'static str {
        match self {
            OutputFormat::Pdf => "pdf",
            OutputFormat::Xlsx => "xlsx",
        }
    }

    /// The file it writes in the output folder.
    pub const fn file(self) -> &'static str {
        match self {
            OutputFormat::Pdf => "report.pdf",
            OutputFormat::Xlsx => "customers.xlsx",
        }
    }
}

/// The formats written when the policy names none: every format there is.
pub fn default_formats() -> Vec<OutputFormat> {
    OutputFormat::ALL.to_vec()
}

/// The slide deck the issue asks for, not built yet: named so that asking for it says so.
const SLIDES: &str = "slides";

/// `report.formats` as a set in [`OutputFormat::ALL`] order; an unknown name, or `slides`, is a
/// problem at its line (and left out).
pub(super) fn formats(
    list: Option<Spanned<Vec<Spanned<String>>>>,
    problems: &mut Vec<Diagnostic>,
) -> Vec<OutputFormat> {
    let Some(list) = list else {
        return default_formats();
    };
    let mut chosen = Vec::new();
    for entry in list.value {
        match parse(&entry.value, at(POLICY_FILE, &entry)) {
            Ok(f) => chosen.push(f),
            Err(d) => problems.push(d),
        }
    }
    chosen.sort_unstable();
    chosen.dedup();
    chosen
}

/// One entry of `report.formats`, in any case, surrounding spaces ignored.
/// A problem is placed at `origin`.
fn parse(written: &str, origin: Origin) -> Result<OutputFormat, Diagnostic> {
    let wanted = written.trim();
    if let Some(f) = OutputFormat::ALL
        .into_iter()
        .find(|f| f.name().eq_ignore_ascii_case(wanted))
    {
        return Ok(f);
    }
    let known = known();
    if wanted.eq_ignore_ascii_case(SLIDES) {
        return Err(Diagnostic::at(
            origin,
            "report.formats: `slides` (a slide deck, slides.pdf) is not available yet",
        )
        .code("report/slides-not-available")
        .with_help(format!(
            "remove `slides`; report.pdf (`pdf`) holds the same sections. Formats: {known}"
        )));
    }
    let names: Vec<String> = OutputFormat::ALL
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let help = match crate::ident::closest(&names, wanted) {
        Some(near) => format!("did you mean `{near}`? Formats: {known}"),
        None => format!("formats: {known}"),
    };
    Err(Diagnostic::at(
        origin,
        format!("report.formats: unknown format `{written}`"),
    )
    .code("report/unknown-format")
    .with_help(help))
}

/// The formats with their files, for diagnostics: `pdf` (report.pdf), `xlsx` (customers.xlsx).
fn known() -> String {
    OutputFormat::ALL
        .iter()
        .map(|f| format!("`{}` ({})", f.name(), f.file()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn here() -> Origin {
        Origin::new(POLICY_FILE, 3, 5)
    }

    #[test]
    fn names_are_read_in_any_case() {
        assert_eq!(parse(" PDF ", here()).ok(), Some(OutputFormat::Pdf));
        assert_eq!(parse("xlsx", here()).ok(), Some(OutputFormat::Xlsx));
    }

    #[test]
    fn slides_and_unknown_names_are_refused_with_the_known_ones() {
        let slides = parse("slides", here()).err().unwrap();
        assert_eq!(slides.code, "report/slides-not-available");
        assert!(slides.message.contains("not available yet"));
        let unknown = parse("xls", here()).err().unwrap();
        let help = unknown.help.unwrap_or_default();
        assert_eq!(unknown.code, "report/unknown-format");
        assert!(help.contains("did you mean `xlsx`?"), "{help}");
        assert!(
            help.contains("`pdf` (report.pdf), `xlsx` (customers.xlsx)"),
            "{help}"
        );
    }
}
