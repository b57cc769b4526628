//! `otelsnap completions`, and the completion of arguments by the binary itself.
//!
//! The scripts are clap_complete's dynamic ones: a few lines that register a function which
//! calls `OTELSNAP_COMPLETE=SHELL otelsnap -- WORDS...` on every TAB, so clap (which knows every
//! subcommand, flag and value) completes the line, and session arguments complete from the
//! store the line names (`--dir`, else `$OTELSNAP_DIR`, else the default directory).

use std::ffi::{OsStr, OsString};
use std::io::Read as _;
use std::path::{Path, PathBuf};

use clap::CommandFactory as _;
use clap_complete::engine::{CompletionCandidate, PathCompleter, ValueCompleter as _};
use clap_complete::env::EnvCompleter;

use super::Ctx;
use crate::cli::CompletionsArgs;
use crate::session::SessionName;

/// Runs `completions`: the script for one shell on stdout.
pub fn run(_ctx: &Ctx, args: &CompletionsArgs) -> anyhow::Result<u8> {
    crate::error::print(&script(args.shell)?)?;
    Ok(0)
}

/// The environment variable that turns a run of the binary into a completion request. Ours
/// rather than clap's generic `COMPLETE`: any other value than a shell's name makes the run a
/// failed completion, so a `COMPLETE` set for something else must not break otelsnap.
pub const COMPLETE_VAR: &str = "OTELSNAP_COMPLETE";

/// The completion script for `shell`, as `completions` prints it and `completions/` holds it.
/// It calls `otelsnap` from `PATH`, so it names no build directory.
pub fn script(shell: clap_complete::Shell) -> anyhow::Result<Vec<u8>> {
    use clap_complete::{Shell, env};
    let adapter: &dyn EnvCompleter = match shell {
        Shell::Bash => &env::Bash,
        Shell::Zsh => &env::Zsh,
        Shell::Fish => &env::Fish,
        Shell::Elvish => &env::Elvish,
        Shell::PowerShell => &env::Powershell,
        other => {
            anyhow::bail!("no completions for {other}: use bash, zsh, fish, elvish or powershell")
        }
    };
    let mut out = Vec::new();
    adapter.write_registration(COMPLETE_VAR, "otelsnap", "otelsnap", "otelsnap", &mut out)?;
    Ok(out)
}

/// Answers a completion request (`OTELSNAP_COMPLETE=SHELL otelsnap -- WORDS...`) and exits; returns
/// when the process was not started for one. Called first thing in `main`.
pub fn complete_if_asked() {
    clap_complete::CompleteEnv::with_factory(crate::cli::Cli::command)
        .var(COMPLETE_VAR)
        .bin("otelsnap")
        .complete();
}

/// Completes a SESSION argument: stored names (newest first, with their creation time and
/// counts as help where the shell shows it), then, once something is typed, session files
/// (`*.json`, `*.gz`) of the working directory; paths alone once the word looks like one
/// (`./`, `/`, `~`); directories when nothing else matches.
pub fn session_candidates(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(cur) = current.to_str() else {
        return Vec::new();
    };
    if looks_like_path(cur) {
        return session_files(current, true);
    }
    let mut out = stored(&store_dir(), cur);
    if cur.is_empty() && !out.is_empty() {
        // Before anything is typed, the store's names: a working directory full of unrelated
        // JSON files (package.json) would bury them. A prefix or `./` reaches files.
        return out;
    }
    let files = session_files(current, false);
    if out.is_empty() && files.is_empty() {
        // Nothing by that name: offer directories, so `fix<TAB>` reaches `fixtures/`.
        return session_files(current, true);
    }
    out.extend(files);
    out
}

/// Completes an argument that takes only a stored session's name (`delete`).
pub fn name_candidates(current: &OsStr) -> Vec<CompletionCandidate> {
    current
        .to_str()
        .map(|cur| stored(&store_dir(), cur))
        .unwrap_or_default()
}

