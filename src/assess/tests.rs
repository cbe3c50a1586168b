use super::*;

fn b(s: &str) -> Build {
    s.parse().unwrap()
}

fn check(s: &str) -> Verdict {
    judge(&b(s), &Table::builtin())
}

fn ev(s: &str, source: Source, fe: Option<&str>) -> Evidence {
    Evidence { build: b(s), source, front_end: fe.map(String::from) }
}

const ALL_FOUR: [&str; 4] = ["CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"];

#[test]
fn every_row_at_base_below_fix_at_fix_and_cu_precision() {
    let table = Table::builtin();
    for row in &table.rows {
        let at = |build: Build| judge(&build, &table);
        let base = at(row.cu_build);
        let cu_only = at(row.cu_build.cu_part());
        let what = format!("{} {}", row.product, row.cu);
        assert_eq!(base.cu.as_deref(), Some(row.cu.as_str()), "{what}");
        assert_eq!(base.product, Some(row.product), "{what}");
        match row.fix {
            Fix::Build(fix) => {
                let rev = fix.revision.unwrap();
                // One below: the previous revision, or on 2010 the previous rollup number.
                let below = match rev {
                    0 => Build { build: fix.build - 1, ..fix },
                    _ => Build { revision: Some(rev - 1), ..fix },
                };
                let below_status =
                    if row.alt_fix.is_some_and(|alt| below >= alt) { Status::Ambiguous } else { Status::Vulnerable };
                assert_eq!(base.status, Status::Vulnerable, "{what} base");
                assert_eq!(at(below).status, below_status, "{what} one below fix");
                assert_eq!(at(fix).status, Status::Patched, "{what} at fix");
                assert_eq!(at(Build { revision: Some(rev + 1), ..fix }).status, Status::Patched, "{what} above fix");
                assert_eq!(base.fixed_build, Some(fix), "{what}");
                // 2013+ hides the SU in 3 parts; 2010's third part is the rollup.
                let want = if row.product == Product::Ex2010 { Status::Vulnerable } else { Status::SuUnknown };
                assert_eq!(cu_only.status, want, "{what} CU precision");
                assert_eq!(cu_only.cves, row.cves, "{what}");
                assert!(cu_only.detail.contains(&fix.to_string()), "{what}: {}", cu_only.detail);
            }
            Fix::Included => {
                assert_eq!(base.status, Status::Patched, "{what}");
                assert_eq!(cu_only.status, Status::Patched, "{what} CU precision");
                assert!(base.cves.is_empty());
            }
            Fix::None => {
                assert_eq!(base.status, Status::Vulnerable, "{what}");
                assert_eq!(cu_only.status, Status::Vulnerable, "{what} CU precision");
                assert!(base.detail.contains("never received"), "{}", base.detail);
                let target = base.fixed_build.expect("a CU to move to");
                assert!(
                    target > row.cu_build && judge(&target, &table).status == Status::Patched,
                    "{what} -> {target}"
                );
            }
        }
        if base.status == Status::Vulnerable {
            assert_eq!(base.cves, row.cves, "{what}");
        }
    }
}

#[test]
fn pitfall_1_cu_released_with_the_fix_reports_builds_below_the_table() {
    // 2019 CU9 servers report 15.2.858.2; 2016 CU20 servers 15.1.2242.5 or lower.
    for build in ["15.2.858.2", "15.2.858.0", "15.1.2242.4", "15.1.2242.1", "15.2.858"] {
        let v = check(build);
        assert_eq!(v.status, Status::Patched, "{build}: {}", v.detail);
        assert!(v.detail.contains("shipped with the March 2021 security update included"), "{}", v.detail);
        assert!(v.cves.is_empty());
    }
    assert_eq!(check("15.2.858.2").fixed_build, Some(b("15.2.858")));
}

