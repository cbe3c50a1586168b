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
use rust_xlsxwriter::{Color, ExcelDateTime, Format, Workbook};
use std::collections::BTreeMap;
use std::io::Write;

/// The most rows a sheet holds, less its header.
const MAX_SHEET_ROWS: usize = 1_048_575;

/// The most characters a cell holds (Excel's limit).
const MAX_CELL: usize = 32_767;

/// The most rows the Summary lists by name in each of its host lists; the
/// counts above them cover every row.
const MAX_LISTED: usize = 10_000;

/// The text as a cell can hold it: past Excel's 32,767 characters, cut,
/// and the cell says so (the CSV and JSON Lines reports keep it whole).
fn fit(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= MAX_CELL || text.chars().count() <= MAX_CELL {
        return text.into();
    }
    let total = text.chars().count();
    let note = format!(" [cut: {total} characters, more than a cell holds; the CSV and JSONL reports have them all]");
    let keep: String = text.chars().take(MAX_CELL - note.chars().count()).collect();
    (keep + &note).into()
}

/// The Summary's figures, gathered as rows pass (every row, those past
/// the Hosts sheet's capacity too), in memory bounded by `MAX_LISTED`.
#[derive(Default)]
struct Tally {
    total: usize,
    by_status: BTreeMap<Status, usize>,
    by_product: BTreeMap<String, usize>,
    /// host, status, product, build, needs, what to do.
    needs_action: Vec<[String; 6]>,
    needs_action_count: usize,
    /// host, status, build, accepted.
    accepted: Vec<[String; 4]>,
    accepted_count: usize,
    /// Rows the Hosts sheet could not hold: how many, first and last line.
    dropped: usize,
    dropped_lines: Option<(String, String)>,
}

/// The workbook being built: the Hosts sheet written row by row in
/// rust_xlsxwriter's constant-memory mode (each row goes to a temporary
/// file as the next begins), the Summary's figures tallied as rows pass.
pub struct Book {
    schema: Schema,
    /// Rows the Hosts sheet holds (Excel's limit; smaller in tests).
    sheet_rows: usize,
    book: Workbook,
    tally: Tally,
    run: Option<Run>,
    /// The Hosts sheet's status fills, one format per status.
    fills: BTreeMap<Status, Format>,
    datetime: Format,
    date: Format,
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

/// The sheets, in the workbook's order.
const SUMMARY: usize = 0;
const HOSTS: usize = 1;

impl Book {
    /// A workbook whose Hosts sheet has the schema's columns, in order.
    pub fn new(schema: Schema, run: Option<Run>) -> Result<Book> {
        let mut book = Workbook::new();
        book.add_worksheet().set_name("Summary")?;
        book.add_worksheet_with_constant_memory()?.set_name("Hosts")?;
        book.add_worksheet().set_name("Provenance")?;
        let fills = Status::ALL
            .iter()
            .filter_map(|&s| fill(s).map(|rgb| (s, Format::new().set_background_color(Color::RGB(rgb)))))
            .collect();
        let mut me = Book {
            schema,
            sheet_rows: MAX_SHEET_ROWS,
            book,
            tally: Tally::default(),
            run,
            fills,
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
        };
        me.hosts_header()?;
        Ok(me)
    }

    /// Adds a row given as the schema's cells: on the Hosts sheet while it
    /// has room, in the Summary's figures always.
    pub fn add(&mut self, cells: &[String]) -> Result<()> {
        self.tally_row(cells);
        if self.tally.total <= self.sheet_rows {
            self.hosts_row(self.tally.total as u32, cells)?;
        } else {
            self.tally.dropped += 1;
            let line = self.cell(cells, Column::Line).to_string();
            match &mut self.tally.dropped_lines {
                Some((_, last)) => *last = line,
                None => self.tally.dropped_lines = Some((line.clone(), line)),
            }
        }
        Ok(())
    }

