use super::*;

fn releases() -> Vec<crate::catalog::Release> {
    crate::catalog::parse(include_str!("../../data/exchange-releases.csv")).unwrap()
}
use std::collections::HashSet;

fn b(s: &str) -> Build {
    s.parse().unwrap()
}

#[test]
fn builtin_table_loads_with_a_stable_named_id() {
    let t = Table::builtin();
    assert!(t.id.starts_with("proxylogon-2021-03@"), "{}", t.id);
    assert_eq!(t.id, Table::builtin().id);
    assert_eq!(t.id.len(), "proxylogon-2021-03@".len() + 8);
}

#[test]
fn id_changes_when_content_changes() {
    let changed = BUILTIN_TABLE.replace("15.1.2176.9,", "15.1.2176.10,");
    assert_ne!(Table::parse(&changed).unwrap().id, Table::builtin().id);
}

#[test]
fn rows_are_sorted_unique_and_on_their_line() {
    // parse() enforces these; this restates them over the loaded data so a
    // change to the validation cannot silently drop one.
    let t = Table::builtin();
    let mut seen = HashSet::new();
    for pair in t.rows.windows(2) {
        assert!(pair[0].cu_build < pair[1].cu_build);
    }
    for row in &t.rows {
        assert!(seen.insert((row.product, row.cu.clone())), "duplicate {} {}", row.product, row.cu);
        assert_eq!(Product::of(&row.cu_build), Some(row.product), "{} {}", row.product, row.cu);
        if let Fix::Build(fix) = row.fix {
            assert_eq!(CuKey::of(&fix), row.key(), "fix of {} {} off its CU", row.product, row.cu);
        }
    }
}

#[test]
fn every_cu_of_every_covered_line_has_rows_for_every_cve_in_every_advisory() {
    for (id, _) in ADVISORIES {
        let t = Table::advisory(id).unwrap();
        assert!(
            t.id.starts_with(&t.name)
                && [" security update", " security updates", " hotfix update", " fix"]
                    .iter()
                    .any(|e| t.update.ends_with(e)),
            "{id}: {} / {}",
            t.id,
            t.update
        );
        let all: std::collections::BTreeSet<&String> = t.rows.iter().flat_map(|r| &r.cves).collect();
        for rel in releases().iter().filter(|r| r.update.is_empty() && r.cu != "Preview" && t.covers(r.product)) {
            let rows = t.rows_for(&rel.build);
            assert!(!rows.is_empty(), "{id}: no row for {} {}", rel.product, rel.cu);
            for row in &rows {
                assert_eq!(
                    (row.product, row.cu.as_str(), row.cu_build),
                    (rel.product, rel.cu.as_str(), rel.build),
                    "{id}"
                );
            }
            let covered: std::collections::BTreeSet<&String> = rows.iter().flat_map(|r| &r.cves).collect();
            // 2010 and 2013 SP1 are exposed to fewer ProxyLogon CVEs; elsewhere every CVE has a row.
            if *id != "proxylogon" {
                assert_eq!(covered, all, "{id}: {} {}", rel.product, rel.cu);
            }
        }
    }
}

#[test]
fn later_advisories_leave_exchange_2010_alone() {
    for id in ["proxyshell", "proxynotshell", "owassrf", "cve-2024-21410", "cve-2025-53786", "cve-2026-42897"] {
        let t = Table::advisory(id).unwrap();
        assert!(!t.covers(Product::Ex2010) && t.covers(Product::Ex2013) && t.covers(Product::Se), "{id}");
    }
    assert!(Table::advisory("proxylogon").unwrap().covers(Product::Ex2010));
    assert!(Table::advisory("nope").is_none());
}

