//! `otelsnap delete`.

use super::Ctx;
use crate::cli::DeleteArgs;

/// Runs `delete`.
pub fn run(_ctx: &Ctx, _args: &DeleteArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`otelsnap delete` is not implemented yet")
}
