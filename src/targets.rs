//! Targets as operators write them: CIDR ranges (`10.1.2.0/28`,
//! `2001:db8::/120`) expanded into one row per address, `--target`
//! arguments turned into rows, and `--exclude` lists that leave matching
//! targets out. Expansion is a step over parsed inventory entries (issue 16),
//! so the CSV reader stays about reading CSV.

use crate::inventory::{Entry, Kind};
use anyhow::{Context, Result, bail};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Ranges with more addresses than this are refused unless `--allow-large`.
pub const MAX_RANGE: u128 = 65_536;

/// An address range in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    /// The first address (host bits cleared).
    pub first: IpAddr,
    pub prefix: u8,
}

impl Net {
    /// Reads `ADDR/PREFIX`; host bits set in `ADDR` are cleared.
    pub fn parse(text: &str) -> Result<Net, String> {
        let (addr, prefix) = text.split_once('/').ok_or_else(|| format!("{text:?} is not a CIDR range"))?;
        let addr = addr.trim_start_matches('[').trim_end_matches(']');
        let addr: IpAddr = addr.parse().map_err(|_| format!("{text:?}: {addr:?} is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix.parse::<u8>() {
            Ok(p) if p <= max => p,
            _ => return Err(format!("{text:?}: the prefix length must be a number from 0 to {max}")),
        };
        let first = match addr {
            IpAddr::V4(a) => IpAddr::V4((u32::from(a) & mask_v4(prefix)).into()),
            IpAddr::V6(a) => IpAddr::V6((u128::from(a) & mask_v6(prefix)).into()),
        };
        Ok(Net { first, prefix })
    }

    /// How many addresses the range holds.
    pub fn size(&self) -> u128 {
        let bits = if self.first.is_ipv4() { 32 } else { 128 };
        1u128.checked_shl(u32::from(bits - self.prefix)).unwrap_or(u128::MAX)
    }

    /// Whether `ip` lies in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.first, ip) {
            (IpAddr::V4(first), IpAddr::V4(ip)) => u32::from(ip) & mask_v4(self.prefix) == u32::from(first),
            (IpAddr::V6(first), IpAddr::V6(ip)) => u128::from(ip) & mask_v6(self.prefix) == u128::from(first),
            _ => false,
        }
    }

    /// Every address, in order (network and broadcast addresses included:
    /// a scan list names hosts, and Exchange is not on them in practice).
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + Send + use<> {
        let (first, size) = (self.first, self.size());
        (0..size).map(move |i| match first {
            IpAddr::V4(a) => IpAddr::V4((u32::from(a).wrapping_add(i as u32)).into()),
            IpAddr::V6(a) => IpAddr::V6((u128::from(a).wrapping_add(i)).into()),
        })
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.first, self.prefix)
    }
}

fn mask_v4(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask_v6(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

/// A target cell that names a range: `NET`, `NET:PORT` (IPv4) or
/// `[NET]:PORT`. `None` when the text is not a range at all (URLs included).
pub fn parse_range(target: &str) -> Option<Result<(Net, Option<u16>), String>> {
    if target.contains("://") || !target.contains('/') {
        return None;
    }
    let (net, port) = if let Some(rest) = target.strip_prefix('[') {
        match rest.split_once(']') {
            Some((net, "")) => (net, None),
            Some((net, after)) => match after.strip_prefix(':') {
                Some(port) => (net, Some(port)),
                None => return Some(Err(format!("{target:?}: junk after ']'"))),
            },
            None => return Some(Err(format!("{target:?}: unclosed '['"))),
        }
    } else {
        match target.split_once('/') {
            // `10.0.0.0/24:8443`: the port follows the prefix.
            Some((addr, rest)) if !addr.contains(':') && rest.contains(':') => {
                let (prefix, port) = rest.split_once(':').expect("has a colon");
                return Some(
                    Net::parse(&format!("{addr}/{prefix}")).and_then(|net| Ok((net, Some(parse_port(target, port)?)))),
                );
            }
            _ => (target, None),
        }
    };
    Some(Net::parse(net).and_then(|net| Ok((net, port.map(|p| parse_port(target, p)).transpose()?))))
}

fn parse_port(target: &str, port: &str) -> Result<u16, String> {
    match port.parse::<u32>() {
        Ok(p @ 1..=65535) => Ok(p as u16),
        _ => Err(format!("{target:?}: port {port:?} is not a number from 1 to 65535")),
    }
}

/// How ranges are expanded.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expand {
    /// `--allow-large`: ranges over `MAX_RANGE` addresses are expanded too.
    pub allow_large: bool,
}

impl Expand {
    /// The rows one entry stands for: itself, or one per address of its
    /// range (each with the range's line, port and pass-through columns), or
    /// an `input-error` row when the range is too large.
    pub fn entry(self, entry: Entry) -> Box<dyn Iterator<Item = Entry> + Send> {
        let Kind::Range { net, port, build } = entry.kind else {
            return Box::new(std::iter::once(entry));
        };
        if net.size() > MAX_RANGE && !self.allow_large {
            let why = format!(
                "line {}: {net} holds {} addresses, more than {MAX_RANGE}; split it or pass --allow-large",
                entry.line,
                net.size()
            );
            return Box::new(std::iter::once(Entry { kind: Kind::Invalid(why), port: None, ..entry }));
        }
        let Entry { line, extras, .. } = entry;
        Box::new(net.addresses().map(move |ip| {
            let endpoint = crate::probe::http::Endpoint::new(ip.to_string(), port, true);
            Entry {
                line,
                host: endpoint.host.clone(),
                port: Some(port),
                kind: Kind::Probe { endpoint, build },
                extras: extras.clone(),
            }
        }))
    }
}

/// `--target` arguments as entries, numbered from 1 in the order given.
/// An unusable target is an error: it is a typing mistake on the command
/// line, not a row of someone's inventory.
pub fn from_arguments(targets: &[String], expand: Expand) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let entry = crate::inventory::target(i as u64 + 1, target.trim());
        if let Kind::Invalid(why) = &entry.kind {
            bail!("--target {target:?}: {}", why.trim_start_matches(&format!("line {}: ", i + 1)));
        }
        if let Kind::Range { net, .. } = &entry.kind
            && net.size() > MAX_RANGE
            && !expand.allow_large
        {
            bail!("--target {net}: {} addresses, more than {MAX_RANGE}; split it or pass --allow-large", net.size());
        }
        entries.extend(expand.entry(entry));
    }
    Ok(entries)
}

