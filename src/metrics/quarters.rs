//! Revenue and margin per calendar quarter per customer: the side sink behind the trends
//! ([`crate::analysis::trends`]) and its result, [`Quarters`].
//!
//! The sink is dense: one column per quarter (from the earliest quarter seen to the latest, in
//! a short list), each holding every customer position's revenue and cost in one narrow cell
//! ([`Cells`]) and a bit for "has rows in this quarter". A row costs a table lookup for its
//! quarter (a day's quarter is computed once per day, [`DayQuarters`]) and one add in place: no
//! list per customer to search, no allocation per customer. A column only reaches as far as the
//! last customer position with a row in its quarter.

use std::fmt;

use rayon::prelude::*;

use super::cells::Cells;
use crate::data::Day;

/// A calendar quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    /// The year.
    pub year: i32,
    /// 1 to 4.
    pub quarter: u8,
}

impl Quarter {
    /// The quarter a day falls in.
    pub fn of(day: Day) -> Quarter {
        let (year, month, _) = day.ymd();
        Quarter {
            year,
            quarter: ((month - 1) / 3 + 1) as u8,
        }
    }

    /// Quarters since year 0, for keys.
    fn index(self) -> i32 {
        self.year * 4 + i32::from(self.quarter) - 1
    }

    fn from_index(i: i32) -> Quarter {
        Quarter {
            year: i.div_euclid(4),
            quarter: (i.rem_euclid(4) + 1) as u8,
        }
    }
}

impl fmt::Display for Quarter {
    /// `1998-Q2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.quarter)
    }
}

/// One customer's revenue and margin in one quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuarterSums {
    /// Index into [`Quarters::quarters`].
    pub quarter: u32,
    /// Revenue in cents, refunds included.
    pub revenue: i64,
    /// Revenue less cost in cents; `None` when no cost column is mapped.
    pub margin: Option<i64>,
}

/// One quarter's sums (revenue, cost) and which cells have rows, by customer position or row.
#[derive(Debug, Clone, Default, PartialEq)]
struct Column {
    sums: Cells<2>,
    /// Bit `i % 64` of word `i / 64`: cell `i` has a row in the quarter.
    rows: Vec<u64>,
}

impl Column {
    #[inline]
    fn add(&mut self, at: usize, amount: i64, cost: i64) {
        self.sums.add(at, [amount, cost]);
        self.mark(at);
    }

    #[inline]
    fn mark(&mut self, at: usize) {
        let w = at / 64;
        if self.rows.len() <= w {
            self.rows.resize((w + 1).max(self.rows.len() * 3 / 2), 0);
        }
        self.rows[w] |= 1 << (at % 64);
    }

    fn has(&self, at: usize) -> bool {
        self.rows
            .get(at / 64)
            .is_some_and(|w| w >> (at % 64) & 1 == 1)
    }

    /// The cells with rows, ascending.
    fn with_rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.rows.iter().enumerate().flat_map(|(w, &bits)| {
            (0..64)
                .filter(move |b| bits >> b & 1 == 1)
                .map(move |b| w * 64 + b)
        })
    }

    fn is_empty(&self) -> bool {
        self.rows.iter().all(|&w| w == 0)
    }

    /// Cell `r` of the result is cell `at[r]` of this column.
    fn gather(&self, at: &[u32]) -> Column {
        let mut rows = vec![0u64; at.len().div_ceil(64)];
        for (r, &p) in at.iter().enumerate() {
            if self.has(p as usize) {
                rows[r / 64] |= 1 << (r % 64);
            }
        }
        Column {
            sums: self.sums.gather(at),
            rows,
        }
    }
}

/// Days' quarter indices ([`Quarter::index`]), from a table covering the days seen so far, grown
/// by whole years.
#[derive(Debug, Default)]
struct DayQuarters {
    /// The day of `index[0]`.
    first: i32,
    index: Vec<i32>,
}

/// The most days [`DayQuarters`] tables (about 300 years, 4 MB); days beyond are computed.
const MAX_TABLE_DAYS: i64 = 300 * 366;

