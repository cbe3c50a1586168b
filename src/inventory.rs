//! Reading the asset inventory: a CSV with a header row (host column and
//! optional port, url and build; every other column passed through), or a
//! headerless list of targets. Rows stream; each becomes an `Entry`, and a
//! row that cannot be used is an `Entry` too (`Kind::Invalid`), never dropped.

use crate::build::Build;
use crate::probe::http::Endpoint;
use anyhow::{Context, Result};
use std::io::{BufRead, Read};

/// Names accepted for the host column, in order of preference.
const HOST_COLUMNS: [&str; 5] = ["host", "hostname", "fqdn", "address", "ip"];

/// One inventory row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Line in the file where the row starts (1-based).
    pub line: u64,
    /// The host as the report shows it.
    pub host: String,
    pub port: Option<u16>,
    pub kind: Kind,
    /// The pass-through columns, in header order.
    pub extras: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Probe this endpoint; `build` is what the inventory says, if anything.
    Probe { endpoint: Endpoint, build: Option<Build> },
    /// No host, but a build: assessed offline.
    Offline(Build),
    /// A CIDR range: `targets::Expand` turns it into one `Probe` per address.
    Range { net: crate::targets::Net, port: u16, build: Option<Build> },
    /// Unusable; the text says why.
    Invalid(String),
}

/// Where each known column is, once the header is read.
#[derive(Debug, Clone, Default)]
struct Layout {
    host: Option<usize>,
    port: Option<usize>,
    url: Option<usize>,
    build: Option<usize>,
    extras: Vec<usize>,
    width: usize,
}

/// A streaming reader of inventory rows.
pub struct Reader {
    records: csv::ByteRecordsIntoIter<LineCounter>,
    lines: Lines,
    layout: Option<Layout>,
    /// The pass-through column names (empty without a header row).
    pub extra_columns: Vec<String>,
}

impl Reader {
    /// Reads the header (or decides there is none) and the delimiter from
    /// the first line: `,`, `;` or tab.
    pub fn new(mut input: Box<dyn BufRead + Send>) -> Result<Reader> {
        let mut first = Vec::new();
        input.read_until(b'\n', &mut first).context("cannot read the inventory")?;
        if first.starts_with(b"\xef\xbb\xbf") {
            first.drain(..3);
        }
        let delimiter = sniff_delimiter(&first);
        let head = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(delimiter)
            .from_reader(&first[..])
            .byte_records()
            .next()
            .transpose()
            .ok()
            .flatten()
            .unwrap_or_default();
        let names: Vec<String> = head.iter().map(|c| String::from_utf8_lossy(c).trim().to_string()).collect();
        let layout = Layout::from_header(&names);
        let (layout, skip_first) = match layout {
            Some(layout) => (Some(layout), true),
            None => (None, false),
        };
        let extra_columns =
            layout.as_ref().map(|l| l.extras.iter().map(|&i| names[i].clone()).collect()).unwrap_or_default();
        let body: Box<dyn Read + Send> =
            if skip_first { Box::new(input) } else { Box::new(std::io::Cursor::new(first).chain(input)) };
        let lines = Lines::default();
        let counter = LineCounter { inner: body, offset: 0, last_was_cr: false, lines: lines.clone() };
        let records = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(counter)
            .into_byte_records();
        Ok(Reader { records, lines, layout, extra_columns })
    }

    /// The file line a byte offset of the body is on.
    fn line_at(&self, byte: u64) -> u64 {
        self.lines.line_at(byte) + u64::from(self.layout.is_some())
    }
}

/// Where the newlines are (offset, and whether a CR stands before it), for
/// line numbers: the csv crate's own count skips blank lines, and a record's
/// position is where the blank lines before it start. Only newlines not yet
/// passed are kept.
#[derive(Clone, Default)]
struct Lines(std::sync::Arc<std::sync::Mutex<LineState>>);

/// Newlines not yet passed (offset, CR before it), and how many were passed.
type LineState = (std::collections::VecDeque<(u64, bool)>, u64);

impl Lines {
    fn line_at(&self, byte: u64) -> u64 {
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (pending, passed) = &mut *guard;
        let mut start = byte;
        while let Some(&(nl, cr)) = pending.front() {
            let blank_line = nl == start || (cr && nl == start + 1);
            if nl >= byte && !blank_line {
                break;
            }
            if nl >= byte {
                start = nl + 1;
            }
            pending.pop_front();
            *passed += 1;
        }
        *passed + 1
    }
}

