//! The fixed-build table (one row per CU/SP of every affected product line)
//! and the release catalog (every Exchange release the tool knows), both data
//! files compiled into the binary, validated on load, and looked up by CU.
//!
//! Sources: every advisory table in `data/` names each row's source.
//! `data/exchange-releases.csv` (the catalog) has the releases to April 2022
//! from Microsoft's "Exchange Server build numbers and release dates" page
//! (April 2022 revision, its 2010 SP2 RU5 typo corrected), and every release
//! from March 2018 to November 2026 from
//! `reference/exchange-releases-2018-2026.csv`, each row citing Microsoft's
//! own lists (microsoft/Get-ExchangeBuildNumber, CSS-Exchange HealthChecker)
//! or MSRC-authored CVE records; the file's header says what was left out.

use crate::build::{Build, Precision};
use anyhow::{Context, Result, bail, ensure};
use std::fmt;
use std::path::Path;

const BUILTIN_TABLE: &str = include_str!("../data/proxylogon-2021-03.csv");

/// Every advisory the tool knows: its id for `--advisory`, and its table.
/// The first is the default.
pub const ADVISORIES: [(&str, &str); 7] = [
    ("proxylogon", BUILTIN_TABLE),
    ("proxyshell", include_str!("../data/proxyshell-2021.csv")),
    ("proxynotshell", include_str!("../data/proxynotshell-2022.csv")),
    ("owassrf", include_str!("../data/owassrf-2022.csv")),
    ("cve-2024-21410", include_str!("../data/cve-2024-21410.csv")),
    ("cve-2025-53786", include_str!("../data/cve-2025-53786.csv")),
    ("cve-2026-42897", include_str!("../data/cve-2026-42897.csv")),
];
const BUILTIN_RELEASES: &str = include_str!("../data/exchange-releases.csv");

/// An Exchange product line, as far as build numbers tell it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Product {
    Ex2007,
    Ex2010,
    Ex2013,
    Ex2016,
    Ex2019,
    Se,
}

/// First build of the 15.2 line that is Exchange SE rather than 2019.
const SE_FIRST_BUILD: u32 = 2562;

impl Product {
    /// The short name used in data files: `2010`, `SE`.
    pub fn code(self) -> &'static str {
        match self {
            Product::Ex2007 => "2007",
            Product::Ex2010 => "2010",
            Product::Ex2013 => "2013",
            Product::Ex2016 => "2016",
            Product::Ex2019 => "2019",
            Product::Se => "SE",
        }
    }

    pub fn from_code(code: &str) -> Option<Product> {
        [Product::Ex2007, Product::Ex2010, Product::Ex2013, Product::Ex2016, Product::Ex2019, Product::Se]
            .into_iter()
            .find(|p| p.code() == code)
    }

    /// The product a build number belongs to, if it is an on-premises line.
    pub fn of(build: &Build) -> Option<Product> {
        match (build.major, build.minor) {
            (8, _) => Some(Product::Ex2007),
            (14, _) => Some(Product::Ex2010),
            (15, 0) => Some(Product::Ex2013),
            (15, 1) => Some(Product::Ex2016),
            (15, 2) if build.build >= SE_FIRST_BUILD => Some(Product::Se),
            (15, 2) => Some(Product::Ex2019),
            _ => None,
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Exchange {}", self.code())
    }
}

/// What identifies a CU or service pack in a build: on 2013 and later the
/// first three parts; on 2010 and 2007 `major.minor` (the service pack), the
/// third part being the update rollup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CuKey(u32, u32, Option<u32>);

impl CuKey {
    pub fn of(build: &Build) -> CuKey {
        if build.major >= 15 {
            CuKey(build.major, build.minor, Some(build.build))
        } else {
            CuKey(build.major, build.minor, None)
        }
    }
}

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

