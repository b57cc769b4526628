//! `fixtures/` is what the generator (`otelsnap_testkit::fixtures`, run by
//! `examples/gen_fixtures.rs`) writes, and tells the story it claims.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::io::BufRead;
use std::path::Path;

use otelsnap::analyze::{Analyzer, AnalyzerOptions};
use otelsnap::session::format::{self, ReadLimits};
use otelsnap_testkit::fixtures as gen_fixtures;

const REGENERATE: &str = "run `cargo run --example gen_fixtures` and commit fixtures/";

#[test]
fn fixtures_match_the_generator() {
    let tmp = tempfile::tempdir().unwrap();
    let written = gen_fixtures::write_all(tmp.path()).unwrap();
    assert_eq!(written.len(), 7);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for path in written {
        let rel = path.strip_prefix(tmp.path()).unwrap();
        let fresh = std::fs::read(&path).unwrap();
        let committed = std::fs::read(root.join(rel))
            .unwrap_or_else(|_| panic!("fixtures/{} is missing: {REGENERATE}", rel.display()));
        assert!(
            fresh == committed,
            "fixtures/{} drifted from its generator: {REGENERATE}",
            rel.display()
        );
    }
}

#[test]
fn generation_is_deterministic() {
    assert_eq!(gen_fixtures::fixture_files(), gen_fixtures::fixture_files());
}

#[test]
fn the_release_explodes_request_duration_series() {
    let v1 = gen_fixtures::session(false);
    let v2 = gen_fixtures::session(true);
    let get = |s: &otelsnap::session::Session| {
        s.data
            .metrics
            .iter()
            .find(|m| m.name == "http.server.request.duration")
            .cloned()
            .unwrap()
    };
    let (a, b) = (get(&v1), get(&v2));
    assert!(!a.label_keys.contains_key("user_id"));
    let users = b.label_keys.get("user_id").expect("user_id label in v2");
    assert!(users.estimated_cardinality >= 1_000, "{users:?}");
    assert!(
        b.active_series >= 10 * a.active_series,
        "{} -> {}",
        a.active_series,
        b.active_series
    );
    // The benign changes.
    assert!(
        v2.data
            .metrics
            .iter()
            .any(|m| m.name == "checkout.coupons.applied")
    );
    assert!(
        !v1.data
            .metrics
            .iter()
            .any(|m| m.name == "checkout.coupons.applied")
    );
    assert_eq!(v1.stats.services, vec!["checkout", "payment"]);
}

/// The OTLP lines, read back with the OTLP/JSON decoder and analyzed, give exactly the data of
/// the session fixture: the files are the traffic behind the sessions.
#[test]
fn otlp_lines_reproduce_the_sessions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for (v2, file, session) in [
        (false, "otlp/checkout-v1.jsonl", "checkout-v1.json.gz"),
        (true, "otlp/checkout-v2.jsonl.gz", "checkout-v2.json.gz"),
    ] {
        let raw = std::fs::read(root.join(file)).unwrap();
        let text = format::inflate(&raw, &ReadLimits::default(), file).unwrap();
        let mut analyzer = Analyzer::new(AnalyzerOptions::default());
        let mut lines = 0;
        for line in text.lines() {
            let line = line.unwrap();
            let req = otelsnap::otlp::json::decode_any(line.as_bytes()).unwrap();
            analyzer.ingest(&req, chrono::DateTime::UNIX_EPOCH);
            lines += 1;
        }
        assert_eq!(lines, gen_fixtures::requests(v2).len());
        let stored = format::decode(
            &std::fs::read(root.join(session)).unwrap(),
            &ReadLimits::default(),
            session,
        )
        .unwrap();
        let mut replay = stored.clone();
        analyzer.finish(&mut replay);
        // Timestamps differ (first/last seen come from the ingest time); the metadata does not.
        let strip = |s: &mut otelsnap::session::Session| {
            for a in &mut s.data.attributes {
                a.first_seen = None;
                a.last_seen = None;
            }
        };
        let mut stored = stored;
        strip(&mut stored);
        strip(&mut replay);
        assert_eq!(
            replay.data, stored.data,
            "{file} does not reproduce {session}"
        );
    }
}
