//! Comparing a run with an earlier report (`--baseline`): the `change` of
//! each row, matched on host and port (a row without a host: on its
//! inventory line and build, its own identity), and the hosts that are gone.
//! Columns are read by name, through the report's schema.

use super::read::read_report;
use super::schema::{Column, Key, Schema};
use crate::assess::Status;
use anyhow::Result;
use std::collections::HashMap;
use std::path::Path;

/// How a row's status moved since the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Not in the baseline.
    New,
    /// Was exposed (vulnerable, su-unknown, ambiguous), now patched or not affected.
    Fixed,
    /// Now exposed, and before it was not seen exposed, or less so.
    Regressed,
    /// The same status as before.
    Unchanged,
    /// Any other move (e.g. unreachable → patched).
    Changed,
}

impl Change {
    /// Every change, for `--fail-on-change`.
    pub const ALL: [Change; 5] = [Change::New, Change::Fixed, Change::Regressed, Change::Unchanged, Change::Changed];

    /// The `change` cell.
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

/// An earlier report's statuses by identity.
#[derive(Debug, Default)]
pub struct Baseline {
    /// identity → status and whether this run saw the row.
    rows: HashMap<(String, String), (Status, bool)>,
    order: Vec<(String, String)>,
    /// The `table` column's value(s): what the baseline was judged against.
    pub tables: Vec<String>,
}

/// A row's identity: `host` (lowercase) and port; without a host, the
/// inventory line and the build (`line 7`, `15.1.2176.2`).
fn identity(host: &str, port: &str, line: &str, build: &str) -> (String, String) {
    if host.is_empty() {
        (format!("line {line}"), build.to_string())
    } else {
        (host.to_ascii_lowercase(), port.to_string())
    }
}

impl Baseline {
    /// Reads a CSV or JSONL report, its columns by name (`Schema::read`).
    pub fn load(path: &Path) -> Result<Baseline> {
        let report = read_report(path)?;
        let schema = Schema::read(&report.columns, &[]);
        let at = |column: Column| schema.at(&Key::Own(column));
        let need = |column: Column| report.column(column.name());
        let (host, port, status) = (need(Column::Host)?, need(Column::Port)?, need(Column::Status)?);
        // Older reports may lack these; host-less rows then match on nothing.
        let (line, build, table) = (at(Column::Line), at(Column::Build), at(Column::Table));
        let cell = |record: &[String], at: Option<usize>| at.map(|i| record[i].clone()).unwrap_or_default();
        let mut baseline = Baseline::default();
        for (i, record) in report.rows.iter().enumerate() {
            let Some(s) = Status::parse(&record[status]) else {
                anyhow::bail!("{}: row {}: unknown status {:?}", path.display(), i + 1, record[status]);
            };
            let key = identity(&record[host], &record[port], &cell(record, line), &cell(record, build));
            let tables = cell(record, table);
            if !tables.is_empty() && !baseline.tables.contains(&tables) {
                baseline.tables.push(tables);
            }
            if !baseline.rows.contains_key(&key) {
                baseline.order.push(key.clone());
                baseline.rows.insert(key, (s, false));
            }
        }
        Ok(baseline)
    }

    /// A warning when the baseline was judged against other tables (other
    /// advisories, another table file) than `now`: its changes may come from
    /// the data, not from the servers.
    pub fn tables_warning(&self, now: &str) -> Option<String> {
        let other: Vec<&str> = self.tables.iter().map(String::as_str).filter(|t| *t != now).collect();
        (!other.is_empty()).then(|| {
            format!(
                "warning: the baseline was judged against {}, this run against {now}: a change may come from the tables or advisories, not from the servers",
                other.join(", ")
            )
        })
    }

    /// The change for a row of this run (and notes that the row was seen).
    pub fn change(&mut self, row: &super::Row) -> Change {
        let cell = |column: Column| column.cell(row);
        let key = identity(&row.host, &cell(Column::Port), &cell(Column::Line), &cell(Column::Build));
        match self.rows.get_mut(&key) {
            Some((before, seen)) => {
                *seen = true;
                Change::between(*before, row.status())
            }
            None => Change::New,
        }
    }

    /// Rows in the baseline that this run did not have, with their old status.
    pub fn gone(&self) -> Vec<String> {
        self.order
            .iter()
            .filter(|k| !self.rows[*k].1)
            .map(|(h, p)| {
                let place = match (h.starts_with("line "), p.is_empty()) {
                    (true, _) => format!("{h} (no host, build {p})"),
                    (false, true) => h.clone(),
                    (false, false) => format!("{h}:{p}"),
                };
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
    fn identity_is_host_and_port_or_line_and_build() {
        let cases = [
            (("Mail.Corp", "443", "7", "15.1.2176.2"), ("mail.corp", "443")),
            (("", "", "7", "15.1.2176.2"), ("line 7", "15.1.2176.2")),
            (("", "", "8", "15.1.2176.2"), ("line 8", "15.1.2176.2")),
            (("", "", "7", "15.1.2176.9"), ("line 7", "15.1.2176.9")),
        ];
        for ((host, port, line, build), (want_a, want_b)) in cases {
            assert_eq!(identity(host, port, line, build), (want_a.to_string(), want_b.to_string()));
        }
        let b = Baseline { tables: vec!["proxylogon-2021-03@1".into()], ..Baseline::default() };
        assert_eq!(b.tables_warning("proxylogon-2021-03@1"), None);
        let warning = b.tables_warning("proxylogon-2021-03@1+proxyshell-2021-07@2").unwrap();
        assert!(warning.contains("judged against proxylogon-2021-03@1, this run against"), "{warning}");
    }

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