impl DayQuarters {
    #[inline]
    fn of(&mut self, day: i32) -> i32 {
        match usize::try_from(i64::from(day) - i64::from(self.first)) {
            Ok(i) if i < self.index.len() => self.index[i],
            _ => self.extend(day),
        }
    }

    /// Covers `day` and a year either side of it, when the table stays small enough.
    #[cold]
    #[inline(never)]
    fn extend(&mut self, day: i32) -> i32 {
        let computed = Quarter::of(Day(day)).index();
        let (d, first) = (i64::from(day), i64::from(self.first));
        let end = first + self.index.len() as i64;
        let (lo, hi) = if self.index.is_empty() {
            (d - 366, d + 366)
        } else {
            (first.min(d - 366), end.max(d + 366))
        };
        if hi - lo > MAX_TABLE_DAYS || i32::try_from(lo).is_err() || i32::try_from(hi).is_err() {
            return computed;
        }
        let index: Vec<i32> = (lo..hi)
            .map(|x| match usize::try_from(x - first) {
                Ok(i) if i < self.index.len() => self.index[i],
                _ => Quarter::of(Day(x as i32)).index(),
            })
            .collect();
        self.first = lo as i32;
        self.index = index;
        computed
    }
}

/// Revenue and cost per quarter per customer position, for one accumulator.
#[derive(Debug, Default)]
pub(super) struct QuarterSink {
    days: DayQuarters,
    /// The quarter index ([`Quarter::index`]) of `columns[0]`.
    first: i32,
    /// One column per quarter from `first` on, without gaps.
    columns: Vec<Column>,
}

impl QuarterSink {
    /// Adds a row of the customer at position `at`.
    #[inline]
    pub(super) fn add(&mut self, at: usize, day: i32, amount: i64, cost: i64) {
        let q = self.days.of(day);
        let k = self.column(q);
        self.columns[k].add(at, amount, cost);
    }

    /// The column of quarter index `q`, added (with any between) if new.
    #[inline]
    fn column(&mut self, q: i32) -> usize {
        match usize::try_from(i64::from(q) - i64::from(self.first)) {
            Ok(k) if k < self.columns.len() => k,
            _ => self.add_column(q),
        }
    }

    #[cold]
    #[inline(never)]
    fn add_column(&mut self, q: i32) -> usize {
        if self.columns.is_empty() {
            self.first = q;
        }
        if q < self.first {
            let before = (self.first - q) as usize;
            self.columns
                .splice(0..0, (0..before).map(|_| Column::default()));
            self.first = q;
        }
        let k = (q - self.first) as usize;
        if self.columns.len() <= k {
            self.columns.resize_with(k + 1, Column::default);
        }
        k
    }

    /// Adds another accumulator's quarters: its customer `p` is now at `remap[p]`.
    pub(super) fn merge(&mut self, other: QuarterSink, remap: &[u32]) {
        for (k, theirs) in other.columns.into_iter().enumerate() {
            if theirs.is_empty() {
                continue;
            }
            let mine = self.column(other.first + k as i32);
            let mine = &mut self.columns[mine];
            for p in theirs.with_rows() {
                let at = remap[p] as usize;
                mine.sums.add_wide(at, theirs.sums.get(p));
                mine.mark(at);
            }
        }
    }

    /// Positions of customers with a quarter's revenue, cost or margin beyond `i64` cents.
    pub(super) fn out_of_range(&self) -> Vec<u32> {
        let mut out = Vec::new();
        for c in &self.columns {
            for p in c.sums.spilled() {
                let [revenue, cost] = c.sums.get(p);
                let fits = |s: i128| i64::try_from(s).is_ok();
                if !(fits(revenue) && fits(cost) && fits(revenue - cost)) {
                    out.push(p as u32);
                }
            }
        }
        out
    }

