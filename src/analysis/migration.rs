//! How customers move between tiers from one evaluation to another: a what-if against the
//! current policy, two revisions of the policy, or two as-of dates. One matrix serves all three.

use serde::Serialize;

use crate::data::Day;
use crate::error::Diagnostic;
use crate::metrics::{Column, CustomerTable, Origin, EMPTY_INT};
use crate::workspace::{Param, ParamValue};

/// One cell of a migration matrix: customers placed in `from` before and in `to` after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// The tier before.
    pub from: String,
    /// The tier after.
    pub to: String,
    /// How many customers.
    pub customers: u64,
    /// Their revenue (after), in cents.
    #[serde(serialize_with = "crate::analysis::migration::cents")]
    pub revenue: i64,
}

/// A customer whose tier changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Move {
    /// The customer id.
    pub id: String,
    /// The tier before.
    pub from: String,
    /// The tier after.
    pub to: String,
    /// Revenue (after), in cents.
    #[serde(serialize_with = "crate::analysis::migration::cents")]
    pub revenue: i64,
    /// Whether the customer moved to a higher tier (tiers rank in policy order, highest first).
    pub up: bool,
}

/// The tiers of the same customers under two evaluations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Migration {
    /// Every (before, after) pair that holds at least one customer, in tier order of `from`, then
    /// `to`.
    pub matrix: Vec<Cell>,
    /// Customers whose tier changed, largest revenue first (ties by id).
    pub moved: Vec<Move>,
}

impl Migration {
    /// The customers and revenue that moved up (`up`) or down.
    pub fn total(&self, up: bool) -> (u64, i64) {
        self.moved
            .iter()
            .filter(|m| m.up == up)
            .fold((0, 0), |(n, r), m| (n + 1, r + m.revenue))
    }
}

/// Compares two tier assignments of the same customers. `before` and `after` hold tier indexes
/// into `tiers_before` and `tiers_after` (which may differ: a policy change can rename, add or drop
/// tiers); `revenue` is in cents, aligned with `ids`. Tiers of the two sides rank by their position
/// in their own list, so "up" means a smaller index after than before, matched by name where both
/// sides have the tier and by position otherwise.
pub fn migration(
    ids: &[String],
    revenue: &[i64],
    before: &[u16],
    after: &[u16],
    tiers_before: &[String],
    tiers_after: &[String],
) -> Migration {
    let (nb, na) = (tiers_before.len(), tiers_after.len());
    let mut counts = vec![(0u64, 0i64); nb * na];
    let mut moved = Vec::new();
    for i in 0..ids.len() {
        let (b, a) = (before[i] as usize, after[i] as usize);
        let cell = &mut counts[b * na + a];
        cell.0 += 1;
        cell.1 += revenue[i];
        let (from, to) = (&tiers_before[b], &tiers_after[a]);
        if from != to {
            let rank_before = tiers_after.iter().position(|t| t == from).unwrap_or(b);
            moved.push(Move {
                id: ids[i].clone(),
                from: from.clone(),
                to: to.clone(),
                revenue: revenue[i],
                up: a < rank_before,
            });
        }
    }
    moved.sort_by(|x, y| y.revenue.cmp(&x.revenue).then_with(|| x.id.cmp(&y.id)));
    let matrix = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| c.0 > 0)
        .map(|(k, &(customers, revenue))| Cell {
            from: tiers_before[k / na].clone(),
            to: tiers_after[k % na].clone(),
            customers,
            revenue,
        })
        .collect();
    Migration { matrix, moved }
}

/// The matrix row of customers who had no transaction on or before the earlier as-of date (and
/// so no earlier tier): it comes after the tiers.
pub const NEW: &str = "(new)";

/// The days without a purchase after which a customer counts as lapsed, when the policy declares
/// no `lapse_days` param.
pub const LAPSE_DAYS: i64 = 365;

/// Some customers: how many, their revenue at the later as-of date and what of it they spent
/// after the earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Group {
    /// How many customers.
    pub customers: u64,
    /// Their revenue at the later as-of date (all their revenue up to it), in cents.
    #[serde(serialize_with = "crate::analysis::migration::cents")]
    pub revenue: i64,
    /// What of it came after the earlier as-of date, in cents.
    #[serde(serialize_with = "crate::analysis::migration::cents")]
    pub revenue_since: i64,
}

impl Group {
    fn add(&mut self, revenue: i64, revenue_since: i64) {
        self.customers += 1;
        self.revenue += revenue;
        self.revenue_since += revenue_since;
    }
}

/// A customer whose tier changed between two as-of dates, named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedMove {
    /// The customer id.
    pub id: String,
    /// The values of the name columns ([`Periods::name_columns`]), in their order; `None` when
    /// the customer has none.
    pub names: Vec<Option<String>>,
    /// The tier at the earlier date.
    pub from: String,
    /// The tier at the later date.
    pub to: String,
    /// Revenue at the later date, in cents.
    #[serde(serialize_with = "crate::analysis::migration::cents")]
    pub revenue: i64,
    /// Revenue after the earlier date, in cents.
    #[serde(serialize_with = "crate::analysis::migration::cents")]
    pub revenue_since: i64,
}

