//! Exact per-customer sums in narrow cells, for the side sinks ([`super::sides`]): `N` sums per
//! cell (a quarter's revenue and cost, a window's revenue) kept as `i32` cents, half the memory
//! of `i64` and a quarter of `i128`. An add that would leave the `i32` range moves the cell's
//! whole sum into a spill map of exact `i128` sums, so a sum is its cell plus its spill entry,
//! exact whatever the order of rows and merges. Realistic sums (below ±21 million in the
//! currency's units per customer and quarter) never spill.

use rustc_hash::FxHashMap;

/// `N` exact sums per cell, cells by index (a customer position or a table row).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Cells<const N: usize> {
    /// The narrow part of each sum; cells past the end are all 0.
    cells: Vec<[i32; N]>,
    /// The rest of a sum, by (cell, component); empty unless a sum left the `i32` range.
    spill: FxHashMap<(u32, u8), i128>,
}

impl<const N: usize> Default for Cells<N> {
    fn default() -> Self {
        Cells {
            cells: Vec::new(),
            spill: FxHashMap::default(),
        }
    }
}

impl<const N: usize> Cells<N> {
    /// Adds `values` to cell `i`.
    #[inline]
    pub(super) fn add(&mut self, i: usize, values: [i64; N]) {
        if self.cells.len() <= i {
            self.grow(i);
        }
        let cell = &mut self.cells[i];
        for (c, (s, v)) in cell.iter_mut().zip(values).enumerate() {
            match i64::from(*s)
                .checked_add(v)
                .and_then(|t| i32::try_from(t).ok())
            {
                Some(t) => *s = t,
                None => {
                    let narrow = std::mem::take(s);
                    spill(&mut self.spill, i, c, i128::from(narrow) + i128::from(v));
                }
            }
        }
    }

    /// Adds exact sums (another sink's) to cell `i`.
    pub(super) fn add_wide(&mut self, i: usize, values: [i128; N]) {
        match values.map(i64::try_from) {
            v if v.iter().all(Result::is_ok) => self.add(i, v.map(|x| x.unwrap_or(0))),
            _ => {
                for (c, v) in values.into_iter().enumerate() {
                    spill(&mut self.spill, i, c, v);
                }
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, i: usize) {
        // Half as much again: positions come densely from 0, so the last growth wastes little.
        let len = (i + 1).max(self.cells.len() * 3 / 2).max(1024);
        self.cells.reserve_exact(len - self.cells.len());
        self.cells.resize(len, [0; N]);
    }

    /// The exact sums of cell `i`.
    #[inline]
    pub(super) fn get(&self, i: usize) -> [i128; N] {
        let cell = self.cells.get(i).copied().unwrap_or([0; N]);
        let mut out = cell.map(i128::from);
        if !self.spill.is_empty() {
            for (c, o) in out.iter_mut().enumerate() {
                *o += self.spill.get(&(i as u32, c as u8)).copied().unwrap_or(0);
            }
        }
        out
    }

    /// The number of cells that may hold a sum other than 0 (those after it are 0).
    pub(super) fn len(&self) -> usize {
        let spilled = self.spill.keys().map(|&(i, _)| i as usize + 1).max();
        self.cells.len().max(spilled.unwrap_or(0))
    }

    /// The cells whose sums left the `i32` range at some point (the only ones that can be
    /// beyond `i64`), ascending.
    pub(super) fn spilled(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self.spill.keys().map(|&(i, _)| i as usize).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The cells `at` in this order: cell `r` of the result is cell `at[r]` of these.
    pub(super) fn gather(&self, at: &[u32]) -> Cells<N> {
        let cells = at
            .iter()
            .map(|&p| self.cells.get(p as usize).copied().unwrap_or([0; N]))
            .collect();
        let mut out = Cells {
            cells,
            spill: FxHashMap::default(),
        };
        if !self.spill.is_empty() {
            for (r, &p) in at.iter().enumerate() {
                for c in 0..N {
                    if let Some(&s) = self.spill.get(&(p, c as u8)) {
                        out.spill.insert((r as u32, c as u8), s);
                    }
                }
            }
        }
        out
    }
}

/// Adds `value` to the spill entry of cell `i`'s component `c`.
#[cold]
#[inline(never)]
fn spill(map: &mut FxHashMap<(u32, u8), i128>, i: usize, c: usize, value: i128) {
    let key = (
        u32::try_from(i).expect("fewer than 4 billion customers"),
        c as u8,
    );
    *map.entry(key).or_default() += value;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_stay_exact_beyond_the_narrow_range() {
        let mut cells: Cells<2> = Cells::default();
        let adds = [
            [i64::MAX, 5],
            [i64::MAX, -7],
            [-i64::MAX, 3],
            [1, i64::from(i32::MAX)],
            [-i64::MAX, 1],
            [4, i64::from(i32::MIN)],
        ];
        let mut want = [0i128; 2];
        for a in adds {
            cells.add(3, a);
            for (w, v) in want.iter_mut().zip(a) {
                *w += i128::from(v);
            }
            assert_eq!(cells.get(3), want);
        }
        assert_eq!(want, [5, 1]);
        assert_eq!(cells.get(0), [0, 0]);
        assert_eq!(cells.get(5_000), [0, 0]);
        assert_eq!(cells.spilled(), [3]);
        let mut other: Cells<2> = Cells::default();
        other.add_wide(0, [i128::from(i64::MAX) * 3, -1]);
        other.add_wide(1, [-2, 9]);
        let got = cells.gather(&[3, 9, 0]);
        assert_eq!(got.get(0), [5, 1]);
        assert_eq!(got.get(1), [0, 0]);
        assert_eq!(other.get(0), [i128::from(i64::MAX) * 3, -1]);
        assert_eq!(other.get(1), [-2, 9]);
    }
}
