//! Every CVE a build still lacks the fix for (the report's `open_cves`):
//! each CVE fixed by a security update since March 2018
//! (`data/update-cves.csv`), judged with the same CU-first rules as the
//! advisory tables, and each advisory table's own CVEs judged by that table.
//!
//! The rules, for an update U, one of its CVEs, and a build on CU K:
//! 1. K got U (the catalog has U's build for K): the build lacks the fix
//!    below that build. A CU-only (3-part) build shows no update level, so it
//!    may lack it and is counted as lacking it.
//! 2. U is listed as shipped for K but the catalog has no build of it (the fix
//!    shipped inside the CU, e.g. Feb19SU): K lacks it if released before U.
//! 3. U shipped for other CUs of K's product: K includes it if it is newer
//!    than all of them, and never got it if older.
//! 4. U shipped for no CU of K's product: K includes it if released after U.
//!    Otherwise, if the product was out of support when U came out (Exchange
//!    2013 from April 2023; 2016 and 2019 after their last ESU update) or a
//!    limit names it, K never got it: Microsoft stopped assessing those
//!    lines, and a record that omits a line does not say it is unaffected.
//!    If the product was supported and got no package, U does not concern it.
//!
//! A CVE an update fixes only on some product lines (`cve_product_limits`)
//! does not apply to the others.

use crate::assess::judge;
use crate::build::{Build, CuKey, Precision, Product};
use crate::catalog::{Release, ReleaseKind, release_date};
use crate::table::Table;
use anyhow::{Context, Result, ensure};
use std::collections::BTreeSet;

/// What a build lacks: the CVEs Microsoft lists for its product that it has
/// no fix for (`open`), and those of updates shipped after its product was out
/// of support, which Microsoft no longer assessed it for (`unassessed`: likely
/// vulnerable, never listed as open). Each sorted by year and number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenCves {
    /// CVEs whose fix the build lacks, on a product Microsoft lists for them.
    pub open: Vec<String>,
    /// CVEs of updates released after the product's support (and ESU) ended.
    pub unassessed: Vec<String>,
}

/// How a CU stands against one update's CVE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stand {
    /// It has the fix.
    Has,
    /// It lacks the fix Microsoft shipped for its product.
    Lacks,
    /// The product was out of support when the update shipped: not assessed.
    Unassessed,
}

/// One security or hotfix update and the CVEs it fixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// `Mar18SU`, `Apr25HU`, `Sep26SUv2`: the catalog's update names.
    pub name: String,
    /// `YYYY-MM-DD` or `YYYY-MM`.
    pub date: String,
    /// The CUs it shipped for, by product and CU name.
    pub shipped_for: Vec<(Product, String)>,
    /// Every CVE id it fixes (advisory ids such as ADV190018 left out).
    pub cves: Vec<String>,
    /// CVEs that apply to fewer product lines, with those lines.
    pub limits: Vec<(String, Vec<Product>)>,
}

impl Update {
    /// Whether `cve` of this update applies to `product` at all.
    fn applies(&self, cve: &str, product: Product) -> bool {
        self.limits.iter().find(|(c, _)| c == cve).is_none_or(|(_, lines)| lines.contains(&product))
    }
}

#[derive(serde::Deserialize)]
struct RawUpdate {
    update: String,
    release_date: String,
    shipped_for: String,
    cves: String,
    cve_product_limits: String,
    source: String,
}

/// A CVE id's (year, number), for ordering.
pub fn cve_order(cve: &str) -> (u32, u64) {
    let mut parts = cve.split('-').skip(1).map(|p| p.parse::<u64>().unwrap_or(0));
    (parts.next().unwrap_or(0) as u32, parts.next().unwrap_or(0))
}

