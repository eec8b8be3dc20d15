//! Numbered exhibits. Every chart image of the report Markdown (`![...](charts/NAME.svg)`) is an
//! exhibit, numbered in reading order as the PDF captions them ("Exhibit 3."). A template refers
//! to one by its chart's name, `{{ exhibit(name="pareto") }}`, before or after the chart: the
//! function leaves a marker, and once the whole report is written [`number`] replaces each marker
//! by "Exhibit N", N the number of that chart's first image.

use pulldown_cmark::{Event, Options, Parser, Tag};

/// Opens a marker: a Unicode noncharacter, which no data or template text contains.
const OPEN: char = '\u{FDD0}';
/// Closes a marker.
const CLOSE: char = '\u{FDD1}';

/// The marker `exhibit(name=...)` writes for chart `name`.
pub fn marker(name: &str) -> String {
    format!("{OPEN}{name}{CLOSE}")
}

/// The chart names of the Markdown's chart images, in reading order (a chart shown twice is two
/// exhibits).
pub fn charts_in_order(markdown: &str) -> Vec<String> {
    Parser::new_ext(markdown, Options::ENABLE_TABLES)
        .filter_map(|event| match event {
            Event::Start(Tag::Image { dest_url, .. }) => dest_url
                .strip_prefix("charts/")
                .and_then(|n| n.strip_suffix(".svg"))
                .map(str::to_string),
            _ => None,
        })
        .collect()
}

/// The Markdown with every marker replaced by "Exhibit N". Fails with the name of a chart that
/// is referred to but never shown.
pub fn number(markdown: &str) -> Result<String, String> {
    if !markdown.contains(OPEN) {
        return Ok(markdown.to_string());
    }
    let order = charts_in_order(markdown);
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len_utf8()..];
        let end = after.find(CLOSE).unwrap_or(after.len());
        let name = &after[..end];
        let n = order
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| name.to_string())?;
        out.push_str(&format!("Exhibit {}", n + 1));
        rest = after.get(end + CLOSE.len_utf8()..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_take_the_number_of_their_chart_in_reading_order() {
        let md = format!(
            "{} leads to {}.\n\n![a](charts/tiers.svg)\n\n![b](charts/pareto.svg)\n\nAs {} showed.\n",
            marker("pareto"),
            marker("tiers"),
            marker("tiers")
        );
        assert_eq!(charts_in_order(&md), vec!["tiers", "pareto"]);
        assert_eq!(
            number(&md).unwrap(),
            "Exhibit 2 leads to Exhibit 1.\n\n![a](charts/tiers.svg)\n\n![b](charts/pareto.svg)\n\nAs Exhibit 1 showed.\n"
        );
    }

    #[test]
    fn a_reference_to_a_chart_not_shown_is_an_error() {
        let md = format!("See {}.\n\n![a](charts/tiers.svg)\n", marker("whale"));
        assert_eq!(number(&md), Err("whale".to_string()));
        assert_eq!(number("No markers.").unwrap(), "No markers.");
    }
}
