//! Plugin functions the report templates call (`plugins: { filters: [...], functions: [...] }` in
//! powerbase.yaml). They run in the rules' sandbox, with its limits (operations, call depth, sizes),
//! and see only what they are given: plain values (numbers, texts, flags, lists and maps of them),
//! never the customer table or population figures.

use std::sync::Arc;

use rhai::{Dynamic, Engine, Scope, AST};

/// The name the argument has inside the call.
const ARGUMENT: &str = "value";

/// Template filters and functions backed by plugin functions.
#[derive(Clone, Default)]
pub struct TemplateCalls {
    engine: Option<Arc<Engine>>,
    /// Filters, each with its call compiled.
    filters: Vec<(String, AST)>,
    /// Functions, each with its call compiled.
    functions: Vec<(String, AST)>,
}

/// Whether a call is a filter or a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// `{{ x | name }}`: the plugin function receives `x`.
    Filter,
    /// `{{ name(a=1) }}`: the plugin function receives the map `#{a: 1}`.
    Function,
}

impl TemplateCalls {
    /// Calls for `filters` and `functions` on `engine` (which has the plugins loaded). A name whose
    /// call does not compile is left out (compiling the policy reports it).
    pub(super) fn new(engine: Arc<Engine>, filters: &[String], functions: &[String]) -> Self {
        let compile = |names: &[String]| -> Vec<(String, AST)> {
            names
                .iter()
                .filter_map(|n| {
                    let ast = engine
                        .compile_expression_with_scope(
                            &scope(Dynamic::UNIT),
                            format!("{n}({ARGUMENT})"),
                        )
                        .ok()?;
                    Some((n.clone(), ast))
                })
                .collect()
        };
        TemplateCalls {
            filters: compile(filters),
            functions: compile(functions),
            engine: Some(engine),
        }
    }

    /// The names of one kind.
    pub fn names(&self, kind: CallKind) -> impl Iterator<Item = &str> {
        self.list(kind).iter().map(|(n, _)| n.as_str())
    }

    fn list(&self, kind: CallKind) -> &[(String, AST)] {
        match kind {
            CallKind::Filter => &self.filters,
            CallKind::Function => &self.functions,
        }
    }

    /// Calls plugin function `name` with `argument`; an error is one sentence naming the plugin
    /// function's file and line.
    pub fn call(&self, kind: CallKind, name: &str, argument: Dynamic) -> Result<Dynamic, String> {
        let (Some(engine), Some((_, ast))) = (
            &self.engine,
            self.list(kind).iter().find(|(n, _)| n == name),
        ) else {
            return Err(format!("the plugin function `{name}` is not available"));
        };
        engine
            .eval_ast_with_scope::<Dynamic>(&mut scope(argument), ast)
            .map_err(|e| super::flatten(&e))
    }
}

fn scope(argument: Dynamic) -> Scope<'static> {
    let mut scope = Scope::new();
    scope.push_dynamic(ARGUMENT, argument);
    scope
}
