//! `powerbase run`. The headline goes to standard output and notes to standard error through
//! writers, so a reader that stops early (`powerbase run | head -1`) ends the command quietly
//! instead of a panic.

use std::io::Write;
use std::path::Path;

use powerbase::pipeline::{RunOptions, RunSummary};
use powerbase::report::format;

use super::progress::Bar;

/// Runs a workspace and prints where the outputs went and the headline figures.
pub fn run(
    workspace: &Path,
    options: &RunOptions,
    quiet: bool,
    timings: bool,
) -> powerbase::Result<()> {
    let bar = Bar::new(quiet);
    let notice = |message: &str| {
        if !quiet {
            let _ = writeln!(std::io::stderr(), "{message}");
        }
    };
    let result = powerbase::pipeline::run_with(workspace, options, Some(&bar), &notice);
    bar.finish();
    let summary = result?;
    if timings {
        timings_table(&mut std::io::stderr().lock(), &summary).map_err(super::stderr_error)?;
    }
    if quiet {
        return Ok(());
    }
    notes(&mut std::io::stderr().lock(), &summary).map_err(super::stderr_error)?;
    headline(&mut std::io::stdout().lock(), &summary).map_err(super::stdout_error)
}

/// How long each stage took.
fn timings_table(err: &mut impl Write, summary: &RunSummary) -> std::io::Result<()> {
    for (stage, took) in &summary.outcome.timings.0 {
        writeln!(err, "{:>8.3} s  {stage}", took.as_secs_f64())?;
    }
    Ok(())
}

/// What scripts printed and what the PDF layout warned about.
fn notes(err: &mut impl Write, summary: &RunSummary) -> std::io::Result<()> {
    for line in &summary.printed {
        writeln!(err, "script: {line}")?;
    }
    for warning in &summary.warnings {
        writeln!(err, "warning: report.pdf: {warning}")?;
    }
    for warning in &summary.output_warnings {
        writeln!(err, "warning: {warning}")?;
    }
    Ok(())
}

/// The headline figures, tiers, findings and where the outputs went.
fn headline(out: &mut impl Write, summary: &RunSummary) -> std::io::Result<()> {
    let a = &summary.outcome.analysis;
    let policy_currency = &summary.currency;
    writeln!(
        out,
        "{} customers as of {}, {} revenue; top 20% hold {}",
        format::thousands(a.customers as i64),
        a.as_of,
        format::money(a.total_revenue as f64 / 100.0, policy_currency, 0),
        format::percent(
            format::share_of(a.concentration.top20_share, a.total_revenue),
            1
        )
    )?;
    let customer_pcts = format::percents_summing_to_100(
        &a.tiers.iter().map(|t| t.customer_share).collect::<Vec<_>>(),
        1,
    );
    let revenue_pcts = format::percents_of_total(
        &a.tiers.iter().map(|t| t.revenue_share).collect::<Vec<_>>(),
        a.total_revenue,
        1,
    );
    for (i, t) in a.tiers.iter().enumerate() {
        writeln!(
            out,
            "  {:<16} {:>10} customers {:>7}  {:>16} revenue {:>7}",
            t.name,
            format::thousands(t.customers as i64),
            customer_pcts[i],
            format::money(t.revenue as f64 / 100.0, policy_currency, 0),
            revenue_pcts[i]
        )?;
    }
    for f in &a.findings {
        writeln!(
            out,
            "  {:<8} {}: {} customers",
            format!("{:?}", f.severity).to_lowercase(),
            f.name,
            format::thousands(f.customers as i64)
        )?;
    }
    if summary.outcome.stats.excluded_after_as_of > 0 {
        writeln!(
            out,
            "  {} transactions after {} were left out",
            format::thousands(summary.outcome.stats.excluded_after_as_of as i64),
            a.as_of
        )?;
    }
    writeln!(
        out,
        "wrote {} ({})",
        summary.out.display(),
        summary.files.join(", ")
    )?;
    Ok(())
}
