//! Side sinks: per-customer aggregates beside the built-in totals, kept only when asked for
//! ([`SideSpec`]), so the hot path of [`super::Accumulator`] does not grow: product and channel mix
//! (revenue per value), revenue and margin by calendar quarter, and revenue in trailing windows
//! other than 12 months. They are keyed by the accumulator's customer positions, merged with the
//! same remapping, and come out in the customer table's row order as a [`Sidecar`].
//!
//! Text values are interned per thread (a row stores a value id, not a string); ids are
//! renumbered in name order at the end, so the result does not depend on threads or row order.
//! Sums are exact: mix sums are added in `i64` with wrap-arounds counted beside them, quarter and
//! window sums in narrow cells that spill to `i128` ([`Cells`]); a sum out of range is reported at
//! the end ([`Sides::out_of_range`]).
//!
//! Quarters and windows cost one add in place per row: they are dense by customer position
//! ([`QuarterSink`], one cell per window), added from the accumulator's own batch of rows
//! ([`Sides::add_sums`]). Only the mixes, whose values are interned text, queue a row until
//! its customer's position is known.

use rustc_hash::FxHashMap;

use super::cells::Cells;
use super::quarters::{QuarterSink, Quarters};
use crate::data::{Day, Row};

/// No value (the row's product or channel is empty or not mapped).
const NONE: u32 = u32::MAX;

/// Which side aggregates to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SideSpec {
    /// Revenue per product per customer (needs a mapped `product` column to hold anything).
    pub product_mix: bool,
    /// Revenue per channel per customer (needs a mapped `channel` column to hold anything).
    pub channel_mix: bool,
    /// Revenue per product per customer in the 12 months of `revenue_12m` (the 365 days up to
    /// the as-of date; needs a mapped `product` column to hold anything).
    pub product_mix_12m: bool,
    /// Revenue and margin per calendar quarter per customer.
    pub quarters: bool,
    /// Trailing windows, in months, whose revenue each customer gets (see [`window_days`]).
    pub windows: Vec<u32>,
    /// Trailing windows, in days, whose revenue each customer gets (180: the rising customers'
    /// `revenue_180d`, date > as-of - 180 days); a length also asked in months is kept once.
    pub day_windows: Vec<i32>,
}

impl SideSpec {
    /// Whether nothing is asked for.
    pub fn is_empty(&self) -> bool {
        !self.product_mix
            && !self.channel_mix
            && !self.product_mix_12m
            && !self.quarters
            && self.windows.is_empty()
            && self.day_windows.is_empty()
    }
}

/// The days a trailing window of `months` months covers: `months × 365 / 12`, rounded down, so
/// 12 months are the 365 days of `revenue_12m`, 3 months 91 days and 24 months 730.
pub fn window_days(months: u32) -> i32 {
    (i64::from(months) * 365 / 12).min(i64::from(i32::MAX)) as i32
}

/// Product or channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MixKind {
    /// The `product` column.
    Product,
    /// The `channel` column.
    Channel,
}

/// Revenue per value (product or channel) per customer, in the customer table's row order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mix {
    /// The values, sorted; a value id is an index into this list.
    pub values: Vec<String>,
    /// Customer `r`'s entries are `entries[offsets[r]..offsets[r + 1]]`.
    offsets: Vec<usize>,
    /// (value id, revenue in cents), by value id within a customer.
    entries: Vec<(u32, i64)>,
}

impl Mix {
    /// Customer `row`'s revenue per value: (value id, cents), by value id, only values the
    /// customer has rows of. Refunds lower a value's revenue, which may end up zero or negative.
    pub fn of(&self, row: usize) -> &[(u32, i64)] {
        &self.entries[self.offsets[row]..self.offsets[row + 1]]
    }

    /// The revenue per value of these customers (table rows) together, by value name; values
    /// none of them has rows of are left out.
    pub fn revenue_for(&self, customers: &[u32]) -> Vec<(String, i64)> {
        let mut sums = vec![(0i128, false); self.values.len()];
        for &c in customers {
            for &(v, cents) in self.of(c as usize) {
                let s = &mut sums[v as usize];
                s.0 += i128::from(cents);
                s.1 = true;
            }
        }
        self.values
            .iter()
            .zip(sums)
            .filter(|(_, (_, seen))| *seen)
            .map(|(name, (sum, _))| (name.clone(), saturate(sum)))
            .collect()
    }

