//! Stage 1: the client workspace. Reads `powerbase.yaml`, `rules/**/*.yaml`, `scripts/**/*.rhai` and
//! `templates/**` into one [`Workspace`], keeping where every value was written so later stages can
//! point at it. Problems are collected, not stopped at: `check` shows them all in one pass.

pub mod builtin;
pub mod changes;
mod files;
mod formats;
pub mod investment;
pub mod names;
pub mod overrides;
mod schema;
pub mod source;
mod spans;
pub mod strategy;
pub(crate) mod yaml;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_saphyr::Spanned;

pub use formats::{default_formats, OutputFormat};
pub use names::{Kind, NameTable};
pub use schema::{json_schema, Level, ParamValue, Severity};
pub use source::{FileSource, Folder, GitRevision, Memory};
pub use spans::Spans;
pub use strategy::{Bands, MarketGrowth, Persona, Profit, ProfitBasis, Rising, TemplatePlugins};

use crate::data::{CustomerSource, Day, TransactionSource};
use crate::error::{Diagnostic, Origin};
use schema::{ParamEntry, PolicyFile};

/// The name of the main policy file.
pub const POLICY_FILE: &str = "powerbase.yaml";

/// A loaded client workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace folder: data paths in the policy are relative to it.
    pub root: PathBuf,
    /// Where the policy files were read from (the folder, a git revision, memory).
    pub source: Arc<dyn FileSource>,
    /// The merged policy.
    pub policy: Policy,
    /// Rhai plugin scripts, sorted by path.
    pub scripts: Vec<SourceFile>,
    /// The workspace's own report templates, named by their path below `templates/`.
    pub templates: Vec<SourceFile>,
    /// The policy test files, `tests/**/*.yaml` (and `.yml`), named by their path in the
    /// workspace (`tests/tiers.yaml`), sorted by name. Read, not parsed: `powerbase test` parses them.
    pub tests: Vec<SourceFile>,
    /// Problems that did not stop loading (a clash of names, a bad date): the workspace can still
    /// be compiled to find more, but must not run.
    pub problems: Vec<Diagnostic>,
    /// Every name the policy defines (and the built-in metrics), with where it was defined.
    pub names: NameTable,
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
    /// What one row of the evaluation is: a customer or an account (`level:`).
    pub level: Level,
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
    /// How profit is computed, when the policy can compute it (`cost_to_serve:`,
    /// `acquisition_cost:` or a mapped cost column).
    pub profit: Option<Profit>,
    /// Personas, in policy order.
    pub personas: Vec<Persona>,
    /// The needs and products of the investment gap (`needs:`, `products:`).
    pub investment: investment::Investment,
    /// Declared bands of numeric attributes.
    pub bands: Vec<Bands>,
    /// Plugin functions the templates may call.
    pub plugins: TemplatePlugins,
    /// The policy's rule for rising customers; `None`: the built-in rule
    /// ([`crate::analysis::rising`]).
    pub rising: Option<Rising>,
    /// Declared annual market growth per segment (`market_growth:`), in policy order.
    pub market_growth: Vec<MarketGrowth>,
    /// Every policy file read, in reading order.
    pub files: Vec<String>,
    /// Where each key of `powerbase.yaml` was written, for problems found later (a mapped column
    /// missing from the data file) to point at.
    pub spans: Spans,
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
    /// Whether its customers are core (`core: true`; the first tier when no tier says).
    pub core: bool,
    /// Where it was defined.
    pub origin: Origin,
}

impl Policy {
    /// The names of the tiers, in policy order (highest first).
    pub fn tier_names(&self) -> Vec<String> {
        self.tiers.iter().map(|t| t.name.clone()).collect()
    }
}

impl Tier {
    /// The `reason` given for customers this tier's rule places: the tier's own name (first match
    /// wins), or `(last tier)` for the catch-all.
    pub fn reason(&self) -> String {
        match self.when {
            Some(_) => self.name.clone(),
            None => "(last tier)".to_string(),
        }
    }
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
    /// Whether it runs per customer or once over the analysis (`level: summary`).
    pub level: CheckLevel,
}

