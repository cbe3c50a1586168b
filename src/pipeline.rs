//! The pipeline of a scan: stream inventory rows, probe the hosts with
//! bounded concurrency (each distinct host once, its probe shared by every
//! row that names it), hand what each probe saw to `assess`, and write one
//! report row per inventory row, in inventory order, to the sink. It takes
//! typed settings (`Job`, `Judging`), never the command line. A stop request
//! (SIGINT, SIGTERM) ends probing; every row still gets written, as
//! `not-scanned`.

use crate::assess::{self, Verdict, judge_each};
use crate::evidence::{Evidence, Source};
use crate::inventory::{Entry, Kind};
use crate::probe::{Observation, Prober};
use crate::report::baseline::Baseline;
use crate::report::summary::{Summary, status_line};
use crate::report::{self, Row};
use crate::table::Table;
use crate::target::Endpoint;
use anyhow::Result;
use futures_util::StreamExt;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::{Semaphore, watch};

/// The inventory's rows, as they stream in.
pub type Entries = Box<dyn Iterator<Item = Result<Entry>> + Send>;

/// What a scan works on: the rows, the prober and its bounds, and what
/// each row is compared with besides the tables.
pub struct Job {
    /// The rows to judge, in report order.
    pub entries: Entries,
    /// The one prober, shared by every probe.
    pub prober: Prober,
    /// Hosts in a session (their HTTP requests) at once.
    pub concurrency: usize,
    /// TCP connects in flight at once, apart from sessions: a host that
    /// never answers holds one of these, never a session.
    pub max_connects: usize,
    /// Becomes `true` when probing must stop.
    pub stop: watch::Receiver<bool>,
    /// An earlier report: each row gets its `change`.
    pub baseline: Option<Baseline>,
    /// Accepted risks, applied to each row.
    pub accept: Option<crate::accept::Acceptances>,
    /// A progress bar to advance per row written.
    pub progress: Option<indicatif::ProgressBar>,
    /// How hosts are paced, and how progress is told when there is no bar.
    pub pace: Pace,
}

/// Pacing and progress lines (issue 16), apart from the bar.
#[derive(Debug, Clone, Default)]
pub struct Pace {
    /// Hosts started per second at most.
    pub rate: Option<f64>,
    /// A one-line status on stderr this often (no bar: stderr is not a terminal).
    pub stats_every: Option<std::time::Duration>,
    /// Rows the scan will have, when known before it starts.
    pub total: Option<u64>,
    /// Rows left out by the exclusions, counted as the inventory streams.
    pub excluded: Arc<std::sync::atomic::AtomicU64>,
}

/// What the progress line counts, shared with the inventory's reader.
#[derive(Debug, Default)]
struct Counts {
    /// Rows read from the input so far.
    read: std::sync::atomic::AtomicU64,
    /// Whether the input has ended (`read` is then the total).
    ended: std::sync::atomic::AtomicBool,
    /// Rows whose probe is done (or that needed none).
    done: std::sync::atomic::AtomicU64,
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

/// How rows are judged: the tables, and their ids for every row's `table`
/// cell (`Row::judged` adds staleness and open CVEs; the pipeline then
/// fills in where the row came from).
pub struct Judging<'a> {
    /// One table per advisory judged, never empty; the first leads.
    tables: &'a [Table],
    /// Their ids, `+`-joined: every row's `table` cell.
    table_ids: String,
    /// The data judged with (staleness, support, open CVEs).
    data: &'a crate::dataset::DataSet,
}

impl Judging<'_> {
    /// Judging against these tables (one per advisory, the first leading) with this data.
    pub fn new<'a>(tables: &'a [Table], data: &'a crate::dataset::DataSet) -> Judging<'a> {
        Judging { tables, table_ids: crate::table::ids(tables), data }
    }
}

