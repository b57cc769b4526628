//! `otelsnap delete`.

use super::Ctx;
use crate::cli::DeleteArgs;
use crate::session::SessionName;

/// Runs `delete`: every name is validated and checked first; nothing is deleted if one is missing.
pub fn run(ctx: &Ctx, args: &DeleteArgs) -> anyhow::Result<u8> {
    for n in &args.names {
        // A path is not a name: suggesting a name made from it would point at another session.
        if let Ok(crate::session::SessionRef::Path(p)) = crate::session::SessionRef::parse(n) {
            anyhow::bail!(
                "delete removes stored sessions by name, and '{}' is a path: remove the file yourself, or give a name from `otelsnap list`",
                p.display()
            );
        }
    }
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
