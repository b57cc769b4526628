//! The session model: a snapshot of telemetry metadata (format version 1).
//!
//! Field names follow the OTLP Cardinality Checker's session export so its files import here;
//! our additions are documented as such. Every map is a `BTreeMap` and every list is sorted by
//! [`Session::canonicalize`], so the same session always serializes to the same bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::evidence::KeyEvidence;
use super::sorted_map::{Key, SortedMap};

/// Per-key statistics of one item (labels, resource keys, attributes), in key order.
pub type KeyStatsMap = SortedMap<KeyStats>;

/// Counts per `service.name` of one item, in name order.
pub type ServiceCounts = SortedMap<u64>;

/// The session format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// A whole session file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The format version the file was written in ([`FORMAT_VERSION`] for ours).
    pub version: u32,
    /// The session name (kebab-case).
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    /// Free text given at capture or import.
    pub description: String,
    #[serde(with = "rfc3339")]
    /// When the session was made.
    pub created: DateTime<Utc>,
    #[serde(default)]
    /// Signals the session was asked to capture.
    pub signals: Vec<Signal>,
    /// (+) How and when the data was captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<CaptureInfo>,
    /// (+) The program that wrote the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<Producer>,
    /// (+) Ids of the sessions this one was merged from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    /// (+) Notes about the file's history, e.g. OCC fields that were accepted but not kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// (+) The telemetry time the session covers: what its per-second rates are per. Absent
    /// in older files and where nothing carried a usable time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<Observed>,
    /// (+) What capture caps refused. Absent: complete (older files read as complete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completeness: Option<Completeness>,
    /// (+) True for a diff-only baseline (`export --baseline`): value samples and mergeable
    /// sketches were removed, estimates kept, so it can be diffed but not merged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub baseline: bool,
    /// Required, and an object: a missing or empty-array `data` used to read as an empty
    /// session, and an empty baseline passes every gate.
    #[serde(deserialize_with = "object")]
    pub data: SessionData,
    /// Summary counts, recomputed by [`Session::canonicalize`].
    #[serde(default, deserialize_with = "object")]
    pub stats: SessionStats,
    /// OCC metadata field; accepted on read, never written.
    #[serde(default, skip_serializing)]
    pub size_bytes: Option<serde_json::Value>,
}

/// A telemetry signal a session can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    /// Metrics.
    Metrics,
    /// Traces (spans).
    Traces,
    /// Logs.
    Logs,
}

impl Signal {
    /// All signals, in canonical order.
    pub const ALL: [Signal; 3] = [Signal::Metrics, Signal::Traces, Signal::Logs];

    /// The lowercase name used in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Metrics => "metrics",
            Signal::Traces => "traces",
            Signal::Logs => "logs",
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Signal {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "metrics" | "metric" => Ok(Signal::Metrics),
            "traces" | "trace" | "spans" | "span" => Ok(Signal::Traces),
            "logs" | "log" => Ok(Signal::Logs),
            other => Err(format!(
                "unknown signal '{other}': expected metrics, traces or logs"
            )),
        }
    }
}

/// (+) Capture provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureInfo {
    #[serde(with = "rfc3339")]
    /// When capture started.
    pub started: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    /// When capture ended.
    pub ended: DateTime<Utc>,
    /// Where the data came from, e.g. `grpc://127.0.0.1:4317` or `file:dump.jsonl`.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Export requests (or file lines) accepted.
    #[serde(default)]
    pub requests: u64,
    /// Requests or lines refused as malformed.
    #[serde(default)]
    pub rejected: u64,
    /// Items dropped because a memory cap was reached.
    #[serde(default)]
    pub dropped: u64,
    /// (+) Names, keys and values cut to the length cap (each cut form ends in a marker).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub truncated: u64,
    /// (+) Why the session misses data it was sent (the analyzer's memory budget ran out);
    /// absent when nothing was left out beyond the counted caps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl CaptureInfo {
    /// Capture window length in seconds, if positive.
    pub fn window_seconds(&self) -> Option<f64> {
        let ms = (self.ended - self.started).num_milliseconds();
        (ms > 0).then(|| ms as f64 / 1000.0)
    }
}

