//! Report templates through Tera: the built-in ones (`builtin/...`), the workspace's own, and the
//! filters and functions they use. Markdown output is escaped by default, so data (customer ids,
//! tier names) cannot break a table; filters that produce Markdown mark their output safe.
//!
//! Tera has no limits of its own (its `range()` stops at 100,000 elements, but loops nest), so
//! a rendering is bounded here: every `{% for %}` body starts with a call to a guard function
//! (added to the template text when it is loaded, on the same line, so line numbers stay right)
//! that counts loop iterations against [`MAX_LOOP_ITERATIONS`], checks the wall-clock budget
//! (`--rule-timeout`) and the size written so far; the output goes into a buffer that keeps at
//! most [`MAX_REPORT_BYTES`]. Errors name the template file, line and column as the user wrote
//! them.

use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tera::{Context, ErrorKind, Filter, Function, Kwargs, State, Tera, TeraResult, Value};

use super::charts::{chart_entry, chart_names};
use super::format;
use super::functions::{Breakdown, Customers, Slot, TemplateData};
use crate::engine::limits::{Limits, Seconds, Stop, Watchdog};
use crate::error::{Diagnostic, Origin};
use crate::workspace::{builtin, Workspace};

/// Loop iterations one rendering may take, all loops together.
pub const MAX_LOOP_ITERATIONS: u64 = 1_000_000;
/// The most Markdown a rendering may write.
pub const MAX_REPORT_BYTES: usize = 64 * 1024 * 1024;

/// The function the start of every loop body calls.
const GUARD_FUNCTION: &str = "powerbase_loop_guard";

/// The compiled templates of a workspace.
pub struct Templates {
    tera: Tera,
    main: String,
    sources: Vec<Source>,
    guard: Arc<Guard>,
    /// The customers the rendering under way reads (`customers()`, `breakdown()`).
    data: Slot,
    limits: Limits,
    /// One rendering at a time: the guard's counts and the data belong to it.
    running: Mutex<()>,
}

/// A template as given to Tera (with guard calls), and the file to name in its errors.
struct Source {
    /// The name templates use for it (`report.md`, `builtin/report.md`).
    name: String,
    /// The file as the user knows it (`templates/report.md`, `builtin/report.md`).
    path: String,
    /// The text with guard calls.
    text: String,
    /// Where the guard calls went.
    injections: Vec<Injection>,
}

/// Which limit stopped a rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    Iterations,
    Size,
    Time,
}

/// What one rendering has used, shared by the loop guard and the output buffer.
#[derive(Debug, Default)]
struct Guard {
    iterations: AtomicU64,
    written: AtomicUsize,
    stop: Arc<Stop>,
    hit: Mutex<Option<Limit>>,
}

impl Guard {
    fn reset(&self) {
        self.iterations.store(0, Ordering::Relaxed);
        self.written.store(0, Ordering::Relaxed);
        *self.hit.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    fn hit(&self) -> Option<Limit> {
        *self.hit.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One loop iteration: an error once a limit is reached.
    fn tick(&self) -> TeraResult<()> {
        let limit = if self.iterations.fetch_add(1, Ordering::Relaxed) >= MAX_LOOP_ITERATIONS {
            Limit::Iterations
        } else if self.written.load(Ordering::Relaxed) > MAX_REPORT_BYTES {
            Limit::Size
        } else if self.stop.get().is_some() {
            Limit::Time
        } else {
            return Ok(());
        };
        *self.hit.lock().unwrap_or_else(PoisonError::into_inner) = Some(limit);
        Err(tera::Error::message(
            "a limit of the report template was reached",
        ))
    }
}

/// `{{ powerbase_loop_guard() }}`, added at the start of every loop body: counts the iteration.
struct LoopGuard(Arc<Guard>);
impl Function<TeraResult<Value>> for LoopGuard {
    fn call(&self, _: Kwargs, _: &State) -> TeraResult<Value> {
        self.0.tick()?;
        Ok(Value::safe_string(""))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

/// The rendered Markdown, kept up to one byte past [`MAX_REPORT_BYTES`] (the rest is counted
/// and dropped, so a runaway template cannot fill the memory).
struct Capped<'g> {
    bytes: Vec<u8>,
    guard: &'g Guard,
}

impl Write for Capped<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = (MAX_REPORT_BYTES + 1).saturating_sub(self.bytes.len());
        self.bytes.extend_from_slice(&buf[..buf.len().min(room)]);
        self.guard
            .written
            .store(self.bytes.len(), Ordering::Relaxed);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A guard call added to a template: where (0-based columns of the original text), how long,
/// and where its `{% for %}` tag starts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Injection {
    line: usize,
    column: usize,
    len: usize,
    tag_line: usize,
    tag_column: usize,
}

/// Escapes the characters that carry meaning in Markdown (and HTML inside it).
pub fn escape_markdown(input: &str, out: &mut dyn Write) -> std::io::Result<()> {
    for c in input.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '[' | ']' | '#' | '`' | '<' | '>' => write!(out, "\\{c}")?,
            '\n' | '\r' => out.write_all(b" ")?,
            c => write!(out, "{c}")?,
        }
    }
    Ok(())
}

