//! Whether to color a stream: the user's choice, `NO_COLOR`, and whether it is a terminal.

use std::io::IsTerminal;

/// When to color: the renderers' own type, so they need nothing from the command line
/// (`cli::ColorChoice` converts into it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Only on a terminal, and only without `NO_COLOR`.
    Auto,
    /// Always, whatever `NO_COLOR` says.
    Always,
    /// Never.
    Never,
}

/// Decides coloring for one stream. `always` beats `NO_COLOR`; `auto` needs a terminal and no `NO_COLOR`.
pub fn enabled(when: When, is_terminal: bool) -> bool {
    match when {
        When::Always => true,
        When::Never => false,
        When::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// Coloring for stdout.
pub fn stdout_enabled(when: When) -> bool {
    enabled(when, std::io::stdout().is_terminal())
}

/// Coloring for stderr.
pub fn stderr_enabled(when: When) -> bool {
    enabled(when, std::io::stderr().is_terminal())
}