    /// Each value's share of these customers' revenue over all values, sorted by share
    /// descending, then by name. NaN shares when that revenue is zero or negative (a share of it
    /// means nothing); empty when none of them has a row with a value.
    pub fn shares_for(&self, customers: &[u32]) -> Vec<(String, f64)> {
        let revenue = self.revenue_for(customers);
        let total: i128 = revenue.iter().map(|(_, c)| i128::from(*c)).sum();
        let mut shares: Vec<(String, f64)> = revenue
            .into_iter()
            .map(|(name, cents)| {
                let share = if total > 0 {
                    cents as f64 / total as f64
                } else {
                    f64::NAN
                };
                (name, share)
            })
            .collect();
        shares.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        shares
    }
}

/// A sum over many customers, as `i64` cents (a sum beyond ±92 million billion is clamped; no
/// real export comes near).
fn saturate(sum: i128) -> i64 {
    sum.clamp(i128::from(i64::MIN + 1), i128::from(i64::MAX)) as i64
}

/// Revenue in a trailing window, per customer in row order.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Its length in months when asked in months ([`SideSpec::windows`]); 0 for a window asked
    /// only in days ([`SideSpec::day_windows`]).
    pub months: u32,
    /// The days it covers up to and including the as-of date ([`window_days`]).
    pub days: i32,
    /// Revenue in cents per customer (refunds included).
    pub revenue: Vec<i64>,
}

/// The side aggregates of a customer table, row for row ([`SideSpec`] says which are there).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sidecar {
    product: Option<Mix>,
    channel: Option<Mix>,
    product_12m: Option<Mix>,
    quarters: Option<Quarters>,
    windows: Vec<Window>,
}

impl Sidecar {
    /// The product or channel mix, if it was asked for.
    pub fn mix(&self, kind: MixKind) -> Option<&Mix> {
        match kind {
            MixKind::Product => self.product.as_ref(),
            MixKind::Channel => self.channel.as_ref(),
        }
    }

    /// The product mix of the 12 months of `revenue_12m`, if asked for
    /// ([`SideSpec::product_mix_12m`]).
    pub fn product_mix_12m(&self) -> Option<&Mix> {
        self.product_12m.as_ref()
    }

    /// Revenue and margin by quarter, if asked for.
    pub fn quarters(&self) -> Option<&Quarters> {
        self.quarters.as_ref()
    }

    /// Each customer's revenue in the trailing window of `months` months, if asked for.
    pub fn window(&self, months: u32) -> Option<&[i64]> {
        self.window_of_days(window_days(months))
    }

    /// Each customer's revenue in the trailing window of `days` days (rows dated after the as-of
    /// date less `days`), if asked for in days or in months of that many days.
    pub fn window_of_days(&self, days: i32) -> Option<&[i64]> {
        self.windows
            .iter()
            .find(|w| w.days == days)
            .map(|w| w.revenue.as_slice())
    }

    /// Every window asked for, by length.
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }
}

/// Text values of one thread, numbered in first-seen order.
#[derive(Debug, Default)]
struct Interner {
    ids: FxHashMap<Box<str>, u32>,
    values: Vec<Box<str>>,
}

impl Interner {
    fn id(&mut self, value: Option<&str>) -> u32 {
        let Some(value) = value else { return NONE };
        if let Some(&id) = self.ids.get(value) {
            return id;
        }
        let id = u32::try_from(self.values.len()).expect("fewer than 4 billion values");
        self.values.push(value.into());
        self.ids.insert(value.into(), id);
        id
    }
}

/// Small per-customer sums keyed by `K`, by customer position, added exactly in `i64`: a wrap
/// around is counted beside the sum (as the accumulator does for its totals), so a sum is exact
/// and in range exactly when its net count is 0.
#[derive(Debug)]
struct Sparse<K, const N: usize> {
    by_customer: Vec<Vec<(K, [i64; N])>>,
    /// Net wrap-arounds by (customer position, key, component); empty unless a sum wrapped.
    carries: FxHashMap<(u32, K, u8), i64>,
}

impl<K: Copy + Eq + Ord + std::hash::Hash, const N: usize> Sparse<K, N> {
    fn new() -> Self {
        Sparse {
            by_customer: Vec::new(),
            carries: FxHashMap::default(),
        }
    }

