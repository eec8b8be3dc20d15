//! The YAML front matter block at the top of the report Markdown.

use serde::Deserialize;

use super::PdfError;
use crate::report::style::{Brand, Rgb};
use crate::workspace::Contents;

/// Paper size (`page_size: A4 | Letter`), A4 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageSize {
    #[default]
    A4,
    Letter,
}

impl PageSize {
    /// Width and height in points.
    pub fn dimensions(self) -> (f64, f64) {
        match self {
            PageSize::A4 => (595.28, 841.89),
            PageSize::Letter => (612.0, 792.0),
        }
    }
}

/// The report's metadata, shown on the title page, in running headers and footers and in the
/// PDF's document information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    pub title: String,
    pub subtitle: Option<String>,
    pub client: String,
    pub as_of: String,
    pub prepared_by: String,
    pub page_size: PageSize,
    /// The date of issue (`issued:`, YYYY-MM-DD), when given.
    pub issued: Option<String>,
    /// `draft`, a version, or `None` for a final document (`status:`; `final` reads as `None`).
    pub status: Option<String>,
    /// The confidentiality marking (`classification:`).
    pub classification: Option<String>,
    /// Whether to add a contents page (`contents: true | false | auto`, `auto` by default).
    pub contents: Contents,
    /// The client's colours (`brand: { primary: "#1f3a5f", accent: "#c8102e" }`).
    pub brand: Option<Brand>,
}

impl FrontMatter {
    /// Whether `status: draft`.
    pub fn is_draft(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("draft"))
    }

    /// The version, when `status:` is neither `draft` nor `final`.
    pub fn version(&self) -> Option<&str> {
        self.status.as_deref().filter(|_| !self.is_draft())
    }

    /// The marking every page carries: DRAFT and the classification, when given.
    pub fn marking(&self) -> Option<String> {
        let parts: Vec<&str> = self
            .is_draft()
            .then_some("DRAFT")
            .into_iter()
            .chain(self.classification.as_deref())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" \u{b7} "))
    }
}

/// Unknown keys are ignored on purpose: the block is shared with other renderers.
#[derive(Deserialize)]
struct Raw {
    title: Option<String>,
    subtitle: Option<String>,
    client: Option<String>,
    as_of: Option<String>,
    prepared_by: Option<String>,
    page_size: Option<String>,
    issued: Option<String>,
    status: Option<String>,
    classification: Option<String>,
    contents: Option<Flag>,
    brand: Option<RawBrand>,
}

/// `contents:` as YAML reads it: a boolean, or text such as `auto`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Flag {
    Bool(bool),
    Text(String),
}

#[derive(Deserialize)]
struct RawBrand {
    primary: Option<String>,
    accent: Option<String>,
}

/// An optional text key, trimmed; `None` when absent or empty.
fn optional(value: Option<String>) -> Option<String> {
    value
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn err(line: usize, message: impl Into<String>) -> PdfError {
    PdfError::FrontMatter {
        line,
        message: message.into(),
    }
}

/// Splits `markdown` into its front matter and body. Returns the front matter and the body
/// text (everything after the closing `---`), and the 1-based line the body starts on.
pub fn split(markdown: &str) -> Result<(FrontMatter, &str), PdfError> {
    let text = markdown.strip_prefix('\u{feff}').unwrap_or(markdown);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(err(
            1,
            "the report must begin with a YAML front matter block (a line `---`)",
        ));
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    let mut close: Option<(usize, usize)> = None; // (yaml end, body start)
    for line in lines {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            close = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let (yaml_end, body_start) = close.ok_or_else(|| {
        err(
            1,
            "the front matter block opened on line 1 is never closed with `---`",
        )
    })?;
    let yaml = &text[yaml_start..yaml_end];
    let fm = parse_yaml(yaml)?;
    Ok((fm, &text[body_start..]))
}

/// Line (1-based, in the whole Markdown file) of the first line of the YAML that starts with
/// `key:`; the opening `---` is line 1.
fn key_line(yaml: &str, key: &str) -> usize {
    yaml.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with(':'))
        })
        .map(|i| i + 2)
        .unwrap_or(1)
}

fn parse_yaml(yaml: &str) -> Result<FrontMatter, PdfError> {
    if yaml.trim().is_empty() {
        return Err(err(
            2,
            "the front matter block is empty; it needs title, client and as_of",
        ));
    }
    let raw: Raw = serde_saphyr::from_str(yaml).map_err(|e| {
        let line = e.location().map(|l| l.line() as usize + 1).unwrap_or(1);
        let message = e.to_string();
        let first = message
            .lines()
            .next()
            .unwrap_or("invalid YAML")
            .trim()
            .to_string();
        err(line, first)
    })?;
    let required = |value: Option<String>, key: &str| -> Result<String, PdfError> {
        match value {
            Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            Some(_) => Err(err(key_line(yaml, key), format!("`{key}` is empty"))),
            None => Err(err(1, format!("missing key `{key}`"))),
        }
    };
    let page_size = match raw.page_size.as_deref().map(str::trim) {
        None | Some("") => PageSize::A4,
        Some(s) if s.eq_ignore_ascii_case("a4") => PageSize::A4,
        Some(s) if s.eq_ignore_ascii_case("letter") => PageSize::Letter,
        Some(other) => {
            return Err(err(
                key_line(yaml, "page_size"),
                format!("page_size must be A4 or Letter, not `{other}`"),
            ))
        }
    };
    let issued = optional(raw.issued);
    if let Some(day) = &issued {
        if crate::data::Day::parse_iso(day).is_none() {
            return Err(err(
                key_line(yaml, "issued"),
                format!("issued must be a date like 2026-12-03, not `{day}`"),
            ));
        }
    }
    let contents = match raw.contents {
        None => Contents::Auto,
        Some(Flag::Bool(true)) => Contents::Always,
        Some(Flag::Bool(false)) => Contents::Never,
        Some(Flag::Text(t)) => Contents::from_text(&t).ok_or_else(|| {
            err(
                key_line(yaml, "contents"),
                format!("contents must be true, false or auto, not `{t}`"),
            )
        })?,
    };
    let brand = match raw.brand {
        None => None,
        Some(b) => Some(brand(yaml, b)?),
    };
    Ok(FrontMatter {
        title: required(raw.title, "title")?,
        subtitle: optional(raw.subtitle),
        client: required(raw.client, "client")?,
        as_of: required(raw.as_of, "as_of")?,
        prepared_by: raw
            .prepared_by
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        page_size,
        issued,
        status: optional(raw.status).filter(|s| !s.eq_ignore_ascii_case("final")),
        classification: optional(raw.classification),
        contents,
        brand,
    })
}

