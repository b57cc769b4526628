//! `otelsnap completions`.

use super::Ctx;
use crate::cli::CompletionsArgs;

/// Runs `completions`.
pub fn run(_ctx: &Ctx, _args: &CompletionsArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`otelsnap completions` is not implemented yet")
}
