//! The shape of policy files as written by the user: `powerbase.yaml` and `rules/**/*.yaml`.
//! Unknown keys are errors, so a typo is caught where it was made.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::data::{CustomerSource, TransactionSource};

/// One policy file. `powerbase.yaml` may hold every key; rule files hold params, metrics, tiers and
/// checks (and `include`).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    pub client: Option<Spanned<String>>,
    pub currency: Option<Spanned<String>>,
    pub as_of: Option<Spanned<String>>,
    pub data: Option<Spanned<DataSection>>,
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    #[serde(default)]
    pub params: IndexMap<String, Spanned<ParamEntry>>,
    #[serde(default)]
    pub metrics: IndexMap<String, Spanned<String>>,
    pub tiers: Option<Spanned<Vec<TierEntry>>>,
    #[serde(default)]
    pub checks: Vec<CheckEntry>,
    pub report: Option<Spanned<ReportSection>>,
}

/// `data:` in powerbase.yaml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSection {
    pub transactions: TransactionSource,
    pub customers: Option<CustomerSource>,
}

/// A parameter value: a number, a flag or a text.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// A whole number.
    Int(i64),
    /// A number with decimals.
    Float(f64),
    /// true or false.
    Bool(bool),
    /// A text.
    Text(String),
}

/// A param as written: a value, or what was written instead (a list, a mapping, nothing), so
/// the problem can name the param.
#[derive(Debug)]
pub enum ParamEntry {
    /// A value a param can hold.
    Value(ParamValue),
    /// Something else, in words: "a list", "a mapping", "an empty value".
    Other(&'static str),
}

impl<'de> Deserialize<'de> for ParamEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ParamVisitor)
    }
}

struct ParamVisitor;

impl<'de> Visitor<'de> for ParamVisitor {
    type Value = ParamEntry;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, text, true/false or a date")
    }
    fn visit_bool<E>(self, v: bool) -> Result<ParamEntry, E> {
        Ok(ParamEntry::Value(ParamValue::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<ParamEntry, E> {
        Ok(ParamEntry::Value(ParamValue::Int(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<ParamEntry, E> {
        Ok(ParamEntry::Value(match i64::try_from(v) {
            Ok(i) => ParamValue::Int(i),
            Err(_) => ParamValue::Float(v as f64),
        }))
    }
    fn visit_f64<E>(self, v: f64) -> Result<ParamEntry, E> {
        Ok(ParamEntry::Value(ParamValue::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<ParamEntry, E> {
        Ok(ParamEntry::Value(ParamValue::Text(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<ParamEntry, E> {
        Ok(ParamEntry::Value(ParamValue::Text(v)))
    }
    fn visit_unit<E>(self) -> Result<ParamEntry, E> {
        Ok(ParamEntry::Other("an empty value"))
    }
    fn visit_none<E>(self) -> Result<ParamEntry, E> {
        Ok(ParamEntry::Other("an empty value"))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<ParamEntry, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ParamEntry, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(ParamEntry::Other("a list"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ParamEntry, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(ParamEntry::Other("a mapping"))
    }
}

/// One entry of `tiers:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierEntry {
    pub name: Spanned<String>,
    pub when: Option<Spanned<String>>,
    pub description: Option<String>,
}

/// One entry of `checks:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckEntry {
    pub name: Spanned<String>,
    pub when: Spanned<String>,
    #[serde(default)]
    pub severity: Severity,
    pub message: String,
}

/// How serious a finding is.
#[derive(
    Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq, PartialOrd, Ord, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Worth acting on.
    #[default]
    Warning,
    /// Something is wrong with the business or the data.
    Error,
}

/// `report:` in powerbase.yaml.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    pub title: Option<Spanned<String>>,
    pub subtitle: Option<String>,
    pub prepared_by: Option<String>,
    pub template: Option<String>,
    pub page_size: Option<Spanned<String>>,
    pub top_customers: Option<Spanned<usize>>,
}
