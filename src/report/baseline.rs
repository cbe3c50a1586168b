//! Comparing a run with an earlier report (`--baseline`): the `change` of
//! each row, matched on host and port, and the hosts that are gone.

use super::read::read_report;
use crate::assess::Status;
use anyhow::Result;
use std::collections::HashMap;
use std::path::Path;

/// How a row's status moved since the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Not in the baseline.
    New,
    /// Was exposed (vulnerable, su-unknown, ambiguous), now patched or not affected.
    Fixed,
    /// Now exposed, and before it was not seen exposed, or less so.
    Regressed,
    Unchanged,
    /// Any other move (e.g. unreachable → patched).
    Changed,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Fixed => "fixed",
            Change::Regressed => "regressed",
            Change::Unchanged => "unchanged",
            Change::Changed => "changed",
        }
    }

    /// The change from `before` to `now`.
    pub fn between(before: Status, now: Status) -> Change {
        let exposure = |s: Status| match s {
            Status::Vulnerable => 2,
            Status::SuUnknown | Status::Ambiguous => 1,
            _ => 0,
        };
        let clean = |s: Status| matches!(s, Status::Patched | Status::NotAffected);
        if before == now {
            Change::Unchanged
        } else if exposure(before) > 0 && clean(now) {
            Change::Fixed
        } else if exposure(now) > exposure(before) {
            Change::Regressed
        } else {
            Change::Changed
        }
    }
}

/// An earlier report's statuses by `host:port`.
#[derive(Debug, Default)]
pub struct Baseline {
    /// (host, port) → status and whether this run saw the host.
    rows: HashMap<(String, String), (Status, bool)>,
    order: Vec<(String, String)>,
}

impl Baseline {
    /// Reads a CSV or JSONL report.
    pub fn load(path: &Path) -> Result<Baseline> {
        let report = read_report(path)?;
        let (host, port, status) = (report.column("host")?, report.column("port")?, report.column("status")?);
        let mut baseline = Baseline::default();
        for (i, record) in report.rows.iter().enumerate() {
            let Some(s) = Status::parse(&record[status]) else {
                anyhow::bail!("{}: row {}: unknown status {:?}", path.display(), i + 1, record[status]);
            };
            let key = (record[host].to_ascii_lowercase(), record[port].clone());
            if !baseline.rows.contains_key(&key) {
                baseline.order.push(key.clone());
                baseline.rows.insert(key, (s, false));
            }
        }
        Ok(baseline)
    }

    /// The change for a row of this run (and notes that the host was seen).
    pub fn change(&mut self, host: &str, port: Option<u16>, now: Status) -> Change {
        let key = (host.to_ascii_lowercase(), port.map(|p| p.to_string()).unwrap_or_default());
        match self.rows.get_mut(&key) {
            Some((before, seen)) => {
                *seen = true;
                Change::between(*before, now)
            }
            None => Change::New,
        }
    }

    /// Hosts in the baseline that this run did not have, with their old status.
    pub fn gone(&self) -> Vec<String> {
        self.order
            .iter()
            .filter(|k| !self.rows[*k].1)
            .map(|(h, p)| {
                let place = if p.is_empty() { h.clone() } else { format!("{h}:{p}") };
                format!("{place} (was {})", self.rows[&(h.clone(), p.clone())].0)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn changes_between_statuses() {
        let cases = [
            (Vulnerable, Vulnerable, Change::Unchanged),
            (Vulnerable, Patched, Change::Fixed),
            (SuUnknown, Patched, Change::Fixed),
            (Ambiguous, NotAffected, Change::Fixed),
            (Patched, Vulnerable, Change::Regressed),
            (Patched, SuUnknown, Change::Regressed),
            (SuUnknown, Vulnerable, Change::Regressed),
            (Vulnerable, SuUnknown, Change::Changed),
            (Unreachable, Patched, Change::Changed),
            // Newly seen as exposed is worse, whatever hid it before.
            (Unreachable, Vulnerable, Change::Regressed),
            (Patched, Unreachable, Change::Changed),
        ];
        for (before, now, want) in cases {
            assert_eq!(Change::between(before, now), want, "{before} -> {now}");
        }
    }
}
