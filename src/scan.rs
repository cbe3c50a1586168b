//! The scan: stream inventory rows, probe the hosts with bounded
//! concurrency (each distinct host once), judge each row, and write one
//! report row per inventory row in inventory order. A stop request (SIGINT,
//! SIGTERM) ends probing; every row still gets written, as `not-scanned`.

use crate::assess::{self, Status, Verdict, judge_each};
use crate::build::Build;
use crate::cli::Format;
use crate::config::Config;
use crate::evidence::{Evidence, Source};
use crate::inventory::{Entry, Kind};
use crate::probe::{Observation, Prober};
use crate::report::baseline::Baseline;
use crate::report::{self, Row};
use crate::target::Endpoint;
use anyhow::Result;
use futures_util::StreamExt;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Write;
use std::sync::Arc;
use tokio::sync::{Semaphore, watch};

/// The inventory's rows, as they stream in.
pub type Entries = Box<dyn Iterator<Item = Result<Entry>> + Send>;

/// What a scan needs besides the common config.
pub struct Job {
    pub entries: Entries,
    pub prober: Prober,
    pub concurrency: usize,
    /// Becomes `true` when probing must stop.
    pub stop: watch::Receiver<bool>,
    pub baseline: Option<Baseline>,
    /// `--accept`: accepted risks, applied to each row.
    pub accept: Option<crate::accept::Acceptances>,
    pub progress: Option<indicatif::ProgressBar>,
    /// How hosts are paced, and how progress is told when there is no bar.
    pub pace: Pace,
}

/// Pacing and progress lines (issue 16), apart from the bar.
#[derive(Debug, Clone, Default)]
pub struct Pace {
    /// `--rate`: hosts started per second at most.
    pub rate: Option<f64>,
    /// A one-line status on stderr this often (no bar: stderr is not a terminal).
    pub stats_every: Option<std::time::Duration>,
    /// Rows the scan will have, when known before it starts.
    pub total: Option<u64>,
    /// Rows left out by `--exclude`, counted as the inventory streams.
    pub excluded: Arc<std::sync::atomic::AtomicU64>,
}

