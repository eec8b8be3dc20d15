//! Policy test results as JUnit XML, for CI: one `<testsuite>` per test file, one `<testcase>` per
//! case, a `<failure>` with expected vs actual and the explanation for each failing case. The
//! same results always give the same bytes (no times or host names).

use super::{CaseResult, Outcome};

/// Text escaped for XML content and attribute values; characters XML 1.0 cannot hold (control
/// characters other than tab and line breaks) are replaced by U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The failure text of a case: each expectation that did not hold, then the explanations.
pub fn failure_text(result: &CaseResult) -> String {
    let mut out = String::new();
    for f in &result.failures {
        out.push_str(&format!("{f}\n"));
    }
    for (_, text) in &result.explanations {
        out.push('\n');
        out.push_str(text);
    }
    out
}

/// The outcome as a JUnit XML document.
pub fn xml(outcome: &Outcome) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"powerbase test\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">\n",
        outcome.results.len(),
        outcome.failed()
    ));
    let mut files: Vec<&str> = outcome.results.iter().map(|r| r.file.as_str()).collect();
    files.dedup();
    for file in files {
        let cases: Vec<&CaseResult> = outcome.results.iter().filter(|r| r.file == file).collect();
        let failed = cases.iter().filter(|r| !r.passed()).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">\n",
            escape(file),
            cases.len()
        ));
        for case in cases {
            out.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\"",
                escape(&case.name),
                escape(file)
            ));
            if case.passed() {
                out.push_str("/>\n");
                continue;
            }
            let first = &case.failures[0];
            let message = format!("{} failed: {first}", case.failures.len());
            out.push_str(&format!(
                ">\n      <failure message=\"{}\" type=\"expectation\">{}</failure>\n    </testcase>\n",
                escape(&message),
                escape(&failure_text(case))
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policytest::Failure;

    #[test]
    fn escapes_and_counts() {
        assert_eq!(
            escape("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;\u{FFFD}"
        );
        let outcome = Outcome {
            results: vec![
                CaseResult {
                    file: "tests/a.yaml".into(),
                    name: "ok <1>".into(),
                    failures: vec![],
                    explanations: vec![],
                },
                CaseResult {
                    file: "tests/a.yaml".into(),
                    name: "bad".into(),
                    failures: vec![Failure {
                        customer: "7".into(),
                        what: "tier".into(),
                        expected: "First".into(),
                        actual: "Economy".into(),
                    }],
                    explanations: vec![("7".into(), "Customer 7 is in Economy".into())],
                },
            ],
            filtered_out: 0,
        };
        let x = xml(&outcome);
        assert!(x.contains("tests=\"2\" failures=\"1\""), "{x}");
        assert!(x.contains("name=\"ok &lt;1&gt;\""), "{x}");
        assert!(x.contains("expected First, found Economy"), "{x}");
        assert_eq!(x, xml(&outcome));
    }
}
