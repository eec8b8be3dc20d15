//! The Rhai engine user code runs in: no files, no modules, no `eval`, bounded operations, depth
//! and sizes, `print`/`debug` captured (up to a number of lines, the rest counted), a shared stop
//! flag checked at every operation. Population functions are registered here, and comparisons
//! of a number with a text, a flag or a character are errors instead of Rhai's silent `false`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use rhai::module_resolvers::DummyModuleResolver;
use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, Position, FLOAT, INT};

use super::limits::{Halt, Stop};
use crate::metrics::population;
use crate::report::format;

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

    /// Makes `name`'s sorted values, already shared, available to population functions.
    pub fn insert_shared(&self, name: &str, sorted: Arc<Vec<f64>>) {
        self.sorted
            .write()
            .expect("population lock")
            .insert(name.to_string(), sorted);
    }

    /// Forgets every figure (they belong to one customer table).
    pub fn clear(&self) {
        self.sorted.write().expect("population lock").clear();
    }

    /// Every figure, sorted by metric name; forgets them (they go to the evaluation they belong
    /// to).
    pub fn take(&self) -> BTreeMap<String, Arc<Vec<f64>>> {
        std::mem::take(&mut *self.sorted.write().expect("population lock"))
            .into_iter()
            .collect()
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

/// What scripts printed: the first [`MAX_OUTPUT_LINES`] lines, and how many there were.
#[derive(Debug, Default)]
pub struct Printed {
    lines: Mutex<Vec<String>>,
    total: AtomicU64,
}

impl Printed {
    /// Keeps a line while there is room; only counts it after that (the text is not even built).
    fn capture(&self, line: impl FnOnce() -> String) {
        let n = self.total.fetch_add(1, Ordering::Relaxed);
        if n < MAX_OUTPUT_LINES as u64 {
            self.lines.lock().expect("output lock").push(line());
        }
    }

    /// The kept lines, followed by a note of how many were dropped, if any; empties the record.
    pub fn take(&self) -> Vec<String> {
        let mut lines = std::mem::take(&mut *self.lines.lock().expect("output lock"));
        let total = self.total.swap(0, Ordering::Relaxed);
        if total > lines.len() as u64 {
            lines.push(format!(
                "... and {} more lines not kept (scripts printed {} lines; the first {} are shown)",
                thousands(total - lines.len() as u64),
                thousands(total),
                lines.len()
            ));
        }
        lines
    }
}

fn thousands(n: u64) -> String {
    format::thousands(n.min(i64::MAX as u64) as i64)
}

/// Where `print` and `debug` go.
pub type Output = Arc<Printed>;

/// A sandboxed engine with the population functions bound to `populations`, printing into
/// `output` and stopping at its next operation when `stop` is raised.
pub fn engine(populations: Arc<Populations>, output: Output, stop: Arc<Stop>) -> Engine {
    let mut engine = Engine::new();
    engine
        .set_module_resolver(DummyModuleResolver::new())
        .set_max_operations(MAX_OPERATIONS)
        .set_max_call_levels(MAX_CALL_LEVELS)
        .set_max_expr_depths(MAX_EXPR_DEPTH, MAX_EXPR_DEPTH)
        .set_max_string_size(MAX_STRING)
        .set_max_array_size(MAX_COLLECTION)
        .set_max_map_size(MAX_COLLECTION)
        .set_strict_variables(true)
        // Fast operators answer `1 < "2"` with a built-in `false` before registered functions
        // are looked at; without them the mismatch errors below are called.
        .set_fast_operators(false);
    engine.disable_symbol("eval");
    engine.on_progress(move |_| stop.get().map(halt_token));
    let sink = output.clone();
    engine.on_print(move |s| sink.capture(|| s.to_string()));
    let sink = output;
    engine.on_debug(move |s, src, pos| {
        sink.capture(|| match (src, pos.is_none()) {
            (Some(src), false) => format!("{src}:{pos}: {s}"),
            _ => s.to_string(),
        })
    });
    register_mismatches(&mut engine);

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

/// The value an evaluation stopped by `halt` ends with (Rhai's termination token).
fn halt_token(halt: Halt) -> Dynamic {
    Dynamic::from_int(match halt {
        Halt::Cancelled => 1,
        Halt::TimedOut => 2,
    })
}

/// The comparison operators.
pub const COMPARISONS: &[&str] = &["==", "!=", "<", "<=", ">", ">="];

/// Makes every comparison of a number (integer or float) with a text, a flag or a character an
/// error, in both orders. `()` (an empty value) still compares false with everything.
fn register_mismatches(engine: &mut Engine) {
    macro_rules! mismatch {
        ($number:ty, $other:ty) => {
            for &op in COMPARISONS {
                engine.register_fn(
                    op,
                    move |a: $number, b: $other| -> Result<bool, Box<EvalAltResult>> {
                        Err(mismatch_error(op, Dynamic::from(a), Dynamic::from(b)))
                    },
                );
                engine.register_fn(
                    op,
                    move |a: $other, b: $number| -> Result<bool, Box<EvalAltResult>> {
                        Err(mismatch_error(op, Dynamic::from(a), Dynamic::from(b)))
                    },
                );
            }
        };
    }
    mismatch!(INT, ImmutableString);
    mismatch!(INT, bool);
    mismatch!(INT, char);
    mismatch!(FLOAT, ImmutableString);
    mismatch!(FLOAT, bool);
    mismatch!(FLOAT, char);
}

/// A comparison of a number with a text, a flag or a character, as the value of a Rhai error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch(pub String);

fn mismatch_error(op: &str, a: Dynamic, b: Dynamic) -> Box<EvalAltResult> {
    let message = format!(
        "`{op}` compares {} with {}; a number compares only with a number",
        describe(&a),
        describe(&b)
    );
    EvalAltResult::ErrorRuntime(Dynamic::from(Mismatch(message)), Position::NONE).into()
}

/// A value as a consultant reads it: `the number 180`, `the text "180"`.
pub fn describe(v: &Dynamic) -> String {
    if v.is_int() || v.is_float() {
        format!("the number {v}")
    } else if v.is_string() {
        format!("the text {:?}", v.to_string())
    } else if v.is_bool() {
        format!("the flag {v}")
    } else if v.is_char() {
        format!("the character {:?}", v.to_string())
    } else {
        format!("{v} ({})", v.type_name())
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
