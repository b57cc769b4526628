use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    otelsnap::error::install_panic_hook();
    let cli = otelsnap::cli::Cli::parse();
    otelsnap::error::exit_code(otelsnap::commands::run(cli))
}
