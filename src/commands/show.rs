//! `otelsnap show`.

use super::Ctx;
use crate::cli::ShowArgs;

/// Runs `show`.
pub fn run(_ctx: &Ctx, _args: &ShowArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`otelsnap show` is not implemented yet")
}
