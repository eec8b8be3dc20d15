//! Fuzzes transaction ingest and everything downstream of it: the input is written as
//! `data/transactions.csv` of a small fixed policy (every optional column mapped, no as-of date so
//! the latest-date pass runs too, tiers by percentile and a param, checks, the built-in rules) and
//! the whole run is done in memory: as-of date, load, metrics, rules, analysis, and every output
//! file (CSV, JSON, Markdown, SVG, PDF). Bad data must come back as an error; nothing may panic.

#![no_main]

use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use powerbase::pipeline::{self, Prepared};

const POLICY: &str = r#"client: Fuzz
currency: EUR
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: id, date: date, amount: amount, cost: cost, quantity: qty, order_id: order, product: product, channel: channel }
include: [builtin/rfm, builtin/data-quality]
params:
  min_orders: 2
metrics:
  cut: percentile("revenue", 0.8)
tiers:
  - name: First
    when: revenue >= cut
  - name: Business
    when: orders >= min_orders
  - name: Economy
checks:
  - name: net_refunds
    when: revenue < 0
    severity: warning
    message: Customers who got back more than they paid.
"#;

/// The policy, compiled once; each input gets its own workspace folder (see `fuzz_target!`).
fn prepared() -> &'static Mutex<Prepared> {
    static PREPARED: OnceLock<Mutex<Prepared>> = OnceLock::new();
    PREPARED.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("powerbase.yaml"), POLICY).expect("writing the policy");
        let prepared = pipeline::prepare(dir.path()).expect("the fixed policy compiles");
        Mutex::new(prepared)
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::create_dir(dir.path().join("data")).expect("making data/");
    std::fs::write(dir.path().join("data/transactions.csv"), data).expect("writing the data");
    let mut prepared = prepared().lock().unwrap_or_else(|e| e.into_inner());
    prepared.workspace.root = dir.path().to_path_buf();
    let Ok(as_of) = prepared.as_of(None, None) else {
        return;
    };
    let Ok(outcome) = prepared.evaluate(as_of, None) else {
        return;
    };
    // Every row read is either used or left out as after the as-of date (the latest date here).
    assert_eq!(outcome.stats.excluded_after_as_of, 0);
    assert_eq!(outcome.stats.rows_used, outcome.stats.rows_read);
    if let Err(e) = prepared.render(&outcome) {
        panic!("a run that loaded its data failed to render: {e}");
    }
});
