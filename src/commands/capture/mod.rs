//! `otelsnap capture`: receive OTLP (gRPC, HTTP) or read OTLP files, analyze, save a session.
//!
//! Guarantees: the name and target are checked before anything listens; a request is
//! acknowledged only after it was analyzed (the sink analyzes inside `accept`), and the
//! receivers drain requests in flight before the analyzer is finished, so everything
//! acknowledged is in the saved session. A second SIGINT/SIGTERM while stopping aborts without
//! saving and exits 2 (the contract's error code), saying so.
//!
//! Here: the command, the analyzer behind a memory budget, checkpoints, saving and the
//! summary; `listen` runs the receivers until a stop condition, `files` reads `--from-file`.

mod files;
mod listen;

use files::capture_files;
use listen::{capture_listen, lost_text};

use std::collections::BTreeSet;
use std::future::Future;
use std::io::IsTerminal;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use comfy_table::{CellAlignment, Table, presets};
use tokio::net::TcpListener;
use tokio::signal::unix::{Signal as UnixSignal, SignalKind, signal};
use tokio::sync::{Notify, watch};

use super::Ctx;
use crate::analyze::{Analyzer, AnalyzerOptions, LiveCounts, Sharded, limits};
use crate::cli::CaptureArgs;
use crate::otlp::file::{self, FileOptions};
use crate::otlp::{OtlpRequest, ReceiverConfig, Refusal, Sink};
use crate::render::human;
use crate::session::{CaptureInfo, Session, SessionName, Signal, now_utc};

/// Default analyzer memory budget: 512 MiB. The largest capture measured (50,000 distinct
/// metrics, 1,000,000 points) peaks at 231 MB of RSS in all, so real workloads stay well
/// inside it, while a hostile sender cannot take more than this plus the receivers' fixed
/// overhead from a 7 GB CI runner (BENCHMARKS.md: hostile-input memory table).
pub const DEFAULT_MAX_STATE_BYTES: u64 = 512 * 1024 * 1024;

/// Shards per worker thread of a listening capture. Many more shards than threads make two
/// threads rarely want the same shard at once (for two threads and 16 shards, 1 item in 16),
/// and a checkpoint holds one shard, a sixteenth of the state, at a time. Sessions do not
/// depend on the count (`analyze::Sharded`).
const SHARDS_PER_WORKER: usize = 8;

/// The analyzer's shards for `workers` worker threads.
fn shard_count(workers: usize) -> usize {
    (workers * SHARDS_PER_WORKER).clamp(SHARDS_PER_WORKER, 256)
}

/// The analyzer with its length caps and memory budget applied to every request; many
/// threads ingest into it at once (each item under its shard's lock only).
struct Budgeted {
    analyzer: Sharded,
    /// Requests ingested.
    ingested: AtomicU64,
    /// Net heap bytes the analyzer's state has grown by, summed over the ingesting threads
    /// (see [`crate::alloc_meter`]: each thread measures its own ingests; memory one thread
    /// frees that another allocated is subtracted where it is freed, so the sum is exact).
    used: AtomicI64,
    /// `--max-state-bytes`.
    limit: u64,
    /// What the state itself may take: the whole budget, or half of it when checkpoints are
    /// on, since a checkpoint copies the state (the copy is then written, consumed metric by
    /// metric, without ever building the whole session).
    state_limit: u64,
    quiet: bool,
    /// When the budget ran out, for the session's `incomplete` note.
    frozen_at: Mutex<Option<chrono::DateTime<chrono::Utc>>>,
}

/// A checkpoint's copy of the state.
struct Snapshot {
    analyzer: Analyzer,
    /// Requests wholly in the copy (at least: those ingested before it began).
    ingested: u64,
    incomplete: Option<String>,
    /// Longest time one shard was held for its copy: what a request could wait.
    longest_hold: Duration,
}

impl Budgeted {
    fn new(analyzer: impl Into<Sharded>, limit: u64, checkpoints: bool, quiet: bool) -> Self {
        Budgeted {
            analyzer: analyzer.into(),
            ingested: AtomicU64::new(0),
            used: AtomicI64::new(0),
            limit,
            state_limit: if checkpoints { limit / 2 } else { limit },
            quiet,
            frozen_at: Mutex::new(None),
        }
    }

