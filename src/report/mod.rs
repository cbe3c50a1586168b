//! The exposure report: one `Row` per inventory row, written as CSV, JSON
//! Lines, an aligned terminal table or an HTML page, generic over
//! `io::Write`; cells that may carry server text are neutralised for
//! spreadsheets, terminals and browsers.

pub mod baseline;
pub mod html;
pub mod jsonl;
mod output;
pub mod outputs;
pub mod provenance;
pub mod read;
pub mod summary;
mod text;
pub mod xlsx;

use crate::assess::{Status, Verdict};
use crate::cli::Format;
use anyhow::Result;
pub use output::{Output, remove_on_signal};
use std::io::Write;
pub use text::{cap_cell, cap_detail, neutralise_formula, printable, unneutralise, write_aligned};

/// The contract's columns, then the tool's own (`line`, staleness, `support`,
/// open CVEs), in order; a `Layout` adds per-advisory and `change` columns,
/// then the inventory's pass-through columns.
pub const COLUMNS: [&str; 22] = [
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
    "latest_su",
    "sus_behind",
    "latest_su_date",
    "support",
    "open_cves",
    "open_cves_count",
];

/// Whether an inventory column's name is one the report uses itself (or
/// would, with `--advisory` or `--baseline`): such a column is passed through
/// as `inventory_NAME`, so no reader mistakes it for the report's own.
fn is_report_column(name: &str) -> bool {
    let advisory = |prefix: &str| {
        name.strip_prefix(prefix).is_some_and(|id| crate::table::ADVISORIES.iter().any(|(known, _)| *known == id))
    };
    COLUMNS.contains(&name)
        || name == "change"
        || name == "accepted"
        || provenance::COLUMNS.contains(&name)
        || advisory("status_")
        || advisory("cves_")
}

/// The names the inventory's pass-through columns get in a report: their
/// own, or `inventory_NAME` when that is a report column or a name already
/// taken (the prefix repeats until the name is free). The same in every
/// format and in `merge`.
pub fn pass_through_names(extras: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(extras.len());
    for name in extras {
        let mut name = name.clone();
        while is_report_column(&name) || names.contains(&name) {
            name = format!("inventory_{name}");
        }
        names.push(name);
    }
    names
}

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
    /// How far behind the build is (full builds on CUs the catalog knows).
    pub staleness: Option<crate::staleness::Staleness>,
    /// Every CVE the build lacks the fix for (builds on CUs the catalog knows).
    pub open_cves: Option<Vec<String>>,
    /// Each advisory's own verdict when several were judged (`--advisory`).
    pub each: Vec<(String, Verdict)>,
    /// How the status moved since `--baseline`, when one was given.
    pub change: Option<baseline::Change>,
    /// The acceptance (`--accept`) that covers the row, if one does.
    pub accepted: Option<crate::accept::Accepted>,
    /// Inventory columns passed through, in inventory order.
    pub extras: Vec<String>,
}

impl Row {
    /// A row for a judged build or host; the caller fills in where it came from.
    pub fn judged(judged: crate::assess::Judged, config: &crate::config::Config) -> Row {
        let staleness = judged.overall.build.and_then(|b| crate::staleness::of(&b, &config.table().releases));
        // Tables share the built-in catalog (`Table::parse`), so the remembered answers fit.
        let open_cves = judged.overall.build.and_then(|b| crate::open_cves::of_builtin(&b));
        Row {
            host: String::new(),
            port: None,
            verdict: judged.overall,
            tls: String::new(),
            fe_servers: Vec::new(),
            checked_at: jiff::Timestamp::now(),
            table: config.table_ids(),
            line: None,
            staleness,
            open_cves,
            each: judged.each,
            change: None,
            accepted: None,
            extras: Vec::new(),
        }
    }

    pub fn status(&self) -> Status {
        self.verdict.status
    }