/// Parses and validates an update list: dates, CVE ids, product lines and
/// CUs that the release catalog `releases` knows, and limits that name the row's CVEs.
pub fn parse_with(text: &str, releases: &[Release]) -> Result<Vec<Update>> {
    let mut out = Vec::new();
    let reader = csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(text.as_bytes());
    for (i, raw) in reader.into_deserialize::<RawUpdate>().enumerate() {
        let at = || format!("update row {}", i + 1);
        let raw = raw.with_context(at)?;
        ensure!(release_date(&raw.release_date).is_some(), "{}: bad date {:?}", at(), raw.release_date);
        ensure!(!raw.source.trim().is_empty(), "{}: every update needs a source", at());
        let cves: Vec<String> = raw
            .cves
            .split(';')
            .map(str::trim)
            .filter(|c| !c.is_empty() && !c.starts_with("ADV"))
            .map(String::from)
            .collect();
        for cve in &cves {
            ensure!(crate::table::is_cve_id(cve), "{}: {cve:?} is not a CVE id", at());
        }
        let shipped_for = parse_shipped(&raw.shipped_for, releases).with_context(at)?;
        let mut limits = Vec::new();
        for part in raw.cve_product_limits.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (cve, lines) = part.split_once(':').with_context(|| format!("{}: limit {part:?}", at()))?;
            let lines = lines.trim().strip_suffix("only").with_context(|| format!("{}: limit {part:?}", at()))?;
            let lines: Vec<Product> = lines
                .split_whitespace()
                .map(|p| Product::from_code(p).with_context(|| format!("{}: unknown product {p:?}", at())))
                .collect::<Result<_>>()?;
            ensure!(cves.iter().any(|c| c == cve.trim()), "{}: limit names {cve:?}, not one of its CVEs", at());
            limits.push((cve.trim().to_string(), lines));
        }
        out.push(Update { name: raw.update, date: raw.release_date, shipped_for, cves, limits });
    }
    ensure!(!out.is_empty(), "the update list has no rows");
    Ok(out)
}

/// `2013 CU18/CU19; 2016 CU7/CU8` → each (product, CU), checked against the catalog.
fn parse_shipped(text: &str, catalog: &[Release]) -> Result<Vec<(Product, String)>> {
    let mut out = Vec::new();
    for group in text.split(';').map(str::trim).filter(|g| !g.is_empty()) {
        let (product, cus) = group.split_once(' ').with_context(|| format!("shipped_for {group:?}"))?;
        let product = Product::from_code(product).with_context(|| format!("unknown product {product:?}"))?;
        for cu in cus.split('/') {
            let known = catalog.iter().any(|r| r.kind == ReleaseKind::Base && r.product == product && r.cu == cu);
            ensure!(known, "shipped_for names {product} {cu}, a CU the catalog does not know");
            out.push((product, cu.to_string()));
        }
    }
    Ok(out)
}

/// `(year, month, day)` with a month-only date as day 0, for ordering; and
/// whether two dates can be told apart (`None`: same month, a day unknown).
fn before(a: &str, b: &str) -> Option<bool> {
    let (a, b) = (release_date(a)?, release_date(b)?);
    if (a.0, a.1) != (b.0, b.1) {
        return Some((a.0, a.1) < (b.0, b.1));
    }
    match (a.2, b.2) {
        (Some(x), Some(y)) => Some(x < y),
        _ => None,
    }
}

/// How a build on CU `cu` (its base release) stands against `update`'s fix
/// for `cve`; `None` when the CVE does not concern the product.
fn lacks(build: &Build, cu: &Release, update: &Update, cve: &str, data: &Facts) -> Option<Stand> {
    let releases = data.releases;
    if !update.applies(cve, cu.product) {
        return None;
    }
    let stand = |lacking: bool| if lacking { Stand::Lacks } else { Stand::Has };
    let key = CuKey::of(&cu.build);
    // 1. The CU got the update: compare with its build (a CU-only build may lack it).
    if let Some(got) = releases.iter().find(|r| r.update == update.name && CuKey::of(&r.build) == key) {
        return Some(stand(build.precision() == Precision::Cu || *build < got.build));
    }
    // 2. Listed as shipped for the CU with no build of its own: the fix is in the CU if not older.
    if update.shipped_for.iter().any(|(p, c)| *p == cu.product && *c == cu.cu) {
        return Some(stand(before(&cu.date, &update.date).unwrap_or(false)));
    }
    // 3. Shipped for other CUs of the line: newer CUs include it, older ones never got it.
    let cu_base = |(p, c): &(Product, String)| {
        releases.iter().find(|r| r.kind == ReleaseKind::Base && r.product == *p && r.cu == *c).map(|r| r.build)
    };
    let shipped: Vec<Build> = update.shipped_for.iter().filter(|(p, _)| *p == cu.product).filter_map(cu_base).collect();
    if let Some(newest) = shipped.iter().max() {
        return Some(stand(cu.build < *newest));
    }
    // 4. Never shipped for this line: a CU released after the update includes it; a line a
    // limit names lacks it; a line out of support (and out of ESU) when the update came out was
    // not assessed by Microsoft (likely vulnerable, never "open"); a supported line without a
    // package is not concerned.
    if !before(&cu.date, &update.date).unwrap_or(false) {
        return Some(Stand::Has);
    }
    if update.limits.iter().any(|(c, lines)| c == cve && lines.contains(&cu.product)) {
        return Some(Stand::Lacks);
    }
    let last_day = data.unassessed_after.iter().find(|(p, _)| *p == cu.product).map(|(_, d)| *d);
    let unassessed = match (last_day, release_date(&update.date)) {
        (Some(end), Some((y, m, d))) => {
            jiff::civil::Date::new(y as i16, m as i8, d.unwrap_or(1) as i8).is_ok_and(|day| day > end)
        }
        _ => false,
    };
    unassessed.then_some(Stand::Unassessed)
}

