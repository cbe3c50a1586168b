//! `check`: classify build strings offline (arguments, or one per line on
//! stdin), one report row each; unreadable ones are `input-error` rows.

use crate::Outcome;
use crate::assess::{self, Status, judge_each};
use crate::config::{Config, Rows};
use crate::report::Format;
use crate::report::summary::Seen;
use crate::report::{self, Row};
use anyhow::{Context, Result};
use std::io::{self, BufRead, IsTerminal};

/// `check`: one report row per build string; unreadable ones are
/// `input-error` rows and make the exit status 2.
pub fn check(config: &Config, builds: Vec<String>, output: &[String]) -> Result<Outcome> {
    let stdout_default = if io::stdout().is_terminal() { Format::Table } else { Format::Csv };
    let planned = report::outputs::plan(output, config.format, stdout_default)?;
    if builds.is_empty() && io::stdin().is_terminal() {
        // Nobody is piping builds in: say how to use it rather than wait.
        eprintln!(
            "usage: exchange-exposure check BUILD...   (e.g. check 15.1.2176.9)\n   or: COMMAND | exchange-exposure check   (one build per line on stdin)"
        );
        return Ok(Outcome::Incomplete);
    }
    report::outputs::check(&planned, &config.input_files())?;
    let data = super::data::judging_data(config)?;
    let inputs = if builds.is_empty() { read_stdin_lines()? } else { builds };
    let outputs = report::outputs::open(&planned, &config.input_files())?;
    let layout = report::Layout {
        run: Some(
            report::provenance::Run::now(config.table_ids(), config.data.catalog_date(), None)?
                .with_data(data.provenance.stamp()),
        ),
        ..config.layout(false, Vec::new())
    };
    let mut writer = report::outputs::Reports::new(outputs, &layout)?;
    let mut statuses = Vec::new();
    let mut open = Seen::default();
    for (i, input) in inputs.iter().enumerate() {
        let judged = judge_each(&config.tables, |table| assess::input_build(input, table));
        if judged.overall.status == Status::InputError && !config.quiet {
            eprintln!("exchange-exposure: {}", crate::sanitize::printable(&judged.overall.detail));
        }
        statuses.push(judged.overall.status);
        statuses.extend(judged.each.iter().map(|(_, v)| v.status));
        let row =
            Row { line: Some(i as u64 + 1), ..Row::judged(judged, config.table_ids(), &config.data, &config.tables) };
        open.note_open(&row);
        writer.write(&row)?;
    }
    writer.finish()?;
    let unreadable = statuses.contains(&Status::InputError);
    let seen = Seen { open: open.open, ..Seen::statuses(statuses) };
    Ok(config.outcome(&seen, unreadable, Rows::Required))
}

/// The non-empty lines of stdin.
fn read_stdin_lines() -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for line in io::stdin().lock().lines() {
        let line = line.context("cannot read builds from stdin")?;
        if !line.trim().is_empty() {
            lines.push(line);
        }
    }
    Ok(lines)
}
