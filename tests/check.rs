//! End-to-end: the real binary's `check` and `table` commands.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_exchange-exposure"))
        // Never the real home's data (tests/common's `bin` does the same).
        .env("EXCHANGE_EXPOSURE_DATA_DIR", std::env::temp_dir().join(format!("xx-data-{}", std::process::id())))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn records(out: &Output) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(&out.stdout[..]).records().map(Result::unwrap).collect()
}

#[test]
fn the_four_builds_from_the_issue() {
    let out = run(&["check", "15.1.2176.2", "15.2.858.2", "Version 15.1 (Build 2176.2)", "14.3.509.0"], "");
    assert_eq!(out.status.code(), Some(1), "vulnerable rows exit 1");
    let rows = records(&out);
    let got: Vec<(&str, &str, &str)> = rows.iter().map(|r| (&r[2], &r[6], &r[9])).collect();
    assert_eq!(
        got,
        [
            ("vulnerable", "15.1.2176.2", "15.1.2176.9"),
            ("patched", "15.2.858.2", "15.2.858"),
            ("su-unknown", "15.1.2176", "15.1.2176.9"),
            ("vulnerable", "14.3.509.0", "14.3.513.0"),
        ]
    );
    assert_eq!(&rows[3][3], "CVE-2021-26857");
    assert!(rows.iter().all(|r| r[0].is_empty() && r[1].is_empty()), "host columns empty");
}

#[test]
fn reads_stdin_when_no_arguments() {
    let out = run(&["check", "--format", "jsonl"], "15.01.2176.009\n\n15.2.2562.17\n");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let statuses: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses, ["patched", "patched"]);
}

#[test]
fn fail_on_decides_exit_status() {
    assert_eq!(run(&["check", "15.1.2176"], "").status.code(), Some(0));
    assert_eq!(run(&["check", "--fail-on", "su-unknown", "15.1.2176"], "").status.code(), Some(1));
    let bad = run(&["check", "--fail-on", "nope", "15.1.2176"], "");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown status \"nope\""));
}

#[test]
fn unreadable_build_is_named_and_exits_2_without_losing_the_others() {
    let out = run(&["check", "15.1.2176.9", "15.1.21x6.9"], "");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("\"15.1.21x6.9\""), "{stderr}");
    let rows = records(&out);
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[1][2], "input-error");
}

