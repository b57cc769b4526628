//! OTLP input: receivers (gRPC, HTTP), file reading, and a spec-exact OTLP/JSON decoder.

pub mod json;

use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};

/// One decoded OTLP export request of any signal.
#[derive(Debug, Clone, PartialEq)]
pub enum OtlpRequest {
    Metrics(ExportMetricsServiceRequest),
    Traces(ExportTraceServiceRequest),
    Logs(ExportLogsServiceRequest),
}
