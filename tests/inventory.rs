//! End-to-end: inventories as people export them (issue 12) — a FIFO read
//! once while stderr is a terminal, CR line endings, UTF-16, Windows-1252,
//! comments, an unknown host column. Host-less rows with a build are judged
//! offline, so nothing here touches the network.

mod common;

use common::*;
use std::process::Command;

#[test]
fn a_fifo_inventory_is_read_once_even_with_a_progress_bar() {
    let dir = temp_dir("inv-fifo");
    let fifo = dir.join("inv.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let rows = 20_000;
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::from("build,n\n");
            for i in 0..rows {
                text.push_str(&format!("15.1.2176.2,{i}\n"));
            }
            std::fs::write(fifo, text).unwrap();
        })
    };
    let report = dir.join("r.csv");
    let cmd = format!("{BIN} scan {} -o {}", fifo.display(), report.display());
    // `script` (util-linux) gives the scan a terminal on stderr: the progress bar is on.
    let typescript = dir.join("typescript");
    let Ok(out) = Command::new("script").args(["-qec", &cmd]).arg(&typescript).output() else {
        skipped("no `script` here to give the run a terminal");
        writer.join().unwrap();
        return;
    };
    writer.join().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains(&format!("{rows} rows: {rows} vulnerable")), "{shown}");
    assert_eq!(read_csv(&report).len(), rows, "rows in = rows out");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn exports_in_other_encodings_and_line_endings_give_every_row() {
    let dir = temp_dir("inv-enc");
    let text = "# from the CMDB\rbuild,owner\r15.1.2176.2,Müller\r\r15.2.858.5,ops\r";
    let utf16: Vec<u8> = [0xff, 0xfe].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let cp1252 = text.replace('ü', "\u{0}").into_bytes();
    let cp1252: Vec<u8> = cp1252.into_iter().map(|b| if b == 0 { 0xfc } else { b }).collect();
    for (name, bytes, note) in [
        ("cr.csv", text.as_bytes().to_vec(), None),
        ("utf16.csv", utf16, Some("inventory read as UTF-16 LE")),
        ("cp1252.csv", cp1252, Some("read as Windows-1252 (the first: line 3)")),
    ] {
        let inv = dir.join(name);
        std::fs::write(&inv, bytes).unwrap();
        let report = dir.join("r.csv");
        let out = run(&["scan", inv.to_str().unwrap(), "-o", report.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        let rows = read_csv(&report);
        let got: Vec<(&str, &str, &str)> =
            rows.iter().map(|r| (r["line"].as_str(), r["status"].as_str(), r["owner"].as_str())).collect();
        assert_eq!(got, [("3", "vulnerable", "Müller"), ("5", "patched", "ops")], "{name}");
        match note {
            Some(note) => assert!(stderr.contains(note), "{name}: {stderr}"),
            None => assert!(!stderr.contains("read as"), "{name}: {stderr}"),
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unknown_host_column_is_named_and_can_be_chosen() {
    let dir = temp_dir("inv-column");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, "server,owner\n127.0.0.1,x\n").unwrap();
    let out = run(&["scan", inv.to_str().unwrap(), "--timeout", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("found \"server\", \"owner\"") && stderr.contains("--host-column"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing probed, no report");
    // Chosen: the file is read with it (the host is loopback; a closed port is fine).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::fs::write(&inv, format!("server,port,owner\n127.0.0.1,{port},x\n")).unwrap();
    let out = run(&["scan", inv.to_str().unwrap(), "--host-column", "server", "--timeout", "1", "-q"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.lines().nth(1).unwrap().starts_with(&format!("127.0.0.1,{port},unreachable,")), "{report}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `scan` of an endless line (a `mknod` copy of /dev/zero in the test's own
/// directory) holds at most one capped line in memory, and a signal ends it.
#[test]
fn an_endless_line_is_read_in_bounded_memory() {
    use std::io::{BufRead, BufReader};
    let dir = temp_dir("inv-zero");
    let zero = dir.join("zero");
    assert!(Command::new("mknod").arg(&zero).args(["c", "1", "5"]).status().unwrap().success());
    let mut child = bin()
        .args(["scan", zero.to_str().unwrap(), "-v", "-o", dir.join("r.csv").to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("reading the inventory") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "scan ended early");
    }
    // Let it read a few hundred megabytes of zeros.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let peak_kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert_eq!(child.wait().unwrap().code(), Some(2));
    assert!(peak_kib < 100 * 1024, "peak {peak_kib} KiB");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A CMDB export whose note cells hold line breaks (LF, CRLF, a CR inside
/// quotes): every row is judged, the vulnerable one too, and the notes pass
/// through whole.
#[test]
fn multi_line_cells_keep_their_rows() {
    let dir = temp_dir("inv-multiline");
    for ending in ["\n", "\r\n"] {
        let text =
            format!("host,build,note{e},15.1.2176.2,\"multi{e}line note\"{e},15.2.858.5,\"\r=1\"{e}", e = ending);
        let inv = dir.join("inv.csv");
        std::fs::write(&inv, &text).unwrap();
        let report = dir.join("r.csv");
        let out = run(&["scan", inv.to_str().unwrap(), "-o", report.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{ending:?}: {stderr}");
        let rows = read_csv(&report);
        let got: Vec<(&str, &str)> = rows.iter().map(|r| (r["line"].as_str(), r["status"].as_str())).collect();
        assert_eq!(got, [("2", "vulnerable"), ("4", "patched")], "{ending:?}");
        assert_eq!(rows[0]["note"], format!("multi{ending}line note"));
        assert_eq!(rows[1]["note"], "'=1", "trimmed, and guarded as a formula");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
