//! HealthChecker's exported results: `HealthChecker.ps1` (microsoft/CSS-Exchange,
//! `Diagnostics/HealthChecker/`) writes, per server, `Export-Clixml` of its
//! analysed results — an object with `HealthCheckerExchangeServer` (the
//! collected data: `ServerName`, `GenerationTime`, `HealthCheckerVersion`,
//! `ExchangeInformation.BuildInformation` with the ExSetup build as
//! `VersionInformation.BuildVersion`, or `BuildNumber` in older releases),
//! `HtmlServerValues` and `DisplayResults` (what it printed, `Name` and
//! `DisplayValue` pairs, among them the `Security Vulnerability` CVEs and
//! `Extended Protection` state). docs/evidence.md names the commits checked.
//! Read with quick-xml as a stream of elements named by their `N`
//! attribute; no entity is expanded, no type is instantiated.

use crate::build::Build;
use crate::sanitize::clean;
use quick_xml::events::Event;

/// The largest export read (HealthChecker's are a few megabytes).
pub const MAX_EXPORT: u64 = 64 * 1024 * 1024;

/// What one HealthChecker export says about its server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Export {
    /// `ServerName` (HealthChecker uses the FQDN), cleaned.
    pub server: String,
    /// The exact ExSetup build.
    pub build: Option<Build>,
    /// `GenerationTime`: when HealthChecker ran.
    pub generated: Option<jiff::Timestamp>,
    /// `HealthCheckerVersion`, cleaned.
    pub version: Option<String>,
    /// The CVE ids its display results name, sorted, each once.
    pub cves: Vec<String>,
    /// The Extended Protection line of its display results, `NAME: VALUE`, cleaned.
    pub extended_protection: Option<String>,
}

/// Reads one export; an error says why it is no HealthChecker export.
pub fn read(xml: &[u8]) -> Result<Export, String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    // The `N` names of the open elements (empty for unnamed ones).
    let mut path: Vec<String> = Vec::new();
    let mut export = Export::default();
    let mut pending_ep: Option<String> = None;
    let mut saw_objs = false;
    loop {
        let event =
            reader.read_event_into(&mut buf).map_err(|e| format!("not well-formed XML ({})", clean(&e.to_string())))?;
        match event {
            Event::Start(e) => {
                if e.local_name().as_ref() == b"Objs" {
                    saw_objs = true;
                }
                let name = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == b"N")
                    .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                    .unwrap_or_default();
                path.push(name);
                if path.len() > 256 {
                    return Err("nested deeper than any HealthChecker export".into());
                }
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) => {
                let text = t.unescape().map(|c| c.into_owned()).unwrap_or_default();
                take(&mut export, &path, text.trim(), &mut pending_ep);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_objs {
        return Err("not an Export-Clixml document (no <Objs>)".into());
    }
    export.cves.sort();
    export.cves.dedup();
    if export.server.is_empty() {
        return Err("no HealthCheckerExchangeServer.ServerName: not HealthChecker's export".into());
    }
    Ok(export)
}

fn take(export: &mut Export, path: &[String], text: &str, pending_ep: &mut Option<String>) {
    let name = path.last().map(String::as_str).unwrap_or("");
    let within = |n: &str| path.iter().any(|p| p == n);
    if within("HealthCheckerExchangeServer") {
        match name {
            "ServerName" if export.server.is_empty() && path.len() <= 6 => {
                export.server = clean(text).to_ascii_lowercase()
            }
            "GenerationTime" if export.generated.is_none() => export.generated = text.parse().ok(),
            "HealthCheckerVersion" if export.version.is_none() => export.version = Some(clean(text)),
            "BuildVersion" | "BuildNumber" if export.build.is_none() && within("BuildInformation") => {
                export.build = Build::parse(text).ok();
            }
            _ => {}
        }
    }
    if within("DisplayResults") {
        export.cves.extend(cve_ids(text));
        if name == "Name" && text.starts_with("Extended Protection") {
            *pending_ep = Some(clean(text));
        } else if name == "DisplayValue"
            && let Some(label) = pending_ep.take()
            && export.extended_protection.is_none()
        {
            export.extended_protection = Some(format!("{label}: {}", clean(text)));
        }
    }
}

/// The `CVE-YYYY-NNNN` ids in a text.
fn cve_ids(text: &str) -> impl Iterator<Item = String> + '_ {
    text.match_indices("CVE-").filter_map(move |(at, _)| {
        let rest = &text[at + 4..];
        let year: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let number: String = rest.get(year.len() + 1..)?.chars().take_while(char::is_ascii_digit).collect();
        let dash = rest.as_bytes().get(year.len()) == Some(&b'-');
        (year.len() == 4 && dash && number.len() >= 4).then(|| format!("CVE-{year}-{number}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_ids_are_found_in_text() {
        let ids: Vec<String> = cve_ids("CVE-2021-26855, cve-1-2 and CVE-2023-21709; CVE-20x").collect();
        assert_eq!(ids, ["CVE-2021-26855", "CVE-2023-21709"]);
    }

    #[test]
    fn an_xml_document_that_is_not_an_export_is_refused() {
        assert!(read(b"<html><body>x</body></html>").unwrap_err().contains("Export-Clixml"));
        assert!(read(b"<Objs><Obj><MS><S N=\"Other\">x</S></MS></Obj></Objs>").unwrap_err().contains("ServerName"));
        assert!(read(b"<Objs><unclosed").is_err());
    }
}
