//! The purchase days of one accumulator's customers, as `(customer position, day)` pairs, kept
//! to count each customer's distinct days (and find the first) at the end.
//!
//! Pairs go to one of [`LISTS`] lists chosen by the customer (its id hash), so that a customer's
//! pairs are all in one list and the lists can be sorted and counted in parallel, each small
//! enough for the cache. The lists live in fixed-size chunks of one flat store rather than in
//! vectors of their own: one large allocation that is returned to the system when dropped,
//! instead of hundreds of growing ones that leave the heap fragmented.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use rayon::prelude::*;

/// The number of lists.
pub(crate) const LISTS: usize = 256;
/// Pairs per chunk.
const CHUNK: usize = 512;
/// An unused place in a chunk (no customer has position `u32::MAX`).
const EMPTY: u64 = u64::MAX;

/// Flips the sign bit: maps days to `u32` in the same order.
const SIGN: u32 = 1 << 31;

/// A pair: customer position in the high half, day in the low half, so that pairs sort by
/// customer, then day.
#[inline]
pub(crate) fn pair(position: usize, day: i32) -> u64 {
    (position as u64) << 32 | u64::from(day as u32 ^ SIGN)
}

/// The day of a pair.
#[inline]
fn day(pair: u64) -> i32 {
    (pair as u32 ^ SIGN) as i32
}

/// The customer position of a pair.
#[inline]
fn position(pair: u64) -> usize {
    (pair >> 32) as usize
}

/// One list: its chunks in order, and how many places of the last one are used.
#[derive(Debug, Clone)]
struct List {
    chunks: Vec<u32>,
    fill: usize,
}

/// What the pairs say about each customer position: its number of distinct days and its
/// earliest day, together so that one load reads both.
#[derive(Debug, PartialEq)]
pub(crate) struct Counted(Vec<u64>);

impl Counted {
    /// Packs a customer's figures.
    fn pack(days: u32, first: i32) -> u64 {
        u64::from(days) << 32 | u64::from(first as u32)
    }

    /// The number of distinct days of the customer at `position`, and the earliest (`i32::MAX`
    /// when none).
    #[inline]
    pub(crate) fn get(&self, position: usize) -> (u32, i32) {
        let v = self.0[position];
        ((v >> 32) as u32, v as u32 as i32)
    }
}

/// Pairs in [`LISTS`] lists. Duplicates are allowed; [`DayPairs::count`] removes them.
#[derive(Debug)]
pub(crate) struct DayPairs {
    /// Chunks of [`CHUNK`] places, unused places [`EMPTY`].
    store: Vec<u64>,
    lists: Vec<List>,
}

impl DayPairs {
    /// No pairs.
    pub(crate) fn new() -> Self {
        DayPairs {
            store: Vec::new(),
            lists: vec![
                List {
                    chunks: Vec::new(),
                    fill: CHUNK,
                };
                LISTS
            ],
        }
    }

    /// Adds a pair to list `list` (below [`LISTS`]); all of a customer's pairs must go to the
    /// same list.
    #[inline]
    pub(crate) fn push(&mut self, list: usize, pair: u64) {
        let l = &mut self.lists[list];
        if l.fill == CHUNK {
            l.chunks.push((self.store.len() / CHUNK) as u32);
            l.fill = 0;
            self.store.resize(self.store.len() + CHUNK, EMPTY);
        }
        let at = *l.chunks.last().expect("a chunk") as usize * CHUNK + l.fill;
        self.store[at] = pair;
        l.fill += 1;
    }

    /// Adds another accumulator's pairs, whose customer at position `p` is now at `remap[p]`.
    pub(crate) fn append(&mut self, other: DayPairs, remap: &[u32]) {
        assert!(self.store.len() / CHUNK + other.store.len() / CHUNK < u32::MAX as usize);
        let offset = (self.store.len() / CHUNK) as u32;
        let start = self.store.len();
        self.store.resize(start + other.store.len(), EMPTY);
        self.store[start..]
            .par_chunks_mut(CHUNK * 64)
            .zip(other.store.par_chunks(CHUNK * 64))
            .for_each(|(mine, theirs)| {
                for (m, &p) in mine.iter_mut().zip(theirs) {
                    if p != EMPTY {
                        *m = u64::from(remap[position(p)]) << 32 | (p & 0xFFFF_FFFF);
                    }
                }
            });
        for (mine, theirs) in self.lists.iter_mut().zip(other.lists) {
            // My last chunk's unused places stay EMPTY; theirs is now the one to fill.
            if !theirs.chunks.is_empty() {
                mine.chunks.extend(theirs.chunks.iter().map(|c| c + offset));
                mine.fill = theirs.fill;
            }
        }
    }

