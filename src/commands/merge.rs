//! `otelsnap merge`.

use std::collections::BTreeSet;
use std::io::IsTerminal;

use super::Ctx;
use crate::cli::MergeArgs;
use crate::merge::{self, MergeOptions};
use crate::render::human;
use crate::session::{Session, SessionName, Signal};

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

    let mut sources: Vec<Session> = Vec::with_capacity(args.sources.len());
    for arg in &args.sources {
        // Store errors already name the session or file and say what to do.
        let s = ctx.load(arg)?;
        if s.baseline {
            anyhow::bail!(
                "{arg} is a diff-only baseline (written by `export --baseline`, without the sketches a merge unions): merge the full sessions it came from, then export the result with --baseline"
            );
        }
        sources.push(s);
    }

    let mut opts = MergeOptions::new(name.as_str());
    opts.description = args.description.clone();
    opts.signals = signals;
    opts.services = services;

    let total = merge::item_count(&sources);
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
    let result = merge::merge_with_progress(&sources, &opts, &mut |n| {
        if let Some(b) = &bar {
            b.inc(n);
        }
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let outcome = result?;
    drop(sources);

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
    Ok(0)
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
