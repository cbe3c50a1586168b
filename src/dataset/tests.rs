use super::*;

#[test]
fn the_builtin_data_parses_and_reproduces_from_its_sources() {
    let data = DataSet::builtin();
    assert_eq!(data.tables.len(), ADVISORY_FILES.len());
    assert!(data.cves.len() > 500, "{}", data.cves.len());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sources");
    let mut extracts = BTreeMap::new();
    for entry in std::fs::read_dir(root.join("cvrf")).unwrap() {
        let path = entry.unwrap().path();
        let id = path.file_stem().unwrap().to_str().unwrap().to_string();
        extracts.insert(id, std::fs::read(&path).unwrap());
    }
    let csv = std::fs::read(root.join("ExchangeBuildNumbers.csv")).unwrap();
    let html = std::fs::read(root.join("build-numbers-and-release-dates.html")).unwrap();
    let derived = crate::msdata::derive(&extracts, &csv, &html).unwrap();
    let builtin = DataSet::builtin_files();
    assert_eq!(derived.0.keys().collect::<Vec<_>>(), builtin.0.keys().collect::<Vec<_>>());
    for (name, bytes) in &builtin.0 {
        assert!(
            derived.0[name] == *bytes,
            "{name} differs from what data/sources derive: run `cargo run --example regenerate-data`"
        );
    }
}

#[test]
fn newest_release_and_cve_are_confirmed_ones() {
    let data = DataSet::builtin();
    // Oct26SU and Nov26SU are kept out (overrides.csv): Sep26SUv2 is the newest confirmed release.
    let (name, _, date) = data.newest_release().unwrap();
    assert_eq!((name.as_str(), date.as_str()), ("Sep26SUv2", "2026-10-02"));
    assert_eq!(data.newest_cve().unwrap(), ("CVE-2026-96940".to_string(), "2026-10-02".to_string()));
    for cve in ["CVE-2026-69361", "CVE-2026-70279", "CVE-2026-118151"] {
        assert!(!data.updates.iter().any(|u| u.cves.iter().any(|c| c == cve)), "{cve} is judged");
    }
    assert!(!data.releases.iter().any(|r| r.update == "Oct26SU" || r.update == "Nov26SU"));
}

#[test]
fn lifecycle_has_se_and_the_esu_end() {
    let data = DataSet::builtin();
    let day = |d: &str| d.parse::<jiff::civil::Date>().unwrap();
    let se = data.lifecycle_of(Product::Se).unwrap();
    assert_eq!(se.end_of_support, None);
    assert!(se.source.contains("Modern Lifecycle"), "{}", se.source);
    for p in [Product::Ex2016, Product::Ex2019] {
        let l = data.lifecycle_of(p).unwrap();
        assert_eq!(l.esu_end.as_deref(), Some("2026-10"), "{p}");
        assert!(data.support(p, day("2026-10-31")).contains("paid Extended Security Updates until 2026-10"), "{p}");
        assert!(data.support(p, day("2026-11-01")).starts_with("ended 2025-10-14: move to"), "{p}");
    }
    assert_eq!(data.support(Product::Se, day("2030-01-01")), "supported");
}

#[test]
fn broken_files_are_named() {
    let mut files = DataSet::builtin_files();
    files.0.remove("lifecycle.csv");
    assert!(format!("{:#}", DataSet::from_files(&files).unwrap_err()).contains("lifecycle.csv"));
    let cases: [(&str, &str, &str); 4] = [
        ("msrc-cves.csv", "CVE-2021-26855,2021-Mar", "msrc-cves.csv row"),
        ("overrides.csv", "update,Oct26SU,unconfirmed", "overrides.csv"),
        ("exchange-releases.csv", "2016,CU23,,15.1.2507.6", "exchange-releases.csv"),
        ("proxylogon-2021-03.csv", "2016,CU19,15.1.2176.2,15.1.2176.9", "proxylogon-2021-03.csv"),
    ];
    let breaks =
        ["CVE-2021-X,2021-Mar", "update,Oct26SU,maybe", "2016,CU23,,15.1.x", "2016,CU19,15.1.2176.2,15.0.2176.9"];
    for ((name, good, want), bad) in cases.into_iter().zip(breaks) {
        let mut files = DataSet::builtin_files();
        let text = String::from_utf8(files.0[name].clone()).unwrap();
        assert!(text.contains(good), "{name}: {good}");
        files.0.insert(name.into(), text.replacen(good, bad, 1).into_bytes());
        let err = format!("{:#}", DataSet::from_files(&files).unwrap_err());
        assert!(err.contains(want), "{name}: {err}");
    }
}

#[test]
fn severities_and_exploitation_come_from_msrc() {
    let data = DataSet::builtin();
    assert_eq!(data.severity_of("CVE-2021-26855", Some(Product::Ex2016)), Some("Critical"));
    assert!(data.exploited("CVE-2021-26855"));
    assert!(!data.exploited("CVE-2021-26412"));
    assert_eq!(data.severity_of("CVE-2026-21527", Some(Product::Se)), Some("Important"));
    assert_eq!(data.severity_of("CVE-2099-1", None), None);
}
