//! Seeded benchmark data: a transaction export with heavy-tailed customer spend.
//!
//! ```text
//! cargo run --release --example gen-transactions -- --rows 10000000 --out PATH [--seed 42]
//! cargo run --release --example gen-transactions -- --scenario insurance-agency --out DIR [--seed 42]
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
//! rounded everywhere) instead of the platform's libm (`datagen/portable.rs`). Prints only a
//! one-line summary on stderr.
//!
//! With `--scenario NAME` it writes instead a whole example workspace's data into the folder
//! `--out`: `transactions.csv` and `customers.csv` of `insurance-agency` (an insurance agency's
//! commission payments, 2019-2024) or `b2b-services` (a services firm's invoices, 2022-2024); see
//! `datagen/`. `examples/insurance-agency/data` and `examples/b2b-services/data` are its output
//! with the default seed, and `tests/examples.rs` checks that they still are.

use std::io::Write;
use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[path = "datagen/mod.rs"]
mod datagen;

use datagen::portable::{below, civil_from_days, exp, ln, normal, push_cents, push_int, unit};

struct Args {
    rows: u64,
    out: String,
    seed: u64,
    scenario: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut rows = None;
    let mut out = None;
    let mut seed = datagen::DEFAULT_SEED;
    let mut scenario = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--rows" => rows = Some(value()?.parse().map_err(|e| format!("--rows: {e}"))?),
            "--out" => out = Some(value()?),
            "--scenario" => scenario = Some(value()?),
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    match (&scenario, rows) {
        (Some(_), Some(_)) => return Err("--rows does not apply to a --scenario".into()),
        (Some(name), None) if !datagen::SCENARIOS.contains(&name.as_str()) => {
            return Err(format!(
                "unknown scenario {name:?} (scenarios: {})",
                datagen::SCENARIOS.join(", ")
            ))
        }
        (None, None) => return Err("--rows N or --scenario NAME is required".into()),
        _ => {}
    }
    Ok(Args {
        rows: rows.unwrap_or(0),
        out: out.ok_or("--out PATH is required")?,
        seed,
        scenario,
    })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "gen-transactions: {e}\nusage: gen-transactions --rows N --out PATH [--seed 42]\n       gen-transactions --scenario NAME --out DIR [--seed 42]"
            );
            std::process::exit(2);
        }
    };
    if let Some(name) = &args.scenario {
        write_scenario(name, &args);
        return;
    }
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

/// Writes `transactions.csv` and `customers.csv` of scenario `name` into the folder `args.out`.
fn write_scenario(name: &str, args: &Args) {
    let started = Instant::now();
    let data = datagen::scenario(name, args.seed).expect("scenario names are checked");
    let dir = std::path::Path::new(&args.out);
    for (file, bytes) in [
        ("transactions.csv", &data.transactions),
        ("customers.csv", &data.customers),
    ] {
        if let Err(e) =
            std::fs::create_dir_all(dir).and_then(|()| std::fs::write(dir.join(file), bytes))
        {
            eprintln!(
                "gen-transactions: cannot write {}: {e}",
                dir.join(file).display()
            );
            std::process::exit(1);
        }
    }
    let rows = data.transactions.iter().filter(|&&b| b == b'\n').count() - 1;
    let customers = data.customers.iter().filter(|&&b| b == b'\n').count() - 1;
    eprintln!(
        "gen-transactions: {name}, {rows} rows, {customers} customers, seed {}, {} in {:.2}s",
        args.seed,
        args.out,
        started.elapsed().as_secs_f64()
    );
}