#[test]
fn pitfall_2_sources_disagree_on_2016_cu8_and_cu9() {
    for (build, status) in [
        ("15.1.1415.7", Status::Vulnerable),
        ("15.1.1415.8", Status::Ambiguous),
        ("15.1.1415.9", Status::Ambiguous),
        ("15.1.1415.10", Status::Patched),
        ("15.1.1466.12", Status::Vulnerable),
        ("15.1.1466.13", Status::Ambiguous),
        ("15.1.1466.15", Status::Ambiguous),
        ("15.1.1466.16", Status::Patched),
    ] {
        let v = check(build);
        assert_eq!(v.status, status, "{build}: {}", v.detail);
        if status == Status::Ambiguous {
            assert!(v.detail.contains("different sources"), "{}", v.detail);
            assert_eq!(v.cves, ALL_FOUR);
        }
    }
}

#[test]
fn pitfall_3_cu_only_evidence_is_su_unknown_with_the_build_it_needs() {
    for input in ["15.1.2176", "Version 15.1 (Build 2176.2)"] {
        let v = check(&b(input).to_string());
        assert_eq!(v.status, Status::SuUnknown);
        assert_eq!(v.build, Some(b("15.1.2176")));
        assert_eq!(v.fixed_build, Some(b("15.1.2176.9")));
        assert!(v.detail.contains("15.1.2176.9") && v.detail.contains("KB5000871"), "{}", v.detail);
        assert_eq!(v.cves, ALL_FOUR);
    }
}

#[test]
fn pitfall_4_table_is_not_derived_from_the_cve_records() {
    // The CVE-2021-26858 record gives a wrong bound for 2019 CU1 and swaps CU4 and CU6.
    for (cu, fix) in [("15.2.330.5", "15.2.330.11"), ("15.2.529.5", "15.2.529.13"), ("15.2.659.4", "15.2.659.12")] {
        let v = check(cu);
        assert_eq!(v.fixed_build, Some(b(fix)), "{cu}");
        assert_eq!(check(fix).status, Status::Patched);
    }
    assert_eq!(check("15.2.529.12").status, Status::Vulnerable);
    assert_eq!(check("15.2.659.11").status, Status::Vulnerable);
}

#[test]
fn pitfall_5_line_validation_is_in_the_table_tests() {
    // The typo itself is caught by table::tests::pitfall_5_...; here: a 2010
    // SP2 build is judged as SP2, never as SP3.
    let v = check("14.2.328.5");
    assert_eq!((v.status, v.cu.as_deref()), (Status::Vulnerable, Some("SP2")));
    assert_eq!(v.fixed_build, Some(b("14.3.513.0")));
}

#[test]
fn pitfall_6_zero_padding_is_not_significant() {
    assert_eq!(check("15.02.0858.005"), check("15.2.858.5"));
    assert_eq!(check("15.00.847.064").status, Status::Patched);
    assert_eq!(check("15.01.2176.009").status, Status::Patched);
    assert_eq!(check("15.01.2176.008").status, Status::Vulnerable);
}

#[test]
fn pitfall_7_exchange_se_continues_the_2019_line_and_includes_the_fix() {
    let v = check("15.2.2562.17");
    assert_eq!((v.status, v.product), (Status::Patched, Some(Product::Se)));
    assert_eq!(check("15.2.2562.37").status, Status::Patched);
    let newer = check("15.2.2600.1");
    assert_eq!((newer.status, newer.product), (Status::Patched, Some(Product::Se)));
}

#[test]
fn exchange_2010_is_exposed_only_to_cve_2021_26857() {
    let v = check("14.3.509.0");
    assert_eq!(v.status, Status::Vulnerable);
    assert_eq!(v.cves, ["CVE-2021-26857"]);
    assert_eq!(v.fixed_build, Some(b("14.3.513.0")));
    assert_eq!(check("14.3.513.0").status, Status::Patched);
    assert_eq!(check("14.0.639.21").cves, ["CVE-2021-26857"]);
}

#[test]
fn exchange_2013_sp1_lists_two_cves() {
    let v = check("15.0.847.32");
    assert_eq!(v.status, Status::Vulnerable);
    assert_eq!(v.cves, ["CVE-2021-26857", "CVE-2021-27065"]);
}

