//! exchange-exposure: which Exchange servers are still exposed to the March
//! 2021 vulnerabilities (ProxyLogon) and the advisories after it. Data flows
//! down: `cli` (what the user typed) → `config` (validated settings) →
//! `commands` (one file per command) → `pipeline` (read the inventory →
//! probe each host → assess its evidence against the tables → write the
//! report), over `inventory`, `probe`, `assess` and `report`. `run`
//! validates the flags, dispatches the command and returns an `Outcome`
//! that `main` turns into the exit status. README's "Architecture" section
//! has the module map.

#![warn(missing_docs)]

pub mod accept;
pub mod assess;
pub mod bounded;
pub mod build;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod dataset;
pub mod datastore;
pub mod evidence;
pub mod hash;
pub mod hunt;
pub mod import;
pub mod inventory;
pub mod mail;
pub mod metrics;
pub mod msdata;
pub mod notify;
pub mod open_cves;
pub mod pipeline;
pub mod probe;
pub mod report;
pub mod resources;
pub mod sanitize;
pub mod shard;
pub mod sim;
pub mod table;
pub mod target;

use anyhow::Result;

/// How a command ended, for the exit status (README, "Exit status").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Finished; no row has a `--fail-on` status. Exit 0.
    Clean,
    /// Finished; at least one row has a `--fail-on` status. Exit 1.
    Findings,
    /// The tool could not do all of its job (unreadable input, an interrupted
    /// run, a merge missing rows). Exit 2.
    Incomplete,
    /// Finished, but no row reached a host or a build (an empty inventory,
    /// every row an input error, unreachable or not scanned): the one-line
    /// reason is printed. Exit 2 — a silent 0 would hide a broken cron job.
    NothingJudged(String),
}

impl Outcome {
    /// The exit status; `config::exit_status` maps errors too.
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Findings => 1,
            Outcome::Incomplete | Outcome::NothingJudged(_) => 2,
        }
    }
}

/// Runs one command line: the flags are validated into settings
/// (`config`), then the command runs on them.
pub fn run(cli: cli::Cli) -> Result<Outcome> {
    // The data commands judge nothing and must work when the data dir's copy
    // is damaged (to roll it back or fetch anew): they read the store themselves.
    let config = match &cli.command {
        Some(cli::Command::Data { .. }) => config::Config::with_data(&cli.common, datastore::builtin())?,
        _ => config::Config::from_cli(&cli.common)?,
    };
    if let Some(what) = cli.generate {
        return commands::generate::generate(what.into(), <cli::Cli as clap::CommandFactory>::command());
    }
    if cli.version {
        return commands::version::version(&config);
    }
    let Some(command) = cli.command else {
        anyhow::bail!("no command given; see exchange-exposure --help");
    };
    match command {
        cli::Command::Check { builds, output } => commands::check::check(&config, builds, &output),
        cli::Command::Table => commands::table::table(&config),
        cli::Command::Config(cli::ConfigCommand::Show) => {
            config::layers::show(&cli.settings, cli.config_file.as_deref(), &mut std::io::stdout().lock())?;
            Ok(Outcome::Clean)
        }
        cli::Command::Scan(args) => {
            let config = config.with_fail_on_change(&args.fail_on_change, args.baseline.is_some())?;
            commands::scan::scan(&config, config::Scan::from_args(*args)?)
        }
        cli::Command::Headers { files, output } => commands::headers::headers(&config, &files, &output),
        cli::Command::Merge { inventory, host_column, reports, output } => {
            commands::merge::merge(&config, &inventory, host_column.as_deref(), &reports, &output)
        }
        cli::Command::Import(args) => commands::import::import(&config, &import_options(args)),
        cli::Command::Hunt(args) => commands::hunt::hunt(&config, &hunt_options(args)),
        cli::Command::Simulate(args) => commands::simulate::simulate(config::Simulate::from_args(args)?),
        cli::Command::Data { command } => {
            commands::data::data(&config, config::Data::from_args(command, config.quiet)?)
        }
        cli::Command::Demo { inventory, output } => commands::demo::demo(&config, inventory.as_deref(), &output),
    }
}

/// `import`'s flags as the command's options.
fn import_options(args: cli::ImportArgs) -> commands::import::Options {
    let kind = match args.source {
        cli::ImportSource::Shodan => commands::import::Kind::Shodan,
        cli::ImportSource::Censys => commands::import::Kind::Censys,
        cli::ImportSource::Healthchecker => commands::import::Kind::HealthChecker,
    };
    commands::import::Options {
        kind,
        files: args.files,
        output: args.output,
        stale_after: args.stale_after,
        inventory_out: args.inventory_out,
        report: args.report,
    }
}

/// `hunt`'s flags as the command's options.
fn hunt_options(args: cli::HuntArgs) -> commands::hunt::Options {
    commands::hunt::Options {
        inputs: args.inputs,
        output: args.output,
        report: args.report,
        findings: args.findings,
        baseline: args.baseline,
    }
}
