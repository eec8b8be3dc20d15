//! Streaming aggregation of transaction rows into per-customer built-in metrics. Memory grows with
//! customers and their purchase days, not with rows.
//!
//! Each loader thread keeps its customers in a dense list (one cache line each, the id stored
//! inline when short) found through an open-addressing index, and its purchase days as
//! `(customer, day)` pairs ([`DayPairs`]). Merging remaps the other thread's customer positions;
//! finishing counts distinct days, sorts the ids and fills the columns, in parallel.
//!
//! The customer tables are far larger than the caches, so finding a row's customer is a cache
//! (and TLB) miss or two. Rows are therefore added in batches: a batch's lookups first only load
//! what they will need, independent loads whose misses the CPU overlaps, then do the work on
//! cached data (see [`Customers::touch`]). Merging and finishing do the same.
//!
//! Money and quantities are added exactly in `i64`. An add that wraps around (a total beyond
//! ±92 million billion in the currency's units) is rare and cheap to notice: the wrap is counted
//! beside the record ([`Carries`]), so a total is exact and in range exactly when its net count is
//! zero, whatever the order of rows and merges. [`RowSink::overflows`] reports the others (and
//! margins out of range), and the loader turns them into an error naming the row.

use std::hint::black_box;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::data::{Day, Overflow, Row, RowSink, Sum};

use super::builtins::{Basis, Compute, Totals, BUILTINS};
use super::column::{Column, CustomerTable, Origin, EMPTY_DATE};
use super::days::{self, Counted, DayPairs};
use super::key::{hash_id, Inline, Key, Probe};
use super::population;
use super::sides::{SideSpec, Sidecar, Sides};

/// Rows (or customers, when merging or finishing) handled at a time.
const BATCH: usize = 32;

/// The day list of a customer id hash.
#[inline]
fn day_list(hash: u64) -> usize {
    (hash >> 56) as usize % days::LISTS
}

/// One customer's running totals: one cache line. The first purchase day is not kept here but
/// found from the day pairs at the end, and order ids live in [`Accumulator::orders`].
#[derive(Debug, Clone)]
#[repr(align(64))]
struct Customer {
    key: Key,
    revenue: i64,
    revenue_12m: i64,
    cost: i64,
    quantity: i64,
    /// The latest purchase day, `i32::MIN` before the first; its day pair is always recorded
    /// (see [`Accumulator::add`]).
    last: i32,
    /// Purchase (non-refund) rows.
    purchase_rows: u32,
}

/// Four billion purchase rows of one customer would not fit; no export comes near.
const TOO_MANY_ROWS: &str = "more than 4 billion purchase rows for one customer";

/// A customer's running total, for [`Carries`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Total {
    Revenue,
    Revenue12m,
    Cost,
    Quantity,
}

/// Wrap-arounds of customers' `i64` totals, by customer position and total: the net number of
/// times 2^64 was added (+1 for each wrap past the largest value, -1 past the smallest). The exact
/// total is the stored value plus that many times 2^64, so it is in range exactly when the count
/// is 0. Empty unless some total ever wrapped.
type Carries = FxHashMap<(u32, Total), i64>;

/// `total += value`, counting a wrap-around in `carries`.
#[inline(always)]
fn add_exact(total: &mut i64, value: i64, carries: &mut Carries, key: (u32, Total)) {
    let (sum, wrapped) = total.overflowing_add(value);
    *total = sum;
    if wrapped {
        count_wrap(carries, key, value);
    }
}

#[cold]
#[inline(never)]
fn count_wrap(carries: &mut Carries, key: (u32, Total), value: i64) {
    *carries.entry(key).or_default() += if value < 0 { -1 } else { 1 };
}

impl Customer {
    fn new(key: Key) -> Self {
        Customer {
            key,
            revenue: 0,
            revenue_12m: 0,
            cost: 0,
            quantity: 0,
            last: i32::MIN,
            purchase_rows: 0,
        }
    }

    /// Loads the record, for batching.
    #[inline]
    fn touch(&self) -> bool {
        matches!(self.key, Key::Inline(_))
    }

    /// Adds another thread's totals for the same customer, at position `at` (their days,
    /// orders and carries are moved separately).
    fn merge(&mut self, other: Customer, at: u32, carries: &mut Carries) {
        add_exact(
            &mut self.revenue,
            other.revenue,
            carries,
            (at, Total::Revenue),
        );
        add_exact(
            &mut self.revenue_12m,
            other.revenue_12m,
            carries,
            (at, Total::Revenue12m),
        );
        add_exact(&mut self.cost, other.cost, carries, (at, Total::Cost));
        add_exact(
            &mut self.quantity,
            other.quantity,
            carries,
            (at, Total::Quantity),
        );
        self.purchase_rows = (self.purchase_rows)
            .checked_add(other.purchase_rows)
            .expect(TOO_MANY_ROWS);
        self.last = self.last.max(other.last);
    }
}

/// Distinct order ids of one customer's purchase rows.
type OrderSet = Option<Box<FxHashSet<Key>>>;

/// Adds `theirs` to `mine`.
fn merge_orders(mine: &mut OrderSet, theirs: OrderSet) {
    match (mine, theirs) {
        (Some(mine), Some(mut theirs)) => {
            if mine.len() < theirs.len() {
                std::mem::swap(mine, &mut theirs);
            }
            mine.extend(*theirs);
        }
        (mine @ None, theirs) => *mine = theirs,
        (Some(_), None) => {}
    }
}

/// Customers in first-seen order, with an open-addressing index from id to position.
#[derive(Debug, Default)]
struct Customers {
    /// Power-of-two table, at most half full. A used slot holds the id hash's high 32 bits
    /// (whose top bits are also the home slot) and the position + 1; 0 is an empty slot.
    slots: Vec<u64>,
    list: Vec<Customer>,
}

impl Customers {
    /// Makes room for `n` more customers.
    #[inline]
    fn reserve(&mut self, n: usize) {
        while (self.list.len() + n) * 2 > self.slots.len() {
            self.grow();
        }
    }