/// Passes bytes through to the csv reader, noting each newline's offset.
struct LineCounter {
    inner: Box<dyn Read + Send>,
    offset: u64,
    last_was_cr: bool,
    lines: Lines,
}

impl Read for LineCounter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut guard = self.lines.0.lock().unwrap_or_else(|e| e.into_inner());
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' {
                guard.0.push_back((self.offset + i as u64, self.last_was_cr));
            }
            self.last_was_cr = b == b'\r';
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl Iterator for Reader {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        loop {
            let record = match self.records.next()? {
                Ok(record) => record,
                Err(err) => {
                    // A malformed record is a row of its own; an I/O error ends the read.
                    let line = err.position().map(|p| self.line_at(p.byte())).unwrap_or(0);
                    return Some(match err.kind() {
                        csv::ErrorKind::Io(_) => Err(anyhow::Error::new(err).context("cannot read the inventory")),
                        _ => Ok(invalid(line, String::new(), format!("line {line}: broken CSV record ({err})"), &[])),
                    });
                }
            };
            let line = record.position().map(|p| self.line_at(p.byte())).unwrap_or(0);
            let cells: Vec<String> = record.iter().map(|c| String::from_utf8_lossy(c).trim().to_string()).collect();
            if cells.iter().all(String::is_empty) {
                continue; // a blank line is not a row
            }
            return Some(Ok(match &self.layout {
                Some(layout) => layout.entry(line, &cells),
                // One target per line; more fields mean a header row is missing,
                // and guessing what they are could scan the wrong port.
                None if cells[1..].iter().any(|c| !c.is_empty()) => invalid(
                    line,
                    cells[0].clone(),
                    format!(
                        "line {line}: {} fields in a file without a header row (add one: host,port,...)",
                        cells.len()
                    ),
                    &[],
                ),
                None => target_entry(line, &cells[0], None, None, Vec::new()),
            }));
        }
    }
}

fn sniff_delimiter(first: &[u8]) -> u8 {
    let count = |d: u8| first.iter().filter(|&&b| b == d).count();
    [b',', b';', b'\t'].into_iter().max_by_key(|&d| (count(d), d == b',')).unwrap_or(b',')
}

impl Layout {
    /// A header names a host, url or build column; otherwise the first line is data.
    fn from_header(names: &[String]) -> Option<Layout> {
        let find = |want: &str| names.iter().position(|n| n.eq_ignore_ascii_case(want));
        let host = HOST_COLUMNS.iter().find_map(|c| find(c));
        let url = find("url");
        let build = find("build");
        if host.is_none() && url.is_none() && build.is_none() {
            return None;
        }
        let used = [host, find("port"), url, build];
        // Everything else passes through, a second host synonym included.
        let extras = (0..names.len()).filter(|i| !used.contains(&Some(*i))).collect();
        Some(Layout { host, port: find("port"), url, build, extras, width: names.len() })
    }

    fn entry(&self, line: u64, cells: &[String]) -> Entry {
        let cell = |i: Option<usize>| i.and_then(|i| cells.get(i)).map(String::as_str).unwrap_or("");
        let extras: Vec<String> = self.extras.iter().map(|&i| cells.get(i).cloned().unwrap_or_default()).collect();
        let host = cell(self.host);
        if cells.len() > self.width {
            let why = format!("line {line}: {} fields where the header has {}", cells.len(), self.width);
            return invalid(line, host.to_string(), why, &extras);
        }
        let build = match cell(self.build) {
            "" => None,
            text => match Build::parse(text) {
                Ok(b) => Some(b),
                Err(err) => {
                    return invalid(line, host.to_string(), format!("line {line}: build column: {err}"), &extras);
                }
            },
        };
        let port = match cell(self.port) {
            "" => None,
            text => match parse_port(text) {
                Ok(p) => Some(p),
                Err(why) => return invalid(line, host.to_string(), format!("line {line}: {why}"), &extras),
            },
        };
        let url = cell(self.url);
        let target = if url.is_empty() { host } else { url };
        if target.is_empty() {
            return match build {
                Some(b) => Entry { line, host: String::new(), port, kind: Kind::Offline(b), extras },
                None => invalid(line, String::new(), format!("line {line}: no host, url or build"), &extras),
            };
        }
        let shown = if url.is_empty() { None } else { Some(host) };
        target_entry(line, target, port, build, extras).with_shown_host(shown)
    }
}

