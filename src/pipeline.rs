//! load workspace -> load data -> compute metrics -> evaluate rules -> analyse -> render; each
//! step hands a plain value to the next.

pub mod compare;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::analysis::{self, Analysis};
use crate::data::{self, AttributeValues, Day, LoadStats, Progress};
use crate::engine::{self, Evaluation, Program};
use crate::error::{
    data_diagnostic_in, data_error, DataSection, Diagnostic, Error, Origin, Result,
};
use crate::metrics::{
    population, Accumulator, AsOfSet, AsOfTable, ByAccount, Column, CustomerTable,
    Origin as ColumnOrigin, SideSpec, Sidecar, EMPTY_INT,
};
use crate::provenance::{self, Provenance};
use crate::report::{self, OutputFile, Templates};
use crate::workspace::overrides::Override;
use crate::workspace::{self, CheckLevel, FileSource, Workspace};

/// A workspace with everything compiled: ready to run against its data.
pub struct Prepared {
    /// The loaded workspace.
    pub workspace: Workspace,
    /// The attribute table, if the policy names one; at `level: account`, one row per account
    /// (see [`data::Accounts`]).
    pub attributes: Option<data::AttributeTable>,
    /// Which account each customer belongs to, at `level: account`.
    pub accounts: Option<Arc<data::Accounts>>,
    /// The compiled rules.
    pub program: Program,
    /// The compiled report templates.
    pub templates: Templates,
    /// The date of issue overriding `report.issued` (`run --issued`).
    pub issued: Option<Day>,
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

/// The customer table as loaded from the data, before any rule ran.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Customers with built-in metrics and attribute columns.
    pub table: CustomerTable,
    /// The side aggregates (product and channel mix, ...), row for row with `table`.
    pub sidecar: Sidecar,
    /// What the loader saw.
    pub stats: LoadStats,
    /// How the customer master joined the customers with transactions; `None` without one.
    pub join: Option<data::Join>,
    /// How the customers were rolled up into accounts, at `level: account`.
    pub rollup: Option<analysis::accounts::Rollup>,
}

/// What one evaluation produced, before rendering.
pub struct Outcome {
    /// Customers with built-in, attribute and derived metrics (shared with the template
    /// functions while the report renders).
    pub table: Arc<CustomerTable>,
    /// Tiers and checks.
    pub evaluation: Arc<Evaluation>,
    /// The side aggregates (product and channel mix, ...), row for row with `table`.
    pub sidecar: Arc<Sidecar>,
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
    prepare_checked(&Prepare::folder(root), false)
}

/// [`prepare`] with what-if overrides (`--set KEY=VALUE`) applied to the policy before compiling.
pub fn prepare_with(root: &Path, overrides: &[Override]) -> Result<Prepared> {
    prepare_checked(
        &Prepare {
            overrides,
            ..Prepare::folder(root)
        },
        false,
    )
}

/// What `powerbase check` does: [`prepare`], open the transaction source to check that every
/// mapped column exists (`run` finds the same problems while loading), then evaluate every rule
/// and render every output once on made-up customers ([`Prepared::dry_run`]), so that a policy
/// that passes does not fail on `run` because of its rules or templates.
pub fn check(root: &Path) -> Result<Prepared> {
    let prepared = prepare_checked(&Prepare::folder(root), true)?;
    prepared.dry_run()?;
    Ok(prepared)
}

/// What `powerbase check --data` found reading every transaction row.
#[derive(Debug, Clone)]
pub struct DataCheck {
    /// Transaction rows read (every file).
    pub rows_read: u64,
    /// Rows that cannot be read, set aside under `on_bad_rows: quarantine` within
    /// `max_rejected`: a warning listing them (`None` when there are none). Bad rows otherwise
    /// are an error of [`check_data`].
    pub warning: Option<Diagnostic>,
}

/// A sink that keeps nothing: [`check_data`] only validates.
struct Discard;