    fn add(&mut self, at: usize, key: K, values: [i64; N]) {
        if self.by_customer.len() <= at {
            self.by_customer.resize_with(at + 1, Vec::new);
        }
        let sums = &mut self.by_customer[at];
        let Some(i) = sums.iter().position(|(k, _)| *k == key) else {
            sums.push((key, values));
            return;
        };
        for (c, (s, v)) in sums[i].1.iter_mut().zip(values).enumerate() {
            let (sum, wrapped) = s.overflowing_add(v);
            *s = sum;
            if wrapped {
                *self.carries.entry((at as u32, key, c as u8)).or_default() +=
                    if v < 0 { -1 } else { 1 };
            }
        }
    }

    /// Adds another thread's sums: its customer `p` is now at `remap[p]`, its key `k` is
    /// `rekey(k)`.
    fn merge(&mut self, other: Self, remap: &[u32], rekey: impl Fn(K) -> K) {
        for (p, sums) in other.by_customer.into_iter().enumerate() {
            for (k, v) in sums {
                self.add(remap[p] as usize, rekey(k), v);
            }
        }
        for ((p, k, c), n) in other.carries {
            *self
                .carries
                .entry((remap[p as usize], rekey(k), c))
                .or_default() += n;
        }
    }

    /// Positions of customers with a sum out of range.
    fn out_of_range(&self) -> impl Iterator<Item = u32> + '_ {
        self.carries
            .iter()
            .filter(|(_, &n)| n != 0)
            .map(|(&(p, _, _), _)| p)
    }

    /// The sums in row order (customer positions `order`), keys mapped by `key` and sorted.
    fn rows<J: Ord + Copy>(
        &self,
        order: &[u32],
        key: impl Fn(K) -> J,
    ) -> (Vec<usize>, Vec<(J, [i64; N])>) {
        assert!(
            self.carries.values().all(|&n| n == 0),
            "a side sum out of range: check RowSink::overflows before finish"
        );
        let mut offsets = Vec::with_capacity(order.len() + 1);
        let mut entries = Vec::new();
        offsets.push(0);
        for &p in order {
            let start = entries.len();
            if let Some(sums) = self.by_customer.get(p as usize) {
                entries.extend(sums.iter().map(|&(k, v)| (key(k), v)));
            }
            entries[start..].sort_unstable_by_key(|e| e.0);
            offsets.push(entries.len());
        }
        (offsets, entries)
    }
}

/// An exact window sum as cents; the loader has checked [`Sides::out_of_range`].
fn cents(sum: i128) -> i64 {
    i64::try_from(sum).expect("a side sum out of range: check RowSink::overflows before finish")
}

/// One interned mix: its values and per-customer sums.
#[derive(Debug)]
struct MixSink {
    names: Interner,
    sums: Sparse<u32, 1>,
}

impl MixSink {
    fn new() -> Self {
        MixSink {
            names: Interner::default(),
            sums: Sparse::new(),
        }
    }

    fn merge(&mut self, other: MixSink, remap: &[u32]) {
        let rekey: Vec<u32> = other
            .names
            .values
            .iter()
            .map(|v| self.names.id(Some(v)))
            .collect();
        self.sums.merge(other.sums, remap, |k| rekey[k as usize]);
    }

    fn finish(self, order: &[u32]) -> Mix {
        let mut sorted: Vec<(Box<str>, u32)> = self
            .names
            .values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (v, i as u32))
            .collect();
        sorted.sort_unstable();
        let mut rank = vec![0u32; sorted.len()];
        for (r, (_, i)) in sorted.iter().enumerate() {
            rank[*i as usize] = r as u32;
        }
        let (offsets, entries) = self.sums.rows(order, |k| rank[k as usize]);
        Mix {
            values: sorted.into_iter().map(|(v, _)| v.into_string()).collect(),
            offsets,
            entries: entries.into_iter().map(|(k, [s])| (k, s)).collect(),
        }
    }
}

/// A row waiting for its customer's position (see [`Sides::flush`]): only its mix values, the
/// sums being added from the accumulator's own batch ([`Sides::add_sums`]).
#[derive(Debug, Clone, Copy)]
struct MixRow {
    product: u32,
    channel: u32,
    /// The product again, for the 12-month mix; [`NONE`] for a row before its window.
    product_12m: u32,
    amount: i64,
}

/// A trailing window: its length (months or 0, days), the first day it counts, and revenue by
/// customer position.
#[derive(Debug)]
struct WindowSink {
    months: u32,
    days: i32,
    first: i32,
    sums: Cells<1>,
}

