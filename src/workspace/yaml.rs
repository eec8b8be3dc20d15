//! Policy files as YAML: parsed with serde-saphyr, whose errors are turned into sentences a
//! consultant can act on ("key `a` appears twice in this mapping (first at line 7)") instead of
//! library advice ("set DuplicateKeyPolicy in Options"). File, line and column are kept.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::granit_parser::ErrorKind;
use serde_saphyr::{
    Budget, DuplicateKeyPolicy, Error, ExternalMessageSource, MessageFormatter, Spanned,
    UserMessageFormatter,
};

use crate::error::{Diagnostic, Origin};

/// Parses the policy file `name`; a problem comes back as one [`Diagnostic`] at its place.
pub fn parse<T: DeserializeOwned>(name: &str, text: &str) -> Result<T, Diagnostic> {
    serde_saphyr::from_str::<T>(text).map_err(|err| diagnostic(name, text, &err))
}

/// The diagnostic for a YAML error in the file `name` whose text is `text`.
pub fn diagnostic(name: &str, text: &str, err: &Error) -> Diagnostic {
    let err = err.without_snippet();
    let origin = err.location().map_or_else(
        || Origin::file(name),
        |l| Origin::new(name, l.line() as u32, l.column() as u32),
    );
    let (message, help) = describe(name, text, err);
    let diagnostic = Diagnostic::at(origin, message).code(code(err));
    match help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}

/// The stable code of a YAML error: what kind of mistake it is.
fn code(err: &Error) -> &'static str {
    match err {
        Error::AliasError { error, .. } | Error::WithSnippet { error, .. } => code(error),
        Error::DuplicateMappingKey { .. } => "policy/duplicate-key",
        Error::MultipleDocuments { .. } => "policy/several-documents",
        Error::Budget { .. }
        | Error::AliasReplayLimitExceeded { .. }
        | Error::AliasExpansionLimitExceeded { .. }
        | Error::AliasReplayStackDepthExceeded { .. }
        | Error::AliasReplayCounterOverflow { .. } => "policy/too-large",
        Error::ExternalMessage { source, .. }
            if matches!(source.as_ref(), ExternalMessageSource::Parser(e)
                if matches!(e.kind(), ErrorKind::RecursionLimitExceeded)) =>
        {
            "policy/too-large"
        }
        Error::SerdeUnknownField { .. } => "policy/unknown-key",
        Error::SerdeMissingField { .. } => "policy/missing-key",
        Error::InvalidScalar { .. }
        | Error::NullIntoString { .. }
        | Error::InvalidCharNotSingleScalar { .. }
        | Error::Unexpected { .. }
        | Error::SerdeInvalidType { .. }
        | Error::SerdeInvalidValue { .. }
        | Error::SerdeInvalidLength { .. }
        | Error::SerdeUnknownVariant { .. } => "policy/bad-value",
        _ => "policy/yaml-syntax",
    }
}

