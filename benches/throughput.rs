//! The throughput benchmark: starts `simulate --hosts N` (the lab fleet, TLS
//! on every connection, sharing the machine's cores with the scanner), scans
//! its inventory with this build's binary, checks every verdict against the
//! fleet's `expected_status`, and prints hosts/s, per-host p50/p99 and the
//! scanner's peak RSS for each run, then the medians.
//!
//!     cargo bench --bench throughput -- [--sizes 1000,10000] [--repeat 3]
//!         [--concurrency 128] [--min-rate HOSTS_PER_S]
//!         [--latency MS] [--silent PERCENT] [--legacy PERCENT] [--timeout S]
//!     cargo bench --bench throughput -- --scenario latency|legacy|rows
//!         [--rows N] [--repeat 3]
//!
//! `--min-rate` makes it exit 1 when a median falls below (the CI guard).
//!
//!     cargo bench --bench throughput -- --offline-rows 1000000
//!
//! The memory scenario (issue 12): scans an inventory of that many host-less
//! rows with a vulnerable build (judged offline: no fleet, no network) to a
//! CSV, a JSON Lines and an HTML report, and prints the scanner's peak RSS
//! for each; it exits 1 when CSV or JSON Lines reach `MAX_RSS_MIB`. Without
//! `--sizes` it runs alone.
//! `--latency`, `--silent` and `--legacy` are passed to `simulate` (a fleet
//! with round trips, silent hosts, legacy-TLS hosts), `--timeout` to `scan`.
//! `--scenario` runs one of issue 17's presets (`network_preset`,
//! `rows_scenario`): the same flags, filled in.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_exchange-exposure");

struct Options {
    sizes: Vec<u32>,
    repeat: usize,
    concurrency: Vec<usize>,
    min_rate: Option<f64>,
    offline_rows: Option<u64>,
    network: Network,
    /// `--scenario rows`: the million-row inventory instead of a fleet sweep.
    rows: Option<u32>,
}

/// What the fleet's network and cast are, and the scan's timeout
/// (`simulate --latency/--silent/--legacy`, `scan --timeout`); all unset:
/// loopback as it is, the plain personality cycle, the scan's default.
#[derive(Default, Clone)]
struct Network {
    latency_ms: Option<u64>,
    silent: Option<u8>,
    legacy: Option<u8>,
    drip: Option<u8>,
    timeout: Option<f64>,
    /// `--scenario sweep`: the fleet is this share (percent) of a /16's
    /// 65,536 addresses, the rest dark (SYNs dropped in a private network
    /// namespace), scanned as one `--target` range.
    sweep_live: Option<u8>,
}

/// The peak RSS the memory scenario allows for CSV and JSON Lines.
const MAX_RSS_MIB: f64 = 100.0;

fn options() -> Options {
    let mut o = Options {
        sizes: vec![1000, 10000],
        repeat: 3,
        concurrency: vec![128],
        min_rate: None,
        offline_rows: None,
        network: Network::default(),
        rows: None,
    };
    let mut sizes_given = false;
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let list = |v: &str| v.split(',').map(|x| x.trim().parse().expect("a number")).collect::<Vec<_>>();
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--sizes", Some(v)) => {
                o.sizes = list(v).into_iter().map(|n: usize| n as u32).collect();
                sizes_given = true;
            }
            ("--offline-rows", Some(v)) => o.offline_rows = Some(v.parse().expect("--offline-rows N")),
            ("--repeat", Some(v)) => o.repeat = v.parse().expect("--repeat N"),
            ("--concurrency", Some(v)) => o.concurrency = list(v),
            ("--min-rate", Some(v)) => o.min_rate = Some(v.parse().expect("--min-rate X")),
            ("--latency", Some(v)) => o.network.latency_ms = Some(v.parse().expect("--latency MS")),
            ("--silent", Some(v)) => o.network.silent = Some(v.parse().expect("--silent PERCENT")),
            ("--legacy", Some(v)) => o.network.legacy = Some(v.parse().expect("--legacy PERCENT")),
            ("--drip", Some(v)) => o.network.drip = Some(v.parse().expect("--drip PERCENT")),
            ("--timeout", Some(v)) => o.network.timeout = Some(v.parse().expect("--timeout S")),
            ("--rows", Some(v)) => o.rows = Some(v.parse().expect("--rows N")),
            ("--scenario", Some(v)) => network_preset(&mut o, v),
            (other, _) => panic!("unknown argument {other:?}"),
        }
    }
    if o.offline_rows.is_some() && !sizes_given {
        o.sizes.clear();
    }
    o
}

