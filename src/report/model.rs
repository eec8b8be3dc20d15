//! The report model: every figure the report shows, built once from the analysis. `summary.json`
//! is this model serialised; the template context is the same serialisation (plus the names
//! templates used before the model existed, see [`super::context`]); the terminal summary of `run`
//! and the charts read it. Percentages are rounded here and nowhere else.
//!
//! The first keys of `summary.json` (`client` to `coverage`, and `provenance` last) are a contract
//! with consultants' scripts: add keys, never rename or reorder them. A share of a total that is
//! zero or negative is not meaningful: it is NaN here, `null` in JSON, and a dash in the report.
//! Without a cost column, cost and margin are not known: `None` here, `null` in JSON.

mod accounts;
mod gap;
mod method;
mod migration;
mod profit;
mod rfm;
mod rising;
mod trends;

use std::str::FromStr;

use serde::{Serialize, Serializer};
use serde_json::Number;

use super::format::{self, percents_of_total, share_of};
pub use accounts::Level;
pub use gap::{Gap, Ranked as GapRanked};
pub use method::{Definition, Method, RuleText};
pub use migration::{Group as MigrationGroup, Migration, Row as MigrationRow, RowCell};
pub use rfm::{Corner, RfmSummary, Scores};
pub use rising::{Graduation, Rising, Upward};
pub use trends::{QuarterFigures, Trend, TrendsOverview};

use super::document::Document;
use crate::analysis::{self, Analysis, RfmCell, RuleCoverage};
use crate::data::format_cents;
use crate::engine::tree::Number as TreeNumber;
use crate::provenance::Provenance;
use crate::workspace::{ParamValue, Policy, Severity};

use profit::profitability;
pub use profit::{CostComponent, Profitability, TierLoss, TierProfit};

/// Money in cents; serialised as a JSON number with exactly two decimals (the exact value), which
/// templates see as a number in currency units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(pub i64);

impl Money {
    /// The amount in currency units.
    pub fn units(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Number::from_str(&format_cents(self.0))
            .expect("a decimal number")
            .serialize(s)
    }
}

