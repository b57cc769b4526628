//! The analyzer: OTLP requests in, session metadata out.
//!
//! Per request, per resource (its `service.name`, or `unknown_service`) and scope, it records
//! metrics by name, spans by name and kind, and logs by severity, with per-key statistics
//! (count, percentage, HyperLogLog++ sketch of values, first-seen value samples), and builds the
//! attribute catalog across signals at [`Analyzer::finish`].
//!
//! Memory is bounded: distinct metric names, (span name, kind) pairs and severities are capped
//! at `max_items`; keys, event names and services per item at `min(max_items,`
//! [`MAX_KEYS_PER_ITEM`]`)`; key entries across all items at [`KEY_BUDGET`]; templates per
//! severity at `min(max_items,` [`logs::MAX_TEMPLATES_PER_SEVERITY`]`)`; catalog keys at
//! `max_items`. Whatever a cap refuses is counted in `dropped`, in these units:
//! - a refused metric: its data points (at least 1, so an empty metric is not lost silently);
//! - a refused span or log record (new name/severity past the cap): 1 each;
//! - a refused key: each occurrence (one per data point, span, event, link or record that
//!   carried it; a refused resource key counts once per data point/span/record);
//! - a refused event name, service, status code, bucket bound or scale: each occurrence;
//! - a refused template: each log record that would have started it;
//! - a catalog key past the cap (decided at finish): its occurrence count.

pub mod drain;
pub mod evidence;
pub mod limits;
pub mod logs;
pub mod metrics;
pub mod names;
mod shard;
pub(crate) mod state;
pub mod traces;
pub mod value;

#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::Metric;
use opentelemetry_proto::tonic::trace::v1::Span;

use crate::otlp::OtlpRequest;
use crate::session::{AttributeMeta, Observed, Session, Signal};
use logs::{LogAcc, MAX_TEMPLATES_PER_SEVERITY, severity_name};
use metrics::{MetricAcc, point_count};
use state::{Ctx, GlobalCaps, ItemKind, KeyAcc, ResView, SharedCaps};
use traces::SpanAcc;

pub use shard::{ShardSnapshot, Sharded};
pub use state::{Cap, Gaps, UNKNOWN_SERVICE};

/// Keys (and event names, services) per item at most, whatever `max_items` is: an item with
/// more distinct keys than this is hostile or broken, and each key holds a sketch.
pub const MAX_KEYS_PER_ITEM: usize = 1000;
/// Key entries across all items at most (a few hundred bytes each), the last memory guard.
pub const KEY_BUDGET: usize = 2_000_000;

/// What to keep and how much.
#[derive(Debug, Clone)]
pub struct AnalyzerOptions {
    /// Value samples kept per key (0 = none).
    pub samples: usize,
    /// Cap on distinct metric names, span names, severities, keys per item and templates.
    pub max_items: usize,
    /// Keep only these signals (None = all).
    pub signals: Option<BTreeSet<Signal>>,
    /// Keep only these services (None = all).
    pub services: Option<BTreeSet<String>>,
}

impl Default for AnalyzerOptions {
    fn default() -> Self {
        AnalyzerOptions {
            samples: 5,
            max_items: 100_000,
            signals: None,
            services: None,
        }
    }
}

/// Running totals for the live status line and the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveCounts {
    /// Data points kept.
    pub data_points: u64,
    /// Spans kept.
    pub spans: u64,
    /// Log records kept.
    pub log_records: u64,
    /// Distinct metric names.
    pub metrics: u64,
    /// Distinct (span name, kind) pairs.
    pub span_names: u64,
    /// Distinct (severity, severity number) pairs.
    pub severities: u64,
    /// Items dropped because a cap was reached.
    pub dropped: u64,
}

/// Accumulates metadata from OTLP requests. Cloning it snapshots the state (for checkpoints).
#[derive(Debug, Clone)]
pub struct Analyzer {
    opts: Arc<AnalyzerOptions>,
    counts: LiveCounts,
    ctx: Ctx,
    /// Boxed: a table slot is then a pointer, not a few hundred bytes that empty slots and
    /// the doubling on growth would multiply.
    metrics: HashMap<Box<str>, Box<MetricAcc>>,
    /// By span name, then one entry per kind seen with that name.
    spans: HashMap<String, Vec<SpanAcc>>,
    /// By severity text, then one entry per severity number seen with that text.
    logs: HashMap<String, Vec<LogAcc>>,
    /// Receive times of the first and last request analysed.
    requests: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Whether telemetry without times falls back to the request window (live captures only:
    /// a file's read time says nothing about the telemetry).
    request_time_fallback: bool,
    /// Scratch for hashing resource attributes while the request is walked.
    res_buf: String,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new(AnalyzerOptions::default())
    }
}

