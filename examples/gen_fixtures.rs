//! Writes `fixtures/` from the generator in `otelsnap_testkit::fixtures` (the story the files
//! tell is documented there). Run from anywhere: `cargo run --example gen_fixtures`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

fn main() -> std::process::ExitCode {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    match otelsnap_testkit::fixtures::write_all(&dir) {
        Ok(paths) => {
            for p in paths {
                let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                eprintln!("wrote {} ({size} bytes)", p.display());
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write fixtures into {}: {e}", dir.display());
            std::process::ExitCode::from(2)
        }
    }
}
