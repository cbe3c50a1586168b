use super::*;

const BUILTIN_RELEASES: &str = include_str!("../../data/exchange-releases.csv");

/// The catalog file as written (the data set leaves out the rows the overrides mark unconfirmed).
fn releases() -> Vec<Release> {
    parse(BUILTIN_RELEASES).unwrap()
}

fn release_cu(build: &Build) -> Option<Release> {
    let key = crate::build::CuKey::of(build);
    releases().into_iter().rev().find(|r| r.update.is_empty() && crate::build::CuKey::of(&r.build) == key)
}

fn b(s: &str) -> Build {
    s.parse().unwrap()
}

// Pitfall 5 of the reference: Microsoft's page prints 2010 SP2 RU5 as 14.3.328.5.
#[test]
fn pitfall_5_build_page_typo_is_caught_by_line_validation() {
    let bad = BUILTIN_RELEASES.replace("2010,SP2,RU5,14.2.328.5", "2010,SP2,RU5,14.3.328.5");
    assert_ne!(bad, BUILTIN_RELEASES);
    let err = format!("{:#}", parse(&bad).unwrap_err());
    assert!(err.contains("14.3.328.5 is not on Exchange 2010 SP2"), "{err}");
    let bad_row = crate::table::ADVISORIES[0].1.replace("2010,SP2,14.2.247.5", "2010,SP2,14.3.247.5");
    assert!(crate::table::Table::parse(&bad_row).is_err());
}

#[test]
fn catalog_is_sorted_dated_sourced_and_kinded() {
    let releases = &releases();
    for pair in releases.windows(2) {
        assert!(pair[0].build < pair[1].build, "{} then {}", pair[0].build, pair[1].build);
    }
    for r in releases {
        assert!(release_date(&r.date).is_some(), "{} {}", r.build, r.date);
        assert!(!r.source.is_empty(), "{}", r.build);
    }
    // 250 rows to April 2022 and 2022-11, plus the 173 from March 2018 to November 2026 (the file's header names their sources).
    assert_eq!(releases.len(), 423);
    let count = |k: ReleaseKind| releases.iter().filter(|r| r.kind == k).count();
    // Apr25HU on 2016 CU23, 2019 CU14 and CU15 (SE RTM shipped with its fix).
    assert_eq!(count(ReleaseKind::HuSecurity), 3);
    // Dec25SU, Feb26SU, Jun26SU..Oct26SU and Sep26SUv2 on 2016 CU23, 2019 CU14 and CU15.
    assert_eq!(count(ReleaseKind::SuEsu), 24);
    // Aug23SUv2 (2016 CU23, 2019 CU12, CU13), Nov24SUv2 (2016 CU23, 2019 CU13, CU14) and six 2007/2010 v2/v3 rollups.
    assert_eq!(count(ReleaseKind::Rerelease), 12);
    let newest = newest_release(releases).unwrap();
    assert_eq!(
        (newest.build.to_string(), newest.date.as_str(), newest.update.as_str()),
        ("15.2.2562.57".into(), "2026-11-10", "Nov26SU")
    );
}

#[test]
fn the_four_once_approximate_cus_carry_microsofts_dates_and_kbs() {
    // GEBN (microsoft/Get-ExchangeBuildNumber) rows for the four CUs; CU14's KB is also the one data/cve-2024-21410.csv names.
    for (build, date, kb) in [
        ("15.2.1258.12", "2023-05-03", "KB5020999"),
        ("15.2.1544.4", "2024-02-13", "KB5035606"),
        ("15.2.1748.10", "2025-02-10", "KB5042461"),
        ("15.2.2562.17", "2025-07-01", "KB5047155"),
    ] {
        let rel = release_cu(&b(build)).unwrap();
        assert_eq!((rel.date.as_str(), rel.kb.as_str(), rel.kind), (date, kb, ReleaseKind::Base), "{build}");
        assert!(rel.source.contains("Get-ExchangeBuildNumber") && !rel.source.contains("mail headers"), "{build}");
    }
}

#[test]
fn month_only_dates_are_allowed_and_nothing_looser() {
    assert_eq!(release_date("2018-03"), Some((2018, 3, None)));
    assert_eq!(release_date("2026-11-10"), Some((2026, 11, Some(10))));
    for bad in ["December, 2015", "2018-3", "2018-13", "2018-02-30", "2018-03-01-1", "", "2018"] {
        assert_eq!(release_date(bad), None, "{bad}");
    }
    let header = "product,cu,update,build,date,kb,source,note,kind\n";
    let cases = [
        ("2016,CU23,,15.1.2507.6,April 2022,,x,,base\n", "neither YYYY-MM-DD"),
        ("2016,CU23,,15.1.2507.6,2022-04-20,,x,,su\n", "does not fit"),
        ("2016,CU23,May22SU,15.1.2507.9,2022-05-10,,x,,hu\n", "does not fit"),
        ("2016,CU23,May22SU,15.1.2507.9,2022-05-10,,x,,patch\n", "unknown kind"),
        ("2016,CU23,May22SU,15.1.2507.9,2022-05-10,, ,,su\n", "needs a source"),
    ];
    for (body, want) in cases {
        let err = format!("{:#}", parse(&format!("{header}{body}")).unwrap_err());
        assert!(err.contains(want), "{body:?}: {err}");
    }
}

#[test]
fn names_the_cu_of_any_real_build() {
    let cases = [
        ("15.1.2176.9", "2016", "CU19"),
        ("15.2.858.2", "2019", "CU9"),
        ("15.0.847.40", "2013", "SP1"),
        ("14.3.509.0", "2010", "SP3"),
        ("8.3.83.6", "2007", "SP3"),
        ("15.2.2562.17", "SE", "RTM"),
    ];
    for (build, product, cu) in cases {
        let rel = release_cu(&b(build)).unwrap_or_else(|| panic!("{build}"));
        assert_eq!((rel.product.code(), rel.cu.as_str()), (product, cu), "{build}");
    }
    assert!(release_cu(&b("15.1.2177.0")).is_none());
}

#[test]
fn product_of_build() {
    let cases = [
        ("8.3.83.6", Some(crate::build::Product::Ex2007)),
        ("14.3.513.0", Some(crate::build::Product::Ex2010)),
        ("15.0.1497.2", Some(crate::build::Product::Ex2013)),
        ("15.1.2176.9", Some(crate::build::Product::Ex2016)),
        ("15.2.1748.10", Some(crate::build::Product::Ex2019)),
        ("15.2.2562.17", Some(crate::build::Product::Se)),
        ("15.20.4000.1", None),
        ("15.3.1.1", None),
        ("6.5.7638.1", None),
    ];
    for (build, want) in cases {
        assert_eq!(crate::build::Product::of(&b(build)), want, "{build}");
    }
}
