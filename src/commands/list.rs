//! `otelsnap list`.

use super::Ctx;
use crate::cli::ListArgs;

/// Runs `list`.
pub fn run(_ctx: &Ctx, _args: &ListArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`otelsnap list` is not implemented yet")
}