/// (+) The telemetry time a session covers, the denominator of its per-second rates.
///
/// The rule (README, "Observation time"): the telemetry's own timestamps (data point times,
/// span start and end, log time or else observed time), from the earliest to the latest; a
/// live capture whose telemetry carries no times uses its first to last accepted request. A
/// merged session covers the union of its sources' windows, overlaps counted once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    /// Where the times came from: [`Observed::TELEMETRY`], [`Observed::REQUESTS`],
    /// [`Observed::MIXED`] (a merge of both) or [`Observed::NONE`].
    pub basis: String,
    /// Disjoint windows in ascending order.
    pub windows: Vec<TimeWindow>,
}

/// (+) One stretch of observed time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TimeWindow {
    /// Where it starts.
    #[serde(with = "rfc3339")]
    pub start: DateTime<Utc>,
    /// Where it ends.
    #[serde(with = "rfc3339")]
    pub end: DateTime<Utc>,
}

impl Observed {
    /// Times taken from the telemetry itself.
    pub const TELEMETRY: &str = "telemetry";
    /// First to last accepted request of a live capture whose telemetry had no times.
    pub const REQUESTS: &str = "requests";
    /// A merge of sessions with different bases.
    pub const MIXED: &str = "mixed";

    /// Nothing carried a usable time: rates cannot be taken.
    pub const NONE: &str = "none";

    /// One window; an empty or reversed one gives basis [`Observed::NONE`] and no windows
    /// (no meaningful window, which is not the same as an older file that says nothing).
    pub fn single(basis: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Observed {
        if end > start {
            Observed {
                basis: basis.to_string(),
                windows: vec![TimeWindow { start, end }],
            }
        } else {
            Observed::none()
        }
    }

    /// No meaningful window.
    pub fn none() -> Observed {
        Observed {
            basis: Observed::NONE.to_string(),
            windows: Vec::new(),
        }
    }

    /// Total observed time in seconds (windows are disjoint after [`Observed::union`]).
    pub fn seconds(&self) -> f64 {
        self.windows
            .iter()
            .map(|w| (w.end - w.start).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6)
            .filter(|s| *s > 0.0)
            .sum()
    }

    /// The union of several sessions' observed time: overlapping or touching windows are
    /// joined, so time two sources both saw is counted once. Parts without a window add
    /// nothing (merging with an empty session leaves the time as it was).
    pub fn union<'a>(parts: impl IntoIterator<Item = &'a Observed>) -> Observed {
        let mut windows: Vec<TimeWindow> = Vec::new();
        let mut basis: Option<&str> = None;
        for o in parts {
            let before = windows.len();
            windows.extend(o.windows.iter().filter(|w| w.end > w.start));
            if windows.len() == before {
                continue;
            }
            basis = match basis {
                None => Some(o.basis.as_str()),
                Some(b) if b == o.basis => Some(b),
                Some(_) => Some(Observed::MIXED),
            };
        }
        windows.sort();
        let mut out: Vec<TimeWindow> = Vec::with_capacity(windows.len());
        for w in windows {
            match out.last_mut() {
                Some(last) if w.start <= last.end => last.end = last.end.max(w.end),
                _ => out.push(w),
            }
        }
        match basis {
            Some(b) => Observed {
                basis: b.to_string(),
                windows: out,
            },
            None => Observed::none(),
        }
    }
}

/// (+) What the caps refused on one item. An item carrying this is incomplete: keys, values or
/// occurrences are missing from it, so its absences prove nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incomplete {
    /// Occurrences refused (keys, services, event names, templates, …), in the units of
    /// `capture.dropped`.
    #[serde(default)]
    pub dropped: u64,
    /// The caps that refused them, sorted (`keys_per_item`, `key_budget`, …).
    #[serde(default, deserialize_with = "null_as_default")]
    pub caps: Vec<String>,
}

/// (+) Session-level account of what capture caps refused. A session with one is incomplete.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completeness {
    /// Items stored but marked [`Incomplete`].
    #[serde(default)]
    pub incomplete_items: u64,
    /// Refusals of whole new items (a new metric, span or severity past `max_items` or the
    /// byte budget, a catalog key past the cap): they are not in the file at all. Each refusal
    /// counts, so a name refused in several requests counts several times (the names are not
    /// kept, which keeps hostile input bounded).
    #[serde(default)]
    pub refused_items: u64,
    /// Occurrences refused per cap.
    #[serde(default, deserialize_with = "null_as_default")]
    pub dropped_by_cap: BTreeMap<String, u64>,
}

impl Completeness {
    /// True when nothing was refused.
    pub fn is_complete(&self) -> bool {
        self.incomplete_items == 0
            && self.refused_items == 0
            && self.dropped_by_cap.values().all(|n| *n == 0)
    }

