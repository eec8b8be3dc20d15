//! A tree bound to one customer table, and its evaluator.
//!
//! [`bind()`] turns a [`Node`] into a [`Bound`] program: a flat array of instructions whose operands
//! are indexes into the same array, names resolved to column indexes (columns first, then params,
//! as the engine's scope has them) and population calls to their figures. [`Bound::eval`] walks it
//! for one customer without allocating, with Rhai's semantics, and gives up (`None`) wherever
//! Rhai might answer differently or fail, so the caller can ask Rhai.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::engine::sandbox::Populations;
use crate::metrics::{population, Column, CustomerTable, NamedColumn, EMPTY_INT, EMPTY_MONEY};
use crate::workspace::ParamValue;

use super::condition::{self, Condition, Test};
use super::{BinOp, CmpOp, Lit, Node, Number, PopFn, UnOp};

/// A value during native evaluation: what Rhai would hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val<'a> {
    /// A Rhai integer.
    Int(i64),
    /// A Rhai float.
    Float(f64),
    /// A Rhai bool.
    Bool(bool),
    /// A Rhai string, borrowed from the program or the table.
    Str(&'a str),
}

/// Where population figures come from: the sorted non-empty values of a metric.
pub trait Figures {
    /// The ascending values of `metric` (money in currency units), if available.
    fn sorted(&self, metric: &str) -> Option<Arc<Vec<f64>>>;
}

impl Figures for Populations {
    fn sorted(&self, metric: &str) -> Option<Arc<Vec<f64>>> {
        Populations::sorted(self, metric)
    }
}

/// Population figures taken from a customer table's columns, each sorted the first time it is
/// asked for: the same values the engine gives its population functions, for code that has the
/// evaluated table but not the engine (explanations, rule coverage).
pub struct TableFigures<'a> {
    table: &'a CustomerTable,
    sorted: Mutex<HashMap<String, Arc<Vec<f64>>>>,
}

impl<'a> TableFigures<'a> {
    /// Figures over `table`'s columns.
    pub fn new(table: &'a CustomerTable) -> TableFigures<'a> {
        TableFigures {
            table,
            sorted: Mutex::default(),
        }
    }

    /// Figures over `table`'s columns, except those in `given` (sorted values by metric, as an
    /// evaluation used them), which are taken as they are.
    pub fn seeded(
        table: &'a CustomerTable,
        given: &std::collections::BTreeMap<String, Arc<Vec<f64>>>,
    ) -> TableFigures<'a> {
        TableFigures {
            table,
            sorted: Mutex::new(given.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        }
    }
}

impl Figures for TableFigures<'_> {
    fn sorted(&self, metric: &str) -> Option<Arc<Vec<f64>>> {
        if let Some(v) = self.sorted.lock().expect("figures lock").get(metric) {
            return Some(v.clone());
        }
        // Sorted outside the lock: the sort runs on rayon's pool.
        let values = Arc::new(population::sorted_numbers(self.table.column(metric)?));
        let mut cache = self.sorted.lock().expect("figures lock");
        Some(cache.entry(metric.to_string()).or_insert(values).clone())
    }
}

/// A population figure over ascending `sorted` values, as the Rhai functions compute it; `None`
/// where they fail (no values for `percentile`, `median` and `mean`; a share outside 0..=1).
pub fn figure(function: PopFn, arg: Option<f64>, sorted: &[f64]) -> Option<f64> {
    match function {
        PopFn::Percentile => population::percentile(sorted, arg?),
        PopFn::Median => population::percentile(sorted, 0.5),
        PopFn::Total => Some(sorted.iter().sum()),
        PopFn::Mean if sorted.is_empty() => None,
        PopFn::Mean => Some(sorted.iter().sum::<f64>() / sorted.len() as f64),
    }
}

/// What names are resolved against: one customer table, the params and the population figures.
pub struct NameTable<'a> {
    /// The columns of a customer table: a name is first looked up among them.
    pub columns: &'a [NamedColumn],
    /// The policy's params: then among these.
    pub params: &'a [(String, ParamValue)],
    /// Population figures, the same the Rhai functions read.
    pub figures: &'a dyn Figures,
}

impl NameTable<'_> {
    /// The index of the column of that name.
    pub(super) fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The figure of a population call.
    pub(super) fn figure(&self, function: PopFn, metric: &str, arg: Option<f64>) -> Option<f64> {
        figure(function, arg, &self.figures.sorted(metric)?)
    }

    /// A param's value as a number.
    pub(super) fn number_param(&self, name: &str) -> Option<Number> {
        match self.params.iter().find(|(p, _)| p == name)? {
            (_, ParamValue::Int(i)) => Some(Number::Int(*i)),
            (_, ParamValue::Float(f)) => Some(Number::Float(*f)),
            _ => None,
        }
    }
}

/// Marks an `if` chain without `else`.
const NO_ELSE: u32 = u32::MAX;

