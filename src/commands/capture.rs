//! `otelsnap capture`.

use super::Ctx;
use crate::cli::CaptureArgs;

/// Runs `capture`.
pub fn run(_ctx: &Ctx, _args: &CaptureArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`otelsnap capture` is not implemented yet")
}
