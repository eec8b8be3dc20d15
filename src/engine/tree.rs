//! One expression tree for the part of Rhai powerbase understands natively: literals, metric and
//! param names, population calls (`percentile("revenue", 0.95)`, `median/mean/total("x")`),
//! `! - + * / % == != < <= > >= && ||` with Rhai's precedence, and `if / else if / else` chains
//! whose branches are such expressions. Anything else makes the whole expression opaque: Rhai alone
//! evaluates it.
//!
//! Three steps, each usable on its own:
//!
//! - [`parse()`] reads the text once into a [`Parsed`]: the [`Node`] tree (or `None` when opaque)
//!   and, for every expression, opaque or not, the names it reads and the metrics it asks
//!   population figures of, each with its [`Span`] (byte offsets into the text). The tree knows
//!   nothing of any table: a name is just a name.
//! - [`bind()`] resolves a tree against one customer table, the params and the population figures
//!   ([`NameTable`]) into a [`Bound`] program: names become column indexes or constants,
//!   population calls become figures. Its evaluator has Rhai's semantics (integers stay integers,
//!   integers mixed with floats become floats, floats compare with Rhai's relative tolerance) and
//!   gives up (`None`) wherever Rhai might differ or fail: an empty value, an integer overflow, a
//!   division by zero, a non-boolean operand of `!`, `&&`, `||` or `if`, a string concatenation.
//!   It allocates nothing per evaluation.
//! - [`comparisons`] sees whether a condition is made of comparisons of a metric with a constant,
//!   a param, a population figure or arithmetic over those (`first_class_min / 2`), joined by
//!   `&&` and `||`; bound, such a [`Condition`] tells how far a customer is from meeting it
//!   ([`Bound::distance`]) and who sits near a threshold ([`Test::near`]). [`threshold_tests`]
//!   finds such comparisons anywhere in a tree.
//! - [`population_calls`] lists the population figures any expression asks for, opaque or not,
//!   and [`TableFigures`] computes them from an evaluated customer table.

mod bind;
mod condition;
mod lex;
mod parse;
#[cfg(test)]
mod tests;

use crate::error::Origin;

pub(crate) use lex::{lex as tokens, Tok};

pub use bind::{bind, figure, Bound, Figures, NameTable, TableFigures, Val};
pub use condition::{
    comparisons, threshold_tests, Change, Comparison, Condition, Distance, Operand, Source, Test,
    Threshold,
};

/// A range of the expression text, in byte offsets (`start..end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The span from the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start, other.end)
    }

    /// The text it covers.
    pub fn text(self, text: &str) -> &str {
        &text[self.start..self.end]
    }

    /// The 1-based line and column (in characters) of its start, relative to the start of the
    /// expression text: the convention of Rhai's positions.
    pub fn line_col(self, text: &str) -> (u32, u32) {
        let before = &text[..self.start.min(text.len())];
        let line = before.matches('\n').count() as u32 + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() as u32 + 1;
        (line, column)
    }

    /// Where its start is in the policy file, given where the expression text starts (`start`,
    /// from the workspace): on the first line columns count from the expression's column, on
    /// later lines from the start of the line. Without a known line, `start` itself.
    pub fn origin(self, text: &str, start: &Origin) -> Origin {
        if start.line == 0 {
            return start.clone();
        }
        match self.line_col(text) {
            (1, column) => Origin::new(&start.file, start.line, start.column.max(1) + column - 1),
            (line, column) => Origin::new(&start.file, start.line + line - 1, column),
        }
    }
}

/// A number as Rhai has it: an integer or a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A Rhai integer.
    Int(i64),
    /// A Rhai float.
    Float(f64),
}

impl Number {
    /// As a float.
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    /// `42`, `1_000`.
    Int(i64),
    /// `0.95`.
    Float(f64),
    /// `true`, `false`.
    Bool(bool),
    /// `"Gold"` (double quotes, no escapes).
    Str(String),
}

/// A population function: a figure over all customers of one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PopFn {
    /// `percentile("x", q)`: linear interpolation, "type 7".
    Percentile,
    /// `median("x")`.
    Median,
    /// `mean("x")`.
    Mean,
    /// `total("x")`.
    Total,
}

impl PopFn {
    /// The function of that name.
    pub fn from_name(name: &str) -> Option<PopFn> {
        Some(match name {
            "percentile" => PopFn::Percentile,
            "median" => PopFn::Median,
            "mean" => PopFn::Mean,
            "total" => PopFn::Total,
            _ => return None,
        })
    }

    /// Its name in expressions.
    pub fn name(self) -> &'static str {
        match self {
            PopFn::Percentile => "percentile",
            PopFn::Median => "median",
            PopFn::Mean => "mean",
            PopFn::Total => "total",
        }
    }
}

/// A prefix operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `!`
    Not,
    /// `-`
    Neg,
}

/// An infix operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

impl BinOp {
    /// The operator of that symbol, with Rhai's precedence (higher binds tighter).
    pub fn from_symbol(symbol: &str) -> Option<(BinOp, u8)> {
        Some(match symbol {
            "||" => (BinOp::Or, 30),
            "&&" => (BinOp::And, 60),
            "==" => (BinOp::Eq, 90),
            "!=" => (BinOp::Ne, 90),
            "<" => (BinOp::Lt, 130),
            "<=" => (BinOp::Le, 130),
            ">" => (BinOp::Gt, 130),
            ">=" => (BinOp::Ge, 130),
            "+" => (BinOp::Add, 150),
            "-" => (BinOp::Sub, 150),
            "*" => (BinOp::Mul, 180),
            "/" => (BinOp::Div, 180),
            "%" => (BinOp::Rem, 180),
            _ => return None,
        })
    }

