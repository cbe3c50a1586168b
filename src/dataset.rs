//! The data set judging works with: the release catalog, the product
//! lifecycle, the update list, the advisory tables, every Exchange CVE of
//! MSRC's month documents (`msrc-cves.csv`), both catalog sources'
//! builds (`catalog-sources.csv`) and the cited overrides, parsed and
//! validated together (`DataSet::from_files`). The built-in one is the
//! `data/` files compiled in (`DataSet::builtin`); every judge is handed a
//! `DataSet`, never a global. Rows the overrides mark unconfirmed (no
//! primary source) are kept out of judging here, once.

use crate::build::{Build, Product};
use crate::catalog::{Release, release_date};
use crate::open_cves::Update;
use crate::table::Table;
use anyhow::{Context, Result, bail, ensure};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

/// The data set's schema version (semver): a binary reads any data of its major version and
/// refuses a newer major ("update exchange-exposure to read this data").
pub const SCHEMA_VERSION: &str = "1.0.0";

/// The derived files of one data set, by file name (flat names such as "exchange-releases.csv"),
/// as data/ holds the built-in ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files(pub BTreeMap<String, Vec<u8>>);

/// The cited hand corrections (`data/overrides.csv`), as compiled in.
pub const BUILTIN_OVERRIDES: &str = include_str!("../data/overrides.csv");

/// The curated files, compiled in: what `msdata::derive` carries into every data set.
const CURATED: &[(&str, &[u8])] = &[
    ("exchange-releases.csv", include_bytes!("../data/exchange-releases.csv")),
    ("lifecycle.csv", include_bytes!("../data/lifecycle.csv")),
    ("update-cves.csv", include_bytes!("../data/update-cves.csv")),
    ("overrides.csv", include_bytes!("../data/overrides.csv")),
    ("proxylogon-2021-03.csv", include_bytes!("../data/proxylogon-2021-03.csv")),
    ("proxyshell-2021.csv", include_bytes!("../data/proxyshell-2021.csv")),
    ("proxynotshell-2022.csv", include_bytes!("../data/proxynotshell-2022.csv")),
    ("owassrf-2022.csv", include_bytes!("../data/owassrf-2022.csv")),
    ("cve-2024-21410.csv", include_bytes!("../data/cve-2024-21410.csv")),
    ("cve-2025-53786.csv", include_bytes!("../data/cve-2025-53786.csv")),
    ("cve-2026-42897.csv", include_bytes!("../data/cve-2026-42897.csv")),
];

/// The derived files, compiled in (`msdata::derive`'s output from `data/sources/`).
const DERIVED: &[(&str, &[u8])] = &[
    ("msrc-cves.csv", include_bytes!("../data/msrc-cves.csv")),
    ("catalog-sources.csv", include_bytes!("../data/catalog-sources.csv")),
];

/// The curated files alone (release catalog, lifecycle, update list, tables, overrides).
pub fn curated_files() -> Files {
    Files(CURATED.iter().map(|(n, b)| (n.to_string(), b.to_vec())).collect())
}

/// The named advisories and their table files: `--advisory NAME`.
pub const ADVISORY_FILES: &[(&str, &str)] = &[
    ("proxylogon", "proxylogon-2021-03.csv"),
    ("proxyshell", "proxyshell-2021.csv"),
    ("proxynotshell", "proxynotshell-2022.csv"),
    ("owassrf", "owassrf-2022.csv"),
    ("cve-2024-21410", "cve-2024-21410.csv"),
    ("cve-2025-53786", "cve-2025-53786.csv"),
    ("cve-2026-42897", "cve-2026-42897.csv"),
];

/// A month id (`2021-Mar`) as (year, month) for sorting; `None` for anything else.
pub fn month_key(id: &str) -> Option<(u16, u8)> {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (year, month) = id.split_once('-')?;
    let year: u16 = year.parse().ok().filter(|y| (2000..3000).contains(y))?;
    Some((year, MONTHS.iter().position(|m| *m == month)? as u8 + 1))
}

