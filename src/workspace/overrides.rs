//! What-if overrides: `--set KEY=VALUE` changes a param or a tier's condition for one run without
//! editing a file. Values are read as YAML scalars and validated as the policy file's own would be.

use std::fmt;
use std::str::FromStr;

use super::{Expr, ParamValue, Policy};
use crate::error::{Diagnostic, Origin};

/// One `--set KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// `NAME` or `params.NAME` for a param, `tiers.NAME.when` for a tier's condition.
    pub key: String,
    /// The value as written (a YAML scalar for params, an expression for conditions).
    pub value: String,
}

impl FromStr for Override {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => Ok(Override {
                key: key.trim().to_string(),
                value: value.to_string(),
            }),
            _ => Err(format!(
                "expected KEY=VALUE (e.g. first_class_min=8000 or tiers.First.when=\"revenue >= 900\"), found `{s}`"
            )),
        }
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

/// What an override changes.
enum Target<'k> {
    Param(&'k str),
    TierWhen(&'k str),
}

fn target(key: &str) -> Result<Target<'_>, String> {
    if let Some(rest) = key.strip_prefix("tiers.") {
        return match rest.rsplit_once('.') {
            Some((tier, "when")) if !tier.is_empty() => Ok(Target::TierWhen(tier)),
            _ => Err(format!(
                "`{key}`: a tier's condition is set as `tiers.NAME.when`"
            )),
        };
    }
    let name = key.strip_prefix("params.").unwrap_or(key);
    if name.contains('.') {
        return Err(format!(
            "`{key}`: only params (`NAME` or `params.NAME`) and tier conditions (`tiers.NAME.when`) can be set"
        ));
    }
    Ok(Target::Param(name))
}

/// Where an override is, for diagnostics: `--set KEY`.
fn origin(o: &Override) -> Origin {
    Origin::file(format!("--set {}", o.key))
}

/// Where an overriding expression starts: line 1, column 1 of the value, so positions inside it
/// can be shown.
fn expr_origin(o: &Override) -> Origin {
    Origin::new(format!("--set {}", o.key), 1, 1)
}