/// Everything the report shows. Field order is the order of `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The client's name.
    pub client: String,
    /// ISO currency code.
    pub currency: String,
    /// The as-of date, ISO.
    pub as_of: String,
    /// What the loader read.
    pub transactions: Transactions,
    /// Number of customers.
    pub customers: usize,
    /// Customers whose net revenue is zero or negative.
    pub customers_net_nonpositive: usize,
    /// Customers in the attribute table with no transactions.
    pub attribute_rows_without_transactions: usize,
    /// How the customer master (`data.customers`) joined the customers with transactions: counts
    /// and example ids of each side without a partner, the id rule, merged ids and the warning
    /// when fewer than half matched; `null` without a customer master.
    pub customer_join: Option<crate::data::Join>,
    /// Net revenue of all customers.
    pub total_revenue: Money,
    /// Margin of all customers; `None` without a cost column.
    pub total_margin: Option<Money>,
    /// How concentrated revenue is.
    pub concentration: Concentration,
    /// One per tier, in policy order.
    pub tiers: Vec<Tier>,
    /// Checks that fired, then tier rules that placed nobody.
    pub findings: Vec<Finding>,
    /// How each tier rule covers the customers.
    pub coverage: Vec<Coverage>,
    /// The report's title (from `report.title`).
    pub title: String,
    /// Its subtitle.
    pub subtitle: Option<String>,
    /// Who prepared it.
    pub prepared_by: Option<String>,
    /// `A4` or `Letter`.
    pub page_size: String,
    /// Whether a cost column is mapped (so margin is known).
    pub has_cost: bool,
    /// The transaction file, as written in the policy.
    pub data_file: String,
    /// How each data source was read, file by file: delimiter (and whether it was sniffed),
    /// encoding, title lines, footer and totals lines left out, rows read.
    pub sources: Vec<crate::data::SourceRead>,
    /// The largest customers by revenue.
    pub top_customers: Vec<TopCustomer>,
    /// Customers and revenue by recency score (rows, 1..5) and frequency score (columns, 1..5).
    pub rfm: Vec<Vec<GridCell>>,
    /// Customers and revenue by RFM segment x tier, when the policy includes `builtin/rfm`.
    pub rfm_segments: Option<Vec<Group>>,
    /// What the RFM grid shows on this data: customers per score, ties, the corners to act on.
    pub rfm_summary: RfmSummary,
    /// The attribute columns.
    pub attributes: Vec<analysis::Attribute>,
    /// Every attribute value's share per tier against the whole base (see [`super::profile`]).
    pub representation: Vec<super::profile::RepresentationRow>,
    /// How the core tiers buy and what sets them apart from the base.
    pub profile: super::profile::Profile,
    /// One card per persona declared in the policy, in policy order (empty without personas).
    pub personas: Vec<super::profile::Persona>,
    /// Who is profitable: `None` when profit is not known (no cost column, no `cost_to_serve:`).
    pub profitability: Option<Profitability>,
    /// Average profit (revenue when profit is not known) of higher tiers against lower ones:
    /// each pair of adjacent tiers, then the top against the bottom tier.
    pub inequality: Vec<analysis::TierRatio>,
    /// The params by name, in policy order.
    pub params: indexmap::IndexMap<String, Param>,
    /// The params in policy order (iterating a map in a template has no fixed order).
    pub param_list: Vec<NamedParam>,
    /// The source line under each exhibit: the data file, its window and the customers.
    pub source: String,
    /// The method appendix: rules as written and applied, metric definitions, rounding.
    pub method: Method,
    /// How customers moved between tiers since an earlier as-of date (`run --compare-as-of`);
    /// left out without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<Migration>,
    /// Rising customers outside the core tiers (`rising`, left out when every tier is core)
    /// and each tier's graduation candidates (`graduation`): two keys of `summary.json`.
    #[serde(flatten)]
    pub upward: Upward,
    /// Revenue and margin by complete quarter per tier, persona and `market_growth:` segment,
    /// with year-on-year growth, the downturn flag and the market comparison.
    pub trends: Vec<Trend>,
    /// What the trends cover (quarters, the quarter left out) and say over all segments.
    pub trends_overview: TrendsOverview,
    /// The investment gap, one row per persona x need, largest first (empty without personas'
    /// needs, products or a `product` column; see [`Gap::missing`]).
    pub investment_gap: Vec<crate::analysis::gap::GapCell>,
    /// What the report says around the investment gap.
    pub gap: Gap,
    /// The concentration curve (share of customers, cumulative share of revenue), for the chart.
    #[serde(skip)]
    pub curve: Vec<(f64, f64)>,
    /// What one row of the evaluation is (`"level"`) and, at account level, how the customers
    /// were rolled up (`"accounts"`).
    #[serde(flatten)]
    pub level: Level,
    /// Where the outputs came from; left out with `--no-provenance`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// The documents' date of issue, status and classification: on the title page and in the
    /// footers, not in summary.json (it would differ between runs on different days).
    #[serde(skip)]
    pub document: Document,
}

/// What the loader read.
#[derive(Debug, Clone, Serialize)]
pub struct Transactions {
    /// Data rows in the file.
    pub read: u64,
    /// Rows used (dated on or before as-of).
    pub used: u64,
    /// Rows dated after the as-of date.
    pub excluded_after_as_of: u64,
    /// Rows that could not be read and were set aside (`on_bad_rows: quarantine`; listed in
    /// rejects.csv): `read = used + excluded_after_as_of + rejected`.
    pub rejected: u64,
    /// The sum of the amounts of the rejected rows whose amount could be read (rows rejected for
    /// another column; a row with a bad amount or the wrong number of fields adds nothing).
    pub rejected_amount: Money,
    /// The rejected rows by column and problem, commonest first.
    pub rejected_problems: Vec<RejectedProblem>,
    /// Used rows with a zero amount.
    pub zero_amount: u64,
    /// Used rows with a negative amount.
    pub refunds: u64,
    /// Earliest used date.
    pub first_date: Option<String>,
    /// Latest used date.
    pub last_date: Option<String>,
}

