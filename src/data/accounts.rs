//! Customers rolled up to accounts (`level: account`): the attribute `parent_id` of the customer
//! table names the account a customer belongs to. A customer without one (an empty cell, its own
//! id, or no row in the customer table) is an account of its own.
//!
//! The roll-up has one level: `parent_id` names the account at the top. A parent that has a
//! parent of its own is an error rather than a chain silently followed or cut.
//!
//! An account's attributes are those of the parent's own row in the customer table when it has
//! one, else those of its first customer in file order. Every account also gets the attribute
//! [`ACCOUNT_CUSTOMERS`]: how many rows of the customer table belong to it.

use rustc_hash::FxHashMap;

use super::attributes::{AttributeColumn, AttributeTable, AttributeValues};

/// The attribute that names a customer's account.
pub const PARENT_ID: &str = "parent_id";

/// The attribute added at account level: the number of customer-table rows in the account (the
/// parent's own row included).
pub const ACCOUNT_CUSTOMERS: &str = "account_customers";

/// Which account each customer belongs to, and the attribute table at account level.
#[derive(Debug, Clone, PartialEq)]
pub struct Accounts {
    /// Customer id -> (account id, the customer's row in the customer table), for the customers
    /// of the accounts named as a parent (the parent's own row included).
    member_of: FxHashMap<Box<str>, (Box<str>, u32)>,
    /// The account ids named by a `parent_id`, sorted.
    parents: Vec<String>,
    /// Rows of the customer table (the customers the roll-up knows).
    customer_rows: usize,
    /// The attribute table with one row per account (parents first in order of appearance, then
    /// the customers without a parent, in file order).
    pub attributes: AttributeTable,
}

/// A parent id as text, whatever type its column was read as.
fn id_text(values: &AttributeValues, row: usize) -> Option<String> {
    match values {
        AttributeValues::Int(v) => v[row].map(|i| i.to_string()),
        AttributeValues::Float(v) => v[row].map(|f| f.to_string()),
        AttributeValues::Text(v) => v[row].clone(),
    }
}

impl Accounts {
    /// The roll-up described by the `parent_id` column of `customers`. Errors with a message
    /// naming the column and the fix when the table has no such column or a parent has a parent.
    pub fn from_attributes(customers: &AttributeTable) -> Result<Accounts, String> {
        let Some(column) = customers.column(PARENT_ID) else {
            return Err(format!(
                "`level: account` rolls customers up by the attribute `{PARENT_ID}`, and {} has no such column",
                customers.path.display()
            ));
        };
        let n = customers.ids.len();
        // The account of every row: its parent, or itself.
        let account: Vec<String> = (0..n)
            .map(|r| match id_text(&column.values, r) {
                Some(p) if p != customers.ids[r] => p,
                _ => customers.ids[r].clone(),
            })
            .collect();
        let mut member_of = FxHashMap::default();
        let mut parents = Vec::new();
        for (r, acc) in account.iter().enumerate() {
            let id = &customers.ids[r];
            if acc == id {
                continue;
            }
            if let Some(row) = customers.row_of(acc) {
                if account[row] != *acc {
                    return Err(format!(
                        "customer {id:?} has the parent {acc:?}, which has the parent {:?} itself: `{PARENT_ID}` must name the account at the top",
                        account[row]
                    ));
                }
            }
            member_of.insert(id.as_str().into(), (acc.as_str().into(), r as u32));
            parents.push(acc.clone());
        }
        parents.sort_unstable();
        parents.dedup();
        for p in &parents {
            if let Some(row) = customers.row_of(p) {
                member_of.insert(p.as_str().into(), (p.as_str().into(), row as u32));
            }
        }
        let attributes = account_table(customers, &account)?;
        Ok(Accounts {
            member_of,
            parents,
            customer_rows: n,
            attributes,
        })
    }

    /// The account of `customer_id` and its row in the customer table, when the customer belongs
    /// to an account named as a parent (its own, for the parent's row); `None` for a customer that
    /// is an account of its own without being a parent.
    #[inline]
    pub fn member_of(&self, customer_id: &str) -> Option<(&str, usize)> {
        self.member_of
            .get(customer_id)
            .map(|(a, r)| (&**a, *r as usize))
    }

    /// Whether some customer names `account` as its parent.
    pub fn is_parent(&self, account: &str) -> bool {
        self.parents
            .binary_search_by(|p| p.as_str().cmp(account))
            .is_ok()
    }

    /// The rows of the customer table.
    pub fn customer_rows(&self) -> usize {
        self.customer_rows
    }
}