/// A request by reference, whichever its signal.
#[derive(Clone, Copy)]
pub(crate) enum ReqRef<'a> {
    Metrics(&'a ExportMetricsServiceRequest),
    Traces(&'a ExportTraceServiceRequest),
    Logs(&'a ExportLogsServiceRequest),
}

impl<'a> From<&'a OtlpRequest> for ReqRef<'a> {
    fn from(r: &'a OtlpRequest) -> Self {
        match r {
            OtlpRequest::Metrics(r) => ReqRef::Metrics(r),
            OtlpRequest::Traces(r) => ReqRef::Traces(r),
            OtlpRequest::Logs(r) => ReqRef::Logs(r),
        }
    }
}

/// One item of a request: what the analyzer keeps state for, by its identity.
pub(crate) enum Item<'a> {
    /// A metric, kept by name.
    Metric(&'a Metric),
    /// A span, kept by name (then kind).
    Span(&'a Span),
    /// A log record, kept by its severity text (the name of its number when it has none).
    Log(&'a LogRecord, std::borrow::Cow<'a, str>),
}

impl Item<'_> {
    /// The identity whose state the item updates, tagged by signal: all of one item's state
    /// lives under it (a span name holds all its kinds, a severity text all its numbers).
    pub(crate) fn identity_hash(&self) -> u64 {
        use xxhash_rust::xxh3::xxh3_64_with_seed;
        match self {
            Item::Metric(m) => xxh3_64_with_seed(m.name.as_bytes(), 1),
            Item::Span(s) => xxh3_64_with_seed(s.name.as_bytes(), 2),
            Item::Log(_, sev) => xxh3_64_with_seed(sev.as_bytes(), 3),
        }
    }
}

/// Calls `f` with every item of `req` that the signal and service filters keep, in request
/// order, with a view of its resource, then with `None` at the end of each resource's items.
/// False when the request's signal is filtered out (the request is then not seen at all).
pub(crate) fn walk<'r>(
    req: ReqRef<'r>,
    opts: &AnalyzerOptions,
    buf: &mut String,
    mut f: impl FnMut(&ResView<'r>, Option<Item<'r>>),
) -> bool {
    let signal = match req {
        ReqRef::Metrics(_) => Signal::Metrics,
        ReqRef::Traces(_) => Signal::Traces,
        ReqRef::Logs(_) => Signal::Logs,
    };
    if !opts
        .signals
        .as_ref()
        .is_none_or(|set| set.contains(&signal))
    {
        return false;
    }
    let enabled = |res: &ResView<'_>| {
        opts.services
            .as_ref()
            .is_none_or(|set| set.contains(res.service.as_ref()))
    };
    match req {
        ReqRef::Metrics(r) => {
            for rm in &r.resource_metrics {
                let res = ResView::new(rm.resource.as_ref(), buf);
                if !enabled(&res) {
                    continue;
                }
                for sm in &rm.scope_metrics {
                    for m in &sm.metrics {
                        f(&res, Some(Item::Metric(m)));
                    }
                }
                f(&res, None);
            }
        }
        ReqRef::Traces(r) => {
            for rs in &r.resource_spans {
                let res = ResView::new(rs.resource.as_ref(), buf);
                if !enabled(&res) {
                    continue;
                }
                for ss in &rs.scope_spans {
                    for s in &ss.spans {
                        f(&res, Some(Item::Span(s)));
                    }
                }
                f(&res, None);
            }
        }
        ReqRef::Logs(r) => {
            for rl in &r.resource_logs {
                let res = ResView::new(rl.resource.as_ref(), buf);
                if !enabled(&res) {
                    continue;
                }
                for sl in &rl.scope_logs {
                    for l in &sl.log_records {
                        let severity = if l.severity_text.is_empty() {
                            std::borrow::Cow::Owned(severity_name(l.severity_number))
                        } else {
                            std::borrow::Cow::Borrowed(l.severity_text.as_str())
                        };
                        f(&res, Some(Item::Log(l, severity)));
                    }
                }
                f(&res, None);
            }
        }
    }
    true
}

