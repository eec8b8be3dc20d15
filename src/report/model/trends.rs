//! The trends part of the report model (see [`crate::analysis::trends`]): per tier, persona and
//! `market_growth:` segment, revenue and margin by complete quarter, year-on-year growth, the
//! downturn flag and the market comparison, with the sentences the report shows built from those
//! figures. The first six keys of a segment are those the issue's `summary.json` names.

use serde::Serialize;

use super::Money;
use crate::analysis::trends::{self as analysis, Trends, YOY_QUARTERS};
use crate::metrics::Quarter;
use crate::report::format::{money, number, percent, percent_compact};

/// One segment's trend.
#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    /// The tier's or persona's name, or `attribute=value`.
    pub segment: String,
    /// `tier`, `persona` or `attribute`.
    pub kind: &'static str,
    /// Revenue and margin per complete quarter, oldest first.
    pub quarters: Vec<QuarterFigures>,
    /// Last four complete quarters against the four before, less 1; `None` with fewer than
    /// eight complete quarters (or a non-positive earlier year).
    pub yoy_revenue_growth: Option<f64>,
    /// Margin fell in each of the last two complete quarters, or year-on-year revenue fell by
    /// more than `downturn_yoy`.
    pub downturn: bool,
    /// The declared annual market growth (`market_growth:`), `None` when not declared.
    pub market_growth: Option<f64>,
    /// Customers in the segment at the as-of date.
    pub customers: usize,
    /// Whether a downturn can be called: margin over at least three quarters, or year-on-year
    /// growth; `downturn` is false when it cannot.
    pub downturn_known: bool,
    /// Margin fell in each of the last two complete quarters.
    pub margin_falling: bool,
    /// Year-on-year revenue fell by more than `downturn_yoy`.
    pub revenue_falling: bool,
    /// Market growth less ours; `None` without both.
    pub market_lag: Option<f64>,
    /// We trail the market by more than the `market_lag` param.
    pub lagging: bool,
    /// What the quarters say, from the figures.
    pub story: String,
    /// Market growth against ours, in words; `None` without a declared market growth.
    pub market_story: Option<String>,
    /// Revenue in the quarters of [`TrendsOverview::recent_quarters`], for the report's table.
    pub recent_revenue: Vec<Money>,
}

/// How many of the latest quarters the report's table shows.
const RECENT: usize = 4;

/// One complete quarter of a segment.
#[derive(Debug, Clone, Serialize)]
pub struct QuarterFigures {
    /// `1998Q1`.
    pub quarter: String,
    /// Revenue in the quarter.
    pub revenue: Money,
    /// Revenue less cost in the quarter; `None` without a cost column.
    pub margin: Option<Money>,
}

/// What the trends cover and what they say over all segments.
#[derive(Debug, Clone, Serialize)]
pub struct TrendsOverview {
    /// Complete quarters covered.
    pub quarters: usize,
    /// The first of them, `1997Q1`.
    pub first_quarter: Option<String>,
    /// The last of them.
    pub last_quarter: Option<String>,
    /// The quarter holding the as-of date, left out as incomplete, when it holds transactions.
    pub left_out: Option<String>,
    /// Whether year-on-year growth is known (at least eight complete quarters).
    pub yoy_known: bool,
    /// The `downturn_yoy` param in force.
    pub downturn_yoy: f64,
    /// The `market_lag` param in force.
    pub market_lag: f64,
    /// What the data covers, and what year-on-year growth needs when it is not there.
    pub coverage: String,
    /// The action title: how many segments are in a downturn or trail their market.
    pub headline: String,
    /// Segments in a downturn, in segment order.
    pub downturns: Vec<String>,
    /// Segments trailing their market by more than `market_lag`, in segment order.
    pub lagging: Vec<String>,
    /// The latest complete quarters (up to four), the columns of the report's table.
    pub recent_quarters: Vec<String>,
    /// Whether any segment has a declared market growth.
    pub has_market: bool,
}

/// `1998Q1`, as `summary.json` writes a quarter.
fn quarter_name(q: Quarter) -> String {
    format!("{}Q{}", q.year, q.quarter)
}

/// The model's trends of a run.
pub(super) fn trends(t: &Trends, currency: &str) -> Vec<Trend> {
    t.segments.iter().map(|s| trend(t, s, currency)).collect()
}

fn trend(t: &Trends, s: &analysis::SegmentTrend, currency: &str) -> Trend {
    let quarters = t
        .quarters
        .iter()
        .enumerate()
        .map(|(i, &q)| QuarterFigures {
            quarter: quarter_name(q),
            revenue: Money(s.revenue[i]),
            margin: s.margin.as_ref().map(|m| Money(m[i])),
        })
        .collect();
    Trend {
        segment: s.segment.clone(),
        kind: s.kind.name(),
        quarters,
        yoy_revenue_growth: s.yoy_revenue_growth,
        downturn: s.downturn,
        market_growth: s.market.as_ref().map(|m| m.growth),
        customers: s.customers,
        downturn_known: s.yoy_revenue_growth.is_some()
            || s.margin.as_ref().is_some_and(|m| m.len() >= 3),
        margin_falling: s.margin_falling,
        revenue_falling: s.revenue_falling,
        market_lag: s.market.as_ref().and_then(|m| m.lag),
        lagging: s.market.as_ref().is_some_and(|m| m.lagging),
        story: story(t, s, currency),
        market_story: s.market.as_ref().map(|m| market_story(t, s, m)),
        recent_revenue: s.revenue[s.revenue.len().saturating_sub(RECENT)..]
            .iter()
            .map(|&c| Money(c))
            .collect(),
    }
}

