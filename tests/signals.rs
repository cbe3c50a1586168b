//! End-to-end: SIGINT, SIGTERM and SIGHUP end a scan in order — the rows
//! read so far written, exit 2, no temporary file left — even while a stdin
//! inventory sends nothing more (issue 12). Loopback only: the one host is a
//! closed port on 127.0.0.1.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Reads stderr lines until one contains `want`; returns what was read.
fn wait_for(stderr: &mut impl BufRead, want: &str) -> String {
    let mut log = String::new();
    while !log.contains(want) {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "scan ended before {want:?}: {log}");
        log.push_str(&line);
    }
    log
}

#[test]
fn a_signal_ends_a_run_whose_stdin_stalls_writing_what_was_read() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for signal in ["INT", "TERM", "HUP"] {
        let dir = temp_dir(&format!("signal-{signal}"));
        let report = dir.join("r.csv");
        let mut child = bin()
            .args(["scan", "-", "-v", "--timeout", "60", "-o", report.to_str().unwrap()])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut log = wait_for(&mut stderr, "signals handled; reading the inventory");
        write!(stdin, "host,port\n127.0.0.1,{port}\n").unwrap();
        stdin.flush().unwrap();
        log.push_str(&wait_for(&mut stderr, "probed")); // the row was read and probed; stdin stays open
        let started = Instant::now();
        assert!(
            Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap().success()
        );
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
        log.push_str(&rest);
        let status = child.wait().unwrap();
        assert!(started.elapsed() < Duration::from_secs(10), "SIG{signal}: ended in {:?}", started.elapsed());
        assert_eq!(status.code(), Some(2), "SIG{signal}: {log}");
        let rows = read_csv(&report);
        assert_eq!(rows.len(), 1, "SIG{signal}: the row read was written: {log}");
        assert_eq!(rows[0]["status"], "unreachable");
        assert_eq!(names_in(&dir), ["r.csv"], "SIG{signal}: no temporary file left");
        drop(stdin);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_signal_before_the_header_arrives_ends_the_run_at_once() {
    let dir = temp_dir("signal-early");
    let report = dir.join("r.csv");
    let mut child = bin()
        .args(["scan", "-", "-v", "-o", report.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap(); // open, silent
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    wait_for(&mut stderr, "signals handled; reading the inventory");
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let log = wait_for(&mut stderr, "interrupted before the scan started");
    assert_eq!(child.wait().unwrap().code(), Some(2), "{log}");
    assert!(names_in(&dir).is_empty(), "nothing written, nothing left");
    drop(stdin);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn headers_leaves_no_temporary_file_when_signalled() {
    let dir = temp_dir("signal-headers");
    let report = dir.join("r.csv");
    let mut child = bin()
        .args(["headers", "-", "-o", report.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap(); // open, silent: `headers` waits for it
    // The temporary report appears once the handlers are in place.
    let deadline = Instant::now() + Duration::from_secs(20);
    while names_in(&dir).is_empty() {
        assert!(Instant::now() < deadline, "no temporary report appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(Command::new("kill").args(["-HUP", &child.id().to_string()]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(names_in(&dir).is_empty(), "the temporary file is gone: {:?}", names_in(&dir));
    drop(stdin);
    std::fs::remove_dir_all(&dir).unwrap();
}