impl data::RowSink for Discard {
    fn push(&mut self, _: &data::Row<'_>) {}
    fn merge(&mut self, _: Self) {}
}

/// What `check --data` adds to [`check`]: reads every row of every transaction file, as a run
/// reads them (every row, whatever its date), writing nothing. Bad rows fail it, all listed
/// ([`data::DataError::BadRows`]), unless `on_bad_rows: quarantine` sets them aside within
/// `max_rejected`: then they are a warning. (The customer master was read in full by
/// [`check`].)
pub fn check_data(prepared: &Prepared, progress: Option<&dyn Progress>) -> Result<DataCheck> {
    let policy = &prepared.workspace.policy;
    let src = &policy.transactions;
    let (_, stats) = data::read_transactions(
        src,
        &prepared.workspace.root,
        Day(i32::MAX),
        || Discard,
        progress,
    )
    .map_err(|e| data_error(e, DataSection::Transactions, &policy.spans))?;
    let r = &stats.rejected;
    let warning = (r.total > 0).then(|| {
        let path = src.path.shown();
        Diagnostic::new(format!(
            "{}: {} of the {} rows read ({}) cannot be read; a run sets them aside (on_bad_rows: \
             quarantine, within max_rejected) and lists them in rejects.csv:{}",
            path.display(),
            r.total,
            stats.rows_read,
            data::rejects_percent(r.total as f64 / stats.rows_read.max(1) as f64),
            r.listing(&path)
        ))
        .code("data/rows-set-aside")
        .warning()
    });
    Ok(DataCheck {
        rows_read: stats.rows_read,
        warning,
    })
}

/// What to prepare: a policy read from any file source, its data paths relative to a folder.
#[derive(Clone)]
pub struct Prepare<'a> {
    /// Where the policy files come from (the folder, a git revision, memory).
    pub source: Arc<dyn FileSource>,
    /// The folder the policy's data paths are relative to.
    pub root: &'a Path,
    /// What-if overrides applied before compiling.
    pub overrides: &'a [Override],
    /// A workspace prepared before whose attribute table is taken as it is when this policy
    /// reads the same file the same way (so comparing two policies reads it once).
    pub reuse: Option<&'a Prepared>,
}

impl<'a> Prepare<'a> {
    /// The workspace folder `root`, as it is on disk.
    pub fn folder(root: &'a Path) -> Self {
        Prepare {
            source: Arc::new(workspace::Folder::new(root)),
            root,
            overrides: &[],
            reuse: None,
        }
    }

    /// Loads and compiles the workspace, as [`prepare`] does for a folder. Problems in the files
    /// of a git revision name it (`HEAD~1:rules/tiers.yaml:12:7`).
    pub fn prepare(&self) -> Result<Prepared> {
        prepare_checked(self, false)
    }

    /// `problems` with their locations in the source's files named as it names them
    /// (`HEAD~1:rules/tiers.yaml`).
    fn named(&self, problems: Vec<Diagnostic>) -> Vec<Diagnostic> {
        problems
            .into_iter()
            .map(|d| workspace::source::name_revision(self.source.as_ref(), d))
            .collect()
    }

    /// Compiles `workspace`, already loaded from this source (with
    /// [`workspace::load_from`]`(source, root)`), without reading its files again.
    pub fn prepare_loaded(&self, workspace: Workspace) -> Result<Prepared> {
        compile_checked(self, workspace, false)
    }
}

fn prepare_checked(how: &Prepare, check_source: bool) -> Result<Prepared> {
    let root = how.root;
    let workspace = match workspace::load_from(how.source.clone(), root) {
        Ok(w) => w,
        Err(failed) => {
            // No policy to compile, but the plugins can still be checked in the same pass.
            let mut problems = failed.problems;
            problems.extend(how.named(engine::check_scripts(&failed.scripts)));
            return Err(Error::Workspace(problems));
        }
    };
    compile_checked(how, workspace, check_source)
}

/// Compiles a loaded workspace (see [`prepare_checked`]).
fn compile_checked(
    how: &Prepare,
    mut workspace: Workspace,
    check_source: bool,
) -> Result<Prepared> {
    let root = how.root;
    workspace::overrides::apply(&mut workspace.policy, how.overrides).map_err(Error::Workspace)?;
    let mut problems = workspace.problems.clone();
    let policy = &workspace.policy;
    problems.extend(analysis::rising::graduation_reach(&policy.params).err());
    if check_source {
        if let Err(e) = data::check_source(&policy.transactions, root) {
            problems.push(data_diagnostic_in(
                &e,
                DataSection::Transactions,
                &policy.spans,
            ));
        }
    }
    // At the same level: an account-level table is reused with its roll-up.
    let reused = how.reuse.filter(|r| {
        r.workspace.root == root
            && r.workspace.policy.customers == policy.customers
            && r.workspace.policy.level == policy.level
    });
    let attributes = match (&policy.customers, reused) {
        (Some(_), Some(r)) => r.attributes.clone(),
        (Some(src), None) => match data::read_customers(src, root) {
            Ok(t) => Some(t),
            Err(e) => {
                problems.push(data_diagnostic_in(
                    &e,
                    DataSection::Customers,
                    &policy.spans,
                ));
                None
            }
        },
        (None, _) => None,
    };
    let (attributes, accounts) = match (policy.level, reused) {
        (_, Some(r)) => (attributes, r.accounts.clone()),
        (workspace::Level::Customer, None) => (attributes, None),
        (workspace::Level::Account, None) => match account_level(policy, attributes.as_ref()) {
            Ok(accounts) => (Some(accounts.attributes.clone()), Some(Arc::new(accounts))),
            Err(d) => {
                problems.extend(d);
                (attributes, None)
            }
        },
    };
    let names = declare_attributes(&mut workspace, attributes.as_ref(), &mut problems);
    problems.extend(banded_columns(&workspace, attributes.as_ref()));
    problems.extend(analysis::trends::problems(&workspace.policy, &names));
    let program = engine::compile(&workspace, &names);
    let calls = program
        .as_ref()
        .map(Program::template_calls)
        .unwrap_or_default();
    let templates = Templates::load(&workspace, &calls);
    let (program, templates) = match (program, templates) {
        (Ok(p), Ok(t)) if problems.is_empty() => (p, t),
        (p, t) => {
            problems.extend(how.named(p.err().unwrap_or_default()));
            problems.extend(how.named(t.err().unwrap_or_default()));
            return Err(Error::Workspace(problems));
        }
    };
    Ok(Prepared {
        workspace,
        attributes,
        accounts,
        program,
        templates,
        issued: None,
    })
}

