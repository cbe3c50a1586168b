//! The `exchange-exposure` binary: parse the command line, run it, map the
//! outcome to the exit status (0 clean, 1 findings, 2 could not do the job).

use exchange_exposure::config::layers::{self, Layered};
use exchange_exposure::{config, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    // The command line over the environment over the config file.
    let cli = match layers::parse(std::env::args_os().collect(), &|name| std::env::var(name).ok()) {
        Ok(cli) => cli,
        Err(Layered::Clap(err)) => err.exit(),
        Err(Layered::Other(err)) => {
            eprintln!("exchange-exposure: error: {err:#}");
            return ExitCode::from(2);
        }
    };
    let result = run(cli);
    let (code, message) = config::exit_status(&result);
    if let Some(message) = message {
        eprintln!("exchange-exposure: {message}");
    }
    ExitCode::from(code)
}
