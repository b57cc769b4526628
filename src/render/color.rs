//! Whether to color a stream: `--color`, `NO_COLOR`, and whether it is a terminal.

use std::io::IsTerminal;

use crate::cli::ColorChoice;

/// Decides coloring for one stream. `always` beats `NO_COLOR`; `auto` needs a terminal and no `NO_COLOR`.
pub fn enabled(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Coloring for stdout.
pub fn stdout_enabled(choice: ColorChoice) -> bool {
    enabled(choice, std::io::stdout().is_terminal())
}

/// Coloring for stderr.
pub fn stderr_enabled(choice: ColorChoice) -> bool {
    enabled(choice, std::io::stderr().is_terminal())
}