/// How the customers of one policy moved between tiers from an earlier as-of date to a later
/// one. Every customer of the later date is in exactly one of graduated, slipped, stayed and new;
/// lapsed cuts across them (a lapsed customer is usually stayed or slipped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periods {
    /// The earlier as-of date.
    pub from_as_of: Day,
    /// The later as-of date.
    pub to_as_of: Day,
    /// No purchase in this many days up to the later date makes a customer lapsed.
    pub lapse_days: i64,
    /// The tiers in policy order (highest first); the matrix rows are these and then [`NEW`].
    pub tiers: Vec<String>,
    /// The matrix (rows: tier at the earlier date or [`NEW`]; columns: tier at the later date;
    /// revenue at the later date) and the customers present at both dates whose tier changed.
    pub migration: Migration,
    /// Present at both dates, in a higher tier at the later one.
    pub graduated: Group,
    /// Present at both dates, in a lower tier at the later one.
    pub slipped: Group,
    /// Present at both dates, in the same tier.
    pub stayed: Group,
    /// No transaction on or before the earlier date.
    pub new: Group,
    /// No purchase in the `lapse_days` days up to the later date (`recency_days >= lapse_days`,
    /// or no purchase at all).
    pub lapsed: Group,
    /// Lapsed customers who also slipped.
    pub lapsed_and_slipped: Group,
    /// The attribute columns that name a customer (see [`name_columns`]).
    pub name_columns: Vec<String>,
    /// The graduates with the largest revenue at the later date, largest first (ties by id).
    pub largest_graduations: Vec<NamedMove>,
    /// The same for the customers who slipped.
    pub largest_slips: Vec<NamedMove>,
}

/// One evaluation of the policy: the customer table and each customer's tier index.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The customers (ids sorted ascending, as every [`CustomerTable`] is).
    pub table: &'a CustomerTable,
    /// Tier index (policy order) per customer, in table order.
    pub tiers: &'a [u16],
}

