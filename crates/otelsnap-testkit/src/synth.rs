//! Synthetic sessions for benchmarks and tests (deterministic, realistic cardinalities).
//!
//! Everything is derived from the seed through a private splitmix64 generator, never from the
//! clock or a process-random source, so the same `(id, n_metrics, seed)` always yields a
//! byte-identical session. Label values are `"{key}-{i}"` for `i < cardinality`: the same key
//! on two metrics shares its first values, so the attribute catalog's cardinality is the largest
//! per-metric cardinality, and a perturbation that raises a cardinality keeps the old values.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};

use otelsnap_core::session::model::{
    AttributeMeta, BodyTemplate, CaptureInfo, FORMAT_VERSION, KeyStats, KeyStatsMap, LogMeta,
    MetricMeta, MetricType, Producer, ServiceCounts, Session, SessionData, SessionStats, Signal,
    SketchData, SpanMeta,
};
use otelsnap_core::session::percentage;
use otelsnap_core::sketch::Sketch;

use crate::rng::Rng;

const SERVICES: [&str; 8] = [
    "checkout",
    "payment",
    "cart",
    "catalog",
    "shipping",
    "auth",
    "search",
    "inventory",
];
const COMPONENTS: [&str; 8] = [
    "http", "db", "cache", "queue", "rpc", "runtime", "pool", "jvm",
];
const LABEL_KEYS: [&str; 20] = [
    "http.request.method",
    "http.route",
    "http.response.status_code",
    "server.address",
    "region",
    "zone",
    "endpoint",
    "operation",
    "status",
    "tenant",
    "queue.name",
    "db.system",
    "db.operation.name",
    "error.type",
    "peer.service",
    "k8s.pod.name",
    "messaging.destination.name",
    "partition",
    "cache.name",
    "customer.tier",
];
/// Keys a perturbation may add (not used by the base generator, so an addition is always new).
const EXTRA_KEYS: [&str; 6] = [
    "user_id",
    "session.id",
    "request.id",
    "feature.flag",
    "client.version",
    "experiment",
];
const HISTOGRAM_BOUNDS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const MAX_SAMPLES: usize = 5;
/// 2024-01-01T00:00:00Z: the earliest `created` a synthetic session can have.
const EPOCH_SECONDS: i64 = 1_704_067_200;

/// Most keys are small (2-50 values); a few reach the hundreds.
fn cardinality(rng: &mut Rng) -> u64 {
    let r = rng.unit();
    if r < 0.60 {
        rng.range(2, 8)
    } else if r < 0.92 {
        rng.range(9, 50)
    } else if r < 0.99 {
        rng.range(51, 200)
    } else {
        rng.range(201, 800)
    }
}

/// The value-dependent part of a key's stats: estimate, samples, sketch.
type KeyValues = (u64, Vec<String>, SketchData);

thread_local! {
    // Sketches depend only on (key, cardinality) or the series count, and building them is
    // most of the cost of a large session: each distinct one is built once per thread.
    static KEY_CACHE: RefCell<HashMap<(String, u64), KeyValues>> = RefCell::new(HashMap::new());
    static SERIES_CACHE: RefCell<HashMap<u64, (u64, SketchData)>> = RefCell::new(HashMap::new());
}

/// Key stats for `card` values `"{key}-{i}"`, seen on `count` of `samples` items.
fn key_stats(key: &str, card: u64, count: u64, samples: u64) -> KeyStats {
    let (estimate, value_samples, sketch) = KEY_CACHE.with(|c| {
        c.borrow_mut()
            .entry((key.to_string(), card))
            .or_insert_with(|| key_values(key, card))
            .clone()
    });
    KeyStats {
        count,
        percentage: percentage(count, samples),
        estimated_cardinality: estimate,
        value_samples,
        sketch: Some(std::sync::Arc::new(sketch)),
        approximate: false,
        occ_hll: None,
        evidence: None,
    }
}

fn key_values(key: &str, card: u64) -> KeyValues {
    let mut sketch = Sketch::new();
    let mut buf = String::with_capacity(key.len() + 8);
    let mut value_samples = Vec::new();
    for i in 0..card {
        buf.clear();
        let _ = write!(buf, "{key}-{i}");
        sketch.insert(buf.as_bytes());
        if value_samples.len() < MAX_SAMPLES {
            value_samples.push(buf.clone());
        }
    }
    value_samples.sort();
    (sketch.estimate(), value_samples, sketch.to_data())
}