    /// Items affected: marked incomplete plus refused outright.
    pub fn items_affected(&self) -> u64 {
        self.incomplete_items.saturating_add(self.refused_items)
    }

    /// Adds another account (merge).
    pub fn add(&mut self, o: &Completeness) {
        self.incomplete_items = self.incomplete_items.saturating_add(o.incomplete_items);
        self.refused_items = self.refused_items.saturating_add(o.refused_items);
        for (k, n) in &o.dropped_by_cap {
            let e = self.dropped_by_cap.entry(k.clone()).or_default();
            *e = e.saturating_add(*n);
        }
    }
}

impl Incomplete {
    /// Joins two markers (merge): drops add up, caps are united.
    pub fn join(a: Option<&Incomplete>, b: Option<&Incomplete>) -> Option<Incomplete> {
        let mut out = match (a, b) {
            (None, None) => return None,
            (Some(x), None) | (None, Some(x)) => return Some(x.clone()),
            (Some(x), Some(y)) => {
                let mut caps = x.caps.clone();
                caps.extend(y.caps.iter().cloned());
                Incomplete {
                    dropped: x.dropped.saturating_add(y.dropped),
                    caps,
                }
            }
        };
        out.caps.sort();
        out.caps.dedup();
        Some(out)
    }
}

/// (+) The program and version that wrote a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Producer {
    /// The program (`otelsnap`).
    pub name: String,
    /// Its version.
    pub version: String,
}

impl Producer {
    /// This build of otelsnap.
    pub fn current() -> Self {
        Producer {
            name: "otelsnap".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// The metadata itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionData {
    #[serde(default, deserialize_with = "null_as_default")]
    /// One entry per metric name.
    pub metrics: Vec<MetricMeta>,
    #[serde(default, deserialize_with = "null_as_default")]
    /// One entry per span name and kind.
    pub spans: Vec<SpanMeta>,
    #[serde(default, deserialize_with = "null_as_default")]
    /// One entry per log severity.
    pub logs: Vec<LogMeta>,
    #[serde(default, deserialize_with = "null_as_default")]
    /// The attribute catalog across signals, one entry per key.
    pub attributes: Vec<AttributeMeta>,
    /// OCC's watched attributes; accepted on read, never written (a note records them).
    #[serde(default, skip_serializing)]
    pub watched_attributes: Option<serde_json::Value>,
}

/// Summary counts, kept in the file so readers need not walk `data`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionStats {
    #[serde(default)]
    /// Number of metrics.
    pub metrics_count: u64,
    #[serde(default)]
    /// Number of span entries.
    pub spans_count: u64,
    #[serde(default)]
    /// Number of log severities.
    pub logs_count: u64,
    #[serde(default)]
    /// Number of catalog attributes.
    pub attributes_count: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    /// Every `service.name` seen, sorted.
    pub services: Vec<String>,
}

/// Per-key statistics (a label key, resource key, span/log attribute key).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyStats {
    /// How many data points / spans / records carried this key.
    #[serde(default)]
    pub count: u64,
    /// `count` as a percentage of the item's samples.
    #[serde(default)]
    pub percentage: f64,
    #[serde(default)]
    /// Estimated distinct values (HyperLogLog++).
    pub estimated_cardinality: u64,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "key_samples"
    )]
    /// A few values as first seen (`--samples`).
    pub value_samples: Vec<String>,
    /// (+) Mergeable HyperLogLog++ sketch of the values. Behind a pointer, like `occ_hll`, so
    /// a key without one costs a word; shared (`Arc`) so that a read-only load, whose sketches
    /// are all the same empty shape, holds that shape once rather than once per key.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "shared_sketch::serialize",
        deserialize_with = "shared_sketch::deserialize"
    )]
    pub sketch: Option<Arc<SketchData>>,
    /// (+) True when the estimate has no mergeable sketch behind it (OCC import, or merged from one).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
    /// OCC's sketch; read on import, never written.
    #[serde(default, rename = "hll", skip_serializing)]
    pub occ_hll: Option<Box<serde_json::Value>>,
    /// (+) Shape, growth and uniqueness evidence and the bounded/unbounded verdict; absent
    /// reads as unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Box<KeyEvidence>>,
}

pub use crate::sketch::SketchData;