    #[cold]
    fn grow(&mut self) {
        let bits = if self.slots.is_empty() {
            12
        } else {
            self.slots.len().trailing_zeros() + 1
        };
        assert!(bits <= 32, "too many customers");
        let mut slots = vec![0u64; 1 << bits];
        let mask = slots.len() - 1;
        for &s in self.slots.iter().filter(|&&s| s != 0) {
            let mut pos = (s >> (64 - bits)) as usize;
            while slots[pos] != 0 {
                pos = (pos + 1) & mask;
            }
            slots[pos] = s;
        }
        self.slots = slots;
    }

    /// The home slot of a hash.
    #[inline]
    fn home(&self, hash: u64) -> usize {
        (hash >> (64 - self.slots.len().trailing_zeros())) as usize
    }

    /// Loads, for each hash, its home slot and the record that slot points to, and nothing
    /// else: independent loads, so the CPU overlaps their misses, and the lookups that follow
    /// find them cached. Call [`Customers::reserve`] first.
    #[inline]
    fn touch(&self, hashes: &[u64]) {
        let slots = &self.slots;
        black_box(hashes.iter().fold(0, |acc, &h| acc ^ slots[self.home(h)]));
        black_box(hashes.iter().fold(false, |acc, &h| {
            let s = slots[self.home(h)];
            match self.list.get((s as u32).wrapping_sub(1) as usize) {
                Some(c) if s >> 32 == h >> 32 => acc ^ c.touch(),
                _ => acc,
            }
        }));
    }

    /// The position of the customer with this id and hash (`Ok`), or the empty slot where it
    /// belongs (`Err`). Call [`Customers::reserve`] first.
    #[inline]
    fn find(&self, hash: u64, probe: &Probe<'_>) -> Result<usize, usize> {
        let tag = hash >> 32;
        let mask = self.slots.len() - 1;
        let mut pos = self.home(hash);
        loop {
            let s = self.slots[pos];
            if s == 0 {
                return Err(pos);
            }
            if s >> 32 == tag {
                let i = (s as u32 - 1) as usize;
                if self.list[i].key.matches(probe) {
                    return Ok(i);
                }
            }
            pos = (pos + 1) & mask;
        }
    }

    /// Adds a customer in the empty slot `slot` found by [`Customers::find`]; its position.
    #[inline]
    fn insert(&mut self, slot: usize, hash: u64, customer: Customer) -> usize {
        let i = self.list.len();
        assert!(i < u32::MAX as usize - 1, "too many customers");
        self.slots[slot] = (hash >> 32) << 32 | (i as u64 + 1);
        self.list.push(customer);
        i
    }

    /// The position of the customer with this id and hash, added if new. Call
    /// [`Customers::reserve`] first.
    #[inline]
    fn position(&mut self, hash: u64, probe: Probe<'_>) -> usize {
        match self.find(hash, &probe) {
            Ok(i) => i,
            Err(slot) => self.insert(slot, hash, Customer::new(probe.to_key())),
        }
    }

    /// Whether the customer with this id and hash is known.
    fn contains(&self, hash: u64, probe: &Probe<'_>) -> bool {
        !self.slots.is_empty() && self.find(hash, probe).is_ok()
    }
}

/// A row waiting in [`Accumulator::pending`]: one whose ids are short enough to copy inline.
#[derive(Debug, Clone, Copy)]
struct Pending {
    id: Inline,
    hash: u64,
    order: Option<Inline>,
    day: i32,
    amount: i64,
    cost: i64,
    quantity: i64,
}

/// Aggregates rows, as of a date, into per-customer totals. One per loader thread; merged at the
/// end, with the same result whatever the order of rows or threads.
#[derive(Debug)]
pub struct Accumulator {
    as_of: Day,
    customers: Customers,
    /// The days of purchase rows; a day repeating the customer's latest is left out.
    days: DayPairs,
    /// Order ids by customer position, when `order_id` is mapped (empty otherwise; shorter than
    /// the customer list when the last customers have none).
    orders: Vec<OrderSet>,
    /// Rows not yet added, at most [`BATCH`] (see [`Accumulator::flush`]).
    pending: Vec<Pending>,
    /// Wrap-arounds of totals (see [`Carries`]).
    carries: Carries,
    /// Whether a cost column is mapped (else `cost` and `margin` are undefined).
    has_cost: bool,
    /// The side sinks asked for, if any: outside the hot path when there are none.
    sides: Option<Box<Sides>>,
}

/// The totals of customer `c`, who has `days` distinct purchase days from `first` on and these
/// orders.
#[inline]
fn totals_of(c: &Customer, (days, first): (u32, i32), orders: Option<&FxHashSet<Key>>) -> Totals {
    let orders = match orders {
        Some(set) => set.len() as i64,
        None => i64::from(c.purchase_rows),
    };
    let bought = days > 0;
    Totals {
        orders,
        purchase_days: i64::from(days),
        first: if bought { first } else { EMPTY_DATE },
        last: if bought { c.last } else { EMPTY_DATE },
        revenue: c.revenue,
        revenue_12m: c.revenue_12m,
        quantity: c.quantity,
        cost: c.cost,
    }
}

/// The length of the longest common prefix of `a` and `b`.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// What [`fill`] reads, by customer position.
struct Sources<'a> {
    list: &'a [Customer],
    days: &'a Counted,
    orders: &'a [OrderSet],
    basis: Basis,
}

