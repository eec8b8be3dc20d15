//! Computed columns: `columns: { amount: "=Menge * Einzelpreis" }`, a small expression over the
//! row's own cells, evaluated exactly.
//!
//! Grammar: `+ - * /`, parentheses, unary minus, numeric literals written plainly (`1.19`,
//! whatever the file's `number_format`), and column references by header: a bare word of
//! letters, digits and `_` (`Menge`, `Einzelpreis`), or any header in square brackets
//! (`[Unit price]`, `[Preis (netto)]`). Operands are read with the source's `number_format`.
//! Arithmetic is exact decimal (an `i128` mantissa with a scale): `+ - *` exactly, `/` carried
//! to 12 decimals; the result is rounded half-even to the cent once, at the end. A division by
//! zero or a result beyond the range is an error naming the row and cell.

use std::path::Path;

use super::error::DataError;
use super::headers::find_column;
use super::number::{pow10, Dec, Numbers};
use super::{CellProblem, Expected};

/// Decimals a division is carried to before the final rounding.
const DIV_SCALE: u32 = 12;
/// The largest scale kept after a multiplication (more decimals are cut, noted as inexact).
const MAX_SCALE: u32 = 18;

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// An expression over columns named `C` (header text while parsing, field index once resolved).
#[derive(Debug, Clone, PartialEq)]
enum Node<C> {
    Num(Dec),
    Col(C),
    Neg(Box<Node<C>>),
    Bin(Op, Box<Node<C>>, Box<Node<C>>),
}

/// A computed column, its references resolved to fields of one file.
#[derive(Debug, Clone)]
pub(crate) struct Computed {
    node: Node<usize>,
    /// The first field the expression reads: where a problem of the result is reported.
    pub first_field: usize,
}

/// A value during evaluation: exact unless `inexact` (a division or product was cut; the true
/// magnitude is then a little larger than `m`).
#[derive(Debug, Clone, Copy)]
struct Val {
    d: Dec,
    inexact: bool,
}

const OVERFLOW: &str = "the computed value is out of range";
const DIV_ZERO: &str = "division by zero";

/// Whether a `columns:` value is an expression.
pub(crate) fn is_expression(mapped: &str) -> bool {
    mapped.trim_start().starts_with('=')
}

impl Computed {
    /// Parses `=expr` (the mapping of `role`) and resolves its headers in `headers`. A syntax
    /// error is a configuration error; an unknown header is a missing column (with a
    /// did-you-mean suggestion).
    pub(crate) fn new(
        path: &Path,
        headers: &[String],
        role: &str,
        mapped: &str,
    ) -> Result<Computed, DataError> {
        let text = mapped
            .trim_start()
            .trim_start_matches('=')
            .trim()
            .to_string();
        let node = Parser::new(&text)
            .whole()
            .map_err(|why| DataError::Config {
                path: path.to_path_buf(),
                message: format!(
                    "`columns.{role}: \"={text}\"` is not a valid expression: {why}; write it \
                     like \"=Menge * Einzelpreis\", with [brackets] around a header that has \
                     spaces or symbols"
                ),
            })?;
        let node = resolve(node, &mut |h| find_column(path, headers, role, h))?;
        let first_field = first(&node).ok_or_else(|| DataError::Config {
            path: path.to_path_buf(),
            message: format!(
                "`columns.{role}: \"={text}\"` reads no column; map a column or write an expression over the row's columns"
            ),
        })?;
        Ok(Computed { node, first_field })
    }

    /// The result in cents, rounded half-even; `cell(i)` gives field `i`'s text. A bad operand
    /// is reported at its own cell, an arithmetic problem at the expression's first column.
    pub(crate) fn cents<'c, N: Numbers>(
        &self,
        numbers: &N,
        cell: &dyn Fn(usize) -> Operand<'c>,
    ) -> Result<i64, CellProblem> {
        let v = eval(&self.node, numbers, cell)?;
        round_cents(v).ok_or_else(|| self.problem(OVERFLOW))
    }

    #[cold]
    fn problem(&self, why: &'static str) -> CellProblem {
        CellProblem {
            field: self.first_field,
            expected: Expected::Computed,
            note: Some(why),
        }
    }
}

/// A cell read by an expression: text (CSV, text cells) or a spreadsheet number.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Operand<'c> {
    /// Text, read with the source's `number_format`.
    Text(&'c [u8]),
    /// A number already (a spreadsheet's numeric cell), as its shortest decimal.
    Number(f64),
    /// A whole number cell.
    Whole(i64),
    /// A cell that is neither (an error cell, a date).
    Other,
}

