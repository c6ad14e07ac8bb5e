//! `treaty`: parse the command line, then hand over to the library.

use std::process::ExitCode;

use clap::Parser;
use treaty::cli::{Cli, Command};
use treaty::commands::{
    bench, demo, history, import, log, notices, parties, pki, receipt, serve, status, token,
    verify, watch, withdrawals, witness,
};

/// jemalloc, with its background thread: what a burst frees (stalled streams cut off, a large
/// read) goes back to the system within seconds, where glibc's malloc keeps most of it.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("treaty: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result: Result<(), Box<dyn std::error::Error>> = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Import(args) => import::run(args).await,
            Command::Parties(args) => Ok(parties::run(args).await?),
            Command::Status(args) => Ok(status::run(args).await?),
            Command::History(args) => Ok(history::run(args).await?),
            Command::Withdrawals(args) => Ok(withdrawals::run(args).await?),
            Command::Notices(args) => Ok(notices::run(args).await?),
            Command::Watch(args) => Ok(watch::run(args).await?),
            Command::Verify(args) => Ok(verify::run(args).await?),
            Command::Bench(args) => bench::run(args).await,
            Command::Token(command) => token::run(command),
            Command::Pki(command) => pki::run(command),
            Command::Log(command) => log::run(command).await,
            Command::Receipt(command) => receipt::run(command).await,
            Command::Witness(command) => witness::run(command).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("treaty: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Help and version print as clap renders them; a bad argument gets one line
/// saying what is accepted.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let rendered = e.render().to_string();
    let line = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid arguments");
    let line = line.strip_prefix("error: ").unwrap_or(line);
    eprintln!("treaty: {line} (see treaty --help)");
    ExitCode::from(2)
}
