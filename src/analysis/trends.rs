//! Is each segment heading our way? Revenue and margin by calendar quarter per tier and per
//! persona (segments fixed at the as-of date: a customer's current tier or persona), over complete
//! quarters only, from the aggregation's quarter sink ([`crate::metrics::Quarters`]); a downturn
//! flag; and the declared market growth of a segment (`market_growth:`) against our own
//! year-on-year growth in it.
//!
//! A quarter is complete when it ends on or before the as-of date: the quarter holding the as-of
//! date is left out unless the as-of date is its last day. The quarters shown run from the first
//! quarter with a transaction to the last complete one, a quarter without rows counting 0.

use crate::data::Day;
use crate::diagnostic::Diagnostic;
use crate::engine::Evaluation;
use crate::metrics::{CustomerTable, Quarter, Sidecar};
use crate::workspace::{MarketGrowth, Param, ParamValue, Policy};

/// The default of the `downturn_yoy` param: a year-on-year revenue fall of more than 10% is a
/// downturn.
pub const DOWNTURN_YOY: f64 = 0.10;

/// The default of the `market_lag` param: a segment whose market grows more than 5 points faster
/// than we do in it is flagged.
pub const MARKET_LAG: f64 = 0.05;

/// Quarters of history year-on-year growth needs: the last four complete quarters and the four
/// before.
pub const YOY_QUARTERS: usize = 8;

/// What a segment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    /// A tier.
    Tier,
    /// A persona.
    Persona,
    /// The customers with one attribute value (`region=North`), named in `market_growth:`.
    Attribute,
}

impl SegmentKind {
    /// `tier`, `persona` or `attribute`, as `summary.json` writes it.
    pub fn name(self) -> &'static str {
        match self {
            SegmentKind::Tier => "tier",
            SegmentKind::Persona => "persona",
            SegmentKind::Attribute => "attribute",
        }
    }
}

/// The quarterly figures of every segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Trends {
    /// The complete quarters covered, ascending (empty when the data holds none).
    pub quarters: Vec<Quarter>,
    /// The quarter holding the as-of date when it was left out (incomplete), if it holds rows.
    pub left_out: Option<Quarter>,
    /// Whether margin is known (a cost column is mapped).
    pub has_margin: bool,
    /// The `downturn_yoy` param in force.
    pub downturn_yoy: f64,
    /// The `market_lag` param in force.
    pub market_lag: f64,
    /// Customers whose first purchase falls in the first quarter covered: when they are most
    /// customers, the quarters follow one cohort as it ages.
    pub first_cohort: usize,
    /// Tiers in policy order, then personas in policy order, then the attribute segments of
    /// `market_growth:` in policy order.
    pub segments: Vec<SegmentTrend>,
}

/// One segment's quarters and what they say.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentTrend {
    /// The tier's or persona's name, or `attribute=value`.
    pub segment: String,
    /// What it is.
    pub kind: SegmentKind,
    /// Its customers at the as-of date.
    pub customers: usize,
    /// Revenue in cents per quarter of [`Trends::quarters`].
    pub revenue: Vec<i64>,
    /// Margin in cents per quarter; `None` without a cost column.
    pub margin: Option<Vec<i64>>,
    /// Revenue of the last four complete quarters against the four before, less 1; `None` with
    /// fewer than [`YOY_QUARTERS`] quarters or when the earlier four are not positive.
    pub yoy_revenue_growth: Option<f64>,
    /// Margin fell in each of the last two complete quarters.
    pub margin_falling: bool,
    /// Year-on-year revenue fell by more than `downturn_yoy`.
    pub revenue_falling: bool,
    /// Either of the two.
    pub downturn: bool,
    /// The declared market growth, when `market_growth:` names the segment.
    pub market: Option<Market>,
}

/// A segment's declared market growth against ours.
#[derive(Debug, Clone, PartialEq)]
pub struct Market {
    /// Annual market growth, as declared (0.12 for 12%).
    pub growth: f64,
    /// Market growth less our year-on-year growth; `None` when ours is not known.
    pub lag: Option<f64>,
    /// We lag the market by more than `market_lag`.
    pub lagging: bool,
}

