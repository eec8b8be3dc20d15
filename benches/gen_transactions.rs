//! Seeded benchmark data: a transaction export with heavy-tailed customer spend.
//!
//! ```text
//! cargo run --release --example gen-transactions -- --rows 10000000 --out PATH [--seed 42]
//! ```
//!
//! Writes `customer_id,date,quantity,amount,cost` rows sorted by date over 2023-01-01..2024-12-31
//! (busier in the weeks before Christmas), about 10 rows per customer (`rows / 10` customers, ids
//! `C0000001`...). Each customer has a log-normal spend level and a log-normal purchase frequency,
//! so the top 20% of customers hold roughly two thirds of revenue. Quantities are mostly 1-2 (up to
//! 10), cost is 40-90% of the amount, about 1.5% of rows are refunds (negative amount, quantity and
//! cost) and about 0.4% have a zero amount.
//!
//! The bytes are identical on every platform: ChaCha8 for randomness, integer arithmetic where
//! possible, and logarithm/exponential written here from IEEE basic operations (which are exactly
//! rounded everywhere) instead of the platform's libm. Prints only a one-line summary on stderr.

use std::io::Write;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const LN2: f64 = std::f64::consts::LN_2;

/// Natural logarithm from basic operations only (portable bit-for-bit). `x` must be a positive
/// normal number.
fn ln(x: f64) -> f64 {
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
fn exp(x: f64) -> f64 {
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
fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Standard normal (Marsaglia's polar method; needs only ln and sqrt, both portable here).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    loop {
        let u = 2.0 * unit(rng) - 1.0;
        let v = 2.0 * unit(rng) - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            return u * (-2.0 * ln(s) / s).sqrt();
        }
    }
}

/// Uniform integer in 0..n (n > 0), Lemire's multiply-shift (negligible bias, portable).
fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

fn push_int(out: &mut Vec<u8>, mut v: u64, width: usize) {
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

fn push_cents(out: &mut Vec<u8>, cents: i64) {
    if cents < 0 {
        out.push(b'-');
    }
    let a = cents.unsigned_abs();
    push_int(out, a / 100, 1);
    out.push(b'.');
    push_int(out, a % 100, 2);
}

struct Args {
    rows: u64,
    out: String,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut rows = None;
    let mut out = None;
    let mut seed = 42;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--rows" => rows = Some(value()?.parse().map_err(|e| format!("--rows: {e}"))?),
            "--out" => out = Some(value()?),
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        rows: rows.ok_or("--rows N is required")?,
        out: out.ok_or("--out PATH is required")?,
        seed,
    })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "gen-transactions: {e}\nusage: gen-transactions --rows N --out PATH [--seed 42]"
            );
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let customers = (args.rows / 10).max(1);
    let id_width = customers.to_string().len().max(7);

    // Per customer: a spend level (unit price, dollars) and a purchase frequency weight.
    let mut level = Vec::with_capacity(customers as usize);
    let mut cumulative = Vec::with_capacity(customers as usize);
    let mut total_weight = 0u64;
    for _ in 0..customers {
        level.push(exp(ln(18.0) + 1.0 * normal(&mut rng)).clamp(0.5, 5_000.0));
        let w = exp(0.8 * normal(&mut rng));
        total_weight += (w * 1024.0) as u64 + 1;
        cumulative.push(total_weight);
    }

    // A guide table makes picking a customer O(1) on average: guide[b] is the first customer
    // whose cumulative weight exceeds b * total / guide_len.
    let guide_len = customers as usize;
    let mut guide = Vec::with_capacity(guide_len);
    let mut j = 0usize;
    for b in 0..guide_len {
        let threshold = (u128::from(total_weight) * b as u128 / guide_len as u128) as u64;
        while cumulative[j] <= threshold {
            j += 1;
        }
        guide.push(j as u32);
    }

    // Days 2023-01-01..=2024-12-31 (731 days); rows per day decided first so output is sorted.
    const FIRST: i64 = 19_358; // 2023-01-01 as days since 1970-01-01
    const DAYS: usize = 731;
    let mut dates = Vec::with_capacity(DAYS);
    let mut day_weight = Vec::with_capacity(DAYS);
    for d in 0..DAYS as i64 {
        let (y, m, dd) = civil_from_days(FIRST + d);
        dates.push(format!("{y:04}-{m:02}-{dd:02}"));
        // Weekends a little busier, the Christmas season (Nov 15 - Dec 24) twice as busy.
        let weekend = matches!((FIRST + d + 3).rem_euclid(7), 5 | 6);
        let season = (m == 11 && dd >= 15) || (m == 12 && dd <= 24);
        day_weight.push(10 + u64::from(weekend) * 2 + u64::from(season) * 10);
    }
    let mut day_cumulative = Vec::with_capacity(DAYS);
    let mut acc = 0;
    for w in &day_weight {
        acc += w;
        day_cumulative.push(acc);
    }
    let mut per_day = vec![0u64; DAYS];
    for _ in 0..args.rows {
        let r = below(&mut rng, acc);
        per_day[day_cumulative.partition_point(|&c| c <= r)] += 1;
    }

    let file = match std::fs::File::create(&args.out) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("gen-transactions: cannot create {}: {e}", args.out);
            std::process::exit(1);
        }
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut line = Vec::with_capacity(1 << 16);
    line.extend_from_slice(b"customer_id,date,quantity,amount,cost\n");
    let mut written = 0u64;
    for (d, &n) in per_day.iter().enumerate() {
        for _ in 0..n {
            let r = below(&mut rng, total_weight);
            let mut c = guide
                [(u128::from(r) * guide_len as u128 / u128::from(total_weight)) as usize]
                as usize;
            while cumulative[c] <= r {
                c += 1;
            }
            let q = match below(&mut rng, 100) {
                0..=54 => 1,
                55..=79 => 2,
                80..=89 => 3,
                90..=94 => 4,
                95..=97 => 5,
                _ => 6 + below(&mut rng, 5) as i64,
            };
            let unit_cents = ((level[c] * (0.7 + 0.6 * unit(&mut rng))) * 100.0)
                .round()
                .max(1.0) as i64;
            let mut amount = unit_cents * q;
            let mut cost = amount * (400 + below(&mut rng, 501) as i64) / 1000;
            let mut quantity = q;
            match below(&mut rng, 1000) {
                0..=14 => {
                    amount = -amount;
                    cost = -cost;
                    quantity = -quantity;
                }
                15..=18 => amount = 0,
                _ => {}
            }
            line.push(b'C');
            push_int(&mut line, c as u64 + 1, id_width);
            line.push(b',');
            line.extend_from_slice(dates[d].as_bytes());
            line.push(b',');
            if quantity < 0 {
                line.push(b'-');
            }
            push_int(&mut line, quantity.unsigned_abs(), 1);
            line.push(b',');
            push_cents(&mut line, amount);
            line.push(b',');
            push_cents(&mut line, cost);
            line.push(b'\n');
            written += 1;
            if line.len() > (1 << 16) - 128 {
                out.write_all(&line).expect("write failed");
                line.clear();
            }
        }
    }
    out.write_all(&line).expect("write failed");
    out.flush().expect("write failed");
    eprintln!(
        "gen-transactions: {written} rows, {customers} customers, seed {}, {} in {:.2}s",
        args.seed,
        args.out,
        started.elapsed().as_secs_f64()
    );
}

/// Year, month, day of days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
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
    }
}