/// Rejected rows of one problem in one column.
#[derive(Debug, Clone, Serialize)]
pub struct RejectedProblem {
    /// The column's header; empty when the whole row is wrong (its number of fields).
    pub column: String,
    /// What is wrong, such as `a bad date`.
    pub problem: String,
    /// How many rows.
    pub rows: u64,
}

impl Transactions {
    /// The sentence about the rejected rows, from the figures (`None` when there are none):
    /// "12 rows (0.02%) could not be read and were set aside, carrying €1,234.56; they are listed
    /// in rejects.csv: 9 with a bad date in "Datum", 3 with the wrong number of fields." The
    /// share has as many decimals as it takes not to read 0.
    pub fn rejected_sentence(&self, currency: &str) -> Option<String> {
        if self.rejected == 0 {
            return None;
        }
        let problems: Vec<String> = self
            .rejected_problems
            .iter()
            .map(|p| {
                let n = super::format::thousands(p.rows as i64);
                match p.column.as_str() {
                    "" => format!("{n} with {}", p.problem),
                    c => format!("{n} with {} in {c:?}", p.problem),
                }
            })
            .collect();
        Some(format!(
            "{} {} ({}) could not be read and {} set aside, carrying {}; {} listed in \
             rejects.csv: {}.",
            super::format::thousands(self.rejected as i64),
            if self.rejected == 1 { "row" } else { "rows" },
            crate::data::rejects_percent(self.rejected as f64 / self.read.max(1) as f64),
            if self.rejected == 1 { "was" } else { "were" },
            super::format::money(self.rejected_amount.units(), currency, 2),
            if self.rejected == 1 {
                "it is"
            } else {
                "they are"
            },
            problems.join(", ")
        ))
    }
}

/// How concentrated revenue is; shares NaN when total revenue is not positive.
#[derive(Debug, Clone, Serialize)]
pub struct Concentration {
    /// Share of revenue held by the top 20% of customers.
    pub top20_share: f64,
    /// How many customers the top 20% are.
    pub top20_customers: usize,
    /// The fewest customers holding 80% of revenue.
    pub customers_for_80: usize,
    /// Their share of all customers.
    pub customer_share_for_80: f64,
    /// Gini coefficient of customer revenue.
    pub gini: f64,
}

/// One tier's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Tier {
    /// Its name.
    pub name: String,
    /// Customers in it.
    pub customers: usize,
    /// Share of all customers.
    pub customer_share: f64,
    /// Its revenue.
    pub revenue: Money,
    /// Share of total revenue (NaN when that is not positive).
    pub revenue_share: f64,
    /// Its margin; `None` without a cost column.
    pub margin: Option<Money>,
    /// Share of total margin (NaN when that is not positive); `None` without a cost column.
    pub margin_share: Option<f64>,
    /// Mean revenue per customer, in currency units.
    pub avg_revenue: f64,
    /// Purchases by its customers.
    pub orders: i64,
    /// 1 for the first tier.
    pub rank: usize,
    /// Its description from the policy.
    pub description: Option<String>,
    /// The text of its rule; `None` for the last tier.
    pub rule: Option<String>,
    /// Share of customers as a percentage (rounded on its own; see `method.rounding_note`).
    pub customer_pct: String,
    /// Share of revenue as a percentage (a dash when not meaningful).
    pub revenue_pct: String,
    /// Share of margin as a percentage; `None` without a cost column.
    pub margin_pct: Option<String>,
    /// Revenue of the 365 days up to the as-of date.
    pub revenue_12m: Money,
    /// Its profit figures; each `None` when profit is not known.
    #[serde(flatten)]
    pub profit: TierProfit,
}

/// A check that fired, or a tier rule that places nobody.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The check's name.
    pub name: String,
    /// How serious.
    pub severity: Severity,
    /// What it means.
    pub message: String,
    /// How many customers it concerns.
    pub customers: usize,
    /// The flagged customers' revenue.
    pub revenue: Money,
    /// Its share of total revenue (NaN when that is not positive).
    pub revenue_share: f64,
    /// The largest of them by revenue.
    pub largest: Option<Largest>,
    /// Their share of all customers.
    pub customer_share: f64,
}