/// The roll-up of `level: account` from the customer attribute table `attributes` (`None` when
/// the policy names none, or it could not be read, which is a problem already).
fn account_level(
    policy: &workspace::Policy,
    attributes: Option<&data::AttributeTable>,
) -> std::result::Result<data::Accounts, Option<Diagnostic>> {
    let at = || {
        policy
            .spans
            .get("level")
            .cloned()
            .unwrap_or_else(|| Origin::file(workspace::POLICY_FILE))
    };
    let Some(table) = attributes else {
        return Err(policy.customers.is_none().then(|| {
            Diagnostic::at(at(), "`level: account` needs a customer table with a `parent_id` column, and the policy names no `data.customers`")
                .code("policy/account-level-without-parents")
                .with_help("add data.customers with a column mapped as `parent_id` (columns: { customer_id: ..., parent_id: \"Parent ID\" }), or remove `level: account`")
        }));
    };
    data::Accounts::from_attributes(table).map_err(|message| {
        let code = if table.column(data::PARENT_ID).is_none() {
            "policy/account-level-without-parents"
        } else {
            "data/nested-parent"
        };
        let d = Diagnostic::at(at(), message).code(code);
        let help = match code {
            "data/nested-parent" => "point every customer of the account at the top parent, or leave the top parent's `parent_id` empty",
            _ => "map the column naming each customer's account as `parent_id` in data.customers.columns (columns: { customer_id: ..., parent_id: \"Parent ID\" })",
        };
        Some(
            d.with_label(Origin::file(table.path.clone()), "the customer table")
                .with_help(help),
        )
    })
}

/// Declares the attribute columns in the workspace's table of names, reporting a clash with a
/// built-in metric, a param or a metric once, at both places. Returns the attribute names
/// expressions may read: those without a clash (a clashing name is already a problem, which the
/// compiler need not find again).
fn declare_attributes(
    workspace: &mut Workspace,
    attributes: Option<&data::AttributeTable>,
    problems: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let (Some(table), Some(src)) = (attributes, &workspace.policy.customers) else {
        return Vec::new();
    };
    let spans = &workspace.policy.spans;
    let mut clear = Vec::new();
    for column in &table.columns {
        let name = &column.name;
        let origin = spans
            .get(&format!("data.customers.columns.{name}"))
            .cloned()
            .unwrap_or_else(|| Origin::file(src.path.shown()));
        match workspace
            .names
            .declare(workspace::Kind::Attribute, name, &origin)
        {
            Ok(()) => clear.push(name.clone()),
            Err(d) => problems.push(d),
        }
    }
    clear
}

/// `attributes:` bands name numeric columns: an attribute column of numbers, a built-in or a
/// derived metric.
fn banded_columns(
    workspace: &Workspace,
    attributes: Option<&data::AttributeTable>,
) -> Vec<Diagnostic> {
    let attribute = |name: &str| attributes.and_then(|t| t.columns.iter().find(|c| c.name == name));
    let mut known: Vec<String> = crate::metrics::BUILTINS
        .iter()
        .map(|b| b.name.to_string())
        .collect();
    known.extend(workspace.policy.metrics.iter().map(|m| m.name.clone()));
    known.extend(
        attributes
            .iter()
            .flat_map(|t| t.columns.iter().map(|c| c.name.clone())),
    );
    let mut problems = Vec::new();
    for bands in &workspace.policy.bands {
        let name = bands.attribute.as_str();
        let problem = match attribute(name) {
            Some(c) if matches!(c.values, AttributeValues::Text(_)) => Some((
                format!("attributes.{name}.bands: `{name}` holds text, which cannot be banded"),
                "bands are for numbers; a text attribute is profiled by its values".to_string(),
            )),
            Some(_) => None,
            None if known.iter().any(|k| k == name) => None,
            None => Some((
                format!("attributes.{name}: no attribute column or metric is called `{name}`"),
                match crate::ident::closest(&known, name) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => "name a column of the customer table or a metric".to_string(),
                },
            )),
        };
        if let Some((message, help)) = problem {
            problems.push(
                Diagnostic::at(bands.origin.clone(), message)
                    .with_help(help)
                    .code("policy/bad-bands"),
            );
        }
    }
    problems
}