/// Rounds down to two significant digits (`1234` → `1200`), so series sketches repeat and
/// the cache above keeps large sessions cheap to build.
fn two_digits(n: u64) -> u64 {
    let mut scale = 1;
    while n / scale >= 100 {
        scale *= 10;
    }
    (n / scale * scale).max(1)
}

/// Sets `active_series` and `series_sketch` for `series` distinct series.
fn set_series(m: &mut MetricMeta, series: u64) {
    let (estimate, data) = SERIES_CACHE.with(|c| {
        c.borrow_mut()
            .entry(series)
            .or_insert_with(|| {
                let mut sketch = Sketch::new();
                // Series identities need only be distinct within a metric (sketches of
                // different metrics are never merged), so series i is the same everywhere.
                for i in 0..series {
                    sketch.insert(&i.to_le_bytes());
                }
                (sketch.estimate(), sketch.to_data())
            })
            .clone()
    });
    m.active_series = estimate;
    m.series_sketch = Some(data);
}

fn metric_type(rng: &mut Rng) -> MetricType {
    let r = rng.below(100);
    match r {
        0..35 => MetricType::Sum,
        35..60 => MetricType::Gauge,
        60..85 => MetricType::Histogram,
        85..90 => MetricType::ExponentialHistogram,
        _ => MetricType::Summary,
    }
}

fn unit_for(t: MetricType, rng: &mut Rng) -> &'static str {
    match t {
        MetricType::Histogram | MetricType::ExponentialHistogram | MetricType::Summary => {
            rng.pick(&["ms", "s", "By"])
        }
        MetricType::Sum => rng.pick(&["{request}", "By", "1", "{error}"]),
        _ => rng.pick(&["1", "By", "{item}", "Cel"]),
    }
}

/// Fills the type-specific fields (temporality, monotonicity, bounds, scales).
fn set_type(m: &mut MetricMeta, t: MetricType, rng: &mut Rng) {
    m.metric_type = t;
    m.aggregation_temporality = None;
    m.is_monotonic = None;
    m.explicit_bounds.clear();
    m.scales.clear();
    match t {
        MetricType::Sum => {
            m.aggregation_temporality = Some(temporality(rng).into());
            m.is_monotonic = Some(rng.below(5) != 0);
        }
        MetricType::Histogram => {
            m.aggregation_temporality = Some(temporality(rng).into());
            m.explicit_bounds = HISTOGRAM_BOUNDS.to_vec();
        }
        MetricType::ExponentialHistogram => {
            m.aggregation_temporality = Some(temporality(rng).into());
            m.scales = vec![rng.range(0, 8) as i32];
        }
        _ => {}
    }
}

fn temporality(rng: &mut Rng) -> &'static str {
    if rng.below(4) == 0 {
        "delta"
    } else {
        "cumulative"
    }
}

