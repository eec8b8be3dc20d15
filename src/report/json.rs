//! `summary.json`: the report model ([`super::model::Report`]) serialised, for other tools and
//! for comparing runs.

use super::model::Report;

/// The summary as pretty-printed JSON bytes, keys in a fixed order.
pub fn summary_json(model: &Report) -> Vec<u8> {
    model.to_json()
}