/// The cells of one per-customer built-in for a run of rows, with how they are computed.
enum Cells<'a> {
    Int(fn(&Totals, &Basis) -> i64, &'a mut [i64]),
    Money(fn(&Totals, &Basis) -> i64, &'a mut [i64]),
    Float(fn(&Totals, &Basis) -> f64, &'a mut [f64]),
    Date(fn(&Totals, &Basis) -> i32, &'a mut [i32]),
}

impl<'a> Cells<'a> {
    /// The cells of `column`, computed by `compute`; `None` for a population built-in.
    fn of(compute: Compute, column: &'a mut Column) -> Option<Cells<'a>> {
        Some(match (compute, column) {
            (Compute::Int(f), Column::Int(v)) => Cells::Int(f, v),
            (Compute::Money(f), Column::Money(v)) => Cells::Money(f, v),
            (Compute::Float(f), Column::Float(v)) => Cells::Float(f, v),
            (Compute::Date(f), Column::Date(v)) => Cells::Date(f, v),
            _ => return None,
        })
    }

    /// The first `mid` rows and the rest.
    fn split_at(self, mid: usize) -> (Cells<'a>, Cells<'a>) {
        match self {
            Cells::Int(f, v) => {
                let (a, b) = v.split_at_mut(mid);
                (Cells::Int(f, a), Cells::Int(f, b))
            }
            Cells::Money(f, v) => {
                let (a, b) = v.split_at_mut(mid);
                (Cells::Money(f, a), Cells::Money(f, b))
            }
            Cells::Float(f, v) => {
                let (a, b) = v.split_at_mut(mid);
                (Cells::Float(f, a), Cells::Float(f, b))
            }
            Cells::Date(f, v) => {
                let (a, b) = v.split_at_mut(mid);
                (Cells::Date(f, a), Cells::Date(f, b))
            }
        }
    }

    /// Sets row `r` from a customer's totals.
    #[inline]
    fn set(&mut self, r: usize, t: &Totals, b: &Basis) {
        match self {
            Cells::Int(f, v) | Cells::Money(f, v) => v[r] = f(t, b),
            Cells::Float(f, v) => v[r] = f(t, b),
            Cells::Date(f, v) => v[r] = f(t, b),
        }
    }
}

/// Fills `ids` and the per-customer built-ins' `cells` (rows in id order) from the customers at
/// positions `order`, in parallel, a batch of customers at a time through all the built-ins.
fn fill(ids: &mut [String], cells: Vec<Cells<'_>>, order: &[u32], from: &Sources<'_>) {
    const CHUNK: usize = 1 << 13;
    if order.len() > CHUNK {
        let mid = order.len() / 2;
        let (ia, ib) = ids.split_at_mut(mid);
        let (ca, cb): (Vec<_>, Vec<_>) = cells.into_iter().map(|c| c.split_at(mid)).unzip();
        let (oa, ob) = order.split_at(mid);
        rayon::join(|| fill(ia, ca, oa, from), || fill(ib, cb, ob, from));
        return;
    }
    let mut cells = cells;
    for (start, batch) in (0..).step_by(BATCH).zip(order.chunks(BATCH)) {
        // Random records: load the batch's together (see `Customers::touch`).
        black_box(batch.iter().fold(false, |acc, &i| {
            let i = i as usize;
            acc ^ from.list[i].touch() ^ (from.days.get(i).0 == 0)
        }));
        for (r, &i) in (start..).zip(batch) {
            let i = i as usize;
            let c = &from.list[i];
            let orders = from.orders.get(i).and_then(|o| o.as_deref());
            let totals = totals_of(c, from.days.get(i), orders);
            ids[r] = c.key.as_str().to_owned();
            for cell in &mut cells {
                cell.set(r, &totals, &from.basis);
            }
        }
    }
}

/// Room for a per-customer built-in's column of `n` rows; `None` for a population built-in.
fn room(compute: Compute, n: usize) -> Option<Column> {
    Some(match compute {
        Compute::Int(_) => Column::Int(vec![0; n]),
        Compute::Money(_) => Column::Money(vec![0; n]),
        Compute::Float(_) => Column::Float(vec![0.0; n]),
        Compute::Date(_) => Column::Date(vec![0; n]),
        Compute::Score { .. } | Compute::CumulativeShare { .. } => return None,
    })
}

/// The table of built-in metrics, rows in id order (customer positions `order`): each column
/// computed as [`BUILTINS`] declares, the per-customer ones in one pass over the customers, then
/// the population ones in parallel.
fn builtin_table(order: &[u32], from: &Sources<'_>) -> CustomerTable {
    let n = order.len();
    let mut ids = vec![String::new(); n];
    let mut per_customer: Vec<Option<Column>> =
        BUILTINS.iter().map(|b| room(b.compute, n)).collect();
    let cells: Vec<Cells<'_>> = BUILTINS
        .iter()
        .zip(&mut per_customer)
        .filter_map(|(b, c)| Cells::of(b.compute, c.as_mut()?))
        .collect();
    fill(&mut ids, cells, order, from);
    let mut table = CustomerTable {
        as_of: from.basis.as_of,
        ids,
        columns: Vec::with_capacity(BUILTINS.len()),
    };
    let population: Vec<Column> = BUILTINS
        .par_iter()
        .zip(&per_customer)
        .filter(|(_, c)| c.is_none())
        .map(|(b, _)| over_population(b.compute, &table.ids, &per_customer))
        .collect();
    let mut population = population.into_iter();
    for (b, column) in BUILTINS.iter().zip(per_customer) {
        let column =
            column.unwrap_or_else(|| population.next().expect("one per population metric"));
        table.push(b.name, Origin::Builtin, column);
    }
    table
}

/// A population built-in's column, over the per-customer column it reads (declared before it).
fn over_population(compute: Compute, ids: &[String], columns: &[Option<Column>]) -> Column {
    let of = |name: &str| {
        let at = BUILTINS.iter().position(|b| b.name == name);
        at.and_then(|i| columns[i].as_ref())
            .unwrap_or_else(|| panic!("`{name}` is a per-customer built-in"))
    };
    match compute {
        Compute::Score {
            of: name,
            higher_is_better,
        } => Column::Int(population::scores(of(name), higher_is_better)),
        Compute::CumulativeShare { of: name } => match of(name) {
            Column::Money(cents) => Column::Float(population::cumulative_share(ids, cents)),
            _ => panic!("cumulative shares are of money"),
        },
        _ => unreachable!("per-customer built-ins are computed from totals"),
    }
}

/// The loader checks [`RowSink::overflows`] before the table is built.
const UNCHECKED: &str = "a total out of range: check RowSink::overflows before finish";

impl Accumulator {
    /// An empty accumulator for metrics as of `as_of`, with a cost column and no side sinks.
    /// It takes every row pushed: the caller leaves out rows after `as_of` (the loader does, and
    /// [`super::AsOfSet`] for several dates).
    pub fn new(as_of: Day) -> Self {
        Accumulator {
            as_of,
            customers: Customers::default(),
            days: DayPairs::new(),
            orders: Vec::new(),
            pending: Vec::with_capacity(BATCH),
            carries: Carries::default(),
            has_cost: true,
            sides: None,
        }
    }

    /// The same without a cost column: `cost`, `margin` and `margin_pct` are undefined (empty),
    /// not computed from a cost of 0.
    pub fn without_cost(mut self) -> Self {
        self.has_cost = false;
        self
    }

    /// The same, also keeping the side aggregates `spec` asks for (nothing when it is empty).
    /// Call before the first row.
    pub fn with_sides(mut self, spec: &SideSpec) -> Self {
        self.sides = Sides::new(spec, self.as_of);
        self
    }

    /// The as-of date the metrics are computed at.
    pub fn as_of(&self) -> Day {
        self.as_of
    }

    /// The first day counted in `revenue_12m`.
    fn first_recent_day(&self) -> Day {
        Day(self.as_of.0 - 364)
    }

    /// The number of customers seen so far.
    pub fn customers(&self) -> usize {
        let mut new: Vec<&Inline> = Vec::new();
        for p in &self.pending {
            if !self.customers.contains(p.hash, &Probe::Inline(p.id)) && !new.contains(&&p.id) {
                new.push(&p.id);
            }
        }
        self.customers.list.len() + new.len()
    }

    /// Adds the pending rows to the totals, a batch at a time (see [`Customers::touch`]).
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let mut hashes = [0u64; BATCH];
        for (h, p) in hashes.iter_mut().zip(&pending) {
            *h = p.hash;
        }
        self.customers.reserve(pending.len());
        self.customers.touch(&hashes[..pending.len()]);
        let mut at = [0u32; BATCH];
        for (a, p) in at.iter_mut().zip(&pending) {
            *a = self.customers.position(p.hash, Probe::Inline(p.id)) as u32;
        }
        for (&a, p) in at.iter().zip(&pending) {
            let order = p.order.map(Probe::Inline);
            self.add(
                a as usize, p.hash, p.day, p.amount, p.cost, p.quantity, order,
            );
        }
        if let Some(sides) = &mut self.sides {
            for (&a, p) in at.iter().zip(&pending) {
                sides.add_sums(a as usize, p.day, p.amount, p.cost);
            }
            sides.flush(&at[..pending.len()]);
        }
        self.pending = pending;
        self.pending.clear();
    }

    /// Adds one row to the totals of the customer at position `i`, whose id hash is `hash`.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        i: usize,
        hash: u64,
        day: i32,
        amount: i64,
        cost: i64,
        quantity: i64,
        order: Option<Probe<'_>>,
    ) {
        let recent = day >= self.first_recent_day().0;
        let (c, carries) = (&mut self.customers.list[i], &mut self.carries);
        let at = i as u32;
        add_exact(&mut c.revenue, amount, carries, (at, Total::Revenue));
        if recent {
            add_exact(&mut c.revenue_12m, amount, carries, (at, Total::Revenue12m));
        }
        add_exact(&mut c.cost, cost, carries, (at, Total::Cost));
        add_exact(&mut c.quantity, quantity, carries, (at, Total::Quantity));
        if amount >= 0 {
            c.purchase_rows = c.purchase_rows.checked_add(1).expect(TOO_MANY_ROWS);
            // The pair of the latest day is already recorded, so repeats of it (the common case
            // in a file sorted by date) are skipped.
            if day != c.last {
                c.last = c.last.max(day);
                self.days.push(day_list(hash), days::pair(i, day));
            }
            if let Some(order) = order {
                if self.orders.len() <= i {
                    self.orders.resize_with(i + 1, || None);
                }
                let set = self.orders[i].get_or_insert_with(Default::default);
                if !set.contains(order.as_bytes()) {
                    set.insert(order.to_key());
                }
            }
        }
    }

    /// Turns the totals into the customer table of built-in metrics, sorted by customer id.
    ///
    /// # Panics
    /// If a total is out of range, which [`RowSink::overflows`] reports (the loader checks it
    /// before the table is built).
    pub fn finish(self) -> CustomerTable {
        self.finish_with_sides().0
    }

    /// [`Accumulator::finish`], with the side aggregates in the table's row order (an empty
    /// [`Sidecar`] when none were asked for).
    ///
    /// # Panics
    /// As [`Accumulator::finish`].
    pub fn finish_with_sides(mut self) -> (CustomerTable, Sidecar) {
        self.flush();
        assert!(self.carries.values().all(|&n| n == 0), "{UNCHECKED}");
        let Accumulator {
            as_of,
            customers,
            days,
            orders: order_sets,
            has_cost,
            sides,
            ..
        } = self;
        let Customers { slots, list } = customers;
        drop(slots);
        let n = list.len();
        let days = days.count(n);
        let order = id_order(&list);
        let sources = Sources {
            list: &list,
            days: &days,
            orders: &order_sets,
            basis: Basis { as_of, has_cost },
        };
        let table = builtin_table(&order, &sources);
        drop((list, days, order_sets));
        let sidecar = sides.map_or_else(Sidecar::default, |s| s.finish(&order, has_cost));
        (table, sidecar)
    }
}

/// Customer positions in id order. 16 bytes after the prefix all ids share settle almost every
/// comparison without touching `list`.
fn id_order(list: &[Customer]) -> Vec<u32> {
    let keys = || list.par_iter().map(|c| &c.key);
    let skip = match (keys().min(), keys().max()) {
        (Some(a), Some(b)) => common_prefix(a.as_bytes(), b.as_bytes()),
        _ => 0,
    };
    let mut sorted: Vec<(u64, u64, u32)> = list
        .par_iter()
        .enumerate()
        .map(|(i, c)| {
            let (hi, lo) = c.key.sort_prefix(skip);
            (hi, lo, i as u32)
        })
        .collect();
    sorted.par_sort_unstable_by(|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| list[a.2 as usize].key.cmp(&list[b.2 as usize].key))
    });
    sorted.into_par_iter().map(|(_, _, i)| i).collect()
}

