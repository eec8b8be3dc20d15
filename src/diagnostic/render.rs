//! Renderers for diagnostics: for people ([`human`]: the source line with a caret under the
//! place, as rustc and ruff print it) and for editors and CI ([`json()`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::{Diagnostic, Origin};

/// The lines of the files diagnostics point into, by the name they use. Asked only while
/// rendering, so an implementation may read files on demand.
pub trait Sources {
    /// Line `line` (1-based) of `file`, without its line break, if known.
    fn line(&self, file: &Path, line: u32) -> Option<String>;
}

/// Line `n` (1-based) of `text`.
fn nth(text: &str, n: u32) -> Option<String> {
    let i = usize::try_from(n).ok()?.checked_sub(1)?;
    text.lines().nth(i).map(str::to_string)
}

/// Source texts kept in memory.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: BTreeMap<PathBuf, String>,
}

impl SourceMap {
    /// Keeps `text` as the contents of `file`.
    pub fn insert(&mut self, file: impl Into<PathBuf>, text: impl Into<String>) {
        self.files.insert(file.into(), text.into());
    }
}

impl Sources for SourceMap {
    fn line(&self, file: &Path, line: u32) -> Option<String> {
        nth(self.files.get(file)?, line)
    }
}

/// Lines known without reading their file: the rows of a data file as they were decoded from
/// its `encoding:` (a Windows-1252 export shows `ü`, not the byte on disk).
#[derive(Debug, Clone, Default)]
pub struct Lines {
    lines: BTreeMap<(PathBuf, u32), String>,
}

impl Lines {
    /// Keeps `text` as line `line` (1-based) of `file`.
    pub fn insert(&mut self, file: impl Into<PathBuf>, line: u32, text: impl Into<String>) {
        self.lines.insert((file.into(), line), text.into());
    }
}

impl Sources for Lines {
    fn line(&self, file: &Path, line: u32) -> Option<String> {
        self.lines.get(&(file.to_path_buf(), line)).cloned()
    }
}

/// Two sources asked in turn: the first that knows a line answers.
pub struct Layered<'a>(pub &'a dyn Sources, pub &'a dyn Sources);

impl Sources for Layered<'_> {
    fn line(&self, file: &Path, line: u32) -> Option<String> {
        self.0.line(file, line).or_else(|| self.1.line(file, line))
    }
}

/// No sources: locations only.
impl Sources for () {
    fn line(&self, _: &Path, _: u32) -> Option<String> {
        None
    }
}

/// The files of a workspace folder as they are on disk (data files included: a bad cell shows
/// its line), the built-in rule files (`builtin/...`) and templates, read when a diagnostic points
/// into them.
#[derive(Debug, Clone)]
pub struct WorkspaceSources {
    /// The workspace folder.
    pub root: PathBuf,
}

impl Sources for WorkspaceSources {
    fn line(&self, file: &Path, line: u32) -> Option<String> {
        let name = file.to_str()?;
        if name.starts_with("builtin/") {
            let text = match crate::workspace::builtin::rule_file(name) {
                Some((_, text)) => text,
                None => crate::workspace::builtin::templates()
                    .into_iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, t)| t)?,
            };
            return nth(text, line);
        }
        let path = self.root.join(file);
        if path.is_file() {
            return file_line(&path, line);
        }
        let template = self.root.join("templates").join(file);
        if template.is_file() {
            return file_line(&template, line);
        }
        // A file at a git revision: `HEAD~1:rules/tiers.yaml`.
        nth(
            &crate::workspace::source::text_at_revision(&self.root, name)?,
            line,
        )
    }
}

/// Bytes of a line kept at most when reading a file: enough for [`MAX_LINE`] characters around
/// any caret a diagnostic can place in a long line of a data file.
const LINE_BYTES: usize = 64 * 1024;

