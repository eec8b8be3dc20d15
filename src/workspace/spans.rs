//! Where each key of `powerbase.yaml` was written: `data.transactions.columns.amount` -> line 9,
//! column 58. Filled by a second, light reading of the file as a plain tree of values, so that a
//! problem found later (a mapped column missing from the data file, a bad `date_format`) points at
//! the line of `powerbase.yaml` that says it, not only at the data file.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::Origin;

/// The places of the keys of one policy file, by dotted path (`report.page_size`,
/// `tiers.0.when`: list items by their 0-based index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans {
    places: BTreeMap<String, Place>,
}

/// Where a key and its value were written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    key: Origin,
    value: Origin,
    /// Whether the value is a single value (not a mapping or list).
    scalar: bool,
}

impl Spans {
    /// The places of the keys of `text`, the file `file`. A file that cannot be read as YAML has
    /// no places (its problems are reported by the policy reading itself).
    pub fn read(file: &str, text: &str) -> Spans {
        let mut spans = Spans::default();
        if let Ok(root) = serde_saphyr::from_str::<Node>(text) {
            spans.collect(file, "", &root);
        }
        spans
    }

    fn collect(&mut self, file: &str, prefix: &str, node: &Node) {
        let children: Vec<(String, Origin, &Spanned<Node>)> = match node {
            Node::Map(entries) => entries
                .iter()
                .map(|(k, v)| (k.value.clone(), origin(file, k), v))
                .collect(),
            Node::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), origin(file, v), v))
                .collect(),
            Node::Scalar => return,
        };
        for (name, key, value) in children {
            let path = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}.{name}")
            };
            self.places.insert(
                path.clone(),
                Place {
                    key,
                    value: origin(file, value),
                    scalar: matches!(value.value, Node::Scalar),
                },
            );
            self.collect(file, &path, &value.value);
        }
    }

    /// Where the key at `path` is written: its value when that is a single value (the caret goes
    /// under `dollar_value` in `amount: dollar_value`), else the key.
    pub fn get(&self, path: &str) -> Option<&Origin> {
        self.places
            .get(path)
            .map(|p| if p.scalar { &p.value } else { &p.key })
    }

    /// [`Spans::get`] of `path`, or else of the nearest key above it that is written
    /// (`data.transactions.columns` for a `data.transactions.columns.cost` that is not).
    pub fn nearest(&self, path: &str) -> Option<&Origin> {
        let mut path = path;
        loop {
            if let Some(o) = self.get(path) {
                return Some(o);
            }
            path = &path[..path.rfind('.')?];
        }
    }
}

fn origin<T>(file: &str, spanned: &Spanned<T>) -> Origin {
    Origin::new(
        file,
        spanned.referenced.line() as u32,
        spanned.referenced.column() as u32,
    )
}

/// Any YAML value, keeping where each key and value starts.
enum Node {
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
    Seq(Vec<Spanned<Node>>),
    Scalar,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_i128<E>(self, _: i128) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_u128<E>(self, _: u128) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_str<E>(self, _: &str) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "client: X\ndata:\n  transactions:\n    path: t.csv\n    columns: { customer_id: id, date: day, amount: dollar_value }\n    date_format: \"%Y%m%d\"\nreport:\n  page_size: A5\ntiers:\n  - name: First\n    when: revenue > 1\n";

    #[test]
    fn scalar_values_are_placed_at_the_value() {
        let s = Spans::read("powerbase.yaml", YAML);
        assert_eq!(
            s.get("data.transactions.columns.amount"),
            Some(&Origin::new("powerbase.yaml", 5, 52))
        );
        assert_eq!(
            s.get("data.transactions.date_format"),
            Some(&Origin::new("powerbase.yaml", 6, 18))
        );
        assert_eq!(
            s.get("report.page_size"),
            Some(&Origin::new("powerbase.yaml", 8, 14))
        );
        assert_eq!(
            s.get("tiers.0.when"),
            Some(&Origin::new("powerbase.yaml", 11, 11))
        );
    }

    #[test]
    fn mappings_are_placed_at_the_key_and_missing_keys_at_the_nearest_parent() {
        let s = Spans::read("powerbase.yaml", YAML);
        assert_eq!(
            s.get("data.transactions"),
            Some(&Origin::new("powerbase.yaml", 3, 3))
        );
        assert_eq!(s.get("data.transactions.columns.cost"), None);
        assert_eq!(
            s.nearest("data.transactions.columns.cost"),
            Some(&Origin::new("powerbase.yaml", 5, 5))
        );
        assert_eq!(s.nearest("nothing.here"), None);
    }

    #[test]
    fn a_file_that_is_not_yaml_has_no_places() {
        assert_eq!(Spans::read("a", "x: [\n"), Spans::default());
    }
}
