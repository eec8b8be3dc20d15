//! The investment gap's policy: the needs personas weigh (`needs:`), today's products and the
//! needs each serves (`products:`), matched to the transactions' `product` column. Gathered from
//! every policy file and checked once all are read: a weight or coverage outside 0-1, a persona
//! whose weights do not sum to 1, a need not declared (with the closest declared one), a product
//! defined twice or without codes.

use serde_saphyr::Spanned;

use super::at;
use super::schema::{PolicyFile, ProductEntry};
use super::strategy::Persona;
use crate::error::{Diagnostic, Origin};

/// How far a persona's weights may sum from 1.
pub const WEIGHT_TOLERANCE: f64 = 1e-9;

/// The metric a persona's worth is the sum of, unless it names another.
pub const DEFAULT_WORTH: &str = "revenue_12m";

/// A need with a number: a persona's weight for it, or how well a product serves it (0 to 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Weighted {
    /// The need.
    pub need: String,
    /// The weight or coverage.
    pub value: f64,
    /// Where it was written.
    pub origin: Origin,
}

/// A product of today: which values of the `product` column it is and which needs it serves.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// Its name.
    pub name: String,
    /// Exact codes, or patterns where `*` stands for any text.
    pub codes: Vec<String>,
    /// The needs it serves and how well, in policy order.
    pub serves: Vec<Weighted>,
    /// Where it was defined.
    pub origin: Origin,
}

impl Product {
    /// Whether a value of the `product` column is this product.
    pub fn matches(&self, code: &str) -> bool {
        self.codes.iter().any(|c| glob(c, code))
    }

