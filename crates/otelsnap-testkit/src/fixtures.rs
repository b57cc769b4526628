//! Generates `fixtures/`: a checkout service before and after a release, as capture would
//! produce them, plus the OTLP traffic behind them and an OCC-format export.
//!
//! `cargo run --example gen_fixtures` writes them into the repository's `fixtures/`;
//! `tests/fixtures_fresh.rs` regenerates into a temporary directory and fails when the
//! committed files drift.
//!
//! The story: `checkout` 1.4.0 (session `checkout-v1`) and 1.5.0 (`checkout-v2`), three
//! instances each, plus a `payment` service. Release 1.5.0 added a `user_id` label to
//! `http.server.request.duration`, so that histogram's active series grow from a few dozen to
//! well over a thousand; it also added the `checkout.coupons.applied` counter and a `DELETE`
//! database operation (benign). Everything goes through the real analyzer, with fixed
//! timestamps, so the files are byte-for-byte reproducible.

use std::path::{Path, PathBuf};

use crate::rng::Rng;
use crate::testdata as td;
use chrono::{DateTime, Duration, Utc};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::Metric;
use otelsnap_core::analyze::{Analyzer, AnalyzerOptions};
use otelsnap_core::otlp::OtlpRequest;
use otelsnap_core::session::{CaptureInfo, Session, format};
use serde_json::{Value, json};

/// Export rounds per capture (one metrics, traces and logs request per instance per round).
const ROUNDS: u64 = 6;
/// Seconds between rounds.
const INTERVAL: i64 = 10;
/// Distinct users behind the `user_id` label in 1.5.0.
const USERS: u64 = 3_000;
/// Points per (route combination, request) carrying `user_id` in 1.5.0.
const USER_POINTS: u64 = 8;

/// (method, route, status) combinations the checkout service really serves.
const COMBOS: [(&str, &str, i64); 14] = [
    ("GET", "/", 200),
    ("GET", "/cart", 200),
    ("GET", "/cart", 404),
    ("POST", "/cart/items", 201),
    ("POST", "/cart/items", 400),
    ("DELETE", "/cart/items", 200),
    ("POST", "/checkout", 200),
    ("POST", "/checkout", 400),
    ("POST", "/checkout", 500),
    ("GET", "/orders/{id}", 200),
    ("GET", "/orders/{id}", 404),
    ("GET", "/health", 200),
    ("GET", "/products", 200),
    ("GET", "/products/{id}", 200),
];
const DURATION_BOUNDS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

fn s(k: &str, v: &str) -> KeyValue {
    td::kv_str(k, v)
}

fn i(k: &str, v: i64) -> KeyValue {
    td::kv_int(k, v)
}

fn described(mut m: Metric, description: &str) -> Metric {
    m.description = description.to_string();
    m
}

fn checkout_resource(
    v2: bool,
    instance: u64,
) -> opentelemetry_proto::tonic::resource::v1::Resource {
    td::resource(
        Some("checkout"),
        vec![
            s("service.version", if v2 { "1.5.0" } else { "1.4.0" }),
            s("service.instance.id", &format!("checkout-{instance}")),
            s("deployment.environment.name", "prod"),
            s("host.name", &format!("node-{}", instance + 1)),
        ],
    )
}

fn payment_resource() -> opentelemetry_proto::tonic::resource::v1::Resource {
    td::resource(
        Some("payment"),
        vec![
            s("service.version", "2.3.1"),
            s("service.instance.id", "payment-0"),
            s("deployment.environment.name", "prod"),
            s("host.name", "node-4"),
        ],
    )
}

