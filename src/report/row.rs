//! The typed report row: a verdict and what the report says beside it (where
//! it came from, staleness, support, open CVEs, the baseline's change, an
//! acceptance, the inventory's own columns), every value computed before
//! any writer sees the row. `schema` turns it into cells.

use super::baseline::Change;
use crate::assess::{Judged, Status, Verdict};
use crate::catalog::staleness;
use crate::dataset::{DataSet, Lifecycle};
use crate::evidence::TlsState;
use crate::table::Table;

/// One report row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The inventory's host (empty for build-only rows and `check`).
    pub host: String,
    /// The port probed, when one was named.
    pub port: Option<u16>,
    /// The overall verdict (the worst advisory's, when several were judged).
    pub verdict: Verdict,
    /// How the probed connection's TLS fared (the `tls` column is its
    /// `describe()`); `None` when nothing was probed (offline, `check`,
    /// `headers`, input-error and not-scanned rows).
    pub tls: Option<TlsState>,
    /// Front-end servers the server named.
    pub fe_servers: Vec<String>,
    /// When the row was judged; set it with `Row::at`, which keeps `support` in step.
    pub checked_at: jiff::Timestamp,
    /// The `table` column: every judging table's id, `+`-joined.
    pub table: String,
    /// The inventory line (or `check` input) the row comes from.
    pub line: Option<u64>,
    /// How far behind the build is (full builds on CUs the catalog knows).
    pub staleness: Option<staleness::Staleness>,
    /// Whether the product was supported on the day checked (`support`), when the product is known.
    pub support: Option<String>,
    /// Every CVE the build lacks the fix for, on a product Microsoft lists
    /// for it (builds on CUs the catalog knows).
    pub open_cves: Option<Vec<String>>,
    /// CVEs of updates shipped after the product's support (and ESU) ended:
    /// Microsoft no longer assessed it, so likely vulnerable, never `open_cves`.
    pub unassessed_cves: Option<Vec<String>>,
    /// The highest MSRC severity among `open_cves` (`Critical`, `Important`,
    /// …), from Microsoft's CVRF data; empty when none is known.
    pub max_open_severity: Option<String>,
    /// The `open_cves` Microsoft marked "Exploitation Detected".
    pub exploited_open_cves: Option<Vec<String>>,
    /// The product's lifecycle, from the data judged with (`support` is computed from it).
    pub lifecycle: Option<Lifecycle>,
    /// Each advisory's own verdict when several were judged (`--advisory`).
    pub each: Vec<(String, Verdict)>,
    /// How the status moved since `--baseline`, when one was given.
    pub change: Option<Change>,
    /// The acceptance (`--accept`) that covers the row, if one does.
    pub accepted: Option<Accepted>,
    /// Inventory columns passed through, in inventory order.
    pub extras: Vec<String>,
}

/// A row's acceptance (`--accept`): the `accepted` cell, and what it covers.
/// The `accept` module decides which rows an acceptance covers; the report
/// only holds the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// `until DATE: reason (owner)`, `; `-joined when several match.
    pub text: String,
    /// Advisory ids covered.
    pub advisories: Vec<String>,
    /// Whether every advisory judged is covered (the row's own status then
    /// does not count either).
    pub whole: bool,
}

impl Accepted {
    /// Whether the acceptance covers this advisory.
    pub fn covers(&self, advisory: &str) -> bool {
        self.advisories.iter().any(|a| a == advisory)
    }
}

impl Row {
    /// A row for a judged build or host, checked now; the caller fills in
    /// where it came from. `table` is the `table` column (the judging
    /// tables' ids). Staleness, support and open CVEs are the answers of
    /// `data` and the judging `tables` for the build, computed here once.
    pub fn judged(judged: Judged, table: String, data: &DataSet, tables: &[Table]) -> Row {
        let staleness = judged.overall.build.and_then(|b| staleness::of(&b, &data.releases));
        let open = judged.overall.build.and_then(|b| data.open_cves(&b, tables));
        let product = judged.overall.product;
        let (max_open_severity, exploited_open_cves) = match &open {
            Some(o) => {
                let severity =
                    o.open.iter().filter_map(|c| data.severity_of(c, product)).max_by_key(|s| severity_rank(s));
                let exploited = o.open.iter().filter(|c| data.exploited(c)).cloned().collect();
                (Some(severity.unwrap_or_default().to_string()), Some(exploited))
            }
            None => (None, None),
        };
        let (open_cves, unassessed_cves) = match open {
            Some(o) => (Some(o.open), Some(o.unassessed)),
            None => (None, None),
        };
        let lifecycle = product.and_then(|p| data.lifecycle_of(p).cloned());
        Row {
            host: String::new(),
            port: None,
            verdict: judged.overall,
            tls: None,
            fe_servers: Vec::new(),
            checked_at: jiff::Timestamp::UNIX_EPOCH,
            table,
            line: None,
            staleness,
            support: None,
            open_cves,
            unassessed_cves,
            max_open_severity,
            exploited_open_cves,
            lifecycle,
            each: judged.each,
            change: None,
            accepted: None,
            extras: Vec::new(),
        }
        .at(jiff::Timestamp::now())
    }

    /// The row checked at `when`, with `support` as of that day.
    pub fn at(mut self, when: jiff::Timestamp) -> Row {
        self.checked_at = when;
        let day = when.to_zoned(jiff::tz::TimeZone::UTC).date();
        self.support = self.verdict.product.map(|_| crate::dataset::support_text(self.lifecycle.as_ref(), day));
        self
    }

    /// Whether the row has an open CVE `--fail-on-open` names.
    pub fn has_open(&self, level: crate::dataset::OpenLevel) -> bool {
        use crate::dataset::OpenLevel;
        match level {
            OpenLevel::Any => self.open_cves.as_ref().is_some_and(|c| !c.is_empty()),
            OpenLevel::Exploited => self.exploited_open_cves.as_ref().is_some_and(|c| !c.is_empty()),
            OpenLevel::Critical | OpenLevel::Important => {
                let need = if level == OpenLevel::Critical { "Critical" } else { "Important" };
                self.max_open_severity.as_deref().is_some_and(|s| severity_rank(s) >= severity_rank(need))
            }
        }
    }

    /// The overall status.
    pub fn status(&self) -> Status {
        self.verdict.status
    }

    /// The verdict's sentence, with the ESU-only updates the build lacks named
    /// after it (they are not counted in `sus_behind`).
    pub(super) fn detail(&self) -> String {
        match self.staleness.as_ref().map(|s| s.esu_sentence()).filter(|s| !s.is_empty()) {
            Some(esu) if self.verdict.detail.is_empty() => esu,
            Some(esu) => format!("{}; {esu}", self.verdict.detail),
            None => self.verdict.detail.clone(),
        }
    }
}

/// MSRC's severities in order (`Critical` highest); anything else lowest.
pub fn severity_rank(severity: &str) -> u8 {
    match severity {
        "Critical" => 4,
        "Important" => 3,
        "Moderate" => 2,
        "Low" => 1,
        _ => 0,
    }
}
