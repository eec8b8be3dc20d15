//! Customer id normalisation for the join of the customer master with the transactions
//! (`data.customers.id_normalise`): the same rule is applied to the master's ids as they are read
//! and to every transaction row's id before it is aggregated, so `K-10001` in one file and
//! `10001` in the other are one customer when the rule says so.
//!
//! The transaction side is a sink layer ([`Normalised`]) in front of the aggregating sink, like
//! the account roll-up: without a rule the loader feeds the sink directly, so the hot path pays
//! nothing. Two different raw ids that become one customer are counted and kept as examples
//! ([`Merged`]), never merged silently.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use super::{Overflow, Row, RowSink};

/// How many examples of merged ids are kept.
pub const MERGE_EXAMPLES: usize = 5;

/// The letter case an id is brought to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Case {
    /// Upper case (`k-1a` -> `K-1A`).
    Upper,
    /// Lower case (`K-1A` -> `k-1a`).
    Lower,
}

/// How customer ids are written the same way on both sides of the join
/// (`data.customers.id_normalise`):
///
/// ```yaml
/// id_normalise: { trim: true, case: upper, prefix: "K-", strip_leading_zeros: true }
/// ```
///
/// The steps run in this order: `trim` (every Unicode space, e.g. a non-breaking space, at both
/// ends; ASCII spaces are always trimmed), `case`, `prefix` (removed when the id starts with it,
/// compared after `case` is applied to it too), `strip_leading_zeros` (`000123` -> `123`; an id of
/// zeros keeps one). A step never makes an id empty: an id that is only the prefix keeps it.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct IdNormalise {
    /// Trim Unicode whitespace at both ends.
    #[serde(default)]
    pub trim: bool,
    /// Bring the id to one letter case.
    #[serde(default)]
    pub case: Option<Case>,
    /// A prefix to remove (`K-`).
    #[serde(default)]
    pub prefix: Option<String>,
    /// Remove leading zeros.
    #[serde(default)]
    pub strip_leading_zeros: bool,
}

impl IdNormalise {
    /// True when the rule changes nothing.
    pub fn is_identity(&self) -> bool {
        !self.trim
            && self.case.is_none()
            && self.prefix.as_deref().is_none_or(str::is_empty)
            && !self.strip_leading_zeros
    }

    /// The id as the rule writes it: borrowed from `id` unless the letter case changes.
    pub fn apply<'a>(&self, id: Cow<'a, str>) -> Cow<'a, str> {
        let id = match self.case {
            Some(case) if changes_case(self.trim_str(&id), case) => {
                Cow::Owned(with_case(self.trim_str(&id), case))
            }
            _ => cut(id, |s| self.trim_str(s)),
        };
        let id = match self.prefix.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => {
                let p = match self.case {
                    Some(case) => Cow::Owned(with_case(p, case)),
                    None => Cow::Borrowed(p),
                };
                cut(id, |s| match s.strip_prefix(p.as_ref()) {
                    Some(rest) if !rest.is_empty() => rest,
                    _ => s,
                })
            }
            None => id,
        };
        if self.strip_leading_zeros {
            cut(id, strip_zeros)
        } else {
            id
        }
    }

    fn trim_str<'s>(&self, s: &'s str) -> &'s str {
        if self.trim {
            let t = s.trim();
            if t.is_empty() {
                s
            } else {
                t
            }
        } else {
            s
        }
    }

    /// The rule in words for the report: `trim, upper case, prefix "K-" removed, leading zeros
    /// removed`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.trim {
            parts.push("spaces trimmed".to_string());
        }
        match self.case {
            Some(Case::Upper) => parts.push("upper case".to_string()),
            Some(Case::Lower) => parts.push("lower case".to_string()),
            None => {}
        }
        if let Some(p) = self.prefix.as_deref().filter(|p| !p.is_empty()) {
            parts.push(format!("prefix {p:?} removed"));
        }
        if self.strip_leading_zeros {
            parts.push("leading zeros removed".to_string());
        }
        parts.join(", ")
    }

    /// The rule as it is written in `powerbase.yaml`: `{ prefix: "K-" }`.
    pub fn yaml(&self) -> String {
        let mut parts = Vec::new();
        if self.trim {
            parts.push("trim: true".to_string());
        }
        match self.case {
            Some(Case::Upper) => parts.push("case: upper".to_string()),
            Some(Case::Lower) => parts.push("case: lower".to_string()),
            None => {}
        }
        if let Some(p) = self.prefix.as_deref().filter(|p| !p.is_empty()) {
            parts.push(format!("prefix: {p:?}"));
        }
        if self.strip_leading_zeros {
            parts.push("strip_leading_zeros: true".to_string());
        }
        format!("{{ {} }}", parts.join(", "))
    }
}

/// `id` narrowed to the part `f` keeps (a sub-slice of it), still borrowed when it was.
fn cut<'a>(id: Cow<'a, str>, f: impl Fn(&str) -> &str) -> Cow<'a, str> {
    match id {
        Cow::Borrowed(s) => Cow::Borrowed(f(s)),
        Cow::Owned(s) => {
            let kept = f(&s);
            if kept.len() == s.len() {
                Cow::Owned(s)
            } else {
                Cow::Owned(kept.to_string())
            }
        }
    }
}

fn strip_zeros(s: &str) -> &str {
    let t = s.trim_start_matches('0');
    if t.is_empty() && !s.is_empty() {
        &s[s.len() - 1..]
    } else {
        t
    }
}

fn changes_case(s: &str, case: Case) -> bool {
    match case {
        Case::Upper => s.chars().any(char::is_lowercase),
        Case::Lower => s.chars().any(char::is_uppercase),
    }
}