impl Analyzer {
    /// A fresh analyzer.
    pub fn new(opts: AnalyzerOptions) -> Self {
        Self::with_caps(Arc::new(opts), SharedCaps::new(KEY_BUDGET))
    }

    /// A fresh analyzer reserving from `caps` (shared with other shards, or its own).
    pub(crate) fn with_caps(opts: Arc<AnalyzerOptions>, caps: SharedCaps) -> Self {
        let ctx = Ctx {
            samples: opts.samples,
            max_items: opts.max_items,
            keys_per_item: opts.max_items.min(MAX_KEYS_PER_ITEM),
            caps,
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
        Analyzer {
            opts,
            counts: LiveCounts::default(),
            ctx,
            metrics: HashMap::new(),
            spans: HashMap::new(),
            logs: HashMap::new(),
            requests: None,
            request_time_fallback: false,
            res_buf: String::new(),
        }
    }

    /// For live captures: when the telemetry carries no usable times, the observed window is
    /// the first to the last accepted request (never the idle wait or the drain after it).
    pub fn set_request_time_fallback(&mut self, on: bool) {
        self.request_time_fallback = on;
    }

    /// Records that `cap` refused `n` occurrences outside any one item (e.g. a whole request
    /// over a byte budget): counted in `dropped` and the session marked incomplete.
    pub fn refuse(&mut self, cap: Cap, n: u64) {
        self.ctx.refuse(cap, n, None);
        self.counts.dropped = self.ctx.dropped;
    }

    fn saw_request(&mut self, at: DateTime<Utc>) {
        self.requests = Some(match self.requests {
            Some((a, b)) => (a.min(at), b.max(at)),
            None => (at, at),
        });
    }

    /// Ingests one request of any signal, received at `at`.
    pub fn ingest(&mut self, req: &OtlpRequest, at: DateTime<Utc>) {
        self.ingest_ref(req.into(), at);
    }

    fn ingest_ref(&mut self, req: ReqRef<'_>, at: DateTime<Utc>) {
        let opts = Arc::clone(&self.opts);
        let mut buf = std::mem::take(&mut self.res_buf);
        if walk(req, &opts, &mut buf, |res, item| {
            if let Some(item) = item {
                self.ingest_item(res, item, at)
            }
        }) {
            self.saw_request(at);
        }
        self.res_buf = buf;
    }

    /// Ingests a metrics export request.
    pub fn ingest_metrics(&mut self, req: &ExportMetricsServiceRequest, at: DateTime<Utc>) {
        self.ingest_ref(ReqRef::Metrics(req), at);
    }

    /// Ingests a traces export request.
    pub fn ingest_traces(&mut self, req: &ExportTraceServiceRequest, at: DateTime<Utc>) {
        self.ingest_ref(ReqRef::Traces(req), at);
    }

    /// Ingests a logs export request.
    pub fn ingest_logs(&mut self, req: &ExportLogsServiceRequest, at: DateTime<Utc>) {
        self.ingest_ref(ReqRef::Logs(req), at);
    }

    /// Ingests one item of a request received at `at`. Everything it changes is the item's
    /// own state, this analyzer's counters (summed when shards are combined) and the shared
    /// caps, so the item's shard alone needs to be held.
    pub(crate) fn ingest_item(&mut self, res: &ResView<'_>, item: Item<'_>, at: DateTime<Utc>) {
        let Analyzer {
            opts,
            counts,
            ctx,
            metrics,
            spans,
            logs,
            ..
        } = self;
        ctx.at = at;
        ctx.sync();
        match item {
            Item::Metric(m) => {
                let acc = match metrics.get_mut(m.name.as_str()) {
                    Some(a) => a,
                    None if ctx.frozen
                        || !ctx.caps.reserve_item(ItemKind::Metric, ctx.max_items) =>
                    {
                        ctx.refuse(ctx.new_item_cap(), point_count(m).max(1), None);
                        counts.dropped = ctx.dropped;
                        return;
                    }
                    None => metrics.entry(m.name.as_str().into()).or_default(),
                };
                acc.ingest(m, res, ctx);
                counts.data_points += point_count(m);
                counts.metrics = metrics.len() as u64;
            }
            Item::Span(s) => {
                let kinds = spans.get_mut(&s.name);
                let known = kinds
                    .as_ref()
                    .and_then(|k| k.iter().position(|a| a.kind == s.kind));
                let acc = match (kinds, known) {
                    (Some(k), Some(i)) => &mut k[i],
                    _ if ctx.frozen || !ctx.caps.reserve_item(ItemKind::Span, ctx.max_items) => {
                        ctx.refuse(ctx.new_item_cap(), 1, None);
                        counts.dropped = ctx.dropped;
                        return;
                    }
                    (kinds, _) => {
                        counts.span_names += 1;
                        let k = match kinds {
                            Some(k) => k,
                            None => spans.entry(s.name.clone()).or_default(),
                        };
                        k.push(SpanAcc::new(s.kind));
                        let last = k.len() - 1;
                        &mut k[last]
                    }
                };
                acc.ingest(s, res, ctx);
                counts.spans += 1;
            }
            Item::Log(r, severity) => {
                let max_templates = opts.max_items.min(MAX_TEMPLATES_PER_SEVERITY);
                let entries = logs.get_mut(severity.as_ref());
                let known = entries
                    .as_ref()
                    .and_then(|e| e.iter().position(|a| a.number == r.severity_number));
                let acc = match (entries, known) {
                    (Some(e), Some(i)) => &mut e[i],
                    _ if ctx.frozen || !ctx.caps.reserve_item(ItemKind::Log, ctx.max_items) => {
                        ctx.refuse(ctx.new_item_cap(), 1, None);
                        counts.dropped = ctx.dropped;
                        return;
                    }
                    (entries, _) => {
                        counts.severities += 1;
                        let e = match entries {
                            Some(e) => e,
                            None => logs.entry(severity.into_owned()).or_default(),
                        };
                        e.push(LogAcc::new(r.severity_number, max_templates));
                        let last = e.len() - 1;
                        &mut e[last]
                    }
                };
                acc.ingest(r, res, ctx);
                counts.log_records += 1;
            }
        }
        counts.dropped = ctx.dropped;
    }

    /// Stops all growth: from now on no new item, key, value sample, template, service or event
    /// name is created (each refused one is counted in `dropped`) and no set of values grows;
    /// what exists keeps counting. For an analyzer past its memory budget.
    pub fn freeze(&mut self) {
        self.ctx.caps.freeze();
        self.ctx.sync();
    }

    /// Heap bytes [`Analyzer::finish`] (or [`Analyzer::finish_pending`]) needs beyond the
    /// state while it chooses the catalog's keys: nothing while the distinct names fit
    /// `max_items`, else [`CATALOG_CHOICE_BYTES`] per key entry. A byte budget charges it to
    /// the state, since the state is still held then. (The catalog's own entries are bounded
    /// by `max_items`, not by the state: a fixed cost.)
    pub fn finish_reserve(&self) -> u64 {
        finish_reserve(&self.ctx.caps, self.ctx.max_items)
    }

    /// Whether [`Analyzer::freeze`] was called.
    pub fn is_frozen(&self) -> bool {
        self.ctx.frozen
    }

    /// Adds `n` strings cut by [`limits::cap_request`] before ingesting, to be counted in
    /// `capture.truncated`.
    pub fn note_truncated(&mut self, n: u64) {
        self.ctx.truncated += n;
    }

    /// Strings cut to their length cap so far.
    pub fn truncated(&self) -> u64 {
        self.ctx.truncated
    }

    /// Totals so far.
    pub fn counts(&self) -> LiveCounts {
        self.counts
    }

    /// The options in effect.
    pub fn options(&self) -> &AnalyzerOptions {
        &self.opts
    }

    /// Writes everything seen into `session.data` and `session.signals` (then canonicalizes).
    ///
    /// `session.data` is replaced; the drops are added to `session.capture` when it is set;
    /// `observed` and `completeness` are set from what was seen and refused.
    pub fn finish(self, session: &mut Session) {
        let pending = self.finish_pending(session);
        session.data.metrics = pending.metrics.collect();
        session.data.attributes = pending.attributes.collect();
        session.canonicalize();
    }

    /// [`Analyzer::finish`] without building the metrics and the attribute catalog: `session`
    /// gets everything else (its stats already count them), and they come from the returned
    /// iterators, each entry built when it is reached. Writing them one by one
    /// ([`crate::session::format::to_gzip_streaming`]) gives the same bytes as finishing and
    /// writing the whole session, without ever holding the session form of every metric
    /// beside the analyzer's (several times its size for key-heavy input), nor the session
    /// form of every catalog key (up to `max_items` of them, several hundred bytes each).
    pub fn finish_pending(self, session: &mut Session) -> Pending {
        let Analyzer {
            opts,
            mut ctx,
            metrics,
            spans,
            logs,
            requests,
            request_time_fallback,
            ..
        } = self;
        let attributes = build_catalog(&metrics, &spans, &logs, &opts, &mut ctx);
        let mut signals = Vec::new();
        if !metrics.is_empty() {
            signals.push(Signal::Metrics);
        }
        if !spans.is_empty() {
            signals.push(Signal::Traces);
        }
        if !logs.is_empty() {
            signals.push(Signal::Logs);
        }
        // In name order (what canonicalize wants); each accumulator is freed as soon as its
        // metric is built.
        let mut metrics: Vec<(Box<str>, Box<MetricAcc>)> = metrics.into_iter().collect();
        metrics.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let incomplete_metrics = metrics.iter().filter(|(_, a)| a.is_incomplete()).count();
        let mut services: std::collections::BTreeSet<String> = Default::default();
        for (_, a) in &metrics {
            for s in a.service_names() {
                if !services.contains(s) {
                    services.insert(s.to_string());
                }
            }
        }
        let d = &mut session.data;
        d.metrics = Vec::new();
        d.spans = spans
            .into_iter()
            .flat_map(|(n, v)| v.into_iter().map(move |a| a.into_meta(n.clone())))
            .collect();
        d.logs = logs
            .into_iter()
            .flat_map(|(n, v)| v.into_iter().map(move |a| a.into_meta(n.clone())))
            .collect();
        d.attributes = Vec::new();
        session.signals = signals;
        let incomplete_items = incomplete_metrics
            + d.spans.iter().filter(|s| s.incomplete.is_some()).count()
            + d.logs.iter().filter(|l| l.incomplete.is_some()).count();
        session.completeness = ctx.completeness(incomplete_items as u64);
        session.observed = Some(observed(ctx.times, requests, request_time_fallback));
        if let Some(c) = session.capture.as_mut() {
            c.dropped += ctx.dropped;
            c.truncated += ctx.truncated;
        }
        session.canonicalize();
        // The stats as `canonicalize` computes them once the metrics are in.
        services.extend(session.stats.services.drain(..));
        session.stats.services = services.into_iter().collect();
        session.stats.metrics_count = metrics.len() as u64;
        session.stats.attributes_count = attributes.len() as u64;
        Pending {
            metrics: PendingMetrics {
                inner: metrics.into_iter(),
            },
            attributes: PendingAttributes {
                inner: attributes.into_iter(),
            },
        }
    }
}

/// [`Analyzer::finish_reserve`] from the caps' counters (which a sharded analyzer shares).
fn finish_reserve(caps: &GlobalCaps, max_items: usize) -> u64 {
    if caps.names() > max_items {
        (caps.key_entries() * CATALOG_CHOICE_BYTES) as u64
    } else {
        0
    }
}

/// What [`Analyzer::finish_pending`] leaves to be built while it is written, in canonical
/// order: the metrics, then the attribute catalog (the order of a session file).
pub struct Pending {
    /// The metrics, by name.
    pub metrics: PendingMetrics,
    /// The attribute catalog, by key.
    pub attributes: PendingAttributes,
}

/// The attribute catalog of a finished analyzer, built one key at a time in key order
/// (canonical). See [`Analyzer::finish_pending`].
pub struct PendingAttributes {
    inner: std::vec::IntoIter<(Arc<str>, CatAcc)>,
}

impl Iterator for PendingAttributes {
    type Item = AttributeMeta;

