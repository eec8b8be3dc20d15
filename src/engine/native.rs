//! A fast path for the simple expressions most policies are made of: comparisons and arithmetic
//! over numeric metrics, params, literals and population figures, joined with `&&`, `||` and `!`
//! (`revenue >= percentile("revenue", 0.95)`, `orders >= 5 || revenue_12m > first_class_min`).
//!
//! Such an expression is compiled here once more, into a small tree evaluated natively per
//! customer, with Rhai's semantics: integers stay integers, integers mixed with floats become
//! floats, comparisons across the two compare numbers. Whenever a customer's evaluation meets
//! anything Rhai might treat differently (an empty value, an integer overflow, a division by zero,
//! a non-boolean operand of `&&`), the fast path gives up for that customer and Rhai evaluates it,
//! so results and error messages are Rhai's. Expressions outside the subset never use it.

use crate::metrics::{population, Column, NamedColumn, EMPTY_INT};
use crate::workspace::ParamValue;

use super::sandbox::{Populations, POPULATION_FUNCTIONS};

/// A value during native evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// A Rhai integer.
    Int(i64),
    /// A Rhai float.
    Float(f64),
    /// A Rhai bool.
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone)]
enum Node {
    Const(Val),
    Column(usize),
    Not(Box<Node>),
    Neg(Box<Node>),
    Binary(Op, Box<Node>, Box<Node>),
}

/// A natively evaluable expression.
#[derive(Debug, Clone)]
pub struct Native {
    root: Node,
}

/// What the parser may look names up in.
pub struct Names<'a> {
    /// The columns an expression may read (by name).
    pub columns: &'a [NamedColumn],
    /// The policy's params.
    pub params: &'a [(String, ParamValue)],
    /// The sorted values population functions read: the same the Rhai functions use, so both
    /// paths give the same figure.
    pub populations: &'a Populations,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(Val),
    Ident(String),
    Str(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

fn tokens(text: &str) -> Option<Vec<Tok>> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
                i += 1;
            }
            let mut is_float = false;
            if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                is_float = true;
                i += 1;
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
                    i += 1;
                }
            }
            if i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'.') {
                return None; // exponents, suffixes, method calls: leave to Rhai
            }
            let lit: String = text[start..i].chars().filter(|&c| c != '_').collect();
            out.push(Tok::Num(if is_float {
                Val::Float(lit.parse().ok()?)
            } else {
                Val::Int(lit.parse().ok()?)
            }));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Ident(text[start..i].to_string()));
        } else if c == b'"' {
            let start = i + 1;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    return None;
                }
                i += 1;
            }
            if i >= b.len() {
                return None;
            }
            out.push(Tok::Str(text[start..i].to_string()));
            i += 1;
        } else {
            let two = text.get(i..i + 2).unwrap_or("");
            let op = match two {
                "||" => Some("||"),
                "&&" => Some("&&"),
                "==" => Some("=="),
                "!=" => Some("!="),
                "<=" => Some("<="),
                ">=" => Some(">="),
                "**" | "<<" | ">>" | "+=" | "-=" | "*=" | "/=" | "::" | "?." | "??" => return None,
                _ => None,
            };
            if let Some(op) = op {
                out.push(Tok::Op(op));
                i += 2;
                continue;
            }
            out.push(match c {
                b'<' => Tok::Op("<"),
                b'>' => Tok::Op(">"),
                b'+' => Tok::Op("+"),
                b'-' => Tok::Op("-"),
                b'*' => Tok::Op("*"),
                b'/' if b.get(i + 1) != Some(&b'/') && b.get(i + 1) != Some(&b'*') => Tok::Op("/"),
                b'%' => Tok::Op("%"),
                b'!' => Tok::Op("!"),
                b'(' => Tok::LParen,
                b')' => Tok::RParen,
                b',' => Tok::Comma,
                _ => return None,
            });
            i += 1;
        }
    }
    Some(out)
}

struct Parser<'a, 'n> {
    toks: Vec<Tok>,
    pos: usize,
    names: &'a Names<'n>,
}