/// Serde for [`KeyStats::sketch`]: the sketch as itself (serde's `Arc` support needs a feature
/// we do without); a read-only load's empty sketch of the usual precision is one shared value.
mod shared_sketch {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::sketch::{PRECISION, SketchData, skipping_data};

    thread_local! {
        static LEAN: Arc<SketchData> = Arc::new(SketchData {
            precision: PRECISION,
            encoding: String::new(),
            data: String::new(),
        });
    }

    pub fn serialize<S: Serializer>(v: &Option<Arc<SketchData>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(sk) => SketchData::serialize(sk, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Arc<SketchData>>, D::Error> {
        let Some(sk) = Option::<SketchData>::deserialize(d)? else {
            return Ok(None);
        };
        // Any other precision is kept as read, for validation to refuse with its value.
        let lean = skipping_data() && sk.precision == PRECISION && sk.encoding.is_empty();
        Ok(Some(if lean {
            LEAN.with(Arc::clone)
        } else {
            Arc::new(sk)
        }))
    }
}

// Set while a lean decode leaves value samples out: every one ([`estimates_only`]), or those of
// per-item keys only ([`without_key_samples`]).
thread_local! {
    static SKIP_SAMPLES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static SKIP_KEY_SAMPLES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with `flag` set, restoring it after (also on unwinding).
fn with_flag<T>(
    flag: &'static std::thread::LocalKey<std::cell::Cell<bool>>,
    f: impl FnOnce() -> T,
) -> T {
    struct Reset(&'static std::thread::LocalKey<std::cell::Cell<bool>>, bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            self.0.with(|c| c.set(self.1));
        }
    }
    let _reset = Reset(flag, flag.with(|c| c.replace(true)));
    f()
}

/// Runs `f` (a session decode) reading sketches' shape but not their bytes: `encoding` and
/// `data` come back empty. For commands that only read estimates (`show`, `diff`): a large
/// session holds hundreds of thousands of sketch strings, and not allocating them makes
/// loading markedly faster and smaller. Keys are interned while it runs (one allocation per
/// distinct key text). Such a session must not be merged or saved.
pub fn without_sketch_data<T>(f: impl FnOnce() -> T) -> T {
    super::key::interning(|| crate::sketch::without_data(f))
}

/// As [`without_sketch_data`], and the value samples of per-item keys ([`KeyStats`]) come back
/// empty (their shape is still checked); the attribute catalog keeps its samples. For `show`'s
/// overview, which shows the catalog's samples and no item's: with many keys per item, the
/// samples are most of what a lean load holds.
pub fn without_key_samples<T>(f: impl FnOnce() -> T) -> T {
    with_flag(&SKIP_KEY_SAMPLES, || without_sketch_data(f))
}

/// As [`without_sketch_data`], and value samples come back empty too (their shape is still
/// checked). For `diff`, which compares estimates and counts only.
pub fn estimates_only<T>(f: impl FnOnce() -> T) -> T {
    with_flag(&SKIP_SAMPLES, || without_sketch_data(f))
}

fn samples<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    if SKIP_SAMPLES.with(|c| c.get()) {
        skip_samples(d)
    } else {
        // Kept as read for the whole session: without the growth slack.
        null_as_default(d).map(super::sorted_map::exact)
    }
}

fn key_samples<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    if SKIP_KEY_SAMPLES.with(|c| c.get()) {
        skip_samples(d)
    } else {
        samples(d)
    }
}

fn skip_samples<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    // A Vec of zero-sized values never allocates.
    Option::<Vec<serde::de::IgnoredAny>>::deserialize(d).map(|_| Vec::new())
}

/// Metric type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MetricType {
    /// A gauge.
    Gauge,
    /// A sum (counter or up-down counter).
    Sum,
    /// An explicit-bucket histogram.
    Histogram,
    /// An exponential histogram.
    ExponentialHistogram,
    /// A summary.
    Summary,
    /// A metric whose data field was empty, or a type name this version does not know.
    #[default]
    Unknown,
}

impl MetricType {
    /// The snake_case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Gauge => "gauge",
            MetricType::Sum => "sum",
            MetricType::Histogram => "histogram",
            MetricType::ExponentialHistogram => "exponential_histogram",
            MetricType::Summary => "summary",
            MetricType::Unknown => "unknown",
        }
    }

    /// Parses our names and OCC's (`Gauge`, `ExponentialHistogram`, …), case-insensitively.
    pub fn parse(s: &str) -> MetricType {
        let norm: String = s
            .chars()
            .filter(|c| *c != '_' && *c != '-' && *c != ' ')
            .collect::<String>()
            .to_ascii_lowercase();
        match norm.as_str() {
            "gauge" => MetricType::Gauge,
            "sum" | "counter" => MetricType::Sum,
            "histogram" => MetricType::Histogram,
            "exponentialhistogram" | "exphistogram" => MetricType::ExponentialHistogram,
            "summary" => MetricType::Summary,
            _ => MetricType::Unknown,
        }
    }
}

