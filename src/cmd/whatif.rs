//! `powerbase whatif`: the tier table before and after a few `--set` overrides, and who moves
//! between which tiers, without writing any output. For trying thresholds live in a meeting.

use std::io::Write;
use std::path::Path;

use powerbase::analysis::migration::{migration, Migration};
use powerbase::analysis::TierSummary;
use powerbase::data::{format_cents, Day};
use powerbase::pipeline::{self, Timings};
use powerbase::report::format;
use powerbase::workspace::overrides::Override;
use serde_json::json;

use super::progress::Bar;
use super::OutputFormat;

/// Evaluates the workspace as it is and with `overrides`, on the same data loaded once.
pub fn whatif(
    workspace: &Path,
    overrides: &[Override],
    as_of: Option<Day>,
    format: OutputFormat,
) -> powerbase::Result<()> {
    if overrides.is_empty() {
        return Err(powerbase::Error::Usage(
            "whatif needs at least one --set KEY=VALUE (e.g. --set first_class_min=8000)".into(),
        ));
    }
    let base = pipeline::prepare(workspace)?;
    let head = base.with_overrides(overrides)?;
    let as_of = base.as_of(as_of, None)?;
    let bar = Bar::new(format == OutputFormat::Json);
    let loaded = base.load(as_of, Some(&bar), &mut Timings::default());
    bar.finish();
    let loaded = loaded?;
    let before = base.decide(loaded.clone(), Timings::default())?;
    let after = head.decide(loaded, Timings::default())?;
    let moves = migration(
        &before.table.ids,
        before.table.money("revenue"),
        &before.evaluation.tiers,
        &after.evaluation.tiers,
        &base.tier_names(),
        &head.tier_names(),
    );
    let currency = &base.workspace.policy.currency;
    let (a, b) = (&before.analysis, &after.analysis);
    let text = match format {
        OutputFormat::Json => {
            let tiers = |t: &[TierSummary]| -> Vec<serde_json::Value> {
                t.iter()
                    .map(|t| {
                        json!({
                            "name": t.name,
                            "customers": t.customers,
                            "customer_share": t.customer_share,
                            "revenue": serde_json::Number::from_string_unchecked(format_cents(t.revenue)),
                            "revenue_share": t.revenue_share,
                        })
                    })
                    .collect()
            };
            let out = json!({
                "overrides": overrides.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "as_of": a.as_of.to_string(),
                "customers": a.customers,
                "before": tiers(&a.tiers),
                "after": tiers(&b.tiers),
                "matrix": moves.matrix,
                "moved": moves.moved.len(),
            });
            serde_json::to_string_pretty(&out).expect("plain values") + "\n"
        }
        OutputFormat::Human => format!(
            "{}{} customers as of {}; nothing was written\n",
            human(overrides, &a.tiers, &b.tiers, &moves, a.customers, currency),
            format::thousands(a.customers as i64),
            a.as_of
        ),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(super::stdout_error)
}

/// The before/after tier table and the moves, as text.
fn human(
    overrides: &[Override],
    before: &[TierSummary],
    after: &[TierSummary],
    moves: &Migration,
    customers: usize,
    currency: &str,
) -> String {
    let mut out = String::new();
    let set: Vec<String> = overrides.iter().map(ToString::to_string).collect();
    out.push_str(&format!("What if {}\n\n", set.join(", ")));
    let money = |cents: i64| format::money(cents as f64 / 100.0, currency, 0);
    out.push_str(&format!(
        "  {:<18} {:>10} {:>10} {:>9}   {:>14} {:>14}\n",
        "tier", "customers", "after", "change", "revenue", "after"
    ));
    let mut names: Vec<&str> = before.iter().map(|t| t.name.as_str()).collect();
    for t in after {
        if !names.contains(&t.name.as_str()) {
            names.push(&t.name);
        }
    }
    for name in names {
        let find = |list: &[TierSummary]| list.iter().find(|t| t.name == name).cloned();
        let (b, a) = (find(before), find(after));
        let n = |t: &Option<TierSummary>| t.as_ref().map_or(0, |t| t.customers as i64);
        let r = |t: &Option<TierSummary>| t.as_ref().map_or(0, |t| t.revenue);
        let change = n(&a) - n(&b);
        out.push_str(&format!(
            "  {:<18} {:>10} {:>10} {:>9}   {:>14} {:>14}\n",
            name,
            format::thousands(n(&b)),
            format::thousands(n(&a)),
            if change > 0 {
                format!("+{}", format::thousands(change))
            } else {
                format::thousands(change)
            },
            money(r(&b)),
            money(r(&a)),
        ));
    }
    let cells: Vec<_> = moves.matrix.iter().filter(|c| c.from != c.to).collect();
    if cells.is_empty() {
        out.push_str("\nNo customer changes tier.\n");
        return out;
    }
    out.push_str("\nWho moves (customers, their revenue):\n");
    for c in cells {
        out.push_str(&format!(
            "  {:<18} -> {:<18} {:>10} {:>14}\n",
            c.from,
            c.to,
            format::thousands(c.customers as i64),
            money(c.revenue)
        ));
    }
    let (up, up_rev) = moves.total(true);
    let (down, down_rev) = moves.total(false);
    out.push_str(&format!(
        "\n{} of {} customers change tier: {} up ({}), {} down ({}).\n",
        format::thousands(moves.moved.len() as i64),
        format::thousands(customers as i64),
        format::thousands(up as i64),
        money(up_rev),
        format::thousands(down as i64),
        money(down_rev),
    ));
    let largest: Vec<String> = moves
        .moved
        .iter()
        .take(5)
        .map(|m| format!("{} ({} -> {}, {})", m.id, m.from, m.to, money(m.revenue)))
        .collect();
    out.push_str(&format!("Largest moves: {}.\n", largest.join("; ")));
    out
}
