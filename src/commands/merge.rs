//! `merge`: shard reports (from `scan --shard K/N`) joined into one report
//! in inventory order, cells taken by column name, in `--format` (default:
//! the shards' own). Shards that do not belong together are refused first
//! (`shards`). A row no shard report has is written as `not-scanned`, and
//! the exit status is then 2, naming the missing shard.

use crate::Outcome;
use crate::assess::{self, Status};
use crate::config::Format;
use crate::config::{Config, Rows, Seen};
use crate::inventory::{self, Entry};
use crate::report::read::{ReadReport, read_report_raw};
use crate::report::{neutralise_formula, outputs, unneutralise};
use anyhow::{Context, Result, bail, ensure};
use std::collections::HashMap;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

pub fn merge(
    config: &Config,
    inventory: &str,
    host_column: Option<&str>,
    reports: &[PathBuf],
    output: &[String],
) -> Result<Outcome> {
    let inputs: Vec<&Path> =
        std::iter::once(Path::new(inventory)).chain(reports.iter().map(PathBuf::as_path)).collect();
    crate::report::remove_on_signal()?;
    // The shards' own format is known only once they are read: stdout and
    // paths without an extension take it then.
    let mut planned = outputs::plan(output, config.format, Format::Csv)?;
    outputs::check(&planned, &inputs)?;
    let opened = outputs::open(&planned, &inputs)?;
    let file = std::fs::File::open(inventory).with_context(|| format!("cannot open inventory {inventory}"))?;
    let reader = inventory::Reader::with_host_column(Box::new(BufReader::new(file)), host_column)?;
    let extra_names = crate::report::pass_through_names(&reader.extra_columns);
    // Ranges expand as `scan` expands them (without --allow-large).
    let entries: Vec<Entry> = reader
        .map(|e| e.map(|e| crate::targets::Expand::default().entry(e)))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let (sha256, lines) = crate::report::provenance::fingerprint(Path::new(inventory))?;
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
    let pairs: Vec<(&Path, &ReadReport)> = read.iter().map(|(p, r, _)| (p.as_path(), r)).collect();
    let shards = super::shards::check(&pairs, &sha256, lines)?;
    let missing_shards = missing_shards(&entries, &shards);
    // The merged report is the whole inventory's: no shard provenance.
    let columns: Vec<String> =
        first.columns.iter().filter(|c| !crate::report::provenance::COLUMNS.contains(&c.as_str())).cloned().collect();
    let run = crate::report::provenance::Run::now(config, Some(Path::new(inventory)))?;
    let shape = Shape { columns: &columns, extra_names: &extra_names, csv_input: !*jsonl, run: Some(run) };
    let merged = join(&entries, read.iter().map(|(_, r, _)| r), &shape)?;
    let missing = merged.missing;
    let shards_format = config.format.unwrap_or(if *jsonl { Format::Jsonl } else { Format::Csv });
    for p in
        planned.iter_mut().filter(|p| p.path.as_deref().is_none_or(|path| outputs::format_of_extension(path).is_none()))
    {
        p.format = shards_format;
    }
    let mut written = Vec::with_capacity(opened.len());
    for ((mut out, _), p) in opened.into_iter().zip(&planned) {
        write_rows(&mut out, &shape, &merged.rows, p.format)?;
        written.push(out);
    }
    let place = outputs::commit_all(written)?;
    if !config.quiet {
        eprintln!(
            "{} rows merged from {} reports into {place}; {missing} rows missing from every report",
            merged.rows.len(),
            reports.len()
        );
    }
    for (k, n, rows) in &missing_shards {
        eprintln!("exchange-exposure: shard {k}/{n} is missing ({rows} inventory rows): its rows are not-scanned");
    }
    // The overall status and, with several advisories, each one's.
    let status_columns: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| *c == "status" || c.starts_with("status_"))
        .map(|(i, _)| i)
        .collect();
    let statuses = merged.rows.iter().flat_map(|r| status_columns.iter().filter_map(|&i| Status::parse(&r[i])));
    Ok(config.outcome(&Seen::statuses(statuses), missing > 0 || !missing_shards.is_empty(), Rows::Required))
}

/// Shards K/N that own inventory rows but that no report is: (K, N, rows).
fn missing_shards(entries: &[Entry], shards: &super::shards::Shards) -> Vec<(u64, u64, usize)> {
    let Some(count) = shards.count else { return Vec::new() };
    (0..count)
        .filter(|k| !shards.by_index.contains_key(k))
        .map(|index| {
            let shard = crate::shard::Shard { index, count };
            (index, count, entries.iter().filter(|e| shard.has(e)).count())
        })
        .filter(|(_, _, rows)| *rows > 0)
        .collect()
}

