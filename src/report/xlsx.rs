//! The spreadsheet report (`--format xlsx`, `-o FILE.xlsx`; issue 15),
//! written with rust_xlsxwriter: a Summary sheet (rows by status, by
//! product and CU, the hosts that need action with the build each needs,
//! the accepted risks), a Hosts sheet with every row and every column —
//! typed cells (numbers as numbers, dates as dates), a frozen header, an
//! autofilter, the status coloured — and a Provenance sheet. Every text
//! cell is written as a string, so a spreadsheet never runs one as a
//! formula (no `'` guard is needed: the cell type says it is text).

use super::format::{Exporter, Start};
use super::provenance::Run;
use super::schema::{Column, Key, Kind, Schema};
use crate::assess::Status;
use anyhow::Result;
use rust_xlsxwriter::{Color, ExcelDateTime, Format, Workbook, Worksheet};
use std::collections::BTreeMap;
use std::io::Write;

/// The most rows a sheet holds, less its header.
const MAX_SHEET_ROWS: usize = 1_048_575;

/// The workbook being built: every row's cells, by the report's columns.
pub struct Book {
    schema: Schema,
    rows: Vec<Vec<String>>,
    total: usize,
    run: Option<Run>,
}

/// A status's fill colour on the Hosts sheet.
fn fill(status: Status) -> Option<u32> {
    match status {
        Status::Vulnerable => Some(0xF4C7C3),
        Status::Ambiguous | Status::SuUnknown | Status::ConfigUnknown => Some(0xFCE8B2),
        Status::Patched | Status::NotAffected => Some(0xB7E1CD),
        Status::UnknownBuild | Status::Undetermined => Some(0xD9D2E9),
        _ => None,
    }
}

impl Book {
    /// A workbook whose Hosts sheet has the schema's columns, in order.
    pub fn new(schema: Schema, run: Option<Run>) -> Book {
        Book { schema, rows: Vec::new(), total: 0, run }
    }

    /// Adds a row given as the schema's cells.
    pub fn add(&mut self, cells: &[String]) {
        self.total += 1;
        if self.rows.len() < MAX_SHEET_ROWS {
            self.rows.push(cells.to_vec());
        }
    }

    /// Writes the workbook to `out`.
    pub fn write(&self, out: &mut impl Write) -> Result<()> {
        let mut book = Workbook::new();
        self.summary(book.add_worksheet().set_name("Summary")?)?;
        self.hosts(book.add_worksheet().set_name("Hosts")?)?;
        self.provenance(book.add_worksheet().set_name("Provenance")?)?;
        out.write_all(&book.save_to_buffer()?)?;
        Ok(())
    }