/// A fraction param (`downturn_yoy`, `market_lag`) when the policy declares it (a number from 0
/// to 1), else `default`; a problem at the param when it is something else.
fn fraction(params: &[Param], name: &str, default: f64, reads: &str) -> Result<f64, Diagnostic> {
    let Some(p) = params.iter().find(|p| p.name == name) else {
        return Ok(default);
    };
    match p.value {
        ParamValue::Int(v) if (0..=1).contains(&v) => Ok(v as f64),
        ParamValue::Float(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(Diagnostic::at(
            p.origin.clone(),
            format!("param `{name}`: the trends read it as {reads}, a share from 0 to 1, but it is not one"),
        )
        .code("policy/bad-value")
        .with_help(format!("write a share such as `{name}: {default}`, or leave the param out for {default}"))),
    }
}

/// The `downturn_yoy` param (default [`DOWNTURN_YOY`]): the year-on-year revenue fall beyond
/// which a segment is in a downturn.
pub fn downturn_yoy(params: &[Param]) -> Result<f64, Diagnostic> {
    fraction(
        params,
        "downturn_yoy",
        DOWNTURN_YOY,
        "the year-on-year revenue fall beyond which a segment is in a downturn",
    )
}

/// The `market_lag` param (default [`MARKET_LAG`]): how far our year-on-year growth in a segment
/// may trail its declared market growth before the segment is flagged.
pub fn market_lag(params: &[Param]) -> Result<f64, Diagnostic> {
    fraction(
        params,
        "market_lag",
        MARKET_LAG,
        "how far our growth may trail the market's before a segment is flagged",
    )
}

/// The policy's problems with trends: the two params, and `market_growth:` segments that name no
/// tier, persona or attribute column (`attributes`: the attribute columns' names).
pub fn problems(policy: &Policy, attributes: &[String]) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = [downturn_yoy(&policy.params), market_lag(&policy.params)]
        .into_iter()
        .filter_map(Result::err)
        .collect();
    let mut known: Vec<String> = policy.tier_names();
    known.extend(policy.personas.iter().map(|p| p.name.clone()));
    for m in &policy.market_growth {
        let problem = match m.segment.split_once('=') {
            Some((attribute, _)) if attributes.iter().any(|a| a == attribute.trim()) => continue,
            Some((attribute, _)) => format!(
                "market_growth `{}`: no attribute column is called `{}`",
                m.segment,
                attribute.trim()
            ),
            None if known.contains(&m.segment) => continue,
            None => format!(
                "market_growth `{}`: no tier or persona is called `{}`",
                m.segment, m.segment
            ),
        };
        let help = match crate::ident::closest(&known, &m.segment) {
            Some(near) if !m.segment.contains('=') => format!("did you mean `{near}`?"),
            _ => "name a tier or a persona, or an attribute value as `region=North`".to_string(),
        };
        out.push(
            Diagnostic::at(m.origin.clone(), problem)
                .code("policy/unknown-segment")
                .with_help(help),
        );
    }
    out
}

/// The last complete quarter as of `as_of`, as a quarter number ([`ordinal`]).
fn last_complete(as_of: Day) -> i32 {
    let here = ordinal(Quarter::of(as_of));
    if Quarter::of(Day(as_of.0 + 1)) != Quarter::of(as_of) {
        here
    } else {
        here - 1
    }
}

/// Quarters since year 0.
fn ordinal(q: Quarter) -> i32 {
    q.year * 4 + i32::from(q.quarter) - 1
}

fn from_ordinal(i: i32) -> Quarter {
    Quarter {
        year: i.div_euclid(4),
        quarter: (i.rem_euclid(4) + 1) as u8,
    }
}