/// Line `n` (1-based) of the file at `path`, read up to that line without keeping the lines
/// before it (a bad cell can be on line ten million of a data file); bytes that are not UTF-8
/// show as `<HH>`.
fn file_line(path: &Path, n: u32) -> Option<String> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::new(std::fs::File::open(path).ok()?);
    let mut current = 1u32;
    let mut kept: Vec<u8> = Vec::new();
    loop {
        let buf = reader.fill_buf().ok()?;
        if buf.is_empty() {
            // The end of the file: the last line may have no line break.
            return (current == n && !kept.is_empty()).then(|| decode(&kept));
        }
        let newline = buf.iter().position(|&b| b == b'\n');
        let chunk = &buf[..newline.unwrap_or(buf.len())];
        if current == n {
            let room = LINE_BYTES.saturating_sub(kept.len());
            kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        let used = newline.map_or(buf.len(), |i| i + 1);
        reader.consume(used);
        if newline.is_some() {
            if current == n {
                return Some(decode(&kept));
            }
            current += 1;
        }
    }
}

fn decode(bytes: &[u8]) -> String {
    super::escaped(bytes).trim_end_matches('\r').to_string()
}

/// Characters of a source line shown at most; longer lines are cut around the caret.
const MAX_LINE: usize = 120;

/// Renders diagnostics for a person:
///
/// ```text
/// error[expr/unknown-name]: tier `First`: unknown name `revenu`
///   --> powerbase.yaml:12:11
///    |
/// 12 |     when: revenu >= 500
///    |           ^^^^^^
///    = help: did you mean `revenue`?
/// ```
pub fn human(diagnostics: &[Diagnostic], sources: &dyn Sources) -> String {
    let mut out = String::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        one(&mut out, d, sources);
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.level == super::Level::Error)
        .count();
    if errors > 1 {
        let _ = writeln!(out, "\n{errors} problems found");
    }
    out
}

fn one(out: &mut String, d: &Diagnostic, sources: &dyn Sources) {
    if d.code == super::UNCLASSIFIED || d.code == "usage" {
        let _ = writeln!(out, "{}: {}", d.level, d.message);
    } else {
        let _ = writeln!(out, "{}[{}]: {}", d.level, d.code, d.message);
    }
    let mut places: Vec<(&Origin, Option<&str>, char)> = Vec::new();
    if let Some(o) = &d.origin {
        places.push((o, None, '^'));
    }
    for l in &d.labels {
        places.push((&l.origin, Some(l.message.as_str()), '-'));
    }
    let width = places
        .iter()
        .map(|(o, _, _)| o.line.to_string().len())
        .max()
        .unwrap_or(1);
    let pad = " ".repeat(width);
    for (k, (origin, label, mark)) in places.iter().enumerate() {
        let arrow = if k == 0 && d.origin.is_some() {
            "-->"
        } else {
            ":::"
        };
        let _ = writeln!(out, "{pad}{arrow} {origin}");
        match snippet(origin, sources) {
            Some((line, col, len)) => {
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{:>width$} | {line}", origin.line);
                let under: String = std::iter::repeat_n(*mark, len).collect();
                let text = label.map(|l| format!(" {l}")).unwrap_or_default();
                let _ = writeln!(out, "{pad} | {}{under}{text}", " ".repeat(col));
            }
            None => {
                if let Some(l) = label {
                    let _ = writeln!(out, "{pad} = {l}");
                }
            }
        }
    }
    if let Some(help) = &d.help {
        let mut lines = help.lines();
        if let Some(first) = lines.next() {
            let _ = writeln!(out, "{pad} = help: {first}");
        }
        for rest in lines {
            let _ = writeln!(out, "{pad}         {rest}");
        }
    }
}

