//! Stage 5: what the numbers say. Tier summaries, revenue concentration (80/20, Gini), the top
//! customers, findings from checks, the RFM grid, data quality, and the profiles of the core tiers
//! and personas: plain values the report renders.

pub mod accounts;
pub mod breakdown;
mod concentration;
pub mod coverage;
pub mod gap;
pub mod migration;
pub mod profile;
pub mod profit;
pub mod representation;
pub mod rfm;
pub mod rising;
pub mod trends;

pub use breakdown::{breakdown, BreakdownError, Group, TierCell};
pub use concentration::{concentration, pareto_curve, Concentration};
pub use coverage::{NearThreshold, RuleCoverage};
pub use profit::{Profitability, TierProfit, TierRatio, WhalePeak};
pub use rfm::{Rfm, RfmCell, Tie};

use serde::Serialize;

use crate::data::{Day, LoadStats};
use crate::engine::Evaluation;
use crate::metrics::{population, Column, CustomerTable, Kind, Origin, Sidecar};
use crate::workspace::{Policy, Severity};

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The as-of date.
    pub as_of: Day,
    /// Number of customers.
    pub customers: usize,
    /// Net revenue of all customers, in cents.
    pub total_revenue: i64,
    /// Margin of all customers, in cents.
    pub total_margin: i64,
    /// One per tier, in policy order.
    pub tiers: Vec<TierSummary>,
    /// How concentrated revenue is.
    pub concentration: Concentration,
    /// The concentration curve: (share of customers, cumulative share of revenue), largest first.
    pub curve: Vec<(f64, f64)>,
    /// The largest customers by revenue.
    pub top_customers: Vec<TopCustomer>,
    /// Checks that fired, then tier rules that placed nobody (see [`coverage`]).
    pub findings: Vec<Finding>,
    /// How each tier rule covers the customers, in policy order (the last tier has no rule).
    pub coverage: Vec<RuleCoverage>,
    /// The recency x frequency grid and the ties behind its scores.
    pub rfm: Rfm,
    /// Rows read and what happened to them.
    pub quality: DataQuality,
    /// The attribute columns (from the customer attribute table), in table order.
    pub attributes: Vec<Attribute>,
    /// Customers and revenue by `rfm_segment` x tier, when the policy has that metric (it comes
    /// with `include: [builtin/rfm]`).
    pub rfm_segments: Option<Vec<Group>>,
    /// How the tiers, the core tiers and the personas differ from the whole base.
    pub profiles: profile::Profiles,
    /// Profit in total, per tier and the whale curve; `None` when the policy computes no profit
    /// (no cost column and no `cost_to_serve:`).
    pub profitability: Option<Profitability>,
    /// Average profit (or revenue, without profit) of higher tiers against lower ones.
    pub inequality: Vec<TierRatio>,
    /// How customers moved between tiers since an earlier as-of date (`run --compare-as-of`);
    /// `None` without one. [`analyse`] leaves it `None`: the pipeline adds it.
    pub migration: Option<migration::Periods>,
    /// Rising customers outside the core tiers and graduation candidates of each tier.
    pub rising: rising::Outlook,
    /// Revenue and margin by complete quarter per tier, persona and `market_growth:` segment.
    pub trends: trends::Trends,
    /// The investment gap between today's products and the personas' needs (see [`gap`]).
    pub investment_gap: gap::InvestmentGap,
    /// How the customers were rolled up into accounts (`level: account`); `None` at customer
    /// level. [`analyse`] leaves it `None`: the pipeline adds it.
    pub accounts: Option<accounts::Rollup>,
}

/// An attribute column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribute {
    /// Its name in expressions and in `customers.csv`.
    pub name: String,
    /// What kind of values it holds: `int`, `money`, `float`, `date`, `text` or `bool`.
    pub kind: &'static str,
}

/// The name templates and `summary.json` give a kind of values.
fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Int => "int",
        Kind::Money => "money",
        Kind::Float => "float",
        Kind::Date => "date",
        Kind::Text => "text",
        Kind::Bool => "bool",
    }
}

/// One tier's totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierSummary {
    /// The tier's name.
    pub name: String,
    /// Its description from the policy.
    pub description: Option<String>,
    /// Customers in it.
    pub customers: usize,
    /// Share of all customers.
    pub customer_share: f64,
    /// Revenue in cents.
    pub revenue: i64,
    /// Share of total revenue (0 when total revenue is not positive).
    pub revenue_share: f64,
    /// Revenue of the 365 days up to the as-of date, in cents.
    pub revenue_12m: i64,
    /// Margin in cents.
    pub margin: i64,
    /// Share of total margin (0 when total margin is not positive).
    pub margin_share: f64,
    /// Mean revenue per customer, in currency units (0 for an empty tier).
    pub avg_revenue: f64,
    /// Purchases by its customers.
    pub orders: i64,
}