fn checkout_metrics(v2: bool, instance: u64, rng: &mut Rng) -> OtlpRequest {
    let mut duration_points = Vec::new();
    for (method, route, status) in COMBOS {
        let base = vec![
            s("http.request.method", method),
            s("http.route", route),
            i("http.response.status_code", status),
            s("url.scheme", "https"),
        ];
        if v2 {
            for _ in 0..USER_POINTS {
                let mut attrs = base.clone();
                attrs.push(s(
                    "user_id",
                    &format!("u-{:05}", rng.below(USERS) * 7919 % 100_000),
                ));
                duration_points.push(attrs);
            }
        } else {
            duration_points.push(base);
        }
    }
    let db_ops: &[&str] = if v2 {
        &["SELECT", "INSERT", "UPDATE", "DELETE"]
    } else {
        &["SELECT", "INSERT", "UPDATE"]
    };
    let mut db_points = Vec::new();
    for op in db_ops {
        for table in ["orders", "carts", "order_items"] {
            db_points.push(vec![
                s("db.system.name", "postgresql"),
                s("db.operation.name", op),
                s("db.collection.name", table),
            ]);
        }
    }
    let mut orders = Vec::new();
    for pm in ["card", "paypal", "invoice"] {
        for cur in ["EUR", "SEK", "USD"] {
            orders.push(vec![s("payment.method", pm), s("currency", cur)]);
        }
    }
    let mut jvm = Vec::new();
    for (ty, pool) in [
        ("heap", "G1 Eden Space"),
        ("heap", "G1 Old Gen"),
        ("heap", "G1 Survivor Space"),
        ("non_heap", "Metaspace"),
        ("non_heap", "CodeCache"),
        ("non_heap", "Compressed Class Space"),
    ] {
        jvm.push(vec![
            s("jvm.memory.type", ty),
            s("jvm.memory.pool.name", pool),
        ]);
    }
    let mut metrics = vec![
        described(
            td::histogram(
                "http.server.request.duration",
                "s",
                td::CUMULATIVE,
                &DURATION_BOUNDS,
                duration_points,
            ),
            "Duration of HTTP server requests.",
        ),
        described(
            td::sum(
                "http.server.active_requests",
                "{request}",
                td::CUMULATIVE,
                false,
                vec![
                    vec![s("http.request.method", "GET"), s("url.scheme", "https")],
                    vec![s("http.request.method", "POST"), s("url.scheme", "https")],
                ],
            ),
            "Number of active HTTP server requests.",
        ),
        described(
            td::histogram(
                "db.client.operation.duration",
                "s",
                td::CUMULATIVE,
                &[0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0],
                db_points,
            ),
            "Duration of database client operations.",
        ),
        described(
            td::sum(
                "checkout.orders.placed",
                "{order}",
                td::CUMULATIVE,
                true,
                orders,
            ),
            "Orders placed.",
        ),
        described(
            td::gauge(
                "checkout.cart.items",
                "{item}",
                vec![vec![s("cart.size", "small")], vec![s("cart.size", "large")]],
            ),
            "Items in carts being checked out.",
        ),
        described(
            td::gauge("jvm.memory.used", "By", jvm),
            "Measure of memory used.",
        ),
        described(
            td::exp_histogram(
                "rpc.client.duration",
                "ms",
                td::CUMULATIVE,
                ["Authorize", "Capture", "Refund"]
                    .iter()
                    .enumerate()
                    .map(|(n, m)| {
                        (
                            3 - (n as i32 % 2),
                            vec![
                                s("rpc.system", "grpc"),
                                s("rpc.service", "payment.PaymentService"),
                                s("rpc.method", m),
                            ],
                        )
                    })
                    .collect(),
            ),
            "Duration of outbound RPCs.",
        ),
        described(
            td::summary(
                "checkout.queue.delay",
                "ms",
                vec![
                    vec![s("queue.name", "orders")],
                    vec![s("queue.name", "emails")],
                ],
            ),
            "Time messages wait in the outbox queue.",
        ),
    ];
    if v2 {
        metrics.push(described(
            td::sum(
                "checkout.coupons.applied",
                "{coupon}",
                td::DELTA,
                true,
                ["percent", "fixed", "free_shipping"]
                    .iter()
                    .map(|t| vec![s("coupon.type", t)])
                    .collect(),
            ),
            "Coupons applied at checkout.",
        ));
    }
    OtlpRequest::Metrics(td::metrics_request(
        checkout_resource(v2, instance),
        metrics,
    ))
}

fn payment_metrics() -> OtlpRequest {
    let mut rpc = Vec::new();
    for m in ["Authorize", "Capture", "Refund"] {
        for code in [0, 3, 14] {
            rpc.push(vec![
                s("rpc.system", "grpc"),
                s("rpc.method", m),
                i("rpc.grpc.status_code", code),
            ]);
        }
    }
    let mut auth = Vec::new();
    for pm in ["card", "paypal", "invoice"] {
        for outcome in ["approved", "declined"] {
            auth.push(vec![s("payment.method", pm), s("payment.outcome", outcome)]);
        }
    }
    OtlpRequest::Metrics(td::metrics_request(
        payment_resource(),
        vec![
            described(
                td::histogram(
                    "rpc.server.duration",
                    "ms",
                    td::CUMULATIVE,
                    &[1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0],
                    rpc,
                ),
                "Duration of inbound RPCs.",
            ),
            described(
                td::sum(
                    "payment.authorizations",
                    "{authorization}",
                    td::CUMULATIVE,
                    true,
                    auth,
                ),
                "Payment authorizations by outcome.",
            ),
        ],
    ))
}

