//! The report's schema, defined once: every column a report can have, its
//! name, how its value is read from a typed [`Row`], and its [`Kind`] (how
//! JSON Lines and XLSX type it). CSV headers and cells, JSON Lines objects,
//! the HTML page, the XLSX workbook and the aligned table are all derived
//! from a [`Schema`]; `merge` and `--baseline` read reports back by column
//! name through [`Schema::read`]. Adding a column of every row: a variant of
//! [`Column`] — its name, its cell, its kind if it is not text, and its
//! place in `Column::ALL` — in this file.

use super::{Layout, Row, provenance};
use crate::table::ADVISORIES;

/// The columns every report row has, in order (README's column table):
/// `host` to `table`, the published interface, then the tool's own
/// (`line`, staleness, `support`, open CVEs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The inventory's host (empty for build-only rows).
    Host,
    /// The port probed, when the inventory or target named one.
    Port,
    /// The overall status.
    Status,
    /// The CVEs the build is exposed to, `;`-joined.
    Cves,
    /// The Exchange product (`Exchange 2016`).
    Product,
    /// The cumulative update (`CU19`).
    Cu,
    /// The build seen.
    Build,
    /// `full` or `cu`: how much of the build was seen.
    Precision,
    /// Where the build came from, `+`-joined.
    Source,
    /// The build the server needs.
    FixedBuild,
    /// The verdict's sentence (capped), with ESU-only updates named after it.
    Detail,
    /// What the TLS connection showed.
    Tls,
    /// Front-end servers named by the server, `;`-joined (capped).
    FeServers,
    /// When the row was judged (UTC).
    CheckedAt,
    /// The tables judged against, `+`-joined ids.
    Table,
    /// The inventory line (or `check` input) the row comes from.
    Line,
    /// The newest public security update of the build's CU.
    LatestSu,
    /// How many public security updates the build lacks.
    SusBehind,
    /// The newest public update's release date.
    LatestSuDate,
    /// Whether the product is still supported on the day checked.
    Support,
    /// Every CVE the build lacks the fix for, `;`-joined.
    OpenCves,
    /// How many those are.
    OpenCvesCount,
    /// CVEs of updates after the product's support (and ESU) ended: not assessed by Microsoft.
    UnassessedCves,
    /// The highest MSRC severity among `open_cves`.
    MaxOpenSeverity,
    /// The `open_cves` Microsoft marked "Exploitation Detected".
    ExploitedOpenCves,
    /// The data set judged with: its id (SHA-256).
    DataId,
    /// Where that data came from: `built-in` or `update`.
    DataOrigin,
    /// When that data was last confirmed against Microsoft (YYYY-MM-DD).
    DataConfirmed,
}

/// The names of `Column::ALL`, in order.
pub const COLUMNS: [&str; Column::ALL.len()] = {
    let mut names = [""; Column::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = Column::ALL[i].name();
        i += 1;
    }
    names
};

/// How a column's value is typed in JSON Lines and in the XLSX workbook
/// (CSV, HTML and the aligned table show every value as text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text; `null` in JSON when empty.
    Text,
    /// A whole number (JSON number, XLSX number); `null` when empty.
    Number,
    /// A `;`-separated list in text, an array in JSON (`[]` when empty).
    List,
    /// Like `List`, but `null` in JSON when empty and the row's
    /// `open_cves_count` is empty too: unknown, not none (`open_cves`).
    ListOrUnknown,
    /// A date and time (`2026-01-01T00:00:00Z`): text in JSON, a date-time in XLSX.
    DateTime,
    /// A date (`2026-01-01`): text in JSON, a date in XLSX.
    Date,
    /// An inventory column passed through: always the string it was.
    PassThrough,
}

impl Column {
    /// Every column, in report order.
    pub const ALL: &[Column] = &[
        Column::Host,
        Column::Port,
        Column::Status,
        Column::Cves,
        Column::Product,
        Column::Cu,
        Column::Build,
        Column::Precision,
        Column::Source,
        Column::FixedBuild,
        Column::Detail,
        Column::Tls,
        Column::FeServers,
        Column::CheckedAt,
        Column::Table,
        Column::Line,
        Column::LatestSu,
        Column::SusBehind,
        Column::LatestSuDate,
        Column::Support,
        Column::OpenCves,
        Column::OpenCvesCount,
        Column::UnassessedCves,
        Column::MaxOpenSeverity,
        Column::ExploitedOpenCves,
        Column::DataId,
        Column::DataOrigin,
        Column::DataConfirmed,
    ];

