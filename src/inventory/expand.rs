//! Inventory entries as the scan needs them: CIDR-range entries expanded
//! into one row per address, `--target` arguments turned into entries, and
//! `--exclude` lists that leave matching entries out. A step over parsed
//! entries, so the CSV reader stays about reading CSV.

use super::{Entry, Kind};
use crate::target::{MAX_RANGE, Net};
use anyhow::{Result, bail};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
            let endpoint = crate::target::Endpoint::new(ip.to_string(), port, true);
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

/// Targets given one by one (`--target`) as entries, numbered from 1 in
/// the order given. An unusable target is an error naming it: it is a
/// typing mistake, not a row of someone's inventory (the caller says where
/// it was typed).
pub fn from_arguments(targets: &[String], expand: Expand) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let entry = super::target(i as u64 + 1, target.trim());
        if let Kind::Invalid(why) = &entry.kind {
            bail!("{target:?}: {}", why.trim_start_matches(&format!("line {}: ", i + 1)));
        }
        if let Kind::Range { net, .. } = &entry.kind
            && net.size() > MAX_RANGE
            && !expand.allow_large
        {
            bail!("{net}: {} addresses, more than {MAX_RANGE}; split it or pass --allow-large", net.size());
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

/// The largest `--exclude @FILE` list read.
pub const MAX_LIST: u64 = 16 * crate::bounded::MIB;

impl Exclude {
    /// Reads exclusion lists (`--exclude` values): each a comma-separated list, or `@FILE`
    /// with items separated by commas or lines (`#` starts a comment).
    pub fn parse(values: &[String]) -> Result<Exclude> {
        let mut items = Vec::new();
        for value in values {
            if let Some(path) = value.strip_prefix('@') {
                let text = crate::bounded::read_to_string(std::path::Path::new(path), MAX_LIST, "@FILE list")?;
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
            rules.push(Self::rule(item).map_err(anyhow::Error::msg)?);
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