/// What went wrong, in our words, and a hint when there is one.
fn describe(name: &str, text: &str, err: &Error) -> (String, Option<String>) {
    match err {
        Error::AliasError { error, .. } | Error::WithSnippet { error, .. } => {
            describe(name, text, error)
        }
        Error::DuplicateMappingKey { key, location } => {
            let key = key
                .as_deref()
                .map_or("a key".to_string(), |k| format!("key `{k}`"));
            let first = first_line_of_duplicate(text, location.line(), location.column());
            let first = first.map_or(String::new(), |line| format!(" (first at line {line})"));
            (
                format!("{key} appears twice in this mapping{first}"),
                Some("keep one of them: a key may appear only once in the same mapping".into()),
            )
        }
        Error::MultipleDocuments { .. } => (
            format!("{name} holds several YAML documents (`---`); keep one"),
            Some(
                "a `---` line starts a new document: remove it and merge what follows, or move \
                 it to a file of its own below rules/"
                    .into(),
            ),
        ),
        Error::Budget { breach, .. } => too_large(name, &budget_limit(breach)),
        Error::AliasReplayLimitExceeded { .. }
        | Error::AliasExpansionLimitExceeded { .. }
        | Error::AliasReplayStackDepthExceeded { .. }
        | Error::AliasReplayCounterOverflow { .. } => {
            too_large(name, "its aliases (`*name`) expand to too much")
        }
        Error::ExternalMessage { source, .. }
            if matches!(source.as_ref(), ExternalMessageSource::Parser(e)
                if matches!(e.kind(), ErrorKind::RecursionLimitExceeded)) =>
        {
            too_large(name, "brackets nested too deeply")
        }
        Error::InvalidScalar { ty, .. } => (format!("expected {}", kind_words(ty)), None),
        Error::NullIntoString { .. } => ("a value is missing here: expected text".into(), None),
        Error::InvalidCharNotSingleScalar { .. } => ("expected a single character".into(), None),
        Error::Unexpected { expected, .. } => (format!("expected {}", kind_words(expected)), None),
        Error::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => (
            format!(
                "expected {}, found {}",
                kind_words(expected),
                kind_words(unexpected)
            ),
            None,
        ),
        Error::SerdeUnknownVariant {
            variant, expected, ..
        } => (
            format!(
                "unknown value `{variant}`, expected one of {}",
                expected.join(", ")
            ),
            did_you_mean(variant, expected),
        ),
        Error::SerdeUnknownField {
            field, expected, ..
        } => (
            format!(
                "unknown field `{field}`, expected one of {}",
                expected.join(", ")
            ),
            did_you_mean(field, expected),
        ),
        other => (
            UserMessageFormatter.format_message(other).into_owned(),
            None,
        ),
    }
}

fn too_large(name: &str, limit: &str) -> (String, Option<String>) {
    (
        format!("{name} is too large or too deeply nested for a policy file ({limit})"),
        Some("split it into several rule files below rules/, or simplify it".into()),
    )
}

/// The limit a budget breach crossed, in words.
fn budget_limit(breach: &BudgetBreach) -> String {
    let limits = Budget::default();
    match breach {
        BudgetBreach::Depth { .. } => format!("nested more than {} levels deep", limits.max_depth),
        BudgetBreach::Nodes { .. } | BudgetBreach::Events { .. } => {
            format!(
                "more than {} values",
                crate::report::format::thousands(limits.max_nodes as i64)
            )
        }
        BudgetBreach::ScalarBytes { .. } => format!(
            "more than {} MB of text",
            limits.max_total_scalar_bytes / (1024 * 1024)
        ),
        BudgetBreach::Documents { .. } => "too many YAML documents (`---`)".into(),
        BudgetBreach::Aliases { .. }
        | BudgetBreach::Anchors { .. }
        | BudgetBreach::AliasAnchorRatio { .. }
        | BudgetBreach::RecordedAnchorEvents { .. }
        | BudgetBreach::RecordedAnchorBytes { .. } => {
            "too many aliases (`*name`) or anchors (`&name`)".into()
        }
        _ => "a size limit for policy files".into(),
    }
}

/// Serde's and the YAML parser's names of kinds of values, as a consultant would say them.
fn kind_words(kind: &str) -> String {
    let kind = kind.trim();
    let words = match kind {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number of 0 or more",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "f32" | "f64" | "a number" | "floating point" => "a number",
        "bool" | "a boolean" | "boolean" => "true or false",
        "string" | "a string" | "string scalar" | "scalar" | "a scalar" => "text",
        "sequence" | "a sequence" | "sequence start" => "a list (lines starting with `- `)",
        "map" | "a map" | "mapping" | "mapping start" => "a mapping (`key: value` lines)",
        "unit value" | "null" | "a null" => "nothing (an empty value)",
        _ if kind.starts_with("struct ") => "a mapping (`key: value` lines)",
        _ if kind.starts_with("sequence") || kind.starts_with("a sequence") => "a list",
        _ if kind.starts_with("string ") => return format!("the text {}", &kind[7..]),
        _ if kind.starts_with("integer ") => return format!("the number {}", &kind[8..]),
        _ if kind.starts_with("floating point ") => return format!("the number {}", &kind[15..]),
        _ if kind.starts_with("boolean ") => return format!("`{}`", &kind[8..]),
        _ => kind,
    };
    words.to_string()
}

