//! One file per subcommand: argument handling and printing only; the work happens in the stages.

mod check;
mod init;
mod progress;
mod run;

use std::path::PathBuf;

use std::time::Duration;

use clap::{Parser, Subcommand};
use powerbase::data::Day;
use powerbase::engine::Limits;

/// powerbase: decide which customers are core, sort the base into tiers and write the board report.
///
/// A workspace is a folder you keep in git, one per client: powerbase.yaml (data sources, params,
/// derived metrics, tiers, checks, report settings), rules/*.yaml, scripts/*.rhai (plugins),
/// templates/ (report templates) and the client's data exports.
#[derive(Parser, Debug)]
#[command(
    name = "powerbase",
    version,
    about,
    long_about,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the workspace: load the data, compute metrics, assign tiers, and write customers.csv,
    /// summary.json, report.md, report.pdf and charts/ to the output folder.
    ///
    /// The output folder is replaced as a whole: a failed run leaves the previous outputs as they were.
    Run {
        /// The workspace folder (holding powerbase.yaml).
        #[arg(default_value = ".")]
        workspace: PathBuf,
        /// Where to write the outputs [default: WORKSPACE/out].
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Compute everything as of this date (YYYY-MM-DD); later transactions are left out and
        /// counted. Overrides `as_of` in powerbase.yaml; with neither, the latest transaction date.
        #[arg(long, value_parser = parse_day)]
        as_of: Option<Day>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Print how long each stage took (on stderr).
        #[arg(long)]
        timings: bool,
        /// The longest the rules may run (all derived metrics, tiers and checks together), and
        /// again the report template: a runaway rule or template stops with an error naming it
        /// and the customer. Like 10s, 500ms or 2m.
        #[arg(long, value_parser = parse_duration, default_value = "10s")]
        rule_timeout: Duration,
    },
    /// Check a workspace without running it: every policy file parsed, every expression and
    /// template compiled. Lists every problem with file and line; exits non-zero if there is one.
    Check {
        /// The workspace folder (holding powerbase.yaml).
        #[arg(default_value = ".")]
        workspace: PathBuf,
    },
    /// Create a new workspace with a commented powerbase.yaml, a rule file, a plugin script and a
    /// small sample of real transactions, ready to run.
    Init {
        /// The folder to create (it must not exist or be empty).
        dir: PathBuf,
    },
}

fn parse_day(s: &str) -> Result<Day, String> {
    Day::parse_iso(s).ok_or_else(|| format!("expected a date like 1998-06-30, found `{s}`"))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let wrong = || format!("expected a duration like 10s, 500ms or 2m, found `{s}`");
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(wrong)?;
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().map_err(|_| wrong())?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "s" => number,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(wrong()),
    };
    if !(seconds > 0.0 && seconds <= 86_400.0 * 365.0) {
        return Err(format!("the timeout must be more than 0 (found `{s}`)"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Runs the chosen command.
pub fn dispatch(cli: Cli) -> powerbase::Result<()> {
    match cli.command {
        Command::Run {
            workspace,
            out,
            as_of,
            quiet,
            timings,
            rule_timeout,
        } => run::run(
            &workspace,
            out.as_deref(),
            as_of,
            Limits {
                timeout: rule_timeout,
            },
            quiet,
            timings,
        ),
        Command::Check { workspace } => check::check(&workspace),
        Command::Init { dir } => init::init(&dir),
    }
}
