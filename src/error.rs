//! Where a command's outcome meets the process: exit codes, the one-line error report, the
//! panic hook, and standard output. Every command writes its data through [`print()`], so a
//! reader that went away (`| head`) is handled here and nowhere else, and no write to stdout
//! can panic (`print!`/`println!` are denied in this crate).

use std::io::Write as _;
use std::process::ExitCode;

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code of `diff` when changes at or above the threshold were found.
pub const EXIT_CHANGES: u8 = 1;
/// Exit code for any error.
pub const EXIT_ERROR: u8 = 2;

/// What to do about a library error, in this command line's terms (flags, commands, their
/// environment variables): the core library says what is wrong and knows no flags.
pub fn remedy(err: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    use otelsnap_core::diff::RulesError as R;
    use otelsnap_core::otlp::file::FileError as F;
    use otelsnap_core::session::SessionError as E;
    if let Some(e) = err.downcast_ref::<R>() {
        return Some(match e {
            R::Read { .. } => "; check the path given to --rules or OTELSNAP_RULES",
            R::Syntax { .. } => "; fix or remove it, or pass --rules FILE",
            R::Invalid { .. } => return None,
        });
    }
    if let Some(e) = err.downcast_ref::<F>() {
        return Some(match e {
            F::Ambiguous { .. } => "; pass --from-file-signal metrics|traces|logs",
            F::TooLarge { .. } => "; raise --max-body or split the file",
            _ => return None,
        });
    }
    Some(match err.downcast_ref::<E>()? {
        E::WouldReplaceSpecial { .. } => " (even with --force); choose the path of a regular file",
        E::NotFound { .. } => {
            ": run `otelsnap list` to see saved sessions, or pass a path to a session file"
        }
        E::AlreadyExists { .. } => ": pass --force to replace it, or choose another name",
        E::FileExists { .. } => ": pass --force to replace it",
        E::TooLarge { .. } => ": raise it with --max-session-size or OTELSNAP_MAX_SESSION_SIZE",
        E::Bomb { .. } => ": raise --max-decompressed or OTELSNAP_MAX_DECOMPRESSED if you trust it",
        E::TooMany { .. } => {
            ": remove old ones with `otelsnap prune --keep N` (or `otelsnap delete NAME`), or raise --max-sessions / OTELSNAP_MAX_SESSIONS"
        }
        _ => return None,
    })
}

/// An error and its remedy, as one line. The session limit is named by its flag here, where
/// flags are known.
pub fn with_remedy(err: &(dyn std::error::Error + 'static)) -> String {
    let text = match err.downcast_ref::<otelsnap_core::session::SessionError>() {
        Some(otelsnap_core::session::SessionError::TooMany { dir, count, limit }) => format!(
            "{} holds {count} sessions, at the --max-sessions limit of {limit}",
            dir.display()
        ),
        _ => err.to_string(),
    };
    format!("{text}{}", remedy(err).unwrap_or_default())
}

/// Prints an error as one line (plus `caused by` lines when the cause adds something) on
/// stderr, each with its remedy when the library's error has one here.
pub fn report(err: &anyhow::Error) {
    // Errors quote names, paths and bad input: escaped for the terminal.
    use crate::render::escape::term_lines;
    let top = with_remedy(err.as_ref());
    eprintln!("error: {}", term_lines(&top));
    let mut seen = top;
    for cause in err.chain().skip(1) {
        let c = with_remedy(cause);
        if !seen.contains(&c) {
            eprintln!("  caused by: {}", term_lines(&c));
        }
        seen.push_str(&c);
    }
}

/// Writes a command's data to stdout. A reader that closed the pipe (`otelsnap diff … | head`)
/// is the reader's choice, not an error: the rest is dropped and the command's own exit code
/// stands. Any other write error is reported (exit 2).
pub fn print(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to standard output")),
    }
}

/// Turns a command's result into the process exit code.
pub fn exit_code(result: anyhow::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            report(&e);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Replaces Rust's panic message and backtrace with one line and exit code 2.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let loc = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error: {msg}{loc}; please report this as a bug");
        std::process::exit(i32::from(EXIT_ERROR));
    }));
}
