//! Reading the asset inventory: a CSV with a header row (host column and
//! optional port, url and build; every other column passed through), or a
//! headerless list of targets. Rows stream; each becomes an `Entry`, and a
//! row that cannot be used is an `Entry` too (`Kind::Invalid`), never dropped.

use crate::build::Build;
use crate::target::{Endpoint, check_host, parse_port, parse_target};
use anyhow::{Context, Result, bail};
use lines::{Line, Lines};
use records::{Record, Records};
use std::io::BufRead;

mod expand;
pub mod lines;
pub mod records;

pub use records::MAX_RECORD_LINES;

pub use expand::{Exclude, Expand, from_arguments};

/// Names accepted for the host column, in order of preference.
const HOST_COLUMNS: [&str; 6] = ["host", "hostname", "fqdn", "dns_name", "address", "ip"];
/// Columns that hold a server's name: with an address beside it, the name
/// is presented (SNI, Host) while the address is connected to.
const NAME_COLUMNS: [&str; 4] = ["host", "hostname", "fqdn", "dns_name"];
/// Columns that hold a server's address.
const ADDRESS_COLUMNS: [&str; 3] = ["host", "address", "ip"];

/// One inventory row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Line in the file where the row starts (1-based).
    pub line: u64,
    /// The host as the report shows it.
    pub host: String,
    /// The port the row names (its own or the port column's), if any.
    pub port: Option<u16>,
    /// What to do with the row.
    pub kind: Kind,
    /// The pass-through columns, in header order.
    pub extras: Vec<String>,
}

/// What an inventory row asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Probe this endpoint.
    Probe {
        /// Where to connect and what to call the host.
        endpoint: Endpoint,
        /// What the inventory's `build` column says, if anything.
        build: Option<Build>,
    },
    /// No host, but a build: assessed offline.
    Offline(Build),
    /// A CIDR range: `Expand` turns it into one `Probe` per address.
    Range {
        /// The addresses.
        net: crate::target::Net,
        /// The port every address is probed on.
        port: u16,
        /// The inventory's `build` column, for every address.
        build: Option<Build>,
    },
    /// Unusable; the text says why.
    Invalid(String),
}

/// Where each known column is, once the header is read.
#[derive(Debug, Clone, Default)]
struct Columns {
    host: Option<usize>,
    port: Option<usize>,
    url: Option<usize>,
    build: Option<usize>,
    extras: Vec<usize>,
    width: usize,
    /// Other columns that may name the server, and give its address, in
    /// order of preference (`NAME_COLUMNS`, `ADDRESS_COLUMNS`).
    names: Vec<usize>,
    addresses: Vec<usize>,
}

/// A streaming reader of inventory rows. A record may span lines inside a
/// quoted cell (`records`); a stray quote costs its own line only.
pub struct Reader {
    records: Records,
    layout: Option<Columns>,
    /// The first record, when it is data (a file without a header row).
    first: Option<Record>,
    /// The pass-through column names (empty without a header row).
    pub extra_columns: Vec<String>,
    note: Note,
    read_as_1252: u64,
}

/// What the reader has to say about the encoding, readable after the
/// reader has moved into a scan.
#[derive(Clone, Default)]
pub struct Note(std::sync::Arc<std::sync::Mutex<Option<String>>>);

impl Note {
    /// The note, if the inventory was not plain UTF-8.
    pub fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, text: Option<String>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = text;
    }
}

impl Reader {
    /// Reads the header (or decides there is none) and the delimiter from
    /// the first line that is neither blank nor a `#` comment: `,`, `;` or tab.
    pub fn new(input: Box<dyn BufRead + Send>) -> Result<Reader> {
        Reader::with_host_column(input, None)
    }

    /// As `new`; `host_column` names the host column (`--host-column`).
    pub fn with_host_column(input: Box<dyn BufRead + Send>, host_column: Option<&str>) -> Result<Reader> {
        let lines = Lines::new(input).context("cannot read the inventory")?;
        let mut records = Records::new(lines, b',');
        let first = loop {
            match records.next_line().transpose().context("cannot read the inventory")? {
                Some((_, Line::Text(text), _)) if skipped(&text) => continue,
                other => break other,
            }
        };
        let note = Note::default();
        note.set(records.lines.note());
        let empty = |records, note| Reader {
            records,
            layout: None,
            first: None,
            extra_columns: Vec::new(),
            note,
            read_as_1252: 0,
        };
        let delimiter = match first {
            None => return Ok(empty(records, note)),
            Some((n, Line::TooLong(len), _)) => {
                bail!("line {n} is {len} bytes long, more than a line may have (1 MiB)")
            }
            Some((n, Line::Text(text), ending)) => {
                let delimiter = sniff_delimiter(&text);
                records.unread((n, Line::Text(text), ending));
                delimiter
            }
        };
        records.set_delimiter(delimiter as u8);
        let first = records.next_record(skipped).transpose().context("cannot read the inventory")?;
        let names: Vec<String> = match &first {
            Some(Record::Cells { cells, .. }) => cells.iter().map(|c| c.trim().to_string()).collect(),
            Some(Record::Bad { line, why }) => bail!("line {line}: {why}"),
            None => return Ok(empty(records, note)),
        };
        let layout = first_row(&names, host_column).map_err(anyhow::Error::msg)?;
        let extra_columns =
            layout.as_ref().map(|l| l.extras.iter().map(|&i| names[i].clone()).collect()).unwrap_or_default();
        let first = if layout.is_some() { None } else { first };
        Ok(Reader { records, layout, first, extra_columns, note, read_as_1252: 0 })
    }

    /// A handle on the encoding note (set when the file was not UTF-8).
    pub fn note(&self) -> Note {
        self.note.clone()
    }
}

