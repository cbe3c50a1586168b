//! The DefectDojo report (`--format defectdojo`, `-o findings.dojo.json`):
//! DefectDojo's "Generic Findings Import" JSON, `{"findings": [...]}`. One
//! finding per host and open CVE (the build lacks its fix), and one per host
//! and advisory judged `vulnerable`. The fields are those DefectDojo's
//! generic JSON parser allows (`dojo/tools/generic/json_parser.py` in
//! DefectDojo/django-DefectDojo: `title`, `severity` and `description`
//! required, every other key from its allowed list), severities from its
//! `Finding.SEVERITIES` (`Critical`, `High`, `Medium`, `Low`, `Info`).
//! `unique_id_from_tool` is `host:port:CVE` (or `host:port:ADVISORY`), the
//! same on every run, so a re-import closes the findings that went away.
//! The document is written whole at the end.

use super::format::{Exporter, Start};
use super::schema::{Column, Key, Schema};
use anyhow::Result;
use serde_json::{Value, json};
use std::io::Write;

/// A finding's severity and why it is that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Severity {
    /// One of DefectDojo's severities: `Critical`, `High`, `Medium`, `Low`, `Info`.
    pub level: &'static str,
    /// Where the level comes from (`severity_justification`).
    pub why: String,
}

/// DefectDojo's severity names (`Finding.SEVERITIES` in `dojo/models.py`).
pub const SEVERITIES: [&str; 5] = ["Critical", "High", "Medium", "Low", "Info"];

/// The severity of a finding about `cve` on a row with `status` — the one
/// place severities are decided. The data files carry no MSRC severity
/// yet, so the level follows from what the row says: a build that lacks a
/// fix, or a `vulnerable` verdict, is `High`; a verdict that cannot tell
/// (`su-unknown`, `ambiguous`) is `Medium`. When the data gains MSRC's
/// severity per CVE, it is looked up here first.
pub fn severity(cve: Option<&str>, status: &str) -> Severity {
    let level = match status {
        "su-unknown" | "ambiguous" => "Medium",
        _ => "High",
    };
    let subject = cve.map_or_else(|| "this advisory".to_string(), |c| c.to_string());
    Severity {
        level,
        why: format!(
            "the tool's data has no MSRC severity for {subject}; {level} because the host's status is {status}"
        ),
    }
}

/// The DefectDojo writer: findings kept until the end, then one document.
pub struct Dojo<W: Write> {
    out: W,
    schema: Schema,
    advisories: Vec<String>,
    findings: Vec<Value>,
}

impl<W: Write> Dojo<W> {
    /// A document with no findings yet.
    pub fn new(out: W, start: Start<'_>) -> Dojo<W> {
        Dojo { out, schema: start.schema.clone(), advisories: start.advisories.to_vec(), findings: Vec::new() }
    }
}

/// What every finding of one row shares.
struct Host<'c> {
    id: String,
    component: String,
    build: &'c str,
    fixed: &'c str,
    date: String,
    accepted: bool,
    description: String,
    mitigation: String,
}