    /// The contract's cells, as text.
    pub fn cells(&self) -> [String; 22] {
        let v = &self.verdict;
        let opt = |o: Option<String>| o.unwrap_or_default();
        let stale = self.staleness.as_ref();
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
            cap_detail(&self.detail()),
            self.tls.clone(),
            cap_cell(&self.fe_servers.join(";"), text::MAX_CELL),
            self.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            self.table.clone(),
            opt(self.line.map(|l| l.to_string())),
            opt(stale.map(|s| s.latest_su.clone())),
            opt(stale.and_then(|s| s.sus_behind).map(|n| n.to_string())),
            opt(stale.map(|s| s.date.clone())),
            opt(v
                .product
                .map(|p| crate::staleness::support(p, self.checked_at.to_zoned(jiff::tz::TimeZone::UTC).date()))),
            opt(self.open_cves.as_ref().map(|c| c.join(";"))),
            opt(self.open_cves.as_ref().map(|c| c.len().to_string())),
        ]
    }

    /// The verdict's sentence, with the ESU-only updates the build lacks named
    /// after it (they are not counted in `sus_behind`).
    fn detail(&self) -> String {
        match self.staleness.as_ref().map(|s| s.esu_sentence()).filter(|s| !s.is_empty()) {
            Some(esu) if self.verdict.detail.is_empty() => esu,
            Some(esu) => format!("{}; {esu}", self.verdict.detail),
            None => self.verdict.detail.clone(),
        }
    }

    /// One of the contract's cells by column name (empty for another name).
    pub fn cell(&self, name: &str) -> String {
        COLUMNS.iter().position(|c| *c == name).map(|i| self.cells()[i].clone()).unwrap_or_default()
    }

    /// `status_ID` and `cves_ID` for each advisory, when several were judged.
    fn advisory_cells(&self) -> Vec<(String, String)> {
        self.each
            .iter()
            .flat_map(|(id, v)| {
                [(format!("status_{id}"), v.status.to_string()), (format!("cves_{id}"), v.cves.join(";"))]
            })
            .collect()
    }
}

/// Writes rows in one format. `extra_columns` are the inventory's own
/// columns, named as `pass_through_names` says.
pub struct Writer<W: Write> {
    sink: Sink<W>,
    with_change: bool,
    with_accepted: bool,
    extra_columns: Vec<String>,
    /// The provenance cells every row carries (empty without `--shard`).
    provenance: Vec<(String, String)>,
}

/// The columns a report has beyond the contract's: the ones named here come
/// after `COLUMNS`, in this order.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Advisory ids when several are judged: `status_ID`, `cves_ID` each.
    pub advisories: Vec<String>,
    /// A `change` column (`--baseline`).
    pub change: bool,
    /// An `accepted` column (`--accept`).
    pub accepted: bool,
    /// The inventory's pass-through columns.
    pub extras: Vec<String>,
    /// With `scan --shard`: what the report was made from, on every row.
    pub provenance: Option<provenance::Provenance>,
    /// How the run was made: the HTML and XLSX provenance sections.
    pub run: Option<provenance::Run>,
    /// `--provenance`: JSON Lines starts with a `{"type":"provenance",...}` record.
    pub jsonl_provenance: bool,
}

impl Layout {
    fn tool_columns(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.advisories.iter().flat_map(|id| [format!("status_{id}"), format!("cves_{id}")]).collect();
        if self.change {
            names.push("change".into());
        }
        if self.accepted {
            names.push("accepted".into());
        }
        if self.provenance.is_some() {
            names.extend(provenance::COLUMNS.iter().map(|c| c.to_string()));
        }
        names
    }
}

enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Jsonl(W),
    Table(W, Vec<[String; 5]>),
    /// Counts and the first rows, kept until the end: the document starts
    /// with the counts (memory bounded by `html::MAX_ROWS`).
    Html(W, Box<html::Page>),
    /// Every row, kept until the end: a workbook is written whole.
    Xlsx(W, Box<xlsx::Book>),
}

