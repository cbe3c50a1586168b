//! `merge`: shard reports (from `scan --shard K/N`) joined into one report
//! in inventory order, cells taken by column name, in `--format` (default:
//! the shards' own). Shards that do not belong together are refused first
//! (`shards`). A row no shard report has is written as `not-scanned`, and
//! the exit status is then 2, naming the missing shard. The reports are
//! read back through the report's schema (`Schema::read`): a column is the
//! report's own or the inventory's by its name, never by its position or a
//! prefix, and the merged rows are written by the same format writers as a
//! scan's.

use crate::Outcome;
use crate::assess::{self, Status};
use crate::config::{Config, Rows};
use crate::inventory::{self, Entry};
use crate::report::read::{ReadReport, read_report_raw};
use crate::report::schema::{Column, Key, Schema};
use crate::report::summary::Seen;
use crate::report::{Format, Layout, Output, format::Start, outputs};
use crate::sanitize::unneutralise;
use anyhow::{Context, Result, bail, ensure};
use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

/// `merge`: joins the shard `reports` of `inventory` (its host column
/// `host_column`, as the scan had it) into the reports `output` names; the
/// outcome decides the exit status.
pub fn merge(
    config: &Config,
    inventory: &str,
    host_column: Option<&str>,
    reports: &[PathBuf],
    output: &[String],
) -> Result<Outcome> {
    let inputs: Vec<&Path> = config
        .input_files()
        .into_iter()
        .chain(std::iter::once(Path::new(inventory)))
        .chain(reports.iter().map(PathBuf::as_path))
        .collect();
    super::runtime::remove_partial_reports_on_signal()?;
    // The shards' own format is known only once they are read: stdout and
    // paths without an extension take it then.
    let mut planned = outputs::plan(output, config.format, Format::Csv)?;
    outputs::check(&planned, &inputs)?;
    let opened = outputs::open(&planned, &inputs)?;
    let file = std::fs::File::open(inventory).with_context(|| format!("cannot open inventory {inventory}"))?;
    // Read whole to be joined: an endless file is an error, not a hang.
    let file = crate::bounded::Capped::new(file, crate::report::provenance::MAX_INVENTORY);
    let reader = inventory::Reader::with_host_column(Box::new(BufReader::new(file)), host_column)
        .with_context(|| format!("inventory {inventory}"))?;
    let extra_names = crate::report::pass_through_names(&reader.extra_columns);
    // Ranges expand as `scan` expands them (without --allow-large).
    let entries: Vec<Entry> = reader
        .map(|e| e.map(|e| crate::inventory::Expand::default().entry(e)))
        .collect::<Result<Vec<_>>>()
        .with_context(|| format!("inventory {inventory}"))?
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
    let schema = Schema::read(&columns, &extra_names);
    let run = crate::report::provenance::Run::now(
        config.table_ids(),
        config.data.catalog_date(),
        Some(Path::new(inventory)),
    )?;
    let shape = Shape { schema: &schema, csv_input: !*jsonl, run: Some(run) };
    let merged = join(&entries, read.iter().map(|(p, r, _)| (p.as_path(), r)), &shape)?;
    let missing = merged.missing;
    let shards_format = config.format.unwrap_or(if *jsonl { Format::Jsonl } else { Format::Csv });
    for p in planned.iter_mut().filter(|p| p.path.as_deref().is_none_or(|path| Format::of_extension(path).is_none())) {
        p.format = shards_format;
    }
    let mut written = Vec::with_capacity(opened.len());
    for ((out, _), p) in opened.into_iter().zip(&planned) {
        written.push(write_rows(out, &shape, &merged.rows, p.format, &config.layout(false, Vec::new()))?);
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
    let status_columns: Vec<usize> = schema
        .columns()
        .iter()
        .enumerate()
        .filter(|(_, (_, key))| matches!(key, Key::Own(Column::Status) | Key::AdvisoryStatus(_)))
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
/// dropped; the schema knows which are the inventory's pass-through
/// columns), and whether the reports are CSV (cells formula-guarded as written).
struct Shape<'a> {
    schema: &'a Schema,
    csv_input: bool,
    /// How the merge was made, for the HTML provenance section.
    run: Option<crate::report::provenance::Run>,
}

/// The reports' rows in inventory order, matched by inventory line, each
/// cell taken by its column's name; a missing row is made from the
/// inventory entry. The rows of a CIDR range share its line (and shards
/// split them by address), so where the inventory has several rows on one
/// line they are told apart by host and port.
/// A shard row for a line the inventory lacks, or one more row for a line
/// than the inventory has there (a row that would replace another), is
/// refused, naming the shard and the line: a merge never drops a row.
fn join<'a>(
    entries: &[Entry],
    reports: impl Iterator<Item = (&'a Path, &'a ReadReport)>,
    shape: &Shape,
) -> Result<Merged> {
    let column = |column: Column| {
        let name = column.name();
        shape.schema.at(&Key::Own(column)).with_context(|| format!("the reports have no {name:?} column"))
    };
    let (host_at, port_at) = (column(Column::Host)?, column(Column::Port)?);
    let mut per_line: HashMap<String, usize> = HashMap::new();
    for entry in entries {
        *per_line.entry(entry.line.to_string()).or_default() += 1;
    }
    let mut by_line: HashMap<String, Vec<(&Path, Vec<String>)>> = HashMap::new();
    for (path, report) in reports {
        let line_at = report.column(Column::Line.name())?;
        // Where each of the merged columns is in this report, by name.
        let at: Vec<usize> = shape.schema.names().map(|c| report.column(c)).collect::<Result<_>>()?;
        for row in &report.rows {
            // Plain text: a CSV cell's formula guard comes off, and goes back on as written.
            let plain = |c: &String| if shape.csv_input { unneutralise(c).to_string() } else { c.clone() };
            let cells = at.iter().map(|&i| plain(&row[i])).collect();
            let line = &row[line_at];
            let Some(&expected) = per_line.get(line) else {
                bail!("{}: a row for inventory line {line:?}, which the inventory does not have", path.display());
            };
            let rows = by_line.entry(line.clone()).or_default();
            if let Some((other, _)) = rows.iter().find(|_| rows.len() >= expected) {
                bail!(
                    "{}: a second row for inventory line {line} (also in {}): it would replace the other",
                    path.display(),
                    other.display()
                );
            }
            rows.push((path, cells));
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
                    rows.iter().position(|(_, r)| r[host_at] == entry.host && r[port_at] == port)
                } else {
                    (!rows.is_empty()).then_some(0)
                };
                at.map(|i| rows.swap_remove(i).1)
            });
            found.unwrap_or_else(|| {
                missing += 1;
                missing_row(entry, shape)
            })
        })
        .collect();
    // Rows of a several-row line (a CIDR range) that matched no address of it.
    if let Some((line, (path, row))) = by_line.iter().find_map(|(l, rows)| rows.first().map(|r| (l, r))) {
        bail!(
            "{}: a row for inventory line {line} ({}:{}) that no inventory row of that line has",
            path.display(),
            row[host_at],
            row[port_at]
        );
    }
    Ok(Merged { rows, missing })
}