/// The largest customer a finding names.
#[derive(Debug, Clone, Serialize)]
pub struct Largest {
    /// Its id.
    pub customer_id: String,
    /// Its revenue.
    pub revenue: Money,
}

/// A tier rule's coverage of the customers.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// The tier.
    pub tier: String,
    /// Its rule's text.
    pub rule: String,
    /// Customers it placed.
    pub placed: usize,
    /// Customers its condition holds for; `None` when only the script engine can tell.
    pub holds: Option<usize>,
    /// Customers for whom the condition could not be decided natively.
    pub undecided: usize,
    /// Whether earlier tiers take everyone it holds for.
    pub shadowed: bool,
    /// Why `holds` is not known.
    pub note: Option<String>,
    /// Customers near each threshold.
    pub near_threshold: Vec<Near>,
    /// The thresholds with customers of lower tiers within reach (`within_reach > 0`).
    pub reachable: Vec<Near>,
}

/// Customers within 5% of one threshold of a rule.
#[derive(Debug, Clone, Serialize)]
pub struct Near {
    /// The metric compared.
    pub metric: String,
    /// The comparison.
    pub op: &'static str,
    /// The threshold: integers as integers, money with two decimals.
    pub threshold: Threshold,
    /// Where the threshold comes from (a constant, a param, a population figure).
    pub source: String,
    /// Customers near it.
    pub customers: usize,
    /// Customers of lower tiers who fail it by at most 5%.
    pub within_reach: usize,
    /// Whether the metric is money.
    #[serde(skip)]
    pub money: bool,
}

impl Near {
    /// The threshold for a reader: money in the workspace currency, other numbers plain.
    pub fn text(&self, currency: &str) -> String {
        let v = match self.threshold {
            Threshold::Int(i) => i as f64,
            Threshold::Money(f) | Threshold::Float(f) => f,
        };
        if self.money {
            let cents = v.fract() != 0.0;
            format::money(v, currency, if cents { 2 } else { 0 })
        } else {
            crate::engine::explain::plain(v)
        }
    }
}

/// A threshold value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// An integer.
    Int(i64),
    /// Money (two decimals in JSON).
    Money(f64),
    /// Any other number.
    Float(f64),
}

impl Serialize for Threshold {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Threshold::Int(i) => s.serialize_i64(i),
            Threshold::Money(f) if f.is_finite() => Number::from_str(&format!("{f:.2}"))
                .expect("a decimal number")
                .serialize(s),
            Threshold::Money(f) | Threshold::Float(f) => s.serialize_f64(f),
        }
    }
}

/// A customer in the top list.
#[derive(Debug, Clone, Serialize)]
pub struct TopCustomer {
    /// 1 for the largest.
    pub rank: usize,
    /// The customer id.
    pub id: String,
    /// Its tier.
    pub tier: String,
    /// Its revenue.
    pub revenue: Money,
    /// Purchases.
    pub orders: i64,
    /// Share of total revenue held by it and all larger customers.
    pub cum_revenue_share: f64,
}

/// One cell of the RFM grid.
#[derive(Debug, Clone, Serialize)]
pub struct GridCell {
    /// Customers with this pair of scores.
    pub customers: u64,
    /// Their revenue.
    pub revenue: Money,
    /// Its share of total revenue (NaN when that is not positive).
    pub revenue_share: f64,
}

/// A breakdown group (see [`analysis::breakdown()`]) with money as [`Money`].
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// The value; `None` for customers without one.
    pub value: Option<String>,
    /// Customers with it.
    pub customers: usize,
    /// Their revenue.
    pub revenue: Money,
    /// Their share of total revenue (NaN when that is not positive).
    pub revenue_share: f64,
    /// Their orders.
    pub orders: i64,
    /// Revenue per order, in currency units; `None` without orders.
    pub avg_order: Option<f64>,
    /// Their profit: `None` until profit is known.
    pub profit: Option<Money>,
    /// Per tier, in policy order.
    pub tiers: Vec<GroupTier>,
}