/// The source line at `origin` (cut to [`MAX_LINE`] characters around the place), the caret's
/// offset in characters and the length of the token it underlines.
fn snippet(origin: &Origin, sources: &dyn Sources) -> Option<(String, usize, usize)> {
    if origin.line == 0 {
        return None;
    }
    let line: Vec<char> = sources
        .line(&origin.file, origin.line)?
        .trim_end()
        .chars()
        .collect();
    let col = (origin.column.max(1) as usize - 1).min(line.len());
    let len = token_len(&line[col..]);
    // Cut long lines so the place stays visible.
    let start = if line.len() <= MAX_LINE {
        0
    } else {
        col.saturating_sub(MAX_LINE / 2).min(line.len())
    };
    let end = (start + MAX_LINE).min(line.len());
    let shown: String = line[start..end].iter().collect();
    let (shown, col) = if start > 0 {
        (format!("…{shown}"), col - start + 1)
    } else {
        (shown, col)
    };
    Some((shown, col, len.clamp(1, MAX_LINE)))
}

/// How many characters the token starting `rest` spans: a name or number, a quoted string, or one
/// character.
fn token_len(rest: &[char]) -> usize {
    match rest.first() {
        None => 1,
        Some(&q @ ('"' | '\'')) => rest[1..]
            .iter()
            .position(|&c| c == q)
            .map_or(rest.len(), |p| p + 2),
        Some(c) if c.is_alphanumeric() || *c == '_' => rest
            .iter()
            .take_while(|c| c.is_alphanumeric() || **c == '_' || **c == '.')
            .count(),
        Some(_) => 1,
    }
}

