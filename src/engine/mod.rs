//! Stage 4: the policy's code. Compiles every expression once (derived metrics, tiers, checks) in a
//! sandboxed Rhai engine with the workspace's plugin scripts, evaluates derived metrics in
//! dependency order (population figures included), assigns each customer to exactly one tier and
//! records which checks fire for whom.
//!
//! Customers are evaluated in parallel. The first failure stops the others (a shared flag every
//! evaluation checks at each operation), and the whole evaluation has a wall-clock budget
//! ([`Limits`]); the error reported is the first failing customer in table order, so it does not
//! depend on thread timing.

mod calls;
mod convert;
pub mod explain;
pub mod limits;
mod plugins;
mod profit;
mod rows;
pub mod sandbox;
mod scan;
pub mod summary;
pub mod tree;
mod types;
mod undefined;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use rhai::{Dynamic, Engine, EvalAltResult, Position, Scope, AST};

use crate::error::{Diagnostic, Error, Origin};
use crate::metrics::{population, Column, CustomerTable, NamedColumn, Origin as ColumnOrigin};
use crate::workspace::{Expr, ParamValue, Severity, SourceFile, Workspace};
pub use calls::{CallKind, TemplateCalls};
pub use limits::Limits;
use limits::{Stop, Watchdog};
use rows::Fault;
use sandbox::{Output, Populations};
pub use scan::{names_read, substitute};

/// The compiled policy, ready to evaluate against a customer table.
pub struct Program {
    engine: Arc<Engine>,
    /// Plugin functions the templates call.
    calls: TemplateCalls,
    populations: Arc<Populations>,
    output: Output,
    stop: Arc<Stop>,
    limits: Limits,
    /// One evaluation at a time: populations, output and the stop flag belong to it.
    running: Mutex<()>,
    params: Vec<(String, Dynamic)>,
    raw_params: Vec<(String, ParamValue)>,
    derived: Vec<Compiled>,
    /// The derived metrics' names in policy order (the order of [`Evaluation::derived`]).
    policy_order: Vec<String>,
    tiers: Vec<(String, Option<Compiled>)>,
    checks: Vec<CheckRule>,
    personas: Vec<Compiled>,
    /// The policy's rising-customers rule (`rising: { when }`), if any.
    rising: Option<Compiled>,
    profit: Option<profit::Rules>,
    /// Whether a check, persona or the rising rule reads [`TIER_NAMES`] (the tier columns are built only then).
    checks_read_tier: bool,
    /// Whether a tier, check or persona reads [`VALUE_SHARE`] (the column is built only then).
    reads_value_share: bool,
    /// The checks with `level: summary`, run once over the analysis.
    summary: Vec<summary::SummaryRule>,
}

/// The cumulative share of value tiers, checks and personas can read: of `profit` when the policy
/// computes it, else of revenue (`cum_revenue_share`). Customers ranked by that value, largest
/// first, ties by id, as for `cum_revenue_share`. Known once profit is, so derived metrics cannot
/// read it.
pub const VALUE_SHARE: &str = "cum_value_share";

/// The names checks (and only checks) can read besides the others: the customer's tier (its
/// name) and its rank (1 = the first tier of the policy), known once every tier is assigned.
pub const TIER_NAMES: [&str; 2] = ["tier", "tier_rank"];

const TIER_ONLY_IN_CHECKS: &str = "a customer's tier is known only once every metric and tier is evaluated; write this condition as a check";

struct Compiled {
    name: String,
    expr: Expr,
    ast: AST,
    /// The expression in the native subset, if it is (else Rhai alone evaluates it).
    tree: Option<tree::Node>,
    reads: Vec<String>,
    populations: Vec<String>,
}

struct CheckRule {
    rule: Compiled,
    severity: Severity,
    message: String,
}

/// The outcome of evaluating the policy on one customer table: everything the evaluation
/// computed, the table itself untouched.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The derived metric columns, in policy order, one value per customer in table order
    /// ([`crate::pipeline::Prepared::decide`] moves them onto the table).
    pub derived: Vec<NamedColumn>,
    /// Tier index (policy order) of each customer, in table order.
    pub tiers: Vec<u16>,
    /// Index (policy order) of the tier rule that placed each customer, in table order: the first
    /// rule that held, or the last tier (the one without a condition, or the fallback) when none
    /// did.
    pub reasons: Vec<u16>,
    /// The sorted values population functions read, by metric name, as this evaluation computed
    /// them.
    pub populations: BTreeMap<String, Arc<Vec<f64>>>,
    /// The names each tier's condition reads (for explanations), in policy order.
    pub tier_reads: Vec<Vec<String>>,
    /// Per check, in policy order: the customers (table rows) it fired for.
    pub checks: Vec<CheckResult>,
    /// Per persona, in policy order: its name and its customers (table rows, ascending).
    pub personas: Vec<(String, Vec<u32>)>,
    /// The customers (table rows, ascending) the policy's `rising:` rule holds for; `None`
    /// without one (the analysis applies the built-in rule then).
    pub rising: Option<Vec<u32>>,
    /// What scripts printed.
    pub printed: Vec<String>,
}