/// The memory scenario: peak RSS per format for `rows` host-less vulnerable
/// rows; `false` when CSV or JSON Lines reach `MAX_RSS_MIB`.
fn offline_memory(dir: &Path, rows: u64) -> bool {
    let inventory = dir.join(format!("offline-{rows}.csv"));
    {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&inventory).unwrap());
        writeln!(out, "build").unwrap();
        for _ in 0..rows {
            writeln!(out, "15.1.2176.2").unwrap();
        }
        out.flush().unwrap();
    }
    println!("{:>9} {:>6} {:>10} {:>9}", "rows", "format", "seconds", "RSS MiB");
    let mut ok = true;
    for format in ["csv", "jsonl", "html"] {
        let report = dir.join(format!("offline.{format}"));
        let started = Instant::now();
        let out = Command::new(BIN)
            .args(["scan", "--format", format, "-o"])
            .arg(&report)
            .arg(&inventory)
            .output()
            .expect("run scan");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "every row is vulnerable: {stderr}");
        assert!(stderr.contains(&format!("{rows} rows: {rows} vulnerable")), "{stderr}");
        let (_, _, rss) = parse_timing(&stderr);
        let limited = format != "html";
        let verdict = match (limited, rss < MAX_RSS_MIB) {
            (false, _) => "(HTML lists at most 10,000 rows)".to_string(),
            (true, true) => format!("under {MAX_RSS_MIB} MiB"),
            (true, false) => format!("FAIL: not under {MAX_RSS_MIB} MiB"),
        };
        println!("{rows:>9} {format:>6} {:>10.1} {rss:>9.1}   {verdict}", started.elapsed().as_secs_f64());
        ok &= !limited || rss < MAX_RSS_MIB;
        let _ = std::fs::remove_file(&report);
    }
    let _ = std::fs::remove_file(&inventory);
    ok
}

/// Issue 17's scenarios: 20,000 hosts across a 50 ms network with 10%
/// silent hosts and a 5 s timeout, swept over concurrency, without legacy-TLS
/// hosts (`latency`) or with 30% of them (`legacy`); or the million-row
/// inventory (`rows`). Flags given after `--scenario` override its values.
fn network_preset(o: &mut Options, name: &str) {
    let sweep = |o: &mut Options, legacy: u8| {
        o.sizes = vec![20_000];
        o.concurrency = vec![128, 256, 512, 1024, 2048, 4096];
        o.network = Network {
            latency_ms: Some(50),
            silent: Some(10),
            legacy: Some(legacy),
            timeout: Some(5.0),
            ..Network::default()
        };
    };
    // Concurrency 0: the scan's defaults (--concurrency, --max-connects,
    // the adaptive connect timeout), as an operator runs it.
    let defaults = |o: &mut Options, hosts: u32, latency: u64, silent: u8| {
        o.sizes = vec![hosts];
        o.concurrency = vec![0];
        o.network = Network { latency_ms: Some(latency), silent: Some(silent), legacy: Some(0), ..Network::default() };
    };
    match name {
        "latency" => sweep(o, 0),
        "legacy" => sweep(o, 30),
        "rows" => o.rows = Some(1_000_000),
        // The targets' table (BENCHMARKS.md): defaults, across a network.
        "defaults" => defaults(o, 20_000, 50, 10),
        "slow" => defaults(o, 20_000, 100, 30),
        "legacy-defaults" => {
            defaults(o, 20_000, 50, 10);
            o.network.legacy = Some(30);
        }
        "sweep" => {
            defaults(o, 65_536, 50, 0);
            o.network.sweep_live = Some(1);
        }
        "drip" => {
            o.sizes = vec![1_500];
            o.concurrency = vec![1024];
            o.network = Network { drip: Some(100), legacy: Some(0), ..Network::default() };
        }
        other => {
            panic!("unknown scenario {other:?}: latency, legacy, rows, defaults, slow, legacy-defaults, sweep or drip")
        }
    }
}