/// A customer in the top list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopCustomer {
    /// 1 for the largest.
    pub rank: usize,
    /// The customer id.
    pub id: String,
    /// Its tier.
    pub tier: String,
    /// Revenue in cents.
    pub revenue: i64,
    /// Purchases.
    pub orders: i64,
    /// Share of total revenue held by it and all larger customers.
    pub cum_revenue_share: f64,
}

/// A check that fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The check's name.
    pub name: String,
    /// How serious.
    pub severity: Severity,
    /// What it means.
    pub message: String,
    /// How many customers it concerns.
    pub customers: usize,
    /// The revenue at stake: the flagged customers' revenue, in cents.
    pub revenue: i64,
    /// Their share of total revenue (0 when total revenue is not positive).
    pub revenue_share: f64,
    /// The largest of them by revenue (ties: lowest id).
    pub largest: Option<FindingCustomer>,
}

/// A customer named by a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingCustomer {
    /// The customer id.
    pub id: String,
    /// Revenue in cents.
    pub revenue: i64,
}

/// What the loader saw and what the customer base looks like from a data point of view.
#[derive(Debug, Clone, PartialEq)]
pub struct DataQuality {
    /// The transaction file, as written in the policy.
    pub file: String,
    /// Data rows in the file.
    pub rows_read: u64,
    /// Rows used (dated on or before as-of).
    pub rows_used: u64,
    /// Rows dated after the as-of date.
    pub excluded_after_as_of: u64,
    /// Rows that could not be read and were set aside (`on_bad_rows: quarantine`).
    pub rejected: u64,
    /// The sum of the amounts (cents) of the rejected rows whose amount could be read.
    pub rejected_amount: i128,
    /// The rejected rows by column and problem, commonest first.
    pub rejected_problems: Vec<(String, &'static str, u64)>,
    /// Used rows with a zero amount.
    pub zero_amount_rows: u64,
    /// Used rows with a negative amount.
    pub refund_rows: u64,
    /// Customers whose net revenue is zero or negative.
    pub customers_net_nonpositive: usize,
    /// Earliest used date.
    pub first_day: Option<Day>,
    /// Latest used date.
    pub last_day: Option<Day>,
    /// Customers in the attribute table with no transactions (not in the customer table).
    pub attribute_rows_without_transactions: usize,
    /// How each source was read, file by file.
    pub sources: Vec<crate::data::SourceRead>,
    /// How the customer master joined the customers with transactions; `None` without one.
    pub join: Option<crate::data::Join>,
}

/// The metric whose values the RFM segments of the model break the customers down by.
pub const RFM_SEGMENT: &str = "rfm_segment";

/// `part` of `total`, or 0 when the total is not positive.
fn share(part: i64, total: i64) -> f64 {
    if total > 0 {
        part as f64 / total as f64
    } else {
        0.0
    }
}

/// An integer column's values, or none when it is missing.
fn ints<'t>(table: &'t CustomerTable, name: &str) -> &'t [i64] {
    match table.column(name) {
        Some(Column::Int(v)) => v.as_slice(),
        _ => &[],
    }
}

/// Sums up the evaluated customer table.
pub fn analyse(
    policy: &Policy,
    table: &CustomerTable,
    sidecar: &Sidecar,
    evaluation: &Evaluation,
    stats: &LoadStats,
    join: Option<crate::data::Join>,
) -> Analysis {
    let revenue = table.money("revenue");
    let total_revenue: i64 = revenue.iter().sum();
    // 0 when no cost column is mapped: the report model shows no margin then.
    let total_margin: i64 = table.known_money("margin").map_or(0, |m| m.iter().sum());
    let rank = population::revenue_rank(revenue);
    let desc: Vec<i64> = rank.iter().map(|&i| revenue[i]).collect();
    let mut findings = check_findings(table, evaluation, total_revenue);
    let coverage = coverage::coverage(policy, table, &evaluation.tiers, revenue);
    findings.extend(coverage::findings(
        &coverage,
        &table.ids,
        revenue,
        total_revenue,
    ));
    let tier_names: Vec<String> = policy.tier_names();
    let all_tiers = vec![true; tier_names.len()];
    let tiers = tier_summaries(
        policy,
        table,
        &evaluation.tiers,
        total_revenue,
        total_margin,
    );
    let profitability = profit::profitability(policy, table, &evaluation.tiers);
    let inequality = profit::inequality(&tiers, profitability.as_ref());
    Analysis {
        as_of: table.as_of,
        customers: table.len(),
        total_revenue,
        total_margin,
        tiers,
        concentration: concentration(&desc),
        curve: pareto_curve(&desc, 200),
        top_customers: top_customers(policy, table, &evaluation.tiers, &rank),
        findings,
        coverage,
        rfm: rfm::rfm(table),
        quality: quality(policy, stats, revenue, join),
        attributes: table
            .columns
            .iter()
            .filter(|c| c.origin == Origin::Attribute)
            .map(|c| Attribute {
                name: c.name.clone(),
                kind: kind_name(c.column.kind()),
            })
            .collect(),
        rfm_segments: breakdown(
            table,
            &evaluation.tiers,
            &tier_names,
            &all_tiers,
            RFM_SEGMENT,
        )
        .ok(),
        profiles: profile::profiles(policy, table, sidecar, evaluation),
        profitability,
        inequality,
        migration: None,
        rising: rising::outlook(policy, table, sidecar, evaluation),
        trends: trends::trends(policy, table, sidecar, evaluation),
        investment_gap: gap::investment_gap(policy, table, sidecar, evaluation),
        accounts: None,
    }
}

