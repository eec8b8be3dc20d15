//! What replacing a folder safely needs from the operating system: a lock file held with `flock`,
//! an atomic exchange of two folders (`renameat2(RENAME_EXCHANGE)` on Linux), whether a process is
//! still alive, and whether a folder is writable. Elsewhere each falls back to what std offers.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// An exclusive lock on a lock file, held until dropped. The file is removed when the lock is
/// released, so nothing stays behind; a waiter that then gets the lock on the removed file notices
/// and locks the new one instead.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    _file: File,
}

impl Lock {
    /// Takes the lock at `path`, creating the file if needed. When another process holds it,
    /// `on_wait` is called once with that process's id (when it wrote one) before waiting for it.
    pub fn acquire(path: &Path, on_wait: &dyn Fn(Option<u32>)) -> io::Result<Lock> {
        let mut told = false;
        loop {
            let mut file = open_lock_file(path)?;
            if !try_lock(&file)? {
                if !told {
                    on_wait(holder(&mut file));
                    told = true;
                }
                lock(&file)?;
            }
            if same_file(&file, path) {
                // The id is only for the message of a waiter; the lock holds without it.
                let _ = file
                    .set_len(0)
                    .and_then(|()| write!(file, "{}", std::process::id()));
                return Ok(Lock {
                    path: path.to_path_buf(),
                    _file: file,
                });
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still locked; the file handle (and with it the lock) goes right after.
        let _ = fs::remove_file(&self.path);
    }
}

fn open_lock_file(path: &Path) -> io::Result<File> {
    let rw = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path);
    match rw {
        // Someone else's lock file in a shared folder: a read-only handle locks as well.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied && path.exists() => File::open(path),
        other => other,
    }
}

/// The process id written into a lock file by its holder.
fn holder(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(unix)]
fn flock(file: &File, operation: libc::c_int) -> io::Result<bool> {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: flock on a file descriptor we own for the duration of the call.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => return Ok(false),
            _ => return Err(e),
        }
    }
}

#[cfg(unix)]
fn try_lock(file: &File) -> io::Result<bool> {
    flock(file, libc::LOCK_EX | libc::LOCK_NB)
}

#[cfg(unix)]
fn lock(file: &File) -> io::Result<()> {
    flock(file, libc::LOCK_EX).map(|_| ())
}

/// Whether the locked handle still is the file at `path` (its holder may have removed it).
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

// Without flock, no locking: concurrent runs are not serialised there.
#[cfg(not(unix))]
fn try_lock(_: &File) -> io::Result<bool> {
    Ok(true)
}

#[cfg(not(unix))]
fn lock(_: &File) -> io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

/// Swaps the folders `a` and `b` in one step. `Ok(false)` when the platform or file system cannot
/// (the caller then falls back to renaming one aside).
#[cfg(target_os = "linux")]
pub fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: two NUL-terminated paths that live across the call; the syscall only reads them.
    // Called directly so that no particular C library version is needed.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => Ok(false),
        _ => Err(e),
    }
}

/// Swaps the folders `a` and `b` in one step: not available here.
#[cfg(not(target_os = "linux"))]
pub fn exchange(_: &Path, _: &Path) -> io::Result<bool> {
    Ok(false)
}

/// Whether the process `pid` has ended or is ending: no such process, a zombie waiting for its
/// parent, or one that is exiting. The last matters: a killed process lets go of its lock file
/// while exiting, before it turns into a zombie, and a run that gets the lock right then must
/// already see it as gone.
#[cfg(target_os = "linux")]
pub fn process_gone(pid: u32) -> bool {
    if !Path::new("/proc/self/stat").exists() {
        return kill_says_gone(pid);
    }
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat_says_gone(&stat),
    }
}

/// Reads `/proc/PID/stat`: "pid (command) state ppid pgrp session tty tpgid flags ...". The
/// command may hold anything, so the fields are counted after the last ')'.
#[cfg(target_os = "linux")]
fn stat_says_gone(stat: &str) -> bool {
    /// The kernel's PF_EXITING: set when the process starts to exit.
    const EXITING: u64 = 0x4;
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return false;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let zombie = matches!(fields.first(), Some(&("Z" | "X" | "x")));
    let exiting = fields
        .get(6)
        .and_then(|f| f.parse::<u64>().ok())
        .is_some_and(|flags| flags & EXITING != 0);
    zombie || exiting
}

/// Whether the process `pid` has ended.
#[cfg(all(unix, not(target_os = "linux")))]
pub fn process_gone(pid: u32) -> bool {
    kill_says_gone(pid)
}

#[cfg(unix)]
fn kill_says_gone(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r != 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

/// Whether the process `pid` has ended: not known here, so never assumed.
#[cfg(not(unix))]
pub fn process_gone(_: u32) -> bool {
    false
}

/// Whether entries can be created and removed in the folder `dir` by this process.
#[cfg(unix)]
pub fn writable(dir: &Path) -> bool {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a NUL-terminated path that lives across the call.
    unsafe { libc::access(path.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

/// Whether entries can be created and removed in the folder `dir`.
#[cfg(not(unix))]
pub fn writable(dir: &Path) -> bool {
    fs::metadata(dir).is_ok_and(|m| !m.permissions().readonly())
}

/// Makes the entries of the folder `dir` durable (a no-op where folders cannot be synced).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_goes_with_the_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(".out.powerbase-lock");
        let lock = Lock::acquire(&path, &|_| panic!("nobody else holds it")).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            std::process::id().to_string()
        );
        drop(lock);
        assert!(!path.exists());
        let _again = Lock::acquire(&path, &|_| panic!("it was released")).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_held_lock_is_not_taken_twice() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("lock");
        let _held = Lock::acquire(&path, &|_| ()).unwrap();
        // flock locks belong to the open file, so a second handle in this process conflicts too.
        let other = open_lock_file(&path).unwrap();
        assert!(!try_lock(&other).unwrap());
        let mut other = other;
        assert_eq!(holder(&mut other), Some(std::process::id()));
    }

    #[test]
    fn this_process_is_alive_and_a_finished_child_is_gone() {
        assert!(!process_gone(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(process_gone(pid));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_unreaped_child_counts_as_gone() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let stat = format!("/proc/{}/stat", child.id());
        // Until it is waited for, it stays a zombie; wait for it to get there.
        while !fs::read_to_string(&stat).unwrap().contains(") Z") {
            std::thread::yield_now();
        }
        assert!(process_gone(child.id()));
        child.wait().unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_exiting_process_counts_as_gone() {
        let running = "42 (a) b) R 1 42 42 0 -1 4194304 0 0";
        assert!(!stat_says_gone(running));
        assert!(stat_says_gone("42 (a) b) R 1 42 42 0 -1 4194308 0 0"));
        assert!(stat_says_gone("42 (x) Z 1 42 42 0 -1 4194304 0 0"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn exchange_swaps_two_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(a.join("x"), "from a").unwrap();
        assert!(exchange(&a, &b).unwrap());
        assert_eq!(fs::read_to_string(b.join("x")).unwrap(), "from a");
        assert!(!a.join("x").exists());
    }
}
