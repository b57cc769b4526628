//! OTLP input without a network: the decoded request type, a spec-exact OTLP/JSON decoder, and
//! reading OTLP files (Collector file-exporter dumps, single requests). The receivers that
//! listen for OTLP live in the `otelsnap` binary crate and hand requests over as
//! [`OtlpRequest`]s.

pub mod file;
pub mod json;

use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};

/// One decoded OTLP export request of any signal.
#[derive(Debug, Clone, PartialEq)]
pub enum OtlpRequest {
    /// An `ExportMetricsServiceRequest`.
    Metrics(ExportMetricsServiceRequest),
    /// An `ExportTraceServiceRequest`.
    Traces(ExportTraceServiceRequest),
    /// An `ExportLogsServiceRequest`.
    Logs(ExportLogsServiceRequest),
}

impl OtlpRequest {
    /// The signal this request carries.
    pub fn signal(&self) -> crate::session::Signal {
        match self {
            OtlpRequest::Metrics(_) => crate::session::Signal::Metrics,
            OtlpRequest::Traces(_) => crate::session::Signal::Traces,
            OtlpRequest::Logs(_) => crate::session::Signal::Logs,
        }
    }
}

/// Why a consumer refused a well-formed request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The capture is stopping (e.g. `--max-requests` reached); the sender should retry elsewhere.
    #[error("otelsnap is stopping and accepts no more data")]
    Stopping,
}
