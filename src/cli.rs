//! Command-line definitions (clap derive only; behaviour lives in `commands`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Snapshots of telemetry metadata, and the diff between them.
///
/// otelsnap captures what OpenTelemetry traffic looks like (metric names and types, label keys
/// with HyperLogLog estimates of distinct values, active series, span and log attribute keys,
/// log body templates, which services send what) as named sessions, and compares sessions so a
/// pipeline can fail when cardinality explodes.
#[derive(Debug, Parser)]
#[command(
    name = "otelsnap",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_help = "Exit codes: 0 success; 1 `diff` found changes at or above the threshold; 2 any error.\n\
Quick start:\n  otelsnap capture before --duration 60s   # point OTLP senders at 127.0.0.1:4317 / :4318\n  \
otelsnap diff before after --min-severity warning"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Session directory [default: $XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions]
    #[arg(long, global = true, env = "OTELSNAP_DIR", value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub dir: Option<PathBuf>,
    /// When to use colors (NO_COLOR in the environment means never, unless `always`)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Print only data and errors: no progress, summaries or warnings on stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Largest session file read or written, in bytes
    ///
    /// The default, 640 MiB, holds a session of 500,000 metrics (about 1,050 bytes each
    /// compressed); `diff` and `show` read one without holding its text.
    #[arg(long, global = true, env = "OTELSNAP_MAX_SESSION_SIZE", default_value_t = crate::session::format::DEFAULT_MAX_SESSION_SIZE, value_name = "BYTES", value_parser = parse_bytes, hide_short_help = true)]
    pub max_session_size: u64,
    /// Most sessions the directory may hold
    #[arg(
        long,
        global = true,
        env = "OTELSNAP_MAX_SESSIONS",
        default_value_t = 50,
        value_name = "N",
        hide_short_help = true
    )]
    pub max_sessions: usize,
    /// Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)
    ///
    /// The default, 2 GiB, is the JSON of a 500,000-metric session (about 3.5 KB per metric).
    /// `diff` and `show` parse while they inflate, so a bomb costs them time, not memory;
    /// `merge`, `export` and `import` hold the text while parsing, up to this much.
    #[arg(long, global = true, env = "OTELSNAP_MAX_DECOMPRESSED", default_value_t = crate::session::format::DEFAULT_MAX_DECOMPRESSED, value_name = "BYTES", value_parser = parse_bytes, hide_short_help = true)]
    pub max_decompressed: u64,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl From<ColorChoice> for crate::render::color::When {
    fn from(c: ColorChoice) -> Self {
        match c {
            ColorChoice::Auto => Self::Auto,
            ColorChoice::Always => Self::Always,
            ColorChoice::Never => Self::Never,
        }
    }
}

/// The subcommands.
// Parsed once per run: the size of the largest variant (capture's flags) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Receive OTLP (gRPC/HTTP) or read OTLP files, and save what was seen as a session
    Capture(CaptureArgs),
    /// List saved sessions, newest first
    List(ListArgs),
    /// Show a session: header, top metrics, spans, logs and attributes, or one item in full
    Show(ShowArgs),
    /// Delete sessions (all names are checked first; nothing is deleted if one is missing)
    Delete(DeleteArgs),
    /// Delete old sessions: all but the newest --keep N, or those older than --older-than D
    Prune(PruneArgs),
    /// Combine sessions into one, with exact HyperLogLog unions
    Merge(MergeArgs),
    /// Compare two sessions: severity-ranked changes, exit 1 when changes reach the threshold
    Diff(DiffArgs),
    /// Write a session's JSON to stdout or a file (gzipped when FILE ends in .gz)
    Export(ExportArgs),
    /// Import a session file (JSON or gzip, otelsnap or OCC format) into the directory
    Import(ImportArgs),
    /// Print a shell's completion script (session names complete from the store)
    Completions(CompletionsArgs),
    /// Save what a killed capture checkpointed (--checkpoint) as the session NAME
    Recover(RecoverArgs),
}