    /// Ingests one request whose strings were already capped (`truncated` of them cut).
    fn ingest(&self, req: &OtlpRequest, truncated: u64) {
        self.ingest_at(req, truncated, chrono::Utc::now());
    }

    /// [`Self::ingest`], received at `at`.
    fn ingest_at(&self, req: &OtlpRequest, truncated: u64, at: chrono::DateTime<chrono::Utc>) {
        let before = crate::alloc_meter::thread_net();
        self.analyzer.note_truncated(truncated);
        self.analyzer.ingest(req, at);
        self.ingested.fetch_add(1, Ordering::SeqCst);
        let grew = crate::alloc_meter::thread_net() - before;
        let used = self.used.fetch_add(grew, Ordering::Relaxed) + grew;
        if used > 0
            && !self.analyzer.is_frozen()
            && self.charged(used) >= self.state_limit
            && self.analyzer.freeze()
        {
            *self.frozen_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(at);
            if !self.quiet {
                let half = if self.state_limit < self.limit {
                    " (with --checkpoint on, the state takes at most half of it: a checkpoint copies it)"
                } else {
                    ""
                };
                eprintln!(
                    "warning: the analyzer reached its memory budget ({}, --max-state-bytes){half}: from now on new items are dropped (counted) and the session will be marked incomplete",
                    human::human_bytes(self.limit)
                );
            }
        }
    }

    /// What the state counts against its limit: its heap, plus what finishing it will need
    /// beside it (the catalog's choice of keys).
    fn charged(&self, used: i64) -> u64 {
        (used.max(0) as u64).saturating_add(self.analyzer.finish_reserve())
    }

    fn incomplete(&self) -> Option<String> {
        let frozen_at = *self.frozen_at.lock().unwrap_or_else(|p| p.into_inner());
        frozen_at.map(|t| {
            format!(
                "the analyzer's memory budget ({}, --max-state-bytes) ran out at {}: items first seen after that were dropped (counted in dropped) and the value sets of existing keys stopped growing",
                human::human_bytes(self.limit),
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )
        })
    }

    /// A copy of the state for a checkpoint, taken shard by shard while ingest goes on.
    fn snapshot(&self) -> Snapshot {
        // Read first: every request counted here completed before any shard was copied.
        let ingested = self.ingested.load(Ordering::SeqCst);
        let incomplete = self.incomplete();
        let snap = self.analyzer.snapshot();
        Snapshot {
            analyzer: snap.analyzer,
            ingested,
            incomplete,
            longest_hold: snap.longest_hold,
        }
    }

    /// The analyzer, and why the session is incomplete, if it is.
    fn into_parts(self) -> (Analyzer, Option<String>) {
        let why = self.incomplete();
        (self.analyzer.into_analyzer(), why)
    }
}

/// Most bad lines printed per file; the rest are only counted.
const MAX_BAD_LINES_SHOWN: u64 = 20;

/// Runs `capture`.
pub fn run(ctx: &Ctx, args: &CaptureArgs) -> anyhow::Result<u8> {
    // Everything that can fail cheaply fails before anything listens.
    let name = SessionName::parse(&args.name)?;
    super::capture_cmd::validate(args)?;
    super::capture_cmd::check_target(ctx, args, &name)?;
    let opts = analyzer_options(args)?;
    if let Some(p) = &args.ready_file {
        crate::session::store::check_replaceable(p).map_err(|e| anyhow!("--ready-file: {e}"))?;
    }
    let file_signal = args
        .from_file_signal
        .as_deref()
        .map(|s| {
            s.parse::<Signal>()
                .map_err(|e| anyhow!("--from-file-signal: {e}"))
        })
        .transpose()?;
    let restored = restore_checkpoint(ctx, &name)?;
    if !args.from_file.is_empty() {
        return capture_files(ctx, args, &name, opts, file_signal, restored);
    }
    if args.from_file_signal.is_some() {
        bail!("--from-file-signal only applies with --from-file FILE");
    }
    if args.from_file_jobs != 0 {
        bail!("--from-file-jobs only applies with --from-file FILE");
    }
    let workers = match args.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n if n > MAX_WORKERS => bail!(
            "--workers {n}: at most {MAX_WORKERS} worker threads; pass 0 (the default) for one per core"
        ),
        n => n,
    };
    if args.no_grpc && args.no_http {
        bail!(
            "nothing to capture from: --no-grpc and --no-http disable both receivers; keep one, or read files with --from-file FILE"
        );
    }
    // The receivers analyze each request on the runtime thread that decoded it, so the
    // runtime's worker threads are the capture's parallelism.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .thread_name("otelsnap-capture")
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(capture_listen(ctx, args, name, opts, restored, workers))
}

