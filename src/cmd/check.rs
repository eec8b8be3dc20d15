//! `powerbase check`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use powerbase::diagnostic::{render, Level};

use super::OutputFormat;

/// Loads and compiles a workspace. For people: prints what was checked, or fails with every
/// problem found (rendered on standard error by `main`). As JSON: prints the diagnostics on
/// standard output (`[]` when all is well) and ends with 1 when one of them is an error.
pub fn check(workspace: &Path, format: OutputFormat) -> powerbase::Result<ExitCode> {
    // Test files are policy files too: a malformed one is reported here, not first by `test`.
    let result = powerbase::pipeline::check(workspace).and_then(|prepared| {
        powerbase::policytest::load(&prepared.workspace.tests)
            .map_err(powerbase::Error::Workspace)?;
        Ok(prepared)
    });
    if format == OutputFormat::Human {
        return result
            .and_then(|prepared| summary(workspace, &prepared).map(|()| ExitCode::SUCCESS));
    }
    let diagnostics = match result {
        Ok(_) => Vec::new(),
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