/// One metric with 5 label keys and up to 3 resource keys.
fn metric(name: String, rng: &mut Rng) -> MetricMeta {
    let t = metric_type(rng);
    let mut m = MetricMeta {
        name,
        description: String::new(),
        unit: unit_for(t, rng).to_string(),
        ..MetricMeta::default()
    };
    m.description = format!("Synthetic {} metric", t.as_str().replace('_', " "));
    set_type(&mut m, t, rng);

    let mut keys: Vec<&str> = Vec::with_capacity(5);
    while keys.len() < 5 {
        let k = rng.pick(&LABEL_KEYS);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut cards = Vec::with_capacity(5);
    for k in &keys {
        cards.push(cardinality(rng));
        let _ = k;
    }
    let max_card = cards.iter().copied().max().unwrap_or(1);
    let product = cards
        .iter()
        .fold(1u64, |acc, c| acc.saturating_mul(*c))
        .max(1);
    // Real series are far fewer than the cross product: labels are correlated.
    let series = two_digits(product.min(max_card * rng.range(1, 4)).min(20_000));
    let points_per_series = rng.range(1, 12);
    let samples = series * points_per_series;
    m.sample_count = samples;
    m.data_point_count = samples;
    for (k, card) in keys.iter().zip(&cards) {
        // A key is occasionally optional (present on part of the points).
        let count = if rng.below(6) == 0 {
            samples * rng.range(40, 95) / 100
        } else {
            samples
        };
        m.label_keys
            .insert((*k).to_string(), key_stats(k, *card, count, samples));
    }

    let n_services = rng.range(1, 3) as usize;
    let first = rng.below(SERVICES.len() as u64) as usize;
    let mut left = samples;
    for j in 0..n_services {
        let svc = SERVICES[(first + j) % SERVICES.len()];
        let share = if j + 1 == n_services { left } else { left / 2 };
        left -= share;
        *m.services.get_or_default(svc) += share;
    }
    let svc_count = m.services.len() as u64;
    m.resource_keys
        .insert("service.name", key_stats_from(&m.services, samples));
    m.resource_keys.insert(
        "service.instance.id",
        key_stats(
            "service.instance.id",
            svc_count * rng.range(1, 4),
            samples,
            samples,
        ),
    );
    if rng.below(2) == 0 {
        m.resource_keys.insert(
            "host.name",
            key_stats("host.name", rng.range(1, 6), samples, samples),
        );
    }
    set_series(&mut m, series);
    m
}

/// `service.name` stats from the services map (the values are the service names themselves).
fn key_stats_from(services: &ServiceCounts, samples: u64) -> KeyStats {
    let mut sketch = Sketch::new();
    for s in services.keys() {
        sketch.insert(s.as_bytes());
    }
    KeyStats {
        count: samples,
        percentage: percentage(samples, samples),
        estimated_cardinality: sketch.estimate(),
        value_samples: services
            .keys()
            .take(MAX_SAMPLES)
            .map(String::from)
            .collect(),
        sketch: Some(std::sync::Arc::new(sketch.to_data())),
        approximate: false,
        occ_hll: None,
        evidence: None,
    }
}

fn span(name: &str, kind: i32, svc: &str, rng: &mut Rng) -> SpanMeta {
    let samples = rng.range(100, 5_000);
    let mut s = SpanMeta {
        name: name.to_string(),
        kind,
        kind_name: match kind {
            1 => "Internal",
            2 => "Server",
            3 => "Client",
            4 => "Producer",
            5 => "Consumer",
            _ => "Unspecified",
        }
        .to_string(),
        sample_count: samples,
        ..SpanMeta::default()
    };
    for k in ["http.route", "http.response.status_code", "peer.service"] {
        let card = cardinality(rng);
        s.attribute_keys
            .insert(k.to_string(), key_stats(k, card, samples, samples));
    }
    s.resource_keys.insert(
        "service.name",
        key_stats_from(&ServiceCounts::from([(svc.to_string(), samples)]), samples),
    );
    s.services.insert(svc.to_string(), samples);
    s.status_codes = vec!["Ok".into(), "Unset".into()];
    if rng.below(3) == 0 {
        s.status_codes.push("Error".into());
        s.event_names = vec!["exception".into()];
        s.event_attribute_keys.insert(
            "exception".into(),
            KeyStatsMap::from([(
                "exception.type".to_string(),
                key_stats("exception.type", rng.range(1, 6), samples / 20 + 1, samples),
            )]),
        );
    }
    s
}

fn log(severity: &str, number: i32, rng: &mut Rng) -> LogMeta {
    let samples = rng.range(50, 10_000);
    let svc = rng.pick(&SERVICES);
    let mut l = LogMeta {
        severity: severity.to_string(),
        severity_number: number,
        sample_count: samples,
        ..LogMeta::default()
    };
    let card = cardinality(rng);
    l.attribute_keys.insert(
        "error.type",
        key_stats("error.type", card, samples / 2, samples),
    );
    l.resource_keys.insert(
        "service.name",
        key_stats_from(&ServiceCounts::from([(svc.to_string(), samples)]), samples),
    );
    l.services.insert(svc.to_string(), samples);
    let first = samples * 2 / 3;
    l.body_templates = vec![
        BodyTemplate {
            template: "request <*> completed in <*> ms".into(),
            count: first,
            example: "request 4f1c completed in 12 ms".into(),
        },
        BodyTemplate {
            template: "cache miss for key <*>".into(),
            count: samples - first,
            example: "cache miss for key user:1234".into(),
        },
    ];
    l
}

/// Rebuilds the attribute catalog from every key on every item: a key's cardinality is its
/// largest per-item cardinality (the values are shared, see the module comment).
fn rebuild_catalog(s: &mut Session) {
    #[derive(Default)]
    struct Acc {
        count: u64,
        card: u64,
        signals: std::collections::BTreeSet<&'static str>,
        resource: bool,
        attribute: bool,
    }
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    let mut add = |key: &str, ks: &KeyStats, signal: &'static str, resource: bool| {
        let a = acc.entry(key.to_string()).or_default();
        a.count += ks.count;
        a.card = a.card.max(ks.estimated_cardinality);
        a.signals.insert(signal);
        if resource {
            a.resource = true;
        } else {
            a.attribute = true;
        }
    };
    for m in &s.data.metrics {
        m.label_keys
            .iter()
            .for_each(|(k, v)| add(k, v, "metrics", false));
        m.resource_keys
            .iter()
            .for_each(|(k, v)| add(k, v, "metrics", true));
    }
    for sp in &s.data.spans {
        sp.attribute_keys
            .iter()
            .for_each(|(k, v)| add(k, v, "traces", false));
        sp.resource_keys
            .iter()
            .for_each(|(k, v)| add(k, v, "traces", true));
    }
    for l in &s.data.logs {
        l.attribute_keys
            .iter()
            .for_each(|(k, v)| add(k, v, "logs", false));
        l.resource_keys
            .iter()
            .for_each(|(k, v)| add(k, v, "logs", true));
    }
    let (first_seen, last_seen) = match &s.capture {
        Some(c) => (Some(c.started), Some(c.ended)),
        None => (None, None),
    };
    s.data.attributes = acc
        .into_iter()
        .map(|(key, a)| {
            // service.name's values are service names, not "{key}-{i}".
            let mut ks = if key == "service.name" {
                let svcs: ServiceCounts = s.stats.services.iter().map(|n| (n.clone(), 0)).collect();
                key_stats_from(&svcs, a.count)
            } else {
                key_stats(&key, a.card, a.count, a.count)
            };
            AttributeMeta {
                key,
                count: a.count,
                estimated_cardinality: ks.estimated_cardinality,
                value_samples: std::mem::take(&mut ks.value_samples),
                signal_types: a.signals.iter().map(|s| s.to_string()).collect(),
                scope: match (a.resource, a.attribute) {
                    (true, true) => "both",
                    (true, false) => "resource",
                    _ => "attribute",
                }
                .to_string(),
                first_seen,
                last_seen,
                sketch: ks.sketch.take().map(std::sync::Arc::unwrap_or_clone),
                approximate: false,
                occ_hll: None,
                evidence: None,
            }
        })
        .collect();
}

