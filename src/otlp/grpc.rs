//! OTLP/gRPC receiver: the metrics, trace and logs collector services over HTTP/2, with gzip
//! message compression accepted.
//!
//! Status codes: OK with an empty Export*ServiceResponse once the sink accepted the request;
//! UNAVAILABLE when the sink is stopping. Errors raised by tonic before the handler runs are
//! counted through [`Sink::rejected`]: INTERNAL for undecodable protobuf, OUT_OF_RANGE for a
//! message over `max_body`, RESOURCE_EXHAUSTED for one that inflates past it (tonic caps
//! decompression at the decoding limit, so a gzip bomb costs at most `max_body` bytes),
//! UNIMPLEMENTED for unknown services or methods.
//!
//! Connections are limited like the HTTP receiver's: at most `max_connections` at once (calls
//! on any more get UNAVAILABLE naming the limit, then GOAWAY), and one idle for `conn_timeout`
//! is closed with GOAWAY. Each connection is served by hyper's HTTP/2 server directly (not
//! tonic's `Server`, which has neither limit), with tonic's services as the routes.
//!
//! Each call's message is admitted under the in-flight budget shared with the HTTP receiver
//! (`cfg.in_flight`, [`super::inflight`]) before tonic decodes it: a call that does not fit
//! waits, and gzip messages are inflated under that budget. The message, held whole by then,
//! is also decoded there (one contiguous buffer), and tonic handed an empty one in its place.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use http_body_util::{Empty, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
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
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{Notify, Semaphore, watch};
use tonic::codec::CompressionEncoding;
use tonic::service::Routes;
use tonic::{Code, Request, Status};

use super::inflight::{self, InFlight};
use super::{OtlpRequest, ReceiverConfig, Refusal, Sink};

/// Transport name passed to [`Sink::rejected`].
const TRANSPORT: &str = "grpc";

#[derive(Clone)]
struct Receiver {
    sink: Arc<dyn Sink>,
}

