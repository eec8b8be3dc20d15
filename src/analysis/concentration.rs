//! Revenue concentration: the 80/20 figures, the Gini coefficient and the Lorenz-style curve.

use serde::Serialize;

/// How concentrated revenue is among customers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Concentration {
    /// Share of revenue held by the top ceil(20% of N) customers by revenue.
    pub top20_share: f64,
    /// The number of customers in that top 20%.
    pub top20_customers: usize,
    /// How many customers (largest first) it takes to reach 80% of revenue.
    pub customers_for_80: usize,
    /// That number as a share of all customers.
    pub customer_share_for_80: f64,
    /// Gini coefficient of customer revenue: sum over ordered pairs |x_i - x_j| / (2 n^2 mean).
    pub gini: f64,
}

/// Concentration figures of customer revenue (cents, sorted largest first), computed exactly in
/// integers where it matters.
pub fn concentration(desc: &[i64]) -> Concentration {
    debug_assert!(
        desc.windows(2).all(|w| w[0] >= w[1]),
        "sorted largest first"
    );
    let n = desc.len();
    let total: i128 = desc.iter().map(|&c| c as i128).sum();
    let top20_customers = (n as u128 * 2).div_ceil(10) as usize;
    let top: i128 = desc[..top20_customers].iter().map(|&c| c as i128).sum();
    let (top20_share, customers_for_80, gini) = if total > 0 {
        let mut running = 0i128;
        let mut k = n;
        for (i, &c) in desc.iter().enumerate() {
            running += c as i128;
            // running / total >= 0.8, exactly: 10 * running >= 8 * total
            if 10 * running >= 8 * total {
                k = i + 1;
                break;
            }
        }
        // Ascending order: sum_i x_i (2i - n + 1) counts every pair difference once; the ordered-pair
        // sum is twice that, and the 2 cancels against the 2 in the denominator.
        let weighted: i128 = desc
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &x)| x as i128 * (2 * i as i128 - n as i128 + 1))
            .sum();
        let gini = weighted as f64 / (n as f64 * total as f64);
        (top as f64 / total as f64, k, gini)
    } else {
        (0.0, 0, 0.0)
    };
    Concentration {
        top20_share,
        top20_customers,
        customers_for_80,
        customer_share_for_80: if n > 0 {
            customers_for_80 as f64 / n as f64
        } else {
            0.0
        },
        gini,
    }
}

/// The concentration curve: (share of customers, cumulative share of revenue), from (0, 0) to
/// (1, 1), with at most about `max_points` points. `desc` is customer revenue (cents), largest first.
pub fn pareto_curve(desc: &[i64], max_points: usize) -> Vec<(f64, f64)> {
    debug_assert!(
        desc.windows(2).all(|w| w[0] >= w[1]),
        "sorted largest first"
    );
    let n = desc.len();
    let total: i128 = desc.iter().map(|&c| c as i128).sum();
    let mut points = vec![(0.0, 0.0)];
    if n == 0 || total <= 0 {
        points.push((1.0, 1.0));
        return points;
    }
    let step = (n / max_points.max(1)).max(1);
    let mut running = 0i128;
    for (i, &c) in desc.iter().enumerate() {
        running += c as i128;
        if (i + 1) % step == 0 || i + 1 == n {
            points.push(((i + 1) as f64 / n as f64, running as f64 / total as f64));
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_customers_have_no_concentration() {
        let c = concentration(&[100; 10]);

        assert_eq!(c.gini, 0.0);
        assert_eq!(c.top20_customers, 2);
        assert!((c.top20_share - 0.2).abs() < 1e-12);
        assert_eq!(c.customers_for_80, 8);
    }

    #[test]
    fn gini_matches_the_pair_definition() {
        let x = [1000i64, 600, 300, 100, 5, 0];
        let n = x.len() as f64;
        let mean = x.iter().sum::<i64>() as f64 / n;
        let mut pairs = 0.0;
        for a in x {
            for b in x {
                pairs += (a - b).abs() as f64;
            }
        }
        let expected = pairs / (2.0 * n * n * mean);
        assert!((concentration(&x).gini - expected).abs() < 1e-12);
    }

    #[test]
    fn one_customer_with_everything() {
        let c = concentration(&[1000, 0, 0, 0, 0]);
        assert_eq!(c.top20_share, 1.0);
        assert_eq!(c.customers_for_80, 1);
        assert!((c.gini - 0.8).abs() < 1e-12);
    }

    #[test]
    fn curve_runs_from_origin_to_one() {
        let p = pareto_curve(&[5, 3, 1, 1], 100);
        assert_eq!(p.first(), Some(&(0.0, 0.0)));
        assert_eq!(p.last(), Some(&(1.0, 1.0)));
        assert_eq!(p[1], (0.25, 0.5));
    }
}
