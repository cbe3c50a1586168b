//! The stderr summary of a run: counts by status, product, advisory and
//! change since the baseline, the first vulnerable hosts, timing and peak
//! memory, and the one-line progress status. `scan`, `demo` and `headers`
//! print it; `metrics` reads its counts; `Seen` is what the exit status is
//! decided from (`config::Config::outcome`). Memory stays flat in the number
//! of rows: hosts are listed up to a cap, the rest counted.

use super::Row;
use super::baseline::Change;
use crate::assess::Status;
use crate::build::Build;
use crate::sanitize::printable;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// What a run saw, for its exit status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// Every status of every row (and, with several advisories, each one's):
    /// whether anything was judged.
    pub statuses: BTreeSet<Status>,
    /// The statuses of rows no acceptance (`--accept`) covers: what
    /// `--fail-on` looks at.
    pub counted: BTreeSet<Status>,
    /// The `change` of rows no acceptance covers: what `--fail-on-change` looks at.
    pub changes: BTreeSet<Change>,
    /// The `--fail-on-open` levels some row no acceptance covers has an open CVE of.
    pub open: BTreeSet<crate::dataset::OpenLevel>,
}

impl Seen {
    /// Statuses of rows no acceptance covers, without changes.
    pub fn statuses(statuses: impl IntoIterator<Item = Status>) -> Seen {
        let statuses: BTreeSet<Status> = statuses.into_iter().collect();
        Seen { counted: statuses.clone(), statuses, ..Seen::default() }
    }

    /// Notes the open-CVE levels of a row no acceptance wholly covers.
    pub fn note_open(&mut self, row: &Row) {
        if row.accepted.as_ref().is_some_and(|a| a.whole) {
            return;
        }
        for (_, level) in crate::dataset::OpenLevel::ALL {
            if row.has_open(level) {
                self.open.insert(level);
            }
        }
    }
}

