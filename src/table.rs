//! The fixed-build tables: one per advisory (`ADVISORIES`), one row per
//! CU/SP of every affected product line, compiled into the binary (or
//! `--table FILE`), validated on load, and looked up by CU. Every advisory
//! table in `data/` names each row's source. The release catalog is
//! `catalog`'s.

use crate::build::{Build, CuKey, Precision, Product};
use crate::catalog::{check_line, csv_reader, parse_build};
use crate::hash::fnv1a;
use anyhow::{Context, Result, bail, ensure};
use std::fmt;
use std::path::Path;

const BUILTIN_TABLE: &str = include_str!("../data/proxylogon-2021-03.csv");

/// Every advisory the tool knows: its id for `--advisory`, and its table.
/// The first is the default.
pub const ADVISORIES: &[(&str, &str)] = &[
    ("proxylogon", BUILTIN_TABLE),
    ("proxyshell", include_str!("../data/proxyshell-2021.csv")),
    ("proxynotshell", include_str!("../data/proxynotshell-2022.csv")),
    ("owassrf", include_str!("../data/owassrf-2022.csv")),
    ("cve-2024-21410", include_str!("../data/cve-2024-21410.csv")),
    ("cve-2025-53786", include_str!("../data/cve-2025-53786.csv")),
    ("cve-2026-42897", include_str!("../data/cve-2026-42897.csv")),
];

/// How a CU stands against the advisory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    /// The lowest build on this CU that has the fix.
    Build(Build),
    /// The CU shipped with the fix.
    Included,
    /// The CU never got the fix.
    None,
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fix::Build(b) => write!(f, "{b}"),
            Fix::Included => f.write_str("included"),
            Fix::None => f.write_str("none"),
        }
    }
}

/// One row of a fixed-build table: a CU/SP of an affected product line
/// and its fix (named apart from the report's `Row`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CuFix {
    /// The product line.
    pub product: Product,
    /// The CU or service pack by name.
    pub cu: String,
    /// The CU's own build (four parts): the row's key.
    pub cu_build: Build,
    /// The lowest fixed build on the CU, or that the CU includes or never got the fix.
    pub fix: Fix,
    /// A lower fixed build that another source gives; builds from here up to
    /// `fix` are ambiguous.
    pub alt_fix: Option<Build>,
    /// The fix's Knowledge Base article.
    pub kb: String,
    /// The CVEs this row's fix closes on the CU.
    pub cves: Vec<String>,
    /// Where the row's facts come from.
    pub source: String,
    /// The fix build is offered only to paying Extended Security Update
    /// customers (`esu_only` column `yes`).
    pub esu_only: bool,
}

impl CuFix {
    /// The CU the row is for.
    pub fn key(&self) -> CuKey {
        CuKey::of(&self.cu_build)
    }
}

/// The fixed-build table of one advisory.
#[derive(Debug, Clone)]
pub struct Table {
    /// The advisory it judges (`proxylogon`, …): report columns are named after it.
    pub advisory: String,
    /// The name its file gives (`# table: NAME`).
    pub name: String,
    /// What the fix is called in sentences (`# update: …`), e.g. "the March
    /// 2021 security update (ProxyLogon)".
    pub update: String,
    /// A configuration step the fix also needs that no remote scan can see
    /// (`# config: …`), e.g. Extended Protection: builds at or above the fix
    /// are then `config-unknown`, never `patched`.
    pub config: Option<String>,
    /// Name and content hash, e.g. `proxylogon-2021-03@1a2b3c4d`: reports carry it.
    pub id: String,
    /// One row per CU/SP (several where CVE groups have different fixes), sorted by `cu_build`.
    pub rows: Vec<CuFix>,
    /// The release catalog's CUs (base build, product, name) of the data set
    /// the table is judged with, to name a CU the table has no row for.
    pub cus: std::sync::Arc<Vec<(Build, Product, String)>>,
}

#[derive(serde::Deserialize)]
struct RawRow {
    product: String,
    cu: String,
    cu_build: String,
    fix: String,
    alt_fix: String,
    kb: String,
    cves: String,
    source: String,
    /// Optional column: `yes` when the fix is offered only to ESU customers.
    #[serde(default)]
    esu_only: String,
}