/// Runs the scan, writing rows to `writer` in inventory order as they come.
pub async fn run(judging: &Judging<'_>, job: Job, writer: &mut report::outputs::Reports) -> Result<Summary> {
    let Job { entries, mut prober, concurrency, max_connects, stop, mut baseline, mut accept, progress, pace } = job;
    let judged: Vec<String> = judging.tables.iter().map(|t| t.advisory.clone()).collect();
    prober.limit_slots(max_connects, concurrency);
    let prober = Arc::new(prober);
    let pacer = pace.rate.map(|rate| Arc::new(Pacer::new(rate)));
    // Hosts between their start and their end: connecting, waiting for a
    // session slot, or in one. The prober bounds each kind.
    let permits = Arc::new(Semaphore::new(concurrency.max(1) + max_connects.max(1)));
    let mut probes = Remembered::default();
    // Up to `window` rows are in progress or wait for their turn to be
    // written; only `concurrency` of them probe at once.
    let window = concurrency.max(1) * 4 + WRITE_BACKLOG;
    // Progress counts probes done (not rows written in order, which wait
    // behind a slow host) of the rows read, a total once the input ended.
    let counts = Arc::new(Counts::default());
    let mut rows = read_until_stopped(entries, stop.clone(), window, counts.clone())
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
        .map(|item: Result<(Entry, Option<(SharedProbe, bool)>)>| {
            let counts = counts.clone();
            async move {
                let (entry, probe) = item?;
                let (observation, first) = match probe {
                    Some((probe, first)) => (Some(probe.await), first),
                    None => (None, false),
                };
                counts.done.fetch_add(1, Ordering::Relaxed);
                Ok::<_, anyhow::Error>((entry, observation, first))
            }
        })
        .buffered(window);
    let started = std::time::Instant::now();
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut summary = Summary {
        rate_limit: pace.rate,
        data_note: judging.data.catalog_note(today),
        catalog_date: judging.data.catalog_civil_date(),
        ..Summary::default()
    };
    let mut ticker = pace.stats_every.filter(|_| progress.is_none()).map(|every| {
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker
    });
    loop {
        let item = tokio::select! {
            item = rows.next() => item,
            _ = tick(&mut ticker) => {
                let total = pace.total.or_else(|| counts.ended.load(Ordering::Relaxed).then(|| counts.read.load(Ordering::Relaxed)));
                let done = counts.done.load(Ordering::Relaxed);
                eprintln!("{}", status_line(&summary, done, total, started.elapsed()));
                continue;
            }
        };
        let Some(item) = item else { break };
        let (entry, observation, first) = item?;
        if let (Some(Probed::Done(obs)), true) = (&observation, first) {
            summary.probe_times.add(u64::try_from(obs.elapsed.as_micros()).unwrap_or(u64::MAX));
        }
        let mut row = judge_entry(entry, observation, judging);
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
    summary.reaching = Some(prober.reach().describe(max_connects, concurrency));
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
    counts: Arc<Counts>,
) -> impl futures_util::Stream<Item = Result<Entry>> {
    let (tx, rx) = tokio::sync::mpsc::channel(buffer.max(1));
    // Not joined: a thread blocked reading a stalled stdin ends with the process.
    let _ = std::thread::Builder::new().name("inventory".into()).spawn(move || {
        for entry in entries {
            counts.read.fetch_add(1, Ordering::Relaxed);
            if tx.blocking_send(entry).is_err() {
                return; // the scan ended first
            }
        }
        counts.ended.store(true, Ordering::Relaxed);
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

/// Hosts started per second at most: a token bucket holding one token,
/// refilled `rate` times a second; each host's probe takes a token before
/// it starts.
pub struct Pacer {
    interval: std::time::Duration,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Pacer {
    /// A bucket refilled `rate` times a second (`rate` above 0).
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
            // In words, as the report's tls column says it, not Rust's Debug form.
            let tls = obs.tls.as_ref().map_or_else(|| "not reached".to_string(), |t| t.describe());
            tracing::info!(host = %endpoint.host, port = endpoint.port, tls = %tls, evidence = obs.evidence.len(), "probed");
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
fn judge_entry(entry: Entry, observation: Option<Probed>, judging: &Judging) -> Row {
    let tables = judging.tables;
    let only = |verdict: Verdict| judge_each(tables, |_| verdict.clone());
    let (judged, tls, fe_servers) = match (&entry.kind, observation) {
        (Kind::Range { net, .. }, _) => {
            let why = format!("line {}: the range {net} was not expanded (a bug; please report it)", entry.line);
            (only(assess::input_error(why)), None, Vec::new())
        }
        (Kind::Invalid(why), _) => (only(assess::input_error(why.clone())), None, Vec::new()),
        (Kind::Offline(build), _) => {
            let evidence = [Evidence::new(*build, Source::Inventory)];
            (judge_each(tables, |t| assess::assess(&evidence, t)), None, Vec::new())
        }
        (Kind::Probe { .. }, Some(Probed::Failed(why))) => (only(assess::probe_crashed(&why)), None, Vec::new()),
        (Kind::Probe { .. }, Some(Probed::Stopped) | None) => {
            (only(assess::not_scanned("the run was stopped before this host was probed")), None, Vec::new())
        }
        (Kind::Probe { build, .. }, Some(Probed::Done(obs))) => {
            let inventory = build.map(|b| Evidence::new(b, Source::Inventory));
            let judged = judge_each(tables, |t| assess::host(&obs.facts(), inventory.as_ref(), t));
            (judged, obs.tls.clone(), obs.fe_servers.clone())
        }
    };
    Row {
        host: entry.host,
        port: entry.port,
        tls,
        fe_servers,
        line: Some(entry.line),
        extras: entry.extras,
        ..Row::judged(judged, judging.table_ids.clone(), judging.data, judging.tables)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::Build;
    use crate::report::summary::{LISTED, SHOWN_PER_STATUS};

    #[test]
    fn the_summary_names_the_first_vulnerable_rows_and_counts_the_rest() {
        let config = crate::config::Config::for_tests();
        let build: Build = "15.1.2176.2".parse().unwrap();
        let entry = Entry { line: 2, host: String::new(), port: None, kind: Kind::Offline(build), extras: Vec::new() };
        let row = judge_entry(entry, None, &Judging::new(&config.tables, &config.data));
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
}
