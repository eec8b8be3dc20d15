//! The row sink of `level: account`: each transaction row is keyed by its customer's account
//! ([`Accounts`]) before the sink behind it sees the row, so every built-in metric (revenue,
//! purchase days, first and last purchase, orders, scores) is computed from all the account's
//! transactions, exactly as for one customer: two customers of an account buying on the same day
//! make one purchase day. At customer level the loader feeds the sink directly, so the hot path
//! pays nothing for this layer.

use std::sync::Arc;

use crate::data::{Accounts, Overflow, Row, RowSink};

/// A sink that sees every row under its account's id.
#[derive(Debug)]
pub struct ByAccount<S> {
    inner: S,
    accounts: Arc<Accounts>,
    /// Per row of the customer table: whether that customer (a member of an account named as a
    /// parent) had a transaction row.
    seen: Vec<bool>,
}

impl<S> ByAccount<S> {
    /// Rolls the rows up by `accounts` into `inner`.
    pub fn new(inner: S, accounts: Arc<Accounts>) -> Self {
        let seen = vec![false; accounts.customer_rows()];
        ByAccount {
            inner,
            accounts,
            seen,
        }
    }

    /// The sink behind, and how many customers of the accounts named as a parent (the parents'
    /// own rows included) had at least one transaction row.
    pub fn finish(self) -> (S, usize) {
        let members = self.seen.iter().filter(|&&s| s).count();
        (self.inner, members)
    }
}

impl<S: RowSink> RowSink for ByAccount<S> {
    #[inline]
    fn push(&mut self, row: &Row<'_>) {
        match self.accounts.member_of(row.customer_id) {
            Some((account, at)) => {
                self.seen[at] = true;
                self.inner.push(&Row {
                    customer_id: account,
                    ..*row
                });
            }
            None => self.inner.push(row),
        }
    }

    fn merge(&mut self, other: Self) {
        self.inner.merge(other.inner);
        for (mine, theirs) in self.seen.iter_mut().zip(other.seen) {
            *mine |= theirs;
        }
    }

    fn overflows(&mut self) -> Vec<Overflow> {
        self.inner.overflows()
    }
}