/// One CU/SP of an affected product line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub product: Product,
    pub cu: String,
    pub cu_build: Build,
    pub fix: Fix,
    /// A lower fixed build that another source gives; builds from here up to
    /// `fix` are ambiguous.
    pub alt_fix: Option<Build>,
    pub kb: String,
    pub cves: Vec<String>,
    pub source: String,
    /// The fix build is offered only to paying Extended Security Update
    /// customers (`esu_only` column `yes`).
    pub esu_only: bool,
}

impl Row {
    pub fn key(&self) -> CuKey {
        CuKey::of(&self.cu_build)
    }
}

/// What kind of release a catalog row is (its `kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReleaseKind {
    /// A CU, service pack, RTM or preview: the base of its line's builds.
    Base,
    /// An update rollup (2007, 2010).
    Rollup,
    /// A security update offered to everyone.
    Su,
    /// A security update offered only to paying Extended Security Update customers.
    SuEsu,
    /// A hotfix update with no security fix.
    Hu,
    /// A hotfix update that carries a security fix (Apr25HU).
    HuSecurity,
    /// A v2 (or v3) of an update that adds no fix of its own.
    Rerelease,
    /// A rollup Microsoft recalled.
    Recalled,
}

impl ReleaseKind {
    /// The `kind` column's word.
    pub fn code(self) -> &'static str {
        match self {
            ReleaseKind::Base => "base",
            ReleaseKind::Rollup => "rollup",
            ReleaseKind::Su => "su",
            ReleaseKind::SuEsu => "su-esu",
            ReleaseKind::Hu => "hu",
            ReleaseKind::HuSecurity => "hu-security",
            ReleaseKind::Rerelease => "rerelease",
            ReleaseKind::Recalled => "recalled",
        }
    }

    const ALL: [ReleaseKind; 8] = [
        ReleaseKind::Base,
        ReleaseKind::Rollup,
        ReleaseKind::Su,
        ReleaseKind::SuEsu,
        ReleaseKind::Hu,
        ReleaseKind::HuSecurity,
        ReleaseKind::Rerelease,
        ReleaseKind::Recalled,
    ];

    fn parse(text: &str) -> Option<ReleaseKind> {
        ReleaseKind::ALL.into_iter().find(|k| k.code() == text)
    }

    /// Whether `sus_behind` counts it: rollups, public security updates and
    /// hotfix updates with a security fix (ESU-only ones are counted apart).
    pub fn counts_publicly(self) -> bool {
        matches!(self, ReleaseKind::Rollup | ReleaseKind::Su | ReleaseKind::HuSecurity)
    }
}

/// One Exchange release (a CU, SP, RTM, security update or update rollup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub product: Product,
    pub cu: String,
    /// Empty for the CU/SP itself; `Mar21SU`, `RU32`, … for updates.
    pub update: String,
    pub build: Build,
    /// `YYYY-MM-DD`, or `YYYY-MM` where the source gives only the month.
    pub date: String,
    pub kb: String,
    pub source: String,
    pub kind: ReleaseKind,
}

/// A release date as `(year, month, day)`; `day` is `None` for a date known
/// only to the month. Anything else is `None`.
pub fn release_date(text: &str) -> Option<(u16, u8, Option<u8>)> {
    fn num(p: Option<&str>, len: usize) -> Option<&str> {
        p.filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
    }
    let mut parts = text.split('-');
    let year: u16 = num(parts.next(), 4)?.parse().ok()?;
    let month: u8 = num(parts.next(), 2)?.parse().ok().filter(|m| (1..=12).contains(m))?;
    let day = match parts.next() {
        None => None,
        Some(d) => {
            let day: u8 = num(Some(d), 2)?.parse().ok()?;
            jiff::civil::Date::new(year as i16, month as i8, day as i8).ok()?;
            Some(day)
        }
    };
    if parts.next().is_some() {
        return None;
    }
    Some((year, month, day))
}

