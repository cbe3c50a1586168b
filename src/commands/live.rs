//! The commands that talk to servers: `scan` (the main job), `simulate`
//! (the lab fleet on loopback) and `demo` (both together).

use crate::cli::{ProbeArgs, ScanArgs, SimulateArgs};
use crate::config::{Config, Rows};
use crate::inventory::{self, Kind};
use crate::probe::{Prober, Settings, tls::Tls};
use crate::report::baseline::Baseline;
use crate::report::provenance::Provenance;
use crate::report::{self, Output};
use crate::shard::Shard;
use crate::targets::{self, Exclude, Expand};
use crate::{Outcome, scan, sim};
use anyhow::{Context, Result, bail, ensure};
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::watch;

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

fn open_inventory(path: &str, host_column: Option<&str>) -> Result<inventory::Reader> {
    let input: Box<dyn BufRead + Send> = if path == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        let file = std::fs::File::open(path).with_context(|| format!("cannot open inventory {path}"))?;
        Box::new(BufReader::new(file))
    };
    inventory::Reader::with_host_column(input, host_column).with_context(|| format!("cannot read inventory {path}"))
}

/// Probe settings from the command line, validated.
fn prober(args: &ProbeArgs, extra_ca_pem: Option<&[u8]>) -> Result<Prober> {
    ensure!(
        args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 600.0,
        "--timeout must be between 0 and 600 seconds"
    );
    ensure!((1..=4096).contains(&args.concurrency), "--concurrency must be from 1 to 4096");
    let request_timeout = Duration::from_secs_f64(args.timeout);
    let connect_timeout = connect_timeout(args.connect_timeout, args.timeout)?;
    let settings = Settings {
        request_timeout,
        connect_timeout,
        host_timeout: request_timeout * 4,
        user_agent: args
            .user_agent
            .clone()
            .unwrap_or_else(|| format!("exchange-exposure/{}", env!("CARGO_PKG_VERSION"))),
        require_valid_tls: args.require_valid_tls,
        proxy: args.proxy.as_deref().map(proxy_endpoint).transpose()?,
        legacy_tls: !args.no_legacy_tls,
    };
    let tls = match (&args.ca_cert, extra_ca_pem) {
        (Some(path), _) => Tls::new(Some(&read_ca(path)?), &path.display().to_string())?,
        (None, Some(pem)) => Tls::new(Some(pem), "the lab fleet's CA")?,
        (None, None) => Tls::new(None, "")?,
    };
    Prober::new(&settings, tls)
}

/// What reaching a host may cost when `--connect-timeout` is not given: a
/// TCP connect and a legacy-TLS handshake take four round trips, well under a
/// second on any network a scan crosses, so 5 s is generous for a slow host
/// and caps what each silent one costs (BENCHMARKS.md, issue 17).
const DEFAULT_CONNECT_SECS: f64 = 5.0;

/// The connect timeout: as given, or the default (no longer than `--timeout`).
fn connect_timeout(given: Option<f64>, request_secs: f64) -> Result<Duration> {
    let secs = given.unwrap_or(DEFAULT_CONNECT_SECS.min(request_secs));
    ensure!(secs.is_finite() && secs > 0.0 && secs <= 600.0, "--connect-timeout must be between 0 and 600 seconds");
    Ok(Duration::from_secs_f64(secs))
}

fn proxy_endpoint(url: &str) -> Result<crate::probe::http::Endpoint> {
    ensure!(url.starts_with("http://"), "--proxy {url:?}: give an http:// URL (the tunnel inside it carries TLS)");
    inventory::parse_target(url, None).map_err(|why| anyhow::anyhow!("--proxy: {why}"))
}

fn read_ca(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read --ca-cert {}", path.display()))
}

