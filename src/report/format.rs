//! The output formats, in one place: the [`Format`] a user names (its name,
//! help text and file extensions) and the [`Exporter`] trait that each
//! format's writer implements, in a file of its own (`csv_writer.rs`, `jsonl.rs`,
//! `aligned.rs`, `html.rs`, `xlsx.rs`, `defectdojo.rs`, `junit.rs`). Every writer receives rows as the
//! cells of a [`Schema`]. Adding an output format: a variant here, its arms
//! in the `Format` methods, and its writer's file.

use super::provenance::Run;
use super::schema::Schema;
use anyhow::Result;
use std::io::Write;
use std::path::Path;

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values, every cell formula-guarded.
    Csv,
    /// One typed JSON object per row.
    Jsonl,
    /// Aligned columns for reading at a terminal.
    Table,
    /// One self-contained HTML page for auditors.
    Html,
    /// An Excel workbook.
    Xlsx,
    /// DefectDojo's Generic Findings Import JSON.
    Defectdojo,
    /// JUnit XML: a test suite per advisory, a test case per host.
    Junit,
}

/// What every format's writer is opened with.
#[derive(Debug, Clone, Copy)]
pub struct Start<'a> {
    /// The report's columns.
    pub schema: &'a Schema,
    /// How the run was made (HTML and XLSX provenance sections, JSON Lines record).
    pub run: Option<&'a Run>,
    /// Whether JSON Lines starts with a `{"type":"provenance",...}` record (`--provenance`).
    pub provenance_record: bool,
    /// Every advisory id judged, the first leading (DefectDojo, JUnit).
    pub advisories: &'a [String],
    /// The `--fail-on` statuses, by name (JUnit failures).
    pub fail_on: &'a [String],
}

/// A format's writer: opened on an output (writing what comes first, such
/// as a header), given each row's cells in schema order as plain text
/// (each writer guards or escapes them for its medium), then finished.
pub trait Exporter<W: Write> {
    /// Writes (or keeps, for a document written whole) one row.
    fn row(&mut self, cells: &[String]) -> Result<()>;
    /// Writes what is pending and hands the output back (not yet flushed).
    fn finish(self: Box<Self>) -> Result<W>;
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 7] =
        [Format::Csv, Format::Jsonl, Format::Table, Format::Html, Format::Xlsx, Format::Defectdojo, Format::Junit];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Table => "table",
            Format::Html => "html",
            Format::Xlsx => "xlsx",
            Format::Defectdojo => "defectdojo",
            Format::Junit => "junit",
        }
    }

    /// The line `--help` shows for the format.
    pub fn help(self) -> &'static str {
        match self {
            Format::Csv => "Comma-separated values, a header row first",
            Format::Jsonl => "JSON Lines: one JSON object per row",
            Format::Table => "Aligned columns for reading at a terminal",
            Format::Html => "One self-contained HTML page for auditors (chart, hosts to act on, every row)",
            Format::Xlsx => {
                "An Excel workbook: Summary, Hosts (typed cells, filters) and Provenance sheets; a file or a pipe, never a terminal"
            }
            Format::Defectdojo => {
                "DefectDojo Generic Findings Import JSON: a finding per host and open CVE, and per vulnerable advisory verdict"
            }
            Format::Junit => {
                "JUnit XML: a test suite per advisory, a test case per host, failures for --fail-on statuses"
            }
        }
    }

    /// The file extensions (lowercase) that name the format in `-o PATH`;
    /// a dotted one (`dojo.json`) names it by the file name's end.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Csv => &["csv"],
            Format::Jsonl => &["jsonl", "ndjson"],
            Format::Table => &[],
            Format::Html => &["html", "htm"],
            Format::Xlsx => &["xlsx"],
            Format::Defectdojo => &["dojo.json"],
            Format::Junit => &["junit.xml", "xml"],
        }
    }

    /// The format a file's extension names, if it names one.
    pub fn of_extension(path: &str) -> Option<Format> {
        let name = Path::new(path).file_name()?.to_str()?.to_ascii_lowercase();
        // The longest extension that fits wins: `x.dojo.json` before `.json`.
        Format::ALL
            .into_iter()
            .flat_map(|f| f.extensions().iter().map(move |e| (f, *e)))
            .filter(|(_, e)| name.len() > e.len() + 1 && name.ends_with(&format!(".{e}")))
            .max_by_key(|(_, e)| e.len())
            .map(|(f, _)| f)
    }

    /// Every extension `-o` knows, `.`-prefixed and `, `-joined, for messages.
    pub fn known_extensions() -> String {
        Format::ALL.iter().flat_map(|f| f.extensions()).map(|e| format!(".{e}")).collect::<Vec<_>>().join(", ")
    }

    /// Whether the format is binary: for a file or a pipe, never a terminal.
    pub fn is_binary(self) -> bool {
        self == Format::Xlsx
    }

    /// Opens the format's writer on `out`.
    pub fn open<'a, W: Write + 'a>(self, out: W, start: Start<'_>) -> Result<Box<dyn Exporter<W> + 'a>> {
        Ok(match self {
            Format::Csv => Box::new(super::csv_writer::Csv::new(out, start)?),
            Format::Jsonl => Box::new(super::jsonl::Jsonl::new(out, start)?),
            Format::Table => Box::new(super::aligned::Aligned::new(out, start)),
            Format::Html => Box::new(super::html::Html::new(out, start)),
            Format::Xlsx => Box::new(super::xlsx::Xlsx::new(out, start)?),
            Format::Defectdojo => Box::new(super::defectdojo::Dojo::new(out, start)),
            Format::Junit => Box::new(super::junit::Junit::new(out, start)),
        })
    }
}
