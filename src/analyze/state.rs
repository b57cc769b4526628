//! Accumulators shared by the three signals: distinct-value sets, per-key statistics, caps.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;

use super::value::{sample_string, value_bytes};
use crate::session::{KeyStats, SketchData};
use crate::sketch::{Sketch, hash_value};

/// Distinct hashes kept exactly before a set is promoted to a HyperLogLog sketch. Most keys
/// have a handful of values; a plain vector of hashes costs far less than an HLL++ state.
const SMALL_MAX: usize = 16;

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
    Small(Vec<u64>),
    Big(Box<Sketch>),
}

impl Default for Card {
    fn default() -> Self {
        Card::Small(Vec::new())
    }
}

impl Card {
    /// Adds a hash made with [`hash_value`].
    pub(crate) fn insert(&mut self, h: u64) {
        match self {
            Card::Small(v) => {
                if v.contains(&h) {
                    return;
                }
                if v.len() < SMALL_MAX {
                    v.push(h);
                } else {
                    let mut s = Sketch::new();
                    for x in v.iter() {
                        s.insert_hash(*x);
                    }
                    s.insert_hash(h);
                    *self = Card::Big(Box::new(s));
                }
            }
            Card::Big(s) => s.insert_hash(h),
        }
    }

    /// Unions `other` into `self`.
    pub(crate) fn merge(&mut self, other: &Card) {
        match other {
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

    /// The estimate and the encoded sketch (the estimate comes from the sketch, so a merge of
    /// the written sketches later reproduces it).
    pub(crate) fn finish(self) -> (u64, SketchData) {
        let mut s = self.into_sketch();
        (s.estimate(), s.to_data())
    }
}

/// Statistics of one attribute key within one item (metric, span, severity).
#[derive(Debug, Clone)]
pub(crate) struct KeyAcc {
    pub count: u64,
    pub card: Card,
    pub samples: Vec<String>,
    sample_hashes: Vec<u64>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

impl KeyAcc {
    fn new(at: DateTime<Utc>) -> Self {
        KeyAcc {
            count: 0,
            card: Card::default(),
            samples: Vec::new(),
            sample_hashes: Vec::new(),
            first_seen: at,
            last_seen: at,
        }
    }

    fn observe(&mut self, h: u64, n: u64, v: Option<&AnyValue>, samples: usize, at: DateTime<Utc>) {
        self.count += n;
        self.card.insert(h);
        self.last_seen = at;
        // The sample string is built only while samples are wanted and the value is new.
        if self.samples.len() < samples && !self.sample_hashes.contains(&h) {
            self.sample_hashes.push(h);
            self.samples.push(sample_string(v));
        }
    }

    /// Adds a sample already in string form (used when merging into the catalog).
    pub(crate) fn add_sample(&mut self, h: u64, s: &str, samples: usize) {
        if self.samples.len() < samples && !self.sample_hashes.contains(&h) {
            self.sample_hashes.push(h);
            self.samples.push(s.to_string());
        }
    }

    /// The hashes of the samples, parallel to `samples`.
    pub(crate) fn sample_hashes(&self) -> &[u64] {
        &self.sample_hashes
    }

    /// A fresh accumulator for the catalog.
    pub(crate) fn empty(at: DateTime<Utc>) -> Self {
        KeyAcc::new(at)
    }

    /// The session form; `total` is the item's sample count the percentage is taken of.
    pub(crate) fn into_stats(self, total: u64) -> KeyStats {
        let (estimated_cardinality, sketch) = self.card.finish();
        KeyStats {
            count: self.count,
            percentage: percentage(self.count, total),
            estimated_cardinality,
            value_samples: self.samples,
            sketch: Some(sketch),
            ..Default::default()
        }
    }
}

/// `part` of `total` in percent, rounded to two decimals (0 when `total` is 0).
pub(crate) fn percentage(part: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    (part as f64 * 10_000.0 / total as f64).round() / 100.0
}

/// Limits and running state every ingest step needs.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// Value samples per key.
    pub samples: usize,
    /// Distinct metric names, span names, severities.
    pub max_items: usize,
    /// Distinct keys (and event names, services) per item.
    pub keys_per_item: usize,
    /// Key entries that may still be created across all items.
    pub key_budget: usize,
    /// Everything refused by a cap.
    pub dropped: u64,
    /// Receive time of the request being ingested.
    pub at: DateTime<Utc>,
    /// Scratch buffer for stable strings of non-string values.
    pub buf: String,
}

impl Ctx {
    /// Hash of a value's stable string, without allocating for string values.
    pub(crate) fn hash(&mut self, v: Option<&AnyValue>) -> u64 {
        hash_value(value_bytes(v, &mut self.buf))
    }
}

/// Per-key statistics of one item, with the per-item key cap.
#[derive(Debug, Default)]
pub(crate) struct KeyMap {
    pub map: HashMap<String, KeyAcc>,
}

impl KeyMap {
    /// Records `n` occurrences of `key` with the value hashing to `h`. A key refused by a cap
    /// adds `n` to `dropped` (each refused occurrence counts).
    pub(crate) fn observe(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        h: u64,
        n: u64,
        v: Option<&AnyValue>,
    ) {
        if let Some(acc) = self.map.get_mut(key) {
            acc.observe(h, n, v, ctx.samples, ctx.at);
            return;
        }
        if self.map.len() >= ctx.keys_per_item || ctx.key_budget == 0 {
            ctx.dropped += n;
            return;
        }
        ctx.key_budget -= 1;
        let mut acc = KeyAcc::new(ctx.at);
        acc.observe(h, n, v, ctx.samples, ctx.at);
        self.map.insert(key.to_string(), acc);
    }

    /// Records one occurrence of every attribute in `attrs`.
    pub(crate) fn observe_all(&mut self, ctx: &mut Ctx, attrs: &[KeyValue]) {
        for kv in attrs {
            let h = ctx.hash(kv.value.as_ref());
            self.observe(ctx, &kv.key, h, 1, kv.value.as_ref());
        }
    }

    /// The session form, percentages taken of `total`.
    pub(crate) fn into_stats(self, total: u64) -> std::collections::BTreeMap<String, KeyStats> {
        self.map
            .into_iter()
            .map(|(k, a)| (k, a.into_stats(total)))
            .collect()
    }
}

/// Adds `n` to `service` in a per-item service map, refusing new services beyond the cap.
pub(crate) fn add_service(
    services: &mut HashMap<String, u64>,
    ctx: &mut Ctx,
    service: &str,
    n: u64,
) {
    if let Some(c) = services.get_mut(service) {
        *c += n;
    } else if services.len() >= ctx.keys_per_item {
        ctx.dropped += n;
    } else {
        services.insert(service.to_string(), n);
    }
}

/// A resource, looked at once per resource block rather than once per data point.
#[derive(Debug)]
pub(crate) struct ResView<'a> {
    pub service: String,
    /// (key, value hash, value) of each resource attribute.
    pub attrs: Vec<(&'a str, u64, Option<&'a AnyValue>)>,
    /// The resource's part of a series identity.
    pub series: u64,
}

impl<'a> ResView<'a> {
    /// Reads the service name and hashes the resource attributes.
    pub(crate) fn new(res: Option<&'a Resource>, ctx: &mut Ctx) -> Self {
        let kvs: &[KeyValue] = res.map(|r| r.attributes.as_slice()).unwrap_or(&[]);
        let mut attrs = Vec::with_capacity(kvs.len());
        let mut series = 0u64;
        let mut service = None;
        for kv in kvs {
            let v = kv.value.as_ref();
            let h = ctx.hash(v);
            series = series.wrapping_add(pair_hash(TAG_RESOURCE, &kv.key, h));
            attrs.push((kv.key.as_str(), h, v));
            if kv.key == "service.name" && service.is_none() {
                service = match v.and_then(|v| v.value.as_ref()) {
                    Some(Value::StringValue(s)) => Some(s.clone()),
                    _ => Some(super::value::value_string(v)),
                };
            }
        }
        let service = service
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| UNKNOWN_SERVICE.to_string());
        ResView {
            service,
            attrs,
            series,
        }
    }

    /// Records `n` items' worth of resource keys into `keys`.
    pub(crate) fn observe_into(&self, keys: &mut KeyMap, ctx: &mut Ctx, n: u64) {
        for (k, h, v) in &self.attrs {
            keys.observe(ctx, k, *h, n, *v);
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
    fn percentages_round_to_two_decimals() {
        assert_eq!(percentage(2, 3), 66.67);
        assert_eq!(percentage(3, 3), 100.0);
        assert_eq!(percentage(1, 0), 0.0);
    }
}