    /// The column's name in every format.
    pub const fn name(self) -> &'static str {
        match self {
            Column::Host => "host",
            Column::Port => "port",
            Column::Status => "status",
            Column::Cves => "cves",
            Column::Product => "product",
            Column::Cu => "cu",
            Column::Build => "build",
            Column::Precision => "precision",
            Column::Source => "source",
            Column::FixedBuild => "fixed_build",
            Column::Detail => "detail",
            Column::Tls => "tls",
            Column::FeServers => "fe_servers",
            Column::CheckedAt => "checked_at",
            Column::Table => "table",
            Column::Line => "line",
            Column::LatestSu => "latest_su",
            Column::SusBehind => "sus_behind",
            Column::LatestSuDate => "latest_su_date",
            Column::Support => "support",
            Column::OpenCves => "open_cves",
            Column::OpenCvesCount => "open_cves_count",
            Column::UnassessedCves => "unassessed_cves",
            Column::MaxOpenSeverity => "max_open_severity",
            Column::ExploitedOpenCves => "exploited_open_cves",
            Column::DataId => "data_id",
            Column::DataOrigin => "data_origin",
            Column::DataConfirmed => "data_confirmed",
        }
    }

    /// How the column's value is typed.
    pub fn kind(self) -> Kind {
        match self {
            Column::Port | Column::Line | Column::SusBehind | Column::OpenCvesCount => Kind::Number,
            Column::Cves | Column::FeServers => Kind::List,
            Column::OpenCves | Column::UnassessedCves | Column::ExploitedOpenCves => Kind::ListOrUnknown,
            Column::CheckedAt => Kind::DateTime,
            Column::LatestSuDate | Column::DataConfirmed => Kind::Date,
            _ => Kind::Text,
        }
    }

    /// The row's value in this column, as text (not yet formula-guarded or escaped).
    pub fn cell(self, row: &Row) -> String {
        let v = &row.verdict;
        let opt = |o: Option<String>| o.unwrap_or_default();
        let stale = row.staleness.as_ref();
        match self {
            Column::Host => row.host.clone(),
            Column::Port => opt(row.port.map(|p| p.to_string())),
            Column::Status => v.status.to_string(),
            Column::Cves => v.cves.join(";"),
            Column::Product => opt(v.product.map(|p| p.to_string())),
            Column::Cu => opt(v.cu.clone()),
            Column::Build => opt(v.build.map(|b| b.to_string())),
            Column::Precision => opt(v.precision().map(|p| p.as_str().to_string())),
            Column::Source => v.sources.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("+"),
            Column::FixedBuild => opt(v.fixed_build.map(|b| b.to_string())),
            Column::Detail => super::cap_detail(&row.detail()),
            Column::Tls => opt(row.tls.as_ref().map(|t| t.describe())),
            Column::FeServers => super::cap_cell(&row.fe_servers.join(";"), super::text::MAX_CELL),
            Column::CheckedAt => row.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            Column::Table => row.table.clone(),
            Column::Line => opt(row.line.map(|l| l.to_string())),
            Column::LatestSu => opt(stale.map(|s| s.latest_su.clone())),
            Column::SusBehind => opt(stale.and_then(|s| s.sus_behind).map(|n| n.to_string())),
            Column::LatestSuDate => opt(stale.map(|s| s.date.clone())),
            Column::Support => opt(row.support.clone()),
            Column::OpenCves => opt(row.open_cves.as_ref().map(|c| c.join(";"))),
            Column::OpenCvesCount => opt(row.open_cves.as_ref().map(|c| c.len().to_string())),
            Column::UnassessedCves => opt(row.unassessed_cves.as_ref().map(|c| c.join(";"))),
            Column::MaxOpenSeverity => opt(row.max_open_severity.clone()),
            Column::ExploitedOpenCves => opt(row.exploited_open_cves.as_ref().map(|c| c.join(";"))),
            // The same for every row of a run: the schema holds them (`Schema::of`).
            Column::DataId | Column::DataOrigin | Column::DataConfirmed => String::new(),
        }
    }

    /// The column's place among the data set's cells (`DataStamp::cells`), if it is one.
    fn data_index(self) -> Option<usize> {
        [Column::DataId, Column::DataOrigin, Column::DataConfirmed].iter().position(|c| *c == self)
    }
}

/// What a report column holds: one of the row's own columns, a column the
/// run adds (per advisory, `change`, `accepted`, shard provenance), or an
/// inventory column passed through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A column every row has.
    Own(Column),
    /// `status_ID`: this advisory's own status (several advisories judged).
    AdvisoryStatus(String),
    /// `cves_ID`: this advisory's CVEs (several advisories judged).
    AdvisoryCves(String),
    /// `change`: how the status moved since `--baseline`.
    Change,
    /// `accepted`: the acceptance (`--accept`) that covers the row.
    Accepted,
    /// One of `provenance::COLUMNS` (by index): what a shard report was made from.
    Provenance(usize),
    /// The inventory's pass-through column at this index of `Row::extras`.
    PassThrough(usize),
    /// A column read back that this version does not write: carried as text.
    Other,
}

