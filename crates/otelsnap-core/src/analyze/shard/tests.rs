//! Laws of the sharded analyzer: the same sequential input gives byte-identical sessions with
//! one shard, N shards and the unsharded analyzer, caps included; threads ingesting at once
//! give the same keys and cardinality estimates as one thread.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use proptest::prelude::*;

use super::*;
use crate::session::{CaptureInfo, KeyStatsMap, Session, format};
use otelsnap_testkit::testdata::*;

fn t(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + s, 0)
        .single()
        .unwrap_or_default()
}

/// The session `a` finishes into, with everything else fixed.
fn finish(a: Analyzer, requests: usize) -> Session {
    let mut s = Session::new("shards");
    s.created = t(0);
    s.capture = Some(CaptureInfo {
        started: t(0),
        ended: t(100),
        sources: vec![],
        requests: requests as u64,
        rejected: 0,
        dropped: 0,
        truncated: 0,
        incomplete: None,
    });
    a.finish(&mut s);
    s
}

fn bytes(a: Analyzer, requests: usize) -> Vec<u8> {
    format::to_json(&finish(a, requests), false)
}

/// One generated request: signal, service, and per item a name and its attributes.
#[derive(Debug, Clone)]
struct Spec {
    signal: u8,
    service: u8,
    items: Vec<(u8, Vec<(u8, u16)>)>,
}

fn attrs(kvs: &[(u8, u16)]) -> Vec<KeyValue> {
    kvs.iter()
        .map(|(k, v)| kv_str(&format!("key.{k}"), &format!("value-{v}")))
        .collect()
}

fn build(spec: &Spec) -> OtlpRequest {
    let res = resource(
        Some(&format!("svc-{}", spec.service)),
        vec![kv_int("replica", i64::from(spec.service % 2))],
    );
    match spec.signal {
        0 => OtlpRequest::Metrics(metrics_request(
            res,
            spec.items
                .iter()
                .map(|(n, kvs)| {
                    let name = format!("metric.{n}");
                    if n % 3 == 0 {
                        sum(
                            &name,
                            "1",
                            2,
                            true,
                            vec![attrs(kvs), attrs(&kvs[..kvs.len() / 2])],
                        )
                    } else {
                        gauge(&name, "ms", vec![attrs(kvs)])
                    }
                })
                .collect(),
        )),
        1 => OtlpRequest::Traces(traces_request(
            res,
            spec.items
                .iter()
                .map(|(n, kvs)| {
                    let mut s = span(&format!("span.{}", n % 5), i32::from(n % 3), attrs(kvs), 0);
                    s.events.push(event(
                        &format!("ev.{}", n % 2),
                        attrs(&kvs[..kvs.len().min(2)]),
                    ));
                    s
                })
                .collect(),
        )),
        _ => OtlpRequest::Logs(logs_request(
            res,
            spec.items
                .iter()
                .map(|(n, kvs)| {
                    let (text, number) = match n % 4 {
                        0 => ("INFO", 9),
                        1 => ("", 13),
                        2 => ("ERROR", 17),
                        _ => ("INFO", 10),
                    };
                    let body = format!("user {} logged in from host-{}", n, kvs.len());
                    log(text, number, &body, attrs(kvs))
                })
                .collect(),
        )),
    }
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0u8..3,
        0u8..3,
        prop::collection::vec(
            (0u8..12, prop::collection::vec((0u8..10, 0u16..60), 0..5)),
            0..6,
        ),
    )
        .prop_map(|(signal, service, items)| Spec {
            signal,
            service,
            items,
        })
}

