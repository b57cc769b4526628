//! Merge: combine sessions with exact HyperLogLog unions.
//!
//! [`merge`] is pure: sessions in, one session and its warnings out; nothing is printed or
//! written. The rules (issue #6):
//!
//! | field | rule |
//! |---|---|
//! | sample, key, data point and template counts | summed |
//! | sketches (keys, attributes, active series) | HyperLogLog union; estimate recomputed from it |
//! | percentages | recomputed from the merged counts |
//! | value samples | union in first-seen order (source order), capped at the samples limit |
//! | first_seen / last_seen, capture window | earliest / latest |
//! | observed time (what rates are per) | union of the sources' windows, overlaps counted once |
//! | estimates (distinct values, active series) | never above the merged occurrence count |
//! | incompleteness | an item is incomplete when any source's is; refusals summed |
//! | services | union of the maps, counts summed |
//! | key sets, event names, status codes, bucket bounds, scales | union |
//! | body templates | identical templates merged: counts summed, the first example kept |
//! | an estimate with no mergeable sketch | the largest estimate, marked approximate |
//! | same metric name, different type or unit | the variant with more samples is kept; the other's type/unit is recorded as a conflict and warned about |
//!
//! Every estimate and count is independent of the order of the sources and of how a merge of
//! many is grouped into merges of two (property-tested in `tests/merge_props.rs`), with one
//! exception: a metric whose type or unit differs between sources keeps one variant and drops
//! the others' data, so which variant wins can depend on the grouping.
//!
//! `--services` keeps the items (metrics, span names, severities) seen from any of the listed
//! services and trims their service maps to those services; their other counts cannot be split
//! by service and are kept whole. With either filter, the attribute catalog keeps only the keys
//! that still occur on a kept item.

mod dense;
mod keys;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

pub use keys::percentage;
use keys::{Est, KeyCtx, implied_denominator, union_samples};

use crate::session::model::{
    AttributeMeta, BodyTemplate, CaptureInfo, Completeness, Conflict, Incomplete, KeyStatsMap,
    LogMeta, MetricMeta, Observed, Producer, ServiceCounts, Session, SessionData, Signal, SpanMeta,
    now_utc,
};
use crate::sketch::SketchError;

/// Samples kept per key when the sources do not show their limit (the analyzer's default).
pub const DEFAULT_SAMPLES: usize = 5;

/// What to merge into and what to keep.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// Id of the result.
    pub id: String,
    /// Description of the result; `None` writes "merge of a, b, c".
    pub description: Option<String>,
    /// Keep only these signals (`None` = all).
    pub signals: Option<BTreeSet<Signal>>,
    /// Keep only items seen from these services (`None` = all).
    pub services: Option<BTreeSet<String>>,
    /// Value samples kept per key; `None` infers the sources' limit (see [`samples_limit`]).
    pub samples: Option<usize>,
    /// Creation time written into the result.
    pub created: DateTime<Utc>,
}

impl MergeOptions {
    /// Options for a result named `id`, created now, keeping everything.
    pub fn new(id: impl Into<String>) -> Self {
        MergeOptions {
            id: id.into(),
            description: None,
            signals: None,
            services: None,
            samples: None,
            created: now_utc(),
        }
    }
}

/// The merged session and what the caller should warn about.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    /// The result, canonicalized.
    pub session: Session,
    /// One line each, without a `warning:` prefix.
    pub warnings: Vec<String>,
    /// Sketches decoded for unions (for benchmarks: identical sketches are not decoded).
    pub sketches_decoded: u64,
}

