//! `booking-tracker`: the local server (`serve`, on an embedded SQLite store by default) and the
//! operations commands. Exit codes: 0 success, 1 failure, 2 usage errors.

// A binary has no public API: `pub` here only means "used across modules".
#![allow(unreachable_pub)]

mod cli;
mod commands;
#[allow(clippy::print_stdout, clippy::print_stderr)]
mod output;
mod serve;
mod store_url;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

/// `serve` allocates on many threads at once (workers, blocking reads, the writer); glibc's
/// malloc contended on its arena locks there (BENCHMARKS.md, serve on SQLite).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let serving = matches!(cli.command, cli::Command::Serve(_));
    init_tracing(if serving { "info" } else { "warn" });
    let json = cli.json;
    match commands::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if error.downcast_ref::<commands::AlreadyReported>().is_none() {
                output::failure(&error, json);
            }
            ExitCode::from(commands::Coded::exit_code(&error))
        }
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default level.
fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}
