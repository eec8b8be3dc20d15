//! Every name the policy gives or uses, with where it was defined, and every rule about names in one
//! place: names must not be empty, expression names must be identifiers, and no name may be used
//! twice in its namespace. Expressions share one namespace (built-in metrics, attribute columns,
//! params, derived metrics); tiers and checks each have their own.
//!
//! The workspace declares the built-in metrics, params, metrics, tiers and checks when it merges
//! the policy files; the pipeline adds the attribute columns once the attribute table is read.

use std::collections::BTreeMap;

use crate::error::{Diagnostic, Origin};

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A metric powerbase computes from the transactions (`revenue`, `orders`, ...).
    BuiltinMetric,
    /// A column of the customer attribute table.
    Attribute,
    /// A named constant (`params:`).
    Param,
    /// A derived metric (`metrics:`).
    Metric,
    /// A tier (`tiers:`).
    Tier,
    /// A check (`checks:`).
    Check,
    /// A metric of profitability (`cost_to_serve`, `cts_<name>`, `profit_before_acquisition`,
    /// `profit`), declared by `cost_to_serve:` or a mapped cost column.
    ProfitMetric,
    /// A persona (`personas:`).
    Persona,
}

/// Names that must differ from each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Namespace {
    /// Names expressions read.
    Expression,
    Tier,
    Check,
    Persona,
}

impl Kind {
    /// The kind in words, as messages name it.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::BuiltinMetric => "built-in metric",
            Kind::Attribute => "attribute column",
            Kind::Param => "param",
            Kind::Metric => "metric",
            Kind::Tier => "tier",
            Kind::Check => "check",
            Kind::ProfitMetric => "profit metric",
            Kind::Persona => "persona",
        }
    }

    /// The kind with its article: "a param", "an attribute column".
    fn with_article(self) -> String {
        match self {
            Kind::Attribute => "an attribute column".to_string(),
            Kind::BuiltinMetric => "a built-in metric".to_string(),
            other => format!("a {}", other.noun()),
        }
    }

    fn namespace(self) -> Namespace {
        match self {
            Kind::BuiltinMetric
            | Kind::Attribute
            | Kind::Param
            | Kind::Metric
            | Kind::ProfitMetric => Namespace::Expression,
            Kind::Tier => Namespace::Tier,
            Kind::Check => Namespace::Check,
            Kind::Persona => Namespace::Persona,
        }
    }

    /// How to fix an empty name of this kind.
    fn empty_help(self) -> &'static str {
        match self {
            Kind::Tier => "give every tier a name: the report and customers.csv show it",
            Kind::Check => "give it a name: the report lists findings by it",
            Kind::Persona => "give it a name: the report gives each persona a card under it",
            _ => "give it a name made of letters, digits and `_`, such as `first_class_min`",
        }
    }
}

/// A name and where it was defined (built-in metrics have no place).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    kind: Kind,
    origin: Option<Origin>,
}

/// Every name declared so far, by namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameTable {
    names: BTreeMap<(Namespace, String), Entry>,
    /// Params of included built-in files whose default the workspace set, with where the
    /// default was written, in reading order.
    defaults: Vec<(String, Origin)>,
}

impl NameTable {
    /// A table holding the built-in metrics.
    pub fn with_builtins() -> NameTable {
        let mut table = NameTable::default();
        for b in crate::metrics::BUILTINS {
            table.names.insert(
                (Namespace::Expression, b.name.to_string()),
                Entry {
                    kind: Kind::BuiltinMetric,
                    origin: None,
                },
            );
        }
        table
    }

    /// Declares `name` as a `kind` defined at `origin`, or says why it cannot be: it is empty
    /// (`policy/empty-name`), not an identifier where expressions read it
    /// (`policy/invalid-name`), already defined as the same kind (`policy/duplicate-name`) or as
    /// another kind of its namespace (`policy/name-clash`). A name that fails is not recorded.
    pub fn declare(&mut self, kind: Kind, name: &str, origin: &Origin) -> Result<(), Diagnostic> {
        self.declare_as(kind, None, name, origin)
    }

