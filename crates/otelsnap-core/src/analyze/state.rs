//! Accumulators shared by the three signals: distinct-value sets, per-key statistics, caps.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;

use super::evidence::EvAcc;
use super::value::{MAX_SAMPLE_LEN, sample_string, value_bytes};
use crate::session::{KeyStats, KeyStatsMap, ServiceCounts, SketchData};
use crate::sketch::{Sketch, hash_value};

/// Distinct hashes kept exactly before a set is promoted to a HyperLogLog sketch. Most keys
/// have a handful of values; a plain vector of hashes costs far less than an HLL++ state (a
/// sparse HLL++ state with a few dozen values takes about 330 bytes, 32 hashes 256).
const SMALL_MAX: usize = 32;

/// The service name used when a resource carries no `service.name`.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// Tag mixed into resource attribute pairs of a series identity, so that `a=1` on the
/// resource and `a=1` on the point are different series.
pub(crate) const TAG_RESOURCE: u64 = 0x7265_736f_7572_6365;
/// Tag mixed into point attribute pairs of a series identity.
pub(crate) const TAG_POINT: u64 = 0x0070_6f69_6e74;

/// A set of distinct value hashes: exact while small, a sketch beyond [`SMALL_MAX`].
#[derive(Debug, Clone)]
pub(crate) enum Card {
    /// Exactly one value, without a heap allocation (most resource keys of an item).
    One(u64),
    /// Exact set, allocated to its size.
    Small(Vec<u64>),
    Big(Box<Sketch>),
}

impl Default for Card {
    fn default() -> Self {
        Card::Small(Vec::new())
    }
}

impl Card {
    /// Adds a hash made with [`hash_value`]. Returns `Some(true)` when the value is certainly
    /// new, `Some(false)` when it was certainly seen before, `None` once a sketch cannot tell.
    pub(crate) fn insert(&mut self, h: u64) -> Option<bool> {
        match self {
            Card::One(x) => {
                if *x == h {
                    return Some(false);
                }
                *self = Card::Small(vec![*x, h]);
                Some(true)
            }
            Card::Small(v) => {
                if v.contains(&h) {
                    return Some(false);
                }
                if v.is_empty() {
                    *self = Card::One(h);
                } else if v.len() < SMALL_MAX {
                    // Exact growth: a set grows at most SMALL_MAX times, and slack would be
                    // paid by every key of every item.
                    v.reserve_exact(1);
                    v.push(h);
                } else {
                    let mut s = Sketch::new();
                    for x in v.iter() {
                        s.insert_hash(*x);
                    }
                    s.insert_hash(h);
                    *self = Card::Big(Box::new(s));
                }
                Some(true)
            }
            Card::Big(s) => {
                s.insert_hash(h);
                None
            }
        }
    }

    /// Adds `h` only if that needs no memory (the value is already in an exact set): what an
    /// analyzer past its memory budget does. Returns whether the value was certainly known.
    pub(crate) fn insert_known(&mut self, h: u64) -> bool {
        match self {
            Card::One(x) => *x == h,
            Card::Small(v) => v.contains(&h),
            Card::Big(_) => false,
        }
    }

    /// Unions `other` into `self`.
    pub(crate) fn merge(&mut self, other: &Card) {
        match other {
            Card::One(h) => {
                self.insert(*h);
            }
            Card::Small(v) => {
                for h in v {
                    self.insert(*h);
                }
            }
            Card::Big(o) => {
                let mut s = std::mem::take(self).into_sketch();
                s.merge(o);
                *self = Card::Big(Box::new(s));
            }
        }
    }

    /// The sketch holding the same values.
    pub(crate) fn into_sketch(self) -> Sketch {
        match self {
            Card::One(h) => {
                let mut s = Sketch::new();
                s.insert_hash(h);
                s
            }
            Card::Small(v) => {
                let mut s = Sketch::new();
                for h in v {
                    s.insert_hash(h);
                }
                s
            }
            Card::Big(s) => *s,
        }
    }

    /// The distinct count now (exact while small; a sketch estimate after).
    pub(crate) fn distinct_now(&mut self) -> u64 {
        match self {
            Card::One(_) => 1,
            Card::Small(v) => v.len() as u64,
            Card::Big(s) => s.estimate(),
        }
    }

    /// The estimate and the encoded sketch (the estimate comes from the sketch, so a merge of
    /// the written sketches later reproduces it).
    pub(crate) fn finish(self) -> (u64, SketchData) {
        let mut s = self.into_sketch();
        (s.estimate(), s.to_data())
    }
}

