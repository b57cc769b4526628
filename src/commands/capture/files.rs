//! `capture --from-file`: reads OTLP files (one, a set, or stdin) into the analyzer.

use super::*;

pub(super) fn capture_files(
    ctx: &Ctx,
    args: &CaptureArgs,
    name: &SessionName,
    opts: AnalyzerOptions,
    signal: Option<Signal>,
    restored: Option<Arc<Session>>,
) -> anyhow::Result<u8> {
    for (flag, set) in [
        ("--duration", args.duration.is_some()),
        ("--idle-timeout", args.idle_timeout.is_some()),
        ("--max-requests", args.max_requests.is_some()),
        ("--ready-file", args.ready_file.is_some()),
    ] {
        if set {
            ctx.note(format!("note: {flag} is ignored with --from-file"));
        }
    }
    if args.workers != 0 {
        ctx.note("note: --workers is ignored with --from-file (--from-file-jobs sets its threads)");
    }
    if args.from_file.iter().filter(|f| *f == "-").count() > 1 {
        bail!("--from-file - (stdin) can be given only once");
    }
    let set = file::expand(&args.from_file).map_err(|e| {
        anyhow!("--from-file {e}; name files, a directory of dumps, or a pattern that matches some")
    })?;
    for dup in &set.duplicates {
        ctx.note(format!(
            "note: {dup} is named more than once by --from-file; read once"
        ));
    }
    let start = Instant::now();
    let started = now_utc();
    let mut analyzer = (!args.no_analyze)
        .then(|| Budgeted::new(Analyzer::new(opts), args.max_state_bytes, false, ctx.quiet));
    let fopts = FileOptions {
        signal,
        max_body: args.max_body,
    };
    let jobs = match args.from_file_jobs {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let mut requests = 0u64;
    let mut rejected = 0u64;
    let sources = args.from_file.iter().map(|p| format!("file:{p}")).collect();
    // Decoding and capping run on the reading threads; the analysis takes the requests in
    // file order on this one, so the session does not depend on which file decodes first.
    let prepare = |mut req: OtlpRequest| {
        let truncated = limits::cap_request(&mut req);
        (req, truncated)
    };
    // A file's requests count as received when the file was last written, not when it is
    // read: that is closer to when the exporter saw them, and the same dump read twice gives
    // the same session (first/last seen fall back to it for data without timestamps).
    let received: Vec<_> = set
        .files
        .iter()
        .map(|f| {
            (f != "-")
                .then(|| std::fs::metadata(f).and_then(|m| m.modified()).ok())
                .flatten()
                .map_or(started, chrono::DateTime::<chrono::Utc>::from)
        })
        .collect();
    let mut shown = vec![0u64; set.files.len()];
    let mut consume = |i: usize, item: &file::Item<(OtlpRequest, u64)>| match item {
        file::Item::Request((req, truncated)) => {
            if let Some(a) = analyzer.as_mut() {
                a.ingest_at(req, *truncated, received[i]);
            }
        }
        file::Item::Bad(bad) => {
            if shown[i] < MAX_BAD_LINES_SHOWN {
                let remedy = if bad.over_limit {
                    " (raise --max-body if it is not corrupt)"
                } else {
                    ""
                };
                ctx.note(format!("warning: skipped {bad}{remedy}"));
            } else if shown[i] == MAX_BAD_LINES_SHOWN {
                ctx.note(format!(
                    "warning: more bad input in {} is skipped without being shown",
                    set.files[i]
                ));
            }
            shown[i] += 1;
        }
    };
    let mut finished = |i: usize, report: &file::FileReport| {
        requests += report.requests;
        rejected += report.bad;
        if report.format == file::FileFormat::Empty {
            ctx.note(format!("note: {} is empty", set.files[i]));
        }
    };
    file::read_paths(
        &set.files,
        &fopts,
        jobs,
        &prepare,
        &mut consume,
        &mut finished,
    )?;
    let info = CaptureInfo {
        started,
        ended: now_utc(),
        sources,
        requests,
        rejected,
        dropped: 0,
        truncated: 0,
        incomplete: None,
    };
    let outcome = Outcome {
        reason: None,
        window: start.elapsed(),
        checkpoints: None,
    };
    finish_and_save(
        ctx,
        args,
        name,
        analyzer,
        info,
        outcome,
        restored.as_deref(),
    )
}

// ---------------------------------------------------------------------------------------------
// Finishing.