struct Merged {
    rows: Vec<Vec<String>>,
    missing: usize,
}

/// The merged report's columns (the first report's order, provenance
/// dropped), which of them are the inventory's pass-through columns, and
/// whether the reports are CSV (cells formula-guarded as written).
struct Shape<'a> {
    columns: &'a [String],
    extra_names: &'a [String],
    csv_input: bool,
    /// How the merge was made, for the HTML provenance section.
    run: Option<crate::report::provenance::Run>,
}

/// The reports' rows in inventory order, matched by inventory line, each
/// cell taken by its column's name; a missing row is made from the
/// inventory entry. The rows of a CIDR range share its line (and shards
/// split them by address), so where the inventory has several rows on one
/// line they are told apart by host and port.
fn join<'a>(entries: &[Entry], reports: impl Iterator<Item = &'a ReadReport>, shape: &Shape) -> Result<Merged> {
    let column = |name: &str| {
        shape.columns.iter().position(|c| c == name).with_context(|| format!("the reports have no {name:?} column"))
    };
    let (host_at, port_at) = (column("host")?, column("port")?);
    let mut per_line: HashMap<String, usize> = HashMap::new();
    for entry in entries {
        *per_line.entry(entry.line.to_string()).or_default() += 1;
    }
    let mut by_line: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    for report in reports {
        let line_at = report.column("line")?;
        // Where each of the merged columns is in this report.
        let at: Vec<usize> = shape.columns.iter().map(|c| report.column(c)).collect::<Result<_>>()?;
        for row in &report.rows {
            // Plain text: a CSV cell's formula guard comes off, and goes back on as written.
            let plain = |c: &String| if shape.csv_input { unneutralise(c).to_string() } else { c.clone() };
            let cells = at.iter().map(|&i| plain(&row[i])).collect();
            let rows = by_line.entry(row[line_at].clone()).or_default();
            rows.push(cells);
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
                missing_row(entry, shape)
            })
        })
        .collect();
    Ok(Merged { rows, missing })
}

/// A `not-scanned` row for an inventory entry no report has, by column name.
fn missing_row(entry: &Entry, shape: &Shape) -> Vec<String> {
    let verdict = assess::not_scanned("no shard report has this inventory row");
    shape
        .columns
        .iter()
        .map(|c| {
            if let Some(i) = shape.extra_names.iter().position(|n| n == c) {
                return entry.extras.get(i).cloned().unwrap_or_default();
            }
            match c.as_str() {
                "host" => entry.host.clone(),
                "port" => entry.port.map(|p| p.to_string()).unwrap_or_default(),
                "status" => verdict.status.to_string(),
                "detail" => verdict.detail.clone(),
                "line" => entry.line.to_string(),
                _ => String::new(),
            }
        })
        .collect()
}

/// Writes the merged rows (plain text) in `format`: CSV formula-guarded,
/// JSON Lines typed, or the HTML page.
fn write_rows(out: &mut impl Write, shape: &Shape, rows: &[Vec<String>], format: Format) -> Result<()> {
    let columns = shape.columns;
    match format {
        Format::Jsonl => {
            for row in rows {
                let cells = columns.iter().map(String::as_str).zip(row.iter().map(String::as_str));
                let obj = crate::report::jsonl::object(cells, shape.extra_names);
                serde_json::to_writer(&mut *out, &obj)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(&mut *out);
            csv.write_record(columns)?;
            for row in rows {
                csv.write_record(row.iter().map(|c| neutralise_formula(c)))?;
            }
            csv.flush()?;
        }
        Format::Html => {
            let mut page = crate::report::html::Page::new(columns.to_vec(), shape.run.clone());
            for row in rows {
                let get =
                    |name: &str| columns.iter().position(|c| c == name).map(|i| row[i].clone()).unwrap_or_default();
                page.add_named(&get);
            }
            page.write(out)?;
        }
        Format::Xlsx => {
            let mut book =
                crate::report::xlsx::Book::new(columns.to_vec(), shape.extra_names.to_vec(), shape.run.clone());
            for row in rows {
                let get =
                    |name: &str| columns.iter().position(|c| c == name).map(|i| row[i].clone()).unwrap_or_default();
                book.add_named(&get);
            }
            book.write(out)?;
        }
        Format::Table => bail!("merge writes csv, jsonl, html or xlsx"),
    }
    out.flush().map_err(|e: io::Error| e.into())
}