/// The side sinks of one accumulator, by customer position.
#[derive(Debug)]
pub(super) struct Sides {
    product: Option<MixSink>,
    channel: Option<MixSink>,
    /// The 12-month product mix and the days it counts (first, last).
    product_12m: Option<(MixSink, (i32, i32))>,
    quarters: Option<QuarterSink>,
    /// The windows asked for, by length.
    windows: Vec<WindowSink>,
    /// Mix values of the rows of the accumulator's pending batch, in the same order; always
    /// empty when no mix is kept.
    pending: Vec<MixRow>,
}

impl Sides {
    /// The sinks `spec` asks for as of `as_of`; `None` when it asks for nothing.
    pub(super) fn new(spec: &SideSpec, as_of: Day) -> Option<Box<Sides>> {
        if spec.is_empty() {
            return None;
        }
        // (days, months or 0), one per length: a length asked in months keeps its months.
        let mut lengths: Vec<(i32, u32)> = spec
            .windows
            .iter()
            .map(|&m| (window_days(m), m))
            .chain(spec.day_windows.iter().map(|&d| (d, 0)))
            .collect();
        lengths.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        lengths.dedup_by_key(|l| l.0);
        Some(Box::new(Sides {
            product: spec.product_mix.then(MixSink::new),
            channel: spec.channel_mix.then(MixSink::new),
            product_12m: spec.product_mix_12m.then(|| {
                let first = as_of.0.saturating_sub(window_days(12)) + 1;
                (MixSink::new(), (first, as_of.0))
            }),
            quarters: spec.quarters.then(QuarterSink::default),
            windows: lengths
                .iter()
                .map(|&(days, months)| WindowSink {
                    months,
                    days,
                    first: as_of.0.saturating_sub(days) + 1,
                    sums: Cells::default(),
                })
                .collect(),
            pending: Vec::new(),
        }))
    }

    /// Whether a product or channel mix is kept (rows then wait in [`Sides::queue`]).
    fn keeps_mix(&self) -> bool {
        self.product.is_some() || self.channel.is_some() || self.product_12m.is_some()
    }

    fn mix_row(&mut self, row: &Row<'_>) -> MixRow {
        MixRow {
            product: self
                .product
                .as_mut()
                .map_or(NONE, |m| m.names.id(row.product)),
            channel: self
                .channel
                .as_mut()
                .map_or(NONE, |m| m.names.id(row.channel)),
            product_12m: match &mut self.product_12m {
                Some((m, (first, last))) if (*first..=*last).contains(&row.day.0) => {
                    m.names.id(row.product)
                }
                _ => NONE,
            },
            amount: row.amount,
        }
    }

    /// Queues a row whose customer position is found later ([`Sides::flush`]); its sums are
    /// added then by [`Sides::add_sums`].
    #[inline]
    pub(super) fn queue(&mut self, row: &Row<'_>) {
        if self.keeps_mix() {
            let r = self.mix_row(row);
            self.pending.push(r);
        }
    }

    /// Adds a row of the customer at position `at` now.
    pub(super) fn add_now(&mut self, at: usize, row: &Row<'_>) {
        self.add_sums(at, row.day.0, row.amount, row.cost);
        if self.keeps_mix() {
            let r = self.mix_row(row);
            self.add_mix(at, r);
        }
    }

    /// Adds a row's quarter and window sums to the customer at position `at`.
    #[inline]
    pub(super) fn add_sums(&mut self, at: usize, day: i32, amount: i64, cost: i64) {
        if let Some(q) = &mut self.quarters {
            q.add(at, day, amount, cost);
        }
        for w in &mut self.windows {
            if day >= w.first {
                w.sums.add(at, [amount]);
            }
        }
    }

    /// Adds the mixes of the queued rows, whose customers are at positions `at` (in queue
    /// order; nothing is queued when no mix is kept).
    pub(super) fn flush(&mut self, at: &[u32]) {
        let pending = std::mem::take(&mut self.pending);
        debug_assert!(pending.is_empty() || pending.len() == at.len());
        for (&a, r) in at.iter().zip(&pending) {
            self.add_mix(a as usize, *r);
        }
        self.pending = pending;
        self.pending.clear();
    }