/// Length bit of a sample entry saying the value's hash follows the length (the sample was
/// cut, so hashing the sample does not give the value's hash back).
const SAMPLE_HASHED: u16 = 0x8000;
const _: () = assert!(MAX_SAMPLE_LEN + 4 < SAMPLE_HASHED as usize);

/// The value samples of one key in a single allocation, in the order they were added.
///
/// Layout: a `u32` count, then per sample a `u16` length (with [`SAMPLE_HASHED`] set when an
/// 8-byte value hash follows it) and the sample's bytes. The hash of a sample that was not cut
/// is the hash of its bytes, so it is not stored. Four small vectors and their strings per key
/// cost several times this, and keys are the bulk of a large capture's memory.
#[derive(Debug, Clone, Default)]
pub(crate) struct Samples {
    buf: Box<[u8]>,
}

impl Samples {
    /// How many samples are held.
    pub(crate) fn len(&self) -> usize {
        match self.buf.get(..4) {
            Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize,
            None => 0,
        }
    }

    /// Each sample with the hash of the value it was taken from.
    pub(crate) fn iter(&self) -> SampleIter<'_> {
        SampleIter {
            rest: self.buf.get(4..).unwrap_or(&[]),
        }
    }

    /// Whether a sample of the value hashing to `h` is held.
    pub(crate) fn contains(&self, h: u64) -> bool {
        self.iter().any(|(x, _)| x == h)
    }

    /// Appends `s`, the sample of the value hashing to `h`.
    pub(crate) fn push(&mut self, h: u64, s: &str) {
        // Samples are cut to MAX_SAMPLE_LEN; a longer one could only come from a bug.
        let mut len = s.len().min(usize::from(!SAMPLE_HASHED));
        while !s.is_char_boundary(len) {
            len -= 1;
        }
        let s = &s[..len];
        let hashed = hash_value(s.as_bytes()) != h;
        let n = self.len() as u32 + 1;
        let body = self.buf.get(4..).unwrap_or(&[]);
        let mut v = Vec::with_capacity(4 + body.len() + 2 + if hashed { 8 } else { 0 } + len);
        v.extend_from_slice(&n.to_le_bytes());
        v.extend_from_slice(body);
        let tag = if hashed { SAMPLE_HASHED } else { 0 };
        v.extend_from_slice(&(len as u16 | tag).to_le_bytes());
        if hashed {
            v.extend_from_slice(&h.to_le_bytes());
        }
        v.extend_from_slice(s.as_bytes());
        self.buf = v.into_boxed_slice();
    }

    /// The samples as owned strings, allocated to size.
    pub(crate) fn to_vec(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.len());
        out.extend(self.iter().map(|(_, s)| s.to_string()));
        out
    }
}

/// Iterator over [`Samples`]: (value hash, sample).
pub(crate) struct SampleIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for SampleIter<'a> {
    type Item = (u64, &'a str);

    fn next(&mut self) -> Option<(u64, &'a str)> {
        let [a, b, rest @ ..] = self.rest else {
            return None;
        };
        let tag = u16::from_le_bytes([*a, *b]);
        let len = usize::from(tag & !SAMPLE_HASHED);
        let (stored, rest) = if tag & SAMPLE_HASHED != 0 {
            let (h, rest) = rest.split_at_checked(8)?;
            let mut x = [0u8; 8];
            x.copy_from_slice(h);
            (Some(u64::from_le_bytes(x)), rest)
        } else {
            (None, rest)
        };
        let (s, rest) = rest.split_at_checked(len)?;
        self.rest = rest;
        // Only whole `&str`s are ever written, so this cannot fail.
        let s = std::str::from_utf8(s).unwrap_or_default();
        Some((stored.unwrap_or_else(|| hash_value(s.as_bytes())), s))
    }
}

/// Statistics of one attribute key within one item (metric, span, severity).
#[derive(Debug, Clone)]
pub(crate) struct KeyAcc {
    pub count: u64,
    pub card: Card,
    pub samples: Samples,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Shape, growth and uniqueness evidence.
    pub ev: EvAcc,
}

impl KeyAcc {
    fn new(at: DateTime<Utc>) -> Self {
        KeyAcc {
            count: 0,
            card: Card::default(),
            samples: Samples::default(),
            first_seen: at,
            last_seen: at,
            ev: EvAcc::default(),
        }
    }