impl<W: Write> Writer<W> {
    pub fn new(mut out: W, format: Format, mut layout: Layout) -> Result<Writer<W>> {
        layout.extras = pass_through_names(&layout.extras);
        let all_columns: Vec<String> = COLUMNS
            .iter()
            .map(|c| c.to_string())
            .chain(layout.tool_columns())
            .chain(layout.extras.iter().cloned())
            .collect();
        let sink = match format {
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(out);
                let tool = layout.tool_columns();
                let names = COLUMNS.iter().copied().chain(tool.iter().map(String::as_str));
                csv.write_record(names.chain(layout.extras.iter().map(String::as_str)))?;
                csv.flush()?;
                Sink::Csv(Box::new(csv))
            }
            Format::Jsonl => {
                if let Some(run) = layout.run.as_ref().filter(|_| layout.jsonl_provenance) {
                    serde_json::to_writer(&mut out, &jsonl::provenance(run))?;
                    out.write_all(b"\n")?;
                }
                Sink::Jsonl(out)
            }
            Format::Table => Sink::Table(out, Vec::new()),
            Format::Html => Sink::Html(out, Box::new(html::Page::new(all_columns, layout.run.clone()))),
            Format::Xlsx => {
                Sink::Xlsx(out, Box::new(xlsx::Book::new(all_columns, layout.extras.clone(), layout.run.clone())))
            }
        };
        let provenance = layout.provenance.map(|p| p.cells().to_vec()).unwrap_or_default();
        Ok(Writer {
            sink,
            with_change: layout.change,
            with_accepted: layout.accepted,
            extra_columns: layout.extras,
            provenance,
        })
    }

    /// Writes one row; CSV and JSONL rows reach the output at once.
    pub fn write(&mut self, row: &Row) -> Result<()> {
        let cells = row.cells();
        let mut tool = row.advisory_cells();
        if self.with_change {
            tool.push(("change".into(), row.change.map(|c| c.as_str()).unwrap_or("").to_string()));
        }
        if self.with_accepted {
            tool.push(("accepted".into(), row.accepted.as_ref().map(|a| cap_detail(&a.text)).unwrap_or_default()));
        }
        tool.extend(self.provenance.iter().cloned());
        match &mut self.sink {
            Sink::Csv(csv) => {
                // Every cell a spreadsheet shows is guarded, pass-through ones too.
                let all = cells.iter().chain(tool.iter().map(|(_, cell)| cell)).chain(&row.extras);
                csv.write_record(all.map(|c| neutralise_formula(c)))?;
                csv.flush()?;
            }
            Sink::Jsonl(out) => {
                let all = COLUMNS
                    .iter()
                    .copied()
                    .zip(cells.iter().map(String::as_str))
                    .chain(tool.iter().map(|(name, cell)| (name.as_str(), cell.as_str())))
                    .chain(self.extra_columns.iter().map(String::as_str).zip(row.extras.iter().map(String::as_str)));
                let obj = jsonl::object(all, &self.extra_columns);
                serde_json::to_writer(&mut *out, &obj)?;
                out.write_all(b"\n")?;
            }
            Sink::Html(_, page) => page.add_named(&|name| named(&cells, &tool, &self.extra_columns, row, name)),
            Sink::Xlsx(_, book) => book.add_named(&|name| named(&cells, &tool, &self.extra_columns, row, name)),
            Sink::Table(_, rows) => {
                let [host, _, status, _, product, cu, build, _, _, fixed, detail, ..] = cells;
                let product = format!("{product} {cu}").trim().to_string();
                let status = if row.accepted.is_some() { format!("{status} (accepted)") } else { status };
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
                // Rows with a host show it before the build (`headers`, scan reports).
                let first = if rows.iter().any(|r| r[0].contains(' ')) { "host build" } else { "build" };
                write_aligned(&mut out, &[first, "status", "product", "needs", "detail"], &rows)?;
                out
            }
            Sink::Html(mut out, page) => {
                page.write(&mut out)?;
                out
            }
            Sink::Xlsx(mut out, book) => {
                book.write(&mut out)?;
                out
            }
        };
        out.flush()?;
        Ok(out)
    }
}

/// A row's cell by column name: the contract's, the tool's, or a pass-through one.
fn named(cells: &[String], tool: &[(String, String)], extra_columns: &[String], row: &Row, name: &str) -> String {
    if let Some(i) = COLUMNS.iter().position(|c| *c == name) {
        return cells[i].clone();
    }
    if let Some((_, cell)) = tool.iter().find(|(n, _)| n == name) {
        return cell.clone();
    }
    extra_columns.iter().position(|c| c == name).and_then(|i| row.extras.get(i).cloned()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
