//! `hunt`: Test-ProxyLogon's checks over collected logs, one collected
//! folder or ZIP per server, on any machine: a findings report (one row
//! per finding, and one coverage row per server) in the report formats,
//! and with `--report` a `compromise` column joined onto a scan report by
//! host name, rows exposed since March with indicators first. Reads files
//! only; it never contacts a server.

use crate::Outcome;
use crate::hunt::{Compromise, Hunter, rules::Rules, source};
use crate::report::format::Start;
use crate::report::schema::Schema;
use crate::report::{Format, Output, outputs};
use crate::sanitize::clean_long;
use anyhow::{Context, Result};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;

/// What `hunt` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// One collected folder or ZIP per server.
    pub inputs: Vec<String>,
    /// The report paths (`-o`).
    pub output: Vec<String>,
    /// A scan report to join the `compromise` column onto.
    pub report: Option<String>,
    /// With `report`: where the findings go too.
    pub findings: Option<String>,
    /// Microsoft's file baseline for the build.
    pub baseline: Option<String>,
}

/// The findings report's columns.
pub const FINDING_COLUMNS: [&str; 16] = [
    "host",
    "compromise",
    "family",
    "rule",
    "cve",
    "file",
    "line",
    "time",
    "client_ip",
    "url",
    "user_agent",
    "anchor_mailbox",
    "http_status",
    "detail",
    "coverage",
    "rules_source",
];

/// One server's hunt, finished.
struct Server {
    host: String,
    verdict: Compromise,
    rows: Vec<Vec<String>>,
    failed: bool,
}

/// `hunt`: the verdict per server; exit 1 when indicators are found.
pub fn hunt(config: &crate::config::Config, options: &Options) -> Result<Outcome> {
    let mut inputs: Vec<&Path> = options.inputs.iter().map(Path::new).collect();
    inputs.extend(options.report.as_deref().map(Path::new));
    inputs.extend(options.baseline.as_deref().map(Path::new));
    super::runtime::remove_partial_reports_on_signal()?;
    let planned = outputs::plan(&options.output, config.format, Format::Csv)?;
    outputs::check(&planned, &inputs)?;
    let findings_plan = match &options.findings {
        Some(path) => outputs::plan(std::slice::from_ref(path), None, Format::Csv)?,
        None => Vec::new(),
    };
    outputs::check(&findings_plan, &inputs)?;
    let rules = Rules::builtin();
    let baseline = match &options.baseline {
        Some(path) => {
            let mut reader = crate::import::lines::open(path)?;
            Some(crate::hunt::read_baseline(&mut reader).with_context(|| format!("cannot read baseline {path}"))?)
        }
        None => None,
    };
    let servers: Vec<Server> = options.inputs.iter().map(|input| hunt_one(input, &rules, baseline.as_ref())).collect();
    let run = crate::report::provenance::Run::now(format!("rules {}", rules.source), String::new(), None)?;
    let findings: Vec<Vec<String>> = servers.iter().flat_map(|s| s.rows.iter().cloned()).collect();
    let names: Vec<String> = FINDING_COLUMNS.iter().map(|s| s.to_string()).collect();
    let (main_rows, main_names, extra) = match &options.report {
        None => (findings.clone(), names.clone(), None),
        Some(report) => {
            let (columns, rows) = joined(Path::new(report), &servers)?;
            (rows, columns, Some((findings.clone(), names.clone())))
        }
    };
    let opened = outputs::open(&planned, &inputs)?;
    let mut written = Vec::new();
    for ((out, _), p) in opened.into_iter().zip(&planned) {
        written.push(write(out, &main_names, &main_rows, p.format, &run)?);
    }
    if let Some((rows, names)) = extra {
        for ((out, _), p) in outputs::open(&findings_plan, &inputs)?.into_iter().zip(&findings_plan) {
            written.push(write(out, &names, &rows, p.format, &run)?);
        }
    }
    let place = outputs::commit_all(written)?;
    if !config.quiet {
        let mut err = std::io::stderr().lock();
        for s in &servers {
            writeln!(err, "{}: {}", crate::sanitize::printable(&s.host), s.verdict.text())?;
        }
        writeln!(err, "{} findings from {} servers written to {place}", findings.len() - servers.len(), servers.len())?;
    }
    if servers.iter().any(|s| s.failed) {
        return Ok(Outcome::Incomplete);
    }
    if servers.iter().any(|s| matches!(s.verdict, Compromise::IndicatorsFound(_))) {
        return Ok(Outcome::Findings);
    }
    if servers.iter().all(|s| s.verdict == Compromise::NoLogs) {
        return Ok(Outcome::NothingJudged("no Exchange log of any family was found in the inputs".into()));
    }
    Ok(Outcome::Clean)
}

/// The server's name: the collected folder's, or the ZIP's without `.zip`.
fn host_of(input: &str) -> String {
    let path = Path::new(input.trim_end_matches(['/', '\\']));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| input.to_string());
    let name = if name.to_ascii_lowercase().ends_with(".zip") { name[..name.len() - 4].to_string() } else { name };
    crate::sanitize::clean(&name).to_ascii_lowercase()
}