/// Applies the overrides in order (a later one for the same key wins). Every problem is reported:
/// an unknown param or tier (with the nearest name), a value of another kind than the param's.
pub fn apply(policy: &mut Policy, overrides: &[Override]) -> Result<(), Vec<Diagnostic>> {
    let mut problems = Vec::new();
    for o in overrides {
        let result = match target(&o.key) {
            Ok(Target::Param(name)) => set_param(policy, name, o),
            Ok(Target::TierWhen(tier)) => set_tier_when(policy, tier, o),
            Err(msg) => Err(Diagnostic::at(origin(o), msg).code("override/bad-key")),
        };
        if let Err(d) = result {
            problems.push(d);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn set_param(policy: &mut Policy, name: &str, o: &Override) -> Result<(), Diagnostic> {
    let names: Vec<String> = policy.params.iter().map(|p| p.name.clone()).collect();
    let Some(param) = policy.params.iter_mut().find(|p| p.name == name) else {
        let help = match crate::ident::closest(&names, name) {
            Some(n) => format!("did you mean `{n}`?"),
            None if names.is_empty() => "the policy declares no params".to_string(),
            None => format!("params: {}", names.join(", ")),
        };
        return Err(Diagnostic::at(
            origin(o),
            format!("--set: the policy has no param `{name}`"),
        )
        .code("override/unknown-param")
        .with_help(help));
    };
    let value = parse_scalar(&o.value).ok_or_else(|| {
        Diagnostic::at(
            origin(o),
            format!("--set {}: `{}` is not a single value", o.key, o.value),
        )
        .code("override/not-a-value")
        .with_help("give a number, true/false, a date or a text")
    })?;
    let value = match (&param.value, value) {
        (
            ParamValue::Int(_) | ParamValue::Float(_),
            v @ (ParamValue::Int(_) | ParamValue::Float(_)),
        ) => v,
        (ParamValue::Bool(_), v @ ParamValue::Bool(_)) => v,
        (ParamValue::Text(_), ParamValue::Text(t)) => ParamValue::Text(t),
        // A text param set to something YAML reads as a number or flag keeps it as text.
        (ParamValue::Text(_), _) => ParamValue::Text(o.value.trim().to_string()),
        (old, new) => {
            return Err(Diagnostic::at(
                origin(o),
                format!(
                    "--set {}: param `{name}` is {} in {}, but `{}` is {}",
                    o.key,
                    kind(old),
                    param.origin,
                    o.value,
                    kind(&new)
                ),
            )
            .code("override/wrong-type")
            .with_label(
                param.origin.clone(),
                format!("param `{name}` is defined here"),
            )
            .with_help(format!("give {} like the policy's", kind(old))))
        }
    };
    param.value = value;
    param.origin = origin(o);
    Ok(())
}

fn set_tier_when(policy: &mut Policy, tier: &str, o: &Override) -> Result<(), Diagnostic> {
    let names: Vec<String> = policy.tier_names();
    let last = policy.tiers.len().saturating_sub(1);
    let Some(i) = policy.tiers.iter().position(|t| t.name == tier) else {
        let help = match crate::ident::closest(&names, tier) {
            Some(n) => format!("did you mean `{n}`?"),
            None => format!("tiers: {}", names.join(", ")),
        };
        return Err(
            Diagnostic::at(origin(o), format!("--set: the policy has no tier `{tier}`"))
                .code("override/unknown-tier")
                .with_help(help),
        );
    };
    if i == last {
        return Err(Diagnostic::at(
            origin(o),
            format!("--set {}: `{tier}` is the last tier, which takes everyone left and has no condition", o.key),
        )
        .code("override/last-tier"));
    }
    if o.value.trim().is_empty() {
        return Err(Diagnostic::at(
            origin(o),
            format!("--set {}: the condition is empty", o.key),
        )
        .code("override/empty-condition")
        .with_help("write a condition, e.g. tiers.First.when=\"revenue >= 900\""));
    }
    policy.tiers[i].when = Some(Expr {
        text: o.value.clone(),
        origin: expr_origin(o),
    });
    Ok(())
}

/// A YAML scalar as a param value; `None` for a list, a mapping or several documents.
fn parse_scalar(text: &str) -> Option<ParamValue> {
    if text.trim().is_empty() {
        return Some(ParamValue::Text(String::new()));
    }
    match serde_saphyr::from_str::<super::schema::ParamEntry>(text).ok()? {
        super::schema::ParamEntry::Value(v) => Some(v),
        super::schema::ParamEntry::Other(_) => None,
    }
}

fn kind(v: &ParamValue) -> &'static str {
    match v {
        ParamValue::Int(_) | ParamValue::Float(_) => "a number",
        ParamValue::Bool(_) => "true or false",
        ParamValue::Text(_) => "a text",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::{Param, Tier};

    fn policy() -> Policy {
        let yaml = "client: T\ndata:\n  transactions:\n    path: t.csv\n    columns: { customer_id: c, date: d, amount: a }\n\
                    params:\n  first_class_min: 5000\n  label: gold\n  strict: true\ntiers:\n  - name: First\n    when: revenue >= first_class_min\n  - name: Economy\n";
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("powerbase.yaml"), yaml).unwrap();
        crate::workspace::load(tmp.path()).unwrap().policy
    }

    fn set(s: &str) -> Override {
        s.parse().unwrap()
    }

    fn param<'p>(p: &'p Policy, name: &str) -> &'p Param {
        p.params.iter().find(|x| x.name == name).unwrap()
    }

    #[test]
    fn sets_params_by_bare_or_qualified_name() {
        let mut p = policy();
        apply(&mut p, &[set("first_class_min=8000")]).unwrap();
        assert_eq!(param(&p, "first_class_min").value, ParamValue::Int(8000));
        apply(&mut p, &[set("params.first_class_min=7500.5")]).unwrap();
        assert_eq!(
            param(&p, "first_class_min").value,
            ParamValue::Float(7500.5)
        );
        assert_eq!(
            param(&p, "first_class_min").origin.file.to_string_lossy(),
            "--set params.first_class_min"
        );
        apply(&mut p, &[set("label=123")]).unwrap();
        assert_eq!(param(&p, "label").value, ParamValue::Text("123".into()));
    }

    #[test]
    fn sets_a_tier_condition() {
        let mut p = policy();
        apply(&mut p, &[set("tiers.First.when=revenue >= 900")]).unwrap();
        let t: &Tier = &p.tiers[0];
        assert_eq!(t.when.as_ref().unwrap().text, "revenue >= 900");
    }

    #[test]
    fn unknown_keys_suggest_the_nearest_name() {
        let mut p = policy();
        let e = apply(
            &mut p,
            &[set("first_clas_min=1"), set("tiers.Frist.when=true")],
        )
        .unwrap_err();
        assert_eq!(e.len(), 2);
        assert!(e[0].message.contains("no param `first_clas_min`"));
        assert_eq!(
            e[0].help.as_deref(),
            Some("did you mean `first_class_min`?")
        );
        assert!(e[1].message.contains("no tier `Frist`"));
        assert_eq!(e[1].help.as_deref(), Some("did you mean `First`?"));
    }

    #[test]
    fn values_are_validated_like_the_files() {
        let mut p = policy();
        let e = apply(&mut p, &[set("first_class_min=lots"), set("strict=5")]).unwrap_err();
        assert!(e[0].message.contains("is a number"), "{}", e[0].message);
        assert!(
            e[1].message.contains("is true or false"),
            "{}",
            e[1].message
        );
        let e = apply(&mut p, &[set("tiers.Economy.when=true")]).unwrap_err();
        assert!(e[0].message.contains("last tier"));
        let e = apply(&mut p, &[set("report.title=x")]).unwrap_err();
        assert!(e[0].message.contains("only params"));
        assert!("novalue".parse::<Override>().is_err());
        // Nothing was changed by the failed overrides.
        assert_eq!(param(&p, "first_class_min").value, ParamValue::Int(5000));
    }
}
