//! The `powerbase` command line: parse arguments, call the command, map errors to exit codes.

mod cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cmd::Cli::parse();
    match cmd::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(match e {
                powerbase::Error::Usage(_) => 2,
                _ => 1,
            })
        }
    }
}