    /// [`NameTable::declare`] for the `n`-th (1-based) item of a list, named by its position
    /// when its name is empty ("tier 2 has an empty name").
    pub fn declare_nth(
        &mut self,
        kind: Kind,
        n: usize,
        name: &str,
        origin: &Origin,
    ) -> Result<(), Diagnostic> {
        self.declare_as(kind, Some(n), name, origin)
    }

    fn declare_as(
        &mut self,
        kind: Kind,
        n: Option<usize>,
        name: &str,
        origin: &Origin,
    ) -> Result<(), Diagnostic> {
        if name.trim().is_empty() {
            let subject = match n {
                Some(n) => format!("{} {n}", kind.noun()),
                None => format!("a {}", kind.noun()),
            };
            return Err(
                Diagnostic::at(origin.clone(), format!("{subject} has an empty name"))
                    .code("policy/empty-name")
                    .with_help(kind.empty_help()),
            );
        }
        let key = (kind.namespace(), name.to_string());
        if let Some(old) = self.names.get(&key) {
            return Err(clash(name, old, kind, origin));
        }
        if kind.namespace() == Namespace::Expression {
            if let Err(msg) = crate::ident::check(name) {
                return Err(Diagnostic::at(
                    origin.clone(),
                    format!("{} `{name}`: {msg}", kind.noun()),
                )
                .code("policy/invalid-name"));
            }
        }
        self.names.insert(
            key,
            Entry {
                kind,
                origin: Some(origin.clone()),
            },
        );
        Ok(())
    }

    /// Records that the workspace set the param `name`, whose default an included built-in file
    /// declares at `default` (the workspace's value is the one kept).
    pub fn override_default(&mut self, name: &str, default: &Origin) {
        self.defaults.push((name.to_string(), default.clone()));
    }

    /// The params whose built-in default the workspace set, with where each default was written.
    pub fn overridden_defaults(&self) -> &[(String, Origin)] {
        &self.defaults
    }

    /// What `name` names in expressions, and where it was defined (`None` for a built-in metric),
    /// if it is declared.
    pub fn expression_name(&self, name: &str) -> Option<(Kind, Option<&Origin>)> {
        self.names
            .get(&(Namespace::Expression, name.to_string()))
            .map(|e| (e.kind, e.origin.as_ref()))
    }
}

/// The problem of declaring `name` as a `kind` at `origin` when it is already `old`. The
/// diagnostic points at the name written in the policy: the later one, or the param or metric
/// when the later one is an attribute column (a column of the client's data, renamed with a
/// mapping), with a label at the other place.
fn clash(name: &str, old: &Entry, kind: Kind, origin: &Origin) -> Diagnostic {
    let Some(old_origin) = &old.origin else {
        return builtin_clash(name, kind, origin);
    };
    if old.kind == kind {
        return Diagnostic::at(
            origin.clone(),
            format!("{} `{name}` is defined twice", kind.noun()),
        )
        .code("policy/duplicate-name")
        .with_label(old_origin.clone(), "first defined here")
        .with_help(format!(
            "rename or remove one of them: each {} needs its own name",
            kind.noun()
        ));
    }
    let (here, there) = if kind == Kind::Attribute {
        ((old.kind, old_origin), (kind, origin))
    } else {
        ((kind, origin), (old.kind, old_origin))
    };
    Diagnostic::at(
        here.1.clone(),
        format!(
            "{} `{name}` has the name of {}",
            here.0.noun(),
            there.0.with_article()
        ),
    )
    .code("policy/name-clash")
    .with_label(
        there.1.clone(),
        format!("the {} `{name}` is defined here", there.0.noun()),
    )
    .with_help("expressions read both by this name: rename one of them")
}