fn did_you_mean(wrong: &str, expected: &[&str]) -> Option<String> {
    let candidates: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    crate::ident::closest(&candidates, wrong).map(|c| format!("did you mean `{c}`?"))
}

/// The line of the first occurrence of the key that the YAML parser found a second time at
/// (`line`, `column`), found by reading the file again and letting repeated keys through.
fn first_line_of_duplicate(text: &str, line: u64, column: u64) -> Option<u64> {
    let found = Cell::new(None);
    let options = serde_saphyr::options! { duplicate_keys: DuplicateKeyPolicy::PassThrough };
    let seed = FindFirst {
        second: (line, column),
        found: &found,
    };
    // Only `found` matters: the second reading fails where the first did or later.
    let _ = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        seed.deserialize(de)
    });
    found.get()
}

/// Walks any YAML value; in the mapping where the key at `second` repeats an earlier key, records
/// the earlier key's line.
#[derive(Clone, Copy)]
struct FindFirst<'a> {
    second: (u64, u64),
    found: &'a Cell<Option<u64>>,
}

impl<'de> DeserializeSeed<'de> for FindFirst<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FindFirst<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys: Vec<(String, u64)> = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let at = (key.referenced.line(), key.referenced.column());
            if at == self.second {
                if let Some((_, line)) = keys.iter().find(|(k, _)| *k == key.value) {
                    self.found.set(Some(*line));
                }
            }
            keys.push((key.value, at.0));
            map.next_value_seed(self)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Any {
        #[serde(default)]
        params: indexmap::IndexMap<String, i64>,
        #[serde(default)]
        top: Option<usize>,
        #[serde(default)]
        x: Option<serde::de::IgnoredAny>,
    }

    fn message(text: &str) -> Diagnostic {
        parse::<Any>("powerbase.yaml", text).unwrap_err()
    }

    #[test]
    fn a_repeated_key_names_its_first_line() {
        let d = message("params:\n  a: 1\n  b: 2\n  a: 3\n");
        assert_eq!(
            d.message,
            "key `a` appears twice in this mapping (first at line 2)"
        );
        assert_eq!(d.origin, Some(Origin::new("powerbase.yaml", 4, 3)));
    }

    #[test]
    fn a_repeated_top_level_key_is_found_too() {
        let d = message("top: 1\nparams:\n  a: 1\ntop: 2\n");
        assert_eq!(
            d.message,
            "key `top` appears twice in this mapping (first at line 1)"
        );
    }

    #[test]
    fn several_documents_ask_to_keep_one() {
        let d = message("top: 1\n---\ntop: 2\n");
        assert_eq!(
            d.message,
            "powerbase.yaml holds several YAML documents (`---`); keep one"
        );
        assert_eq!(
            d.origin.unwrap().line,
            3,
            "where the second document starts"
        );
    }

    #[test]
    fn deep_nesting_is_too_large_for_a_policy_file() {
        let deep = format!("top: 1\nx: {}{}\n", "[".repeat(100), "]".repeat(100));
        let d = message(&deep);
        assert!(
            d.message.starts_with(
                "powerbase.yaml is too large or too deeply nested for a policy file ("
            ),
            "{}",
            d.message
        );
        assert!(!d.message.contains("budget"), "{}", d.message);
        let deeper = format!("x: {}{}\n", "[".repeat(2000), "]".repeat(2000));
        assert!(message(&deeper).message.contains("too deeply nested"));
    }

    #[test]
    fn wrong_kinds_are_named_in_words() {
        let d = message("top: abc\n");
        assert_eq!(d.message, "expected a whole number of 0 or more");
        let d = message("params: [1]\n");
        assert!(d.message.starts_with("expected a mapping"), "{}", d.message);
    }

    #[test]
    fn unknown_keys_suggest_the_closest() {
        let d = message("parms: {}\n");
        assert!(
            d.message.starts_with("unknown field `parms`"),
            "{}",
            d.message
        );
        assert_eq!(d.help.as_deref(), Some("did you mean `params`?"));
    }
}
