//! load workspace -> load data -> compute metrics -> evaluate rules -> analyse -> render; each
//! step hands a plain value to the next.

use std::path::{Path, PathBuf};

use crate::analysis::{self, Analysis};
use crate::data::{self, AttributeValues, Day, LoadStats, Progress};
use crate::engine::{self, Evaluation, Program};
use crate::error::{Diagnostic, Error, Origin, Result};
use crate::metrics::{Accumulator, Column, CustomerTable, Origin as ColumnOrigin, EMPTY_INT};
use crate::report::{self, OutputFile, Templates};
use crate::workspace::{self, Workspace};

/// A workspace with everything compiled: ready to run against its data.
pub struct Prepared {
    /// The loaded workspace.
    pub workspace: Workspace,
    /// The attribute table, if the policy names one.
    pub attributes: Option<data::AttributeTable>,
    /// The compiled rules.
    pub program: Program,
    /// The compiled report templates.
    pub templates: Templates,
}

/// How long each stage took, in order.
#[derive(Debug, Clone, Default)]
pub struct Timings(pub Vec<(&'static str, std::time::Duration)>);

impl Timings {
    /// Runs `f` and records its time under `stage`.
    pub fn time<T>(&mut self, stage: &'static str, f: impl FnOnce() -> T) -> T {
        let start = std::time::Instant::now();
        let out = f();
        self.0.push((stage, start.elapsed()));
        out
    }
}

/// What one evaluation produced, before rendering.
pub struct Outcome {
    /// Customers with built-in, attribute and derived metrics.
    pub table: CustomerTable,
    /// Tiers and checks.
    pub evaluation: Evaluation,
    /// The summaries.
    pub analysis: Analysis,
    /// What the loader saw.
    pub stats: LoadStats,
    /// How long the stages took.
    pub timings: Timings,
}

/// Loads and compiles a workspace: every policy file parsed, every expression and template
/// compiled, the attribute table read. All problems are reported together.
pub fn prepare(root: &Path) -> Result<Prepared> {
    prepare_checked(root, false)
}

/// [`prepare`], and also opens the transaction source to check that every mapped column exists
/// (what `powerbase check` does; `run` finds the same problems while loading).
pub fn check(root: &Path) -> Result<Prepared> {
    prepare_checked(root, true)
}

fn prepare_checked(root: &Path, check_source: bool) -> Result<Prepared> {
    let workspace = match workspace::load(root) {
        Ok(w) => w,
        Err(mut problems) => {
            // No policy to compile, but the plugins can still be checked in the same pass.
            let scripts = workspace::scripts(root, &mut problems);
            problems.extend(engine::check_scripts(&scripts));
            return Err(Error::Workspace(problems));
        }
    };
    let mut problems = workspace.problems.clone();
    if check_source {
        if let Err(e) = data::check_source(&workspace.policy.transactions, root) {
            let file = workspace.policy.transactions.path.clone();
            problems.push(Diagnostic::at(Origin::file(file), e.to_string()));
        }
    }
    let attributes = match &workspace.policy.customers {
        Some(src) => match data::read_customers(src, root) {
            Ok(t) => Some(t),
            Err(e) => {
                problems.push(Diagnostic::at(
                    Origin::file(src.path.clone()),
                    e.to_string(),
                ));
                None
            }
        },
        None => None,
    };
    let names: Vec<String> = attributes
        .iter()
        .flat_map(|t| t.columns.iter().map(|c| c.name.clone()))
        .collect();
    for name in &names {
        if crate::metrics::builtin(name).is_some() {
            problems.push(
                Diagnostic::at(
                    Origin::file(workspace.policy.customers.as_ref().map(|c| c.path.clone()).unwrap_or_default()),
                    format!("attribute column `{name}` has the name of a built-in metric"),
                )
                .with_help(format!("rename it with a mapping: columns: {{ customer_id: ..., {name}_attr: \"<its header>\" }}")),
            );
        }
    }
    let program = engine::compile(&workspace, &names);
    let templates = Templates::load(&workspace);
    let (program, templates) = match (program, templates) {
        (Ok(p), Ok(t)) if problems.is_empty() => (p, t),
        (p, t) => {
            problems.extend(p.err().unwrap_or_default());
            problems.extend(t.err().unwrap_or_default());
            return Err(Error::Workspace(problems));
        }
    };
    Ok(Prepared {
        workspace,
        attributes,
        program,
        templates,
    })
}

impl Prepared {
    /// Sets how long the rules and the report template may run (`--rule-timeout`).
    pub fn set_limits(&mut self, limits: engine::Limits) {
        self.program.set_limits(limits);
        self.templates.set_limits(limits);
    }

    /// The as-of date: the override, else the policy's, else the latest transaction date.
    pub fn as_of(
        &self,
        override_as_of: Option<Day>,
        progress: Option<&dyn Progress>,
    ) -> Result<Day> {
        let policy = &self.workspace.policy;
        if let Some(d) = override_as_of.or(policy.as_of) {
            return Ok(d);
        }
        data::latest_day(&policy.transactions, &self.workspace.root, progress)?.ok_or_else(|| {
            Error::Usage(format!(
                "{} holds no transactions, so there is no as-of date to take from it",
                policy.transactions.path.display()
            ))
        })
    }

    /// Loads the data as of `as_of`, computes metrics, evaluates the rules and analyses the result.
    pub fn evaluate(&self, as_of: Day, progress: Option<&dyn Progress>) -> Result<Outcome> {
        let policy = &self.workspace.policy;
        let mut timings = Timings::default();
        let (acc, stats) = timings.time("load and aggregate transactions", || {
            data::read_transactions(
                &policy.transactions,
                &self.workspace.root,
                as_of,
                || Accumulator::new(as_of),
                progress,
            )
        })?;
        let mut table = timings.time("built-in metrics", || acc.finish());
        let orphans = match &self.attributes {
            Some(attrs) => join_attributes(&mut table, attrs),
            None => 0,
        };
        let order: Vec<String> = policy.metrics.iter().map(|m| m.name.clone()).collect();
        let evaluation = timings.time("rules", || self.program.evaluate(&mut table, &order))?;
        let analysis = timings.time("analysis", || {
            analysis::analyse(policy, &table, &evaluation, &stats, orphans)
        });
        Ok(Outcome {
            timings,
            table,
            evaluation,
            analysis,
            stats,
        })
    }

    /// Renders every output file of a run, sorted by path, with the renderer's warnings.
    pub fn render(&self, outcome: &Outcome) -> Result<(Vec<OutputFile>, Vec<String>)> {
        let policy = &self.workspace.policy;
        let context = report::context(policy, &outcome.analysis);
        let markdown = self.templates.render(&context).map_err(Error::Render)?;
        let mut files = vec![
            OutputFile {
                path: "customers.csv".into(),
                bytes: report::customers_csv(policy, &outcome.table, &outcome.evaluation),
            },
            OutputFile {
                path: "summary.json".into(),
                bytes: report::summary_json(policy, &outcome.analysis),
            },
        ];
        let (rendered, warnings) = report::charts_and_pdf(&markdown, &outcome.analysis, policy)?;
        files.extend(rendered);
        files.push(OutputFile {
            path: "report.md".into(),
            bytes: markdown.into_bytes(),
        });
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok((files, warnings))
    }
}

/// Adds the attribute columns to the customer table, aligned by customer id. Returns how many
/// attribute rows have no customer with transactions.
fn join_attributes(table: &mut CustomerTable, attrs: &data::AttributeTable) -> usize {
    let rows: Vec<Option<usize>> = table.ids.iter().map(|id| attrs.row_of(id)).collect();
    let matched = rows.iter().flatten().count();
    for col in &attrs.columns {
        let column = match &col.values {
            AttributeValues::Int(v) => Column::Int(
                rows.iter()
                    .map(|r| r.and_then(|r| v[r]).unwrap_or(EMPTY_INT))
                    .collect(),
            ),
            AttributeValues::Float(v) => Column::Float(
                rows.iter()
                    .map(|r| r.and_then(|r| v[r]).unwrap_or(f64::NAN))
                    .collect(),
            ),
            AttributeValues::Text(v) => {
                Column::Text(rows.iter().map(|r| r.and_then(|r| v[r].clone())).collect())
            }
        };
        table.push(col.name.clone(), ColumnOrigin::Attribute, column);
    }
    attrs.ids.len() - matched
}

/// What `run` did, for the command line to report.
pub struct RunSummary {
    /// The output folder.
    pub out: PathBuf,
    /// The files written.
    pub files: Vec<String>,
    /// The outcome.
    pub outcome: Outcome,
    /// What scripts printed.
    pub printed: Vec<String>,
    /// The workspace currency.
    pub currency: String,
    /// What the reader should know about the rendered report (missing glyphs, unknown images).
    pub warnings: Vec<String>,
}

/// The whole job: prepare, evaluate, render and replace the output folder in one step. The rules
/// and the report template each run within `limits`.
pub fn run(
    root: &Path,
    out: Option<&Path>,
    as_of: Option<Day>,
    limits: engine::Limits,
    progress: Option<&dyn Progress>,
) -> Result<RunSummary> {
    let start = std::time::Instant::now();
    let mut prepared = prepare(root)?;
    prepared.set_limits(limits);
    let as_of = prepared.as_of(as_of, progress)?;
    let prepare_time = start.elapsed();
    let mut outcome = prepared.evaluate(as_of, progress)?;
    outcome
        .timings
        .0
        .insert(0, ("load and compile workspace", prepare_time));
    let render_start = std::time::Instant::now();
    let (files, warnings) = prepared.render(&outcome)?;
    outcome.timings.0.push(("render", render_start.elapsed()));
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.join("out"));
    if out.join(workspace::POLICY_FILE).exists() {
        return Err(Error::Usage(format!(
            "{} holds a {}: refusing to replace a workspace with outputs",
            out.display(),
            workspace::POLICY_FILE
        )));
    }
    outcome
        .timings
        .time("write outputs", || report::write_atomically(&out, &files))?;
    Ok(RunSummary {
        out,
        files: files.iter().map(|f| f.path.clone()).collect(),
        printed: outcome.evaluation.printed.clone(),
        currency: prepared.workspace.policy.currency.clone(),
        warnings,
        outcome,
    })
}
