//! `demo`: start the lab fleet on the addresses of an inventory (the
//! built-in example by default; loopback only), scan it as `scan` would, and
//! write the reports (`exposure.csv` unless `-o` names others).

use super::runtime::{self, scanning, stop_on_signal};
use super::scan::{After, Columns, prober, run_pipeline};
use crate::config::{Config, Probing};
use crate::inventory::{self, Kind};
use crate::report::Format;
use crate::{Outcome, pipeline, report, sim};
use anyhow::{Context, Result, bail};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::path::Path;

/// The first address of the lab fleet: host `i` is this plus `i`.
pub const FLEET_FIRST: Ipv4Addr = Ipv4Addr::new(127, 1, 0, 1);

/// The example inventory, compiled in so `demo` works from any directory.
pub const EXAMPLE_INVENTORY: &str = include_str!("../../inventory.example.csv");

/// `demo`: start the fleet on the inventory's addresses (others when those
/// are taken), scan it, write the report.
pub fn demo(config: &Config, inventory_path: Option<&Path>, output_paths: &[String]) -> Result<Outcome> {
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
    let inputs: Vec<&Path> = config.input_files().into_iter().chain(inventory_path).collect();
    let default = ["exposure.csv".to_string()];
    let paths = if output_paths.is_empty() { &default[..] } else { output_paths };
    let planned = report::outputs::plan(paths, config.format, Format::Csv)?;
    let output = report::outputs::open(&planned, &inputs)?;
    let data = super::data::judging_data(config)?;
    let run = report::provenance::Run::now(config.table_ids(), config.data.catalog_date(), inventory_path)?
        .with_data(data.provenance.stamp());
    runtime::block_on(|| {
        Ok(async {
            let (fleet, moved) = start_fleet_somewhere(&hosts).await?;
            if !config.quiet {
                eprintln!("lab fleet: {} simulated Exchange servers on loopback; scanning {name}", fleet.hosts.len());
                if let Some((from, to)) = moved.iter().next() {
                    eprintln!("lab fleet: {from} and the others were taken; moved to {to} and beside it");
                }
            }
            let probing = Probing::lab(&fleet.ca_pem);
            let inventory = read()?;
            let extra_columns = inventory.extra_columns.clone();
            let entries = inventory.map(move |entry| entry.map(|e| relocate(e, &moved)));
            let stop = stop_on_signal();
            scanning();
            let job = pipeline::Job {
                entries: Box::new(entries),
                prober: prober(&probing)?,
                concurrency: probing.concurrency,
                max_connects: crate::resources::default_max_connects(probing.concurrency),
                stop,
                baseline: None,
                accept: None,
                progress: None,
                pace: pipeline::Pace::default(),
            };
            let columns = Columns { extras: extra_columns, provenance: None, run: Some(run), jsonl_provenance: false };
            let outcome = run_pipeline(config, job, columns, output, After::default()).await;
            drop(fleet);
            outcome
        })
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
