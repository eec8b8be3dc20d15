//! `powerbase init`: a commented workspace with a small sample of real data that runs as it is.

use std::io::Write;
use std::path::Path;

use include_dir::{include_dir, Dir};
use powerbase::Error;

static SCAFFOLD: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/src/cmd/scaffold");

/// The JSON Schema file `init` writes beside powerbase.yaml.
pub const SCHEMA_FILE: &str = "powerbase.schema.json";

/// Writes the scaffold into `dir`, which must not exist or be empty.
pub fn init(dir: &Path) -> powerbase::Result<()> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Error::Usage(format!(
            "{} exists and is not empty; init writes into a new or empty folder",
            dir.display()
        )));
    }
    write(&SCAFFOLD, dir)?;
    // The schema the files' `# yaml-language-server: $schema=...` comments point to, so editors
    // complete and check keys.
    let schema = dir.join(SCHEMA_FILE);
    std::fs::write(&schema, powerbase::workspace::json_schema()).map_err(|source| {
        Error::Output {
            path: schema.clone(),
            source,
        }
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "created workspace {}", dir.display())
        .and_then(|()| writeln!(out, "next: powerbase run {}", dir.display()))
        .map_err(super::stdout_error)
}

fn write(from: &Dir<'_>, to: &Path) -> powerbase::Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Output { path, source }
    };
    std::fs::create_dir_all(to).map_err(io(to))?;
    for file in from.files() {
        let target = to.join(file.path().file_name().expect("a file name"));
        std::fs::write(&target, file.contents()).map_err(io(&target))?;
    }
    for sub in from.dirs() {
        write(
            sub,
            &to.join(sub.path().file_name().expect("a folder name")),
        )?;
    }
    Ok(())
}