    /// The quarters in row order (the customer in row `r` is at position `order[r]`), margins
    /// when `has_cost`.
    ///
    /// # Panics
    /// If a sum is out of range, which [`QuarterSink::out_of_range`] reports.
    pub(super) fn finish(self, order: &[u32], has_cost: bool) -> Quarters {
        let first = self.first;
        let kept: Vec<(i32, Column)> = self
            .columns
            .into_iter()
            .enumerate()
            .filter(|(_, c)| !c.is_empty())
            .map(|(k, c)| (first + k as i32, c))
            .collect();
        let (quarters, columns) = kept
            .into_par_iter()
            .map(|(q, c)| (Quarter::from_index(q), c.gather(order)))
            .unzip();
        Quarters {
            quarters,
            columns,
            has_margin: has_cost,
        }
    }
}

/// Revenue and margin per calendar quarter per customer, in the customer table's row order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quarters {
    /// Every quarter any customer has a row in, ascending.
    pub quarters: Vec<Quarter>,
    /// Per quarter of `quarters`, the customers' sums by table row.
    columns: Vec<Column>,
    has_margin: bool,
}

impl Quarters {
    /// Customer `row`'s quarters with rows, ascending.
    pub fn of(&self, row: usize) -> impl Iterator<Item = QuarterSums> + '_ {
        self.columns
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.has(row))
            .map(move |(k, c)| {
                let [revenue, cost] = c.sums.get(row);
                QuarterSums {
                    quarter: k as u32,
                    revenue: cents(revenue),
                    margin: self.has_margin.then(|| cents(revenue - cost)),
                }
            })
    }
}

/// An exact sum as cents; the loader has checked [`QuarterSink::out_of_range`].
fn cents(sum: i128) -> i64 {
    i64::try_from(sum).expect("a side sum out of range: check RowSink::overflows before finish")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_and_their_indices() {
        let q = Quarter::of(Day::parse_iso("1969-12-31").unwrap());
        assert_eq!(q.to_string(), "1969-Q4");
        assert_eq!(Quarter::from_index(q.index()), q);
        assert_eq!(
            Quarter::of(Day::parse_iso("2024-04-01").unwrap()).to_string(),
            "2024-Q2"
        );
    }

    #[test]
    fn the_day_table_agrees_with_the_calendar_wherever_it_grows() {
        let mut table = DayQuarters::default();
        // Forwards, backwards, a jump far away (computed, not tabled) and back.
        let days = (0..800)
            .chain((-3_000..-2_000).rev())
            .chain([2_000_000, -2_000_000, 5, 3_000_000])
            .chain(-100..100);
        for d in days {
            assert_eq!(table.of(d), Quarter::of(Day(d)).index(), "day {d}");
        }
        assert!(table.index.len() as i64 <= MAX_TABLE_DAYS);
    }

    #[test]
    fn columns_grow_either_way_and_merge_by_position() {
        let day = |s: &str| Day::parse_iso(s).unwrap().0;
        let mut a = QuarterSink::default();
        a.add(2, day("2024-05-01"), 10, 4);
        a.add(0, day("2023-01-31"), 7, 1);
        a.add(2, day("2024-06-30"), -3, -1);
        let mut b = QuarterSink::default();
        b.add(0, day("2024-04-01"), 5, 5);
        b.add(1, day("2025-01-01"), 0, 0);
        // b's customer 0 is a's 2, its customer 1 new at 3.
        a.merge(b, &[2, 3]);
        // Rows: position 3, 0, 2 (1 has no rows at all).
        let q = a.finish(&[3, 0, 2, 1], true);
        let names: Vec<String> = q.quarters.iter().map(|q| q.to_string()).collect();
        assert_eq!(names, ["2023-Q1", "2024-Q2", "2025-Q1"]);
        let of = |r: usize| -> Vec<(u32, i64, Option<i64>)> {
            q.of(r).map(|s| (s.quarter, s.revenue, s.margin)).collect()
        };
        assert_eq!(of(0), [(2, 0, Some(0))]);
        assert_eq!(of(1), [(0, 7, Some(6))]);
        assert_eq!(of(2), [(1, 12, Some(4))]);
        assert!(of(3).is_empty());
    }
}