    /// Records `n` occurrences of the value hashing to `h`, `units` of them new data.
    #[allow(clippy::too_many_arguments)]
    fn observe(
        &mut self,
        h: u64,
        n: u64,
        units: u64,
        v: Option<&AnyValue>,
        samples: usize,
        at: DateTime<Utc>,
    ) {
        self.count += n;
        let new = self.card.insert(h);
        self.last_seen = at;
        if new != Some(false) {
            self.ev.offer(h, v);
        }
        let card = &mut self.card;
        self.ev.add_units(units, || card.distinct_now());
        // A value goes into the samples the first time it is seen while samples are wanted.
        // While the set is exact it says whether the value is new (every value seen is in it,
        // and a value seen while samples were wanted was sampled); only a sketch needs the
        // samples searched. The sample string is built only for a value that is added.
        let add = match new {
            Some(false) => false,
            Some(true) => self.samples.len() < samples,
            None => self.samples.len() < samples && !self.samples.contains(h),
        };
        if add {
            self.samples.push(h, &sample_string(v));
        }
    }

    /// Counts an occurrence without growing anything (the analyzer is past its memory budget):
    /// the count and times go on, the set of values stops where it is.
    fn observe_frozen(&mut self, h: u64, n: u64, at: DateTime<Utc>) {
        self.count += n;
        self.last_seen = at;
        self.card.insert_known(h);
    }

    /// Adds a sample already in string form (used when merging into the catalog).
    pub(crate) fn add_sample(&mut self, h: u64, s: &str, samples: usize) {
        if self.samples.len() < samples && !self.samples.contains(h) {
            self.samples.push(h, s);
        }
    }

    /// A fresh accumulator for the catalog.
    pub(crate) fn empty(at: DateTime<Utc>) -> Self {
        KeyAcc::new(at)
    }

    /// The session form; `total` is the item's sample count the percentage is taken of.
    pub(crate) fn into_stats(self, total: u64) -> KeyStats {
        let value_samples = self.samples.to_vec();
        drop(self.samples);
        let (estimated_cardinality, sketch) = self.card.finish();
        let evidence = self.ev.finish(estimated_cardinality);
        KeyStats {
            count: self.count,
            percentage: percentage(self.count, total),
            // A sketch can overshoot; there are never more distinct values than occurrences.
            estimated_cardinality: estimated_cardinality.min(self.count),
            value_samples,
            sketch: Some(std::sync::Arc::new(sketch)),
            evidence: Some(Box::new(evidence)),
            ..Default::default()
        }
    }
}

pub(crate) use crate::session::percentage;

/// A cap that can refuse part of the telemetry. Each refusal goes through `Ctx::refuse`,
/// which counts it and marks what it touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cap {
    /// Distinct metric names, span names or severities (`max_items`).
    Items,
    /// Distinct keys, event names or services on one item.
    KeysPerItem,
    /// Key entries across all items ([`super::KEY_BUDGET`]).
    KeyBudget,
    /// Body templates per severity.
    Templates,
    /// Explicit bucket bounds per metric.
    BucketBounds,
    /// Exponential-histogram scales per metric.
    Scales,
    /// Status codes per span name.
    StatusCodes,
    /// Attribute catalog keys.
    Catalog,
    /// Over-long strings cut by a length cap.
    StringLength,
    /// The capture's memory (byte) budget.
    ByteBudget,
}

impl Cap {
    /// Every cap, in the order of the counters.
    pub const ALL: [Cap; 10] = [
        Cap::Items,
        Cap::KeysPerItem,
        Cap::KeyBudget,
        Cap::Templates,
        Cap::BucketBounds,
        Cap::Scales,
        Cap::StatusCodes,
        Cap::Catalog,
        Cap::StringLength,
        Cap::ByteBudget,
    ];

    /// The name written in session files.
    pub fn as_str(self) -> &'static str {
        match self {
            Cap::Items => "max_items",
            Cap::KeysPerItem => "keys_per_item",
            Cap::KeyBudget => "key_budget",
            Cap::Templates => "templates",
            Cap::BucketBounds => "bucket_bounds",
            Cap::Scales => "scales",
            Cap::StatusCodes => "status_codes",
            Cap::Catalog => "catalog",
            Cap::StringLength => "string_length",
            Cap::ByteBudget => "byte_budget",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// What the caps refused on one item (or one key map of it): the item is incomplete when any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gaps {
    /// Occurrences refused.
    pub dropped: u64,
    /// [`Cap`] bits.
    caps: u16,
}

impl Gaps {
    /// True when nothing was refused.
    pub fn is_empty(&self) -> bool {
        self.caps == 0
    }

    /// Adds `other`'s refusals.
    pub fn absorb(&mut self, other: Gaps) {
        self.dropped = self.dropped.saturating_add(other.dropped);
        self.caps |= other.caps;
    }

