//! The aligned table (`--format table`, `check` on a terminal): what a
//! reader at a terminal needs — host and build, status (marked when an
//! acceptance covers it), product, the build needed, the detail — in
//! left-aligned columns, every control character replaced. Rows are kept
//! until the end, to measure the columns.

use super::format::{Exporter, Start};
use super::schema::{Column, Key, Schema};
use super::write_aligned;
use crate::sanitize::printable;
use anyhow::Result;
use std::io::Write;

/// The aligned-table writer.
pub struct Aligned<W: Write> {
    out: W,
    schema: Schema,
    rows: Vec<[String; 5]>,
}

impl<W: Write> Aligned<W> {
    /// A table with no rows yet.
    pub fn new(out: W, start: Start<'_>) -> Aligned<W> {
        Aligned { out, schema: start.schema.clone(), rows: Vec::new() }
    }
}

impl<W: Write> Exporter<W> for Aligned<W> {
    fn row(&mut self, cells: &[String]) -> Result<()> {
        let own = |c: Column| self.schema.own(cells, c).to_string();
        let (host, build, status) = (own(Column::Host), own(Column::Build), own(Column::Status));
        let product = format!("{} {}", own(Column::Product), own(Column::Cu)).trim().to_string();
        let accepted = !self.schema.get(cells, &Key::Accepted).is_empty();
        let status = if accepted { format!("{status} (accepted)") } else { status };
        let what = if host.is_empty() { build } else { format!("{host} {build}") };
        let row = [what, status, product, own(Column::FixedBuild), own(Column::Detail)];
        self.rows.push(row.map(|c| printable(&c)));
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<W> {
        let Aligned { mut out, rows, .. } = *self;
        // Rows with a host show it before the build (`headers`, scan reports).
        let first = if rows.iter().any(|r| r[0].contains(' ')) { "host build" } else { "build" };
        write_aligned(&mut out, &[first, "status", "product", "needs", "detail"], &rows)?;
        Ok(out)
    }
}
