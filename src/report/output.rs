//! Writing the output folder as a whole, and only a folder powerbase made itself.
//!
//! Before a run does any work, [`check_out_dir`] holds the output folder to the rules of the `place` module
//! (never the workspace or a folder around or inside it, never a file, never a folder with files
//! powerbase did not write). [`write_atomically`] then, under a lock beside the folder
//! (`.NAME.powerbase-lock`), checks again, removes what dead runs left, writes the new folder beside
//! the target as `.NAME.powerbase-staging-PID` with the marker [`MARKER`], and swaps it in with one
//! atomic exchange (`renameat2(RENAME_EXCHANGE)` on Linux; elsewhere the old folder is renamed aside
//! to `.NAME.powerbase-old-PID` first). The previous outputs are removed last. A failure before the
//! swap leaves the previous outputs untouched and removes the staging folder; a process killed at
//! any point leaves either the old or the new outputs in place, and its staging folder is removed by
//! the next run into the same folder (as are the `.NAME.new-PID` and `.NAME.old-PID` folders of
//! earlier versions), once its process has ended.

mod place;
mod sys;

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;

use place::io_error as io;
pub use place::{check_contents, check_placement, resolve, Existing, MARKER};

/// One file of the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the output folder, `/`-separated (e.g. `charts/pareto.svg`).
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// The environment variable that makes a run stop at a named point (`render`, `write` or
/// `swapped`) so that a test can kill it there. Not for users.
#[doc(hidden)]
pub const PAUSE_VAR: &str = "POWERBASE_TEST_PAUSE_AT";

/// For tests only: when [`PAUSE_VAR`] names `point`, says so on stderr and waits to be killed (for
/// at most five minutes, then exits with code 3 without doing anything more).
#[doc(hidden)]
pub fn pause_for_tests(point: &str) {
    if std::env::var_os(PAUSE_VAR).is_some_and(|v| v == point) {
        eprintln!("powerbase: paused at {point}");
        let _ = std::io::stderr().flush();
        std::thread::sleep(std::time::Duration::from_secs(300));
        std::process::exit(3);
    }
}

/// Checks, before any work is done, that a run of `workspace` may write its outputs to `dir`: where
/// it lies (see [`check_placement`]; `inputs` are the data files the workspace reads), what it
/// holds now (see [`check_contents`]) and that it can be written. Returns the real folder.
pub fn check_out_dir(dir: &Path, workspace: &Path, inputs: &[PathBuf]) -> Result<PathBuf, Error> {
    let target = check_placement(dir, workspace, inputs)?;
    check_contents(dir, &target)?;
    place::check_parent(dir, &target)?;
    Ok(target)
}

/// What runs leave beside the output folder `NAME` while they write it, as `.NAME.KIND-PID`, and
/// whether it holds the previous outputs (to be put back if the folder is missing). `new` and `old`
/// are the names of powerbase versions before the lock, whose leftovers are cleared as well.
const LEFTOVERS: [(&str, bool); 4] = [
    (STAGING, false),
    (ASIDE, true),
    ("new", false),
    ("old", true),
];
const STAGING: &str = "powerbase-staging";
const ASIDE: &str = "powerbase-old";

/// The names beside the output folder `NAME` that belong to one run.
struct Names {
    parent: PathBuf,
    name: String,
}

impl Names {
    fn of(shown: &Path, target: &Path) -> Result<Names, Error> {
        match (target.parent(), target.file_name()) {
            (Some(parent), Some(name)) => Ok(Names {
                parent: parent.to_path_buf(),
                name: name.to_string_lossy().into_owned(),
            }),
            _ => Err(io(shown)(std::io::ErrorKind::InvalidInput.into())),
        }
    }

    fn lock(&self) -> PathBuf {
        self.parent.join(format!(".{}.powerbase-lock", self.name))
    }

    /// `.NAME.KIND-`, followed by a process id; `kind` is one of [`LEFTOVERS`].
    fn prefix(&self, kind: &str) -> String {
        format!(".{}.{kind}-", self.name)
    }

    fn own(&self, kind: &str) -> PathBuf {
        let pid = std::process::id();
        self.parent.join(format!("{}{pid}", self.prefix(kind)))
    }
}

