//! Accepted risks (`scan --accept FILE`, issue 15): a CSV of known, accepted
//! exposures — `host,port,advisory,reason,owner,expires`, with `host` `*`
//! and a `build` column for a build-wide exception — like trivy's
//! `.trivyignore.yaml` or grype's ignore rules. A matching row keeps its
//! status, gains an `accepted` cell (`until DATE: reason (owner)`) and does
//! not count for `--fail-on` or `--fail-on-change` until the acceptance
//! expires. Expired and unused acceptances are named in the summary. A
//! malformed file is an error naming its line. This module decides which
//! rows an acceptance covers; the value a row carries is `report::Accepted`
//! (accept imports report, never the other way).

use crate::build::Build;
use crate::report::{Accepted, Row};
use anyhow::{Context, Result, bail};
use jiff::civil::Date;
use std::path::Path;

/// One line of the acceptance file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    /// The file's line number, for messages.
    pub line: u64,
    /// Lowercase host, or `*` for every host on `build`.
    pub host: String,
    /// `None`: any port.
    pub port: Option<u16>,
    /// `None` (empty or `*`): every advisory judged.
    pub advisory: Option<String>,
    /// With host `*`: the build (or, 3 parts, the CU) it covers.
    pub build: Option<Build>,
    /// Why the exposure is accepted.
    pub reason: String,
    /// Who accepted it.
    pub owner: String,
    /// The last day it holds (UTC).
    pub expires: Date,
}

impl Acceptance {
    /// Whether the acceptance names this row (expiry aside).
    fn matches(&self, row: &Row) -> bool {
        if self.host == "*" {
            return match (self.build, row.verdict.build) {
                (Some(want), Some(have)) if want.precision() == crate::build::Precision::Cu => {
                    want.cu_part() == have.cu_part()
                }
                (Some(want), Some(have)) => want == have,
                _ => false,
            };
        }
        let port_ok = self.port.is_none_or(|p| row.port == Some(p));
        let build_ok = self.build.is_none_or(|b| row.verdict.build == Some(b));
        !row.host.is_empty() && row.host.eq_ignore_ascii_case(&self.host) && port_ok && build_ok
    }

    /// How the summary names it.
    fn describe(&self) -> String {
        let mut place = if self.host == "*" {
            format!("every host on {}", self.build.map(|b| b.to_string()).unwrap_or_default())
        } else {
            match self.port {
                Some(port) => format!("{}:{port}", self.host),
                None => self.host.clone(),
            }
        };
        if let Some(advisory) = &self.advisory {
            place.push_str(&format!(" ({advisory})"));
        }
        // Shown on a terminal: every part of it came from the file.
        crate::sanitize::printable(&format!("line {}: {place}, {} ({})", self.line, self.reason, self.owner))
    }
}

/// The acceptance file as read, and which acceptances matched a row.
#[derive(Debug, Clone)]
pub struct Acceptances {
    list: Vec<Acceptance>,
    used: Vec<bool>,
    today: Date,
}

/// The largest accepted-risks file read (a few thousand rows are ~1 MiB).
pub const MAX_ACCEPT: u64 = 16 * crate::bounded::MIB;

impl Acceptances {
    /// Reads an acceptance file (`--accept FILE`); acceptances hold through `today` inclusive of their `expires` day.
    pub fn load(path: &Path, today: Date) -> Result<Acceptances> {
        let text = crate::bounded::read_to_string(path, MAX_ACCEPT, "the accepted-risks file")?;
        let list = parse(&text).with_context(|| path.display().to_string())?;
        Ok(Acceptances { used: vec![false; list.len()], list, today })
    }