/// `capture`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Examples:\n  otelsnap capture baseline --duration 2m\n  \
otelsnap capture ci-run --grpc 127.0.0.1:0 --http 127.0.0.1:0 --ready-file ready.json --idle-timeout 10s\n  \
otelsnap capture from-dump --from-file collector-export.jsonl\n  \
otelsnap capture gateway --from-file dumps/   # a directory of rotated Collector dumps\n  \
otelsnap capture ci-run -- pytest -q          # run CMD with OTEL_EXPORTER_OTLP_* pointing here\n  \
otelsnap capture ci-run --output baseline.json.gz -- ./run-tests.sh\n\
With -- CMD the receivers take free ports unless --grpc/--http say otherwise; the exit status is\n\
CMD's when CMD failed, else 0, or 2 when otelsnap itself failed."
)]
pub struct CaptureArgs {
    /// Name to save the session as (kebab-case)
    pub name: String,
    /// OTLP/gRPC listen address (port 0 picks a free port; the default with -- CMD)
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:4317",
        default_value_if("command", clap::builder::ArgPredicate::IsPresent, Some("127.0.0.1:0"))
    )]
    pub grpc: String,
    /// OTLP/HTTP listen address (port 0 picks a free port; the default with -- CMD)
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:4318",
        default_value_if("command", clap::builder::ArgPredicate::IsPresent, Some("127.0.0.1:0"))
    )]
    pub http: String,
    /// Do not listen for OTLP/gRPC
    #[arg(long)]
    pub no_grpc: bool,
    /// Do not listen for OTLP/HTTP
    #[arg(long)]
    pub no_http: bool,
    /// Stop after this long (e.g. 30s, 5m, 1h)
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,
    /// Stop when no request has arrived for this long
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    pub idle_timeout: Option<std::time::Duration>,
    /// Stop after this many accepted export requests
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// Read OTLP files instead of listening: Collector file-exporter dumps (JSON lines or
    /// length-prefixed protobuf, gzip or zstd, told by content), one JSON or protobuf request,
    /// a directory of rotated dumps or a quoted pattern ('dumps/*'); repeatable; - is stdin
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::AnyPath)]
    pub from_file: Vec<String>,
    /// Signal of protobuf files, where it cannot be told from the content
    #[arg(long, value_name = "SIGNAL", value_parser = ["metrics", "traces", "spans", "logs"])]
    pub from_file_signal: Option<String>,
    /// Threads reading --from-file files at once (0 = one per core); the session is the same.
    /// They decode ahead of the analysis up to about 32 MiB of decoded requests in all (estimated)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub from_file_jobs: usize,
    /// Threads receiving and analyzing requests at once (0 = one per core). The analysis is
    /// split by metric, span name and severity into shards, so threads analyze requests side
    /// by side; the saved session is the same whatever the count. 1 gives one core's worth
    /// and leaves the other cores to the programs under test
    #[arg(long, value_name = "N", env = "OTELSNAP_WORKERS", default_value_t = 0)]
    pub workers: usize,
    /// Keep only these signals (comma-separated: metrics, traces or spans, logs)
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub signals: Vec<String>,
    /// Keep only these services (service.name; comma-separated)
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub services: Vec<String>,
    /// Value samples kept per key (0 = none)
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub samples: usize,
    /// Cap on distinct metric names, span names, keys per item and templates (beyond it, counted as dropped)
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_items: usize,
    /// Largest request body accepted, before or after decompression, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024, value_parser = parse_bytes_usize)]
    pub max_body: usize,
    /// Close a connection idle this long: OTLP/HTTP, to send request headers, between requests
    /// or inside a body; OTLP/gRPC, with no call open, or with no bytes arriving for open calls
    #[arg(long, value_name = "D", value_parser = parse_duration, default_value = "10s")]
    pub conn_timeout: std::time::Duration,
    /// Connections open at once at most, per receiver; more are refused (HTTP 503, gRPC
    /// UNAVAILABLE) and closed
    #[arg(long, value_name = "N", default_value_t = crate::otlp::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Bytes of requests in flight across both receivers (bodies, inflated and decoded): a
    /// request that does not fit waits for others to finish, so many senders at once cost this
    /// much at most beside --max-state-bytes
    #[arg(long, value_name = "BYTES", env = "OTELSNAP_MAX_IN_FLIGHT", default_value_t = crate::otlp::inflight::DEFAULT_MAX_IN_FLIGHT, value_parser = parse_bytes)]
    pub max_in_flight: u64,
    /// Memory budget of the analyzer's state, in bytes: past it, new items are dropped (counted)
    /// and the session is marked incomplete
    #[arg(long, value_name = "BYTES", env = "OTELSNAP_MAX_STATE_BYTES", default_value_t = crate::commands::capture::DEFAULT_MAX_STATE_BYTES)]
    pub max_state_bytes: u64,
    /// Write the analyzed state this often, so a kill or crash loses at most this much (0 = off);
    /// the next capture of the name, or `otelsnap recover NAME`, restores it
    #[arg(long, value_name = "D", value_parser = parse_duration, default_value = "30s")]
    pub checkpoint: std::time::Duration,
    /// Description stored in the session
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Replace an existing session of the same name
    #[arg(long)]
    pub force: bool,
    /// Save even when nothing was received
    #[arg(long)]
    pub allow_empty: bool,
    /// Write {"grpc":ADDR,"http":ADDR} here once listening
    #[arg(long, value_name = "PATH")]
    pub ready_file: Option<PathBuf>,
    /// Decode requests but skip analysis (for measuring the receiver alone)
    #[arg(long, hide = true)]
    pub no_analyze: bool,
    /// Write the session to this file instead of the store (gzipped when it ends in .gz)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Save a diff-only baseline (as `export --baseline`: no value samples or sketches)
    #[arg(long)]
    pub baseline: bool,
    /// With -- CMD: the OTLP protocol CMD is told to use (OTEL_EXPORTER_OTLP_PROTOCOL)
    #[arg(long, value_name = "PROTOCOL", default_value = "http/protobuf",
          value_parser = ["http/protobuf", "http/json", "grpc"], requires = "command")]
    pub protocol: String,
    /// With -- CMD: how long to keep receiving after CMD exits, for its final exports
    #[arg(long, value_name = "D", default_value = "1s", value_parser = parse_duration, requires = "command")]
    pub grace: std::time::Duration,
    /// Command to run with OTEL_EXPORTER_OTLP_* pointing at the receivers; the capture ends when it exits
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// Output format of `list` and `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    Table,
    Json,
}