/// Simulator processes; killed on drop.
struct Fleet(Vec<Child>);

impl Drop for Fleet {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Hosts per simulator process: each address is a listening socket, and a
/// process may hold 20,000 descriptors here (the hard limit), connections included.
/// Ten thousand leaves room for 4,096 connections at once.
const HOSTS_PER_SIMULATOR: u32 = 10_000;

/// Starts the fleet (in several processes past `HOSTS_PER_SIMULATOR`) and
/// returns its joined inventory and the CA bundle.
fn start_fleet(dir: &Path, hosts: u32, network: &Network) -> (Fleet, PathBuf, PathBuf) {
    start_fleet_at(dir, hosts, network, std::net::Ipv4Addr::new(127, 20, 0, 1))
}

/// `start_fleet` from `first` upward.
fn start_fleet_at(dir: &Path, hosts: u32, network: &Network, first: std::net::Ipv4Addr) -> (Fleet, PathBuf, PathBuf) {
    let mut fleet = Fleet(Vec::new());
    let mut inventory = String::new();
    let mut cas = String::new();
    let mut done = 0;
    while done < hosts {
        let count = (hosts - done).min(HOSTS_PER_SIMULATOR);
        let first = std::net::Ipv4Addr::from(u32::from(first) + done);
        let (part, ca) = (dir.join(format!("fleet-{done}.csv")), dir.join(format!("ca-{done}.pem")));
        let mut simulate = Command::new(BIN);
        simulate.args(["simulate", "--hosts", &count.to_string(), "--first", &first.to_string()]);
        // Each process counts its hosts from 0; the shares are exact per
        // hundred hosts, so they hold across the whole fleet.
        if let Some(ms) = network.latency_ms {
            simulate.args(["--latency", &ms.to_string()]);
        }
        if let Some(p) = network.silent {
            simulate.args(["--silent", &p.to_string()]);
        }
        if let Some(p) = network.legacy {
            simulate.args(["--legacy", &p.to_string()]);
        }
        if let Some(p) = network.drip {
            simulate.args(["--drip", &p.to_string()]);
        }
        if network.sweep_live.is_some() {
            simulate.args(["--port", &SWEEP_PORT.to_string()]);
        }
        let mut child = simulate
            .arg("--inventory-out")
            .arg(&part)
            .arg("--ca-out")
            .arg(&ca)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start simulate");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.starts_with("ready"), "simulate: {line:?}");
        fleet.0.push(child);
        let text = std::fs::read_to_string(&part).unwrap();
        let skip = if inventory.is_empty() { 0 } else { text.find('\n').unwrap() + 1 };
        inventory.push_str(&text[skip..]);
        cas.push_str(&std::fs::read_to_string(&ca).unwrap());
        done += count;
    }
    let (inv_path, ca_path) = (dir.join(format!("fleet-all-{hosts}.csv")), dir.join("ca-all.pem"));
    std::fs::write(&inv_path, inventory).unwrap();
    std::fs::write(&ca_path, cas).unwrap();
    (fleet, inv_path, ca_path)
}

struct Run {
    rate: f64,
    p50: f64,
    p99: f64,
    rss: f64,
    /// The scan process's CPU time (user + system, from wait4), per host
    /// that answered, in milliseconds.
    cpu_ms: f64,
    /// The timing line's connect-timeout and slot clause.
    reaching: String,
}

/// Reads "timing: N probes in S s (R hosts/s); per host p50 A ms, p99 B ms; peak memory M MiB".
fn parse_timing(stderr: &str) -> (f64, f64, f64) {
    let line = stderr.lines().find(|l| l.starts_with("timing:")).expect("a timing line");
    let num_after = |key: &str| -> f64 {
        let rest = &line[line.find(key).unwrap_or_else(|| panic!("{key} in {line}")) + key.len()..];
        rest.trim_start().split(|c: char| !(c.is_ascii_digit() || c == '.')).next().unwrap().parse().unwrap()
    };
    (num_after("p50"), num_after("p99"), num_after("peak memory"))
}

/// Runs `command` to its end: its stderr, exit code and CPU seconds (its
/// own rusage from wait4: the scanner alone, never the simulator).
// The child is reaped by wait4, which std's Child does not know of.
#[allow(clippy::zombie_processes)]
fn run_measured(command: &mut Command) -> (String, Option<i32>, f64) {
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("run scan");
    let mut pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut pipe, &mut text).unwrap();
        text
    });
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; the pid is our child's.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = secs(usage.ru_utime) + secs(usage.ru_stime);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (reader.join().unwrap(), code, cpu)
}