#[test]
fn later_advisory_tables_hold_the_reference_facts() {
    // The advisories' fixed builds (each table row cites its source), per advisory: (CU base, fix) for every CU with a fix
    // build or the fix included; every other CU of 2013/2016/2019/SE never got it.
    type Case = (&'static str, &'static str, Option<&'static str>, &'static [(&'static str, &'static str)]);
    let cases: [Case; 4] = [
        (
            "owassrf",
            "CVE-2022-41080",
            None,
            &[
                ("15.0.1497.2", "15.0.1497.44"),
                ("15.1.2375.7", "15.1.2375.37"),
                ("15.1.2507.6", "15.1.2507.16"),
                ("15.2.986.5", "15.2.986.36"),
                ("15.2.1118.7", "15.2.1118.20"),
                ("15.2.1258.12", "included"),
                ("15.2.1544.4", "included"),
                ("15.2.1748.10", "included"),
                ("15.2.2562.17", "included"),
            ],
        ),
        (
            "cve-2024-21410",
            "CVE-2024-21410",
            Some("Extended Protection"),
            &[
                ("15.1.2507.6", "15.1.2507.37"),
                ("15.2.1544.4", "included"),
                ("15.2.1748.10", "included"),
                ("15.2.2562.17", "included"),
            ],
        ),
        (
            "cve-2025-53786",
            "CVE-2025-53786",
            Some("dedicated Exchange hybrid application"),
            &[
                ("15.1.2507.6", "15.1.2507.55"),
                ("15.2.1544.4", "15.2.1544.25"),
                ("15.2.1748.10", "15.2.1748.24"),
                ("15.2.2562.17", "included"),
            ],
        ),
        (
            "cve-2026-42897",
            "CVE-2026-42897",
            None,
            &[
                ("15.1.2507.6", "15.1.2507.69"),
                ("15.2.1544.4", "15.2.1544.41"),
                ("15.2.1748.10", "15.2.1748.46"),
                ("15.2.2562.43", "15.2.2562.43"),
            ],
        ),
    ];
    for (id, cve, config, fixed) in cases {
        let t = Table::advisory(id).unwrap();
        assert_eq!(t.config.is_some(), config.is_some(), "{id}");
        if let (Some(step), Some(want)) = (&t.config, config) {
            assert!(step.contains(want) && step.contains("no remote scan can see"), "{id}: {step}");
        }
        for row in &t.rows {
            assert_eq!(row.cves, [cve], "{id} {} {}", row.product, row.cu);
            let want =
                fixed.iter().find(|(cu, _)| t.rows_for(&b(cu)).first().is_some_and(|r| r.cu_build == row.cu_build));
            let got = row.fix.to_string();
            match want {
                Some((_, fix)) => assert_eq!(got, *fix, "{id} {} {}", row.product, row.cu),
                None => assert_eq!(got, "none", "{id} {} {}", row.product, row.cu),
            }
            // Only the June 2026 fixes for 2016 and 2019 are ESU-only.
            assert_eq!(row.esu_only, id == "cve-2026-42897" && row.product != Product::Se && row.fix != Fix::None);
        }
        // Every fix build is a release of its CU in the catalog.
        for row in &t.rows {
            if let Fix::Build(fix) = row.fix {
                assert!(releases().iter().any(|r| r.build == fix), "{id}: {fix} not in the catalog");
            }
        }
    }
}

#[test]
fn a_cu_may_have_one_row_per_cve_group_but_not_repeat_a_cve() {
    let header = "# table: t\nproduct,cu,cu_build,fix,alt_fix,kb,cves,source\n";
    let a = "2016,CU19,15.1.2176.2,15.1.2176.12,,KB1,CVE-2021-34473;CVE-2021-34523,x\n";
    let b = "2016,CU19,15.1.2176.2,15.1.2176.14,,KB2,CVE-2021-31207,x\n";
    let t = Table::parse(&format!("{header}{a}{b}")).unwrap();
    assert_eq!(t.rows_for(&"15.1.2176.9".parse().unwrap()).len(), 2);
    let repeat = "2016,CU19,15.1.2176.2,15.1.2176.14,,KB2,CVE-2021-34523,x\n";
    let err = format!("{:#}", Table::parse(&format!("{header}{a}{repeat}")).unwrap_err());
    assert!(err.contains("repeats"), "{err}");
    let other_cu = "2016,CU19b,15.1.2176.2,15.1.2176.14,,KB2,CVE-2021-31207,x\n";
    assert!(Table::parse(&format!("{header}{a}{other_cu}")).is_err());
}

#[test]
fn every_fix_is_the_catalogs_march_2021_update_for_that_cu() {
    let t = Table::builtin();
    for row in &t.rows {
        let Fix::Build(fix) = row.fix else { continue };
        let all = releases();
        let rel = all.iter().find(|r| r.build == fix).unwrap_or_else(|| panic!("{fix} not in catalog"));
        assert_eq!((rel.product, rel.cu.as_str()), (row.product, row.cu.as_str()));
        assert!(rel.update == "Mar21SU" || rel.update == "RU32", "{fix} is {}", rel.update);
        assert_eq!(rel.date, "2021-03-02");
    }
}

