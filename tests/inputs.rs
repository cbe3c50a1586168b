//! End-to-end: every file a run reads is an input no output may name (`-o`
//! and `--metrics`, compared by file identity), and every input read whole
//! has a size cap with a clear error past it (`/dev/zero` as a `mknod` copy
//! in the test's own directory). Host-less rows with a build are judged
//! offline, so nothing here touches the network.

mod common;

use common::*;
use std::process::{Command, Stdio};

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn no_report_may_name_an_input_of_the_run() {
    let dir = temp_dir("inputs-o");
    let inv = write(&dir, "inv.csv", "build\n15.1.2176.2\n");
    let table_text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/proxyshell-2021.csv")).unwrap();
    let table = write(&dir, "table.csv", &table_text);
    let list = write(&dir, "exclude.txt", "127.0.0.9\n");
    let ca = write(&dir, "ca.pem", "not a certificate\n");
    let exclude = format!("@{list}");
    let cases: [(&[&str], &str); 4] = [
        (&["--table", &table, "scan", &inv, "-o", &table], &table),
        (&["--table", &table, "check", "15.1.2176.2", "-o", &table], &table),
        // --format: a .txt or .pem name alone is refused as naming no format.
        (&["--format", "csv", "scan", &inv, "--exclude", &exclude, "-o", &list], &list),
        (&["--format", "csv", "scan", &inv, "--ca-cert", &ca, "-o", &ca], &ca),
    ];
    for (args, victim) in cases {
        let before = std::fs::read(victim).unwrap();
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("which this run reads"), "{args:?}: {stderr}");
        assert_eq!(std::fs::read(victim).unwrap(), before, "{args:?}: the input is untouched");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn metrics_may_name_no_input_and_no_report() {
    let dir = temp_dir("inputs-metrics");
    let inv = write(&dir, "inv.csv", "build\n15.1.2176.2\n");
    let accept = write(&dir, "accept.csv", "host,port,advisory,reason,owner,expires\n");
    let report = write(&dir, "r.csv", "earlier report\n");
    let link = dir.join("link.csv");
    std::os::unix::fs::symlink(&report, &link).unwrap();
    let link = link.to_str().unwrap();
    let cases: [(&[&str], &str, &str); 4] = [
        (&["scan", &inv, "-o", &report, "--metrics", &inv], &inv, "which this run reads"),
        (&["scan", &inv, "-o", &report, "--accept", &accept, "--metrics", &accept], &accept, "which this run reads"),
        (&["scan", &inv, "-o", &report, "--metrics", &report], &report, "where the report"),
        (&["scan", &inv, "-o", &report, "--metrics", link], &report, "where the report"),
    ];
    for (args, victim, want) in cases {
        let before = std::fs::read(victim).unwrap();
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert_eq!(std::fs::read(victim).unwrap(), before, "{args:?}: untouched");
    }
    // A name for the file stdout already is (as /dev/stdout would be): the
    // report goes to stdout, so the metrics may not.
    let stdout = dir.join("stdout.csv");
    let file = std::fs::File::create(&stdout).unwrap();
    let out = Command::new(BIN)
        .args(["scan", &inv, "--metrics", stdout.to_str().unwrap()])
        .stdout(Stdio::from(file))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("where the report stdout goes"), "{stderr}");
    assert!(std::fs::read(&stdout).unwrap().is_empty(), "nothing written");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn inputs_read_whole_stop_at_their_cap() {
    let dir = temp_dir("inputs-caps");
    let zero = dir.join("zero");
    if !Command::new("mknod").arg(&zero).args(["c", "1", "5"]).status().is_ok_and(|s| s.success()) {
        eprintln!("mknod not permitted here: skipped");
        return;
    }
    let zero = zero.to_str().unwrap();
    let inv = write(&dir, "inv.csv", "build\n15.1.2176.2\n");
    let report = dir.join("r.csv");
    let exclude = format!("@{zero}");
    // (`merge --inventory` on an endless file stops at 4 GiB: too long for
    // a test run; `bounded::Capped` is tested on its own.)
    let cases: [(&[&str], &str); 4] = [
        (&["scan", &inv, "--accept", zero], "larger than 16 MiB"),
        (&["scan", &inv, "--exclude", &exclude], "larger than 16 MiB"),
        (&["scan", &inv, "--ca-cert", zero], "larger than 16 MiB"),
        (&["--table", zero, "check", "15.1.2176.2"], "larger than 16 MiB"),
    ];
    for (args, want) in cases {
        let mut args = args.to_vec();
        if args[0] == "scan" {
            args.extend(["-o", report.to_str().unwrap()]);
        }
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Outside text shown on a terminal (an `--accept` file's host, owner and
/// reason; inventory host names in `--format table`) carries no escape
/// sequence, bidi override or zero-width character; the `accepted` cell is
/// cleaned the same way.
#[test]
fn outside_text_reaches_no_terminal_raw() {
    let dir = temp_dir("inputs-terminal");
    let inv = write(&dir, "inv.csv", "host,build\n,15.1.2176.2\nmail\u{202e}lmth.corp,\nma\u{200b}il.corp\u{1b}[2J,\n");
    let accept = write(
        &dir,
        "accept.csv",
        "host,port,advisory,reason,owner,expires,build\n\
         *,,,WAF \u{202e}in front,\u{1b}]8;;http://x\u{7}secops\u{1b}]8;;\u{7},2099-12-31,15.1.2176.2\n\
         gone\u{1b}[31m.corp,443,,old,\u{200b}it-ops,2099-12-31,\n",
    );
    let report = dir.join("r.csv");
    let out = run(&["scan", &inv, "--accept", &accept, "-o", report.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("UNUSED acceptance"), "{stderr}");
    let raw = |text: &str| text.chars().any(|c| matches!(c, '\u{1b}' | '\u{7}' | '\u{202e}' | '\u{200b}'));
    assert!(!raw(&stderr), "{stderr:?}");
    for row in read_csv(&report) {
        assert!(!raw(&row["accepted"]), "{:?}", row["accepted"]);
    }
    let out = run(&["scan", &inv, "--format", "table", "-q"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("mail?lmth.corp"), "{table}");
    assert!(!raw(&table) && !raw(&String::from_utf8_lossy(&out.stderr)), "{table:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
