//! What `summary.json` and the report say about the level of the evaluation: `"level"` is
//! `"customer"` or `"account"`; at account level, `"accounts"` says how the customers were rolled
//! up (see [`crate::analysis::accounts::Rollup`]).

use serde::Serialize;

use crate::analysis::accounts::Rollup;
use crate::workspace::Policy;

/// The level of the evaluation, flattened into the report model (two keys of `summary.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Level {
    /// `customer` or `account`, as in the policy's `level:`.
    pub level: &'static str,
    /// At account level, how the customers were rolled up into the accounts; left out of
    /// `summary.json` at customer level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Rollup>,
}

/// The level of a run of `policy` whose analysis rolled the customers up as `rollup` says.
pub fn level(policy: &Policy, rollup: Option<&Rollup>) -> Level {
    Level {
        level: policy.level.name(),
        accounts: rollup.cloned(),
    }
}