fn checkout_traces(v2: bool, instance: u64, round: u64, rng: &mut Rng) -> OtlpRequest {
    let mut spans = Vec::new();
    for (method, route, status) in COMBOS.iter().filter(|c| c.1 != "/health") {
        spans.push(td::span(
            &format!("{method} {route}"),
            2,
            vec![
                s("http.request.method", method),
                s("http.route", route),
                i("http.response.status_code", *status),
                s("url.scheme", "https"),
                s(
                    "client.address",
                    &format!("10.0.{}.{}", rng.below(4), rng.below(200)),
                ),
            ],
            if *status >= 500 { 2 } else { 0 },
        ));
    }
    for table in ["orders", "carts"] {
        spans.push(td::span(
            &format!("SELECT {table}"),
            3,
            vec![
                s("db.system.name", "postgresql"),
                s("db.operation.name", "SELECT"),
                s("db.collection.name", table),
                s("server.address", "db-primary"),
            ],
            0,
        ));
    }
    let mut auth = td::span(
        "payment.PaymentService/Authorize",
        3,
        vec![
            s("rpc.system", "grpc"),
            s("rpc.service", "payment.PaymentService"),
            s("rpc.method", "Authorize"),
            i("rpc.grpc.status_code", if round % 4 == 3 { 14 } else { 0 }),
        ],
        if round % 4 == 3 { 2 } else { 1 },
    );
    if round % 4 == 3 {
        auth.events.push(td::event(
            "exception",
            vec![
                s("exception.type", "io.grpc.StatusRuntimeException"),
                s(
                    "exception.message",
                    "UNAVAILABLE: payment backend unreachable",
                ),
            ],
        ));
    }
    spans.push(auth);
    let mut publish = td::span(
        "orders publish",
        4,
        vec![
            s("messaging.system", "kafka"),
            s("messaging.destination.name", "orders"),
            s("messaging.operation.type", "publish"),
        ],
        0,
    );
    publish
        .links
        .push(td::link(vec![s("link.reason", "order.created")]));
    spans.push(publish);
    OtlpRequest::Traces(td::traces_request(checkout_resource(v2, instance), spans))
}

fn payment_traces(round: u64) -> OtlpRequest {
    let mut spans = Vec::new();
    for m in ["Authorize", "Capture"] {
        spans.push(td::span(
            &format!("payment.PaymentService/{m}"),
            2,
            vec![
                s("rpc.system", "grpc"),
                s("rpc.method", m),
                i("rpc.grpc.status_code", 0),
            ],
            0,
        ));
    }
    if round.is_multiple_of(3) {
        spans.push(td::span(
            "payment.PaymentService/Refund",
            2,
            vec![
                s("rpc.system", "grpc"),
                s("rpc.method", "Refund"),
                i("rpc.grpc.status_code", 0),
            ],
            0,
        ));
    }
    OtlpRequest::Traces(td::traces_request(payment_resource(), spans))
}

fn checkout_logs(v2: bool, instance: u64, round: u64, rng: &mut Rng) -> OtlpRequest {
    let mut records = Vec::new();
    for _ in 0..4 {
        let order = format!("ORD-{}", 10_000 + rng.below(90_000));
        records.push(td::log(
            "INFO",
            9,
            &format!("Order {order} placed with {} items", 1 + rng.below(9)),
            vec![s("order.id", &order)],
        ));
    }
    if round.is_multiple_of(2) {
        let order = format!("ORD-{}", 10_000 + rng.below(90_000));
        records.push(td::log(
            "WARN",
            13,
            &format!("Payment retry {} for order {order}", 1 + rng.below(3)),
            vec![s("order.id", &order)],
        ));
    }
    if round % 4 == 3 {
        let order = format!("ORD-{}", 10_000 + rng.below(90_000));
        let reason =
            ["card expired", "insufficient funds", "backend unavailable"][rng.below(3) as usize];
        let mut rec = td::log(
            "ERROR",
            17,
            &format!("Payment declined for order {order}: {reason}"),
            vec![s("order.id", &order), s("error.type", "PaymentDeclined")],
        );
        rec.event_name = "payment.declined".into();
        records.push(rec);
    }
    if round == 0 {
        records.push(td::log(
            "DEBUG",
            5,
            &format!("cache warmed with {} products", 1_000 + instance * 17),
            vec![],
        ));
    }
    OtlpRequest::Logs(td::logs_request(checkout_resource(v2, instance), records))
}