/// A number; `none` (a share that is not meaningful) as NaN, which prints as a dash.
fn number(v: &Value) -> TeraResult<f64> {
    if v.is_none() {
        return Ok(f64::NAN);
    }
    v.as_number()
        .map(|n| n.as_float())
        .ok_or_else(|| tera::Error::message(format!("expected a number, found {v}")))
}

fn decimals(kwargs: &Kwargs, default: usize) -> TeraResult<usize> {
    Ok(kwargs
        .get::<i64>("decimals")?
        .map_or(default, |d| d.clamp(0, 6) as usize))
}

/// `{{ x | money }}`: `$1,234` in the workspace currency; `decimals=2` for cents.
struct Money(String);
impl Filter<&Value, TeraResult<String>> for Money {
    fn call(&self, value: &Value, kwargs: Kwargs, _: &State) -> TeraResult<String> {
        Ok(format::money(
            number(value)?,
            &self.0,
            decimals(&kwargs, 0)?,
        ))
    }
}

/// `{{ share | pct }}`: `12.3%`; `decimals=0` for whole percent.
fn pct(value: &Value, kwargs: Kwargs, _: &State) -> TeraResult<String> {
    Ok(format::percent(number(value)?, decimals(&kwargs, 1)?))
}

/// `{{ n | num }}`: `12,345`; `decimals=2` for decimals.
fn num(value: &Value, kwargs: Kwargs, _: &State) -> TeraResult<String> {
    Ok(format::number(number(value)?, decimals(&kwargs, 0)?))
}

/// `{{ as_of | date }}`: an ISO date as the report's locale writes it (`30. Juni 1998` in
/// de-DE); unchanged without `report.locale`, and any value that is not a date as it is.
fn date(value: &Value, _: Kwargs, _: &State) -> TeraResult<Value> {
    Ok(match value.as_str() {
        Some(s) => Value::from(format::date(s)),
        None => value.clone(),
    })
}

