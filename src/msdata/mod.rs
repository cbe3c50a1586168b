//! Microsoft's sources, read as Microsoft publishes them, and the data set
//! derived from them: MSRC's CVRF v3 `updates` index (`month_index`), each
//! month's CVRF document cut down to its Exchange part (`extract_month`),
//! Microsoft's `ExchangeBuildNumbers.csv` (`buildlist`) and the Learn page
//! "Exchange Server build numbers and release dates" (`learn`), combined by
//! `derive` into a data set's files, and the validation gate (`gate`) that
//! new data must pass before it replaces the data in use. Pure functions of
//! bytes: fetching and storing belong to the caller.

use crate::build::{Build, CuKey, Product};
use crate::dataset::{CatalogPair, CveFix, DataSet, Files, month_key};
use anyhow::{Context, Result, bail, ensure};
use std::collections::BTreeMap;

pub mod buildlist;
pub mod cvrf;
pub mod learn;

/// One month listed by MSRC's CVRF v3 `updates` index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthRef {
    /// The month's id, `2021-Mar`.
    pub id: String,
    /// When MSRC last revised the month (as written, ISO 8601).
    pub current_release_date: String,
    /// Where its document is (followed as given).
    pub cvrf_url: String,
}

#[derive(serde::Deserialize)]
struct UpdatesIndex {
    value: Vec<RawMonth>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawMonth {
    #[serde(rename = "ID")]
    id: String,
    current_release_date: String,
    cvrf_url: String,
}

/// Parses the `updates` JSON (`value[]` with `ID`, `CurrentReleaseDate`, `CvrfUrl`).
pub fn month_index(updates_json: &[u8]) -> Result<Vec<MonthRef>> {
    let index: UpdatesIndex =
        serde_json::from_slice(updates_json).context("MSRC's updates index is not the expected JSON")?;
    let mut out = Vec::new();
    for (i, m) in index.value.into_iter().enumerate() {
        let id = crate::sanitize::clean(&m.id);
        ensure!(month_key(&id).is_some(), "updates entry {}: {:?} is not a month id like 2021-Mar", i + 1, m.id);
        out.push(MonthRef {
            id,
            current_release_date: crate::sanitize::clean(&m.current_release_date),
            cvrf_url: crate::sanitize::clean_long(&m.cvrf_url),
        });
    }
    Ok(out)
}

/// The extract's columns, one row per (CVE, Exchange product).
const EXTRACT_HEADER: [&str; 10] =
    ["cve", "title", "severity", "cvss", "exploited", "product", "cu", "kb", "fixed_build", "supersedence"];

/// Reads one CVRF month document (XML as served) and returns its
/// Exchange-only extract as small cacheable bytes (CSV, `EXTRACT_HEADER`);
/// an error names the month and the record. A month naming no Exchange
/// product gives a header-only extract.
pub fn extract_month(id: &str, cvrf_xml: &[u8]) -> Result<Vec<u8>> {
    let (doc_id, fixes) = cvrf::read_month(cvrf_xml).with_context(|| format!("CVRF month {id}"))?;
    ensure!(doc_id == id, "CVRF month {id}: the document is month {doc_id}");
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(EXTRACT_HEADER)?;
    for f in fixes {
        let exploited = if f.exploited { "yes" } else { "" };
        w.write_record([
            f.cve.as_str(),
            &f.title,
            &f.severity,
            &f.cvss,
            exploited,
            f.product.code(),
            &f.cu,
            &f.kb,
            &f.fixed_build,
            &f.supersedence,
        ])?;
    }
    w.into_inner().context("writing a month extract")
}

/// The derived files `derive` writes besides the curated ones.
pub const DERIVED: [&str; 2] = ["msrc-cves.csv", "catalog-sources.csv"];

fn write_csv<T: serde::Serialize>(comment: &str, rows: &[T]) -> Result<Vec<u8>> {
    let mut out = comment.as_bytes().to_vec();
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)?;
    }
    out.extend(w.into_inner().context("writing derived data")?);
    Ok(out)
}

