//! The workbook's memory: scans an inventory of host-less rows with a
//! vulnerable build (judged offline: no fleet, no network) to an XLSX
//! report, and to a CSV for comparison, and prints each run's seconds and
//! the scanner's peak RSS as the kernel counts it (`wait4`'s `ru_maxrss`,
//! not the scanner's own figure). Exits 1 when the workbook's peak reaches
//! `MAX_RSS_MIB`.
//!
//!     cargo bench --bench xlsx_memory -- [--rows 1000000]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_exchange-exposure");

/// The target for a million rows to XLSX.
const MAX_RSS_MIB: f64 = 100.0;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows: u64 = args
        .iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse().expect("--rows N"))
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let inventory = dir.path().join("inventory.csv");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&inventory).unwrap());
        writeln!(out, "build,note").unwrap();
        for i in 0..rows {
            writeln!(out, "15.1.2176.2,row {i}").unwrap();
        }
        out.flush().unwrap();
    }
    println!("{:>9} {:>6} {:>10} {:>9}", "rows", "format", "seconds", "RSS MiB");
    let mut ok = true;
    for format in ["csv", "xlsx"] {
        let report = dir.path().join(format!("r.{format}"));
        let started = Instant::now();
        let (code, rss) = run_scan(&inventory, &report);
        assert_eq!(code, 1, "every row is vulnerable");
        let verdict = match (format, rss < MAX_RSS_MIB) {
            ("xlsx", true) => format!("under {MAX_RSS_MIB} MiB"),
            ("xlsx", false) => format!("FAIL: not under {MAX_RSS_MIB} MiB"),
            _ => "(for comparison)".to_string(),
        };
        let size = std::fs::metadata(&report).map(|m| m.len() as f64 / 1048576.0).unwrap_or(0.0);
        println!(
            "{rows:>9} {format:>6} {:>10.1} {rss:>9.1}   {verdict}; report {size:.1} MiB",
            started.elapsed().as_secs_f64()
        );
        ok &= format != "xlsx" || rss < MAX_RSS_MIB;
    }
    std::process::exit(if ok { 0 } else { 1 });
}

/// Runs the scan; its exit code and peak RSS in MiB.
fn run_scan(inventory: &Path, report: &Path) -> (i32, f64) {
    let child = Command::new(BIN)
        .args(["scan", "-q", "-o"])
        .arg(report)
        .arg(inventory)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run scan");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data the kernel fills; `pid` is our child,
    // waited for once here (the `Child` is not waited on afterwards).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    std::mem::forget(child);
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    (code, usage.ru_maxrss as f64 / 1024.0)
}
