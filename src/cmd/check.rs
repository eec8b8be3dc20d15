//! `powerbase check`.

use std::io::Write;
use std::path::Path;

/// Loads and compiles a workspace; prints what was checked or every problem found.
pub fn check(workspace: &Path) -> powerbase::Result<()> {
    let prepared = powerbase::pipeline::check(workspace)?;
    let policy = &prepared.workspace.policy;
    writeln!(
        std::io::stdout().lock(),
        "{}: ok ({} policy files, {} scripts, {} templates; {} params, {} metrics, {} tiers, {} checks)",
        workspace.display(),
        policy.files.len(),
        prepared.workspace.scripts.len(),
        prepared.workspace.templates.len(),
        policy.params.len(),
        policy.metrics.len(),
        policy.tiers.len(),
        policy.checks.len()
    )
    .map_err(super::stdout_error)
}
