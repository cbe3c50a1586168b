//! PLACEHOLDER for the data set (owned by the other half of this work, which
//! replaces this file at merge): the signatures the data store codes against,
//! with just enough behind them for the store's branch to build and test. The
//! real module parses and validates every file; this one only checks that the
//! release catalog reads.

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// The data set's schema version (semver): a binary reads any data of its
/// major version and refuses a newer major ("update exchange-exposure to read
/// this data").
pub const SCHEMA_VERSION: &str = "1.0.0";

/// The derived files of one data set, by file name (flat names such as
/// "exchange-releases.csv"), as data/ holds the built-in ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files(pub BTreeMap<String, Vec<u8>>);

/// Everything judging needs, parsed and validated.
#[derive(Debug)]
pub struct DataSet {
    newest_release: Option<(String, String, String)>,
    newest_cve: Option<(String, String)>,
}

/// The compiled-in files.
const BUILTIN: [(&str, &[u8]); 10] = [
    ("cve-2024-21410.csv", include_bytes!("../data/cve-2024-21410.csv")),
    ("cve-2025-53786.csv", include_bytes!("../data/cve-2025-53786.csv")),
    ("cve-2026-42897.csv", include_bytes!("../data/cve-2026-42897.csv")),
    ("exchange-releases.csv", include_bytes!("../data/exchange-releases.csv")),
    ("lifecycle.csv", include_bytes!("../data/lifecycle.csv")),
    ("owassrf-2022.csv", include_bytes!("../data/owassrf-2022.csv")),
    ("proxylogon-2021-03.csv", include_bytes!("../data/proxylogon-2021-03.csv")),
    ("proxynotshell-2022.csv", include_bytes!("../data/proxynotshell-2022.csv")),
    ("proxyshell-2021.csv", include_bytes!("../data/proxyshell-2021.csv")),
    ("update-cves.csv", include_bytes!("../data/update-cves.csv")),
];

/// A CSV file's records after its `#` comment lines, by column name.
fn records(files: &Files, name: &str) -> Result<Vec<BTreeMap<String, String>>> {
    let bytes = files.0.get(name).with_context(|| format!("the data set has no {name}"))?;
    let mut reader = csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(&bytes[..]);
    let headers = reader.headers().with_context(|| format!("{name}: no header"))?.clone();
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{name}: record {}", i + 1))?;
        out.push(headers.iter().map(String::from).zip(record.iter().map(String::from)).collect());
    }
    Ok(out)
}

impl DataSet {
    /// The compiled-in data set (parsed once).
    pub fn builtin() -> Arc<DataSet> {
        static BUILT: OnceLock<Arc<DataSet>> = OnceLock::new();
        BUILT
            .get_or_init(|| Arc::new(DataSet::from_files(&DataSet::builtin_files()).expect("the built-in data parses")))
            .clone()
    }

    /// The compiled-in files, byte for byte.
    pub fn builtin_files() -> Files {
        Files(BUILTIN.iter().map(|(name, bytes)| (name.to_string(), bytes.to_vec())).collect())
    }

    /// Parses and validates a data set; the error names the file and record.
    pub fn from_files(files: &Files) -> Result<DataSet> {
        let releases = records(files, "exchange-releases.csv")?;
        let newest_release = releases
            .iter()
            .filter(|r| r.get("date").is_some_and(|d| !d.is_empty()))
            .max_by(|a, b| a["date"].cmp(&b["date"]))
            .map(|r| {
                let name = [r.get("update"), r.get("cu")].into_iter().flatten().find(|s| !s.is_empty());
                (name.cloned().unwrap_or_default(), r.get("build").cloned().unwrap_or_default(), r["date"].clone())
            });
        let updates = records(files, "update-cves.csv")?;
        let newest_cve =
            updates.iter().max_by(|a, b| a.get("release_date").cmp(&b.get("release_date"))).and_then(|r| {
                let cve = r.get("cves")?.split(';').next_back()?.to_string();
                Some((cve, r.get("release_date").cloned().unwrap_or_default()))
            });
        Ok(DataSet { newest_release, newest_cve })
    }

    /// The newest release it knows: (name e.g. "Sep26SUv2", build text, date YYYY-MM-DD).
    pub fn newest_release(&self) -> Option<(String, String, String)> {
        self.newest_release.clone()
    }

    /// The newest CVE it knows: (CVE id, date YYYY-MM-DD it was published/fixed).
    pub fn newest_cve(&self) -> Option<(String, String)> {
        self.newest_cve.clone()
    }
}