/// One summary per tier, in policy order.
fn tier_summaries(
    policy: &Policy,
    table: &CustomerTable,
    tier_of: &[u16],
    total_revenue: i64,
    total_margin: i64,
) -> Vec<TierSummary> {
    let revenue = table.money("revenue");
    let revenue_12m = table.money("revenue_12m");
    let margin = table.known_money("margin");
    let orders = ints(table, "orders");
    let mut tiers: Vec<TierSummary> = policy
        .tiers
        .iter()
        .map(|t| TierSummary {
            name: t.name.clone(),
            description: t.description.clone(),
            customers: 0,
            customer_share: 0.0,
            revenue: 0,
            revenue_share: 0.0,
            revenue_12m: 0,
            margin: 0,
            margin_share: 0.0,
            avg_revenue: 0.0,
            orders: 0,
        })
        .collect();
    for (i, &t) in tier_of.iter().enumerate() {
        let s = &mut tiers[t as usize];
        s.customers += 1;
        s.revenue += revenue[i];
        s.revenue_12m += revenue_12m[i];
        s.margin += margin.map_or(0, |m| m[i]);
        s.orders += orders.get(i).copied().unwrap_or(0);
    }
    let n = table.len();
    for s in &mut tiers {
        s.customer_share = if n > 0 {
            s.customers as f64 / n as f64
        } else {
            0.0
        };
        s.revenue_share = share(s.revenue, total_revenue);
        s.margin_share = share(s.margin, total_margin);
        s.avg_revenue = if s.customers > 0 {
            s.revenue as f64 / 100.0 / s.customers as f64
        } else {
            0.0
        };
    }
    tiers
}

/// The largest customers by revenue (`rank`: rows, largest first).
fn top_customers(
    policy: &Policy,
    table: &CustomerTable,
    tier_of: &[u16],
    rank: &[usize],
) -> Vec<TopCustomer> {
    let revenue = table.money("revenue");
    let orders = ints(table, "orders");
    let cum = match table.column("cum_revenue_share") {
        Some(Column::Float(v)) => v.as_slice(),
        _ => &[],
    };
    rank.iter()
        .take(policy.report.top_customers)
        .enumerate()
        .map(|(r, &i)| TopCustomer {
            rank: r + 1,
            id: table.ids[i].clone(),
            tier: policy.tiers[tier_of[i] as usize].name.clone(),
            revenue: revenue[i],
            orders: orders.get(i).copied().unwrap_or(0),
            cum_revenue_share: cum.get(i).copied().unwrap_or(f64::NAN),
        })
        .collect()
}

/// The checks that fired, with the revenue at stake.
fn check_findings(
    table: &CustomerTable,
    evaluation: &Evaluation,
    total_revenue: i64,
) -> Vec<Finding> {
    let revenue = table.money("revenue");
    evaluation
        .checks
        .iter()
        .filter(|c| !c.customers.is_empty())
        .map(|c| {
            let largest = c
                .customers
                .iter()
                .map(|&i| i as usize)
                .max_by(|&a, &b| revenue[a].cmp(&revenue[b]).then(b.cmp(&a)))
                .map(|i| FindingCustomer {
                    id: table.ids[i].clone(),
                    revenue: revenue[i],
                });
            let at_stake: i64 = c.customers.iter().map(|&i| revenue[i as usize]).sum();
            Finding {
                name: c.name.clone(),
                severity: c.severity,
                message: c.message.clone(),
                customers: c.customers.len(),
                revenue: at_stake,
                revenue_share: share(at_stake, total_revenue),
                largest,
            }
        })
        .collect()
}

/// What the loader saw.
fn quality(
    policy: &Policy,
    stats: &LoadStats,
    revenue: &[i64],
    join: Option<crate::data::Join>,
) -> DataQuality {
    DataQuality {
        file: policy.transactions.path.to_string(),
        rows_read: stats.rows_read,
        rows_used: stats.rows_used,
        excluded_after_as_of: stats.excluded_after_as_of,
        rejected: stats.rejected.total,
        rejected_amount: stats.rejected.amount,
        rejected_problems: stats.rejected.problems(),
        zero_amount_rows: stats.zero_amount_rows,
        refund_rows: stats.refund_rows,
        customers_net_nonpositive: revenue.iter().filter(|&&r| r <= 0).count(),
        first_day: stats.first_day,
        last_day: stats.last_day,
        sources: stats.sources.clone(),
        attribute_rows_without_transactions: join
            .as_ref()
            .map_or(0, |j| j.master_without_transactions.count),
        join,
    }
}
