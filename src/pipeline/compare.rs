//! Two policies on the same data: what `powerbase diff` evaluates. Each side keeps its own
//! compiled program, and the data is read once when both read it the same way.

use std::collections::HashMap;

use super::{Loaded, Outcome, Prepared, Timings};
use crate::analysis::migration::{migration, Migration};
use crate::data::{Day, Progress};
use crate::error::Result;

/// Which side's data files both policies are evaluated on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataFrom {
    /// The head's (the default: the data as it is now).
    #[default]
    Head,
    /// The base's.
    Base,
}

/// Both policies evaluated on the same data at the same as-of date.
pub struct Comparison {
    /// The as-of date of both evaluations.
    pub as_of: Day,
    /// The base policy's outcome.
    pub base: Outcome,
    /// The head policy's outcome.
    pub head: Outcome,
    /// How the customers both evaluations know moved between tiers (revenue as the head sees
    /// it).
    pub migration: Migration,
    /// For each moved customer (in the order of `migration.moved`), the tier indexes that placed
    /// them before (in the base's tiers) and after (in the head's).
    pub placed_by: Vec<(u16, u16)>,
    /// Customers only one side's reading of the data has (when the two policies map the data
    /// differently): (base only, head only).
    pub unmatched: (usize, usize),
    /// Whether the data was read once for both (the two policies read it the same way).
    pub read_once: bool,
}

/// Evaluates `base` and `head` on the data of the side `data_from` as of `as_of` (default: that
/// side's as-of date). The data is read once when both policies map it the same way; otherwise
/// each reads it with its own mapping, and customers are matched by id.
pub fn compare(
    base: &Prepared,
    head: &Prepared,
    data_from: DataFrom,
    as_of: Option<Day>,
    progress: Option<&dyn Progress>,
) -> Result<Comparison> {
    let (reader, other) = match data_from {
        DataFrom::Head => (head, base),
        DataFrom::Base => (base, head),
    };
    let as_of = reader.as_of(as_of, progress)?;
    let loaded = reader.load(as_of, progress, &mut Timings::default())?;
    let read_once = same_reading(reader, other);
    let other_loaded = if read_once {
        loaded.clone()
    } else {
        other.load(as_of, progress, &mut Timings::default())?
    };
    let (base_data, head_data): (Loaded, Loaded) = match data_from {
        DataFrom::Head => (other_loaded, loaded),
        DataFrom::Base => (loaded, other_loaded),
    };
    // Two programs, two tables: evaluated side by side.
    let (base_out, head_out) = std::thread::scope(|scope| {
        let b = scope.spawn(|| base.decide(base_data, Timings::default()));
        let h = head.decide(head_data, Timings::default());
        (b.join().expect("an evaluation does not panic"), h)
    });
    let (base_out, head_out) = (base_out?, head_out?);
    let (migration, placed_by, unmatched) = moves(base, head, &base_out, &head_out);
    Ok(Comparison {
        as_of,
        base: base_out,
        head: head_out,
        migration,
        placed_by,
        unmatched,
        read_once,
    })
}

/// Whether two prepared workspaces read the same transactions the same way (same folder, same
/// source settings), so one load serves both.
fn same_reading(a: &Prepared, b: &Prepared) -> bool {
    a.workspace.root == b.workspace.root
        && a.workspace.policy.transactions == b.workspace.policy.transactions
        && a.workspace.policy.customers == b.workspace.policy.customers
        && a.sides() == b.sides()
}

/// The migration between the two outcomes, over the customers both have (matched by id), with
/// the tiers that placed each moved customer, and how many customers only one side has.
fn moves(
    base: &Prepared,
    head: &Prepared,
    b: &Outcome,
    h: &Outcome,
) -> (Migration, Vec<(u16, u16)>, (usize, usize)) {
    let (ids, revenue, before, after, unmatched) = if b.table.ids == h.table.ids {
        (
            h.table.ids.clone(),
            h.table.money("revenue").to_vec(),
            b.evaluation.tiers.clone(),
            h.evaluation.tiers.clone(),
            (0, 0),
        )
    } else {
        aligned(b, h)
    };
    let m = migration(
        &ids,
        &revenue,
        &before,
        &after,
        &base.tier_names(),
        &head.tier_names(),
    );
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let placed = m
        .moved
        .iter()
        .map(|mv| {
            let i = index[mv.id.as_str()];
            (before[i], after[i])
        })
        .collect();
    (m, placed, unmatched)
}

type Aligned = (Vec<String>, Vec<i64>, Vec<u16>, Vec<u16>, (usize, usize));

/// The customers both outcomes have, in the head's order, with the head's revenue and both
/// tiers; and how many only the base or only the head has.
fn aligned(b: &Outcome, h: &Outcome) -> Aligned {
    let base_row: HashMap<&str, usize> = b
        .table
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let head_revenue = h.table.money("revenue");
    let mut out: Aligned = Default::default();
    for (i, id) in h.table.ids.iter().enumerate() {
        match base_row.get(id.as_str()) {
            Some(&j) => {
                out.0.push(id.clone());
                out.1.push(head_revenue[i]);
                out.2.push(b.evaluation.tiers[j]);
                out.3.push(h.evaluation.tiers[i]);
            }
            None => out.4 .1 += 1,
        }
    }
    out.4 .0 = b.table.len() - out.0.len();
    out
}