/// Most `--workers`: more threads than this is a typo, not a machine.
const MAX_WORKERS: usize = 1024;

/// The checkpoint an earlier capture of `name` left when it did not get to save (killed,
/// crashed): this capture continues it, merging it into what it saves.
fn restore_checkpoint(ctx: &Ctx, name: &SessionName) -> anyhow::Result<Option<Arc<Session>>> {
    let path = ctx.store.checkpoint_path(name);
    match crate::session::store::read_file(&path, &ctx.store.limits.read()) {
        Ok(s) => {
            let c = s.capture.as_ref();
            ctx.note(format!(
                "resuming: an earlier capture of '{name}' did not save; its checkpoint ({} requests, until {}) is merged into this one ({})",
                c.map_or(0, |c| c.requests),
                c.map_or_else(String::new, |c| c.ended.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                path.display()
            ));
            Ok(Some(Arc::new(s)))
        }
        Err(crate::session::SessionError::FileNotFound { .. }) => Ok(None),
        Err(e) => bail!(
            "cannot read the checkpoint of an earlier capture of '{name}': {e}; move {} away to start afresh",
            path.display()
        ),
    }
}

/// Builds the session from what was analyzed, merged with a restored checkpoint if any.
fn build_session(
    name: &SessionName,
    description: Option<&str>,
    analyzer: Analyzer,
    info: CaptureInfo,
    restored: Option<&Session>,
) -> anyhow::Result<Session> {
    let mut session = empty_session(name, description, info);
    analyzer.finish(&mut session);
    if let Some(r) = restored {
        let mut opts = crate::merge::MergeOptions::new(name.as_str());
        opts.description = Some(session.description.clone());
        let out = crate::merge::merge(&[r.clone(), session], &opts)
            .map_err(|e| anyhow!("cannot merge the restored checkpoint: {e}"))?;
        session = out.session;
    }
    Ok(session)
}

/// What the checkpoint writer did, for the summary.
#[derive(Debug, Default, Clone, Copy)]
struct CheckpointStats {
    written: u64,
    /// Longest time one shard was held while the state was copied: the longest a request
    /// could wait for a checkpoint.
    longest_pause: Duration,
    /// Longest time copying the whole state took, shard by shard (ingest goes on meanwhile).
    longest_copy: Duration,
    /// Longest time building and writing one checkpoint took (receivers not blocked).
    longest_write: Duration,
    failed: u64,
}

/// A session with no data yet.
fn empty_session(name: &SessionName, description: Option<&str>, info: CaptureInfo) -> Session {
    let mut session = Session::new(name.as_str());
    session.description = description.unwrap_or_default().to_string();
    session.created = now_utc();
    session.capture = Some(info);
    session
}

/// [`build_session`] without a restored checkpoint, gzipped while it is built: each metric's
/// session form exists only while it is written, so the analyzer's state plus one metric is
/// what the save holds, not the state and the whole session beside it. Returns the session
/// without its metrics (its stats count them) and the file's bytes.
fn build_streamed(
    name: &SessionName,
    description: Option<&str>,
    analyzer: Analyzer,
    info: CaptureInfo,
) -> (Session, Vec<u8>) {
    let mut shell = empty_session(name, description, info);
    let pending = analyzer.finish_pending(&mut shell);
    let gzip =
        crate::session::format::to_gzip_streaming(&shell, pending.metrics, pending.attributes);
    (shell, gzip)
}

/// The session to save: whole, or gzipped while it was built (its metrics only in `gzip`).
enum Built {
    Whole(Session),
    Streamed { shell: Session, gzip: Vec<u8> },
}

impl Built {
    /// The session; without its metrics when streamed (its stats still count them).
    fn session(&self) -> &Session {
        match self {
            Built::Whole(s) => s,
            Built::Streamed { shell, .. } => shell,
        }
    }
}

/// Writes a checkpoint every `every` until `stop`: the state is copied under the lock (the
/// only pause), then finished and written atomically on a blocking thread.
#[allow(clippy::too_many_arguments)]
fn spawn_checkpoints(
    ctx: &Ctx,
    args: &CaptureArgs,
    name: &SessionName,
    collector: Arc<Collector>,
    restored: Option<Arc<Session>>,
    sources: Vec<String>,
    started: chrono::DateTime<chrono::Utc>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<CheckpointStats> {
    let every = args.checkpoint;
    let store = ctx.store.clone();
    let name = name.clone();
    let description = args.description.clone();
    let quiet = ctx.quiet;
    tokio::spawn(async move {
        let mut stats = CheckpointStats::default();
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|v| *v) => break,
            }
            // On a blocking thread: the copy takes a while, and a runtime thread is a worker
            // that analyzes requests.
            let c = collector.clone();
            let copied = tokio::task::spawn_blocking(move || {
                let t = Instant::now();
                c.snapshot().map(|s| (s, t.elapsed()))
            })
            .await;
            let Ok(Some((snap, took))) = copied else {
                break;
            };
            stats.longest_copy = stats.longest_copy.max(took);
            stats.longest_pause = stats.longest_pause.max(snap.longest_hold);
            if snap.ingested == 0 && restored.is_none() {
                continue;
            }
            let (store, name, description, restored, sources) = (
                store.clone(),
                name.clone(),
                description.clone(),
                restored.clone(),
                sources.clone(),
            );
            let rejected = collector.rejected.load(Ordering::SeqCst);
            let t = Instant::now();
            let r = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                let Snapshot {
                    analyzer,
                    ingested: requests,
                    incomplete,
                    ..
                } = snap;
                let info = CaptureInfo {
                    started,
                    ended: now_utc(),
                    sources,
                    requests,
                    rejected,
                    dropped: 0,
                    truncated: 0,
                    incomplete,
                };
                match restored.as_deref() {
                    None => {
                        let (_, gzip) =
                            build_streamed(&name, description.as_deref(), analyzer, info);
                        store.write_checkpoint_gzip(&name, &gzip)?;
                    }
                    Some(r) => {
                        let s =
                            build_session(&name, description.as_deref(), analyzer, info, Some(r))?;
                        store.write_checkpoint(&name, &s)?;
                    }
                }
                Ok(())
            })
            .await;
            stats.longest_write = stats.longest_write.max(t.elapsed());
            match r {
                Ok(Ok(())) => stats.written += 1,
                Ok(Err(e)) => {
                    stats.failed += 1;
                    if stats.failed == 1 && !quiet {
                        eprintln!(
                            "warning: cannot write a checkpoint: {e:#}; the capture goes on (a kill now loses more)"
                        );
                    }
                }
                Err(e) => {
                    stats.failed += 1;
                    if !quiet {
                        eprintln!("warning: checkpoint writer failed: {e}");
                    }
                }
            }
        }
        stats
    })
}