/// The trends of every tier and persona, and of the attribute segments `market_growth:` names.
/// Empty segments when the run kept no quarters (see [`crate::metrics::SideSpec`]).
pub fn trends(
    policy: &Policy,
    table: &CustomerTable,
    sidecar: &Sidecar,
    evaluation: &Evaluation,
) -> Trends {
    let downturn_yoy = downturn_yoy(&policy.params).unwrap_or(DOWNTURN_YOY);
    let market_lag = market_lag(&policy.params).unwrap_or(MARKET_LAG);
    let has_margin = policy.transactions.columns.cost.is_some();
    let mut out = Trends {
        quarters: Vec::new(),
        left_out: None,
        has_margin,
        downturn_yoy,
        market_lag,
        first_cohort: 0,
        segments: Vec::new(),
    };
    let Some(q) = sidecar.quarters() else {
        return out;
    };
    let last = last_complete(table.as_of);
    let first = q.quarters.first().map(|&f| ordinal(f));
    out.left_out = q.quarters.last().copied().filter(|&l| ordinal(l) > last);
    let Some(first) = first.filter(|&f| f <= last) else {
        return out;
    };
    out.quarters = (first..=last).map(from_ordinal).collect();
    if let Some(crate::metrics::Column::Date(days)) = table.column("first_purchase") {
        out.first_cohort = days
            .iter()
            .filter(|&&d| d != crate::metrics::EMPTY_DATE && ordinal(Quarter::of(Day(d))) == first)
            .count();
    }
    // Per quarter of the sink, its position in `out.quarters` (None: after the last complete).
    let slot: Vec<Option<usize>> = q
        .quarters
        .iter()
        .map(|&k| {
            usize::try_from(ordinal(k) - first)
                .ok()
                .filter(|&i| i < out.quarters.len())
        })
        .collect();
    let sums = |rows: &mut dyn Iterator<Item = usize>| -> (usize, Vec<i64>, Vec<i64>) {
        let n = out.quarters.len();
        let (mut revenue, mut margin) = (vec![0i128; n], vec![0i128; n]);
        let mut customers = 0;
        for r in rows {
            customers += 1;
            for s in q.of(r) {
                if let Some(i) = slot[s.quarter as usize] {
                    revenue[i] += i128::from(s.revenue);
                    margin[i] += i128::from(s.margin.unwrap_or(0));
                }
            }
        }
        (customers, saturate(revenue), saturate(margin))
    };
    for (segment, kind, rows) in segments(policy, table, evaluation) {
        let (customers, revenue, margin) = sums(&mut rows.into_iter());
        let market = policy.market_growth.iter().find(|m| m.segment == segment);
        out.segments.push(segment_trend(
            SegmentTrend {
                segment,
                kind,
                customers,
                revenue,
                margin: has_margin.then_some(margin),
                yoy_revenue_growth: None,
                margin_falling: false,
                revenue_falling: false,
                downturn: false,
                market: None,
            },
            market,
            downturn_yoy,
            market_lag,
        ));
    }
    out
}

/// Each segment's customers (table rows): tiers in policy order, personas in policy order, then
/// the `attribute=value` segments of `market_growth:` (a value compared as `customers.csv`
/// writes it).
fn segments(
    policy: &Policy,
    table: &CustomerTable,
    evaluation: &Evaluation,
) -> Vec<(String, SegmentKind, Vec<usize>)> {
    let mut groups: Vec<(String, SegmentKind, Vec<usize>)> = Vec::new();
    for (i, t) in policy.tiers.iter().enumerate() {
        let rows = (0..table.len())
            .filter(|&r| usize::from(evaluation.tiers[r]) == i)
            .collect();
        groups.push((t.name.clone(), SegmentKind::Tier, rows));
    }
    for (name, rows) in &evaluation.personas {
        let rows = rows.iter().map(|&r| r as usize).collect();
        groups.push((name.clone(), SegmentKind::Persona, rows));
    }
    for m in &policy.market_growth {
        if let Some((attribute, value)) = m.segment.split_once('=') {
            let rows = match table.column(attribute.trim()) {
                Some(c) => (0..table.len())
                    .filter(|&r| c.get(r).to_csv() == value.trim())
                    .collect(),
                None => Vec::new(),
            };
            groups.push((m.segment.clone(), SegmentKind::Attribute, rows));
        }
    }
    groups
}

/// Sums as `i64` cents (clamped; no real export comes near).
fn saturate(v: Vec<i128>) -> Vec<i64> {
    v.into_iter()
        .map(|s| s.clamp(i128::from(i64::MIN + 1), i128::from(i64::MAX)) as i64)
        .collect()
}

/// A segment's figures with what they say filled in: growth, downturn, market.
fn segment_trend(
    mut s: SegmentTrend,
    market: Option<&MarketGrowth>,
    downturn_yoy: f64,
    market_lag: f64,
) -> SegmentTrend {
    s.yoy_revenue_growth = yoy_growth(&s.revenue);
    s.margin_falling = s.margin.as_deref().is_some_and(falling_twice);
    s.revenue_falling = s.yoy_revenue_growth.is_some_and(|g| g < -downturn_yoy);
    s.downturn = s.margin_falling || s.revenue_falling;
    s.market = market.map(|m| {
        let lag = s.yoy_revenue_growth.map(|ours| m.growth - ours);
        Market {
            growth: m.growth,
            lag,
            lagging: lag.is_some_and(|l| l > market_lag + 1e-12),
        }
    });
    s
}

/// Revenue of the last four quarters against the four before, less 1: `None` with fewer than
/// eight quarters or when the earlier four sum to zero or less.
pub fn yoy_growth(revenue: &[i64]) -> Option<f64> {
    let n = revenue.len();
    if n < YOY_QUARTERS {
        return None;
    }
    let sum = |q: &[i64]| q.iter().map(|&c| i128::from(c)).sum::<i128>();
    let (before, last) = (sum(&revenue[n - 8..n - 4]), sum(&revenue[n - 4..]));
    (before > 0).then(|| last as f64 / before as f64 - 1.0)
}