impl Prepared {
    /// The same workspace with what-if overrides applied and its rules and templates compiled again;
    /// the attribute table already read is reused.
    pub fn with_overrides(&self, overrides: &[Override]) -> Result<Prepared> {
        let mut workspace = self.workspace.clone();
        workspace::overrides::apply(&mut workspace.policy, overrides).map_err(Error::Workspace)?;
        let names: Vec<String> = self
            .attributes
            .iter()
            .flat_map(|t| t.columns.iter().map(|c| c.name.clone()))
            .collect();
        let program = engine::compile(&workspace, &names);
        let calls = program
            .as_ref()
            .map(Program::template_calls)
            .unwrap_or_default();
        let templates = Templates::load(&workspace, &calls);
        match (program, templates) {
            (Ok(program), Ok(templates)) => Ok(Prepared {
                attributes: self.attributes.clone(),
                accounts: self.accounts.clone(),
                workspace,
                program,
                templates,
                issued: self.issued,
            }),
            (p, t) => {
                let mut problems = p.err().unwrap_or_default();
                problems.extend(t.err().unwrap_or_default());
                Err(Error::Workspace(problems))
            }
        }
    }

    /// Sets how long the rules and the report template may run (`--rule-timeout`).
    pub fn set_limits(&mut self, limits: engine::Limits) {
        self.program.set_limits(limits);
        self.templates.set_limits(limits);
    }

    /// Sets the date of issue that overrides `report.issued` (`--issued`).
    pub fn set_issued(&mut self, issued: Option<Day>) {
        self.issued = issued;
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
        let latest = data::latest_day(&policy.transactions, &self.workspace.root, progress)
            .map_err(|e| data_error(e, DataSection::Transactions, &policy.spans))?;
        latest.ok_or_else(|| {
            Error::Usage(format!(
                "{} holds no transactions, so there is no as-of date to take from it",
                policy.transactions.path.display()
            ))
        })
    }

    /// Loads the data as of `as_of`, computes metrics, evaluates the rules and analyses the result.
    pub fn evaluate(&self, as_of: Day, progress: Option<&dyn Progress>) -> Result<Outcome> {
        let mut timings = Timings::default();
        let data = self.load(as_of, progress, &mut timings)?;
        self.decide(data, timings)
    }

    /// [`Prepared::evaluate`] as of `as_of`, with how the customers moved between tiers since
    /// `earlier` in the outcome's analysis (`run --compare-as-of`): the data is read once for both
    /// dates and the same compiled rules decide both. `earlier` must come before `as_of`.
    pub fn evaluate_since(
        &self,
        earlier: Day,
        as_of: Day,
        progress: Option<&dyn Progress>,
    ) -> Result<Outcome> {
        if earlier >= as_of {
            return Err(Error::Usage(format!(
                "--compare-as-of {earlier} must be earlier than the as-of date {as_of}: it is the date the customers moved from"
            )));
        }
        let policy = &self.workspace.policy;
        let lapse_days = analysis::migration::lapse_days(&policy.params)
            .map_err(|d| Error::Workspace(vec![d]))?;
        let mut timings = Timings::default();
        let mut loaded = self.load_at(&[earlier, as_of], &self.sides(), progress, &mut timings)?;
        let (later, before) = match (loaded.pop(), loaded.pop()) {
            (Some(later), Some(before)) => (later, before),
            _ => unreachable!("one table per date"),
        };
        let earlier_tiers = timings.time("rules at the earlier date", || {
            self.program.evaluate(&before.table)
        })?;
        let mut outcome = self.decide(later, timings)?;
        let tiers: Vec<String> = policy.tier_names();
        let periods = outcome.timings.time("migration", || {
            analysis::migration::between(
                analysis::migration::Side {
                    table: &before.table,
                    tiers: &earlier_tiers.tiers,
                },
                analysis::migration::Side {
                    table: &outcome.table,
                    tiers: &outcome.evaluation.tiers,
                },
                &tiers,
                lapse_days,
                policy.report.top_customers,
            )
        });
        outcome.analysis.migration = Some(periods);
        Ok(outcome)
    }

    /// The side aggregates a run of this workspace keeps: the product and channel mix when those
    /// columns are mapped, the rising customers' 180-day revenue, revenue and margin by quarter for
    /// the trends, and the 12-month product mix when personas weigh needs (the investment gap's
    /// adoption).
    pub fn sides(&self) -> SideSpec {
        let policy = &self.workspace.policy;
        let columns = &policy.transactions.columns;
        SideSpec {
            product_mix: columns.product.is_some(),
            channel_mix: columns.channel.is_some(),
            day_windows: vec![analysis::rising::WINDOW_DAYS],
            quarters: true,
            product_mix_12m: columns.product.is_some()
                && policy.personas.iter().any(|p| !p.needs.is_empty()),
            ..SideSpec::default()
        }
    }

    /// An accumulator for this workspace's data as of `as_of`, keeping the side aggregates `sides`.
    fn accumulator(&self, as_of: Day, sides: &SideSpec) -> Accumulator {
        let acc = Accumulator::new(as_of).with_sides(sides);
        if self.workspace.policy.transactions.columns.cost.is_some() {
            acc
        } else {
            acc.without_cost()
        }
    }