impl RowSink for Accumulator {
    #[inline]
    fn push(&mut self, row: &Row<'_>) {
        let id = Inline::new(row.customer_id);
        let order = row.order_id.map(Inline::new);
        match (id, order) {
            (Some(id), None | Some(Some(_))) => {
                self.pending.push(Pending {
                    id,
                    hash: hash_id(row.customer_id.as_bytes()),
                    order: order.flatten(),
                    day: row.day.0,
                    amount: row.amount,
                    cost: row.cost,
                    quantity: row.quantity,
                });
                if let Some(sides) = &mut self.sides {
                    sides.queue(row);
                }
                if self.pending.len() == BATCH {
                    self.flush();
                }
            }
            // A long id: added at once rather than copied.
            _ => {
                let probe = Probe::new(row.customer_id);
                let hash = hash_id(probe.as_bytes());
                self.customers.reserve(1);
                let i = self.customers.position(hash, probe);
                let order = row.order_id.map(Probe::new);
                let (day, amount) = (row.day.0, row.amount);
                self.add(i, hash, day, amount, row.cost, row.quantity, order);
                if let Some(sides) = &mut self.sides {
                    sides.add_now(i, row);
                }
            }
        }
    }

    fn overflows(&mut self) -> Vec<Overflow> {
        self.flush();
        let since = self.first_recent_day();
        let wrapped: FxHashSet<u32> = self
            .carries
            .iter()
            .filter(|(_, &n)| n != 0)
            .map(|(&(p, _), _)| p)
            .collect();
        let mut out: Vec<(u32, Sum)> = self
            .carries
            .iter()
            .filter(|(_, &n)| n != 0)
            .map(|(&(p, total), _)| {
                let sum = match total {
                    Total::Revenue => Sum::Amount,
                    Total::Revenue12m => Sum::AmountSince(since),
                    Total::Cost => Sum::Cost,
                    Total::Quantity => Sum::Quantity,
                };
                (p, sum)
            })
            .collect();
        // Margins of customers whose totals are exact.
        out.par_extend(
            self.customers
                .list
                .par_iter()
                .enumerate()
                .filter(|(i, c)| {
                    c.revenue.checked_sub(c.cost).is_none() && !wrapped.contains(&(*i as u32))
                })
                .map(|(i, _)| (i as u32, Sum::Margin)),
        );
        // A side sum (a product's, a quarter's or a window's) out of range: reported as the
        // customer's revenue, the sum it is part of.
        if let Some(sides) = &self.sides {
            out.extend(sides.out_of_range().into_iter().map(|p| (p, Sum::Amount)));
            out.sort_unstable();
            out.dedup();
        }
        let list = &self.customers.list;
        let mut out: Vec<Overflow> = out
            .into_iter()
            .map(|(p, sum)| Overflow {
                customer_id: list[p as usize].key.as_str().to_owned(),
                sum,
            })
            .collect();
        out.sort_by(|a, b| (&a.customer_id, a.sum).cmp(&(&b.customer_id, b.sum)));
        out
    }