/// Why sessions could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// No sources were given.
    #[error("nothing to merge: give at least one session")]
    Empty,
    #[error(
        "cannot merge {what}: '{a}' and '{b}' hold sketches that cannot be combined ({reason}); re-capture or re-import them with the same otelsnap version"
    )]
    /// Two sources hold sketches of different precisions or encodings.
    Incompatible {
        /// The item and key, for the message.
        what: String,
        /// One source's id.
        a: String,
        /// The other source's id.
        b: String,
        /// Why they cannot be combined.
        reason: SketchError,
    },
    #[error(
        "cannot merge {what}: the sketch in '{source_id}' is unreadable ({reason}); re-capture or re-import that session"
    )]
    /// A source's sketch does not decode.
    Corrupt {
        /// The item and key, for the message.
        what: String,
        /// The source's id.
        source_id: String,
        /// What is wrong with the sketch.
        reason: SketchError,
    },
}

/// Items in all sources: the unit a progress bar counts.
pub fn item_count(sources: &[Session]) -> u64 {
    sources
        .iter()
        .map(|s| {
            let d = &s.data;
            (d.metrics.len() + d.spans.len() + d.logs.len() + d.attributes.len()) as u64
        })
        .sum()
}

/// The samples limit the sources were captured with, as far as they show it: the most samples
/// of any key that has more distinct values than samples (its samples were cut at the limit);
/// when no key was cut, the larger of the most samples seen and [`DEFAULT_SAMPLES`]. Never
/// below the most samples any key has.
pub fn samples_limit(sources: &[Session]) -> usize {
    let mut cut: Option<usize> = None;
    let mut seen = 0usize;
    let mut visit = |n: usize, card: u64| {
        seen = seen.max(n);
        if card > n as u64 {
            cut = Some(cut.map_or(n, |c| c.max(n)));
        }
    };
    for s in sources {
        let d = &s.data;
        for ks in d.key_maps().flat_map(KeyStatsMap::values) {
            visit(ks.value_samples.len(), ks.estimated_cardinality);
        }
        for a in &d.attributes {
            visit(a.value_samples.len(), a.estimated_cardinality);
        }
    }
    // No limit is below a sample actually kept, whatever a foreign file's keys suggest.
    cut.map_or(seen.max(DEFAULT_SAMPLES), |c| c.max(seen))
}

/// Merges `sources` into one session.
pub fn merge(sources: &[Session], opts: &MergeOptions) -> Result<MergeOutcome, MergeError> {
    merge_with_progress(sources, opts, &mut |_| {})
}