/// What a check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckLevel {
    /// `when` is evaluated for every customer (the default).
    #[default]
    Customer,
    /// `when` is evaluated once over the analysis (`level: summary`).
    Summary,
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
    /// The date of issue (`report.issued`), when the policy states one.
    pub issued: Option<Day>,
    /// Draft, final or a version (`report.status`).
    pub status: DocStatus,
    /// The confidentiality marking (`report.classification`), trimmed; never empty.
    pub classification: Option<String>,
    /// Whether the PDF has a contents page (`report.contents`).
    pub contents: Contents,
    /// The client's colours (`report.brand`); `None` keeps the default palette.
    pub brand: Option<crate::report::style::Brand>,
    /// The locale figures and dates are written in (`report.locale`, a known tag such as
    /// `de-DE`); `None`: en-US figures and ISO dates.
    pub locale: Option<String>,
    /// The optional deliverables to write (`report.formats`), each once, in
    /// [`OutputFormat::ALL`] order.
    pub formats: Vec<OutputFormat>,
}

/// `report.contents`: whether the PDF has a contents page after the title page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Contents {
    /// `auto` (or no key): when the body has more than 4 pages.
    #[default]
    Auto,
    /// `true`: always.
    Always,
    /// `false`: never.
    Never,
}

impl Contents {
    /// `auto`, `true` or `false`, as written in the policy and the report's front matter.
    pub fn name(self) -> &'static str {
        match self {
            Contents::Auto => "auto",
            Contents::Always => "true",
            Contents::Never => "false",
        }
    }

    /// The value written `text` (`auto`, `true`, `false`, in any case).
    pub fn from_text(text: &str) -> Option<Contents> {
        [Contents::Auto, Contents::Always, Contents::Never]
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(text.trim()))
    }
}

/// `report.status`: how far the document is from its final form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DocStatus {
    /// `final` (or no key): no marking.
    #[default]
    Final,
    /// `draft`: every page says DRAFT.
    Draft,
    /// Any other text, printed as the version (`v2.1`, `Board pack 3`).
    Version(String),
}

impl DocStatus {
    /// The status as written in `report.status` (`final`, `draft` or the version text).
    pub fn from_text(text: &str) -> DocStatus {
        let t = text.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("final") {
            DocStatus::Final
        } else if t.eq_ignore_ascii_case("draft") {
            DocStatus::Draft
        } else {
            DocStatus::Version(t.to_string())
        }
    }
}

/// Reads a workspace folder. Fails only when no policy can be built (`powerbase.yaml` missing or not
/// valid YAML of the right shape, no data or tiers) or when a policy file could not be read (what
/// it holds is unknown, so compiling the rest would report its absence as more problems); other
/// problems are kept in [`Workspace::problems`] so that compiling can find more in the same pass.
pub fn load(root: &Path) -> Result<Workspace, LoadError> {
    load_from(Arc::new(Folder::new(root)), root)
}

/// [`load`] with the policy files read from `source` (a folder, a git revision, memory) and the
/// data paths taken relative to the folder `root`. The same validation applies to every source;
/// problems in the files of a git revision name it (`HEAD~1:rules/tiers.yaml:12:7`).
pub fn load_from(source: Arc<dyn FileSource>, root: &Path) -> Result<Workspace, LoadError> {
    let mut loaded = read(source.clone(), root);
    let problems = match &mut loaded {
        Ok(w) => &mut w.problems,
        Err(e) => &mut e.problems,
    };
    for d in problems.iter_mut() {
        *d = source::name_revision(source.as_ref(), std::mem::replace(d, Diagnostic::new("")));
    }
    loaded
}