    fn merge(&mut self, mut other: Self) {
        self.flush();
        other.flush();
        if self.customers.list.len() < other.customers.list.len() {
            std::mem::swap(self, &mut other);
        }
        let Accumulator {
            customers,
            days,
            orders,
            carries,
            sides,
            ..
        } = other;
        let Customers { slots, list } = customers;
        drop(slots);
        // Where each of the other's customers is now.
        let mut remap: Vec<u32> = Vec::with_capacity(list.len());
        let mut theirs = list.into_iter();
        let mut batch: Vec<Customer> = Vec::with_capacity(BATCH);
        let mut hashes = [0u64; BATCH];
        loop {
            batch.extend(theirs.by_ref().take(BATCH));
            if batch.is_empty() {
                break;
            }
            for (h, c) in hashes.iter_mut().zip(&batch) {
                *h = hash_id(c.key.as_bytes());
            }
            self.customers.reserve(batch.len());
            self.customers.touch(&hashes[..batch.len()]);
            for (c, &hash) in batch.drain(..).zip(&hashes) {
                let i = match self.customers.find(hash, &c.key.probe()) {
                    Ok(i) => {
                        self.customers.list[i].merge(c, i as u32, &mut self.carries);
                        i
                    }
                    Err(slot) => self.customers.insert(slot, hash, c),
                };
                remap.push(i as u32);
            }
        }
        self.days.append(days, &remap);
        for ((p, total), n) in carries {
            *self.carries.entry((remap[p as usize], total)).or_default() += n;
        }
        if let (Some(mine), Some(theirs)) = (&mut self.sides, sides) {
            mine.merge(*theirs, &remap);
        }
        for (p, set) in orders.into_iter().enumerate() {
            if set.is_some() {
                let i = remap[p] as usize;
                if self.orders.len() <= i {
                    self.orders.resize_with(i + 1, || None);
                }
                merge_orders(&mut self.orders[i], set);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Value;

    fn day(s: &str) -> Day {
        Day::parse_iso(s).unwrap()
    }

    fn row<'a>(id: &'a str, d: &str, cents: i64, order: Option<&'a str>) -> Row<'a> {
        Row {
            customer_id: id,
            day: day(d),
            amount: cents,
            cost: cents / 2,
            quantity: 1,
            order_id: order,
            product: None,
            channel: None,
        }
    }

    /// Every cell as customers.csv writes it (NaN-safe equality).
    fn csv_cells(t: &CustomerTable) -> Vec<Vec<String>> {
        (0..t.len())
            .map(|i| t.columns.iter().map(|c| c.column.get(i).to_csv()).collect())
            .collect()
    }

    fn value(t: &CustomerTable, name: &str, i: usize) -> String {
        t.column(name).unwrap().get(i).to_csv()
    }

    #[test]
    fn refunds_lower_revenue_but_are_not_purchases() {
        let mut acc = Accumulator::new(day("2024-12-31"));
        acc.push(&row("a", "2024-01-10", 10_00, None));
        acc.push(&row("a", "2024-01-10", 5_00, None));
        acc.push(&row("a", "2024-03-01", 0, None));
        acc.push(&row("a", "2024-06-01", -3_00, None));
        acc.push(&row("b", "2023-06-01", -1_00, None));
        let t = acc.finish();
        assert_eq!(t.ids, vec!["a", "b"]);
        assert_eq!(value(&t, "orders", 0), "3");
        assert_eq!(value(&t, "purchase_days", 0), "2");
        assert_eq!(value(&t, "frequency", 0), "1");
        assert_eq!(value(&t, "revenue", 0), "12.00");
        assert_eq!(value(&t, "first_purchase", 0), "2024-01-10");
        assert_eq!(value(&t, "last_purchase", 0), "2024-03-01");
        assert_eq!(value(&t, "recency_days", 0), "305");
        assert_eq!(value(&t, "avg_order_value", 0), "4");
        // b only has a refund: no purchase dates, no frequency, no order value.
        assert_eq!(value(&t, "orders", 1), "0");
        assert_eq!(value(&t, "revenue", 1), "-1.00");
        assert_eq!(value(&t, "first_purchase", 1), "");
        assert_eq!(value(&t, "frequency", 1), "");
        assert_eq!(value(&t, "avg_order_value", 1), "");
        assert_eq!(t.column("margin_pct").unwrap().get(1), Value::Float(0.5));
    }

    #[test]
    fn revenue_12m_takes_the_365_days_up_to_as_of() {
        let mut acc = Accumulator::new(day("2024-12-31"));
        acc.push(&row("a", "2024-01-01", 1_00, None)); // 365 days before: excluded
        acc.push(&row("a", "2024-01-02", 2_00, None));
        acc.push(&row("a", "2024-12-31", 4_00, None));
        let t = acc.finish();
        assert_eq!(value(&t, "revenue_12m", 0), "6.00");
        assert_eq!(value(&t, "revenue", 0), "7.00");
    }

    #[test]
    fn order_ids_count_distinct_purchases() {
        let mut acc = Accumulator::new(day("2024-12-31"));
        acc.push(&row("a", "2024-01-01", 1_00, Some("o1")));
        acc.push(&row("a", "2024-01-01", 2_00, Some("o1")));
        acc.push(&row("a", "2024-01-05", 2_00, Some("o2")));
        acc.push(&row("a", "2024-01-06", -2_00, Some("o3")));
        let t = acc.finish();
        assert_eq!(value(&t, "orders", 0), "2");
    }

    #[test]
    fn merging_in_any_order_gives_the_same_table() {
        let rows = [
            ("x", "2024-02-01", 5_00),
            ("y", "2024-02-01", 7_00),
            ("x", "2024-01-01", 3_33),
            ("x", "2024-02-01", 1_00),
            ("z", "2024-05-01", -2_00),
            ("y", "2024-03-01", 9_99),
        ];
        let mut one = Accumulator::new(day("2024-06-30"));
        for (id, d, c) in rows {
            one.push(&row(id, d, c, None));
        }
        let mut a = Accumulator::new(day("2024-06-30"));
        let mut b = Accumulator::new(day("2024-06-30"));
        for (i, (id, d, c)) in rows.iter().rev().enumerate() {
            let target = if i % 2 == 0 { &mut a } else { &mut b };
            target.push(&row(id, d, *c, None));
        }
        b.merge(a);
        assert_eq!(csv_cells(&one.finish()), csv_cells(&b.finish()));
    }
    /// A tiny deterministic generator (xorshift), so the tests need no crates.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// An owned row.
    #[derive(Clone)]
    struct TestRow {
        id: String,
        day: i32,
        amount: i64,
        cost: i64,
        quantity: i64,
        order: Option<String>,
    }

    impl TestRow {
        fn row(&self) -> Row<'_> {
            Row {
                customer_id: &self.id,
                day: Day(self.day),
                amount: self.amount,
                cost: self.cost,
                quantity: self.quantity,
                order_id: self.order.as_deref(),
                product: None,
                channel: None,
            }
        }
    }

    /// Rows with short, inline-limit and long ids (many sharing long prefixes), days on both
    /// sides of 1970, refunds, zero amounts and, when `orders`, short and long order ids.
    fn random_rows(seed: u64, n: usize, customers: u64, orders: bool) -> Vec<TestRow> {
        let mut rng = Rng(seed);
        let long = "customer-with-a-long-shared-prefix-";
        (0..n)
            .map(|_| {
                let c = rng.below(customers);
                let id = match c % 4 {
                    0 => format!("C{c:07}"),
                    1 => format!("{c}"),
                    2 => format!("{long}{c}"),
                    _ => format!("{:0>22}", c), // exactly the inline limit
                };
                let amount = match rng.below(10) {
                    0 => -(rng.below(5_000) as i64),
                    1 => 0,
                    _ => rng.below(100_000) as i64,
                };
                let order = (orders && rng.below(4) != 0).then(|| match rng.below(3) {
                    0 => format!("o{}", rng.below(8)),
                    1 => format!("order-id-long-enough-to-be-boxed-{}", rng.below(8)),
                    _ => format!("{c}-{}", rng.below(3)),
                });
                TestRow {
                    id,
                    day: rng.below(800) as i32 - 100,
                    amount,
                    cost: rng.below(1_000) as i64,
                    quantity: rng.below(5) as i64,
                    order,
                }
            })
            .collect()
    }

    /// The built-in cells up to `avg_order_value` (the ones not computed over the population),
    /// by the definitions, with plain maps.
    fn reference(rows: &[TestRow], as_of: i32) -> Vec<(String, Vec<String>)> {
        use std::collections::{BTreeMap, BTreeSet};
        #[derive(Default)]
        struct T {
            revenue: i64,
            revenue_12m: i64,
            cost: i64,
            quantity: i64,
            purchase_rows: i64,
            days: BTreeSet<i32>,
            orders: Option<BTreeSet<String>>,
        }
        let mut by_id: BTreeMap<&str, T> = BTreeMap::new();
        for r in rows {
            let t = by_id.entry(&r.id).or_default();
            t.revenue += r.amount;
            if r.day > as_of - 365 {
                t.revenue_12m += r.amount;
            }
            t.cost += r.cost;
            t.quantity += r.quantity;
            if r.amount >= 0 {
                t.purchase_rows += 1;
                t.days.insert(r.day);
                if let Some(o) = &r.order {
                    t.orders.get_or_insert_with(BTreeSet::new).insert(o.clone());
                }
            }
        }
        let int = |v: i64| Value::Int(v).to_csv();
        let money = |v: i64| Value::Money(v).to_csv();
        let float = |v: f64| Value::Float(v).to_csv();
        let date = |v: i32| Value::Date(Day(v)).to_csv();
        by_id
            .into_iter()
            .map(|(id, t)| {
                let orders = t
                    .orders
                    .as_ref()
                    .map_or(t.purchase_rows, |o| o.len() as i64);
                let days = t.days.len() as i64;
                let (first, last) = (t.days.first(), t.days.last());
                let m = t.revenue - t.cost;
                let cells = vec![
                    int(orders),
                    int(days),
                    if days > 0 {
                        int(days - 1)
                    } else {
                        String::new()
                    },
                    money(t.revenue),
                    money(t.revenue_12m),
                    int(t.quantity),
                    money(t.cost),
                    money(m),
                    if t.revenue == 0 {
                        String::new()
                    } else {
                        float(m as f64 / t.revenue as f64)
                    },
                    first.map_or(String::new(), |&d| date(d)),
                    last.map_or(String::new(), |&d| date(d)),
                    last.map_or(String::new(), |&d| int((as_of - d) as i64)),
                    first.map_or(String::new(), |&d| int((as_of - d) as i64)),
                    if orders == 0 {
                        String::new()
                    } else {
                        float(t.revenue as f64 / 100.0 / orders as f64)
                    },
                ];
                (id.to_string(), cells)
            })
            .collect()
    }

    /// The table's ids with the same cells as [`reference`].
    fn leading_cells(t: &CustomerTable) -> Vec<(String, Vec<String>)> {
        let cells = csv_cells(t);
        t.ids
            .iter()
            .cloned()
            .zip(cells.into_iter().map(|mut c| {
                c.truncate(14);
                c
            }))
            .collect()
    }

    /// Rows dealt to `parts` accumulators in runs of random length, merged in a mixed order.
    fn split_and_merge(rows: &[TestRow], parts: usize, as_of: Day, seed: u64) -> Accumulator {
        let mut rng = Rng(seed);
        let mut accs: Vec<Accumulator> = (0..parts).map(|_| Accumulator::new(as_of)).collect();
        let mut at = 0;
        while at < rows.len() {
            let run = 1 + rng.below(300) as usize;
            let target = rng.below(parts as u64) as usize;
            for r in &rows[at..(at + run).min(rows.len())] {
                accs[target].push(&r.row());
            }
            at += run;
        }
        while accs.len() > 1 {
            let i = rng.below(accs.len() as u64) as usize;
            let other = accs.swap_remove(i);
            let j = rng.below(accs.len() as u64) as usize;
            accs[j].merge(other);
        }
        accs.pop().unwrap()
    }

    #[test]
    fn matches_the_definitions_whatever_the_split() {
        let as_of = Day(600);
        for (seed, orders) in [(1, false), (2, true), (3, true)] {
            // Enough customers to grow the index a few times and fill many day chunks.
            let rows = random_rows(seed, 60_000, 9_000, orders);
            let expected = reference(&rows, as_of.0);
            let mut one = Accumulator::new(as_of);
            for r in &rows {
                one.push(&r.row());
            }
            assert_eq!(one.customers(), expected.len());
            let one = one.finish();
            assert_eq!(leading_cells(&one), expected);
            for parts in [2, 5] {
                let merged = split_and_merge(&rows, parts, as_of, seed + parts as u64);
                assert_eq!(merged.customers(), expected.len());
                assert_eq!(csv_cells(&merged.finish()), csv_cells(&one));
            }
        }
    }

    #[test]
    fn ids_sort_by_bytes_whatever_their_length() {
        let long = "x".repeat(super::super::key::INLINE + 1);
        let ids = [
            "b".to_string(),
            "a".to_string(),
            "a\0".to_string(),
            "".to_string(),
            "é".to_string(),
            long.clone(),
            format!("{long}a"),
            format!("{long}\0"),
            "x".repeat(16),
            "x".repeat(17),
        ];
        let mut acc = Accumulator::new(day("2024-12-31"));
        for (i, id) in ids.iter().enumerate() {
            acc.push(&row(id, "2024-01-01", i as i64, None));
        }
        let t = acc.finish();
        let mut sorted = ids.to_vec();
        sorted.sort();
        assert_eq!(t.ids, sorted);
        // Each kept its own revenue.
        for (i, id) in ids.iter().enumerate() {
            let at = t.ids.iter().position(|x| x == id).unwrap();
            assert_eq!(t.money("revenue")[at], i as i64);
        }
    }

    #[test]
    fn merging_remaps_customers_and_their_order_ids() {
        let as_of = day("2024-12-31");
        let long_order = "an-order-id-longer-than-the-inline-limit";
        let mut a = Accumulator::new(as_of);
        a.push(&row("x", "2024-01-01", 1_00, Some("o1")));
        a.push(&row("y", "2024-01-01", 1_00, Some(long_order)));
        a.push(&row("z", "2024-01-01", 1_00, None));
        let mut b = Accumulator::new(as_of);
        // Other first-seen order, so positions differ; overlapping and new orders and days.
        b.push(&row("w", "2024-02-01", 1_00, Some("o9")));
        b.push(&row("y", "2024-01-01", 1_00, Some(long_order)));
        b.push(&row("y", "2024-01-02", 1_00, Some("o2")));
        b.push(&row("x", "2024-01-01", 1_00, Some("o1")));
        b.push(&row("x", "2024-01-03", 1_00, Some("o3")));
        b.push(&row("x", "2024-01-04", -1_00, Some("o4"))); // refund: not an order
        assert_eq!(b.customers(), 3);
        a.merge(b);
        assert_eq!(a.customers(), 4);
        let t = a.finish();
        assert_eq!(t.ids, vec!["w", "x", "y", "z"]);
        let col = |name: &str| (0..4).map(|i| value(&t, name, i)).collect::<Vec<_>>();
        assert_eq!(col("orders"), vec!["1", "2", "2", "1"]);
        assert_eq!(col("purchase_days"), vec!["1", "2", "2", "1"]);
        assert_eq!(
            col("first_purchase"),
            vec!["2024-02-01", "2024-01-01", "2024-01-01", "2024-01-01"]
        );
        assert_eq!(
            col("last_purchase"),
            vec!["2024-02-01", "2024-01-03", "2024-01-02", "2024-01-01"]
        );
        assert_eq!(col("revenue"), vec!["1.00", "2.00", "3.00", "1.00"]);
    }

    #[test]
    fn counts_customers_still_waiting_in_a_batch() {
        let mut acc = Accumulator::new(day("2024-12-31"));
        assert_eq!(acc.customers(), 0);
        acc.push(&row("a", "2024-01-01", 1, None));
        acc.push(&row("a", "2024-01-02", 1, None));
        acc.push(&row("b", "2024-01-01", 1, None));
        assert_eq!(acc.customers(), 2);
        for i in 0..100 {
            acc.push(&row(&format!("c{}", i % 40), "2024-01-01", 1, None));
        }
        assert_eq!(acc.customers(), 42);
        assert_eq!(acc.finish().len(), 42);
    }

    /// A row with explicit amount, cost and quantity.
    fn money_row<'a>(id: &'a str, d: &str, amount: i64, cost: i64, quantity: i64) -> Row<'a> {
        Row {
            amount,
            cost,
            quantity,
            ..row(id, d, 0, None)
        }
    }

