//! Helpers shared by the end-to-end tests: the binary, temporary folders,
//! a running lab fleet, reading reports.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub mod server;

pub const BIN: &str = env!("CARGO_BIN_EXE_exchange-exposure");

/// The binary, with its data dir set to a folder of this test process under
/// the temporary directory (never created unless a test writes data there),
/// so no test reads or writes the real home's data; no mirror from the
/// environment either. Every test runs the binary through this.
pub fn bin() -> Command {
    let mut command = Command::new(BIN);
    command
        .env("EXCHANGE_EXPOSURE_DATA_DIR", std::env::temp_dir().join(format!("xx-data-{}", std::process::id())))
        .env_remove("EXCHANGE_EXPOSURE_MIRROR");
    command
}

/// A running `simulate`; killed on drop.
pub struct Fleet {
    pub child: Child,
    pub inventory: PathBuf,
    pub ca: PathBuf,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xx-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn simulate(dir: &Path, first: &str, hosts: u32) -> Fleet {
    simulate_with(dir, first, hosts, &[])
}

/// `simulate` with more of its flags (`--port`, `--latency`, …).
pub fn simulate_with(dir: &Path, first: &str, hosts: u32, extra: &[&str]) -> Fleet {
    let inventory = dir.join("fleet.csv");
    let ca = dir.join("ca.pem");
    let mut child = bin()
        .args(["simulate", "--hosts", &hosts.to_string(), "--first", first])
        .args(extra)
        .arg("--inventory-out")
        .arg(&inventory)
        .arg("--ca-out")
        .arg(&ca)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("ready:"), "simulate said {line:?}");
    Fleet { child, inventory, ca }
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

pub fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    rdr.records().map(|r| headers.iter().map(String::from).zip(r.unwrap().iter().map(String::from)).collect()).collect()
}

/// `inventory.example.csv` moved to a free port (so a running demo does not
/// collide), written into `dir`; returns its path and the original text.
pub fn example_inventory(dir: &Path) -> (PathBuf, String) {
    let port = std::net::TcpListener::bind("127.1.0.1:0").unwrap().local_addr().unwrap().port();
    let example = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/inventory.example.csv")).unwrap();
    let inv = dir.join("inventory.csv");
    std::fs::write(&inv, example.replace(",9443,", &format!(",{port},"))).unwrap();
    (inv, example)
}

/// Says on the real stderr (not the captured one, which `cargo test` hides
/// for a passing test) that a check was skipped and why.
pub fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "skipped: {why}");
}

/// A check skipped for want of a tool CI must have: a failure under CI
/// (`.ci/run` sets CI=1 and installs the tool), a visible "skipped" elsewhere.
pub fn skipped_tool(tool: &str, why: &str) {
    assert!(std::env::var_os("CI").is_none(), "CI must have {tool} (.ci/run installs it)");
    skipped(why);
}
