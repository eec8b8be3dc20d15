//! Conditions made of threshold comparisons: `revenue_12m >= first_class_min || purchase_days > 3`.
//!
//! [`comparisons`] sees the shape in a tree (comparisons joined by `&&` and `||`, each with a name
//! on at least one side and a name, a number, a population figure or arithmetic over those on the
//! other); binding it ([`Condition::bind`], done by [`super::bind()`]) decides which side is the
//! metric (a numeric column) and which the threshold (a literal, a numeric param, a population
//! figure, or a constant expression such as `first_class_min / 2`) and gives the threshold's
//! value. [`threshold_tests`] finds every such comparison anywhere in a tree. A bound condition tells, per customer, what it takes to meet it
//! ([`Condition::distance`]) and whether the customer sits near a threshold ([`Test::near`]).

use crate::metrics::{Column, Kind, NamedColumn};

use super::bind::{apply, cell, compare, NameTable, Val};
use super::{BinOp, CmpOp, Lit, Node, Number, PopFn, Span, UnOp};

/// Tests joined by `&&` and `||`.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition<T> {
    /// One test.
    Test(T),
    /// `a && b && ...`: every part.
    All(Vec<Condition<T>>),
    /// `a || b || ...`: any part.
    Any(Vec<Condition<T>>),
}

impl<T> Condition<T> {
    /// Every test, left to right.
    pub fn tests(&self) -> Vec<&T> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'s>(&'s self, out: &mut Vec<&'s T>) {
        match self {
            Condition::Test(t) => out.push(t),
            Condition::All(parts) | Condition::Any(parts) => {
                parts.iter().for_each(|p| p.collect(out));
            }
        }
    }

    /// The same structure with each test mapped; `None` if any test maps to `None`.
    pub fn try_map<U>(&self, f: &mut impl FnMut(&T) -> Option<U>) -> Option<Condition<U>> {
        Some(match self {
            Condition::Test(t) => Condition::Test(f(t)?),
            Condition::All(parts) => Condition::All(Self::map_all(parts, f)?),
            Condition::Any(parts) => Condition::Any(Self::map_all(parts, f)?),
        })
    }

    fn map_all<U>(
        parts: &[Condition<T>],
        f: &mut impl FnMut(&T) -> Option<U>,
    ) -> Option<Vec<Condition<U>>> {
        parts.iter().map(|p| p.try_map(f)).collect()
    }

    /// `a` and `b` under one `&&` (`all`) or `||`, flattening nested ones of the same kind.
    fn join(all: bool, a: Condition<T>, b: Condition<T>) -> Condition<T> {
        let mut parts = Vec::new();
        for side in [a, b] {
            match side {
                Condition::All(p) if all => parts.extend(p),
                Condition::Any(p) if !all => parts.extend(p),
                other => parts.push(other),
            }
        }
        if all {
            Condition::All(parts)
        } else {
            Condition::Any(parts)
        }
    }
}

/// One side of a comparison, before binding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Operand<'t> {
    /// A metric, attribute or param.
    Name {
        /// The identifier.
        name: &'t str,
        /// Where it is written.
        span: Span,
    },
    /// A numeric literal, possibly negated (`-100`).
    Number {
        /// Its value.
        value: Number,
        /// Where it is written.
        span: Span,
    },
    /// A population figure.
    Population {
        /// Which figure.
        function: PopFn,
        /// Of which metric.
        metric: &'t str,
        /// The share of `percentile`.
        arg: Option<f64>,
        /// The whole call.
        span: Span,
    },
    /// Arithmetic (`+ - * / %`, a negation) over numbers, names and population figures, such as
    /// `first_class_min / 2`: a threshold when every name in it is a numeric param.
    Expression {
        /// The expression.
        node: &'t Node,
        /// Where it is written.
        span: Span,
    },
}