impl<W: Write> Exporter<W> for Dojo<W> {
    fn row(&mut self, cells: &[String]) -> Result<()> {
        let own = |c: Column| self.schema.own(cells, c);
        let host = match (own(Column::Host), own(Column::Port)) {
            ("", _) => format!("build {}", own(Column::Build)),
            (h, "") => h.to_string(),
            (h, p) => format!("{h}:{p}"),
        };
        let name = if own(Column::Host).is_empty() { own(Column::Build) } else { own(Column::Host) };
        let port = own(Column::Port);
        let component = format!("{} {}", own(Column::Product), own(Column::Cu)).trim().to_string();
        let needed = |b: &str| if b.is_empty() { "not known".to_string() } else { b.to_string() };
        let latest = own(Column::LatestSu);
        let shared = Host {
            id: format!("{name}:{port}"),
            component,
            build: own(Column::Build),
            fixed: own(Column::FixedBuild),
            date: own(Column::CheckedAt).get(..10).unwrap_or_default().to_string(),
            accepted: !self.schema.get(cells, &Key::Accepted).is_empty(),
            description: format!(
                "Host: {host}\nBuild seen: {}\nBuild needed: {}\nEvidence source: {}\nDetail: {}",
                needed(own(Column::Build)),
                needed(own(Column::FixedBuild)),
                needed(own(Column::Source)),
                own(Column::Detail)
            ),
            mitigation: match (own(Column::FixedBuild), latest) {
                ("", "") => "Install the latest cumulative update and security update for this Exchange server.".into(),
                (fixed, "") => {
                    format!("Install the security update that brings this server to build {fixed} or later.")
                }
                (_, latest) => format!(
                    "Install the newest security update for this server's cumulative update ({latest}), or a newer cumulative update."
                ),
            },
        };
        let status = own(Column::Status);
        for cve in own(Column::OpenCves).split(';').filter(|c| !c.is_empty()) {
            let title = format!("{cve} on {host}: the build lacks its fix");
            self.findings.push(finding(&shared, cve, &title, Some(cve), status));
        }
        let judged: Vec<(String, String, String)> = if self.advisories.len() > 1 {
            self.advisories
                .iter()
                .map(|id| {
                    let status = self.schema.get(cells, &Key::AdvisoryStatus(id.clone())).to_string();
                    (id.clone(), status, self.schema.get(cells, &Key::AdvisoryCves(id.clone())).to_string())
                })
                .collect()
        } else {
            let id = self.advisories.first().cloned().unwrap_or_else(|| "advisory".into());
            vec![(id, status.to_string(), own(Column::Cves).to_string())]
        };
        for (advisory, status, cves) in judged.into_iter().filter(|(_, s, _)| s == "vulnerable") {
            let title = format!("{host} is vulnerable to {advisory} ({})", cves.replace(';', ", "));
            let first = cves.split(';').find(|c| !c.is_empty());
            let mut f = finding(&shared, &advisory, &title, first, &status);
            if let Some(obj) = f.as_object_mut() {
                obj.insert("vuln_id_from_tool".into(), Value::from(advisory.as_str()));
                obj.insert("references".into(), Value::from(references(cves.split(';'))));
            }
            self.findings.push(f);
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<W> {
        let Dojo { mut out, findings, .. } = *self;
        serde_json::to_writer_pretty(&mut out, &json!({ "findings": findings }))?;
        out.write_all(b"\n")?;
        Ok(out)
    }
}

/// One finding: `key` (a CVE or an advisory id) makes its unique id.
fn finding(host: &Host, key: &str, title: &str, cve: Option<&str>, status: &str) -> Value {
    let severity = severity(cve, status);
    let mut f = json!({
        "title": title,
        "severity": severity.level,
        "severity_justification": severity.why,
        "description": host.description,
        "mitigation": host.mitigation,
        "component_name": host.component,
        "component_version": host.build,
        "fix_version": host.fixed,
        "fix_available": !host.fixed.is_empty(),
        "unique_id_from_tool": format!("{}:{key}", host.id),
        "vuln_id_from_tool": key,
        "references": references(cve.into_iter()),
        "dynamic_finding": true,
        "static_finding": false,
        "active": !host.accepted,
        "risk_accepted": host.accepted,
    });
    let obj = f.as_object_mut().expect("a JSON object");
    if let Some(cve) = cve {
        obj.insert("cve".into(), Value::from(cve));
    }
    if !host.date.is_empty() {
        obj.insert("date".into(), Value::from(host.date.as_str()));
    }
    f
}

/// Microsoft's Security Update Guide page of each CVE, one a line.
fn references<'a>(cves: impl Iterator<Item = &'a str>) -> String {
    cves.filter(|c| crate::table::is_cve_id(c))
        .map(|c| format!("https://msrc.microsoft.com/update-guide/vulnerability/{c}"))
        .collect::<Vec<_>>()
        .join("\n")
}
