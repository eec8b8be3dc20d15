//! Stage 1: the client workspace. Reads `powerbase.yaml`, `rules/**/*.yaml`, `scripts/**/*.rhai` and
//! `templates/**` into one [`Workspace`], keeping where every value was written so later stages can
//! point at it. Problems are collected, not stopped at: `check` shows them all in one pass.

pub mod builtin;
mod files;
pub mod overrides;
mod schema;
mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;

pub use schema::{ParamValue, Severity};

use crate::data::{CustomerSource, Day, TransactionSource};
use crate::error::{Diagnostic, Origin};
use schema::{ParamEntry, PolicyFile};

/// The name of the main policy file.
pub const POLICY_FILE: &str = "powerbase.yaml";

/// A loaded client workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace folder.
    pub root: PathBuf,
    /// The merged policy.
    pub policy: Policy,
    /// Rhai plugin scripts, sorted by path.
    pub scripts: Vec<SourceFile>,
    /// The workspace's own report templates, named by their path below `templates/`.
    pub templates: Vec<SourceFile>,
    /// Problems that did not stop loading (a clash of names, a bad date): the workspace can still
    /// be compiled to find more, but must not run.
    pub problems: Vec<Diagnostic>,
}

/// A text file of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Its name as shown to the user (relative to the workspace, or below `templates/`).
    pub name: String,
    /// Its contents.
    pub text: String,
}

/// The client's definition of value, merged from all policy files.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The client business.
    pub client: String,
    /// ISO currency code of the amounts.
    pub currency: String,
    /// The as-of date written in the policy, if any.
    pub as_of: Option<Day>,
    /// Where the transactions come from.
    pub transactions: TransactionSource,
    /// The optional customer attribute table.
    pub customers: Option<CustomerSource>,
    /// Named constants usable in every expression.
    pub params: Vec<Param>,
    /// Derived metrics, in policy order.
    pub metrics: Vec<Derived>,
    /// Tiers, highest first; the last has no condition.
    pub tiers: Vec<Tier>,
    /// Checks that turn into findings.
    pub checks: Vec<Check>,
    /// Report settings.
    pub report: ReportSettings,
    /// Every policy file read, in reading order.
    pub files: Vec<String>,
}

/// An expression written by the user, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// The Rhai source.
    pub text: String,
    /// Where the text starts.
    pub origin: Origin,
}

/// A named constant.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Its name in expressions.
    pub name: String,
    /// Its value.
    pub value: ParamValue,
    /// Where it was defined.
    pub origin: Origin,
}

/// A derived metric: a per-customer value computed by an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    /// Its name in expressions and in `customers.csv`.
    pub name: String,
    /// How it is computed.
    pub expr: Expr,
}

/// A tier (a class of customers).
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    /// Its name.
    pub name: String,
    /// Who belongs (first match wins); `None` for the last tier, which takes everyone left.
    pub when: Option<Expr>,
    /// A sentence for the report.
    pub description: Option<String>,
    /// Where it was defined.
    pub origin: Origin,
}

/// A per-customer check; customers for whom `when` holds make a finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Its name.
    pub name: String,
    /// The condition.
    pub when: Expr,
    /// How serious it is.
    pub severity: Severity,
    /// What it means, for the report.
    pub message: String,
}

/// What the report looks like.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSettings {
    /// Report title.
    pub title: String,
    /// A line under the title.
    pub subtitle: Option<String>,
    /// Who prepared it.
    pub prepared_by: Option<String>,
    /// The main template's name (a workspace template or `builtin/...`).
    pub template: String,
    /// `A4` or `Letter`.
    pub page_size: String,
    /// How many customers the top-customer table lists.
    pub top_customers: usize,
}