/// Which customers a check fired for.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// The check's name.
    pub name: String,
    /// How serious it is.
    pub severity: Severity,
    /// What it means.
    pub message: String,
    /// Table rows, ascending.
    pub customers: Vec<u32>,
}

/// The names expressions may read besides params and derived metrics: built-in metrics and the
/// attribute columns.
pub fn base_names(attributes: &[String]) -> Vec<String> {
    crate::metrics::BUILTINS
        .iter()
        .map(|b| b.name.to_string())
        .chain(attributes.iter().cloned())
        .collect()
}

/// Where an expression reads `cost`, `margin` or `margin_pct` (by name or in a population call)
/// of a workspace without a cost column: they are undefined there, so the rule could never use
/// them.
fn needs_cost(parsed: &tree::Parsed, expr: &Expr, what: &str, name: &str) -> Vec<Diagnostic> {
    let names = parsed.names.iter().map(|n| (&n.name, n.span));
    let pops = parsed.populations.iter().map(|p| (&p.metric, p.span));
    names
        .chain(pops)
        .filter(|(n, _)| crate::metrics::builtins::NEED_COST.contains(&n.as_str()))
        .map(|(n, span)| {
            Diagnostic::at(
                span.origin(&expr.text, &expr.origin),
                format!("{what} `{name}`: `{n}` is unknown: no cost column is mapped"),
            )
            .with_help("map the cost column (data.transactions.columns.cost) to read cost, margin and margin_pct; without it they are empty for every customer")
            .code("expr/needs-cost")
        })
        .collect()
}

