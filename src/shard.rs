//! Sharding (`scan --shard K/N`, `merge`): which part of an inventory split
//! N ways an entry belongs to, by a stable hash of its host and port. Every
//! shard of one inventory must agree on that hash, on every machine and in
//! every version, so it is pinned by tests here.

use crate::hash::fnv1a;
use crate::inventory::Entry;

/// One part of an inventory split N ways (`--shard K/N`, K from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K: which part, from 0.
    pub index: u64,
    /// N: how many parts.
    pub count: u64,
}

impl Shard {
    /// Reads `K/N`; the error says what was wrong, without naming a flag.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("{text:?}: expected K/N with 0 <= K < N, e.g. 0/4");
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
        fnv1a(key.as_bytes()) % self.count == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Kind;

    #[test]
    fn shards_are_read_and_rows_of_one_host_share_one() {
        assert_eq!(Shard::parse(" 1 / 4"), Ok(Shard { index: 1, count: 4 }));
        for bad in ["4/4", "1/0", "x/2", "1", ""] {
            let err = Shard::parse(bad).unwrap_err();
            assert!(err.contains("expected K/N") && !err.contains("--shard"), "{err}");
        }
        let entry = |line, host: &str| Entry {
            line,
            host: host.into(),
            port: Some(443),
            kind: Kind::Invalid(String::new()),
            extras: Vec::new(),
        };
        let shards: Vec<Shard> = (0..3).map(|k| Shard { index: k, count: 3 }).collect();
        let owners = |e: &Entry| shards.iter().filter(|s| s.has(e)).count();
        assert_eq!(owners(&entry(2, "MAIL.example.com")), 1);
        let first = shards.iter().position(|s| s.has(&entry(2, "mail.example.com")));
        assert_eq!(first, shards.iter().position(|s| s.has(&entry(9, "MAIL.EXAMPLE.COM"))));
    }
}
