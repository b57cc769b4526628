//! `capture NAME -- CMD [ARGS...]` (run CMD against the receivers, stop when it exits) and
//! `capture --output FILE` (save to a path instead of the store).
//!
//! Kept apart from `capture.rs` so the receiver loop only needs a few hooks: [`validate`] and
//! [`check_target`] before anything listens, [`spawn`] once listening, [`Running::finished`]
//! and [`Forwarder::forward`] in the wait loop, [`exit_code`] at the end, [`save`] to write.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitStatus;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};

use super::Ctx;
use crate::cli::CaptureArgs;
use crate::session::store::Saved;
use crate::session::{Session, SessionError, SessionName, format, store};

/// Export intervals CMD gets when its environment does not set them (SDK defaults are 60 s for
/// metrics and 5 s for spans, longer than many test runs): (variable, milliseconds).
pub const SHORT_INTERVALS: [(&str, &str); 3] = [
    ("OTEL_METRIC_EXPORT_INTERVAL", "1000"),
    ("OTEL_BSP_SCHEDULE_DELAY", "500"),
    ("OTEL_BLRP_SCHEDULE_DELAY", "500"),
];

/// Per-signal variables that SDKs prefer over the general ones; CMD runs without them so every
/// signal reaches the receivers.
const PER_SIGNAL: [&str; 6] = [
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
];

/// How long CMD gets to exit after SIGTERM when the capture itself failed, before SIGKILL.
const TERMINATE_WAIT: Duration = Duration::from_secs(5);

/// Refuses flag combinations that make no sense with `-- CMD` or `--output`, before listening.
pub fn validate(args: &CaptureArgs) -> anyhow::Result<()> {
    if args.command.is_empty() {
        return Ok(());
    }
    if !args.from_file.is_empty() {
        bail!("--from-file reads files and runs nothing: drop either --from-file or -- CMD");
    }
    for (flag, set) in [
        ("--from-file-signal", args.from_file_signal.is_some()),
        ("--from-file-jobs", args.from_file_jobs != 0),
    ] {
        if set {
            bail!("{flag} only applies with --from-file FILE, which -- CMD does not read: drop it");
        }
    }
    for (flag, set) in [
        ("--duration", args.duration.is_some()),
        ("--idle-timeout", args.idle_timeout.is_some()),
        ("--max-requests", args.max_requests.is_some()),
    ] {
        if set {
            bail!(
                "{flag} cannot be combined with -- CMD: the capture ends when CMD exits (plus --grace); put a time limit on CMD itself, e.g. -- timeout 10m CMD"
            );
        }
    }
    if args.protocol == "grpc" && args.no_grpc {
        bail!("--protocol grpc needs the gRPC receiver: drop --no-grpc");
    }
    if args.protocol != "grpc" && args.no_http {
        bail!(
            "--protocol {} needs the HTTP receiver: drop --no-http, or use --protocol grpc",
            args.protocol
        );
    }
    Ok(())
}

/// Checks, before listening, that the destination may be written: `--output FILE` must not
/// exist without `--force` and its directory must exist; otherwise the store's own check.
pub fn check_target(ctx: &Ctx, args: &CaptureArgs, name: &SessionName) -> anyhow::Result<()> {
    let Some(path) = &args.output else {
        return Ok(ctx.store.check_target(name, args.force)?);
    };
    if path.exists() && !args.force {
        bail!(
            "{} already exists: pass --force to replace it, or choose another --output",
            path.display()
        );
    }
    if path.is_dir() {
        bail!(
            "--output {} is a directory: give a file name, e.g. {}",
            path.display(),
            path.join(format!("{name}.json.gz")).display()
        );
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        bail!(
            "cannot write --output {}: the directory {} does not exist; create it first",
            path.display(),
            parent.display()
        );
    }
    Ok(())
}

/// Saves to `--output FILE` (gzip for `.gz`, else pretty JSON) or to the store.
/// With `--baseline`, the diff-only form is saved.
pub fn save(ctx: &Ctx, args: &CaptureArgs, session: &Session) -> Result<Saved, SessionError> {
    let lean;
    let session = if args.baseline {
        let mut s = session.clone();
        super::export::make_baseline(&mut s);
        lean = s;
        &lean
    } else {
        session
    };
    let Some(path) = &args.output else {
        return ctx.store.save(session, args.force);
    };
    let gz = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".gz"));
    let bytes = if gz {
        format::to_gzip(session)
    } else {
        format::to_json(session, true)
    };
    write_output(ctx, args, &session.id, path, &bytes)
}

