//! Per-item accumulators: one metric, span name, log severity or catalog attribute across the
//! sources folded so far, settled into the model's item at the end.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::session::model::{
    AttributeMeta, Conflict, Incomplete, LogMeta, MetricMeta, MetricType, ServiceCounts, SpanMeta,
};

use super::MergeError;
use super::keys::{EstAcc, EvAcc, KeyCtx, MapAcc, Part, implied_denominator, settle_map};

/// Service counts summed, trimmed to the kept services (`--services`): the sources' sorted
/// maps merged (most items have one or two services).
#[derive(Debug, Default)]
pub(crate) struct ServicesAcc(ServiceCounts);

impl ServicesAcc {
    fn add(&mut self, mut m: ServiceCounts, keep: Option<&BTreeSet<String>>) {
        if let Some(keep) = keep {
            m.retain(|k, _| keep.contains(k.as_str()));
        }
        if self.0.is_empty() {
            self.0 = m;
            return;
        }
        for (k, v) in m {
            *self.0.get_or_default_key(&k) += v;
        }
    }

    fn finish(self) -> ServiceCounts {
        self.0
    }
}

/// The smallest non-empty string so far: the same choice whatever the order of the sources.
fn keep_min_non_empty(acc: &mut String, s: String) {
    if !s.is_empty() && (acc.is_empty() || s < *acc) {
        *acc = s;
    }
}

fn join_incomplete(acc: &mut Option<Incomplete>, x: Option<Incomplete>) {
    if x.is_some() {
        *acc = Incomplete::join(acc.as_ref(), x.as_ref());
    }
}

/// Sorted, deduplicated numbers; order-free like the final canonical form.
fn add_sorted<T: Copy>(acc: &mut Vec<T>, new: Vec<T>, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) {
    if new.is_empty() {
        return;
    }
    acc.extend(new);
    acc.sort_by(&cmp);
    acc.dedup_by(|a, b| cmp(a, b).is_eq());
}

/// One (type, unit) variant of a metric.
#[derive(Debug)]
pub(crate) struct VariantAcc {
    metric_type: MetricType,
    unit: String,
    /// `(order, source, samples)` of each source item, for the warning when this variant loses.
    items: Vec<(u32, u32, u64)>,
    sample_count: u64,
    data_point_count: u64,
    description: String,
    label_keys: MapAcc,
    resource_keys: MapAcc,
    series: EstAcc,
    services: ServicesAcc,
    aggregation_temporality: Option<String>,
    is_monotonic: Option<bool>,
    explicit_bounds: Vec<f64>,
    scales: Vec<i32>,
    quantiles: Vec<f64>,
    conflicts: Vec<Conflict>,
    incomplete: Option<Incomplete>,
}

impl VariantAcc {
    fn new(metric_type: MetricType, unit: String) -> VariantAcc {
        VariantAcc {
            metric_type,
            unit,
            items: Vec::new(),
            sample_count: 0,
            data_point_count: 0,
            description: String::new(),
            label_keys: MapAcc::default(),
            resource_keys: MapAcc::default(),
            series: EstAcc::default(),
            services: ServicesAcc::default(),
            aggregation_temporality: None,
            is_monotonic: None,
            explicit_bounds: Vec::new(),
            scales: Vec::new(),
            quantiles: Vec::new(),
            conflicts: Vec::new(),
            incomplete: None,
        }
    }
}

/// One metric name across the sources folded so far.
// `One` is the common case and is held inline in the merger's map: boxing it would add an
// allocation per metric to save space only on the metrics seen more than once.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum MetricAcc {
    /// Seen in one source so far, kept whole as it came: the common case when sessions hold
    /// mostly different metrics, and settled in place at the end instead of being taken apart
    /// into accumulators and rebuilt. A second source replays it into `Many`.
    One(usize, MetricMeta),
    /// Seen in several sources.
    Many(ManyMetric),
}

impl MetricAcc {
    /// Folds one more source's metric in (the first is kept by `One`).
    pub(crate) fn add(
        &mut self,
        ctx: &mut KeyCtx,
        src: usize,
        m: MetricMeta,
        keep: Option<&BTreeSet<String>>,
    ) -> Result<(), MergeError> {
        if let MetricAcc::One(..) = self {
            let MetricAcc::One(first_src, first) =
                std::mem::replace(self, MetricAcc::Many(ManyMetric::default()))
            else {
                unreachable!("checked above")
            };
            if let MetricAcc::Many(acc) = self {
                acc.add(ctx, first_src, first, keep)?;
            }
        }
        match self {
            MetricAcc::Many(acc) => acc.add(ctx, src, m, keep),
            MetricAcc::One(..) => unreachable!("made Many above"),
        }
    }