/// Compiles the workspace's scripts and expressions. `attributes` are the attribute column names
/// (already declared in the workspace's [`NameTable`](crate::workspace::NameTable), which owns
/// every clash rule).
/// Every problem is reported, with file and line.
pub fn compile(workspace: &Workspace, attributes: &[String]) -> Result<Program, Vec<Diagnostic>> {
    let policy = &workspace.policy;
    let mut problems = Vec::new();
    let populations = Arc::new(Populations::default());
    let output = Output::default();
    let stop = Arc::new(Stop::default());
    let mut engine = sandbox::engine(populations.clone(), output.clone(), stop.clone());

    // Plugins: every function they define is callable from every expression.
    let plugins = plugins::compile(&engine, &workspace.scripts, &mut problems);
    plugins::load(&mut engine, &plugins, &mut problems);
    plugins::template_functions(&plugins, &policy.plugins, &mut problems);

    // Without a cost column, cost and margin are unknown: a rule reading them is an error.
    let has_cost = policy.transactions.columns.cost.is_some();
    // Names in scope at compile time: unknown names are caught here, not per customer.
    let mut known: Vec<String> = base_names(attributes);
    known.extend(policy.params.iter().map(|p| p.name.clone()));
    known.extend(policy.metrics.iter().map(|m| m.name.clone()));
    // A param the workspace already reported (a list where a value belongs) is not checked again.
    let typed_params: Vec<crate::workspace::Param> = policy
        .params
        .iter()
        .filter(|p| {
            !workspace
                .problems
                .iter()
                .any(|d| d.origin.as_ref() == Some(&p.origin))
        })
        .cloned()
        .collect();
    let mut scope = Scope::new();
    for name in &known {
        scope.push_dynamic(name.as_str(), Dynamic::UNIT);
    }
    // Tiers, checks and personas also read the profit metrics, computed after the derived ones.
    let profit_names = policy
        .profit
        .as_ref()
        .map(|p| p.metric_names())
        .unwrap_or_default();
    let mut rule_known = known.clone();
    let mut rule_scope = scope.clone();
    let value_share = (!known.iter().any(|k| k == VALUE_SHARE)).then(|| VALUE_SHARE.to_string());
    for name in profit_names.iter().chain(&value_share) {
        rule_known.push(name.clone());
        rule_scope.push_dynamic(name.as_str(), Dynamic::UNIT);
    }
    // Checks and personas also read the customer's tier.
    let mut check_known = rule_known.clone();
    let mut check_scope = rule_scope.clone();
    for name in TIER_NAMES {
        if !known.iter().any(|k| k == name) {
            check_known.push(name.to_string());
            check_scope.push_dynamic(name, Dynamic::UNIT);
        }
    }
    let compile_one = |what: &str,
                       name: &str,
                       expr: &Expr,
                       (known, scope): (&[String], &Scope),
                       problems: &mut Vec<Diagnostic>| match engine
        .compile_with_scope(scope, &expr.text)
    {
        Ok(ast) => {
            problems.extend(types::mismatches(expr, what, name, &typed_params));
            let parsed = tree::parse(&expr.text);
            if !has_cost {
                problems.extend(needs_cost(&parsed, expr, what, name));
            }
            let mut pops = Vec::new();
            for call in &parsed.populations {
                // Population figures are of metrics and columns, never of the tier.
                let tier = TIER_NAMES.contains(&call.metric.as_str());
                if known.contains(&call.metric) && !tier {
                    if !pops.contains(&call.metric) {
                        pops.push(call.metric.clone());
                    }
                } else {
                    problems.push(
                        Diagnostic::at(
                            call.span.origin(&expr.text, &expr.origin),
                            format!(
                                "{what} `{name}`: {}(\"{}\") names no metric",
                                call.function.name(),
                                call.metric
                            ),
                        )
                        .with_help(suggest(&call.metric, known))
                        .code("expr/unknown-metric"),
                    );
                }
            }
            let reads = parsed
                .names
                .into_iter()
                .map(|n| n.name)
                .filter(|n| known.contains(n))
                .collect();
            Some(Compiled {
                name: name.to_string(),
                expr: expr.clone(),
                ast,
                tree: parsed.tree,
                reads,
                populations: pops,
            })
        }
        Err(e) => {
            let at = origin_at(&expr.origin, e.position());
            let d = match e.err_type() {
                rhai::ParseErrorType::VariableUndefined(var)
                    if TIER_NAMES.contains(&var.as_str()) =>
                {
                    Diagnostic::at(
                        at,
                        format!("{what} `{name}`: `{var}` can be read by checks only"),
                    )
                    .with_help(TIER_ONLY_IN_CHECKS)
                    .code("expr/tier-outside-check")
                }
                rhai::ParseErrorType::VariableUndefined(var) if profit_names.contains(var) => {
                    Diagnostic::at(at, format!("{what} `{name}`: `{var}` is computed after the derived metrics and costs"))
                        .with_help("read the profit metrics in tiers, checks and personas; a derived metric or cost can read `margin`, `revenue` and the other metrics")
                        .code("expr/unknown-name")
                }
                rhai::ParseErrorType::VariableUndefined(var) => {
                    Diagnostic::at(at, format!("{what} `{name}`: {}", e.err_type()))
                        .with_help(suggest(var, known))
                        .code("expr/unknown-name")
                }
                other => {
                    Diagnostic::at(at, format!("{what} `{name}`: {other}")).code("expr/syntax")
                }
            };
            problems.push(d);
            None
        }
    };
    let derived: Vec<Compiled> = policy
        .metrics
        .iter()
        .filter_map(|m| compile_one("metric", &m.name, &m.expr, (&known, &scope), &mut problems))
        .collect();
    let tiers: Vec<(String, Option<Compiled>)> = policy
        .tiers
        .iter()
        .map(|t| {
            let c = t.when.as_ref().and_then(|w| {
                compile_one(
                    "tier",
                    &t.name,
                    w,
                    (&rule_known, &rule_scope),
                    &mut problems,
                )
            });
            (t.name.clone(), c)
        })
        .collect();
    let summary = summary::compile(
        &engine,
        &policy.checks,
        &policy
            .params
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>(),
        &mut problems,
    );
    let checks: Vec<CheckRule> = policy
        .checks
        .iter()
        .filter(|c| c.level == crate::workspace::CheckLevel::Customer)
        .filter_map(|c| {
            let names = (check_known.as_slice(), &check_scope);
            compile_one("check", &c.name, &c.when, names, &mut problems).map(|rule| CheckRule {
                rule,
                severity: c.severity,
                message: c.message.clone(),
            })
        })
        .collect();
    let personas: Vec<Compiled> = policy
        .personas
        .iter()
        .filter_map(|p| {
            let names = (check_known.as_slice(), &check_scope);
            compile_one("persona", &p.name, &p.when, names, &mut problems)
        })
        .collect();
    let rising = policy.rising.as_ref().and_then(|r| {
        let names = (check_known.as_slice(), &check_scope);
        compile_one("rising", "rising", &r.when, names, &mut problems)
    });
    // A persona's worth (the investment gap) is a metric it sums: one the rules can read.
    for p in policy.personas.iter().filter(|p| !p.needs.is_empty()) {
        if !rule_known.contains(&p.worth) {
            problems.push(
                Diagnostic::at(
                    p.origin.clone(),
                    format!("persona `{}`: worth `{}` names no metric", p.name, p.worth),
                )
                .with_help(suggest(&p.worth, &rule_known))
                .code("expr/unknown-metric"),
            );
        }
    }
    let profit = policy.profit.as_ref().map(|p| profit::Rules {
        components: p
            .components
            .iter()
            .filter_map(|c| {
                compile_one(
                    "cost_to_serve",
                    &c.name,
                    &c.expr,
                    (&known, &scope),
                    &mut problems,
                )
            })
            .collect(),
        acquisition: p.acquisition.as_ref().and_then(|a| {
            compile_one(
                "acquisition_cost",
                "acquisition_cost",
                a,
                (&known, &scope),
                &mut problems,
            )
        }),
        basis: p.basis.metric(),
    });
    for rule in checks
        .iter()
        .map(|c| &c.rule)
        .chain(&personas)
        .chain(&rising)
    {
        problems.extend(tier_name_clash(rule, &known));
    }
    let reads_tier = |rule: &Compiled| rule.reads.iter().any(|n| TIER_NAMES.contains(&n.as_str()));
    let checks_read_tier = checks.iter().any(|c| reads_tier(&c.rule))
        || personas.iter().chain(&rising).any(reads_tier);
    let reads_value_share = value_share.is_some()
        && tiers
            .iter()
            .filter_map(|(_, c)| c.as_ref())
            .chain(checks.iter().map(|c| &c.rule))
            .chain(&personas)
            .chain(&rising)
            .any(|r| r.reads.iter().any(|n| n == VALUE_SHARE));
    let derived = match order_by_dependency(derived) {
        Ok(d) => d,
        Err(d) => {
            problems.push(d);
            Vec::new()
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let params = policy
        .params
        .iter()
        .map(|p| (p.name.clone(), convert::param(&p.value)))
        .collect();
    let raw_params = policy
        .params
        .iter()
        .map(|p| (p.name.clone(), p.value.clone()))
        .collect();
    let engine = Arc::new(engine);
    let names = |list: &[(String, Origin)]| list.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    let calls = TemplateCalls::new(
        engine.clone(),
        &names(&policy.plugins.filters),
        &names(&policy.plugins.functions),
    );
    Ok(Program {
        engine,
        calls,
        populations,
        output,
        stop,
        limits: Limits::default(),
        running: Mutex::new(()),
        params,
        raw_params,
        derived,
        policy_order: policy.metrics.iter().map(|m| m.name.clone()).collect(),
        tiers,
        checks,
        personas,
        rising,
        profit,
        checks_read_tier,
        reads_value_share,
        summary,
    })
}

/// A check that reads `tier` or `tier_rank` while a column, param or metric has that name too.
fn tier_name_clash(rule: &Compiled, known: &[String]) -> Vec<Diagnostic> {
    TIER_NAMES
        .iter()
        .filter(|&&n| rule.reads.iter().any(|r| r == n) && known.iter().any(|k| k == n))
        .map(|n| {
            Diagnostic::at(
                rule.expr.origin.clone(),
                format!(
                    "check `{}` reads `{n}`, which checks use for the customer's tier, but a column, param or metric of that name exists too",
                    rule.name
                ),
            )
            .with_help(format!("rename that `{n}` so the check can read the customer's tier"))
            .code("policy/name-clash")
        })
        .collect()
}

/// The problems of plugin scripts (syntax, clashing names), for when there is no policy to
/// compile them with.
pub fn check_scripts(scripts: &[SourceFile]) -> Vec<Diagnostic> {
    let engine = sandbox::engine(Arc::default(), Arc::default(), Arc::default());
    let mut problems = Vec::new();
    plugins::compile(&engine, scripts, &mut problems);
    problems
}

/// Orders derived metrics so each comes after the metrics it reads (by name or by population
/// function); ties keep policy order. A cycle is an error naming its metrics.
fn order_by_dependency(metrics: Vec<Compiled>) -> Result<Vec<Compiled>, Diagnostic> {
    let names: Vec<String> = metrics.iter().map(|m| m.name.clone()).collect();
    let deps: Vec<BTreeSet<usize>> = metrics
        .iter()
        .map(|m| {
            m.reads
                .iter()
                .chain(&m.populations)
                .filter_map(|n| names.iter().position(|x| x == n))
                .collect()
        })
        .collect();
    let mut done = vec![false; metrics.len()];
    let mut order = Vec::with_capacity(metrics.len());
    while order.len() < metrics.len() {
        let next = (0..metrics.len()).find(|&i| !done[i] && deps[i].iter().all(|&d| done[d]));
        match next {
            Some(i) => {
                done[i] = true;
                order.push(i);
            }
            None => {
                let cycle = find_cycle(&deps, &done);
                let listed: Vec<String> =
                    cycle.iter().map(|&i| format!("`{}`", names[i])).collect();
                let first = &metrics[cycle[0]];
                return Err(Diagnostic::at(
                    first.expr.origin.clone(),
                    format!(
                        "derived metrics depend on each other in a cycle: {} -> `{}`",
                        listed.join(" -> "),
                        names[cycle[0]]
                    ),
                )
                .with_help("a metric cannot use itself, directly or through other metrics")
                .code("policy/metric-cycle"));
            }
        }
    }
    let mut slots: Vec<Option<Compiled>> = metrics.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .map(|i| slots[i].take().expect("each once"))
        .collect())
}

fn find_cycle(deps: &[BTreeSet<usize>], done: &[bool]) -> Vec<usize> {
    // Walk from an unfinished metric along unfinished dependencies until a metric repeats.
    let start = (0..deps.len())
        .find(|&i| !done[i])
        .expect("a metric is left");
    let mut path = vec![start];
    loop {
        let here = *path.last().expect("non-empty");
        let next = deps[here]
            .iter()
            .copied()
            .find(|&d| !done[d])
            .expect("blocked by an unfinished metric");
        if let Some(pos) = path.iter().position(|&p| p == next) {
            return path[pos..].to_vec();
        }
        path.push(next);
    }
}

impl Program {
    /// The names of the derived metrics, in policy-independent evaluation order.
    pub fn derived_names(&self) -> Vec<&str> {
        self.derived.iter().map(|d| d.name.as_str()).collect()
    }

    /// The plugin functions the report templates may call, in this program's sandbox.
    pub fn template_calls(&self) -> TemplateCalls {
        self.calls.clone()
    }

    /// Runs the summary checks (`level: summary`) once over `facts`, a JSON object with the
    /// report model's `investment_gap`, `tiers`, `profitability` and `personas` (see
    /// [`summary`]), within the same limits as an evaluation: one finding per check that holds.
    pub fn summary_findings(
        &self,
        facts: &serde_json::Value,
    ) -> Result<Vec<summary::SummaryFinding>, Error> {
        if self.summary.is_empty() {
            return Ok(Vec::new());
        }
        let _one_at_a_time = self
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut scope = Scope::new();
        for (name, value) in &self.params {
            scope.push_dynamic(name.as_str(), value.clone());
        }
        for name in summary::FACTS {
            scope.push_dynamic(name, summary::dynamic(&facts[name]));
        }
        let _watchdog = Watchdog::start(self.stop.clone(), self.limits.timeout);
        let found = summary::evaluate(&self.engine, &self.summary, &mut scope);
        self.output.take();
        found
    }

    /// Sets how long an evaluation may take (see [`Limits`]).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Evaluates the policy on `table`: the derived metric columns, then each customer's tier,
    /// then the checks. The table is only read: what the evaluation computes (derived columns,
    /// population figures, printed lines) is in the [`Evaluation`], so evaluating the same
    /// program on two tables gives what two fresh programs give. Within the time budget; the
    /// first failing customer (in table order) stops the evaluation.
    pub fn evaluate(&self, table: &CustomerTable) -> Result<Evaluation, Error> {
        self.evaluate_with(table, None)
    }

    /// [`Program::evaluate`] with population figures given: each metric in `populations` (the
    /// [`Evaluation::populations`] of an earlier evaluation, typically over the real data) is
    /// read from there instead of from `table`, so a few made-up customers can be placed against
    /// the real population's percentiles and means. Metrics not given come from `table`.
    pub fn evaluate_with(
        &self,
        table: &CustomerTable,
        populations: Option<&BTreeMap<String, Arc<Vec<f64>>>>,
    ) -> Result<Evaluation, Error> {
        let _one_at_a_time = self
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.populations.clear();
        for (name, sorted) in populations.into_iter().flatten() {
            self.populations.insert_shared(name, sorted.clone());
        }
        let result = {
            let _watchdog = Watchdog::start(self.stop.clone(), self.limits.timeout);
            self.evaluate_rules(table)
        };
        // Whatever happened, nothing of this evaluation stays with the program.
        let printed = self.output.take();
        let populations = self.populations.take();
        result.map(|e| Evaluation {
            printed,
            populations,
            ..e
        })
    }

    fn evaluate_rules(&self, table: &CustomerTable) -> Result<Evaluation, Error> {
        let mut frame = self.frame(table);
        let first_derived = frame.columns.len();
        self.derive(&mut frame)?;
        if let Some(profit) = &self.profit {
            profit.evaluate(self, &mut frame)?;
        }
        if self.reads_value_share {
            self.push_value_share(&mut frame);
        }
        let computed = frame.columns.len();
        let tiers = self.assign_tiers(&frame)?;
        if self.checks_read_tier {
            self.push_tier_columns(&mut frame, &tiers);
        }
        let checks = self.run_checks(&frame)?;
        let personas = self.members(&frame)?;
        let rising = match &self.rising {
            Some(rule) => Some(self.holders(&frame, rule, "rising")?),
            None => None,
        };
        frame.columns.truncate(computed);
        let mut derived = frame.columns.split_off(first_derived);
        // Policy order; the profit metrics (not in it) after the derived ones, in their order.
        derived.sort_by_key(|c| {
            self.policy_order
                .iter()
                .position(|n| *n == c.name)
                .unwrap_or(usize::MAX)
        });
        Ok(Evaluation {
            derived,
            reasons: tiers.clone(),
            tiers,
            tier_reads: self
                .tiers
                .iter()
                .map(|(_, c)| c.as_ref().map(|c| c.reads.clone()).unwrap_or_default())
                .collect(),
            populations: BTreeMap::new(),
            checks,
            personas,
            rising,
            printed: Vec::new(),
        })
    }

    /// The working columns: those of `table` a rule reads or asks population figures of (copied;
    /// the rest of the table is left alone), the customer ids borrowed.
    fn frame<'t>(&self, table: &'t CustomerTable) -> Frame<'t> {
        let rules = self
            .derived
            .iter()
            .chain(self.tiers.iter().filter_map(|(_, c)| c.as_ref()))
            .chain(self.checks.iter().map(|c| &c.rule))
            .chain(&self.personas)
            .chain(&self.rising)
            .chain(self.profit.iter().flat_map(|p| p.rules()));
        let mut wanted: BTreeSet<&str> = self.profit.iter().map(|p| p.basis).collect();
        if self.reads_value_share {
            wanted.insert("cum_revenue_share");
        }
        for rule in rules {
            wanted.extend(
                rule.reads
                    .iter()
                    .chain(&rule.populations)
                    .map(String::as_str),
            );
        }
        Frame {
            ids: &table.ids,
            columns: table
                .columns
                .iter()
                .filter(|c| wanted.contains(c.name.as_str()))
                .cloned()
                .collect(),
        }
    }

    /// Adds [`VALUE_SHARE`]: the cumulative share of profit when the policy computes it, else a
    /// copy of `cum_revenue_share`.
    fn push_value_share(&self, frame: &mut Frame<'_>) {
        let column = match (
            &self.profit,
            frame.column(crate::workspace::strategy::PROFIT),
        ) {
            (Some(_), Some(Column::Money(profit))) => {
                Column::Float(population::cumulative_share(frame.ids, profit))
            }
            _ => frame
                .column("cum_revenue_share")
                .cloned()
                .unwrap_or_else(|| Column::Float(vec![f64::NAN; frame.ids.len()])),
        };
        frame.columns.push(NamedColumn {
            name: VALUE_SHARE.to_string(),
            origin: ColumnOrigin::Derived,
            column,
        });
    }

    /// Adds the derived metric columns to the frame, evaluated in dependency order.
    fn derive(&self, frame: &mut Frame<'_>) -> Result<(), Error> {
        for metric in &self.derived {
            let values = self.eval_all(frame, metric, "metric")?;
            let column = convert::column(&metric.name, frame.ids, values).map_err(|d| {
                Error::Evaluation(Diagnostic {
                    origin: Some(metric.expr.origin.clone()),
                    ..d
                })
            })?;
            frame.columns.push(NamedColumn {
                name: metric.name.clone(),
                origin: ColumnOrigin::Derived,
                column,
            });
        }
        Ok(())
    }

    /// Adds `tier` (the tier's name) and `tier_rank` (1 = first tier) for the checks.
    fn push_tier_columns(&self, frame: &mut Frame<'_>, tiers: &[u16]) {
        let names = tiers
            .iter()
            .map(|&t| Some(self.tiers[t as usize].0.clone()))
            .collect();
        let ranks = tiers.iter().map(|&t| i64::from(t) + 1).collect();
        for (name, column) in TIER_NAMES
            .iter()
            .zip([Column::Text(names), Column::Int(ranks)])
        {
            frame.columns.push(NamedColumn {
                name: name.to_string(),
                origin: ColumnOrigin::Derived,
                column,
            });
        }
    }

    /// Per check, the customers it fires for.
    fn run_checks(&self, frame: &Frame<'_>) -> Result<Vec<CheckResult>, Error> {
        let mut checks = Vec::new();
        for check in &self.checks {
            checks.push(CheckResult {
                name: check.rule.name.clone(),
                severity: check.severity,
                message: check.message.clone(),
                customers: self.holders(frame, &check.rule, "check")?,
            });
        }
        Ok(checks)
    }

    /// The customers (table rows, ascending) for whom a condition holds.
    fn holders(
        &self,
        frame: &Frame<'_>,
        rule: &Compiled,
        what: &'static str,
    ) -> Result<Vec<u32>, Error> {
        let values = self.eval_all(frame, rule, what)?;
        let mut customers = Vec::new();
        for (i, v) in values.into_iter().enumerate() {
            if expect_bool(&v, what, rule, &frame.ids[i])? {
                customers.push(i as u32);
            }
        }
        Ok(customers)
    }

    /// Per persona, its customers.
    fn members(&self, frame: &Frame<'_>) -> Result<Vec<(String, Vec<u32>)>, Error> {
        self.personas
            .iter()
            .map(|rule| Ok((rule.name.clone(), self.holders(frame, rule, "persona")?)))
            .collect()
    }

    /// Makes the population figures an expression asks for available.
    fn prepare(&self, frame: &Frame<'_>, rule: &Compiled) {
        for name in &rule.populations {
            if !self.populations.contains(name) {
                if let Some(col) = frame.column(name) {
                    self.populations
                        .insert(name, population::sorted_numbers(col));
                }
            }
        }
    }

    /// The values an expression reads, as (name, column index or param value).
    fn sources(&self, frame: &Frame<'_>, rule: &Compiled) -> Vec<(String, Source)> {
        rule.reads
            .iter()
            .filter_map(|name| {
                if let Some(i) = frame.position(name) {
                    Some((name.clone(), Source::Column(i)))
                } else {
                    self.params
                        .iter()
                        .find(|(p, _)| p == name)
                        .map(|(_, v)| (name.clone(), Source::Param(v.clone())))
                }
            })
            .collect()
    }

    fn eval_all(
        &self,
        frame: &Frame<'_>,
        rule: &Compiled,
        what: &'static str,
    ) -> Result<Vec<Dynamic>, Error> {
        let ready = self.ready(frame, rule);
        let pass = rows::Pass {
            what,
            rule: Some(rule),
        };
        rows::each(&self.stop, &self.limits, frame.ids, &pass, |scope, i| {
            self.eval_one(scope, frame, &ready, i)
                .map_err(|e| undefined::fault(&e, what, frame, &ready, i))
        })
    }

    /// A rule ready to evaluate on `frame`: population figures in place, the values it reads
    /// located, and the native fast path compiled when the expression allows it.
    fn ready<'r>(&self, frame: &Frame<'_>, rule: &'r Compiled) -> Ready<'r> {
        self.prepare(frame, rule);
        let names = tree::NameTable {
            columns: &frame.columns,
            params: &self.raw_params,
            figures: &*self.populations,
        };
        Ready {
            rule,
            sources: self.sources(frame, rule),
            native: rule.tree.as_ref().and_then(|t| tree::bind(t, &names)),
        }
    }

    fn eval_one(
        &self,
        scope: &mut Scope<'static>,
        frame: &Frame<'_>,
        ready: &Ready<'_>,
        i: usize,
    ) -> Result<Dynamic, Box<EvalAltResult>> {
        if let Some(v) = ready
            .native
            .as_ref()
            .and_then(|n| n.eval(&frame.columns, i))
        {
            return Ok(match v {
                tree::Val::Int(i) => Dynamic::from_int(i),
                tree::Val::Float(f) => Dynamic::from_float(f),
                tree::Val::Bool(b) => Dynamic::from_bool(b),
                tree::Val::Str(s) => Dynamic::from(rhai::ImmutableString::from(s)),
            });
        }
        scope.clear();
        for (name, source) in &ready.sources {
            let value = match source {
                Source::Column(c) => convert::dynamic(frame.columns[*c].column.get(i)),
                Source::Param(v) => v.clone(),
            };
            scope.push_dynamic(name.as_str(), value);
        }
        self.engine
            .eval_ast_with_scope::<Dynamic>(scope, &ready.rule.ast)
    }

    fn assign_tiers(&self, frame: &Frame<'_>) -> Result<Vec<u16>, Error> {
        let rules: Vec<Option<Ready<'_>>> = self
            .tiers
            .iter()
            .map(|(_, c)| c.as_ref().map(|c| self.ready(frame, c)))
            .collect();
        let last = (self.tiers.len() - 1) as u16;
        let pass = rows::Pass {
            what: "tier",
            rule: None,
        };
        rows::each(&self.stop, &self.limits, frame.ids, &pass, |scope, i| {
            let customer = &frame.ids[i];
            for (t, rule) in rules.iter().enumerate() {
                let Some(ready) = rule else {
                    return Ok(t as u16);
                };
                let v = self
                    .eval_one(scope, frame, ready, i)
                    .map_err(|e| undefined::fault(&e, "tier", frame, ready, i))?;
                if expect_bool(&v, "tier", ready.rule, customer).map_err(Fault::Failed)? {
                    return Ok(t as u16);
                }
            }
            Ok(last)
        })
    }
}