/// Replaces the folder `dir` with exactly `files` and the marker, or changes nothing. Only a folder
/// that does not exist, is empty, or was written by powerbase is replaced (checked again here,
/// under the lock). `on_wait` is called when another run is writing the same folder (with its
/// process id when known); this run then waits for it. Returns warnings: leftovers that could not
/// be removed (the new outputs are in place all the same).
pub fn write_atomically(
    dir: &Path,
    files: &[OutputFile],
    on_wait: &dyn Fn(Option<u32>),
) -> Result<Vec<String>, Error> {
    let target = resolve(dir)?;
    let names = Names::of(dir, &target)?;
    place::check_parent(dir, &target)?;
    fs::create_dir_all(&names.parent).map_err(io(&names.parent))?;
    let lock_path = names.lock();
    let _lock = sys::Lock::acquire(&lock_path, on_wait).map_err(io(&lock_path))?;
    let existing = check_contents(dir, &target)?;
    let mut warnings = clear_stale(&names, &target);
    let staging = names.own(STAGING);
    if let Err(e) = stage(&staging, files) {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    let old = match swap_in(&staging, &target, &names, existing) {
        Ok(old) => old,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    sys::sync_dir(&names.parent);
    pause_for_tests("swapped");
    if let Some(old) = old {
        warnings.extend(remove_previous(&old, existing));
    }
    Ok(warnings)
}

/// The marker's contents: the version that wrote the folder.
fn marker_text(files: &[OutputFile]) -> String {
    let mut text = format!(
        "powerbase {}\nThis folder was written by powerbase, which replaces it as a whole on every \
         run as long as it holds only the files listed here; a file added to it stops the next run \
         instead of being deleted.\n{}\n",
        env!("CARGO_PKG_VERSION"),
        place::FILES_LINE
    );
    let mut names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    names.sort_unstable();
    for name in names {
        text.push_str(name);
        text.push('\n');
    }
    text
}

/// Writes the new folder at `staging`: the marker, then every file. Files are not synced one by
/// one (that doubled the time of writing a 10M-row run's outputs): the swap protects against failed
/// and killed runs, whose written data the operating system keeps; a power cut right after a run
/// may need the run again.
fn stage(staging: &Path, files: &[OutputFile]) -> Result<(), Error> {
    fs::create_dir(staging).map_err(io(staging))?;
    write_file(&staging.join(MARKER), marker_text(files).as_bytes())?;
    for (i, f) in files.iter().enumerate() {
        let path = staging.join(&f.path);
        if let Some(p) = path.parent() {
            fs::create_dir_all(p).map_err(io(p))?;
        }
        write_file(&path, &f.bytes)?;
        if i == 0 {
            pause_for_tests("write");
        }
    }
    sys::sync_dir(staging);
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut file = File::create(path).map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))
}

/// Puts `staging` in the place of `target`. Returns where the previous folder went, if there was
/// one.
fn swap_in(
    staging: &Path,
    target: &Path,
    names: &Names,
    existing: Existing,
) -> Result<Option<PathBuf>, Error> {
    if existing == Existing::Nothing {
        fs::rename(staging, target).map_err(io(target))?;
        return Ok(None);
    }
    if sys::exchange(staging, target).map_err(io(target))? {
        return Ok(Some(staging.to_path_buf()));
    }
    let aside = names.own(ASIDE);
    fs::rename(target, &aside).map_err(io(target))?;
    if let Err(e) = fs::rename(staging, target) {
        let _ = fs::rename(&aside, target);
        return Err(io(target)(e));
    }
    Ok(Some(aside))
}

/// Removes the previous folder after the swap: all of it when powerbase wrote it, only the folder
/// itself when it was empty (anything put there since is kept).
fn remove_previous(old: &Path, existing: Existing) -> Vec<String> {
    let removed = match existing {
        Existing::Ours if place::is_marked(old) => fs::remove_dir_all(old),
        _ => fs::remove_dir(old),
    };
    match removed {
        Ok(()) => Vec::new(),
        Err(e) => vec![format!(
            "the new outputs are in place, but the previous ones could not be removed from {}: {e}",
            old.display()
        )],
    }
}