/// Builds a data set's files from every month's extract (by month id),
/// Microsoft's ExchangeBuildNumbers.csv and the Learn build-numbers page
/// (HTML), with the cited overrides: the curated files (release catalog,
/// lifecycle, update list, advisory tables, overrides) as compiled in, and
/// `msrc-cves.csv` and `catalog-sources.csv` derived from the sources.
/// The same input gives the same bytes.
pub fn derive(extracts: &BTreeMap<String, Vec<u8>>, build_list_csv: &[u8], learn_html: &[u8]) -> Result<Files> {
    let listed = buildlist::read(build_list_csv).context("Microsoft's build list (ExchangeBuildNumbers.csv)")?;
    let paged = learn::read(learn_html).context("the Learn build-numbers page")?;
    let overrides = crate::dataset::Overrides::parse(crate::dataset::BUILTIN_OVERRIDES)?;
    let by_kb = |list: &[buildlist::Listed], product: Product, cu: &str, kb: &str| -> Option<Build> {
        list.iter().find(|l| !kb.is_empty() && l.kb == kb && l.product == product && l.cu == cu).map(|l| l.build)
    };
    let curated = crate::dataset::curated_files();
    let catalog = crate::catalog::parse(std::str::from_utf8(&curated.0["exchange-releases.csv"])?)?;
    let on_cu = |b: &Build, product: Product, cu: &str| {
        catalog.iter().any(|r| {
            r.update.is_empty()
                && r.product == product
                && r.cu == cu
                && CuKey::of(&r.build) == CuKey::of(b)
                && r.build <= *b
        })
    };
    let mut months: Vec<(&String, &Vec<u8>)> = extracts.iter().collect();
    months.sort_by_key(|(id, _)| month_key(id));
    let mut cves: Vec<CveFix> = Vec::new();
    for (id, bytes) in months {
        ensure!(month_key(id).is_some(), "extract {id:?} is not named by a month id");
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        ensure!(
            reader.headers().with_context(|| format!("extract {id}"))?.iter().eq(EXTRACT_HEADER),
            "extract {id}: not a month extract (header)"
        );
        for (i, rec) in reader.records().enumerate() {
            let at = || format!("extract {id} row {}", i + 1);
            let rec = rec.with_context(at)?;
            let cell = |n: usize| rec.get(n).unwrap_or("").to_string();
            let product = Product::from_code(&cell(5)).with_context(|| format!("{}: product {:?}", at(), cell(5)))?;
            if overrides.unconfirmed_cve(&cell(0)) {
                continue;
            }
            // A month may give one FixedBuild for a remediation naming several products (2021-Apr
            // gives 2013 CU23's 15.00.1497.015 for every CU of KB5001779): a FixedBuild on another CU
            // is not this CU's, and its build comes from the KB as in 2021.
            let stated = match cell(8).as_str() {
                "" => None,
                text => Some(Build::parse(text).with_context(at)?).filter(|b| on_cu(b, product, &cell(6))),
            };
            let (fixed_build, fixed_from) = match stated.map(|b| b.to_string()).unwrap_or_default().as_str() {
                "" => match by_kb(&listed, product, &cell(6), &cell(7)) {
                    Some(b) => (b.to_string(), "build-list"),
                    None => match by_kb(&paged, product, &cell(6), &cell(7)) {
                        Some(b) => (b.to_string(), "learn"),
                        None => (String::new(), ""),
                    },
                },
                text => (text.to_string(), "cvrf"),
            };
            cves.push(CveFix {
                cve: cell(0),
                month: id.clone(),
                title: cell(1),
                severity: cell(2),
                cvss: cell(3),
                exploited: cell(4),
                product: cell(5),
                cu: cell(6),
                kb: cell(7),
                fixed_build,
                fixed_from: fixed_from.to_string(),
                supersedence: cell(9),
            });
        }
    }
    let mut pairs: BTreeMap<(Build, String), CatalogPair> = BTreeMap::new();
    for (l, from_list) in listed.iter().map(|l| (l, true)).chain(paged.iter().map(|l| (l, false))) {
        let key_build = pairs
            .keys()
            .find(|(_, k)| *k == format!("{} {} {}", l.product.code(), l.cu, l.update))
            .map(|(b, _)| *b)
            .unwrap_or(l.build);
        let key = (key_build, format!("{} {} {}", l.product.code(), l.cu, l.update));
        let pair = pairs.entry(key).or_insert_with(|| CatalogPair {
            product: l.product.code().into(),
            cu: l.cu.clone(),
            update: l.update.clone(),
            build_list: String::new(),
            learn: String::new(),
            date: l.date.clone(),
            kb: l.kb.clone(),
            disagree: String::new(),
        });
        if from_list {
            pair.build_list = l.build.to_string();
        } else {
            pair.learn = l.build.to_string();
        }
        if pair.kb.is_empty() {
            pair.kb = l.kb.clone();
        }
        let differ = !pair.build_list.is_empty() && !pair.learn.is_empty() && pair.build_list != pair.learn;
        pair.disagree = if differ { "yes".into() } else { String::new() };
    }
    let pairs: Vec<CatalogPair> = pairs.into_values().collect();
    let mut files = curated;
    let months: Vec<&String> = extracts.keys().collect();
    let newest = months.iter().max_by_key(|m| month_key(m)).map(|m| m.as_str()).unwrap_or("none");
    files.0.insert(
        DERIVED[0].into(),
        write_csv(
            &format!(
                "# Derived by `exchange-exposure maintain regenerate` (msdata::derive): every Exchange CVE of MSRC's CVRF\n# month documents ({} months, newest {newest}), one row per CVE and product; fixed_build from the month's\n# FixedBuild, else by KB from Microsoft's build list or the Learn page. Do not edit: change data/sources/ or data/overrides.csv.\n",
                months.len()
            ),
            &cves,
        )?,
    );
    files.0.insert(
        DERIVED[1].into(),
        write_csv(
            "# Derived by `exchange-exposure maintain regenerate` (msdata::derive): every build Microsoft's build list\n# (ExchangeBuildNumbers.csv) and the Learn build-numbers page name, both recorded where both list it; disagree=yes\n# where their builds differ. Do not edit: change data/sources/.\n",
            &pairs,
        )?,
    );
    Ok(files)
}