/// [`merge`], calling `progress(n)` as each `n` source items are done (see [`item_count`]).
pub fn merge_with_progress(
    sources: &[Session],
    opts: &MergeOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<MergeOutcome, MergeError> {
    if sources.is_empty() {
        return Err(MergeError::Empty);
    }
    let mut m = Merger {
        keys: KeyCtx {
            ids: sources.iter().map(|s| s.id.as_str()).collect(),
            samples: opts.samples.unwrap_or_else(|| samples_limit(sources)),
            approximate_keys: 0,
            decoded: 0,
        },
        opts,
        warnings: Vec::new(),
        progress,
    };
    let want = |sig: Signal| opts.signals.as_ref().is_none_or(|s| s.contains(&sig));
    let mut data = SessionData::default();
    if want(Signal::Metrics) {
        data.metrics = m.metrics(sources)?;
    }
    if want(Signal::Traces) {
        data.spans = m.spans(sources)?;
    }
    if want(Signal::Logs) {
        data.logs = m.logs(sources)?;
    }
    let kept_keys = (opts.signals.is_some() || opts.services.is_some()).then(|| keys_in(&data));
    data.attributes = m.attributes(sources, kept_keys.as_ref())?;

    let mut signals: BTreeSet<Signal> = sources.iter().flat_map(|s| s.signals.clone()).collect();
    for (sig, present) in [
        (Signal::Metrics, !data.metrics.is_empty()),
        (Signal::Traces, !data.spans.is_empty()),
        (Signal::Logs, !data.logs.is_empty()),
    ] {
        if present {
            signals.insert(sig);
        }
    }
    signals.retain(|s| want(*s));

    let mut notes: Vec<String> = Vec::new();
    for n in sources.iter().flat_map(|s| &s.notes) {
        if !notes.contains(n) {
            notes.push(n.clone());
        }
    }
    if m.keys.approximate_keys > 0 {
        m.warnings.push(format!(
            "{} estimates had no mergeable sketch in some source (imported from OCC?); each is the largest estimate seen and is marked approximate",
            m.keys.approximate_keys
        ));
    }

    let ids: Vec<String> = sources.iter().map(|s| s.id.clone()).collect();
    let mut session = Session::new(opts.id.clone());
    session.description = opts
        .description
        .clone()
        .unwrap_or_else(|| format!("merge of {}", ids.join(", ")));
    session.created = opts.created;
    session.signals = signals.into_iter().collect();
    session.capture = merge_capture(sources);
    session.observed = merge_observed(sources);
    session.producer = Some(Producer::current());
    session.merged_from = ids;
    session.notes = notes;
    session.data = data;
    session.completeness = merge_completeness(sources, &session.data);
    session.canonicalize();
    Ok(MergeOutcome {
        session,
        warnings: m.warnings,
        sketches_decoded: m.keys.decoded,
    })
}

/// Earliest start, latest end, sources united, counters summed; `None` when no source has one.
fn merge_capture(sources: &[Session]) -> Option<CaptureInfo> {
    let mut out: Option<CaptureInfo> = None;
    for c in sources.iter().filter_map(|s| s.capture.as_ref()) {
        match &mut out {
            None => out = Some(c.clone()),
            Some(o) => {
                o.started = o.started.min(c.started);
                o.ended = o.ended.max(c.ended);
                o.sources.extend(c.sources.iter().cloned());
                o.requests += c.requests;
                o.rejected += c.rejected;
                o.dropped += c.dropped;
                o.truncated += c.truncated;
                if o.incomplete.is_none() {
                    o.incomplete.clone_from(&c.incomplete);
                }
            }
        }
    }
    if let Some(o) = &mut out {
        o.sources.sort();
        o.sources.dedup();
    }
    out
}

/// The union of the sources' observed time, overlaps counted once (a source from an older file
/// contributes its capture window). `None` only when no source says anything about time.
fn merge_observed(sources: &[Session]) -> Option<Observed> {
    let parts: Vec<Observed> = sources
        .iter()
        .filter_map(|s| match &s.observed {
            Some(o) => Some(o.clone()),
            None => s
                .capture
                .as_ref()
                .map(|c| Observed::single("capture", c.started, c.ended)),
        })
        .collect();
    (!parts.is_empty()).then(|| Observed::union(&parts))
}

/// The sources' refusals summed; incomplete items counted again on the merged items.
fn merge_completeness(sources: &[Session], data: &SessionData) -> Option<Completeness> {
    let mut c = Completeness::default();
    for s in sources {
        if let Some(sc) = &s.completeness {
            c.add(sc);
        }
    }
    c.incomplete_items = (data
        .metrics
        .iter()
        .filter(|m| m.incomplete.is_some())
        .count()
        + data.spans.iter().filter(|s| s.incomplete.is_some()).count()
        + data.logs.iter().filter(|l| l.incomplete.is_some()).count())
        as u64;
    (!c.is_complete()).then_some(c)
}

/// Every attribute key that occurs on an item.
fn keys_in(d: &SessionData) -> BTreeSet<String> {
    d.key_maps().flat_map(|m| m.keys().cloned()).collect()
}

/// Union of service maps, counts summed, trimmed to the kept services.
fn merge_services<'a>(
    maps: impl IntoIterator<Item = &'a ServiceCounts>,
    keep: Option<&BTreeSet<String>>,
) -> ServiceCounts {
    let mut out: BTreeMap<&str, u64> = BTreeMap::new();
    for m in maps {
        for (k, v) in m {
            if keep.is_none_or(|s| s.contains(k)) {
                *out.entry(k.as_str()).or_default() += v;
            }
        }
    }
    out.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The smallest non-empty string: the same choice whatever the order of the sources.
fn min_non_empty<'a>(it: impl IntoIterator<Item = &'a String>) -> String {
    it.into_iter()
        .filter(|s| !s.is_empty())
        .min()
        .cloned()
        .unwrap_or_default()
}

