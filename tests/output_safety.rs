//! The output folder through the binary: powerbase replaces only a folder it made itself, never the
//! workspace or anything around or inside it; a failed, killed or concurrent run loses nothing and
//! leaves nothing behind. Runs are stopped at a chosen point with the hidden test hook
//! `POWERBASE_TEST_PAUSE_AT` (the binary says on stderr when it got there), then killed.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Output, Stdio};

use powerbase::report::output::{MARKER, PAUSE_VAR};
use support::{entries, workspace};

const POLICY: &str = r#"client: Test
currency: EUR
as_of: 2024-12-31
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: id, date: day, amount: amount }
tiers:
  - name: Top
    when: revenue >= 100
  - name: Rest
"#;

const CSV: &str = "id,day,amount\na,2024-01-05,80.00\na,2024-03-01,60.50\nb,2024-03-01,10\n";

/// The files of a run: the marker and the outputs.
const OUTPUTS: [&str; 7] = [
    MARKER,
    "charts",
    "customers.csv",
    "customers.xlsx",
    "report.md",
    "report.pdf",
    "summary.json",
];

fn powerbase() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_powerbase"));
    cmd.env_remove("RAYON_NUM_THREADS").env_remove(PAUSE_VAR);
    cmd
}

fn run(ws: &Path, args: &[&str]) -> Output {
    powerbase().arg("run").arg(ws).args(args).output().unwrap()
}

fn run_ok(ws: &Path, args: &[&str]) -> Output {
    let out = run(ws, args);
    assert!(out.status.success(), "run failed: {}", stderr(&out));
    out
}

/// Runs expecting a refusal or failure; returns stderr.
fn run_err(ws: &Path, args: &[&str]) -> String {
    let out = run(ws, args);
    assert!(!out.status.success(), "run should have failed");
    stderr(&out)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn small() -> tempfile::TempDir {
    workspace(POLICY, Some(CSV), &[])
}

/// Every file and folder under `dir` with its contents (links as their target), to compare a folder
/// before and after.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut all = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
            if t.is_dir() {
                todo.push(e.path());
                all.insert(rel, None);
            } else if t.is_symlink() {
                all.insert(
                    rel,
                    Some(
                        std::fs::read_link(e.path())
                            .unwrap()
                            .into_os_string()
                            .into_encoded_bytes(),
                    ),
                );
            } else {
                all.insert(rel, Some(std::fs::read(e.path()).unwrap()));
            }
        }
    }
    all
}

fn as_of(out: &Path) -> String {
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    json["as_of"].as_str().unwrap().to_string()
}

/// A run in the background, its stderr read line by line; killed when dropped, whatever happens
/// to the test.
struct Running {
    child: Child,
    stderr: BufReader<ChildStderr>,
}

impl Running {
    fn spawn(mut cmd: Command) -> Running {
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        Running { child, stderr }
    }

    /// Starts `cmd` with the pause hook at `point` and waits until it says it got there.
    fn paused(mut cmd: Command, point: &str) -> Running {
        cmd.env(PAUSE_VAR, point);
        let mut running = Running::spawn(cmd);
        let seen = running.read_until(&format!("powerbase: paused at {point}"));
        assert!(seen.is_some(), "the run ended before {point}");
        running
    }