fn finish(s: &mut Session) {
    for m in &mut s.data.metrics {
        let keys = [&mut m.label_keys, &mut m.resource_keys];
        let samples = possible(keys, m.sample_count.max(m.active_series));
        m.sample_count = samples;
        m.data_point_count = m.data_point_count.max(samples);
    }
    for sp in &mut s.data.spans {
        let keys = [&mut sp.attribute_keys, &mut sp.resource_keys];
        sp.sample_count = possible(keys, sp.sample_count);
    }
    for l in &mut s.data.logs {
        let keys = [&mut l.attribute_keys, &mut l.resource_keys];
        l.sample_count = possible(keys, l.sample_count);
    }
    s.recompute_stats();
    rebuild_catalog(s);
    s.canonicalize();
}

/// Makes an item's numbers possible (validation refuses anything else): no key with more
/// distinct values than occurrences, no key on more samples than the item has. Returns the
/// item's sample count, raised as needed; percentages are recomputed from it.
fn possible<const N: usize>(maps: [&mut KeyStatsMap; N], samples: u64) -> u64 {
    let mut samples = samples;
    for m in &maps {
        for ks in m.values() {
            samples = samples.max(ks.count).max(ks.estimated_cardinality);
        }
    }
    for m in maps {
        for ks in m.values_mut() {
            ks.count = ks.count.max(ks.estimated_cardinality);
            ks.percentage = percentage(ks.count, samples);
        }
    }
    samples
}

