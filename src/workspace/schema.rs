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
#[derive(Debug, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "powerbase policy file")]
pub struct PolicyFile {
    /// The client business (powerbase.yaml only).
    #[schemars(with = "Option<String>")]
    pub client: Option<Spanned<String>>,
    /// ISO currency code of the amounts, e.g. USD or EUR (powerbase.yaml only; default USD).
    #[schemars(with = "Option<String>")]
    pub currency: Option<Spanned<String>>,
    /// The as-of date, YYYY-MM-DD (powerbase.yaml only; default: the latest transaction date).
    #[schemars(with = "Option<String>")]
    pub as_of: Option<Spanned<String>>,
    /// Where the transactions and customer attributes are (powerbase.yaml only).
    #[schemars(with = "Option<DataSection>")]
    pub data: Option<Spanned<DataSection>>,
    /// What one row of the evaluation is (powerbase.yaml only): `customer` (the default) or
    /// `account`, which rolls customers up to their `parent_id` attribute and evaluates metrics,
    /// tiers, personas and the report per account.
    #[schemars(with = "Option<Level>")]
    pub level: Option<Spanned<Level>>,
    /// Built-in rule files to include, e.g. builtin/rfm (also builtin/airline-classes, builtin/pareto,
    /// builtin/ideal-customer, builtin/rising, builtin/data-quality). A param an included file
    /// declares is set by giving it in your own params: your value replaces its default.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub include: Vec<Spanned<String>>,
    /// Named constants usable in every expression.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, ParamSchema>")]
    pub params: IndexMap<String, Spanned<ParamEntry>>,
    /// Derived metrics: name -> expression over one customer.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, String>")]
    pub metrics: IndexMap<String, Spanned<String>>,
    /// Tiers, highest first; a customer lands in the first whose `when` holds; the last has no `when`.
    #[schemars(with = "Option<Vec<TierEntry>>")]
    pub tiers: Option<Spanned<Vec<TierEntry>>>,
    /// Per-customer checks that become findings.
    #[serde(default)]
    pub checks: Vec<CheckEntry>,
    /// Report settings (powerbase.yaml only).
    #[schemars(with = "Option<ReportSection>")]
    pub report: Option<Spanned<ReportSection>>,
    /// The soft costs of serving a customer: component name -> expression in the workspace
    /// currency (each becomes the metric `cts_<name>`; their sum is `cost_to_serve`).
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, String>")]
    pub cost_to_serve: IndexMap<String, Spanned<String>>,
    /// What winning a customer cost: an expression in the workspace currency (default 0);
    /// `profit = profit_before_acquisition - acquisition_cost`.
    #[schemars(with = "Option<String>")]
    pub acquisition_cost: Option<Spanned<String>>,
    /// Named groups of customers: a customer may belong to several.
    #[serde(default)]
    pub personas: Vec<PersonaEntry>,
    /// How attribute columns are profiled: numeric ones banded at the given bounds.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, AttributeEntry>")]
    pub attributes: IndexMap<String, Spanned<AttributeEntry>>,
    /// Plugin functions the report templates may call (powerbase.yaml only).
    #[schemars(with = "Option<PluginsEntry>")]
    pub plugins: Option<Spanned<PluginsEntry>>,
    /// Which customers outside the core tiers count as rising; without it, those whose
    /// `revenue_180d` is at least the core tiers' median and whose `recency_days` is at most
    /// theirs.
    #[schemars(with = "Option<RisingEntry>")]
    pub rising: Option<Spanned<RisingEntry>>,
    /// Declared annual market growth per segment, set against our own year-on-year growth in it:
    /// segment -> growth as a share (0.12 for 12%). A segment is a tier or persona name, or an
    /// attribute value written `attribute=value` (`"region=North": 0.03`).
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, f64>")]
    pub market_growth: IndexMap<String, Spanned<f64>>,
    /// The needs personas may weigh and products may serve (the investment gap): when given,
    /// every need named elsewhere must be one of these.
    #[schemars(with = "Option<Vec<String>>")]
    pub needs: Option<Spanned<Vec<Spanned<String>>>>,
    /// Today's products, matched to the transactions' `product` column, and the needs each
    /// serves (the investment gap).
    #[serde(default)]
    pub products: Vec<ProductEntry>,
}