/// Sorted union of string lists.
fn union_sorted<'a>(it: impl IntoIterator<Item = &'a Vec<String>>) -> Vec<String> {
    let set: BTreeSet<&String> = it.into_iter().flatten().collect();
    set.into_iter().cloned().collect()
}

/// One source's key map of an item: (source index, map).
type SourceMap<'a> = (usize, &'a KeyStatsMap);

struct Merger<'o, 'p, 'i> {
    keys: KeyCtx<'i>,
    opts: &'o MergeOptions,
    warnings: Vec<String>,
    progress: &'p mut dyn FnMut(u64),
}

impl Merger<'_, '_, '_> {
    /// True when an item with these services passes `--services`.
    fn keep(&self, services: &ServiceCounts) -> bool {
        self.opts
            .services
            .as_ref()
            .is_none_or(|keep| services.keys().any(|s| keep.contains(s)))
    }

    fn metrics(&mut self, sources: &[Session]) -> Result<Vec<MetricMeta>, MergeError> {
        let mut groups: BTreeMap<&str, Vec<(usize, &MetricMeta)>> = BTreeMap::new();
        let mut skipped = 0u64;
        for (i, s) in sources.iter().enumerate() {
            for m in &s.data.metrics {
                if self.keep(&m.services) {
                    groups.entry(m.name.as_str()).or_default().push((i, m));
                } else {
                    skipped += 1;
                }
            }
        }
        (self.progress)(skipped);
        let mut out = Vec::with_capacity(groups.len());
        for (name, group) in groups {
            out.push(self.metric(name, &group)?);
            (self.progress)(group.len() as u64);
        }
        Ok(out)
    }

    fn metric(
        &mut self,
        name: &str,
        group: &[(usize, &MetricMeta)],
    ) -> Result<MetricMeta, MergeError> {
        // Variants by (type, unit); the one with the most samples in all is kept.
        let mut variants: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for (_, m) in group {
            *variants
                .entry((m.metric_type.as_str(), m.unit.as_str()))
                .or_default() += m.sample_count;
        }
        let mut conflicts: Vec<Conflict> = Vec::new();
        let kept: Vec<(usize, &MetricMeta)> = if variants.len() > 1 {
            let (&(ty, unit), _) = variants
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .unwrap_or_else(|| unreachable!("variants is not empty"));
            let (kept, lost): (Vec<_>, Vec<_>) = group
                .iter()
                .partition(|(_, m)| m.metric_type.as_str() == ty && m.unit == unit);
            for (src, m) in &lost {
                let id = self.keys.ids[*src];
                let mut what = Vec::new();
                if m.metric_type.as_str() != ty {
                    conflicts.push(Conflict {
                        field: "type".into(),
                        other: m.metric_type.as_str().into(),
                        source: id.into(),
                    });
                    what.push(format!("type {} (kept {ty})", m.metric_type));
                }
                if m.unit != unit {
                    conflicts.push(Conflict {
                        field: "unit".into(),
                        other: m.unit.clone(),
                        source: id.into(),
                    });
                    what.push(format!("unit '{}' (kept '{unit}')", m.unit));
                }
                conflicts.extend(m.conflicts.iter().cloned());
                let kept_n = variants[&(ty, unit)];
                let lost_n = variants
                    .get(&(m.metric_type.as_str(), m.unit.as_str()))
                    .copied()
                    .unwrap_or(m.sample_count);
                self.warnings.push(if lost_n == kept_n {
                    format!(
                        "metric '{name}': '{id}' has {} with {} samples; a tie ({kept_n} {} each in all), so the variant first in name order was kept and the other recorded as a conflict",
                        what.join(" and "),
                        m.sample_count,
                        if kept_n == 1 { "sample" } else { "samples" },
                    )
                } else {
                    format!(
                        "metric '{name}': '{id}' has {} with {} samples; kept the variant with more samples ({kept_n}) and recorded the other as a conflict",
                        what.join(" and "),
                        m.sample_count,
                    )
                });
            }
            kept
        } else {
            group.to_vec()
        };
        let ms: Vec<&MetricMeta> = kept.iter().map(|(_, m)| *m).collect();
        let first = ms[0];
        let sample_count: u64 = ms.iter().map(|m| m.sample_count).sum();
        let what_key = |map: &str, key: &str| format!("{map} key '{key}' of metric '{name}'");
        let label_maps: Vec<_> = kept.iter().map(|(i, m)| (*i, &m.label_keys)).collect();
        let label_keys = self
            .keys
            .merge_map(&label_maps, sample_count, &|k| what_key("label", k))?;
        let res_maps: Vec<_> = kept.iter().map(|(i, m)| (*i, &m.resource_keys)).collect();
        let resource_keys = self
            .keys
            .merge_map(&res_maps, sample_count, &|k| what_key("resource", k))?;
        let series_parts: Vec<Est<'_>> = kept
            .iter()
            .map(|(i, m)| Est {
                src: *i,
                estimate: m.active_series,
                sketch: m.series_sketch.as_ref(),
                approximate: m.series_approximate,
            })
            .collect();
        let series = self.keys.union(&series_parts, &|| {
            format!("the series sketch of metric '{name}'")
        })?;
        for m in &ms {
            conflicts.extend(m.conflicts.iter().cloned());
        }
        let data_point_count: u64 = ms.iter().map(|m| m.data_point_count).sum();
        Ok(MetricMeta {
            name: name.to_string(),
            description: min_non_empty(ms.iter().map(|m| &m.description)),
            unit: first.unit.clone(),
            metric_type: first.metric_type,
            label_keys,
            resource_keys,
            sample_count,
            services: merge_services(ms.iter().map(|m| &m.services), self.opts.services.as_ref()),
            // No more series than data points (a sketch's error could say otherwise).
            active_series: series.estimate.min(data_point_count.max(sample_count)),
            series_sketch: series.sketch,
            series_approximate: series.approximate,
            occ_series_hll: None,
            data_point_count,
            aggregation_temporality: ms
                .iter()
                .filter_map(|m| m.aggregation_temporality.as_ref())
                .min()
                .cloned(),
            is_monotonic: ms.iter().filter_map(|m| m.is_monotonic).max(),
            explicit_bounds: ms
                .iter()
                .flat_map(|m| m.explicit_bounds.iter().copied())
                .collect(),
            scales: ms.iter().flat_map(|m| m.scales.iter().copied()).collect(),
            quantiles: ms
                .iter()
                .flat_map(|m| m.quantiles.iter().copied())
                .collect(),
            conflicts,
            incomplete: ms.iter().fold(None, |acc, m| {
                Incomplete::join(acc.as_ref(), m.incomplete.as_ref())
            }),
        })
    }

    fn spans(&mut self, sources: &[Session]) -> Result<Vec<SpanMeta>, MergeError> {
        let mut groups: BTreeMap<(&str, i32), Vec<(usize, &SpanMeta)>> = BTreeMap::new();
        let mut skipped = 0u64;
        for (i, s) in sources.iter().enumerate() {
            for sp in &s.data.spans {
                if self.keep(&sp.services) {
                    groups
                        .entry((sp.name.as_str(), sp.kind))
                        .or_default()
                        .push((i, sp));
                } else {
                    skipped += 1;
                }
            }
        }
        (self.progress)(skipped);
        let mut out = Vec::with_capacity(groups.len());
        for ((name, kind), group) in groups {
            out.push(self.span(name, kind, &group)?);
            (self.progress)(group.len() as u64);
        }
        Ok(out)
    }

    fn span(
        &mut self,
        name: &str,
        kind: i32,
        group: &[(usize, &SpanMeta)],
    ) -> Result<SpanMeta, MergeError> {
        let sample_count: u64 = group.iter().map(|(_, s)| s.sample_count).sum();
        let what = |map: &str, key: &str| format!("{map} key '{key}' of span '{name}'");
        let maps: Vec<_> = group.iter().map(|(i, s)| (*i, &s.attribute_keys)).collect();
        let attribute_keys = self
            .keys
            .merge_map(&maps, sample_count, &|k| what("attribute", k))?;
        let maps: Vec<_> = group.iter().map(|(i, s)| (*i, &s.resource_keys)).collect();
        let resource_keys = self
            .keys
            .merge_map(&maps, sample_count, &|k| what("resource", k))?;
        let maps: Vec<_> = group
            .iter()
            .map(|(i, s)| (*i, &s.link_attribute_keys))
            .collect();
        let links: u64 = maps.iter().map(|(_, m)| implied_denominator(m)).sum();
        let link_attribute_keys = self
            .keys
            .merge_map(&maps, links, &|k| what("link attribute", k))?;
        let mut events: BTreeMap<&str, Vec<SourceMap<'_>>> = BTreeMap::new();
        for (i, s) in group {
            for (ev, m) in &s.event_attribute_keys {
                events.entry(ev.as_str()).or_default().push((*i, m));
            }
        }
        let mut event_attribute_keys = BTreeMap::new();
        for (ev, maps) in events {
            let n: u64 = maps.iter().map(|(_, m)| implied_denominator(m)).sum();
            let merged = self.keys.merge_map(&maps, n, &|k| {
                format!("attribute key '{k}' of event '{ev}' on span '{name}'")
            })?;
            event_attribute_keys.insert(ev.to_string(), merged);
        }
        Ok(SpanMeta {
            name: name.to_string(),
            kind,
            kind_name: min_non_empty(group.iter().map(|(_, s)| &s.kind_name)),
            attribute_keys,
            event_names: union_sorted(group.iter().map(|(_, s)| &s.event_names)),
            event_attribute_keys,
            link_attribute_keys,
            resource_keys,
            status_codes: union_sorted(group.iter().map(|(_, s)| &s.status_codes)),
            sample_count,
            services: merge_services(
                group.iter().map(|(_, s)| &s.services),
                self.opts.services.as_ref(),
            ),
            name_patterns: None,
            incomplete: group.iter().fold(None, |acc, (_, s)| {
                Incomplete::join(acc.as_ref(), s.incomplete.as_ref())
            }),
        })
    }

    fn logs(&mut self, sources: &[Session]) -> Result<Vec<LogMeta>, MergeError> {
        let mut groups: BTreeMap<(&str, i32), Vec<(usize, &LogMeta)>> = BTreeMap::new();
        let mut skipped = 0u64;
        for (i, s) in sources.iter().enumerate() {
            for l in &s.data.logs {
                if self.keep(&l.services) {
                    groups
                        .entry((l.severity.as_str(), l.severity_number))
                        .or_default()
                        .push((i, l));
                } else {
                    skipped += 1;
                }
            }
        }
        (self.progress)(skipped);
        let mut out = Vec::with_capacity(groups.len());
        for ((severity, number), group) in groups {
            out.push(self.log(severity, number, &group)?);
            (self.progress)(group.len() as u64);
        }
        Ok(out)
    }

    fn log(
        &mut self,
        severity: &str,
        number: i32,
        group: &[(usize, &LogMeta)],
    ) -> Result<LogMeta, MergeError> {
        let sample_count: u64 = group.iter().map(|(_, l)| l.sample_count).sum();
        let what = |map: &str, key: &str| format!("{map} key '{key}' of {severity} logs");
        let maps: Vec<_> = group.iter().map(|(i, l)| (*i, &l.attribute_keys)).collect();
        let attribute_keys = self
            .keys
            .merge_map(&maps, sample_count, &|k| what("attribute", k))?;
        let maps: Vec<_> = group.iter().map(|(i, l)| (*i, &l.resource_keys)).collect();
        let resource_keys = self
            .keys
            .merge_map(&maps, sample_count, &|k| what("resource", k))?;
        let mut templates: BTreeMap<&str, BodyTemplate> = BTreeMap::new();
        for (_, l) in group {
            for t in &l.body_templates {
                let e = templates
                    .entry(t.template.as_str())
                    .or_insert_with(|| BodyTemplate {
                        template: t.template.clone(),
                        count: 0,
                        example: String::new(),
                    });
                e.count += t.count;
                if e.example.is_empty() {
                    e.example.clone_from(&t.example);
                }
            }
        }
        let event_names: BTreeSet<&String> =
            group.iter().flat_map(|(_, l)| &l.event_names).collect();
        Ok(LogMeta {
            severity: severity.to_string(),
            severity_number: number,
            attribute_keys,
            resource_keys,
            body_templates: templates.into_values().collect(),
            event_names: event_names.into_iter().cloned().collect(),
            sample_count,
            services: merge_services(
                group.iter().map(|(_, l)| &l.services),
                self.opts.services.as_ref(),
            ),
            incomplete: group.iter().fold(None, |acc, (_, l)| {
                Incomplete::join(acc.as_ref(), l.incomplete.as_ref())
            }),
        })
    }

    fn attributes(
        &mut self,
        sources: &[Session],
        kept_keys: Option<&BTreeSet<String>>,
    ) -> Result<Vec<AttributeMeta>, MergeError> {
        let mut groups: BTreeMap<&str, Vec<(usize, &AttributeMeta)>> = BTreeMap::new();
        let mut skipped = 0u64;
        for (i, s) in sources.iter().enumerate() {
            for a in &s.data.attributes {
                if kept_keys.is_none_or(|k| k.contains(&a.key)) {
                    groups.entry(a.key.as_str()).or_default().push((i, a));
                } else {
                    skipped += 1;
                }
            }
        }
        (self.progress)(skipped);
        let mut out = Vec::with_capacity(groups.len());
        for (key, group) in groups {
            let parts: Vec<Est<'_>> = group
                .iter()
                .map(|(i, a)| Est {
                    src: *i,
                    estimate: a.estimated_cardinality,
                    sketch: a.sketch.as_ref(),
                    approximate: a.approximate,
                })
                .collect();
            let est = self.keys.union(&parts, &|| format!("attribute '{key}'"))?;
            let mut signal_types = union_sorted(group.iter().map(|(_, a)| &a.signal_types));
            if let Some(keep) = &self.opts.signals {
                signal_types.retain(|t| t.parse::<Signal>().map_or(true, |s| keep.contains(&s)));
            }
            let scopes: BTreeSet<&str> = group
                .iter()
                .map(|(_, a)| a.scope.as_str())
                .filter(|s| !s.is_empty())
                .collect();
            let scope = match scopes.len() {
                0 => String::new(),
                1 => scopes
                    .iter()
                    .next()
                    .copied()
                    .unwrap_or_default()
                    .to_string(),
                _ => "both".to_string(),
            };
            let count: u64 = group.iter().map(|(_, a)| a.count).sum();
            out.push(AttributeMeta {
                key: key.to_string(),
                count,
                estimated_cardinality: est.estimate.min(count),
                value_samples: union_samples(
                    group.iter().map(|(_, a)| &a.value_samples),
                    self.keys.samples,
                ),
                signal_types,
                scope,
                first_seen: group.iter().filter_map(|(_, a)| a.first_seen).min(),
                last_seen: group.iter().filter_map(|(_, a)| a.last_seen).max(),
                sketch: est.sketch,
                approximate: est.approximate,
                occ_hll: None,
                evidence: keys::merge_evidence(
                    group.iter().map(|(_, a)| a.evidence.as_deref()),
                    est.estimate,
                )
                .map(Box::new),
            });
            (self.progress)(group.len() as u64);
        }
        Ok(out)
    }
}