fn read(source: Arc<dyn FileSource>, root: &Path) -> Result<Workspace, LoadError> {
    let src = source.as_ref();
    let mut problems = Vec::new();
    let mut spans = Spans::default();
    let main = match read_main(src, root) {
        Ok(text) => {
            let file = parse_file(POLICY_FILE, &text, &mut problems);
            if file.is_some() {
                spans = Spans::read(POLICY_FILE, &text);
            }
            file
        }
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
    let mut rules = files::text_files(src, "rules", &["yaml", "yml"], &mut problems);
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
    let policy = policy.map(|(policy, names)| (Policy { spans, ..policy }, names));
    let scripts = files::text_files(src, "scripts", &["rhai"], &mut problems);
    let templates = files::text_files(src, "templates", &[], &mut problems)
        .into_iter()
        .map(|f| SourceFile {
            name: f.name.trim_start_matches("templates/").to_string(),
            text: f.text,
        })
        .collect();
    let tests = files::text_files(src, "tests", &["yaml", "yml"], &mut problems);
    match policy {
        Some((policy, names)) if all_read => Ok(Workspace {
            root: root.to_path_buf(),
            source,
            policy,
            scripts,
            templates,
            tests,
            problems,
            names,
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
fn read_main(source: &dyn FileSource, root: &Path) -> Result<String, Diagnostic> {
    let where_ = || match source.label() {
        Some(rev) => format!("{} at {rev}", root.join(POLICY_FILE).display()),
        None => root.join(POLICY_FILE).display().to_string(),
    };
    let cannot = |why: String| {
        Diagnostic::new(format!("cannot read {}: {why}", where_()))
            .code("policy/unreadable")
            .with_help(format!(
                "a workspace is a folder with a {POLICY_FILE}; `powerbase init DIR` makes one"
            ))
    };
    let bytes = source
        .read(POLICY_FILE)
        .map_err(|e| cannot(files::reason(&e)))?
        .ok_or_else(|| cannot("it does not exist".to_string()))?;
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
                        .code("policy/include-unknown")
                        .with_help(format!("available: {}", builtin::rule_names().join(", "))),
                ),
            }
        }
        i += 1;
    }
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

/// The keys only `powerbase.yaml` may hold.
#[derive(Default)]
struct MainKeys {
    client: Option<Spanned<String>>,
    currency: Option<Spanned<String>>,
    as_of: Option<Spanned<String>>,
    data: Option<Spanned<schema::DataSection>>,
    report: Option<Spanned<schema::ReportSection>>,
    level: Option<Spanned<Level>>,
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
            self.level = file.level.take();
            return;
        }
        let found = [
            ("client", file.client.as_ref().map(|v| at(name, v))),
            ("currency", file.currency.as_ref().map(|v| at(name, v))),
            ("as_of", file.as_of.as_ref().map(|v| at(name, v))),
            ("data", file.data.as_ref().map(|v| at(name, v))),
            ("report", file.report.as_ref().map(|v| at(name, v))),
            ("level", file.level.as_ref().map(|v| at(name, v))),
        ];
        for (key, origin) in found {
            if let Some(origin) = origin {
                problems.push(
                    Diagnostic::at(
                        origin,
                        format!("`{key}` belongs in {POLICY_FILE}, not in a rule file"),
                    )
                    .code("policy/main-only-key")
                    .with_help("rule files hold params, metrics, tiers, checks and include"),
                );
            }
        }
    }
}