    /// The merged metric, and the warnings about variants that were not kept.
    pub(crate) fn finish(
        self,
        ctx: &mut KeyCtx,
        name: String,
        samples: usize,
        keep: Option<&BTreeSet<String>>,
        warnings: &mut Vec<String>,
    ) -> Result<MetricMeta, MergeError> {
        match self {
            MetricAcc::One(src, m) => finish_one(ctx, src, m, samples, keep),
            MetricAcc::Many(acc) => acc.finish(ctx, name, samples, warnings),
        }
    }
}

/// What `ManyMetric` makes of a single source's metric, computed on the metric in place: the
/// same settling (percentages of its own sample count, samples deduplicated and capped, the
/// estimate judged by `EstAcc`, lists sorted and deduplicated, services trimmed), without the
/// accumulators. `one_metric_settles_as_the_accumulators_do` holds the two to each other.
fn finish_one(
    ctx: &mut KeyCtx,
    src: usize,
    mut m: MetricMeta,
    samples: usize,
    keep: Option<&BTreeSet<String>>,
) -> Result<MetricMeta, MergeError> {
    let n = m.sample_count;
    settle_map(&mut m.label_keys, n, samples);
    settle_map(&mut m.resource_keys, n, samples);
    let mut series = EstAcc::default();
    let what = || format!("the series sketch of metric '{}'", m.name);
    series.add(
        ctx,
        Part {
            src,
            estimate: m.active_series,
            sketch: m.series_sketch.take(),
            approximate: m.series_approximate,
        },
        &what,
    )?;
    let series = series.finish(ctx, &what)?;
    if let Some(keep) = keep {
        m.services.retain(|s, _| keep.contains(s.as_str()));
    }
    // No more series than data points (a sketch's error could say otherwise).
    m.active_series = series.estimate.min(m.data_point_count.max(n));
    m.series_sketch = series.sketch;
    m.series_approximate = series.approximate;
    m.occ_series_hll = None;
    sort_dedup(&mut m.explicit_bounds, f64::total_cmp);
    sort_dedup(&mut m.scales, Ord::cmp);
    sort_dedup(&mut m.quantiles, f64::total_cmp);
    if !m.conflicts.is_empty() {
        m.conflicts.sort();
        m.conflicts.dedup();
    }
    Ok(m)
}

/// Sorted and deduplicated in place, as `add_sorted` leaves a list.
fn sort_dedup<T>(v: &mut Vec<T>, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) {
    if v.is_empty() {
        return;
    }
    v.sort_by(&cmp);
    v.dedup_by(|a, b| cmp(a, b).is_eq());
}