    /// Writes the workbook to `out`, through a temporary file (the archive
    /// is never held whole in memory).
    pub fn write(mut self, out: &mut impl Write) -> Result<()> {
        let rows = self.tally.total.min(self.sheet_rows) as u32;
        let last_col = self.schema.columns().len().saturating_sub(1) as u16;
        let hosts = self.book.worksheet_from_index(HOSTS)?;
        hosts.set_freeze_panes(1, 0)?;
        hosts.autofilter(0, 0, rows, last_col)?;
        self.summary()?;
        self.provenance()?;
        let mut file = tempfile::tempfile()?;
        self.book.save_to_writer(&mut file)?;
        std::io::Seek::rewind(&mut file)?;
        std::io::copy(&mut file, out)?;
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

    /// Counts the row, and lists it where the Summary names hosts.
    fn tally_row(&mut self, row: &[String]) {
        let status = Status::parse(self.cell(row, Column::Status)).unwrap_or(Status::Undetermined);
        let product = format!("{} {}", self.cell(row, Column::Product), self.cell(row, Column::Cu)).trim().to_string();
        let accepted = self.accepted(row).to_string();
        let t = &mut self.tally;
        t.total += 1;
        *t.by_status.entry(status).or_default() += 1;
        if !product.is_empty() && !t.by_product.contains_key(&product) {
            t.by_product.insert(product.clone(), 0);
        }
        if let Some(n) = t.by_product.get_mut(&product) {
            *n += 1;
        }
        // The same hosts as the HTML page's "Hosts that need action".
        if super::html::needs_action(status) && accepted.is_empty() {
            self.tally.needs_action_count += 1;
            if self.tally.needs_action.len() < MAX_LISTED {
                let listed = [
                    self.host(row),
                    status.to_string(),
                    product.clone(),
                    self.cell(row, Column::Build).to_string(),
                    self.cell(row, Column::FixedBuild).to_string(),
                    self.cell(row, Column::Detail).to_string(),
                ];
                self.tally.needs_action.push(listed);
            }
        }
        if !accepted.is_empty() {
            self.tally.accepted_count += 1;
            if self.tally.accepted.len() < MAX_LISTED {
                let listed = [
                    self.host(row),
                    self.cell(row, Column::Status).to_string(),
                    self.cell(row, Column::Build).to_string(),
                    accepted,
                ];
                self.tally.accepted.push(listed);
            }
        }
    }

    fn summary(&mut self) -> Result<()> {
        let t = std::mem::take(&mut self.tally);
        let sheet = self.book.worksheet_from_index(SUMMARY)?;
        let bold = Format::new().set_bold();
        sheet.set_column_width(0, 34)?;
        sheet.set_column_width(1, 14)?;
        sheet.set_column_width(2, 22)?;
        sheet.set_column_width(3, 16)?;
        sheet.set_column_width(4, 16)?;
        sheet.set_column_width(5, 60)?;
        let mut r: u32 = 0;
        sheet.write_string_with_format(r, 0, "Exchange exposure report", &bold)?;
        sheet.write_string(r, 1, format!("{} rows", t.total))?;
        if let Some((first, last)) = &t.dropped_lines {
            r += 1;
            let said = format!(
                "The Hosts sheet holds {} rows: the last {} rows (inventory lines {first} to {last}) are counted here but not on it; the CSV and JSONL reports have every row.",
                self.sheet_rows, t.dropped
            );
            sheet.write_string_with_format(r, 0, said, &bold)?;
        }
        r += 2;
        sheet.write_string_with_format(r, 0, "status", &bold)?;
        sheet.write_string_with_format(r, 1, "rows", &bold)?;
        for (status, n) in &t.by_status {
            r += 1;
            sheet.write_string(r, 0, status.as_str())?;
            sheet.write_number(r, 1, *n as f64)?;
        }
        r += 2;
        sheet.write_string_with_format(r, 0, "product and CU", &bold)?;
        sheet.write_string_with_format(r, 1, "rows", &bold)?;
        for (product, n) in &t.by_product {
            r += 1;
            sheet.write_string(r, 0, fit(product))?;
            sheet.write_number(r, 1, *n as f64)?;
        }
        r += 2;
        let header = ["hosts that need action", "status", "product", "build", "needs", "what to do"];
        for (c, h) in header.iter().enumerate() {
            sheet.write_string_with_format(r, c as u16, *h, &bold)?;
        }
        for cells in &t.needs_action {
            r += 1;
            for (c, text) in cells.iter().enumerate() {
                sheet.write_string(r, c as u16, fit(text))?;
            }
        }
        if t.needs_action_count > t.needs_action.len() {
            r += 1;
            let more = format!("... and {} more: filter the Hosts sheet", t.needs_action_count - t.needs_action.len());
            sheet.write_string(r, 0, more)?;
        }
        if t.accepted_count > 0 {
            r += 2;
            for (c, h) in ["accepted risks", "status", "build", "accepted"].iter().enumerate() {
                sheet.write_string_with_format(r, c as u16, *h, &bold)?;
            }
            for cells in &t.accepted {
                r += 1;
                for (c, text) in cells.iter().enumerate() {
                    sheet.write_string(r, c as u16, fit(text))?;
                }
            }
            if t.accepted_count > t.accepted.len() {
                r += 1;
                sheet.write_string(r, 0, format!("... and {} more", t.accepted_count - t.accepted.len()))?;
            }
        }
        self.tally = t;
        Ok(())
    }

    fn hosts_header(&mut self) -> Result<()> {
        let bold = Format::new().set_bold().set_background_color(Color::RGB(0xEEEEEE));
        let sheet = self.book.worksheet_from_index(HOSTS)?;
        for (c, (name, key)) in self.schema.columns().iter().enumerate() {
            let width = match key {
                Key::Own(Column::Detail | Column::OpenCves | Column::Support) | Key::Accepted => 50.0,
                Key::Own(Column::Host | Column::CheckedAt | Column::Table | Column::Tls) => 22.0,
                _ => 14.0,
            };
            sheet.set_column_width(c as u16, width)?;
            sheet.write_string_with_format(0, c as u16, fit(name), &bold)?;
        }
        Ok(())
    }

    fn hosts_row(&mut self, r: u32, row: &[String]) -> Result<()> {
        let sheet = self.book.worksheet_from_index(HOSTS)?;
        for (c, ((_, key), text)) in self.schema.columns().iter().zip(row).enumerate() {
            let c = c as u16;
            if text.is_empty() {
                continue;
            }
            let kind = key.kind();
            if kind == Kind::PassThrough {
                sheet.write_string(r, c, fit(text))?;
            } else if kind == Kind::Number
                && let Ok(n) = text.parse::<u64>()
            {
                sheet.write_number(r, c, n as f64)?;
            } else if kind == Kind::DateTime
                && text.len() == "2026-01-01T00:00:00Z".len()
                && let Ok(t) = ExcelDateTime::parse_from_str(text)
            {
                sheet.write_datetime_with_format(r, c, &t, &self.datetime)?;
            } else if kind == Kind::Date
                && text.len() == "2026-01-01".len()
                && let Ok(d) = ExcelDateTime::parse_from_str(text)
            {
                sheet.write_datetime_with_format(r, c, &d, &self.date)?;
            } else if *key == Key::Own(Column::Status)
                && let Some(format) = Status::parse(text).and_then(|s| self.fills.get(&s))
            {
                sheet.write_string_with_format(r, c, text.as_str(), format)?;
            } else {
                sheet.write_string(r, c, fit(text))?;
            }
        }
        Ok(())
    }

    fn provenance(&mut self) -> Result<()> {
        let sheet = self.book.worksheet_from_index(2)?;
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
                Some(v) => sheet.write_string(r, 1, fit(&v))?,
                None => sheet.write_string(r, 1, "(none)")?,
            };
        }
        Ok(())
    }
}