    /// The session form: `None` when complete.
    pub fn to_incomplete(self) -> Option<crate::session::Incomplete> {
        (!self.is_empty()).then(|| crate::session::Incomplete {
            dropped: self.dropped,
            caps: Cap::ALL
                .iter()
                .filter(|c| self.caps & c.bit() != 0)
                .map(|c| c.as_str().to_string())
                .collect(),
        })
    }
}

/// The caps that span all items, held in atomics so that the shards of a
/// [`super::Sharded`] analyzer share them exactly: every shard reserves from the same counters,
/// in the order its items arrive, so a sequential input meets each cap at the same item
/// whatever the shard count.
#[derive(Debug)]
pub(crate) struct GlobalCaps {
    /// Distinct metric names, (span name, kind) pairs and (severity, number) pairs, by
    /// [`ItemKind`].
    items: [AtomicUsize; 3],
    /// Key entries that may still be created across all items.
    key_budget: AtomicUsize,
    /// Key entries created across all items.
    key_entries: AtomicUsize,
    /// Interned names across the shards (summed: a name interned by two shards counts twice,
    /// an upper bound of the distinct names, which only a byte budget's reserve reads).
    names: AtomicUsize,
    /// Past the memory budget: nothing new is created, nothing grows.
    frozen: AtomicBool,
}

/// Which item count a new item reserves from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ItemKind {
    Metric = 0,
    Span = 1,
    Log = 2,
}

impl GlobalCaps {
    fn new(key_budget: usize) -> Self {
        GlobalCaps {
            items: Default::default(),
            key_budget: AtomicUsize::new(key_budget),
            key_entries: AtomicUsize::new(0),
            names: AtomicUsize::new(0),
            frozen: AtomicBool::new(false),
        }
    }

    /// Reserves one new item of `kind` if fewer than `max` exist.
    pub(crate) fn reserve_item(&self, kind: ItemKind, max: usize) -> bool {
        self.items[kind as usize]
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok()
    }

    /// Takes one key entry from the budget, if any is left.
    fn take_key(&self) -> bool {
        let ok = self
            .key_budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok();
        if ok {
            self.key_entries.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// Key entries created so far, across the shards.
    pub(crate) fn key_entries(&self) -> usize {
        self.key_entries.load(Ordering::Relaxed)
    }

    /// Interned names so far, summed over the shards.
    pub(crate) fn names(&self) -> usize {
        self.names.load(Ordering::Relaxed)
    }

    /// Whether the state was frozen.
    pub(crate) fn is_frozen(&self) -> bool {
        self.frozen.load(Ordering::Acquire)
    }

    /// Freezes the state; true for the call that froze it.
    pub(crate) fn freeze(&self) -> bool {
        self.key_budget.store(0, Ordering::Relaxed);
        !self.frozen.swap(true, Ordering::AcqRel)
    }
}

/// A handle on [`GlobalCaps`]. Cloning it (as cloning an analyzer for a checkpoint does)
/// copies the counters, so a copy never reserves from the live analyzer's caps; shards share
/// one through [`SharedCaps::share`].
#[derive(Debug)]
pub(crate) struct SharedCaps(Arc<GlobalCaps>);

impl Clone for SharedCaps {
    fn clone(&self) -> Self {
        let g = &self.0;
        let copy = GlobalCaps {
            items: [0, 1, 2].map(|i| AtomicUsize::new(g.items[i].load(Ordering::Relaxed))),
            key_budget: AtomicUsize::new(g.key_budget.load(Ordering::Relaxed)),
            key_entries: AtomicUsize::new(g.key_entries()),
            names: AtomicUsize::new(g.names()),
            frozen: AtomicBool::new(g.is_frozen()),
        };
        SharedCaps(Arc::new(copy))
    }
}

impl std::ops::Deref for SharedCaps {
    type Target = GlobalCaps;
    fn deref(&self) -> &GlobalCaps {
        &self.0
    }
}

impl SharedCaps {
    /// Fresh counters with `key_budget` key entries to give.
    pub(crate) fn new(key_budget: usize) -> Self {
        SharedCaps(Arc::new(GlobalCaps::new(key_budget)))
    }

    /// Another handle on the same counters (for a shard).
    pub(crate) fn share(&self) -> Self {
        SharedCaps(Arc::clone(&self.0))
    }

    /// Sets the counters of a combined analyzer from what its parts hold.
    pub(crate) fn set_totals(&self, items: [usize; 3], key_entries: usize, names: usize) {
        for (a, n) in self.0.items.iter().zip(items) {
            a.store(n, Ordering::Relaxed);
        }
        self.0.key_entries.store(key_entries, Ordering::Relaxed);
        self.0.names.store(names, Ordering::Relaxed);
    }
}

/// Limits and running state every ingest step needs.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// Value samples per key.
    pub samples: usize,
    /// Distinct metric names, span names, severities.
    pub max_items: usize,
    /// Distinct keys (and event names, services) per item.
    pub keys_per_item: usize,
    /// The caps across all items (shared by the shards of a sharded analyzer).
    pub caps: SharedCaps,
    /// Key entries created by this analyzer (one shard's part when sharded).
    pub key_entries: usize,
    /// Everything refused by a cap.
    pub dropped: u64,
    /// `dropped` per [`Cap`] (indexed by `Cap as usize`).
    pub by_cap: [u64; Cap::ALL.len()],
    /// Whole items refused (never stored).
    pub refused_items: u64,
    /// Earliest and latest telemetry time seen (Unix nanoseconds), zero times ignored.
    pub times: Option<(u64, u64)>,
    /// Names, keys and values cut to their length cap.
    pub truncated: u64,
    /// Past the memory budget: nothing new is created, nothing grows; counts go on.
    pub frozen: bool,
    /// Receive time of the request being ingested.
    pub at: DateTime<Utc>,
    /// Scratch buffer for stable strings of non-string values.
    pub buf: String,
    /// Key and service names, stored once however many items carry them (the same few dozen
    /// key names repeat across thousands of metrics). Grows only when an entry is created, so
    /// it is bounded by the same caps as the entries.
    pub names: HashSet<Arc<str>>,
}

impl Ctx {
    /// The one way a cap refuses something: counts `n` refused occurrences against `cap` and
    /// marks the item they belonged to (`Some(gaps)`) as incomplete; `None` means a whole new
    /// item was refused, which the session records as such.
    /// The cap that refuses a new item: the byte budget once frozen, else the item count.
    pub(crate) fn new_item_cap(&self) -> Cap {
        if self.frozen {
            Cap::ByteBudget
        } else {
            Cap::Items
        }
    }

