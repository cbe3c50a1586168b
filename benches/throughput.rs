//! The throughput benchmark: starts `simulate --hosts N` (the lab fleet, TLS
//! on every connection, sharing the machine's cores with the scanner), scans
//! its inventory with this build's binary, checks every verdict against the
//! fleet's `expected_status`, and prints hosts/s, per-host p50/p99 and the
//! scanner's peak RSS for each run, then the medians.
//!
//!     cargo bench --bench throughput -- [--sizes 1000,10000] [--repeat 3]
//!         [--concurrency 128] [--min-rate HOSTS_PER_S]
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
}

/// The peak RSS the memory scenario allows for CSV and JSON Lines.
const MAX_RSS_MIB: f64 = 100.0;

fn options() -> Options {
    let mut o =
        Options { sizes: vec![1000, 10000], repeat: 3, concurrency: vec![128], min_rate: None, offline_rows: None };
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
const HOSTS_PER_SIMULATOR: u32 = 15_000;

/// Starts the fleet (in several processes past `HOSTS_PER_SIMULATOR`) and
/// returns its joined inventory and the CA bundle.
fn start_fleet(dir: &Path, hosts: u32) -> (Fleet, PathBuf, PathBuf) {
    let mut fleet = Fleet(Vec::new());
    let mut inventory = String::new();
    let mut cas = String::new();
    let mut done = 0;
    while done < hosts {
        let count = (hosts - done).min(HOSTS_PER_SIMULATOR);
        let first = std::net::Ipv4Addr::from(u32::from(std::net::Ipv4Addr::new(127, 20, 0, 1)) + done);
        let (part, ca) = (dir.join(format!("fleet-{done}.csv")), dir.join(format!("ca-{done}.pem")));
        let mut child = Command::new(BIN)
            .args(["simulate", "--hosts", &count.to_string(), "--first", &first.to_string(), "--inventory-out"])
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

fn scan(inventory: &Path, ca: &Path, report: &Path, hosts: u32, concurrency: usize) -> Run {
    let started = Instant::now();
    let out = Command::new(BIN)
        .args(["scan", "--concurrency", &concurrency.to_string(), "--ca-cert"])
        .arg(ca)
        .arg("-o")
        .arg(report)
        .arg(inventory)
        .output()
        .expect("run scan");
    let wall = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "scan failed: {stderr}");
    check_verdicts(inventory, report, hosts);
    let (p50, p99, rss) = parse_timing(&stderr);
    Run { rate: f64::from(hosts) / wall, p50, p99, rss }
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
    let wrong = expected.iter().zip(&got).filter(|(e, g)| e != g).count();
    assert_eq!(wrong, 0, "{wrong} verdicts differ from expected_status");
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let o = options();
    let dir = std::env::temp_dir().join(format!("xx-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "machine: {} cores; scanner and simulator share them",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut failed = false;
    if let Some(rows) = o.offline_rows {
        failed |= !offline_memory(&dir, rows);
    }
    if !o.sizes.is_empty() {
        println!(
            "{:>7} {:>5} {:>4} {:>10} {:>9} {:>9} {:>9}",
            "hosts", "conc", "run", "hosts/s", "p50 ms", "p99 ms", "RSS MiB"
        );
    }
    for &hosts in &o.sizes {
        let (fleet, inventory, ca) = start_fleet(&dir, hosts);
        let report = dir.join("report.csv");
        for &concurrency in &o.concurrency {
            let runs: Vec<Run> = (0..o.repeat).map(|_| scan(&inventory, &ca, &report, hosts, concurrency)).collect();
            for (i, r) in runs.iter().enumerate() {
                println!(
                    "{hosts:>7} {concurrency:>5} {:>4} {:>10.0} {:>9.1} {:>9.1} {:>9.1}",
                    i + 1,
                    r.rate,
                    r.p50,
                    r.p99,
                    r.rss
                );
            }
            let rate = median(runs.iter().map(|r| r.rate).collect());
            println!(
                "{hosts:>7} {concurrency:>5} {:>4} {rate:>10.0} {:>9.1} {:>9.1} {:>9.1}   all verdicts right",
                "med",
                median(runs.iter().map(|r| r.p50).collect()),
                median(runs.iter().map(|r| r.p99).collect()),
                median(runs.iter().map(|r| r.rss).collect())
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
