//! `capture` listening: binds the receivers, runs them until the first stop condition
//! (duration, idle, requests, CMD, a signal), shows live progress and drains.

use super::*;

async fn bind(addr: &str, flag: &str, off_flag: &str) -> anyhow::Result<TcpListener> {
    if !addr.contains(':') {
        bail!(
            "{flag} {addr}: expected HOST:PORT, e.g. 127.0.0.1:{}",
            if flag == "--grpc" { 4317 } else { 4318 }
        );
    }
    let port = addr.rsplit(':').next().unwrap_or(addr);
    TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => anyhow!(
            "port {port} is already in use ({flag} {addr}); choose another with {flag} HOST:PORT (port 0 picks a free one), or turn this receiver off with {off_flag}"
        ),
        std::io::ErrorKind::PermissionDenied => anyhow!(
            "not allowed to listen on {addr} ({flag}): ports below 1024 need privileges; choose another with {flag} HOST:PORT"
        ),
        std::io::ErrorKind::AddrNotAvailable => anyhow!(
            "cannot listen on {addr} ({flag}): no such address on this machine; use e.g. {flag} 127.0.0.1:{port}"
        ),
        _ => anyhow!("cannot listen on {addr} ({flag}): {e}"),
    })
}

/// A warning when a receiver listens beyond this machine: anyone who reaches the port can put
/// data into the session, and OTLP has no authentication here.
fn exposure_warning(addr: std::net::SocketAddr, flag: &str) -> Option<String> {
    (!addr.ip().is_loopback()).then(|| {
        format!(
            "warning: {flag} {addr} accepts telemetry from other machines (not only this one): anyone who can reach the port can add data to the session; use {flag} 127.0.0.1:{} unless that is intended",
            addr.port()
        )
    })
}

type BoxFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

