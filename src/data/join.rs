//! What the join of the customer master (`data.customers`) with the customers who have
//! transactions found: how many matched, the rows of each side without a partner (counted, with
//! the first few ids as examples), the id rule applied, the raw ids merged by it, and, when fewer
//! than half of the customers found a master row, a warning naming the likely cause and the
//! `id_normalise` option that fixes it (found by trying each option on both sides).

use std::borrow::Cow;
use std::collections::BTreeMap;

use rustc_hash::FxHashSet;

use super::ids::{Case, IdNormalise, Merged};
use super::AttributeTable;

/// How many example ids each list keeps (the first by id).
pub const EXAMPLES: usize = 5;

/// The join of the customer master with the customers who have transactions, as summary.json's
/// `customer_join` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Join {
    /// The customer master, as written in the policy.
    pub master_file: String,
    /// Rows of the customer master (accounts at `level: account`).
    pub master_rows: usize,
    /// Customers with transactions (accounts at `level: account`).
    pub customers: usize,
    /// Customers with transactions who have a master row.
    pub matched: usize,
    /// Master rows whose customer has no transactions.
    pub master_without_transactions: Unmatched,
    /// Customers with transactions who have no master row (every attribute undefined for them).
    pub transactions_without_master: Unmatched,
    /// The id rule applied to both sides (`id_normalise`), in words; `None` without one.
    pub id_normalise: Option<String>,
    /// Customers whose transactions came under more than one raw id, merged by the id rule.
    pub merged_ids: MergedIds,
    /// Set when fewer than half of the customers with transactions have a master row: what is
    /// likely wrong and how to fix it.
    pub warning: Option<String>,
}

/// One side's ids without a partner.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Unmatched {
    /// How many.
    pub count: usize,
    /// The first five by id.
    pub examples: Vec<String>,
}

/// Customers whose transactions came under several raw ids.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MergedIds {
    /// How many customers.
    pub count: usize,
    /// The first few by id: `10001 (from "K-10001", "10001")`.
    pub examples: Vec<String>,
}

impl Join {
    /// The join of `ids` (the customers with transactions, sorted) with `master`, `rows[i]`
    /// being customer `i`'s master row; `rule` is the id rule both sides were read with and
    /// `merged` what it merged on the transaction side.
    pub fn new(
        ids: &[String],
        master: &AttributeTable,
        rows: &[Option<usize>],
        rule: Option<&IdNormalise>,
        merged: &Merged,
    ) -> Join {
        let mut used = vec![false; master.ids.len()];
        rows.iter().flatten().for_each(|&r| used[r] = true);
        let matched = used.iter().filter(|&&u| u).count();
        let without_master = ids
            .iter()
            .zip(rows)
            .filter(|(_, r)| r.is_none())
            .map(|(id, _)| id.as_str());
        let without_transactions = master
            .ids
            .iter()
            .zip(&used)
            .filter(|(_, &u)| !u)
            .map(|(id, _)| id.as_str());
        let (merges, examples) = merged.summary();
        let rule = rule.filter(|r| !r.is_identity());
        let mut join = Join {
            master_file: master.path.display().to_string(),
            master_rows: master.ids.len(),
            customers: ids.len(),
            matched,
            master_without_transactions: unmatched(without_transactions),
            transactions_without_master: unmatched(without_master),
            id_normalise: rule.map(IdNormalise::describe),
            merged_ids: MergedIds {
                count: merges,
                examples: examples
                    .into_iter()
                    .map(|(id, raw)| format!("{id} (from {})", quoted(&raw)))
                    .collect(),
            },
            warning: None,
        };
        if join.matched * 2 < join.customers {
            join.warning = Some(join.advice(ids, master, rule));
        }
        join
    }

    /// The warning: counts, examples from both files, and the `id_normalise` that makes most ids
    /// match (or a note that none does).
    fn advice(
        &self,
        ids: &[String],
        master: &AttributeTable,
        rule: Option<&IdNormalise>,
    ) -> String {
        let mut text = format!(
            "only {} of the {} customers with transactions have a row in the customer master {} ({} of its {} rows have no transactions), so their attributes are undefined; ids in the transactions look like {}, in the master like {}",
            self.matched,
            self.customers,
            self.master_file,
            self.master_without_transactions.count,
            self.master_rows,
            quoted(&self.transactions_without_master.examples),
            quoted(&self.master_without_transactions.examples),
        );
        let current = rule.cloned().unwrap_or_default();
        let unmatched = unmatched_ids(ids, master, &current);
        let sides = [unmatched[0].as_slice(), unmatched[1].as_slice()];
        match best_rule(ids, &master.ids, sides, &current, self.matched) {
            Some((better, (matched, customers), causes)) => text.push_str(&format!(
                "; the ids are likely written differently ({}): with `id_normalise: {}` in data.customers, {} of the {} customers would match",
                causes.join(", "),
                better.yaml(),
                matched,
                customers
            )),
            None => text.push_str(
                "; no id normalisation (trim, case, prefix, strip_leading_zeros) makes more of them match: check that both files' customer_id columns hold the same ids",
            ),
        }
        text
    }
}