fn analyzer_options(args: &CaptureArgs) -> anyhow::Result<AnalyzerOptions> {
    let signals = if args.signals.is_empty() {
        None
    } else {
        let mut set = BTreeSet::new();
        for s in args.signals.iter().filter(|s| !s.trim().is_empty()) {
            set.insert(s.parse::<Signal>().map_err(|e| anyhow!("--signals: {e}"))?);
        }
        Some(set)
    };
    let services = if args.services.is_empty() {
        None
    } else {
        Some(
            args.services
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect::<BTreeSet<_>>(),
        )
    };
    Ok(AnalyzerOptions {
        samples: args.samples,
        max_items: args.max_items,
        signals,
        services,
    })
}

// ---------------------------------------------------------------------------------------------
// The sink shared by the receivers.

/// Counts, analyzes and enforces `--max-requests`; acknowledged (Ok) means analyzed.
struct Collector {
    /// None with `--no-analyze`. Ingest holds the read side for the whole request (the
    /// shards inside have their own locks); `close` takes the write side, so it waits for the
    /// requests in flight and no request is analyzed after it.
    analyzer: Option<RwLock<Option<Budgeted>>>,
    /// Set once the analyzer has been taken out: later requests are refused, never lost.
    closed: AtomicBool,
    requests: AtomicU64,
    rejected: AtomicU64,
    max_requests: Option<u64>,
    start: Instant,
    /// Milliseconds since `start` of the last accepted request.
    last_ms: AtomicU64,
    limit_hit: Notify,
}

