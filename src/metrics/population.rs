//! Figures over all customers: percentiles, 1-5 scores, cumulative shares. Each works on a column
//! of any origin (built-in, attribute or derived), so expressions and reports share one definition.
//! Sorts and per-customer passes run on rayon's pool.

use rayon::prelude::*;

use super::column::{Column, EMPTY_INT};

/// Rows per rayon task in per-customer passes.
const MIN_LEN: usize = 1 << 14;

/// The non-empty numbers of a column (money in currency units), in row order.
fn numbers(column: &Column) -> Vec<f64> {
    (0..column.len())
        .into_par_iter()
        .with_min_len(MIN_LEN)
        .filter_map(|i| column.number(i))
        .collect()
}

/// The non-empty numbers of a column, sorted ascending (money in currency units).
pub fn sorted_numbers(column: &Column) -> Vec<f64> {
    let mut values = numbers(column);
    values.par_sort_unstable_by(f64::total_cmp);
    values
}

/// The `p`-th quantile of `len` ascending values read through `at`; see [`percentile`].
fn percentile_at(len: usize, p: f64, mut at: impl FnMut(usize) -> f64) -> Option<f64> {
    if len == 0 || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (len - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(len - 1);
    let frac = h - lo as f64;
    Some(if frac == 0.0 {
        at(lo)
    } else {
        let low = at(lo);
        low + frac * (at(hi) - low)
    })
}

/// The `p`-th quantile (0..=1) of ascending `sorted` values, interpolating linearly between order
/// statistics (the common "type 7" definition). `None` for no values or `p` outside 0..=1.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    percentile_at(sorted.len(), p, |i| sorted[i])
}

/// The score quantiles.
const QUINTILES: [f64; 4] = [0.2, 0.4, 0.6, 0.8];

/// The 20th, 40th, 60th and 80th percentiles: the cut points of the 1-5 scores.
pub fn quintile_cuts(sorted: &[f64]) -> Option<[f64; 4]> {
    Some([
        percentile(sorted, QUINTILES[0])?,
        percentile(sorted, QUINTILES[1])?,
        percentile(sorted, QUINTILES[2])?,
        percentile(sorted, QUINTILES[3])?,
    ])
}

/// [`quintile_cuts`] of unsorted values, by selection instead of a full sort: the same order
/// statistics, so the same cut points. Reorders `values`.
fn quintile_cuts_unsorted(values: &mut [f64]) -> Option<[f64; 4]> {
    let len = values.len();
    // The order statistics the percentiles read, ascending.
    let mut wanted: Vec<usize> = Vec::with_capacity(8);
    for p in QUINTILES {
        percentile_at(len, p, |i| {
            wanted.push(i);
            0.0
        })?;
    }
    wanted.sort_unstable();
    wanted.dedup();
    // After selecting rank k, everything after it is at least as large: select the next rank in
    // the rest.
    let mut found: Vec<(usize, f64)> = Vec::with_capacity(wanted.len());
    let mut start = 0;
    for &k in &wanted {
        let (_, v, _) = values[start..].select_nth_unstable_by(k - start, f64::total_cmp);
        found.push((k, *v));
        start = k + 1;
    }
    let at = |i: usize| {
        found
            .iter()
            .find(|(k, _)| *k == i)
            .map(|(_, v)| *v)
            .expect("selected")
    };
    Some([
        percentile_at(len, QUINTILES[0], at)?,
        percentile_at(len, QUINTILES[1], at)?,
        percentile_at(len, QUINTILES[2], at)?,
        percentile_at(len, QUINTILES[3], at)?,
    ])
}

