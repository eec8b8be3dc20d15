//! Where the outputs may go. The output folder is resolved to the real folder it names (a symbolic
//! link by its target, a folder that does not exist yet by its nearest existing ancestor), and then
//! held to the rules that keep powerbase from replacing anything it did not write:
//!
//! - placement: never the workspace, a folder holding the workspace or one of its data files, or a
//!   folder inside the workspace other than its default `out/`;
//! - contents: an existing folder is replaced only when it is empty or carries the marker file
//!   [`MARKER`] that powerbase writes into every output folder; a file is never replaced;
//! - permissions: the folder and everything under it must be writable, so that replacing it cannot
//!   stop half-way.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::sys;
use crate::error::{Diagnostic, Error};
use crate::workspace::POLICY_FILE;

/// The marker file in every output folder powerbase writes: only a folder holding it (or an empty
/// one) is ever replaced. It holds the version that wrote the folder.
pub const MARKER: &str = ".powerbase-output";

/// The line of the marker after which it lists the files powerbase wrote into the folder, one
/// relative path (with `/`) per line.
pub const FILES_LINE: &str = "files:";

/// The files under the marked folder `dir` that its marker does not list: files a person or
/// another program added, which replacing the folder would delete. A marker without a list
/// (written by an earlier version) lists nothing to hold against.
fn foreign_files(dir: &Path) -> io::Result<Vec<String>> {
    let marker = fs::read_to_string(dir.join(MARKER))?;
    let Some((_, listed)) = marker.split_once(&format!("\n{FILES_LINE}\n")) else {
        return Ok(Vec::new());
    };
    let listed: std::collections::BTreeSet<&str> = listed.lines().collect();
    let mut foreign = Vec::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let name = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if name != MARKER && !listed.contains(name.as_str()) {
            foreign.push(name);
        }
    }
    Ok(foreign)
}

/// How to get out of every refusal: nothing was changed, and these are the ways on.
const WAYS_ON: &str = "choose a new or empty folder with --out (or leave --out away to write to \
                       the workspace's out/ folder), or move or delete the files yourself";

pub(super) fn io_error(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Output {
        path: path.to_path_buf(),
        source,
    }
}

/// A refusal with its stable code: `shown` is the folder as the user named it.
fn refuse(
    shown: &Path,
    code: &'static str,
    why: impl std::fmt::Display,
    help: impl Into<String>,
) -> Error {
    Error::OutputFolder(
        Diagnostic::new(format!(
            "refusing to write the outputs to {}: {why}; nothing was changed",
            shown.display()
        ))
        .code(code)
        .with_help(help),
    )
}

/// The real folder `shown` names, as an absolute path without symbolic links: a link is followed
/// to its target, and a path that does not exist yet is its nearest existing ancestor (resolved)
/// with the rest appended (`.` and `..` taken lexically). A link to nothing is refused.
pub fn resolve(shown: &Path) -> Result<PathBuf, Error> {
    if shown.as_os_str().is_empty() {
        return Err(refuse(
            shown,
            "output/empty-name",
            "the folder name is empty",
            WAYS_ON,
        ));
    }
    let absolute = std::path::absolute(shown).map_err(io_error(shown))?;
    if let Ok(real) = fs::canonicalize(&absolute) {
        return Ok(real);
    }
    if let Ok(meta) = fs::symlink_metadata(&absolute) {
        if meta.file_type().is_symlink() {
            let to = fs::read_link(&absolute).unwrap_or_default();
            return Err(refuse(
                shown,
                "output/dangling-link",
                format_args!(
                    "it is a symbolic link to {}, which does not exist",
                    to.display()
                ),
                "create the folder the link points to, or choose another folder with --out",
            ));
        }
    }
    let (base, rest) = absolute
        .ancestors()
        .skip(1)
        .find_map(|a| Some((fs::canonicalize(a).ok()?, absolute.strip_prefix(a).ok()?)))
        .ok_or_else(|| io_error(shown)(io::ErrorKind::NotFound.into()))?;
    let mut real = base;
    for part in rest.components() {
        match part {
            Component::Normal(name) => real.push(name),
            Component::ParentDir => {
                real.pop();
            }
            _ => {}
        }
    }
    Ok(real)
}

/// Checks where the folder `shown` lies against the workspace and its data files (`inputs`,
/// relative to the workspace or absolute) and returns the real folder it names.
pub fn check_placement(
    shown: &Path,
    workspace: &Path,
    inputs: &[PathBuf],
) -> Result<PathBuf, Error> {
    let target = resolve(shown)?;
    let ws = fs::canonicalize(workspace).map_err(io_error(workspace))?;
    let help =
        "write to the workspace's out/ folder (leave --out away) or to a folder outside the \
                workspace; nothing of the workspace is ever replaced";
    if target == ws {
        return Err(refuse(
            shown,
            "output/is-workspace",
            "it is the workspace folder itself",
            help,
        ));
    }
    if ws.starts_with(&target) {
        let why = format!("it contains the workspace {}", ws.display());
        return Err(refuse(shown, "output/contains-workspace", why, help));
    }
    if target.starts_with(&ws) && target != ws.join("out") {
        let why = format!(
            "it lies inside the workspace {}, where only out/ may hold outputs",
            ws.display()
        );
        return Err(refuse(shown, "output/inside-workspace", why, help));
    }
    for input in inputs {
        let Ok(file) = resolve(&workspace.join(input)) else {
            continue;
        };
        if file.starts_with(&target) {
            let why = format!(
                "it holds {}, a data file this workspace reads",
                file.display()
            );
            return Err(refuse(shown, "output/holds-data", why, help));
        }
    }
    Ok(target)
}

