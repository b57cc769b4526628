//! Shell completions complete session names from the store: bash, fish and zsh run the committed
//! scripts (fish and zsh where installed: .ci/install-shells.sh, and required under .ci/run),
//! and the binary's side of the zsh and fish protocols is asked directly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Calls the completion function the script registered for `otelsnap`, as bash does on TAB
/// after the last word, and prints what it offers, one a line.
const DRIVER: &str = r#"
source "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
COMP_TYPE=9
spec=$(complete -p otelsnap) || exit 3
fn=${spec##*-F }
fn=${fn%% *}
"$fn" otelsnap "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_otelsnap"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A store with two sessions (the older one imported second), a damaged file with a valid
/// name, files no name maps to, and a checkpoint.
fn store() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (fixture, name) in [
        ("checkout-v2.json.gz", "newer-one"),
        ("checkout-v1.json.gz", "checkout-v1"),
    ] {
        common::cmd(d.path())
            .arg("import")
            .arg(root().join("fixtures").join(fixture))
            .args(["--name", name, "-q"])
            .assert()
            .success();
    }
    std::fs::write(d.path().join("broken.json.gz"), "not a session").unwrap();
    // Not session names: never offered, whatever a shell would make of them.
    std::fs::write(d.path().join("$(touch pwned).json.gz"), "x").unwrap();
    std::fs::write(d.path().join("Bad Name.json.gz"), "x").unwrap();
    std::fs::write(d.path().join("notes.txt"), "x").unwrap();
    std::fs::copy(
        d.path().join("checkout-v1.json.gz"),
        d.path().join(".crashed-run.checkpoint.json.gz"),
    )
    .unwrap();
    d
}

struct Bash {
    cwd: tempfile::TempDir,
}

impl Bash {
    fn new() -> Bash {
        let cwd = tempfile::tempdir().unwrap();
        std::fs::create_dir(cwd.path().join("ci")).unwrap();
        std::fs::copy(
            root().join("fixtures/checkout-v1.json.gz"),
            cwd.path().join("ci/baseline.json.gz"),
        )
        .unwrap();
        std::fs::write(cwd.path().join("checkout-notes.txt"), "x").unwrap();
        std::fs::write(cwd.path().join("current.json"), "{}").unwrap();
        Bash { cwd }
    }