    /// Marks the row accepted by every unexpired acceptance that matches it;
    /// `judged` are the advisory ids the run judges (the first leads).
    pub fn apply(&mut self, row: &mut Row, judged: &[String]) {
        let mut texts = Vec::new();
        let mut advisories: Vec<String> = Vec::new();
        for (i, a) in self.list.iter().enumerate() {
            if !a.matches(row) {
                continue;
            }
            self.used[i] = true;
            if a.expires < self.today {
                continue;
            }
            let covered: Vec<&String> =
                judged.iter().filter(|id| a.advisory.as_ref().is_none_or(|x| x == *id)).collect();
            if covered.is_empty() {
                continue;
            }
            // A report cell: cleaned as text shown anywhere is (the CSV
            // writer formula-guards it as every cell).
            let (reason, owner) = (crate::sanitize::printable(&a.reason), crate::sanitize::printable(&a.owner));
            texts.push(format!("until {}: {reason} ({owner})", a.expires));
            for id in covered {
                if !advisories.contains(id) {
                    advisories.push(id.clone());
                }
            }
        }
        if !texts.is_empty() {
            let whole = judged.iter().all(|id| advisories.contains(id));
            row.accepted = Some(Accepted { text: texts.join("; "), advisories, whole });
        }
    }

    /// The summary's lines: expired acceptances (matched or not), then
    /// unexpired ones that matched no row.
    pub fn notes(&self) -> Vec<String> {
        let expired = self
            .list
            .iter()
            .filter(|a| a.expires < self.today)
            .map(|a| format!("  EXPIRED acceptance (since {}), counted again: {}", a.expires, a.describe()));
        let unused = self
            .list
            .iter()
            .zip(&self.used)
            .filter(|(a, used)| !**used && a.expires >= self.today)
            .map(|(a, _)| format!("  UNUSED acceptance, no row matched: {}", a.describe()));
        expired.chain(unused).collect()
    }
}

