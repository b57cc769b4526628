//! The session model: a snapshot of telemetry metadata (format version 1).
//!
//! Field names follow the OTLP Cardinality Checker's session export so its files import here;
//! our additions are documented as such. Every map is a `BTreeMap` and every list is sorted by
//! [`Session::canonicalize`], so the same session always serializes to the same bytes.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::sorted_map::SortedMap;

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
    /// (+) True for a diff-only baseline (`export --baseline`): value samples and mergeable
    /// sketches were removed, estimates kept, so it can be diffed but not merged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub baseline: bool,
    #[serde(default)]
    /// The metadata itself.
    pub data: SessionData,
    #[serde(default)]
    /// Summary counts, recomputed by [`Session::canonicalize`].
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
}

impl CaptureInfo {
    /// Capture window length in seconds, if positive.
    pub fn window_seconds(&self) -> Option<f64> {
        let ms = (self.ended - self.started).num_milliseconds();
        (ms > 0).then(|| ms as f64 / 1000.0)
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
        deserialize_with = "samples"
    )]
    /// A few values as first seen (`--samples`).
    pub value_samples: Vec<String>,
    /// (+) Mergeable HyperLogLog++ sketch of the values. Boxed, like `occ_hll`, because keys
    /// live in map nodes of eleven slots each: inline, these two fields doubled the size of
    /// every node of a loaded session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sketch: Option<Box<SketchData>>,
    /// (+) True when the estimate has no mergeable sketch behind it (OCC import, or merged from one).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
    /// OCC's sketch; read on import, never written.
    #[serde(default, rename = "hll", skip_serializing)]
    pub occ_hll: Option<Box<serde_json::Value>>,
}

pub use crate::sketch::SketchData;

// Set while a lean decode leaves value samples out ([`estimates_only`]).
thread_local! {
    static SKIP_SAMPLES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` (a session decode) reading sketches' shape but not their bytes: `encoding` and
/// `data` come back empty. For commands that only read estimates (`show`, `diff`): a large
/// session holds hundreds of thousands of sketch strings, and not allocating them makes
/// loading markedly faster and smaller. Such a session must not be merged or saved.
pub fn without_sketch_data<T>(f: impl FnOnce() -> T) -> T {
    crate::sketch::without_data(f)
}

/// As [`without_sketch_data`], and value samples come back empty too (their shape is still
/// checked). For `diff`, which compares estimates and counts only.
pub fn estimates_only<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            SKIP_SAMPLES.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(SKIP_SAMPLES.with(|c| c.replace(true)));
    crate::sketch::without_data(f)
}

fn samples<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    if SKIP_SAMPLES.with(|c| c.get()) {
        // A Vec of zero-sized values never allocates.
        Option::<Vec<serde::de::IgnoredAny>>::deserialize(d).map(|_| Vec::new())
    } else {
        null_as_default(d)
    }
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
        let s = Option::<String>::deserialize(d)?;
        Ok(s.map(|s| MetricType::parse(&s)).unwrap_or_default())
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
    /// (+) Type/unit disagreements recorded by merge.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
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
        deserialize_with = "null_as_default"
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
            m.explicit_bounds.sort_by(f64::total_cmp);
            m.explicit_bounds.dedup();
            m.scales.sort();
            m.scales.dedup();
            m.conflicts.sort();
            m.conflicts.dedup();
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

    /// Drops every sketch (key sets, active series, the attribute catalog), keeping the
    /// estimates: for a file or page that shows or compares estimates and never merges.
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
    }

    /// Recomputes `stats` from `data`.
    pub fn recompute_stats(&mut self) {
        let d = &self.data;
        let mut services: std::collections::BTreeSet<&str> = Default::default();
        for m in &d.metrics {
            services.extend(m.services.keys().map(String::as_str));
        }
        for s in &d.spans {
            services.extend(s.services.keys().map(String::as_str));
        }
        for l in &d.logs {
            services.extend(l.services.keys().map(String::as_str));
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