/// Money in whole currency units.
fn cash(cents: i64, currency: &str) -> String {
    money(cents as f64 / 100.0, currency, 0)
}

/// A growth for a sentence: a whole percentage when it is one (`7%`), else one decimal below 10%
/// (`0.2%`, `9.3%`) and none from there on (`13%`).
fn pct(share: f64) -> String {
    let hundredths = share * 100.0;
    if (hundredths - hundredths.round()).abs() < 1e-9 {
        percent(share, 0)
    } else {
        percent_compact(share)
    }
}

/// A growth as a signed percentage: `+4.0%`, `-12.5%`.
fn growth(g: f64) -> String {
    let p = percent(g.abs(), 1);
    if g < 0.0 && p != "0.0%" {
        format!("-{p}")
    } else {
        format!("+{p}")
    }
}

/// `to` against `from`, less 1; `None` when `from` is not positive.
fn change(from: i64, to: i64) -> Option<f64> {
    (from > 0).then(|| to as f64 / from as f64 - 1.0)
}

/// What a segment's quarters say: revenue over the period or year on year, margin's last two
/// quarters, and the downturn's reason.
fn story(t: &Trends, s: &analysis::SegmentTrend, currency: &str) -> String {
    let n = t.quarters.len();
    if n == 0 {
        return String::new();
    }
    let (first, last) = (quarter_name(t.quarters[0]), quarter_name(t.quarters[n - 1]));
    let mut out = match s.yoy_revenue_growth {
        Some(g) => {
            let sum = |r: &[i64]| r.iter().sum::<i64>();
            format!(
                "Revenue {} {} year on year: {} in the four quarters to {last} against {} in the four before.",
                if g < 0.0 { "fell" } else { "grew" },
                percent(g.abs(), 1),
                cash(sum(&s.revenue[n - 4..]), currency),
                cash(sum(&s.revenue[n - 8..n - 4]), currency),
            )
        }
        None if n == 1 => format!("Revenue {} in {first}.", cash(s.revenue[0], currency)),
        None => format!(
            "Revenue {} in {first}, {} in {last}{}.",
            cash(s.revenue[0], currency),
            cash(s.revenue[n - 1], currency),
            change(s.revenue[0], s.revenue[n - 1])
                .map(|c| format!(" ({})", growth(c)))
                .unwrap_or_default()
        ),
    };
    if let Some(m) = s.margin.as_ref().filter(|m| m.len() >= 3) {
        let [a, b, c] = [m[n - 3], m[n - 2], m[n - 1]].map(|v| cash(v, currency));
        if s.margin_falling {
            out.push_str(&format!(
                " Margin fell in each of the last two quarters: {a}, {b}, {c}: a downturn."
            ));
        } else {
            out.push_str(&format!(
                " Margin over the last three quarters: {a}, {b}, {c}."
            ));
        }
    }
    if s.revenue_falling {
        out.push_str(&format!(
            " That is more than the {} fall the policy allows (param downturn_yoy): a downturn.",
            pct(t.downturn_yoy)
        ));
    }
    out
}

/// "The market grows 12%, we grow 4%: we are losing share", or why our growth is not known.
fn market_story(t: &Trends, s: &analysis::SegmentTrend, m: &analysis::Market) -> String {
    let market = pct(m.growth);
    let Some(ours) = s.yoy_revenue_growth else {
        return format!(
            "The market grows {market} a year; our own year-on-year growth in {} needs {YOY_QUARTERS} complete quarters of transactions and the data has {}.",
            s.segment,
            t.quarters.len()
        );
    };
    let verb = if ours < 0.0 { "shrink" } else { "grow" };
    let we = format!("we {verb} {}", pct(ours.abs()));
    let share = match m.growth.total_cmp(&ours) {
        std::cmp::Ordering::Greater => "we are losing share",
        std::cmp::Ordering::Less => "we are gaining share",
        std::cmp::Ordering::Equal => "we are holding our share",
    };
    let flag = if m.lagging {
        format!(
            " We trail it by more than the {} points the policy allows (param market_lag).",
            number(t.market_lag * 100.0, 0)
        )
    } else {
        String::new()
    };
    format!("The market grows {market}, {we}: {share}.{flag}")
}

