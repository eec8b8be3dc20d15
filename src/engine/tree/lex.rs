//! Rhai source as tokens with spans, and the names and population metrics those tokens refer to.
//!
//! The lexer reads any Rhai text without failing: comments are dropped (block comments nest, as
//! in Rhai), strings and characters become one token each (the expressions inside `${...}` of a
//! backtick string are lexed too, after the string's token), symbols are matched longest first
//! against Rhai's symbol list, so that `<<`, `->` or `--` are never read as two operators of the
//! native subset, and anything else becomes [`Tok::Other`].

use super::{NameRef, PopFn, PopulationCall, PopulationRef, Span};

/// What a token is. Its text is the span's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Tok {
    /// An identifier or keyword.
    Ident,
    /// A decimal integer literal (`1_000`).
    Int(i64),
    /// A decimal float literal with digits on both sides of the point (`0.95`).
    Float(f64),
    /// Any other numeric literal (hex, exponent, suffix, out of range): Rhai's to read.
    Number,
    /// A string (`"`, backtick) or character (`'`) literal.
    Str {
        /// The quote character.
        quote: u8,
        /// Whether the closing quote is there.
        closed: bool,
        /// Closed, on one line, without escapes or interpolation: its content is its value.
        plain: bool,
    },
    /// A symbol from Rhai's list.
    Sym(&'static str),
    /// A character with no meaning here.
    Other,
}

/// A token and where it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Token {
    /// What it is.
    pub tok: Tok,
    /// Where it is.
    pub span: Span,
}

/// Rhai's symbols, longest first.
const SYMBOLS: &[&str] = &[
    "===", "!==", "...", "..=", "<<=", ">>=", "**=", "||", "&&", "==", "!=", "<=", ">=", "**",
    "<<", ">>", "+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "::", "?.", "??", "?[", "..", "=>",
    "->", "<-", "--", "++", "(*", "*)", "!.", ":=", "<|", "|>", "#{", "#!", "+", "-", "*", "/",
    "%", "<", ">", "=", "!", "(", ")", "{", "}", "[", "]", ",", ";", ".", ":", "|", "&", "^", "?",
    "#", "@", "~", "$",
];

/// Rhai's keywords and special variables: never a name an expression reads.
const KEYWORDS: &[&str] = &[
    "_", "as", "break", "catch", "const", "continue", "do", "else", "export", "false", "fn", "for",
    "global", "if", "import", "in", "let", "loop", "private", "return", "switch", "this", "throw",
    "true", "try", "until", "while",
];

/// Whether `word` is a Rhai keyword or special variable.
pub(super) fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

/// The tokens of `text`, comments left out.
pub(crate) fn lex(text: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        text,
        bytes: text.as_bytes(),
        i: 0,
        out: Vec::new(),
    };
    lexer.run(false);
    lexer.out
}

/// The contents of a string token, between its quotes (escapes kept verbatim).
pub(super) fn string_content<'t>(text: &'t str, token: &Token) -> &'t str {
    let closed = matches!(token.tok, Tok::Str { closed: true, .. });
    let end = if closed {
        token.span.end - 1
    } else {
        token.span.end
    };
    &text[token.span.start + 1..end]
}

struct Lexer<'t> {
    text: &'t str,
    bytes: &'t [u8],
    i: usize,
    out: Vec<Token>,
}

