//! Length caps on the strings of a request, applied before it is analyzed: without them a
//! sender's 1 MB metric names grow the analyzer by megabytes per request (measured 17 MB per
//! request before this cap). A cut string keeps its start and ends in a visible marker that
//! names the original length and a hash of the whole string, so distinct long names stay
//! distinct (and their cardinality right) while the stored form is short.

use opentelemetry_proto::tonic::common::v1::{
    AnyValue, InstrumentationScope, KeyValue, any_value::Value,
};
use opentelemetry_proto::tonic::resource::v1::Resource;

use crate::otlp::OtlpRequest;
use crate::sketch::hash_value;

/// Longest metric, span, event, scope or service name and attribute key kept, in bytes. The
/// OpenTelemetry API caps instrument names at 255 characters; 1 KiB leaves room for any
/// legitimate name in any script.
pub const MAX_NAME_LEN: usize = 1024;
/// Longest string value (attribute values, log bodies, descriptions) kept, in bytes: values are
/// hashed and sampled (samples are cut much shorter), but log bodies become templates, and a
/// stack trace fits in 16 KiB.
pub const MAX_VALUE_LEN: usize = 16 * 1024;

/// Cuts `s` to at most `max` bytes when longer: the start, then `…[N bytes #HASH]` with the
/// original length and the first 8 hex digits of its hash. Returns whether it cut.
pub fn cap(s: &mut String, max: usize) -> bool {
    if s.len() <= max {
        return false;
    }
    let marker = format!(
        "…[{} bytes #{:08x}]",
        s.len(),
        hash_value(s.as_bytes()) >> 32
    );
    let mut keep = max.saturating_sub(marker.len());
    while !s.is_char_boundary(keep) {
        keep -= 1;
    }
    s.truncate(keep);
    s.push_str(&marker);
    true
}

/// Caps every name, key and string value in `req`; returns how many strings were cut.
pub fn cap_request(req: &mut OtlpRequest) -> u64 {
    let mut n = 0u64;
    match req {
        OtlpRequest::Metrics(r) => {
            for rm in &mut r.resource_metrics {
                resource(&mut rm.resource, &mut n);
                for sm in &mut rm.scope_metrics {
                    scope(&mut sm.scope, &mut n);
                    for m in &mut sm.metrics {
                        name(&mut m.name, &mut n);
                        value(&mut m.description, &mut n);
                        name(&mut m.unit, &mut n);
                        metric_points(m, &mut n);
                    }
                }
            }
        }
        OtlpRequest::Traces(r) => {
            for rs in &mut r.resource_spans {
                resource(&mut rs.resource, &mut n);
                for ss in &mut rs.scope_spans {
                    scope(&mut ss.scope, &mut n);
                    for sp in &mut ss.spans {
                        name(&mut sp.name, &mut n);
                        attrs(&mut sp.attributes, &mut n);
                        for e in &mut sp.events {
                            name(&mut e.name, &mut n);
                            attrs(&mut e.attributes, &mut n);
                        }
                        for l in &mut sp.links {
                            attrs(&mut l.attributes, &mut n);
                        }
                        if let Some(st) = &mut sp.status {
                            value(&mut st.message, &mut n);
                        }
                    }
                }
            }
        }
        OtlpRequest::Logs(r) => {
            for rl in &mut r.resource_logs {
                resource(&mut rl.resource, &mut n);
                for sl in &mut rl.scope_logs {
                    scope(&mut sl.scope, &mut n);
                    for lr in &mut sl.log_records {
                        name(&mut lr.severity_text, &mut n);
                        name(&mut lr.event_name, &mut n);
                        any(&mut lr.body, &mut n);
                        attrs(&mut lr.attributes, &mut n);
                    }
                }
            }
        }
    }
    n
}

fn name(s: &mut String, n: &mut u64) {
    if cap(s, MAX_NAME_LEN) {
        *n += 1;
    }
}

fn value(s: &mut String, n: &mut u64) {
    if cap(s, MAX_VALUE_LEN) {
        *n += 1;
    }
}