#[test]
fn builds_newer_than_the_table() {
    let v = check("15.1.2600.1");
    assert_eq!(v.status, Status::Patched);
    assert!(v.detail.contains("newer than every CU"), "{}", v.detail);
    // 2013 never got a CU with the fix built in: a CU after CU23 is not real.
    assert_eq!(check("15.0.1600.1").status, Status::UnknownBuild);
}

#[test]
fn cus_that_never_got_a_fix() {
    let v = check("15.1.1261.35");
    assert_eq!((v.status, v.cu.as_deref()), (Status::Vulnerable, Some("CU7")));
    assert_eq!(v.fixed_build, Some(b("15.1.1415.10")));
    assert!(v.detail.contains("CU23"), "{}", v.detail);
    assert_eq!(check("15.0.1367.3").fixed_build, Some(b("15.0.1395.12")));
}

#[test]
fn builds_that_do_not_exist() {
    for build in ["15.0.0.0", "15.1.2177.0", "15.1.2177", "15.3.100.1", "16.0.1.1", "14.4.1.0", "0.0.0.0"] {
        let v = check(build);
        assert_eq!(v.status, Status::UnknownBuild, "{build}");
        assert!(v.cves.is_empty());
        assert!(v.detail.contains(&b(build).to_string()), "{}", v.detail);
    }
    let preview = check("15.2.196.0");
    assert_eq!(preview.status, Status::UnknownBuild);
    assert!(preview.detail.contains("Preview"), "{}", preview.detail);
}

#[test]
fn lines_outside_the_advisory() {
    let v = check("8.3.83.6");
    assert_eq!((v.status, v.product), (Status::NotAffected, Some(Product::Ex2007)));
    assert_eq!(v.cu.as_deref(), Some("SP3"));
    assert_eq!(check("6.5.7638.1").status, Status::NotAffected);
    let online = check("15.20.4128.22");
    assert_eq!(online.status, Status::NotAffected);
    assert!(online.detail.contains("Exchange Online"));
}

#[test]
fn agreeing_evidence_merges_and_names_every_source() {
    let t = Table::builtin();
    let v = assess(
        &[
            ev("15.1.2176", Source::LogonPage, None),
            ev("15.01.2176.009", Source::Header, None),
            ev("15.1.2176.9", Source::ExportTool, None),
        ],
        &t,
    );
    assert_eq!(v.status, Status::Patched);
    assert_eq!(v.build, Some(b("15.1.2176.9")));
    assert_eq!(v.precision(), Some(Precision::Full));
    assert_eq!(v.sources, [Source::LogonPage, Source::Header, Source::ExportTool]);
}

#[test]
fn conflicting_evidence_is_ambiguous_only_when_the_readings_are_judged_differently() {
    let t = Table::builtin();
    // An administrator rewrote the header; the page tells another CU. Both
    // (SE RTM, 2019 CU14) shipped with the March 2021 fix: patched, with the
    // conflict named.
    let v = assess(
        &[ev("15.02.2562.037", Source::Header, Some("EX1")), ev("15.2.1748", Source::LogonPage, Some("EX1"))],
        &t,
    );
    assert_eq!(v.status, Status::Patched, "{}", v.detail);
    assert!(v.detail.contains("15.2.2562.37") && v.detail.contains("15.2.1748"), "{}", v.detail);
    assert!(v.detail.contains("every reading is judged patched"), "{}", v.detail);
    assert_eq!(v.build, Some(b("15.2.2562.37")), "the most precise reading speaks");
    assert_eq!(v.sources, [Source::Header, Source::LogonPage]);
    // A rewritten header that claims a patched build over an older CU whose
    // update level cannot be seen: ambiguous.
    let v = assess(&[ev("15.1.2176.9", Source::Header, None), ev("15.1.2106", Source::LogonPage, None)], &t);
    assert_eq!(v.status, Status::Ambiguous, "{}", v.detail);
    assert!(v.detail.contains("patched vs su-unknown"), "{}", v.detail);
    assert_eq!(v.cves, ALL_FOUR);
    // Both readings vulnerable (two unpatched CUs): vulnerable, with both CUs' CVEs.
    let v = assess(&[ev("15.1.2176.2", Source::Header, None), ev("15.1.2106.2", Source::ExportTool, None)], &t);
    assert_eq!(v.status, Status::Vulnerable, "{}", v.detail);
    assert!(v.detail.contains("the evidence disagrees"), "{}", v.detail);
    // A decoy manifest.
    let v = assess(&[ev("15.1.2176", Source::LogonPage, None), ev("15.0.0.0", Source::ExportTool, None)], &t);
    assert_eq!(v.status, Status::Ambiguous);
    assert!(v.detail.contains("15.0.0.0"));
}

