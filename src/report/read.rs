//! Reading reports back (for `--baseline` and `merge`): CSV or JSON Lines,
//! told apart by the first character, as column names and rows of text;
//! the readers then find each column by name through `Schema::read`.

use crate::sanitize::unneutralise;
use anyhow::{Context, Result, bail};
use std::path::Path;

/// A report as text: its column names and rows of cells.
#[derive(Debug, Default)]
pub struct ReadReport {
    /// The column names, in the report's order (`Schema::read` says what each holds).
    pub columns: Vec<String>,
    /// Each row's cells, in column order.
    pub rows: Vec<Vec<String>>,
}

impl ReadReport {
    /// The index of a column, or an error naming it.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.columns.iter().position(|c| c == name).with_context(|| format!("the report has no {name:?} column"))
    }
}

/// The largest report read back whole (a shard to merge, a baseline): a
/// million rows are ~500 MiB.
pub const MAX_REPORT: u64 = 1024 * crate::bounded::MIB;

/// Reads a report, cells as they were before formula neutralisation.
pub fn read_report(path: &Path) -> Result<ReadReport> {
    let text = crate::bounded::read_to_string(path, MAX_REPORT, "report")?;
    parse_report(&text, false).with_context(|| format!("report {}", path.display()))
}

/// Reads a report, cells exactly as written; also says whether it is JSONL.
pub fn read_report_raw(path: &Path) -> Result<(ReadReport, bool)> {
    let text = crate::bounded::read_to_string(path, MAX_REPORT, "report")?;
    let report = parse_report(&text, true).with_context(|| format!("report {}", path.display()))?;
    Ok((report, is_jsonl(text.strip_prefix('\u{feff}').unwrap_or(&text))))
}

/// Whether a report's text (BOM already stripped) is JSON Lines.
fn is_jsonl(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

fn parse_report(text: &str, raw: bool) -> Result<ReadReport> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if is_jsonl(text) {
        return parse_jsonl(text);
    }
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let columns: Vec<String> = rdr.headers()?.iter().map(String::from).collect();
    let mut rows = Vec::new();
    for record in rdr.records() {
        let record = record?;
        // Cells were written formula-safe; read them back as they were.
        rows.push(record.iter().map(|c| if raw { c } else { unneutralise(c) }.to_string()).collect());
    }
    Ok(ReadReport { columns, rows })
}

fn parse_jsonl(text: &str) -> Result<ReadReport> {
    let mut report = ReadReport::default();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let obj: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).with_context(|| format!("line {}: not a JSON object", i + 1))?;
        // `--provenance` puts a record about the run first: it is no row.
        if report.rows.is_empty() && is_provenance(&obj) {
            continue;
        }
        if report.columns.is_empty() {
            report.columns = obj.keys().cloned().collect();
        }
        let mut row = Vec::with_capacity(report.columns.len());
        for name in &report.columns {
            match obj.get(name) {
                // Typed values (numbers, lists, null) read back as their CSV text.
                Some(value) => row.push(super::jsonl::text_of(value)),
                None => bail!("line {}: no {name:?} field", i + 1),
            }
        }
        report.rows.push(row);
    }
    Ok(report)
}

/// Whether a JSON Lines record is the `--provenance` record, not a row.
fn is_provenance(obj: &serde_json::Map<String, serde_json::Value>) -> bool {
    obj.get("type").is_some_and(|t| t == "provenance") && !obj.contains_key("status")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_formats_alike() {
        let csv = "host,port,status,detail\na,443,vulnerable,'=x\n";
        let jsonl = "{\"host\":\"a\",\"port\":\"443\",\"status\":\"vulnerable\",\"detail\":\"=x\"}\n";
        for text in [csv, jsonl] {
            let r = parse_report(text, false).unwrap();
            assert_eq!(r.columns, ["host", "port", "status", "detail"]);
            assert_eq!(r.rows, [["a", "443", "vulnerable", "=x"]]);
        }
        assert!(parse_report("{\"host\":1}\n{\"x\":2}\n", false).is_err());
        // Typed values and a provenance record first read back as the CSV's text.
        let typed = "{\"type\":\"provenance\",\"tool\":\"x\"}\n{\"host\":\"a\",\"port\":443,\"cves\":[\"C1\",\"C2\"],\"build\":null}\n";
        let r = parse_report(typed, false).unwrap();
        assert_eq!(r.columns, ["host", "port", "cves", "build"]);
        assert_eq!(r.rows, [["a", "443", "C1;C2", ""]]);
        assert_eq!(parse_report(csv, true).unwrap().rows[0][3], "'=x");
    }
}
