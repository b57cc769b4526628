//! `otelsnap import`.

use std::path::Path;

use super::Ctx;
use crate::cli::ImportArgs;
use crate::session::{SessionError, SessionName, SessionRef, format, name, store};

/// Runs `import`: reads JSON or gzip (sniffed by content), validates every part including each
/// sketch, and only then saves it under `--name` or the file's id. The producer is kept as the
/// file has it (OCC writes none), so `show` can tell where a session came from.
pub fn run(ctx: &Ctx, args: &ImportArgs) -> anyhow::Result<u8> {
    // With --name the target is known up front: refuse before reading a large file.
    let given = args.name.as_deref().map(SessionName::parse).transpose()?;
    if let Some(n) = &given {
        ctx.store.check_target(n, args.force)?;
    }
    let (mut session, origin) = if args.file == "-" {
        (
            SessionRef::Stdin.load(&ctx.store)?,
            "standard input".to_string(),
        )
    } else {
        let p = Path::new(&args.file);
        (
            store::read_file(p, &ctx.store.limits.read())?,
            p.display().to_string(),
        )
    };
    format::validate_deep(&session, &origin)?;
    let name = match given {
        Some(n) => n,
        None => SessionName::parse(&session.id).map_err(|_| {
            let hint = name::suggest(&session.id)
                .map(|s| format!(" (e.g. --name {s})"))
                .unwrap_or_default();
            anyhow::anyhow!(
                "{origin} has id '{}', which is not a valid session name ({}): pass --name NAME to choose one{hint}",
                session.id,
                name::NAME_RULE
            )
        })?,
    };
    session.id = name.to_string();
    session.canonicalize();
    let saved = ctx.store.save(&session, args.force).map_err(|e| match e {
        SessionError::AlreadyExists { .. } if args.name.is_none() => {
            let e = crate::error::with_remedy(&e);
            anyhow::anyhow!("{e} (or pass --name NAME to import under another name)")
        }
        other => other.into(),
    })?;
    ctx.note(format!(
        "imported '{}' from {origin}: {} metrics, {} spans, {} log severities, {} attributes ({})",
        session.id,
        session.stats.metrics_count,
        session.stats.spans_count,
        session.stats.logs_count,
        session.stats.attributes_count,
        crate::render::human::human_bytes(saved.bytes)
    ));
    for n in &session.notes {
        ctx.note(format!("note: {n}"));
    }
    if let Some(w) = saved.low_disk_warning {
        ctx.note(w);
    }
    Ok(0)
}
