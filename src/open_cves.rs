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
use crate::table::{ADVISORIES, Table};
use anyhow::{Context, Result, ensure};
use std::collections::BTreeSet;

const UPDATE_CVES: &str = include_str!("../data/update-cves.csv");

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

/// The update list, parsed and validated once.
pub fn updates() -> &'static [Update] {
    static PARSED: std::sync::OnceLock<Vec<Update>> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| parse(UPDATE_CVES).expect("the built-in update list passes its own validation (tested)"))
}

/// Parses and validates an update list: dates, CVE ids, product lines and
/// CUs that the release catalog knows, and limits that name the row's CVEs.
pub fn parse(text: &str) -> Result<Vec<Update>> {
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
        let shipped_for = parse_shipped(&raw.shipped_for).with_context(at)?;
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
fn parse_shipped(text: &str) -> Result<Vec<(Product, String)>> {
    let catalog = crate::catalog::releases();
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

/// Whether a build on CU `cu` (its base release) lacks the fix of `update`
/// for `cve`; `None` when the CVE does not apply to the product.
fn lacks(build: &Build, cu: &Release, update: &Update, cve: &str, releases: &[Release]) -> Option<bool> {
    if !update.applies(cve, cu.product) {
        return None;
    }
    let key = CuKey::of(&cu.build);
    // 1. The CU got the update: compare with its build (a CU-only build may lack it).
    if let Some(got) = releases.iter().find(|r| r.update == update.name && CuKey::of(&r.build) == key) {
        return Some(build.precision() == Precision::Cu || *build < got.build);
    }
    // 2. Listed as shipped for the CU with no build of its own: the fix is in the CU if not older.
    if update.shipped_for.iter().any(|(p, c)| *p == cu.product && *c == cu.cu) {
        return Some(before(&cu.date, &update.date).unwrap_or(false));
    }
    // 3. Shipped for other CUs of the line: newer CUs include it, older ones never got it.
    let cu_base = |(p, c): &(Product, String)| {
        releases.iter().find(|r| r.kind == ReleaseKind::Base && r.product == *p && r.cu == *c).map(|r| r.build)
    };
    let shipped: Vec<Build> = update.shipped_for.iter().filter(|(p, _)| *p == cu.product).filter_map(cu_base).collect();
    if let Some(newest) = shipped.iter().max() {
        return Some(cu.build < *newest);
    }
    // 4. Never shipped for this line: a CU released after the update includes it; a line
    // Microsoft no longer assessed never got it; a supported line without a package is not concerned.
    if !before(&cu.date, &update.date).unwrap_or(false) {
        return Some(false);
    }
    let named = update.limits.iter().any(|(c, lines)| c == cve && lines.contains(&cu.product));
    let unassessed = match (crate::catalog::support_end(cu.product), release_date(&update.date)) {
        (Some(end), Some((y, m, d))) => {
            jiff::civil::Date::new(y as i16, m as i8, d.unwrap_or(1) as i8).is_ok_and(|day| day > end)
        }
        _ => false,
    };
    if named || unassessed { Some(true) } else { None }
}

/// Every CVE `build` still lacks the fix for, sorted by year and number;
/// `None` for a build on a CU the catalog does not know, or on a line with no data.
pub fn of(build: &Build, releases: &[Release]) -> Option<Vec<String>> {
    let key = CuKey::of(build);
    let cu =
        releases.iter().find(|r| r.kind == ReleaseKind::Base && CuKey::of(&r.build) == key && r.cu != "Preview")?;
    let tables = advisory_tables();
    let judged_by_table: BTreeSet<&String> = tables.iter().flat_map(|t| t.rows.iter().flat_map(|r| &r.cves)).collect();
    let mut open: BTreeSet<(u32, u64, String)> = BTreeSet::new();
    let mut add = |cve: &str| {
        let mut parts = cve.split('-').skip(1).map(|p| p.parse::<u64>().unwrap_or(0));
        let (year, number) = (parts.next().unwrap_or(0) as u32, parts.next().unwrap_or(0));
        open.insert((year, number, cve.to_string()));
    };
    // The advisory tables judge their own CVEs (per-CU fixes, CUs that never got them).
    for table in tables.iter().filter(|t| t.covers(cu.product)) {
        for cve in judge(build, table).cves {
            add(&cve);
        }
    }
    let lines_with_data = [Product::Ex2013, Product::Ex2016, Product::Ex2019, Product::Se];
    if lines_with_data.contains(&cu.product) {
        for update in updates() {
            let mut cves = update.cves.iter().filter(|c| !judged_by_table.contains(c)).peekable();
            if cves.peek().is_none() {
                continue;
            }
            // Whether the CU has the update depends on the update, not the CVE: judge it once
            // for a CVE without a limit, and apart for CVEs with one.
            let unlimited = update.cves.iter().find(|c| !update.limits.iter().any(|(l, _)| l == *c));
            let plain = unlimited.and_then(|c| lacks(build, cu, update, c, releases));
            for cve in cves {
                let limited = update.limits.iter().any(|(l, _)| l == cve);
                let verdict = if limited { lacks(build, cu, update, cve, releases) } else { plain };
                if verdict == Some(true) {
                    add(cve);
                }
            }
        }
    } else if !tables.iter().any(|t| t.covers(cu.product)) {
        return None;
    }
    Some(open.into_iter().map(|(_, _, cve)| cve).collect())
}

/// `of` against the built-in catalog, remembered per build: a fleet runs few
/// distinct builds, and a report may have tens of thousands of rows.
pub fn of_builtin(build: &Build) -> Option<Vec<String>> {
    static SEEN: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<Build, Option<Vec<String>>>>> =
        std::sync::OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    if let Some(known) = seen.lock().ok().and_then(|m| m.get(build).cloned()) {
        return known;
    }
    let open = of(build, crate::catalog::releases());
    if let Ok(mut m) = seen.lock() {
        m.insert(*build, open.clone());
    }
    open
}

/// Every built-in advisory table, parsed once.
fn advisory_tables() -> &'static [Table] {
    static PARSED: std::sync::OnceLock<Vec<Table>> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| ADVISORIES.iter().filter_map(|(id, _)| Table::advisory(id)).collect())
}

#[cfg(test)]
mod tests;
