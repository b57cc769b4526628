//! A 50,000-metric session (5 label keys each, realistic cardinalities, real sketches) saves,
//! lists from its header and loads back unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use otelsnap_core::session::{Limits, SessionName, Store};

#[test]
fn fifty_thousand_metrics_save_list_and_load() {
    let s = otelsnap_testkit::synth::session("large", 50_000, 5);
    assert_eq!(s.stats.metrics_count, 50_000);
    let t = tempfile::tempdir().unwrap();
    let store = Store::new(Some(t.path().join("sessions")), Limits::default());
    let saved = store.save(&s, false).unwrap();
    assert!(
        saved.bytes > 1_000_000,
        "real sketches and keys: {} bytes",
        saved.bytes
    );
    assert!(saved.bytes < Limits::default().max_session_size);

    let rows = store.list().unwrap();
    assert_eq!(rows.len(), 1);
    let h = rows[0].header.as_ref().unwrap();
    assert_eq!(h.stats.metrics_count, 50_000);
    assert_eq!(h.id, "large");

    let back = store.load(&SessionName::parse("large").unwrap()).unwrap();
    assert!(back == s, "the loaded session differs from the saved one");
}