/// `scan`.
pub fn scan(config: &Config, args: ScanArgs) -> Result<Outcome> {
    let config = &Config {
        fail_on_change: crate::config::parse_fail_on_change(&args.fail_on_change, args.baseline.is_some())?,
        ..config.clone()
    };
    // The signal handlers come first: from here on, a signal ends the run in
    // order (the report written, no temporary file left), never by default.
    if config.verbose {
        init_logging(config.color);
    }
    let runtime = runtime()?;
    let _guard = runtime.enter();
    let stop = stop_on_signal();
    tracing::info!("signals handled; reading the inventory");
    let shard = args.shard.as_deref().map(Shard::parse).transpose().map_err(|why| anyhow::anyhow!("--shard {why}"))?;
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    if let Some(warning) = baseline.as_ref().and_then(|b| b.tables_warning(&config.table_ids())) {
        eprintln!("exchange-exposure: {warning}");
    }
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let accept = args.accept.as_deref().map(|p| crate::accept::Acceptances::load(p, today)).transpose()?;
    let rate = crate::config::parse_rate(args.rate)?;
    let expand = Expand { allow_large: args.allow_large };
    let exclude = Exclude::parse(&args.exclude)?;
    let targets = targets::from_arguments(&args.target, expand)?;
    let mut inputs: Vec<&Path> = args.baseline.iter().chain(&args.accept).map(|p| p.as_path()).collect();
    if let Some(path) = args.inventory.as_deref().filter(|p| *p != "-") {
        inputs.push(Path::new(path));
    }
    // Refuse a bad -o before reading a possibly slow stdin.
    let planned = report::outputs::plan(&args.output, config.format, scan::format(config))?;
    report::outputs::check(&planned, &inputs)?;
    let metrics = args.metrics.as_deref().map(crate::metrics::Destination::check).transpose()?;
    let run = report::provenance::Run::now(config, args.inventory.as_deref().filter(|p| *p != "-").map(Path::new))?;
    let (rows, extra_columns, note): (scan::Entries, Vec<String>, _) = match &args.inventory {
        Some(path) => {
            let inventory = open_inventory(path, args.host_column.as_deref())?;
            let (extras, note) = (inventory.extra_columns.clone(), Some(inventory.note()));
            (Box::new(inventory), extras, note)
        }
        None => (Box::new(std::iter::empty()), Vec::new(), None),
    };
    let in_shard = move |e: &inventory::Entry| shard.is_none_or(|s| s.has(e));
    let target_rows = targets.iter().filter(|e| !exclude.covers(e) && in_shard(e)).count() as u64;
    // Known up front when every row is a --target; a terminal's bar also
    // counts an inventory that is a regular file first (cheap next to
    // probing). A pipe, FIFO or device is read once only, by the scan.
    let total = args.inventory.is_none().then_some(target_rows);
    let bar_total = match args.inventory.as_deref() {
        _ if !shows_bar(config) => None,
        None => total,
        Some(path) if std::fs::metadata(path).is_ok_and(|m| m.is_file()) => {
            count_rows(path, args.host_column.as_deref(), expand, &exclude, shard).map(|n| n + target_rows)
        }
        Some(_) => None,
    };
    // --target rows follow the inventory's, with empty pass-through cells.
    let width = extra_columns.len();
    let targets = targets.into_iter().map(move |mut e| {
        e.extras.resize(width, String::new());
        Ok(e)
    });
    let excluded = exclude.count.clone();
    let rows = rows
        .chain(targets)
        .flat_map(move |row| -> Box<dyn Iterator<Item = Result<inventory::Entry>> + Send> {
            match row {
                Ok(entry) => Box::new(expand.entry(entry).map(Ok)),
                Err(err) => Box::new(std::iter::once(Err(err))),
            }
        })
        .filter(move |row| row.as_ref().map_or(true, |e| exclude.keep(e) && in_shard(e)));
    let entries: scan::Entries = if args.strict {
        let all: Vec<_> = rows.collect::<Result<_>>()?;
        refuse_input_errors(&all)?;
        Box::new(all.into_iter().map(Ok))
    } else {
        Box::new(rows)
    };
    let provenance = match (shard, args.inventory.as_deref()) {
        (Some(shard), Some(path)) => Some(shard_provenance(config, path, shard)?),
        (Some(_), None) => bail!("--shard needs an inventory file (every shard must read the same one)"),
        (None, _) => None,
    };
    let prober = prober(&args.probe, None)?;
    let (concurrency, warning) = crate::resources::fit_concurrency(args.probe.concurrency);
    if let Some(warning) = warning
        && !config.quiet
    {
        eprintln!("exchange-exposure: warning: {warning}");
    }
    // From here a signal stops the scan in order instead of ending the process.
    scanning();
    let output = report::outputs::open(&planned, &inputs)?;
    let progress = shows_bar(config).then(|| progress_bar(bar_total));
    let stats_every = (!config.quiet && args.stats_every > 0 && !io::stderr().is_terminal())
        .then(|| Duration::from_secs(args.stats_every));
    let pace = scan::Pace { rate, stats_every, total, excluded };
    let job = scan::Job { entries, prober, concurrency, stop, baseline, accept, progress, pace };
    let columns = Columns { extras: extra_columns, provenance, run: Some(run), jsonl_provenance: args.provenance };
    let outcome = runtime.block_on(scan_to(config, job, columns, output, metrics));
    if let Some(note) = note.and_then(|n| n.get()).filter(|_| !config.quiet) {
        eprintln!("{note}");
    }
    outcome
}

