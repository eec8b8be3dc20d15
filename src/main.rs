//! The `powerbase` command line: parse arguments, call the command, map errors to exit codes. A
//! reader of standard output that goes away early (`powerbase run | head -1`) ends the command
//! quietly with success, as in other command-line tools.

mod cmd;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cmd::Cli::parse();
    match cmd::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if cmd::is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Nothing more can be done if standard error is gone too.
            let _ = writeln!(std::io::stderr(), "error: {e}");
            ExitCode::from(match e {
                powerbase::Error::Usage(_) => 2,
                _ => 1,
            })
        }
    }
}