/// Output format of `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Table,
    Json,
    /// One self-contained HTML page (no network), with every item and key
    Html,
}

/// `list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = DataFormat::Table)]
    pub format: DataFormat,
}

/// `show`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "SESSION is a name, a path to a session file, or - for stdin.\n\
Examples:\n  otelsnap show checkout-v2 --top 5\n  otelsnap show checkout-v2 --metric http.server.duration\n  \
otelsnap show baseline.json.gz --attribute user_id --format json | jq ."
)]
pub struct ShowArgs {
    /// Session name, path to a session file, or -
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::commands::completions::session_candidates))]
    pub session: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = ShowFormat::Table)]
    pub format: ShowFormat,
    /// Write to FILE (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Items shown per section (0 = all)
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Only these signals (comma-separated: metrics, traces or spans, logs, attributes)
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub signal: Vec<String>,
    /// Only items with this service
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// Show one metric in full
    #[arg(long, value_name = "NAME", group = "item")]
    pub metric: Option<String>,
    /// Show one span name in full
    #[arg(long, value_name = "NAME", group = "item")]
    pub span: Option<String>,
    /// Show one log severity in full
    #[arg(long, value_name = "SEVERITY", group = "item")]
    pub log: Option<String>,
    /// Show one attribute key in full
    #[arg(long, value_name = "KEY", group = "item")]
    pub attribute: Option<String>,
}

/// `delete`.
#[derive(Debug, Clone, Args)]
pub struct DeleteArgs {
    /// Session names
    #[arg(required = true, add = clap_complete::ArgValueCompleter::new(crate::commands::completions::name_candidates))]
    pub names: Vec<String>,
}

