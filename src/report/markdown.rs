//! Report templates through Tera: the built-in ones (`builtin/...`), the workspace's own, and the
//! filters and functions they use. Markdown output is escaped by default, so data (customer ids,
//! tier names) cannot break a table; filters that produce Markdown mark their output safe.

use std::io::Write;

use tera::{Context, Filter, Function, Kwargs, State, Tera, TeraResult, Value};

use super::format;
use super::CHARTS;
use crate::error::{Diagnostic, Origin};
use crate::workspace::{builtin, Workspace};

/// The compiled templates of a workspace.
pub struct Templates {
    tera: Tera,
    main: String,
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

fn number(v: &Value) -> TeraResult<f64> {
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

/// `{{ chart(name="pareto") }}`: the Markdown image of a chart. Knows whether margin is shown,
/// so the tier chart's caption matches what it draws.
struct Chart {
    has_margin: bool,
}
impl Function<TeraResult<Value>> for Chart {
    fn call(&self, kwargs: Kwargs, _: &State) -> TeraResult<Value> {
        let name: &str = kwargs.must_get("name")?;
        let caption = kwargs.get::<&str>("caption")?;
        match CHARTS.iter().find(|(n, _)| *n == name) {
            Some((n, default)) => {
                let default = match *n {
                    "tiers" if !self.has_margin => "Customers and revenue by tier",
                    _ => default,
                };
                Ok(Value::safe_string(&format!(
                    "![{}](charts/{n}.svg)",
                    caption.unwrap_or(default)
                )))
            }
            None => Err(tera::Error::message(format!(
                "no chart named `{name}`; charts: {}",
                CHARTS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
    fn is_safe(&self) -> bool {
        true
    }
}

impl Templates {
    /// Compiles the built-in templates and the workspace's own. A workspace template named like a
    /// built-in one (`report.md`) replaces it; the built-in stays reachable as `builtin/report.md`.
    pub fn load(workspace: &Workspace) -> Result<Templates, Vec<Diagnostic>> {
        let policy = &workspace.policy;
        let mut tera = Tera::new();
        tera.set_escape_fn(escape_markdown);
        tera.autoescape_on([".md"]);
        tera.register_filter("money", Money(policy.currency.clone()));
        tera.register_filter("pct", pct);
        tera.register_filter("num", num);
        tera.register_filter("yaml", Yaml);
        tera.register_function(
            "chart",
            Chart {
                has_margin: policy.transactions.columns.cost.is_some(),
            },
        );
        let mut sources: Vec<(String, String)> = Vec::new();
        for (name, text) in builtin::templates() {
            let short = name.trim_start_matches(builtin::PREFIX).to_string();
            if !workspace.templates.iter().any(|t| t.name == short) {
                sources.push((short, text.to_string()));
            }
            sources.push((name, text.to_string()));
        }
        for t in &workspace.templates {
            sources.push((t.name.clone(), t.text.clone()));
        }
        let main = policy.report.template.clone();
        if let Err(e) =
            tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        {
            return Err(vec![Diagnostic::at(
                Origin::file(format!(
                    "templates/{}",
                    error_template(&e).unwrap_or_default()
                )),
                format!("report template: {e}"),
            )]);
        }
        if !tera.contains_template(&main) {
            let names: Vec<&str> = tera.get_template_names().collect();
            let mut names: Vec<&str> = names.into_iter().collect();
            names.sort();
            return Err(vec![Diagnostic::at(
                Origin::file(crate::workspace::POLICY_FILE),
                format!("report.template: no template named `{main}`"),
            )
            .with_help(format!("templates: {}", names.join(", ")))]);
        }
        Ok(Templates { tera, main })
    }

    /// Renders the main template.
    pub fn render(&self, context: &Context) -> Result<String, Diagnostic> {
        self.tera
            .render(&self.main, context)
            .map_err(|e| Diagnostic::new(format!("report template `{}`: {e}", self.main)))
    }
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