    /// Loads the transactions as of `as_of` into the customer table with the built-in metrics and
    /// the attribute columns: what every evaluation of this data starts from. The side
    /// aggregates are those of [`Prepared::sides`].
    pub fn load(
        &self,
        as_of: Day,
        progress: Option<&dyn Progress>,
        timings: &mut Timings,
    ) -> Result<Loaded> {
        let mut loaded = self.load_at(&[as_of], &self.sides(), progress, timings)?;
        Ok(loaded.pop().expect("one table per date"))
    }

    /// [`Prepared::load`] for several as-of dates in one pass over the data, keeping the side
    /// aggregates `sides`: one [`Loaded`] per date, in the order given, each the same as a load
    /// with that date alone (its customers, metrics and loader counts).
    pub fn load_at(
        &self,
        dates: &[Day],
        sides: &SideSpec,
        progress: Option<&dyn Progress>,
        timings: &mut Timings,
    ) -> Result<Vec<Loaded>> {
        let policy = &self.workspace.policy;
        let Some(latest) = AsOfSet::latest(dates) else {
            return Ok(Vec::new());
        };
        let make = || AsOfSet::new(dates, |d| self.accumulator(d, sides));
        let read = |timings: &mut Timings| {
            timings.time("load and aggregate transactions", || match &self.accounts {
                // At account level each row is keyed by its account before it is aggregated.
                Some(accounts) => self
                    .read_normalised(
                        latest,
                        || ByAccount::new(make(), accounts.clone()),
                        progress,
                    )
                    .map(|(by, stats, merged)| {
                        let (set, members) = by.finish();
                        (set, stats, merged, Some(members))
                    }),
                None => self
                    .read_normalised(latest, make, progress)
                    .map(|(set, stats, merged)| (set, stats, merged, None)),
            })
        };
        let (set, stats, merged, members) =
            read(timings).map_err(|e| data_error(e, DataSection::Transactions, &policy.spans))?;
        let tables = timings.time("built-in metrics", || set.finish(&stats));
        tables
            .into_iter()
            .map(|t| self.loaded(t, members, &merged))
            .collect()
    }

    /// Reads the transactions into the sinks `make` makes, each row's customer id normalised
    /// first when `data.customers.id_normalise` says so (without it the sinks see the rows
    /// directly), with the customers whose rows came under several raw ids.
    fn read_normalised<S: data::RowSink>(
        &self,
        latest: Day,
        make: impl Fn() -> S + Sync,
        progress: Option<&dyn Progress>,
    ) -> std::result::Result<(S, LoadStats, data::Merged), data::DataError> {
        let (src, root) = (&self.workspace.policy.transactions, &self.workspace.root);
        match self.id_rule() {
            None => data::read_transactions(src, root, latest, make, progress)
                .map(|(sink, stats)| (sink, stats, data::Merged::default())),
            Some(rule) => data::read_transactions(
                src,
                root,
                latest,
                || data::Normalised::new(make(), rule.clone()),
                progress,
            )
            .map(|(sink, stats)| {
                let (sink, merged) = sink.finish();
                (sink, stats, merged)
            }),
        }
    }

    /// The customer id rule of the join (`data.customers.id_normalise`), when it changes ids.
    fn id_rule(&self) -> Option<&data::IdNormalise> {
        let customers = self.workspace.policy.customers.as_ref()?;
        customers.id_normalise.as_ref().filter(|r| !r.is_identity())
    }

    /// One date's table with the attribute columns joined, after checking its totals; at account
    /// level, with the roll-up of the `members` customers of parent accounts who had transactions.
    fn loaded(
        &self,
        at: AsOfTable,
        members: Option<usize>,
        merged: &data::Merged,
    ) -> Result<Loaded> {
        let AsOfTable {
            mut table,
            sidecar,
            mut stats,
        } = at;
        totals_fit(&table, &self.workspace.policy.transactions.path.shown())?;
        let join = self.attributes.as_ref().map(|attrs| {
            stats.sources.extend(attrs.source.clone());
            join_attributes(&mut table, attrs, self.id_rule(), merged)
        });
        let rollup = self
            .accounts
            .as_ref()
            .zip(members)
            .map(|(a, m)| analysis::accounts::Rollup::new(&table.ids, a, m));
        Ok(Loaded {
            table,
            sidecar,
            stats,
            join,
            rollup,
        })
    }

