//! End-to-end: `-o` only ever replaces a regular file (issue 12). Special
//! files are `mknod` copies inside the test's own temp directory, or live in
//! a private mount namespace with a scratch /dev — never the machine's own.

mod common;

use common::*;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::Command;

/// A host-less row with a vulnerable build: judged offline, no network.
const OFFLINE: &str = "build,owner\n15.1.2176.2,ops\n";

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn mknod(path: &Path, major: u32, minor: u32) {
    let ok = Command::new("mknod").arg(path).args(["c", &major.to_string(), &minor.to_string()]).status().unwrap();
    assert!(ok.success(), "mknod {}", path.display());
}

#[test]
fn a_character_device_is_written_into_and_stays_a_device() {
    let dir = temp_dir("out-null");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, OFFLINE).unwrap();
    let null = dir.join("null");
    mknod(&null, 1, 3);
    let out = run(&["scan", inv.to_str().unwrap(), "-o", null.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::metadata(&null).unwrap().file_type().is_char_device(), "still a device");
    assert_eq!(names_in(&dir), ["inv.csv", "null"], "no temporary file beside it");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_full_device_fails_the_run_with_exit_2() {
    let dir = temp_dir("out-full");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, OFFLINE).unwrap();
    let full = dir.join("full");
    mknod(&full, 1, 7);
    let out = run(&["scan", inv.to_str().unwrap(), "-o", full.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("No space left"), "{stderr}");
    assert!(std::fs::metadata(&full).unwrap().file_type().is_char_device());
    assert_eq!(names_in(&dir), ["full", "inv.csv"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_fifo_gets_the_report_streamed_into_it() {
    let dir = temp_dir("out-fifo");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, OFFLINE).unwrap();
    let fifo = dir.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = run(&["scan", inv.to_str().unwrap(), "-o", fifo.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report = reader.join().unwrap();
    assert!(report.starts_with("host,port,status,") && report.contains("vulnerable"), "{report}");
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(names_in(&dir), ["fifo", "inv.csv"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_directory_the_inventory_or_the_baseline_is_refused_before_probing() {
    let dir = temp_dir("out-refuse");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, OFFLINE).unwrap();
    let baseline = dir.join("base.csv");
    let first = run(&["scan", inv.to_str().unwrap(), "-o", baseline.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(1));
    let before = std::fs::read(&baseline).unwrap();
    let sub = dir.join("reports");
    std::fs::create_dir(&sub).unwrap();
    let inv_s = inv.to_str().unwrap();
    let base_s = baseline.to_str().unwrap();
    for (target, why) in
        [(sub.to_str().unwrap(), "is a directory"), (inv_s, "which this run reads"), (base_s, "which this run reads")]
    {
        let out = run(&["scan", inv_s, "--baseline", base_s, "-o", target]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{target}: {stderr}");
        assert!(stderr.contains(why), "{target}: {stderr}");
        assert!(!stderr.contains("rows:"), "nothing was scanned: {stderr}");
    }
    assert_eq!(std::fs::read_to_string(&inv).unwrap(), OFFLINE);
    assert_eq!(std::fs::read(&baseline).unwrap(), before);
    assert!(names_in(&sub).is_empty(), "no hidden report left in the directory");
    assert_eq!(names_in(&dir), ["base.csv", "inv.csv", "reports"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_symlinked_output_replaces_its_target_and_keeps_the_link() {
    let dir = temp_dir("out-link");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, OFFLINE).unwrap();
    let real = dir.join("real.csv");
    std::fs::write(&real, "old").unwrap();
    let link = dir.join("latest.csv");
    std::os::unix::fs::symlink("real.csv", &link).unwrap();
    let out = run(&["scan", inv.to_str().unwrap(), "-o", link.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(&real).unwrap().contains("vulnerable"));
    assert_eq!(names_in(&dir), ["inv.csv", "latest.csv", "real.csv"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// In a private mount namespace with a scratch /dev: `-o /dev/null` and
/// `-o /dev/stdout` leave the device and the link as they were.
#[test]
fn dev_null_and_dev_stdout_are_never_replaced() {
    if !Command::new("unshare").args(["-m", "true"]).status().is_ok_and(|s| s.success()) {
        skipped("no private mount namespace here (needs root)");
        return;
    }
    let dir = temp_dir("out-dev");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, OFFLINE).unwrap();
    let script = r#"set -e
mount -t tmpfs scratch /dev
mknod /dev/null c 1 3; mknod /dev/urandom c 1 9
ln -s /proc/self/fd/1 /dev/stdout
"$BIN" scan "$INV" -o /dev/null && exit 9 || test $? -eq 1
"$BIN" scan "$INV" -o /dev/stdout > "$DIR/stdout.csv" && exit 9 || test $? -eq 1
test -c /dev/null && test -L /dev/stdout
ls -A /dev > "$DIR/dev.txt"
"#;
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script])
        .env("BIN", BIN)
        .env("INV", &inv)
        .env("DIR", &dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(dir.join("stdout.csv")).unwrap().contains("vulnerable"));
    assert_eq!(
        std::fs::read_to_string(dir.join("dev.txt")).unwrap(),
        "null\nstdout\nurandom\n",
        "nothing else in /dev"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `-o /dev/fd/3` on a file the shell opened for appending: written into,
/// never replaced (the earlier content stays, the inode is the same).
#[test]
fn a_descriptor_path_is_written_into_not_replaced() {
    use std::os::unix::fs::MetadataExt;
    let dir = temp_dir("out-fd");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, OFFLINE).unwrap();
    let log = dir.join("log.csv");
    std::fs::write(&log, "earlier\n").unwrap();
    let inode = std::fs::metadata(&log).unwrap().ino();
    let out = Command::new("sh")
        .args(["-c", r#""$BIN" scan "$INV" -o /dev/fd/3 3>>"$LOG""#])
        .env("BIN", BIN)
        .env("INV", &inv)
        .env("LOG", &log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.starts_with("earlier\nhost,port,status,") && text.contains("vulnerable"), "{text}");
    assert_eq!(std::fs::metadata(&log).unwrap().ino(), inode, "the same file, not a replacement");
    assert_eq!(names_in(&dir), ["inv.csv", "log.csv"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
