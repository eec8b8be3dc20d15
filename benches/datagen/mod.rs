//! Seeded data for benchmarks and example workspaces, the same bytes on every platform.
//!
//! Shared by the `gen-transactions` example (`benches/gen_transactions.rs`) and by
//! `tests/examples.rs`, which regenerates the example workspaces' data in memory and compares it
//! with the files shipped in `examples/*/data/`. Each scenario writes a transaction export and a
//! customer attribute file from a ChaCha8 stream seeded by `--seed`.

pub mod b2b;
pub mod insurance;
pub mod portable;

/// A generated workspace's data files.
pub struct Dataset {
    /// `transactions.csv`.
    pub transactions: Vec<u8>,
    /// `customers.csv`.
    pub customers: Vec<u8>,
}

/// The scenarios by name, as `--scenario` takes them.
pub const SCENARIOS: [&str; 2] = ["insurance-agency", "b2b-services"];

/// The default `--seed`, which the data shipped in `examples/` was generated with.
pub const DEFAULT_SEED: u64 = 42;

/// Generates scenario `name` with `seed`; `None` for an unknown name.
pub fn scenario(name: &str, seed: u64) -> Option<Dataset> {
    match name {
        "insurance-agency" => Some(insurance::generate(seed)),
        "b2b-services" => Some(b2b::generate(seed)),
        _ => None,
    }
}
