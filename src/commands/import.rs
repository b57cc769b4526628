//! `otelsnap import`.

use super::Ctx;
use crate::cli::ImportArgs;

/// Runs `import`.
pub fn run(_ctx: &Ctx, _args: &ImportArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`otelsnap import` is not implemented yet")
}
