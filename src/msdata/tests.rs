use super::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/msdata").join(name)).unwrap()
}

#[test]
fn product_names_as_msrc_writes_them() {
    let cases = [
        ("Microsoft Exchange Server 2016 Cumulative Update 23", Product::Ex2016, "CU23"),
        ("Microsoft Exchange Server 2019", Product::Ex2019, "RTM"),
        ("Microsoft Exchange Server 2013 Service Pack 1", Product::Ex2013, "SP1"),
        ("Microsoft Exchange Server 2010 Service Pack 3 Update Rollup 31", Product::Ex2010, "SP3"),
        ("Microsoft Exchange Server Subscription Edition RTM", Product::Se, "RTM"),
    ];
    for (name, product, cu) in cases {
        assert_eq!(cvrf::product_of(name).unwrap().unwrap(), (product, cu.to_string()), "{name}");
    }
    assert!(cvrf::product_of("Microsoft Outlook 2016").is_none());
    assert!(cvrf::product_of("Microsoft Exchange Server 2022 Cumulative Update 1").unwrap().is_err());
}

#[test]
fn february_2026_gives_fixed_builds_per_cu() {
    let fixes = cvrf::read(&fixture("msrc-cvrf-2026-Feb-exchange.xml")).unwrap();
    let got: Vec<(&str, &str, &str, &str, &str)> = fixes
        .iter()
        .map(|f| (f.product.code(), f.cu.as_str(), f.kb.as_str(), f.fixed_build.as_str(), f.severity.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("2016", "CU23", "KB5074995", "15.01.2507.066", "Important"),
            ("2019", "CU14", "KB5074994", "15.02.1544.039", "Important"),
            ("2019", "CU15", "KB5074993", "15.02.1748.043", "Important"),
            ("SE", "RTM", "KB5074992", "15.02.2562.037", "Important"),
        ]
    );
    assert!(fixes.iter().all(|f| f.cve == "CVE-2026-21527" && f.cvss == "6.5" && !f.exploited));
    assert_eq!(fixes[3].supersedence, "5071876");
    assert_eq!(fixes[0].title, "Microsoft Exchange Server Spoofing Vulnerability");
}

#[test]
fn march_2021_names_every_proxylogon_cu_with_its_kb() {
    let fixes = cvrf::read(&fixture("msrc-cvrf-2021-Mar-exchange.xml")).unwrap();
    let cves: std::collections::BTreeSet<&str> = fixes.iter().map(|f| f.cve.as_str()).collect();
    for cve in ["CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"] {
        assert!(cves.contains(cve), "{cve}");
    }
    let cu19 =
        fixes.iter().find(|f| f.cve == "CVE-2021-26855" && f.product == Product::Ex2016 && f.cu == "CU19").unwrap();
    assert_eq!((cu19.kb.as_str(), cu19.fixed_build.as_str(), cu19.severity.as_str()), ("KB5000871", "", "Critical"));
    // 2010 SP3 is listed only for CVE-2021-26857.
    let sp3: Vec<&str> = fixes.iter().filter(|f| f.product == Product::Ex2010).map(|f| f.cve.as_str()).collect();
    assert_eq!(sp3, ["CVE-2021-26857"]);
}

#[test]
fn extracts_round_trip_and_broken_documents_are_named() {
    let extract = extract_month("2026-Feb", &fixture("msrc-cvrf-2026-Feb-exchange.xml")).unwrap();
    let text = String::from_utf8(extract).unwrap();
    assert!(text.starts_with("cve,title,severity,cvss,exploited,product,cu,kb,fixed_build,supersedence\n"));
    assert_eq!(text.lines().count(), 5);
    let whole = fixture("msrc-cvrf-2026-Feb-exchange.xml");
    let cut = &whole[..whole.len() / 2];
    let err = format!("{:#}", extract_month("2026-Feb", cut).unwrap_err());
    assert!(err.contains("2026-Feb"), "{err}");
    let doctype = b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>";
    let err = format!("{:#}", extract_month("2026-Feb", doctype).unwrap_err());
    assert!(err.contains("2026-Feb"), "{err}");
    let month = |id: &str| {
        format!(
            "<cvrfdoc><DocumentTracking><Identification><ID>{id}</ID></Identification></DocumentTracking></cvrfdoc>"
        )
    };
    let none = extract_month("2026-Jan", month("2026-Jan").as_bytes()).unwrap();
    assert_eq!(none.iter().filter(|b| **b == b'\n').count(), 1, "a month without Exchange: the header only");
    // Not a CVRF month: another root, no id, another month's id.
    for (bad, why) in [
        (b"<html><body>hello</body></html>".to_vec(), "root element is <html>"),
        (b"<cvrfdoc></cvrfdoc>".to_vec(), "no DocumentTracking/Identification/ID"),
        (month("2026-Feb").into_bytes(), "the document is month 2026-Feb"),
    ] {
        let err = format!("{:#}", extract_month("2026-Jan", &bad).unwrap_err());
        assert!(err.contains("2026-Jan") && err.contains(why), "{err}");
    }
}

