//! One file per subcommand: argument handling and printing only; the work happens in the stages.

mod check;
mod diff;
mod explain;
mod init;
mod progress;
mod run;
mod schema;
mod test;
mod whatif;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use powerbase::data::Day;
use powerbase::engine::Limits;
use powerbase::pipeline::RunOptions;
use powerbase::workspace::overrides::Override;

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

/// `--on-bad-rows` and `--max-rejected`, for `run` and `check --data`.
#[derive(clap::Args, Debug, Clone, Copy)]
struct BadRowsArgs {
    /// What to do with transaction rows that cannot be read: `fail` (stop, listing every one) or
    /// `quarantine` (go on without them and list them in rejects.csv). Overrides `on_bad_rows`
    /// of data.transactions.
    #[arg(long, value_name = "fail|quarantine")]
    on_bad_rows: Option<powerbase::data::OnBadRows>,
    /// With quarantine, the largest share of the rows that may be set aside, as 0.01 or 1%;
    /// beyond it the run fails anyway. Overrides `max_rejected` of data.transactions [default:
    /// 1%].
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    max_rejected: Option<powerbase::data::Share>,
}

impl From<BadRowsArgs> for powerbase::pipeline::BadRowsOverride {
    fn from(a: BadRowsArgs) -> Self {
        powerbase::pipeline::BadRowsOverride {
            on_bad_rows: a.on_bad_rows,
            max_rejected: a.max_rejected,
        }
    }
}

