//! `table`: print the fixed-build tables in use (`--advisory`), as CSV that
//! `--table` can load back, JSON Lines, or aligned columns on a terminal.

use crate::Outcome;
use crate::config::Config;
use crate::report;
use crate::report::Format;
use crate::table::Table;
use anyhow::Result;
use std::io::{self, IsTerminal, Write};

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
        write_table(&mut out, t, format, &catalog_line(&config.data))?;
    }
    out.flush()?;
    Ok(Outcome::Clean)
}

/// The release catalog's size and newest release date: how current the tool's data is.
fn catalog_line(data: &crate::dataset::DataSet) -> String {
    let newest = crate::catalog::newest_release(&data.releases).map(|r| r.date.as_str()).unwrap_or("none");
    format!("release catalog: {} releases, newest release {newest}", data.releases.len())
}

/// One table, in `format`: CSV, JSON Lines or aligned columns (the report-only
/// formats are refused: a table is no report).
fn write_table(out: &mut impl Write, t: &Table, format: Format, catalog: &str) -> Result<()> {
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
        Format::Table => {
            writeln!(out, "advisory {}: table {} ({} rows), {}", t.advisory, t.id, t.rows.len(), t.update)?;
            writeln!(out, "{}", catalog)?;
            report::write_aligned(out, &header, &rows)?;
        }
        Format::Csv => {
            writeln!(out, "# table: {}\n# update: {}\n# id: {}", t.name, t.update, t.id)?;
            if let Some(step) = &t.config {
                writeln!(out, "# config: {step}")?;
            }
            writeln!(out, "# {}", catalog)?;
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
        // A fixed-build table is no report: the report-only formats (HTML,
        // XLSX, and any added later) are refused here without naming each.
        other => anyhow::bail!("the table has no {} form; use --format csv, jsonl or table", other.name()),
    }
    Ok(())
}

/// The format asked for, or by default an aligned table on a terminal and
/// CSV when piped.
fn terminal_or_csv(config: &Config, stdout: &io::Stdout) -> Format {
    config.format.unwrap_or(if stdout.is_terminal() { Format::Table } else { Format::Csv })
}