impl std::fmt::Display for MetricType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MetricType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Some(s) = Option::<String>::deserialize(d)? else {
            return Ok(MetricType::Unknown);
        };
        match MetricType::parse(&s) {
            // Only the names for "no data" read as unknown; any other name is refused rather
            // than compared as if the metric had no type.
            MetricType::Unknown
                if !matches!(s.to_ascii_lowercase().as_str(), "" | "unknown" | "empty") =>
            {
                Err(serde::de::Error::custom(format!(
                    "unknown metric type {}: expected gauge, sum, histogram, exponential_histogram or summary",
                    serde_json::to_string(&s).unwrap_or_default()
                )))
            }
            t => Ok(t),
        }
    }
}

/// (+) A disagreement recorded by `merge` (same metric name, different type or unit).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Conflict {
    /// `type` or `unit`.
    pub field: String,
    /// The value that was not kept.
    pub other: String,
    /// The session id that had it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// One metric, by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricMeta {
    /// The metric name.
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    /// Its description, as the first sender gave it.
    pub description: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    /// Its unit (UCUM), empty if none.
    pub unit: String,
    #[serde(rename = "type", default)]
    /// Its type.
    pub metric_type: MetricType,
    #[serde(default, deserialize_with = "null_as_default")]
    /// Per data-point attribute key statistics.
    pub label_keys: KeyStatsMap,
    #[serde(default, deserialize_with = "null_as_default")]
    /// Per resource attribute key statistics.
    pub resource_keys: KeyStatsMap,
    /// Data points seen (OCC's name for it).
    #[serde(default)]
    pub sample_count: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    /// Data points per `service.name`.
    pub services: ServiceCounts,
    /// Estimated distinct series (resource attributes + point attributes).
    #[serde(default)]
    pub active_series: u64,
    /// (+) Sketch behind `active_series`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_sketch: Option<SketchData>,
    /// (+) True when `active_series` has no mergeable sketch behind it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub series_approximate: bool,
    /// OCC's series sketch; read on import, never written.
    #[serde(default, rename = "series_hll", skip_serializing)]
    pub occ_series_hll: Option<serde_json::Value>,
    #[serde(default)]
    /// Data points seen, as we count them (OCC files: their sample count).
    pub data_point_count: u64,
    /// `delta` or `cumulative` (sum, histogram, exponential histogram).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation_temporality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Whether a sum is monotonic (counters), absent for other types.
    pub is_monotonic: Option<bool>,
    /// Distinct explicit bucket bounds seen, ascending.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub explicit_bounds: Vec<f64>,
    /// Distinct exponential-histogram scales seen, ascending.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub scales: Vec<i32>,
    /// (+) Distinct summary quantiles seen, ascending (a backend stores one series each).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub quantiles: Vec<f64>,
    /// (+) Type/unit disagreements recorded by merge.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
    /// (+) What capture caps refused on this metric; absent when it is complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<Incomplete>,
}

impl MetricMeta {
    /// Sorts this metric's lists, as [`Session::canonicalize`] does for every metric.
    pub fn canonicalize(&mut self) {
        self.explicit_bounds.sort_by(f64::total_cmp);
        self.explicit_bounds.dedup();
        self.scales.sort();
        self.scales.dedup();
        self.quantiles.sort_by(f64::total_cmp);
        self.quantiles.dedup();
        self.conflicts.sort();
        self.conflicts.dedup();
    }
}