/// The validation gate: new data replaces `old` only when this passes
/// (every build parses, fixed builds within their CU, no CU loses a
/// release, CVE products map to known CUs, ProxyLogon equals the built-in
/// table). The error names the record.
pub fn gate(new: &DataSet, old: &DataSet) -> Result<()> {
    // Every build parses: `DataSet::from_files` parsed them all; here the derived rows.
    let base = |product: Product, cu: &str| {
        new.releases.iter().find(|r| r.product == product && r.cu == cu && r.update.is_empty()).map(|r| r.build)
    };
    for c in &new.cves {
        let at = || format!("msrc-cves.csv: {} for {} {}", c.cve, c.product, c.cu);
        let product = Product::from_code(&c.product).with_context(at)?;
        let Some(cu_build) = base(product, &c.cu) else {
            bail!("{}: the release catalog has no such CU", at());
        };
        if !c.fixed_build.is_empty() {
            let fixed = Build::parse(&c.fixed_build).with_context(at)?;
            let fits = if product >= Product::Ex2013 {
                CuKey::of(&fixed) == CuKey::of(&cu_build)
            } else {
                fixed.minor == cu_build.minor
            };
            ensure!(fits && fixed >= cu_build, "{}: fixed build {fixed} is not within the CU of {cu_build}", at());
        }
    }
    for r in &old.releases {
        let kept = new.releases.iter().any(|n| n.build == r.build && n.product == r.product && n.cu == r.cu);
        ensure!(kept, "the release catalog lost {} {} {} ({})", r.product, r.cu, r.update, r.build);
    }
    let builtin = DataSet::builtin();
    let (Some(new_pl), Some(old_pl)) = (new.table("proxylogon"), builtin.table("proxylogon")) else {
        bail!("the data has no ProxyLogon table");
    };
    ensure!(
        new_pl.rows == old_pl.rows,
        "the ProxyLogon table differs from the built-in one (a source that disagrees about ProxyLogon is broken)"
    );
    for c in new.cves.iter().filter(|c| !c.fixed_build.is_empty()) {
        let Some(product) = Product::from_code(&c.product) else { continue };
        let Some(cu_build) = base(product, &c.cu) else { continue };
        for row in old_pl.rows_for(&cu_build).into_iter().filter(|r| r.cves.contains(&c.cve)) {
            if let crate::table::Fix::Build(want) = row.fix {
                let got = Build::parse(&c.fixed_build)?;
                ensure!(
                    got == want || row.alt_fix == Some(got),
                    "msrc-cves.csv: {} for {} {} says fixed in {got}, ProxyLogon's table says {want}: a source that disagrees about ProxyLogon is broken",
                    c.cve,
                    c.product,
                    c.cu
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
