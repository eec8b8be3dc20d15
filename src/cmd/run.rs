//! `powerbase run`.

use std::path::Path;

use powerbase::data::Day;
use powerbase::report::format;

use super::progress::Bar;

/// Runs a workspace and prints where the outputs went and the headline figures.
pub fn run(
    workspace: &Path,
    out: Option<&Path>,
    as_of: Option<Day>,
    quiet: bool,
    timings: bool,
) -> powerbase::Result<()> {
    let bar = Bar::new(quiet);
    let result = powerbase::pipeline::run(workspace, out, as_of, Some(&bar));
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
    for t in &a.tiers {
        println!(
            "  {:<16} {:>10} customers {:>7}  {:>16} revenue {:>7}",
            t.name,
            format::thousands(t.customers as i64),
            format::percent(t.customer_share, 1),
            format::money(t.revenue as f64 / 100.0, policy_currency, 0),
            format::percent(t.revenue_share, 1)
        );
    }
    for f in &a.findings {
        println!(
            "  finding ({:?}): {} — {} customers",
            f.severity,
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
