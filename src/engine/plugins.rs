//! Plugin scripts (`scripts/**/*.rhai`): each compiled on its own and loaded as its own module,
//! so an error inside a plugin function names that function's file and line. A plugin function
//! may not take the name (and number of arguments) of a built-in function or of another plugin
//! function: it would silently replace it in every expression.

use std::collections::{HashMap, HashSet};

use rhai::{Engine, FnAccess, Module, Scope, AST};

use super::{pos_col, pos_line, scan};
use crate::error::{Diagnostic, Origin};
use crate::workspace::{SourceFile, TemplatePlugins};

/// Compiles each script with its file as source; syntax errors are reported with file and line.
pub fn compile<'s>(
    engine: &Engine,
    scripts: &'s [SourceFile],
    problems: &mut Vec<Diagnostic>,
) -> Vec<(&'s SourceFile, AST)> {
    let mut compiled = Vec::new();
    for script in scripts {
        match engine.compile(&script.text) {
            Ok(mut ast) => {
                ast.set_source(script.name.as_str());
                compiled.push((script, ast));
            }
            Err(e) => problems.push(
                Diagnostic::at(
                    Origin::new(&script.name, pos_line(e.position()), pos_col(e.position())),
                    format!("{}: {}", script.name, e.err_type()),
                )
                .code("plugin/syntax"),
            ),
        }
    }
    problems.extend(clashes(engine, &compiled));
    compiled
}

/// Runs each script's top level and makes its public functions callable from every expression
/// (and from the other scripts).
pub fn load(engine: &mut Engine, compiled: &[(&SourceFile, AST)], problems: &mut Vec<Diagnostic>) {
    for (script, ast) in compiled {
        match Module::eval_ast_as_new(Scope::new(), ast, engine) {
            Ok(module) => {
                engine.register_global_module(module.into());
            }
            Err(e) => {
                let p = e.position();
                problems.push(
                    Diagnostic::at(
                        Origin::new(&script.name, pos_line(p), pos_col(p)),
                        format!(
                            "the plugin script {} failed while loading: {}",
                            script.name,
                            super::flatten(&e)
                        ),
                    )
                    .code("plugin/load-failed"),
                );
            }
        }
    }
}

/// Plugin functions that would replace a built-in function or another plugin's function.
fn clashes(engine: &Engine, compiled: &[(&SourceFile, AST)]) -> Vec<Diagnostic> {
    let builtins = builtin_functions(engine);
    let mut seen: HashMap<(String, usize), Origin> = HashMap::new();
    let mut problems = Vec::new();
    for (script, ast) in compiled {
        let defined = scan::function_definitions(&script.text);
        for f in ast.iter_functions() {
            if f.access == FnAccess::Private {
                continue; // callable only inside its own script
            }
            let key = (f.name.to_string(), f.params.len());
            let origin = defined
                .iter()
                .find(|d| d.name == f.name && d.arity == key.1)
                .map_or_else(
                    || Origin::file(&script.name),
                    |d| Origin::new(&script.name, d.line, d.column),
                );
            if builtins.contains(&key) {
                problems.push(
                    Diagnostic::at(
                        origin,
                        format!(
                            "plugin function `{}` with {} has the name of a built-in function, which it would replace in every expression",
                            f.name,
                            arguments(key.1)
                        ),
                    )
                    .with_help(format!("give it another name, e.g. `my_{}`", f.name))
                    .code("plugin/shadows-builtin"),
                );
            } else if let Some(first) = seen.get(&key) {
                problems.push(
                    Diagnostic::at(
                        origin,
                        format!(
                            "plugin function `{}` with {} is defined twice; the other one is at {first}",
                            f.name,
                            arguments(key.1)
                        ),
                    )
                    .with_help("keep one of them, or rename one")
                    .with_label(first.clone(), "first defined here")
                    .code("plugin/duplicate-function"),
                );
            } else {
                seen.insert(key, origin);
            }
        }
    }
    problems
}

/// Every function `plugins:` lets the templates call is a public plugin function of one argument
/// (the value for a filter, the map of keyword arguments for a function).
pub fn template_functions(
    compiled: &[(&SourceFile, AST)],
    plugins: &TemplatePlugins,
    problems: &mut Vec<Diagnostic>,
) {
    let public: Vec<(String, usize)> = compiled
        .iter()
        .flat_map(|(_, ast)| ast.iter_functions())
        .filter(|f| f.access != FnAccess::Private)
        .map(|f| (f.name.to_string(), f.params.len()))
        .collect();
    let listed = plugins
        .filters
        .iter()
        .map(|f| ("filter", f))
        .chain(plugins.functions.iter().map(|f| ("function", f)));
    for (what, (name, origin)) in listed {
        if public.iter().any(|(n, arity)| n == name && *arity == 1) {
            continue;
        }
        let names: Vec<String> = public.iter().map(|(n, _)| n.clone()).collect();
        let (message, help) = match public.iter().find(|(n, _)| n == name) {
            Some((_, arity)) => (
                format!(
                    "template {what} `{name}` takes {}; a template {what} takes 1",
                    arguments(*arity)
                ),
                if what == "filter" {
                    "a filter receives the value before the `|`: `fn money_k(x) { ... }`"
                        .to_string()
                } else {
                    "a function receives its keyword arguments as one map: `fn segment_story(args) { args.tier }`".to_string()
                },
            ),
            None => (
                format!(
                    "template {what} `{name}` is not a public function of the scripts in scripts/"
                ),
                match crate::ident::closest(&names, name) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("define `fn {name}(x) {{ ... }}` in a script under scripts/"),
                },
            ),
        };
        problems.push(
            Diagnostic::at(origin.clone(), message)
                .with_help(help)
                .code("plugin/unknown-template-function"),
        );
    }
}

fn arguments(n: usize) -> String {
    match n {
        1 => "1 argument".to_string(),
        n => format!("{n} arguments"),
    }
}

/// The functions an engine provides by name and number of arguments: the registered ones
/// (population functions) and Rhai's standard library. Operators, property getters and
/// indexers are left out: a script function cannot be named like them.
fn builtin_functions(engine: &Engine) -> HashSet<(String, usize)> {
    engine
        .gen_fn_signatures(true)
        .iter()
        .filter_map(|signature| parse_signature(signature))
        .collect()
}

/// `max(x: i64, y: i64) -> i64` as (`max`, 2).
fn parse_signature(signature: &str) -> Option<(String, usize)> {
    let open = signature.find('(')?;
    let name = &signature[..open];
    let is_identifier = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !is_identifier {
        return None;
    }
    let mut depth = 0usize;
    let mut commas = 0;
    let mut empty = true;
    for c in signature[open + 1..].chars() {
        match c {
            '(' | '<' | '[' => depth += 1,
            ')' if depth == 0 => break,
            ')' | '>' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => commas += 1,
            c if !c.is_whitespace() => empty = false,
            _ => {}
        }
    }
    Some((name.to_string(), if empty { 0 } else { commas + 1 }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_give_name_and_arity() {
        assert_eq!(
            parse_signature("max(x: i64, y: i64) -> i64"),
            Some(("max".into(), 2))
        );
        assert_eq!(
            parse_signature("timestamp() -> Instant"),
            Some(("timestamp".into(), 0))
        );
        assert_eq!(
            parse_signature("range(range: std::ops::Range<u16>, step: u16) -> Result<StepRange<u16>, Box<EvalAltResult>>"),
            Some(("range".into(), 2))
        );
        assert_eq!(parse_signature("+(x: u8, y: u8) -> u8"), None);
        assert_eq!(parse_signature("get$len(blob: &mut blob) -> i64"), None);
    }
}
