//! Arithmetic on an undefined value (`()`): an attribute of a customer without a row in the
//! customer master (or with an empty cell), `margin_pct` without revenue, ... Rhai reports it as
//! `Function not found: - (i64, ())`; this turns it into an error naming the customer, the rule,
//! the undefined names it read and how to guard them. `powerbase check` meets it on its made-up
//! customers, half of whom have no attributes, so an unguarded rule fails there first.

use rhai::EvalAltResult;

use super::rows::Fault;
use super::{flatten_inner, origin_at, Frame, Ready, Source};
use crate::error::{Diagnostic, Error};
use crate::metrics::{Origin as ColumnOrigin, Value};

/// The diagnostic code of arithmetic on an undefined value.
pub const CODE: &str = "expr/undefined-value";

/// Why customer `i` of `frame` has no result from `ready`'s rule, which failed with `e`: the
/// error of [`undefined_error`] when it applies, else as [`Fault::from_rhai`] says.
pub(super) fn fault<'r>(
    e: &EvalAltResult,
    what: &'static str,
    frame: &Frame<'_>,
    ready: &Ready<'r>,
    i: usize,
) -> Fault<'r> {
    match undefined_error(what, frame, ready, i, e) {
        Some(error) => Fault::Failed(error),
        None => Fault::from_rhai(e, what, ready.rule, &frame.ids[i]),
    }
}

/// The error for `ready`'s rule failing with `e` on customer `i` of `frame`, when an operator or
/// function got an undefined value and the rule read one for this customer.
fn undefined_error(
    what: &str,
    frame: &Frame<'_>,
    ready: &Ready<'_>,
    i: usize,
    e: &EvalAltResult,
) -> Option<Error> {
    let rule = ready.rule;
    let customer = &frame.ids[i];
    let undefined = match flatten_inner(e) {
        EvalAltResult::ErrorFunctionNotFound(signature, _) if signature.contains("()") => {
            undefined_reads(frame, ready, i)
        }
        _ => return None,
    };
    let (first, _) = undefined.first()?;
    let names: Vec<String> = undefined.iter().map(|(n, _)| format!("`{n}`")).collect();
    let why: Vec<&str> = undefined
        .iter()
        .filter_map(|(n, attribute)| attribute.then_some(*n))
        .collect();
    let mut message = format!(
        "{what} `{}` failed for customer {customer}: {} {} undefined for this customer, and arithmetic on an undefined value is not possible ({})",
        rule.name,
        names.join(", "),
        if names.len() == 1 { "is" } else { "are" },
        flatten(e)
    );
    if !why.is_empty() {
        message.push_str(&format!(
            "; {} {} from the customer master, undefined for a customer without a row there or with an empty cell",
            why.join(", "),
            if why.len() == 1 { "is an attribute" } else { "are attributes" }
        ));
    }
    let d = Diagnostic::at(origin_at(&rule.expr.origin, e.position()), message)
        .with_help(format!(
            "guard it: `({first} ?? 0)` uses 0 (or another default) where it is undefined, and `type_of({first}) != \"()\" && ...` skips those customers"
        ))
        .code(CODE);
    Some(Error::Evaluation(d))
}

/// Rhai's message without its position.
fn flatten(e: &EvalAltResult) -> String {
    let s = flatten_inner(e).to_string();
    match s.rfind(" (line ") {
        Some(at) => s[..at].to_string(),
        None => s,
    }
}

/// The names `ready` reads that are undefined for customer `i`, in the order the rule reads
/// them, each with whether it is an attribute.
fn undefined_reads<'r>(frame: &Frame<'_>, ready: &'r Ready<'_>, i: usize) -> Vec<(&'r str, bool)> {
    ready
        .sources
        .iter()
        .filter_map(|(name, source)| match source {
            Source::Column(c) => {
                let column = &frame.columns[*c];
                matches!(column.column.get(i), Value::Empty)
                    .then_some((name.as_str(), column.origin == ColumnOrigin::Attribute))
            }
            Source::Param(v) => v.is_unit().then_some((name.as_str(), false)),
        })
        .collect()
}