#[test]
fn same_cu_different_revisions_is_ambiguous() {
    let t = Table::builtin();
    let v = assess(&[ev("15.1.2176.2", Source::Header, None), ev("15.1.2176.9", Source::ExportTool, None)], &t);
    assert_eq!(v.status, Status::Ambiguous);
    assert_eq!(v.cu.as_deref(), Some("CU19"));
}

#[test]
fn front_ends_behind_one_address_take_the_worst_verdict() {
    let t = Table::builtin();
    let v = assess(
        &[
            ev("15.1.2176.9", Source::Header, Some("EXA")),
            ev("15.1.2176.2", Source::Header, Some("EXB")),
            ev("15.1.2176", Source::LogonPage, Some("EXB")),
        ],
        &t,
    );
    assert_eq!(v.status, Status::Vulnerable);
    assert!(
        v.detail.contains("EXA runs 15.1.2176.9 (patched)") && v.detail.contains("EXB runs 15.1.2176.2"),
        "{}",
        v.detail
    );
    assert_eq!(v.cves, ALL_FOUR);
    // Every front end patched, on different builds: patched, each named.
    let v =
        assess(&[ev("15.1.2176.9", Source::Header, Some("EXA")), ev("15.1.2176.12", Source::Header, Some("EXB"))], &t);
    assert_eq!(v.status, Status::Patched, "{}", v.detail);
    assert!(v.detail.contains("EXA runs 15.1.2176.9 (patched), EXB runs 15.1.2176.12 (patched)"), "{}", v.detail);
    // The same CU with and without its revision agree, whichever front end sent them.
    let v =
        assess(&[ev("15.1.2176.9", Source::Header, Some("EXA")), ev("15.1.2176", Source::LogonPage, Some("EXB"))], &t);
    assert_eq!(v.status, Status::Patched, "{}", v.detail);
    // One front end shows only an older CU (su-unknown), the other is patched: su-unknown leads.
    let v =
        assess(&[ev("15.1.2176.9", Source::Header, Some("EXA")), ev("15.1.2106", Source::LogonPage, Some("EXB"))], &t);
    assert_eq!(v.status, Status::SuUnknown, "{}", v.detail);
    assert!(v.detail.contains("EXB runs 15.1.2106 (su-unknown)"), "{}", v.detail);
}

#[test]
fn no_evidence_is_undetermined() {
    let v = assess(&[], &Table::builtin());
    assert_eq!(v.status, Status::Undetermined);
    assert!(v.build.is_none());
}

#[test]
fn statuses_round_trip() {
    for s in Status::ALL {
        assert_eq!(Status::parse(s.as_str()), Some(s));
    }
    assert_eq!(Status::parse("Vulnerable"), None);
}