/// A deterministic session with `n_metrics` metrics (5 label keys each, realistic
/// cardinalities, real sketches), plus a few spans, logs and the attribute catalog.
pub fn session(id: &str, n_metrics: usize, seed: u64) -> Session {
    let mut rng = Rng::new(seed);
    let created: DateTime<Utc> =
        DateTime::from_timestamp(EPOCH_SECONDS + (seed % (365 * 24 * 3600)) as i64, 0)
            .unwrap_or_default();
    let window = Duration::seconds(rng.range(60, 900) as i64);
    let mut metrics = Vec::with_capacity(n_metrics);
    for i in 0..n_metrics {
        let svc = rng.pick(&SERVICES);
        let comp = rng.pick(&COMPONENTS);
        metrics.push(metric(format!("{svc}.{comp}.metric_{i}"), &mut rng));
    }
    let mut spans = Vec::new();
    for (i, svc) in SERVICES.iter().enumerate().take(4) {
        spans.push(span(&format!("GET /api/{svc}"), 2, svc, &mut rng));
        spans.push(span(&format!("{svc}.db.query"), 3, svc, &mut rng));
        if i % 2 == 0 {
            spans.push(span(&format!("{svc}.process"), 1, svc, &mut rng));
        }
    }
    let logs = vec![
        log("DEBUG", 5, &mut rng),
        log("INFO", 9, &mut rng),
        log("WARN", 13, &mut rng),
        log("ERROR", 17, &mut rng),
    ];
    let requests = rng.range(100, 10_000);
    let mut s = Session {
        version: FORMAT_VERSION,
        id: id.to_string(),
        description: format!("synthetic session: {n_metrics} metrics, seed {seed}"),
        created,
        signals: Signal::ALL.to_vec(),
        capture: Some(CaptureInfo {
            started: created - window,
            ended: created,
            sources: vec!["synth".into()],
            requests,
            rejected: 0,
            dropped: 0,
            truncated: 0,
            incomplete: None,
        }),
        producer: Some(Producer::current()),
        merged_from: Vec::new(),
        notes: Vec::new(),
        observed: Some(otelsnap_core::session::Observed::single(
            otelsnap_core::session::Observed::TELEMETRY,
            created - window,
            created,
        )),
        completeness: None,
        baseline: false,
        data: SessionData {
            metrics,
            spans,
            logs,
            attributes: Vec::new(),
            watched_attributes: None,
        },
        stats: SessionStats::default(),
        size_bytes: None,
    };
    finish(&mut s);
    s
}

/// A copy of `base` named `id` with about `n_changes` real changes: label keys added and
/// removed, cardinalities ×3 and ×20, metrics added and removed, a unit or type change here
/// and there. The result is deterministic in `(base, n_changes, seed)`.
pub fn perturb(base: &Session, id: &str, n_changes: usize, seed: u64) -> Session {
    let mut rng = Rng::new(seed ^ 0xd1b5_4a32_d192_ed03);
    let mut s = base.clone();
    s.id = id.to_string();
    s.description = format!(
        "{} (perturbed: {n_changes} changes, seed {seed})",
        base.description
    );
    s.created += Duration::seconds(3_600 + rng.below(86_400) as i64);
    if let Some(c) = &mut s.capture {
        let window = c.ended - c.started;
        c.ended = s.created;
        c.started = s.created - window;
    }
    let mut next_new = s.data.metrics.len();
    for _ in 0..n_changes {
        let n = s.data.metrics.len() as u64;
        if n == 0 {
            let svc = rng.pick(&SERVICES);
            s.data
                .metrics
                .push(metric(format!("{svc}.new.metric_{next_new}"), &mut rng));
            next_new += 1;
            continue;
        }
        let idx = rng.below(n) as usize;
        match rng.below(100) {
            // Cardinality ×3 on one key (and the series with it).
            0..30 => scale_key(&mut s.data.metrics[idx], 3, &mut rng),
            // Cardinality ×20: the explosion a diff must flag.
            30..40 => scale_key(&mut s.data.metrics[idx], 20, &mut rng),
            // A new label key.
            40..55 => {
                let m = &mut s.data.metrics[idx];
                let k = rng.pick(&EXTRA_KEYS);
                if !m.label_keys.contains_key(k) {
                    let card = cardinality(&mut rng);
                    let ks = key_stats(k, card, m.sample_count, m.sample_count);
                    m.label_keys.insert(k.to_string(), ks);
                    let series = m.active_series.saturating_mul(card.min(10)).min(200_000);
                    set_series(m, series);
                }
            }
            // A removed label key.
            55..70 => {
                let m = &mut s.data.metrics[idx];
                let keys: Vec<String> = m.label_keys.keys().map(String::from).collect();
                if keys.len() > 1 {
                    let k = rng.pick(&keys);
                    let card = m
                        .label_keys
                        .remove(&k)
                        .map_or(1, |ks| ks.estimated_cardinality);
                    let series = (m.active_series / card.max(1)).max(1);
                    set_series(m, series);
                }
            }
            // A new metric.
            70..80 => {
                let svc = rng.pick(&SERVICES);
                let comp = rng.pick(&COMPONENTS);
                s.data
                    .metrics
                    .push(metric(format!("{svc}.{comp}.metric_{next_new}"), &mut rng));
                next_new += 1;
            }
            // A removed metric.
            80..90 => {
                s.data.metrics.remove(idx);
            }
            // A unit change.
            90..95 => {
                let m = &mut s.data.metrics[idx];
                let old = m.unit.clone();
                let new = rng.pick(&["ms", "s", "By", "KiBy", "1", "%"]);
                m.unit = if new == old {
                    format!("{old}2")
                } else {
                    new.into()
                };
            }
            // A type change.
            _ => {
                let m = &mut s.data.metrics[idx];
                let mut t = metric_type(&mut rng);
                if t == m.metric_type {
                    t = if t == MetricType::Gauge {
                        MetricType::Sum
                    } else {
                        MetricType::Gauge
                    };
                }
                set_type(m, t, &mut rng);
            }
        }
    }
    finish(&mut s);
    s
}