/// The newest release in the catalog: how old the tool's knowledge is.
pub fn newest_release(releases: &[Release]) -> Option<&Release> {
    releases.iter().max_by_key(|r| release_date(&r.date).map(|(y, m, d)| (y, m, d.unwrap_or(0))))
}

/// The built-in release catalog, parsed once.
pub fn builtin_releases() -> &'static [Release] {
    static PARSED: std::sync::OnceLock<Vec<Release>> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| {
        parse_releases(BUILTIN_RELEASES).expect("the built-in catalog passes its own validation (tested)")
    })
}

/// The built-in catalog's newest release date, e.g. `2026-11-10`.
pub fn catalog_date() -> String {
    newest_release(builtin_releases()).map(|r| r.date.clone()).unwrap_or_default()
}

/// The built-in catalog's newest release as a civil date (a month-only date
/// counts from its first day).
pub fn catalog_civil_date() -> Option<jiff::civil::Date> {
    let (y, m, d) = release_date(&catalog_date())?;
    jiff::civil::Date::new(y as i16, m as i8, d.unwrap_or(1) as i8).ok()
}

/// The fixed-build table in use, with the release catalog beside it.
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
    pub rows: Vec<Row>,
    pub releases: Vec<Release>,
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

#[derive(serde::Deserialize)]
struct RawRelease {
    product: String,
    cu: String,
    update: String,
    build: String,
    date: String,
    kb: String,
    source: String,
    kind: String,
}

impl Table {
    /// The table compiled into the binary.
    pub fn builtin() -> Table {
        Table::parse(BUILTIN_TABLE).expect("the built-in table passes its own validation (tested)")
    }

    /// Loads another table file (`--table FILE`), with the same validation.
    pub fn load(path: &Path) -> Result<Table> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read table {}", path.display()))?;
        Table::parse(&text).with_context(|| format!("table {} is not valid", path.display()))
    }

    /// Parses and validates a table file against the built-in release catalog.
    pub fn parse(text: &str) -> Result<Table> {
        let releases = builtin_releases().to_vec();
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
        Ok(Table { advisory, name: name.to_string(), update, config, id, rows, releases })
    }

    /// A built-in advisory's table by id (`proxylogon`, `owassrf`, `cve-2024-21410`, …: see `ADVISORIES`).
    pub fn advisory(id: &str) -> Option<Table> {
        let (_, text) = ADVISORIES.iter().find(|(name, _)| *name == id)?;
        let mut table = Table::parse(text).expect("built-in tables pass their own validation (tested)");
        table.advisory = id.to_string();
        Some(table)
    }

    /// The table rows for the CU `build` is on: one, or one per group of
    /// CVEs fixed by different updates (ProxyShell).
    pub fn rows_for(&self, build: &Build) -> Vec<&Row> {
        let key = CuKey::of(build);
        self.rows.iter().filter(|r| r.key() == key).collect()
    }

    /// Whether the advisory covers this product at all.
    pub fn covers(&self, product: Product) -> bool {
        self.rows.iter().any(|r| r.product == product)
    }

    /// Every row of one product, oldest first.
    pub fn product_rows(&self, product: Product) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(move |r| r.product == product)
    }

    /// The catalog's CU/SP release (not an update) that `build` is on.
    pub fn release_cu(&self, build: &Build) -> Option<&Release> {
        // Searching from the newest, so 2016 RTM wins over the Preview that shares its build.
        let key = CuKey::of(build);
        self.releases.iter().rev().find(|r| r.update.is_empty() && CuKey::of(&r.build) == key)
    }
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(text.as_bytes())
}

fn parse_build(text: &str, what: &str) -> Result<Build> {
    Build::parse(text).with_context(|| format!("column {what}"))
}

