//! The in-flight budget charges a decoded request `PROTOBUF_EXPANSION` (or `JSON_EXPANSION`)
//! heap bytes per encoded byte (`otlp::inflight`). This measures what decoding really holds, by
//! a counting allocator (its own test binary, one test, so nothing else allocates meanwhile),
//! for SDK- and Collector-shaped requests of every signal, and prints the adversarial case
//! (empty keys and values) the constants do not cover, so its size stays known.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test stops on what it cannot set up

use otelsnap::otlp::inflight::{JSON_EXPANSION, PROTOBUF_EXPANSION, decoding_bytes};
use otelsnap::otlp::{OtlpRequest, json};
use otelsnap_testkit::counting_alloc::{self, Counting};
use otelsnap_testkit::{otlp_json, testdata};
use prost::Message as _;

#[global_allocator]
static A: Counting = Counting;

/// Heap bytes held by what `decode` returns, measured while it is alive.
fn held_by<T>(decode: impl FnOnce() -> T) -> usize {
    let before = counting_alloc::live();
    let value = decode();
    let held = counting_alloc::live().saturating_sub(before);
    drop(value);
    held
}

#[test]
fn decoded_requests_stay_within_the_charged_expansion() {
    let mut cases: Vec<(&str, OtlpRequest)> = vec![
        (
            "bench metrics (50 x 20 points x 5 attributes)",
            OtlpRequest::Metrics(testdata::bench_metrics(50, 20, 5, 1)),
        ),
        (
            "bench metrics (10 x 100 points x 8 attributes)",
            OtlpRequest::Metrics(testdata::bench_metrics(10, 100, 8, 3)),
        ),
        (
            "checkout metrics with user ids",
            OtlpRequest::Metrics(testdata::checkout_metrics_with("checkout", 200)),
        ),
        (
            "checkout traces",
            OtlpRequest::Traces(testdata::checkout_traces()),
        ),
        (
            "checkout logs",
            OtlpRequest::Logs(testdata::checkout_logs()),
        ),
        (
            "an SDK batch of 512 spans",
            OtlpRequest::Traces(span_batch(512)),
        ),
        (
            "an SDK batch of 512 log records",
            OtlpRequest::Logs(log_batch(512)),
        ),
    ];
    // Empty strings and one-element lists: the most structure per encoded byte.
    let tiny = (0..20_000)
        .map(|_| testdata::kv_str("", ""))
        .collect::<Vec<_>>();
    let adversarial = OtlpRequest::Metrics(testdata::metrics_request(
        testdata::resource(None, tiny),
        vec![],
    ));
    let mut over = Vec::new();
    for (what, req) in cases.drain(..) {
        let (pb, doc) = match &req {
            OtlpRequest::Metrics(r) => (r.encode_to_vec(), otlp_json::encode_metrics(r)),
            OtlpRequest::Traces(r) => (r.encode_to_vec(), otlp_json::encode_traces(r)),
            OtlpRequest::Logs(r) => (r.encode_to_vec(), otlp_json::encode_logs(r)),
        };
        let text = serde_json::to_vec(&doc).unwrap();
        let from_pb = held_by(|| decode_protobuf(&req, &pb));
        let from_json = held_by(|| json::decode_any(&text).unwrap());
        eprintln!(
            "{what}: protobuf {} B -> {from_pb} B decoded ({:.2}x); JSON {} B -> {from_json} B ({:.2}x)",
            pb.len(),
            from_pb as f64 / pb.len() as f64,
            text.len(),
            from_json as f64 / text.len() as f64
        );
        assert!(from_pb > 0 && from_json > 0, "{what}: nothing measured");
        if from_pb as u64 > decoding_bytes(pb.len() as u64, PROTOBUF_EXPANSION, false) {
            over.push(format!("{what}: protobuf over its charge"));
        }
        if from_json as u64 > decoding_bytes(text.len() as u64, JSON_EXPANSION, false) {
            over.push(format!("{what}: JSON over its charge"));
        }
    }
    assert!(over.is_empty(), "{over:?}");
    let OtlpRequest::Metrics(r) = &adversarial else {
        unreachable!()
    };
    let pb = r.encode_to_vec();
    let from_pb = held_by(|| decode_protobuf(&adversarial, &pb));
    let ratio = from_pb as f64 / pb.len() as f64;
    eprintln!(
        "adversarial (20,000 empty attributes): protobuf {} B -> {from_pb} B ({ratio:.1}x)",
        pb.len()
    );
    // Documented in `inflight` and BENCHMARKS.md: beyond the charge, bounded by --max-body.
    assert!(
        ratio > PROTOBUF_EXPANSION as f64,
        "the adversarial case is the one the constant does not cover"
    );
}

/// Spans as an SDK's batch processor sends them: ids, times, eight attributes.
fn span_batch(
    n: usize,
) -> opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest {
    let spans = (0..n)
        .map(|i| {
            let attrs = (0..8)
                .map(|k| {
                    testdata::kv_str(&format!("app.attribute.{k}"), &format!("value-{}", i % 37))
                })
                .collect();
            let mut s = testdata::span(&format!("GET /api/items/{}", i % 20), 2, attrs, 0);
            s.trace_id = (0..16).map(|b| (i + b) as u8).collect();
            s.span_id = (0..8).map(|b| (i * 3 + b) as u8).collect();
            s.start_time_unix_nano = 1_700_000_000_000_000_000 + i as u64;
            s.end_time_unix_nano = s.start_time_unix_nano + 1_000_000;
            s
        })
        .collect();
    testdata::traces_request(testdata::resource(Some("checkout"), vec![]), spans)
}

/// Log records as an SDK's batch processor sends them: a message, ids, four attributes.
fn log_batch(
    n: usize,
) -> opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest {
    let records = (0..n)
        .map(|i| {
            let attrs = (0..4)
                .map(|k| testdata::kv_str(&format!("log.attribute.{k}"), &format!("v{}", i % 11)))
                .collect();
            let mut r = testdata::log(
                "INFO",
                9,
                &format!("user {i} signed in from 10.0.{}.{}", i % 256, i % 7),
                attrs,
            );
            r.trace_id = (0..16).map(|b| (i + b) as u8).collect();
            r.span_id = (0..8).map(|b| (i * 3 + b) as u8).collect();
            r.time_unix_nano = 1_700_000_000_000_000_000 + i as u64;
            r
        })
        .collect();
    testdata::logs_request(testdata::resource(Some("checkout"), vec![]), records)
}

fn decode_protobuf(like: &OtlpRequest, pb: &[u8]) -> OtlpRequest {
    use opentelemetry_proto::tonic::collector::{
        logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
        trace::v1::ExportTraceServiceRequest,
    };
    match like {
        OtlpRequest::Metrics(_) => {
            OtlpRequest::Metrics(ExportMetricsServiceRequest::decode(pb).unwrap())
        }
        OtlpRequest::Traces(_) => {
            OtlpRequest::Traces(ExportTraceServiceRequest::decode(pb).unwrap())
        }
        OtlpRequest::Logs(_) => OtlpRequest::Logs(ExportLogsServiceRequest::decode(pb).unwrap()),
    }
}
