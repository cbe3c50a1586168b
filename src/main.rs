//! The `exchange-exposure` binary: parse the command line, run it, map the
//! outcome to the exit status (0 clean, 1 findings, 2 could not do the job).

use clap::Parser;
use exchange_exposure::{cli::Cli, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` walks the source chain: "cannot read x: No such file or directory".
            eprintln!("exchange-exposure: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// A reader that closed our stdout (`| head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().filter_map(|e| e.downcast_ref::<std::io::Error>()).any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