impl Receiver {
    /// Hands `req` to the sink; `activity` is the connection's, marked busy meanwhile.
    fn accept(&self, activity: Option<&Arc<Activity>>, req: OtlpRequest) -> Result<(), Status> {
        let _busy = AnalysisGuard::enter(activity);
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
        let (activity, decoded, message) = call_parts(request);
        let req = match decoded {
            Some(r @ OtlpRequest::Metrics(_)) => r,
            _ => OtlpRequest::Metrics(message),
        };
        self.accept(activity.as_ref(), req)?;
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, Status> {
        let (activity, decoded, message) = call_parts(request);
        let req = match decoded {
            Some(r @ OtlpRequest::Traces(_)) => r,
            _ => OtlpRequest::Traces(message),
        };
        self.accept(activity.as_ref(), req)?;
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Receiver {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, Status> {
        let (activity, decoded, message) = call_parts(request);
        let req = match decoded {
            Some(r @ OtlpRequest::Logs(_)) => r,
            _ => OtlpRequest::Logs(message),
        };
        self.accept(activity.as_ref(), req)?;
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}

/// A call's connection activity, the request [`admit`] decoded (if it did) and tonic's message
/// (then an empty one).
fn call_parts<T>(request: Request<T>) -> (Option<Arc<Activity>>, Option<OtlpRequest>, T) {
    let (_, mut extensions, message) = request.into_parts();
    let activity = extensions.remove::<Arc<Activity>>();
    let decoded = extensions.remove::<Decoded>().and_then(Decoded::take);
    (activity, decoded, message)
}

/// A call's message decoded by [`admit`], for its handler to take. prost decodes a message in
/// one contiguous buffer (which `admit` holds anyway) much faster than through tonic's decode
/// buffer (a `Buf` whose every advance goes through `BytesMut`), and the copy into that buffer
/// is saved too; tonic is then handed an empty message, so its header checks and answers stay
/// its own. (Extensions must be `Clone`; the request itself is taken out once.)
#[derive(Clone)]
struct Decoded(Arc<std::sync::Mutex<Option<OtlpRequest>>>);

impl Decoded {
    fn new(req: OtlpRequest) -> Self {
        Decoded(Arc::new(std::sync::Mutex::new(Some(req))))
    }

    fn take(self) -> Option<OtlpRequest> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Decodes `message` as the request of the OTLP export method at `path`; `None` for another
/// path or a message that does not decode (tonic then decodes it and answers as it always does).
fn decode_for(path: &str, message: &[u8]) -> Option<OtlpRequest> {
    use prost::Message as _;
    match path {
        METRICS_EXPORT => ExportMetricsServiceRequest::decode(message)
            .ok()
            .map(OtlpRequest::Metrics),
        TRACES_EXPORT => ExportTraceServiceRequest::decode(message)
            .ok()
            .map(OtlpRequest::Traces),
        LOGS_EXPORT => ExportLogsServiceRequest::decode(message)
            .ok()
            .map(OtlpRequest::Logs),
        _ => None,
    }
}

/// The OTLP export methods' paths.
const METRICS_EXPORT: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
const TRACES_EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const LOGS_EXPORT: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

/// The request handed to tonic once its message was decoded: an empty uncompressed message in
/// place of it, then whatever followed it in the stream, as it came.
fn without_message(
    mut parts: hyper::http::request::Parts,
    decoded: OtlpRequest,
    tail: &[u8],
) -> hyper::Request<Full<Bytes>> {
    let mut body = BytesMut::with_capacity(PREFIX + tail.len());
    body.extend_from_slice(&[0; PREFIX]);
    body.extend_from_slice(tail);
    parts.extensions.insert(Decoded::new(decoded));
    hyper::Request::from_parts(parts, Full::new(body.freeze()))
}

/// Serves OTLP/gRPC (metrics, traces, logs services) on `listener` until `shutdown` resolves,
/// then drains in-flight calls (for at most [`super::DRAIN_TIMEOUT`]).
///
/// Each connection is served by its own task, as in the HTTP receiver, so the same limits hold:
/// at most `cfg.max_connections` are open at once (any more get UNAVAILABLE naming the limit on
/// their calls, then GOAWAY), and a connection idle for `cfg.conn_timeout` is closed: no call
/// open that long, or open calls receiving no bytes that long; time in the sink never counts.
pub async fn serve(
    listener: tokio::net::TcpListener,
    sink: Arc<dyn Sink>,
    cfg: ReceiverConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
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
    let app = routes
        .into_axum_router()
        .layer(axum::middleware::map_response_with_state(
            Arc::clone(&sink),
            count_rejection,
        ));
    let in_flight = cfg.in_flight.clone();
    let slots = Arc::new(Semaphore::new(cfg.max_connections.max(1)));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    // As in the HTTP receiver: connections watch `stop` to shut down gracefully, and each holds
    // a clone of `open`, so `open_tx.closed()` resolves once the last one ended.
    let (stop_tx, stop_rx) = watch::channel(false);
    let (open_tx, open_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let Some(tcp) = super::next_connection(&listener, shutdown.as_mut()).await else {
            break;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            sink.rejected(TRANSPORT, "too many connections");
            // Answering costs a handshake; a flood past MAX_REFUSALS is closed unanswered.
            if let Ok(refusal) = refusals.clone().try_acquire_owned() {
                let limit = cfg.max_connections;
                tokio::spawn(async move {
                    refuse_connection(tcp, limit).await;
                    drop(refusal);
                });
            }
            continue;
        };
        let app = app.clone();
        let in_flight = in_flight.clone();
        let mut stop = stop_rx.clone();
        let open = open_rx.clone();
        let timeout = cfg.conn_timeout;
        tokio::spawn(async move {
            let activity = Arc::new(Activity::new());
            let svc = Calls {
                inner: TowerToHyperService::new(app),
                activity: Arc::clone(&activity),
                in_flight: in_flight.clone(),
                max_body: max,
            };
            let io = TokioIo::new(Watched {
                io: tcp,
                activity: Arc::clone(&activity),
            });
            let conn = http2_builder().serve_connection(io, svc);
            tokio::pin!(conn);
            let end = tokio::select! {
                _ = conn.as_mut() => None,
                r = stop.wait_for(|v| *v) => r.is_ok().then_some(End::Stop),
                () = activity.idle(timeout) => Some(End::Idle),
            };
            match end {
                None => {}
                Some(End::Stop) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
                Some(End::Idle) => {
                    // No call is pending, or its body stalled: GOAWAY, and a peer that does
                    // not answer it is dropped shortly after.
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(IDLE_GRACE, conn).await;
                }
            }
            drop(slot);
            drop(open);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(open_rx);
    // Calls still unfinished after this are never acknowledged, so nothing acknowledged is
    // lost by giving up on them.
    let _ = tokio::time::timeout(super::DRAIN_TIMEOUT, open_tx.closed()).await;
    Ok(())
}

/// Why a connection's task ended it.
enum End {
    Stop,
    Idle,
}

/// How long a connection closed for idleness may take to answer the GOAWAY before it is
/// dropped (it has no call to finish).
const IDLE_GRACE: Duration = Duration::from_secs(1);

/// Connections over the limit answered at once at most; more are closed unanswered.
const MAX_REFUSALS: usize = 64;

/// How long answering a connection over the limit may take (handshake, a call, GOAWAY).
const REFUSAL_TIME: Duration = Duration::from_secs(2);

/// The HTTP/2 settings of every connection, accepted or refused.
fn http2_builder() -> hyper::server::conn::http2::Builder<TokioExecutor> {
    let mut b = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    b.timer(TokioTimer::new());
    b
}

/// Answers a connection over the limit: its calls get UNAVAILABLE saying why (SDK exporters
/// retry UNAVAILABLE with backoff), then GOAWAY closes it.
async fn refuse_connection(tcp: tokio::net::TcpStream, limit: usize) {
    let message = format!(
        "otelsnap: too many open connections (the limit is {limit}, --max-connections); retry later, or reuse connections"
    );
    let answered = Arc::new(Notify::new());
    let notify = Arc::clone(&answered);
    let svc = hyper::service::service_fn(move |_req: hyper::Request<Incoming>| {
        notify.notify_one();
        let reply = Status::unavailable(message.clone()).into_http::<Empty<Bytes>>();
        async move { Ok::<_, Infallible>(reply) }
    });
    let conn = http2_builder().serve_connection(TokioIo::new(tcp), svc);
    tokio::pin!(conn);
    let _ = tokio::time::timeout(REFUSAL_TIME, async {
        tokio::select! {
            _ = conn.as_mut() => {}
            () = answered.notified() => {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        }
    })
    .await;
}

/// What a connection is doing, to tell an idle one from a busy one.
///
/// A connection is idle when no call was open on it for the connection timeout (counted from
/// its last call's start or end, or from its opening; HTTP/2 pings do not count), or when calls
/// are open but no byte arrived for that long (a stalled body). Time a call spends in the sink
/// never counts: the peer is then rightly waiting, and closing would cost its acknowledgement.
struct Activity {
    base: Instant,
    /// Milliseconds after `base` of the last byte read.
    last_read: AtomicU64,
    /// Milliseconds after `base` of the last call start or end, or of the opening.
    last_call: AtomicU64,
    /// Calls open on the connection.
    calls: AtomicUsize,
    /// Calls inside the sink.
    analysing: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Activity {
            base: Instant::now(),
            last_read: AtomicU64::new(0),
            last_call: AtomicU64::new(0),
            calls: AtomicUsize::new(0),
            analysing: AtomicUsize::new(0),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn touch_call(&self) {
        self.last_call.fetch_max(self.now(), Ordering::AcqRel);
    }

    /// How much longer the connection may stay as it is before it counts as idle; `None`
    /// while a call is in the sink.
    fn idle_left(&self, timeout: Duration) -> Option<Duration> {
        if self.analysing.load(Ordering::Acquire) > 0 {
            return None;
        }
        let last_call = self.last_call.load(Ordering::Acquire);
        let since = if self.calls.load(Ordering::Acquire) == 0 {
            last_call
        } else {
            last_call.max(self.last_read.load(Ordering::Acquire))
        };
        let idle = Duration::from_millis(self.now().saturating_sub(since));
        Some(timeout.saturating_sub(idle))
    }

    /// Resolves once the connection has been idle for `timeout`.
    async fn idle(&self, timeout: Duration) {
        loop {
            match self.idle_left(timeout) {
                Some(left) if left.is_zero() => return,
                Some(left) => tokio::time::sleep(left).await,
                None => tokio::time::sleep(timeout).await,
            }
        }
    }
}

/// Marks a call open on its connection until dropped.
struct CallGuard(Arc<Activity>);

impl Drop for CallGuard {
    fn drop(&mut self) {
        self.0.touch_call();
        self.0.calls.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Marks a call inside the sink until dropped; its end restarts the idle clock, so a long
/// analysis is not taken for a stalled body.
struct AnalysisGuard(Arc<Activity>);

impl AnalysisGuard {
    fn enter(activity: Option<&Arc<Activity>>) -> Option<Self> {
        let a = activity?;
        a.analysing.fetch_add(1, Ordering::AcqRel);
        Some(AnalysisGuard(Arc::clone(a)))
    }
}

impl Drop for AnalysisGuard {
    fn drop(&mut self) {
        self.0.touch_call();
        self.0.analysing.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The service of one connection: counts its open calls, hands each call its connection's
/// [`Activity`] (a request extension) so the handler can mark its time in the sink, and admits
/// each call's message under the in-flight budget ([`admit`]) before tonic sees it.
struct Calls<S> {
    inner: S,
    activity: Arc<Activity>,
    in_flight: InFlight,
    max_body: usize,
}

impl<S> hyper::service::Service<hyper::Request<Incoming>> for Calls<S>
where
    S: hyper::service::Service<hyper::Request<Full<Bytes>>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn call(&self, mut req: hyper::Request<Incoming>) -> Self::Future {
        self.activity.calls.fetch_add(1, Ordering::AcqRel);
        self.activity.touch_call();
        let guard = CallGuard(Arc::clone(&self.activity));
        req.extensions_mut().insert(Arc::clone(&self.activity));
        let inner = self.inner.clone();
        let activity = Arc::clone(&self.activity);
        let in_flight = self.in_flight.clone();
        let max = self.max_body;
        Box::pin(async move {
            let (req, held) = admit(req, &activity, &in_flight, max).await;
            let res = inner.call(req).await;
            // Held until the handler answered: the decoded request lives that long.
            drop(held);
            drop(guard);
            res
        })
    }
}

/// Reads a call's message under the in-flight budget and returns it whole, with the
/// reservations to hold until the call is answered.
///
/// The gRPC length prefix (5 bytes) says how big the message is, so its body is reserved
/// before the rest is read; a gzip-compressed message is inflated here, under a decoding
/// reservation of its inflated size ([`inflight::inflate_charged`]), and handed on
/// uncompressed. Anything unusual (a message over the limit, bad gzip, a broken body) is handed
/// on as it came, for tonic to answer exactly as it always does. Waiting for room counts as
/// busy, not idle, so the connection timeout never closes a connection that waits.
async fn admit(
    req: hyper::Request<Incoming>,
    activity: &Arc<Activity>,
    in_flight: &InFlight,
    max: usize,
) -> (hyper::Request<Full<Bytes>>, Vec<inflight::Held>) {
    use http_body_util::BodyExt as _;
    let (mut parts, mut body) = req.into_parts();
    let mut buf = BytesMut::new();
    let mut held = Vec::new();
    let mut want = PREFIX;
    let mut ended = false;
    while buf.len() < want {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
            Some(Err(_)) | None => {
                ended = true;
                break;
            }
        }
        if want == PREFIX && buf.len() >= PREFIX {
            let len = u32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]) as usize;
            if len > max {
                // tonic refuses it from the prefix alone (OUT_OF_RANGE).
                break;
            }
            want = PREFIX + len;
            let _busy = AnalysisGuard::enter(Some(activity));
            held.push(in_flight.body(want as u64).await);
            // Sized once, now that it is reserved: growing it frame by frame reallocates and
            // copies it a dozen times for a 100 KB message, each step a fresh allocation that
            // (freed 10 ms later, `main.rs`'s purge delay) faults its pages in again.
            buf.reserve(want - buf.len());
        }
    }
    if !ended && want > PREFIX {
        // On to the end of the stream, as tonic reads a unary call (for its trailers): the call
        // is answered once the client has finished sending. Bounded, should it send on.
        while buf.len() <= want + TAIL_LIMIT {
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        buf.extend_from_slice(&data);
                    }
                }
                Some(Err(_)) | None => break,
            }
        }
    }
    let whole = !ended && want > PREFIX && buf.len() >= want;
    if whole {
        let compressed = buf[0] == 1;
        let message = &buf[PREFIX..want];
        let _busy = AnalysisGuard::enter(Some(activity));
        if compressed {
            let max = max as u64;
            if let Ok((out, h)) =
                inflight::inflate_charged(in_flight, message, max, inflight::PROTOBUF_EXPANSION)
                    .await
            {
                parts.headers.remove("grpc-encoding");
                // The compressed message is dropped here, and its body reservation with it.
                held.clear();
                held.push(h);
                // What followed it is dropped, as it always was on this path.
                if let Some(decoded) = decode_for(parts.uri.path(), &out) {
                    return (without_message(parts, decoded, &[]), held);
                }
                let mut plain = BytesMut::with_capacity(PREFIX + out.len());
                plain.extend_from_slice(&[0]);
                plain.extend_from_slice(&(out.len() as u32).to_be_bytes());
                plain.extend_from_slice(&out);
                return (
                    hyper::Request::from_parts(parts, Full::new(plain.freeze())),
                    held,
                );
            }
            // tonic inflates it again to answer the error: that costs up to `max`.
            let need = inflight::decoding_bytes(max, inflight::PROTOBUF_EXPANSION, true);
            held.push(in_flight.decoding(need).await);
        } else {
            let need =
                inflight::decoding_bytes(message.len() as u64, inflight::PROTOBUF_EXPANSION, false);
            held.push(in_flight.decoding(need).await);
            // Flag 0 only: any other is tonic's to refuse.
            if buf[0] == 0
                && let Some(decoded) = decode_for(parts.uri.path(), message)
            {
                return (without_message(parts, decoded, &buf[want..]), held);
            }
        }
    }
    (
        hyper::Request::from_parts(parts, Full::new(buf.freeze())),
        held,
    )
}

/// A gRPC message's prefix: a compressed flag and a 4-byte big-endian length.
const PREFIX: usize = 5;

/// Bytes read past a unary call's message while waiting for its stream to end; what a
/// misbehaving client sends beyond it is left unread (tonic then answers the call as it is).
const TAIL_LIMIT: usize = 64 * 1024;

/// A connection's socket that records when bytes arrive.
struct Watched {
    io: tokio::net::TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            let now = self.activity.now();
            self.activity.last_read.fetch_max(now, Ordering::AcqRel);
        }
        res
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
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