fn operand<N: Numbers>(numbers: &N, field: usize, o: Operand<'_>) -> Result<Dec, CellProblem> {
    let bad = |why: &'static str| CellProblem {
        field,
        expected: Expected::Number,
        note: Some(why),
    };
    match o {
        Operand::Text(b) => numbers.decimal(b).map_err(|why| match why {
            "empty" => bad("the cell is empty"),
            other => bad(other),
        }),
        Operand::Number(x) if x.is_finite() => super::number::NumberParser::plain()
            .decimal(format!("{x}").as_bytes())
            .map_err(bad),
        Operand::Whole(i) => Ok(Dec {
            m: i128::from(i),
            scale: 0,
        }),
        Operand::Number(_) | Operand::Other => Err(bad("not a number")),
    }
}

fn eval<'c, N: Numbers>(
    node: &Node<usize>,
    numbers: &N,
    cell: &dyn Fn(usize) -> Operand<'c>,
) -> Result<Val, CellProblem> {
    let exact = |d| Val { d, inexact: false };
    match node {
        Node::Num(d) => Ok(exact(*d)),
        Node::Col(i) => operand(numbers, *i, cell(*i)).map(exact),
        Node::Neg(a) => {
            let v = eval(a, numbers, cell)?;
            Ok(Val {
                d: Dec { m: -v.d.m, ..v.d },
                ..v
            })
        }
        Node::Bin(op, a, b) => {
            let (x, y) = (eval(a, numbers, cell)?, eval(b, numbers, cell)?);
            let at = first(node).unwrap_or(0);
            let problem = |why| CellProblem {
                field: if why == DIV_ZERO {
                    first(b).unwrap_or(at)
                } else {
                    at
                },
                expected: Expected::Computed,
                note: Some(why),
            };
            apply(*op, x, y).map_err(problem)
        }
    }
}

/// `x op y`, exactly where possible.
fn apply(op: Op, x: Val, y: Val) -> Result<Val, &'static str> {
    let inexact = x.inexact || y.inexact;
    let (a, b) = (x.d, y.d);
    let d = match op {
        Op::Add | Op::Sub => {
            let scale = a.scale.max(b.scale);
            let am = a.m.checked_mul(pow10(scale - a.scale)).ok_or(OVERFLOW)?;
            let bm = b.m.checked_mul(pow10(scale - b.scale)).ok_or(OVERFLOW)?;
            let m = if op == Op::Add {
                am.checked_add(bm)
            } else {
                am.checked_sub(bm)
            };
            Dec {
                m: m.ok_or(OVERFLOW)?,
                scale,
            }
        }
        Op::Mul => {
            let m = a.m.checked_mul(b.m).ok_or(OVERFLOW)?;
            return Ok(cut(
                Dec {
                    m,
                    scale: a.scale + b.scale,
                },
                MAX_SCALE,
                inexact,
            ));
        }
        Op::Div => {
            if b.m == 0 {
                return Err(DIV_ZERO);
            }
            // a/b = a.m·10^b.scale / (b.m·10^a.scale); carried to DIV_SCALE decimals.
            let up = b.scale + DIV_SCALE;
            let (num, den) = if up >= a.scale {
                (a.m.checked_mul(pow10(up - a.scale)), Some(b.m))
            } else {
                (Some(a.m), b.m.checked_mul(pow10(a.scale - up)))
            };
            let (num, den) = (num.ok_or(OVERFLOW)?, den.ok_or(OVERFLOW)?);
            return Ok(Val {
                d: Dec {
                    m: num / den,
                    scale: DIV_SCALE,
                },
                inexact: inexact || num % den != 0,
            });
        }
    };
    Ok(Val { d, inexact })
}

/// `d` with at most `max` decimals (cut toward zero; cut digits make it inexact).
fn cut(d: Dec, max: u32, inexact: bool) -> Val {
    if d.scale <= max {
        return Val { d, inexact };
    }
    let div = pow10(d.scale - max);
    Val {
        d: Dec {
            m: d.m / div,
            scale: max,
        },
        inexact: inexact || d.m % div != 0,
    }
}

/// Rounds half-even to the cent; an inexact value exactly on a half is past it. `None` when
/// the cents do not fit an `i64`.
fn round_cents(v: Val) -> Option<i64> {
    let Val { d, inexact } = v;
    let cents = if d.scale <= 2 {
        d.m.checked_mul(pow10(2 - d.scale))?
    } else {
        let div = pow10(d.scale - 2);
        let (q, r) = (d.m / div, (d.m % div).abs());
        let half = div / 2;
        let away = r > half || (r == half && (inexact || q % 2 != 0));
        if away {
            q + d.m.signum()
        } else {
            q
        }
    };
    i64::try_from(cents).ok()
}

/// The first column an expression reads.
fn first(node: &Node<usize>) -> Option<usize> {
    match node {
        Node::Num(_) => None,
        Node::Col(i) => Some(*i),
        Node::Neg(a) => first(a),
        Node::Bin(_, a, b) => first(a).or_else(|| first(b)),
    }
}

