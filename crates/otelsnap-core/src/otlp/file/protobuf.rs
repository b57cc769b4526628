//! Binary OTLP requests: decoding with the signal given or told from the bytes.

use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use prost::Message;

use crate::otlp::OtlpRequest;
use crate::session::Signal;

/// Why protobuf bytes did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtoError {
    /// More than one signal decodes plausibly.
    Ambiguous,
    /// No signal decodes (message says why).
    Invalid(String),
}

/// Decodes a binary Export*ServiceRequest of the given signal, or tells the signal from which
/// request type the bytes decode as plausibly (all three share field 1, so a plain decode is
/// not enough: the nested fields' wire types and contents decide).
pub fn decode_protobuf(bytes: &[u8], signal: Option<Signal>) -> Result<OtlpRequest, ProtoError> {
    let invalid = |what: &str, e: prost::DecodeError| {
        ProtoError::Invalid(format!("not a valid OTLP {what} protobuf request: {e}"))
    };
    match signal {
        Some(Signal::Metrics) => ExportMetricsServiceRequest::decode(bytes)
            .map(OtlpRequest::Metrics)
            .map_err(|e| invalid("metrics", e)),
        Some(Signal::Traces) => ExportTraceServiceRequest::decode(bytes)
            .map(OtlpRequest::Traces)
            .map_err(|e| invalid("traces", e)),
        Some(Signal::Logs) => ExportLogsServiceRequest::decode(bytes)
            .map(OtlpRequest::Logs)
            .map_err(|e| invalid("logs", e)),
        None => {
            let mut found: Vec<OtlpRequest> = Vec::new();
            // Requests that decode but hold no items could be any signal.
            let mut itemless = 0;
            let mut consider = |p: Option<bool>, req: OtlpRequest| match p {
                Some(true) => found.push(req),
                Some(false) => {}
                None => itemless += 1,
            };
            if let Ok(m) = ExportMetricsServiceRequest::decode(bytes) {
                consider(plausible_metrics(&m), OtlpRequest::Metrics(m));
            }
            if let Ok(t) = ExportTraceServiceRequest::decode(bytes) {
                consider(plausible_traces(&t), OtlpRequest::Traces(t));
            }
            if let Ok(l) = ExportLogsServiceRequest::decode(bytes) {
                consider(plausible_logs(&l), OtlpRequest::Logs(l));
            }
            match (found.len(), itemless) {
                (1, _) => Ok(found.remove(0)),
                (0, 0) => Err(ProtoError::Invalid(
                    "not a valid OTLP metrics, traces or logs protobuf request".into(),
                )),
                _ => Err(ProtoError::Ambiguous),
            }
        }
    }
}

/// Some(true): items, all well-formed for this signal; Some(false): malformed; None: no items.
fn plausible_metrics(r: &ExportMetricsServiceRequest) -> Option<bool> {
    let mut any = false;
    for rm in &r.resource_metrics {
        for sm in &rm.scope_metrics {
            for m in &sm.metrics {
                if m.name.is_empty() || m.data.is_none() {
                    return Some(false);
                }
                any = true;
            }
        }
    }
    any.then_some(true)
}

fn plausible_traces(r: &ExportTraceServiceRequest) -> Option<bool> {
    let mut any = false;
    for rs in &r.resource_spans {
        for ss in &rs.scope_spans {
            for s in &ss.spans {
                if s.trace_id.len() != 16 || s.span_id.len() != 8 || s.kind < 0 || s.kind > 5 {
                    return Some(false);
                }
                any = true;
            }
        }
    }
    any.then_some(true)
}

fn plausible_logs(r: &ExportLogsServiceRequest) -> Option<bool> {
    let mut any = false;
    for rl in &r.resource_logs {
        for sl in &rl.scope_logs {
            for l in &sl.log_records {
                if !(0..=24).contains(&l.severity_number)
                    || !(l.trace_id.is_empty() || l.trace_id.len() == 16)
                    || !(l.span_id.is_empty() || l.span_id.len() == 8)
                {
                    return Some(false);
                }
                any = true;
            }
        }
    }
    any.then_some(true)
}
