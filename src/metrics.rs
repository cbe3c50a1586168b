//! `scan --metrics FILE`: the run's figures in the Prometheus text format,
//! for node_exporter's textfile collector — hosts by status and advisory,
//! changes since the baseline, run duration, when the run ended, how old
//! the release data is, and the exit status. Written atomically (a temporary
//! file beside it, renamed over it) so the collector never reads half a file.

use crate::assess::Status;
use crate::report::Output;
use crate::report::outputs::Planned;
use crate::report::summary::Summary;
use crate::table::Table;
use anyhow::Result;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// The metrics file, opened before the scan so an unwritable path fails
/// first, with the last success the file it replaces recorded.
pub struct Destination(Output, Option<f64>);

impl Destination {
    /// Opens the temporary file beside `path`, once it is known to be
    /// neither an input nor a report of the run (`outputs::check_metrics`).
    pub fn check(path: &Path, planned: &[Planned], inputs: &[&Path]) -> Result<Destination> {
        crate::report::outputs::check_metrics(path, planned, inputs)?;
        let previous = std::fs::read_to_string(path).ok().as_deref().and_then(last_success_in);
        Ok(Destination(Output::open(Some(&path.to_string_lossy()), inputs)?, previous))
    }

    /// When the run before this one last did its job, from the file this one replaces.
    pub fn previous_success(&self) -> Option<f64> {
        self.1
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
    /// `--notify` URLs that could not take the run's summary.
    pub notify_failures: usize,
    /// The last success before this run (`Destination::previous_success`),
    /// kept when this run fails.
    pub previous_success: Option<f64>,
}

/// The last-success sample of a metrics file, if it has one.
fn last_success_in(text: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix("exchange_exposure_last_success_timestamp_seconds "))
        .and_then(|v| v.trim().parse().ok())
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
    // A run that did its job (exit 0 or 1) is a success; a failed one keeps the last.
    let now_secs = now.as_millisecond() as f64 / 1000.0;
    let success = if run.exit_status < 2 { Some(now_secs) } else { run.previous_success };
    if let Some(at) = success {
        family(
            "last_success_timestamp_seconds",
            "When a run last did its job, exit 0 or 1 (Unix time).",
            vec![(String::new(), format!("{at:.3}"))],
        );
    }
    if let Some(age) = data_age_days(now, s.catalog_date) {
        family(
            "data_age_days",
            "Days since the judging data was last confirmed (today: the built-in release catalog's newest release).",
            vec![(String::new(), age.to_string())],
        );
    }
    family(
        "notify_failures",
        "--notify URLs that could not take the run's summary after every retry.",
        vec![(String::new(), run.notify_failures.to_string())],
    );
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
    fn a_failed_run_keeps_the_last_success_and_a_good_one_moves_it() {
        let summary = Summary::default();
        let tables = [crate::table::Table::builtin()];
        let now = jiff::Timestamp::from_second(2_000_000_000).unwrap();
        let render_with = |exit_status, previous_success| {
            let run =
                Run { summary: &summary, with_baseline: false, exit_status, notify_failures: 0, previous_success };
            render(&tables, &run, now)
        };
        for (exit, previous, want) in
            [(0, Some(5.0), Some(2e9)), (1, None, Some(2e9)), (2, Some(5.0), Some(5.0)), (2, None, None)]
        {
            assert_eq!(last_success_in(&render_with(exit, previous)), want, "exit {exit}");
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
