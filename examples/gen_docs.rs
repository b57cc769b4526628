//! Writes the shell completions (`completions/`) and man pages (`man/`) from the CLI
//! definition. Run from the repository root: `cargo run --example gen_docs`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::path::Path;

fn main() -> std::process::ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (rel, bytes) in otelsnap::commands::completions::generated_files() {
        let path = root.join(&rel);
        if let Some(dir) = path.parent()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            eprintln!("error: cannot create {}: {e}", dir.display());
            return std::process::ExitCode::from(2);
        }
        if let Err(e) = std::fs::write(&path, &bytes) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return std::process::ExitCode::from(2);
        }
        eprintln!("wrote {rel}");
    }
    std::process::ExitCode::SUCCESS
}