/// One (CVE, product, CU) as `msrc-cves.csv` holds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CveFix {
    /// The CVE id.
    pub cve: String,
    /// The CVRF month that lists it (`2021-Mar`).
    pub month: String,
    /// The vulnerability's title.
    pub title: String,
    /// MSRC's severity for the product.
    pub severity: String,
    /// CVSS base score, as written.
    pub cvss: String,
    /// `yes` when Microsoft marked it exploited ("Exploitation Detected").
    pub exploited: String,
    /// Product code (`2016`, `SE`).
    pub product: String,
    /// CU / SP / RTM.
    pub cu: String,
    /// The Vendor Fix's KB.
    pub kb: String,
    /// The fixed build (four plain parts), or empty where no source gives it.
    pub fixed_build: String,
    /// Where `fixed_build` comes from: `cvrf`, `build-list` (by KB), `learn` (by KB), or empty.
    pub fixed_from: String,
    /// The KB it supersedes.
    pub supersedence: String,
}

/// One (product, CU, update) as the two catalog sources list it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CatalogPair {
    /// Product code.
    pub product: String,
    /// CU / SP / RTM / Preview.
    pub cu: String,
    /// The update (`Mar21SU`, `RU32`); empty for the CU itself.
    pub update: String,
    /// The build Microsoft's build list gives, or empty.
    pub build_list: String,
    /// The build the Learn page gives, or empty.
    pub learn: String,
    /// The release date (the build list's, else the Learn page's).
    pub date: String,
    /// The KB (the build list's, else the Learn page's).
    pub kb: String,
    /// `yes` when both give a build and the builds differ.
    pub disagree: String,
}

/// One product's lifecycle row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    /// The product line.
    pub product: Product,
    /// When support ended; `None` while supported (Exchange SE, Modern Lifecycle Policy).
    pub end_of_support: Option<jiff::civil::Date>,
    /// When paid Extended Security Updates end (`YYYY-MM` or `YYYY-MM-DD`), where there are any.
    pub esu_end: Option<String>,
    /// Where to move.
    pub move_to: String,
    /// Where the row's facts come from.
    pub source: String,
}

/// The hand corrections: updates and CVEs no primary source confirms, kept out of judging.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Update names (`Oct26SU`): their catalog rows and update-list rows are not judged.
    pub unconfirmed_updates: Vec<String>,
    /// CVE ids not judged.
    pub unconfirmed_cves: Vec<String>,
}

impl Overrides {
    /// Parses `overrides.csv` (`kind,id,action,source`; kinds `update` and `cve`, action `unconfirmed`).
    pub fn parse(text: &str) -> Result<Overrides> {
        let mut out = Overrides::default();
        for (i, rec) in crate::catalog::csv_reader(text).records().enumerate() {
            let at = || format!("overrides.csv row {}", i + 1);
            let rec = rec.with_context(at)?;
            let cell = |n: usize| rec.get(n).unwrap_or("").trim().to_string();
            ensure!(cell(2) == "unconfirmed", "{}: unknown action {:?}", at(), cell(2));
            ensure!(!cell(3).is_empty(), "{}: every override needs a source", at());
            match cell(0).as_str() {
                "update" => out.unconfirmed_updates.push(cell(1)),
                "cve" => {
                    ensure!(crate::table::is_cve_id(&cell(1)), "{}: {:?} is not a CVE id", at(), cell(1));
                    out.unconfirmed_cves.push(cell(1))
                }
                other => bail!("{}: unknown kind {other:?}", at()),
            }
        }
        Ok(out)
    }

    /// Whether the CVE is kept out of judging.
    pub fn unconfirmed_cve(&self, cve: &str) -> bool {
        self.unconfirmed_cves.iter().any(|c| c == cve)
    }

    /// Whether the update is kept out of judging.
    pub fn unconfirmed_update(&self, update: &str) -> bool {
        self.unconfirmed_updates.iter().any(|u| u == update)
    }
}

/// Everything judging needs, parsed and validated.
pub struct DataSet {
    /// The release catalog, sorted by build, unconfirmed releases left out.
    pub releases: Vec<Release>,
    /// The product lifecycle.
    pub lifecycle: Vec<Lifecycle>,
    /// Every security or hotfix update with its CVEs, unconfirmed ones left out.
    pub updates: Vec<Update>,
    /// The named advisories' tables, in `ADVISORY_FILES` order.
    pub tables: Vec<Table>,
    /// Every Exchange CVE of MSRC's month documents, per product and CU.
    pub cves: Vec<CveFix>,
    /// Every build the two catalog sources list.
    pub catalog_sources: Vec<CatalogPair>,
    /// The hand corrections applied.
    pub overrides: Overrides,
    /// Open CVEs per build, remembered (a fleet runs few distinct builds).
    pub(crate) open_seen: Mutex<HashMap<(Build, String), Option<crate::open_cves::OpenCves>>>,
}

