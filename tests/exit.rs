//! End-to-end: an exit status that cannot lie (issue 12). A run that judged
//! nothing is 2 with a one-line reason; a reader closing stdout early does
//! not turn a run with findings into 0.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn a_run_that_judged_nothing_exits_2_with_the_reason() {
    let dir = temp_dir("exit-nothing");
    let port = closed_port();
    let cases = [
        ("empty.csv", String::new(), "the input has no rows"),
        ("header-only.csv", "host,port\n".to_string(), "the input has no rows"),
        ("all-bad.csv", "host,port\n127.0.0.1,70000\n,\n".to_string(), "every row is input-error"),
        ("all-dead.csv", format!("host,port\n127.0.0.1,{port}\n"), "every row is unreachable"),
        ("bad-and-dead.csv", format!("host,port\n127.0.0.1,{port}\n127.0.0.1,0\n"), "unreachable or input-error"),
    ];
    for (name, text, why) in cases {
        let inv = dir.join(name);
        std::fs::write(&inv, text).unwrap();
        let out =
            run(&["scan", inv.to_str().unwrap(), "-q", "--timeout", "2", "-o", dir.join("r.csv").to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains("nothing could be judged") && stderr.contains(why), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line, even with -q: {stderr}");
    }
    // One row that reached a build is enough: the usual rule applies.
    let inv = dir.join("mixed.csv");
    std::fs::write(&inv, format!("host,port,build\n127.0.0.1,{port},\n,,15.1.2176.2\n")).unwrap();
    let out = run(&["scan", inv.to_str().unwrap(), "-q", "--timeout", "2"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_with_no_builds_judged_nothing() {
    let mut child = bin().arg("check").stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    drop(child.stdin.take());
    assert_eq!(child.wait().unwrap().code(), Some(2));
}

#[test]
fn a_reader_closing_stdout_early_does_not_make_findings_exit_0() {
    let dir = temp_dir("exit-pipe");
    let inv = dir.join("inv.csv");
    // Host-less rows with a vulnerable build: judged offline, far more than a pipe buffer.
    let mut text = String::from("build\n");
    for _ in 0..5000 {
        text.push_str("15.1.2176.2\n");
    }
    std::fs::write(&inv, text).unwrap();
    let mut child =
        bin().args(["scan", inv.to_str().unwrap()]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap(); // then `head -1` closes
    assert!(first.starts_with("host,port,status"), "{first}");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stdout was closed before the report was complete"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_empty_shard_of_a_non_empty_inventory_is_not_a_failure() {
    let dir = temp_dir("exit-shard");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, "build\n15.1.2176.2\n").unwrap();
    let mut codes: Vec<i32> = (0..2)
        .map(|k| {
            let out = run(&["scan", inv.to_str().unwrap(), "-q", "--shard", &format!("{k}/2")]);
            out.status.code().unwrap()
        })
        .collect();
    codes.sort();
    assert_eq!(codes, [0, 1], "the empty shard is 0, the one with the vulnerable row 1");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A numeric flag out of its range is a clear error (exit 2) naming the
/// range, never a panic (exit 101).
#[test]
fn numeric_flags_out_of_range_are_refused_with_their_range() {
    let dir = temp_dir("exit-ranges");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, "build\n15.1.2176.2\n").unwrap();
    let report = dir.join("r.csv");
    for (flag, value, want) in [
        ("--stats-every", "9223372036854775807", "from 0 (no status lines) to 86400"),
        ("--timeout", "0", "above 0, at most 600"),
        ("--connect-timeout", "601", "above 0, at most 600"),
        ("--concurrency", "0", "from 1 to 4096"),
        ("--rate", "0", "above 0"),
    ] {
        let out = run(&["scan", inv.to_str().unwrap(), flag, value, "-o", report.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(stderr.contains(flag) && stderr.contains(want), "{flag} {value}: {stderr}");
        assert!(!report.exists(), "{flag} {value}: refused before any report");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
