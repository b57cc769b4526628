//! `otelsnap diff`.

use super::Ctx;
use crate::cli::DiffArgs;

/// Runs `diff`.
pub fn run(_ctx: &Ctx, _args: &DiffArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`otelsnap diff` is not implemented yet")
}
