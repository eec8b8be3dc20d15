//! Provenance: which powerbase, which version of the policy (its git commit and whether the
//! workspace had uncommitted changes), which overrides and which data files (by SHA-256) made a set
//! of outputs. A board pack can then be traced back to the exact inputs that produced it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Where the outputs came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The powerbase version that ran.
    pub powerbase: String,
    /// The policy's version in git.
    pub policy: PolicyVersion,
    /// Overrides given on the command line (`--set KEY=VALUE`), in order.
    pub overrides: Vec<String>,
    /// Every data file read, with its SHA-256.
    pub data_files: Vec<DataFile>,
}

/// The state of the workspace in git.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PolicyVersion {
    /// The workspace is in a git repository.
    Git {
        /// The commit checked out (`HEAD`), in full.
        commit: String,
        /// Whether files of the workspace differ from that commit (or are untracked).
        uncommitted_changes: bool,
    },
    /// No git repository holds the workspace (or git is not installed).
    NotInGit,
}

impl PolicyVersion {
    /// One line for a report: `commit 1a2b3c4d (uncommitted changes)` or `not in git`.
    pub fn describe(&self) -> String {
        match self {
            PolicyVersion::Git {
                commit,
                uncommitted_changes,
            } => {
                let short = &commit[..commit.len().min(12)];
                if *uncommitted_changes {
                    format!("commit {short} with uncommitted changes")
                } else {
                    format!("commit {short}")
                }
            }
            PolicyVersion::NotInGit => "not in git".to_string(),
        }
    }
}

/// A data file and its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataFile {
    /// The path as the policy names it (relative to the workspace).
    pub path: String,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
}

/// Collects the provenance of a run of the workspace at `root` that read `data_files` (paths as
/// the policy names them, relative to `root`). A file that cannot be read is returned with its
/// error. `out` is the output folder, left out when looking
/// for uncommitted changes so that a run does not make its own workspace look changed.
pub fn collect(
    root: &Path,
    out: Option<&Path>,
    data_files: &[&Path],
    overrides: &[String],
) -> Result<Provenance, (PathBuf, std::io::Error)> {
    let mut files = Vec::with_capacity(data_files.len());
    for path in data_files {
        files.push(DataFile {
            path: path.to_string_lossy().replace('\\', "/"),
            sha256: sha256_file(&root.join(path)).map_err(|e| (path.to_path_buf(), e))?,
        });
    }
    Ok(Provenance {
        powerbase: env!("CARGO_PKG_VERSION").to_string(),
        policy: policy_version(root, out),
        overrides: overrides.to_vec(),
        data_files: files,
    })
}

/// The git state of the workspace folder, read with the `git` command; no repository, no git, or
/// a repository without commits is [`PolicyVersion::NotInGit`].
pub fn policy_version(root: &Path, out: Option<&Path>) -> PolicyVersion {
    let Some(commit) = git(root, &["rev-parse", "--verify", "--quiet", "HEAD"]) else {
        return PolicyVersion::NotInGit;
    };
    let commit = commit.trim().to_string();
    if commit.is_empty() {
        return PolicyVersion::NotInGit;
    }
    let mut args = vec![
        "status".to_string(),
        "--porcelain".to_string(),
        "--untracked-files=all".to_string(),
        "--".to_string(),
        ".".to_string(),
    ];
    let excluded = out
        .and_then(|o| o.strip_prefix(root).ok())
        .map(|rel| rel.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|| "out".to_string());
    if !excluded.is_empty() {
        args.push(format!(":(exclude){excluded}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let uncommitted_changes = git(root, &args).is_none_or(|s| !s.trim().is_empty());
    PolicyVersion::Git {
        commit,
        uncommitted_changes,
    }
}

/// Runs git in `dir`; its standard output when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// SHA-256 of a file's bytes, lower-case hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("git runs")
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn sha256_of_known_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("a.csv");
        std::fs::write(&p, b"abc").unwrap();
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn outside_git_is_not_in_git() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(policy_version(tmp.path(), None), PolicyVersion::NotInGit);
        assert_eq!(PolicyVersion::NotInGit.describe(), "not in git");
    }

    #[test]
    fn commit_and_uncommitted_changes_of_the_workspace_only() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path();
        let ws = repo.join("ws");
        std::fs::create_dir(&ws).unwrap();
        std::fs::write(ws.join("powerbase.yaml"), "client: A\n").unwrap();
        sh(repo, &["init", "-q"]);
        sh(repo, &["add", "."]);
        sh(repo, &["commit", "-q", "-m", "one"]);
        let head = git(repo, &["rev-parse", "HEAD"])
            .unwrap()
            .trim()
            .to_string();
        let clean = PolicyVersion::Git {
            commit: head.clone(),
            uncommitted_changes: false,
        };
        assert_eq!(policy_version(&ws, None), clean);
        // Outputs in the default out/ folder and changes outside the workspace do not count.
        std::fs::create_dir(ws.join("out")).unwrap();
        std::fs::write(ws.join("out/report.md"), "x").unwrap();
        std::fs::write(repo.join("elsewhere.txt"), "x").unwrap();
        assert_eq!(policy_version(&ws, None), clean);
        // An edit to the policy does.
        std::fs::write(ws.join("powerbase.yaml"), "client: B\n").unwrap();
        let dirty = policy_version(&ws, None);
        assert_eq!(
            dirty,
            PolicyVersion::Git {
                commit: head.clone(),
                uncommitted_changes: true
            }
        );
        assert_eq!(
            dirty.describe(),
            format!("commit {} with uncommitted changes", &head[..12])
        );
    }

    #[test]
    fn collect_fingerprints_every_data_file() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("data")).unwrap();
        std::fs::write(tmp.path().join("data/t.csv"), b"abc").unwrap();
        let p = collect(
            tmp.path(),
            None,
            &[Path::new("data/t.csv")],
            &["first_class_min=8000".to_string()],
        )
        .unwrap();
        assert_eq!(p.data_files.len(), 1);
        assert_eq!(p.data_files[0].path, "data/t.csv");
        assert!(p.data_files[0].sha256.starts_with("ba7816bf"));
        assert_eq!(p.overrides, vec!["first_class_min=8000".to_string()]);
        assert_eq!(p.powerbase, env!("CARGO_PKG_VERSION"));
    }
}