/// Whether `dir` carries the output marker.
pub fn is_marked(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file())
}

/// The state of the real folder `target` (named `shown` by the user) as far as replacing it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Nothing there yet.
    Nothing,
    /// An empty folder.
    Empty,
    /// A folder powerbase wrote (it carries the marker).
    Ours,
}

/// Checks what is at `target` now: nothing, an empty folder, or a folder powerbase wrote, all of
/// it writable. Anything else is refused.
pub fn check_contents(shown: &Path, target: &Path) -> Result<Existing, Error> {
    let meta = match fs::metadata(target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(e) => return Err(io_error(target)(e)),
        Ok(meta) => meta,
    };
    if !meta.is_dir() {
        return Err(refuse(
            shown,
            "output/is-file",
            "it is a file, not a folder",
            "choose a folder with --out (a new or empty one); the file is left as it is",
        ));
    }
    if target.join(POLICY_FILE).exists() {
        let why = format!("it holds a {POLICY_FILE}, so it is a workspace");
        return Err(refuse(shown, "output/holds-workspace", why, WAYS_ON));
    }
    if is_marked(target) {
        let foreign = foreign_files(target).map_err(io_error(target))?;
        if !foreign.is_empty() {
            let more = if foreign.len() > 3 { ", ..." } else { "" };
            let why = format!(
                "it holds {} file{} powerbase did not write ({}{more}), which replacing the \
                 folder would delete",
                foreign.len(),
                if foreign.len() == 1 { "" } else { "s" },
                foreign[..foreign.len().min(3)].join(", ")
            );
            let help = "move those files out of the folder (it is replaced as a whole on every \
                        run), or choose another folder with --out";
            return Err(refuse(shown, "output/foreign-files", why, help));
        }
        check_writable_tree(shown, target)?;
        return Ok(Existing::Ours);
    }
    let mut names: Vec<String> = fs::read_dir(target)
        .map_err(io_error(target))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<io::Result<_>>()
        .map_err(io_error(target))?;
    if names.is_empty() {
        check_writable_dir(shown, target)?;
        return Ok(Existing::Empty);
    }
    names.sort();
    let more = if names.len() > 3 { ", ..." } else { "" };
    let why = format!(
        "it holds files powerbase did not write ({}{more}) and no {MARKER} marker, and powerbase \
         only replaces a folder it made itself",
        names[..names.len().min(3)].join(", ")
    );
    Err(refuse(shown, "output/not-ours", why, WAYS_ON))
}

/// Checks that the folder where `target` will be created or replaced can be written: its parent,
/// or the nearest ancestor that exists when the parent does not exist yet.
pub fn check_parent(shown: &Path, target: &Path) -> Result<(), Error> {
    match target.ancestors().skip(1).find(|a| a.is_dir()) {
        Some(dir) => check_writable_dir(shown, dir),
        None => Err(refuse(
            shown,
            "output/no-parent",
            "it has no folder to live in",
            WAYS_ON,
        )),
    }
}

fn check_writable_dir(shown: &Path, dir: &Path) -> Result<(), Error> {
    if sys::writable(dir) {
        return Ok(());
    }
    Err(refuse(
        shown,
        "output/read-only",
        format_args!("{} is read-only", dir.display()),
        format!(
            "make it writable (chmod u+w {}) or choose another folder with --out",
            dir.display()
        ),
    ))
}

