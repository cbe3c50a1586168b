//! `merge`: shard reports (from `scan --shard K/N`) joined into one report
//! in inventory order. A row no shard report has is written as
//! `not-scanned`, and the exit status is then 2.

use crate::Outcome;
use crate::assess::Status;
use crate::config::Config;
use crate::inventory::{self, Entry};
use crate::report::Output;
use crate::report::read::{ReadReport, read_report_raw};
use anyhow::{Context, Result, ensure};
use std::collections::HashMap;
use std::io::{self, BufReader, Write};
use std::path::PathBuf;

pub fn merge(config: &Config, inventory: &str, reports: &[PathBuf], output: Option<&str>) -> Result<Outcome> {
    let output = Output::open(output)?;
    let file = std::fs::File::open(inventory).with_context(|| format!("cannot open inventory {inventory}"))?;
    // Ranges expand as `scan` expands them (without --allow-large).
    let entries: Vec<Entry> = inventory::Reader::new(Box::new(BufReader::new(file)))?
        .map(|e| e.map(|e| crate::targets::Expand::default().entry(e)))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let mut read = Vec::new();
    for path in reports {
        let (report, jsonl) = read_report_raw(path)?;
        read.push((path, report, jsonl));
    }
    let (first_path, first, jsonl) = read.first().context("no reports to merge")?;
    for (path, report, format) in &read {
        ensure!(
            report.columns == first.columns && format == jsonl,
            "{} does not have the columns and format of {}",
            path.display(),
            first_path.display()
        );
    }
    let merged = join(&entries, read.iter().map(|(_, r, _)| r), &first.columns)?;
    let missing = merged.missing;
    let status_at = first.column("status")?;
    let mut out = output;
    write_rows(&mut out, &first.columns, &merged.rows, *jsonl)?;
    let place = out.describe();
    out.commit()?;
    if !config.quiet {
        eprintln!(
            "{} rows merged from {} reports into {place}; {missing} rows missing from every report",
            merged.rows.len(),
            reports.len()
        );
    }
    // The overall status and, with several advisories, each one's.
    let status_columns: Vec<usize> = first
        .columns
        .iter()
        .enumerate()
        .filter(|(i, c)| *i == status_at || c.starts_with("status_"))
        .map(|(i, _)| i)
        .collect();
    let statuses = merged.rows.iter().flat_map(|r| status_columns.iter().filter_map(|&i| Status::parse(&r[i])));
    Ok(config.outcome(statuses, missing > 0))
}

struct Merged {
    rows: Vec<Vec<String>>,
    missing: usize,
}

/// The reports' rows in inventory order, matched by inventory line; a
/// missing row is made from the inventory entry. The rows of a CIDR range
/// share its line (and shards split them by address), so where the
/// inventory has several rows on one line they are told apart by host and port.
fn join<'a>(entries: &[Entry], reports: impl Iterator<Item = &'a ReadReport>, columns: &[String]) -> Result<Merged> {
    let column = |name: &str| {
        columns.iter().position(|c| c == name).with_context(|| format!("the reports have no {name:?} column"))
    };
    let (line_at, host_at, port_at) = (column("line")?, column("host")?, column("port")?);
    let mut per_line: HashMap<String, usize> = HashMap::new();
    for entry in entries {
        *per_line.entry(entry.line.to_string()).or_default() += 1;
    }
    let mut by_line: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    for report in reports {
        for row in &report.rows {
            let rows = by_line.entry(row[line_at].clone()).or_default();
            rows.push(row.clone());
            let expected = per_line.get(&row[line_at]).copied().unwrap_or(1);
            ensure!(rows.len() <= expected, "inventory line {} is in two reports", row[line_at]);
        }
    }
    let mut missing = 0;
    let rows = entries
        .iter()
        .map(|entry| {
            let line = entry.line.to_string();
            let several = per_line.get(&line).is_some_and(|n| *n > 1);
            let port = entry.port.map(|p| p.to_string()).unwrap_or_default();
            let found = by_line.get_mut(&line).and_then(|rows| {
                let at = if several {
                    rows.iter().position(|r| r[host_at] == entry.host && r[port_at] == port)
                } else {
                    (!rows.is_empty()).then_some(0)
                };
                at.map(|i| rows.swap_remove(i))
            });
            found.unwrap_or_else(|| {
                missing += 1;
                missing_row(entry, columns)
            })
        })
        .collect();
    Ok(Merged { rows, missing })
}

fn missing_row(entry: &Entry, columns: &[String]) -> Vec<String> {
    // The tool's own columns: the contract's, then per-advisory and change columns; extras follow.
    let tool = |c: &String| c.starts_with("status_") || c.starts_with("cves_") || c == "change";
    let fixed = crate::report::COLUMNS.len()
        + columns.iter().skip(crate::report::COLUMNS.len()).take_while(|c| tool(c)).count();
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| match c.as_str() {
            "host" if i < fixed => entry.host.clone(),
            "port" if i < fixed => entry.port.map(|p| p.to_string()).unwrap_or_default(),
            "status" if i < fixed => Status::NotScanned.to_string(),
            "detail" if i < fixed => "no shard report has this inventory row".into(),
            "line" if i < fixed => entry.line.to_string(),
            _ if i >= fixed => entry.extras.get(i - fixed).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .collect()
}

fn write_rows(out: &mut impl Write, columns: &[String], rows: &[Vec<String>], jsonl: bool) -> Result<()> {
    if jsonl {
        for row in rows {
            let obj: serde_json::Map<String, serde_json::Value> =
                columns.iter().cloned().zip(row.iter().map(|c| serde_json::Value::from(c.as_str()))).collect();
            serde_json::to_writer(&mut *out, &obj)?;
            out.write_all(b"\n")?;
        }
    } else {
        let mut csv = csv::Writer::from_writer(&mut *out);
        csv.write_record(columns)?;
        for row in rows {
            csv.write_record(row)?;
        }
        csv.flush()?;
    }
    out.flush().map_err(|e: io::Error| e.into())
}