/// The `table` cell of a report judged against `tables`: their ids, `+`-joined.
pub fn ids(tables: &[Table]) -> String {
    tables.iter().map(|t| t.id.as_str()).collect::<Vec<_>>().join("+")
}

/// The largest `--table` file read (the built-in one is a few KiB).
pub const MAX_TABLE: u64 = 16 * crate::bounded::MIB;

impl Table {
    /// The table compiled into the binary, with the compiled-in catalog's
    /// CUs (for tests and tools; commands take their tables from the data set).
    pub fn builtin() -> Table {
        Table::parse(BUILTIN_TABLE)
            .expect("the built-in table passes its own validation (tested)")
            .with_builtin_catalog()
    }

    fn with_builtin_catalog(self) -> Table {
        let releases = crate::catalog::parse(include_str!("../data/exchange-releases.csv"))
            .expect("the built-in catalog passes its own validation (tested)");
        self.with_catalog(&releases)
    }

    /// Loads another table file (`--table FILE`, at most `MAX_TABLE` bytes), with the same validation.
    pub fn load(path: &Path) -> Result<Table> {
        let text = crate::bounded::read_to_string(path, MAX_TABLE, "table")?;
        Table::parse(&text).with_context(|| format!("table {} is not valid", path.display()))
    }

    /// Parses and validates a table file (each row on its product's line).
    pub fn parse(text: &str) -> Result<Table> {
        let name = text
            .lines()
            .find_map(|l| l.strip_prefix("# table:"))
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .context("missing a '# table: NAME' line")?;
        let update = text
            .lines()
            .find_map(|l| l.strip_prefix("# update:"))
            .map(|u| u.trim().to_string())
            .unwrap_or_else(|| "the security update".into());
        let config = text
            .lines()
            .find_map(|l| l.strip_prefix("# config:"))
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        let rows = parse_rows(text)?;
        let id = format!("{name}@{:08x}", fnv1a(text.as_bytes()) as u32);
        let advisory = name.split('-').next().unwrap_or(name).to_string();
        Ok(Table { advisory, name: name.to_string(), update, config, id, rows, cus: Default::default() })
    }

    /// A built-in advisory's table by id (`proxylogon`, `owassrf`, `cve-2024-21410`, …: see `ADVISORIES`).
    pub fn advisory(id: &str) -> Option<Table> {
        let (_, text) = ADVISORIES.iter().find(|(name, _)| *name == id)?;
        let mut table = Table::parse(text).expect("built-in tables pass their own validation (tested)");
        table.advisory = id.to_string();
        Some(table.with_builtin_catalog())
    }

    /// The table rows for the CU `build` is on: one, or one per group of
    /// CVEs fixed by different updates (ProxyShell).
    pub fn rows_for(&self, build: &Build) -> Vec<&CuFix> {
        let key = CuKey::of(build);
        self.rows.iter().filter(|r| r.key() == key).collect()
    }

    /// The catalog's CU/SP (product, name) `build` is on, from `cus`.
    pub fn release_cu(&self, build: &Build) -> Option<(Product, &str)> {
        // Searching from the newest, so 2016 RTM wins over the Preview that shares its build.
        let key = CuKey::of(build);
        self.cus.iter().rev().find(|(b, ..)| CuKey::of(b) == key).map(|(_, p, n)| (*p, n.as_str()))
    }

    /// The table with the CUs of the release catalog `releases` (`release_cu`).
    pub fn with_catalog(mut self, releases: &[crate::catalog::Release]) -> Table {
        let cus = releases.iter().filter(|r| r.update.is_empty()).map(|r| (r.build, r.product, r.cu.clone()));
        self.cus = std::sync::Arc::new(cus.collect());
        self
    }

    /// Whether the advisory covers this product at all.
    pub fn covers(&self, product: Product) -> bool {
        self.rows.iter().any(|r| r.product == product)
    }

    /// Every row of one product, oldest first.
    pub fn product_rows(&self, product: Product) -> impl Iterator<Item = &CuFix> {
        self.rows.iter().filter(move |r| r.product == product)
    }
}

