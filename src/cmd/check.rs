//! `powerbase check`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use powerbase::diagnostic::{render, Level};
use powerbase::pipeline::{BadRowsOverride, DataCheck};

use super::OutputFormat;

/// Loads and compiles a workspace; with `data` (`--data`, with its bad-row overrides) also reads
/// every data row ([`powerbase::pipeline::check_data`]). For people: prints what was checked
/// (and a warning for rows a run would set aside), or fails with every problem found (rendered
/// on standard error by `main`). As JSON: prints the diagnostics on standard output (`[]` when
/// all is well) and ends with 1 when one of them is an error.
pub fn check(
    workspace: &Path,
    format: OutputFormat,
    data: Option<BadRowsOverride>,
) -> powerbase::Result<ExitCode> {
    // Test files are policy files too: a malformed one is reported here, not first by `test`.
    let result = powerbase::pipeline::check(workspace).and_then(|mut prepared| {
        powerbase::policytest::load(&prepared.workspace.tests)
            .map_err(powerbase::Error::Workspace)?;
        let read = match data {
            Some(overrides) => {
                overrides.apply(&mut prepared);
                Some(powerbase::pipeline::check_data(&prepared, None)?)
            }
            None => None,
        };
        Ok((prepared, read))
    });
    if format == OutputFormat::Human {
        return result.and_then(|(prepared, read)| {
            summary(workspace, &prepared)?;
            if let Some(read) = read {
                data_summary(&read)?;
            }
            Ok(ExitCode::SUCCESS)
        });
    }
    let diagnostics = match result {
        Ok((_, read)) => read.and_then(|r| r.warning).into_iter().collect(),
        Err(e) => e.diagnostics(),
    };
    std::io::stdout()
        .lock()
        .write_all(render::json(&diagnostics).as_bytes())
        .map_err(super::stdout_error)?;
    Ok(if diagnostics.iter().any(|d| d.level == Level::Error) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// What `check --data` read: a line on standard output, and the rows a run would set aside as a
/// warning on standard error.
fn data_summary(read: &DataCheck) -> powerbase::Result<()> {
    writeln!(
        std::io::stdout().lock(),
        "  data: {} transaction rows read{}",
        read.rows_read,
        if read.warning.is_some() {
            ""
        } else {
            ", every one readable"
        }
    )
    .map_err(super::stdout_error)?;
    if let Some(w) = &read.warning {
        writeln!(std::io::stderr().lock(), "warning: {}", w.message)
            .map_err(super::stderr_error)?;
    }
    Ok(())
}

/// The line `check` prints for a workspace without problems.
fn summary(workspace: &Path, prepared: &powerbase::pipeline::Prepared) -> powerbase::Result<()> {
    let policy = &prepared.workspace.policy;
    writeln!(
        std::io::stdout().lock(),
        "{}: ok ({} policy files, {} scripts, {} templates, {} test files; {} params, {} metrics, {} tiers, {} checks)",
        workspace.display(),
        policy.files.len(),
        prepared.workspace.scripts.len(),
        prepared.workspace.templates.len(),
        prepared.workspace.tests.len(),
        policy.params.len(),
        policy.metrics.len(),
        policy.tiers.len(),
        policy.checks.len()
    )
    .map_err(super::stdout_error)?;
    for (name, default) in prepared.workspace.names.overridden_defaults() {
        if let Some(p) = policy.params.iter().find(|p| p.name == *name) {
            writeln!(
                std::io::stdout().lock(),
                "  param `{name}` is set in {}, replacing the default of {default}",
                p.origin
            )
            .map_err(super::stdout_error)?;
        }
    }
    Ok(())
}
