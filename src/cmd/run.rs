//! `powerbase run`. The headline goes to standard output and notes to standard error through
//! writers, so a reader that stops early (`powerbase run | head -1`) ends the command quietly
//! instead of a panic.

use std::io::Write;
use std::path::Path;

use powerbase::data::Join;
use powerbase::pipeline::{RunOptions, RunSummary};
use powerbase::report::format;
use powerbase::report::model::Money;

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
    sources(&mut std::io::stdout().lock(), &summary).map_err(super::stdout_error)?;
    // The headline's figures and dates are written as the report writes them (`report.locale`).
    format::with_locale(&summary.locale, || {
        headline(&mut std::io::stdout().lock(), &summary).map_err(super::stdout_error)
    })
}

/// How long each stage took.
fn timings_table(err: &mut impl Write, summary: &RunSummary) -> std::io::Result<()> {
    for (stage, took) in &summary.outcome.timings.0 {
        writeln!(err, "{:>8.3} s  {stage}", took.as_secs_f64())?;
    }
    Ok(())
}

/// How the data files were read (a sniffed delimiter, an encoding, title, footer and totals
/// lines, several files): part of the run's output, not a warning.
fn sources(out: &mut impl Write, summary: &RunSummary) -> std::io::Result<()> {
    for source in &summary.model.sources {
        for line in source.describe() {
            writeln!(out, "data: {line}")?;
        }
    }
    Ok(())
}

/// What scripts printed and what the outputs (the PDF layout, the workbook) and the join warned
/// about.
fn notes(err: &mut impl Write, summary: &RunSummary) -> std::io::Result<()> {
    for line in &summary.printed {
        writeln!(err, "script: {line}")?;
    }
    for warning in &summary.warnings {
        // Each names its file (`report.pdf: ...`, `customers.xlsx was not written: ...`).
        writeln!(err, "warning: {warning}")?;
    }
    for warning in &summary.output_warnings {
        writeln!(err, "warning: {warning}")?;
    }
    if let Some(w) = summary
        .model
        .customer_join
        .as_ref()
        .and_then(|j| j.warning.as_ref())
    {
        writeln!(err, "warning: {w}")?;
    }
    Ok(())
}

/// How the customer master joined: matched, each side's ids without a partner (with examples),
/// the id rule and the raw ids it merged.
fn join_lines(out: &mut impl Write, join: &Join) -> std::io::Result<()> {
    let n = |count: usize| format::thousands(count as i64);
    let examples = |list: &[String]| match list {
        [] => String::new(),
        _ => format!(" (e.g. {})", list.join(", ")),
    };
    writeln!(
        out,
        "  customer master {}: {} of {} customers matched{}",
        join.master_file,
        n(join.matched),
        n(join.customers),
        join.id_normalise
            .as_ref()
            .map_or(String::new(), |r| format!(", ids normalised ({r})"))
    )?;
    let sides = [
        (
            "customers without a master row",
            &join.transactions_without_master,
        ),
        (
            "master rows without transactions",
            &join.master_without_transactions,
        ),
    ];
    for (what, side) in sides.into_iter().filter(|(_, s)| s.count > 0) {
        writeln!(
            out,
            "    {} {what}{}",
            n(side.count),
            examples(&side.examples)
        )?;
    }
    let merged = &join.merged_ids;
    if merged.count > 0 {
        writeln!(
            out,
            "    {} customers with transactions under more than one raw id, merged{}",
            n(merged.count),
            examples(&merged.examples)
        )?;
    }
    Ok(())
}

/// The headline figures, tiers, findings and where the outputs went, from the report model.
fn headline(out: &mut impl Write, summary: &RunSummary) -> std::io::Result<()> {
    let m = &summary.model;
    let money = |amount: Money| format::money(amount.units(), &m.currency, 0);
    // At `level: account` the rows are accounts: say so, with the customers they hold.
    let counted = match &m.level.accounts {
        Some(a) => format!(
            "{} accounts ({} customers)",
            format::thousands(a.accounts as i64),
            format::thousands(a.customers as i64)
        ),
        None => format!("{} customers", format::thousands(m.customers as i64)),
    };
    writeln!(
        out,
        "{counted} as of {}, {} revenue; top {} hold {}",
        format::date(&m.as_of),
        money(m.total_revenue),
        format::percent(0.2, 0),
        format::percent(m.concentration.top20_share, 1)
    )?;
    for t in &m.tiers {
        writeln!(
            out,
            "  {:<16} {:>10} customers {:>7}  {:>16} revenue {:>7}",
            t.name,
            format::thousands(t.customers as i64),
            format::percent(t.customer_share, 1),
            money(t.revenue),
            format::percent(t.revenue_share, 1)
        )?;
    }
    if let Some(p) = &m.profitability {
        writeln!(
            out,
            "  profit {}; {} customers ({}) lose money, {} in all",
            money(p.profit),
            format::thousands(p.customers_unprofitable as i64),
            format::percent(p.unprofitable_share, 1),
            money(p.unprofitable_loss)
        )?;
    }
    if let Some(g) = &m.migration {
        let group = |n: u64, revenue: Money| {
            format!("{} ({})", format::thousands(n as i64), money(revenue))
        };
        writeln!(
            out,
            "  since {}: {} graduated, {} slipped, {} new; {} lapsed (no purchase in {} days)",
            format::date(&g.from_as_of),
            group(g.graduated.customers, g.graduated.revenue),
            group(g.slipped.customers, g.slipped.revenue),
            group(g.new.customers, g.new.revenue),
            group(g.lapsed.customers, g.lapsed.revenue),
            g.lapse_days
        )?;
    }
    for f in &m.findings {
        // A finding about no customer (a summary check, a tier rule placing nobody) says why.
        let what = if f.customers == 0 {
            f.message.clone()
        } else {
            format!("{} customers", format::thousands(f.customers as i64))
        };
        writeln!(
            out,
            "  {:<8} {}: {what}",
            format!("{:?}", f.severity).to_lowercase(),
            f.name,
        )?;
    }
    if let Some(join) = &m.customer_join {
        join_lines(out, join)?;
    }
    let excluded = m.transactions.excluded_after_as_of;
    if excluded > 0 {
        writeln!(
            out,
            "  {} transactions after {} were left out",
            format::thousands(excluded as i64),
            format::date(&m.as_of)
        )?;
    }
    if let Some(sentence) = m.transactions.rejected_sentence(&m.currency) {
        writeln!(out, "  {sentence}")?;
    }
    writeln!(
        out,
        "wrote {} ({})",
        summary.out.display(),
        summary.files.join(", ")
    )?;
    Ok(())
}
