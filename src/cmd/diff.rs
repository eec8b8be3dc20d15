//! `powerbase diff [WORKSPACE] --base REV [--head REV]`: the policy as it stood at two git
//! revisions (or in two folders, or with `--set` overrides) evaluated on the same data, and what
//! the change does to the customers. Markdown on standard output, `--format json`, or diff.md,
//! diff.pdf and diff.json in `--out DIR`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use powerbase::data::{DataPath, Day};
use powerbase::pipeline::compare::{compare, DataFrom};
use powerbase::pipeline::{Prepare, Prepared};
use powerbase::report::diff::{build, Sides};
use powerbase::workspace::overrides::Override;
use powerbase::workspace::source::Listing;
use powerbase::workspace::{changes, FileSource, Folder, GitRevision, Workspace};
use powerbase::{Error, Result};

use super::progress::Bar;
use super::OutputFormat;

/// What `powerbase diff` compares.
#[derive(Debug, Clone, Default)]
pub struct DiffArgs {
    /// The workspace folder (the head's policy when no `head` revision is given).
    pub workspace: PathBuf,
    /// The base revision.
    pub base: Option<String>,
    /// The head revision (default: the working tree).
    pub head: Option<String>,
    /// A folder holding the base policy, instead of a revision.
    pub base_dir: Option<PathBuf>,
    /// Overrides applied to the head.
    pub set: Vec<Override>,
    /// Whose data files both are evaluated on.
    pub data_from: DataFrom,
    /// The as-of date of both evaluations.
    pub as_of: Option<Day>,
    /// Where to write diff.md, diff.pdf and diff.json.
    pub out: Option<PathBuf>,
}

/// Runs the comparison and prints or writes it.
pub fn diff(args: &DiffArgs, format: OutputFormat) -> Result<()> {
    let root = args.workspace.as_path();
    let (base_source, base_label) = base_source(args)?;
    let (head_source, mut head_label): (Arc<dyn FileSource>, String) = match &args.head {
        Some(rev) => (Arc::new(open_revision(root, rev)?), rev.clone()),
        None => (Arc::new(Folder::new(root)), "working tree".to_string()),
    };
    if !args.set.is_empty() {
        let set: Vec<String> = args.set.iter().map(ToString::to_string).collect();
        head_label = match (&args.base, &args.base_dir, &args.head) {
            (None, None, None) => set.join(", "),
            _ => format!("{head_label} with {}", set.join(", ")),
        };
    }
    // With --data-from base and a base revision, its data files are taken out of git into a
    // folder of our own, read there and removed after.
    let extracted = match (args.data_from, &args.base_dir) {
        (DataFrom::Base, None) => Some(Extracted::new(&base_source)?),
        _ => None,
    };
    let data_root: &Path = match (args.data_from, &args.base_dir, &extracted) {
        (DataFrom::Base, Some(dir), _) => dir,
        (DataFrom::Base, None, Some(x)) => &x.dir,
        _ => root,
    };
    let head = Prepare {
        source: head_source,
        root: data_root,
        overrides: &args.set,
        reuse: None,
    }
    .prepare()?;
    let base = Prepare {
        source: base_source,
        root: data_root,
        overrides: &[],
        reuse: Some(&head),
    };
    let base = match &extracted {
        Some(x) => base.prepare_loaded(x.workspace.clone())?,
        None => base.prepare()?,
    };
    if let Some(out) = &args.out {
        powerbase::report::output::check_out_dir(out, root, &head.inputs())?;
    }
    let bar = Bar::new(format == OutputFormat::Json || args.out.is_some());
    let comparison = compare(&base, &head, args.data_from, args.as_of, Some(&bar));
    bar.finish();
    let comparison = comparison?;
    drop(extracted);
    let model = build(
        Sides {
            base: (base_label, &base.workspace.policy),
            head: (head_label, &head.workspace.policy),
        },
        &comparison,
        changes::changes(&base.workspace, &head.workspace),
        match args.data_from {
            DataFrom::Head => "head",
            DataFrom::Base => "base",
        },
    );
    match (&args.out, format) {
        (Some(out), _) => write_out(out, root, &head, &model),
        (None, OutputFormat::Json) => print(&model.to_json()),
        (None, OutputFormat::Human) => print(model.to_markdown().as_bytes()),
    }
}

fn print(bytes: &[u8]) -> Result<()> {
    std::io::stdout()
        .lock()
        .write_all(bytes)
        .map_err(super::stdout_error)
}