/// Counts for the summary and the exit status.
#[derive(Debug, Default)]
pub struct Summary {
    /// Rows per status (the worst over the advisories judged).
    pub by_status: BTreeMap<Status, usize>,
    /// Rows per product and CU seen (`Exchange 2019 CU14`).
    pub by_product: BTreeMap<String, usize>,
    /// Host, build seen and build needed, for the first `LISTED` vulnerable rows.
    pub vulnerable: Vec<(String, String, String)>,
    /// Rows per change since `--baseline`.
    pub changes: BTreeMap<&'static str, usize>,
    /// Baseline hosts this inventory no longer lists.
    pub gone: Vec<String>,
    /// Host and change of the first `LISTED` rows whose status moved since the baseline.
    pub changed: Vec<(String, &'static str)>,
    /// Probe durations, for the percentiles (a fixed-size histogram).
    pub probe_times: Histogram,
    /// The whole run's duration.
    pub elapsed: std::time::Duration,
    /// Statuses and changes seen, with accepted rows set apart: the exit status.
    pub seen: Seen,
    /// Rows an acceptance (`--accept`) covers.
    pub accepted: usize,
    /// Expired and unused acceptances, one line each.
    pub acceptance_notes: Vec<String>,
    /// Rows per (advisory, status), every advisory judged.
    pub by_advisory: BTreeMap<(String, Status), usize>,
    /// Rows `--exclude` left out.
    pub excluded: u64,
    /// Rows whose host was reached only over the legacy-TLS fallback.
    pub legacy_tls: usize,
    /// `--rate`, when given.
    pub rate_limit: Option<f64>,
    /// How hosts were reached: the connect timeout used, the slots' peaks.
    pub reaching: Option<String>,
    /// The line about the data's age (`DataSet::catalog_note`); not written when empty.
    pub data_note: String,
    /// The data's newest release date (the `data_age_days` metric).
    pub catalog_date: Option<jiff::civil::Date>,
    /// Rows patched for ProxyLogon that still have open CVEs of later updates.
    pub patched_lacking: usize,
    /// Of those, rows with a Critical or an exploited open CVE.
    pub patched_lacking_serious: usize,
    /// Rows whose product's support has ended.
    pub unsupported: usize,
}

/// How the summary names a row's host: `host:port`.
fn host_name(row: &Row) -> String {
    match row.port {
        Some(port) => format!("{}:{port}", row.host),
        None if row.host.is_empty() => "(inventory row without host)".into(),
        None => row.host.clone(),
    }
}

/// The most hosts the summary names per status; the report has them all.
pub const SHOWN_PER_STATUS: usize = 20;

/// Writes at most `SHOWN_PER_STATUS` of a status's host lines, then how many
/// more there are (`total` counts them all, also any not kept in memory).
pub fn write_capped(out: &mut impl Write, lines: &[String], total: usize) -> std::io::Result<()> {
    for line in lines.iter().take(SHOWN_PER_STATUS) {
        writeln!(out, "{line}")?;
    }
    let shown = lines.len().min(SHOWN_PER_STATUS);
    if total > shown {
        writeln!(out, "  and {} more (see the report)", total - shown)?;
    }
    Ok(())
}

impl Summary {
    /// Counts one report row.
    pub fn add(&mut self, row: &Row) {
        *self.by_status.entry(row.status()).or_default() += 1;
        let accepted = row.accepted.as_ref();
        let whole = accepted.is_some_and(|a| a.whole);
        self.accepted += usize::from(accepted.is_some());
        self.seen.statuses.insert(row.status());
        if !whole {
            self.seen.counted.insert(row.status());
        }
        for (advisory, verdict) in &row.each {
            *self.by_advisory.entry((advisory.clone(), verdict.status)).or_default() += 1;
            self.seen.statuses.insert(verdict.status);
            if !accepted.is_some_and(|a| a.covers(advisory)) {
                self.seen.counted.insert(verdict.status);
            }
        }
        if let Some(change) = row.change {
            *self.changes.entry(change.as_str()).or_default() += 1;
            if change != Change::Unchanged && self.changed.len() < LISTED {
                self.changed.push((host_name(row), change.as_str()));
            }
            if !whole {
                self.seen.changes.insert(change);
            }
        }
        if row.tls.as_ref().is_some_and(|t| t.legacy.is_some()) {
            self.legacy_tls += 1;
        }
        self.seen.note_open(row);
        let proxylogon = match row.each.iter().find(|(a, _)| a == "proxylogon") {
            Some((_, v)) => Some(v.status),
            None if row.each.is_empty() && row.table.starts_with("proxylogon") => Some(row.status()),
            None => None,
        };
        if proxylogon == Some(Status::Patched) && row.has_open(crate::dataset::OpenLevel::Any) {
            self.patched_lacking += 1;
            let serious =
                row.has_open(crate::dataset::OpenLevel::Critical) || row.has_open(crate::dataset::OpenLevel::Exploited);
            self.patched_lacking_serious += usize::from(serious);
        }
        self.unsupported += usize::from(row.support.as_deref().is_some_and(|s| s.starts_with("ended")));
        let v = &row.verdict;
        if let Some(product) = v.product {
            let name = format!("{product} {}", v.cu.as_deref().unwrap_or("")).trim().to_string();
            *self.by_product.entry(name).or_default() += 1;
        }
        // The rest are counted in `by_status`: memory stays flat in the rows.
        if v.status == Status::Vulnerable && self.vulnerable.len() < LISTED {
            let host = host_name(row);
            let host = if accepted.is_some() { format!("{host} (accepted risk)") } else { host };
            let show = |b: Option<Build>| b.map(|b| b.to_string()).unwrap_or_default();
            self.vulnerable.push((host, show(v.build), show(v.fixed_build)));
        }
    }

    /// How many rows were counted.
    pub fn rows(&self) -> usize {
        self.by_status.values().sum()
    }