/// Whether the session may be written by [`format::to_gzip_streaming`] and saved with
/// [`save_gzip`]: gzip output (the store, or an `--output` ending in `.gz`), not `--baseline`.
pub fn streams(args: &CaptureArgs) -> bool {
    !args.baseline
        && args.output.as_ref().is_none_or(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".gz"))
        })
}

/// [`save`] of a session already gzipped (only when [`streams`] says so), whose id is `id`.
pub fn save_gzip(
    ctx: &Ctx,
    args: &CaptureArgs,
    id: &str,
    bytes: &[u8],
) -> Result<Saved, SessionError> {
    match &args.output {
        None => ctx
            .store
            .save_gzip_with(id, bytes, args.force, store::write_atomic),
        Some(path) => write_output(ctx, args, id, path, bytes),
    }
}

/// Writes `bytes` to `--output` `path`, within the session size limit.
fn write_output(
    ctx: &Ctx,
    args: &CaptureArgs,
    id: &str,
    path: &Path,
    bytes: &[u8],
) -> Result<Saved, SessionError> {
    let limit = ctx.store.limits.max_session_size;
    if bytes.len() as u64 > limit {
        return Err(SessionError::TooLarge {
            origin: format!("session '{id}' (--output {})", path.display()),
            size: bytes.len() as u64,
            limit,
        });
    }
    store::write_atomic(path, bytes, args.force)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok(Saved {
        path: path.to_path_buf(),
        bytes: bytes.len() as u64,
        low_disk_warning: store::low_disk_warning(dir),
    })
}

/// A running CMD.
pub struct Running {
    display: String,
    pid: i32,
    exited: Arc<AtomicBool>,
    status_rx: Option<tokio::sync::oneshot::Receiver<std::io::Result<ExitStatus>>>,
    status: Option<ExitStatus>,
    grace: Duration,
    grace_until: Option<tokio::time::Instant>,
    forward_sigint: bool,
}

/// Sends signals to CMD while it runs; cheap to hold beside a `&mut Running`.
#[derive(Clone)]
pub struct Forwarder {
    pid: i32,
    exited: Arc<AtomicBool>,
    forward_sigint: bool,
}

impl Forwarder {
    /// Passes `signal` on to CMD; false when CMD has already exited (the caller then stops).
    ///
    /// A SIGINT is not passed on when otelsnap runs in the foreground of a terminal: the
    /// terminal already sent Ctrl-C to the whole process group, CMD included, and a second
    /// one would cut CMD's own shutdown (and final export) short.
    pub fn forward(&self, ctx: &Ctx, signal: libc::c_int, name: &str) -> bool {
        if self.exited.load(Ordering::SeqCst) {
            return false;
        }
        if signal == libc::SIGINT && !self.forward_sigint {
            ctx.note(format!(
                "{name} received: waiting for CMD to exit (it got the same Ctrl-C from the terminal)"
            ));
            return true;
        }
        // SAFETY: kill(2) with a pid we spawned and have not yet seen exit.
        unsafe {
            libc::kill(self.pid, signal);
        }
        ctx.note(format!(
            "{name} received: passed on to CMD; waiting for it to exit"
        ));
        true
    }
}