/// What the trends cover and what they say over all segments.
pub(super) fn overview(t: &Trends, as_of: &str, customers: usize) -> TrendsOverview {
    let n = t.quarters.len();
    let name = |i: usize| t.quarters.get(i).map(|&q| quarter_name(q));
    let left_out = t.left_out.map(quarter_name);
    let coverage = if n == 0 {
        format!("The data holds no complete calendar quarter up to {as_of}: trends need at least one quarter that ends on or before the as-of date.")
    } else {
        let mut c = format!(
            "The data covers {n} complete quarter{}, {} to {}",
            if n == 1 { "" } else { "s" },
            name(0).unwrap_or_default(),
            name(n - 1).unwrap_or_default()
        );
        match &left_out {
            Some(q) => c.push_str(&format!(
                "; {q} is left out: it is not complete on {as_of}."
            )),
            None => c.push('.'),
        }
        let cohort = t.first_cohort as f64 / customers.max(1) as f64;
        if n > 1 && cohort >= 0.5 {
            c.push_str(&format!(
                " {} of the {} customers first bought in {}: the quarters follow that cohort as it ages more than they show new customers.",
                percent(cohort, 0),
                crate::report::format::thousands(customers as i64),
                name(0).unwrap_or_default()
            ));
        }
        if n < YOY_QUARTERS {
            c.push_str(&format!(
                " Year-on-year growth sets the last four complete quarters against the four before, so it needs two years of transactions ({YOY_QUARTERS} quarters): {} more would show it.",
                YOY_QUARTERS - n
            ));
        }
        c
    };
    let pick = |f: fn(&analysis::SegmentTrend) -> bool| -> Vec<String> {
        t.segments
            .iter()
            .filter(|s| f(s))
            .map(|s| s.segment.clone())
            .collect()
    };
    let downturns = pick(|s| s.downturn);
    let lagging = pick(|s| s.market.as_ref().is_some_and(|m| m.lagging));
    TrendsOverview {
        quarters: n,
        first_quarter: name(0),
        last_quarter: n.checked_sub(1).and_then(name),
        left_out,
        yoy_known: n >= YOY_QUARTERS,
        downturn_yoy: t.downturn_yoy,
        market_lag: t.market_lag,
        recent_quarters: t.quarters[n.saturating_sub(RECENT)..]
            .iter()
            .map(|&q| quarter_name(q))
            .collect(),
        has_market: t.segments.iter().any(|s| s.market.is_some()),
        headline: headline(t, &downturns, &lagging),
        coverage,
        downturns,
        lagging,
    }
}

/// The action title of the trends section.
fn headline(t: &Trends, downturns: &[String], lagging: &[String]) -> String {
    let total = t.segments.len();
    if t.quarters.is_empty() || total == 0 {
        return "No complete quarter yet: the segments' direction cannot be read".to_string();
    }
    let n = t.quarters.len();
    if !(t.has_margin && n >= 3) && n < YOY_QUARTERS {
        // No downturn can be called: the largest move over the period, in money.
        let moved = t
            .segments
            .iter()
            .filter_map(|s| {
                let (a, b) = (s.revenue[0], s.revenue[n - 1]);
                Some((s, a, b, change(a, b)?))
            })
            .max_by_key(|(_, a, b, _)| (i128::from(*b) - i128::from(*a)).abs());
        return match moved {
            Some((s, a, b, c)) if n > 1 => format!(
                "{}'s quarterly revenue {} {} from {} to {} over {n} quarters; year-on-year growth needs {YOY_QUARTERS}",
                s.segment,
                if b < a { "fell" } else { "rose" },
                percent(c.abs(), 0),
                quarter_name(t.quarters[0]),
                quarter_name(t.quarters[n - 1]),
            ),
            _ => format!(
                "{n} complete quarter{} of revenue: too short to call a downturn without margin",
                if n == 1 { "" } else { "s" }
            ),
        };
    }
    let list = |names: &[String]| names.join(", ");
    let mut parts = Vec::new();
    if !downturns.is_empty() {
        parts.push(format!(
            "{} of {total} segments in a downturn ({})",
            downturns.len(),
            list(downturns)
        ));
    }
    let trailing = t
        .segments
        .iter()
        .filter(|s| s.market.as_ref().is_some_and(|m| m.lagging));
    match (lagging.len(), trailing.clone().next()) {
        (1, Some(s)) => {
            let ours = s.yoy_revenue_growth.unwrap_or(0.0);
            let market = s.market.as_ref().map_or(0.0, |m| m.growth);
            parts.push(format!(
                "{} revenue {} {} in a year while its market grows {}: it is losing share",
                s.segment,
                if ours < 0.0 { "shrank" } else { "grew" },
                pct(ours.abs()),
                pct(market)
            ));
        }
        (0, _) | (_, None) => {}
        (k, Some(_)) => parts.push(format!(
            "{k} segments trail their market by more than {} points ({})",
            number(t.market_lag * 100.0, 0),
            list(lagging)
        )),
    }
    if downturns.is_empty() && !parts.is_empty() {
        parts.push("no segment in a downturn".to_string());
    }
    if parts.is_empty() {
        format!(
            "No segment in a downturn over {} quarters{}",
            t.quarters.len(),
            if t.segments.iter().any(|s| s.market.is_some()) {
                ", none trailing its market"
            } else {
                ""
            }
        )
    } else {
        let mut s = parts.join("; ");
        if let Some(c) = s.get(..1) {
            s = c.to_uppercase() + &s[1..];
        }
        s
    }
}