fn scan(inventory: &Path, ca: &Path, report: &Path, hosts: u32, concurrency: usize, timeout: Option<f64>) -> Run {
    scan_with(Some(inventory), &[], ca, report, hosts, concurrency, timeout, inventory)
}

/// A scan of `inventory` and/or `targets`; verdicts checked against `expected`.
#[allow(clippy::too_many_arguments)]
fn scan_with(
    inventory: Option<&Path>,
    targets: &[String],
    ca: &Path,
    report: &Path,
    hosts: u32,
    concurrency: usize,
    timeout: Option<f64>,
    expected: &Path,
) -> Run {
    let started = Instant::now();
    let mut command = Command::new(BIN);
    command.arg("scan");
    if concurrency > 0 {
        command.args(["--concurrency", &concurrency.to_string()]);
    }
    if let Some(secs) = timeout {
        command.args(["--timeout", &secs.to_string()]);
    }
    for t in targets {
        command.args(["-t", t]);
    }
    command.arg("--ca-cert").arg(ca).arg("-o").arg(report);
    if let Some(inventory) = inventory {
        command.arg(inventory);
    }
    let (stderr, code, cpu) = run_measured(&mut command);
    let wall = started.elapsed().as_secs_f64();
    assert!(matches!(code, Some(0 | 1)), "scan failed: {stderr}");
    check_verdicts(expected, report, hosts);
    let answered = statuses(report, "status").iter().filter(|s| *s != "unreachable").count().max(1);
    let (p50, p99, rss) = parse_timing(&stderr);
    let line = stderr.lines().find(|l| l.starts_with("timing:")).unwrap_or_default();
    let reaching = line.split("MiB; ").nth(1).unwrap_or_default().to_string();
    Run { rate: f64::from(hosts) / wall, p50, p99, rss, cpu_ms: cpu * 1000.0 / answered as f64, reaching }
}

fn statuses(path: &Path, column: &str) -> Vec<String> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let at = rdr.headers().unwrap().iter().position(|h| h == column).unwrap();
    rdr.records().map(|r| r.unwrap()[at].to_string()).collect()
}

