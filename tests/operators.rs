//! End-to-end: the operators' interfaces of issue 16 — `--target`, CIDR
//! ranges, `--exclude`, `--rate`, progress lines, `--color`, `--metrics`,
//! `--generate`, `--version -v`, `demo` from anywhere, `check` at a
//! terminal. Only loopback: each test uses its own 127.3x range.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A lab fleet of `hosts` servers from `first`, all on one free port (so a
/// CIDR range with that port reaches them); returns it and the port.
fn fleet_on_one_port(dir: &Path, first: &str, hosts: u32) -> (Fleet, u16) {
    let port = std::net::TcpListener::bind((first, 0)).unwrap().local_addr().unwrap().port();
    (simulate_with(dir, first, hosts, &["--port", &port.to_string()]), port)
}

/// host -> expected status, from the fleet's own inventory.
fn expected(fleet: &Fleet) -> std::collections::HashMap<String, String> {
    read_csv(&fleet.inventory).into_iter().map(|r| (r["host"].clone(), r["expected_status"].clone())).collect()
}

/// Removes a test's temporary folder when the test ends, passed or failed.
struct Cleanup(std::path::PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn targets_and_ranges_scan_without_an_inventory_and_exclusions_are_counted() {
    let dir = temp_dir("targets");
    let _cleanup = Cleanup(dir.clone());
    let (fleet, port) = fleet_on_one_port(&dir, "127.31.0.1", 6);
    let want = expected(&fleet);
    let report = dir.join("report.csv");
    let range = format!("127.31.0.0/29:{port}");
    let url = format!("https://127.31.0.1:{port}/");
    let out = run(&[
        "scan",
        "--target",
        &range,
        "--exclude",
        "127.31.0.6,127.31.0.7",
        "-t",
        &url,
        "--ca-cert",
        fleet.ca.to_str().unwrap(),
        "-o",
        report.to_str().unwrap(),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the fleet has vulnerable hosts; stderr: {stderr}");
    let rows = read_csv(&report);
    let hosts: Vec<&str> = rows.iter().map(|r| r["host"].as_str()).collect();
    assert_eq!(
        hosts,
        ["127.31.0.0", "127.31.0.1", "127.31.0.2", "127.31.0.3", "127.31.0.4", "127.31.0.5", "127.31.0.1"]
    );
    assert!(rows.iter().all(|r| r["port"] == port.to_string()), "the range's port on every row");
    assert_eq!(rows[0]["status"], "unreachable", "nothing listens on .0");
    for row in &rows[1..] {
        assert_eq!(row["status"], want[&row["host"]], "{}: {}", row["host"], row["detail"]);
    }
    // Every address of the range carries the range's line; the URL is target 2.
    assert!(rows[..6].iter().all(|r| r["line"] == "1") && rows[6]["line"] == "2", "{rows:?}");
    assert!(stderr.contains("excluded: 2 rows left out by --exclude"), "{stderr}");
    assert!(stderr.contains("7 rows:"), "{stderr}");
}

#[test]
fn inventory_ranges_and_targets_combine_in_one_report() {
    let dir = temp_dir("combine");
    let _cleanup = Cleanup(dir.clone());
    let (fleet, port) = fleet_on_one_port(&dir, "127.32.0.1", 3);
    let want = expected(&fleet);
    let inventory = dir.join("inventory.csv");
    std::fs::write(&inventory, format!("host,port,owner\n127.32.0.2,{port},mail\n127.32.0.0/31,{port},net\n")).unwrap();
    let exclude = dir.join("exclude.txt");
    std::fs::write(&exclude, "# change freeze\n127.32.0.0\n").unwrap();
    let report = dir.join("report.csv");
    let out = run(&[
        "scan",
        inventory.to_str().unwrap(),
        "--target",
        &format!("127.32.0.3:{port}"),
        "--exclude",
        &format!("@{}", exclude.display()),
        "--ca-cert",
        fleet.ca.to_str().unwrap(),
        "--fail-on",
        "",
        "-o",
        report.to_str().unwrap(),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "--fail-on '' and hosts reached: exit 0; {stderr}");
    let rows = read_csv(&report);
    let got: Vec<(&str, &str, &str)> =
        rows.iter().map(|r| (r["host"].as_str(), r["owner"].as_str(), r["line"].as_str())).collect();
    assert_eq!(got, [("127.32.0.2", "mail", "2"), ("127.32.0.1", "net", "3"), ("127.32.0.3", "", "1")]);
    for row in &rows {
        assert_eq!(row["status"], want[&row["host"]], "{}", row["host"]);
    }
    assert!(stderr.contains("excluded: 1 rows"), "{stderr}");
    // Neither an inventory nor a target: a usage error.
    let none = run(&["scan"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("<INVENTORY>"), "{}", text(&none.stderr));
}

#[test]
fn a_range_over_the_cap_is_refused_before_any_probing() {
    let dir = temp_dir("cap");
    let _cleanup = Cleanup(dir.clone());
    let inventory = dir.join("inventory.csv");
    std::fs::write(&inventory, "host\n127.0.0.0/8\n").unwrap();
    let report = dir.join("report.csv");
    let started = Instant::now();
    let out = run(&["scan", inventory.to_str().unwrap(), "-o", report.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    // Exit 2 once "nothing judged" is (issue 12); never 1, nothing was found.
    assert!(matches!(out.status.code(), Some(0 | 2)), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20), "16 million addresses were not walked");
    let rows = read_csv(&report);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "input-error");
    assert!(rows[0]["detail"].contains("16777216 addresses") && rows[0]["detail"].contains("--allow-large"));
    assert!(stderr.contains("timing: 0 probes"), "{stderr}");
    // --strict refuses the run before probing, exit 2.
    let strict = run(&["scan", inventory.to_str().unwrap(), "--strict"]);
    assert_eq!(strict.status.code(), Some(2));
    assert!(text(&strict.stderr).contains("127.0.0.0/8 holds 16777216 addresses"), "{}", text(&strict.stderr));

    // On the command line it is an argument error: no report at all.
    let report2 = dir.join("report2.csv");
    let out = run(&["scan", "--target", "127.0.0.0/8", "-o", report2.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--allow-large"), "{}", text(&out.stderr));
    assert!(!report2.exists());

    // --allow-large expands it (here every address is then excluded, so nothing is probed).
    let out = run(&[
        "scan",
        "--target",
        "127.30.0.0/15",
        "--allow-large",
        "--exclude",
        "127.30.0.0/15",
        "-o",
        report2.to_str().unwrap(),
    ]);
    assert!(matches!(out.status.code(), Some(0 | 2)), "an empty scan found nothing");
    assert!(text(&out.stderr).contains("excluded: 131072 rows"), "{}", text(&out.stderr));
    // IPv6 ranges have the same cap.
    let out = run(&["scan", "--target", "[::1/64]:443"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("18446744073709551616 addresses"), "{}", text(&out.stderr));
}

#[test]
fn rate_paces_host_starts_and_progress_lines_come_without_a_terminal() {
    let dir = temp_dir("rate");
    let _cleanup = Cleanup(dir.clone());
    let (fleet, port) = fleet_on_one_port(&dir, "127.33.0.1", 6);
    let report = dir.join("report.csv");
    let started = Instant::now();
    let out = run(&[
        "scan",
        "--target",
        &format!("127.33.0.0/29:{port}"),
        "--rate",
        "4",
        "--stats-every",
        "1",
        "--ca-cert",
        fleet.ca.to_str().unwrap(),
        "-o",
        report.to_str().unwrap(),
    ]);
    let elapsed = started.elapsed();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // 8 starts at 4 a second: the last starts 1.75 s after the first.
    assert!(elapsed >= Duration::from_millis(1700), "8 hosts at --rate 4 took only {elapsed:?}");
    let timing = stderr.lines().find(|l| l.starts_with("timing:")).expect("timing line");
    assert!(timing.contains("8 probes") && timing.contains("--rate 4"), "{timing}");
    let effective: f64 = timing.split(" (").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    // 8 starts in 7 gaps of 1/4 s: at most 8 / 1.75 s as measured over the run.
    assert!(effective <= 4.0 * 8.0 / 7.0 + 0.05, "effective rate {effective} above --rate 4: {timing}");
    let progress: Vec<&str> = stderr.lines().filter(|l| l.starts_with("progress: ")).collect();
    assert!(!progress.is_empty(), "no progress line in a run over a second: {stderr}");
    assert!(progress.iter().all(|l| l.contains("/8 probed") && l.contains("hosts/s")), "{progress:?}");
    // --quiet: no progress lines, no summary.
    let quiet = run(&[
        "scan",
        "--target",
        &format!("127.33.0.1:{port}"),
        "--quiet",
        "--stats-every",
        "1",
        "--rate",
        "0.9",
        "--ca-cert",
        fleet.ca.to_str().unwrap(),
        "-o",
        report.to_str().unwrap(),
    ]);
    assert!(quiet.stderr.is_empty(), "{}", text(&quiet.stderr));
    for bad in ["0", "-2", "nan"] {
        let out = run(&["scan", "--target", "127.33.0.1", "--rate", bad]);
        assert_eq!(out.status.code(), Some(2), "--rate {bad}");
    }
}

#[test]
fn the_summary_names_at_most_twenty_hosts_per_status() {
    let dir = temp_dir("cap20");
    let _cleanup = Cleanup(dir.clone());
    let inventory = dir.join("inventory.csv");
    let mut body = String::from("host,build\n");
    for _ in 0..25 {
        body.push_str(",15.1.2176.2\n");
    }
    std::fs::write(&inventory, body).unwrap();
    let out = run(&["scan", inventory.to_str().unwrap(), "-o", dir.join("r.csv").to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.contains("VULNERABLE")).count(), 20, "{stderr}");
    assert!(stderr.contains("  and 5 more (see the report)"), "{stderr}");
    assert_eq!(read_csv(&dir.join("r.csv")).len(), 25, "the report has them all");
}

#[test]
fn verbose_logs_carry_colour_codes_only_when_asked() {
    let dir = temp_dir("color");
    let _cleanup = Cleanup(dir.clone());
    let inventory = dir.join("inventory.csv");
    std::fs::write(&inventory, "host,build\n,15.1.2176.9\n").unwrap();
    let scan = |extra: &[&str], no_color: bool| {
        let mut cmd = bin();
        cmd.args(["scan", inventory.to_str().unwrap(), "-v", "-o", dir.join("r.csv").to_str().unwrap()]).args(extra);
        if no_color {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stderr)
    };
    let piped = scan(&[], false);
    assert!(piped.contains("INFO") && !piped.contains('\x1b'), "{piped:?}");
    assert!(!scan(&["--color", "never"], false).contains('\x1b'));
    assert!(!scan(&["--color", "auto"], true).contains('\x1b'));
    let always = scan(&["--color", "always"], false);
    assert!(always.contains("\x1b["), "{always:?}");
    assert_eq!(run(&["scan", inventory.to_str().unwrap(), "--color", "sometimes"]).status.code(), Some(2));
}

#[test]
fn metrics_are_prometheus_text_an_independent_parser_reads() {
    let dir = temp_dir("metrics");
    let _cleanup = Cleanup(dir.clone());
    let (fleet, port) = fleet_on_one_port(&dir, "127.34.0.1", 4);
    let want = expected(&fleet);
    let baseline = dir.join("baseline.csv");
    std::fs::write(&baseline, format!("host,port,status\n127.34.0.1,{port},patched\n127.34.0.9,{port},patched\n"))
        .unwrap();
    let metrics = dir.join("exposure.prom");
    let out = run(&[
        "scan",
        "--target",
        &format!("127.34.0.1/32:{port}"),
        "--target",
        &format!("127.34.0.2:{port}"),
        "--baseline",
        baseline.to_str().unwrap(),
        "--metrics",
        metrics.to_str().unwrap(),
        "--ca-cert",
        fleet.ca.to_str().unwrap(),
        "-o",
        dir.join("r.csv").to_str().unwrap(),
    ]);
    let stderr = text(&out.stderr);
    let code = out.status.code().unwrap();
    let prom = std::fs::read_to_string(&metrics).expect("metrics written");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    assert!(prom.contains(&format!("exchange_exposure_exit_status {code}\n")), "{prom}");

    let python = Command::new("python3").args(["-c", "import prometheus_client"]).output();
    if !python.is_ok_and(|o| o.status.success()) {
        skipped_tool(
            "prometheus_client",
            "the independent metrics parse: python3 lacks prometheus_client (pip install prometheus_client)",
        );
        return;
    }
    // prometheus_client parses the file; every sample comes back as `name{labels} value`.
    let script = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    assert family.type == "gauge", family
    for s in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
        print(f"{s.name}|{labels}|{s.value}")
"#;
    let parsed = Command::new("python3").args(["-c", script]).arg(&metrics).output().unwrap();
    assert!(parsed.status.success(), "prometheus_client refused the file: {}\n{prom}", text(&parsed.stderr));
    let samples: std::collections::HashMap<(String, String), f64> = text(&parsed.stdout)
        .lines()
        .map(|l| {
            let mut parts = l.split('|');
            let (name, labels, value) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
            ((name.to_string(), labels.to_string()), value.parse().unwrap())
        })
        .collect();
    let get = |name: &str, labels: &str| {
        *samples.get(&(name.to_string(), labels.to_string())).unwrap_or_else(|| panic!("{name}{{{labels}}}: {prom}"))
    };
    let mut statuses = std::collections::HashMap::<&str, f64>::new();
    for host in ["127.34.0.1", "127.34.0.2"] {
        *statuses.entry(want[host].as_str()).or_default() += 1.0;
    }
    for (status, n) in &statuses {
        assert_eq!(get("exchange_exposure_hosts", &format!("status={status}")), *n, "{status}");
        assert_eq!(
            get("exchange_exposure_advisory_hosts", &format!("advisory=proxylogon,status={status}")),
            *n,
            "{status}"
        );
    }
    assert_eq!(get("exchange_exposure_hosts", "status=not-scanned"), 0.0);
    assert_eq!(get("exchange_exposure_changes", "change=new"), 1.0, "127.34.0.2 is not in the baseline");
    assert_eq!(get("exchange_exposure_gone_hosts", ""), 1.0, "127.34.0.9 is gone");
    assert_eq!(get("exchange_exposure_exit_status", ""), f64::from(code));
    assert!(get("exchange_exposure_run_duration_seconds", "") > 0.0);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    assert!((now - get("exchange_exposure_last_run_timestamp_seconds", "")).abs() < 120.0);
    assert!(get("exchange_exposure_data_age_days", "") >= 0.0);
    assert!(stderr.contains("2 rows:"), "{stderr}");
    // An unwritable metrics path fails before probing.
    let out = run(&["scan", "--target", "127.34.0.1", "--metrics", "/nonexistent-dir/x.prom"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn generate_prints_a_man_page_and_completions() {
    let cases = [
        ("man", ".TH exchange-exposure"),
        ("complete-bash", "complete -F"),
        ("complete-zsh", "#compdef exchange-exposure"),
        ("complete-fish", "complete -c exchange-exposure"),
        ("complete-powershell", "Register-ArgumentCompleter"),
    ];
    for (what, marker) in cases {
        let out = run(&["--generate", what]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{what}: {}", text(&out.stderr));
        assert!(stdout.contains(marker), "{what}: {}", &stdout[..stdout.len().min(300)]);
        if what == "man" {
            assert!(stdout.contains("COMMAND: SCAN") && stdout.contains("target"), "scan's options in the man page");
        } else {
            assert!(stdout.contains("target") && stdout.contains("exclude"), "{what} completes scan's flags");
        }
    }
    assert_eq!(run(&["--generate", "complete-tcsh"]).status.code(), Some(2));
}

#[test]
fn version_with_verbose_names_the_tables_and_catalog_date() {
    let plain = run(&["--version"]);
    assert_eq!(plain.status.code(), Some(0));
    let plain = text(&plain.stdout);
    assert!(plain.starts_with(&format!("exchange-exposure {}", env!("CARGO_PKG_VERSION"))), "{plain}");
    assert!(plain.contains("newest release 2026-10-02") && !plain.contains("table proxylogon"), "{plain}");
    let verbose = run(&["--version", "-v"]);
    assert_eq!(verbose.status.code(), Some(0));
    let verbose = text(&verbose.stdout);
    assert!(verbose.contains("newest release 2026-10-02"), "{verbose}");
    assert!(verbose.contains("table proxylogon: proxylogon-2021-03@"), "{verbose}");
    assert!(verbose.contains("table proxyshell: "), "{verbose}");
}

#[test]
fn demo_runs_from_any_directory_and_moves_when_its_addresses_are_taken() {
    let dir = temp_dir("demo-anywhere");
    let _cleanup = Cleanup(dir.clone());
    // Hold the example's first address and port (if a parallel demo holds it, it is taken all the same).
    let _taken = std::net::TcpListener::bind("127.1.0.1:9443");
    let out = bin().arg("demo").current_dir(&dir).output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the example has vulnerable hosts; {stderr}");
    assert!(stderr.contains("the built-in example inventory"), "{stderr}");
    assert!(stderr.contains("were taken; moved to"), "{stderr}");
    let rows = read_csv(&dir.join("exposure.csv"));
    let example = EXAMPLE.lines().count() - 1;
    assert_eq!(rows.len(), example, "every example row");
    assert!(rows.iter().all(|r| r["port"] != "9443"), "moved off the taken port");
    assert!(rows.iter().any(|r| r["status"] == "vulnerable") && rows.iter().any(|r| r["status"] == "patched"));
    assert_eq!(rows[0]["owner"], "messaging-team", "pass-through columns of the compiled-in inventory");
    // --inventory still overrides.
    let (inv, _) = example_inventory(&dir);
    std::fs::write(&inv, "host,port\n127.1.0.2,9443\n").unwrap();
    let out =
        bin().args(["demo", "--inventory", inv.to_str().unwrap(), "-o", "one.csv"]).current_dir(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(read_csv(&dir.join("one.csv")).len(), 1);
}

const EXAMPLE: &str = include_str!("../inventory.example.csv");

#[test]
fn check_without_builds_at_a_terminal_says_how_to_use_it() {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors into the integers given.
    let rc =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0, "openpty failed");
    // SAFETY: `slave` is an open descriptor this test owns from here on.
    let stdin = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(slave) };
    let mut child = bin().arg("check").stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("check waited on the terminal instead of printing usage");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // SAFETY: `master` is open and closed once.
    unsafe { libc::close(master) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(2));
    assert!(text(&out.stderr).contains("usage: exchange-exposure check BUILD"), "{}", text(&out.stderr));
    // Piped stdin still reads builds.
    let mut piped = bin().arg("check").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(&mut piped.stdin.take().unwrap(), b"15.1.2176.9\n").unwrap();
    let out = piped.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("patched"));
}

/// No container engine runs here, so the image is not built in the tests;
/// this holds the Dockerfile and the Kubernetes jobs to each other.
#[test]
fn the_dockerfile_is_multi_stage_non_root_and_the_jobs_match_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    let stages = dockerfile.lines().filter(|l| l.starts_with("FROM ")).count();
    assert!(stages >= 2, "multi-stage: {stages} FROM lines");
    assert!(dockerfile.contains("cargo build --release --locked"));
    let user = dockerfile.lines().rev().find_map(|l| l.strip_prefix("USER ")).expect("a USER line").trim();
    let uid = user.split(':').next().unwrap();
    assert!(uid.parse::<u32>().is_ok_and(|u| u != 0), "numeric non-root USER, got {user}");
    for job in ["scan-job.yaml", "merge-job.yaml"] {
        let yaml = std::fs::read_to_string(root.join("deploy/kubernetes").join(job)).unwrap();
        assert!(yaml.contains("repository's Dockerfile") && yaml.contains("runAsNonRoot: true"), "{job}");
        assert!(yaml.contains(&format!("runAsUser: {uid}")), "{job} runs as the image's user {uid}");
        let tag = format!("exchange-exposure:{}", env!("CARGO_PKG_VERSION"));
        assert!(yaml.contains(&tag), "{job} names the current version's image {tag}");
    }
}

#[test]
fn a_range_scanned_in_shards_merges_back_in_address_order() {
    let dir = temp_dir("range-shards");
    let _cleanup = Cleanup(dir.clone());
    let (fleet, port) = fleet_on_one_port(&dir, "127.36.0.1", 6);
    let inventory = dir.join("inventory.csv");
    std::fs::write(&inventory, format!("host,port,site\n127.36.0.0/29,{port},lab\n127.36.0.2,{port},single\n"))
        .unwrap();
    let mut shards = Vec::new();
    for k in 0..3 {
        let path = dir.join(format!("shard{k}.csv"));
        let out = run(&[
            "scan",
            inventory.to_str().unwrap(),
            "--shard",
            &format!("{k}/3"),
            "--ca-cert",
            fleet.ca.to_str().unwrap(),
            "--fail-on",
            "",
            "-o",
            path.to_str().unwrap(),
        ]);
        assert!(matches!(out.status.code(), Some(0 | 2)), "shard {k}: {}", text(&out.stderr));
        shards.push(path);
    }
    let sizes: Vec<usize> = shards.iter().map(|p| read_csv(p).len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 9, "8 addresses and one host, each in one shard: {sizes:?}");
    let merged = dir.join("merged.csv");
    let mut args = vec!["merge", "--inventory", inventory.to_str().unwrap(), "-o", merged.to_str().unwrap()];
    args.extend(shards.iter().map(|p| p.to_str().unwrap()));
    let out = run(&args);
    assert_eq!(out.status.code(), Some(1), "vulnerable hosts among them; {}", text(&out.stderr));
    let rows = read_csv(&merged);
    let hosts: Vec<&str> = rows.iter().map(|r| r["host"].as_str()).collect();
    let want: Vec<String> = (0..8).map(|i| format!("127.36.0.{i}")).chain(["127.36.0.2".to_string()]).collect();
    assert_eq!(hosts, want, "inventory order, each address once");
    assert!(rows.iter().all(|r| r["status"] != "not-scanned"), "every row came from a shard");
    assert_eq!(rows[8]["site"], "single");
}

#[test]
fn an_ipv6_range_expands_end_to_end() {
    let dir = temp_dir("v6range");
    let _cleanup = Cleanup(dir.clone());
    // A port nothing listens on: ::1 refuses it (or has no IPv6): unreachable either way.
    let port = std::net::TcpListener::bind("127.37.0.1:0").unwrap().local_addr().unwrap().port();
    let report = dir.join("r.csv");
    let out =
        run(&["scan", "--target", &format!("[::1/128]:{port}"), "--timeout", "2", "-o", report.to_str().unwrap()]);
    assert!(matches!(out.status.code(), Some(0 | 2)), "nothing found; {}", text(&out.stderr));
    let rows = read_csv(&report);
    let got: Vec<(&str, &str, &str)> =
        rows.iter().map(|r| (r["host"].as_str(), r["port"].as_str(), r["status"].as_str())).collect();
    assert_eq!(got, [("::1", port.to_string().as_str(), "unreachable")]);
}

#[test]
fn a_terminal_bar_counts_range_addresses_and_targets() {
    let dir = temp_dir("bar-range");
    let _cleanup = Cleanup(dir.clone());
    // Nothing listens on this port: every row is unreachable at once; --rate makes the run last.
    let port = std::net::TcpListener::bind("127.38.0.1:0").unwrap().local_addr().unwrap().port();
    let inventory = dir.join("inventory.csv");
    std::fs::write(&inventory, format!("host\n127.38.0.0/29:{port}\n")).unwrap();
    let cmd = format!(
        "{BIN} scan {} --target 127.38.0.9:{port} --exclude 127.38.0.7 --rate 10 -o {}",
        inventory.display(),
        dir.join("r.csv").display()
    );
    // `script` (util-linux) gives the scan a terminal.
    let Ok(out) = Command::new("script").args(["-qec", &cmd, "/dev/null"]).output() else {
        skipped("no `script` here to give the scan a terminal");
        return;
    };
    let shown = text(&out.stdout);
    // 8 addresses, one excluded, plus the target.
    assert!(shown.contains("/8 hosts"), "{shown}");
    assert_eq!(read_csv(&dir.join("r.csv")).len(), 8);
}