fn parse_rows(text: &str) -> Result<Vec<Row>> {
    let mut rows: Vec<Row> = Vec::new();
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

fn parse_row(raw: RawRow) -> Result<Row> {
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
    Ok(Row { product, cu: raw.cu, cu_build, fix, alt_fix, kb: raw.kb, cves, source: raw.source, esu_only })
}

/// Whether `text` is a CVE id (`CVE-YYYY-NNNN…`).
pub fn is_cve_id(text: &str) -> bool {
    let mut parts = text.split('-');
    let digits =
        |p: Option<&str>, min: usize| p.is_some_and(|p| p.len() >= min && p.bytes().all(|b| b.is_ascii_digit()));
    parts.next() == Some("CVE") && digits(parts.next(), 4) && digits(parts.next(), 4) && parts.next().is_none()
}

/// A build must sit on its product's line; on 2007 and 2010 the minor number
/// is the service pack. This is what catches Microsoft's `14.3.328.5` for
/// 2010 SP2 RU5.
fn check_line(product: Product, cu: &str, build: &Build) -> Result<()> {
    ensure!(Product::of(build) == Some(product), "{build} is not on the {product} line ({cu})");
    if matches!(product, Product::Ex2007 | Product::Ex2010) {
        let sp = match cu {
            "RTM" => 0,
            sp => sp
                .strip_prefix("SP")
                .and_then(|n| n.parse().ok())
                .with_context(|| format!("{product} has no {cu:?}"))?,
        };
        ensure!(build.minor == sp, "{build} is not on {product} {cu}: its minor number should be {sp}");
    }
    Ok(())
}

fn parse_releases(text: &str) -> Result<Vec<Release>> {
    let mut out: Vec<Release> = Vec::new();
    for (i, raw) in csv_reader(text).deserialize::<RawRelease>().enumerate() {
        let at = || format!("release row {}", i + 1);
        let raw = raw.with_context(at)?;
        let product =
            Product::from_code(&raw.product).with_context(|| format!("{}: unknown product {:?}", at(), raw.product))?;
        let build = parse_build(&raw.build, "build").with_context(at)?;
        check_line(product, &raw.cu, &build).with_context(at)?;
        if let Some(prev) = out.last() {
            ensure!(prev.build < build, "{}: not sorted by build after {}", at(), prev.build);
        }
        ensure!(release_date(&raw.date).is_some(), "{}: date {:?} is neither YYYY-MM-DD nor YYYY-MM", at(), raw.date);
        ensure!(!raw.source.trim().is_empty(), "{}: every release needs a source", at());
        let kind = ReleaseKind::parse(&raw.kind).with_context(|| format!("{}: unknown kind {:?}", at(), raw.kind))?;
        check_kind(kind, &raw.update).with_context(at)?;
        out.push(Release {
            product,
            cu: raw.cu,
            update: raw.update,
            build,
            date: raw.date,
            kb: raw.kb,
            source: raw.source,
            kind,
        });
    }
    Ok(out)
}

/// A release's kind must fit its name: a base has no update name, a hotfix
/// update is `…HU`, a re-release is a `…v2`/`…v3`, a rollup `RU…`.
fn check_kind(kind: ReleaseKind, update: &str) -> Result<()> {
    let fits = match kind {
        ReleaseKind::Base => update.is_empty(),
        ReleaseKind::Rollup | ReleaseKind::Recalled => update.starts_with("RU"),
        ReleaseKind::Su | ReleaseKind::SuEsu => update.ends_with("SU") || update.ends_with("SUv2"),
        ReleaseKind::Hu | ReleaseKind::HuSecurity => update.ends_with("HU"),
        ReleaseKind::Rerelease => update.ends_with("v2") || update.ends_with("v3"),
    };
    ensure!(fits, "kind {} does not fit the update name {update:?}", kind.code());
    Ok(())
}

/// FNV-1a, 64 bits: a stable hash (the table id) that does not change
/// between runs, builds or machines. Shards hash with `shard::fnv1a`, the
/// same function, kept there so `table` imports only `build`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests;