    /// How well it serves `need` (0 when it does not).
    pub fn coverage(&self, need: &str) -> f64 {
        self.serves
            .iter()
            .find(|w| w.need == need)
            .map_or(0.0, |w| w.value)
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any text (also none).
pub fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for p in middle {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The needs and products of the policy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Investment {
    /// The needs, as declared by `needs:`, or else in the order personas and products first
    /// name them.
    pub needs: Vec<String>,
    /// The products, in policy order.
    pub products: Vec<Product>,
}

/// `needs:` and `products:` gathered from the policy files.
#[derive(Debug, Default)]
pub(super) struct Gathered {
    declared: Option<(Vec<String>, Origin)>,
    products: Vec<Product>,
}

/// A persona's or product's weighted needs as written, each checked to lie in 0-1.
pub(super) fn weighted(
    file: &str,
    owner: &str,
    map: indexmap::IndexMap<String, Spanned<f64>>,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Weighted> {
    map.into_iter()
        .map(|(need, v)| {
            let origin = at(file, &v);
            if !(0.0..=1.0).contains(&v.value) {
                problems.push(
                    Diagnostic::at(
                        origin.clone(),
                        format!(
                            "{owner}: `{need}` is {}, expected a number from 0 to 1",
                            v.value
                        ),
                    )
                    .code("policy/bad-weight")
                    .with_help("write a share such as 0.6: 0 is not at all, 1 is fully"),
                );
            }
            Weighted {
                need,
                value: v.value,
                origin,
            }
        })
        .collect()
}

/// A problem when a persona's need weights do not sum to 1.
pub(super) fn check_sum(persona: &str, origin: &Origin, needs: &[Weighted]) -> Option<Diagnostic> {
    if needs.is_empty() {
        return None;
    }
    let sum: f64 = needs.iter().map(|w| w.value).sum();
    ((sum - 1.0).abs() > WEIGHT_TOLERANCE).then(|| {
        Diagnostic::at(
            needs[0].origin.clone(),
            format!("persona `{persona}`: its need weights sum to {sum}, expected 1"),
        )
        .code("policy/need-weights")
        .with_label(origin.clone(), "the persona")
        .with_help("give each need a share of the persona's priorities, such as { integration: 0.5, advice: 0.5 }")
    })
}

impl Gathered {
    /// Takes `needs:` and `products:` of the file `name`.
    pub fn take(&mut self, name: &str, file: &mut PolicyFile, problems: &mut Vec<Diagnostic>) {
        if let Some(needs) = file.needs.take() {
            let origin = at(name, &needs);
            match &self.declared {
                Some((_, first)) => problems.push(
                    Diagnostic::at(origin, "`needs` is defined twice")
                        .code("policy/duplicate-name")
                        .with_label(first.clone(), "first defined here")
                        .with_help("keep one list of needs"),
                ),
                None => {
                    let list = needs.value.into_iter().map(|n| n.value).collect();
                    self.declared = Some((list, origin));
                }
            }
        }
        for p in std::mem::take(&mut file.products) {
            self.add_product(name, p, problems);
        }
    }

    fn add_product(&mut self, file: &str, p: ProductEntry, problems: &mut Vec<Diagnostic>) {
        let origin = at(file, &p.name);
        let name = p.name.value;
        if let Some(first) = self.products.iter().find(|q| q.name == name) {
            problems.push(
                Diagnostic::at(origin, format!("product `{name}` is defined twice"))
                    .code("policy/duplicate-name")
                    .with_label(first.origin.clone(), "first defined here"),
            );
            return;
        }
        if p.codes.value.iter().all(|c| c.is_empty()) {
            problems.push(
                Diagnostic::at(
                    at(file, &p.codes),
                    format!("product `{name}`: `codes` is empty, expected the values of the `product` column it is"),
                )
                .code("policy/bad-value")
                .with_help("codes: [API] or a pattern such as codes: [EXP-*]"),
            );
        }
        let serves = weighted(file, &format!("product `{name}`"), p.serves, problems);
        self.products.push(Product {
            name,
            codes: p.codes.value,
            serves,
            origin,
        });
    }

    /// The needs and products, once every file is read: every need a persona or product names
    /// must be declared when `needs:` is given.
    pub fn finish(self, personas: &[Persona], problems: &mut Vec<Diagnostic>) -> Investment {
        let named = personas
            .iter()
            .flat_map(|p| &p.needs)
            .chain(self.products.iter().flat_map(|p| &p.serves));
        let needs = match self.declared {
            Some((declared, origin)) => {
                for w in named {
                    if declared.contains(&w.need) {
                        continue;
                    }
                    let help = match crate::ident::closest(&declared, &w.need) {
                        Some(c) => {
                            format!("did you mean `{c}`? The declared needs are listed here")
                        }
                        None => format!(
                            "add `{}` to `needs:`, or use one of {}",
                            w.need,
                            declared.join(", ")
                        ),
                    };
                    problems.push(
                        Diagnostic::at(
                            w.origin.clone(),
                            format!("need `{}` is not declared in `needs:`", w.need),
                        )
                        .code("policy/unknown-need")
                        .with_label(origin.clone(), "the declared needs")
                        .with_help(help),
                    );
                }
                declared
            }
            None => {
                let mut list: Vec<String> = Vec::new();
                for w in named {
                    if !list.contains(&w.need) {
                        list.push(w.need.clone());
                    }
                }
                list
            }
        };
        Investment {
            needs,
            products: self.products,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_patterns() {
        assert!(glob("API", "API"));
        assert!(!glob("API", "API2"));
        assert!(glob("EXP-*", "EXP-12"));
        assert!(glob("EXP-*", "EXP-"));
        assert!(!glob("EXP-*", "XEXP-1"));
        assert!(glob("*-pro", "cloud-pro"));
        assert!(!glob("*-pro", "cloud-pro2"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxc"));
        assert!(glob("*", ""));
        assert!(!glob("ab*ba", "aba"));
    }

    #[test]
    fn weights_must_sum_to_one() {
        let w = |need: &str, value| Weighted {
            need: need.into(),
            value,
            origin: Origin::file("p.yaml"),
        };
        let o = Origin::file("p.yaml");
        assert!(check_sum("P", &o, &[w("a", 0.1), w("b", 0.2), w("c", 0.7)]).is_none());
        assert!(check_sum("P", &o, &[]).is_none());
        let d = check_sum("P", &o, &[w("a", 0.5), w("b", 0.4)]).expect("0.9 is not 1");
        assert!(d.to_string().contains("sum to 0.9"), "{d}");
    }
}