impl std::fmt::Debug for DataSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataSet").field("releases", &self.releases.len()).field("cves", &self.cves.len()).finish()
    }
}

fn text<'a>(files: &'a Files, name: &str) -> Result<&'a str> {
    let bytes = files.0.get(name).with_context(|| format!("the data set has no {name}"))?;
    std::str::from_utf8(bytes).with_context(|| format!("{name} is not UTF-8"))
}

impl DataSet {
    /// The compiled-in data set (parsed once).
    pub fn builtin() -> Arc<DataSet> {
        static PARSED: OnceLock<Arc<DataSet>> = OnceLock::new();
        PARSED
            .get_or_init(|| {
                Arc::new(
                    DataSet::from_files(&DataSet::builtin_files())
                        .expect("the built-in data passes its own validation (tested)"),
                )
            })
            .clone()
    }

    /// The compiled-in files, byte for byte.
    pub fn builtin_files() -> Files {
        let mut files = curated_files();
        files.0.extend(DERIVED.iter().map(|(n, b)| (n.to_string(), b.to_vec())));
        files
    }

    /// Parses and validates a data set; the error names the file and record.
    pub fn from_files(files: &Files) -> Result<DataSet> {
        let overrides = Overrides::parse(text(files, "overrides.csv")?).context("overrides.csv")?;
        let mut releases =
            crate::catalog::parse(text(files, "exchange-releases.csv")?).context("exchange-releases.csv")?;
        releases.retain(|r| !overrides.unconfirmed_update(&r.update));
        let lifecycle = parse_lifecycle(text(files, "lifecycle.csv")?).context("lifecycle.csv")?;
        let mut updates =
            crate::open_cves::parse_with(text(files, "update-cves.csv")?, &releases).context("update-cves.csv")?;
        updates.retain(|u| !overrides.unconfirmed_update(&u.name));
        for u in &mut updates {
            u.cves.retain(|c| !overrides.unconfirmed_cve(c));
            u.limits.retain(|(c, _)| !overrides.unconfirmed_cve(c));
        }
        let mut tables = Vec::new();
        for (id, file) in ADVISORY_FILES {
            let mut table = Table::parse(text(files, file)?).with_context(|| file.to_string())?;
            table.advisory = id.to_string();
            tables.push(table.with_catalog(&releases));
        }
        let cves: Vec<CveFix> = read_rows(text(files, "msrc-cves.csv")?, "msrc-cves.csv")?;
        for (i, c) in cves.iter().enumerate() {
            let at = || format!("msrc-cves.csv row {}", i + 1);
            ensure!(crate::table::is_cve_id(&c.cve), "{}: {:?} is not a CVE id", at(), c.cve);
            ensure!(Product::from_code(&c.product).is_some(), "{}: unknown product {:?}", at(), c.product);
            ensure!(month_key(&c.month).is_some(), "{}: month {:?}", at(), c.month);
            if !c.fixed_build.is_empty() {
                Build::parse(&c.fixed_build).with_context(at)?;
            }
        }
        let catalog_sources: Vec<CatalogPair> = read_rows(text(files, "catalog-sources.csv")?, "catalog-sources.csv")?;
        for (i, p) in catalog_sources.iter().enumerate() {
            for b in [&p.build_list, &p.learn].into_iter().filter(|b| !b.is_empty()) {
                Build::parse(b).with_context(|| format!("catalog-sources.csv row {}", i + 1))?;
            }
        }
        Ok(DataSet {
            releases,
            lifecycle,
            updates,
            tables,
            cves,
            catalog_sources,
            overrides,
            open_seen: Mutex::default(),
        })
    }