/// A share such as `0.01` or `1%`, from 0 to 1.
fn parse_share(s: &str) -> Result<powerbase::data::Share, String> {
    let share: powerbase::data::Share = s.parse()?;
    if (0.0..=1.0).contains(&share.0) {
        Ok(share)
    } else {
        Err(format!(
            "the share must be from 0 to 1 (such as 0.01) or from 0% to 100% (found `{s}`)"
        ))
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the workspace: load the data, compute metrics, assign tiers, and write customers.csv,
    /// summary.json, report.md, charts/ and the formats of `report.formats` (report.pdf and
    /// customers.xlsx by default) to the output folder.
    ///
    /// The output folder is replaced as a whole, in one atomic step: a failed or interrupted run
    /// leaves the previous outputs as they were. powerbase only replaces a folder it made itself
    /// (marked by a .powerbase-output file); concurrent runs into one folder take turns.
    Run {
        /// The workspace folder (holding powerbase.yaml).
        #[arg(default_value = ".")]
        workspace: PathBuf,
        /// Where to write the outputs [default: WORKSPACE/out]. A new folder, an empty one, or one
        /// powerbase wrote before; a folder holding other files, a file, the workspace itself, a
        /// folder containing it or one inside it other than out/ is refused and left as it is.
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
        /// Override a param or a tier's condition for this run only, e.g. `--set
        /// first_class_min=8000` or `--set tiers.First.when="revenue >= 900"` (repeatable). Values
        /// are read as YAML scalars and checked like the policy's; the overrides are recorded in
        /// summary.json and the report.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<Override>,
        /// Leave the provenance stamp (powerbase version, the policy's git commit, the data files'
        /// SHA-256) out of summary.json and the report, so outputs compare byte for byte.
        #[arg(long)]
        no_provenance: bool,
        /// Also evaluate the policy as of this earlier date (YYYY-MM-DD), reading the data once,
        /// and add how customers moved between tiers since then (graduated, slipped, new, lapsed)
        /// to the report, summary.json (`migration`) and charts/migration.svg.
        #[arg(long, value_parser = parse_day, value_name = "DATE")]
        compare_as_of: Option<Day>,
        /// The date of issue (YYYY-MM-DD) on the title page, in the footers and as the PDF's
        /// creation date. Overrides `report.issued`; with neither, `SOURCE_DATE_EPOCH`, else today.
        #[arg(long, value_parser = parse_day, value_name = "DATE")]
        issued: Option<Day>,
        #[command(flatten)]
        bad_rows: BadRowsArgs,
    },
    /// Try overrides without writing anything: the tier table before and after `--set KEY=VALUE`
    /// and how many customers (and how much revenue) move between each pair of tiers.
    Whatif {
        /// The workspace folder (holding powerbase.yaml).
        #[arg(default_value = ".")]
        workspace: PathBuf,
        /// A param or tier condition to change (repeatable), as for `run --set`.
        #[arg(long = "set", value_name = "KEY=VALUE", required = true)]
        set: Vec<Override>,
        /// Evaluate as of this date (YYYY-MM-DD), as for `run --as-of`.
        #[arg(long, value_parser = parse_day)]
        as_of: Option<Day>,
        /// `human` (a table) or `json`.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Explain why one customer is in its tier: its metrics, every tier rule in order with the
    /// values it read and the population figures it used, whether it matched, what the customer
    /// needs to reach the tier above, and the checks that fired. Writes nothing.
    Explain {
        /// The workspace folder (holding powerbase.yaml).
        workspace: PathBuf,
        /// The customer id, exactly as in customers.csv.
        customer_id: String,
        /// Evaluate as of this date (YYYY-MM-DD), as for `run --as-of`.
        #[arg(long, value_parser = parse_day)]
        as_of: Option<Day>,
        /// A param or tier condition to change for this explanation (repeatable), as for `run
        /// --set`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<Override>,
        /// `human` (text) or `json`.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Compare two versions of the policy on the same data: the policy as it stood at a git
    /// revision (`--base HEAD~1`), in another folder (`--base-dir`) or with `--set` overrides,
    /// against the working tree (or `--head REV`). Shows what changed in the policy, the tier
    /// table before and after, the migration matrix and the customers who moved. Markdown on
    /// standard output; `--format json`; `--out DIR` writes diff.md, diff.pdf and diff.json.
    Diff {
        /// The workspace folder (holding powerbase.yaml).
        #[arg(default_value = ".")]
        workspace: PathBuf,
        /// The git revision of the policy before (a commit, branch or tag: HEAD~1, main).
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        /// The git revision of the policy after [default: the working tree].
        #[arg(long, value_name = "REV")]
        head: Option<String>,
        /// A folder holding the policy before, to compare without git.
        #[arg(long, value_name = "DIR", conflicts_with = "base")]
        base_dir: Option<PathBuf>,
        /// A param or tier condition to change in the head (repeatable), as for `run --set`;
        /// without --base, compares that change with the policy as it is.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<Override>,
        /// Whose data files both policies are evaluated on.
        #[arg(long, value_enum, default_value_t = DataSide::Head)]
        data_from: DataSide,
        /// Evaluate both as of this date (YYYY-MM-DD) [default: the head's as-of date].
        #[arg(long, value_parser = parse_day)]
        as_of: Option<Day>,
        /// `human` (Markdown) or `json`.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// Write diff.md, diff.pdf and diff.json to this folder instead of printing (a new or
        /// empty folder, or one powerbase wrote before).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Check a workspace without running it: every policy file parsed, every expression and
    /// template compiled. Lists every problem with file and line; exits non-zero if there is one.
    Check {
        /// The workspace folder (holding powerbase.yaml).
        #[arg(default_value = ".")]
        workspace: PathBuf,
        /// Also read every transaction file fully (every file of a glob) and report every row
        /// that cannot be read, as `run` would, writing nothing.
        /// Exits non-zero when there are bad rows, unless they are quarantined
        /// (`on_bad_rows: quarantine` or `--on-bad-rows quarantine`) and within `max_rejected`:
        /// then they are a warning.
        #[arg(long)]
        data: bool,
        #[command(flatten)]
        bad_rows: BadRowsArgs,
        /// `human` (each problem with its source line, on standard error) or `json` (an array of
        /// diagnostics on standard output, `[]` when all is well, for editors and CI).
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Run the workspace's policy tests (tests/**/*.yaml): each case pins customers to a tier,
    /// reason, checks or metric values. Prints a line per case, then each failure with expected vs
    /// actual and the customer's explanation; exits with 1 when a case fails.
    Test {
        /// The workspace folder (holding powerbase.yaml).
        #[arg(default_value = ".")]
        workspace: PathBuf,
        /// Run only the cases whose `FILE::NAME` contains this text.
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
        /// Also write the results as JUnit XML to this file, for CI.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Print the JSON Schema of policy files (powerbase.yaml, rules/*.yaml), for editors: save it
    /// and point to it with `# yaml-language-server: $schema=PATH` at the top of a file (`init`
    /// does both).
    Schema,
    /// Create a new workspace with a commented powerbase.yaml, a rule file, a plugin script and a
    /// small sample of real transactions, ready to run.
    Init {
        /// The folder to create (it must not exist or be empty).
        dir: PathBuf,
    },
}

/// How a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// For people.
    Human,
    /// For scripts, editors and CI.
    Json,
}

/// Whose data files `diff` evaluates both policies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataSide {
    /// The head's data files (the data as it is now).
    Head,
    /// The base's (taken from git for a revision).
    Base,
}

/// What failed writes to standard output and standard error are reported as.
const STDOUT: &str = "standard output";
const STDERR: &str = "standard error";

/// A failed write to standard output, as an error.
fn stdout_error(source: std::io::Error) -> powerbase::Error {
    powerbase::Error::Output {
        path: PathBuf::from(STDOUT),
        source,
    }
}

/// A failed write to standard error, as an error.
fn stderr_error(source: std::io::Error) -> powerbase::Error {
    powerbase::Error::Output {
        path: PathBuf::from(STDERR),
        source,
    }
}

/// Whether `e` means the reader of standard output or error went away (`powerbase run | head
/// -1`): not a failure, the command just has no one left to tell.
pub fn is_closed_pipe(e: &powerbase::Error) -> bool {
    matches!(e, powerbase::Error::Output { path, source }
        if (path == Path::new(STDOUT) || path == Path::new(STDERR))
            && source.kind() == std::io::ErrorKind::BrokenPipe)
}

fn parse_day(s: &str) -> Result<Day, String> {
    Day::parse_iso(s).ok_or_else(|| format!("expected a date like 1998-06-30, found `{s}`"))
}

impl Cli {
    /// The workspace folder the command works on (`.` when it names none), for showing the
    /// source lines diagnostics point into.
    pub fn workspace(&self) -> &Path {
        match &self.command {
            Command::Run { workspace, .. }
            | Command::Check { workspace, .. }
            | Command::Whatif { workspace, .. }
            | Command::Explain { workspace, .. }
            | Command::Diff { workspace, .. }
            | Command::Test { workspace, .. } => workspace,
            Command::Init { dir } => dir,
            Command::Schema => Path::new("."),
        }
    }
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

/// Runs the chosen command; its exit code when it ends without an error (`check --format json`
/// reports problems on standard output and ends with 1).
pub fn dispatch(cli: Cli) -> powerbase::Result<ExitCode> {
    let done = |()| ExitCode::SUCCESS;
    match cli.command {
        Command::Run {
            workspace,
            out,
            as_of,
            quiet,
            timings,
            set,
            no_provenance,
            rule_timeout,
            compare_as_of,
            issued,
            bad_rows,
        } => {
            let options = RunOptions {
                out,
                as_of,
                overrides: set,
                no_provenance,
                limits: Limits {
                    timeout: rule_timeout,
                },
                compare_as_of,
                issued,
                bad_rows: bad_rows.into(),
            };
            run::run(&workspace, &options, quiet, timings).map(done)
        }
        Command::Whatif {
            workspace,
            set,
            as_of,
            format,
        } => whatif::whatif(&workspace, &set, as_of, format).map(done),
        Command::Explain {
            workspace,
            customer_id,
            as_of,
            set,
            format,
        } => explain::explain(&workspace, &customer_id, as_of, &set, format).map(done),
        Command::Diff {
            workspace,
            base,
            head,
            base_dir,
            set,
            data_from,
            as_of,
            format,
            out,
        } => {
            let args = diff::DiffArgs {
                workspace,
                base,
                head,
                base_dir,
                set,
                data_from: match data_from {
                    DataSide::Head => powerbase::pipeline::compare::DataFrom::Head,
                    DataSide::Base => powerbase::pipeline::compare::DataFrom::Base,
                },
                as_of,
                out,
            };
            diff::diff(&args, format).map(done)
        }
        Command::Check {
            workspace,
            format,
            data,
            bad_rows,
        } => {
            if !data && (bad_rows.on_bad_rows.is_some() || bad_rows.max_rejected.is_some()) {
                return Err(powerbase::Error::Usage(
                    "--on-bad-rows and --max-rejected apply to the rows read by `check --data`; add --data"
                        .to_string(),
                ));
            }
            check::check(&workspace, format, data.then(|| bad_rows.into()))
        }
        Command::Test {
            workspace,
            filter,
            junit,
        } => test::test(&workspace, filter.as_deref(), junit.as_deref()),
        Command::Init { dir } => init::init(&dir).map(done),
        Command::Schema => schema::schema().map(done),
    }
}