/// One span name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpanMeta {
    /// The span name.
    pub name: String,
    #[serde(default)]
    /// The span kind number (OTLP `SpanKind`).
    pub kind: i32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    /// The kind's name (`SPAN_KIND_SERVER`, …).
    pub kind_name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    /// Per span attribute key statistics.
    pub attribute_keys: KeyStatsMap,
    #[serde(default, deserialize_with = "null_as_default")]
    /// Event names seen on these spans.
    pub event_names: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "unique_keys"
    )]
    /// Per event name, its attribute key statistics.
    pub event_attribute_keys: BTreeMap<String, KeyStatsMap>,
    #[serde(
        default,
        skip_serializing_if = "KeyStatsMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    /// Link attribute key statistics.
    pub link_attribute_keys: KeyStatsMap,
    #[serde(default, deserialize_with = "null_as_default")]
    /// Per resource attribute key statistics.
    pub resource_keys: KeyStatsMap,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    /// Status codes seen (`STATUS_CODE_ERROR`, …).
    pub status_codes: Vec<String>,
    #[serde(default)]
    /// Spans seen.
    pub sample_count: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    /// Spans per `service.name`.
    pub services: ServiceCounts,
    /// OCC's span name patterns; accepted on read, never written.
    #[serde(default, skip_serializing)]
    pub name_patterns: Option<serde_json::Value>,
    /// (+) What capture caps refused on this span; absent when it is complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<Incomplete>,
}

/// One log severity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogMeta {
    /// The severity text (or the name of its number when the text is empty).
    pub severity: String,
    #[serde(default)]
    /// The OTLP severity number.
    pub severity_number: i32,
    #[serde(default, deserialize_with = "null_as_default")]
    /// Per record attribute key statistics.
    pub attribute_keys: KeyStatsMap,
    #[serde(default, deserialize_with = "null_as_default")]
    /// Per resource attribute key statistics.
    pub resource_keys: KeyStatsMap,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    /// Body templates mined with Drain, most frequent first.
    pub body_templates: Vec<BodyTemplate>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    /// Event names seen on these records.
    pub event_names: Vec<String>,
    #[serde(default)]
    /// Records seen.
    pub sample_count: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    /// Records per `service.name`.
    pub services: ServiceCounts,
    /// (+) What capture caps refused on this severity; absent when it is complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<Incomplete>,
}

/// A log body template mined with Drain (`<*>` marks variable parts).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BodyTemplate {
    /// The template (`<*>` for variable parts).
    pub template: String,
    #[serde(default)]
    /// Records that matched it.
    pub count: u64,
    #[serde(default)]
    /// One body that matched it.
    pub example: String,
}

/// One attribute key in the catalog across all signals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AttributeMeta {
    /// The attribute key.
    pub key: String,
    #[serde(default)]
    /// Occurrences across all signals.
    pub count: u64,
    #[serde(default)]
    /// Estimated distinct values (HyperLogLog++).
    pub estimated_cardinality: u64,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "samples"
    )]
    /// A few values as first seen (`--samples`).
    pub value_samples: Vec<String>,
    /// Signals the key appeared on: `metrics`, `traces`, `logs`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub signal_types: Vec<String>,
    /// `resource`, `attribute`, or `both`.
    #[serde(default)]
    pub scope: String,
    #[serde(with = "rfc3339_opt", default, skip_serializing_if = "Option::is_none")]
    /// When the key was first seen.
    pub first_seen: Option<DateTime<Utc>>,
    #[serde(with = "rfc3339_opt", default, skip_serializing_if = "Option::is_none")]
    /// When the key was last seen.
    pub last_seen: Option<DateTime<Utc>>,
    /// (+) Mergeable sketch of the values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sketch: Option<SketchData>,
    /// (+) True when the estimate has no mergeable sketch behind it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
    /// OCC's sketch; read on import, never written.
    #[serde(default, rename = "hll", skip_serializing)]
    pub occ_hll: Option<serde_json::Value>,
    /// (+) Evidence and verdict across every item that carried the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Box<KeyEvidence>>,
}

impl MetricMeta {
    /// Every key set of the metric: labels, then resource keys.
    pub fn key_maps(&self) -> impl Iterator<Item = &KeyStatsMap> {
        [&self.label_keys, &self.resource_keys].into_iter()
    }

    /// [`MetricMeta::key_maps`], mutably.
    pub fn key_maps_mut(&mut self) -> impl Iterator<Item = &mut KeyStatsMap> {
        [&mut self.label_keys, &mut self.resource_keys].into_iter()
    }
}

impl SpanMeta {
    /// Every key set of the span: attributes, resource keys, link attributes, then each
    /// event's attributes.
    pub fn key_maps(&self) -> impl Iterator<Item = &KeyStatsMap> {
        [
            &self.attribute_keys,
            &self.resource_keys,
            &self.link_attribute_keys,
        ]
        .into_iter()
        .chain(self.event_attribute_keys.values())
    }

