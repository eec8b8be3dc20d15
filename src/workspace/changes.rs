//! What changed between two versions of a policy, per rule or param: the text before and the
//! text after, for a reviewer to read beside the customers the change moves.

use serde::Serialize;

use super::{ParamValue, SourceFile, Workspace};

/// One change of the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What kind of thing changed: `param`, `metric`, `tier`, `tier order`, `check`, `persona`,
    /// `rising rule`, `setting`, `script` or `template`.
    pub kind: &'static str,
    /// Its name (a param's, a tier's, a file's).
    pub name: String,
    /// Its text before; `None` when it was added.
    pub before: Option<String>,
    /// Its text after; `None` when it was removed.
    pub after: Option<String>,
}

/// Every change from `base` to `head`: params, derived metrics, tiers (and their order), checks,
/// personas, the other settings, scripts and templates, each in the order of the head's policy
/// (removed items after, in the base's order).
pub fn changes(base: &Workspace, head: &Workspace) -> Vec<Change> {
    let (b, h) = (&base.policy, &head.policy);
    let mut out = Vec::new();
    named(
        &mut out,
        "param",
        b.params
            .iter()
            .map(|p| (p.name.as_str(), value_text(&p.value))),
        h.params
            .iter()
            .map(|p| (p.name.as_str(), value_text(&p.value))),
    );
    named(
        &mut out,
        "metric",
        b.metrics
            .iter()
            .map(|m| (m.name.as_str(), m.expr.text.clone())),
        h.metrics
            .iter()
            .map(|m| (m.name.as_str(), m.expr.text.clone())),
    );
    let tier = |t: &super::Tier| {
        let mut text = match &t.when {
            Some(w) => format!("when: {}", w.text.trim()),
            None => "everyone left (last tier)".to_string(),
        };
        if t.core {
            text.push_str("; core");
        }
        text
    };
    named(
        &mut out,
        "tier",
        b.tiers.iter().map(|t| (t.name.as_str(), tier(t))),
        h.tiers.iter().map(|t| (t.name.as_str(), tier(t))),
    );
    let order = |tiers: &[super::Tier]| {
        tiers
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(" > ")
    };
    if order(&b.tiers) != order(&h.tiers) {
        out.push(Change {
            kind: "tier order",
            name: "tiers".to_string(),
            before: Some(order(&b.tiers)),
            after: Some(order(&h.tiers)),
        });
    }
    let check = |c: &super::Check| {
        format!(
            "when: {} ({}): {}",
            c.when.text.trim(),
            format!("{:?}", c.severity).to_lowercase(),
            c.message.trim()
        )
    };
    named(
        &mut out,
        "check",
        b.checks.iter().map(|c| (c.name.as_str(), check(c))),
        h.checks.iter().map(|c| (c.name.as_str(), check(c))),
    );
    named(
        &mut out,
        "persona",
        b.personas
            .iter()
            .map(|p| (p.name.as_str(), format!("when: {}", p.when.text.trim()))),
        h.personas
            .iter()
            .map(|p| (p.name.as_str(), format!("when: {}", p.when.text.trim()))),
    );
    let rising = |p: &'_ super::Policy| {
        p.rising
            .iter()
            .map(|r| ("rising", format!("when: {}", r.when.text.trim())))
            .collect::<Vec<_>>()
    };
    named(
        &mut out,
        "rising rule",
        rising(b).into_iter(),
        rising(h).into_iter(),
    );
    named(&mut out, "setting", settings(base), settings(head));
    files(&mut out, "script", &base.scripts, &head.scripts);
    files(&mut out, "template", &base.templates, &head.templates);
    out
}