#[test]
fn every_advisory_every_cu_at_base_below_each_fix_at_each_fix_and_cu_precision() {
    for (id, _) in crate::table::ADVISORIES {
        let table = Table::advisory(id).unwrap();
        let mut keys: Vec<Build> = table.rows.iter().map(|r| r.cu_build).collect();
        keys.dedup();
        for cu_build in keys {
            let rows = table.rows_for(&cu_build);
            let what = format!("{id}: {} {}", rows[0].product, rows[0].cu);
            let at = |b: Build| judge(&b, &table);
            let fixes: Vec<(Build, &Vec<String>)> = rows
                .iter()
                .filter_map(|r| match r.fix {
                    Fix::Build(b) => Some((b, &r.cves)),
                    _ => None,
                })
                .collect();
            let all_included = rows.iter().all(|r| r.fix == Fix::Included);
            // With a configuration step no scan can see, a fixed build is never plain patched.
            let fixed = if table.config.is_some() { Status::ConfigUnknown } else { Status::Patched };
            let base = at(cu_build);
            if all_included {
                assert_eq!(base.status, fixed, "{what}");
                assert_eq!(at(cu_build.cu_part()).status, fixed, "{what} CU precision");
                continue;
            }
            assert_eq!(base.status, Status::Vulnerable, "{what} base");
            let mut every: Vec<String> = rows.iter().flat_map(|r| r.cves.clone()).collect();
            every.sort();
            assert_eq!(base.cves, every, "{what} base lists every CVE");
            for (fix, cves) in &fixes {
                let below = match fix.revision {
                    Some(0) => Build { build: fix.build - 1, ..*fix },
                    Some(r) => Build { revision: Some(r - 1), ..*fix },
                    None => unreachable!("fixes are full builds"),
                };
                let (v_below, v_at) = (at(below), at(*fix));
                assert!(cves.iter().all(|c| v_below.cves.contains(c)), "{what}: one below {fix} still lists {cves:?}");
                assert!(cves.iter().all(|c| !v_at.cves.contains(c)), "{what}: at {fix} no longer lists {cves:?}");
            }
            if let Some((highest, _)) = fixes.iter().max() {
                assert_eq!(at(*highest).status, fixed, "{what} at the highest fix");
                assert_eq!(at(*highest).fixed_build, Some(*highest), "{what}");
                let want = if rows[0].product == Product::Ex2010 { Status::Vulnerable } else { Status::SuUnknown };
                assert_eq!(at(cu_build.cu_part()).status, want, "{what} CU precision");
            } else {
                assert!(base.detail.contains("never received"), "{what}: {}", base.detail);
            }
        }
    }
}

#[test]
fn proxyshell_between_april_and_may_is_exposed_to_cve_2021_31207_only() {
    let t = Table::advisory("proxyshell").unwrap();
    let v = judge(&b("15.1.2176.12"), &t);
    assert_eq!(v.status, Status::Vulnerable);
    assert_eq!(v.cves, ["CVE-2021-31207"]);
    assert_eq!(v.fixed_build, Some(b("15.1.2176.14")));
    assert!(v.detail.contains("April and May 2021"), "{}", v.detail);
    let both = judge(&b("15.1.2176.9"), &t);
    assert_eq!(both.cves, ["CVE-2021-31207", "CVE-2021-34473", "CVE-2021-34523"]);
    assert_eq!(
        both.detail,
        "15.1.2176.9 lacks the April and May 2021 security updates for Exchange 2016 CU19: it needs \
         15.1.2176.12 (KB5001779: CVE-2021-34473, CVE-2021-34523) and 15.1.2176.14 (KB5003435: CVE-2021-31207)"
    );
    assert_eq!(judge(&b("15.2.922.7"), &t).status, Status::Patched, "2019 CU10 includes both");
    assert_eq!(judge(&b("15.1.2176"), &t).status, Status::SuUnknown);
    assert_eq!(judge(&b("14.3.513.0"), &t).status, Status::NotAffected, "2010 is outside ProxyShell");
}

#[test]
fn proxynotshell_on_the_builds_of_the_issue() {
    let t = Table::advisory("proxynotshell").unwrap();
    for (build, status) in [
        ("15.1.2176.9", Status::Vulnerable),
        ("15.2.858.2", Status::Vulnerable),
        ("15.1.2507.6", Status::Vulnerable),
        ("15.1.2507.16", Status::Patched),
        ("15.0.1497.2", Status::Vulnerable),
        ("15.0.1497.44", Status::Patched),
        ("15.2.1258.12", Status::Patched),
        ("14.3.513.0", Status::NotAffected),
    ] {
        assert_eq!(judge(&b(build), &t).status, status, "{build}");
    }
    let v = judge(&b("15.1.2176.9"), &t);
    assert!(v.detail.contains("never received the November 2022 security update"), "{}", v.detail);
}

