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

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A name or keyword.
    Ident,
    /// A number literal (`5`, `0.95`, `1_000`, `1e3`).
    Number,
    /// A string literal, `"..."` or `` `...` ``; the text keeps its quotes.
    Str,
    /// A character literal, `'x'`.
    Char,
    /// An operator or punctuation.
    Punct,
}

/// One token of Rhai source, with its 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// What it is.
    pub kind: Kind,
    /// Its text.
    pub text: &'a str,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Token<'_> {
    /// Whether this is the punctuation `p`.
    pub fn is(&self, p: &str) -> bool {
        self.kind == Kind::Punct && self.text == p
    }

    /// The contents of a string literal (escapes kept verbatim).
    pub fn literal(&self) -> &str {
        let t = self.text;
        let end = if t.len() > 1 && t.ends_with(&t[..1]) {
            t.len() - 1
        } else {
            t.len()
        };
        &t[1.min(t.len())..end]
    }
}

/// Multi-character operators, longest first.
const OPERATORS: &[&str] = &[
    "..=", "<<=", ">>=", "**=", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "?[", "::", "=>",
    "..", "<<", ">>", "**", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "->",
];

/// Splits Rhai source into tokens, skipping white space and comments. Never fails: anything
/// unexpected becomes a one-character punctuation token (the compiler reports real errors).
pub fn tokens(text: &str) -> Vec<Token<'_>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let (mut line, mut line_start) = (1u32, 0usize);
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let kind = if c == b'\n' {
            i += 1;
            line += 1;
            line_start = i;
            continue;
        } else if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i += 2;
            while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                if bytes[i] == b'\n' {
                    line += 1;
                    line_start = i + 1;
                }
                i += 1;
            }
            i = (i + 2).min(bytes.len());
            continue;
        } else if c == b'"' || c == b'`' || c == b'\'' {
            i = string_end(bytes, i);
            if c == b'\'' {
                Kind::Char
            } else {
                Kind::Str
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            Kind::Ident
        } else if c.is_ascii_digit() {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || bytes[i] == b'_'
                    || (bytes[i] == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)))
            {
                i += 1;
            }
            Kind::Number
        } else {
            let rest = &text[i..];
            i += OPERATORS
                .iter()
                .find(|op| rest.starts_with(*op))
                .map_or_else(
                    || rest.chars().next().map_or(1, char::len_utf8),
                    |op| op.len(),
                );
            Kind::Punct
        };
        out.push(Token {
            kind,
            text: &text[start..i],
            line,
            column: text[line_start..start].chars().count() as u32 + 1,
        });
        // A multi-line string literal moves the line count on.
        for (k, b) in bytes[start..i].iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                line_start = start + k + 1;
            }
        }
    }
    out
}

/// The index after the string literal starting at `start` (or the end of the text).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != quote {
        if bytes[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    (i + 1).min(bytes.len())
}

/// Scans Rhai source for identifiers and population-function arguments.
pub fn references(text: &str) -> References {
    let toks = tokens(text);
    let mut refs = References::default();
    for (k, t) in toks.iter().enumerate() {
        if t.kind != Kind::Ident || (k > 0 && (toks[k - 1].is(".") || toks[k - 1].is("?."))) {
            continue;
        }
        let next = toks.get(k + 1);
        let is_call = next.is_some_and(|n| n.is("("));
        if !is_call && !refs.names.iter().any(|n| n == t.text) {
            refs.names.push(t.text.to_string());
        }
        if is_call && POPULATION_FUNCTIONS.contains(&t.text) {
            if let Some(arg) = toks.get(k + 2).filter(|a| a.kind == Kind::Str) {
                let pair = (t.text.to_string(), arg.literal().to_string());
                if !refs.populations.contains(&pair) {
                    refs.populations.push(pair);
                }
            }
        }
    }
    refs
}

/// A function defined in a script: `fn name(a, b)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FnDefinition {
    /// Its name.
    pub name: String,
    /// How many parameters it takes.
    pub arity: usize,
    /// 1-based line of its name.
    pub line: u32,
    /// 1-based column of its name.
    pub column: u32,
}

/// The functions a script defines, in order.
pub fn function_definitions(text: &str) -> Vec<FnDefinition> {
    let toks = tokens(text);
    let mut out = Vec::new();
    for (k, t) in toks.iter().enumerate() {
        if t.kind != Kind::Ident || t.text != "fn" {
            continue;
        }
        // `fn name(` or `fn Type.name(`: the name is the last identifier before `(`.
        let mut j = k + 1;
        while toks.get(j + 1).is_some_and(|n| n.is(".")) {
            j += 2;
        }
        let (Some(name), Some(open)) = (toks.get(j), toks.get(j + 1)) else {
            continue;
        };
        if name.kind != Kind::Ident || !open.is("(") {
            continue;
        }
        let params = toks[j + 2..]
            .iter()
            .take_while(|p| !p.is(")"))
            .filter(|p| p.kind == Kind::Ident)
            .count();
        out.push(FnDefinition {
            name: name.text.to_string(),
            arity: params,
            line: name.line,
            column: name.column,
        });
    }
    out
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

    #[test]
    fn tokens_carry_line_and_column() {
        let t = tokens("a >= 1.5e3 // x\n  && b <= \"s\"\n/* c\n */ 'q'");
        let brief: Vec<(&str, u32, u32)> = t.iter().map(|t| (t.text, t.line, t.column)).collect();
        assert_eq!(
            brief,
            vec![
                ("a", 1, 1),
                (">=", 1, 3),
                ("1.5e3", 1, 6),
                ("&&", 2, 3),
                ("b", 2, 6),
                ("<=", 2, 8),
                ("\"s\"", 2, 11),
                ("'q'", 4, 5),
            ]
        );
        assert_eq!(t[6].literal(), "s");
        assert_eq!(t[7].kind, Kind::Char);
    }

    #[test]
    fn finds_function_definitions() {
        let text = "// fn not_me(x)\nfn a() { 1 }\n\nprivate fn b(x, y) {\n  \"fn c(z)\"\n}\n";
        let defs = function_definitions(text);
        assert_eq!(
            defs,
            vec![
                FnDefinition {
                    name: "a".into(),
                    arity: 0,
                    line: 2,
                    column: 4
                },
                FnDefinition {
                    name: "b".into(),
                    arity: 2,
                    line: 4,
                    column: 12
                },
            ]
        );
    }
}
