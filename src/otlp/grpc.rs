//! OTLP/gRPC receiver: the metrics, trace and logs collector services over HTTP/2, with gzip
//! message compression accepted.
//!
//! Status codes: OK with an empty Export*ServiceResponse once the sink accepted the request;
//! UNAVAILABLE when the sink is stopping. Errors raised by tonic before the handler runs are
//! counted through [`Sink::rejected`]: INTERNAL for undecodable protobuf, OUT_OF_RANGE for a
//! message over `max_body`, RESOURCE_EXHAUSTED for one that inflates past it (tonic caps
//! decompression at the decoding limit, so a gzip bomb costs at most `max_body` bytes),
//! UNIMPLEMENTED for unknown services or methods.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use axum::extract::State;
use axum::response::Response;
use opentelemetry_proto::tonic::collector::{
    logs::v1::{
        ExportLogsServiceRequest, ExportLogsServiceResponse,
        logs_service_server::{LogsService, LogsServiceServer},
    },
    metrics::v1::{
        ExportMetricsServiceRequest, ExportMetricsServiceResponse,
        metrics_service_server::{MetricsService, MetricsServiceServer},
    },
    trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
};
use tonic::codec::CompressionEncoding;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;
use tonic::{Code, Request, Status};

use super::{OtlpRequest, ReceiverConfig, Refusal, Sink};

/// Transport name passed to [`Sink::rejected`].
const TRANSPORT: &str = "grpc";

#[derive(Clone)]
struct Receiver {
    sink: Arc<dyn Sink>,
}

impl Receiver {
    fn accept(&self, req: OtlpRequest) -> Result<(), Status> {
        self.sink.accept(req).map_err(|r| match r {
            Refusal::Stopping => Status::unavailable(r.to_string()),
        })
    }
}

#[tonic::async_trait]
impl MetricsService for Receiver {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, Status> {
        self.accept(OtlpRequest::Metrics(request.into_inner()))?;
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, Status> {
        self.accept(OtlpRequest::Traces(request.into_inner()))?;
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Receiver {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, Status> {
        self.accept(OtlpRequest::Logs(request.into_inner()))?;
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}

/// Serves OTLP/gRPC (metrics, traces, logs services) on `listener` until `shutdown` resolves,
/// then drains in-flight calls (for at most [`super::DRAIN_TIMEOUT`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    sink: Arc<dyn Sink>,
    cfg: ReceiverConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr().ok();
    let receiver = Receiver {
        sink: Arc::clone(&sink),
    };
    let max = cfg.max_body;
    let routes = Routes::new(
        MetricsServiceServer::new(receiver.clone())
            .accept_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(max),
    )
    .add_service(
        TraceServiceServer::new(receiver.clone())
            .accept_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(max),
    )
    .add_service(
        LogsServiceServer::new(receiver)
            .accept_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(max),
    );
    // tonic answers decode errors itself, before any handler runs; a response layer is the one
    // place that sees them, so rejections can be counted.
    let routes = Routes::from(routes.into_axum_router().layer(
        axum::middleware::map_response_with_state(sink, count_rejection),
    ));
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let server = |signal| {
        tonic::transport::Server::builder()
            .add_routes(routes)
            .serve_with_incoming_shutdown(incoming, signal)
    };
    super::drain_within_deadline(shutdown, server)
        .await
        .with_context(|| match addr {
            Some(a) => format!("OTLP/gRPC receiver on {a} failed"),
            None => "OTLP/gRPC receiver failed".to_string(),
        })
}

/// Reports calls that ended in an error status other than the sink's own UNAVAILABLE refusal.
/// Unary errors are trailers-only responses, so the status is in the headers.
async fn count_rejection(State(sink): State<Arc<dyn Sink>>, response: Response) -> Response {
    let headers = response.headers();
    if let Some(code) = headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
    {
        let code = Code::from_i32(code);
        if code != Code::Ok && code != Code::Unavailable {
            let message = headers
                .get("grpc-message")
                .map(|v| percent_decode(v.as_bytes()))
                .unwrap_or_default();
            sink.rejected(TRANSPORT, &format!("{code:?}: {message}"));
        }
    }
    response
}

/// Undoes the percent-encoding gRPC applies to `grpc-message`.
fn percent_decode(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%'
            && let Some(hex) = raw.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn percent_decode_restores_message() {
        assert_eq!(
            percent_decode(b"too%20large%2C%20sorry"),
            "too large, sorry"
        );
        assert_eq!(percent_decode(b"100%"), "100%");
        assert_eq!(percent_decode(b"%zz"), "%zz");
    }
}
