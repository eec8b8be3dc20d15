//! The roll-up of customers into accounts (`level: account`), for the data-quality section and
//! `summary.json`: how many accounts were evaluated, how many customers they hold and how many
//! customers are accounts of their own because they have no parent.

use serde::Serialize;

use crate::data::Accounts;

/// How the customers with transactions were rolled up into the accounts evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rollup {
    /// Accounts evaluated (rows of the customer table of the run).
    pub accounts: usize,
    /// Customers with transactions in them: those in parent accounts plus those that are their
    /// own account.
    pub customers: usize,
    /// Customers of the customer table with transactions in accounts named as a parent (the
    /// parent's own row included).
    pub customers_rolled_up: usize,
    /// Accounts named as a parent (they hold the customers rolled up, and their own transactions).
    pub parent_accounts: usize,
    /// Customers with transactions and no parent, each an account of its own.
    pub customers_without_parent: usize,
}

impl Rollup {
    /// The roll-up of the accounts `ids` (the evaluated table's ids), into which
    /// `customers_rolled_up` customers with a parent were rolled up.
    pub fn new(ids: &[String], accounts: &Accounts, customers_rolled_up: usize) -> Rollup {
        let parent_accounts = ids.iter().filter(|id| accounts.is_parent(id)).count();
        let customers_without_parent = ids.len() - parent_accounts;
        Rollup {
            accounts: ids.len(),
            customers: customers_rolled_up + customers_without_parent,
            customers_rolled_up,
            parent_accounts,
            customers_without_parent,
        }
    }
}