    /// Evaluates the rules on loaded data and analyses the result.
    pub fn decide(&self, data: Loaded, mut timings: Timings) -> Result<Outcome> {
        let policy = &self.workspace.policy;
        let Loaded {
            mut table,
            sidecar,
            stats,
            join,
            rollup,
        } = data;
        let mut evaluation = timings.time("rules", || self.program.evaluate(&table))?;
        // One table with every column for the outputs: built-ins, attributes, derived metrics.
        table.columns.append(&mut evaluation.derived);
        let mut analysis = timings.time("analysis", || {
            analysis::analyse(policy, &table, &sidecar, &evaluation, &stats, join)
        });
        if policy.checks.iter().any(|c| c.level == CheckLevel::Summary) {
            let facts = crate::report::model::check_facts(policy, &analysis);
            let found = timings.time("summary checks", || self.program.summary_findings(&facts))?;
            analysis
                .findings
                .extend(found.into_iter().map(|f| analysis::Finding {
                    name: f.name,
                    severity: f.severity,
                    message: f.message,
                    customers: 0,
                    revenue: 0,
                    revenue_share: 0.0,
                    largest: None,
                }));
        }
        analysis.accounts = rollup;
        Ok(Outcome {
            timings,
            table: Arc::new(table),
            evaluation: Arc::new(evaluation),
            sidecar: Arc::new(sidecar),
            analysis,
            stats,
        })
    }

    /// Evaluates every rule and renders every output once on made-up customers
    /// ([`crate::metrics::synthetic`]) with attribute values taken from the first rows of the
    /// attribute table (every other customer without any), writing nothing. A failure is a problem
    /// of the policy or its templates, reported as a workspace problem.
    pub fn dry_run(&self) -> Result<()> {
        let as_of = self
            .workspace
            .policy
            .as_of
            .unwrap_or_else(|| Day::parse_iso("2024-12-31").expect("a valid date"));
        let has_cost = self.workspace.policy.transactions.columns.cost.is_some();
        let mut table = crate::metrics::synthetic::table(as_of, has_cost);
        // The join block of the report renders too, with its warning.
        let join = self.attributes.as_ref().map(|attrs| {
            let rows: Vec<Option<usize>> = (0..table.len())
                .map(|i| (i % 2 == 0 && !attrs.ids.is_empty()).then(|| (i / 2) % attrs.ids.len()))
                .collect();
            push_attributes(&mut table, attrs, &rows);
            let mut join = data::Join::new(
                &table.ids,
                attrs,
                &rows,
                self.id_rule(),
                &data::Merged::default(),
            );
            join.warning
                .get_or_insert_with(|| "made-up customers".to_string());
            join
        });
        let stats = LoadStats {
            rows_read: table.len() as u64,
            rows_used: table.len() as u64,
            first_day: Some(Day(as_of.0 - 500)),
            last_day: Some(as_of),
            ..LoadStats::default()
        };
        // The data-quality lines of an account-level run render too.
        let rollup = self
            .accounts
            .as_ref()
            .map(|a| analysis::accounts::Rollup::new(&table.ids, a, 0));
        let loaded = Loaded {
            table,
            sidecar: Sidecar::default(),
            stats,
            join,
            rollup,
        };
        let on_made_up = |e: Error| match e {
            Error::Evaluation(d) | Error::Render(d) => {
                let help = d.help.clone().unwrap_or_else(|| {
                    "check evaluates every rule and template on made-up customers, among them one with only a refund and one with zero revenue, whose dates, averages and shares are empty".to_string()
                });
                Error::Workspace(vec![d.with_help(help)])
            }
            other => other,
        };
        let mut outcome = self
            .decide(loaded, Timings::default())
            .map_err(on_made_up)?;
        // The migration block of `run --compare-as-of` renders too: the made-up customers
        // compared with themselves.
        let side = analysis::migration::Side {
            table: &outcome.table,
            tiers: &outcome.evaluation.tiers,
        };
        let policy = &self.workspace.policy;
        let tiers: Vec<String> = policy.tier_names();
        let lapse_days = analysis::migration::lapse_days(&policy.params)
            .unwrap_or(analysis::migration::LAPSE_DAYS);
        let periods = analysis::migration::between(
            side,
            side,
            &tiers,
            lapse_days,
            policy.report.top_customers,
        );
        outcome.analysis.migration = Some(periods);
        self.render(&outcome, None).map_err(on_made_up)?;
        Ok(())
    }

    /// The provenance of a run of this workspace writing to `out` with `overrides`: the git state of
    /// the workspace and the SHA-256 of every data file it reads.
    pub fn provenance(&self, out: Option<&Path>, overrides: &[Override]) -> Result<Provenance> {
        let inputs = self.inputs();
        let files: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
        let overrides: Vec<String> = overrides.iter().map(ToString::to_string).collect();
        provenance::collect(&self.workspace.root, out, &files, &overrides)
            .map_err(|(path, source)| Error::Data(data::DataError::Io { path, source }))
    }

