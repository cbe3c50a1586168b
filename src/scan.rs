//! The scan: stream inventory rows, probe the hosts with bounded
//! concurrency (each distinct host once), judge each row, and write one
//! report row per inventory row in inventory order. A stop request (SIGINT,
//! SIGTERM) ends probing; every row still gets written, as `not-scanned`.

use crate::assess::{Evidence, Source, Status, Verdict, assess, judge_each};
use crate::build::Build;
use crate::cli::Format;
use crate::config::Config;
use crate::inventory::{Entry, Kind};
use crate::probe::http::Endpoint;
use crate::probe::{self, Observation, Prober};
use crate::report::baseline::Baseline;
use crate::report::{self, Row};
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
    pub progress: Option<indicatif::ProgressBar>,
}

/// Counts for the summary and the exit status.
#[derive(Debug, Default)]
pub struct Summary {
    pub by_status: BTreeMap<Status, usize>,
    pub by_product: BTreeMap<String, usize>,
    /// Host, build seen and build needed, for each vulnerable row.
    pub vulnerable: Vec<(String, String, String)>,
    pub changes: BTreeMap<&'static str, usize>,
    /// Baseline hosts this inventory no longer lists.
    pub gone: Vec<String>,
    /// Each probe's duration, in microseconds.
    pub probe_micros: Vec<u32>,
    /// The whole run's duration.
    pub elapsed: std::time::Duration,
    /// Each advisory's status per row, when several are judged (for `--fail-on`).
    pub advisory_statuses: std::collections::BTreeSet<Status>,
}

impl Summary {
    pub fn add(&mut self, row: &Row) {
        *self.by_status.entry(row.status()).or_default() += 1;
        self.advisory_statuses.extend(row.each.iter().map(|(_, v)| v.status));
        if let Some(change) = row.change {
            *self.changes.entry(change.as_str()).or_default() += 1;
        }
        let v = &row.verdict;
        if let Some(product) = v.product {
            let name = format!("{product} {}", v.cu.as_deref().unwrap_or("")).trim().to_string();
            *self.by_product.entry(name).or_default() += 1;
        }
        if v.status == Status::Vulnerable {
            let host = match row.port {
                Some(port) => format!("{}:{port}", row.host),
                None if row.host.is_empty() => "(inventory row without host)".into(),
                None => row.host.clone(),
            };
            let show = |b: Option<Build>| b.map(|b| b.to_string()).unwrap_or_default();
            self.vulnerable.push((host, show(v.build), show(v.fixed_build)));
        }
    }

    /// Every status seen: rows' and, with several advisories, each advisory's.
    pub fn statuses(&self) -> impl Iterator<Item = Status> + '_ {
        self.by_status.keys().chain(&self.advisory_statuses).copied()
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
        for gone in &self.gone {
            writeln!(out, "  GONE from the inventory: {}", report::printable(gone))?;
        }
        for (host, build, needs) in &self.vulnerable {
            writeln!(out, "  VULNERABLE {} runs {build}, needs {needs}", report::printable(host))?;
        }
        writeln!(out, "{}", self.timing())?;
        writeln!(
            out,
            "{}",
            crate::staleness::catalog_note(jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date())
        )?;
        writeln!(out, "report: {report}")
    }

    /// Probes, rate, per-host time percentiles and peak memory, on one line.
    pub fn timing(&self) -> String {
        let mut times = self.probe_micros.clone();
        times.sort_unstable();
        let pct =
            |p: usize| times.get((times.len() * p / 100).min(times.len().saturating_sub(1))).copied().unwrap_or(0);
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 { times.len() as f64 / secs } else { 0.0 };
        let memory = peak_rss_mib().map(|m| format!("; peak memory {m:.1} MiB")).unwrap_or_default();
        format!(
            "timing: {} probes in {secs:.2} s ({rate:.0} hosts/s); per host p50 {:.1} ms, p99 {:.1} ms{memory}",
            times.len(),
            f64::from(pct(50)) / 1000.0,
            f64::from(pct(99)) / 1000.0
        )
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
pub async fn run<W: Write>(config: &Config, job: Job, writer: &mut report::Writer<W>) -> Result<Summary> {
    let Job { entries, prober, concurrency, stop, mut baseline, progress } = job;
    let prober = Arc::new(prober);
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut probes = Remembered::default();
    // Up to `window` rows are in progress or wait for their turn to be
    // written; only `concurrency` of them probe at once.
    let window = concurrency.max(1) * 4 + WRITE_BACKLOG;
    let mut rows = futures_util::stream::iter(entries)
        .map(|entry| {
            let entry = entry?;
            let probe = match &entry.kind {
                Kind::Probe { endpoint, .. } => Some(
                    probes.get_or_start(endpoint, || spawn_probe(endpoint.clone(), &prober, &permits, stop.clone())),
                ),
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
    let mut summary = Summary::default();
    while let Some(item) = rows.next().await {
        let (entry, observation, first) = item?;
        if let (Some(Probed::Done(obs)), true) = (&observation, first) {
            summary.probe_micros.push(u32::try_from(obs.elapsed.as_micros()).unwrap_or(u32::MAX));
        }
        let mut row = judge_entry(entry, observation, config);
        if let Some(baseline) = &mut baseline {
            row.change = Some(baseline.change(&row.host, row.port, row.status()));
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
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn spawn_probe(
    endpoint: Endpoint,
    prober: &Arc<Prober>,
    permits: &Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) -> SharedProbe {
    let (prober, permits) = (prober.clone(), permits.clone());
    let task = tokio::spawn(async move {
        let work = async {
            let _permit = permits.acquire_owned().await.ok()?;
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
        (Kind::Invalid(why), _) => {
            (only(Verdict::without_build(Status::InputError, why.clone())), String::new(), Vec::new())
        }
        (Kind::Offline(build), _) => {
            let evidence = [Evidence::new(*build, Source::Inventory)];
            (judge_each(tables, |t| assess(&evidence, t)), String::new(), Vec::new())
        }
        (Kind::Probe { .. }, Some(Probed::Failed(why))) => {
            let detail = format!("internal error while probing this host (a bug; please report it): {why}");
            (only(Verdict::without_build(Status::Undetermined, detail)), String::new(), Vec::new())
        }
        (Kind::Probe { .. }, Some(Probed::Stopped) | None) => {
            let detail = "the run was stopped before this host was probed";
            (only(Verdict::without_build(Status::NotScanned, detail)), String::new(), Vec::new())
        }
        (Kind::Probe { build, .. }, Some(Probed::Done(obs))) => {
            let inventory = build.map(|b| Evidence::new(b, Source::Inventory));
            let judged = judge_each(tables, |t| probe::verdict(&obs, inventory.as_ref(), t));
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
        ..Row::judged(judged, config)
    }
}

/// The report format for `scan` and `demo`: CSV unless told otherwise.
pub fn format(config: &Config) -> Format {
    config.format.unwrap_or(Format::Csv)
}