impl Key {
    /// The column's name.
    fn name(&self) -> String {
        match self {
            Key::Own(c) => c.name().to_string(),
            Key::AdvisoryStatus(id) => format!("status_{id}"),
            Key::AdvisoryCves(id) => format!("cves_{id}"),
            Key::Change => "change".into(),
            Key::Accepted => "accepted".into(),
            Key::Provenance(i) => provenance::COLUMNS[*i].into(),
            Key::PassThrough(_) | Key::Other => unreachable!("named by the inventory or the report read"),
        }
    }

    /// How the column's value is typed.
    pub fn kind(&self) -> Kind {
        match self {
            Key::Own(c) => c.kind(),
            Key::AdvisoryCves(_) => Kind::List,
            Key::Provenance(i) if provenance::COLUMNS[*i] == "inventory_lines" => Kind::Number,
            Key::PassThrough(_) => Kind::PassThrough,
            _ => Kind::Text,
        }
    }

    /// The key of a report column's name, if the report writes one so named
    /// (an inventory column never has such a name: `pass_through_names`).
    fn recognise(name: &str) -> Option<Key> {
        let advisory = |prefix: &str| {
            name.strip_prefix(prefix).filter(|id| ADVISORIES.iter().any(|(known, _)| known == id)).map(String::from)
        };
        if let Some(c) = Column::ALL.iter().find(|c| c.name() == name) {
            return Some(Key::Own(*c));
        }
        match name {
            "change" => return Some(Key::Change),
            "accepted" => return Some(Key::Accepted),
            _ => {}
        }
        if let Some(i) = provenance::COLUMNS.iter().position(|c| *c == name) {
            return Some(Key::Provenance(i));
        }
        advisory("status_").map(Key::AdvisoryStatus).or_else(|| advisory("cves_").map(Key::AdvisoryCves))
    }
}

/// The kind of a column known only by its name (a report column's, or text).
pub fn kind_of_name(name: &str) -> Kind {
    Key::recognise(name).map_or(Kind::Text, |k| k.kind())
}

/// The names the inventory's pass-through columns get in a report: their
/// own, or `inventory_NAME` when that is a report column or a name already
/// taken (the prefix repeats until the name is free). The same in every
/// format and in `merge`.
pub fn pass_through_names(extras: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(extras.len());
    for name in extras {
        let mut name = name.clone();
        while Key::recognise(&name).is_some() || names.contains(&name) {
            name = format!("inventory_{name}");
        }
        names.push(name);
    }
    names
}

/// A report's columns, in order: each one's name and what it holds.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    columns: Vec<(String, Key)>,
    /// The shard provenance cells every row carries (`Key::Provenance`),
    /// made once; empty without a shard.
    provenance: Vec<String>,
    /// The data set's cells every row carries (`DataStamp::cells`), made
    /// once; empty when the run does not record its data.
    data: Vec<String>,
}

impl Schema {
    /// The columns of a report written with this layout: `Column::ALL`,
    /// then `status_ID` and `cves_ID` per advisory, `change`, `accepted`,
    /// the shard provenance, then the inventory's columns (named by
    /// `pass_through_names`).
    pub fn of(layout: &Layout) -> Schema {
        let mut keys: Vec<Key> = Column::ALL.iter().copied().map(Key::Own).collect();
        for id in &layout.advisories {
            keys.push(Key::AdvisoryStatus(id.clone()));
            keys.push(Key::AdvisoryCves(id.clone()));
        }
        if layout.change {
            keys.push(Key::Change);
        }
        if layout.accepted {
            keys.push(Key::Accepted);
        }
        if layout.provenance.is_some() {
            keys.extend((0..provenance::COLUMNS.len()).map(Key::Provenance));
        }
        let mut columns: Vec<(String, Key)> = keys.into_iter().map(|k| (k.name(), k)).collect();
        let extras = pass_through_names(&layout.extras);
        columns.extend(extras.into_iter().enumerate().map(|(i, name)| (name, Key::PassThrough(i))));
        let provenance = layout.provenance.as_ref().map(|p| p.cells().to_vec()).unwrap_or_default();
        let data = layout.run.as_ref().and_then(|r| r.data.as_ref()).map(|d| d.cells().to_vec()).unwrap_or_default();
        Schema { columns, provenance, data }
    }

    /// The schema of a report read back, from its column names: the names
    /// in `pass_through` are the inventory's (as `pass_through_names` gave
    /// them), the others the report's own; a name this version does not
    /// write is carried as text.
    pub fn read(names: &[String], pass_through: &[String]) -> Schema {
        let key = |name: &String| match pass_through.iter().position(|p| p == name) {
            Some(i) => Key::PassThrough(i),
            None => Key::recognise(name).unwrap_or(Key::Other),
        };
        Schema {
            columns: names.iter().map(|n| (n.clone(), key(n))).collect(),
            provenance: Vec::new(),
            data: Vec::new(),
        }
    }

