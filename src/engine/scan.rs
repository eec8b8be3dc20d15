//! A light scan of expression text: which names it reads and which metrics it asks population
//! figures of. Used for dependency order and for evaluating each expression with only the values it
//! needs. Conservative: a name inside a string literal that is not a population argument is ignored.

use super::sandbox::POPULATION_FUNCTIONS;

/// What an expression refers to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct References {
    /// Identifiers that are not function calls, in order of first appearance, without duplicates
    /// (property names after `.` excluded).
    pub names: Vec<String>,
    /// Metric names given as literal first arguments of population functions, with the function.
    pub populations: Vec<(String, String)>,
}

/// Scans Rhai source for identifiers and population-function arguments.
pub fn references(text: &str) -> References {
    let bytes = text.as_bytes();
    let mut refs = References::default();
    let mut i = 0;
    let mut prev_significant = b' ';
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if c == b'"' || c == b'`' || c == b'\'' {
            let (_, end) = string_literal(bytes, i);
            i = end;
            prev_significant = c;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let name = &text[start..i];
            let is_call = bytes.get(skip_space(bytes, i)) == Some(&b'(');
            if prev_significant != b'.' {
                if !is_call && !refs.names.iter().any(|n| n == name) {
                    refs.names.push(name.to_string());
                }
                if POPULATION_FUNCTIONS.contains(&name) {
                    let mut j = skip_space(bytes, i);
                    if bytes.get(j) == Some(&b'(') {
                        j = skip_space(bytes, j + 1);
                        if bytes.get(j) == Some(&b'"') {
                            let (literal, _) = string_literal(bytes, j);
                            let pair = (name.to_string(), literal);
                            if !refs.populations.contains(&pair) {
                                refs.populations.push(pair);
                            }
                        }
                    }
                }
            }
            prev_significant = b'a';
        } else if c.is_ascii_digit() {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.')
            {
                i += 1;
            }
            prev_significant = b'0';
        } else {
            if !c.is_ascii_whitespace() {
                prev_significant = c;
            }
            i += 1;
        }
    }
    refs
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The contents of the string literal starting at `start` (escapes kept verbatim) and the index
/// after its closing quote.
fn string_literal(bytes: &[u8], start: usize) -> (String, usize) {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != quote {
        if bytes[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    let end = i.min(bytes.len());
    let content = String::from_utf8_lossy(&bytes[start + 1..end]).into_owned();
    (content, (end + 1).min(bytes.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_names_and_population_arguments() {
        let r = references(
            r#"revenue >= percentile("value", 0.9) && orders >= min_orders // revenue_12m"#,
        );
        assert_eq!(r.names, vec!["revenue", "orders", "min_orders"]);
        assert_eq!(
            r.populations,
            vec![("percentile".to_string(), "value".to_string())]
        );
    }

    #[test]
    fn skips_strings_properties_and_comments() {
        let r = references("let s = \"orders\"; /* cost */ s.len() + x.y + 1.5e3");
        assert_eq!(r.names, vec!["let", "s", "x"]);
        let r = references("yearly_value (revenue) + yearly_value");
        assert_eq!(
            r.names,
            vec!["revenue", "yearly_value"],
            "a call is not a read"
        );
        assert!(r.populations.is_empty());
    }
}