    fn add_mix(&mut self, at: usize, r: MixRow) {
        for (m, v) in [
            (self.product.as_mut(), r.product),
            (self.channel.as_mut(), r.channel),
            (self.product_12m.as_mut().map(|p| &mut p.0), r.product_12m),
        ] {
            if let (Some(m), true) = (m, v != NONE) {
                m.sums.add(at, v, [r.amount]);
            }
        }
    }

    /// Adds another thread's sinks; its customer `p` is now at `remap[p]`.
    pub(super) fn merge(&mut self, other: Sides, remap: &[u32]) {
        for (mine, theirs) in [
            (&mut self.product, other.product),
            (&mut self.channel, other.channel),
        ] {
            if let (Some(mine), Some(theirs)) = (mine, theirs) {
                mine.merge(theirs, remap);
            }
        }
        if let (Some(mine), Some(theirs)) = (&mut self.product_12m, other.product_12m) {
            mine.0.merge(theirs.0, remap);
        }
        if let (Some(mine), Some(theirs)) = (&mut self.quarters, other.quarters) {
            mine.merge(theirs, remap);
        }
        for (mine, theirs) in self.windows.iter_mut().zip(other.windows) {
            for (p, &at) in remap.iter().enumerate().take(theirs.sums.len()) {
                let sum = theirs.sums.get(p);
                if sum != [0] {
                    mine.sums.add_wide(at as usize, sum);
                }
            }
        }
    }

