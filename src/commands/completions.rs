//! `otelsnap completions`.

use clap::CommandFactory;

use super::Ctx;
use crate::cli::{Cli, CompletionsArgs};

/// Runs `completions`: the script for one shell on stdout.
pub fn run(_ctx: &Ctx, args: &CompletionsArgs) -> anyhow::Result<u8> {
    crate::error::print(&script(args.shell))?;
    Ok(0)
}

/// The completion script for `shell`, as `completions` prints it and `completions/` holds it.
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "otelsnap", &mut out);
    out
}

/// Every generated documentation file, relative to the repository root: completion scripts in
/// `completions/` and man pages in `man/`. `examples/gen_docs.rs` writes them and
/// `tests/docs_fresh.rs` fails when the committed copies are stale.
pub fn generated_files() -> Vec<(String, Vec<u8>)> {
    use clap_complete::Shell;
    let mut files = Vec::new();
    for (shell, ext) in [
        (Shell::Bash, "bash"),
        (Shell::Zsh, "zsh"),
        (Shell::Fish, "fish"),
    ] {
        files.push((format!("completions/otelsnap.{ext}"), script(shell)));
    }
    // Environment values would leak the generating shell's settings into committed files.
    let mut cmd = hide_env_values(Cli::command());
    cmd.build();
    files.push(("man/otelsnap.1".to_string(), man_page(cmd.clone())));
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("otelsnap-{}", sub.get_name());
        // After `build`, clap names a subcommand `otelsnap-<cmd>` for display, as man pages want.
        let page = man_page(sub.clone());
        files.push((format!("man/{name}.1"), page));
    }
    files
}

fn man_page(cmd: clap::Command) -> Vec<u8> {
    let mut out = Vec::new();
    // Rendering into a Vec cannot fail.
    let _ = clap_mangen::Man::new(cmd).render(&mut out);
    out
}

fn hide_env_values(cmd: clap::Command) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    let mut cmd = cmd.mut_args(|a| a.hide_env_values(true));
    for n in names {
        cmd = cmd.mut_subcommand(n, hide_env_values);
    }
    cmd
}
