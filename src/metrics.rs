//! `scan --metrics FILE`: the run's figures in the Prometheus text format,
//! for node_exporter's textfile collector — hosts by status and advisory,
//! changes since the baseline, run duration, when the run ended, how old
//! the release data is, and the exit status. Written atomically (a temporary
//! file beside it, renamed over it) so the collector never reads half a file.

use crate::assess::Status;
use crate::report::Output;
use crate::report::summary::Summary;
use crate::table::Table;
use anyhow::{Result, bail};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// The metrics file, opened before the scan so an unwritable path fails first.
pub struct Destination(Output);

impl Destination {
    /// Opens the temporary file beside `path` (a file: stdout carries the report).
    pub fn check(path: &Path) -> Result<Destination> {
        if path.as_os_str() == "-" {
            bail!("the metrics need a file, not stdout (stdout carries the report)");
        }
        Ok(Destination(Output::open(Some(&path.to_string_lossy()), &[])?))
    }

    /// Writes the text and renames it into place.
    pub fn write(mut self, text: &str) -> Result<()> {
        self.0.write_all(text.as_bytes())?;
        self.0.commit()
    }
}

/// What a finished run contributes to the metrics.
pub struct Run<'a> {
    /// The run's counts.
    pub summary: &'a Summary,
    /// A baseline was given: the change counts are meaningful (zeros included).
    pub with_baseline: bool,
    /// The exit status the run ends with.
    pub exit_status: u8,
}

/// The changes a baseline comparison can report.
const CHANGES: [&str; 5] = ["new", "fixed", "regressed", "unchanged", "changed"];

/// The metrics text for a run judged against `tables` (one per advisory,
/// the first leading). Every status gets a sample (zeros too), so a query
/// for one status never finds nothing.
pub fn render(tables: &[Table], run: &Run, now: jiff::Timestamp) -> String {
    let s = run.summary;
    let mut out = String::new();
    let mut family = |name: &str, help: &str, samples: Vec<(String, String)>| {
        let _ = writeln!(out, "# HELP exchange_exposure_{name} {help}");
        let _ = writeln!(out, "# TYPE exchange_exposure_{name} gauge");
        for (labels, value) in samples {
            let _ = writeln!(out, "exchange_exposure_{name}{labels} {value}");
        }
    };
    let hosts = Status::ALL
        .iter()
        .map(|st| (format!("{{status=\"{st}\"}}"), s.by_status.get(st).copied().unwrap_or(0).to_string()))
        .collect();
    family("hosts", "Report rows by status (the worst over the advisories judged).", hosts);
    let mut by_advisory = Vec::new();
    for table in tables {
        for st in Status::ALL {
            let n = if s.by_advisory.is_empty() {
                // One advisory: its status is the row's.
                if table.advisory == tables[0].advisory { s.by_status.get(&st).copied().unwrap_or(0) } else { 0 }
            } else {
                s.by_advisory.get(&(table.advisory.clone(), st)).copied().unwrap_or(0)
            };
            by_advisory.push((format!("{{advisory=\"{}\",status=\"{st}\"}}", escape(&table.advisory)), n.to_string()));
        }
    }
    family("advisory_hosts", "Report rows by advisory and that advisory's status.", by_advisory);
    if run.with_baseline {
        let changes = CHANGES
            .iter()
            .map(|c| (format!("{{change=\"{c}\"}}"), s.changes.get(c).copied().unwrap_or(0).to_string()))
            .collect();
        family("changes", "Report rows by change since the baseline report.", changes);
        family(
            "gone_hosts",
            "Baseline hosts the inventory no longer lists.",
            vec![(String::new(), s.gone.len().to_string())],
        );
    }
    family("excluded_hosts", "Rows left out by --exclude.", vec![(String::new(), s.excluded.to_string())]);
    family(
        "run_duration_seconds",
        "How long the scan took.",
        vec![(String::new(), format!("{:.3}", s.elapsed.as_secs_f64()))],
    );
    family(
        "last_run_timestamp_seconds",
        "When the run ended (Unix time).",
        vec![(String::new(), format!("{:.3}", now.as_millisecond() as f64 / 1000.0))],
    );
    if let Some(age) = data_age_days(now, s.catalog_date) {
        family(
            "data_age_days",
            "Days since the newest release in the built-in catalog.",
            vec![(String::new(), age.to_string())],
        );
    }
    family(
        "exit_status",
        "The run's exit status: 0 clean, 1 findings, 2 incomplete.",
        vec![(String::new(), run.exit_status.to_string())],
    );
    out
}

/// Days from the data's newest release (`catalog`) to `now` (UTC).
pub fn data_age_days(now: jiff::Timestamp, catalog: Option<jiff::civil::Date>) -> Option<i64> {
    let catalog = catalog?;
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    Some(i64::from(today.since(catalog).ok()?.get_days()))
}

/// A label value: backslash, quote and newline escaped (the text format's rules).
fn escape(value: &str) -> String {
    value.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let cases = [("plain", "plain"), ("a\"b", "a\\\"b"), ("a\\b", "a\\\\b"), ("a\nb", "a\\nb")];
        for (input, want) in cases {
            assert_eq!(escape(input), want, "{input:?}");
        }
    }

    #[test]
    fn data_age_counts_days_from_the_catalog_date() {
        let catalog = crate::dataset::DataSet::builtin().catalog_civil_date().unwrap();
        let at = |days: i64| {
            let date = catalog.checked_add(jiff::Span::new().days(days)).unwrap();
            date.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp()
        };
        for days in [0, 1, 30, 400] {
            assert_eq!(data_age_days(at(days), Some(catalog)), Some(days));
        }
    }
}
