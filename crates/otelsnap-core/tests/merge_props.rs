//! Merge laws as property tests: commutative and associative in every estimate, count,
//! percentage, sketch and set, on random sessions with real sketches (and some keys that have
//! only an OCC-style estimate).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeZone, Utc};
use otelsnap_core::merge::{MergeOptions, Merger, merge, percentage};
use otelsnap_core::session::{
    AttributeMeta, BodyTemplate, CaptureInfo, KeyStats, KeyStatsMap, LogMeta, MetricMeta,
    MetricType, Session, Signal, SpanMeta,
};
use otelsnap_core::sketch::Sketch;
use proptest::prelude::*;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

/// Distinct values (as small integers), or `None` for a key with only an estimate.
#[derive(Debug, Clone)]
struct KeyGen {
    values: BTreeSet<u16>,
    approximate: Option<u64>,
    count_frac: u8,
}

fn key_gen() -> impl Strategy<Value = KeyGen> {
    (
        prop::collection::btree_set(0u16..40, 1..12),
        prop::option::weighted(0.15, 1u64..60),
        1u8..=100,
    )
        .prop_map(|(values, approximate, count_frac)| KeyGen {
            values,
            approximate,
            count_frac,
        })
}

fn key_stats(key: &str, g: &KeyGen, total: u64, all: bool) -> KeyStats {
    let count = if all {
        total
    } else {
        (total * u64::from(g.count_frac) / 100).max(1)
    };
    // Only sessions that could exist: no more distinct values than occurrences (every read
    // refuses an estimate above its count, and merge caps at the count, so on impossible
    // inputs the cap could depend on grouping).
    let values: Vec<String> = g
        .values
        .iter()
        .take(usize::try_from(count).unwrap_or(usize::MAX))
        .map(|v| format!("{key}={v}"))
        .collect();
    if let Some(est) = g.approximate {
        return KeyStats {
            count,
            percentage: percentage(count, total),
            estimated_cardinality: est.min(count),
            value_samples: values.into_iter().take(3).collect(),
            approximate: true,
            ..Default::default()
        };
    }
    let mut sk = Sketch::new();
    for v in &values {
        sk.insert(v.as_bytes());
    }
    KeyStats {
        count,
        percentage: percentage(count, total),
        estimated_cardinality: sk.estimate(),
        value_samples: values.into_iter().take(5).collect(),
        sketch: Some(std::sync::Arc::new(sk.to_data())),
        ..Default::default()
    }
}

type Keys = BTreeMap<u8, KeyGen>;

fn keys() -> impl Strategy<Value = Keys> {
    prop::collection::btree_map(0u8..5, key_gen(), 0..4)
}

/// Keys as a map; key `k0` (when `with_full`) is on every item so a percentage total can be recovered.
fn key_map(prefix: &str, g: &Keys, total: u64, with_full: bool) -> KeyStatsMap {
    let mut out: KeyStatsMap = g
        .iter()
        .map(|(k, kg)| {
            let name = format!("{prefix}{k}");
            let ks = key_stats(&name, kg, total, with_full && *k == 0);
            (name, ks)
        })
        .collect();
    if with_full && !out.is_empty() && !out.contains_key(&format!("{prefix}0")) {
        let name = format!("{prefix}0");
        let full = KeyGen {
            values: [1].into(),
            approximate: None,
            count_frac: 100,
        };
        out.insert(name.clone(), key_stats(&name, &full, total, true));
    }
    out
}

/// A generated log severity: sample count, attribute keys, (template id, count) pairs.
type LogGen = (u64, Keys, Vec<(u8, u64)>);

#[derive(Debug, Clone)]
struct SessionGen {
    metrics: BTreeMap<u8, (u64, Keys, Keys, BTreeSet<u16>, u8)>,
    spans: BTreeMap<u8, (u64, Keys, Keys, Vec<u8>, u8)>,
    logs: BTreeMap<u8, LogGen>,
    attributes: BTreeMap<u8, KeyGen>,
    window: (i64, i64),
    requests: u64,
}

fn session_gen() -> impl Strategy<Value = SessionGen> {
    (
        prop::collection::btree_map(
            0u8..5,
            (
                1u64..200,
                keys(),
                keys(),
                prop::collection::btree_set(0u16..60, 0..20),
                0u8..8,
            ),
            0..4,
        ),
        prop::collection::btree_map(
            0u8..3,
            (
                1u64..100,
                keys(),
                keys(),
                prop::collection::vec(0u8..3, 0..3),
                0u8..4,
            ),
            0..3,
        ),
        prop::collection::btree_map(
            0u8..3,
            (
                1u64..100,
                keys(),
                prop::collection::vec((0u8..4, 1u64..20), 0..3),
            ),
            0..3,
        ),
        prop::collection::btree_map(0u8..6, key_gen(), 0..4),
        (0i64..1000, 0i64..1000),
        0u64..100,
    )
        .prop_map(
            |(metrics, spans, logs, attributes, window, requests)| SessionGen {
                metrics,
                spans,
                logs,
                attributes,
                window,
                requests,
            },
        )
}

