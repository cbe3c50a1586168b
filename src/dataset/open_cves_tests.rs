use super::*;
use crate::open_cves::{OpenCves, of};

fn judged(build: &str) -> OpenCves {
    DataSet::builtin().open_cves(&build.parse().unwrap(), &[]).unwrap_or_else(|| panic!("{build}"))
}

fn open(build: &str) -> Vec<String> {
    judged(build).open
}

fn unassessed(build: &str) -> Vec<String> {
    judged(build).unassessed
}

// Each update's CVEs, typed from data/update-cves.csv's sources, split where a CVE applies only to
// some lines (cve_product_limits). The expected sets below are unions of these, chosen by hand
// with the CU-first rules; the code under test computes them another way.
const JUL19_2013: &[&str] = &["CVE-2019-1084", "CVE-2019-1136", "CVE-2019-1137"];
const NOV19: &[&str] = &["CVE-2019-1373"];
const FEB20: &[&str] = &["CVE-2020-0688", "CVE-2020-0692"];
const OCT20: &[&str] = &["CVE-2020-16969"];
const NOV20: &[&str] = &["CVE-2020-17083", "CVE-2020-17084", "CVE-2020-17085"];
const DEC20_2013: &[&str] = &["CVE-2020-17117", "CVE-2020-17132", "CVE-2020-17142", "CVE-2020-17143"];
const MAR21: &[&str] = &[
    "CVE-2021-26412",
    "CVE-2021-26854",
    "CVE-2021-26855",
    "CVE-2021-26857",
    "CVE-2021-26858",
    "CVE-2021-27065",
    "CVE-2021-27078",
];
const APR21: &[&str] = &[
    "CVE-2021-28480",
    "CVE-2021-28481",
    "CVE-2021-28482",
    "CVE-2021-28483",
    "CVE-2021-33766",
    "CVE-2021-34473",
    "CVE-2021-34523",
];
const MAY21: &[&str] = &["CVE-2021-31195", "CVE-2021-31198", "CVE-2021-31207", "CVE-2021-31209"];
const JUL21_2013: &[&str] = &["CVE-2021-31196", "CVE-2021-31206", "CVE-2021-34470"];
const OCT21_2013: &[&str] = &["CVE-2021-26427"];
const NOV21_2013: &[&str] = &["CVE-2021-41349", "CVE-2021-42305"];
const JAN22: &[&str] = &["CVE-2022-21846", "CVE-2022-21855", "CVE-2022-21969"];
const MAR22_2013: &[&str] = &["CVE-2022-23277"];
const MAY22: &[&str] = &["CVE-2022-21978"];
const AUG22_2013: &[&str] = &["CVE-2022-21979", "CVE-2022-21980", "CVE-2022-24477", "CVE-2022-24516", "CVE-2022-30134"];
const AUG22_2016: &[&str] = &["CVE-2022-34692"];
const NOV22_2013: &[&str] = &["CVE-2022-41040", "CVE-2022-41078", "CVE-2022-41079", "CVE-2022-41080", "CVE-2022-41082"];
const NOV22_2016: &[&str] = &["CVE-2022-41123"];
const JAN23_2013: &[&str] = &["CVE-2023-21762"];
const JAN23_2016: &[&str] = &["CVE-2023-21745", "CVE-2023-21761", "CVE-2023-21763", "CVE-2023-21764"];
const FEB23_2013: &[&str] = &["CVE-2023-21529", "CVE-2023-21706", "CVE-2023-21707"];
const FEB23_2016: &[&str] = &["CVE-2023-21710"];
const JUN23: &[&str] = &["CVE-2023-28310", "CVE-2023-32031"];
const AUG23: &[&str] = &[
    "CVE-2023-35368",
    "CVE-2023-35388",
    "CVE-2023-36744",
    "CVE-2023-36745",
    "CVE-2023-36756",
    "CVE-2023-36757",
    "CVE-2023-36777",
    "CVE-2023-38181",
    "CVE-2023-38182",
    "CVE-2023-38185",
];
const OCT23: &[&str] = &["CVE-2023-36778"];
const NOV23: &[&str] = &["CVE-2023-36035", "CVE-2023-36039", "CVE-2023-36050", "CVE-2023-36439"];
const MAR24: &[&str] = &["CVE-2024-26198"];
// CVE-2024-21410: Mar24SU on 2016 CU23; on 2019 CU14 itself; never on 2013 (data/cve-2024-21410.csv).
const EP: &[&str] = &["CVE-2024-21410"];
const NOV24: &[&str] = &["CVE-2024-49040"];
const APR25HU: &[&str] = &["CVE-2025-53786"];
const AUG25: &[&str] = &["CVE-2025-25005", "CVE-2025-25006", "CVE-2025-25007", "CVE-2025-33051"];
const OCT25: &[&str] = &["CVE-2025-53782", "CVE-2025-59248", "CVE-2025-59249"];
const DEC25: &[&str] = &["CVE-2025-64666", "CVE-2025-64667"];
const FEB26: &[&str] = &["CVE-2026-21527"];
const JUN26: &[&str] = &[
    "CVE-2026-42897",
    "CVE-2026-45500",
    "CVE-2026-45501",
    "CVE-2026-45502",
    "CVE-2026-45503",
    "CVE-2026-45504",
    "CVE-2026-47631",
];
const JUL26: &[&str] = &["CVE-2026-45583", "CVE-2026-55005", "CVE-2026-55006", "CVE-2026-55008", "CVE-2026-55009"];
const AUG26: &[&str] = &[
    "CVE-2026-62910",
    "CVE-2026-62911",
    "CVE-2026-62912",
    "CVE-2026-62913",
    "CVE-2026-62914",
    "CVE-2026-62915",
    "CVE-2026-65813",
];
// Sep26SU's four CVEs listed only by a third-party page (69361, 69375, 69378, 69382) and the
// Oct26SU and Nov26SU rows have no primary source: data/overrides.csv keeps them out of judging.
const SEP26_2016: &[&str] = &["CVE-2026-69355", "CVE-2026-69356", "CVE-2026-69380", "CVE-2026-69641"];
// CVE-2026-55007 does not apply to 2016 (its limit: 2019 SE only).
const SEP26_2019: &[&str] = &["CVE-2026-55007"];
const SEP26V2: &[&str] = &["CVE-2026-96940"];
// The later advisory tables judge 2013 as never fixed (their rows for it are "none").
const TABLES_AFTER_2013: &[&[&str]] = &[EP, APR25HU, &["CVE-2026-42897"]];