pub(super) async fn capture_listen(
    ctx: &Ctx,
    args: &CaptureArgs,
    name: SessionName,
    opts: AnalyzerOptions,
    restored: Option<Arc<Session>>,
    workers: usize,
) -> anyhow::Result<u8> {
    // Signal handlers first: from here on Ctrl-C is ours to handle, never a silent kill.
    let mut sigint = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut sigterm = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;

    let grpc = if args.no_grpc {
        None
    } else {
        Some(bind(&args.grpc, "--grpc", "--no-grpc").await?)
    };
    let http = if args.no_http {
        None
    } else {
        Some(bind(&args.http, "--http", "--no-http").await?)
    };
    let grpc_addr = grpc.as_ref().map(|l| l.local_addr()).transpose()?;
    let http_addr = http.as_ref().map(|l| l.local_addr()).transpose()?;

    let collector = Arc::new(Collector::new(
        opts,
        !args.no_analyze,
        args.max_requests,
        args.max_state_bytes,
        !args.checkpoint.is_zero(),
        ctx.quiet,
        workers,
    ));
    let sink: Arc<dyn Sink> = collector.clone();
    let cfg = ReceiverConfig {
        max_body: args.max_body,
        conn_timeout: args.conn_timeout,
        max_connections: args.max_connections,
        in_flight: crate::otlp::inflight::InFlight::new(args.max_in_flight),
    };
    for (addr, flag) in [(grpc_addr, "--grpc"), (http_addr, "--http")] {
        if let Some(w) = addr.and_then(|a| exposure_warning(a, flag)) {
            ctx.note(w);
        }
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let shutdown = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|v| *v).await;
        }
    };
    let (fail_tx, mut fail_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let mut tasks = Vec::new();
    let mut sources = Vec::new();
    if let (Some(l), Some(a)) = (grpc, grpc_addr) {
        sources.push(format!("grpc://{a}"));
        let fut: BoxFuture = Box::pin(crate::otlp::grpc::serve(
            l,
            sink.clone(),
            cfg.clone(),
            shutdown(),
        ));
        tasks.push(spawn_receiver("gRPC", fut, fail_tx.clone()));
    }
    if let (Some(l), Some(a)) = (http, http_addr) {
        sources.push(format!("http://{a}"));
        let fut: BoxFuture = Box::pin(crate::otlp::http::serve(
            l,
            sink.clone(),
            cfg.clone(),
            shutdown(),
        ));
        tasks.push(spawn_receiver("HTTP", fut, fail_tx.clone()));
    }
    drop(fail_tx);
    drop(sink);

    let started = now_utc();
    let mut line = String::from("listening");
    if let Some(a) = grpc_addr {
        line.push_str(&format!(" grpc={a}"));
    }
    if let Some(a) = http_addr {
        line.push_str(&format!(" http={a}"));
    }
    line.push_str(&format!("; {}", stop_plan(args)));
    ctx.note(&line);
    if let Some(path) = &args.ready_file {
        let body = serde_json::json!({
            "grpc": grpc_addr.map(|a| a.to_string()),
            "http": http_addr.map(|a| a.to_string()),
        });
        crate::session::store::write_atomic(path, body.to_string().as_bytes(), true)
            .with_context(|| format!("cannot write --ready-file {}", path.display()))?;
    }

    // With -- CMD, CMD's output owns the terminal: no live status line.
    let mut cmd = crate::commands::capture_cmd::spawn(ctx, args, grpc_addr, http_addr)?;
    let forward = cmd.as_ref().map(|c| c.forwarder());
    let progress = match cmd {
        None => live_status(ctx, collector.clone()),
        Some(_) => None,
    };
    let (ckpt_stop, ckpt_stop_rx) = watch::channel(false);
    let checkpoints = (!args.no_analyze && !args.checkpoint.is_zero()).then(|| {
        spawn_checkpoints(
            ctx,
            args,
            &name,
            collector.clone(),
            restored.clone(),
            sources.clone(),
            started,
            ckpt_stop_rx,
        )
    });

    // Wait for the first stop condition.
    let deadline = args
        .duration
        .map(|d| tokio::time::Instant::from_std(collector.start + d));
    let reason = loop {
        let idle_at = args.idle_timeout.map(|d| collector.idle_deadline(d));
        tokio::select! {
            _ = sleep_opt(deadline) => break StopReason::Duration(args.duration.unwrap_or_default()),
            _ = sleep_opt(idle_at) => {
                let d = args.idle_timeout.unwrap_or_default();
                if tokio::time::Instant::now() >= collector.idle_deadline(d) {
                    break StopReason::Idle(d);
                }
            }
            _ = collector.limit_hit.notified() => break StopReason::MaxRequests(args.max_requests.unwrap_or(0)),
            _ = sigint.recv() => if !forward.as_ref().is_some_and(|f| f.forward(ctx, libc::SIGINT, "SIGINT")) {
                break StopReason::Signal("SIGINT")
            },
            _ = sigterm.recv() => if !forward.as_ref().is_some_and(|f| f.forward(ctx, libc::SIGTERM, "SIGTERM")) {
                break StopReason::Signal("SIGTERM")
            },
            r = async { match cmd.as_mut() { Some(c) => c.finished(ctx).await, None => std::future::pending().await } } => break StopReason::Command(r),
            Some(msg) = fail_rx.recv() => break StopReason::ReceiverFailed(msg),
        }
    };
    if let Some((bar, ticker)) = &progress {
        ticker.abort();
        bar.finish_and_clear();
    }
    if let Some(c) = cmd.as_mut() {
        c.terminate(ctx).await;
    }

    // Stop accepting, drain what is in flight, save. One signal is the normal way a supervisor
    // (Docker, Kubernetes, `timeout`) stops us, so the first one only stops the capture, even
    // when it comes after another stop condition; only a second one aborts.
    let _ = stop_tx.send(true);
    let mut signals = Signals {
        int: sigint,
        term: sigterm,
        left: checkpoints
            .is_some()
            .then(|| format!("if one was written, restore it with `otelsnap recover {name}`")),
        seen: u32::from(matches!(reason, StopReason::Signal(_))),
    };
    ctx.note(format!(
        "stopping: {reason}; finishing requests in flight and saving ({})",
        if signals.seen == 0 {
            "a second Ctrl-C or SIGTERM aborts without saving"
        } else {
            "Ctrl-C again aborts without saving"
        }
    ));
    let lost_so_far = {
        let c = collector.clone();
        move || lost_text(c.requests.load(Ordering::SeqCst), &c.counts())
    };
    let drain = async {
        let mut errors = Vec::new();
        for t in tasks {
            if let Err(e) = t.await {
                errors.push(format!("receiver task: {e}"));
            }
        }
        errors
    };
    let mut drain_errors = signals.finish_despite(ctx, drain, &lost_so_far).await;
    while let Ok(msg) = fail_rx.try_recv() {
        drain_errors.push(msg);
    }
    let ended = now_utc();

    // No checkpoint may land after the save (it would bring the data back as a stale copy).
    let _ = ckpt_stop.send(true);
    let ckpt_stats = match checkpoints {
        Some(t) => signals.finish_despite(ctx, t, &lost_so_far).await.ok(),
        None => None,
    };
    let requests = collector.requests.load(Ordering::SeqCst);
    let rejected = collector.rejected.load(Ordering::SeqCst);
    let analyzer = collector.close();
    let lost_in_save = {
        let text = lost_text(
            requests,
            &analyzer
                .as_ref()
                .map(|a| a.analyzer.counts())
                .unwrap_or_default(),
        );
        move || text.clone()
    };
    let info = CaptureInfo {
        started,
        ended,
        sources,
        requests,
        rejected,
        dropped: 0,
        truncated: 0,
        incomplete: None,
    };
    let outcome = Outcome {
        reason: Some(reason.to_string()),
        window: collector.start.elapsed(),
        checkpoints: ckpt_stats,
    };
    let ctx2 = ctx.clone();
    let args2 = args.clone();
    let finish = tokio::task::spawn_blocking(move || {
        finish_and_save(
            &ctx2,
            &args2,
            &name,
            analyzer,
            info,
            outcome,
            restored.as_deref(),
        )
    });
    let result = signals
        .finish_despite(ctx, finish, &lost_in_save)
        .await
        .map_err(|e| anyhow!("internal error while saving: {e}"))?;
    let result = result.and_then(|code| {
        if !drain_errors.is_empty() {
            bail!(
                "the session was saved, but a receiver failed: {}",
                drain_errors.join("; ")
            );
        }
        Ok(code)
    });
    crate::commands::capture_cmd::exit_code(ctx, cmd.as_ref(), result)
}

