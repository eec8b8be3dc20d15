//! The strategy sections of a policy: what serving and winning a customer costs (`cost_to_serve:`,
//! `acquisition_cost:`), which customers form personas (`personas:`), how attributes are banded
//! for profiles (`attributes:`) and which plugin functions the templates may call (`plugins:`).
//! Each is gathered from every policy file, its names declared in the workspace's
//! [`NameTable`], and checked where it was written.

use indexmap::IndexMap;
use serde_saphyr::Spanned;

use super::names::{Kind, NameTable};
use super::schema::{AttributeEntry, PersonaEntry, PluginsEntry, PolicyFile, RisingEntry};
use super::{at, expr, Derived, Expr, POLICY_FILE};
use crate::error::{Diagnostic, Origin};

/// The metric of the total cost to serve a customer.
pub const COST_TO_SERVE: &str = "cost_to_serve";
/// The prefix of each cost-to-serve component's metric (`cts_support`).
pub const COMPONENT_PREFIX: &str = "cts_";
/// Margin (or revenue, without a cost column) less the cost to serve.
pub const PROFIT_BEFORE_ACQUISITION: &str = "profit_before_acquisition";
/// Profit after the acquisition cost.
pub const PROFIT: &str = "profit";

/// What profit is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfitBasis {
    /// `margin` (revenue less the mapped cost of goods).
    Margin,
    /// `revenue`: no cost column is mapped (a services or commission business), so profit is
    /// revenue less the cost to serve; the report says so.
    Revenue,
}

impl ProfitBasis {
    /// The metric profit starts from.
    pub fn metric(self) -> &'static str {
        match self {
            ProfitBasis::Margin => "margin",
            ProfitBasis::Revenue => "revenue",
        }
    }
}

/// How profit is computed for every customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Profit {
    /// The cost-to-serve components (name without the `cts_` prefix), in policy order.
    pub components: Vec<Derived>,
    /// The acquisition cost, if the policy gives one (else 0).
    pub acquisition: Option<Expr>,
    /// What profit starts from.
    pub basis: ProfitBasis,
}

impl Profit {
    /// The metrics profit adds to every customer, in `customers.csv` order: each component's
    /// `cts_<name>`, `cost_to_serve`, `profit_before_acquisition`, `profit`.
    pub fn metric_names(&self) -> Vec<String> {
        self.components
            .iter()
            .map(|c| format!("{COMPONENT_PREFIX}{}", c.name))
            .chain(
                [COST_TO_SERVE, PROFIT_BEFORE_ACQUISITION, PROFIT]
                    .iter()
                    .map(|s| s.to_string()),
            )
            .collect()
    }
}

/// A persona: a named group of customers.
#[derive(Debug, Clone, PartialEq)]
pub struct Persona {
    /// Its name.
    pub name: String,
    /// Who they are.
    pub description: Option<String>,
    /// Who belongs.
    pub when: Expr,
    /// Where it was defined.
    pub origin: Origin,
    /// The metric whose sum over its customers is the persona's worth in the investment gap
    /// (default `revenue_12m`).
    pub worth: String,
    /// Its needs and their weights (summing to 1), in policy order; empty when none are given.
    pub needs: Vec<super::investment::Weighted>,
}

/// The policy's rule for rising customers (`rising: { when: ... }`), replacing the built-in one.
#[derive(Debug, Clone, PartialEq)]
pub struct Rising {
    /// Who is rising (customers of core tiers never are).
    pub when: Expr,
    /// Where `rising:` was written.
    pub origin: Origin,
}

/// Declared bands of a numeric attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Bands {
    /// The attribute column.
    pub attribute: String,
    /// Ascending upper bounds.
    pub bounds: Vec<f64>,
    /// Where they were written.
    pub origin: Origin,
}

/// Plugin functions the templates may call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplatePlugins {
    /// Used as Tera filters, with where each was named.
    pub filters: Vec<(String, Origin)>,
    /// Used as Tera functions, with where each was named.
    pub functions: Vec<(String, Origin)>,
}

