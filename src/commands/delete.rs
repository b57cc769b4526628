//! `otelsnap delete`.

use super::Ctx;
use crate::cli::DeleteArgs;
use crate::session::SessionName;

/// Runs `delete`: every name is validated and checked first; nothing is deleted if one is missing.
pub fn run(ctx: &Ctx, args: &DeleteArgs) -> anyhow::Result<u8> {
    let names = args
        .names
        .iter()
        .map(|n| SessionName::parse(n))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = ctx.store.delete(&names)?;
    for p in &deleted {
        ctx.note(format!("deleted {}", p.display()));
    }
    Ok(0)
}
