//! A small-string key for customer and order ids: ids up to [`INLINE`] bytes are stored inline
//! (no allocation, no pointer to chase), longer ones in a heap box. Equality, hashing and order
//! are by string content whatever the storage.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

/// The longest id stored inline, in bytes.
pub(crate) const INLINE: usize = 22;

/// An id stored inline: `len` bytes, then zeros. The zero padding makes equal strings equal
/// representations, so comparing two inline ids is a few word compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Inline {
    len: u8,
    bytes: [u8; INLINE],
}

impl Inline {
    /// `s` inline, or `None` when it is longer than [`INLINE`] bytes.
    #[inline]
    pub(crate) fn new(s: &str) -> Option<Inline> {
        let b = s.as_bytes();
        if b.len() > INLINE {
            return None;
        }
        let mut bytes = [0u8; INLINE];
        bytes[..b.len()].copy_from_slice(b);
        Some(Inline {
            len: b.len() as u8,
            bytes,
        })
    }

    /// The id's bytes.
    #[inline]
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

/// A customer (or order) id: inline when short, boxed when long.
#[derive(Debug, Clone)]
pub(crate) enum Key {
    /// At most [`INLINE`] bytes; never used for longer ids.
    Inline(Inline),
    /// More than [`INLINE`] bytes; never used for shorter ids.
    Heap(Box<str>),
}

/// A borrowed id ready for comparisons with stored [`Key`]s: the inline form is built once per
/// lookup, so matching a short id costs no byte-by-byte compare.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Probe<'a> {
    /// A short id.
    Inline(Inline),
    /// A long id.
    Long(&'a str),
}

impl<'a> Probe<'a> {
    /// The probe for `s`.
    #[inline]
    pub(crate) fn new(s: &'a str) -> Self {
        match Inline::new(s) {
            Some(i) => Probe::Inline(i),
            None => Probe::Long(s),
        }
    }

    /// The id as a stored key (allocates only for long ids).
    #[inline]
    pub(crate) fn to_key(self) -> Key {
        match self {
            Probe::Inline(i) => Key::Inline(i),
            Probe::Long(s) => Key::Heap(s.into()),
        }
    }

    /// The id's bytes.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Probe::Inline(i) => i.as_bytes(),
            Probe::Long(s) => s.as_bytes(),
        }
    }
}

impl Key {
    /// The key for `s`.
    #[cfg(test)]
    pub(crate) fn new(s: &str) -> Self {
        Probe::new(s).to_key()
    }

    /// The id's bytes.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline(i) => i.as_bytes(),
            Key::Heap(b) => b.as_bytes(),
        }
    }

    /// The id.
    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Inline bytes are always a copy of a whole `&str`.
            Key::Inline(i) => std::str::from_utf8(i.as_bytes()).expect("inline ids are UTF-8"),
            Key::Heap(b) => b,
        }
    }

    /// Whether this key holds the probe's id.
    #[inline]
    pub(crate) fn matches(&self, probe: &Probe<'_>) -> bool {
        match (self, probe) {
            (Key::Inline(a), Probe::Inline(b)) => a == b,
            (Key::Heap(a), Probe::Long(b)) => a.as_bytes() == b.as_bytes(),
            // Storage is decided by length alone, so different storage means different ids.
            _ => false,
        }
    }

    /// The key as a probe, for lookups.
    #[inline]
    pub(crate) fn probe(&self) -> Probe<'_> {
        match self {
            Key::Inline(i) => Probe::Inline(*i),
            Key::Heap(b) => Probe::Long(b),
        }
    }

    /// The 16 bytes after the first `skip` as two big-endian numbers, zero-padded. Among ids
    /// that share their first `skip` bytes, comparing these orders ids as their bytes do, except
    /// that equal ones need a full compare.
    #[inline]
    pub(crate) fn sort_prefix(&self, skip: usize) -> (u64, u64) {
        let word = |b: &[u8]| u64::from_be_bytes(b.try_into().expect("8 bytes"));
        match self {
            // Inline bytes are already zero-padded.
            Key::Inline(i) if skip == 0 => (word(&i.bytes[..8]), word(&i.bytes[8..16])),
            _ => {
                let rest = self.as_bytes().get(skip..).unwrap_or_default();
                let mut buf = [0u8; 16];
                let n = rest.len().min(16);
                buf[..n].copy_from_slice(&rest[..n]);
                (word(&buf[..8]), word(&buf[8..]))
            }
        }
    }
}

impl PartialEq for Key {
    #[inline]
    fn eq(&self, other: &Key) -> bool {
        match (self, other) {
            (Key::Inline(a), Key::Inline(b)) => a == b,
            _ => self.as_bytes() == other.as_bytes(),
        }
    }
}

