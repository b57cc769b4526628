//! The committed completions and man pages match what the CLI definition generates.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::path::Path;

#[test]
fn completions_and_man_pages_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = otelsnap::commands::completions::generated_files();
    let mut stale = Vec::new();
    for (rel, want) in &files {
        match std::fs::read(root.join(rel)) {
            Ok(have) if &have == want => {}
            Ok(_) => stale.push(format!("{rel} (differs)")),
            Err(_) => stale.push(format!("{rel} (missing)")),
        }
    }
    assert!(
        stale.is_empty(),
        "generated docs are stale: {}; run `cargo run --example gen_docs` and commit the result",
        stale.join(", ")
    );
    // One man page per subcommand plus the main one, and three shells.
    let man = files.iter().filter(|(r, _)| r.starts_with("man/")).count();
    let subcommands = {
        use clap::CommandFactory;
        otelsnap::cli::Cli::command().get_subcommands().count()
    };
    assert_eq!(subcommands, 11, "a new subcommand: update this count");
    assert_eq!(man, 1 + subcommands);
    for (rel, page) in files.iter().filter(|(r, _)| r.starts_with("man/")) {
        let page = String::from_utf8_lossy(page);
        for section in [".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH FILES"] {
            assert!(page.contains(section), "{rel} lacks {section}");
        }
    }
    let show = files
        .iter()
        .find(|(r, _)| r == "man/otelsnap-show.1")
        .map(|(_, b)| String::from_utf8_lossy(b).to_string())
        .unwrap_or_default();
    assert!(
        show.contains("\\-\\-metric"),
        "show's man page documents --metric"
    );
}

#[test]
fn completions_command_prints_the_committed_script() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = assert_cmd::Command::cargo_bin("otelsnap")
        .unwrap()
        .args(["completions", "fish"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let committed = std::fs::read(root.join("completions/otelsnap.fish")).unwrap();
    assert_eq!(out.stdout, committed);
}
