//! The built-in rule library (`rules/`) and report templates (`report-templates/`), embedded in the
//! binary so an installed powerbase needs no repository. Both are addressed as `builtin/NAME`.

use include_dir::{include_dir, Dir};

static RULES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/rules");
static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/report-templates");

/// The prefix that names a built-in file.
pub const PREFIX: &str = "builtin/";

/// A built-in rule file by name (`builtin/rfm`, with or without `.yaml`): its canonical name and text.
pub fn rule_file(name: &str) -> Option<(String, &'static str)> {
    let bare = name.strip_prefix(PREFIX)?;
    if bare.contains('/') {
        // rules/tests/ holds the rule files' tests, not rule files.
        return None;
    }
    let file = if bare.ends_with(".yaml") {
        bare.to_string()
    } else {
        format!("{bare}.yaml")
    };
    let text = RULES.get_file(&file)?.contents_utf8()?;
    Some((format!("{PREFIX}{file}"), text))
}

/// The names of all built-in rule files, sorted (`builtin/rfm.yaml`, ...).
pub fn rule_names() -> Vec<String> {
    let mut names: Vec<String> = RULES
        .files()
        .filter_map(|f| f.path().to_str())
        .filter(|p| p.ends_with(".yaml"))
        .map(|p| format!("{PREFIX}{p}"))
        .collect();
    names.sort();
    names
}

/// The policy tests of the built-in rule files (`rules/tests/NAME.yaml`), as (the rule file's
/// name, `builtin/NAME.yaml`, and the test file's text), sorted by name.
pub fn rule_tests() -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = RULES
        .get_dir("tests")
        .into_iter()
        .flat_map(|d| d.files())
        .filter_map(|f| {
            let name = f.path().file_name()?.to_str()?;
            Some((format!("{PREFIX}{name}"), f.contents_utf8()?))
        })
        .collect();
    out.sort();
    out
}

/// All built-in templates as (`builtin/NAME`, text), sorted by name.
pub fn templates() -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    collect(&TEMPLATES, &mut out);
    out.sort();
    out
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<(String, &'static str)>) {
    for file in dir.files() {
        if let (Some(path), Some(text)) = (file.path().to_str(), file.contents_utf8()) {
            out.push((format!("{PREFIX}{path}"), text));
        }
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_files_resolve_with_or_without_extension() {
        let names = rule_names();
        assert!(!names.is_empty());
        for name in names {
            let (canonical, text) = rule_file(&name).expect("listed file resolves");
            assert_eq!(canonical, name);
            assert!(!text.is_empty());
            let bare = name.trim_end_matches(".yaml");
            assert_eq!(rule_file(bare).unwrap().0, name);
        }
        assert!(rule_file("builtin/no-such-file").is_none());
        assert!(
            rule_file("rfm").is_none(),
            "a name needs the builtin/ prefix"
        );
    }

    #[test]
    fn every_rule_file_ships_with_tests() {
        let tests: Vec<String> = rule_tests().into_iter().map(|(n, _)| n).collect();
        assert_eq!(tests, rule_names());
        assert!(rule_file("builtin/tests/rfm").is_none());
    }

    #[test]
    fn every_rule_file_explains_itself_and_its_params_in_its_header() {
        for name in rule_names() {
            let (_, text) = rule_file(&name).unwrap();
            let header: String = text
                .lines()
                .take_while(|l| l.starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                header.contains(&format!("include: [{}]", name.trim_end_matches(".yaml"))),
                "{name}: the header says how to include it"
            );
            let file: serde_json::Value = serde_saphyr::from_str(text).unwrap();
            for param in file["params"]
                .as_object()
                .into_iter()
                .flat_map(|p| p.keys())
            {
                assert!(
                    header.contains(param.as_str()),
                    "{name}: the header explains the param `{param}`"
                );
            }
        }
    }

    #[test]
    fn the_report_template_is_embedded() {
        assert!(templates().iter().any(|(n, _)| n == "builtin/report.md"));
    }
}