/// One tier's part of a [`Group`].
#[derive(Debug, Clone, Serialize)]
pub struct GroupTier {
    /// The tier.
    pub tier: String,
    /// Customers.
    pub customers: usize,
    /// Their revenue.
    pub revenue: Money,
    /// Their profit: `None` until profit is known.
    pub profit: Option<Money>,
}

impl Group {
    /// The model's form of a breakdown group; shares of `total_revenue`.
    pub fn of(g: &analysis::Group, total_revenue: i64) -> Group {
        Group {
            value: g.value.clone(),
            customers: g.customers,
            revenue: Money(g.revenue),
            revenue_share: share_of(ratio(g.revenue, total_revenue), total_revenue),
            orders: g.orders,
            avg_order: (g.orders > 0).then(|| g.revenue as f64 / 100.0 / g.orders as f64),
            profit: g.profit.map(Money),
            tiers: g
                .tiers
                .iter()
                .map(|t| GroupTier {
                    tier: t.tier.clone(),
                    customers: t.customers,
                    revenue: Money(t.revenue),
                    profit: t.profit.map(Money),
                })
                .collect(),
        }
    }
}

/// A param's value: a plain number, flag or text.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Param {
    /// An integer.
    Int(i64),
    /// A number.
    Float(f64),
    /// A flag.
    Bool(bool),
    /// Text.
    Text(String),
}

/// A param with its name.
#[derive(Debug, Clone, Serialize)]
pub struct NamedParam {
    /// The name.
    pub name: String,
    /// The value.
    pub value: Param,
}

fn ratio(part: i64, total: i64) -> f64 {
    if total > 0 {
        part as f64 / total as f64
    } else {
        0.0
    }
}

