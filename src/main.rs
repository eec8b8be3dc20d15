//! The `powerbase` command line: parse arguments, call the command, map errors to exit codes. A
//! reader of standard output that goes away early (`powerbase run | head -1`) ends the command
//! quietly with success, as in other command-line tools.

mod cmd;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cmd::Cli::parse();
    let sources = powerbase::diagnostic::render::WorkspaceSources {
        root: cli.workspace().to_path_buf(),
    };
    match cmd::dispatch(cli) {
        Ok(code) => code,
        Err(e) if cmd::is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Nothing more can be done if standard error is gone too.
            let known = e.known_lines();
            let sources = powerbase::diagnostic::render::Layered(&known, &sources);
            let text = powerbase::diagnostic::render::human(&e.diagnostics(), &sources);
            let _ = std::io::stderr().write_all(text.as_bytes());
            ExitCode::from(match e {
                powerbase::Error::Usage(_) => 2,
                _ => 1,
            })
        }
    }
}