    fn sums(overflows: &[Overflow]) -> Vec<(&str, Sum)> {
        overflows
            .iter()
            .map(|o| (o.customer_id.as_str(), o.sum))
            .collect()
    }

    #[test]
    fn totals_out_of_range_are_reported_not_wrapped() {
        // Two amounts of 50,000,000,000,000,000.00: the sum does not fit in i64 cents.
        let big = 5_000_000_000_000_000_000;
        let as_of = day("2024-12-31");
        let recent = Sum::AmountSince(day("2024-01-02"));
        let mut acc = Accumulator::new(as_of);
        acc.push(&money_row("c1", "2024-06-01", big, 0, 1));
        acc.push(&money_row("c2", "2024-06-01", 1_00, 0, i64::MAX));
        acc.push(&money_row("c1", "2024-06-02", big, 0, 1));
        acc.push(&money_row("c2", "2023-06-01", 1_00, -big, 1));
        acc.push(&money_row("c2", "2023-06-01", 1_00, -big, 0));
        assert_eq!(
            sums(&acc.overflows()),
            vec![
                ("c1", Sum::Amount),
                ("c1", recent),
                ("c2", Sum::Cost),
                ("c2", Sum::Quantity)
            ]
        );
        // The same rows split over threads and merged: the same report.
        let mut a = Accumulator::new(as_of);
        let mut b = Accumulator::new(as_of);
        a.push(&money_row("c1", "2024-06-01", big, 0, 1));
        b.push(&money_row("c1", "2024-06-02", big, 0, 1));
        b.push(&money_row("c2", "2024-06-01", 1_00, 0, i64::MAX));
        a.push(&money_row("c2", "2023-06-01", 1_00, -big, 1));
        b.push(&money_row("c2", "2023-06-01", 1_00, -big, 0));
        a.merge(b);
        assert_eq!(sums(&a.overflows()), sums(&acc.overflows()));
    }

