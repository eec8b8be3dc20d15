//! The values a report template sees. Documented in the README; every name here is part of the
//! template contract, so add rather than rename. A share of a total that is zero or negative
//! (revenue, margin, concentration) is not meaningful: it is NaN here, and the `pct` and `num`
//! filters print it as a dash.

use serde::Serialize;
use tera::Context;

use super::format::{percents_of_total, percents_summing_to_100, share_of};
use crate::analysis::{Analysis, RuleCoverage};
use crate::provenance::Provenance;
use crate::workspace::{ParamValue, Policy};

#[derive(Serialize)]
struct Tier<'a> {
    rank: usize,
    name: &'a str,
    description: Option<&'a str>,
    rule: Option<&'a str>,
    customers: usize,
    customer_share: f64,
    customer_pct: String,
    revenue: f64,
    revenue_share: f64,
    revenue_pct: String,
    margin: f64,
    margin_share: f64,
    margin_pct: String,
    avg_revenue: f64,
    orders: i64,
}

#[derive(Serialize)]
struct TopCustomer<'a> {
    rank: usize,
    id: &'a str,
    tier: &'a str,
    revenue: f64,
    orders: i64,
    cum_revenue_share: f64,
}

#[derive(Serialize)]
struct Finding<'a> {
    name: &'a str,
    severity: String,
    message: &'a str,
    customers: usize,
    customer_share: f64,
    revenue: f64,
    revenue_share: f64,
    largest_id: Option<&'a str>,
    largest_revenue: Option<f64>,
}

/// A tier rule's coverage of the customers.
#[derive(Serialize)]
struct Coverage<'a> {
    tier: &'a str,
    rule: &'a str,
    placed: usize,
    /// `None` when only the script engine can evaluate the rule.
    holds: Option<usize>,
    shadowed: bool,
    note: Option<&'a str>,
    near_threshold: Vec<Near<'a>>,
}

/// Customers near one threshold of a rule.
#[derive(Serialize)]
struct Near<'a> {
    metric: &'a str,
    op: &'a str,
    threshold: f64,
    /// Money in the workspace currency, other numbers plain.
    threshold_text: String,
    source: &'a str,
    customers: usize,
}

fn coverage<'a>(rules: &'a [RuleCoverage], currency: &str) -> Vec<Coverage<'a>> {
    rules
        .iter()
        .map(|r| Coverage {
            tier: &r.tier,
            rule: &r.rule,
            placed: r.placed,
            holds: r.holds,
            shadowed: r.shadowed,
            note: r.note.as_deref(),
            near_threshold: r
                .near_threshold
                .iter()
                .map(|n| {
                    let v = n.threshold.as_f64();
                    Near {
                        metric: &n.metric,
                        op: n.op,
                        threshold: v,
                        threshold_text: if n.money {
                            let cents = v.fract() != 0.0;
                            super::format::money(v, currency, if cents { 2 } else { 0 })
                        } else {
                            crate::engine::explain::plain(v)
                        },
                        source: &n.source,
                        customers: n.customers,
                    }
                })
                .collect(),
        })
        .collect()
}

#[derive(Serialize)]
struct Quality {
    file: String,
    rows_read: u64,
    rows_used: u64,
    excluded_after_as_of: u64,
    zero_amount_rows: u64,
    refund_rows: u64,
    customers_net_nonpositive: usize,
    first_date: Option<String>,
    last_date: Option<String>,
    attribute_rows_without_transactions: usize,
}

#[derive(Serialize)]
struct Concentration {
    top20_share: f64,
    top20_customers: usize,
    customers_for_80: usize,
    customer_share_for_80: f64,
    gini: f64,
}

#[derive(Serialize)]
struct Report<'a> {
    client: &'a str,
    currency: &'a str,
    as_of: String,
    title: &'a str,
    subtitle: Option<&'a str>,
    prepared_by: Option<&'a str>,
    page_size: &'a str,
    powerbase_version: &'static str,
    has_cost: bool,
    customers: usize,
    total_revenue: f64,
    total_margin: f64,
    tiers: Vec<Tier<'a>>,
    concentration: Concentration,
    top_customers: Vec<TopCustomer<'a>>,
    findings: Vec<Finding<'a>>,
    coverage: Vec<Coverage<'a>>,
    quality: Quality,
    params: indexmap::IndexMap<&'a str, Param<'a>>,
    /// The params in policy order (iterating a map in a template has no fixed order).
    param_list: Vec<NamedParam<'a>>,
    provenance: Option<ProvenanceContext<'a>>,
}

/// A param's value as templates see it: a plain number, flag or text.
#[derive(Serialize, Clone, Copy)]
#[serde(untagged)]
enum Param<'a> {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(&'a str),
}

#[derive(Serialize)]
struct NamedParam<'a> {
    name: &'a str,
    value: Param<'a>,
}

#[derive(Serialize)]
struct ProvenanceContext<'a> {
    powerbase: &'a str,
    policy: String,
    overrides: &'a [String],
    data_files: Vec<DataFile<'a>>,
}

#[derive(Serialize)]
struct DataFile<'a> {
    path: &'a str,
    sha256: &'a str,
    sha256_short: &'a str,
}

