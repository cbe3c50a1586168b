//! Censys host records (one JSON object a line: Search 2.0's host view, as
//! the `censys` CLI and the bulk host dataset write them; a `result` or
//! `resource` wrapper is looked through). Each HTTP service in `services[]`
//! is one record: `port`, `observed_at` (else the host's
//! `last_updated_at`), `http.response.status_code`,
//! `http.response.headers` (name → list of values; Censys writes `-` as
//! `_`), `http.response.body` (which Censys truncates: `body_size` larger
//! than the body says so), `http.response.html_title`; the certificate's
//! `tls.certificates.leaf_data.subject.common_name` and `names`; the
//! host's `autonomous_system` and `dns.names`. docs/evidence.md cites the
//! schema.

use super::{Service, add_header, at, parse_time, strings, text};
use crate::sanitize::clean;
use hyper::header::HeaderMap;
use serde_json::Value;

/// The HTTP services a host record holds (one `Service` each; a host with
/// none gives one empty service, which is judged as holding no response),
/// or why the line is no host record.
pub fn services(line: &[u8]) -> Result<Vec<Service>, String> {
    let value: Value = serde_json::from_slice(line).map_err(|e| format!("not a JSON record ({e})"))?;
    let host_record = ["result", "resource"].iter().find_map(|k| value.get(*k)).unwrap_or(&value);
    let ip = text(host_record, "ip").map(clean).filter(|h| !h.is_empty()).ok_or("no ip")?;
    let updated = text(host_record, "last_updated_at").and_then(parse_time);
    let asn = at(host_record, "autonomous_system.asn").and_then(|a| a.as_u64()).map(|a| format!("AS{a}"));
    let org = text(host_record, "autonomous_system.name").map(clean).unwrap_or_default();
    let mut hostnames = strings(host_record, "dns.names");
    hostnames.extend(strings(host_record, "dns.reverse_dns.names"));
    let base =
        Service { host: ip, seen_at: updated, org, asn: asn.unwrap_or_default(), hostnames, ..Service::default() };
    let empty = Vec::new();
    let list = at(host_record, "services").and_then(|s| s.as_array()).unwrap_or(&empty);
    let http: Vec<Service> = list.iter().filter(|s| s.get("http").is_some()).map(|s| service(s, &base)).collect();
    Ok(if http.is_empty() { vec![base] } else { http })
}

fn service(s: &Value, base: &Service) -> Service {
    let body = text(s, "http.response.body").unwrap_or_default().to_string();
    let size = at(s, "http.response.body_size").and_then(|n| n.as_u64());
    let truncated =
        size.filter(|n| *n > body.len() as u64).map(|n| format!("Censys kept {} of the body's {n} bytes", body.len()));
    let mut cert_names = strings(s, "tls.certificates.leaf_data.subject.common_name");
    cert_names.extend(strings(s, "tls.certificates.leaf_data.names"));
    cert_names.dedup();
    Service {
        port: at(s, "port").and_then(|p| p.as_u64()).and_then(|p| u16::try_from(p).ok()),
        seen_at: text(s, "observed_at").and_then(parse_time).or(base.seen_at),
        status: at(s, "http.response.status_code").and_then(|c| c.as_u64()).and_then(|c| u16::try_from(c).ok()),
        headers: at(s, "http.response.headers").map(headers).unwrap_or_default(),
        body,
        title: text(s, "http.response.html_title").map(clean),
        truncated,
        cert_names,
        ..base.clone()
    }
}

/// Censys' header map: a name (`X_OWA_Version`, `_`s for `-`s; `_encoding`
/// and other `_`-led keys are Censys' own) to a list of values, a value,
/// or `{"headers": [..]}`.
fn headers(map: &Value) -> HeaderMap {
    let mut out = HeaderMap::new();
    let Some(map) = map.as_object() else { return out };
    for (name, values) in map.iter().filter(|(n, _)| !n.starts_with('_')) {
        let name = name.replace('_', "-");
        let values = values.get("headers").unwrap_or(values);
        let each: Vec<&str> = match values {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items.iter().filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        };
        for value in each {
            add_header(&mut out, Some((&name, value)));
        }
    }
    out
}