/// What 2013 lacks from after its end of support (2023-04-11): every later update's CVEs
/// not limited to other lines. Microsoft no longer assessed 2013 for them: `unassessed`,
/// except the advisory tables' own.
const AFTER_2013: &[&[&str]] = &[
    JUN23, AUG23, OCT23, NOV23, MAR24, EP, NOV24, APR25HU, AUG25, OCT25, DEC25, FEB26, JUN26, JUL26, AUG26, SEP26_2016,
    SEP26V2,
];

fn without(all: Vec<String>, out: &[String]) -> Vec<String> {
    all.into_iter().filter(|c| !out.contains(c)).collect()
}

/// The union of groups, sorted by year then number as the column lists them.
fn set(groups: &[&[&str]]) -> Vec<String> {
    let mut all: Vec<String> = groups.iter().flat_map(|g| g.iter().map(|c| c.to_string())).collect();
    let num = |c: &String| {
        let mut p = c.split('-').skip(1).map(|n| n.parse::<u64>().unwrap());
        (p.next().unwrap(), p.next().unwrap())
    };
    all.sort_by_key(num);
    all.dedup();
    all
}

#[test]
fn exchange_2013_cu23_at_several_update_levels() {
    let tables = set(TABLES_AFTER_2013);
    let after = without(set(AFTER_2013), &tables);
    assert_eq!(after.len(), 52);
    assert_eq!(
        (open("15.0.1497.48"), unassessed("15.0.1497.48")),
        (tables.clone(), after.clone()),
        "Mar23SU, the last 2013 update"
    );
    let at_nov22 = set(&[JAN23_2013, FEB23_2013, TABLES_AFTER_2013[0], TABLES_AFTER_2013[1], TABLES_AFTER_2013[2]]);
    assert_eq!(at_nov22.len(), 7);
    assert_eq!((open("15.0.1497.44"), unassessed("15.0.1497.44")), (at_nov22, after.clone()), "Nov22SU");
    let at_may22 = set(&[&[AUG22_2013, NOV22_2013, JAN23_2013, FEB23_2013], TABLES_AFTER_2013].concat());
    assert_eq!(open("15.0.1497.36"), at_may22, "May22SU (Oct22SU fixes no CVE)");
    let since_base: &[&[&str]] = &[
        JUL19_2013, NOV19, FEB20, OCT20, NOV20, DEC20_2013, MAR21, APR21, MAY21, JUL21_2013, OCT21_2013, NOV21_2013,
        JAN22, MAR22_2013, MAY22, AUG22_2013, NOV22_2013, JAN23_2013, FEB23_2013,
    ];
    let at_base = set(&[since_base, TABLES_AFTER_2013].concat());
    assert_eq!(at_base.len(), 60);
    assert_eq!((open("15.0.1497.2"), unassessed("15.0.1497.2")), (at_base.clone(), after.clone()), "CU23 base");
    // A CU-only build may lack every update after its base.
    assert_eq!(open("15.0.1497"), at_base, "CU precision");
}