fn units(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// The template context of a run.
pub fn context(policy: &Policy, analysis: &Analysis, provenance: Option<&Provenance>) -> Context {
    let customer_pcts = percents_summing_to_100(
        &analysis
            .tiers
            .iter()
            .map(|t| t.customer_share)
            .collect::<Vec<_>>(),
        1,
    );
    // Shares of a total that is zero or negative are not meaningful: NaN, printed as a dash.
    let (total_revenue, total_margin) = (analysis.total_revenue, analysis.total_margin);
    let revenue_pcts = percents_of_total(
        &analysis
            .tiers
            .iter()
            .map(|t| t.revenue_share)
            .collect::<Vec<_>>(),
        total_revenue,
        1,
    );
    let margin_pcts = percents_of_total(
        &analysis
            .tiers
            .iter()
            .map(|t| t.margin_share)
            .collect::<Vec<_>>(),
        total_margin,
        1,
    );
    let tiers = analysis
        .tiers
        .iter()
        .enumerate()
        .map(|(i, t)| Tier {
            rank: i + 1,
            name: &t.name,
            description: t.description.as_deref(),
            rule: policy
                .tiers
                .get(i)
                .and_then(|p| p.when.as_ref())
                .map(|w| w.text.as_str()),
            customers: t.customers,
            customer_share: t.customer_share,
            customer_pct: customer_pcts[i].clone(),
            revenue: units(t.revenue),
            revenue_share: share_of(t.revenue_share, total_revenue),
            revenue_pct: revenue_pcts[i].clone(),
            margin: units(t.margin),
            margin_share: share_of(t.margin_share, total_margin),
            margin_pct: margin_pcts[i].clone(),
            avg_revenue: t.avg_revenue,
            orders: t.orders,
        })
        .collect();
    let q = &analysis.quality;
    let c = &analysis.concentration;
    let params: indexmap::IndexMap<&str, Param<'_>> = policy
        .params
        .iter()
        .map(|p| {
            let v = match &p.value {
                ParamValue::Int(i) => Param::Int(*i),
                ParamValue::Float(f) => Param::Float(*f),
                ParamValue::Bool(b) => Param::Bool(*b),
                ParamValue::Text(t) => Param::Text(t),
            };
            (p.name.as_str(), v)
        })
        .collect();
    let report = Report {
        client: &policy.client,
        currency: &policy.currency,
        as_of: analysis.as_of.to_string(),
        title: &policy.report.title,
        subtitle: policy.report.subtitle.as_deref(),
        prepared_by: policy.report.prepared_by.as_deref(),
        page_size: &policy.report.page_size,
        powerbase_version: env!("CARGO_PKG_VERSION"),
        has_cost: policy.transactions.columns.cost.is_some(),
        customers: analysis.customers,
        total_revenue: units(analysis.total_revenue),
        total_margin: units(analysis.total_margin),
        tiers,
        concentration: Concentration {
            top20_share: share_of(c.top20_share, total_revenue),
            top20_customers: c.top20_customers,
            customers_for_80: c.customers_for_80,
            customer_share_for_80: share_of(c.customer_share_for_80, total_revenue),
            gini: share_of(c.gini, total_revenue),
        },
        top_customers: analysis
            .top_customers
            .iter()
            .map(|t| TopCustomer {
                rank: t.rank,
                id: &t.id,
                tier: &t.tier,
                revenue: units(t.revenue),
                orders: t.orders,
                cum_revenue_share: t.cum_revenue_share,
            })
            .collect(),
        findings: analysis
            .findings
            .iter()
            .map(|f| Finding {
                name: &f.name,
                severity: format!("{:?}", f.severity).to_lowercase(),
                message: &f.message,
                customers: f.customers,
                customer_share: if analysis.customers > 0 {
                    f.customers as f64 / analysis.customers as f64
                } else {
                    0.0
                },
                revenue: units(f.revenue),
                revenue_share: f.revenue_share,
                largest_id: f.largest.as_ref().map(|l| l.id.as_str()),
                largest_revenue: f.largest.as_ref().map(|l| units(l.revenue)),
            })
            .collect(),
        coverage: coverage(&analysis.coverage, &policy.currency),
        quality: Quality {
            file: q.file.clone(),
            rows_read: q.rows_read,
            rows_used: q.rows_used,
            excluded_after_as_of: q.excluded_after_as_of,
            zero_amount_rows: q.zero_amount_rows,
            refund_rows: q.refund_rows,
            customers_net_nonpositive: q.customers_net_nonpositive,
            first_date: q.first_day.map(|d| d.to_string()),
            last_date: q.last_day.map(|d| d.to_string()),
            attribute_rows_without_transactions: q.attribute_rows_without_transactions,
        },
        param_list: params
            .iter()
            .map(|(name, value)| NamedParam {
                name,
                value: *value,
            })
            .collect(),
        params,
        provenance: provenance.map(|p| ProvenanceContext {
            powerbase: &p.powerbase,
            policy: p.policy.describe(),
            overrides: &p.overrides,
            data_files: p
                .data_files
                .iter()
                .map(|f| DataFile {
                    path: &f.path,
                    sha256: &f.sha256,
                    sha256_short: &f.sha256[..f.sha256.len().min(16)],
                })
                .collect(),
        }),
    };
    Context::from_serialize(&report).expect("the report context serialises")
}