impl Lexer<'_> {
    /// Lexes to the end of the text or, inside `${...}` (`interpolation`), to its closing `}`.
    fn run(&mut self, interpolation: bool) {
        let mut depth = 0usize;
        while self.i < self.bytes.len() {
            let c = self.bytes[self.i];
            let next = self.bytes.get(self.i + 1).copied();
            if c.is_ascii_whitespace() {
                self.i += 1;
            } else if c == b'/' && next == Some(b'/') {
                self.line_comment();
            } else if c == b'/' && next == Some(b'*') {
                self.block_comment();
            } else if c == b'"' || c == b'\'' || c == b'`' {
                self.string(c);
            } else if c.is_ascii_alphabetic() || c == b'_' {
                self.ident();
            } else if c.is_ascii_digit() {
                self.number();
            } else if !c.is_ascii() {
                let len = self.text[self.i..].chars().next().map_or(1, char::len_utf8);
                self.push(Tok::Other, self.i, self.i + len);
            } else {
                let symbol = SYMBOLS
                    .iter()
                    .find(|s| self.bytes[self.i..].starts_with(s.as_bytes()));
                match symbol {
                    Some(&"}") if interpolation && depth == 0 => {
                        self.i += 1;
                        return;
                    }
                    Some(&s) => {
                        depth = match s {
                            "{" | "#{" => depth + 1,
                            "}" => depth.saturating_sub(1),
                            _ => depth,
                        };
                        self.push(Tok::Sym(s), self.i, self.i + s.len());
                    }
                    None => self.push(Tok::Other, self.i, self.i + 1),
                }
            }
        }
    }

    fn push(&mut self, tok: Tok, start: usize, end: usize) {
        self.out.push(Token {
            tok,
            span: Span::new(start, end),
        });
        self.i = end;
    }

    fn line_comment(&mut self) {
        while self.i < self.bytes.len() && self.bytes[self.i] != b'\n' {
            self.i += 1;
        }
    }

    /// A block comment; nested ones end with their own `*/`, as in Rhai.
    fn block_comment(&mut self) {
        let mut depth = 0usize;
        while self.i < self.bytes.len() {
            if self.bytes[self.i..].starts_with(b"/*") {
                depth += 1;
                self.i += 2;
            } else if self.bytes[self.i..].starts_with(b"*/") {
                depth -= 1;
                self.i += 2;
                if depth == 0 {
                    return;
                }
            } else {
                self.i += 1;
            }
        }
    }

    /// A string or character literal starting at its quote. In a backtick string, each `${...}`
    /// is lexed: its tokens follow the string's.
    fn string(&mut self, quote: u8) {
        let start = self.i;
        let at = self.out.len();
        self.push(Tok::Other, start, start + 1); // replaced below, once the end is known
        let mut plain = quote != b'`';
        let mut inner = Vec::new();
        let mut closed = false;
        while self.i < self.bytes.len() {
            let c = self.bytes[self.i];
            if c == quote {
                self.i += 1;
                closed = true;
                break;
            } else if c == b'\\' {
                plain = false;
                self.i += 2;
            } else if quote == b'`' && self.bytes[self.i..].starts_with(b"${") {
                self.i += 2;
                let outer = std::mem::take(&mut self.out);
                self.run(true);
                inner.extend(std::mem::replace(&mut self.out, outer));
            } else {
                plain &= c != b'\n';
                self.i += 1;
            }
        }
        let end = self.i.min(self.bytes.len());
        self.i = end;
        self.out[at] = Token {
            tok: Tok::Str {
                quote,
                closed,
                plain: plain && closed,
            },
            span: Span::new(start, end),
        };
        self.out.extend(inner);
    }

    fn ident(&mut self) {
        let start = self.i;
        let end = self.skip(start, |b| b.is_ascii_alphanumeric() || b == b'_');
        self.push(Tok::Ident, start, end);
    }

    /// A numeric literal: digits, an optional fraction, and whatever letters, digits and
    /// underscores are glued to it (hex digits, exponents, suffixes), which make it [`Tok::Number`].
    fn number(&mut self) {
        let start = self.i;
        let digits = |b: u8| b.is_ascii_digit() || b == b'_';
        let mut end = self.skip(start, digits);
        let mut float = false;
        if self.bytes.get(end) == Some(&b'.')
            && self.bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
        {
            float = true;
            end = self.skip(end + 1, digits);
        }
        let glued = self.skip(end, |b| b.is_ascii_alphanumeric() || b == b'_');
        let literal: String = self.text[start..end]
            .chars()
            .filter(|&c| c != '_')
            .collect();
        let tok = if glued > end {
            Tok::Number
        } else if float {
            literal.parse().map_or(Tok::Number, Tok::Float)
        } else {
            literal.parse().map_or(Tok::Number, Tok::Int)
        };
        self.push(tok, start, glued);
    }

    fn skip(&self, mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
        while i < self.bytes.len() && keep(self.bytes[i]) {
            i += 1;
        }
        i
    }
}

/// The names `tokens` read and the metrics they ask population figures of. A name is an
/// identifier that is not a keyword, not called (followed by `(`) and not a property or method
/// (after `.` or `?.`). A population metric is the double-quoted first argument of a population
/// function.
pub(super) fn references(text: &str, tokens: &[Token]) -> (Vec<NameRef>, Vec<PopulationRef>) {
    let mut names: Vec<NameRef> = Vec::new();
    let mut populations: Vec<PopulationRef> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if token.tok != Tok::Ident {
            continue;
        }
        let name = token.span.text(text);
        let after_dot = i > 0 && matches!(tokens[i - 1].tok, Tok::Sym("." | "?."));
        if is_keyword(name) || after_dot {
            continue;
        }
        let called = tokens.get(i + 1).map(|t| t.tok) == Some(Tok::Sym("("));
        if !called {
            if !names.iter().any(|n| n.name == name) {
                names.push(NameRef {
                    name: name.to_string(),
                    span: token.span,
                });
            }
            continue;
        }
        let (Some(function), Some(arg)) = (PopFn::from_name(name), tokens.get(i + 2)) else {
            continue;
        };
        if let Tok::Str { quote: b'"', .. } = arg.tok {
            let metric = string_content(text, arg);
            if !populations
                .iter()
                .any(|p| p.function == function && p.metric == metric)
            {
                populations.push(PopulationRef {
                    function,
                    metric: metric.to_string(),
                    span: arg.span,
                });
            }
        }
    }
    (names, populations)
}