/// Completes `recover NAME`: the names that have a checkpoint.
pub fn checkpoint_candidates(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(cur) = current.to_str() else {
        return Vec::new();
    };
    let mut names: Vec<String> = read_names(&store_dir())
        .into_iter()
        .filter_map(|f| {
            f.strip_prefix('.')?
                .strip_suffix(".checkpoint.json.gz")
                .map(str::to_string)
        })
        .filter(|n| n.starts_with(cur) && SessionName::parse(n).is_ok())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            CompletionCandidate::new(n).help(Some("checkpoint of an interrupted capture".into()))
        })
        .collect()
}

fn looks_like_path(cur: &str) -> bool {
    cur.contains('/') || cur.starts_with('.') || cur.starts_with('~')
}

/// Session files and, with `dirs`, directories to descend into, matching the word.
fn session_files(current: &OsStr, dirs: bool) -> Vec<CompletionCandidate> {
    let session_like = |p: &Path| {
        p.is_file()
            && p.to_str()
                .is_some_and(|s| s.ends_with(".json") || s.ends_with(".gz"))
    };
    PathCompleter::any()
        .filter(session_like)
        .complete(current)
        .into_iter()
        .filter(|c| dirs || !c.get_value().to_string_lossy().ends_with('/'))
        .collect()
}

/// File names in the store directory; a missing or unreadable one has none.
fn read_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .collect()
}

/// Most headers read for help text; a larger store completes its names without them.
const MAX_HEADERS: usize = 200;

/// Stored sessions whose name starts with `prefix`, newest first. Only valid names are offered
/// (kebab-case: nothing a shell could misread), and only from regular files' gzip headers, so
/// a broken store completes less rather than printing anything odd.
fn stored(dir: &Path, prefix: &str) -> Vec<CompletionCandidate> {
    let mut rows: Vec<(Option<crate::session::format::Header>, String)> = read_names(dir)
        .into_iter()
        .filter_map(|f| {
            f.strip_suffix(crate::session::store::SUFFIX)
                .map(str::to_string)
        })
        .filter(|n| n.starts_with(prefix) && SessionName::parse(n).is_ok())
        .map(|n| (None, n))
        .collect();
    if rows.len() <= MAX_HEADERS {
        for (h, n) in &mut rows {
            *h = header(&dir.join(format!("{n}{}", crate::session::store::SUFFIX)));
        }
    }
    rows.sort_by(|(ha, a), (hb, b)| {
        let ta = ha.as_ref().map(|h| h.created);
        let tb = hb.as_ref().map(|h| h.created);
        tb.cmp(&ta).then_with(|| a.cmp(b))
    });
    rows.into_iter()
        .map(|(h, n)| CompletionCandidate::new(n).help(h.map(|h| help(&h).into())))
        .collect()
}

/// `2025-03-10 10:01 UTC, 12 metrics, 3 spans`: no telemetry text, only numbers and a time.
fn help(h: &crate::session::format::Header) -> String {
    let mut parts = vec![format!("{} UTC", h.created.format("%Y-%m-%d %H:%M"))];
    let s = &h.stats;
    for (n, one, many) in [
        (s.metrics_count, "metric", "metrics"),
        (s.spans_count, "span name", "span names"),
        (s.logs_count, "log severity", "log severities"),
    ] {
        if n > 0 {
            parts.push(format!(
                "{} {}",
                crate::render::human::count(n),
                if n == 1 { one } else { many }
            ));
        }
    }
    parts.join(", ")
}

/// The gzip header of a stored session, without inflating anything.
fn header(path: &Path) -> Option<crate::session::format::Header> {
    let (f, _) = crate::session::store::open_regular(path).ok()?;
    let mut prefix = Vec::new();
    f.take(crate::session::format::HEADER_READ_BYTES as u64)
        .read_to_end(&mut prefix)
        .ok()?;
    crate::session::format::read_header(&prefix)
}

