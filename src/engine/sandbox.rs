//! The Rhai engine user code runs in: no files, no modules, no `eval`, bounded operations, depth
//! and sizes, `print`/`debug` captured. Population functions are registered here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use rhai::module_resolvers::DummyModuleResolver;
use rhai::{Engine, EvalAltResult, Position, FLOAT, INT};

use crate::metrics::population;

/// Operations one evaluation may take (one expression for one customer, or a script's top level).
pub const MAX_OPERATIONS: u64 = 1_000_000;
/// Nested function calls.
pub const MAX_CALL_LEVELS: usize = 32;
/// Expression nesting.
pub const MAX_EXPR_DEPTH: usize = 64;
/// Characters in a string.
pub const MAX_STRING: usize = 64 * 1024;
/// Elements in an array or map.
pub const MAX_COLLECTION: usize = 10_000;
/// Lines of `print`/`debug` output kept.
pub const MAX_OUTPUT_LINES: usize = 200;

/// Sorted values of the metrics expressions ask population figures of, by metric name.
#[derive(Debug, Default)]
pub struct Populations {
    sorted: RwLock<HashMap<String, Arc<Vec<f64>>>>,
}

impl Populations {
    /// Makes `name`'s sorted values available to population functions.
    pub fn insert(&self, name: &str, sorted: Vec<f64>) {
        self.sorted
            .write()
            .expect("population lock")
            .insert(name.to_string(), Arc::new(sorted));
    }

    /// Whether `name` is available.
    pub fn contains(&self, name: &str) -> bool {
        self.sorted
            .read()
            .expect("population lock")
            .contains_key(name)
    }

    /// The sorted values of `name`, if they were made available.
    pub fn sorted(&self, name: &str) -> Option<Arc<Vec<f64>>> {
        self.sorted
            .read()
            .expect("population lock")
            .get(name)
            .cloned()
    }

    fn get(&self, name: &str) -> Result<Arc<Vec<f64>>, Box<EvalAltResult>> {
        self.sorted
            .read()
            .expect("population lock")
            .get(name)
            .cloned()
            .ok_or_else(|| {
                format!("no metric named \"{name}\" (population functions take a metric's name as a quoted literal)").into()
            })
    }
}

/// What scripts printed, in order, up to [`MAX_OUTPUT_LINES`].
pub type Output = Arc<Mutex<Vec<String>>>;

/// A sandboxed engine with the population functions bound to `populations`.
pub fn engine(populations: Arc<Populations>, output: Output) -> Engine {
    let mut engine = Engine::new();
    engine
        .set_module_resolver(DummyModuleResolver::new())
        .set_max_operations(MAX_OPERATIONS)
        .set_max_call_levels(MAX_CALL_LEVELS)
        .set_max_expr_depths(MAX_EXPR_DEPTH, MAX_EXPR_DEPTH)
        .set_max_string_size(MAX_STRING)
        .set_max_array_size(MAX_COLLECTION)
        .set_max_map_size(MAX_COLLECTION)
        .set_strict_variables(true);
    engine.disable_symbol("eval");
    let sink = output.clone();
    engine.on_print(move |s| capture(&sink, s.to_string()));
    let sink = output;
    engine.on_debug(move |s, src, pos| {
        let place = match (src, pos.is_none()) {
            (Some(src), false) => format!("{src}:{pos}: "),
            _ => String::new(),
        };
        capture(&sink, format!("{place}{s}"))
    });

    let p = populations.clone();
    engine.register_fn(
        "percentile",
        move |name: &str, q: FLOAT| -> Result<FLOAT, Box<EvalAltResult>> {
            percentile(&p, name, q)
        },
    );
    let p = populations.clone();
    engine.register_fn(
        "percentile",
        move |name: &str, q: INT| -> Result<FLOAT, Box<EvalAltResult>> {
            percentile(&p, name, q as FLOAT)
        },
    );
    let p = populations.clone();
    engine.register_fn(
        "median",
        move |name: &str| -> Result<FLOAT, Box<EvalAltResult>> { percentile(&p, name, 0.5) },
    );
    let p = populations.clone();
    engine.register_fn(
        "total",
        move |name: &str| -> Result<FLOAT, Box<EvalAltResult>> { Ok(p.get(name)?.iter().sum()) },
    );
    let p = populations;
    engine.register_fn(
        "mean",
        move |name: &str| -> Result<FLOAT, Box<EvalAltResult>> {
            let v = p.get(name)?;
            if v.is_empty() {
                return Err(format!("mean(\"{name}\"): no customer has a value").into());
            }
            Ok(v.iter().sum::<f64>() / v.len() as f64)
        },
    );
    engine
}

fn capture(sink: &Output, line: String) {
    let mut lines = sink.lock().expect("output lock");
    if lines.len() < MAX_OUTPUT_LINES {
        lines.push(line);
    }
}

fn percentile(p: &Populations, name: &str, q: FLOAT) -> Result<FLOAT, Box<EvalAltResult>> {
    if !(0.0..=1.0).contains(&q) {
        return Err(EvalAltResult::ErrorRuntime(
            format!("percentile(\"{name}\", {q}): the share must be between 0 and 1 (0.95 is the 95th percentile)").into(),
            Position::NONE,
        )
        .into());
    }
    let sorted = p.get(name)?;
    population::percentile(&sorted, q)
        .ok_or_else(|| format!("percentile(\"{name}\"): no customer has a value").into())
}

/// The population functions expressions can call: the first argument is a metric's name.
pub const POPULATION_FUNCTIONS: &[&str] = &["percentile", "median", "total", "mean"];