/// The XLSX writer: rows go to the workbook's Hosts sheet as they come
/// (bounded memory), the workbook is written at the end.
pub struct Xlsx<W: Write> {
    out: W,
    book: Box<Book>,
}

impl<W: Write> Xlsx<W> {
    /// A workbook with no rows yet (its temporary files made).
    pub fn new(out: W, start: Start<'_>) -> Result<Xlsx<W>> {
        Ok(Xlsx { out, book: Box::new(Book::new(start.schema.clone(), start.run.cloned())?) })
    }
}

impl<W: Write> Exporter<W> for Xlsx<W> {
    fn row(&mut self, cells: &[String]) -> Result<()> {
        self.book.add(cells)
    }

    fn finish(self: Box<Self>) -> Result<W> {
        let Xlsx { mut out, book } = *self;
        book.write(&mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn schema() -> Schema {
        let names: Vec<String> =
            ["host", "port", "status", "product", "cu", "build", "fixed_build", "detail", "line", "note"]
                .map(String::from)
                .to_vec();
        Schema::read(&names, &["note".to_string()])
    }

    fn row(status: &str, line: usize, note: &str) -> Vec<String> {
        let host = format!("127.0.0.{}", line % 250);
        [
            &host,
            "443",
            status,
            "Exchange 2016",
            "CU19",
            "15.1.2176.2",
            "15.1.2176.9",
            "install the SU",
            &line.to_string(),
            note,
        ]
        .map(String::from)
        .to_vec()
    }

    /// The workbook's XML parts, by name.
    fn parts(book: Book) -> BTreeMap<String, String> {
        let mut bytes = Vec::new();
        book.write(&mut bytes).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut parts = BTreeMap::new();
        for i in 0..zip.len() {
            let mut file = zip.by_index(i).unwrap();
            let mut text = String::new();
            file.read_to_string(&mut text).unwrap();
            parts.insert(file.name().unwrap().to_string(), text);
        }
        parts
    }

    #[test]
    fn a_cell_over_excels_limit_is_cut_and_says_so() {
        let long = "x".repeat(40_000);
        let mut book = Book::new(schema(), None).unwrap();
        book.add(&row("patched", 2, &long)).unwrap();
        let parts = parts(book);
        let hosts = &parts["xl/worksheets/sheet2.xml"];
        assert!(hosts.contains("[cut: 40000 characters"), "the cell says it was cut");
        assert!(!hosts.contains(&long), "no cell over the limit");
        let cut = fit(&long);
        assert_eq!(cut.chars().count(), MAX_CELL);
        assert_eq!(fit("short"), "short");
    }

    #[test]
    fn past_the_sheets_capacity_the_summary_counts_every_row_and_names_the_rest() {
        let mut book = Book::new(schema(), None).unwrap();
        book.sheet_rows = 3;
        for line in 2..6 {
            book.add(&row("input-error", line, "")).unwrap();
        }
        book.add(&row("vulnerable", 6, "")).unwrap();
        let parts = parts(book);
        let summary = format!("{}{}", parts["xl/worksheets/sheet1.xml"], parts["xl/sharedStrings.xml"]);
        assert!(summary.contains("5 rows"), "every row counted");
        assert!(summary.contains("the last 2 rows (inventory lines 5 to 6)"), "{summary}");
        assert!(summary.contains("vulnerable"), "the vulnerable row past the sheet is counted");
        assert!(summary.contains("127.0.0.6:443"), "and listed as needing action");
        let hosts = &parts["xl/worksheets/sheet2.xml"];
        assert_eq!(hosts.matches("<row ").count(), 4, "header and three rows");
    }
}
