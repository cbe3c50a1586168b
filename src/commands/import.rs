//! `import`: evidence recorded by others, judged without sending a packet:
//! Shodan and Censys exports (each HTTP service record a row, read with the
//! prober's markers), and HealthChecker's XML exports (each server a row,
//! its exact build). Records stream through with flat memory; a malformed
//! record is an `input-error` row naming its file and line.

use crate::Outcome;
use crate::assess::{self, judge_each};
use crate::config::{Config, Rows};
use crate::evidence::{Evidence, Source};
use crate::import::{self, Service, healthchecker, lines};
use crate::report::summary::Summary;
use crate::report::{Format, Output, Row, outputs};
use crate::sanitize::{clean, neutralise_formula};
use anyhow::{Context, Result};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::path::Path;

/// Which export is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Shodan banners, NDJSON.
    Shodan,
    /// Censys host records, NDJSON.
    Censys,
    /// HealthChecker's `Export-Clixml` results, one XML file per server.
    HealthChecker,
}

/// What `import` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The export read.
    pub kind: Kind,
    /// The files (`-`: stdin; gzip accepted for NDJSON).
    pub files: Vec<String>,
    /// The report paths (`-o`).
    pub output: Vec<String>,
    /// Records older than this many days are marked stale.
    pub stale_after: Option<u64>,
    /// Where to write the rows still needing proof, as an inventory.
    pub inventory_out: Option<String>,
    /// A scan report whose builds are judged beside HealthChecker's.
    pub report: Option<String>,
}

/// The pass-through columns of a Shodan or Censys import, for owner notification.
const SCAN_EXTRAS: [&str; 5] = ["org", "asn", "cert_names", "hostnames", "stale"];
/// The pass-through columns of a HealthChecker import.
const HC_EXTRAS: [&str; 3] = ["healthchecker_version", "healthchecker_cves", "extended_protection"];

/// `import`: one report row per recorded service (or server); the summary on stderr.
pub fn import(config: &Config, options: &Options) -> Result<Outcome> {
    let mut inputs: Vec<&Path> = options.files.iter().filter(|f| *f != "-").map(Path::new).collect();
    inputs.extend(options.report.as_deref().map(Path::new));
    super::runtime::remove_partial_reports_on_signal()?;
    let planned = outputs::plan(&options.output, config.format, Format::Csv)?;
    outputs::check(&planned, &inputs)?;
    if let Some(path) = &options.inventory_out {
        Output::check(Some(path), &inputs)?;
    }
    let opened = outputs::open(&planned, &inputs)?;
    let mut inventory = match &options.inventory_out {
        Some(path) => Some(Inventory::open(path, &inputs)?),
        None => None,
    };
    let extras: Vec<String> = match options.kind {
        Kind::HealthChecker => HC_EXTRAS.iter().map(|s| s.to_string()).collect(),
        _ => SCAN_EXTRAS.iter().map(|s| s.to_string()).collect(),
    };
    let run = crate::report::provenance::Run::now(config.table_ids(), config.data.catalog_date(), None)?
        .with_data(super::data::judging_data(config)?.provenance.stamp());
    let layout = crate::report::Layout { run: Some(run), ..config.layout(false, extras) };
    let mut reports = outputs::Reports::new(opened, &layout)?;
    let mut summary = Summary::default();
    let mut incomplete = false;
    let mut emit = |row: Row, summary: &mut Summary| -> Result<()> {
        summary.add(&row);
        if let Some(inv) = inventory.as_mut() {
            inv.add(&row)?;
        }
        reports.write(&row)
    };
    match options.kind {
        Kind::Shodan | Kind::Censys => {
            let now = jiff::Timestamp::now();
            for file in &options.files {
                incomplete |= !ndjson(config, options, file, now, &mut |row| emit(row, &mut summary))?;
            }
        }
        Kind::HealthChecker => {
            let scanned = match &options.report {
                Some(path) => scan_builds(Path::new(path))?,
                None => HashMap::new(),
            };
            for file in &options.files {
                emit(healthchecker_row(config, file, &scanned), &mut summary)?;
            }
        }
    }
    let place = reports.finish()?;
    if let Some(inv) = inventory {
        inv.finish()?;
    }
    if !config.quiet {
        summary.write(&mut io::stderr().lock(), &place)?;
    }
    Ok(config.outcome(&summary.seen, incomplete, Rows::Required))
}