/// Merges the parsed files into one policy and the table of its names, reporting clashes with
/// both places named. `complete` is false when a policy file could not be read: then a missing
/// section may be in that file and is not reported.
fn merge(
    files: Vec<(String, PolicyFile)>,
    complete: bool,
    problems: &mut Vec<Diagnostic>,
) -> Option<(Policy, NameTable)> {
    let mut main = MainKeys::default();
    let mut params: Vec<Param> = Vec::new();
    let mut metrics: Vec<Derived> = Vec::new();
    let mut tiers: Option<(Origin, Vec<Tier>)> = None;
    let mut checks: Vec<Check> = Vec::new();
    let mut names = NameTable::with_builtins();
    let mut strategy = strategy::Strategy::default();
    let mut investment = investment::Gathered::default();
    let file_names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    for (name, mut file) in files {
        main.take(&name, &mut file, problems);
        strategy.take(&name, &mut file, &mut names, problems);
        investment.take(&name, &mut file, problems);
        for (pname, value) in file.params {
            let origin = at(&name, &value);
            if overrides_default(&name, &pname, &params) {
                // The workspace's value wins over the default of an included built-in file.
                names.override_default(&pname, &origin);
                continue;
            }
            problems.extend(names.declare(Kind::Param, &pname, &origin).err());
            params.push(param(pname, value.value, origin, problems));
        }
        for (mname, text) in file.metrics {
            let e = expr(&name, &text);
            problems.extend(names.declare(Kind::Metric, &mname, &e.origin).err());
            metrics.push(Derived {
                name: mname,
                expr: e,
            });
        }
        if let Some(list) = file.tiers {
            take_tiers(&name, list, &mut tiers, problems);
        }
        for c in file.checks {
            add_check(&name, c, &mut names, &mut checks, problems);
        }
    }
    let Some(data) = main.data.map(|d| d.value) else {
        problems.push(
            Diagnostic::at(Origin::file(POLICY_FILE), "no `data:` section: powerbase needs to know where the transactions are")
                .code("policy/missing-data")
                .with_help("data:\n    transactions:\n      path: data/transactions.csv\n      columns: { customer_id: ..., date: ..., amount: ... }"),
        );
        return None;
    };
    let tiers = match tiers {
        Some((origin, mut list)) => {
            validate_tiers(&origin, &list, &mut names, problems);
            if !list.iter().any(|t| t.core) {
                if let Some(first) = list.first_mut() {
                    first.core = true;
                }
            }
            list
        }
        None if complete => {
            problems.push(
                Diagnostic::at(Origin::file(POLICY_FILE), "no `tiers:` defined")
                    .code("policy/missing-tiers")
                    .with_help(
                        "tiers:\n    - name: First\n      when: revenue >= 500\n    - name: Economy",
                    ),
            );
            Vec::new()
        }
        None => Vec::new(),
    };
    let profit = strategy.profit(
        data.transactions.columns.cost.is_some(),
        &mut names,
        problems,
    );
    let currency = currency_code(main.currency, problems);
    let mut data = data;
    data.transactions.currency = Some(currency.clone());
    if let Some(c) = data.customers.as_mut() {
        c.currency = Some(currency.clone());
    }
    let policy = Policy {
        report: report_settings(main.report, problems),
        client: client_name(main.client, problems),
        currency,
        as_of: main
            .as_of
            .and_then(|v| report_day(&v, "as_of", "policy/bad-as-of", problems)),
        level: main.level.map(|l| l.value).unwrap_or_default(),
        transactions: data.transactions,
        customers: data.customers,
        params,
        metrics,
        tiers,
        checks,
        profit,
        investment: investment.finish(&strategy.personas, problems),
        personas: std::mem::take(&mut strategy.personas),
        bands: std::mem::take(&mut strategy.bands),
        plugins: std::mem::take(&mut strategy.plugins),
        rising: strategy.rising.take(),
        market_growth: std::mem::take(&mut strategy.market_growth),
        files: file_names,
        spans: Spans::default(),
    };
    Some((policy, names))
}

/// Whether the param `pname` of the file `file` is a default the workspace has already set: a
/// built-in rule file declares its params so a workspace can adjust them, and the workspace's
/// files are merged before the built-in files they include. Any other repeated name (two
/// workspace files, two built-in files, a metric of the same name) is still a clash.
fn overrides_default(file: &str, pname: &str, params: &[Param]) -> bool {
    file.starts_with(builtin::PREFIX)
        && params
            .iter()
            .any(|p| p.name == pname && !p.origin.file.starts_with(builtin::PREFIX))
}

