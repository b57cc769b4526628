//! `otelsnap merge`.

use super::Ctx;
use crate::cli::MergeArgs;

/// Runs `merge`.
pub fn run(_ctx: &Ctx, _args: &MergeArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`otelsnap merge` is not implemented yet")
}