impl Collector {
    #[allow(clippy::too_many_arguments)]
    fn new(
        opts: AnalyzerOptions,
        analyze: bool,
        max_requests: Option<u64>,
        budget: u64,
        checkpoints: bool,
        quiet: bool,
        workers: usize,
    ) -> Collector {
        Collector {
            analyzer: analyze.then(|| {
                let mut a = Sharded::new(opts, shard_count(workers));
                // Live: untimed telemetry is observed from the first to the last request.
                a.set_request_time_fallback(true);
                RwLock::new(Some(Budgeted::new(a, budget, checkpoints, quiet)))
            }),
            closed: AtomicBool::new(false),
            requests: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            max_requests,
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            limit_hit: Notify::new(),
        }
    }

    fn read(m: &RwLock<Option<Budgeted>>) -> RwLockReadGuard<'_, Option<Budgeted>> {
        // A panic while analyzing aborts the process (panic hook), so poison is never observed
        // in practice; recovering keeps the data anyway.
        m.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves one request slot, refusing once `--max-requests` is reached.
    fn reserve(&self) -> Result<u64, Refusal> {
        match self.max_requests {
            None => Ok(self.requests.fetch_add(1, Ordering::SeqCst) + 1),
            Some(max) => {
                let mut cur = self.requests.load(Ordering::SeqCst);
                loop {
                    if cur >= max {
                        return Err(Refusal::Stopping);
                    }
                    match self.requests.compare_exchange(
                        cur,
                        cur + 1,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    ) {
                        Ok(_) => return Ok(cur + 1),
                        Err(now) => cur = now,
                    }
                }
            }
        }
    }

    fn counts(&self) -> LiveCounts {
        match &self.analyzer {
            Some(m) => Self::read(m)
                .as_ref()
                .map(|b| b.analyzer.counts())
                .unwrap_or_default(),
            None => LiveCounts::default(),
        }
    }

    /// A copy of the analyzer's state, for a checkpoint; `None` once closed or without one.
    /// Requests go on being analyzed meanwhile, each waiting at most for the copy of one shard.
    fn snapshot(&self) -> Option<Snapshot> {
        let m = self.analyzer.as_ref()?;
        let guard = Self::read(m);
        Some(guard.as_ref()?.snapshot())
    }

    /// Takes the analyzer out once the requests in flight are analyzed; requests arriving
    /// later are refused.
    fn close(&self) -> Option<Budgeted> {
        let m = self.analyzer.as_ref()?;
        let mut guard = m.write().unwrap_or_else(|p| p.into_inner());
        self.closed.store(true, Ordering::SeqCst);
        guard.take()
    }

    fn idle_deadline(&self, idle: Duration) -> tokio::time::Instant {
        let last = Duration::from_millis(self.last_ms.load(Ordering::SeqCst));
        tokio::time::Instant::from_std(self.start + last + idle)
    }
}

impl Sink for Collector {
    fn accept(&self, mut req: OtlpRequest) -> Result<(), Refusal> {
        let n = self.reserve()?;
        match &self.analyzer {
            Some(m) => {
                // Outside the lock: requests are capped in parallel.
                let truncated = limits::cap_request(&mut req);
                let guard = Self::read(m);
                let Some(a) = guard.as_ref() else {
                    drop(guard);
                    self.requests.fetch_sub(1, Ordering::SeqCst);
                    return Err(Refusal::Stopping);
                };
                a.ingest(&req, truncated);
            }
            None => {
                if self.closed.load(Ordering::SeqCst) {
                    self.requests.fetch_sub(1, Ordering::SeqCst);
                    return Err(Refusal::Stopping);
                }
            }
        }
        let ms = self.start.elapsed().as_millis() as u64;
        self.last_ms.fetch_max(ms, Ordering::SeqCst);
        if self.max_requests == Some(n) {
            self.limit_hit.notify_one();
        }
        Ok(())
    }