/// A param as written, or a problem when it is not a value a param can hold.
fn param(name: String, entry: ParamEntry, origin: Origin, problems: &mut Vec<Diagnostic>) -> Param {
    let value = match entry {
        ParamEntry::Value(value) => value,
        ParamEntry::Other(found) => {
            problems.push(
                Diagnostic::at(
                    origin.clone(),
                    format!(
                        "param `{name}`: expected a number, text, true/false or a date, found {found}"
                    ),
                )
                .code("policy/bad-value"),
            );
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
            Diagnostic::at(origin.clone(), "tiers are defined twice")
                .code("policy/duplicate-tiers")
                .with_label(first.clone(), "first defined here")
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
            core: t.core.unwrap_or(false),
        })
        .collect();
    *tiers = Some((origin, list));
}

/// Adds a check of the file `name`, unless its name is empty or taken.
fn add_check(
    name: &str,
    c: schema::CheckEntry,
    names: &mut NameTable,
    checks: &mut Vec<Check>,
    problems: &mut Vec<Diagnostic>,
) {
    let origin = at(name, &c.name);
    if let Err(d) = names.declare(Kind::Check, &c.name.value, &origin) {
        problems.push(d);
        return;
    }
    let level = match c.level.as_ref().map(|l| l.value.as_str()) {
        None | Some("customer") => CheckLevel::Customer,
        Some("summary") => CheckLevel::Summary,
        Some(other) => {
            problems.push(
                Diagnostic::at(
                    at(name, c.level.as_ref().expect("given")),
                    format!("check `{}`: level `{other}`, expected `customer` or `summary`", c.name.value),
                )
                .code("policy/bad-value")
                .with_help("`level: summary` runs the check once over the analysis; leave `level` out to run it for every customer"),
            );
            CheckLevel::Customer
        }
    };
    checks.push(Check {
        name: c.name.value,
        when: expr(name, &c.when),
        severity: c.severity,
        message: c.message,
        level,
    });
}

/// A date key of powerbase.yaml (`as_of`, `report.issued`) as a date, or a problem with `code`.
fn report_day(
    v: &Spanned<String>,
    key: &str,
    code: &'static str,
    problems: &mut Vec<Diagnostic>,
) -> Option<Day> {
    let day = Day::parse_iso(v.value.trim());
    if day.is_none() {
        problems.push(
            Diagnostic::at(
                at(POLICY_FILE, v),
                format!(
                    "{key}: expected a date like 1998-06-30, found `{}`",
                    v.value
                ),
            )
            .code(code),
        );
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
            problems.push(
                Diagnostic::at(
                    at(POLICY_FILE, &c),
                    format!(
                        "currency: expected a three-letter ISO code such as USD or EUR, found `{}`",
                        c.value
                    ),
                )
                .code("policy/bad-currency"),
            );
            String::new()
        }
        None => "USD".to_string(),
    }
}

/// `client:` (`Client` when absent), or a problem when it is empty: the report's title page and
/// the PDF's document information need it.
fn client_name(c: Option<Spanned<String>>, problems: &mut Vec<Diagnostic>) -> String {
    match c {
        Some(c) if c.value.trim().is_empty() => {
            problems.push(
                Diagnostic::at(at(POLICY_FILE, &c), "`client:` is empty")
                    .code("policy/empty-client")
                    .with_help("write the client's name: the report's title page shows it"),
            );
            String::new()
        }
        Some(c) => c.value,
        None => "Client".to_string(),
    }
}

/// The page sizes the PDF renderer knows, as it accepts them: in any case, surrounding spaces
/// ignored.
const PAGE_SIZES: [&str; 2] = ["A4", "Letter"];

