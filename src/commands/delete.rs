//! `otelsnap delete`.

use super::Ctx;
use crate::cli::DeleteArgs;
use crate::session::{SessionError, SessionName};

/// Runs `delete`: every name is validated and checked first; nothing is deleted if one is missing.
pub fn run(ctx: &Ctx, args: &DeleteArgs) -> anyhow::Result<u8> {
    let names = args
        .names
        .iter()
        .map(|n| SessionName::parse(n))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = ctx.store.delete(&names).map_err(|e| match e {
        // The store's message offers "a path to a session file", which delete does not take.
        SessionError::NotFound { name, dir } => anyhow::anyhow!(
            "no session named '{name}' in {}: nothing was deleted; run `otelsnap list` to see saved sessions (delete takes names only)",
            dir.display()
        ),
        other => other.into(),
    })?;
    for p in &deleted {
        ctx.note(format!("deleted {}", p.display()));
    }
    Ok(0)
}