/// One entry of `products:`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductEntry {
    /// The product's name, as the report shows it.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The values of the `product` column that are this product: exact codes, or patterns
    /// where `*` stands for any text (`EXP-*`).
    #[schemars(with = "Vec<String>")]
    pub codes: Spanned<Vec<String>>,
    /// Need -> how well the product serves it, from 0 (not at all) to 1 (fully).
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, f64>")]
    pub serves: IndexMap<String, Spanned<f64>>,
}

/// `level:` in powerbase.yaml: what one row of the evaluation is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// One row per customer id of the transactions (the default).
    #[default]
    Customer,
    /// One row per account: every customer with a `parent_id` attribute is rolled up into the
    /// account of that id, a customer without one is its own account.
    Account,
}

impl Level {
    /// `"customer"` or `"account"`, as written in the policy.
    pub fn name(self) -> &'static str {
        match self {
            Level::Customer => "customer",
            Level::Account => "account",
        }
    }
}

/// One entry of `personas:`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonaEntry {
    /// The persona's name.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Who they are, for the report's persona card.
    pub description: Option<String>,
    /// Who belongs: an expression giving true or false (it may read `tier` and `tier_rank`).
    #[schemars(with = "String")]
    pub when: Spanned<String>,
    /// What a customer of the persona is worth, for the investment gap: a metric name
    /// (default `revenue_12m`).
    #[schemars(with = "Option<String>")]
    pub worth: Option<Spanned<String>>,
    /// Need -> its weight for this persona; the weights sum to 1 (the investment gap).
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, f64>")]
    pub needs: IndexMap<String, Spanned<f64>>,
}

/// `rising:`: the rule that replaces the built-in rising-customers rule.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RisingEntry {
    /// Who is rising: an expression giving true or false, like a check's (it may read `tier` and
    /// `tier_rank`); customers of core tiers are never counted rising.
    #[schemars(with = "String")]
    pub when: Spanned<String>,
}

/// One entry of `attributes:`.
#[derive(Debug, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeEntry {
    /// Ascending upper bounds of the bands of a numeric attribute (`[25, 35, 50]` makes
    /// `< 25`, `25-35`, `35-50` and `>= 50`); without them, quintiles.
    #[schemars(with = "Option<Vec<f64>>")]
    pub bands: Option<Spanned<Vec<f64>>>,
}

/// `plugins:` in powerbase.yaml: plugin functions the templates may call.
#[derive(Debug, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginsEntry {
    /// Functions of one argument used as Tera filters: `{{ t.revenue | money_k }}`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub filters: Vec<Spanned<String>>,
    /// Functions of one argument (a map of the keyword arguments) used as Tera functions:
    /// `{{ segment_story(tier=t.name) }}`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub functions: Vec<Spanned<String>>,
}

/// `data:` in powerbase.yaml.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSection {
    /// The transaction export.
    pub transactions: TransactionSource,
    /// An optional customer attribute table.
    pub customers: Option<CustomerSource>,
}

/// A param's value as the schema describes it: a number, true/false or a text (a date is a text).
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ParamSchema {
    /// A number.
    Number(f64),
    /// true or false.
    Flag(bool),
    /// A text or a date.
    Text(String),
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
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TierEntry {
    /// The tier's name.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Who belongs: an expression giving true or false; none for the last tier.
    #[schemars(with = "Option<String>")]
    pub when: Option<Spanned<String>>,
    /// A sentence for the report.
    pub description: Option<String>,
    /// Whether these are core customers (personas and the report's profiles compare the core
    /// tiers with the base); without any `core:` in the policy, the first tier is core.
    pub core: Option<bool>,
}

/// One entry of `checks:`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckEntry {
    /// The check's name.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The customers it flags: an expression giving true or false.
    #[schemars(with = "String")]
    pub when: Spanned<String>,
    /// info, warning (default) or error.
    #[serde(default)]
    pub severity: Severity,
    /// What it means, for the report. With `level: summary`, `{{ expr }}` shows the value of
    /// an expression over the analysis (`{{ investment_gap[0].need }}`).
    pub message: String,
    /// What the check reads: `customer` (default) runs `when` for every customer; `summary`
    /// runs it once over the analysis (`investment_gap`, `tiers`, `profitability`, `personas`)
    /// and raises one finding when it holds.
    #[schemars(with = "Option<String>")]
    pub level: Option<Spanned<String>>,
}