fn unmatched<'a>(ids: impl Iterator<Item = &'a str>) -> Unmatched {
    let mut all: Vec<&str> = ids.collect();
    let count = all.len();
    all.sort_unstable();
    Unmatched {
        count,
        examples: all.iter().take(EXAMPLES).map(|s| s.to_string()).collect(),
    }
}

/// The ids of each side (transactions, master) without a partner under `rule`.
fn unmatched_ids(ids: &[String], master: &AttributeTable, rule: &IdNormalise) -> [Vec<String>; 2] {
    let norm = |id: &str| rule.apply(Cow::Borrowed(id)).into_owned();
    let tx: FxHashSet<String> = ids.iter().map(|i| norm(i)).collect();
    let keys: FxHashSet<String> = master.ids.iter().map(|m| norm(m)).collect();
    [
        ids.iter()
            .filter(|i| !keys.contains(&norm(i)))
            .cloned()
            .collect(),
        master
            .ids
            .iter()
            .filter(|m| !tx.contains(&norm(m)))
            .cloned()
            .collect(),
    ]
}

fn quoted(ids: &[String]) -> String {
    if ids.is_empty() {
        return "(none)".to_string();
    }
    ids.iter()
        .map(|i| format!("{i:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// When both sides are written by `rule`: how many customers (distinct ids) `ids` make, and how
/// many of them are in `master`.
fn matches(ids: &[String], master: &[String], rule: &IdNormalise) -> (usize, usize) {
    let keys: FxHashSet<Cow<'_, str>> = master
        .iter()
        .map(|m| rule.apply(Cow::Borrowed(m.as_str())))
        .collect();
    let customers: FxHashSet<Cow<'_, str>> = ids
        .iter()
        .map(|i| rule.apply(Cow::Borrowed(i.as_str())))
        .collect();
    let matched = customers.iter().filter(|c| keys.contains(*c)).count();
    (matched, customers.len())
}

/// One option to add to a rule, with the cause it stands for.
type Step = (Box<dyn Fn(&mut IdNormalise)>, String);

/// Every rule that adds options to `rule` (`trim`, `case: upper`, the most common prefix of either
/// side's unmatched ids, `strip_leading_zeros`), fewest options first, each with the causes of the
/// options it adds.
fn candidates(unmatched: [&[String]; 2], rule: &IdNormalise) -> Vec<(IdNormalise, Vec<String>)> {
    let mut options: Vec<Vec<Step>> = Vec::new();
    if !rule.trim {
        options.push(vec![(
            Box::new(|r| r.trim = true),
            "surrounding spaces: `trim: true`".into(),
        )]);
    }
    if rule.case.is_none() {
        options.push(vec![(
            Box::new(|r| r.case = Some(Case::Upper)),
            "letter case: `case: upper`".into(),
        )]);
    }
    if rule.prefix.is_none() {
        let mut prefixes: Vec<String> = unmatched.into_iter().filter_map(common_prefix).collect();
        prefixes.sort();
        prefixes.dedup();
        options.push(
            prefixes
                .into_iter()
                .map(|p| {
                    let cause = format!("a prefix: `prefix: {p:?}`");
                    let step: Step = (Box::new(move |r| r.prefix = Some(p.clone())), cause);
                    step
                })
                .collect(),
        );
    }
    if !rule.strip_leading_zeros {
        options.push(vec![(
            Box::new(|r| r.strip_leading_zeros = true),
            "leading zeros: `strip_leading_zeros: true`".into(),
        )]);
    }
    let mut out = vec![(rule.clone(), Vec::new())];
    for alternatives in &options {
        let base = out.clone();
        for (set, cause) in alternatives {
            out.extend(base.iter().map(|(r, causes)| {
                let mut r = r.clone();
                set(&mut r);
                let mut causes = causes.clone();
                causes.push(cause.clone());
                (r, causes)
            }));
        }
    }
    out.remove(0);
    out.sort_by_key(|(_, causes)| causes.len());
    out
}

/// The most common run of characters before an id's first digit (`K-` of `K-10001`), among ids
/// that have one and digits after it; ties go to the smaller prefix.
fn common_prefix(ids: &[String]) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for id in ids {
        let at = id.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
        if at > 0 && at < id.len() {
            *counts.entry(&id[..at]).or_default() += 1;
        }
    }
    let (p, _) =
        counts
            .into_iter()
            .fold(None, |best: Option<(&str, usize)>, (p, n)| match best {
                Some((_, m)) if m >= n => best,
                _ => Some((p, n)),
            })?;
    Some(p.to_string())
}

/// A suggested rule: the rule, how many customers would match of how many, and the causes of
/// the options it adds.
type Suggestion = (IdNormalise, (usize, usize), Vec<String>);

/// Of the rules [`candidates`] makes, the one that makes most customers match when it improves
/// on `matched` (the fewest options among equals).
fn best_rule(
    ids: &[String],
    master: &[String],
    unmatched: [&[String]; 2],
    rule: &IdNormalise,
    matched: usize,
) -> Option<Suggestion> {
    candidates(unmatched, rule)
        .into_iter()
        .map(|(r, causes)| (r.clone(), matches(ids, master, &r), causes))
        .fold(None, |best: Option<Suggestion>, c| match &best {
            Some((_, (n, _), _)) if *n >= c.1 .0 => best,
            _ => Some(c),
        })
        .filter(|(_, (n, _), _)| *n > matched)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{AttributeColumn, AttributeValues};

    fn master(ids: &[&str]) -> AttributeTable {
        let column = AttributeColumn {
            name: "segment".into(),
            header: "segment".into(),
            values: AttributeValues::Int(vec![Some(1); ids.len()]),
        };
        AttributeTable::from_parts(
            "data/customers.csv".into(),
            vec![column],
            ids.iter().map(|s| s.to_string()).collect(),
        )
        .unwrap()
    }

    fn strings(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn counts_examples_and_the_suggested_prefix() {
        let ids = strings(&["1", "10", "2", "3", "4", "5", "6"]);
        let m = master(&["K-1", "K-10", "K-2", "K-3", "K-4", "K-5", "K-99", "6"]);
        let rows: Vec<Option<usize>> = ids.iter().map(|i| m.row_of(i)).collect();
        let join = Join::new(&ids, &m, &rows, None, &Merged::default());
        assert_eq!(join.matched, 1);
        assert_eq!(join.master_rows, 8);
        assert_eq!(join.master_without_transactions.count, 7);
        assert_eq!(
            join.master_without_transactions.examples,
            strings(&["K-1", "K-10", "K-2", "K-3", "K-4"])
        );
        assert_eq!(join.transactions_without_master.count, 6);
        assert_eq!(
            join.transactions_without_master.examples,
            strings(&["1", "10", "2", "3", "4"])
        );
        let w = join.warning.unwrap();
        assert!(w.contains("only 1 of the 7 customers"), "{w}");
        assert!(w.contains("`id_normalise: { prefix: \"K-\" }`"), "{w}");
        assert!(w.contains("7 of the 7 customers would match"), "{w}");
    }

    #[test]
    fn several_causes_are_combined() {
        let ids = strings(&["k-0001", "k-0002", "k-0003"]);
        let m = master(&["K-1", "K-2", "K-3"]);
        let rows = vec![None; 3];
        let join = Join::new(&ids, &m, &rows, None, &Merged::default());
        let w = join.warning.unwrap();
        assert!(
            w.contains("case: upper") && w.contains("strip_leading_zeros: true"),
            "{w}"
        );
        assert!(w.contains("3 of the 3 customers would match"), "{w}");
    }

    #[test]
    fn no_warning_when_most_match_and_a_plain_note_when_nothing_helps() {
        let ids = strings(&["1", "2", "3"]);
        let m = master(&["1", "2", "7"]);
        let rows: Vec<Option<usize>> = ids.iter().map(|i| m.row_of(i)).collect();
        let join = Join::new(&ids, &m, &rows, None, &Merged::default());
        assert_eq!((join.matched, join.warning), (2, None));
        let m = master(&["a", "b"]);
        let rows = vec![None; 3];
        let w = Join::new(&ids, &m, &rows, None, &Merged::default())
            .warning
            .unwrap();
        assert!(w.contains("no id normalisation"), "{w}");
    }
}
