//! What the RFM grid shows on this data, for the report's words: how many customers each score
//! holds (an empty score is named, not hidden), the tie that empties it, and the two corners a
//! consultant acts on (frequent buyers who still buy, frequent buyers who stopped).

use serde::Serialize;

use super::{ratio, share_of, Money};
use crate::analysis::{Rfm, Tie};

/// The grid's story in figures.
#[derive(Debug, Clone, Serialize)]
pub struct RfmSummary {
    /// Recency scores (from `recency_days`; 5 = most recent).
    pub recency: Scores,
    /// Frequency scores (from `purchase_days`; 5 = most purchase days).
    pub frequency: Scores,
    /// Recency 4-5 and frequency 4-5: frequent buyers who still buy.
    pub keep: Corner,
    /// Recency 1-2 and frequency 4-5: frequent buyers who stopped buying.
    pub win_back: Corner,
    /// The window of a recent purchase, in days before the as-of date.
    pub recent_days: i64,
    /// Customers who bought within it.
    pub recent_customers: usize,
    /// Their share of all customers.
    pub recent_share: f64,
}

/// How one score spreads the customers.
#[derive(Debug, Clone, Serialize)]
pub struct Scores {
    /// The metric scored.
    pub metric: &'static str,
    /// Customers with score 1..5.
    pub customers: [u64; 5],
    /// The scores no customer has, e.g. `[2]`.
    pub empty: Vec<u8>,
    /// The most common value of the metric (days).
    pub largest_tie: Option<i64>,
    /// Customers with that value.
    pub largest_tie_customers: usize,
    /// Their share of all customers.
    pub largest_tie_share: f64,
    /// Whether that tie holds more than a fifth of the customers, so no cut can split it and
    /// the scores are not fifths of the base.
    pub tie_breaks_fifths: bool,
}

/// Customers of some cells of the grid.
#[derive(Debug, Clone, Serialize)]
pub struct Corner {
    /// How many.
    pub customers: u64,
    /// Their share of all customers.
    pub customer_share: f64,
    /// Their revenue.
    pub revenue: Money,
    /// Its share of total revenue (NaN when that is not positive).
    pub revenue_share: f64,
}

/// The summary of `rfm` for `customers` customers and `total` revenue (cents).
pub fn summary(rfm: &Rfm, customers: usize, total: i64) -> RfmSummary {
    let g = &rfm.grid;
    let recency: [u64; 5] = std::array::from_fn(|r| g[r].iter().map(|c| c.customers).sum());
    let frequency: [u64; 5] = std::array::from_fn(|f| g.iter().map(|row| row[f].customers).sum());
    let corner = |rows: [usize; 2], cols: [usize; 2]| {
        let cells = rows
            .iter()
            .flat_map(|&r| cols.iter().map(move |&f| g[r][f]));
        let (n, revenue) = cells.fold((0, 0), |(n, rev), c| (n + c.customers, rev + c.revenue));
        Corner {
            customers: n,
            customer_share: share(n as usize, customers),
            revenue: Money(revenue),
            revenue_share: share_of(ratio(revenue, total), total),
        }
    };
    RfmSummary {
        recency: scores("recency_days", recency, rfm.recency_tie, customers),
        frequency: scores("purchase_days", frequency, rfm.frequency_tie, customers),
        keep: corner([3, 4], [3, 4]),
        win_back: corner([0, 1], [3, 4]),
        recent_days: crate::analysis::rfm::RECENT_DAYS,
        recent_customers: rfm.recent_customers,
        recent_share: share(rfm.recent_customers, customers),
    }
}

fn scores(metric: &'static str, counts: [u64; 5], tie: Option<Tie>, customers: usize) -> Scores {
    let tie_share = tie.map_or(0.0, |t| share(t.customers, customers));
    Scores {
        metric,
        customers: counts,
        empty: (1..=5u8).filter(|&s| counts[s as usize - 1] == 0).collect(),
        largest_tie: tie.map(|t| t.value),
        largest_tie_customers: tie.map_or(0, |t| t.customers),
        largest_tie_share: tie_share,
        tie_breaks_fifths: tie_share > 0.2,
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole > 0 {
        part as f64 / whole as f64
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::RfmCell;

    #[test]
    fn empty_scores_ties_and_corners_come_from_the_grid() {
        let mut grid = [[RfmCell::default(); 5]; 5];
        // r5 f5: 2 customers, 900; r1 f4: 1 customer, 100; r3 f1: 7 customers, 0.
        grid[4][4] = RfmCell {
            customers: 2,
            revenue: 900,
        };
        grid[0][3] = RfmCell {
            customers: 1,
            revenue: 100,
        };
        grid[2][0] = RfmCell {
            customers: 7,
            revenue: 0,
        };
        let rfm = Rfm {
            grid,
            recency_tie: Some(Tie {
                value: 30,
                customers: 2,
            }),
            frequency_tie: Some(Tie {
                value: 1,
                customers: 7,
            }),
            recent_customers: 9,
        };
        let s = summary(&rfm, 10, 1000);
        assert_eq!(s.frequency.customers, [7, 0, 0, 1, 2]);
        assert_eq!(s.frequency.empty, vec![2, 3]);
        assert_eq!(s.recency.customers, [1, 0, 7, 0, 2]);
        assert!(s.frequency.tie_breaks_fifths);
        assert!(!s.recency.tie_breaks_fifths);
        assert_eq!((s.keep.customers, s.keep.revenue), (2, Money(900)));
        assert_eq!((s.win_back.customers, s.win_back.revenue), (1, Money(100)));
        assert!((s.win_back.revenue_share - 0.1).abs() < 1e-12);
        assert!((s.recent_share - 0.9).abs() < 1e-12);
    }
}