    /// Its symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }

    /// The comparison it is, if it is one.
    pub fn comparison(self) -> Option<CmpOp> {
        Some(match self {
            BinOp::Eq => CmpOp::Eq,
            BinOp::Ne => CmpOp::Ne,
            BinOp::Lt => CmpOp::Lt,
            BinOp::Le => CmpOp::Le,
            BinOp::Gt => CmpOp::Gt,
            BinOp::Ge => CmpOp::Ge,
            _ => return None,
        })
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The same comparison with its sides swapped (`a < b` is `b > a`).
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            same => same,
        }
    }

    /// Its symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// An expression of the native subset. Table-independent: a [`Node::Name`] may turn out to be a
/// metric, an attribute or a param only when [`bind()`] looks it up.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A literal.
    Lit {
        /// Its value.
        value: Lit,
        /// Where it is written.
        span: Span,
    },
    /// A name: a metric, an attribute column or a param.
    Name {
        /// The identifier.
        name: String,
        /// Where it is written.
        span: Span,
    },
    /// A population figure, e.g. `percentile("revenue", 0.95)`.
    Population {
        /// Which figure.
        function: PopFn,
        /// The metric it is taken over.
        metric: String,
        /// The share of `percentile`; `None` for the others.
        arg: Option<f64>,
        /// The whole call.
        span: Span,
    },
    /// A prefix operation.
    Unary {
        /// The operator.
        op: UnOp,
        /// What it applies to.
        operand: Box<Node>,
        /// From the operator to the end of the operand.
        span: Span,
    },
    /// An infix operation.
    Binary {
        /// The operator.
        op: BinOp,
        /// The left operand.
        left: Box<Node>,
        /// The right operand.
        right: Box<Node>,
        /// From the start of the left operand to the end of the right one.
        span: Span,
    },
    /// `if c1 { r1 } else if c2 { r2 } else { r3 }`, only as a whole expression or as a branch.
    If {
        /// Conditions and their results, in order.
        branches: Vec<(Node, Node)>,
        /// The final `else`, if any (without one, no branch taken gives Rhai's `()`).
        otherwise: Option<Box<Node>>,
        /// From `if` to the last `}`.
        span: Span,
    },
}

impl Node {
    /// Where it is written.
    pub fn span(&self) -> Span {
        match self {
            Node::Lit { span, .. }
            | Node::Name { span, .. }
            | Node::Population { span, .. }
            | Node::Unary { span, .. }
            | Node::Binary { span, .. }
            | Node::If { span, .. } => *span,
        }
    }
}

/// A name an expression reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRef {
    /// The identifier.
    pub name: String,
    /// Its first occurrence.
    pub span: Span,
}

/// A metric an expression asks a population figure of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopulationRef {
    /// The function.
    pub function: PopFn,
    /// The metric name as written between the quotes (escapes kept verbatim).
    pub metric: String,
    /// The first occurrence of the quoted name, quotes included.
    pub span: Span,
}

/// A population call as written, e.g. `percentile("revenue", 0.95)`.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationCall {
    /// The function.
    pub function: PopFn,
    /// The metric name as written between the quotes.
    pub metric: String,
    /// The share of `percentile` when it is written as a number; `None` for the other functions
    /// and for a share computed by the expression.
    pub arg: Option<f64>,
    /// Whether the arguments are exactly a plain quoted metric name and, for `percentile`, a
    /// number: then the figure does not depend on the customer.
    pub fixed: bool,
    /// From the function's name to its closing parenthesis (to the end of the text if unclosed).
    pub span: Span,
}

/// Every population call with a quoted metric name in `text`, opaque or not, in order of
/// appearance, without duplicates (by function, metric and share; calls whose arguments are
/// not fixed, by text).
pub fn population_calls(text: &str) -> Vec<PopulationCall> {
    let tokens = lex::lex(text);
    let mut out: Vec<PopulationCall> = Vec::new();
    for call in lex::calls(text, &tokens) {
        let same = |c: &PopulationCall| {
            if call.fixed && c.fixed {
                c.function == call.function && c.metric == call.metric && c.arg == call.arg
            } else {
                c.span.text(text) == call.span.text(text)
            }
        };
        if !out.iter().any(same) {
            out.push(call);
        }
    }
    out
}

/// An expression read once.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The tree, or `None` when the expression is outside the native subset (opaque: Rhai only).
    pub tree: Option<Node>,
    /// The identifiers it reads, in order of first appearance, without duplicates. Opaque code
    /// is scanned as Rhai source: strings, comments, keywords, function and method names and
    /// properties after `.` are skipped; names inside `${...}` of backtick strings are kept.
    pub names: Vec<NameRef>,
    /// Population calls with a quoted metric name, in order of first appearance, without
    /// duplicates (by function and metric).
    pub populations: Vec<PopulationRef>,
}

impl Parsed {
    /// Whether only Rhai can evaluate it.
    pub fn is_opaque(&self) -> bool {
        self.tree.is_none()
    }
}

/// Reads an expression: its tree when it is in the native subset, and always the names and
/// population metrics it refers to.
pub fn parse(text: &str) -> Parsed {
    let tokens = lex::lex(text);
    let (names, populations) = lex::references(text, &tokens);
    Parsed {
        tree: parse::tree(text, &tokens),
        names,
        populations,
    }
}