#[test]
fn exchange_2016_cu23_at_several_update_levels() {
    let esu_and_after = set(&[DEC25, FEB26, JUN26, JUL26, AUG26, SEP26_2016, SEP26V2]);
    assert_eq!(esu_and_after.len(), 27);
    assert_eq!(open("15.1.2507.61"), esu_and_after, "Oct25SU, the last public update");
    // .77 (Oct26SU, unconfirmed) is newer than every confirmed update: nothing known is open.
    assert_eq!(open("15.1.2507.77"), Vec::<String>::new(), "above Sep26SUv2");
    assert!(unassessed("15.1.2507.77").is_empty(), "2016 was in ESU for every update known");
    assert_eq!(open("15.1.2507.73"), set(&[SEP26V2]), "Sep26SU v1 lacks what v2 added");
    let at_nov23 =
        set(&[MAR24, EP, NOV24, APR25HU, AUG25, OCT25, &esu_and_after.iter().map(String::as_str).collect::<Vec<_>>()]);
    assert_eq!(open("15.1.2507.35"), at_nov23, "Nov23SU");
    let at_nov22 = set(&[
        JAN23_2013, JAN23_2016, FEB23_2013, FEB23_2016, JUN23, AUG23, OCT23, NOV23, MAR24, EP, NOV24, APR25HU, AUG25,
        OCT25, DEC25, FEB26, JUN26, JUL26, AUG26, SEP26_2016, SEP26V2,
    ]);
    assert_eq!(at_nov22.len(), 64);
    assert_eq!(open("15.1.2507.16"), at_nov22, "Nov22SU");
    // CU23's base lacks May, August and November 2022 too.
    let at_base = [set(&[MAY22, AUG22_2013, AUG22_2016, NOV22_2013, NOV22_2016]), at_nov22].concat();
    assert_eq!(open("15.1.2507.6"), set(&[&at_base.iter().map(String::as_str).collect::<Vec<_>>()]));
}

