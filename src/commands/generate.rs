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
    // The exit table is the help's after-text; the page gets it as EXIT STATUS.
    let exits = command.get_after_help().map(|h| h.to_string()).unwrap_or_default();
    clap_mangen::Man::new(command.clone().after_help("")).render(out)?;
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for line in exits.lines().skip(1) {
        let line = line.trim();
        match line.split_once("  ") {
            Some((code, meaning)) if code.len() == 1 => writeln!(out, ".TP\n.B {code}\n{}", roff(meaning.trim()))?,
            _ => writeln!(out, "{}", roff(line))?,
        }
    }
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

/// A line of plain text safe in roff: a leading `.` or `'` would be a
/// request, and a backslash an escape.
fn roff(text: &str) -> String {
    let text = text.replace('\\', "\\e").replace('-', "\\-");
    if text.starts_with(['.', '\'']) { format!("\\&{text}") } else { text }
}
