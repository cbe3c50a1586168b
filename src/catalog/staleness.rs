//! How far behind a build is: the newest public security update (or rollup)
//! the release catalog knows for its CU, how many of them the build lacks,
//! that update's date, and which of them only ESU customers got. Known only
//! for full builds; honest about builds newer than the catalog, and about the
//! catalog's own age (`catalog_note`).

use super::{Release, ReleaseKind};
use crate::build::CuKey;
use crate::build::{Build, Precision};

/// The staleness columns of a report row.
///
/// The rule: `sus_behind` counts the security updates released for the
/// build's CU after the build — update rollups (2007, 2010), security
/// updates, and hotfix updates that carry a security fix. A v2 that only
/// re-releases an update is not a second one; hotfix updates with no
/// security fix are not counted. Updates offered only to paying Extended
/// Security Update customers are counted too (the products in ESU got no
/// other): `esu_updates` names them, and the report names them in `detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staleness {
    /// The newest public update's build (a re-release's, where the newest was
    /// re-released), or a sentence when there is none to name.
    pub latest_su: String,
    /// How many public security updates of the CU are newer than the build;
    /// `None` when the build is newer than every update known (the count is unknown).
    pub sus_behind: Option<usize>,
    /// The newest public update's release date (`YYYY-MM` where only the month is known).
    pub date: String,
    /// ESU-only security updates of the CU newer than the build, by name, oldest first.
    pub esu_updates: Vec<String>,
}

impl Staleness {
    /// A sentence naming the ESU-only updates the build lacks; empty when none.
    pub fn esu_sentence(&self) -> String {
        match self.esu_updates.as_slice() {
            [] => String::new(),
            names => format!(
                "{} of the security updates it lacks {} offered only to paying Extended Security Update customers ({})",
                names.len(),
                if names.len() == 1 { "is" } else { "are" },
                names.join(", ")
            ),
        }
    }
}

/// The staleness of a full build on a CU the catalog knows; `None` otherwise.
pub fn of(build: &Build, releases: &[Release]) -> Option<Staleness> {
    if build.precision() != Precision::Full {
        return None;
    }
    let key = CuKey::of(build);
    let on_cu: Vec<&Release> = releases.iter().filter(|r| CuKey::of(&r.build) == key).collect();
    let cu = on_cu.iter().find(|r| r.kind == ReleaseKind::Base)?;
    let updates: Vec<&Release> = on_cu.iter().copied().filter(|r| r.kind != ReleaseKind::Base).collect();
    // ESU-only updates count: they exist for exactly the products in ESU, and a build without
    // them is behind whether or not its owner pays for ESU.
    let counts = |r: &Release| r.kind.counts_publicly() || r.kind == ReleaseKind::SuEsu;
    let counted: Vec<&Release> = updates.iter().copied().filter(|r| counts(r)).collect();
    let esu_updates: Vec<String> = updates
        .iter()
        .filter(|r| r.kind == ReleaseKind::SuEsu && r.build > *build)
        .map(|r| format!("{} {}", r.update, r.build))
        .collect();
    // The build to install for the newest public update: a re-release of it supersedes it.
    let newest_public =
        updates.iter().filter(|r| counts(r) || r.kind == ReleaseKind::Rerelease).max_by_key(|r| r.build);
    let newest_any = updates.iter().filter(|r| r.kind != ReleaseKind::Recalled).map(|r| r.build).max();
    let Some(newest) = newest_public else {
        return Some(Staleness {
            latest_su: format!("none known for {} {}", cu.product, cu.cu),
            sus_behind: Some(0),
            date: String::new(),
            esu_updates,
        });
    };
    if newest_any.is_some_and(|n| *build > n) {
        return Some(Staleness {
            latest_su: format!("{} (this build is newer than every update the tool knows)", newest.build),
            sus_behind: None,
            date: newest.date.clone(),
            esu_updates,
        });
    }
    let behind = counted.iter().filter(|r| r.build > *build).count();
    Some(Staleness {
        latest_su: newest.build.to_string(),
        sus_behind: Some(behind),
        date: newest.date.clone(),
        esu_updates,
    })
}