/// The strategy sections gathered from the policy files.
#[derive(Debug, Default)]
pub(super) struct Strategy {
    components: Vec<Derived>,
    component_origin: Option<Origin>,
    acquisition: Option<Expr>,
    /// Personas, in policy order.
    pub personas: Vec<Persona>,
    /// Bands of numeric attributes.
    pub bands: Vec<Bands>,
    /// Template plugins.
    pub plugins: TemplatePlugins,
    /// The rising-customers rule, when a policy file gives one.
    pub rising: Option<Rising>,
    /// Declared market growth per segment, in policy order.
    pub market_growth: Vec<MarketGrowth>,
}

/// One entry of `market_growth:`: a segment's declared annual market growth.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketGrowth {
    /// A tier or persona name, or `attribute=value`.
    pub segment: String,
    /// Annual growth as a share (0.12 for 12%).
    pub growth: f64,
    /// Where it was written.
    pub origin: Origin,
}

impl Strategy {
    /// Takes the strategy sections of the file `name`.
    pub fn take(
        &mut self,
        name: &str,
        file: &mut PolicyFile,
        names: &mut NameTable,
        problems: &mut Vec<Diagnostic>,
    ) {
        self.take_costs(name, std::mem::take(&mut file.cost_to_serve), problems);
        if let Some(a) = file.acquisition_cost.take() {
            let e = expr(name, &a);
            match &self.acquisition {
                Some(first) => problems.push(
                    Diagnostic::at(e.origin, "`acquisition_cost` is defined twice")
                        .code("policy/duplicate-name")
                        .with_label(first.origin.clone(), "first defined here")
                        .with_help("keep one expression for the acquisition cost"),
                ),
                None => self.acquisition = Some(e),
            }
        }
        for p in std::mem::take(&mut file.personas) {
            self.add_persona(name, p, names, problems);
        }
        for (attribute, entry) in std::mem::take(&mut file.attributes) {
            self.add_bands(name, attribute, entry, problems);
        }
        if let Some(plugins) = file.plugins.take() {
            self.take_plugins(name, plugins, problems);
        }
        if let Some(rising) = file.rising.take() {
            self.take_rising(name, rising, problems);
        }
        self.take_market_growth(name, std::mem::take(&mut file.market_growth), problems);
    }

    /// Takes `rising:`; a second one (in another file) is a problem.
    fn take_rising(
        &mut self,
        name: &str,
        rising: Spanned<RisingEntry>,
        problems: &mut Vec<Diagnostic>,
    ) {
        let origin = at(name, &rising);
        if let Some(first) = &self.rising {
            problems.push(
                Diagnostic::at(origin, "`rising` is defined twice")
                    .code("policy/duplicate-name")
                    .with_label(first.origin.clone(), "first defined here")
                    .with_help("keep one rule for rising customers"),
            );
            return;
        }
        self.rising = Some(Rising {
            when: expr(name, &rising.value.when),
            origin,
        });
    }

    /// `market_growth:` entries: a finite growth each, a segment declared once.
    fn take_market_growth(
        &mut self,
        name: &str,
        entries: IndexMap<String, Spanned<f64>>,
        problems: &mut Vec<Diagnostic>,
    ) {
        for (segment, growth) in entries {
            let origin = at(name, &growth);
            let segment = segment.trim().to_string();
            if !growth.value.is_finite() || growth.value <= -1.0 {
                problems.push(
                    Diagnostic::at(origin, format!("market_growth `{segment}`: expected an annual growth as a share above -1, such as 0.12 for 12%"))
                        .code("policy/bad-value"),
                );
                continue;
            }
            if let Some(first) = self.market_growth.iter().find(|m| m.segment == segment) {
                problems.push(
                    Diagnostic::at(
                        origin,
                        format!("the market growth of `{segment}` is declared twice"),
                    )
                    .code("policy/duplicate-name")
                    .with_label(first.origin.clone(), "first declared here"),
                );
                continue;
            }
            self.market_growth.push(MarketGrowth {
                segment,
                growth: growth.value,
                origin,
            });
        }
    }

    fn take_costs(
        &mut self,
        name: &str,
        costs: IndexMap<String, Spanned<String>>,
        problems: &mut Vec<Diagnostic>,
    ) {
        for (component, text) in costs {
            let e = expr(name, &text);
            self.component_origin
                .get_or_insert_with(|| e.origin.clone());
            if let Err(msg) = crate::ident::check(&component) {
                problems.push(
                    Diagnostic::at(e.origin, format!("cost_to_serve `{component}`: {msg}"))
                        .code("policy/invalid-name"),
                );
                continue;
            }
            self.components.push(Derived {
                name: component,
                expr: e,
            });
        }
    }