fn hunt_one(input: &str, rules: &Rules, baseline: Option<&HashSet<String>>) -> Server {
    let host = host_of(input);
    let mut hunter = Hunter::new(rules, baseline);
    let mut notes = Vec::new();
    let failed = {
        let mut visit = |path: &str, reader: &mut dyn std::io::BufRead| hunter.file(path, reader);
        match source::each_file(Path::new(input), source::Caps::default(), &mut visit, &mut notes) {
            Ok(()) => false,
            Err(err) => {
                notes.push(format!("{} could not be read: {err}", clean_long(input)));
                true
            }
        }
    };
    hunter.notes.extend(notes);
    let verdict = hunter.verdict();
    let coverage: String = hunter
        .coverage
        .iter()
        .filter(|(_, s)| s.oldest.is_some())
        .map(|(family, s)| format!("{family} {}", s.days()))
        .collect::<Vec<_>>()
        .join("; ");
    let verdict_text = verdict.text();
    let mut rows = Vec::new();
    for f in &hunter.findings {
        rows.push(vec![
            host.clone(),
            verdict_text.clone(),
            f.family.clone(),
            f.rule.clone(),
            f.cve.clone(),
            f.file.clone(),
            f.line.map(|l| l.to_string()).unwrap_or_default(),
            f.time.clone(),
            f.client_ip.clone(),
            f.url.clone(),
            f.user_agent.clone(),
            f.anchor_mailbox.clone(),
            f.http_status.clone(),
            f.detail.clone(),
            coverage.clone(),
            rules.source.clone(),
        ]);
    }
    let mut summary = match &verdict {
        Compromise::IndicatorsFound(n) => format!("{n} findings"),
        Compromise::NoIndicators(_) => "no rule matched; absence of indicators is not proof of no compromise".into(),
        Compromise::LogsTooYoung(young) => format!(
            "no rule matched, but the logs start after {}: {}",
            &crate::hunt::LOGS_NEEDED_FROM[..10],
            young.join(", ")
        ),
        Compromise::NoLogs => "no Exchange log of any family was found".into(),
    };
    let caveats = hunter.caveats();
    if !caveats.is_empty() {
        summary = format!("{summary}; {}", caveats.join("; "));
    }
    let mut row = vec![String::new(); FINDING_COLUMNS.len()];
    row[0] = host.clone();
    row[1] = verdict_text;
    row[3] = "coverage".into();
    row[13] = crate::report::cap_detail(&summary);
    row[14] = coverage;
    row[15] = rules.source.clone();
    rows.push(row);
    Server { host, verdict, rows, failed }
}

/// The scan report with a `compromise` column (by host name, or its first
/// label), rows sorted: exposed with indicators first, then indicators,
/// then the rest in report order.
fn joined(report: &Path, servers: &[Server]) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let read = crate::report::read::read_report(report)?;
    let host_at = read.column("host")?;
    let status_at = read.column("status")?;
    let mut by_name: HashMap<String, String> = HashMap::new();
    for s in servers {
        let text = s.verdict.text();
        by_name.insert(s.host.clone(), text.clone());
        by_name.entry(s.host.split('.').next().unwrap_or(&s.host).to_string()).or_insert(text);
    }
    let mut columns = read.columns.clone();
    columns.push("compromise".into());
    let mut rows: Vec<(usize, Vec<String>)> = read
        .rows
        .into_iter()
        .map(|mut row| {
            let host = row[host_at].to_ascii_lowercase();
            let short = host.split('.').next().unwrap_or(&host).to_string();
            let verdict =
                by_name.get(&host).or_else(|| by_name.get(&short)).cloned().unwrap_or_else(|| "not-hunted".into());
            let exposed = matches!(row[status_at].as_str(), "vulnerable" | "su-unknown" | "ambiguous");
            let rank = match (verdict == "indicators-found", exposed) {
                (true, true) => 0,
                (true, false) => 1,
                _ => 2,
            };
            row.push(verdict);
            (rank, row)
        })
        .collect();
    rows.sort_by_key(|(rank, _)| *rank);
    Ok((columns, rows.into_iter().map(|(_, r)| r).collect()))
}

/// Writes plain-text rows with a format's own writer (CSV formula-guarded,
/// HTML escaped, the workbook's cells text), as `merge` does.
fn write(
    out: Output,
    names: &[String],
    rows: &[Vec<String>],
    format: Format,
    run: &crate::report::provenance::Run,
) -> Result<Output> {
    let schema = Schema::read(names, &[]);
    let start = Start { schema: &schema, run: Some(run), provenance_record: false, advisories: &[], fail_on: &[] };
    let mut exporter = format.open(out, start)?;
    for row in rows {
        exporter.row(row)?;
    }
    let mut out = exporter.finish()?;
    out.flush()?;
    Ok(out)
}