/// The population calls of `tokens` whose first argument is a double-quoted metric name, with
/// the span of the whole call (parentheses matched) and the share of `percentile` when it is a
/// number literal.
pub(super) fn calls(text: &str, tokens: &[Token]) -> Vec<PopulationCall> {
    let mut out = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let after_dot = i > 0 && matches!(tokens[i - 1].tok, Tok::Sym("." | "?."));
        let function = match token.tok {
            Tok::Ident if !after_dot => PopFn::from_name(token.span.text(text)),
            _ => None,
        };
        let (Some(function), Some(open), Some(arg)) =
            (function, tokens.get(i + 1), tokens.get(i + 2))
        else {
            continue;
        };
        if open.tok != Tok::Sym("(") || !matches!(arg.tok, Tok::Str { quote: b'"', .. }) {
            continue;
        }
        let close = closing(tokens, i + 1);
        let end = close.map_or(text.len(), |c| tokens[c].span.end);
        let inside = &tokens[i + 3..close.unwrap_or(tokens.len())];
        let (share, fixed) = match (function, inside) {
            (PopFn::Percentile, [comma, number]) if comma.tok == Tok::Sym(",") => {
                match number.tok {
                    Tok::Int(n) => (Some(n as f64), true),
                    Tok::Float(f) => (Some(f), true),
                    _ => (None, false),
                }
            }
            (PopFn::Percentile, _) => (None, false),
            (_, []) => (None, true),
            _ => (None, false),
        };
        out.push(PopulationCall {
            function,
            metric: string_content(text, arg).to_string(),
            arg: share,
            fixed: fixed && close.is_some() && matches!(arg.tok, Tok::Str { plain: true, .. }),
            span: Span::new(token.span.start, end),
        });
    }
    out
}

/// The index of the `)` closing the `(` at `open`.
fn closing(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.tok {
            Tok::Sym("(") => depth += 1,
            Tok::Sym(")") => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Tok, &str)> {
        lex(text)
            .into_iter()
            .map(|t| (t.tok, t.span.text(text)))
            .collect()
    }

    #[test]
    fn tokens_carry_their_spans() {
        assert_eq!(
            kinds("revenue_12m >= 1_000.5 && x<-1 // note"),
            vec![
                (Tok::Ident, "revenue_12m"),
                (Tok::Sym(">="), ">="),
                (Tok::Float(1000.5), "1_000.5"),
                (Tok::Sym("&&"), "&&"),
                (Tok::Ident, "x"),
                (Tok::Sym("<-"), "<-"),
                (Tok::Int(1), "1"),
            ]
        );
    }

    #[test]
    fn odd_numbers_strings_and_other_characters() {
        let toks =
            kinds("1e3 0x1F 99999999999999999999 \"a\\\"b\" 'c' \"é\" € /* a /* b */ c */ 2");
        let tags: Vec<Tok> = toks.iter().map(|t| t.0).collect();
        assert_eq!(
            tags,
            vec![
                Tok::Number,
                Tok::Number,
                Tok::Number,
                Tok::Str {
                    quote: b'"',
                    closed: true,
                    plain: false
                },
                Tok::Str {
                    quote: b'\'',
                    closed: true,
                    plain: true
                },
                Tok::Str {
                    quote: b'"',
                    closed: true,
                    plain: true
                },
                Tok::Other,
                Tok::Int(2),
            ],
            "{toks:?}"
        );
        assert_eq!(toks[6].1, "€");
    }

    #[test]
    fn interpolations_are_lexed_after_their_string() {
        let text = "`a ${ x + `${y}` } b` + z";
        let toks = kinds(text);
        assert_eq!(toks[0].1, "`a ${ x + `${y}` } b`");
        let idents: Vec<&str> = toks
            .iter()
            .filter(|t| t.0 == Tok::Ident)
            .map(|t| t.1)
            .collect();
        assert_eq!(idents, vec!["x", "y", "z"]);
    }

    #[test]
    fn unterminated_strings_run_to_the_end() {
        let text = "percentile(\"reven";
        let toks = lex(text);
        assert_eq!(string_content(text, &toks[2]), "reven");
        assert_eq!(
            toks[2].tok,
            Tok::Str {
                quote: b'"',
                closed: false,
                plain: false
            }
        );
    }
}