const SERVICES: [&str; 3] = ["api", "db", "web"];

fn build(id: &str, g: &SessionGen) -> Session {
    let mut s = Session::new(id);
    s.created = t(0);
    s.signals = vec![Signal::Metrics];
    let (a, b) = g.window;
    s.capture = Some(CaptureInfo {
        started: t(a.min(b)),
        ended: t(a.max(b)),
        sources: vec![format!("src-{}", a % 3)],
        requests: g.requests,
        rejected: g.requests / 7,
        dropped: g.requests / 11,
        truncated: 0,
        incomplete: None,
    });
    for (i, (samples, labels, res, series, extra)) in &g.metrics {
        // Type and unit follow the name, so no merge has a conflict to settle.
        let mut sk = Sketch::new();
        for v in series {
            sk.insert(format!("series-{v}").as_bytes());
        }
        s.data.metrics.push(MetricMeta {
            name: format!("metric.{i}"),
            unit: if i % 2 == 0 { "ms".into() } else { "By".into() },
            metric_type: if i % 2 == 0 {
                MetricType::Histogram
            } else {
                MetricType::Sum
            },
            label_keys: key_map("label", labels, *samples, false),
            resource_keys: key_map("res", res, *samples, false),
            sample_count: *samples,
            data_point_count: samples * 2,
            services: [(SERVICES[*extra as usize % 3].to_string(), *samples)].into(),
            active_series: sk.estimate(),
            series_sketch: Some(sk.to_data()),
            explicit_bounds: vec![f64::from(*extra), 100.0],
            scales: vec![i32::from(*extra) - 3],
            aggregation_temporality: Some("cumulative".into()),
            is_monotonic: Some(*extra > 4),
            ..Default::default()
        });
    }
    for (i, (samples, attrs, links, events, code)) in &g.spans {
        let mut sp = SpanMeta {
            name: format!("span.{i}"),
            kind: i32::from(*i % 2) + 1,
            kind_name: "Server".into(),
            attribute_keys: key_map("attr", attrs, *samples, false),
            link_attribute_keys: key_map("link", links, samples / 2 + 1, true),
            status_codes: vec![["Unset", "Ok", "Error", "Code(9)"][*code as usize].into()],
            sample_count: *samples,
            services: [(SERVICES[*code as usize % 3].to_string(), *samples)].into(),
            ..Default::default()
        };
        for ev in events {
            let name = format!("event.{ev}");
            sp.event_names.push(name.clone());
            let n = u64::from(*ev) * 3 + 2;
            sp.event_attribute_keys
                .insert(name, key_map("ev", attrs, n, true));
        }
        s.data.spans.push(sp);
    }
    for (i, (samples, attrs, templates)) in &g.logs {
        s.data.logs.push(LogMeta {
            severity: ["INFO", "WARN", "ERROR"][*i as usize].into(),
            severity_number: [9, 13, 17][*i as usize],
            attribute_keys: key_map("log", attrs, *samples, false),
            body_templates: templates
                .iter()
                .map(|(tpl, n)| BodyTemplate {
                    template: format!("template <*> {tpl}"),
                    count: *n,
                    example: format!("template {id} {tpl}"),
                })
                .collect(),
            sample_count: *samples,
            services: [(SERVICES[*i as usize].to_string(), *samples)].into(),
            ..Default::default()
        });
    }
    for (k, kg) in &g.attributes {
        let ks = key_stats(&format!("cat{k}"), kg, 100, false);
        s.data.attributes.push(AttributeMeta {
            key: format!("cat{k}"),
            count: ks.count,
            estimated_cardinality: ks.estimated_cardinality,
            value_samples: ks.value_samples,
            signal_types: vec![["metrics", "traces", "logs"][*k as usize % 3].into()],
            scope: ["resource", "attribute"][*k as usize % 2].into(),
            first_seen: Some(t(i64::from(*k) + a)),
            last_seen: Some(t(i64::from(*k) + b + 2000)),
            sketch: ks.sketch.map(std::sync::Arc::unwrap_or_clone),
            approximate: ks.approximate,
            ..Default::default()
        });
    }
    // As every read leaves it: no estimate above its occurrence count (the generator draws
    // them independently; a file holding more is lowered on read, so merge never sees one).
    otelsnap_core::session::occ::clamp_estimates(&mut s);
    s.canonicalize();
    s
}

