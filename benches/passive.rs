//! The passive readers' benchmark: `hunt` over synthetic HttpProxy logs
//! and `import shodan` over synthetic banners, each through this build's
//! binary, printing MB/s (or rows/s) and the child's peak RSS. The data is
//! generated into a temporary folder and removed afterwards.
//!
//!     cargo bench --bench passive -- [--hunt-mb 1024] [--records 100000]
//!
//! The logs are HttpProxy's own layout (`#Fields:` header, 23 columns, one
//! `ServerInfo~` hit per 100,000 lines, so the scan is dominated by lines
//! that match nothing, as on a real server); 64 MiB per file.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_exchange-exposure");

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Runs the binary to its end; returns (seconds, peak RSS in MiB, exit code).
// The child is reaped by wait4 (for its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn measure(args: &[&str]) -> (f64, f64, i32) {
    let start = Instant::now();
    let child =
        Command::new(BIN).args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("the binary starts");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, by its id, with valid out-pointers.
    let waited = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert!(waited > 0, "wait4 failed");
    let seconds = start.elapsed().as_secs_f64();
    (seconds, usage.ru_maxrss as f64 / 1024.0, libc::WEXITSTATUS(status))
}

fn proxy_logs(dir: &Path, megabytes: u64) -> u64 {
    let logs = dir.join("ex01/Logging/HttpProxy/Owa");
    std::fs::create_dir_all(&logs).unwrap();
    let header = "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: HttpProxy Logs\r\n#Date: 2021-02-01T00:00:00.000Z\r\n#Fields: DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method\r\n";
    let per_file: u64 = 64 << 20;
    let total = megabytes << 20;
    let (mut written, mut line_no, mut file_no) = (0u64, 0u64, 0);
    while written < total {
        let file =
            std::fs::File::create(logs.join(format!("HttpProxy_2021020{}-{file_no}.LOG", file_no % 9 + 1))).unwrap();
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(header.as_bytes()).unwrap();
        let mut in_file = header.len() as u64;
        while in_file < per_file && written + in_file < total {
            line_no += 1;
            let anchor = if line_no % 100_000 == 0 {
                "ServerInfo~a]@ex01.corp.example:444/ews/exchange.asmx?#".to_string()
            } else {
                format!("SMTP:user{}@corp.example", line_no % 5000)
            };
            let line = format!(
                "2021-02-{:02}T{:02}:{:02}:{:02}.{:03}Z,{:08x}-3c2a-4b7e-9d1f-{:012x},15,1,2176,2,,Owa,mail.corp.example,/owa/service.svc,GetItem,Negotiate,true,CORP\\user{},corp.example,{anchor},Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/89.0.4389.82 Safari/537.36,10.{}.{}.{},EX01,200,200,,POST\r\n",
                line_no / 3_000_000 % 28 + 1,
                line_no / 100_000 % 24,
                line_no / 1000 % 60,
                line_no / 10 % 60,
                line_no % 1000,
                line_no,
                line_no,
                line_no % 5000,
                line_no % 250,
                line_no / 250 % 250,
                line_no % 200 + 1,
            );
            out.write_all(line.as_bytes()).unwrap();
            in_file += line.len() as u64;
        }
        out.flush().unwrap();
        written += in_file;
        file_no += 1;
    }
    written
}

fn shodan_records(path: &Path, records: u64) -> u64 {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..records {
        let (a, b) = (i / 256 % 256, i % 256);
        let record = match i % 4 {
            0 => format!(
                r#"{{"ip_str":"198.18.{a}.{b}","port":443,"timestamp":"2024-03-05T10:00:00.123456","hostnames":["mail{i}.example.org"],"org":"Org {i}","asn":"AS64500","data":"HTTP/1.1 302 Found\r\nLocation: https://mail{i}.example.org/owa/\r\nX-OWA-Version: 15.1.2507.{}\r\nX-FEServer: EX{i}\r\n\r\n","http":{{"status":302,"html":"","location":"/"}},"ssl":{{"cert":{{"subject":{{"CN":"mail{i}.example.org"}}}}}}}}"#,
                i % 40
            ),
            1 => format!(
                r#"{{"ip_str":"198.18.{a}.{b}","port":443,"timestamp":"2024-03-06T10:00:00","org":"Org {i}","asn":"AS64501","data":"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n","http":{{"status":200,"title":"Outlook","html":"<html><head><link rel=\"shortcut icon\" href=\"/owa/auth/15.2.1544/themes/resources/favicon.ico\"><link rel=\"stylesheet\" href=\"/owa/auth/15.2.1544/themes/resources/logon.css\"></head><body>{}</body></html>"}}}}"#,
                "<div class=\"signInInputs\">".repeat(20)
            ),
            2 => format!(
                r#"{{"ip_str":"198.18.{a}.{b}","port":80,"timestamp":"2024-03-06T11:00:00","data":"HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\n\r\n","http":{{"status":200,"html":"<html><head><title>IIS Windows Server</title></head></html>"}}}}"#
            ),
            _ => format!(
                r#"{{"ip_str":"198.18.{a}.{b}","port":443,"timestamp":"2024-03-07T11:00:00","http":{{"favicon":{{"hash":{i}}}}}}}"#
            ),
        };
        writeln!(out, "{record}").unwrap();
    }
    out.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

fn main() {
    let hunt_mb = arg("--hunt-mb", 1024);
    let records = arg("--records", 100_000);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("passive bench: {cores} cores available (the machine may be shared: see the load below)");
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average before: {}", load.trim());
    }
    if hunt_mb > 0 {
        let bytes = proxy_logs(dir.path(), hunt_mb);
        let input = dir.path().join("ex01");
        let findings = dir.path().join("findings.csv");
        let (secs, rss, code) =
            measure(&["hunt", input.to_str().unwrap(), "-o", findings.to_str().unwrap(), "--quiet"]);
        let mb = bytes as f64 / 1e6;
        let hits = std::fs::read_to_string(&findings).map(|t| t.lines().count().saturating_sub(2)).unwrap_or(0);
        println!(
            "hunt: {mb:.0} MB of HttpProxy logs in {secs:.2} s = {:.0} MB/s, peak RSS {rss:.1} MiB, {hits} findings, exit {code}",
            mb / secs
        );
        std::fs::remove_dir_all(dir.path().join("ex01")).unwrap();
    }
    if records > 0 {
        let export = dir.path().join("shodan.json");
        let bytes = shodan_records(&export, records);
        let report = dir.path().join("import.csv");
        let (secs, rss, code) =
            measure(&["import", "shodan", export.to_str().unwrap(), "-o", report.to_str().unwrap(), "--quiet"]);
        let rows = std::fs::read_to_string(&report).map(|t| t.lines().count().saturating_sub(1)).unwrap_or(0);
        println!(
            "import shodan: {records} records ({:.0} MB) in {secs:.2} s = {:.0} rows/s, peak RSS {rss:.1} MiB, {rows} rows, exit {code}",
            bytes as f64 / 1e6,
            rows as f64 / secs
        );
    }
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average after: {}", load.trim());
    }
}