#[test]
fn cve_lists_per_line() {
    let t = Table::builtin();
    let all = ["CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"];
    for row in &t.rows {
        let want: &[&str] = match (row.product, row.cu.as_str()) {
            (Product::Ex2010, _) => &["CVE-2021-26857"],
            (Product::Ex2013, "SP1") => &["CVE-2021-26857", "CVE-2021-27065"],
            _ => &all,
        };
        assert_eq!(row.cves, want, "{} {}", row.product, row.cu);
    }
}

#[test]
fn config_step_and_esu_only_are_read_and_checked() {
    let header = "# table: t\n# config: a step no remote scan can see\nproduct,cu,cu_build,fix,alt_fix,kb,cves,source,esu_only\n";
    let esu = "2016,CU23,15.1.2507.6,15.1.2507.69,,KB5094144,CVE-2026-42897,x,yes\n";
    let t = Table::parse(&format!("{header}{esu}")).unwrap();
    assert_eq!(t.config.as_deref(), Some("a step no remote scan can see"));
    assert!(t.rows[0].esu_only);
    assert_eq!(Table::builtin().config, None);
    for (row, want) in [
        ("2016,CU23,15.1.2507.6,15.1.2507.69,,KB,CVE-2026-42897,x,maybe\n", "esu_only is 'yes' or empty"),
        ("2016,CU23,15.1.2507.6,none,,,CVE-2026-42897,x,yes\n", "esu_only needs a fix build"),
    ] {
        let err = format!("{:#}", Table::parse(&format!("{header}{row}")).unwrap_err());
        assert!(err.contains(want), "{row:?}: {err}");
    }
}

#[test]
fn validation_rejects_broken_tables() {
    let header = "# table: t\nproduct,cu,cu_build,fix,alt_fix,kb,cves,source\n";
    let good = "2016,CU19,15.1.2176.2,15.1.2176.9,,KB5000871,CVE-2021-26855,x\n";
    assert!(Table::parse(&format!("{header}{good}")).is_ok());
    let cases = [
        ("2016,CU19,15.1.2176.2,15.1.2177.9,,KB,CVE-2021-26855,x\n", "not on the CU"),
        ("2016,CU19,15.1.2176.2,15.1.2176.1,,KB,CVE-2021-26855,x\n", "must be a full build above"),
        ("2016,CU19,15.1.2176.2,15.1.2176.9,15.1.2176.9,KB,CVE-2021-26855,x\n", "must be below fix"),
        ("2016,CU19,15.1.2176.2,included,15.1.2176.5,KB,CVE-2021-26855,x\n", "needs a fix build"),
        ("2016,CU19,15.2.2176.2,included,,KB,CVE-2021-26855,x\n", "not on the Exchange 2016 line"),
        ("2016,CU19,15.1.2176,included,,KB,CVE-2021-26855,x\n", "all four parts"),
        ("2016,CU19,15.1.2176.2,soon,,KB,CVE-2021-26855,x\n", "column fix"),
        ("2016,CU19,15.1.2176.2,included,,KB,CVE-2021-2685X,x\n", "not a CVE id"),
        ("2016,CU19,15.1.2176.2,included,,KB,CVE-2021-26855, \n", "needs a source"),
        ("2017,CU19,15.1.2176.2,included,,KB,CVE-2021-26855,x\n", "unknown product"),
        (&format!("{good}{good}"), "repeats"),
        (
            "2016,CU18,15.1.2106.2,included,,KB,CVE-2021-26855,x\n2016,CU17,15.1.2044.4,included,,KB,CVE-2021-26855,x\n",
            "not sorted",
        ),
        (
            "2016,CU19,15.1.2176.2,included,,KB,CVE-2021-26855,x\n2016,CU19b,15.1.2176.3,included,,KB,CVE-2021-26855,x\n",
            "a second row",
        ),
        ("", "no rows"),
    ];
    for (body, want) in cases {
        let err = format!("{:#}", Table::parse(&format!("{header}{body}")).unwrap_err());
        assert!(err.contains(want), "{body:?}: {err}");
    }
    let err =
        format!("{:#}", Table::parse(&format!("product,cu,cu_build,fix,alt_fix,kb,cves,source\n{good}")).unwrap_err());
    assert!(err.contains("# table"), "{err}");
}