/// One metric name seen in several sources: its variants by (type, unit); the one with the
/// most samples is kept.
#[derive(Debug, Default)]
pub(crate) struct ManyMetric {
    /// Sorted by (type, unit); nearly always one (a map would allocate a node of eleven).
    variants: Vec<((&'static str, String), VariantAcc)>,
    next: u32,
}

impl ManyMetric {
    fn add(
        &mut self,
        ctx: &mut KeyCtx,
        src: usize,
        m: MetricMeta,
        keep: Option<&BTreeSet<String>>,
    ) -> Result<(), MergeError> {
        let name = m.name;
        let vkey = (m.metric_type.as_str(), m.unit);
        let at = match self.variants.binary_search_by(|(k, _)| k.cmp(&vkey)) {
            Ok(at) => at,
            Err(at) => {
                let v = VariantAcc::new(m.metric_type, vkey.1.clone());
                self.variants.insert(at, (vkey, v));
                at
            }
        };
        let v = &mut self.variants[at].1;
        v.items.push((self.next, src as u32, m.sample_count));
        self.next += 1;
        v.sample_count += m.sample_count;
        v.data_point_count += m.data_point_count;
        keep_min_non_empty(&mut v.description, m.description);
        let what_key = |map: &str, key: &str| format!("{map} key '{key}' of metric '{name}'");
        v.label_keys
            .add(ctx, src, m.label_keys, &|k| what_key("label", k))?;
        v.resource_keys
            .add(ctx, src, m.resource_keys, &|k| what_key("resource", k))?;
        v.series.add(
            ctx,
            Part {
                src,
                estimate: m.active_series,
                sketch: m.series_sketch,
                approximate: m.series_approximate,
            },
            &|| format!("the series sketch of metric '{name}'"),
        )?;
        v.services.add(m.services, keep);
        if let Some(t) = m.aggregation_temporality
            && v.aggregation_temporality.as_ref().is_none_or(|a| t < *a)
        {
            v.aggregation_temporality = Some(t);
        }
        v.is_monotonic = v.is_monotonic.max(m.is_monotonic);
        add_sorted(&mut v.explicit_bounds, m.explicit_bounds, f64::total_cmp);
        add_sorted(&mut v.scales, m.scales, Ord::cmp);
        add_sorted(&mut v.quantiles, m.quantiles, f64::total_cmp);
        if !m.conflicts.is_empty() {
            v.conflicts.extend(m.conflicts);
            v.conflicts.sort();
            v.conflicts.dedup();
        }
        join_incomplete(&mut v.incomplete, m.incomplete);
        Ok(())
    }

    fn finish(
        self,
        ctx: &mut KeyCtx,
        name: String,
        samples: usize,
        warnings: &mut Vec<String>,
    ) -> Result<MetricMeta, MergeError> {
        let Some(kept) = self
            .variants
            .iter()
            .enumerate()
            .max_by(|(_, a), (_, b)| a.1.sample_count.cmp(&b.1.sample_count).then(b.0.cmp(&a.0)))
            .map(|(i, _)| i)
        else {
            unreachable!("a metric accumulator is made with its first variant")
        };
        let mut variants = self.variants;
        let (_, mut v) = variants.remove(kept);
        if !variants.is_empty() {
            let (ty, unit) = (v.metric_type, v.unit.clone());
            let kept_n = v.sample_count;
            // Lost source items in the order they came, as one merge of all would list them.
            let mut lost: Vec<(u32, u32, u64, &VariantAcc)> = variants
                .iter()
                .map(|(_, l)| l)
                .flat_map(|l| l.items.iter().map(move |&(o, s, n)| (o, s, n, l)))
                .collect();
            lost.sort_by_key(|x| x.0);
            for (_, src, n, l) in lost {
                let id = ctx.ids.get(src as usize).cloned().unwrap_or_default();
                let mut what = Vec::new();
                if l.metric_type != ty {
                    v.conflicts.push(Conflict {
                        field: "type".into(),
                        other: l.metric_type.as_str().into(),
                        source: id.clone(),
                    });
                    what.push(format!("type {} (kept {ty})", l.metric_type));
                }
                if l.unit != unit {
                    v.conflicts.push(Conflict {
                        field: "unit".into(),
                        other: l.unit.clone(),
                        source: id.clone(),
                    });
                    what.push(format!("unit '{}' (kept '{unit}')", l.unit));
                }
                let lost_n = l.sample_count;
                warnings.push(if lost_n == kept_n {
                    format!(
                        "metric '{name}': '{id}' has {} with {n} samples; a tie ({kept_n} {} each in all), so the variant first in name order was kept and the other recorded as a conflict",
                        what.join(" and "),
                        if kept_n == 1 { "sample" } else { "samples" },
                    )
                } else {
                    format!(
                        "metric '{name}': '{id}' has {} with {n} samples; kept the variant with more samples ({kept_n}) and recorded the other as a conflict",
                        what.join(" and "),
                    )
                });
            }
            for (_, l) in variants {
                v.conflicts.extend(l.conflicts);
            }
        }
        let sample_count = v.sample_count;
        let what_key = |map: &str, key: &str| format!("{map} key '{key}' of metric '{name}'");
        let label_keys = v
            .label_keys
            .finish(ctx, sample_count, samples, &|k| what_key("label", k))?;
        let resource_keys = v
            .resource_keys
            .finish(ctx, sample_count, samples, &|k| what_key("resource", k))?;
        let series = v
            .series
            .finish(ctx, &|| format!("the series sketch of metric '{name}'"))?;
        let data_point_count = v.data_point_count;
        Ok(MetricMeta {
            description: v.description,
            unit: v.unit,
            metric_type: v.metric_type,
            label_keys,
            resource_keys,
            sample_count,
            services: v.services.finish(),
            // No more series than data points (a sketch's error could say otherwise).
            active_series: series.estimate.min(data_point_count.max(sample_count)),
            series_sketch: series.sketch,
            series_approximate: series.approximate,
            occ_series_hll: None,
            data_point_count,
            aggregation_temporality: v.aggregation_temporality,
            is_monotonic: v.is_monotonic,
            explicit_bounds: v.explicit_bounds,
            scales: v.scales,
            quantiles: v.quantiles,
            conflicts: v.conflicts,
            incomplete: v.incomplete,
            name,
        })
    }
}

/// One span name and kind.
#[derive(Debug, Default)]
pub(crate) struct SpanAcc {
    kind_name: String,
    attribute_keys: MapAcc,
    resource_keys: MapAcc,
    link_attribute_keys: MapAcc,
    links: u64,
    events: BTreeMap<String, (MapAcc, u64)>,
    event_names: BTreeSet<String>,
    status_codes: BTreeSet<String>,
    sample_count: u64,
    services: ServicesAcc,
    incomplete: Option<Incomplete>,
}

impl SpanAcc {
    pub(crate) fn add(
        &mut self,
        ctx: &mut KeyCtx,
        src: usize,
        s: SpanMeta,
        keep: Option<&BTreeSet<String>>,
    ) -> Result<(), MergeError> {
        let name = s.name;
        let what = |map: &str, key: &str| format!("{map} key '{key}' of span '{name}'");
        keep_min_non_empty(&mut self.kind_name, s.kind_name);
        self.sample_count += s.sample_count;
        self.attribute_keys
            .add(ctx, src, s.attribute_keys, &|k| what("attribute", k))?;
        self.resource_keys
            .add(ctx, src, s.resource_keys, &|k| what("resource", k))?;
        self.links += implied_denominator(&s.link_attribute_keys);
        self.link_attribute_keys
            .add(ctx, src, s.link_attribute_keys, &|k| {
                what("link attribute", k)
            })?;
        for (ev, m) in s.event_attribute_keys {
            let n = implied_denominator(&m);
            let e = self.events.entry(ev.clone()).or_default();
            e.1 += n;
            e.0.add(ctx, src, m, &|k| {
                format!("attribute key '{k}' of event '{ev}' on span '{name}'")
            })?;
        }
        self.event_names.extend(s.event_names);
        self.status_codes.extend(s.status_codes);
        self.services.add(s.services, keep);
        join_incomplete(&mut self.incomplete, s.incomplete);
        Ok(())
    }

    pub(crate) fn finish(
        self,
        ctx: &mut KeyCtx,
        name: String,
        kind: i32,
        samples: usize,
    ) -> Result<SpanMeta, MergeError> {
        let what = |map: &str, key: &str| format!("{map} key '{key}' of span '{name}'");
        let n = self.sample_count;
        let attribute_keys = self
            .attribute_keys
            .finish(ctx, n, samples, &|k| what("attribute", k))?;
        let resource_keys = self
            .resource_keys
            .finish(ctx, n, samples, &|k| what("resource", k))?;
        let link_attribute_keys =
            self.link_attribute_keys
                .finish(ctx, self.links, samples, &|k| what("link attribute", k))?;
        let mut event_attribute_keys = BTreeMap::new();
        for (ev, (m, n)) in self.events {
            let merged = m.finish(ctx, n, samples, &|k| {
                format!("attribute key '{k}' of event '{ev}' on span '{name}'")
            })?;
            event_attribute_keys.insert(ev, merged);
        }
        Ok(SpanMeta {
            kind,
            kind_name: self.kind_name,
            attribute_keys,
            event_names: self.event_names.into_iter().collect(),
            event_attribute_keys,
            link_attribute_keys,
            resource_keys,
            status_codes: self.status_codes.into_iter().collect(),
            sample_count: n,
            services: self.services.finish(),
            name_patterns: None,
            incomplete: self.incomplete,
            name,
        })
    }
}

/// One log severity.
#[derive(Debug, Default)]
pub(crate) struct LogAcc {
    attribute_keys: MapAcc,
    resource_keys: MapAcc,
    /// Template → (count, first non-empty example).
    templates: BTreeMap<String, (u64, String)>,
    event_names: BTreeSet<String>,
    sample_count: u64,
    services: ServicesAcc,
    incomplete: Option<Incomplete>,
}

impl LogAcc {
    pub(crate) fn add(
        &mut self,
        ctx: &mut KeyCtx,
        src: usize,
        l: LogMeta,
        keep: Option<&BTreeSet<String>>,
    ) -> Result<(), MergeError> {
        let severity = l.severity;
        let what = |map: &str, key: &str| format!("{map} key '{key}' of {severity} logs");
        self.sample_count += l.sample_count;
        self.attribute_keys
            .add(ctx, src, l.attribute_keys, &|k| what("attribute", k))?;
        self.resource_keys
            .add(ctx, src, l.resource_keys, &|k| what("resource", k))?;
        for t in l.body_templates {
            let e = self.templates.entry(t.template).or_default();
            e.0 += t.count;
            if e.1.is_empty() {
                e.1 = t.example;
            }
        }
        self.event_names.extend(l.event_names);
        self.services.add(l.services, keep);
        join_incomplete(&mut self.incomplete, l.incomplete);
        Ok(())
    }

    pub(crate) fn finish(
        self,
        ctx: &mut KeyCtx,
        severity: String,
        number: i32,
        samples: usize,
    ) -> Result<LogMeta, MergeError> {
        let what = |map: &str, key: &str| format!("{map} key '{key}' of {severity} logs");
        let n = self.sample_count;
        let attribute_keys = self
            .attribute_keys
            .finish(ctx, n, samples, &|k| what("attribute", k))?;
        let resource_keys = self
            .resource_keys
            .finish(ctx, n, samples, &|k| what("resource", k))?;
        Ok(LogMeta {
            severity_number: number,
            attribute_keys,
            resource_keys,
            body_templates: self
                .templates
                .into_iter()
                .map(
                    |(template, (count, example))| crate::session::model::BodyTemplate {
                        template,
                        count,
                        example,
                    },
                )
                .collect(),
            event_names: self.event_names.into_iter().collect(),
            sample_count: n,
            services: self.services.finish(),
            incomplete: self.incomplete,
            severity,
        })
    }
}

/// One key of the attribute catalog.
#[derive(Debug, Default)]
pub(crate) struct AttrAcc {
    count: u64,
    est: EstAcc,
    samples: Vec<String>,
    signal_types: BTreeSet<String>,
    scopes: BTreeSet<String>,
    first_seen: Option<DateTime<Utc>>,
    last_seen: Option<DateTime<Utc>>,
    ev: EvAcc,
}

impl AttrAcc {
    pub(crate) fn add(
        &mut self,
        ctx: &mut KeyCtx,
        src: usize,
        a: AttributeMeta,
    ) -> Result<(), MergeError> {
        let key = a.key;
        self.count += a.count;
        self.est.add(
            ctx,
            Part {
                src,
                estimate: a.estimated_cardinality,
                sketch: a.sketch,
                approximate: a.approximate,
            },
            &|| format!("attribute '{key}'"),
        )?;
        ctx.add_samples(&mut self.samples, a.value_samples);
        self.signal_types.extend(a.signal_types);
        if !a.scope.is_empty() {
            self.scopes.insert(a.scope);
        }
        self.first_seen = match (self.first_seen, a.first_seen) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        self.last_seen = self.last_seen.max(a.last_seen);
        self.ev.add(a.evidence.map(|b| *b));
        Ok(())
    }

    pub(crate) fn finish(
        self,
        ctx: &mut KeyCtx,
        key: String,
        samples: usize,
        signals: Option<&BTreeSet<crate::session::model::Signal>>,
    ) -> Result<AttributeMeta, MergeError> {
        let est = self.est.finish(ctx, &|| format!("attribute '{key}'"))?;
        let mut signal_types: Vec<String> = self.signal_types.into_iter().collect();
        if let Some(keep) = signals {
            signal_types.retain(|t| {
                t.parse::<crate::session::model::Signal>()
                    .map_or(true, |s| keep.contains(&s))
            });
        }
        let scope = match self.scopes.len() {
            0 => String::new(),
            1 => self.scopes.into_iter().next().unwrap_or_default(),
            _ => "both".to_string(),
        };
        let mut value_samples = self.samples;
        value_samples.truncate(samples);
        Ok(AttributeMeta {
            key,
            count: self.count,
            estimated_cardinality: est.estimate.min(self.count),
            value_samples,
            signal_types,
            scope,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            sketch: est.sketch,
            approximate: est.approximate,
            occ_hll: None,
            evidence: self.ev.finish(est.estimate).map(Box::new),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::model::{Conflict, KeyStats, SketchData};
    use crate::sketch::Sketch;

    fn sketch_of(values: impl Iterator<Item = String>) -> (u64, SketchData) {
        let mut s = Sketch::new();
        for v in values {
            s.insert(v.as_bytes());
        }
        (s.estimate(), s.to_data())
    }

    fn key(count: u64, samples: &[&str], distinct: u64) -> KeyStats {
        let (est, sk) = sketch_of((0..distinct).map(|i| format!("v{i}")));
        KeyStats {
            count,
            percentage: 12.5,
            estimated_cardinality: est,
            value_samples: samples.iter().map(|s| s.to_string()).collect(),
            sketch: Some(std::sync::Arc::new(sk)),
            ..Default::default()
        }
    }

    /// Metrics covering what settling a single source's metric changes.
    fn metrics() -> Vec<MetricMeta> {
        let (series, sk) = sketch_of((0..40).map(|i| format!("s{i}")));
        let base = MetricMeta {
            name: "m".into(),
            description: "d".into(),
            unit: "ms".into(),
            metric_type: MetricType::Histogram,
            label_keys: [
                (
                    "a".to_string(),
                    key(7, &["x", "y", "x", "z", "w", "v", "u"], 9),
                ),
                ("b".to_string(), key(3, &["q"], 1)),
            ]
            .into(),
            resource_keys: [("r".to_string(), key(10, &["1", "1", "2"], 2))].into(),
            sample_count: 10,
            data_point_count: 12,
            services: [("a".to_string(), 4), ("b".to_string(), 6)].into(),
            active_series: series,
            series_sketch: Some(sk),
            explicit_bounds: vec![5.0, 1.0, 5.0, 2.5],
            scales: vec![3, -1, 3],
            quantiles: vec![0.99, 0.5],
            conflicts: vec![
                Conflict {
                    field: "unit".into(),
                    other: "s".into(),
                    source: "z".into(),
                },
                Conflict {
                    field: "type".into(),
                    other: "sum".into(),
                    source: "a".into(),
                },
                Conflict {
                    field: "unit".into(),
                    other: "s".into(),
                    source: "z".into(),
                },
            ],
            incomplete: Some(Incomplete {
                dropped: 3,
                caps: vec!["keys".into(), "items".into()],
            }),
            ..Default::default()
        };
        let mut out = vec![base.clone()];
        // An estimate without a sketch, an approximate one, none at all, and one above the
        // data points.
        let mut m = base.clone();
        m.series_sketch = None;
        out.push(m);
        let mut m = base.clone();
        m.series_approximate = true;
        m.active_series = 1000;
        out.push(m);
        let mut m = base.clone();
        m.series_sketch = None;
        m.active_series = 0;
        out.push(m);
        let mut m = base.clone();
        m.data_point_count = 3;
        m.sample_count = 2;
        out.push(m);
        out.push(MetricMeta {
            name: "empty".into(),
            ..Default::default()
        });
        out
    }

    #[test]
    fn one_metric_settles_as_the_accumulators_do() {
        let keep: BTreeSet<String> = ["b".to_string()].into();
        for m in metrics() {
            for samples in [0, 2, 5] {
                for keep in [None, Some(&keep)] {
                    let mut ctx = KeyCtx {
                        ids: vec!["s".into()],
                        cap: samples,
                        ..KeyCtx::default()
                    };
                    let mut acc = ManyMetric::default();
                    acc.add(&mut ctx, 0, m.clone(), keep).unwrap();
                    let (mut w1, mut w2) = (Vec::new(), Vec::new());
                    let want = acc.finish(&mut ctx, m.name.clone(), samples, &mut w1);
                    let mut ctx2 = KeyCtx {
                        ids: vec!["s".into()],
                        cap: samples,
                        ..KeyCtx::default()
                    };
                    let got = MetricAcc::One(0, m.clone()).finish(
                        &mut ctx2,
                        m.name.clone(),
                        samples,
                        keep,
                        &mut w2,
                    );
                    assert_eq!(got.unwrap(), want.unwrap(), "{m:?} at {samples}, {keep:?}");
                    assert_eq!(w1, w2);
                    assert_eq!(
                        (ctx.decoded, ctx.approximate_keys, ctx.refused_at),
                        (ctx2.decoded, ctx2.approximate_keys, ctx2.refused_at)
                    );
                }
            }
        }
    }
}