/// `--strict`: every unusable row is named, and nothing is probed.
fn refuse_input_errors(entries: &[inventory::Entry]) -> Result<()> {
    let errors: Vec<&str> = entries
        .iter()
        .filter_map(|e| match &e.kind {
            Kind::Invalid(why) => Some(why.as_str()),
            _ => None,
        })
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = errors.iter().take(10).map(|e| format!("  {}", report::printable(e))).collect();
    let more = if errors.len() > 10 { format!("\n  … and {} more", errors.len() - 10) } else { String::new() };
    bail!("--strict: {} unusable inventory rows, nothing probed:\n{}{more}", errors.len(), shown.join("\n"))
}

/// Whether the scan proper has started (the report is open). Before, a
/// signal ends the process at once; after, it stops the scan in order.
static RUN_STARTED: AtomicBool = AtomicBool::new(false);

/// A stop flag raised by SIGINT, SIGTERM or SIGHUP.
/// The handlers are in place when this returns (not at the task's first
/// poll), so a signal that comes right after start-up is not lost.
fn stop_on_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    let signal = shutdown_signal();
    tokio::spawn(async move {
        signal.await;
        if !RUN_STARTED.load(Ordering::SeqCst) {
            // Still setting up (perhaps reading a stalled stdin's header): no
            // report and no temporary file exist yet, so end at once.
            eprintln!("exchange-exposure: interrupted before the scan started; no report written");
            std::process::exit(i32::from(Outcome::Incomplete.exit_code()));
        }
        eprintln!("exchange-exposure: stopping; rows not yet probed are reported as not-scanned");
        let _ = tx.send(true);
    });
    rx
}

/// Marks the start of the scan proper: a signal now stops it in order.
fn scanning() {
    RUN_STARTED.store(true, Ordering::SeqCst);
    tracing::info!("signal handlers installed; scanning");
}

/// `-v` logs on stderr; colour codes only when `--color` says so.
fn init_logging(color: bool) {
    let _ = tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_ansi(color)
        .with_target(false)
        .with_max_level(tracing::Level::DEBUG)
        .try_init();
}

/// Whether a progress bar is drawn: stderr is a terminal, not `--quiet` or `-v`.
fn shows_bar(config: &Config) -> bool {
    !config.quiet && !config.verbose && io::stderr().is_terminal()
}

/// The rows an inventory file will give: ranges expanded, exclusions and
/// the shard applied (nothing counted as excluded: this is a dry pass).
fn count_rows(
    path: &str,
    host_column: Option<&str>,
    expand: Expand,
    exclude: &Exclude,
    shard: Option<Shard>,
) -> Option<u64> {
    let rows = open_inventory(path, host_column).ok()?;
    let kept = |e: &inventory::Entry| !exclude.covers(e) && shard.is_none_or(|s| s.has(e));
    Some(
        rows.map(|row| match row {
            Ok(entry) => expand.entry(entry).filter(kept).count() as u64,
            Err(_) => 1,
        })
        .sum(),
    )
}