#[test]
fn exchange_2019_cu14_cu15_and_se_at_several_update_levels() {
    let after_oct25 = [DEC25, FEB26, JUN26, JUL26, AUG26, SEP26_2016, SEP26_2019, SEP26V2];
    assert_eq!(set(&after_oct25).len(), 28);
    // 2019 CU14: released with the CVE-2024-21410 fix; later CUs got the older updates' fixes.
    assert_eq!(open("15.2.1544.36"), set(&after_oct25), "CU14 Oct25SU");
    assert_eq!(open("15.2.1544.48"), Vec::<String>::new(), "CU14 Sep26SUv2, the last confirmed ESU update");
    let cu14_base = set(&[&[MAR24, NOV24, APR25HU, AUG25, OCT25][..], &after_oct25].concat());
    assert_eq!(cu14_base.len(), 38);
    assert_eq!(open("15.2.1544.4"), cu14_base, "CU14 base");
    // 2019 CU15 (2025-02-10).
    assert_eq!(open("15.2.1748.36"), set(&[&[OCT25][..], &after_oct25].concat()), "CU15 Aug25SU");
    let cu15_base = set(&[&[APR25HU, AUG25, OCT25][..], &after_oct25].concat());
    assert_eq!(cu15_base.len(), 36);
    assert_eq!(open("15.2.1748.10"), cu15_base, "CU15 base");
    assert_eq!(open("15.2.1748"), cu15_base, "CU15 at CU precision may lack all of them");
    assert_eq!(open("15.2.1748.24"), set(&[&[AUG25, OCT25][..], &after_oct25].concat()), "CU15 Apr25HU");
    // Exchange SE RTM (2025-07-01): every update public.
    let se_after_jun26 = set(&[JUL26, AUG26, SEP26_2016, SEP26_2019, SEP26V2]);
    assert_eq!(open("15.2.2562.43"), se_after_jun26, "SE Jun26SU");
    assert_eq!(open("15.2.2562.41"), set(&[JUN26, JUL26, AUG26, SEP26_2016, SEP26_2019, SEP26V2]));
    let se_base = set(&[AUG25, OCT25, DEC25, FEB26, JUN26, JUL26, AUG26, SEP26_2016, SEP26_2019, SEP26V2]);
    assert_eq!(se_base.len(), 35);
    assert_eq!(open("15.2.2562.17"), se_base, "SE base");
    assert!(open("15.2.2562.53").is_empty(), "SE Sep26SUv2 lacks nothing known");
    // Nov26SU's four SE-only CVEs are not judged at all (no primary source), so never counted
    // for 2016 or 2019 either.
    for build in ["15.1.2507.75", "15.2.1748.53", "15.2.1544.48"] {
        let all = [open(build), unassessed(build)].concat();
        assert!(!all.iter().any(|c| c.starts_with("CVE-2026-118")), "{build}: {all:?}");
    }
}

#[test]
fn lines_and_builds_without_data() {
    // 2010: only ProxyLogon's CVE-2021-26857 (its table); the update list starts with 2013.
    assert_eq!(open("14.3.509.0"), ["CVE-2021-26857"]);
    assert!(open("14.3.513.0").is_empty());
    let none = |b: &str| DataSet::builtin().open_cves(&b.parse().unwrap(), &[]);
    assert_eq!(none("15.1.2600.1"), None, "a CU the catalog does not know");
    assert_eq!(none("8.3.83.6"), None, "2007: no data");
}

#[test]
fn the_update_list_is_valid_and_matches_the_catalog() {
    let data = DataSet::builtin();
    let list = &data.updates;
    // 58 rows; Oct26SU and Nov26SU are kept out (overrides.csv: no primary source).
    assert_eq!(list.len(), 56);
    let releases = &data.releases;
    for u in list {
        // Every update the list ships for a CU is in the catalog for that CU, except Feb19SU,
        // which shipped inside 2013 CU22, 2016 CU12 and 2019 CU1 (the reference's note).
        for (product, cu) in &u.shipped_for {
            let found = releases.iter().any(|r| r.update == u.name && r.product == *product && r.cu == *cu);
            assert!(found || u.name == "Feb19SU", "{} {product} {cu}", u.name);
        }
    }
    let bad = "update,release_date,shipped_for,cves,cve_product_limits,fix_also_needs,source,note\n";
    for (row, want) in [
        ("X,2018-3,2013 CU18,CVE-2018-0924,,,s,\n", "bad date"),
        ("X,2018-03,2013 CU99,CVE-2018-0924,,,s,\n", "does not know"),
        ("X,2018-03,2013 CU18,CVE-18-0924,,,s,\n", "not a CVE id"),
        ("X,2018-03,2013 CU18,CVE-2018-0924,CVE-2018-0941: 2016 only,,s,\n", "not one of its CVEs"),
        ("X,2018-03,2013 CU18,CVE-2018-0924,,, ,\n", "needs a source"),
    ] {
        let err = format!("{:#}", crate::open_cves::parse_with(&format!("{bad}{row}"), releases).unwrap_err());
        assert!(err.contains(want), "{row:?}: {err}");
    }
}

#[test]
fn remembered_answers_are_the_same_answers() {
    for build in ["15.0.1497.44", "15.1.2507.16", "15.2.1748", "15.2.2562.57", "14.3.509.0", "15.1.2600.1"] {
        let b: Build = build.parse().unwrap();
        let data = DataSet::builtin();
        let fresh = of(&b, &data.facts(), &[]);
        assert_eq!(data.open_cves(&b, &[]), fresh, "{build}");
        assert_eq!(data.open_cves(&b, &[]), fresh, "{build} again");
    }
}
