//! `otelsnap merge`.

use std::collections::BTreeSet;
use std::io::IsTerminal;

use super::Ctx;
use crate::cli::MergeArgs;
use std::io::Read;

use crate::merge::{self, MergeOptions, Merger};
use crate::render::human;
use crate::session::{Session, SessionName, SessionRef, Signal, format, store};

/// Sources with more items than this get a progress bar (on a terminal).
const PROGRESS_ITEMS: u64 = 5_000;
/// Warnings printed one per line; past this many, one line counts the rest.
const MAX_WARNINGS: usize = 20;

/// Runs `merge`.
pub fn run(ctx: &Ctx, args: &MergeArgs) -> anyhow::Result<u8> {
    // Everything that can be refused without reading a source is refused first.
    let name = SessionName::parse(&args.output)?;
    ctx.store.check_target(&name, args.force)?;
    if args.sources.len() < 2 {
        anyhow::bail!(
            "merge needs at least two sources, got {}: name two or more sessions or files",
            args.sources.len()
        );
    }
    if args.sources.iter().filter(|s| s.as_str() == "-").count() > 1 {
        anyhow::bail!("standard input ('-') can be given only once");
    }
    let signals = parse_signals(&args.signals)?;
    let services = parse_services(&args.services)?;

    // Standard input can be read once; it is held (compressed) in case of a second pass.
    let stdin = if args.sources.iter().any(|s| s == "-") {
        Some(read_stdin(ctx)?)
    } else {
        None
    };

    let mut opts = MergeOptions::new(name.as_str());
    opts.description = args.description.clone();
    opts.signals = signals;
    opts.services = services;

    // The bar counts items; the stored sessions' headers give their counts without a load.
    let known: Vec<Option<u64>> = args.sources.iter().map(|a| header_items(ctx, a)).collect();
    let total: u64 = known.iter().flatten().sum();
    let bar =
        (total > PROGRESS_ITEMS && !ctx.quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "merging {bar:30} {pos}/{len} items ({elapsed})",
            ) {
                bar.set_style(style);
            }
            bar
        });
    let pass = |opts: MergeOptions| {
        let r = fold(ctx, args, stdin.as_deref(), opts, &known, bar.as_ref());
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        r
    };
    let mut merger = pass(opts.clone())?;
    if let Some(limit) = merger.rerun_samples() {
        // Rare: sources captured with different --samples, the larger limit shown late.
        ctx.note(format!(
            "a later source showed a larger value-samples limit ({limit}) than the earlier ones; merging again to keep the same samples as a merge of all at once"
        ));
        if let Some(b) = &bar {
            b.reset();
        }
        opts.samples = Some(limit);
        merger = pass(opts)?;
    }
    let outcome = merger.finish()?;

    let warn = if ctx.stderr_color() {
        "\x1b[33mwarning:\x1b[0m"
    } else {
        "warning:"
    };
    for w in outcome.warnings.iter().take(MAX_WARNINGS) {
        ctx.note(format!("{warn} {w}"));
    }
    if outcome.warnings.len() > MAX_WARNINGS {
        ctx.note(format!(
            "{warn} {} more like these; every conflict is recorded in the metric's `conflicts`",
            outcome.warnings.len() - MAX_WARNINGS
        ));
    }
    let s = &outcome.session;
    let saved = ctx.store.save(s, args.force)?;
    ctx.note(format!(
        "merged {} sessions into '{}': {} metrics, {} span names, {} log severities, {} attributes ({}, {})",
        s.merged_from.len(),
        s.id,
        human::with_commas(s.stats.metrics_count),
        human::with_commas(s.stats.spans_count),
        human::with_commas(s.stats.logs_count),
        human::with_commas(s.stats.attributes_count),
        saved.path.display(),
        human::human_bytes(saved.bytes),
    ));
    if let Some(w) = saved.low_disk_warning {
        ctx.note(format!("{warn} {w}"));
    }
    // The process ends next: freeing the result's millions of small allocations one by one
    // would only delay the exit (about 3% of a ten-session merge's CPU, BENCHMARKS.md).
    std::mem::forget(outcome);
    Ok(0)
}

/// Threads loading sources ahead of the fold: loading (inflate and parse) is most of a merge's
/// work besides the save, and the fold itself is cheap, so two loaders keep two cores busy.
const LOADERS: usize = 2;