/// Streams one NDJSON export into rows; `false` when the file broke off
/// (an unreadable or corrupt stream: its error is a row too).
fn ndjson(
    config: &Config,
    options: &Options,
    file: &str,
    now: jiff::Timestamp,
    emit: &mut dyn FnMut(Row) -> Result<()>,
) -> Result<bool> {
    let source = if options.kind == Kind::Shodan { Source::Shodan } else { Source::Censys };
    let reader = match lines::open(file) {
        Ok(r) => r,
        Err(err) => {
            emit(error_row(config, format!("{}: {err:#}", clean(file)), None))?;
            return Ok(false);
        }
    };
    let mut lines = lines::Lines::new(reader, import::MAX_RECORD);
    loop {
        let (n, line) = match lines.next_line() {
            Ok(Some(next)) => next,
            Ok(None) => return Ok(true),
            Err(err) => {
                emit(error_row(config, format!("{}: the export breaks off ({err})", clean(file)), None))?;
                return Ok(false);
            }
        };
        let text = match line {
            lines::Line::TooLong(len) => {
                let why = format!(
                    "{} line {n}: a record of {len} bytes, over the {} MiB cap",
                    clean(file),
                    import::MAX_RECORD >> 20
                );
                emit(error_row(config, why, Some(n)))?;
                continue;
            }
            lines::Line::Text(t) if t.iter().all(u8::is_ascii_whitespace) => continue,
            lines::Line::Text(t) => t,
        };
        let services = match options.kind {
            Kind::Shodan => import::shodan::service(text).map(|s| vec![s]),
            _ => import::censys::services(text),
        };
        match services {
            Ok(services) => {
                for service in services {
                    emit(service_row(config, &service, source, options.stale_after, now, n))?;
                }
            }
            Err(why) => emit(error_row(config, format!("{} line {n}: {why}", clean(file)), Some(n)))?,
        }
    }
}

fn error_row(config: &Config, why: String, line: Option<u64>) -> Row {
    let judged = judge_each(&config.tables, |_| assess::input_error(why.clone()));
    Row { line, ..Row::judged(judged, config.table_ids(), &config.data, &config.tables) }
}

/// The row for one recorded service.
fn service_row(
    config: &Config,
    service: &Service,
    source: Source,
    stale_after: Option<u64>,
    now: jiff::Timestamp,
    line: u64,
) -> Row {
    let reading = import::read(service, source);
    let facts = reading.facts();
    let when = service.seen_at.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
    let mut clauses = vec![format!(
        "recorded by {}{}",
        source.as_str(),
        when.as_ref().map(|w| format!(" at {w}")).unwrap_or_else(|| " (undated)".into())
    )];
    if !reading.markers.is_empty() {
        clauses.push(format!("from {}", reading.markers.join(" and ")));
    }
    if let Some(why) = service.truncated.as_ref().filter(|_| reading.thin.is_none()) {
        clauses.push(why.clone());
    }
    let age_days = service.seen_at.map(|t| (now.as_second() - t.as_second()).max(0) / 86_400);
    let stale = match (stale_after, age_days) {
        (None, _) => String::new(),
        (Some(limit), Some(age)) if age as u64 > limit => {
            clauses.push(format!(
                "stale: the record is {age} days old (over --stale-after {limit}); the server may have changed since"
            ));
            "yes".into()
        }
        (Some(_), Some(_)) => "no".into(),
        (Some(_), None) => "unknown".into(),
    };
    let tail = clauses.join("; ");
    let judged = judge_each(&config.tables, |table| {
        let mut v = assess::recorded(&facts, reading.thin.as_deref(), source, table);
        v.detail = format!("{}; {tail}", v.detail);
        v
    });
    let row = Row::judged(judged, config.table_ids(), &config.data, &config.tables);
    let row = match service.seen_at {
        Some(t) => row.at(t),
        None => row,
    };
    Row {
        host: service.host.clone(),
        port: service.port,
        line: Some(line),
        fe_servers: reading.evidence.iter().filter_map(|e| e.front_end.clone()).take(1).collect(),
        extras: vec![
            service.org.clone(),
            service.asn.clone(),
            service.cert_names.join(";"),
            service.hostnames.join(";"),
            stale,
        ],
        ..row
    }
}

