//! `merge`: shard reports (from `scan --shard K/N`) joined into one report
//! in inventory order. A row no shard report has is written as
//! `not-scanned`, and the exit status is then 2.

use crate::Outcome;
use crate::assess::Status;
use crate::config::{Config, Rows};
use crate::inventory::{self, Entry};
use crate::report::Output;
use crate::report::read::{ReadReport, read_report_raw};
use anyhow::{Context, Result, ensure};
use std::collections::HashMap;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

pub fn merge(
    config: &Config,
    inventory: &str,
    host_column: Option<&str>,
    reports: &[PathBuf],
    output: Option<&str>,
) -> Result<Outcome> {
    let inputs: Vec<&Path> =
        std::iter::once(Path::new(inventory)).chain(reports.iter().map(PathBuf::as_path)).collect();
    let output = Output::open(output, &inputs)?;
    let file = std::fs::File::open(inventory).with_context(|| format!("cannot open inventory {inventory}"))?;
    let reader = inventory::Reader::with_host_column(Box::new(BufReader::new(file)), host_column)?;
    let extra_names = crate::report::pass_through_names(&reader.extra_columns);
    let entries: Vec<Entry> = reader.collect::<Result<_>>()?;
    let mut read = Vec::new();
    for path in reports {
        let (report, jsonl) = read_report_raw(path)?;
        read.push((path, report, jsonl));
    }
    let (first_path, first, jsonl) = read.first().context("no reports to merge")?;
    for (path, report, format) in &read {
        let (mut mine, mut theirs) = (report.columns.clone(), first.columns.clone());
        mine.sort();
        theirs.sort();
        ensure!(
            mine == theirs && format == jsonl,
            "{} does not have the columns and format of {}",
            path.display(),
            first_path.display()
        );
    }
    let shape = Shape { columns: &first.columns, extra_names: &extra_names, csv: !*jsonl };
    let merged = join(&entries, read.iter().map(|(_, r, _)| r), &shape)?;
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
    Ok(config.outcome(statuses, missing > 0, Rows::Required))
}

struct Merged {
    rows: Vec<Vec<String>>,
    missing: usize,
}

/// The merged report's columns (the first report's order), which of them
/// are the inventory's pass-through columns, and whether cells are CSV
/// (formula-guarded as written).
struct Shape<'a> {
    columns: &'a [String],
    extra_names: &'a [String],
    csv: bool,
}

/// The reports' rows in inventory order, matched by inventory line, each
/// cell taken by its column's name; a missing row is made from the
/// inventory entry.
fn join<'a>(entries: &[Entry], reports: impl Iterator<Item = &'a ReadReport>, shape: &Shape) -> Result<Merged> {
    let mut by_line: HashMap<String, Vec<String>> = HashMap::new();
    for report in reports {
        let line_at = report.column("line")?;
        // Where each of the merged columns is in this report.
        let at: Vec<usize> = shape.columns.iter().map(|c| report.column(c)).collect::<Result<_>>()?;
        for row in &report.rows {
            let cells = at.iter().map(|&i| row[i].clone()).collect();
            ensure!(
                by_line.insert(row[line_at].clone(), cells).is_none(),
                "inventory line {} is in two reports",
                row[line_at]
            );
        }
    }
    let mut missing = 0;
    let rows = entries
        .iter()
        .map(|entry| {
            by_line.remove(&entry.line.to_string()).unwrap_or_else(|| {
                missing += 1;
                missing_row(entry, shape)
            })
        })
        .collect();
    Ok(Merged { rows, missing })
}

/// A `not-scanned` row for an inventory entry no report has, by column name.
fn missing_row(entry: &Entry, shape: &Shape) -> Vec<String> {
    shape
        .columns
        .iter()
        .map(|c| {
            if let Some(i) = shape.extra_names.iter().position(|n| n == c) {
                let cell = entry.extras.get(i).map(String::as_str).unwrap_or("");
                return if shape.csv { crate::report::neutralise_formula(cell) } else { cell.to_string() };
            }
            match c.as_str() {
                "host" => entry.host.clone(),
                "port" => entry.port.map(|p| p.to_string()).unwrap_or_default(),
                "status" => Status::NotScanned.to_string(),
                "detail" => "no shard report has this inventory row".into(),
                "line" => entry.line.to_string(),
                _ => String::new(),
            }
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
