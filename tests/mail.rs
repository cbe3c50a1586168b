//! End-to-end: `headers` on test messages written for this project
//! (fixtures/mail): 2013, 2016 (folded), 2019 and SE hops, Exchange Online
//! hops, an mbox with two sightings of one server, and a message with no
//! Exchange at all.

mod common;

use common::*;
use std::collections::HashMap;

fn fixture(name: &str) -> String {
    format!("{}/fixtures/mail/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn rows(out: &std::process::Output) -> Vec<HashMap<String, String>> {
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    let headers = rdr.headers().unwrap().clone();
    rdr.records().map(|r| headers.iter().map(String::from).zip(r.unwrap().iter().map(String::from)).collect()).collect()
}

#[test]
fn every_exchange_hop_in_the_test_messages() {
    let files = [
        "exchange2013.eml",
        "exchange2016-folded.eml",
        "exchange2019-se.eml",
        "cloud.eml",
        "no-exchange.eml",
        "history.mbox",
    ];
    let paths: Vec<String> = files.iter().map(|f| fixture(f)).collect();
    let mut args = vec!["headers"];
    args.extend(paths.iter().map(String::as_str));
    let out = run(&args);
    assert_eq!(out.status.code(), Some(1), "a vulnerable 2013 server: {}", String::from_utf8_lossy(&out.stderr));
    let got: Vec<(String, String, String, String, String)> = rows(&out)
        .into_iter()
        .map(|r| {
            (r["host"].clone(), r["status"].clone(), r["build"].clone(), r["product"].clone(), r["checked_at"].clone())
        })
        .collect();
    let want = [
        ("ex13-mbx.corp.example", "vulnerable", "15.0.1497.2", "Exchange 2013", "2024-06-03T06:15:02Z"),
        ("ex16-02.corp.example", "patched", "15.1.2176.9", "Exchange 2016", "2021-03-09T16:40:11Z"),
        ("ex19-hub.corp.example", "patched", "15.2.1748.10", "Exchange 2019", "2025-03-14T11:02:33Z"),
        ("se-mbx01.corp.example", "patched", "15.2.2562.17", "Exchange SE", "2025-03-14T11:02:31Z"),
        ("am9pr01mb5678.eurprd01.prod.outlook.com", "not-affected", "15.20.8048.20", "", "2024-10-02T09:00:02Z"),
        ("db1pepf0000abcd.mail.protection.outlook.com", "not-affected", "15.20.8048.20", "", "2024-10-02T09:00:01Z"),
        ("ex16-03.corp.example", "patched", "15.1.2176.14", "Exchange 2016", "2021-05-18T09:00:00Z"),
    ];
    let want: Vec<(String, String, String, String, String)> =
        want.iter().map(|w| (w.0.into(), w.1.into(), w.2.into(), w.3.into(), w.4.into())).collect();
    assert_eq!(got, want);
    let all = rows(&out);
    assert!(all.iter().all(|r| r["source"] == "mail-header"));
    assert!(all[0]["detail"].contains("seen in a mail header dated 2024-06-03T06:15:02Z"), "{}", all[0]["detail"]);
    assert!(all[4]["detail"].contains("Exchange Online"), "{}", all[4]["detail"]);
}

#[test]
fn a_message_without_exchange_gives_no_rows_and_exit_0() {
    let out = run(&["headers", &fixture("no-exchange.eml")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(rows(&out).is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Exchange hop"));
}

#[test]
fn pasted_headers_on_stdin_with_jsonl() {
    use std::io::Write;
    let mut child = bin()
        .args(["headers", "-", "--format", "jsonl", "--advisory", "all"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pasted = "Received: from a by EX16.corp.example with mapi id 15.1.2507.6; Thu, 1 Dec 2022 10:00:00 +0000\n";
    child.stdin.take().unwrap().write_all(pasted.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let row: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(row["status_proxylogon"], "patched");
    assert_eq!(row["status_proxynotshell"], "vulnerable");
    // 2016 CU23 base: the 16 public updates May 2022 to October 2025 and the 7 ESU-only ones to
    // Sep26SUv2 (2016 was in ESU; Oct26SU has no primary source).
    assert_eq!(row["sus_behind"], 23, "a number");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(run(&["headers", "/nonexistent/mail.eml"]).status.code(), Some(2));
}