/// A comparison with a name on at least one side, before binding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison<'t> {
    /// The left side.
    pub left: Operand<'t>,
    /// The operator.
    pub op: CmpOp,
    /// The right side.
    pub right: Operand<'t>,
    /// The whole comparison.
    pub span: Span,
}

/// The threshold-comparison structure of a condition, or `None` when it has another shape
/// (arithmetic, `!`, a bare flag, a comparison of two literals, an `if`...).
pub fn comparisons(node: &Node) -> Option<Condition<Comparison<'_>>> {
    let Node::Binary {
        op,
        left,
        right,
        span,
    } = node
    else {
        return None;
    };
    match op {
        BinOp::And | BinOp::Or => Some(Condition::join(
            *op == BinOp::And,
            comparisons(left)?,
            comparisons(right)?,
        )),
        _ => {
            let (left, right) = (operand(left)?, operand(right)?);
            let named = |o: &Operand<'_>| matches!(o, Operand::Name { .. });
            (named(&left) || named(&right)).then_some(Condition::Test(Comparison {
                left,
                op: op.comparison()?,
                right,
                span: *span,
            }))
        }
    }
}

fn operand(node: &Node) -> Option<Operand<'_>> {
    Some(match node {
        Node::Name { name, span } => Operand::Name { name, span: *span },
        Node::Lit { value, span } => Operand::Number {
            value: number(value)?,
            span: *span,
        },
        Node::Unary {
            op: UnOp::Neg,
            operand,
            span,
        } => match operand.as_ref() {
            Node::Lit { value, .. } => Operand::Number {
                value: match number(value)? {
                    Number::Int(i) => Number::Int(i.checked_neg()?),
                    Number::Float(f) => Number::Float(-f),
                },
                span: *span,
            },
            _ if arithmetic(node) => Operand::Expression { node, span: *span },
            _ => return None,
        },
        Node::Binary { span, .. } if arithmetic(node) => Operand::Expression { node, span: *span },
        Node::Population {
            function,
            metric,
            arg,
            span,
        } => Operand::Population {
            function: *function,
            metric,
            arg: *arg,
            span: *span,
        },
        _ => return None,
    })
}

fn number(lit: &Lit) -> Option<Number> {
    match lit {
        Lit::Int(i) => Some(Number::Int(*i)),
        Lit::Float(f) => Some(Number::Float(*f)),
        _ => None,
    }
}

/// Whether `node` is arithmetic over numbers, names and population figures only.
fn arithmetic(node: &Node) -> bool {
    match node {
        Node::Lit { value, .. } => number(value).is_some(),
        Node::Name { .. } | Node::Population { .. } => true,
        Node::Unary {
            op: UnOp::Neg,
            operand,
            ..
        } => arithmetic(operand),
        Node::Binary {
            op, left, right, ..
        } => {
            matches!(
                op,
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
            ) && arithmetic(left)
                && arithmetic(right)
        }
        _ => false,
    }
}

