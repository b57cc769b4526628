//! [`SortedMap`]: a map from string keys kept as one sorted vector.
//!
//! A loaded session holds one map of per-key statistics per label, resource and attribute set:
//! hundreds of thousands of maps, nearly all with a handful of keys. A `BTreeMap` allocates a
//! node of eleven slots however few keys it holds (about 1.1 KB each for `KeyStats`); a sorted
//! vector holds exactly its entries, in the same order a `BTreeMap` iterates them, and
//! deserializes without a search per key when the input is already sorted (ours always is).
//! Keys are [`Key`]s (shared text, interned by read-only loads). The API mirrors the part of
//! `BTreeMap` the project uses.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use super::key::Key;

/// A map from [`Key`]s, iterated in key order, stored as a sorted vector.
#[derive(Clone, PartialEq)]
pub struct SortedMap<V>(Vec<(Key, V)>);

impl<V> Default for SortedMap<V> {
    fn default() -> Self {
        SortedMap(Vec::new())
    }
}

impl<V: fmt::Debug> fmt::Debug for SortedMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V> SortedMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn find<Q: AsRef<str> + ?Sized>(&self, key: &Q) -> Result<usize, usize> {
        let key = key.as_ref();
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The value for `key`.
    pub fn get<Q: AsRef<str> + ?Sized>(&self, key: &Q) -> Option<&V> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    /// The value for `key`, mutably.
    pub fn get_mut<Q: AsRef<str> + ?Sized>(&mut self, key: &Q) -> Option<&mut V> {
        self.find(key).ok().map(|i| &mut self.0[i].1)
    }