/// The `brand:` block's colours, or an error at its line.
fn brand(yaml: &str, raw: RawBrand) -> Result<Brand, PdfError> {
    let colour = |key: &str, text: Option<String>| -> Result<Option<Rgb>, PdfError> {
        match optional(text) {
            None => Ok(None),
            Some(t) => Rgb::parse_hex(&t).map(Some).ok_or_else(|| {
                err(
                    key_line(yaml, key),
                    format!("brand.{key} must be a colour like \"#1f3a5f\", not `{t}`"),
                )
            }),
        }
    };
    let accent = colour("accent", raw.accent)?;
    let primary = colour("primary", raw.primary)?
        .ok_or_else(|| err(key_line(yaml, "brand"), "brand has no `primary` colour"))?;
    Ok(Brand { primary, accent })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "---\ntitle: Customer tiers\nclient: Acme Ltd\nas_of: 2026-06-30\nprepared_by: North & Co\nextra: ignored\n---\n# Body\n";

    #[test]
    fn parses_keys_and_body() {
        let (fm, body) = split(GOOD).unwrap();
        assert_eq!(fm.title, "Customer tiers");
        assert_eq!(fm.client, "Acme Ltd");
        assert_eq!(fm.as_of, "2026-06-30");
        assert_eq!(fm.prepared_by, "North & Co");
        assert_eq!(fm.subtitle, None);
        assert_eq!(fm.page_size, PageSize::A4);
        assert_eq!(body, "# Body\n");
    }

    #[test]
    fn letter_and_subtitle() {
        let md = GOOD.replace("extra: ignored", "page_size: Letter\nsubtitle: Board pack");
        let (fm, _) = split(&md).unwrap();
        assert_eq!(fm.page_size, PageSize::Letter);
        assert_eq!(fm.subtitle.as_deref(), Some("Board pack"));
    }

    #[test]
    fn bad_page_size_names_its_line() {
        let md = GOOD.replace("extra: ignored", "page_size: A5");
        match split(&md) {
            Err(PdfError::FrontMatter { line, message }) => {
                assert_eq!(line, 6);
                assert!(message.contains("A5"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn contents_and_brand() {
        let (fm, _) = split(GOOD).unwrap();
        assert_eq!((fm.contents, fm.brand), (Contents::Auto, None));
        let md = GOOD.replace(
            "extra: ignored",
            "contents: true\nbrand: { primary: \"#1f3a5f\", accent: \"#c8102e\" }",
        );
        let (fm, _) = split(&md).unwrap();
        assert_eq!(fm.contents, Contents::Always);
        let brand = fm.brand.unwrap();
        assert_eq!(brand.primary, Rgb(0x1f, 0x3a, 0x5f));
        assert_eq!(brand.accent, Some(Rgb(0xc8, 0x10, 0x2e)));
        let (fm, _) = split(&GOOD.replace("extra: ignored", "contents: false")).unwrap();
        assert_eq!(fm.contents, Contents::Never);
        let bad = GOOD.replace("extra: ignored", "contents: maybe");
        assert!(split(&bad).unwrap_err().to_string().contains("line 6"));
        let bad = GOOD.replace("extra: ignored", "brand:\n  primary: navy");
        let e = split(&bad).unwrap_err().to_string();
        assert!(e.contains("line 7") && e.contains("navy"), "{e}");
    }

    #[test]
    fn malformed_yaml_reports_the_line() {
        let md = "---\ntitle: Tiers\nclient: [unclosed\nas_of: x\n---\nbody";
        match split(md) {
            Err(PdfError::FrontMatter { line, .. }) => {
                assert!((3..=5).contains(&line), "line {line}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_block_or_key_or_close_is_an_error() {
        assert!(matches!(
            split("# No front matter"),
            Err(PdfError::FrontMatter { line: 1, .. })
        ));
        assert!(matches!(
            split("---\ntitle: x\n"),
            Err(PdfError::FrontMatter { line: 1, .. })
        ));
        let e = split("---\ntitle: x\nas_of: z\n---\n").unwrap_err();
        assert!(e.to_string().contains("client"), "{e}");
        // prepared_by is optional: the title page leaves it out.
        let (fm, _) = split("---\ntitle: x\nclient: y\nas_of: z\n---\n").unwrap();
        assert_eq!(fm.prepared_by, "");
    }
}