/// The progress bar on stderr: done/total when the total is known, else a spinner.
fn progress_bar(total: Option<u64>) -> indicatif::ProgressBar {
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let template = match total {
        Some(_) => "{spinner} {pos}/{len} hosts  {rate}  ETA {eta}  {wide_bar}",
        None => "{spinner} {pos} hosts  {rate}",
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.with_key("rate", |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0} hosts/s", state.per_sec());
        }));
    }
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar
}

/// `--shard`: what the shard report is made from. Every shard must read the
/// same inventory file, so stdin or a pipe is refused.
fn shard_provenance(config: &Config, inventory: &str, shard: Shard) -> Result<Provenance> {
    let path = Path::new(inventory);
    ensure!(
        inventory != "-" && std::fs::metadata(path).is_ok_and(|m| m.is_file()),
        "--shard needs the inventory as a file (every shard must read the same one), not {inventory}"
    );
    let (inventory_sha256, inventory_lines) = report::provenance::fingerprint(path)?;
    Ok(Provenance {
        shard: format!("{}/{}", shard.index, shard.count),
        inventory_sha256,
        inventory_lines,
        advisories: config.advisory_ids(),
    })
}

/// The report's columns beyond the tool's own: the inventory's, and the
/// shard provenance.
struct Columns {
    extras: Vec<String>,
    provenance: Option<Provenance>,
    run: Option<report::provenance::Run>,
    jsonl_provenance: bool,
}

async fn scan_to(
    config: &Config,
    job: scan::Job,
    columns: Columns,
    output: Vec<(Output, crate::cli::Format)>,
    metrics: Option<crate::metrics::Destination>,
) -> Result<Outcome> {
    let stop = job.stop.clone();
    let with_baseline = job.baseline.is_some();
    // A shard may be empty: its inventory was not.
    let rows = if columns.provenance.is_some() { Rows::Shard } else { Rows::Required };
    let layout = report::Layout {
        provenance: columns.provenance,
        accepted: job.accept.is_some(),
        run: columns.run,
        jsonl_provenance: columns.jsonl_provenance,
        ..config.layout(job.baseline.is_some(), columns.extras)
    };
    let mut writer = report::outputs::Reports::new(output, &layout)?;
    let summary = scan::run(config, job, &mut writer).await?;
    let place = writer.finish()?;
    if !config.quiet {
        summary.write(&mut io::stderr().lock(), &place)?;
    }
    let stopped = *stop.borrow();
    let outcome = config.outcome(&summary.seen, stopped, rows);
    if let Some(metrics) = metrics {
        let run = crate::metrics::Run { summary: &summary, with_baseline, exit_status: outcome.exit_code() };
        metrics.write(&crate::metrics::render(config, &run, jiff::Timestamp::now()))?;
    }
    Ok(outcome)
}

/// `simulate`: the fleet runs until SIGINT or SIGTERM.
pub fn simulate(args: SimulateArgs) -> Result<Outcome> {
    ensure!(args.hosts >= 1, "--hosts must be at least 1");
    ensure!(args.latency <= 60_000, "--latency must be at most 60000 ms");
    let mix = sim::personalities::Mix { silent: args.silent, legacy: args.legacy };
    ensure!(
        u16::from(mix.silent) + u16::from(mix.legacy.unwrap_or(0)) <= 100,
        "--silent and --legacy together may not pass 100%"
    );
    let conditions = sim::Conditions { latency: Duration::from_millis(args.latency), mix };
    // Every simulated host holds a listener and a socket per connection.
    crate::resources::raise_open_files();
    runtime()?.block_on(async {
        let fleet = sim::start(args.first, args.hosts, args.port, &conditions).await?;
        if let Some(path) = &args.inventory_out {
            write_fleet_inventory(path, &fleet)?;
        }
        if let Some(path) = &args.ca_out {
            std::fs::write(path, &fleet.ca_pem).with_context(|| format!("cannot write {}", path.display()))?;
        }
        let last = fleet.hosts.last().map(|h| h.addr.ip().to_string()).unwrap_or_default();
        println!("ready: {} simulated servers on {}–{last}", fleet.hosts.len(), args.first);
        io::stdout().flush()?;
        shutdown_signal().await;
        drop(fleet);
        Ok(Outcome::Clean)
    })
}