/// The base's policy files and how the report names them.
fn base_source(args: &DiffArgs) -> Result<(Arc<dyn FileSource>, String)> {
    match (&args.base, &args.base_dir) {
        (Some(_), Some(_)) => Err(Error::Usage(
            "give the base either as --base REV or as --base-dir DIR, not both".into(),
        )),
        (Some(rev), None) => Ok((
            Arc::new(open_revision(&args.workspace, rev)?),
            rev.clone(),
        )),
        (None, Some(dir)) => {
            if !dir.join(powerbase::workspace::POLICY_FILE).is_file() {
                return Err(Error::Usage(format!(
                    "--base-dir {}: no {} there; name the folder of the policy to compare with",
                    dir.display(),
                    powerbase::workspace::POLICY_FILE
                )));
            }
            Ok((Arc::new(Folder::new(dir)), dir.display().to_string()))
        }
        (None, None) if !args.set.is_empty() => Ok((
            Arc::new(Folder::new(&args.workspace)),
            "the current policy".to_string(),
        )),
        (None, None) => Err(Error::Usage(
            "diff needs a base: --base REV (a git revision, e.g. HEAD~1), --base-dir DIR, or --set KEY=VALUE to compare with the policy as it is".into(),
        )),
    }
}

fn open_revision(root: &Path, rev: &str) -> Result<GitRevision> {
    GitRevision::open(root, rev).map_err(|e| Error::Usage(format!("{}; {}", e.message, e.help)))
}

/// Writes diff.md, diff.pdf and diff.json into `out` in one step and says so.
fn write_out(
    out: &Path,
    root: &Path,
    head: &Prepared,
    model: &powerbase::report::diff::PolicyDiff,
) -> Result<()> {
    let (files, mut notes) = model.files()?;
    powerbase::report::output::check_placement(out, root, &head.inputs())?;
    notes.extend(powerbase::report::write_atomically(out, &files, &|_| {})?);
    let mut err = std::io::stderr().lock();
    for n in notes {
        writeln!(err, "warning: {n}").map_err(super::stderr_error)?;
    }
    let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    print(format!("wrote {} ({})\n", out.display(), names.join(", ")).as_bytes())
}

/// The base revision's data files, copied out of git into a folder powerbase made and removes
/// when done (the data loader reads files; the user's working tree is not touched), with the base
/// workspace loaded once, its data paths relative to that folder.
struct Extracted {
    dir: PathBuf,
    workspace: Workspace,
}

impl Extracted {
    fn new(source: &Arc<dyn FileSource>) -> Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("powerbase-diff-{}-{nanos}", std::process::id()));
        let workspace = powerbase::workspace::load_from(source.clone(), &dir)
            .map_err(|e| Error::Workspace(e.problems))?;
        let made = Extracted { dir, workspace };
        let policy = &made.workspace.policy;
        let label = source.label().unwrap_or("the base");
        let paths = std::iter::once(&policy.transactions.path)
            .chain(policy.customers.iter().map(|c| &c.path))
            .flat_map(|p| p.entries());
        for path in paths.filter(|p| p.is_relative()) {
            if DataPath::is_glob(path) {
                made.copy_glob(source.as_ref(), path, label)?;
            } else {
                made.copy_out(source.as_ref(), path, label)?;
            }
        }
        Ok(made)
    }

    /// Copies the data files matching the glob `pattern` (relative to the workspace) out of
    /// `source`; a glob that matches none there is an error.
    fn copy_glob(&self, source: &dyn FileSource, pattern: &Path, label: &str) -> Result<()> {
        let text = pattern.to_string_lossy().replace('\\', "/");
        let matcher = glob::Pattern::new(&text)
            .map_err(|e| Error::Usage(format!("{text} is not a valid glob: {e}")))?;
        // The folder above the first part with a glob character.
        let dir = text
            .split('/')
            .take_while(|part| !part.contains(['*', '?', '[']))
            .collect::<Vec<_>>()
            .join("/");
        let io = |e: std::io::Error| Error::Output {
            path: self.dir.join(&dir),
            source: e,
        };
        let files = match source.list(&dir).map_err(io)? {
            Listing::Folder { files, .. } => files,
            _ => Vec::new(),
        };
        let options = glob::MatchOptions {
            require_literal_separator: true,
            ..glob::MatchOptions::new()
        };
        let hits: Vec<&String> = files
            .iter()
            .filter(|f| matcher.matches_with(f, options))
            .collect();
        if hits.is_empty() {
            return Err(Error::Usage(format!(
                "{text} matches no file committed at {label}, so --data-from base cannot read the data; commit the data files or leave --data-from out"
            )));
        }
        for hit in hits {
            self.copy_out(source, Path::new(hit), label)?;
        }
        Ok(())
    }

    /// Copies the data file `path` (relative to the workspace) out of `source`.
    fn copy_out(&self, source: &dyn FileSource, path: &Path, label: &str) -> Result<()> {
        if !path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
        {
            return Err(Error::Usage(format!(
                "{} lies outside the workspace, so --data-from base cannot take it from git; leave --data-from out",
                path.display()
            )));
        }
        let name = path
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let target = self.dir.join(path);
        let io = |e: std::io::Error| Error::Output {
            path: target.clone(),
            source: e,
        };
        let bytes = source.read(&name).map_err(io)?.ok_or_else(|| {
            Error::Usage(format!(
                "{name} is not committed at {label}, so --data-from base cannot read it; commit the data file or leave --data-from out"
            ))
        })?;
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&target, bytes).map_err(io)
    }
}

impl Drop for Extracted {
    fn drop(&mut self) {
        // Only this folder, which this process made.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