/// Reads a workspace folder. Fails only when no policy can be built (`powerbase.yaml` missing or not
/// valid YAML of the right shape, no data or tiers) or when a policy file could not be read (what
/// it holds is unknown, so compiling the rest would report its absence as more problems); other
/// problems are kept in [`Workspace::problems`] so that compiling can find more in the same pass.
pub fn load(root: &Path) -> Result<Workspace, LoadError> {
    let mut problems = Vec::new();
    let main = match read_main(root) {
        Ok(text) => parse_file(POLICY_FILE, &text, &mut problems),
        Err(d) => {
            problems.push(d);
            None
        }
    };
    let main_parsed = main.is_some();
    let mut parsed: Vec<(String, PolicyFile)> = main
        .map(|f| (POLICY_FILE.to_string(), f))
        .into_iter()
        .collect();
    // A rule file that could not be listed, read or parsed makes the policy incomplete.
    let before = problems.len();
    let mut rules = files::text_files(root, "rules", &["yaml", "yml"], &mut problems);
    rules.sort_by(|a, b| a.name.cmp(&b.name));
    let mut all_read = main_parsed && problems.len() == before;
    for f in rules {
        match parse_file(&f.name, &f.text, &mut problems) {
            Some(file) => parsed.push((f.name, file)),
            None => all_read = false,
        }
    }
    include_builtins(&mut parsed, &mut problems);
    let policy = if main_parsed {
        merge(parsed, all_read, &mut problems)
    } else {
        None
    };
    let scripts = scripts(root, &mut problems);
    let templates = files::text_files(root, "templates", &[], &mut problems)
        .into_iter()
        .map(|f| SourceFile {
            name: f.name.trim_start_matches("templates/").to_string(),
            text: f.text,
        })
        .collect();
    match policy {
        Some(policy) if all_read => Ok(Workspace {
            root: root.to_path_buf(),
            policy,
            scripts,
            templates,
            problems,
        }),
        _ => Err(LoadError { problems, scripts }),
    }
}

/// Why a workspace could not be loaded: every problem found, and the plugin scripts that were
/// read, so they can still be checked in the same pass.
#[derive(Debug)]
pub struct LoadError {
    /// The problems, in the order found.
    pub problems: Vec<Diagnostic>,
    /// The scripts that could be read.
    pub scripts: Vec<SourceFile>,
}

/// The text of `powerbase.yaml`.
fn read_main(root: &Path) -> Result<String, Diagnostic> {
    let path = root.join(POLICY_FILE);
    let bytes = std::fs::read(&path).map_err(|e| {
        Diagnostic::new(format!(
            "cannot read {}: {}",
            path.display(),
            files::reason(&e)
        ))
        .with_help(format!(
            "a workspace is a folder with a {POLICY_FILE}; `powerbase init DIR` makes one"
        ))
    })?;
    files::decode(POLICY_FILE, bytes)
}

/// Adds the built-in rule files named by `include:` (once each, in order of first mention).
fn include_builtins(files: &mut Vec<(String, PolicyFile)>, problems: &mut Vec<Diagnostic>) {
    let mut i = 0;
    while i < files.len() {
        let includes: Vec<Spanned<String>> = std::mem::take(&mut files[i].1.include);
        for inc in includes {
            let origin = at(&files[i].0, &inc);
            match builtin::rule_file(&inc.value) {
                Some((name, _)) if files.iter().any(|(n, _)| *n == name) => {}
                Some((name, text)) => {
                    if let Some(file) = parse_file(&name, text, problems) {
                        files.push((name, file));
                    }
                }
                None => problems.push(
                    Diagnostic::at(origin, format!("no built-in rule file `{}`", inc.value))
                        .with_help(format!("available: {}", builtin::rule_names().join(", "))),
                ),
            }
        }
        i += 1;
    }
}

/// The plugin scripts, `scripts/**/*.rhai`, sorted by path.
pub fn scripts(root: &Path, problems: &mut Vec<Diagnostic>) -> Vec<SourceFile> {
    files::text_files(root, "scripts", &["rhai"], problems)
}