/// The OTLP requests a capture of version 1 (`v2 = false`) or 2 would receive, in order.
pub fn requests(v2: bool) -> Vec<OtlpRequest> {
    let mut rng = Rng::from_state(if v2 { 2 } else { 1 });
    let mut out = Vec::new();
    for round in 0..ROUNDS {
        let at = round_time(v2, round);
        for instance in 0..3 {
            out.push(stamp(checkout_metrics(v2, instance, &mut rng), at));
            out.push(stamp(checkout_traces(v2, instance, round, &mut rng), at));
            out.push(stamp(checkout_logs(v2, instance, round, &mut rng), at));
        }
        out.push(stamp(payment_metrics(), at));
        out.push(stamp(payment_traces(round), at));
    }
    out
}

/// When the capture of version 1 or 2 started.
fn start(v2: bool) -> DateTime<Utc> {
    time(if v2 {
        "2025-03-10T10:00:00Z"
    } else {
        "2025-03-03T10:00:00Z"
    })
}

/// When round `round` was exported (a second into each interval).
fn round_time(v2: bool, round: u64) -> DateTime<Utc> {
    start(v2) + Duration::seconds(INTERVAL * round as i64 + 1)
}

/// Sets every telemetry time in `req` to `at` (a span ends there, starting 5 ms earlier), as
/// an exporter writes them: these times, not when a file is read, are what rates are per.
fn stamp(mut req: OtlpRequest, at: DateTime<Utc>) -> OtlpRequest {
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    let ns = at.timestamp_nanos_opt().unwrap_or_default() as u64;
    match &mut req {
        OtlpRequest::Metrics(r) => {
            for m in r
                .resource_metrics
                .iter_mut()
                .flat_map(|rm| rm.scope_metrics.iter_mut())
                .flat_map(|sm| sm.metrics.iter_mut())
            {
                match &mut m.data {
                    Some(Data::Gauge(g)) => {
                        g.data_points.iter_mut().for_each(|p| p.time_unix_nano = ns)
                    }
                    Some(Data::Sum(x)) => {
                        x.data_points.iter_mut().for_each(|p| p.time_unix_nano = ns)
                    }
                    Some(Data::Histogram(h)) => {
                        h.data_points.iter_mut().for_each(|p| p.time_unix_nano = ns)
                    }
                    Some(Data::ExponentialHistogram(e)) => {
                        e.data_points.iter_mut().for_each(|p| p.time_unix_nano = ns)
                    }
                    Some(Data::Summary(x)) => {
                        x.data_points.iter_mut().for_each(|p| p.time_unix_nano = ns)
                    }
                    None => {}
                }
            }
        }
        OtlpRequest::Traces(r) => {
            for sp in r
                .resource_spans
                .iter_mut()
                .flat_map(|rs| rs.scope_spans.iter_mut())
                .flat_map(|ss| ss.spans.iter_mut())
            {
                sp.start_time_unix_nano = ns - 5_000_000;
                sp.end_time_unix_nano = ns;
            }
        }
        OtlpRequest::Logs(r) => {
            for rec in r
                .resource_logs
                .iter_mut()
                .flat_map(|rl| rl.scope_logs.iter_mut())
                .flat_map(|sl| sl.log_records.iter_mut())
            {
                rec.time_unix_nano = ns;
            }
        }
    }
    req
}

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The session capture would save from [`requests`], with fixed timestamps.
pub fn session(v2: bool) -> Session {
    let (name, description) = if v2 {
        (
            "checkout-v2",
            "checkout 1.5.0 after the release (user_id label added to request duration)",
        )
    } else {
        ("checkout-v1", "checkout 1.4.0 before the release")
    };
    let start = start(v2);
    let reqs = requests(v2);
    let mut analyzer = Analyzer::new(AnalyzerOptions::default());
    let per_round = reqs.len() as u64 / ROUNDS;
    for (n, r) in reqs.iter().enumerate() {
        let round = n as u64 / per_round;
        analyzer.ingest(r, round_time(v2, round));
    }
    let ended = start + Duration::seconds(INTERVAL * ROUNDS as i64);
    let mut s = Session::new(name);
    s.description = description.to_string();
    s.created = ended;
    s.capture = Some(CaptureInfo {
        started: start,
        ended,
        sources: vec![format!(
            "file:fixtures/otlp/{name}.jsonl{}",
            if v2 { ".gz" } else { "" }
        )],
        requests: reqs.len() as u64,
        rejected: 0,
        dropped: 0,
        truncated: 0,
        incomplete: None,
    });
    analyzer.finish(&mut s);
    s
}

