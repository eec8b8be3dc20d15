//! How customers move between tiers from one evaluation to another: a what-if against the
//! current policy, two revisions of the policy, or two as-of dates. One matrix serves all three.

use serde::Serialize;

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
}