/// `prune`.
#[derive(Debug, Clone, Args)]
#[command(
    group = clap::ArgGroup::new("which").required(true).multiple(true).args(["keep", "older_than"]),
    after_help = "With both flags, a session is deleted when it is older than D and not among the N newest.\n\
Examples:\n  otelsnap prune --keep 20                 # a nightly job's store never fills up\n  \
otelsnap prune --older-than 30d --dry-run  # what would go"
)]
pub struct PruneArgs {
    /// Keep the N newest sessions (by creation time)
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,
    /// Delete sessions created longer ago than this (e.g. 12h, 7d, 2w)
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    pub older_than: Option<std::time::Duration>,
    /// Print what would be deleted, delete nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `merge`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Example:\n  otelsnap merge replica-a replica-b --output checkout-all")]
pub struct MergeArgs {
    /// Two or more sessions (names or files)
    #[arg(required = true, num_args = 2.., add = clap_complete::ArgValueCompleter::new(crate::commands::completions::session_candidates))]
    pub sources: Vec<String>,
    /// Name to save the result as
    #[arg(short, long, value_name = "NAME")]
    pub output: String,
    /// Keep only these signals (comma-separated: metrics, traces or spans, logs)
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub signals: Vec<String>,
    /// Keep only these services (comma-separated)
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub services: Vec<String>,
    /// Description stored in the result
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Replace an existing session of the same name
    #[arg(long)]
    pub force: bool,
}

/// Output format of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Table,
    Json,
    /// A pull-request comment: a marker line, each change in a collapsed details block with its key tables and fixes, at most 65,536 characters
    Markdown,
    Github,
    /// One self-contained HTML page (no network) with both sessions' items
    Html,
    /// JUnit XML: a suite per signal, a case per changed item, failing at or above the exit threshold
    Junit,
    /// SARIF 2.1.0 for code-scanning views (results point at the FROM file or --location)
    Sarif,
}

/// A diff severity on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum SeverityArg {
    Info,
    Warning,
    Critical,
}

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Warning,
    Critical,
    Never,
}

/// `diff`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Exit codes: 0 no change at or above the threshold; 1 such changes found; 2 error.\n\
Examples:\n  otelsnap diff checkout-v1 checkout-v2\n  \
otelsnap diff baseline.json.gz current --min-severity critical      # a one-line CI gate\n  \
otelsnap diff a b --format json | jq '.changes[] | select(.severity==\"critical\")'\n  \
otelsnap diff baseline.json.gz current --format html -o report.html   # a CI artifact\n  \
otelsnap diff baseline.json.gz current --format sarif -o otelsnap.sarif\n\
A side that capture caps cut short (see `show`) is not judged on what it lacks: such removals and\n\
decreases show at info, marked not judged, and the header says so; signals one side lacks are named.\n\
Rules file (thresholds, severities, ignores): see docs/diff-json.md, section \"Rules file\"."
)]
pub struct DiffArgs {
    /// The older session (name, file, or -)
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::commands::completions::session_candidates))]
    pub from: String,
    /// The newer session (name, file, or -)
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::commands::completions::session_candidates))]
    pub to: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Write to FILE (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Show only changes at or above this severity
    #[arg(long, value_enum, default_value_t = SeverityArg::Info)]
    pub min_severity: SeverityArg,
    /// Exit 1 when a change at or above this severity remains [default: --min-severity]
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Only these signals (comma-separated: metrics, traces or spans, logs, attributes)
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub signal: Vec<String>,
    /// Only items with this service on either side
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// Rules file (TOML) [default: $OTELSNAP_RULES, else .otelsnap.toml here or in a parent]
    #[arg(long, value_name = "FILE", env = "OTELSNAP_RULES")]
    pub rules: Option<PathBuf>,
    /// Relative tolerance for numeric changes, overriding the rules: 10% or 0.1 (0 reports every difference)
    #[arg(long, value_name = "FRACTION", value_parser = parse_fraction)]
    pub tolerance: Option<f64>,
    /// File that sarif results and github annotations point at [sarif default: FROM, when it is a file]
    #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::FilePath)]
    pub location: Option<String>,
    /// Table: show each detail's severity, rule and fingerprint (automatic from 160 columns)
    #[arg(long)]
    pub ids: bool,
}

/// `export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Session name, path, or -
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::commands::completions::session_candidates))]
    pub session: String,
    /// Write here instead of stdout (gzipped when it ends in .gz)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Remove value samples (for sharing)
    #[arg(long)]
    pub strip_samples: bool,
    /// A diff-only baseline for a repository: no value samples, no mergeable sketches (estimates kept; merge refuses it)
    #[arg(long)]
    pub baseline: bool,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
}