/// The requests as OTLP/JSON lines, one export request per line, as the Collector's file
/// exporter writes them (it leaves out fields at their default value, and so do we).
pub fn jsonl(reqs: &[OtlpRequest]) -> Vec<u8> {
    use crate::otlp_json as json;
    let mut out = Vec::new();
    for r in reqs {
        let v = match r {
            OtlpRequest::Metrics(m) => json::encode_metrics(m),
            OtlpRequest::Traces(t) => json::encode_traces(t),
            OtlpRequest::Logs(l) => json::encode_logs(l),
        };
        out.extend(serde_json::to_vec(&without_defaults(v)).unwrap_or_default());
        out.push(b'\n');
    }
    out
}

/// Drops fields at their proto3 default (`""`, `0`, `"0"`, `false`, `[]`, `{}`), except the
/// members of a oneof (`intValue: "0"` is a value, not an absent field).
fn without_defaults(v: Value) -> Value {
    const ONEOF: [&str; 9] = [
        "stringValue",
        "intValue",
        "boolValue",
        "doubleValue",
        "bytesValue",
        "arrayValue",
        "kvlistValue",
        "asInt",
        "asDouble",
    ];
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, without_defaults(v)))
                .filter(|(k, v)| ONEOF.contains(&k.as_str()) || !is_default(v))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(without_defaults).collect()),
        other => other,
    }
}

