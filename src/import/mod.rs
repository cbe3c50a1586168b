//! Evidence without a probe, read from files: internet-scan exports
//! (`shodan`, `censys`: one HTTP service record each) and HealthChecker's
//! XML export (`healthchecker`). The service records go through the
//! prober's own pure marker extractors (`probe::markers`): one set of rules
//! for live and recorded evidence. This module reads files only; it never
//! opens a connection and imports none of the prober's network code.
//! docs/evidence.md says what each source can and cannot show.

pub mod censys;
pub mod healthchecker;
pub mod lines;
pub mod shodan;

use crate::evidence::{Evidence, HostFacts, Source};
use crate::probe::markers;
use crate::sanitize::clean;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use jiff::Timestamp;

/// The longest export line read (a Shodan banner or a Censys host record);
/// a longer one is one `input-error` row.
pub const MAX_RECORD: usize = 8 * 1024 * 1024;

/// One HTTP service as an export recorded it.
#[derive(Debug, Clone, Default)]
pub struct Service {
    /// The address (or name) the record is about, cleaned.
    pub host: String,
    /// The port, when recorded.
    pub port: Option<u16>,
    /// When the scanner saw the service.
    pub seen_at: Option<Timestamp>,
    /// The response's status code, when recorded.
    pub status: Option<u16>,
    /// The response's headers as recorded.
    pub headers: HeaderMap,
    /// The response body as recorded (perhaps cut short by the exporter).
    pub body: String,
    /// The page title, when recorded.
    pub title: Option<String>,
    /// The path the page was fetched from, when recorded (Shodan's `http.location`).
    pub path: Option<String>,
    /// Why the body is known to be cut short (the exporter's own truncation), if it is.
    pub truncated: Option<String>,
    /// The favicon's hash, when recorded.
    pub favicon: Option<String>,
    /// The organisation the address belongs to (for owner notification).
    pub org: String,
    /// The autonomous system (`AS3320`).
    pub asn: String,
    /// Names in the service's certificate.
    pub cert_names: Vec<String>,
    /// Names the exporter knows for the address.
    pub hostnames: Vec<String>,
}

/// What a recorded service shows, in the terms `assess` judges.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// The builds the markers show, each from `source`.
    pub evidence: Vec<Evidence>,
    /// Which markers showed them (`X-OWA-Version`, `logon page paths`).
    pub markers: Vec<&'static str>,
    /// Clauses for `detail` (unreadable markers).
    pub notes: Vec<String>,
    /// Some marker shows the server is Exchange.
    pub exchange: bool,
    /// What shows the name is Exchange Online.
    pub online: Option<String>,
    /// A pre-authenticating gateway in front.
    pub gateway: Option<&'static str>,
    /// HTTP.sys's `400 Invalid Hostname`.
    pub invalid_hostname: bool,
    /// Why the record is too thin to judge (a favicon only, a body cut before any marker).
    pub thin: Option<String>,
}

impl Reading {
    /// The facts `assess` judges.
    pub fn facts(&self) -> HostFacts<'_> {
        HostFacts {
            answered: true,
            exchange: self.exchange,
            evidence: &self.evidence,
            notes: &self.notes,
            online: self.online.as_deref(),
            gateway: self.gateway,
            invalid_hostname: self.invalid_hostname,
            ..HostFacts::default()
        }
    }
}