/// The columns one evaluation works on: the input table's columns the rules read (copies), then
/// the derived metrics as they are computed, then (for checks) the tier columns.
struct Frame<'t> {
    /// The customer ids of the input table, for messages.
    ids: &'t [String],
    columns: Vec<NamedColumn>,
}

impl Frame<'_> {
    fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    fn column(&self, name: &str) -> Option<&Column> {
        self.position(name).map(|i| &self.columns[i].column)
    }
}

enum Source {
    Column(usize),
    Param(Dynamic),
}

struct Ready<'r> {
    rule: &'r Compiled,
    sources: Vec<(String, Source)>,
    /// The native fast path, when the expression is in the subset and its names bind.
    native: Option<tree::Bound>,
}

fn expect_bool(v: &Dynamic, what: &str, rule: &Compiled, customer: &str) -> Result<bool, Error> {
    v.as_bool().map_err(|_| {
        Error::Evaluation(
            Diagnostic::at(
                rule.expr.origin.clone(),
                format!(
                    "{what} `{}` gave {} ({}) for customer {customer}; a condition must give true or false",
                    rule.name,
                    v,
                    v.type_name()
                ),
            )
            .with_help("compare a value, e.g. `revenue >= 500`")
            .code("expr/not-boolean"),
        )
    })
}