/// Every folder under `dir` (links not followed) must be writable, or its files cannot be removed
/// when the folder is replaced.
fn check_writable_tree(shown: &Path, dir: &Path) -> Result<(), Error> {
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_path_buf();
            Error::Output {
                source: e
                    .into_io_error()
                    .unwrap_or_else(|| io::ErrorKind::Other.into()),
                path,
            }
        })?;
        if entry.file_type().is_dir() {
            check_writable_dir(shown, entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(r: Result<PathBuf, Error>) -> String {
        match r {
            Err(Error::OutputFolder(d)) => d.to_string(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// A temporary `proj/` holding a workspace `proj/ws` with `data/t.csv`.
    fn project() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path().join("proj/ws");
        fs::create_dir_all(ws.join("data")).unwrap();
        fs::write(ws.join(POLICY_FILE), "client: x\n").unwrap();
        fs::write(ws.join("data/t.csv"), "a\n").unwrap();
        (tmp, ws)
    }

    fn inputs() -> Vec<PathBuf> {
        vec![PathBuf::from("data/t.csv")]
    }

    #[test]
    fn a_folder_that_does_not_exist_resolves_through_its_existing_ancestor() {
        let tmp = tempfile::tempdir().unwrap();
        let real = fs::canonicalize(tmp.path()).unwrap();
        let named = tmp.path().join("a/./b/../c");
        assert_eq!(resolve(&named).unwrap(), real.join("a/c"));
    }

    #[test]
    fn the_workspace_itself_is_refused() {
        let (_tmp, ws) = project();
        let err = refused(check_placement(&ws, &ws, &inputs()));
        assert!(err.contains("workspace folder itself"), "{err}");
        let dotted = ws.join("data/..");
        assert!(refused(check_placement(&dotted, &ws, &inputs())).contains("itself"));
    }

    #[test]
    fn a_folder_containing_the_workspace_is_refused() {
        let (_tmp, ws) = project();
        let proj = ws.parent().unwrap();
        let err = refused(check_placement(proj, &ws, &inputs()));
        assert!(err.contains("contains the workspace"), "{err}");
        assert!(refused(check_placement(Path::new("/"), &ws, &inputs())).contains("contains"));
    }

    #[test]
    fn inside_the_workspace_only_out_is_allowed() {
        let (_tmp, ws) = project();
        for inside in ["data", "reports", "out/sub", "data/new"] {
            let err = refused(check_placement(&ws.join(inside), &ws, &inputs()));
            assert!(err.contains("lies inside the workspace"), "{inside}: {err}");
        }
        let out = check_placement(&ws.join("out"), &ws, &inputs()).unwrap();
        assert_eq!(out, fs::canonicalize(&ws).unwrap().join("out"));
    }

    #[test]
    fn a_folder_beside_the_workspace_is_allowed() {
        let (_tmp, ws) = project();
        let beside = ws.parent().unwrap().join("reports/2024");
        assert!(check_placement(&beside, &ws, &inputs()).is_ok());
    }

    #[test]
    fn a_folder_holding_a_data_file_outside_the_workspace_is_refused() {
        let (_tmp, ws) = project();
        let shared = ws.parent().unwrap().join("shared");
        fs::create_dir_all(&shared).unwrap();
        fs::write(shared.join("x.csv"), "a\n").unwrap();
        let inputs = [PathBuf::from("../shared/x.csv")];
        let err = refused(check_placement(&shared, &ws, &inputs));
        assert!(err.contains("a data file this workspace reads"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_judged_by_its_target() {
        let (_tmp, ws) = project();
        let proj = ws.parent().unwrap();
        std::os::unix::fs::symlink(ws.join("data"), proj.join("to-data")).unwrap();
        let err = refused(check_placement(&proj.join("to-data"), &ws, &inputs()));
        assert!(err.contains("inside the workspace"), "{err}");
        fs::create_dir(proj.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(proj.join("elsewhere"), proj.join("to-elsewhere")).unwrap();
        let target = check_placement(&proj.join("to-elsewhere"), &ws, &inputs()).unwrap();
        assert_eq!(target, fs::canonicalize(proj.join("elsewhere")).unwrap());
        std::os::unix::fs::symlink(proj.join("gone"), proj.join("dangling")).unwrap();
        let err = refused(check_placement(&proj.join("dangling"), &ws, &inputs()));
        assert!(err.contains("which does not exist"), "{err}");
    }

    fn contents(dir: &Path) -> Result<Existing, Error> {
        check_contents(dir, dir)
    }

    #[test]
    fn only_a_new_empty_or_marked_folder_may_be_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("d");
        assert_eq!(contents(&dir).unwrap(), Existing::Nothing);
        fs::create_dir(&dir).unwrap();
        assert_eq!(contents(&dir).unwrap(), Existing::Empty);
        fs::write(dir.join("notes.txt"), "x").unwrap();
        let err = refused(contents(&dir).map(|_| PathBuf::new()));
        assert!(
            err.contains("notes.txt") && err.contains("new or empty folder"),
            "{err}"
        );
        fs::write(dir.join(MARKER), "powerbase\n").unwrap();
        assert_eq!(contents(&dir).unwrap(), Existing::Ours);
        fs::write(dir.join(POLICY_FILE), "").unwrap();
        let err = refused(contents(&dir).map(|_| PathBuf::new()));
        assert!(err.contains("is a workspace"), "{err}");
    }

    #[test]
    fn a_marker_that_is_a_folder_does_not_count() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join(MARKER)).unwrap();
        assert!(contents(tmp.path()).is_err());
    }

    #[test]
    fn a_file_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("report.pdf");
        fs::write(&file, "mine").unwrap();
        let err = refused(contents(&file).map(|_| PathBuf::new()));
        assert!(err.contains("it is a file"), "{err}");
        assert_eq!(fs::read_to_string(&file).unwrap(), "mine");
    }
}
