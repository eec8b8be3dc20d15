//! Comparisons of a number with a text or a flag, found before the run: `recency_days >
//! lapse_days` with `lapse_days: '180'` (quoted in YAML, so a text) would be false for every
//! customer and the finding would silently disappear. Where both sides' types are known here (a
//! number literal, a built-in metric, a param, a text or flag literal, arithmetic on those), such
//! a comparison is a diagnostic at the operator; everything else is caught at run time, where
//! the sandbox makes these comparisons errors naming the customer.

use std::collections::HashSet;

use rhai::Position;

use super::origin_at;
use super::sandbox::{COMPARISONS, POPULATION_FUNCTIONS};
use super::scan::{self, Kind, Token};
use crate::error::Diagnostic;
use crate::metrics::{self, Kind as MetricKind};
use crate::workspace::{Expr, Param, ParamValue};

/// What is known about one side of a comparison.
#[derive(Debug, Clone, PartialEq)]
enum Side {
    /// A number (literal, numeric metric or param, arithmetic on those).
    Number,
    /// Not a number, and why we know.
    Other(Known),
    /// Could be anything (attributes, derived metrics, function results, locals).
    Unknown,
}

/// A side known not to be a number.
#[derive(Debug, Clone, PartialEq)]
enum Known {
    /// A param whose value is a text or a flag.
    Param(String, ParamValue),
    /// A literal text or character, with its contents.
    Text(String),
    /// `true` or `false`.
    Flag(String),
    /// A built-in metric that is a date.
    Date(String),
}

/// The comparisons in `expr` that compare a number with a text or a flag, as diagnostics.
/// `what` and `name` name the rule (`check`, `lapsed_first_class_spenders`).
pub fn mismatches(expr: &Expr, what: &str, name: &str, params: &[Param]) -> Vec<Diagnostic> {
    let toks = scan::tokens(&expr.text);
    let locals = locals(&toks);
    let names = Names { params, locals };
    let mut problems = Vec::new();
    for (k, op) in toks.iter().enumerate() {
        if op.kind != Kind::Punct || !COMPARISONS.contains(&op.text) {
            continue;
        }
        let (left, right) = (operand_before(&toks, k), operand_after(&toks, k));
        let known = match (names.side(left), names.side(right)) {
            (Side::Number, Side::Other(known)) | (Side::Other(known), Side::Number) => known,
            _ => continue,
        };
        let shown = format!(
            "{} {} {}",
            source(&expr.text, left),
            op.text,
            source(&expr.text, right)
        );
        let origin = origin_at(
            &expr.origin,
            Position::new(op.line as u16, op.column as u16),
        );
        problems.push(
            Diagnostic::at(
                origin,
                format!(
                    "{what} `{name}`: `{shown}` compares a number with {}, which is never true",
                    describe(&known)
                ),
            )
            .with_help(help(&known))
            .code("expr/type-mismatch"),
        );
    }
    problems
}

struct Names<'a> {
    params: &'a [Param],
    locals: HashSet<&'a str>,
}

