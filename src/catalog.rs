//! The release catalog: every Exchange release the tool knows (CUs, service
//! packs, security updates, rollups, hotfix updates), the format of
//! `data/exchange-releases.csv`, parsed and validated (`parse`; the data set
//! holds the parsed catalog); and how far behind a build is (`staleness`).
//!
//! Sources: the catalog has the releases to April 2022 from Microsoft's
//! "Exchange Server build numbers and release dates" page (April 2022
//! revision, its 2010 SP2 RU5 typo corrected), and every release from March
//! 2018 to November 2026 from Microsoft's own lists
//! (microsoft/Get-ExchangeBuildNumber, CSS-Exchange HealthChecker) or
//! MSRC-authored CVE records, each row citing its source; the file's header
//! says what was left out.

use crate::build::{Build, Product};
use anyhow::{Context, Result, ensure};

pub mod staleness;

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
    /// The product line.
    pub product: Product,
    /// The CU, service pack or RTM it belongs to (`CU23`, `SP3`).
    pub cu: String,
    /// Empty for the CU/SP itself; `Mar21SU`, `RU32`, … for updates.
    pub update: String,
    /// Its build number (always four parts).
    pub build: Build,
    /// `YYYY-MM-DD`, or `YYYY-MM` where the source gives only the month.
    pub date: String,
    /// Its Knowledge Base article (`KB5000871`), where one is known.
    pub kb: String,
    /// Where the row's facts come from.
    pub source: String,
    /// Base, rollup, security update, hotfix update, re-release …
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

/// A data file's CSV reader: a header row, `#` lines are comments.
pub(crate) fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(text.as_bytes())
}

/// A build cell of a data file; the error names the column.
pub(crate) fn parse_build(text: &str, what: &str) -> Result<Build> {
    Build::parse(text).with_context(|| format!("column {what}"))
}

/// A build must sit on its product's line; on 2007 and 2010 the minor number
/// is the service pack. This is what catches Microsoft's `14.3.328.5` for
/// 2010 SP2 RU5.
pub(crate) fn check_line(product: Product, cu: &str, build: &Build) -> Result<()> {
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

/// Parses and validates a catalog file: sorted by build, each release on
/// its product's line, dated, sourced, and of a kind its name fits.
pub fn parse(text: &str) -> Result<Vec<Release>> {
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

#[cfg(test)]
mod tests;
