//! The commands that talk to servers: `scan` (the main job), `simulate`
//! (the lab fleet on loopback) and `demo` (both together).

use crate::cli::{ProbeArgs, ScanArgs, SimulateArgs};
use crate::config::Config;
use crate::inventory::{self, Kind};
use crate::probe::{Prober, Settings, tls::Tls};
use crate::report::{self, Output};
use crate::{Outcome, scan, sim};
use anyhow::{Context, Result, bail, ensure};
use std::io::{self, BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::path::Path;
use std::time::Duration;

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
    let settings = Settings {
        request_timeout,
        host_timeout: request_timeout * 4,
        user_agent: args
            .user_agent
            .clone()
            .unwrap_or_else(|| format!("exchange-exposure/{}", env!("CARGO_PKG_VERSION"))),
        require_valid_tls: args.require_valid_tls,
        proxy: args.proxy.as_deref().map(proxy_endpoint).transpose()?,
    };
    let tls = match (&args.ca_cert, extra_ca_pem) {
        (Some(path), _) => Tls::new(Some(&read_ca(path)?), &path.display().to_string())?,
        (None, Some(pem)) => Tls::new(Some(pem), "the lab fleet's CA")?,
        (None, None) => Tls::new(None, "")?,
    };
    Prober::new(&settings, tls)
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
    let output = Output::open(args.output.as_deref())?;
    let inventory = open_inventory(&args.inventory)?;
    let prober = prober(&args.probe, None)?;
    let job = scan::Job { inventory, prober, concurrency: args.probe.concurrency };
    runtime()?.block_on(scan_to(config, job, output))
}

async fn scan_to(config: &Config, job: scan::Job, output: Output) -> Result<Outcome> {
    let extra = job.inventory.extra_columns.clone();
    let mut writer = report::Writer::new(output, scan::format(config), extra)?;
    let summary = scan::run(config, job, &mut writer).await?;
    let output = writer.finish()?;
    let place = output.describe();
    output.commit()?;
    if !config.quiet {
        summary.write(&mut io::stderr().lock(), &place)?;
    }
    Ok(if config.fails(summary.by_status.keys().copied()) { Outcome::Findings } else { Outcome::Clean })
}

/// `simulate`: the fleet runs until SIGINT or SIGTERM.
pub fn simulate(args: SimulateArgs) -> Result<Outcome> {
    ensure!(args.hosts >= 1, "--hosts must be at least 1");
    runtime()?.block_on(async {
        let fleet = sim::start(args.first, args.hosts, args.port).await?;
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

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
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
            user_agent: None,
            ca_cert: None,
            require_valid_tls: false,
            proxy: None,
        };
        let job = scan::Job {
            inventory: open_inventory(&path)?,
            prober: prober(&args, Some(fleet.ca_pem.as_bytes()))?,
            concurrency: 32,
        };
        let outcome = scan_to(config, job, output).await;
        drop(fleet);
        outcome
    })
}
