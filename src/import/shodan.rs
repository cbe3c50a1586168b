//! Shodan banners (one JSON object a line, as `shodan download` writes and
//! `shodan parse` reads; gzip or plain). The fields read, from Shodan's
//! banner specification (docs/evidence.md cites it): `ip_str`, `port`,
//! `timestamp` (UTC, no offset), `hostnames`, `org`, `asn`; `data`, the raw
//! response head; `http.status`, `http.html`, `http.title`, `http.location`
//! (the path the page came from), `http.favicon.hash`; `ssl.cert.subject.CN`.

use super::{Service, at, parse_time, response_head, strings, text};
use crate::sanitize::clean;

/// The service a banner line records, or why the line is no banner.
pub fn service(line: &[u8]) -> Result<Service, String> {
    let value: serde_json::Value = serde_json::from_slice(line).map_err(|e| format!("not a JSON record ({e})"))?;
    if !value.is_object() {
        return Err("not a JSON object".into());
    }
    let host = text(&value, "ip_str").map(clean).filter(|h| !h.is_empty()).ok_or("no ip_str")?;
    let port = match at(&value, "port") {
        Some(p) => Some(p.as_u64().and_then(|p| u16::try_from(p).ok()).ok_or("port is not a port number")?),
        None => None,
    };
    let (mut status, headers) = text(&value, "data").map(response_head).unwrap_or_default();
    if let Some(code) = at(&value, "http.status").and_then(|s| s.as_u64()).and_then(|s| u16::try_from(s).ok()) {
        status = Some(code);
    }
    let favicon = at(&value, "http.favicon.hash").map(|h| h.to_string());
    Ok(Service {
        host,
        port,
        seen_at: text(&value, "timestamp").and_then(parse_time),
        status,
        headers,
        body: text(&value, "http.html").unwrap_or_default().to_string(),
        title: text(&value, "http.title").map(clean),
        path: text(&value, "http.location").map(String::from),
        truncated: None,
        favicon,
        org: text(&value, "org").map(clean).unwrap_or_default(),
        asn: text(&value, "asn").map(clean).unwrap_or_default(),
        cert_names: strings(&value, "ssl.cert.subject.CN"),
        hostnames: strings(&value, "hostnames"),
    })
}