fn parse_rows(text: &str) -> Result<Vec<CuFix>> {
    let mut rows: Vec<CuFix> = Vec::new();
    for (i, raw) in csv_reader(text).deserialize::<RawRow>().enumerate() {
        let at = || format!("table row {}", i + 1);
        let raw = raw.with_context(at)?;
        let row = parse_row(raw).with_context(at)?;
        if let Some(prev) = rows.last() {
            if prev.key() == row.key() {
                // Several rows for one CU: one per group of CVEs, each CVE once.
                let same_cu = (prev.product, &prev.cu, prev.cu_build) == (row.product, &row.cu, row.cu_build);
                ensure!(same_cu, "{}: a second row for the CU of {} names another CU", at(), row.cu_build);
                let taken = rows.iter().filter(|r| r.key() == row.key()).flat_map(|r| &r.cves);
                let repeated: Vec<&String> = taken.filter(|c| row.cves.contains(c)).collect();
                ensure!(
                    repeated.is_empty(),
                    "{}: a second row for the CU of {} repeats {:?}",
                    at(),
                    row.cu_build,
                    repeated
                );
            } else {
                ensure!(prev.cu_build < row.cu_build, "{}: not sorted by cu_build after {}", at(), prev.cu_build);
            }
        }
        rows.push(row);
    }
    ensure!(!rows.is_empty(), "the table has no rows");
    Ok(rows)
}

fn parse_row(raw: RawRow) -> Result<CuFix> {
    let product = Product::from_code(&raw.product).with_context(|| format!("unknown product {:?}", raw.product))?;
    let cu_build = parse_build(&raw.cu_build, "cu_build")?;
    ensure!(cu_build.precision() == Precision::Full, "cu_build {cu_build} needs all four parts");
    check_line(product, &raw.cu, &cu_build)?;
    let same_cu = |b: Build, what: &str| -> Result<Build> {
        ensure!(CuKey::of(&b) == CuKey::of(&cu_build), "{what} {b} is not on the CU of {cu_build}");
        ensure!(b.precision() == Precision::Full && b > cu_build, "{what} {b} must be a full build above {cu_build}");
        Ok(b)
    };
    let fix = match raw.fix.as_str() {
        "included" => Fix::Included,
        "none" => Fix::None,
        other => Fix::Build(same_cu(parse_build(other, "fix")?, "fix")?),
    };
    let alt_fix = match raw.alt_fix.as_str() {
        "" => None,
        text => {
            let alt = same_cu(parse_build(text, "alt_fix")?, "alt_fix")?;
            let Fix::Build(fixed) = fix else { bail!("alt_fix needs a fix build") };
            ensure!(alt < fixed, "alt_fix {alt} must be below fix {fixed}");
            Some(alt)
        }
    };
    let cves: Vec<String> = raw.cves.split(';').map(|c| c.trim().to_string()).collect();
    for cve in &cves {
        ensure!(is_cve_id(cve), "{cve:?} is not a CVE id");
    }
    ensure!(!raw.source.trim().is_empty(), "every row needs a source");
    let esu_only = match raw.esu_only.trim() {
        "" => false,
        "yes" => true,
        other => bail!("esu_only is 'yes' or empty, not {other:?}"),
    };
    ensure!(!esu_only || matches!(fix, Fix::Build(_)), "esu_only needs a fix build");
    Ok(CuFix { product, cu: raw.cu, cu_build, fix, alt_fix, kb: raw.kb, cves, source: raw.source, esu_only })
}

/// Whether `text` is a CVE id (`CVE-YYYY-NNNN…`).
pub fn is_cve_id(text: &str) -> bool {
    let mut parts = text.split('-');
    let digits =
        |p: Option<&str>, min: usize| p.is_some_and(|p| p.len() >= min && p.bytes().all(|b| b.is_ascii_digit()));
    parts.next() == Some("CVE") && digits(parts.next(), 4) && digits(parts.next(), 4) && parts.next().is_none()
}

#[cfg(test)]
mod tests;
