//! The commands that need no network: `check` (classify builds offline) and
//! `table` (print the table in use). Output goes to stdout.

pub mod generate;
pub mod headers;
pub mod live;
pub mod merge;
pub mod shards;

use crate::assess::{self, Status, judge_each};
use crate::cli::Format;
use crate::config::{Config, Rows, Seen};
use crate::report::{self, Row};
use crate::{Outcome, table::Table};
use anyhow::{Context, Result};
use std::io::{self, BufRead, IsTerminal, Write};

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
    report::outputs::check(&planned, &[])?;
    let inputs = if builds.is_empty() { read_stdin_lines()? } else { builds };
    let outputs = report::outputs::open(&planned, &[])?;
    let layout = report::Layout {
        run: Some(report::provenance::Run::now(config.table_ids(), None)?),
        ..config.layout(false, Vec::new())
    };
    let mut writer = report::outputs::Reports::new(outputs, &layout)?;
    let mut statuses = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let judged = judge_each(&config.tables, |table| assess::input_build(input, table));
        if judged.overall.status == Status::InputError && !config.quiet {
            eprintln!("exchange-exposure: {}", report::printable(&judged.overall.detail));
        }
        statuses.push(judged.overall.status);
        statuses.extend(judged.each.iter().map(|(_, v)| v.status));
        let row = Row { line: Some(i as u64 + 1), ..Row::judged(judged, config.table_ids()) };
        writer.write(&row)?;
    }
    writer.finish()?;
    let unreadable = statuses.contains(&Status::InputError);
    Ok(config.outcome(&Seen::statuses(statuses), unreadable, Rows::Required))
}

/// The format asked for, or by default an aligned table on a terminal and
/// CSV when piped.
fn terminal_or_csv(config: &Config, stdout: &io::Stdout) -> Format {
    config.format.unwrap_or(if stdout.is_terminal() { Format::Table } else { Format::Csv })
}

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

/// `--version`: the version and the release catalog's date; with `-v`,
/// also each advisory's table id.
pub fn version(config: &Config) -> Result<Outcome> {
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "exchange-exposure {} (release catalog: newest release {})",
        env!("CARGO_PKG_VERSION"),
        crate::catalog::date()
    )?;
    if config.verbose {
        for t in crate::table::ADVISORIES.iter().filter_map(|(id, _)| Table::advisory(id)) {
            writeln!(out, "table {}: {} ({} rows)", t.advisory, t.id, t.rows.len())?;
        }
    }
    out.flush()?;
    Ok(Outcome::Clean)
}

/// `table`: the tables in use (`--advisory`), each as CSV that `--table`
/// can load back, or as aligned columns on a terminal.
pub fn table(config: &Config) -> Result<Outcome> {
    let stdout = io::stdout();
    let format = terminal_or_csv(config, &stdout);
    let mut out = stdout.lock();
    for (i, t) in config.tables.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        write_table(&mut out, t, format)?;
    }
    out.flush()?;
    Ok(Outcome::Clean)
}

/// The release catalog's size and newest release date: how current the tool's data is.
fn catalog_line() -> String {
    let newest = crate::catalog::newest_release(crate::catalog::releases()).map(|r| r.date.as_str()).unwrap_or("none");
    format!("release catalog: {} releases, newest release {newest}", crate::catalog::releases().len())
}

fn write_table(out: &mut impl Write, t: &Table, format: Format) -> Result<()> {
    let rows: Vec<[String; 9]> = t
        .rows
        .iter()
        .map(|r| {
            [
                r.product.code().to_string(),
                r.cu.clone(),
                r.cu_build.to_string(),
                r.fix.to_string(),
                r.alt_fix.map(|b| b.to_string()).unwrap_or_default(),
                r.kb.clone(),
                r.cves.join(";"),
                r.source.clone(),
                if r.esu_only { "yes".into() } else { String::new() },
            ]
        })
        .collect();
    let header = ["product", "cu", "cu_build", "fix", "alt_fix", "kb", "cves", "source", "esu_only"];
    match format {
        Format::Html | Format::Xlsx => {
            anyhow::bail!("the table has no HTML or XLSX form; use --format csv, jsonl or table")
        }
        Format::Table => {
            writeln!(out, "advisory {}: table {} ({} rows), {}", t.advisory, t.id, t.rows.len(), t.update)?;
            writeln!(out, "{}", catalog_line())?;
            report::write_aligned(out, &header, &rows)?;
        }
        Format::Csv => {
            writeln!(out, "# table: {}\n# update: {}\n# id: {}", t.name, t.update, t.id)?;
            if let Some(step) = &t.config {
                writeln!(out, "# config: {step}")?;
            }
            writeln!(out, "# {}", catalog_line())?;
            let mut csv = csv::Writer::from_writer(&mut *out);
            csv.write_record(header)?;
            for row in &rows {
                csv.write_record(row)?;
            }
            csv.flush()?;
        }
        Format::Jsonl => {
            for row in &rows {
                let obj: serde_json::Map<String, serde_json::Value> =
                    header.iter().zip(row).map(|(k, v)| ((*k).to_string(), v.clone().into())).collect();
                serde_json::to_writer(&mut *out, &obj)?;
                writeln!(out)?;
            }
        }
    }
    Ok(())
}