#[test]
fn proxyshell_cus_that_never_got_the_fix_move_to_the_build_closing_every_cve() {
    // Microsoft's CVE records (the table rows' sources): fully fixed at 2013 CU23 15.0.1497.18, 2016 CU19
    // 15.1.2176.14, 2019 CU8 15.2.792.15 (the May 2021 SU); the April builds leave CVE-2021-31207 open.
    let t = Table::advisory("proxyshell").unwrap();
    for (build, target) in [
        ("15.0.1473.3", "15.0.1497.18"),
        ("15.0.1395.4", "15.0.1497.18"),
        ("15.1.2106.2", "15.1.2176.14"),
        ("15.1.1261.35", "15.1.2176.14"),
        ("15.2.721.2", "15.2.792.15"),
        ("15.2.221.12", "15.2.792.15"),
    ] {
        let v = judge(&b(build), &t);
        assert_eq!(v.status, Status::Vulnerable, "{build}");
        assert_eq!(v.fixed_build, Some(b(target)), "{build}");
        assert!(v.detail.contains(&format!("({target}) or later")), "{build}: {}", v.detail);
        let there = judge(&b(target), &t);
        assert_eq!((there.status, there.cves.len()), (Status::Patched, 0), "{target} closes every CVE");
    }
}

/// Each later advisory on the CUs with a fix: at base, one below the fix, at
/// the fix, one above, and at CU precision (facts: the `source` column of each table in `data/`).
#[test]
fn later_advisories_at_base_below_at_fix_and_cu_precision() {
    use Status::{ConfigUnknown as Config, Patched, SuUnknown, Vulnerable};
    // (advisory, base, one below the fix, the fix, status at/above the fix, CU-precision status)
    let cases = [
        ("owassrf", "15.0.1497.2", "15.0.1497.42", "15.0.1497.44", Patched, SuUnknown),
        ("owassrf", "15.1.2375.7", "15.1.2375.32", "15.1.2375.37", Patched, SuUnknown),
        ("owassrf", "15.1.2507.6", "15.1.2507.13", "15.1.2507.16", Patched, SuUnknown),
        ("owassrf", "15.2.986.5", "15.2.986.30", "15.2.986.36", Patched, SuUnknown),
        ("owassrf", "15.2.1118.7", "15.2.1118.15", "15.2.1118.20", Patched, SuUnknown),
        ("cve-2024-21410", "15.1.2507.6", "15.1.2507.35", "15.1.2507.37", Config, SuUnknown),
        ("cve-2025-53786", "15.1.2507.6", "15.1.2507.44", "15.1.2507.55", Config, SuUnknown),
        ("cve-2025-53786", "15.2.1544.4", "15.2.1544.14", "15.2.1544.25", Config, SuUnknown),
        ("cve-2025-53786", "15.2.1748.10", "15.2.1748.23", "15.2.1748.24", Config, SuUnknown),
        ("cve-2026-42897", "15.1.2507.6", "15.1.2507.66", "15.1.2507.69", Patched, SuUnknown),
        ("cve-2026-42897", "15.2.1544.4", "15.2.1544.39", "15.2.1544.41", Patched, SuUnknown),
        ("cve-2026-42897", "15.2.1748.10", "15.2.1748.43", "15.2.1748.46", Patched, SuUnknown),
        ("cve-2026-42897", "15.2.2562.17", "15.2.2562.41", "15.2.2562.43", Patched, SuUnknown),
    ];
    for (id, base, below, fix, at_fix, cu) in cases {
        let t = Table::advisory(id).unwrap();
        let at = |s: &str| judge(&b(s), &t);
        let what = format!("{id} {base}");
        let v = at(base);
        assert_eq!((v.status, v.fixed_build), (Vulnerable, Some(b(fix))), "{what} base");
        assert_eq!(v.cves.len(), 1, "{what}");
        assert_eq!(at(below).status, Vulnerable, "{what} one below");
        assert_eq!(at(fix).status, at_fix, "{what} at the fix: {}", at(fix).detail);
        let above = Build { revision: Some(b(fix).revision.unwrap() + 1), ..b(fix) };
        assert_eq!(judge(&above, &t).status, at_fix, "{what} above the fix");
        assert_eq!(at(&b(base).cu_part().to_string()).status, cu, "{what} CU precision");
        assert!(at(fix).cves.is_empty(), "{what}: config-unknown and patched list no CVEs");
    }
}