    /// The columns: name and key, in order.
    pub fn columns(&self) -> &[(String, Key)] {
        &self.columns
    }

    /// The column names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|(name, _)| name.as_str())
    }

    /// The position of the column holding `key`, if the report has one.
    pub fn at(&self, key: &Key) -> Option<usize> {
        self.columns.iter().position(|(_, k)| k == key)
    }

    /// The cell of `key` in a row of this schema (empty when there is no such column).
    pub fn get<'c>(&self, cells: &'c [String], key: &Key) -> &'c str {
        self.at(key).and_then(|i| cells.get(i)).map_or("", String::as_str)
    }

    /// The cell of one of the row's own columns.
    pub fn own<'c>(&self, cells: &'c [String], column: Column) -> &'c str {
        self.get(cells, &Key::Own(column))
    }

    /// A typed row's cells, one per column, as text (not yet formula-guarded or escaped).
    pub fn cells(&self, row: &Row) -> Vec<String> {
        self.columns.iter().map(|(_, key)| self.cell(row, key)).collect()
    }

    fn cell(&self, row: &Row, key: &Key) -> String {
        let each = |id: &str| row.each.iter().find(|(each, _)| each == id).map(|(_, v)| v);
        match key {
            Key::Own(c) if let Some(i) = c.data_index() => self.data.get(i).cloned().unwrap_or_default(),
            Key::Own(c) => c.cell(row),
            Key::AdvisoryStatus(id) => each(id).map(|v| v.status.to_string()).unwrap_or_default(),
            Key::AdvisoryCves(id) => each(id).map(|v| v.cves.join(";")).unwrap_or_default(),
            Key::Change => row.change.map(|c| c.as_str()).unwrap_or("").to_string(),
            Key::Accepted => row.accepted.as_ref().map(|a| super::cap_detail(&a.text)).unwrap_or_default(),
            Key::Provenance(i) => self.provenance.get(*i).cloned().unwrap_or_default(),
            Key::PassThrough(i) => row.extras.get(*i).cloned().unwrap_or_default(),
            Key::Other => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_layout_s_columns_follow_the_row_s_own_in_one_order() {
        let layout = Layout {
            advisories: strings(&["proxylogon", "proxyshell"]),
            change: true,
            accepted: true,
            extras: strings(&["change", "owner"]),
            provenance: Some(provenance::Provenance {
                shard: "0/2".into(),
                inventory_sha256: "ab".into(),
                inventory_lines: 3,
                advisories: "proxylogon+proxyshell".into(),
            }),
            ..Layout::default()
        };
        let schema = Schema::of(&layout);
        let names: Vec<&str> = schema.names().collect();
        assert_eq!(&names[..COLUMNS.len()], COLUMNS);
        assert_eq!(
            &names[COLUMNS.len()..],
            [
                "status_proxylogon",
                "cves_proxylogon",
                "status_proxyshell",
                "cves_proxyshell",
                "change",
                "accepted",
                "shard",
                "inventory_sha256",
                "inventory_lines",
                "advisories",
                "inventory_change",
                "owner",
            ]
        );
        // Read back by name, knowing the inventory's columns: the same keys.
        let read = Schema::read(&strings(&names), &pass_through_names(&layout.extras));
        assert_eq!(read.columns(), schema.columns());
        assert_eq!(read.at(&Key::Change), Some(names.iter().position(|n| *n == "change").unwrap()));
        assert_eq!(read.at(&Key::PassThrough(0)), Some(names.iter().position(|n| *n == "inventory_change").unwrap()));
    }

    #[test]
    fn kinds_type_what_json_lines_and_xlsx_type() {
        for name in ["port", "line", "sus_behind", "open_cves_count", "inventory_lines"] {
            assert_eq!(kind_of_name(name), Kind::Number, "{name}");
        }
        for name in ["cves", "fe_servers", "cves_proxyshell"] {
            assert_eq!(kind_of_name(name), Kind::List, "{name}");
        }
        assert_eq!(kind_of_name("open_cves"), Kind::ListOrUnknown);
        assert_eq!(kind_of_name("checked_at"), Kind::DateTime);
        assert_eq!(kind_of_name("latest_su_date"), Kind::Date);
        // Not an advisory id: not the report's, so text.
        for name in ["cves_other", "status_old", "detail", "owner"] {
            assert_eq!(kind_of_name(name), Kind::Text, "{name}");
        }
        let read = Schema::read(&strings(&["status_old", "port"]), &strings(&["status_old", "port"]));
        assert!(read.columns().iter().all(|(_, k)| k.kind() == Kind::PassThrough));
    }
}