    /// What TAB after the last of `words` offers, with `env` set; asserts bash and the binary
    /// wrote nothing to stderr (a broken store must not spill onto the command line).
    fn complete(&self, env: &[(&str, &str)], words: &[&str]) -> Vec<String> {
        let path = format!(
            "{}:{}",
            bin_dir().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut c = Command::new("bash");
        c.arg("--norc")
            .arg("-c")
            .arg(DRIVER)
            .arg("driver")
            .arg(root().join("completions/otelsnap.bash"))
            .args(words)
            .current_dir(self.cwd.path())
            .env("PATH", path)
            .env("HOME", self.cwd.path())
            .env_remove("OTELSNAP_DIR")
            .env_remove("XDG_DATA_HOME")
            .env_remove("OTELSNAP_COMPLETE")
            // clap's generic variable, set for something else, changes nothing.
            .env("COMPLETE", "yes");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{words:?}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }
}

fn values(v: &[String]) -> Vec<&str> {
    v.iter()
        .map(String::as_str)
        .filter(|c| !c.starts_with('-'))
        .collect()
}

#[test]
fn bash_completes_session_names_newest_first_from_dir() {
    let s = store();
    let dir = s.path().to_str().unwrap();
    let b = Bash::new();
    // Every SESSION argument: newest first (by creation time, not by name), then the damaged
    // file (still a name: `show` says what is wrong with it); flags only after them. Files of
    // the working directory wait for a prefix.
    for words in [
        vec!["otelsnap", "--dir", dir, "show", ""],
        vec!["otelsnap", "--dir", dir, "diff", "newer-one", ""],
        vec!["otelsnap", "--dir", dir, "export", ""],
        vec!["otelsnap", "--dir", dir, "merge", "checkout-v1", ""],
        vec!["otelsnap", "show", "--dir", dir, ""],
        vec!["otelsnap", &format!("--dir={dir}"), "diff", ""],
    ] {
        let got = b.complete(&[], &words);
        assert_eq!(
            values(&got),
            ["newer-one", "checkout-v1", "broken"],
            "{words:?}: {got:?}"
        );
    }
    // A prefix narrows to names and to session files in the working directory, not other files.
    assert_eq!(
        b.complete(&[], &["otelsnap", "--dir", dir, "diff", "che"]),
        ["checkout-v1"]
    );
    assert_eq!(
        b.complete(&[], &["otelsnap", "--dir", dir, "diff", "checkout-v1", "c"]),
        ["checkout-v1", "current.json"]
    );
    // delete takes names only.
    assert_eq!(
        b.complete(&[], &["otelsnap", "--dir", dir, "delete", "n"]),
        ["newer-one"]
    );
    // recover: the names with a checkpoint.
    assert_eq!(
        values(&b.complete(&[], &["otelsnap", "--dir", dir, "recover", ""])),
        ["crashed-run"]
    );
    // Paths complete as paths, session files and directories only.
    assert_eq!(
        b.complete(&[], &["otelsnap", "--dir", dir, "show", "ci/"]),
        ["ci/baseline.json.gz"]
    );
    assert_eq!(
        b.complete(&[], &["otelsnap", "--dir", dir, "show", "cu"]),
        ["current.json"],
        "no name starts with cu: session files only"
    );
    assert_eq!(
        b.complete(&[], &["otelsnap", "--dir", dir, "show", "ci"]),
        ["ci/"],
        "nothing by that name: the directory"
    );
    // Flags and their values still complete.
    assert_eq!(
        b.complete(&[], &["otelsnap", "--dir", dir, "show", "--format", ""]),
        ["table", "json", "html"]
    );
    assert!(
        b.complete(&[], &["otelsnap", "sh"])
            .contains(&"show".to_string()),
        "subcommands"
    );
}

#[test]
fn bash_completion_honours_otelsnap_dir_and_the_default_store() {
    let s = store();
    let dir = s.path().to_str().unwrap();
    let b = Bash::new();
    assert_eq!(
        values(&b.complete(&[("OTELSNAP_DIR", dir)], &["otelsnap", "show", ""])),
        ["newer-one", "checkout-v1", "broken"]
    );
    // --dir wins over the environment.
    let other = tempfile::tempdir().unwrap();
    assert_eq!(
        values(&b.complete(
            &[("OTELSNAP_DIR", dir)],
            &[
                "otelsnap",
                "--dir",
                other.path().to_str().unwrap(),
                "show",
                ""
            ]
        )),
        ["current.json"]
    );
    // Neither: $XDG_DATA_HOME/otelsnap/sessions, as every command.
    let xdg = tempfile::tempdir().unwrap();
    let sessions = xdg.path().join("otelsnap/sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    std::fs::copy(
        s.path().join("checkout-v1.json.gz"),
        sessions.join("from-xdg.json.gz"),
    )
    .unwrap();
    assert_eq!(
        values(&b.complete(
            &[("XDG_DATA_HOME", xdg.path().to_str().unwrap())],
            &["otelsnap", "diff", ""]
        )),
        ["from-xdg"]
    );
    // `~/` in --dir is the home directory (the shell has not expanded it yet).
    let home_store = b.cwd.path().join("store");
    std::fs::create_dir(&home_store).unwrap();
    std::fs::copy(
        s.path().join("checkout-v1.json.gz"),
        home_store.join("at-home.json.gz"),
    )
    .unwrap();
    assert_eq!(
        values(&b.complete(&[], &["otelsnap", "--dir", "~/store", "show", ""])),
        ["at-home"]
    );
}

#[test]
fn broken_stores_complete_nothing_quietly() {
    let b = Bash::new();
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let unreadable = t.path().join("locked");
    std::fs::create_dir(&unreadable).unwrap();
    std::fs::copy(
        root().join("fixtures/checkout-v1.json.gz"),
        unreadable.join("hidden.json.gz"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
    for dir in [
        t.path().join("missing"),
        file,
        unreadable.clone(),
        PathBuf::from("/dev/null"),
    ] {
        // No names, so the working directory's session files instead (and complete() asserts that
        // nothing reached stderr).
        let got = b.complete(
            &[],
            &["otelsnap", "--dir", dir.to_str().unwrap(), "show", ""],
        );
        let vals = values(&got);
        // Root reads a 000 directory anyway; anyone else sees nothing there.
        assert!(
            vals == ["current.json"] || (dir == unreadable && vals == ["hidden"]),
            "{dir:?}: {got:?}"
        );
    }
    std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// What the zsh and fish scripts get from the binary (neither shell is needed to ask).
fn protocol(shell: &str, dir: &Path, words: &[&str]) -> String {
    // An empty working directory: no session files there to offer.
    let cwd = tempfile::tempdir().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_otelsnap"));
    c.current_dir(cwd.path())
        .env("OTELSNAP_COMPLETE", shell)
        .env("OTELSNAP_DIR", dir)
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .args(words);
    let out = c.output().unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn zsh_and_fish_get_names_with_their_time_and_counts() {
    let s = store();
    let fish = protocol("fish", s.path(), &["otelsnap", "show", ""]);
    let mut lines = fish.lines();
    assert_eq!(
        lines.next(),
        Some("newer-one\t2025-03-10 10:01 UTC, 11 metrics, 15 span names, 4 log severities"),
        "{fish}"
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("checkout-v1\t2025-03-03 ")
    );
    assert_eq!(lines.next(), Some("broken"), "no header, no help: {fish}");
    let zsh = protocol("zsh", s.path(), &["otelsnap", "diff", "new"]);
    assert_eq!(
        zsh,
        "newer-one:2025-03-10 10:01 UTC, 11 metrics, 15 span names, 4 log severities"
    );
}

#[test]
fn committed_scripts_register_the_dynamic_completer() {
    let read = |f: &str| std::fs::read_to_string(root().join("completions").join(f)).unwrap();
    let bash = read("otelsnap.bash");
    assert!(
        bash.contains("OTELSNAP_COMPLETE=\"bash\"")
            && bash.contains("\"otelsnap\" -- \"${words[@]}\"")
    );
    assert!(bash.contains(
        "complete -o nospace -o bashdefault -o nosort -F _clap_complete_otelsnap otelsnap"
    ));
    let zsh = read("otelsnap.zsh");
    assert!(zsh.starts_with("#compdef otelsnap"));
    assert!(
        zsh.contains("OTELSNAP_COMPLETE=\"zsh\"")
            && zsh.contains("compdef _clap_dynamic_completer_otelsnap otelsnap")
    );
    let fish = read("otelsnap.fish");
    assert!(fish.contains("complete --keep-order --exclusive --command otelsnap --arguments \"(OTELSNAP_COMPLETE=fish otelsnap -- "));
    // No build directory baked in: the scripts call `otelsnap` from PATH.
    for s in [&bash, &zsh, &fish] {
        assert!(!s.contains("target/"), "{s}");
    }
    // Each script at least parses in the shell that reads it, where that shell is installed.
    for (shell, file) in [
        ("bash", "otelsnap.bash"),
        ("zsh", "otelsnap.zsh"),
        ("fish", "otelsnap.fish"),
    ] {
        let Ok(out) = Command::new(shell)
            .arg("-n")
            .arg(root().join("completions").join(file))
            .output()
        else {
            assert_ne!(shell, "bash", "bash is needed by these tests");
            continue;
        };
        assert!(out.status.success(), "{shell} -n {file}: {out:?}");
    }
}

#[test]
fn a_stray_complete_variable_does_not_turn_runs_into_completions() {
    let s = store();
    let out = common::cmd(s.path())
        .env("COMPLETE", "bash")
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rows.as_array().unwrap().len() >= 2, "{rows}");
}

/// Whether `shell` can run here; without it the test is skipped, unless .ci/run (which installs
/// it) says OTELSNAP_REQUIRE_SHELLS.
fn have(shell: &str) -> bool {
    let found = Command::new(shell)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !std::env::var("OTELSNAP_REQUIRE_SHELLS").is_ok_and(|v| v == "1"),
            "{shell} is required (OTELSNAP_REQUIRE_SHELLS=1): run .ci/install-shells.sh"
        );
        // Straight to the process's stderr: libtest captures eprintln! of passing tests, and
        // a skip must be seen.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {shell} completion test NOT RUN: {shell} is not installed; .ci/install-shells.sh installs it"
        );
    }
    found
}

/// Runs `script` in `shell` with the binary on PATH, in an empty working directory.
fn run_shell(shell: &str, args: &[&str], script: &str) -> String {
    let cwd = tempfile::tempdir().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(shell)
        .args(args)
        .arg(script)
        .current_dir(cwd.path())
        .env("PATH", path)
        .env("HOME", cwd.path())
        .env_remove("OTELSNAP_DIR")
        .env_remove("OTELSNAP_COMPLETE")
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{shell}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn fish_completes_session_names_with_the_committed_script() {
    if !have("fish") {
        return;
    }
    let s = store();
    let script = root().join("completions/otelsnap.fish");
    let line = |words: &str| {
        format!(
            "source '{}'; complete -C'otelsnap --dir {} {words}'",
            script.display(),
            s.path().display()
        )
    };
    let out = run_shell("fish", &["--no-config", "-c"], &line("show "));
    let names: Vec<&str> = out
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .filter(|v| !v.starts_with('-'))
        .collect();
    assert_eq!(names, ["newer-one", "checkout-v1", "broken"], "{out}");
    assert!(
        out.contains("newer-one\t2025-03-10 10:01 UTC, 11 metrics"),
        "{out}"
    );
    let out = run_shell("fish", &["--no-config", "-c"], &line("delete che"));
    assert_eq!(
        out.lines()
            .map(|l| l.split('\t').next().unwrap())
            .collect::<Vec<_>>(),
        ["checkout-v1"]
    );
}

#[test]
fn zsh_completes_session_names_with_the_committed_script() {
    if !have("zsh") {
        return;
    }
    let s = store();
    // zsh's completion system needs a terminal; its two entry points the script calls are
    // stood in for: compdef (registration) and _describe, which prints what it would offer.
    let script = format!(
        "compdef() {{ : }}; _describe() {{ print -rl -- \"${{(@P)3}}\" }}; \
         source '{}'; words=(otelsnap --dir '{}' \"$@\"); CURRENT=${{#words}}; \
         _clap_dynamic_completer_otelsnap",
        root().join("completions/otelsnap.zsh").display(),
        s.path().display()
    );
    let complete = |words: &[&str]| {
        let mut args = vec!["-f", "-c", script.as_str(), "zsh"];
        args.extend(words);
        let cwd = tempfile::tempdir().unwrap();
        let path = format!(
            "{}:{}",
            bin_dir().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("zsh")
            .args(&args)
            .current_dir(cwd.path())
            .env("PATH", path)
            .env_remove("OTELSNAP_DIR")
            .env_remove("OTELSNAP_COMPLETE")
            .output()
            .unwrap();
        assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let out = complete(&["show", ""]);
    let names: Vec<&str> = out
        .lines()
        .map(|l| l.split(':').next().unwrap())
        .filter(|v| !v.starts_with('-'))
        .collect();
    assert_eq!(names, ["newer-one", "checkout-v1", "broken"], "{out}");
    assert!(
        out.contains("checkout-v1:2025-03-03 10:01 UTC, 10 metrics"),
        "{out}"
    );
    assert_eq!(
        complete(&["diff", "new"])
            .lines()
            .map(|l| l.split(':').next().unwrap())
            .collect::<Vec<_>>(),
        ["newer-one"]
    );
}
