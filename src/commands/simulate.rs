//! `simulate`: the lab fleet of simulated Exchange servers on loopback,
//! running until SIGINT or SIGTERM; optionally its inventory (with each
//! host's expected status) and its CA certificate written out.

use super::runtime::{self, shutdown_signal};
use crate::config::Simulate;
use crate::report::Output;
use crate::{Outcome, sim};
use anyhow::{Context, Result};
use std::io::{self, Write};
use std::path::Path;

/// `simulate`: the fleet runs until SIGINT or SIGTERM.
pub fn simulate(args: Simulate) -> Result<Outcome> {
    // Every simulated host holds a listener and a socket per connection.
    crate::resources::raise_open_files();
    runtime::block_on(|| {
        Ok(async {
            let fleet = sim::start(args.first, args.hosts, args.port, &args.conditions).await?;
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
    })
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