/// Folds the sources into a merge one at a time, in their order. [`LOADERS`] threads load the
/// next sources (loader `j` takes sources `j`, `j + LOADERS`, …) while this one folds: at most
/// `LOADERS + 1` sources are held besides the result so far.
fn fold(
    ctx: &Ctx,
    args: &MergeArgs,
    stdin: Option<&[u8]>,
    opts: MergeOptions,
    known: &[Option<u64>],
    bar: Option<&indicatif::ProgressBar>,
) -> anyhow::Result<Merger> {
    let mut merger = Merger::new(opts);
    let loaders = LOADERS.min(args.sources.len()).max(1);
    std::thread::scope(|sc| {
        // Rendezvous channels: each loader hands over one source and waits for its next turn.
        let mut rxs = Vec::with_capacity(loaders);
        for j in 0..loaders {
            let (tx, rx) = std::sync::mpsc::sync_channel::<anyhow::Result<Session>>(0);
            rxs.push(rx);
            sc.spawn(move || {
                for arg in args.sources.iter().skip(j).step_by(loaders) {
                    let r = load(ctx, arg, stdin);
                    let failed = r.is_err();
                    // The receiver is gone when the merge stopped early; so is the need to load.
                    if tx.send(r).is_err() || failed {
                        return;
                    }
                }
            });
        }
        for (i, (arg, known)) in args.sources.iter().zip(known).enumerate() {
            let Ok(r) = rxs[i % loaders].recv() else {
                anyhow::bail!("loading {arg} stopped unexpectedly");
            };
            // Store errors already name the session or file and say what to do.
            let s = r?;
            if s.baseline {
                anyhow::bail!(
                    "{arg} is a diff-only baseline (written by `export --baseline`, without the sketches a merge unions): merge the full sessions it came from, then export the result with --baseline"
                );
            }
            let items = merge::items_of(&s);
            merger.add(s)?;
            if let Some(b) = bar {
                if known.is_none() {
                    b.inc_length(items);
                }
                b.inc(items);
            }
        }
        Ok(merger)
    })
}

/// Loads one source (standard input from the bytes read at the start).
fn load(ctx: &Ctx, arg: &str, stdin: Option<&[u8]>) -> anyhow::Result<Session> {
    match (arg, stdin) {
        ("-", Some(bytes)) => Ok(format::decode(
            bytes,
            &ctx.store.limits.read(),
            "standard input",
        )?),
        _ => ctx.load(arg),
    }
}

/// Standard input, whole, within the session size limit.
fn read_stdin(ctx: &Ctx) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .take(ctx.store.limits.max_session_size.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| crate::session::SessionError::io("read", "standard input", e))?;
    Ok(buf)
}

/// The items a stored session's header counts, when it has one (no body is read).
fn header_items(ctx: &Ctx, arg: &str) -> Option<u64> {
    let path = match SessionRef::parse(arg).ok()? {
        SessionRef::Name(n) => ctx.store.path_for(&n),
        SessionRef::Path(p) => p,
        SessionRef::Stdin => return None,
    };
    let (f, _) = store::open_regular(&path).ok()?;
    let mut prefix = Vec::with_capacity(4096);
    f.take(format::HEADER_READ_BYTES as u64)
        .read_to_end(&mut prefix)
        .ok()?;
    let st = format::read_header(&prefix)?.stats;
    Some(st.metrics_count + st.spans_count + st.logs_count + st.attributes_count)
}

/// `--signals`: `None` when not given.
fn parse_signals(list: &[String]) -> anyhow::Result<Option<BTreeSet<Signal>>> {
    if list.is_empty() {
        return Ok(None);
    }
    let mut out = BTreeSet::new();
    for s in list.iter().filter(|s| !s.trim().is_empty()) {
        out.insert(
            s.parse::<Signal>()
                .map_err(|e| anyhow::anyhow!("--signals: {e}"))?,
        );
    }
    if out.is_empty() {
        anyhow::bail!("--signals: give at least one of metrics, traces, logs");
    }
    Ok(Some(out))
}

/// `--services`: `None` when not given.
fn parse_services(list: &[String]) -> anyhow::Result<Option<BTreeSet<String>>> {
    let out: BTreeSet<String> = list
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if out.is_empty() && !list.is_empty() {
        anyhow::bail!("--services: give at least one service name");
    }
    Ok((!out.is_empty()).then_some(out))
}