    /// Positions of customers with a side sum (a product's, a quarter's, a window's revenue, or a
    /// quarter's cost or margin) beyond `i64` cents.
    pub(super) fn out_of_range(&self) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        for m in [&self.product, &self.channel].into_iter().flatten() {
            out.extend(m.sums.out_of_range());
        }
        if let Some((m, _)) = &self.product_12m {
            out.extend(m.sums.out_of_range());
        }
        if let Some(q) = &self.quarters {
            out.extend(q.out_of_range());
        }
        for w in &self.windows {
            out.extend(
                w.sums
                    .spilled()
                    .into_iter()
                    .filter(|&p| i64::try_from(w.sums.get(p)[0]).is_err())
                    .map(|p| p as u32),
            );
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The sidecar in row order: the customer in row `r` is at position `order[r]`.
    pub(super) fn finish(self, order: &[u32], has_cost: bool) -> Sidecar {
        let windows = self
            .windows
            .into_iter()
            .map(|w| Window {
                months: w.months,
                days: w.days,
                revenue: order
                    .iter()
                    .map(|&p| cents(w.sums.get(p as usize)[0]))
                    .collect(),
            })
            .collect();
        Sidecar {
            product: self.product.map(|m| m.finish(order)),
            channel: self.channel.map(|m| m.finish(order)),
            product_12m: self.product_12m.map(|(m, _)| m.finish(order)),
            quarters: self.quarters.map(|q| q.finish(order, has_cost)),
            windows,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::data::RowSink;
    use crate::metrics::Accumulator;

    /// An owned row: customer, day, cents, cost, product, channel.
    type TestRow = (String, i32, i64, i64, Option<String>, Option<String>);

    /// Rows over a few hundred customers (some ids too long to inline), days across several
    /// years on both sides of 1970, refunds, and products and channels sometimes missing.
    fn rows(seed: u64, n: usize) -> Vec<TestRow> {
        let mut x = seed;
        let mut next = move |below: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % below
        };
        let products = ["books", "music", "video", "games", "éditions"];
        let channels = ["web", "phone", "store"];
        (0..n)
            .map(|_| {
                let c = next(300);
                let id = if c % 5 == 0 {
                    format!("customer-with-an-id-longer-than-inline-{c}")
                } else {
                    format!("c{c}")
                };
                let cents = if next(8) == 0 {
                    -(next(5_000) as i64)
                } else {
                    next(50_000) as i64
                };
                let product = (next(6) != 0).then(|| products[next(5) as usize].to_string());
                let channel = (next(4) != 0).then(|| channels[next(3) as usize].to_string());
                let day = next(1_500) as i32 - 200;
                (id, day, cents, next(3_000) as i64, product, channel)
            })
            .collect()
    }

    fn row(r: &TestRow) -> Row<'_> {
        Row {
            customer_id: &r.0,
            day: Day(r.1),
            amount: r.2,
            cost: r.3,
            quantity: 1,
            order_id: None,
            product: r.4.as_deref(),
            channel: r.5.as_deref(),
        }
    }

    fn spec() -> SideSpec {
        SideSpec {
            product_mix: true,
            channel_mix: true,
            product_mix_12m: true,
            quarters: true,
            windows: vec![24, 3, 6, 3],
            day_windows: vec![180, 91],
        }
    }

    /// The rows dealt to `parts` accumulators in turn, merged.
    fn aggregate(rows: &[TestRow], parts: usize, as_of: Day, has_cost: bool) -> Accumulator {
        let make = || {
            let a = Accumulator::new(as_of).with_sides(&spec());
            if has_cost {
                a
            } else {
                a.without_cost()
            }
        };
        let mut accs: Vec<Accumulator> = (0..parts).map(|_| make()).collect();
        for (i, r) in rows.iter().enumerate() {
            accs[(i / 7) % parts].push(&row(r));
        }
        let mut first = accs.remove(0);
        for other in accs.into_iter().rev() {
            first.merge(other);
        }
        first
    }

    /// Revenue per (customer, value) by a plain loop.
    fn mix_reference(
        rows: &[TestRow],
        value: impl Fn(&TestRow) -> Option<&String>,
    ) -> BTreeMap<(String, String), i64> {
        let mut out = BTreeMap::new();
        for r in rows {
            if let Some(v) = value(r) {
                *out.entry((r.0.clone(), v.clone())).or_default() += r.2;
            }
        }
        out
    }

    fn mix_got(ids: &[String], mix: &Mix) -> BTreeMap<(String, String), i64> {
        let mut out = BTreeMap::new();
        for (row, id) in ids.iter().enumerate() {
            let entries = mix.of(row);
            assert!(
                entries.windows(2).all(|w| w[0].0 < w[1].0),
                "sorted by value"
            );
            for &(v, cents) in entries {
                out.insert((id.clone(), mix.values[v as usize].clone()), cents);
            }
        }
        out
    }

    #[test]
    fn sinks_match_a_plain_loop_whatever_the_split() {
        let rows = rows(7, 20_000);
        let as_of = Day(1_200);
        for (parts, has_cost) in [(1, true), (3, true), (4, false)] {
            let (table, side) = aggregate(&rows, parts, as_of, has_cost).finish_with_sides();
            let ids = &table.ids;
            let product = side.mix(MixKind::Product).unwrap();
            let channel = side.mix(MixKind::Channel).unwrap();
            assert_eq!(
                mix_got(ids, product),
                mix_reference(&rows, |r| r.4.as_ref())
            );
            // The 12-month mix counts the 365 days up to the as-of date (rows after it are
            // not aggregated at all).
            let first = as_of.0 - 365 + 1;
            assert_eq!(
                mix_got(ids, side.product_mix_12m().unwrap()),
                mix_reference(&rows, |r| r
                    .4
                    .as_ref()
                    .filter(|_| r.1 >= first && r.1 <= as_of.0))
            );
            assert_eq!(
                mix_got(ids, channel),
                mix_reference(&rows, |r| r.5.as_ref())
            );
            assert_eq!(channel.values, ["phone", "store", "web"]);

            // Quarters: revenue and margin per (customer, quarter), by the calendar.
            let mut want: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
            for r in &rows {
                let (y, m, _) = Day(r.1).ymd();
                let e = want
                    .entry((
                        r.0.clone(),
                        format!(
                            "{y}-Q{}",
                            [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4][m as usize - 1]
                        ),
                    ))
                    .or_default();
                e.0 += r.2;
                e.1 += r.2 - r.3;
            }
            let quarters = side.quarters().unwrap();
            let mut got = BTreeMap::new();
            for (row, id) in ids.iter().enumerate() {
                for s in quarters.of(row) {
                    let q = quarters.quarters[s.quarter as usize].to_string();
                    assert_eq!(s.margin.is_some(), has_cost);
                    let margin = s.margin.unwrap_or(want[&(id.clone(), q.clone())].1);
                    got.insert((id.clone(), q), (s.revenue, margin));
                }
            }
            assert_eq!(got, want, "{parts} parts");

            // Windows of 3, 6 and 24 months (91, 182 and 730 days) and of 180 days up to the
            // as-of date; 91 days asked twice, once in months.
            assert_eq!(
                side.windows().len(),
                4,
                "3 months asked twice, 91 days once more"
            );
            assert_eq!(side.windows()[0].months, 3);
            assert_eq!((side.windows()[1].months, side.windows()[1].days), (0, 180));
            assert_eq!(side.window_of_days(91), side.window(3));
            for (months, days) in [(3, 91), (6, 182), (24, 730), (0, 180)] {
                let mut want: BTreeMap<&str, i64> = BTreeMap::new();
                for r in &rows {
                    if r.1 > as_of.0 - days {
                        *want.entry(&r.0).or_default() += r.2;
                    }
                }
                let window = side.window_of_days(days).unwrap();
                for (row, id) in ids.iter().enumerate() {
                    let w = want.get(id.as_str()).copied().unwrap_or(0);
                    assert_eq!(window[row], w, "{months} months of {id}");
                }
            }
        }
    }

    #[test]
    fn shares_for_a_group_sort_by_share_then_name() {
        let rows: Vec<TestRow> = [
            ("a", 60_00, "web"),
            ("a", 20_00, "phone"),
            ("b", 20_00, "store"),
            ("b", 10_00, "web"),
            ("c", 5_00, "phone"),
            ("c", -5_00, "phone"),
        ]
        .iter()
        .map(|&(id, cents, ch)| (id.to_string(), 0, cents, 0, None, Some(ch.to_string())))
        .collect();
        let (table, side) = aggregate(&rows, 2, Day(10), true).finish_with_sides();
        assert_eq!(table.ids, ["a", "b", "c"]);
        let mix = side.mix(MixKind::Channel).unwrap();
        // a and b: web 70, phone 20, store 20 of 110.
        let shares = mix.shares_for(&[0, 1]);
        let names: Vec<&str> = shares.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["web", "phone", "store"]);
        assert_eq!(shares[0].1, 70.0 / 110.0);
        assert_eq!(shares[1].1, 20.0 / 110.0);
        // c alone: phone nets to zero, so its share means nothing.
        let c = mix.shares_for(&[2]);
        assert_eq!(c.len(), 1);
        assert!(c[0].1.is_nan());
        assert_eq!(
            mix.revenue_for(&[1, 2]),
            [
                ("phone".to_string(), 0),
                ("store".to_string(), 20_00),
                ("web".to_string(), 10_00)
            ]
        );
        assert!(mix.shares_for(&[]).is_empty());
        // No product column: the product mix is there but empty.
        let product = side.mix(MixKind::Product).unwrap();
        assert!(product.values.is_empty() && product.of(0).is_empty());
    }