fn is_default(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty() || s == "0",
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// Deterministic fake dense registers in OCC's form: `{precision, registers (base64)}`.
fn occ_hll(precision: u8, seed: u64) -> Value {
    use base64::Engine as _;
    let mut rng = Rng::from_state(seed);
    let regs: Vec<u8> = (0..1usize << precision)
        .map(|_| match rng.below(8) {
            0..=3 => 0,
            r => r as u8,
        })
        .collect();
    json!({
        "precision": precision,
        "registers": base64::engine::general_purpose::STANDARD.encode(regs),
    })
}

/// A session as OCC's export writes it: its field and type names, its dense `hll` and
/// `series_hll` sketches, `size_bytes`, span `name_patterns` and `watched_attributes`. Written
/// from OCC's published model, not copied from an OCC file.
pub fn occ_export() -> Value {
    let key = |count: u64, pct: f64, card: u64, samples: &[&str], hll: Option<Value>| {
        let mut o = json!({
            "count": count,
            "percentage": pct,
            "estimated_cardinality": card,
            "value_samples": samples,
        });
        if let Some(h) = hll {
            o["hll"] = h;
        }
        o
    };
    json!({
        "version": 1,
        "id": "occ-checkout",
        "description": "exported from the OTLP Cardinality Checker",
        "created": "2025-02-20T09:15:30.123456789+01:00",
        "signals": ["metrics", "traces", "logs"],
        "size_bytes": 48213,
        "data": {
            "metrics": [
                {
                    "name": "http.server.request.duration",
                    "description": "Duration of HTTP server requests.",
                    "unit": "s",
                    "type": "Histogram",
                    "label_keys": {
                        "http.request.method": key(1200, 100.0, 3, &["DELETE", "GET", "POST"], Some(occ_hll(10, 1))),
                        "http.route": key(1200, 100.0, 9, &["/", "/cart", "/checkout"], Some(occ_hll(10, 2))),
                        "user_id": key(1100, 91.67, 2870, &["u-00017", "u-00042"], Some(occ_hll(10, 3)))
                    },
                    "resource_keys": {
                        "service.name": key(1200, 100.0, 1, &["checkout"], None)
                    },
                    "sample_count": 1200,
                    "services": {"checkout": 1200},
                    "active_series": 3105,
                    "series_hll": occ_hll(10, 4),
                    "explicit_bounds": [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0]
                },
                {
                    "name": "rpc.client.duration",
                    "unit": "ms",
                    "type": "ExponentialHistogram",
                    "label_keys": {
                        "rpc.method": key(60, 100.0, 3, &["Authorize", "Capture", "Refund"], None)
                    },
                    "resource_keys": {},
                    "sample_count": 60,
                    "services": {"checkout": 60},
                    "active_series": 3,
                    "scales": [2, 3]
                },
                {
                    "name": "jvm.memory.used",
                    "unit": "By",
                    "type": "Gauge",
                    "label_keys": {
                        "jvm.memory.pool.name": key(72, 100.0, 6, &["G1 Eden Space", "Metaspace"], None)
                    },
                    "resource_keys": null,
                    "sample_count": 72,
                    "services": {"checkout": 72},
                    "active_series": 6
                }
            ],
            "spans": [
                {
                    "name": "POST /checkout",
                    "kind": 2,
                    "kind_name": "Server",
                    "attribute_keys": {
                        "http.response.status_code": key(340, 100.0, 3, &["200", "400", "500"], Some(occ_hll(10, 5)))
                    },
                    "event_names": ["exception"],
                    "event_attribute_keys": {
                        "exception": {"exception.type": key(12, 100.0, 1, &["PaymentDeclined"], None)}
                    },
                    "resource_keys": {"service.name": key(340, 100.0, 1, &["checkout"], None)},
                    "status_codes": ["Error", "Ok"],
                    "name_patterns": [
                        {"pattern": "POST /checkout", "count": 340, "examples": ["POST /checkout"]}
                    ],
                    "sample_count": 340,
                    "services": {"checkout": 340}
                }
            ],
            "logs": [
                {
                    "severity": "ERROR",
                    "severity_number": 17,
                    "attribute_keys": {"order.id": key(40, 100.0, 40, &["ORD-10001", "ORD-10002"], None)},
                    "resource_keys": {"service.name": key(40, 100.0, 1, &["checkout"], None)},
                    "body_templates": [
                        {"template": "Payment declined for order <*>: <*>", "count": 40, "example": "Payment declined for order ORD-10001: card expired"}
                    ],
                    "sample_count": 40,
                    "services": {"checkout": 40}
                }
            ],
            "attributes": [
                {
                    "key": "user_id",
                    "count": 1100,
                    "estimated_cardinality": 2870,
                    "value_samples": ["u-00017", "u-00042"],
                    "signal_types": ["metrics"],
                    "scope": "attribute",
                    "first_seen": "2025-02-20T09:00:01.5+01:00",
                    "last_seen": "2025-02-20T09:15:29Z",
                    "hll": occ_hll(10, 6)
                },
                {
                    "key": "service.name",
                    "count": 1612,
                    "estimated_cardinality": 1,
                    "value_samples": ["checkout"],
                    "signal_types": ["metrics", "traces", "logs"],
                    "scope": "resource",
                    "first_seen": "0001-01-01T00:00:00Z",
                    "last_seen": "0001-01-01T00:00:00Z"
                }
            ],
            "watched_attributes": [
                {
                    "key": "user_id",
                    "values": {"u-00017": 4, "u-00042": 2},
                    "unique_count": 2,
                    "total_observations": 6,
                    "overflow": false,
                    "watching_since": "2025-02-20T09:10:00Z"
                }
            ]
        },
        "stats": {
            "metrics_count": 3,
            "spans_count": 1,
            "logs_count": 1,
            "attributes_count": 2,
            "services": ["checkout"]
        }
    })
}

/// Every fixture file, relative to `fixtures/`, with its bytes.
pub fn fixture_files() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for v2 in [false, true] {
        let s = session(v2);
        files.push((format!("{}.json.gz", s.id), format::to_gzip(&s)));
        let lines = jsonl(&requests(v2));
        if v2 {
            // The release's traffic is mostly user_id points: gzipped (capture sniffs it) to
            // keep the repository small.
            files.push((
                format!("otlp/{}.jsonl.gz", s.id),
                format::gzip_with_header(&lines, None),
            ));
        } else {
            files.push((format!("otlp/{}.jsonl", s.id), lines));
        }
    }
    for after in [false, true] {
        let s = crate::ci_fixtures::session(after);
        files.push((format!("{}.json.gz", s.id), format::to_gzip(&s)));
    }
    let mut occ = serde_json::to_vec_pretty(&occ_export()).unwrap_or_default();
    occ.push(b'\n');
    files.push(("occ-export.json".to_string(), occ));
    files
}

/// Writes every fixture under `dir`; returns the paths written.
pub fn write_all(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (rel, bytes) in fixture_files() {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes)?;
        written.push(path);
    }
    Ok(written)
}
