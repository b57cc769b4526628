//! `otelsnap recover`: saves a killed capture's last checkpoint as its session.

use super::Ctx;
use crate::cli::RecoverArgs;
use crate::session::{SessionError, SessionName, store};

/// Runs `recover`: reads `NAME`'s checkpoint, saves it as the session `NAME`, removes it.
pub fn run(ctx: &Ctx, args: &RecoverArgs) -> anyhow::Result<u8> {
    let name = SessionName::parse(&args.name)?;
    ctx.store.check_target(&name, args.force)?;
    let path = ctx.store.checkpoint_path(&name);
    let mut session = match store::read_file(&path, &ctx.store.limits.read()) {
        Ok(s) => s,
        Err(SessionError::FileNotFound { .. }) => anyhow::bail!(
            "no checkpoint of a capture named '{name}' in {}: checkpoints are written by `capture --checkpoint` and removed when the capture saves",
            ctx.store.dir.display()
        ),
        Err(e) => return Err(e.into()),
    };
    session.id = name.to_string();
    session.canonicalize();
    let saved = ctx.store.save(&session, args.force)?;
    std::fs::remove_file(&path).map_err(|e| {
        anyhow::anyhow!(
            "saved '{name}', but cannot remove the checkpoint {}: {e}",
            path.display()
        )
    })?;
    let requests = session.capture.as_ref().map_or(0, |c| c.requests);
    ctx.note(format!(
        "recovered '{name}' from its checkpoint: {requests} requests, {} metrics, {} spans, {} log severities ({})",
        session.stats.metrics_count,
        session.stats.spans_count,
        session.stats.logs_count,
        crate::render::human::human_bytes(saved.bytes)
    ));
    crate::error::print(format!("{name}\n").as_bytes())?;
    Ok(0)
}