/// `report:` with its defaults, each setting checked here so that a bad one is found by `check`
/// at its line, not by the renderer at the end of a run.
fn report_settings(
    section: Option<Spanned<schema::ReportSection>>,
    problems: &mut Vec<Diagnostic>,
) -> ReportSettings {
    let report = section.map(|r| r.value).unwrap_or_default();
    let title = match report.title {
        Some(t) if t.value.trim().is_empty() => {
            problems.push(
                Diagnostic::at(at(POLICY_FILE, &t), "`report.title` is empty")
                    .code("report/empty-title")
                    .with_help("write a title, or remove the key for the default `Core customers`"),
            );
            String::new()
        }
        Some(t) => t.value,
        None => "Core customers".to_string(),
    };
    let top_customers = match report.top_customers {
        Some(n) if n.value == 0 => {
            problems.push(
                Diagnostic::at(at(POLICY_FILE, &n), "`top_customers: 0` leaves the table of the largest customers empty")
                    .code("report/bad-top-customers")
                    .with_help("list at least one customer (the default is 10), or leave the table out of your template (the `top` block)"),
            );
            0
        }
        Some(n) => n.value,
        None => 10,
    };
    ReportSettings {
        title,
        subtitle: report.subtitle,
        prepared_by: report.prepared_by,
        template: report.template.unwrap_or_else(|| "report.md".to_string()),
        page_size: report
            .page_size
            .map_or_else(|| "A4".to_string(), |p| page_size(p, problems)),
        top_customers,
        issued: report
            .issued
            .and_then(|v| report_day(&v, "report.issued", "report/bad-issued", problems)),
        status: report
            .status
            .as_deref()
            .map(DocStatus::from_text)
            .unwrap_or_default(),
        classification: report
            .classification
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty()),
        contents: report
            .contents
            .map(|c| contents(&c, problems))
            .unwrap_or_default(),
        brand: report.brand.and_then(|b| brand(b, problems)),
        locale: report.locale.and_then(|l| report_locale(l, problems)),
        formats: formats::formats(report.formats, problems),
    }
}

/// `report.contents:` as a [`Contents`], or a problem at its line.
fn contents(c: &Spanned<String>, problems: &mut Vec<Diagnostic>) -> Contents {
    Contents::from_text(&c.value).unwrap_or_else(|| {
        problems.push(
            Diagnostic::at(
                at(POLICY_FILE, c),
                format!(
                    "report.contents: expected true, false or auto, found `{}`",
                    c.value
                ),
            )
            .code("report/bad-contents")
            .with_help(
                "`auto` (the default) adds a contents page when the body has more than 4 pages",
            ),
        );
        Contents::Auto
    })
}

/// Whether headings in the primary colour `c` (written `v`) read on white paper; a problem at
/// its line when they do not.
fn readable(
    c: crate::report::style::Rgb,
    v: &Spanned<String>,
    problems: &mut Vec<Diagnostic>,
) -> bool {
    use crate::report::style::Brand;
    let contrast = c.contrast_on_white();
    if contrast >= Brand::MIN_CONTRAST {
        return true;
    }
    problems.push(
        Diagnostic::at(
            at(POLICY_FILE, v),
            format!(
                "report.brand.primary: `{}` is too light for headings on white paper (contrast {contrast:.1}:1, at least {}:1 reads)",
                v.value,
                Brand::MIN_CONTRAST
            ),
        )
        .code("report/bad-colour")
        .with_help("use the brand's darkest colour as `primary`, and a light one as `accent`"),
    );
    false
}

/// `report.brand:` as a [`Brand`](crate::report::style::Brand), or problems at the lines of the
/// colours that are not colours (then the report keeps its default palette).
fn brand(
    b: Spanned<schema::BrandSection>,
    problems: &mut Vec<Diagnostic>,
) -> Option<crate::report::style::Brand> {
    use crate::report::style::{Brand, Rgb};
    let mut colour = |key: &str, v: &Spanned<String>| {
        let rgb = Rgb::parse_hex(&v.value);
        if rgb.is_none() {
            problems.push(
                Diagnostic::at(
                    at(POLICY_FILE, v),
                    format!(
                        "report.brand.{key}: expected a colour like \"#1f3a5f\", found `{}`",
                        v.value
                    ),
                )
                .code("report/bad-colour")
                .with_help("write the colour as # and six hex digits (or three), in quotes"),
            );
        }
        rgb
    };
    let accent = b.value.accent.as_ref().map(|a| colour("accent", a));
    let primary = match &b.value.primary {
        Some(p) => colour("primary", p).filter(|c| readable(*c, p, problems)),
        None => {
            problems.push(
                Diagnostic::at(
                    at(POLICY_FILE, &b),
                    "report.brand: no `primary` colour",
                )
                .code("report/bad-colour")
                .with_help("write `primary: \"#1f3a5f\"` in quotes: an unquoted # starts a YAML comment, which leaves the key empty"),
            );
            None
        }
    };
    match (primary, accent) {
        (Some(primary), None) => Some(Brand {
            primary,
            accent: None,
        }),
        (Some(primary), Some(Some(accent))) => Some(Brand {
            primary,
            accent: Some(accent),
        }),
        _ => None,
    }
}