    /// Renders every output file of a run (the registry [`report::OUTPUTS`]), sorted by path,
    /// with the renderer's warnings and the report model they were made from.
    pub fn render(&self, outcome: &Outcome, provenance: Option<&Provenance>) -> Result<Rendered> {
        let policy = &self.workspace.policy;
        let document = report::document::Document::resolve(&policy.report, self.issued)
            .map_err(Error::Render)?;
        let locale = report_locale(policy)?;
        // summary.json is the model with en-US figures whatever `report.locale` says; the report
        // shows the model built again in its locale (only when one is named).
        let model = report::model::build(policy, &outcome.analysis, provenance, document.clone());
        let (files, warnings) = report::format::with_locale(&locale, || {
            let localized = policy
                .report
                .locale
                .is_some()
                .then(|| report::model::build(policy, &outcome.analysis, provenance, document));
            let shown = localized.as_ref().unwrap_or(&model);
            let data = report::TemplateData::new(
                policy,
                outcome.table.clone(),
                outcome.evaluation.clone(),
            );
            let markdown = self
                .templates
                .render_with(&report::context(shown), Some(Arc::new(data)))
                .map_err(Error::Render)?;
            report::outputs::build_all(&report::Inputs {
                policy,
                model: shown,
                summary: &model,
                markdown: &markdown,
                table: &outcome.table,
                evaluation: &outcome.evaluation,
                rejects: (policy.transactions.on_bad_rows == data::OnBadRows::Quarantine)
                    .then_some(outcome.stats.rejected.rows.as_slice()),
            })
        })?;
        Ok(Rendered {
            files,
            warnings,
            model,
        })
    }
}

/// The formats of the policy's `report.locale` (validated when the policy was read).
pub fn report_locale(policy: &workspace::Policy) -> Result<std::rc::Rc<report::format::Locale>> {
    report::format::Locale::new(policy.report.locale.as_deref())
        .map(std::rc::Rc::new)
        .map_err(|e| {
            Error::Render(Diagnostic::new(format!("report.locale: {e}")).code("report/bad-locale"))
        })
}

/// The outputs of a run, rendered.
pub struct Rendered {
    /// Every output file, sorted by path.
    pub files: Vec<OutputFile>,
    /// What the reader should know about them (missing glyphs, unknown images).
    pub warnings: Vec<String>,
    /// The report model they show.
    pub model: report::Report,
}

/// Every customer's money is in range (the loader checks), but the sums over customers (the total,
/// a tier's) could still leave it: stop before anything adds them.
fn totals_fit(table: &CustomerTable, path: &Path) -> Result<()> {
    for name in ["revenue", "margin", "cost"] {
        let fits = table
            .known_money(name)
            .is_none_or(population::subset_sums_fit);
        if !fits {
            return Err(Error::Data(data::DataError::Format {
                path: path.to_path_buf(),
                location: None,
                message: format!(
                    "the customers' {name} adds up to more than powerbase can total exactly (±92,233,720,368,547,758.07); check the export for values far too large"
                ),
            }));
        }
    }
    Ok(())
}

/// Adds the attribute columns to the customer table, aligned by customer id (both normalised by
/// `rule`, which merged the raw ids `merged`). Returns what the join found.
fn join_attributes(
    table: &mut CustomerTable,
    attrs: &data::AttributeTable,
    rule: Option<&data::IdNormalise>,
    merged: &data::Merged,
) -> data::Join {
    let rows: Vec<Option<usize>> = table.ids.iter().map(|id| attrs.row_of(id)).collect();
    push_attributes(table, attrs, &rows);
    data::Join::new(&table.ids, attrs, &rows, rule, merged)
}

/// Adds the attribute columns, taking customer `i`'s values from attribute row `rows[i]` (empty
/// when `None`).
fn push_attributes(
    table: &mut CustomerTable,
    attrs: &data::AttributeTable,
    rows: &[Option<usize>],
) {
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
}

/// What `run` did, for the command line to report.
pub struct RunSummary {
    /// The output folder.
    pub out: PathBuf,
    /// The files written.
    pub files: Vec<String>,
    /// The outcome.
    pub outcome: Outcome,
    /// The report model the outputs show (the terminal summary prints from it).
    pub model: report::Report,
    /// What scripts printed.
    pub printed: Vec<String>,
    /// The workspace currency.
    pub currency: String,
    /// What the reader should know about the rendered outputs (missing glyphs, unknown images,
    /// a workbook left out), each naming its file.
    pub warnings: Vec<String>,
    /// What could not be cleaned up around the output folder (the outputs are complete all the same).
    pub output_warnings: Vec<String>,
    /// The report's locale (`report.locale`), for figures printed from the model.
    pub locale: std::rc::Rc<report::format::Locale>,
}

/// How to run a workspace.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The output folder; `WORKSPACE/out` when `None`.
    pub out: Option<PathBuf>,
    /// The as-of date overriding the policy's.
    pub as_of: Option<Day>,
    /// What-if overrides of params and tier conditions.
    pub overrides: Vec<Override>,
    /// Leave the provenance stamp (version, git commit, data file hashes) out of the outputs, so
    /// they compare byte for byte across commits and machines.
    pub no_provenance: bool,
    /// How long the rules and the report template may run.
    pub limits: engine::Limits,
    /// An earlier as-of date to compare with (`--compare-as-of`): the report then shows how the
    /// customers moved between tiers from it to the as-of date.
    pub compare_as_of: Option<Day>,
    /// The date of issue overriding `report.issued` (`--issued`).
    pub issued: Option<Day>,
    /// `--on-bad-rows` and `--max-rejected`, overriding `data.transactions`.
    pub bad_rows: BadRowsOverride,
}