impl Entry {
    fn with_shown_host(mut self, host: Option<&str>) -> Entry {
        if let (Some(h), Kind::Probe { .. }) = (host.filter(|h| !h.is_empty()), &self.kind) {
            self.host = h.to_string();
        }
        self
    }
}

/// One part of an inventory split N ways (`--shard K/N`, K from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Reads `K/N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {text:?}: expected K/N with 0 <= K < N, e.g. 0/4");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether this shard has the entry: by a stable hash of host and port,
    /// so every row of one host lands in the same shard (rows without a host:
    /// by line).
    pub fn has(&self, entry: &Entry) -> bool {
        let key = match (entry.host.is_empty(), entry.port) {
            (true, _) => format!("line {}", entry.line),
            (false, Some(port)) => format!("{}:{port}", entry.host.to_ascii_lowercase()),
            (false, None) => entry.host.to_ascii_lowercase(),
        };
        crate::table::fnv1a(key.as_bytes()) % self.count == self.index
    }
}

fn invalid(line: u64, host: String, why: String, extras: &[String]) -> Entry {
    Entry { line, host, port: None, kind: Kind::Invalid(why), extras: extras.to_vec() }
}

fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u32>() {
        Ok(p @ 1..=65535) => Ok(p as u16),
        _ => Err(format!("port {text:?} is not a number from 1 to 65535")),
    }
}

/// An entry for a target written as `host`, `host:port`, `[v6]:port`, a bare
/// IPv6 address, or an `http(s)://` URL.
fn target_entry(line: u64, target: &str, port: Option<u16>, build: Option<Build>, extras: Vec<String>) -> Entry {
    match crate::targets::parse_range(target) {
        Some(Ok((net, own_port))) => {
            let port = own_port.or(port).unwrap_or(443);
            let kind = Kind::Range { net, port, build };
            return Entry { line, host: net.to_string(), port: Some(port), kind, extras };
        }
        Some(Err(why)) => return invalid(line, target.to_string(), format!("line {line}: {why}"), &extras),
        None => {}
    }
    match parse_target(target, port) {
        Ok(endpoint) => Entry {
            line,
            host: endpoint.host.clone(),
            port: Some(endpoint.port),
            kind: Kind::Probe { endpoint, build },
            extras,
        },
        Err(why) => invalid(line, target.to_string(), format!("line {line}: {why}"), &extras),
    }
}

/// One target as typed on the command line (`--target`): a host, address,
/// `host:port`, URL or CIDR range, as an entry numbered `line`.
pub fn target(line: u64, text: &str) -> Entry {
    target_entry(line, text, None, None, Vec::new())
}

/// Parses one target; the port column (if any) applies when the target names none.
pub fn parse_target(target: &str, port: Option<u16>) -> Result<Endpoint, String> {
    if target.contains("://") {
        let uri: hyper::Uri = target.parse().map_err(|_| format!("{target:?} is not a URL"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(format!("{target:?}: only http and https URLs can be probed")),
        };
        let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(|| format!("{target:?} names no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        check_host(host)?;
        let port = match uri.port_u16() {
            Some(0) => return Err(format!("{target:?}: port 0 cannot be probed")),
            Some(p) => p,
            None => port.unwrap_or(if https { 443 } else { 80 }),
        };
        return Ok(Endpoint { host: host.to_string(), port, https });
    }
    let (host, own_port) = if let Some(rest) = target.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| format!("{target:?}: unclosed '['"))?;
        match after {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':').ok_or_else(|| format!("{target:?}: junk after ']'"))?)),
        }
    } else if target.matches(':').count() == 1 {
        let (h, p) = target.split_once(':').expect("one colon");
        (h, Some(p))
    } else {
        (target, None)
    };
    check_host(host)?;
    let port = match own_port {
        Some(p) => parse_port(p)?,
        None => port.unwrap_or(443),
    };
    Ok(Endpoint { host: host.to_string(), port, https: true })
}

fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("empty host".into());
    }
    if host.len() > 253 {
        return Err("host name longer than 253 characters".into());
    }
    if host.contains(':') {
        return host.parse::<std::net::Ipv6Addr>().map(|_| ()).map_err(|_| format!("{host:?} is not an IPv6 address"));
    }
    let ok = host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !ok {
        return Err(format!("{:?} is not a host name or address", crate::probe::markers::clean(host)));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