impl Eq for Key {}

impl Hash for Key {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

/// Lets sets of keys be searched with a borrowed id (`Key` hashes and compares as its bytes do).
impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    /// Byte order of the ids, as `str` orders them.
    fn cmp(&self, other: &Key) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xD6E8_FEB8_6659_FD93;

#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let m = (a as u128) * (b as u128);
    (m >> 64) as u64 ^ m as u64
}

/// A fast, well-mixed 64-bit hash of an id's bytes (all bits usable, high ones included).
#[inline]
pub(crate) fn hash_id(b: &[u8]) -> u64 {
    let mut h = K1 ^ b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = fold(h ^ w, K2);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = fold(h ^ u64::from_le_bytes(buf), K2);
    }
    fold(h, K1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustc_hash::FxHashSet;

    #[test]
    fn short_ids_are_inline_and_long_ones_boxed() {
        assert!(matches!(Key::new("C0000001"), Key::Inline(_)));
        assert!(matches!(Key::new(""), Key::Inline(_)));
        let max = "x".repeat(INLINE);
        assert!(matches!(Key::new(&max), Key::Inline(_)));
        let long = "x".repeat(INLINE + 1);
        assert!(matches!(Key::new(&long), Key::Heap(_)));
        for s in ["C0000001", "00001", "", "é€", max.as_str(), long.as_str()] {
            assert_eq!(Key::new(s).as_str(), s);
        }
        assert!(std::mem::size_of::<Key>() <= 24);
    }

    #[test]
    fn equality_and_hashing_follow_the_content() {
        let long = "customer-with-a-rather-long-identifier";
        let ids = ["a", "a\0", "ab", "C0000001", "C00000010", long];
        let set: FxHashSet<Key> = ids.iter().map(|s| Key::new(s)).collect();
        assert_eq!(set.len(), ids.len());
        for s in ids {
            assert!(set.contains(&Key::new(s)));
            let k = Key::new(s);
            assert!(k.matches(&Probe::new(s)));
            assert_eq!(hash_id(k.as_bytes()), hash_id(s.as_bytes()));
            assert_eq!(Probe::new(s).as_bytes(), s.as_bytes());
        }
        assert!(!Key::new("a").matches(&Probe::new("a\0")));
        let set: FxHashSet<Key> = [Key::new("o1"), Key::new(long)].into_iter().collect();
        assert!(set.contains(b"o1".as_slice()) && set.contains(long.as_bytes()));
        assert!(!set.contains(b"o2".as_slice()));
        assert!(Key::new(long).matches(&Key::new(long).probe()));
        assert!(!Key::new(long).matches(&Probe::new(&long[1..])));
        assert_ne!(hash_id(b"a"), hash_id(b"a\0"));
    }

    #[test]
    fn order_is_byte_order_and_prefixes_agree() {
        let long = "C000000100000000000000000000";
        let mut ids = vec!["b", "a\0", "a", "", "C0000001", "C00000010", long, "é", "Z"];
        let mut keys: Vec<Key> = ids.iter().map(|s| Key::new(s)).collect();
        keys.sort();
        ids.sort();
        assert_eq!(keys.iter().map(Key::as_str).collect::<Vec<_>>(), ids);
        for w in keys.windows(2) {
            assert!(w[0].sort_prefix(0) <= w[1].sort_prefix(0));
        }
        assert_eq!(
            Key::new(long).sort_prefix(0),
            (
                u64::from_be_bytes(*b"C0000001"),
                u64::from_be_bytes(*b"00000000")
            )
        );
        let word = u64::from_be_bytes;
        assert_eq!(Key::new("ab").sort_prefix(0), (word(*b"ab\0\0\0\0\0\0"), 0));
        assert_eq!(
            Key::new("ab").sort_prefix(1),
            (word(*b"b\0\0\0\0\0\0\0"), 0)
        );
        assert_eq!(Key::new("ab").sort_prefix(5), (0, 0));
        assert_eq!(Key::new(long).sort_prefix(20), (word(*b"00000000"), 0));
        // Ids sharing a long prefix: skipping it orders them by what follows.
        let shared = "customer-0000000";
        let mut ids: Vec<String> = ["9", "10", "1", "", "1\0", "19999999999999999"]
            .iter()
            .map(|s| format!("{shared}{s}"))
            .collect();
        let mut keys: Vec<Key> = ids.iter().map(|s| Key::new(s)).collect();
        keys.sort_by_key(|k| k.sort_prefix(shared.len()));
        ids.sort();
        assert_eq!(keys.iter().map(Key::as_str).collect::<Vec<_>>(), ids);
    }
}