/// One instruction; operands are indexes of other instructions.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Code {
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Index into [`Bound::strings`].
    Str(u32),
    /// Index into the table's columns.
    Column(u32),
    Not(u32),
    Neg(u32),
    Binary(BinOp, u32, u32),
    /// `count` (condition, result) pairs from [`Bound::arms`]`[first..]`, then `otherwise`.
    If {
        first: u32,
        count: u32,
        otherwise: u32,
    },
}

/// An expression bound to a table: ready to evaluate per customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    code: Vec<Code>,
    arms: Vec<(u32, u32)>,
    strings: Vec<String>,
    root: u32,
    condition: Option<Condition<Test>>,
}

/// Binds `node` to `names`; `None` when it reads something the evaluator cannot: an unknown name,
/// a date column, a population figure that is not available or that Rhai would refuse.
pub fn bind(node: &Node, names: &NameTable<'_>) -> Option<Bound> {
    let mut b = Bound {
        code: Vec::new(),
        arms: Vec::new(),
        strings: Vec::new(),
        root: 0,
        condition: None,
    };
    b.root = b.emit(node, names)?;
    b.condition = condition::comparisons(node).and_then(|c| c.bind(names));
    Some(b)
}

impl Bound {
    fn push(&mut self, code: Code) -> Option<u32> {
        self.code.push(code);
        u32::try_from(self.code.len() - 1).ok()
    }

    fn emit(&mut self, node: &Node, names: &NameTable<'_>) -> Option<u32> {
        let code = match node {
            Node::Lit { value, .. } => self.literal(value),
            Node::Name { name, .. } => self.name(name, names)?,
            Node::Population {
                function,
                metric,
                arg,
                ..
            } => Code::Float(names.figure(*function, metric, *arg)?),
            Node::Unary { op, operand, .. } => {
                let operand = self.emit(operand, names)?;
                match op {
                    UnOp::Not => Code::Not(operand),
                    UnOp::Neg => Code::Neg(operand),
                }
            }
            Node::Binary {
                op, left, right, ..
            } => Code::Binary(*op, self.emit(left, names)?, self.emit(right, names)?),
            Node::If {
                branches,
                otherwise,
                ..
            } => {
                let mut arms = Vec::with_capacity(branches.len());
                for (condition, result) in branches {
                    arms.push((self.emit(condition, names)?, self.emit(result, names)?));
                }
                let otherwise = match otherwise {
                    Some(node) => self.emit(node, names)?,
                    None => NO_ELSE,
                };
                let first = u32::try_from(self.arms.len()).ok()?;
                self.arms.extend(arms);
                Code::If {
                    first,
                    count: u32::try_from(branches.len()).ok()?,
                    otherwise,
                }
            }
        };
        self.push(code)
    }

    fn literal(&mut self, value: &Lit) -> Code {
        match value {
            Lit::Int(i) => Code::Int(*i),
            Lit::Float(f) => Code::Float(*f),
            Lit::Bool(b) => Code::Bool(*b),
            Lit::Str(s) => self.string(s),
        }
    }

    fn string(&mut self, s: &str) -> Code {
        self.strings.push(s.to_string());
        Code::Str(self.strings.len() as u32 - 1)
    }

    fn name(&mut self, name: &str, names: &NameTable<'_>) -> Option<Code> {
        if let Some(i) = names.position(name) {
            return match names.columns[i].column {
                Column::Date(_) => None,
                _ => Some(Code::Column(u32::try_from(i).ok()?)),
            };
        }
        let (_, value) = names.params.iter().find(|(p, _)| p == name)?;
        Some(match value {
            ParamValue::Int(i) => Code::Int(*i),
            ParamValue::Float(f) => Code::Float(*f),
            ParamValue::Bool(b) => Code::Bool(*b),
            ParamValue::Text(t) => self.string(t),
        })
    }

    /// The value for customer `row` of the table it was bound to, or `None` when Rhai must
    /// decide.
    pub fn eval<'a>(&'a self, columns: &'a [NamedColumn], row: usize) -> Option<Val<'a>> {
        self.at(self.root, columns, row)
    }

    /// The condition's structure, when it is made of comparisons of a metric with a constant,
    /// a param or a population figure joined by `&&` and `||`.
    pub fn condition(&self) -> Option<&Condition<Test>> {
        self.condition.as_ref()
    }

    fn at<'a>(&'a self, at: u32, columns: &'a [NamedColumn], row: usize) -> Option<Val<'a>> {
        Some(match self.code[at as usize] {
            Code::Int(i) => Val::Int(i),
            Code::Float(f) => Val::Float(f),
            Code::Bool(b) => Val::Bool(b),
            Code::Str(s) => Val::Str(&self.strings[s as usize]),
            Code::Column(c) => cell(&columns[c as usize].column, row)?,
            Code::Not(a) => Val::Bool(!self.boolean(a, columns, row)?),
            Code::Neg(a) => match self.at(a, columns, row)? {
                Val::Int(i) => Val::Int(i.checked_neg()?),
                Val::Float(f) => Val::Float(-f),
                _ => return None,
            },
            Code::Binary(BinOp::And, l, r) => {
                Val::Bool(self.boolean(l, columns, row)? && self.boolean(r, columns, row)?)
            }
            Code::Binary(BinOp::Or, l, r) => {
                Val::Bool(self.boolean(l, columns, row)? || self.boolean(r, columns, row)?)
            }
            Code::Binary(op, l, r) => {
                apply(op, self.at(l, columns, row)?, self.at(r, columns, row)?)?
            }
            Code::If {
                first,
                count,
                otherwise,
            } => {
                let arms = &self.arms[first as usize..(first + count) as usize];
                for &(condition, result) in arms {
                    if self.boolean(condition, columns, row)? {
                        return self.at(result, columns, row);
                    }
                }
                if otherwise == NO_ELSE {
                    return None; // Rhai's `()`
                }
                return self.at(otherwise, columns, row);
            }
        })
    }