/// The command line's `--on-bad-rows` and `--max-rejected`: each, when given, replaces the
/// setting of `data.transactions` for this run.
#[derive(Debug, Clone, Copy, Default)]
pub struct BadRowsOverride {
    /// `fail` or `quarantine`.
    pub on_bad_rows: Option<data::OnBadRows>,
    /// The largest share of rows that may be set aside.
    pub max_rejected: Option<data::Share>,
}

impl BadRowsOverride {
    /// Applies the overrides to the policy's transaction source.
    pub fn apply(&self, prepared: &mut Prepared) {
        let src = &mut prepared.workspace.policy.transactions;
        if let Some(on) = self.on_bad_rows {
            src.on_bad_rows = on;
        }
        if let Some(share) = self.max_rejected {
            src.max_rejected = Some(share);
        }
    }
}

/// The whole job: prepare, evaluate, render and replace the output folder in one step. The output
/// folder (`out`, default `WORKSPACE/out`) is checked right after the workspace is loaded, before the
/// data is read, and again when it is written (see [`report::output`]).
pub fn run(
    root: &Path,
    options: &RunOptions,
    progress: Option<&dyn Progress>,
) -> Result<RunSummary> {
    run_with(root, options, progress, &|_| ())
}

/// [`run`], telling `notice` when it has to wait for another run writing the same output folder.
pub fn run_with(
    root: &Path,
    options: &RunOptions,
    progress: Option<&dyn Progress>,
    notice: &dyn Fn(&str),
) -> Result<RunSummary> {
    let start = std::time::Instant::now();
    let mut prepared = prepare_with(root, &options.overrides)?;
    prepared.set_limits(options.limits);
    prepared.set_issued(options.issued);
    options.bad_rows.apply(&mut prepared);
    let out = options.out.clone().unwrap_or_else(|| root.join("out"));
    let inputs = prepared.inputs();
    report::output::check_out_dir(&out, root, &inputs)?;
    // The data files are fingerprinted on a thread of their own while the data is loaded.
    let (outcome, provenance) = std::thread::scope(|scope| {
        let provenance = (!options.no_provenance)
            .then(|| scope.spawn(|| prepared.provenance(Some(&out), &options.overrides)));
        let outcome = prepared.as_of(options.as_of, progress).and_then(|as_of| {
            let prepare_time = start.elapsed();
            let mut outcome = match options.compare_as_of {
                None => prepared.evaluate(as_of, progress)?,
                Some(earlier) => prepared.evaluate_since(earlier, as_of, progress)?,
            };
            outcome
                .timings
                .0
                .insert(0, ("load and compile workspace", prepare_time));
            Ok(outcome)
        });
        let provenance = provenance
            .map(|h| h.join().expect("the fingerprinting thread does not panic"))
            .transpose();
        (outcome, provenance)
    });
    let mut outcome = outcome?;
    let provenance = provenance?;
    let render_start = std::time::Instant::now();
    report::output::pause_for_tests("render");
    let Rendered {
        files,
        warnings,
        model,
    } = prepared.render(&outcome, provenance.as_ref())?;
    outcome.timings.0.push(("render", render_start.elapsed()));
    let output_warnings = outcome.timings.time("write outputs", || {
        report::output::check_placement(&out, root, &inputs)?;
        report::write_atomically(&out, &files, &|holder| {
            let by = holder
                .map(|pid| format!(" (process {pid})"))
                .unwrap_or_default();
            notice(&format!(
                "waiting for another powerbase run{by} to finish writing {}",
                out.display()
            ));
        })
    })?;
    Ok(RunSummary {
        out,
        files: files.iter().map(|f| f.path.clone()).collect(),
        printed: outcome.evaluation.printed.clone(),
        currency: prepared.workspace.policy.currency.clone(),
        warnings,
        output_warnings,
        locale: report_locale(&prepared.workspace.policy)?,
        outcome,
        model,
    })
}

impl Prepared {
    /// The names of the tiers, in policy order.
    pub fn tier_names(&self) -> Vec<String> {
        self.workspace.policy.tier_names()
    }

    /// The data files the workspace reads, as written in the policy (relative to the workspace or
    /// absolute; globs expanded, or as written when they match nothing): an output folder may
    /// never hold one.
    pub fn inputs(&self) -> Vec<PathBuf> {
        let policy = &self.workspace.policy;
        let root = &self.workspace.root;
        std::iter::once(&policy.transactions.path)
            .chain(policy.customers.iter().map(|c| &c.path))
            .flat_map(|p| p.files(root).unwrap_or_else(|_| p.entries().to_vec()))
            .collect()
    }
}

#[cfg(test)]
mod tests;