fn merged(sources: &[Session]) -> Session {
    let mut o = MergeOptions::new("m");
    o.created = t(5000);
    // A fixed limit: the law is about estimates and counts, not which samples are kept.
    o.samples = Some(5);
    merge(sources, &o).unwrap().session
}

/// Everything but what depends on the order of the sources (value samples, template examples)
/// and on the result's name and history.
fn laws_view(mut s: Session) -> Session {
    s.id.clear();
    s.description.clear();
    s.merged_from.clear();
    s.notes.clear();
    let clear = |m: &mut KeyStatsMap| {
        m.values_mut().for_each(|k| k.value_samples.clear());
    };
    for m in &mut s.data.metrics {
        clear(&mut m.label_keys);
        clear(&mut m.resource_keys);
    }
    for sp in &mut s.data.spans {
        clear(&mut sp.attribute_keys);
        clear(&mut sp.resource_keys);
        clear(&mut sp.link_attribute_keys);
        sp.event_attribute_keys.values_mut().for_each(clear);
    }
    for l in &mut s.data.logs {
        clear(&mut l.attribute_keys);
        clear(&mut l.resource_keys);
        l.body_templates.iter_mut().for_each(|t| t.example.clear());
    }
    for a in &mut s.data.attributes {
        a.value_samples.clear();
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn merge_is_commutative(a in session_gen(), b in session_gen()) {
        let (a, b) = (build("a", &a), build("b", &b));
        let ab = laws_view(merged(&[a.clone(), b.clone()]));
        let ba = laws_view(merged(&[b, a]));
        prop_assert_eq!(ab, ba);
    }

    #[test]
    fn merge_is_associative(a in session_gen(), b in session_gen(), c in session_gen()) {
        let (a, b, c) = (build("a", &a), build("b", &b), build("c", &c));
        let all = laws_view(merged(&[a.clone(), b.clone(), c.clone()]));
        let left = laws_view(merged(&[merged(&[a.clone(), b.clone()]), c.clone()]));
        let right = laws_view(merged(&[a, merged(&[b, c])]));
        prop_assert_eq!(&left, &all);
        prop_assert_eq!(&right, &all);
    }

    #[test]
    fn merging_with_itself_keeps_every_estimate(a in session_gen()) {
        let a = build("a", &a);
        let aa = merged(&[a.clone(), a.clone()]);
        for (x, y) in a.data.metrics.iter().zip(&aa.data.metrics) {
            prop_assert_eq!(x.active_series, y.active_series);
            for (k, ks) in x.label_keys.iter().chain(&x.resource_keys) {
                let other = y.label_keys.get(k).or_else(|| y.resource_keys.get(k)).unwrap();
                prop_assert_eq!(ks.estimated_cardinality, other.estimated_cardinality);
                prop_assert_eq!(ks.percentage, other.percentage);
                prop_assert_eq!(ks.count * 2, other.count);
            }
        }
        for (x, y) in a.data.attributes.iter().zip(&aa.data.attributes) {
            prop_assert_eq!(x.estimated_cardinality, y.estimated_cardinality);
        }
        prop_assert_eq!(a.data.metrics.len(), aa.data.metrics.len());
        prop_assert_eq!(a.data.attributes.len(), aa.data.attributes.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The law at N = 20: one merge folding twenty sources in turn equals merging them
    /// two at a time, left to right and from the right, and the sources in another order.
    #[test]
    fn twenty_way_merge_equals_pairwise_merges(
        gens in prop::collection::vec(session_gen(), 20),
        rotate in 0usize..20,
    ) {
        let sources: Vec<Session> = gens
            .iter()
            .enumerate()
            .map(|(i, g)| build(&format!("s{i}"), g))
            .collect();
        let mut o = MergeOptions::new("m");
        o.created = t(5000);
        o.samples = Some(5);
        let mut m = Merger::new(o);
        for s in sources.iter().cloned() {
            m.add(s).unwrap();
        }
        let nway = laws_view(m.finish().unwrap().session);
        let left = sources.iter().cloned().reduce(|a, b| merged(&[a, b])).unwrap();
        prop_assert_eq!(&laws_view(left), &nway);
        let right = sources.iter().rev().cloned().reduce(|a, b| merged(&[b, a])).unwrap();
        prop_assert_eq!(&laws_view(right), &nway);
        let mut turned = sources.clone();
        turned.rotate_left(rotate);
        prop_assert_eq!(&laws_view(merged(&turned)), &nway);
    }
}
