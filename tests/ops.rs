//! End-to-end: what operations and auditors rely on — messy inventories,
//! exit statuses, baselines, interrupted runs, shards and merge.

mod common;

use common::*;
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn fleet_hosts(fleet: &Fleet) -> Vec<HashMap<String, String>> {
    read_csv(&fleet.inventory)
}

#[test]
fn messy_inventory_of_200_rows_with_20_bad_ones_gives_200_rows() {
    let dir = temp_dir("messy");
    let fleet = simulate(&dir, "127.7.0.1", 22);
    let hosts = fleet_hosts(&fleet);
    let bad = [
        ";;owner-only",
        "127.7.0.1;70000;x",
        "127.7.0.1;0;x",
        "127.7.0.1;http;x",
        "bad host name;;x",
        "https://;;x",
        "ftp://127.7.0.1/;;x",
        "[::1;;x",
        "127.7.0.1;443;x;surplus",
        "127.7.0.1:99999;;x",
    ];
    let mut text = String::from("\u{feff}host;port;owner\r\n");
    let mut expected: Vec<String> = Vec::new();
    let mut good = 0;
    for i in 0..200 {
        if i % 10 == 3 {
            text.push_str(bad[(i / 10) % bad.len()]);
            expected.push("input-error".into());
        } else {
            let h = &hosts[good % hosts.len()];
            good += 1;
            // Vary the spelling of the same targets: host;port, host:port, URL; quoted owners.
            let line = match good % 3 {
                0 => format!("{};{};\"ops; team {i}\"", h["host"], h["port"]),
                1 => format!("{}:{};;", h["host"], h["port"]),
                _ => format!("https://{}:{}/owa/;;owner {i}", h["host"], h["port"]),
            };
            text.push_str(&line);
            expected.push(h["expected_status"].clone());
        }
        text.push_str("\r\n");
        if i % 50 == 0 {
            text.push_str("\r\n"); // blank lines are not rows
        }
    }
    let inv = dir.join("messy.csv");
    std::fs::write(&inv, &text).unwrap();
    let report = dir.join("report.csv");
    let out = bin()
        .args([
            "scan",
            inv.to_str().unwrap(),
            "-v",
            "-o",
            report.to_str().unwrap(),
            "--ca-cert",
            fleet.ca.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let rows = read_csv(&report);
    assert_eq!(rows.len(), 200, "rows in = rows out");
    let got: Vec<&str> = rows.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(got, expected);
    let errors: Vec<&HashMap<String, String>> = rows.iter().filter(|r| r["status"] == "input-error").collect();
    assert_eq!(errors.len(), 20);
    for e in &errors {
        assert!(e["detail"].starts_with(&format!("line {}: ", e["line"])), "{}", e["detail"]);
    }
    assert!(rows.iter().any(|r| r["owner"].starts_with("ops; team")), "quoted field with the delimiter");
    // 180 good rows name 22 hosts: each is probed once.
    let log = String::from_utf8_lossy(&out.stderr);
    let probed = log.lines().filter(|l| l.contains(" probed")).count();
    assert_eq!(probed, 22, "{log}");
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn exit_status_per_contract() {
    let dir = temp_dir("exits");
    let fleet = simulate(&dir, "127.7.1.1", 2);
    let hosts = fleet_hosts(&fleet);
    let patched = dir.join("patched.csv");
    std::fs::write(&patched, format!("host,port\n{},{}\n", hosts[1]["host"], hosts[1]["port"])).unwrap();
    let all = fleet.inventory.to_str().unwrap();
    assert_eq!(run(&["scan", patched.to_str().unwrap(), "-q"]).status.code(), Some(0));
    assert_eq!(run(&["scan", all, "-q"]).status.code(), Some(1));
    assert_eq!(run(&["scan", all, "-q", "--fail-on", "input-error"]).status.code(), Some(0));
    assert_eq!(run(&["scan", all, "-q", "--fail-on", "patched"]).status.code(), Some(1));
    assert_eq!(run(&["scan", all, "--timeout", "0"]).status.code(), Some(2));
    assert_eq!(run(&["scan"]).status.code(), Some(2));
    // --strict refuses before probing, and an existing report survives the failed run.
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "host,port\n127.7.1.1,99999\n").unwrap();
    let report = dir.join("report.csv");
    std::fs::write(&report, "previous report").unwrap();
    let out = run(&["scan", bad.to_str().unwrap(), "--strict", "-o", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2: port \"99999\""));
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "previous report");
    let out = run(&["scan", bad.to_str().unwrap(), "-q", "-o", report.to_str().unwrap()]);
    // Without --strict a bad row is a row; alone, it judged nothing: 2, with the reason.
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing could be judged"));
    assert_eq!(read_csv(&report)[0]["status"], "input-error");
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn baseline_marks_each_rows_change_and_lists_hosts_gone() {
    let dir = temp_dir("baseline");
    let fleet = simulate(&dir, "127.7.2.1", 4);
    let inv = fleet.inventory.to_str().unwrap();
    let first = dir.join("first.csv");
    run(&["scan", inv, "-q", "-o", first.to_str().unwrap()]);
    // Edit the earlier report: host 0 (vulnerable now) was patched, host 1
    // (patched now) was vulnerable, and a host that is no longer listed.
    let text = std::fs::read_to_string(&first).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[1] = lines[1].replacen(",vulnerable,", ",patched,", 1);
    lines[2] = lines[2].replacen(",patched,", ",vulnerable,", 1);
    lines.push(lines[3].replacen("127.7.2.3", "127.7.2.200", 1));
    let edited = dir.join("edited.csv");
    std::fs::write(&edited, lines.join("\n")).unwrap();
    let out = run(&["scan", inv, "--baseline", edited.to_str().unwrap(), "--format", "jsonl"]);
    let rows: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let changes: Vec<&str> = rows.iter().map(|r| r["change"].as_str().unwrap()).collect();
    assert_eq!(changes, ["regressed", "fixed", "unchanged", "unchanged"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("GONE from the inventory: 127.7.2.200:"), "{stderr}");
    assert!(stderr.contains("since the baseline: 1 fixed, 1 regressed, 2 unchanged"), "{stderr}");
    // A JSONL baseline reads the same; a host not in it is new.
    let jsonl = dir.join("first.jsonl");
    run(&["scan", inv, "-q", "--format", "jsonl", "-o", jsonl.to_str().unwrap()]);
    let more = dir.join("more.csv");
    std::fs::write(&more, format!("{}127.7.2.9,443\n", std::fs::read_to_string(&fleet.inventory).unwrap())).unwrap();
    let out = run(&["scan", more.to_str().unwrap(), "--timeout", "1", "--baseline", jsonl.to_str().unwrap()]);
    let rows = csv::Reader::from_reader(&out.stdout[..]).records().map(Result::unwrap).collect::<Vec<_>>();
    let change_at =
        csv::Reader::from_reader(&out.stdout[..]).headers().unwrap().iter().position(|h| h == "change").unwrap();
    let changes: Vec<&str> = rows.iter().map(|r| &r[change_at]).collect();
    assert_eq!(changes, ["unchanged", "unchanged", "unchanged", "unchanged", "new"]);
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Loopback listeners that accept and never answer.
fn silent_servers(n: u8) -> (Vec<std::net::TcpListener>, String) {
    let mut listeners = Vec::new();
    let mut inventory = String::from("host,port\n");
    for i in 1..=n {
        let l = std::net::TcpListener::bind(("127.7.3.".to_string() + &i.to_string(), 0)).unwrap();
        inventory.push_str(&format!("127.7.3.{i},{}\n", l.local_addr().unwrap().port()));
        listeners.push(l);
    }
    (listeners, inventory)
}

#[test]
fn an_interrupted_run_still_writes_every_row() {
    let dir = temp_dir("interrupt");
    let (listeners, inventory) = silent_servers(20);
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, inventory).unwrap();
    let report = dir.join("report.csv");
    let started = Instant::now();
    let mut child = bin()
        .args([
            "scan",
            inv.to_str().unwrap(),
            "-v",
            "--timeout",
            "60",
            "--concurrency",
            "4",
            "-o",
            report.to_str().unwrap(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the scan says its signal handlers are in place (with -v), then interrupt it.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    while !log.contains("signal handlers installed") {
        let mut line = String::new();
        assert!(std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() > 0, "scan ended early: {log}");
        log.push_str(&line);
    }
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    log.push_str(&rest);
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(20), "stopped promptly: {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(2), "{log}");
    let rows = read_csv(&report);
    assert_eq!(rows.len(), 20, "every row written");
    assert!(
        rows.iter().all(|r| r["status"] == "not-scanned"),
        "{:?}",
        rows.iter().map(|r| &r["status"]).collect::<Vec<_>>()
    );
    assert!(log.contains("stopping"), "{log}");
    drop(listeners);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn shards_merged_equal_one_full_scan() {
    let dir = temp_dir("shards");
    let fleet = simulate(&dir, "127.7.4.1", 30);
    let inv = fleet.inventory.to_str().unwrap();
    let full = dir.join("full.csv");
    run(&["scan", inv, "-q", "-o", full.to_str().unwrap()]);
    let mut shards = Vec::new();
    for k in 0..3 {
        let path = dir.join(format!("shard{k}.csv"));
        run(&["scan", inv, "-q", "--shard", &format!("{k}/3"), "-o", path.to_str().unwrap()]);
        shards.push(path);
    }
    let sizes: Vec<usize> = shards.iter().map(|s| read_csv(s).len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 30, "{sizes:?}");
    assert!(sizes.iter().all(|&n| n > 0), "{sizes:?}");
    let merged = dir.join("merged.csv");
    let mut args = vec!["merge", "--inventory", inv, "-o", merged.to_str().unwrap()];
    args.extend(shards.iter().map(|s| s.to_str().unwrap()));
    let out = run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let strip = |rows: Vec<HashMap<String, String>>| {
        rows.into_iter()
            .map(|mut r| {
                r.remove("checked_at");
                r
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(read_csv(&merged)), strip(read_csv(&full)));
    // JSON Lines shards merge into JSON Lines, in inventory order.
    let mut jsonl = Vec::new();
    for k in 0..2 {
        let path = dir.join(format!("shard{k}.jsonl"));
        run(&["scan", inv, "-q", "--format", "jsonl", "--shard", &format!("{k}/2"), "-o", path.to_str().unwrap()]);
        jsonl.push(path);
    }
    let merged_jsonl = dir.join("merged.jsonl");
    let out = run(&[
        "merge",
        "--inventory",
        inv,
        "-o",
        merged_jsonl.to_str().unwrap(),
        jsonl[0].to_str().unwrap(),
        jsonl[1].to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&merged_jsonl).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // Typed JSON Lines: the merged line numbers are numbers, as the shards' were.
    let order: Vec<u64> = lines.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    let want: Vec<u64> = (2..32).collect();
    assert_eq!(order, want);
    // Mixed formats are refused.
    let out = run(&["merge", "--inventory", inv, shards[0].to_str().unwrap(), jsonl[1].to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    // A missing shard: its rows are not-scanned and the merge exits 2.
    let out = run(&["merge", "--inventory", inv, "-o", merged.to_str().unwrap(), shards[0].to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let rows = read_csv(&merged);
    assert_eq!(rows.len(), 30);
    assert_eq!(rows.iter().filter(|r| r["status"] == "not-scanned").count(), 30 - sizes[0]);
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_nightly_script_keeps_reports_compares_and_alerts() {
    let dir = temp_dir("nightly");
    let fleet = simulate(&dir, "127.7.5.1", 3);
    let state = dir.join("state");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nightly.sh");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nightly_with = |env: &[(&str, &str)]| {
        Command::new("bash")
            .arg(script)
            .env("BIN", BIN)
            .env("INVENTORY", &fleet.inventory)
            .env("STATE_DIR", &state)
            .env("EXTRA_ARGS", format!("--ca-cert {}", fleet.ca.display()))
            // The script's `data update` goes to a closed loopback port (never
            // to Microsoft): it fails, and the scan must run all the same.
            .env("EXCHANGE_EXPOSURE_MIRROR", format!("https://127.0.0.1:{closed}"))
            .env("EXCHANGE_EXPOSURE_DATA_DIR", dir.join("data"))
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    let nightly = || nightly_with(&[]);
    let first = nightly();
    assert_eq!(first.status.code(), Some(1), "vulnerable hosts: the scheduler's alert");
    assert!(String::from_utf8_lossy(&first.stderr).contains("VULNERABLE"), "the summary goes to the alert");
    let warned = String::from_utf8_lossy(&first.stderr);
    assert!(warned.contains("warning: data update failed") && warned.contains("source msrc-updates"), "{warned}");
    let latest = state.join("latest.csv");
    let rows = read_csv(&latest);
    assert_eq!(rows.len(), 3);
    assert!(!rows[0].contains_key("change"), "no baseline on the first night");
    let second = nightly();
    assert_eq!(second.status.code(), Some(1));
    let rows = read_csv(&latest);
    assert!(rows.iter().all(|r| r["change"] == "unchanged"), "the second night compares with the first");
    // Alerting on what changed only: the same vulnerable hosts are no alert.
    let third = nightly_with(&[("FAIL_ON_CHANGE", "new,regressed"), ("FAIL_ON", ""), ("DATA_UPDATE", "no")]);
    assert_eq!(third.status.code(), Some(0), "{}", String::from_utf8_lossy(&third.stderr));
    assert!(!String::from_utf8_lossy(&third.stderr).contains("data update"), "DATA_UPDATE=no skips it");
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_terminal_gets_a_progress_bar_and_a_pipe_does_not() {
    let dir = temp_dir("progress");
    let fleet = simulate(&dir, "127.7.6.1", 40);
    let report = dir.join("r.csv");
    let cmd = format!("{BIN} scan {} -o {} --concurrency 2", fleet.inventory.display(), report.display());
    // `script` (util-linux) gives the scan a terminal.
    let Ok(out) = Command::new("script").args(["-qec", &cmd, "/dev/null"]).output() else {
        skipped("no `script` here to give the run a terminal");
        return;
    };
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("/40 hosts") && shown.contains("hosts/s") && shown.contains("ETA"), "{shown}");
    let piped = run(&["scan", fleet.inventory.to_str().unwrap(), "-o", report.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("/40 hosts"));
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}
