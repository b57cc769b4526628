//! OTLP load generator: sends a bounded number of metrics export requests over OTLP/HTTP
//! (protobuf, or JSON with `--http-json`) or OTLP/gRPC, then prints the data points per second
//! the receiver acknowledged.
//!
//! ```text
//! cargo run --release --example otlp_load -- --http 127.0.0.1:4318 --requests 2000
//! cargo run --release --example otlp_load -- --grpc 127.0.0.1:4317 --requests 2000 --concurrency 4
//! ```
//! Flags: `--metrics 50 --points 20 --attrs 5` shape each request (the default is the
//! "realistic payload" of the capture benchmark); `--distinct-names` gives every request new
//! metric names (for the 50,000-metric memory measurement). gRPC: each of the `--concurrency`
//! callers has its own HTTP/2 connection unless `--connections N` makes them share N (1: every
//! call a stream of one connection); messages are encoded once, before the clock starts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use otelsnap_testkit::grpc_raw::RawCodec;
use otelsnap_testkit::testdata;
use prost::Message;
use tonic::codegen::http::uri::PathAndQuery;

/// The OTLP metrics export method's path.
const EXPORT_METRICS: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

/// Where to send.
#[derive(Debug, Clone)]
pub enum Target {
    Http(String),
    /// OTLP/HTTP with JSON bodies (the testkit's spec encoding), as the JavaScript SDK sends.
    HttpJson(String),
    Grpc(String),
}

/// One load run.
#[derive(Debug, Clone)]
pub struct Load {
    pub target: Target,
    pub requests: u64,
    pub concurrency: usize,
    /// gRPC: HTTP/2 connections the concurrent callers share (at most `concurrency`).
    pub connections: usize,
    pub metrics: usize,
    pub points: usize,
    pub attrs: usize,
    pub distinct_names: bool,
}

/// What a run achieved.
#[derive(Debug, Clone, Copy)]
pub struct LoadResult {
    pub requests: u64,
    pub failed: u64,
    pub data_points: u64,
    pub seconds: f64,
}

impl LoadResult {
    /// Acknowledged data points per second.
    pub fn points_per_second(&self) -> f64 {
        self.data_points as f64 / self.seconds
    }
}

fn data_points(req: &ExportMetricsServiceRequest) -> u64 {
    let mut n = 0;
    for rm in &req.resource_metrics {
        for sm in &rm.scope_metrics {
            for m in &sm.metrics {
                n += match &m.data {
                    Some(Data::Gauge(g)) => g.data_points.len(),
                    Some(Data::Sum(s)) => s.data_points.len(),
                    Some(Data::Histogram(h)) => h.data_points.len(),
                    Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
                    Some(Data::Summary(s)) => s.data_points.len(),
                    None => 0,
                } as u64;
            }
        }
    }
    n
}

/// Pre-builds the requests so the generator spends its CPU on sending.
fn bodies(load: &Load) -> Vec<(Bytes, u64)> {
    let distinct = if load.distinct_names {
        load.requests as usize
    } else {
        16.min(load.requests as usize).max(1)
    };
    (0..distinct)
        .map(|i| {
            let mut req = testdata::bench_metrics(load.metrics, load.points, load.attrs, i as u64);
            if load.distinct_names {
                for rm in &mut req.resource_metrics {
                    for sm in &mut rm.scope_metrics {
                        for (k, m) in sm.metrics.iter_mut().enumerate() {
                            m.name = format!("app.bench.metric_{}", i * load.metrics + k);
                        }
                    }
                }
            }
            let n = data_points(&req);
            let body = match load.target {
                Target::HttpJson(_) => otelsnap_testkit::otlp_json::encode_metrics(&req)
                    .to_string()
                    .into_bytes(),
                _ => req.encode_to_vec(),
            };
            (Bytes::from(body), n)
        })
        .collect()
}

