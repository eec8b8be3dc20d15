//! Stage 1: the client workspace. Reads `powerbase.yaml`, `rules/**/*.yaml`, `scripts/**/*.rhai` and
//! `templates/**` into one [`Workspace`], keeping where every value was written so later stages can
//! point at it. Problems are collected, not stopped at: `check` shows them all in one pass.

pub mod builtin;
pub mod overrides;
mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;
use walkdir::WalkDir;

pub use schema::{ParamValue, Severity};

use crate::data::{CustomerSource, Day, TransactionSource};
use crate::error::{Diagnostic, Origin};
use schema::PolicyFile;

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
/// valid YAML of the right shape, no data or tiers); other problems are kept in
/// [`Workspace::problems`] so that compiling can find more in the same pass.
pub fn load(root: &Path) -> Result<Workspace, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let main_path = root.join(POLICY_FILE);
    let text = match std::fs::read_to_string(&main_path) {
        Ok(t) => t,
        Err(e) => {
            return Err(vec![Diagnostic::new(format!(
                "cannot read {}: {e}",
                main_path.display()
            ))
            .with_help(format!(
                "a workspace is a folder with a {POLICY_FILE}; `powerbase init DIR` makes one"
            ))])
        }
    };
    let mut files: Vec<(String, PolicyFile)> = Vec::new();
    let main_parsed = match parse_file(POLICY_FILE, &text, &mut problems) {
        Some(main) => {
            files.push((POLICY_FILE.to_string(), main));
            true
        }
        None => false,
    };
    for (name, text) in rule_files(root, &mut problems) {
        if let Some(file) = parse_file(&name, &text, &mut problems) {
            files.push((name, file));
        }
    }
    // Built-in rule files named by `include:` (once each, in order of first mention).
    let mut i = 0;
    while i < files.len() {
        let includes: Vec<Spanned<String>> = std::mem::take(&mut files[i].1.include);
        for inc in includes {
            let origin = at(&files[i].0, &inc);
            match builtin::rule_file(&inc.value) {
                Some((name, _)) if files.iter().any(|(n, _)| *n == name) => {}
                Some((name, text)) => {
                    if let Some(file) = parse_file(&name, text, &mut problems) {
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
    let policy = if main_parsed {
        merge(files, &mut problems)
    } else {
        None
    };
    let scripts = scripts(root, &mut problems);
    let templates = text_files(root, "templates", None, &mut problems)
        .into_iter()
        .map(|f| SourceFile {
            name: f.name.trim_start_matches("templates/").to_string(),
            text: f.text,
        })
        .collect();
    match policy {
        Some(policy) => Ok(Workspace {
            root: root.to_path_buf(),
            policy,
            scripts,
            templates,
            problems,
        }),
        None => Err(problems),
    }
}

/// The plugin scripts, `scripts/**/*.rhai`, sorted by path.
pub fn scripts(root: &Path, problems: &mut Vec<Diagnostic>) -> Vec<SourceFile> {
    text_files(root, "scripts", Some("rhai"), problems)
}

/// `rules/**/*.yaml` (and `.yml`), sorted by path.
fn rule_files(root: &Path, problems: &mut Vec<Diagnostic>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in text_files(root, "rules", Some("yaml"), problems) {
        out.push((f.name, f.text));
    }
    for f in text_files(root, "rules", Some("yml"), problems) {
        out.push((f.name, f.text));
    }
    out.sort();
    out
}

/// The files below `root/dir` with the given extension (all files when `None`), named relative to
/// `root` with `/` separators, sorted.
fn text_files(
    root: &Path,
    dir: &str,
    extension: Option<&str>,
    problems: &mut Vec<Diagnostic>,
) -> Vec<SourceFile> {
    let base = root.join(dir);
    if !base.is_dir() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for entry in WalkDir::new(&base).sort_by_file_name() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                problems.push(Diagnostic::new(format!(
                    "cannot list {}: {e}",
                    base.display()
                )));
                continue;
            }
        };
        let path = entry.path();
        if !entry.file_type().is_file()
            || extension.is_some_and(|x| path.extension().and_then(|e| e.to_str()) != Some(x))
            || entry.file_name().to_string_lossy().starts_with('.')
        {
            continue;
        }
        let name = relative_name(root, path);
        match std::fs::read_to_string(path) {
            Ok(text) => out.push(SourceFile { name, text }),
            Err(e) => problems.push(Diagnostic::at(
                Origin::file(&name),
                format!("cannot read {name}: {e}"),
            )),
        }
    }
    out
}

fn relative_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn parse_file(name: &str, text: &str, problems: &mut Vec<Diagnostic>) -> Option<PolicyFile> {
    if text.trim().is_empty() {
        return Some(PolicyFile::default());
    }
    match serde_saphyr::from_str::<PolicyFile>(text) {
        Ok(file) => Some(file),
        Err(err) => {
            let (line, column) = err
                .location()
                .map(|l| (l.line() as u32, l.column() as u32))
                .unwrap_or((0, 0));
            problems.push(Diagnostic::at(
                Origin::new(name, line, column),
                format!("{name}: {}", yaml_message(&err)),
            ));
            None
        }
    }
}

/// The first line of a YAML error, without the snippet serde-saphyr renders under it.
fn yaml_message(err: &serde_saphyr::Error) -> String {
    let text = err.to_string();
    let first = text.lines().next().unwrap_or("invalid YAML").trim();
    first.trim_start_matches("error: ").to_string()
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

/// Merges the parsed files into one policy, reporting clashes with both places named.
fn merge(files: Vec<(String, PolicyFile)>, problems: &mut Vec<Diagnostic>) -> Option<Policy> {
    let mut client = None;
    let mut currency = None;
    let mut as_of = None;
    let mut data = None;
    let mut report = None;
    let mut params: Vec<Param> = Vec::new();
    let mut metrics: Vec<Derived> = Vec::new();
    let mut tiers: Option<(Origin, Vec<Tier>)> = None;
    let mut checks: Vec<(Origin, Check)> = Vec::new();
    let mut names: BTreeMap<String, (&'static str, Origin)> = BTreeMap::new();
    let mut declare = |kind: &'static str,
                       name: &str,
                       origin: &Origin,
                       problems: &mut Vec<Diagnostic>| {
        if let Some(builtin) = crate::metrics::builtin(name) {
            problems.push(
                Diagnostic::at(
                    origin.clone(),
                    format!(
                        "{kind} `{name}` has the name of the built-in metric `{}`",
                        builtin.name
                    ),
                )
                .with_help("choose another name; built-in metrics cannot be redefined"),
            );
            return;
        }
        if let Err(msg) = crate::ident::check(name) {
            problems.push(Diagnostic::at(
                origin.clone(),
                format!("{kind} `{name}`: {msg}"),
            ));
            return;
        }
        if let Some((other_kind, other)) = names.get(name) {
            problems.push(Diagnostic::at(
                origin.clone(),
                format!("{kind} `{name}` is defined twice: here and as a {other_kind} at {other}"),
            ));
            return;
        }
        names.insert(name.to_string(), (kind, origin.clone()));
    };
    let file_names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    for (name, file) in files {
        let is_main = name == POLICY_FILE;
        let main_only = |key: &str, origin: Origin, problems: &mut Vec<Diagnostic>| {
            problems.push(
                Diagnostic::at(
                    origin,
                    format!("`{key}` belongs in {POLICY_FILE}, not in a rule file"),
                )
                .with_help("rule files hold params, metrics, tiers, checks and include"),
            );
        };
        if let Some(v) = file.client {
            if is_main {
                client = Some(v.value)
            } else {
                main_only("client", at(&name, &v), problems)
            }
        }
        if let Some(v) = file.currency {
            if is_main {
                currency = Some(v)
            } else {
                main_only("currency", at(&name, &v), problems)
            }
        }
        if let Some(v) = file.as_of {
            if is_main {
                as_of = Some(v)
            } else {
                main_only("as_of", at(&name, &v), problems)
            }
        }
        if let Some(v) = file.data {
            if is_main {
                data = Some(v.value)
            } else {
                main_only("data", at(&name, &v), problems)
            }
        }
        if let Some(v) = file.report {
            if is_main {
                report = Some(v.value)
            } else {
                main_only("report", at(&name, &v), problems)
            }
        }
        for (pname, value) in file.params {
            let origin = at(&name, &value);
            declare("param", &pname, &origin, problems);
            params.push(Param {
                name: pname,
                value: value.value,
                origin,
            });
        }
        for (mname, text) in file.metrics {
            let e = expr(&name, &text);
            declare("metric", &mname, &e.origin, problems);
            metrics.push(Derived {
                name: mname,
                expr: e,
            });
        }
        if let Some(list) = file.tiers {
            let origin = at(&name, &list);
            if let Some((first, _)) = &tiers {
                problems.push(
                    Diagnostic::at(
                        origin.clone(),
                        format!("tiers are defined twice: here and at {first}"),
                    )
                    .with_help("define tiers in exactly one file: their order matters"),
                );
            } else {
                let list = list
                    .value
                    .into_iter()
                    .map(|t| Tier {
                        origin: at(&name, &t.name),
                        name: t.name.value,
                        when: t.when.as_ref().map(|w| expr(&name, w)),
                        description: t.description,
                    })
                    .collect();
                tiers = Some((origin, list));
            }
        }
        for c in file.checks {
            let origin = at(&name, &c.name);
            if let Some((other, _)) = checks.iter().find(|(_, k)| k.name == c.name.value) {
                problems.push(Diagnostic::at(
                    origin.clone(),
                    format!(
                        "check `{}` is defined twice: here and at {other}",
                        c.name.value
                    ),
                ));
                continue;
            }
            checks.push((
                origin,
                Check {
                    name: c.name.value,
                    when: expr(&name, &c.when),
                    severity: c.severity,
                    message: c.message,
                },
            ));
        }
    }
    let main = Origin::file(POLICY_FILE);
    let Some(data) = data else {
        problems.push(
            Diagnostic::at(main, "no `data:` section: powerbase needs to know where the transactions are")
                .with_help("data:\n    transactions:\n      path: data/transactions.csv\n      columns: { customer_id: ..., date: ..., amount: ... }"),
        );
        return None;
    };
    let tiers = match tiers {
        Some((origin, list)) => {
            validate_tiers(&origin, &list, problems);
            list
        }
        None => {
            problems.push(Diagnostic::at(main, "no `tiers:` defined").with_help(
                "tiers:\n    - name: First\n      when: revenue >= 500\n    - name: Economy",
            ));
            Vec::new()
        }
    };
    let as_of = as_of.and_then(|v| match Day::parse_iso(v.value.trim()) {
        Some(d) => Some(d),
        None => {
            problems.push(Diagnostic::at(
                at(POLICY_FILE, &v),
                format!(
                    "as_of: expected a date like 1998-06-30, found `{}`",
                    v.value
                ),
            ));
            None
        }
    });
    let currency = match currency {
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
    };
    let report = report.unwrap_or_default();
    let client = client.unwrap_or_else(|| "Client".to_string());
    Some(Policy {
        report: ReportSettings {
            title: report.title.unwrap_or_else(|| "Core customers".to_string()),
            subtitle: report.subtitle,
            prepared_by: report.prepared_by,
            template: report.template.unwrap_or_else(|| "report.md".to_string()),
            page_size: report.page_size.unwrap_or_else(|| "A4".to_string()),
            top_customers: report.top_customers.unwrap_or(10),
        },
        client,
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
