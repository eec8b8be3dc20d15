//! Figures over all customers: percentiles, 1-5 scores, cumulative shares. Each works on a column
//! of any origin (built-in, attribute or derived), so expressions and reports share one definition.

use super::column::{Column, EMPTY_INT};

/// The non-empty numbers of a column, sorted ascending (money in currency units).
pub fn sorted_numbers(column: &Column) -> Vec<f64> {
    let mut values: Vec<f64> = (0..column.len()).filter_map(|i| column.number(i)).collect();
    values.sort_unstable_by(f64::total_cmp);
    values
}

/// The `p`-th quantile (0..=1) of ascending `sorted` values, interpolating linearly between order
/// statistics (the common "type 7" definition). `None` for no values or `p` outside 0..=1.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let frac = h - lo as f64;
    Some(if frac == 0.0 {
        sorted[lo]
    } else {
        sorted[lo] + frac * (sorted[hi] - sorted[lo])
    })
}

/// The 20th, 40th, 60th and 80th percentiles: the cut points of the 1-5 scores.
pub fn quintile_cuts(sorted: &[f64]) -> Option<[f64; 4]> {
    Some([
        percentile(sorted, 0.2)?,
        percentile(sorted, 0.4)?,
        percentile(sorted, 0.6)?,
        percentile(sorted, 0.8)?,
    ])
}

/// 1-5 scores: 1 + the number of cut points the value beats (strictly above when higher is better,
/// strictly below otherwise). Equal values always get equal scores; empty values stay empty.
pub fn scores(column: &Column, higher_is_better: bool) -> Vec<i64> {
    let cuts = quintile_cuts(&sorted_numbers(column));
    (0..column.len())
        .map(|i| match (column.number(i), cuts) {
            (Some(v), Some(cuts)) => {
                let beaten = cuts
                    .iter()
                    .filter(|&&c| if higher_is_better { v > c } else { v < c })
                    .count();
                1 + beaten as i64
            }
            _ => EMPTY_INT,
        })
        .collect()
}

/// Customers ranked by revenue, largest first, ties by id (the order `ids` are in): the indices.
pub fn revenue_rank(revenue_cents: &[i64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..revenue_cents.len()).collect();
    // Stable: equal revenue keeps id order, because the table is sorted by id.
    order.sort_by(|&a, &b| revenue_cents[b].cmp(&revenue_cents[a]));
    order
}

/// For each customer, the share of total revenue held by it and every customer ranked above it
/// (revenue descending, ties by id ascending). NaN for all when total revenue is not positive.
pub fn cumulative_share(ids: &[String], revenue_cents: &[i64]) -> Vec<f64> {
    debug_assert_eq!(ids.len(), revenue_cents.len());
    let total: i128 = revenue_cents.iter().map(|&c| c as i128).sum();
    let mut out = vec![f64::NAN; revenue_cents.len()];
    if total <= 0 {
        return out;
    }
    let mut running: i128 = 0;
    for i in revenue_rank(revenue_cents) {
        running += revenue_cents[i] as i128;
        out[i] = running as f64 / total as f64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_type_7() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&v, 1.0), Some(4.0));
        assert_eq!(percentile(&v, 0.5), Some(2.5));
        // R: quantile(c(1,2,3,4), 0.95, type = 7) = 3.85
        assert!((percentile(&v, 0.95).unwrap() - 3.85).abs() < 1e-12);
        assert_eq!(percentile(&[7.0], 0.3), Some(7.0));
        assert_eq!(percentile(&[], 0.3), None);
        assert_eq!(percentile(&v, 1.5), None);
    }

    #[test]
    fn scores_are_equal_for_equal_values() {
        let col = Column::Int(vec![1, 1, 1, 1, 1, 2, 3, 4, 5, 100]);
        let s = scores(&col, true);
        assert!(s[..5].iter().all(|&x| x == s[0]));
        assert_eq!(s[0], 1);
        assert_eq!(s[9], 5);
        let r = scores(&col, false);
        assert_eq!(r[9], 1, "the largest recency is the worst");
        // cut points: 1, 1, 2.4, 4.2; a recency of 1 is strictly below only 2.4 and 4.2
        assert_eq!(r[0], 3);
    }

    #[test]
    fn empty_values_get_no_score() {
        let col = Column::Int(vec![EMPTY_INT, 3, 4]);
        assert_eq!(scores(&col, true)[0], EMPTY_INT);
    }

    #[test]
    fn cumulative_share_ranks_ties_by_id() {
        let ids: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let s = cumulative_share(&ids, &[100, 300, 300, 300]);
        assert_eq!(s, vec![1.0, 0.3, 0.6, 0.9]);
        assert!(cumulative_share(&ids, &[0, 0, 0, 0])[0].is_nan());
    }
}