impl Names<'_> {
    fn side(&self, toks: &[Token<'_>]) -> Side {
        let toks = unwrap_parens(toks);
        match toks {
            [] => Side::Unknown,
            [t] => self.single(t),
            _ if self.is_arithmetic(toks) => Side::Number,
            _ => Side::Unknown,
        }
    }

    fn single(&self, t: &Token<'_>) -> Side {
        match t.kind {
            Kind::Number => Side::Number,
            Kind::Str | Kind::Char => Side::Other(Known::Text(t.literal().to_string())),
            Kind::Ident if t.text == "true" || t.text == "false" => {
                Side::Other(Known::Flag(t.text.to_string()))
            }
            Kind::Ident if !self.locals.contains(t.text) => self.name(t.text),
            _ => Side::Unknown,
        }
    }

    fn name(&self, name: &str) -> Side {
        if let Some(p) = self.params.iter().find(|p| p.name == name) {
            return match &p.value {
                ParamValue::Int(_) | ParamValue::Float(_) => Side::Number,
                v => Side::Other(Known::Param(name.to_string(), v.clone())),
            };
        }
        match metrics::builtin(name).map(|b| b.kind) {
            Some(MetricKind::Int | MetricKind::Money | MetricKind::Float) => Side::Number,
            Some(MetricKind::Date) => Side::Other(Known::Date(name.to_string())),
            _ => Side::Unknown,
        }
    }

    /// Numbers, numeric names and population functions joined by `+ - * / % **` and parentheses.
    fn is_arithmetic(&self, toks: &[Token<'_>]) -> bool {
        let mut k = 0;
        while k < toks.len() {
            let t = &toks[k];
            let ok = match t.kind {
                Kind::Number => true,
                Kind::Ident if POPULATION_FUNCTIONS.contains(&t.text) => {
                    match closing(toks, k + 1) {
                        Some(end) => {
                            k = end;
                            true
                        }
                        None => false,
                    }
                }
                Kind::Ident => !self.locals.contains(t.text) && self.name(t.text) == Side::Number,
                Kind::Punct => ["+", "-", "*", "/", "%", "**", "(", ")"].contains(&t.text),
                _ => false,
            };
            if !ok {
                return false;
            }
            k += 1;
        }
        true
    }
}

/// Where the parenthesis opened at `open` closes.
fn closing(toks: &[Token<'_>], open: usize) -> Option<usize> {
    if !toks.get(open)?.is("(") {
        return None;
    }
    let mut depth = 0;
    for (k, t) in toks.iter().enumerate().skip(open) {
        if t.is("(") {
            depth += 1;
        } else if t.is(")") {
            depth -= 1;
            if depth == 0 {
                return Some(k);
            }
        }
    }
    None
}

/// `(x)` as `x`, as often as it is wrapped.
fn unwrap_parens<'t, 'a>(mut toks: &'t [Token<'a>]) -> &'t [Token<'a>] {
    while toks.len() >= 2 && closing(toks, 0) == Some(toks.len() - 1) {
        toks = &toks[1..toks.len() - 1];
    }
    toks
}

/// Tokens that end an operand of a comparison (operators that bind more loosely, separators,
/// statement keywords).
fn is_boundary(t: &Token<'_>) -> bool {
    match t.kind {
        Kind::Punct => {
            COMPARISONS.contains(&t.text)
                || [
                    "&&", "||", "??", ",", ";", "{", "}", "=", "=>", "?", ":", "|", "&", "+=",
                    "-=", "*=", "/=", "%=", "..", "..=",
                ]
                .contains(&t.text)
        }
        Kind::Ident => [
            "if", "else", "return", "let", "const", "in", "while", "loop", "switch", "throw", "do",
            "until", "for",
        ]
        .contains(&t.text),
        _ => false,
    }
}

fn operand_before<'t, 'a>(toks: &'t [Token<'a>], op: usize) -> &'t [Token<'a>] {
    let mut depth = 0i32;
    let mut start = op;
    while start > 0 {
        let t = &toks[start - 1];
        if t.is(")") || t.is("]") {
            depth += 1;
        } else if t.is("(") || t.is("[") {
            if depth == 0 {
                break;
            }
            depth -= 1;
        } else if depth == 0 && is_boundary(t) {
            break;
        }
        start -= 1;
    }
    &toks[start..op]
}

fn operand_after<'t, 'a>(toks: &'t [Token<'a>], op: usize) -> &'t [Token<'a>] {
    let mut depth = 0i32;
    let mut end = op + 1;
    while end < toks.len() {
        let t = &toks[end];
        if t.is("(") || t.is("[") {
            depth += 1;
        } else if t.is(")") || t.is("]") {
            if depth == 0 {
                break;
            }
            depth -= 1;
        } else if depth == 0 && is_boundary(t) {
            break;
        }
        end += 1;
    }
    &toks[op + 1..end]
}

/// Names the expression declares itself (`let x`, `const x`, `for x in`, closure parameters):
/// they hide params and metrics of the same name.
fn locals<'a>(toks: &[Token<'a>]) -> HashSet<&'a str> {
    let mut out = HashSet::new();
    let mut in_closure_params = false;
    for (k, t) in toks.iter().enumerate() {
        if t.is("|") || t.is("||") {
            in_closure_params = t.is("|") && !in_closure_params;
            continue;
        }
        let declares = k > 0
            && t.kind == Kind::Ident
            && (["let", "const", "for"].contains(&toks[k - 1].text)
                || (toks[k - 1].is(",") && in_closure_params)
                || (toks[k - 1].is("|") && in_closure_params));
        if declares {
            out.insert(t.text);
        }
    }
    out
}

