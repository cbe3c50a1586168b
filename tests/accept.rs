//! Accepted risks (`--accept`) and alerting on what changed
//! (`--fail-on-change`), end to end against the lab fleet: the exit status,
//! the `accepted` cells and the summary's lines (issue 15).

mod common;

use common::*;

#[test]
fn accepted_rows_keep_their_status_and_stop_counting_until_they_expire() {
    let dir = temp_dir("accept");
    let fleet = simulate(&dir, "127.7.8.1", 4);
    let inv = fleet.inventory.to_str().unwrap();
    let first = dir.join("first.csv");
    let out = run(&["scan", inv, "-q", "-o", first.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "the fleet has vulnerable hosts");
    let vulnerable: Vec<_> = read_csv(&first).into_iter().filter(|r| r["status"] == "vulnerable").collect();
    assert!(!vulnerable.is_empty());
    let accept = dir.join("accept.csv");
    let write_accept = |expires: &str, extra: &str| {
        let mut text = String::from("host,port,advisory,reason,owner,expires\n");
        for r in &vulnerable {
            text.push_str(&format!("{},{},proxylogon,WAF in front,secops,{expires}\n", r["host"], r["port"]));
        }
        text.push_str(extra);
        std::fs::write(&accept, text).unwrap();
    };
    // Every vulnerable host accepted (and one acceptance that matches nothing): exit 0.
    write_accept("2099-12-31", "127.7.8.200,443,,decommissioned,it-ops,2099-12-31\n");
    let report = dir.join("accepted.csv");
    let out = run(&["scan", inv, "--accept", accept.to_str().unwrap(), "-o", report.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains(&format!("accepted risks: {} rows", vulnerable.len())), "{stderr}");
    assert!(stderr.contains("UNUSED acceptance, no row matched: line "), "{stderr}");
    assert!(stderr.contains("127.7.8.200:443"), "{stderr}");
    for row in read_csv(&report) {
        if row["status"] == "vulnerable" {
            assert_eq!(row["accepted"], "until 2099-12-31: WAF in front (secops)", "status kept, marked accepted");
        } else {
            assert_eq!(row["accepted"], "", "{row:?}");
        }
    }
    // --fail-on still looks at the rows nobody accepted.
    let out = run(&["scan", inv, "-q", "--accept", accept.to_str().unwrap(), "--fail-on", "vulnerable,patched"]);
    assert_eq!(out.status.code(), Some(1));
    // Expired: counted again, and the summary says so.
    write_accept("2020-01-31", "");
    let out = run(&["scan", inv, "--accept", accept.to_str().unwrap(), "--format", "jsonl"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("EXPIRED acceptance (since 2020-01-31), counted again"), "{stderr}");
    let rows: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(rows.iter().all(|r| r["accepted"].is_null()), "an expired acceptance marks nothing");
    // A malformed file: exit 2 before probing, naming the line.
    std::fs::write(
        &accept,
        "host,port,advisory,reason,owner,expires\nmail.corp,443,,r,o,2027-01-01\nx.corp,443,,r,o,soon\n",
    )
    .unwrap();
    let out = run(&["scan", inv, "--accept", accept.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("line 3: expires \"soon\" is not a date"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing was scanned");
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn fail_on_change_alerts_on_new_and_regressed_rows_only() {
    let dir = temp_dir("fail-on-change");
    let fleet = simulate(&dir, "127.7.9.1", 4);
    let inv = fleet.inventory.to_str().unwrap();
    let first = dir.join("first.csv");
    run(&["scan", inv, "-q", "-o", first.to_str().unwrap()]);
    let base = first.to_str().unwrap();
    let scan = |inv: &str, base: &str| {
        run(&["scan", inv, "-q", "--fail-on", "", "--baseline", base, "--fail-on-change", "new,regressed"])
    };
    // Nothing changed: 0, although hosts are vulnerable (--fail-on is empty).
    assert_eq!(scan(inv, base).status.code(), Some(0));
    // A host that was patched in the baseline is vulnerable now: regressed, 1.
    let text = std::fs::read_to_string(&first).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let i = lines.iter().position(|l| l.contains(",vulnerable,")).unwrap();
    lines[i] = lines[i].replacen(",vulnerable,", ",patched,", 1);
    let edited = dir.join("edited.csv");
    std::fs::write(&edited, lines.join("\n") + "\n").unwrap();
    assert_eq!(scan(inv, edited.to_str().unwrap()).status.code(), Some(1));
    // Fixed is not in the list: a vulnerable host in the baseline now patched is 0.
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let i = lines.iter().position(|l| l.contains(",patched,")).unwrap();
    lines[i] = lines[i].replacen(",patched,", ",vulnerable,", 1);
    std::fs::write(&edited, lines.join("\n") + "\n").unwrap();
    assert_eq!(scan(inv, edited.to_str().unwrap()).status.code(), Some(0));
    // A host the baseline did not have: new, 1.
    let more = dir.join("more.csv");
    let fleet_text = std::fs::read_to_string(&fleet.inventory).unwrap();
    std::fs::write(&more, format!("{fleet_text}127.7.9.9,443,extra,unreachable\n")).unwrap();
    let out = run(&[
        "scan",
        more.to_str().unwrap(),
        "-q",
        "--timeout",
        "1",
        "--fail-on",
        "",
        "--baseline",
        base,
        "--fail-on-change",
        "new",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    // Without a baseline, or with an unknown change, it is a usage error: 2.
    let out = run(&["scan", inv, "--fail-on-change", "new"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --baseline"));
    let out = run(&["scan", inv, "--baseline", base, "--fail-on-change", "worse"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown change \"worse\""));
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}