    #[test]
    fn a_margin_out_of_range_is_reported() {
        let mut acc = Accumulator::new(day("2024-12-31"));
        acc.push(&money_row("m", "2024-06-01", i64::MAX, 0, 1));
        acc.push(&money_row("m", "2024-06-01", 0, -1, 1));
        acc.push(&money_row("ok", "2024-06-01", i64::MAX, i64::MAX, 1));
        assert_eq!(sums(&acc.overflows()), vec![("m", Sum::Margin)]);
    }

    #[test]
    fn totals_that_wrap_and_come_back_are_exact() {
        let as_of = day("2024-12-31");
        let rows = [
            money_row("a", "2024-06-01", i64::MAX, 3, 1),
            money_row("a", "2024-06-01", i64::MAX, 4, 1),
            money_row("a", "2024-06-02", -i64::MAX, 0, 1),
            money_row("a", "2024-06-03", -i64::MAX + 5, 0, 1),
        ];
        for split in 0..=rows.len() {
            let mut a = Accumulator::new(as_of);
            let mut b = Accumulator::new(as_of);
            for (k, r) in rows.iter().enumerate() {
                if k < split { &mut a } else { &mut b }.push(r);
            }
            a.merge(b);
            assert!(a.overflows().is_empty(), "split {split}");
            let t = a.finish();
            assert_eq!(t.money("revenue"), [5], "split {split}");
            assert_eq!(t.money("margin"), [-2], "split {split}");
        }
    }

    #[test]
    fn an_empty_accumulator_gives_an_empty_table() {
        let mut a = Accumulator::new(day("2024-12-31"));
        a.merge(Accumulator::new(day("2024-12-31")));
        let t = a.finish();
        assert!(t.is_empty());
        assert_eq!(t.columns.len(), super::super::BUILTINS.len());
    }
}
