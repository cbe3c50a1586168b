//! `--generate`: the man page (clap_mangen) and shell completion scripts
//! (clap_complete), printed on stdout from the same clap definition as the
//! help text, so they never drift from it (as ripgrep does).

use crate::Outcome;
use crate::cli::{Cli, Generate};
use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::{self, Write};

/// Prints what `what` names on stdout.
pub fn generate(what: Generate) -> Result<Outcome> {
    let mut out = io::stdout().lock();
    write_generated(what, &mut out)?;
    out.flush()?;
    Ok(Outcome::Clean)
}

/// Writes the man page or a completion script.
pub fn write_generated(what: Generate, out: &mut impl Write) -> Result<()> {
    let mut command = Cli::command();
    let shell = match what {
        Generate::Man => {
            clap_mangen::Man::new(command).render(out)?;
            return Ok(());
        }
        Generate::CompleteBash => Shell::Bash,
        Generate::CompleteZsh => Shell::Zsh,
        Generate::CompleteFish => Shell::Fish,
        Generate::CompletePowershell => Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut command, "exchange-exposure", out);
    Ok(())
}