/// The value of a constant expression as Rhai computes it (integer division stays integer), or
/// `None` when it reads a column, a non-numeric param or a missing figure, or when Rhai would
/// fail (overflow, division by zero).
fn constant(node: &Node, names: &NameTable<'_>) -> Option<Number> {
    let value = match node {
        Node::Lit { value, .. } => number(value)?,
        Node::Name { name, .. } => {
            if names.position(name).is_some() {
                return None;
            }
            names.number_param(name)?
        }
        Node::Population {
            function,
            metric,
            arg,
            ..
        } => Number::Float(names.figure(*function, metric, *arg)?),
        Node::Unary {
            op: UnOp::Neg,
            operand,
            ..
        } => match constant(operand, names)? {
            Number::Int(i) => Number::Int(i.checked_neg()?),
            Number::Float(f) => Number::Float(-f),
        },
        Node::Binary {
            op, left, right, ..
        } => {
            let (l, r) = (constant(left, names)?, constant(right, names)?);
            match apply(*op, val(l), val(r))? {
                Val::Int(i) => Number::Int(i),
                Val::Float(f) => Number::Float(f),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(value)
}

/// Where a threshold comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A number written in the rule.
    Literal,
    /// A param of the policy.
    Param(String),
    /// A population figure.
    Population {
        /// Which figure.
        function: PopFn,
        /// Of which metric.
        metric: String,
        /// The share of `percentile`.
        arg: Option<f64>,
    },
    /// Arithmetic over numbers, params and population figures (`first_class_min / 2`): its text
    /// is the threshold's span.
    Expression,
}

/// A threshold with its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// Its value (an integer only for integer literals and params).
    pub value: Number,
    /// Where it comes from.
    pub source: Source,
    /// Where it is written in the expression.
    pub span: Span,
}

impl Threshold {
    /// Where it comes from, in words, given the expression `text` it was bound from: `literal`,
    /// `param first_class_min`, `population percentile("revenue", 0.95)` or `expression
    /// first_class_min / 2`.
    pub fn describe(&self, text: &str) -> String {
        match &self.source {
            Source::Literal => "literal".to_string(),
            Source::Param(name) => format!("param {name}"),
            Source::Population { .. } => format!("population {}", self.span.text(text)),
            Source::Expression => format!("expression {}", self.span.text(text)),
        }
    }
}

/// A bound comparison of a metric with a threshold, written metric first (`500 <= revenue` is
/// `revenue >= 500`).
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    /// The metric's name.
    pub metric: String,
    /// Where the metric is written.
    pub metric_span: Span,
    /// The metric's column in the table the condition was bound to.
    pub column: usize,
    /// The metric's type: `Int`, `Money` or `Float`.
    pub kind: Kind,
    /// The comparison, metric on the left.
    pub op: CmpOp,
    /// What the metric is compared with.
    pub threshold: Threshold,
    /// The whole comparison in the expression.
    pub span: Span,
}

impl Comparison<'_> {
    /// Binds it: one side must be a numeric column, the other a threshold.
    fn bind(&self, names: &NameTable<'_>) -> Option<Test> {
        let (metric, op, threshold) = match (metric(&self.left, names), metric(&self.right, names))
        {
            (Some(m), None) => (m, self.op, threshold(&self.right, names)?),
            (None, Some(m)) => (m, self.op.flip(), threshold(&self.left, names)?),
            _ => return None,
        };
        let (name, metric_span, column, kind) = metric;
        Some(Test {
            metric: name.to_string(),
            metric_span,
            column,
            kind,
            op,
            threshold,
            span: self.span,
        })
    }
}

impl Condition<Comparison<'_>> {
    /// The bound condition; `None` when a comparison is not of a numeric metric with a threshold
    /// (two metrics, a text attribute, a population figure that is not available...).
    pub fn bind(&self, names: &NameTable<'_>) -> Option<Condition<Test>> {
        self.try_map(&mut |c: &Comparison<'_>| c.bind(names))
    }
}

/// The operand as a numeric column: name, span, column index, kind.
fn metric<'t>(
    operand: &Operand<'t>,
    names: &NameTable<'_>,
) -> Option<(&'t str, Span, usize, Kind)> {
    let Operand::Name { name, span } = *operand else {
        return None;
    };
    let column = names.position(name)?;
    let kind = names.columns[column].column.kind();
    matches!(kind, Kind::Int | Kind::Money | Kind::Float).then_some((name, span, column, kind))
}

fn threshold(operand: &Operand<'_>, names: &NameTable<'_>) -> Option<Threshold> {
    Some(match *operand {
        Operand::Number { value, span } => Threshold {
            value,
            source: Source::Literal,
            span,
        },
        Operand::Name { name, span } => {
            if names.position(name).is_some() {
                return None; // a column, not a constant
            }
            Threshold {
                value: names.number_param(name)?,
                source: Source::Param(name.to_string()),
                span,
            }
        }
        Operand::Population {
            function,
            metric,
            arg,
            span,
        } => Threshold {
            value: Number::Float(names.figure(function, metric, arg)?),
            source: Source::Population {
                function,
                metric: metric.to_string(),
                arg,
            },
            span,
        },
        Operand::Expression { node, span } => Threshold {
            value: constant(node, names)?,
            source: Source::Expression,
            span,
        },
    })
}

