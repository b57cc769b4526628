//! Shared by the CLI test files: the binary, isolated from the user's environment.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::path::Path;

use assert_cmd::Command;

/// The binary with a private session directory and none of the user's otelsnap settings.
pub fn cmd(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("otelsnap").unwrap();
    c.arg("--dir").arg(dir);
    for var in [
        "OTELSNAP_DIR",
        "OTELSNAP_MAX_SESSION_SIZE",
        "OTELSNAP_MAX_SESSIONS",
        "OTELSNAP_MAX_DECOMPRESSED",
        "OTELSNAP_RULES",
        "OTELSNAP_WORKERS",
        "NO_COLOR",
        "COLUMNS",
    ] {
        c.env_remove(var);
    }
    c
}
