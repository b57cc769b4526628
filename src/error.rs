//! Error reporting and exit codes.

use std::process::ExitCode;

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code of `diff` when changes at or above the threshold were found.
pub const EXIT_CHANGES: u8 = 1;
/// Exit code for any error.
pub const EXIT_ERROR: u8 = 2;

/// Prints an error as one line (plus `caused by` lines when the cause adds something) on stderr.
pub fn report(err: &anyhow::Error) {
    // Errors quote names, paths and bad input: escaped for the terminal.
    use crate::render::escape::term_lines;
    let top = err.to_string();
    eprintln!("error: {}", term_lines(&top));
    let mut seen = top;
    for cause in err.chain().skip(1) {
        let c = cause.to_string();
        if !seen.contains(&c) {
            eprintln!("  caused by: {}", term_lines(&c));
        }
        seen.push_str(&c);
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
