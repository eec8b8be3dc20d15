//! `powerbase run`.

use std::path::Path;

use powerbase::data::Day;
use powerbase::engine::Limits;
use powerbase::report::format;

use super::progress::Bar;

/// Runs a workspace and prints where the outputs went and the headline figures.
pub fn run(
    workspace: &Path,
    out: Option<&Path>,
    as_of: Option<Day>,
    limits: Limits,
    quiet: bool,
    timings: bool,
) -> powerbase::Result<()> {
    let bar = Bar::new(quiet);
    let result = powerbase::pipeline::run(workspace, out, as_of, limits, Some(&bar));
    bar.finish();
    let summary = result?;
    if timings {
        for (stage, took) in &summary.outcome.timings.0 {
            eprintln!("{:>8.3} s  {stage}", took.as_secs_f64());
        }
    }
    if quiet {
        return Ok(());
    }
    for line in &summary.printed {
        eprintln!("script: {line}");
    }
    for warning in &summary.warnings {
        eprintln!("warning: report.pdf: {warning}");
    }
    let a = &summary.outcome.analysis;
    let policy_currency = &summary.currency;
    println!(
        "{} customers as of {}, {} revenue; top 20% hold {}",
        format::thousands(a.customers as i64),
        a.as_of,
        format::money(a.total_revenue as f64 / 100.0, policy_currency, 0),
        format::percent(a.concentration.top20_share, 1)
    );
    let shares = |f: fn(&powerbase::analysis::TierSummary) -> f64| {
        format::percents_summing_to_100(&a.tiers.iter().map(f).collect::<Vec<_>>(), 1)
    };
    let (customer_pcts, revenue_pcts) = (shares(|t| t.customer_share), shares(|t| t.revenue_share));
    for (i, t) in a.tiers.iter().enumerate() {
        println!(
            "  {:<16} {:>10} customers {:>7}  {:>16} revenue {:>7}",
            t.name,
            format::thousands(t.customers as i64),
            customer_pcts[i],
            format::money(t.revenue as f64 / 100.0, policy_currency, 0),
            revenue_pcts[i]
        );
    }
    for f in &a.findings {
        println!(
            "  {:<8} {}: {} customers",
            format!("{:?}", f.severity).to_lowercase(),
            f.name,
            format::thousands(f.customers as i64)
        );
    }
    if summary.outcome.stats.excluded_after_as_of > 0 {
        println!(
            "  {} transactions after {} were left out",
            format::thousands(summary.outcome.stats.excluded_after_as_of as i64),
            a.as_of
        );
    }
    println!(
        "wrote {} ({})",
        summary.out.display(),
        summary.files.join(", ")
    );
    Ok(())
}
