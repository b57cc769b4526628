//! One module per subcommand, gluing the library together.

pub mod capture;
pub mod capture_cmd;
pub mod completions;
pub mod delete;
pub mod diff;
pub mod export;
pub mod import;
pub mod list;
pub mod merge;
pub mod output;
pub mod prune;
pub mod recover;
pub mod show;

use crate::cli::{Cli, ColorChoice, Command, GlobalArgs};
use crate::session::{Limits, Session, SessionRef, Store};

/// What every command gets: the store and output preferences.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub store: Store,
    pub color: ColorChoice,
    pub quiet: bool,
}

impl Ctx {
    /// Builds the context from the global flags.
    pub fn from_global(g: &GlobalArgs) -> Ctx {
        let limits = Limits {
            max_session_size: g.max_session_size,
            max_sessions: g.max_sessions,
            max_decompressed: g.max_decompressed,
        };
        Ctx {
            store: Store::new(g.dir.clone(), limits),
            color: g.color,
            quiet: g.quiet,
        }
    }

    /// Colors on stdout?
    pub fn stdout_color(&self) -> bool {
        crate::render::color::stdout_enabled(self.color.into())
    }

    /// Colors on stderr?
    pub fn stderr_color(&self) -> bool {
        crate::render::color::stderr_enabled(self.color.into())
    }

    /// Prints a progress/summary/warning line on stderr unless `--quiet`.
    pub fn note(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            // Notes quote names, paths and bad input; the summary has several lines.
            eprintln!("{}", crate::render::escape::term_lines(&msg.to_string()));
        }
    }

    /// Loads a session given as a name, a path or `-`.
    pub fn load(&self, arg: &str) -> anyhow::Result<Session> {
        let r = SessionRef::parse(arg)?;
        Ok(r.load(&self.store)?)
    }

    /// Loads a session for comparing estimates only: sketch bytes and value samples are not
    /// kept (see [`crate::session::estimates_only`]). Never save or merge what this returns.
    pub fn load_estimates(&self, arg: &str) -> anyhow::Result<Session> {
        crate::session::estimates_only(|| self.load(arg))
    }

    /// Loads two sessions for reading estimates (as [`Ctx::load_estimates`]) at once, one per
    /// thread: decompressing and parsing dominate a large diff, and the two files are
    /// independent. Errors are reported in argument order.
    pub fn load_pair(&self, a: &str, b: &str) -> anyhow::Result<(Session, Session)> {
        if a == "-" && b == "-" {
            anyhow::bail!("only one of the two sessions can be read from standard input (-)");
        }
        let (ra, rb) = std::thread::scope(|sc| {
            let hb = sc.spawn(|| self.load_estimates(b));
            let ra = self.load_estimates(a);
            let rb = hb
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("loading {b} failed unexpectedly")));
            (ra, rb)
        });
        Ok((ra?, rb?))
    }
}

/// Runs the parsed command line; returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    let ctx = Ctx::from_global(&cli.global);
    match &cli.command {
        Command::Capture(a) => capture::run(&ctx, a),
        Command::List(a) => list::run(&ctx, a),
        Command::Show(a) => show::run(&ctx, a),
        Command::Delete(a) => delete::run(&ctx, a),
        Command::Prune(a) => prune::run(&ctx, a),
        Command::Merge(a) => merge::run(&ctx, a),
        Command::Diff(a) => diff::run(&ctx, a),
        Command::Export(a) => export::run(&ctx, a),
        Command::Import(a) => import::run(&ctx, a),
        Command::Completions(a) => completions::run(&ctx, a),
        Command::Recover(a) => recover::run(&ctx, a),
    }
}