fn binary(tok: &Tok) -> Option<(Op, u8)> {
    let Tok::Op(s) = tok else { return None };
    // Rhai's precedence, loosest first.
    Some(match *s {
        "||" => (Op::Or, 1),
        "&&" => (Op::And, 2),
        "==" => (Op::Eq, 3),
        "!=" => (Op::Ne, 3),
        "<" => (Op::Lt, 4),
        "<=" => (Op::Le, 4),
        ">" => (Op::Gt, 4),
        ">=" => (Op::Ge, 4),
        "+" => (Op::Add, 5),
        "-" => (Op::Sub, 5),
        "*" => (Op::Mul, 6),
        "/" => (Op::Div, 6),
        "%" => (Op::Rem, 6),
        _ => return None,
    })
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expr(&mut self, min: u8) -> Option<Node> {
        let mut left = self.unary()?;
        while let Some((op, prec)) = self.peek().and_then(binary) {
            if prec < min {
                break;
            }
            self.pos += 1;
            // Comparisons do not chain in Rhai; all operators here are left-associative.
            let right = self.expr(prec + 1)?;
            left = Node::Binary(op, Box::new(left), Box::new(right));
        }
        Some(left)
    }

    fn unary(&mut self) -> Option<Node> {
        match self.peek()? {
            Tok::Op("!") => {
                self.pos += 1;
                Some(Node::Not(Box::new(self.unary()?)))
            }
            Tok::Op("-") => {
                self.pos += 1;
                Some(Node::Neg(Box::new(self.unary()?)))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Option<Node> {
        match self.next()? {
            Tok::Num(v) => Some(Node::Const(v)),
            Tok::LParen => {
                let e = self.expr(0)?;
                (self.next()? == Tok::RParen).then_some(e)
            }
            Tok::Ident(name) if name == "true" => Some(Node::Const(Val::Bool(true))),
            Tok::Ident(name) if name == "false" => Some(Node::Const(Val::Bool(false))),
            Tok::Ident(name) if self.peek() == Some(&Tok::LParen) => self.population(&name),
            Tok::Ident(name) => self.variable(&name),
            _ => None,
        }
    }

    /// A population function with a literal metric name and share, folded to a constant.
    fn population(&mut self, function: &str) -> Option<Node> {
        if !POPULATION_FUNCTIONS.contains(&function) {
            return None;
        }
        self.pos += 1; // (
        let Tok::Str(metric) = self.next()? else {
            return None;
        };
        let share = if function == "percentile" {
            if self.next()? != Tok::Comma {
                return None;
            }
            let negative = self.peek() == Some(&Tok::Op("-"));
            if negative {
                return None;
            }
            match self.next()? {
                Tok::Num(Val::Int(i)) => Some(i as f64),
                Tok::Num(Val::Float(f)) => Some(f),
                _ => return None,
            }
        } else {
            None
        };
        if self.next()? != Tok::RParen {
            return None;
        }
        let sorted = self.names.populations.sorted(&metric)?;
        let value = match function {
            "percentile" => population::percentile(&sorted, share?)?,
            "median" => population::percentile(&sorted, 0.5)?,
            "total" => sorted.iter().sum(),
            "mean" if !sorted.is_empty() => sorted.iter().sum::<f64>() / sorted.len() as f64,
            _ => return None,
        };
        Some(Node::Const(Val::Float(value)))
    }

    fn variable(&mut self, name: &str) -> Option<Node> {
        if let Some(i) = self.names.columns.iter().position(|c| c.name == name) {
            return match self.names.columns[i].column {
                Column::Int(_) | Column::Money(_) | Column::Float(_) | Column::Bool(_) => {
                    Some(Node::Column(i))
                }
                Column::Date(_) | Column::Text(_) => None,
            };
        }
        let (_, value) = self.names.params.iter().find(|(p, _)| p == name)?;
        match value {
            ParamValue::Int(i) => Some(Node::Const(Val::Int(*i))),
            ParamValue::Float(f) => Some(Node::Const(Val::Float(*f))),
            ParamValue::Bool(b) => Some(Node::Const(Val::Bool(*b))),
            ParamValue::Text(_) => None,
        }
    }
}

impl Native {
    /// Compiles `text` if it is in the subset, with every name resolved against `names`.
    pub fn compile(text: &str, names: &Names<'_>) -> Option<Native> {
        let toks = tokens(text)?;
        let mut p = Parser {
            toks,
            pos: 0,
            names,
        };
        let root = p.expr(0)?;
        (p.pos == p.toks.len()).then_some(Native { root })
    }

    /// The value for customer `row`, or `None` when Rhai must decide.
    pub fn eval(&self, columns: &[NamedColumn], row: usize) -> Option<Val> {
        eval(&self.root, columns, row)
    }
}

fn eval(node: &Node, columns: &[NamedColumn], row: usize) -> Option<Val> {
    Some(match node {
        Node::Const(v) => *v,
        Node::Column(i) => match &columns[*i].column {
            Column::Int(v) if v[row] != EMPTY_INT => Val::Int(v[row]),
            Column::Money(v) => Val::Float(v[row] as f64 / 100.0),
            Column::Float(v) if !v[row].is_nan() => Val::Float(v[row]),
            Column::Bool(v) if v[row] < 2 => Val::Bool(v[row] == 1),
            _ => return None,
        },
        Node::Not(e) => match eval(e, columns, row)? {
            Val::Bool(b) => Val::Bool(!b),
            _ => return None,
        },
        Node::Neg(e) => match eval(e, columns, row)? {
            Val::Int(i) => Val::Int(i.checked_neg()?),
            Val::Float(f) => Val::Float(-f),
            Val::Bool(_) => return None,
        },
        Node::Binary(Op::And, l, r) => match eval(l, columns, row)? {
            Val::Bool(false) => Val::Bool(false),
            Val::Bool(true) => match eval(r, columns, row)? {
                Val::Bool(b) => Val::Bool(b),
                _ => return None,
            },
            _ => return None,
        },
        Node::Binary(Op::Or, l, r) => match eval(l, columns, row)? {
            Val::Bool(true) => Val::Bool(true),
            Val::Bool(false) => match eval(r, columns, row)? {
                Val::Bool(b) => Val::Bool(b),
                _ => return None,
            },
            _ => return None,
        },
        Node::Binary(op, l, r) => apply(*op, eval(l, columns, row)?, eval(r, columns, row)?)?,
    })
}

fn apply(op: Op, l: Val, r: Val) -> Option<Val> {
    use Val::*;
    Some(match (l, r) {
        (Int(a), Int(b)) => match op {
            Op::Add => Int(a.checked_add(b)?),
            Op::Sub => Int(a.checked_sub(b)?),
            Op::Mul => Int(a.checked_mul(b)?),
            Op::Div => Int(a.checked_div(b)?),
            Op::Rem => Int(a.checked_rem(b)?),
            _ => Bool(compare(op, a.cmp(&b))),
        },
        (Int(_) | Float(_), Int(_) | Float(_)) => {
            let (a, b) = (as_float(l), as_float(r));
            match op {
                Op::Add => Float(a + b),
                Op::Sub => Float(a - b),
                Op::Mul => Float(a * b),
                Op::Div if b != 0.0 => Float(a / b),
                Op::Rem if b != 0.0 => Float(a % b),
                Op::Div | Op::Rem => return None,
                _ => Bool(compare(op, a.partial_cmp(&b)?)),
            }
        }
        (Bool(a), Bool(b)) => match op {
            Op::Eq => Bool(a == b),
            Op::Ne => Bool(a != b),
            _ => return None,
        },
        _ => return None,
    })
}

fn as_float(v: Val) -> f64 {
    match v {
        Val::Int(i) => i as f64,
        Val::Float(f) => f,
        Val::Bool(_) => f64::NAN,
    }
}

fn compare(op: Op, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => ord == Equal,
        Op::Ne => ord != Equal,
        Op::Lt => ord == Less,
        Op::Le => ord != Greater,
        Op::Gt => ord == Greater,
        Op::Ge => ord != Less,
        _ => unreachable!("only comparisons compare"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Day;
    use crate::metrics::{CustomerTable, Origin};
    use rhai::{Dynamic, Engine, Scope};

    fn populations(t: &CustomerTable) -> Populations {
        let p = Populations::default();
        p.insert(
            "revenue",
            population::sorted_numbers(t.column("revenue").unwrap()),
        );
        p
    }

    fn table() -> CustomerTable {
        let mut t = CustomerTable {
            as_of: Day(0),
            ids: (0..6).map(|i| format!("c{i}")).collect(),
            columns: Vec::new(),
        };
        t.push(
            "orders",
            Origin::Builtin,
            Column::Int(vec![1, 5, 7, EMPTY_INT, i64::MAX, 0]),
        );
        t.push(
            "revenue",
            Origin::Builtin,
            Column::Money(vec![100, 50_000, 123_456, 0, -700, 9_999_999]),
        );
        t.push(
            "ratio",
            Origin::Builtin,
            Column::Float(vec![0.5, f64::NAN, 1.25, 0.0, -2.0, 3.0]),
        );
        t.push(
            "flag",
            Origin::Derived,
            Column::Bool(vec![1, 0, 2, 1, 0, 1]),
        );
        t
    }

    /// Rhai's answer for one customer, as a native value (None for an error or another type).
    fn rhai(
        text: &str,
        t: &CustomerTable,
        params: &[(String, ParamValue)],
        row: usize,
    ) -> Option<Val> {
        let engine = Engine::new();
        let mut scope = Scope::new();
        for c in &t.columns {
            scope.push_dynamic(
                c.name.as_str(),
                super::super::convert::dynamic(c.column.get(row)),
            );
        }
        for (n, v) in params {
            scope.push_dynamic(n.as_str(), super::super::convert::param(v));
        }
        let text = text.replace(
            "percentile(\"revenue\", 0.5)",
            &format!("{:?}", {
                let s = population::sorted_numbers(t.column("revenue").unwrap());
                population::percentile(&s, 0.5).unwrap()
            }),
        );
        let v: Dynamic = engine.eval_with_scope(&mut scope, &text).ok()?;
        if let Ok(i) = v.as_int() {
            Some(Val::Int(i))
        } else if let Ok(f) = v.as_float() {
            Some(Val::Float(f))
        } else {
            v.as_bool().ok().map(Val::Bool)
        }
    }

    #[test]
    fn agrees_with_rhai_wherever_it_answers() {
        let t = table();
        let params = vec![
            ("min".to_string(), ParamValue::Int(5)),
            ("cut".to_string(), ParamValue::Float(500.5)),
        ];
        let pops = populations(&t);
        let names = Names {
            columns: &t.columns,
            params: &params,
            populations: &pops,
        };
        let exprs = [
            "revenue >= 500",
            "orders >= 5.0",
            "orders >= min || revenue > cut",
            "!(orders > 3) && ratio < 1",
            "orders * 2 + 1",
            "orders / 2",
            "orders % 4",
            "revenue / orders",
            "-orders + 3",
            "orders + 1",
            "ratio == 0.5",
            "ratio != 0.5",
            "flag",
            "flag == true",
            "revenue >= percentile(\"revenue\", 0.5)",
            "1_000 < revenue * 10",
            "orders > 1 > 0",
        ];
        for text in exprs {
            let Some(native) = Native::compile(text, &names) else {
                assert_eq!(text, "orders > 1 > 0", "{text} should compile natively");
                continue;
            };
            for row in 0..t.len() {
                if let Some(v) = native.eval(&t.columns, row) {
                    assert_eq!(
                        Some(v),
                        rhai(text, &t, &params, row),
                        "{text} for row {row}"
                    );
                }
            }
        }
    }

    #[test]
    fn gives_up_where_rhai_must_decide() {
        let t = table();
        let pops = populations(&t);
        let names = Names {
            columns: &t.columns,
            params: &[],
            populations: &pops,
        };
        let n = Native::compile("orders + 1", &names).unwrap();
        assert_eq!(n.eval(&t.columns, 3), None, "empty value");
        assert_eq!(n.eval(&t.columns, 4), None, "overflow");
        let n = Native::compile("revenue / orders", &names).unwrap();
        assert_eq!(n.eval(&t.columns, 5), None, "division by zero");
        let n = Native::compile("ratio > 0", &names).unwrap();
        assert_eq!(n.eval(&t.columns, 1), None, "NaN is empty");
        // A text param is never native; a flag compared with a number is left to Rhai, which
        // reports the mismatch.
        let params = vec![
            ("lapse".to_string(), ParamValue::Text("180".into())),
            ("vip".to_string(), ParamValue::Bool(true)),
        ];
        let typed = Names {
            columns: &t.columns,
            params: &params,
            populations: &pops,
        };
        assert!(Native::compile("orders > lapse", &typed).is_none());
        let n = Native::compile("orders > vip || flag < 1", &typed).unwrap();
        assert!((0..t.len()).all(|row| n.eval(&t.columns, row).is_none()));
        for text in [
            "revenue >= 1e3",
            "foo(revenue)",
            "if revenue > 1 { true } else { false }",
            "x.y",
            "\"a\" == \"a\"",
            "revenue > unknown",
        ] {
            assert!(Native::compile(text, &names).is_none(), "{text}");
        }
    }
}