fn with_case(s: &str, case: Case) -> String {
    match case {
        Case::Upper => s.to_uppercase(),
        Case::Lower => s.to_lowercase(),
    }
}

/// Customers whose transactions came under more than one raw id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// Per normalised id written differently in the data: up to two of its raw ids, the smallest.
    raw: FxHashMap<Box<str>, Vec<Box<str>>>,
}

impl Merged {
    fn add(&mut self, id: &str, raw: &str) {
        match self.raw.get_mut(id) {
            Some(seen) => keep_smallest(seen, raw),
            None => {
                self.raw.insert(id.into(), vec![raw.into()]);
            }
        }
    }

    fn merge(&mut self, other: Merged) {
        for (id, raws) in other.raw {
            match self.raw.get_mut(&id) {
                Some(seen) => raws.iter().for_each(|r| keep_smallest(seen, r)),
                None => {
                    self.raw.insert(id, raws);
                }
            }
        }
    }

    /// How many customers had more than one raw id, and the first five of them by
    /// normalised id, each with two of its raw ids.
    pub fn summary(&self) -> (usize, Vec<(String, Vec<String>)>) {
        let mut merged: Vec<(&Box<str>, &Vec<Box<str>>)> =
            self.raw.iter().filter(|(_, r)| r.len() > 1).collect();
        merged.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let examples = merged
            .iter()
            .take(MERGE_EXAMPLES)
            .map(|(id, raws)| (id.to_string(), raws.iter().map(|r| r.to_string()).collect()))
            .collect();
        (merged.len(), examples)
    }
}

/// Keeps the two smallest distinct raw ids, sorted: the same whichever thread saw which.
fn keep_smallest(seen: &mut Vec<Box<str>>, raw: &str) {
    if let Err(at) = seen.binary_search_by(|s| s.as_ref().cmp(raw)) {
        if at < 2 {
            seen.insert(at, raw.into());
            seen.truncate(2);
        }
    }
}

/// A sink that sees every row under its normalised customer id (see the module docs).
#[derive(Debug)]
pub struct Normalised<S> {
    inner: S,
    rule: IdNormalise,
    merged: Merged,
}

impl<S> Normalised<S> {
    /// Normalises the ids of the rows going into `inner` by `rule`.
    pub fn new(inner: S, rule: IdNormalise) -> Self {
        Normalised {
            inner,
            rule,
            merged: Merged::default(),
        }
    }

    /// The sink behind, and the customers whose rows came under more than one raw id.
    pub fn finish(self) -> (S, Merged) {
        (self.inner, self.merged)
    }
}

impl<S: RowSink> RowSink for Normalised<S> {
    #[inline]
    fn push(&mut self, row: &Row<'_>) {
        let id = self.rule.apply(Cow::Borrowed(row.customer_id));
        self.merged.add(&id, row.customer_id);
        self.inner.push(&Row {
            customer_id: &id,
            ..*row
        });
    }

    fn merge(&mut self, other: Self) {
        self.inner.merge(other.inner);
        self.merged.merge(other.merged);
    }

    fn overflows(&mut self) -> Vec<Overflow> {
        self.inner.overflows()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(rule: &IdNormalise, id: &str) -> String {
        rule.apply(Cow::Borrowed(id)).into_owned()
    }

    #[test]
    fn each_step_and_their_order() {
        let none = IdNormalise::default();
        assert!(none.is_identity());
        assert_eq!(apply(&none, " k-007 "), " k-007 ");
        let all = IdNormalise {
            trim: true,
            case: Some(Case::Upper),
            prefix: Some("k-".into()),
            strip_leading_zeros: true,
        };
        assert!(!all.is_identity());
        // The prefix is compared in the rule's case.
        assert_eq!(apply(&all, "\u{a0}k-00107\u{a0}"), "107");
        assert_eq!(apply(&all, "K-000"), "0");
        assert_eq!(apply(&all, "K-"), "K-", "never empty");
        assert_eq!(apply(&all, "x12"), "X12");
        let zeros = IdNormalise {
            strip_leading_zeros: true,
            ..IdNormalise::default()
        };
        assert_eq!(apply(&zeros, "00123"), "123");
        assert_eq!(apply(&zeros, "A0012"), "A0012");
        let prefix = IdNormalise {
            prefix: Some("K-".into()),
            ..IdNormalise::default()
        };
        assert_eq!(
            apply(&prefix, "k-1"),
            "k-1",
            "case-sensitive without `case`"
        );
        assert!(matches!(
            prefix.apply(Cow::Borrowed("K-1")),
            Cow::Borrowed("1")
        ));
        assert_eq!(
            all.yaml(),
            "{ trim: true, case: upper, prefix: \"k-\", strip_leading_zeros: true }"
        );
        assert_eq!(
            all.describe(),
            "spaces trimmed, upper case, prefix \"k-\" removed, leading zeros removed"
        );
    }

    #[test]
    fn merges_are_kept_whatever_the_thread_order() {
        let mut a = Merged::default();
        let mut b = Merged::default();
        a.add("1", "K-1");
        a.add("1", "K-1");
        a.add("2", "2");
        b.add("1", "1");
        b.add("1", "K-01");
        b.add("3", "K-3");
        let mut ab = a.clone();
        ab.merge(b.clone());
        b.merge(a);
        assert_eq!(ab, b);
        let (n, examples) = ab.summary();
        assert_eq!(n, 1);
        assert_eq!(
            examples,
            vec![("1".to_string(), vec!["1".to_string(), "K-01".to_string()])]
        );
    }
}