    /// [`SpanMeta::key_maps`], mutably.
    pub fn key_maps_mut(&mut self) -> impl Iterator<Item = &mut KeyStatsMap> {
        [
            &mut self.attribute_keys,
            &mut self.resource_keys,
            &mut self.link_attribute_keys,
        ]
        .into_iter()
        .chain(self.event_attribute_keys.values_mut())
    }
}

impl LogMeta {
    /// Every key set of the severity: attributes, then resource keys.
    pub fn key_maps(&self) -> impl Iterator<Item = &KeyStatsMap> {
        [&self.attribute_keys, &self.resource_keys].into_iter()
    }

    /// [`LogMeta::key_maps`], mutably.
    pub fn key_maps_mut(&mut self) -> impl Iterator<Item = &mut KeyStatsMap> {
        [&mut self.attribute_keys, &mut self.resource_keys].into_iter()
    }
}

impl SessionData {
    /// Every per-key statistics map of every metric, span and log severity (not the attribute
    /// catalog, which holds one key per entry): the one walk over all key sets.
    pub fn key_maps(&self) -> impl Iterator<Item = &KeyStatsMap> {
        let m = self.metrics.iter().flat_map(MetricMeta::key_maps);
        let s = self.spans.iter().flat_map(SpanMeta::key_maps);
        let l = self.logs.iter().flat_map(LogMeta::key_maps);
        m.chain(s).chain(l)
    }

    /// [`SessionData::key_maps`], mutably.
    pub fn key_maps_mut(&mut self) -> impl Iterator<Item = &mut KeyStatsMap> {
        let m = self.metrics.iter_mut().flat_map(MetricMeta::key_maps_mut);
        let s = self.spans.iter_mut().flat_map(SpanMeta::key_maps_mut);
        let l = self.logs.iter_mut().flat_map(LogMeta::key_maps_mut);
        m.chain(s).chain(l)
    }
}

impl Session {
    /// An empty session with the given id, created now, written by this build.
    pub fn new(id: impl Into<String>) -> Self {
        Session {
            version: FORMAT_VERSION,
            id: id.into(),
            description: String::new(),
            created: now_utc(),
            signals: Vec::new(),
            capture: None,
            producer: Some(Producer::current()),
            merged_from: Vec::new(),
            notes: Vec::new(),
            observed: None,
            completeness: None,
            baseline: false,
            data: SessionData::default(),
            stats: SessionStats::default(),
            size_bytes: None,
        }
    }

    /// Sorts every list and recomputes `stats`, so equal content serializes to equal bytes.
    pub fn canonicalize(&mut self) {
        self.signals.sort();
        self.signals.dedup();
        self.merged_from.sort();
        self.merged_from.dedup();
        let d = &mut self.data;
        d.metrics.sort_by(|a, b| a.name.cmp(&b.name));
        for m in &mut d.metrics {
            m.canonicalize();
        }
        d.spans
            .sort_by(|a, b| a.name.cmp(&b.name).then(a.kind.cmp(&b.kind)));
        for s in &mut d.spans {
            s.event_names.sort();
            s.event_names.dedup();
            s.status_codes.sort();
            s.status_codes.dedup();
        }
        d.logs.sort_by(|a, b| {
            a.severity_number
                .cmp(&b.severity_number)
                .then(a.severity.cmp(&b.severity))
        });
        for l in &mut d.logs {
            l.event_names.sort();
            l.event_names.dedup();
            l.body_templates
                .sort_by(|a, b| b.count.cmp(&a.count).then(a.template.cmp(&b.template)));
        }
        d.attributes.sort_by(|a, b| a.key.cmp(&b.key));
        for a in &mut d.attributes {
            a.signal_types.sort();
            a.signal_types.dedup();
        }
        self.notes.dedup();
        self.recompute_stats();
    }

    /// Drops every sketch (key sets, active series, the attribute catalog) and every
    /// evidence value sample, keeping the estimates and verdicts: for a file or page that
    /// shows or compares and never merges.
    pub fn drop_sketches(&mut self) {
        for ks in self.data.key_maps_mut().flat_map(KeyStatsMap::values_mut) {
            ks.sketch = None;
        }
        for m in &mut self.data.metrics {
            m.series_sketch = None;
        }
        for a in &mut self.data.attributes {
            a.sketch = None;
        }
        self.for_each_evidence_mut(KeyEvidence::drop_sample);
    }