/// `report.locale:` when it names a locale powerbase knows, or a problem at the key with the
/// nearest one.
fn report_locale(l: Spanned<String>, problems: &mut Vec<Diagnostic>) -> Option<String> {
    let wanted = l.value.trim();
    let known = crate::data::LOCALES;
    let language = |t: &str| t.split('-').next().unwrap_or(t).to_string();
    if known.iter().any(|k| *k == wanted || language(k) == wanted) {
        return Some(wanted.to_string());
    }
    let names: Vec<String> = known.iter().map(|k| k.to_string()).collect();
    let near = crate::ident::closest(&names, wanted)
        .map_or(String::new(), |n| format!("did you mean `{n}`? "));
    problems.push(
        Diagnostic::at(
            at(POLICY_FILE, &l),
            format!(
                "report.locale: `{}` is not a locale powerbase knows",
                l.value
            ),
        )
        .code("report/bad-locale")
        .with_help(format!(
            "{near}the locales are {} (or a language alone, such as `de`)",
            known.join(", ")
        )),
    );
    None
}

/// `page_size:` as written, or a problem with the nearest size the PDF renderer knows.
fn page_size(p: Spanned<String>, problems: &mut Vec<Diagnostic>) -> String {
    let wanted = p.value.trim();
    if PAGE_SIZES.iter().any(|s| s.eq_ignore_ascii_case(wanted)) {
        return p.value;
    }
    let known: Vec<String> = PAGE_SIZES.iter().map(|s| s.to_string()).collect();
    let help = match crate::ident::closest(&known, wanted) {
        Some(near) => format!("did you mean `{near}`? The PDF is laid out on A4 or Letter paper"),
        None => "the PDF is laid out on A4 or Letter paper".to_string(),
    };
    problems.push(
        Diagnostic::at(
            at(POLICY_FILE, &p),
            format!("page_size: expected A4 or Letter, found `{}`", p.value),
        )
        .code("report/bad-page-size")
        .with_help(help),
    );
    p.value
}

fn validate_tiers(
    origin: &Origin,
    tiers: &[Tier],
    names: &mut NameTable,
    problems: &mut Vec<Diagnostic>,
) {
    if tiers.is_empty() {
        problems.push(
            Diagnostic::at(
                origin.clone(),
                "`tiers:` is empty: define at least one tier",
            )
            .code("policy/empty-tiers"),
        );
        return;
    }
    let last = tiers.len() - 1;
    for (i, t) in tiers.iter().enumerate() {
        if let Err(d) = names.declare_nth(Kind::Tier, i + 1, &t.name, &t.origin) {
            let empty = d.code == "policy/empty-name";
            problems.push(d);
            if empty {
                continue;
            }
        }
        if i < last && t.when.is_none() {
            problems.push(
                Diagnostic::at(t.origin.clone(), format!("tier `{}` has no `when`, but it is not the last tier", t.name))
                    .code("policy/tier-without-when")
                    .with_help("only the last tier takes everyone left; give this tier a condition or move it last"),
            );
        }
        if i == last {
            if let Some(w) = &t.when {
                problems.push(
                    Diagnostic::at(w.origin.clone(), format!("the last tier `{}` has a `when`", t.name))
                        .code("policy/last-tier-when")
                        .with_help("the last tier takes every customer no earlier tier took: remove its `when` so no customer is left without a tier"),
                );
            }
        }
    }
}