/// Builds the model of a run.
pub fn build(
    policy: &Policy,
    analysis: &Analysis,
    provenance: Option<&Provenance>,
    document: Document,
) -> Report {
    let q = &analysis.quality;
    let c = &analysis.concentration;
    let total = analysis.total_revenue;
    let has_cost = policy.transactions.columns.cost.is_some();
    let params: indexmap::IndexMap<String, Param> = policy
        .params
        .iter()
        .map(|p| {
            let v = match &p.value {
                ParamValue::Int(i) => Param::Int(*i),
                ParamValue::Float(f) => Param::Float(*f),
                ParamValue::Bool(b) => Param::Bool(*b),
                ParamValue::Text(t) => Param::Text(t.clone()),
            };
            (p.name.clone(), v)
        })
        .collect();
    Report {
        client: policy.client.clone(),
        currency: policy.currency.clone(),
        as_of: analysis.as_of.to_string(),
        transactions: Transactions {
            read: q.rows_read,
            used: q.rows_used,
            excluded_after_as_of: q.excluded_after_as_of,
            rejected: q.rejected,
            // Beyond ±92 quadrillion cents a sum is shown at the bound (each row fits; the sum
            // of rows that could not be used is only reported).
            rejected_amount: Money(i64::try_from(q.rejected_amount).unwrap_or(
                if q.rejected_amount < 0 {
                    i64::MIN
                } else {
                    i64::MAX
                },
            )),
            rejected_problems: q
                .rejected_problems
                .iter()
                .map(|(column, problem, rows)| RejectedProblem {
                    column: column.clone(),
                    problem: problem.to_string(),
                    rows: *rows,
                })
                .collect(),
            zero_amount: q.zero_amount_rows,
            refunds: q.refund_rows,
            first_date: q.first_day.map(|d| d.to_string()),
            last_date: q.last_day.map(|d| d.to_string()),
        },
        customers: analysis.customers,
        customers_net_nonpositive: q.customers_net_nonpositive,
        attribute_rows_without_transactions: q.attribute_rows_without_transactions,
        customer_join: q.join.clone(),
        total_revenue: Money(total),
        total_margin: has_cost.then_some(Money(analysis.total_margin)),
        concentration: Concentration {
            top20_share: share_of(c.top20_share, total),
            top20_customers: c.top20_customers,
            customers_for_80: c.customers_for_80,
            customer_share_for_80: share_of(c.customer_share_for_80, total),
            gini: share_of(c.gini, total),
        },
        tiers: tiers(policy, analysis, has_cost),
        findings: findings(analysis),
        coverage: analysis.coverage.iter().map(coverage).collect(),
        title: policy.report.title.clone(),
        subtitle: policy.report.subtitle.clone(),
        prepared_by: policy.report.prepared_by.clone(),
        page_size: policy.report.page_size.clone(),
        has_cost,
        data_file: q.file.clone(),
        sources: q.sources.clone(),
        top_customers: analysis
            .top_customers
            .iter()
            .map(|t| TopCustomer {
                rank: t.rank,
                id: t.id.clone(),
                tier: t.tier.clone(),
                revenue: Money(t.revenue),
                orders: t.orders,
                cum_revenue_share: t.cum_revenue_share,
            })
            .collect(),
        rfm: rfm(&analysis.rfm.grid, total),
        rfm_summary: rfm::summary(&analysis.rfm, analysis.customers, total),
        rfm_segments: analysis
            .rfm_segments
            .as_ref()
            .map(|groups| groups.iter().map(|g| Group::of(g, total)).collect()),
        attributes: analysis.attributes.clone(),
        representation: super::profile::representation(analysis),
        profile: super::profile::profile(policy, analysis),
        personas: super::profile::personas(analysis),
        profitability: analysis
            .profitability
            .as_ref()
            .map(|p| profitability(p, &analysis.tiers)),
        inequality: analysis.inequality.clone(),
        param_list: params
            .iter()
            .map(|(name, value)| NamedParam {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        params,
        source: source(analysis),
        method: method::method(policy, &analysis.attributes, &tier_shares(analysis)),
        migration: analysis
            .migration
            .as_ref()
            .map(|m| migration::migration(m, analysis.customers, total)),
        upward: rising::upward(&analysis.rising),
        trends: trends::trends(&analysis.trends, &policy.currency),
        trends_overview: trends::overview(
            &analysis.trends,
            &analysis.as_of.to_string(),
            analysis.customers,
        ),
        investment_gap: analysis.investment_gap.cells.clone(),
        gap: gap::gap(policy, &analysis.investment_gap),
        curve: analysis.curve.clone(),
        level: accounts::level(policy, analysis.accounts.as_ref()),
        provenance: provenance.cloned(),
        document,
    }
}

/// What summary checks (`level: summary`) read: the model's `investment_gap`, `tiers`,
/// `profitability` and `personas`, as `summary.json` gives them.
pub fn check_facts(policy: &Policy, analysis: &Analysis) -> serde_json::Value {
    let document = Document::dated(&policy.report, analysis.as_of);
    let model = build(policy, analysis, None, document);
    serde_json::json!({
        "investment_gap": model.investment_gap,
        "tiers": model.tiers,
        "profitability": model.profitability,
        "personas": model.personas,
    })
}

/// The line naming an exhibit's data: file, dates used, customers and as-of date.
fn source(analysis: &Analysis) -> String {
    let q = &analysis.quality;
    let window = match (q.first_day, q.last_day) {
        (Some(first), Some(last)) => format!(
            ", {} to {}",
            format::date(&first.to_string()),
            format::date(&last.to_string())
        ),
        _ => String::new(),
    };
    let unit = match analysis.accounts {
        Some(_) => "accounts",
        None => "customers",
    };
    format!(
        "{}{window}, {} {unit} as of {}",
        q.file,
        format::thousands(analysis.customers as i64),
        format::date(&analysis.as_of.to_string())
    )
}

/// The tiers' customer shares and, when total revenue is positive, their revenue shares: the
/// shares the report rounds.
fn tier_shares(analysis: &Analysis) -> Vec<Vec<f64>> {
    let customers = analysis.tiers.iter().map(|t| t.customer_share).collect();
    let revenue = analysis.tiers.iter().map(|t| t.revenue_share).collect();
    if analysis.total_revenue > 0 {
        vec![customers, revenue]
    } else {
        vec![customers]
    }
}

/// The tiers, each percentage rounded on its own.
fn tiers(policy: &Policy, analysis: &Analysis, has_cost: bool) -> Vec<Tier> {
    let (total_revenue, total_margin) = (analysis.total_revenue, analysis.total_margin);
    let shares = |f: fn(&analysis::TierSummary) -> f64| -> Vec<f64> {
        analysis.tiers.iter().map(f).collect()
    };
    let customer_pcts = percents_of_total(&shares(|t| t.customer_share), 1, 1);
    let revenue_pcts = percents_of_total(&shares(|t| t.revenue_share), total_revenue, 1);
    let margin_pcts = percents_of_total(&shares(|t| t.margin_share), total_margin, 1);
    analysis
        .tiers
        .iter()
        .enumerate()
        .map(|(i, t)| Tier {
            name: t.name.clone(),
            customers: t.customers,
            customer_share: t.customer_share,
            revenue: Money(t.revenue),
            revenue_share: share_of(t.revenue_share, total_revenue),
            margin: has_cost.then_some(Money(t.margin)),
            margin_share: has_cost.then(|| share_of(t.margin_share, total_margin)),
            avg_revenue: t.avg_revenue,
            orders: t.orders,
            rank: i + 1,
            description: t.description.clone(),
            rule: policy
                .tiers
                .get(i)
                .and_then(|p| p.when.as_ref())
                .map(|w| w.text.clone()),
            customer_pct: customer_pcts[i].clone(),
            revenue_pct: revenue_pcts[i].clone(),
            margin_pct: has_cost.then(|| margin_pcts[i].clone()),
            revenue_12m: Money(t.revenue_12m),
            profit: TierProfit::of(analysis.profitability.as_ref(), i),
        })
        .collect()
}

fn findings(analysis: &Analysis) -> Vec<Finding> {
    analysis
        .findings
        .iter()
        .map(|f| Finding {
            name: f.name.clone(),
            severity: f.severity,
            message: f.message.clone(),
            customers: f.customers,
            revenue: Money(f.revenue),
            revenue_share: share_of(f.revenue_share, analysis.total_revenue),
            largest: f.largest.as_ref().map(|l| Largest {
                customer_id: l.id.clone(),
                revenue: Money(l.revenue),
            }),
            customer_share: if analysis.customers > 0 {
                f.customers as f64 / analysis.customers as f64
            } else {
                0.0
            },
        })
        .collect()
}

fn coverage(r: &RuleCoverage) -> Coverage {
    let near_threshold: Vec<Near> = r.near_threshold.iter().map(near).collect();
    Coverage {
        tier: r.tier.clone(),
        rule: r.rule.clone(),
        placed: r.placed,
        holds: r.holds,
        undecided: r.undecided,
        shadowed: r.shadowed,
        note: r.note.clone(),
        reachable: near_threshold
            .iter()
            .filter(|n| n.within_reach > 0)
            .cloned()
            .collect(),
        near_threshold,
    }
}

fn near(n: &analysis::NearThreshold) -> Near {
    Near {
        metric: n.metric.clone(),
        op: n.op,
        threshold: match n.threshold {
            TreeNumber::Int(i) => Threshold::Int(i),
            TreeNumber::Float(f) if n.money => Threshold::Money(f),
            TreeNumber::Float(f) => Threshold::Float(f),
        },
        source: n.source.clone(),
        customers: n.customers,
        within_reach: n.within_reach,
        money: n.money,
    }
}

fn rfm(grid: &[[RfmCell; 5]; 5], total: i64) -> Vec<Vec<GridCell>> {
    grid.iter()
        .map(|row| {
            row.iter()
                .map(|cell| GridCell {
                    customers: cell.customers,
                    revenue: Money(cell.revenue),
                    revenue_share: share_of(ratio(cell.revenue, total), total),
                })
                .collect()
        })
        .collect()
}

impl Report {
    /// The model as pretty-printed JSON bytes (`summary.json`).
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            serde_json::ser::PrettyFormatter::with_indent(b"  "),
        );
        self.serialize(&mut ser).expect("writing to memory");
        out.push(b'\n');
        out
    }
}