/// What judging open CVEs needs from a data set.
pub struct Facts<'a> {
    /// The release catalog.
    pub releases: &'a [Release],
    /// The update list.
    pub updates: &'a [Update],
    /// The data set's advisory tables.
    pub tables: &'a [Table],
    /// Per product, the last day it got updates (its ESU end, else its end
    /// of support): updates after it were not assessed for it.
    pub unassessed_after: Vec<(Product, jiff::civil::Date)>,
}

/// Every CVE `build` lacks the fix for, judged with `data` and the tables
/// in use (`tables` take the place of the data's table of the same
/// advisory); `None` for a build on a CU the catalog does not know, or on a
/// line with no data.
pub fn of(build: &Build, data: &Facts, tables: &[Table]) -> Option<OpenCves> {
    let key = CuKey::of(build);
    let cu = data
        .releases
        .iter()
        .find(|r| r.kind == ReleaseKind::Base && CuKey::of(&r.build) == key && r.cu != "Preview")?;
    let in_use: Vec<&Table> =
        tables.iter().chain(data.tables.iter().filter(|t| !tables.iter().any(|u| u.advisory == t.advisory))).collect();
    let judged_by_table: BTreeSet<&String> = in_use.iter().flat_map(|t| t.rows.iter().flat_map(|r| &r.cves)).collect();
    let mut open: BTreeSet<((u32, u64), String)> = BTreeSet::new();
    let mut unassessed: BTreeSet<((u32, u64), String)> = BTreeSet::new();
    // The advisory tables judge their own CVEs (per-CU fixes, CUs that never got them).
    for table in in_use.iter().filter(|t| t.covers(cu.product)) {
        for cve in judge(build, table).cves {
            open.insert((cve_order(&cve), cve));
        }
    }
    let lines_with_data = [Product::Ex2013, Product::Ex2016, Product::Ex2019, Product::Se];
    if lines_with_data.contains(&cu.product) {
        for update in data.updates {
            let mut cves = update.cves.iter().filter(|c| !judged_by_table.contains(c)).peekable();
            if cves.peek().is_none() {
                continue;
            }
            // Whether the CU has the update depends on the update, not the CVE: judge it once
            // for a CVE without a limit, and apart for CVEs with one.
            let unlimited = update.cves.iter().find(|c| !update.limits.iter().any(|(l, _)| l == *c));
            let plain = unlimited.and_then(|c| lacks(build, cu, update, c, data));
            for cve in cves {
                let limited = update.limits.iter().any(|(l, _)| l == cve);
                let stand = if limited { lacks(build, cu, update, cve, data) } else { plain };
                match stand {
                    Some(Stand::Lacks) => open.insert((cve_order(cve), cve.clone())),
                    Some(Stand::Unassessed) => unassessed.insert((cve_order(cve), cve.clone())),
                    _ => false,
                };
            }
        }
    } else if !in_use.iter().any(|t| t.covers(cu.product)) {
        return None;
    }
    let unassessed = unassessed.into_iter().filter(|c| !open.contains(c)).map(|(_, c)| c).collect();
    Some(OpenCves { open: open.into_iter().map(|(_, c)| c).collect(), unassessed })
}