    /// The end-of-run summary, plain text.
    pub fn write(&self, out: &mut impl Write, report: &str) -> std::io::Result<()> {
        let counts: Vec<String> = self.by_status.iter().map(|(s, n)| format!("{n} {s}")).collect();
        writeln!(out, "{} rows: {}", self.rows(), counts.join(", "))?;
        if !self.by_product.is_empty() {
            let products: Vec<String> = self.by_product.iter().map(|(p, n)| format!("{n} {p}")).collect();
            writeln!(out, "by product: {}", products.join(", "))?;
        }
        if !self.changes.is_empty() {
            let changes: Vec<String> = self.changes.iter().map(|(c, n)| format!("{n} {c}")).collect();
            writeln!(out, "since the baseline: {}", changes.join(", "))?;
        }
        if self.excluded > 0 {
            writeln!(out, "excluded: {} rows left out by --exclude", self.excluded)?;
        }
        if self.legacy_tls > 0 {
            writeln!(
                out,
                "legacy TLS: {} rows reached only over obsolete TLS (the tls column names each session)",
                self.legacy_tls
            )?;
        }
        if self.accepted > 0 || !self.acceptance_notes.is_empty() {
            writeln!(out, "accepted risks: {} rows (kept in the report, not counted for --fail-on)", self.accepted)?;
        }
        for note in &self.acceptance_notes {
            writeln!(out, "{}", printable(note))?;
        }
        let gone: Vec<String> =
            self.gone.iter().map(|g| format!("  GONE from the inventory: {}", printable(g))).collect();
        write_capped(out, &gone, self.gone.len())?;
        let vulnerable: Vec<String> = self
            .vulnerable
            .iter()
            .map(|(host, build, needs)| format!("  VULNERABLE {} runs {build}, needs {needs}", printable(host)))
            .collect();
        write_capped(out, &vulnerable, self.by_status.get(&Status::Vulnerable).copied().unwrap_or(0))?;
        writeln!(out, "{}", self.timing())?;
        writeln!(out, "{}", self.later_fixes_line())?;
        if !self.data_note.is_empty() {
            writeln!(out, "{}", self.data_note)?;
        }
        writeln!(out, "report: {report}")
    }

    /// How many hosts patched for ProxyLogon still lack later fixes, how many
    /// of those critically or exploitably, and how many run an unsupported product.
    pub fn later_fixes_line(&self) -> String {
        format!(
            "later fixes: {} host(s) patched for ProxyLogon still lack later fixes ({} of them a Critical or exploited CVE); {} run an unsupported product",
            self.patched_lacking, self.patched_lacking_serious, self.unsupported
        )
    }

    /// Probes, rate, per-host time percentiles and peak memory, on one line.
    pub fn timing(&self) -> String {
        let times = &self.probe_times;
        let pct = |p: u64| times.percentile(p);
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 { times.count() as f64 / secs } else { 0.0 };
        let memory = peak_rss_mib().map(|m| format!("; peak memory {m:.1} MiB")).unwrap_or_default();
        let limit = self.rate_limit.map(|r| format!(", --rate {r}")).unwrap_or_default();
        // Whole hosts a second, unless slow enough (--rate) for a tenth to matter.
        let rate = if rate >= 10.0 { format!("{rate:.0}") } else { format!("{rate:.1}") };
        let reaching = self.reaching.as_ref().map(|r| format!("; {r}")).unwrap_or_default();
        format!(
            "timing: {} probes in {secs:.2} s ({rate} hosts/s{limit}); per host p50 {:.1} ms, p99 {:.1} ms{memory}{reaching}",
            times.count(),
            pct(50) as f64 / 1000.0,
            pct(99) as f64 / 1000.0
        )
    }
}

/// How many vulnerable rows the summary names; the rest are counted. The
/// summary's memory stays flat in the number of rows (issue 12).
pub const LISTED: usize = SHOWN_PER_STATUS;

/// Durations in microseconds, counted in buckets 2% wide: percentiles
/// within 2%, in a fixed 8 KiB whatever the number of probes.
#[derive(Debug, Clone)]
pub struct Histogram {
    buckets: Vec<u64>,
}

/// Bucket growth factor and count: 1.02^1100 µs is far past any timeout.
const GROWTH: f64 = 1.02;
const BUCKETS: usize = 1100;

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram { buckets: vec![0; BUCKETS] }
    }
}