/// A rule's failure for one customer, at the place in the policy file the error points to.
fn runtime_error(what: &str, rule: &Compiled, customer: &str, e: &EvalAltResult) -> Error {
    let mut d = Diagnostic::at(
        origin_at(&rule.expr.origin, e.position()),
        format!(
            "{what} `{}` failed for customer {customer}: {}",
            rule.name,
            flatten(e)
        ),
    );
    d.code = runtime_code(flatten_inner(e));
    match flatten_inner(e) {
        EvalAltResult::ErrorTooManyOperations(_) => {
            d = d.with_help(format!(
                "an expression may take at most {} operations per customer; look for a loop that never ends",
                crate::report::format::thousands(sandbox::MAX_OPERATIONS as i64)
            ));
        }
        EvalAltResult::ErrorDataTooLarge(..) => {
            d = d.with_help(format!(
                "a text may hold at most {} characters, an array or map {} elements",
                crate::report::format::thousands(sandbox::MAX_STRING as i64),
                crate::report::format::thousands(sandbox::MAX_COLLECTION as i64)
            ));
        }
        EvalAltResult::ErrorRuntime(v, _) if v.is::<sandbox::Mismatch>() => {
            d = d.with_help(
                "if the text holds numbers, convert it first, e.g. `parse_float(x) > 5`; an empty value compares false with everything",
            );
        }
        _ => {}
    }
    Error::Evaluation(d)
}

