//! The scan: stream inventory rows, probe the hosts with bounded
//! concurrency, judge each, and write one report row per inventory row in
//! inventory order, then a summary on stderr.

use crate::assess::{Evidence, Source, Status, Verdict, assess};
use crate::cli::Format;
use crate::config::Config;
use crate::inventory::{self, Entry, Kind};
use crate::probe::{self, Prober};
use crate::report::{self, Row};
use anyhow::{Context, Result};
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// What a scan needs besides the common config.
pub struct Job {
    pub inventory: inventory::Reader,
    pub prober: Prober,
    pub concurrency: usize,
}

/// Counts for the summary and the exit status.
#[derive(Debug, Default)]
pub struct Summary {
    pub by_status: BTreeMap<Status, usize>,
    pub by_product: BTreeMap<String, usize>,
    /// Host, build seen and build needed, for each vulnerable row.
    pub vulnerable: Vec<(String, String, String)>,
}

impl Summary {
    fn add(&mut self, row: &Row) {
        *self.by_status.entry(row.status()).or_default() += 1;
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
            let show = |b: Option<crate::build::Build>| b.map(|b| b.to_string()).unwrap_or_default();
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
        for (host, build, needs) in &self.vulnerable {
            writeln!(out, "  VULNERABLE {} runs {build}, needs {needs}", report::printable(host))?;
        }
        writeln!(out, "report: {report}")
    }
}

/// Runs the scan, writing rows to `writer` as they come (in inventory order).
pub async fn run<W: Write>(config: &Config, job: Job, writer: &mut report::Writer<W>) -> Result<Summary> {
    let Job { inventory, prober, concurrency } = job;
    let prober = Arc::new(prober);
    let table = Arc::new(config.table.clone());
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    // Up to `window` rows are in progress or waiting for their turn to be
    // written; only `concurrency` of them probe at once.
    let window = concurrency.max(1) * 4;
    let verbose = config.verbose;
    let mut rows = futures_util::stream::iter(inventory)
        .map(|entry| {
            let (prober, table, permits) = (prober.clone(), table.clone(), permits.clone());
            tokio::spawn(async move {
                let entry = entry?;
                let _permit = permits.acquire_owned().await.context("scan stopped")?;
                Ok::<Row, anyhow::Error>(judge_entry(entry, &prober, &table, verbose).await)
            })
        })
        .buffered(window);
    let mut summary = Summary::default();
    while let Some(joined) = rows.next().await {
        let row = joined.context("a probe task failed")??;
        summary.add(&row);
        writer.write(&row)?;
    }
    Ok(summary)
}

async fn judge_entry(entry: Entry, prober: &Prober, table: &crate::table::Table, verbose: bool) -> Row {
    let (verdict, tls, fe_servers) = match &entry.kind {
        Kind::Invalid(why) => (Verdict::without_build(Status::InputError, why.clone()), String::new(), Vec::new()),
        Kind::Offline(build) => (assess(&[Evidence::new(*build, Source::Inventory)], table), String::new(), Vec::new()),
        Kind::Probe { endpoint, build } => {
            let obs = prober.probe(endpoint).await;
            let inventory = build.map(|b| Evidence::new(b, Source::Inventory));
            let verdict = probe::verdict(&obs, inventory.as_ref(), table);
            if verbose {
                eprintln!(
                    "{}:{} -> {} (tls: {}; evidence: {})",
                    endpoint.host,
                    endpoint.port,
                    verdict.status,
                    obs.tls.as_ref().map(|t| t.describe()).unwrap_or_else(|| "-".into()),
                    obs.evidence.len()
                );
            }
            (verdict, obs.tls.map(|t| t.describe()).unwrap_or_default(), obs.fe_servers)
        }
    };
    Row {
        host: entry.host,
        port: entry.port,
        verdict,
        tls,
        fe_servers,
        checked_at: jiff::Timestamp::now(),
        table: table.id.clone(),
        extras: entry.extras,
    }
}

/// The report format for `scan` and `demo`: CSV unless told otherwise.
pub fn format(config: &Config) -> Format {
    config.format.unwrap_or(Format::Csv)
}