/// The source text an operand spans.
fn source<'a>(text: &'a str, toks: &[Token<'a>]) -> &'a str {
    match (toks.first(), toks.last()) {
        (Some(first), Some(last)) => {
            let start = first.text.as_ptr() as usize - text.as_ptr() as usize;
            let end = last.text.as_ptr() as usize - text.as_ptr() as usize + last.text.len();
            &text[start..end]
        }
        _ => "",
    }
}

fn describe(known: &Known) -> String {
    match known {
        Known::Param(name, ParamValue::Text(t)) => format!("param `{name}`, the text {t:?}"),
        Known::Param(name, v) => format!("param `{name}`, the flag {}", param_text(v)),
        Known::Text(t) => format!("the text {t:?}"),
        Known::Flag(f) => format!("the flag {f}"),
        Known::Date(name) => format!("`{name}`, a date (a text like \"1997-03-25\")"),
    }
}

fn param_text(v: &ParamValue) -> String {
    match v {
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Float(f) => f.to_string(),
        ParamValue::Bool(b) => b.to_string(),
        ParamValue::Text(t) => t.clone(),
    }
}

fn help(known: &Known) -> String {
    match known {
        Known::Param(name, ParamValue::Text(t)) if t.trim().parse::<f64>().is_ok() => format!(
            "`{name}` is quoted in YAML, which makes it a text; write `{name}: {}` without quotes",
            t.trim()
        ),
        Known::Param(name, ParamValue::Bool(_)) => format!(
            "`{name}` is a flag (YAML reads yes, no, true and false as flags); give it a number if it is a threshold"
        ),
        Known::Param(name, _) => format!("give `{name}` a number in the policy file"),
        Known::Text(t) if t.trim().parse::<f64>().is_ok() => {
            format!("write the number without quotes: {}", t.trim())
        }
        Known::Date(name) => format!(
            "compare `{name}` with a date in quotes (`{name} >= \"1998-01-01\"`), or use a day count such as `recency_days` or `tenure_days`"
        ),
        Known::Text(_) | Known::Flag(_) => {
            "a number compares only with a number".to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Origin;

    fn params() -> Vec<Param> {
        let p = |name: &str, value| Param {
            name: name.to_string(),
            value,
            origin: Origin::new("powerbase.yaml", 3, 3),
        };
        vec![
            p("lapse_days", ParamValue::Text("180".into())),
            p("vip", ParamValue::Bool(true)),
            p("first_class_min", ParamValue::Int(300)),
            p("region_name", ParamValue::Text("North".into())),
        ]
    }

    fn check(text: &str) -> Vec<Diagnostic> {
        let expr = Expr {
            text: text.to_string(),
            origin: Origin::new("rules/value.yaml", 10, 11),
        };
        mismatches(&expr, "check", "lapsed", &params())
    }

    #[test]
    fn a_quoted_number_param_compared_with_a_metric_is_found_at_the_operator() {
        let found = check("revenue >= first_class_min && recency_days > lapse_days");
        assert_eq!(found.len(), 1, "{found:?}");
        let d = &found[0];
        assert_eq!(d.origin, Some(Origin::new("rules/value.yaml", 10, 54)));
        assert!(
            d.message.contains("`recency_days > lapse_days` compares a number with param `lapse_days`, the text \"180\""),
            "{}",
            d.message
        );
        assert_eq!(
            d.help.as_deref(),
            Some("`lapse_days` is quoted in YAML, which makes it a text; write `lapse_days: 180` without quotes")
        );
    }

    #[test]
    fn flags_literals_dates_and_arithmetic_are_typed() {
        for (text, expected) in [
            ("orders >= vip", "param `vip`, the flag true"),
            ("\"100\" < revenue", "the text \"100\""),
            (
                "(revenue * 2 + percentile(\"revenue\", 0.5)) == true",
                "the flag true",
            ),
            ("first_purchase > 5", "`first_purchase`, a date"),
            (
                "if orders > 1 { recency_days <= lapse_days } else { false }",
                "`lapse_days`",
            ),
        ] {
            let found = check(text);
            assert_eq!(found.len(), 1, "{text}: {found:?}");
            assert!(
                found[0].message.contains(expected),
                "{text}: {}",
                found[0].message
            );
        }
    }

    #[test]
    fn like_with_like_and_unknown_sides_pass() {
        for text in [
            "revenue >= first_class_min",
            "region_name == \"North\"",
            "first_purchase >= \"1997-06-01\"",
            "segment == 5",
            "yearly_value(revenue, tenure_days) > lapse_days",
            "{ let lapse_days = 5; recency_days > lapse_days }",
            "vip == true",
            "percentile(\"revenue\", 0.5) < revenue * 2",
        ] {
            assert_eq!(check(text), vec![], "{text}");
        }
    }
}