/// Counts for the summary and the exit status.
#[derive(Debug, Default)]
pub struct Summary {
    pub by_status: BTreeMap<Status, usize>,
    pub by_product: BTreeMap<String, usize>,
    /// Host, build seen and build needed, for the first `LISTED` vulnerable rows.
    pub vulnerable: Vec<(String, String, String)>,
    pub changes: BTreeMap<&'static str, usize>,
    /// Baseline hosts this inventory no longer lists.
    pub gone: Vec<String>,
    /// Probe durations, for the percentiles (a fixed-size histogram).
    pub probe_times: Histogram,
    /// The whole run's duration.
    pub elapsed: std::time::Duration,
    /// Statuses and changes seen, with accepted rows set apart: the exit status.
    pub seen: crate::config::Seen,
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
            if !whole {
                self.seen.changes.insert(change);
            }
        }
        if row.tls.contains("; legacy ") {
            self.legacy_tls += 1;
        }
        let v = &row.verdict;
        if let Some(product) = v.product {
            let name = format!("{product} {}", v.cu.as_deref().unwrap_or("")).trim().to_string();
            *self.by_product.entry(name).or_default() += 1;
        }
        // The rest are counted in `by_status`: memory stays flat in the rows.
        if v.status == Status::Vulnerable && self.vulnerable.len() < LISTED {
            let host = match row.port {
                Some(port) => format!("{}:{port}", row.host),
                None if row.host.is_empty() => "(inventory row without host)".into(),
                None => row.host.clone(),
            };
            let host = if accepted.is_some() { format!("{host} (accepted risk)") } else { host };
            let show = |b: Option<Build>| b.map(|b| b.to_string()).unwrap_or_default();
            self.vulnerable.push((host, show(v.build), show(v.fixed_build)));
        }
    }

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
            writeln!(out, "{note}")?;
        }
        let gone: Vec<String> =
            self.gone.iter().map(|g| format!("  GONE from the inventory: {}", report::printable(g))).collect();
        write_capped(out, &gone, self.gone.len())?;
        let vulnerable: Vec<String> = self
            .vulnerable
            .iter()
            .map(|(host, build, needs)| format!("  VULNERABLE {} runs {build}, needs {needs}", report::printable(host)))
            .collect();
        write_capped(out, &vulnerable, self.by_status.get(&Status::Vulnerable).copied().unwrap_or(0))?;
        writeln!(out, "{}", self.timing())?;
        writeln!(
            out,
            "{}",
            crate::catalog::staleness::catalog_note(jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date())
        )?;
        writeln!(out, "report: {report}")
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
        format!(
            "timing: {} probes in {secs:.2} s ({rate} hosts/s{limit}); per host p50 {:.1} ms, p99 {:.1} ms{memory}",
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

/// One host's probe, shared by every inventory row that names the host;
/// `None` when the scan stopped before it finished.
type SharedProbe = Shared<BoxFuture<'static, Probed>>;

/// How a host's probe ended.
#[derive(Clone)]
enum Probed {
    Done(Arc<Observation>),
    /// The run was stopped first.
    Stopped,
    /// A bug: the probe task panicked. The row says so rather than vanish.
    Failed(String),
}

/// How many hosts' probes are remembered for duplicate rows. Duplicates
/// within this many distinct hosts of each other share one probe; farther
/// apart, the host is probed again. It bounds memory: without it, every
/// host's observation stays until the end (measured: 72 MiB at 50,000 hosts).
const REMEMBERED_PROBES: usize = 4096;

/// Rows the window holds beyond four per probe slot: finished rows waiting
/// behind a slow one to be written in order. A silent host at the head of
/// the window holds back every row after it for a whole connect timeout;
/// with room for only four rows per slot, that capped a scan at 4 ×
/// concurrency ÷ timeout (measured: 715 hosts/s at concurrency 1,024 with
/// 10% silent hosts and 5 s timeouts, BENCHMARKS.md). A waiting row costs
/// about a kilobyte.
const WRITE_BACKLOG: usize = 8192;

/// The most recent hosts' probes, oldest forgotten first.
#[derive(Default)]
struct Remembered {
    probes: HashMap<Endpoint, SharedProbe>,
    order: VecDeque<Endpoint>,
}

impl Remembered {
    /// The host's probe, and whether it was started just now.
    fn get_or_start(&mut self, endpoint: &Endpoint, start: impl FnOnce() -> SharedProbe) -> (SharedProbe, bool) {
        if let Some(probe) = self.probes.get(endpoint) {
            return (probe.clone(), false);
        }
        if self.order.len() >= REMEMBERED_PROBES
            && let Some(oldest) = self.order.pop_front()
        {
            self.probes.remove(&oldest);
        }
        let probe = start();
        self.probes.insert(endpoint.clone(), probe.clone());
        self.order.push_back(endpoint.clone());
        (probe, true)
    }
}

/// Runs the scan, writing rows to `writer` in inventory order as they come.
pub async fn run(config: &Config, job: Job, writer: &mut report::outputs::Reports) -> Result<Summary> {
    let Job { entries, prober, concurrency, stop, mut baseline, mut accept, progress, pace } = job;
    let judged: Vec<String> = config.tables.iter().map(|t| t.advisory.clone()).collect();
    let prober = Arc::new(prober);
    let pacer = pace.rate.map(|rate| Arc::new(Pacer::new(rate)));
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut probes = Remembered::default();
    // Up to `window` rows are in progress or wait for their turn to be
    // written; only `concurrency` of them probe at once.
    let window = concurrency.max(1) * 4 + WRITE_BACKLOG;
    let mut rows = read_until_stopped(entries, stop.clone(), window)
        .map(|entry| {
            let entry = entry?;
            let probe = match &entry.kind {
                Kind::Probe { endpoint, .. } => Some(probes.get_or_start(endpoint, || {
                    spawn_probe(endpoint.clone(), &prober, &permits, pacer.clone(), stop.clone())
                })),
                _ => None,
            };
            Ok((entry, probe))
        })
        .map(|item: Result<(Entry, Option<(SharedProbe, bool)>)>| async move {
            let (entry, probe) = item?;
            let (observation, first) = match probe {
                Some((probe, first)) => (Some(probe.await), first),
                None => (None, false),
            };
            Ok::<_, anyhow::Error>((entry, observation, first))
        })
        .buffered(window);
    let started = std::time::Instant::now();
    let mut summary = Summary { rate_limit: pace.rate, ..Summary::default() };
    let mut ticker = pace.stats_every.filter(|_| progress.is_none()).map(|every| {
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker
    });
    loop {
        let item = tokio::select! {
            item = rows.next() => item,
            _ = tick(&mut ticker) => {
                eprintln!("{}", status_line(&summary, pace.total, started.elapsed()));
                continue;
            }
        };
        let Some(item) = item else { break };
        let (entry, observation, first) = item?;
        if let (Some(Probed::Done(obs)), true) = (&observation, first) {
            summary.probe_times.add(u64::try_from(obs.elapsed.as_micros()).unwrap_or(u64::MAX));
        }
        let mut row = judge_entry(entry, observation, config);
        if let Some(baseline) = &mut baseline {
            row.change = Some(baseline.change(&row));
        }
        if let Some(accept) = &mut accept {
            accept.apply(&mut row, &judged);
        }
        summary.add(&row);
        writer.write(&row)?;
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    summary.gone = baseline.map(|b| b.gone()).unwrap_or_default();
    summary.acceptance_notes = accept.map(|a| a.notes()).unwrap_or_default();
    summary.elapsed = started.elapsed();
    summary.excluded = pace.excluded.load(std::sync::atomic::Ordering::Relaxed);
    Ok(summary)
}

/// How long a stopped run waits for the inventory's next row before it
/// takes the input as stalled (a stdin that sends nothing) and ends.
const STALLED: std::time::Duration = std::time::Duration::from_secs(1);

/// The inventory's rows as a stream, read on a thread of their own so that a
/// stalled input (a stdin that sends nothing) cannot hold the run: once
/// stopped, rows keep coming as long as they arrive within `STALLED` of each
/// other (a file is read to its end, every row written as `not-scanned`);
/// past that, the run ends with what was read.
fn read_until_stopped(
    entries: Entries,
    stop: watch::Receiver<bool>,
    buffer: usize,
) -> impl futures_util::Stream<Item = Result<Entry>> {
    let (tx, rx) = tokio::sync::mpsc::channel(buffer.max(1));
    // Not joined: a thread blocked reading a stalled stdin ends with the process.
    let _ = std::thread::Builder::new().name("inventory".into()).spawn(move || {
        for entry in entries {
            if tx.blocking_send(entry).is_err() {
                break; // the scan ended first
            }
        }
    });
    let rows = futures_util::stream::unfold((rx, stop, false), |(mut rx, mut stop, stopped)| async move {
        if !stopped {
            let entry = tokio::select! {
                entry = rx.recv() => Some(entry),
                _ = stop.wait_for(|stopped| *stopped) => None,
            };
            if let Some(entry) = entry {
                return entry.map(|e| (e, (rx, stop, false)));
            }
        }
        let next = tokio::time::timeout(STALLED, rx.recv()).await.ok().flatten();
        next.map(|e| (e, (rx, stop, true)))
    });
    Box::pin(rows)
}

/// The next tick, or never without a ticker.
async fn tick(ticker: &mut Option<tokio::time::Interval>) {
    match ticker {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// The one-line status printed while a scan runs with stderr not a terminal:
/// rows done (of how many, when known), rows per second, counts by status.
pub fn status_line(summary: &Summary, total: Option<u64>, elapsed: std::time::Duration) -> String {
    let done = summary.rows();
    let of = total.map(|t| format!("/{t}")).unwrap_or_default();
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    let counts: Vec<String> = summary.by_status.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let counts = if counts.is_empty() { String::new() } else { format!("; {}", counts.join(", ")) };
    format!("progress: {done}{of} rows in {secs:.0} s ({rate:.1} rows/s){counts}")
}

/// `--rate`: a token bucket holding one token, refilled `rate` times a
/// second; each host's probe takes a token before it starts.
pub struct Pacer {
    interval: std::time::Duration,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Pacer {
    pub fn new(rate: f64) -> Pacer {
        Pacer {
            interval: std::time::Duration::from_secs_f64(1.0 / rate),
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Waits for this start's turn.
    pub async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(tokio::time::Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

fn spawn_probe(
    endpoint: Endpoint,
    prober: &Arc<Prober>,
    permits: &Arc<Semaphore>,
    pacer: Option<Arc<Pacer>>,
    mut stop: watch::Receiver<bool>,
) -> SharedProbe {
    let (prober, permits) = (prober.clone(), permits.clone());
    let task = tokio::spawn(async move {
        let work = async {
            let _permit = permits.acquire_owned().await.ok()?;
            if let Some(pacer) = &pacer {
                pacer.wait().await;
            }
            // Boxed once the permit is held: the probe's state is large, and
            // the window keeps four tasks waiting for each one probing
            // (measured: 45 KB a waiting task before, BENCHMARKS.md).
            let obs = Box::pin(prober.probe(&endpoint)).await;
            // Printed only with -v, which installs the subscriber.
            tracing::info!(host = %endpoint.host, port = endpoint.port, tls = ?obs.tls, evidence = obs.evidence.len(), "probed");
            Some(Arc::new(obs))
        };
        tokio::select! {
            obs = work => obs,
            _ = stop.wait_for(|stopped| *stopped) => None,
        }
    });
    task.map(|joined| match joined {
        Ok(Some(obs)) => Probed::Done(obs),
        Ok(None) => Probed::Stopped,
        Err(err) => Probed::Failed(err.to_string()),
    })
    .boxed()
    .shared()
}

/// One report row from an inventory entry and what its host showed.
fn judge_entry(entry: Entry, observation: Option<Probed>, config: &Config) -> Row {
    let tables = &config.tables;
    let only = |verdict: Verdict| judge_each(tables, |_| verdict.clone());
    let (judged, tls, fe_servers) = match (&entry.kind, observation) {
        (Kind::Range { net, .. }, _) => {
            let why = format!("line {}: the range {net} was not expanded (a bug; please report it)", entry.line);
            (only(assess::input_error(why)), String::new(), Vec::new())
        }
        (Kind::Invalid(why), _) => (only(assess::input_error(why.clone())), String::new(), Vec::new()),
        (Kind::Offline(build), _) => {
            let evidence = [Evidence::new(*build, Source::Inventory)];
            (judge_each(tables, |t| assess::assess(&evidence, t)), String::new(), Vec::new())
        }
        (Kind::Probe { .. }, Some(Probed::Failed(why))) => {
            (only(assess::probe_crashed(&why)), String::new(), Vec::new())
        }
        (Kind::Probe { .. }, Some(Probed::Stopped) | None) => {
            (only(assess::not_scanned("the run was stopped before this host was probed")), String::new(), Vec::new())
        }
        (Kind::Probe { build, .. }, Some(Probed::Done(obs))) => {
            let inventory = build.map(|b| Evidence::new(b, Source::Inventory));
            let judged = judge_each(tables, |t| assess::host(&obs.facts(), inventory.as_ref(), t));
            (judged, obs.tls.as_ref().map(|t| t.describe()).unwrap_or_default(), obs.fe_servers.clone())
        }
    };
    Row {
        host: entry.host,
        port: entry.port,
        tls,
        fe_servers,
        line: Some(entry.line),
        extras: entry.extras,
        ..Row::judged(judged, config.table_ids())
    }
}

/// The report format for `scan` and `demo`: CSV unless told otherwise.
pub fn format(config: &Config) -> Format {
    config.format.unwrap_or(Format::Csv)
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
    fn the_summary_names_the_first_vulnerable_rows_and_counts_the_rest() {
        let config = crate::config::Config::for_tests();
        let build: Build = "15.1.2176.2".parse().unwrap();
        let entry = Entry { line: 2, host: String::new(), port: None, kind: Kind::Offline(build), extras: Vec::new() };
        let row = judge_entry(entry, None, &config);
        let mut summary = Summary::default();
        for _ in 0..LISTED + 530 {
            summary.add(&row);
        }
        assert_eq!(summary.vulnerable.len(), LISTED);
        let mut text = Vec::new();
        summary.write(&mut text, "r.csv").unwrap();
        let text = String::from_utf8(text).unwrap();
        let more = LISTED + 530 - SHOWN_PER_STATUS;
        assert!(text.contains(&format!("and {more} more (see the report)")), "{text}");
        assert_eq!(text.matches("VULNERABLE").count(), SHOWN_PER_STATUS);
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
        let cases = [
            (Some(40), 2, "progress: 10/40 rows in 2 s (5.0 rows/s); 3 vulnerable, 7 patched"),
            (None, 4, "progress: 10 rows in 4 s (2.5 rows/s); 3 vulnerable, 7 patched"),
        ];
        for (total, secs, want) in cases {
            assert_eq!(status_line(&summary, total, std::time::Duration::from_secs(secs)), want);
        }
        assert_eq!(
            status_line(&Summary::default(), None, std::time::Duration::ZERO),
            "progress: 0 rows in 0 s (0.0 rows/s)"
        );
    }
}
