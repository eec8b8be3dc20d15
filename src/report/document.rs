//! The document's marking: its date of issue, its status (draft, final or a version) and its
//! confidentiality classification, resolved once per run from `run --issued`, `report.issued`,
//! `SOURCE_DATE_EPOCH` or today's date, in that order.
//!
//! The marking is shown on the title page, in every page's footer and in the PDF's metadata
//! (whose creation date is the date of issue). It stays out of summary.json, which describes the
//! data and the policy and compares byte for byte between runs on different days.

use crate::data::Day;
use crate::diagnostic::Diagnostic;
use crate::report::style::Brand;
use crate::workspace::{Contents, DocStatus, ReportSettings};

/// The environment variable of reproducible builds: seconds since 1970-01-01 UTC.
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// The date of issue, status and classification of one run's documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The date of issue.
    pub issued: Day,
    /// Where the date of issue came from.
    pub issued_from: IssuedFrom,
    /// Draft, final or a version.
    pub status: DocStatus,
    /// The confidentiality marking, if any.
    pub classification: Option<String>,
    /// Whether the PDF has a contents page (`report.contents`).
    pub contents: Contents,
    /// The client's colours (`report.brand`), if any.
    pub brand: Option<Brand>,
}

/// Where the date of issue came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuedFrom {
    /// `run --issued`.
    Flag,
    /// `report.issued` in powerbase.yaml.
    Policy,
    /// The `SOURCE_DATE_EPOCH` environment variable.
    SourceDateEpoch,
    /// The clock (UTC).
    Today,
}

impl Document {
    /// The marking of a run: the date of issue from `flag`, else the policy's `report.issued`,
    /// else `SOURCE_DATE_EPOCH`, else today (UTC). Fails when `SOURCE_DATE_EPOCH` is set but is
    /// not a whole number of seconds.
    pub fn resolve(settings: &ReportSettings, flag: Option<Day>) -> Result<Document, Diagnostic> {
        let env = std::env::var(SOURCE_DATE_EPOCH).ok();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Document::resolve_with(settings, flag, env.as_deref(), now)
    }

    /// [`Document::resolve`] with the environment variable's value and the clock (seconds since
    /// 1970-01-01 UTC) given.
    pub fn resolve_with(
        settings: &ReportSettings,
        flag: Option<Day>,
        source_date_epoch: Option<&str>,
        now: i64,
    ) -> Result<Document, Diagnostic> {
        let (issued, issued_from) = match (flag, settings.issued, source_date_epoch) {
            (Some(day), ..) => (day, IssuedFrom::Flag),
            (None, Some(day), _) => (day, IssuedFrom::Policy),
            (None, None, Some(text)) => (epoch_day(text)?, IssuedFrom::SourceDateEpoch),
            (None, None, None) => (utc_day(now).unwrap_or(Day(0)), IssuedFrom::Today),
        };
        Ok(Document {
            issued,
            issued_from,
            status: settings.status.clone(),
            classification: settings.classification.clone(),
            contents: settings.contents,
            brand: settings.brand,
        })
    }

    /// The marking of the policy with the date of issue `issued`, for models that are not
    /// rendered (the facts summary checks read).
    pub fn dated(settings: &ReportSettings, issued: Day) -> Document {
        Document {
            issued,
            issued_from: IssuedFrom::Policy,
            status: settings.status.clone(),
            classification: settings.classification.clone(),
            contents: settings.contents,
            brand: settings.brand,
        }
    }

    /// The status as the front matter writes it: `draft`, the version, or `None` when final.
    pub fn status_text(&self) -> Option<String> {
        match &self.status {
            DocStatus::Final => None,
            DocStatus::Draft => Some("draft".to_string()),
            DocStatus::Version(v) => Some(v.clone()),
        }
    }
}

/// The UTC day of `seconds` since 1970-01-01, within the years 1970..=9999.
fn utc_day(seconds: i64) -> Option<Day> {
    const YEAR_10000: i64 = 253_402_300_800;
    (0..YEAR_10000)
        .contains(&seconds)
        .then(|| Day(i32::try_from(seconds.div_euclid(86_400)).expect("within the years")))
}

/// The day of `SOURCE_DATE_EPOCH`'s value.
fn epoch_day(text: &str) -> Result<Day, Diagnostic> {
    text.trim()
        .parse::<i64>()
        .ok()
        .and_then(utc_day)
        .ok_or_else(|| {
            Diagnostic::new(format!(
                "{SOURCE_DATE_EPOCH} is `{text}`, not a whole number of seconds since 1970-01-01"
            ))
            .code("report/bad-issued-env")
            .with_help(
                "set it to such a number (`date +%s`), unset it for today's date, or state the date with `--issued YYYY-MM-DD`",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(issued: Option<&str>) -> ReportSettings {
        ReportSettings {
            title: "T".into(),
            subtitle: None,
            prepared_by: None,
            template: "report.md".into(),
            page_size: "A4".into(),
            top_customers: 10,
            issued: issued.map(|d| Day::parse_iso(d).unwrap()),
            status: DocStatus::Draft,
            classification: Some("Confidential".into()),
            contents: Contents::Auto,
            brand: None,
            locale: None,
            formats: crate::workspace::default_formats(),
        }
    }

    #[test]
    fn the_flag_wins_then_the_policy_then_the_environment_then_the_clock() {
        // 2026-12-03 23:59:59 UTC.
        let now = 1_796_342_399;
        let flag = Day::parse_iso("2026-01-15");
        let d = |s: &ReportSettings, f, env| Document::resolve_with(s, f, env, now).unwrap();
        let with = settings(Some("2026-02-01"));
        let without = settings(None);
        assert_eq!(d(&with, flag, Some("0")).issued, flag.unwrap());
        assert_eq!(d(&with, flag, None).issued_from, IssuedFrom::Flag);
        let p = d(&with, None, Some("0"));
        assert_eq!(
            (p.issued.to_string(), p.issued_from),
            ("2026-02-01".into(), IssuedFrom::Policy)
        );
        // 1 700 000 000 s after the epoch is 2023-11-14 22:13:20 UTC.
        let e = d(&without, None, Some("1700000000"));
        assert_eq!(
            (e.issued.to_string(), e.issued_from),
            ("2023-11-14".into(), IssuedFrom::SourceDateEpoch)
        );
        let t = d(&without, None, None);
        assert_eq!(
            (t.issued.to_string(), t.issued_from),
            ("2026-12-03".into(), IssuedFrom::Today)
        );
        assert_eq!(t.status_text().as_deref(), Some("draft"));
        assert_eq!(t.classification.as_deref(), Some("Confidential"));
    }

    #[test]
    fn a_malformed_source_date_epoch_is_an_error_naming_it() {
        for bad in ["yesterday", "1.5", "", "-1", "99999999999999999999"] {
            let e = Document::resolve_with(&settings(None), None, Some(bad), 1_767_225_600)
                .unwrap_err();
            assert_eq!(e.code, "report/bad-issued-env", "{bad}");
            assert!(e.to_string().contains(SOURCE_DATE_EPOCH), "{e}");
        }
    }

    #[test]
    fn status_reads_final_draft_or_a_version() {
        assert_eq!(DocStatus::from_text(" Final "), DocStatus::Final);
        assert_eq!(DocStatus::from_text("DRAFT"), DocStatus::Draft);
        assert_eq!(
            DocStatus::from_text("v2.1"),
            DocStatus::Version("v2.1".into())
        );
    }
}
