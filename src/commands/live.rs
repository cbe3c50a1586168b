//! The commands that talk to servers: `scan` (the main job), `simulate`
//! (the lab fleet on loopback) and `demo` (both together).

use crate::cli::{ProbeArgs, ScanArgs, SimulateArgs};
use crate::config::Config;
use crate::inventory::Shard;
use crate::inventory::{self, Kind};
use crate::probe::{Prober, Settings, tls::Tls};
use crate::report::baseline::Baseline;
use crate::report::{self, Output};
use crate::{Outcome, scan, sim};
use anyhow::{Context, Result, bail, ensure};
use std::io::{self, BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::path::Path;
use std::time::Duration;
use tokio::sync::watch;

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

fn open_inventory(path: &str) -> Result<inventory::Reader> {
    let input: Box<dyn BufRead + Send> = if path == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        let file = std::fs::File::open(path).with_context(|| format!("cannot open inventory {path}"))?;
        Box::new(BufReader::new(file))
    };
    inventory::Reader::new(input).with_context(|| format!("cannot read inventory {path}"))
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
    let shard = args.shard.as_deref().map(Shard::parse).transpose().map_err(anyhow::Error::msg)?;
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let output = Output::open(args.output.as_deref())?;
    let inventory = open_inventory(&args.inventory)?;
    let extra_columns = inventory.extra_columns.clone();
    let in_shard = move |e: &Result<inventory::Entry>| match (shard, e) {
        (Some(shard), Ok(entry)) => shard.has(entry),
        _ => true,
    };
    let entries: scan::Entries = if args.strict {
        let all: Vec<_> = inventory.filter(in_shard).collect::<Result<_>>()?;
        refuse_input_errors(&all)?;
        Box::new(all.into_iter().map(Ok))
    } else {
        Box::new(inventory.filter(in_shard))
    };
    let prober = prober(&args.probe, None)?;
    if config.verbose {
        init_logging();
    }
    let (concurrency, warning) = crate::resources::fit_concurrency(args.probe.concurrency);
    if let Some(warning) = warning
        && !config.quiet
    {
        eprintln!("exchange-exposure: warning: {warning}");
    }
    let progress = progress_bar(config, &args.inventory, shard);
    let runtime = runtime()?;
    let _guard = runtime.enter();
    let job = scan::Job { entries, prober, concurrency, stop: stop_on_signal(), baseline, progress };
    runtime.block_on(scan_to(config, job, extra_columns, output))
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

/// A stop flag raised by SIGINT or SIGTERM.
/// The handlers are in place when this returns (not at the task's first
/// poll), so a signal that comes right after start-up is not lost.
fn stop_on_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    let signal = shutdown_signal();
    tokio::spawn(async move {
        signal.await;
        eprintln!("exchange-exposure: stopping; rows not yet probed are reported as not-scanned");
        let _ = tx.send(true);
    });
    tracing::info!("signal handlers installed; scanning");
    rx
}

fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_target(false)
        .with_max_level(tracing::Level::DEBUG)
        .try_init();
}

/// A progress bar on stderr when it is a terminal (not with `--quiet` or `-v`).
fn progress_bar(config: &Config, inventory: &str, shard: Option<Shard>) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if config.quiet || config.verbose || !io::stderr().is_terminal() {
        return None;
    }
    // A file is counted first (cheap next to probing); stdin cannot be.
    let total = (inventory != "-").then(|| open_inventory(inventory).ok()).flatten().map(|rows| {
        rows.filter(|e| matches!((shard, e), (Some(s), Ok(entry)) if s.has(entry)) || shard.is_none()).count()
    });
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n as u64),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let template = "{spinner} {pos}/{len} hosts  {rate}  ETA {eta}  {wide_bar}";
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.with_key("rate", |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0} hosts/s", state.per_sec());
        }));
    }
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    Some(bar)
}

async fn scan_to(config: &Config, job: scan::Job, extra_columns: Vec<String>, output: Output) -> Result<Outcome> {
    let stop = job.stop.clone();
    let mut writer =
        report::Writer::new(output, scan::format(config), config.layout(job.baseline.is_some(), extra_columns))?;
    let summary = scan::run(config, job, &mut writer).await?;
    let output = writer.finish()?;
    let place = output.describe();
    output.commit()?;
    if !config.quiet {
        summary.write(&mut io::stderr().lock(), &place)?;
    }
    let stopped = *stop.borrow();
    Ok(config.outcome(summary.statuses(), stopped))
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

/// SIGINT or SIGTERM. The listeners are registered when this is called (it
/// must be called inside the runtime); the returned future waits for one.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listeners = signal(SignalKind::interrupt()).and_then(|int| Ok((int, signal(SignalKind::terminate())?)));
        async move {
            match listeners {
                Ok((mut int, mut term)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
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
    let mut out = Output::open(Some(&path.to_string_lossy()))?;
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

/// `demo`: start the fleet on the inventory's addresses, scan it, write the report.
pub fn demo(config: &Config, inventory_path: &Path, output_path: &Path) -> Result<Outcome> {
    let path = inventory_path.to_string_lossy().into_owned();
    let mut hosts = Vec::new();
    for entry in open_inventory(&path)? {
        let entry = entry?;
        let Kind::Probe { endpoint, .. } = &entry.kind else { continue };
        let ip: Ipv4Addr = match endpoint.host.parse::<IpAddr>() {
            Ok(IpAddr::V4(ip)) if ip.is_loopback() => ip,
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
    let output = Output::open(Some(&output_path.to_string_lossy()))?;
    runtime()?.block_on(async {
        let fleet = sim::start_hosts(&hosts).await?;
        if !config.quiet {
            eprintln!("lab fleet: {} simulated Exchange servers on loopback; scanning {path}", fleet.hosts.len());
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
        let inventory = open_inventory(&path)?;
        let extra_columns = inventory.extra_columns.clone();
        let job = scan::Job {
            entries: Box::new(inventory),
            prober: prober(&args, Some(fleet.ca_pem.as_bytes()))?,
            concurrency: args.concurrency,
            stop: stop_on_signal(),
            baseline: None,
            progress: None,
        };
        let outcome = scan_to(config, job, extra_columns, output).await;
        drop(fleet);
        outcome
    })
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