/// The code of a rule's failure, by what failed.
fn runtime_code(e: &EvalAltResult) -> &'static str {
    match e {
        EvalAltResult::ErrorTooManyOperations(_) => "limit/operations",
        EvalAltResult::ErrorDataTooLarge(..) => "limit/data-size",
        EvalAltResult::ErrorStackOverflow(_) | EvalAltResult::ErrorTooManyModules(_) => {
            "limit/call-depth"
        }
        EvalAltResult::ErrorRuntime(v, _) if v.is::<sandbox::Mismatch>() => "expr/type-mismatch",
        EvalAltResult::ErrorMismatchDataType(..) | EvalAltResult::ErrorMismatchOutputType(..) => {
            "expr/type-mismatch"
        }
        EvalAltResult::ErrorFunctionNotFound(..) => "expr/unknown-function",
        EvalAltResult::ErrorArithmetic(..) => "expr/arithmetic",
        EvalAltResult::ErrorIndexingType(..)
        | EvalAltResult::ErrorArrayBounds(..)
        | EvalAltResult::ErrorStringBounds(..)
        | EvalAltResult::ErrorBitFieldBounds(..)
        | EvalAltResult::ErrorPropertyNotFound(..) => "expr/bad-index",
        EvalAltResult::ErrorRuntime(..) => "expr/thrown",
        _ => "expr/runtime",
    }
}