impl Histogram {
    fn bucket(micros: u64) -> usize {
        (((micros + 1) as f64).ln() / GROWTH.ln()).floor().clamp(0.0, (BUCKETS - 1) as f64) as usize
    }

    /// Counts one duration.
    pub fn add(&mut self, micros: u64) {
        self.buckets[Histogram::bucket(micros)] += 1;
    }

    /// How many durations were counted.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// The duration below which `p` percent fall (a bucket's lower bound); 0 when empty.
    pub fn percentile(&self, p: u64) -> u64 {
        let count = self.count();
        if count == 0 {
            return 0;
        }
        let rank = (count * p / 100).min(count - 1);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen > rank {
                return (GROWTH.powi(i as i32) - 1.0).max(0.0).round() as u64;
            }
        }
        0
    }
}

/// This process's peak resident memory (Linux: VmHWM), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The one-line status printed while a scan runs with stderr not a terminal:
/// rows probed (`done`, in any order) of the total (`?` until the input has
/// been read to its end), rows written (in inventory order), hosts per
/// second, counts by status.
pub fn status_line(summary: &Summary, done: u64, total: Option<u64>, elapsed: std::time::Duration) -> String {
    let of = total.map_or_else(|| "?".to_string(), |t| t.to_string());
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    let counts: Vec<String> = summary.by_status.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let counts = if counts.is_empty() { String::new() } else { format!("; {}", counts.join(", ")) };
    let written = summary.rows();
    format!("progress: {done}/{of} probed, {written} written, in {secs:.0} s ({rate:.1} hosts/s){counts}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_within_two_percent_in_fixed_memory() {
        let mut h = Histogram::default();
        assert_eq!(h.percentile(50), 0);
        for micros in 1..=100_000u64 {
            h.add(micros);
        }
        assert_eq!(h.count(), 100_000);
        for (p, exact) in [(50u64, 50_000u64), (99, 99_000), (1, 1_000)] {
            let got = h.percentile(p) as f64;
            assert!((got - exact as f64).abs() <= exact as f64 * 0.02 + 1.0, "p{p}: {got} vs {exact}");
        }
        assert_eq!(h.buckets.len(), BUCKETS, "no growth with the number of probes");
    }

    #[test]
    fn capped_lists_show_twenty_then_how_many_more() {
        // (lines kept, total with that status, lines written, the "more" line)
        let cases: [(usize, usize, usize, Option<&str>); 5] = [
            (0, 0, 0, None),
            (3, 3, 3, None),
            (20, 20, 20, None),
            (25, 25, 21, Some("  and 5 more (see the report)")),
            // Fewer kept than counted (a list capped for memory): the count still tells.
            (20, 549, 21, Some("  and 529 more (see the report)")),
        ];
        for (kept, total, written, more) in cases {
            let lines: Vec<String> = (0..kept).map(|i| format!("  VULNERABLE host{i}")).collect();
            let mut out = Vec::new();
            write_capped(&mut out, &lines, total).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert_eq!(text.lines().count(), written, "{kept}/{total}: {text}");
            assert_eq!(text.lines().nth(SHOWN_PER_STATUS), more, "{kept}/{total}");
        }
    }

    #[test]
    fn status_lines_count_rows_with_or_without_a_total() {
        let mut summary = Summary::default();
        summary.by_status.insert(Status::Vulnerable, 3);
        summary.by_status.insert(Status::Patched, 7);
        // 13 probed while 10 are written: a slow first host holds the writes, not the count.
        let cases = [
            (Some(40), 2, "progress: 13/40 probed, 10 written, in 2 s (6.5 hosts/s); 3 vulnerable, 7 patched"),
            (None, 4, "progress: 13/? probed, 10 written, in 4 s (3.2 hosts/s); 3 vulnerable, 7 patched"),
        ];
        for (total, secs, want) in cases {
            assert_eq!(status_line(&summary, 13, total, std::time::Duration::from_secs(secs)), want);
        }
        assert_eq!(
            status_line(&Summary::default(), 0, None, std::time::Duration::ZERO),
            "progress: 0/? probed, 0 written, in 0 s (0.0 hosts/s)"
        );
    }
}