/// Parses the acceptance CSV; an error names the line.
pub fn parse(text: &str) -> Result<Vec<Acceptance>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> =
        rdr.headers().context("line 1: cannot read the header")?.iter().map(|h| h.to_ascii_lowercase()).collect();
    let at = |name: &str| headers.iter().position(|h| h == name);
    let required = ["host", "port", "advisory", "reason", "owner", "expires"];
    for name in required {
        if at(name).is_none() {
            bail!("line 1: no {name:?} column (need host,port,advisory,reason,owner,expires and, for host *, build)");
        }
    }
    let [host, port, advisory, reason, owner, expires] = required.map(|n| at(n).unwrap_or_default());
    let build = at("build");
    let known: Vec<&str> = crate::table::ADVISORIES.iter().map(|(id, _)| *id).collect();
    let mut list = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| anyhow::anyhow!("{}", e))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let cell = |i: usize| record.get(i).unwrap_or("").to_string();
        if record.iter().all(|c| c.is_empty()) {
            continue;
        }
        let err = |why: String| anyhow::anyhow!("line {line}: {why}");
        let host = cell(host).to_ascii_lowercase();
        if host.is_empty() {
            return Err(err("no host (a host name, or * with a build)".into()));
        }
        let port = match cell(port).as_str() {
            "" | "*" => None,
            p => Some(p.parse::<u16>().map_err(|_| err(format!("port {p:?} is not a port number")))?),
        };
        let advisory = match cell(advisory).to_ascii_lowercase().as_str() {
            "" | "*" => None,
            a if known.contains(&a) => Some(a.to_string()),
            a => return Err(err(format!("unknown advisory {a:?}; known: {}, or *", known.join(", ")))),
        };
        let build = match build.map(cell).filter(|b| !b.is_empty()) {
            Some(b) => Some(Build::parse(&b).map_err(|e| err(e.to_string()))?),
            None => None,
        };
        if host == "*" && build.is_none() {
            return Err(err("host * needs a build: a build-wide exception names the build it covers".into()));
        }
        let (reason, owner) = (cell(reason), cell(owner));
        if reason.is_empty() || owner.is_empty() {
            return Err(err("an acceptance needs a reason and an owner".into()));
        }
        let expires_text = cell(expires);
        let expires: Date =
            expires_text.parse().map_err(|_| err(format!("expires {expires_text:?} is not a date (YYYY-MM-DD)")))?;
        list.push(Acceptance { line, host, port, advisory, build, reason, owner, expires });
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "host,port,advisory,reason,owner,expires,build\n";

    #[test]
    fn malformed_lines_are_named() {
        let cases = [
            ("host,port\n", "line 1: no \"advisory\" column"),
            ("mail.corp,44x,,r,o,2027-03-01,\n", "line 2: port \"44x\""),
            ("mail.corp,443,proxyhell,r,o,2027-03-01,\n", "line 2: unknown advisory \"proxyhell\""),
            ("mail.corp,443,,r,o,2027-03-01,\n*,,,r,o,2027-03-01,\n", "line 3: host * needs a build"),
            ("mail.corp,443,,,o,2027-03-01,\n", "line 2: an acceptance needs a reason and an owner"),
            ("mail.corp,443,,r,o,March,\n", "line 2: expires \"March\" is not a date"),
            ("*,,,r,o,2027-03-01,15.x\n", "line 2: "),
        ];
        for (body, want) in cases {
            let text = if body.starts_with("host,port\n") { body.to_string() } else { format!("{HEADER}{body}") };
            let err = format!("{:#}", parse(&text).unwrap_err());
            assert!(err.contains(want), "{body:?}: {err}");
        }
    }

    #[test]
    fn rows_match_by_host_and_port_or_by_build() {
        let text = format!(
            "{HEADER}Mail.Corp,443,proxylogon,WAF in front,secops,2027-03-01,\nold.corp,,,,x,2020-01-01,\n*,,,lab image,it,2027-03-01,15.1.2176\n"
        );
        assert!(parse(&text).is_err(), "line 3 lacks a reason");
        let text = format!(
            "{HEADER}Mail.Corp,443,proxylogon,WAF in front,secops,2027-03-01,\nold.corp,,,gone soon,it,2020-01-01,\n*,,,lab image,it,2027-03-01,15.1.2176\nunused.corp,,,r,o,2027-03-01,\n"
        );
        let list = parse(&text).unwrap();
        let today: Date = "2026-12-02".parse().unwrap();
        let mut acc = Acceptances { used: vec![false; list.len()], list, today };
        let judged = vec!["proxylogon".to_string()];
        let row = |host: &str, port: u16, build: &str| {
            let table = crate::table::Table::builtin();
            let verdict = crate::assess::judge(&build.parse().unwrap(), &table);
            Row {
                host: host.into(),
                port: Some(port),
                verdict,
                tls: None,
                fe_servers: Vec::new(),
                checked_at: jiff::Timestamp::UNIX_EPOCH,
                table: table.id,
                line: Some(2),
                staleness: None,
                support: None,
                open_cves: None,
                unassessed_cves: None,
                max_open_severity: None,
                exploited_open_cves: None,
                lifecycle: None,
                each: Vec::new(),
                change: None,
                accepted: None,
                extras: Vec::new(),
            }
        };
        // (host, port, build, accepted text)
        let cases = [
            ("mail.corp", 443, "15.2.858.2", Some("until 2027-03-01: WAF in front (secops)")),
            ("mail.corp", 444, "15.2.858.2", None),
            ("old.corp", 443, "15.2.858.2", None),
            ("any.corp", 443, "15.1.2176.2", Some("until 2027-03-01: lab image (it)")),
            ("any.corp", 443, "15.1.2242.4", None),
        ];
        for (host, port, build, want) in cases {
            let mut r = row(host, port, build);
            acc.apply(&mut r, &judged);
            assert_eq!(r.accepted.as_ref().map(|a| a.text.as_str()), want, "{host}:{port} {build}");
            assert!(r.accepted.is_none_or(|a| a.whole && a.covers("proxylogon")));
        }
        let notes = acc.notes();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("EXPIRED") && notes[0].contains("line 3: old.corp"), "{notes:?}");
        assert!(notes[1].contains("UNUSED") && notes[1].contains("line 5: unused.corp"), "{notes:?}");
    }
}