    pub(crate) fn refuse(&mut self, cap: Cap, n: u64, item: Option<&mut Gaps>) {
        self.dropped = self.dropped.saturating_add(n);
        let c = &mut self.by_cap[cap as usize];
        *c = c.saturating_add(n);
        match item {
            Some(g) => {
                g.dropped = g.dropped.saturating_add(n);
                g.caps |= cap.bit();
            }
            None => self.refused_items += 1,
        }
    }

    /// Takes up a freeze of the shared caps (by any shard) before an item is ingested: from
    /// then on nothing new is created and no set grows.
    #[inline]
    pub(crate) fn sync(&mut self) {
        if !self.frozen && self.caps.is_frozen() {
            self.frozen = true;
            self.keys_per_item = 0;
            self.samples = 0;
        }
    }

    /// Notes a telemetry timestamp (Unix nanoseconds); 0 means "not set" in OTLP.
    #[inline]
    pub(crate) fn saw_time(&mut self, t: u64) {
        if t == 0 {
            return;
        }
        self.times = Some(match self.times {
            Some((lo, hi)) => (lo.min(t), hi.max(t)),
            None => (t, t),
        });
    }

    /// The session-level account, `None` when nothing was refused.
    pub(crate) fn completeness(
        &self,
        incomplete_items: u64,
    ) -> Option<crate::session::Completeness> {
        let dropped_by_cap: std::collections::BTreeMap<String, u64> = Cap::ALL
            .iter()
            .filter(|c| self.by_cap[**c as usize] > 0)
            .map(|c| (c.as_str().to_string(), self.by_cap[*c as usize]))
            .collect();
        let c = crate::session::Completeness {
            incomplete_items,
            refused_items: self.refused_items,
            dropped_by_cap,
        };
        (!c.is_complete()).then_some(c)
    }

    /// Hash of a value's stable string, without allocating for string values.
    pub(crate) fn hash(&mut self, v: Option<&AnyValue>) -> u64 {
        hash_value(value_bytes(v, &mut self.buf))
    }

