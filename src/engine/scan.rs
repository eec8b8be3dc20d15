//! Rhai source as a flat list of tokens with line and column, for the checks that read code the
//! expression tree leaves opaque: comparisons of a number with a text in any expression
//! (`types`) and the functions a plugin script defines (`plugins`). The tokens come from the
//! tree's lexer ([`super::tree`]), so there is one reading of Rhai source besides Rhai's own.

use super::tree::{self, Tok};

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

/// Splits Rhai source into tokens, comments left out, in source order. Never fails: anything
/// unexpected becomes a one-character punctuation token (the compiler reports real errors). The
/// code inside `${...}` of a backtick string is part of the string's token here.
pub fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut string_end = 0;
    let mut at = Position::default();
    for token in tree::tokens(text) {
        let span = token.span;
        if span.start < string_end {
            continue; // inside an interpolated string
        }
        let kind = match token.tok {
            Tok::Ident => Kind::Ident,
            Tok::Int(_) | Tok::Float(_) | Tok::Number => Kind::Number,
            Tok::Str { quote: b'\'', .. } => Kind::Char,
            Tok::Str { .. } => {
                string_end = span.end;
                Kind::Str
            }
            Tok::Sym(_) | Tok::Other => Kind::Punct,
        };
        let (line, column) = at.advance(text, span.start);
        out.push(Token {
            kind,
            text: span.text(text),
            line,
            column,
        });
    }
    out
}

/// A walk through the text that keeps the line and column of its position.
#[derive(Default)]
struct Position {
    offset: usize,
    line: u32,
    line_start: usize,
}

impl Position {
    /// Moves to byte `to` (not before the current position) and gives its 1-based line and
    /// column (in characters).
    fn advance(&mut self, text: &str, to: usize) -> (u32, u32) {
        for (k, b) in text.as_bytes()[self.offset..to].iter().enumerate() {
            if *b == b'\n' {
                self.line += 1;
                self.line_start = self.offset + k + 1;
            }
        }
        self.offset = to;
        (
            self.line + 1,
            text[self.line_start..to].chars().count() as u32 + 1,
        )
    }
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

/// The names an expression reads (identifiers not called as functions, not after `.`, outside
/// strings), each once, in order of first use. For the report's method appendix; the engine's
/// own name checks read the expression tree.
pub fn names_read(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for span in plain_names(text) {
        let name = span.text(text);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// `text` with every name `value_of` gives a value for (a param, say) replaced by that value, so
/// a rule reads as it was applied: `revenue >= first_class_min` -> `revenue >= 300`.
pub fn substitute(text: &str, value_of: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for span in plain_names(text) {
        if let Some(value) = value_of(span.text(text)) {
            out.push_str(&text[copied..span.start]);
            out.push_str(&value);
            copied = span.end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The identifier tokens of `text` that read a value: not a function being called, not a
/// property after `.`, not inside a string.
fn plain_names(text: &str) -> Vec<tree::Span> {
    let tokens = tree::tokens(text);
    let mut out = Vec::new();
    let mut string_end = 0;
    for (i, token) in tokens.iter().enumerate() {
        if token.span.start < string_end {
            continue;
        }
        match token.tok {
            Tok::Str { .. } => string_end = token.span.end,
            Tok::Ident => {
                let next = tokens.get(i + 1).map(|t| t.span.text(text));
                let prev = i.checked_sub(1).map(|p| tokens[p].span.text(text));
                if next != Some("(") && prev != Some(".") && !is_keyword(token.span.text(text)) {
                    out.push(token.span);
                }
            }
            _ => {}
        }
    }
    out
}

fn is_keyword(word: &str) -> bool {
    matches!(
        word,
        "if" | "else"
            | "true"
            | "false"
            | "let"
            | "const"
            | "fn"
            | "return"
            | "in"
            | "while"
            | "loop"
            | "for"
            | "break"
            | "continue"
            | "throw"
            | "switch"
            | "this"
    )
}

#[cfg(test)]
mod substitute_tests {
    use super::*;

    #[test]
    fn params_are_replaced_by_their_values_and_only_names_are_touched() {
        let value = |n: &str| (n == "min").then(|| "300".to_string());
        assert_eq!(
            substitute("revenue >= min && percentile(\"min\", 0.5) < min", value),
            "revenue >= 300 && percentile(\"min\", 0.5) < 300"
        );
        assert_eq!(
            names_read("if orders > 2 { revenue } else { x.min }"),
            vec!["orders", "revenue", "x"]
        );
    }
}
