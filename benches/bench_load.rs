//! Times the loader on a generated file with a trivial aggregating sink.
//!
//! ```text
//! cargo run --release --example bench-load -- PATH [--as-of YYYY-MM-DD]
//! ```
//!
//! Without `--as-of`, pass 1 (`latest_day`) runs first and is timed separately.

use std::path::{Path, PathBuf};
use std::time::Instant;

use powerbase::data::{
    format_cents, latest_day, read_transactions, Day, Row, RowSink, TransactionColumns,
    TransactionSource,
};
use rustc_hash::FxHashMap;

/// Revenue and row count per customer.
#[derive(Default)]
struct Totals(FxHashMap<Box<str>, (i64, u32)>);

impl RowSink for Totals {
    fn push(&mut self, row: &Row<'_>) {
        if let Some(t) = self.0.get_mut(row.customer_id) {
            t.0 += row.amount;
            t.1 += 1;
        } else {
            self.0.insert(row.customer_id.into(), (row.amount, 1));
        }
    }
    fn merge(&mut self, other: Self) {
        if other.0.len() > self.0.len() {
            let mine = std::mem::replace(&mut self.0, other.0);
            return self.merge(Totals(mine));
        }
        self.0.reserve(other.0.len());
        for (k, (a, n)) in other.0 {
            let t = self.0.entry(k).or_default();
            t.0 += a;
            t.1 += n;
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(
        args.next()
            .expect("usage: bench-load PATH [--as-of YYYY-MM-DD]"),
    );
    let as_of = match (args.next().as_deref(), args.next()) {
        (Some("--as-of"), Some(d)) => Some(Day::parse_iso(&d).expect("--as-of YYYY-MM-DD")),
        _ => None,
    };
    let src = TransactionSource {
        path: path.clone(),
        columns: TransactionColumns {
            customer_id: "customer_id".into(),
            date: "date".into(),
            amount: "amount".into(),
            cost: Some("cost".into()),
            quantity: Some("quantity".into()),
            order_id: None,
            product: None,
            channel: None,
        },
        date_format: None,
        sheet: None,
        delimiter: None,
    };
    let ws = Path::new(".");
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let as_of = match as_of {
        Some(d) => d,
        None => {
            let t = Instant::now();
            let d = latest_day(&src, ws, None)
                .expect("latest_day")
                .expect("no rows");
            eprintln!("latest_day: {d} in {:.3}s", t.elapsed().as_secs_f64());
            d
        }
    };
    if std::env::var("BENCH_SINK").as_deref() == Ok("inline") {
        // Ids up to 15 bytes stored inside the table (no pointer to chase), longer ones boxed.
        #[derive(Hash, PartialEq, Eq)]
        enum Key {
            Inline([u8; 15], u8),
            Heap(Box<str>),
        }
        fn key(id: &str) -> Key {
            if id.len() <= 15 {
                let mut k = [0u8; 15];
                k[..id.len()].copy_from_slice(id.as_bytes());
                Key::Inline(k, id.len() as u8)
            } else {
                Key::Heap(id.into())
            }
        }
        #[derive(Default)]
        struct Inline(FxHashMap<Key, (i64, u32)>);
        impl RowSink for Inline {
            fn push(&mut self, row: &Row<'_>) {
                let t = self.0.entry(key(row.customer_id)).or_default();
                t.0 += row.amount;
                t.1 += 1;
            }
            fn merge(&mut self, other: Self) {
                if other.0.len() > self.0.len() {
                    let mine = std::mem::replace(&mut self.0, other.0);
                    return self.merge(Inline(mine));
                }
                for (k, (a, n)) in other.0 {
                    let t = self.0.entry(k).or_default();
                    t.0 += a;
                    t.1 += n;
                }
            }
        }
        let t = Instant::now();
        let (m, stats) = read_transactions(&src, ws, as_of, Inline::default, None).expect("read");
        let secs = t.elapsed().as_secs_f64();
        eprintln!(
            "read_transactions (inline-key sink): {} rows, {} customers, {secs:.3}s = {:.2}M rows/s",
            stats.rows_read,
            m.0.len(),
            stats.rows_read as f64 / secs / 1e6
        );
        return;
    }
    if std::env::var("BENCH_SINK").as_deref() == Ok("none") {
        // Parsing and validation only: a sink that keeps a checksum.
        #[derive(Default)]
        struct Sum(i64);
        impl RowSink for Sum {
            fn push(&mut self, row: &Row<'_>) {
                self.0 += row.amount + row.customer_id.len() as i64;
            }
            fn merge(&mut self, other: Self) {
                self.0 += other.0;
            }
        }
        let t = Instant::now();
        let (sum, stats) = read_transactions(&src, ws, as_of, Sum::default, None).expect("read");
        let secs = t.elapsed().as_secs_f64();
        eprintln!(
            "read_transactions (no-op sink): {} rows, checksum {}, {secs:.3}s = {:.2}M rows/s",
            stats.rows_read,
            sum.0,
            stats.rows_read as f64 / secs / 1e6
        );
        return;
    }
    let t = Instant::now();
    let (totals, stats) = read_transactions(&src, ws, as_of, Totals::default, None).expect("read");
    let secs = t.elapsed().as_secs_f64();
    let mut revenue: Vec<i64> = totals.0.values().map(|t| t.0).collect();
    revenue.sort_unstable_by(|a, b| b.cmp(a));
    let total: i64 = revenue.iter().sum();
    let top: i64 = revenue[..revenue.len() / 5].iter().sum();
    eprintln!(
        "read_transactions: {} rows ({} used, {} refunds, {} zero), {} customers, revenue {}, \
         top 20% hold {:.1}%, {:.3}s = {:.2}M rows/s, {:.0} MB/s, {} threads",
        stats.rows_read,
        stats.rows_used,
        stats.refund_rows,
        stats.zero_amount_rows,
        totals.0.len(),
        format_cents(total),
        100.0 * top as f64 / total as f64,
        secs,
        stats.rows_read as f64 / secs / 1e6,
        bytes as f64 / secs / 1e6,
        rayon::current_num_threads(),
    );
}