/// The attribute text columns that name a customer: `name`, `company`, or a name ending in
/// `name` (`company_name`, `first_name`, `surname`), in table order.
pub fn name_columns(table: &CustomerTable) -> Vec<usize> {
    table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            let n = c.name.to_lowercase();
            c.origin == Origin::Attribute
                && matches!(c.column, Column::Text(_))
                && (n == "company" || n.ends_with("name"))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Compares the tiers of `earlier` and `later` (two as-of dates of the same policy, `tiers` its
/// tier names), aligning customers by id: every customer of the earlier date is one of the later
/// date; a customer only in `later` is new. Money is each customer's `revenue` at the later date;
/// `largest` graduations and slips are named.
pub fn between(
    earlier: Side,
    later: Side,
    tiers: &[String],
    lapse_days: i64,
    largest: usize,
) -> Periods {
    let ids = &later.table.ids;
    let revenue = later.table.money("revenue");
    let earlier_revenue = earlier.table.money("revenue");
    let new_row = tiers.len() as u16;
    // Both id lists are sorted: one merge aligns them.
    let mut before = Vec::with_capacity(ids.len());
    let mut since = Vec::with_capacity(ids.len());
    let mut j = 0;
    for (i, id) in ids.iter().enumerate() {
        if earlier.table.ids.get(j) == Some(id) {
            before.push(earlier.tiers[j]);
            since.push(revenue[i] - earlier_revenue[j]);
            j += 1;
        } else {
            before.push(new_row);
            since.push(revenue[i]);
        }
    }
    debug_assert_eq!(
        j,
        earlier.table.len(),
        "earlier customers are later customers"
    );
    let rows: Vec<String> = tiers.iter().cloned().chain([NEW.to_string()]).collect();
    let mut migration = migration(ids, revenue, &before, later.tiers, &rows, tiers);
    migration.moved.retain(|m| m.from != NEW);
    let recency = match later.table.column("recency_days") {
        Some(Column::Int(v)) => v.as_slice(),
        _ => &[],
    };
    let mut p = Periods {
        from_as_of: earlier.table.as_of,
        to_as_of: later.table.as_of,
        lapse_days,
        tiers: tiers.to_vec(),
        migration,
        graduated: Group::default(),
        slipped: Group::default(),
        stayed: Group::default(),
        new: Group::default(),
        lapsed: Group::default(),
        lapsed_and_slipped: Group::default(),
        name_columns: Vec::new(),
        largest_graduations: Vec::new(),
        largest_slips: Vec::new(),
    };
    for i in 0..ids.len() {
        let (b, a, r, s) = (before[i], later.tiers[i], revenue[i], since[i]);
        let group = match b {
            _ if b == new_row => &mut p.new,
            _ if a < b => &mut p.graduated,
            _ if a > b => &mut p.slipped,
            _ => &mut p.stayed,
        };
        group.add(r, s);
        let days = recency.get(i).copied().unwrap_or(EMPTY_INT);
        if days == EMPTY_INT || days >= lapse_days {
            p.lapsed.add(r, s);
            if b != new_row && a > b {
                p.lapsed_and_slipped.add(r, s);
            }
        }
    }
    let names = name_columns(later.table);
    p.name_columns = names
        .iter()
        .map(|&c| later.table.columns[c].name.clone())
        .collect();
    let named = |up: bool| -> Vec<NamedMove> {
        p.migration
            .moved
            .iter()
            .filter(|m| m.up == up)
            .take(largest)
            .map(|m| {
                let i = ids
                    .binary_search(&m.id)
                    .expect("a moved customer is a customer");
                NamedMove {
                    id: m.id.clone(),
                    names: names
                        .iter()
                        .map(|&c| match &later.table.columns[c].column {
                            Column::Text(v) => v[i].clone(),
                            _ => None,
                        })
                        .collect(),
                    from: m.from.clone(),
                    to: m.to.clone(),
                    revenue: m.revenue,
                    revenue_since: since[i],
                }
            })
            .collect()
    };
    p.largest_graduations = named(true);
    p.largest_slips = named(false);
    p
}

/// The `lapse_days` param when the policy declares it (a whole number of days, at least 1),
/// else [`LAPSE_DAYS`]; a problem at the param when it is something else.
pub fn lapse_days(params: &[Param]) -> Result<i64, Diagnostic> {
    let Some(p) = params.iter().find(|p| p.name == "lapse_days") else {
        return Ok(LAPSE_DAYS);
    };
    match p.value {
        ParamValue::Int(d) if d >= 1 => Ok(d),
        ParamValue::Float(d) if d >= 1.0 && d.fract() == 0.0 && d < 1e9 => Ok(d as i64),
        _ => Err(Diagnostic::at(
            p.origin.clone(),
            "param `lapse_days`: `--compare-as-of` reads it as the days without a purchase after which a customer counts as lapsed, but it is not a whole number of days of at least 1",
        )
        .code("policy/bad-value")
        .with_help("write a whole number such as `lapse_days: 365`, or leave the param out for 365 days")),
    }
}

/// Serialises cents as a JSON number with two decimals.
pub(crate) fn cents<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    use std::str::FromStr;
    serde_json::Number::from_str(&crate::data::format_cents(*v))
        .map_err(serde::ser::Error::custom)?
        .serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn counts_every_pair_and_lists_the_moves() {
        let ids = names(&["a", "b", "c", "d", "e"]);
        let revenue = [500, 300, 300, 100, 50];
        let tiers = names(&["First", "Business", "Economy"]);
        let before = [1, 1, 0, 2, 2];
        let after = [0, 1, 1, 2, 1];
        let m = migration(&ids, &revenue, &before, &after, &tiers, &tiers);
        // An independent count of the pairs.
        let mut expected = std::collections::BTreeMap::new();
        for i in 0..5 {
            let e = expected
                .entry((before[i], after[i]))
                .or_insert((0u64, 0i64));
            e.0 += 1;
            e.1 += revenue[i];
        }
        assert_eq!(m.matrix.len(), expected.len());
        for ((b, a), (n, r)) in expected {
            let cell = m
                .matrix
                .iter()
                .find(|c| c.from == tiers[b as usize] && c.to == tiers[a as usize])
                .unwrap();
            assert_eq!((cell.customers, cell.revenue), (n, r));
        }
        let order: Vec<&str> = m.moved.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(order, ["a", "c", "e"]);
        assert!(m.moved[0].up && !m.moved[1].up && m.moved[2].up);
        assert_eq!(m.total(true), (2, 550));
        assert_eq!(m.total(false), (1, 300));
    }

    #[test]
    fn renamed_and_added_tiers_rank_by_name_then_position() {
        let ids = names(&["a", "b"]);
        let before_tiers = names(&["Gold", "Rest"]);
        let after_tiers = names(&["Platinum", "Gold", "Rest"]);
        let m = migration(
            &ids,
            &[10, 20],
            &[0, 1],
            &[1, 0],
            &before_tiers,
            &after_tiers,
        );
        // a stays Gold (same name: no move); b goes Rest -> Platinum (up).
        assert_eq!(m.moved.len(), 1);
        assert_eq!(m.moved[0].id, "b");
        assert!(m.moved[0].up);
        let json = serde_json::to_string(&m.matrix[0]).unwrap();
        assert_eq!(
            json,
            r#"{"from":"Gold","to":"Gold","customers":1,"revenue":0.10}"#
        );
    }

    #[test]
    fn lapse_days_is_the_param_when_declared_and_365_otherwise() {
        use crate::error::Origin;
        let param = |value| Param {
            name: "lapse_days".into(),
            value,
            origin: Origin::file("powerbase.yaml"),
        };
        assert_eq!(lapse_days(&[]), Ok(LAPSE_DAYS));
        assert_eq!(lapse_days(&[param(ParamValue::Int(180))]), Ok(180));
        assert_eq!(lapse_days(&[param(ParamValue::Float(90.0))]), Ok(90));
        for bad in [
            ParamValue::Int(0),
            ParamValue::Float(0.5),
            ParamValue::Text("180".into()),
        ] {
            let d = lapse_days(&[param(bad)]).unwrap_err();
            assert_eq!(d.code, "policy/bad-value");
            assert!(d.origin.is_some());
        }
    }
}
