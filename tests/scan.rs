//! End-to-end: the real binary's `simulate`, `scan` and `demo` against the
//! lab fleet over TLS on loopback. Each test uses its own 127.x range.

mod common;

use common::*;

#[test]
fn every_lab_host_is_judged_as_its_personality_expects() {
    let dir = temp_dir("fleet");
    let fleet = simulate(&dir, "127.3.0.1", 44);
    let report = dir.join("report.csv");
    let out = run(&[
        "scan",
        fleet.inventory.to_str().unwrap(),
        "-o",
        report.to_str().unwrap(),
        "--ca-cert",
        fleet.ca.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "vulnerable hosts exit 1; stderr: {stderr}");
    assert!(stderr.contains("44 rows:") && stderr.contains("VULNERABLE 127.3.0.1:"), "{stderr}");
    // The catalog's age (its newest release) is in every summary.
    assert!(stderr.contains("release catalog: newest release 2026-10-02"), "{stderr}");
    let rows = read_csv(&report);
    assert_eq!(rows.len(), 44, "rows in = rows out");
    let inventory = read_csv(&fleet.inventory);
    for (row, inv) in rows.iter().zip(&inventory) {
        assert_eq!((&row["host"], &row["port"]), (&inv["host"], &inv["port"]), "inventory order");
        assert_eq!(row["status"], inv["expected_status"], "{}: {}", inv["personality"], row["detail"]);
        assert_eq!(row["personality"], inv["personality"], "pass-through column");
        assert!(row["table"].starts_with("proxylogon-2021-03@"));
        assert!(row["checked_at"].ends_with('Z'));
        if row["status"] != "unreachable" {
            // The legacy personalities are reached over the OpenSSL fallback, and say so.
            let want = match inv["personality"].as_str() {
                "ex2010-sp3-tls10-only" => "verified; legacy TLSv1.0 ECDHE-RSA-AES256-SHA",
                "ex2013-cu23-2012r2-suites" => "verified; legacy TLSv1.2 ECDHE-RSA-AES256-SHA384",
                "ex2016-cu19-rsa-kex-only" => "verified; legacy TLSv1.2 AES256-GCM-SHA384",
                "ex2016-cu19-1024-bit-key" => "verified; legacy TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384, 1024-bit key",
                _ => "verified",
            };
            assert_eq!(row["tls"], want, "{}", inv["personality"]);
            assert_eq!(
                row["detail"].contains("only obsolete TLS"),
                want.contains("legacy"),
                "{}: {}",
                inv["personality"],
                row["detail"]
            );
        }
    }
    let by_name = |name: &str| rows.iter().find(|r| r["personality"] == name).unwrap();
    let unpatched = by_name("ex2016-cu19-unpatched");
    assert_eq!(
        (&*unpatched["build"], &*unpatched["source"], &*unpatched["fixed_build"], &*unpatched["fe_servers"]),
        // No manifest is asked once the header gave a full build.
        ("15.1.2176.2", "header+logon-page", "15.1.2176.9", "EX16A")
    );
    assert_eq!(by_name("header-stripped")["precision"], "cu");
    assert_eq!(by_name("header-stripped")["build"], "15.1.2176");
    assert_eq!(by_name("manifest-only")["source"], "exporttool");
    assert_eq!(by_name("zero-padded-header")["build"], "15.1.2176.9");
    assert_eq!(by_name("ex2010-sp3-ru31")["cves"], "CVE-2021-26857");
    let pair = by_name("load-balanced-pair");
    assert_eq!(pair["fe_servers"], "EX16G;EX16H");
    assert!(pair["detail"].contains("EX16H runs 15.1.2176.2 (vulnerable)"), "{}", pair["detail"]);
    let conflict = by_name("header-page-conflict");
    assert!(conflict["detail"].contains("15.2.2562.37") && conflict["detail"].contains("15.2.1748"));
    assert!(by_name("down")["detail"].contains("Connection refused"), "{}", by_name("down")["detail"]);
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn tls_is_recorded_unverified_without_the_ca_and_refused_when_required() {
    let dir = temp_dir("tls");
    let fleet = simulate(&dir, "127.4.0.1", 2);
    let inv = fleet.inventory.to_str().unwrap();
    let out = run(&["scan", inv, "--format", "jsonl"]);
    let rows: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row["tls"], "unverified: issuer not trusted (self-signed or internal CA)");
    }
    assert_eq!(rows[0]["status"], "vulnerable", "an unverified host is still probed");
    let strict = run(&["scan", inv, "--require-valid-tls", "--fail-on", "unreachable"]);
    // Every row unreachable: nothing was judged, which outranks --fail-on (issue 12).
    assert_eq!(strict.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&strict.stderr).contains("nothing could be judged"));
    let rows = csv::Reader::from_reader(&strict.stdout[..]).records().map(Result::unwrap).collect::<Vec<_>>();
    assert!(rows.iter().all(|r| &r[2] == "unreachable" && r[10].starts_with("certificate not trusted")), "{rows:?}");
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unusable_output_or_inventory_exits_2_before_probing() {
    let dir = temp_dir("exit2");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, "host\n127.0.0.1\n").unwrap();
    let out = run(&["scan", inv.to_str().unwrap(), "-o", "/nonexistent-dir/report.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent-dir/report.csv"));
    let out = run(&["scan", dir.join("missing.csv").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open inventory"));
    // Several -o: every one is checked before probing; a bad one leaves no file at all.
    let good = dir.join("good.csv");
    let out = run(&["scan", inv.to_str().unwrap(), "-o", good.to_str().unwrap(), "-o", "/nonexistent-dir/r.html"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent-dir/r.html"));
    assert!(!good.exists(), "nothing written when one report path is unusable");
    let out = run(&["scan", inv.to_str().unwrap(), "-o", good.to_str().unwrap(), "-o", inv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("which this run reads"));
    assert_eq!(std::fs::read_to_string(&inv).unwrap(), "host\n127.0.0.1\n");
    assert!(!good.exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn demo_scans_the_example_inventory_on_loopback_only() {
    let dir = temp_dir("demo");
    let (inv, example) = example_inventory(&dir);
    let report = dir.join("exposure.csv");
    let out = run(&["demo", "--inventory", inv.to_str().unwrap(), "-o", report.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("report: ") && stderr.contains("VULNERABLE"), "{stderr}");
    let rows = read_csv(&report);
    assert_eq!(rows.len(), example.lines().count() - 1);
    assert!(rows.iter().any(|r| r["status"] == "input-error"));
    // The four old-Windows lab hosts are judged over the legacy fallback, and the summary says so.
    assert!(stderr.contains("legacy TLS: 4 rows reached only over obsolete TLS"), "{stderr}");
    let legacy = rows.iter().find(|r| r["hostname"] == "lab-ex2010-tls10.lab.invalid").unwrap();
    assert_eq!((&*legacy["status"], &*legacy["tls"]), ("vulnerable", "verified; legacy TLSv1.0 ECDHE-RSA-AES256-SHA"));
    // A non-loopback address is refused before anything is started.
    std::fs::write(&inv, "host,port\n10.0.0.1,443\n").unwrap();
    let out = run(&["demo", "--inventory", inv.to_str().unwrap(), "-o", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// A minimal CONNECT proxy on loopback that counts the tunnels it opened.
fn connect_proxy() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let tunnels = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = tunnels.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let count = count.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let target = head.split_whitespace().nth(1).unwrap_or_default().to_string();
                assert!(head.starts_with("CONNECT "), "{head}");
                let Ok(mut server) = std::net::TcpStream::connect(&target) else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap();
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c2, &mut s2);
                    let _ = s2.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut server, &mut client);
                let _ = client.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    (url, tunnels)
}

#[test]
fn proxy_is_used_only_when_asked() {
    let dir = temp_dir("proxy");
    let fleet = simulate(&dir, "127.6.0.1", 3);
    let (proxy, tunnels) = connect_proxy();
    let inv = fleet.inventory.to_str().unwrap();
    let out = run(&["scan", inv, "--proxy", &proxy, "--ca-cert", fleet.ca.to_str().unwrap()]);
    let rows = csv::Reader::from_reader(&out.stdout[..]).records().map(Result::unwrap).collect::<Vec<_>>();
    let statuses: Vec<&str> = rows.iter().map(|r| &r[2]).collect();
    assert_eq!(statuses, ["vulnerable", "patched", "vulnerable"]);
    assert!(rows.iter().all(|r| &r[11] == "verified"), "TLS runs end to end inside the tunnel");
    let through_proxy = tunnels.load(std::sync::atomic::Ordering::SeqCst);
    assert!(through_proxy >= 3, "{through_proxy} tunnels");
    // The proxy variables other tools honour do not redirect a scan.
    let direct = bin().args(["scan", inv]).env("HTTPS_PROXY", &proxy).env("https_proxy", &proxy).output().unwrap();
    assert_eq!(direct.status.code(), Some(1));
    assert_eq!(tunnels.load(std::sync::atomic::Ordering::SeqCst), through_proxy, "no proxy without --proxy");
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_host_name_is_resolved_sent_as_sni_and_every_address_is_tried() {
    let dir = temp_dir("names");
    // One lab server on 127.0.0.1; "localhost" may resolve to ::1 first, where nothing listens.
    let fleet = simulate(&dir, "127.0.0.1", 1);
    let port = read_csv(&fleet.inventory)[0]["port"].clone();
    let inv = dir.join("names.csv");
    // (No unresolvable name here: looking one up would ask a DNS server off this machine.)
    std::fs::write(&inv, format!("host,port\nlocalhost,{port}\n")).unwrap();
    let out = run(&[
        "scan",
        inv.to_str().unwrap(),
        "--ca-cert",
        fleet.ca.to_str().unwrap(),
        "--format",
        "jsonl",
        "--timeout",
        "2",
    ]);
    let rows: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows[0]["host"], "localhost");
    assert_eq!(rows[0]["status"], "vulnerable", "{}", rows[0]["detail"]);
    // The lab certificate names 127.0.0.1, not "localhost": the name went into SNI and was checked.
    assert_eq!(rows[0]["tls"], "unverified: certificate not issued for this host");
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_legacy_fallback_goes_through_the_proxy_tunnel_too() {
    let dir = temp_dir("legacy-proxy");
    let fleet = simulate(&dir, "127.6.1.1", 26);
    let (proxy, tunnels) = connect_proxy();
    // Only the TLS 1.0-only Exchange 2010 of the fleet.
    let row = read_csv(&fleet.inventory).into_iter().find(|r| r["personality"] == "ex2010-sp3-tls10-only").unwrap();
    let inv = dir.join("one.csv");
    std::fs::write(&inv, format!("host,port\n{},{}\n", row["host"], row["port"])).unwrap();
    let out = run(&[
        "scan",
        inv.to_str().unwrap(),
        "--proxy",
        &proxy,
        "--ca-cert",
        fleet.ca.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    let row: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(row["status"], "vulnerable", "{}", row["detail"]);
    assert_eq!(row["tls"], "verified; legacy TLSv1.0 ECDHE-RSA-AES256-SHA");
    // One tunnel for rustls' attempt, a fresh one for the fallback's session.
    assert!(tunnels.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_low_open_file_limit_lowers_concurrency_and_no_host_pays_for_it() {
    use std::os::unix::process::CommandExt;
    let dir = temp_dir("nofile");
    let fleet = simulate(&dir, "127.6.2.1", 52);
    let report = dir.join("report.csv");
    let mut scan = bin();
    scan.args(["scan", fleet.inventory.to_str().unwrap(), "--concurrency", "512", "--ca-cert"])
        .arg(&fleet.ca)
        .arg("-o")
        .arg(&report);
    // SAFETY: setrlimit is async-signal-safe; the child only lowers its own limit.
    unsafe {
        scan.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 64, rlim_max: 64 };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = scan.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--concurrency lowered to 16"), "{stderr}");
    let rows = read_csv(&report);
    let inventory = read_csv(&fleet.inventory);
    assert_eq!(rows.len(), 52);
    for (row, inv) in rows.iter().zip(&inventory) {
        assert_eq!(row["status"], inv["expected_status"], "{}: {}", inv["personality"], row["detail"]);
    }
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}