/// `{{ text | yaml }}`: a quoted YAML scalar (for the front matter).
struct Yaml;
impl Filter<&Value, TeraResult<Value>> for Yaml {
    fn call(&self, value: &Value, _: Kwargs, _: &State) -> TeraResult<Value> {
        let text = match value.as_str() {
            Some(s) => s.to_string(),
            None if value.is_none() || value.is_undefined() => String::new(),
            None => value.to_string(),
        };
        Ok(Value::safe_string(
            &serde_json::to_string(&text).expect("a string serialises"),
        ))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

/// `{{ chart(name="pareto") }}`: the Markdown image of a chart of the registry
/// ([`super::charts::CHARTS`]). Knows whether margin is shown, so the tier chart's caption
/// matches what it draws.
struct Chart {
    has_cost: bool,
}
impl Function<TeraResult<Value>> for Chart {
    fn call(&self, kwargs: Kwargs, _: &State) -> TeraResult<Value> {
        let entry = chart_named(&kwargs)?;
        let caption = kwargs.get::<&str>("caption")?;
        Ok(Value::safe_string(&format!(
            "![{}](charts/{}.svg)",
            caption.unwrap_or(entry.caption(self.has_cost)),
            entry.name
        )))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

/// `{{ exhibit(name="pareto") }}`: "Exhibit N", N the number of the chart's image in the report
/// (see [`super::exhibits`]); the chart must be shown somewhere in the report.
struct Exhibit;
impl Function<TeraResult<Value>> for Exhibit {
    fn call(&self, kwargs: Kwargs, _: &State) -> TeraResult<Value> {
        let entry = chart_named(&kwargs)?;
        Ok(Value::safe_string(&super::exhibits::marker(entry.name)))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

/// The chart of the registry that the `name` argument names, or an error listing the charts.
fn chart_named(kwargs: &Kwargs) -> TeraResult<&'static super::charts::ChartEntry> {
    let name: &str = kwargs.must_get("name")?;
    chart_entry(name).ok_or_else(|| {
        tera::Error::message(format!(
            "no chart named `{name}`; charts: {}",
            chart_names().join(", ")
        ))
    })
}

/// `text` with a guard call at the start of every `{% for %}` body (outside comments and raw
/// blocks), and where the calls went. White-space control is kept: after `-%}` the call trims
/// the white space the tag would have trimmed.
fn guard_loops(text: &str) -> (String, Vec<Injection>) {
    let mut out = String::with_capacity(text.len() + 256);
    let mut injections = Vec::new();
    let mut at = Position::default();
    let mut i = 0;
    while let Some(found) = text[i..].find('{') {
        let start = i + found;
        at.copy(&text[i..start], &mut out);
        let end = match text.as_bytes().get(start + 1) {
            Some(b'#') => text[start + 2..]
                .find("#}")
                .map_or(text.len(), |e| start + 2 + e + 2),
            Some(b'{') => tag_end(text, start + 2, "}}"),
            Some(b'%') => {
                let end = tag_end(text, start + 2, "%}");
                match tag_word(&text[start..end]) {
                    "raw" => raw_end(text, end),
                    "for" => {
                        let tag = at;
                        at.copy(&text[start..end], &mut out);
                        let trim = if text[..end].ends_with("-%}") {
                            "-"
                        } else {
                            ""
                        };
                        let call = format!("{{{{ {GUARD_FUNCTION}() {trim}}}}}");
                        out.push_str(&call);
                        injections.push(Injection {
                            line: at.line,
                            column: at.column,
                            len: call.chars().count(),
                            tag_line: tag.line,
                            tag_column: tag.column,
                        });
                        i = end;
                        continue;
                    }
                    _ => end,
                }
            }
            _ => start + 1,
        };
        at.copy(&text[start..end], &mut out);
        i = end;
    }
    at.copy(&text[i..], &mut out);
    (out, injections)
}

/// A place in a template: 1-based line, 0-based column in characters (as Tera counts).
#[derive(Debug, Clone, Copy)]
struct Position {
    line: usize,
    column: usize,
}

impl Default for Position {
    fn default() -> Self {
        Position { line: 1, column: 0 }
    }
}

impl Position {
    /// Appends `s` to `out`, moving past it.
    fn copy(&mut self, s: &str, out: &mut String) {
        out.push_str(s);
        for c in s.chars() {
            if c == '\n' {
                self.line += 1;
                self.column = 0;
            } else {
                self.column += 1;
            }
        }
    }
}

/// The index after the `close` delimiter of a tag whose body starts at `from`, skipping quoted
/// strings; the end of the text when it is not closed (Tera reports that).
fn tag_end(text: &str, from: usize, close: &str) -> usize {
    let bytes = text.as_bytes();
    let mut k = from;
    while k < bytes.len() {
        match bytes[k] {
            q @ (b'"' | b'\'' | b'`') => {
                k += 1;
                while k < bytes.len() && bytes[k] != q {
                    k += 1;
                }
            }
            _ if text[k..].starts_with(close) => return k + close.len(),
            _ => {}
        }
        k += 1;
    }
    text.len()
}

/// The keyword of a `{% ... %}` tag: `for`, `raw`, `endraw`, `if`, ...
fn tag_word(tag: &str) -> &str {
    let body = tag[2..].trim_start_matches('-').trim_start();
    let len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    &body[..len]
}

/// The index after the `{% endraw %}` tag following a `{% raw %}` tag that ends at `from`.
fn raw_end(text: &str, from: usize) -> usize {
    let mut k = from;
    while let Some(found) = text[k..].find("{%") {
        let start = k + found;
        let end = tag_end(text, start + 2, "%}");
        if tag_word(&text[start..end]) == "endraw" {
            return end;
        }
        k = end;
    }
    text.len()
}

/// A 0-based column of the guarded text as the column the user wrote, on `line`: after a guard
/// call it moves back by the call's length; inside one it is the column of its `{% for %}`.
fn original(injections: &[Injection], line: usize, column: usize) -> (usize, usize) {
    let mut shift = 0;
    for j in injections.iter().filter(|j| j.line == line) {
        let start = j.column + shift;
        if column < start {
            break;
        }
        if column < start + j.len {
            return (j.tag_line, j.tag_column);
        }
        shift += j.len;
    }
    (line, column - shift)
}

impl Templates {
    /// Compiles the built-in templates and the workspace's own. A workspace template named like a
    /// built-in one (`report.md`) replaces it; the built-in stays reachable as `builtin/report.md`.
    /// `calls` are the plugin functions the policy lets templates call.
    pub fn load(
        workspace: &Workspace,
        calls: &crate::engine::TemplateCalls,
    ) -> Result<Templates, Vec<Diagnostic>> {
        let policy = &workspace.policy;
        let mut tera = Tera::new();
        tera.set_escape_fn(escape_markdown);
        tera.autoescape_on([".md"]);
        tera.register_filter("money", Money(policy.currency.clone()));
        tera.register_filter("pct", pct);
        tera.register_filter("num", num);
        tera.register_filter("date", date);
        tera.register_filter("yaml", Yaml);
        tera.register_function(
            "chart",
            Chart {
                has_cost: policy.transactions.columns.cost.is_some(),
            },
        );
        tera.register_function("exhibit", Exhibit);
        let data: Slot = Arc::default();
        tera.register_function("customers", Customers(data.clone()));
        tera.register_function("breakdown", Breakdown(data.clone()));
        let guard = Arc::new(Guard::default());
        tera.register_function(GUARD_FUNCTION, LoopGuard(guard.clone()));
        super::plugins::register(&mut tera, calls);
        let sources = template_sources(workspace);
        let added =
            tera.add_raw_templates(sources.iter().map(|s| (s.name.as_str(), s.text.as_str())));
        let templates = Templates {
            tera,
            main: policy.report.template.clone(),
            sources,
            guard,
            data,
            limits: Limits::default(),
            running: Mutex::new(()),
        };
        if let Err(e) = added {
            return Err(vec![templates.diagnostic(&e, "report template")]);
        }
        let main = &templates.main;
        if !templates.tera.contains_template(main) {
            let mut names: Vec<&str> = templates.tera.get_template_names().collect();
            names.sort();
            return Err(vec![Diagnostic::at(
                Origin::file(crate::workspace::POLICY_FILE),
                format!("report.template: no template named `{main}`"),
            )
            .with_help(format!("templates: {}", names.join(", ")))
            .code("report/unknown-template")]);
        }
        Ok(templates)
    }

    /// Sets how long a rendering may take (see [`Limits`]).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Renders the main template, within the limits: at most [`MAX_LOOP_ITERATIONS`] loop
    /// iterations, [`MAX_REPORT_BYTES`] of output and the time budget.
    pub fn render(&self, context: &Context) -> Result<String, Diagnostic> {
        self.render_with(context, None)
    }

    /// [`Templates::render`] with the customers that `customers()` and `breakdown()` read
    /// (without them, those functions are an error).
    pub fn render_with(
        &self,
        context: &Context,
        data: Option<Arc<TemplateData>>,
    ) -> Result<String, Diagnostic> {
        let _one_at_a_time = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        *self.data.lock().unwrap_or_else(PoisonError::into_inner) = data;
        let rendered = self.render_locked(context);
        *self.data.lock().unwrap_or_else(PoisonError::into_inner) = None;
        rendered
    }

    /// Renders the main template; the caller holds `running`.
    fn render_locked(&self, context: &Context) -> Result<String, Diagnostic> {
        self.guard.reset();
        let mut out = Capped {
            bytes: Vec::new(),
            guard: &self.guard,
        };
        let result = {
            let _watchdog = Watchdog::start(self.guard.stop.clone(), self.limits.timeout);
            self.tera.render_to(&self.main, context, &mut out)
        };
        match (result, self.guard.hit()) {
            (Err(e), Some(limit)) => Err(self.limit_error(limit, self.location(&e))),
            (Err(e), None) => Err(self.diagnostic(&e, &format!("report template `{}`", self.main))),
            (Ok(()), _) if out.bytes.len() > MAX_REPORT_BYTES => {
                Err(self.limit_error(Limit::Size, None))
            }
            (Ok(()), _) => {
                let text = String::from_utf8(out.bytes).map_err(|_| {
                    Diagnostic::at(
                        self.file(&self.main),
                        "the report template wrote text that is not UTF-8",
                    )
                    .code("report/not-utf8")
                })?;
                super::exhibits::number(&text).map_err(|name| {
                    Diagnostic::at(
                        self.file(&self.main),
                        format!("the report refers to `exhibit(name=\"{name}\")` but never shows that chart"),
                    )
                    .code("report/exhibit-not-shown")
                    .with_help(format!("add `{{{{ chart(name=\"{name}\") }}}}` where the chart belongs, or refer to the exhibit only where it is shown (under the same `if`)"))
                })
            }
        }
    }

    /// The file to name for template `name`: `templates/...` for the workspace's own,
    /// `builtin/...` for the built-in ones.
    fn file(&self, name: &str) -> Origin {
        let path = self
            .sources
            .iter()
            .find(|s| s.name == name)
            .map_or_else(|| name.to_string(), |s| s.path.clone());
        Origin::file(path)
    }

    /// Where a Tera error happened, as the user wrote it: file, line, 1-based column.
    fn location(&self, e: &tera::Error) -> Option<Origin> {
        let report = match e.kind() {
            ErrorKind::SyntaxError(r) | ErrorKind::RenderingError(r) => r,
            _ => return None,
        };
        let span = report.span();
        let injections = self
            .sources
            .iter()
            .find(|s| s.name == report.filename())
            .map_or(&[][..], |s| s.injections.as_slice());
        let (line, column) = original(injections, span.start_line, span.start_col);
        let file = self.file(report.filename()).file;
        Some(Origin::new(file, line as u32, column as u32 + 1))
    }

    /// A Tera error as a diagnostic at the place it names; `what` says which step failed.
    fn diagnostic(&self, e: &tera::Error, what: &str) -> Diagnostic {
        let code = match e.kind() {
            ErrorKind::SyntaxError(_) => "report/template-syntax",
            _ => "report/template-error",
        };
        let d = match (e.kind(), self.location(e)) {
            (ErrorKind::SyntaxError(r) | ErrorKind::RenderingError(r), Some(origin)) => {
                Diagnostic::at(origin, format!("{what}: {}", r.message()))
            }
            _ => Diagnostic::at(
                Origin::file(format!(
                    "templates/{}",
                    error_template(e).unwrap_or_default()
                )),
                format!("{what}: {e}"),
            ),
        };
        d.code(code)
    }

    fn limit_error(&self, limit: Limit, at: Option<Origin>) -> Diagnostic {
        let (message, help) = match limit {
            Limit::Iterations => (
                format!(
                    "its loops ran more than {} times",
                    format::thousands(MAX_LOOP_ITERATIONS as i64)
                ),
                "look for a loop over a large range, or loops nested in each other".to_string(),
            ),
            Limit::Size => (
                format!("the report grew past {} MiB", MAX_REPORT_BYTES >> 20),
                "look for a loop that writes the same text over and over".to_string(),
            ),
            Limit::Time => (
                format!(
                    "it took longer than the {} budget (--rule-timeout)",
                    Seconds(self.limits.timeout)
                ),
                "look for a loop that runs too long; if the template is right and only slow, allow more time with --rule-timeout".to_string(),
            ),
        };
        Diagnostic::at(
            at.unwrap_or_else(|| self.file(&self.main)),
            format!("report template `{}` stopped: {message}", self.main),
        )
        .with_help(help)
        .code("limit/template")
    }
}

/// Every template, guarded: the built-in ones under `builtin/` and by their short name unless the
/// workspace has one of that name, then the workspace's own.
fn template_sources(workspace: &Workspace) -> Vec<Source> {
    let source = |name: String, path: String, text: &str| {
        let (text, injections) = guard_loops(text);
        Source {
            name,
            path,
            text,
            injections,
        }
    };
    let mut sources = Vec::new();
    for (name, text) in builtin::templates() {
        let short = name.trim_start_matches(builtin::PREFIX).to_string();
        if !workspace.templates.iter().any(|t| t.name == short) {
            sources.push(source(short, name.clone(), text));
        }
        sources.push(source(name.clone(), name, text));
    }
    for t in &workspace.templates {
        sources.push(source(
            t.name.clone(),
            format!("templates/{}", t.name),
            &t.text,
        ));
    }
    sources
}

fn error_template(e: &tera::Error) -> Option<String> {
    let text = e.to_string();
    let start = text.find("--> ")? + 4;
    let rest = &text[start..];
    Some(rest.split(':').next()?.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::workspace;

    /// The workspace's templates, with `text` as templates/report.md.
    fn templates(text: &str) -> (tempfile::TempDir, Templates) {
        let (dir, ws) = workspace("", &[("templates/report.md", text)]);
        let t = Templates::load(&ws, &Default::default()).unwrap_or_else(|p| panic!("{p:#?}"));
        (dir, t)
    }

    fn render(text: &str) -> Result<String, Diagnostic> {
        let mut context = Context::new();
        context.insert("xs", &vec![1, 2, 3]);
        templates(text).1.render(&context)
    }

    #[test]
    fn guarded_loops_render_as_before() {
        let text = "{# {% for x in xs %} #}{% raw %}{% for y in xs %}{% endraw %}\n{% for x in xs -%}\n  a{{ x }}\n{%- endfor %}|{% for x in xs %} b{{ x }}{% endfor %}\n{{ \"{% for\" }}";
        let (guarded, injections) = guard_loops(text);
        assert_eq!(
            injections.len(),
            2,
            "comments, raw blocks and strings are left alone"
        );
        let mut plain = Tera::new();
        plain.add_raw_template("t", text).unwrap();
        let mut context = Context::new();
        context.insert("xs", &vec![1, 2, 3]);
        let expected = plain.render("t", &context).unwrap();
        assert_eq!(render(text).unwrap(), expected);
        assert!(
            guarded.contains("{% for x in xs -%}{{ powerbase_loop_guard() -}}"),
            "{guarded}"
        );
    }

    #[test]
    fn nested_loops_stop_at_the_iteration_limit_naming_the_loop() {
        let e = render("# Report\n\n  {% for i in range(end=100000) %}{% for j in range(end=100000) %}{% endfor %}{% endfor %}\n")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "report template `report.md` stopped: its loops ran more than 1,000,000 times\n  --> templates/report.md:3:35\n  help: look for a loop over a large range, or loops nested in each other"
        );
    }

    #[test]
    fn a_huge_output_stops_at_the_size_limit() {
        let line = "x".repeat(1000);
        let e = render(&format!(
            "{{% for i in range(end=100000) %}}{line}\n{{% endfor %}}"
        ))
        .unwrap_err();
        assert!(e.message.contains("the report grew past 64 MiB"), "{e}");
        assert_eq!(e.origin, Some(Origin::new("templates/report.md", 1, 1)));
    }

    #[test]
    fn a_slow_template_stops_at_the_time_budget() {
        let (_dir, mut t) = templates(
            "{% for i in range(end=100000) %}{% for j in range(end=9) %}{% endfor %}{% endfor %}",
        );
        t.set_limits(Limits {
            timeout: std::time::Duration::from_millis(1),
        });
        let e = t.render(&Context::new()).unwrap_err();
        assert!(
            e.message
                .contains("it took longer than the 0.001 s budget (--rule-timeout)"),
            "{e}"
        );
    }

    /// Where Tera itself puts the error of rendering `text` unguarded (line, 1-based column).
    fn plain_location(text: &str) -> (u32, u32) {
        let mut plain = Tera::new();
        plain.add_raw_template("report.md", text).unwrap();
        let mut context = Context::new();
        context.insert("xs", &vec![1, 2, 3]);
        match plain.render("report.md", &context).unwrap_err().kind() {
            ErrorKind::RenderingError(r) => {
                (r.span().start_line as u32, r.span().start_col as u32 + 1)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn render_errors_name_the_template_line_and_column_as_written() {
        for text in [
            "ok\n{% for x in xs %}{{ x.name }}{% endfor %}",
            "ok\n\n{% for x in xs %}{{ x }}{% endfor %}{% for y in xs %}{{ y }}{% endfor %} {{ missing }}",
            "{% for x in xs %}{% for y in xs %}{{ x ~ y }}{% endfor %}{% endfor %} {{ 1 + \"a\" }}",
        ] {
            let (line, column) = plain_location(text);
            let e = render(text).unwrap_err();
            assert_eq!(e.origin, Some(Origin::new("templates/report.md", line, column)), "{text}");
            assert!(e.message.starts_with("report template `report.md`: "), "{e}");
        }
        let (_dir, ws) = workspace(
            "",
            &[(
                "templates/report.md",
                "{% for x in xs %}\n{{ x + }}\n{% endfor %}",
            )],
        );
        let e = Templates::load(&ws, &Default::default())
            .err()
            .unwrap()
            .remove(0);
        assert_eq!(
            e.origin.map(|o| (o.file, o.line)),
            Some(("templates/report.md".into(), 2))
        );
    }

    #[test]
    fn markdown_escaping_protects_tables() {
        let mut out = Vec::new();
        escape_markdown("a|b *c* [d](e) <x> #1_2", &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r"a\|b \*c\* \[d\](e) \<x\> \#1\_2"
        );
    }
}
