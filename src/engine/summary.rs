//! Summary checks (`level: summary`): a check whose `when` runs once over the analysis instead
//! of once per customer, in the same sandboxed engine. It reads the params and four facts of the
//! report model, as `summary.json` gives them (money in currency units): `investment_gap` (a list
//! of maps), `tiers` (a list of maps), `profitability` (a map, or `()` when profit is not
//! known) and `personas` (a list of maps). Its message may show figures: `{{ expr }}` is replaced
//! by the value of the expression over the same facts.

use rhai::{Array, Dynamic, Engine, Map, Scope, AST};

use super::origin_at;
use crate::error::{Diagnostic, Error};
use crate::report::format;
use crate::workspace::{Check, CheckLevel, Expr, Severity};

/// The names a summary check reads besides the params.
pub const FACTS: [&str; 4] = ["investment_gap", "tiers", "profitability", "personas"];

/// A piece of a summary check's message.
#[derive(Debug)]
enum Part {
    Text(String),
    Value(String, AST),
}

/// A compiled summary check.
#[derive(Debug)]
pub(super) struct SummaryRule {
    name: String,
    severity: Severity,
    when: Expr,
    ast: AST,
    message: Vec<Part>,
}

/// A summary check that held.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryFinding {
    /// The check's name.
    pub name: String,
    /// How serious it is.
    pub severity: Severity,
    /// Its message, figures filled in.
    pub message: String,
}

/// The scope summary checks compile against: the params and the facts, all empty.
fn compile_scope(params: &[String]) -> Scope<'static> {
    let mut scope = Scope::new();
    for name in params.iter().map(String::as_str).chain(FACTS) {
        scope.push_dynamic(name.to_string(), Dynamic::UNIT);
    }
    scope
}

fn compile_problem(what: &str, name: &str, expr: &Expr, e: &rhai::ParseError) -> Diagnostic {
    let at = origin_at(&expr.origin, e.position());
    match e.err_type() {
        rhai::ParseErrorType::VariableUndefined(var) => {
            Diagnostic::at(at, format!("{what} `{name}`: `{var}` is not defined"))
                .with_help(format!(
                    "a summary check reads the params and {}",
                    FACTS.join(", ")
                ))
                .code("expr/unknown-name")
        }
        other => Diagnostic::at(at, format!("{what} `{name}`: {other}")).code("expr/syntax"),
    }
}

/// Splits a message at `{{ expr }}` and compiles each expression.
fn message_parts(
    engine: &Engine,
    scope: &Scope,
    check: &Check,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = check.message.as_str();
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        parts.push(Part::Text(rest[..start].to_string()));
        let text = rest[start + 2..start + len].trim().to_string();
        let expr = Expr {
            text: text.clone(),
            origin: check.when.origin.clone(),
        };
        match engine.compile_expression_with_scope(scope, &text) {
            Ok(ast) => parts.push(Part::Value(text, ast)),
            Err(e) => problems.push(compile_problem(
                "the message of check",
                &check.name,
                &expr,
                &e,
            )),
        }
        rest = &rest[start + len + 2..];
    }
    parts.push(Part::Text(rest.to_string()));
    parts
}

/// Compiles the policy's summary checks.
pub(super) fn compile(
    engine: &Engine,
    checks: &[Check],
    params: &[String],
    problems: &mut Vec<Diagnostic>,
) -> Vec<SummaryRule> {
    let scope = compile_scope(params);
    checks
        .iter()
        .filter(|c| c.level == CheckLevel::Summary)
        .filter_map(|c| {
            let message = message_parts(engine, &scope, c, problems);
            match engine.compile_expression_with_scope(&scope, &c.when.text) {
                Ok(ast) => Some(SummaryRule {
                    name: c.name.clone(),
                    severity: c.severity,
                    when: c.when.clone(),
                    ast,
                    message,
                }),
                Err(e) => {
                    problems.push(compile_problem("check", &c.name, &c.when, &e));
                    None
                }
            }
        })
        .collect()
}

/// A JSON value as Rhai sees it: numbers as integers when whole and written without decimals,
/// else as floats (money has two decimals: a float in currency units); `null` as `()`.
pub fn dynamic(v: &serde_json::Value) -> Dynamic {
    use serde_json::Value as J;
    match v {
        J::Null => Dynamic::UNIT,
        J::Bool(b) => Dynamic::from_bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Dynamic::from(s.clone()),
        J::Array(a) => Dynamic::from_array(a.iter().map(dynamic).collect::<Array>()),
        J::Object(o) => Dynamic::from_map(
            o.iter()
                .map(|(k, v)| (k.as_str().into(), dynamic(v)))
                .collect::<Map>(),
        ),
    }
}

/// A value in a message: whole numbers with thousands separators, other numbers with two
/// decimals (or none from 1,000 up), `()` as a dash, the rest as Rhai prints it.
fn show(v: &Dynamic) -> String {
    if let Some(i) = v.clone().try_cast::<rhai::INT>() {
        format::thousands(i)
    } else if let Some(x) = v.clone().try_cast::<rhai::FLOAT>() {
        format::number(x, if x.abs() >= 1000.0 { 0 } else { 2 })
    } else if v.is_unit() {
        "–".to_string()
    } else {
        v.to_string()
    }
}

/// Evaluates the summary checks over `scope` (the params and the facts); one finding per check
/// whose `when` holds, in policy order.
pub(super) fn evaluate(
    engine: &Engine,
    rules: &[SummaryRule],
    scope: &mut Scope,
) -> Result<Vec<SummaryFinding>, Error> {
    let fault = |rule: &SummaryRule, what: String| {
        Error::Evaluation(
            Diagnostic::at(rule.when.origin.clone(), format!("check `{}`: {what}", rule.name))
                .code("expr/summary-check")
                .with_help("a summary check reads investment_gap, tiers and personas (lists, possibly empty: test `.len()` first) and profitability (`()` when profit is not known)"),
        )
    };
    let mut found = Vec::new();
    for rule in rules {
        let held = engine
            .eval_ast_with_scope::<Dynamic>(scope, &rule.ast)
            .map_err(|e| fault(rule, e.to_string()))?;
        let Some(held) = held.clone().try_cast::<bool>() else {
            return Err(fault(
                rule,
                format!(
                    "`when` gave {}, expected true or false",
                    super::sandbox::describe(&held)
                ),
            ));
        };
        if !held {
            continue;
        }
        let mut message = String::new();
        for part in &rule.message {
            match part {
                Part::Text(t) => message.push_str(t),
                Part::Value(text, ast) => {
                    let v = engine
                        .eval_ast_with_scope::<Dynamic>(scope, ast)
                        .map_err(|e| fault(rule, format!("message `{{{{ {text} }}}}`: {e}")))?;
                    message.push_str(&show(&v));
                }
            }
        }
        found.push(SummaryFinding {
            name: rule.name.clone(),
            severity: rule.severity,
            message,
        });
    }
    Ok(found)
}