/// The problem of declaring the name of a built-in metric as a `kind` at `origin`.
fn builtin_clash(name: &str, kind: Kind, origin: &Origin) -> Diagnostic {
    let help = if kind == Kind::Attribute {
        format!(
            "rename it with a mapping: columns: {{ customer_id: ..., {name}_attr: \"<its header>\" }}"
        )
    } else {
        "choose another name; built-in metrics cannot be redefined".to_string()
    };
    Diagnostic::at(
        origin.clone(),
        format!(
            "{} `{name}` has the name of the built-in metric `{name}`",
            kind.noun()
        ),
    )
    .code("policy/name-clash")
    .with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32) -> Origin {
        Origin::new("powerbase.yaml", line, 3)
    }

    #[test]
    fn a_name_twice_is_one_problem_pointing_at_both_places() {
        let mut t = NameTable::with_builtins();
        t.declare(Kind::Param, "min", &at(1)).unwrap();
        let d = t.declare(Kind::Param, "min", &at(5)).unwrap_err();
        assert_eq!(d.code, "policy/duplicate-name");
        assert_eq!(d.message, "param `min` is defined twice");
        assert_eq!(d.origin, Some(at(5)));
        assert_eq!(d.labels.len(), 1);
        assert_eq!(d.labels[0].origin, at(1));
        assert_eq!(d.labels[0].message, "first defined here");
    }

    #[test]
    fn kinds_of_one_namespace_clash_and_others_do_not() {
        let mut t = NameTable::with_builtins();
        t.declare(Kind::Param, "x", &at(1)).unwrap();
        let d = t.declare(Kind::Metric, "x", &at(2)).unwrap_err();
        assert_eq!(d.code, "policy/name-clash");
        assert_eq!(d.message, "metric `x` has the name of a param");
        assert_eq!(d.labels[0].origin, at(1));
        // A tier and a check may share a name with a param and with each other.
        t.declare(Kind::Tier, "x", &at(3)).unwrap();
        t.declare(Kind::Check, "x", &at(4)).unwrap();
        assert_eq!(
            t.declare(Kind::Tier, "x", &at(6)).unwrap_err().code,
            "policy/duplicate-name"
        );
    }

    #[test]
    fn an_attribute_clash_points_at_the_param_written_in_the_policy() {
        let mut t = NameTable::with_builtins();
        t.declare(Kind::Param, "segment", &at(1)).unwrap();
        let column = Origin::file("data/customers.csv");
        let d = t.declare(Kind::Attribute, "segment", &column).unwrap_err();
        assert_eq!(
            d.message,
            "param `segment` has the name of an attribute column"
        );
        assert_eq!(d.origin, Some(at(1)));
        assert_eq!(d.labels[0].origin, column);
        assert_eq!(
            d.labels[0].message,
            "the attribute column `segment` is defined here"
        );
    }

    #[test]
    fn built_in_metrics_cannot_be_redefined() {
        let mut t = NameTable::with_builtins();
        let d = t.declare(Kind::Metric, "revenue", &at(1)).unwrap_err();
        assert_eq!(d.code, "policy/name-clash");
        assert_eq!(
            d.message,
            "metric `revenue` has the name of the built-in metric `revenue`"
        );
        assert!(d.labels.is_empty());
        let d = t
            .declare(Kind::Attribute, "orders", &Origin::file("c.csv"))
            .unwrap_err();
        assert!(d.help.unwrap().contains("orders_attr"));
        assert_eq!(
            t.expression_name("revenue"),
            Some((Kind::BuiltinMetric, None))
        );
    }

    #[test]
    fn empty_and_invalid_names() {
        let mut t = NameTable::with_builtins();
        let d = t.declare(Kind::Param, " ", &at(1)).unwrap_err();
        assert_eq!(
            (d.code, d.message.as_str()),
            ("policy/empty-name", "a param has an empty name")
        );
        let d = t.declare_nth(Kind::Tier, 2, "", &at(1)).unwrap_err();
        assert_eq!(d.message, "tier 2 has an empty name");
        let d = t.declare(Kind::Metric, "first class", &at(1)).unwrap_err();
        assert_eq!(d.code, "policy/invalid-name");
        // Tier and check names are free text.
        t.declare(Kind::Tier, "First class (top 5%)", &at(1))
            .unwrap();
        assert_eq!(t.expression_name("first class"), None);
    }
}