/// A `not-scanned` row for an inventory entry no report has, by column.
fn missing_row(entry: &Entry, shape: &Shape) -> Vec<String> {
    let verdict = assess::not_scanned("no shard report has this inventory row");
    shape
        .schema
        .columns()
        .iter()
        .map(|(_, key)| match key {
            Key::PassThrough(i) => entry.extras.get(*i).cloned().unwrap_or_default(),
            Key::Own(Column::Host) => entry.host.clone(),
            Key::Own(Column::Port) => entry.port.map(|p| p.to_string()).unwrap_or_default(),
            Key::Own(Column::Status) => verdict.status.to_string(),
            Key::Own(Column::Detail) => verdict.detail.clone(),
            Key::Own(Column::Line) => entry.line.to_string(),
            _ => String::new(),
        })
        .collect()
}

/// Writes the merged rows (plain text) in `format` with the format's own
/// writer (CSV formula-guarded, JSON Lines typed, the HTML page, the
/// workbook); returns the output, flushed.
fn write_rows(out: Output, shape: &Shape, rows: &[Vec<String>], format: Format, layout: &Layout) -> Result<Output> {
    if format == Format::Table {
        let names: Vec<&str> = Format::ALL.iter().filter(|f| **f != Format::Table).map(|f| f.name()).collect();
        bail!("merge writes {}", names.join(", "));
    }
    let start = Start {
        schema: shape.schema,
        run: shape.run.as_ref(),
        provenance_record: false,
        advisories: &layout.judged,
        fail_on: &layout.fail_on,
    };
    let mut exporter = format.open(out, start)?;
    for row in rows {
        exporter.row(row)?;
    }
    let mut out = exporter.finish()?;
    out.flush()?;
    Ok(out)
}