/// SIGINT, SIGTERM or SIGHUP (a closed terminal or session: handled like
/// SIGTERM, so the report is still written and no temporary file is left).
/// The listeners are registered when this is called (it must be called
/// inside the runtime); the returned future waits for one.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listeners = signal(SignalKind::interrupt())
            .and_then(|int| Ok((int, signal(SignalKind::terminate())?, signal(SignalKind::hangup())?)));
        async move {
            match listeners {
                Ok((mut int, mut term, mut hup)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                        _ = hup.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The fleet as an inventory, with how each host must be judged.
fn write_fleet_inventory(path: &Path, fleet: &sim::Fleet) -> Result<()> {
    let mut out = Output::open(Some(&path.to_string_lossy()), &[])?;
    {
        let mut csv = csv::Writer::from_writer(&mut out);
        csv.write_record(["host", "port", "personality", "expected_status"])?;
        for host in &fleet.hosts {
            let p = host.personality;
            csv.write_record([
                host.addr.ip().to_string(),
                host.addr.port().to_string(),
                p.name.into(),
                p.expected.to_string(),
            ])?;
        }
        csv.flush()?;
    }
    out.commit()
}

/// The first address of the lab fleet: host `i` is this plus `i`.
pub const FLEET_FIRST: Ipv4Addr = Ipv4Addr::new(127, 1, 0, 1);

/// The example inventory, compiled in so `demo` works from any directory.
pub const EXAMPLE_INVENTORY: &str = include_str!("../../inventory.example.csv");

/// `demo`: start the fleet on the inventory's addresses (others when those
/// are taken), scan it, write the report.
pub fn demo(config: &Config, inventory_path: Option<&Path>, output_path: &Path) -> Result<Outcome> {
    let (text, name) = match inventory_path {
        Some(path) => (
            std::fs::read(path).with_context(|| format!("cannot open inventory {}", path.display()))?,
            path.display().to_string(),
        ),
        None => (EXAMPLE_INVENTORY.as_bytes().to_vec(), "the built-in example inventory".to_string()),
    };
    let read = || -> Result<inventory::Reader> {
        inventory::Reader::new(Box::new(io::Cursor::new(text.clone())))
            .with_context(|| format!("cannot read inventory {name}"))
    };
    let mut hosts = Vec::new();
    for entry in read()? {
        let entry = entry?;
        let Kind::Probe { endpoint, .. } = &entry.kind else { continue };
        // The address connected to (a name beside it is only presented).
        let ip: Ipv4Addr = match endpoint.address() {
            Some(IpAddr::V4(ip)) if ip.is_loopback() => ip,
            _ => bail!(
                "demo scans only the lab fleet on loopback; {} (line {}) is not a 127.x.y.z address",
                endpoint.host,
                entry.line
            ),
        };
        let index = u32::from(ip)
            .checked_sub(u32::from(FLEET_FIRST))
            .with_context(|| format!("{ip} is below {FLEET_FIRST}"))?;
        let addr = SocketAddrV4::new(ip, endpoint.port);
        if !hosts.iter().any(|(a, _)| *a == addr) {
            hosts.push((addr, index as usize));
        }
    }
    let inputs: Vec<&Path> = inventory_path.into_iter().collect();
    let planned =
        report::outputs::plan(&[output_path.to_string_lossy().into_owned()], config.format, scan::format(config))?;
    let output = report::outputs::open(&planned, &inputs)?;
    let run = report::provenance::Run::now(config, inventory_path)?;
    runtime()?.block_on(async {
        let (fleet, moved) = start_fleet_somewhere(&hosts).await?;
        if !config.quiet {
            eprintln!("lab fleet: {} simulated Exchange servers on loopback; scanning {name}", fleet.hosts.len());
            if let Some((from, to)) = moved.iter().next() {
                eprintln!("lab fleet: {from} and the others were taken; moved to {to} and beside it");
            }
        }
        let args = ProbeArgs {
            concurrency: 32,
            timeout: 5.0,
            connect_timeout: None,
            user_agent: None,
            ca_cert: None,
            require_valid_tls: false,
            proxy: None,
            no_legacy_tls: false,
        };
        let inventory = read()?;
        let extra_columns = inventory.extra_columns.clone();
        let entries = inventory.map(move |entry| entry.map(|e| relocate(e, &moved)));
        let stop = stop_on_signal();
        scanning();
        let job = scan::Job {
            entries: Box::new(entries),
            prober: prober(&args, Some(fleet.ca_pem.as_bytes()))?,
            concurrency: args.concurrency,
            stop,
            baseline: None,
            accept: None,
            progress: None,
            pace: scan::Pace::default(),
        };
        let columns = Columns { extras: extra_columns, provenance: None, run: Some(run), jsonl_provenance: false };
        let outcome = scan_to(config, job, columns, output, None).await;
        drop(fleet);
        outcome
    })
}

/// Where the demo's hosts moved when their addresses were taken.
type Moved = std::collections::BTreeMap<SocketAddrV4, SocketAddrV4>;

/// Starts the fleet on `hosts`; when one of them cannot listen (another demo
/// runs, a service holds the port), on a free port of the same addresses,
/// then of 127.2.x.y, 127.3.x.y and so on.
async fn start_fleet_somewhere(hosts: &[(SocketAddrV4, usize)]) -> Result<(sim::Fleet, Moved)> {
    let first_err = match sim::start_hosts(hosts).await {
        Ok(fleet) => return Ok((fleet, Moved::new())),
        Err(err) => err,
    };
    for shift in 0..8u32 {
        let moved: Moved = hosts
            .iter()
            .map(|(addr, _)| (*addr, SocketAddrV4::new(Ipv4Addr::from(u32::from(*addr.ip()) + (shift << 16)), 0)))
            .collect();
        let Some(probe_ip) = moved.values().next().map(|a| *a.ip()).filter(|ip| ip.is_loopback()) else { break };
        // A port free on the first address; the others are tried with it.
        let Ok(port) = std::net::TcpListener::bind((probe_ip, 0)).and_then(|l| l.local_addr()).map(|a| a.port()) else {
            continue;
        };
        let moved: Moved = moved.into_iter().map(|(from, to)| (from, SocketAddrV4::new(*to.ip(), port))).collect();
        let relocated: Vec<(SocketAddrV4, usize)> = hosts.iter().map(|(a, i)| (moved[a], *i)).collect();
        if let Ok(fleet) = sim::start_hosts(&relocated).await {
            return Ok((fleet, moved));
        }
    }
    Err(first_err.context("the lab fleet could not listen on its addresses nor on free ones"))
}

/// The entry pointed at where its lab host moved.
fn relocate(mut entry: inventory::Entry, moved: &Moved) -> inventory::Entry {
    if let Kind::Probe { endpoint, .. } = &mut entry.kind
        && let Some(IpAddr::V4(ip)) = endpoint.address()
        && let Some(to) = moved.get(&SocketAddrV4::new(ip, endpoint.port))
    {
        if endpoint.connect.is_some() {
            endpoint.connect = Some(IpAddr::V4(*to.ip()));
        } else {
            endpoint.host = to.ip().to_string();
        }
        endpoint.port = to.port();
        entry.host = to.ip().to_string();
        entry.port = Some(endpoint.port);
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_timeout_defaults_to_five_seconds_or_less() {
        let cases = [
            (None, 10.0, Some(5.0)),
            (None, 2.0, Some(2.0)),
            (None, 5.0, Some(5.0)),
            (Some(1.5), 10.0, Some(1.5)),
            (Some(30.0), 10.0, Some(30.0)),
            (Some(0.0), 10.0, None),
            (Some(-1.0), 10.0, None),
            (Some(f64::NAN), 10.0, None),
            (Some(601.0), 10.0, None),
        ];
        for (given, request, want) in cases {
            let got = connect_timeout(given, request).ok().map(|d| d.as_secs_f64());
            assert_eq!(got, want, "{given:?} {request}");
        }
    }
}
