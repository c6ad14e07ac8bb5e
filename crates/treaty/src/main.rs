//! `treaty`: parse the command line, then hand over to the library.

use std::process::ExitCode;

use clap::Parser;
use treaty::cli::{Cli, Command};
use treaty::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("treaty: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result: Result<(), Box<dyn std::error::Error>> = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => treaty::serve::serve(args).await,
            Command::Demo(args) => treaty::demo::run(args).await,
            Command::Import(args) => treaty::import::run(args).await,
            Command::Parties(args) => Ok(commands::parties(args).await?),
            Command::Status(args) => Ok(commands::status(args).await?),
            Command::History(args) => Ok(commands::history(args).await?),
            Command::Withdrawals(args) => Ok(commands::withdrawals(args).await?),
            Command::Notices(args) => Ok(commands::notices(args).await?),
            Command::Watch(args) => Ok(commands::watch(args).await?),
            Command::Verify(args) => Ok(commands::verify(args).await?),
            Command::Bench(args) => treaty::bench::run(args).await,
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