#[test]
fn the_month_index_as_msrc_serves_it() {
    // The shape of https://api.msrc.microsoft.com/cvrf/v3.0/updates (values from the 2021-Mar and
    // 2026-Feb documents' DocumentTracking).
    let json = br#"{"@odata.context":"https://api.msrc.microsoft.com/cvrf/v3.0/$metadata#updates","value":[
        {"ID":"2021-Mar","Alias":"2021-Mar","DocumentTitle":"March 2021 Security Updates","Severity":null,"InitialReleaseDate":"2021-03-09T08:00:00Z","CurrentReleaseDate":"2021-03-30T07:00:00Z","CvrfUrl":"https://api.msrc.microsoft.com/cvrf/v3.0/cvrf/2021-Mar"},
        {"ID":"2026-Feb","Alias":"2026-Feb","DocumentTitle":"February 2026 Security Updates","Severity":null,"InitialReleaseDate":"2026-02-10T08:00:00Z","CurrentReleaseDate":"2026-03-01T01:01:55Z","CvrfUrl":"https://api.msrc.microsoft.com/cvrf/v3.0/cvrf/2026-Feb"}]}"#;
    let months = month_index(json).unwrap();
    assert_eq!(months.len(), 2);
    assert_eq!(months[1].id, "2026-Feb");
    assert_eq!(months[1].current_release_date, "2026-03-01T01:01:55Z");
    assert_eq!(months[1].cvrf_url, "https://api.msrc.microsoft.com/cvrf/v3.0/cvrf/2026-Feb");
    for bad in [&b"{}"[..], b"not json", br#"{"value":[{"ID":"March","CurrentReleaseDate":"x","CvrfUrl":"y"}]}"#] {
        assert!(month_index(bad).is_err());
    }
}

#[test]
fn a_2021_kb_gets_its_fixed_build_from_the_build_list() {
    let data = DataSet::builtin();
    let cu19 = data.cves.iter().find(|c| c.cve == "CVE-2021-26855" && c.product == "2016" && c.cu == "CU19").unwrap();
    assert_eq!((cu19.fixed_build.as_str(), cu19.fixed_from.as_str()), ("15.1.2176.9", "build-list"));
    let feb = data.cves.iter().find(|c| c.cve == "CVE-2026-21527" && c.product == "SE").unwrap();
    assert_eq!((feb.fixed_build.as_str(), feb.fixed_from.as_str()), ("15.2.2562.37", "cvrf"));
    // Where the two catalog sources disagree, both are kept: the Learn page's 2010 SP2 RU5 typo.
    let ru5 = data.catalog_sources.iter().find(|p| p.product == "2010" && p.cu == "SP2" && p.update == "RU5").unwrap();
    assert_eq!(
        (ru5.build_list.as_str(), ru5.learn.as_str(), ru5.disagree.as_str()),
        ("14.2.328.5", "14.3.328.5", "yes")
    );
}

#[test]
fn the_gate_passes_the_builtin_data_and_names_what_breaks() {
    let data = DataSet::builtin();
    gate(&data, &data).unwrap();
    let broken = |name: &str, from: &str, to: &str| {
        let mut files = DataSet::builtin_files();
        let text = String::from_utf8(files.0[name].clone()).unwrap();
        assert!(text.contains(from), "{name}: {from}");
        files.0.insert(name.into(), text.replacen(from, to, 1).into_bytes());
        let new = DataSet::from_files(&files).unwrap();
        format!("{:#}", gate(&new, &data).unwrap_err())
    };
    // A source contradicting ProxyLogon: 2016 CU19 fixed at .10 instead of .9.
    let err = broken("msrc-cves.csv", "yes,2016,CU19,KB5000871,15.1.2176.9", "yes,2016,CU19,KB5000871,15.1.2176.10");
    assert!(err.contains("ProxyLogon") && err.contains("CU19"), "{err}");
    let err = broken("msrc-cves.csv", "2016,CU19,KB5000871,15.1.2176.9", "2016,CU19,KB5000871,15.1.2106.13");
    assert!(err.contains("not within the CU"), "{err}");
    let err = broken("msrc-cves.csv", "2016,CU19,KB5000871", "2016,CU99,KB5000871");
    assert!(err.contains("CU99") && err.contains("no such CU"), "{err}");
    let err = broken("exchange-releases.csv", "2016,CU19,Mar21SU,15.1.2176.9", "2016,CU19,Mar21SU,15.1.2176.8");
    assert!(err.contains("lost") && err.contains("15.1.2176.9"), "{err}");
    let err =
        broken("proxylogon-2021-03.csv", "2016,CU19,15.1.2176.2,15.1.2176.9", "2016,CU19,15.1.2176.2,15.1.2176.10");
    assert!(err.contains("ProxyLogon table differs"), "{err}");
}