    fn boolean(&self, at: u32, columns: &[NamedColumn], row: usize) -> Option<bool> {
        match self.at(at, columns, row)? {
            Val::Bool(b) => Some(b),
            _ => None,
        }
    }
}

/// A cell as Rhai sees it; `None` for an empty cell (Rhai's `()`) or a date.
pub(super) fn cell(column: &Column, row: usize) -> Option<Val<'_>> {
    Some(match column {
        Column::Int(v) if v[row] != EMPTY_INT => Val::Int(v[row]),
        Column::Money(v) if v[row] != EMPTY_MONEY => Val::Float(v[row] as f64 / 100.0),
        Column::Float(v) if !v[row].is_nan() => Val::Float(v[row]),
        Column::Bool(v) if v[row] < 2 => Val::Bool(v[row] == 1),
        Column::Text(v) => Val::Str(v[row].as_deref()?),
        _ => return None,
    })
}

/// An infix operation other than `&&` and `||`, as Rhai's built-in operators do it.
pub(super) fn apply<'a>(op: BinOp, l: Val<'a>, r: Val<'a>) -> Option<Val<'a>> {
    use Val::*;
    if let Some(cmp) = op.comparison() {
        return compare(cmp, l, r).map(Bool);
    }
    Some(match (l, r) {
        (Int(a), Int(b)) => Int(match op {
            BinOp::Add => a.checked_add(b)?,
            BinOp::Sub => a.checked_sub(b)?,
            BinOp::Mul => a.checked_mul(b)?,
            BinOp::Div => a.checked_div(b)?,
            BinOp::Rem => a.checked_rem(b)?,
            _ => return None,
        }),
        (Int(_) | Float(_), Int(_) | Float(_)) => {
            let (a, b) = (float(l)?, float(r)?);
            Float(match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div if b != 0.0 => a / b,
                BinOp::Rem if b != 0.0 => a % b,
                _ => return None,
            })
        }
        _ => return None, // strings concatenate in Rhai: not here
    })
}

fn float(v: Val<'_>) -> Option<f64> {
    match v {
        Val::Int(i) => Some(i as f64),
        Val::Float(f) => Some(f),
        _ => None,
    }
}

/// A comparison as Rhai's built-in operators do it: integers exactly; floats (and an integer with
/// a float) with Rhai's relative tolerance of one machine epsilon; bools and strings by their
/// order. `None` across other types (Rhai answers those without an error, but differently).
pub(super) fn compare(op: CmpOp, l: Val<'_>, r: Val<'_>) -> Option<bool> {
    use std::cmp::Ordering;
    let ordering = match (l, r) {
        (Val::Int(a), Val::Int(b)) => a.cmp(&b),
        (Val::Bool(a), Val::Bool(b)) => a.cmp(&b),
        (Val::Str(a), Val::Str(b)) => a.cmp(b),
        _ => return Some(tolerant(op, float(l)?, float(r)?)),
    };
    Some(match op {
        CmpOp::Eq => ordering == Ordering::Equal,
        CmpOp::Ne => ordering != Ordering::Equal,
        CmpOp::Lt => ordering == Ordering::Less,
        CmpOp::Le => ordering != Ordering::Greater,
        CmpOp::Gt => ordering == Ordering::Greater,
        CmpOp::Ge => ordering != Ordering::Less,
    })
}

/// Rhai 1.27's float comparison (`func/builtin.rs`, checked build), step for step so that even
/// infinities and NaN come out the same: the difference relative to the larger magnitude (or
/// absolute, when either side is zero) against `f64::EPSILON`.
fn tolerant(op: CmpOp, x: f64, y: f64) -> bool {
    let max = if x * y == 0.0 {
        1.0
    } else {
        x.abs().max(y.abs())
    };
    if max == 0.0 {
        return matches!(op, CmpOp::Eq | CmpOp::Ge | CmpOp::Le);
    }
    match op {
        CmpOp::Eq => (x - y).abs() / max <= f64::EPSILON,
        CmpOp::Ne => (x - y).abs() / max > f64::EPSILON,
        CmpOp::Gt => (x - y) / max > f64::EPSILON,
        CmpOp::Ge => (x - y) / max > -f64::EPSILON,
        CmpOp::Lt => (y - x) / max > f64::EPSILON,
        CmpOp::Le => (y - x) / max > -f64::EPSILON,
    }
}
