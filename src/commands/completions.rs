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
    out.extend(common_sections());
    out
}

/// EXIT STATUS, ENVIRONMENT and FILES, the same on every page.
fn common_sections() -> Vec<u8> {
    use clap_mangen::roff::{Roff, bold, roman};
    let mut r = Roff::new();
    let item = |r: &mut Roff, name: &str, text: &str| {
        r.control("TP", []).text([bold(name)]).text([roman(text)]);
    };
    r.control("SH", ["EXIT STATUS"]);
    item(
        &mut r,
        "0",
        "Success (diff: no change at or above the exit threshold).",
    );
    item(
        &mut r,
        "1",
        "diff only: changes at or above the threshold (--fail-on, default --min-severity) were found.",
    );
    item(
        &mut r,
        "2",
        "Any error: bad usage, not found, corrupt or foreign file, I/O, bad input. One line on standard error says what is wrong and what to do.",
    );
    item(
        &mut r,
        "CMD's status",
        "capture NAME -- CMD: when CMD fails, otelsnap exits with its status (128+N when killed by signal N); the session is still saved.",
    );
    r.control("SH", ["ENVIRONMENT"]);
    for (name, text) in [
        ("OTELSNAP_DIR", "Session directory (--dir)."),
        (
            "OTELSNAP_MAX_SESSION_SIZE",
            "Largest session file read or written (--max-session-size; 10MB, 100MiB).",
        ),
        (
            "OTELSNAP_MAX_SESSIONS",
            "Most sessions the directory may hold (--max-sessions); otelsnap prune removes old ones.",
        ),
        (
            "OTELSNAP_MAX_DECOMPRESSED",
            "Largest decompressed session accepted (--max-decompressed).",
        ),
        ("OTELSNAP_RULES", "diff: the rules file (--rules)."),
        (
            "XDG_DATA_HOME",
            "The default session directory is $XDG_DATA_HOME/otelsnap/sessions.",
        ),
        ("NO_COLOR", "Any value: no colors unless --color always."),
        (
            "COLUMNS",
            "Width that tables are fitted to (at least 80); else the terminal's width.",
        ),
        (
            "GITHUB_OUTPUT",
            "diff --format github appends critical=N, warning=N, info=N to this file.",
        ),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL",
            "Set for CMD by capture NAME -- CMD, pointing at the receivers; OTEL_METRIC_EXPORT_INTERVAL, OTEL_BSP_SCHEDULE_DELAY and OTEL_BLRP_SCHEDULE_DELAY are shortened unless already set.",
        ),
    ] {
        item(&mut r, name, text);
    }
    r.control("SH", ["FILES"]);
    item(
        &mut r,
        "$XDG_DATA_HOME/otelsnap/sessions/NAME.json.gz",
        "A stored session (default ~/.local/share/otelsnap/sessions), written atomically, never replaced without --force.",
    );
    item(
        &mut r,
        ".otelsnap.toml",
        "diff: the rules file found in the working directory or a parent; reference in docs/diff-json.md.",
    );
    item(
        &mut r,
        "NAME.rescue-TIME-PID.json.gz",
        "Written beside the store (or in the temporary directory) when a capture cannot be saved; otelsnap import reads it.",
    );
    let preamble = Roff::new().render();
    let text = r.render();
    text.strip_prefix(&preamble)
        .unwrap_or(&text)
        .as_bytes()
        .to_vec()
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