fn spawn_receiver(
    what: &'static str,
    fut: BoxFuture,
    fail: tokio::sync::mpsc::UnboundedSender<String>,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    tokio::spawn(async move {
        let r = fut.await;
        if let Err(e) = &r {
            let _ = fail.send(format!("{what} receiver: {e:#}"));
        }
        Ok(())
    })
}

async fn sleep_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// SIGINT and SIGTERM after the capture stopped, and how many have arrived.
struct Signals {
    int: UnixSignal,
    term: UnixSignal,
    /// What an abort leaves behind (the last checkpoint), if anything.
    left: Option<String>,
    /// Signals received so far (the one that stopped the capture counts).
    seen: u32,
}

impl Signals {
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.int.recv() => "SIGINT",
            _ = self.term.recv() => "SIGTERM",
        }
    }

    /// Runs `work` to its end. The first signal is noted and the work goes on; a second one
    /// ends the process at once, saying what is lost (`lost` describes it).
    async fn finish_despite<T>(
        &mut self,
        ctx: &Ctx,
        work: impl Future<Output = T>,
        lost: &dyn Fn() -> String,
    ) -> T {
        tokio::pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return out,
                s = self.next() => {
                    self.seen += 1;
                    if self.seen >= 2 {
                        abort(s, &lost(), self.left.as_deref());
                    }
                    ctx.note(format!(
                        "{s} received: finishing the save (a second signal aborts it and loses {})",
                        lost()
                    ));
                }
            }
        }
    }
}

/// `3 acknowledged requests (18 data points, 0 spans, 0 log records)`.
pub(super) fn lost_text(requests: u64, c: &LiveCounts) -> String {
    format!(
        "{} acknowledged request{} ({} data points, {} spans, {} log records)",
        human::with_commas(requests),
        if requests == 1 { "" } else { "s" },
        human::with_commas(c.data_points),
        human::with_commas(c.spans),
        human::with_commas(c.log_records),
    )
}

/// Ends the process at once: the user asked twice.
fn abort(signal: &str, lost: &str, left: Option<&str>) -> ! {
    match left {
        None => eprintln!("aborted by a second {signal}: nothing saved; lost {lost}"),
        Some(left) => eprintln!(
            "aborted by a second {signal}: nothing saved but the last checkpoint ({left}); lost at most {lost}"
        ),
    }
    std::process::exit(i32::from(crate::error::EXIT_ERROR))
}

/// `stops after 30s, or 10s idle, or 100 requests, or Ctrl-C`.
fn stop_plan(args: &CaptureArgs) -> String {
    if !args.command.is_empty() {
        return "stops when CMD exits".to_string();
    }
    let mut parts = Vec::new();
    if let Some(d) = args.duration {
        parts.push(format!("after {}", human::duration_flag(d)));
    }
    if let Some(d) = args.idle_timeout {
        parts.push(format!("after {} idle", human::duration_flag(d)));
    }
    if let Some(n) = args.max_requests {
        parts.push(format!("after {n} requests"));
    }
    parts.push("on Ctrl-C".to_string());
    format!("stops {}", parts.join(", or "))
}

type Progress = (indicatif::ProgressBar, tokio::task::JoinHandle<()>);

/// The live status line, only on a terminal and without `--quiet`.
fn live_status(ctx: &Ctx, collector: Arc<Collector>) -> Option<Progress> {
    if ctx.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let b = bar.clone();
    let ticker = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(250));
        loop {
            every.tick().await;
            let c = collector.counts();
            b.set_message(format!(
                "· {} requests · {} data points · {} spans · {} log records · {} metrics · {} span names · {} rejected",
                human::count(collector.requests.load(Ordering::Relaxed)),
                human::count(c.data_points),
                human::count(c.spans),
                human::count(c.log_records),
                human::count(c.metrics),
                human::count(c.span_names),
                human::count(collector.rejected.load(Ordering::Relaxed)),
            ));
            b.tick();
        }
    });
    Some((bar, ticker))
}

// ---------------------------------------------------------------------------------------------
// Reading files.

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_loopback_binds_are_warned_about() {
        let warn = |a: &str| exposure_warning(a.parse().unwrap(), "--http");
        assert_eq!(warn("127.0.0.1:4318"), None);
        assert_eq!(warn("[::1]:4318"), None);
        let w = warn("0.0.0.0:4318").unwrap();
        assert!(
            w.starts_with("warning: --http 0.0.0.0:4318 accepts telemetry from other machines")
        );
        assert!(w.contains("use --http 127.0.0.1:4318"), "{w}");
        assert!(warn("[::]:4317").is_some());
        assert!(warn("192.168.1.5:4317").is_some());
    }
}
