//! The exposure report: one `Row` per inventory row, written as CSV, JSON
//! Lines or an aligned terminal table, generic over `io::Write`; cells that
//! may carry server text are neutralised for spreadsheets and terminals.

pub mod baseline;
mod output;
pub mod read;
mod text;

use crate::assess::{Status, Verdict};
use crate::cli::Format;
use anyhow::Result;
pub use output::Output;
use std::io::Write;
pub use text::{neutralise_formula, printable, write_aligned};

/// The contract's columns and `line`, in order; then `change` (with a
/// baseline) and the inventory's pass-through columns.
pub const COLUMNS: [&str; 16] = [
    "host",
    "port",
    "status",
    "cves",
    "product",
    "cu",
    "build",
    "precision",
    "source",
    "fixed_build",
    "detail",
    "tls",
    "fe_servers",
    "checked_at",
    "table",
    "line",
];

/// One report row.
#[derive(Debug, Clone)]
pub struct Row {
    pub host: String,
    pub port: Option<u16>,
    pub verdict: Verdict,
    /// `verified`, `unverified: REASON`, `plain-http`, or empty when nothing was probed.
    pub tls: String,
    pub fe_servers: Vec<String>,
    pub checked_at: jiff::Timestamp,
    pub table: String,
    /// The inventory line (or `check` input) the row comes from.
    pub line: Option<u64>,
    /// How the status moved since `--baseline`, when one was given.
    pub change: Option<baseline::Change>,
    /// Inventory columns passed through, in inventory order.
    pub extras: Vec<String>,
}

impl Row {
    pub fn status(&self) -> Status {
        self.verdict.status
    }

    /// The contract's cells, as text.
    pub fn cells(&self) -> [String; 16] {
        let v = &self.verdict;
        let opt = |o: Option<String>| o.unwrap_or_default();
        [
            self.host.clone(),
            opt(self.port.map(|p| p.to_string())),
            v.status.to_string(),
            v.cves.join(";"),
            opt(v.product.map(|p| p.to_string())),
            opt(v.cu.clone()),
            opt(v.build.map(|b| b.to_string())),
            opt(v.precision().map(|p| p.as_str().to_string())),
            v.sources.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("+"),
            opt(v.fixed_build.map(|b| b.to_string())),
            v.detail.clone(),
            self.tls.clone(),
            self.fe_servers.join(";"),
            self.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            self.table.clone(),
            opt(self.line.map(|l| l.to_string())),
        ]
    }
}

/// Writes rows in one format. `extra_columns` are the inventory's own columns.
pub struct Writer<W: Write> {
    sink: Sink<W>,
    with_change: bool,
    extra_columns: Vec<String>,
}

enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Jsonl(W),
    Table(W, Vec<[String; 5]>),
}

impl<W: Write> Writer<W> {
    /// `with_change` adds the `change` column (a run with `--baseline`).
    pub fn new(out: W, format: Format, with_change: bool, extra_columns: Vec<String>) -> Result<Writer<W>> {
        let sink = match format {
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(out);
                let change = with_change.then_some("change");
                csv.write_record(
                    COLUMNS.iter().copied().chain(change).chain(extra_columns.iter().map(String::as_str)),
                )?;
                csv.flush()?;
                Sink::Csv(Box::new(csv))
            }
            Format::Jsonl => Sink::Jsonl(out),
            Format::Table => Sink::Table(out, Vec::new()),
        };
        Ok(Writer { sink, with_change, extra_columns })
    }

    /// Writes one row; CSV and JSONL rows reach the output at once.
    pub fn write(&mut self, row: &Row) -> Result<()> {
        let cells = row.cells();
        let change = self.with_change.then(|| row.change.map(|c| c.as_str()).unwrap_or("").to_string());
        match &mut self.sink {
            Sink::Csv(csv) => {
                let safe = cells.iter().map(|c| neutralise_formula(c));
                csv.write_record(safe.chain(change).chain(row.extras.iter().cloned()))?;
                csv.flush()?;
            }
            Sink::Jsonl(out) => {
                let mut obj = serde_json::Map::new();
                for (name, cell) in COLUMNS.iter().zip(cells) {
                    obj.insert((*name).into(), cell.into());
                }
                if let Some(change) = change {
                    obj.insert("change".into(), change.into());
                }
                for (name, cell) in self.extra_columns.iter().zip(&row.extras) {
                    obj.entry(name.clone()).or_insert_with(|| cell.clone().into());
                }
                serde_json::to_writer(&mut *out, &obj)?;
                out.write_all(b"\n")?;
            }
            Sink::Table(_, rows) => {
                let [host, _, status, _, product, cu, build, _, _, fixed, detail, ..] = cells;
                let product = format!("{product} {cu}").trim().to_string();
                let what = if host.is_empty() { build } else { format!("{host} {build}") };
                rows.push([what, status, product, fixed, detail].map(|c| printable(&c)));
            }
        }
        Ok(())
    }

    /// Writes what is pending and flushes (the csv writer would swallow a
    /// flush error on drop); returns the output.
    pub fn finish(self) -> Result<W> {
        let mut out = match self.sink {
            Sink::Csv(csv) => csv.into_inner().map_err(|e| e.into_error())?,
            Sink::Jsonl(out) => out,
            Sink::Table(mut out, rows) => {
                write_aligned(&mut out, &["build", "status", "product", "needs", "detail"], &rows)?;
                out
            }
        };
        out.flush()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