    /// The shared copy of `name`.
    pub(crate) fn intern(&mut self, name: &str) -> Arc<str> {
        if let Some(n) = self.names.get(name) {
            return n.clone();
        }
        let n: Arc<str> = Arc::from(name);
        self.names.insert(n.clone());
        self.caps.names.fetch_add(1, Ordering::Relaxed);
        n
    }
}

/// Entries a [`NameMap`] searches linearly before it builds a hash index.
const LINEAR_MAX: usize = 16;

/// A map from shared names to values: a vector searched linearly while small (items have a
/// handful of keys and services; a hash table per map costs several times the entries), with a
/// hash index once it grows past [`LINEAR_MAX`] so hostile items stay fast.
#[derive(Debug, Clone)]
pub(crate) struct NameMap<V> {
    entries: Vec<(Arc<str>, V)>,
    // Boxed: 8 bytes in every map instead of 48, and almost no map ever builds one.
    #[allow(clippy::box_collection)]
    index: Option<Box<HashMap<Arc<str>, u32>>>,
}

impl<V> Default for NameMap<V> {
    fn default() -> Self {
        NameMap {
            entries: Vec::new(),
            index: None,
        }
    }
}

impl<V> NameMap<V> {
    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value under `name`.
    pub(crate) fn get_mut(&mut self, name: &str) -> Option<&mut V> {
        let i = match &self.index {
            Some(ix) => *ix.get(name)? as usize,
            None => self.entries.iter().position(|(k, _)| &**k == name)?,
        };
        self.entries.get_mut(i).map(|(_, v)| v)
    }

    /// Room for `n` more entries when the map is still empty: items repeat the same set of
    /// keys, so the first observation usually tells the final size exactly.
    pub(crate) fn size_hint(&mut self, n: usize) {
        if self.entries.capacity() == 0 {
            self.entries.reserve_exact(n.min(LINEAR_MAX));
        }
    }

    /// Adds `name` (not yet present) with `v`.
    pub(crate) fn insert(&mut self, name: Arc<str>, v: V) {
        let i = self.entries.len();
        if i < LINEAR_MAX {
            self.entries.reserve_exact(1);
        }
        if let Some(ix) = self.index.as_mut() {
            ix.insert(name.clone(), i as u32);
        } else if i >= LINEAR_MAX {
            let mut ix: HashMap<Arc<str>, u32> = self
                .entries
                .iter()
                .enumerate()
                .map(|(j, (k, _))| (k.clone(), j as u32))
                .collect();
            ix.insert(name.clone(), i as u32);
            self.index = Some(Box::new(ix));
        }
        self.entries.push((name, v));
    }

    /// The entries, in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }

    /// The entries with their shared names, in insertion order.
    pub(crate) fn iter_shared(&self) -> impl Iterator<Item = (&Arc<str>, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The entries, consumed.
    pub(crate) fn into_entries(self) -> impl Iterator<Item = (Arc<str>, V)> {
        self.entries.into_iter()
    }
}

/// Per-key statistics of one item, with the per-item key cap.
#[derive(Debug, Default, Clone)]
pub(crate) struct KeyMap {
    pub map: NameMap<KeyAcc>,
    /// What the caps refused here; the owning item is incomplete when any.
    pub gaps: Gaps,
}

impl KeyMap {
    /// Records `n` occurrences of `key` with the value hashing to `h`, `units` of them new
    /// data (see [`crate::session::KeyEvidence::units`]). A key refused by a cap adds `n` to
    /// `dropped` (each refused occurrence counts).
    pub(crate) fn observe(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        h: u64,
        n: u64,
        units: u64,
        v: Option<&AnyValue>,
    ) {
        if let Some(acc) = self.map.get_mut(key) {
            if ctx.frozen {
                acc.observe_frozen(h, n, ctx.at);
            } else {
                acc.observe(h, n, units, v, ctx.samples, ctx.at);
            }
            return;
        }
        if self.map.len() >= ctx.keys_per_item {
            ctx.refuse(Cap::KeysPerItem, n, Some(&mut self.gaps));
            return;
        }
        if !ctx.caps.take_key() {
            ctx.refuse(Cap::KeyBudget, n, Some(&mut self.gaps));
            return;
        }
        ctx.key_entries += 1;
        let mut acc = KeyAcc::new(ctx.at);
        acc.observe(h, n, units, v, ctx.samples, ctx.at);
        let name = ctx.intern(key);
        self.map.insert(name, acc);
    }

    /// Records one occurrence of every attribute in `attrs`.
    pub(crate) fn observe_all(&mut self, ctx: &mut Ctx, attrs: &[KeyValue]) {
        self.map.size_hint(attrs.len());
        for kv in attrs {
            let h = ctx.hash(kv.value.as_ref());
            self.observe(ctx, &kv.key, h, 1, 1, kv.value.as_ref());
        }
    }