    fn next(&mut self) -> Option<AttributeMeta> {
        let (key, c) = self.inner.next()?;
        Some(c.into_meta(&key))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for PendingAttributes {}

/// The metrics of a finished analyzer, built one at a time in name order (canonical), each
/// accumulator freed as its metric is built. See [`Analyzer::finish_pending`].
pub struct PendingMetrics {
    inner: std::vec::IntoIter<(Box<str>, Box<MetricAcc>)>,
}

impl Iterator for PendingMetrics {
    type Item = crate::session::MetricMeta;

    fn next(&mut self) -> Option<Self::Item> {
        let (name, acc) = self.inner.next()?;
        let mut m = acc.into_meta(String::from(name));
        m.canonicalize();
        Some(m)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for PendingMetrics {}

/// The observed window by the rule in [`crate::session::Observed`].
fn observed(
    telemetry: Option<(u64, u64)>,
    requests: Option<(DateTime<Utc>, DateTime<Utc>)>,
    request_fallback: bool,
) -> Observed {
    let at = |ns: u64| DateTime::<Utc>::from_timestamp_nanos(i64::try_from(ns).unwrap_or(i64::MAX));
    // Telemetry that carries times decides, even when they span no time at all (one
    // instant): the receive times of its requests would then make rates depend on pacing.
    if let Some((lo, hi)) = telemetry {
        return Observed::single(Observed::TELEMETRY, at(lo), at(hi));
    }
    match requests {
        Some((a, b)) if request_fallback => Observed::single(Observed::REQUESTS, a, b),
        _ => Observed::none(),
    }
}

const SIG_METRICS: u8 = 1;
const SIG_TRACES: u8 = 2;
const SIG_LOGS: u8 = 4;
const SCOPE_RESOURCE: u8 = 1;
const SCOPE_ATTRIBUTE: u8 = 2;

/// One catalog key's statistics merged across items, until its entry is written.
struct CatAcc {
    acc: KeyAcc,
    signals: u8,
    scope: u8,
}

impl CatAcc {
    /// The session form of the catalog entry for `key`.
    fn into_meta(self, key: &str) -> AttributeMeta {
        let c = self;
        let (estimated_cardinality, sketch) = c.acc.card.finish();
        let evidence = c.acc.ev.finish(estimated_cardinality);
        // In sorted order (what canonicalize wants).
        let mut signal_types = Vec::new();
        for (bit, name) in [
            (SIG_LOGS, "logs"),
            (SIG_METRICS, "metrics"),
            (SIG_TRACES, "traces"),
        ] {
            if c.signals & bit != 0 {
                signal_types.push(name.to_string());
            }
        }
        let scope = match c.scope {
            SCOPE_RESOURCE => "resource",
            SCOPE_ATTRIBUTE => "attribute",
            _ => "both",
        };
        AttributeMeta {
            key: key.to_string(),
            count: c.acc.count,
            estimated_cardinality: estimated_cardinality.min(c.acc.count),
            value_samples: c.acc.samples.to_vec(),
            signal_types,
            scope: scope.to_string(),
            first_seen: Some(c.acc.first_seen),
            last_seen: Some(c.acc.last_seen),
            sketch: Some(sketch),
            evidence: Some(Box::new(evidence)),
            ..Default::default()
        }
    }
}

/// Calls `f` with every item's key maps, with their signal and scope, in the order the
/// catalog merges them: items in sorted order, so the catalog's samples are deterministic
/// (first seen in item order, not in time).
fn for_each_key_map<'a>(
    metrics: &'a HashMap<Box<str>, Box<MetricAcc>>,
    spans: &'a HashMap<String, Vec<SpanAcc>>,
    logs: &'a HashMap<String, Vec<LogAcc>>,
    mut f: impl FnMut(&'a state::KeyMap, u8, u8),
) {
    for name in sorted_keys(metrics) {
        let m = &metrics[name];
        f(&m.label_keys, SIG_METRICS, SCOPE_ATTRIBUTE);
        f(&m.resource_keys, SIG_METRICS, SCOPE_RESOURCE);
    }
    for name in sorted_keys(spans) {
        for s in &spans[name] {
            f(&s.attrs, SIG_TRACES, SCOPE_ATTRIBUTE);
            let mut evs: Vec<&String> = s.events.keys().collect();
            evs.sort();
            for ev in evs {
                f(&s.events[ev].keys, SIG_TRACES, SCOPE_ATTRIBUTE);
            }
            f(&s.link_keys, SIG_TRACES, SCOPE_ATTRIBUTE);
            f(&s.resource_keys, SIG_TRACES, SCOPE_RESOURCE);
        }
    }
    for name in sorted_keys(logs) {
        for l in &logs[name] {
            f(&l.attrs, SIG_LOGS, SCOPE_ATTRIBUTE);
            f(&l.resource_keys, SIG_LOGS, SCOPE_RESOURCE);
        }
    }
}

/// Bytes the catalog's choice of keys takes per key entry while the analyzer finishes (name,
/// first seen, count): what a byte budget reserves for it, see [`Analyzer::finish_reserve`].
pub const CATALOG_CHOICE_BYTES: usize = std::mem::size_of::<KeyChoice<'static>>();

/// One key entry while the catalog chooses its keys: name, first seen, count.
type KeyChoice<'a> = (&'a Arc<str>, DateTime<Utc>, u64);

/// Merges every item's key statistics into the catalog, at most `max_items` keys: the keys
/// seen first (ties by name); the others are counted as dropped. The entries come sorted by
/// key, still in accumulator form: each becomes an [`AttributeMeta`] only when written.
fn build_catalog(
    metrics: &HashMap<Box<str>, Box<MetricAcc>>,
    spans: &HashMap<String, Vec<SpanAcc>>,
    logs: &HashMap<String, Vec<LogAcc>>,
    opts: &AnalyzerOptions,
    ctx: &mut Ctx,
) -> Vec<(Arc<str>, CatAcc)> {
    // Which keys the catalog keeps is decided first, from each key's first time and count
    // alone, so only the kept keys ever get an accumulator: with many distinct keys (hostile
    // input) accumulating all of them would cost about as much as the analyzer's state again.
    // The interned names bound the distinct keys, so most captures skip this pass and take
    // every name as a candidate (a service name that is no key simply gets no entry).
    let mut keys: Vec<Arc<str>> = if ctx.names.len() > ctx.max_items {
        // One flat vector (sorted by name, duplicates folded in place) rather than a hash map
        // and a copy of it: this runs on the largest states, while the state is still held.
        let mut all: Vec<KeyChoice<'_>> = Vec::with_capacity(ctx.key_entries);
        for_each_key_map(metrics, spans, logs, |map, _, _| {
            all.extend(
                map.map
                    .iter_shared()
                    .map(|(k, a)| (k, a.first_seen, a.count)),
            );
        });
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 = kept.1.min(later.1);
                kept.2 += later.2;
            }
            same
        });
        if all.len() > ctx.max_items {
            all.select_nth_unstable_by(ctx.max_items, |a, b| a.1.cmp(&b.1).then(a.0.cmp(b.0)));
            for (_, _, count) in all.drain(ctx.max_items..) {
                ctx.refuse(Cap::Catalog, count, None);
            }
        }
        let keys = all.iter().map(|(k, _, _)| Arc::clone(k)).collect();
        drop(all);
        keys
    } else {
        ctx.names.iter().cloned().collect()
    };
    keys.sort_unstable();
    let mut cat: Vec<Option<CatAcc>> = Vec::new();
    cat.resize_with(keys.len(), || None);
    let samples = opts.samples;
    for_each_key_map(metrics, spans, logs, |map, signal, scope| {
        add(samples, map, signal, scope, &keys, &mut cat);
    });
    keys.into_iter()
        .zip(cat)
        .filter_map(|(k, c)| Some((k, c?)))
        .collect()
}

/// Merges one item's key map into the catalog, whose entries are `cat`, one per name of the
/// sorted `keys` (names not there are not kept).
fn add(
    samples: usize,
    map: &state::KeyMap,
    signal: u8,
    scope: u8,
    keys: &[Arc<str>],
    cat: &mut [Option<CatAcc>],
) {
    for (k, a) in map.map.iter() {
        let Ok(i) = keys.binary_search_by(|x| (**x).cmp(k)) else {
            continue;
        };
        let c = cat[i].get_or_insert_with(|| CatAcc {
            acc: KeyAcc::empty(a.first_seen),
            signals: 0,
            scope: 0,
        });
        c.signals |= signal;
        c.scope |= scope;
        c.acc.count += a.count;
        c.acc.card.merge(&a.card);
        c.acc.ev.merge(&a.ev);
        c.acc.first_seen = c.acc.first_seen.min(a.first_seen);
        c.acc.last_seen = c.acc.last_seen.max(a.last_seen);
        if c.acc.samples.len() < samples {
            for (h, s) in a.samples.iter() {
                c.acc.add_sample(h, s, samples);
            }
        }
    }
}

fn sorted_keys<K: Ord, V>(m: &HashMap<K, V>) -> Vec<&K> {
    let mut k: Vec<&K> = m.keys().collect();
    k.sort();
    k
}