fn resource(r: &mut Option<Resource>, n: &mut u64) {
    if let Some(r) = r {
        attrs(&mut r.attributes, n);
    }
}

fn scope(s: &mut Option<InstrumentationScope>, n: &mut u64) {
    if let Some(s) = s {
        name(&mut s.name, n);
        name(&mut s.version, n);
        attrs(&mut s.attributes, n);
    }
}

fn attrs(kvs: &mut [KeyValue], n: &mut u64) {
    for kv in kvs {
        name(&mut kv.key, n);
        any(&mut kv.value, n);
    }
}

fn any(v: &mut Option<AnyValue>, n: &mut u64) {
    match v.as_mut().and_then(|v| v.value.as_mut()) {
        Some(Value::StringValue(s)) => value(s, n),
        Some(Value::ArrayValue(a)) => {
            for v in &mut a.values {
                let mut o = Some(std::mem::take(v));
                any(&mut o, n);
                *v = o.unwrap_or_default();
            }
        }
        Some(Value::KvlistValue(l)) => attrs(&mut l.values, n),
        _ => {}
    }
}

fn metric_points(m: &mut opentelemetry_proto::tonic::metrics::v1::Metric, n: &mut u64) {
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    match &mut m.data {
        Some(Data::Gauge(g)) => g
            .data_points
            .iter_mut()
            .for_each(|p| attrs(&mut p.attributes, n)),
        Some(Data::Sum(s)) => s
            .data_points
            .iter_mut()
            .for_each(|p| attrs(&mut p.attributes, n)),
        Some(Data::Histogram(h)) => h
            .data_points
            .iter_mut()
            .for_each(|p| attrs(&mut p.attributes, n)),
        Some(Data::ExponentialHistogram(h)) => h
            .data_points
            .iter_mut()
            .for_each(|p| attrs(&mut p.attributes, n)),
        Some(Data::Summary(s)) => s
            .data_points
            .iter_mut()
            .for_each(|p| attrs(&mut p.attributes, n)),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_are_untouched_and_long_ones_capped_with_a_marker() {
        let mut s = "http.server.duration".to_string();
        assert!(!cap(&mut s, 64));
        assert_eq!(s, "http.server.duration");
        let long = "é".repeat(1000); // 2,000 bytes
        let mut a = long.clone();
        assert!(cap(&mut a, 100));
        assert!(a.len() <= 100, "{}", a.len());
        assert!(a.starts_with("éé"));
        assert!(a.contains("…[2000 bytes #"), "{a}");
        // Distinct long strings with the same start stay distinct.
        let mut b = format!("{}x", &long[..1998]);
        cap(&mut b, 100);
        assert_ne!(a, b);
        // Capping is idempotent: the cut form is within the cap.
        let again = a.clone();
        assert!(!cap(&mut a, 100));
        assert_eq!(a, again);
    }

    #[test]
    fn every_name_key_and_value_of_a_request_is_capped() {
        use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
        use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
        let big = "k".repeat(MAX_VALUE_LEN * 2);
        let kv = |k: &str, v: &str| KeyValue {
            key: k.into(),
            value: Some(AnyValue {
                value: Some(Value::StringValue(v.into())),
            }),
            ..Default::default()
        };
        let mut req = OtlpRequest::Logs(ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: Some(Resource {
                    attributes: vec![kv("service.name", &big)],
                    ..Default::default()
                }),
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord {
                        severity_text: big.clone(),
                        body: Some(AnyValue {
                            value: Some(Value::StringValue(big.clone())),
                        }),
                        attributes: vec![kv(&big, "short"), kv("ok", "fine")],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        });
        assert_eq!(cap_request(&mut req), 4);
        let OtlpRequest::Logs(r) = &req else {
            unreachable!()
        };
        let lr = &r.resource_logs[0].scope_logs[0].log_records[0];
        assert!(lr.severity_text.len() <= MAX_NAME_LEN);
        assert!(lr.attributes[0].key.len() <= MAX_NAME_LEN);
        assert_eq!(lr.attributes[1].key, "ok");
        assert_eq!(cap_request(&mut req), 0, "capping twice cuts nothing more");
    }
}