    fn cell<'a>(&self, row: &'a [String], column: Column) -> &'a str {
        self.schema.own(row, column)
    }

    fn accepted<'a>(&self, row: &'a [String]) -> &'a str {
        self.schema.get(row, &Key::Accepted)
    }

    /// A row's host (`host:port`), or its line when it has none.
    fn host(&self, row: &[String]) -> String {
        match (self.cell(row, Column::Host), self.cell(row, Column::Port)) {
            ("", _) => format!("(line {})", self.cell(row, Column::Line)),
            (host, "") => host.to_string(),
            (host, port) => format!("{host}:{port}"),
        }
    }

    fn summary(&self, sheet: &mut Worksheet) -> Result<()> {
        let bold = Format::new().set_bold();
        let mut by_status: BTreeMap<Status, usize> = BTreeMap::new();
        let mut by_product: BTreeMap<String, usize> = BTreeMap::new();
        for row in &self.rows {
            let status = Status::parse(self.cell(row, Column::Status)).unwrap_or(Status::Undetermined);
            *by_status.entry(status).or_default() += 1;
            let product =
                format!("{} {}", self.cell(row, Column::Product), self.cell(row, Column::Cu)).trim().to_string();
            if !product.is_empty() {
                *by_product.entry(product).or_default() += 1;
            }
        }
        sheet.set_column_width(0, 34)?;
        sheet.set_column_width(1, 14)?;
        sheet.set_column_width(2, 22)?;
        sheet.set_column_width(3, 16)?;
        sheet.set_column_width(4, 16)?;
        sheet.set_column_width(5, 60)?;
        let mut r: u32 = 0;
        sheet.write_string_with_format(r, 0, "Exchange exposure report", &bold)?;
        sheet.write_string(r, 1, format!("{} rows", self.total))?;
        r += 2;
        sheet.write_string_with_format(r, 0, "status", &bold)?;
        sheet.write_string_with_format(r, 1, "rows", &bold)?;
        for (status, n) in &by_status {
            r += 1;
            sheet.write_string(r, 0, status.as_str())?;
            sheet.write_number(r, 1, *n as f64)?;
        }
        r += 2;
        sheet.write_string_with_format(r, 0, "product and CU", &bold)?;
        sheet.write_string_with_format(r, 1, "rows", &bold)?;
        for (product, n) in &by_product {
            r += 1;
            sheet.write_string(r, 0, product.as_str())?;
            sheet.write_number(r, 1, *n as f64)?;
        }
        r += 2;
        let header = ["hosts that need action", "status", "product", "build", "needs", "what to do"];
        for (c, h) in header.iter().enumerate() {
            sheet.write_string_with_format(r, c as u16, *h, &bold)?;
        }
        // The same hosts as the HTML page's "Hosts that need action".
        let needs_action = super::html::needs_action;
        for row in &self.rows {
            let status = Status::parse(self.cell(row, Column::Status)).unwrap_or(Status::Undetermined);
            if !needs_action(status) || !self.accepted(row).is_empty() {
                continue;
            }
            r += 1;
            let product = format!("{} {}", self.cell(row, Column::Product), self.cell(row, Column::Cu));
            let cells = [
                self.host(row),
                status.to_string(),
                product.trim().to_string(),
                self.cell(row, Column::Build).to_string(),
                self.cell(row, Column::FixedBuild).to_string(),
                self.cell(row, Column::Detail).to_string(),
            ];
            for (c, text) in cells.iter().enumerate() {
                sheet.write_string(r, c as u16, text.as_str())?;
            }
        }
        if self.rows.iter().any(|row| !self.accepted(row).is_empty()) {
            r += 2;
            for (c, h) in ["accepted risks", "status", "build", "accepted"].iter().enumerate() {
                sheet.write_string_with_format(r, c as u16, *h, &bold)?;
            }
            for row in self.rows.iter().filter(|row| !self.accepted(row).is_empty()) {
                r += 1;
                sheet.write_string(r, 0, self.host(row))?;
                sheet.write_string(r, 1, self.cell(row, Column::Status))?;
                sheet.write_string(r, 2, self.cell(row, Column::Build))?;
                sheet.write_string(r, 3, self.accepted(row))?;
            }
        }
        Ok(())
    }

    fn hosts(&self, sheet: &mut Worksheet) -> Result<()> {
        let bold = Format::new().set_bold().set_background_color(Color::RGB(0xEEEEEE));
        let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        let date = Format::new().set_num_format("yyyy-mm-dd");
        for (c, (name, key)) in self.schema.columns().iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, name.as_str(), &bold)?;
            let width = match key {
                Key::Own(Column::Detail | Column::OpenCves | Column::Support) | Key::Accepted => 50.0,
                Key::Own(Column::Host | Column::CheckedAt | Column::Table | Column::Tls) => 22.0,
                _ => 14.0,
            };
            sheet.set_column_width(c as u16, width)?;
        }
        for (i, row) in self.rows.iter().enumerate() {
            let r = i as u32 + 1;
            for (c, ((_, key), text)) in self.schema.columns().iter().zip(row).enumerate() {
                let c = c as u16;
                if text.is_empty() {
                    continue;
                }
                let kind = key.kind();
                if kind == Kind::PassThrough {
                    sheet.write_string(r, c, text.as_str())?;
                } else if kind == Kind::Number
                    && let Ok(n) = text.parse::<u64>()
                {
                    sheet.write_number(r, c, n as f64)?;
                } else if kind == Kind::DateTime
                    && text.len() == "2026-01-01T00:00:00Z".len()
                    && let Ok(t) = ExcelDateTime::parse_from_str(text)
                {
                    sheet.write_datetime_with_format(r, c, &t, &datetime)?;
                } else if kind == Kind::Date
                    && text.len() == "2026-01-01".len()
                    && let Ok(d) = ExcelDateTime::parse_from_str(text)
                {
                    sheet.write_datetime_with_format(r, c, &d, &date)?;
                } else if *key == Key::Own(Column::Status)
                    && let Some(rgb) = Status::parse(text).and_then(fill)
                {
                    sheet.write_string_with_format(
                        r,
                        c,
                        text.as_str(),
                        &Format::new().set_background_color(Color::RGB(rgb)),
                    )?;
                } else {
                    sheet.write_string(r, c, text.as_str())?;
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        let last_col = self.schema.columns().len().saturating_sub(1) as u16;
        sheet.autofilter(0, 0, self.rows.len() as u32, last_col)?;
        Ok(())
    }

    fn provenance(&self, sheet: &mut Worksheet) -> Result<()> {
        let bold = Format::new().set_bold();
        sheet.set_column_width(0, 18)?;
        sheet.set_column_width(1, 100)?;
        sheet.write_string_with_format(0, 0, "field", &bold)?;
        sheet.write_string_with_format(0, 1, "value", &bold)?;
        let Some(run) = &self.run else {
            sheet.write_string(1, 0, "(not recorded)")?;
            return Ok(());
        };
        for (i, (name, value)) in run.fields(Some(jiff::Timestamp::now())).into_iter().enumerate() {
            let r = i as u32 + 1;
            sheet.write_string(r, 0, name)?;
            match value {
                Some(v) if name == "inventory_lines" => sheet.write_number(r, 1, v.parse::<f64>().unwrap_or(0.0))?,
                Some(v) => sheet.write_string(r, 1, v)?,
                None => sheet.write_string(r, 1, "(none)")?,
            };
        }
        Ok(())
    }
}

/// The XLSX writer: every row is kept, and the workbook written whole at the end.
pub struct Xlsx<W: Write> {
    out: W,
    book: Box<Book>,
}

impl<W: Write> Xlsx<W> {
    /// A workbook with no rows yet.
    pub fn new(out: W, start: Start<'_>) -> Xlsx<W> {
        Xlsx { out, book: Box::new(Book::new(start.schema.clone(), start.run.cloned())) }
    }
}

impl<W: Write> Exporter<W> for Xlsx<W> {
    fn row(&mut self, cells: &[String]) -> Result<()> {
        self.book.add(cells);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<W> {
        let Xlsx { mut out, book } = *self;
        book.write(&mut out)?;
        Ok(out)
    }
}