/// Every comparison of a numeric metric with a threshold anywhere in `node` (inside `!`, `if`,
/// arithmetic...), bound to `names`, left to right; comparisons of other shapes are skipped.
pub fn threshold_tests(node: &Node, names: &NameTable<'_>) -> Vec<Test> {
    let mut out = Vec::new();
    collect_tests(node, names, &mut out);
    out
}

fn collect_tests(node: &Node, names: &NameTable<'_>, out: &mut Vec<Test>) {
    match node {
        Node::Binary {
            op, left, right, ..
        } => {
            if op.comparison().is_some() {
                if let Some(Condition::Test(t)) = comparisons(node).and_then(|c| c.bind(names)) {
                    out.push(t);
                    return;
                }
            }
            collect_tests(left, names, out);
            collect_tests(right, names, out);
        }
        Node::Unary { operand, .. } => collect_tests(operand, names, out),
        Node::If {
            branches,
            otherwise,
            ..
        } => {
            for (condition, result) in branches {
                collect_tests(condition, names, out);
                collect_tests(result, names, out);
            }
            if let Some(o) = otherwise {
                collect_tests(o, names, out);
            }
        }
        Node::Lit { .. } | Node::Name { .. } | Node::Population { .. } => {}
    }
}

/// What a customer needs to meet a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Distance<'c> {
    /// The condition already holds.
    Met,
    /// One metric must change.
    Change(Change<'c>),
    /// All of these (`&&`; the parts already met left out).
    All(Vec<Distance<'c>>),
    /// Any one of these (`||`; the alternatives that cannot be computed left out).
    Any(Vec<Distance<'c>>),
}

/// How much one metric must change to pass its test.
#[derive(Debug, Clone, PartialEq)]
pub struct Change<'c> {
    /// The test.
    pub test: &'c Test,
    /// The customer's value now.
    pub value: Number,
    /// The change needed, in the metric's units: positive to rise, negative to fall. For counts
    /// and money the exact amount that reaches the first passing value (whole counts, cents).
    pub by: f64,
    /// Whether the metric must go strictly beyond `value + by` (`>` or `<` on a float metric).
    pub strict: bool,
}

impl Condition<Test> {
    /// What customer `row` needs to meet the condition; `None` when that cannot be said (an
    /// empty value in an `&&` part or in every `||` alternative, a `!=` test, a threshold the
    /// metric's type cannot reach, such as `orders == 2.5`).
    pub fn distance<'c>(&'c self, columns: &[NamedColumn], row: usize) -> Option<Distance<'c>> {
        match self {
            Condition::Test(t) => t.distance(columns, row),
            Condition::All(parts) => {
                let mut needed = Vec::new();
                for part in parts {
                    match part.distance(columns, row)? {
                        Distance::Met => {}
                        d => needed.push(d),
                    }
                }
                Some(simplify(needed, Distance::All).unwrap_or(Distance::Met))
            }
            Condition::Any(parts) => {
                let mut alternatives = Vec::new();
                for part in parts {
                    match part.distance(columns, row) {
                        Some(Distance::Met) => return Some(Distance::Met),
                        Some(d) => alternatives.push(d),
                        None => {}
                    }
                }
                simplify(alternatives, Distance::Any)
            }
        }
    }
}

/// No parts: `None`; one: itself; more: joined.
fn simplify<'c>(
    mut parts: Vec<Distance<'c>>,
    join: fn(Vec<Distance<'c>>) -> Distance<'c>,
) -> Option<Distance<'c>> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(join(parts)),
    }
}