    /// Reads stderr until a line contains `text`; `None` if the process ends first.
    fn read_until(&mut self, text: &str) -> Option<String> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.stderr.read_line(&mut line).unwrap() == 0 {
                return None;
            }
            if line.contains(text) {
                return Some(line);
            }
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -9`, and waits for the process to be gone.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Waits for the end; whether it succeeded, and the rest of stderr.
    fn finish(mut self) -> (bool, String) {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.stderr, &mut rest).unwrap();
        (self.child.wait().unwrap().success(), rest)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_command(ws: &Path, args: &[&str]) -> Command {
    let mut cmd = powerbase();
    cmd.arg("run").arg(ws).args(args);
    cmd
}

fn paused_run(ws: &Path, args: &[&str], point: &str) -> Running {
    Running::paused(run_command(ws, args), point)
}

// ---- refusals: nothing powerbase did not write is ever replaced ----

#[test]
fn a_folder_with_someone_elses_files_is_refused_and_left_alone() {
    let ws = small();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("d");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("notes.txt"), "x").unwrap();
    let err = run_err(ws.path(), &["--out", d.to_str().unwrap()]);
    assert!(err.contains(d.to_str().unwrap()), "names the folder: {err}");
    assert!(
        err.contains("notes.txt") && err.contains("new or empty folder"),
        "{err}"
    );
    assert_eq!(entries(&d), ["notes.txt"]);
    assert_eq!(std::fs::read_to_string(d.join("notes.txt")).unwrap(), "x");
    assert_eq!(entries(tmp.path()), ["d"], "nothing left beside it");
}

#[test]
fn an_empty_folder_is_used_and_marked_and_the_marker_is_not_listed() {
    let ws = small();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("d");
    std::fs::create_dir(&d).unwrap();
    let out = run_ok(ws.path(), &["--out", d.to_str().unwrap()]);
    assert_eq!(entries(&d), OUTPUTS);
    let marker = std::fs::read_to_string(d.join(MARKER)).unwrap();
    assert!(marker.contains(env!("CARGO_PKG_VERSION")), "{marker}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let wrote = stdout.lines().find(|l| l.starts_with("wrote ")).unwrap();
    assert!(
        wrote.contains("customers.csv") && !wrote.contains(MARKER),
        "{wrote}"
    );
    // The marker lists every file written, and nothing else.
    let listed: Vec<&str> = marker.split_once("\nfiles:\n").unwrap().1.lines().collect();
    let mut written: Vec<String> = walk(&d).into_iter().filter(|f| f != MARKER).collect();
    written.sort();
    assert_eq!(listed, written);
    // Its own folder it replaces, run after run.
    run_ok(ws.path(), &["--quiet", "--out", d.to_str().unwrap()]);
    assert_eq!(entries(&d), OUTPUTS);
    assert_eq!(entries(tmp.path()), ["d"]);
}

/// Every file under `dir`, as a relative path with `/`.
fn walk(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            files.extend(walk(&path).into_iter().map(|f| format!("{name}/{f}")));
        } else {
            files.push(name);
        }
    }
    files
}

#[test]
fn a_file_added_to_our_folder_stops_the_run_and_is_kept() {
    let ws = small();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("d");
    run_ok(ws.path(), &["--quiet", "--out", d.to_str().unwrap()]);
    std::fs::write(d.join("charts").join("my-edit.svg"), "mine").unwrap();
    std::fs::write(d.join("notes.txt"), "mine too").unwrap();
    let before = snapshot(&d);
    let err = run_err(ws.path(), &["--quiet", "--out", d.to_str().unwrap()]);
    assert!(err.contains("error[output/foreign-files]"), "{err}");
    assert!(
        err.contains("2 files powerbase did not write (charts/my-edit.svg, notes.txt)"),
        "{err}"
    );
    assert_eq!(snapshot(&d), before, "nothing changed");
    assert_eq!(entries(tmp.path()), ["d"], "nothing left beside it");
    // Moved out, the folder is powerbase's again.
    std::fs::remove_file(d.join("notes.txt")).unwrap();
    std::fs::remove_file(d.join("charts").join("my-edit.svg")).unwrap();
    run_ok(ws.path(), &["--quiet", "--out", d.to_str().unwrap()]);
    assert_eq!(entries(&d), OUTPUTS);
}

#[test]
fn the_data_folder_of_the_workspace_is_refused() {
    let ws = small();
    let before = snapshot(ws.path());
    let data = ws.path().join("data");
    let err = run_err(ws.path(), &["--out", data.to_str().unwrap()]);
    assert!(
        err.contains("inside the workspace") && err.contains("data"),
        "{err}"
    );
    assert_eq!(snapshot(ws.path()), before);
}

#[test]
fn a_folder_around_the_workspace_is_refused_whatever_it_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    let ws = proj.join("ws");
    support::copy_dir(small().path(), &ws);
    std::fs::create_dir_all(proj.join(".git")).unwrap();
    std::fs::write(proj.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(proj.join("sibling.txt"), "keep").unwrap();
    // Even a marker does not make a folder around the workspace replaceable.
    std::fs::write(proj.join(MARKER), "powerbase\n").unwrap();
    let before = snapshot(tmp.path());
    let err = run_err(&ws, &["--out", proj.to_str().unwrap()]);
    assert!(err.contains("contains the workspace"), "{err}");
    // --out "$(pwd)" from the workspace's parent, and "." there.
    for out in [proj.to_str().unwrap(), "."] {
        let o = powerbase()
            .current_dir(&proj)
            .args(["run", "ws", "--out", out])
            .output()
            .unwrap();
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("contains the workspace"),
            "{}",
            stderr(&o)
        );
    }
    let err = run_err(&ws, &["--out", ws.to_str().unwrap()]);
    assert!(err.contains("the workspace folder itself"), "{err}");
    assert_eq!(snapshot(tmp.path()), before, "nothing changed");
}

#[test]
fn a_folder_inside_the_workspace_other_than_out_is_refused() {
    let ws = small();
    for inside in ["reports", "out/2024"] {
        let err = run_err(
            ws.path(),
            &["--out", ws.path().join(inside).to_str().unwrap()],
        );
        assert!(err.contains("inside the workspace"), "{inside}: {err}");
    }
    assert_eq!(entries(ws.path()), ["data", "powerbase.yaml"]);
    run_ok(
        ws.path(),
        &["--quiet", "--out", ws.path().join("out").to_str().unwrap()],
    );
    assert_eq!(entries(&ws.path().join("out")), OUTPUTS);
}

#[test]
fn an_out_naming_a_file_is_refused_and_the_file_is_untouched() {
    let ws = small();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("report.pdf");
    std::fs::write(&file, "my own pdf").unwrap();
    let err = run_err(ws.path(), &["--out", file.to_str().unwrap()]);
    assert!(err.contains("it is a file"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "my own pdf");
    assert_eq!(
        entries(tmp.path()),
        ["report.pdf"],
        "no staging, no lock left"
    );
}

#[test]
fn the_out_folder_is_refused_before_the_data_is_read() {
    let bad_csv = format!("{CSV}c,2024-07-01,12;50\n");
    let ws = workspace(POLICY, Some(&bad_csv), &[]);
    std::fs::create_dir(ws.path().join("out")).unwrap();
    std::fs::write(ws.path().join("out/notes.txt"), "x").unwrap();
    let err = run_err(ws.path(), &[]);
    assert!(
        err.contains("refusing") && err.contains("notes.txt"),
        "{err}"
    );
    assert!(!err.contains("12;50"), "the data was not read yet: {err}");
}

#[cfg(unix)]
#[test]
fn a_link_to_a_folder_is_judged_and_written_by_its_target() {
    let ws = small();
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("reports");
    std::fs::create_dir(&target).unwrap();
    let link = tmp.path().join("latest");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    for _ in 0..2 {
        run_ok(ws.path(), &["--quiet", "--out", link.to_str().unwrap()]);
    }
    assert!(
        link.symlink_metadata().unwrap().file_type().is_symlink(),
        "the link stays"
    );
    assert_eq!(entries(&target), OUTPUTS);
    assert_eq!(entries(tmp.path()), ["latest", "reports"]);
    let into_ws = tmp.path().join("into-ws");
    std::os::unix::fs::symlink(ws.path(), &into_ws).unwrap();
    let err = run_err(ws.path(), &["--out", into_ws.to_str().unwrap()]);
    assert!(err.contains("the workspace folder itself"), "{err}");
}

// ---- failures change nothing ----

/// Runs the binary as an ordinary user, so that file permissions apply even when the tests run as
/// root: everything under `tree` is handed to `nobody` first.
#[cfg(unix)]
fn as_ordinary_user(tree: &Path) -> impl Fn(&mut Command) {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        chown_tree(tree);
    }
    move |cmd: &mut Command| {
        if root {
            use std::os::unix::process::CommandExt;
            cmd.uid(65534).gid(65534);
        }
    }
}

#[cfg(unix)]
fn chown_tree(dir: &Path) {
    std::os::unix::fs::lchown(dir, Some(65534), Some(65534)).unwrap();
    if dir.is_dir() && !dir.is_symlink() {
        for e in std::fs::read_dir(dir).unwrap() {
            chown_tree(&e.unwrap().path());
        }
    }
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
#[test]
fn a_read_only_output_folder_or_parent_fails_and_changes_nothing() {
    let ws = small();
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("p");
    std::fs::create_dir(&parent).unwrap();
    let out = parent.join("out");
    run_ok(
        ws.path(),
        &[
            "--quiet",
            "--as-of",
            "2024-06-30",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let user = as_ordinary_user(tmp.path());
    let _ws_user = as_ordinary_user(ws.path());
    let before = snapshot(tmp.path());
    for read_only in [out.clone(), out.join("charts"), parent.clone()] {
        chmod(&read_only, 0o555);
        let mut cmd = powerbase();
        cmd.args(["run", "--quiet", "--out"])
            .arg(&out)
            .arg(ws.path());
        user(&mut cmd);
        let o = cmd.output().unwrap();
        chmod(&read_only, 0o755);
        assert!(!o.status.success(), "{} is read-only", read_only.display());
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{} is read-only", read_only.display())),
            "{err}"
        );
        assert_eq!(snapshot(tmp.path()), before, "nothing changed");
    }
    let mut cmd = powerbase();
    cmd.args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(ws.path());
    user(&mut cmd);
    assert!(cmd.status().unwrap().success(), "writable again, it runs");
    assert_eq!(as_of(&out), "2024-12-31");
}

// ---- kill -9 at any point: the old or the new outputs, and the next run cleans up ----

#[test]
fn a_run_killed_while_rendering_leaves_everything_as_it_was() {
    let ws = small();
    run_ok(ws.path(), &["--quiet"]);
    let before = snapshot(ws.path());
    paused_run(ws.path(), &["--quiet", "--as-of", "2024-06-30"], "render").kill();
    assert_eq!(snapshot(ws.path()), before);
}

#[test]
fn a_run_killed_while_writing_leaves_the_old_outputs_and_the_next_run_cleans_up() {
    let ws = small();
    run_ok(ws.path(), &["--quiet"]);
    let before = snapshot(&ws.path().join("out"));
    let paused = paused_run(ws.path(), &["--quiet", "--as-of", "2024-06-30"], "write");
    let staging = ws
        .path()
        .join(format!(".out.powerbase-staging-{}", paused.pid()));
    paused.kill();
    assert!(
        staging.join(MARKER).exists(),
        "killed half-way through writing {}",
        staging.display()
    );
    assert_eq!(
        snapshot(&ws.path().join("out")),
        before,
        "the old outputs are intact"
    );
    run_ok(ws.path(), &["--quiet", "--as-of", "2024-06-30"]);
    assert_eq!(
        entries(ws.path()),
        ["data", "out", "powerbase.yaml"],
        "staging removed"
    );
    assert_eq!(as_of(&ws.path().join("out")), "2024-06-30");
}

#[test]
fn a_run_killed_right_after_the_swap_leaves_the_new_outputs_and_the_next_run_cleans_up() {
    let ws = small();
    run_ok(ws.path(), &["--quiet"]);
    let paused = paused_run(ws.path(), &["--quiet", "--as-of", "2024-06-30"], "swapped");
    let staging = ws
        .path()
        .join(format!(".out.powerbase-staging-{}", paused.pid()));
    paused.kill();
    assert_eq!(
        as_of(&ws.path().join("out")),
        "2024-06-30",
        "the new outputs are in"
    );
    assert_eq!(
        as_of(&staging),
        "2024-12-31",
        "the old ones wait beside them"
    );
    assert_eq!(entries(&ws.path().join("out")), OUTPUTS);
    run_ok(ws.path(), &["--quiet"]);
    assert_eq!(entries(ws.path()), ["data", "out", "powerbase.yaml"]);
    assert_eq!(as_of(&ws.path().join("out")), "2024-12-31");
}

#[test]
fn a_staging_folder_of_a_live_process_is_left_alone() {
    let ws = small();
    let mut live = Command::new("sleep").arg("120").spawn().unwrap();
    let theirs = ws
        .path()
        .join(format!(".out.powerbase-staging-{}", live.id()));
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(theirs.join("customers.csv"), "x").unwrap();
    let result = run(ws.path(), &["--quiet"]);
    live.kill().unwrap();
    live.wait().unwrap();
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(theirs.join("customers.csv").exists());
}

// ---- concurrent runs into one folder take turns ----

#[test]
fn a_second_run_waits_for_the_first_and_cleans_up_after_it() {
    let ws = small();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("shared");
    let args = ["--out", out.to_str().unwrap()];
    // The first run holds the lock while it writes; it is killed there.
    let first = paused_run(ws.path(), &args, "write");
    let first_pid = first.pid();
    let mut second = Running::spawn(run_command(ws.path(), &args));
    let waiting = second.read_until("waiting for another powerbase run");
    assert!(
        waiting
            .as_deref()
            .is_some_and(|l| l.contains(&format!("(process {first_pid})"))),
        "the second run says what it waits for: {waiting:?}"
    );
    first.kill();
    let (ok, rest) = second.finish();
    assert!(ok, "{rest}");
    assert_eq!(
        entries(tmp.path()),
        ["shared"],
        "the first run's staging is gone"
    );
    assert_eq!(entries(&out), OUTPUTS);
}

#[test]
fn twelve_concurrent_runs_into_one_folder_all_succeed() {
    let ws = small();
    let tmp = tempfile::tempdir().unwrap();
    let reference = tmp.path().join("reference");
    run_ok(
        ws.path(),
        &["--quiet", "--out", reference.to_str().unwrap()],
    );
    let out = tmp.path().join("shared");
    let children: Vec<Child> = (0..12)
        .map(|_| {
            powerbase()
                .args(["run", "--quiet", "--out"])
                .arg(&out)
                .arg(ws.path())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(
        entries(tmp.path()),
        ["reference", "shared"],
        "no staging or lock left"
    );
    assert_eq!(snapshot(&out), snapshot(&reference));
}