/// How serious a finding is.
#[derive(
    Debug,
    Clone,
    Copy,
    Deserialize,
    serde::Serialize,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    schemars::JsonSchema,
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
#[derive(Debug, Deserialize, Default, Clone, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    /// Report title.
    #[schemars(with = "Option<String>")]
    pub title: Option<Spanned<String>>,
    /// A line under the title.
    pub subtitle: Option<String>,
    /// Who prepared it.
    pub prepared_by: Option<String>,
    /// The main template (default report.md).
    pub template: Option<String>,
    /// A4 (default) or Letter.
    #[schemars(with = "Option<String>")]
    pub page_size: Option<Spanned<String>>,
    /// How many customers the top-customer table lists (default 10).
    #[schemars(with = "Option<usize>")]
    pub top_customers: Option<Spanned<usize>>,
    /// The date of issue (YYYY-MM-DD) on the title page, in every footer and as the PDF's
    /// creation date; `run --issued` overrides it. Default: `SOURCE_DATE_EPOCH`, else today.
    #[schemars(with = "Option<String>")]
    pub issued: Option<Spanned<String>>,
    /// `draft` marks the title page and every page DRAFT; `final` (the default) marks nothing;
    /// any other text (a version such as `v2.1`) is printed as the document's version.
    pub status: Option<String>,
    /// A confidentiality marking on the title page and every page's footer, such as
    /// `Confidential - board only`.
    pub classification: Option<String>,
    /// A contents page after the title page: `true`, `false` or `auto` (the default: when the
    /// body has more than 4 pages). The PDF's bookmarks list the same headings either way.
    #[schemars(with = "Option<ContentsSchema>")]
    pub contents: Option<Spanned<String>>,
    /// The client's colours: `{ primary: "#1f3a5f", accent: "#c8102e" }` (quoted: an unquoted
    /// `#` starts a YAML comment). The primary colours headings, table headers and the charts'
    /// main series; the accent, marks and the second series. Without it the report keeps its
    /// default palette, whose shades stay distinct when printed in greyscale.
    #[schemars(with = "Option<BrandSection>")]
    pub brand: Option<Spanned<BrandSection>>,
    /// The locale the report writes figures and dates in (`de-DE`, `fr-FR`, `en-GB`, ...): digit
    /// grouping, decimal separator, the currency symbol and its place, the percent sign and long
    /// dates, from CLDR. Default `en-US` with ISO dates. `customers.csv` and `summary.json` are
    /// the same in every locale.
    #[schemars(with = "Option<String>")]
    pub locale: Option<Spanned<String>>,
    /// The optional deliverables written besides customers.csv, summary.json and report.md:
    /// `pdf` (report.pdf), `xlsx` (customers.xlsx). Default: both.
    #[schemars(with = "Option<Vec<String>>")]
    pub formats: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `report.contents:` as editors see it: `true`, `false` or `auto`.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum ContentsSchema {
    /// Always (`true`) or never (`false`).
    Flag(bool),
    /// When the body has more than 4 pages.
    Auto(AutoWord),
}

/// The word `auto`.
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum AutoWord {
    /// When the body has more than 4 pages.
    Auto,
}

/// `report.brand:` in powerbase.yaml.
#[derive(Debug, Deserialize, Default, Clone, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandSection {
    /// The main colour, `#rrggbb` or `#rgb`.
    #[schemars(with = "Option<String>")]
    pub primary: Option<Spanned<String>>,
    /// The second colour, `#rrggbb` or `#rgb`.
    #[schemars(with = "Option<String>")]
    pub accent: Option<Spanned<String>>,
}

/// The JSON Schema of policy files (`powerbase.yaml` and `rules/**/*.yaml`), for editors: with
/// `# yaml-language-server: $schema=...` at the top of a file they complete and check keys.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(PolicyFile);
    let mut s = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    s.push('\n');
    s
}
