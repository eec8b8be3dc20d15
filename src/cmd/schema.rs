//! `powerbase schema`: the JSON Schema of policy files, for editors (yaml-language-server) and CI.

use std::io::Write;

/// Prints the JSON Schema of `powerbase.yaml` and `rules/**/*.yaml`.
pub fn schema() -> powerbase::Result<()> {
    std::io::stdout()
        .lock()
        .write_all(powerbase::workspace::json_schema().as_bytes())
        .map_err(super::stdout_error)
}
