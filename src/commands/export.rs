//! `otelsnap export`.

use super::Ctx;
use crate::cli::ExportArgs;

/// Runs `export`.
pub fn run(_ctx: &Ctx, _args: &ExportArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`otelsnap export` is not implemented yet")
}
