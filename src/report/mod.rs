//! The exposure report: one typed [`Row`] per inventory row (`row.rs`), one
//! [`Schema`] — the single list of columns — that turns rows into cells
//! (`schema.rs`), and one writer per [`Format`] behind the
//! [`format::Exporter`] trait (`csv_writer.rs`, `jsonl.rs`, `aligned.rs`,
//! `html.rs`, `xlsx.rs`, `defectdojo.rs`, `junit.rs`), generic over `io::Write`. Also: several outputs at
//! once (`outputs.rs`), where a report goes (`output.rs`), reading reports
//! back by column name (`read.rs`), the baseline (`baseline.rs`) and
//! provenance (`provenance.rs`). Cells that may carry server text are
//! capped (`text.rs`) and neutralised for spreadsheets, terminals and
//! browsers by each writer, with the guards of `crate::sanitize`. This
//! module imports neither the command line nor the configuration nor the
//! prober: callers hand it plain values.

mod aligned;
pub mod baseline;
mod csv_writer;
pub mod defectdojo;
pub mod format;
pub mod html;
pub mod jsonl;
pub mod junit;
mod output;
pub mod outputs;
pub mod provenance;
pub mod read;
mod row;
pub mod schema;
pub mod summary;
mod text;
pub mod xlsx;

use anyhow::Result;
pub use format::Format;
pub use output::{Output, remove_partial_files};
pub use row::{Accepted, Row};
pub use schema::{COLUMNS, Column, Schema, pass_through_names};
use std::io::Write;
pub use text::{cap_cell, cap_detail, write_aligned};

/// Writes rows in one format: each typed `Row` becomes the schema's cells,
/// which the format's `Exporter` writes.
pub struct Writer<W: Write> {
    schema: Schema,
    exporter: Box<dyn format::Exporter<W>>,
}

/// The columns a report has beyond `COLUMNS`, and how the run was made:
/// `Schema::of` turns it into the report's columns.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Advisory ids when several are judged: `status_ID`, `cves_ID` each.
    pub advisories: Vec<String>,
    /// A `change` column (`--baseline`).
    pub change: bool,
    /// An `accepted` column (`--accept`).
    pub accepted: bool,
    /// The inventory's pass-through columns, as the inventory names them.
    pub extras: Vec<String>,
    /// With `scan --shard`: what the report was made from, on every row.
    pub provenance: Option<provenance::Provenance>,
    /// How the run was made: the HTML and XLSX provenance sections.
    pub run: Option<provenance::Run>,
    /// `--provenance`: JSON Lines starts with a `{"type":"provenance",...}` record.
    pub jsonl_provenance: bool,
    /// Every advisory id judged, the first leading (DefectDojo, JUnit).
    pub judged: Vec<String>,
    /// The `--fail-on` statuses by name (JUnit's failures).
    pub fail_on: Vec<String>,
}

impl<W: Write + 'static> Writer<W> {
    /// Opens a report in `format` on `out`, with the columns `layout` says
    /// (writing what comes first, such as the CSV header).
    pub fn new(out: W, format: Format, layout: Layout) -> Result<Writer<W>> {
        let schema = Schema::of(&layout);
        let start = format::Start {
            schema: &schema,
            run: layout.run.as_ref(),
            provenance_record: layout.jsonl_provenance,
            advisories: &layout.judged,
            fail_on: &layout.fail_on,
        };
        let exporter = format.open(out, start)?;
        Ok(Writer { schema, exporter })
    }

    /// Writes one row; CSV and JSONL rows reach the output at once.
    pub fn write(&mut self, row: &Row) -> Result<()> {
        self.exporter.row(&self.schema.cells(row))
    }

    /// Writes what is pending and flushes (the csv writer would swallow a
    /// flush error on drop); returns the output.
    pub fn finish(self) -> Result<W> {
        let mut out = self.exporter.finish()?;
        out.flush()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
