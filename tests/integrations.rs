//! The formats other tools read: DefectDojo's Generic Findings Import JSON
//! (checked against the rules of DefectDojo's generic JSON parser,
//! `dojo/tools/generic/json_parser.py`: `title`, `severity`, `description`
//! required, no key outside its allowed list, a severity of
//! `Finding.SEVERITIES`) and JUnit XML (read back with quick-xml's reader, an
//! XML parser independent of the writer).

mod common;

use common::*;
use quick_xml::events::Event;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The keys DefectDojo's generic JSON parser accepts in a finding
/// (`required` and `allowed` in dojo/tools/generic/json_parser.py), and the
/// ones it requires.
const REQUIRED: [&str; 3] = ["title", "severity", "description"];
const ALLOWED: &[&str] = &[
    "date",
    "cwe",
    "cve",
    "epss_score",
    "epss_percentile",
    "cvssv3",
    "cvssv3_score",
    "cvssv4",
    "cvssv4_score",
    "mitigation",
    "impact",
    "steps_to_reproduce",
    "severity_justification",
    "references",
    "active",
    "verified",
    "false_p",
    "out_of_scope",
    "risk_accepted",
    "under_review",
    "is_mitigated",
    "thread_id",
    "mitigated",
    "numerical_severity",
    "param",
    "payload",
    "line",
    "file_path",
    "component_name",
    "component_version",
    "static_finding",
    "dynamic_finding",
    "scanner_confidence",
    "unique_id_from_tool",
    "vuln_id_from_tool",
    "sast_source_object",
    "sast_sink_object",
    "sast_source_line",
    "sast_source_file_path",
    "nb_occurences",
    "publish_date",
    "service",
    "planned_remediation_date",
    "planned_remediation_version",
    "effort_for_fixing",
    "tags",
    "kev_date",
    "known_exploited",
    "ransomware_used",
    "fix_available",
    "fix_version",
    "endpoints",
    "files",
    "vulnerability_ids",
    "cwes",
];
/// `Finding.SEVERITIES` in dojo/models.py.
const SEVERITIES: [&str; 5] = ["Critical", "High", "Medium", "Low", "Info"];

/// The findings of a DefectDojo document, each checked against the parser's rules.
fn dojo_findings(path: &Path) -> Vec<serde_json::Map<String, Value>> {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let findings = doc["findings"].as_array().expect("a findings array").clone();
    findings
        .into_iter()
        .map(|f| {
            let f = f.as_object().expect("a finding is an object").clone();
            for key in REQUIRED {
                assert!(f.contains_key(key), "missing {key}: {f:?}");
            }
            for key in f.keys() {
                assert!(ALLOWED.contains(&key.as_str()) || REQUIRED.contains(&key.as_str()), "not allowed: {key}");
            }
            assert!(SEVERITIES.contains(&f["severity"].as_str().unwrap()), "{:?}", f["severity"]);
            // The parser reads `date` with dateutil: a plain ISO date.
            let date = f["date"].as_str().unwrap();
            assert!(date.parse::<jiff::civil::Date>().is_ok(), "{date}");
            f
        })
        .collect()
}

/// A JUnit document read back: per suite (name, tests, failures attribute),
/// its cases (name, whether it has a failure).
type Suites = Vec<(String, usize, usize, Vec<(String, bool)>)>;