/// Adds a change for each name whose text differs, was added or was removed.
fn named<'a>(
    out: &mut Vec<Change>,
    kind: &'static str,
    base: impl Iterator<Item = (&'a str, String)>,
    head: impl Iterator<Item = (&'a str, String)>,
) {
    let base: Vec<(&str, String)> = base.collect();
    let head: Vec<(&str, String)> = head.collect();
    for (name, after) in &head {
        let before = base.iter().find(|(n, _)| n == name).map(|(_, t)| t);
        if before != Some(after) {
            out.push(Change {
                kind,
                name: name.to_string(),
                before: before.cloned(),
                after: Some(after.clone()),
            });
        }
    }
    for (name, before) in &base {
        if !head.iter().any(|(n, _)| n == name) {
            out.push(Change {
                kind,
                name: name.to_string(),
                before: Some(before.clone()),
                after: None,
            });
        }
    }
}

/// A param's value as written in YAML.
fn value_text(v: &ParamValue) -> String {
    match v {
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Float(f) => format!("{f:?}"),
        ParamValue::Bool(b) => b.to_string(),
        ParamValue::Text(t) => format!("{t:?}"),
    }
}

/// The settings other than rules, each as comparable text.
fn settings(w: &Workspace) -> impl Iterator<Item = (&'static str, String)> {
    let p = &w.policy;
    let r = &p.report;
    [
        ("client", p.client.clone()),
        ("currency", p.currency.clone()),
        (
            "as_of",
            p.as_of
                .map_or("(latest transaction)".into(), |d| d.to_string()),
        ),
        ("level", p.level.name().to_string()),
        ("data.transactions", format!("{:?}", p.transactions)),
        ("data.customers", format!("{:?}", p.customers)),
        ("profit", format!("{:?}", p.profit)),
        ("report.title", r.title.clone()),
        ("report.template", r.template.clone()),
        ("report.page_size", r.page_size.clone()),
        ("report.top_customers", r.top_customers.to_string()),
        (
            "report.locale",
            r.locale
                .clone()
                .unwrap_or_else(|| "(en-US, ISO dates)".into()),
        ),
    ]
    .into_iter()
}

/// Adds a change for each file whose text differs, was added or was removed: a whole file is
/// too long to show, so a changed file shows the lines removed (before) and added (after).
fn files(out: &mut Vec<Change>, kind: &'static str, base: &[SourceFile], head: &[SourceFile]) {
    let mut names: Vec<&str> = head.iter().chain(base).map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let text = |files: &[SourceFile]| {
            files
                .iter()
                .find(|f| f.name == name)
                .map(|f| f.text.clone())
        };
        let (before, after) = match (text(base), text(head)) {
            (Some(b), Some(h)) if b == h => continue,
            (Some(b), Some(h)) => {
                let (removed, added) = changed_lines(&b, &h);
                (Some(removed.join("\n")), Some(added.join("\n")))
            }
            (b, h) => (b, h),
        };
        out.push(Change {
            kind,
            name: name.to_string(),
            before,
            after,
        });
    }
}

/// The lines of `before` not kept in `after` and the lines of `after` that are new, by the
/// longest common subsequence of lines (files of a workspace are small).
fn changed_lines<'a>(before: &'a str, after: &'a str) -> (Vec<&'a str>, Vec<&'a str>) {
    let (a, b): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    let (n, m) = (a.len(), b.len());
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            added.push(b[j]);
            j += 1;
        } else {
            removed.push(a[i]);
            i += 1;
        }
    }
    (removed, added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_lines_are_those_outside_the_common_part() {
        let (r, a) = changed_lines("a\nb\nc\nd\n", "a\nc\nd\ne\n");
        assert_eq!(r, vec!["b"]);
        assert_eq!(a, vec!["e"]);
        let (r, a) = changed_lines("x\n", "y\n");
        assert_eq!((r, a), (vec!["x"], vec!["y"]));
    }

    #[test]
    fn named_items_report_changed_added_and_removed() {
        let mut out = Vec::new();
        named(
            &mut out,
            "param",
            [("a", "1".to_string()), ("b", "2".to_string())].into_iter(),
            [
                ("a", "1".to_string()),
                ("b", "3".to_string()),
                ("c", "4".to_string()),
            ]
            .into_iter(),
        );
        named(
            &mut out,
            "tier",
            [("Gone", "x".to_string())].into_iter(),
            std::iter::empty(),
        );
        let got: Vec<(&str, &str, Option<&str>, Option<&str>)> = out
            .iter()
            .map(|c| {
                (
                    c.kind,
                    c.name.as_str(),
                    c.before.as_deref(),
                    c.after.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("param", "b", Some("2"), Some("3")),
                ("param", "c", None, Some("4")),
                ("tier", "Gone", Some("x"), None),
            ]
        );
    }
}