impl Test {
    /// The customer's value of the metric, as Rhai sees it; `None` when empty.
    pub fn value(&self, columns: &[NamedColumn], row: usize) -> Option<Number> {
        match cell(&columns[self.column].column, row)? {
            Val::Int(i) => Some(Number::Int(i)),
            Val::Float(f) => Some(Number::Float(f)),
            _ => None,
        }
    }

    /// Whether the test holds for customer `row` (Rhai's comparison); `None` when the value is
    /// empty.
    pub fn holds(&self, columns: &[NamedColumn], row: usize) -> Option<bool> {
        self.holds_at(self.value(columns, row)?)
    }

    fn holds_at(&self, value: Number) -> Option<bool> {
        compare(self.op, val(value), val(self.threshold.value))
    }

    /// Whether customer `row`'s value is within `share` (0.05 for 5%) of the threshold, on either
    /// side; `None` when the value is empty.
    pub fn near(&self, columns: &[NamedColumn], row: usize, share: f64) -> Option<bool> {
        let v = self.value(columns, row)?.as_f64();
        let t = self.threshold.value.as_f64();
        Some((v - t).abs() <= share * t.abs())
    }

    /// What customer `row` needs to pass this test.
    pub fn distance(&self, columns: &[NamedColumn], row: usize) -> Option<Distance<'_>> {
        let value = self.value(columns, row)?;
        if self.holds_at(value)? {
            return Some(Distance::Met);
        }
        let (by, strict) = match &columns[self.column].column {
            Column::Int(v) => (self.steps(v[row], 1.0)?, false),
            Column::Money(v) => (self.steps(v[row], 100.0)?, false),
            _ => match self.op {
                CmpOp::Ne => return None,
                op => (
                    self.threshold.value.as_f64() - value.as_f64(),
                    matches!(op, CmpOp::Gt | CmpOp::Lt),
                ),
            },
        };
        Some(Distance::Change(Change {
            test: self,
            value,
            by,
            strict,
        }))
    }

    /// For a metric counted in whole units (`per_unit` of them to one: 1 for counts, 100 cents
    /// for money), the change from `units` to the nearest passing value, in the metric's units.
    fn steps(&self, units: i64, per_unit: f64) -> Option<f64> {
        let at = |k: i64| {
            let v = if per_unit == 1.0 {
                Number::Int(k)
            } else {
                Number::Float(k as f64 / per_unit)
            };
            self.holds_at(v) == Some(true)
        };
        let t = self.threshold.value.as_f64() * per_unit;
        if !t.is_finite() {
            return None;
        }
        // Rhai's tolerance moves the passing edge by far less than a unit for values in range:
        // the first passing value is within two units of the threshold, and the search checks
        // that it starts where the test fails.
        let target = match self.op {
            CmpOp::Ge | CmpOp::Gt => first(t.floor() as i64, 1, at)?,
            CmpOp::Le | CmpOp::Lt => first(t.ceil() as i64, -1, at)?,
            CmpOp::Eq => Some(t.round() as i64).filter(|&k| at(k))?,
            CmpOp::Ne => return None,
        };
        Some(target.checked_sub(units)? as f64 / per_unit)
    }
}

/// The first passing value walking from two units before `edge` in direction `step`, if the
/// walk starts on a failing one and finds a passing one within five units.
fn first(edge: i64, step: i64, passes: impl Fn(i64) -> bool) -> Option<i64> {
    let start = edge.saturating_sub(2 * step);
    if passes(start) {
        return None;
    }
    (1..=5)
        .map(|d| start.saturating_add(d * step))
        .find(|&k| passes(k))
}

fn val(n: Number) -> Val<'static> {
    match n {
        Number::Int(i) => Val::Int(i),
        Number::Float(f) => Val::Float(f),
    }
}

impl super::Bound {
    /// What customer `row` needs to meet this condition: see [`Condition::distance`]. `None`
    /// also when the expression is not a threshold condition.
    pub fn distance<'c>(&'c self, columns: &[NamedColumn], row: usize) -> Option<Distance<'c>> {
        self.condition()?.distance(columns, row)
    }
}
