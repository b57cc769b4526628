//! `otelsnap completions`.

use clap::CommandFactory;

use super::Ctx;
use crate::cli::{Cli, CompletionsArgs};

/// Runs `completions`: the script for one shell on stdout.
pub fn run(_ctx: &Ctx, args: &CompletionsArgs) -> anyhow::Result<u8> {
    crate::render::list::print(&script(args.shell))?;
    Ok(0)
}

/// The completion script for `shell`, as `completions` prints it and `completions/` holds it.
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "otelsnap", &mut out);
    out
}
