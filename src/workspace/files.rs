//! Reading the workspace's text files (policy files, scripts, templates). Each must be UTF-8 text:
//! anything else is reported with the byte, its line, column and offset, and how to fix it. A folder
//! that cannot be listed or a file that cannot be read is one problem naming it, never a silent skip.

use std::io;

use super::source::{FileSource, Listing};
use super::SourceFile;
use crate::error::{Diagnostic, Origin};

/// What an I/O error means for a consultant: "permission denied", "it does not exist", ...
pub fn reason(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "it does not exist".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::IsADirectory => "it is a folder, not a file".to_string(),
        _ => {
            // Drop the "(os error N)" suffix: the number means nothing to a reader.
            let text = err.to_string();
            match text.rfind(" (os error ") {
                Some(at) => text[..at].to_string(),
                None => text,
            }
        }
    }
}

/// Decodes the bytes of the workspace file `name` as UTF-8 text.
pub fn decode(name: &str, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Diagnostic::at(
            Origin::new(name, 1, 1),
            format!("{name} is UTF-16 text, not UTF-8"),
        )
        .code("policy/not-utf8")
        .with_help(SAVE_AS_UTF8));
    }
    String::from_utf8(bytes).map_err(|err| {
        let bytes = err.as_bytes();
        let offset = err.utf8_error().valid_up_to();
        let line_start = bytes[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line = 1 + bytes[..line_start].iter().filter(|&&b| b == b'\n').count();
        // Everything before `offset` is valid UTF-8, so the column counts characters.
        let column = 1 + std::str::from_utf8(&bytes[line_start..offset])
            .map_or(0, |s| s.chars().count());
        Diagnostic::at(
            Origin::new(name, line as u32, column as u32),
            format!(
                "{name} is not UTF-8 text: byte 0x{:02X} at line {line}, column {column} (byte offset {offset})",
                bytes[offset]
            ),
        )
        .code("policy/not-utf8")
        .with_help(SAVE_AS_UTF8)
    })
}

const SAVE_AS_UTF8: &str = "save the file as UTF-8 (in a text editor: Save As, encoding UTF-8)";

/// Reads the workspace file `name` from `source` as UTF-8 text; `Ok(None)` when there is none.
pub fn read_text(source: &dyn FileSource, name: &str) -> Result<Option<String>, Diagnostic> {
    let bytes = source.read(name).map_err(|e| {
        Diagnostic::at(
            Origin::file(name),
            format!("cannot read {name}: {}", reason(&e)),
        )
        .code("policy/unreadable")
    })?;
    bytes.map(|b| decode(name, b)).transpose()
}

/// The files below the folder `dir` of `source` whose extension is one of `extensions` (all
/// files when empty), named from the workspace with `/` separators, sorted by name. Hidden files
/// are left out. A `dir` that is not a folder, a folder that cannot be listed and a file that
/// cannot be read are each reported once.
pub fn text_files(
    source: &dyn FileSource,
    dir: &str,
    extensions: &[&str],
    problems: &mut Vec<Diagnostic>,
) -> Vec<SourceFile> {
    let unlisted = |folder: &str, why: &str| {
        Diagnostic::at(
            Origin::file(folder),
            format!("cannot list the folder {folder}: {why}"),
        )
        .code("policy/unreadable")
    };
    let (files, unreadable) = match source.list(dir) {
        Ok(Listing::Missing) => return Vec::new(),
        Ok(Listing::File) => {
            problems.push(
                Diagnostic::at(
                    Origin::file(dir),
                    format!("`{dir}` is a file, but powerbase reads {dir}/ as a folder"),
                )
                .code("policy/not-a-folder")
                .with_help(format!(
                    "rename the file, and keep the files powerbase should read in a folder named {dir}"
                )),
            );
            return Vec::new();
        }
        Ok(Listing::Folder { files, unreadable }) => (files, unreadable),
        Err(e) => {
            problems.push(unlisted(dir, &reason(&e)));
            return Vec::new();
        }
    };
    problems.extend(unreadable.iter().map(|(f, why)| unlisted(f, why)));
    let mut out = Vec::new();
    for name in files {
        let file = name.rsplit('/').next().unwrap_or(&name);
        let extension = file.rsplit_once('.').map(|(_, x)| x);
        if file.starts_with('.')
            || (!extensions.is_empty() && !extensions.iter().any(|x| Some(*x) == extension))
        {
            continue;
        }
        match read_text(source, &name) {
            Ok(Some(text)) => out.push(SourceFile { name, text }),
            Ok(None) => {}
            Err(d) => problems.push(d),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_byte_is_named_with_line_column_and_offset() {
        let bytes = b"client: X\nreport:\n  title: Caf\xE9 report\n".to_vec();
        let d = decode("powerbase.yaml", bytes).unwrap_err();
        assert_eq!(
            d.message,
            "powerbase.yaml is not UTF-8 text: byte 0xE9 at line 3, column 13 (byte offset 30)"
        );
        assert_eq!(d.origin, Some(Origin::new("powerbase.yaml", 3, 13)));
        assert!(d.help.unwrap().contains("save the file as UTF-8"));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        // "é" is two bytes in UTF-8 but one column.
        let bytes = "x: é".bytes().chain([0xFF]).collect();
        let d = decode("rules/a.yaml", bytes).unwrap_err();
        assert_eq!(d.origin, Some(Origin::new("rules/a.yaml", 1, 5)));
        assert!(d
            .message
            .contains("byte 0xFF at line 1, column 5 (byte offset 5)"));
    }

    #[test]
    fn utf16_is_named_as_such() {
        let d = decode("powerbase.yaml", vec![0xFF, 0xFE, b'c', 0]).unwrap_err();
        assert!(d.message.contains("UTF-16"), "{}", d.message);
    }

    #[test]
    fn utf8_text_passes_unchanged() {
        assert_eq!(decode("a", "Café\n".into()).unwrap(), "Café\n");
    }

    #[test]
    fn io_reasons_drop_the_os_error_number() {
        let e = io::Error::from_raw_os_error(5);
        assert!(!reason(&e).contains("os error"), "{}", reason(&e));
        assert_eq!(
            reason(&io::Error::from(io::ErrorKind::NotFound)),
            "it does not exist"
        );
    }
}