fn parse_file(name: &str, text: &str, problems: &mut Vec<Diagnostic>) -> Option<PolicyFile> {
    if text.trim().is_empty() {
        return Some(PolicyFile::default());
    }
    match yaml::parse::<PolicyFile>(name, text) {
        Ok(file) => Some(file),
        Err(d) => {
            problems.push(d);
            None
        }
    }
}

fn at<T>(file: &str, spanned: &Spanned<T>) -> Origin {
    Origin::new(
        file,
        spanned.referenced.line() as u32,
        spanned.referenced.column() as u32,
    )
}

fn expr(file: &str, spanned: &Spanned<String>) -> Expr {
    Expr {
        text: spanned.value.clone(),
        origin: at(file, spanned),
    }
}

/// The names params and metrics share (one namespace, as in expressions).
#[derive(Default)]
struct Names(BTreeMap<String, (&'static str, Origin)>);

impl Names {
    /// Records a param or metric name, or reports why it cannot be used.
    fn declare(
        &mut self,
        kind: &'static str,
        name: &str,
        origin: &Origin,
        problems: &mut Vec<Diagnostic>,
    ) {
        let problem = if name.trim().is_empty() {
            Diagnostic::at(origin.clone(), format!("a {kind} has an empty name")).with_help(
                "give it a name made of letters, digits and `_`, such as `first_class_min`",
            )
        } else if let Some(builtin) = crate::metrics::builtin(name) {
            Diagnostic::at(
                origin.clone(),
                format!(
                    "{kind} `{name}` has the name of the built-in metric `{}`",
                    builtin.name
                ),
            )
            .with_help("choose another name; built-in metrics cannot be redefined")
        } else if let Err(msg) = crate::ident::check(name) {
            Diagnostic::at(origin.clone(), format!("{kind} `{name}`: {msg}"))
        } else if let Some((other_kind, other)) = self.0.get(name) {
            Diagnostic::at(
                origin.clone(),
                format!("{kind} `{name}` is defined twice: here and as a {other_kind} at {other}"),
            )
        } else {
            self.0.insert(name.to_string(), (kind, origin.clone()));
            return;
        };
        problems.push(problem);
    }
}

/// The keys only `powerbase.yaml` may hold.
#[derive(Default)]
struct MainKeys {
    client: Option<Spanned<String>>,
    currency: Option<Spanned<String>>,
    as_of: Option<Spanned<String>>,
    data: Option<Spanned<schema::DataSection>>,
    report: Option<Spanned<schema::ReportSection>>,
}

impl MainKeys {
    /// Takes the main-only keys of the file `name`: kept from `powerbase.yaml`, reported from a
    /// rule file.
    fn take(&mut self, name: &str, file: &mut PolicyFile, problems: &mut Vec<Diagnostic>) {
        if name == POLICY_FILE {
            self.client = file.client.take();
            self.currency = file.currency.take();
            self.as_of = file.as_of.take();
            self.data = file.data.take();
            self.report = file.report.take();
            return;
        }
        let found = [
            ("client", file.client.as_ref().map(|v| at(name, v))),
            ("currency", file.currency.as_ref().map(|v| at(name, v))),
            ("as_of", file.as_of.as_ref().map(|v| at(name, v))),
            ("data", file.data.as_ref().map(|v| at(name, v))),
            ("report", file.report.as_ref().map(|v| at(name, v))),
        ];
        for (key, origin) in found {
            if let Some(origin) = origin {
                problems.push(
                    Diagnostic::at(
                        origin,
                        format!("`{key}` belongs in {POLICY_FILE}, not in a rule file"),
                    )
                    .with_help("rule files hold params, metrics, tiers, checks and include"),
                );
            }
        }
    }
}

/// Merges the parsed files into one policy, reporting clashes with both places named. `complete`
/// is false when a policy file could not be read: then a missing section may be in that file
/// and is not reported.
fn merge(
    files: Vec<(String, PolicyFile)>,
    complete: bool,
    problems: &mut Vec<Diagnostic>,
) -> Option<Policy> {
    let mut main = MainKeys::default();
    let mut params: Vec<Param> = Vec::new();
    let mut metrics: Vec<Derived> = Vec::new();
    let mut tiers: Option<(Origin, Vec<Tier>)> = None;
    let mut checks: Vec<(Origin, Check)> = Vec::new();
    let mut names = Names::default();
    let file_names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    for (name, mut file) in files {
        main.take(&name, &mut file, problems);
        for (pname, value) in file.params {
            let origin = at(&name, &value);
            names.declare("param", &pname, &origin, problems);
            params.push(param(pname, value.value, origin, problems));
        }
        for (mname, text) in file.metrics {
            let e = expr(&name, &text);
            names.declare("metric", &mname, &e.origin, problems);
            metrics.push(Derived {
                name: mname,
                expr: e,
            });
        }
        if let Some(list) = file.tiers {
            take_tiers(&name, list, &mut tiers, problems);
        }
        for c in file.checks {
            add_check(&name, c, &mut checks, problems);
        }
    }
    let Some(data) = main.data.map(|d| d.value) else {
        problems.push(
            Diagnostic::at(Origin::file(POLICY_FILE), "no `data:` section: powerbase needs to know where the transactions are")
                .with_help("data:\n    transactions:\n      path: data/transactions.csv\n      columns: { customer_id: ..., date: ..., amount: ... }"),
        );
        return None;
    };
    let tiers = match tiers {
        Some((origin, list)) => {
            validate_tiers(&origin, &list, problems);
            list
        }
        None if complete => {
            problems.push(
                Diagnostic::at(Origin::file(POLICY_FILE), "no `tiers:` defined").with_help(
                    "tiers:\n    - name: First\n      when: revenue >= 500\n    - name: Economy",
                ),
            );
            Vec::new()
        }
        None => Vec::new(),
    };
    let as_of = main.as_of.and_then(|v| as_of_day(&v, problems));
    let currency = currency_code(main.currency, problems);
    let report = main.report.map(|r| r.value).unwrap_or_default();
    Some(Policy {
        report: ReportSettings {
            title: report.title.unwrap_or_else(|| "Core customers".to_string()),
            subtitle: report.subtitle,
            prepared_by: report.prepared_by,
            template: report.template.unwrap_or_else(|| "report.md".to_string()),
            page_size: report.page_size.unwrap_or_else(|| "A4".to_string()),
            top_customers: report.top_customers.unwrap_or(10),
        },
        client: main
            .client
            .map_or_else(|| "Client".to_string(), |c| c.value),
        currency,
        as_of,
        transactions: data.transactions,
        customers: data.customers,
        params,
        metrics,
        tiers,
        checks: checks.into_iter().map(|(_, c)| c).collect(),
        files: file_names,
    })
}

/// A param as written, or a problem when it is not a value a param can hold.
fn param(name: String, entry: ParamEntry, origin: Origin, problems: &mut Vec<Diagnostic>) -> Param {
    let value = match entry {
        ParamEntry::Value(value) => value,
        ParamEntry::Other(found) => {
            problems.push(Diagnostic::at(
                origin.clone(),
                format!(
                    "param `{name}`: expected a number, text, true/false or a date, found {found}"
                ),
            ));
            // Kept with an empty text so expressions using it compile without a second error;
            // the problem above keeps the workspace from running.
            ParamValue::Text(String::new())
        }
    };
    Param {
        name,
        value,
        origin,
    }
}

/// Takes the `tiers:` list of the file `name`, unless another file already defined tiers.
fn take_tiers(
    name: &str,
    list: Spanned<Vec<schema::TierEntry>>,
    tiers: &mut Option<(Origin, Vec<Tier>)>,
    problems: &mut Vec<Diagnostic>,
) {
    let origin = at(name, &list);
    if let Some((first, _)) = tiers {
        problems.push(
            Diagnostic::at(
                origin.clone(),
                format!("tiers are defined twice: here and at {first}"),
            )
            .with_help("define tiers in exactly one file: their order matters"),
        );
        return;
    }
    let list = list
        .value
        .into_iter()
        .map(|t| Tier {
            origin: at(name, &t.name),
            name: t.name.value,
            when: t.when.as_ref().map(|w| expr(name, w)),
            description: t.description,
        })
        .collect();
    *tiers = Some((origin, list));
}

/// Adds a check of the file `name`, unless its name is empty or taken.
fn add_check(
    name: &str,
    c: schema::CheckEntry,
    checks: &mut Vec<(Origin, Check)>,
    problems: &mut Vec<Diagnostic>,
) {
    let origin = at(name, &c.name);
    if c.name.value.trim().is_empty() {
        problems.push(
            Diagnostic::at(origin, "a check has an empty name")
                .with_help("give it a name: the report lists findings by it"),
        );
        return;
    }
    if let Some((other, _)) = checks.iter().find(|(_, k)| k.name == c.name.value) {
        problems.push(Diagnostic::at(
            origin.clone(),
            format!(
                "check `{}` is defined twice: here and at {other}",
                c.name.value
            ),
        ));
        return;
    }
    checks.push((
        origin,
        Check {
            name: c.name.value,
            when: expr(name, &c.when),
            severity: c.severity,
            message: c.message,
        },
    ));
}

/// `as_of:` as a date, or a problem.
fn as_of_day(v: &Spanned<String>, problems: &mut Vec<Diagnostic>) -> Option<Day> {
    let day = Day::parse_iso(v.value.trim());
    if day.is_none() {
        problems.push(Diagnostic::at(
            at(POLICY_FILE, v),
            format!(
                "as_of: expected a date like 1998-06-30, found `{}`",
                v.value
            ),
        ));
    }
    day
}

/// `currency:` as an upper-case ISO code (USD when absent), or a problem.
fn currency_code(c: Option<Spanned<String>>, problems: &mut Vec<Diagnostic>) -> String {
    match c {
        Some(c) if c.value.len() == 3 && c.value.chars().all(|ch| ch.is_ascii_alphabetic()) => {
            c.value.to_ascii_uppercase()
        }
        Some(c) => {
            problems.push(Diagnostic::at(
                at(POLICY_FILE, &c),
                format!(
                    "currency: expected a three-letter ISO code such as USD or EUR, found `{}`",
                    c.value
                ),
            ));
            String::new()
        }
        None => "USD".to_string(),
    }
}

fn validate_tiers(origin: &Origin, tiers: &[Tier], problems: &mut Vec<Diagnostic>) {
    if tiers.is_empty() {
        problems.push(Diagnostic::at(
            origin.clone(),
            "`tiers:` is empty: define at least one tier",
        ));
        return;
    }
    let last = tiers.len() - 1;
    for (i, t) in tiers.iter().enumerate() {
        if t.name.trim().is_empty() {
            problems.push(
                Diagnostic::at(
                    t.origin.clone(),
                    format!("tier {} has an empty name", i + 1),
                )
                .with_help("give every tier a name: the report and customers.csv show it"),
            );
            continue;
        }
        if i < last && t.when.is_none() {
            problems.push(
                Diagnostic::at(t.origin.clone(), format!("tier `{}` has no `when`, but it is not the last tier", t.name))
                    .with_help("only the last tier takes everyone left; give this tier a condition or move it last"),
            );
        }
        if i == last {
            if let Some(w) = &t.when {
                problems.push(
                    Diagnostic::at(w.origin.clone(), format!("the last tier `{}` has a `when`", t.name))
                        .with_help("the last tier takes every customer no earlier tier took: remove its `when` so no customer is left without a tier"),
                );
            }
        }
        if tiers[..i].iter().any(|o| o.name == t.name) {
            problems.push(Diagnostic::at(
                t.origin.clone(),
                format!("tier `{}` is defined twice", t.name),
            ));
        }
    }
}
