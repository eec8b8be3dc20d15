//! Evaluating one rule (or the tier list) for every customer in parallel, stopping early: the
//! first failure raises the shared stop flag, so the customers still running end at their next
//! operation and the ones not started are skipped. The failure reported is the first in table
//! order (customers before it that were stopped are evaluated again, one by one), so the error
//! does not depend on which thread got there first. When the wall-clock budget runs out, the
//! error names the rule and the first customer that was stopped.

use rayon::prelude::*;
use rhai::{EvalAltResult, Scope};

use super::limits::{Halt, Seconds, Stop};
use super::{flatten_inner, runtime_error, Compiled, Limits};
use crate::error::{Diagnostic, Error};

/// Why a customer has no result.
pub enum Fault<'r> {
    /// The rule failed for this customer.
    Failed(Error),
    /// The stop flag ended the evaluation of `rule` (a `what`: metric, tier, check).
    Stopped(&'static str, &'r Compiled),
}

impl<'r> Fault<'r> {
    /// A Rhai error of `rule` for `customer`: a stop when the stop flag ended it.
    pub fn from_rhai(
        e: &EvalAltResult,
        what: &'static str,
        rule: &'r Compiled,
        customer: &str,
    ) -> Self {
        match flatten_inner(e) {
            EvalAltResult::ErrorTerminated(..) => Fault::Stopped(what, rule),
            _ => Fault::Failed(runtime_error(what, rule, customer, e)),
        }
    }
}

enum Row<'r, T> {
    Done(T),
    Failed(Error),
    /// Stopped while evaluating this rule, or never started (None).
    Stopped(Option<(&'static str, &'r Compiled)>),
}

/// What is being evaluated, for a timeout that hits between customers.
pub struct Pass<'r> {
    /// metric, tier or check.
    pub what: &'static str,
    /// The rule, when one rule is evaluated for everyone.
    pub rule: Option<&'r Compiled>,
}

/// Runs `one` for customers `0..ids.len()` in parallel; the values in customer order, or the
/// first failure in customer order, or a timeout.
pub fn each<'r, T: Send>(
    stop: &Stop,
    limits: &Limits,
    ids: &[String],
    pass: &Pass<'r>,
    one: impl Fn(&mut Scope<'static>, usize) -> Result<T, Fault<'r>> + Sync,
) -> Result<Vec<T>, Error> {
    let rows: Vec<Row<'r, T>> = (0..ids.len())
        .into_par_iter()
        .map_init(Scope::new, |scope, i| {
            if stop.get().is_some() {
                return Row::Stopped(None);
            }
            match one(scope, i) {
                Ok(v) => Row::Done(v),
                Err(Fault::Failed(e)) => {
                    stop.cancel();
                    Row::Failed(e)
                }
                Err(Fault::Stopped(what, rule)) => Row::Stopped(Some((what, rule))),
            }
        })
        .collect();
    if rows.iter().all(|r| matches!(r, Row::Done(_))) {
        return Ok(rows
            .into_iter()
            .map(|r| match r {
                Row::Done(v) => v,
                _ => unreachable!("all done"),
            })
            .collect());
    }
    Err(settle(stop, limits, ids, pass, rows, &one))
}

/// The error of a pass that did not finish.
fn settle<'r, T>(
    stop: &Stop,
    limits: &Limits,
    ids: &[String],
    pass: &Pass<'r>,
    mut rows: Vec<Row<'r, T>>,
    one: &impl Fn(&mut Scope<'static>, usize) -> Result<T, Fault<'r>>,
) -> Error {
    if let Some(failed) = rows.iter().position(|r| matches!(r, Row::Failed(_))) {
        // Customers before the failure that were stopped: the first failure in table order wins.
        if stop.resume() {
            let mut scope = Scope::new();
            let pending = rows[..failed]
                .iter()
                .enumerate()
                .filter(|(_, r)| !matches!(r, Row::Done(_)))
                .map(|(i, _)| i);
            for i in pending {
                match one(&mut scope, i) {
                    Ok(_) => {}
                    Err(Fault::Failed(e)) => return e,
                    Err(Fault::Stopped(..)) => break,
                }
            }
        }
        return match rows.swap_remove(failed) {
            Row::Failed(e) => e,
            _ => unreachable!("found above"),
        };
    }
    // Nothing failed, so the budget ran out: name the first customer that was stopped.
    debug_assert_eq!(stop.get(), Some(Halt::TimedOut));
    let first_stopped = rows.iter().enumerate().find_map(|(i, r)| match r {
        Row::Stopped(Some(place)) => Some((i, *place)),
        _ => None,
    });
    let (i, place) = match first_stopped {
        Some((i, place)) => (i, Some(place)),
        None => (
            rows.iter()
                .position(|r| !matches!(r, Row::Done(_)))
                .unwrap_or(0),
            pass.rule.map(|rule| (pass.what, rule)),
        ),
    };
    timeout(limits, pass.what, place, &ids[i])
}

fn timeout(limits: &Limits, what: &str, place: Option<(&str, &Compiled)>, customer: &str) -> Error {
    let budget = Seconds(limits.timeout);
    let help = format!(
        "look for a loop that runs too long; if the rules are right and only slow, allow more time with --rule-timeout (now {budget})"
    );
    let d = match place {
        Some((what, rule)) => Diagnostic::at(
            rule.expr.origin.clone(),
            format!(
                "rules took longer than the {budget} budget (--rule-timeout); stopped at {what} `{}` for customer {customer}",
                rule.name
            ),
        ),
        None => Diagnostic::new(format!(
            "rules took longer than the {budget} budget (--rule-timeout); stopped at the {what}s for customer {customer}"
        )),
    };
    Error::Evaluation(d.with_help(help).code("limit/timeout"))
}