fn junit(path: &Path) -> Suites {
    let text = std::fs::read_to_string(path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut suites: Suites = Vec::new();
    let attr = |e: &quick_xml::events::BytesStart, name: &str| -> String {
        e.try_get_attribute(name).unwrap().map(|a| a.unescape_value().unwrap().into_owned()).unwrap_or_default()
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == b"testsuite" => suites.push((
                attr(&e, "name"),
                attr(&e, "tests").parse().unwrap(),
                attr(&e, "failures").parse().unwrap(),
                Vec::new(),
            )),
            Event::Start(e) if e.name().as_ref() == b"testcase" => {
                suites.last_mut().unwrap().3.push((attr(&e, "name"), false));
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"failure" => {
                suites.last_mut().unwrap().3.last_mut().unwrap().1 = true;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    suites
}

#[test]
fn a_scan_s_defectdojo_findings_follow_the_parser_s_rules_and_keep_their_ids() {
    let dir = temp_dir("dojo");
    let (inv, _) = example_inventory(&dir);
    let mut ids = Vec::new();
    for run_no in 0..2 {
        let dojo = dir.join(format!("run{run_no}.dojo.json"));
        let csv = dir.join(format!("run{run_no}.csv"));
        let out = run(&[
            "demo",
            "--inventory",
            inv.to_str().unwrap(),
            "-o",
            dojo.to_str().unwrap(),
            "-o",
            csv.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        let findings = dojo_findings(&dojo);
        let rows: Vec<BTreeMap<String, String>> = read_csv(&csv).into_iter().map(|r| r.into_iter().collect()).collect();
        // One finding per host and open CVE, one per vulnerable verdict.
        let open: usize = rows.iter().map(|r| r["open_cves"].split(';').filter(|c| !c.is_empty()).count()).sum();
        let vulnerable = rows.iter().filter(|r| r["status"] == "vulnerable").count();
        assert!(vulnerable > 0 && open > 0);
        assert_eq!(findings.len(), open + vulnerable);
        let verdicts: Vec<_> = findings.iter().filter(|f| f["vuln_id_from_tool"] == "proxylogon").collect();
        assert_eq!(verdicts.len(), vulnerable);
        for f in &verdicts {
            // A row without a host (a build from the inventory) is named by its build.
            let name = |r: &BTreeMap<String, String>| {
                if r["host"].is_empty() { r["build"].clone() } else { r["host"].clone() }
            };
            let row = rows.iter().find(|r| format!("{}:{}:proxylogon", name(r), r["port"]) == f["unique_id_from_tool"]);
            let row = row.expect("a verdict finding names its row");
            assert_eq!(f["cve"], row["cves"].split(';').next().unwrap());
            assert_eq!(f["component_version"], row["build"].as_str());
            assert_eq!(f["fix_version"], row["fixed_build"].as_str());
            assert_eq!(f["component_name"], format!("{} {}", row["product"], row["cu"]).as_str());
            let description = f["description"].as_str().unwrap();
            assert!(description.contains(&row["build"]) && description.contains(&row["source"]), "{description}");
        }
        for f in findings.iter().filter(|f| f["vuln_id_from_tool"] != "proxylogon") {
            let cve = f["cve"].as_str().unwrap();
            assert!(f["unique_id_from_tool"].as_str().unwrap().ends_with(&format!(":{cve}")));
            assert!(f["references"].as_str().unwrap().ends_with(cve));
        }
        let mut these: Vec<String> =
            findings.iter().map(|f| f["unique_id_from_tool"].as_str().unwrap().to_string()).collect();
        let unique: BTreeSet<&String> = these.iter().collect();
        assert_eq!(unique.len(), these.len(), "ids are unique");
        these.sort();
        ids.push(these);
    }
    assert_eq!(ids[0], ids[1], "a re-run gives the same ids");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn junit_has_a_suite_per_advisory_a_case_per_host_and_fails_the_fail_on_statuses() {
    let dir = temp_dir("junit");
    let path = dir.join("exposure.junit.xml");
    let builds = ["15.1.2176.2", "15.2.1544.4", "15.1.2507.6"];
    let mut args = vec!["check", "--advisory", "proxylogon,proxyshell", "-o", path.to_str().unwrap()];
    args.extend(builds);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let suites = junit(&path);
    let names: Vec<&str> = suites.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, ["proxylogon", "proxyshell"]);
    for (_, tests, failures, cases) in &suites {
        assert_eq!(*tests, builds.len());
        assert_eq!(cases.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), builds);
        assert_eq!(*failures, cases.iter().filter(|c| c.1).count());
    }
    // 15.1.2176.2 (2016 CU19, March 2021) is vulnerable to both; CU14 of 2019 to neither.
    let failed = |suite: usize, case: usize| suites[suite].3[case].1;
    assert!(failed(0, 0) && failed(1, 0));
    assert!(!failed(0, 1) && !failed(1, 1));

    // A clean run: N passed, not 0 tests; --fail-on decides what fails.
    let out = run(&["check", "-o", path.to_str().unwrap(), "15.2.1544.4", "15.1.2507.6"]);
    assert_eq!(out.status.code(), Some(0));
    let suites = junit(&path);
    assert_eq!((suites[0].1, suites[0].2), (2, 0));
    let out = run(&["check", "--fail-on", "patched", "-o", path.to_str().unwrap(), "15.2.1544.4", "15.1.2176.2"]);
    assert_eq!(out.status.code(), Some(1));
    let cases: BTreeMap<String, bool> = junit(&path)[0].3.iter().cloned().collect();
    assert!(cases["15.2.1544.4"]);
    assert!(!cases["15.1.2176.2"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_xdg_config_file_and_the_environment_reach_every_command_and_config_show_says_so() {
    let dir = temp_dir("config-file");
    let xdg = dir.join("xdg");
    std::fs::create_dir_all(xdg.join("exchange-exposure")).unwrap();
    std::fs::write(xdg.join("exchange-exposure/config.toml"), "fail-on = [\"patched\"]\nformat = \"jsonl\"\n").unwrap();
    let bin = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(BIN);
        // Never the real home or /etc: the XDG file exists, so it is the one read.
        cmd.args(args).env("XDG_CONFIG_HOME", &xdg).env("HOME", &dir).env_remove("EXCHANGE_EXPOSURE_CONFIG");
        cmd.envs(env.iter().copied()).output().unwrap()
    };
    // The file's fail-on makes a patched build fail, in JSON Lines.
    let out = bin(&["check", "15.2.1544.4"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with('{'));
    // The environment beats the file; the flag beats both.
    let out = bin(&["check", "15.2.1544.4"], &[("EXCHANGE_EXPOSURE_FAIL_ON", "vulnerable")]);
    assert_eq!(out.status.code(), Some(0));
    let out = bin(&["check", "--fail-on", "patched", "15.2.1544.4"], &[("EXCHANGE_EXPOSURE_FAIL_ON", "vulnerable")]);
    assert_eq!(out.status.code(), Some(1));
    let out = bin(&["config", "show"], &[("EXCHANGE_EXPOSURE_CONCURRENCY", "12")]);
    let shown = String::from_utf8_lossy(&out.stdout);
    let file = xdg.join("exchange-exposure/config.toml");
    assert!(shown.contains(&format!("fail-on = [\"patched\"]  # config file ({})", file.display())), "{shown}");
    assert!(shown.contains("concurrency = 12  # environment (EXCHANGE_EXPOSURE_CONCURRENCY)"), "{shown}");
    assert!(shown.contains("timeout = 10  # default"), "{shown}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A loopback webhook receiver: answers each POST with `status`, keeps the
/// bodies; `count` requests are served.
fn receiver(status: &'static str, count: usize) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/secret-token", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(count) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut length, mut line) = (0usize, String::new());
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = tx.send(String::from_utf8(body).unwrap());
            let _ = write!(stream, "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, rx)
}

#[test]
fn notify_posts_one_summary_on_findings_and_a_failing_receiver_is_a_warning_and_a_metric() {
    let dir = temp_dir("notify");
    let fleet = simulate(&dir, "127.25.0.1", 3);
    let (good, bodies) = receiver("200 OK", 1);
    let (bad, tried) = receiver("500 Internal Server Error", 4);
    let report = dir.join("exposure.csv");
    let metrics = dir.join("scan.prom");
    let inv = fleet.inventory.to_str().unwrap();
    let ca = fleet.ca.to_str().unwrap();
    let r = report.to_str().unwrap();
    let m = metrics.to_str().unwrap();
    let out = run(&["scan", inv, "--ca-cert", ca, "-o", r, "--metrics", m, "--notify", &good, "--notify", &bad]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // The report is whole, whatever the receivers did.
    assert_eq!(read_csv(&report).len(), 3);
    let body: Value = serde_json::from_str(&bodies.recv_timeout(std::time::Duration::from_secs(5)).unwrap()).unwrap();
    assert_eq!(body["exit_status"], 1);
    assert_eq!(body["hosts"], 3);
    assert_eq!(body["counts"]["vulnerable"], read_csv(&report).iter().filter(|r| r["status"] == "vulnerable").count());
    assert!(body["text"].as_str().unwrap().starts_with("exchange-exposure: "), "{body}");
    assert_eq!(body["reports"][0], r);
    // The failing receiver was tried four times (three retries), then a warning without the secret.
    assert_eq!(tried.iter().take(4).count(), 4);
    assert!(stderr.contains("warning: notification to http://127.0.0.1/… failed after 4 attempts"), "{stderr}");
    assert!(!stderr.contains("secret-token"), "{stderr}");
    let prom = std::fs::read_to_string(&metrics).unwrap();
    assert!(prom.contains("\nexchange_exposure_notify_failures 1\n"), "{prom}");

    // A clean run posts nothing.
    let (quiet, none) = receiver("200 OK", 1);
    let out = run(&["scan", inv, "--ca-cert", ca, "--fail-on", "input-error", "-o", r, "--notify", &quiet]);
    assert_eq!(out.status.code(), Some(0));
    assert!(none.recv_timeout(std::time::Duration::from_millis(300)).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_and_the_man_page_give_the_exit_statuses_and_every_install_line_is_locked() {
    let help = String::from_utf8(run(&["--help"]).stdout).unwrap();
    assert!(help.contains("Exit status:\n  0  finished") && help.contains("\n  2  could not do its job"), "{help}");
    let man = String::from_utf8(run(&["--generate", "man"]).stdout).unwrap();
    assert!(man.contains(".SH \"EXIT STATUS\"\n.TP\n.B 0\n"), "man page without EXIT STATUS");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let lines: Vec<&str> =
        readme.lines().filter(|l| l.starts_with("cargo install") || l.starts_with("cargo build")).collect();
    assert!(lines.contains(&"cargo install --locked --path ."), "{lines:?}");
    assert!(lines.iter().all(|l| l.contains("--locked")), "{lines:?}");
    let cargo: toml::Table =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap().parse().unwrap();
    assert_eq!(cargo["profile"]["release"]["strip"].as_str(), Some("symbols"));
    assert_eq!(cargo["profile"]["profiling"]["debug"].as_str(), Some("line-tables-only"));
}
