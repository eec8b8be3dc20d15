//! Tokens to a [`Node`] tree: precedence climbing with Rhai's precedence and left associativity,
//! unary `!` and `-` binding tighter than any infix operator, and `if` chains only where Rhai reads
//! them as a statement whose value is the result (the whole expression, or a branch's block). Any
//! token outside the subset, anywhere, gives `None`: the expression is opaque. So does what Rhai
//! refuses to compile within the subset: a literal number or string as an operand of `&&` or `||`
//! or as an `if` condition.

use super::lex::{is_keyword, string_content, Tok, Token};
use super::{BinOp, Lit, Node, PopFn, Span, UnOp};

/// Nesting beyond this is left to Rhai (whose own limit is lower), so the parser's recursion is
/// bounded whatever the text.
const MAX_DEPTH: usize = 128;

/// The tree of the whole text, if every token of it is in the subset.
pub(super) fn tree(text: &str, tokens: &[Token]) -> Option<Node> {
    let mut p = Parser {
        text,
        tokens,
        pos: 0,
        depth: 0,
    };
    let node = p.top()?;
    (p.pos == tokens.len()).then_some(node)
}

/// A literal number or string (negated or parenthesized too), which Rhai refuses at compile
/// time as an operand of `&&` or `||` or as a condition.
fn never_bool(node: &Node) -> bool {
    match node {
        Node::Lit { value, .. } => !matches!(value, Lit::Bool(_)),
        Node::Unary {
            op: UnOp::Neg,
            operand,
            ..
        } => matches!(
            **operand,
            Node::Lit {
                value: Lit::Int(_) | Lit::Float(_),
                ..
            }
        ),
        _ => false,
    }
}

struct Parser<'t> {
    text: &'t str,
    tokens: &'t [Token],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<Tok> {
        self.tokens.get(self.pos).map(|t| t.tok)
    }

    fn peek_word(&self) -> Option<&str> {
        let t = self.tokens.get(self.pos)?;
        (t.tok == Tok::Ident).then(|| t.span.text(self.text))
    }

    /// Consumes the next token if it is `tok`, giving its span.
    fn eat(&mut self, tok: Tok) -> Option<Span> {
        let t = self.tokens.get(self.pos)?;
        (t.tok == tok).then(|| {
            self.pos += 1;
            t.span
        })
    }

    fn eat_word(&mut self, word: &str) -> Option<Span> {
        (self.peek_word() == Some(word)).then(|| {
            self.pos += 1;
            self.tokens[self.pos - 1].span
        })
    }

    fn nest(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A whole expression or a branch's body: an `if` chain or an operator expression.
    fn top(&mut self) -> Option<Node> {
        if self.peek_word() == Some("if") {
            self.if_chain()
        } else {
            self.expr(0)
        }
    }

    fn if_chain(&mut self) -> Option<Node> {
        self.nest()?;
        let start = self.eat_word("if")?;
        let mut branches = Vec::new();
        let mut otherwise = None;
        let end = loop {
            let condition = self.expr(0)?;
            if never_bool(&condition) {
                return None;
            }
            let (result, end) = self.block()?;
            branches.push((condition, result));
            if self.eat_word("else").is_none() {
                break end;
            }
            if self.eat_word("if").is_none() {
                let (result, end) = self.block()?;
                otherwise = Some(Box::new(result));
                break end;
            }
        };
        self.depth -= 1;
        Some(Node::If {
            branches,
            otherwise,
            span: start.to(end),
        })
    }

    /// `{ body }`, giving the body and the span of the closing brace.
    fn block(&mut self) -> Option<(Node, Span)> {
        self.eat(Tok::Sym("{"))?;
        let body = self.top()?;
        let end = self.eat(Tok::Sym("}"))?;
        Some((body, end))
    }

    /// Operators of precedence `min` and tighter, left-associative.
    fn expr(&mut self, min: u8) -> Option<Node> {
        self.nest()?;
        let mut left = self.unary()?;
        while let Some((op, precedence)) = self.binary() {
            if precedence < min {
                break;
            }
            self.pos += 1;
            let right = self.expr(precedence + 1)?;
            if matches!(op, BinOp::And | BinOp::Or) && (never_bool(&left) || never_bool(&right)) {
                return None;
            }
            let span = left.span().to(right.span());
            left = Node::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
                span,
            };
        }
        self.depth -= 1;
        Some(left)
    }

    fn binary(&self) -> Option<(BinOp, u8)> {
        match self.peek()? {
            Tok::Sym(s) => BinOp::from_symbol(s),
            _ => None,
        }
    }

    fn unary(&mut self) -> Option<Node> {
        let op = match self.peek()? {
            Tok::Sym("!") => UnOp::Not,
            Tok::Sym("-") => UnOp::Neg,
            _ => return self.primary(),
        };
        let start = self.tokens[self.pos].span;
        self.pos += 1;
        self.nest()?;
        let operand = self.unary()?;
        self.depth -= 1;
        Some(Node::Unary {
            op,
            span: start.to(operand.span()),
            operand: Box::new(operand),
        })
    }

    fn primary(&mut self) -> Option<Node> {
        let token = *self.tokens.get(self.pos)?;
        self.pos += 1;
        let span = token.span;
        let lit = |value| Some(Node::Lit { value, span });
        match token.tok {
            Tok::Int(i) => lit(Lit::Int(i)),
            Tok::Float(f) => lit(Lit::Float(f)),
            Tok::Str {
                quote: b'"',
                plain: true,
                ..
            } => lit(Lit::Str(string_content(self.text, &token).to_string())),
            Tok::Sym("(") => {
                let inner = self.expr(0)?;
                self.eat(Tok::Sym(")"))?;
                Some(inner)
            }
            Tok::Ident => match span.text(self.text) {
                "true" => lit(Lit::Bool(true)),
                "false" => lit(Lit::Bool(false)),
                word if is_keyword(word) => None,
                word if self.peek() == Some(Tok::Sym("(")) => self.population(word, span),
                word => Some(Node::Name {
                    name: word.to_string(),
                    span,
                }),
            },
            _ => None,
        }
    }

    /// `percentile("metric", share)`, `median("metric")`, `mean(...)`, `total(...)`, with a
    /// literal metric name and a literal, non-negative share.
    fn population(&mut self, name: &str, start: Span) -> Option<Node> {
        let function = PopFn::from_name(name)?;
        self.eat(Tok::Sym("("))?;
        let token = *self.tokens.get(self.pos)?;
        let Tok::Str {
            quote: b'"',
            plain: true,
            ..
        } = token.tok
        else {
            return None;
        };
        self.pos += 1;
        let metric = string_content(self.text, &token).to_string();
        let arg = if function == PopFn::Percentile {
            self.eat(Tok::Sym(","))?;
            let share = match self.peek()? {
                Tok::Int(i) => i as f64,
                Tok::Float(f) => f,
                _ => return None,
            };
            self.pos += 1;
            Some(share)
        } else {
            None
        };
        let end = self.eat(Tok::Sym(")"))?;
        Some(Node::Population {
            function,
            metric,
            arg,
            span: start.to(end),
        })
    }
}