    /// A named advisory's table (`proxylogon`, …).
    pub fn table(&self, advisory: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.advisory == advisory)
    }

    /// The newest release it knows: (name e.g. "Sep26SUv2", build text, date YYYY-MM-DD).
    pub fn newest_release(&self) -> Option<(String, String, String)> {
        let r = crate::catalog::newest_release(&self.releases)?;
        let name = if r.update.is_empty() { r.cu.clone() } else { r.update.clone() };
        Some((name, r.build.to_string(), r.date.clone()))
    }

    /// The newest CVE it knows: (CVE id, date YYYY-MM-DD it was published/fixed).
    pub fn newest_cve(&self) -> Option<(String, String)> {
        let dated = self.updates.iter().filter_map(|u| {
            let (y, m, d) = release_date(&u.date)?;
            Some(((y, m, d.unwrap_or(1)), u))
        });
        let (_, update) = dated.max_by_key(|(k, _)| *k)?;
        let cve = update.cves.iter().max_by_key(|c| crate::open_cves::cve_order(c))?;
        Some((cve.clone(), update.date.clone()))
    }

    /// The newest release's date (`2026-10-02`), empty when there is none.
    pub fn catalog_date(&self) -> String {
        crate::catalog::newest_release(&self.releases).map(|r| r.date.clone()).unwrap_or_default()
    }

    /// The newest release's date as a civil date (a month-only date counts from its first day).
    pub fn catalog_civil_date(&self) -> Option<jiff::civil::Date> {
        let (y, m, d) = release_date(&self.catalog_date())?;
        jiff::civil::Date::new(y as i16, m as i8, d.unwrap_or(1) as i8).ok()
    }

    /// The product's lifecycle row.
    pub fn lifecycle_of(&self, product: Product) -> Option<&Lifecycle> {
        self.lifecycle.iter().find(|l| l.product == product)
    }

    /// The day `product`'s support ended (`None`: still supported, as SE).
    pub fn support_end(&self, product: Product) -> Option<jiff::civil::Date> {
        self.lifecycle_of(product).and_then(|l| l.end_of_support)
    }

    /// Whether `product` was still supported on `day`, as the report's `support` cell.
    pub fn support(&self, product: Product, day: jiff::civil::Date) -> String {
        support_text(self.lifecycle_of(product), day)
    }

    /// The catalog's CU/SP release (not an update) that `build` is on.
    pub fn release_cu(&self, build: &Build) -> Option<&Release> {
        let key = crate::build::CuKey::of(build);
        self.releases.iter().rev().find(|r| r.update.is_empty() && crate::build::CuKey::of(&r.build) == key)
    }

    /// What `open_cves::of` needs.
    pub fn facts(&self) -> crate::open_cves::Facts<'_> {
        let unassessed_after = self
            .lifecycle
            .iter()
            .filter_map(|l| {
                let end = l.end_of_support?;
                let esu = l.esu_end.as_deref().and_then(release_date).and_then(|(y, m, d)| {
                    let first = jiff::civil::Date::new(y as i16, m as i8, d.unwrap_or(1) as i8).ok()?;
                    Some(if d.is_some() { first } else { first.last_of_month() })
                });
                Some((l.product, esu.unwrap_or(end).max(end)))
            })
            .collect();
        crate::open_cves::Facts {
            releases: &self.releases,
            updates: &self.updates,
            tables: &self.tables,
            unassessed_after,
        }
    }

    /// The CVEs `build` lacks (`open_cves::of`) with `tables` in use,
    /// remembered per build and table set: a fleet runs few distinct builds.
    pub fn open_cves(&self, build: &Build, tables: &[Table]) -> Option<crate::open_cves::OpenCves> {
        let key = (*build, crate::table::ids(tables));
        if let Some(known) = self.open_seen.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return known;
        }
        let open = crate::open_cves::of(build, &self.facts(), tables);
        if let Ok(mut m) = self.open_seen.lock() {
            m.insert(key, open.clone());
        }
        open
    }

    /// The summary's line about the release catalog's age on `day`, with a
    /// warning when the catalog is more than `CATALOG_STALE_DAYS` older.
    pub fn catalog_note(&self, day: jiff::civil::Date) -> String {
        let newest = self.catalog_date();
        let line = format!("release catalog: newest release {newest}");
        let Some(date) = self.catalog_civil_date() else { return line };
        let days = (day - date).get_days();
        if days > crate::catalog::staleness::CATALOG_STALE_DAYS {
            format!(
                "{line}, {days} days before this run: WARNING builds newer than the catalog may be misjudged as \"newer than every known update\" (sus_behind empty) and their open CVEs undercounted; use a newer release of the tool"
            )
        } else {
            line
        }
    }

    /// Every record of MSRC's data for one CVE (one per product and CU).
    pub fn cve_facts(&self, cve: &str) -> impl Iterator<Item = &CveFix> {
        self.cves.iter().filter(move |c| c.cve == cve)
    }

    /// MSRC's severity of `cve` for `product` (any product's when that one has none).
    pub fn severity_of(&self, cve: &str, product: Option<Product>) -> Option<&str> {
        let code = product.map(|p| p.code());
        let mut facts = self.cve_facts(cve).filter(|c| !c.severity.is_empty());
        let all: Vec<&CveFix> = facts.by_ref().collect();
        all.iter().find(|c| Some(c.product.as_str()) == code).or(all.first()).map(|c| c.severity.as_str())
    }

    /// Whether Microsoft marked `cve` "Exploitation Detected".
    pub fn exploited(&self, cve: &str) -> bool {
        self.cve_facts(cve).any(|c| c.exploited == "yes")
    }
}

