//! Merge laws of key evidence as property tests: combining the evidence of captures is
//! commutative and associative (the sample, units, growth, distinct count and so the verdict),
//! on sessions built by the real analyzer from random streams of values.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use chrono::DateTime;
use otelsnap::analyze::{Analyzer, AnalyzerOptions};
use otelsnap::merge::{MergeOptions, merge};
use otelsnap::session::evidence::{Shape, ShapeSample};
use otelsnap::session::{KeyEvidence, Session};
use otelsnap_testkit::testdata::{kv_str, resource, span, traces_request};
use proptest::prelude::*;

/// A capture: values of key `k` on spans, drawn as (is id-like, number).
fn session(id: &str, values: &[(bool, u16)]) -> Session {
    let mut a = Analyzer::new(AnalyzerOptions::default());
    let spans = values
        .iter()
        .map(|(idish, n)| {
            let v = if *idish {
                format!("6f1c2a9e-3b4d-4c8e-9f0a-{n:012x}")
            } else {
                format!("word{}", ["a", "b", "c", "d", "e"][usize::from(*n % 5)])
            };
            span("op", 2, vec![kv_str("k", &v)], 0)
        })
        .collect();
    a.ingest_traces(
        &traces_request(resource(Some("svc"), vec![]), spans),
        DateTime::UNIX_EPOCH,
    );
    let mut s = Session::new(id);
    s.created = DateTime::UNIX_EPOCH;
    a.finish(&mut s);
    s
}

fn merged(sources: &[Session]) -> Session {
    let mut o = MergeOptions::new("m");
    o.created = DateTime::UNIX_EPOCH;
    merge(sources, &o).unwrap().session
}

fn evidence(s: &Session) -> (Option<KeyEvidence>, Option<KeyEvidence>) {
    let span = s.data.spans[0]
        .attribute_keys
        .get("k")
        .and_then(|k| k.evidence.as_deref().cloned());
    let cat = s
        .data
        .attributes
        .iter()
        .find(|a| a.key == "k")
        .and_then(|a| a.evidence.as_deref().cloned());
    (span, cat)
}

fn stream() -> impl Strategy<Value = Vec<(bool, u16)>> {
    prop::collection::vec((any::<bool>(), 0u16..300), 1..120)
}

fn sample() -> impl Strategy<Value = KeyEvidence> {
    (
        prop::collection::vec((any::<u64>(), 0u8..17), 0..150),
        0u64..500,
        prop::collection::btree_map(0u32..8, 0u64..200, 0..6),
    )
        .prop_map(|(entries, units, growth)| {
            let mut s = ShapeSample::default();
            for (h, c) in entries {
                if s.selects(h) && !s.contains(h) {
                    s.insert(h, c);
                }
            }
            let growth = growth.into_iter().map(|(k, d)| [4u64 << k, d]).collect();
            KeyEvidence::new(&s, units, units / 2, growth)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn evidence_merge_is_commutative_and_associative(a in sample(), b in sample(), c in sample(), d in 0u64..1000) {
        prop_assert_eq!(a.merge(&b, d), b.merge(&a, d));
        prop_assert_eq!(a.merge(&b, d).merge(&c, d), a.merge(&b.merge(&c, d), d));
        // The merged sample is the sample of the union: never over capacity, all selected.
        let m = a.merge(&b, d).shape_sample();
        prop_assert!(m.entries.len() <= otelsnap::session::evidence::SAMPLE_CAP);
        prop_assert!(m.entries.iter().all(|e| m.selects(e.0)));
        prop_assert!(m.entries.iter().all(|e| Shape::from_code(e.1).is_some()));
    }

    #[test]
    fn session_merge_of_evidence_is_commutative_and_associative(
        x in stream(), y in stream(), z in stream()
    ) {
        let (a, b, c) = (session("a", &x), session("b", &y), session("c", &z));
        let ab = merged(&[a.clone(), b.clone()]);
        let ba = merged(&[b.clone(), a.clone()]);
        prop_assert_eq!(evidence(&ab), evidence(&ba));
        let left = merged(&[ab, c.clone()]);
        let right = merged(&[a.clone(), merged(&[b.clone(), c.clone()])]);
        prop_assert_eq!(evidence(&left), evidence(&right));
        let all = merged(&[a, b, c]);
        prop_assert_eq!(evidence(&left), evidence(&all));
        let (ev, cat) = evidence(&all);
        let ev = ev.unwrap();
        prop_assert_eq!(ev.units, (x.len() + y.len() + z.len()) as u64);
        prop_assert!(cat.is_some());
    }
}

#[test]
fn a_source_without_evidence_makes_the_merge_unknown() {
    let a = session("a", &[(true, 1), (true, 2)]);
    let mut b = session("b", &[(true, 3)]);
    for ks in b.data.spans[0].attribute_keys.values_mut() {
        ks.evidence = None;
    }
    let m = merged(&[a, b]);
    assert_eq!(evidence(&m).0, None);
}
