//! `powerbase test [WORKSPACE] [--filter TEXT] [--junit FILE]`: runs the workspace's policy tests
//! ([`powerbase::policytest`]) and prints the results the way `cargo test` does:
//!
//! ```text
//! running 2 tests
//! test tests/tiers.yaml::big spender is First ... ok
//! test tests/tiers.yaml::one purchase is Economy ... FAILED
//!
//! failures:
//!
//! ---- tests/tiers.yaml::one purchase is Economy ----
//! customer B: tier: expected Economy, found Business
//!
//! Customer B is in Business (reason: Business), as of 1997-06-30.
//! ...
//!
//! failures:
//!     tests/tiers.yaml::one purchase is Economy
//!
//! test result: FAILED. 1 passed; 1 failed; 0 filtered out
//! ```
//!
//! Ends with 1 when a case fails; a malformed test file is a diagnostic, as `check` shows them.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use powerbase::policytest::{self, junit, Outcome};
use powerbase::{pipeline, Error};

/// Runs the cases (those whose `FILE::NAME` contains `filter`), prints the results and writes
/// them as JUnit XML to `junit` when asked.
pub fn test(
    workspace: &Path,
    filter: Option<&str>,
    junit: Option<&Path>,
) -> powerbase::Result<ExitCode> {
    let prepared = pipeline::prepare(workspace)?;
    let cases = policytest::load(&prepared.workspace.tests).map_err(Error::Workspace)?;
    let outcome = policytest::run(&prepared, &cases, filter, &super::explain::human)?;
    if let Some(path) = junit {
        std::fs::write(path, junit::xml(&outcome)).map_err(|source| Error::Output {
            path: path.to_path_buf(),
            source,
        })?;
    }
    std::io::stdout()
        .lock()
        .write_all(text(&outcome).as_bytes())
        .map_err(super::stdout_error)?;
    Ok(if outcome.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The results as `cargo test` prints them.
fn text(outcome: &Outcome) -> String {
    let n = outcome.results.len();
    let mut out = format!("running {n} test{}\n", if n == 1 { "" } else { "s" });
    for r in &outcome.results {
        let verdict = if r.passed() { "ok" } else { "FAILED" };
        out.push_str(&format!("test {} ... {verdict}\n", r.id()));
    }
    let failed: Vec<_> = outcome.results.iter().filter(|r| !r.passed()).collect();
    if !failed.is_empty() {
        out.push_str("\nfailures:\n");
        for r in &failed {
            out.push_str(&format!("\n---- {} ----\n", r.id()));
            out.push_str(&junit::failure_text(r));
        }
        out.push_str("\nfailures:\n");
        for r in &failed {
            out.push_str(&format!("    {}\n", r.id()));
        }
    }
    out.push_str(&format!(
        "\ntest result: {}. {} passed; {} failed; {} filtered out\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        outcome.passed(),
        outcome.failed(),
        outcome.filtered_out
    ));
    out
}