/// `--fail-on-open LEVEL`: which open CVEs make the exit status 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OpenLevel {
    /// An open CVE Microsoft rates Critical.
    Critical,
    /// An open CVE rated Important or Critical.
    Important,
    /// Any open CVE.
    Any,
    /// An open CVE Microsoft marked "Exploitation Detected".
    Exploited,
}

impl OpenLevel {
    /// Every level, by its word.
    pub const ALL: [(&'static str, OpenLevel); 4] = [
        ("critical", OpenLevel::Critical),
        ("important", OpenLevel::Important),
        ("any", OpenLevel::Any),
        ("exploited", OpenLevel::Exploited),
    ];
}

/// The report's `support` cell for a product with this lifecycle row on `day`
/// (no row: `supported`).
pub fn support_text(lifecycle: Option<&Lifecycle>, day: jiff::civil::Date) -> String {
    let Some(l) = lifecycle else { return "supported".into() };
    let Some(end) = l.end_of_support else { return "supported".into() };
    if day <= end {
        return format!("supported until {end}");
    }
    match &l.esu_end {
        Some(esu) if esu_running(esu, day) => {
            format!("ended {end} (paid Extended Security Updates until {esu}): move to {}", l.move_to)
        }
        _ => format!("ended {end}: move to {}", l.move_to),
    }
}

/// Whether ESU still ran on `day` (an end given as a month runs to its last day).
fn esu_running(esu: &str, day: jiff::civil::Date) -> bool {
    match release_date(esu) {
        Some((y, m, Some(d))) => jiff::civil::Date::new(y as i16, m as i8, d as i8).is_ok_and(|end| day <= end),
        Some((y, m, None)) => (day.year() as u16, day.month() as u8) <= (y, m),
        None => false,
    }
}

fn read_rows<T: serde::de::DeserializeOwned>(text: &str, name: &str) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for (i, row) in crate::catalog::csv_reader(text).deserialize::<T>().enumerate() {
        out.push(row.with_context(|| format!("{name} row {}", i + 1))?);
    }
    Ok(out)
}

fn parse_lifecycle(text: &str) -> Result<Vec<Lifecycle>> {
    let mut out: Vec<Lifecycle> = Vec::new();
    for (i, rec) in crate::catalog::csv_reader(text).records().enumerate() {
        let at = || format!("lifecycle row {}", i + 1);
        let rec = rec.with_context(at)?;
        let cell = |n: usize| rec.get(n).unwrap_or("").trim().to_string();
        let product =
            Product::from_code(&cell(0)).with_context(|| format!("{}: unknown product {:?}", at(), cell(0)))?;
        let end_of_support = match cell(1).as_str() {
            "" => None,
            day => Some(day.parse().with_context(|| format!("{}: end_of_support {day:?}", at()))?),
        };
        let esu_end = match cell(4).as_str() {
            "" => None,
            esu => {
                ensure!(release_date(esu).is_some(), "{}: esu_end {esu:?} is neither YYYY-MM-DD nor YYYY-MM", at());
                Some(esu.to_string())
            }
        };
        ensure!(!cell(3).is_empty(), "{}: every row needs a source", at());
        ensure!(!out.iter().any(|l| l.product == product), "{}: {product} twice", at());
        out.push(Lifecycle { product, end_of_support, esu_end, move_to: cell(2), source: cell(3) });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod open_cves_tests;