    #[test]
    fn nothing_asked_keeps_no_sidecar() {
        let rows = rows(3, 100);
        let mut acc = Accumulator::new(Day(1_000));
        for r in &rows {
            acc.push(&row(r));
        }
        let (_, side) = acc.finish_with_sides();
        assert_eq!(side, Sidecar::default());
        assert!(side.mix(MixKind::Product).is_none() && side.quarters().is_none());
    }

    #[test]
    fn a_side_sum_out_of_range_is_reported_as_the_customers_revenue() {
        let big = i64::MAX;
        let rows: Vec<TestRow> = [("x", big, "web"), ("x", big, "web"), ("x", -big, "phone")]
            .iter()
            .chain(&[("x", -big, "phone"), ("ok", 5, "web")])
            .map(|&(id, cents, ch)| (id.to_string(), 0, cents, 0, None, Some(ch.to_string())))
            .collect();
        for parts in [1, 2] {
            let mut acc = aggregate(&rows, parts, Day(10), true);
            let found: Vec<(String, crate::data::Sum)> = acc
                .overflows()
                .into_iter()
                .map(|o| (o.customer_id, o.sum))
                .collect();
            // The revenue nets to 0, in range; the channels' do not.
            assert_eq!(found, [("x".to_string(), crate::data::Sum::Amount)]);
        }
        // Sums that wrap and come back are exact.
        let back: Vec<TestRow> = [big, big, -big, -big + 5]
            .iter()
            .map(|&c| ("y".to_string(), 0, c, 0, None, Some("web".to_string())))
            .collect();
        for parts in [1, 2] {
            let mut acc = aggregate(&back, parts, Day(10), true);
            assert!(acc.overflows().is_empty());
            let (_, side) = acc.finish_with_sides();
            assert_eq!(side.mix(MixKind::Channel).unwrap().of(0), [(0, 5)]);
            assert_eq!(side.quarters().unwrap().of(0).next().unwrap().revenue, 5);
        }
    }

    #[test]
    fn window_lengths() {
        assert_eq!(window_days(12), 365);
        assert_eq!(window_days(1), 30);
    }
}