fn check_verdicts(inventory: &Path, report: &Path, hosts: u32) {
    let expected = statuses(inventory, "expected_status");
    let got = statuses(report, "status");
    assert_eq!(got.len(), hosts as usize, "rows in = rows out");
    // Rows past the inventory's (a sweep's dark addresses) must be unreachable.
    let expected: Vec<String> =
        (0..got.len()).map(|i| expected.get(i).cloned().unwrap_or_else(|| "unreachable".into())).collect();
    let wrong: Vec<usize> = (0..got.len()).filter(|&i| expected[i] != got[i]).collect();
    if !wrong.is_empty() {
        // Say which, and why: a timeout under load reads differently from a wrong judgement.
        let details = statuses(report, "detail");
        for &i in wrong.iter().take(5) {
            eprintln!("row {}: expected {}, got {}: {}", i + 1, expected[i], got[i], details[i]);
        }
    }
    assert_eq!(wrong.len(), 0, "{} verdicts differ from expected_status", wrong.len());
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Builds in host-less rows and how each must be judged (`check`).
const OFFLINE_BUILDS: [(&str, &str); 6] = [
    ("15.1.2176.2", "vulnerable"),
    ("15.1.2176.9", "patched"),
    ("15.2.792.3", "vulnerable"),
    ("15.2.858.2", "patched"),
    ("14.3.509.0", "vulnerable"),
    ("8.3.83.6", "not-affected"),
];
/// Lab hosts the million-row inventory names again and again.
const DUPLICATED_HOSTS: u32 = 20;

/// `--scenario rows`: an inventory of `rows` rows, nine in ten host-less with
/// a build (judged offline), one in ten naming one of a few lab hosts again
/// (duplicates share one probe); the scan's peak RSS, every verdict checked.
fn rows_scenario(dir: &Path, rows: u32, repeat: usize) {
    let (fleet, fleet_inventory, ca) = start_fleet(dir, DUPLICATED_HOSTS, &Network::default());
    let mut lab = csv::Reader::from_path(&fleet_inventory).unwrap();
    let hosts: Vec<[String; 3]> =
        lab.records().map(|r| r.unwrap()).map(|r| [r[0].to_string(), r[1].to_string(), r[3].to_string()]).collect();
    let inventory = dir.join("rows.csv");
    let mut out = csv::Writer::from_path(&inventory).unwrap();
    out.write_record(["host", "port", "build", "expected_status"]).unwrap();
    for i in 0..rows as usize {
        if i % 10 == 0 {
            let [host, port, expected] = &hosts[i / 10 % hosts.len()];
            out.write_record([host.as_str(), port, "", expected]).unwrap();
        } else {
            let (build, expected) = OFFLINE_BUILDS[i % OFFLINE_BUILDS.len()];
            out.write_record(["", "", build, expected]).unwrap();
        }
    }
    out.flush().unwrap();
    drop(out);
    let megabytes = std::fs::metadata(&inventory).unwrap().len() as f64 / 1e6;
    println!(
        "rows scenario: {rows} rows ({megabytes:.0} MB CSV), 90% host-less with builds, 10% naming {DUPLICATED_HOSTS} lab hosts"
    );
    println!("{:>8} {:>4} {:>10} {:>9}", "rows", "run", "rows/s", "RSS MiB");
    let report = dir.join("rows-report.csv");
    let runs: Vec<Run> = (0..repeat).map(|_| scan(&inventory, &ca, &report, rows, 128, None)).collect();
    for (i, r) in runs.iter().enumerate() {
        println!("{rows:>8} {:>4} {:>10.0} {:>9.1}", i + 1, r.rate, r.rss);
    }
    println!(
        "{rows:>8} {:>4} {:>10.0} {:>9.1}   all verdicts right",
        "med",
        median(runs.iter().map(|r| r.rate).collect()),
        median(runs.iter().map(|r| r.rss).collect())
    );
    drop(fleet);
}

/// The port every sweep host listens on, so one `--target` range names them.
const SWEEP_PORT: u16 = 8443;
/// Set inside the private network namespace the sweep re-runs itself in.
const IN_NAMESPACE: &str = "XX_BENCH_NETNS";

/// The sweep needs dark addresses: outside a namespace, re-runs this
/// benchmark inside a private one (`unshare -rn`) and exits with its code.
fn enter_namespace() {
    if std::env::var_os(IN_NAMESPACE).is_some() {
        return;
    }
    let status = Command::new("unshare")
        .arg("-rn")
        .arg(std::env::current_exe().unwrap())
        .args(std::env::args().skip(1))
        .env(IN_NAMESPACE, "1")
        .status()
        .expect("unshare -rn (util-linux) for the sweep's private network namespace");
    std::process::exit(status.code().unwrap_or(1));
}

/// Inside the namespace: loopback up, and SYNs to the sweep's range past
/// its `live` first addresses dropped, as a filtered network drops them.
fn darken(live: u32) {
    let run = |args: &[&str]| {
        let ok = Command::new(args[0]).args(&args[1..]).status().is_ok_and(|s| s.success());
        assert!(ok, "{args:?} failed (the sweep needs nft: Debian package nftables)");
    };
    let first_dark = std::net::Ipv4Addr::from(u32::from(SWEEP_FIRST) + live);
    run(&["ip", "link", "set", "lo", "up"]);
    run(&["nft", "add", "table", "inet", "lab"]);
    run(&["nft", "add", "chain", "inet", "lab", "out", "{ type filter hook output priority 0; }"]);
    let range = format!("{first_dark}-127.9.255.255");
    run(&["nft", "add", "rule", "inet", "lab", "out", "ip", "daddr", &range, "tcp", "flags", "syn", "drop"]);
}

/// The sweep's range: 127.9.0.0/16.
const SWEEP_FIRST: std::net::Ipv4Addr = std::net::Ipv4Addr::new(127, 9, 0, 0);

fn main() {
    let o = options();
    if o.network.sweep_live.is_some() {
        enter_namespace();
    }
    let dir = std::env::temp_dir().join(format!("xx-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "machine: {} cores; scanner and simulator share them; load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    if let Some(rows) = o.rows {
        rows_scenario(&dir, rows, o.repeat);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let n = &o.network;
    if n.latency_ms.is_some() || n.silent.is_some() || n.legacy.is_some() || n.drip.is_some() {
        let show = |v: Option<String>| v.unwrap_or_else(|| "default".into());
        println!(
            "network: latency {} ms, {}% silent, {}% legacy TLS, {}% slow-drip, --timeout {}{}",
            show(n.latency_ms.map(|v| v.to_string())),
            show(n.silent.map(|v| v.to_string())),
            show(n.legacy.map(|v| v.to_string())),
            show(n.drip.map(|v| v.to_string())),
            show(n.timeout.map(|v| v.to_string())),
            n.sweep_live.map(|p| format!("; sweep: {p}% of the range live, the rest dark")).unwrap_or_default()
        );
    }
    let mut failed = false;
    if let Some(rows) = o.offline_rows {
        failed |= !offline_memory(&dir, rows);
    }
    if !o.sizes.is_empty() {
        println!(
            "{:>7} {:>5} {:>4} {:>10} {:>9} {:>9} {:>9} {:>11}",
            "hosts", "conc", "run", "hosts/s", "p50 ms", "p99 ms", "RSS MiB", "CPU ms/ans"
        );
    }
    for &hosts in &o.sizes {
        let (fleet, inventory, ca, targets) = match o.network.sweep_live {
            Some(percent) => {
                let live = hosts * u32::from(percent) / 100;
                darken(live);
                let (fleet, inventory, ca) = start_fleet_at(&dir, live, &o.network, SWEEP_FIRST);
                let bits = 32 - hosts.next_power_of_two().trailing_zeros();
                (fleet, inventory, ca, vec![format!("{SWEEP_FIRST}/{bits}:{SWEEP_PORT}")])
            }
            None => {
                let (fleet, inventory, ca) = start_fleet(&dir, hosts, &o.network);
                (fleet, inventory, ca, Vec::new())
            }
        };
        let report = dir.join("report.csv");
        for &concurrency in &o.concurrency {
            let runs: Vec<Run> = (0..o.repeat)
                .map(|_| {
                    let given = if targets.is_empty() { Some(inventory.as_path()) } else { None };
                    scan_with(given, &targets, &ca, &report, hosts, concurrency, o.network.timeout, &inventory)
                })
                .collect();
            let shown = if concurrency == 0 { "dflt".to_string() } else { concurrency.to_string() };
            for (i, r) in runs.iter().enumerate() {
                println!(
                    "{hosts:>7} {shown:>5} {:>4} {:>10.0} {:>9.1} {:>9.1} {:>9.1} {:>11.3}   {}",
                    i + 1,
                    r.rate,
                    r.p50,
                    r.p99,
                    r.rss,
                    r.cpu_ms,
                    r.reaching
                );
            }
            let rate = median(runs.iter().map(|r| r.rate).collect());
            println!(
                "{hosts:>7} {shown:>5} {:>4} {rate:>10.0} {:>9.1} {:>9.1} {:>9.1} {:>11.3}   all verdicts right",
                "med",
                median(runs.iter().map(|r| r.p50).collect()),
                median(runs.iter().map(|r| r.p99).collect()),
                median(runs.iter().map(|r| r.rss).collect()),
                median(runs.iter().map(|r| r.cpu_ms).collect())
            );
            if o.min_rate.is_some_and(|min| rate < min) {
                println!("FAIL: median {rate:.0} hosts/s is below --min-rate {}", o.min_rate.unwrap());
                failed = true;
            }
        }
        drop(fleet);
    }
    let _ = std::fs::remove_dir_all(&dir);
    if failed {
        std::process::exit(1);
    }
}