/// The attribute table with one row per account: the parent's own row when the table has it,
/// else the account's first customer; plus [`ACCOUNT_CUSTOMERS`].
fn account_table(customers: &AttributeTable, account: &[String]) -> Result<AttributeTable, String> {
    let mut index: FxHashMap<&str, usize> = FxHashMap::default();
    let mut ids: Vec<String> = Vec::new();
    let mut source: Vec<usize> = Vec::new();
    let mut counts: Vec<Option<i64>> = Vec::new();
    for (r, acc) in account.iter().enumerate() {
        let a = *index.entry(acc.as_str()).or_insert_with(|| {
            ids.push(acc.clone());
            source.push(customers.row_of(acc).unwrap_or(r));
            counts.push(Some(0));
            ids.len() - 1
        });
        counts[a] = counts[a].map(|c| c + 1);
    }
    let mut columns: Vec<AttributeColumn> = customers
        .columns
        .iter()
        .map(|c| AttributeColumn {
            name: c.name.clone(),
            header: c.header.clone(),
            values: pick(&c.values, &source),
        })
        .collect();
    columns.push(AttributeColumn {
        name: ACCOUNT_CUSTOMERS.to_string(),
        header: ACCOUNT_CUSTOMERS.to_string(),
        values: AttributeValues::Int(counts),
    });
    AttributeTable::from_parts(customers.path.clone(), columns, ids)
}

/// The values of rows `rows`, in that order.
fn pick(values: &AttributeValues, rows: &[usize]) -> AttributeValues {
    match values {
        AttributeValues::Int(v) => AttributeValues::Int(rows.iter().map(|&r| v[r]).collect()),
        AttributeValues::Float(v) => AttributeValues::Float(rows.iter().map(|&r| v[r]).collect()),
        AttributeValues::Text(v) => {
            AttributeValues::Text(rows.iter().map(|&r| v[r].clone()).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn table(rows: &[(&str, Option<&str>, i64)]) -> AttributeTable {
        let ids = rows.iter().map(|r| r.0.to_string()).collect();
        let columns = vec![
            AttributeColumn {
                name: PARENT_ID.into(),
                header: "Parent".into(),
                values: AttributeValues::Text(rows.iter().map(|r| r.1.map(String::from)).collect()),
            },
            AttributeColumn {
                name: "size".into(),
                header: "size".into(),
                values: AttributeValues::Int(rows.iter().map(|r| Some(r.2)).collect()),
            },
        ];
        AttributeTable::from_parts(PathBuf::from("c.csv"), columns, ids).unwrap()
    }

    #[test]
    fn rolls_up_to_parents_with_their_own_row_first() {
        // B1 and B2 belong to P; P has its own row after them; S stands alone; C names itself;
        // D's parent Q has no row.
        let t = table(&[
            ("B1", Some("P"), 1),
            ("B2", Some("P"), 2),
            ("S", None, 3),
            ("P", None, 4),
            ("C", Some("C"), 5),
            ("D", Some("Q"), 6),
        ]);
        let a = Accounts::from_attributes(&t).unwrap();
        assert_eq!(a.member_of("B1"), Some(("P", 0)));
        assert_eq!(a.member_of("B2"), Some(("P", 1)));
        assert_eq!(a.member_of("D"), Some(("Q", 5)));
        assert_eq!(a.member_of("P"), Some(("P", 3)), "the parent's own row");
        assert_eq!(a.member_of("S"), None);
        assert_eq!(
            a.member_of("C"),
            None,
            "a customer naming itself is its own account"
        );
        assert_eq!(a.member_of("X"), None, "no row: its own account");
        assert!(a.is_parent("P") && a.is_parent("Q") && !a.is_parent("S"));
        assert_eq!(a.customer_rows(), 6);
        let acc = &a.attributes;
        assert_eq!(acc.ids, ["P", "S", "C", "Q"]);
        // P takes its own row's size (4), not B1's; Q has no row: its first customer D's.
        assert_eq!(
            acc.column("size").unwrap().values,
            AttributeValues::Int(vec![Some(4), Some(3), Some(5), Some(6)])
        );
        assert_eq!(
            acc.column(ACCOUNT_CUSTOMERS).unwrap().values,
            AttributeValues::Int(vec![Some(3), Some(1), Some(1), Some(1)])
        );
    }

    #[test]
    fn a_parent_with_a_parent_is_an_error() {
        let t = table(&[("B1", Some("P"), 1), ("P", Some("G"), 2), ("G", None, 3)]);
        let e = Accounts::from_attributes(&t).unwrap_err();
        assert!(e.contains("\"B1\"") && e.contains("\"G\""), "{e}");
    }

    #[test]
    fn without_a_parent_column_is_an_error() {
        let mut t = table(&[("B1", None, 1)]);
        t.columns.remove(0);
        let e = Accounts::from_attributes(&t).unwrap_err();
        assert!(e.contains("parent_id"), "{e}");
    }
}
