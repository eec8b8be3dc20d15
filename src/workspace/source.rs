//! Where a workspace's policy files come from: a folder on disk ([`Folder`]), a git revision
//! ([`GitRevision`], read from the repository's objects with the `git` command: no checkout, the
//! working tree and the index are never touched) or memory ([`Memory`], for tests). The loader
//! reads every source the same way, so the same validation and diagnostics apply to each.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Diagnostic, Origin};

/// A set of workspace files, named relative to the workspace with `/` separators
/// (`powerbase.yaml`, `rules/tiers.yaml`).
pub trait FileSource: fmt::Debug + Send + Sync {
    /// How diagnostics name this source in front of a file name: `None` for the working folder
    /// (`rules/tiers.yaml:12:7`), the revision for git (`HEAD~1:rules/tiers.yaml:12:7`).
    fn label(&self) -> Option<&str>;

    /// The bytes of the file `name`; `Ok(None)` when there is no such file.
    fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>>;

    /// Whether the source holds the file `name`.
    fn holds(&self, name: &str) -> bool;

    /// What is at `dir`: nothing, a file, or a folder with these files (every file below it, at
    /// any depth, named from the workspace, sorted by name; hidden files and folders left out).
    fn list(&self, dir: &str) -> io::Result<Listing>;
}

/// What a source holds at a folder name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// Nothing.
    Missing,
    /// A file, where a folder was expected.
    File,
    /// A folder and the files below it. A sub-folder that could not be listed is in `unreadable`
    /// (name, reason), never skipped silently.
    Folder {
        /// The files, sorted by name.
        files: Vec<String>,
        /// Folders that could not be listed, with why.
        unreadable: Vec<(String, String)>,
    },
}

/// The files of a workspace folder on disk.
#[derive(Debug, Clone)]
pub struct Folder {
    root: PathBuf,
}

impl Folder {
    /// The workspace folder `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Folder { root: root.into() }
    }
}

impl FileSource for Folder {
    fn label(&self) -> Option<&str> {
        None
    }

    fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.root.join(name)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn holds(&self, name: &str) -> bool {
        self.root.join(name).is_file()
    }

    fn list(&self, dir: &str) -> io::Result<Listing> {
        let base = self.root.join(dir);
        if !base.exists() {
            return Ok(Listing::Missing);
        }
        if !base.is_dir() {
            return Ok(Listing::File);
        }
        let mut files = Vec::new();
        let mut unreadable = Vec::new();
        let walk = walkdir::WalkDir::new(&base)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walk {
            match entry {
                Ok(e) if e.file_type().is_file() => files.push(relative_name(&self.root, e.path())),
                Ok(_) => {}
                Err(e) => {
                    let folder = e
                        .path()
                        .map_or(dir.to_string(), |p| relative_name(&self.root, p));
                    let why = e
                        .io_error()
                        .map_or_else(|| e.to_string(), super::files::reason);
                    unreadable.push((folder, why));
                }
            }
        }
        files.sort();
        Ok(Listing::Folder { files, unreadable })
    }
}

fn relative_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Files held in memory (tests, and policies built by a program).
#[derive(Debug, Clone, Default)]
pub struct Memory {
    files: BTreeMap<String, Vec<u8>>,
}

impl Memory {
    /// No files yet.
    pub fn new() -> Self {
        Memory::default()
    }

    /// Adds (or replaces) the file `name`.
    pub fn with(mut self, name: &str, text: impl Into<Vec<u8>>) -> Self {
        self.files.insert(name.to_string(), text.into());
        self
    }
}

impl FileSource for Memory {
    fn label(&self) -> Option<&str> {
        None
    }

    fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        Ok(self.files.get(name).cloned())
    }

    fn holds(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }

    fn list(&self, dir: &str) -> io::Result<Listing> {
        Ok(listing(dir, self.files.keys().map(String::as_str)))
    }
}

/// The listing of `dir` among the file names `names`.
fn listing<'a>(dir: &str, names: impl Iterator<Item = &'a str>) -> Listing {
    let prefix = format!("{}/", dir.trim_end_matches('/'));
    let mut files = Vec::new();
    for name in names {
        if name == dir {
            return Listing::File;
        }
        if let Some(rest) = name.strip_prefix(&prefix) {
            if !rest.split('/').any(|part| part.starts_with('.')) {
                files.push(name.to_string());
            }
        }
    }
    if files.is_empty() {
        return Listing::Missing;
    }
    files.sort();
    Listing::Folder {
        files,
        unreadable: Vec::new(),
    }
}

/// The workspace as it stood at a git revision: the files of the commit's tree below the
/// workspace folder, read from the repository's objects.
#[derive(Debug, Clone)]
pub struct GitRevision {
    /// The revision as the user wrote it (`HEAD~1`, `main`, a commit id): diagnostics name it.
    revision: String,
    /// The repository's top folder.
    top: PathBuf,
    /// File name in the workspace -> blob id.
    blobs: BTreeMap<String, String>,
}