    /// Calls `f` on the evidence of every key (metric, span, event, link, log and resource
    /// keys, and the attribute catalog).
    pub fn for_each_evidence_mut(&mut self, mut f: impl FnMut(&mut KeyEvidence)) {
        for ks in self.data.key_maps_mut().flat_map(KeyStatsMap::values_mut) {
            if let Some(ev) = ks.evidence.as_deref_mut() {
                f(ev);
            }
        }
        for a in &mut self.data.attributes {
            if let Some(ev) = a.evidence.as_deref_mut() {
                f(ev);
            }
        }
    }

    /// Seconds of observed telemetry time, the denominator of per-second rates; `None` when
    /// the session has no meaningful window. Older files without `observed` fall back to their
    /// capture window (see [`Session::rate_window`]).
    pub fn observed_seconds(&self) -> Option<f64> {
        self.rate_window().map(|(s, _)| s)
    }

    /// The rate window and what it is: `(seconds, basis)` where basis is `telemetry`,
    /// `requests`, `mixed` or `capture` (an older file without `observed`: its capture window).
    pub fn rate_window(&self) -> Option<(f64, &str)> {
        match &self.observed {
            Some(o) => {
                let s = o.seconds();
                (s > 0.0).then_some((s, o.basis.as_str()))
            }
            None => self
                .capture
                .as_ref()
                .and_then(CaptureInfo::window_seconds)
                .map(|s| (s, "capture")),
        }
    }

    /// True unless capture caps refused something (older files read as complete).
    pub fn is_complete(&self) -> bool {
        self.completeness
            .as_ref()
            .is_none_or(Completeness::is_complete)
    }

    /// Recomputes `stats` from `data`.
    pub fn recompute_stats(&mut self) {
        let d = &self.data;
        let mut services: std::collections::BTreeSet<&str> = Default::default();
        for m in &d.metrics {
            services.extend(m.services.keys().map(Key::as_str));
        }
        for s in &d.spans {
            services.extend(s.services.keys().map(Key::as_str));
        }
        for l in &d.logs {
            services.extend(l.services.keys().map(Key::as_str));
        }
        self.stats = SessionStats {
            metrics_count: d.metrics.len() as u64,
            spans_count: d.spans.len() as u64,
            logs_count: d.logs.len() as u64,
            attributes_count: d.attributes.len() as u64,
            services: services.into_iter().map(str::to_owned).collect(),
        };
    }
}

/// `part` of `total` in percent, rounded to two decimals (0 when `total` is 0): the one
/// rounding of [`KeyStats::percentage`], so a capture, a merge and a synthetic session of the
/// same counts agree to the byte.
pub fn percentage(part: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    (part as f64 * 10_000.0 / total as f64).round() / 100.0
}

/// Now, truncated to whole microseconds so it survives a text round trip unchanged.
pub fn now_utc() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// Formats a timestamp the one way session files use (RFC 3339, UTC, `Z`, shortest exact fraction).
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A struct that must be written as a JSON object (serde would also take an array of its
/// fields in order, so `"data": []` read as empty data).
fn object<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_map(V(std::marker::PhantomData))
}

/// A map whose keys must be unique (see [`SortedMap`]'s reading), kept as a `BTreeMap`.
fn unique_keys<'de, D, V>(d: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    Ok(Option::<SortedMap<V>>::deserialize(d)?
        .map(|m| m.into_iter().map(|(k, v)| (String::from(k), v)).collect())
        .unwrap_or_default())
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Serde adapter: RFC 3339 in UTC.
pub mod rfc3339 {
    use super::*;

    /// Writes a timestamp as RFC 3339 in UTC.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_time(t))
    }

    /// Reads an RFC 3339 timestamp.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| serde::de::Error::custom(format!("bad timestamp '{s}': {e}")))
    }
}

/// Serde adapter: optional RFC 3339 in UTC (Go's zero time reads as absent).
pub mod rfc3339_opt {
    use super::*;

    /// Writes an optional timestamp as RFC 3339 in UTC.
    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_time(t)),
            None => s.serialize_none(),
        }
    }

    /// Reads an optional RFC 3339 timestamp (Go's zero time reads as absent).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let Some(s) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        if s.is_empty() || s.starts_with("0001-01-01") {
            return Ok(None);
        }
        DateTime::parse_from_rfc3339(&s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| serde::de::Error::custom(format!("bad timestamp '{s}': {e}")))
    }
}