/// Starts CMD with the OpenTelemetry environment pointing at the receivers; None without CMD.
pub fn spawn(
    ctx: &Ctx,
    args: &CaptureArgs,
    grpc: Option<SocketAddr>,
    http: Option<SocketAddr>,
) -> anyhow::Result<Option<Running>> {
    let Some(program) = args.command.first() else {
        return Ok(None);
    };
    let addr = if args.protocol == "grpc" { grpc } else { http };
    let addr = addr.context("the receiver for --protocol is not listening")?;
    let endpoint = format!("http://{}", connectable(addr));
    let mut cmd = std::process::Command::new(program);
    cmd.args(&args.command[1..]);
    for (k, v) in env_for(&endpoint, &args.protocol, |k| std::env::var_os(k)) {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let display = shell_words(&args.command);
    let child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow::anyhow!("cannot run {program}: command not found (check the name and PATH); nothing captured")
        } else {
            anyhow::anyhow!("cannot run {program}: {e}; nothing captured")
        }
    })?;
    ctx.note(format!(
        "running {display} with OTEL_EXPORTER_OTLP_ENDPOINT={endpoint} ({})",
        args.protocol
    ));
    let pid = child.id() as i32;
    let exited = Arc::new(AtomicBool::new(false));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let flag = exited.clone();
    // A plain thread, not the runtime's blocking pool: it lives exactly as long as CMD.
    std::thread::Builder::new()
        .name("otelsnap-cmd-wait".into())
        .spawn(move || {
            let mut child = child;
            let r = child.wait();
            flag.store(true, Ordering::SeqCst);
            let _ = tx.send(r);
        })
        .context("cannot start a thread to wait for CMD")?;
    Ok(Some(Running {
        display,
        pid,
        exited,
        status_rx: Some(rx),
        status: None,
        grace: args.grace,
        grace_until: None,
        forward_sigint: !foreground_of_terminal(),
    }))
}

/// The variables CMD gets: (name, Some(value)) to set, (name, None) to remove. `current` reads
/// the inherited environment.
fn env_for(
    endpoint: &str,
    protocol: &str,
    current: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Vec<(String, Option<String>)> {
    let mut out = vec![
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT".to_string(),
            Some(endpoint.to_string()),
        ),
        (
            "OTEL_EXPORTER_OTLP_PROTOCOL".to_string(),
            Some(protocol.to_string()),
        ),
    ];
    for k in PER_SIGNAL {
        if current(k).is_some() {
            out.push((k.to_string(), None));
        }
    }
    for (k, v) in SHORT_INTERVALS {
        if current(k).is_none() {
            out.push((k.to_string(), Some(v.to_string())));
        }
    }
    out
}

/// 0.0.0.0 and :: are where we listen, not where a client connects.
fn connectable(addr: SocketAddr) -> SocketAddr {
    let ip = addr.ip();
    if ip.is_unspecified() {
        let lo: std::net::IpAddr = if ip.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        };
        SocketAddr::new(lo, addr.port())
    } else {
        addr
    }
}

/// True when a terminal on stdin/stdout/stderr has our process group in the foreground, so a
/// Ctrl-C there reaches CMD (same group) directly.
fn foreground_of_terminal() -> bool {
    // SAFETY: getpgrp and tcgetpgrp only read process state.
    let ours = unsafe { libc::getpgrp() };
    (0..3).any(|fd| unsafe { libc::isatty(fd) == 1 && libc::tcgetpgrp(fd) == ours })
}

impl Running {
    /// A handle for passing signals on.
    pub fn forwarder(&self) -> Forwarder {
        Forwarder {
            pid: self.pid,
            exited: self.exited.clone(),
            forward_sigint: self.forward_sigint,
        }
    }

    /// Resolves once CMD has exited and the grace period after it has passed. Cancel-safe:
    /// the exit status and the grace deadline are kept across calls.
    pub async fn finished(&mut self, ctx: &Ctx) -> String {
        if self.status.is_none() {
            if let Some(rx) = self.status_rx.as_mut() {
                let r = rx.await;
                self.status_rx = None;
                match r {
                    Ok(Ok(st)) => self.status = Some(st),
                    // wait(2) failing for our own child leaves nothing to report but failure.
                    _ => self.status = Some(failed_status()),
                }
                self.grace_until = Some(tokio::time::Instant::now() + self.grace);
                if !self.grace.is_zero() {
                    ctx.note(format!(
                        "CMD exited ({}); receiving for {} more (--grace) for its final exports",
                        describe(self.status),
                        crate::render::human::duration_flag(self.grace)
                    ));
                }
            } else {
                std::future::pending::<()>().await;
            }
        }
        if let Some(at) = self.grace_until {
            tokio::time::sleep_until(at).await;
        }
        format!("CMD exited ({})", describe(self.status))
    }