/// Sends `load.requests` requests from `load.concurrency` workers; bounded by count.
pub fn run(load: &Load) -> LoadResult {
    let bodies = Arc::new(bodies(load));
    let next = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let points = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    match &load.target {
        Target::Http(addr) | Target::HttpJson(addr) => {
            let url = format!("http://{addr}/v1/metrics");
            let content_type = match load.target {
                Target::HttpJson(_) => "application/json",
                _ => "application/x-protobuf",
            };
            let workers: Vec<_> = (0..load.concurrency)
                .map(|_| {
                    let (bodies, next, ok, failed, points, url) = (
                        bodies.clone(),
                        next.clone(),
                        ok.clone(),
                        failed.clone(),
                        points.clone(),
                        url.clone(),
                    );
                    let total = load.requests;
                    std::thread::spawn(move || {
                        let agent: ureq::Agent = ureq::Agent::config_builder()
                            .http_status_as_error(false)
                            .timeout_global(Some(Duration::from_secs(60)))
                            .build()
                            .into();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= total {
                                break;
                            }
                            let (body, n) = &bodies[i as usize % bodies.len()];
                            let r = agent
                                .post(&url)
                                .header("Content-Type", content_type)
                                .send(&body[..]);
                            match r {
                                Ok(mut resp) if resp.status().as_u16() == 200 => {
                                    let _ = resp.body_mut().read_to_vec();
                                    ok.fetch_add(1, Ordering::Relaxed);
                                    points.fetch_add(*n, Ordering::Relaxed);
                                }
                                _ => {
                                    failed.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                    })
                })
                .collect();
            for w in workers {
                let _ = w.join();
            }
        }
        Target::Grpc(addr) => {
            let url = format!("http://{addr}");
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("tokio runtime");
            rt.block_on(async {
                // `connections` HTTP/2 connections, the `concurrency` callers spread over them
                // (a tonic channel multiplexes its callers' calls as streams of one connection).
                let mut channels = Vec::new();
                for _ in 0..load.connections.min(load.concurrency) {
                    match tonic::transport::Channel::from_shared(url.clone())
                        .expect("url")
                        .connect()
                        .await
                    {
                        Ok(c) => channels.push(c),
                        Err(_) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                    }
                }
                let mut tasks = Vec::new();
                for t in 0..load.concurrency {
                    let (bodies, next, ok, failed, points) = (
                        bodies.clone(),
                        next.clone(),
                        ok.clone(),
                        failed.clone(),
                        points.clone(),
                    );
                    let mut client = tonic::client::Grpc::new(channels[t % channels.len()].clone());
                    let total = load.requests;
                    tasks.push(tokio::spawn(async move {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= total {
                                break;
                            }
                            let (body, n) = &bodies[i as usize % bodies.len()];
                            // The message pre-encoded, as the HTTP clients send theirs: the
                            // generator's CPU goes to sending, not to cloning and encoding.
                            let sent = match client.ready().await {
                                Ok(()) => {
                                    client
                                        .unary::<_, Vec<u8>, _>(
                                            tonic::Request::new(Bytes::clone(body)),
                                            PathAndQuery::from_static(EXPORT_METRICS),
                                            RawCodec,
                                        )
                                        .await
                                }
                                Err(e) => Err(tonic::Status::unavailable(e.to_string())),
                            };
                            match sent {
                                Ok(_) => {
                                    ok.fetch_add(1, Ordering::Relaxed);
                                    points.fetch_add(*n, Ordering::Relaxed);
                                }
                                Err(_) => {
                                    failed.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                    }));
                }
                for t in tasks {
                    let _ = t.await;
                }
            });
        }
    }
    LoadResult {
        requests: ok.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        data_points: points.load(Ordering::Relaxed),
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// Parses `--flag value` pairs.
pub fn parse_args(args: &[String]) -> Result<Load, String> {
    let mut load = Load {
        target: Target::Http("127.0.0.1:4318".into()),
        requests: 1000,
        concurrency: 4,
        connections: usize::MAX,
        metrics: 50,
        points: 20,
        attrs: 5,
        distinct_names: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a value"))
        };
        let num = |v: String| v.parse::<u64>().map_err(|e| format!("{a}: {e}"));
        match a.as_str() {
            "--http" => load.target = Target::Http(val()?),
            "--http-json" => load.target = Target::HttpJson(val()?),
            "--grpc" => load.target = Target::Grpc(val()?),
            "--requests" => load.requests = num(val()?)?,
            "--concurrency" => load.concurrency = num(val()?)?.max(1) as usize,
            "--connections" => load.connections = num(val()?)?.max(1) as usize,
            "--metrics" => load.metrics = num(val()?)? as usize,
            "--points" => load.points = num(val()?)? as usize,
            "--attrs" => load.attrs = num(val()?)? as usize,
            "--distinct-names" => load.distinct_names = true,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(load)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let load = match parse_args(&args) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let r = run(&load);
    println!(
        "{} requests ok, {} failed, {} data points in {:.2}s: {:.0} data points/s",
        r.requests,
        r.failed,
        r.data_points,
        r.seconds,
        r.points_per_second()
    );
}