    /// The session form, percentages taken of `total`.
    pub(crate) fn into_stats(self, total: u64) -> KeyStatsMap {
        self.map
            .into_entries()
            .map(|(k, a)| (k.to_string(), a.into_stats(total)))
            .collect()
    }
}

/// Adds `n` to `service` in a per-item service map, refusing new services beyond the cap.
pub(crate) fn add_service(
    services: &mut NameMap<u64>,
    ctx: &mut Ctx,
    service: &str,
    n: u64,
    gaps: &mut Gaps,
) {
    if let Some(c) = services.get_mut(service) {
        *c += n;
    } else if services.len() >= ctx.keys_per_item {
        ctx.refuse(Cap::KeysPerItem, n, Some(gaps));
    } else {
        let name = ctx.intern(service);
        services.insert(name, n);
    }
}

/// A per-item service map in session form.
pub(crate) fn services_map(services: NameMap<u64>) -> ServiceCounts {
    services
        .into_entries()
        .map(|(k, n)| (k.to_string(), n))
        .collect()
}

/// A resource, looked at once per resource block rather than once per data point.
#[derive(Debug)]
pub(crate) struct ResView<'a> {
    pub service: Cow<'a, str>,
    /// (key, value hash, value) of each resource attribute.
    pub attrs: Vec<(&'a str, u64, Option<&'a AnyValue>)>,
    /// The resource's part of a series identity.
    pub series: u64,
}

impl<'a> ResView<'a> {
    /// Reads the service name and hashes the resource attributes.
    pub(crate) fn new(res: Option<&'a Resource>, buf: &mut String) -> Self {
        let kvs: &[KeyValue] = res.map(|r| r.attributes.as_slice()).unwrap_or(&[]);
        let mut attrs = Vec::with_capacity(kvs.len());
        let mut series = 0u64;
        let mut service = None;
        for kv in kvs {
            let v = kv.value.as_ref();
            let h = hash_value(value_bytes(v, buf));
            series = series.wrapping_add(pair_hash(TAG_RESOURCE, &kv.key, h));
            attrs.push((kv.key.as_str(), h, v));
            if kv.key == "service.name" && service.is_none() {
                service = match v.and_then(|v| v.value.as_ref()) {
                    Some(Value::StringValue(s)) => Some(Cow::Borrowed(s.as_str())),
                    _ => Some(Cow::Owned(super::value::value_string(v))),
                };
            }
        }
        let service = service
            .filter(|s| !s.is_empty())
            .unwrap_or(Cow::Borrowed(UNKNOWN_SERVICE));
        ResView {
            service,
            attrs,
            series,
        }
    }

