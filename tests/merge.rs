//! End-to-end: `merge` and `--baseline` read columns by name (issue 12).
//! Host-less rows with a build are judged offline: no network.

mod common;

use common::*;

#[test]
fn merge_fills_a_missing_shard_by_column_name_with_colliding_inventory_columns() {
    let dir = temp_dir("merge-names");
    let inv = dir.join("inv.csv");
    let mut text = String::from("build,status,detail,owner\n");
    for i in 0..12 {
        text.push_str(&format!("15.1.2176.2,retired-{i},=HYPERLINK(1),team {i}\n"));
    }
    std::fs::write(&inv, text).unwrap();
    let shard0 = dir.join("s0.csv");
    let out = run(&["scan", inv.to_str().unwrap(), "--shard", "0/2", "-o", shard0.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let merged = dir.join("merged.csv");
    let out =
        run(&["merge", "--inventory", inv.to_str().unwrap(), "-o", merged.to_str().unwrap(), shard0.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "a shard is missing: {}", String::from_utf8_lossy(&out.stderr));
    let rows = read_csv(&merged);
    assert_eq!(rows.len(), 12);
    let scanned = read_csv(&shard0).len();
    assert!(scanned > 0 && scanned < 12, "{scanned}");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["line"], (i + 2).to_string());
        assert_eq!(row["inventory_status"], format!("retired-{i}"), "{row:?}");
        assert_eq!(row["owner"], format!("team {i}"));
        assert_eq!(row["inventory_detail"], "'=HYPERLINK(1)", "guarded, scanned or not");
        assert!(matches!(row["status"].as_str(), "vulnerable" | "not-scanned"), "{row:?}");
    }
    assert_eq!(rows.iter().filter(|r| r["status"] == "not-scanned").count(), 12 - scanned);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn baseline_matches_host_less_rows_on_line_and_build_and_warns_about_other_tables() {
    let dir = temp_dir("baseline-hostless");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, "build,owner\n15.1.2176.2,a\n15.1.2176.9,b\n15.2.792.3,c\n").unwrap();
    let base = dir.join("base.csv");
    let out = run(&["scan", inv.to_str().unwrap(), "-q", "-o", base.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let again = dir.join("again.csv");
    let out =
        run(&["scan", inv.to_str().unwrap(), "--baseline", base.to_str().unwrap(), "-o", again.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let changes: Vec<String> = read_csv(&again).iter().map(|r| r["change"].clone()).collect();
    assert_eq!(changes, ["unchanged", "unchanged", "unchanged"], "each row against its own line: {stderr}");
    assert!(!stderr.contains("GONE") && !stderr.contains("warning"), "{stderr}");
    // Line 3 now names another build: a new row, and the old one is gone.
    std::fs::write(&inv, "build,owner\n15.1.2176.2,a\n15.0.1497.2,b\n15.2.792.3,c\n").unwrap();
    let out =
        run(&["scan", inv.to_str().unwrap(), "--baseline", base.to_str().unwrap(), "-o", again.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let changes: Vec<String> = read_csv(&again).iter().map(|r| r["change"].clone()).collect();
    assert_eq!(changes, ["unchanged", "new", "unchanged"]);
    assert!(stderr.contains("GONE from the inventory: line 3 (no host, build 15.1.2176.9) (was patched)"), "{stderr}");
    // Judged against more advisories than the baseline: said on stderr.
    let out = run(&["scan", inv.to_str().unwrap(), "--advisory", "all", "--baseline", base.to_str().unwrap(), "-q"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: the baseline was judged against proxylogon"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
