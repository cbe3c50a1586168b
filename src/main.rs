//! The `exchange-exposure` binary: parse the command line, run it, map the
//! outcome to the exit status (0 clean, 1 findings, 2 could not do the job).

use clap::Parser;
use exchange_exposure::{cli::Cli, config, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = run(cli);
    let (code, message) = config::exit_status(&result);
    if let Some(message) = message {
        eprintln!("exchange-exposure: {message}");
    }
    ExitCode::from(code)
}