    fn add_persona(
        &mut self,
        name: &str,
        p: PersonaEntry,
        names: &mut NameTable,
        problems: &mut Vec<Diagnostic>,
    ) {
        let origin = at(name, &p.name);
        let n = self.personas.len() + 1;
        if let Err(d) = names.declare_nth(Kind::Persona, n, &p.name.value, &origin) {
            problems.push(d);
            return;
        }
        let owner = format!("persona `{}`", p.name.value);
        let needs = super::investment::weighted(name, &owner, p.needs, problems);
        problems.extend(super::investment::check_sum(&p.name.value, &origin, &needs));
        self.personas.push(Persona {
            name: p.name.value,
            description: p.description,
            when: expr(name, &p.when),
            origin,
            worth: p
                .worth
                .map_or_else(|| super::investment::DEFAULT_WORTH.to_string(), |w| w.value),
            needs,
        });
    }

    fn add_bands(
        &mut self,
        name: &str,
        attribute: String,
        entry: Spanned<AttributeEntry>,
        problems: &mut Vec<Diagnostic>,
    ) {
        let Some(bands) = entry.value.bands else {
            return;
        };
        let origin = at(name, &bands);
        let bounds = bands.value;
        let ascending = bounds.windows(2).all(|w| w[0] < w[1]);
        if bounds.is_empty() || !ascending || bounds.iter().any(|b| !b.is_finite()) {
            problems.push(
                Diagnostic::at(
                    origin,
                    format!("attributes.{attribute}.bands: expected ascending numbers, such as [25, 35, 50]"),
                )
                .code("policy/bad-bands")
                .with_help("each number is where a band ends and the next begins; leave `bands` out for quintiles"),
            );
            return;
        }
        if let Some(first) = self.bands.iter().find(|b| b.attribute == attribute) {
            problems.push(
                Diagnostic::at(
                    origin,
                    format!("the bands of `{attribute}` are defined twice"),
                )
                .code("policy/duplicate-name")
                .with_label(first.origin.clone(), "first defined here"),
            );
            return;
        }
        self.bands.push(Bands {
            attribute,
            bounds,
            origin,
        });
    }

    fn take_plugins(
        &mut self,
        name: &str,
        plugins: Spanned<PluginsEntry>,
        problems: &mut Vec<Diagnostic>,
    ) {
        if name != POLICY_FILE {
            problems.push(
                Diagnostic::at(
                    at(name, &plugins),
                    format!("`plugins` belongs in {POLICY_FILE}, not in a rule file"),
                )
                .code("policy/main-only-key"),
            );
            return;
        }
        let PluginsEntry { filters, functions } = plugins.value;
        let named = |list: Vec<Spanned<String>>| -> Vec<(String, Origin)> {
            list.into_iter()
                .map(|f| (f.value.clone(), at(name, &f)))
                .collect()
        };
        self.plugins.filters = named(filters);
        self.plugins.functions = named(functions);
    }

    /// How profit is computed, when the policy can compute it: `cost_to_serve:` or
    /// `acquisition_cost:` is given, or a cost column is mapped. Declares its metrics' names.
    pub fn profit(
        &mut self,
        cost_mapped: bool,
        names: &mut NameTable,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<Profit> {
        let components = std::mem::take(&mut self.components);
        let acquisition = self.acquisition.take();
        if components.is_empty() && acquisition.is_none() && !cost_mapped {
            return None;
        }
        let basis = if cost_mapped {
            ProfitBasis::Margin
        } else {
            ProfitBasis::Revenue
        };
        let origin = self
            .component_origin
            .clone()
            .or_else(|| acquisition.as_ref().map(|a| a.origin.clone()))
            .unwrap_or_else(|| Origin::file(POLICY_FILE));
        let profit = Profit {
            components,
            acquisition,
            basis,
        };
        for (metric, c) in profit.metric_names().iter().zip(
            profit
                .components
                .iter()
                .map(|c| Some(&c.expr.origin))
                .chain(std::iter::repeat(None)),
        ) {
            let at = c.cloned().unwrap_or_else(|| origin.clone());
            problems.extend(names.declare(Kind::ProfitMetric, metric, &at).err());
        }
        Some(profit)
    }
}