/// One `--exclude` item.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Net(Net),
    Addr(IpAddr),
    /// A host name, lower-cased.
    Name(String),
}

/// `--exclude`: targets left out of the scan.
#[derive(Debug, Clone, Default)]
pub struct Exclude {
    rules: Vec<Rule>,
    /// How many rows were left out so far (shared with the summary).
    pub count: Arc<AtomicU64>,
}

impl Exclude {
    /// Reads `--exclude` values: each a comma-separated list, or `@FILE`
    /// with items separated by commas or lines (`#` starts a comment).
    pub fn parse(values: &[String]) -> Result<Exclude> {
        let mut items = Vec::new();
        for value in values {
            if let Some(path) = value.strip_prefix('@') {
                let text = std::fs::read_to_string(path).with_context(|| format!("cannot read --exclude @{path}"))?;
                for line in text.lines() {
                    let line = line.split('#').next().unwrap_or("");
                    items.extend(line.split(',').map(|s| s.trim().to_string()));
                }
            } else {
                items.extend(value.split(',').map(|s| s.trim().to_string()));
            }
        }
        let mut rules = Vec::new();
        for item in items.iter().filter(|s| !s.is_empty()) {
            rules.push(Self::rule(item).map_err(|why| anyhow::anyhow!("--exclude: {why}"))?);
        }
        Ok(Exclude { rules, count: Arc::default() })
    }

    fn rule(item: &str) -> Result<Rule, String> {
        if item.contains('/') {
            return Net::parse(item).map(Rule::Net);
        }
        let bare = item.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(Rule::Addr(ip));
        }
        let ok = !item.is_empty() && item.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !ok {
            return Err(format!("{item:?} is not an address, CIDR range or host name"));
        }
        Ok(Rule::Name(item.trim_end_matches('.').to_ascii_lowercase()))
    }

    /// Whether no rules were given.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether a host (name or address, as probed or as shown) is excluded.
    pub fn matches(&self, host: &str) -> bool {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let ip = bare.parse::<IpAddr>().ok();
        let name = bare.trim_end_matches('.').to_ascii_lowercase();
        self.rules.iter().any(|rule| match (rule, ip) {
            (Rule::Net(net), Some(ip)) => net.contains(ip),
            (Rule::Addr(a), Some(ip)) => *a == ip,
            (Rule::Name(n), _) => *n == name,
            _ => false,
        })
    }

    /// Whether the entry's host (as probed or as shown) is excluded.
    pub fn covers(&self, entry: &Entry) -> bool {
        let probed = match &entry.kind {
            Kind::Probe { endpoint, .. } => Some(endpoint.host.as_str()),
            _ => None,
        };
        !self.rules.is_empty()
            && (probed.is_some_and(|h| self.matches(h)) || (!entry.host.is_empty() && self.matches(&entry.host)))
    }

    /// Whether the entry is kept; a left-out entry is counted.
    pub fn keep(&self, entry: &Entry) -> bool {
        let out = self.covers(entry);
        if out {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
        !out
    }

    /// How many entries were left out.
    pub fn excluded(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests;