fn resolve<E>(
    node: Node<String>,
    find: &mut dyn FnMut(&str) -> Result<usize, E>,
) -> Result<Node<usize>, E> {
    Ok(match node {
        Node::Num(d) => Node::Num(d),
        Node::Col(h) => Node::Col(find(&h)?),
        Node::Neg(a) => Node::Neg(Box::new(resolve(*a, find)?)),
        Node::Bin(op, a, b) => Node::Bin(
            op,
            Box::new(resolve(*a, find)?),
            Box::new(resolve(*b, find)?),
        ),
    })
}

/// A recursive-descent parser over the expression's characters.
struct Parser<'t> {
    text: &'t str,
    pos: usize,
    depth: usize,
}

impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Self {
        Parser {
            text,
            pos: 0,
            depth: 0,
        }
    }

    fn rest(&self) -> &'t str {
        &self.text[self.pos..]
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.rest().chars().next()
    }

    fn whole(mut self) -> Result<Node<String>, String> {
        if self.peek().is_none() {
            return Err("it is empty".to_string());
        }
        let node = self.sum()?;
        match self.peek() {
            None => Ok(node),
            Some(c) => Err(format!("unexpected {c:?} at character {}", self.pos + 1)),
        }
    }

    fn sum(&mut self) -> Result<Node<String>, String> {
        let mut node = self.product()?;
        while let Some(c @ ('+' | '-')) = self.peek() {
            self.pos += 1;
            let op = if c == '+' { Op::Add } else { Op::Sub };
            node = Node::Bin(op, Box::new(node), Box::new(self.product()?));
        }
        Ok(node)
    }

    fn product(&mut self) -> Result<Node<String>, String> {
        let mut node = self.unary()?;
        while let Some(c @ ('*' | '/')) = self.peek() {
            self.pos += 1;
            let op = if c == '*' { Op::Mul } else { Op::Div };
            node = Node::Bin(op, Box::new(node), Box::new(self.unary()?));
        }
        Ok(node)
    }

    fn unary(&mut self) -> Result<Node<String>, String> {
        self.depth += 1;
        if self.depth > 64 {
            return Err("it is nested too deeply".to_string());
        }
        let node = match self.peek() {
            Some('-') => {
                self.pos += 1;
                Node::Neg(Box::new(self.unary()?))
            }
            Some('+') => {
                self.pos += 1;
                self.unary()?
            }
            _ => self.atom()?,
        };
        self.depth -= 1;
        Ok(node)
    }

    fn atom(&mut self) -> Result<Node<String>, String> {
        let at = self.pos + 1;
        match self.peek() {
            None => Err("it ends where a value was expected".to_string()),
            Some('(') => {
                self.pos += 1;
                let node = self.sum()?;
                match self.peek() {
                    Some(')') => {
                        self.pos += 1;
                        Ok(node)
                    }
                    _ => Err(format!("the parenthesis at character {at} is not closed")),
                }
            }
            Some('[') => {
                let rest = &self.rest()[1..];
                let end = rest
                    .find(']')
                    .ok_or_else(|| format!("the [ at character {at} is not closed"))?;
                let header = rest[..end].trim().to_string();
                if header.is_empty() {
                    return Err(format!("empty [] at character {at}"));
                }
                self.pos += end + 2;
                Ok(Node::Col(header))
            }
            Some(c) if c.is_ascii_digit() || c == '.' => {
                let len = self
                    .rest()
                    .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .unwrap_or(self.rest().len());
                let lit = &self.rest()[..len];
                self.pos += len;
                super::number::NumberParser::plain()
                    .decimal(lit.as_bytes())
                    .map(Node::Num)
                    .map_err(|_| format!("{lit:?} at character {at} is not a number such as 1.19"))
            }
            Some(c) if c.is_alphanumeric() || c == '_' => {
                let len = self
                    .rest()
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(self.rest().len());
                let word = self.rest()[..len].to_string();
                self.pos += len;
                Ok(Node::Col(word))
            }
            Some(c) => Err(format!("unexpected {c:?} at character {at}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::number::{NumberParser, Plain};

    fn headers() -> Vec<String> {
        ["Menge", "Einzelpreis", "Unit price", "Rabatt"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn computed(expr: &str) -> Result<Computed, DataError> {
        Computed::new(Path::new("t.csv"), &headers(), "amount", expr)
    }

    fn cents_of(expr: &str, cells: [&str; 4]) -> Result<i64, CellProblem> {
        let c = computed(expr).unwrap();
        c.cents(&Plain, &|i| Operand::Text(cells[i].as_bytes()))
    }

    #[test]
    fn products_and_sums_are_exact() {
        assert_eq!(
            cents_of("=Menge * Einzelpreis", ["3", "12.35", "", ""]),
            Ok(3705)
        );
        assert_eq!(
            cents_of("= Menge*[Unit price] - Rabatt", ["2", "", "0.15", "0.05"]),
            Ok(25)
        );
        assert_eq!(cents_of("=(Menge + 1) * 2.5", ["3", "", "", ""]), Ok(1000));
        assert_eq!(cents_of("=-Menge", ["3", "", "", ""]), Ok(-300));
        // 0.1 * 3 is exactly 0.30 (as a float it is 0.30000000000000004).
        assert_eq!(
            cents_of("=Menge * Einzelpreis", ["3", "0.1", "", ""]),
            Ok(30)
        );
    }

    #[test]
    fn rounding_is_half_even_to_the_cent() {
        let r = |q: &str, p: &str| cents_of("=Menge * Einzelpreis", [q, p, "", ""]);
        assert_eq!(r("1", "0.125"), Ok(12)); // a tie: to the even cent
        assert_eq!(r("1", "0.135"), Ok(14));
        assert_eq!(r("1", "0.1251"), Ok(13));
        assert_eq!(r("-1", "0.125"), Ok(-12));
        assert_eq!(r("-1", "0.135"), Ok(-14));
        assert_eq!(r("3", "0.0049"), Ok(1));
        // 1/3 of a euro; 2/3 rounds up; an inexact value on a tie goes past it.
        assert_eq!(cents_of("=Menge / 3", ["1", "", "", ""]), Ok(33));
        assert_eq!(cents_of("=Menge / 3", ["2", "", "", ""]), Ok(67));
        assert_eq!(cents_of("=Menge / 8", ["1", "", "", ""]), Ok(12)); // 0.125 exactly: even
        assert_eq!(
            cents_of("=Menge / 3", ["0.015000000000001", "", "", ""]),
            Ok(1)
        );
    }

    #[test]
    fn row_errors_name_the_cell() {
        let e = cents_of("=Menge / Rabatt", ["1", "", "", "0"]).unwrap_err();
        assert_eq!((e.field, e.note), (3, Some(DIV_ZERO)));
        let e = cents_of("=Menge * Einzelpreis", ["1", "zwölf", "", ""]).unwrap_err();
        assert_eq!((e.field, e.expected), (1, Expected::Number));
        let e = cents_of("=Menge * Einzelpreis", ["1", "", "", ""]).unwrap_err();
        assert_eq!(e.note, Some("the cell is empty"));
        let big = "9".repeat(30);
        let e = cents_of("=Menge * Einzelpreis", [&big, &big, "", ""]).unwrap_err();
        assert_eq!((e.field, e.note), (0, Some(OVERFLOW)));
        let e = cents_of("=Menge * Einzelpreis", ["1", &"9".repeat(20), "", ""]).unwrap_err();
        assert_eq!(e.note, Some(OVERFLOW));
    }

    #[test]
    fn operands_use_the_number_format_and_spreadsheet_numbers() {
        let de = NumberParser::new(
            &crate::data::config::NumberFormat::Locale("de-DE".into()),
            Some("EUR"),
        )
        .unwrap();
        let c = computed("=Menge * Einzelpreis").unwrap();
        let cells = ["1.000", "1,25 €"];
        assert_eq!(
            c.cents(&de, &|i| Operand::Text(cells[i].as_bytes())),
            Ok(125_000)
        );
        let nums = [3.0, 0.1];
        assert_eq!(c.cents(&de, &|i| Operand::Number(nums[i])), Ok(30));
        let e = c.cents(&de, &|_| Operand::Other).unwrap_err();
        assert_eq!(e.expected, Expected::Number);
    }

    #[test]
    fn configuration_errors() {
        let e = computed("=Menge * Einzelprice").unwrap_err().to_string();
        assert!(e.contains("did you mean \"Einzelpreis\""), "{e}");
        assert!(e.contains("`amount`"), "{e}");
        for (bad, why) in [
            ("=", "it is empty"),
            ("=Menge *", "ends where a value"),
            ("=(Menge", "not closed"),
            ("=[Unit price", "not closed"),
            ("=Menge Rabatt", "unexpected 'R'"),
            ("=1.2.3", "is not a number"),
            ("=Menge % 2", "unexpected '%'"),
        ] {
            let e = computed(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
            assert!(e.contains("with [brackets]"), "{e}");
        }
        let e = computed("=2 * 3").unwrap_err().to_string();
        assert!(e.contains("reads no column"), "{e}");
        assert!(is_expression(" =a") && !is_expression("a=b"));
        assert_eq!(computed("= [Unit price] ").unwrap().first_field, 2);
        let deep = format!("={}Menge", "-".repeat(100));
        assert!(computed(&deep).unwrap_err().to_string().contains("nested"));
    }
}