fn flatten_inner(e: &EvalAltResult) -> &EvalAltResult {
    match e {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => flatten_inner(inner),
        other => other,
    }
}

/// A Rhai error as one sentence, with the function chain it went through: each plugin function
/// with its own file and the line inside it where the error happened.
fn flatten(e: &EvalAltResult) -> String {
    match e {
        EvalAltResult::ErrorInFunctionCall(name, src, inner, _) => {
            let place = match (src.is_empty(), inner.position().line()) {
                (false, Some(line)) => format!(" ({src}:{line})"),
                (false, None) => format!(" ({src})"),
                (true, _) => String::new(),
            };
            format!("in function `{name}`{place}: {}", flatten(inner))
        }
        EvalAltResult::ErrorTooManyOperations(_) => {
            "too many operations (the sandbox stopped it)".to_string()
        }
        EvalAltResult::ErrorRuntime(value, _) if value.is_string() => value.to_string(),
        EvalAltResult::ErrorRuntime(value, _) if value.is::<sandbox::Mismatch>() => {
            value.clone().cast::<sandbox::Mismatch>().0
        }
        other => {
            let s = other.to_string();
            match s.rfind(" (line ") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

fn pos_line(p: Position) -> u32 {
    p.line().unwrap_or(0) as u32
}

fn pos_col(p: Position) -> u32 {
    p.position().unwrap_or(0) as u32
}

/// Where in the policy file a position inside an expression is.
fn origin_at(start: &Origin, p: Position) -> Origin {
    match (p.line(), p.position()) {
        (Some(1), Some(col)) if start.line > 0 => {
            Origin::new(&start.file, start.line, start.column + col as u32 - 1)
        }
        (Some(line), Some(col)) if start.line > 0 => {
            Origin::new(&start.file, start.line + line as u32 - 1, col as u32)
        }
        _ => start.clone(),
    }
}

/// "did you mean" for a misspelt name.
fn suggest(name: &str, known: &[String]) -> String {
    match crate::ident::closest(known, name) {
        Some(k) => format!("did you mean `{k}`?"),
        None => format!("known names: {}", known.join(", ")),
    }
}

#[cfg(test)]
pub(crate) mod tests;