/// Reads a recorded service with the prober's markers.
pub fn read(service: &Service, source: Source) -> Reading {
    let mut reading = Reading::default();
    let (builds, notes) = markers::header_builds(&service.headers);
    let front_end = markers::front_end(&service.headers);
    let with_fe = |build| Evidence { front_end: front_end.clone(), ..Evidence::new(build, source) };
    if !builds.is_empty() {
        reading.markers.push("X-OWA-Version");
    }
    reading.evidence.extend(builds.into_iter().map(with_fe));
    reading.notes = notes;
    let page = markers::page_builds(&service.body);
    if !page.is_empty() {
        reading.markers.push("logon page paths");
    }
    reading.evidence.extend(page.into_iter().map(with_fe));
    let status = service.status.unwrap_or(200);
    // Shodan's `http.location` is the path the page came from: the sign-in
    // page's path is the same sign as a redirect to it.
    let at_logon = service.path.as_deref().is_some_and(|p| p.to_ascii_lowercase().contains("/owa/auth/logon.aspx"));
    reading.exchange = markers::looks_like_exchange(&service.headers, service.body.as_bytes())
        || at_logon
        || !reading.evidence.is_empty();
    reading.online = markers::exchange_online(&service.headers);
    reading.gateway = markers::gateway(status, &service.headers);
    reading.invalid_hostname = markers::invalid_hostname(status, service.body.as_bytes());
    let nothing_recorded = service.headers.is_empty() && service.body.is_empty() && service.status.is_none();
    reading.thin = if nothing_recorded {
        Some(match &service.favicon {
            Some(hash) => format!(
                "the record holds only a favicon (hash {}), which shows no version and on its own not even Exchange; scan the host, where you may, to see its markers",
                clean(hash)
            ),
            None => "the record holds no HTTP response to read markers from".into(),
        })
    } else {
        service.truncated.as_ref().filter(|_| reading.evidence.is_empty()).map(|why| {
            format!("{why}, and no version marker comes before the cut: the markers may lie beyond it; scan the host, where you may")
        })
    };
    reading
}

/// The headers of a raw response head (`HTTP/1.1 200 OK\r\nName: value…`),
/// and its status code. Lines that are not headers are left out.
pub fn response_head(raw: &str) -> (Option<u16>, HeaderMap) {
    let mut headers = HeaderMap::new();
    let mut lines = raw.split('\n').map(|l| l.trim_end_matches('\r'));
    let status = lines
        .next()
        .filter(|l| l.starts_with("HTTP/"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok());
    for line in lines {
        if line.is_empty() {
            break;
        }
        add_header(&mut headers, line.split_once(':').map(|(n, v)| (n, v.trim())));
    }
    (status, headers)
}

/// Adds one header, when name and value are valid HTTP.
pub fn add_header(headers: &mut HeaderMap, pair: Option<(&str, &str)>) {
    if let Some((name, value)) = pair
        && let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.trim().as_bytes()), HeaderValue::from_str(value))
    {
        headers.append(name, value);
    }
}

/// A scanner's timestamp: RFC 3339 with an offset, or without one (Shodan
/// writes `2021-03-05T10:00:00.123456`, which is UTC).
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    text.parse::<Timestamp>().ok().or_else(|| {
        text.parse::<jiff::civil::DateTime>()
            .ok()
            .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp())
    })
}

/// A JSON value at a dotted path (`http.response.body`).
pub fn at<'v>(value: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// A JSON string at a path.
pub fn text<'v>(value: &'v serde_json::Value, path: &str) -> Option<&'v str> {
    at(value, path).and_then(|v| v.as_str())
}

/// Strings at a path: one string, or an array's strings; each cleaned.
pub fn strings(value: &serde_json::Value, path: &str) -> Vec<String> {
    match at(value, path) {
        Some(serde_json::Value::String(s)) => vec![clean(s)],
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|i| i.as_str()).map(clean).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_head_gives_status_and_headers() {
        let (status, headers) = response_head(
            "HTTP/1.1 302 Found\r\nLocation: /owa/\r\nX-OWA-Version: 15.1.2176.2\r\nbad line\r\n\r\nbody",
        );
        assert_eq!(status, Some(302));
        assert_eq!(headers.get("x-owa-version").unwrap(), "15.1.2176.2");
        assert_eq!(headers.len(), 2);
        assert_eq!(response_head("garbage").0, None);
    }

    #[test]
    fn times_with_and_without_an_offset() {
        assert_eq!(parse_time("2021-03-05T10:00:00.123456").unwrap().to_string(), "2021-03-05T10:00:00.123456Z");
        assert_eq!(parse_time("2021-03-05T10:00:00+01:00").unwrap().to_string(), "2021-03-05T09:00:00Z");
        assert_eq!(parse_time("yesterday"), None);
    }
}
