//! The shape of policy files as written by the user: `powerbase.yaml` and `rules/**/*.yaml`.
//! Unknown keys are errors, so a typo is caught where it was made.

use indexmap::IndexMap;
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
    pub params: IndexMap<String, Spanned<ParamValue>>,
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
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
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
    pub title: Option<String>,
    pub subtitle: Option<String>,
    pub prepared_by: Option<String>,
    pub template: Option<String>,
    pub page_size: Option<String>,
    pub top_customers: Option<usize>,
}
