//! The `airm` binary: parses the command line, loads `airm.toml`, opens the store and runs
//! one subcommand. Exit codes: `0` success, `1` findings at or above `--fail-on`, `2` error.
//! All output goes through [`output::Printer`]; nothing else prints.

mod cli;
mod cmd;
mod config;
mod context;
mod output;
mod syslog;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::output::Printer;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    let printer = Printer::new(cli.format, cli.quiet, cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            printer.error(&anyhow::anyhow!("cannot start the async runtime: {e}"));
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(cmd::run(cli, &printer)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            printer.error(&e);
            ExitCode::from(2)
        }
    }
}

fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let default = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        _ => "debug",
    };
    let filter = std::env::var(airm_core::env::LOG)
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
