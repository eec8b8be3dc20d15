//! Arithmetic that gives the same bits on every platform: logarithm and exponential from IEEE
//! basic operations (exactly rounded everywhere) instead of the platform's libm, ChaCha8 draws,
//! integer formatting, and civil dates.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

const LN2: f64 = std::f64::consts::LN_2;

/// Natural logarithm from basic operations only (portable bit-for-bit). `x` must be a positive
/// normal number.
pub fn ln(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52)); // [1, 2)
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    // ln(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.172
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut k = 1.0;
    for _ in 0..12 {
        sum += term / k;
        term *= s2;
        k += 2.0;
    }
    e as f64 * LN2 + 2.0 * sum
}

/// Exponential from basic operations only (portable bit-for-bit), for |x| < 700.
pub fn exp(x: f64) -> f64 {
    // Cody-Waite reduction (fdlibm's split of ln 2: k * LN2_HI is exact for |k| < 2048).
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000); // 6.93147180369123816490e-01
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76); // 1.90821492927058770002e-10
    let k = (x / LN2).round();
    let r = (x - k * LN2_HI) - k * LN2_LO; // |r| <= 0.35
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in 1..=20 {
        term *= r / i as f64;
        sum += term;
    }
    sum * f64::from_bits(((k as i64 + 1023) as u64) << 52)
}

/// Uniform in [0, 1).
pub fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Standard normal (Marsaglia's polar method; needs only ln and sqrt, both portable here).
pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    loop {
        let u = 2.0 * unit(rng) - 1.0;
        let v = 2.0 * unit(rng) - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            return u * (-2.0 * ln(s) / s).sqrt();
        }
    }
}

/// Log-normal with the given median and log-scale spread.
pub fn lognormal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> f64 {
    median * exp(sigma * normal(rng))
}

/// Uniform integer in 0..n (n > 0), Lemire's multiply-shift (negligible bias, portable).
pub fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

/// Uniform integer in lo..=hi.
pub fn between(rng: &mut ChaCha8Rng, lo: i64, hi: i64) -> i64 {
    lo + below(rng, (hi - lo + 1) as u64) as i64
}

/// True with probability `p`.
pub fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    unit(rng) < p
}

/// An index drawn with the given integer weights.
pub fn pick(rng: &mut ChaCha8Rng, weights: &[u64]) -> usize {
    let mut r = below(rng, weights.iter().sum());
    for (i, &w) in weights.iter().enumerate() {
        if r < w {
            return i;
        }
        r -= w;
    }
    unreachable!("weights sum to more than r")
}

/// Poisson with mean `lambda` (Knuth's product of uniforms; fine for lambda below ~30).
pub fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u64 {
    let limit = exp(-lambda);
    let mut k = 0;
    let mut p = unit(rng);
    while p > limit {
        k += 1;
        p *= unit(rng);
    }
    k
}

/// Money in cents from an amount in currency units, at least one cent.
pub fn cents(units: f64) -> i64 {
    ((units * 100.0).round() as i64).max(1)
}

/// Appends `v` in decimal, zero-padded to `width` digits.
pub fn push_int(out: &mut Vec<u8>, mut v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let digits = buf.len() - i;
    for _ in digits..width {
        out.push(b'0');
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends cents as a decimal amount with two decimals (`-12.05`).
pub fn push_cents(out: &mut Vec<u8>, cents: i64) {
    if cents < 0 {
        out.push(b'-');
    }
    let a = cents.unsigned_abs();
    push_int(out, a / 100, 1);
    out.push(b'.');
    push_int(out, a % 100, 2);
}

/// Year, month, day of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Appends a day as an ISO date (`2024-01-31`).
pub fn push_date(out: &mut Vec<u8>, day: i64) {
    let (y, m, d) = civil_from_days(day);
    push_int(out, y as u64, 4);
    out.push(b'-');
    push_int(out, m as u64, 2);
    out.push(b'-');
    push_int(out, d as u64, 2);
}

/// The same day `months` months after `day` (clamped to the month's last day).
pub fn add_months(day: i64, months: i64) -> i64 {
    let (y, m, d) = civil_from_days(day);
    let index = y * 12 + (m - 1) + months;
    let (ny, nm) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    let last = days_from_civil(ny + i64::from(nm == 12), nm % 12 + 1, 1) - 1;
    days_from_civil(ny, nm, d).min(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_math_is_accurate() {
        for x in [1e-300, 0.001, 0.5, 1.0, 1.5, 2.0, 18.0, 1e10, 1e300] {
            let rel = (ln(x) - x.ln()).abs() / x.ln().abs().max(1.0);
            assert!(rel < 1e-14, "ln {x}");
        }
        for x in [-700.0, -10.0, -1.0, 0.0, 0.3, 1.0, 5.5, 300.0] {
            assert!((exp(x) - x.exp()).abs() / x.exp() < 1e-14, "exp {x}");
        }
        assert_eq!(civil_from_days(19_358), (2023, 1, 1));
        assert_eq!(civil_from_days(19_358 + 730), (2024, 12, 31));
        assert_eq!(days_from_civil(2023, 1, 1), 19_358);
        assert_eq!(
            days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28),
            2
        );
        let jan31 = days_from_civil(2024, 1, 31);
        assert_eq!(civil_from_days(add_months(jan31, 1)), (2024, 2, 29));
        assert_eq!(civil_from_days(add_months(jan31, 11)), (2024, 12, 31));
        assert_eq!(civil_from_days(add_months(jan31, 12)), (2025, 1, 31));
    }
}
