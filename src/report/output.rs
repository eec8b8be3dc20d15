//! Writing the output folder as a whole: it is built beside the target and swapped in, so a failed
//! run leaves the previous outputs untouched and no stale file survives.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// One file of the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the output folder, `/`-separated (e.g. `charts/pareto.svg`).
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Output {
        path: path.to_path_buf(),
        source,
    }
}

/// Replaces the folder `dir` with exactly `files`. The new folder is written next to it first; only
/// when every file is written is the old folder moved aside and the new one renamed into place.
pub fn write_atomically(dir: &Path, files: &[OutputFile]) -> Result<(), Error> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dir
        .file_name()
        .ok_or_else(|| Error::Usage(format!("{} is not a folder name", dir.display())))?
        .to_string_lossy()
        .into_owned();
    fs::create_dir_all(&parent).map_err(io(&parent))?;
    let staging = parent.join(format!(".{name}.new-{}", std::process::id()));
    let previous = parent.join(format!(".{name}.old-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    let written = (|| {
        fs::create_dir(&staging).map_err(io(&staging))?;
        for f in files {
            let path = staging.join(&f.path);
            if let Some(p) = path.parent() {
                fs::create_dir_all(p).map_err(io(p))?;
            }
            fs::write(&path, &f.bytes).map_err(io(&path))?;
        }
        Ok(())
    })();
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    let had_previous = dir.exists();
    if had_previous {
        if let Err(e) = fs::rename(dir, &previous) {
            let _ = fs::remove_dir_all(&staging);
            return Err(io(dir)(e));
        }
    }
    if let Err(e) = fs::rename(&staging, dir) {
        if had_previous {
            let _ = fs::rename(&previous, dir);
        }
        let _ = fs::remove_dir_all(&staging);
        return Err(io(dir)(e));
    }
    if had_previous {
        fs::remove_dir_all(&previous).map_err(io(&previous))?;
    }
    Ok(())
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

    #[test]
    fn replaces_the_whole_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write_atomically(&out, &[file("a.txt", "1"), file("charts/x.svg", "<svg/>")]).unwrap();
        write_atomically(&out, &[file("b.txt", "2")]).unwrap();
        assert!(!out.join("a.txt").exists(), "no stale file survives");
        assert_eq!(fs::read_to_string(out.join("b.txt")).unwrap(), "2");
        let leftovers: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no staging folder left behind");
    }

    #[test]
    fn a_failed_write_leaves_the_previous_outputs() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write_atomically(&out, &[file("a.txt", "1")]).unwrap();
        // A file path that cannot be created: a folder and a file of the same name.
        let bad = [file("x", "1"), file("x/y", "2")];
        assert!(write_atomically(&out, &bad).is_err());
        assert_eq!(fs::read_to_string(out.join("a.txt")).unwrap(), "1");
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