/// 1-5 scores: 1 + the number of cut points the value beats (strictly above when higher is better,
/// strictly below otherwise). Equal values always get equal scores; empty values stay empty.
pub fn scores(column: &Column, higher_is_better: bool) -> Vec<i64> {
    let cuts = quintile_cuts_unsorted(&mut numbers(column));
    (0..column.len())
        .into_par_iter()
        .with_min_len(MIN_LEN)
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

/// The exact sum of a money (cents) or count column, in `i128`: adding `i64` values cannot
/// overflow it (it would take more than 2^64 of them). For totals over customers, whose sum may
/// leave the range of `i64` even when every customer's value is in it.
pub fn exact_total(values: &[i64]) -> i128 {
    values
        .par_iter()
        .with_min_len(MIN_LEN)
        .map(|&v| i128::from(v))
        .sum()
}

/// [`exact_total`] when it is in the range of `i64` (a money column's range), `None` otherwise.
pub fn checked_total(values: &[i64]) -> Option<i64> {
    i64::try_from(exact_total(values)).ok()
}

/// Whether every sum over any subset of `values` (a tier's, a segment's, the total) fits in an
/// `i64`: true when the sum of their absolute values does, so totals can then be added without
/// checks.
pub fn subset_sums_fit(values: &[i64]) -> bool {
    let abs: i128 = values
        .par_iter()
        .with_min_len(MIN_LEN)
        .map(|&v| i128::from(v).abs())
        .sum();
    abs <= i128::from(i64::MAX)
}

/// Visits customers ranked by revenue, largest first, ties by position: `visit(position, cents)`.
fn by_revenue(revenue_cents: &[i64], mut visit: impl FnMut(usize, i64)) {
    let n = revenue_cents.len();
    let Some(&max) = revenue_cents.par_iter().max() else {
        return;
    };
    let min = *revenue_cents.par_iter().min().expect("not empty");
    // One integer per customer whose ascending order is the ranking: the revenue below the
    // largest (so larger revenue comes first) above the position (so ties keep position order).
    // Both can be read back from it, so the ranked pass reads no other memory. It usually fits
    // 64 bits, which sort faster than 128.
    let position_bits = usize::BITS - n.leading_zeros();
    let cents = |below_max: u64| (i128::from(max) - i128::from(below_max)) as i64;
    if u64::BITS - max.abs_diff(min).leading_zeros() + position_bits <= 64 {
        let mut keys: Vec<u64> = revenue_cents
            .par_iter()
            .with_min_len(MIN_LEN)
            .enumerate()
            .map(|(i, &c)| max.abs_diff(c) << position_bits | i as u64)
            .collect();
        keys.par_sort_unstable();
        let mask = (1u64 << position_bits) - 1;
        for k in keys {
            visit((k & mask) as usize, cents(k >> position_bits));
        }
    } else {
        let mut keys: Vec<u128> = revenue_cents
            .par_iter()
            .with_min_len(MIN_LEN)
            .enumerate()
            .map(|(i, &c)| u128::from(max.abs_diff(c)) << 64 | i as u128)
            .collect();
        keys.par_sort_unstable();
        for k in keys {
            visit(k as u64 as usize, cents((k >> 64) as u64));
        }
    }
}

/// Customers ranked by revenue, largest first, ties by id (the order `ids` are in): the indices.
pub fn revenue_rank(revenue_cents: &[i64]) -> Vec<usize> {
    let mut order = Vec::with_capacity(revenue_cents.len());
    by_revenue(revenue_cents, |i, _| order.push(i));
    order
}

/// For each customer, the share of total revenue held by it and every customer ranked above it
/// (revenue descending, ties by id ascending). NaN for all when total revenue is not positive.
pub fn cumulative_share(ids: &[String], revenue_cents: &[i64]) -> Vec<f64> {
    debug_assert_eq!(ids.len(), revenue_cents.len());
    let total: i128 = revenue_cents.par_iter().map(|&c| c as i128).sum();
    let mut out = vec![f64::NAN; revenue_cents.len()];
    if total <= 0 {
        return out;
    }
    let total = total as f64;
    let mut running: i128 = 0;
    by_revenue(revenue_cents, |i, cents| {
        running += i128::from(cents);
        // Integer to float conversion rounds the exact value whatever the integer type; from
        // i64 it is one instruction, from i128 a library call.
        let r = match i64::try_from(running) {
            Ok(r) => r as f64,
            Err(_) => running as f64,
        };
        out[i] = r / total;
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_exact_beyond_i64() {
        let values = vec![i64::MAX; 40_000];
        assert_eq!(exact_total(&values), i128::from(i64::MAX) * 40_000);
        assert_eq!(checked_total(&values), None);
        assert_eq!(checked_total(&[i64::MAX, 1, -2]), Some(i64::MAX - 1));
        assert_eq!(checked_total(&[i64::MIN, -1]), None);
        assert_eq!(checked_total(&[]), Some(0));
    }

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
    /// A tiny deterministic generator (xorshift).
    fn numbers_from(seed: u64, n: usize, spread: u64) -> Vec<i64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ((x % spread) as i64).wrapping_sub((spread / 3) as i64)
            })
            .collect()
    }

    #[test]
    fn selected_cuts_are_the_sorted_cuts() {
        for n in (0..12).chain([97, 1000, 50_001]) {
            for spread in [1, 3, 1000, u64::MAX / 2] {
                let ints = numbers_from(n as u64 + spread, n, spread);
                let floats: Vec<f64> = ints.iter().map(|&v| v as f64 / 7.0).collect();
                let mut with_zeros = floats.clone();
                with_zeros.extend([0.0, -0.0, f64::NAN]);
                for col in [
                    Column::Int(ints.clone()),
                    Column::Money(ints.clone()),
                    Column::Float(floats.clone()),
                    Column::Float(with_zeros),
                ] {
                    let sorted = sorted_numbers(&col);
                    let expected = quintile_cuts(&sorted);
                    let got = quintile_cuts_unsorted(&mut numbers(&col));
                    assert_eq!(
                        expected.map(|c| c.map(f64::to_bits)),
                        got.map(|c| c.map(f64::to_bits))
                    );
                }
            }
        }
    }

    #[test]
    fn revenue_rank_is_descending_with_ties_in_order() {
        let mut cases: Vec<Vec<i64>> = vec![
            vec![],
            vec![5],
            vec![i64::MIN, i64::MAX, 0, -1, i64::MAX, i64::MIN],
            numbers_from(7, 10_000, 50),
            numbers_from(8, 10_000, u64::MAX),
        ];
        cases.push(cases[3].iter().map(|v| v * 1_000_000_000_000).collect());
        for revenue in cases {
            let mut expected: Vec<usize> = (0..revenue.len()).collect();
            expected.sort_by(|&a, &b| revenue[b].cmp(&revenue[a]));
            assert_eq!(revenue_rank(&revenue), expected);
        }
    }

    #[test]
    fn cumulative_share_adds_exactly_even_beyond_64_bits() {
        let big = i64::MAX / 2;
        let revenue = [big, big, big, -5, 3];
        let ids: Vec<String> = (0..revenue.len()).map(|i| i.to_string()).collect();
        let total = 3 * big as i128 - 2;
        let share = |running: i128| running as f64 / total as f64;
        let expected = vec![
            share(big as i128),
            share(2 * big as i128),
            share(3 * big as i128),
            share(total),
            share(3 * big as i128 + 3),
        ];
        assert_eq!(cumulative_share(&ids, &revenue), expected);
    }
}
