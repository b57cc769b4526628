//! The analyzer: OTLP requests in, session metadata out.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};

use crate::otlp::OtlpRequest;
use crate::session::{Session, Signal};

/// What to keep and how much.
#[derive(Debug, Clone)]
pub struct AnalyzerOptions {
    /// Value samples kept per key (0 = none).
    pub samples: usize,
    /// Cap on distinct metric names, span names, severities, keys per item and templates.
    pub max_items: usize,
    /// Keep only these signals (None = all).
    pub signals: Option<BTreeSet<Signal>>,
    /// Keep only these services (None = all).
    pub services: Option<BTreeSet<String>>,
}

impl Default for AnalyzerOptions {
    fn default() -> Self {
        AnalyzerOptions {
            samples: 5,
            max_items: 100_000,
            signals: None,
            services: None,
        }
    }
}

/// Running totals for the live status line and the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveCounts {
    pub data_points: u64,
    pub spans: u64,
    pub log_records: u64,
    pub metrics: u64,
    pub span_names: u64,
    pub severities: u64,
    /// Items dropped because a cap was reached.
    pub dropped: u64,
}

/// Accumulates metadata from OTLP requests.
#[derive(Debug, Default)]
pub struct Analyzer {
    opts: AnalyzerOptions,
    counts: LiveCounts,
}

impl Analyzer {
    /// A fresh analyzer.
    pub fn new(opts: AnalyzerOptions) -> Self {
        Analyzer {
            opts,
            counts: LiveCounts::default(),
        }
    }

    /// Ingests one request of any signal, received at `at`.
    pub fn ingest(&mut self, req: &OtlpRequest, at: DateTime<Utc>) {
        match req {
            OtlpRequest::Metrics(r) => self.ingest_metrics(r, at),
            OtlpRequest::Traces(r) => self.ingest_traces(r, at),
            OtlpRequest::Logs(r) => self.ingest_logs(r, at),
        }
    }

    /// Ingests a metrics export request.
    pub fn ingest_metrics(&mut self, _req: &ExportMetricsServiceRequest, _at: DateTime<Utc>) {}

    /// Ingests a traces export request.
    pub fn ingest_traces(&mut self, _req: &ExportTraceServiceRequest, _at: DateTime<Utc>) {}

    /// Ingests a logs export request.
    pub fn ingest_logs(&mut self, _req: &ExportLogsServiceRequest, _at: DateTime<Utc>) {}

    /// Totals so far.
    pub fn counts(&self) -> LiveCounts {
        self.counts
    }

    /// The options in effect.
    pub fn options(&self) -> &AnalyzerOptions {
        &self.opts
    }

    /// Writes everything seen into `session.data` and `session.signals` (then canonicalizes).
    pub fn finish(self, session: &mut Session) {
        session.canonicalize();
    }
}