    /// Records `n` items' worth of resource keys into `keys`, `units` of them new data.
    pub(crate) fn observe_into(&self, keys: &mut KeyMap, ctx: &mut Ctx, n: u64, units: u64) {
        keys.map.size_hint(self.attrs.len());
        for (k, h, v) in &self.attrs {
            keys.observe(ctx, k, *h, n, units, *v);
        }
    }
}

/// One attribute's contribution to a series identity. Identities are sums of these, so the
/// order of attributes does not matter; the definition is part of the sketch format (series
/// sketches are merged across sessions) and must not change.
pub(crate) fn pair_hash(tag: u64, key: &str, value_hash: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(key.as_bytes(), value_hash ^ tag)
}

/// The final series identity from the sum of its pair hashes (re-hashed so every bit is mixed
/// before it reaches the HyperLogLog).
pub(crate) fn series_id(sum: u64) -> u64 {
    hash_value(&sum.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_is_exact_small_and_promotes() {
        let mut c = Card::default();
        for i in 0..10u64 {
            c.insert(hash_value(format!("v{}", i % 5).as_bytes()));
        }
        assert!(matches!(&c, Card::Small(v) if v.len() == 5));
        assert_eq!(c.clone().finish().0, 5);
        for i in 0..100u64 {
            c.insert(hash_value(format!("v{i}").as_bytes()));
        }
        assert!(matches!(c, Card::Big(_)));
        assert_eq!(c.clone().finish().0, 100);
        let mut small = Card::default();
        small.insert(hash_value(b"other"));
        small.merge(&c);
        assert_eq!(small.finish().0, 101);
    }

    #[test]
    fn card_sketch_matches_direct_sketch() {
        let mut c = Card::default();
        let mut s = Sketch::new();
        for v in ["a", "b", "c"] {
            c.insert(hash_value(v.as_bytes()));
            s.insert(v.as_bytes());
        }
        assert_eq!(c.finish().1, s.to_data());
    }

    #[test]
    fn card_says_whether_a_value_is_new_while_exact() {
        let mut c = Card::default();
        assert_eq!(c.insert(1), Some(true));
        assert!(matches!(c, Card::One(1)));
        assert_eq!(c.insert(1), Some(false));
        assert_eq!(c.insert(2), Some(true));
        assert!(matches!(&c, Card::Small(v) if v[..] == [1, 2]));
        for h in 3..=SMALL_MAX as u64 {
            assert_eq!(c.insert(h), Some(true));
        }
        assert_eq!(c.insert(5), Some(false));
        // One more than SMALL_MAX: the set becomes a sketch, which cannot tell any more.
        assert_eq!(c.insert(1000), Some(true));
        assert!(matches!(c, Card::Big(_)));
        assert_eq!(c.insert(5), None);
        let mut one = Card::One(hash_value(b"x"));
        one.merge(&Card::One(hash_value(b"y")));
        one.merge(&Card::One(hash_value(b"x")));
        assert_eq!(one.finish().0, 2);
    }

    #[test]
    fn samples_keep_order_text_and_value_hashes() {
        let mut s = Samples::default();
        assert_eq!((s.len(), s.iter().count()), (0, 0));
        let long = "é".repeat(200);
        let cut = {
            let mut c = long.clone();
            super::super::value::truncate_sample(&mut c);
            c
        };
        let entries = [
            (hash_value(b"GET"), "GET".to_string()),
            (hash_value(b""), String::new()),
            // A cut sample: the value's hash is not the sample's, so it is stored.
            (hash_value(long.as_bytes()), cut.clone()),
            (hash_value("ünï".as_bytes()), "ünï".to_string()),
        ];
        for (h, text) in &entries {
            s.push(*h, text);
        }
        assert_eq!(s.len(), 4);
        let got: Vec<(u64, String)> = s.iter().map(|(h, t)| (h, t.to_string())).collect();
        assert_eq!(got, entries);
        assert!(s.contains(hash_value(long.as_bytes())));
        assert!(!s.contains(hash_value(cut.as_bytes())));
        assert_eq!(s.to_vec(), ["GET", "", cut.as_str(), "ünï"]);
    }

    #[test]
    fn key_samples_are_the_first_distinct_values() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let sv = |s: &str| AnyValue {
            value: Some(Value::StringValue(s.into())),
        };
        for max in [0, 1, 3, SMALL_MAX + 8] {
            let mut acc = KeyAcc::new(at);
            let values: Vec<String> = (0..(SMALL_MAX + 20))
                .flat_map(|i| [format!("v{i}"), format!("v{}", i / 2)])
                .collect();
            for v in &values {
                let av = sv(v);
                acc.observe(hash_value(v.as_bytes()), 1, 1, Some(&av), max, at);
            }
            let mut want: Vec<String> = Vec::new();
            for v in &values {
                if want.len() < max && !want.contains(v) {
                    want.push(v.clone());
                }
            }
            assert_eq!(acc.samples.to_vec(), want, "max {max}");
            assert_eq!(acc.count, values.len() as u64);
        }
    }

    #[test]
    fn name_maps_find_entries_before_and_after_indexing() {
        let mut m: NameMap<usize> = NameMap::default();
        let names: Vec<String> = (0..(LINEAR_MAX * 3)).map(|i| format!("key.{i}")).collect();
        for (i, n) in names.iter().enumerate() {
            assert!(m.get_mut(n).is_none());
            m.insert(Arc::from(n.as_str()), i);
            assert_eq!(m.index.is_some(), m.len() > LINEAR_MAX);
            for (j, earlier) in names[..=i].iter().enumerate() {
                assert_eq!(m.get_mut(earlier).copied(), Some(j));
            }
        }
        let order: Vec<&str> = m.iter().map(|(k, _)| k).collect();
        assert_eq!(order, names.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn names_are_stored_once() {
        let mut ctx = Ctx {
            samples: 5,
            max_items: 10,
            keys_per_item: 10,
            caps: SharedCaps::new(100),
            key_entries: 0,
            dropped: 0,
            by_cap: Default::default(),
            refused_items: 0,
            times: None,
            truncated: 0,
            frozen: false,
            at: DateTime::<Utc>::UNIX_EPOCH,
            buf: String::new(),
            names: Default::default(),
        };
        let mut a = KeyMap::default();
        let mut b = KeyMap::default();
        a.observe(&mut ctx, "http.route", 1, 1, 1, None);
        b.observe(&mut ctx, "http.route", 2, 1, 1, None);
        let ka = a.map.entries[0].0.clone();
        let kb = b.map.entries[0].0.clone();
        assert!(Arc::ptr_eq(&ka, &kb));
        assert_eq!(ctx.names.len(), 1);
    }

    #[test]
    fn percentages_round_to_two_decimals() {
        assert_eq!(percentage(2, 3), 66.67);
        assert_eq!(percentage(3, 3), 100.0);
        assert_eq!(percentage(1, 0), 0.0);
    }
}
