//! [`Key`]: the key text of a [`super::SortedMap`], shared rather than owned, and the per-load
//! interner that makes equal keys share it.
//!
//! A large session repeats the same few key names (`http.method`, `service.name`, …) in every
//! item: with a `String` each occurrence was its own heap allocation, about a fifth of a
//! read-only load's memory for sessions with many keys per item. A `Key` is a reference-counted
//! `str`: cloning one (merge, analysis) copies a pointer, and while [`interning`] runs (the
//! read-only loads) every key read is looked up first, so each distinct text is held once.
//! Equality, order, hashing and serialization are those of the text, so nothing observable
//! depends on whether two keys share their allocation.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::de::Visitor;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Shared, immutable key text; compares, orders, hashes and serializes as its `str`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(Arc<str>);

thread_local! {
    // Set while [`interning`] runs on this thread: the texts handed out so far.
    static INTERNER: RefCell<Option<HashSet<Arc<str>>>> = const { RefCell::new(None) };
}

/// Runs `f` (a session decode) with keys interned: equal key texts read while it runs share
/// one allocation. The interner lives only as long as `f` (the keys it handed out stay valid),
/// so it never outgrows one load; nested calls share the outer one.
pub fn interning<T>(f: impl FnOnce() -> T) -> T {
    let outer = INTERNER.with(|i| i.borrow().is_some());
    if outer {
        return f();
    }
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            INTERNER.with(|i| *i.borrow_mut() = None);
        }
    }
    INTERNER.with(|i| *i.borrow_mut() = Some(HashSet::new()));
    let _reset = Reset;
    f()
}

impl Key {
    /// A key for `text`: the interned one while [`interning`] runs, else a new allocation.
    pub fn new(text: &str) -> Key {
        INTERNER.with(|i| match i.borrow_mut().as_mut() {
            Some(set) => match set.get(text) {
                Some(shared) => Key(Arc::clone(shared)),
                None => {
                    let shared: Arc<str> = Arc::from(text);
                    set.insert(Arc::clone(&shared));
                    Key(shared)
                }
            },
            None => Key(Arc::from(text)),
        })
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when both keys share one allocation (interned or cloned from one another).
    pub fn shares_text_with(&self, other: &Key) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Deref for Key {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Key {
        Key::new(s)
    }
}

impl From<&String> for Key {
    fn from(s: &String) -> Key {
        Key::new(s)
    }
}

impl From<String> for Key {
    fn from(s: String) -> Key {
        Key::new(&s)
    }
}

impl From<&Key> for Key {
    fn from(k: &Key) -> Key {
        k.clone()
    }
}

impl From<Key> for String {
    fn from(k: Key) -> String {
        k.0.as_ref().to_owned()
    }
}

impl From<&Key> for String {
    fn from(k: &Key) -> String {
        k.0.as_ref().to_owned()
    }
}

impl PartialEq<str> for Key {
    fn eq(&self, o: &str) -> bool {
        &*self.0 == o
    }
}

impl PartialEq<&str> for Key {
    fn eq(&self, o: &&str) -> bool {
        &*self.0 == *o
    }
}

impl PartialEq<String> for Key {
    fn eq(&self, o: &String) -> bool {
        &*self.0 == o.as_str()
    }
}

impl PartialEq<Key> for str {
    fn eq(&self, o: &Key) -> bool {
        self == &*o.0
    }
}

impl PartialEq<Key> for &str {
    fn eq(&self, o: &Key) -> bool {
        *self == &*o.0
    }
}

impl PartialEq<Key> for String {
    fn eq(&self, o: &Key) -> bool {
        self.as_str() == &*o.0
    }
}

impl Serialize for Key {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl Visitor<'_> for KeyVisitor {
            type Value = Key;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            // serde_json hands over borrowed text whenever it holds no escapes, so looking a
            // key up allocates nothing.
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Key, E> {
                Ok(Key::new(s))
            }
        }

        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_shares_one_allocation_per_text() {
        let (a, b, c) = interning(|| {
            (
                Key::new("http.method"),
                Key::new("http.method"),
                Key::new("x"),
            )
        });
        assert!(a.shares_text_with(&b));
        assert!(!a.shares_text_with(&c));
        // Outside an interning scope every key is its own allocation.
        let (d, e) = (Key::new("http.method"), Key::new("http.method"));
        assert!(!d.shares_text_with(&e));
        assert_eq!(d, e);
        assert_eq!(a, d);
        // The scope ends with its call: nothing is kept across loads.
        assert!(INTERNER.with(|i| i.borrow().is_none()));
        // Nested scopes share the outer interner.
        let (f, g) = interning(|| {
            let f = Key::new("k");
            (f, interning(|| Key::new("k")))
        });
        assert!(f.shares_text_with(&g));
    }

    #[test]
    fn a_key_reads_orders_and_writes_as_its_text() {
        let mut texts = ["b", "a", "ä", "", "B", "a.b", "a\"q"];
        let mut keys: Vec<Key> = texts.iter().map(|t| Key::new(t)).collect();
        texts.sort();
        keys.sort();
        assert!(keys.iter().map(Key::as_str).eq(texts.iter().copied()));
        for t in texts {
            let k = Key::new(t);
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                serde_json::to_string(t).unwrap()
            );
            let json = serde_json::to_string(t).unwrap();
            let read: Key = interning(|| serde_json::from_str(&json)).unwrap();
            assert_eq!(read, t);
            assert_eq!(format!("{k}"), t);
            assert_eq!(format!("{k:?}"), format!("{t:?}"));
        }
        // Escaped text (which serde_json cannot lend) reads the same and is interned too.
        let (x, y): (Key, Key) =
            interning(|| serde_json::from_str(r#"["\u0041b", "Ab"]"#)).unwrap();
        assert!(x.shares_text_with(&y));
        assert!(serde_json::from_str::<Key>("1").is_err());
    }
}