    fn rejected(&self, _transport: &'static str, _reason: &str) {
        self.rejected.fetch_add(1, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------------------------
// Listening.

/// Why the capture stopped.
#[derive(Debug, Clone)]
enum StopReason {
    Duration(Duration),
    Idle(Duration),
    MaxRequests(u64),
    Signal(&'static str),
    ReceiverFailed(String),
    Command(String),
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Duration(d) => write!(f, "--duration {} reached", human::duration_flag(*d)),
            StopReason::Idle(d) => {
                write!(
                    f,
                    "no request for {} (--idle-timeout)",
                    human::duration_flag(*d)
                )
            }
            StopReason::MaxRequests(n) => write!(f, "{n} requests received (--max-requests)"),
            StopReason::Signal(s) => write!(f, "{s} received"),
            StopReason::ReceiverFailed(e) => write!(f, "a receiver failed: {e}"),
            StopReason::Command(s) => f.write_str(s),
        }
    }
}

struct Outcome {
    reason: Option<String>,
    window: Duration,
    checkpoints: Option<CheckpointStats>,
}

fn finish_and_save(
    ctx: &Ctx,
    args: &CaptureArgs,
    name: &SessionName,
    analyzer: Option<Budgeted>,
    mut info: CaptureInfo,
    outcome: Outcome,
    restored: Option<&Session>,
) -> anyhow::Result<u8> {
    let analyzer = analyzer.map(|b| {
        let (a, why) = b.into_parts();
        info.incomplete = why;
        a
    });
    let counts = analyzer.as_ref().map(|a| a.counts()).unwrap_or_default();
    let analyzed = analyzer.is_some();
    // The checkpoint is removed once its data is safely in the session or a rescue file.
    let mut checkpoint_merged = restored.is_none();
    let built = match analyzer {
        Some(a) if restored.is_none() && super::capture_cmd::streams(args) => {
            let (shell, gzip) = build_streamed(name, args.description.as_deref(), a, info.clone());
            Built::Streamed { shell, gzip }
        }
        Some(a) => Built::Whole({
            let own = build_session(name, args.description.as_deref(), a, info.clone(), None)?;
            match restored {
                None => own,
                Some(r) => {
                    let mut opts = crate::merge::MergeOptions::new(name.as_str());
                    opts.description = Some(own.description.clone());
                    match crate::merge::merge(&[r.clone(), own.clone()], &opts) {
                        Ok(out) => {
                            checkpoint_merged = true;
                            out.session
                        }
                        Err(e) => {
                            ctx.note(format!(
                                "warning: the restored checkpoint cannot be merged ({e}); it stays at {} and this session holds only this capture",
                                ctx.store.checkpoint_path(name).display()
                            ));
                            own
                        }
                    }
                }
            }
        }),
        None => {
            let mut s = empty_session(name, args.description.as_deref(), info.clone());
            s.canonicalize();
            Built::Whole(s)
        }
    };
    let session = built.session();
    let remove_checkpoint = || {
        if checkpoint_merged {
            let _ = std::fs::remove_file(ctx.store.checkpoint_path(name));
        }
    };
    // The analyzer adds what it dropped to `capture`.
    let info = session.capture.clone().unwrap_or(info);
    let summary = summary_table(session, &info, &counts, &outcome, analyzed);
    if !analyzed {
        // --no-analyze measures the receivers alone: there is no metadata to save.
        ctx.note(summary);
        ctx.note("--no-analyze: nothing saved");
        return Ok(crate::error::EXIT_OK);
    }
    if info.requests == 0 && !args.allow_empty {
        ctx.note(summary);
        if args.from_file.is_empty() {
            bail!(
                "no telemetry received; nothing saved (point senders at the addresses above, or pass --allow-empty to save an empty session)"
            );
        }
        bail!(
            "the files held no telemetry; nothing saved (check that --from-file names OTLP dumps, or pass --allow-empty to save an empty session)"
        );
    }
    let empty = session.stats.metrics_count == 0
        && session.data.spans.is_empty()
        && session.data.logs.is_empty();
    if empty && info.requests > 0 && !args.allow_empty {
        ctx.note(summary);
        bail!(
            "nothing left to save: {} requests received, but none matched --signals/--services (or they held no items); pass --allow-empty to save an empty session",
            info.requests
        );
    }
    let saved = match &built {
        Built::Whole(s) => super::capture_cmd::save(ctx, args, s),
        Built::Streamed { shell, gzip } => {
            super::capture_cmd::save_gzip(ctx, args, &shell.id, gzip)
        }
    };
    let saved = match saved {
        Ok(saved) => saved,
        Err(e) => {
            ctx.note(summary);
            let (err, rescued) = rescue(ctx, &built, &counts, &info, e);
            if rescued {
                remove_checkpoint();
            }
            return Err(err);
        }
    };
    remove_checkpoint();
    ctx.note(summary);
    ctx.note(format!(
        "saved {} ({})",
        saved.path.display(),
        human::human_bytes(saved.bytes)
    ));
    if let Some(w) = &saved.low_disk_warning {
        ctx.note(w);
    }
    // What was saved is the command's data: scripts read it from stdout.
    let saved_as = match &args.output {
        Some(path) => path.display().to_string(),
        None => name.to_string(),
    };
    crate::error::print(format!("{saved_as}\n").as_bytes())?;
    Ok(crate::error::EXIT_OK)
}

/// After a failed save, writes everything received to a rescue file and names it in the
/// error; only when that fails too is anything lost, and the error says how much. The flag
/// says whether the rescue file was written.
fn rescue(
    ctx: &Ctx,
    built: &Built,
    counts: &LiveCounts,
    info: &CaptureInfo,
    e: crate::session::SessionError,
) -> (anyhow::Error, bool) {
    use crate::session::SessionError as E;
    let name = &built.session().id;
    let rescued = match built {
        Built::Whole(s) => ctx.store.rescue(s),
        Built::Streamed { shell, gzip } => ctx.store.rescue_gzip(&shell.id, gzip),
    };
    match rescued {
        Ok(path) => {
            let import = format!("otelsnap import {}", path.display());
            let advice = match &e {
                E::AlreadyExists { .. } => {
                    format!("run `{import} --name OTHER-NAME` (or add --force to replace '{name}')")
                }
                E::TooLarge { .. } => {
                    format!("run `{import} --max-session-size BYTES` with a limit above its size")
                }
                E::TooMany { .. } => {
                    format!("delete a session (or raise --max-sessions), then run `{import}`")
                }
                _ => format!("once the cause is fixed, run `{import}`"),
            };
            let err = anyhow!(
                "cannot save session '{name}': {e}; everything received is kept in the rescue file {}; {advice}",
                path.display()
            );
            (err, true)
        }
        Err(why) => {
            let err = anyhow!(
                "cannot save session '{name}': {e}; the rescue file could not be written either ({why}): lost {}",
                lost_text(info.requests, counts)
            );
            (err, false)
        }
    }
}

fn summary_table(
    session: &Session,
    info: &CaptureInfo,
    counts: &LiveCounts,
    outcome: &Outcome,
    analyzed: bool,
) -> String {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    let mut row = |k: &str, v: String| {
        t.add_row(vec![k.to_string(), v]);
    };
    row("session", session.id.clone());
    if let Some(r) = &outcome.reason {
        row("stopped", r.clone());
    }
    row("duration", format!("{:.1}s", outcome.window.as_secs_f64()));
    row("sources", info.sources.join(", "));
    row(
        "requests",
        format!(
            "{} accepted, {} rejected",
            human::with_commas(info.requests),
            human::with_commas(info.rejected)
        ),
    );
    if analyzed {
        let d = &session.data;
        row(
            "metrics",
            format!(
                "{}, {}",
                human::plural(session.stats.metrics_count, "name", "names"),
                human::plural(counts.data_points, "data point", "data points")
            ),
        );
        row(
            "spans",
            format!(
                "{}, {}",
                human::plural(d.spans.len() as u64, "name", "names"),
                human::plural(counts.spans, "span", "spans")
            ),
        );
        row(
            "logs",
            format!(
                "{}, {}",
                human::plural(d.logs.len() as u64, "severity", "severities"),
                human::plural(counts.log_records, "log record", "log records")
            ),
        );
        row(
            "attributes",
            human::with_commas(session.stats.attributes_count),
        );
        row(
            "services",
            if session.stats.services.is_empty() {
                "-".to_string()
            } else {
                session.stats.services.join(", ")
            },
        );
        row(
            "dropped",
            if info.dropped == 0 {
                "0".to_string()
            } else {
                format!(
                    "{} (over --max-items; counted, not kept)",
                    human::with_commas(info.dropped)
                )
            },
        );
    }
    if let Some(c) = &outcome.checkpoints
        && c.written + c.failed > 0
    {
        row(
            "checkpoints",
            format!(
                "{} written ({} failed), longest pause {} ms (copy {} ms, one shard at a time), longest write {} ms",
                c.written,
                c.failed,
                c.longest_pause.as_millis(),
                c.longest_copy.as_millis(),
                c.longest_write.as_millis()
            ),
        );
    }
    if let Some(c) = t.column_mut(0) {
        c.set_cell_alignment(CellAlignment::Left);
    }
    t.to_string()
}