/// Removes (or, for an interrupted rename-aside, puts back) the staging and old folders that runs
/// which have ended left beside `target`. Runs only under the lock, so no live run into the same
/// folder owns them; folders of processes still alive are left all the same.
fn clear_stale(names: &Names, target: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(&names.parent) else {
        return Vec::new();
    };
    let mut stale: Vec<(bool, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let file_name = e.file_name().to_string_lossy().into_owned();
            let (pid, is_old) = LEFTOVERS.iter().find_map(|(kind, is_old)| {
                let pid = file_name.strip_prefix(&names.prefix(kind))?;
                Some((pid.parse::<u32>().ok()?, *is_old))
            })?;
            let dead = pid == std::process::id() || sys::process_gone(pid);
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            (dead && is_dir).then(|| (is_old, e.path()))
        })
        .collect();
    // Put an interrupted run's previous outputs back before anything is removed.
    stale.sort_by_key(|(is_old, _)| !is_old);
    let mut warnings = Vec::new();
    for (is_old, path) in stale {
        if is_old && !target.exists() && fs::rename(&path, target).is_ok() {
            continue;
        }
        if let Err(e) = fs::remove_dir_all(&path) {
            let shown = path.display();
            warnings.push(format!(
                "could not remove {shown}, left by an earlier run: {e}"
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> OutputFile {
        OutputFile {
            path: path.into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    fn write(dir: &Path, files: &[OutputFile]) -> Result<Vec<String>, Error> {
        write_atomically(dir, files, &|_| panic!("no other run holds the lock"))
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_the_whole_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&out, &[file("a.txt", "1"), file("charts/x.svg", "<svg/>")]).unwrap();
        assert_eq!(entries(&out), [MARKER, "a.txt", "charts"]);
        write(&out, &[file("b.txt", "2")]).unwrap();
        assert!(!out.join("a.txt").exists(), "no stale file survives");
        assert_eq!(fs::read_to_string(out.join("b.txt")).unwrap(), "2");
        assert_eq!(entries(tmp.path()), ["out"], "nothing left beside it");
        let marker = fs::read_to_string(out.join(MARKER)).unwrap();
        assert!(marker.starts_with(&format!("powerbase {}\n", env!("CARGO_PKG_VERSION"))));
    }

    #[test]
    fn a_failed_write_leaves_the_previous_outputs() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&out, &[file("a.txt", "1")]).unwrap();
        // A file path that cannot be created: a folder and a file of the same name.
        let bad = [file("x", "1"), file("x/y", "2")];
        assert!(write(&out, &bad).is_err());
        assert_eq!(fs::read_to_string(out.join("a.txt")).unwrap(), "1");
        assert_eq!(entries(tmp.path()), ["out"]);
    }

    #[test]
    fn an_empty_folder_is_replaced_and_a_foreign_one_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("d");
        fs::create_dir(&out).unwrap();
        write(&out, &[file("a.txt", "1")]).unwrap();
        assert!(place::is_marked(&out));
        let foreign = tmp.path().join("e");
        fs::create_dir(&foreign).unwrap();
        fs::write(foreign.join("notes.txt"), "x").unwrap();
        assert!(matches!(
            write(&foreign, &[file("a.txt", "1")]),
            Err(Error::OutputFolder(_))
        ));
        assert_eq!(entries(&foreign), ["notes.txt"]);
        assert_eq!(entries(tmp.path()), ["d", "e"]);
    }

    #[test]
    fn stale_folders_of_ended_runs_go_and_live_ones_stay() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let alive = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap();
        let keep = tmp
            .path()
            .join(format!(".out.powerbase-staging-{}", alive.id()));
        let gone = tmp.path().join(format!(".out.powerbase-staging-{dead}"));
        let other = tmp.path().join(format!(".other.powerbase-staging-{dead}"));
        for d in [&keep, &gone, &other] {
            fs::create_dir(d).unwrap();
            fs::write(d.join("customers.csv"), "x").unwrap();
        }
        write(&out, &[file("a.txt", "1")]).unwrap();
        let mut alive = alive; // a process that is not a run at all, but alive
        alive.kill().unwrap();
        alive.wait().unwrap();
        assert!(keep.exists(), "a live process keeps its folder");
        assert!(!gone.exists(), "an ended run's folder is removed");
        assert!(
            other.exists(),
            "another output folder's staging is not ours to judge"
        );
    }

    #[test]
    fn leftovers_of_earlier_versions_go_too() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&out, &[file("a.txt", "1")]).unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        for kind in ["new", "old"] {
            let d = tmp.path().join(format!(".out.{kind}-{dead}"));
            fs::create_dir(&d).unwrap();
            fs::write(d.join("customers.csv"), "x").unwrap();
        }
        fs::write(tmp.path().join(format!(".out.new-{dead}.txt")), "not ours").unwrap();
        write(&out, &[file("a.txt", "2")]).unwrap();
        let not_ours = format!(".out.new-{dead}.txt");
        assert_eq!(entries(tmp.path()), [not_ours.as_str(), "out"]);
    }

    #[test]
    fn an_interrupted_rename_aside_is_put_back() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&out, &[file("a.txt", "old")]).unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        // A run killed between moving the old folder aside and moving its new one in.
        let aside = tmp.path().join(format!(".out.powerbase-old-{dead}"));
        fs::rename(&out, &aside).unwrap();
        fs::create_dir(tmp.path().join(format!(".out.powerbase-staging-{dead}"))).unwrap();
        let names = Names::of(&out, &out).unwrap();
        assert!(clear_stale(&names, &out).is_empty());
        assert_eq!(fs::read_to_string(out.join("a.txt")).unwrap(), "old");
        assert_eq!(entries(tmp.path()), ["out"]);
    }
}
