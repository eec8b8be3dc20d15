//! Several as-of dates in one pass over the rows: one [`Accumulator`] per date, each taking the
//! rows up to its date, with the loader's counts worked out per date. The loader reads up to the
//! latest date ([`AsOfSet::latest`]); each accumulator applies its own date where the rows are
//! aggregated.

use crate::data::{Day, LoadStats, Overflow, Row, RowSink};

use super::{Accumulator, CustomerTable, Sidecar};

/// One accumulator per as-of date, fed from one pass over the rows.
#[derive(Debug)]
pub struct AsOfSet {
    /// Per date, in the order given: the accumulator and the counts of the rows it took or left;
    /// `None` for the latest date, whose rows and counts are the loader's.
    dates: Vec<(Accumulator, Option<LoadStats>)>,
}

/// One as-of date's result.
#[derive(Debug, Clone)]
pub struct AsOfTable {
    /// The customers with a row up to the date, with the built-in metrics as of it.
    pub table: CustomerTable,
    /// The side aggregates asked for, row for row.
    pub sidecar: Sidecar,
    /// What the loader saw, as if it had read the file with this as-of date.
    pub stats: LoadStats,
}

impl AsOfSet {
    /// One accumulator per date, each made by `make` for its date (with the same options for
    /// all). The dates may repeat and come in any order.
    pub fn new(dates: &[Day], make: impl Fn(Day) -> Accumulator) -> AsOfSet {
        let latest = Self::latest(dates);
        AsOfSet {
            dates: dates
                .iter()
                .map(|&d| (make(d), (Some(d) != latest).then(LoadStats::default)))
                .collect(),
        }
    }

    /// The latest of the dates: the loader reads the rows up to it. `None` without dates.
    pub fn latest(dates: &[Day]) -> Option<Day> {
        dates.iter().copied().max()
    }

    /// The tables, in the order the dates were given. `loaded` are the loader's counts (for the
    /// latest date); each date's counts are the same file read with that date.
    ///
    /// # Panics
    /// As [`Accumulator::finish`]: a total out of range, which [`RowSink::overflows`] reports.
    pub fn finish(self, loaded: &LoadStats) -> Vec<AsOfTable> {
        self.dates
            .into_iter()
            .map(|(acc, own)| {
                let (table, sidecar) = acc.finish_with_sides();
                let stats = match own {
                    None => loaded.clone(),
                    Some(own) => LoadStats {
                        rows_read: loaded.rows_read,
                        excluded_after_as_of: loaded.excluded_after_as_of
                            + own.excluded_after_as_of,
                        sources: loaded.sources.clone(),
                        rejected: loaded.rejected.clone(),
                        ..own
                    },
                };
                AsOfTable {
                    table,
                    sidecar,
                    stats,
                }
            })
            .collect()
    }
}

impl RowSink for AsOfSet {
    #[inline]
    fn push(&mut self, row: &Row<'_>) {
        for (acc, stats) in &mut self.dates {
            match stats {
                // The loader leaves out rows after the latest date and counts the rest.
                None => acc.push(row),
                Some(stats) if row.day > acc.as_of() => stats.excluded_after_as_of += 1,
                Some(stats) => {
                    stats.count_used(row);
                    acc.push(row);
                }
            }
        }
    }

    fn merge(&mut self, other: Self) {
        for ((mine, my_stats), (theirs, their_stats)) in self.dates.iter_mut().zip(other.dates) {
            mine.merge(theirs);
            if let (Some(mine), Some(theirs)) = (my_stats, their_stats) {
                mine.merge(&theirs);
            }
        }
    }

    fn overflows(&mut self) -> Vec<Overflow> {
        let mut out: Vec<Overflow> = self
            .dates
            .iter_mut()
            .flat_map(|(acc, _)| acc.overflows())
            .collect();
        out.sort_by(|a, b| (&a.customer_id, a.sum).cmp(&(&b.customer_id, b.sum)));
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, day: i32, amount: i64) -> Row<'_> {
        Row {
            customer_id: id,
            day: Day(day),
            amount,
            cost: 0,
            quantity: 1,
            order_id: None,
            product: None,
            channel: None,
        }
    }

    fn cells(t: &CustomerTable) -> Vec<Vec<String>> {
        (0..t.len())
            .map(|i| t.columns.iter().map(|c| c.column.get(i).to_csv()).collect())
            .collect()
    }

    #[test]
    fn each_date_takes_the_rows_up_to_it() {
        let ids = ["a", "b", "c", "d"];
        let rows: Vec<(&str, i32, i64)> = (0..400)
            .map(|i| (ids[i % 4], (i * 7 % 100) as i32, (i as i64 % 9 - 1) * 100))
            .collect();
        let dates = [Day(99), Day(30), Day(60), Day(30)];
        // What the loader does for the latest date: leave out later rows, count the rest.
        let mut loaded = LoadStats::default();
        // Two loader threads.
        let mut a = AsOfSet::new(&dates, Accumulator::new);
        let mut b = AsOfSet::new(&dates, Accumulator::new);
        for (k, &(id, d, cents)) in rows.iter().enumerate() {
            loaded.rows_read += 1;
            if Day(d) > Day(99) {
                loaded.excluded_after_as_of += 1;
                continue;
            }
            loaded.count_used(&row(id, d, cents));
            if k % 3 == 0 { &mut a } else { &mut b }.push(&row(id, d, cents));
        }
        b.merge(a);
        let tables = b.finish(&loaded);
        assert_eq!(tables.len(), 4);
        for (t, &date) in tables.iter().zip(&dates) {
            let mut alone = Accumulator::new(date);
            let mut stats = LoadStats {
                rows_read: rows.len() as u64,
                ..LoadStats::default()
            };
            for &(id, d, cents) in &rows {
                if Day(d) > date {
                    stats.excluded_after_as_of += 1;
                } else {
                    stats.count_used(&row(id, d, cents));
                    alone.push(&row(id, d, cents));
                }
            }
            let alone = alone.finish();
            assert_eq!(t.table.as_of, date);
            assert_eq!(t.table.ids, alone.ids, "as of {date}");
            assert_eq!(cells(&t.table), cells(&alone), "as of {date}");
            assert_eq!(t.stats, stats, "as of {date}");
        }
        assert_eq!(AsOfSet::latest(&dates), Some(Day(99)));
        assert_eq!(AsOfSet::latest(&[]), None);
    }
}