#[test]
fn table_output_loads_back_with_the_same_rows() {
    let out = run(&["table", "--format", "csv"], "");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(
            "# table: proxylogon-2021-03\n# update: the March 2021 security update\n# id: proxylogon-2021-03@"
        ),
        "{text}"
    );
    assert!(text.contains("2016,CU8,15.1.1415.2,15.1.1415.10,15.1.1415.8,KB5000871"));
    let dir = std::env::temp_dir().join(format!("xx-table-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("t.csv");
    std::fs::write(&path, &text).unwrap();
    let again = run(&["--table", path.to_str().unwrap(), "table", "--format", "csv"], "");
    assert_eq!(again.status.code(), Some(0));
    let again = String::from_utf8(again.stdout).unwrap();
    assert_eq!(again.lines().skip(3).collect::<Vec<_>>(), text.lines().skip(3).collect::<Vec<_>>());
    // A broken table is refused with the reason.
    std::fs::write(&path, text.replace("15.1.1415.10,15.1.1415.8", "15.1.1415.10,15.1.1415.11")).unwrap();
    let bad = run(&["--table", path.to_str().unwrap(), "check", "15.1.2176.9"], "");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("must be below fix"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn several_advisories_each_get_columns_and_the_worst_leads() {
    let out = run(&["check", "--advisory", "all", "15.1.2176.9", "15.2.858.2", "15.1.2507.6", "15.0.1497.2"], "");
    assert_eq!(out.status.code(), Some(1));
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    let headers: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    for id in
        ["proxylogon", "proxyshell", "proxynotshell", "owassrf", "cve-2024-21410", "cve-2025-53786", "cve-2026-42897"]
    {
        assert!(headers.contains(&format!("status_{id}")) && headers.contains(&format!("cves_{id}")), "{headers:?}");
    }
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let got: Vec<[&str; 4]> = rows
        .iter()
        .map(|r| {
            [
                &r[col("status")],
                &r[col("status_proxylogon")],
                &r[col("status_proxyshell")],
                &r[col("status_proxynotshell")],
            ]
        })
        .collect();
    assert_eq!(
        got,
        [
            // 2016 CU19 with the March SU: ProxyLogon fixed, ProxyShell and ProxyNotShell not.
            ["vulnerable", "patched", "vulnerable", "vulnerable"],
            // 2019 CU9 as it reports itself: March included, April/May and November missing.
            ["vulnerable", "patched", "vulnerable", "vulnerable"],
            // 2016 CU23 (2022H1): fixed for 2021, not for November 2022.
            ["vulnerable", "patched", "patched", "vulnerable"],
            // 2013 CU23 with nothing: exposed to all three.
            ["vulnerable", "vulnerable", "vulnerable", "vulnerable"],
        ]
    );
    assert_eq!(&rows[0][col("cves_proxyshell")], "CVE-2021-31207;CVE-2021-34473;CVE-2021-34523");
    assert!(rows[0][col("cves")].contains("CVE-2022-41082") && !rows[0][col("cves")].contains("CVE-2021-26855"));
    assert_eq!(rows[0][col("table")].matches('@').count(), 7, "every table's id");
    // The later advisories: 2016 CU19 and 2013 CU23 never got their fixes; 2016 CU23 base lacks them all.
    let later: Vec<[&str; 4]> = rows
        .iter()
        .map(|r| {
            [
                &r[col("status_owassrf")],
                &r[col("status_cve-2024-21410")],
                &r[col("status_cve-2025-53786")],
                &r[col("status_cve-2026-42897")],
            ]
        })
        .collect();
    assert!(later.iter().all(|r| r == &["vulnerable"; 4]), "{later:?}");
    // Staleness: 2016 CU19 at the March SU lacks April and May; CU23 base lacks the 16 public
    // updates May 2022 to October 2025 (v2 re-releases and hotfix updates without a security fix
    // not counted) and the 7 ESU-only ones to Sep26SUv2 (counted: 2016 was in ESU; Oct26SU has
    // no primary source), which detail names.
    let stale: Vec<(&str, &str)> = rows.iter().map(|r| (&r[col("latest_su")], &r[col("sus_behind")])).collect();
    assert_eq!(stale[0], ("15.1.2176.14", "2"));
    assert_eq!(stale[2], ("15.1.2507.75", "23"));
    assert!(
        rows[2][col("detail")].contains("7 of the security updates it lacks are offered only"),
        "{}",
        &rows[2][col("detail")]
    );
    // 2013 CU23: its 21 SUs, July 2019 to March 2023.
    assert_eq!(stale[3], ("15.0.1497.48", "21"));
    // --fail-on sees each advisory's status, not only the worst.
    let only = run(&["check", "--advisory", "proxylogon,proxyshell", "--fail-on", "patched", "15.1.2507.6"], "");
    assert_eq!(only.status.code(), Some(1));
}

#[test]
fn the_catalog_age_is_in_version_and_table() {
    let out = run(&["--version"], "");
    assert_eq!(out.status.code(), Some(0));
    let version = String::from_utf8_lossy(&out.stdout);
    // Sep26SUv2: Oct26SU and Nov26SU have no primary source (data/overrides.csv).
    assert!(version.contains("(release catalog: newest release 2026-10-02)"), "{version}");
    for format in ["csv", "table"] {
        let out = run(&["table", "--format", format], "");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("release catalog: 418 releases, newest release 2026-10-02"), "{format}: {text}");
    }
}

#[test]
fn config_unknown_is_a_status_fail_on_can_name() {
    // 2019 CU14 is the fix for CVE-2024-21410, but only Extended Protection closes it.
    let out = run(&["check", "--advisory", "cve-2024-21410", "--format", "csv", "15.2.1544.4"], "");
    assert_eq!(out.status.code(), Some(0), "config-unknown is not in the default --fail-on");
    let rows = records(&out);
    assert_eq!(&rows[0][2], "config-unknown");
    assert!(rows[0][10].contains("Extended Protection must be enabled"), "{}", &rows[0][10]);
    let strict = run(
        &["check", "--advisory", "cve-2024-21410", "--fail-on", "config-unknown", "--format", "csv", "15.2.1544.4"],
        "",
    );
    assert_eq!(strict.status.code(), Some(1));
    // The table says the step and which fixes are ESU-only, and loads back with --table.
    let out = run(&["table", "--advisory", "cve-2024-21410", "--format", "csv"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("# config: Extended Protection must be enabled"), "{text}");
    let out = run(&["table", "--advisory", "cve-2026-42897", "--format", "csv"], "");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains(",esu_only\n") && text.contains("15.1.2507.69,,KB5094144,CVE-2026-42897,"), "{text}");
    let dir = std::env::temp_dir().join(format!("ee-table-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("t.csv");
    std::fs::write(&file, &text).unwrap();
    let back = run(&["check", "--table", file.to_str().unwrap(), "--format", "csv", "15.1.2507.61"], "");
    let rows = records(&back);
    assert!(rows[0][10].contains("offered only to paying Extended Security Update customers"), "{}", &rows[0][10]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn open_cves_columns_and_the_html_count() {
    let out = run(&["check", "--format", "csv", "15.2.2562.43", "15.2.2562.57"], "");
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    let headers: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(col("open_cves"), col("support") + 1, "after the fixed columns");
    assert_eq!(col("open_cves_count"), col("open_cves") + 1);
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    // SE at Jun26SU: Jul26SU 5, Aug26SU 7, Sep26SU 5 (its four third-party-only CVEs are not
    // judged), Sep26SUv2 1; Oct26SU and Nov26SU have no primary source.
    assert_eq!(&rows[0][col("open_cves_count")], "18");
    assert!(rows[0][col("open_cves")].starts_with("CVE-2026-45583;CVE-2026-55005;"), "{}", &rows[0][col("open_cves")]);
    assert!(rows[0][col("open_cves")].ends_with(";CVE-2026-96940"));
    assert_eq!((&rows[1][col("open_cves")], &rows[1][col("open_cves_count")]), ("", "0"));
    // The HTML report's hosts that need action show how many CVEs each still lacks.
    let html = run(&["check", "--format", "html", "--advisory", "cve-2026-42897", "15.2.2562.41"], "");
    let text = String::from_utf8_lossy(&html.stdout);
    assert!(text.contains("<th>open CVEs</th>") && text.contains("<td class=\"n\">25</td>"), "{text}");
}

#[test]
fn patched_for_proxylogon_is_not_clean_with_fail_on_open() {
    // 2016 CU19 at the March 2021 SU: patched for ProxyLogon, with years of later fixes missing.
    let plain = run(&["check", "--format", "csv", "15.1.2176.9"], "");
    assert_eq!(plain.status.code(), Some(0), "status stays the March 2021 verdict");
    let mut rdr = csv::Reader::from_reader(&plain.stdout[..]);
    let headers: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let at = headers.iter().position(|h| h == "open_cves_count").unwrap();
    assert_eq!(
        &headers[at + 1..at + 4],
        ["unassessed_cves", "max_open_severity", "exploited_open_cves"],
        "the new columns follow open_cves_count"
    );
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let row = rdr.records().next().unwrap().unwrap();
    assert_eq!(&row[col("status")], "patched");
    assert!(row[col("open_cves_count")].parse::<usize>().unwrap() > 100, "{}", &row[col("open_cves_count")]);
    assert_eq!(&row[col("max_open_severity")], "Critical");
    // CVE-2022-41040/-41082 (ProxyNotShell) are among the open ones Microsoft marked exploited.
    assert!(row[col("exploited_open_cves")].contains("CVE-2022-41082"), "{}", &row[col("exploited_open_cves")]);
    for (level, want) in [("critical", 1), ("important", 1), ("any", 1), ("exploited", 1)] {
        let out = run(&["check", "--format", "csv", "--fail-on-open", level, "15.1.2176.9"], "");
        assert_eq!(out.status.code(), Some(want), "--fail-on-open {level}");
    }
    // SE at its newest confirmed update lacks nothing known: clean even with --fail-on-open any.
    let se = run(&["check", "--format", "csv", "--fail-on-open", "any", "15.2.2562.53"], "");
    assert_eq!(se.status.code(), Some(0));
    let bad = run(&["check", "--fail-on-open", "severe", "15.1.2176.9"], "");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--fail-on-open"));
}

#[test]
fn unassessed_cves_are_never_open_cves() {
    // 2013 CU23 at its last update: Microsoft stopped assessing 2013 in April 2023.
    let out = run(&["check", "--format", "jsonl", "15.0.1497.48"], "");
    let row: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = |k: &str| row[k].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect::<Vec<_>>();
    let (open, unassessed) = (list("open_cves"), list("unassessed_cves"));
    assert_eq!(open, ["CVE-2024-21410", "CVE-2025-53786", "CVE-2026-42897"], "the advisory tables' own verdicts");
    assert_eq!(unassessed.len(), 52);
    assert!(unassessed.contains(&"CVE-2023-28310".to_string()));
    assert!(!open.iter().any(|c| unassessed.contains(c)));
}

#[test]
fn a_table_file_replaces_its_own_advisory_and_open_cves_follow_it() {
    let dir = std::env::temp_dir().join(format!("ee-table-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = run(&["table", "--advisory", "proxyshell", "--format", "csv"], "");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    // A table that says 2016 CU19 got the ProxyShell fixes at its base build's next revision.
    let edited: String = text
        .lines()
        .map(|l| {
            if l.starts_with("2016,CU19,15.1.2176.2,15.1.2176.12,") {
                l.replacen("15.1.2176.12", "15.1.2176.3", 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(edited, text.trim_end(), "the CU19 row is there to edit");
    let file = dir.join("proxyshell.csv");
    std::fs::write(&file, edited + "\n").unwrap();
    let args = [
        "check",
        "--advisory",
        "proxylogon,proxyshell",
        "--table",
        file.to_str().unwrap(),
        "--format",
        "jsonl",
        "15.1.2176.9",
    ];
    let out = run(&args, "");
    let row: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(row["status_proxylogon"], "patched", "the ProxyLogon table is untouched");
    let open: Vec<&str> = row["open_cves"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let cves: Vec<&str> =
        row["cves_proxyshell"].as_array().map(|a| a.iter().map(|v| v.as_str().unwrap()).collect()).unwrap_or_default();
    for cve in &cves {
        assert!(open.contains(cve), "{cve}: cves and open_cves come from the same tables");
    }
    assert!(!open.contains(&"CVE-2021-34473"), "the replaced table's verdict drives open_cves: {open:?}");
    // A table naming no advisory judged is refused when several are judged.
    let other = dir.join("other.csv");
    std::fs::write(&other, text.replace("# table: proxyshell-2021", "# table: mine-2021")).unwrap();
    let out =
        run(&["check", "--advisory", "proxylogon,proxyshell", "--table", other.to_str().unwrap(), "15.1.2176.9"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("names no advisory judged"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