/// Blank lines and `#` comments are not rows.
fn skipped(text: &str) -> bool {
    let text = text.trim();
    text.is_empty() || text.starts_with('#')
}

/// What the first row is: a header (`Some` layout), data (`None`: one
/// target per line), or an error naming the columns found and accepted.
fn first_row(names: &[String], host_column: Option<&str>) -> Result<Option<Columns>, String> {
    let found = || names.iter().map(|n| format!("{:?}", crate::sanitize::clean(n))).collect::<Vec<_>>().join(", ");
    if let Some(want) = host_column {
        let at = names.iter().position(|n| n.eq_ignore_ascii_case(want));
        let at =
            at.ok_or_else(|| format!("--host-column {want:?}: the header row has no such column; found {}", found()))?;
        return Ok(Columns::from_header(names, Some(at)));
    }
    if let Some(layout) = Columns::from_header(names, None) {
        return Ok(Some(layout));
    }
    // One target per line has one field; several fields, none of them an
    // address, are a header naming its host column in a way not known here.
    let targetish = |n: &String| n.contains(['.', ':']) || n.parse::<std::net::IpAddr>().is_ok();
    let named = names.iter().filter(|n| !n.is_empty()).count();
    if named >= 2 && !names.iter().any(targetish) {
        return Err(format!(
            "the inventory's first row names no host column; found {}; accepted: {}, url (or build, for rows judged offline); name yours with --host-column NAME",
            found(),
            HOST_COLUMNS.join(", ")
        ));
    }
    Ok(None)
}

impl Iterator for Reader {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        loop {
            let next = self.first.take().map(Ok).or_else(|| self.records.next_record(skipped))?;
            let (line, cells) = match next {
                Ok(Record::Cells { line, cells }) => (line, cells),
                Ok(Record::Bad { line, why }) => {
                    return Some(Ok(invalid(line, String::new(), format!("line {line}: {why}"), &[])));
                }
                Err(err) => return Some(Err(anyhow::Error::new(err).context("cannot read the inventory"))),
            };
            if let Some((_, n)) = self.records.lines.windows_1252
                && n != self.read_as_1252
            {
                self.read_as_1252 = n;
                self.note.set(self.records.lines.note());
            }
            let cells: Vec<String> = cells.iter().map(|c| c.trim().to_string()).collect();
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

fn sniff_delimiter(first: &str) -> char {
    let count = |d: char| first.chars().filter(|&c| c == d).count();
    [',', ';', '\t'].into_iter().max_by_key(|&d| (count(d), d == ',')).unwrap_or(',')
}

impl Columns {
    /// A header names a host, url or build column (or `host`, the column
    /// `--host-column` named); otherwise the first line is data.
    fn from_header(names: &[String], host: Option<usize>) -> Option<Columns> {
        let find = |want: &str| names.iter().position(|n| n.eq_ignore_ascii_case(want));
        let host = host.or_else(|| HOST_COLUMNS.iter().find_map(|c| find(c)));
        let url = find("url");
        let build = find("build");
        if host.is_none() && url.is_none() && build.is_none() {
            return None;
        }
        let used = [host, find("port"), url, build];
        // Everything else passes through, a second host synonym included.
        let extras = (0..names.len()).filter(|i| !used.contains(&Some(*i))).collect();
        let others = |columns: &[&str]| -> Vec<usize> {
            columns.iter().filter_map(|c| find(c)).filter(|i| Some(*i) != host).collect()
        };
        let (names_at, addresses) = (others(&NAME_COLUMNS), others(&ADDRESS_COLUMNS));
        Some(Columns { host, port: find("port"), url, build, extras, width: names.len(), names: names_at, addresses })
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
        let mut entry = target_entry(line, target, port, build, extras).with_shown_host(shown);
        if let Kind::Probe { endpoint, .. } = &mut entry.kind {
            // A URL says what to present; beside it, the host column's cell
            // may still give the address.
            let host_cell = (!url.is_empty()).then_some(host);
            let names = self.names.iter().filter(|_| url.is_empty()).map(|&i| cell(Some(i)));
            let addresses = host_cell.into_iter().chain(self.addresses.iter().map(|&i| cell(Some(i))));
            pair_name_and_address(endpoint, names, addresses);
        }
        entry
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

fn invalid(line: u64, host: String, why: String, extras: &[String]) -> Entry {
    Entry { line, host, port: None, kind: Kind::Invalid(why), extras: extras.to_vec() }
}

/// An entry for a target written as `host`, `host:port`, `[v6]:port`, a bare
/// IPv6 address, or an `http(s)://` URL.
/// A CMDB row often gives a server's address and its name: connect to the
/// address and present the name as TLS SNI and HTTP Host (as `curl
/// --resolve` does). The target is an address and another column names the
/// server, or the target is a name and another column gives its address;
/// the first usable cell of each kind is taken. Cells that are neither are
/// ignored (they still pass through to the report).
fn pair_name_and_address<'a>(
    endpoint: &mut Endpoint,
    mut names: impl Iterator<Item = &'a str>,
    mut addresses: impl Iterator<Item = &'a str>,
) {
    match endpoint.host.parse::<std::net::IpAddr>() {
        Ok(ip) => {
            let is_name = |n: &&str| !n.is_empty() && n.parse::<std::net::IpAddr>().is_err() && check_host(n).is_ok();
            if let Some(name) = names.find(is_name) {
                endpoint.connect = Some(ip);
                endpoint.host = name.trim_end_matches('.').to_string();
            }
        }
        Err(_) => endpoint.connect = addresses.find_map(|a| a.parse().ok()),
    }
}

fn target_entry(line: u64, target: &str, port: Option<u16>, build: Option<Build>, extras: Vec<String>) -> Entry {
    match crate::target::parse_range(target) {
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

#[cfg(test)]
mod tests;