/// Why a git revision could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitError {
    /// What went wrong, in a sentence.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl GitRevision {
    /// The workspace folder `root` as it stood at `revision` of the git repository holding it.
    pub fn open(root: &Path, revision: &str) -> Result<Self, GitError> {
        let not_a_repo = |why: String| {
            GitError {
            message: format!(
                "cannot read revision `{revision}`: {} is not in a git repository ({why})",
                root.display()
            ),
            help: "compare two folders with --base-dir DIR instead, or run `git init` and commit the workspace".to_string(),
        }
        };
        let top = git(root, &["rev-parse", "--show-toplevel"]).map_err(not_a_repo)?;
        let prefix = git(root, &["rev-parse", "--show-prefix"]).map_err(not_a_repo)?;
        let top = PathBuf::from(top.trim_end_matches(['\n', '\r']));
        let prefix = prefix.trim_end_matches(['\n', '\r']).to_string();
        let commit = git(
            root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &format!("{revision}^{{commit}}"),
            ],
        )
        .map_err(|_| GitError {
            message: format!(
                "`{revision}` is not a commit of the repository at {}",
                top.display()
            ),
            help:
                "name a commit, branch or tag (`git log --oneline` lists them), e.g. HEAD~1 or main"
                    .to_string(),
        })?;
        let commit = commit.trim().to_string();
        let mut args = vec!["ls-tree", "-r", "-z", "--full-tree", &commit];
        let pathspec = format!(":(literal){prefix}");
        if !prefix.is_empty() {
            args.extend(["--", &pathspec]);
        }
        let tree = git(&top, &args).map_err(|why| GitError {
            message: format!("cannot list the files of `{revision}`: {why}"),
            help: "check that the repository is not damaged (`git fsck`)".to_string(),
        })?;
        let mut blobs = BTreeMap::new();
        for entry in tree.split('\0').filter(|e| !e.is_empty()) {
            // "<mode> <type> <id>\t<path>"
            let Some((meta, path)) = entry.split_once('\t') else {
                continue;
            };
            let mut parts = meta.split(' ');
            let (_mode, kind, id) = (parts.next(), parts.next(), parts.next());
            if kind != Some("blob") {
                continue;
            }
            if let (Some(id), Some(name)) = (id, path.strip_prefix(&prefix)) {
                blobs.insert(name.to_string(), id.to_string());
            }
        }
        if blobs.is_empty() {
            return Err(GitError {
                message: format!(
                    "the workspace folder `{}` did not exist at `{revision}`",
                    if prefix.is_empty() {
                        "."
                    } else {
                        prefix.trim_end_matches('/')
                    }
                ),
                help: "name a later revision, one where the workspace was committed".to_string(),
            });
        }
        Ok(GitRevision {
            revision: revision.to_string(),
            top,
            blobs,
        })
    }

    /// The revision as the user wrote it.
    pub fn revision(&self) -> &str {
        &self.revision
    }
}

impl FileSource for GitRevision {
    fn label(&self) -> Option<&str> {
        Some(&self.revision)
    }

    fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(id) = self.blobs.get(name) else {
            return Ok(None);
        };
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.top)
            .args(["cat-file", "blob", id])
            .output()?;
        if !out.status.success() {
            return Err(io::Error::other(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        Ok(Some(out.stdout))
    }

    fn holds(&self, name: &str) -> bool {
        self.blobs.contains_key(name)
    }

    fn list(&self, dir: &str) -> io::Result<Listing> {
        Ok(listing(dir, self.blobs.keys().map(String::as_str)))
    }
}

/// `d` with every location in a file of `source` named with the source's label in front
/// (`HEAD~1:rules/tiers.yaml`), as git names a file at a revision; locations in built-in files
/// and data files are left as they are. Unchanged for a source without a label.
pub fn name_revision(source: &dyn FileSource, mut d: Diagnostic) -> Diagnostic {
    let Some(label) = source.label() else {
        return d;
    };
    let rename = |origin: &mut Origin| {
        let name = origin.file.to_string_lossy().into_owned();
        if source.holds(&name) {
            origin.file = PathBuf::from(format!("{label}:{name}"));
        }
    };
    if let Some(origin) = &mut d.origin {
        rename(origin);
    }
    for l in &mut d.labels {
        rename(&mut l.origin);
    }
    d
}

/// The text of `file` when it names a file at a git revision (`HEAD~1:rules/tiers.yaml`) of the
/// repository holding the workspace folder `root`, for showing the source line of a diagnostic.
pub fn text_at_revision(root: &Path, file: &str) -> Option<String> {
    let (revision, name) = file.split_once(':')?;
    GitRevision::open(root, revision)
        .ok()?
        .read(name)
        .ok()
        .flatten()
        .and_then(|b| String::from_utf8(b).ok())
}

/// Runs `git ARGS` in `dir`; its standard output, or what it said on failure.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {}", super::files::reason(&e)))?;
    if out.status.success() {
        String::from_utf8(out.stdout).map_err(|_| "git printed a name that is not UTF-8".into())
    } else {
        let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Err(if said.is_empty() {
            format!("git exited with {}", out.status)
        } else {
            said
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_lists_a_folder_recursively_and_sorted() {
        let m = Memory::new()
            .with("rules/b.yaml", "x")
            .with("rules/sub/a.yaml", "y")
            .with("rules/.hidden.yaml", "z")
            .with("powerbase.yaml", "p");
        assert_eq!(
            m.list("rules").unwrap(),
            Listing::Folder {
                files: vec!["rules/b.yaml".into(), "rules/sub/a.yaml".into()],
                unreadable: vec![],
            }
        );
        assert_eq!(m.list("powerbase.yaml").unwrap(), Listing::File);
        assert_eq!(m.list("templates").unwrap(), Listing::Missing);
        assert_eq!(m.read("powerbase.yaml").unwrap(), Some(b"p".to_vec()));
        assert_eq!(m.read("nope").unwrap(), None);
    }
}