/// The days from the catalog's newest release to `day` after which the
/// summary warns that newer builds may be misjudged.
pub const CATALOG_STALE_DAYS: i32 = 120;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::Product;
    use crate::dataset::DataSet;

    fn at(build: &str) -> Option<Staleness> {
        of(&build.parse().unwrap(), &DataSet::builtin().releases)
    }

    fn support(product: Product, day: jiff::civil::Date) -> String {
        DataSet::builtin().support(product, day)
    }

    #[test]
    fn counts_the_updates_a_build_lacks() {
        // 2016 CU19: Feb21SU .4, Mar21SU .9, Apr21SU .12, May21SU .14.
        let s = at("15.1.2176.2").unwrap();
        assert_eq!((s.latest_su.as_str(), s.sus_behind, s.date.as_str()), ("15.1.2176.14", Some(4), "2021-05-11"));
        assert_eq!(at("15.1.2176.9").unwrap().sus_behind, Some(2));
        assert_eq!(at("15.1.2176.14").unwrap().sus_behind, Some(0));
        // 2010 SP3 counts rollups (the recalled RU8 v1 not among them).
        assert_eq!(at("14.3.509.0").unwrap().sus_behind, Some(1));
        assert_eq!(at("14.3.210.2").unwrap().sus_behind, Some(25));
        // 2010 SP1: RU7v2 and RU7v3 re-release RU7; from RU6 only RU7 and RU8 count.
        assert_eq!(at("14.1.355.2").unwrap().sus_behind, Some(2));
    }

    /// The rule on the CUs of issue 14, counted by hand from the rows of
    /// `data/exchange-releases.csv` (each citing Microsoft's lists).
    #[test]
    fn the_rule_on_2016_cu23_2019_cu13_to_cu15_and_se() {
        // 2016 CU23 at Nov22SU (.16): public Jan23, Feb23, Mar23, Jun23, Aug23 (v2 .32 not again),
        // Oct23, Nov23, Mar24, Nov24 (v2 .44 not again), Apr25HU (a security fix), Aug25, Oct25 = 12;
        // Apr24HU, May25HU and Sep25HU carry no security fix. ESU-only: Dec25 .63, Feb26 .66,
        // Jun26 .69, Jul26 .71, Aug26 .72, Sep26 .73, Sep26v2 .75 (adds CVE-2026-96940) = 7, counted
        // too (the products in ESU get no other updates); Oct26SU .77 has no primary source
        // (data/overrides.csv) and is kept out.
        let s = at("15.1.2507.16").unwrap();
        assert_eq!((s.latest_su.as_str(), s.sus_behind, s.date.as_str()), ("15.1.2507.75", Some(19), "2026-10-02"));
        assert_eq!(
            s.esu_updates,
            [
                "Dec25SU 15.1.2507.63",
                "Feb26SU 15.1.2507.66",
                "Jun26SU 15.1.2507.69",
                "Jul26SU 15.1.2507.71",
                "Aug26SU 15.1.2507.72",
                "Sep26SU 15.1.2507.73",
                "Sep26SUv2 15.1.2507.75",
            ]
        );
        assert!(
            s.esu_sentence().starts_with("7 of the security updates it lacks are offered only to paying"),
            "{}",
            s.esu_sentence()
        );
        // At Aug23SU v1 the v2 re-release is not one more behind.
        assert_eq!(at("15.1.2507.31").unwrap().sus_behind, Some(14));
        assert_eq!(at("15.1.2507.32").unwrap().sus_behind, Some(14));
        // On an ESU build: the later ESU updates behind, and named.
        let esu = at("15.1.2507.69").unwrap();
        assert_eq!((esu.sus_behind, esu.esu_updates.len()), (Some(4), 4));
        // 2019 CU13 ends with Nov24SU re-released as v2: the v2 is the build to install.
        let s = at("15.2.1258.38").unwrap();
        assert_eq!((s.latest_su.as_str(), s.sus_behind, s.date.as_str()), ("15.2.1258.39", Some(0), "2024-11-27"));
        // 2019 CU14 base: Mar24, Nov24, Apr25HU, Aug25, Oct25 public; 7 ESU-only.
        let s = at("15.2.1544.4").unwrap();
        assert_eq!((s.sus_behind, s.esu_updates.len()), (Some(12), 7));
        // 2019 CU15 at Aug25SU (.36): Oct25SU public; Dec25 .. Sep26SUv2 ESU-only.
        let s = at("15.2.1748.36").unwrap();
        assert_eq!((s.latest_su.as_str(), s.sus_behind, s.esu_updates.len()), ("15.2.1748.53", Some(8), 7));
        // SE RTM: every update public; Sep25HU and May26HU carry no security fix.
        let s = at("15.2.2562.17").unwrap();
        assert_eq!((s.latest_su.as_str(), s.sus_behind, s.date.as_str()), ("15.2.2562.53", Some(9), "2026-10-02"));
        assert!(s.esu_updates.is_empty());
        // 2013 CU23 at Nov22SU (.44): Jan23, Feb23, Mar23.
        assert_eq!(at("15.0.1497.44").unwrap().sus_behind, Some(3));
    }

    /// Every CU in the catalog, at its base build and at its newest update:
    /// (base, latest_su, sus_behind at base, latest_su_date, ESU-only behind
    /// at base, newest update of any kind). Written out from the catalog file's
    /// rows (kinds as its header defines them), not from this module.
    #[test]
    fn every_catalog_cu_at_base_and_at_its_newest_update() {
        type Case = (&'static str, &'static str, Option<usize>, &'static str, usize, &'static str);
        let cases: &[Case] = &[
            ("8.0.685.25", "8.0.813.0", Some(7), "2008-07-08", 0, "8.0.813.0"),
            ("8.1.240.6", "8.1.436.0", Some(10), "2010-04-13", 0, "8.1.436.0"),
            ("8.2.176.2", "8.2.305.3", Some(5), "2010-12-07", 0, "8.2.305.3"),
            ("8.3.83.6", "8.3.517.0", Some(23), "2017-03-21", 0, "8.3.517.0"),
            ("14.0.639.21", "14.0.726.0", Some(5), "2010-12-13", 0, "14.0.726.0"),
            ("14.1.218.15", "14.1.438.0", Some(8), "2012-12-10", 0, "14.1.438.0"),
            ("14.2.247.5", "14.2.390.3", Some(8), "2013-12-09", 0, "14.2.390.3"),
            ("14.3.123.4", "14.3.513.0", Some(32), "2021-03-02", 0, "14.3.513.0"),
            ("15.0.516.32", "none", Some(0), "", 0, ""),
            ("15.0.620.29", "none", Some(0), "", 0, ""),
            ("15.0.712.24", "none", Some(0), "", 0, ""),
            ("15.0.775.38", "none", Some(0), "", 0, ""),
            ("15.0.847.32", "15.0.847.64", Some(1), "2021-03-02", 0, "15.0.847.64"),
            ("15.0.913.22", "none", Some(0), "", 0, ""),
            ("15.0.995.29", "none", Some(0), "", 0, ""),
            ("15.0.1044.25", "none", Some(0), "", 0, ""),
            ("15.0.1076.9", "none", Some(0), "", 0, ""),
            ("15.0.1104.5", "none", Some(0), "", 0, ""),
            ("15.0.1130.7", "none", Some(0), "", 0, ""),
            ("15.0.1156.6", "none", Some(0), "", 0, ""),
            ("15.0.1178.4", "none", Some(0), "", 0, ""),
            ("15.0.1210.3", "none", Some(0), "", 0, ""),
            ("15.0.1236.3", "none", Some(0), "", 0, ""),
            ("15.0.1263.5", "none", Some(0), "", 0, ""),
            ("15.0.1293.2", "none", Some(0), "", 0, ""),
            ("15.0.1320.4", "none", Some(0), "", 0, ""),
            ("15.0.1347.2", "15.0.1347.5", Some(1), "2018-03", 0, "15.0.1347.5"),
            ("15.0.1365.1", "15.0.1365.7", Some(2), "2018-05", 0, "15.0.1365.7"),
            ("15.0.1367.3", "15.0.1367.9", Some(2), "2018-08", 0, "15.0.1367.9"),
            ("15.0.1395.4", "15.0.1395.12", Some(4), "2021-03-02", 0, "15.0.1395.12"),
            ("15.0.1473.3", "15.0.1473.6", Some(3), "2021-03-02", 0, "15.0.1473.6"),
            ("15.0.1497.2", "15.0.1497.48", Some(21), "2023-03-14", 0, "15.0.1497.48"),
            ("15.1.225.42", "none", Some(0), "", 0, ""),
            ("15.1.396.30", "none", Some(0), "", 0, ""),
            ("15.1.466.34", "none", Some(0), "", 0, ""),
            ("15.1.544.27", "none", Some(0), "", 0, ""),
            ("15.1.669.32", "none", Some(0), "", 0, ""),
            ("15.1.845.34", "none", Some(0), "", 0, ""),
            ("15.1.1034.26", "none", Some(0), "", 0, ""),
            ("15.1.1261.35", "15.1.1261.39", Some(1), "2018-03", 0, "15.1.1261.39"),
            ("15.1.1415.2", "15.1.1415.10", Some(3), "2021-03-02", 0, "15.1.1415.10"),
            ("15.1.1466.3", "15.1.1466.16", Some(3), "2021-03-02", 0, "15.1.1466.16"),
            ("15.1.1531.3", "15.1.1531.12", Some(4), "2021-03-02", 0, "15.1.1531.12"),
            ("15.1.1591.10", "15.1.1591.18", Some(5), "2021-03-02", 0, "15.1.1591.18"),
            ("15.1.1713.5", "15.1.1713.10", Some(5), "2021-03-02", 0, "15.1.1713.10"),
            ("15.1.1779.2", "15.1.1779.8", Some(4), "2021-03-02", 0, "15.1.1779.8"),
            ("15.1.1847.3", "15.1.1847.12", Some(4), "2021-03-02", 0, "15.1.1847.12"),
            ("15.1.1913.5", "15.1.1913.12", Some(3), "2021-03-02", 0, "15.1.1913.12"),
            ("15.1.1979.3", "15.1.1979.8", Some(2), "2021-03-02", 0, "15.1.1979.8"),
            ("15.1.2044.4", "15.1.2044.13", Some(5), "2021-03-02", 0, "15.1.2044.13"),
            ("15.1.2106.2", "15.1.2106.13", Some(5), "2021-03-02", 0, "15.1.2106.13"),
            ("15.1.2176.2", "15.1.2176.14", Some(4), "2021-05-11", 0, "15.1.2176.14"),
            ("15.1.2242.4", "15.1.2242.12", Some(3), "2021-07-13", 0, "15.1.2242.12"),
            ("15.1.2308.8", "15.1.2308.27", Some(5), "2022-03-08", 0, "15.1.2308.27"),
            ("15.1.2375.7", "15.1.2375.37", Some(8), "2022-11-08", 0, "15.1.2375.37"),
            ("15.1.2507.6", "15.1.2507.75", Some(23), "2026-10-02", 7, "15.1.2507.75"),
            ("15.2.221.12", "15.2.221.18", Some(1), "2021-03-02", 0, "15.2.221.18"),
            ("15.2.330.5", "15.2.330.11", Some(5), "2021-03-02", 0, "15.2.330.11"),
            ("15.2.397.3", "15.2.397.11", Some(4), "2021-03-02", 0, "15.2.397.11"),
            ("15.2.464.5", "15.2.464.15", Some(4), "2021-03-02", 0, "15.2.464.15"),
            ("15.2.529.5", "15.2.529.13", Some(3), "2021-03-02", 0, "15.2.529.13"),
            ("15.2.595.3", "15.2.595.8", Some(2), "2021-03-02", 0, "15.2.595.8"),
            ("15.2.659.4", "15.2.659.12", Some(5), "2021-03-02", 0, "15.2.659.12"),
            ("15.2.721.2", "15.2.721.13", Some(5), "2021-03-02", 0, "15.2.721.13"),
            ("15.2.792.3", "15.2.792.15", Some(4), "2021-05-11", 0, "15.2.792.15"),
            ("15.2.858.5", "15.2.858.15", Some(3), "2021-07-13", 0, "15.2.858.15"),
            ("15.2.922.7", "15.2.922.27", Some(5), "2022-03-08", 0, "15.2.922.27"),
            ("15.2.986.5", "15.2.986.42", Some(11), "2023-03-14", 0, "15.2.986.42"),
            ("15.2.1118.7", "15.2.1118.40", Some(11), "2023-11-14", 0, "15.2.1118.40"),
            ("15.2.1258.12", "15.2.1258.39", Some(6), "2024-11-27", 0, "15.2.1258.39"),
            ("15.2.1544.4", "15.2.1544.48", Some(12), "2026-10-02", 7, "15.2.1544.48"),
            ("15.2.1748.10", "15.2.1748.53", Some(10), "2026-10-02", 7, "15.2.1748.53"),
            ("15.2.2562.17", "15.2.2562.53", Some(9), "2026-10-02", 0, "15.2.2562.53"),
        ];
        let data = DataSet::builtin();
        let bases = data.releases.iter().filter(|r| r.kind == ReleaseKind::Base && r.cu != "Preview");
        assert_eq!(bases.count(), cases.len(), "one case per CU");
        for (base, latest, behind, date, esu, newest) in cases {
            let s = at(base).unwrap_or_else(|| panic!("{base}"));
            if *latest == "none" {
                assert!(s.latest_su.starts_with("none known for"), "{base}: {}", s.latest_su);
                assert_eq!(s.sus_behind, Some(0), "{base}");
                continue;
            }
            assert_eq!((s.latest_su.as_str(), s.sus_behind, s.date.as_str()), (*latest, *behind, *date), "{base}");
            assert_eq!(s.esu_updates.len(), *esu, "{base}");
            let top = at(newest).unwrap();
            assert_eq!((top.sus_behind, top.esu_updates.len()), (Some(0), 0), "{base} at {newest}");
        }
    }

    #[test]
    fn catalog_age_warns_after_120_days() {
        let day = |d: &str| d.parse::<jiff::civil::Date>().unwrap();
        // Sep26SUv2 (2026-10-02): Oct26SU and Nov26SU are kept out (overrides.csv: no primary source).
        let data = DataSet::builtin();
        assert_eq!(data.catalog_date(), "2026-10-02");
        assert_eq!(data.catalog_note(day("2026-12-02")), "release catalog: newest release 2026-10-02");
        assert_eq!(data.catalog_note(day("2027-01-30")), "release catalog: newest release 2026-10-02", "120 days");
        let late = data.catalog_note(day("2027-01-31"));
        assert!(late.contains("121 days") && late.contains("newer than every known update"), "{late}");
    }

    #[test]
    fn support_by_product_and_day() {
        let day = |d: &str| d.parse::<jiff::civil::Date>().unwrap();
        assert_eq!(support(Product::Ex2016, day("2025-10-14")), "supported until 2025-10-14");
        let after = support(Product::Ex2016, day("2026-11-27"));
        assert!(after.starts_with("ended 2025-10-14: move to Exchange SE (side-by-side"), "{after}");
        assert!(support(Product::Ex2019, day("2026-01-01")).contains("in-place upgrade"));
        assert!(support(Product::Ex2013, day("2024-01-01")).starts_with("ended 2023-04-11"));
        assert_eq!(support(Product::Se, day("2026-11-27")), "supported");
        // Every product has a row (SE's without an end), and every row parses.
        assert_eq!(DataSet::builtin().lifecycle.len(), 6);
        for p in [Product::Ex2007, Product::Ex2010, Product::Ex2013, Product::Ex2016, Product::Ex2019] {
            assert!(support(p, day("2099-01-01")).starts_with("ended"), "{p}");
        }
    }

    #[test]
    fn says_so_when_it_cannot_tell() {
        let newer = at("15.1.2176.20").unwrap();
        assert_eq!(newer.sus_behind, None);
        assert!(newer.latest_su.contains("newer than every update"), "{}", newer.latest_su);
        let none = at("15.1.396.30").unwrap();
        assert_eq!(none.latest_su, "none known for Exchange 2016 CU1");
        assert_eq!(at("15.1.2176"), None, "CU precision shows no SU level");
        assert_eq!(at("15.1.2177.1"), None, "not a CU the catalog knows");
    }
}