fn ingest_all(s: &Sharded, reqs: &[OtlpRequest], freeze_after: Option<usize>) {
    for (i, r) in reqs.iter().enumerate() {
        s.note_truncated(i as u64 % 3);
        s.ingest(r, t(i as i64));
        if freeze_after == Some(i) {
            s.freeze();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// One shard and N shards, fed the same requests in the same order, finish into the same
    /// bytes, however the item caps, the key budget, the per-item caps and a freeze cut in.
    #[test]
    fn n_shards_finish_like_one(
        specs in prop::collection::vec(spec(), 1..14),
        shards in 2usize..9,
        max_items in 1usize..14,
        key_budget in 0usize..60,
        samples in 0usize..4,
        freeze_after in prop::option::of(0usize..14),
    ) {
        let reqs: Vec<OtlpRequest> = specs.iter().map(build).collect();
        let opts = AnalyzerOptions { samples, max_items, ..AnalyzerOptions::default() };
        let one = Sharded::with_key_budget(opts.clone(), 1, key_budget);
        let many = Sharded::with_key_budget(opts, shards, key_budget);
        ingest_all(&one, &reqs, freeze_after);
        ingest_all(&many, &reqs, freeze_after);
        prop_assert_eq!(one.counts(), many.counts());
        let (a, b) = (bytes(one.into_analyzer(), reqs.len()), bytes(many.into_analyzer(), reqs.len()));
        prop_assert!(a == b, "sessions differ:\n{}\n{}", String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
    }

    /// The sharded analyzer finishes like the plain one, and so does a snapshot of it.
    #[test]
    fn sharded_finishes_like_the_plain_analyzer(
        specs in prop::collection::vec(spec(), 1..14),
        shards in 1usize..9,
        max_items in 1usize..14,
    ) {
        let reqs: Vec<OtlpRequest> = specs.iter().map(build).collect();
        let opts = AnalyzerOptions { max_items, ..AnalyzerOptions::default() };
        let mut plain = Analyzer::new(opts.clone());
        plain.set_request_time_fallback(true);
        let mut sharded = Sharded::new(opts, shards);
        sharded.set_request_time_fallback(true);
        for (i, r) in reqs.iter().enumerate() {
            plain.ingest(r, t(i as i64));
            sharded.ingest(r, t(i as i64));
        }
        let snap = sharded.snapshot();
        let want = bytes(plain, reqs.len());
        prop_assert!(bytes(snap.analyzer, reqs.len()) == want);
        prop_assert!(bytes(sharded.into_analyzer(), reqs.len()) == want);
    }
}

/// What must not depend on the order in which threads got to the shards: every item, its key
/// set with each key's count and cardinality estimate, its points and series.
type Shape = BTreeMap<String, (u64, u64, BTreeMap<String, (u64, u64)>)>;

fn keys(prefix: &str, m: &KeyStatsMap, out: &mut BTreeMap<String, (u64, u64)>) {
    for (k, v) in m {
        out.insert(format!("{prefix}{k}"), (v.count, v.estimated_cardinality));
    }
}

fn shape(s: &Session) -> Shape {
    let mut out = Shape::new();
    for m in &s.data.metrics {
        let mut k = BTreeMap::new();
        keys("label:", &m.label_keys, &mut k);
        keys("resource:", &m.resource_keys, &mut k);
        out.insert(
            format!("metric {}", m.name),
            (m.data_point_count, m.active_series, k),
        );
    }
    for sp in &s.data.spans {
        let mut k = BTreeMap::new();
        keys("attr:", &sp.attribute_keys, &mut k);
        keys("link:", &sp.link_attribute_keys, &mut k);
        for (ev, m) in &sp.event_attribute_keys {
            keys(&format!("event {ev}:"), m, &mut k);
        }
        out.insert(format!("span {} {}", sp.name, sp.kind), (0, 0, k));
    }
    for l in &s.data.logs {
        let mut k = BTreeMap::new();
        keys("attr:", &l.attribute_keys, &mut k);
        keys("resource:", &l.resource_keys, &mut k);
        out.insert(
            format!("log {} {}", l.severity, l.severity_number),
            (l.sample_count, 0, k),
        );
    }
    for a in &s.data.attributes {
        out.insert(
            format!("catalog {}", a.key),
            (a.count, a.estimated_cardinality, BTreeMap::new()),
        );
    }
    out
}

/// Requests with many distinct values (sketches, not exact sets) across all three signals.
fn busy_requests() -> Vec<OtlpRequest> {
    (0..240u32)
        .map(|i| {
            let items: Vec<(u8, Vec<(u8, u16)>)> = (0..8u32)
                .map(|j| {
                    let n = ((i * 7 + j) % 12) as u8;
                    let kvs = (0..4u32)
                        .map(|k| (((j + k) % 10) as u8, ((i * 31 + j * 17 + k) % 5000) as u16))
                        .collect();
                    (n, kvs)
                })
                .collect();
            build(&Spec {
                signal: (i % 3) as u8,
                service: (i % 3) as u8,
                items,
            })
        })
        .collect()
}

#[test]
fn two_threads_give_the_same_keys_and_estimates_as_one() {
    let reqs = busy_requests();
    let seq = Sharded::new(AnalyzerOptions::default(), 1);
    for r in &reqs {
        seq.ingest(r, t(0));
    }
    let want_counts = seq.counts();
    let want = shape(&finish(seq.into_analyzer(), reqs.len()));
    assert!(
        want.len() > 30,
        "the input exercises many items: {}",
        want.len()
    );
    for round in 0..4 {
        let par = Sharded::new(AnalyzerOptions::default(), 8);
        std::thread::scope(|s| {
            for k in 0..2 {
                let (par, reqs) = (&par, &reqs);
                s.spawn(move || {
                    for r in reqs.iter().skip(k).step_by(2) {
                        par.ingest(r, t(0));
                    }
                });
            }
        });
        assert_eq!(par.counts(), want_counts, "round {round}");
        let got = shape(&finish(par.into_analyzer(), reqs.len()));
        assert_eq!(got, want, "round {round}");
    }
}

#[test]
fn global_caps_hold_across_threads() {
    // 12 metric names into 8 shards from two threads with room for 5: exactly 5 are kept,
    // whichever threads won them, and every refused point is counted.
    let reqs = busy_requests();
    let opts = AnalyzerOptions {
        max_items: 5,
        ..AnalyzerOptions::default()
    };
    let seq = Sharded::new(opts.clone(), 1);
    for r in &reqs {
        seq.ingest(r, t(0));
    }
    let want = seq.counts();
    let par = Sharded::new(opts, 8);
    std::thread::scope(|s| {
        for k in 0..2 {
            let (par, reqs) = (&par, &reqs);
            s.spawn(move || {
                for r in reqs.iter().skip(k).step_by(2) {
                    par.ingest(r, t(0));
                }
            });
        }
    });
    let got = par.counts();
    assert_eq!((got.metrics, got.span_names, got.severities), (5, 5, 4));
    assert_eq!((want.metrics, want.span_names, want.severities), (5, 5, 4));
    // Every point, span and record sent is either kept or refused by the item cap, however
    // the race split them (key refusals depend on which items were kept, so they are left out).
    let items_refused = |s: &Session| {
        s.completeness
            .as_ref()
            .and_then(|c| c.dropped_by_cap.get("max_items").copied())
            .unwrap_or(0)
    };
    let (seq_s, par_s) = (
        finish(seq.into_analyzer(), reqs.len()),
        finish(par.into_analyzer(), reqs.len()),
    );
    assert!(items_refused(&par_s) > 0);
    assert_eq!(
        got.data_points + got.spans + got.log_records + items_refused(&par_s),
        want.data_points + want.spans + want.log_records + items_refused(&seq_s)
    );
    assert_eq!(par_s.data.metrics.len(), 5);
    // Finishing adds the catalog keys past the cap to what ingest dropped.
    let catalog = par_s
        .completeness
        .as_ref()
        .and_then(|c| c.dropped_by_cap.get("catalog").copied())
        .unwrap_or(0);
    assert_eq!(
        par_s.capture.as_ref().map(|c| c.dropped),
        Some(got.dropped + catalog)
    );
}

#[test]
fn a_snapshot_holds_every_completed_request_and_leaves_the_state_alone() {
    let reqs = busy_requests();
    let s = Sharded::new(AnalyzerOptions::default(), 4);
    for (i, r) in reqs.iter().enumerate().take(100) {
        s.ingest(r, t(i as i64));
    }
    let snap = s.snapshot();
    let mut plain = Analyzer::default();
    for (i, r) in reqs.iter().enumerate().take(100) {
        plain.ingest(r, t(i as i64));
    }
    assert_eq!(snap.analyzer.counts(), plain.counts());
    assert!(bytes(snap.analyzer, 100) == bytes(plain.clone(), 100));
    // Ingest goes on into the live shards, not into the copy's caps or maps.
    for (i, r) in reqs.iter().enumerate().skip(100) {
        s.ingest(r, t(i as i64));
        plain.ingest(r, t(i as i64));
    }
    assert!(bytes(s.into_analyzer(), reqs.len()) == bytes(plain, reqs.len()));
}

#[test]
fn items_of_a_busy_shard_are_put_aside_in_order() {
    // A request whose items span every shard, each name several times; one shard is held by
    // this thread while another thread ingests it, so that shard's items are put aside (in
    // their order) and ingested once it is free. The result is the plain analyzer's.
    let items: Vec<(u8, Vec<(u8, u16)>)> = (0..36u32)
        .map(|j| {
            (
                (j % 12) as u8,
                vec![((j % 7) as u8, j as u16), (9, (j / 3) as u16)],
            )
        })
        .collect();
    let req = build(&Spec {
        signal: 0,
        service: 1,
        items,
    });
    let s = Sharded::new(AnalyzerOptions::default(), 4);
    let busy = match &req {
        OtlpRequest::Metrics(r) => {
            let m = &r.resource_metrics[0].scope_metrics[0].metrics[0];
            (super::super::Item::Metric(m).identity_hash() % 4) as usize
        }
        _ => unreachable!(),
    };
    std::thread::scope(|sc| {
        let guard = s.shards[busy].lock().unwrap_or_else(|p| p.into_inner());
        let worker = sc.spawn(|| s.ingest(&req, t(0)));
        // The other shards fill while this one is held.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            let others: u64 = (0..4)
                .filter(|i| *i != busy)
                .map(|i| Sharded::lock(&s.shards[i]).counts.data_points)
                .sum();
            if others > 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            guard.counts.data_points, 0,
            "nothing entered the held shard"
        );
        drop(guard);
        worker
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
    });
    let mut plain = Analyzer::default();
    plain.ingest(&req, t(0));
    assert!(bytes(s.into_analyzer(), 1) == bytes(plain, 1));
}