#[test]
fn config_unknown_names_the_step_and_never_says_patched() {
    let ep = Table::advisory("cve-2024-21410").unwrap();
    // 2019 CU14 is itself the fix; CU15 and SE came later: all config-unknown, with the step named.
    for build in ["15.2.1544.4", "15.2.1748.39", "15.2.2562.57", "15.2.1544", "15.1.2507.37"] {
        let v = judge(&b(build), &ep);
        assert_eq!(v.status, Status::ConfigUnknown, "{build}");
        assert!(
            v.detail.contains("Extended Protection must be enabled") && v.detail.contains("confirm it"),
            "{}",
            v.detail
        );
        assert!(!v.detail.contains("patched"), "a config-unknown sentence never says patched: {}", v.detail);
    }
    // 2019 CU13 never got it: move to CU14. 2013 never got it either (not 'not affected').
    let cu13 = judge(&b("15.2.1258.39"), &ep);
    assert_eq!((cu13.status, cu13.fixed_build), (Status::Vulnerable, Some(b("15.2.1544.4"))));
    let ex2013 = judge(&b("15.0.1497.48"), &ep);
    assert_eq!((ex2013.status, ex2013.fixed_build), (Status::Vulnerable, None));
    assert!(ex2013.detail.contains("no Exchange 2013 build has it"), "{}", ex2013.detail);
    assert_eq!(judge(&b("14.3.513.0"), &ep).status, Status::NotAffected);
    let hybrid = Table::advisory("cve-2025-53786").unwrap();
    let se = judge(&b("15.2.2562.17"), &hybrid);
    assert_eq!(se.status, Status::ConfigUnknown, "every SE build has the fix");
    assert!(se.detail.contains("dedicated Exchange hybrid application"), "{}", se.detail);
    assert_eq!(judge(&b("15.2.1258.39"), &hybrid).status, Status::Vulnerable, "2019 CU13 never got it");
    // Severity: worse than patched, better than anything that says the build is or may be exposed.
    for worse in [Status::Vulnerable, Status::Ambiguous, Status::SuUnknown, Status::UnknownBuild] {
        assert!(worse.severity() < Status::ConfigUnknown.severity(), "{worse}");
    }
    assert!(Status::ConfigUnknown.severity() < Status::Patched.severity());
}

#[test]
fn esu_only_fixes_are_named_as_such() {
    let t = Table::advisory("cve-2026-42897").unwrap();
    let v = judge(&b("15.1.2507.61"), &t);
    assert_eq!((v.status, v.fixed_build), (Status::Vulnerable, Some(b("15.1.2507.69"))));
    assert!(
        v.detail.contains("KB5094144")
            && v.detail.contains("offered only to paying Extended Security Update customers"),
        "{}",
        v.detail
    );
    assert!(v.detail.contains("Exchange SE"), "{}", v.detail);
    // An ESU build that has it is patched (the fix is real) and says where it came from.
    let esu = judge(&b("15.2.1748.46"), &t);
    assert_eq!(esu.status, Status::Patched);
    assert!(esu.detail.contains("Extended Security Update"), "{}", esu.detail);
    // A 2016 CU that never got it is sent to CU23's ESU-only build, and told so.
    let old = judge(&b("15.1.2375.37"), &t);
    assert_eq!(old.fixed_build, Some(b("15.1.2507.69")));
    assert!(old.detail.contains("offered only to paying"), "{}", old.detail);
    // SE's fix is public.
    let se = judge(&b("15.2.2562.41"), &t);
    assert!(!se.detail.contains("Extended Security Update"), "{}", se.detail);
}
