//! `--generate`: the man page (clap_mangen) and shell completion scripts
//! (clap_complete), printed on stdout from the same clap definition as the
//! help text, so they never drift from it (as ripgrep does).

use crate::Outcome;
use crate::config::Page;
use anyhow::Result;
use std::io::{self, Write};

/// Prints `page` for `command` (the tool's clap definition) on stdout.
pub fn generate(page: Page, command: clap::Command) -> Result<Outcome> {
    let mut out = io::stdout().lock();
    write_generated(page, command, &mut out)?;
    out.flush()?;
    Ok(Outcome::Clean)
}

/// Writes the man page or a completion script for `command`.
pub fn write_generated(page: Page, mut command: clap::Command, out: &mut impl Write) -> Result<()> {
    match page {
        Page::Man => write_man(command, out),
        Page::Completion(shell) => {
            clap_complete::generate(shell, &mut command, "exchange-exposure", out);
            Ok(())
        }
    }
}

/// The man page: clap_mangen's page for the tool, then a section per command
/// with its own options (clap_mangen renders only the top level's), so
/// `man exchange-exposure` shows `scan --target` and the rest.
fn write_man(command: clap::Command, out: &mut impl Write) -> Result<()> {
    clap_mangen::Man::new(command.clone()).render(out)?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let man = clap_mangen::Man::new(sub.clone());
        let mut description = Vec::new();
        man.render_description_section(&mut description)?;
        let mut options = Vec::new();
        man.render_options_section(&mut options)?;
        let description = String::from_utf8_lossy(&description);
        let options = String::from_utf8_lossy(&options);
        writeln!(out, ".SH \"COMMAND: {}\"", sub.get_name().to_uppercase())?;
        // The sections' own headings become subheadings of this one.
        for line in description.lines().chain(options.lines()) {
            match line {
                ".SH DESCRIPTION" => {}
                ".SH OPTIONS" => writeln!(out, ".SS Options")?,
                other => writeln!(out, "{other}")?,
            }
        }
    }
    Ok(())
}