/// The diagnostics as a JSON array of objects with `code`, `severity`, `message`, `file`, `line`,
/// `column`, `help` and `labels` (each with `file`, `line`, `column`, `message`); unknown values are
/// `null`.
pub fn json(diagnostics: &[Diagnostic]) -> String {
    let place = |o: Option<&Origin>| {
        let o = o.filter(|o| !o.file.as_os_str().is_empty());
        (
            o.map(|o| o.file.to_string_lossy().replace('\\', "/")),
            o.and_then(|o| (o.line > 0).then_some(o.line)),
            o.and_then(|o| (o.column > 0).then_some(o.column)),
        )
    };
    let items: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let (file, line, column) = place(d.origin.as_ref());
            let labels: Vec<Value> = d
                .labels
                .iter()
                .map(|l| {
                    let (file, line, column) = place(Some(&l.origin));
                    json!({ "file": file, "line": line, "column": column, "message": l.message })
                })
                .collect();
            json!({
                "code": d.code,
                "severity": d.level,
                "message": d.message,
                "file": file,
                "line": line,
                "column": column,
                "help": d.help,
                "labels": labels,
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&items).expect("JSON of plain values");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> SourceMap {
        let mut m = SourceMap::default();
        m.insert(
            "powerbase.yaml",
            "client: A\ntiers:\n  - name: First\n    when: revenu >= 500\n",
        );
        m
    }

    #[test]
    fn bytes_that_are_not_utf8_are_written_as_hex_and_known_lines_come_first() {
        assert_eq!(super::super::escaped(b"K\xE4-1"), "K<E4>-1");
        assert_eq!(super::super::escaped("Kö".as_bytes()), "Kö");
        let mut known = Lines::default();
        known.insert("data/a.csv", 2, "Stück");
        let both = Layered(&known, &sources());
        assert_eq!(
            both.line(Path::new("data/a.csv"), 2).as_deref(),
            Some("Stück")
        );
        assert_eq!(both.line(Path::new("data/a.csv"), 3), None);
        assert_eq!(
            both.line(Path::new("powerbase.yaml"), 1).as_deref(),
            Some("client: A")
        );
    }

    fn unknown_name() -> Diagnostic {
        Diagnostic::at(
            Origin::new("powerbase.yaml", 4, 11),
            "tier `First`: unknown name `revenu`",
        )
        .code("expr/unknown-name")
        .with_help("did you mean `revenue`?")
    }

    #[test]
    fn human_shows_the_line_with_a_caret_under_the_token() {
        let text = human(&[unknown_name()], &sources());
        assert_eq!(
            text,
            "error[expr/unknown-name]: tier `First`: unknown name `revenu`\n \
             --> powerbase.yaml:4:11\n  |\n4 |     when: revenu >= 500\n  |           ^^^^^^\n  \
             = help: did you mean `revenue`?\n"
        );
    }

    #[test]
    fn secondary_labels_and_missing_sources() {
        let d = Diagnostic::at(
            Origin::new("rules/b.yaml", 2, 3),
            "param `x` is defined twice",
        )
        .code("policy/duplicate-name")
        .with_label(Origin::new("powerbase.yaml", 1, 1), "first defined here");
        let text = human(&[d.clone(), d], &sources());
        // No source for rules/b.yaml: location only; powerbase.yaml's line is shown with dashes.
        assert!(text.contains(" --> rules/b.yaml:2:3\n"), "{text}");
        assert!(text.contains("1 | client: A\n"), "{text}");
        assert!(text.contains("  | ------ first defined here\n"), "{text}");
        assert!(text.ends_with("\n2 problems found\n"), "{text}");
    }

    #[test]
    fn json_has_the_documented_fields() {
        let v: Value =
            serde_json::from_str(&json(&[unknown_name(), Diagnostic::new("x")])).unwrap();
        assert_eq!(v[0]["code"], "expr/unknown-name");
        assert_eq!(v[0]["severity"], "error");
        assert_eq!(v[0]["file"], "powerbase.yaml");
        assert_eq!(v[0]["line"], 4);
        assert_eq!(v[0]["column"], 11);
        assert_eq!(v[0]["help"], "did you mean `revenue`?");
        assert_eq!(v[1]["file"], Value::Null);
        assert_eq!(v[1]["line"], Value::Null);
        assert_eq!(v[1]["code"], crate::diagnostic::UNCLASSIFIED);
    }

    #[test]
    fn a_line_of_a_file_is_read_without_keeping_the_lines_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let mut text = String::from("id,amount\r\n");
        for i in 0..20_000 {
            text.push_str(&format!("c{i},{i}.00\r\n"));
        }
        text.push_str(&"x".repeat(LINE_BYTES * 2));
        text.push_str("\nlast");
        std::fs::write(&path, text).unwrap();
        assert_eq!(file_line(&path, 1).as_deref(), Some("id,amount"));
        assert_eq!(file_line(&path, 15_002).as_deref(), Some("c15000,15000.00"));
        assert_eq!(file_line(&path, 20_002).unwrap().len(), LINE_BYTES);
        assert_eq!(file_line(&path, 20_003).as_deref(), Some("last"));
        assert_eq!(file_line(&path, 20_004), None);
        let sources = WorkspaceSources {
            root: dir.path().to_path_buf(),
        };
        assert_eq!(
            sources.line(Path::new("t.csv"), 3).as_deref(),
            Some("c1,1.00")
        );
        assert!(sources
            .line(Path::new("builtin/rfm.yaml"), 1)
            .is_some_and(|l| !l.is_empty()));
    }

    #[test]
    fn long_lines_are_cut_around_the_place() {
        let mut m = SourceMap::default();
        let long = format!("{}target{}", "x ".repeat(200), " y".repeat(200));
        m.insert("f.txt", long);
        let d = Diagnostic::at(Origin::new("f.txt", 1, 401), "here");
        let text = human(&[d], &m);
        let caret_line = text.lines().find(|l| l.contains('^')).unwrap();
        let src_line = text.lines().find(|l| l.contains("target")).unwrap();
        let caret = caret_line.chars().position(|c| c == '^').unwrap();
        let under: String = src_line.chars().skip(caret).take(6).collect();
        assert_eq!(under, "target", "{text}");
        assert!(src_line.chars().count() < 140);
        // A line that fits is shown whole, whatever the column.
        let fits = format!("{}amount", " ".repeat(100));
        m.insert("g.txt", fits.clone());
        let text = human(&[Diagnostic::at(Origin::new("g.txt", 1, 101), "here")], &m);
        assert!(text.contains(&format!("1 | {fits}\n")), "{text}");
        assert!(!text.contains('…'), "{text}");
    }
}