/// The builds a scan report saw, by host name (lower-cased; also by the
/// name's first label, so `ex01` finds `ex01.corp.example`).
fn scan_builds(path: &Path) -> Result<HashMap<String, crate::build::Build>> {
    let report = crate::report::read::read_report(path)?;
    let (host, build) = (report.column("host")?, report.column("build")?);
    let mut out = HashMap::new();
    for row in &report.rows {
        if let Ok(b) = crate::build::Build::parse(&row[build]) {
            let name = row[host].to_ascii_lowercase();
            out.entry(first_label(&name).to_string()).or_insert(b);
            out.insert(name, b);
        }
    }
    Ok(out)
}

fn first_label(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

/// The row for one HealthChecker export.
fn healthchecker_row(config: &Config, file: &str, scanned: &HashMap<String, crate::build::Build>) -> Row {
    let export =
        read_capped(file).and_then(|bytes| healthchecker::read(&bytes).map_err(|e| format!("{}: {e}", clean(file))));
    let export = match export {
        Ok(export) => export,
        Err(why) => return error_row(config, why, None),
    };
    let Some(build) = export.build else {
        let why = format!("{}: the export of {} holds no ExSetup build", clean(file), export.server);
        return Row { host: export.server.clone(), ..error_row(config, why, None) };
    };
    let also = scanned.get(&export.server).or_else(|| scanned.get(first_label(&export.server)));
    let mut clauses = vec![match (&export.version, export.generated) {
        (Some(v), Some(t)) => format!("HealthChecker {v} ran {}", t.strftime("%Y-%m-%dT%H:%M:%SZ")),
        (Some(v), None) => format!("HealthChecker {v}"),
        (None, _) => "HealthChecker export".into(),
    }];
    if !export.cves.is_empty() {
        clauses.push(format!("it reports {}", export.cves.join(", ")));
    }
    let tail = clauses.join("; ");
    let judged = judge_each(&config.tables, |table| {
        let evidence = Evidence::new(build, Source::HealthChecker);
        let mut v = assess::healthchecker(evidence, also.map(|b| Evidence::new(*b, Source::ScanReport)), table);
        v.detail = format!("{}; {tail}", v.detail);
        v
    });
    let row = Row::judged(judged, config.table_ids(), &config.data, &config.tables);
    let row = match export.generated {
        Some(t) => row.at(t),
        None => row,
    };
    Row {
        host: export.server.clone(),
        extras: vec![
            export.version.clone().unwrap_or_default(),
            export.cves.join(";"),
            export.extended_protection.clone().unwrap_or_default(),
        ],
        ..row
    }
}

/// A file read whole, refused past `MAX_EXPORT` bytes.
fn read_capped(file: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let reader: Box<dyn Read> = if file == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(std::fs::File::open(file).map_err(|e| format!("cannot open {}: {e}", clean(file)))?)
    };
    reader
        .take(healthchecker::MAX_EXPORT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", clean(file)))?;
    if bytes.len() as u64 > healthchecker::MAX_EXPORT {
        return Err(format!(
            "{}: larger than {} MiB, not a HealthChecker export",
            clean(file),
            healthchecker::MAX_EXPORT >> 20
        ));
    }
    Ok(bytes)
}

/// `--inventory-out`: the rows still needing proof, as an inventory a
/// follow-up `scan` reads (host, port, and why).
struct Inventory {
    csv: csv::Writer<Output>,
}

impl Inventory {
    fn open(path: &str, inputs: &[&Path]) -> Result<Inventory> {
        let out = Output::open(Some(path), inputs).with_context(|| format!("--inventory-out {path}"))?;
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(["host", "port", "status", "recorded_at"])?;
        Ok(Inventory { csv })
    }

    fn add(&mut self, row: &Row) -> Result<()> {
        use crate::assess::Status;
        if row.host.is_empty() || !matches!(row.status(), Status::SuUnknown | Status::Undetermined | Status::Ambiguous)
        {
            return Ok(());
        }
        let port = row.port.map(|p| p.to_string()).unwrap_or_default();
        let at = row.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        let cells = [row.host.as_str(), port.as_str(), row.status().as_str(), at.as_str()];
        self.csv.write_record(cells.map(neutralise_formula))?;
        Ok(())
    }

    fn finish(self) -> Result<()> {
        let mut out = self.csv.into_inner().map_err(|e| anyhow::anyhow!("--inventory-out: {}", e.error()))?;
        out.flush()?;
        out.commit()
    }
}