    /// Stops CMD when the capture itself failed: SIGTERM, then SIGKILL after a wait.
    pub async fn terminate(&mut self, ctx: &Ctx) {
        let Some(rx) = self.status_rx.as_mut() else {
            return;
        };
        if !self.exited.load(Ordering::SeqCst) {
            ctx.note(format!("stopping CMD ({}) with SIGTERM", self.display));
            // SAFETY: kill(2) on our own, not yet reaped child.
            unsafe {
                libc::kill(self.pid, libc::SIGTERM);
            }
        }
        let r = match tokio::time::timeout(TERMINATE_WAIT, &mut *rx).await {
            Ok(r) => r,
            Err(_) => {
                if !self.exited.load(Ordering::SeqCst) {
                    ctx.note("CMD did not exit after SIGTERM: sending SIGKILL");
                    // SAFETY: as above.
                    unsafe {
                        libc::kill(self.pid, libc::SIGKILL);
                    }
                }
                rx.await
            }
        };
        self.status_rx = None;
        self.status = Some(match r {
            Ok(Ok(st)) => st,
            _ => failed_status(),
        });
    }

    /// CMD's exit status, once known.
    pub fn status(&self) -> Option<ExitStatus> {
        self.status
    }
}

fn failed_status() -> ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    ExitStatus::from_raw(1 << 8)
}

/// `status 3`, `killed by signal 9`.
fn describe(status: Option<ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status {
        None => "status unknown".into(),
        Some(s) => match (s.code(), s.signal()) {
            (Some(c), _) => format!("status {c}"),
            (None, Some(sig)) => format!("killed by signal {sig}"),
            _ => "status unknown".into(),
        },
    }
}

/// The shell's convention: the exit code, or 128 + the signal that killed it.
fn shell_code(s: ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (s.code(), s.signal()) {
        (Some(c), _) => (c & 0xff) as u8,
        (None, Some(sig)) => (128 + sig).clamp(0, 255) as u8,
        _ => 1,
    }
}

/// The exit code of `capture -- CMD`: CMD's when it failed (the capture's own error, if any,
/// is still reported), else the capture's (0, or an error, which becomes 2).
pub fn exit_code(
    ctx: &Ctx,
    cmd: Option<&Running>,
    capture: anyhow::Result<u8>,
) -> anyhow::Result<u8> {
    let Some(status) = cmd.and_then(|c| c.status()) else {
        return capture;
    };
    if status.success() {
        return capture;
    }
    let code = shell_code(status);
    match &capture {
        Ok(_) => eprintln!(
            "note: CMD failed ({}): exiting with its status {code}; the session was saved",
            describe(Some(status))
        ),
        Err(e) => {
            crate::error::report(e);
            eprintln!(
                "note: CMD failed ({}): exiting with its status {code}, not otelsnap's 2",
                describe(Some(status))
            );
        }
    }
    let _ = ctx;
    Ok(code)
}

/// CMD as a user would type it (for messages only).
fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            if !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_points_at_us_and_keeps_user_intervals() {
        let current = |k: &str| match k {
            "OTEL_METRIC_EXPORT_INTERVAL" => Some("5000".into()),
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" => Some("http://elsewhere:4318".into()),
            _ => None,
        };
        let env = env_for("http://127.0.0.1:9", "http/protobuf", current);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(
            get("OTEL_EXPORTER_OTLP_ENDPOINT"),
            Some(Some("http://127.0.0.1:9".into()))
        );
        assert_eq!(
            get("OTEL_EXPORTER_OTLP_PROTOCOL"),
            Some(Some("http/protobuf".into()))
        );
        // Set by the user: left alone.
        assert_eq!(get("OTEL_METRIC_EXPORT_INTERVAL"), None);
        assert_eq!(get("OTEL_BSP_SCHEDULE_DELAY"), Some(Some("500".into())));
        assert_eq!(get("OTEL_BLRP_SCHEDULE_DELAY"), Some(Some("500".into())));
        // Would send traces elsewhere: removed.
        assert_eq!(get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), Some(None));
        assert_eq!(get("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"), None);
    }

    #[test]
    fn shell_codes() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(shell_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(shell_code(ExitStatus::from_raw(libc::SIGTERM)), 143);
        assert_eq!(
            describe(Some(ExitStatus::from_raw(9))),
            "killed by signal 9"
        );
    }

    #[test]
    fn words_quoted_for_display() {
        let w = |v: &[&str]| shell_words(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(w(&["pytest", "-q"]), "pytest -q");
        assert_eq!(w(&["sh", "-c", "echo 'hi'"]), "sh -c 'echo '\\''hi'\\'''");
    }
}