/// Multiplies one label key's cardinality (and the metric's series) by `factor`.
fn scale_key(m: &mut MetricMeta, factor: u64, rng: &mut Rng) {
    let keys: Vec<String> = m.label_keys.keys().map(String::from).collect();
    if keys.is_empty() {
        return;
    }
    let k = rng.pick(&keys);
    let Some(old) = m.label_keys.get(&k) else {
        return;
    };
    let card = old.estimated_cardinality.max(1) * factor;
    let ks = key_stats(&k, card, old.count, m.sample_count);
    m.label_keys.insert(k, ks);
    let series = m.active_series.max(1).saturating_mul(factor).min(200_000);
    set_series(m, series);
}

#[cfg(test)]
mod tests {
    use super::*;
    use otelsnap_core::session::format;

    #[test]
    fn same_seed_gives_identical_bytes() {
        let a = format::to_json(&session("a", 200, 7), false);
        let b = format::to_json(&session("a", 200, 7), false);
        assert_eq!(a, b);
        let c = format::to_json(&session("a", 200, 8), false);
        assert_ne!(a, c);
    }

    #[test]
    fn shape_is_realistic() {
        let s = session("shape", 500, 42);
        assert_eq!(s.data.metrics.len(), 500);
        assert_eq!(s.stats.metrics_count, 500);
        assert!(!s.data.spans.is_empty() && !s.data.logs.is_empty());
        assert!(!s.data.attributes.is_empty());
        let mut types = std::collections::BTreeSet::new();
        for m in &s.data.metrics {
            assert_eq!(m.label_keys.len(), 5, "{}", m.name);
            assert!(m.active_series >= 1 && m.series_sketch.is_some());
            for ks in m.label_keys.values() {
                assert!(ks.sketch.is_some());
                assert!(ks.value_samples.len() <= MAX_SAMPLES);
                assert!(ks.estimated_cardinality >= 1);
            }
            types.insert(m.metric_type);
        }
        assert_eq!(types.len(), 5, "all five metric types appear");
        let cards: Vec<u64> = s
            .data
            .metrics
            .iter()
            .flat_map(|m| m.label_keys.values().map(|k| k.estimated_cardinality))
            .collect();
        let small = cards.iter().filter(|c| **c <= 50).count();
        assert!(small * 10 >= cards.len() * 8, "most keys are small");
        assert!(cards.iter().any(|c| *c > 100), "a few keys are large");
        // Names are unique (canonicalize sorts; duplicates would be adjacent).
        assert!(s.data.metrics.windows(2).all(|w| w[0].name < w[1].name));
    }

    #[test]
    fn perturb_is_deterministic_and_changes_things() {
        let base = session("base", 300, 1);
        let a = perturb(&base, "next", 50, 9);
        let b = perturb(&base, "next", 50, 9);
        assert_eq!(format::to_json(&a, false), format::to_json(&b, false));
        assert_eq!(a.id, "next");
        let before: BTreeMap<&str, &MetricMeta> = base
            .data
            .metrics
            .iter()
            .map(|m| (m.name.as_str(), m))
            .collect();
        let changed = a
            .data
            .metrics
            .iter()
            .filter(|m| before.get(m.name.as_str()).is_none_or(|o| *o != *m))
            .count();
        let removed = base.data.metrics.len() + a.data.metrics.len()
            - 2 * a
                .data
                .metrics
                .iter()
                .filter(|m| before.contains_key(m.name.as_str()))
                .count();
        assert!(
            changed + removed >= 25,
            "changed {changed} removed {removed}"
        );
        let grew = a.data.metrics.iter().any(|m| {
            before
                .get(m.name.as_str())
                .is_some_and(|o| m.active_series >= o.active_series * 10)
        });
        assert!(grew, "some metric's series grew tenfold");
    }
}