    /// For each of `customers` positions, its number of distinct days and its first day.
    pub(crate) fn count(self, customers: usize) -> Counted {
        let none = Counted::pack(0, i32::MAX);
        let counted: Vec<AtomicU64> = (0..customers).map(|_| AtomicU64::new(none)).collect();
        // Each list is sorted by a counting sort on the position's top bits (into about as many
        // buckets as a list has customers, so a bucket holds about one customer), then each
        // bucket by a comparison sort: a few passes over cache-sized data.
        let shift = (usize::BITS - customers.leading_zeros()).saturating_sub(12);
        let buckets = (customers >> shift) + 1;
        let DayPairs { store, lists } = self;
        lists.into_par_iter().for_each_init(
            || (Vec::new(), Vec::new(), Vec::new()),
            |(pairs, sorted, ends): &mut (Vec<u64>, Vec<u64>, Vec<usize>), list| {
                pairs.clear();
                for &c in &list.chunks {
                    let chunk = &store[c as usize * CHUNK..][..CHUNK];
                    pairs.extend(chunk.iter().filter(|&&p| p != EMPTY));
                }
                let bucket = |p: u64| position(p) >> shift;
                // ends[b] = where bucket b starts, then (after placing) where it ends.
                ends.clear();
                ends.resize(buckets + 1, 0);
                for &p in pairs.iter() {
                    ends[bucket(p) + 1] += 1;
                }
                for b in 1..ends.len() {
                    ends[b] += ends[b - 1];
                }
                sorted.clear();
                sorted.resize(pairs.len(), 0);
                for &p in pairs.iter() {
                    let at = &mut ends[bucket(p)];
                    sorted[*at] = p;
                    *at += 1;
                }
                let mut start = 0;
                for &end in &ends[..buckets] {
                    let group = &mut sorted[start..end];
                    start = end;
                    // Sorted, a customer's pairs are together and equal days adjacent.
                    group.sort_unstable();
                    let mut rest = &*group;
                    while let Some(&head) = rest.first() {
                        let n = rest
                            .iter()
                            .position(|&p| position(p) != position(head))
                            .unwrap_or(rest.len());
                        let distinct = 1 + rest[..n].windows(2).filter(|w| w[0] != w[1]).count();
                        // A customer's pairs are all in one list: one store per customer.
                        let figures = Counted::pack(distinct as u32, day(head));
                        counted[position(head)].store(figures, Relaxed);
                        rest = &rest[n..];
                    }
                }
            },
        );
        Counted(counted.into_iter().map(AtomicU64::into_inner).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_distinct_days_per_customer() {
        let mut d = DayPairs::new();
        // Customer 0 in list 3: days 5, 5, -2 (before 1970), 7; customer 1 in list 3 too;
        // customer 2 in list 200 with more pairs than a chunk holds.
        for day in [5, 5, -2, 7] {
            d.push(3, pair(0, day));
        }
        d.push(3, pair(1, 5));
        for i in 0..(CHUNK as i32 * 2 + 7) {
            d.push(200, pair(2, i % 1000));
        }
        let c = d.count(4);
        let all: Vec<(u32, i32)> = (0..4).map(|i| c.get(i)).collect();
        assert_eq!(all, vec![(3, -2), (1, 5), (1000, 0), (0, i32::MAX)]);
    }

    #[test]
    fn appending_remaps_positions_and_keeps_partial_chunks() {
        let mut a = DayPairs::new();
        a.push(0, pair(0, 10));
        a.push(1, pair(1, 10));
        let mut b = DayPairs::new();
        // b's customer 0 is a's customer 1, b's customer 1 is new (position 2).
        for day in 0..(CHUNK as i32 + 3) {
            b.push(1, pair(0, day));
        }
        b.push(5, pair(1, 1));
        a.append(b, &[1, 2]);
        // Pushing after a merge fills the appended partial chunk.
        a.push(1, pair(1, 20_000));
        a.push(0, pair(0, 11));
        // Customer 1: day 10 from a, days 0..CHUNK+3 from b (10 among them), 20000.
        let c = a.count(3);
        let all: Vec<(u32, i32)> = (0..3).map(|i| c.get(i)).collect();
        assert_eq!(all, vec![(2, 10), (CHUNK as u32 + 4, 0), (1, 1)]);
    }

    #[test]
    fn days_keep_their_order_and_sign() {
        for d in [i32::MIN, -1, 0, 1, 19_000, i32::MAX] {
            assert_eq!(day(pair(7, d)), d);
            assert_eq!(position(pair(7, d)), 7);
            assert!(pair(7, d) < pair(8, i32::MIN));
        }
        assert!(pair(1, -1) < pair(1, 0) && pair(1, 0) < pair(1, 1));
    }

    #[test]
    fn nothing_counts_nothing() {
        assert_eq!(DayPairs::new().count(2).get(1), (0, i32::MAX));
        let mut a = DayPairs::new();
        a.append(DayPairs::new(), &[]);
        assert_eq!(a.count(0), Counted(Vec::new()));
    }
}