/// Whether the value fell in each of the last two quarters (three quarters needed).
pub fn falling_twice(values: &[i64]) -> bool {
    match values {
        [.., a, b, c] => b < a && c < b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trend(revenue: &[i64], margin: Option<&[i64]>) -> SegmentTrend {
        SegmentTrend {
            segment: "First".into(),
            kind: SegmentKind::Tier,
            customers: 1,
            revenue: revenue.to_vec(),
            margin: margin.map(<[i64]>::to_vec),
            yoy_revenue_growth: None,
            margin_falling: false,
            revenue_falling: false,
            downturn: false,
            market: None,
        }
    }

    fn market(growth: f64) -> MarketGrowth {
        MarketGrowth {
            segment: "First".into(),
            growth,
            origin: crate::error::Origin::file("powerbase.yaml"),
        }
    }

    #[test]
    fn margin_falling_in_each_of_the_last_two_quarters_is_a_downturn() {
        // 5 -> 4 -> 3: two falls.
        let t = segment_trend(trend(&[1, 1, 1], Some(&[5, 4, 3])), None, 0.1, 0.05);
        assert!(t.margin_falling && t.downturn && !t.revenue_falling);
        // A fall then a rise, a flat quarter, or only two quarters: no downturn.
        for m in [&[5, 4, 6][..], &[5, 5, 4], &[9, 5, 4, 4], &[5, 4]] {
            let t = segment_trend(trend(&vec![1; m.len()], Some(m)), None, 0.1, 0.05);
            assert!(!t.downturn, "{m:?}");
        }
        // An earlier rise does not matter, only the last three quarters.
        assert!(falling_twice(&[1, 9, 8, 7]));
        // Without margin there is no margin downturn.
        let t = segment_trend(trend(&[5, 4, 3], None), None, 0.1, 0.05);
        assert!(!t.margin_falling && !t.downturn);
    }

    #[test]
    fn year_on_year_revenue_needs_eight_quarters_and_falls_past_the_param() {
        assert_eq!(yoy_growth(&[100; 7]), None);
        // 400 then 352: -12%.
        let q = [100, 100, 100, 100, 88, 88, 88, 88];
        let g = yoy_growth(&q).unwrap();
        assert!((g + 0.12).abs() < 1e-12, "{g}");
        let t = segment_trend(trend(&q, None), None, 0.10, 0.05);
        assert!(t.revenue_falling && t.downturn);
        // The same fall with a 15% threshold: no downturn.
        let t = segment_trend(trend(&q, None), None, 0.15, 0.05);
        assert!(!t.revenue_falling && !t.downturn);
        // Only the last eight count; a non-positive earlier year gives no growth.
        assert_eq!(yoy_growth(&[7, 0, 0, 0, 0, 1, 1, 1, 1]), None);
        let g = yoy_growth(&[1, 50, 50, 50, 50, 60, 60, 60, 60]).unwrap();
        assert!((g - 0.2).abs() < 1e-12);
    }

    #[test]
    fn market_growth_is_set_against_ours() {
        // We grow 4%, the market 12%: 8 points behind, more than 5.
        let q = [100, 100, 100, 100, 104, 104, 104, 104];
        let t = segment_trend(trend(&q, None), Some(&market(0.12)), 0.1, 0.05);
        let m = t.market.unwrap();
        assert!((m.lag.unwrap() - 0.08).abs() < 1e-12);
        assert!(m.lagging);
        // 3 points behind: within the 5 allowed.
        let t = segment_trend(trend(&q, None), Some(&market(0.07)), 0.1, 0.05);
        assert!(!t.market.unwrap().lagging);
        // Our growth unknown (under two years): no lag, no flag.
        let t = segment_trend(trend(&q[..6], None), Some(&market(0.5)), 0.1, 0.05);
        let m = t.market.unwrap();
        assert_eq!((m.lag, m.lagging), (None, false));
    }

    #[test]
    fn the_as_of_quarter_counts_only_when_it_ends_on_the_as_of_date() {
        let day = |s: &str| Day::parse_iso(s).unwrap();
        let q = |s: &str| from_ordinal(last_complete(day(s))).to_string();
        assert_eq!(q("1998-06-30"), "1998-Q2");
        assert_eq!(q("1998-06-29"), "1998-Q1");
        assert_eq!(q("1998-12-31"), "1998-Q4");
        assert_eq!(q("1999-01-01"), "1998-Q4");
    }
}
