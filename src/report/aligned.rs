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
    rows: Vec<[String; 6]>,
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
        let row = [host, build, status, product, own(Column::FixedBuild), own(Column::Detail)];
        self.rows.push(row.map(|c| printable(&c)));
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<W> {
        let Aligned { mut out, rows, .. } = *self;
        // A host column, padded like the others, when any row has a host
        // (`scan`, `headers`); builds alone (`check`) need none.
        if rows.iter().any(|r| !r[0].is_empty()) {
            write_aligned(&mut out, &["host", "build", "status", "product", "needs", "detail"], &rows)?;
        } else {
            let rows: Vec<[String; 5]> = rows.into_iter().map(|[_, b, s, p, n, d]| [b, s, p, n, d]).collect();
            write_aligned(&mut out, &["build", "status", "product", "needs", "detail"], &rows)?;
        }
        Ok(out)
    }
}