/// `import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// Session file (JSON or gzip; otelsnap or OCC format), or - for stdin
    #[arg(value_hint = clap::ValueHint::FilePath)]
    pub file: String,
    /// Save under this name instead of the file's id
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Replace an existing session of the same name
    #[arg(long)]
    pub force: bool,
}

/// `recover`.
#[derive(Debug, Clone, Args)]
pub struct RecoverArgs {
    /// Name of the capture that was interrupted
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::commands::completions::checkpoint_candidates))]
    pub name: String,
    /// Replace an existing session of the same name
    #[arg(long)]
    pub force: bool,
}

/// `completions`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Load it when the shell starts, so it always matches the installed otelsnap:\n  \
bash:  echo 'source <(otelsnap completions bash)' >> ~/.bashrc\n  \
zsh:   echo 'source <(otelsnap completions zsh)' >> ~/.zshrc\n  \
fish:  echo 'otelsnap completions fish | source' >> ~/.config/fish/config.fish\n\
The script asks otelsnap on each TAB (OTELSNAP_COMPLETE=SHELL otelsnap -- WORDS...): SESSION arguments\n\
complete with the names in the store the line would use (--dir, else $OTELSNAP_DIR, else the\n\
default), newest first, and with session files."
)]
pub struct CompletionsArgs {
    /// Shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Parses a byte size: `1048576`, `10KiB`, `10MiB`, `1GiB` (powers of 1024) or `10KB`, `10MB`,
/// `1GB` (powers of 1000); units are case-insensitive, a space before them is allowed.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let err = || format!("invalid size '{s}': use bytes or a unit, e.g. 512KiB, 10MB, 1GiB");
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: f64 = num.parse().map_err(|_| err())?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1000,
        "mb" | "m" => 1000 * 1000,
        "gb" | "g" => 1000 * 1000 * 1000,
        "kib" => 1024,
        "mib" => 1024 * 1024,
        "gib" => 1024 * 1024 * 1024,
        _ => return Err(err()),
    };
    let v = num * mult as f64;
    if !(v.is_finite() && v >= 0.0 && v <= u64::MAX as f64) {
        return Err(err());
    }
    Ok(v.round() as u64)
}

fn parse_bytes_usize(s: &str) -> Result<usize, String> {
    parse_bytes(s).and_then(|v| usize::try_from(v).map_err(|_| format!("size '{s}' is too large")))
}

/// Parses `10%` or `0.1` as the fraction 0.1.
pub fn parse_fraction(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let err = || format!("invalid fraction '{s}': use e.g. 10% or 0.1 (at least 0)");
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map_err(|_| err())? / 100.0,
        None => t.parse::<f64>().map_err(|_| err())?,
    };
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(err())
    }
}

/// Parses `90`, `90s`, `500ms`, `5m`, `1h`, `1m30s`.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let err = || format!("invalid duration '{s}': use e.g. 30s, 500ms, 5m, 1h, 7d or 1m30s");
    if s.is_empty() {
        return Err(err());
    }
    if let Ok(secs) = s.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| std::time::Duration::from_secs_f64(secs))
            .ok_or_else(err);
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(err)?;
        let num: f64 = rest[..num_end].parse().map_err(|_| err())?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let mult = match &rest[..unit_end] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 7.0 * 86_400.0,
            _ => return Err(err()),
        };
        total += num * mult;
        rest = &rest[unit_end..];
    }
    Ok(std::time::Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(14 * 86_400)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-1").is_err());
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_bytes("1234"), Ok(1234));
        assert_eq!(parse_bytes("10KiB"), Ok(10 * 1024));
        assert_eq!(parse_bytes("10MB"), Ok(10_000_000));
        assert_eq!(parse_bytes("1.5 GiB"), Ok(1_610_612_736));
        assert_eq!(parse_bytes("16mib"), Ok(16 * 1024 * 1024));
        assert!(parse_bytes("10 parsecs").is_err());
        assert!(parse_bytes("").is_err());
    }

    #[test]
    fn fractions() {
        assert_eq!(parse_fraction("10%"), Ok(0.1));
        assert_eq!(parse_fraction("0.25"), Ok(0.25));
        assert_eq!(parse_fraction("0"), Ok(0.0));
        assert!(parse_fraction("-5%").is_err());
        assert!(parse_fraction("ten").is_err());
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