    /// True when `key` is present.
    pub fn contains_key<Q: AsRef<str> + ?Sized>(&self, key: &Q) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`; returns the value it replaces.
    pub fn insert(&mut self, key: impl Into<Key>, value: V) -> Option<V> {
        let key = key.into();
        match self.find(key.as_str()) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove<Q: AsRef<str> + ?Sized>(&mut self, key: &Q) -> Option<V> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    /// The value for `key`, inserted as `V::default()` when absent.
    pub fn get_or_default(&mut self, key: &str) -> &mut V
    where
        V: Default,
    {
        let i = match self.find(key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (Key::new(key), V::default()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// As [`SortedMap::get_or_default`] for a key already held elsewhere: an absent key is
    /// inserted sharing its text.
    pub fn get_or_default_key(&mut self, key: &Key) -> &mut V
    where
        V: Default,
    {
        let i = match self.find(key.as_str()) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key.clone(), V::default()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// Keeps the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Key, &mut V) -> bool) {
        self.0.retain_mut(|(k, v)| keep(k, v));
    }

    /// Entries in key order.
    pub fn iter(&self) -> Iter<'_, V> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// Entries in key order, values mutable.
    pub fn iter_mut(&mut self) -> IterMut<'_, V> {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Key> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| k)
    }

    /// Values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }

    /// Values in key order, mutable.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.0.iter_mut().map(|(_, v)| v)
    }

    /// Restores the invariant after entries were pushed in any order: sorted by key, and of
    /// equal keys the last one kept (as repeated `BTreeMap::insert` would).
    fn normalize(&mut self) {
        if self.0.windows(2).all(|w| w[0].0 < w[1].0) {
            return;
        }
        // Stable: equal keys stay in insertion order, so the last of each run is the latest.
        self.0.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Key, V)> = Vec::with_capacity(self.0.len());
        for e in self.0.drain(..) {
            match out.last_mut() {
                Some(last) if last.0 == e.0 => *last = e,
                _ => out.push(e),
            }
        }
        self.0 = out;
    }
}

/// `v` in an allocation of exactly its length. `shrink_to_fit` is not enough: an allocator may
/// shrink in place (mimalloc does down to half a block), keeping the growth slack resident.
pub(crate) fn exact<T>(mut v: Vec<T>) -> Vec<T> {
    if v.capacity() == v.len() {
        return v;
    }
    let mut out = Vec::with_capacity(v.len());
    out.append(&mut v);
    out
}

/// Iterator over `(&key, &value)` in key order.
pub type Iter<'a, V> =
    std::iter::Map<std::slice::Iter<'a, (Key, V)>, fn(&'a (Key, V)) -> (&'a Key, &'a V)>;

/// Iterator over `(&key, &mut value)` in key order.
pub type IterMut<'a, V> =
    std::iter::Map<std::slice::IterMut<'a, (Key, V)>, fn(&'a mut (Key, V)) -> (&'a Key, &'a mut V)>;

impl<Q: AsRef<str> + ?Sized, V> std::ops::Index<&Q> for SortedMap<V> {
    type Output = V;

    /// Panics when the key is absent, as `BTreeMap` does; for tests and known keys only.
    fn index(&self, key: &Q) -> &V {
        match self.get(key) {
            Some(v) => v,
            None => panic!("key not in map"),
        }
    }
}

impl<K: Into<Key>, V> FromIterator<(K, V)> for SortedMap<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = SortedMap(iter.into_iter().map(|(k, v)| (k.into(), v)).collect());
        m.normalize();
        m
    }
}

impl<K: Into<Key>, V> Extend<(K, V)> for SortedMap<V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        self.0.extend(iter.into_iter().map(|(k, v)| (k.into(), v)));
        self.normalize();
    }
}

impl<K: Into<Key>, V, const N: usize> From<[(K, V); N]> for SortedMap<V> {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<V> IntoIterator for SortedMap<V> {
    type Item = (Key, V);
    type IntoIter = std::vec::IntoIter<(Key, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, V> IntoIterator for &'a SortedMap<V> {
    type Item = (&'a Key, &'a V);
    type IntoIter = Iter<'a, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, V> IntoIterator for &'a mut SortedMap<V> {
    type Item = (&'a Key, &'a mut V);
    type IntoIter = IterMut<'a, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<V: Serialize> Serialize for SortedMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for SortedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = SortedMap<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::with_capacity(access.size_hint().unwrap_or(0).min(64));
                while let Some(entry) = access.next_entry::<Key, V>()? {
                    v.push(entry);
                }
                // Most maps are read once and kept as they are: give back the growth slack.
                let mut v = exact(v);
                // Ours are written sorted; anything else is sorted here, and a key given twice
                // is refused: which of two values is meant cannot be known.
                if !v.windows(2).all(|w| w[0].0 < w[1].0) {
                    v.sort_by(|a, b| a.0.cmp(&b.0));
                    if let Some(w) = v.windows(2).find(|w| w[0].0 == w[1].0) {
                        return Err(serde::de::Error::custom(format!(
                            "duplicate key {}",
                            serde_json::to_string(&w[0].0).unwrap_or_default()
                        )));
                    }
                }
                Ok(SortedMap(v))
            }
        }

        d.deserialize_map(MapVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The entries with their keys as `&str`, to compare with a `BTreeMap<String, _>`'s.
    fn entries<'a, K: AsRef<str> + 'a, V: 'a>(
        it: impl IntoIterator<Item = (&'a K, &'a V)>,
    ) -> Vec<(&'a str, &'a V)> {
        it.into_iter().map(|(k, v)| (k.as_ref(), v)).collect()
    }

    fn both(ops: &[(&str, u32)]) -> (SortedMap<u32>, BTreeMap<String, u32>) {
        let (mut s, mut b) = (SortedMap::new(), BTreeMap::new());
        for (k, v) in ops {
            assert_eq!(s.insert(k.to_string(), *v), b.insert(k.to_string(), *v));
        }
        (s, b)
    }

    #[test]
    fn behaves_like_a_btreemap() {
        let (mut s, mut b) = both(&[("b", 1), ("a", 2), ("c", 3), ("a", 4), ("", 5)]);
        assert_eq!(entries(s.iter()), entries(b.iter()));
        assert_eq!(s.len(), b.len());
        assert_eq!(s.get("a"), b.get("a"));
        assert_eq!(s.get("zz"), None);
        assert_eq!(s["c"], 3);
        assert!(s.contains_key("b") && !s.contains_key("d"));
        assert_eq!(s.remove("b"), b.remove("b"));
        assert_eq!(s.remove("b"), None);
        *s.get_mut("c").unwrap() += 10;
        *b.get_mut("c").unwrap() += 10;
        *s.get_or_default("d") += 7;
        *b.entry("d".into()).or_default() += 7;
        *s.get_or_default("d") += 1;
        *b.entry("d".into()).or_default() += 1;
        s.retain(|k, _| k != "a");
        b.retain(|k, _| k != "a");
        assert_eq!(entries(s.iter()), entries(b.iter()));
        assert!(s.keys().map(Key::as_str).eq(b.keys()) && s.values().eq(b.values()));
    }

    #[test]
    fn collecting_sorts_and_keeps_the_last_of_equal_keys() {
        let pairs = [("b", 1), ("a", 2), ("b", 3), ("c", 4), ("a", 5)];
        let s: SortedMap<u32> = pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let b: BTreeMap<String, u32> = pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        assert_eq!(entries(s.iter()), entries(b.iter()));
    }

    #[test]
    fn json_is_a_map_either_way() {
        let (s, b) = both(&[("z", 1), ("a", 2)]);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(
            serde_json::to_string(&SortedMap::<u32>::new()).unwrap(),
            "{}"
        );
        // Unsorted input reads as a BTreeMap would read it; a repeated key is refused (a
        // BTreeMap would silently keep the last value).
        let text = r#"{"b": 1, "a": 2, "c": 3}"#;
        let s: SortedMap<u32> = serde_json::from_str(text).unwrap();
        let b: BTreeMap<String, u32> = serde_json::from_str(text).unwrap();
        assert_eq!(entries(s.iter()), entries(b.iter()));
        let e = serde_json::from_str::<SortedMap<u32>>(r#"{"b": 1, "a": 2, "b": 3}"#).unwrap_err();
        assert!(e.to_string().contains(r#"duplicate key "b""#), "{e}");
        assert!(serde_json::from_str::<SortedMap<u32>>("[1]").is_err());
    }
}
