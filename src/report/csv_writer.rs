//! The CSV report (`--format csv`): the schema's names as the header, then
//! one record per row, every cell formula-guarded (`neutralise_formula`),
//! pass-through ones too. Each row is flushed as it comes.

use super::format::{Exporter, Start};
use crate::sanitize::neutralise_formula;
use anyhow::Result;
use std::io::Write;

/// The CSV writer.
pub struct Csv<W: Write> {
    csv: csv::Writer<W>,
}

impl<W: Write> Csv<W> {
    /// Writes the header.
    pub fn new(out: W, start: Start<'_>) -> Result<Csv<W>> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(start.schema.names())?;
        csv.flush()?;
        Ok(Csv { csv })
    }
}

impl<W: Write> Exporter<W> for Csv<W> {
    fn row(&mut self, cells: &[String]) -> Result<()> {
        // Every cell a spreadsheet shows is guarded, pass-through ones too.
        self.csv.write_record(cells.iter().map(|c| neutralise_formula(c)))?;
        self.csv.flush()?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<W> {
        // `into_inner` flushes, and says so if it cannot (drop would not).
        Ok(self.csv.into_inner().map_err(|e| e.into_error())?)
    }
}