/// The store the command line being completed would use.
fn store_dir() -> PathBuf {
    let args: Vec<OsString> = std::env::args_os().collect();
    let env = std::env::var_os("OTELSNAP_DIR");
    let home = std::env::var_os("HOME");
    store_dir_of(&args, env.as_deref(), home.as_deref())
        .unwrap_or_else(crate::session::store::default_dir)
}

/// From a completion request's arguments (`otelsnap -- otelsnap [WORDS...]`): the last `--dir`
/// among the words (before a `--` of their own), else `$OTELSNAP_DIR`; `~/` expanded, as the
/// shell has not expanded the words yet.
fn store_dir_of(args: &[OsString], env: Option<&OsStr>, home: Option<&OsStr>) -> Option<PathBuf> {
    let words = args
        .iter()
        .position(|a| a == "--")
        .map_or(&[][..], |i| &args[i + 1..]);
    let mut dir: Option<OsString> = None;
    let mut it = words.iter().skip(1);
    while let Some(w) = it.next() {
        if w == "--" {
            break;
        }
        if w == "--dir" {
            dir = it.next().cloned();
        } else if let Some(v) = w.to_str().and_then(|s| s.strip_prefix("--dir=")) {
            dir = Some(v.into());
        }
    }
    let dir = dir
        .filter(|d| !d.is_empty())
        .or_else(|| env.filter(|e| !e.is_empty()).map(OsStr::to_os_string))?;
    let expanded = match (dir.to_str().and_then(|d| d.strip_prefix("~/")), home) {
        (Some(rest), Some(h)) => Path::new(h).join(rest),
        _ => PathBuf::from(dir),
    };
    Some(expanded)
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
        // The three shells are supported, so the script exists.
        files.push((
            format!("completions/otelsnap.{ext}"),
            script(shell).unwrap_or_default(),
        ));
    }
    // Environment values would leak the generating shell's settings into committed files.
    let mut cmd = hide_env_values(crate::cli::Cli::command());
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
            "OTELSNAP_COMPLETE",
            "Set only by the completion scripts (otelsnap completions SHELL): the run completes the words after -- instead of running a command.",
        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<OsString> {
        ["otelsnap", "--", "otelsnap"]
            .iter()
            .chain(words)
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn store_dir_follows_the_line_then_the_environment() {
        let env = Some(OsStr::new("/from/env"));
        let home = Some(OsStr::new("/home/u"));
        let dir = |w: &[&str], env| store_dir_of(&args(w), env, home);
        assert_eq!(dir(&["show", ""], env), Some("/from/env".into()));
        assert_eq!(dir(&["show", ""], None), None);
        assert_eq!(dir(&["--dir", "/a", "show", ""], env), Some("/a".into()));
        assert_eq!(dir(&["show", "--dir=/b", ""], env), Some("/b".into()));
        // The last one counts, as clap takes it.
        assert_eq!(
            dir(&["--dir", "/a", "show", "--dir", "/c", ""], None),
            Some("/c".into())
        );
        assert_eq!(
            dir(&["--dir", "~/s", "show", ""], None),
            Some("/home/u/s".into())
        );
        // CMD's own arguments after `capture NAME --` are not ours.
        assert_eq!(
            dir(&["capture", "x", "--", "tool", "--dir", "/no", ""], env),
            Some("/from/env".into())
        );
        // An empty value names no directory: the default one.
        assert_eq!(dir(&["--dir=", "show", ""], Some(OsStr::new(""))), None);
    }

    #[test]
    fn scripts_exist_for_every_shell_clap_knows() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::Elvish,
            clap_complete::Shell::PowerShell,
        ] {
            let s = String::from_utf8(script(shell).unwrap()).unwrap();
            assert!(s.contains("otelsnap"), "{shell}: {s}");
        }
    }
}
