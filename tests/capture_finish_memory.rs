//! Finishing a capture (building the session while it is written) holds, beside the
//! analyzer's state, only what the byte budget reserved for it (`Analyzer::finish_reserve`) and
//! a part bounded by `max_items` (the catalog's entries, one item's session form, the
//! compressor), however large the state: the peak of live heap bytes is measured by a counting
//! allocator (its own test binary, one test, so nothing else allocates meanwhile).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use otelsnap_testkit::counting_alloc::{self, Counting};

use chrono::{DateTime, Utc};
use otelsnap::analyze::{Analyzer, AnalyzerOptions};
use otelsnap::otlp::OtlpRequest;
use otelsnap::session::{Session, format};
use otelsnap_testkit::testdata::{gauge, kv_str, metrics_request, resource};

#[global_allocator]
static A: Counting = Counting;

const KIB: usize = 1024;
const MAX_ITEMS: usize = 1000;

/// 20 metrics, each point with 200 keys of its own (the hostile "many keys" shape).
fn many_keys(i: usize) -> OtlpRequest {
    OtlpRequest::Metrics(metrics_request(
        resource(Some("hostile"), vec![]),
        (0..20)
            .map(|j| {
                let attrs = (0..200)
                    .map(|k| kv_str(&format!("key.{i}.{j}.{k}"), &format!("value-{i}-{k}")))
                    .collect();
                gauge(&format!("m.{i}.{j}"), "1", vec![attrs])
            })
            .collect(),
    ))
}

/// Heap held while the analyzer fed `requests` requests is finished and written, beyond the
/// state: (state, peak beyond it, the reserve, the written bytes).
fn finish_cost(requests: usize) -> (usize, usize, usize, usize) {
    let at = DateTime::<Utc>::UNIX_EPOCH;
    let mut a = Analyzer::new(AnalyzerOptions {
        max_items: MAX_ITEMS,
        ..Default::default()
    });
    let mut state = 0;
    for i in 0..requests {
        let r = many_keys(i);
        let before = counting_alloc::live();
        a.ingest(&r, at);
        state += counting_alloc::live() - before;
    }
    let reserve = a.finish_reserve() as usize;
    let base = counting_alloc::reset_peak();
    let mut shell = Session::new("x");
    let pending = a.finish_pending(&mut shell);
    let gzip = format::to_gzip_streaming(&shell, pending.metrics, pending.attributes);
    let peak = counting_alloc::peak() - base;
    (state, peak, reserve, gzip.len())
}

#[test]
fn finishing_holds_the_reserve_and_a_part_bounded_by_max_items_not_by_the_state() {
    let mut fixed = Vec::new();
    for requests in [10, 40] {
        let (state, peak, reserve, written) = finish_cost(requests);
        // Each metric: its 200 point keys and the resource's service.name.
        let entries = requests * 20 * 201;
        // Past max_items distinct names the catalog chooses its keys among every key entry:
        // that is what the reserve is for, and it is used, not a guess far above the need.
        assert_eq!(
            reserve,
            entries * otelsnap::analyze::CATALOG_CHOICE_BYTES,
            "{requests} requests"
        );
        assert!(
            peak >= reserve,
            "{requests} requests: peak {peak}, reserve {reserve}"
        );
        eprintln!(
            "{requests} requests: state {} KiB, finishing peak {} KiB, reserve {} KiB, written {} KiB",
            state / KIB,
            peak / KIB,
            reserve / KIB,
            written / KIB
        );
        // Beyond the reserve: the catalog's MAX_ITEMS entries, one metric's session form, the
        // shell, the compressor and the bytes written so far. The state is consumed as it is
        // written and the choice is freed before the catalog is filled, so none of these add
        // up with the state's size.
        let rest = peak - reserve;
        assert!(
            rest < MAX_ITEMS * KIB + 2048 * KIB,
            "{requests} requests: state {} KiB, finishing held {} KiB beyond the reserve",
            state / KIB,
            rest / KIB
        );
        fixed.push((state, rest));
    }
    // Four times the state, and the part beyond the reserve does not follow it.
    let ((s1, r1), (s4, r4)) = (fixed[0], fixed[1]);
    assert!(s4 > 3 * s1, "states {s1} and {s4}");
    assert!(
        r4 < r1 + r1 / 4 + 64 * KIB,
        "beyond the reserve: {} KiB for a {} KiB state, {} KiB for a {} KiB state",
        r1 / KIB,
        s1 / KIB,
        r4 / KIB,
        s4 / KIB
    );
}
